//! Building a new view from the rows its base table already holds.

use storage::{ScanBound, TableId};

use crate::coordinator::blocking;
use crate::error::RequestError;
use crate::exec::ExecContext;
use crate::schema::TableDef;

/// Writes the view rows of every existing base row. Runs under the view write lock, so
/// writes to the base wait until the view is complete (a query never sees a half-built
/// view; Cassandra builds in the background instead).
pub fn build(ctx: &ExecContext, keyspace: &str, view_name: &str) -> Result<(), RequestError> {
    let schema = ctx.schema.snapshot();
    let Some(ks) = schema.keyspace(keyspace) else {
        return Ok(());
    };
    let Some(view) = ks.views.get(view_name) else {
        return Ok(());
    };
    let Some(base): Option<&TableDef> = view
        .view
        .as_ref()
        .and_then(|d| ks.tables.values().find(|t| t.id == d.base_table_id))
    else {
        return Ok(());
    };
    let repl = crate::exec::replication(ks, &ctx.identity.data_center);
    let _serial = super::VIEW_WRITE_LOCK.lock();
    let engine = ctx.engine.clone();
    let mut start = ScanBound::Start;
    loop {
        let now = crate::exec::clock::now_seconds() as i32;
        let cmd = crate::exec::index::build_scan(TableId(base.id), start.clone(), now);
        let parts = blocking(|| engine.scan(&cmd))?;
        let Some(last) = parts.last() else {
            break;
        };
        start = crate::exec::index::scan_after(last);
        let ts = ctx.clock.next_micros();
        let _ = ctx.clock.next_micros();
        let mut out = Vec::new();
        for p in &parts {
            super::rows::view_mutations(base, view, None, Some(p), ts, now, &mut out)?;
        }
        let out = crate::exec::modify::merge_mutations(out);
        if !out.is_empty() {
            ctx.coordinator
                .mutate(&out, cql::wire::Consistency::One, &repl)?;
        }
    }
    Ok(())
}
