//! Data and index blocks: `compressed_len: u32 | raw_len: u32 |
//! xxh3_64(compressed): u64 | lz4_flex block of raw_len bytes`. The checksum
//! is verified before decompressing, so flipped bits are reported, not
//! decoded.
use bytes::Bytes;

use crate::codec::Reader;

/// Largest raw block accepted on read; larger claims are corruption.
pub const MAX_RAW_BLOCK: u32 = 256 << 20;

/// Bytes of a block header (`compressed_len | raw_len | checksum`).
pub const HEADER_LEN: usize = 16;

/// Compresses `raw` and appends the framed block to `out`.
pub fn encode(out: &mut Vec<u8>, raw: &[u8]) {
    let mut scratch = Vec::new();
    let (header, compressed) = encode_parts(&mut scratch, raw);
    out.extend_from_slice(&header);
    out.extend_from_slice(compressed);
}

/// Compresses `raw` into `scratch` (reused across blocks, so a flush does
/// not allocate per block) and returns the header and the compressed bytes,
/// for the caller to write straight to its file buffer: no intermediate
/// framed copy.
pub fn encode_parts<'s>(scratch: &'s mut Vec<u8>, raw: &[u8]) -> ([u8; HEADER_LEN], &'s [u8]) {
    let bound = lz4_flex::block::get_maximum_output_size(raw.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    // `scratch` holds the worst-case output size, so compression cannot fail;
    // should it, the fallback allocates rather than writing a bad block.
    let compressed: &[u8] = match lz4_flex::block::compress_into(raw, scratch) {
        Ok(n) => scratch.get(..n).unwrap_or_default(),
        Err(_) => {
            *scratch = lz4_flex::block::compress(raw);
            scratch
        }
    };
    let clen = (compressed.len() as u32).to_le_bytes();
    let rlen = (raw.len() as u32).to_le_bytes();
    let sum = xxhash_rust::xxh3::xxh3_64(compressed).to_le_bytes();
    let mut header = [0u8; HEADER_LEN];
    for (d, s) in header.iter_mut().zip(clen.iter().chain(&rlen).chain(&sum)) {
        *d = *s;
    }
    (header, compressed)
}

/// Decodes the block at `offset` of `file`; returns its raw bytes and the
/// offset of the next block. The raw bytes are a `Bytes` so decoded cells
/// can share it instead of being copied one by one.
pub fn decode(file: &[u8], offset: u64) -> Result<(Bytes, u64), &'static str> {
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
    Ok((Bytes::from(raw), r.pos() as u64))
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
