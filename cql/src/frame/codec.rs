//! Whole envelopes: [`decode_frame`] cuts one envelope out of a read buffer,
//! decompresses it (v3/v4) and parses the flag-driven prefix
//! `[<tracing_id>][<warnings>][<custom_payload>]` (v4 spec section 2.2, v5 section 4);
//! [`encode_frame`] writes a response envelope straight into the output buffer.
//!
//! Decoding never copies an uncompressed body: [`Frame::body`] is a slice of the buffer.

use bytes::{Bytes, BytesMut};
use uuid::Uuid;

use super::header::{version_byte, write_header, Direction, FrameFlags, FrameHeader, HEADER_LEN};
use super::{Compression, FrameError, Opcode, ProtocolVersion};
use crate::error::{ErrorCode, ProtocolError};
use crate::request::Request;
use crate::response::Response;
use crate::wire;

/// One decoded envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub header: FrameHeader,
    /// Responses with the tracing flag carry the tracing session id.
    pub tracing_id: Option<Uuid>,
    /// Responses with the warning flag carry warnings (v4+).
    pub warnings: Vec<String>,
    /// Present when the custom payload flag is set (v4+).
    pub custom_payload: Vec<(String, Option<Bytes>)>,
    /// The message body after the prefix, decompressed.
    pub body: Bytes,
}

/// What a response carries besides its message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameExtras {
    /// Sets the tracing flag and writes the id (answer to a traced request).
    pub tracing_id: Option<Uuid>,
    /// Sets the warning flag when not empty. Dropped on v3, which has no warnings.
    pub warnings: Vec<String>,
    /// Sets the custom payload flag when not empty. Dropped on v3.
    pub custom_payload: Vec<(String, Option<Bytes>)>,
}

/// The fixed part of an envelope, read before its body has arrived.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawHeader {
    version: ProtocolVersion,
    direction: Direction,
    flags: u8,
    stream: i16,
    opcode: u8,
    length: u32,
}

impl RawHeader {
    /// Header plus body length.
    pub(crate) fn total_len(&self) -> usize {
        HEADER_LEN + self.length as usize
    }
}

/// Reads the header at the start of `buf`: `Ok(None)` if fewer than 9 bytes (or, for
/// an unsupported version, fewer than needed for its stream id).
pub(crate) fn peek_header(
    buf: &[u8],
    max_frame_len: usize,
) -> Result<Option<RawHeader>, FrameError> {
    let Some(&vbyte) = buf.first() else {
        return Ok(None);
    };
    let vnum = vbyte & 0x7F;
    let direction = if vbyte & 0x80 == 0 {
        Direction::Request
    } else {
        Direction::Response
    };
    let Some(version) = ProtocolVersion::from_u8(vnum) else {
        // v1/v2 headers have a one-byte stream id at offset 2; later ones a [short].
        let stream = if vnum == 1 || vnum == 2 {
            buf.get(2).map(|b| i16::from(*b as i8))
        } else {
            match buf.get(2..4) {
                Some(&[a, b]) => Some(i16::from_be_bytes([a, b])),
                _ => None,
            }
        };
        return match stream {
            Some(stream) => Err(FrameError::UnsupportedVersion {
                version: vnum,
                stream,
            }),
            None => Ok(None),
        };
    };
    let Some(&[_, flags, s0, s1, opcode, l0, l1, l2, l3]) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let stream = i16::from_be_bytes([s0, s1]);
    let length = u32::from_be_bytes([l0, l1, l2, l3]);
    if u64::from(length) > max_frame_len as u64 {
        return Err(FrameError::TooLarge {
            length: u64::from(length),
            max: max_frame_len,
            stream,
        });
    }
    Ok(Some(RawHeader {
        version,
        direction,
        flags,
        stream,
        opcode,
        length,
    }))
}

