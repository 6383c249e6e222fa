//! Response codec tests: exact bytes for the messages drivers parse first, version
//! differences, round trips and garbage.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::error::{ErrorCode, ErrorExtra, Failures, WriteType};
use crate::request::tests::{arb_consistency, arb_version};
use crate::types::{CqlType, UdtType};
use crate::wire::Consistency;

fn encode(r: &Response, version: ProtocolVersion) -> Bytes {
    let mut out = BytesMut::new();
    r.encode_body(version, &mut out);
    out.freeze()
}

fn round_trip(r: &Response, version: ProtocolVersion) -> Response {
    Response::decode(version, r.opcode(), encode(r, version)).expect("decodes")
}

fn col(name: &str, typ: CqlType) -> ColumnSpec {
    ColumnSpec {
        keyspace: "ks".into(),
        table: "t".into(),
        name: name.into(),
        typ,
    }
}

#[test]
fn void_and_set_keyspace_bytes() {
    let void = encode(&Response::Result(ResultBody::Void), ProtocolVersion::V4);
    assert_eq!(&void[..], &[0, 0, 0, 1]);
    let ks = encode(
        &Response::Result(ResultBody::SetKeyspace("ks".into())),
        ProtocolVersion::V4,
    );
    assert_eq!(&ks[..], &[0, 0, 0, 3, 0, 2, b'k', b's']);
}

#[test]
fn rows_use_a_global_table_spec_when_columns_share_it() {
    let rows = Rows {
        metadata: RowsMetadata::new(vec![col("k", CqlType::Int), col("v", CqlType::Text)]),
        rows: vec![vec![Some(Bytes::from_static(&[0, 0, 0, 1])), None]],
    };
    let body = encode(
        &Response::Result(ResultBody::Rows(rows.clone())),
        ProtocolVersion::V4,
    );
    let expected: &[u8] = &[
        0, 0, 0, 2, // kind Rows
        0, 0, 0, 1, // flags: global tables spec
        0, 0, 0, 2, // columns
        0, 2, b'k', b's', 0, 1, b't', // global spec
        0, 1, b'k', 0, 0x09, // k int
        0, 1, b'v', 0, 0x0D, // v varchar
        0, 0, 0, 1, // one row
        0, 0, 0, 4, 0, 0, 0, 1, // k = 1
        0xFF, 0xFF, 0xFF, 0xFF, // v = null
    ];
    assert_eq!(&body[..], expected);
    let back = round_trip(
        &Response::Result(ResultBody::Rows(rows.clone())),
        ProtocolVersion::V4,
    );
    assert_eq!(back, Response::Result(ResultBody::Rows(rows)));
}

#[test]
fn rows_without_metadata_and_with_paging_state() {
    let mut metadata = RowsMetadata::without_columns(2);
    metadata.paging_state = Some(Bytes::from_static(b"next"));
    let rows = Rows {
        metadata,
        rows: vec![vec![None, None]],
    };
    let body = encode(
        &Response::Result(ResultBody::Rows(rows.clone())),
        ProtocolVersion::V4,
    );
    assert_eq!(
        &body[4..8],
        &[0, 0, 0, 0x06],
        "Has_more_pages | No_metadata"
    );
    let back = round_trip(
        &Response::Result(ResultBody::Rows(rows.clone())),
        ProtocolVersion::V4,
    );
    assert_eq!(back, Response::Result(ResultBody::Rows(rows)));
}

#[test]
fn metadata_changed_only_on_v5() {
    let mut metadata = RowsMetadata::new(vec![col("k", CqlType::Int)]);
    metadata.new_metadata_id = Some(Bytes::from_static(&[1, 2]));
    let r = Response::Result(ResultBody::Rows(Rows {
        metadata,
        rows: vec![],
    }));
    assert_eq!(&encode(&r, ProtocolVersion::V5)[4..8], &[0, 0, 0, 0x09]);
    assert_eq!(round_trip(&r, ProtocolVersion::V5), r);
    assert_eq!(&encode(&r, ProtocolVersion::V4)[4..8], &[0, 0, 0, 0x01]);
}

