//! The schema of the node: keyspaces, tables, types, indexes and views, their
//! persistence, and DDL.
//!
//! [`SchemaManager`] owns the current [`Schema`] as an `Arc` that readers clone
//! ([`SchemaManager::snapshot`]) and DDL replaces whole, so readers never block and
//! never see a half-applied change. DDL is serialised by a mutex: validate on a copy,
//! change storage, persist (atomic file replace), then publish.
//!
//! Layout: `model` (the data), `params` (table options), `types` (type resolution
//! and names), `ddl` (statements and their execution), `persist` (the on-disk
//! document), `system_keyspaces` (the built-in keyspaces and their table
//! definitions), `translate` (parser AST to [`ddl::DdlStatement`]).

pub mod ddl;
mod error;
pub mod model;
pub mod params;
pub mod persist;
pub mod storage_glue;
pub mod system_keyspaces;
pub mod translate;
pub mod types;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use uuid::Uuid;

pub use ddl::{
    DdlStatement, NoStorage, SchemaChange, SchemaChangeTarget, SchemaChangeType, StorageOp,
    TableStore,
};
pub use error::SchemaError;
pub use model::{
    ColumnDef, ColumnId, ColumnKind, DroppedColumn, IndexDef, IndexKind, KeyspaceDef, Order,
    Replication, Schema, TableDef, UdtDef, UdtField, ViewDef,
};
pub use params::TableParams;
pub use translate::{is_ddl, resolve_ast_type};
pub use types::{resolve_type, RawType};

/// Something derived from one schema version that every write consults (the indexes
/// of each table, the tables that have views): built once per version instead of
/// walking the schema per statement. Holds the last version asked for.
pub struct PerVersion<T>(Mutex<Option<(Uuid, Arc<T>)>>);

impl<T> Default for PerVersion<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PerVersion<T> {
    pub const fn new() -> Self {
        PerVersion(Mutex::new(None))
    }

    /// The value for `schema`'s version, derived now if another version is cached.
    pub fn get(&self, schema: &Schema, derive: impl FnOnce(&Schema) -> T) -> Arc<T> {
        let mut cached = self.0.lock();
        match cached.as_ref() {
            Some((version, value)) if *version == schema.version => value.clone(),
            _ => {
                let value = Arc::new(derive(schema));
                *cached = Some((schema.version, value.clone()));
                value
            }
        }
    }
}

/// Owns the node's schema. Cheap to share behind an `Arc`.
pub struct SchemaManager {
    dir: PathBuf,
    current: RwLock<Arc<Schema>>,
    /// Serialises DDL; readers never take it.
    ddl: Mutex<()>,
    datacenters: RwLock<Vec<String>>,
    materialized_views_enabled: std::sync::atomic::AtomicBool,
}

