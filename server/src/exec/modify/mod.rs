//! INSERT, UPDATE and DELETE: compiled once into a [`ModifyPlan`], executed per request
//! into `storage::Mutation`s (one per partition, rows of the same partition merged).
//!
//! Collections are stored cell by cell (non-frozen): set elements and map keys are the
//! cell path (byte-comparable), list cells are keyed by a time-ordered path. Overwriting
//! a collection writes a collection tombstone just before the new cells, as Cassandra.
//!
//! This file compiles statements into plans; [`apply`] turns a plan and bound values
//! into mutations.

mod apply;
#[cfg(test)]
mod tests;

pub use apply::{merge_mutations, path_of, split_collection, split_fields, WriteAttrs};
// The IF clause lives with the rest of the lightweight transactions.
use super::lwt::conditions::compile as compile_conditions;
pub use super::lwt::conditions::{CondCheck, Conditions};

use cql::parser::ast::{self, Assignment, ColumnTarget, InsertValues};
use cql::types::CqlType;
use storage::ColumnId;

use super::restrict::{self, Restrictions};
use super::term::{self, Expr, Markers};
use super::TableRef;
use crate::error::RequestError;
use crate::schema::{ColumnDef, ColumnKind};

/// Cassandra's maximum TTL (20 years).
pub const MAX_TTL: i64 = 630_720_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Insert,
    Update,
    Delete,
}

/// What one assignment or deletion does to one column.
#[derive(Debug, Clone)]
pub enum Op {
    /// `col = v` (also INSERT values). For a multi-cell column: tombstone + elements.
    Set(Expr),
    /// list `col = col + v` / set or map `col = col + v`.
    Append(Expr),
    /// list `col = v + col`.
    Prepend(Expr),
    /// set / map key / list value removal `col = col - v`.
    Remove(Expr),
    /// `map[k] = v`
    PutElement(Expr, Expr),
    /// `udt.f = v`
    SetField(usize, Expr),
    /// counter `c = c + n` (or `- n` with `negate`)
    Counter { value: Expr, negate: bool },
    /// DELETE col
    DeleteColumn,
    /// DELETE map[k] / set element
    DeleteElement(Expr),
    /// DELETE udt.f
    DeleteField(usize),
    /// list `col[i] = v` (reads the list first).
    SetIndex(Expr, Expr),
    /// DELETE list `col[i]` (reads the list first).
    DeleteIndex(Expr),
}

impl Op {
    /// List operations by index or value need the current list (read before write).
    pub fn needs_read(&self, typ: &CqlType) -> bool {
        matches!(self, Op::SetIndex(..) | Op::DeleteIndex(_))
            || (matches!(self, Op::Remove(_)) && matches!(typ, CqlType::List(_)))
    }
}

#[derive(Debug, Clone)]
pub struct ColumnOp {
    pub column: ColumnId,
    pub name: String,
    pub typ: CqlType,
    pub is_static: bool,
    pub op: Op,
}

/// A compiled INSERT / UPDATE / DELETE.
#[derive(Debug, Clone)]
pub struct ModifyPlan {
    pub kind: Kind,
    pub table: TableRef,
    pub keys: Restrictions,
    pub ops: Vec<ColumnOp>,
    pub timestamp: Option<Expr>,
    pub ttl: Option<Expr>,
    /// Only static columns are written: the clustering may be omitted.
    pub static_only: bool,
    /// INSERT JSON: the JSON text term and whether missing columns are left unset
    /// (`DEFAULT UNSET`). Keys and ops then read a per-execution value vector with one
    /// entry per table column, built from the JSON object.
    pub json: Option<(Expr, bool)>,
    /// The IF clause (lightweight transaction), run by `exec::lwt`.
    pub conditions: Option<Conditions>,
}

fn column<'a>(t: &'a TableRef, name: &str) -> Result<&'a ColumnDef, RequestError> {
    t.def
        .column(name)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
}