#[test]
fn prepared_differs_by_version() {
    let p = Prepared {
        id: Bytes::from_static(&[0xAA; 16]),
        result_metadata_id: Some(Bytes::from_static(&[0xBB; 16])),
        metadata: PreparedMetadata {
            pk_indexes: vec![0],
            columns: vec![col("k", CqlType::Int)],
        },
        result_metadata: RowsMetadata::without_columns(0),
    };
    let r = Response::Result(ResultBody::Prepared(p.clone()));
    assert_eq!(round_trip(&r, ProtocolVersion::V5), r);
    let v5 = encode(&r, ProtocolVersion::V5);
    let v4 = encode(&r, ProtocolVersion::V4);
    let v3 = encode(&r, ProtocolVersion::V3);
    assert_eq!(
        v5.len(),
        v4.len() + 18,
        "v5 adds [short bytes] result_metadata_id"
    );
    assert_eq!(v4.len(), v3.len() + 6, "v4 adds pk_count and one pk index");
    let Response::Result(ResultBody::Prepared(back3)) = round_trip(&r, ProtocolVersion::V3) else {
        panic!()
    };
    assert!(back3.metadata.pk_indexes.is_empty());
    assert_eq!(back3.result_metadata_id, None);
}

#[test]
fn schema_change_and_events() {
    let change = SchemaChange {
        change: SchemaChangeType::Created,
        target: SchemaChangeTarget::Table {
            keyspace: "ks".into(),
            name: "t".into(),
        },
    };
    let body = encode(
        &Response::Result(ResultBody::SchemaChange(change.clone())),
        ProtocolVersion::V4,
    );
    let mut expected = vec![0, 0, 0, 5, 0, 7];
    expected.extend_from_slice(b"CREATED");
    expected.extend_from_slice(&[0, 5]);
    expected.extend_from_slice(b"TABLE");
    expected.extend_from_slice(&[0, 2, b'k', b's', 0, 1, b't']);
    assert_eq!(&body[..], &expected[..]);
    let addr: SocketAddr = "127.0.0.3:9042".parse().unwrap();
    for e in [
        Event::TopologyChange {
            change: "NEW_NODE".into(),
            address: addr,
        },
        Event::StatusChange {
            change: "DOWN".into(),
            address: addr,
        },
        Event::SchemaChange(SchemaChange {
            change: SchemaChangeType::Dropped,
            target: SchemaChangeTarget::Function {
                keyspace: "ks".into(),
                name: "f".into(),
                args: vec!["int".into(), "text".into()],
            },
        }),
    ] {
        let r = Response::Event(e);
        assert_eq!(round_trip(&r, ProtocolVersion::V4), r);
    }
}

#[test]
fn supported_and_auth() {
    let r = Response::Supported(vec![
        ("CQL_VERSION".into(), vec!["3.4.7".into()]),
        ("COMPRESSION".into(), vec!["snappy".into(), "lz4".into()]),
        (
            "PROTOCOL_VERSIONS".into(),
            ProtocolVersion::SUPPORTED_DESCRIPTIONS
                .map(String::from)
                .to_vec(),
        ),
    ]);
    assert_eq!(round_trip(&r, ProtocolVersion::V4), r);
    for r in [
        Response::Ready,
        Response::Authenticate("org.apache.cassandra.auth.PasswordAuthenticator".into()),
        Response::AuthChallenge(None),
        Response::AuthSuccess(Some(Bytes::from_static(b"ok"))),
    ] {
        assert_eq!(round_trip(&r, ProtocolVersion::V5), r);
    }
    assert!(encode(&Response::Ready, ProtocolVersion::V4).is_empty());
}

#[test]
fn error_bodies_per_version() {
    let e = ErrorBody::unavailable(Consistency::Quorum, 2, 1);
    let body = encode(&Response::Error(e.clone()), ProtocolVersion::V4);
    let msg = b"Cannot achieve consistency level QUORUM";
    let mut expected = vec![0, 0, 0x10, 0x00, 0, msg.len() as u8];
    expected.extend_from_slice(msg);
    expected.extend_from_slice(&[0, 4, 0, 0, 0, 2, 0, 0, 0, 1]);
    assert_eq!(&body[..], &expected[..]);

    let failure = ErrorBody {
        code: ErrorCode::ReadFailure,
        message: "failed".into(),
        extra: ErrorExtra::ReadFailure {
            cl: Consistency::One,
            received: 0,
            block_for: 1,
            failures: Failures::ByEndpoint(vec![(IpAddr::from([127, 0, 0, 2]), 1)]),
            data_present: false,
        },
    };
    let r = Response::Error(failure.clone());
    assert_eq!(round_trip(&r, ProtocolVersion::V5), r);
    // v4 only has the count.
    let Response::Error(back) = round_trip(&r, ProtocolVersion::V4) else {
        panic!()
    };
    assert!(matches!(
        back.extra,
        ErrorExtra::ReadFailure {
            failures: Failures::Count(1),
            ..
        }
    ));
    let unprepared = Response::Error(ErrorBody::unprepared(
        Bytes::from_static(&[1; 16]),
        "Unprepared",
    ));
    assert_eq!(round_trip(&unprepared, ProtocolVersion::V4), unprepared);
}

