//! DDL: the statements that change the schema, in a parser-independent form
//! ([`DdlStatement`]), and their execution against a copy of the schema.
//!
//! Each statement is validated and applied to a clone of the current [`Schema`];
//! the storage changes it implies are collected as [`StorageOp`]s and run by
//! `SchemaManager` before the new schema is persisted and published. Error messages
//! are Cassandra's.

mod alter;
mod index;
mod keyspace;
mod table;
mod udt;

use super::error::SchemaError;
use super::model::{Order, Schema, TableDef};
use super::params::Property;
use super::types::RawType;

/// `[keyspace.]name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub keyspace: Option<String>,
    pub name: String,
}

impl QualifiedName {
    pub fn new(keyspace: Option<&str>, name: &str) -> Self {
        QualifiedName {
            keyspace: keyspace.map(str::to_string),
            name: name.to_string(),
        }
    }
}

/// A schema-changing statement.
#[derive(Debug, Clone, PartialEq)]
pub enum DdlStatement {
    CreateKeyspace {
        name: String,
        if_not_exists: bool,
        properties: Vec<Property>,
    },
    AlterKeyspace {
        name: String,
        if_exists: bool,
        properties: Vec<Property>,
    },
    DropKeyspace {
        name: String,
        if_exists: bool,
    },
    CreateTable(CreateTable),
    AlterTable {
        table: QualifiedName,
        if_exists: bool,
        action: AlterTableAction,
    },
    DropTable {
        table: QualifiedName,
        if_exists: bool,
    },
    CreateType {
        name: QualifiedName,
        if_not_exists: bool,
        fields: Vec<(String, RawType)>,
    },
    AlterType {
        name: QualifiedName,
        if_exists: bool,
        action: AlterTypeAction,
    },
    DropType {
        name: QualifiedName,
        if_exists: bool,
    },
    CreateIndex(CreateIndex),
    DropIndex {
        name: QualifiedName,
        if_exists: bool,
    },
    CreateView(CreateView),
    AlterView {
        name: QualifiedName,
        if_exists: bool,
        properties: Vec<Property>,
    },
    DropView {
        name: QualifiedName,
        if_exists: bool,
    },
}

/// One column of CREATE TABLE.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    pub name: String,
    pub typ: RawType,
    pub is_static: bool,
    /// Declared `PRIMARY KEY` inline (`k int PRIMARY KEY`).
    pub primary_key: bool,
}

/// `PRIMARY KEY ((p1, p2), c1, c2)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimaryKeyDecl {
    pub partition: Vec<String>,
    pub clustering: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub table: QualifiedName,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDecl>,
    /// Table-level PRIMARY KEY clauses (exactly one, or none with an inline one).
    pub primary_keys: Vec<PrimaryKeyDecl>,
    pub clustering_order: Vec<(String, Order)>,
    pub compact_storage: bool,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    /// `ADD [IF NOT EXISTS] c type [static], ...`
    Add {
        columns: Vec<(String, RawType, bool)>,
        if_not_exists: bool,
    },
    /// `DROP [IF EXISTS] c, ... [USING TIMESTAMP t]`
    Drop {
        columns: Vec<String>,
        if_exists: bool,
        timestamp: Option<i64>,
    },
    /// `RENAME [IF EXISTS] a TO b AND ...`
    Rename {
        renames: Vec<(String, String)>,
        if_exists: bool,
    },
    /// `WITH ...`
    With(Vec<Property>),
    /// `ALTER c TYPE t`: refused since Cassandra 3.10.
    AlterColumnType { column: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTypeAction {
    AddField {
        name: String,
        typ: RawType,
        if_not_exists: bool,
    },
    Rename {
        renames: Vec<(String, String)>,
        if_exists: bool,
    },
}

/// What an index covers: `c`, `keys(c)`, `values(c)`, `entries(c)`, `full(c)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexTargetKind {
    Simple,
    Keys,
    Values,
    Entries,
    Full,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    pub name: Option<String>,
    pub table: QualifiedName,
    pub if_not_exists: bool,
    pub column: String,
    pub target: IndexTargetKind,
    /// `CREATE CUSTOM INDEX ... USING 'class'`.
    pub custom_class: Option<String>,
    /// `WITH OPTIONS = {...}`.
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub base: QualifiedName,
    /// Selected columns; empty for `SELECT *`.
    pub columns: Vec<String>,
    /// The WHERE clause as CQL text (`v IS NOT NULL AND k IS NOT NULL`).
    pub where_clause: String,
    /// Columns restricted with `IS NOT NULL` (the view's key columns must all be).
    pub not_null_columns: Vec<String>,
    /// Columns restricted otherwise (`c = 1`, `c > 2`...): base primary key columns only.
    pub restricted_columns: Vec<String>,
    /// Whether the WHERE clause has a `token(...)` relation (refused).
    pub token_relation: bool,
    pub partition: Vec<String>,
    pub clustering: Vec<String>,
    pub clustering_order: Vec<(String, Order)>,
    pub properties: Vec<Property>,
}

pub use cql::response::{SchemaChange, SchemaChangeTarget, SchemaChangeType};

fn change_keyspace(change: SchemaChangeType, ks: &str) -> SchemaChange {
    SchemaChange {
        change,
        target: SchemaChangeTarget::Keyspace(ks.to_string()),
    }
}

fn change_table(change: SchemaChangeType, ks: &str, name: &str) -> SchemaChange {
    SchemaChange {
        change,
        target: SchemaChangeTarget::Table {
            keyspace: ks.to_string(),
            name: name.to_string(),
        },
    }
}