/// A conditional statement must name exactly one row (or one partition for static
/// conditions): no IN on the keys.
fn check_cas_keys(r: &Restrictions) -> Result<(), RequestError> {
    let is_in = |v: &restrict::KeyValues| !matches!(v, restrict::KeyValues::Eq(_));
    if r.pk.iter().flatten().any(is_in) {
        return Err(RequestError::invalid(
            "IN on the partition key is not supported with conditional updates",
        ));
    }
    if r.ck_eq.iter().any(is_in) || r.ck_tuples.is_some() || r.ck_slice.is_some() {
        return Err(RequestError::invalid(
            "IN on the clustering key columns is not supported with conditional updates",
        ));
    }
    Ok(())
}

fn using(
    u: &ast::UsingClause,
    m: &mut Markers,
) -> Result<(Option<Expr>, Option<Expr>), RequestError> {
    let ts = u
        .timestamp
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Bigint, "[timestamp]", m, None))
        .transpose()?;
    let ttl = u
        .ttl
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Int, "[ttl]", m, None))
        .transpose()?;
    Ok((ts, ttl))
}

pub fn compile_insert(
    t: TableRef,
    s: &ast::Insert,
    m: &mut Markers,
) -> Result<ModifyPlan, RequestError> {
    super::view::check_not_view(&t)?;
    let conditions = s.if_not_exists.then_some(Conditions::NotExists);
    if t.def.is_counter {
        return Err(RequestError::invalid(
            "INSERT statements are not allowed on counter tables, use UPDATE instead",
        ));
    }
    let (columns, vals) = match &s.values {
        InsertValues::Values { columns, values } => (columns, values),
        InsertValues::Json {
            value,
            default_unset,
        } => return compile_insert_json(t, s, value, *default_unset, conditions, m),
    };
    let (timestamp, ttl) = using(&s.using, m)?;
    let mut rels = Vec::new();
    let mut ops = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, v) in columns.iter().zip(vals.iter()) {
        let c = column(&t, name)?;
        if !seen.insert(name.as_str()) {
            return Err(RequestError::invalid(format!(
                "Multiple definitions found for column {name}"
            )));
        }
        if c.kind.is_primary_key() {
            rels.push(ast::Relation::Simple {
                column: name.clone(),
                op: ast::Operator::Eq,
                value: v.clone(),
            });
        } else {
            ops.push(ColumnOp {
                column: c.id,
                name: c.name.clone(),
                typ: c.typ.clone(),
                is_static: c.kind == ColumnKind::Static,
                op: Op::Set(term::compile(v, &c.typ, &c.name, m, None)?),
            });
        }
    }
    // Markers in INSERT are compiled in textual order above for regular columns, but
    // the key columns go through restrictions: compile them now.
    let keys = restrict::compile(&t, &rels, m, false, false)?;
    if conditions.is_some() {
        check_cas_keys(&keys)?;
    }
    check_keys(&t, &keys, Kind::Insert, false)?;
    Ok(ModifyPlan {
        kind: Kind::Insert,
        table: t,
        keys,
        ops,
        timestamp,
        ttl,
        static_only: false,
        json: None,
        conditions,
    })
}

/// INSERT JSON: every column reads position `i` (its index in the table) of the value
/// vector that execution builds from the JSON object.
fn compile_insert_json(
    t: TableRef,
    s: &ast::Insert,
    value: &ast::Term,
    default_unset: bool,
    conditions: Option<Conditions>,
    m: &mut Markers,
) -> Result<ModifyPlan, RequestError> {
    let json = term::compile(value, &CqlType::Text, "[json]", m, None)?;
    let (timestamp, ttl) = using(&s.using, m)?;
    let mut synthetic = Markers::with_count(t.def.columns.len());
    let mut rels = Vec::new();
    let mut ops = Vec::new();
    for (i, c) in t.def.columns.iter().enumerate() {
        let marker = ast::Term::BindMarker(ast::BindMarker {
            index: i,
            name: None,
        });
        if c.kind.is_primary_key() {
            rels.push(ast::Relation::Simple {
                column: c.name.clone(),
                op: ast::Operator::Eq,
                value: marker,
            });
        } else {
            ops.push(ColumnOp {
                column: c.id,
                name: c.name.clone(),
                typ: c.typ.clone(),
                is_static: c.kind == ColumnKind::Static,
                op: Op::Set(term::compile(
                    &marker,
                    &c.typ,
                    &c.name,
                    &mut synthetic,
                    None,
                )?),
            });
        }
    }
    let keys = restrict::compile(&t, &rels, &mut synthetic, false, false)?;
    Ok(ModifyPlan {
        kind: Kind::Insert,
        table: t,
        keys,
        ops,
        timestamp,
        ttl,
        static_only: false,
        json: Some((json, default_unset)),
        conditions,
    })
}

