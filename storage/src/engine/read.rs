//! The read path: point reads and token-ordered scans over the merged view
//! of memtables and SSTables.
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use super::table::Table;
use crate::error::{Error, Result};
use crate::memtable::{Memtable, PartitionKey};
use crate::merge::PartitionData;
use crate::sstable::{RowWindow, Windowed};
use crate::types::{ClusteringBound, Partition, ReadCommand, Row, ScanBound, ScanCommand};
use crate::version::Version;
use crate::view::{live_view, Filter};

/// Fast path of a point read when no SSTable can hold the partition (key
/// range and bloom filter) and only one memtable is involved: the live view
/// is built from the memtable's partition in place, without first copying
/// the partition out. `None` when the path does not apply.
fn read_from_lone_memtable(
    mts: &[Arc<Memtable>],
    version: &Version,
    cmd: &ReadCommand,
    filter: &Filter,
) -> Option<Option<Partition>> {
    if version
        .sstables
        .iter()
        .any(|t| t.may_contain(cmd.token, &cmd.key))
    {
        return None;
    }
    // Usually one memtable: the active one; during a flush, two.
    let [mt] = mts else { return None };
    Some(
        mt.with_partition(cmd.token, &cmd.key, |p| {
            live_view(cmd.token, cmd.key.clone(), p, filter)
        })
        .flatten(),
    )
}

/// Rows each source may contribute to the first attempt of a limited read,
/// as a multiple of the limit: room for some deleted or expired rows before
/// the read has to be retried with a larger budget.
const ROW_BUDGET_FACTOR: usize = 2;
/// Smallest per-source row budget of a limited read.
const MIN_ROW_BUDGET: usize = 64;

pub(crate) fn read(table: &Table, cmd: &ReadCommand) -> Result<Option<Partition>> {
    let (mts, version) = table.snapshot();
    let filter = Filter {
        slices: &cmd.slices,
        reversed: cmd.reversed,
        row_limit: cmd.row_limit,
        resume_after: cmd.resume_after.as_ref(),
        now: cmd.now_seconds,
    };
    if let Some(view) = read_from_lone_memtable(&mts, &version, cmd, &filter) {
        return Ok(view);
    }
    let wanted = |c: &[u8]| crate::view::wanted(&filter, c);
    // One slice bounds where the read seeks to and where it stops; with
    // several, `wanted` alone picks the rows.
    let (lower, upper) = match cmd.slices.as_slice() {
        [(s, e)] => (s, e),
        _ => (&BOTTOM, &TOP),
    };
    let mut w = RowWindow {
        reversed: cmd.reversed,
        lower,
        upper,
        resume_after: cmd.resume_after.as_deref(),
        wanted: &wanted,
        budget: usize::MAX,
    };
    // A read with a row limit (every page) takes a bounded number of rows
    // from each source, in its order, so paging through a partition with
    // millions of rows keeps a page's worth of rows in memory, and an
    // SSTable seeks to the page's first block instead of decoding the rows
    // before it.
    let Some(limit) = cmd.row_limit else {
        return Ok(bounded_read(&mts, &version, cmd, &filter, &w)?.flatten());
    };
    w.budget = limit.saturating_mul(ROW_BUDGET_FACTOR).max(MIN_ROW_BUDGET);
    loop {
        match bounded_read(&mts, &version, cmd, &filter, &w)? {
            Some(p) => return Ok(p),
            // Too many rows of the budget were dead: try with more.
            None => w.budget = w.budget.saturating_mul(4),
        }
    }
}

const BOTTOM: ClusteringBound = ClusteringBound::Bottom;
const TOP: ClusteringBound = ClusteringBound::Top;

