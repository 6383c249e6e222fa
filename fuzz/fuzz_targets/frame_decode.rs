//! Arbitrary bytes through everything a connection does with untrusted input: v5
//! segments (plain and lz4), envelopes (uncompressed, lz4, snappy) and request bodies.
//! Every path must return Ok or an error, never panic or allocate past the limits.
#![no_main]

use bytes::BytesMut;
use cql::frame::{decode_frame, decode_segment, Compression};
use cql::request::Request;
use libfuzzer_sys::fuzz_target;

const MAX: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    for compressed in [false, true] {
        let mut buf = BytesMut::from(data);
        while let Ok(Some(_)) = decode_segment(&mut buf, compressed, MAX) {}
    }
    for compression in [Compression::None, Compression::Lz4, Compression::Snappy] {
        let mut buf = BytesMut::from(data);
        while let Ok(Some(frame)) = decode_frame(&mut buf, MAX, compression) {
            let _ = Request::decode(frame.header.version, frame.header.opcode, frame.body);
        }
    }
});
