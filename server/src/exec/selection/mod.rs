//! The selection clause: which values each result row holds, and the aggregates.
//!
//! Selectors are compiled against the table into [`Sel`] trees; they are evaluated on
//! a [`RowView`], the decoded form of one CQL row (serialized value, write time and
//! TTL per column). Aggregates (`count`, `min`, `max`, `sum`, `avg`) fold every row
//! into one result row, or one row per group with GROUP BY ([`aggregate`]).

mod aggregate;

pub use aggregate::AggState;

use bytes::Bytes;
use cql::parser::ast::{QualifiedName, Selection, Selector, SelectorExpr, Term};
use cql::response::ColumnSpec;
use cql::types::{CqlType, CqlValue};

use super::functions::{self, ScalarFn};
use super::term::{self, EvalCtx, Markers, Val};
use super::values;
use crate::error::RequestError;

/// One column of one CQL row, as read.
#[derive(Debug, Clone, Default)]
pub struct CellView {
    pub value: Option<Bytes>,
    /// Write time in microseconds (None for keys, counters and multi-cell columns).
    pub writetime: Option<i64>,
    /// Remaining TTL in seconds.
    pub ttl: Option<i32>,
}

/// A CQL row: one [`CellView`] per table column (by column index), plus the token.
#[derive(Debug, Clone, Default)]
pub struct RowView {
    pub cells: Vec<CellView>,
    pub token: i64,
}

/// What a selector needs from the table: a column's index, name and type.
pub trait ColumnSource {
    fn find(&self, name: &str) -> Option<(usize, CqlType, bool)>;
    fn keyspace(&self) -> &str;
    fn table(&self) -> &str;
    /// Column indexes in `SELECT *` order.
    fn all(&self) -> Vec<(usize, String, CqlType)>;
    fn partition_key_types(&self) -> Vec<CqlType>;
}

