//! The spec's primitive notations (native_protocol_v5.spec section 3): `[int]`, `[long]`,
//! `[short]`, `[string]`, `[long string]`, `[uuid]`, `[string list]`, `[bytes]`,
//! `[value]`, `[short bytes]`, `[unsigned vint]`, `[vint]`, `[inet]`, `[inetaddr]`,
//! `[consistency]`, `[string map]`, `[string multimap]`, `[bytes map]`.
//!
//! Readers take `&mut Bytes` and advance it; a truncated or malformed input is a
//! [`ProtocolError`], never a panic. `[bytes]` readers return slices of the input
//! (`Bytes::split_to`), so decoding never copies a body. Writers append to a
//! `BytesMut`. Envelope fields are big-endian (section 2.4). `[option]` type
//! descriptions are `cql::types::CqlType::{encode_option, decode_option}`.

// Decoders of untrusted bytes: no unwrap, no panicking index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use uuid::Uuid;

use crate::error::ProtocolError;

/// A consistency level (`[consistency]`, a `[short]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Consistency {
    Any = 0x0000,
    One = 0x0001,
    Two = 0x0002,
    Three = 0x0003,
    Quorum = 0x0004,
    All = 0x0005,
    LocalQuorum = 0x0006,
    EachQuorum = 0x0007,
    Serial = 0x0008,
    LocalSerial = 0x0009,
    LocalOne = 0x000A,
}

impl Consistency {
    /// Every level, in wire order.
    pub const ALL_LEVELS: [Consistency; 11] = [
        Consistency::Any,
        Consistency::One,
        Consistency::Two,
        Consistency::Three,
        Consistency::Quorum,
        Consistency::All,
        Consistency::LocalQuorum,
        Consistency::EachQuorum,
        Consistency::Serial,
        Consistency::LocalSerial,
        Consistency::LocalOne,
    ];

    pub fn from_u16(v: u16) -> Option<Consistency> {
        Consistency::ALL_LEVELS.get(usize::from(v)).copied()
    }

    pub fn as_u16(self) -> u16 {
        self as u16
    }

    /// Cassandra's name (`LOCAL_QUORUM`), as cqlsh and error messages show it.
    pub fn name(self) -> &'static str {
        match self {
            Consistency::Any => "ANY",
            Consistency::One => "ONE",
            Consistency::Two => "TWO",
            Consistency::Three => "THREE",
            Consistency::Quorum => "QUORUM",
            Consistency::All => "ALL",
            Consistency::LocalQuorum => "LOCAL_QUORUM",
            Consistency::EachQuorum => "EACH_QUORUM",
            Consistency::Serial => "SERIAL",
            Consistency::LocalSerial => "LOCAL_SERIAL",
            Consistency::LocalOne => "LOCAL_ONE",
        }
    }

    /// Parses a Cassandra name, case-insensitively (`local_quorum`).
    pub fn from_name(name: &str) -> Option<Consistency> {
        Consistency::ALL_LEVELS
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// SERIAL and LOCAL_SERIAL: the only levels allowed as a serial consistency.
    pub fn is_serial(self) -> bool {
        matches!(self, Consistency::Serial | Consistency::LocalSerial)
    }
}

impl fmt::Display for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn need(buf: &Bytes, n: usize, what: &'static str) -> Result<(), ProtocolError> {
    if buf.remaining() < n {
        return Err(ProtocolError::Truncated {
            what,
            need: n,
            have: buf.remaining(),
        });
    }
    Ok(())
}

/// Reads `n` bytes as a zero-copy slice.
pub fn read_raw(buf: &mut Bytes, n: usize, what: &'static str) -> Result<Bytes, ProtocolError> {
    need(buf, n, what)?;
    Ok(buf.split_to(n))
}

pub fn read_byte(buf: &mut Bytes) -> Result<u8, ProtocolError> {
    need(buf, 1, "[byte]")?;
    Ok(buf.get_u8())
}

