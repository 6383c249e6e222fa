//! Data and index blocks (docs/storage-format.md, "Data.db"): a 16-byte
//! header, `stored_len: u32 | raw_len: u32 | checksum: u64`, then
//! `stored_len` bytes.
//!
//! - Format v1 and v2: the stored bytes are an lz4_flex block of `raw_len`
//!   bytes; the checksum is xxh3_64 of the stored bytes.
//! - Format v3: the top bit of `raw_len` is the block's kind: clear = lz4
//!   block, set = the raw bytes themselves (`stored_len` equals the length).
//!   The checksum is xxh3_64 of the stored bytes seeded with both header
//!   words, so a damaged length or kind is caught like a damaged byte. The
//!   writer stores a block raw when lz4 would not save at least
//!   1/[`MIN_SAVING_DIVISOR`] of it: random values (issue 5's stress blobs)
//!   then cost a copy instead of a compression on write and a decompression
//!   on every read and compaction.
//!
//! The checksum is verified before decompressing, so flipped bits are
//! reported, not decoded.
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

/// Bytes of a block header (`stored_len | raw_len | checksum`).
pub const HEADER_LEN: usize = 16;

/// Format v3: this bit of the `raw_len` word marks a block stored raw.
const RAW_KIND: u32 = 1 << 31;

/// lz4 output is kept only if it saves at least 1/4 of the block: below
/// that, the bytes saved on disk do not pay for a compression on every
/// write and a decompression on every read of the block, on a node whose
/// one core also serves requests (Cassandra's `min_compress_ratio` plays
/// this role). Text and repetitive values save well over a quarter;
/// cassandra-stress rows of random blobs save 13% in format v3
/// (docs/PERFORMANCE.md, "Flush and compaction CPU per row, session 6").
pub const MIN_SAVING_DIVISOR: usize = 4;

/// How one SSTable's blocks are framed, by its format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Versions 1 and 2: always lz4, checksum of the stored bytes only.
    Lz4,
    /// Version 3: lz4 or raw (kind bit), checksum seeded with the header.
    Kinded,
}

impl Framing {
    pub fn of_version(version: u32) -> Framing {
        if version >= 3 {
            Framing::Kinded
        } else {
            Framing::Lz4
        }
    }
}

/// How the writer encodes a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Compress, and keep lz4's output if it saves enough.
    TryLz4,
    /// Store raw without trying (the caller knows recent blocks did not
    /// compress).
    Raw,
}

fn checksum(stored: &[u8], stored_len: u32, raw_word: u32) -> u64 {
    let seed = u64::from(stored_len) | (u64::from(raw_word) << 32);
    xxhash_rust::xxh3::xxh3_64_with_seed(stored, seed)
}

/// Encodes `raw` (format v3) and appends the framed block to `out`.
pub fn encode(out: &mut Vec<u8>, raw: &[u8]) {
    let mut scratch = Vec::new();
    let (header, stored) = encode_parts(&mut scratch, raw, Encoding::TryLz4);
    out.extend_from_slice(&header);
    out.extend_from_slice(stored);
}

/// Encodes `raw` as a format v3 block: returns the header and the stored
/// bytes (lz4 output in `scratch`, reused across blocks so a flush does not
/// allocate per block, or `raw` itself), for the caller to write straight
/// to its file buffer: no intermediate framed copy. Whether the block was
/// stored raw is `is_raw(&header)`.
pub fn encode_parts<'a>(
    scratch: &'a mut Vec<u8>,
    raw: &'a [u8],
    how: Encoding,
) -> ([u8; HEADER_LEN], &'a [u8]) {
    // A block of 2 GiB or more cannot carry the kind bit: always lz4 (which
    // format v1 wrote for whole partitions of any size).
    let fits_raw = raw.len() < RAW_KIND as usize;
    let (stored, raw_word): (&[u8], u32) = if how == Encoding::Raw && fits_raw {
        (raw, raw.len() as u32 | RAW_KIND)
    } else {
        let compressed = compress(scratch, raw);
        let saves_enough =
            compressed.len() <= raw.len() - raw.len() / MIN_SAVING_DIVISOR && !raw.is_empty();
        if saves_enough || !fits_raw {
            (compressed, raw.len() as u32)
        } else {
            (raw, raw.len() as u32 | RAW_KIND)
        }
    };
    let stored_len = stored.len() as u32;
    let sum = checksum(stored, stored_len, raw_word);
    (header(stored_len, raw_word, sum), stored)
}

