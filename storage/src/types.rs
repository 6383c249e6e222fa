//! The data model storage speaks: mutations, rows, cells, tombstones, read
//! and scan commands, and the merged partitions reads return. Keys and
//! clustering prefixes are opaque bytes; clustering bytes are byte-comparable
//! (the server encodes them so that byte order is clustering order).
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;

use crate::compaction::CompactionConfig;

/// A table's identity (the schema's table id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub uuid::Uuid);

/// A map keyed by table, for the lookups every write makes (the engine's tables, the
/// server's per-table metrics).
pub type TableMap<V> = HashMap<TableId, V, BuildHasherDefault<TableIdHasher>>;

/// Hashes a [`TableId`]: the ids are UUIDs (random or time-based) that the schema
/// assigns, so folding their bytes spreads them well, and SipHash's resistance to
/// chosen keys buys nothing.
#[derive(Default)]
pub struct TableIdHasher(u64);

impl Hasher for TableIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            self.0 = (self.0 ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// A column's identity inside a table, assigned by the server's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnId(pub u32);

/// Per-table storage options (from CQL `WITH ...`).
#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    /// Compaction strategy and its options. Default size-tiered.
    pub compaction: CompactionConfig,
    /// Bloom filter false-positive chance, in (0, 1]. Default 0.01; 1.0
    /// disables the filter.
    pub bloom_filter_fp_chance: f64,
    /// Seconds a tombstone is kept before compaction may purge it.
    /// Default 864000 (10 days).
    pub gc_grace_seconds: u32,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            compaction: CompactionConfig::default(),
            bloom_filter_fp_chance: 0.01,
            gc_grace_seconds: 864_000,
        }
    }
}

impl TableOptions {
    /// Checks option ranges; the error names the option.
    pub fn validate(&self) -> crate::Result<()> {
        if !(self.bloom_filter_fp_chance > 0.0 && self.bloom_filter_fp_chance <= 1.0) {
            return Err(crate::Error::InvalidConfig(
                "bloom_filter_fp_chance must be in (0, 1]".into(),
            ));
        }
        self.compaction.validate()
    }
}

/// When and by which write a deletion happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeletionTime {
    /// Write timestamp of the deletion, microseconds. Data with a timestamp
    /// `<=` this is shadowed.
    pub marked_for_delete_at: i64,
    /// Local time of the deletion, seconds since the epoch; drives gc_grace.
    pub local_deletion_time: i32,
}

impl DeletionTime {
    /// True if this deletion shadows data written at `timestamp`.
    pub fn deletes(&self, timestamp: i64) -> bool {
        timestamp <= self.marked_for_delete_at
    }

    /// The later of two deletions (by timestamp, then local time).
    pub fn max(self, other: DeletionTime) -> DeletionTime {
        if (other.marked_for_delete_at, other.local_deletion_time)
            > (self.marked_for_delete_at, self.local_deletion_time)
        {
            other
        } else {
            self
        }
    }
}

/// One side of a clustering range. Bounds are byte-comparable prefixes: a
/// prefix bound covers every clustering that starts with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClusteringBound {
    /// Before every clustering.
    Bottom,
    /// After every clustering.
    Top,
    /// Includes the prefix and every clustering starting with it.
    Inclusive(Bytes),
    /// Excludes the prefix and every clustering starting with it.
    Exclusive(Bytes),
}

impl ClusteringBound {
    /// True if `c` is at or after this bound used as a range start.
    pub fn admits_as_start(&self, c: &[u8]) -> bool {
        match self {
            ClusteringBound::Bottom => true,
            ClusteringBound::Top => false,
            ClusteringBound::Inclusive(p) => c >= &p[..],
            ClusteringBound::Exclusive(p) => c > &p[..] && !c.starts_with(p),
        }
    }

    /// True if `c` is at or before this bound used as a range end.
    pub fn admits_as_end(&self, c: &[u8]) -> bool {
        match self {
            ClusteringBound::Bottom => false,
            ClusteringBound::Top => true,
            ClusteringBound::Inclusive(p) => c <= &p[..] || c.starts_with(p),
            ClusteringBound::Exclusive(p) => c < &p[..],
        }
    }
}

/// True if clustering `c` lies in `[start, end]` (bound semantics above).
pub fn in_slice(start: &ClusteringBound, end: &ClusteringBound, c: &[u8]) -> bool {
    start.admits_as_start(c) && end.admits_as_end(c)
}

/// A deletion of every row whose clustering lies between two bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RangeTombstone {
    pub start: ClusteringBound,
    pub end: ClusteringBound,
    pub deletion: DeletionTime,
}

/// The row marker an INSERT writes: the row exists even with no cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LivenessInfo {
    /// Write timestamp, microseconds.
    pub timestamp: i64,
    /// `(ttl_seconds, local_expiration_seconds)` when the marker expires.
    pub ttl: Option<(i32, i32)>,
}

/// One row (or the static row) of a partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Row {
    /// Byte-comparable clustering; empty for tables without clustering
    /// columns and for the static row.
    pub clustering: Bytes,
    /// Row marker written by INSERT.
    pub liveness: Option<LivenessInfo>,
    /// Row deletion.
    pub deletion: Option<DeletionTime>,
    /// Whole-collection deletions (a non-frozen collection overwritten).
    pub complex_deletions: Vec<(ColumnId, DeletionTime)>,
    /// Cells. In rows returned by reads they are sorted by (column, path).
    pub cells: Vec<Cell>,
}

