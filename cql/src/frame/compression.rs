//! Envelope body compression of v3/v4 (v4 spec section 5) and the raw lz4 block codec
//! the v5 segments use.
//!
//! - lz4: a 4-byte big-endian uncompressed length, then one lz4 block (what Cassandra's
//!   `Lz4FrameCompressor` writes; lz4_flex::block).
//! - snappy: raw snappy (`snap::raw`), which carries its own length.
//!
//! Decompression checks the announced uncompressed length against the caller's limit
//! before allocating.

use bytes::{BufMut, Bytes, BytesMut};

/// The compression negotiated by STARTUP's `COMPRESSION` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    #[default]
    None,
    Lz4,
    /// v3/v4 only: Cassandra refuses snappy on v5.
    Snappy,
}

impl Compression {
    /// From STARTUP's `COMPRESSION` value (case-insensitive); `None` if unknown.
    pub fn from_name(name: &str) -> Option<Compression> {
        if name.eq_ignore_ascii_case("lz4") {
            Some(Compression::Lz4)
        } else if name.eq_ignore_ascii_case("snappy") {
            Some(Compression::Snappy)
        } else {
            None
        }
    }

    pub fn name(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Lz4 => Some("lz4"),
            Compression::Snappy => Some("snappy"),
        }
    }

    /// Appends `input` compressed in this format's envelope layout.
    pub fn compress(self, input: &[u8], out: &mut BytesMut) {
        match self {
            Compression::None => out.extend_from_slice(input),
            Compression::Lz4 => {
                out.put_u32(input.len() as u32);
                lz4_block_compress(input, out);
            }
            Compression::Snappy => {
                let start = out.len();
                out.resize(start + snap::raw::max_compress_len(input.len()), 0);
                let dst = out.get_mut(start..).unwrap_or_default();
                match snap::raw::Encoder::new().compress(input, dst) {
                    Ok(n) => out.truncate(start + n),
                    // Only fails for inputs over 4 GiB, which no envelope reaches
                    // (bodies are capped well below); keep the output well-formed.
                    Err(_) => out.truncate(start),
                }
            }
        }
    }

    /// Decompresses an envelope body; the result may not exceed `max_len` bytes.
    pub fn decompress(self, input: &[u8], max_len: usize) -> Result<Bytes, String> {
        match self {
            Compression::None => Ok(Bytes::copy_from_slice(input)),
            Compression::Lz4 => {
                let (len, block) = match input {
                    [a, b, c, d, rest @ ..] => (u32::from_be_bytes([*a, *b, *c, *d]), rest),
                    _ => return Err("lz4 body shorter than its 4-byte length".into()),
                };
                lz4_block_decompress(block, len as usize, max_len)
            }
            Compression::Snappy => {
                let len = snap::raw::decompress_len(input)
                    .map_err(|e| format!("invalid snappy body: {e}"))?;
                if len > max_len {
                    return Err(format!(
                        "decompressed length {len} exceeds maximum allowed length {max_len}"
                    ));
                }
                let mut outv = vec![0u8; len];
                let n = snap::raw::Decoder::new()
                    .decompress(input, &mut outv)
                    .map_err(|e| format!("invalid snappy body: {e}"))?;
                outv.truncate(n);
                Ok(Bytes::from(outv))
            }
        }
    }
}

/// Appends one raw lz4 block of `input`.
pub(crate) fn lz4_block_compress(input: &[u8], out: &mut BytesMut) {
    let start = out.len();
    out.resize(
        start + lz4_flex::block::get_maximum_output_size(input.len()),
        0,
    );
    let dst = out.get_mut(start..).unwrap_or_default();
    match lz4_flex::block::compress_into(input, dst) {
        Ok(n) => out.truncate(start + n),
        // The buffer has the maximum size lz4 can need, so this cannot happen.
        Err(_) => out.truncate(start),
    }
}

/// Decompresses one raw lz4 block that must expand to exactly `len` bytes.
pub(crate) fn lz4_block_decompress(
    block: &[u8],
    len: usize,
    max_len: usize,
) -> Result<Bytes, String> {
    if len > max_len {
        return Err(format!(
            "decompressed length {len} exceeds maximum allowed length {max_len}"
        ));
    }
    let mut outv = vec![0u8; len];
    let n = lz4_flex::block::decompress_into(block, &mut outv)
        .map_err(|e| format!("invalid lz4 body: {e}"))?;
    if n != len {
        return Err(format!(
            "lz4 body decompressed to {n} bytes, announced {len}"
        ));
    }
    Ok(Bytes::from(outv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        b"INSERT INTO ks.t (k, v) VALUES (?, ?) "
            .iter()
            .cycle()
            .take(4000)
            .copied()
            .collect()
    }

    #[test]
    fn lz4_and_snappy_round_trip_and_shrink() {
        for c in [Compression::Lz4, Compression::Snappy] {
            let input = sample();
            let mut out = BytesMut::new();
            c.compress(&input, &mut out);
            assert!(out.len() < input.len() / 4, "{c:?} did not compress");
            assert_eq!(&c.decompress(&out, 1 << 20).unwrap()[..], &input[..]);
        }
    }

    #[test]
    fn lz4_layout_is_be_length_then_block() {
        let mut out = BytesMut::new();
        Compression::Lz4.compress(b"hello", &mut out);
        assert_eq!(&out[..4], &[0, 0, 0, 5]);
        let block = lz4_flex::block::decompress(&out[4..], 5).unwrap();
        assert_eq!(block, b"hello");
    }

    #[test]
    fn decompression_respects_the_limit() {
        for c in [Compression::Lz4, Compression::Snappy] {
            let mut out = BytesMut::new();
            c.compress(&sample(), &mut out);
            assert!(c.decompress(&out, 100).is_err());
        }
        // An announced 4 GiB lz4 body is refused without allocating.
        assert!(Compression::Lz4
            .decompress(&[0xFF, 0xFF, 0xFF, 0xFF, 0x00], 1 << 20)
            .is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Compression::Lz4
            .decompress(&[0, 0, 0, 10, 0xFF], 100)
            .is_err());
        assert!(Compression::Snappy.decompress(&[0xFF], 100).is_err());
        assert!(Compression::Lz4.decompress(&[0, 0], 100).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(Compression::from_name("LZ4"), Some(Compression::Lz4));
        assert_eq!(Compression::from_name("snappy"), Some(Compression::Snappy));
        assert_eq!(Compression::from_name("zstd"), None);
    }
}
