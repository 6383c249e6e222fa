//! The selection clause: which values each result row holds, and the aggregates.
//!
//! Selectors are compiled against the table into [`Sel`] trees; they are evaluated on
//! a [`RowView`], the decoded form of one CQL row (serialized value, write time and
//! TTL per column). Aggregates (`count`, `min`, `max`, `sum`, `avg`) fold every row
//! into one result row, or one row per group with GROUP BY ([`aggregate`]).

mod aggregate;

pub use aggregate::AggState;

use bytes::Bytes;
use cql::parser::ast::{QualifiedName, Selection, Selector, SelectorExpr};
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
    Call(ScalarFn, Vec<Sel>),
    Cast(Box<Sel>, CqlType, CqlType),
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
                    return Err(RequestError::invalid(
                        "CAST is only supported to native types",
                    ))
                }
            };
            check_cast(&from, &to)?;
            let name = format!("cast({label} as {})", to.cql_name());
            Ok((Sel::Cast(Box::new(s), from, to.clone()), to, name))
        }
        SelectorExpr::Term(t) => {
            // A constant needs a type: Cassandra infers it from the literal kind.
            let typ = match t {
                cql::parser::ast::Term::Literal(l) => literal_type(l.kind),
                _ => {
                    return Err(RequestError::invalid(
                        "Selecting a non-literal term is not supported by Helenus yet",
                    ))
                }
            };
            let e = term::compile(t, &typ, "selector", m, None)?;
            let v = e.eval(&EvalCtx { values: &[] })?;
            let label = match t {
                cql::parser::ast::Term::Literal(l) => l.text.clone(),
                _ => "term".into(),
            };
            Ok((Sel::Const(v.bytes().cloned()), typ, label))
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
        SelectorExpr::Slice { .. }
        | SelectorExpr::Arithmetic { .. }
        | SelectorExpr::Negation(_) => Err(RequestError::invalid(
            "Element, slice and arithmetic selectors are not supported by Helenus yet",
        )),
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
    let mut compiled = Vec::with_capacity(args.len());
    for a in args {
        compiled.push(compile_expr(src, a, m)?);
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

fn check_cast(from: &CqlType, to: &CqlType) -> Result<(), RequestError> {
    let ok = match to {
        CqlType::Text | CqlType::Ascii => !from.is_multi_cell(),
        t if is_numeric(t) => is_numeric(from),
        CqlType::Timestamp => {
            matches!(from, CqlType::Date | CqlType::Timeuuid | CqlType::Timestamp)
        }
        CqlType::Date => matches!(from, CqlType::Timestamp | CqlType::Timeuuid | CqlType::Date),
        _ => from == to,
    };
    if !ok {
        return Err(RequestError::invalid(format!(
            "{} cannot be cast to {}",
            from.cql_name(),
            to.cql_name()
        )));
    }
    Ok(())
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
                functions::call_scalar(*f, &vals)?.bytes().cloned()
            }
            Sel::Cast(inner, from, to) => match inner.eval(row)? {
                Some(b) => Some(cast(&b, from, to)?),
                None => None,
            },
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

fn cast(b: &Bytes, from: &CqlType, to: &CqlType) -> Result<Bytes, RequestError> {
    if from == to {
        return Ok(b.clone());
    }
    let v = values::deserialize(b, from).map_err(|e| RequestError::invalid(e.to_string()))?;
    let out = match to {
        CqlType::Text | CqlType::Ascii => CqlValue::Text(text_of(&v)),
        t if is_numeric(t) => {
            let f =
                as_f64(&v).ok_or_else(|| RequestError::invalid("cast of a non-numeric value"))?;
            from_f64(f, t, &v)?
        }
        CqlType::Timestamp | CqlType::Date => {
            let src = match from {
                CqlType::Timeuuid => functions::Src::Timeuuid,
                CqlType::Date => functions::Src::Date,
                _ => functions::Src::Timestamp,
            };
            let f = if *to == CqlType::Date {
                ScalarFn::ToDate(src)
            } else {
                ScalarFn::ToTimestamp(src)
            };
            return Ok(functions::call_scalar(f, &[Val::Bytes(b.clone())])?
                .bytes()
                .cloned()
                .unwrap_or_default());
        }
        _ => return Ok(b.clone()),
    };
    values::try_serialize(&out, to).map_err(|e| RequestError::invalid(e.to_string()))
}

/// The text CAST(x AS text) gives for simple values.
fn text_of(v: &CqlValue) -> String {
    match v {
        CqlValue::Ascii(s) | CqlValue::Text(s) => s.clone(),
        CqlValue::Bigint(x) | CqlValue::Counter(x) => x.to_string(),
        CqlValue::Int(x) => x.to_string(),
        CqlValue::Smallint(x) => x.to_string(),
        CqlValue::Tinyint(x) => x.to_string(),
        CqlValue::Boolean(x) => x.to_string(),
        CqlValue::Double(x) => x.to_string(),
        CqlValue::Float(x) => x.to_string(),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => u.to_string(),
        CqlValue::Inet(ip) => ip.to_string(),
        CqlValue::Varint(x) => x.to_string(),
        other => format!("{other:?}"),
    }
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