/// The rows of an in-memory partition `w` wants, like
/// `SsTable::read_window`: starts at the paging position, stops at the
/// budget or past the slice.
fn window_of(p: &PartitionData, w: &RowWindow) -> Windowed {
    use std::ops::Bound::{Excluded, Unbounded};
    let after = w.resume_after.map_or(Unbounded, Excluded);
    let rows: Box<dyn Iterator<Item = (&Bytes, &Row)>> = if w.reversed {
        Box::new(p.rows.range::<[u8], _>((Unbounded, after)).rev())
    } else {
        Box::new(p.rows.range::<[u8], _>((after, Unbounded)))
    };
    let mut out = Windowed {
        data: PartitionData {
            partition_deletion: p.partition_deletion,
            range_tombstones: p.range_tombstones.clone(),
            static_row: p.static_row.clone(),
            rows: Default::default(),
        },
        full: false,
    };
    if w.budget == 0 {
        return out;
    }
    for (c, row) in rows {
        if w.past_end(c) {
            break;
        }
        if (w.wanted)(c) {
            out.data.rows.insert(c.clone(), row.clone());
            if out.data.rows.len() >= w.budget {
                out.full = true;
                break;
            }
        }
    }
    out
}

/// One attempt at a read in which every source hands over at most
/// `w.budget` wanted rows, in read order. Rows up to the nearest "last row
/// kept" among the sources that hit the budget are complete in the merge
/// (every source gave all its rows up to there), so the answer is exact if
/// the limit is reached within them or if no source hit its budget:
/// `Some(answer)`. Otherwise dead rows used up the budget: `None`, retry
/// with a larger one.
fn bounded_read(
    mts: &[Arc<Memtable>],
    version: &Version,
    cmd: &ReadCommand,
    filter: &Filter,
    w: &RowWindow,
) -> Result<Option<Option<Partition>>> {
    // Clustering up to which (in read order) the merge is complete; None =
    // everything.
    let mut complete_to: Option<Bytes> = None;
    let mut merged: Option<PartitionData> = None;
    let mut add = |x: Windowed| {
        if x.full {
            let last = if w.reversed {
                x.data.rows.keys().next()
            } else {
                x.data.rows.keys().next_back()
            };
            if let Some(l) = last {
                let nearer =
                    complete_to
                        .as_ref()
                        .is_none_or(|c| if w.reversed { l > c } else { l < c });
                if nearer {
                    complete_to = Some(l.clone());
                }
            }
        }
        match merged.as_mut() {
            Some(m) => m.merge(x.data),
            None => merged = Some(x.data),
        }
    };
    for mt in mts {
        if let Some(x) = mt.with_partition(cmd.token, &cmd.key, |p| window_of(p, w)) {
            add(x);
        }
    }
    for t in &version.sstables {
        if let Some(x) = t.read_window(cmd.token, &cmd.key, w)? {
            add(x);
        }
    }
    let Some(p) = merged else {
        return Ok(Some(None));
    };
    let view = live_view(cmd.token, cmd.key.clone(), &p, filter);
    let Some(bound) = complete_to else {
        return Ok(Some(view));
    };
    let limit = cmd.row_limit.unwrap_or(usize::MAX);
    // A limit of 0 asks for no rows (only the static row): no row can change it.
    let exact = limit == 0
        || view.as_ref().is_some_and(|v| {
            v.rows.len() >= limit
                && v.rows.last().is_some_and(|r| {
                    if w.reversed {
                        r.clustering >= bound
                    } else {
                        r.clustering <= bound
                    }
                })
        });
    Ok(exact.then_some(view))
}

type Source<'a> = Box<dyn Iterator<Item = Result<(PartitionKey, PartitionData)>> + 'a>;

/// K-way merge of sorted partition sources; equal keys are merged.
pub(crate) struct MergeIter<'a> {
    sources: Vec<Source<'a>>,
    heads: Vec<Option<(PartitionKey, PartitionData)>>,
    started: bool,
}

impl<'a> MergeIter<'a> {
    pub fn new(sources: Vec<Source<'a>>) -> Self {
        let n = sources.len();
        MergeIter {
            sources,
            heads: (0..n).map(|_| None).collect(),
            started: false,
        }
    }

