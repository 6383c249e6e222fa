//! The read path: point reads and token-ordered scans over the merged view
//! of memtables and SSTables.
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use super::table::Table;
use crate::error::{Error, Result};
use crate::memtable::{Memtable, PartitionKey};
use crate::merge::PartitionData;
use crate::types::{Partition, ReadCommand, ScanBound, ScanCommand};
use crate::version::Version;
use crate::view::{live_view, Filter};

/// The merged version of one partition from all sources, if any holds it.
pub(crate) fn merged_partition(
    mts: &[Arc<Memtable>],
    version: &Version,
    token: i64,
    key: &Bytes,
    keep: crate::codec::RowFilter,
) -> Result<Option<PartitionData>> {
    let mut merged: Option<PartitionData> = None;
    let mut add = |p: PartitionData| match merged.as_mut() {
        Some(m) => m.merge(p),
        None => merged = Some(p),
    };
    for mt in mts {
        if let Some(p) = mt.get_filtered(token, key, keep) {
            add(p);
        }
    }
    for t in &version.sstables {
        if let Some(p) = t.get_filtered(token, key, keep)? {
            add(p);
        }
    }
    Ok(merged)
}

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
    // Rows outside the slices are skipped while decoding: a narrow slice of
    // a wide partition does not materialize the whole partition.
    let keep_fn = |c: &[u8]| crate::view::wanted(&filter, c);
    let keep: crate::codec::RowFilter =
        (!cmd.slices.is_empty() || cmd.resume_after.is_some()).then_some(&keep_fn);
    let Some(p) = merged_partition(&mts, &version, cmd.token, &cmd.key, keep)? else {
        return Ok(None);
    };
    Ok(live_view(cmd.token, cmd.key.clone(), &p, &filter))
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
