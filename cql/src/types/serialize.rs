//! Writing values in their serialized form (native protocol v4 section 6, v5 section 6;
//! v3+ collection format). [`serialize`] appends to the caller's buffer and checks that
//! the value fits the type, so a wrong value never reaches the wire or the disk.

use std::net::IpAddr;

use bytes::{BufMut, BytesMut};

use super::deserialize::fixed_len;
use super::vint;
use super::{CqlType, CqlValue, TypeError};

/// Appends the serialized form of `value` (of type `typ`) to `out`. The value must
/// match the type (`CqlValue::Int` for `int`, ...); `Counter` and `Bigint` values are
/// interchangeable, as are `Uuid` and `Timeuuid` (v1 only for `timeuuid`), and `Text`
/// and `Ascii` (ASCII only for `ascii`). [`CqlValue::Empty`] writes zero bytes.
pub fn serialize(value: &CqlValue, typ: &CqlType, out: &mut BytesMut) -> Result<(), TypeError> {
    write(value, typ, out, 0)
}

fn mismatch(value: &CqlValue, typ: &CqlType) -> TypeError {
    TypeError::Marshal(format!(
        "Cannot serialize {} value as {}",
        value_kind(value),
        typ.cql_name()
    ))
}

/// A short name of the value's variant, for messages.
pub fn value_kind(v: &CqlValue) -> &'static str {
    match v {
        CqlValue::Ascii(_) => "ascii",
        CqlValue::Bigint(_) => "bigint",
        CqlValue::Blob(_) => "blob",
        CqlValue::Boolean(_) => "boolean",
        CqlValue::Counter(_) => "counter",
        CqlValue::Decimal { .. } => "decimal",
        CqlValue::Double(_) => "double",
        CqlValue::Float(_) => "float",
        CqlValue::Int(_) => "int",
        CqlValue::Timestamp(_) => "timestamp",
        CqlValue::Uuid(_) => "uuid",
        CqlValue::Text(_) => "text",
        CqlValue::Varint(_) => "varint",
        CqlValue::Timeuuid(_) => "timeuuid",
        CqlValue::Inet(_) => "inet",
        CqlValue::Date(_) => "date",
        CqlValue::Time(_) => "time",
        CqlValue::Smallint(_) => "smallint",
        CqlValue::Tinyint(_) => "tinyint",
        CqlValue::Duration { .. } => "duration",
        CqlValue::List(_) => "list",
        CqlValue::Set(_) => "set",
        CqlValue::Map(_) => "map",
        CqlValue::Tuple(_) => "tuple",
        CqlValue::Udt(_) => "user type",
        CqlValue::Vector(_) => "vector",
        CqlValue::Empty => "empty",
    }
}

fn len_i32(n: usize) -> Result<i32, TypeError> {
    i32::try_from(n).map_err(|_| TypeError::marshal("Value too large to serialize"))
}

/// Writes an `[int]` length placeholder and returns where it is, to patch later.
fn begin_len(out: &mut BytesMut) -> usize {
    let at = out.len();
    out.put_i32(0);
    at
}

