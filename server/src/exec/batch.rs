//! BATCH: logged, unlogged and counter batches, from a `BEGIN BATCH ... APPLY BATCH`
//! text or from the BATCH message (statement texts or prepared ids, values per
//! statement). One timestamp for the whole batch unless statements bring their own;
//! mutations of the same partition are merged and applied as one.

use cql::parser::ast::{self, BatchKind, BatchStatement};
use cql::request::{Batch, BatchQuery, BatchType, Values};
use cql::response::ResultBody;
use cql::types::CqlType;
use cql::wire::Consistency;

use super::modify::{self, ModifyPlan};
use super::prepared::{self, Plan};
use super::term::{self, EvalCtx, Expr, Markers, Val};
use super::{dispatch, resolve_table, ExecContext};
use crate::error::RequestError;
use crate::query::ClientState;
use crate::schema::Schema;

/// A compiled `BEGIN BATCH ... APPLY BATCH`.
#[derive(Debug, Clone)]
pub struct BatchPlan {
    pub kind: BatchKind,
    pub statements: Vec<ModifyPlan>,
    pub timestamp: Option<Expr>,
}

impl BatchPlan {
    /// The table bind markers are reported against (the first statement's).
    pub fn first_table(&self) -> (String, String) {
        self.statements
            .first()
            .map(|s| (s.table.def.keyspace.clone(), s.table.def.name.clone()))
            .unwrap_or_default()
    }
}

pub fn compile(
    ctx: &ExecContext,
    schema: &Schema,
    b: &ast::Batch,
    keyspace: Option<&str>,
    m: &mut Markers,
) -> Result<BatchPlan, RequestError> {
    if b.using.ttl.is_some() {
        return Err(RequestError::invalid(
            "Global TTL on the BATCH statement is not supported.",
        ));
    }
    let timestamp = b
        .using
        .timestamp
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Bigint, "[timestamp]", m, None))
        .transpose()?;
    let mut statements = Vec::with_capacity(b.statements.len());
    for s in &b.statements {
        let p = match s {
            BatchStatement::Insert(i) => {
                modify::compile_insert(resolve_table(ctx, schema, &i.table, keyspace)?, i, m)?
            }
            BatchStatement::Update(u) => {
                modify::compile_update(resolve_table(ctx, schema, &u.table, keyspace)?, u, m)?
            }
            BatchStatement::Delete(d) => {
                modify::compile_delete(resolve_table(ctx, schema, &d.table, keyspace)?, d, m)?
            }
        };
        statements.push(p);
    }
    Ok(BatchPlan {
        kind: b.kind,
        statements,
        timestamp,
    })
}

/// Cassandra's rules on mixing counter and non-counter statements.
pub fn check_kind(kind: BatchKind, plans: &[&ModifyPlan]) -> Result<(), RequestError> {
    let counters = plans.iter().filter(|p| p.table.def.is_counter).count();
    let others = plans.len() - counters;
    if kind == BatchKind::Counter && others > 0 {
        return Err(RequestError::invalid(
            "Cannot include non-counter statement in a counter batch",
        ));
    }
    if kind == BatchKind::Logged && counters > 0 {
        return Err(RequestError::invalid(
            "Cannot include a counter statement in a logged batch",
        ));
    }
    if counters > 0 && others > 0 {
        return Err(RequestError::invalid(
            "Counter and non-counter mutations cannot exist in the same batch",
        ));
    }
    Ok(())
}

/// Builds, merges and applies the mutations of a batch (a conditional batch runs as
/// one lightweight transaction, see [`super::lwt::batch`]).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    ctx: &ExecContext,
    kind: BatchKind,
    items: &[(&ModifyPlan, EvalCtx<'_>)],
    batch_ts: Option<&Expr>,
    default_ts: i64,
    cl: Consistency,
    serial: Option<Consistency>,
) -> Result<ResultBody, RequestError> {
    let plans: Vec<&ModifyPlan> = items.iter().map(|(p, _)| *p).collect();
    check_kind(kind, &plans)?;
    if plans.iter().any(|p| p.conditions.is_some()) {
        for (p, _) in items {
            super::view::check_no_views_for_lwt(ctx, &p.table)?;
        }
        return super::lwt::batch::run(ctx, items, batch_ts, cl, serial);
    }
    let mut ts = default_ts;
    if let (Some(e), Some((_, ectx))) = (batch_ts, items.first()) {
        match e.eval(ectx)? {
            Val::Bytes(b) => {
                let a: [u8; 8] = b[..].try_into().map_err(|_| {
                    RequestError::invalid(format!("Expected 8 or 0 byte long ({})", b.len()))
                })?;
                ts = i64::from_be_bytes(a);
            }
            Val::Null => return Err(RequestError::invalid("Invalid null value of timestamp")),
            Val::Unset => {}
        }
        if plans.iter().any(|p| p.timestamp.is_some()) {
            return Err(RequestError::invalid(
                "Timestamp must be set either on BATCH or individual statements",
            ));
        }
    }
    let mut muts = Vec::with_capacity(items.len());
    for (p, ectx) in items {
        let mut attrs = p.attrs(ectx, ts)?;
        p.load_prior(&ctx.engine, ectx, &mut attrs)?;
        p.mutations(ectx, &attrs, &ctx.clock, &mut muts)?;
    }
    let muts = modify::merge_mutations(muts);
    // Every keyspace touched must meet the consistency level.
    for p in &plans {
        ctx.coordinator.check_consistency(cl, &p.table.repl, true)?;
    }
    if let Some(first) = plans.first() {
        super::view::mutate(ctx, &muts, cl, &first.table.repl)?;
    }
    Ok(ResultBody::Void)
}

/// The BATCH message.
pub async fn run(
    ctx: &ExecContext,
    st: &mut ClientState,
    b: Batch,
) -> Result<ResultBody, RequestError> {
    let keyspace = b.keyspace.clone().or_else(|| st.keyspace.clone());
    let mut prepared_list = Vec::with_capacity(b.statements.len());
    let mut bound = Vec::with_capacity(b.statements.len());
    for s in &b.statements {
        let p = match &s.query {
            BatchQuery::Query(text) => dispatch::prepare_text(ctx, text, keyspace.as_deref())?,
            BatchQuery::Prepared(id) => dispatch::lookup(ctx, id)?,
        };
        if !matches!(*p.plan, Plan::Modify(_)) {
            return Err(RequestError::invalid(
                "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
            ));
        }
        let values = match &s.names {
            Some(names) => Values::Named(
                names
                    .iter()
                    .cloned()
                    .zip(s.values.iter().cloned())
                    .collect(),
            ),
            None => Values::Positional(s.values.clone()),
        };
        bound.push(prepared::bind(values, &p.markers)?);
        prepared_list.push(p);
    }
    let kind = match b.kind {
        BatchType::Logged => BatchKind::Logged,
        BatchType::Unlogged => BatchKind::Unlogged,
        BatchType::Counter => BatchKind::Counter,
    };
    let items: Vec<(&ModifyPlan, EvalCtx<'_>)> = prepared_list
        .iter()
        .zip(bound.iter())
        .filter_map(|(p, v)| match &*p.plan {
            Plan::Modify(m) => Some((m, EvalCtx { values: v })),
            _ => None,
        })
        .collect();
    if items.is_empty() {
        return Ok(ResultBody::Void);
    }
    let ts = b.timestamp.unwrap_or_else(|| ctx.clock.next_micros());
    apply(
        ctx,
        kind,
        &items,
        None,
        ts,
        b.consistency,
        b.serial_consistency,
    )
}
