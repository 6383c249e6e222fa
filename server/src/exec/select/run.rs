//! Executing a [`SelectPlan`]: partition reads or ring scans, limits, paging.

mod indexed;

use bytes::Bytes;
use storage::{Partition, ReadCommand, ScanBound, ScanCommand};

use super::rows::{fill_cells, filter_matches};
use super::{eval_limit, Cursor, Page, ReadOpts, SelectPlan, SCAN_CHUNK};
use crate::coordinator::blocking;
use crate::error::RequestError;
use crate::exec::paging::{PagingState, Resume};
use crate::exec::restrict;
use crate::exec::selection::{self, CellView, RowView};
use crate::exec::term::{EvalCtx, Expr, Val};
use crate::exec::values;
use crate::exec::ExecContext;

impl SelectPlan {
    pub fn execute(
        &self,
        exec: &ExecContext,
        ctx: &EvalCtx<'_>,
        opts: &ReadOpts<'_>,
    ) -> Result<Page, RequestError> {
        // Bind markers in selectors (`similarity_cosine(v, ?)`) become constants of
        // this request's values; the plan is only copied when there are some.
        match self.selection.bind(ctx)? {
            Some(selection) => SelectPlan {
                selection,
                ..self.clone()
            }
            .execute_bound(exec, ctx, opts),
            None => self.execute_bound(exec, ctx, opts),
        }
    }

    fn execute_bound(
        &self,
        exec: &ExecContext,
        ctx: &EvalCtx<'_>,
        opts: &ReadOpts<'_>,
    ) -> Result<Page, RequestError> {
        let limit = eval_limit(&self.limit, ctx, "LIMIT")?;
        let ppl = eval_limit(&self.per_partition_limit, ctx, "PER PARTITION LIMIT")?;
        let ppl = if self.distinct { 1 } else { ppl };
        let state = match opts.paging_state {
            Some(raw) if !self.selection.aggregate => {
                Some(PagingState::decode(raw, opts.query_hash)?)
            }
            _ => None,
        };
        let mut run = Run {
            plan: self,
            ctx,
            now: opts.now,
            remaining: state.as_ref().map_or(limit, |s| s.remaining),
            page: if self.selection.aggregate || !self.group_by.is_empty() {
                usize::MAX
            } else {
                opts.page_size.unwrap_or(usize::MAX)
            },
            ppl,
            out: Vec::new(),
            agg: (self.selection.aggregate || !self.group_by.is_empty())
                .then(|| self.selection.new_states()),
            group: None,
            agg_first: true,
            sort_ck: None,
            resume_in: state.as_ref().and_then(|s| match s.resume {
                Resume::AfterRow(_) | Resume::AfterStatic => {
                    Some((s.key.clone(), ppl.saturating_sub(s.partition_remaining)))
                }
                Resume::PartitionDone => None,
            }),
            last: None,
            full: false,
        };
        if self.restrictions.pk_complete() && self.restrictions.token.is_none() {
            let keys = restrict::partition_keys(&self.table, &self.restrictions, ctx)?;
            if self.ordered
                && keys.len() > 1
                && !self.selection.aggregate
                && self.group_by.is_empty()
            {
                // ORDER BY over several partitions: Cassandra merges them, which it
                // cannot page.
                if opts.page_size.is_some() {
                    return Err(RequestError::invalid(
                        "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query",
                    ));
                }
                run.sort_ck = Some(Vec::new());
            }
            run.partitions(exec, &keys, state.as_ref())?;
            if let Some(cks) = run.sort_ck.take() {
                let mut pairs: Vec<(Bytes, Vec<Option<Bytes>>)> =
                    cks.into_iter().zip(std::mem::take(&mut run.out)).collect();
                pairs.sort_by(|a, b| {
                    if self.reversed {
                        b.0.cmp(&a.0)
                    } else {
                        a.0.cmp(&b.0)
                    }
                });
                pairs.truncate(limit as usize);
                run.out = pairs.into_iter().map(|(_, r)| r).collect();
            }
        } else if !run.indexed(exec, state.as_ref())? {
            run.scan(exec, state.as_ref())?;
        }
        if let Some(states) = run.agg.take() {
            let mut rows = std::mem::take(&mut run.out);
            // A grouped query returns one row per group (none without rows); a plain
            // aggregate always returns its one row.
            if self.group_by.is_empty() || (run.group.is_some() && run.remaining > 0) {
                rows.push(self.selection.finish(states)?);
            }
            let rows = if self.json {
                super::to_json_rows(&self.selection.columns, rows)?
            } else {
                rows
            };
            return Ok(Page {
                rows,
                paging_state: None,
            });
        }
        let paging_state = if run.full && run.remaining > 0 {
            run.last.map(|c| {
                PagingState {
                    query_hash: opts.query_hash,
                    remaining: run.remaining,
                    partition_remaining: run.ppl.saturating_sub(c.in_partition),
                    partition_index: c.index,
                    token: c.token,
                    key: c.key,
                    resume: c.resume,
                }
                .encode()
            })
        } else {
            None
        };
        let rows = if self.json {
            super::to_json_rows(&self.selection.columns, run.out)?
        } else {
            run.out
        };
        Ok(Page { rows, paging_state })
    }
}

