//! Request envelopes produced by the Python driver (cassandra-driver 3.30.1,
//! `ProtocolHandler.encode_message`, no compression): each must decode to what the
//! driver meant and re-encode to the very same bytes.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::frame::{decode_frame, encode_request_frame, Compression};
use crate::wire::Consistency;

const VECTORS: [(&str, &str); 10] = [
    ("q4", "04000007070000004e00000025494e5345525420494e544f206b732e7420286b2c2076292056414c55455320283f2c203f2900063d00020000000400000001ffffffff000013880000000270730009000462d53c8abac0"),
    ("q5", "05000007070000005500000025494e5345525420494e544f206b732e7420286b2c2076292056414c55455320283f2c203f290006000000bd00020000000400000001ffffffff000013880000000270730009000462d53c8abac000026b73"),
    ("e5", "050000080a0000003d0010abababababababababababababababab0010cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd00010000000500020000000400000002000000017800000064"),
    ("e4", "040000080a000000280010abababababababababababababababab00010500020000000400000002000000017800000064"),
    ("p5", "0500000909000000270000001b53454c454354202a2046524f4d2074205748455245206b203d203f0000000100026b73"),
    ("b4", "0400000a0d00000053010002000000001c494e5345525420494e544f207420286b292056414c55455320283f2900010000000101010010eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee0002ffffffff00000000000420000000000000002a"),
    ("b5", "0500000a0d00000056010002000000001c494e5345525420494e544f207420286b292056414c55455320283f2900010000000101010010eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee0002ffffffff00000000000400000020000000000000002a"),
    ("s4", "0400000001000000280002000b434f4d5052455353494f4e00036c7a34000b43514c5f56455253494f4e0005332e302e30"),
    ("r4", "040000010b000000200002000d5354415455535f4348414e4745000d534348454d415f4348414e4745"),
    ("o4", "040000020500000000"),
];

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn decode(name: &str) -> (Request, Vec<u8>) {
    let (_, h) = VECTORS.iter().find(|(n, _)| *n == name).expect("vector");
    let raw = hex(h);
    let mut buf = BytesMut::from(&raw[..]);
    let frame = decode_frame(&mut buf, 1 << 20, Compression::None)
        .expect("valid")
        .expect("whole");
    assert!(buf.is_empty());
    let req =
        Request::decode(frame.header.version, frame.header.opcode, frame.body).expect("decodes");
    // Re-encoding gives the driver's bytes back.
    let mut out = BytesMut::new();
    encode_request_frame(
        &mut out,
        frame.header.version,
        frame.header.stream,
        &req,
        false,
        Compression::None,
    );
    assert_eq!(&out[..], &raw[..], "{name} re-encodes identically");
    (req, raw)
}

fn int(v: i32) -> Value {
    Value::Bytes(Bytes::copy_from_slice(&v.to_be_bytes()))
}

#[test]
fn queries() {
    for (name, ks) in [("q4", None), ("q5", Some("ks".to_string()))] {
        let (Request::Query(q), _) = decode(name) else {
            panic!("{name} is not a QUERY")
        };
        assert_eq!(q.query, "INSERT INTO ks.t (k, v) VALUES (?, ?)");
        assert_eq!(q.params.consistency, Consistency::LocalQuorum);
        assert_eq!(
            q.params.values,
            Values::Positional(vec![int(1), Value::Null])
        );
        assert_eq!(q.params.page_size, Some(5000));
        assert_eq!(q.params.paging_state, Some(Bytes::from_static(b"ps")));
        assert_eq!(q.params.serial_consistency, Some(Consistency::LocalSerial));
        assert_eq!(q.params.timestamp, Some(1_234_567_890_123_456));
        assert_eq!(q.params.keyspace, ks);
    }
}

#[test]
fn executes() {
    for (name, rid) in [("e4", None), ("e5", Some(Bytes::from_static(&[0xCD; 16])))] {
        let (Request::Execute(e), _) = decode(name) else {
            panic!("{name} is not an EXECUTE")
        };
        assert_eq!(e.id, Bytes::from_static(&[0xAB; 16]));
        assert_eq!(e.result_metadata_id, rid);
        // The driver sends flags 0x05 (values, page size): its skip_meta is not on the wire.
        assert!(!e.params.skip_metadata);
        assert_eq!(e.params.page_size, Some(100));
        assert_eq!(
            e.params.values,
            Values::Positional(vec![int(2), Value::Bytes(Bytes::from_static(b"x"))])
        );
    }
}

#[test]
fn prepare_batch_startup_register_options() {
    let (Request::Prepare(p), _) = decode("p5") else {
        panic!()
    };
    assert_eq!(p.keyspace.as_deref(), Some("ks"));
    for name in ["b4", "b5"] {
        let (Request::Batch(b), _) = decode(name) else {
            panic!()
        };
        assert_eq!(b.kind, BatchType::Unlogged);
        assert_eq!(b.consistency, Consistency::Quorum);
        assert_eq!(b.timestamp, Some(42));
        assert_eq!(b.statements.len(), 2);
        assert_eq!(
            b.statements[1].query,
            BatchQuery::Prepared(Bytes::from_static(&[0xEE; 16]))
        );
        assert_eq!(
            b.statements[1].values,
            vec![Value::Null, Value::Bytes(Bytes::new())]
        );
    }
    let (Request::Startup(opts), _) = decode("s4") else {
        panic!()
    };
    assert_eq!(opts.get("CQL_VERSION").map(String::as_str), Some("3.0.0"));
    assert_eq!(opts.get("COMPRESSION").map(String::as_str), Some("lz4"));
    let (Request::Register(events), _) = decode("r4") else {
        panic!()
    };
    assert_eq!(events, vec!["STATUS_CHANGE", "SCHEMA_CHANGE"]);
    assert!(matches!(decode("o4").0, Request::Options));
}
