//! JSON encodings of values (json.adoc: `SELECT JSON`, `INSERT JSON`, `toJson()`,
//! `fromJson()`). [`to_json_string`] writes exact JSON text (big varints and decimals
//! keep every digit); [`to_json`] parses that into a `serde_json::Value` (which may
//! round such numbers); [`from_json`] reads a `serde_json::Value` with the formats
//! Cassandra accepts (numbers or strings for numbers, `"0x.."` for blobs, ...).

use std::str::FromStr;

use num_bigint::BigInt;
use serde_json::Value;
use uuid::Uuid;

use super::literal::{parse_decimal, parse_hex};
use super::text::{decimal_to_string, float_to_string};
use super::{temporal, CqlType, CqlValue, TypeError};

/// The JSON text of `value` (of type `typ`), as Cassandra's `toJSONString`.
/// [`CqlValue::Empty`] is `null`.
pub fn to_json_string(value: &CqlValue, typ: &CqlType) -> String {
    let mut s = String::new();
    write_json(value, typ, &mut s);
    s
}

/// [`to_json_string`] as a `serde_json::Value`.
pub fn to_json(value: &CqlValue, typ: &CqlType) -> Value {
    serde_json::from_str(&to_json_string(value, typ)).unwrap_or(Value::Null)
}

fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn write_json(value: &CqlValue, typ: &CqlType, s: &mut String) {
    let typ = typ.unfrozen();
    let elem = |i: usize| -> CqlType {
        match typ {
            CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _) => (**e).clone(),
            CqlType::Map(k, v) => {
                if i == 0 {
                    (**k).clone()
                } else {
                    (**v).clone()
                }
            }
            CqlType::Tuple(ts) => ts.get(i).cloned().unwrap_or(CqlType::Blob),
            _ => CqlType::Blob,
        }
    };
    match value {
        CqlValue::Empty => s.push_str("null"),
        CqlValue::Ascii(t) | CqlValue::Text(t) => s.push_str(&quote(t)),
        CqlValue::Bigint(n) | CqlValue::Counter(n) => s.push_str(&n.to_string()),
        CqlValue::Int(n) => s.push_str(&n.to_string()),
        CqlValue::Smallint(n) => s.push_str(&n.to_string()),
        CqlValue::Tinyint(n) => s.push_str(&n.to_string()),
        CqlValue::Varint(n) => s.push_str(&n.to_string()),
        CqlValue::Decimal { unscaled, scale } => s.push_str(&decimal_to_string(unscaled, *scale)),
        CqlValue::Double(d) if d.is_finite() => s.push_str(&float_to_string(*d, None)),
        CqlValue::Float(f) if f.is_finite() => {
            s.push_str(&float_to_string(f64::from(*f), Some(*f)))
        }
        // JSON has no NaN or infinities: Cassandra quotes them.
        CqlValue::Double(d) => s.push_str(&quote(&float_to_string(*d, None))),
        CqlValue::Float(f) => s.push_str(&quote(&float_to_string(f64::from(*f), None))),
        CqlValue::Blob(b) => s.push_str(&format!("\"0x{}\"", super::deserialize::hex(b))),
        CqlValue::Boolean(b) => s.push_str(if *b { "true" } else { "false" }),
        CqlValue::Timestamp(ms) => s.push_str(&quote(&temporal::format_timestamp(*ms, false, "Z"))),
        CqlValue::Date(d) => s.push_str(&quote(&temporal::format_date(*d))),
        CqlValue::Time(t) => s.push_str(&quote(&temporal::format_time(*t))),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => {
            s.push_str(&quote(&u.hyphenated().to_string()))
        }
        CqlValue::Inet(ip) => s.push_str(&quote(&ip.to_string())),
        CqlValue::Duration {
            months,
            days,
            nanos,
        } => s.push_str(&quote(&temporal::format_duration(*months, *days, *nanos))),
        CqlValue::List(items) | CqlValue::Set(items) | CqlValue::Vector(items) => {
            s.push('[');
            let e = elem(0);
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_json(v, &e, s);
            }
            s.push(']');
        }
        CqlValue::Map(items) => {
            s.push('{');
            let (k, v) = (elem(0), elem(1));
            for (i, (key, val)) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let kj = to_json_string(key, &k);
                // JSON keys are strings: a key whose JSON is not already a string is
                // quoted (MapType.toJSONString).
                s.push_str(&if kj.starts_with('"') { kj } else { quote(&kj) });
                s.push_str(": ");
                write_json(val, &v, s);
            }
            s.push('}');
        }
        CqlValue::Tuple(items) => {
            s.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                match v {
                    Some(v) => write_json(v, &elem(i), s),
                    None => s.push_str("null"),
                }
            }
            s.push(']');
        }
        CqlValue::Udt(fields) => {
            s.push('{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let ft = match typ {
                    CqlType::Udt(u) => u
                        .fields
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, t)| t.clone()),
                    _ => None,
                }
                .unwrap_or(CqlType::Blob);
                s.push_str(&quote(&super::quote_identifier(name)));
                s.push_str(": ");
                match v {
                    Some(v) => write_json(v, &ft, s),
                    None => s.push_str("null"),
                }
            }
            s.push('}');
        }
    }
}

