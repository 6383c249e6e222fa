//! End-to-end tests of statement execution: a QueryProcessor on a temporary directory,
//! statements in, results out (no sockets).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use cql::frame::ProtocolVersion;
use cql::request::{
    Batch, BatchQuery, BatchStatement, BatchType, Execute, Prepare, Query, QueryParameters, Values,
};
use cql::response::ResultBody;
use cql::wire::{Consistency, Value};

use crate::error::RequestError;
use crate::query::{ClientState, NodeIdentity, QueryProcessor};

fn identity() -> NodeIdentity {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    NodeIdentity {
        cluster_name: "Test Cluster".into(),
        host_id: uuid::Uuid::new_v4(),
        tokens: vec![0],
        listen_address: ip,
        broadcast_address: ip,
        rpc_address: ip,
        native_port: 9042,
        storage_port: 7000,
        data_center: "datacenter1".into(),
        rack: "rack1".into(),
        release_version: "5.0.1".into(),
        partitioner: "org.apache.cassandra.dht.Murmur3Partitioner".into(),
    }
}

struct Env {
    _dir: tempfile::TempDir,
    qp: Arc<QueryProcessor>,
    st: ClientState,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let qp =
        QueryProcessor::open(identity(), storage::Config::for_tests(dir.path())).expect("open");
    let st = ClientState {
        keyspace: None,
        version: ProtocolVersion::V4,
        client: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5555),
        driver_name: None,
        driver_version: None,
    };
    Env { _dir: dir, qp, st }
}

impl Env {
    async fn q(&mut self, text: &str) -> Result<ResultBody, RequestError> {
        self.qp
            .query(
                &mut self.st,
                Query {
                    query: text.into(),
                    params: QueryParameters::default(),
                },
            )
            .await
    }

