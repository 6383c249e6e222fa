//! Hot paths of helenus-stress, per operation, without a network: building the
//! EXECUTE of a cassandra-stress `write` (key and five 34-byte blobs), drawing keys
//! from each population, and recording a latency in the HDR histograms. Together
//! they are what the tool spends per request besides its socket calls; at 300k
//! requests/s from one core the whole budget is about 3.3 µs.
//!
//! Run: `cargo bench --bench stress_client`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use cql::frame::ProtocolVersion;
use cql::wire::Consistency;
use tools::stress::args;
use tools::stress::conn::{encode_execute, PreparedId};
use tools::stress::dist::{KeySource, Population, Rng};
use tools::stress::stats::Stats;
use tools::stress::workload::{OpKind, Workload};

fn settings(line: &str) -> args::Settings {
    let argv: Vec<String> = line.split_whitespace().map(String::from).collect();
    args::parse(&argv).expect("a valid stress command line")
}

fn encode(c: &mut Criterion) {
    let workload = Workload::predefined(&settings("write n=1")).expect("write workload");
    let binder = workload
        .ops
        .first()
        .map(|o| o.binder.clone())
        .expect("the write operation");
    let prepared = PreparedId {
        id: Bytes::from_static(&[7; 16]),
        result_metadata_id: Some(Bytes::from_static(&[9; 16])),
    };
    let mut g = c.benchmark_group("stress_client");
    g.throughput(Throughput::Elements(1));
    for (name, version) in [
        ("encode_write_execute_v4", ProtocolVersion::V4),
        ("encode_write_execute_v5", ProtocolVersion::V5),
    ] {
        let mut out = BytesMut::with_capacity(64 << 10);
        let mut key = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                // The tool appends a batch of requests to one buffer and writes it out.
                if out.len() > 60 << 10 {
                    out.clear();
                }
                key += 1;
                encode_execute(
                    &mut out,
                    version,
                    (key & 0x7fff) as i16,
                    &prepared,
                    Consistency::LocalOne,
                    |o| binder.write(o, black_box(key)),
                );
            })
        });
    }
    g.finish();
}

fn keys(c: &mut Criterion) {
    let mut g = c.benchmark_group("stress_client");
    g.throughput(Throughput::Elements(1));
    for (name, pop) in [
        ("key_seq", "seq=1..1000000"),
        ("key_uniform", "dist=uniform(1..1000000)"),
        ("key_gaussian", "dist=gaussian(1..1000000)"),
        ("key_zipf", "dist=zipf(1..1000000)"),
    ] {
        let source = KeySource::new(Population::parse(pop).expect("a valid population"));
        let mut rng = Rng::new(42);
        g.bench_function(name, |b| b.iter(|| source.next(black_box(&mut rng))));
    }
    g.finish();
}

fn record(c: &mut Criterion) {
    let mut stats = Stats::new(&["write".to_string()]);
    let mut g = c.benchmark_group("stress_client");
    g.throughput(Throughput::Elements(1));
    let mut latency = 0u64;
    g.bench_function("record_latency", |b| {
        b.iter(|| {
            // Latencies from 100 µs to ~10 ms, spread over the histogram's buckets.
            latency = (latency + 7919) % 10_000;
            stats.ok(0, OpKind::Write, black_box(100 + latency), 1);
        })
    });
    g.finish();
}

criterion_group!(benches, encode, keys, record);
criterion_main!(benches);
