//! Streams a RESULT Rows body straight into the output buffer, for servers that produce
//! cells one by one: no `Vec<Vec<Option<Bytes>>>` and no per-value allocation. The
//! bytes are the same as `ResultBody::Rows(..).encode`. Use it inside
//! `crate::frame::encode_frame_with`.

use bytes::BytesMut;

use super::rows::RowsMetadata;
use crate::frame::ProtocolVersion;
use crate::wire;

const ROWS: i32 = 0x0002;

/// Writes `[kind][metadata][rows_count][values...]`, patching the count at the end.
#[derive(Debug)]
pub struct RowsWriter<'a> {
    out: &'a mut BytesMut,
    start: usize,
    count_at: usize,
    columns: usize,
    values: usize,
}

impl<'a> RowsWriter<'a> {
    /// Writes the kind, `metadata` and a row count to be patched by [`Self::finish`].
    pub fn new(out: &'a mut BytesMut, version: ProtocolVersion, metadata: &RowsMetadata) -> Self {
        let start = out.len();
        wire::write_int(out, ROWS);
        metadata.encode(version, out);
        let count_at = out.len();
        wire::write_int(out, 0);
        let columns = if metadata.no_metadata {
            metadata.column_count
        } else {
            metadata.columns.len()
        };
        RowsWriter {
            out,
            start,
            count_at,
            columns,
            values: 0,
        }
    }

    /// Appends the next value (row by row, column by column); `None` is null.
    pub fn value(&mut self, v: Option<&[u8]>) {
        wire::write_bytes(self.out, v);
        self.values += 1;
    }

    /// Rows completed so far.
    pub fn rows(&self) -> usize {
        self.values.checked_div(self.columns).unwrap_or(0)
    }

    /// Bytes of this Rows body written so far, for paging by size.
    pub fn bytes_written(&self) -> usize {
        self.out.len() - self.start
    }

    /// Patches the row count. A partial last row is a caller bug (debug assertion).
    pub fn finish(self) -> usize {
        debug_assert!(self.columns == 0 || self.values.checked_rem(self.columns) == Some(0));
        let rows = self.rows();
        if let Some(slot) = self.out.get_mut(self.count_at..self.count_at + 4) {
            slot.copy_from_slice(&(rows as i32).to_be_bytes());
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};

    use super::*;
    use crate::response::{ColumnSpec, ResultBody, Rows};
    use crate::types::CqlType;

    #[test]
    fn same_bytes_as_the_rows_encoder() {
        let metadata = RowsMetadata::new(vec![
            ColumnSpec {
                keyspace: "ks".into(),
                table: "t".into(),
                name: "k".into(),
                typ: CqlType::Int,
            },
            ColumnSpec {
                keyspace: "ks".into(),
                table: "t".into(),
                name: "v".into(),
                typ: CqlType::Text,
            },
        ]);
        let rows: Vec<Vec<Option<Bytes>>> = (0..3u8)
            .map(|i| {
                vec![
                    Some(Bytes::from(vec![0, 0, 0, i])),
                    (i != 1).then(|| Bytes::from_static(b"x")),
                ]
            })
            .collect();
        let mut expected = BytesMut::new();
        ResultBody::Rows(Rows {
            metadata: metadata.clone(),
            rows: rows.clone(),
        })
        .encode(ProtocolVersion::V4, &mut expected);
        let mut out = BytesMut::new();
        let mut w = RowsWriter::new(&mut out, ProtocolVersion::V4, &metadata);
        for row in &rows {
            for v in row {
                w.value(v.as_deref());
            }
        }
        assert_eq!(w.rows(), 3);
        assert_eq!(w.bytes_written(), expected.len());
        assert_eq!(w.finish(), 3);
        assert_eq!(out, expected);
    }
}
