//! Flush and major-compaction throughput on a data set large enough that
//! the fsync at the end of each SSTable is a small part of the time (the
//! criterion `compaction` bench uses ~2 MB tables, where it dominates).
//!
//! Data: partitions of 1-8 rows; each row has a bigint-sized cell and a text
//! cell of 90-990 bytes of random alphanumerics (lz4 barely compresses them:
//! the worst case for bytes written), so rows are 100-1000 bytes. Each round
//! of writes overlaps the previous one's keys by a third, so compaction
//! merges for real.
//!
//! Besides wall time it reports the process's CPU time (utime + stime of
//! all threads, /proc/self/stat) for each flush or compaction: on the shared
//! build machine wall time mostly measures the other processes.
//!
//! Not a criterion bench: one iteration takes seconds and needs a fresh
//! 64-256 MB data set, so it runs `RUNS` times and prints each run and the
//! median. Sizes: `HELENUS_BENCH_MB` (default 64) per SSTable,
//! `HELENUS_BENCH_RUNS` (default 3); `HELENUS_BENCH_SKIP_FLUSH=1` runs only
//! the compaction part (for a profiler).
//!
//! `HELENUS_BENCH_SHAPE=stress` writes cassandra-stress's default rows
//! instead, as helenus-stress sends them (keyspace1.standard1): one row per
//! partition, a 10-byte hex key, no clustering, a row marker and five
//! 34-byte random blobs. That is issue 5's long run, where the node's one
//! core also flushes and compacts; per-row costs (index entry, bloom insert,
//! row decode and merge) dominate, so the bench reports CPU µs per row.
//! It allocates with jemalloc and the node's options, as the node does.
//!
//!     cargo bench --bench flush
//!     HELENUS_BENCH_SHAPE=stress cargo bench --bench flush
/// The node's allocator and options: freeing a flushed memtable (part of each
/// flush) and the writer's buffers cost what they cost on the node.
#[path = "support/node_alloc.rs"]
mod node_alloc;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use storage::sstable::SstableReader;
use storage::{
    Cell, CellValue, ColumnId, Config, Engine, LivenessInfo, Mutation, Row, SyncMode, TableId,
    TableOptions,
};

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// xorshift64*: deterministic data without a dependency on rand's API.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cell(column: u32, ts: i64, value: Bytes) -> Cell {
    Cell {
        column: ColumnId(column),
        path: None,
        timestamp: ts,
        value: CellValue::Live { value, ttl: None },
    }
}

/// Writes about `bytes` of row payload (keys + clusterings + values) into
/// the memtable, partitions `first..`; returns (payload bytes, partitions).
fn fill(e: &Engine, t: TableId, round: u64, first: u64, bytes: u64) -> (u64, u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (round + 1));
    let mut written = 0;
    let mut key = first;
    while written < bytes {
        key += 1;
        let key_bytes = Bytes::copy_from_slice(&key.to_be_bytes());
        let rows: Vec<Row> = (0..1 + rng.below(8))
            .map(|ck| {
                let len = 90 + rng.below(901) as usize;
                let text: Vec<u8> = (0..len)
                    .map(|_| ALNUM[(rng.next() >> 58) as usize % ALNUM.len()])
                    .collect();
                written += 8 + 8 + 8 + len as u64;
                Row {
                    clustering: Bytes::copy_from_slice(&ck.to_be_bytes()),
                    cells: vec![
                        cell(1, round as i64, Bytes::copy_from_slice(&key.to_le_bytes())),
                        cell(2, round as i64, Bytes::from(text)),
                    ],
                    ..Row::default()
                }
            })
            .collect();
        written += 8;
        e.apply(&Mutation {
            table: t,
            token: key.wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64,
            key: key_bytes,
            rows,
            ..Mutation::default()
        })
        .expect("apply");
    }
    (written, key - first)
}

