//! The IF clause: compiled once per statement ([`compile`]), checked against the row
//! Paxos read ([`CondCheck::applies`]). Cassandra's `ColumnCondition`: `=`, `!=`, `<`,
//! `<=`, `>`, `>=`, `IN`, `CONTAINS`, `CONTAINS KEY` on a column, a list element
//! `l[i]`, a map element `m[k]` or a UDT field `u.f`.

use bytes::Bytes;
use cql::parser::ast::{self, ColumnTarget, Operator};
use cql::types::CqlType;

use crate::error::RequestError;
use crate::exec::modify::{split_collection, split_fields};
use crate::exec::selection::RowView;
use crate::exec::term::{self, EvalCtx, Expr, Markers, Val};
use crate::exec::values;
use crate::exec::TableRef;

/// The IF clause of a lightweight transaction.
#[derive(Debug, Clone)]
pub enum Conditions {
    NotExists,
    Exists,
    Columns(Vec<CondCheck>),
}

/// One `IF target op value`.
#[derive(Debug, Clone)]
pub struct CondCheck {
    /// Index into the table's columns.
    pub column: usize,
    pub target: Target,
    pub op: Operator,
    pub values: Values,
    /// The type `values` compare as (the column's, the element's or the field's).
    pub typ: CqlType,
}

/// What part of the column is compared.
#[derive(Debug, Clone)]
pub enum Target {
    Whole,
    /// `l[i]` (an int) or `m[k]`.
    Element(Expr),
    /// `u.f`: the field's index.
    Field(usize),
}

#[derive(Debug, Clone)]
pub enum Values {
    One(Expr),
    In(Vec<Expr>),
    /// `IN ?`: a serialized `list<typ>`.
    InMarker(Expr),
}

