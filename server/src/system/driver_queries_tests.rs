//! The exact statements the Python driver, cqlsh and the Rust `scylla` driver send at
//! connect and after DDL (system-tables.md sections 8-10), run end to end through the
//! QueryProcessor over the system tables this module builds.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use cql::error::ErrorCode;
use cql::frame::ProtocolVersion;
use cql::request::{Query, QueryParameters};
use cql::response::ResultBody;

use super::tests::identity;
use crate::query::{ClientState, QueryProcessor};

async fn run(qp: &QueryProcessor, st: &mut ClientState, text: &str) -> ResultBody {
    let q = Query {
        query: text.into(),
        params: QueryParameters::default(),
    };
    match qp.query(st, q).await {
        Ok(r) => r,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn row_count(r: &ResultBody) -> usize {
    match r {
        ResultBody::Rows(rows) => rows.rows.len(),
        other => panic!("not rows: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_metadata_queries_succeed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let qp =
        QueryProcessor::open(identity(), storage::Config::for_tests(dir.path())).expect("open");
    let mut st = ClientState {
        keyspace: None,
        version: ProtocolVersion::V4,
        client: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5555),
        driver_name: None,
        driver_version: None,
    };
    for ddl in [
        "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        "CREATE TYPE ks.addr (street text, zip int)",
        "CREATE TABLE ks.t (k int, c text, v frozen<addr>, s int static, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)",
        "CREATE INDEX t_s ON ks.t (s)",
    ] {
        run(&qp, &mut st, ddl).await;
    }
    let nonempty = [
        "SELECT * FROM system.local WHERE key='local'",
        "select * from system.local where key = 'local'",
        "SELECT host_id, cluster_name, data_center, rack, partitioner, release_version, schema_version FROM system.local WHERE key='local'",
        "SELECT schema_version FROM system.local WHERE key='local'",
        "SELECT host_id, rpc_address, data_center, rack, tokens, cluster_name FROM system.local WHERE key='local'",
        "SELECT * FROM system_schema.keyspaces",
        "SELECT * FROM system_schema.tables",
        "SELECT * FROM system_schema.columns",
        "SELECT * FROM system_schema.types",
        "SELECT * FROM system_schema.indexes",
        "SELECT * from system_virtual_schema.keyspaces",
        "SELECT * from system_virtual_schema.tables",
        "SELECT * from system_virtual_schema.columns",
        "SELECT keyspace_name, replication, durable_writes FROM system_schema.keyspaces",
        "SELECT keyspace_name, type_name, field_names, field_types FROM system_schema.types",
        "SELECT keyspace_name, table_name, column_name, kind, position, type FROM system_schema.columns",
        "SELECT keyspace_name, table_name FROM system_schema.tables",
        "SELECT * FROM system_schema.keyspaces WHERE keyspace_name = 'ks'",
        "SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'",
        "SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'",
        "SELECT * FROM system_schema.indexes WHERE keyspace_name = 'ks' AND table_name = 't'",
        "SELECT * FROM system_schema.types WHERE keyspace_name = 'ks' AND type_name = 'addr'",
    ];
    for q in nonempty {
        let r = run(&qp, &mut st, q).await;
        assert!(row_count(&r) > 0, "{q}: no rows");
    }
    let empty = [
        "SELECT * FROM system.peers_v2",
        "SELECT * FROM system.peers",
        "SELECT host_id, rpc_address, data_center, rack, tokens FROM system.peers",
        "SELECT host_id, peer, peer_port, native_address, native_port, schema_version FROM system.peers_v2",
        "SELECT * FROM system_schema.functions",
        "SELECT * FROM system_schema.aggregates",
        "SELECT * FROM system_schema.triggers",
        "SELECT * FROM system_schema.views",
        "SELECT keyspace_name, view_name, base_table_name FROM system_schema.views",
        "SELECT * FROM system_schema.views WHERE keyspace_name = 'ks' AND view_name = 't'",
        "SELECT * FROM system_schema.triggers WHERE keyspace_name = 'ks' AND table_name = 't'",
    ];
    for q in empty {
        let r = run(&qp, &mut st, q).await;
        assert_eq!(row_count(&r), 0, "{q}");
    }
    let cols = run(&qp, &mut st, "SELECT column_name, kind, position, clustering_order FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'").await;
    assert_eq!(row_count(&cols), 4);

    // The scylla driver needs Invalid (0x2200) for ScyllaDB-only tables.
    for q in [
        "SELECT keyspace_name, initial_tablets FROM system_schema.scylla_keyspaces",
        "SELECT keyspace_name, table_name, partitioner FROM system_schema.scylla_tables",
    ] {
        let e = qp
            .query(
                &mut st,
                Query {
                    query: q.into(),
                    params: QueryParameters::default(),
                },
            )
            .await
            .expect_err(q);
        assert_eq!(e.to_error_body().code, ErrorCode::Invalid, "{q}: {e}");
    }

    // cqlsh's DESCRIBE.
    for q in [
        "DESCRIBE KEYSPACES",
        "DESCRIBE KEYSPACE ks",
        "DESC TABLE ks.t",
        "DESCRIBE CLUSTER",
        "DESCRIBE FULL SCHEMA",
    ] {
        let r = run(&qp, &mut st, q).await;
        assert!(row_count(&r) > 0, "{q}: no rows");
    }
    qp.shutdown();
}
