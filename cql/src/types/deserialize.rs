//! Reading serialized values (native protocol v4 section 6, v5 section 6; protocol v3+
//! collection format: `[int]` counts and element lengths). [`deserialize`] builds a
//! [`CqlValue`]; [`validate`] checks the same rules without allocating. Messages are
//! Cassandra's `MarshalException` texts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use num_bigint::BigInt;
use uuid::Uuid;

use super::vint;
use super::{CqlType, CqlValue, TypeError};

/// Nesting deeper than this is rejected before it can exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Decodes the serialized value `bytes` of type `typ`. A zero-length input gives
/// [`CqlValue::Empty`] for the types Cassandra accepts it for (and `""` for text,
/// ascii and blob).
pub fn deserialize(typ: &CqlType, bytes: &[u8]) -> Result<CqlValue, TypeError> {
    read(typ, bytes, 0)
}

/// Checks that `bytes` is a valid serialized value of `typ`, without allocating.
pub fn validate(typ: &CqlType, bytes: &[u8]) -> Result<(), TypeError> {
    check(typ, bytes, 0)
}

/// The length of every value of `typ` if Cassandra declares it fixed
/// (`AbstractType.valueLengthIfFixed`): vectors of such types store their elements back
/// to back, all others put an unsigned vint length before each element. Cassandra
/// declares only these types fixed: tinyint, smallint, date, time and counter are
/// "variable" although their values always have the same size (the scylla driver
/// documents the same list).
pub fn fixed_len(typ: &CqlType) -> Option<usize> {
    match typ.unfrozen() {
        CqlType::Boolean => Some(1),
        CqlType::Int | CqlType::Float => Some(4),
        CqlType::Bigint | CqlType::Double | CqlType::Timestamp => Some(8),
        CqlType::Uuid | CqlType::Timeuuid => Some(16),
        CqlType::Vector(e, n) => fixed_len(e).and_then(|l| l.checked_mul(*n as usize)),
        _ => None,
    }
}

/// The size of a value of a fixed-size scalar type (integers, timestamp, time), for
/// the key encoding.
pub(crate) fn scalar_len(typ: &CqlType) -> usize {
    match typ {
        CqlType::Tinyint => 1,
        CqlType::Smallint => 2,
        CqlType::Int => 4,
        _ => 8,
    }
}

/// Whether a zero-length value is accepted for `typ` (beyond text, ascii and blob,
/// where it is simply the empty string).
pub fn accepts_empty(typ: &CqlType) -> bool {
    !matches!(
        typ.unfrozen(),
        CqlType::Smallint
            | CqlType::Tinyint
            | CqlType::Date
            | CqlType::Time
            | CqlType::Duration
            | CqlType::List(_)
            | CqlType::Set(_)
            | CqlType::Map(..)
            | CqlType::Vector(..)
    )
}

fn exact<const N: usize>(
    bytes: &[u8],
    msg: impl FnOnce(usize) -> String,
) -> Result<[u8; N], TypeError> {
    bytes
        .try_into()
        .map_err(|_| TypeError::Marshal(msg(bytes.len())))
}

/// A cursor over the elements of a collection, tuple or UDT.
pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(rest: &'a [u8], what: &'static str) -> Self {
        Reader { rest, what }
    }

    fn short(&self) -> TypeError {
        TypeError::Marshal(format!("Not enough bytes to read a {}", self.what))
    }

    pub(crate) fn int(&mut self) -> Result<i32, TypeError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<4>()
            .ok_or_else(|| self.short())?;
        self.rest = tail;
        Ok(i32::from_be_bytes(*head))
    }

    /// An `[int]`-prefixed value; `None` for a negative length (null).
    pub(crate) fn value(&mut self) -> Result<Option<&'a [u8]>, TypeError> {
        let len = self.int()?;
        if len < 0 {
            return Ok(None);
        }
        let len = len as usize;
        if self.rest.len() < len {
            return Err(self.short());
        }
        let (v, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(Some(v))
    }

    /// A collection element: nulls are rejected as Cassandra does.
    pub(crate) fn element(&mut self) -> Result<&'a [u8], TypeError> {
        self.value()?
            .ok_or_else(|| TypeError::marshal("null is not supported inside collections"))
    }

    pub(crate) fn count(&mut self) -> Result<usize, TypeError> {
        let n = self.int()?;
        if n < 0 {
            return Err(TypeError::Marshal(format!(
                "Invalid negative {} size ({n})",
                self.what
            )));
        }
        // Each element takes at least 4 bytes: a larger count is a lie.
        if n as usize > self.rest.len() / 4 {
            return Err(self.short());
        }
        Ok(n as usize)
    }

    pub(crate) fn finish(&self) -> Result<(), TypeError> {
        if self.rest.is_empty() {
            return Ok(());
        }
        // Cassandra's wording differs between collections and tuples/UDTs.
        Err(TypeError::Marshal(match self.what {
            "tuple" => "Invalid remaining data after end of tuple value".to_string(),
            "user type" => "Invalid remaining data after end of UDT value".to_string(),
            what => format!("Unexpected extraneous bytes after {what} value"),
        }))
    }

    /// A vector element of variable length: an unsigned vint, then the bytes.
    pub(crate) fn vint_value(&mut self) -> Result<&'a [u8], TypeError> {
        let (len, n) = vint::get_unsigned(self.rest).ok_or_else(|| self.short())?;
        let rest = self.rest.get(n..).ok_or_else(|| self.short())?;
        let len = usize::try_from(len).map_err(|_| self.short())?;
        if rest.len() < len {
            return Err(self.short());
        }
        let (v, tail) = rest.split_at(len);
        self.rest = tail;
        Ok(v)
    }
}

