//! Envelope tests: exact header bytes, partial input, limits, compression, the
//! unsupported-version path, the flag-driven prefix, round trips and garbage.

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::error::ErrorBody;
use crate::request::tests::{arb_request, arb_version};
use crate::request::{Query, QueryParameters};
use crate::response::tests::arb_response;
use crate::response::ResultBody;

const MAX: usize = 256 * 1024 * 1024;

fn options_frame(version_byte: u8, stream: i16) -> BytesMut {
    let mut b = BytesMut::new();
    b.put_u8(version_byte);
    b.put_u8(0);
    b.put_i16(stream);
    b.put_u8(Opcode::Options.as_u8());
    b.put_u32(0);
    b
}

#[test]
fn ready_response_bytes() {
    let mut out = BytesMut::new();
    encode_frame(
        &mut out,
        ProtocolVersion::V4,
        5,
        &Response::Ready,
        &FrameExtras::default(),
        Compression::None,
    );
    assert_eq!(&out[..], &[0x84, 0, 0, 5, 0x02, 0, 0, 0, 0]);
}

#[test]
fn decode_waits_for_the_whole_frame_and_slices_the_body() {
    let mut out = BytesMut::new();
    let q = Request::Query(Query {
        query: "SELECT * FROM system.local".into(),
        params: QueryParameters::default(),
    });
    encode_request_frame(
        &mut out,
        ProtocolVersion::V4,
        7,
        &q,
        false,
        Compression::None,
    );
    let whole = out.clone();
    let mut buf = BytesMut::new();
    for (i, b) in whole.iter().enumerate() {
        assert_eq!(
            decode_frame(&mut buf, MAX, Compression::None),
            Ok(None),
            "at {i}"
        );
        buf.put_u8(*b);
    }
    let frame = decode_frame(&mut buf, MAX, Compression::None)
        .unwrap()
        .unwrap();
    assert!(buf.is_empty());
    assert_eq!(frame.header.stream, 7);
    assert_eq!(frame.header.opcode, Opcode::Query);
    assert_eq!(frame.header.direction, Direction::Request);
    assert_eq!(
        Request::decode(frame.header.version, frame.header.opcode, frame.body).unwrap(),
        q
    );
}

#[test]
fn two_frames_in_one_buffer() {
    let mut buf = options_frame(0x04, 1);
    buf.extend_from_slice(&options_frame(0x04, 2));
    let a = decode_frame(&mut buf, MAX, Compression::None)
        .unwrap()
        .unwrap();
    let b = decode_frame(&mut buf, MAX, Compression::None)
        .unwrap()
        .unwrap();
    assert_eq!((a.header.stream, b.header.stream), (1, 2));
    assert_eq!(decode_frame(&mut buf, MAX, Compression::None), Ok(None));
}

#[test]
fn length_is_checked_before_the_body_arrives() {
    let mut buf = BytesMut::new();
    buf.put_slice(&[0x04, 0, 0, 9, Opcode::Query.as_u8()]);
    buf.put_u32(1_000_001);
    assert_eq!(
        decode_frame(&mut buf, 1_000_000, Compression::None),
        Err(FrameError::TooLarge {
            length: 1_000_001,
            max: 1_000_000,
            stream: 9
        })
    );
    assert!(buf.capacity() < 1_000_000, "nothing was reserved");
}

#[test]
fn unsupported_versions_carry_the_stream_id() {
    for (vbyte, version) in [(0x42u8, 66u8), (0x41, 65), (0x06, 6)] {
        let mut buf = options_frame(vbyte, 0x0102);
        assert_eq!(
            decode_frame(&mut buf, MAX, Compression::None),
            Err(FrameError::UnsupportedVersion {
                version,
                stream: 0x0102
            })
        );
    }
    // v1/v2 headers have a one-byte stream id.
    let mut buf = BytesMut::from(&[0x02u8, 0, 7, 0x05, 0, 0, 0, 0][..]);
    assert_eq!(
        decode_frame(&mut buf, MAX, Compression::None),
        Err(FrameError::UnsupportedVersion {
            version: 2,
            stream: 7
        })
    );
    // Known as soon as the stream id is there.
    let mut buf = BytesMut::from(&[0x42u8, 0][..]);
    assert_eq!(decode_frame(&mut buf, MAX, Compression::None), Ok(None));
}