/// Turns a whole envelope (`raw.total_len()` bytes) into a [`Frame`].
pub(crate) fn finish_frame(
    raw: RawHeader,
    mut whole: Bytes,
    max_frame_len: usize,
    compression: Compression,
) -> Result<Frame, FrameError> {
    let stream = raw.stream;
    let mut body = whole.split_off(HEADER_LEN.min(whole.len()));
    let Some(opcode) = Opcode::from_u8(raw.opcode) else {
        return Err(FrameError::UnknownOpcode {
            opcode: raw.opcode,
            stream,
        });
    };
    let flags = FrameFlags::from_byte(raw.flags);
    let header = FrameHeader {
        version: raw.version,
        direction: raw.direction,
        flags,
        stream,
        opcode,
        length: raw.length,
    };
    if flags.compression && raw.version != ProtocolVersion::V5 {
        if compression == Compression::None {
            return Err(FrameError::Compression {
                reason: "Received a compressed frame but no compression was negotiated".into(),
                stream,
            });
        }
        body = compression
            .decompress(&body, max_frame_len)
            .map_err(|reason| FrameError::Compression { reason, stream })?;
    }
    let malformed = |source: ProtocolError| FrameError::Malformed { source, stream };
    let is_response = raw.direction == Direction::Response;
    let tracing_id = if is_response && flags.tracing {
        Some(wire::read_uuid(&mut body).map_err(malformed)?)
    } else {
        None
    };
    let warnings = if is_response && flags.warning {
        wire::read_string_list(&mut body).map_err(malformed)?
    } else {
        Vec::new()
    };
    let custom_payload = if flags.custom_payload {
        wire::read_bytes_map(&mut body).map_err(malformed)?
    } else {
        Vec::new()
    };
    Ok(Frame {
        header,
        tracing_id,
        warnings,
        custom_payload,
        body,
    })
}

/// Cuts the next envelope out of `buf`. `Ok(None)`: not enough bytes yet (the buffer
/// has been reserved for the rest). The length is checked against `max_frame_len`
/// before anything is allocated. `compression` is the negotiated v3/v4 compression;
/// on v5 the envelope compression flag is ignored (segments carry compression).
///
/// Errors that consumed the envelope ([`FrameError::is_recoverable`]) leave the
/// buffer at the next envelope.
pub fn decode_frame(
    buf: &mut BytesMut,
    max_frame_len: usize,
    compression: Compression,
) -> Result<Option<Frame>, FrameError> {
    let Some(raw) = peek_header(buf, max_frame_len)? else {
        return Ok(None);
    };
    let total = raw.total_len();
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    let whole = buf.split_to(total).freeze();
    finish_frame(raw, whole, max_frame_len, compression).map(Some)
}

/// Writes an envelope whose body `write` appends; compresses it on v3/v4 when a
/// compression is given, and patches flags and length in place.
#[allow(clippy::too_many_arguments)]
fn encode_envelope(
    out: &mut BytesMut,
    version: ProtocolVersion,
    direction: Direction,
    mut flags: FrameFlags,
    stream: i16,
    opcode: Opcode,
    compression: Compression,
    write: impl FnOnce(&mut BytesMut),
) {
    let start = out.len();
    write_header(out, 0, 0, stream, opcode.as_u8(), 0);
    let mut compress = compression != Compression::None && version != ProtocolVersion::V5;
    if compress {
        let mut plain = BytesMut::new();
        write(&mut plain);
        // The flag is per envelope on v3/v4, so an empty body (READY) goes out plain:
        // a zero-length lz4 block trips some drivers' decompressors.
        compress = !plain.is_empty();
        if compress {
            compression.compress(&plain, out);
        } else {
            out.extend_from_slice(&plain);
        }
    } else {
        write(out);
    }
    flags.compression = compress;
    let length = (out.len() - start - HEADER_LEN) as u32;
    if let Some(h) = out.get_mut(start..start + HEADER_LEN) {
        let len = length.to_be_bytes();
        h.copy_from_slice(&[
            version_byte(version.as_u8(), direction),
            flags.to_byte(),
            stream.to_be_bytes()[0],
            stream.to_be_bytes()[1],
            opcode.as_u8(),
            len[0],
            len[1],
            len[2],
            len[3],
        ]);
    }
}

