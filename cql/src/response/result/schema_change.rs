//! The `<change_type><target><options>` of RESULT kind Schema_change and of the
//! SCHEMA_CHANGE event (v5 spec sections 4.2.5.5 and 4.2.6, the v3+ layout).

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaChangeType {
    Created,
    Updated,
    Dropped,
}

impl SchemaChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaChangeType::Created => "CREATED",
            SchemaChangeType::Updated => "UPDATED",
            SchemaChangeType::Dropped => "DROPPED",
        }
    }
}

/// What changed. An index change is reported as a change of its table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchemaChangeTarget {
    Keyspace(String),
    Table {
        keyspace: String,
        name: String,
    },
    Type {
        keyspace: String,
        name: String,
    },
    Function {
        keyspace: String,
        name: String,
        args: Vec<String>,
    },
    Aggregate {
        keyspace: String,
        name: String,
        args: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaChange {
    pub change: SchemaChangeType,
    pub target: SchemaChangeTarget,
}

impl SchemaChange {
    /// Encodes for `version`: v3 has no FUNCTION / AGGREGATE targets, so those go out
    /// as an UPDATED of their keyspace, as Cassandra sends them.
    pub fn encode_for(&self, version: ProtocolVersion, out: &mut BytesMut) {
        match &self.target {
            SchemaChangeTarget::Function { keyspace, .. }
            | SchemaChangeTarget::Aggregate { keyspace, .. }
                if !version.is_v4_or_later() =>
            {
                SchemaChange {
                    change: SchemaChangeType::Updated,
                    target: SchemaChangeTarget::Keyspace(keyspace.clone()),
                }
                .encode(out)
            }
            _ => self.encode(out),
        }
    }

    /// Encodes in the v4+ layout.
    pub fn encode(&self, out: &mut BytesMut) {
        wire::write_string(out, self.change.as_str());
        match &self.target {
            SchemaChangeTarget::Keyspace(ks) => {
                wire::write_string(out, "KEYSPACE");
                wire::write_string(out, ks);
            }
            SchemaChangeTarget::Table { keyspace, name }
            | SchemaChangeTarget::Type { keyspace, name } => {
                let target = if matches!(self.target, SchemaChangeTarget::Table { .. }) {
                    "TABLE"
                } else {
                    "TYPE"
                };
                wire::write_string(out, target);
                wire::write_string(out, keyspace);
                wire::write_string(out, name);
            }
            SchemaChangeTarget::Function {
                keyspace,
                name,
                args,
            }
            | SchemaChangeTarget::Aggregate {
                keyspace,
                name,
                args,
            } => {
                let target = if matches!(self.target, SchemaChangeTarget::Function { .. }) {
                    "FUNCTION"
                } else {
                    "AGGREGATE"
                };
                wire::write_string(out, target);
                wire::write_string(out, keyspace);
                wire::write_string(out, name);
                wire::write_string_list(out, args);
            }
        }
    }

    pub fn decode(buf: &mut Bytes) -> Result<SchemaChange, ProtocolError> {
        let change = match wire::read_string(buf)?.as_str() {
            "CREATED" => SchemaChangeType::Created,
            "UPDATED" => SchemaChangeType::Updated,
            "DROPPED" => SchemaChangeType::Dropped,
            other => {
                return Err(ProtocolError::Invalid(format!(
                    "unknown schema change type {other}"
                )))
            }
        };
        let target = match wire::read_string(buf)?.as_str() {
            "KEYSPACE" => SchemaChangeTarget::Keyspace(wire::read_string(buf)?),
            "TABLE" => SchemaChangeTarget::Table {
                keyspace: wire::read_string(buf)?,
                name: wire::read_string(buf)?,
            },
            "TYPE" => SchemaChangeTarget::Type {
                keyspace: wire::read_string(buf)?,
                name: wire::read_string(buf)?,
            },
            "FUNCTION" => SchemaChangeTarget::Function {
                keyspace: wire::read_string(buf)?,
                name: wire::read_string(buf)?,
                args: wire::read_string_list(buf)?,
            },
            "AGGREGATE" => SchemaChangeTarget::Aggregate {
                keyspace: wire::read_string(buf)?,
                name: wire::read_string(buf)?,
                args: wire::read_string_list(buf)?,
            },
            other => {
                return Err(ProtocolError::Invalid(format!(
                    "unknown schema change target {other}"
                )))
            }
        };
        Ok(SchemaChange { change, target })
    }
}
