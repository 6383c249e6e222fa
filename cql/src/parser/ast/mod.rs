//! The abstract syntax tree of CQL statements (Cassandra 4.x / 5.0).
//!
//! The AST is what the text said, with names case-folded and nothing resolved:
//! identifiers are stored already folded (unquoted → lowercase, `"Quoted"` → exact),
//! constants keep their text and [`LiteralKind`] (the `types` module converts them once
//! the target type is known), user-defined type names in [`RawType`] are unresolved, and
//! semantic checks (does the column exist, is `ALTER col TYPE` allowed, are there
//! PRIMARY KEYs…) belong to the server. This module owns no parsing logic.
//!
//! Layout: this file holds the shared pieces (names, terms, types, the [`Statement`]
//! enum); [`dml`] the data statements, [`ddl`] the schema statements, [`auth`] roles and
//! permissions, [`markers`] the walk that lists bind markers for PREPARE, [`display`]
//! terms and relations back to CQL text.

pub mod auth;
pub mod ddl;
mod display;
pub mod dml;
mod markers;

pub use auth::*;
pub use ddl::*;
pub use dml::*;
pub use markers::where_has_markers;

use crate::types::{CqlType, LiteralKind};

/// A possibly keyspace-qualified name: `ks.t`, `t`, `"Ks"."T"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    pub keyspace: Option<String>,
    pub name: String,
}

impl QualifiedName {
    /// A name without keyspace.
    pub fn unqualified(name: impl Into<String>) -> Self {
        QualifiedName {
            keyspace: None,
            name: name.into(),
        }
    }

    /// A name with a keyspace.
    pub fn qualified(keyspace: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            keyspace: Some(keyspace.into()),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.keyspace {
            Some(ks) => write!(f, "{ks}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A constant as written: its lexical kind and its text. Strings are unescaped
/// (`''` → `'`, `$$` delimiters removed); numbers keep a leading `-` if one was written
/// (`-5`, `-Infinity`, `-NaN`); hex blobs keep their `0x` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Literal {
    pub kind: LiteralKind,
    pub text: String,
}

impl Literal {
    pub fn new(kind: LiteralKind, text: impl Into<String>) -> Self {
        Literal {
            kind,
            text: text.into(),
        }
    }
}

/// A bind marker `?` or `:name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindMarker {
    /// Position among all markers of the statement (a batch counts across its
    /// statements), in textual order, from 0. This is the index of the value in
    /// QUERY/EXECUTE. Every occurrence is its own marker, even with a repeated name.
    pub index: usize,
    /// The name of a `:name` marker (case-folded like any identifier); `None` for `?`.
    pub name: Option<String>,
}

/// Binary arithmetic operators of terms and selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithmeticOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// A value expression (definitions.adoc "term").
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A constant (`1`, `'a'`, `0xff`, `true`, a uuid, `1h30m`, `NaN`...).
    Literal(Literal),
    /// `NULL`.
    Null,
    BindMarker(BindMarker),
    /// `[a, b]`: a list, or a vector literal when the receiver is a vector.
    List(Vec<Term>),
    /// `{a, b}`. An empty `{}` is parsed as an empty [`Term::Map`]; it is also a valid
    /// empty set (Cassandra does the same).
    Set(Vec<Term>),
    /// `{k: v, ...}`.
    Map(Vec<(Term, Term)>),
    /// `(a, b)`: a tuple (a parenthesised single term is that term, not a tuple).
    Tuple(Vec<Term>),
    /// `{field: v, ...}` where every key is an identifier. Parsed as `Udt` when all
    /// keys are bare identifiers, which a map never has (map keys are terms); field
    /// names are case-folded.
    Udt(Vec<(String, Term)>),
    /// `f(args)`, `ks.f(args)`, e.g. `now()`, `uuid()`, `token(...)` in terms.
    FunctionCall {
        name: QualifiedName,
        args: Vec<Term>,
    },
    /// `(type) term`.
    TypeHint {
        typ: RawType,
        term: Box<Term>,
    },
    /// `a + b`, `a - b`, `a * b`, `a / b`, `a % b`.
    Arithmetic {
        op: ArithmeticOp,
        left: Box<Term>,
        right: Box<Term>,
    },
    /// `-term` when the operand is not a number constant (`-5` is a [`Literal`]).
    Negation(Box<Term>),
}

/// A type as written, with user-defined type names unresolved (types.adoc).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RawType {
    /// A native type (`int`, `text`, `varchar` → `Text`, `counter`...) or a custom type
    /// given as a string constant (`'org.apache...MyType'` → `CqlType::Custom`).
    Native(CqlType),
    List(Box<RawType>),
    Set(Box<RawType>),
    Map(Box<RawType>, Box<RawType>),
    Tuple(Vec<RawType>),
    /// `frozen<T>`.
    Frozen(Box<RawType>),
    /// `vector<T, n>` (Cassandra 5.0).
    Vector(Box<RawType>, u32),
    /// A user-defined type name, possibly keyspace-qualified.
    UserDefined(QualifiedName),
}