fn expected(what: &str, got: &Value) -> TypeError {
    let kind = match got {
        Value::Null => "null",
        Value::Bool(_) => "Boolean",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "List",
        Value::Object(_) => "Map",
    };
    TypeError::InvalidValue(format!("Expected {what}, but got a {kind}: {got}"))
}

/// Reads a value of `typ` from JSON, as Cassandra's `fromJSONObject`. JSON `null` is an
/// error here (the caller decides what a null column means); use [`from_json_opt`]
/// where null is allowed.
pub fn from_json(json: &Value, typ: &CqlType) -> Result<CqlValue, TypeError> {
    from_json_opt(json, typ)?.ok_or_else(|| TypeError::InvalidValue("Invalid null value".into()))
}

/// [`from_json`] with JSON `null` as `None`.
pub fn from_json_opt(json: &Value, typ: &CqlType) -> Result<Option<CqlValue>, TypeError> {
    read_json(json, typ, 0)
}

fn number_text(json: &Value) -> Option<String> {
    match json {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn read_json(json: &Value, typ: &CqlType, depth: usize) -> Result<Option<CqlValue>, TypeError> {
    if depth > 64 {
        return Err(TypeError::InvalidValue(
            "JSON value nested too deeply".into(),
        ));
    }
    if json.is_null() {
        return Ok(None);
    }
    let typ = typ.unfrozen();
    let int_text = |what: &str| -> Result<String, TypeError> {
        match json {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            Value::String(s) => Ok(s.trim().to_string()),
            other => Err(expected(what, other)),
        }
    };
    let num = |what: &str| number_text(json).ok_or_else(|| expected(what, json));
    let string = |what: &str| match json {
        Value::String(s) => Ok(s.as_str()),
        other => Err(expected(what, other)),
    };
    let bad =
        |what: &str, t: &str| TypeError::InvalidValue(format!("Unable to make {what} from '{t}'"));
    Ok(Some(match typ {
        CqlType::Ascii => {
            let s = string("an ascii string")?;
            if !s.is_ascii() {
                return Err(TypeError::InvalidValue(
                    "Invalid ASCII character in string literal".into(),
                ));
            }
            CqlValue::Ascii(s.to_string())
        }
        CqlType::Text => CqlValue::Text(string("a UTF-8 string")?.to_string()),
        CqlType::Int => {
            let t = int_text("an int value")?;
            CqlValue::Int(t.parse().map_err(|_| bad("int", &t))?)
        }
        CqlType::Bigint | CqlType::Counter => {
            let t = int_text("a bigint value")?;
            let n = t.parse().map_err(|_| bad("long", &t))?;
            if matches!(typ, CqlType::Counter) {
                CqlValue::Counter(n)
            } else {
                CqlValue::Bigint(n)
            }
        }
        CqlType::Smallint => {
            let t = int_text("a short value")?;
            CqlValue::Smallint(t.parse().map_err(|_| bad("short", &t))?)
        }
        CqlType::Tinyint => {
            let t = int_text("a byte value")?;
            CqlValue::Tinyint(t.parse().map_err(|_| bad("byte", &t))?)
        }
        CqlType::Varint => {
            let t = num("an integer")?;
            CqlValue::Varint(BigInt::from_str(&t).map_err(|_| bad("int", &t))?)
        }
        CqlType::Decimal => {
            let t = num("a decimal")?;
            let (unscaled, scale) = parse_decimal(&t).ok_or_else(|| bad("BigDecimal", &t))?;
            CqlValue::Decimal { unscaled, scale }
        }
        CqlType::Double | CqlType::Float => {
            let t = num("a float")?;
            let v = match t.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                _ => t.parse::<f64>().map_err(|_| bad("double", &t))?,
            };
            if matches!(typ, CqlType::Float) {
                CqlValue::Float(v as f32)
            } else {
                CqlValue::Double(v)
            }
        }
        CqlType::Boolean => match json {
            Value::Bool(b) => CqlValue::Boolean(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => CqlValue::Boolean(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => CqlValue::Boolean(false),
            other => return Err(expected("a boolean value", other)),
        },
        CqlType::Blob | CqlType::Custom(_) => {
            let s = string("a hex string")?;
            if !s.starts_with("0x") {
                return Err(TypeError::InvalidValue(format!(
                    "String representation of blob is missing 0x prefix: {s}"
                )));
            }
            CqlValue::Blob(parse_hex(s).ok_or_else(|| {
                TypeError::InvalidValue(format!("cannot parse '{s}' as hex bytes"))
            })?)
        }
        CqlType::Timestamp => match json {
            Value::Number(n) if n.is_i64() => CqlValue::Timestamp(n.as_i64().unwrap_or_default()),
            Value::String(s) => CqlValue::Timestamp(temporal::parse_timestamp(s)?),
            other => {
                return Err(expected(
                    "a long or a datestring representation of a timestamp value",
                    other,
                ))
            }
        },
        CqlType::Date => CqlValue::Date(temporal::parse_date(string("a date string")?)?),
        CqlType::Time => CqlValue::Time(temporal::parse_time(string("a time string")?)?),
        CqlType::Duration => {
            let (months, days, nanos) = temporal::parse_duration(string("a duration string")?)?;
            CqlValue::Duration {
                months,
                days,
                nanos,
            }
        }
        CqlType::Uuid | CqlType::Timeuuid => {
            let s = string("a UUID string")?;
            let u = Uuid::parse_str(s).map_err(|_| bad("UUID", s))?;
            if matches!(typ, CqlType::Timeuuid) {
                if u.get_version_num() != 1 {
                    return Err(TypeError::InvalidValue(
                        "TimeUUID supports only version 1 UUIDs".into(),
                    ));
                }
                CqlValue::Timeuuid(u)
            } else {
                CqlValue::Uuid(u)
            }
        }
        CqlType::Inet => {
            let s = string("an inet string")?;
            CqlValue::Inet(s.trim().parse().map_err(|_| bad("inet address", s))?)
        }
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Vector(..)
        | CqlType::Tuple(_)
        | CqlType::Map(..)
        | CqlType::Udt(_)
            if json.is_string() =>
        {
            // A collection may also come as a string holding its JSON.
            let inner: Value =
                serde_json::from_str(json.as_str().unwrap_or_default()).map_err(|e| {
                    TypeError::InvalidValue(format!("Could not decode JSON string: {e}"))
                })?;
            return read_json(&inner, typ, depth + 1);
        }
        CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _) => {
            let items = json.as_array().ok_or_else(|| expected("a list", json))?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(read_json(item, e, depth + 1)?.ok_or_else(|| {
                    TypeError::InvalidValue("Invalid null element in list".into())
                })?);
            }
            match typ {
                CqlType::List(_) => CqlValue::List(out),
                CqlType::Set(_) => CqlValue::Set(out),
                CqlType::Vector(_, n) => {
                    if out.len() != *n as usize {
                        return Err(TypeError::InvalidValue(format!(
                            "Invalid number of dimensions: expected {n}, got {}",
                            out.len()
                        )));
                    }
                    CqlValue::Vector(out)
                }
                _ => return Err(expected("a list", json)),
            }
        }
        CqlType::Map(k, v) => {
            let obj = json.as_object().ok_or_else(|| expected("a map", json))?;
            let mut out = Vec::with_capacity(obj.len());
            for (key, val) in obj {
                // Every type reads its value from a JSON string too (`"1"` for an int,
                // `"[1, 2]"` for a list), which is how map keys arrive.
                let kj = Value::String(key.clone());
                let key = read_json(&kj, k, depth + 1)?
                    .ok_or_else(|| TypeError::InvalidValue("Invalid null key in map".into()))?;
                let val = read_json(val, v, depth + 1)?
                    .ok_or_else(|| TypeError::InvalidValue("Invalid null value in map".into()))?;
                out.push((key, val));
            }
            CqlValue::Map(out)
        }
        CqlType::Tuple(ts) => {
            let items = json
                .as_array()
                .ok_or_else(|| expected("a list representation of a tuple", json))?;
            if items.len() != ts.len() {
                return Err(TypeError::InvalidValue(format!(
                    "Tuple contains {} elements, but the type has {}",
                    items.len(),
                    ts.len()
                )));
            }
            let mut out = Vec::with_capacity(ts.len());
            for (item, t) in items.iter().zip(ts) {
                out.push(read_json(item, t, depth + 1)?);
            }
            CqlValue::Tuple(out)
        }
        CqlType::Udt(u) => {
            let obj = json.as_object().ok_or_else(|| expected("a map", json))?;
            // Field names are case-insensitive unless double-quoted.
            let norm = |k: &str| match k.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                Some(q) => q.replace("\"\"", "\""),
                None => k.to_lowercase(),
            };
            for key in obj.keys() {
                let n = norm(key);
                if !u.fields.iter().any(|(f, _)| *f == n) {
                    return Err(TypeError::InvalidValue(format!(
                        "Unknown field '{n}' in value of user defined type {}",
                        u.name
                    )));
                }
            }
            let mut out = Vec::with_capacity(u.fields.len());
            for (name, t) in &u.fields {
                let v = obj.iter().find(|(k, _)| norm(k) == *name).map(|(_, v)| v);
                out.push((
                    name.clone(),
                    match v {
                        Some(v) => read_json(v, t, depth + 1)?,
                        None => None,
                    },
                ));
            }
            CqlValue::Udt(out)
        }
        CqlType::Frozen(_) => return Err(TypeError::InvalidValue("unexpected frozen type".into())),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn json_output_follows_json_adoc() {
        assert_eq!(
            to_json_string(&CqlValue::Text("a\"b".into()), &CqlType::Text),
            "\"a\\\"b\""
        );
        assert_eq!(
            to_json_string(&CqlValue::Timestamp(1_296_705_900_000), &CqlType::Timestamp),
            "\"2011-02-03 04:05:00.000Z\""
        );
        assert_eq!(
            to_json_string(
                &CqlValue::Blob(bytes::Bytes::from_static(&[1, 2])),
                &CqlType::Blob
            ),
            "\"0x0102\""
        );
        let m = CqlType::Map(Box::new(CqlType::Int), Box::new(CqlType::Text));
        let v = CqlValue::Map(vec![(CqlValue::Int(1), CqlValue::Text("x".into()))]);
        assert_eq!(to_json_string(&v, &m), "{\"1\": \"x\"}");
        assert_eq!(from_json(&json!({"1": "x"}), &m), Ok(v));
        let u = CqlType::Map(Box::new(CqlType::Uuid), Box::new(CqlType::Int));
        let id = Uuid::nil();
        let v = CqlValue::Map(vec![(CqlValue::Uuid(id), CqlValue::Int(1))]);
        assert_eq!(to_json_string(&v, &u), format!("{{\"{id}\": 1}}"));
        assert_eq!(from_json(&to_json(&v, &u), &u), Ok(v));
        let big = "123456789012345678901234567890";
        assert_eq!(
            to_json_string(&CqlValue::Varint(big.parse().unwrap()), &CqlType::Varint),
            big
        );
    }

    #[test]
    fn json_input_accepts_cassandras_forms() {
        assert_eq!(
            from_json(&json!("42"), &CqlType::Int),
            Ok(CqlValue::Int(42))
        );
        assert_eq!(
            from_json(&json!(42), &CqlType::Bigint),
            Ok(CqlValue::Bigint(42))
        );
        assert!(from_json(&json!(1.5), &CqlType::Int).is_err());
        assert!(from_json(&json!(3_000_000_000i64), &CqlType::Int).is_err());
        assert_eq!(
            from_json(&json!(1.5), &CqlType::Decimal),
            Ok(CqlValue::Decimal {
                unscaled: BigInt::from(15),
                scale: 1
            })
        );
        assert_eq!(
            from_json(&json!("true"), &CqlType::Boolean),
            Ok(CqlValue::Boolean(true))
        );
        assert!(from_json(&json!("0102"), &CqlType::Blob).is_err());
        assert_eq!(
            from_json(&json!("[1, 2]"), &CqlType::List(Box::new(CqlType::Int))),
            Ok(CqlValue::List(vec![CqlValue::Int(1), CqlValue::Int(2)]))
        );
        let udt = CqlType::Udt(Arc::new(super::super::UdtType {
            keyspace: "ks".into(),
            name: "u".into(),
            fields: vec![("a".into(), CqlType::Int), ("b".into(), CqlType::Text)],
        }));
        assert_eq!(
            from_json(&json!({"A": 1}), &udt),
            Ok(CqlValue::Udt(vec![
                ("a".into(), Some(CqlValue::Int(1))),
                ("b".into(), None)
            ]))
        );
        assert!(from_json(&json!({"zz": 1}), &udt).is_err());
        assert!(from_json(&json!(null), &CqlType::Int).is_err());
        assert_eq!(from_json_opt(&json!(null), &CqlType::Int), Ok(None));
    }
}
