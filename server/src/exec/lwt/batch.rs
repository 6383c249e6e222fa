//! Conditional batches: a BATCH where some statements carry IF clauses. As in
//! Cassandra, every statement must touch the same partition of the same table; the
//! conditions (possibly on several rows of that partition) are checked together in
//! one Paxos round, and either every statement applies or none does.

use bytes::Bytes;
use cql::response::ResultBody;
use cql::wire::Consistency;

use super::conditions::Conditions;
use super::{check_levels, finish, proposer, read_row, result, row_of, single_update};
use crate::coordinator::blocking;
use crate::error::RequestError;
use crate::exec::modify::ModifyPlan;
use crate::exec::restrict;
use crate::exec::selection::RowView;
use crate::exec::term::{EvalCtx, Expr};
use crate::exec::ExecContext;

/// The conditions of a batch that name one row (clustering prefix).
struct RowConditions<'a> {
    prefix: Bytes,
    /// Each with the index of its statement in the batch (whose values it binds).
    conds: Vec<(&'a Conditions, usize)>,
}

/// Runs a batch with at least one conditional statement.
pub fn run(
    ctx: &ExecContext,
    items: &[(&ModifyPlan, EvalCtx<'_>)],
    batch_ts: Option<&Expr>,
    cl: Consistency,
    serial: Option<Consistency>,
) -> Result<ResultBody, RequestError> {
    let Some((first, _)) = items.first() else {
        return Ok(ResultBody::Void);
    };
    let t = &first.table;
    if batch_ts.is_some() {
        return Err(RequestError::invalid(
            "Cannot provide custom timestamp for conditional BATCH",
        ));
    }
    for (p, _) in items {
        if p.table.id != t.id {
            return Err(RequestError::invalid(
                "Batch with conditions cannot span multiple tables",
            ));
        }
        if p.timestamp.is_some() {
            return Err(RequestError::invalid(
                "Cannot provide custom timestamp for conditional updates",
            ));
        }
    }
    if t.def.is_counter {
        return Err(RequestError::invalid(
            "Conditional updates are not supported on counter tables",
        ));
    }
    let serial = check_levels(ctx, t, cl, serial)?;
    let mut key = None;
    let mut rows: Vec<RowConditions<'_>> = Vec::new();
    for (i, (p, ectx)) in items.iter().enumerate() {
        let keys = restrict::partition_keys(&p.table, &p.keys, ectx)?;
        let one = keys.len() == 1;
        let Some((token, k)) = keys.into_iter().next() else {
            continue;
        };
        let same = key
            .as_ref()
            .is_none_or(|key: &crate::paxos::PaxosKey| key.token == token && key.key == k);
        if !one || !same {
            return Err(RequestError::invalid(
                "Batch with conditions cannot span multiple partitions",
            ));
        }
        let Some(conds) = &p.conditions else {
            key.get_or_insert(crate::paxos::PaxosKey {
                table: t.id,
                token,
                key: k,
            });
            continue;
        };
        let (pk, prefix) = row_of(p, ectx)?;
        key.get_or_insert(pk);
        match rows.iter_mut().find(|r| r.prefix == prefix) {
            Some(r) => r.conds.push((conds, i)),
            None => rows.push(RowConditions {
                prefix,
                conds: vec![(conds, i)],
            }),
        }
    }
    let Some(key) = key else {
        return Ok(ResultBody::Void);
    };
    for r in &rows {
        check_mix(&r.conds)?;
    }
    rows.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    let all_conds: Vec<&Conditions> = rows
        .iter()
        .flat_map(|r| r.conds.iter().map(|(c, _)| *c))
        .collect();
    let outcome = blocking(|| {
        proposer(ctx).cas(&key, |ballot| {
            let now = first.attrs(&items[0].1, ballot.micros)?.now;
            let mut applied = true;
            let mut current: Vec<RowView> = Vec::new();
            for r in &rows {
                let row = read_row(ctx, t, &key, &r.prefix, now)?;
                for (c, i) in &r.conds {
                    applied &= c.apply_to(t, &row, &items[*i].1)?;
                }
                current.extend(row.view);
            }
            if !applied {
                let shown = result::shown_columns(t, all_conds.iter().copied(), true);
                return Ok((None, result::not_applied(t, &shown, &current)));
            }
            let mut muts = Vec::with_capacity(items.len());
            for (p, ectx) in items {
                let mut attrs = p.attrs(ectx, ballot.micros)?;
                p.load_prior(&ctx.engine, ectx, &mut attrs)?;
                p.mutations(ectx, &attrs, &ctx.clock, &mut muts)?;
            }
            crate::exec::index::write_entries(ctx, &muts)?;
            Ok::<_, RequestError>((single_update(muts)?, result::applied(t)))
        })
    });
    finish(outcome, serial)
}

/// Cassandra refuses IF NOT EXISTS next to IF EXISTS or column conditions on one row.
fn check_mix(conds: &[(&Conditions, usize)]) -> Result<(), RequestError> {
    let not_exists = conds
        .iter()
        .any(|(c, _)| matches!(c, Conditions::NotExists));
    let exists = conds.iter().any(|(c, _)| matches!(c, Conditions::Exists));
    let columns = conds
        .iter()
        .any(|(c, _)| matches!(c, Conditions::Columns(_)));
    if not_exists && exists {
        return Err(RequestError::invalid(
            "Cannot mix IF EXISTS and IF NOT EXISTS conditions for the same row",
        ));
    }
    if not_exists && columns {
        return Err(RequestError::invalid(
            "Cannot mix IF conditions and IF NOT EXISTS for the same row",
        ));
    }
    if exists && columns {
        return Err(RequestError::invalid(
            "Cannot mix IF conditions and IF EXISTS for the same row",
        ));
    }
    Ok(())
}
