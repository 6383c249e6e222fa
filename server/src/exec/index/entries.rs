//! Index entries of a base write: what each index of a table holds for one
//! `storage::Mutation` (used on every write and, for a scanned partition turned into
//! a mutation, by the build).
//!
//! No read before write: an entry is derived from the mutation alone. Entries of
//! values a write replaces or deletes stay behind and are skipped at read time, when
//! the base row no longer holds the value (Cassandra's legacy index does the same).
//! Entries of regular and static columns carry the indexed cell's timestamp and TTL,
//! so they expire with it and compaction purges them like the cell. Entries of
//! clustering and partition key columns name a row (or partition) that lives as long
//! as any of its cells, which a write alone cannot tell: they never expire, and an
//! expired base row's entry is skipped at read time.

use bytes::Bytes;
use cql::types::CqlType;
use storage::{CellValue, LivenessInfo, Mutation, Row};

use super::layout;
use super::Target;
use crate::schema::{ColumnKind, IndexDef, TableDef};

/// What an index reads from a base write, resolved against its table.
#[derive(Debug, Clone)]
pub struct Indexed {
    /// The hidden table.
    pub table: storage::TableId,
    /// The indexed column (index into the table's columns).
    pub column: usize,
    pub kind: Target,
    source: Source,
    col_id: storage::ColumnId,
    /// The element type of a set, or the key type of a map (cell paths hold them in
    /// byte-comparable form).
    path_type: Option<CqlType>,
    /// The column is a non-frozen set (its elements are in the cell paths).
    set: bool,
    ck_types: Vec<(CqlType, bool)>,
    pk_len: usize,
    /// The value type, for an index in the ordered layout (range-capable: SAI and
    /// SASI on a non-collection column; see `layout`).
    pub ordered: Option<CqlType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    PartitionKey(usize),
    Clustering(usize),
    Static,
    Regular,
}

impl Indexed {
    /// `None` for an index without a table (a schema from before index tables) or
    /// whose target no longer names a column.
    pub fn new(t: &TableDef, i: &IndexDef) -> Option<Indexed> {
        let table = storage::TableId(i.table_id?);
        let (name, kind) = super::target(i);
        let column = t.columns.iter().position(|c| c.name == name)?;
        let col = t.columns.get(column)?;
        let source = match col.kind {
            ColumnKind::PartitionKey(p) => Source::PartitionKey(p as usize),
            ColumnKind::Clustering(p, _) => Source::Clustering(p as usize),
            ColumnKind::Static => Source::Static,
            ColumnKind::Regular => Source::Regular,
        };
        let path_type = match col.typ.unfrozen() {
            CqlType::Set(e) => Some((**e).clone()),
            CqlType::Map(k, _) => Some((**k).clone()),
            _ => None,
        };
        let ck_types = t
            .clustering_columns()
            .map(|c| {
                let desc = matches!(
                    c.kind,
                    ColumnKind::Clustering(_, crate::schema::Order::Desc)
                );
                (c.typ.clone(), desc)
            })
            .collect();
        let ranges = super::is_sai(i) || super::is_sasi(i);
        let ordered =
            (ranges && kind == Target::Simple && path_type.is_none()).then(|| col.typ.clone());
        Some(Indexed {
            ordered,
            table,
            column,
            kind,
            source,
            col_id: col.id,
            path_type,
            set: matches!(col.typ, CqlType::Set(_)),
            ck_types,
            pk_len: t.partition_key.len(),
        })
    }

    /// Whether an entry names a whole base partition (static and partition key
    /// columns) rather than one row.
    pub fn per_partition(&self) -> bool {
        matches!(self.source, Source::PartitionKey(_) | Source::Static)
    }

    /// The column whose single cell holds the indexed value (a regular column
    /// indexed whole), where a read can prove an entry stale (`stale`).
    pub fn regular_cell(&self) -> Option<storage::ColumnId> {
        (self.source == Source::Regular && matches!(self.kind, Target::Simple | Target::Full))
            .then_some(self.col_id)
    }

