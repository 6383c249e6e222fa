//! Data and index blocks: `compressed_len: u32 | raw_len: u32 |
//! xxh3_64(compressed): u64 | lz4_flex block of raw_len bytes`. The checksum
//! is verified before decompressing, so flipped bits are reported, not
//! decoded.
use crate::codec::Reader;

/// Largest raw block accepted on read; larger claims are corruption.
pub const MAX_RAW_BLOCK: u32 = 256 << 20;

/// Compresses `raw` and appends the framed block to `out`.
pub fn encode(out: &mut Vec<u8>, raw: &[u8]) {
    let compressed = lz4_flex::block::compress(raw);
    out.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&compressed).to_le_bytes());
    out.extend_from_slice(&compressed);
}

/// Decodes the block at `offset` of `file`; returns its raw bytes and the
/// offset of the next block.
pub fn decode(file: &[u8], offset: u64) -> Result<(Vec<u8>, u64), &'static str> {
    let start = usize::try_from(offset).map_err(|_| "offset out of range")?;
    let mut r = Reader::at(file, start);
    let clen = r.u32().map_err(|_| "truncated block header")?;
    let rlen = r.u32().map_err(|_| "truncated block header")?;
    let sum = r.u64().map_err(|_| "truncated block header")?;
    if rlen > MAX_RAW_BLOCK {
        return Err("block length out of range");
    }
    let compressed = r.take(clen as usize).map_err(|_| "truncated block")?;
    if xxhash_rust::xxh3::xxh3_64(compressed) != sum {
        return Err("block checksum mismatch");
    }
    let raw = lz4_flex::block::decompress(compressed, rlen as usize)
        .map_err(|_| "block does not decompress")?;
    if raw.len() != rlen as usize {
        return Err("block length mismatch");
    }
    Ok((raw, r.pos() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(raw in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let mut out = vec![1, 2, 3];
            encode(&mut out, &raw);
            let (back, next) = decode(&out, 3).expect("decodes");
            prop_assert_eq!(back, raw);
            prop_assert_eq!(next as usize, out.len());
        }

        #[test]
        fn damage_is_an_error(raw in proptest::collection::vec(any::<u8>(), 1..2000), flip in any::<prop::sample::Index>()) {
            let mut out = Vec::new();
            encode(&mut out, &raw);
            let i = flip.index(out.len());
            out[i] ^= 0x10;
            // Either detected, or (header length bits) still consistent: never a panic.
            if let Ok((back, _)) = decode(&out, 0) { prop_assert_eq!(&back, &raw); }
            prop_assert!(decode(&out[..out.len() - 1], 0).is_err() || raw.is_empty());
        }
    }
}