pub fn read_short(buf: &mut Bytes) -> Result<u16, ProtocolError> {
    need(buf, 2, "[short]")?;
    Ok(buf.get_u16())
}

pub fn read_int(buf: &mut Bytes) -> Result<i32, ProtocolError> {
    need(buf, 4, "[int]")?;
    Ok(buf.get_i32())
}

pub fn read_long(buf: &mut Bytes) -> Result<i64, ProtocolError> {
    need(buf, 8, "[long]")?;
    Ok(buf.get_i64())
}

pub fn write_byte(out: &mut BytesMut, v: u8) {
    out.put_u8(v);
}

pub fn write_short(out: &mut BytesMut, v: u16) {
    out.put_u16(v);
}

pub fn write_int(out: &mut BytesMut, v: i32) {
    out.put_i32(v);
}

pub fn write_long(out: &mut BytesMut, v: i64) {
    out.put_i64(v);
}

fn utf8(raw: Bytes, what: &'static str) -> Result<String, ProtocolError> {
    String::from_utf8(raw.to_vec()).map_err(|_| ProtocolError::InvalidUtf8 { what })
}

/// `[string]`: a `[short]` length and UTF-8 bytes.
pub fn read_string(buf: &mut Bytes) -> Result<String, ProtocolError> {
    let len = usize::from(read_short(buf)?);
    utf8(read_raw(buf, len, "[string]")?, "[string]")
}

/// Writes a `[string]`. Strings longer than 65535 bytes cannot be represented; they are
/// cut at the last char boundary that fits, which only ever affects error messages.
pub fn write_string(out: &mut BytesMut, s: &str) {
    let mut end = s.len().min(usize::from(u16::MAX));
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let s = s.get(..end).unwrap_or_default();
    out.put_u16(s.len() as u16);
    out.put_slice(s.as_bytes());
}

/// `[long string]`: an `[int]` length and UTF-8 bytes.
pub fn read_long_string(buf: &mut Bytes) -> Result<String, ProtocolError> {
    let len = read_int(buf)?;
    let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidLength {
        what: "[long string]",
        len: i64::from(len),
    })?;
    utf8(read_raw(buf, len, "[long string]")?, "[long string]")
}

pub fn write_long_string(out: &mut BytesMut, s: &str) {
    out.put_i32(s.len() as i32);
    out.put_slice(s.as_bytes());
}

/// `[uuid]`: 16 bytes.
pub fn read_uuid(buf: &mut Bytes) -> Result<Uuid, ProtocolError> {
    need(buf, 16, "[uuid]")?;
    let mut raw = [0u8; 16];
    buf.copy_to_slice(&mut raw);
    Ok(Uuid::from_bytes(raw))
}

pub fn write_uuid(out: &mut BytesMut, id: &Uuid) {
    out.put_slice(id.as_bytes());
}

/// `[string list]`: a `[short]` n and n `[string]`.
pub fn read_string_list(buf: &mut Bytes) -> Result<Vec<String>, ProtocolError> {
    let n = usize::from(read_short(buf)?);
    // Each string takes at least 2 bytes: bound the allocation by the input.
    let mut list = Vec::with_capacity(n.min(buf.remaining() / 2));
    for _ in 0..n {
        list.push(read_string(buf)?);
    }
    Ok(list)
}

pub fn write_string_list<S: AsRef<str>>(out: &mut BytesMut, list: &[S]) {
    out.put_u16(list.len() as u16);
    for s in list {
        write_string(out, s.as_ref());
    }
}

/// `[bytes]`: an `[int]` n and n bytes; any negative n is null (`None`).
pub fn read_bytes(buf: &mut Bytes) -> Result<Option<Bytes>, ProtocolError> {
    let len = read_int(buf)?;
    match usize::try_from(len) {
        Ok(len) => Ok(Some(read_raw(buf, len, "[bytes]")?)),
        Err(_) => Ok(None),
    }
}