/// After a block lz4 could not shrink enough (stored raw), this many
/// following blocks of the same stream are stored raw without trying: data
/// that does not compress (random values) then costs no compression at
/// all, and a change of data is noticed within this many blocks (256 KiB of
/// data blocks at the default 16 KiB).
pub const RAW_RUN: u32 = 15;

/// Each further attempt lz4 fails doubles the run (plus one), up to this
/// many blocks (4 MiB of data blocks at 16 KiB): a stream of random values
/// tries lz4 on ~8 blocks of its first 1,000 instead of 63 (lz4 costs ~30
/// instructions a byte on data it cannot shrink; compaction CPU, session 7).
pub const MAX_RAW_RUN: u32 = 255;

/// Chooses the encoding of each block of one stream (a writer's data
/// blocks, or its partition index blocks): lz4 if it saves enough, and no
/// attempt for a run of blocks after one it did not (`RAW_RUN`, growing to
/// `MAX_RAW_RUN` while lz4 keeps failing).
#[derive(Debug, Default)]
pub struct Adaptive {
    raw_left: u32,
    /// The run after the next failed attempt (0: `RAW_RUN`).
    next_run: u32,
}

impl Adaptive {
    /// `encode_parts` with the encoding this stream's history suggests.
    pub fn encode<'a>(
        &mut self,
        scratch: &'a mut Vec<u8>,
        raw: &'a [u8],
    ) -> ([u8; HEADER_LEN], &'a [u8]) {
        if self.raw_left > 0 {
            self.raw_left -= 1;
            return encode_parts(scratch, raw, Encoding::Raw);
        }
        let (header, stored) = encode_parts(scratch, raw, Encoding::TryLz4);
        if is_raw(&header) {
            self.raw_left = self.next_run.max(RAW_RUN);
            self.next_run = (self.raw_left * 2 + 1).min(MAX_RAW_RUN);
        } else {
            self.next_run = RAW_RUN;
        }
        (header, stored)
    }
}

/// True if the v3 block header says the block is stored raw.
pub fn is_raw(header: &[u8; HEADER_LEN]) -> bool {
    header
        .get(4..8)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .is_some_and(|w| w & RAW_KIND != 0)
}

fn header(stored_len: u32, raw_word: u32, sum: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    let fields = stored_len
        .to_le_bytes()
        .into_iter()
        .chain(raw_word.to_le_bytes())
        .chain(sum.to_le_bytes());
    for (d, s) in h.iter_mut().zip(fields) {
        *d = s;
    }
    h
}

/// lz4 of `raw` into `scratch`; returns the compressed bytes.
fn compress<'s>(scratch: &'s mut Vec<u8>, raw: &[u8]) -> &'s [u8] {
    let bound = lz4_flex::block::get_maximum_output_size(raw.len());
    if scratch.len() < bound {
        scratch.resize(bound, 0);
    }
    // `scratch` holds the worst-case output size, so compression cannot fail;
    // should it, the fallback allocates rather than writing a bad block.
    match lz4_flex::block::compress_into(raw, scratch) {
        Ok(n) => scratch.get(..n).unwrap_or_default(),
        Err(_) => {
            *scratch = lz4_flex::block::compress(raw);
            scratch
        }
    }
}

/// Decodes the block at `offset` of `file`; returns its raw bytes and the
/// offset of the next block. The raw bytes are a `Bytes` so decoded cells
/// can share it instead of being copied one by one.
pub fn decode(file: &[u8], offset: u64, framing: Framing) -> Result<(Bytes, u64), &'static str> {
    decode_with(file, offset, framing, Bytes::copy_from_slice)
}

/// `decode`, with `raw_block` making the `Bytes` of a raw block from its
/// bytes in `file` (a copy, or a view of the mapped file).
pub fn decode_with(
    file: &[u8],
    offset: u64,
    framing: Framing,
    raw_block: impl FnOnce(&[u8]) -> Bytes,
) -> Result<(Bytes, u64), &'static str> {
    let start = usize::try_from(offset).map_err(|_| "offset out of range")?;
    let mut r = Reader::at(file, start);
    let clen = r.u32().map_err(|_| "truncated block header")?;
    let raw_word = r.u32().map_err(|_| "truncated block header")?;
    let sum = r.u64().map_err(|_| "truncated block header")?;
    let (kind_raw, rlen) = match framing {
        Framing::Lz4 => (false, raw_word),
        Framing::Kinded => (raw_word & RAW_KIND != 0, raw_word & !RAW_KIND),
    };
    if kind_raw && rlen != clen {
        return Err("raw block length mismatch");
    }
    if u64::from(rlen) > u64::from(clen) * MAX_LZ4_RATIO + RATIO_SLACK {
        return Err("block length out of range");
    }
    let stored = r.take(clen as usize).map_err(|_| "truncated block")?;
    let expected = match framing {
        Framing::Lz4 => xxhash_rust::xxh3::xxh3_64(stored),
        Framing::Kinded => checksum(stored, clen, raw_word),
    };
    if expected != sum {
        return Err("block checksum mismatch");
    }
    if kind_raw {
        return Ok((raw_block(stored), r.pos() as u64));
    }
    let raw = lz4_flex::block::decompress(stored, rlen as usize)
        .map_err(|_| "block does not decompress")?;
    if raw.len() != rlen as usize {
        return Err("block length mismatch");
    }
    Ok((Bytes::from(raw), r.pos() as u64))
}

