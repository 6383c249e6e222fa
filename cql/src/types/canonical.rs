//! Canonical collection values: Cassandra stores a set's elements and a map's entries
//! sorted by the element (key) type's order and without duplicates, whatever order the
//! client wrote them in. [`normalize`] does that to a value, so that a frozen set
//! serializes (and compares, and hashes) the same however it was written.

use std::cmp::Ordering;

use bytes::BytesMut;

use super::{compare, serialize, CqlType, CqlValue, TypeError};

/// Sorts set elements and map entries in Cassandra's order and removes duplicates (for a
/// map, the last entry of a key wins, as in Cassandra's literal binding), recursively in
/// nested collections, tuples, UDTs and vectors. Other values are returned unchanged.
pub fn normalize(value: CqlValue, typ: &CqlType) -> Result<CqlValue, TypeError> {
    normalize_at(value, typ, 0)
}

fn serialized(v: &CqlValue, t: &CqlType) -> Result<BytesMut, TypeError> {
    let mut out = BytesMut::new();
    serialize(v, t, &mut out)?;
    Ok(out)
}

fn normalize_at(value: CqlValue, typ: &CqlType, depth: usize) -> Result<CqlValue, TypeError> {
    if depth > 64 {
        return Err(TypeError::marshal("Value nested too deeply"));
    }
    let typ = typ.unfrozen();
    Ok(match (value, typ) {
        (CqlValue::List(items), CqlType::List(e)) => CqlValue::List(
            items
                .into_iter()
                .map(|v| normalize_at(v, e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        (CqlValue::Vector(items), CqlType::Vector(e, _)) => CqlValue::Vector(
            items
                .into_iter()
                .map(|v| normalize_at(v, e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        (CqlValue::Set(items) | CqlValue::List(items), CqlType::Set(e)) => {
            let mut keyed = Vec::with_capacity(items.len());
            for v in items {
                let v = normalize_at(v, e, depth + 1)?;
                keyed.push((serialized(&v, e)?, v));
            }
            keyed.sort_by(|a, b| compare(e, &a.0, &b.0));
            keyed.dedup_by(|b, a| compare(e, &a.0, &b.0) == Ordering::Equal);
            CqlValue::Set(keyed.into_iter().map(|(_, v)| v).collect())
        }
        (CqlValue::Map(items), CqlType::Map(k, vt)) => {
            let mut keyed = Vec::with_capacity(items.len());
            for (key, val) in items {
                let key = normalize_at(key, k, depth + 1)?;
                let val = normalize_at(val, vt, depth + 1)?;
                keyed.push((serialized(&key, k)?, key, val));
            }
            // Stable sort, then keep the last entry of each run of equal keys.
            keyed.sort_by(|a, b| compare(k, &a.0, &b.0));
            let mut out: Vec<(BytesMut, CqlValue, CqlValue)> = Vec::with_capacity(keyed.len());
            for entry in keyed {
                match out.last_mut() {
                    Some(last) if compare(k, &last.0, &entry.0) == Ordering::Equal => *last = entry,
                    _ => out.push(entry),
                }
            }
            CqlValue::Map(out.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        (CqlValue::Tuple(items), CqlType::Tuple(ts)) => CqlValue::Tuple(
            items
                .into_iter()
                .zip(ts)
                .map(|(v, t)| v.map(|v| normalize_at(v, t, depth + 1)).transpose())
                .collect::<Result<_, _>>()?,
        ),
        (CqlValue::Udt(fields), CqlType::Udt(u)) => {
            let mut out = Vec::with_capacity(fields.len());
            for (name, v) in fields {
                let t = u.fields.iter().find(|(n, _)| *n == name).map(|(_, t)| t);
                let v = match (v, t) {
                    (Some(v), Some(t)) => Some(normalize_at(v, t, depth + 1)?),
                    (v, _) => v,
                };
                out.push((name, v));
            }
            CqlValue::Udt(out)
        }
        (other, _) => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_sorted_and_deduplicated_in_type_order() {
        let t = CqlType::Set(Box::new(CqlType::Int));
        let v = CqlValue::Set(vec![CqlValue::Int(3), CqlValue::Int(-1), CqlValue::Int(3)]);
        assert_eq!(
            normalize(v, &t),
            Ok(CqlValue::Set(vec![CqlValue::Int(-1), CqlValue::Int(3)]))
        );
    }

    #[test]
    fn map_keys_are_sorted_and_the_last_duplicate_wins() {
        let t = CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int));
        let e = |k: &str, v| (CqlValue::Text(k.into()), CqlValue::Int(v));
        let v = CqlValue::Map(vec![e("b", 1), e("a", 2), e("b", 3)]);
        assert_eq!(
            normalize(v, &t),
            Ok(CqlValue::Map(vec![e("a", 2), e("b", 3)]))
        );
    }

    #[test]
    fn nested_sets_inside_lists_are_normalized() {
        let inner = CqlType::Frozen(Box::new(CqlType::Set(Box::new(CqlType::Text))));
        let t = CqlType::List(Box::new(inner));
        let s =
            |xs: &[&str]| CqlValue::Set(xs.iter().map(|x| CqlValue::Text((*x).into())).collect());
        assert_eq!(
            normalize(CqlValue::List(vec![s(&["b", "a"])]), &t),
            Ok(CqlValue::List(vec![s(&["a", "b"])]))
        );
    }
}