pub fn compile_update(
    t: TableRef,
    s: &ast::Update,
    m: &mut Markers,
) -> Result<ModifyPlan, RequestError> {
    super::view::check_not_view(&t)?;
    let conditions = compile_conditions(&t, &s.conditions, m)?;
    let (timestamp, ttl) = using(&s.using, m)?;
    let mut ops = Vec::new();
    for a in &s.assignments {
        let name = match a {
            Assignment::Set { target, .. } => target.column(),
            Assignment::Add { column, .. }
            | Assignment::Prepend { column, .. }
            | Assignment::Subtract { column, .. } => column,
        };
        let c = column(&t, name)?;
        if c.kind.is_primary_key() {
            return Err(RequestError::invalid(format!(
                "PRIMARY KEY part {name} found in SET part"
            )));
        }
        let counter = c.typ.is_counter();
        let elem_type = |c: &ColumnDef| -> CqlType { c.typ.clone() };
        let op = match a {
            Assignment::Set {
                target: ColumnTarget::Column(_),
                value,
            } => {
                if counter {
                    return Err(RequestError::invalid(format!(
                        "Cannot set the value of counter column {name} (counters can only be incremented/decremented, not set)"
                    )));
                }
                Op::Set(term::compile(value, &c.typ, name, m, None)?)
            }
            Assignment::Set {
                target: ColumnTarget::Element(_, key),
                value,
            } => match c.typ.clone() {
                CqlType::Map(kt, vt) => Op::PutElement(
                    term::compile(key, &kt, &format!("key({name})"), m, None)?,
                    term::compile(value, &vt, &format!("value({name})"), m, None)?,
                ),
                CqlType::List(et) => Op::SetIndex(
                    term::compile(key, &CqlType::Int, &format!("idx({name})"), m, None)?,
                    term::compile(value, &et, &format!("value({name})"), m, None)?,
                ),
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation ({name}[?] = ?) for {} {name}",
                        misfit(&c.typ, Shape::IndexedCollection)
                    )))
                }
            },
            Assignment::Set {
                target: ColumnTarget::Field(_, f),
                value,
            } => match c.typ.clone() {
                CqlType::Udt(u) => {
                    let (i, (_, ft)) = u
                        .fields
                        .iter()
                        .enumerate()
                        .find(|(_, (n, _))| n == f)
                        .ok_or_else(|| {
                            RequestError::invalid(format!(
                                "UDT column {name} does not have a field named {f}"
                            ))
                        })?;
                    Op::SetField(
                        i,
                        term::compile(value, ft, &format!("{name}.{f}"), m, None)?,
                    )
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation ({name}.{f} = ?) for {} {name}",
                        misfit(&c.typ, Shape::Udt)
                    )))
                }
            },
            Assignment::Add { value, .. } | Assignment::Subtract { value, .. } if counter => {
                let negate = matches!(a, Assignment::Subtract { .. });
                Op::Counter {
                    value: term::compile(value, &CqlType::Bigint, name, m, None)?,
                    negate,
                }
            }
            Assignment::Add { value, .. } => {
                check_collection(c, "+")?;
                Op::Append(term::compile(value, &elem_type(c), name, m, None)?)
            }
            Assignment::Prepend { value, .. } => {
                if !matches!(c.typ, CqlType::List(_)) {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation ({name} = ? + {name}) for {} {name}",
                        misfit(&c.typ, Shape::List)
                    )));
                }
                Op::Prepend(term::compile(value, &c.typ, name, m, None)?)
            }
            Assignment::Subtract { value, .. } => {
                check_collection(c, "-")?;
                let rt = match &c.typ {
                    // `map - {keys}` takes a set of keys.
                    CqlType::Map(k, _) => CqlType::Set(k.clone()),
                    other => other.clone(),
                };
                Op::Remove(term::compile(value, &rt, name, m, None)?)
            }
        };
        if !counter
            && matches!(a, Assignment::Add { .. } | Assignment::Subtract { .. })
            && !c.typ.is_multi_cell()
        {
            return Err(RequestError::invalid(format!(
                "Invalid operation ({name} = {name} {} ?) for {} {name}",
                if matches!(a, Assignment::Add { .. }) {
                    "+"
                } else {
                    "-"
                },
                misfit(&c.typ, Shape::Counter)
            )));
        }
        ops.push(ColumnOp {
            column: c.id,
            name: c.name.clone(),
            typ: c.typ.clone(),
            is_static: c.kind == ColumnKind::Static,
            op,
        });
    }
    let keys = restrict::compile(&t, &s.where_clause, m, false, false)?;
    if conditions.is_some() {
        check_cas_keys(&keys)?;
    }
    let static_only = !ops.is_empty() && ops.iter().all(|o| o.is_static);
    check_keys(&t, &keys, Kind::Update, static_only)?;
    if t.def.is_counter && timestamp.is_some() {
        return Err(RequestError::invalid(
            "Cannot provide custom timestamp for counter updates",
        ));
    }
    if t.def.is_counter && ttl.is_some() {
        return Err(RequestError::invalid(
            "Cannot provide custom TTL for counter updates",
        ));
    }
    Ok(ModifyPlan {
        kind: Kind::Update,
        table: t,
        keys,
        ops,
        timestamp,
        ttl,
        static_only,
        json: None,
        conditions,
    })
}