/// cassandra-stress rows (see the module doc), partitions `first..`, about
/// `bytes` of payload (key + values); returns (payload bytes, partitions).
/// Keys are the stress tool's upper-case hex, tokens spread like Murmur3's.
fn fill_stress(e: &Engine, t: TableId, round: u64, first: u64, bytes: u64) -> (u64, u64) {
    const KEY_LEN: usize = 10;
    const COLUMNS: u32 = 5;
    const VALUE_LEN: usize = 34;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (round + 1));
    let ts = 1_700_000_000_000_000 + round as i64;
    let mut written = 0;
    let mut key = first;
    while written < bytes {
        key += 1;
        let hex = format!("{key:0KEY_LEN$X}");
        let cells = (0..COLUMNS)
            .map(|c| {
                let value: Vec<u8> = (0..VALUE_LEN).map(|_| rng.next() as u8).collect();
                cell(c, ts, Bytes::from(value))
            })
            .collect();
        written += (KEY_LEN + COLUMNS as usize * VALUE_LEN) as u64;
        e.apply(&Mutation {
            table: t,
            token: (key ^ 0x5555_5555).wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64,
            key: Bytes::from(hex.into_bytes()),
            rows: vec![Row {
                clustering: Bytes::new(),
                liveness: Some(LivenessInfo {
                    timestamp: ts,
                    ttl: None,
                }),
                cells,
                ..Row::default()
            }],
            ..Mutation::default()
        })
        .expect("apply");
    }
    (written, key - first)
}

/// The data set `HELENUS_BENCH_SHAPE` names: `stress`, or the default mix.
fn fill_shape(e: &Engine, t: TableId, round: u64, first: u64, bytes: u64) -> (u64, u64) {
    if std::env::var("HELENUS_BENCH_SHAPE").is_ok_and(|v| v == "stress") {
        fill_stress(e, t, round, first, bytes)
    } else {
        fill(e, t, round, first, bytes)
    }
}

/// Rows in the table's live SSTables (from their statistics).
fn sstable_rows(dir: &Path, t: TableId) -> u64 {
    let tdir = dir.join("data").join(t.0.simple().to_string());
    let (gens, _) = storage::sstable::list_generations(&tdir).expect("list");
    gens.iter()
        .map(|&g| {
            SstableReader::open(&tdir, g)
                .expect("open sstable")
                .stats()
                .row_count
        })
        .sum()
}

/// CPU seconds used by this process so far (all threads).
fn cpu_seconds() -> f64 {
    let (user, system) = cpu_split();
    user + system
}

/// (user, system) CPU seconds used by this process so far (all threads).
fn cpu_split() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line, in clock ticks (100/s).
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

fn engine(dir: &Path) -> (Arc<Engine>, TableId) {
    let mut cfg = Config::for_tests(dir);
    cfg.commitlog_sync = SyncMode::Periodic {
        period: Duration::from_secs(10),
    };
    cfg.commitlog_segment_size = 32 << 20;
    cfg.commitlog_total_space = 8 << 30;
    cfg.memtable_space = 4 << 30;
    cfg.sstable_block_size = Config::default().sstable_block_size;
    let t = TableId(uuid::Uuid::from_u128(1));
    (
        Engine::open(cfg, &[(t, TableOptions::default())]).expect("open"),
        t,
    )
}

