//! From storage rows to CQL rows: cells, collections rebuilt from their cells, and
//! the ALLOW FILTERING predicates.

use bytes::Bytes;
use cql::parser::ast::Operator;
use cql::types::CqlType;
use storage::CellValue;

use crate::error::RequestError;
use crate::exec::restrict::{self, Filter};
use crate::exec::selection::RowView;
use crate::exec::term::EvalCtx;
use crate::exec::values;
use crate::exec::TableRef;

/// Fills the row's cells from storage cells (sorted by column, then path).
pub fn fill_cells(
    t: &TableRef,
    row: &mut RowView,
    cells: &[storage::Cell],
    now: i32,
) -> Result<(), RequestError> {
    let mut i = 0;
    while i < cells.len() {
        let col = cells[i].column;
        let mut j = i + 1;
        while j < cells.len() && cells[j].column == col {
            j += 1;
        }
        let group = &cells[i..j];
        i = j;
        let Some(idx) = t.column_index(col) else {
            continue;
        };
        let Some(def) = t.def.columns.get(idx) else {
            continue;
        };
        let view = &mut row.cells[idx];
        if def.typ.is_multi_cell() {
            view.value = assemble(&def.typ, group)?;
            // Per-element write time and TTL, in the order `assemble` emits elements,
            // for WRITETIME / TTL / MAXWRITETIME of a non-frozen collection.
            let live = group.iter().filter_map(|c| match (&c.path, &c.value) {
                (Some(p), CellValue::Live { ttl, .. }) => Some((
                    p,
                    (Some(c.timestamp), ttl.map(|(_, exp)| (exp - now).max(0))),
                )),
                _ => None,
            });
            view.elements = match def.typ.unfrozen() {
                // One entry per field, by the field position in the cell path; a field
                // without a cell has no write time.
                CqlType::Udt(u) => {
                    let mut per_field = vec![(None, None); u.fields.len()];
                    for (p, times) in live {
                        if let [a, b] = p[..] {
                            if let Some(slot) =
                                per_field.get_mut(u16::from_be_bytes([a, b]) as usize)
                            {
                                *slot = times;
                            }
                        }
                    }
                    per_field
                }
                _ => live.map(|(_, times)| times).collect(),
            };
        } else if let Some(c) = group.last() {
            match &c.value {
                CellValue::Live { value, ttl } => {
                    view.value = Some(value.clone());
                    view.writetime = Some(c.timestamp);
                    view.ttl = ttl.map(|(_, exp)| (exp - now).max(0));
                }
                CellValue::Counter { delta } => {
                    view.value = Some(Bytes::copy_from_slice(&delta.to_be_bytes()))
                }
                CellValue::Tombstone { .. } => {}
            }
        }
    }
    Ok(())
}

/// Rebuilds a serialized collection or UDT from its cells.
fn assemble(typ: &CqlType, cells: &[storage::Cell]) -> Result<Option<Bytes>, RequestError> {
    use bytes::BufMut;
    let live: Vec<(&Bytes, &Bytes)> = cells
        .iter()
        .filter_map(|c| match (&c.path, &c.value) {
            (Some(p), CellValue::Live { value, .. }) => Some((p, value)),
            _ => None,
        })
        .collect();
    if live.is_empty() {
        return Ok(None);
    }
    let corrupt =
        |e: cql::types::TypeError| RequestError::Server(format!("corrupt collection cell: {e}"));
    let mut out = bytes::BytesMut::new();
    let put = |out: &mut bytes::BytesMut, b: &[u8]| {
        out.put_i32(b.len() as i32);
        out.put_slice(b);
    };
    match typ.unfrozen() {
        CqlType::Set(et) => {
            out.put_i32(live.len() as i32);
            for (p, _) in &live {
                let v =
                    values::decode_clustering(p, &[((**et).clone(), false)]).map_err(corrupt)?;
                put(&mut out, v.first().map(|b| &b[..]).unwrap_or(&[]));
            }
        }
        CqlType::Map(kt, _) => {
            out.put_i32(live.len() as i32);
            for (p, v) in &live {
                let k =
                    values::decode_clustering(p, &[((**kt).clone(), false)]).map_err(corrupt)?;
                put(&mut out, k.first().map(|b| &b[..]).unwrap_or(&[]));
                put(&mut out, v);
            }
        }
        CqlType::List(_) => {
            out.put_i32(live.len() as i32);
            for (_, v) in &live {
                put(&mut out, v);
            }
        }
        CqlType::Udt(u) => {
            let mut fields: Vec<Option<&Bytes>> = vec![None; u.fields.len()];
            for (p, v) in &live {
                if let [a, b] = p[..] {
                    if let Some(slot) = fields.get_mut(u16::from_be_bytes([a, b]) as usize) {
                        *slot = Some(v);
                    }
                }
            }
            for f in fields {
                match f {
                    Some(v) => put(&mut out, v),
                    None => out.put_i32(-1),
                }
            }
        }
        _ => return Ok(live.last().map(|(_, v)| (*v).clone())),
    }
    Ok(Some(out.freeze()))
}

