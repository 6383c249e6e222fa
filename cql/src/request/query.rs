//! QUERY (v5 spec section 4.1.4) and the `<query_parameters>` it shares with EXECUTE.
//!
//! `<consistency><flags>[values][page_size][paging_state][serial_consistency]
//! [timestamp][keyspace][now_in_seconds]`: flags are a `[byte]` on v3/v4 and an
//! `[int]` on v5; keyspace and now_in_seconds exist on v5 only. On v3 a negative value
//! length is null (there is no "unset").

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire::{self, Consistency, Value};

mod flag {
    pub const VALUES: u32 = 0x0001;
    pub const SKIP_METADATA: u32 = 0x0002;
    pub const PAGE_SIZE: u32 = 0x0004;
    pub const PAGING_STATE: u32 = 0x0008;
    pub const SERIAL_CONSISTENCY: u32 = 0x0010;
    pub const TIMESTAMP: u32 = 0x0020;
    pub const NAMES: u32 = 0x0040;
    pub const KEYSPACE: u32 = 0x0080;
    pub const NOW_IN_SECONDS: u32 = 0x0100;
}
pub(crate) use flag::{KEYSPACE, NAMES, NOW_IN_SECONDS, SERIAL_CONSISTENCY, TIMESTAMP};

/// Bound values, by position or by marker name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    Positional(Vec<Value>),
    Named(Vec<(String, Value)>),
}

