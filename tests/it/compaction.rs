//! A major compaction through a real node: partitions it copies as their
//! encoded bytes (held by one SSTable, or overwritten whole by a newer one)
//! and partitions it must decode and merge (a partial overwrite, a deleted
//! row, an expired TTL past gc_grace) read back as the clients wrote them,
//! before and after a crash.

use std::collections::BTreeMap;

use crate::client::{connect, keyspace, run};
use crate::harness::NodeProc;
use crate::nodetool::nodetool_at;

fn nodetool(node: &NodeProc, args: &[&str]) {
    let (code, out, err) = nodetool_at(node.admin_port, args);
    assert_eq!(code, Some(0), "nodetool {args:?}: {out}{err}");
}

/// Every row of cc.kv as (k, a, b).
async fn rows(
    s: &scylla::client::session::Session,
) -> BTreeMap<i32, (Option<String>, Option<String>)> {
    s.query_unpaged("SELECT k, a, b FROM cc.kv", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows")
        .rows::<(i32, Option<String>, Option<String>)>()
        .expect("typed rows")
        .map(|r| r.map(|(k, a, b)| (k, (a, b))).expect("row"))
        .collect()
}

/// Inserts whole rows `keys` (values `a{k}`, `b{k}` after `prefix`) and
/// records them in `want`.
async fn insert(
    s: &scylla::client::session::Session,
    want: &mut BTreeMap<i32, (Option<String>, Option<String>)>,
    keys: std::ops::Range<i32>,
    prefix: &str,
) {
    for k in keys {
        let (a, b) = (format!("{prefix}a{k}"), format!("{prefix}b{k}"));
        run(
            s,
            &format!("INSERT INTO cc.kv (k, a, b) VALUES ({k}, '{a}', '{b}')"),
        )
        .await;
        want.insert(k, (Some(a), Some(b)));
    }
}

#[tokio::test]
async fn compaction_copies_and_merges_partitions_as_written() {
    let mut node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "cc").await;
    run(
        &s,
        "CREATE TABLE cc.kv (k int PRIMARY KEY, a text, b text) WITH gc_grace_seconds = 0",
    )
    .await;
    let mut want = BTreeMap::new();
    insert(&s, &mut want, 0..60, "").await;
    // Expires at once: past gc_grace (0) at the compaction, so it is purged.
    run(
        &s,
        "INSERT INTO cc.kv (k, a, b) VALUES (99, 'x', 'y') USING TTL 1",
    )
    .await;
    nodetool(&node, &["flush", "cc", "kv"]);
    // Whole rows overwritten (copied from the newer SSTable), one column of
    // others (merged), a row deleted (its tombstone purged with gc_grace 0).
    insert(&s, &mut want, 30..50, "new").await;
    for k in 50..55 {
        run(&s, &format!("UPDATE cc.kv SET a = 'A{k}' WHERE k = {k}")).await;
        want.insert(k, (Some(format!("A{k}")), Some(format!("b{k}"))));
    }
    run(&s, "DELETE FROM cc.kv WHERE k = 7").await;
    want.remove(&7);
    insert(&s, &mut want, 60..70, "").await;
    nodetool(&node, &["flush", "cc", "kv"]);
    // TTL and tombstone local times are seconds: past them for sure.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(rows(&s).await, want);
    let log_from = node.log().len();
    nodetool(&node, &["compact", "cc", "kv"]);
    assert_eq!(rows(&s).await, want);
    let log = node.log();
    let done = log
        .get(log_from..)
        .and_then(|l| l.lines().find(|l| l.contains("compaction done")))
        .unwrap_or_else(|| panic!("no compaction logged:\n{log}"));
    let field = |name: &str| -> u64 {
        let at = done
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("{name}: {done}"));
        done.get(at + name.len() + 1..)
            .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {done}"))
    };
    // 69 partitions left (99 and 7 purged); the 5 partly updated are merged.
    assert_eq!(field("partitions"), 69, "{done}");
    assert_eq!(field("partitions_copied"), 64, "{done}");
    // A crash: the compacted SSTable is what the node reads from, and the
    // commit log does not bring back what the compaction purged.
    drop(s);
    node.kill();
    node.restart();
    let s = connect(&node).await;
    assert_eq!(rows(&s).await, want);
}
