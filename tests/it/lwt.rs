//! Lightweight transactions through a real node and the scylla driver: the
//! `[applied]` result sets as Cassandra returns them, conditions on columns, list and
//! map elements, UDT fields, IN / CONTAINS / CONTAINS KEY, conditional batches, SERIAL
//! reads, Cassandra's error messages, and concurrent compare-and-set from several
//! connections serialized by Paxos.

use scylla::client::session::Session;
use scylla::errors::{DbError, ExecutionError, RequestAttemptError};
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::{Consistency, Statement};
use scylla::value::CqlValue;

use crate::client::{connect, invalid, query, Rs};
use crate::harness::NodeProc;

/// `[applied]` of a conditional statement's result (the first column, by Cassandra's rule).
trait Applied {
    fn applied(&self) -> bool;
}

impl Applied for Rs {
    fn applied(&self) -> bool {
        assert_eq!(self.cols.first().map(String::as_str), Some("[applied]"));
        self.rows[0][0] == Some(CqlValue::Boolean(true))
    }
}

fn text(s: &str) -> Option<CqlValue> {
    Some(CqlValue::Text(s.into()))
}

fn int(i: i32) -> Option<CqlValue> {
    Some(CqlValue::Int(i))
}

const FALSE: Option<CqlValue> = Some(CqlValue::Boolean(false));

async fn schema(s: &Session) {
    for q in [
        "CREATE KEYSPACE lw WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        "CREATE TYPE lw.addr (street text, zip int)",
        "CREATE TABLE lw.t (k int PRIMARY KEY, v text, n int, l list<text>, m map<text, int>, st set<int>, a addr, fa frozen<addr>)",
        "CREATE TABLE lw.c (k int, c int, s int static, v text, PRIMARY KEY (k, c))",
        "CREATE TABLE lw.cnt (k int PRIMARY KEY, n counter)",
    ] {
        query(s, q).await;
    }
}

