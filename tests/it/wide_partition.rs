//! Paging through one wide partition spread over the memtable and many SSTables (a
//! 1 MiB memtable budget makes every ~1000 rows an SSTable), with a range deletion and
//! row deletions in newer sources: every page holds the right rows in clustering order,
//! forwards and backwards, before and after a restart. Storage reads at most a bounded
//! number of rows per source for each page (`storage/src/engine/read.rs`,
//! `bounded_read`), retrying when deleted rows use up the budget; this checks that the
//! retries give exact pages over real SSTables and the server's paging state.

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
        let insert = s
            .prepare("INSERT INTO w.t (k, c, v) VALUES (1, ?, ?)")
            .await
            .expect("prepare");
        for chunk in (0..ROWS).collect::<Vec<_>>().chunks(50) {
            let mut batch = Batch::new(BatchType::Unlogged);
            let mut values = Vec::new();
            for c in chunk {
                batch.append_statement(insert.clone());
                values.push((*c, value(*c)));
            }
            s.batch(&batch, values).await.expect("batch");
        }
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
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Measurement, not a pass/fail test (docs/PERFORMANCE.md, "Wide partition paging"):
/// a 100 MiB partition (100k rows of 1 KiB) flushed into one SSTable, then paged with
/// 1000-row pages; prints the node's peak RSS before and after paging and the paging
/// time. `HELENUS_BIN` picks the node binary to compare builds.
#[tokio::test]
#[ignore = "measurement; run by hand (docs/PERFORMANCE.md)"]
async fn wide_partition_paging_memory_probe() {
    const N: i32 = 100_000;
    let mut node = NodeProc::start_with_args(&["--commitlog-sync", "periodic"]);
    {
        let s = connect(&node).await;
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
        let insert = s
            .prepare("INSERT INTO w.t (k, c, v) VALUES (1, ?, ?)")
            .await
            .expect("prepare");
        for chunk in (0..N).collect::<Vec<_>>().chunks(100) {
            let mut batch = Batch::new(BatchType::Unlogged);
            let mut values = Vec::new();
            for c in chunk {
                batch.append_statement(insert.clone());
                values.push((*c, value(*c)));
            }
            s.batch(&batch, values).await.expect("batch");
        }
    }
    assert_eq!(node.stop(), Some(0), "clean stop flushes");
    node.restart();
    let s = connect(&node).await;
    let pid = node.pid().expect("pid");
    let before = peak_rss_mib(pid);
    let started = std::time::Instant::now();
    let mut stmt = scylla::statement::Statement::new("SELECT c, v FROM w.t WHERE k = 1");
    stmt.set_page_size(1000);
    let mut paging = PagingState::start();
    let mut rows = 0usize;
    loop {
        let (res, next) = s
            .query_single_page(stmt.clone(), &[], paging)
            .await
            .expect("page");
        rows += res.into_rows_result().expect("rows").rows_num();
        match next.into_paging_control_flow() {
            ControlFlow::Continue(p) => paging = p,
            ControlFlow::Break(()) => break,
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(rows, N as usize);
    eprintln!(
        "wide partition probe: {rows} rows in {} pages, {:.1} s; node peak RSS {before} MiB \
         before paging, {} MiB after",
        N / 1000,
        elapsed.as_secs_f64(),
        peak_rss_mib(pid)
    );
}
