//! Hot paths of the CQL codec, on fixed data: decoding a QUERY (an INSERT with 5 bound
//! values) and an EXECUTE envelope into a `Request`, encoding a 100 x 5 ROWS response
//! (from a `Rows` value and streamed with `RowsWriter`),
//! and v5 segment encode/decode (plain and lz4).
//!
//! Run: `cargo bench --bench frame_codec`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use cql::frame::{
    decode_frame, decode_segment, encode_frame, encode_frame_with, encode_request_frame,
    encode_segments, Compression, FrameExtras, Opcode, ProtocolVersion, MAX_SEGMENT_PAYLOAD,
};
use cql::request::{Execute, Query, QueryParameters, Request, Value, Values};
use cql::response::{ColumnSpec, Response, ResultBody, Rows, RowsMetadata, RowsWriter};
use cql::types::CqlType;
use cql::wire::Consistency;

const MAX_FRAME: usize = 256 * 1024 * 1024;
const V4: ProtocolVersion = ProtocolVersion::V4;

fn five_values() -> QueryParameters {
    let values = vec![
        Value::Bytes(Bytes::from_static(&[0, 0, 0, 42])),
        Value::Bytes(Bytes::from_static(b"sensor-0001")),
        Value::Bytes(Bytes::from_static(&[0, 0, 1, 0x8B, 0xCF, 0xE5, 0x68, 0])),
        Value::Bytes(Bytes::from_static(&[
            0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18,
        ])),
        Value::Null,
    ];
    QueryParameters {
        consistency: Consistency::LocalQuorum,
        values: Values::Positional(values),
        timestamp: Some(1_700_000_000_000_000),
        ..QueryParameters::default()
    }
}

fn request_frame(req: &Request) -> BytesMut {
    let mut out = BytesMut::new();
    encode_request_frame(&mut out, V4, 1, req, false, Compression::None);
    out
}

fn rows_response() -> Response {
    let col = |name: &str, typ| ColumnSpec {
        keyspace: "metrics".into(),
        table: "readings".into(),
        name: name.into(),
        typ,
    };
    let metadata = RowsMetadata::new(vec![
        col("id", CqlType::Int),
        col("sensor", CqlType::Text),
        col("ts", CqlType::Timestamp),
        col("value", CqlType::Double),
        col("note", CqlType::Text),
    ]);
    let rows = (0..100u32)
        .map(|i| {
            vec![
                Some(Bytes::copy_from_slice(&i.to_be_bytes())),
                Some(Bytes::from(format!("sensor-{i:04}"))),
                Some(Bytes::copy_from_slice(
                    &(1_700_000_000_000i64 + i64::from(i)).to_be_bytes(),
                )),
                Some(Bytes::copy_from_slice(&(f64::from(i) * 0.5).to_be_bytes())),
                None,
            ]
        })
        .collect();
    Response::Result(ResultBody::Rows(Rows { metadata, rows }))
}

fn bench_decode(c: &mut Criterion) {
    let query = request_frame(&Request::Query(Query {
        query: "INSERT INTO metrics.readings (id, sensor, ts, value, note) VALUES (?, ?, ?, ?, ?)"
            .into(),
        params: five_values(),
    }));
    let execute = request_frame(&Request::Execute(Execute {
        id: Bytes::from_static(&[0xAB; 16]),
        result_metadata_id: None,
        params: five_values(),
    }));
    for (name, frame) in [
        ("decode_query_insert_5_values", query),
        ("decode_execute_5_values", execute),
    ] {
        c.bench_function(name, |b| {
            b.iter_batched(
                || frame.clone(),
                |mut buf| {
                    let f = decode_frame(&mut buf, MAX_FRAME, Compression::None)
                        .expect("valid")
                        .expect("whole");
                    black_box(
                        Request::decode(f.header.version, f.header.opcode, f.body).expect("valid"),
                    )
                },
                BatchSize::SmallInput,
            )
        });
    }
}

fn bench_encode_rows(c: &mut Criterion) {
    let rows = rows_response();
    let extras = FrameExtras::default();
    let mut out = BytesMut::with_capacity(64 * 1024);
    c.bench_function("encode_rows_100x5", |b| {
        b.iter(|| {
            out.clear();
            encode_frame(
                &mut out,
                V4,
                1,
                black_box(&rows),
                &extras,
                Compression::None,
            );
            black_box(out.len())
        })
    });
}

/// The same 100 x 5 page written cell by cell with `RowsWriter` (no `Rows` value).
fn bench_encode_rows_streaming(c: &mut Criterion) {
    let Response::Result(ResultBody::Rows(rows)) = rows_response() else {
        unreachable!()
    };
    let extras = FrameExtras::default();
    let mut out = BytesMut::with_capacity(64 * 1024);
    c.bench_function("encode_rows_100x5_streaming", |b| {
        b.iter(|| {
            out.clear();
            encode_frame_with(
                &mut out,
                V4,
                1,
                Opcode::Result,
                &extras,
                Compression::None,
                |out| {
                    let mut w = RowsWriter::new(out, V4, &rows.metadata);
                    for row in black_box(&rows.rows) {
                        for v in row {
                            w.value(v.as_deref());
                        }
                    }
                    w.finish();
                },
            );
            black_box(out.len())
        })
    });
}

fn bench_segments(c: &mut Criterion) {
    let mut envelope = BytesMut::new();
    encode_frame(
        &mut envelope,
        ProtocolVersion::V5,
        1,
        &rows_response(),
        &FrameExtras::default(),
        Compression::None,
    );
    let mut group = c.benchmark_group("v5_segment");
    group.throughput(Throughput::Bytes(envelope.len() as u64));
    for compressed in [false, true] {
        let label = if compressed { "lz4" } else { "plain" };
        let mut out = BytesMut::with_capacity(64 * 1024);
        group.bench_function(format!("encode_{label}"), |b| {
            b.iter(|| {
                out.clear();
                encode_segments(black_box(&envelope), compressed, &mut out);
                black_box(out.len())
            })
        });
        let mut wire = BytesMut::new();
        encode_segments(&envelope, compressed, &mut wire);
        group.bench_function(format!("decode_{label}"), |b| {
            b.iter_batched(
                || wire.clone(),
                |mut buf| {
                    black_box(
                        decode_segment(&mut buf, compressed, MAX_SEGMENT_PAYLOAD)
                            .expect("valid")
                            .expect("whole"),
                    )
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_decode,
    bench_encode_rows,
    bench_encode_rows_streaming,
    bench_segments
);
criterion_main!(benches);