impl Default for Values {
    fn default() -> Values {
        Values::Positional(Vec::new())
    }
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Positional(v) => v.len(),
            Values::Named(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `<query_parameters>` of QUERY and EXECUTE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParameters {
    pub consistency: Consistency,
    pub values: Values,
    /// The client asks for Rows without column metadata (it has it from PREPARE).
    pub skip_metadata: bool,
    pub page_size: Option<i32>,
    pub paging_state: Option<Bytes>,
    /// SERIAL when absent, for conditional updates.
    pub serial_consistency: Option<Consistency>,
    /// Default write timestamp in microseconds.
    pub timestamp: Option<i64>,
    /// v5: the keyspace to run in instead of the connection's.
    pub keyspace: Option<String>,
    /// v5: "now" for TTL and tombstone computations (testing).
    pub now_in_seconds: Option<i32>,
}

impl Default for QueryParameters {
    fn default() -> QueryParameters {
        QueryParameters {
            consistency: Consistency::One,
            values: Values::default(),
            skip_metadata: false,
            page_size: None,
            paging_state: None,
            serial_consistency: None,
            timestamp: None,
            keyspace: None,
            now_in_seconds: None,
        }
    }
}

/// Reads QUERY/EXECUTE/BATCH flags: `[int]` on v5, `[byte]` before.
pub(crate) fn read_flags(buf: &mut Bytes, version: ProtocolVersion) -> Result<u32, ProtocolError> {
    if version.is_v5() {
        Ok(wire::read_int(buf)? as u32)
    } else {
        Ok(u32::from(wire::read_byte(buf)?))
    }
}

pub(crate) fn write_flags(out: &mut BytesMut, version: ProtocolVersion, flags: u32) {
    if version.is_v5() {
        wire::write_int(out, flags as i32);
    } else {
        wire::write_byte(out, flags as u8);
    }
}

/// A bound value: `[value]` on v4+, `[bytes]` on v3 (any negative length is null).
pub(crate) fn read_bound_value(
    buf: &mut Bytes,
    version: ProtocolVersion,
) -> Result<Value, ProtocolError> {
    if version.is_v4_or_later() {
        wire::read_value(buf)
    } else {
        Ok(wire::read_bytes(buf)?.map_or(Value::Null, Value::Bytes))
    }
}

impl QueryParameters {
    pub fn decode(
        buf: &mut Bytes,
        version: ProtocolVersion,
    ) -> Result<QueryParameters, ProtocolError> {
        let consistency = wire::read_consistency(buf)?;
        let flags = read_flags(buf, version)?;
        let values = if flags & flag::VALUES != 0 {
            let n = usize::from(wire::read_short(buf)?);
            // Every value takes at least 4 bytes: bound the allocation by the input.
            let cap = n.min(buf.len() / 4);
            if flags & flag::NAMES != 0 {
                let mut named = Vec::with_capacity(cap);
                for _ in 0..n {
                    let name = wire::read_string(buf)?;
                    named.push((name, read_bound_value(buf, version)?));
                }
                Values::Named(named)
            } else {
                let mut positional = Vec::with_capacity(cap);
                for _ in 0..n {
                    positional.push(read_bound_value(buf, version)?);
                }
                Values::Positional(positional)
            }
        } else {
            Values::default()
        };
        let page_size = (flags & flag::PAGE_SIZE != 0)
            .then(|| wire::read_int(buf))
            .transpose()?;
        let paging_state = if flags & flag::PAGING_STATE != 0 {
            wire::read_bytes(buf)?
        } else {
            None
        };
        let serial_consistency = (flags & flag::SERIAL_CONSISTENCY != 0)
            .then(|| wire::read_consistency(buf))
            .transpose()?;
        let timestamp = (flags & flag::TIMESTAMP != 0)
            .then(|| wire::read_long(buf))
            .transpose()?;
        let v5 = version.is_v5();
        let keyspace = (v5 && flags & flag::KEYSPACE != 0)
            .then(|| wire::read_string(buf))
            .transpose()?;
        let now_in_seconds = (v5 && flags & flag::NOW_IN_SECONDS != 0)
            .then(|| wire::read_int(buf))
            .transpose()?;
        Ok(QueryParameters {
            consistency,
            values,
            skip_metadata: flags & flag::SKIP_METADATA != 0,
            page_size,
            paging_state,
            serial_consistency,
            timestamp,
            keyspace,
            now_in_seconds,
        })
    }

    /// Writes the parameters; v5-only fields are dropped on v3/v4.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        let v5 = version.is_v5();
        let mut flags = 0;
        for (set, bit) in [
            (!self.values.is_empty(), flag::VALUES),
            (
                matches!(self.values, Values::Named(ref v) if !v.is_empty()),
                flag::NAMES,
            ),
            (self.skip_metadata, flag::SKIP_METADATA),
            (self.page_size.is_some(), flag::PAGE_SIZE),
            (self.paging_state.is_some(), flag::PAGING_STATE),
            (self.serial_consistency.is_some(), flag::SERIAL_CONSISTENCY),
            (self.timestamp.is_some(), flag::TIMESTAMP),
            (v5 && self.keyspace.is_some(), flag::KEYSPACE),
            (v5 && self.now_in_seconds.is_some(), flag::NOW_IN_SECONDS),
        ] {
            if set {
                flags |= bit;
            }
        }
        wire::write_consistency(out, self.consistency);
        write_flags(out, version, flags);
        if flags & flag::VALUES != 0 {
            wire::write_short(out, self.values.len() as u16);
            match &self.values {
                Values::Positional(values) => values.iter().for_each(|v| wire::write_value(out, v)),
                Values::Named(values) => {
                    for (name, v) in values {
                        wire::write_string(out, name);
                        wire::write_value(out, v);
                    }
                }
            }
        }
        if let Some(n) = self.page_size {
            wire::write_int(out, n);
        }
        if let Some(state) = &self.paging_state {
            wire::write_bytes(out, Some(state));
        }
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

/// A QUERY request: `<query: [long string]><query_parameters>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub query: String,
    pub params: QueryParameters,
}

impl Query {
    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<Query, ProtocolError> {
        let query = wire::read_long_string(buf)?;
        let params = QueryParameters::decode(buf, version)?;
        Ok(Query { query, params })
    }

    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        wire::write_long_string(out, &self.query);
        self.params.encode(version, out);
    }
}