#[tokio::test]
async fn lwt_conditions_and_applied_result_sets() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;

    // IF NOT EXISTS: applied once; then [applied] false plus every column of the row.
    let r = query(
        &s,
        "INSERT INTO lw.t (k, v, n) VALUES (1, 'a', 10) IF NOT EXISTS",
    )
    .await;
    assert_eq!(r.cols, ["[applied]"]);
    assert!(r.applied());
    let r = query(
        &s,
        "INSERT INTO lw.t (k, v, n) VALUES (1, 'b', 20) IF NOT EXISTS",
    )
    .await;
    assert!(!r.applied());
    assert_eq!(
        r.cols,
        ["[applied]", "k", "a", "fa", "l", "m", "n", "st", "v"]
    );
    assert_eq!(r.rows[0][0], FALSE);
    assert_eq!(r.rows[0][1], int(1));
    assert_eq!(r.rows[0][6], int(10));
    assert_eq!(r.rows[0][8], text("a"));

    // A failed column condition shows the condition columns, in IF order.
    let r = query(
        &s,
        "UPDATE lw.t SET v = 'x' WHERE k = 1 IF n = 11 AND v = 'a'",
    )
    .await;
    assert_eq!(r.cols, ["[applied]", "n", "v"]);
    assert_eq!(r.rows, vec![vec![FALSE, int(10), text("a")]]);
    assert!(query(
        &s,
        "UPDATE lw.t SET v = 'x' WHERE k = 1 IF n = 10 AND v = 'a'"
    )
    .await
    .applied());
    // Orderings, !=, IN and null.
    assert!(query(
        &s,
        "UPDATE lw.t SET n = 12 WHERE k = 1 IF n > 9 AND n <= 10"
    )
    .await
    .applied());
    assert!(!query(&s, "UPDATE lw.t SET n = 13 WHERE k = 1 IF n < 12")
        .await
        .applied());
    assert!(query(
        &s,
        "UPDATE lw.t SET n = 13 WHERE k = 1 IF n != 99 AND v IN ('q', 'x')"
    )
    .await
    .applied());
    assert!(query(&s, "UPDATE lw.t SET n = 14 WHERE k = 1 IF l = null")
        .await
        .applied());
    let r = query(&s, "SELECT n, v FROM lw.t WHERE k = 1").await;
    assert_eq!(r.rows, vec![vec![int(14), text("x")]]);

    // A missing row: [applied] false alone.
    let r = query(&s, "UPDATE lw.t SET v = 'z' WHERE k = 2 IF v = 'a'").await;
    assert_eq!(r.cols, ["[applied]"]);
    assert_eq!(r.rows, vec![vec![FALSE]]);
    assert!(!query(&s, "UPDATE lw.t SET v = 'z' WHERE k = 2 IF EXISTS")
        .await
        .applied());
    assert!(query(&s, "SELECT * FROM lw.t WHERE k = 2")
        .await
        .rows
        .is_empty());

    // Collection elements, UDT fields, CONTAINS / CONTAINS KEY.
    query(
        &s,
        "UPDATE lw.t SET l = ['p', 'q'], m = {'a': 1, 'b': 2}, st = {5}, a = {street: 'main', zip: 7}, fa = {street: 'elm', zip: 8} WHERE k = 1",
    )
    .await;
    assert!(
        query(&s, "UPDATE lw.t SET v = 'l' WHERE k = 1 IF l[1] = 'q'")
            .await
            .applied()
    );
    assert!(
        !query(&s, "UPDATE lw.t SET v = 'l' WHERE k = 1 IF l[5] = 'q'")
            .await
            .applied()
    );
    assert!(query(
        &s,
        "UPDATE lw.t SET v = 'm' WHERE k = 1 IF m['b'] = 2 AND m['zz'] = null"
    )
    .await
    .applied());
    let r = query(&s, "UPDATE lw.t SET v = 'm' WHERE k = 1 IF m['a'] > 5").await;
    assert_eq!(r.cols, ["[applied]", "m"]);
    assert!(!r.applied());
    assert!(query(
        &s,
        "UPDATE lw.t SET v = 'u' WHERE k = 1 IF a.zip = 7 AND fa.street = 'elm'"
    )
    .await
    .applied());
    assert!(!query(
        &s,
        "UPDATE lw.t SET v = 'u' WHERE k = 1 IF a.street = 'elm'"
    )
    .await
    .applied());
    assert!(query(&s, "UPDATE lw.t SET v = 'c' WHERE k = 1 IF l CONTAINS 'p' AND m CONTAINS KEY 'a' AND m CONTAINS 2 AND st CONTAINS 5").await.applied());
    assert!(
        !query(&s, "UPDATE lw.t SET v = 'c2' WHERE k = 1 IF st CONTAINS 6")
            .await
            .applied()
    );
    assert!(query(
        &s,
        "UPDATE lw.t SET v = 'w' WHERE k = 1 IF m = {'b': 2, 'a': 1} AND st = {5}"
    )
    .await
    .applied());
    assert_eq!(
        query(&s, "SELECT v FROM lw.t WHERE k = 1").await.rows,
        vec![vec![text("w")]]
    );

    // DELETE IF EXISTS / IF condition.
    assert!(!query(&s, "DELETE FROM lw.t WHERE k = 1 IF v = 'nope'")
        .await
        .applied());
    assert!(query(&s, "DELETE FROM lw.t WHERE k = 1 IF EXISTS")
        .await
        .applied());
    let r = query(&s, "DELETE FROM lw.t WHERE k = 1 IF EXISTS").await;
    assert_eq!((r.cols.len(), r.applied()), (1, false));

    // Static columns and clustering rows.
    assert!(query(
        &s,
        "INSERT INTO lw.c (k, c, s, v) VALUES (1, 1, 100, 'r1') IF NOT EXISTS"
    )
    .await
    .applied());
    assert!(query(&s, "UPDATE lw.c SET s = 101 WHERE k = 1 IF s = 100")
        .await
        .applied());
    assert!(query(
        &s,
        "INSERT INTO lw.c (k, c, v) VALUES (1, 2, 'r2') IF NOT EXISTS"
    )
    .await
    .applied());
    assert!(!query(
        &s,
        "UPDATE lw.c SET v = 'x' WHERE k = 1 AND c = 2 IF v = 'r1'"
    )
    .await
    .applied());

    // Prepared, with bound condition values (IN ? included).
    let p = s
        .prepare("UPDATE lw.c SET v = ? WHERE k = ? AND c = ? IF v IN ?")
        .await
        .expect("prepare");
    let r = s
        .execute_unpaged(&p, ("r2b", 1, 2, vec!["zz", "r2"]))
        .await
        .expect("execute");
    assert!(Rs::try_from(r).unwrap().applied());
    assert_eq!(
        query(&s, "SELECT v FROM lw.c WHERE k = 1 AND c = 2")
            .await
            .rows,
        vec![vec![text("r2b")]]
    );

    // Cassandra's errors.
    for (q, msg) in [
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF k = 1",
            "PRIMARY KEY column 'k' cannot have IF conditions",
        ),
        (
            "UPDATE lw.t USING TIMESTAMP 5 SET v = 'a' WHERE k = 1 IF v = 'a'",
            "Cannot provide custom timestamp for conditional updates",
        ),
        (
            "UPDATE lw.cnt SET n = n + 1 WHERE k = 1 IF n = 1",
            "Conditional updates are not supported on counter tables",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF st[0] = 1",
            "Invalid element access syntax for set column st",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF v[0] = 'a'",
            "Invalid element access syntax for non-collection column v",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF a.nope = 1",
            "Unknown field nope for column a",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF v CONTAINS 'a'",
            "Cannot use CONTAINS on non-collection column v",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF l CONTAINS KEY 'a'",
            "Cannot use CONTAINS KEY on non-map column l",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k = 1 IF n > null",
            "Invalid comparison with null for operator \">\"",
        ),
        (
            "UPDATE lw.t SET v = 'a' WHERE k IN (1, 2) IF v = 'a'",
            "IN on the partition key is not supported with conditional updates",
        ),
        (
            "DELETE FROM lw.c WHERE k = 1 IF v = 'a'",
            "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF conditions, but column 'c' is not restricted",
        ),
    ] {
        let m = invalid(&s, q).await;
        assert!(m.contains(msg), "{q}: {m}");
    }
    let mut st = Statement::new("UPDATE lw.t SET v = 'a' WHERE k = 1 IF v = 'a'");
    st.set_consistency(Consistency::Serial);
    let e = s.query_unpaged(st, &[]).await.expect_err("SERIAL commit");
    assert!(
        format!("{e}").contains("SERIAL is not supported as conditional update commit consistency"),
        "{e}"
    );
    // The node keeps serving.
    assert!(query(&s, "INSERT INTO lw.t (k) VALUES (9) IF NOT EXISTS")
        .await
        .applied());
    // A partition deletion conditioned on a static column.
    assert!(!query(&s, "DELETE FROM lw.c WHERE k = 1 IF s = 5")
        .await
        .applied());
    assert!(query(&s, "DELETE FROM lw.c WHERE k = 1 IF s = 101")
        .await
        .applied());
    assert!(query(&s, "SELECT * FROM lw.c WHERE k = 1")
        .await
        .rows
        .is_empty());
}

