//! The selection clause: which values each result row holds, and the aggregates.
//!
//! Selectors are compiled against the table into [`Sel`] trees; they are evaluated on
//! a [`RowView`], the decoded form of one CQL row (serialized value, write time and
//! TTL per column). Aggregates (`count`, `min`, `max`, `sum`, `avg`) fold every row
//! into one result row, or one row per group with GROUP BY ([`aggregate`]).

mod aggregate;
mod elements;
mod terms;
mod times;

pub use aggregate::AggState;

use terms::{compile_operands, compile_term_as, hint_type, literal_type};

use bytes::Bytes;
use cql::parser::ast::{QualifiedName, Selection, Selector, SelectorExpr, Term};
use cql::response::ColumnSpec;
use cql::types::{CqlType, CqlValue};

use super::functions::{self, ScalarFn};
use super::term::{self, EvalCtx, Markers, Val};
use crate::error::RequestError;

/// One column of one CQL row, as read.
#[derive(Debug, Clone, Default)]
pub struct CellView {
    pub value: Option<Bytes>,
    /// Write time in microseconds (None for keys, counters and multi-cell columns).
    pub writetime: Option<i64>,
    /// Remaining TTL in seconds.
    pub ttl: Option<i32>,
    /// For a non-frozen collection or UDT: the write time and remaining TTL of each
    /// live element in element order (a UDT: of each field, `None` where a field has
    /// no cell); empty for other columns.
    pub elements: Vec<(Option<i64>, Option<i32>)>,
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
    /// `MAXWRITETIME(col)`: the latest write time of the column's cells.
    MaxWriteTime(usize),
    /// `WRITETIME(coll)` of a non-frozen collection (5.0): `list<bigint>`, per element.
    ElementWriteTimes(usize),
    /// `TTL(coll)` of a non-frozen collection (5.0): `list<int>`, null where an
    /// element has no TTL.
    ElementTtls(usize),
    Token,
    Const(Option<Bytes>),
    /// A function or operator (`a + b`, `CAST(a AS text)`, `abs(a)`...).
    Call(ScalarFn, Vec<Sel>),
    Field(Box<Sel>, usize),
    /// `col[key]`: a map value, a list element (key is an int index) or a set element.
    Element(Box<Sel>, Bytes, CqlType),
    /// `coll[from..to]` on a set or map: both bounds inclusive, either may be open.
    Slice(Box<Sel>, Option<Bytes>, Option<Bytes>, CqlType),
    /// `coll[?]`: an element whose key is a bind marker (with the selection's label);
    /// [`SelectionPlan::bind`] turns it into an [`Sel::Element`].
    ElementAt(Box<Sel>, term::Expr, CqlType, String),
    /// `coll[?..?]`: a slice with marker bounds, bound into a [`Sel::Slice`].
    SliceAt(
        Box<Sel>,
        Option<term::Expr>,
        Option<term::Expr>,
        CqlType,
        String,
    ),
    Agg(AggKind, Box<Sel>, CqlType),
    CountAll,
    /// `toJson(x)`: the argument's JSON text (json.adoc); null gives the text `null`.
    ToJson(Box<Sel>, CqlType),
    /// A bind marker in a selector; [`SelectionPlan::bind`] replaces it by the
    /// request's value before any row is evaluated.
    Marker(term::Expr),
    /// `writetime(s[1])`, `ttl(m['k'])`, `writetime(u.f)`... ([`times`]).
    Times(times::Times),
    /// `(a, b, ...)`: a tuple of the selectors' values.
    Tuple(Vec<Sel>),
    /// `[a, b, ...]`: a list of the selectors' values.
    List(Vec<Sel>),
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
    /// Whether some selector holds a bind marker (see [`SelectionPlan::bind`]).
    pub has_markers: bool,
}