/// A format v2 block (always lz4, unseeded checksum), as the writer made
/// them before v3: for the tests that old files still decode.
#[cfg(test)]
pub fn encode_v2(out: &mut Vec<u8>, raw: &[u8]) {
    let mut scratch = Vec::new();
    let compressed = compress(&mut scratch, raw);
    let sum = xxhash_rust::xxh3::xxh3_64(compressed);
    out.extend_from_slice(&header(compressed.len() as u32, raw.len() as u32, sum));
    out.extend_from_slice(compressed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stored_raw(block: &[u8]) -> bool {
        let h: [u8; HEADER_LEN] = block
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .expect("header");
        is_raw(&h)
    }

    /// Bytes lz4 cannot shrink (the SSTable tests' generator).
    fn random(n: usize, seed: u64) -> Vec<u8> {
        crate::sstable::tests::random_bytes(n, seed).to_vec()
    }

    #[test]
    fn highly_compressible_blocks_decode_and_impossible_lengths_are_refused() {
        // 1 MiB of zeros compresses about 250:1: the bound must still accept it.
        let raw = vec![0u8; 1 << 20];
        let mut out = Vec::new();
        encode(&mut out, &raw);
        assert!(!stored_raw(&out));
        let (back, next) = decode(&out, 0, Framing::Kinded).expect("decodes");
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
        assert_eq!(
            decode(&out, 0, Framing::Kinded).err(),
            Some("block length out of range")
        );
    }

    /// Random bytes are stored as they are, and read back; so is a block
    /// the caller asks to store raw, compressible or not.
    #[test]
    fn incompressible_blocks_are_stored_raw_and_read_back() {
        let raw = random(16 << 10, 7);
        let mut out = vec![5u8; 3];
        encode(&mut out, &raw);
        assert!(stored_raw(out.get(3..).expect("block")));
        assert_eq!(out.len(), 3 + HEADER_LEN + raw.len(), "no lz4 overhead");
        let (back, next) = decode(&out, 3, Framing::Kinded).expect("decodes");
        assert_eq!((&back[..], next as usize), (&raw[..], out.len()));

        let text = b"abcabcabc".repeat(1000);
        let mut scratch = Vec::new();
        let (h, stored) = encode_parts(&mut scratch, &text, Encoding::Raw);
        assert!(is_raw(&h));
        let mut out = h.to_vec();
        out.extend_from_slice(stored);
        let (back, _) = decode(&out, 0, Framing::Kinded).expect("decodes");
        assert_eq!(&back[..], &text[..]);
        // Flipping the kind bit, or making the lengths disagree, is detected.
        let mut bad = out.clone();
        if let Some(b) = bad.get_mut(7) {
            *b ^= 0x80;
        }
        assert!(decode(&bad, 0, Framing::Kinded).is_err());
        let mut bad = out.clone();
        if let Some(b) = bad.get_mut(4) {
            *b ^= 1;
        }
        assert_eq!(
            decode(&bad, 0, Framing::Kinded).err(),
            Some("raw block length mismatch")
        );
    }

    /// A block that lz4 shrinks by less than 1/4 is stored raw; one it
    /// shrinks by more stays compressed.
    #[test]
    fn lz4_output_is_kept_only_when_it_saves_a_quarter() {
        let mixed = |random_part: usize| {
            let mut v = random(random_part, 3);
            v.extend(std::iter::repeat_n(b'z', 1000 - random_part));
            v
        };
        for (random_part, raw_kind) in [(950, true), (500, false)] {
            let mut out = Vec::new();
            encode(&mut out, &mixed(random_part));
            assert_eq!(stored_raw(&out), raw_kind, "{random_part} random bytes");
            let (back, _) = decode(&out, 0, Framing::Kinded).expect("decodes");
            assert_eq!(&back[..], &mixed(random_part)[..]);
        }
    }

    /// After an incompressible block the stream stores the next `RAW_RUN`
    /// blocks raw without trying lz4 (even compressible ones), then tries
    /// again and compresses what shrinks.
    #[test]
    fn adaptive_stream_skips_lz4_after_a_raw_block_then_tries_again() {
        let mut a = Adaptive::default();
        let mut scratch = Vec::new();
        let text = b"abcabcabc".repeat(500);
        let kinds: Vec<bool> = std::iter::once(random(4000, 1))
            .chain(std::iter::repeat_n(text, RAW_RUN as usize + 1))
            .map(|raw| {
                let (h, stored) = a.encode(&mut scratch, &raw);
                let mut block = h.to_vec();
                block.extend_from_slice(stored);
                let (back, _) = decode(&block, 0, Framing::Kinded).expect("decodes");
                assert_eq!(&back[..], &raw[..]);
                is_raw(&h)
            })
            .collect();
        let mut want = vec![true; RAW_RUN as usize + 1];
        want.push(false);
        assert_eq!(kinds, want);
    }

    /// While lz4 keeps failing, the raw runs between attempts grow: 15,
    /// 31, 63, 127, 255, 255...; a block lz4 shrinks starts again at 15.
    #[test]
    fn adaptive_stream_tries_lz4_less_and_less_on_random_blocks() {
        let mut a = Adaptive::default();
        let mut scratch = Vec::new();
        let tried = |a: &mut Adaptive, scratch: &mut Vec<u8>, raw: &[u8]| {
            let before = a.raw_left;
            let (h, _) = a.encode(scratch, raw);
            (before == 0).then_some(is_raw(&h))
        };
        let attempts: Vec<usize> = (0..1200)
            .filter(|i| tried(&mut a, &mut scratch, &random(64, *i as u64)).is_some())
            .collect();
        assert_eq!(attempts, vec![0, 16, 48, 112, 240, 496, 752, 1008]);
        let text = b"abcabcabc".repeat(50);
        while a.raw_left > 0 {
            a.encode(&mut scratch, &text);
        }
        assert_eq!(tried(&mut a, &mut scratch, &text), Some(false));
        assert_eq!(tried(&mut a, &mut scratch, &random(64, 1)), Some(true));
        assert_eq!(a.raw_left, RAW_RUN);
    }

    /// Blocks of format v1/v2 files (always lz4, unseeded checksum) still
    /// decode; read with the wrong framing they are refused, not misread.
    #[test]
    fn version_2_blocks_still_decode() {
        let raw = random(4000, 11);
        let mut out = Vec::new();
        encode_v2(&mut out, &raw);
        let (back, _) = decode(&out, 0, Framing::Lz4).expect("decodes");
        assert_eq!(&back[..], &raw[..]);
        assert!(decode(&out, 0, Framing::Kinded).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(raw in proptest::collection::vec(any::<u8>(), 0..5000), raw_kind in any::<bool>()) {
            let mut out = vec![1, 2, 3];
            let mut scratch = Vec::new();
            let how = if raw_kind { Encoding::Raw } else { Encoding::TryLz4 };
            let (h, stored) = encode_parts(&mut scratch, &raw, how);
            out.extend_from_slice(&h);
            out.extend_from_slice(stored);
            let (back, next) = decode(&out, 3, Framing::Kinded).expect("decodes");
            prop_assert_eq!(back, raw);
            prop_assert_eq!(next as usize, out.len());
        }

        #[test]
        fn damage_is_an_error(raw in proptest::collection::vec(any::<u8>(), 1..2000), flip in any::<prop::sample::Index>(), v2 in any::<bool>()) {
            let mut out = Vec::new();
            let framing = if v2 {
                encode_v2(&mut out, &raw);
                Framing::Lz4
            } else {
                encode(&mut out, &raw);
                Framing::Kinded
            };
            let i = flip.index(out.len());
            out[i] ^= 0x10;
            // Either detected, or (v2 header length bits) still consistent:
            // never a panic, never wrong bytes.
            if let Ok((back, _)) = decode(&out, 0, framing) { prop_assert_eq!(&back, &raw); }
            // v3 checksums cover the header: every flip is detected.
            if !v2 { prop_assert!(decode(&out, 0, framing).is_err()); }
            prop_assert!(decode(&out[..out.len() - 1], 0, framing).is_err());
        }
    }
}
