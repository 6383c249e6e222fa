//! RESULT (v5 spec section 4.2.5): an `[int]` kind, then the kind's body.
//! Rows and their metadata in [`rows`] (streamed by [`rows_writer`]), Prepared in [`prepared`], Schema_change in
//! [`schema_change`].

pub mod prepared;
pub mod rows;
pub mod rows_writer;
pub mod schema_change;

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire;

pub use prepared::{Prepared, PreparedMetadata};
pub use rows::{ColumnSpec, Rows, RowsMetadata};
pub use rows_writer::RowsWriter;
pub use schema_change::{SchemaChange, SchemaChangeTarget, SchemaChangeType};

const VOID: i32 = 0x0001;
const ROWS: i32 = 0x0002;
const SET_KEYSPACE: i32 = 0x0003;
const PREPARED: i32 = 0x0004;
const SCHEMA_CHANGE: i32 = 0x0005;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultBody {
    Void,
    Rows(Rows),
    /// The answer to `USE ks`.
    SetKeyspace(String),
    Prepared(Prepared),
    SchemaChange(SchemaChange),
}

impl ResultBody {
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        match self {
            ResultBody::Void => wire::write_int(out, VOID),
            ResultBody::Rows(rows) => {
                wire::write_int(out, ROWS);
                rows.encode(version, out);
            }
            ResultBody::SetKeyspace(ks) => {
                wire::write_int(out, SET_KEYSPACE);
                wire::write_string(out, ks);
            }
            ResultBody::Prepared(p) => {
                wire::write_int(out, PREPARED);
                p.encode(version, out);
            }
            ResultBody::SchemaChange(c) => {
                wire::write_int(out, SCHEMA_CHANGE);
                c.encode_for(version, out);
            }
        }
    }

    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<ResultBody, ProtocolError> {
        Ok(match wire::read_int(buf)? {
            VOID => ResultBody::Void,
            ROWS => ResultBody::Rows(Rows::decode(buf, version)?),
            SET_KEYSPACE => ResultBody::SetKeyspace(wire::read_string(buf)?),
            PREPARED => ResultBody::Prepared(Prepared::decode(buf, version)?),
            SCHEMA_CHANGE => ResultBody::SchemaChange(SchemaChange::decode(buf)?),
            kind => {
                return Err(ProtocolError::Invalid(format!(
                    "unknown RESULT kind {kind}"
                )))
            }
        })
    }
}
