//! RESULT kind Rows (v5 spec section 4.2.5.2): `<metadata><rows_count><rows_content>`,
//! and the result metadata it shares with Prepared.
//!
//! Metadata: `<flags: [int]><columns_count: [int]>[<paging_state>][<new_metadata_id>]
//! [<global_table_spec>?<col_spec_1>...<col_spec_n>]`. Values are `[bytes]`, already
//! serialized by the caller; decoding slices them out of the body without copying.

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::response::type_option::{decode_type, encode_type};
use crate::types::CqlType;
use crate::wire;

const GLOBAL_TABLES_SPEC: i32 = 0x0001;
const HAS_MORE_PAGES: i32 = 0x0002;
const NO_METADATA: i32 = 0x0004;
const METADATA_CHANGED: i32 = 0x0008;

/// One result column or bind marker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnSpec {
    pub keyspace: String,
    pub table: String,
    pub name: String,
    pub typ: CqlType,
}

/// The `<metadata>` of Rows (and `<result_metadata>` of Prepared).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowsMetadata {
    /// Set by the decoder when the global spec flag was present. The encoder ignores
    /// it and uses a global spec whenever all columns share keyspace and table.
    pub global_table_spec: Option<(String, String)>,
    /// Empty when `no_metadata`.
    pub columns: Vec<ColumnSpec>,
    /// Present when more pages follow.
    pub paging_state: Option<Bytes>,
    /// Column specs omitted because the client asked (skip_metadata).
    pub no_metadata: bool,
    /// v5 Metadata_changed: the new result metadata id.
    pub new_metadata_id: Option<Bytes>,
    /// Number of columns of each row: `columns.len()` unless `no_metadata`.
    pub column_count: usize,
}

impl RowsMetadata {
    /// Full metadata for `columns`.
    pub fn new(columns: Vec<ColumnSpec>) -> RowsMetadata {
        let column_count = columns.len();
        RowsMetadata {
            global_table_spec: shared_table(&columns),
            columns,
            column_count,
            ..RowsMetadata::default()
        }
    }

    /// Metadata without column specs (skip_metadata), `column_count` columns.
    pub fn without_columns(column_count: usize) -> RowsMetadata {
        RowsMetadata {
            no_metadata: true,
            column_count,
            ..RowsMetadata::default()
        }
    }

    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        let columns: &[ColumnSpec] = if self.no_metadata { &[] } else { &self.columns };
        let global = shared_table(columns);
        let new_id = self.new_metadata_id.as_ref().filter(|_| version.is_v5());
        let mut flags = 0;
        if global.is_some() {
            flags |= GLOBAL_TABLES_SPEC;
        }
        if self.paging_state.is_some() {
            flags |= HAS_MORE_PAGES;
        }
        if self.no_metadata {
            flags |= NO_METADATA;
        } else if new_id.is_some() {
            flags |= METADATA_CHANGED;
        }
        let count = if self.no_metadata {
            self.column_count
        } else {
            columns.len()
        };
        wire::write_int(out, flags);
        wire::write_int(out, count as i32);
        if let Some(state) = &self.paging_state {
            wire::write_bytes(out, Some(state));
        }
        if let (false, Some(id)) = (self.no_metadata, new_id) {
            wire::write_short_bytes(out, id);
        }
        write_column_specs(out, columns, global.is_some());
    }

    pub fn decode(
        buf: &mut Bytes,
        version: ProtocolVersion,
    ) -> Result<RowsMetadata, ProtocolError> {
        let flags = wire::read_int(buf)?;
        let count = wire::read_int(buf)?;
        let column_count = usize::try_from(count).map_err(|_| ProtocolError::InvalidLength {
            what: "columns_count",
            len: i64::from(count),
        })?;
        let paging_state = if flags & HAS_MORE_PAGES != 0 {
            wire::read_bytes(buf)?
        } else {
            None
        };
        let no_metadata = flags & NO_METADATA != 0;
        let new_metadata_id = if version.is_v5() && flags & METADATA_CHANGED != 0 {
            Some(wire::read_short_bytes(buf)?)
        } else {
            None
        };
        let (global_table_spec, columns) = if no_metadata {
            (None, Vec::new())
        } else {
            read_column_specs(buf, column_count, flags & GLOBAL_TABLES_SPEC != 0)?
        };
        Ok(RowsMetadata {
            global_table_spec,
            columns,
            paging_state,
            no_metadata,
            new_metadata_id,
            column_count,
        })
    }
}