impl SelectionPlan {
    /// The plan with its bind markers replaced by this request's values (validated
    /// against their types); `None` when it has none.
    pub fn bind(&self, ctx: &EvalCtx<'_>) -> Result<Option<SelectionPlan>, RequestError> {
        if !self.has_markers {
            return Ok(None);
        }
        let sels = self
            .sels
            .iter()
            .map(|s| s.bound(ctx))
            .collect::<Result<_, _>>()?;
        Ok(Some(SelectionPlan {
            sels,
            columns: self.columns.clone(),
            aggregate: self.aggregate,
            has_markers: false,
        }))
    }
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
        has_markers: false,
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
                plan.has_markers |= s.has_marker();
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
            let kind = match e {
                SelectorExpr::WriteTime(_) => times::TimesKind::WriteTime,
                SelectorExpr::MaxWriteTime(_) => times::TimesKind::MaxWriteTime,
                _ => times::TimesKind::Ttl,
            };
            if let Some(sub) = times::compile(src, kind, inner, m)? {
                return Ok(sub);
            }
            let SelectorExpr::Column(name) = &**inner else {
                return Err(RequestError::Server("writetime() of a non-column".into()));
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
            if t.is_counter() {
                return Err(RequestError::invalid(format!(
                    "Cannot use selection function {fname} on counter column {name}"
                )));
            }
            let label = format!("{fname}({name})");
            let multi = t.is_multi_cell();
            Ok(match (fname, multi) {
                ("maxwritetime", _) => (Sel::MaxWriteTime(i), CqlType::Bigint, label),
                ("ttl", false) => (Sel::Ttl(i), CqlType::Int, label),
                ("ttl", true) => (
                    Sel::ElementTtls(i),
                    CqlType::List(Box::new(CqlType::Int)),
                    label,
                ),
                (_, false) => (Sel::WriteTime(i), CqlType::Bigint, label),
                (_, true) => (
                    Sel::ElementWriteTimes(i),
                    CqlType::List(Box::new(CqlType::Bigint)),
                    label,
                ),
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
        SelectorExpr::Term(Term::TypeHint { typ, term }) => {
            compile_term_as(term, &hint_type(typ)?, m)
        }
        SelectorExpr::Term(Term::Null) => Ok((Sel::Const(None), CqlType::Blob, "null".into())),
        SelectorExpr::Term(t) => {
            // A constant needs a type: Cassandra infers it from the literal kind.
            let typ = match t {
                Term::Literal(l) => literal_type(l.kind),
                // A marker or a collection literal has no type of its own.
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Cannot infer type for term {t} in selection clause (try using a cast to force a type)"
                    )))
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
        // `(type) literal` gives the literal its type; on a column the hint is ignored.
        SelectorExpr::TypeHint { typ, expr } => match &**expr {
            SelectorExpr::Term(t) => compile_term_as(t, &hint_type(typ)?, m),
            _ => compile_expr(src, expr, m),
        },
        SelectorExpr::Element { expr, key } => {
            let inner = compile_expr(src, expr, m)?;
            elements::compile_element(inner, key, m)
        }
        SelectorExpr::Arithmetic { op, left, right } => {
            let ambiguous = || {
                RequestError::invalid(format!(
                    "Ambiguous '{}' operation: use type casts to disambiguate",
                    functions::number::op_symbol(*op)
                ))
            };
            let is_term = |e: &SelectorExpr| matches!(e, SelectorExpr::Term(_));
            if (terms::is_bare_marker(left) && is_term(right))
                || (terms::is_bare_marker(right) && is_term(left))
            {
                return Err(ambiguous());
            }
            let (l, r) = compile_operands(src, left, right, m)?;
            // An untyped marker matches every overload of the operator (all numbers,
            // ascii and text) except next to a timestamp or date, whose only operand
            // is a duration: Cassandra's FunctionResolver refuses the rest.
            let marker_typed =
                |e: &SelectorExpr, t: &CqlType| terms::is_bare_marker(e) && *t != CqlType::Duration;
            if marker_typed(left, &l.1) || marker_typed(right, &r.1) {
                return Err(ambiguous());
            }
            let (f, ret) = functions::resolve_operation(*op, &l.1, &r.1, (&l.2, &r.2))?;
            let label = format!("{} {} {}", l.2, functions::number::op_symbol(*op), r.2);
            Ok((Sel::Call(f, vec![l.0, r.0]), ret, label))
        }
        SelectorExpr::Tuple(items) => {
            let mut sels = Vec::with_capacity(items.len());
            let mut types = Vec::with_capacity(items.len());
            let mut labels = Vec::with_capacity(items.len());
            for it in items {
                let (s, t, l) = compile_expr(src, it, m)?;
                sels.push(s);
                types.push(t);
                labels.push(l);
            }
            Ok((
                Sel::Tuple(sels),
                CqlType::Tuple(types),
                format!("({})", labels.join(", ")),
            ))
        }
        SelectorExpr::List(items) => elements::compile_list(src, items, m),
        SelectorExpr::Negation(inner) => {
            if terms::is_bare_marker(inner) {
                return Err(RequestError::invalid(
                    "Ambiguous negation: use type casts to disambiguate",
                ));
            }
            let (s, t, label) = compile_expr(src, inner, m)?;
            let (f, ret) = functions::resolve_negation(&t, &label)?;
            Ok((Sel::Call(f, vec![s]), ret, format!("-{label}")))
        }
        SelectorExpr::Slice { expr, from, to } => {
            let inner = compile_expr(src, expr, m)?;
            elements::compile_slice(inner, from.as_ref(), to.as_ref(), m)
        }
    }
}

fn compile_call<S: ColumnSource>(
    src: &S,
    name: &QualifiedName,
    args: &[SelectorExpr],
    m: &mut Markers,
) -> Result<(Sel, CqlType, String), RequestError> {
    let fname = name.name.to_lowercase();
    if let [arg] = args {
        if terms::is_bare_marker(arg)
            && !matches!(
                fname.as_str(),
                "count" | "min" | "max" | "sum" | "avg" | "tojson" | "token"
            )
        {
            return compile_marker_call(name, arg, m);
        }
    }
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
    if name.keyspace.as_deref().is_none_or(|k| k == "system") {
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
    // A `null` argument has no type of its own: the function's signature decides.
    let types: Vec<Option<CqlType>> = compiled
        .iter()
        .zip(args)
        .map(|((_, t, _), a)| (!matches!(a, SelectorExpr::Term(Term::Null))).then(|| t.clone()))
        .collect();
    let (f, _, ret) = functions::resolve(name, &types)?;
    let sels = compiled.into_iter().map(|(s, _, _)| s).collect();
    Ok((Sel::Call(f, sels), ret, format!("system.{label}")))
}

/// `f(?)`: the marker takes the argument type of the function's only signature; an
/// overloaded function (`abs`, `to_date`...) is ambiguous, as in Cassandra.
fn compile_marker_call(
    name: &QualifiedName,
    arg: &SelectorExpr,
    m: &mut Markers,
) -> Result<(Sel, CqlType, String), RequestError> {
    let sigs = functions::overloads(name);
    if sigs.len() > 1 {
        return Err(functions::ambiguous_call(name, &sigs));
    }
    let (f, at, ret) = functions::resolve(name, &[None])?;
    let (SelectorExpr::Term(t), Some(typ)) = (arg, at.first()) else {
        return Err(functions::unknown(name));
    };
    let (s, _, label) = compile_term_as(t, typ, m)?;
    Ok((
        Sel::Call(f, vec![s]),
        ret,
        format!("system.{}({label})", name.name),
    ))
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
    fn has_marker(&self) -> bool {
        match self {
            Sel::Marker(_) => true,
            Sel::Call(_, args) | Sel::Tuple(args) | Sel::List(args) => {
                args.iter().any(Sel::has_marker)
            }
            Sel::Field(s, _)
            | Sel::Element(s, ..)
            | Sel::Slice(s, ..)
            | Sel::Agg(_, s, _)
            | Sel::ToJson(s, _) => s.has_marker(),
            Sel::Times(t) => t.has_marker(),
            Sel::ElementAt(..) | Sel::SliceAt(..) => true,
            _ => false,
        }
    }

    /// A copy with markers evaluated against the request's values.
    fn bound(&self, ctx: &EvalCtx<'_>) -> Result<Sel, RequestError> {
        let b = |s: &Sel| s.bound(ctx).map(Box::new);
        Ok(match self {
            Sel::Marker(e) => match e.eval(ctx)? {
                Val::Bytes(v) => Sel::Const(Some(v)),
                Val::Null => Sel::Const(None),
                Val::Unset => {
                    return Err(RequestError::invalid("Invalid unset value in a selector"))
                }
            },
            Sel::Call(f, args) => Sel::Call(
                f.clone(),
                args.iter()
                    .map(|a| a.bound(ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Sel::Field(s, i) => Sel::Field(b(s)?, *i),
            Sel::Element(s, k, t) => Sel::Element(b(s)?, k.clone(), t.clone()),
            Sel::Slice(s, lo, hi, t) => Sel::Slice(b(s)?, lo.clone(), hi.clone(), t.clone()),
            Sel::Agg(k, s, t) => Sel::Agg(*k, b(s)?, t.clone()),
            Sel::ToJson(s, t) => Sel::ToJson(b(s)?, t.clone()),
            Sel::Times(t) => Sel::Times(t.bound(ctx)?),
            Sel::Tuple(items) => Sel::Tuple(
                items
                    .iter()
                    .map(|a| a.bound(ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Sel::List(items) => Sel::List(
                items
                    .iter()
                    .map(|a| a.bound(ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Sel::ElementAt(s, key, t, label) => elements::bind_element(b(s)?, key, t, label, ctx)?,
            Sel::SliceAt(s, lo, hi, t, label) => {
                elements::bind_slice(b(s)?, lo.as_ref(), hi.as_ref(), t, label, ctx)?
            }
            other => other.clone(),
        })
    }

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
            Sel::MaxWriteTime(i) => row.cells.get(*i).and_then(|c| {
                let max = c.elements.iter().filter_map(|(t, _)| *t).max();
                c.value
                    .as_ref()
                    .and(max.or(c.writetime))
                    .map(|t| Bytes::copy_from_slice(&t.to_be_bytes()))
            }),
            Sel::ElementWriteTimes(i) => row.cells.get(*i).and_then(|c| {
                element_list(
                    c.elements
                        .iter()
                        .map(|(t, _)| t.map(|t| t.to_be_bytes().to_vec())),
                )
            }),
            Sel::ElementTtls(i) => row.cells.get(*i).and_then(|c| {
                element_list(
                    c.elements
                        .iter()
                        .map(|(_, ttl)| ttl.map(|t| t.to_be_bytes().to_vec())),
                )
            }),
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
                Some(b) => elements::element(&b, key, typ)?,
                None => None,
            },
            Sel::Slice(inner, lo, hi, typ) => match inner.eval(row)? {
                Some(b) => elements::slice(&b, lo.as_ref(), hi.as_ref(), typ)?,
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
            Sel::Times(t) => t.eval(row)?,
            Sel::List(items) => Some(elements::list_value(items, row)?),
            Sel::Tuple(items) => {
                // The tuple wire form: each element as [int length][bytes], null as -1.
                let mut out = Vec::new();
                for it in items {
                    match it.eval(row)? {
                        Some(b) => {
                            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                            out.extend_from_slice(&b);
                        }
                        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    }
                }
                Some(Bytes::from(out))
            }
            Sel::Agg(..) | Sel::CountAll => None,
            // Replaced by `SelectionPlan::bind` before rows are evaluated.
            Sel::Marker(_) | Sel::ElementAt(..) | Sel::SliceAt(..) => {
                return Err(RequestError::Server(
                    "a selector bind marker was not bound".into(),
                ))
            }
        })
    }
}

/// A serialized list of per-element values (`CollectionSerializer.pack`): a null
/// element is written with length -1, as Cassandra does for TTL-less elements; no
/// elements is null.
fn element_list(items: impl Iterator<Item = Option<Vec<u8>>>) -> Option<Bytes> {
    let items: Vec<Option<Vec<u8>>> = items.collect();
    if items.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(4 + items.len() * 12);
    out.extend_from_slice(&(items.len() as i32).to_be_bytes());
    for it in items {
        match it {
            Some(b) => {
                out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                out.extend_from_slice(&b);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    Some(Bytes::from(out))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_list_writes_null_elements_like_cassandra() {
        let row = RowView {
            cells: vec![CellView {
                value: Some(Bytes::from_static(b"x")),
                writetime: None,
                ttl: None,
                elements: vec![(Some(10), Some(7)), (Some(20), None)],
            }],
            token: 0,
        };
        let ttls = Sel::ElementTtls(0).eval(&row).unwrap().unwrap();
        assert_eq!(
            &ttls[..],
            &[0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        let max = Sel::MaxWriteTime(0).eval(&row).unwrap().unwrap();
        assert_eq!(&max[..], &20i64.to_be_bytes());
    }
}