pub fn write_bytes(out: &mut BytesMut, v: Option<&[u8]>) {
    match v {
        Some(b) => {
            out.put_i32(b.len() as i32);
            out.put_slice(b);
        }
        None => out.put_i32(-1),
    }
}

/// A `[value]`: bytes, null (-1) or not set (-2, v4+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Unset,
    Bytes(Bytes),
}

impl Value {
    /// The bytes, or `None` for null and unset.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Value::Bytes(b) => Some(b),
            Value::Null | Value::Unset => None,
        }
    }
}

/// `[value]`: n >= 0 bytes, -1 null, -2 unset; anything below -2 is an error.
pub fn read_value(buf: &mut Bytes) -> Result<Value, ProtocolError> {
    match read_int(buf)? {
        -1 => Ok(Value::Null),
        -2 => Ok(Value::Unset),
        len if len >= 0 => Ok(Value::Bytes(read_raw(buf, len as usize, "[value]")?)),
        len => Err(ProtocolError::InvalidLength {
            what: "[value]",
            len: i64::from(len),
        }),
    }
}

pub fn write_value(out: &mut BytesMut, v: &Value) {
    match v {
        Value::Null => out.put_i32(-1),
        Value::Unset => out.put_i32(-2),
        Value::Bytes(b) => {
            out.put_i32(b.len() as i32);
            out.put_slice(b);
        }
    }
}

/// `[short bytes]`: a `[short]` n and n bytes.
pub fn read_short_bytes(buf: &mut Bytes) -> Result<Bytes, ProtocolError> {
    let len = usize::from(read_short(buf)?);
    read_raw(buf, len, "[short bytes]")
}

pub fn write_short_bytes(out: &mut BytesMut, b: &[u8]) {
    out.put_u16(b.len() as u16);
    out.put_slice(b);
}

/// `[unsigned vint]` (v5): the count of leading one bits of the first byte is the
/// number of extra bytes; the value is big-endian.
pub fn read_unsigned_vint(buf: &mut Bytes) -> Result<u64, ProtocolError> {
    let first = read_byte(buf)?;
    let extra = first.leading_ones() as usize;
    need(buf, extra, "[unsigned vint]")?;
    // With 8 extra bytes the first byte carries no value bits.
    let mut v = if extra >= 8 {
        0
    } else {
        u64::from(first & (0xFF >> extra))
    };
    for _ in 0..extra {
        v = (v << 8) | u64::from(buf.get_u8());
    }
    Ok(v)
}

pub fn write_unsigned_vint(out: &mut BytesMut, v: u64) {
    // Bits needed, then bytes: each extra byte gives 8 bits, and the first byte loses
    // one value bit per extra byte (8 extra bytes: the first byte is all ones).
    let bits = 64 - v.leading_zeros() as usize;
    let extra = if bits <= 7 {
        0
    } else {
        ((bits - 1) / 7).min(8)
    };
    if extra == 8 {
        out.put_u8(0xFF);
        out.put_u64(v);
        return;
    }
    let prefix = !(0xFFu8 >> extra);
    let first = (v >> (8 * extra)) as u8 | prefix;
    out.put_u8(first);
    for i in (0..extra).rev() {
        out.put_u8((v >> (8 * i)) as u8);
    }
}

/// `[vint]` (v5): zig-zag encoded signed integer.
pub fn read_vint(buf: &mut Bytes) -> Result<i64, ProtocolError> {
    let n = read_unsigned_vint(buf)?;
    Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
}

pub fn write_vint(out: &mut BytesMut, v: i64) {
    write_unsigned_vint(out, ((v >> 63) ^ (v << 1)) as u64);
}

/// `[inetaddr]`: a `[byte]` size (4 or 16) and the address.
pub fn read_inetaddr(buf: &mut Bytes) -> Result<IpAddr, ProtocolError> {
    match read_byte(buf)? {
        4 => {
            need(buf, 4, "[inetaddr]")?;
            let mut raw = [0u8; 4];
            buf.copy_to_slice(&mut raw);
            Ok(IpAddr::V4(Ipv4Addr::from(raw)))
        }
        16 => {
            need(buf, 16, "[inetaddr]")?;
            let mut raw = [0u8; 16];
            buf.copy_to_slice(&mut raw);
            Ok(IpAddr::V6(Ipv6Addr::from(raw)))
        }
        n => Err(ProtocolError::InvalidInetLength(n)),
    }
}