fn check_collection(c: &ColumnDef, op: &str) -> Result<(), RequestError> {
    if !c.typ.is_multi_cell() || matches!(c.typ, CqlType::Udt(_)) {
        return Err(RequestError::invalid(format!(
            "Invalid operation ({0} = {0} {op} ?) for {1} {0}",
            c.name,
            misfit(&c.typ, Shape::Counter)
        )));
    }
    Ok(())
}

/// What an operation needs of its column, for Cassandra's "Invalid operation ... for
/// <what the column is> <name>" messages (Operation.java).
#[derive(Clone, Copy)]
enum Shape {
    /// `c[k] = v`: a non-frozen list or map.
    IndexedCollection,
    /// `c.f = v`: a non-frozen UDT.
    Udt,
    /// `c = ? + c`: a non-frozen list.
    List,
    /// `c = c + ?` / `c = c - ?`: a counter or a non-frozen collection.
    Counter,
}

/// How Cassandra names a column that does not fit `shape`: frozen ones are called out
/// as such, other types by what they are not.
fn misfit(typ: &CqlType, shape: Shape) -> &'static str {
    let frozen = matches!(typ, CqlType::Frozen(_));
    let inner = typ.unfrozen();
    let collection = matches!(
        inner,
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _)
    );
    match shape {
        Shape::IndexedCollection if frozen && collection => "frozen collection column",
        Shape::IndexedCollection if matches!(inner, CqlType::Set(_)) => "set column",
        Shape::IndexedCollection => "non collection column",
        Shape::Udt if frozen && matches!(inner, CqlType::Udt(_)) => "frozen UDT column",
        Shape::Udt => "non-UDT column",
        Shape::List if frozen && matches!(inner, CqlType::List(_)) => "frozen list column",
        Shape::List => "non list column",
        Shape::Counter if frozen && collection => "frozen collection column",
        Shape::Counter if matches!(inner, CqlType::Tuple(_)) => "tuple column",
        Shape::Counter => "non counter column",
    }
}