#[test]
fn metadata_types_use_the_types_option_codec() {
    let cols = vec![
        col("v", CqlType::Vector(Box::new(CqlType::Float), 3)),
        col(
            "m",
            CqlType::Frozen(Box::new(CqlType::Map(
                Box::new(CqlType::Text),
                Box::new(CqlType::Int),
            ))),
        ),
    ];
    let r = Response::Result(ResultBody::Rows(Rows {
        metadata: RowsMetadata::new(cols),
        rows: vec![],
    }));
    let Response::Result(ResultBody::Rows(back)) = round_trip(&r, ProtocolVersion::V5) else {
        panic!()
    };
    assert_eq!(
        back.metadata.columns[0].typ,
        CqlType::Vector(Box::new(CqlType::Float), 3)
    );
    // Frozenness does not travel.
    assert_eq!(
        back.metadata.columns[1].typ,
        CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Int))
    );
    // An unknown option id is a protocol error naming the type.
    let mut body = BytesMut::new();
    crate::wire::write_int(&mut body, 2);
    crate::wire::write_int(&mut body, 1);
    crate::wire::write_int(&mut body, 1);
    crate::wire::write_string(&mut body, "ks");
    crate::wire::write_string(&mut body, "t");
    crate::wire::write_string(&mut body, "c");
    crate::wire::write_short(&mut body, 0x0099);
    crate::wire::write_int(&mut body, 0);
    assert!(matches!(
        Response::decode(ProtocolVersion::V4, Opcode::Result, body.freeze()),
        Err(ProtocolError::InvalidType(_))
    ));
}

#[test]
fn newer_errors_are_downgraded_for_older_clients() {
    let cas = ErrorBody {
        code: ErrorCode::CasWriteUnknown,
        message: "cas".into(),
        extra: ErrorExtra::CasWriteUnknown {
            cl: Consistency::Serial,
            received: 1,
            block_for: 2,
        },
    };
    let r = Response::Error(cas.clone());
    assert_eq!(round_trip(&r, ProtocolVersion::V5), r);
    let Response::Error(v4) = round_trip(&r, ProtocolVersion::V4) else {
        panic!()
    };
    assert_eq!(v4.code, ErrorCode::WriteTimeout);
    assert!(matches!(
        v4.extra,
        ErrorExtra::WriteTimeout {
            write_type: WriteType::Cas,
            received: 1,
            block_for: 2,
            ..
        }
    ));
    let rf = Response::Error(ErrorBody {
        code: ErrorCode::ReadFailure,
        message: "rf".into(),
        extra: ErrorExtra::ReadFailure {
            cl: Consistency::One,
            received: 0,
            block_for: 1,
            failures: Failures::Count(1),
            data_present: false,
        },
    });
    let Response::Error(v3) = round_trip(&rf, ProtocolVersion::V3) else {
        panic!()
    };
    assert_eq!(v3.code, ErrorCode::ReadTimeout);
    let ff = Response::Error(ErrorBody {
        code: ErrorCode::FunctionFailure,
        message: "boom".into(),
        extra: ErrorExtra::FunctionFailure {
            keyspace: "ks".into(),
            function: "f".into(),
            arg_types: vec![],
        },
    });
    let Response::Error(v3) = round_trip(&ff, ProtocolVersion::V3) else {
        panic!()
    };
    assert_eq!((v3.code, v3.message.as_str()), (ErrorCode::Invalid, "boom"));
}

