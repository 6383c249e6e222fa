//! cdrs-tokio 9 (protocol v4, STARTUP without OPTIONS, no version negotiation) against a
//! real node: connect, DDL, inserts with values, prepared statements, selects, a
//! server error. The session builder retries forever when nothing answers, so every
//! connect is wrapped in a timeout.

use std::sync::Arc;
use std::time::Duration;

use cdrs_tokio::authenticators::NoneAuthenticatorProvider;
use cdrs_tokio::cluster::session::{Session, SessionBuilder, TcpSessionBuilder};
use cdrs_tokio::cluster::{NodeTcpConfigBuilder, TcpConnectionManager};
use cdrs_tokio::error::Error as CdrsError;
use cdrs_tokio::frame::message_error::ErrorType;
use cdrs_tokio::load_balancing::RoundRobinLoadBalancingStrategy;
use cdrs_tokio::query_values;
use cdrs_tokio::transport::TransportTcp;
use cdrs_tokio::types::rows::Row;
use cdrs_tokio::types::IntoRustByName;

use crate::harness::NodeProc;

type CdrsSession = Session<
    TransportTcp,
    TcpConnectionManager,
    RoundRobinLoadBalancingStrategy<TransportTcp, TcpConnectionManager>,
>;

async fn connect(node: &NodeProc) -> CdrsSession {
    let fut = async {
        let config = NodeTcpConfigBuilder::new()
            .with_contact_point(node.uri().into())
            .with_authenticator_provider(Arc::new(NoneAuthenticatorProvider))
            .build()
            .await
            .map_err(|e| e.to_string())?;
        TcpSessionBuilder::new(RoundRobinLoadBalancingStrategy::new(), config)
            .build()
            .await
            .map_err(|e| e.to_string())
    };
    match tokio::time::timeout(Duration::from_secs(30), fut).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => panic!("cdrs connect failed: {e}; log:\n{}", node.log()),
        Err(_) => panic!("cdrs connect timed out; log:\n{}", node.log()),
    }
}

async fn rows(session: &CdrsSession, cql: &str) -> Vec<Row> {
    session
        .query(cql)
        .await
        .unwrap_or_else(|e| panic!("{cql}: {e}"))
        .response_body()
        .expect("body")
        .into_rows()
        .expect("rows")
}

#[tokio::test]
async fn cdrs_create_insert_select_prepared() {
    let node = NodeProc::start();
    let session = connect(&node).await;
    session
        .query("CREATE KEYSPACE cd WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        .await
        .expect("create keyspace");
    session
        .query("CREATE TABLE cd.users (id int PRIMARY KEY, name text, age int)")
        .await
        .expect("create table");
    session
        .query_with_values(
            "INSERT INTO cd.users (id, name, age) VALUES (?, ?, ?)",
            query_values!(1i32, "ann", 31i32),
        )
        .await
        .expect("insert with values");
    let prepared = session
        .prepare("INSERT INTO cd.users (id, name, age) VALUES (?, ?, ?)")
        .await
        .expect("prepare");
    for id in 2..=20i32 {
        session
            .exec_with_values(&prepared, query_values!(id, format!("user{id}"), 20 + id))
            .await
            .expect("execute prepared");
    }
    let all = rows(&session, "SELECT id, name, age FROM cd.users").await;
    assert_eq!(all.len(), 20);
    let one = rows(&session, "SELECT name, age FROM cd.users WHERE id = 1").await;
    assert_eq!(one.len(), 1);
    let name: String = one[0].get_r_by_name("name").unwrap();
    let age: i32 = one[0].get_r_by_name("age").unwrap();
    assert_eq!((name.as_str(), age), ("ann", 31));
    let local = rows(
        &session,
        "SELECT cluster_name FROM system.local WHERE key = 'local'",
    )
    .await;
    let cluster: String = local[0].get_r_by_name("cluster_name").unwrap();
    assert_eq!(cluster, "Test Cluster");
}

#[tokio::test]
async fn cdrs_errors_are_typed_and_session_survives() {
    let node = NodeProc::start();
    let session = connect(&node).await;
    match session.query("SELECT * FROM nowhere.nothing").await {
        Err(CdrsError::Server { body, .. }) => {
            assert!(matches!(body.ty, ErrorType::Invalid), "{body:?}")
        }
        other => panic!("expected an Invalid server error, got {other:?}"),
    }
    match session.query("THIS IS NOT CQL").await {
        Err(CdrsError::Server { body, .. }) => {
            assert!(matches!(body.ty, ErrorType::Syntax), "{body:?}")
        }
        other => panic!("expected a Syntax server error, got {other:?}"),
    }
    let local = rows(&session, "SELECT release_version FROM system.local").await;
    assert_eq!(local.len(), 1);
}