    /// Appends the entries of base mutation `m` to `out` (one mutation per value).
    pub fn entries(&self, m: &Mutation, out: &mut Vec<Mutation>) {
        let mut put = |value: &[u8], clustering: Bytes, liveness: LivenessInfo| {
            let (key, clustering) = match &self.ordered {
                None => (layout::entry_key(value), clustering),
                Some(t) => {
                    // Only a value its own type does not encode (never stored) fails.
                    let Some(v) = layout::value_prefix(t, value) else {
                        return;
                    };
                    let mut c = bytes::BytesMut::from(&v[..]);
                    c.extend_from_slice(&clustering);
                    (Bytes::from_static(layout::ORDERED_KEY), c.freeze())
                }
            };
            out.push(Mutation {
                table: self.table,
                token: crate::coordinator::Coordinator::token(&key),
                key,
                rows: vec![Row {
                    clustering,
                    liveness: Some(liveness),
                    ..Row::default()
                }],
                ..Mutation::default()
            });
        };
        let partition = || layout::partition_prefix(m.token, &m.key).freeze();
        match self.source {
            Source::PartitionKey(pos) => {
                let Some(ts) = m.rows.iter().chain(&m.static_row).filter_map(live_ts).max() else {
                    return;
                };
                let parts = crate::exec::values::split_partition_key(&m.key, self.pk_len);
                if let Some(v) = parts.ok().and_then(|p| p.into_iter().nth(pos)) {
                    put(
                        &v,
                        partition(),
                        LivenessInfo {
                            timestamp: ts,
                            ttl: None,
                        },
                    );
                }
            }
            Source::Clustering(pos) => {
                for r in &m.rows {
                    let Some(ts) = live_ts(r) else { continue };
                    let ck = crate::exec::values::decode_clustering(&r.clustering, &self.ck_types);
                    if let Some(v) = ck.ok().and_then(|c| c.into_iter().nth(pos)) {
                        let c = layout::entry_clustering(m.token, &m.key, &r.clustering);
                        put(
                            &v,
                            c,
                            LivenessInfo {
                                timestamp: ts,
                                ttl: None,
                            },
                        );
                    }
                }
            }
            Source::Static => {
                if let Some(s) = &m.static_row {
                    self.cell_values(s, |v, l| put(v, partition(), l));
                }
            }
            Source::Regular => {
                for r in &m.rows {
                    let c = layout::entry_clustering(m.token, &m.key, &r.clustering);
                    self.cell_values(r, |v, l| put(v, c.clone(), l));
                }
            }
        }
    }

    /// Calls `f` with each value this index takes from the live cells of `row`, and
    /// the cell's timestamp and TTL.
    fn cell_values(&self, row: &Row, mut f: impl FnMut(&[u8], LivenessInfo)) {
        for c in row.cells.iter().filter(|c| c.column == self.col_id) {
            let CellValue::Live { value, ttl } = &c.value else {
                continue;
            };
            let l = LivenessInfo {
                timestamp: c.timestamp,
                ttl: *ttl,
            };
            let path = || {
                let p = c.path.as_ref()?;
                let t = self.path_type.clone()?;
                let mut v = crate::exec::values::decode_clustering(p, &[(t, false)]).ok()?;
                v.pop()
            };
            match (self.kind, &c.path) {
                (Target::Simple | Target::Full, None) => f(value, l),
                // List elements and map values are cell values; set elements are
                // their cells' paths.
                (Target::Values, Some(_)) if self.set => {
                    if let Some(v) = path() {
                        f(&v, l)
                    }
                }
                (Target::Values, Some(_)) => f(value, l),
                (Target::Keys, Some(_)) => {
                    if let Some(k) = path() {
                        f(&k, l)
                    }
                }
                (Target::Entries, Some(_)) => {
                    if let Some(k) = path() {
                        f(&layout::map_entry(&k, value), l)
                    }
                }
                _ => {}
            }
        }
    }
}

