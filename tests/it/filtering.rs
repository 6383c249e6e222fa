//! ALLOW FILTERING through a real node: Cassandra's refusal without it, then every
//! operator on regular, static, clustering and partition key columns (=, <, >, <=, >=,
//! IN, CONTAINS, CONTAINS KEY), combined restrictions, and filtering across pages.

use scylla::response::PagingState;
use scylla::statement::Statement;

use crate::client::{connect, invalid, keyspace, run, table};
use crate::harness::NodeProc;

const NEEDS_FILTERING: &str = "Cannot execute this query as it might involve data filtering \
    and thus may have unpredictable performance. If you want to execute this query despite \
    the performance unpredictability, use ALLOW FILTERING";

/// The `k, c` pairs a query returns, sorted (partition order is by token).
async fn keys(s: &scylla::client::session::Session, q: &str) -> Vec<String> {
    let mut v: Vec<String> = table(s, q).await.into_iter().map(|r| r.join(",")).collect();
    v.sort();
    v
}

#[tokio::test]
async fn filtering_needs_allow_filtering_then_applies_every_operator() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "fi").await;
    run(
        &s,
        "CREATE TABLE fi.t (k int, c int, st text static, v int, l list<int>, m map<text, int>, \
         PRIMARY KEY (k, c))",
    )
    .await;
    // k in 0..4, c in 0..5: v = k * 10 + c, l = [c, c + 1], m = {'c<c>': k}.
    for k in 0..4 {
        run(
            &s,
            &format!("UPDATE fi.t SET st = 's{}' WHERE k = {k}", k % 2),
        )
        .await;
        for c in 0..5 {
            run(
                &s,
                &format!(
                    "INSERT INTO fi.t (k, c, v, l, m) VALUES ({k}, {c}, {}, [{c}, {}], {{'c{c}': {k}}})",
                    k * 10 + c,
                    c + 1
                ),
            )
            .await;
        }
    }

    for q in [
        "SELECT k, c FROM fi.t WHERE v = 12",
        "SELECT k, c FROM fi.t WHERE c = 2",
        "SELECT k, c FROM fi.t WHERE st = 's1'",
        "SELECT k, c FROM fi.t WHERE l CONTAINS 3",
        "SELECT k, c FROM fi.t WHERE m CONTAINS KEY 'c1'",
        "SELECT k, c FROM fi.t WHERE k = 1 AND v > 12",
    ] {
        assert_eq!(invalid(&s, q).await, NEEDS_FILTERING, "{q}");
    }

    let af = |w: &str| format!("SELECT k, c FROM fi.t WHERE {w} ALLOW FILTERING");
    assert_eq!(keys(&s, &af("v = 12")).await, ["1,2"]);
    assert_eq!(keys(&s, &af("v > 31")).await, ["3,2", "3,3", "3,4"]);
    assert_eq!(keys(&s, &af("v >= 33")).await, ["3,3", "3,4"]);
    assert_eq!(keys(&s, &af("v < 2")).await, ["0,0", "0,1"]);
    assert_eq!(keys(&s, &af("v <= 1")).await, ["0,0", "0,1"]);
    assert_eq!(keys(&s, &af("v IN (3, 14, 99)")).await, ["0,3", "1,4"]);
    assert_eq!(keys(&s, &af("c = 4 AND v > 20")).await, ["2,4", "3,4"]);
    assert_eq!(keys(&s, &af("c > 3")).await, ["0,4", "1,4", "2,4", "3,4"]);
    assert_eq!(keys(&s, &af("st = 's1' AND c = 0")).await, ["1,0", "3,0"]);
    assert_eq!(
        keys(&s, &af("l CONTAINS 5")).await,
        ["0,4", "1,4", "2,4", "3,4"]
    );
    assert_eq!(
        keys(&s, &af("m CONTAINS KEY 'c1' AND m CONTAINS 2")).await,
        ["2,1"]
    );
    assert_eq!(keys(&s, &af("k = 2 AND v > 22")).await, ["2,3", "2,4"]);
    assert_eq!(
        keys(&s, &af("k > 2")).await.len(),
        5,
        "k > 2: only partition 3"
    );
    assert!(keys(&s, &af("v = 1000")).await.is_empty());

    // Filtering across pages of 3 rows returns every match exactly once.
    let mut stmt = Statement::new(af("v > 5 AND c < 4"));
    stmt.set_page_size(3);
    let mut got = Vec::new();
    let mut state = PagingState::start();
    loop {
        let (r, next) = s
            .query_single_page(stmt.clone(), &[], state)
            .await
            .expect("page");
        let rows = r.into_rows_result().expect("rows");
        for row in rows.rows::<(i32, i32)>().expect("typed rows") {
            got.push(row.expect("row"));
        }
        match next.into_paging_control_flow() {
            std::ops::ControlFlow::Break(()) => break,
            std::ops::ControlFlow::Continue(st) => state = st,
        }
    }
    got.sort_unstable();
    let want: Vec<(i32, i32)> = (0..4)
        .flat_map(|k| (0..4).map(move |c| (k, c)))
        .filter(|(k, c)| k * 10 + c > 5)
        .collect();
    assert_eq!(got, want);
}

/// 5.0's NOT CONTAINS and NOT CONTAINS KEY: filters only (ALLOW FILTERING), on lists,
/// sets and map values / keys; a row whose collection is null matches no filter.
#[tokio::test]
async fn filtering_not_contains_and_not_contains_key() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "fn").await;
    run(
        &s,
        "CREATE TABLE fn.t (k int PRIMARY KEY, s set<int>, l list<text>, m map<text, int>, fs frozen<set<int>>, v int)",
    )
    .await;
    for q in [
        "INSERT INTO fn.t (k, s, l, m, fs) VALUES (1, {1, 2}, ['a'], {'x': 1}, {1})",
        "INSERT INTO fn.t (k, s, l, m, fs) VALUES (2, {2, 3}, ['b', 'a'], {'y': 2}, {2})",
        "INSERT INTO fn.t (k, s, l, m, fs) VALUES (3, {4}, ['c'], {'x': 3, 'z': 1}, {3})",
        "INSERT INTO fn.t (k, v) VALUES (4, 0)",
    ] {
        run(&s, q).await;
    }
    assert_eq!(
        invalid(&s, "SELECT k FROM fn.t WHERE s NOT CONTAINS 1").await,
        NEEDS_FILTERING
    );
    let af = |w: &str| format!("SELECT k FROM fn.t WHERE {w} ALLOW FILTERING");
    assert_eq!(keys(&s, &af("s NOT CONTAINS 2")).await, ["3"]);
    assert_eq!(keys(&s, &af("s NOT CONTAINS 9")).await, ["1", "2", "3"]);
    assert_eq!(keys(&s, &af("l NOT CONTAINS 'a'")).await, ["3"]);
    assert_eq!(keys(&s, &af("m NOT CONTAINS KEY 'x'")).await, ["2"]);
    assert_eq!(keys(&s, &af("m NOT CONTAINS 1")).await, ["2"]);
    assert_eq!(keys(&s, &af("fs NOT CONTAINS 1")).await, ["2", "3"]);
    assert_eq!(
        keys(&s, &af("s CONTAINS 2 AND s NOT CONTAINS 1")).await,
        ["2"]
    );
    assert_eq!(
        invalid(&s, &af("v NOT CONTAINS 1")).await,
        "Cannot use NOT CONTAINS on non-collection column v"
    );
    assert_eq!(
        invalid(&s, &af("s NOT CONTAINS KEY 1")).await,
        "Cannot use NOT CONTAINS KEY on non-map column s"
    );
}
