//! QUERY, PREPARE and EXECUTE: parse (or look up), compile, bind, run; and the
//! statements that are not DML: USE, DDL (delegated to `schema`), TRUNCATE, DESCRIBE,
//! and clear errors for what Helenus does not support.

use std::sync::Arc;

use bytes::Bytes;
use cql::parser::ast::Statement;
use cql::request::{Execute, Prepare, Query, QueryParameters};
use cql::response::{ColumnSpec, Event, ResultBody, Rows, RowsMetadata};
use cql::wire::Consistency;

use super::cache::statement_id;
use super::prepared::{self, Plan, Prepared};
use super::select::ReadOpts;
use super::term::{EvalCtx, Val};
use super::{ExecContext, Outcome};
use crate::coordinator::blocking;
use crate::error::RequestError;
use crate::query::ClientState;

/// QUERY: parse, compile and run a statement text.
pub async fn run_query(
    ctx: &ExecContext,
    st: &mut ClientState,
    mut q: Query,
) -> Result<Outcome, RequestError> {
    let stmt = cql::parser::parse_statement(&q.query)?;
    let keyspace = q.params.keyspace.clone().or_else(|| st.keyspace.clone());
    let schema = ctx.schema.snapshot();
    let (plan, markers, _) = prepared::compile(ctx, &schema, &stmt, keyspace.as_deref())?;
    let specs = prepared::marker_specs(&markers);
    let values = prepared::bind(std::mem::take(&mut q.params.values), &specs)?;
    let hash = query_hash(&statement_id(keyspace.as_deref(), &q.query));
    run_plan(
        ctx,
        st,
        &stmt,
        &plan,
        &values,
        &q.params,
        hash,
        keyspace.as_deref(),
        None,
    )
    .await
}

/// PREPARE: compile once and cache.
pub fn prepare(
    ctx: &ExecContext,
    st: &mut ClientState,
    p: Prepare,
) -> Result<ResultBody, RequestError> {
    let keyspace = p.keyspace.clone().or_else(|| st.keyspace.clone());
    let prepared = prepare_text(ctx, &p.query, keyspace.as_deref())?;
    Ok(ResultBody::Prepared(prepared.to_result()))
}

/// Compiles and caches a statement text (also used by BATCH for text statements).
pub fn prepare_text(
    ctx: &ExecContext,
    text: &str,
    keyspace: Option<&str>,
) -> Result<Arc<Prepared>, RequestError> {
    let id = statement_id(keyspace, text);
    let version = ctx.schema.version();
    if let Some(p) = ctx.prepared.get(&id) {
        if p.schema_version == version {
            return Ok(p);
        }
    }
    let stmt = cql::parser::parse_statement(text)?;
    let p = Arc::new(build(ctx, id, text, stmt, keyspace)?);
    ctx.prepared.insert(id, p.clone());
    Ok(p)
}

fn build(
    ctx: &ExecContext,
    id: [u8; 16],
    text: &str,
    stmt: Statement,
    keyspace: Option<&str>,
) -> Result<Prepared, RequestError> {
    let version = ctx.schema.version();
    let schema = ctx.schema.snapshot();
    let (plan, markers, table) = prepared::compile(ctx, &schema, &stmt, keyspace)?;
    let result_columns = match &plan {
        Plan::Select(s) => s.result_columns.clone(),
        Plan::Virtual(v) => v.columns.clone(),
        _ => Vec::new(),
    };
    Ok(Prepared {
        id,
        keyspace: keyspace.map(str::to_string),
        text: text.to_string(),
        result_metadata_id: prepared::result_metadata_id(&result_columns),
        stmt,
        plan: Arc::new(plan),
        schema_version: version,
        markers: prepared::marker_specs(&markers),
        result_columns,
        table,
    })
}

/// The prepared statement with `id`, recompiled if the schema changed since PREPARE.
pub fn lookup(ctx: &ExecContext, id: &Bytes) -> Result<Arc<Prepared>, RequestError> {
    let p = ctx
        .prepared
        .get(id)
        .ok_or_else(|| RequestError::Unprepared(id.clone()))?;
    if p.schema_version == ctx.schema.version() {
        return Ok(p);
    }
    let fresh = Arc::new(build(
        ctx,
        p.id,
        &p.text,
        p.stmt.clone(),
        p.keyspace.as_deref(),
    )?);
    ctx.prepared.insert(p.id, fresh.clone());
    Ok(fresh)
}