/// One cell: a column value (or collection element) with its timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cell {
    pub column: ColumnId,
    /// Element key of a non-frozen collection or UDT field, byte-comparable.
    pub path: Option<Bytes>,
    /// Write timestamp, microseconds.
    pub timestamp: i64,
    pub value: CellValue,
}

/// What a cell holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CellValue {
    /// A value; `ttl` is `(ttl_seconds, local_expiration_seconds)`.
    Live {
        value: Bytes,
        ttl: Option<(i32, i32)>,
    },
    /// A cell deletion.
    Tombstone { local_deletion_time: i32 },
    /// A counter increment (in writes) or the summed value (in reads).
    Counter { delta: i64 },
}

/// All changes to one partition of one table, applied atomically.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mutation {
    pub table: TableId,
    /// Murmur3 token of the partition key (computed by the server).
    pub token: i64,
    /// Serialized partition key.
    pub key: Bytes,
    pub partition_deletion: Option<DeletionTime>,
    pub range_tombstones: Vec<RangeTombstone>,
    pub static_row: Option<Row>,
    pub rows: Vec<Row>,
}

impl Default for TableId {
    fn default() -> Self {
        TableId(uuid::Uuid::nil())
    }
}

/// Read one partition.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadCommand {
    pub table: TableId,
    pub token: i64,
    pub key: Bytes,
    /// Clustering slices `(start, end)`; empty = whole partition. Slices
    /// should be sorted and disjoint; overlapping slices return each row once.
    pub slices: Vec<(ClusteringBound, ClusteringBound)>,
    /// Return rows in descending clustering order.
    pub reversed: bool,
    /// At most this many rows (the static row does not count).
    pub row_limit: Option<usize>,
    /// Paging: only rows after this clustering (before it when reversed).
    pub resume_after: Option<Bytes>,
    /// "Now" in seconds since the epoch, for TTL expiry.
    pub now_seconds: i32,
}

impl ReadCommand {
    /// A whole-partition read with no limit.
    pub fn whole(table: TableId, token: i64, key: Bytes, now_seconds: i32) -> ReadCommand {
        ReadCommand {
            table,
            token,
            key,
            slices: Vec::new(),
            reversed: false,
            row_limit: None,
            resume_after: None,
            now_seconds,
        }
    }
}

/// Where a scan starts, in (token, key) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanBound {
    /// From the first partition of the ring.
    Start,
    /// Partitions with token `> token` (`inclusive = false`) or `>= token`.
    Token { token: i64, inclusive: bool },
    /// Partitions strictly after `(token, key)` (paging between partitions).
    AfterPartition { token: i64, key: Bytes },
    /// Rows after `clustering` inside `(token, key)`, then the following
    /// partitions (paging inside a partition).
    AfterRow {
        token: i64,
        key: Bytes,
        clustering: Bytes,
    },
}

/// Scan a token range of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanCommand {
    pub table: TableId,
    pub start: ScanBound,
    /// Last token included; `None` = to the end of the ring.
    pub end_token: Option<i64>,
    /// Stop after this many rows in total (a partition with only a live
    /// static row counts as one row).
    pub row_limit: usize,
    /// Stop after this many partitions.
    pub partition_limit: Option<usize>,
    /// At most this many rows per partition.
    pub per_partition_limit: Option<usize>,
    /// Clustering slices applied to every partition; empty = all rows.
    pub slices: Vec<(ClusteringBound, ClusteringBound)>,
    /// "Now" in seconds since the epoch, for TTL expiry.
    pub now_seconds: i32,
}

/// The merged, live view of one partition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Partition {
    pub token: i64,
    pub key: Bytes,
    /// The partition deletion, if any (informational: shadowed data is gone).
    pub partition_deletion: Option<DeletionTime>,
    /// The static row, if it has live data.
    pub static_row: Option<Row>,
    /// Live rows in the requested order. Cells are sorted by (column, path),
    /// keep their timestamps and TTLs; counters are one summed cell.
    pub rows: Vec<Row>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &[u8]) -> Bytes {
        Bytes::copy_from_slice(s)
    }

    #[test]
    fn prefix_bounds_cover_extensions() {
        let inc = ClusteringBound::Inclusive(b(b"ab"));
        let exc = ClusteringBound::Exclusive(b(b"ab"));
        assert!(inc.admits_as_start(b"ab"));
        assert!(inc.admits_as_start(b"abz"));
        assert!(!inc.admits_as_start(b"aa"));
        assert!(inc.admits_as_end(b"abz"));
        assert!(!inc.admits_as_end(b"ac"));
        assert!(!exc.admits_as_start(b"abz"));
        assert!(exc.admits_as_start(b"ac"));
        assert!(!exc.admits_as_end(b"ab"));
        assert!(exc.admits_as_end(b"aa"));
        assert!(in_slice(
            &ClusteringBound::Bottom,
            &ClusteringBound::Top,
            b""
        ));
    }

    #[test]
    fn table_id_hasher_tells_time_based_ids_apart() {
        // Ids made a moment apart differ in their low time bits only.
        let hash = |u: u128| {
            let mut h = TableIdHasher::default();
            std::hash::Hash::hash(&uuid::Uuid::from_u128(u), &mut h);
            h.finish()
        };
        let hashes: std::collections::HashSet<u64> = (0..1000u128)
            .map(|i| hash((i << 96) | 0x11f0_8000_0000_0000_0001))
            .collect();
        assert_eq!(hashes.len(), 1000);
    }
}
