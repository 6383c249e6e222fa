//! Paging through one wide partition spread over the memtable and many SSTables (a
//! 1 MiB memtable budget makes every ~1000 rows an SSTable), with a range deletion and
//! row deletions in newer sources: every page holds the right rows in clustering order,
//! forwards and backwards, before and after a restart. Storage reads at most a bounded
//! number of rows per source for each page (`storage/src/engine/read.rs`,
//! `bounded_read`), retrying when deleted rows use up the budget; this checks that the
//! retries give exact pages over real SSTables and the server's paging state.
//!
//! SSTable format v2 splits a partition into chunks of about a block with a
//! clustering index, so a page seeks to its first block instead of decoding the
//! partition up to it: `wide_partition_in_many_blocks_pages_both_ways` checks a
//! partition of ~1500 blocks end to end, and the ignored probe measures memory and
//! per-page CPU on a partition larger than the node's memory budget.

use std::ops::ControlFlow;

use scylla::client::session::Session;
use scylla::response::PagingState;
use scylla::statement::batch::{Batch, BatchType};

use crate::client::connect;
use crate::harness::NodeProc;

const ROWS: i32 = 6000;
const VALUE_LEN: usize = 1024;

fn value(c: i32) -> Vec<u8> {
    c.to_le_bytes()
        .iter()
        .copied()
        .cycle()
        .take(VALUE_LEN)
        .collect()
}

/// The rows of partition 1 over all pages of `page` rows: (c, value ok).
async fn page_through(s: &Session, q: &str, page: i32) -> Vec<i32> {
    let mut stmt = scylla::statement::Statement::new(q);
    stmt.set_page_size(page);
    let mut paging = PagingState::start();
    let mut seen = Vec::new();
    loop {
        let (res, next) = s
            .query_single_page(stmt.clone(), &[], paging)
            .await
            .expect("page");
        let rows = res.into_rows_result().expect("rows");
        assert!(rows.rows_num() <= page as usize, "page larger than asked");
        for r in rows.rows::<(i32, Vec<u8>)>().expect("typed") {
            let (c, v) = r.expect("row");
            assert!(v == value(c), "wrong value for row {c}");
            seen.push(c);
        }
        match next.into_paging_control_flow() {
            ControlFlow::Continue(p) => paging = p,
            ControlFlow::Break(()) => break,
        }
    }
    seen
}

#[tokio::test]
async fn wide_partition_pages_exactly_across_sstables_and_deletions() {
    let mut node = NodeProc::start_with_config(
        "memtable_heap_space: 1MiB\ncommitlog_segment_size: 1MiB\n",
        &["--commitlog-sync", "periodic"],
    );
    {
        let s = connect(&node).await;
        create_table(&s).await;
        insert_rows(&s, ROWS).await;
        // Newer deletions in later sources: a range and every 7th row of another.
        s.query_unpaged(
            "DELETE FROM w.t WHERE k = 1 AND c >= 1000 AND c < 3500",
            &[],
        )
        .await
        .expect("range delete");
        let delete = s
            .prepare("DELETE FROM w.t WHERE k = 1 AND c = ?")
            .await
            .expect("prepare delete");
        for c in (4000..5000).step_by(7) {
            s.execute_unpaged(&delete, (c,)).await.expect("delete");
        }
    }
    let live: Vec<i32> = (0..ROWS)
        .filter(|c| !(1000..3500).contains(c))
        .filter(|c| !((4000..5000).contains(c) && (c - 4000) % 7 == 0))
        .collect();
    let reversed: Vec<i32> = live.iter().rev().copied().collect();
    let flushes = node.log().matches("flush started").count();
    assert!(
        flushes >= 3,
        "the partition spans several SSTables ({flushes} flushes)"
    );

    let s = connect(&node).await;
    for page in [1000, 97] {
        assert_eq!(
            page_through(&s, "SELECT c, v FROM w.t WHERE k = 1", page).await,
            live,
            "forward, page {page}"
        );
    }
    assert_eq!(
        page_through(&s, "SELECT c, v FROM w.t WHERE k = 1 ORDER BY c DESC", 500).await,
        reversed,
        "reversed"
    );
    drop(s);
    assert_eq!(node.stop(), Some(0), "clean stop; log:\n{}", node.log());
    node.restart();
    let s = connect(&node).await;
    assert_eq!(
        page_through(&s, "SELECT c, v FROM w.t WHERE k = 1", 333).await,
        live,
        "forward after restart (everything in SSTables)"
    );
}

