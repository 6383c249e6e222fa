//! Raw-socket protocol tests against a real node: version negotiation, OPTIONS /
//! SUPPORTED, the handshake state machine, frame limits, malformed bodies, v4 frame
//! compression and a v5 session in segments.

use crate::harness::NodeProc;
use crate::raw::*;

const EXPECTED_VERSION_ERROR: &str = "supported versions are (3/v3, 4/v4, 5/v5)";

fn assert_version_error(node: &NodeProc, version: u8, reply_version_byte: u8) {
    let mut c = RawConn::connect(node.addr());
    c.send(version, 0, 7, OP_OPTIONS, &[]);
    let f = c.read_frame().expect("an error frame");
    assert_eq!(
        f.version_byte, reply_version_byte,
        "reply header version for {version:#x}"
    );
    assert_eq!(f.stream, 7);
    let (code, msg) = f.error();
    assert_eq!(code, 0x000A, "{msg}");
    assert_eq!(
        msg,
        format!("Invalid or unsupported protocol version ({version}); {EXPECTED_VERSION_ERROR}")
    );
    assert!(msg.contains("unsupported protocol version"));
    assert!(c.is_closed(), "connection must close after a version error");
}

#[test]
fn protocol_version_negotiation_answers_like_cassandra() {
    let node = NodeProc::start();
    // DSE v2 / v1 (the Python driver's first tries) and v6 get a v5 header.
    assert_version_error(&node, 0x42, 0x85);
    assert_version_error(&node, 0x41, 0x85);
    assert_version_error(&node, 0x06, 0x85);
    // Then the driver steps down to v5, which works.
    let mut c = RawConn::connect(node.addr());
    let f = c.request(5, 1, OP_OPTIONS, &[]);
    assert_eq!(f.version_byte, 0x85);
    assert_eq!(f.opcode, OP_SUPPORTED);
}

#[test]
fn protocol_old_versions_get_their_own_header() {
    let node = NodeProc::start();
    // v1/v2 headers are 8 bytes with a one-byte stream id.
    let mut c = RawConn::connect(node.addr());
    c.send_raw(&[0x02, 0, 3, OP_OPTIONS, 0, 0, 0, 0]);
    let h = c.read_exact(8).unwrap();
    assert_eq!((h[0], h[2], h[3]), (0x82, 3, OP_ERROR));
    let len = u32::from_be_bytes(h[4..8].try_into().unwrap()) as usize;
    let body = c.read_exact(len).unwrap();
    assert_eq!(&body[0..4], &[0, 0, 0, 0x0A]);
    let (msg, _) = read_string(&body[4..]);
    assert!(msg.contains("unsupported protocol version (2)"), "{msg}");
}

#[test]
fn protocol_options_lists_versions_and_compressions() {
    let node = NodeProc::start();
    for v in [3u8, 4, 5] {
        let mut c = RawConn::connect(node.addr());
        let f = c.request(v, 3, OP_OPTIONS, &[]);
        assert_eq!(f.version_byte, 0x80 | v);
        let mut s = f.supported();
        s.sort();
        let get = |k: &str| {
            s.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("CQL_VERSION"), vec!["3.4.7".to_string()]);
        let mut comp = get("COMPRESSION");
        comp.sort();
        assert_eq!(comp, vec!["lz4".to_string(), "snappy".to_string()]);
        assert_eq!(get("PROTOCOL_VERSIONS"), vec!["3/v3", "4/v4", "5/v5"]);
    }
}

#[test]
fn protocol_query_before_startup_is_a_protocol_error() {
    let node = NodeProc::start();
    let mut c = RawConn::connect(node.addr());
    let f = c.request(4, 9, OP_QUERY, &query_body(4, "SELECT * FROM system.local"));
    let (code, msg) = f.error();
    assert_eq!(code, 0x000A, "{msg}");
    assert!(msg.contains("STARTUP"), "{msg}");
    // The connection keeps working: the handshake can still happen.
    assert_eq!(c.startup(4, None).opcode, OP_READY);
}

#[test]
fn protocol_startup_checks_options() {
    let node = NodeProc::start();
    let mut c = RawConn::connect(node.addr());
    let f = c.request(4, 1, OP_STARTUP, &string_map(&[]));
    let (code, msg) = f.error();
    assert_eq!(code, 0x000A);
    assert!(msg.contains("CQL_VERSION"), "{msg}");
    let f = c.startup(4, Some("zstd-please"));
    let (code, msg) = f.error();
    assert_eq!(code, 0x000A);
    assert!(msg.contains("zstd-please"), "{msg}");
    // Snappy is refused on v5, as Cassandra does.
    let mut c5 = RawConn::connect(node.addr());
    assert_eq!(c5.startup(5, Some("snappy")).error().0, 0x000A);
    // A good STARTUP still works on the same connection.
    assert_eq!(c.startup(4, None).opcode, OP_READY);
}

