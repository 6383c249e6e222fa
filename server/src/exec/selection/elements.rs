//! Element and slice selection on sets and maps (`m['k']`, `s[1]`, `m['a'..'c']`),
//! keys and bounds given as constants or bind markers, and list selectors
//! (`[a, b]`). Lists refuse both, with
//! Cassandra's messages (`Element selection is only allowed on sets and maps, but l
//! is a list`). A marker key is bound per request ([`super::SelectionPlan::bind`]):
//! null is refused, and for slices an unset bound is an open one (Cassandra uses
//! UNSET for "no bound").

use bytes::{BufMut, Bytes, BytesMut};
use cql::parser::ast::{SelectorExpr, Term};
use cql::types::CqlType;

use super::terms::{compile_term_as, term_label};
use super::{compile_expr, ColumnSource, RowView, Sel};
use crate::error::RequestError;
use crate::exec::term::{self, EvalCtx, Expr, Markers, Val};
use crate::exec::values;

type Compiled = (Sel, CqlType, String);

/// A key or bound: its constant bytes, or the marker expression to bind later.
fn key_expr(
    t: &Term,
    key_t: &CqlType,
    label: &str,
    what: &str,
    m: &mut Markers,
) -> Result<Result<Bytes, Expr>, RequestError> {
    let e = term::compile(t, key_t, label, m, None)?;
    if has_marker(t) {
        return Ok(Err(e));
    }
    match e.eval(&EvalCtx { values: &[] })? {
        Val::Bytes(b) => Ok(Ok(b)),
        _ => Err(RequestError::invalid(format!(
            "Invalid null value for {what} selection on {label}"
        ))),
    }
}

fn has_marker(t: &Term) -> bool {
    match t {
        Term::BindMarker(_) => true,
        Term::TypeHint { term, .. } => has_marker(term),
        _ => false,
    }
}

/// The key and value types of the set or map `t` that an element (`what` =
/// "Element") or slice ("Slice") selection applies to, or Cassandra's refusal.
fn collection_types(
    t: &CqlType,
    label: &str,
    what: &str,
) -> Result<(CqlType, CqlType), RequestError> {
    match t.unfrozen() {
        CqlType::Map(k, v) => Ok(((**k).clone(), (**v).clone())),
        CqlType::Set(e) => Ok(((**e).clone(), (**e).clone())),
        CqlType::List(_) => Err(RequestError::invalid(format!(
            "{what} selection is only allowed on sets and maps, but {label} is a list"
        ))),
        _ => Err(RequestError::invalid(format!(
            "Invalid {} selection: {label} is of type {} is not a collection",
            what.to_lowercase(),
            t.cql_name()
        ))),
    }
}

/// `inner[key]`.
pub(super) fn compile_element(
    (inner, t, label): Compiled,
    key: &Term,
    m: &mut Markers,
) -> Result<Compiled, RequestError> {
    let (key_t, out_t) = collection_types(&t, &label, "Element")?;
    let name = format!("{label}[{}]", term_label(key));
    let sel = match key_expr(key, &key_t, &label, "element", m)? {
        Ok(kb) => Sel::Element(Box::new(inner), kb, t),
        Err(e) => Sel::ElementAt(Box::new(inner), e, t, label),
    };
    Ok((sel, out_t, name))
}

/// `inner[from..to]`.
pub(super) fn compile_slice(
    (inner, t, label): Compiled,
    from: Option<&Term>,
    to: Option<&Term>,
    m: &mut Markers,
) -> Result<Compiled, RequestError> {
    let (key_t, _) = collection_types(&t, &label, "Slice")?;
    let name = format!(
        "{label}[{}..{}]",
        from.map(term_label).unwrap_or_default(),
        to.map(term_label).unwrap_or_default()
    );
    let mut bound = |b: Option<&Term>| {
        b.map(|b| key_expr(b, &key_t, &label, "slice", m))
            .transpose()
    };
    let (lo, hi) = (bound(from)?, bound(to)?);
    let constant = |b: &Option<Result<Bytes, Expr>>| !matches!(b, Some(Err(_)));
    let sel = if constant(&lo) && constant(&hi) {
        Sel::Slice(
            Box::new(inner),
            lo.and_then(Result::ok),
            hi.and_then(Result::ok),
            t.clone(),
        )
    } else {
        let expr = |b: Option<Result<Bytes, Expr>>| {
            b.map(|b| match b {
                Ok(c) => Expr::Const(Some(c)),
                Err(e) => e,
            })
        };
        Sel::SliceAt(Box::new(inner), expr(lo), expr(hi), t.clone(), label)
    };
    Ok((sel, t, name))
}

