//! Evaluating compiled restrictions with bound values: partition keys with their
//! tokens, clustering prefixes and byte-order slices.

use bytes::{Bytes, BytesMut};
use cql::types::CqlType;
use storage::ClusteringBound;

use super::{KeyValues, Restrictions, SliceEnd};
use crate::error::RequestError;
use crate::exec::term::{EvalCtx, Expr, Val};
use crate::exec::values;
use crate::exec::TableRef;

/// Evaluates key values to serialized values; null and unset are rejected with
/// Cassandra's messages.
pub fn eval_values(
    v: &KeyValues,
    ctx: &EvalCtx<'_>,
    column: &str,
) -> Result<Vec<Bytes>, RequestError> {
    let one = |e: &Expr| eval_one(e, ctx, column);
    match v {
        KeyValues::Eq(e) => Ok(vec![one(e)?]),
        KeyValues::In(es) => {
            let mut out = Vec::with_capacity(es.len());
            for e in es {
                out.push(one(e)?);
            }
            Ok(out)
        }
        KeyValues::InMarker(e, elem) => {
            let list = match e.eval(ctx)? {
                Val::Bytes(b) => b,
                Val::Null => {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value for IN restriction on {column}"
                    )))
                }
                Val::Unset => {
                    return Err(RequestError::invalid(format!(
                        "Invalid unset value for column {column}"
                    )))
                }
            };
            split_list(&list, elem)
        }
    }
}

/// Evaluates one key value (see [`eval_values`]).
fn eval_one(e: &Expr, ctx: &EvalCtx<'_>, column: &str) -> Result<Bytes, RequestError> {
    match e.eval(ctx)? {
        Val::Bytes(b) => Ok(b),
        Val::Null => Err(RequestError::invalid(format!(
            "Invalid null value in condition for column {column}"
        ))),
        Val::Unset => Err(RequestError::invalid(format!(
            "Invalid unset value for column {column}"
        ))),
    }
}

/// Splits a serialized `list<elem>` into its serialized elements.
pub fn split_list(list: &Bytes, _elem: &CqlType) -> Result<Vec<Bytes>, RequestError> {
    let bad = || RequestError::invalid("Invalid list value for an IN restriction");
    let n = list.get(0..4).ok_or_else(bad)?;
    let n = i32::from_be_bytes([n[0], n[1], n[2], n[3]]);
    if n < 0 {
        return Err(bad());
    }
    let mut pos = 4usize;
    let mut out = Vec::with_capacity((n as usize).min(1024));
    for _ in 0..n {
        let l = list.get(pos..pos + 4).ok_or_else(bad)?;
        let l = i32::from_be_bytes([l[0], l[1], l[2], l[3]]);
        pos += 4;
        if l < 0 {
            return Err(bad());
        }
        let end = pos + l as usize;
        if end > list.len() {
            return Err(bad());
        }
        out.push(list.slice(pos..end));
        pos = end;
    }
    Ok(out)
}

