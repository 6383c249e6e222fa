//! Byte-comparable keys: [`encode_key_component`] turns a serialized clustering value
//! into bytes whose memcmp order is Cassandra's order ([`super::compare`]), so storage
//! sorts and merges rows by comparing bytes. [`decode_key_component`] gives the
//! serialized value back. [`partition_key_bytes`] builds the partition-key bytes the
//! token is computed on (CompositeType for several components).
//!
//! Each component is self-delimiting (no encoding is a prefix of another), so a
//! clustering prefix sorts before its extensions and memcmp on concatenations compares
//! component by component. Component layout (ascending):
//! - `0x01`: the zero-length value (sorts before any other value);
//! - `0x02` then the payload:
//!   - signed integers, timestamp, time: big-endian with the sign bit flipped;
//!   - date: big-endian; boolean: 0 or 1; float/double: IEEE bits, negative numbers
//!     inverted, positive ones with the sign bit set, NaN canonical;
//!   - uuid: version byte, then the time-ordered high half for v1, then the low half;
//!     timeuuid: time-ordered high half (sign flipped), low half with every byte ^ 0x80;
//!   - text, ascii, blob, inet, custom: bytes with 0x00 escaped as 0x00 0xFF, ended by
//!     0x00 0x00;
//!   - varint: sign byte (0 negative, 1 zero, 2 positive), u32 magnitude length, the
//!     magnitude; inverted for negatives;
//!   - decimal: sign byte, exponent (i64, sign flipped), one byte per significant digit
//!     (digit + 1), 0x00; inverted for negatives. `1.0` and `1.00` encode alike (they
//!     are equal in Cassandra), so decoding gives the normalized form (`1.0` -> `1`);
//!   - list, set: each element's component encoding, then 0x00; map: key, value, ...,
//!     0x00; tuple, UDT: per present field 0x01 (null) or 0x02 + component, then 0x00;
//!     vector: the elements' components.
//!
//! Descending columns invert every bit of the component. `duration` is refused.

use bytes::{BufMut, Bytes, BytesMut};
use num_bigint::{BigInt, BigUint, Sign};

use super::compare::{decimal_from_bytes, not_comparable, reorder_msb, unreorder_msb};
use super::deserialize::{for_each_vector_element, Reader};
use super::{CqlType, TypeError};

/// Appended to an encoded clustering prefix, gives a bound after every extension of the
/// prefix: a following component always starts with 0x01/0x02 (ASC) or 0xFE/0xFD
/// (DESC). The prefix itself sorts before all its extensions. So the rows "starting
/// with P" are exactly the keys in `[P, P ++ [PREFIX_END])`.
pub const PREFIX_END: u8 = 0xFF;

/// The largest partition-key component Cassandra accepts.
pub const MAX_KEY_COMPONENT: usize = 65535;

const EMPTY: u8 = 0x01;
const VALUE: u8 = 0x02;

/// Appends the byte-comparable form of the serialized value `value` of `typ`.
/// `descending` inverts it for a DESC clustering column.
pub fn encode_key_component(
    typ: &CqlType,
    value: &[u8],
    descending: bool,
    out: &mut Vec<u8>,
) -> Result<(), TypeError> {
    let start = out.len();
    if let Err(e) = encode(typ, value, out, 0) {
        out.truncate(start);
        return Err(e);
    }
    if descending {
        for b in out.iter_mut().skip(start) {
            *b = !*b;
        }
    }
    Ok(())
}

/// Reads one component written by [`encode_key_component`] from the front of `input`;
/// returns the serialized value and the number of bytes consumed.
pub fn decode_key_component(
    typ: &CqlType,
    input: &[u8],
    descending: bool,
) -> Result<(Bytes, usize), TypeError> {
    let mut src = Src {
        data: input,
        pos: 0,
        mask: if descending { 0xFF } else { 0 },
    };
    let mut out = BytesMut::new();
    decode(typ, &mut src, &mut out, 0)?;
    Ok((out.freeze(), src.pos))
}

