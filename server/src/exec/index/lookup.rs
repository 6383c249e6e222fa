//! Which built index answers a query, and the index partition it reads: the value of
//! one restriction an index serves by equality (`=`, CONTAINS, CONTAINS KEY,
//! `m[k] = v`), else the range restrictions on a column an ordered (SAI, SASI)
//! index serves. Every other restriction, the chosen one included, is still checked
//! on the base row read for each entry, which is also what makes stale entries
//! harmless.

use std::sync::Arc;

use bytes::Bytes;
use cql::parser::ast::Operator;

use storage::ClusteringBound;

use super::entries::Indexed;
use super::{layout, Target};
use crate::error::RequestError;
use crate::exec::restrict::{Filter, KeyValues, Restrictions};
use crate::exec::term::{EvalCtx, Expr, Val};
use crate::exec::TableRef;
use crate::schema::IndexDef;

/// One index partition to read, and what of it.
pub struct Lookup {
    pub index: Indexed,
    pub token: i64,
    pub key: Bytes,
    /// The ordered layout's clustering prefix of an equality (empty otherwise).
    pub value_prefix: Bytes,
    /// The entries of a range or of `IN`, to read whole and sort into token order
    /// (empty for an equality, which reads `key` from `value_prefix` in order).
    pub collect: Vec<Slice>,
    /// The value looked up by equality in a regular column's index, to recognise
    /// stale entries (`stale`).
    pub value: Option<Bytes>,
}

/// A slice of one index partition.
pub struct Slice {
    pub token: i64,
    pub key: Bytes,
    pub bounds: (ClusteringBound, ClusteringBound),
}

impl Slice {
    fn of(key: Bytes, bounds: (ClusteringBound, ClusteringBound)) -> Slice {
        Slice {
            token: crate::coordinator::Coordinator::token(&key),
            key,
            bounds,
        }
    }
}

/// The lookup for a query not restricted to whole partitions, or `None` when no
/// built index serves one of its restrictions by equality (the caller scans).
pub fn choose(
    engine: &Arc<storage::Engine>,
    t: &TableRef,
    r: &Restrictions,
    ctx: &EvalCtx<'_>,
) -> Result<Option<Lookup>, RequestError> {
    let usable = |i: &IndexDef| super::build::is_built(engine, &t.def, i);
    for f in &r.filters {
        for i in t.def.indexes.iter().filter(|i| serves_eq(t, i, f)) {
            if !usable(i) {
                continue;
            }
            let Some(index) = Indexed::new(&t.def, i) else {
                continue;
            };
            let normalize = |v: Bytes| match t.def.columns.get(f.column) {
                Some(c) if index.kind == Target::Full => crate::exec::values::normalize(&v, &c.typ)
                    .map_err(|e| RequestError::invalid(e.to_string())),
                _ => Ok(v),
            };
            let KeyValues::Eq(e) = &f.values else {
                // `v IN (...)`: the entries of each value (a bad value: the scan
                // reports it).
                let col = t.def.columns.get(f.column).map_or("", |c| c.name.as_str());
                let Ok(vs) = crate::exec::restrict::eval_values(&f.values, ctx, col) else {
                    return Ok(None);
                };
                let vs = vs
                    .into_iter()
                    .map(normalize)
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(Some(any_of(index, &vs)));
            };
            let Some(v) = bytes_of(e, ctx)? else {
                return Ok(None);
            };
            let mut v = normalize(v)?;
            if let Some(k) = &f.map_key {
                let Some(k) = bytes_of(k, ctx)? else {
                    return Ok(None);
                };
                v = Bytes::from(layout::map_entry(&k, &v));
            }
            return Ok(Some(lookup(index, &v)));
        }
    }
    // `c = ?` on a clustering column without the partition key stays a clustering
    // restriction (a slice on every partition); an index on the column answers it.
    if !r.pk_complete() {
        for (pos, v) in r.ck_eq.iter().enumerate() {
            let KeyValues::Eq(e) = v else { continue };
            let Some(name) = t
                .def
                .clustering
                .get(pos)
                .and_then(|c| t.def.columns.get(*c))
            else {
                continue;
            };
            let found = t
                .def
                .indexes
                .iter()
                .find(|i| super::target(i) == (name.name.clone(), Target::Simple) && usable(i));
            if let Some(index) = found.and_then(|i| Indexed::new(&t.def, i)) {
                let Some(v) = bytes_of(e, ctx)? else {
                    return Ok(None);
                };
                return Ok(Some(lookup(index, &v)));
            }
        }
    }
    range(engine, t, r, ctx)
}

/// The lookup of `value` by equality.
fn lookup(index: Indexed, value: &[u8]) -> Lookup {
    let (key, value_prefix) = match &index.ordered {
        None => (layout::entry_key(value), Bytes::new()),
        Some(t) => (
            Bytes::from_static(layout::ORDERED_KEY),
            layout::value_prefix(t, value).unwrap_or_default(),
        ),
    };
    let value = index.regular_cell().map(|_| Bytes::copy_from_slice(value));
    Lookup {
        index,
        token: crate::coordinator::Coordinator::token(&key),
        key,
        value_prefix,
        collect: Vec::new(),
        value,
    }
}