/// Decodes a duration's three vints, checking ranges and signs.
pub(crate) fn duration_parts(bytes: &[u8]) -> Result<(i32, i32, i64), TypeError> {
    if bytes.len() < 3 {
        return Err(TypeError::Marshal(format!(
            "Expected at least 3 bytes for a duration ({})",
            bytes.len()
        )));
    }
    let bad = || TypeError::marshal("Invalid duration value");
    let (months, a) = vint::get_signed(bytes).ok_or_else(bad)?;
    let (days, b) = vint::get_signed(bytes.get(a..).ok_or_else(bad)?).ok_or_else(bad)?;
    let (nanos, c) = vint::get_signed(bytes.get(a + b..).ok_or_else(bad)?).ok_or_else(bad)?;
    if a + b + c != bytes.len() {
        return Err(TypeError::marshal(
            "Unexpected extraneous bytes after duration value",
        ));
    }
    let months = i32::try_from(months).map_err(|_| {
        TypeError::Marshal(format!(
            "The duration months must be a 32 bits integer ({months})"
        ))
    })?;
    let days = i32::try_from(days).map_err(|_| {
        TypeError::Marshal(format!(
            "The duration days must be a 32 bits integer ({days})"
        ))
    })?;
    let all_pos = months >= 0 && days >= 0 && nanos >= 0;
    let all_neg = months <= 0 && days <= 0 && nanos <= 0;
    if !all_pos && !all_neg {
        return Err(TypeError::Marshal(format!(
            "The duration months, days and nanoseconds must be all of the same sign ({months}, {days}, {nanos})"
        )));
    }
    Ok((months, days, nanos))
}

fn check_ascii(bytes: &[u8]) -> Result<(), TypeError> {
    match bytes.iter().find(|b| !b.is_ascii()) {
        Some(b) => Err(TypeError::Marshal(format!(
            "Invalid byte for ascii: {}",
            *b as i8
        ))),
        None => Ok(()),
    }
}

fn check_utf8(bytes: &[u8]) -> Result<&str, TypeError> {
    std::str::from_utf8(bytes).map_err(|_| TypeError::marshal("String didn't validate."))
}