/// Compiles `IF ...` of UPDATE / DELETE (markers are numbered in textual order).
pub fn compile(
    t: &TableRef,
    c: &Option<ast::Conditions>,
    m: &mut Markers,
) -> Result<Option<Conditions>, RequestError> {
    let Some(c) = c else { return Ok(None) };
    let ast::Conditions::If(list) = c else {
        return Ok(Some(Conditions::Exists));
    };
    if t.def.is_counter {
        return Err(RequestError::invalid(
            "Conditional updates are not supported on counter tables",
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for cond in list {
        out.push(compile_one(t, cond, m)?);
    }
    Ok(Some(Conditions::Columns(out)))
}

fn compile_one(
    t: &TableRef,
    cond: &ast::Condition,
    m: &mut Markers,
) -> Result<CondCheck, RequestError> {
    let target = match cond {
        ast::Condition::Compare { target, .. } | ast::Condition::In { target, .. } => target,
    };
    let name = target.column();
    let column = t
        .def
        .columns
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))?;
    let def = &t.def.columns[column];
    if def.kind.is_primary_key() {
        return Err(RequestError::invalid(format!(
            "PRIMARY KEY column '{name}' cannot have IF conditions"
        )));
    }
    // The compiled target and the type its value has.
    let (tgt, typ) = match target {
        ColumnTarget::Column(_) => (Target::Whole, def.typ.clone()),
        ColumnTarget::Element(_, key) => match def.typ.unfrozen() {
            CqlType::List(e) => {
                let idx = term::compile(key, &CqlType::Int, &format!("idx({name})"), m, None)?;
                (Target::Element(idx), (**e).clone())
            }
            CqlType::Map(k, v) => {
                let key = term::compile(key, k, &format!("key({name})"), m, None)?;
                (Target::Element(key), (**v).clone())
            }
            CqlType::Set(_) => {
                return Err(RequestError::invalid(format!(
                    "Invalid element access syntax for set column {name}"
                )))
            }
            _ => {
                return Err(RequestError::invalid(format!(
                    "Invalid element access syntax for non-collection column {name}"
                )))
            }
        },
        ColumnTarget::Field(_, f) => match def.typ.unfrozen() {
            CqlType::Udt(u) => {
                let i = u.fields.iter().position(|(n, _)| n == f).ok_or_else(|| {
                    RequestError::invalid(format!("Unknown field {f} for column {name}"))
                })?;
                (Target::Field(i), u.fields[i].1.clone())
            }
            _ => {
                return Err(RequestError::invalid(format!(
                    "Invalid field selection: {name} of type {} is not a user type",
                    def.typ.cql_name()
                )))
            }
        },
    };
    let receiver = match &tgt {
        Target::Whole => name.to_string(),
        Target::Element(_) => format!("value({name})"),
        Target::Field(_) => format!("{name}.{}", target_field(target)),
    };
    let (op, values, typ) = match cond {
        ast::Condition::Compare { op, value, .. } => {
            let typ = match op {
                Operator::Contains => contains_type(&typ, name, false)?,
                Operator::ContainsKey => contains_type(&typ, name, true)?,
                Operator::Like => {
                    return Err(RequestError::invalid(
                        "LIKE is not supported in IF conditions",
                    ))
                }
                _ => typ,
            };
            let v = term::compile(value, &typ, &receiver, m, None)?;
            (*op, Values::One(v), typ)
        }
        ast::Condition::In { values, .. } => {
            let v = match values {
                ast::InValues::List(items) => Values::In(
                    items
                        .iter()
                        .map(|v| term::compile(v, &typ, &receiver, m, None))
                        .collect::<Result<_, _>>()?,
                ),
                ast::InValues::Marker(mk) => Values::InMarker(term::compile(
                    &ast::Term::BindMarker(mk.clone()),
                    &CqlType::List(Box::new(typ.clone())),
                    &format!("in({receiver})"),
                    m,
                    None,
                )?),
            };
            // IN is carried by `values`; each element compares with `=`.
            (Operator::Eq, v, typ)
        }
    };
    Ok(CondCheck {
        column,
        target: tgt,
        op,
        values,
        typ,
    })
}

fn target_field(t: &ColumnTarget) -> &str {
    match t {
        ColumnTarget::Field(_, f) => f,
        _ => "",
    }
}

/// The element type `CONTAINS` (or the key type `CONTAINS KEY`) compares with.
fn contains_type(typ: &CqlType, name: &str, key: bool) -> Result<CqlType, RequestError> {
    match (typ.unfrozen(), key) {
        (CqlType::Map(k, _), true) => Ok((**k).clone()),
        (CqlType::Map(_, v), false) => Ok((**v).clone()),
        (CqlType::List(e) | CqlType::Set(e), false) => Ok((**e).clone()),
        (_, true) => Err(RequestError::invalid(format!(
            "Cannot use CONTAINS KEY on non-map column {name}"
        ))),
        (_, false) => Err(RequestError::invalid(format!(
            "Cannot use CONTAINS on non-collection column {name}"
        ))),
    }
}

impl CondCheck {
    /// Whether the condition holds on `row` (None: the row does not exist).
    pub fn applies(
        &self,
        t: &TableRef,
        row: Option<&RowView>,
        ctx: &EvalCtx<'_>,
    ) -> Result<bool, RequestError> {
        let col_typ = &t.def.columns[self.column].typ;
        let whole = row.and_then(|r| r.cells[self.column].value.clone());
        let have = match &self.target {
            Target::Whole => whole,
            Target::Element(k) => element(col_typ, whole.as_ref(), k, ctx)?,
            Target::Field(i) => match &whole {
                Some(b) => split_fields(b)?.get(*i).cloned().flatten(),
                None => None,
            },
        };
        match (&self.values, self.op) {
            (Values::One(e), Operator::Contains | Operator::ContainsKey) => {
                let Some(want) = value(e, ctx)? else {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value for {} condition",
                        op_name(self.op)
                    )));
                };
                let Some(have) = have else { return Ok(false) };
                let items = split_collection(&have, col_typ)?;
                let is_map = matches!(col_typ.unfrozen(), CqlType::Map(..));
                let wanted: Box<dyn Iterator<Item = &Bytes>> = match (is_map, self.op) {
                    (true, Operator::ContainsKey) => Box::new(items.iter().step_by(2)),
                    (true, _) => Box::new(items.iter().skip(1).step_by(2)),
                    _ => Box::new(items.iter()),
                };
                let found = wanted
                    .into_iter()
                    .any(|x| values::compare(&self.typ, x, &want).is_eq());
                Ok(found)
            }
            (Values::One(e), op) => {
                let want = value(e, ctx)?;
                if want.is_none() && !matches!(op, Operator::Eq | Operator::Neq) {
                    return Err(RequestError::invalid(format!(
                        "Invalid comparison with null for operator \"{}\"",
                        op_name(op)
                    )));
                }
                let want = want.map(|w| normalize(&self.typ, w)).transpose()?;
                Ok(compare(&self.typ, op, have.as_ref(), want.as_ref()))
            }
            (Values::In(list), _) => {
                for e in list {
                    let w = value(e, ctx)?
                        .map(|w| normalize(&self.typ, w))
                        .transpose()?;
                    if compare(&self.typ, Operator::Eq, have.as_ref(), w.as_ref()) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            (Values::InMarker(e), _) => {
                let Some(list) = value(e, ctx)? else {
                    return Err(RequestError::invalid("Invalid null value for IN condition"));
                };
                let lt = CqlType::List(Box::new(self.typ.clone()));
                for w in split_collection(&list, &lt)? {
                    let w = normalize(&self.typ, w)?;
                    if compare(&self.typ, Operator::Eq, have.as_ref(), Some(&w)) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

/// A bound condition value; unset is refused as Cassandra does.
fn value(e: &Expr, ctx: &EvalCtx<'_>) -> Result<Option<Bytes>, RequestError> {
    match e.eval(ctx)? {
        Val::Bytes(b) => Ok(Some(b)),
        Val::Null => Ok(None),
        Val::Unset => Err(RequestError::invalid("Invalid 'unset' value in condition")),
    }
}

/// Sets and maps compare in their sorted, deduplicated form (how they are stored).
fn normalize(typ: &CqlType, b: Bytes) -> Result<Bytes, RequestError> {
    values::normalize(&b, typ).map_err(|e| RequestError::invalid(e.to_string()))
}

/// `l[i]` or `m[k]` of the current collection value.
fn element(
    col_typ: &CqlType,
    whole: Option<&Bytes>,
    key: &Expr,
    ctx: &EvalCtx<'_>,
) -> Result<Option<Bytes>, RequestError> {
    let is_map = matches!(col_typ.unfrozen(), CqlType::Map(..));
    let Some(k) = value(key, ctx)? else {
        return Err(RequestError::invalid(if is_map {
            "Invalid null value for map element access"
        } else {
            "Invalid null value for list element access"
        }));
    };
    let Some(whole) = whole else { return Ok(None) };
    let items = split_collection(whole, col_typ)?;
    match col_typ.unfrozen() {
        CqlType::Map(kt, _) => Ok(items
            .chunks(2)
            .find(|kv| values::compare(kt, &kv[0], &k).is_eq())
            .and_then(|kv| kv.get(1).cloned())),
        _ => {
            let a: [u8; 4] = k[..]
                .try_into()
                .map_err(|_| RequestError::invalid("Invalid list index"))?;
            let i = i32::from_be_bytes(a);
            Ok(usize::try_from(i).ok().and_then(|i| items.get(i).cloned()))
        }
    }
}

fn op_name(op: Operator) -> &'static str {
    match op {
        Operator::Eq => "=",
        Operator::Neq => "!=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Contains => "CONTAINS",
        Operator::ContainsKey => "CONTAINS KEY",
        Operator::Like => "LIKE",
        Operator::NotContains => "NOT CONTAINS",
        Operator::NotContainsKey => "NOT CONTAINS KEY",
    }
}

/// Cassandra's condition semantics with nulls: only `=` and `!=` can match a missing
/// value, and a missing value never satisfies an ordering.
fn compare(typ: &CqlType, op: Operator, have: Option<&Bytes>, want: Option<&Bytes>) -> bool {
    match (have, want) {
        (None, None) => op == Operator::Eq,
        (None, Some(_)) | (Some(_), None) => op == Operator::Neq,
        (Some(h), Some(w)) => {
            let o = values::compare(typ, h, w);
            match op {
                Operator::Eq => o.is_eq(),
                Operator::Neq => o.is_ne(),
                Operator::Lt => o.is_lt(),
                Operator::Lte => o.is_le(),
                Operator::Gt => o.is_gt(),
                Operator::Gte => o.is_ge(),
                _ => false,
            }
        }
    }
}