#[test]
fn protocol_oversized_frame_is_refused_and_closed() {
    let node = NodeProc::start();
    let mut c = RawConn::connect(node.addr());
    assert_eq!(c.startup(4, None).opcode, OP_READY);
    // Announce a 17 MiB body (the default limit is 16 MiB) and send none of it.
    let mut h = vec![4u8, 0, 0, 5, OP_QUERY];
    h.extend_from_slice(&(17u32 << 20).to_be_bytes());
    c.send_raw(&h);
    let f = c.read_frame().expect("an error frame");
    assert_eq!(f.stream, 5);
    let (code, msg) = f.error();
    assert_eq!(code, 0x000A);
    assert!(msg.contains("too big"), "{msg}");
    assert!(c.is_closed());
}

#[test]
fn protocol_garbage_body_errors_on_its_stream_and_connection_survives() {
    let node = NodeProc::start();
    let mut c = RawConn::connect(node.addr());
    assert_eq!(c.startup(4, None).opcode, OP_READY);
    // A QUERY whose [long string] claims more bytes than the body has.
    let f = c.request(4, 11, OP_QUERY, &[0x7f, 0xff, 0xff, 0xff, b'x']);
    assert_eq!(f.error().0, 0x000A);
    // An unknown opcode: also a protocol error on its stream.
    let f = c.request(4, 12, 0x42, &[]);
    assert_eq!(f.error().0, 0x000A);
    // The same connection still answers.
    let f = c.request(4, 13, OP_OPTIONS, &[]);
    assert_eq!(f.opcode, OP_SUPPORTED);
    let f = c.request(
        4,
        14,
        OP_QUERY,
        &query_body(4, "SELECT release_version FROM system.local"),
    );
    assert_eq!(f.result_kind(), 2, "rows");
}

#[test]
fn protocol_streams_are_answered_out_of_order_safely() {
    let node = NodeProc::start();
    let mut c = RawConn::connect(node.addr());
    assert_eq!(c.startup(4, None).opcode, OP_READY);
    // Pipeline 200 requests without reading; every stream gets exactly one answer.
    for s in 0..200i16 {
        c.send(
            4,
            0,
            s,
            OP_QUERY,
            &query_body(4, "SELECT cluster_name FROM system.local"),
        );
    }
    let mut seen = [false; 200];
    for _ in 0..200 {
        let f = c.read_frame().unwrap();
        assert_eq!(f.result_kind(), 2);
        let s = usize::try_from(f.stream).unwrap();
        assert!(!seen[s], "stream {s} answered twice");
        seen[s] = true;
    }
    assert!(seen.iter().all(|s| *s));
}

/// A v4 session with frame compression: requests compressed by us, responses
/// decompressed when the server set the compression flag.
fn compressed_v4_session(name: &str, c: cql::frame::Compression) {
    let node = NodeProc::start();
    let mut conn = RawConn::connect(node.addr());
    assert_eq!(conn.startup(4, Some(name)).opcode, OP_READY);
    let plain = query_body(
        4,
        "SELECT release_version FROM system.local WHERE key = 'local'",
    );
    let mut body = bytes::BytesMut::new();
    c.compress(&plain, &mut body);
    conn.send(4, 0x01, 21, OP_QUERY, &body);
    let mut f = conn.read_frame().expect("response");
    assert_eq!(f.stream, 21);
    if f.flags & 0x01 != 0 {
        f.body = c
            .decompress(&f.body, 16 << 20)
            .expect("decompress response")
            .to_vec();
    }
    assert_eq!(f.result_kind(), 2, "rows");
    assert!(
        f.body.windows(5).any(|w| w == b"5.0.0"),
        "release_version in the rows"
    );
    // Uncompressed frames stay legal after negotiation.
    let f = conn.request(4, 22, OP_OPTIONS, &[]);
    assert!(f.flags & 0x01 != 0 || f.opcode == OP_SUPPORTED);
}

#[test]
fn protocol_lz4_compressed_v4_frames() {
    compressed_v4_session("lz4", cql::frame::Compression::Lz4);
}

#[test]
fn protocol_snappy_compressed_v4_frames() {
    compressed_v4_session("snappy", cql::frame::Compression::Snappy);
}

