//! Secondary indexes through a real node and the scylla driver: every index target
//! (regular, static, clustering, partition key component, collection keys / values /
//! entries / full), answers that follow updates, deletes and TTL expiry, paging over
//! many matches, a restart, SAI (`USING 'sai'`) ranges, LIKE, and Cassandra's errors.

use scylla::client::session::Session;
use scylla::response::PagingState;

use crate::client::{connect, error, keyspace, query, run};
use crate::harness::NodeProc;
use crate::nodetool::nodetool_at;

/// The first (int) column of every row, sorted.
async fn ids(s: &Session, q: &str) -> Vec<i32> {
    let r = s
        .query_unpaged(q, &[])
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut v: Vec<i32> = r
        .into_rows_result()
        .expect("rows")
        .rows::<(i32,)>()
        .expect("typed rows")
        .map(|r| r.expect("row").0)
        .collect();
    v.sort_unstable();
    v
}

/// Every row's first (int) column over all pages of `page` rows, and the page count.
async fn page_through(s: &Session, q: &str, page: i32) -> (Vec<i32>, usize) {
    let mut stmt = scylla::statement::Statement::new(q);
    stmt.set_page_size(page);
    let mut paging = PagingState::start();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (res, next) = s
            .query_single_page(stmt.clone(), &[], paging)
            .await
            .expect("page");
        pages += 1;
        for r in res
            .into_rows_result()
            .expect("rows")
            .rows::<(i32,)>()
            .expect("typed")
        {
            seen.push(r.expect("row").0);
        }
        match next.into_paging_control_flow() {
            std::ops::ControlFlow::Continue(p) => paging = p,
            std::ops::ControlFlow::Break(()) => break,
        }
    }
    (seen, pages)
}

const FILTERING: &str = "use ALLOW FILTERING";