    fn refill(&mut self, i: usize) -> Result<()> {
        if let (Some(src), Some(head)) = (self.sources.get_mut(i), self.heads.get_mut(i)) {
            *head = src.next().transpose()?;
        }
        Ok(())
    }

    fn next_inner(&mut self) -> Result<Option<(PartitionKey, PartitionData)>> {
        if !self.started {
            self.started = true;
            for i in 0..self.sources.len() {
                self.refill(i)?;
            }
        }
        let Some(min) = self.heads.iter().flatten().map(|(k, _)| k).min().cloned() else {
            return Ok(None);
        };
        let mut merged: Option<PartitionData> = None;
        for i in 0..self.heads.len() {
            let hit = matches!(self.heads.get(i), Some(Some((k, _))) if *k == min);
            if hit {
                if let Some(Some((_, p))) = self.heads.get_mut(i).map(Option::take) {
                    match merged.as_mut() {
                        Some(m) => m.merge(p),
                        None => merged = Some(p),
                    }
                }
                self.refill(i)?;
            }
        }
        Ok(merged.map(|p| (min, p)))
    }
}

impl Iterator for MergeIter<'_> {
    type Item = Result<(PartitionKey, PartitionData)>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_inner().transpose()
    }
}

/// Sources over memtables and SSTables from `from` on.
pub(crate) fn sources<'a>(
    mts: &'a [Arc<Memtable>],
    version: &'a Version,
    from: &Bound<PartitionKey>,
) -> Result<Vec<Source<'a>>> {
    let mut out: Vec<Source<'a>> = Vec::new();
    for mt in mts {
        out.push(Box::new(mt.range(from.clone()).map(Ok)));
    }
    for t in &version.sstables {
        out.push(Box::new(t.iter_from(from.clone())?));
    }
    Ok(out)
}