/// Reads v5 segments until one full envelope is available; returns it.
fn read_v5_envelope(
    conn: &mut RawConn,
    lz4: bool,
    buf: &mut bytes::BytesMut,
    env: &mut Vec<u8>,
) -> RawFrame {
    use std::io::Read;
    loop {
        if env.len() >= 9 {
            let len = u32::from_be_bytes(env[5..9].try_into().unwrap()) as usize;
            if env.len() >= 9 + len {
                let rest = env.split_off(9 + len);
                let whole = std::mem::replace(env, rest);
                return RawFrame {
                    version_byte: whole[0],
                    flags: whole[1],
                    stream: i16::from_be_bytes([whole[2], whole[3]]),
                    opcode: whole[4],
                    body: whole[9..].to_vec(),
                };
            }
        }
        match cql::frame::decode_segment(buf, lz4, cql::frame::MAX_SEGMENT_PAYLOAD)
            .expect("valid segment")
        {
            Some(seg) => env.extend_from_slice(&seg.payload),
            None => {
                let mut chunk = [0u8; 65536];
                let n = conn.sock.read(&mut chunk).expect("read");
                assert!(n > 0, "server closed the v5 connection");
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
}

fn v5_session(compression: Option<&str>) {
    let lz4 = compression.is_some();
    let node = NodeProc::start();
    let mut conn = RawConn::connect(node.addr());
    // The handshake is unframed.
    assert_eq!(conn.request(5, 1, OP_OPTIONS, &[]).opcode, OP_SUPPORTED);
    let ready = conn.startup(5, compression);
    assert_eq!((ready.version_byte, ready.opcode), (0x85, OP_READY));
    // From here on, envelopes travel in segments both ways. Send three queries in one
    // self-contained segment.
    let mut payload = Vec::new();
    for s in 30..33i16 {
        payload.extend(envelope(
            5,
            0,
            s,
            OP_QUERY,
            &query_body(5, "SELECT cluster_name FROM system.local"),
        ));
    }
    let mut out = bytes::BytesMut::new();
    cql::frame::encode_segments(&payload, lz4, &mut out);
    conn.send_raw(&out);
    let (mut buf, mut env) = (bytes::BytesMut::new(), Vec::new());
    let mut streams = Vec::new();
    for _ in 0..3 {
        let f = read_v5_envelope(&mut conn, lz4, &mut buf, &mut env);
        assert_eq!(f.version_byte, 0x85);
        assert_eq!(f.result_kind(), 2, "rows");
        assert!(f.body.windows(12).any(|w| w == b"Test Cluster"));
        streams.push(f.stream);
    }
    streams.sort();
    assert_eq!(streams, vec![30, 31, 32]);
    // An envelope larger than one segment (a 200 KiB statement) travels split over
    // non-self-contained segments and still gets its (error) answer.
    let long = format!(
        "SELECT cluster_name FROM system.local WHERE key = '{}'",
        "x".repeat(200 << 10)
    );
    let big = envelope(5, 0, 40, OP_QUERY, &query_body(5, &long));
    let mut out = bytes::BytesMut::new();
    cql::frame::encode_segments(&big, lz4, &mut out);
    conn.send_raw(&out);
    let f = read_v5_envelope(&mut conn, lz4, &mut buf, &mut env);
    assert_eq!(f.stream, 40);
    assert!(f.opcode == OP_RESULT || f.opcode == OP_ERROR);
}

#[test]
fn protocol_v5_session_in_segments() {
    v5_session(None);
}

#[test]
fn protocol_v5_session_in_lz4_segments() {
    v5_session(Some("lz4"));
}

#[test]
fn protocol_register_pushes_schema_change_events() {
    let node = NodeProc::start();
    let mut listener = RawConn::connect(node.addr());
    assert_eq!(listener.startup(4, None).opcode, OP_READY);
    let mut kinds = 1u16.to_be_bytes().to_vec();
    kinds.extend(string("SCHEMA_CHANGE"));
    assert_eq!(listener.request(4, 2, OP_REGISTER, &kinds).opcode, OP_READY);
    // Unknown event kinds are refused.
    let mut bad = 1u16.to_be_bytes().to_vec();
    bad.extend(string("WEATHER_CHANGE"));
    assert_eq!(listener.request(4, 3, OP_REGISTER, &bad).error().0, 0x000A);

    let mut other = RawConn::connect(node.addr());
    assert_eq!(other.startup(4, None).opcode, OP_READY);
    let ddl = "CREATE KEYSPACE evks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
    let f = other.request(4, 1, OP_QUERY, &query_body(4, ddl));
    assert_eq!(f.result_kind(), 5, "schema change result");

    let ev = listener.read_frame().expect("an EVENT frame");
    assert_eq!((ev.stream, ev.opcode), (-1, OP_EVENT));
    let (kind, rest) = read_string(&ev.body);
    assert_eq!(kind, "SCHEMA_CHANGE");
    let (change, rest) = read_string(rest);
    let (target, rest) = read_string(rest);
    let (keyspace, _) = read_string(rest);
    assert_eq!(
        (change.as_str(), target.as_str(), keyspace.as_str()),
        ("CREATED", "KEYSPACE", "evks")
    );
}
