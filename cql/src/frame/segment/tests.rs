//! v5 segment tests: exact header layout, CRC checks, lz4, splitting, reassembly,
//! round trips and garbage.

use bytes::{BufMut, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::frame::codec::{encode_frame, encode_request_frame, FrameExtras};
use crate::frame::ProtocolVersion;
use crate::request::{Query, QueryParameters, Request};
use crate::response::{Response, ResultBody};

const MAX_FRAME: usize = 1 << 24;

fn decode_all(buf: &mut BytesMut, compressed: bool) -> Vec<Segment> {
    let mut segs = Vec::new();
    while let Some(s) = decode_segment(buf, compressed, MAX_SEGMENT_PAYLOAD).unwrap() {
        segs.push(s);
    }
    assert!(buf.is_empty());
    segs
}

#[test]
fn uncompressed_segment_layout() {
    let mut out = BytesMut::new();
    encode_segments(b"hello", false, &mut out);
    // 5 | 1 << 17 = 0x020005, little-endian, then its CRC24 (see crc.rs), little-endian.
    assert_eq!(&out[..3], &[0x05, 0x00, 0x02]);
    assert_eq!(&out[3..6], &[0x19, 0x99, 0x9A]);
    assert_eq!(&out[6..11], b"hello");
    assert_eq!(
        &out[11..],
        &crate::frame::crc::crc32(b"hello").to_le_bytes()
    );
    let segs = decode_all(&mut out, false);
    assert_eq!(segs.len(), 1);
    assert!(segs[0].self_contained);
    assert_eq!(&segs[0].payload[..], b"hello");
}

/// Bytes produced by the Python driver's own encoder (cassandra-driver 3.30.1,
/// `cassandra.segment.SegmentCodec().encode`, uncompressed), so both sides agree on
/// header layout, CRC24 and the seeded CRC32.
#[test]
fn matches_the_python_drivers_encoder() {
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let cases: [(Vec<u8>, &str); 2] = [
        (b"hello".to_vec(), "05000219999a68656c6c6f74800eb6"),
        (
            (0u8..40).collect(),
            "280002ef9c88000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526273db69716",
        ),
    ];
    for (payload, expected) in cases {
        let mut out = BytesMut::new();
        encode_segments(&payload, false, &mut out);
        assert_eq!(&out[..], &hex(expected)[..]);
    }
    // 200_000 bytes of 0x07: two non-self-contained segments.
    let mut out = BytesMut::new();
    encode_segments(&[7u8; 200_000], false, &mut out);
    assert_eq!(out.len(), 200_020);
    assert_eq!(&out[..6], &hex("ffff013891fe")[..]);
    let second = 6 + MAX_SEGMENT_PAYLOAD;
    assert_eq!(&out[second..second + 4], &hex("1acfa3ed")[..]);
    assert_eq!(&out[second + 4..second + 10], &hex("410d013ede37")[..]);
}

#[test]
fn corrupt_header_or_payload_is_detected() {
    let mut out = BytesMut::new();
    encode_segments(b"hello", false, &mut out);
    let mut bad_header = out.clone();
    bad_header[0] ^= 0x01;
    assert!(matches!(
        decode_segment(&mut bad_header, false, MAX_SEGMENT_PAYLOAD),
        Err(FrameError::SegmentHeaderCrc { .. })
    ));
    let mut bad_payload = out.clone();
    bad_payload[7] ^= 0x01;
    assert!(matches!(
        decode_segment(&mut bad_payload, false, MAX_SEGMENT_PAYLOAD),
        Err(FrameError::SegmentPayloadCrc { .. })
    ));
}

#[test]
fn partial_segments_wait_for_more_bytes() {
    let mut out = BytesMut::new();
    encode_segments(&[7u8; 300], true, &mut out);
    let whole = out.clone();
    let mut buf = BytesMut::new();
    for b in whole.iter() {
        assert_eq!(
            decode_segment(&mut buf, true, MAX_SEGMENT_PAYLOAD),
            Ok(None)
        );
        buf.put_u8(*b);
    }
    let seg = decode_segment(&mut buf, true, MAX_SEGMENT_PAYLOAD)
        .unwrap()
        .unwrap();
    assert_eq!(&seg.payload[..], &[7u8; 300][..]);
}

#[test]
fn lz4_compresses_when_it_helps_and_sends_raw_otherwise() {
    let mut out = BytesMut::new();
    encode_segments(&[0u8; 1000], true, &mut out);
    assert!(
        out.len() < 100,
        "compressible payload shrinks: {}",
        out.len()
    );
    let header = u64::from_le_bytes([out[0], out[1], out[2], out[3], out[4], 0, 0, 0]);
    assert_eq!((header >> 17) & 0x1_FFFF, 1000, "uncompressed length");
    assert_eq!(decode_all(&mut out, true)[0].payload.len(), 1000);

    let mut out = BytesMut::new();
    encode_segments(&[1, 2, 3], true, &mut out);
    let header = u64::from_le_bytes([out[0], out[1], out[2], out[3], out[4], 0, 0, 0]);
    assert_eq!(header & 0x1_FFFF, 3, "sent as is");
    assert_eq!(
        (header >> 17) & 0x1_FFFF,
        0,
        "uncompressed length 0 = not compressed"
    );
    assert_ne!(header & (1 << 34), 0, "self-contained");
    assert_eq!(&decode_all(&mut out, true)[0].payload[..], &[1, 2, 3]);
}

#[test]
fn limit_is_checked_from_the_header() {
    let mut out = BytesMut::new();
    encode_segments(&[0u8; 5000], true, &mut out);
    assert!(matches!(
        decode_segment(&mut out.clone(), true, 4096),
        Err(FrameError::Segment(_))
    ));
    let mut out = BytesMut::new();
    encode_segments(&[9u8; 5000], false, &mut out);
    out.truncate(10);
    assert!(matches!(
        decode_segment(&mut out, false, 4096),
        Err(FrameError::Segment(_))
    ));
}

fn big_query() -> Request {
    Request::Query(Query {
        query: format!("SELECT * FROM t WHERE k IN ({})", "?, ".repeat(100_000)),
        params: QueryParameters::default(),
    })
}

#[test]
fn a_large_frame_is_split_and_reassembled() {
    for compressed in [false, true] {
        let mut envelope = BytesMut::new();
        encode_request_frame(
            &mut envelope,
            ProtocolVersion::V5,
            3,
            &big_query(),
            false,
            Compression::None,
        );
        assert!(envelope.len() > 2 * MAX_SEGMENT_PAYLOAD);
        let mut wire = BytesMut::new();
        encode_segments(&envelope, compressed, &mut wire);
        let segs = decode_all(&mut wire, compressed);
        assert_eq!(segs.len(), envelope.len().div_ceil(MAX_SEGMENT_PAYLOAD));
        assert!(segs.iter().all(|s| !s.self_contained));
        let mut asm = FrameAssembler::new(MAX_FRAME);
        let mut frames = Vec::new();
        for s in segs {
            asm.push(s, &mut frames).unwrap();
        }
        assert!(asm.is_idle());
        assert_eq!(frames.len(), 1);
        let f = frames.pop().unwrap().unwrap();
        assert_eq!(f.header.stream, 3);
        assert_eq!(
            Request::decode(ProtocolVersion::V5, f.header.opcode, f.body).unwrap(),
            big_query()
        );
    }
}

#[test]
fn several_frames_share_a_self_contained_segment() {
    let mut envelopes = BytesMut::new();
    for stream in 0..3 {
        encode_frame(
            &mut envelopes,
            ProtocolVersion::V5,
            stream,
            &Response::Result(ResultBody::Void),
            &FrameExtras::default(),
            Compression::None,
        );
    }
    let mut wire = BytesMut::new();
    encode_segments(&envelopes, true, &mut wire);
    let segs = decode_all(&mut wire, true);
    assert_eq!(segs.len(), 1);
    let mut asm = FrameAssembler::new(MAX_FRAME);
    let mut frames = Vec::new();
    asm.push(segs.into_iter().next().unwrap(), &mut frames)
        .unwrap();
    let streams: Vec<i16> = frames
        .into_iter()
        .map(|f| f.unwrap().header.stream)
        .collect();
    assert_eq!(streams, vec![0, 1, 2]);
}

#[test]
fn a_self_contained_segment_with_a_partial_envelope_is_an_error() {
    let mut envelope = BytesMut::new();
    encode_request_frame(
        &mut envelope,
        ProtocolVersion::V5,
        1,
        &Request::Options,
        false,
        Compression::None,
    );
    let seg = Segment {
        payload: envelope.freeze().slice(..5),
        self_contained: true,
    };
    let mut frames = Vec::new();
    assert!(FrameAssembler::new(MAX_FRAME)
        .push(seg, &mut frames)
        .is_err());
}

proptest! {
    #[test]
    fn segments_round_trip(
        payload in proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..2000),
        repeat in 1usize..200,
        compressed in any::<bool>(),
    ) {
        // Repeating makes some payloads span several segments.
        let payload: Vec<u8> = payload.iter().copied().cycle().take(payload.len() * repeat).collect();
        let mut wire = BytesMut::new();
        encode_segments(&payload, compressed, &mut wire);
        let segs = decode_all(&mut wire, compressed);
        let single = payload.len() <= MAX_SEGMENT_PAYLOAD;
        prop_assert!(segs.iter().all(|s| s.self_contained == single));
        let joined: Vec<u8> = segs.iter().flat_map(|s| s.payload.iter().copied()).collect();
        prop_assert_eq!(joined, payload);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..256),
        compressed in any::<bool>(),
        self_contained in any::<bool>(),
    ) {
        let mut buf = BytesMut::from(&data[..]);
        let _ = decode_segment(&mut buf, compressed, MAX_SEGMENT_PAYLOAD);
        let mut frames = Vec::new();
        let seg = Segment { payload: bytes::Bytes::from(data), self_contained };
        let _ = FrameAssembler::new(1024).push(seg, &mut frames);
    }
}
