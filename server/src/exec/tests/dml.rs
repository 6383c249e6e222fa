//! INSERT, UPDATE, DELETE, batches, TTLs, collections, counters, JSON, messages.

use cql::request::{Batch, BatchQuery, BatchStatement, BatchType, Prepare, Query, QueryParameters};
use cql::response::ResultBody;
use cql::wire::Consistency;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_messages_match_cassandra() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        .await;
    e.ok("CREATE TABLE cnt (k int PRIMARY KEY, n counter)")
        .await;
    assert_eq!(
        e.err("INSERT INTO t (c, v) VALUES (1, 1)").await,
        "Some partition key parts are missing: k"
    );
    assert_eq!(
        e.err("INSERT INTO t (k, v) VALUES (1, 1)").await,
        "Some clustering keys are missing: c"
    );
    assert_eq!(
        e.err("INSERT INTO t (k, c, x) VALUES (1, 1, 1)").await,
        "Undefined column name x"
    );
    assert_eq!(
        e.err("INSERT INTO t (k, c) VALUES ('foo', 1)").await,
        "Invalid STRING constant (foo) for \"k\" of type int"
    );
    assert_eq!(
        e.err("UPDATE cnt SET n = 5 WHERE k = 1").await,
        "Cannot set the value of counter column n (counters can only be incremented/decremented, not set)"
    );
    assert!(e
        .err("SELECT * FROM t WHERE v = 1")
        .await
        .starts_with("Cannot execute this query as it might involve data filtering"));
    assert_eq!(
        e.err("SELECT * FROM nosuch").await,
        "unconfigured table nosuch"
    );
    assert_eq!(
        e.err("USE nosuch").await,
        "Keyspace 'nosuch' does not exist"
    );
    assert!(e
        .err("SELECT nosuchfn(v) FROM t")
        .await
        .starts_with("Unknown function"));
    let syntax = e.q("SELEC * FROM t").await.unwrap_err();
    assert_eq!(syntax.to_error_body().code, cql::error::ErrorCode::Syntax);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_of_every_kind() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c1 int, c2 int, v int, s int static, PRIMARY KEY (k, c1, c2))")
        .await;
    for c1 in 0..3 {
        for c2 in 0..3 {
            e.ok(&format!(
                "INSERT INTO t (k, c1, c2, v) VALUES (1, {c1}, {c2}, 1)"
            ))
            .await;
        }
    }
    e.ok("UPDATE t SET s = 7 WHERE k = 1").await;
    assert_eq!(
        e.ints("SELECT s FROM t WHERE k = 1 LIMIT 1").await,
        vec![vec![Some(7)]]
    );
    e.ok("DELETE v FROM t WHERE k = 1 AND c1 = 0 AND c2 = 0")
        .await;
    assert_eq!(
        e.ints("SELECT v FROM t WHERE k = 1 AND c1 = 0 AND c2 = 0")
            .await,
        vec![vec![None]]
    );
    e.ok("DELETE FROM t WHERE k = 1 AND c1 = 0 AND c2 = 1")
        .await;
    assert_eq!(
        e.rows("SELECT * FROM t WHERE k = 1 AND c1 = 0").await.len(),
        2
    );
    e.ok("DELETE FROM t WHERE k = 1 AND c1 = 1").await;
    assert_eq!(e.rows("SELECT * FROM t WHERE k = 1").await.len(), 5);
    e.ok("DELETE FROM t WHERE k = 1 AND c1 = 2 AND c2 > 0")
        .await;
    assert_eq!(e.rows("SELECT * FROM t WHERE k = 1").await.len(), 3);
    e.ok("DELETE FROM t WHERE k = 1").await;
    assert!(e.rows("SELECT * FROM t WHERE k = 1").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_and_timestamps() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, v int)").await;
    e.ok("INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP 1000 AND TTL 100")
        .await;
    let r = e
        .ints("SELECT writetime(v), ttl(v) FROM t WHERE k = 1")
        .await;
    assert_eq!(r[0][0], Some(1000));
    assert!(matches!(r[0][1], Some(t) if t > 90 && t <= 100));
    // An older write loses against the newer one.
    e.ok("INSERT INTO t (k, v) VALUES (1, 2) USING TIMESTAMP 999")
        .await;
    assert_eq!(
        e.ints("SELECT v FROM t WHERE k = 1").await,
        vec![vec![Some(1)]]
    );
    e.ok("DELETE FROM t USING TIMESTAMP 2000 WHERE k = 1").await;
    assert!(e.rows("SELECT * FROM t WHERE k = 1").await.is_empty());
    assert_eq!(
        e.err("INSERT INTO t (k, v) VALUES (2, 2) USING TTL -1")
            .await,
        "A TTL must be greater or equal to 0, but was -1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_and_counters() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, s set<int>, l list<int>, m map<int, int>)")
        .await;
    e.ok("INSERT INTO t (k, s, l, m) VALUES (1, {3, 1}, [1, 2], {1: 10})")
        .await;
    e.ok("UPDATE t SET s = s + {2}, l = l + [3], m[2] = 20 WHERE k = 1")
        .await;
    e.ok("UPDATE t SET l = [0] + l, s = s - {1} WHERE k = 1")
        .await;
    let r = e.rows("SELECT s, l, m FROM t WHERE k = 1").await;
    let set = crate::exec::modify::split_collection(
        r[0][0].as_ref().unwrap(),
        &cql::types::CqlType::Set(Box::new(cql::types::CqlType::Int)),
    )
    .unwrap();
    assert_eq!(set.iter().map(|b| num(b)).collect::<Vec<_>>(), vec![2, 3]);
    let list = crate::exec::modify::split_collection(
        r[0][1].as_ref().unwrap(),
        &cql::types::CqlType::List(Box::new(cql::types::CqlType::Int)),
    )
    .unwrap();
    assert_eq!(
        list.iter().map(|b| num(b)).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    let map = crate::exec::modify::split_collection(
        r[0][2].as_ref().unwrap(),
        &cql::types::CqlType::Map(
            Box::new(cql::types::CqlType::Int),
            Box::new(cql::types::CqlType::Int),
        ),
    )
    .unwrap();
    assert_eq!(
        map.iter().map(|b| num(b)).collect::<Vec<_>>(),
        vec![1, 10, 2, 20]
    );

    e.ok("CREATE TABLE c (k int PRIMARY KEY, n counter)").await;
    e.ok("UPDATE c SET n = n + 5 WHERE k = 1").await;
    e.ok("UPDATE c SET n = n - 2 WHERE k = 1").await;
    assert_eq!(
        e.ints("SELECT n FROM c WHERE k = 1").await,
        vec![vec![Some(3)]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_apply_together_and_check_counter_rules() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        .await;
    e.ok("CREATE TABLE cnt (k int PRIMARY KEY, n counter)")
        .await;
    e.ok("BEGIN BATCH INSERT INTO t (k, c, v) VALUES (1, 1, 1); INSERT INTO t (k, c, v) VALUES (1, 2, 2); UPDATE t SET v = 3 WHERE k = 2 AND c = 1; APPLY BATCH").await;
    assert_eq!(e.rows("SELECT * FROM t").await.len(), 3);
    assert_eq!(
        e.err("BEGIN COUNTER BATCH INSERT INTO t (k, c, v) VALUES (1, 1, 1); APPLY BATCH")
            .await,
        "Cannot include non-counter statement in a counter batch"
    );
    assert_eq!(
        e.err("BEGIN BATCH UPDATE cnt SET n = n + 1 WHERE k = 1; APPLY BATCH")
            .await,
        "Cannot include a counter statement in a logged batch"
    );
    let r =
        e.qp.prepare(
            &mut e.st,
            Prepare {
                query: "INSERT INTO t (k, c, v) VALUES (?, ?, ?)".into(),
                keyspace: None,
            },
        )
        .await
        .unwrap();
    let ResultBody::Prepared(p) = r else {
        panic!("prepared")
    };
    let b = Batch {
        kind: BatchType::Unlogged,
        statements: vec![
            BatchStatement {
                query: BatchQuery::Prepared(p.id.clone()),
                values: vec![int(5), int(1), int(1)],
                names: None,
            },
            BatchStatement {
                query: BatchQuery::Query("DELETE FROM t WHERE k = ? AND c = ?".into()),
                values: vec![int(1), int(1)],
                names: None,
            },
        ],
        consistency: Consistency::One,
        serial_consistency: None,
        timestamp: None,
        keyspace: None,
        now_in_seconds: None,
    };
    assert!(matches!(
        e.qp.batch(&mut e.st, b).await.unwrap(),
        ResultBody::Void
    ));
    assert_eq!(e.rows("SELECT * FROM t").await.len(), 3);
    let empty = Batch {
        kind: BatchType::Logged,
        statements: vec![],
        consistency: Consistency::One,
        serial_consistency: None,
        timestamp: None,
        keyspace: None,
        now_in_seconds: None,
    };
    assert!(matches!(
        e.qp.batch(&mut e.st, empty).await.unwrap(),
        ResultBody::Void
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistency_two_is_unavailable_on_one_node() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, v int)").await;
    let params = QueryParameters {
        consistency: Consistency::Two,
        ..Default::default()
    };
    let err =
        e.qp.query(
            &mut e.st,
            Query {
                query: "INSERT INTO t (k, v) VALUES (1, 1)".into(),
                params,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_error_body().code, cql::error::ErrorCode::Unavailable);
    let params = QueryParameters {
        consistency: Consistency::Quorum,
        ..Default::default()
    };
    e.qp.query(
        &mut e.st,
        Query {
            query: "INSERT INTO t (k, v) VALUES (1, 1)".into(),
            params,
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_json_and_select_json() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, v text, l list<int>)")
        .await;
    e.ok(r#"INSERT INTO t JSON '{"k": 1, "v": "one", "l": [1, 2]}'"#)
        .await;
    e.ok(r#"INSERT INTO t JSON '{"k": 2}'"#).await;
    let r = e.rows("SELECT JSON k, v, l FROM t WHERE k = 1").await;
    let json: serde_json::Value = serde_json::from_str(&text(&r[0][0])).unwrap();
    assert_eq!(json, serde_json::json!({"k": 1, "v": "one", "l": [1, 2]}));
    let r = e.rows("SELECT JSON * FROM t WHERE k = 2").await;
    let json: serde_json::Value = serde_json::from_str(&text(&r[0][0])).unwrap();
    assert_eq!(json["v"], serde_json::Value::Null);
    assert_eq!(
        e.err(r#"INSERT INTO t JSON '{"v": "x"}'"#).await,
        "Invalid null value in condition for column k"
    );
    assert!(e
        .err(r#"INSERT INTO t JSON '{"k": 3, "nope": 1}'"#)
        .await
        .contains("unrecognized column"));
    // DEFAULT UNSET keeps what is there.
    e.ok(r#"INSERT INTO t JSON '{"k": 1}' DEFAULT UNSET"#).await;
    let r = e.rows("SELECT v FROM t WHERE k = 1").await;
    assert_eq!(text(&r[0][0]), "one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lightweight_transactions_on_one_node() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        .await;
    let applied = |r: &Vec<Vec<Option<Bytes>>>| r[0][0].as_deref() == Some(&[1u8][..]);
    let r = e
        .rows("INSERT INTO t (k, c, v) VALUES (1, 1, 10) IF NOT EXISTS")
        .await;
    assert!(applied(&r));
    let r = e
        .rows("INSERT INTO t (k, c, v) VALUES (1, 1, 20) IF NOT EXISTS")
        .await;
    assert!(!applied(&r));
    // The existing row comes back with the [applied] = false.
    assert_eq!(r[0].len(), 4);
    assert_eq!(
        e.ints("SELECT v FROM t WHERE k = 1 AND c = 1").await,
        vec![vec![Some(10)]]
    );
    let r = e
        .rows("UPDATE t SET v = 11 WHERE k = 1 AND c = 1 IF v = 10")
        .await;
    assert!(applied(&r));
    let r = e
        .rows("UPDATE t SET v = 12 WHERE k = 1 AND c = 1 IF v = 10")
        .await;
    assert!(!applied(&r));
    assert_eq!(r[0][1].as_deref(), Some(&11i32.to_be_bytes()[..]));
    let r = e
        .rows("UPDATE t SET v = 1 WHERE k = 2 AND c = 1 IF EXISTS")
        .await;
    assert!(!applied(&r));
    assert!(e.rows("SELECT * FROM t WHERE k = 2").await.is_empty());
    let r = e
        .rows("DELETE FROM t WHERE k = 1 AND c = 1 IF EXISTS")
        .await;
    assert!(applied(&r));
    assert!(e.rows("SELECT * FROM t WHERE k = 1").await.is_empty());
    assert_eq!(
        e.err("UPDATE t SET v = 1 WHERE k IN (1, 2) AND c = 1 IF EXISTS")
            .await,
        "IN on the partition key is not supported with conditional updates"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_operations_by_index_and_value() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, l list<int>)")
        .await;
    e.ok("INSERT INTO t (k, l) VALUES (1, [10, 20, 30, 20])")
        .await;
    e.ok("UPDATE t SET l[1] = 21 WHERE k = 1").await;
    e.ok("DELETE l[0] FROM t WHERE k = 1").await;
    e.ok("UPDATE t SET l = l - [20] WHERE k = 1").await;
    let r = e.rows("SELECT l FROM t WHERE k = 1").await;
    let list = crate::exec::modify::split_collection(
        r[0][0].as_ref().unwrap(),
        &cql::types::CqlType::List(Box::new(cql::types::CqlType::Int)),
    )
    .unwrap();
    assert_eq!(
        list.iter().map(|b| num(b)).collect::<Vec<_>>(),
        vec![21, 30]
    );
    assert_eq!(
        e.err("UPDATE t SET l[5] = 1 WHERE k = 1").await,
        "List index 5 out of bound, list has size 2"
    );
}