#[tokio::test]
async fn every_index_target_follows_updates_deletes_and_ttl() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ix").await;
    run(
        &s,
        "CREATE TABLE ix.t (k int, c int, id int, v text, st text STATIC, \
         l list<text>, tags set<int>, m map<text, int>, fl frozen<list<int>>, \
         PRIMARY KEY (k, c))",
    )
    .await;
    // Before the index exists Cassandra asks for ALLOW FILTERING.
    let e = error(&s, "SELECT id FROM ix.t WHERE v = 'a'").await;
    assert!(e.contains(FILTERING), "{e}");

    for stmt in [
        "CREATE INDEX ON ix.t (v)",
        "CREATE INDEX st_idx ON ix.t (st)",
        "CREATE INDEX ON ix.t (c)",
        "CREATE INDEX ON ix.t (l)",
        "CREATE INDEX ON ix.t (values(tags))",
        "CREATE INDEX ON ix.t (keys(m))",
        "CREATE INDEX ON ix.t (values(m))",
        "CREATE INDEX ON ix.t (entries(m))",
        "CREATE INDEX ON ix.t (full(fl))",
    ] {
        run(&s, stmt).await;
    }
    run(&s, "INSERT INTO ix.t (k, c, id, v, st, l, tags, m, fl) VALUES (1, 1, 11, 'a', 's1', ['x', 'y'], {1, 2}, {'p': 1, 'q': 2}, [1, 2])").await;
    run(&s, "INSERT INTO ix.t (k, c, id, v, l, tags, m, fl) VALUES (1, 2, 12, 'b', ['y'], {2}, {'p': 2}, [2])").await;
    run(
        &s,
        "INSERT INTO ix.t (k, c, id, v, st, m) VALUES (2, 1, 21, 'a', 's2', {'q': 1})",
    )
    .await;

    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE v = 'a'").await,
        vec![11, 21]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE st = 's1'").await,
        vec![11, 12]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE c = 1").await,
        vec![11, 21]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE l CONTAINS 'y'").await,
        vec![11, 12]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE tags CONTAINS 1").await,
        vec![11]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE m CONTAINS KEY 'q'").await,
        vec![11, 21]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE m CONTAINS 2").await,
        vec![11, 12]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE m['p'] = 2").await,
        vec![12]
    );
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE fl = [1, 2]").await,
        vec![11]
    );
    // An indexed restriction inside one partition.
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE k = 1 AND v = 'a'").await,
        vec![11]
    );

    // Updates move a row from one indexed value to another.
    run(
        &s,
        "UPDATE ix.t SET v = 'c', m['p'] = 3 WHERE k = 2 AND c = 1",
    )
    .await;
    assert_eq!(ids(&s, "SELECT id FROM ix.t WHERE v = 'a'").await, vec![11]);
    assert_eq!(ids(&s, "SELECT id FROM ix.t WHERE v = 'c'").await, vec![21]);
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE m['p'] = 3").await,
        vec![21]
    );
    run(
        &s,
        "UPDATE ix.t SET tags = tags - {1} WHERE k = 1 AND c = 1",
    )
    .await;
    assert!(ids(&s, "SELECT id FROM ix.t WHERE tags CONTAINS 1")
        .await
        .is_empty());
    run(&s, "UPDATE ix.t SET st = 's3' WHERE k = 1").await;
    assert!(ids(&s, "SELECT id FROM ix.t WHERE st = 's1'")
        .await
        .is_empty());
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE st = 's3'").await,
        vec![11, 12]
    );

    // Deletes: a cell, a row, a partition.
    run(&s, "DELETE v FROM ix.t WHERE k = 1 AND c = 1").await;
    assert!(ids(&s, "SELECT id FROM ix.t WHERE v = 'a'")
        .await
        .is_empty());
    run(&s, "DELETE FROM ix.t WHERE k = 1 AND c = 2").await;
    assert!(ids(&s, "SELECT id FROM ix.t WHERE v = 'b'")
        .await
        .is_empty());
    run(&s, "DELETE FROM ix.t WHERE k = 2").await;
    assert!(ids(&s, "SELECT id FROM ix.t WHERE v = 'c'")
        .await
        .is_empty());

    // TTL: the entry goes when the cell expires.
    run(
        &s,
        "INSERT INTO ix.t (k, c, id, v) VALUES (3, 1, 31, 'ttl') USING TTL 1",
    )
    .await;
    assert_eq!(
        ids(&s, "SELECT id FROM ix.t WHERE v = 'ttl'").await,
        vec![31]
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(ids(&s, "SELECT id FROM ix.t WHERE v = 'ttl'")
        .await
        .is_empty());

    // A component of a composite partition key.
    run(
        &s,
        "CREATE TABLE ix.pk (a int, b int, id int, PRIMARY KEY ((a, b)))",
    )
    .await;
    run(&s, "CREATE INDEX ON ix.pk (a)").await;
    run(&s, "INSERT INTO ix.pk (a, b, id) VALUES (1, 1, 1)").await;
    run(&s, "INSERT INTO ix.pk (a, b, id) VALUES (1, 2, 2)").await;
    run(&s, "INSERT INTO ix.pk (a, b, id) VALUES (2, 1, 3)").await;
    assert_eq!(
        ids(&s, "SELECT id FROM ix.pk WHERE a = 1").await,
        vec![1, 2]
    );

    // A map entry restriction needs the entries() index, not keys() or values().
    run(
        &s,
        "CREATE TABLE ix.mk (k int PRIMARY KEY, m map<text, int>)",
    )
    .await;
    run(&s, "CREATE INDEX ON ix.mk (keys(m))").await;
    let e = error(&s, "SELECT k FROM ix.mk WHERE m['a'] = 1").await;
    assert!(e.contains(FILTERING), "{e}");
}