#[test]
fn v3_reports_function_changes_as_keyspace_updates() {
    let r = Response::Event(Event::SchemaChange(SchemaChange {
        change: SchemaChangeType::Created,
        target: SchemaChangeTarget::Aggregate {
            keyspace: "ks".into(),
            name: "agg".into(),
            args: vec!["int".into()],
        },
    }));
    assert_eq!(round_trip(&r, ProtocolVersion::V4), r);
    assert_eq!(
        round_trip(&r, ProtocolVersion::V3),
        Response::Event(Event::SchemaChange(SchemaChange {
            change: SchemaChangeType::Updated,
            target: SchemaChangeTarget::Keyspace("ks".into()),
        }))
    );
}

#[test]
fn request_opcodes_are_refused() {
    assert!(matches!(
        Response::decode(ProtocolVersion::V4, Opcode::Query, Bytes::new()),
        Err(ProtocolError::UnexpectedOpcode { .. })
    ));
}

fn arb_type() -> impl Strategy<Value = CqlType> {
    let leaf = prop_oneof![
        Just(CqlType::Ascii),
        Just(CqlType::Bigint),
        Just(CqlType::Blob),
        Just(CqlType::Boolean),
        Just(CqlType::Counter),
        Just(CqlType::Decimal),
        Just(CqlType::Double),
        Just(CqlType::Float),
        Just(CqlType::Int),
        Just(CqlType::Timestamp),
        Just(CqlType::Uuid),
        Just(CqlType::Text),
        Just(CqlType::Varint),
        Just(CqlType::Timeuuid),
        Just(CqlType::Inet),
        Just(CqlType::Date),
        Just(CqlType::Time),
        Just(CqlType::Smallint),
        Just(CqlType::Tinyint),
        Just(CqlType::Duration),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| CqlType::List(Box::new(t))),
            inner.clone().prop_map(|t| CqlType::Set(Box::new(t))),
            (inner.clone(), inner.clone())
                .prop_map(|(k, v)| CqlType::Map(Box::new(k), Box::new(v))),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(CqlType::Tuple),
            (
                "[a-z]{1,4}",
                "[a-z]{1,4}",
                proptest::collection::vec(("[a-z]{1,4}", inner), 1..3)
            )
                .prop_map(|(keyspace, name, fields)| CqlType::Udt(Arc::new(UdtType {
                    keyspace,
                    name,
                    fields
                }))),
        ]
    })
}

fn arb_columns() -> impl Strategy<Value = Vec<ColumnSpec>> {
    let table = prop_oneof![Just(("ks", "t")), Just(("ks", "u")), Just(("other", "t"))];
    proptest::collection::vec((table, "[a-z]{1,6}", arb_type()), 0..4).prop_map(|cols| {
        cols.into_iter()
            .map(|((ks, t), name, typ)| ColumnSpec {
                keyspace: ks.into(),
                table: t.into(),
                name,
                typ,
            })
            .collect()
    })
}

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..20).prop_map(Bytes::from)
}

fn arb_metadata(version: ProtocolVersion) -> impl Strategy<Value = RowsMetadata> {
    (
        arb_columns(),
        any::<bool>(),
        0usize..4,
        proptest::option::of(arb_bytes()),
        proptest::option::of(arb_bytes()),
    )
        .prop_map(move |(columns, no_metadata, n, paging_state, new_id)| {
            let mut m = if no_metadata {
                RowsMetadata::without_columns(n)
            } else {
                RowsMetadata::new(columns)
            };
            m.paging_state = paging_state;
            m.new_metadata_id = new_id.filter(|_| version.is_v5() && !no_metadata);
            m
        })
}

fn arb_rows(version: ProtocolVersion) -> impl Strategy<Value = Rows> {
    (arb_metadata(version), 0usize..4).prop_flat_map(|(metadata, n)| {
        let n = if metadata.column_count == 0 { 0 } else { n };
        let row =
            proptest::collection::vec(proptest::option::of(arb_bytes()), metadata.column_count);
        proptest::collection::vec(row, n).prop_map(move |rows| Rows {
            metadata: metadata.clone(),
            rows,
        })
    })
}