impl SchemaManager {
    /// Loads the schema persisted under `data_dir/schema/`, or starts a fresh one with
    /// only the system keyspaces (and persists it, so the version is stable).
    pub fn open(data_dir: &Path) -> Result<SchemaManager, SchemaError> {
        let dir = data_dir.join("schema");
        let (version, mut keyspaces) = match persist::load(&dir)? {
            Some(found) => found,
            None => {
                let version = Uuid::new_v4();
                let empty = Default::default();
                persist::save(&dir, version, &empty)?;
                tracing::info!(dir = %dir.display(), "created a new schema");
                (version, empty)
            }
        };
        // System keyspaces come from code; only the replication settings of the
        // replicated ones (system_auth, system_distributed, system_traces), which users
        // may ALTER, come from the file.
        let mut persisted_system = std::collections::BTreeMap::new();
        for (name, ks) in std::mem::take(&mut keyspaces) {
            if !ddl::is_system_name(&name) {
                keyspaces.insert(name, ks);
            } else if ddl::is_replicated_system(&name) {
                persisted_system.insert(name, (ks.replication, ks.durable_writes));
            }
        }
        for mut ks in system_keyspaces::all() {
            if let Some((r, d)) = persisted_system.remove(&ks.name) {
                ks.replication = r;
                ks.durable_writes = d;
            }
            keyspaces.insert(ks.name.clone(), ks);
        }
        Ok(SchemaManager {
            dir,
            current: RwLock::new(Arc::new(Schema { keyspaces, version })),
            ddl: Mutex::new(()),
            // Until told otherwise, the default DC of Cassandra's SimpleSnitch (and of
            // the node's config), so that 'replication_factor' never stays literal.
            datacenters: RwLock::new(vec!["datacenter1".to_string()]),
            materialized_views_enabled: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The current schema; never blocks on DDL.
    pub fn snapshot(&self) -> Arc<Schema> {
        self.current.read().clone()
    }

    /// The current schema version (`system.local.schema_version`).
    pub fn version(&self) -> Uuid {
        self.current.read().version
    }

    /// The data centres `'replication_factor'` expands to in NetworkTopologyStrategy
    /// (the local one, for a single node). Default `["datacenter1"]`; the node should
    /// call this with its own data centre at start.
    pub fn set_datacenters(&self, dcs: Vec<String>) {
        *self.datacenters.write() = dcs;
    }

    /// `materialized_views_enabled` from the node's config (off by default, as in
    /// Cassandra 5.0).
    pub fn set_materialized_views_enabled(&self, on: bool) {
        self.materialized_views_enabled
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn materialized_views_enabled(&self) -> bool {
        self.materialized_views_enabled
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every user table and view, for opening the storage engine.
    pub fn user_tables(&self) -> Vec<TableDef> {
        self.snapshot()
            .keyspaces
            .values()
            .filter(|k| !k.system)
            .flat_map(|k| k.tables.values().chain(k.views.values()).cloned())
            .collect()
    }

    /// Runs a parsed schema statement (see [`is_ddl`]) against the schema and the
    /// storage engine; the `SCHEMA_CHANGE` to return and broadcast, or `None` when
    /// nothing changed.
    pub fn execute_ddl(
        &self,
        stmt: &cql::parser::ast::Statement,
        current_keyspace: Option<&str>,
        engine: &storage::Engine,
    ) -> Result<Option<SchemaChange>, SchemaError> {
        self.apply_ddl(&translate::to_ddl(stmt)?, current_keyspace, engine)
    }

    /// Every user table and view with its storage options, for `storage::Engine::open`.
    pub fn storage_tables(&self) -> Vec<(storage::TableId, storage::TableOptions)> {
        let tables = self.user_tables();
        // Secondary indexes' hidden tables are stores of their own (docs/INDEXES.md).
        let hidden: Vec<TableDef> = tables
            .iter()
            .flat_map(|t| t.indexes.iter().filter_map(|i| i.storage_table(t)))
            .collect();
        tables
            .iter()
            .chain(&hidden)
            .map(|t| {
                // Options were validated by the DDL that set them; a schema written by a
                // newer version may still name something this one cannot run.
                let opts = storage_glue::table_options(t).unwrap_or_else(|e| {
                    tracing::warn!(table = %t.name, error = %e, "using default storage options");
                    storage::TableOptions::default()
                });
                (storage_glue::table_id(t), opts)
            })
            .collect()
    }

    /// Runs a DDL statement: validates it against the current schema, changes storage,
    /// persists the new schema with a new version and publishes it. `Ok(None)` when
    /// the statement changed nothing (`IF [NOT] EXISTS`).
    pub fn apply_ddl(
        &self,
        stmt: &DdlStatement,
        current_keyspace: Option<&str>,
        store: &dyn TableStore,
    ) -> Result<Option<SchemaChange>, SchemaError> {
        let _guard = self.ddl.lock();
        let mut next = (*self.snapshot()).clone();
        let mut ctx = ddl::Ctx {
            schema: &mut next,
            current_keyspace,
            now_micros: now_micros(),
            datacenters: self.datacenters.read().clone(),
            materialized_views_enabled: self
                .materialized_views_enabled
                .load(std::sync::atomic::Ordering::Relaxed),
            ops: Vec::new(),
        };
        let Some(change) = ddl::apply(&mut ctx, stmt)? else {
            return Ok(None);
        };
        let ops = std::mem::take(&mut ctx.ops);
        // Create and alter before the schema names the table, drop after it no
        // longer does: a crash in between leaves an orphan store, never a table
        // without one.
        for op in &ops {
            match op {
                StorageOp::Create(t) => store.create_table(t)?,
                StorageOp::Alter(t) => store.alter_table(t)?,
                StorageOp::Drop(_) => {}
            }
        }
        next.version = Uuid::new_v4();
        let user: std::collections::BTreeMap<_, _> = next
            .keyspaces
            .iter()
            .filter(|(n, k)| !k.system || ddl::is_replicated_system(n))
            .map(|(n, k)| (n.clone(), k.clone()))
            .collect();
        persist::save(&self.dir, next.version, &user)?;
        *self.current.write() = Arc::new(next);
        for op in &ops {
            if let StorageOp::Drop(t) = op {
                if let Err(e) = store.drop_table(t) {
                    tracing::warn!(table = %t.name, error = %e, "dropping the table's storage failed");
                }
            }
        }
        tracing::info!(?change, "schema changed");
        Ok(Some(change))
    }
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
