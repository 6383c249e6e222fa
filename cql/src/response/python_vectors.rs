//! Response envelopes checked against a real client: these exact bytes were decoded
//! by the Python driver (cassandra-driver 3.30.1, `ProtocolHandler.decode_message`)
//! into the values noted on each test. They pin our encoding so it cannot drift.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::*;
use crate::error::{ErrorCode, ErrorExtra, Failures};
use crate::frame::{encode_frame, Compression, FrameExtras};
use crate::types::{CqlType, UdtType};
use crate::wire::Consistency;

fn hex(parts: &[&str]) -> Vec<u8> {
    let s: String = parts.concat();
    (0..s.len())
        .step_by(2)
        .filter_map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn frame(version: ProtocolVersion, r: &Response) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_frame(
        &mut out,
        version,
        3,
        r,
        &FrameExtras::default(),
        Compression::None,
    );
    out.to_vec()
}

fn columns() -> Vec<ColumnSpec> {
    let col = |name: &str, typ| ColumnSpec {
        keyspace: "ks".into(),
        table: "t".into(),
        name: name.into(),
        typ,
    };
    let udt = CqlType::Udt(Arc::new(UdtType {
        keyspace: "ks".into(),
        name: "addr".into(),
        fields: vec![("street".into(), CqlType::Text), ("n".into(), CqlType::Int)],
    }));
    vec![
        col("k", CqlType::Int),
        col("l", CqlType::List(Box::new(CqlType::Int))),
        col(
            "m",
            CqlType::Map(Box::new(CqlType::Text), Box::new(CqlType::Bigint)),
        ),
        col("u", udt),
        col("t", CqlType::Tuple(vec![CqlType::Int, CqlType::Text])),
    ]
}

/// Python: column_metadata ks.t k int, l list<int>, m map<varchar, bigint>, u addr,
/// t tuple<int, varchar>; paging_state b'next';
/// parsed_rows [(7, [9], {'a': 5}, addr(street='s', n=3), None)].
#[test]
fn rows_v4() {
    let mut metadata = RowsMetadata::new(columns());
    metadata.paging_state = Some(Bytes::from_static(b"next"));
    let rows = Rows {
        metadata,
        rows: vec![vec![
            Some(Bytes::from_static(&[0, 0, 0, 7])),
            Some(Bytes::from_static(&[0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 9])),
            Some(Bytes::from_static(&[
                0, 0, 0, 1, 0, 0, 0, 1, b'a', 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5,
            ])),
            Some(Bytes::from_static(&[
                0, 0, 0, 1, b's', 0, 0, 0, 4, 0, 0, 0, 3,
            ])),
            None,
        ]],
    };
    let expected = hex(&[
        "8400000308000000a5000000020000000300000005000000046e65787400026b7300017400016b00",
        "0900016c0020000900016d0021000d0002000175003000026b730004616464720002000673747265",
        "6574000d00016e0009000174003100020009000d0000000100000004000000070000000c00000001",
        "0000000400000009000000150000000100000001610000000800000000000000050000000d000000",
        "01730000000400000003ffffffff",
    ]);
    assert_eq!(
        frame(
            ProtocolVersion::V4,
            &Response::Result(ResultBody::Rows(rows))
        ),
        expected
    );
}

/// Python: query_id 0xaa * 16, result_metadata_id 0xbb * 16, pk_indexes [0],
/// bind_metadata [ks.t.k int], column_metadata as in `rows_v4`.
#[test]
fn prepared_v5() {
    let p = Prepared {
        id: Bytes::from_static(&[0xAA; 16]),
        result_metadata_id: Some(Bytes::from_static(&[0xBB; 16])),
        metadata: PreparedMetadata {
            pk_indexes: vec![0],
            columns: vec![columns().remove(0)],
        },
        result_metadata: RowsMetadata::new(columns()),
    };
    let expected = hex(&[
        "850000030800000091000000040010aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0010bbbbbbbbbbbbbb",
        "bbbbbbbbbbbbbbbbbb000000010000000100000001000000026b7300017400016b00090000000100",
        "00000500026b7300017400016b000900016c0020000900016d0021000d0002000175003000026b73",
        "00046164647200020006737472656574000d00016e0009000174003100020009000d",
    ]);
    assert_eq!(
        frame(
            ProtocolVersion::V5,
            &Response::Result(ResultBody::Prepared(p))
        ),
        expected
    );
}

/// Python: ReadFailureMessage consistency ONE, received 0, required 1, failures 1,
/// error_code_map {'127.0.0.2': 1}, data_retrieved True.
#[test]
fn read_failure_v5() {
    let e = ErrorBody {
        code: ErrorCode::ReadFailure,
        message: "rf".into(),
        extra: ErrorExtra::ReadFailure {
            cl: Consistency::One,
            received: 0,
            block_for: 1,
            failures: Failures::ByEndpoint(vec![(IpAddr::from([127, 0, 0, 2]), 1)]),
            data_present: true,
        },
    };
    let expected =
        hex(&["85000003000000001e00001300000272660001000000000000000100000001047f000002000101"]);
    assert_eq!(frame(ProtocolVersion::V5, &Response::Error(e)), expected);
}
