//! The memtable: a concurrent sorted map of partitions, ordered by
//! (token, key bytes), each partition's rows ordered by clustering bytes.
//! Writers to different partitions do not contend; writers to the same
//! partition serialize on that partition's mutex. Size is accounted
//! approximately (bytes written, overwrites included) to decide flushes.
//! Public for benchmarks; the engine is the normal entry point.
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use bytes::Bytes;
use crossbeam_skiplist::SkipMap;
use parking_lot::Mutex;

use crate::merge::PartitionData;
use crate::types::Mutation;

/// Sort key of a partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PartitionKey {
    pub token: i64,
    pub key: Bytes,
}

/// One memtable of one table.
pub struct Memtable {
    map: SkipMap<PartitionKey, Mutex<PartitionData>>,
    size: AtomicUsize,
    min_timestamp: AtomicI64,
}

impl Default for Memtable {
    fn default() -> Self {
        Memtable {
            map: SkipMap::new(),
            size: AtomicUsize::new(0),
            min_timestamp: AtomicI64::new(i64::MAX),
        }
    }
}

impl Memtable {
    /// Inserts a mutation; returns the bytes it added to the accounting.
    pub fn apply(&self, m: &Mutation) -> usize {
        let update = PartitionData::from_mutation(m);
        let added = update.size_estimate() + m.key.len() + 32;
        if let Some((min, _)) = update.timestamp_range() {
            self.min_timestamp.fetch_min(min, Ordering::Relaxed);
        }
        let key = PartitionKey {
            token: m.token,
            key: m.key.clone(),
        };
        let entry = self
            .map
            .get_or_insert_with(key, || Mutex::new(PartitionData::default()));
        entry.value().lock().merge(update);
        self.size.fetch_add(added, Ordering::Relaxed);
        added
    }

    /// A copy of the partition, if this memtable holds it.
    #[cfg(test)]
    pub(crate) fn get(&self, token: i64, key: &Bytes) -> Option<PartitionData> {
        self.get_filtered(token, key, None)
    }

    /// A copy of the partition with only the rows `keep` accepts.
    pub(crate) fn get_filtered(
        &self,
        token: i64,
        key: &Bytes,
        keep: crate::codec::RowFilter,
    ) -> Option<PartitionData> {
        let k = PartitionKey {
            token,
            key: key.clone(),
        };
        let entry = self.map.get(&k)?;
        let p = entry.value().lock();
        let Some(keep) = keep else {
            return Some(p.clone());
        };
        Some(PartitionData {
            partition_deletion: p.partition_deletion,
            range_tombstones: p.range_tombstones.clone(),
            static_row: p.static_row.clone(),
            rows: p
                .rows
                .iter()
                .filter(|(c, _)| keep(c))
                .map(|(c, r)| (c.clone(), r.clone()))
                .collect(),
        })
    }

    /// Runs `f` on the partition in place (under its lock, no copy), if
    /// this memtable holds it.
    pub(crate) fn with_partition<T>(
        &self,
        token: i64,
        key: &Bytes,
        f: impl FnOnce(&PartitionData) -> T,
    ) -> Option<T> {
        let k = PartitionKey {
            token,
            key: key.clone(),
        };
        let entry = self.map.get(&k)?;
        let p = entry.value().lock();
        Some(f(&p))
    }

    /// True if this memtable holds the partition.
    pub fn contains(&self, token: i64, key: &Bytes) -> bool {
        self.map.contains_key(&PartitionKey {
            token,
            key: key.clone(),
        })
    }

    /// Copies of the partitions from `from` on, in order. The iterator is
    /// lazy: partitions written meanwhile may or may not appear.
    pub(crate) fn range(
        &self,
        from: Bound<PartitionKey>,
    ) -> impl Iterator<Item = (PartitionKey, PartitionData)> + '_ {
        self.map
            .range((from, Bound::Unbounded))
            .map(|e| (e.key().clone(), e.value().lock().clone()))
    }

    /// Calls `f` on every partition in order, under that partition's lock,
    /// without copying it: how a flush reads a memtable that no longer takes
    /// writes. Stops at the first error.
    pub(crate) fn for_each<E>(
        &self,
        mut f: impl FnMut(&PartitionKey, &PartitionData) -> Result<(), E>,
    ) -> Result<(), E> {
        for e in self.map.iter() {
            f(e.key(), &e.value().lock())?;
        }
        Ok(())
    }

    /// Accounted bytes.
    pub fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Oldest write timestamp held (`i64::MAX` when empty); bounds purging.
    pub fn min_timestamp(&self) -> i64 {
        self.min_timestamp.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Cell, CellValue, ColumnId, Row, TableId};

    fn m(token: i64, key: &'static [u8], ck: &'static [u8], ts: i64, v: &'static [u8]) -> Mutation {
        Mutation {
            table: TableId::default(),
            token,
            key: Bytes::from_static(key),
            rows: vec![Row {
                clustering: Bytes::from_static(ck),
                cells: vec![Cell {
                    column: ColumnId(1),
                    path: None,
                    timestamp: ts,
                    value: CellValue::Live {
                        value: Bytes::from_static(v),
                        ttl: None,
                    },
                }],
                ..Row::default()
            }],
            ..Mutation::default()
        }
    }

    #[test]
    fn orders_by_token_then_key_and_merges() {
        let mt = Memtable::default();
        mt.apply(&m(5, b"b", b"1", 10, b"x"));
        mt.apply(&m(5, b"a", b"1", 10, b"x"));
        mt.apply(&m(-3, b"z", b"1", 10, b"x"));
        mt.apply(&m(5, b"a", b"1", 20, b"y"));
        mt.apply(&m(5, b"a", b"0", 5, b"w"));
        let keys: Vec<_> = mt
            .range(Bound::Unbounded)
            .map(|(k, _)| (k.token, k.key))
            .collect();
        assert_eq!(
            keys,
            vec![
                (-3, Bytes::from_static(b"z")),
                (5, Bytes::from_static(b"a")),
                (5, Bytes::from_static(b"b"))
            ]
        );
        let p = mt.get(5, &Bytes::from_static(b"a")).expect("present");
        assert_eq!(p.rows.len(), 2);
        let row = p.rows.get(&Bytes::from_static(b"1")).expect("row 1");
        assert_eq!(row.cells[0].timestamp, 20);
        assert_eq!(mt.min_timestamp(), 5);
        assert!(mt.size() > 0);
        assert_eq!(mt.len(), 3);
    }
}