/// Peak resident memory of a process (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    proc_status_mib(pid, "VmHWM:")
}

/// A memory line of /proc/PID/status, in MiB.
fn proc_status_mib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// `helenus-sstable`: the workspace binary (see `harness::workspace_bin`).
fn sstable_tool(args: &[&str]) -> String {
    let bin =
        crate::harness::workspace_bin("helenus-tools", "helenus-sstable", "HELENUS_SSTABLE_BIN");
    let out = std::process::Command::new(bin)
        .args(args)
        .output()
        .expect("run helenus-sstable");
    assert!(out.status.success(), "helenus-sstable {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf8")
}

async fn create_table(s: &Session) {
    s.query_unpaged(
        "CREATE KEYSPACE w WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        &[],
    )
    .await
    .expect("keyspace");
    s.query_unpaged(
        "CREATE TABLE w.t (k int, c int, v blob, PRIMARY KEY (k, c))",
        &[],
    )
    .await
    .expect("table");
}

/// Inserts rows `0..n` of partition 1 (1 KiB values) in unlogged batches of 100.
async fn insert_rows(s: &Session, n: i32) {
    let insert = s
        .prepare("INSERT INTO w.t (k, c, v) VALUES (1, ?, ?)")
        .await
        .expect("prepare");
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let mut batch = Batch::new(BatchType::Unlogged);
        let mut values = Vec::new();
        for c in chunk {
            batch.append_statement(insert.clone());
            values.push((*c, value(*c)));
        }
        s.batch(&batch, values).await.expect("batch");
    }
}

/// A 64 MiB partition (64k rows of 1 KiB) flushed into one SSTable of format v2 is
/// stored as about 4000 chunks of one 16 KiB block each with a clustering index
/// (`helenus-sstable index` lists them, `verify` checks them), and pages through it
/// forwards and backwards return every row once, in order, with its value; slices in
/// its middle return just their rows in both orders.
#[tokio::test]
async fn wide_partition_in_many_blocks_pages_both_ways() {
    const N: i32 = 64_000;
    let mut node = NodeProc::start_with_config(
        "memtable_heap_space: 256MiB\n",
        &["--commitlog-sync", "periodic"],
    );
    {
        let s = connect(&node).await;
        create_table(&s).await;
        insert_rows(&s, N).await;
    }
    assert_eq!(
        node.stop(),
        Some(0),
        "clean stop flushes; log:\n{}",
        node.log()
    );
    let data = node.sstable_files("-Data.db");
    assert_eq!(data.len(), 1, "one SSTable: {data:?}");
    let path = data.first().and_then(|p| p.to_str()).expect("path");
    let index = sstable_tool(&["index", path]);
    let chunks: u64 = index
        .lines()
        .find(|l| l.split('\t').nth(1) == Some("00000001"))
        .and_then(|l| l.split('\t').nth(5))
        .and_then(|c| c.parse().ok())
        .expect("partition 1 and its clustering_chunks column");
    assert!(chunks > 3000, "64 MiB in 16 KiB blocks: {chunks} chunks");
    assert!(sstable_tool(&["verify", path]).contains("OK"));
    node.restart();
    let s = connect(&node).await;
    let all: Vec<i32> = (0..N).collect();
    assert_eq!(
        page_through(&s, "SELECT c, v FROM w.t WHERE k = 1", 1000).await,
        all,
        "forward"
    );
    let reversed: Vec<i32> = all.iter().rev().copied().collect();
    assert_eq!(
        page_through(&s, "SELECT c, v FROM w.t WHERE k = 1 ORDER BY c DESC", 1000).await,
        reversed,
        "reversed"
    );
    let slice = "SELECT c, v FROM w.t WHERE k = 1 AND c >= 45000 AND c < 45250";
    assert_eq!(
        page_through(&s, slice, 100).await,
        (45_000..45_250).collect::<Vec<_>>(),
        "slice"
    );
    assert_eq!(
        page_through(&s, &format!("{slice} ORDER BY c DESC"), 100).await,
        (45_000..45_250).rev().collect::<Vec<_>>(),
        "reversed slice"
    );
}

/// Resident memory of a process now (VmRSS), in MiB.
fn rss_mib(pid: u32) -> u64 {
    proc_status_mib(pid, "VmRSS:")
}