    async fn ok(&mut self, text: &str) -> ResultBody {
        match self.q(text).await {
            Ok(r) => r,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    async fn err(&mut self, text: &str) -> String {
        match self.q(text).await {
            Ok(r) => panic!("{text}: expected an error, got {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    async fn rows(&mut self, text: &str) -> Vec<Vec<Option<Bytes>>> {
        rows_of(self.ok(text).await)
    }

    async fn ints(&mut self, text: &str) -> Vec<Vec<Option<i64>>> {
        self.rows(text)
            .await
            .into_iter()
            .map(|r| r.into_iter().map(|c| c.map(|b| num(&b))).collect())
            .collect()
    }

    async fn setup(&mut self) {
        self.ok("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").await;
        self.ok("USE ks").await;
    }
}

fn rows_of(r: ResultBody) -> Vec<Vec<Option<Bytes>>> {
    match r {
        ResultBody::Rows(rows) => rows.rows,
        other => panic!("expected rows, got {other:?}"),
    }
}

/// Decodes a big-endian int/bigint/smallint cell.
fn num(b: &[u8]) -> i64 {
    match b.len() {
        8 => i64::from_be_bytes(b.try_into().unwrap()),
        4 => i64::from(i32::from_be_bytes(b.try_into().unwrap())),
        2 => i64::from(i16::from_be_bytes(b.try_into().unwrap())),
        n => panic!("not a number of {n} bytes"),
    }
}

fn int(v: i32) -> Value {
    Value::Bytes(Bytes::copy_from_slice(&v.to_be_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_then_select_by_key_and_slices() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        .await;
    for c in 0..5 {
        e.ok(&format!(
            "INSERT INTO t (k, c, v) VALUES (1, {c}, {})",
            c * 10
        ))
        .await;
    }
    e.ok("INSERT INTO t (k, c, v) VALUES (2, 0, 100)").await;
    assert_eq!(
        e.ints("SELECT c, v FROM t WHERE k = 1 AND c = 3").await,
        vec![vec![Some(3), Some(30)]]
    );
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k = 1 AND c > 1 AND c <= 3")
            .await,
        vec![vec![Some(2)], vec![Some(3)]]
    );
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k = 1 ORDER BY c DESC LIMIT 2")
            .await,
        vec![vec![Some(4)], vec![Some(3)]]
    );
    assert_eq!(
        e.ints("SELECT c FROM t WHERE k = 1 AND c IN (4, 0, 2)")
            .await,
        vec![vec![Some(0)], vec![Some(2)], vec![Some(4)]]
    );
    assert_eq!(
        e.ints("SELECT k, c FROM t WHERE k IN (2, 1) AND c = 0")
            .await,
        vec![vec![Some(1), Some(0)], vec![Some(2), Some(0)]]
    );
    assert_eq!(e.rows("SELECT * FROM t").await.len(), 6);
    assert_eq!(
        e.ints("SELECT count(*) FROM t WHERE k = 1").await,
        vec![vec![Some(5)]]
    );
    assert_eq!(
        e.ints("SELECT max(v), min(v), sum(v) FROM t WHERE k = 1")
            .await,
        vec![vec![Some(40), Some(0), Some(100)]]
    );
    assert_eq!(e.ints("SELECT DISTINCT k FROM t").await.len(), 2);
}

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
async fn paging_resumes_exactly_for_partitions_and_scans() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))")
        .await;
    for k in 0..4 {
        for c in 0..5 {
            e.ok(&format!("INSERT INTO t (k, c) VALUES ({k}, {c})"))
                .await;
        }
    }
    for (text, expected) in [
        ("SELECT k, c FROM t WHERE k = 2", 5usize),
        ("SELECT k, c FROM t WHERE k IN (1, 2, 3)", 15),
        ("SELECT k, c FROM t", 20),
        ("SELECT k, c FROM t LIMIT 7", 7),
    ] {
        let mut all = Vec::new();
        let mut state: Option<Bytes> = None;
        let mut pages = 0;
        loop {
            let params = QueryParameters {
                page_size: Some(3),
                paging_state: state.clone(),
                ..Default::default()
            };
            let r =
                e.qp.query(
                    &mut e.st,
                    Query {
                        query: text.into(),
                        params,
                    },
                )
                .await
                .unwrap();
            let ResultBody::Rows(rows) = r else {
                panic!("rows")
            };
            assert!(rows.rows.len() <= 3);
            all.extend(rows.rows);
            pages += 1;
            state = rows.metadata.paging_state;
            if state.is_none() || pages > 20 {
                break;
            }
        }
        assert_eq!(all.len(), expected, "{text}");
        let mut dedup = all.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), expected, "{text}: duplicates across pages");
    }
    // A paging state of another query is refused, not misapplied.
    let params = QueryParameters {
        page_size: Some(3),
        ..Default::default()
    };
    let r =
        e.qp.query(
            &mut e.st,
            Query {
                query: "SELECT * FROM t".into(),
                params,
            },
        )
        .await
        .unwrap();
    let ResultBody::Rows(rows) = r else {
        panic!("rows")
    };
    let params = QueryParameters {
        page_size: Some(3),
        paging_state: rows.metadata.paging_state,
        ..Default::default()
    };
    assert!(e
        .qp
        .query(
            &mut e.st,
            Query {
                query: "SELECT c FROM t".into(),
                params
            }
        )
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_report_bind_metadata_and_execute() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))")
        .await;
    let r =
        e.qp.prepare(
            &mut e.st,
            Prepare {
                query: "INSERT INTO t (v, b, a, c) VALUES (?, ?, ?, ?) USING TTL ?".into(),
                keyspace: None,
            },
        )
        .await
        .unwrap();
    let ResultBody::Prepared(p) = r else {
        panic!("prepared")
    };
    let names: Vec<&str> = p.metadata.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["v", "b", "a", "c", "[ttl]"]);
    assert_eq!(p.metadata.pk_indexes, vec![2, 1]);
    let params = QueryParameters {
        values: Values::Positional(vec![int(9), int(2), int(1), int(3), int(0)]),
        ..Default::default()
    };
    e.qp.execute(
        &mut e.st,
        Execute {
            id: p.id.clone(),
            result_metadata_id: None,
            params,
        },
    )
    .await
    .unwrap();

    let r =
        e.qp.prepare(
            &mut e.st,
            Prepare {
                query: "SELECT v FROM t WHERE a = ? AND b = :bb AND c IN ? LIMIT ?".into(),
                keyspace: None,
            },
        )
        .await
        .unwrap();
    let ResultBody::Prepared(sel) = r else {
        panic!("prepared")
    };
    let names: Vec<&str> = sel
        .metadata
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, vec!["a", "bb", "in(c)", "[limit]"]);
    assert_eq!(sel.result_metadata.columns.len(), 1);
    let list = Value::Bytes(Bytes::from_static(b"\0\0\0\x01\0\0\0\x04\0\0\0\x03"));
    let params = QueryParameters {
        values: Values::Positional(vec![int(1), int(2), list, int(10)]),
        ..Default::default()
    };
    let r =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: sel.id.clone(),
                result_metadata_id: None,
                params,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rows_of(r),
        vec![vec![Some(Bytes::copy_from_slice(&9i32.to_be_bytes()))]]
    );

    // Wrong size, unknown id, null key.
    let params = QueryParameters {
        values: Values::Positional(vec![
            Value::Bytes(Bytes::from_static(&[0; 8])),
            int(2),
            int(1),
            int(3),
            int(0),
        ]),
        ..Default::default()
    };
    let err =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: p.id.clone(),
                result_metadata_id: None,
                params,
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Expected 4 or 0 byte int (8)"),
        "{err}"
    );
    let err =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: Bytes::from_static(b"nope"),
                result_metadata_id: None,
                params: QueryParameters::default(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_error_body().code, cql::error::ErrorCode::Unprepared);
    let params = QueryParameters {
        values: Values::Positional(vec![int(9), int(2), Value::Null, int(3), int(0)]),
        ..Default::default()
    };
    let err =
        e.qp.execute(
            &mut e.st,
            Execute {
                id: p.id.clone(),
                result_metadata_id: None,
                params,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid null value in condition for column a"
    );
    // Unset leaves the column untouched.
    let params = QueryParameters {
        values: Values::Positional(vec![Value::Unset, int(2), int(1), int(3), int(0)]),
        ..Default::default()
    };
    e.qp.execute(
        &mut e.st,
        Execute {
            id: p.id.clone(),
            result_metadata_id: None,
            params,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        e.ints("SELECT v FROM t WHERE a = 1 AND b = 2").await,
        vec![vec![Some(9)]]
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

fn text(b: &Option<Bytes>) -> String {
    String::from_utf8(b.as_ref().expect("a value").to_vec()).expect("utf8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_tables_answer_driver_queries() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int PRIMARY KEY, v int)").await;
    let r = e
        .rows("SELECT key, cluster_name, release_version FROM system.local WHERE key='local'")
        .await;
    assert_eq!(r.len(), 1);
    assert_eq!(text(&r[0][0]), "local");
    assert_eq!(text(&r[0][1]), "Test Cluster");
    assert_eq!(text(&r[0][2]), "5.0.1");
    assert!(e.rows("SELECT * FROM system.peers").await.is_empty());
    assert!(e
        .rows("SELECT peer, data_center, host_id FROM system.peers_v2")
        .await
        .is_empty());
    let r = e
        .rows(
            "SELECT keyspace_name, table_name FROM system_schema.tables WHERE keyspace_name = 'ks'",
        )
        .await;
    assert_eq!(r.len(), 1);
    assert_eq!(text(&r[0][1]), "t");
    let r = e.rows("SELECT column_name, kind FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'").await;
    assert_eq!(r.len(), 2);
    assert!(!e
        .rows("SELECT * FROM system_schema.keyspaces")
        .await
        .is_empty());
    assert!(!e
        .rows("SELECT * FROM system_virtual_schema.tables")
        .await
        .is_empty());
    assert_eq!(
        e.err("SELECT * FROM system_schema.scylla_tables").await,
        "unconfigured table scylla_tables"
    );
    let r = e
        .ints("SELECT count(*) FROM system_schema.tables WHERE keyspace_name = 'ks'")
        .await;
    assert_eq!(r, vec![vec![Some(1)]]);

    // The Rust driver prepares its metadata queries, binds `IN ?` and pages.
    let r = e
        .qp
        .prepare(&mut e.st, Prepare { query: "SELECT keyspace_name, table_name FROM system_schema.columns WHERE keyspace_name IN ?".into(), keyspace: None })
        .await
        .unwrap();
    let ResultBody::Prepared(p) = r else {
        panic!("prepared")
    };
    assert_eq!(p.result_metadata.columns.len(), 2);
    let list = Value::Bytes(Bytes::from_static(
        b"\0\0\0\x02\0\0\0\x02ks\0\0\0\x06system",
    ));
    let mut total = 0;
    let mut state = None;
    for _ in 0..100 {
        let params = QueryParameters {
            values: Values::Positional(vec![list.clone()]),
            page_size: Some(5),
            paging_state: state.take(),
            ..Default::default()
        };
        let r =
            e.qp.execute(
                &mut e.st,
                Execute {
                    id: p.id.clone(),
                    result_metadata_id: None,
                    params,
                },
            )
            .await
            .unwrap();
        let ResultBody::Rows(rows) = r else {
            panic!("rows")
        };
        assert!(rows.rows.len() <= 5);
        total += rows.rows.len();
        state = rows.metadata.paging_state;
        if state.is_none() {
            break;
        }
    }
    let unpaged = e.rows("SELECT keyspace_name FROM system_schema.columns WHERE keyspace_name IN ('ks', 'system')").await.len();
    assert_eq!(total, unpaged);
    assert!(total > 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_returns_schema_change_and_publishes_the_event() {
    let mut e = env();
    let mut events = e.qp.subscribe();
    let r = e.ok("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").await;
    assert!(matches!(r, ResultBody::SchemaChange(_)));
    assert!(matches!(
        events.try_recv(),
        Ok(cql::response::Event::SchemaChange(_))
    ));
    assert!(matches!(e.ok("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").await, ResultBody::Void));
    assert!(matches!(e.ok("USE ks").await, ResultBody::SetKeyspace(ks) if ks == "ks"));
    e.ok("CREATE TABLE t (k int PRIMARY KEY, v int)").await;
    e.ok("INSERT INTO t (k, v) VALUES (1, 1)").await;
    e.ok("TRUNCATE t").await;
    assert!(e.rows("SELECT * FROM t").await.is_empty());
    let r = e.rows("DESCRIBE TABLE t").await;
    assert_eq!(r.len(), 1);
    assert!(text(&r[0][3]).starts_with("CREATE TABLE ks.t"));
    assert!(e.err("CREATE ROLE alice").await.contains("not supported"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let st = || ClientState {
        keyspace: Some("ks".into()),
        version: ProtocolVersion::V4,
        client: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1),
        driver_name: None,
        driver_version: None,
    };
    let q = |text: &str| Query {
        query: text.into(),
        params: QueryParameters::default(),
    };
    {
        let qp = QueryProcessor::open(identity(), storage::Config::for_tests(dir.path())).unwrap();
        let mut s = st();
        qp.query(&mut s, q("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")).await.unwrap();
        qp.query(&mut s, q("CREATE TABLE t (k int PRIMARY KEY, v text)"))
            .await
            .unwrap();
        qp.query(&mut s, q("INSERT INTO t (k, v) VALUES (1, 'one')"))
            .await
            .unwrap();
        qp.shutdown();
    }
    let qp = QueryProcessor::open(identity(), storage::Config::for_tests(dir.path())).unwrap();
    let r = rows_of(
        qp.query(&mut st(), q("SELECT v FROM t WHERE k = 1"))
            .await
            .unwrap(),
    );
    assert_eq!(text(&r[0][0]), "one");
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
async fn group_by_partition_and_clustering_prefix() {
    let mut e = env();
    e.setup().await;
    e.ok("CREATE TABLE t (k int, c1 int, c2 int, v int, PRIMARY KEY (k, c1, c2))")
        .await;
    for k in 0..3 {
        for c1 in 0..2 {
            for c2 in 0..3 {
                e.ok(&format!(
                    "INSERT INTO t (k, c1, c2, v) VALUES ({k}, {c1}, {c2}, {})",
                    c2 + 1
                ))
                .await;
            }
        }
    }
    let mut r = e.ints("SELECT k, count(*), sum(v) FROM t GROUP BY k").await;
    r.sort();
    assert_eq!(
        r,
        (0..3)
            .map(|k| vec![Some(k), Some(6), Some(12)])
            .collect::<Vec<_>>()
    );
    assert_eq!(
        e.ints("SELECT c1, max(v) FROM t WHERE k = 1 GROUP BY k, c1")
            .await,
        vec![vec![Some(0), Some(3)], vec![Some(1), Some(3)]]
    );
    assert_eq!(
        e.ints("SELECT k, count(*) FROM t WHERE k = 1 GROUP BY k, c1 LIMIT 1")
            .await,
        vec![vec![Some(1), Some(3)]]
    );
    assert!(e
        .rows("SELECT k, count(*) FROM t WHERE k = 9 GROUP BY k")
        .await
        .is_empty());
    assert_eq!(
        e.err("SELECT count(*) FROM t GROUP BY c1").await,
        "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
    );
    assert_eq!(
        e.err("SELECT count(*) FROM t GROUP BY v").await,
        "Group by is currently only supported on the columns of the PRIMARY KEY, got v"
    );
}
