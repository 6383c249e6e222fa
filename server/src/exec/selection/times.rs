//! `WRITETIME`, `MAXWRITETIME` and `TTL` selectors (5.0's `WritetimeOrTTL`): of a
//! column, or of what an element, slice or field selection picks out of it
//! (`writetime(s[1])`, `ttl(m['k'])`, `writetime(s[1..3])`, `writetime(u.f)`).
//!
//! Cassandra's rules (`ColumnTimestamps`): a frozen column has one write time and TTL,
//! shared by every element or field of it; a non-frozen collection or UDT has one per
//! element (per field). The selection picks from those by the position of the selected
//! element in the collection; a slice of a non-frozen collection gives a list (one
//! entry per element in the slice, `MAXWRITETIME` their maximum); nothing selected
//! (a missing key, an empty slice, a null field) gives null. Lists refuse element and
//! slice selection, as everywhere in the selection clause.

use bytes::Bytes;
use cql::parser::ast::SelectorExpr;
use cql::types::CqlType;

use super::{compile_expr, element_list, ColumnSource, RowView, Sel};
use crate::error::RequestError;
use crate::exec::term::Markers;
use crate::exec::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimesKind {
    WriteTime,
    MaxWriteTime,
    Ttl,
}

impl TimesKind {
    fn name(self) -> &'static str {
        match self {
            TimesKind::WriteTime => "writetime",
            TimesKind::MaxWriteTime => "maxwritetime",
            TimesKind::Ttl => "ttl",
        }
    }

    fn scalar(self) -> CqlType {
        match self {
            TimesKind::Ttl => CqlType::Int,
            _ => CqlType::Bigint,
        }
    }
}

/// What the selection picks out of the column, at the first level.
#[derive(Debug, Clone)]
pub enum Step {
    /// `c[key]` on a set or map of type `.1`.
    Element(Bytes, CqlType),
    /// `c[lo..hi]` (inclusive, either open) on a set or map.
    Slice(Option<Bytes>, Option<Bytes>, CqlType),
    /// `u.f`: the field's position.
    Field(usize),
}

/// A compiled `writetime(...)`-like selector over a sub-selection of column `col`.
#[derive(Debug, Clone)]
pub struct Times {
    kind: TimesKind,
    col: usize,
    /// Whether the column has a write time per element (non-frozen).
    multi_cell: bool,
    /// The whole sub-selection: a null value selects nothing; its step on the column
    /// ([`first_step`]) says which element times to take.
    value: Box<Sel>,
    /// A list of times (a slice of a non-frozen collection), not one.
    list: bool,
}

/// Compiles `kind(inner)`; `Ok(None)` when `inner` is a plain column (the caller's
/// whole-column selectors handle it).
pub(super) fn compile<S: ColumnSource>(
    src: &S,
    kind: TimesKind,
    inner: &SelectorExpr,
    m: &mut Markers,
) -> Result<Option<(Sel, CqlType, String)>, RequestError> {
    if matches!(inner, SelectorExpr::Column(_)) {
        return Ok(None);
    }
    let Some(root) = root_column(inner) else {
        return Err(RequestError::invalid(format!(
            "{} can only be applied to a column, or an element, slice or field of one",
            kind.name()
        )));
    };
    let (col, col_type, is_key) = src
        .find(root)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {root}")))?;
    if is_key {
        return Err(RequestError::invalid(format!(
            "Cannot use selection function {} on PRIMARY KEY part {root}",
            kind.name()
        )));
    }
    let (value, typ, label) = compile_expr(src, inner, m)?;
    let list = typ.is_multi_cell() && kind != TimesKind::MaxWriteTime;
    let out_type = if list {
        CqlType::List(Box::new(kind.scalar()))
    } else {
        kind.scalar()
    };
    let sel = Sel::Times(Times {
        kind,
        col,
        multi_cell: col_type.is_multi_cell(),
        value: Box::new(value),
        list,
    });
    Ok(Some((sel, out_type, format!("{}({label})", kind.name()))))
}

