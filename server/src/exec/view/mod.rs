//! Materialized view maintenance: every write to a base table that has views also
//! rewrites the view rows it affects.
//!
//! The view row of a base row is a pure function of the base row's current state, so
//! maintenance is: read the affected base rows before the write, apply the write, read
//! them again, and for each row delete the old view row (when its view key changed or
//! the row is gone) and rewrite the new one whole. Reading after the write (rather than
//! predicting the result from the mutation) makes shadowed writes (an old USING
//! TIMESTAMP), TTLs and tombstones come out right without re-implementing
//! reconciliation here.
//!
//! View rows carry the node's own write timestamps, not the base cells': a rewrite is a
//! row tombstone at `ts` plus the cells at `ts + 1`, which clears whatever an earlier
//! version of that view row held. (Cassandra keeps base timestamps and needed
//! "shadowable" tombstones for the key-flip-back case; fresh timestamps avoid it, at
//! the price of `writetime()` on a view showing when the view row was written.) TTLs
//! are copied, so view rows expire with their base data; when the view key holds a
//! regular base column, every view cell expires no later than that column.
//!
//! Writes to tables with views are serialised (one lock for the node) so that the
//! read-before-write and the view write of two concurrent statements cannot
//! interleave. Tables without views take none of this path.

mod build;
mod filter;
mod rows;

pub use build::build;
pub use filter::check_create;

use std::collections::HashSet;
use std::sync::Arc;

use cql::wire::Consistency;
use storage::{ClusteringBound, Mutation, ReadCommand};

use crate::coordinator::{blocking, Replication};
use crate::error::RequestError;
use crate::schema::{PerVersion, Schema, TableDef};

use super::ExecContext;

/// Serialises writes to tables that have views (see the module comment).
static VIEW_WRITE_LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// The base tables (by storage id) that have views, per schema version: a write to
/// any other table (nearly all of them) learns that it has none without walking
/// the schema.
static BASES: PerVersion<HashSet<storage::TableId>> = PerVersion::new();

fn bases(schema: &Schema) -> HashSet<storage::TableId> {
    schema
        .keyspaces
        .values()
        .flat_map(|k| k.views.values())
        .filter_map(|v| v.view.as_ref())
        .map(|d| storage::TableId(d.base_table_id))
        .collect()
}

/// The views of the base table with storage id `table`.
fn views_of(schema: &Schema, table: storage::TableId) -> Vec<&TableDef> {
    schema
        .keyspaces
        .values()
        .flat_map(|k| k.views.values())
        .filter(|v| v.view.as_ref().is_some_and(|d| d.base_table_id == table.0))
        .collect()
}

fn base_table(schema: &Schema, table: storage::TableId) -> Option<&TableDef> {
    schema
        .keyspaces
        .values()
        .flat_map(|k| k.tables.values())
        .find(|t| t.id == table.0)
}