/// Cassandra's partition-key serialization, on which the token is computed: the
/// component itself when there is one; otherwise CompositeType: per component a
/// 2-byte big-endian length, the bytes, then 0x00.
/// Each component must be at most [`MAX_KEY_COMPONENT`] bytes (the server rejects
/// longer keys as Cassandra does: `Key length of N is longer than maximum of 65535`);
/// a longer one would not fit its 2-byte length.
pub fn partition_key_bytes(components: &[&[u8]]) -> Bytes {
    if let [only] = components {
        return Bytes::copy_from_slice(only);
    }
    let mut out = BytesMut::with_capacity(components.iter().map(|c| c.len() + 3).sum());
    for c in components {
        out.put_u16(c.len() as u16);
        out.put_slice(c);
        out.put_u8(0);
    }
    out.freeze()
}

fn bad(typ: &CqlType) -> TypeError {
    TypeError::Marshal(format!("Invalid serialized {} value", typ.cql_name()))
}

fn fixed<const N: usize>(typ: &CqlType, v: &[u8]) -> Result<[u8; N], TypeError> {
    v.try_into().map_err(|_| bad(typ))
}

fn escaped(v: &[u8], out: &mut Vec<u8>) {
    for &b in v {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

fn inverted_from(out: &mut [u8], start: usize) {
    for b in out.iter_mut().skip(start) {
        *b = !*b;
    }
}

fn encode(typ: &CqlType, v: &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), TypeError> {
    if depth > 64 {
        return Err(bad(typ));
    }
    let typ = typ.unfrozen();
    if matches!(typ, CqlType::Duration) {
        return Err(not_comparable(typ));
    }
    if v.is_empty() {
        out.push(EMPTY);
        return Ok(());
    }
    out.push(VALUE);
    match typ {
        CqlType::Int
        | CqlType::Bigint
        | CqlType::Counter
        | CqlType::Smallint
        | CqlType::Tinyint
        | CqlType::Timestamp
        | CqlType::Time => {
            let want = super::deserialize::scalar_len(typ);
            if v.len() != want {
                return Err(bad(typ));
            }
            let start = out.len();
            out.extend_from_slice(v);
            if let Some(first) = out.get_mut(start) {
                *first ^= 0x80;
            }
        }
        CqlType::Date => out.extend_from_slice(&fixed::<4>(typ, v)?),
        CqlType::Boolean => out.push(u8::from(fixed::<1>(typ, v)?[0] != 0)),
        CqlType::Float => {
            let f = f32::from_be_bytes(fixed(typ, v)?);
            let bits = if f.is_nan() {
                f32::NAN.to_bits()
            } else {
                f.to_bits()
            };
            let key = if bits >> 31 == 1 {
                !bits
            } else {
                bits | 1 << 31
            };
            out.extend_from_slice(&key.to_be_bytes());
        }
        CqlType::Double => {
            let f = f64::from_be_bytes(fixed(typ, v)?);
            let bits = if f.is_nan() {
                f64::NAN.to_bits()
            } else {
                f.to_bits()
            };
            let key = if bits >> 63 == 1 {
                !bits
            } else {
                bits | 1 << 63
            };
            out.extend_from_slice(&key.to_be_bytes());
        }
        CqlType::Uuid => {
            let u = u128::from_be_bytes(fixed(typ, v)?);
            let version = ((u >> 76) & 0xF) as u8;
            out.push(version);
            let msb = (u >> 64) as u64;
            let msb = if version == 1 { reorder_msb(msb) } else { msb };
            out.extend_from_slice(&msb.to_be_bytes());
            out.extend_from_slice(&(u as u64).to_be_bytes());
        }
        CqlType::Timeuuid => {
            let u = u128::from_be_bytes(fixed(typ, v)?);
            let msb = reorder_msb((u >> 64) as u64) ^ (1 << 63);
            out.extend_from_slice(&msb.to_be_bytes());
            out.extend((u as u64).to_be_bytes().iter().map(|b| b ^ 0x80));
        }
        CqlType::Varint => {
            let n = BigInt::from_signed_bytes_be(v);
            let (sign, mag) = n.to_bytes_be();
            match sign {
                Sign::NoSign => out.push(1),
                Sign::Plus | Sign::Minus => {
                    out.push(if sign == Sign::Plus { 2 } else { 0 });
                    let start = out.len();
                    let len = u32::try_from(mag.len()).map_err(|_| bad(typ))?;
                    out.extend_from_slice(&len.to_be_bytes());
                    out.extend_from_slice(&mag);
                    if sign == Sign::Minus {
                        inverted_from(out, start);
                    }
                }
            }
        }
        CqlType::Decimal => {
            let (sign, exp, digits) = decimal_from_bytes(typ, v)?;
            out.push((sign + 1) as u8);
            if sign != 0 {
                let start = out.len();
                out.extend_from_slice(&((exp as u64) ^ (1 << 63)).to_be_bytes());
                out.extend(digits.iter().map(|d| d + 1));
                out.push(0);
                if sign < 0 {
                    inverted_from(out, start);
                }
            }
        }
        CqlType::List(e) | CqlType::Set(e) => {
            let mut r = Reader::new(v, "list");
            for _ in 0..r.count()? {
                encode(e, r.element()?, out, depth + 1)?;
            }
            r.finish()?;
            out.push(0);
        }
        CqlType::Map(k, val) => {
            let mut r = Reader::new(v, "map");
            for _ in 0..r.count()? {
                encode(k, r.element()?, out, depth + 1)?;
                encode(val, r.element()?, out, depth + 1)?;
            }
            r.finish()?;
            out.push(0);
        }
        CqlType::Tuple(ts) => encode_fields(ts.iter(), v, out, depth)?,
        CqlType::Udt(u) => encode_fields(u.fields.iter().map(|(_, t)| t), v, out, depth)?,
        CqlType::Vector(e, n) => {
            for_each_vector_element(e, *n, v, |x| encode(e, x, out, depth + 1))?;
        }
        // Text, ascii, blob, inet, custom: unsigned bytes.
        _ => escaped(v, out),
    }
    Ok(())
}

fn encode_fields<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    v: &[u8],
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), TypeError> {
    let mut r = Reader::new(v, "tuple");
    for t in types {
        if r.rest.is_empty() {
            break;
        }
        match r.value()? {
            None => out.push(0x01),
            Some(x) => {
                out.push(0x02);
                encode(t, x, out, depth + 1)?;
            }
        }
    }
    r.finish()?;
    out.push(0);
    Ok(())
}

/// A reader that undoes the DESC inversion on the fly.
struct Src<'a> {
    data: &'a [u8],
    pos: usize,
    mask: u8,
}

