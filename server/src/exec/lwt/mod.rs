//! Lightweight transactions: `INSERT ... IF NOT EXISTS`, `UPDATE / DELETE ... IF EXISTS`
//! and `IF conditions`, conditional batches ([`batch`]) and SERIAL / LOCAL_SERIAL reads
//! ([`serial_read`]), all run as Paxos rounds ([`crate::paxos`]) on the partition.
//!
//! Inside the round (we hold the winning ballot) we read the rows the conditions are
//! about, check them ([`conditions`]), and propose the statement's mutation written at
//! the ballot's timestamp, or nothing when a condition fails. The answer is
//! Cassandra's: an `[applied]` boolean, plus the current values when not applied
//! ([`result`]). See docs/LWT.md.

pub mod batch;
pub mod conditions;
mod result;

use bytes::Bytes;
use cql::error::WriteType;
use cql::response::ResultBody;
use cql::wire::Consistency;
use storage::{ClusteringBound, ReadCommand};

pub use conditions::{CondCheck, Conditions};

use super::modify::ModifyPlan;
use super::restrict;
use super::select::{fill_cells, SelectPlan};
use super::selection::{CellView, RowView};
use super::term::EvalCtx;
use super::values;
use super::{ExecContext, TableRef};
use crate::coordinator::blocking;
use crate::error::RequestError;
use crate::paxos::{CasTimeout, PaxosKey, Proposer, CAS_CONTENTION_TIMEOUT};

/// Runs a conditional INSERT / UPDATE / DELETE; the Rows result with `[applied]`.
pub fn run(
    ctx: &ExecContext,
    plan: &ModifyPlan,
    conds: &Conditions,
    ectx: &EvalCtx<'_>,
    cl: Consistency,
    serial: Option<Consistency>,
) -> Result<ResultBody, RequestError> {
    let t = &plan.table;
    if plan.timestamp.is_some() {
        return Err(RequestError::invalid(
            "Cannot provide custom timestamp for conditional updates",
        ));
    }
    check_row_named(plan, conds)?;
    let serial = check_levels(ctx, t, cl, serial)?;
    let (key, prefix) = row_of(plan, ectx)?;
    let outcome = blocking(|| {
        proposer(ctx).cas(&key, |ballot| {
            let mut attrs = plan.attrs(ectx, ballot.micros)?;
            let current = read_row(ctx, t, &key, &prefix, attrs.now)?;
            if !conds.apply_to(t, &current, ectx)? {
                let shown = result::shown_columns(t, [conds], false);
                let rows: Vec<RowView> = current.view.into_iter().collect();
                return Ok((None, result::not_applied(t, &shown, &rows)));
            }
            plan.load_prior(&ctx.engine, ectx, &mut attrs)?;
            let mut muts = Vec::with_capacity(1);
            plan.mutations(ectx, &attrs, &ctx.clock, &mut muts)?;
            super::index::write_entries(ctx, &muts)?;
            let update = single_update(muts)?;
            Ok::<_, RequestError>((update, result::applied(t)))
        })
    });
    finish(outcome, serial)
}

impl Conditions {
    /// Whether the IF clause holds on the row read in the Paxos round. Every condition
    /// is evaluated: a bad value is an error even after one has failed.
    fn apply_to(
        &self,
        t: &TableRef,
        current: &Current,
        ectx: &EvalCtx<'_>,
    ) -> Result<bool, RequestError> {
        Ok(match self {
            Conditions::NotExists => !current.exists,
            Conditions::Exists => current.exists,
            Conditions::Columns(checks) => {
                let mut ok = true;
                for c in checks {
                    ok &= c.applies(t, current.view.as_ref(), ectx)?;
                }
                ok
            }
        })
    }
}

