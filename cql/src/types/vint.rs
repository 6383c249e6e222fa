//! Cassandra's variable-length integers (`VIntCoding`), used by `duration` values
//! (three zigzag-encoded signed vints, native protocol v5 section 6.8) and by vectors of
//! variable-length elements (an unsigned vint before each element).
//!
//! Format: the number of leading 1 bits of the first byte is the number of extra
//! bytes; the value follows big-endian in the remaining bits. Nine bytes at most.

use bytes::{BufMut, BytesMut};

/// Encoded size of `v` as an unsigned vint (1..=9 bytes).
pub fn unsigned_size(v: u64) -> usize {
    let magnitude = (v | 1).leading_zeros() as usize;
    (639 - magnitude * 9) >> 6
}

/// Appends `v` as an unsigned vint.
pub fn put_unsigned(out: &mut BytesMut, v: u64) {
    let size = unsigned_size(v);
    if size == 1 {
        out.put_u8(v as u8);
        return;
    }
    let extra = size - 1;
    let be = v.to_be_bytes();
    // The first byte carries the length prefix (`extra` leading ones); the value
    // follows big-endian in the remaining bits.
    let prefix = (0xFF00u16 >> extra) as u8;
    if size == 9 {
        out.put_u8(prefix);
        out.put_slice(&be);
        return;
    }
    let tail = be.get(8 - size..).unwrap_or_default();
    if let Some((first, rest)) = tail.split_first() {
        out.put_u8(first | prefix);
        out.put_slice(rest);
    }
}

/// Appends `v` as a zigzag-encoded signed vint.
pub fn put_signed(out: &mut BytesMut, v: i64) {
    put_unsigned(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads an unsigned vint from the front of `bytes`; returns it and its length, or
/// `None` if `bytes` ends inside it.
pub fn get_unsigned(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let extra = first.leading_ones() as usize;
    if extra == 0 {
        return Some((u64::from(first), 1));
    }
    let rest = bytes.get(1..=extra)?;
    let mut v = if extra >= 8 {
        0
    } else {
        u64::from(first & (0xFF >> extra))
    };
    for b in rest {
        v = (v << 8) | u64::from(*b);
    }
    Some((v, extra + 1))
}

/// Reads a zigzag-encoded signed vint from the front of `bytes`.
pub fn get_signed(bytes: &[u8]) -> Option<(i64, usize)> {
    let (u, n) = get_unsigned(bytes)?;
    Some((((u >> 1) as i64) ^ -((u & 1) as i64), n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let enc = |v: i64| {
            let mut b = BytesMut::new();
            put_signed(&mut b, v);
            b.to_vec()
        };
        assert_eq!(enc(0), vec![0x00]);
        assert_eq!(enc(-1), vec![0x01]);
        assert_eq!(enc(1), vec![0x02]);
        assert_eq!(enc(-64), vec![0x7F]);
        assert_eq!(enc(64), vec![0x80, 0x80]);
        assert_eq!(enc(i64::MIN), vec![0xFF; 9]);
        let mut b = BytesMut::new();
        put_unsigned(&mut b, u64::MAX);
        assert_eq!(b.to_vec(), vec![0xFF; 9]);
    }

    proptest! {
        #[test]
        fn signed_round_trip(v in any::<i64>()) {
            let mut b = BytesMut::new();
            put_signed(&mut b, v);
            prop_assert_eq!(get_signed(&b), Some((v, b.len())));
        }

        #[test]
        fn unsigned_round_trip(v in any::<u64>()) {
            let mut b = BytesMut::new();
            put_unsigned(&mut b, v);
            prop_assert_eq!(b.len(), unsigned_size(v));
            prop_assert_eq!(get_unsigned(&b), Some((v, b.len())));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..12)) {
            let _ = get_signed(&b);
        }
    }
}