pub fn compile_delete(
    t: TableRef,
    s: &ast::Delete,
    m: &mut Markers,
) -> Result<ModifyPlan, RequestError> {
    super::view::check_not_view(&t)?;
    let conditions = compile_conditions(&t, &s.conditions, m)?;
    let mut ops = Vec::new();
    for target in &s.targets {
        let name = target.column();
        let c = column(&t, name)?;
        if c.kind.is_primary_key() {
            return Err(RequestError::invalid(format!(
                "Invalid identifier {name} for deletion (should not be a PRIMARY KEY part)"
            )));
        }
        let op = match target {
            ColumnTarget::Column(_) => Op::DeleteColumn,
            ColumnTarget::Element(_, key) => match &c.typ {
                CqlType::Map(kt, _) => {
                    Op::DeleteElement(term::compile(key, kt, &format!("key({name})"), m, None)?)
                }
                CqlType::Set(et) => Op::DeleteElement(term::compile(key, et, name, m, None)?),
                CqlType::List(_) => Op::DeleteIndex(term::compile(
                    key,
                    &CqlType::Int,
                    &format!("idx({name})"),
                    m,
                    None,
                )?),
                CqlType::Frozen(_) if c.typ.unfrozen().is_multi_cell() => {
                    return Err(RequestError::invalid(format!(
                        "Invalid deletion operation for frozen collection column {name}"
                    )))
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid deletion operation for non collection column {name}"
                    )))
                }
            },
            ColumnTarget::Field(_, f) => match &c.typ {
                CqlType::Udt(u) => {
                    let i = u.fields.iter().position(|(n, _)| n == f).ok_or_else(|| {
                        RequestError::invalid(format!(
                            "UDT column {name} does not have a field named {f}"
                        ))
                    })?;
                    Op::DeleteField(i)
                }
                CqlType::Frozen(inner) if matches!(**inner, CqlType::Udt(_)) => {
                    return Err(RequestError::invalid(format!(
                        "Frozen UDT column {name} does not support field deletions"
                    )))
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid field deletion operation for non-UDT column {name}"
                    )))
                }
            },
        };
        ops.push(ColumnOp {
            column: c.id,
            name: c.name.clone(),
            typ: c.typ.clone(),
            is_static: c.kind == ColumnKind::Static,
            op,
        });
    }
    let timestamp = s
        .timestamp
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Bigint, "[timestamp]", m, None))
        .transpose()?;
    let keys = restrict::compile(&t, &s.where_clause, m, false, true)?;
    if conditions.is_some() {
        check_cas_keys(&keys)?;
    }
    let static_only = !ops.is_empty() && ops.iter().all(|o| o.is_static);
    if !ops.is_empty() && keys.ck_slice.is_some() {
        return Err(RequestError::invalid(
            "Range deletions are not supported for specific columns",
        ));
    }
    check_keys(&t, &keys, Kind::Delete, static_only)?;
    Ok(ModifyPlan {
        kind: Kind::Delete,
        table: t,
        keys,
        ops,
        timestamp,
        ttl: None,
        static_only,
        json: None,
        conditions,
    })
}

/// Cassandra's checks on key completeness for modifications.
fn check_keys(
    t: &TableRef,
    r: &Restrictions,
    kind: Kind,
    static_only: bool,
) -> Result<(), RequestError> {
    let missing_pk: Vec<&str> = t
        .def
        .partition_key_columns()
        .zip(r.pk.iter())
        .filter(|(_, v)| v.is_none())
        .map(|(c, _)| c.name.as_str())
        .collect();
    if !missing_pk.is_empty() {
        return Err(RequestError::invalid(format!(
            "Some partition key parts are missing: {}",
            missing_pk.join(", ")
        )));
    }
    let nck = t.def.clustering.len();
    let given = if r.ck_tuples.is_some() {
        nck
    } else {
        r.ck_eq.len()
    };
    let full = given == nck;
    match kind {
        Kind::Insert | Kind::Update => {
            if !full && (!static_only || given != 0) {
                let missing: Vec<&str> = t
                    .def
                    .clustering_columns()
                    .skip(given)
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(RequestError::invalid(format!(
                    "Some clustering keys are missing: {}",
                    missing.join(", ")
                )));
            }
        }
        Kind::Delete => {
            if static_only && given > 0 {
                return Err(RequestError::invalid(
                    "Invalid restrictions on clustering columns since the DELETE statement modifies only static columns",
                ));
            }
        }
    }
    Ok(())
}