/// Evaluates one ALLOW FILTERING restriction on a row.
pub fn filter_matches(
    t: &TableRef,
    f: &Filter,
    row: &RowView,
    ctx: &EvalCtx<'_>,
) -> Result<bool, RequestError> {
    let Some(def) = t.def.columns.get(f.column) else {
        return Ok(false);
    };
    let Some(value) = row.cells.get(f.column).and_then(|c| c.value.clone()) else {
        return Ok(false);
    };
    let wanted = restrict::eval_values(&f.values, ctx, &def.name)?;
    if f.op == Operator::Like {
        for w in &wanted {
            crate::exec::index::check_like_pattern(w)?;
        }
    }
    if let Some(key) = &f.map_key {
        return map_entry_matches(&def.typ, &value, key, &wanted, ctx);
    }
    Ok(match f.op {
        Operator::Like => wanted
            .iter()
            .any(|w| crate::exec::index::like_matches(&value, w)),
        Operator::Contains
        | Operator::ContainsKey
        | Operator::NotContains
        | Operator::NotContainsKey => {
            let items = crate::exec::modify::split_collection(&value, &def.typ)?;
            let key = matches!(f.op, Operator::ContainsKey | Operator::NotContainsKey);
            let (elem_t, step, offset) = match (def.typ.unfrozen(), key) {
                (CqlType::Map(k, _), true) => ((**k).clone(), 2, 0),
                (CqlType::Map(_, v), _) => ((**v).clone(), 2, 1),
                (CqlType::List(e) | CqlType::Set(e), _) => ((**e).clone(), 1, 0),
                _ => return Ok(false),
            };
            // NOT CONTAINS (5.0): a set collection without the value; a null
            // collection matches no filter, as with `!=`.
            let negated = matches!(f.op, Operator::NotContains | Operator::NotContainsKey);
            wanted.iter().all(|w| {
                let found = items
                    .iter()
                    .skip(offset)
                    .step_by(step)
                    .any(|it| values::compare(&elem_t, it, w).is_eq());
                found != negated
            })
        }
        // `!=` and `NOT IN`: different from every value.
        Operator::Neq => wanted
            .iter()
            .all(|w| values::compare(&def.typ, &value, w).is_ne()),
        op => wanted.iter().any(|w| {
            let o = values::compare(&def.typ, &value, w);
            match op {
                Operator::Eq => o.is_eq(),
                Operator::Lt => o.is_lt(),
                Operator::Lte => o.is_le(),
                Operator::Gt => o.is_gt(),
                Operator::Gte => o.is_ge(),
                _ => false,
            }
        }),
    })
}

/// `m[key] = value`: the map holds `key` and its value equals one of `wanted`.
fn map_entry_matches(
    typ: &CqlType,
    map: &Bytes,
    key: &crate::exec::term::Expr,
    wanted: &[Bytes],
    ctx: &EvalCtx<'_>,
) -> Result<bool, RequestError> {
    let CqlType::Map(kt, vt) = typ.unfrozen() else {
        return Ok(false);
    };
    let key = match restrict::eval_values(&restrict::KeyValues::Eq(key.clone()), ctx, "map key")?
        .into_iter()
        .next()
    {
        Some(k) => k,
        None => return Ok(false),
    };
    let items = crate::exec::modify::split_collection(map, typ)?;
    Ok(items.chunks(2).any(|kv| match kv {
        [k, v] => {
            values::compare(kt, k, &key).is_eq()
                && wanted.iter().any(|w| values::compare(vt, v, w).is_eq())
        }
        _ => false,
    }))
}
