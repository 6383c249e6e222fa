//! Request codec tests: hand-built bodies as drivers send them, round trips per
//! version, and garbage that must give an error rather than a panic.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::wire::Consistency;

fn v(b: &[u8]) -> Value {
    Value::Bytes(Bytes::copy_from_slice(b))
}

fn round_trip(req: &Request, version: ProtocolVersion) -> Request {
    let mut out = BytesMut::new();
    req.encode(version, &mut out);
    Request::decode(version, req.opcode(), out.freeze()).expect("decodes")
}

#[test]
fn query_v4_body_as_a_driver_sends_it() {
    // QUERY "SELECT 1" at QUORUM, flags VALUES|PAGE_SIZE, one value, page size 5000.
    let mut body = BytesMut::new();
    body.put_i32(8);
    body.put_slice(b"SELECT 1");
    body.put_u16(0x0004);
    body.put_u8(0x01 | 0x04);
    body.put_u16(1);
    body.put_i32(2);
    body.put_slice(&[0xAB, 0xCD]);
    body.put_i32(5000);
    let req = Request::decode(ProtocolVersion::V4, Opcode::Query, body.freeze()).unwrap();
    let Request::Query(q) = req else {
        panic!("not a query: {req:?}")
    };
    assert_eq!(q.query, "SELECT 1");
    assert_eq!(q.params.consistency, Consistency::Quorum);
    assert_eq!(q.params.values, Values::Positional(vec![v(&[0xAB, 0xCD])]));
    assert_eq!(q.params.page_size, Some(5000));
    assert_eq!(q.params.paging_state, None);
    assert!(!q.params.skip_metadata);
}

#[test]
fn query_v5_flags_are_an_int_and_carry_keyspace_and_now() {
    let q = Request::Query(Query {
        query: "SELECT * FROM t".into(),
        params: QueryParameters {
            consistency: Consistency::LocalOne,
            keyspace: Some("ks".into()),
            now_in_seconds: Some(1_700_000_000),
            timestamp: Some(42),
            serial_consistency: Some(Consistency::LocalSerial),
            ..QueryParameters::default()
        },
    });
    let mut out = BytesMut::new();
    q.encode(ProtocolVersion::V5, &mut out);
    // [long string] (4 + 15), consistency (2), then a 4-byte flags field.
    assert_eq!(&out[21..25], &[0, 0, 0x01, 0xB0]);
    assert_eq!(round_trip(&q, ProtocolVersion::V5), q);
    // On v4 the v5-only fields are not sent.
    let Request::Query(back) = round_trip(&q, ProtocolVersion::V4) else {
        panic!()
    };
    assert_eq!(back.params.keyspace, None);
    assert_eq!(back.params.now_in_seconds, None);
    assert_eq!(back.params.timestamp, Some(42));
}

#[test]
fn named_values() {
    let q = Request::Query(Query {
        query: "INSERT INTO t (k) VALUES (:k)".into(),
        params: QueryParameters {
            values: Values::Named(vec![("k".into(), v(b"x")), ("n".into(), Value::Unset)]),
            ..QueryParameters::default()
        },
    });
    assert_eq!(round_trip(&q, ProtocolVersion::V4), q);
}

#[test]
fn v3_values_have_no_unset() {
    // On v3 a value is [bytes]: -2 is just another null.
    let mut body = BytesMut::new();
    body.put_i32(1);
    body.put_slice(b"q");
    body.put_u16(1);
    body.put_u8(0x01);
    body.put_u16(1);
    body.put_i32(-2);
    let Request::Query(q) =
        Request::decode(ProtocolVersion::V3, Opcode::Query, body.freeze()).unwrap()
    else {
        panic!()
    };
    assert_eq!(q.params.values, Values::Positional(vec![Value::Null]));
}

#[test]
fn execute_v5_has_result_metadata_id() {
    let e = Request::Execute(Execute {
        id: Bytes::from_static(&[1, 2, 3]),
        result_metadata_id: Some(Bytes::from_static(&[9])),
        params: QueryParameters {
            skip_metadata: true,
            paging_state: Some(Bytes::from_static(b"state")),
            ..QueryParameters::default()
        },
    });
    assert_eq!(round_trip(&e, ProtocolVersion::V5), e);
    let Request::Execute(back) = round_trip(&e, ProtocolVersion::V4) else {
        panic!()
    };
    assert_eq!(back.result_metadata_id, None);
    assert_eq!(back.id, Bytes::from_static(&[1, 2, 3]));
}