fn change_type(change: SchemaChangeType, ks: &str, name: &str) -> SchemaChange {
    SchemaChange {
        change,
        target: SchemaChangeTarget::Type {
            keyspace: ks.to_string(),
            name: name.to_string(),
        },
    }
}

/// A storage-engine change implied by a DDL statement.
#[derive(Debug, Clone)]
pub enum StorageOp {
    Create(TableDef),
    Alter(TableDef),
    Drop(TableDef),
}

/// The storage side of DDL. The trait lives here, with its consumer; the server
/// implements it for the storage engine.
pub trait TableStore {
    fn create_table(&self, table: &TableDef) -> Result<(), SchemaError>;
    fn alter_table(&self, table: &TableDef) -> Result<(), SchemaError>;
    fn drop_table(&self, table: &TableDef) -> Result<(), SchemaError>;
}

/// A store that keeps nothing: for schema-only tests and tools.
pub struct NoStorage;

impl TableStore for NoStorage {
    fn create_table(&self, _: &TableDef) -> Result<(), SchemaError> {
        Ok(())
    }
    fn alter_table(&self, _: &TableDef) -> Result<(), SchemaError> {
        Ok(())
    }
    fn drop_table(&self, _: &TableDef) -> Result<(), SchemaError> {
        Ok(())
    }
}

/// A DDL statement being applied to a copy of the schema.
pub struct Ctx<'a> {
    pub schema: &'a mut Schema,
    pub current_keyspace: Option<&'a str>,
    /// Microseconds since the epoch, for dropped columns.
    pub now_micros: i64,
    /// Data centres that `replication_factor` expands to for NetworkTopologyStrategy.
    pub datacenters: Vec<String>,
    /// Cassandra 5.0 refuses CREATE MATERIALIZED VIEW unless enabled in the config.
    pub materialized_views_enabled: bool,
    pub ops: Vec<StorageOp>,
}

impl Ctx<'_> {
    /// The keyspace a possibly-unqualified name refers to.
    pub fn keyspace_of(&self, q: &QualifiedName) -> Result<String, SchemaError> {
        match (&q.keyspace, self.current_keyspace) {
            (Some(k), _) => Ok(k.clone()),
            (None, Some(k)) => Ok(k.to_string()),
            (None, None) => Err(SchemaError::invalid(
                "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename",
            )),
        }
    }

    /// Refuses changes to system keyspaces.
    pub fn check_writable(&self, ks: &str) -> Result<(), SchemaError> {
        if self.schema.keyspaces.get(ks).is_some_and(|k| k.system) || is_system_name(ks) {
            return Err(SchemaError::Unauthorized(format!(
                "{ks} keyspace is not user-modifiable."
            )));
        }
        Ok(())
    }

    pub fn existing_keyspace(&self, ks: &str) -> Result<&super::model::KeyspaceDef, SchemaError> {
        self.schema
            .keyspaces
            .get(ks)
            .ok_or_else(|| SchemaError::invalid(format!("Keyspace '{ks}' doesn't exist")))
    }
}

/// System keyspaces whose replication users may ALTER (and nothing else).
pub fn is_replicated_system(ks: &str) -> bool {
    matches!(ks, "system_auth" | "system_distributed" | "system_traces")
}

/// Names of the keyspaces Cassandra reserves.
pub fn is_system_name(ks: &str) -> bool {
    matches!(
        ks,
        "system"
            | "system_schema"
            | "system_auth"
            | "system_distributed"
            | "system_traces"
            | "system_virtual_schema"
            | "system_views"
    )
}

/// Applies `stmt` to `ctx.schema`. `Ok(None)` when nothing changed (IF [NOT] EXISTS).
pub fn apply(ctx: &mut Ctx<'_>, stmt: &DdlStatement) -> Result<Option<SchemaChange>, SchemaError> {
    match stmt {
        DdlStatement::CreateKeyspace {
            name,
            if_not_exists,
            properties,
        } => keyspace::create(ctx, name, *if_not_exists, properties),
        DdlStatement::AlterKeyspace {
            name,
            if_exists,
            properties,
        } => keyspace::alter(ctx, name, *if_exists, properties),
        DdlStatement::DropKeyspace { name, if_exists } => keyspace::drop(ctx, name, *if_exists),
        DdlStatement::CreateTable(ct) => table::create(ctx, ct),
        DdlStatement::AlterTable {
            table,
            if_exists,
            action,
        } => alter::alter_table(ctx, table, *if_exists, action),
        DdlStatement::DropTable { table, if_exists } => table::drop(ctx, table, *if_exists),
        DdlStatement::CreateType {
            name,
            if_not_exists,
            fields,
        } => udt::create(ctx, name, *if_not_exists, fields),
        DdlStatement::AlterType {
            name,
            if_exists,
            action,
        } => udt::alter(ctx, name, *if_exists, action),
        DdlStatement::DropType { name, if_exists } => udt::drop(ctx, name, *if_exists),
        DdlStatement::CreateIndex(ci) => index::create_index(ctx, ci),
        DdlStatement::DropIndex { name, if_exists } => index::drop_index(ctx, name, *if_exists),
        DdlStatement::CreateView(cv) => index::create_view(ctx, cv),
        DdlStatement::AlterView {
            name,
            if_exists,
            properties,
        } => index::alter_view(ctx, name, *if_exists, properties),
        DdlStatement::DropView { name, if_exists } => index::drop_view(ctx, name, *if_exists),
    }
}

/// Cassandra's rule for keyspace, table, type and index names.
pub fn validate_name(what: &str, name: &str) -> Result<(), SchemaError> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SchemaError::invalid(format!(
            "{what} name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"{name}\")"
        )))
    }
}

#[cfg(test)]
mod tests;