/// Writes a response envelope, with the tracing id, warnings and custom payload of
/// `extras` (flags set accordingly), compressed on v3/v4 if `compression` says so.
/// On v5 pass the unframed envelope to [`super::encode_segments`] afterwards.
pub fn encode_frame(
    out: &mut BytesMut,
    version: ProtocolVersion,
    stream: i16,
    response: &Response,
    extras: &FrameExtras,
    compression: Compression,
) {
    encode_frame_with(
        out,
        version,
        stream,
        response.opcode(),
        extras,
        compression,
        |out| response.encode_body(version, out),
    );
}

/// Writes a response envelope whose message body `write_body` appends (for bodies
/// streamed without building a [`Response`], e.g. `cql::response::RowsWriter`). Same
/// flags, prefix and compression rules as [`encode_frame`].
#[allow(clippy::too_many_arguments)]
pub fn encode_frame_with(
    out: &mut BytesMut,
    version: ProtocolVersion,
    stream: i16,
    opcode: Opcode,
    extras: &FrameExtras,
    compression: Compression,
    write_body: impl FnOnce(&mut BytesMut),
) {
    let v4 = version.is_v4_or_later();
    let flags = FrameFlags {
        tracing: extras.tracing_id.is_some(),
        warning: v4 && !extras.warnings.is_empty(),
        custom_payload: v4 && !extras.custom_payload.is_empty(),
        ..FrameFlags::default()
    };
    encode_envelope(
        out,
        version,
        Direction::Response,
        flags,
        stream,
        opcode,
        compression,
        |out| {
            if let Some(id) = &extras.tracing_id {
                wire::write_uuid(out, id);
            }
            if flags.warning {
                wire::write_string_list(out, &extras.warnings);
            }
            if flags.custom_payload {
                wire::write_bytes_map(out, &extras.custom_payload);
            }
            write_body(out);
        },
    );
}

/// Writes a request envelope (clients, tools and tests). `tracing` asks the server
/// to trace the request.
pub fn encode_request_frame(
    out: &mut BytesMut,
    version: ProtocolVersion,
    stream: i16,
    request: &Request,
    tracing: bool,
    compression: Compression,
) {
    let flags = FrameFlags {
        tracing,
        ..FrameFlags::default()
    };
    encode_envelope(
        out,
        version,
        Direction::Request,
        flags,
        stream,
        request.opcode(),
        compression,
        |out| request.encode(version, out),
    );
}

/// Writes Cassandra's answer to an unsupported version: a Protocol error
/// `Invalid or unsupported protocol version (N); supported versions are (3/v3, 4/v4,
/// 5/v5)` on the request's stream, never compressed nor framed. The header uses v5,
/// our newest, for versions above ours (0x41/0x42 DSE, v6: Cassandra 5.0 answers so and
/// drivers retry lower on this message) and the client's own layout for v1/v2 (8-byte
/// header, one-byte stream), which parse nothing else.
pub fn encode_unsupported_version(out: &mut BytesMut, requested: u8, stream: i16) {
    let message = FrameError::UnsupportedVersion {
        version: requested,
        stream,
    }
    .to_string();
    let mut body = BytesMut::with_capacity(message.len() + 6);
    wire::write_int(&mut body, ErrorCode::Protocol.as_i32());
    wire::write_string(&mut body, &message);
    let old = requested == 1 || requested == 2;
    if old {
        out.extend_from_slice(&[requested | 0x80, 0, stream as u8, Opcode::Error.as_u8()]);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    } else {
        // Every other unsupported number is above 5 (or 0): answer in v5.
        write_header(
            out,
            0x85,
            0,
            stream,
            Opcode::Error.as_u8(),
            body.len() as u32,
        );
    }
    out.extend_from_slice(&body);
}

#[cfg(test)]
mod tests;
