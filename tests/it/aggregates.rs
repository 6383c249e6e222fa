//! Aggregates through a real node: count/min/max/sum/avg with Cassandra's result types
//! (avg of ints is an int), over nothing, with GROUP BY partition and clustering prefixes,
//! DISTINCT, aliases, and Cassandra's GROUP BY errors.

use crate::client::{connect, invalid, keyspace, query, run, table};
use crate::harness::NodeProc;

fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
    r.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn aggregates_group_by_and_distinct() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ag").await;
    run(
        &s,
        "CREATE TABLE ag.t (k text, c1 int, c2 int, v int, d double, PRIMARY KEY (k, c1, c2))",
    )
    .await;
    run(&s, "CREATE TABLE ag.empty (k int PRIMARY KEY, v int)").await;
    // Partition 'a': (c1, c2) in {1,2} x {1,2}, v = c1 * 10 + c2; partition 'b': one row.
    for (c1, c2) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
        run(
            &s,
            &format!(
                "INSERT INTO ag.t (k, c1, c2, v, d) VALUES ('a', {c1}, {c2}, {}, {}.5)",
                c1 * 10 + c2,
                c2
            ),
        )
        .await;
    }
    run(&s, "INSERT INTO ag.t (k, c1, c2, v) VALUES ('b', 1, 1, 5)").await;

    // 11 + 12 + 21 + 22 = 66; avg of ints truncates: 66 / 4 = 16.
    assert_eq!(
        table(
            &s,
            "SELECT count(*), count(d), min(v), max(v), sum(v), avg(v), avg(d) FROM ag.t WHERE k = 'a'"
        )
        .await,
        rows(&[&["4", "4", "11", "22", "66", "16", "2"]])
    );
    // Column names as Cassandra prints them, and aliases.
    let r = query(&s, "SELECT count(*), max(v) AS top, sum(v) FROM ag.t").await;
    assert_eq!(r.cols, ["count", "top", "system.sum(v)"]);
    // Over no rows: count is 0, sum 0, min/max null (one row, not none).
    assert_eq!(
        table(&s, "SELECT count(*), sum(v), min(v), max(v) FROM ag.empty").await,
        rows(&[&["0", "0", "null", "null"]])
    );

    let mut g = table(&s, "SELECT k, count(*), sum(v) FROM ag.t GROUP BY k").await;
    g.sort();
    assert_eq!(g, rows(&[&["'a'", "4", "66"], &["'b'", "1", "5"]]));
    assert_eq!(
        table(
            &s,
            "SELECT c1, count(*), max(v) FROM ag.t WHERE k = 'a' GROUP BY k, c1"
        )
        .await,
        rows(&[&["1", "2", "12"], &["2", "2", "22"]])
    );
    // GROUP BY the full primary key: one group per row.
    assert_eq!(
        table(
            &s,
            "SELECT count(*) FROM ag.t WHERE k = 'a' GROUP BY k, c1, c2"
        )
        .await
        .len(),
        4
    );
    // GROUP BY with LIMIT counts groups.
    assert_eq!(
        table(
            &s,
            "SELECT c1 FROM ag.t WHERE k = 'a' GROUP BY k, c1 LIMIT 1"
        )
        .await,
        rows(&[&["1"]])
    );

    let mut d = table(&s, "SELECT DISTINCT k FROM ag.t").await;
    d.sort();
    assert_eq!(d, rows(&[&["'a'"], &["'b'"]]));

    let m = invalid(&s, "SELECT count(*) FROM ag.t GROUP BY v").await;
    assert_eq!(
        m,
        "Group by is currently only supported on the columns of the PRIMARY KEY, got v"
    );
    let m = invalid(&s, "SELECT count(*) FROM ag.t WHERE k = 'a' GROUP BY k, c2").await;
    assert_eq!(
        m,
        "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
    );
}
