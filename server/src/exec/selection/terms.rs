//! Term selectors: constants, bind markers and `(type)` hints in the selection, and
//! how an untyped operand of an operator or function takes its type from a sibling
//! (`i + 1` is an int, `similarity_cosine(v, ?)` binds a vector).

use cql::parser::ast::{SelectorExpr, Term};
use cql::types::CqlType;

use super::{compile_expr, is_numeric, ColumnSource, Sel};
use crate::error::RequestError;
use crate::exec::term::{self, EvalCtx, Markers};

/// A term selector as a constant of type `typ` (bind markers in selectors are not
/// supported: the selection is evaluated without the request's values).
pub(super) fn compile_term_as(
    t: &Term,
    typ: &CqlType,
    m: &mut Markers,
) -> Result<(Sel, CqlType, String), RequestError> {
    if let Term::BindMarker(mk) = t {
        let name = mk.name.clone().unwrap_or_else(|| "selector".into());
        let e = term::compile(t, typ, &name, m, None)?;
        return Ok((Sel::Marker(e), typ.clone(), "?".into()));
    }
    let e = term::compile(t, typ, "selector", m, None)?;
    let v = e.eval(&EvalCtx { values: &[] })?;
    Ok((Sel::Const(v.bytes().cloned()), typ.clone(), term_label(t)))
}

/// A bind marker without a type hint.
pub(super) fn is_bare_marker(e: &SelectorExpr) -> bool {
    matches!(e, SelectorExpr::Term(Term::BindMarker(_)))
}

/// A term as Cassandra names it in a column label (`'k'`, `1`, `?`).
pub(super) fn term_label(t: &Term) -> String {
    match t {
        Term::Literal(l) if l.kind == cql::types::LiteralKind::String => {
            format!("'{}'", l.text.replace('\'', "''"))
        }
        Term::Literal(l) => l.text.clone(),
        Term::BindMarker(mk) => mk.name.as_ref().map_or("?".into(), |n| format!(":{n}")),
        _ => "term".into(),
    }
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
pub(super) fn compile_operands<S: ColumnSource>(
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

/// The type of a `(type)` hint in a selector (user types are not looked up here).
pub(super) fn hint_type(t: &cql::parser::ast::RawType) -> Result<CqlType, RequestError> {
    use cql::parser::ast::RawType as R;
    let b = |t: &R| hint_type(t).map(Box::new);
    Ok(match t {
        R::Native(t) => t.clone(),
        R::List(e) => CqlType::List(b(e)?),
        R::Set(e) => CqlType::Set(b(e)?),
        R::Map(k, v) => CqlType::Map(b(k)?, b(v)?),
        R::Tuple(ts) => CqlType::Tuple(ts.iter().map(hint_type).collect::<Result<_, _>>()?),
        R::Frozen(e) => CqlType::Frozen(b(e)?),
        R::Vector(e, n) => CqlType::Vector(b(e)?, *n),
        R::UserDefined(n) => {
            return Err(RequestError::invalid(format!(
                "Type hints with user types ({n}) in selectors are not supported by Helenus yet"
            )))
        }
    })
}

pub(super) fn literal_type(k: cql::types::LiteralKind) -> CqlType {
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
