//! Terms compiled for execution: constants serialized once at prepare time, bind
//! markers resolved to value positions, collection literals, function calls (`now()`,
//! `fromJson(?)`...) and arithmetic (`? + 1`, `'2024-01-01' + 1d`, `-?`).
//!
//! A compiled [`Expr`] is evaluated per request against the bound values without
//! touching the AST again; this is what keeps EXECUTE of a prepared INSERT cheap.

use bytes::{BufMut, Bytes, BytesMut};
use cql::parser::ast::{BindMarker, RawType, Term};
use cql::types::{CqlType, CqlValue};

use super::functions;
use super::values;
use crate::error::RequestError;

/// A bound value as the request carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    /// Protocol v4+ "unset": leave the target untouched.
    Unset,
    Bytes(Bytes),
}

impl Val {
    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            Val::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// What a bind marker stands for, as PREPARE reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerSpec {
    pub name: String,
    pub typ: CqlType,
    /// For partition key markers: the partition key position (for pk_indexes).
    pub pk_position: Option<u16>,
}

/// The specs of every marker of a statement, filled in while compiling.
#[derive(Debug, Default, Clone)]
pub struct Markers {
    pub specs: Vec<Option<MarkerSpec>>,
}

impl Markers {
    pub fn with_count(n: usize) -> Self {
        Markers {
            specs: vec![None; n],
        }
    }

    /// Records what marker `m` is bound to; a named marker keeps its own name.
    pub fn record(&mut self, m: &BindMarker, name: &str, typ: &CqlType, pk_position: Option<u16>) {
        if self.specs.len() <= m.index {
            self.specs.resize(m.index + 1, None);
        }
        if let Some(slot) = self.specs.get_mut(m.index) {
            *slot = Some(MarkerSpec {
                name: m.name.clone().unwrap_or_else(|| name.to_string()),
                typ: typ.clone(),
                pk_position,
            });
        }
    }
}

/// The request-side context a term is evaluated in.
pub struct EvalCtx<'a> {
    pub values: &'a [Val],
}

/// A compiled term.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A serialized constant; `None` is null.
    Const(Option<Bytes>),
    /// The value at this position, validated against `typ`.
    Marker {
        index: usize,
        typ: CqlType,
        receiver: String,
    },
    /// A collection, tuple or UDT literal with non-constant parts, serialized per request.
    Composite {
        typ: CqlType,
        kind: CompositeKind,
        items: Vec<Expr>,
    },
    /// A function evaluated per request (`now()` must differ per call).
    Call {
        func: functions::ScalarFn,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompositeKind {
    /// list, set or vector elements / tuple or UDT fields: `[int n] ([bytes])*`,
    /// except tuple/UDT which have no count and allow null items.
    Sequence,
    Fields,
    /// Map: items alternate key, value.
    Map,
}

impl Expr {
    /// Evaluates the term. Marker values are validated against their type.
    pub fn eval(&self, ctx: &EvalCtx<'_>) -> Result<Val, RequestError> {
        match self {
            Expr::Const(Some(b)) => Ok(Val::Bytes(b.clone())),
            Expr::Const(None) => Ok(Val::Null),
            Expr::Marker {
                index,
                typ,
                receiver,
            } => {
                let v = ctx.values.get(*index).ok_or_else(|| {
                    RequestError::invalid(format!(
                        "There were {} markers(?) in CQL but {} bound variables",
                        index + 1,
                        ctx.values.len()
                    ))
                })?;
                if let Val::Bytes(b) = v {
                    values::validate(b, typ).map_err(|e| {
                        RequestError::invalid(format!(
                            "Exception while binding column {receiver}: {e}"
                        ))
                    })?;
                }
                Ok(v.clone())
            }
            Expr::Composite { kind, items, typ } => {
                let mut out = BytesMut::new();
                let mut parts = Vec::with_capacity(items.len());
                for it in items {
                    match it.eval(ctx)? {
                        Val::Bytes(b) => parts.push(Some(b)),
                        Val::Null if *kind == CompositeKind::Fields => parts.push(None),
                        Val::Null => {
                            return Err(RequestError::invalid(
                                "null is not supported inside collections",
                            ))
                        }
                        Val::Unset => {
                            return Err(RequestError::invalid(
                                "unset value is not supported inside collections",
                            ))
                        }
                    }
                }
                if let CqlType::Vector(elem, _) = typ.unfrozen() {
                    // vector<T, n> has no count; fixed-size elements are packed, the
                    // others carry an unsigned vint length (protocol spec, "vector").
                    let fixed = cql::types::fixed_len(elem).is_some();
                    for b in parts.into_iter().flatten() {
                        if !fixed {
                            cql::types::vint::put_unsigned(&mut out, b.len() as u64);
                        }
                        out.put_slice(&b);
                    }
                    return Ok(Val::Bytes(out.freeze()));
                }
                if *kind != CompositeKind::Fields {
                    let n = if *kind == CompositeKind::Map {
                        parts.len() / 2
                    } else {
                        parts.len()
                    };
                    out.put_i32(n as i32);
                }
                for p in parts {
                    match p {
                        Some(b) => {
                            out.put_i32(b.len() as i32);
                            out.put_slice(&b);
                        }
                        None => out.put_i32(-1),
                    }
                }
                Ok(Val::Bytes(out.freeze()))
            }
            Expr::Call { func, args } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(a.eval(ctx)?);
                }
                functions::call_scalar(func, &vals)
            }
        }
    }

    /// Evaluates a term that must have a value (keys, TTL, LIMIT...).
    pub fn eval_bytes(&self, ctx: &EvalCtx<'_>) -> Result<Option<Bytes>, RequestError> {
        match self.eval(ctx)? {
            Val::Bytes(b) => Ok(Some(b)),
            Val::Null | Val::Unset => Ok(None),
        }
    }

    pub fn is_const(&self) -> bool {
        matches!(self, Expr::Const(_))
    }
}

