//! Envelopes ("frames" up to v4) and v5 segments: the byte layer under every message.
//!
//! - [`header`]: the 9-byte envelope header: version/direction, flags, stream, opcode,
//!   length (native_protocol_v4.spec section 2, v5 section 2.4).
//! - [`codec`]: [`decode_frame`] / [`encode_frame`]: whole envelopes, with the
//!   tracing id, warnings and custom payload that flags put before the message body.
//! - [`compression`]: v3/v4 envelope compression (lz4 with a 4-byte length, snappy).
//! - [`segment`]: v5 "modern framing" (v5 section 2): segments with CRC24 headers and
//!   CRC32 payload trailers, optionally lz4-compressed, and [`FrameAssembler`].
//! - [`fuzz`]: fuzz target bodies (arbitrary bytes through every decoder).
//!
//! This module knows nothing about sockets or connection state: the server decides
//! when a v5 connection switches to segments (after READY / AUTHENTICATE).
//!
//! A server connection, in short:
//! - read: `decode_frame(buf, max, compression)` until STARTUP succeeded; on v5 then
//!   `decode_segment(buf, lz4, MAX_SEGMENT_PAYLOAD)` and [`FrameAssembler::push`].
//!   [`FrameError::is_recoverable`] errors are answered on their stream and the
//!   connection goes on; others are answered (when a stream is known) and it closes.
//!   [`FrameError::UnsupportedVersion`] is answered with [`encode_unsupported_version`].
//! - write: [`encode_frame`] (or [`encode_frame_with`] and
//!   `cql::response::RowsWriter` to stream rows); on v5 after the handshake pass the
//!   envelope bytes (one or several) to [`encode_segments`]. Envelope compression is
//!   for v3/v4 only; on v5 pass `Compression::None` and let segments compress.
//!
//! Checked end to end against the Python driver (3.30.1, v4 and v5 with segments split
//! over several non-self-contained segments, version negotiation from 0x42).

// Decoders of untrusted bytes: no unwrap, no panicking index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod codec;
pub mod compression;
pub mod crc;
pub mod fuzz;
pub mod header;
pub mod segment;

use thiserror::Error;

use crate::error::ProtocolError;

pub use codec::{
    decode_frame, encode_frame, encode_frame_with, encode_request_frame,
    encode_unsupported_version, Frame, FrameExtras,
};
pub use compression::Compression;
pub use header::{Direction, FrameFlags, FrameHeader, HEADER_LEN};
pub use segment::{
    decode_segment, encode_envelope_segments, encode_segments, envelope_len, FrameAssembler,
    Segment, MAX_SEGMENT_PAYLOAD,
};

/// The native protocol versions Helenus speaks. v5 is not beta here: the beta flag is
/// accepted and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    V3 = 3,
    V4 = 4,
    V5 = 5,
}

impl ProtocolVersion {
    pub const ALL: [ProtocolVersion; 3] = [
        ProtocolVersion::V3,
        ProtocolVersion::V4,
        ProtocolVersion::V5,
    ];

    /// The version number without the direction bit; `None` if unsupported.
    pub fn from_u8(v: u8) -> Option<ProtocolVersion> {
        match v {
            3 => Some(ProtocolVersion::V3),
            4 => Some(ProtocolVersion::V4),
            5 => Some(ProtocolVersion::V5),
            _ => None,
        }
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The `PROTOCOL_VERSIONS` entries of SUPPORTED.
    pub const SUPPORTED_DESCRIPTIONS: [&'static str; 3] = ["3/v3", "4/v4", "5/v5"];

    /// v4 added the unset value, warnings, custom payloads and the count-only failures.
    pub fn is_v4_or_later(self) -> bool {
        self >= ProtocolVersion::V4
    }

    pub fn is_v5(self) -> bool {
        self >= ProtocolVersion::V5
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.as_u8())
    }
}

/// Every opcode of the spec (v5 section 2.4.1.4; 0x04 is unused since v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    Error = 0x00,
    Startup = 0x01,
    Ready = 0x02,
    Authenticate = 0x03,
    Options = 0x05,
    Supported = 0x06,
    Query = 0x07,
    Result = 0x08,
    Prepare = 0x09,
    Execute = 0x0A,
    Register = 0x0B,
    Event = 0x0C,
    Batch = 0x0D,
    AuthChallenge = 0x0E,
    AuthResponse = 0x0F,
    AuthSuccess = 0x10,
}

impl Opcode {
    pub const ALL: [Opcode; 16] = [
        Opcode::Error,
        Opcode::Startup,
        Opcode::Ready,
        Opcode::Authenticate,
        Opcode::Options,
        Opcode::Supported,
        Opcode::Query,
        Opcode::Result,
        Opcode::Prepare,
        Opcode::Execute,
        Opcode::Register,
        Opcode::Event,
        Opcode::Batch,
        Opcode::AuthChallenge,
        Opcode::AuthResponse,
        Opcode::AuthSuccess,
    ];