#[test]
fn prepare_with_keyspace_on_v5() {
    let p = Request::Prepare(Prepare {
        query: "SELECT * FROM t WHERE k = ?".into(),
        keyspace: Some("ks".into()),
    });
    assert_eq!(round_trip(&p, ProtocolVersion::V5), p);
    let mut out = BytesMut::new();
    p.encode(ProtocolVersion::V4, &mut out);
    assert_eq!(out.len(), 4 + 27, "v4 PREPARE is just the query");
}

#[test]
fn batch_with_names_is_decoded() {
    let b = Request::Batch(Batch {
        kind: BatchType::Unlogged,
        statements: vec![
            BatchStatement {
                query: BatchQuery::Query("INSERT INTO t (k) VALUES (:k)".into()),
                values: vec![v(b"a")],
                names: Some(vec!["k".into()]),
            },
            BatchStatement {
                query: BatchQuery::Prepared(Bytes::from_static(&[7; 16])),
                values: vec![v(b"b"), Value::Null],
                names: Some(vec!["k".into(), "v".into()]),
            },
        ],
        consistency: Consistency::Quorum,
        serial_consistency: None,
        timestamp: Some(1),
        keyspace: None,
        now_in_seconds: None,
    });
    for version in ProtocolVersion::ALL {
        assert_eq!(round_trip(&b, version), b, "{version}");
    }
}

#[test]
fn batch_rejects_unknown_kinds() {
    let mut body = BytesMut::new();
    body.put_u8(3);
    body.put_u16(0);
    body.put_u16(1);
    body.put_u8(0);
    assert_eq!(
        Request::decode(ProtocolVersion::V4, Opcode::Batch, body.freeze()),
        Err(ProtocolError::UnknownBatchType(3))
    );
}

#[test]
fn simple_messages() {
    let mut opts = HashMap::new();
    opts.insert("CQL_VERSION".into(), "3.0.0".into());
    for r in [
        Request::Startup(opts),
        Request::Options,
        Request::Register(vec!["STATUS_CHANGE".into(), "SCHEMA_CHANGE".into()]),
        Request::AuthResponse(Some(Bytes::from_static(b"\0cassandra\0cassandra"))),
        Request::AuthResponse(None),
    ] {
        assert_eq!(round_trip(&r, ProtocolVersion::V4), r);
    }
}

#[test]
fn response_opcodes_are_refused() {
    assert!(matches!(
        Request::decode(ProtocolVersion::V4, Opcode::Result, Bytes::new()),
        Err(ProtocolError::UnexpectedOpcode { .. })
    ));
}

#[test]
fn truncated_bodies_are_errors() {
    let q = Request::Query(Query {
        query: "SELECT".into(),
        params: QueryParameters {
            values: Values::Positional(vec![v(b"abc")]),
            page_size: Some(10),
            ..QueryParameters::default()
        },
    });
    let mut out = BytesMut::new();
    q.encode(ProtocolVersion::V4, &mut out);
    let full = out.freeze();
    for cut in 0..full.len() {
        assert!(
            Request::decode(ProtocolVersion::V4, Opcode::Query, full.slice(..cut)).is_err(),
            "cut at {cut}"
        );
    }
}

pub(crate) fn arb_consistency() -> impl Strategy<Value = Consistency> + Clone {
    (0u16..11).prop_map(|c| Consistency::from_u16(c).unwrap_or(Consistency::One))
}

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

fn arb_value(version: ProtocolVersion) -> BoxedStrategy<Value> {
    if version.is_v4_or_later() {
        prop_oneof![
            Just(Value::Null),
            Just(Value::Unset),
            arb_bytes().prop_map(Value::Bytes)
        ]
        .boxed()
    } else {
        prop_oneof![Just(Value::Null), arb_bytes().prop_map(Value::Bytes)].boxed()
    }
}

fn arb_params(version: ProtocolVersion) -> impl Strategy<Value = QueryParameters> {
    let v5 = version.is_v5();
    let values = prop_oneof![
        proptest::collection::vec(arb_value(version), 0..4).prop_map(Values::Positional),
        proptest::collection::vec(("[a-z]{1,5}", arb_value(version)), 1..4).prop_map(Values::Named),
    ];
    (
        arb_consistency(),
        values,
        any::<bool>(),
        proptest::option::of(any::<i32>()),
        proptest::option::of(arb_bytes()),
        proptest::option::of(arb_consistency()),
        proptest::option::of(any::<i64>()),
        proptest::option::of("[a-z_]{1,8}"),
        proptest::option::of(any::<i32>()),
    )
        .prop_map(
            move |(
                consistency,
                values,
                skip_metadata,
                page_size,
                paging_state,
                serial,
                ts,
                ks,
                now,
            )| {
                QueryParameters {
                    consistency,
                    values,
                    skip_metadata,
                    page_size,
                    paging_state,
                    serial_consistency: serial,
                    timestamp: ts,
                    keyspace: ks.filter(|_| v5),
                    now_in_seconds: now.filter(|_| v5),
                }
            },
        )
}

