//! Flush (SSTable write) and major compaction throughput, in data bytes.
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use storage::{
    Cell, CellValue, ColumnId, Config, Engine, Mutation, Row, SyncMode, TableId, TableOptions,
};

const PER_TABLE: u64 = 20_000;
const VALUE: &[u8] = &[b'x'; 100];

fn fill(e: &Engine, t: TableId, round: u64) {
    for k in 0..PER_TABLE {
        // Keys overlap across rounds so compaction really merges.
        let key = k * 3 + round;
        e.apply(&Mutation {
            table: t,
            token: key.wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64,
            key: Bytes::copy_from_slice(&key.to_be_bytes()),
            rows: vec![Row {
                clustering: Bytes::copy_from_slice(&round.to_be_bytes()),
                cells: vec![Cell {
                    column: ColumnId(1),
                    path: None,
                    timestamp: round as i64,
                    value: CellValue::Live {
                        value: Bytes::from_static(VALUE),
                        ttl: None,
                    },
                }],
                ..Row::default()
            }],
            ..Mutation::default()
        })
        .expect("apply");
    }
}

fn engine(dir: &std::path::Path) -> (std::sync::Arc<Engine>, TableId) {
    let mut cfg = Config::for_tests(dir);
    cfg.commitlog_sync = SyncMode::Periodic {
        period: Duration::from_secs(10),
    };
    cfg.memtable_space = 1 << 30;
    cfg.sstable_block_size = 16 << 10;
    let t = TableId(uuid::Uuid::from_u128(1));
    (
        Engine::open(cfg, &[(t, TableOptions::default())]).expect("open"),
        t,
    )
}

fn bench(c: &mut Criterion) {
    // Size of one flushed table, for the throughput figure.
    let probe = tempfile::tempdir().expect("tempdir");
    let (e, t) = engine(probe.path());
    fill(&e, t, 0);
    e.flush(t).expect("flush");
    let one = e.table_stats(t).expect("stats").live_data_size;
    drop(e);

    let mut g = c.benchmark_group("compaction");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes(one));
    g.bench_function("flush_20k_partitions", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let (e, t) = engine(dir.path());
                fill(&e, t, 0);
                (dir, e, t)
            },
            |(_dir, e, t)| e.flush(t).expect("flush"),
            BatchSize::PerIteration,
        )
    });
    g.throughput(Throughput::Bytes(one * 4));
    g.bench_function("major_4_sstables", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let (e, t) = engine(dir.path());
                for round in 0..4 {
                    fill(&e, t, round);
                    e.flush(t).expect("flush");
                }
                (dir, e, t)
            },
            |(_dir, e, t)| e.compact(t).expect("compact"),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