fn arb_error(version: ProtocolVersion) -> impl Strategy<Value = ErrorBody> {
    let v5 = version.is_v5();
    let failures = if v5 {
        proptest::collection::vec(
            (any::<[u8; 4]>().prop_map(IpAddr::from), any::<u16>()),
            0..3,
        )
        .prop_map(Failures::ByEndpoint)
        .boxed()
    } else {
        any::<i32>().prop_map(Failures::Count).boxed()
    };
    let write_type = proptest::sample::select(WriteType::ALL.to_vec());
    let counts = (arb_consistency(), any::<i32>(), any::<i32>());
    let extra = prop_oneof![
        Just((ErrorCode::Invalid, ErrorExtra::None)),
        Just((ErrorCode::Protocol, ErrorExtra::None)),
        counts.clone().prop_map(|(cl, required, alive)| (
            ErrorCode::Unavailable,
            ErrorExtra::Unavailable {
                cl,
                required,
                alive
            }
        )),
        (counts.clone(), write_type.clone(), any::<u16>()).prop_map(
            move |((cl, received, block_for), write_type, c)| (
                ErrorCode::WriteTimeout,
                ErrorExtra::WriteTimeout {
                    cl,
                    received,
                    block_for,
                    write_type,
                    contentions: (v5 && write_type == WriteType::Cas).then_some(c),
                }
            )
        ),
        (counts.clone(), any::<bool>()).prop_map(|((cl, received, block_for), data_present)| (
            ErrorCode::ReadTimeout,
            ErrorExtra::ReadTimeout {
                cl,
                received,
                block_for,
                data_present
            }
        )),
        (counts.clone(), failures.clone(), any::<bool>()).prop_map(
            |((cl, received, block_for), failures, data_present)| (
                ErrorCode::ReadFailure,
                ErrorExtra::ReadFailure {
                    cl,
                    received,
                    block_for,
                    failures,
                    data_present
                }
            )
        ),
        (counts.clone(), failures, write_type).prop_map(
            |((cl, received, block_for), failures, write_type)| (
                ErrorCode::WriteFailure,
                ErrorExtra::WriteFailure {
                    cl,
                    received,
                    block_for,
                    failures,
                    write_type
                }
            )
        ),
        (
            "[a-z]{1,5}",
            "[a-z]{1,5}",
            proptest::collection::vec("[a-z]{1,5}", 0..3)
        )
            .prop_map(|(keyspace, function, arg_types)| (
                ErrorCode::FunctionFailure,
                ErrorExtra::FunctionFailure {
                    keyspace,
                    function,
                    arg_types
                }
            )),
        counts.prop_map(|(cl, received, block_for)| (
            ErrorCode::CasWriteUnknown,
            ErrorExtra::CasWriteUnknown {
                cl,
                received,
                block_for
            }
        )),
        ("[a-z]{1,5}", "[a-z]{0,5}").prop_map(|(keyspace, table)| (
            ErrorCode::AlreadyExists,
            ErrorExtra::AlreadyExists { keyspace, table }
        )),
        arb_bytes().prop_map(|id| (ErrorCode::Unprepared, ErrorExtra::Unprepared { id })),
    ];
    (extra, ".{0,30}")
        .prop_map(|((code, extra), message)| ErrorBody {
            code,
            message,
            extra,
        })
        // Errors the version lacks are sent as older ones (tested separately).
        .prop_filter("representable in this version", move |b| {
            super::error::downgrade_for(b, version).is_none()
        })
}

/// Schema changes `version` can carry (v3 has no functions or aggregates).
fn arb_schema_change(version: ProtocolVersion) -> impl Strategy<Value = SchemaChange> {
    arb_schema_change_any().prop_filter("v3 lacks functions", move |c| {
        version.is_v4_or_later()
            || matches!(
                c.target,
                SchemaChangeTarget::Keyspace(_)
                    | SchemaChangeTarget::Table { .. }
                    | SchemaChangeTarget::Type { .. }
            )
    })
}