#[derive(Debug, Clone)]
pub enum Sel {
    Column(usize),
    WriteTime(usize),
    Ttl(usize),
    Token,
    Const(Option<Bytes>),
    /// A function or operator (`a + b`, `CAST(a AS text)`, `abs(a)`...).
    Call(ScalarFn, Vec<Sel>),
    Field(Box<Sel>, usize),
    /// `col[key]`: a map value, a list element (key is an int index) or a set element.
    Element(Box<Sel>, Bytes, CqlType),
    Agg(AggKind, Box<Sel>, CqlType),
    CountAll,
    /// `toJson(x)`: the argument's JSON text (json.adoc); null gives the text `null`.
    ToJson(Box<Sel>, CqlType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    Min,
    Max,
    Sum,
    Avg,
}

/// A compiled selection clause.
#[derive(Debug, Clone)]
pub struct SelectionPlan {
    pub sels: Vec<Sel>,
    pub columns: Vec<ColumnSpec>,
    pub aggregate: bool,
}

pub fn compile<S: ColumnSource>(
    src: &S,
    sel: &Selection,
    m: &mut Markers,
) -> Result<SelectionPlan, RequestError> {
    let spec = |name: &str, typ: CqlType| ColumnSpec {
        keyspace: src.keyspace().to_string(),
        table: src.table().to_string(),
        name: name.to_string(),
        typ,
    };
    let mut plan = SelectionPlan {
        sels: Vec::new(),
        columns: Vec::new(),
        aggregate: false,
    };
    match sel {
        Selection::Wildcard => {
            for (i, name, typ) in src.all() {
                plan.sels.push(Sel::Column(i));
                plan.columns.push(spec(&name, typ));
            }
        }
        Selection::Selectors(list) => {
            let mut aggs = 0;
            for Selector { expr, alias } in list {
                let (s, typ, name) = compile_expr(src, expr, m)?;
                if matches!(s, Sel::Agg(..) | Sel::CountAll) {
                    aggs += 1;
                }
                plan.columns
                    .push(spec(alias.as_deref().unwrap_or(&name), typ));
                plan.sels.push(s);
            }
            if aggs > 0 && aggs != list.len() {
                // Cassandra allows plain columns next to aggregates (first row's value).
                plan.aggregate = true;
            } else {
                plan.aggregate = aggs > 0;
            }
        }
    }
    Ok(plan)
}

fn compile_expr<S: ColumnSource>(
    src: &S,
    e: &SelectorExpr,
    m: &mut Markers,
) -> Result<(Sel, CqlType, String), RequestError> {
    let column = |name: &str| {
        src.find(name)
            .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
    };
    match e {
        SelectorExpr::Column(name) => {
            let (i, t, _) = column(name)?;
            Ok((Sel::Column(i), t, name.clone()))
        }
        SelectorExpr::WriteTime(inner)
        | SelectorExpr::MaxWriteTime(inner)
        | SelectorExpr::Ttl(inner) => {
            let SelectorExpr::Column(name) = &**inner else {
                return Err(RequestError::invalid(
                    "writetime() and ttl() on collection elements are not supported by Helenus yet",
                ));
            };
            let (i, t, is_key) = column(name)?;
            let fname = match e {
                SelectorExpr::WriteTime(_) => "writetime",
                SelectorExpr::MaxWriteTime(_) => "maxwritetime",
                _ => "ttl",
            };
            if is_key {
                return Err(RequestError::invalid(format!(
                    "Cannot use selection function {fname} on PRIMARY KEY part {name}"
                )));
            }
            if t.is_multi_cell() {
                return Err(RequestError::invalid(format!(
                    "Cannot use selection function {fname} on non-frozen {} {name}",
                    if matches!(t, CqlType::Udt(_)) {
                        "UDT"
                    } else {
                        "collection"
                    }
                )));
            }
            if t.is_counter() {
                return Err(RequestError::invalid(format!(
                    "Cannot use selection function {fname} on counter column {name}"
                )));
            }
            let label = format!("{fname}({name})");
            Ok(if fname == "ttl" {
                (Sel::Ttl(i), CqlType::Int, label)
            } else {
                (Sel::WriteTime(i), CqlType::Bigint, label)
            })
        }
        SelectorExpr::CountAll => Ok((Sel::CountAll, CqlType::Bigint, "count".into())),
        SelectorExpr::FunctionCall { name, args } => compile_call(src, name, args, m),
        SelectorExpr::Cast { expr, typ } => {
            let (s, from, label) = compile_expr(src, expr, m)?;
            let to = match typ {
                cql::parser::ast::RawType::Native(t) => t.clone(),
                _ => {
                    return Err(RequestError::invalid(format!(
                        "{label} cannot be cast to a non-native type"
                    )))
                }
            };
            if !functions::cast::castable(&from, &to) {
                return Err(RequestError::invalid(format!(
                    "{label} cannot be cast to {}",
                    to.cql_name()
                )));
            }
            let name = format!("cast({label} as {})", to.cql_name());
            Ok((
                Sel::Call(ScalarFn::Cast(from, to.clone()), vec![s]),
                to,
                name,
            ))
        }
        SelectorExpr::Term(t) => {
            // A constant needs a type: Cassandra infers it from the literal kind.
            let typ = match t {
                Term::Literal(l) => literal_type(l.kind),
                _ => {
                    return Err(RequestError::invalid(
                        "Selecting a non-literal term is not supported by Helenus yet",
                    ))
                }
            };
            compile_term_as(t, &typ, m)
        }
        SelectorExpr::Field { expr, field } => {
            let (s, t, label) = compile_expr(src, expr, m)?;
            let CqlType::Udt(u) = t.unfrozen() else {
                return Err(RequestError::invalid(format!(
                    "Invalid field selection: {label} of type {} is not a user type",
                    t.cql_name()
                )));
            };
            let (i, (_, ft)) = u
                .fields
                .iter()
                .enumerate()
                .find(|(_, (n, _))| n == field)
                .ok_or_else(|| {
                    RequestError::invalid(format!(
                        "{label} of type {} has no field {field}",
                        t.cql_name()
                    ))
                })?;
            Ok((
                Sel::Field(Box::new(s), i),
                ft.clone(),
                format!("{label}.{field}"),
            ))
        }
        SelectorExpr::TypeHint { expr, .. } => compile_expr(src, expr, m),
        SelectorExpr::Element { expr, key } => {
            let (inner, t, label) = compile_expr(src, expr, m)?;
            let (key_t, out_t) = match t.unfrozen() {
                CqlType::Map(k, v) => ((**k).clone(), (**v).clone()),
                CqlType::List(e) => (CqlType::Int, (**e).clone()),
                CqlType::Set(e) => ((**e).clone(), (**e).clone()),
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid element selection: {label} is of type {} is not a collection",
                        t.cql_name()
                    )))
                }
            };
            let k = term::compile(key, &key_t, &label, m, None)?;
            let Some(kb) = k
                .eval(&EvalCtx { values: &[] })
                .ok()
                .and_then(|v| v.bytes().cloned())
            else {
                return Err(RequestError::invalid(
                    "Element selection with a bind marker or null key is not supported by Helenus yet",
                ));
            };
            Ok((
                Sel::Element(Box::new(inner), kb, t.clone()),
                out_t,
                format!("{label}[...]"),
            ))
        }
        SelectorExpr::Arithmetic { op, left, right } => {
            let (l, r) = compile_operands(src, left, right, m)?;
            let (f, ret) = functions::resolve_operation(*op, &l.1, &r.1, (&l.2, &r.2))?;
            let label = format!("{} {} {}", l.2, functions::number::op_symbol(*op), r.2);
            Ok((Sel::Call(f, vec![l.0, r.0]), ret, label))
        }
        SelectorExpr::Negation(inner) => {
            let (s, t, label) = compile_expr(src, inner, m)?;
            let (f, ret) = functions::resolve_negation(&t, &label)?;
            Ok((Sel::Call(f, vec![s]), ret, format!("-{label}")))
        }
        SelectorExpr::Slice { .. } => Err(RequestError::invalid(
            "Collection slice selectors are not supported by Helenus yet",
        )),
    }
}

