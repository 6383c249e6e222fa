//! Turning a merged partition into what readers see (`live_view`) and what
//! compaction keeps (`purge`). Both apply the partition, range, row and
//! collection deletions and TTL expiry at a given `now`.
use bytes::Bytes;

use crate::merge::PartitionData;
use crate::types::{in_slice, CellValue, ClusteringBound, DeletionTime, Partition, Row};

/// Which rows a reader wants.
pub(crate) struct Filter<'a> {
    pub slices: &'a [(ClusteringBound, ClusteringBound)],
    pub reversed: bool,
    pub row_limit: Option<usize>,
    pub resume_after: Option<&'a Bytes>,
    pub now: i32,
}

fn expired(ttl: Option<(i32, i32)>, now: i32) -> bool {
    matches!(ttl, Some((_, exp)) if now >= exp)
}

fn effective_deletion(p: &PartitionData, row: &Row, with_ranges: bool) -> Option<DeletionTime> {
    let mut d = p.partition_deletion;
    if with_ranges {
        for rt in &p.range_tombstones {
            if in_slice(&rt.start, &rt.end, &row.clustering) {
                d = Some(d.map_or(rt.deletion, |x| x.max(rt.deletion)));
            }
        }
    }
    if let Some(rd) = row.deletion {
        d = Some(d.map_or(rd, |x| x.max(rd)));
    }
    d
}

/// The live part of a row under `deletion`, or `None` if nothing is live.
fn live_row(row: &Row, deletion: Option<DeletionTime>, now: i32) -> Option<Row> {
    let shadowed = |ts: i64| deletion.is_some_and(|d| d.deletes(ts));
    let liveness = row
        .liveness
        .filter(|l| !shadowed(l.timestamp) && !expired(l.ttl, now));
    let cells: Vec<_> = row
        .cells
        .iter()
        .filter(|c| !shadowed(c.timestamp))
        .filter(|c| {
            !row.complex_deletions
                .iter()
                .any(|(col, d)| *col == c.column && d.deletes(c.timestamp))
        })
        .filter(|c| match &c.value {
            CellValue::Live { ttl, .. } => !expired(*ttl, now),
            CellValue::Tombstone { .. } => false,
            CellValue::Counter { .. } => true,
        })
        .cloned()
        .collect();
    if liveness.is_none() && cells.is_empty() {
        return None;
    }
    Some(Row {
        clustering: row.clustering.clone(),
        liveness,
        deletion: None,
        complex_deletions: Vec::new(),
        cells,
    })
}

pub(crate) fn wanted(f: &Filter, c: &[u8]) -> bool {
    if let Some(after) = f.resume_after {
        let past = if f.reversed {
            c < &after[..]
        } else {
            c > &after[..]
        };
        if !past {
            return false;
        }
    }
    f.slices.is_empty() || f.slices.iter().any(|(s, e)| in_slice(s, e, c))
}

/// The merged, live view of a partition; `None` when nothing is live.
pub(crate) fn live_view(
    token: i64,
    key: Bytes,
    p: &PartitionData,
    f: &Filter,
) -> Option<Partition> {
    let static_row = p
        .static_row
        .as_ref()
        .and_then(|r| live_row(r, effective_deletion(p, r, false), f.now));
    let limit = f.row_limit.unwrap_or(usize::MAX);
    let mut rows = Vec::new();
    let iter: Box<dyn Iterator<Item = &Row>> = if f.reversed {
        Box::new(p.rows.values().rev())
    } else {
        Box::new(p.rows.values())
    };
    for row in iter {
        if rows.len() >= limit {
            break;
        }
        if !wanted(f, &row.clustering) {
            continue;
        }
        if let Some(r) = live_row(row, effective_deletion(p, row, true), f.now) {
            rows.push(r);
        }
    }
    if static_row.is_none() && rows.is_empty() {
        return None;
    }
    Some(Partition {
        token,
        key,
        partition_deletion: p.partition_deletion,
        static_row,
        rows,
    })
}

/// Drops shadowed data and the tombstones and expired cells that are
/// droppable: local deletion/expiry before `gc_before` and a timestamp below
/// `max_purgeable()` (the oldest timestamp any source outside the compaction
/// may hold for this partition). Returns `None` if nothing remains.
///
/// `max_purgeable` is asked only for data already past `gc_before`, so a
/// partition without old tombstones or expired cells (nearly all of them)
/// never pays for the bloom filter and memtable probes behind it.
pub(crate) fn purge(
    mut p: PartitionData,
    gc_before: i32,
    max_purgeable: &dyn Fn() -> i64,
) -> Option<PartitionData> {
    let droppable = |d: &DeletionTime| {
        d.local_deletion_time < gc_before && d.marked_for_delete_at < max_purgeable()
    };
    let ttl_droppable = |ttl: Option<(i32, i32)>, ts: i64| matches!(ttl, Some((_, exp)) if exp < gc_before && ts < max_purgeable());
    let rows = std::mem::take(&mut p.rows);
    let static_row = p.static_row.take();
    let clean = |p: &PartitionData, mut row: Row, with_ranges: bool| -> Option<Row> {
        let del = effective_deletion(p, &row, with_ranges);
        let shadowed = |ts: i64| del.is_some_and(|d| d.deletes(ts));
        let complex = row.complex_deletions.clone();
        row.liveness = row
            .liveness
            .filter(|l| !shadowed(l.timestamp) && !ttl_droppable(l.ttl, l.timestamp));
        row.cells.retain(|c| {
            !shadowed(c.timestamp)
                && !complex
                    .iter()
                    .any(|(col, d)| *col == c.column && d.deletes(c.timestamp))
                && match &c.value {
                    CellValue::Live { ttl, .. } => !ttl_droppable(*ttl, c.timestamp),
                    CellValue::Tombstone {
                        local_deletion_time,
                    } => !droppable(&DeletionTime {
                        marked_for_delete_at: c.timestamp,
                        local_deletion_time: *local_deletion_time,
                    }),
                    CellValue::Counter { .. } => true,
                }
        });
        // A row deletion the partition deletion covers is redundant.
        row.deletion = row.deletion.filter(|d| {
            !droppable(d)
                && !p
                    .partition_deletion
                    .is_some_and(|pd| pd.deletes(d.marked_for_delete_at))
        });
        row.complex_deletions
            .retain(|(_, d)| !droppable(d) && !shadowed(d.marked_for_delete_at));
        let empty = row.liveness.is_none()
            && row.deletion.is_none()
            && row.complex_deletions.is_empty()
            && row.cells.is_empty();
        (!empty).then_some(row)
    };
    p.static_row = static_row.and_then(|r| clean(&p, r, false));
    let mut kept = crate::merge::Rows::default();
    for (k, row) in rows {
        if let Some(r) = clean(&p, row, true) {
            kept.insert(k, r);
        }
    }
    p.rows = kept;
    let pd = p.partition_deletion;
    p.range_tombstones.retain(|rt| {
        !droppable(&rt.deletion) && !pd.is_some_and(|d| d.deletes(rt.deletion.marked_for_delete_at))
    });
    p.partition_deletion = p.partition_deletion.filter(|d| !droppable(d));
    let empty = p.partition_deletion.is_none()
        && p.range_tombstones.is_empty()
        && p.static_row.is_none()
        && p.rows.is_empty();
    (!empty).then_some(p)
}
