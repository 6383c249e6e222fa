//! The 9-byte envelope header (v4 spec section 2, v5 section 2.4.1), big-endian:
//! version (top bit = direction), flags, stream `[short]`, opcode, length `[int]`.

use bytes::{BufMut, BytesMut};

use super::{Opcode, ProtocolVersion};

/// Length of a v3+ envelope header.
pub const HEADER_LEN: usize = 9;

/// Who sent the envelope: the top bit of the version byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Request,
    Response,
}

/// The envelope flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameFlags {
    /// 0x01: the body is compressed (v3/v4 only; ignored on v5).
    pub compression: bool,
    /// 0x02: tracing requested (request) / tracing id present (response).
    pub tracing: bool,
    /// 0x04: a `[bytes map]` custom payload precedes the message (v4+).
    pub custom_payload: bool,
    /// 0x08: a `[string list]` of warnings precedes the message (responses, v4+).
    pub warning: bool,
    /// 0x10: the client opts in to a beta version. v5 is not beta for Helenus.
    pub use_beta: bool,
}

impl FrameFlags {
    pub const COMPRESSION: u8 = 0x01;
    pub const TRACING: u8 = 0x02;
    pub const CUSTOM_PAYLOAD: u8 = 0x04;
    pub const WARNING: u8 = 0x08;
    pub const USE_BETA: u8 = 0x10;

    /// Unknown bits are ignored, as the spec says.
    pub fn from_byte(b: u8) -> FrameFlags {
        FrameFlags {
            compression: b & Self::COMPRESSION != 0,
            tracing: b & Self::TRACING != 0,
            custom_payload: b & Self::CUSTOM_PAYLOAD != 0,
            warning: b & Self::WARNING != 0,
            use_beta: b & Self::USE_BETA != 0,
        }
    }

    pub fn to_byte(self) -> u8 {
        let mut b = 0;
        for (set, bit) in [
            (self.compression, Self::COMPRESSION),
            (self.tracing, Self::TRACING),
            (self.custom_payload, Self::CUSTOM_PAYLOAD),
            (self.warning, Self::WARNING),
            (self.use_beta, Self::USE_BETA),
        ] {
            if set {
                b |= bit;
            }
        }
        b
    }
}

/// A decoded envelope header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    pub version: ProtocolVersion,
    pub direction: Direction,
    pub flags: FrameFlags,
    pub stream: i16,
    pub opcode: Opcode,
    /// Length of the body as sent (compressed length when compressed).
    pub length: u32,
}

impl FrameHeader {
    /// The version byte: the version number plus 0x80 for responses.
    pub fn version_byte(&self) -> u8 {
        version_byte(self.version.as_u8(), self.direction)
    }

    /// Appends the 9 header bytes.
    pub fn write(&self, out: &mut BytesMut) {
        write_header(
            out,
            self.version_byte(),
            self.flags.to_byte(),
            self.stream,
            self.opcode.as_u8(),
            self.length,
        );
    }
}

pub(crate) fn version_byte(version: u8, direction: Direction) -> u8 {
    match direction {
        Direction::Request => version & 0x7F,
        Direction::Response => version | 0x80,
    }
}

pub(crate) fn write_header(
    out: &mut BytesMut,
    version: u8,
    flags: u8,
    stream: i16,
    opcode: u8,
    length: u32,
) {
    out.put_u8(version);
    out.put_u8(flags);
    out.put_i16(stream);
    out.put_u8(opcode);
    out.put_u32(length);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_every_combination() {
        for b in 0u8..0x20 {
            assert_eq!(FrameFlags::from_byte(b).to_byte(), b);
        }
        // Unknown bits are dropped, not an error.
        assert_eq!(FrameFlags::from_byte(0xE2).to_byte(), 0x02);
    }

    #[test]
    fn header_bytes_are_big_endian() {
        let h = FrameHeader {
            version: ProtocolVersion::V4,
            direction: Direction::Response,
            flags: FrameFlags {
                warning: true,
                ..FrameFlags::default()
            },
            stream: 0x0102,
            opcode: Opcode::Result,
            length: 0x0A0B0C0D,
        };
        let mut out = BytesMut::new();
        h.write(&mut out);
        assert_eq!(
            &out[..],
            &[0x84, 0x08, 0x01, 0x02, 0x08, 0x0A, 0x0B, 0x0C, 0x0D]
        );
    }
}