/// A term selector as a constant of type `typ` (bind markers in selectors are not
/// supported: the selection is evaluated without the request's values).
fn compile_term_as(
    t: &Term,
    typ: &CqlType,
    m: &mut Markers,
) -> Result<(Sel, CqlType, String), RequestError> {
    if matches!(t, Term::BindMarker(_)) {
        return Err(RequestError::invalid(
            "Bind markers in selectors are not supported by Helenus yet",
        ));
    }
    let e = term::compile(t, typ, "selector", m, None)?;
    let v = e.eval(&EvalCtx { values: &[] })?;
    let label = match t {
        Term::Literal(l) if l.kind == cql::types::LiteralKind::String => {
            format!("'{}'", l.text.replace('\'', "''"))
        }
        Term::Literal(l) => l.text.clone(),
        _ => "term".into(),
    };
    Ok((Sel::Const(v.bytes().cloned()), typ.clone(), label))
}

/// The type an untyped term takes next to an operand of type `other`: a number
/// literal the other number's type (a float literal next to an integer is a double),
/// a string the other side's text type, a duration a duration.
fn term_type_near(t: &Term, other: &CqlType) -> CqlType {
    use cql::types::LiteralKind as K;
    let other = other.unfrozen();
    let numeric = is_numeric(other);
    match t {
        Term::Literal(l) => match l.kind {
            K::Duration => CqlType::Duration,
            K::Integer if *other == CqlType::Counter => CqlType::Bigint,
            K::Integer if numeric => other.clone(),
            K::Float if matches!(other, CqlType::Float | CqlType::Double | CqlType::Decimal) => {
                other.clone()
            }
            K::String if matches!(other, CqlType::Text | CqlType::Ascii) => other.clone(),
            K::String if matches!(other, CqlType::Timestamp | CqlType::Date) => CqlType::Duration,
            k => literal_type(k),
        },
        _ if matches!(other, CqlType::Timestamp | CqlType::Date) => CqlType::Duration,
        _ => other.clone(),
    }
}

type Compiled = (Sel, CqlType, String);

/// Both operands of a binary operator; a term operand is typed by the other side.
fn compile_operands<S: ColumnSource>(
    src: &S,
    left: &SelectorExpr,
    right: &SelectorExpr,
    m: &mut Markers,
) -> Result<(Compiled, Compiled), RequestError> {
    match (left, right) {
        (_, SelectorExpr::Term(rt)) => {
            let l = compile_expr(src, left, m)?;
            let r = compile_term_as(rt, &term_type_near(rt, &l.1), m)?;
            Ok((l, r))
        }
        (SelectorExpr::Term(lt), _) => {
            let r = compile_expr(src, right, m)?;
            let l = compile_term_as(lt, &term_type_near(lt, &r.1), m)?;
            Ok((l, r))
        }
        _ => Ok((compile_expr(src, left, m)?, compile_expr(src, right, m)?)),
    }
}

fn literal_type(k: cql::types::LiteralKind) -> CqlType {
    use cql::types::LiteralKind as K;
    match k {
        K::String => CqlType::Text,
        K::Integer => CqlType::Int,
        K::Float => CqlType::Double,
        K::Boolean => CqlType::Boolean,
        K::Uuid => CqlType::Uuid,
        K::Hex => CqlType::Blob,
        K::Duration => CqlType::Duration,
    }
}