#[tokio::test]
async fn index_paging_restart_sai_like_and_errors() {
    let mut node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ix").await;
    run(
        &s,
        "CREATE TABLE ix.p (k int PRIMARY KEY, g int, n int, name text)",
    )
    .await;
    run(&s, "CREATE INDEX g_idx ON ix.p (g)").await;
    let insert = s
        .prepare("INSERT INTO ix.p (k, g, n, name) VALUES (?, ?, ?, ?)")
        .await
        .expect("prepare");
    for k in 0..400i32 {
        s.execute_unpaged(&insert, (k, k % 2, k, format!("user{k}")))
            .await
            .expect("insert");
    }

    // Paging with a small page over 200 matches: every match once, nothing else.
    let (mut seen, pages) = page_through(&s, "SELECT k FROM ix.p WHERE g = 1", 17).await;
    assert!(pages >= 12, "{pages} pages for 200 rows of 17");
    seen.sort_unstable();
    assert_eq!(seen, (0..400).filter(|k| k % 2 == 1).collect::<Vec<_>>());

    // A restart (memtables flushed to SSTables, schema reloaded): same answers.
    drop(s);
    node.stop();
    node.restart();
    let s = connect(&node).await;
    assert_eq!(ids(&s, "SELECT k FROM ix.p WHERE g = 0").await.len(), 200);
    let rows = s
        .query_unpaged("SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = 'ix'", &[])
        .await
        .expect("system_schema.indexes");
    assert_eq!(rows.into_rows_result().expect("rows").rows_num(), 1);

    // SAI: both spellings, equality and numeric ranges without ALLOW FILTERING.
    let e = error(&s, "SELECT k FROM ix.p WHERE n < 5").await;
    assert!(e.contains(FILTERING), "{e}");
    run(
        &s,
        "CREATE CUSTOM INDEX n_sai ON ix.p (n) USING 'StorageAttachedIndex'",
    )
    .await;
    assert_eq!(
        ids(&s, "SELECT k FROM ix.p WHERE n < 5").await,
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        ids(&s, "SELECT k FROM ix.p WHERE n >= 397").await,
        vec![397, 398, 399]
    );
    run(&s, "CREATE TABLE ix.s (k int PRIMARY KEY, v int)").await;
    run(&s, "CREATE INDEX ON ix.s (v) USING 'sai'").await;
    run(&s, "INSERT INTO ix.s (k, v) VALUES (1, 10)").await;
    assert_eq!(ids(&s, "SELECT k FROM ix.s WHERE v = 10").await, vec![1]);
    let e = error(
        &s,
        "CREATE CUSTOM INDEX ON ix.s (v) USING 'StorageAttachedIndex'",
    )
    .await;
    assert!(e.contains("is a duplicate of existing index"), "{e}");

    // LIKE: needs an index that supports it, even with ALLOW FILTERING.
    let e = error(
        &s,
        "SELECT k FROM ix.p WHERE name LIKE 'user1%' ALLOW FILTERING",
    )
    .await;
    assert!(
        e.contains("LIKE restriction is only supported on properly indexed columns"),
        "{e}"
    );
    run(&s, "CREATE INDEX name_idx ON ix.p (name)").await;
    let e = error(&s, "SELECT k FROM ix.p WHERE name LIKE 'user1%'").await;
    assert!(
        e.contains("Index on column name does not support LIKE restrictions."),
        "{e}"
    );
    run(&s, "DROP INDEX ix.name_idx").await;
    run(&s, "CREATE CUSTOM INDEX ON ix.p (name) USING 'org.apache.cassandra.index.sasi.SASIIndex' WITH OPTIONS = {'mode': 'CONTAINS'}").await;
    // Built: a prefix pattern reads the index's ordered entries, the others scan.
    wait_built(&s, "ix", "p_name_idx").await;
    assert_eq!(
        ids(&s, "SELECT k FROM ix.p WHERE name LIKE 'user39%'").await,
        vec![39, 390, 391, 392, 393, 394, 395, 396, 397, 398, 399]
    );
    assert_eq!(
        ids(&s, "SELECT k FROM ix.p WHERE name LIKE '%r12%'").await,
        vec![12, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129]
    );
    assert_eq!(
        ids(&s, "SELECT k FROM ix.p WHERE name LIKE '%99'").await,
        vec![99, 199, 299, 399]
    );
    let e = error(&s, "SELECT k FROM ix.p WHERE name LIKE '%'").await;
    assert!(e.contains("LIKE value can't be empty"), "{e}");

    // DROP INDEX: the query needs ALLOW FILTERING again.
    run(&s, "DROP INDEX ix.g_idx").await;
    let e = error(&s, "SELECT k FROM ix.p WHERE g = 1").await;
    assert!(e.contains(FILTERING), "{e}");

    // Cassandra's errors for bad CREATE INDEX.
    let e = error(&s, "CREATE INDEX ON ix.p (k)").await;
    assert!(
        e.contains("Cannot create secondary index on the only partition key column k"),
        "{e}"
    );
    let e = error(&s, "CREATE INDEX ON ix.p (nope)").await;
    assert!(e.contains("nope"), "{e}");
    let e = error(&s, "CREATE INDEX ON ix.p (keys(g))").await;
    assert!(
        e.contains("Cannot create index on keys of column g with non-map type"),
        "{e}"
    );
    let e = error(&s, "DROP INDEX ix.nope").await;
    assert!(e.contains("doesn't exist"), "{e}");
}

