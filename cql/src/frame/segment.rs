//! v5 "modern framing" (native_protocol_v5.spec section 2): after the STARTUP
//! handshake every envelope travels inside segments. All integers are little-endian.
//!
//! - Uncompressed: 3-byte header (payload length: 17 bits, self-contained: bit 17),
//!   3-byte CRC24 of those bytes, payload (at most 128 KiB - 1), CRC32 of the payload.
//! - lz4: 5-byte header (compressed length: 17 bits, uncompressed length: 17 bits,
//!   self-contained: bit 34), 3-byte CRC24, compressed payload, CRC32 of the compressed
//!   payload. An uncompressed length of 0 means "payload sent as is".
//!
//! A self-contained segment holds one or more whole envelopes; an envelope larger than
//! one segment is split over a run of non-self-contained segments. [`FrameAssembler`]
//! turns segments back into envelopes. Checksums are in [`super::crc`].

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::codec::{finish_frame, peek_header, Frame};
use super::compression::{lz4_block_compress, lz4_block_decompress};
use super::crc::{crc24, crc32};
use super::header::HEADER_LEN;
use super::{Compression, FrameError};

/// Largest payload of one segment (uncompressed length): 2^17 - 1 bytes.
pub const MAX_SEGMENT_PAYLOAD: usize = (1 << 17) - 1;
const PLAIN_HEADER_LEN: usize = 6;
const LZ4_HEADER_LEN: usize = 8;
const TRAILER_LEN: usize = 4;
const LEN_MASK: u64 = 0x1_FFFF;

/// One decoded segment: its (decompressed) payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub payload: Bytes,
    pub self_contained: bool,
}

