//! Cassandra's order on serialized values: each `AbstractType.compare` of the marshal
//! types. Signed integers, IEEE floats as Java's `Float.compare` (-0.0 < 0.0, NaN
//! greatest, all NaNs equal), timeuuid by time then signed bytes, uuid by version then
//! (v1) time then unsigned bytes, text/ascii/blob/inet by unsigned bytes, varint and
//! decimal numerically, boolean false < true, date unsigned, frozen collections, tuples,
//! UDTs and vectors element by element. A zero-length value sorts first. `duration` is
//! not comparable (Cassandra forbids it in keys).
//!
//! [`super::key`] encodes values so that memcmp gives this same order; the tests check
//! the two against each other.

use std::cmp::Ordering;

use num_bigint::{BigInt, Sign};

use super::deserialize::{for_each_vector_element, Reader};
use super::{CqlType, TypeError};

/// Compares two serialized values of `typ` in Cassandra's order. Invalid values and
/// non-comparable types fall back to unsigned byte order; use [`try_compare`] to see
/// those as errors.
pub fn compare(typ: &CqlType, a: &[u8], b: &[u8]) -> Ordering {
    try_compare(typ, a, b).unwrap_or_else(|_| a.cmp(b))
}

/// [`compare`], with invalid values and `duration` reported as errors.
pub fn try_compare(typ: &CqlType, a: &[u8], b: &[u8]) -> Result<Ordering, TypeError> {
    cmp(typ, a, b, 0)
}

impl CqlType {
    /// Whether `duration` appears anywhere in this type. Such types have no order:
    /// Cassandra refuses them in primary keys and as set elements or map keys.
    pub fn references_duration(&self) -> bool {
        match self {
            CqlType::Duration => true,
            CqlType::List(e) | CqlType::Set(e) | CqlType::Frozen(e) | CqlType::Vector(e, _) => {
                e.references_duration()
            }
            CqlType::Map(k, v) => k.references_duration() || v.references_duration(),
            CqlType::Tuple(ts) => ts.iter().any(CqlType::references_duration),
            CqlType::Udt(u) => u.fields.iter().any(|(_, t)| t.references_duration()),
            _ => false,
        }
    }
}

pub(crate) fn not_comparable(typ: &CqlType) -> TypeError {
    TypeError::NotComparable(format!(
        "{} values are not comparable and cannot be used in keys",
        typ.cql_name()
    ))
}

fn bad(typ: &CqlType) -> TypeError {
    TypeError::Marshal(format!("Invalid serialized {} value", typ.cql_name()))
}

fn fixed<const N: usize>(typ: &CqlType, v: &[u8]) -> Result<[u8; N], TypeError> {
    v.try_into().map_err(|_| bad(typ))
}

/// Java's `Float.compare` / `Double.compare` on the bit patterns.
fn cmp_f64(a: f64, b: f64) -> Ordering {
    let canon = |x: f64| if x.is_nan() { f64::NAN } else { x };
    canon(a).total_cmp(&canon(b))
}

/// The time-ordered form of a v1 UUID's most significant long (`TimeUUIDType
/// .reorderTimestampBytes`): time_hi+version, time_mid, time_low.
pub(crate) fn reorder_msb(msb: u64) -> u64 {
    (msb << 48) | ((msb << 16) & 0xFFFF_0000_0000) | (msb >> 32)
}

/// The inverse of [`reorder_msb`].
pub(crate) fn unreorder_msb(r: u64) -> u64 {
    ((r & 0xFFFF_FFFF) << 32) | (((r >> 32) & 0xFFFF) << 16) | (r >> 48)
}

/// A non-zero decimal as sign, exponent and significant digits: the value is
/// `sign * 0.d1d2...dn * 10^exponent` with `dn != 0`. Zero gives `(0, 0, [])`. Used by
/// both the comparison and the key encoding, so that `1.0` and `1.00` are equal.
pub(crate) fn decimal_parts(unscaled: &BigInt, scale: i32) -> (i8, i64, Vec<u8>) {
    let sign = match unscaled.sign() {
        Sign::Minus => -1,
        Sign::NoSign => return (0, 0, Vec::new()),
        Sign::Plus => 1,
    };
    let mut digits: Vec<u8> = unscaled
        .magnitude()
        .to_string()
        .bytes()
        .map(|c| c - b'0')
        .collect();
    let len = digits.len() as i64;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    (sign, len - i64::from(scale), digits)
}