fn end_len(out: &mut BytesMut, at: usize) -> Result<(), TypeError> {
    let len = len_i32(out.len() - at - 4)?;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// A collection element, tuple or UDT field: `[int]` length then the value.
fn write_prefixed(
    v: &CqlValue,
    t: &CqlType,
    out: &mut BytesMut,
    depth: usize,
) -> Result<(), TypeError> {
    let at = begin_len(out);
    write(v, t, out, depth + 1)?;
    end_len(out, at)
}

fn write(
    value: &CqlValue,
    typ: &CqlType,
    out: &mut BytesMut,
    depth: usize,
) -> Result<(), TypeError> {
    if depth > 64 {
        return Err(TypeError::marshal("Value nested too deeply"));
    }
    let typ = typ.unfrozen();
    if let CqlValue::Empty = value {
        return if super::deserialize::accepts_empty(typ) {
            Ok(())
        } else {
            Err(TypeError::Marshal(format!(
                "Empty value is not valid for type {}",
                typ.cql_name()
            )))
        };
    }
    match (typ, value) {
        (CqlType::Ascii, CqlValue::Ascii(s) | CqlValue::Text(s)) => {
            if let Some(b) = s.bytes().find(|b| !b.is_ascii()) {
                return Err(TypeError::Marshal(format!(
                    "Invalid byte for ascii: {}",
                    b as i8
                )));
            }
            out.put_slice(s.as_bytes());
        }
        (CqlType::Text, CqlValue::Text(s) | CqlValue::Ascii(s)) => out.put_slice(s.as_bytes()),
        (CqlType::Blob | CqlType::Custom(_), CqlValue::Blob(b)) => out.put_slice(b),
        (CqlType::Bigint | CqlType::Counter, CqlValue::Bigint(v) | CqlValue::Counter(v)) => {
            out.put_i64(*v)
        }
        (CqlType::Timestamp, CqlValue::Timestamp(v)) => out.put_i64(*v),
        (CqlType::Int, CqlValue::Int(v)) => out.put_i32(*v),
        (CqlType::Smallint, CqlValue::Smallint(v)) => out.put_i16(*v),
        (CqlType::Tinyint, CqlValue::Tinyint(v)) => out.put_i8(*v),
        (CqlType::Boolean, CqlValue::Boolean(v)) => out.put_u8(u8::from(*v)),
        (CqlType::Float, CqlValue::Float(v)) => out.put_f32(*v),
        (CqlType::Double, CqlValue::Double(v)) => out.put_f64(*v),
        (CqlType::Date, CqlValue::Date(v)) => out.put_u32(*v),
        (CqlType::Time, CqlValue::Time(v)) => out.put_i64(*v),
        (CqlType::Uuid, CqlValue::Uuid(u) | CqlValue::Timeuuid(u)) => out.put_slice(u.as_bytes()),
        (CqlType::Timeuuid, CqlValue::Timeuuid(u) | CqlValue::Uuid(u)) => {
            if u.get_version_num() != 1 {
                return Err(TypeError::marshal("Invalid version for TimeUUID type."));
            }
            out.put_slice(u.as_bytes())
        }
        (CqlType::Inet, CqlValue::Inet(ip)) => match ip {
            IpAddr::V4(a) => out.put_slice(&a.octets()),
            IpAddr::V6(a) => out.put_slice(&a.octets()),
        },
        (CqlType::Varint, CqlValue::Varint(v)) => out.put_slice(&v.to_signed_bytes_be()),
        (CqlType::Decimal, CqlValue::Decimal { unscaled, scale }) => {
            out.put_i32(*scale);
            out.put_slice(&unscaled.to_signed_bytes_be());
        }
        (
            CqlType::Duration,
            CqlValue::Duration {
                months,
                days,
                nanos,
            },
        ) => {
            let pos = *months >= 0 && *days >= 0 && *nanos >= 0;
            let neg = *months <= 0 && *days <= 0 && *nanos <= 0;
            if !pos && !neg {
                return Err(TypeError::Marshal(format!(
                    "The duration months, days and nanoseconds must be all of the same sign ({months}, {days}, {nanos})"
                )));
            }
            vint::put_signed(out, i64::from(*months));
            vint::put_signed(out, i64::from(*days));
            vint::put_signed(out, *nanos);
        }
        (CqlType::List(e), CqlValue::List(items) | CqlValue::Set(items))
        | (CqlType::Set(e), CqlValue::Set(items) | CqlValue::List(items)) => {
            out.put_i32(len_i32(items.len())?);
            for item in items {
                write_prefixed(item, e, out, depth)?;
            }
        }
        (CqlType::Map(k, v), CqlValue::Map(items)) => {
            out.put_i32(len_i32(items.len())?);
            for (key, val) in items {
                write_prefixed(key, k, out, depth)?;
                write_prefixed(val, v, out, depth)?;
            }
        }
        (CqlType::Tuple(ts), CqlValue::Tuple(items)) => {
            if items.len() > ts.len() {
                return Err(TypeError::Marshal(format!(
                    "Tuple of {} values for a tuple type of {} fields",
                    items.len(),
                    ts.len()
                )));
            }
            for (item, t) in items.iter().zip(ts) {
                match item {
                    None => out.put_i32(-1),
                    Some(v) => write_prefixed(v, t, out, depth)?,
                }
            }
        }
        (CqlType::Udt(u), CqlValue::Udt(items)) => {
            // Fields go in the type's order; a field the value does not name is null.
            for (name, t) in &u.fields {
                match items
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.as_ref())
                {
                    None => out.put_i32(-1),
                    Some(v) => write_prefixed(v, t, out, depth)?,
                }
            }
            if let Some((n, _)) = items
                .iter()
                .find(|(n, _)| !u.fields.iter().any(|(f, _)| f == n))
            {
                return Err(TypeError::Marshal(format!(
                    "Unknown field '{n}' in value of user type {}",
                    u.name
                )));
            }
        }
        (CqlType::Vector(e, n), CqlValue::Vector(items)) => {
            if items.len() != *n as usize {
                return Err(TypeError::Marshal(format!(
                    "Invalid number of dimensions: expected {n}, got {}",
                    items.len()
                )));
            }
            let fixed = fixed_len(e).is_some();
            for item in items {
                if matches!(item, CqlValue::Empty) && fixed {
                    return Err(TypeError::marshal(
                        "Empty value is not valid inside a vector",
                    ));
                }
                if fixed {
                    write(item, e, out, depth + 1)?;
                } else {
                    let mut tmp = BytesMut::new();
                    write(item, e, &mut tmp, depth + 1)?;
                    vint::put_unsigned(out, tmp.len() as u64);
                    out.put_slice(&tmp);
                }
            }
        }
        _ => return Err(mismatch(value, typ)),
    }
    Ok(())
}
