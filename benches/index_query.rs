//! An indexed equality query on a table of 100,000 rows that returns 5 of them,
//! answered by the scan + filter (no index, ALLOW FILTERING) and then by the index
//! table (docs/INDEXES.md), in-process through a `QueryProcessor` (no sockets).
//! Criterion measures the calling thread's CPU (the runtime is current-thread, so the
//! whole query runs on it); wall-clock medians are printed too.
//!
//! Run: `cargo bench --bench index_query`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/local_node.rs"]
mod local_node;
#[path = "support/thread_cpu.rs"]
mod thread_cpu;

use cql::request::{Query, QueryParameters};
use cql::response::ResultBody;
use local_node::Node;

const ROWS: i32 = 100_000;
/// Rows per indexed value: `v = 'v7'` matches 5 rows.
const MATCHES: i32 = 5;
const QUERY: &str = "SELECT k, v FROM ks.t WHERE v = 'v7' ALLOW FILTERING";

impl Node {
    fn run(&mut self, text: &str) -> ResultBody {
        let q = Query {
            query: text.into(),
            params: QueryParameters::default(),
        };
        let (qp, st) = (&self.qp, &mut self.st);
        self.rt.block_on(qp.query(st, q)).expect(text)
    }

    fn rows(&mut self, text: &str) -> usize {
        match self.run(text) {
            ResultBody::Rows(r) => r.rows.len(),
            other => panic!("{text}: {other:?}"),
        }
    }
}

fn wall_median(node: &mut Node) -> Duration {
    let mut t: Vec<Duration> = (0..21)
        .map(|_| {
            let start = Instant::now();
            assert_eq!(node.rows(QUERY), MATCHES as usize);
            start.elapsed()
        })
        .collect();
    t.sort();
    t[t.len() / 2]
}

fn bench(c: &mut Criterion<thread_cpu::ThreadCpu>) {
    let mut node = Node::open();
    node.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    node.run("CREATE TABLE ks.t (k int PRIMARY KEY, v text, pad text)");
    for k in 0..ROWS {
        let v = k % (ROWS / MATCHES);
        node.run(&format!(
            "INSERT INTO ks.t (k, v, pad) VALUES ({k}, 'v{v}', 'padding-padding-padding')"
        ));
    }
    let mut g = c.benchmark_group("index_query_100k");
    g.sample_size(10);
    println!("scan + filter: wall median {:?}", wall_median(&mut node));
    g.bench_function("scan_filter", |b| b.iter(|| node.rows(QUERY)));
    node.run("CREATE INDEX v_idx ON ks.t (v)");
    while node.rows("SELECT index_name FROM system.\"IndexInfo\" WHERE table_name = 'ks'") == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("index: wall median {:?}", wall_median(&mut node));
    g.bench_function("index", |b| b.iter(|| node.rows(QUERY)));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(thread_cpu::ThreadCpu);
    targets = bench
}
criterion_main!(benches);