/// Compiles `term` for a receiver of type `typ` named `receiver` (a column name, or
/// `[limit]`, `[ttl]`...). Bind markers record their spec in `markers`.
pub fn compile(
    term: &Term,
    typ: &CqlType,
    receiver: &str,
    markers: &mut Markers,
    pk_position: Option<u16>,
) -> Result<Expr, RequestError> {
    let inner = typ.unfrozen();
    match term {
        Term::Null => Ok(Expr::Const(None)),
        Term::BindMarker(m) => {
            markers.record(m, receiver, typ, pk_position);
            Ok(Expr::Marker {
                index: m.index,
                typ: typ.clone(),
                receiver: m.name.clone().unwrap_or_else(|| receiver.to_string()),
            })
        }
        Term::Literal(lit) => {
            let v = values::from_literal(lit, typ)
                .map_err(|e| RequestError::invalid(e.for_receiver(receiver)))?;
            Ok(Expr::Const(Some(values::serialize(&v, typ))))
        }
        Term::TypeHint { term, .. } => compile(term, typ, receiver, markers, pk_position),
        Term::FunctionCall { name, args } => {
            let (func, arg_types) = functions::resolve_scalar(name, args.len(), typ)?;
            let mut compiled = Vec::with_capacity(args.len());
            for (a, t) in args.iter().zip(arg_types.iter()) {
                compiled.push(compile(a, t, receiver, markers, None)?);
            }
            call(func, compiled)
        }
        Term::List(items) | Term::Set(items) => {
            let elem = match inner {
                CqlType::List(e) | CqlType::Set(e) => (**e).clone(),
                CqlType::Vector(e, n) => {
                    if items.len() != *n as usize {
                        return Err(RequestError::invalid(format!(
                            "Invalid vector literal for {receiver} of type {}; expected {n} elements, but given {}",
                            typ.cql_name(),
                            items.len()
                        )));
                    }
                    (**e).clone()
                }
                // `{}` parses as an empty map but is also an empty set.
                _ => return Err(bad_literal(term, typ, receiver)),
            };
            if matches!(inner, CqlType::List(_)) && matches!(term, Term::Set(_)) {
                return Err(bad_literal(term, typ, receiver));
            }
            let items = items
                .iter()
                .map(|t| compile(t, &elem, receiver, markers, None))
                .collect::<Result<Vec<_>, _>>()?;
            composite(typ, CompositeKind::Sequence, items)
        }
        Term::Map(entries) => {
            let (kt, vt) = match inner {
                CqlType::Map(k, v) => ((**k).clone(), (**v).clone()),
                CqlType::Set(_) | CqlType::List(_) if entries.is_empty() => {
                    return composite(typ, CompositeKind::Sequence, Vec::new())
                }
                _ => return Err(bad_literal(term, typ, receiver)),
            };
            let mut items = Vec::with_capacity(entries.len() * 2);
            for (k, v) in entries {
                items.push(compile(k, &kt, receiver, markers, None)?);
                items.push(compile(v, &vt, receiver, markers, None)?);
            }
            composite(typ, CompositeKind::Map, items)
        }
        Term::Tuple(items) => {
            let CqlType::Tuple(types) = inner else {
                return Err(bad_literal(term, typ, receiver));
            };
            if items.len() > types.len() {
                return Err(RequestError::invalid(format!(
                    "Invalid tuple literal for {receiver}: too many elements. Type {} expects {} but got {}",
                    typ.cql_name(),
                    types.len(),
                    items.len()
                )));
            }
            let items = items
                .iter()
                .zip(types.iter())
                .map(|(t, ty)| compile(t, ty, receiver, markers, None))
                .collect::<Result<Vec<_>, _>>()?;
            composite(typ, CompositeKind::Fields, items)
        }
        Term::Udt(fields) => {
            let CqlType::Udt(udt) = inner else {
                return Err(bad_literal(term, typ, receiver));
            };
            for (f, _) in fields {
                if !udt.fields.iter().any(|(n, _)| n == f) {
                    return Err(RequestError::invalid(format!(
                        "Unknown field '{f}' in value of user defined type {}",
                        udt.name
                    )));
                }
            }
            let mut items = Vec::with_capacity(udt.fields.len());
            for (fname, ftyp) in &udt.fields {
                match fields.iter().find(|(n, _)| n == fname) {
                    Some((_, t)) => items.push(compile(t, ftyp, receiver, markers, None)?),
                    None => items.push(Expr::Const(None)),
                }
            }
            // Trailing missing fields may be omitted on the wire, but null is equivalent.
            composite(typ, CompositeKind::Fields, items)
        }
        Term::Arithmetic { op, left, right } => {
            // An operand without a type of its own (a literal, a marker) takes the
            // receiver's, except the right side of `timestamp ± x`, a duration.
            let lt = operand_type(left).unwrap_or_else(|| inner.clone());
            let rt = operand_type(right).unwrap_or_else(|| match inner {
                CqlType::Timestamp | CqlType::Date => CqlType::Duration,
                other => other.clone(),
            });
            let (func, ret) = functions::resolve_operation(
                *op,
                &lt,
                &rt,
                (&term_label(left), &term_label(right)),
            )?;
            if ret != *inner && !(ret == CqlType::Bigint && *inner == CqlType::Counter) {
                return Err(RequestError::invalid(format!(
                    "Type error: the operation {} {} {} is of type {}, which cannot be assigned to {receiver} of type {}",
                    term_label(left),
                    functions::number::op_symbol(*op),
                    term_label(right),
                    ret.cql_name(),
                    typ.cql_name()
                )));
            }
            let l = compile(left, &lt, receiver, markers, None)?;
            let r = compile(right, &rt, receiver, markers, None)?;
            call(func, vec![l, r])
        }
        Term::Negation(t) => {
            let (func, _) = functions::resolve_negation(inner, receiver)?;
            let e = compile(t, typ, receiver, markers, None)?;
            call(func, vec![e])
        }
    }
}