pub(crate) fn scan(table: &Table, cmd: &ScanCommand) -> Result<Vec<Partition>> {
    let (from, resume): (Bound<PartitionKey>, Option<(PartitionKey, Bytes)>) = match &cmd.start {
        ScanBound::Start => (Bound::Unbounded, None),
        ScanBound::Token {
            token,
            inclusive: true,
        } => (
            Bound::Included(PartitionKey {
                token: *token,
                key: Bytes::new(),
            }),
            None,
        ),
        ScanBound::Token {
            token,
            inclusive: false,
        } => match token.checked_add(1) {
            Some(t) => (
                Bound::Included(PartitionKey {
                    token: t,
                    key: Bytes::new(),
                }),
                None,
            ),
            None => return Ok(Vec::new()),
        },
        ScanBound::AfterPartition { token, key } => (
            Bound::Excluded(PartitionKey {
                token: *token,
                key: key.clone(),
            }),
            None,
        ),
        ScanBound::AfterRow {
            token,
            key,
            clustering,
        } => {
            let k = PartitionKey {
                token: *token,
                key: key.clone(),
            };
            (Bound::Included(k.clone()), Some((k, clustering.clone())))
        }
    };
    if cmd.row_limit == 0 {
        return Err(Error::InvalidRequest("scan row_limit must be > 0".into()));
    }
    let (mts, version) = table.snapshot();
    let mut out = Vec::new();
    let mut rows_left = cmd.row_limit;
    for item in MergeIter::new(sources(&mts, &version, &from)?) {
        let (k, p) = item?;
        if cmd.end_token.is_some_and(|end| k.token > end) {
            break;
        }
        let resume_after = resume.as_ref().filter(|(rk, _)| *rk == k).map(|(_, c)| c);
        let limit = cmd.per_partition_limit.unwrap_or(usize::MAX).min(rows_left);
        let filter = Filter {
            slices: &cmd.slices,
            reversed: false,
            row_limit: Some(limit),
            resume_after,
            now: cmd.now_seconds,
        };
        let Some(view) = live_view(k.token, k.key, &p, &filter) else {
            continue;
        };
        if resume_after.is_some() && view.rows.is_empty() {
            // The page already returned this partition's static row.
            continue;
        }
        // A partition with only a live static row counts as one row.
        rows_left = rows_left.saturating_sub(view.rows.len().max(1));
        out.push(view);
        if rows_left == 0 || cmd.partition_limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::engine::Engine;
    use crate::types::{
        Cell, CellValue, ColumnId, DeletionTime, Mutation, ReadCommand, Row, TableId, TableOptions,
    };

    fn table() -> TableId {
        TableId(uuid::Uuid::from_u128(77))
    }

    fn row(c: u32, ts: i64) -> Row {
        Row {
            clustering: Bytes::from(c.to_be_bytes().to_vec()),
            cells: vec![Cell {
                column: ColumnId(1),
                path: None,
                timestamp: ts,
                value: CellValue::Live {
                    value: Bytes::from(format!("v{c}")),
                    ttl: None,
                },
            }],
            ..Row::default()
        }
    }

    fn write(e: &Engine, rows: Vec<Row>) {
        e.apply(&Mutation {
            table: table(),
            token: 5,
            key: Bytes::from_static(b"wide"),
            rows,
            ..Mutation::default()
        })
        .expect("apply");
    }

    /// Pages of `page` rows through the partition: the clustering ints seen.
    fn page_through(e: &Engine, page: usize) -> Vec<u32> {
        let mut seen = Vec::new();
        let mut resume = None;
        loop {
            let mut cmd = ReadCommand::whole(table(), 5, Bytes::from_static(b"wide"), 1000);
            cmd.row_limit = Some(page);
            cmd.resume_after = resume.clone();
            let Some(p) = e.read(&cmd).expect("read") else {
                break;
            };
            assert!(p.rows.len() <= page);
            for r in &p.rows {
                let mut b = [0u8; 4];
                b.copy_from_slice(&r.clustering);
                seen.push(u32::from_be_bytes(b));
            }
            if p.rows.len() < page {
                break;
            }
            resume = p.rows.last().map(|r| r.clustering.clone());
        }
        seen
    }

    /// Pages over a wide partition spread over SSTables and the memtable, where
    /// whole stretches of rows are deleted by newer row tombstones in another
    /// source (so the bounded first attempt runs out of live rows and retries),
    /// return exactly the live rows in order.
    #[test]
    fn limited_reads_page_exactly_through_deleted_stretches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = Engine::open(
            crate::Config::for_tests(dir.path()),
            &[(table(), TableOptions::default())],
        )
        .expect("open");
        write(
            &e,
            (0..3000)
                .filter(|c| c % 2 == 0)
                .map(|c| row(c, 10))
                .collect(),
        );
        e.flush(table()).expect("flush");
        write(
            &e,
            (0..3000)
                .filter(|c| c % 2 == 1)
                .map(|c| row(c, 10))
                .collect(),
        );
        e.flush(table()).expect("flush");
        // Delete rows 100..1500 (newer timestamps), in the memtable.
        let deleted: Vec<Row> = (100..1500)
            .map(|c| Row {
                deletion: Some(DeletionTime {
                    marked_for_delete_at: 20,
                    local_deletion_time: 900,
                }),
                cells: Vec::new(),
                ..row(c, 20)
            })
            .collect();
        write(&e, deleted);
        let expect: Vec<u32> = (0..100).chain(1500..3000).collect();
        for page in [1, 7, 100, 1000, 5000] {
            assert_eq!(page_through(&e, page), expect, "page size {page}");
        }
        // A limit of 0 asks for the static row only (there is none here).
        let mut cmd = ReadCommand::whole(table(), 5, Bytes::from_static(b"wide"), 1000);
        cmd.row_limit = Some(0);
        assert_eq!(e.read(&cmd).expect("read"), None);
        e.flush(table()).expect("flush");
        assert_eq!(page_through(&e, 33), expect, "all in SSTables");
        e.shutdown().expect("shutdown");
    }
}