struct Run<'p, 'c> {
    plan: &'p SelectPlan,
    ctx: &'p EvalCtx<'c>,
    now: i32,
    remaining: u32,
    page: usize,
    ppl: u32,
    out: Vec<Vec<Option<Bytes>>>,
    agg: Option<Vec<selection::AggState>>,
    agg_first: bool,
    /// ORDER BY over several partitions: the clustering of each output row, to merge
    /// them once read (each partition is read up to the LIMIT on its own).
    sort_ck: Option<Vec<Bytes>>,
    /// The partition a paging state resumes inside, and its rows already returned.
    resume_in: Option<(Bytes, u32)>,
    /// GROUP BY: the key of the group being folded.
    group: Option<Vec<Option<Bytes>>>,
    last: Option<Cursor>,
    full: bool,
}

impl Run<'_, '_> {
    fn done(&self) -> bool {
        self.remaining == 0 || self.full
    }

    fn slices(
        &self,
    ) -> Result<Vec<(storage::ClusteringBound, storage::ClusteringBound)>, RequestError> {
        restrict::clustering_slices(&self.plan.table, &self.plan.restrictions, self.ctx)
    }

    /// Reads whole partitions by key (= / IN on the partition key).
    fn partitions(
        &mut self,
        exec: &ExecContext,
        keys: &[(i64, Bytes)],
        state: Option<&PagingState>,
    ) -> Result<(), RequestError> {
        let slices = self.slices()?;
        if self.plan.restrictions.has_clustering() && slices.is_empty() {
            return Ok(());
        }
        let start = state.map_or(0, |s| s.partition_index as usize);
        let limit = self.remaining;
        for (i, (token, key)) in keys.iter().enumerate().skip(start) {
            if self.sort_ck.is_some() {
                self.remaining = limit;
            }
            if self.done() {
                break;
            }
            let mut resume_after = None;
            let mut skip_static = false;
            if let Some(s) = state.filter(|_| i == start) {
                if s.key != *key {
                    return Err(RequestError::invalid(
                        "The paging state does not match this query's partitions",
                    ));
                }
                match &s.resume {
                    Resume::PartitionDone => continue,
                    Resume::AfterStatic => skip_static = true,
                    Resume::AfterRow(c) => {
                        resume_after = Some(c.clone());
                        skip_static = true;
                    }
                }
            }
            let cmd = ReadCommand {
                table: self.plan.table.id,
                token: *token,
                key: key.clone(),
                slices: slices.clone(),
                reversed: self.plan.reversed,
                row_limit: self.row_limit(),
                resume_after,
                now_seconds: self.now,
            };
            // A point read inline, not under `blocking`: it merges memtables and
            // mmap'd SSTables already in memory or the page cache, far cheaper than
            // handing the worker off; a page fault stalls only this worker.
            let m = crate::metrics::global();
            let p = m.time_read(cmd.table, || exec.engine.read(&cmd))?;
            if let Some(p) = p {
                self.partition(&p, i as u32, skip_static)?;
            }
        }
        Ok(())
    }

    /// How many rows storage should return for one partition (None when filtering).
    fn row_limit(&self) -> Option<usize> {
        if !self.plan.restrictions.filters.is_empty() || self.agg.is_some() {
            return None;
        }
        let n = (self.remaining as usize)
            .min(self.ppl as usize)
            .min(self.page.saturating_sub(self.out.len()));
        Some(n.max(1))
    }

