//! Bounded memory under a constant write load: starts a release node,
//! writes 1 KB rows to random partitions through the scylla driver for a few
//! minutes, and samples the node's resident set (VmRSS in /proc/PID/status)
//! every few seconds. With memtables flushing at their budget and the block
//! cache bounded, the RSS should level off once the first flushes happen.
//!
//!     cargo build --release -p helenus-server --bin helenus
//!     cargo bench --bench node_memory
//!
//! Node binary: `$HELENUS_BIN`, else target/release/helenus. Settings:
//! `HELENUS_BENCH_SECS` (default 240), `HELENUS_BENCH_MEMTABLE_MB` (the
//! node's memtable_heap_space, default 256), `HELENUS_BENCH_CONCURRENCY`
//! (requests in flight, default 64). Not a pass/fail test: it prints the
//! series and a summary for docs/PERFORMANCE.md.
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn connect(port: u16) -> Session {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match SessionBuilder::new()
            .known_node(format!("127.0.0.1:{port}"))
            .build()
            .await
        {
            Ok(s) => return s,
            Err(e) if Instant::now() > deadline => panic!("cannot connect: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("node_memory: skipped (runs a node for minutes; use cargo bench)");
        return;
    }
    let secs = env("HELENUS_BENCH_SECS", 240);
    let memtable_mb = env("HELENUS_BENCH_MEMTABLE_MB", 256);
    let concurrency = env("HELENUS_BENCH_CONCURRENCY", 64);
    let bin = std::env::var_os("HELENUS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/helenus")
        });
    assert!(
        bin.exists(),
        "{} missing: cargo build --release -p helenus-server --bin helenus",
        bin.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = dir.path().join("helenus.yaml");
    std::fs::write(
        &yaml,
        format!("memtable_heap_space: {memtable_mb}MiB\ncommitlog_sync: periodic\n"),
    )
    .expect("write config");
    let port = free_port();
    let mut node = Command::new(&bin)
        .arg("--config")
        .arg(&yaml)
        .arg("--data-dir")
        .arg(dir.path().join("node"))
        .args(["--native-port", &port.to_string()])
        .args(["--storage-port", &free_port().to_string()])
        .args(["--admin-port", "0", "--log-level", "warn"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node");
    let pid = node.id();
    println!(
        "node_memory: {} s, memtable_heap_space {memtable_mb} MiB, {concurrency} in flight, \
         1 KB rows",
        secs
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let samples = rt.block_on(async {
        let session = Arc::new(connect(port).await);
        session
            .query_unpaged(
                "CREATE KEYSPACE IF NOT EXISTS mem WITH replication = \
                 {'class': 'SimpleStrategy', 'replication_factor': 1}",
                &[],
            )
            .await
            .expect("create keyspace");
        session
            .query_unpaged(
                "CREATE TABLE IF NOT EXISTS mem.t (k bigint PRIMARY KEY, v blob)",
                &[],
            )
            .await
            .expect("create table");
        let insert = session
            .prepare("INSERT INTO mem.t (k, v) VALUES (?, ?)")
            .await
            .expect("prepare");
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for w in 0..concurrency {
            let (session, insert) = (Arc::clone(&session), insert.clone());
            let (done, stop) = (Arc::clone(&done), Arc::clone(&stop));
            tasks.push(tokio::spawn(async move {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (w + 1);
                let value = vec![0x5Au8; 1000];
                while !stop.load(Ordering::Relaxed) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    session
                        .execute_unpaged(&insert, (x as i64, &value))
                        .await
                        .expect("insert");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let start = Instant::now();
        let mut samples = Vec::new();
        while start.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let rss = rss_kib(pid).expect("node alive");
            let ops = done.load(Ordering::Relaxed);
            println!(
                "t={:>4} s  ops={ops:>9}  rss={:>6} MiB",
                start.elapsed().as_secs(),
                rss / 1024
            );
            samples.push((start.elapsed().as_secs(), ops, rss));
        }
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        samples
    });
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = node.wait();

    let ops = samples.last().map_or(0, |s| s.1);
    let half = samples.len() / 2;
    let second: Vec<u64> = samples.iter().skip(half).map(|s| s.2 / 1024).collect();
    let q = samples.len() / 4;
    let early = median(
        samples
            .iter()
            .skip(q)
            .take(q.max(1))
            .map(|s| s.2 / 1024)
            .collect(),
    );
    let late = median(
        samples
            .iter()
            .skip(samples.len().saturating_sub(q.max(1)))
            .map(|s| s.2 / 1024)
            .collect(),
    );
    println!(
        "summary: {ops} writes ({:.0}/s, {:.0} MiB of values); RSS second half: min {} / \
         median {} / max {} MiB; median of 2nd quarter {early} MiB vs last quarter {late} MiB",
        ops as f64 / secs as f64,
        ops as f64 * 1000.0 / 1048576.0,
        second.iter().min().copied().unwrap_or(0),
        median(second.clone()),
        second.iter().max().copied().unwrap_or(0),
    );
}
