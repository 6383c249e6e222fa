//! Schema statements: keyspaces, tables, types, indexes, materialized views,
//! functions, aggregates, triggers, and DESCRIBE. See ddl.adoc, indexes.adoc, mvs.adoc,
//! functions.adoc.

use super::{Literal, Options, Order, QualifiedName, RawType, Relation, Selection, Term};

/// `CREATE KEYSPACE [IF NOT EXISTS] ks WITH replication = {...} AND durable_writes = b`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateKeyspace {
    pub if_not_exists: bool,
    pub name: String,
    pub options: Options,
}

/// `ALTER KEYSPACE [IF EXISTS] ks WITH ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterKeyspace {
    pub if_exists: bool,
    pub name: String,
    pub options: Options,
}

/// `DROP KEYSPACE [IF EXISTS] ks`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropKeyspace {
    pub if_exists: bool,
    pub name: String,
}

/// `MASKED WITH DEFAULT` / `MASKED WITH f(args)` (Cassandra 5.0 dynamic data masking).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnMask {
    Default,
    Function {
        name: QualifiedName,
        args: Vec<Term>,
    },
}

/// One column of CREATE TABLE or ALTER TABLE ADD.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub typ: RawType,
    pub is_static: bool,
    /// `col type PRIMARY KEY` written inline.
    pub is_primary_key: bool,
    pub mask: Option<ColumnMask>,
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub columns: Vec<ColumnDef>,
    /// Partition key columns, from `PRIMARY KEY ((a, b), c)` or from an inline
    /// `a int PRIMARY KEY` (then it is `[a]`). Empty when no primary key was given; the
    /// server rejects that, and a table with both forms (`primary_key_count > 1`).
    pub partition_key: Vec<String>,
    pub clustering_key: Vec<String>,
    /// How many PRIMARY KEY declarations were written (inline and clause); exactly one
    /// is valid.
    pub primary_key_count: usize,
    /// `WITH CLUSTERING ORDER BY (c DESC, ...)`.
    pub clustering_order: Vec<(String, Order)>,
    /// `WITH COMPACT STORAGE` (Cassandra 4 refuses it; so should the server).
    pub compact_storage: bool,
    /// Other `WITH` properties.
    pub options: Options,
}

/// What ALTER TABLE does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    /// `ADD [IF NOT EXISTS] col type [, col type]` (also `ADD (col type, ...)`).
    Add {
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
    },
    /// `DROP [IF EXISTS] col [, col]` / `DROP (c1, c2)` `[USING TIMESTAMP n]`.
    Drop {
        if_exists: bool,
        columns: Vec<String>,
        timestamp: Option<Literal>,
    },
    /// `RENAME [IF EXISTS] a TO b AND c TO d`.
    Rename {
        if_exists: bool,
        renames: Vec<(String, String)>,
    },
    /// `WITH prop = value AND ...`.
    With(Options),
    /// `ALTER col TYPE t`: parsed so the server can refuse it with Cassandra's message
    /// ("Altering column types is no longer supported").
    AlterColumnType { column: String, typ: RawType },
    /// `ALTER [IF EXISTS] col MASKED WITH ...`.
    Mask {
        if_exists: bool,
        column: String,
        mask: ColumnMask,
    },
    /// `ALTER [IF EXISTS] col DROP MASKED`.
    DropMask { if_exists: bool, column: String },
}

/// `ALTER TABLE [IF EXISTS] name action`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    pub if_exists: bool,
    pub name: QualifiedName,
    pub action: AlterTableAction,
}

/// `DROP TABLE [IF EXISTS] name`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropTable {
    pub if_exists: bool,
    pub name: QualifiedName,
}

/// `CREATE TYPE [IF NOT EXISTS] name (f type, ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateType {
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub fields: Vec<(String, RawType)>,
}

/// What ALTER TYPE does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTypeAction {
    /// `ADD [IF NOT EXISTS] f type`.
    Add {
        if_not_exists: bool,
        field: String,
        typ: RawType,
    },
    /// `RENAME [IF EXISTS] a TO b AND ...`.
    Rename {
        if_exists: bool,
        renames: Vec<(String, String)>,
    },
    /// `ALTER f TYPE t`: parsed so the server can refuse it.
    AlterFieldType { field: String, typ: RawType },
}

/// `ALTER TYPE [IF EXISTS] name action`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterType {
    pub if_exists: bool,
    pub name: QualifiedName,
    pub action: AlterTypeAction,
}

/// `DROP TYPE [IF EXISTS] name`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropType {
    pub if_exists: bool,
    pub name: QualifiedName,
}

