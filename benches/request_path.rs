//! The node's request path in-process, no sockets: an EXECUTE envelope of a prepared
//! INSERT (one blob partition key, five 34-byte blobs: cassandra-stress's default row)
//! or of a point SELECT is decoded, executed by a `QueryProcessor` on a temporary
//! directory (periodic commit log, as a node runs by default) and its response encoded,
//! which is what a connection does per request minus the socket and the task plumbing.
//!
//! Run: `cargo bench --bench request_path`. Instruction counts per request (repeatable
//! on a loaded machine): docs/PERFORMANCE.md, "Request path, session 5".

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion};

use cql::frame::{
    decode_frame, encode_frame, encode_request_frame, Compression, FrameExtras, ProtocolVersion,
};
use cql::request::{Execute, Query, QueryParameters, Request, Value, Values};
use cql::response::{Response, ResultBody};
#[path = "support/local_node.rs"]
mod local_node;
use local_node::Node;

const V4: ProtocolVersion = ProtocolVersion::V4;
const MAX_FRAME: usize = 16 << 20;
/// Distinct partition keys the INSERT cycles through and the SELECT reads.
const KEYS: u64 = 100_000;

impl Node {
    fn with_table() -> Node {
        // A node's default sizes, not the test presets (a 4 MiB memtable and 64 MiB of
        // commit log): the rows stay in the memtable, as in the whole-node runs of
        // docs/PERFORMANCE.md, instead of every read going to SSTables.
        let mut node = Node::open_with(|cfg| {
            cfg.memtable_space = 1 << 30;
            cfg.commitlog_segment_size = 32 << 20;
            cfg.commitlog_total_space = 2 << 30;
        });
        for ddl in [
            "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE ks.standard1 (key blob PRIMARY KEY, c0 blob, c1 blob, c2 blob, c3 blob, c4 blob)",
        ] {
            let q = Query {
                query: ddl.into(),
                params: QueryParameters::default(),
            };
            let (qp, st) = (&node.qp, &mut node.st);
            node.rt.block_on(qp.query(st, q)).expect(ddl);
        }
        node
    }

    fn prepare(&mut self, text: &str) -> Bytes {
        let p = cql::request::Prepare {
            query: text.into(),
            keyspace: None,
        };
        let (qp, st) = (&self.qp, &mut self.st);
        match self.rt.block_on(qp.prepare(st, p)).expect(text) {
            ResultBody::Prepared(p) => p.id,
            other => panic!("PREPARE answered {other:?}"),
        }
    }

    /// Decode, execute, encode: one request's work; returns the response size.
    fn serve(&mut self, envelope: &BytesMut, out: &mut BytesMut) -> usize {
        let mut buf = envelope.clone();
        let f = decode_frame(&mut buf, MAX_FRAME, Compression::None)
            .expect("valid")
            .expect("whole");
        let Request::Execute(e) =
            Request::decode(f.header.version, f.header.opcode, f.body).expect("valid")
        else {
            unreachable!()
        };
        let (qp, st) = (&self.qp, &mut self.st);
        let body = self.rt.block_on(qp.execute(st, e)).expect("execute");
        out.clear();
        encode_frame(
            out,
            V4,
            f.header.stream,
            &Response::Result(body),
            &FrameExtras::default(),
            Compression::None,
        );
        out.len()
    }
}

fn key(i: u64) -> Value {
    Value::Bytes(Bytes::from(format!("{:010}", i % KEYS)))
}

fn execute_frame(id: &Bytes, values: Vec<Value>) -> BytesMut {
    let req = Request::Execute(Execute {
        id: id.clone(),
        result_metadata_id: None,
        params: QueryParameters {
            values: Values::Positional(values),
            ..QueryParameters::default()
        },
    });
    let mut out = BytesMut::new();
    encode_request_frame(&mut out, V4, 1, &req, false, Compression::None);
    out
}

fn insert_frames(id: &Bytes) -> Vec<BytesMut> {
    (0..KEYS)
        .map(|i| {
            let mut v = vec![key(i)];
            v.extend((0..5u8).map(|c| Value::Bytes(Bytes::from(vec![c ^ i as u8; 34]))));
            execute_frame(id, v)
        })
        .collect()
}

fn bench_request_path(c: &mut Criterion) {
    let mut node = Node::with_table();
    let insert = node
        .prepare("INSERT INTO ks.standard1 (key, c0, c1, c2, c3, c4) VALUES (?, ?, ?, ?, ?, ?)");
    let select = node.prepare("SELECT * FROM ks.standard1 WHERE key = ?");
    let inserts = insert_frames(&insert);
    let selects: Vec<BytesMut> = (0..KEYS)
        .map(|i| execute_frame(&select, vec![key(i)]))
        .collect();
    let mut out = BytesMut::with_capacity(4096);
    // Every key exists before the reads are measured.
    for f in &inserts {
        node.serve(f, &mut out);
    }

    let mut i = 0usize;
    c.bench_function("execute_insert_5x34B", |b| {
        b.iter(|| {
            i = (i + 1) % inserts.len();
            black_box(node.serve(&inserts[i], &mut out))
        })
    });
    let mut i = 0usize;
    c.bench_function("execute_point_select_memtable", |b| {
        b.iter(|| {
            i = (i + 7919) % selects.len();
            let n = node.serve(&selects[i], &mut out);
            assert!(n > 100, "the row was found");
            black_box(n)
        })
    });
}

criterion_group!(benches, bench_request_path);
criterion_main!(benches);
