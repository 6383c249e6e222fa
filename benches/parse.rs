//! Parsing cost of typical statements (cql::parser). The parser must stay invisible in
//! a profile of a simple INSERT: target well under 2 µs for the prepared INSERT below.
//!
//! Run: `cargo bench --bench parse`. Two groups: `parse` (wall time, criterion's default)
//! and `parse_cpu` (CPU time of the benchmark thread, Linux only), because the build
//! machine is shared and wall time there mostly measures the other processes.

use criterion::measurement::Measurement;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use thread_cpu::ThreadCpu;

const INSERT: &str = "INSERT INTO ks.t (k, c1, c2, c3, c4, c5) VALUES (?, ?, ?, ?, ?, ?)";
const INSERT_LITERALS: &str = "INSERT INTO ks.events (tenant, day, ts, payload, tags) \
    VALUES ('acme', '2024-05-01', 50554d6e-29bb-11e5-b345-feff819cdc9f, 'hello world', {'a', 'b'}) \
    USING TTL 86400";
const SELECT: &str =
    "SELECT a, b, writetime(c) AS wt FROM ks.t WHERE k = ? AND c >= 10 AND c < 20 \
    ORDER BY c DESC LIMIT 100";
const UPDATE_COUNTER: &str = "UPDATE ks.counters SET hits = hits + 1 WHERE k = ? AND day = ?";
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS ks.events (\
    tenant text, day date, ts timeuuid, payload text, tags set<text>, attrs map<text, frozen<list<int>>>, \
    PRIMARY KEY ((tenant, day), ts)) WITH CLUSTERING ORDER BY (ts DESC) \
    AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_size': 1} \
    AND default_time_to_live = 604800 AND comment = 'events'";

fn bench_parse(c: &mut Criterion) {
    bench_with(c, "parse");
}

fn bench_parse_cpu(c: &mut Criterion<ThreadCpu>) {
    bench_with(c, "parse_cpu");
}

fn bench_with<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let mut group = c.benchmark_group(group_name);
    for (name, text) in [
        ("insert_markers", INSERT),
        ("insert_literals", INSERT_LITERALS),
        ("select_where_order_limit", SELECT),
        ("update_counter", UPDATE_COUNTER),
        ("create_table", CREATE_TABLE),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                cql::parser::parse_statement(black_box(text)).expect("benchmark statement parses")
            })
        });
    }
    group.bench_function("tokenize_insert_markers", |b| {
        b.iter(|| cql::parser::lexer::tokenize(black_box(INSERT)).expect("lexes"))
    });
    // Reference point for the same machine and load: the allocations the INSERT's AST
    // needs anyway (table, keyspace, 6 column names, 2 vectors, the box, the tokens).
    group.bench_function("baseline_12_small_allocations", |b| {
        b.iter(|| {
            let v: Vec<String> = (0..12)
                .map(|i| black_box(["k", "c1", "ks"][i % 3]).to_string())
                .collect();
            black_box(v)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = bench_parse_cpu
}
criterion_main!(benches, cpu_benches);