fn arb_schema_change_any() -> impl Strategy<Value = SchemaChange> {
    let change = prop_oneof![
        Just(SchemaChangeType::Created),
        Just(SchemaChangeType::Updated),
        Just(SchemaChangeType::Dropped)
    ];
    let target = prop_oneof![
        "[a-z]{1,5}".prop_map(SchemaChangeTarget::Keyspace),
        ("[a-z]{1,5}", "[a-z]{1,5}")
            .prop_map(|(keyspace, name)| SchemaChangeTarget::Table { keyspace, name }),
        ("[a-z]{1,5}", "[a-z]{1,5}")
            .prop_map(|(keyspace, name)| SchemaChangeTarget::Type { keyspace, name }),
        (
            "[a-z]{1,5}",
            "[a-z]{1,5}",
            proptest::collection::vec("[a-z]{1,5}", 0..3)
        )
            .prop_map(|(keyspace, name, args)| SchemaChangeTarget::Function {
                keyspace,
                name,
                args
            }),
        (
            "[a-z]{1,5}",
            "[a-z]{1,5}",
            proptest::collection::vec("[a-z]{1,5}", 0..3)
        )
            .prop_map(|(keyspace, name, args)| SchemaChangeTarget::Aggregate {
                keyspace,
                name,
                args
            }),
    ];
    (change, target).prop_map(|(change, target)| SchemaChange { change, target })
}

/// Any response that survives a round trip unchanged at `version`.
pub(crate) fn arb_response(version: ProtocolVersion) -> BoxedStrategy<Response> {
    let v5 = version.is_v5();
    let prepared = (
        arb_bytes(),
        arb_bytes(),
        proptest::collection::vec(any::<u16>(), 0..3),
        arb_columns(),
        arb_metadata(version),
    )
        .prop_map(move |(id, rid, pk, columns, result_metadata)| Prepared {
            id,
            result_metadata_id: v5.then_some(rid),
            metadata: PreparedMetadata {
                pk_indexes: if version.is_v4_or_later() {
                    pk
                } else {
                    Vec::new()
                },
                columns,
            },
            result_metadata,
        });
    let addr = (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port)));
    prop_oneof![
        arb_error(version).prop_map(Response::Error),
        Just(Response::Ready),
        ".{0,30}".prop_map(Response::Authenticate),
        proptest::collection::vec(
            ("[A-Z_]{1,10}", proptest::collection::vec(".{0,6}", 0..3)),
            0..3
        )
        .prop_map(Response::Supported),
        Just(Response::Result(ResultBody::Void)),
        arb_rows(version).prop_map(|r| Response::Result(ResultBody::Rows(r))),
        "[a-z]{0,8}".prop_map(|k| Response::Result(ResultBody::SetKeyspace(k))),
        prepared.prop_map(|p| Response::Result(ResultBody::Prepared(p))),
        arb_schema_change(version).prop_map(|c| Response::Result(ResultBody::SchemaChange(c))),
        (
            prop_oneof![Just("NEW_NODE"), Just("REMOVED_NODE")],
            addr.clone()
        )
            .prop_map(|(c, address)| Response::Event(Event::TopologyChange {
                change: c.into(),
                address
            })),
        (prop_oneof![Just("UP"), Just("DOWN")], addr).prop_map(|(c, address)| Response::Event(
            Event::StatusChange {
                change: c.into(),
                address
            }
        )),
        arb_schema_change(version).prop_map(|c| Response::Event(Event::SchemaChange(c))),
        proptest::option::of(arb_bytes()).prop_map(Response::AuthChallenge),
        proptest::option::of(arb_bytes()).prop_map(Response::AuthSuccess),
    ]
    .boxed()
}

proptest! {
    #[test]
    fn responses_round_trip(
        (version, r) in arb_version().prop_flat_map(|v| (Just(v), arb_response(v)))
    ) {
        prop_assert_eq!(round_trip(&r, version), r);
    }

    /// Valid bodies with one byte changed or cut short: deeper than random bytes.
    #[test]
    fn mutated_bodies_never_panic(
        (version, req) in arb_version().prop_flat_map(|v| (Just(v), arb_response(v))),
        at in any::<prop::sample::Index>(),
        x in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut out = BytesMut::new();
        req.encode_body(version, &mut out);
        if !out.is_empty() {
            let i = at.index(out.len());
            if cut {
                out.truncate(i);
            } else if let Some(b) = out.get_mut(i) {
                *b ^= x;
            }
        }
        let _ = Response::decode(version, req.opcode(), out.freeze());
    }

    #[test]
    fn garbage_bodies_never_panic(
        version in arb_version(),
        op in 0u8..0x11,
        body in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        if let Some(opcode) = Opcode::from_u8(op) {
            let _ = Response::decode(version, opcode, Bytes::from(body));
        }
    }
}
