//! Reconciliation: merging versions of a partition from memtables and
//! SSTables into one, following Cassandra's rules (higher timestamp wins; on a
//! tie a tombstone beats a live cell, then the greater value wins; counter
//! deltas add up and a counter tombstone is final). The merged form still
//! holds tombstones and shadowed data: `view` turns it into what readers see
//! and `purge` into what compaction writes.
use std::cmp::Ordering;
use std::mem::size_of;

use bytes::Bytes;

use crate::types::{
    Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, LivenessInfo, Mutation,
    RangeTombstone, Row,
};

mod rows;
pub(crate) use rows::Rows;

/// One version of a partition: everything one memtable or SSTable knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PartitionData {
    pub partition_deletion: Option<DeletionTime>,
    pub range_tombstones: Vec<RangeTombstone>,
    pub static_row: Option<Row>,
    /// Rows by clustering; each row's cells sorted by (column, path).
    pub rows: Rows,
}

fn max_deletion(a: Option<DeletionTime>, b: Option<DeletionTime>) -> Option<DeletionTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn cell_order(a: &Cell, b: &Cell) -> Ordering {
    (a.column, &a.path).cmp(&(b.column, &b.path))
}

/// The winner of two versions of the same cell.
pub(crate) fn reconcile(a: Cell, b: Cell) -> Cell {
    use CellValue::*;
    // Counter increments add up whatever their timestamps; a counter
    // tombstone is final.
    if let (Counter { delta: x }, Counter { delta: y }) = (&a.value, &b.value) {
        return Cell {
            column: a.column,
            path: a.path,
            timestamp: a.timestamp.max(b.timestamp),
            value: Counter {
                delta: x.wrapping_add(*y),
            },
        };
    }
    match (&a.value, &b.value) {
        (Tombstone { .. }, Counter { .. }) => return a,
        (Counter { .. }, Tombstone { .. }) => return b,
        _ => {}
    }
    if a.timestamp != b.timestamp {
        return if a.timestamp > b.timestamp { a } else { b };
    }
    match (&a.value, &b.value) {
        (
            Tombstone {
                local_deletion_time: x,
            },
            Tombstone {
                local_deletion_time: y,
            },
        ) => {
            if y > x {
                b
            } else {
                a
            }
        }
        (Tombstone { .. }, _) => a,
        (_, Tombstone { .. }) => b,
        (Live { value: x, ttl: tx }, Live { value: y, ttl: ty }) => {
            match x.cmp(y) {
                Ordering::Greater => a,
                Ordering::Less => b,
                // Same value: the later expiry (or no expiry) is kept.
                Ordering::Equal => {
                    let exp = |t: &Option<(i32, i32)>| t.map_or(i32::MAX, |(_, e)| e);
                    if exp(ty) > exp(tx) {
                        b
                    } else {
                        a
                    }
                }
            }
        }
        _ => a,
    }
}

fn reconcile_liveness(a: Option<LivenessInfo>, b: Option<LivenessInfo>) -> Option<LivenessInfo> {
    match (a, b) {
        (Some(x), Some(y)) => {
            if x.timestamp != y.timestamp {
                return Some(if x.timestamp > y.timestamp { x } else { y });
            }
            let exp = |l: &LivenessInfo| l.ttl.map_or(i32::MAX, |(_, e)| e);
            Some(if exp(&y) > exp(&x) { y } else { x })
        }
        (x, None) => x,
        (None, y) => y,
    }
}

