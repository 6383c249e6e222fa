//! Memtable insert throughput: small single-cell upserts into a memtable
//! (no commit log), random keys from a fixed seed; and the cost of dropping a
//! flushed memtable (what the flush thread pays per row once the SSTable is out).
/// The node's allocator and options: what a dropped memtable costs depends on them.
#[path = "support/node_alloc.rs"]
mod node_alloc;

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use rand::{rngs::StdRng, Rng, SeedableRng};
use storage::memtable::Memtable;
use storage::{Cell, CellValue, ColumnId, Mutation, Row, TableId};

fn mutation(rng: &mut StdRng) -> Mutation {
    let k: u64 = rng.gen_range(0..100_000);
    Mutation {
        table: TableId(uuid::Uuid::nil()),
        token: (k.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as i64,
        key: Bytes::copy_from_slice(&k.to_be_bytes()),
        rows: vec![Row {
            clustering: Bytes::copy_from_slice(&rng.gen::<u16>().to_be_bytes()),
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
        }],
        ..Mutation::default()
    }
}

/// A cassandra-stress `standard1` row: 10-byte key, five 34-byte columns, no
/// clustering (one row per partition, the common case).
fn stress_row(i: u64) -> Mutation {
    Mutation {
        table: TableId(uuid::Uuid::nil()),
        token: (i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as i64,
        key: Bytes::from(format!("{i:010}")),
        rows: vec![Row {
            clustering: Bytes::new(),
            cells: (0..5u32)
                .map(|c| Cell {
                    column: ColumnId(c + 1),
                    path: None,
                    timestamp: 1,
                    value: CellValue::Live {
                        value: Bytes::from(vec![c as u8; 34]),
                        ttl: None,
                    },
                })
                .collect(),
            ..Row::default()
        }],
        ..Mutation::default()
    }
}

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(7);
    let muts: Vec<Mutation> = (0..10_000).map(|_| mutation(&mut rng)).collect();
    let mut g = c.benchmark_group("memtable");
    g.throughput(Throughput::Elements(muts.len() as u64));
    g.bench_function("insert_10k_small_upserts", |b| {
        b.iter(|| {
            let mt = Memtable::default();
            for m in &muts {
                mt.apply(m);
            }
            mt.len()
        })
    });
    let stress: Vec<Mutation> = (0..10_000).map(stress_row).collect();
    g.bench_function("insert_10k_stress_rows", |b| {
        b.iter(|| {
            let mt = Memtable::default();
            for m in &stress {
                mt.apply(m);
            }
            mt.len()
        })
    });
    let mt = Memtable::default();
    for m in &stress {
        mt.apply(m);
    }
    g.bench_function("lookup_10k_stress_rows", |b| {
        b.iter(|| {
            stress
                .iter()
                .filter(|m| mt.contains(m.token, &m.key))
                .count()
        })
    });
    g.finish();

    // Dropping a memtable of N stress rows (only the drop is timed; each iteration
    // fills a fresh memtable first). N is large enough that the memtable does not fit
    // in the caches, as on the node (~630k rows per flushed memtable).
    const DROP_ROWS: u64 = 200_000;
    let stress: Vec<Mutation> = (0..DROP_ROWS).map(stress_row).collect();
    let mut g = c.benchmark_group("memtable_drop");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.throughput(Throughput::Elements(DROP_ROWS));
    g.bench_function("drop_200k_stress_rows", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let mt = Memtable::default();
                for m in &stress {
                    mt.apply(m);
                }
                let start = Instant::now();
                drop(mt);
                spent += start.elapsed();
            }
            spent
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
