//! SELECT over a storage table: the compiled [`SelectPlan`] and its execution with
//! limits, ORDER BY, DISTINCT, filtering and paging.
//!
//! A query restricted to whole partition keys (= / IN) reads those partitions one by
//! one (in key order); anything else scans the ring in token order. Both paths produce
//! [`RowView`]s, filter them, and either project them (plain query) or fold them
//! (aggregates). The paging state records the last partition and clustering returned.

use bytes::Bytes;
use cql::parser::ast::{self, Operator};
use cql::types::CqlType;
use storage::{CellValue, Partition, ReadCommand, ScanBound, ScanCommand};

use super::paging::{PagingState, Resume};
use super::restrict::{self, Filter, KeyValues, Restrictions};
use super::selection::{self, CellView, ColumnSource, RowView, SelectionPlan};
use super::term::{self, EvalCtx, Expr, Markers, Val};
use super::values;
use super::{ExecContext, TableRef};
use crate::coordinator::blocking;
use crate::error::RequestError;
use crate::schema::ColumnKind;

/// Rows read from storage per scan call when filtering may drop many of them.
const SCAN_CHUNK: usize = 1000;

#[derive(Debug, Clone)]
pub struct SelectPlan {
    pub table: TableRef,
    pub restrictions: Restrictions,
    pub selection: SelectionPlan,
    pub reversed: bool,
    pub limit: Option<Expr>,
    pub per_partition_limit: Option<Expr>,
    pub distinct: bool,
}

impl ColumnSource for TableRef {
    fn find(&self, name: &str) -> Option<(usize, CqlType, bool)> {
        self.def
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
            .map(|(i, c)| (i, c.typ.clone(), c.kind.is_primary_key()))
    }
    fn keyspace(&self) -> &str {
        &self.def.keyspace
    }
    fn table(&self) -> &str {
        &self.def.name
    }
    fn all(&self) -> Vec<(usize, String, CqlType)> {
        self.def.columns.iter().enumerate().map(|(i, c)| (i, c.name.clone(), c.typ.clone())).collect()
    }
    fn partition_key_types(&self) -> Vec<CqlType> {
        self.def.partition_key_columns().map(|c| c.typ.clone()).collect()
    }
}

pub fn compile(t: TableRef, s: &ast::Select, m: &mut Markers) -> Result<SelectPlan, RequestError> {
    if s.json {
        return Err(RequestError::invalid("SELECT JSON is not supported by Helenus yet"));
    }
    if !s.group_by.is_empty() {
        return Err(RequestError::invalid("GROUP BY is not supported by Helenus yet"));
    }
    if s.ann_of.is_some() {
        return Err(RequestError::invalid("ORDER BY ... ANN OF is not supported by Helenus yet"));
    }
    let selection = selection::compile(&t, &s.selection, m)?;
    let restrictions = restrict::compile(&t, &s.where_clause, m, true, true)?;
    if restrictions.needs_filtering && !s.allow_filtering {
        return Err(RequestError::invalid(
            "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING",
        ));
    }
    let reversed = order_by(&t, &s.order_by, &restrictions)?;
    if s.distinct {
        check_distinct(&t, &s.selection)?;
    }
    let per_partition_limit = s
        .per_partition_limit
        .as_ref()
        .map(|e| term::compile(e, &CqlType::Int, "[per_partition_limit]", m, None))
        .transpose()?;
    let limit = s
        .limit
        .as_ref()
        .map(|e| term::compile(e, &CqlType::Int, "[limit]", m, None))
        .transpose()?;
    Ok(SelectPlan { table: t, restrictions, selection, reversed, limit, per_partition_limit, distinct: s.distinct })
}

