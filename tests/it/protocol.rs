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
    let mut seen = vec![false; 200];
    for _ in 0..200 {
        let f = c.read_frame().unwrap();
        assert_eq!(f.result_kind(), 2);
        let s = usize::try_from(f.stream).unwrap();
        assert!(!seen[s], "stream {s} answered twice");
        seen[s] = true;
    }
    assert!(seen.iter().all(|s| *s));
}
