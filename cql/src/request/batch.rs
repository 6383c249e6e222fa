//! BATCH (v5 spec section 4.1.7):
//! `<type><n><query_1>...<query_n><consistency><flags>[<serial_consistency>]
//! [<timestamp>][<keyspace>][<now_in_seconds>]`, each query being
//! `<kind><string_or_id><n>[<name_1>]<value_1>...`.
//!
//! The names flag (0x40) comes after the statements it describes, so a batch is first
//! read without names and re-read with names when the flags ask for them.

use bytes::{Bytes, BytesMut};

use super::query::{
    read_bound_value, read_flags, write_flags, KEYSPACE, NAMES, NOW_IN_SECONDS, SERIAL_CONSISTENCY,
    TIMESTAMP,
};
use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire::{self, Consistency, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchType {
    Logged = 0,
    Unlogged = 1,
    Counter = 2,
}

impl BatchType {
    pub fn from_u8(v: u8) -> Option<BatchType> {
        match v {
            0 => Some(BatchType::Logged),
            1 => Some(BatchType::Unlogged),
            2 => Some(BatchType::Counter),
            _ => None,
        }
    }
}

/// The statement of one batch entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchQuery {
    /// kind 0: a query string.
    Query(String),
    /// kind 1: a prepared statement id.
    Prepared(Bytes),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStatement {
    pub query: BatchQuery,
    pub values: Vec<Value>,
    /// The marker names, one per value, when the batch had the names flag (0x40).
    pub names: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub kind: BatchType,
    pub statements: Vec<BatchStatement>,
    pub consistency: Consistency,
    pub serial_consistency: Option<Consistency>,
    pub timestamp: Option<i64>,
    /// v5 only.
    pub keyspace: Option<String>,
    /// v5 only.
    pub now_in_seconds: Option<i32>,
}

fn decode_with(
    mut buf: Bytes,
    version: ProtocolVersion,
    names: bool,
) -> Result<(Batch, u32, Bytes), ProtocolError> {
    let buf = &mut buf;
    let kind = wire::read_byte(buf)?;
    let kind = BatchType::from_u8(kind).ok_or(ProtocolError::UnknownBatchType(kind))?;
    let n = usize::from(wire::read_short(buf)?);
    let mut statements = Vec::with_capacity(n.min(buf.len() / 5));
    for _ in 0..n {
        let query = match wire::read_byte(buf)? {
            0 => BatchQuery::Query(wire::read_long_string(buf)?),
            1 => BatchQuery::Prepared(wire::read_short_bytes(buf)?),
            k => {
                return Err(ProtocolError::Invalid(format!(
                    "Invalid query kind in BATCH messages. Must be 0 or 1 but got {k}"
                )))
            }
        };
        let count = usize::from(wire::read_short(buf)?);
        let mut values = Vec::with_capacity(count.min(buf.len() / 4));
        let mut value_names = names.then(|| Vec::with_capacity(count.min(buf.len() / 6)));
        for _ in 0..count {
            if let Some(list) = value_names.as_mut() {
                list.push(wire::read_string(buf)?);
            }
            values.push(read_bound_value(buf, version)?);
        }
        statements.push(BatchStatement {
            query,
            values,
            names: value_names,
        });
    }
    let consistency = wire::read_consistency(buf)?;
    let flags = read_flags(buf, version)?;
    let serial_consistency = (flags & SERIAL_CONSISTENCY != 0)
        .then(|| wire::read_consistency(buf))
        .transpose()?;
    let timestamp = (flags & TIMESTAMP != 0)
        .then(|| wire::read_long(buf))
        .transpose()?;
    let v5 = version.is_v5();
    let keyspace = (v5 && flags & KEYSPACE != 0)
        .then(|| wire::read_string(buf))
        .transpose()?;
    let now_in_seconds = (v5 && flags & NOW_IN_SECONDS != 0)
        .then(|| wire::read_int(buf))
        .transpose()?;
    let batch = Batch {
        kind,
        statements,
        consistency,
        serial_consistency,
        timestamp,
        keyspace,
        now_in_seconds,
    };
    Ok((batch, flags, buf.clone()))
}

impl Batch {
    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<Batch, ProtocolError> {
        let plain = decode_with(buf.clone(), version, false);
        let (batch, rest) = match plain {
            Ok((batch, flags, rest)) if flags & NAMES == 0 => (batch, rest),
            // Either the flags ask for names, or reading without names failed
            // (perhaps because names are there): read again with names.
            first => match decode_with(buf.clone(), version, true) {
                Ok((batch, flags, rest)) if flags & NAMES != 0 => (batch, rest),
                _ => {
                    let (batch, _, rest) = first?;
                    (batch, rest)
                }
            },
        };
        *buf = rest;
        Ok(batch)
    }

    /// Writes the batch. Names are written (and the flag set) only when every
    /// statement has them; v5-only fields are dropped on v3/v4.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        let v5 = version.is_v5();
        let names = !self.statements.is_empty()
            && self
                .statements
                .iter()
                .all(|s| s.names.as_ref().is_some_and(|n| n.len() == s.values.len()));
        wire::write_byte(out, self.kind as u8);
        wire::write_short(out, self.statements.len() as u16);
        for s in &self.statements {
            match &s.query {
                BatchQuery::Query(q) => {
                    wire::write_byte(out, 0);
                    wire::write_long_string(out, q);
                }
                BatchQuery::Prepared(id) => {
                    wire::write_byte(out, 1);
                    wire::write_short_bytes(out, id);
                }
            }
            wire::write_short(out, s.values.len() as u16);
            for (i, v) in s.values.iter().enumerate() {
                if let (true, Some(name)) = (names, s.names.as_ref().and_then(|n| n.get(i))) {
                    wire::write_string(out, name);
                }
                wire::write_value(out, v);
            }
        }
        let mut flags = 0;
        for (set, bit) in [
            (self.serial_consistency.is_some(), SERIAL_CONSISTENCY),
            (self.timestamp.is_some(), TIMESTAMP),
            (names, NAMES),
            (v5 && self.keyspace.is_some(), KEYSPACE),
            (v5 && self.now_in_seconds.is_some(), NOW_IN_SECONDS),
        ] {
            if set {
                flags |= bit;
            }
        }
        wire::write_consistency(out, self.consistency);
        write_flags(out, version, flags);
        if let Some(c) = self.serial_consistency {
            wire::write_consistency(out, c);
        }
        if let Some(ts) = self.timestamp {
            wire::write_long(out, ts);
        }
        if let (true, Some(ks)) = (v5, &self.keyspace) {
            wire::write_string(out, ks);
        }
        if let (true, Some(now)) = (v5, self.now_in_seconds) {
            wire::write_int(out, now);
        }
    }
}
