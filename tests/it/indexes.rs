//! Secondary indexes through a real node and the scylla driver: every index target
//! (regular, static, clustering, partition key component, collection keys / values /
//! entries / full), answers that follow updates, deletes and TTL expiry, paging over
//! many matches, a restart, SAI (`USING 'sai'`) ranges, LIKE, and Cassandra's errors.

use scylla::client::session::Session;
use scylla::response::PagingState;

use crate::client::{connect, error, keyspace, run};
use crate::harness::NodeProc;

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