/// Checks the length (and the few value rules) of a scalar; shared by `read` and
/// `check`. Messages are only built on failure: `validate` runs on every bound value.
fn scalar(typ: &CqlType, bytes: &[u8]) -> Result<(), TypeError> {
    let len = bytes.len();
    let want = |ok: bool, msg: &dyn Fn() -> String| {
        if ok {
            Ok(())
        } else {
            Err(TypeError::Marshal(msg()))
        }
    };
    match typ {
        CqlType::Int => want(len == 4, &|| format!("Expected 4 or 0 byte int ({len})")),
        CqlType::Bigint | CqlType::Counter => {
            want(len == 8, &|| format!("Expected 8 or 0 byte long ({len})"))
        }
        CqlType::Smallint => want(len == 2, &|| {
            format!("Expected 2 bytes for a smallint ({len})")
        }),
        CqlType::Tinyint => want(len == 1, &|| {
            format!("Expected 1 byte for a tinyint ({len})")
        }),
        CqlType::Float => want(len == 4, &|| {
            format!("Expected 4 or 0 byte value for a float ({len})")
        }),
        CqlType::Double => want(len == 8, &|| {
            format!("Expected 8 or 0 byte value for a double ({len})")
        }),
        CqlType::Boolean => want(len == 1, &|| format!("Expected 1 or 0 byte value ({len})")),
        CqlType::Timestamp => want(len == 8, &|| {
            format!("Expected 8 or 0 byte long for date ({len})")
        }),
        CqlType::Date => want(len == 4, &|| {
            format!("Expected 4 byte long for date ({len})")
        }),
        // Cassandra checks only the length of a time value, not its range.
        CqlType::Time => want(len == 8, &|| {
            format!("Expected 8 byte long for time ({len})")
        }),
        CqlType::Uuid => want(len == 16, &|| {
            format!("UUID should be 16 or 0 bytes ({len})")
        }),
        CqlType::Timeuuid => {
            want(len == 16, &|| {
                format!("TimeUUID should be 16 or 0 bytes ({len})")
            })?;
            want(bytes.get(6).is_some_and(|b| b & 0xF0 == 0x10), &|| {
                "Invalid version for TimeUUID type.".into()
            })
        }
        CqlType::Inet => want(len == 4 || len == 16, &|| {
            format!("Expected 4 or 16 byte inetaddress; got 0x{}", hex(bytes))
        }),
        CqlType::Decimal => want(len >= 4, &|| {
            format!("Expected 0 or at least 4 bytes ({len})")
        }),
        _ => Ok(()),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(typ: &CqlType, bytes: &[u8], depth: usize) -> Result<(), TypeError> {
    if depth > MAX_DEPTH {
        return Err(TypeError::marshal("Value nested too deeply"));
    }
    let typ = typ.unfrozen();
    if bytes.is_empty() && accepts_empty(typ) {
        return Ok(());
    }
    scalar(typ, bytes)?;
    match typ {
        CqlType::Ascii => check_ascii(bytes),
        CqlType::Text => check_utf8(bytes).map(|_| ()),
        CqlType::Duration => duration_parts(bytes).map(|_| ()),
        CqlType::List(e) | CqlType::Set(e) => {
            let mut r = Reader::new(
                bytes,
                if matches!(typ, CqlType::List(_)) {
                    "list"
                } else {
                    "set"
                },
            );
            for _ in 0..r.count()? {
                check(e, r.element()?, depth + 1)?;
            }
            r.finish()
        }
        CqlType::Map(k, v) => {
            let mut r = Reader::new(bytes, "map");
            for _ in 0..r.count()? {
                check(k, r.element()?, depth + 1)?;
                check(v, r.element()?, depth + 1)?;
            }
            r.finish()
        }
        CqlType::Tuple(ts) => {
            let mut r = Reader::new(bytes, "tuple");
            for t in ts {
                if r.rest.is_empty() {
                    break;
                }
                if let Some(v) = r.value()? {
                    check(t, v, depth + 1)?;
                }
            }
            r.finish()
        }
        CqlType::Udt(u) => {
            let mut r = Reader::new(bytes, "user type");
            for (_, t) in &u.fields {
                if r.rest.is_empty() {
                    break;
                }
                if let Some(v) = r.value()? {
                    check(t, v, depth + 1)?;
                }
            }
            r.finish()
        }
        CqlType::Vector(e, n) => for_each_vector_element(e, *n, bytes, |v| check(e, v, depth + 1)),
        _ => Ok(()),
    }
}

/// Splits a vector value into its `n` elements (fixed-size elements back to back,
/// variable-size ones each after an unsigned vint length).
pub(crate) fn for_each_vector_element<'a>(
    elem: &CqlType,
    n: u32,
    bytes: &'a [u8],
    mut f: impl FnMut(&'a [u8]) -> Result<(), TypeError>,
) -> Result<(), TypeError> {
    if let Some(size) = fixed_len(elem) {
        let want = size.saturating_mul(n as usize);
        if bytes.len() != want {
            return Err(TypeError::Marshal(format!(
                "Expected {want} bytes for a vector of {n} dimensions, got {}",
                bytes.len()
            )));
        }
        for chunk in bytes.chunks_exact(size.max(1)) {
            f(chunk)?;
        }
        return Ok(());
    }
    let mut r = Reader::new(bytes, "vector");
    for _ in 0..n {
        f(r.vint_value()?)?;
    }
    r.finish()
}

fn read(typ: &CqlType, bytes: &[u8], depth: usize) -> Result<CqlValue, TypeError> {
    if depth > MAX_DEPTH {
        return Err(TypeError::marshal("Value nested too deeply"));
    }
    let typ = typ.unfrozen();
    match typ {
        CqlType::Text => return Ok(CqlValue::Text(check_utf8(bytes)?.to_owned())),
        CqlType::Ascii => {
            check_ascii(bytes)?;
            return Ok(CqlValue::Ascii(String::from_utf8_lossy(bytes).into_owned()));
        }
        CqlType::Blob | CqlType::Custom(_) => {
            return Ok(CqlValue::Blob(Bytes::copy_from_slice(bytes)))
        }
        _ => {}
    }
    if bytes.is_empty() && accepts_empty(typ) {
        return Ok(CqlValue::Empty);
    }
    scalar(typ, bytes)?;
    let b8 = || exact::<8>(bytes, |_| String::new());
    let b4 = || exact::<4>(bytes, |_| String::new());
    Ok(match typ {
        CqlType::Int => CqlValue::Int(i32::from_be_bytes(b4()?)),
        CqlType::Bigint => CqlValue::Bigint(i64::from_be_bytes(b8()?)),
        CqlType::Counter => CqlValue::Counter(i64::from_be_bytes(b8()?)),
        CqlType::Smallint => {
            CqlValue::Smallint(i16::from_be_bytes(exact::<2>(bytes, |_| String::new())?))
        }
        CqlType::Tinyint => {
            CqlValue::Tinyint(i8::from_be_bytes(exact::<1>(bytes, |_| String::new())?))
        }
        CqlType::Float => CqlValue::Float(f32::from_be_bytes(b4()?)),
        CqlType::Double => CqlValue::Double(f64::from_be_bytes(b8()?)),
        CqlType::Boolean => CqlValue::Boolean(bytes.first().is_some_and(|b| *b != 0)),
        CqlType::Timestamp => CqlValue::Timestamp(i64::from_be_bytes(b8()?)),
        CqlType::Date => CqlValue::Date(u32::from_be_bytes(b4()?)),
        CqlType::Time => CqlValue::Time(i64::from_be_bytes(b8()?)),
        CqlType::Uuid => CqlValue::Uuid(Uuid::from_bytes(exact::<16>(bytes, |_| String::new())?)),
        CqlType::Timeuuid => {
            CqlValue::Timeuuid(Uuid::from_bytes(exact::<16>(bytes, |_| String::new())?))
        }
        CqlType::Inet => match bytes.len() {
            4 => CqlValue::Inet(IpAddr::V4(Ipv4Addr::from(b4()?))),
            _ => CqlValue::Inet(IpAddr::V6(Ipv6Addr::from(exact::<16>(bytes, |_| {
                String::new()
            })?))),
        },
        CqlType::Varint => CqlValue::Varint(BigInt::from_signed_bytes_be(bytes)),
        CqlType::Decimal => {
            let (scale, unscaled) = bytes.split_at(4);
            let scale = i32::from_be_bytes(exact::<4>(scale, |_| String::new())?);
            CqlValue::Decimal {
                unscaled: BigInt::from_signed_bytes_be(unscaled),
                scale,
            }
        }
        CqlType::Duration => {
            let (months, days, nanos) = duration_parts(bytes)?;
            CqlValue::Duration {
                months,
                days,
                nanos,
            }
        }
        CqlType::List(e) | CqlType::Set(e) => {
            let is_list = matches!(typ, CqlType::List(_));
            let mut r = Reader::new(bytes, if is_list { "list" } else { "set" });
            let n = r.count()?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(read(e, r.element()?, depth + 1)?);
            }
            r.finish()?;
            if is_list {
                CqlValue::List(items)
            } else {
                CqlValue::Set(items)
            }
        }
        CqlType::Map(k, v) => {
            let mut r = Reader::new(bytes, "map");
            let n = r.count()?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let key = read(k, r.element()?, depth + 1)?;
                items.push((key, read(v, r.element()?, depth + 1)?));
            }
            r.finish()?;
            CqlValue::Map(items)
        }
        CqlType::Tuple(ts) => {
            let mut r = Reader::new(bytes, "tuple");
            let mut items = Vec::with_capacity(ts.len());
            for t in ts {
                // Trailing fields may be missing: they read as null.
                let v = if r.rest.is_empty() { None } else { r.value()? };
                items.push(v.map(|v| read(t, v, depth + 1)).transpose()?);
            }
            r.finish()?;
            CqlValue::Tuple(items)
        }
        CqlType::Udt(u) => {
            let mut r = Reader::new(bytes, "user type");
            let mut items = Vec::with_capacity(u.fields.len());
            for (name, t) in &u.fields {
                let v = if r.rest.is_empty() { None } else { r.value()? };
                items.push((name.clone(), v.map(|v| read(t, v, depth + 1)).transpose()?));
            }
            r.finish()?;
            CqlValue::Udt(items)
        }
        CqlType::Vector(e, n) => {
            let mut items = Vec::with_capacity((*n as usize).min(bytes.len()));
            for_each_vector_element(e, *n, bytes, |v| {
                items.push(read(e, v, depth + 1)?);
                Ok(())
            })?;
            CqlValue::Vector(items)
        }
        // Handled above; Frozen was removed by `unfrozen`.
        CqlType::Text
        | CqlType::Ascii
        | CqlType::Blob
        | CqlType::Custom(_)
        | CqlType::Frozen(_) => return Err(TypeError::marshal("unreachable type in deserialize")),
    })
}
