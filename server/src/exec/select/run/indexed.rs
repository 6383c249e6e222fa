//! Answering a query from a secondary index (docs/INDEXES.md): read the entries of
//! the restricted value in token order, read the base row (or partition) each one
//! names, and emit it through the query's filters, which skip stale entries (the
//! base no longer holds the value) as they skip any non-matching row.
//!
//! Entries are in the base table's scan order, so the cursor and paging state are a
//! scan's: a page resumes inside the index partition after the last base row
//! returned.

use bytes::Bytes;
use storage::{ClusteringBound, ReadCommand};

use super::Run;
use crate::error::RequestError;
use crate::exec::index::{self, Lookup};
use crate::exec::paging::{PagingState, Resume};
use crate::exec::ExecContext;

/// Index entries read per storage call.
const ENTRY_CHUNK: usize = 256;

impl Run<'_, '_> {
    /// Runs the query from an index; `false` (nothing done) when no built index
    /// serves one of its restrictions by equality, or for DISTINCT (whose rows are
    /// partitions, which several entries can name).
    pub(super) fn indexed(
        &mut self,
        exec: &ExecContext,
        state: Option<&PagingState>,
    ) -> Result<bool, RequestError> {
        if self.plan.distinct {
            return Ok(false);
        }
        let r = &self.plan.restrictions;
        let Some(lookup) = index::choose(&exec.engine, &self.plan.table, r, self.ctx)? else {
            return Ok(false);
        };
        let slices = self.slices()?;
        if r.has_clustering() && slices.is_empty() {
            return Ok(true);
        }
        let (start, end_token) = self.token_bounds()?;
        let mut first = match start {
            storage::ScanBound::Token { token, inclusive } => {
                let t = Bytes::copy_from_slice(&index::token_prefix(token));
                Some(if inclusive {
                    ClusteringBound::Inclusive(t)
                } else {
                    ClusteringBound::Exclusive(t)
                })
            }
            _ => None,
        };
        let mut resume_after = None;
        if let Some(s) = state {
            let prefix = index::partition_prefix(s.token, &s.key).freeze();
            match &s.resume {
                Resume::PartitionDone => {
                    first = Some(ClusteringBound::Exclusive(prefix));
                }
                // A whole-partition entry: finish that partition from the base, then
                // go on after its entry.
                Resume::AfterRow(_) | Resume::AfterStatic if lookup.index.per_partition() => {
                    let after = match &s.resume {
                        Resume::AfterRow(c) => Some(c.clone()),
                        _ => None,
                    };
                    self.base_partition(exec, s.token, &s.key, &slices, after, true)?;
                    first = Some(ClusteringBound::Exclusive(prefix));
                }
                Resume::AfterRow(c) => {
                    let mut p = index::partition_prefix(s.token, &s.key);
                    p.extend_from_slice(c);
                    resume_after = Some(p.freeze());
                }
                Resume::AfterStatic => {
                    first = Some(ClusteringBound::Exclusive(prefix));
                }
            }
        }
        self.entries(exec, &lookup, first, resume_after, end_token, &slices)?;
        Ok(true)
    }

    /// Reads the index partition from `first` / after `resume_after` (bounds on the
    /// entries' token / key / clustering), and emits the base rows its entries name
    /// until the page or the limit is full.
    fn entries(
        &mut self,
        exec: &ExecContext,
        lookup: &Lookup,
        first: Option<ClusteringBound>,
        resume_after: Option<Bytes>,
        end_token: Option<i64>,
        slices: &[(ClusteringBound, ClusteringBound)],
    ) -> Result<(), RequestError> {
        if !lookup.collect.is_empty() {
            // A range's entries come in value order, IN's value by value: all of
            // them, then in token order.
            let mut tails = Vec::new();
            for slice in &lookup.collect {
                let mut resume = None;
                loop {
                    let (chunk, last) = read_chunk(exec, lookup, slice, resume, self.now)?;
                    tails.extend(chunk);
                    let Some(last) = last else { break };
                    resume = Some(last);
                }
            }
            tails.sort_unstable_by(|a, b| a.tail.cmp(&b.tail));
            tails.dedup_by(|a, b| a.tail == b.tail);
            let after = |e: &Entry| {
                first.as_ref().is_none_or(|f| f.admits_as_start(&e.tail))
                    && resume_after.as_ref().is_none_or(|r| e.tail > r)
            };
            for t in tails.iter().filter(|e| after(e)) {
                if !self.entry(exec, lookup, t, end_token, slices)? {
                    break;
                }
            }
            return Ok(());
        }
        // An equality: the value's entries, in token order.
        let vp = &lookup.value_prefix;
        let with_vp = |b: &[u8]| {
            let mut v = bytes::BytesMut::from(&vp[..]);
            v.extend_from_slice(b);
            v.freeze()
        };
        let start = match first {
            None => ClusteringBound::Inclusive(vp.clone()),
            Some(ClusteringBound::Inclusive(b)) => ClusteringBound::Inclusive(with_vp(&b)),
            Some(ClusteringBound::Exclusive(b)) => ClusteringBound::Exclusive(with_vp(&b)),
            Some(other) => other,
        };
        let end = if vp.is_empty() {
            ClusteringBound::Top
        } else {
            ClusteringBound::Inclusive(vp.clone())
        };
        let slice = index::Slice {
            token: lookup.token,
            key: lookup.key.clone(),
            bounds: (start, end),
        };
        let mut resume = resume_after.map(|r| with_vp(&r));
        while !self.done() {
            let (chunk, last) = read_chunk(exec, lookup, &slice, resume, self.now)?;
            for t in &chunk {
                if !self.entry(exec, lookup, t, end_token, slices)? {
                    return Ok(());
                }
            }
            let Some(last) = last else { break };
            resume = Some(last);
        }
        Ok(())
    }