impl Src<'_> {
    fn byte(&mut self) -> Result<u8, TypeError> {
        let b = self
            .data
            .get(self.pos)
            .ok_or_else(|| TypeError::marshal("Truncated byte-comparable key component"))?;
        self.pos += 1;
        Ok(b ^ self.mask)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TypeError> {
        let mut a = [0u8; N];
        for x in a.iter_mut() {
            *x = self.byte()?;
        }
        Ok(a)
    }
}

/// Writes an `[int]` length placeholder, to patch once the element is decoded.
fn with_len(
    out: &mut BytesMut,
    f: impl FnOnce(&mut BytesMut) -> Result<(), TypeError>,
) -> Result<(), TypeError> {
    let at = out.len();
    out.put_i32(0);
    f(out)?;
    let len = (out.len() - at - 4) as i32;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

fn decode(typ: &CqlType, src: &mut Src, out: &mut BytesMut, depth: usize) -> Result<(), TypeError> {
    if depth > 64 {
        return Err(bad(typ));
    }
    let typ = typ.unfrozen();
    if matches!(typ, CqlType::Duration) {
        return Err(not_comparable(typ));
    }
    match src.byte()? {
        EMPTY => return Ok(()),
        VALUE => {}
        _ => return Err(bad(typ)),
    }
    match typ {
        CqlType::Int
        | CqlType::Bigint
        | CqlType::Counter
        | CqlType::Smallint
        | CqlType::Tinyint
        | CqlType::Timestamp
        | CqlType::Time => {
            let n = super::deserialize::scalar_len(typ);
            for i in 0..n {
                let b = src.byte()?;
                out.put_u8(if i == 0 { b ^ 0x80 } else { b });
            }
        }
        CqlType::Date => out.put_slice(&src.array::<4>()?),
        CqlType::Boolean => out.put_u8(src.byte()?),
        CqlType::Float => {
            let k = u32::from_be_bytes(src.array()?);
            out.put_u32(if k >> 31 == 1 { k & !(1 << 31) } else { !k });
        }
        CqlType::Double => {
            let k = u64::from_be_bytes(src.array()?);
            out.put_u64(if k >> 63 == 1 { k & !(1 << 63) } else { !k });
        }
        CqlType::Uuid => {
            let version = src.byte()?;
            let msb = u64::from_be_bytes(src.array()?);
            out.put_u64(if version == 1 {
                unreorder_msb(msb)
            } else {
                msb
            });
            out.put_slice(&src.array::<8>()?);
        }
        CqlType::Timeuuid => {
            let msb = u64::from_be_bytes(src.array()?) ^ (1 << 63);
            out.put_u64(unreorder_msb(msb));
            out.extend(src.array::<8>()?.iter().map(|b| b ^ 0x80));
        }
        CqlType::Varint => match src.byte()? {
            1 => out.put_u8(0),
            s @ (0 | 2) => {
                let inv = if s == 0 { 0xFF } else { 0 };
                let len = u32::from_be_bytes(src.array::<4>()?.map(|b| b ^ inv)) as usize;
                if len > src.data.len() {
                    return Err(bad(typ));
                }
                let mut mag = Vec::with_capacity(len);
                for _ in 0..len {
                    mag.push(src.byte()? ^ inv);
                }
                let sign = if s == 0 { Sign::Minus } else { Sign::Plus };
                out.put_slice(&BigInt::from_bytes_be(sign, &mag).to_signed_bytes_be());
            }
            _ => return Err(bad(typ)),
        },
        CqlType::Decimal => decode_decimal(typ, src, out)?,
        CqlType::List(e) | CqlType::Set(e) => {
            let at = out.len();
            out.put_i32(0);
            let mut n: i32 = 0;
            while peek(src)? != 0 {
                with_len(out, |o| decode(e, src, o, depth + 1))?;
                n += 1;
            }
            src.byte()?;
            if let Some(slot) = out.get_mut(at..at + 4) {
                slot.copy_from_slice(&n.to_be_bytes());
            }
        }
        CqlType::Map(k, v) => {
            let at = out.len();
            out.put_i32(0);
            let mut n: i32 = 0;
            while peek(src)? != 0 {
                with_len(out, |o| decode(k, src, o, depth + 1))?;
                with_len(out, |o| decode(v, src, o, depth + 1))?;
                n += 1;
            }
            src.byte()?;
            if let Some(slot) = out.get_mut(at..at + 4) {
                slot.copy_from_slice(&n.to_be_bytes());
            }
        }
        CqlType::Tuple(ts) => decode_fields(ts.iter(), src, out, depth)?,
        CqlType::Udt(u) => decode_fields(u.fields.iter().map(|(_, t)| t), src, out, depth)?,
        CqlType::Vector(e, n) => {
            let fixed = super::fixed_len(e).is_some();
            for _ in 0..*n {
                let mut tmp = BytesMut::new();
                decode(e, src, &mut tmp, depth + 1)?;
                if !fixed {
                    super::vint::put_unsigned(out, tmp.len() as u64);
                }
                out.put_slice(&tmp);
            }
        }
        _ => loop {
            let b = src.byte()?;
            if b != 0 {
                out.put_u8(b);
                continue;
            }
            match src.byte()? {
                0xFF => out.put_u8(0),
                0 => break,
                _ => return Err(bad(typ)),
            }
        },
    }
    Ok(())
}

fn peek(src: &Src) -> Result<u8, TypeError> {
    src.data
        .get(src.pos)
        .map(|b| b ^ src.mask)
        .ok_or_else(|| TypeError::marshal("Truncated byte-comparable key component"))
}

fn decode_fields<'t>(
    types: impl Iterator<Item = &'t CqlType>,
    src: &mut Src,
    out: &mut BytesMut,
    depth: usize,
) -> Result<(), TypeError> {
    for t in types {
        match src.byte()? {
            0 => return Ok(()),
            0x01 => out.put_i32(-1),
            0x02 => with_len(out, |o| decode(t, src, o, depth + 1))?,
            _ => return Err(TypeError::marshal("Invalid tuple field in key component")),
        }
    }
    match src.byte()? {
        0 => Ok(()),
        _ => Err(TypeError::marshal("Invalid tuple end in key component")),
    }
}