    pub fn from_u8(v: u8) -> Option<Opcode> {
        Opcode::ALL.into_iter().find(|o| o.as_u8() == v)
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The spec's name (`AUTH_RESPONSE`), for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Opcode::Error => "ERROR",
            Opcode::Startup => "STARTUP",
            Opcode::Ready => "READY",
            Opcode::Authenticate => "AUTHENTICATE",
            Opcode::Options => "OPTIONS",
            Opcode::Supported => "SUPPORTED",
            Opcode::Query => "QUERY",
            Opcode::Result => "RESULT",
            Opcode::Prepare => "PREPARE",
            Opcode::Execute => "EXECUTE",
            Opcode::Register => "REGISTER",
            Opcode::Event => "EVENT",
            Opcode::Batch => "BATCH",
            Opcode::AuthChallenge => "AUTH_CHALLENGE",
            Opcode::AuthResponse => "AUTH_RESPONSE",
            Opcode::AuthSuccess => "AUTH_SUCCESS",
        }
    }

    /// Whether clients send this opcode (as opposed to servers).
    pub fn is_request(self) -> bool {
        matches!(
            self,
            Opcode::Startup
                | Opcode::Options
                | Opcode::Query
                | Opcode::Prepare
                | Opcode::Execute
                | Opcode::Register
                | Opcode::Batch
                | Opcode::AuthResponse
        )
    }
}

/// Errors of the byte layer. Each carries the stream id when it is known, so the
/// server can answer on the right stream before (maybe) closing the connection.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// Answer with [`encode_unsupported_version`]; the client retries with a lower
    /// version on a new connection.
    #[error("Invalid or unsupported protocol version ({version}); supported versions are (3/v3, 4/v4, 5/v5)")]
    UnsupportedVersion { version: u8, stream: i16 },
    /// The envelope's length is over the configured limit. Nothing was consumed or
    /// allocated; the connection cannot be resynchronised and should be closed.
    #[error("Request is too big: length {length} exceeds maximum allowed length {max}")]
    TooLarge {
        length: u64,
        max: usize,
        stream: i16,
    },
    /// The whole envelope was consumed, so the connection can go on.
    #[error("Unknown opcode 0x{opcode:02x}")]
    UnknownOpcode { opcode: u8, stream: i16 },
    /// Decompression failed or the compressed flag came without negotiated compression.
    /// The envelope was consumed.
    #[error("{reason}")]
    Compression { reason: String, stream: i16 },
    /// The tracing id / warnings / custom payload prefix is malformed. The envelope was
    /// consumed.
    #[error("{source}")]
    Malformed { source: ProtocolError, stream: i16 },
    /// A v5 segment header whose CRC24 does not match: the stream is corrupt.
    #[error("segment header CRC24 mismatch: computed 0x{computed:06x}, received 0x{received:06x}")]
    SegmentHeaderCrc { computed: u32, received: u32 },
    /// A v5 segment payload whose CRC32 does not match: the stream is corrupt.
    #[error(
        "segment payload CRC32 mismatch: computed 0x{computed:08x}, received 0x{received:08x}"
    )]
    SegmentPayloadCrc { computed: u32, received: u32 },
    /// A v5 segment that breaks the framing rules (too long, bad lz4, a
    /// self-contained segment holding a partial envelope, ...).
    #[error("invalid segment: {0}")]
    Segment(String),
}

impl FrameError {
    /// The stream id the error should be answered on, when known.
    pub fn stream(&self) -> Option<i16> {
        match self {
            FrameError::UnsupportedVersion { stream, .. }
            | FrameError::TooLarge { stream, .. }
            | FrameError::UnknownOpcode { stream, .. }
            | FrameError::Compression { stream, .. }
            | FrameError::Malformed { stream, .. } => Some(*stream),
            FrameError::SegmentHeaderCrc { .. }
            | FrameError::SegmentPayloadCrc { .. }
            | FrameError::Segment(_) => None,
        }
    }

    /// Whether the connection can keep going after answering this error (the bad
    /// envelope was consumed whole).
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            FrameError::UnknownOpcode { .. }
                | FrameError::Compression { .. }
                | FrameError::Malformed { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_match_the_spec() {
        let table = [
            (Opcode::Error, 0x00),
            (Opcode::Startup, 0x01),
            (Opcode::Ready, 0x02),
            (Opcode::Authenticate, 0x03),
            (Opcode::Options, 0x05),
            (Opcode::Supported, 0x06),
            (Opcode::Query, 0x07),
            (Opcode::Result, 0x08),
            (Opcode::Prepare, 0x09),
            (Opcode::Execute, 0x0A),
            (Opcode::Register, 0x0B),
            (Opcode::Event, 0x0C),
            (Opcode::Batch, 0x0D),
            (Opcode::AuthChallenge, 0x0E),
            (Opcode::AuthResponse, 0x0F),
            (Opcode::AuthSuccess, 0x10),
        ];
        for (op, v) in table {
            assert_eq!(op.as_u8(), v);
            assert_eq!(Opcode::from_u8(v), Some(op));
        }
        assert_eq!(Opcode::from_u8(0x04), None);
        assert_eq!(Opcode::from_u8(0x11), None);
    }

    #[test]
    fn versions() {
        assert_eq!(ProtocolVersion::from_u8(4), Some(ProtocolVersion::V4));
        assert_eq!(ProtocolVersion::from_u8(2), None);
        assert_eq!(ProtocolVersion::from_u8(0x42), None);
        assert!(ProtocolVersion::V3 < ProtocolVersion::V5);
    }

    #[test]
    fn unsupported_version_message_is_cassandras() {
        let e = FrameError::UnsupportedVersion {
            version: 66,
            stream: 3,
        };
        assert_eq!(
            e.to_string(),
            "Invalid or unsupported protocol version (66); supported versions are (3/v3, 4/v4, 5/v5)"
        );
        assert!(e
            .to_string()
            .to_lowercase()
            .contains("unsupported protocol version"));
        assert_eq!(e.stream(), Some(3));
    }
}