/// Cartesian product of per-column value lists (IN on several columns).
pub fn cartesian(cols: Vec<Vec<Bytes>>) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = vec![Vec::with_capacity(cols.len())];
    for vals in cols {
        let mut next = Vec::with_capacity(out.len() * vals.len());
        for prefix in &out {
            for v in &vals {
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

/// The partition keys the restrictions select, deduplicated, with their tokens, in
/// the order Cassandra returns them (by the key's natural order).
pub fn partition_keys(
    t: &TableRef,
    r: &Restrictions,
    ctx: &EvalCtx<'_>,
) -> Result<Vec<(i64, Bytes)>, RequestError> {
    // A one-column key given with `=` (nearly every write and point read): one
    // value, no per-column vectors.
    if let ([Some(KeyValues::Eq(e))], Some(c)) = (&r.pk[..], t.def.partition_key_columns().next()) {
        let v = eval_one(e, ctx, &c.name)?;
        return Ok(vec![keyed(values::partition_key(std::slice::from_ref(
            &v,
        )))?]);
    }
    let mut cols = Vec::with_capacity(r.pk.len());
    for (c, v) in t.def.partition_key_columns().zip(r.pk.iter()) {
        let v = v.as_ref().ok_or_else(|| {
            RequestError::invalid(format!("Some partition key parts are missing: {}", c.name))
        })?;
        let mut vals = eval_values(v, ctx, &c.name)?;
        vals.sort_by(|a, b| values::compare(&c.typ, a, b));
        vals.dedup();
        cols.push(vals);
    }
    // One value per key column (every point read and write): the key is those values,
    // with no cartesian product (a handful of vectors) built to find that out.
    if cols.iter().all(|vals| vals.len() == 1) {
        let key = match cols.as_slice() {
            [only] => values::partition_key(only),
            _ => values::partition_key(&cols.into_iter().flatten().collect::<Vec<_>>()),
        };
        return Ok(vec![keyed(key)?]);
    }
    let mut keys = Vec::new();
    for comps in cartesian(cols) {
        keys.push(keyed(values::partition_key(&comps))?);
    }
    Ok(keys)
}

/// A partition key with its token, or the error for a key too long to store.
fn keyed(key: Bytes) -> Result<(i64, Bytes), RequestError> {
    if key.len() > u16::MAX as usize {
        return Err(RequestError::invalid(format!(
            "Key length of {} is longer than maximum of {}",
            key.len(),
            u16::MAX
        )));
    }
    Ok((crate::coordinator::Coordinator::token(&key), key))
}

/// Encodes a clustering prefix (serialized values, one per leading clustering column).
pub fn encode_prefix(t: &TableRef, vals: &[Bytes]) -> Result<Bytes, RequestError> {
    let mut out = BytesMut::new();
    for (v, (typ, desc)) in vals.iter().zip(t.ck_types.iter()) {
        values::encode_clustering(&mut out, typ, v, *desc)
            .map_err(|e| RequestError::invalid(e.to_string()))?;
    }
    Ok(out.freeze())
}

/// The clustering prefixes selected by the = / IN restrictions, sorted in byte order.
pub fn clustering_prefixes(
    t: &TableRef,
    r: &Restrictions,
    ctx: &EvalCtx<'_>,
) -> Result<Vec<Bytes>, RequestError> {
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let mut out = Vec::new();
    if let Some(tuples) = &r.ck_tuples {
        for tuple in tuples {
            let mut vals = Vec::with_capacity(tuple.len());
            for (e, c) in tuple.iter().zip(ck.iter()) {
                vals.extend(eval_values(&KeyValues::Eq(e.clone()), ctx, &c.name)?);
            }
            out.push(encode_prefix(t, &vals)?);
        }
    } else {
        let mut cols = Vec::with_capacity(r.ck_eq.len());
        for (v, c) in r.ck_eq.iter().zip(ck.iter()) {
            cols.push(eval_values(v, ctx, &c.name)?);
        }
        for vals in cartesian(cols) {
            out.push(encode_prefix(t, &vals)?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Byte-order slices for storage: every prefix, narrowed by the slice if any.
pub fn clustering_slices(
    t: &TableRef,
    r: &Restrictions,
    ctx: &EvalCtx<'_>,
) -> Result<Vec<(ClusteringBound, ClusteringBound)>, RequestError> {
    let prefixes = clustering_prefixes(t, r, ctx)?;
    let Some(slice) = &r.ck_slice else {
        if !r.has_clustering() {
            return Ok(Vec::new());
        }
        return Ok(prefixes
            .into_iter()
            .map(|p| {
                (
                    ClusteringBound::Inclusive(p.clone()),
                    ClusteringBound::Inclusive(p),
                )
            })
            .collect());
    };
    let first = r.ck_eq.len();
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let bound = |end: &SliceEnd,
                 prefix: &Bytes|
     -> Result<Option<(Bytes, bool, bool)>, RequestError> {
        let mut vals = Vec::with_capacity(end.values.len());
        for (i, e) in end.values.iter().enumerate() {
            let name = ck.get(first + i).map(|c| c.name.as_str()).unwrap_or("");
            match e.eval(ctx)? {
                Val::Bytes(b) => vals.push(b),
                Val::Null => {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value in condition for column {name}"
                    )))
                }
                Val::Unset => return Ok(None),
            }
        }
        let desc = t.ck_types.get(first).map(|(_, d)| *d).unwrap_or(false);
        if vals.len() > 1
            && t.ck_types
                .iter()
                .skip(first)
                .take(vals.len())
                .any(|(_, d)| *d != desc)
        {
            return Err(RequestError::invalid(
                "Multi-column slices over clustering columns of mixed ASC/DESC order are not supported by Helenus yet",
            ));
        }
        let mut b = BytesMut::from(&prefix[..]);
        for (v, (typ, d)) in vals.iter().zip(t.ck_types.iter().skip(first)) {
            values::encode_clustering(&mut b, typ, v, *d)
                .map_err(|e| RequestError::invalid(e.to_string()))?;
        }
        Ok(Some((b.freeze(), end.inclusive, desc)))
    };
    let mut out = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        let lo = match &slice.start {
            Some(e) => bound(e, &p)?,
            None => None,
        };
        let hi = match &slice.end {
            Some(e) => bound(e, &p)?,
            None => None,
        };
        let open = |p: &Bytes, is_start: bool| {
            if p.is_empty() {
                if is_start {
                    ClusteringBound::Bottom
                } else {
                    ClusteringBound::Top
                }
            } else {
                ClusteringBound::Inclusive(p.clone())
            }
        };
        let mk = |b: (Bytes, bool, bool)| {
            if b.1 {
                ClusteringBound::Inclusive(b.0)
            } else {
                ClusteringBound::Exclusive(b.0)
            }
        };
        let desc = t.ck_types.get(first).map(|(_, d)| *d).unwrap_or(false);
        // On a DESC column the byte order is the reverse of the value order: the lower
        // value bound is the byte-order end.
        let (byte_start, byte_end) = if desc { (hi, lo) } else { (lo, hi) };
        let s = byte_start.map(mk).unwrap_or_else(|| open(&p, true));
        let e = byte_end.map(mk).unwrap_or_else(|| open(&p, false));
        out.push((s, e));
    }
    Ok(out)
}
