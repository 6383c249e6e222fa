//! SSTable reads through the engine (memtables empty after a flush, files in
//! the page cache, blocks in the block cache after the first pass): point
//! read hit and miss, a 10-row slice of a wide partition, and for comparison
//! a point read served by a memtable. Two groups: `sstable_read` (wall time)
//! and `sstable_read_cpu` (CPU time of the benchmark thread: the figure to
//! quote on the shared, loaded build machine).
use std::time::Duration;

use bytes::Bytes;
use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use storage::{
    Cell, CellValue, ClusteringBound, ColumnId, Config, Engine, Mutation, ReadCommand, Row,
    SyncMode, TableId, TableOptions,
};

const N: u64 = 50_000;

fn token(k: u64) -> i64 {
    k.wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64
}

fn row(ck: u32) -> Row {
    Row {
        clustering: Bytes::copy_from_slice(&ck.to_be_bytes()),
        cells: vec![Cell {
            column: ColumnId(1),
            path: None,
            timestamp: 1,
            value: CellValue::Live {
                value: Bytes::from_static(b"0123456789abcdef0123456789abcdef"),
                ttl: None,
            },
        }],
        ..Row::default()
    }
}

fn bench(c: &mut Criterion) {
    bench_with(c, "sstable_read");
}

fn bench_cpu(c: &mut Criterion<thread_cpu::ThreadCpu>) {
    bench_with(c, "sstable_read_cpu");
}

fn bench_with<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = Config::for_tests(dir.path());
    cfg.commitlog_sync = SyncMode::Periodic {
        period: Duration::from_secs(10),
    };
    cfg.memtable_space = 1 << 30;
    cfg.sstable_block_size = 16 << 10;
    let t = TableId(uuid::Uuid::from_u128(1));
    // A second table that is never flushed: point reads from its memtable.
    let mt = TableId(uuid::Uuid::from_u128(2));
    let e = Engine::open(
        cfg,
        &[(t, TableOptions::default()), (mt, TableOptions::default())],
    )
    .expect("open");
    for k in 0..N {
        e.apply(&Mutation {
            table: t,
            token: token(k),
            key: Bytes::copy_from_slice(&k.to_be_bytes()),
            rows: vec![row(0)],
            ..Mutation::default()
        })
        .expect("apply");
    }
    let wide = u64::MAX;
    e.apply(&Mutation {
        table: t,
        token: token(wide),
        key: Bytes::copy_from_slice(&wide.to_be_bytes()),
        rows: (0..1000).map(row).collect(),
        ..Mutation::default()
    })
    .expect("apply");
    e.flush(t).expect("flush");
    for k in 0..N {
        e.apply(&Mutation {
            table: mt,
            token: token(k),
            key: Bytes::copy_from_slice(&k.to_be_bytes()),
            rows: vec![row(0)],
            ..Mutation::default()
        })
        .expect("apply");
    }
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    let mut k = 0u64;
    g.bench_function("point_hit", |b| {
        b.iter(|| {
            k = (k + 7919) % N;
            let cmd = ReadCommand::whole(t, token(k), Bytes::copy_from_slice(&k.to_be_bytes()), 0);
            e.read(&cmd).expect("read").expect("present")
        })
    });
    let mut m = N;
    g.bench_function("point_miss", |b| {
        b.iter(|| {
            m += 1;
            let cmd = ReadCommand::whole(t, token(m), Bytes::copy_from_slice(&m.to_be_bytes()), 0);
            e.read(&cmd).expect("read")
        })
    });
    let mut k = 0u64;
    g.bench_function("memtable_point_hit", |b| {
        b.iter(|| {
            k = (k + 7919) % N;
            let cmd = ReadCommand::whole(mt, token(k), Bytes::copy_from_slice(&k.to_be_bytes()), 0);
            e.read(&cmd).expect("read").expect("present")
        })
    });
    g.bench_function("slice_10_of_1000_rows", |b| {
        let mut cmd = ReadCommand::whole(
            t,
            token(wide),
            Bytes::copy_from_slice(&wide.to_be_bytes()),
            0,
        );
        cmd.slices = vec![(
            ClusteringBound::Inclusive(Bytes::copy_from_slice(&500u32.to_be_bytes())),
            ClusteringBound::Exclusive(Bytes::copy_from_slice(&510u32.to_be_bytes())),
        )];
        b.iter(|| e.read(&cmd).expect("read").expect("present"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(thread_cpu::ThreadCpu);
    targets = bench_cpu
}
criterion_main!(benches, cpu_benches);