fn arb_batch(version: ProtocolVersion) -> impl Strategy<Value = Batch> {
    let v5 = version.is_v5();
    let statement = (
        prop_oneof![
            ".{0,20}".prop_map(BatchQuery::Query),
            arb_bytes().prop_map(BatchQuery::Prepared)
        ],
        proptest::collection::vec(arb_value(version), 0..3),
    );
    (
        0u8..3,
        proptest::collection::vec(statement, 0..4),
        any::<bool>(),
        arb_consistency(),
        proptest::option::of(arb_consistency()),
        proptest::option::of(any::<i64>()),
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of(any::<i32>()),
    )
        .prop_map(
            move |(kind, stmts, named, consistency, serial, ts, ks, now)| {
                let named = named && !stmts.is_empty();
                Batch {
                    kind: BatchType::from_u8(kind).unwrap_or(BatchType::Logged),
                    statements: stmts
                        .into_iter()
                        .map(|(query, values)| BatchStatement {
                            names: named
                                .then(|| (0..values.len()).map(|i| format!("m{i}")).collect()),
                            query,
                            values,
                        })
                        .collect(),
                    consistency,
                    serial_consistency: serial,
                    timestamp: ts,
                    keyspace: ks.filter(|_| v5),
                    now_in_seconds: now.filter(|_| v5),
                }
            },
        )
}

/// Any request that survives a round trip unchanged at `version`.
pub(crate) fn arb_request(version: ProtocolVersion) -> BoxedStrategy<Request> {
    let v5 = version.is_v5();
    prop_oneof![
        proptest::collection::hash_map("[A-Z_]{1,12}", ".{0,8}", 0..4).prop_map(Request::Startup),
        Just(Request::Options),
        (".{0,30}", arb_params(version))
            .prop_map(|(query, params)| Request::Query(Query { query, params })),
        (".{0,30}", proptest::option::of("[a-z]{1,8}")).prop_map(move |(query, ks)| {
            Request::Prepare(Prepare {
                query,
                keyspace: ks.filter(|_| v5),
            })
        }),
        (arb_bytes(), arb_bytes(), arb_params(version)).prop_map(move |(id, rid, params)| {
            Request::Execute(Execute {
                id,
                result_metadata_id: v5.then_some(rid),
                params,
            })
        }),
        arb_batch(version).prop_map(Request::Batch),
        proptest::collection::vec("[A-Z_]{1,14}", 0..3).prop_map(Request::Register),
        proptest::option::of(arb_bytes()).prop_map(Request::AuthResponse),
    ]
    .boxed()
}

pub(crate) fn arb_version() -> impl Strategy<Value = ProtocolVersion> {
    prop_oneof![
        Just(ProtocolVersion::V3),
        Just(ProtocolVersion::V4),
        Just(ProtocolVersion::V5)
    ]
}

proptest! {
    #[test]
    fn requests_round_trip(
        (version, req) in arb_version().prop_flat_map(|v| (Just(v), arb_request(v)))
    ) {
        prop_assert_eq!(round_trip(&req, version), req);
    }

    /// Valid bodies with one byte changed or cut short: deeper than random bytes.
    #[test]
    fn mutated_bodies_never_panic(
        (version, req) in arb_version().prop_flat_map(|v| (Just(v), arb_request(v))),
        at in any::<prop::sample::Index>(),
        x in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut out = BytesMut::new();
        req.encode(version, &mut out);
        if !out.is_empty() {
            let i = at.index(out.len());
            if cut {
                out.truncate(i);
            } else if let Some(b) = out.get_mut(i) {
                *b ^= x;
            }
        }
        let _ = Request::decode(version, req.opcode(), out.freeze());
    }

    #[test]
    fn garbage_bodies_never_panic(
        version in arb_version(),
        op in 0u8..0x11,
        body in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        if let Some(opcode) = Opcode::from_u8(op) {
            let _ = Request::decode(version, opcode, Bytes::from(body));
        }
    }
}