/// `[a, b, ...]` (Cassandra 4.0+): a frozen list whose element type is that of the
/// first non-constant element; constants take that type, other elements must have it.
pub(super) fn compile_list<S: ColumnSource>(
    src: &S,
    items: &[SelectorExpr],
    m: &mut Markers,
) -> Result<Compiled, RequestError> {
    let mut typed = None;
    for it in items {
        if !matches!(it, SelectorExpr::Term(_)) {
            typed = Some(compile_expr(src, it, m)?.1);
            break;
        }
    }
    let Some(elem) = typed else {
        return Err(RequestError::Server("a list selector of constants".into()));
    };
    let mut sels = Vec::with_capacity(items.len());
    let mut labels = Vec::with_capacity(items.len());
    for it in items {
        let (s, t, l) = match it {
            SelectorExpr::Term(t) => compile_term_as(t, &elem, m)?,
            _ => compile_expr(src, it, m)?,
        };
        if t.unfrozen() != elem.unfrozen() {
            return Err(RequestError::invalid(format!(
                "Invalid list literal for selection: value {l} is not of type {}",
                elem.cql_name()
            )));
        }
        sels.push(s);
        labels.push(l);
    }
    Ok((
        Sel::List(sels),
        CqlType::List(Box::new(elem)),
        format!("[{}]", labels.join(", ")),
    ))
}

/// The serialized list of the elements' values; a null element is refused.
pub(super) fn list_value(items: &[Sel], row: &RowView) -> Result<Bytes, RequestError> {
    let mut out = BytesMut::new();
    out.put_i32(i32::try_from(items.len()).unwrap_or(i32::MAX));
    for it in items {
        let v = it
            .eval(row)?
            .ok_or_else(|| RequestError::invalid("null is not supported inside collections"))?;
        out.put_i32(i32::try_from(v.len()).unwrap_or(i32::MAX));
        out.put_slice(&v);
    }
    Ok(out.freeze())
}

/// `ElementAt` with the request's value for its key.
pub(super) fn bind_element(
    inner: Box<Sel>,
    key: &Expr,
    t: &CqlType,
    label: &str,
    ctx: &EvalCtx<'_>,
) -> Result<Sel, RequestError> {
    match key.eval(ctx)? {
        Val::Bytes(b) => Ok(Sel::Element(inner, b, t.clone())),
        Val::Null => Err(RequestError::invalid(format!(
            "Invalid null value for element selection on {label}"
        ))),
        Val::Unset => Err(RequestError::invalid(format!(
            "Invalid unset value for element selection on {label}"
        ))),
    }
}

/// `SliceAt` with the request's values for its bounds (unset: no bound).
pub(super) fn bind_slice(
    inner: Box<Sel>,
    lo: Option<&Expr>,
    hi: Option<&Expr>,
    t: &CqlType,
    label: &str,
    ctx: &EvalCtx<'_>,
) -> Result<Sel, RequestError> {
    let bound = |e: Option<&Expr>| -> Result<Option<Bytes>, RequestError> {
        let Some(e) = e else { return Ok(None) };
        match e.eval(ctx)? {
            Val::Bytes(b) => Ok(Some(b)),
            Val::Unset => Ok(None),
            Val::Null => Err(RequestError::invalid(format!(
                "Invalid null value for slice selection on {label}"
            ))),
        }
    };
    Ok(Sel::Slice(inner, bound(lo)?, bound(hi)?, t.clone()))
}

/// `coll[key]` on a serialized collection.
pub(super) fn element(
    b: &Bytes,
    key: &Bytes,
    typ: &CqlType,
) -> Result<Option<Bytes>, RequestError> {
    let items = crate::exec::modify::split_collection(b, typ)?;
    Ok(match typ.unfrozen() {
        CqlType::Map(kt, _) => items
            .chunks(2)
            .find(|kv| {
                kv.first()
                    .is_some_and(|k| values::compare(kt, k, key).is_eq())
            })
            .and_then(|kv| kv.get(1).cloned()),
        CqlType::Set(et) => items
            .into_iter()
            .find(|e| values::compare(et, e, key).is_eq()),
        _ => None,
    })
}

/// `coll[lo..hi]` on a serialized set or map: the elements (or entries) whose key lies
/// within the inclusive bounds, as a collection of the same type; none left is null.
pub(super) fn slice(
    b: &Bytes,
    lo: Option<&Bytes>,
    hi: Option<&Bytes>,
    typ: &CqlType,
) -> Result<Option<Bytes>, RequestError> {
    let (key_t, per) = match typ.unfrozen() {
        CqlType::Map(k, _) => (&**k, 2),
        CqlType::Set(k) => (&**k, 1),
        _ => return Ok(None),
    };
    let items = crate::exec::modify::split_collection(b, typ)?;
    let inside = |k: &Bytes| {
        lo.is_none_or(|lo| values::compare(key_t, k, lo).is_ge())
            && hi.is_none_or(|hi| values::compare(key_t, k, hi).is_le())
    };
    let kept: Vec<&[Bytes]> = items
        .chunks(per)
        .filter(|e| e.first().is_some_and(inside))
        .collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let mut out = BytesMut::new();
    out.put_i32(i32::try_from(kept.len()).unwrap_or(i32::MAX));
    for part in kept.iter().flat_map(|e| e.iter()) {
        out.put_i32(i32::try_from(part.len()).unwrap_or(i32::MAX));
        out.put_slice(part);
    }
    Ok(Some(out.freeze()))
}