/// EXECUTE a prepared statement: no parsing, no resolution on this path.
pub async fn execute(
    ctx: &ExecContext,
    st: &mut ClientState,
    mut e: Execute,
) -> Result<Outcome, RequestError> {
    let p = lookup(ctx, &e.id)?;
    let values = prepared::bind(std::mem::take(&mut e.params.values), &p.markers)?;
    let keyspace = p.keyspace.clone();
    let mut out = run_plan(
        ctx,
        st,
        &p.stmt,
        &p.plan,
        &values,
        &e.params,
        query_hash(&p.id),
        keyspace.as_deref(),
        Some(&p),
    )
    .await?;
    // v5: tell the client its cached result metadata is stale.
    if let (ResultBody::Rows(rows), Some(sent)) = (&mut out.result, &e.result_metadata_id) {
        if *sent != p.result_metadata_id {
            rows.metadata.new_metadata_id = Some(p.result_metadata_id.clone());
            if rows.metadata.no_metadata {
                rows.metadata = RowsMetadata {
                    paging_state: rows.metadata.paging_state.take(),
                    new_metadata_id: Some(p.result_metadata_id.clone()),
                    ..RowsMetadata::new(p.result_columns.clone())
                };
            }
        }
    }
    Ok(out)
}

pub fn query_hash(id: &[u8; 16]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&id[..8]);
    u64::from_be_bytes(a)
}

#[allow(clippy::too_many_arguments)]
async fn run_plan(
    ctx: &ExecContext,
    st: &mut ClientState,
    stmt: &Statement,
    plan: &Plan,
    values: &[Val],
    params: &QueryParameters,
    hash: u64,
    keyspace: Option<&str>,
    prepared: Option<&Prepared>,
) -> Result<Outcome, RequestError> {
    let ectx = EvalCtx { values };
    match plan {
        Plan::Select(p) => {
            if matches!(
                params.consistency,
                Consistency::Serial | Consistency::LocalSerial
            ) {
                super::lwt::serial_read(ctx, p, &ectx, params.consistency)?;
            } else {
                ctx.coordinator
                    .check_consistency(params.consistency, &p.table.repl, false)?;
            }
            let opts = read_opts(params, hash);
            let page = p.execute(ctx, &ectx, &opts)?;
            Ok(Outcome::result(rows(
                &p.result_columns,
                page.rows,
                page.paging_state,
                params.skip_metadata && prepared.is_some(),
            )))
        }
        Plan::Virtual(v) => {
            let opts = read_opts(params, hash);
            let schema = ctx.schema.snapshot();
            let page = v.execute(&schema, &ctx.identity, &ectx, &opts)?;
            Ok(Outcome::result(rows(
                &v.columns,
                page.rows,
                page.paging_state,
                params.skip_metadata && prepared.is_some(),
            )))
        }
        Plan::Modify(m) => {
            let ts = params.timestamp.unwrap_or_else(|| ctx.clock.next_micros());
            if let Some(conds) = &m.conditions {
                super::view::check_no_views_for_lwt(ctx, &m.table)?;
                let r = super::lwt::run(
                    ctx,
                    m,
                    conds,
                    &ectx,
                    params.consistency,
                    params.serial_consistency,
                )?;
                return Ok(Outcome::result(r));
            }
            if m.table.def.is_counter && params.consistency == cql::wire::Consistency::Any {
                return Err(RequestError::invalid(format!(
                    "Consistency level ANY is not yet supported for counter table {}",
                    m.table.def.name
                )));
            }
            let mut attrs = m.attrs_at(&ectx, ts, params.now_in_seconds)?;
            m.load_prior(&ctx.engine, &ectx, &mut attrs)?;
            let mut muts = Vec::with_capacity(1);
            m.mutations(&ectx, &attrs, &ctx.clock, &mut muts)?;
            super::view::mutate(ctx, &muts, params.consistency, &m.table.repl)?;
            Ok(Outcome::result(ResultBody::Void))
        }
        Plan::Batch(b) => {
            let ts = params.timestamp.unwrap_or_else(|| ctx.clock.next_micros());
            let items: Vec<(&super::modify::ModifyPlan, EvalCtx<'_>)> = b
                .statements
                .iter()
                .map(|s| (s, EvalCtx { values }))
                .collect();
            let r = super::batch::apply(
                ctx,
                b.kind,
                &items,
                b.timestamp.as_ref(),
                ts,
                params.consistency,
                params.serial_consistency,
            )?;
            Ok(Outcome::result(r))
        }
        Plan::Other => run_other(ctx, st, stmt, keyspace).await,
    }
}

fn read_opts(params: &QueryParameters, hash: u64) -> ReadOpts<'_> {
    ReadOpts {
        page_size: params.page_size.filter(|n| *n > 0).map(|n| n as usize),
        paging_state: params.paging_state.as_deref(),
        query_hash: hash,
        now: params
            .now_in_seconds
            .unwrap_or_else(|| super::clock::now_seconds() as i32),
    }
}

/// A Rows result.
pub fn rows(
    columns: &[ColumnSpec],
    rows: Vec<Vec<Option<Bytes>>>,
    paging_state: Option<Bytes>,
    skip_metadata: bool,
) -> ResultBody {
    let mut metadata = if skip_metadata {
        RowsMetadata::without_columns(columns.len())
    } else {
        RowsMetadata::new(columns.to_vec())
    };
    metadata.paging_state = paging_state;
    ResultBody::Rows(Rows { metadata, rows })
}

