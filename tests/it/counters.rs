//! Counters through a real node: increments and decrements from concurrent clients that
//! sum right across flushes, a major compaction and a restart; counter batches; deleting
//! a counter; and Cassandra's rules (no INSERT, no SET, no TTL or timestamp, no mixing
//! with other columns) with its messages.

use scylla::statement::batch::{Batch, BatchType};

use crate::client::{connect, invalid, keyspace, run, table};
use crate::harness::NodeProc;
use crate::nodetool::nodetool_at;

fn nodetool(node: &NodeProc, args: &[&str]) {
    let (code, out, err) = nodetool_at(node.admin_port, args);
    assert_eq!(code, Some(0), "nodetool {args:?}: {out}{err}");
}

#[tokio::test]
async fn counters_sum_across_flush_compaction_and_restart() {
    let mut node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "cn").await;
    run(
        &s,
        "CREATE TABLE cn.pv (page text, day int, views counter, clicks counter, PRIMARY KEY (page, day))",
    )
    .await;

    // Four concurrent writers, 50 increments each, with a flush in the middle so the
    // sum has to merge shards from SSTables and the memtable.
    let incr = s
        .prepare("UPDATE cn.pv SET views = views + ?, clicks = clicks - 1 WHERE page = 'home' AND day = 1")
        .await
        .expect("prepare");
    let mut tasks = Vec::new();
    let s = std::sync::Arc::new(s);
    for w in 0..4i64 {
        let (s, incr) = (s.clone(), incr.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                s.execute_unpaged(&incr, (w + 1,)).await.expect("increment");
            }
        }));
    }
    nodetool(&node, &["flush", "cn"]);
    for t in tasks {
        t.await.expect("writer");
    }
    // Each writer w adds (w + 1) fifty times: 50 * (1 + 2 + 3 + 4) = 500; 200 clicks - 1.
    let expect = vec![vec!["500".to_string(), "-200".to_string()]];
    let q = "SELECT views, clicks FROM cn.pv WHERE page = 'home' AND day = 1";
    assert_eq!(table(&s, q).await, expect);

    nodetool(&node, &["flush", "cn"]);
    run(
        &s,
        "UPDATE cn.pv SET views = views + 7 WHERE page = 'home' AND day = 1",
    )
    .await;
    nodetool(&node, &["flush", "cn"]);
    nodetool(&node, &["compact", "cn", "pv"]);
    let expect = vec![vec!["507".to_string(), "-200".to_string()]];
    assert_eq!(table(&s, q).await, expect);

    drop(s);
    node.stop();
    node.restart();
    let s = connect(&node).await;
    assert_eq!(table(&s, q).await, expect);

    // A counter batch applies every increment; a row never written reads as no row.
    let mut b = Batch::new(BatchType::Counter);
    b.append_statement("UPDATE cn.pv SET views = views + 1 WHERE page = 'a' AND day = 1");
    b.append_statement("UPDATE cn.pv SET views = views + 2 WHERE page = 'a' AND day = 1");
    b.append_statement("UPDATE cn.pv SET views = views + 3 WHERE page = 'b' AND day = 2");
    s.batch(&b, ((), (), ())).await.expect("counter batch");
    let mut r = table(
        &s,
        "SELECT page, day, views FROM cn.pv WHERE page IN ('a', 'b', 'c')",
    )
    .await;
    r.sort();
    assert_eq!(
        r,
        [["'a'", "1", "3"], ["'b'", "2", "3"]].map(|r| r.map(String::from).to_vec())
    );

    // Deleting a counter removes it (Cassandra: it cannot be incremented again reliably,
    // but it reads as gone).
    run(&s, "DELETE FROM cn.pv WHERE page = 'b' AND day = 2").await;
    assert!(table(&s, "SELECT views FROM cn.pv WHERE page = 'b'")
        .await
        .is_empty());
}

#[tokio::test]
async fn counter_rules_and_messages() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "cr").await;
    run(&s, "CREATE TABLE cr.c (k int PRIMARY KEY, n counter)").await;

    let m = invalid(
        &s,
        "CREATE TABLE cr.mixed (k int PRIMARY KEY, n counter, v int)",
    )
    .await;
    assert_eq!(
        m,
        "Cannot mix counter and non counter columns in the same table"
    );
    let m = invalid(&s, "INSERT INTO cr.c (k, n) VALUES (1, 1)").await;
    assert_eq!(
        m,
        "INSERT statements are not allowed on counter tables, use UPDATE instead"
    );
    let m = invalid(&s, "UPDATE cr.c SET n = 5 WHERE k = 1").await;
    assert_eq!(
        m,
        "Cannot set the value of counter column n (counters can only be incremented/decremented, not set)"
    );
    let m = invalid(&s, "UPDATE cr.c USING TTL 10 SET n = n + 1 WHERE k = 1").await;
    assert_eq!(m, "Cannot provide custom TTL for counter updates");
    let m = invalid(
        &s,
        "UPDATE cr.c USING TIMESTAMP 10 SET n = n + 1 WHERE k = 1",
    )
    .await;
    assert_eq!(m, "Cannot provide custom timestamp for counter updates");

    // None of the refused statements wrote anything.
    assert!(table(&s, "SELECT n FROM cr.c WHERE k = 1").await.is_empty());
    run(&s, "UPDATE cr.c SET n = n - 3 WHERE k = 1").await;
    assert_eq!(
        table(&s, "SELECT n FROM cr.c WHERE k = 1").await,
        vec![vec!["-3".to_string()]]
    );
}
