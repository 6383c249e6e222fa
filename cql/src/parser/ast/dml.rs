//! Data statements: SELECT, INSERT, UPDATE, DELETE, BATCH, and their pieces
//! (selectors, relations, assignments, conditions). See dml.adoc.

use super::{BindMarker, Order, QualifiedName, RawType, Term};

/// `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: QualifiedName,
    pub distinct: bool,
    pub json: bool,
    pub selection: Selection,
    /// Relations joined by AND; empty without WHERE.
    pub where_clause: Vec<Relation>,
    /// Columns, in order (Cassandra also allows a function of the last one, e.g.
    /// `floor(time, 1h)`, stored as a [`Selector`] expression).
    pub group_by: Vec<SelectorExpr>,
    /// `ORDER BY c1 ASC, c2 DESC`; a column without direction is `Asc`.
    pub order_by: Vec<(String, Order)>,
    /// `ORDER BY v ANN OF [..]` (Cassandra 5.0 vector search): column and target.
    pub ann_of: Option<(String, Term)>,
    pub per_partition_limit: Option<Term>,
    pub limit: Option<Term>,
    pub allow_filtering: bool,
}

/// What a SELECT returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// `*`
    Wildcard,
    Selectors(Vec<Selector>),
}

/// One selector with its optional `AS alias` (alias case-folded).
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub expr: SelectorExpr,
    pub alias: Option<String>,
}

/// A selector expression.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectorExpr {
    Column(String),
    /// `WRITETIME(col)`.
    WriteTime(Box<SelectorExpr>),
    /// `MAXWRITETIME(col)` (5.0).
    MaxWriteTime(Box<SelectorExpr>),
    /// `TTL(col)`.
    Ttl(Box<SelectorExpr>),
    /// `COUNT(*)` or `COUNT(1)`: counts rows. `count(col)` is a [`SelectorExpr::FunctionCall`].
    CountAll,
    FunctionCall {
        name: QualifiedName,
        args: Vec<SelectorExpr>,
    },
    /// `CAST(expr AS type)`.
    Cast {
        expr: Box<SelectorExpr>,
        typ: RawType,
    },
    /// A constant, bind marker, collection literal...: `SELECT 1, 'a' FROM ...`.
    Term(Term),
    /// `expr.field` (UDT field).
    Field {
        expr: Box<SelectorExpr>,
        field: String,
    },
    /// `expr[key]` (collection element).
    Element {
        expr: Box<SelectorExpr>,
        key: Term,
    },
    /// `expr[from..to]`, either bound may be absent.
    Slice {
        expr: Box<SelectorExpr>,
        from: Option<Term>,
        to: Option<Term>,
    },
    Arithmetic {
        op: super::ArithmeticOp,
        left: Box<SelectorExpr>,
        right: Box<SelectorExpr>,
    },
    Negation(Box<SelectorExpr>),
    /// `(a, b, ...)`: a tuple of selectors (Cassandra 4.0+).
    Tuple(Vec<SelectorExpr>),
    /// `[a, b, ...]` with at least one non-constant element (a list of constants is
    /// a [`Term::List`]).
    List(Vec<SelectorExpr>),
    /// `(type) expr`.
    TypeHint {
        typ: RawType,
        expr: Box<SelectorExpr>,
    },
}

/// Comparison operators of relations and conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
    /// `!=`
    Neq,
    Contains,
    /// `CONTAINS KEY`
    ContainsKey,
    Like,
    /// `NOT CONTAINS` (5.0, a filter only).
    NotContains,
    /// `NOT CONTAINS KEY` (5.0, a filter only).
    NotContainsKey,
}

/// The right side of an `IN`.
#[derive(Debug, Clone, PartialEq)]
pub enum InValues {
    /// `IN (t1, t2, ...)` (for multi-column IN each item is a tuple or a marker).
    List(Vec<Term>),
    /// `IN ?` / `IN :name`: one marker bound to the whole list.
    Marker(BindMarker),
}