/// Merges two (column, path)-sorted cell lists.
fn merge_cells(a: Vec<Cell>, b: Vec<Cell>) -> Vec<Cell> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut ia = a.into_iter().peekable();
    let mut ib = b.into_iter().peekable();
    loop {
        let ord = match (ia.peek(), ib.peek()) {
            (Some(x), Some(y)) => cell_order(x, y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match ord {
            Ordering::Less => out.extend(ia.next()),
            Ordering::Greater => out.extend(ib.next()),
            Ordering::Equal => {
                if let (Some(x), Some(y)) = (ia.next(), ib.next()) {
                    out.push(reconcile(x, y));
                }
            }
        }
    }
    out
}

/// Sorts a row's cells and complex deletions and folds duplicates, so rows
/// coming from clients satisfy the merged-form invariants.
pub(crate) fn normalize_row(mut row: Row) -> Row {
    // Rows from the server usually come sorted and without duplicates (one cell per
    // column, in column order): keep their vector instead of building a second one,
    // one allocation less per write.
    let strictly_sorted = row
        .cells
        .windows(2)
        .all(|w| matches!(w, [a, b] if cell_order(a, b) == Ordering::Less));
    if strictly_sorted && row.complex_deletions.len() < 2 {
        return row;
    }
    let mut cells = std::mem::take(&mut row.cells);
    cells.sort_by(cell_order);
    let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
    for c in cells {
        match out.last_mut() {
            Some(last) if cell_order(last, &c) == Ordering::Equal => {
                let prev = std::mem::replace(last, c.clone());
                *last = reconcile(prev, c);
            }
            _ => out.push(c),
        }
    }
    row.cells = out;
    row.complex_deletions = merge_complex(std::mem::take(&mut row.complex_deletions), Vec::new());
    row
}

fn merge_complex(
    mut a: Vec<(crate::types::ColumnId, DeletionTime)>,
    b: Vec<(crate::types::ColumnId, DeletionTime)>,
) -> Vec<(crate::types::ColumnId, DeletionTime)> {
    a.extend(b);
    a.sort_by_key(|(c, _)| *c);
    let mut out: Vec<(crate::types::ColumnId, DeletionTime)> = Vec::with_capacity(a.len());
    for (c, d) in a {
        match out.last_mut() {
            Some((lc, ld)) if *lc == c => *ld = ld.max(d),
            _ => out.push((c, d)),
        }
    }
    out
}

/// Merges `other` (a version of the same row) into `into`.
pub(crate) fn merge_row(into: &mut Row, other: Row) {
    into.liveness = reconcile_liveness(into.liveness, other.liveness);
    into.deletion = max_deletion(into.deletion, other.deletion);
    if !other.complex_deletions.is_empty() {
        into.complex_deletions = merge_complex(
            std::mem::take(&mut into.complex_deletions),
            other.complex_deletions,
        );
    }
    into.cells = merge_cells(std::mem::take(&mut into.cells), other.cells);
}

/// Heap bytes of a row held in a partition, for memtable accounting: the structs as
/// laid out in memory (the row's slot in its partition, see [`Rows`], and each cell's
/// slot in its vector) plus the bytes they point to, which the memtable copies into
/// its slab. Counting only the data bytes let memtables grow to ~5x their budget in
/// real memory. The partition's first row lives inline in the partition, counted
/// here and not in the memtable's per-partition cost.
pub(crate) fn row_size(row: &Row) -> usize {
    let cells: usize = row
        .cells
        .iter()
        .map(|c| {
            c.path.as_ref().map_or(0, |p| p.len())
                + match &c.value {
                    CellValue::Live { value, .. } => value.len(),
                    _ => 0,
                }
        })
        .sum();
    size_of::<Row>()
        + row.clustering.len()
        + allocated(row.cells.len() * size_of::<Cell>())
        + cells
        + row.complex_deletions.len() * size_of::<(ColumnId, DeletionTime)>()
}

/// Bytes malloc takes for a request of `len`: its size classes are 64 bytes apart
/// between 256 and 512 bytes (a five-cell row's vector asks for 480 and gets 512) and
/// at most 25% apart above, so rounding up to 64 counts the common rows right. Without
/// it a memtable of cassandra-stress rows held 9% more than it accounted
/// (docs/PERFORMANCE.md, "Memtable CPU per row, session 6").
fn allocated(len: usize) -> usize {
    len.next_multiple_of(64)
}

/// A copy of `row` whose byte fields (clustering, cell paths and values) are what
/// `copy` makes of the originals: how the memtable moves them out of request frames.
pub(crate) fn copy_row(row: &Row, copy: &mut impl FnMut(&Bytes) -> Bytes) -> Row {
    Row {
        clustering: copy(&row.clustering),
        liveness: row.liveness,
        deletion: row.deletion,
        complex_deletions: row.complex_deletions.clone(),
        cells: row
            .cells
            .iter()
            .map(|c| Cell {
                column: c.column,
                path: c.path.as_ref().map(&mut *copy),
                timestamp: c.timestamp,
                value: match &c.value {
                    CellValue::Live { value, ttl } => CellValue::Live {
                        value: copy(value),
                        ttl: *ttl,
                    },
                    other => other.clone(),
                },
            })
            .collect(),
    }
}

fn copy_bound(b: &ClusteringBound, copy: &mut impl FnMut(&Bytes) -> Bytes) -> ClusteringBound {
    match b {
        ClusteringBound::Inclusive(p) => ClusteringBound::Inclusive(copy(p)),
        ClusteringBound::Exclusive(p) => ClusteringBound::Exclusive(copy(p)),
        other => other.clone(),
    }
}

impl PartitionData {
    /// The partition version a mutation describes (rows normalized).
    #[cfg(test)]
    pub fn from_mutation(m: &Mutation) -> PartitionData {
        Self::from_mutation_with(m, &mut Bytes::clone)
    }

    /// [`Self::from_mutation`], with every byte field (clustering bounds and keys,
    /// cell paths and values; not the partition key) made by `copy` from the
    /// mutation's.
    pub fn from_mutation_with(
        m: &Mutation,
        copy: &mut impl FnMut(&Bytes) -> Bytes,
    ) -> PartitionData {
        let mut p = PartitionData {
            partition_deletion: m.partition_deletion,
            range_tombstones: m
                .range_tombstones
                .iter()
                .map(|rt| RangeTombstone {
                    start: copy_bound(&rt.start, copy),
                    end: copy_bound(&rt.end, copy),
                    deletion: rt.deletion,
                })
                .collect(),
            static_row: m
                .static_row
                .as_ref()
                .map(|r| normalize_row(copy_row(r, copy))),
            rows: Rows::default(),
        };
        for row in &m.rows {
            p.rows.upsert(normalize_row(copy_row(row, copy)), merge_row);
        }
        p
    }

    /// Merges another version of the same partition into this one.
    pub fn merge(&mut self, other: PartitionData) {
        self.partition_deletion = max_deletion(self.partition_deletion, other.partition_deletion);
        for rt in other.range_tombstones {
            if !self.range_tombstones.contains(&rt) {
                self.range_tombstones.push(rt);
            }
        }
        self.static_row = match (self.static_row.take(), other.static_row) {
            (Some(mut a), Some(b)) => {
                merge_row(&mut a, b);
                Some(a)
            }
            (a, None) => a,
            (None, b) => b,
        };
        if self.rows.is_empty() {
            self.rows = other.rows;
            return;
        }
        for row in other.rows.into_values() {
            self.rows.upsert(row, merge_row);
        }
    }

    /// Approximate heap bytes of what this version adds to a partition already held
    /// (see [`row_size`]); the memtable adds the cost of a new partition itself.
    pub fn size_estimate(&self) -> usize {
        self.range_tombstones.len() * size_of::<RangeTombstone>()
            + self.static_row.as_ref().map_or(0, row_size)
            + self.rows.values().map(row_size).sum::<usize>()
    }

    /// Smallest and largest write timestamps held (data and tombstones).
    pub fn timestamp_range(&self) -> Option<(i64, i64)> {
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        let mut see = |t: i64| {
            lo = lo.min(t);
            hi = hi.max(t);
        };
        if let Some(d) = self.partition_deletion {
            see(d.marked_for_delete_at);
        }
        for r in &self.range_tombstones {
            see(r.deletion.marked_for_delete_at);
        }
        for row in self.static_row.iter().chain(self.rows.values()) {
            if let Some(l) = row.liveness {
                see(l.timestamp);
            }
            if let Some(d) = row.deletion {
                see(d.marked_for_delete_at);
            }
            for (_, d) in &row.complex_deletions {
                see(d.marked_for_delete_at);
            }
            for c in &row.cells {
                see(c.timestamp);
            }
        }
        (lo <= hi).then_some((lo, hi))
    }
}

#[cfg(test)]
mod tests;