fn check_distinct(t: &TableRef, sel: &ast::Selection) -> Result<(), RequestError> {
    let ast::Selection::Selectors(list) = sel else {
        return Err(RequestError::invalid(
            "SELECT DISTINCT queries must only request partition key columns and/or static columns (not clustering or regular columns)",
        ));
    };
    let mut pk_seen = 0;
    for s in list {
        if let ast::SelectorExpr::Column(name) = &s.expr {
            if let Some(c) = t.def.column(name) {
                match c.kind {
                    ColumnKind::PartitionKey(_) => pk_seen += 1,
                    ColumnKind::Static => {}
                    _ => {
                        return Err(RequestError::invalid(format!(
                            "SELECT DISTINCT queries must only request partition key columns and/or static columns (not {name})"
                        )))
                    }
                }
            }
        }
    }
    if pk_seen < t.def.partition_key.len() && !list.iter().any(|s| matches!(s.expr, ast::SelectorExpr::CountAll | ast::SelectorExpr::FunctionCall { .. })) {
        let missing: Vec<&str> = t
            .def
            .partition_key_columns()
            .filter(|c| !list.iter().any(|s| matches!(&s.expr, ast::SelectorExpr::Column(n) if *n == c.name)))
            .map(|c| c.name.as_str())
            .collect();
        return Err(RequestError::invalid(format!(
            "SELECT DISTINCT queries must request all the partition key columns (missing {})",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Validates ORDER BY (Cassandra's rules) and says whether the read is reversed.
fn order_by(t: &TableRef, order: &[(String, ast::Order)], r: &Restrictions) -> Result<bool, RequestError> {
    if order.is_empty() {
        return Ok(false);
    }
    if !r.pk_complete() {
        return Err(RequestError::invalid(
            "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.",
        ));
    }
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let mut reversed: Option<bool> = None;
    for (i, (name, dir)) in order.iter().enumerate() {
        let c = t
            .def
            .column(name)
            .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))?;
        let ColumnKind::Clustering(pos, table_order) = c.kind else {
            return Err(RequestError::invalid(format!(
                "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {name}"
            )));
        };
        if pos as usize != i || ck.get(i).map(|c| c.name.as_str()) != Some(name.as_str()) {
            return Err(RequestError::invalid(
                "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY",
            ));
        }
        let natural = matches!(
            (table_order, dir),
            (crate::schema::Order::Asc, ast::Order::Asc) | (crate::schema::Order::Desc, ast::Order::Desc)
        );
        match reversed {
            None => reversed = Some(!natural),
            Some(rv) if rv == natural => {
                return Err(RequestError::invalid("Unsupported order by relation"));
            }
            _ => {}
        }
    }
    Ok(reversed.unwrap_or(false))
}

/// Per-execution options of a read.
pub struct ReadOpts<'a> {
    pub page_size: Option<usize>,
    pub paging_state: Option<&'a [u8]>,
    pub query_hash: u64,
    pub now: i32,
}

/// Rows of one page and the state to fetch the next.
pub struct Page {
    pub rows: Vec<Vec<Option<Bytes>>>,
    pub paging_state: Option<Bytes>,
}

fn eval_limit(e: &Option<Expr>, ctx: &EvalCtx<'_>, what: &str) -> Result<u32, RequestError> {
    let Some(e) = e else { return Ok(u32::MAX) };
    match e.eval(ctx)? {
        Val::Bytes(b) => {
            let a: [u8; 4] = b[..]
                .try_into()
                .map_err(|_| RequestError::invalid(format!("Expected 4 or 0 byte int ({})", b.len())))?;
            let v = i32::from_be_bytes(a);
            if v <= 0 {
                return Err(RequestError::invalid(format!("{what} must be strictly positive")));
            }
            Ok(v as u32)
        }
        Val::Null => Err(RequestError::invalid(format!("Invalid null value of {}", what.to_lowercase()))),
        Val::Unset => Ok(u32::MAX),
    }
}

/// The position of the last row returned, to build the paging state.
struct Cursor {
    index: u32,
    token: i64,
    key: Bytes,
    resume: Resume,
}

impl SelectPlan {
    pub fn execute(&self, exec: &ExecContext, ctx: &EvalCtx<'_>, opts: &ReadOpts<'_>) -> Result<Page, RequestError> {
        let limit = eval_limit(&self.limit, ctx, "LIMIT")?;
        let ppl = eval_limit(&self.per_partition_limit, ctx, "PER PARTITION LIMIT")?;
        let ppl = if self.distinct { 1 } else { ppl };
        let state = match opts.paging_state {
            Some(raw) if !self.selection.aggregate => Some(PagingState::decode(raw, opts.query_hash)?),
            _ => None,
        };
        let mut run = Run {
            plan: self,
            ctx,
            now: opts.now,
            remaining: state.as_ref().map_or(limit, |s| s.remaining),
            page: if self.selection.aggregate { usize::MAX } else { opts.page_size.unwrap_or(usize::MAX) },
            ppl,
            out: Vec::new(),
            agg: self.selection.aggregate.then(|| self.selection.new_states()),
            agg_first: true,
            last: None,
            full: false,
        };
        if self.restrictions.pk_complete() && self.restrictions.token.is_none() {
            let keys = restrict::partition_keys(&self.table, &self.restrictions, ctx)?;
            run.partitions(exec, &keys, state.as_ref())?;
        } else {
            run.scan(exec, state.as_ref())?;
        }
        if let Some(states) = run.agg.take() {
            return Ok(Page { rows: vec![self.selection.finish(states)?], paging_state: None });
        }
        let paging_state = if run.full && run.remaining > 0 {
            run.last.map(|c| {
                PagingState {
                    query_hash: opts.query_hash,
                    remaining: run.remaining,
                    partition_remaining: 0,
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
        Ok(Page { rows: run.out, paging_state })
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
    last: Option<Cursor>,
    full: bool,
}

impl Run<'_, '_> {
    fn done(&self) -> bool {
        self.remaining == 0 || self.full
    }

    fn slices(&self) -> Result<Vec<(storage::ClusteringBound, storage::ClusteringBound)>, RequestError> {
        restrict::clustering_slices(&self.plan.table, &self.plan.restrictions, self.ctx)
    }

    /// Reads whole partitions by key (= / IN on the partition key).
    fn partitions(&mut self, exec: &ExecContext, keys: &[(i64, Bytes)], state: Option<&PagingState>) -> Result<(), RequestError> {
        let slices = self.slices()?;
        if self.plan.restrictions.has_clustering() && slices.is_empty() {
            return Ok(());
        }
        let start = state.map_or(0, |s| s.partition_index as usize);
        for (i, (token, key)) in keys.iter().enumerate().skip(start) {
            if self.done() {
                break;
            }
            let mut resume_after = None;
            let mut skip_static = false;
            if let Some(s) = state.filter(|_| i == start) {
                if s.key != *key {
                    return Err(RequestError::invalid("The paging state does not match this query's partitions"));
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
            let engine = exec.engine.clone();
            let p = blocking(|| engine.read(&cmd))?;
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
        let n = (self.remaining as usize).min(self.ppl as usize).min(self.page.saturating_sub(self.out.len()));
        Some(n.max(1))
    }

    /// Scans the ring in token order (no or partial partition key, token ranges).
    fn scan(&mut self, exec: &ExecContext, state: Option<&PagingState>) -> Result<(), RequestError> {
        let slices = self.slices()?;
        if self.plan.restrictions.has_clustering() && slices.is_empty() {
            return Ok(());
        }
        let (mut start, end_token) = self.token_bounds()?;
        let mut skip_static_of: Option<Bytes> = None;
        if let Some(s) = state {
            start = match &s.resume {
                Resume::PartitionDone => ScanBound::AfterPartition { token: s.token, key: s.key.clone() },
                Resume::AfterStatic => {
                    skip_static_of = Some(s.key.clone());
                    ScanBound::AfterRow { token: s.token, key: s.key.clone(), clustering: Bytes::new() }
                }
                Resume::AfterRow(c) => {
                    skip_static_of = Some(s.key.clone());
                    ScanBound::AfterRow { token: s.token, key: s.key.clone(), clustering: c.clone() }
                }
            };
        }
        loop {
            if self.done() {
                return Ok(());
            }
            let want = if self.plan.restrictions.filters.is_empty() && self.agg.is_none() {
                (self.remaining as usize).min(self.page.saturating_sub(self.out.len())).max(1)
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
            let parts = blocking(|| engine.scan(&cmd))?;
            if parts.is_empty() {
                return Ok(());
            }
            let mut read_rows = 0usize;
            for p in &parts {
                read_rows += p.rows.len().max(usize::from(p.static_row.is_some() && p.rows.is_empty()));
                let skip_static = skip_static_of.as_ref() == Some(&p.key);
                self.partition(p, 0, skip_static)?;
                skip_static_of = None;
                if self.done() {
                    return Ok(());
                }
            }
            // Continue after the last row storage gave us.
            let Some(lastp) = parts.last() else { return Ok(()) };
            start = match lastp.rows.last() {
                Some(r) if read_rows >= chunk => ScanBound::AfterRow { token: lastp.token, key: lastp.key.clone(), clustering: r.clustering.clone() },
                _ => ScanBound::AfterPartition { token: lastp.token, key: lastp.key.clone() },
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
                    let a: [u8; 8] = b[..]
                        .try_into()
                        .map_err(|_| RequestError::invalid(format!("Expected 8 or 0 byte long ({})", b.len())))?;
                    Ok(i64::from_be_bytes(a))
                }
                _ => Err(RequestError::invalid("Invalid null value for the partition key token")),
            }
        };
        let start = match &tr.start {
            Some((e, incl)) => ScanBound::Token { token: tok(e)?, inclusive: *incl },
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
    fn partition(&mut self, p: &Partition, index: u32, skip_static: bool) -> Result<(), RequestError> {
        let t = &self.plan.table;
        let pk_vals = values::split_partition_key(&p.key, t.def.partition_key.len())
            .map_err(|e| RequestError::Server(format!("corrupt partition key: {e}")))?;
        let mut base = RowView { cells: vec![CellView::default(); t.def.columns.len()], token: p.token };
        for (&i, v) in t.def.partition_key.iter().zip(pk_vals) {
            if let Some(c) = base.cells.get_mut(i) {
                c.value = Some(v);
            }
        }
        if let Some(s) = &p.static_row {
            fill_cells(t, &mut base, &s.cells, self.now)?;
        }
        let mut in_partition = 0u32;
        let only_static = p.rows.is_empty();
        if only_static || self.plan.distinct {
            // A partition with only static data is one row (nulls for clustering and
            // regular columns) when the query does not restrict the clustering.
            let has_static = p.static_row.as_ref().map_or(false, |s| !s.cells.is_empty());
            if (has_static || self.plan.distinct) && !self.plan.restrictions.has_clustering() && !skip_static {
                if self.plan.distinct && !has_static && p.rows.is_empty() {
                    return Ok(());
                }
                if self.emit(&base)? {
                    self.last = Some(Cursor { index, token: p.token, key: p.key.clone(), resume: Resume::PartitionDone });
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
                self.last = Some(Cursor { index, token: p.token, key: p.key.clone(), resume: Resume::AfterRow(r.clustering.clone()) });
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
        if let Some(states) = &mut self.agg {
            self.plan.selection.accumulate(states, row, self.agg_first)?;
            self.agg_first = false;
            self.remaining = self.remaining.saturating_sub(0);
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

/// Fills the row's cells from storage cells (sorted by column, then path).
pub fn fill_cells(t: &TableRef, row: &mut RowView, cells: &[storage::Cell], now: i32) -> Result<(), RequestError> {
    let mut i = 0;
    while i < cells.len() {
        let col = cells[i].column;
        let mut j = i + 1;
        while j < cells.len() && cells[j].column == col {
            j += 1;
        }
        let group = &cells[i..j];
        i = j;
        let Some(idx) = t.column_index(col) else { continue };
        let Some(def) = t.def.columns.get(idx) else { continue };
        let view = &mut row.cells[idx];
        if def.typ.is_multi_cell() {
            view.value = assemble(&def.typ, group)?;
        } else if let Some(c) = group.last() {
            match &c.value {
                CellValue::Live { value, ttl } => {
                    view.value = Some(value.clone());
                    view.writetime = Some(c.timestamp);
                    view.ttl = ttl.map(|(_, exp)| (exp - now).max(0));
                }
                CellValue::Counter { delta } => view.value = Some(Bytes::copy_from_slice(&delta.to_be_bytes())),
                CellValue::Tombstone { .. } => {}
            }
        }
    }
    Ok(())
}

/// Rebuilds a serialized collection or UDT from its cells.
fn assemble(typ: &CqlType, cells: &[storage::Cell]) -> Result<Option<Bytes>, RequestError> {
    use bytes::BufMut;
    let live: Vec<(&Bytes, &Bytes)> = cells
        .iter()
        .filter_map(|c| match (&c.path, &c.value) {
            (Some(p), CellValue::Live { value, .. }) => Some((p, value)),
            _ => None,
        })
        .collect();
    if live.is_empty() {
        return Ok(None);
    }
    let corrupt = |e: cql::types::TypeError| RequestError::Server(format!("corrupt collection cell: {e}"));
    let mut out = bytes::BytesMut::new();
    let put = |out: &mut bytes::BytesMut, b: &[u8]| {
        out.put_i32(b.len() as i32);
        out.put_slice(b);
    };
    match typ.unfrozen() {
        CqlType::Set(et) => {
            out.put_i32(live.len() as i32);
            for (p, _) in &live {
                let v = values::decode_clustering(p, &[((**et).clone(), false)]).map_err(corrupt)?;
                put(&mut out, v.first().map(|b| &b[..]).unwrap_or(&[]));
            }
        }
        CqlType::Map(kt, _) => {
            out.put_i32(live.len() as i32);
            for (p, v) in &live {
                let k = values::decode_clustering(p, &[((**kt).clone(), false)]).map_err(corrupt)?;
                put(&mut out, k.first().map(|b| &b[..]).unwrap_or(&[]));
                put(&mut out, v);
            }
        }
        CqlType::List(_) => {
            out.put_i32(live.len() as i32);
            for (_, v) in &live {
                put(&mut out, v);
            }
        }
        CqlType::Udt(u) => {
            let mut fields: Vec<Option<&Bytes>> = vec![None; u.fields.len()];
            for (p, v) in &live {
                if let [a, b] = p[..] {
                    if let Some(slot) = fields.get_mut(u16::from_be_bytes([a, b]) as usize) {
                        *slot = Some(v);
                    }
                }
            }
            for f in fields {
                match f {
                    Some(v) => put(&mut out, v),
                    None => out.put_i32(-1),
                }
            }
        }
        _ => return Ok(live.last().map(|(_, v)| (*v).clone())),
    }
    Ok(Some(out.freeze()))
}

/// Evaluates one ALLOW FILTERING restriction on a row.
pub fn filter_matches(t: &TableRef, f: &Filter, row: &RowView, ctx: &EvalCtx<'_>) -> Result<bool, RequestError> {
    let Some(def) = t.def.columns.get(f.column) else { return Ok(false) };
    let Some(value) = row.cells.get(f.column).and_then(|c| c.value.clone()) else {
        return Ok(false);
    };
    let wanted = restrict::eval_values(&f.values, ctx, &def.name)?;
    Ok(match f.op {
        Operator::Contains | Operator::ContainsKey => {
            let items = super::modify::split_collection(&value, &def.typ)?;
            let (elem_t, step, offset) = match (def.typ.unfrozen(), f.op) {
                (CqlType::Map(k, _), Operator::ContainsKey) => ((**k).clone(), 2, 0),
                (CqlType::Map(_, v), _) => ((**v).clone(), 2, 1),
                (CqlType::List(e) | CqlType::Set(e), _) => ((**e).clone(), 1, 0),
                _ => return Ok(false),
            };
            wanted.iter().all(|w| {
                items.iter().skip(offset).step_by(step).any(|it| values::compare(&elem_t, it, w).is_eq())
            })
        }
        op => wanted.iter().any(|w| {
            let o = values::compare(&def.typ, &value, w);
            match op {
                Operator::Eq => o.is_eq(),
                Operator::Lt => o.is_lt(),
                Operator::Lte => o.is_le(),
                Operator::Gt => o.is_gt(),
                Operator::Gte => o.is_ge(),
                _ => false,
            }
        }),
    })
}

/// Keeps `KeyValues` in the public surface of this module for the virtual tables.
pub type Values = KeyValues;
