//! The one place exec calls into `cql::types` for value codecs and key encodings, so
//! that the rest of exec speaks in serialized bytes and small helpers.
//!
//! Partition keys: a single-column key is the column's serialized value; a composite
//! key is Cassandra's CompositeType form (`[u16 len][bytes][0x00]` per component), so
//! tokens match Cassandra's. Clustering keys: the byte-comparable concatenation of
//! `encode_key_component` per column (DESC columns inverted), which storage compares
//! as plain bytes.

use std::cmp::Ordering;

use bytes::{Bytes, BytesMut};
use cql::parser::ast::Literal;
use cql::types::{self, CqlType, CqlValue, TypeError};

pub fn from_literal(lit: &Literal, typ: &CqlType) -> Result<CqlValue, TypeError> {
    types::from_literal(lit.kind, &lit.text, typ)
}

/// Serializes a value that was built for `typ` (a mismatch is our bug: logged, and an
/// empty value is written rather than panicking).
pub fn serialize(v: &CqlValue, typ: &CqlType) -> Bytes {
    let mut out = BytesMut::new();
    if let Err(e) = types::serialize(v, typ, &mut out) {
        tracing::error!(error = %e, "value does not match its type");
    }
    out.freeze()
}

pub fn try_serialize(v: &CqlValue, typ: &CqlType) -> Result<Bytes, TypeError> {
    let mut out = BytesMut::new();
    types::serialize(v, typ, &mut out)?;
    Ok(out.freeze())
}

pub fn deserialize(b: &[u8], typ: &CqlType) -> Result<CqlValue, TypeError> {
    types::deserialize(typ, b)
}

pub fn validate(b: &[u8], typ: &CqlType) -> Result<(), TypeError> {
    types::validate(typ, b)
}

pub fn compare(typ: &CqlType, a: &[u8], b: &[u8]) -> Ordering {
    types::compare(typ, a, b)
}

/// Normalises a serialized set or map (sorted, deduplicated) by a decode/encode round
/// trip; other values are returned unchanged.
pub fn normalize(b: &Bytes, typ: &CqlType) -> Result<Bytes, TypeError> {
    match typ.unfrozen() {
        CqlType::Set(e) => {
            let CqlValue::Set(mut items) = deserialize(b, typ)? else {
                return Ok(b.clone());
            };
            sort_dedup(&mut items, |x, y| cmp_values(e, x, y));
            try_serialize(&CqlValue::Set(items), typ)
        }
        CqlType::Map(k, _) => {
            let CqlValue::Map(mut items) = deserialize(b, typ)? else {
                return Ok(b.clone());
            };
            // Last write wins for a duplicated key, as in Cassandra's map literal.
            items.reverse();
            sort_dedup(&mut items, |x, y| cmp_values(k, &x.0, &y.0));
            try_serialize(&CqlValue::Map(items), typ)
        }
        _ => Ok(b.clone()),
    }
}

fn sort_dedup<T>(items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    items.sort_by(&cmp);
    items.dedup_by(|a, b| cmp(a, b) == Ordering::Equal);
}

fn cmp_values(typ: &CqlType, a: &CqlValue, b: &CqlValue) -> Ordering {
    compare(typ, &serialize(a, typ), &serialize(b, typ))
}

/// Appends one clustering component in byte-comparable form.
pub fn encode_clustering(
    out: &mut BytesMut,
    typ: &CqlType,
    value: &[u8],
    desc: bool,
) -> Result<(), TypeError> {
    let mut buf = Vec::with_capacity(value.len() + 4);
    types::encode_key_component(typ, value, desc, &mut buf)?;
    out.extend_from_slice(&buf);
    Ok(())
}

/// Splits a byte-comparable clustering back into serialized values (as many as the
/// prefix holds).
pub fn decode_clustering(mut b: &[u8], cols: &[(CqlType, bool)]) -> Result<Vec<Bytes>, TypeError> {
    let mut out = Vec::with_capacity(cols.len());
    for (typ, desc) in cols {
        if b.is_empty() {
            break;
        }
        let (v, used) = types::decode_key_component(typ, b, *desc)?;
        out.push(v);
        b = b.get(used..).unwrap_or(&[]);
    }
    Ok(out)
}

/// The serialized partition key of `components` (Cassandra's layout).
pub fn partition_key(components: &[Bytes]) -> Bytes {
    // A copy, not a slice of the request, as for several components. The memtable
    // now copies keys into its own regions (storage/src/memtable/slab.rs), so a
    // slice (`only.clone()`) would do for it; not done yet: check first that nothing
    // else keeps keys for long (paxos state, caches), where a slice would keep the
    // connection's whole read buffer alive.
    if let [only] = components {
        return Bytes::copy_from_slice(only);
    }
    let parts: Vec<&[u8]> = components.iter().map(|b| &b[..]).collect();
    types::partition_key_bytes(&parts)
}

/// Splits a serialized partition key into its `n` components.
pub fn split_partition_key(key: &Bytes, n: usize) -> Result<Vec<Bytes>, TypeError> {
    if n <= 1 {
        return Ok(vec![key.clone()]);
    }
    let mut out = Vec::with_capacity(n);
    let mut pos = 0usize;
    let bad = || TypeError::Marshal("malformed composite partition key".into());
    while out.len() < n {
        let len_bytes = key.get(pos..pos + 2).ok_or_else(bad)?;
        let len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
        pos += 2;
        if pos + len + 1 > key.len() {
            return Err(bad());
        }
        out.push(key.slice(pos..pos + len));
        pos += len + 1;
    }
    Ok(out)
}