/// The (keyspace, table) all columns share, if any and if there is a column.
pub(crate) fn shared_table(columns: &[ColumnSpec]) -> Option<(String, String)> {
    let first = columns.first()?;
    columns
        .iter()
        .all(|c| c.keyspace == first.keyspace && c.table == first.table)
        .then(|| (first.keyspace.clone(), first.table.clone()))
}

/// `[<global_table_spec>?<col_spec_1>...<col_spec_n>]`.
pub(crate) fn write_column_specs(out: &mut BytesMut, columns: &[ColumnSpec], global: bool) {
    if let (true, Some(first)) = (global, columns.first()) {
        wire::write_string(out, &first.keyspace);
        wire::write_string(out, &first.table);
    }
    for c in columns {
        if !global {
            wire::write_string(out, &c.keyspace);
            wire::write_string(out, &c.table);
        }
        wire::write_string(out, &c.name);
        encode_type(&c.typ, out);
    }
}

#[allow(clippy::type_complexity)]
pub(crate) fn read_column_specs(
    buf: &mut Bytes,
    count: usize,
    global: bool,
) -> Result<(Option<(String, String)>, Vec<ColumnSpec>), ProtocolError> {
    let global_spec = if global {
        Some((wire::read_string(buf)?, wire::read_string(buf)?))
    } else {
        None
    };
    // A column spec takes at least 4 bytes: bound the allocation by the input.
    let mut columns = Vec::with_capacity(count.min(buf.len() / 4));
    for _ in 0..count {
        let (keyspace, table) = match &global_spec {
            Some((k, t)) => (k.clone(), t.clone()),
            None => (wire::read_string(buf)?, wire::read_string(buf)?),
        };
        let name = wire::read_string(buf)?;
        let typ = decode_type(buf)?;
        columns.push(ColumnSpec {
            keyspace,
            table,
            name,
            typ,
        });
    }
    Ok((global_spec, columns))
}

/// A page of rows; each value is the serialized cell or `None` for null.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rows {
    pub metadata: RowsMetadata,
    pub rows: Vec<Vec<Option<Bytes>>>,
}

impl Rows {
    /// Appends metadata, row count and values. Every row must have
    /// `metadata.column_count` values (the caller builds them from the same
    /// selection); a debug assertion checks it.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        self.metadata.encode(version, out);
        wire::write_int(out, self.rows.len() as i32);
        for row in &self.rows {
            debug_assert_eq!(row.len(), self.metadata.column_count);
            for v in row {
                wire::write_bytes(out, v.as_deref());
            }
        }
    }

    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<Rows, ProtocolError> {
        let metadata = RowsMetadata::decode(buf, version)?;
        let count = wire::read_int(buf)?;
        let row_count = usize::try_from(count).map_err(|_| ProtocolError::InvalidLength {
            what: "rows_count",
            len: i64::from(count),
        })?;
        let columns = metadata.column_count;
        if columns == 0 && row_count > 0 {
            return Err(ProtocolError::Invalid(format!(
                "{row_count} rows announced with no columns"
            )));
        }
        // Every value takes at least 4 bytes: bound the allocations by the input.
        let mut rows = Vec::with_capacity(row_count.min(buf.len() / 4 / columns.max(1)));
        for _ in 0..row_count {
            let mut row = Vec::with_capacity(columns.min(buf.len() / 4));
            for _ in 0..columns {
                row.push(wire::read_bytes(buf)?);
            }
            rows.push(row);
        }
        Ok(Rows { metadata, rows })
    }
}