/// The newest timestamp of a row's live data (its marker or a live cell).
fn live_ts(r: &Row) -> Option<i64> {
    let cells = r
        .cells
        .iter()
        .filter(|c| matches!(c.value, CellValue::Live { .. }))
        .map(|c| c.timestamp);
    r.liveness
        .map(|l| l.timestamp)
        .into_iter()
        .chain(cells)
        .max()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use cql::types::CqlType;
    use storage::{Cell, CellValue, LivenessInfo, Mutation, Row};

    use super::Indexed;
    use crate::exec::index::layout;
    use crate::exec::testutil::{kcv, table};
    use crate::schema::{ColumnKind, IndexDef, IndexKind, Order, TableDef};

    fn index(target: &str, class: Option<&str>) -> IndexDef {
        let mut options = std::collections::BTreeMap::new();
        options.insert("target".to_string(), target.to_string());
        if let Some(c) = class {
            options.insert("class_name".to_string(), c.to_string());
        }
        IndexDef {
            name: "i".into(),
            kind: IndexKind::Composites,
            options,
            table_id: Some(uuid::Uuid::from_u128(99)),
        }
    }

    fn col(t: &TableDef, name: &str) -> storage::ColumnId {
        t.column(name).expect("column").id
    }

    fn int(v: i32) -> Bytes {
        Bytes::copy_from_slice(&v.to_be_bytes())
    }

    /// An int in byte-comparable form (a clustering, a set element's path).
    fn key_int(v: i32) -> Bytes {
        let mut b = bytes::BytesMut::new();
        crate::exec::values::encode_clustering(&mut b, &CqlType::Int, &int(v), false)
            .expect("encodes");
        b.freeze()
    }

    fn cell(column: storage::ColumnId, path: Option<Bytes>, ts: i64, value: CellValue) -> Cell {
        Cell {
            column,
            path,
            timestamp: ts,
            value,
        }
    }

    fn live(v: Bytes, ttl: Option<(i32, i32)>) -> CellValue {
        CellValue::Live { value: v, ttl }
    }

    fn write(rows: Vec<Row>, static_row: Option<Row>) -> Mutation {
        Mutation {
            token: 5,
            key: int(1),
            rows,
            static_row,
            ..Mutation::default()
        }
    }

    fn entries(t: &TableDef, i: &IndexDef, m: &Mutation) -> Vec<Mutation> {
        let mut out = Vec::new();
        Indexed::new(t, i).expect("indexed").entries(m, &mut out);
        out
    }

    #[test]
    fn a_regular_entry_carries_its_cells_timestamp_and_ttl() {
        let t = kcv(Order::Asc);
        let ck = Bytes::from_static(b"ck");
        let v = col(&t.def, "v");
        let m = write(
            vec![Row {
                clustering: ck.clone(),
                cells: vec![cell(v, None, 10, live(int(7), Some((60, 1000))))],
                ..Row::default()
            }],
            None,
        );
        let out = entries(&t.def, &index("v", None), &m);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].key, layout::entry_key(&int(7)));
        let row = &out[0].rows[0];
        assert_eq!(row.clustering, layout::entry_clustering(5, &int(1), &ck));
        assert_eq!(
            row.liveness,
            Some(LivenessInfo {
                timestamp: 10,
                ttl: Some((60, 1000))
            })
        );
        // A deletion writes no entry (stale ones are skipped at read time).
        let del = write(
            vec![Row {
                clustering: ck,
                cells: vec![cell(
                    v,
                    None,
                    11,
                    CellValue::Tombstone {
                        local_deletion_time: 1,
                    },
                )],
                ..Row::default()
            }],
            None,
        );
        assert!(entries(&t.def, &index("v", None), &del).is_empty());
    }

    #[test]
    fn static_and_key_entries_name_the_partition() {
        let t = kcv(Order::Asc);
        let s = col(&t.def, "s");
        let m = write(
            vec![Row {
                clustering: key_int(6),
                liveness: Some(LivenessInfo {
                    timestamp: 3,
                    ttl: Some((5, 9)),
                }),
                ..Row::default()
            }],
            Some(Row {
                cells: vec![cell(s, None, 4, live(int(2), None))],
                ..Row::default()
            }),
        );
        let partition = layout::partition_prefix(5, &int(1)).freeze();
        let st = entries(&t.def, &index("s", None), &m);
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].rows[0].clustering, partition);
        // Clustering entries never expire: the row outlives any one write's TTL.
        let c = entries(&t.def, &index("c", None), &m);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].key, layout::entry_key(&int(6)));
        assert_eq!(c[0].rows[0].liveness.and_then(|l| l.ttl), None);
        assert_eq!(c[0].rows[0].liveness.map(|l| l.timestamp), Some(3));
    }

    #[test]
    fn set_elements_and_ordered_sai_values() {
        let t = table(&[
            ("k", CqlType::Int, ColumnKind::PartitionKey(0)),
            (
                "tags",
                CqlType::Set(Box::new(CqlType::Int)),
                ColumnKind::Regular,
            ),
            ("n", CqlType::Int, ColumnKind::Regular),
        ]);
        let tags = col(&t.def, "tags");
        let path = key_int;
        let m = write(
            vec![Row {
                cells: vec![
                    cell(tags, Some(path(3)), 1, live(Bytes::new(), None)),
                    cell(tags, Some(path(4)), 1, live(Bytes::new(), None)),
                    cell(col(&t.def, "n"), None, 1, live(int(-8), None)),
                ],
                ..Row::default()
            }],
            None,
        );
        let keys: Vec<Bytes> = entries(&t.def, &index("values(tags)", None), &m)
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(
            keys,
            vec![layout::entry_key(&int(3)), layout::entry_key(&int(4))]
        );
        let sai = index(
            "n",
            Some("org.apache.cassandra.index.sai.StorageAttachedIndex"),
        );
        let ordered = entries(&t.def, &sai, &m);
        assert_eq!(ordered[0].key, Bytes::from_static(layout::ORDERED_KEY));
        let c = &ordered[0].rows[0].clustering;
        let value = layout::value_prefix(&CqlType::Int, &int(-8)).expect("int");
        assert!(c.starts_with(&value));
        assert_eq!(
            layout::strip_value(&CqlType::Int, c),
            Some(layout::entry_clustering(5, &int(1), b""))
        );
    }
}