/// What an index covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexTargetKind {
    /// `(col)`: the column's value (for a non-frozen collection: its values).
    Simple,
    /// `KEYS(col)`
    Keys,
    /// `VALUES(col)`
    Values,
    /// `ENTRIES(col)`
    Entries,
    /// `FULL(col)` (a frozen collection as a whole)
    Full,
}

/// One index target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexTarget {
    pub column: String,
    pub kind: IndexTargetKind,
}

/// `CREATE [CUSTOM] INDEX [IF NOT EXISTS] [name] ON t (target) [USING 'class'] [WITH OPTIONS = {...}]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    pub custom: bool,
    pub if_not_exists: bool,
    /// The index name (no keyspace: an index lives in its table's keyspace).
    pub name: Option<String>,
    pub table: QualifiedName,
    pub targets: Vec<IndexTarget>,
    /// `USING 'class'` (e.g. `'sai'`, `'StorageAttachedIndex'`, a Java class).
    pub using: Option<String>,
    /// `WITH OPTIONS = {...}` and any other properties.
    pub options: Options,
}

/// `DROP INDEX [IF EXISTS] [ks.]name`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropIndex {
    pub if_exists: bool,
    pub name: QualifiedName,
}

/// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] name AS SELECT ... FROM base WHERE ...
/// PRIMARY KEY (...) [WITH ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateMaterializedView {
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub selection: Selection,
    pub base_table: QualifiedName,
    pub where_clause: Vec<Relation>,
    pub partition_key: Vec<String>,
    pub clustering_key: Vec<String>,
    pub clustering_order: Vec<(String, Order)>,
    pub options: Options,
}

/// `ALTER MATERIALIZED VIEW [IF EXISTS] name WITH ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterMaterializedView {
    pub if_exists: bool,
    pub name: QualifiedName,
    pub options: Options,
}

/// `DROP MATERIALIZED VIEW [IF EXISTS] name`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropMaterializedView {
    pub if_exists: bool,
    pub name: QualifiedName,
}

/// `CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS] name (arg type, ...)
/// (CALLED | RETURNS NULL) ON NULL INPUT RETURNS type LANGUAGE lang AS 'body'`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub args: Vec<(String, RawType)>,
    /// `CALLED ON NULL INPUT` (true) or `RETURNS NULL ON NULL INPUT` (false).
    pub called_on_null_input: bool,
    pub return_type: RawType,
    /// Case-folded language name (`java`, `javascript`).
    pub language: String,
    pub body: String,
}

/// `DROP FUNCTION [IF EXISTS] name [(types)]` (also used for DROP AGGREGATE).
#[derive(Debug, Clone, PartialEq)]
pub struct DropFunction {
    pub if_exists: bool,
    pub name: QualifiedName,
    /// The signature when given (`f(int, text)`), to pick one overload.
    pub arg_types: Option<Vec<RawType>>,
}

/// `DROP AGGREGATE`: same shape as DROP FUNCTION.
pub type DropAggregate = DropFunction;

/// `CREATE [OR REPLACE] AGGREGATE [IF NOT EXISTS] name (types) SFUNC f STYPE t
/// [FINALFUNC f] [INITCOND term]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAggregate {
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub name: QualifiedName,
    pub arg_types: Vec<RawType>,
    pub sfunc: String,
    pub stype: RawType,
    pub finalfunc: Option<String>,
    pub initcond: Option<Term>,
}

/// `CREATE TRIGGER [IF NOT EXISTS] name ON table USING 'class'`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTrigger {
    pub if_not_exists: bool,
    pub name: String,
    pub table: QualifiedName,
    pub class: String,
}

/// `DROP TRIGGER [IF EXISTS] name ON table`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropTrigger {
    pub if_exists: bool,
    pub name: String,
    pub table: QualifiedName,
}

/// What DESCRIBE shows.
#[derive(Debug, Clone, PartialEq)]
pub enum DescribeTarget {
    Cluster,
    Keyspaces,
    /// `DESCRIBE KEYSPACE [ks]` (None: the current keyspace).
    Keyspace(Option<String>),
    Tables,
    Table(QualifiedName),
    Types,
    Type(QualifiedName),
    Functions,
    Function(QualifiedName),
    Aggregates,
    Aggregate(QualifiedName),
    Index(QualifiedName),
    MaterializedView(QualifiedName),
    /// `DESCRIBE [FULL] SCHEMA`.
    Schema {
        full: bool,
    },
    /// `DESCRIBE name`: a keyspace, table, view, index, type, function or aggregate.
    Name(QualifiedName),
}

/// `DESCRIBE|DESC [ONLY] target [WITH INTERNALS]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    pub target: DescribeTarget,
    /// `DESCRIBE ONLY KEYSPACE ks`: the keyspace without its contents.
    pub only: bool,
    pub with_internals: bool,
}