/// Checks the sorted first column of `q` against `want`.
async fn expect(s: &Session, q: &str, want: &[i32]) {
    assert_eq!(ids(s, q).await, want, "{q}");
}

/// Storage table directories (named by table id) under the node's data directory.
fn table_dirs(node: &NodeProc) -> usize {
    fn walk(p: &std::path::Path, depth: u32) -> usize {
        let Ok(rd) = std::fs::read_dir(p) else {
            return 0;
        };
        rd.flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                if name.len() == 32 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                    1
                } else if depth > 0 {
                    walk(&e.path(), depth - 1)
                } else {
                    0
                }
            })
            .sum()
    }
    walk(node.data_dir(), 2)
}

/// The names of the built indexes of keyspace `ks` in `system."IndexInfo"`.
async fn built(s: &Session, ks: &str) -> Vec<String> {
    let q = format!("SELECT index_name FROM system.\"IndexInfo\" WHERE table_name = '{ks}'");
    let r = s.query_unpaged(q.as_str(), &[]).await.expect("IndexInfo");
    r.into_rows_result()
        .expect("rows")
        .rows::<(String,)>()
        .expect("typed")
        .map(|r| r.expect("row").0)
        .collect()
}

/// Polls `system."IndexInfo"` until `index` is listed (the build runs in the
/// background); fails after a minute.
async fn wait_built(s: &Session, ks: &str, index: &str) {
    for _ in 0..600 {
        if built(s, ks).await.iter().any(|n| n == index) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("index {ks}.{index} never reported built");
}

#[tokio::test]
async fn index_builds_existing_rows_in_a_hidden_table() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ixb").await;
    run(
        &s,
        "CREATE TABLE ixb.t (k int, c int, v int, PRIMARY KEY (k, c))",
    )
    .await;
    let insert = s
        .prepare("INSERT INTO ixb.t (k, c, v) VALUES (?, ?, ?)")
        .await
        .expect("prepare");
    for i in 0..3000i32 {
        s.execute_unpaged(&insert, (i % 50, i, i % 7))
            .await
            .expect("insert");
    }
    let dirs = table_dirs(&node);
    run(&s, "CREATE INDEX v_idx ON ixb.t (v)").await;
    // Right answers at once, whether the build has finished or not.
    let want: Vec<i32> = (0..3000).filter(|i| i % 7 == 3).collect();
    assert_eq!(ids(&s, "SELECT c FROM ixb.t WHERE v = 3").await, want);
    wait_built(&s, "ixb", "v_idx").await;
    assert_eq!(ids(&s, "SELECT c FROM ixb.t WHERE v = 3").await, want);
    // One more store on disk; not a table for clients (Cassandra lists the index).
    assert_eq!(table_dirs(&node), dirs + 1);
    let tables = query(
        &s,
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'ixb'",
    )
    .await;
    assert_eq!(tables.rows.len(), 1);
    let idx = query(
        &s,
        "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = 'ixb'",
    )
    .await;
    assert_eq!(idx.rows.len(), 1);
    // Writes after the build are indexed as they happen.
    run(&s, "INSERT INTO ixb.t (k, c, v) VALUES (1, 5000, 3)").await;
    assert!(ids(&s, "SELECT c FROM ixb.t WHERE v = 3")
        .await
        .contains(&5000));
    // TRUNCATE empties the index with its table; it stays built.
    run(&s, "TRUNCATE ixb.t").await;
    expect(&s, "SELECT c FROM ixb.t WHERE v = 3", &[]).await;
    assert_eq!(built(&s, "ixb").await, vec!["v_idx".to_string()]);
    run(&s, "INSERT INTO ixb.t (k, c, v) VALUES (1, 1, 3)").await;
    expect(&s, "SELECT c FROM ixb.t WHERE v = 3", &[1]).await;
    // DROP INDEX removes the store; DROP TABLE takes its indexes' stores too.
    run(&s, "DROP INDEX ixb.v_idx").await;
    assert_eq!(table_dirs(&node), dirs);
    assert!(built(&s, "ixb").await.is_empty());
    run(&s, "CREATE INDEX v2 ON ixb.t (v)").await;
    assert_eq!(table_dirs(&node), dirs + 1);
    run(&s, "DROP TABLE ixb.t").await;
    assert_eq!(table_dirs(&node), dirs - 1);
}