fn compile_call<S: ColumnSource>(
    src: &S,
    name: &QualifiedName,
    args: &[SelectorExpr],
    m: &mut Markers,
) -> Result<(Sel, CqlType, String), RequestError> {
    let fname = name.name.to_lowercase();
    // A non-literal term argument (`[1.0, 2.0]`) takes the type of the first typed
    // argument: `similarity_cosine(v, [..])`, `mask_replace(c, ..)`.
    let mut hint: Option<CqlType> = None;
    for a in args {
        if !matches!(a, SelectorExpr::Term(_)) {
            hint = Some(compile_expr(src, a, m)?.1);
            break;
        }
    }
    let mut compiled = Vec::with_capacity(args.len());
    for a in args {
        match (a, &hint) {
            (SelectorExpr::Term(t), Some(h)) if !matches!(t, Term::Literal(_)) => {
                compiled.push(compile_term_as(t, h, m)?)
            }
            _ => compiled.push(compile_expr(src, a, m)?),
        }
    }
    let label = format!(
        "{}({})",
        name.name,
        compiled
            .iter()
            .map(|(_, _, l)| l.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if name.keyspace.as_deref().map_or(true, |k| k == "system") {
        let agg = match fname.as_str() {
            "count" => Some(AggKind::Count),
            "min" => Some(AggKind::Min),
            "max" => Some(AggKind::Max),
            "sum" => Some(AggKind::Sum),
            "avg" => Some(AggKind::Avg),
            _ => None,
        };
        if let Some(kind) = agg {
            let mut it = compiled.into_iter();
            let (Some((s, t, _)), None) = (it.next(), it.next()) else {
                return Err(RequestError::invalid(format!(
                    "Invalid number of arguments in call to function {fname}: 1 required but {} provided",
                    args.len()
                )));
            };
            let ret = match kind {
                AggKind::Count => CqlType::Bigint,
                _ => t.clone(),
            };
            if matches!(kind, AggKind::Sum | AggKind::Avg) && !is_numeric(&t) {
                return Err(RequestError::invalid(format!(
                    "Invalid call to function {fname}, none of its type signatures match (argument of type {})",
                    t.cql_name()
                )));
            }
            let label = if kind == AggKind::Count {
                "system.count(".to_string() + &label[6..]
            } else {
                format!("system.{label}")
            };
            return Ok((Sel::Agg(kind, Box::new(s), t), ret, label));
        }
        if fname == "tojson" {
            let [(s, t, _)]: [(Sel, CqlType, String); 1] =
                compiled.try_into().map_err(|c: Vec<_>| {
                    RequestError::invalid(format!(
                        "toJson() only accepts one argument (got {})",
                        c.len()
                    ))
                })?;
            return Ok((
                Sel::ToJson(Box::new(s), t),
                CqlType::Text,
                format!("system.{label}"),
            ));
        }
        if fname == "token" {
            let pk = src.partition_key_types();
            if compiled.len() != pk.len() {
                return Err(RequestError::invalid(format!(
                    "Invalid number of arguments in call to function token: {} required but {} provided",
                    pk.len(),
                    compiled.len()
                )));
            }
            return Ok((Sel::Token, CqlType::Bigint, format!("system.{label}")));
        }
    }
    let types: Vec<Option<CqlType>> = compiled.iter().map(|(_, t, _)| Some(t.clone())).collect();
    let (f, _, ret) = functions::resolve(name, &types)?;
    let sels = compiled.into_iter().map(|(s, _, _)| s).collect();
    Ok((Sel::Call(f, sels), ret, format!("system.{label}")))
}

fn is_numeric(t: &CqlType) -> bool {
    matches!(
        t,
        CqlType::Int
            | CqlType::Bigint
            | CqlType::Smallint
            | CqlType::Tinyint
            | CqlType::Float
            | CqlType::Double
            | CqlType::Varint
            | CqlType::Decimal
            | CqlType::Counter
    )
}

impl Sel {
    pub fn eval(&self, row: &RowView) -> Result<Option<Bytes>, RequestError> {
        Ok(match self {
            Sel::Column(i) => row.cells.get(*i).and_then(|c| c.value.clone()),
            Sel::WriteTime(i) => row
                .cells
                .get(*i)
                .and_then(|c| c.value.as_ref().and(c.writetime))
                .map(|t| Bytes::copy_from_slice(&t.to_be_bytes())),
            Sel::Ttl(i) => row
                .cells
                .get(*i)
                .and_then(|c| c.value.as_ref().and(c.ttl))
                .map(|t| Bytes::copy_from_slice(&t.to_be_bytes())),
            Sel::Token => Some(Bytes::copy_from_slice(&row.token.to_be_bytes())),
            Sel::Const(v) => v.clone(),
            Sel::Call(f, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(match a.eval(row)? {
                        Some(b) => Val::Bytes(b),
                        None => Val::Null,
                    });
                }
                functions::call_scalar(f, &vals)?.bytes().cloned()
            }
            Sel::Field(inner, i) => match inner.eval(row)? {
                Some(b) => super::modify::split_fields(&b)?
                    .into_iter()
                    .nth(*i)
                    .flatten(),
                None => None,
            },
            Sel::Element(inner, key, typ) => match inner.eval(row)? {
                Some(b) => element(&b, key, typ)?,
                None => None,
            },
            Sel::ToJson(inner, typ) => {
                let json = match inner.eval(row)? {
                    Some(b) => {
                        let value = cql::types::deserialize(typ, &b)
                            .map_err(|e| RequestError::invalid(e.to_string()))?;
                        cql::types::to_json_string(&value, typ)
                    }
                    None => "null".to_string(),
                };
                Some(Bytes::from(json))
            }
            Sel::Agg(..) | Sel::CountAll => None,
        })
    }
}

/// `coll[key]` on a serialized collection.
fn element(b: &Bytes, key: &Bytes, typ: &CqlType) -> Result<Option<Bytes>, RequestError> {
    let items = super::modify::split_collection(b, typ)?;
    Ok(match typ.unfrozen() {
        CqlType::Map(kt, _) => items
            .chunks(2)
            .find(|kv| {
                kv.first()
                    .is_some_and(|k| values::compare(kt, k, key).is_eq())
            })
            .and_then(|kv| kv.get(1).cloned()),
        CqlType::List(_) => {
            let idx: [u8; 4] = key[..]
                .try_into()
                .map_err(|_| RequestError::invalid("Invalid list index"))?;
            usize::try_from(i32::from_be_bytes(idx))
                .ok()
                .and_then(|i| items.get(i).cloned())
        }
        CqlType::Set(et) => items
            .into_iter()
            .find(|e| values::compare(et, e, key).is_eq()),
        _ => None,
    })
}

pub fn as_f64(v: &CqlValue) -> Option<f64> {
    Some(match v {
        CqlValue::Int(x) => f64::from(*x),
        CqlValue::Bigint(x) | CqlValue::Counter(x) => *x as f64,
        CqlValue::Smallint(x) => f64::from(*x),
        CqlValue::Tinyint(x) => f64::from(*x),
        CqlValue::Float(x) => f64::from(*x),
        CqlValue::Double(x) => *x,
        CqlValue::Varint(x) => x.to_string().parse().ok()?,
        CqlValue::Decimal { unscaled, scale } => {
            unscaled.to_string().parse::<f64>().ok()? / 10f64.powi(*scale)
        }
        _ => return None,
    })
}

pub(super) fn as_i128(v: &CqlValue) -> Option<i128> {
    Some(match v {
        CqlValue::Int(x) => i128::from(*x),
        CqlValue::Bigint(x) | CqlValue::Counter(x) => i128::from(*x),
        CqlValue::Smallint(x) => i128::from(*x),
        CqlValue::Tinyint(x) => i128::from(*x),
        CqlValue::Varint(x) => x.to_string().parse().ok()?,
        _ => return None,
    })
}

#[allow(clippy::cast_possible_truncation)]
pub(super) fn from_f64(f: f64, t: &CqlType, orig: &CqlValue) -> Result<CqlValue, RequestError> {
    let i = as_i128(orig).unwrap_or(f as i128);
    Ok(match t {
        CqlType::Int => CqlValue::Int(i as i32),
        CqlType::Bigint | CqlType::Counter => CqlValue::Bigint(i as i64),
        CqlType::Smallint => CqlValue::Smallint(i as i16),
        CqlType::Tinyint => CqlValue::Tinyint(i as i8),
        CqlType::Float => CqlValue::Float(f as f32),
        CqlType::Double => CqlValue::Double(f),
        CqlType::Varint => {
            return Err(RequestError::invalid(
                "CAST to varint is not supported by Helenus yet",
            ))
        }
        CqlType::Decimal => {
            return Err(RequestError::invalid(
                "CAST to decimal is not supported by Helenus yet",
            ))
        }
        _ => return Err(RequestError::invalid("unsupported cast")),
    })
}

/// Minimal two's-complement big-endian bytes of `i` (the varint wire form).
pub(super) fn varint_bytes(i: i128) -> Bytes {
    let b = i.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (cur, next) = (b[start], b[start + 1]);
        let redundant = (cur == 0x00 && next & 0x80 == 0) || (cur == 0xFF && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    Bytes::copy_from_slice(&b[start..])
}