    /// Scans the ring in token order (no or partial partition key, token ranges).
    fn scan(
        &mut self,
        exec: &ExecContext,
        state: Option<&PagingState>,
    ) -> Result<(), RequestError> {
        let slices = self.slices()?;
        if self.plan.restrictions.has_clustering() && slices.is_empty() {
            return Ok(());
        }
        let (mut start, end_token) = self.token_bounds()?;
        let mut skip_static_of: Option<Bytes> = None;
        if let Some(s) = state {
            start = match &s.resume {
                Resume::PartitionDone => ScanBound::AfterPartition {
                    token: s.token,
                    key: s.key.clone(),
                },
                Resume::AfterStatic => {
                    skip_static_of = Some(s.key.clone());
                    ScanBound::AfterRow {
                        token: s.token,
                        key: s.key.clone(),
                        clustering: Bytes::new(),
                    }
                }
                Resume::AfterRow(c) => {
                    skip_static_of = Some(s.key.clone());
                    ScanBound::AfterRow {
                        token: s.token,
                        key: s.key.clone(),
                        clustering: c.clone(),
                    }
                }
            };
        }
        loop {
            if self.done() {
                return Ok(());
            }
            let want = if self.plan.restrictions.filters.is_empty() && self.agg.is_none() {
                (self.remaining as usize)
                    .min(self.page.saturating_sub(self.out.len()))
                    .max(1)
            } else {
                SCAN_CHUNK
            };
            let chunk = want.min(SCAN_CHUNK.max(want.min(10_000)));
            let cmd = ScanCommand {
                table: self.plan.table.id,
                start: start.clone(),
                end_token,
                row_limit: chunk,
                partition_limit: None,
                per_partition_limit: (self.ppl != u32::MAX).then_some(self.ppl as usize),
                slices: slices.clone(),
                now_seconds: self.now,
            };
            let engine = exec.engine.clone();
            let m = crate::metrics::global();
            let parts = blocking(|| m.time_read(cmd.table, || engine.scan(&cmd)))?;
            if parts.is_empty() {
                return Ok(());
            }
            let mut read_rows = 0usize;
            for p in &parts {
                read_rows += p
                    .rows
                    .len()
                    .max(usize::from(p.static_row.is_some() && p.rows.is_empty()));
                let skip_static = skip_static_of.as_ref() == Some(&p.key);
                self.partition(p, 0, skip_static)?;
                skip_static_of = None;
                if self.done() {
                    return Ok(());
                }
            }
            // Continue after the last row storage gave us.
            let Some(lastp) = parts.last() else {
                return Ok(());
            };
            start = match lastp.rows.last() {
                Some(r) if read_rows >= chunk => ScanBound::AfterRow {
                    token: lastp.token,
                    key: lastp.key.clone(),
                    clustering: r.clustering.clone(),
                },
                _ => ScanBound::AfterPartition {
                    token: lastp.token,
                    key: lastp.key.clone(),
                },
            };
            if read_rows < chunk {
                return Ok(());
            }
            if let ScanBound::AfterRow { key, .. } = &start {
                skip_static_of = Some(key.clone());
            }
        }
    }

    fn token_bounds(&self) -> Result<(ScanBound, Option<i64>), RequestError> {
        let Some(tr) = &self.plan.restrictions.token else {
            return Ok((ScanBound::Start, None));
        };
        let tok = |e: &Expr| -> Result<i64, RequestError> {
            match e.eval(self.ctx)? {
                Val::Bytes(b) => {
                    let a: [u8; 8] = b[..].try_into().map_err(|_| {
                        RequestError::invalid(format!("Expected 8 or 0 byte long ({})", b.len()))
                    })?;
                    Ok(i64::from_be_bytes(a))
                }
                _ => Err(RequestError::invalid(
                    "Invalid null value for the partition key token",
                )),
            }
        };
        let start = match &tr.start {
            Some((e, incl)) => ScanBound::Token {
                token: tok(e)?,
                inclusive: *incl,
            },
            None => ScanBound::Start,
        };
        let end = match &tr.end {
            Some((e, incl)) => {
                let t = tok(e)?;
                Some(if *incl { t } else { t.saturating_sub(1) })
            }
            None => None,
        };
        Ok((start, end))
    }