#[tokio::test]
async fn index_pages_limits_and_combines_with_other_restrictions() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ixp").await;
    run(
        &s,
        "CREATE TABLE ixp.t (k int, c int, g int, w int, PRIMARY KEY (k, c))",
    )
    .await;
    run(&s, "CREATE INDEX g_idx ON ixp.t (g)").await;
    wait_built(&s, "ixp", "g_idx").await;
    let insert = s
        .prepare("INSERT INTO ixp.t (k, c, g, w) VALUES (?, ?, ?, ?)")
        .await
        .expect("prepare");
    // 2,000 matches (g = 1) among 4,000 rows, 40 rows in each of 100 partitions.
    for i in 0..4000i32 {
        s.execute_unpaged(&insert, (i / 40, i, i % 2, i % 10))
            .await
            .expect("insert");
    }
    let all: Vec<i32> = (0..4000).filter(|i| i % 2 == 1).collect();
    let (mut seen, pages) = page_through(&s, "SELECT c FROM ixp.t WHERE g = 1", 100).await;
    assert!(
        (20..=21).contains(&pages),
        "{pages} pages of 100 for 2,000 rows"
    );
    let n = seen.len();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(n, seen.len(), "a row came twice");
    assert_eq!(seen, all);

    // LIMIT, across pages too.
    assert_eq!(
        ids(&s, "SELECT c FROM ixp.t WHERE g = 1 LIMIT 7")
            .await
            .len(),
        7
    );
    let (seen, _) = page_through(&s, "SELECT c FROM ixp.t WHERE g = 1 LIMIT 250", 100).await;
    assert_eq!(seen.len(), 250);
    // PER PARTITION LIMIT: 3 of each partition's 20 matches, also when paged.
    let (seen, _) = page_through(
        &s,
        "SELECT c FROM ixp.t WHERE g = 1 PER PARTITION LIMIT 3",
        7,
    )
    .await;
    assert_eq!(seen.len(), 300);
    let mut per: std::collections::BTreeMap<i32, usize> = Default::default();
    for c in &seen {
        *per.entry(c / 40).or_default() += 1;
    }
    assert!(per.values().all(|n| *n == 3), "{per:?}");
    // The partition key given: the index restriction inside that partition.
    assert_eq!(
        ids(&s, "SELECT c FROM ixp.t WHERE k = 3 AND g = 1").await,
        (120..160).filter(|i| i % 2 == 1).collect::<Vec<_>>()
    );
    // A clustering slice and an extra filter (ALLOW FILTERING).
    assert_eq!(
        ids(
            &s,
            "SELECT c FROM ixp.t WHERE g = 1 AND c > 3990 ALLOW FILTERING"
        )
        .await,
        vec![3991, 3993, 3995, 3997, 3999]
    );
    assert_eq!(
        ids(
            &s,
            "SELECT c FROM ixp.t WHERE g = 1 AND w = 3 ALLOW FILTERING"
        )
        .await
        .len(),
        400
    );
    // A token range: the rows of the partitions in it.
    let r = query(&s, "SELECT token(k) FROM ixp.t WHERE k = 50").await;
    let Some(Some(scylla::value::CqlValue::BigInt(t50))) =
        r.rows.first().and_then(|r| r.first()).cloned()
    else {
        panic!("token")
    };
    let q = format!("SELECT k FROM ixp.t WHERE g = 1 AND token(k) > {t50} ALLOW FILTERING");
    let ks = ids(&s, &q).await;
    assert!(!ks.contains(&50));

    // SAI ranges read the ordered layout, and page in token order like the rest.
    run(&s, "CREATE INDEX w_sai ON ixp.t (w) USING 'sai'").await;
    wait_built(&s, "ixp", "w_sai").await;
    let (seen, _) = page_through(&s, "SELECT c FROM ixp.t WHERE w >= 8", 100).await;
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(seen.len(), sorted.len(), "a row came twice");
    assert_eq!(
        sorted,
        (0..4000).filter(|i| i % 10 >= 8).collect::<Vec<_>>()
    );
    expect(
        &s,
        "SELECT c FROM ixp.t WHERE w > 3 AND w <= 4 AND k = 0",
        &[4, 14, 24, 34],
    )
    .await;
    let (seen, _) = page_through(&s, "SELECT c FROM ixp.t WHERE w > 3 AND w < 5", 33).await;
    assert_eq!(seen.len(), 400);
    assert_eq!(
        ids(&s, "SELECT c FROM ixp.t WHERE w = 9 LIMIT 3")
            .await
            .len(),
        3
    );
    // IN on an indexed column: the entries of each value, merged in token order.
    let (seen, _) = page_through(&s, "SELECT c FROM ixp.t WHERE w IN (1, 2, 77)", 150).await;
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(seen.len(), sorted.len(), "a row came twice");
    assert_eq!(
        sorted,
        (0..4000)
            .filter(|i| matches!(i % 10, 1 | 2))
            .collect::<Vec<_>>()
    );
    let (seen, _) = page_through(
        &s,
        "SELECT c FROM ixp.t WHERE g IN (1, 1, 5) LIMIT 1500",
        400,
    )
    .await;
    assert_eq!(seen.len(), 1500);
    run(&s, "UPDATE ixp.t SET w = 100 WHERE k = 0 AND c = 0").await;
    expect(&s, "SELECT c FROM ixp.t WHERE w > 99", &[0]).await;
    assert!(!ids(&s, "SELECT c FROM ixp.t WHERE w < 1")
        .await
        .contains(&0));
    let toks = query(
        &s,
        &format!("SELECT DISTINCT k FROM ixp.t WHERE token(k) > {t50}"),
    )
    .await;
    assert_eq!(ks.len(), toks.rows.len() * 20);
}