/// A SERIAL / LOCAL_SERIAL SELECT: a Paxos round that commits whatever an earlier
/// round left accepted, so that the read which follows is linearizable with LWTs.
pub fn serial_read(
    ctx: &ExecContext,
    p: &SelectPlan,
    ectx: &EvalCtx<'_>,
    cl: Consistency,
) -> Result<(), RequestError> {
    let one_partition = || {
        RequestError::invalid(
            "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time",
        )
    };
    let keys =
        restrict::partition_keys(&p.table, &p.restrictions, ectx).map_err(|_| one_partition())?;
    let [(token, key)] = <[_; 1]>::try_from(keys).map_err(|_| one_partition())?;
    check_paxos_quorum(ctx, &p.table, cl)?;
    let key = PaxosKey {
        table: p.table.id,
        token,
        key,
    };
    blocking(|| proposer(ctx).serial_read(&key)).map_err(|e| timeout_error(e, cl, true))
}

/// The Paxos participants: today this node; the cluster issue adds the other replicas.
fn proposer(ctx: &ExecContext) -> Proposer<'_> {
    Proposer {
        replicas: &ctx.paxos,
        clock: &ctx.clock,
        node: ctx.identity.host_id.as_u64_pair().1,
        timeout: CAS_CONTENTION_TIMEOUT,
    }
}

/// Cassandra's checks on the commit and serial consistency levels of a conditional
/// update; returns the serial level used.
fn check_levels(
    ctx: &ExecContext,
    t: &TableRef,
    cl: Consistency,
    serial: Option<Consistency>,
) -> Result<Consistency, RequestError> {
    if matches!(cl, Consistency::Serial | Consistency::LocalSerial) {
        return Err(RequestError::invalid(
            "SERIAL is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\"",
        ));
    }
    let serial = serial.unwrap_or(Consistency::Serial);
    if !matches!(serial, Consistency::Serial | Consistency::LocalSerial) {
        return Err(RequestError::invalid(
            "Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL",
        ));
    }
    check_paxos_quorum(ctx, t, serial)?;
    ctx.coordinator.check_consistency(cl, &t.repl, true)?;
    Ok(serial)
}

/// Paxos needs a quorum of the replicas (in the local DC for LOCAL_SERIAL).
fn check_paxos_quorum(
    ctx: &ExecContext,
    t: &TableRef,
    serial: Consistency,
) -> Result<(), RequestError> {
    let quorum = if serial == Consistency::LocalSerial {
        Consistency::LocalQuorum
    } else {
        Consistency::Quorum
    };
    ctx.coordinator
        .check_consistency(quorum, &t.repl, true)
        .map_err(|e| match e {
            RequestError::Unavailable {
                required, alive, ..
            } => RequestError::Unavailable {
                cl: serial,
                required,
                alive,
            },
            other => other,
        })
}

/// Conditions on regular columns need one row: a conditional DELETE of a partition or
/// a range may only say IF EXISTS or test static columns (Cassandra's rule).
fn check_row_named(plan: &ModifyPlan, conds: &Conditions) -> Result<(), RequestError> {
    let t = &plan.table;
    let Conditions::Columns(checks) = conds else {
        return Ok(());
    };
    let regular = checks
        .iter()
        .any(|c| t.def.columns[c.column].kind == crate::schema::ColumnKind::Regular);
    let missing = t.def.clustering_columns().nth(plan.keys.ck_eq.len());
    match missing {
        Some(c) if regular && plan.kind == super::modify::Kind::Delete => {
            Err(RequestError::invalid(format!(
                "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF conditions, but column '{}' is not restricted",
                c.name
            )))
        }
        _ => Ok(()),
    }
}

/// The partition and clustering prefix a conditional statement names (one of each:
/// `check_cas_keys` refused IN when it was compiled).
fn row_of(plan: &ModifyPlan, ectx: &EvalCtx<'_>) -> Result<(PaxosKey, Bytes), RequestError> {
    let t = &plan.table;
    let (token, key) = restrict::partition_keys(t, &plan.keys, ectx)?
        .into_iter()
        .next()
        .ok_or_else(|| RequestError::invalid("A conditional update must name one partition"))?;
    let prefix = restrict::clustering_prefixes(t, &plan.keys, ectx)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let key = PaxosKey {
        table: t.id,
        token,
        key,
    };
    Ok((key, prefix))
}