/// One relation of a WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `col op term`.
    Simple {
        column: String,
        op: Operator,
        value: Term,
    },
    /// `col IN (...)` / `col IN ?`.
    In { column: String, values: InValues },
    /// `col NOT IN (...)` / `col NOT IN ?`: a filter (ALLOW FILTERING).
    NotIn { column: String, values: InValues },
    /// `col IS NOT NULL` (materialized views).
    IsNotNull { column: String },
    /// `col[key] op term` (map element relation, used with secondary indexes).
    MapElement {
        column: String,
        key: Term,
        op: Operator,
        value: Term,
    },
    /// `(c1, c2) op (t1, t2)` or `(c1, c2) op ?`: value is a [`Term::Tuple`] or a marker.
    MultiColumn {
        columns: Vec<String>,
        op: Operator,
        value: Term,
    },
    /// `(c1, c2) IN ((..), (..))` / `IN ?` / `IN (?, ?)`.
    MultiColumnIn {
        columns: Vec<String>,
        values: InValues,
    },
    /// `TOKEN(c1, c2) op term`.
    Token {
        columns: Vec<String>,
        op: Operator,
        value: Term,
    },
}

/// `USING TTL x AND TIMESTAMP y`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsingClause {
    pub timestamp: Option<Term>,
    pub ttl: Option<Term>,
}

/// `INSERT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: QualifiedName,
    pub values: InsertValues,
    pub if_not_exists: bool,
    pub using: UsingClause,
}

/// The data of an INSERT.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertValues {
    /// `(c1, c2) VALUES (t1, t2)`; the parser checks both lists have the same length.
    Values {
        columns: Vec<String>,
        values: Vec<Term>,
    },
    /// `JSON 'text'` / `JSON ?`; `default_unset` for `DEFAULT UNSET` (the default is
    /// `DEFAULT NULL`: missing columns are set to null).
    Json { value: Term, default_unset: bool },
}

/// The left side of an assignment, a condition, or a DELETE target.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnTarget {
    /// `col`
    Column(String),
    /// `col[key]` (list index or map key)
    Element(String, Term),
    /// `col.field` (UDT field)
    Field(String, String),
}

impl ColumnTarget {
    /// The column named by the target.
    pub fn column(&self) -> &str {
        match self {
            ColumnTarget::Column(c) | ColumnTarget::Element(c, _) | ColumnTarget::Field(c, _) => c,
        }
    }
}

/// One `SET` item of an UPDATE.
#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `col = t`, `col[k] = t`, `col.f = t`.
    Set { target: ColumnTarget, value: Term },
    /// `col = col + t` or `col += t`: counter increment, list append, set/map add.
    Add { column: String, value: Term },
    /// `col = t + col`: list prepend.
    Prepend { column: String, value: Term },
    /// `col = col - t` or `col -= t`: counter decrement, list/set/map element removal.
    Subtract { column: String, value: Term },
}

/// One `IF` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `target op term`.
    Compare {
        target: ColumnTarget,
        op: Operator,
        value: Term,
    },
    /// `target IN (...)` / `IN ?`.
    In {
        target: ColumnTarget,
        values: InValues,
    },
}

/// The `IF` clause of UPDATE and DELETE.
#[derive(Debug, Clone, PartialEq)]
pub enum Conditions {
    /// `IF EXISTS`
    Exists,
    /// `IF c1 AND c2 ...`
    If(Vec<Condition>),
}

/// `UPDATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub table: QualifiedName,
    pub using: UsingClause,
    pub assignments: Vec<Assignment>,
    pub where_clause: Vec<Relation>,
    pub conditions: Option<Conditions>,
}

/// `DELETE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// Columns/elements/fields to delete; empty deletes whole rows.
    pub targets: Vec<ColumnTarget>,
    pub table: QualifiedName,
    /// `USING TIMESTAMP t` (DELETE allows no TTL).
    pub timestamp: Option<Term>,
    pub where_clause: Vec<Relation>,
    pub conditions: Option<Conditions>,
}

/// `LOGGED` (the default), `UNLOGGED` or `COUNTER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchKind {
    Logged,
    Unlogged,
    Counter,
}

/// A statement allowed inside a BATCH.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchStatement {
    Insert(Insert),
    Update(Update),
    Delete(Delete),
}

/// `BEGIN [UNLOGGED|COUNTER] BATCH [USING TIMESTAMP t] ... APPLY BATCH`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub kind: BatchKind,
    pub using: UsingClause,
    pub statements: Vec<BatchStatement>,
}