    /// Emits the rows of one partition.
    fn partition(
        &mut self,
        p: &Partition,
        index: u32,
        skip_static: bool,
    ) -> Result<(), RequestError> {
        let t = &self.plan.table;
        let pk_vals = values::split_partition_key(&p.key, t.def.partition_key.len())
            .map_err(|e| RequestError::Server(format!("corrupt partition key: {e}")))?;
        let mut base = RowView {
            cells: vec![CellView::default(); t.def.columns.len()],
            token: p.token,
        };
        for (&i, v) in t.def.partition_key.iter().zip(pk_vals) {
            if let Some(c) = base.cells.get_mut(i) {
                c.value = Some(v);
            }
        }
        if let Some(s) = &p.static_row {
            fill_cells(t, &mut base, &s.cells, self.now)?;
        }
        // Resuming inside this partition: rows of earlier pages count towards its limit.
        let mut in_partition = match self.resume_in.take() {
            Some((k, n)) if k == p.key => n,
            Some(other) => {
                self.resume_in = Some(other);
                0
            }
            None => 0,
        };
        let only_static = p.rows.is_empty();
        if only_static || self.plan.distinct {
            // A partition with only static data is one row (nulls for clustering and
            // regular columns) when the query does not restrict the clustering.
            let has_static = p.static_row.as_ref().is_some_and(|s| !s.cells.is_empty());
            if (has_static || self.plan.distinct)
                && !self.plan.restrictions.has_clustering()
                && !skip_static
            {
                if self.plan.distinct && !has_static && p.rows.is_empty() {
                    return Ok(());
                }
                if self.emit(&base)? {
                    if let Some(cks) = &mut self.sort_ck {
                        cks.push(Bytes::new());
                    }
                    self.last = Some(Cursor {
                        index,
                        token: p.token,
                        key: p.key.clone(),
                        resume: Resume::PartitionDone,
                        in_partition: 1,
                    });
                }
            }
            return Ok(());
        }
        let ck_types = &t.ck_types;
        for r in &p.rows {
            if self.done() || in_partition >= self.ppl {
                break;
            }
            let mut row = base.clone();
            let ck = values::decode_clustering(&r.clustering, ck_types)
                .map_err(|e| RequestError::Server(format!("corrupt clustering: {e}")))?;
            for (&i, v) in t.def.clustering.iter().zip(ck) {
                if let Some(c) = row.cells.get_mut(i) {
                    c.value = Some(v);
                }
            }
            fill_cells(t, &mut row, &r.cells, self.now)?;
            if self.emit(&row)? {
                in_partition += 1;
                if let Some(cks) = &mut self.sort_ck {
                    cks.push(r.clustering.clone());
                }
                self.last = Some(Cursor {
                    index,
                    token: p.token,
                    key: p.key.clone(),
                    resume: Resume::AfterRow(r.clustering.clone()),
                    in_partition,
                });
            }
        }
        // The partition is finished if we stopped because of its own end or its limit.
        if let Some(last) = &mut self.last {
            if last.key == p.key && (in_partition >= self.ppl) {
                last.resume = Resume::PartitionDone;
            }
        }
        Ok(())
    }

    /// Filters and outputs one row; true if it was counted.
    fn emit(&mut self, row: &RowView) -> Result<bool, RequestError> {
        for f in &self.plan.restrictions.filters {
            if !filter_matches(&self.plan.table, f, row, self.ctx)? {
                return Ok(false);
            }
        }
        if !self.plan.group_by.is_empty() {
            let key: Vec<Option<Bytes>> = self
                .plan
                .group_by
                .iter()
                .map(|&i| row.cells.get(i).and_then(|c| c.value.clone()))
                .collect();
            if self.group.as_ref().is_some_and(|g| *g != key) {
                // A new group starts: the previous one is a result row.
                let fresh = self.plan.selection.new_states();
                if let Some(states) = self.agg.replace(fresh) {
                    self.out.push(self.plan.selection.finish(states)?);
                }
                self.agg_first = true;
                self.remaining = self.remaining.saturating_sub(1);
                if self.remaining == 0 {
                    self.group = None;
                    return Ok(false);
                }
            }
            self.group = Some(key);
        }
        if let Some(states) = &mut self.agg {
            self.plan
                .selection
                .accumulate(states, row, self.agg_first)?;
            self.agg_first = false;
            return Ok(true);
        }
        let mut out = Vec::with_capacity(self.plan.selection.sels.len());
        for s in &self.plan.selection.sels {
            out.push(s.eval(row)?);
        }
        self.out.push(out);
        self.remaining -= 1;
        if self.out.len() >= self.page {
            self.full = true;
        }
        Ok(true)
    }
}
