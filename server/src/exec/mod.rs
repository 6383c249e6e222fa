//! Statement execution: everything between a parsed statement and the storage engine.
//!
//! - [`term`]: bind markers and constants compiled for execution.
//! - [`restrict`]: WHERE clauses (partition keys, clustering slices, filters).
//! - [`modify`]: INSERT / UPDATE / DELETE into `storage::Mutation`s.
//! - [`select`] and [`selection`]: SELECT over storage tables, selectors, aggregates.
//! - [`virtual_select`]: SELECT over the virtual system tables.
//! - [`batch`]: BATCH. [`prepared`]: PREPARE / EXECUTE and the bind metadata.
//! - [`paging`]: our paging-state blob. [`cache`]: the prepared statement cache.
//! - [`dispatch`]: statements that are not DML (USE, DDL, TRUNCATE, DESCRIBE...).
//! - [`functions`], [`values`], [`clock`]: helpers.
//!
//! Nothing here touches sockets or frames (that is `transport`), nor the schema's
//! persistence (that is `schema`).

pub mod batch;
pub mod cache;
pub mod clock;
pub mod dispatch;
pub mod functions;
pub mod index;
pub mod lwt;
pub mod modify;
pub mod paging;
pub mod prepared;
pub mod restrict;
pub mod select;
pub mod selection;
pub mod term;
pub mod values;
pub mod view;
pub mod virtual_select;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod testutil;

use std::sync::Arc;

use cql::response::{Event, ResultBody};
use cql::types::CqlType;

use crate::coordinator::{Coordinator, Replication};
use crate::error::RequestError;
use crate::query::NodeIdentity;
use crate::schema::{KeyspaceDef, SchemaManager, TableDef};

pub use cache::PreparedCache as Cache;
pub use clock::Clock;
pub use dispatch::{execute, prepare, run_query};

/// The prepared-statement cache type the processor holds.
pub type PreparedCache = cache::PreparedCache<prepared::Prepared>;

/// Everything statement execution needs, owned by the QueryProcessor.
pub struct ExecContext {
    pub identity: Arc<NodeIdentity>,
    pub schema: SchemaManager,
    pub engine: Arc<storage::Engine>,
    pub coordinator: Coordinator,
    pub prepared: PreparedCache,
    pub clock: Clock,
    /// The Paxos participants of lightweight transactions (see [`lwt`]): this node
    /// today; the cluster issue adds remote replicas.
    pub paxos: Vec<Arc<dyn crate::paxos::PaxosReplica>>,
}

/// The result of a statement and the event it causes (DDL).
pub struct Outcome {
    pub result: ResultBody,
    pub event: Option<Event>,
}

impl Outcome {
    pub fn result(result: ResultBody) -> Self {
        Outcome {
            result,
            event: None,
        }
    }
}

/// A table resolved for execution, with what every execution needs precomputed.
#[derive(Debug, Clone)]
pub struct TableRef {
    pub def: Arc<TableDef>,
    pub id: storage::TableId,
    pub repl: Replication,
    /// Clustering column types and whether each is DESC.
    pub ck_types: Vec<(CqlType, bool)>,
    /// (column id, column index), sorted by id.
    col_ids: Vec<(u32, usize)>,
}

impl TableRef {
    pub fn new(def: &TableDef, ks: &KeyspaceDef, local_dc: &str) -> Self {
        let ck_types = def
            .clustering_columns()
            .map(|c| {
                let desc = matches!(
                    c.kind,
                    crate::schema::ColumnKind::Clustering(_, crate::schema::Order::Desc)
                );
                (c.typ.clone(), desc)
            })
            .collect();
        let mut col_ids: Vec<(u32, usize)> = def
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.0, i))
            .collect();
        col_ids.sort_unstable();
        TableRef {
            def: Arc::new(def.clone()),
            id: storage::TableId(def.id),
            repl: replication(ks, local_dc),
            ck_types,
            col_ids,
        }
    }

    /// The index in `def.columns` of the column with storage id `id`.
    pub fn column_index(&self, id: storage::ColumnId) -> Option<usize> {
        self.col_ids
            .binary_search_by_key(&id.0, |(cid, _)| *cid)
            .ok()
            .and_then(|p| self.col_ids.get(p))
            .map(|(_, i)| *i)
    }
}

/// The coordinator's view of a keyspace's replication.
pub fn replication(ks: &KeyspaceDef, local_dc: &str) -> Replication {
    use crate::schema::Replication as R;
    match &ks.replication {
        R::Simple { replication_factor } => {
            Replication::simple(local_dc, replication_factor.trim().parse().unwrap_or(1))
        }
        R::NetworkTopology { data_centers } => Replication {
            per_dc: data_centers
                .iter()
                .map(|(dc, rf)| (dc.clone(), rf.trim().parse().unwrap_or(0)))
                .collect(),
        },
        R::Local | R::Everywhere => Replication::local(local_dc),
    }
}

/// Resolves `[ks.]name` against the current keyspace and the schema snapshot.
pub fn resolve_table(
    ctx: &ExecContext,
    schema: &crate::schema::Schema,
    name: &cql::parser::ast::QualifiedName,
    current: Option<&str>,
) -> Result<TableRef, RequestError> {
    let ks_name = keyspace_of(name, current)?;
    let ks = schema
        .keyspace(ks_name)
        .ok_or_else(|| RequestError::invalid(format!("Keyspace {ks_name} does not exist")))?;
    let def = ks
        .relation(&name.name)
        .ok_or_else(|| RequestError::invalid(format!("unconfigured table {}", name.name)))?;
    Ok(TableRef::new(def, ks, &ctx.identity.data_center))
}

/// The keyspace a possibly unqualified name lives in.
pub fn keyspace_of<'a>(
    name: &'a cql::parser::ast::QualifiedName,
    current: Option<&'a str>,
) -> Result<&'a str, RequestError> {
    name.keyspace.as_deref().or(current).ok_or_else(|| {
        RequestError::invalid(
            "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename",
        )
    })
}
