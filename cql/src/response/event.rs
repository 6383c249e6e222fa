//! EVENT (v5 spec section 4.2.6): a `[string]` event type, then its fields. Events
//! are sent on stream -1 to connections that REGISTERed for the type.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};

use super::result::SchemaChange;
use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire;

pub const TOPOLOGY_CHANGE: &str = "TOPOLOGY_CHANGE";
pub const STATUS_CHANGE: &str = "STATUS_CHANGE";
pub const SCHEMA_CHANGE: &str = "SCHEMA_CHANGE";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `change` is `NEW_NODE` or `REMOVED_NODE`; `address` the node's CQL address.
    TopologyChange {
        change: String,
        address: SocketAddr,
    },
    /// `change` is `UP` or `DOWN`.
    StatusChange {
        change: String,
        address: SocketAddr,
    },
    SchemaChange(SchemaChange),
}

impl Event {
    /// The type name clients REGISTER for.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::TopologyChange { .. } => TOPOLOGY_CHANGE,
            Event::StatusChange { .. } => STATUS_CHANGE,
            Event::SchemaChange(_) => SCHEMA_CHANGE,
        }
    }

    /// Encodes in the v4+ layout; see [`Self::encode_for`].
    pub fn encode(&self, out: &mut BytesMut) {
        self.encode_for(ProtocolVersion::V4, out);
    }

    /// Encodes for `version` (v3 schema changes lack functions and aggregates).
    pub fn encode_for(&self, version: ProtocolVersion, out: &mut BytesMut) {
        wire::write_string(out, self.event_type());
        match self {
            Event::TopologyChange { change, address } | Event::StatusChange { change, address } => {
                wire::write_string(out, change);
                wire::write_inet(out, address);
            }
            Event::SchemaChange(c) => c.encode_for(version, out),
        }
    }

    pub fn decode(buf: &mut Bytes) -> Result<Event, ProtocolError> {
        let kind = wire::read_string(buf)?;
        Ok(match kind.as_str() {
            TOPOLOGY_CHANGE => Event::TopologyChange {
                change: wire::read_string(buf)?,
                address: wire::read_inet(buf)?,
            },
            STATUS_CHANGE => Event::StatusChange {
                change: wire::read_string(buf)?,
                address: wire::read_inet(buf)?,
            },
            SCHEMA_CHANGE => Event::SchemaChange(SchemaChange::decode(buf)?),
            other => {
                return Err(ProtocolError::Invalid(format!(
                    "unknown event type {other}"
                )))
            }
        })
    }
}
