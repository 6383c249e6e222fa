//! Data and index blocks: `compressed_len: u32 | raw_len: u32 |
//! xxh3_64(compressed): u64 | lz4_flex block of raw_len bytes`. The checksum
//! is verified before decompressing, so flipped bits are reported, not
//! decoded.
use bytes::Bytes;

use crate::codec::Reader;

/// The most an LZ4 block expands on decompression (each extra length byte of a
/// match adds at most 255 output bytes), plus slack for tiny blocks. A header that
/// claims more raw bytes than its compressed bytes can produce is corrupt; bounding
/// the claim by what is on disk, not by a fixed size, keeps every block the writer
/// can produce (a whole partition is one block in format v1) readable while a
/// damaged length still cannot make a read allocate more than 255x the file.
const MAX_LZ4_RATIO: u64 = 255;
const RATIO_SLACK: u64 = 64;

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
    if u64::from(rlen) > u64::from(clen) * MAX_LZ4_RATIO + RATIO_SLACK {
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

    #[test]
    fn highly_compressible_blocks_decode_and_impossible_lengths_are_refused() {
        // 1 MiB of zeros compresses about 250:1: the bound must still accept it.
        let raw = vec![0u8; 1 << 20];
        let mut out = Vec::new();
        encode(&mut out, &raw);
        let (back, next) = decode(&out, 0).expect("decodes");
        assert_eq!(back.len(), raw.len());
        assert_eq!(next as usize, out.len());
        // The same block claiming 256x its compressed size is corrupt, refused before
        // any allocation of that size.
        let clen = u32::from_le_bytes(
            out.get(0..4)
                .and_then(|b| b.try_into().ok())
                .expect("4 bytes"),
        );
        for (d, s) in out
            .iter_mut()
            .skip(4)
            .zip((clen * 256 + 1000).to_le_bytes())
        {
            *d = s;
        }
        assert_eq!(decode(&out, 0).err(), Some("block length out of range"));
    }

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