pub fn write_inetaddr(out: &mut BytesMut, addr: &IpAddr) {
    match addr {
        IpAddr::V4(a) => {
            out.put_u8(4);
            out.put_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out.put_u8(16);
            out.put_slice(&a.octets());
        }
    }
}

/// `[inet]`: an `[inetaddr]` and an `[int]` port.
pub fn read_inet(buf: &mut Bytes) -> Result<SocketAddr, ProtocolError> {
    let ip = read_inetaddr(buf)?;
    let port = read_int(buf)?;
    let port = u16::try_from(port).map_err(|_| ProtocolError::InvalidLength {
        what: "[inet] port",
        len: i64::from(port),
    })?;
    Ok(SocketAddr::new(ip, port))
}

pub fn write_inet(out: &mut BytesMut, addr: &SocketAddr) {
    write_inetaddr(out, &addr.ip());
    out.put_i32(i32::from(addr.port()));
}

/// `[consistency]`: a `[short]`.
pub fn read_consistency(buf: &mut Bytes) -> Result<Consistency, ProtocolError> {
    let v = read_short(buf)?;
    Consistency::from_u16(v).ok_or(ProtocolError::UnknownConsistency(v))
}

pub fn write_consistency(out: &mut BytesMut, c: Consistency) {
    out.put_u16(c.as_u16());
}

/// `[string map]`. A repeated key keeps its last value.
pub fn read_string_map(buf: &mut Bytes) -> Result<HashMap<String, String>, ProtocolError> {
    let n = usize::from(read_short(buf)?);
    let mut map = HashMap::with_capacity(n.min(buf.remaining() / 4));
    for _ in 0..n {
        let k = read_string(buf)?;
        let v = read_string(buf)?;
        map.insert(k, v);
    }
    Ok(map)
}

/// Writes a `[string map]` with keys sorted, so the output is deterministic.
pub fn write_string_map(out: &mut BytesMut, map: &HashMap<String, String>) {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort();
    out.put_u16(entries.len() as u16);
    for (k, v) in entries {
        write_string(out, k);
        write_string(out, v);
    }
}

/// `[string multimap]`, in wire order.
pub fn read_string_multimap(buf: &mut Bytes) -> Result<Vec<(String, Vec<String>)>, ProtocolError> {
    let n = usize::from(read_short(buf)?);
    let mut map = Vec::with_capacity(n.min(buf.remaining() / 4));
    for _ in 0..n {
        let k = read_string(buf)?;
        let v = read_string_list(buf)?;
        map.push((k, v));
    }
    Ok(map)
}

pub fn write_string_multimap(out: &mut BytesMut, map: &[(String, Vec<String>)]) {
    out.put_u16(map.len() as u16);
    for (k, v) in map {
        write_string(out, k);
        write_string_list(out, v);
    }
}

/// `[bytes map]`, in wire order (custom payloads).
pub fn read_bytes_map(buf: &mut Bytes) -> Result<Vec<(String, Option<Bytes>)>, ProtocolError> {
    let n = usize::from(read_short(buf)?);
    let mut map = Vec::with_capacity(n.min(buf.remaining() / 6));
    for _ in 0..n {
        let k = read_string(buf)?;
        let v = read_bytes(buf)?;
        map.push((k, v));
    }
    Ok(map)
}

pub fn write_bytes_map(out: &mut BytesMut, map: &[(String, Option<Bytes>)]) {
    out.put_u16(map.len() as u16);
    for (k, v) in map {
        write_string(out, k);
        write_bytes(out, v.as_deref());
    }
}

#[cfg(test)]
mod tests {}
