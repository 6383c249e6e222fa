//! Arbitrary bytes through everything a connection does with untrusted input: v5
//! segments (plain and lz4), envelopes (uncompressed, lz4, snappy) and message bodies.
//! The bodies live in `cql::frame::fuzz` so that proptest runs them under `cargo test`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cql::frame::fuzz::segment_decode(data);
    cql::frame::fuzz::frame_decode(data);
    cql::frame::fuzz::body_decode(data);
});