/// The statement's mutations as one partition update (they all share the partition).
fn single_update(muts: Vec<storage::Mutation>) -> Result<Option<storage::Mutation>, RequestError> {
    let mut merged = super::modify::merge_mutations(muts);
    if merged.len() > 1 {
        return Err(RequestError::Server(
            "a conditional update produced mutations for several partitions".into(),
        ));
    }
    Ok(merged.pop())
}

/// The Paxos round's outcome as the request's result.
fn finish(
    outcome: Result<Result<ResultBody, RequestError>, CasTimeout>,
    serial: Consistency,
) -> Result<ResultBody, RequestError> {
    match outcome {
        Ok(r) => r,
        Err(e) => Err(timeout_error(e, serial, false)),
    }
}

fn timeout_error(e: CasTimeout, serial: Consistency, read: bool) -> RequestError {
    match e {
        CasTimeout::Contention {
            received,
            block_for,
        } if read => RequestError::ReadTimeout {
            cl: serial,
            received: received as i32,
            block_for: block_for as i32,
            data_present: false,
        },
        CasTimeout::Contention {
            received,
            block_for,
        } => RequestError::WriteTimeout {
            cl: serial,
            received: received as i32,
            block_for: block_for as i32,
            write_type: WriteType::Cas,
        },
        CasTimeout::Replica(e) => RequestError::Server(format!("Paxos replica failed: {e}")),
    }
}

/// What the conditions of one row see.
struct Current {
    /// Keys, static and regular cells; None when the partition has no live data.
    view: Option<RowView>,
    /// The row exists (IF EXISTS / IF NOT EXISTS). For a statement that names no
    /// clustering (static-only), the partition's static row counts.
    exists: bool,
}

/// Reads the row at `prefix` of the partition (an empty prefix: the partition's first
/// row and its static row).
fn read_row(
    ctx: &ExecContext,
    t: &TableRef,
    key: &PaxosKey,
    prefix: &Bytes,
    now: i32,
) -> Result<Current, RequestError> {
    let slices = if prefix.is_empty() {
        Vec::new()
    } else {
        vec![(
            ClusteringBound::Inclusive(prefix.clone()),
            ClusteringBound::Inclusive(prefix.clone()),
        )]
    };
    let cmd = ReadCommand {
        table: t.id,
        token: key.token,
        key: key.key.clone(),
        slices,
        reversed: false,
        row_limit: Some(1),
        resume_after: None,
        now_seconds: now,
    };
    let Some(p) = ctx.engine.read(&cmd)? else {
        return Ok(Current {
            view: None,
            exists: false,
        });
    };
    let mut row = RowView {
        cells: vec![CellView::default(); t.def.columns.len()],
        token: key.token,
    };
    let pk = values::split_partition_key(&p.key, t.def.partition_key.len())
        .map_err(|e| RequestError::Server(format!("corrupt partition key: {e}")))?;
    for (&i, v) in t.def.partition_key.iter().zip(pk) {
        row.cells[i].value = Some(v);
    }
    if let Some(s) = &p.static_row {
        fill_cells(t, &mut row, &s.cells, now)?;
    }
    let found_row = p.rows.first();
    if let Some(r) = found_row {
        let ck = values::decode_clustering(&r.clustering, &t.ck_types)
            .map_err(|e| RequestError::Server(format!("corrupt clustering: {e}")))?;
        for (&i, v) in t.def.clustering.iter().zip(ck) {
            row.cells[i].value = Some(v);
        }
        fill_cells(t, &mut row, &r.cells, now)?;
    }
    let exists = found_row.is_some() || (prefix.is_empty() && p.static_row.is_some());
    let view = (exists || p.static_row.is_some()).then_some(row);
    Ok(Current { view, exists })
}