/// A call; folded into a constant now when its arguments are constants and the
/// function is deterministic (`now()` must differ per request).
fn call(func: functions::ScalarFn, args: Vec<Expr>) -> Result<Expr, RequestError> {
    use functions::ScalarFn as F;
    let volatile = matches!(
        func,
        F::Now
            | F::Uuid
            | F::CurrentTimestamp
            | F::CurrentDate
            | F::CurrentTime
            | F::CurrentTimeuuid
    );
    let e = Expr::Call { func, args };
    if let Expr::Call { args, .. } = &e {
        if !volatile && args.iter().all(Expr::is_const) {
            return Ok(Expr::Const(
                e.eval(&EvalCtx { values: &[] })?.bytes().cloned(),
            ));
        }
    }
    Ok(e)
}

/// The type an arithmetic operand has on its own, if any: a duration literal, a type
/// hint, a function's return type.
fn operand_type(t: &Term) -> Option<CqlType> {
    match t {
        Term::Literal(l) if l.kind == cql::types::LiteralKind::Duration => Some(CqlType::Duration),
        Term::TypeHint {
            typ: RawType::Native(t),
            ..
        } => Some(t.clone()),
        Term::FunctionCall { name, args } => functions::resolve(name, &vec![None; args.len()])
            .ok()
            .map(|(_, _, ret)| ret),
        _ => None,
    }
}

/// How an operand is named in errors.
fn term_label(t: &Term) -> String {
    match t {
        Term::Literal(l) => l.text.clone(),
        Term::BindMarker(m) => m.name.as_ref().map_or("?".into(), |n| format!(":{n}")),
        Term::Null => "null".into(),
        Term::FunctionCall { name, .. } => format!("{name}(...)"),
        Term::TypeHint { term, .. } => term_label(term),
        _ => "(expression)".into(),
    }
}

/// Builds a composite; when every part is constant it is serialized once now.
fn composite(typ: &CqlType, kind: CompositeKind, items: Vec<Expr>) -> Result<Expr, RequestError> {
    let e = Expr::Composite {
        typ: typ.clone(),
        kind,
        items,
    };
    let all_const = match &e {
        Expr::Composite { items, .. } => items.iter().all(Expr::is_const),
        _ => false,
    };
    if all_const {
        let v = e.eval(&EvalCtx { values: &[] })?;
        // Sets and maps must be sorted and deduplicated by their element order; the
        // values module normalises through a decode/encode round trip.
        let b = match v {
            Val::Bytes(b) => {
                Some(values::normalize(&b, typ).map_err(|e| RequestError::invalid(e.to_string()))?)
            }
            _ => None,
        };
        return Ok(Expr::Const(b));
    }
    Ok(e)
}

fn bad_literal(term: &Term, typ: &CqlType, receiver: &str) -> RequestError {
    let what = match term {
        Term::List(_) => "list",
        Term::Set(_) => "set",
        Term::Map(_) => "map",
        Term::Tuple(_) => "tuple",
        Term::Udt(_) => "user type",
        _ => "value",
    };
    RequestError::invalid(format!(
        "Invalid {what} literal for {receiver} of type {}",
        typ.cql_name()
    ))
}

/// Serializes a decoded value for the wire (convenience for functions and selectors).
pub fn ser(v: &CqlValue, typ: &CqlType) -> Bytes {
    values::serialize(v, typ)
}