/// The lookup of any of `values` (`IN`).
fn any_of(index: Indexed, values: &[Bytes]) -> Lookup {
    let collect = values
        .iter()
        .map(|v| match &index.ordered {
            None => Slice::of(
                layout::entry_key(v),
                (ClusteringBound::Bottom, ClusteringBound::Top),
            ),
            Some(t) => {
                let p = layout::value_prefix(t, v).unwrap_or_default();
                Slice::of(
                    Bytes::from_static(layout::ORDERED_KEY),
                    (
                        ClusteringBound::Inclusive(p.clone()),
                        ClusteringBound::Inclusive(p),
                    ),
                )
            }
        })
        .collect();
    Lookup {
        index,
        token: 0,
        key: Bytes::new(),
        value_prefix: Bytes::new(),
        collect,
        value: None,
    }
}

/// The lookup of the range restrictions (`<`, `<=`, `>`, `>=`) on one column that
/// an index in the ordered layout serves. One bound per side is enough: every
/// restriction is checked again on the rows.
fn range(
    engine: &Arc<storage::Engine>,
    t: &TableRef,
    r: &Restrictions,
    ctx: &EvalCtx<'_>,
) -> Result<Option<Lookup>, RequestError> {
    let ranged = |f: &&Filter| {
        matches!(
            f.op,
            Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte | Operator::Like
        ) && f.map_key.is_none()
    };
    for f in r.filters.iter().filter(ranged) {
        let Some(col) = t.def.columns.get(f.column) else {
            continue;
        };
        let found = t.def.indexes.iter().find(|i| {
            super::target(i) == (col.name.clone(), Target::Simple)
                && (super::is_sai(i) || super::is_sasi(i))
                && super::build::is_built(engine, &t.def, i)
        });
        let Some(index) = found.and_then(|i| Indexed::new(&t.def, i)) else {
            continue;
        };
        let Some(typ) = index.ordered.clone() else {
            continue;
        };
        let (mut start, mut end) = (ClusteringBound::Bottom, ClusteringBound::Top);
        for g in r
            .filters
            .iter()
            .filter(ranged)
            .filter(|g| g.column == f.column)
        {
            let KeyValues::Eq(e) = &g.values else {
                return Ok(None);
            };
            let Some(v) = bytes_of(e, ctx)? else {
                return Ok(None);
            };
            if g.op == Operator::Like {
                // `'abc%'`: the texts starting with abc, a prefix of the encoded
                // value. Other patterns bound nothing.
                if let Some(p) = like_prefix(&typ, &v) {
                    start = ClusteringBound::Inclusive(p.clone());
                    end = ClusteringBound::Inclusive(p);
                }
                continue;
            }
            let Some(p) = layout::value_prefix(&typ, &v) else {
                return Ok(None);
            };
            match g.op {
                Operator::Gt => start = ClusteringBound::Exclusive(p),
                Operator::Gte => start = ClusteringBound::Inclusive(p),
                Operator::Lt => end = ClusteringBound::Exclusive(p),
                _ => end = ClusteringBound::Inclusive(p),
            }
        }
        if (&start, &end) == (&ClusteringBound::Bottom, &ClusteringBound::Top) {
            // Every entry of the index, then a base read each: a scan is cheaper.
            continue;
        }
        let key = Bytes::from_static(layout::ORDERED_KEY);
        return Ok(Some(Lookup {
            index,
            token: 0,
            key: Bytes::new(),
            value_prefix: Bytes::new(),
            collect: vec![Slice::of(key, (start, end))],
            value: None,
        }));
    }
    Ok(None)
}

/// The ordered layout's clustering prefix of every text matching `pattern` when it
/// is a prefix pattern (`abc%`): the encoded `abc` without its terminator.
fn like_prefix(typ: &cql::types::CqlType, pattern: &[u8]) -> Option<Bytes> {
    use cql::types::CqlType as T;
    if !matches!(typ, T::Text | T::Ascii) || pattern.starts_with(b"%") {
        return None;
    }
    let needle = pattern.strip_suffix(b"%")?;
    let encoded = layout::value_prefix(typ, needle)?;
    // Text encodes as 0x02, the escaped bytes, then the 0x00 0x00 terminator.
    encoded.strip_suffix(&[0, 0]).map(Bytes::copy_from_slice)
}

fn bytes_of(e: &Expr, ctx: &EvalCtx<'_>) -> Result<Option<Bytes>, RequestError> {
    Ok(match e.eval(ctx)? {
        Val::Bytes(b) => Some(b),
        Val::Null | Val::Unset => None,
    })
}

/// Whether index `i` answers filter `f` by equality on its value.
fn serves_eq(t: &TableRef, i: &IndexDef, f: &Filter) -> bool {
    let Some(col) = t.def.columns.get(f.column) else {
        return false;
    };
    let (name, kind) = super::target(i);
    if name != col.name {
        return false;
    }
    matches!(
        (f.op, kind, f.map_key.is_some()),
        (Operator::Eq, Target::Entries, true)
            | (Operator::Eq, Target::Simple | Target::Full, false)
            | (Operator::Contains, Target::Values, false)
            | (Operator::ContainsKey, Target::Keys, false)
    )
}
