//! `CAST(x AS type)`: Cassandra's `CastFcts` matrix.
//! - number (incl. counter) → every other number with Java's conversions:
//!   `byteValue`/`shortValue`/`intValue`/`longValue` (truncating, wrapping),
//!   `floatValue`/`doubleValue`, decimal through `BigDecimal.valueOf(doubleValue())`
//!   and varint through `BigInteger.valueOf(longValue())`. Cassandra's choice, kept: a
//!   varint beyond 2^63 cast to varint's neighbours goes through a long or a double.
//! - number, boolean, inet, uuid, timeuuid, timestamp, date, time → text / ascii
//!   (the value's literal text, unquoted: `2015-05-21T11:03:02.000Z`).
//! - ascii → text; timestamp ↔ date; timeuuid → timestamp / date.
//! - A cast to the value's own type is the value. Anything else is refused at prepare
//!   time with Cassandra's `<selector> cannot be cast to <type>`.

use std::net::IpAddr;

use bytes::Bytes;
use cql::types::{CqlType, CqlValue};

use super::decimal::java_float_text;
use super::number::{Num, NumType};
use super::time::{self, Src};
use super::{decode, encode, FnError};

/// Whether `from` can be cast to `to`.
pub fn castable(from: &CqlType, to: &CqlType) -> bool {
    let (from, to) = (from.unfrozen(), to.unfrozen());
    if from == to {
        return true;
    }
    let textual = |t: &CqlType| {
        NumType::of(t).is_some()
            || matches!(
                t,
                CqlType::Boolean
                    | CqlType::Inet
                    | CqlType::Uuid
                    | CqlType::Timeuuid
                    | CqlType::Timestamp
                    | CqlType::Date
                    | CqlType::Time
            )
    };
    match to {
        CqlType::Ascii => textual(from),
        CqlType::Text => textual(from) || *from == CqlType::Ascii,
        CqlType::Timestamp => matches!(from, CqlType::Date | CqlType::Timeuuid),
        CqlType::Date => matches!(from, CqlType::Timestamp | CqlType::Timeuuid),
        // counter is not a cast target: Cassandra has no castAsCounter.
        CqlType::Counter => false,
        t => NumType::of(t).is_some() && NumType::of(from).is_some(),
    }
}

/// Casts a serialized value; `castable(from, to)` was checked at prepare time.
pub fn cast(b: &Bytes, from: &CqlType, to: &CqlType) -> Result<Bytes, FnError> {
    let (from, to) = (from.unfrozen(), to.unfrozen());
    if from == to {
        return Ok(b.clone());
    }
    if b.is_empty() && !matches!(from, CqlType::Text | CqlType::Ascii) {
        // An empty number/timestamp has no value to convert (Cassandra returns null).
        return Ok(Bytes::new());
    }
    let v = decode(b, from)?;
    let out = match to {
        CqlType::Text | CqlType::Ascii => {
            let s = text_of(&v);
            if *to == CqlType::Text {
                CqlValue::Text(s)
            } else {
                CqlValue::Ascii(s)
            }
        }
        CqlType::Timestamp | CqlType::Date => {
            let src = Src::of(from).ok_or_else(|| FnError::Invalid("not a time value".into()))?;
            let ms = time::millis_of(src, b)?;
            if *to == CqlType::Date {
                CqlValue::Date(time::date_of_millis(ms))
            } else {
                CqlValue::Timestamp(ms)
            }
        }
        t => {
            let nt = NumType::of(t).ok_or_else(|| FnError::Invalid("not a number type".into()))?;
            let n = Num::from_value(&v).ok_or(FnError::NotANumber)?;
            match nt {
                // CastFcts: p -> BigDecimal.valueOf(p.doubleValue()), p -> BigInteger.valueOf(p.longValue())
                NumType::Decimal => Num::Float(n.double_value()).into_value(nt)?,
                NumType::Varint => Num::Int(n.long_value()).into_value(nt)?,
                _ => n.into_value(nt)?,
            }
        }
    };
    encode(&out, to)
}