fn root_column(e: &SelectorExpr) -> Option<&str> {
    match e {
        SelectorExpr::Column(c) => Some(c),
        SelectorExpr::Element { expr, .. }
        | SelectorExpr::Slice { expr, .. }
        | SelectorExpr::Field { expr, .. } => root_column(expr),
        _ => None,
    }
}

/// The selection step applied directly to column `col`.
fn first_step(s: &Sel, col: usize) -> Option<Step> {
    let (inner, step) = match s {
        Sel::Element(inner, key, t) => (inner, Step::Element(key.clone(), t.clone())),
        Sel::Slice(inner, lo, hi, t) => (inner, Step::Slice(lo.clone(), hi.clone(), t.clone())),
        Sel::Field(inner, i) => (inner, Step::Field(*i)),
        _ => return None,
    };
    match &**inner {
        Sel::Column(c) if *c == col => Some(step),
        other => first_step(other, col),
    }
}

impl Times {
    pub(super) fn has_marker(&self) -> bool {
        self.value.has_marker()
    }

    pub(super) fn bound(
        &self,
        ctx: &crate::exec::term::EvalCtx<'_>,
    ) -> Result<Times, RequestError> {
        Ok(Times {
            value: Box::new(self.value.bound(ctx)?),
            ..*self
        })
    }

    pub(super) fn eval(&self, row: &RowView) -> Result<Option<Bytes>, RequestError> {
        if self.value.eval(row)?.is_none() {
            return Ok(None);
        }
        let Some(cell) = row.cells.get(self.col) else {
            return Ok(None);
        };
        let pick = |(wt, ttl): (Option<i64>, Option<i32>)| -> Option<Vec<u8>> {
            match self.kind {
                TimesKind::Ttl => ttl.map(|t| t.to_be_bytes().to_vec()),
                _ => wt.map(|t| t.to_be_bytes().to_vec()),
            }
        };
        if !self.multi_cell {
            // Frozen: the element shares the column's one write time and TTL.
            return Ok(pick((cell.writetime, cell.ttl)).map(Bytes::from));
        }
        let Some(whole) = &cell.value else {
            return Ok(None);
        };
        // Element keys given as markers are known once bound, so the step is read
        // from the (bound) sub-selection here.
        let step = first_step(&self.value, self.col).ok_or_else(|| {
            RequestError::Server("a sub-selection without a step on its column".into())
        })?;
        let indexes = indexes(&step, whole)?;
        let times: Vec<(Option<i64>, Option<i32>)> = indexes
            .into_iter()
            .filter_map(|i| cell.elements.get(i).copied())
            .collect();
        Ok(match (self.list, self.kind) {
            (true, _) => element_list(times.into_iter().map(pick)),
            (false, TimesKind::MaxWriteTime) => times
                .iter()
                .filter_map(|(wt, _)| *wt)
                .max()
                .map(|t| Bytes::copy_from_slice(&t.to_be_bytes())),
            (false, _) => times.into_iter().next().and_then(pick).map(Bytes::from),
        })
    }
}

/// Positions, in the column's element order, of what the step selects.
fn indexes(step: &Step, whole: &Bytes) -> Result<Vec<usize>, RequestError> {
    let typ = match step {
        Step::Field(i) => return Ok(vec![*i]),
        Step::Element(_, t) | Step::Slice(_, _, t) => t,
    };
    let (key_t, per) = match typ.unfrozen() {
        CqlType::Map(k, _) => (&**k, 2),
        CqlType::Set(k) => (&**k, 1),
        _ => return Ok(vec![]),
    };
    let selected = |k: &Bytes| match step {
        Step::Element(key, _) => values::compare(key_t, k, key).is_eq(),
        Step::Slice(lo, hi, _) => {
            lo.as_ref()
                .is_none_or(|lo| values::compare(key_t, k, lo).is_ge())
                && hi
                    .as_ref()
                    .is_none_or(|hi| values::compare(key_t, k, hi).is_le())
        }
        Step::Field(_) => false,
    };
    let items = crate::exec::modify::split_collection(whole, typ)?;
    Ok(items
        .chunks(per)
        .enumerate()
        .filter(|(_, e)| e.first().is_some_and(selected))
        .map(|(i, _)| i)
        .collect())
}