#[tokio::test]
async fn lwt_conditional_batches() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;
    query(&s, "INSERT INTO lw.c (k, c, s, v) VALUES (1, 1, 7, 'a')").await;
    query(&s, "INSERT INTO lw.c (k, c, v) VALUES (1, 2, 'b')").await;

    // Conditions on two rows of the partition, all applied together.
    let r = query(
        &s,
        "BEGIN BATCH UPDATE lw.c SET v = 'a2' WHERE k = 1 AND c = 1 IF v = 'a'; \
         UPDATE lw.c SET v = 'b2' WHERE k = 1 AND c = 2 IF v = 'b'; \
         INSERT INTO lw.c (k, c, v) VALUES (1, 3, 'c') APPLY BATCH",
    )
    .await;
    assert_eq!(r.cols, ["[applied]"]);
    assert!(r.applied());
    let r = query(&s, "SELECT c, v FROM lw.c WHERE k = 1").await;
    assert_eq!(
        r.rows,
        vec![
            vec![int(1), text("a2")],
            vec![int(2), text("b2")],
            vec![int(3), text("c")]
        ]
    );

    // One failing condition: nothing applies; the rows come back with their keys.
    let r = query(
        &s,
        "BEGIN BATCH UPDATE lw.c SET v = 'a3' WHERE k = 1 AND c = 1 IF v = 'a2'; \
         UPDATE lw.c SET v = 'b3' WHERE k = 1 AND c = 2 IF v = 'wrong' APPLY BATCH",
    )
    .await;
    assert!(!r.applied());
    assert_eq!(r.cols, ["[applied]", "k", "c", "v"]);
    assert_eq!(
        r.rows,
        vec![
            vec![FALSE, int(1), int(1), text("a2")],
            vec![FALSE, int(1), int(2), text("b2")]
        ]
    );
    let r = query(&s, "SELECT v FROM lw.c WHERE k = 1 AND c = 1").await;
    assert_eq!(r.rows, vec![vec![text("a2")]]);

    // IF NOT EXISTS in a batch, through the BATCH message with bound values.
    let mut b = Batch::new(BatchType::Logged);
    b.append_statement("INSERT INTO lw.c (k, c, v) VALUES (?, ?, ?) IF NOT EXISTS");
    b.append_statement("UPDATE lw.c SET s = ? WHERE k = ?");
    let r = s.batch(&b, ((1, 9, "n"), (8, 1))).await.expect("batch");
    assert!(Rs::try_from(r).unwrap().applied());
    let r = s.batch(&b, ((1, 9, "m"), (9, 1))).await.expect("batch");
    let r = Rs::try_from(r).unwrap();
    assert!(!r.applied());
    assert_eq!(r.cols, ["[applied]", "k", "c", "s", "v"]);
    assert_eq!(r.rows, vec![vec![FALSE, int(1), int(9), int(8), text("n")]]);

    for (q, msg) in [
        (
            "BEGIN BATCH UPDATE lw.c SET v = 'x' WHERE k = 1 AND c = 1 IF v = 'a2'; \
             UPDATE lw.c SET v = 'x' WHERE k = 2 AND c = 1 APPLY BATCH",
            "Batch with conditions cannot span multiple partitions",
        ),
        (
            "BEGIN BATCH UPDATE lw.c SET v = 'x' WHERE k = 1 AND c = 1 IF v = 'a2'; \
             UPDATE lw.t SET v = 'x' WHERE k = 1 APPLY BATCH",
            "Batch with conditions cannot span multiple tables",
        ),
        (
            "BEGIN BATCH USING TIMESTAMP 10 UPDATE lw.c SET v = 'x' WHERE k = 1 AND c = 1 IF v = 'a2' APPLY BATCH",
            "Cannot provide custom timestamp for conditional BATCH",
        ),
        (
            "BEGIN BATCH INSERT INTO lw.c (k, c, v) VALUES (1, 1, 'x') IF NOT EXISTS; \
             UPDATE lw.c SET v = 'x' WHERE k = 1 AND c = 1 IF v = 'a2' APPLY BATCH",
            "Cannot mix IF conditions and IF NOT EXISTS for the same row",
        ),
    ] {
        let m = invalid(&s, q).await;
        assert!(m.contains(msg), "{q}: {m}");
    }
}

