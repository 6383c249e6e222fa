//! System tables, DDL, TRUNCATE, DESCRIBE, restart.

use bytes::Bytes;
use cql::frame::ProtocolVersion;
use cql::request::{Execute, Prepare, Query, QueryParameters, Values};
use cql::response::ResultBody;
use cql::wire::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::*;
use crate::query::{ClientState, QueryProcessor};

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
    assert_eq!(text(&r[0][2]), "5.0.0");
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

/// cdrs-tokio reads keyspace metadata with `toJson(replication)` at connect; without it
/// the driver retries forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn to_json_of_a_map_as_cdrs_reads_keyspaces() {
    let mut e = env();
    e.setup().await;
    let r = e
        .rows("SELECT keyspace_name, toJson(replication) AS replication FROM system_schema.keyspaces WHERE keyspace_name = 'ks'")
        .await;
    assert_eq!(r.len(), 1);
    let json: serde_json::Value = serde_json::from_str(&text(&r[0][1])).expect("valid JSON");
    assert_eq!(json["class"], "org.apache.cassandra.locator.SimpleStrategy");
    assert_eq!(json["replication_factor"], "1");
    e.ok("CREATE TABLE j (k int PRIMARY KEY, v int)").await;
    e.ok("INSERT INTO j (k) VALUES (1)").await;
    let r = e
        .rows("SELECT toJson(k), toJson(v) FROM j WHERE k = 1")
        .await;
    assert_eq!(
        (text(&r[0][0]).as_str(), text(&r[0][1]).as_str()),
        ("1", "null")
    );
    assert!(e
        .err("SELECT toJson(k, v) FROM j")
        .await
        .contains("one argument"));
}