pub(crate) fn cmp_decimal_parts(a: &(i8, i64, Vec<u8>), b: &(i8, i64, Vec<u8>)) -> Ordering {
    let by_sign = a.0.cmp(&b.0);
    if by_sign != Ordering::Equal || a.0 == 0 {
        return by_sign;
    }
    let magnitude = a.1.cmp(&b.1).then_with(|| a.2.cmp(&b.2));
    if a.0 < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

pub(crate) fn decimal_from_bytes(typ: &CqlType, v: &[u8]) -> Result<(i8, i64, Vec<u8>), TypeError> {
    let (scale, unscaled) = v.split_first_chunk::<4>().ok_or_else(|| bad(typ))?;
    Ok(decimal_parts(
        &BigInt::from_signed_bytes_be(unscaled),
        i32::from_be_bytes(*scale),
    ))
}

fn cmp(typ: &CqlType, a: &[u8], b: &[u8], depth: usize) -> Result<Ordering, TypeError> {
    if depth > 64 {
        return Err(bad(typ));
    }
    let typ = typ.unfrozen();
    if matches!(typ, CqlType::Duration) {
        return Err(not_comparable(typ));
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ok(Ordering::Equal),
        (true, false) => return Ok(Ordering::Less),
        (false, true) => return Ok(Ordering::Greater),
        _ => {}
    }
    Ok(match typ {
        CqlType::Int => i32::from_be_bytes(fixed(typ, a)?).cmp(&i32::from_be_bytes(fixed(typ, b)?)),
        CqlType::Bigint | CqlType::Counter | CqlType::Timestamp | CqlType::Time => {
            i64::from_be_bytes(fixed(typ, a)?).cmp(&i64::from_be_bytes(fixed(typ, b)?))
        }
        CqlType::Smallint => {
            i16::from_be_bytes(fixed(typ, a)?).cmp(&i16::from_be_bytes(fixed(typ, b)?))
        }
        CqlType::Tinyint => {
            i8::from_be_bytes(fixed(typ, a)?).cmp(&i8::from_be_bytes(fixed(typ, b)?))
        }
        CqlType::Date => {
            u32::from_be_bytes(fixed(typ, a)?).cmp(&u32::from_be_bytes(fixed(typ, b)?))
        }
        CqlType::Boolean => {
            let t = |v: &[u8]| -> Result<bool, TypeError> { Ok(fixed::<1>(typ, v)?[0] != 0) };
            t(a)?.cmp(&t(b)?)
        }
        CqlType::Float => cmp_f64(
            f64::from(f32::from_be_bytes(fixed(typ, a)?)),
            f64::from(f32::from_be_bytes(fixed(typ, b)?)),
        ),
        CqlType::Double => cmp_f64(
            f64::from_be_bytes(fixed(typ, a)?),
            f64::from_be_bytes(fixed(typ, b)?),
        ),
        CqlType::Uuid => {
            let (x, y) = (
                u128::from_be_bytes(fixed(typ, a)?),
                u128::from_be_bytes(fixed(typ, b)?),
            );
            let version = |u: u128| ((u >> 76) & 0xF) as u8;
            let msb = |u: u128| (u >> 64) as u64;
            let (vx, vy) = (version(x), version(y));
            if vx != vy {
                vx.cmp(&vy)
            } else if vx == 1 {
                reorder_msb(msb(x))
                    .cmp(&reorder_msb(msb(y)))
                    .then((x as u64).cmp(&(y as u64)))
            } else {
                x.cmp(&y)
            }
        }
        CqlType::Timeuuid => {
            let (x, y) = (
                u128::from_be_bytes(fixed(typ, a)?),
                u128::from_be_bytes(fixed(typ, b)?),
            );
            let msb = |u: u128| reorder_msb((u >> 64) as u64) as i64;
            // The low half compares as signed bytes (TimeUUIDType, for compatibility).
            let lsb = |u: u128| (u as u64).to_be_bytes().map(|b| b as i8);
            msb(x).cmp(&msb(y)).then_with(|| lsb(x).cmp(&lsb(y)))
        }
        CqlType::Varint => BigInt::from_signed_bytes_be(a).cmp(&BigInt::from_signed_bytes_be(b)),
        CqlType::Decimal => {
            cmp_decimal_parts(&decimal_from_bytes(typ, a)?, &decimal_from_bytes(typ, b)?)
        }
        CqlType::List(e) | CqlType::Set(e) => {
            let (mut ra, mut rb) = (Reader::new(a, "list"), Reader::new(b, "list"));
            let (na, nb) = (ra.count()?, rb.count()?);
            for _ in 0..na.min(nb) {
                let c = cmp(e, ra.element()?, rb.element()?, depth + 1)?;
                if c != Ordering::Equal {
                    return Ok(c);
                }
            }
            na.cmp(&nb)
        }
        CqlType::Map(k, v) => {
            let (mut ra, mut rb) = (Reader::new(a, "map"), Reader::new(b, "map"));
            let (na, nb) = (ra.count()?, rb.count()?);
            for _ in 0..na.min(nb) {
                let c = cmp(k, ra.element()?, rb.element()?, depth + 1)?;
                if c != Ordering::Equal {
                    return Ok(c);
                }
                let c = cmp(v, ra.element()?, rb.element()?, depth + 1)?;
                if c != Ordering::Equal {
                    return Ok(c);
                }
            }
            na.cmp(&nb)
        }
        CqlType::Tuple(ts) => cmp_fields(ts.iter(), a, b, depth)?,
        CqlType::Udt(u) => cmp_fields(u.fields.iter().map(|(_, t)| t), a, b, depth)?,
        CqlType::Vector(e, n) => {
            let mut xs = Vec::new();
            for_each_vector_element(e, *n, a, |v| {
                xs.push(v);
                Ok(())
            })?;
            let mut i = 0;
            let mut out = Ordering::Equal;
            for_each_vector_element(e, *n, b, |v| {
                if out == Ordering::Equal {
                    if let Some(x) = xs.get(i) {
                        out = cmp(e, x, v, depth + 1)?;
                    }
                }
                i += 1;
                Ok(())
            })?;
            out
        }
        // Text, ascii, blob, inet and custom types: unsigned bytes.
        _ => a.cmp(b),
    })
}

/// Tuples and UDTs: field by field, null before any value, fewer fields first.
fn cmp_fields<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    a: &[u8],
    b: &[u8],
    depth: usize,
) -> Result<Ordering, TypeError> {
    let (mut ra, mut rb) = (Reader::new(a, "tuple"), Reader::new(b, "tuple"));
    for t in types {
        match (ra.rest.is_empty(), rb.rest.is_empty()) {
            (true, true) => return Ok(Ordering::Equal),
            (true, false) => return Ok(Ordering::Less),
            (false, true) => return Ok(Ordering::Greater),
            _ => {}
        }
        let c = match (ra.value()?, rb.value()?) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => cmp(t, x, y, depth + 1)?,
        };
        if c != Ordering::Equal {
            return Ok(c);
        }
    }
    Ok(ra.rest.len().cmp(&rb.rest.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(t: CqlType, a: &[u8], b: &[u8]) -> Ordering {
        compare(&t, a, b)
    }

    #[test]
    fn scalars_order_like_cassandra() {
        assert_eq!(
            c(CqlType::Int, &(-1i32).to_be_bytes(), &1i32.to_be_bytes()),
            Ordering::Less
        );
        assert_eq!(
            c(CqlType::Date, &0u32.to_be_bytes(), &u32::MAX.to_be_bytes()),
            Ordering::Less
        );
        let f = |x: f32| x.to_be_bytes();
        assert_eq!(c(CqlType::Float, &f(-0.0), &f(0.0)), Ordering::Less);
        assert_eq!(
            c(CqlType::Float, &f(f32::INFINITY), &f(f32::NAN)),
            Ordering::Less
        );
        assert_eq!(
            c(CqlType::Float, &f(f32::NAN), &f(-f32::NAN)),
            Ordering::Equal
        );
        assert_eq!(c(CqlType::Int, &[], &0i32.to_be_bytes()), Ordering::Less);
        assert_eq!(c(CqlType::Varint, &[0xFF], &[0x00, 0x80]), Ordering::Less);
        assert_eq!(c(CqlType::Text, b"a", b"ab"), Ordering::Less);
        assert_eq!(c(CqlType::Boolean, &[0], &[1]), Ordering::Less);
    }

    #[test]
    fn decimals_compare_numerically_ignoring_scale() {
        let d = |u: i64, s: i32| {
            let mut v = s.to_be_bytes().to_vec();
            v.extend(BigInt::from(u).to_signed_bytes_be());
            v
        };
        assert_eq!(c(CqlType::Decimal, &d(10, 1), &d(100, 2)), Ordering::Equal);
        assert_eq!(c(CqlType::Decimal, &d(-5, 0), &d(1, 3)), Ordering::Less);
        assert_eq!(c(CqlType::Decimal, &d(15, 1), &d(2, 0)), Ordering::Less);
        assert_eq!(
            c(CqlType::Decimal, &d(-15, 1), &d(-2, 0)),
            Ordering::Greater
        );
        assert_eq!(c(CqlType::Decimal, &d(0, 5), &d(0, -3)), Ordering::Equal);
    }

    #[test]
    fn timeuuids_order_by_time_first() {
        // Same node/clock, times 1 and 2 in time_low; v1.
        let mk = |t: u32, lsb: u64| {
            let msb = (u64::from(t) << 32) | 0x1000;
            let mut v = msb.to_be_bytes().to_vec();
            v.extend(lsb.to_be_bytes());
            v
        };
        assert_eq!(
            c(CqlType::Timeuuid, &mk(1, u64::MAX), &mk(2, 0)),
            Ordering::Less
        );
        // Signed low bytes: 0x80.. sorts before 0x00...
        assert_eq!(
            c(CqlType::Timeuuid, &mk(1, 1 << 63), &mk(1, 0)),
            Ordering::Less
        );
        assert_eq!(
            c(CqlType::Uuid, &mk(1, 1 << 63), &mk(1, 0)),
            Ordering::Greater
        );
    }

    #[test]
    fn duration_is_not_comparable() {
        let t = CqlType::Tuple(vec![CqlType::Int, CqlType::Duration]);
        assert!(t.references_duration());
        assert!(!CqlType::List(Box::new(CqlType::Int)).references_duration());
        assert!(matches!(
            try_compare(&CqlType::Duration, &[0, 0, 2], &[0, 0, 4]),
            Err(TypeError::NotComparable(_))
        ));
    }
}