#[test]
fn unsupported_version_answer_is_a_v5_protocol_error_on_the_same_stream() {
    let mut out = BytesMut::new();
    encode_unsupported_version(&mut out, 0x42, 3);
    let frame = decode_frame(&mut out, MAX, Compression::None)
        .unwrap()
        .unwrap();
    assert_eq!(frame.header.version, ProtocolVersion::V5);
    assert_eq!(frame.header.direction, Direction::Response);
    assert_eq!(frame.header.stream, 3);
    let Response::Error(e) =
        Response::decode(ProtocolVersion::V5, frame.header.opcode, frame.body).unwrap()
    else {
        panic!("not an error")
    };
    assert_eq!(e.code, crate::error::ErrorCode::Protocol);
    assert_eq!(
        e.message,
        "Invalid or unsupported protocol version (66); supported versions are (3/v3, 4/v4, 5/v5)"
    );
    // v2 clients get their own 8-byte header layout.
    let mut out = BytesMut::new();
    encode_unsupported_version(&mut out, 2, 9);
    assert_eq!(&out[..4], &[0x82, 0, 9, 0]);
    assert_eq!(
        out.len(),
        8 + 4 + 2 + e.message.len() - 1,
        "message says (2), not (66)"
    );
}

#[test]
fn unknown_opcode_consumes_the_frame() {
    let mut buf = BytesMut::new();
    buf.put_slice(&[0x04, 0, 0, 4, 0x04]);
    buf.put_u32(2);
    buf.put_slice(&[1, 2]);
    buf.extend_from_slice(&options_frame(0x04, 5));
    let err = decode_frame(&mut buf, MAX, Compression::None).unwrap_err();
    assert_eq!(
        err,
        FrameError::UnknownOpcode {
            opcode: 4,
            stream: 4
        }
    );
    assert!(err.is_recoverable());
    let next = decode_frame(&mut buf, MAX, Compression::None)
        .unwrap()
        .unwrap();
    assert_eq!(next.header.stream, 5);
}

#[test]
fn compressed_frames_round_trip_and_need_negotiation() {
    let rows = Response::Result(ResultBody::SetKeyspace(
        "a_rather_long_keyspace_name_".repeat(20),
    ));
    for c in [Compression::Lz4, Compression::Snappy] {
        let mut out = BytesMut::new();
        encode_frame(
            &mut out,
            ProtocolVersion::V4,
            1,
            &rows,
            &FrameExtras::default(),
            c,
        );
        assert_eq!(out[1] & 0x01, 0x01, "compression flag");
        let mut copy = out.clone();
        let frame = decode_frame(&mut out, MAX, c).unwrap().unwrap();
        assert_eq!(
            Response::decode(ProtocolVersion::V4, Opcode::Result, frame.body).unwrap(),
            rows
        );
        assert!(matches!(
            decode_frame(&mut copy, MAX, Compression::None),
            Err(FrameError::Compression { stream: 1, .. })
        ));
        assert!(copy.is_empty(), "the bad frame was consumed");
    }
    // v5 envelopes are never compressed: segments are.
    let mut out = BytesMut::new();
    encode_frame(
        &mut out,
        ProtocolVersion::V5,
        1,
        &rows,
        &FrameExtras::default(),
        Compression::Lz4,
    );
    assert_eq!(out[1] & 0x01, 0);
}

#[test]
fn empty_bodies_are_never_compressed() {
    let mut out = BytesMut::new();
    encode_frame(
        &mut out,
        ProtocolVersion::V4,
        0,
        &Response::Ready,
        &FrameExtras::default(),
        Compression::Lz4,
    );
    assert_eq!(&out[..], &[0x84, 0, 0, 0, 0x02, 0, 0, 0, 0]);
}

#[test]
fn tracing_warnings_and_custom_payload() {
    let extras = FrameExtras {
        tracing_id: Some(Uuid::from_u128(0x1234)),
        warnings: vec!["Aggregation query used without partition key".into()],
        custom_payload: vec![("k".into(), Some(Bytes::from_static(b"v")))],
    };
    let mut out = BytesMut::new();
    let r = Response::Result(ResultBody::Void);
    encode_frame(
        &mut out,
        ProtocolVersion::V4,
        2,
        &r,
        &extras,
        Compression::None,
    );
    assert_eq!(out[1], 0x02 | 0x04 | 0x08);
    let frame = decode_frame(&mut out, MAX, Compression::None)
        .unwrap()
        .unwrap();
    assert_eq!(frame.tracing_id, extras.tracing_id);
    assert_eq!(frame.warnings, extras.warnings);
    assert_eq!(frame.custom_payload, extras.custom_payload);
    assert_eq!(
        Response::decode(ProtocolVersion::V4, Opcode::Result, frame.body).unwrap(),
        r
    );
    // v3 has neither warnings nor custom payloads.
    let mut out = BytesMut::new();
    encode_frame(
        &mut out,
        ProtocolVersion::V3,
        2,
        &r,
        &extras,
        Compression::None,
    );
    assert_eq!(out[1], 0x02);
}