/// (data file bytes, uncompressed bytes) of the table's live SSTables.
fn sstable_bytes(dir: &Path, t: TableId) -> (u64, u64) {
    let tdir = dir.join("data").join(t.0.simple().to_string());
    let mut out = (0, 0);
    for entry in std::fs::read_dir(&tdir).expect("table dir") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if let Some(g) = name
            .strip_suffix("-TOC.txt")
            .and_then(|n| n.strip_prefix("hl-"))
            .and_then(|g| g.parse().ok())
        {
            let r = SstableReader::open(&tdir, g).expect("open sstable");
            out.0 += r.stats().data_size;
            out.1 += r.stats().uncompressed_size;
        }
    }
    out
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // run a tiny smoke version so the bench is checked without minutes of I/O.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let mb = if smoke {
        1
    } else {
        env("HELENUS_BENCH_MB", 64)
    };
    let runs = if smoke {
        1
    } else {
        env("HELENUS_BENCH_RUNS", 3)
    };
    let bytes = mb << 20;
    let shape = std::env::var("HELENUS_BENCH_SHAPE").unwrap_or_else(|_| "mixed".into());
    println!(
        "flush/compaction bench ({shape} rows): {mb} MiB of row payload per SSTable, {runs} runs"
    );

    let (mut flush_rates, mut flush_cpu_rates, mut flush_us) = (Vec::new(), Vec::new(), Vec::new());
    let skip_flush = std::env::var("HELENUS_BENCH_SKIP_FLUSH").is_ok_and(|v| v == "1");
    for run in 0..if skip_flush { 0 } else { runs } {
        let dir = tempfile::tempdir().expect("tempdir");
        let (e, t) = engine(dir.path());
        let (payload, _) = fill_shape(&e, t, 0, 0, bytes);
        let mem = e.table_stats(t).expect("stats").memtable_size;
        let (start, cpu) = (Instant::now(), cpu_seconds());
        e.flush(t).expect("flush");
        let (took, cpu) = (start.elapsed(), cpu_seconds() - cpu);
        let (data, raw) = sstable_bytes(dir.path(), t);
        let rows = sstable_rows(dir.path(), t);
        let rate = mbps(raw, took);
        let cpu_rate = raw as f64 / 1048576.0 / cpu.max(0.01);
        let us = cpu * 1e6 / rows.max(1) as f64;
        println!(
            "flush run {run}: {:.2} s wall, {cpu:.2} s CPU, {rows} rows ({us:.2} µs CPU/row), \
             payload {:.1} MiB, memtable {:.1} MiB, \
             uncompressed {:.1} MiB -> data file {:.1} MiB: {rate:.0} MiB/s uncompressed \
             ({cpu_rate:.0} MiB per CPU-second), {:.0} MiB/s written",
            took.as_secs_f64(),
            payload as f64 / 1048576.0,
            mem as f64 / 1048576.0,
            raw as f64 / 1048576.0,
            data as f64 / 1048576.0,
            mbps(data, took),
        );
        flush_rates.push(rate);
        flush_cpu_rates.push(cpu_rate);
        flush_us.push(us);
        e.shutdown().expect("shutdown");
    }

    let (mut compact_rates, mut compact_cpu_rates, mut compact_us) =
        (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let (e, t) = engine(dir.path());
        let mut first = 0;
        for round in 0..4 {
            let (_, n) = fill_shape(&e, t, round, first, bytes);
            first += n * 2 / 3;
            e.flush(t).expect("flush");
        }
        let (data_in, raw_in) = sstable_bytes(dir.path(), t);
        let rows_in = sstable_rows(dir.path(), t);
        // Time to attach a profiler to just the compaction (`perf record -p`).
        let pause = env("HELENUS_BENCH_PAUSE_SECS", 0);
        if pause > 0 {
            println!("compacting in {pause} s (pid {})", std::process::id());
            std::thread::sleep(Duration::from_secs(pause));
        }
        let (start, split) = (Instant::now(), cpu_split());
        e.compact(t).expect("compact");
        let took = start.elapsed();
        let system = cpu_split().1 - split.1;
        let cpu = cpu_seconds() - split.0 - split.1;
        let (data_out, raw_out) = sstable_bytes(dir.path(), t);
        let rows_out = sstable_rows(dir.path(), t);
        let rate = mbps(raw_in, took);
        let cpu_rate = raw_in as f64 / 1048576.0 / cpu.max(0.01);
        let us = cpu * 1e6 / rows_in.max(1) as f64;
        println!(
            "compaction run {run}: 4 SSTables, {:.2} s wall, {cpu:.2} s CPU ({system:.2} system), \
             {rows_in} rows in, {rows_out} out ({us:.2} µs CPU per input row), in {:.1} MiB \
             uncompressed ({:.1} MiB files), out {:.1} MiB uncompressed ({:.1} MiB files): \
             {rate:.0} MiB/s uncompressed in ({cpu_rate:.0} MiB per CPU-second), \
             {:.0} MiB/s files in",
            took.as_secs_f64(),
            raw_in as f64 / 1048576.0,
            data_in as f64 / 1048576.0,
            raw_out as f64 / 1048576.0,
            data_out as f64 / 1048576.0,
            mbps(data_in, took),
        );
        compact_rates.push(rate);
        compact_cpu_rates.push(cpu_rate);
        compact_us.push(us);
        e.shutdown().expect("shutdown");
    }
    println!(
        "median: flush {:.0} MiB/s wall, {:.0} MiB/CPU-s, {:.2} µs CPU/row; major compaction \
         {:.0} MiB/s wall, {:.0} MiB/CPU-s, {:.2} µs CPU/input row (uncompressed bytes)",
        median(flush_rates),
        median(flush_cpu_rates),
        median(flush_us),
        median(compact_rates),
        median(compact_cpu_rates),
        median(compact_us),
    );
}
