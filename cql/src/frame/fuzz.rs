//! Fuzz target bodies as plain functions (STYLE.md section 5): the cargo-fuzz targets in
//! `fuzz/` call these, and the proptests run them under `cargo test`. Each decodes
//! arbitrary bytes through every layer and must return, never panic.

use bytes::{Bytes, BytesMut};

use super::{decode_frame, decode_segment, Compression, FrameAssembler, ProtocolVersion};
use crate::request::Request;
use crate::response::Response;

/// Limits small enough that hostile lengths hit them.
const MAX_FRAME: usize = 1 << 16;

/// Envelopes (every compression) and the messages inside them.
pub fn frame_decode(data: &[u8]) {
    for compression in [Compression::None, Compression::Lz4, Compression::Snappy] {
        let mut buf = BytesMut::from(data);
        // Bounded: each round consumes bytes or stops.
        for _ in 0..64 {
            match decode_frame(&mut buf, MAX_FRAME, compression) {
                Ok(Some(frame)) => {
                    message_decode(frame.header.version, frame.header.opcode, frame.body)
                }
                Err(e) if e.is_recoverable() => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// v5 segments (plain and lz4) and the envelopes they carry.
pub fn segment_decode(data: &[u8]) {
    for compressed in [false, true] {
        let mut buf = BytesMut::from(data);
        let mut assembler = FrameAssembler::new(MAX_FRAME);
        for _ in 0..64 {
            let Ok(Some(segment)) = decode_segment(&mut buf, compressed, MAX_FRAME) else {
                break;
            };
            let mut frames = Vec::new();
            if assembler.push(segment, &mut frames).is_err() {
                break;
            }
            for frame in frames.into_iter().flatten() {
                message_decode(frame.header.version, frame.header.opcode, frame.body);
            }
        }
    }
}

/// A message body of every opcode and version.
pub fn body_decode(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);
    for version in ProtocolVersion::ALL {
        for opcode in super::Opcode::ALL {
            message_decode(version, opcode, body.clone());
        }
    }
}

fn message_decode(version: ProtocolVersion, opcode: super::Opcode, body: Bytes) {
    if opcode.is_request() {
        let _ = Request::decode(version, opcode, body);
    } else {
        let _ = Response::decode(version, opcode, body);
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use proptest::prelude::*;

    use super::*;
    use crate::frame::encode_segments;

    proptest! {
        #[test]
        fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            frame_decode(&data);
            segment_decode(&data);
            body_decode(&data);
        }

        /// Valid segments around arbitrary envelopes, with one byte flipped or not:
        /// reaches the assembler and the message decoders past the CRC checks.
        #[test]
        fn valid_segments_of_garbage(
            data in proptest::collection::vec(any::<u8>(), 0..512),
            compressed in any::<bool>(),
            flip in proptest::option::of((any::<prop::sample::Index>(), 1u8..=255)),
        ) {
            let mut wire = BytesMut::new();
            encode_segments(&data, compressed, &mut wire);
            if let Some((at, x)) = flip {
                let i = at.index(wire.len());
                if let Some(b) = wire.get_mut(i) {
                    *b ^= x;
                }
            }
            segment_decode(&wire);
            frame_decode(&data);
        }
    }
}
