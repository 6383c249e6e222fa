//! Token computation and ring lookup: on the path of every request the coordinator routes.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gossip::{murmur3_token, random_tokens, NodeId, TokenRing};
use rand::{rngs::StdRng, SeedableRng};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring");
    g.throughput(Throughput::Elements(1));
    let key = b"0123456789abcdef0123"; // 20 bytes: one block and a tail
    g.bench_function("murmur3_token_20B", |b| {
        b.iter(|| murmur3_token(black_box(key)))
    });

    let mut rng = StdRng::seed_from_u64(7);
    let nodes: Vec<(NodeId, Vec<i64>)> = (0..6u8)
        .map(|i| {
            (
                NodeId(uuid::Uuid::from_bytes([i; 16])),
                random_tokens(16, &mut rng),
            )
        })
        .collect();
    let ring = TokenRing::new(nodes);
    let token = murmur3_token(key);
    g.bench_function("replicas_rf3_96_vnodes", |b| {
        b.iter(|| ring.replicas(black_box(token), 3))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