#[test]
fn traced_request_has_no_tracing_id_in_its_body() {
    let mut out = BytesMut::new();
    encode_request_frame(
        &mut out,
        ProtocolVersion::V4,
        0,
        &Request::Options,
        true,
        Compression::None,
    );
    assert_eq!(&out[..], &[0x04, 0x02, 0, 0, 0x05, 0, 0, 0, 0]);
    let frame = decode_frame(&mut out, MAX, Compression::None)
        .unwrap()
        .unwrap();
    assert!(frame.header.flags.tracing);
    assert_eq!(frame.tracing_id, None);
}

#[test]
fn malformed_prefix_is_a_recoverable_error() {
    let mut buf = BytesMut::new();
    buf.put_slice(&[0x84, 0x08, 0, 6, Opcode::Ready.as_u8()]);
    buf.put_u32(2);
    buf.put_slice(&[0, 9]); // a warning list of 9 strings, and nothing else
    let err = decode_frame(&mut buf, MAX, Compression::None).unwrap_err();
    assert!(matches!(err, FrameError::Malformed { stream: 6, .. }));
    assert!(err.is_recoverable());
    let body: ErrorBody = match err {
        FrameError::Malformed { source, .. } => source.into(),
        _ => unreachable!(),
    };
    assert_eq!(body.code, crate::error::ErrorCode::Protocol);
}

fn arb_compression(version: ProtocolVersion) -> BoxedStrategy<Compression> {
    if version.is_v5() {
        Just(Compression::None).boxed()
    } else {
        prop_oneof![
            Just(Compression::None),
            Just(Compression::Lz4),
            Just(Compression::Snappy)
        ]
        .boxed()
    }
}

proptest! {
    #[test]
    fn response_frames_round_trip(
        (version, r, c) in arb_version().prop_flat_map(|v| (Just(v), arb_response(v), arb_compression(v))),
        stream in any::<i16>(),
        tracing in proptest::option::of(any::<u128>()),
        warnings in proptest::collection::vec(".{0,12}", 0..3),
    ) {
        let extras = FrameExtras {
            tracing_id: tracing.map(Uuid::from_u128),
            warnings: if version.is_v4_or_later() { warnings } else { Vec::new() },
            custom_payload: Vec::new(),
        };
        let mut out = BytesMut::new();
        encode_frame(&mut out, version, stream, &r, &extras, c);
        let frame = decode_frame(&mut out, MAX, c).unwrap().unwrap();
        prop_assert!(out.is_empty());
        prop_assert_eq!(frame.header.stream, stream);
        prop_assert_eq!(frame.header.version, version);
        prop_assert_eq!(frame.tracing_id, extras.tracing_id);
        prop_assert_eq!(&frame.warnings, &extras.warnings);
        prop_assert_eq!(Response::decode(version, frame.header.opcode, frame.body).unwrap(), r);
    }

    #[test]
    fn request_frames_round_trip(
        (version, req, c) in arb_version().prop_flat_map(|v| (Just(v), arb_request(v), arb_compression(v))),
        stream in 0i16..i16::MAX,
    ) {
        let mut out = BytesMut::new();
        encode_request_frame(&mut out, version, stream, &req, false, c);
        let frame = decode_frame(&mut out, MAX, c).unwrap().unwrap();
        prop_assert_eq!(frame.header.stream, stream);
        prop_assert_eq!(Request::decode(version, frame.header.opcode, frame.body).unwrap(), req);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..128),
        c in prop_oneof![Just(Compression::None), Just(Compression::Lz4), Just(Compression::Snappy)],
    ) {
        let mut buf = BytesMut::from(&data[..]);
        // Decode until the input runs out or an error that stops the connection.
        for _ in 0..16 {
            match decode_frame(&mut buf, 64, c) {
                Ok(Some(f)) => {
                    let _ = Request::decode(f.header.version, f.header.opcode, f.body.clone());
                    let _ = Response::decode(f.header.version, f.header.opcode, f.body);
                }
                Err(e) if e.is_recoverable() => {}
                _ => break,
            }
        }
    }
}