fn decode_decimal(typ: &CqlType, src: &mut Src, out: &mut BytesMut) -> Result<(), TypeError> {
    let sign = src.byte()?;
    if sign == 1 {
        out.put_i32(0);
        out.put_u8(0);
        return Ok(());
    }
    if sign > 2 {
        return Err(bad(typ));
    }
    let inv = if sign == 0 { 0xFF } else { 0 };
    let exp = (u64::from_be_bytes(src.array::<8>()?.map(|b| b ^ inv)) ^ (1 << 63)) as i64;
    let mut digits = String::new();
    loop {
        match src.byte()? ^ inv {
            0 => break,
            d @ 1..=10 => digits.push(char::from(b'0' + d - 1)),
            _ => return Err(bad(typ)),
        }
    }
    // value = 0.digits * 10^exp = digits * 10^(exp - len): scale = len - exp.
    let mut scale = (digits.len() as i64)
        .checked_sub(exp)
        .ok_or_else(|| bad(typ))?;
    let mut mag: BigUint = digits.parse().map_err(|_| bad(typ))?;
    if scale < i64::from(i32::MIN) {
        // Too large a negative scale for Cassandra's decimal: put zeros back.
        // A valid encoding needs at most as many zeros as its source value had.
        let extra = u32::try_from(i64::from(i32::MIN) - scale)
            .ok()
            .filter(|e| (*e as usize) <= src.data.len() * 4 + 64)
            .ok_or_else(|| bad(typ))?;
        mag *= BigUint::from(10u32).pow(extra);
        scale = i64::from(i32::MIN);
    }
    let scale = i32::try_from(scale).map_err(|_| bad(typ))?;
    let sign = if sign == 0 { Sign::Minus } else { Sign::Plus };
    out.put_i32(scale);
    out.put_slice(&BigInt::from_biguint(sign, mag).to_signed_bytes_be());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_extension_asc_and_desc() {
        let int = CqlType::Int;
        let text = CqlType::Text;
        for desc in [false, true] {
            let mut prefix = Vec::new();
            encode_key_component(&int, &7i32.to_be_bytes(), false, &mut prefix).unwrap();
            let mut end = prefix.clone();
            end.push(PREFIX_END);
            for v in [&b""[..], b"\x00", b"\xff\xff", b"zzz"] {
                let mut ext = prefix.clone();
                encode_key_component(&text, v, desc, &mut ext).unwrap();
                assert!(prefix < ext && ext < end, "{v:?} desc={desc}");
            }
            // The next prefix value sorts after the end bound.
            let mut next = Vec::new();
            encode_key_component(&int, &8i32.to_be_bytes(), false, &mut next).unwrap();
            assert!(end < next);
        }
    }
}
