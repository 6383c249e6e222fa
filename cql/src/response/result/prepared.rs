//! RESULT kind Prepared (v5 spec section 4.2.5.4):
//! `<id>[<result_metadata_id>]<metadata><result_metadata>`, where `<metadata>` is
//! `<flags><columns_count>[<pk_count><pk_index_1>...]<[global_table_spec]col_specs>`.
//! v3 has no partition key indexes, v5 adds the result metadata id.

use bytes::{Bytes, BytesMut};

use super::rows::{read_column_specs, shared_table, write_column_specs, ColumnSpec, RowsMetadata};
use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire;

const GLOBAL_TABLES_SPEC: i32 = 0x0001;

/// The bind markers of a prepared statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreparedMetadata {
    /// For each partition key column, the index of its bind marker (token-aware
    /// routing). Empty when some key column is not bound by a plain marker. Not sent
    /// on v3.
    pub pk_indexes: Vec<u16>,
    pub columns: Vec<ColumnSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub id: Bytes,
    /// v5: id of `result_metadata`; clients send it back in EXECUTE.
    pub result_metadata_id: Option<Bytes>,
    pub metadata: PreparedMetadata,
    /// What EXECUTE will return (no_metadata with 0 columns for non-SELECTs).
    pub result_metadata: RowsMetadata,
}

impl PreparedMetadata {
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        let global = shared_table(&self.columns).is_some();
        wire::write_int(out, if global { GLOBAL_TABLES_SPEC } else { 0 });
        wire::write_int(out, self.columns.len() as i32);
        if version.is_v4_or_later() {
            wire::write_int(out, self.pk_indexes.len() as i32);
            for i in &self.pk_indexes {
                wire::write_short(out, *i);
            }
        }
        write_column_specs(out, &self.columns, global);
    }

    pub fn decode(
        buf: &mut Bytes,
        version: ProtocolVersion,
    ) -> Result<PreparedMetadata, ProtocolError> {
        let flags = wire::read_int(buf)?;
        let count = read_count(buf, "columns_count")?;
        let mut pk_indexes = Vec::new();
        if version.is_v4_or_later() {
            let pk_count = read_count(buf, "pk_count")?;
            pk_indexes.reserve(pk_count.min(buf.len() / 2));
            for _ in 0..pk_count {
                pk_indexes.push(wire::read_short(buf)?);
            }
        }
        let (_, columns) = read_column_specs(buf, count, flags & GLOBAL_TABLES_SPEC != 0)?;
        Ok(PreparedMetadata {
            pk_indexes,
            columns,
        })
    }
}

fn read_count(buf: &mut Bytes, what: &'static str) -> Result<usize, ProtocolError> {
    let n = wire::read_int(buf)?;
    usize::try_from(n).map_err(|_| ProtocolError::InvalidLength {
        what,
        len: i64::from(n),
    })
}

impl Prepared {
    /// On v5 a missing `result_metadata_id` is written as empty.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        wire::write_short_bytes(out, &self.id);
        if version.is_v5() {
            wire::write_short_bytes(out, self.result_metadata_id.as_deref().unwrap_or_default());
        }
        self.metadata.encode(version, out);
        self.result_metadata.encode(version, out);
    }

    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<Prepared, ProtocolError> {
        let id = wire::read_short_bytes(buf)?;
        let result_metadata_id = if version.is_v5() {
            Some(wire::read_short_bytes(buf)?)
        } else {
            None
        };
        let metadata = PreparedMetadata::decode(buf, version)?;
        let result_metadata = RowsMetadata::decode(buf, version)?;
        Ok(Prepared {
            id,
            result_metadata_id,
            metadata,
            result_metadata,
        })
    }
}