/// Node CPU time (user + system) so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // Fields after the command name (which may hold spaces) start after ") ".
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    ticks as f64 / 100.0
}

/// Measurement, not a pass/fail test (docs/PERFORMANCE.md, "Wide partition paging"):
/// a partition of `WIDE_PROBE_MIB` MiB (default 400; 1 KiB rows) written through a
/// node whose memory budget is smaller than the partition (64 MiB memtable, 32 MiB
/// block cache), restarted so it is all in SSTables, then paged forwards and
/// backwards with 1000-row pages after a major compaction (`helenus-nodetool
/// compact`). Prints the node's peak RSS across the compaction, its largest RSS
/// sampled after each page, and its CPU time per page over 50 pages at the start, in
/// the middle and at the end.
/// `HELENUS_BIN` picks the node binary (use a release build).
#[tokio::test]
#[ignore = "measurement; run by hand (docs/PERFORMANCE.md)"]
async fn wide_partition_paging_memory_probe() {
    let mib: i32 = std::env::var("WIDE_PROBE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let n = mib * 1024;
    let mut node = NodeProc::start_with_config(
        "memtable_heap_space: 64MiB\nfile_cache_size: 32MiB\n",
        &["--commitlog-sync", "periodic"],
    );
    let started = std::time::Instant::now();
    {
        let s = connect(&node).await;
        create_table(&s).await;
        insert_rows(&s, n).await;
    }
    let write_s = started.elapsed().as_secs_f64();
    assert_eq!(node.stop(), Some(0), "clean stop flushes");
    let sstables = node.sstable_files("-Data.db").len();
    node.restart();
    // A major compaction merges the flushed pieces of the partition into one
    // SSTable; the node's peak RSS across it shows what compaction holds.
    let pid = node.pid().expect("pid");
    let t = std::time::Instant::now();
    // Background compactions may hold some SSTables; ask again until one is left.
    while node.sstable_files("-Data.db").len() > 1 {
        let (code, out, err) =
            crate::nodetool::nodetool_at(node.admin_port, &["compact", "w", "t"]);
        assert_eq!(code, Some(0), "compact: {out} {err}");
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    eprintln!(
        "wide partition probe: {sstables} SSTables compacted into one in {:.1} s, node peak \
         RSS {} MiB",
        t.elapsed().as_secs_f64(),
        peak_rss_mib(pid)
    );
    let s = connect(&node).await;
    for (label, q) in [
        ("forward", "SELECT c, v FROM w.t WHERE k = 1"),
        (
            "reversed",
            "SELECT c, v FROM w.t WHERE k = 1 ORDER BY c DESC",
        ),
    ] {
        let mut stmt = scylla::statement::Statement::new(q);
        stmt.set_page_size(1000);
        let mut paging = PagingState::start();
        let mut rows = 0usize;
        let mut peak = rss_mib(pid);
        let mut cpu = vec![cpu_seconds(pid)];
        let t = std::time::Instant::now();
        loop {
            let (res, next) = s
                .query_single_page(stmt.clone(), &[], paging)
                .await
                .expect("page");
            rows += res.into_rows_result().expect("rows").rows_num();
            peak = peak.max(rss_mib(pid));
            cpu.push(cpu_seconds(pid));
            match next.into_paging_control_flow() {
                ControlFlow::Continue(p) => paging = p,
                ControlFlow::Break(()) => break,
            }
        }
        assert_eq!(rows, n as usize);
        let pages = cpu.len() - 1;
        let per_page = |from: usize, to: usize| {
            let a = cpu.get(from).copied().unwrap_or(0.0);
            let b = cpu.get(to).copied().unwrap_or(0.0);
            (b - a) / (to - from) as f64 * 1000.0
        };
        let mid = pages / 2;
        eprintln!(
            "wide partition probe ({label}): {mib} MiB, {rows} rows in {pages} pages, {:.1} s \
             (written in {write_s:.0} s into {sstables} SSTables); node RSS max {peak} MiB \
             while paging, peak {} MiB over its life; node CPU per page over 50 pages at the \
             start {:.2} ms, middle {:.2} ms, end {:.2} ms",
            t.elapsed().as_secs_f64(),
            peak_rss_mib(pid),
            per_page(0, 50.min(pages)),
            per_page(mid.saturating_sub(25), (mid + 25).min(pages)),
            per_page(pages.saturating_sub(50), pages),
        );
    }
}
