//! Commit-log append throughput per sync mode (one thread). Periodic mode
//! acknowledges without waiting; batch waits for an fsync per append when
//! alone (group commit needs concurrent writers); group waits for its window.
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use storage::commitlog::CommitLog;
use storage::{Cell, CellValue, ColumnId, Mutation, Row, SyncMode, TableId};

fn small(i: u64) -> Mutation {
    Mutation {
        table: TableId(uuid::Uuid::nil()),
        token: i as i64,
        key: Bytes::copy_from_slice(&i.to_be_bytes()),
        rows: vec![Row {
            cells: vec![Cell {
                column: ColumnId(1),
                path: None,
                timestamp: 1,
                value: CellValue::Live {
                    value: Bytes::from_static(b"0123456789abcdef"),
                    ttl: None,
                },
            }],
            ..Row::default()
        }],
        ..Mutation::default()
    }
}

fn bench(c: &mut Criterion) {
    let muts: Vec<Mutation> = (0..1000).map(small).collect();
    let mut g = c.benchmark_group("commitlog_append");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    let periodic = SyncMode::Periodic {
        period: Duration::from_secs(10),
    };
    // (name, mode, appends per iteration, preallocated segments)
    let modes = [
        ("periodic", periodic, 1000usize, false),
        ("periodic_preallocated", periodic, 1000, true),
        ("batch", SyncMode::Batch, 20, false),
        ("batch_preallocated", SyncMode::Batch, 20, true),
        (
            "group_2ms",
            SyncMode::Group {
                window: Duration::from_millis(2),
            },
            20,
            false,
        ),
    ];
    for (name, mode, n, prealloc) in modes {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = CommitLog::open_with(dir.path(), 32 << 20, mode, 1, prealloc).expect("open");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for m in &muts[..n] {
                    let pos = log.append(m).expect("append");
                    log.wait_durable(pos).expect("durable");
                }
            })
        });
        log.shutdown().expect("shutdown");
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
