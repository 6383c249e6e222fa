//! Lightweight transactions on a ring of one: `INSERT ... IF NOT EXISTS`,
//! `UPDATE / DELETE ... IF EXISTS` and `IF col op value`.
//!
//! With one replica, Paxos reduces to a read, a check and a write done atomically with
//! respect to every other conditional statement: one node-wide lock serialises them.
//! (Plain writes do not take it, as in Cassandra, where mixing LWT and non-LWT writes
//! on the same data has no serial guarantee either.) The result is Cassandra's: an
//! `[applied]` boolean, plus the current values when the condition failed.

use bytes::Bytes;
use cql::parser::ast::Operator;
use cql::response::{ColumnSpec, ResultBody};
use cql::types::{CqlType, CqlValue};
use cql::wire::Consistency;
use storage::{ClusteringBound, ReadCommand};

use super::dispatch::rows;
use super::modify::{Conditions, ModifyPlan};
use super::restrict;
use super::select::fill_cells;
use super::selection::{CellView, RowView};
use super::term::EvalCtx;
use super::values;
use super::ExecContext;
use crate::coordinator::blocking;
use crate::error::RequestError;

/// Runs a conditional modification; the Rows result with `[applied]`.
pub fn run(
    ctx: &ExecContext,
    plan: &ModifyPlan,
    conds: &Conditions,
    ectx: &EvalCtx<'_>,
    default_ts: i64,
    cl: Consistency,
) -> Result<ResultBody, RequestError> {
    let t = &plan.table;
    ctx.coordinator.check_consistency(cl, &t.repl, true)?;
    let attrs = plan.attrs(ectx, default_ts)?;
    let _guard = ctx.cas_lock.lock();
    let keys = restrict::partition_keys(t, &plan.keys, ectx)?;
    let Some((token, key)) = keys.into_iter().next() else {
        return Err(RequestError::invalid(
            "A conditional update must name one partition",
        ));
    };
    let prefix = restrict::clustering_prefixes(t, &plan.keys, ectx)?
        .into_iter()
        .next();
    let slices = match &prefix {
        Some(p) if !p.is_empty() => vec![(
            ClusteringBound::Inclusive(p.clone()),
            ClusteringBound::Inclusive(p.clone()),
        )],
        _ => Vec::new(),
    };
    let cmd = ReadCommand {
        table: t.id,
        token,
        key: key.clone(),
        slices,
        reversed: false,
        row_limit: Some(1),
        resume_after: None,
        now_seconds: attrs.now,
    };
    let engine = ctx.engine.clone();
    let partition = blocking(|| engine.read(&cmd))?;
    // The current row: keys, static and regular cells.
    let mut current: Option<RowView> = None;
    if let Some(p) = &partition {
        let mut row = RowView {
            cells: vec![CellView::default(); t.def.columns.len()],
            token,
        };
        let pk = values::split_partition_key(&p.key, t.def.partition_key.len())
            .map_err(|e| RequestError::Server(format!("corrupt partition key: {e}")))?;
        for (&i, v) in t.def.partition_key.iter().zip(pk) {
            row.cells[i].value = Some(v);
        }
        if let Some(s) = &p.static_row {
            fill_cells(t, &mut row, &s.cells, attrs.now)?;
        }
        let found_row = p.rows.first();
        if let Some(r) = found_row {
            let ck = values::decode_clustering(&r.clustering, &t.ck_types)
                .map_err(|e| RequestError::Server(format!("corrupt clustering: {e}")))?;
            for (&i, v) in t.def.clustering.iter().zip(ck) {
                row.cells[i].value = Some(v);
            }
            fill_cells(t, &mut row, &r.cells, attrs.now)?;
        }
        if found_row.is_some() || t.def.clustering.is_empty() || p.static_row.is_some() {
            current = Some(row);
        }
    }
    let (applied, shown): (bool, Vec<usize>) = match conds {
        Conditions::NotExists => (current.is_none(), (0..t.def.columns.len()).collect()),
        Conditions::Exists => (current.is_some(), Vec::new()),
        Conditions::Columns(checks) => {
            let mut ok = true;
            let mut shown = Vec::new();
            for c in checks {
                let def = &t.def.columns[c.column];
                let have = current
                    .as_ref()
                    .and_then(|r| r.cells[c.column].value.clone());
                let want = eval_nullable(&c.values, ectx)?;
                let pass = want
                    .iter()
                    .any(|w| compare(&def.typ, c.op, have.as_ref(), w.as_ref()));
                ok &= pass;
                if !shown.contains(&c.column) {
                    shown.push(c.column);
                }
            }
            (ok, shown)
        }
    };
    if applied {
        let mut attrs = attrs;
        plan.load_prior(&ctx.engine, ectx, &mut attrs)?;
        let mut muts = Vec::with_capacity(1);
        plan.mutations(ectx, &attrs, &ctx.clock, &mut muts)?;
        super::view::mutate(ctx, &muts, cl, &t.repl)?;
    }
    let mut cols = vec![ColumnSpec {
        keyspace: t.def.keyspace.clone(),
        table: t.def.name.clone(),
        name: "[applied]".into(),
        typ: CqlType::Boolean,
    }];
    let mut row = vec![Some(values::serialize(
        &CqlValue::Boolean(applied),
        &CqlType::Boolean,
    ))];
    if !applied {
        if let Some(cur) = &current {
            for i in shown {
                let def = &t.def.columns[i];
                cols.push(ColumnSpec {
                    keyspace: t.def.keyspace.clone(),
                    table: t.def.name.clone(),
                    name: def.name.clone(),
                    typ: def.typ.clone(),
                });
                row.push(cur.cells[i].value.clone());
            }
        }
    }
    Ok(rows(&cols, vec![row], None, false))
}

/// Condition values; unlike key values, null is allowed (`IF v = null`).
fn eval_nullable(
    v: &restrict::KeyValues,
    ctx: &EvalCtx<'_>,
) -> Result<Vec<Option<Bytes>>, RequestError> {
    match v {
        restrict::KeyValues::Eq(e) => Ok(vec![e.eval_bytes(ctx)?]),
        restrict::KeyValues::In(es) => es.iter().map(|e| e.eval_bytes(ctx)).collect(),
        other => Ok(restrict::eval_values(other, ctx, "condition")?
            .into_iter()
            .map(Some)
            .collect()),
    }
}

fn compare(typ: &CqlType, op: Operator, have: Option<&Bytes>, want: Option<&Bytes>) -> bool {
    match (have, want) {
        (None, None) => matches!(op, Operator::Eq | Operator::Lte | Operator::Gte),
        (Some(_), None) => op == Operator::Neq,
        (None, Some(_)) => op == Operator::Neq,
        (Some(h), Some(w)) => {
            let o = values::compare(typ, h, w);
            match op {
                Operator::Eq => o.is_eq(),
                Operator::Neq => o.is_ne(),
                Operator::Lt => o.is_lt(),
                Operator::Lte => o.is_le(),
                Operator::Gt => o.is_gt(),
                Operator::Gte => o.is_ge(),
                _ => false,
            }
        }
    }
}