fn le_uint(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

fn put_le(out: &mut BytesMut, v: u64, n: usize) {
    for i in 0..n {
        out.put_u8((v >> (8 * i)) as u8);
    }
}

/// Cuts the next segment out of `buf`; `Ok(None)` means more bytes are needed. A
/// payload longer than `max_payload` (after decompression) is refused before it is
/// read. A CRC mismatch is an error: the connection must be closed.
pub fn decode_segment(
    buf: &mut BytesMut,
    compressed: bool,
    max_payload: usize,
) -> Result<Option<Segment>, FrameError> {
    let header_len = if compressed {
        LZ4_HEADER_LEN
    } else {
        PLAIN_HEADER_LEN
    };
    let Some(head) = buf.get(..header_len) else {
        return Ok(None);
    };
    let (fields, crc_bytes) = head.split_at(header_len - 3);
    let header = le_uint(fields);
    let received = le_uint(crc_bytes) as u32;
    let computed = crc24(header, header_len - 3);
    if computed != received {
        return Err(FrameError::SegmentHeaderCrc { computed, received });
    }
    let payload_len = (header & LEN_MASK) as usize;
    let (uncompressed_len, self_contained) = if compressed {
        (
            ((header >> 17) & LEN_MASK) as usize,
            header & (1 << 34) != 0,
        )
    } else {
        (0, header & (1 << 17) != 0)
    };
    let effective = if uncompressed_len != 0 {
        uncompressed_len
    } else {
        payload_len
    };
    if effective > max_payload {
        return Err(FrameError::Segment(format!(
            "payload of {effective} bytes exceeds the limit of {max_payload}"
        )));
    }
    let total = header_len + payload_len + TRAILER_LEN;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    let mut seg = buf.split_to(total).freeze();
    seg.advance(header_len);
    let payload = seg.split_to(payload_len);
    let received = seg.get_u32_le();
    let computed = crc32(&payload);
    if computed != received {
        return Err(FrameError::SegmentPayloadCrc { computed, received });
    }
    let payload = if uncompressed_len != 0 {
        lz4_block_decompress(&payload, uncompressed_len, max_payload)
            .map_err(FrameError::Segment)?
    } else {
        payload
    };
    Ok(Some(Segment {
        payload,
        self_contained,
    }))
}

/// Appends `payload` as segments: one self-contained segment if it fits in
/// [`MAX_SEGMENT_PAYLOAD`], otherwise a run of non-self-contained ones. Several small
/// envelopes may be concatenated into one `payload` to share a segment.
pub fn encode_segments(payload: &[u8], compressed: bool, out: &mut BytesMut) {
    if payload.len() <= MAX_SEGMENT_PAYLOAD {
        write_segment(payload, true, compressed, out);
    } else {
        for chunk in payload.chunks(MAX_SEGMENT_PAYLOAD) {
            write_segment(chunk, false, compressed, out);
        }
    }
}

/// The total length (header included) of the envelope starting `buf`, if its header is
/// there: v3+ headers carry the body length as the big-endian u32 at bytes 5..9.
pub fn envelope_len(buf: &[u8]) -> Option<usize> {
    match buf.get(5..HEADER_LEN) {
        Some(&[a, b, c, d]) => Some(HEADER_LEN + u32::from_be_bytes([a, b, c, d]) as usize),
        _ => None,
    }
}

/// Appends `envelopes` (whole envelopes back to back) as segments: whole envelopes
/// share self-contained segments of up to [`MAX_SEGMENT_PAYLOAD`]; one too big for a
/// segment travels alone in a run of non-self-contained ones. How the node frames its
/// answers and helenus-stress its requests.
pub fn encode_envelope_segments(envelopes: &[u8], compressed: bool, out: &mut BytesMut) {
    let mut group = 0; // start of the envelopes not yet in a segment
    let mut at = 0;
    while at < envelopes.len() {
        let rest = envelopes.get(at..).unwrap_or_default();
        let end = (at + envelope_len(rest).unwrap_or(rest.len())).min(envelopes.len());
        if end - group > MAX_SEGMENT_PAYLOAD {
            if at > group {
                encode_segments(
                    envelopes.get(group..at).unwrap_or_default(),
                    compressed,
                    out,
                );
            }
            group = at;
        }
        at = end;
    }
    if at > group {
        encode_segments(
            envelopes.get(group..at).unwrap_or_default(),
            compressed,
            out,
        );
    }
}

fn write_segment(chunk: &[u8], self_contained: bool, compressed: bool, out: &mut BytesMut) {
    let sc = u64::from(self_contained);
    if !compressed {
        let header = chunk.len() as u64 | (sc << 17);
        put_le(out, header, 3);
        put_le(out, u64::from(crc24(header, 3)), 3);
        out.extend_from_slice(chunk);
        out.put_u32_le(crc32(chunk));
        return;
    }
    let start = out.len();
    out.put_bytes(0, LZ4_HEADER_LEN);
    lz4_block_compress(chunk, out);
    let mut compressed_len = out.len() - start - LZ4_HEADER_LEN;
    let mut uncompressed_len = chunk.len();
    // Like Cassandra: when lz4 does not shrink the chunk, send it as is, marked by an
    // uncompressed length of 0. This also keeps the length within 17 bits.
    if compressed_len >= chunk.len() {
        out.truncate(start + LZ4_HEADER_LEN);
        out.extend_from_slice(chunk);
        compressed_len = chunk.len();
        uncompressed_len = 0;
    }
    let crc = crc32(out.get(start + LZ4_HEADER_LEN..).unwrap_or_default());
    out.put_u32_le(crc);
    let header = compressed_len as u64 | ((uncompressed_len as u64) << 17) | (sc << 34);
    let mut head = BytesMut::with_capacity(LZ4_HEADER_LEN);
    put_le(&mut head, header, 5);
    put_le(&mut head, u64::from(crc24(header, 5)), 3);
    if let Some(slot) = out.get_mut(start..start + LZ4_HEADER_LEN) {
        slot.copy_from_slice(&head);
    }
}

/// Collects envelopes from v5 segments: several whole envelopes per self-contained
/// segment, or one envelope spread over non-self-contained segments.
#[derive(Debug)]
pub struct FrameAssembler {
    partial: BytesMut,
    max_frame_len: usize,
}

impl FrameAssembler {
    pub fn new(max_frame_len: usize) -> FrameAssembler {
        FrameAssembler {
            partial: BytesMut::new(),
            max_frame_len,
        }
    }

    /// True when no split envelope is waiting for more segments.
    pub fn is_idle(&self) -> bool {
        self.partial.is_empty()
    }

    /// Takes one segment and appends the envelopes it completes to `frames`. An inner
    /// `Err` is one envelope's recoverable error (answer it on its stream); an outer
    /// `Err` means the framing is broken and the connection must be closed.
    pub fn push(
        &mut self,
        segment: Segment,
        frames: &mut Vec<Result<Frame, FrameError>>,
    ) -> Result<(), FrameError> {
        // Envelope compression is never used on v5; segments carry it.
        let none = Compression::None;
        if segment.self_contained {
            if !self.partial.is_empty() {
                return Err(FrameError::Segment(
                    "self-contained segment while a split envelope is incomplete".into(),
                ));
            }
            let mut payload = segment.payload;
            while !payload.is_empty() {
                let raw = peek_header(&payload, self.max_frame_len)?.ok_or_else(|| {
                    FrameError::Segment("self-contained segment ends inside an envelope".into())
                })?;
                let total = raw.total_len();
                if payload.len() < total {
                    return Err(FrameError::Segment(
                        "self-contained segment ends inside an envelope".into(),
                    ));
                }
                let whole = payload.split_to(total);
                frames.push(finish_frame(raw, whole, self.max_frame_len, none));
            }
            return Ok(());
        }
        self.partial.extend_from_slice(&segment.payload);
        while let Some(raw) = peek_header(&self.partial, self.max_frame_len)? {
            let total = raw.total_len();
            if self.partial.len() < total {
                break;
            }
            let whole = self.partial.split_to(total).freeze();
            frames.push(finish_frame(raw, whole, self.max_frame_len, none));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
