//! Bloom filter (SSTable Filter component) build and probe cost.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use storage::sstable::KeyFilter;

fn bench(c: &mut Criterion) {
    let keys: Vec<[u8; 8]> = (0..100_000u64).map(|i| i.to_be_bytes()).collect();
    let mut g = c.benchmark_group("bloom");
    g.throughput(Throughput::Elements(keys.len() as u64));
    g.sample_size(10);
    g.bench_function("build_100k_fp0.01", |b| {
        b.iter(|| KeyFilter::build(keys.iter().map(|k| &k[..]), 0.01))
    });
    let f = KeyFilter::build(keys.iter().map(|k| &k[..]), 0.01);
    g.throughput(Throughput::Elements(1));
    g.sample_size(50);
    let mut i = 0u64;
    g.bench_function("probe_hit", |b| {
        b.iter(|| {
            i = (i + 7919) % 100_000;
            f.may_contain(&i.to_be_bytes())
        })
    });
    let mut j = 1_000_000u64;
    g.bench_function("probe_miss", |b| {
        b.iter(|| {
            j += 1;
            f.may_contain(&j.to_be_bytes())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