/// A whole virtual table (DESCRIBE output) as a Rows result.
fn virtual_table_rows(vt: &crate::system::VirtualTable) -> ResultBody {
    let cols: Vec<ColumnSpec> = vt
        .columns
        .iter()
        .map(|c| ColumnSpec {
            keyspace: vt.keyspace.clone(),
            table: vt.table.clone(),
            name: c.name.clone(),
            typ: c.typ.clone(),
        })
        .collect();
    let data = vt
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(vt.columns.iter())
                .map(|(v, c)| v.as_ref().map(|v| super::values::serialize(v, &c.typ)))
                .collect()
        })
        .collect();
    rows(&cols, data, None, false)
}

/// Statements without a compiled plan.
async fn run_other(
    ctx: &ExecContext,
    st: &mut ClientState,
    stmt: &Statement,
    keyspace: Option<&str>,
) -> Result<Outcome, RequestError> {
    match stmt {
        Statement::Use(ks) => {
            let schema = ctx.schema.snapshot();
            if schema.keyspace(ks).is_none() {
                return Err(RequestError::invalid(format!("Keyspace '{ks}' does not exist")));
            }
            st.keyspace = Some(ks.clone());
            Ok(Outcome::result(ResultBody::SetKeyspace(ks.clone())))
        }
        Statement::Truncate(name) => {
            let schema = ctx.schema.snapshot();
            let t = super::resolve_table(ctx, &schema, name, keyspace)?;
            if t.def.view.is_some() {
                return Err(RequestError::invalid("Cannot TRUNCATE materialized view directly; must truncate base table instead"));
            }
            let engine = ctx.engine.clone();
            // A base table's views are emptied with it (Cassandra truncates them too).
            let ids = super::view::with_views(&schema, t.id);
            blocking(|| ids.iter().try_for_each(|id| engine.truncate(*id))).map_err(|e| RequestError::Truncate(format!("Error during truncate: {e}")))?;
            super::index::after_truncate(&engine, &schema, t.id);
            Ok(Outcome::result(ResultBody::Void))
        }
        Statement::Describe(d) => {
            let schema = ctx.schema.snapshot();
            let vt = crate::system::describe(d, &schema, keyspace, &ctx.identity)?;
            Ok(Outcome::result(virtual_table_rows(&vt)))
        }
        Statement::CreateFunction(_) | Statement::CreateAggregate(_) => Err(RequestError::invalid(
            "User-defined functions are disabled: Helenus does not run user code (see docs/FUNCTIONS.md)",
        )),
        Statement::DropFunction(_) | Statement::DropAggregate(_) => Err(RequestError::invalid(
            "User-defined functions are disabled: Helenus does not run user code (see docs/FUNCTIONS.md)",
        )),
        Statement::CreateTrigger(_) | Statement::DropTrigger(_) => Err(RequestError::invalid(
            "Triggers are not supported: Helenus does not run user code (see docs/FUNCTIONS.md)",
        )),
        Statement::CreateRole(_)
        | Statement::AlterRole(_)
        | Statement::DropRole(_)
        | Statement::CreateUser(_)
        | Statement::AlterUser(_)
        | Statement::DropUser(_)
        | Statement::GrantRole(_)
        | Statement::RevokeRole(_)
        | Statement::GrantPermission(_)
        | Statement::RevokePermission(_)
        | Statement::ListRoles(_)
        | Statement::ListUsers
        | Statement::ListPermissions(_)
        | Statement::AddIdentity(_)
        | Statement::DropIdentity(_) => Err(RequestError::invalid(
            "Roles, users and permissions are not supported by Helenus yet (authentication and authorization are disabled)",
        )),
        // Everything else is DDL.
        _ => {
            if let Statement::CreateMaterializedView(v) = stmt {
                super::view::check_create(ctx, keyspace, v)?;
            }
            let engine = ctx.engine.clone();
            let change = blocking(|| ctx.schema.execute_ddl(stmt, keyspace, &engine))?;
            if let (Statement::CreateMaterializedView(v), Some(_)) = (stmt, &change) {
                let ks = super::keyspace_of(&v.name, keyspace)?;
                blocking(|| super::view::build(ctx, ks, &v.name.name))?;
            }
            if let (Statement::CreateIndex(ci), Some(_)) = (stmt, &change) {
                super::index::after_create(ctx, &ci.table, keyspace);
            }
            Ok(match change {
                Some(c) => Outcome {
                    event: Some(Event::SchemaChange(c.clone())),
                    result: ResultBody::SchemaChange(c),
                },
                None => Outcome::result(ResultBody::Void),
            })
        }
    }
}