/// Many compare-and-set increments of one counter-like cell from several connections:
/// each `[applied] = true` is exactly one increment, so the final value equals their
/// number. A plain read-modify-write would lose updates here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lwt_concurrent_compare_and_set_loses_no_update() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;
    query(&s, "INSERT INTO lw.t (k, n) VALUES (5, 0)").await;

    const CLIENTS: usize = 4;
    const ATTEMPTS: usize = 15;
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let s = connect(&node).await;
        tasks.push(tokio::spawn(async move {
            let read = s
                .prepare("SELECT n FROM lw.t WHERE k = 5")
                .await
                .expect("prepare");
            let cas = s
                .prepare("UPDATE lw.t SET n = ? WHERE k = 5 IF n = ?")
                .await
                .expect("prepare");
            let mut applied = 0usize;
            for _ in 0..ATTEMPTS {
                let r = s.execute_unpaged(&read, &[]).await.expect("read");
                let (n,) = r
                    .into_rows_result()
                    .expect("rows")
                    .single_row::<(i32,)>()
                    .expect("one row");
                match s.execute_unpaged(&cas, (n + 1, n)).await {
                    Ok(r) => applied += usize::from(Rs::try_from(r).unwrap().applied()),
                    // On one node a CAS timeout means no quorum accepted: not applied.
                    Err(ExecutionError::LastAttemptError(RequestAttemptError::DbError(
                        DbError::WriteTimeout { .. },
                        _,
                    ))) => {}
                    Err(e) => panic!("cas: {e}"),
                }
            }
            applied
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    let r = query(&s, "SELECT n FROM lw.t WHERE k = 5").await;
    assert_eq!(r.rows, vec![vec![int(total as i32)]]);
    assert!(total > 0, "no compare-and-set ever applied");
}

#[tokio::test]
async fn lwt_serial_reads_and_state_after_restart() {
    let mut node = NodeProc::start();
    let s = connect(&node).await;
    schema(&s).await;
    assert!(
        query(&s, "INSERT INTO lw.t (k, v) VALUES (3, 'a') IF NOT EXISTS")
            .await
            .applied()
    );

    let mut st = Statement::new("SELECT v FROM lw.t WHERE k = 3");
    st.set_consistency(Consistency::Serial);
    let r = Rs::try_from(s.query_unpaged(st.clone(), &[]).await.expect("serial read")).unwrap();
    assert_eq!(r.rows, vec![vec![text("a")]]);
    st.set_consistency(Consistency::LocalSerial);
    let r = Rs::try_from(s.query_unpaged(st, &[]).await.expect("local serial read")).unwrap();
    assert_eq!(r.rows, vec![vec![text("a")]]);

    let mut many = Statement::new("SELECT v FROM lw.t WHERE k IN (3, 4)");
    many.set_consistency(Consistency::Serial);
    let e = s
        .query_unpaged(many, &[])
        .await
        .expect_err("two partitions");
    assert!(
        format!("{e}").contains(
            "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time"
        ),
        "{e}"
    );
    drop(s);

    // The data and the Paxos state come back after a restart; LWTs carry on.
    // SIGKILL: what was acknowledged comes back from the commit log.
    node.kill();
    node.restart();
    let s = connect(&node).await;
    assert!(
        !query(&s, "INSERT INTO lw.t (k, v) VALUES (3, 'b') IF NOT EXISTS")
            .await
            .applied()
    );
    assert!(query(&s, "UPDATE lw.t SET v = 'c' WHERE k = 3 IF v = 'a'")
        .await
        .applied());
    assert_eq!(
        query(&s, "SELECT v FROM lw.t WHERE k = 3").await.rows,
        vec![vec![text("c")]]
    );
}