#[tokio::test]
async fn index_entries_follow_every_kind_of_write() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ixw").await;
    run(
        &s,
        "CREATE TABLE ixw.t (k int, c int, id int, v text, st text STATIC, \
         tags set<int>, m map<text, int>, PRIMARY KEY (k, c))",
    )
    .await;
    for stmt in [
        "CREATE INDEX v_idx ON ixw.t (v)",
        "CREATE INDEX st_idx ON ixw.t (st)",
        "CREATE INDEX c_idx ON ixw.t (c)",
        "CREATE INDEX tags_idx ON ixw.t (tags)",
        "CREATE INDEX mk_idx ON ixw.t (keys(m))",
        "CREATE INDEX me_idx ON ixw.t (entries(m))",
    ] {
        run(&s, stmt).await;
    }
    for i in ["v_idx", "st_idx", "c_idx", "tags_idx", "mk_idx", "me_idx"] {
        wait_built(&s, "ixw", i).await;
    }
    // Overwrite: the old value is no longer found.
    run(
        &s,
        "INSERT INTO ixw.t (k, c, id, v) VALUES (1, 1, 11, 'old')",
    )
    .await;
    run(&s, "UPDATE ixw.t SET v = 'new' WHERE k = 1 AND c = 1").await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'old'", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'new'", &[11]).await;
    // Back to the old value: found again (a newer entry).
    run(&s, "UPDATE ixw.t SET v = 'old' WHERE k = 1 AND c = 1").await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'old'", &[11]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'new'", &[]).await;

    // Batches and INSERT JSON write entries too.
    run(
        &s,
        "BEGIN BATCH INSERT INTO ixw.t (k, c, id, v) VALUES (2, 1, 21, 'b'); \
         INSERT INTO ixw.t (k, c, id, v) VALUES (2, 2, 22, 'b'); APPLY BATCH",
    )
    .await;
    run(
        &s,
        r#"INSERT INTO ixw.t JSON '{"k": 3, "c": 1, "id": 31, "v": "b"}'"#,
    )
    .await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'b'", &[21, 22, 31]).await;
    // Lightweight transactions too.
    run(
        &s,
        "INSERT INTO ixw.t (k, c, id, v) VALUES (4, 1, 41, 'lwt') IF NOT EXISTS",
    )
    .await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'lwt'", &[41]).await;
    run(
        &s,
        "UPDATE ixw.t SET v = 'lwt2' WHERE k = 4 AND c = 1 IF v = 'lwt'",
    )
    .await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'lwt'", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'lwt2'", &[41]).await;

    // Collection element operations.
    run(
        &s,
        "UPDATE ixw.t SET tags = tags + {7, 8}, m['a'] = 1 WHERE k = 1 AND c = 1",
    )
    .await;
    expect(&s, "SELECT id FROM ixw.t WHERE tags CONTAINS 7", &[11]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE m CONTAINS KEY 'a'", &[11]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE m['a'] = 1", &[11]).await;
    run(
        &s,
        "UPDATE ixw.t SET tags = tags - {7}, m['a'] = 2 WHERE k = 1 AND c = 1",
    )
    .await;
    expect(&s, "SELECT id FROM ixw.t WHERE tags CONTAINS 7", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE tags CONTAINS 8", &[11]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE m['a'] = 1", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE m['a'] = 2", &[11]).await;
    run(&s, "UPDATE ixw.t SET tags = {9} WHERE k = 1 AND c = 1").await;
    expect(&s, "SELECT id FROM ixw.t WHERE tags CONTAINS 8", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE tags CONTAINS 9", &[11]).await;

    // Static: every row of the partition; replaced for the whole partition.
    run(&s, "UPDATE ixw.t SET st = 's' WHERE k = 2").await;
    expect(&s, "SELECT id FROM ixw.t WHERE st = 's'", &[21, 22]).await;
    run(&s, "UPDATE ixw.t SET st = 't' WHERE k = 2").await;
    expect(&s, "SELECT id FROM ixw.t WHERE st = 's'", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE st = 't'", &[21, 22]).await;

    // Clustering column: found in every partition; gone with its row.
    expect(&s, "SELECT id FROM ixw.t WHERE c = 1", &[11, 21, 31, 41]).await;
    run(&s, "DELETE FROM ixw.t WHERE k = 3 AND c = 1").await;
    expect(&s, "SELECT id FROM ixw.t WHERE c = 1", &[11, 21, 41]).await;

    // Deletes: a column, a range of rows, a partition.
    run(&s, "DELETE v FROM ixw.t WHERE k = 1 AND c = 1").await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'old'", &[]).await;
    run(&s, "DELETE FROM ixw.t WHERE k = 2 AND c >= 2").await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'b'", &[21]).await;
    run(&s, "DELETE FROM ixw.t WHERE k = 2").await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'b'", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE st = 't'", &[]).await;
    // Re-inserted after the deletion: found again.
    run(&s, "INSERT INTO ixw.t (k, c, id, v) VALUES (2, 1, 23, 'b')").await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'b'", &[23]).await;

    // TTL: expired cells and rows are not found (their entries expire with them).
    run(
        &s,
        "INSERT INTO ixw.t (k, c, id, v) VALUES (5, 1, 51, 'ttl') USING TTL 1",
    )
    .await;
    run(
        &s,
        "UPDATE ixw.t USING TTL 1 SET v = 'ttl2' WHERE k = 5 AND c = 2",
    )
    .await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'ttl'", &[51]).await;
    expect(&s, "SELECT c FROM ixw.t WHERE v = 'ttl2'", &[2]).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'ttl'", &[]).await;
    expect(&s, "SELECT id FROM ixw.t WHERE v = 'ttl2'", &[]).await;
    assert!(!ids(&s, "SELECT k FROM ixw.t WHERE c = 1")
        .await
        .contains(&5));
}

#[tokio::test]
async fn index_survives_crash_restart_and_partition_key_component() {
    let mut node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ixr").await;
    run(
        &s,
        "CREATE TABLE ixr.t (a int, b int, id int, v int, PRIMARY KEY ((a, b)))",
    )
    .await;
    run(&s, "CREATE INDEX a_idx ON ixr.t (a)").await;
    run(&s, "CREATE INDEX v_idx ON ixr.t (v)").await;
    wait_built(&s, "ixr", "a_idx").await;
    wait_built(&s, "ixr", "v_idx").await;
    for i in 0..200i32 {
        let q = format!(
            "INSERT INTO ixr.t (a, b, id, v) VALUES ({}, {i}, {i}, {})",
            i % 4,
            i % 5
        );
        run(&s, &q).await;
    }
    run(&s, "UPDATE ixr.t SET v = 100 WHERE a = 1 AND b = 1").await;
    run(&s, "DELETE FROM ixr.t WHERE a = 2 AND b = 2").await;
    let want_a1: Vec<i32> = (0..200).filter(|i| i % 4 == 1).collect();
    let want_v0: Vec<i32> = (0..200).filter(|i| i % 5 == 0 && *i != 1).collect();
    assert_eq!(ids(&s, "SELECT id FROM ixr.t WHERE a = 1").await, want_a1);
    assert_eq!(ids(&s, "SELECT id FROM ixr.t WHERE v = 0").await, want_v0);
    // A major compaction (flush first) of the table and its index tables, then
    // more writes in the memtables: both halves are found.
    let (code, out, err) = nodetool_at(node.admin_port, &["compact", "ixr", "t"]);
    assert_eq!(code, Some(0), "nodetool compact: {out}{err}");
    assert_eq!(ids(&s, "SELECT id FROM ixr.t WHERE v = 0").await, want_v0);
    run(
        &s,
        "INSERT INTO ixr.t (a, b, id, v) VALUES (1, 1000, 1000, 0)",
    )
    .await;
    let mut want_v0 = want_v0;
    want_v0.push(1000);
    let mut want_a1 = want_a1;
    want_a1.push(1000);
    assert_eq!(ids(&s, "SELECT id FROM ixr.t WHERE v = 0").await, want_v0);
    // A crash: the commit log replays what was not flushed, base rows and entries.
    drop(s);
    node.kill();
    node.restart();
    let s = connect(&node).await;
    assert_eq!(
        built(&s, "ixr").await,
        vec!["a_idx".to_string(), "v_idx".to_string()]
    );
    assert_eq!(ids(&s, "SELECT id FROM ixr.t WHERE a = 1").await, want_a1);
    assert_eq!(ids(&s, "SELECT id FROM ixr.t WHERE v = 0").await, want_v0);
    expect(&s, "SELECT id FROM ixr.t WHERE v = 100", &[1]).await;
    assert!(!ids(&s, "SELECT id FROM ixr.t WHERE a = 2")
        .await
        .contains(&2));
    let (seen, _) = page_through(&s, "SELECT id FROM ixr.t WHERE a = 3", 9).await;
    assert_eq!(seen.len(), 50);
}

#[tokio::test]
async fn index_build_during_writes_misses_no_row() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ixc").await;
    run(&s, "CREATE TABLE ixc.t (k int PRIMARY KEY, v int)").await;
    let s = std::sync::Arc::new(s);
    // Two writers insert rows before, during and after the build.
    let mut writers = Vec::new();
    for w in 0..2i32 {
        let s = s.clone();
        writers.push(tokio::spawn(async move {
            let insert = s
                .prepare("INSERT INTO ixc.t (k, v) VALUES (?, ?)")
                .await
                .expect("prepare");
            for i in 0..1500i32 {
                let k = i * 2 + w;
                s.execute_unpaged(&insert, (k, k % 3))
                    .await
                    .expect("insert");
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    run(&s, "CREATE INDEX v_idx ON ixc.t (v)").await;
    for w in writers {
        w.await.expect("writer");
    }
    wait_built(&s, "ixc", "v_idx").await;
    let (seen, _) = page_through(&s, "SELECT k FROM ixc.t WHERE v = 1", 500).await;
    let mut seen = seen;
    seen.sort_unstable();
    assert_eq!(seen, (0..3000).filter(|k| k % 3 == 1).collect::<Vec<_>>());
}
