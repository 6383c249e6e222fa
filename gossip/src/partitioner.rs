//! Cassandra's `Murmur3Partitioner`, byte for byte.
//!
//! Cassandra's hash is MurmurHash3_x64_128 with one quirk: the 1-15 tail bytes are read
//! as *signed* Java bytes and sign-extended before shifting (`MurmurHash.hash3_x64_128`),
//! so keys whose tail holds a byte >= 0x80 hash differently from the reference
//! algorithm. The murmur3 crate implements the reference algorithm, hence this module.
//! The token is h1 with seed 0; a zero-length key is the minimum token, and a computed
//! `i64::MIN` becomes `i64::MAX` (the minimum is reserved). Vectors:
//! ../shared/reference/murmur3-vectors.tsv (tests/vectors.rs).

/// A position on the ring: Murmur3Partitioner's signed 64-bit token.
pub type Token = i64;

/// The smallest token; it belongs to no key but the empty one.
pub const MIN_TOKEN: Token = i64::MIN;

const C1: u64 = 0x87c3_7b91_1142_53d5;
const C2: u64 = 0x4cf5_ad43_2745_937f;

/// The token Cassandra's Murmur3Partitioner gives to a serialized partition key.
pub fn murmur3_token(key: &[u8]) -> Token {
    if key.is_empty() {
        return MIN_TOKEN;
    }
    let h1 = hash3_x64_128(key, 0)[0] as i64;
    if h1 == i64::MIN {
        i64::MAX
    } else {
        h1
    }
}

/// Cassandra's `MurmurHash.hash3_x64_128` (with its signed-tail quirk).
pub fn hash3_x64_128(key: &[u8], seed: u64) -> [u64; 2] {
    let mut h1 = seed;
    let mut h2 = seed;
    let mut blocks = key.chunks_exact(16);
    for block in &mut blocks {
        let (lo, hi) = block.split_at(8);
        let k1 = u64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
        let k2 = u64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
        h1 ^= mix_k1(k1);
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(k2);
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let (mut k1, mut k2) = (0u64, 0u64);
    for (i, &b) in tail.iter().enumerate() {
        // Java's `(long) key.get(i)` sign-extends the byte: the quirk we must keep.
        let v = (b as i8 as i64) as u64;
        if i < 8 {
            k1 ^= v << (8 * i);
        } else {
            k2 ^= v << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= mix_k2(k2);
    }
    if !tail.is_empty() {
        h1 ^= mix_k1(k1);
    }
    let len = key.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    [h1, h2]
}

#[inline]
fn mix_k1(k1: u64) -> u64 {
    k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2)
}

#[inline]
fn mix_k2(k2: u64) -> u64 {
    k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1)
}

#[inline]
fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_key_is_min_token() {
        assert_eq!(murmur3_token(b""), i64::MIN);
    }

    #[test]
    fn ascii_key_matches_python_driver() {
        // cassandra-python-driver tests/unit/test_metadata.py: '123'.
        assert_eq!(murmur3_token(b"123"), -7468325962851647638);
    }

    #[test]
    fn signed_tail_quirk_differs_from_reference() {
        // A tail byte >= 0x80 sets the bits above it; the reference algorithm would not.
        let quirky = hash3_x64_128(&[0x80], 0)[0];
        let mut k1 = 0x80u64; // what the reference algorithm would read
        k1 = mix_k1(k1);
        let mut h1 = k1 ^ 1;
        let mut h2 = 1u64;
        h1 = h1.wrapping_add(h2);
        h2 = h2.wrapping_add(h1);
        h1 = fmix(h1);
        h2 = fmix(h2);
        assert_ne!(quirky, h1.wrapping_add(h2));
    }
}
