//! The hidden index table's layout (docs/INDEXES.md, "Index tables"), Cassandra's
//! legacy 2i shape:
//!
//! - partition key: a tag byte, then the indexed value's bytes (`0x01 ‖ value`); the
//!   key `0x00` alone is the meta partition that records that the build finished;
//! - clustering: the base partition's token (8 bytes, sign bit flipped so that byte
//!   order is token order), the base partition key (4-byte length, then its bytes),
//!   then the base row's clustering bytes (absent for entries that name a whole
//!   partition: static and partition-key-component indexes);
//! - the row holds only a row marker (timestamp, TTL): its existence is the entry.
//!
//! Range-capable indexes (SAI and SASI on a non-collection column) use the ordered
//! layout instead: one partition (key `0x02`) for the whole index, clustered by the
//! value in byte-comparable form (`cql::types::encode_key_component`), then the same
//! token / key / clustering. A range restriction is then one slice; the entries of
//! one value are still in scan order after the value.
//!
//! Entries of one value are thus in the base table's scan order (token, key,
//! clustering), so an index read pages exactly like a scan, and a paging state of
//! either resumes the other. The length prefix keeps a key's encoding from being a
//! prefix of another key's, so "every entry of one base partition" is a prefix.

use bytes::{BufMut, Bytes, BytesMut};
use cql::types::CqlType;

/// The meta partition's key (no indexed value encodes to it: those start with 1).
pub const META_KEY: &[u8] = &[0];

/// The one partition of an index in the ordered layout.
pub const ORDERED_KEY: &[u8] = &[2];

/// A value in byte-comparable form: the clustering prefix of its entries in the
/// ordered layout.
pub fn value_prefix(typ: &CqlType, value: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(value.len() + 4);
    cql::types::encode_key_component(typ, value, false, &mut out).ok()?;
    Some(Bytes::from(out))
}

/// An ordered-layout clustering without its value: the entry as [`decode_entry`]
/// reads it.
pub fn strip_value(typ: &CqlType, c: &Bytes) -> Option<Bytes> {
    let (_, used) = cql::types::decode_key_component(typ, c, false).ok()?;
    Some(c.slice(used.min(c.len())..))
}

/// The index partition of an indexed value.
pub fn entry_key(value: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(value.len() + 1);
    b.put_u8(1);
    b.put_slice(value);
    b.freeze()
}

/// A map entry (`entries(m)` indexes and `m[k] = v` lookups) as one indexed value.
pub fn map_entry(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(key.len() + value.len() + 4);
    b.put_u32(key.len() as u32);
    b.put_slice(key);
    b.put_slice(value);
    b
}

/// The token as byte-comparable bytes.
pub fn token_bytes(token: i64) -> [u8; 8] {
    ((token as u64) ^ (1 << 63)).to_be_bytes()
}

/// The clustering prefix shared by every entry of one base partition.
pub fn partition_prefix(token: i64, key: &[u8]) -> BytesMut {
    let mut b = BytesMut::with_capacity(12 + key.len());
    b.put_slice(&token_bytes(token));
    b.put_u32(key.len() as u32);
    b.put_slice(key);
    b
}

/// The clustering of the entry naming base row `(token, key, clustering)`.
pub fn entry_clustering(token: i64, key: &[u8], clustering: &[u8]) -> Bytes {
    let mut b = partition_prefix(token, key);
    b.put_slice(clustering);
    b.freeze()
}

/// An entry's clustering back into the base row's `(token, key, clustering)`;
/// `None` if the bytes are not an entry (a corrupt index row is skipped).
pub fn decode_entry(c: &Bytes) -> Option<(i64, Bytes, Bytes)> {
    let tok: [u8; 8] = c.get(..8)?.try_into().ok()?;
    let token = (u64::from_be_bytes(tok) ^ (1 << 63)) as i64;
    let len: [u8; 4] = c.get(8..12)?.try_into().ok()?;
    let end = 12usize.checked_add(u32::from_be_bytes(len) as usize)?;
    if end > c.len() {
        return None;
    }
    Some((token, c.slice(12..end), c.slice(end..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_sort_like_a_scan_and_decode_back() {
        let a = entry_clustering(-5, b"k1", b"c1");
        let b = entry_clustering(-5, b"k1", b"c2");
        let c = entry_clustering(3, b"k0", b"");
        let d = entry_clustering(i64::MIN, b"zz", b"c");
        assert!(d < a && a < b && b < c);
        assert_eq!(
            decode_entry(&a),
            Some((-5, Bytes::from_static(b"k1"), Bytes::from_static(b"c1")))
        );
        assert_eq!(
            decode_entry(&c),
            Some((3, Bytes::from_static(b"k0"), Bytes::new()))
        );
        assert_eq!(decode_entry(&Bytes::from_static(b"short")), None);
    }

    #[test]
    fn ordered_entries_sort_by_value_then_token() {
        let int = |v: i32| value_prefix(&CqlType::Int, &v.to_be_bytes()).expect("int");
        let entry = |v: i32, token: i64| {
            let mut b = BytesMut::from(&int(v)[..]);
            b.extend_from_slice(&entry_clustering(token, b"k", b""));
            b.freeze()
        };
        assert!(entry(-3, 9) < entry(2, -9) && entry(2, -9) < entry(2, 5));
        assert_eq!(
            strip_value(&CqlType::Int, &entry(2, 5)),
            Some(entry_clustering(5, b"k", b""))
        );
    }

    #[test]
    fn a_partition_prefix_names_only_its_partition() {
        let p = partition_prefix(7, b"ab").freeze();
        assert!(entry_clustering(7, b"ab", b"x").starts_with(&p));
        assert!(!entry_clustering(7, b"abc", b"").starts_with(&p));
    }
}