/// The text of a value as CAST gives it (`toCQLLiteral` without quotes).
pub fn text_of(v: &CqlValue) -> String {
    match v {
        CqlValue::Ascii(s) | CqlValue::Text(s) => s.clone(),
        CqlValue::Bigint(x) | CqlValue::Counter(x) => x.to_string(),
        CqlValue::Int(x) => x.to_string(),
        CqlValue::Smallint(x) => x.to_string(),
        CqlValue::Tinyint(x) => x.to_string(),
        CqlValue::Boolean(x) => x.to_string(),
        CqlValue::Double(x) => java_float_text(*x, None),
        CqlValue::Float(x) => java_float_text(f64::from(*x), Some(*x)),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => u.hyphenated().to_string(),
        CqlValue::Inet(ip) => java_inet_text(ip),
        CqlValue::Varint(x) => x.to_string(),
        CqlValue::Timestamp(ms) => {
            cql::types::temporal::format_timestamp(*ms, false, "Z").replacen(' ', "T", 1)
        }
        CqlValue::Date(d) => cql::types::temporal::format_date(*d),
        CqlValue::Time(t) => cql::types::temporal::format_time(*t),
        other => other.to_cql_literal(),
    }
}

/// `InetAddress.getHostAddress()`: IPv6 as eight uncompressed hex groups.
fn java_inet_text(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|s| format!("{s:x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::values;
    use num_bigint::BigInt;

    fn c(v: CqlValue, from: CqlType, to: CqlType) -> CqlValue {
        assert!(castable(&from, &to), "{from:?} -> {to:?}");
        let out = cast(&values::serialize(&v, &from), &from, &to).unwrap();
        values::deserialize(&out, &to).unwrap()
    }

    #[test]
    fn numbers_convert_like_java() {
        assert_eq!(
            c(CqlValue::Int(300), CqlType::Int, CqlType::Tinyint),
            CqlValue::Tinyint(44)
        );
        assert_eq!(
            c(CqlValue::Double(-2.7), CqlType::Double, CqlType::Int),
            CqlValue::Int(-2)
        );
        assert_eq!(
            c(CqlValue::Int(3), CqlType::Int, CqlType::Decimal),
            CqlValue::Decimal {
                unscaled: BigInt::from(30),
                scale: 1
            }
        );
        assert_eq!(
            c(CqlValue::Double(2.9), CqlType::Double, CqlType::Varint),
            CqlValue::Varint(BigInt::from(2))
        );
        assert_eq!(
            c(CqlValue::Counter(7), CqlType::Counter, CqlType::Float),
            CqlValue::Float(7.0)
        );
    }

    #[test]
    fn text_forms() {
        assert_eq!(
            c(CqlValue::Double(1e10), CqlType::Double, CqlType::Text),
            CqlValue::Text("1.0E10".into())
        );
        assert_eq!(
            c(CqlValue::Float(1.5), CqlType::Float, CqlType::Ascii),
            CqlValue::Ascii("1.5".into())
        );
        assert_eq!(
            c(
                CqlValue::Timestamp(1_432_206_182_000),
                CqlType::Timestamp,
                CqlType::Text
            ),
            CqlValue::Text("2015-05-21T11:03:02.000Z".into())
        );
        assert_eq!(
            c(
                CqlValue::Inet("::1".parse().unwrap()),
                CqlType::Inet,
                CqlType::Text
            ),
            CqlValue::Text("0:0:0:0:0:0:0:1".into())
        );
        assert_eq!(
            c(CqlValue::Boolean(true), CqlType::Boolean, CqlType::Text),
            CqlValue::Text("true".into())
        );
    }

    #[test]
    fn impossible_casts() {
        assert!(!castable(&CqlType::Text, &CqlType::Int));
        assert!(!castable(&CqlType::Blob, &CqlType::Text));
        assert!(!castable(&CqlType::Timestamp, &CqlType::Timeuuid));
        assert!(!castable(&CqlType::Boolean, &CqlType::Int));
        assert!(castable(&CqlType::Timeuuid, &CqlType::Date));
    }
}