/// Applies `muts` at `cl` and keeps the views of their tables in sync. The one entry
/// point for DML: use it instead of `Coordinator::mutate`.
pub fn mutate(
    ctx: &ExecContext,
    muts: &[Mutation],
    cl: Consistency,
    repl: &Replication,
) -> Result<(), RequestError> {
    // Before the schema is read: an index build waits for this write (exec/index).
    let _order = super::index::write_order();
    let schema = ctx.schema.snapshot();
    // Secondary index entries travel with the base writes (exec/index).
    let with_index = super::index::with_entries(&schema, muts);
    let muts: &[Mutation] = with_index.as_deref().unwrap_or(muts);
    let bases = BASES.get(&schema, bases);
    let with_views: Vec<(usize, &TableDef, Vec<&TableDef>)> = muts
        .iter()
        .enumerate()
        .filter(|(_, m)| !bases.is_empty() && bases.contains(&m.table))
        .filter_map(|(i, m)| {
            let views = views_of(&schema, m.table);
            if views.is_empty() {
                return None;
            }
            base_table(&schema, m.table).map(|b| (i, b, views))
        })
        .collect();
    if with_views.is_empty() {
        return ctx.coordinator.mutate(muts, cl, repl);
    }
    ctx.coordinator.check_consistency(cl, repl, true)?;
    let _serial = VIEW_WRITE_LOCK.lock();
    let engine = ctx.engine.clone();
    let now = super::clock::now_seconds() as i32;
    let reads: Vec<ReadCommand> = with_views
        .iter()
        .filter_map(|(i, base, _)| muts.get(*i).map(|m| affected_rows(base, m, now)))
        .collect();
    let before = read_all(&engine, &reads)?;
    ctx.coordinator.mutate(muts, cl, repl)?;
    let after = read_all(&engine, &reads)?;
    let ts = ctx.clock.next_micros();
    // The second timestamp: view cells written after the row tombstone at `ts`.
    let _ = ctx.clock.next_micros();
    let mut view_muts = Vec::new();
    for (((_, base, views), old), new) in with_views.iter().zip(&before).zip(&after) {
        for v in views {
            rows::view_mutations(base, v, old.as_ref(), new.as_ref(), ts, now, &mut view_muts)?;
        }
    }
    let view_muts = super::modify::merge_mutations(view_muts);
    if !view_muts.is_empty() {
        ctx.coordinator.mutate(&view_muts, cl, repl)?;
    }
    Ok(())
}

fn read_all(
    engine: &Arc<storage::Engine>,
    reads: &[ReadCommand],
) -> Result<Vec<Option<storage::Partition>>, RequestError> {
    let out = blocking(|| {
        reads
            .iter()
            .map(|r| engine.read(r))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(out)
}

/// The base rows a mutation can change: the rows it names, or the whole partition
/// when it deletes ranges or the partition (or the table has no clustering).
fn affected_rows(base: &TableDef, m: &Mutation, now: i32) -> ReadCommand {
    let mut cmd = ReadCommand::whole(m.table, m.token, m.key.clone(), now);
    if base.clustering.is_empty()
        || m.partition_deletion.is_some()
        || !m.range_tombstones.is_empty()
    {
        return cmd;
    }
    let mut keys: Vec<&bytes::Bytes> = m.rows.iter().map(|r| &r.clustering).collect();
    keys.sort();
    keys.dedup();
    cmd.slices = keys
        .into_iter()
        .map(|c| {
            (
                ClusteringBound::Inclusive(c.clone()),
                ClusteringBound::Inclusive(c.clone()),
            )
        })
        .collect();
    if cmd.slices.is_empty() {
        // Only the static row changes: views never hold static columns. An empty
        // slice list means "everything" to storage, so read one impossible slice.
        cmd.row_limit = Some(0);
    }
    cmd
}

/// Views are written only through their base table.
pub fn check_not_view(t: &super::TableRef) -> Result<(), RequestError> {
    if t.def.view.is_some() {
        return Err(RequestError::invalid(
            "Cannot directly modify a materialized view",
        ));
    }
    Ok(())
}

/// `table` and the storage ids of its views and index tables (what TRUNCATE empties).
pub fn with_views(schema: &Schema, table: storage::TableId) -> Vec<storage::TableId> {
    std::iter::once(table)
        .chain(
            views_of(schema, table)
                .iter()
                .map(|v| storage::TableId(v.id)),
        )
        .chain(super::index::tables_of(schema, table))
        .collect()
}

/// Lightweight transactions commit through Paxos, which does not maintain views yet:
/// refuse them on base tables with views rather than let the views go stale.
pub fn check_no_views_for_lwt(ctx: &ExecContext, t: &super::TableRef) -> Result<(), RequestError> {
    if views_of(&ctx.schema.snapshot(), t.id).is_empty() {
        return Ok(());
    }
    Err(RequestError::invalid(format!(
        "Conditional updates (IF) on table {}.{}, which has materialized views, are not supported by Helenus yet",
        t.def.keyspace, t.def.name
    )))
}