    /// Emits the base row (or partition) of entry `e`; false once nothing more is
    /// wanted.
    fn entry(
        &mut self,
        exec: &ExecContext,
        lookup: &Lookup,
        e: &Entry,
        end_token: Option<i64>,
        slices: &[(ClusteringBound, ClusteringBound)],
    ) -> Result<bool, RequestError> {
        let Some((token, key, ck)) = index::decode_entry(&e.tail) else {
            return Ok(true);
        };
        if end_token.is_some_and(|end| token > end) {
            return Ok(false);
        }
        if lookup.index.per_partition() {
            self.base_partition(exec, token, &key, slices, None, false)?;
        } else if in_slices(slices, &ck) {
            // Rows of one partition come from separate entries: carry the
            // partition's count (PER PARTITION LIMIT), and skip the rest of a
            // partition that reached it.
            if let Some(last) = self.last.as_ref().filter(|l| l.key == key) {
                if matches!(last.resume, Resume::PartitionDone) {
                    return Ok(true);
                }
                self.resume_in = Some((key.clone(), last.in_partition));
            }
            let row = vec![(
                ClusteringBound::Inclusive(ck.clone()),
                ClusteringBound::Inclusive(ck.clone()),
            )];
            let base = self.base_partition(exec, token, &key, &row, None, false)?;
            if let (Some(v), Some(col)) = (&lookup.value, lookup.index.regular_cell()) {
                let r = base
                    .as_ref()
                    .and_then(|p| p.rows.iter().find(|r| r.clustering == ck));
                if r.is_some_and(|r| index::superseded(r, col, v, e.timestamp)) {
                    index::forget_stale(
                        &exec.engine,
                        index::StaleEntry {
                            table: lookup.index.table,
                            token: lookup.token,
                            key: &lookup.key,
                            clustering: &e.raw,
                            timestamp: e.timestamp,
                        },
                    );
                }
            }
        }
        Ok(!self.done())
    }

    /// Reads `slices` of base partition `(token, key)` (after clustering `after`),
    /// emits its rows and returns it.
    fn base_partition(
        &mut self,
        exec: &ExecContext,
        token: i64,
        key: &Bytes,
        slices: &[(ClusteringBound, ClusteringBound)],
        after: Option<Bytes>,
        skip_static: bool,
    ) -> Result<Option<storage::Partition>, RequestError> {
        let cmd = ReadCommand {
            table: self.plan.table.id,
            token,
            key: key.clone(),
            slices: slices.to_vec(),
            reversed: false,
            row_limit: None,
            resume_after: after,
            now_seconds: self.now,
        };
        let m = crate::metrics::global();
        let p = m.time_read(cmd.table, || exec.engine.read(&cmd))?;
        if let Some(p) = &p {
            self.partition(p, 0, skip_static)?;
        }
        Ok(p)
    }
}

/// One index entry as read.
struct Entry {
    /// The base token / key / clustering (the clustering without an ordered
    /// layout's value).
    tail: Bytes,
    /// The clustering as stored.
    raw: Bytes,
    /// The entry's write timestamp.
    timestamp: i64,
}

/// One chunk of index entries in `slice` after `resume`, and the clustering to
/// resume after when there may be more.
fn read_chunk(
    exec: &ExecContext,
    lookup: &Lookup,
    slice: &index::Slice,
    resume: Option<Bytes>,
    now: i32,
) -> Result<(Vec<Entry>, Option<Bytes>), RequestError> {
    let cmd = ReadCommand {
        table: lookup.index.table,
        token: slice.token,
        key: slice.key.clone(),
        slices: vec![slice.bounds.clone()],
        reversed: false,
        row_limit: Some(ENTRY_CHUNK),
        resume_after: resume,
        now_seconds: now,
    };
    let m = crate::metrics::global();
    let Some(p) = m.time_read(cmd.table, || exec.engine.read(&cmd))? else {
        return Ok((Vec::new(), None));
    };
    let tails = p
        .rows
        .iter()
        .filter_map(|r| {
            let tail = match &lookup.index.ordered {
                Some(typ) => index::strip_value(typ, &r.clustering)?,
                None => r.clustering.clone(),
            };
            Some(Entry {
                tail,
                raw: r.clustering.clone(),
                timestamp: r.liveness.map_or(i64::MIN, |l| l.timestamp),
            })
        })
        .collect();
    let last = (p.rows.len() >= ENTRY_CHUNK)
        .then(|| p.rows.last().map(|r| r.clustering.clone()))
        .flatten();
    Ok((tails, last))
}

/// Whether clustering `c` is inside one of the query's slices (all of them when
/// there are none).
fn in_slices(slices: &[(ClusteringBound, ClusteringBound)], c: &[u8]) -> bool {
    slices.is_empty()
        || slices
            .iter()
            .any(|(s, e)| s.admits_as_start(c) && e.admits_as_end(c))
}