/// `ASC` / `DESC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    Asc,
    Desc,
}

/// The value of a `WITH name = value` property (table, keyspace, view, index options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// A constant: `'text'`, `0.1`, `true`, `10`.
    Constant(Literal),
    /// A bare word where Cassandra allows an unreserved keyword/identifier as a value.
    Identifier(String),
    /// `{'k': v, ...}`: keys and values are constants; each is kept as its text (a
    /// number `3` becomes `"3"`), which is what Cassandra does with property maps.
    Map(Vec<(String, String)>),
}

impl OptionValue {
    /// The text of a constant or identifier value; `None` for a map.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            OptionValue::Constant(l) => Some(&l.text),
            OptionValue::Identifier(s) => Some(s),
            OptionValue::Map(_) => None,
        }
    }

    /// The entries of a map value; `None` for a constant.
    pub fn as_map(&self) -> Option<&[(String, String)]> {
        match self {
            OptionValue::Map(m) => Some(m),
            _ => None,
        }
    }
}

/// `WITH a = x AND b = {...}` properties, in the order written. Names are case-folded.
pub type Options = Vec<(String, OptionValue)>;

/// One CQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    Insert(Box<Insert>),
    Update(Box<Update>),
    Delete(Box<Delete>),
    Batch(Box<Batch>),
    /// `USE ks`.
    Use(String),
    /// `TRUNCATE [TABLE] name`.
    Truncate(QualifiedName),
    CreateKeyspace(CreateKeyspace),
    AlterKeyspace(AlterKeyspace),
    DropKeyspace(DropKeyspace),
    CreateTable(Box<CreateTable>),
    AlterTable(Box<AlterTable>),
    DropTable(DropTable),
    CreateType(CreateType),
    AlterType(AlterType),
    DropType(DropType),
    CreateIndex(Box<CreateIndex>),
    DropIndex(DropIndex),
    CreateMaterializedView(Box<CreateMaterializedView>),
    AlterMaterializedView(AlterMaterializedView),
    DropMaterializedView(DropMaterializedView),
    CreateFunction(Box<CreateFunction>),
    DropFunction(DropFunction),
    CreateAggregate(Box<CreateAggregate>),
    DropAggregate(DropAggregate),
    CreateTrigger(CreateTrigger),
    DropTrigger(DropTrigger),
    /// `CREATE ROLE`.
    CreateRole(CreateRole),
    /// `ALTER ROLE`.
    AlterRole(AlterRole),
    /// `DROP ROLE`.
    DropRole(DropRole),
    /// `CREATE USER` (a role with LOGIN = true).
    CreateUser(CreateUser),
    /// `ALTER USER`.
    AlterUser(AlterUser),
    /// `DROP USER`.
    DropUser(DropRole),
    /// `GRANT role TO grantee`.
    GrantRole(GrantRole),
    /// `REVOKE role FROM revokee`.
    RevokeRole(RevokeRole),
    GrantPermission(GrantPermission),
    RevokePermission(RevokePermission),
    ListRoles(ListRoles),
    /// `LIST USERS`.
    ListUsers,
    ListPermissions(ListPermissions),
    /// `ADD IDENTITY [IF NOT EXISTS] 'id' TO ROLE 'role'` (Cassandra 5.0 mTLS).
    AddIdentity(AddIdentity),
    /// `DROP IDENTITY [IF EXISTS] 'id'`.
    DropIdentity(DropIdentity),
    Describe(Describe),
}

impl Statement {
    /// Every bind marker of the statement, in index order (textual order). PREPARE uses
    /// this to know how many values EXECUTE carries; `bind_markers()[i].index == i`.
    pub fn bind_markers(&self) -> Vec<&BindMarker> {
        markers::collect(self)
    }

    /// How many bind markers the statement has.
    pub fn bind_marker_count(&self) -> usize {
        self.bind_markers().len()
    }
}
