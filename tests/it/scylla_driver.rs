//! The Rust `scylla` driver (1.x, protocol v4 only) against a real node: connect (which
//! reads system.local/peers and system_schema through prepared, paged statements),
//! DDL, prepared inserts, paged selects, batches, error mapping and token agreement.

use std::ops::ControlFlow;

use scylla::client::session::Session;
use scylla::errors::{DbError, ExecutionError, RequestAttemptError};
use scylla::response::PagingState;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::Statement;

use crate::client::connect;
use crate::harness::NodeProc;

async fn setup(session: &Session) {
    session
        .query_unpaged(
            "CREATE KEYSPACE sd WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            &[],
        )
        .await
        .expect("create keyspace");
    session
        .query_unpaged("CREATE TABLE sd.kv (k int PRIMARY KEY, v text)", &[])
        .await
        .expect("create table");
}

fn db_error(e: &ExecutionError) -> Option<&DbError> {
    match e {
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(db, _)) => Some(db),
        _ => None,
    }
}

#[tokio::test]
async fn scylla_prepared_insert_paged_select_and_batch() {
    let node = NodeProc::start();
    let session = connect(&node).await;
    setup(&session).await;

    let insert = session
        .prepare("INSERT INTO sd.kv (k, v) VALUES (?, ?)")
        .await
        .expect("prepare insert");
    for k in 0..1000i32 {
        session
            .execute_unpaged(&insert, (k, format!("v{k}")))
            .await
            .expect("insert");
    }

    // Page through all rows, 100 at a time.
    let mut select = session
        .prepare("SELECT k, v FROM sd.kv")
        .await
        .expect("prepare select");
    select.set_page_size(100);
    let mut paging = PagingState::start();
    let mut seen = std::collections::BTreeMap::new();
    let mut pages = 0;
    loop {
        let (res, resp) = session
            .execute_single_page(&select, &[], paging)
            .await
            .expect("page");
        pages += 1;
        let rows = res.into_rows_result().expect("rows");
        for row in rows.rows::<(i32, String)>().expect("typed rows") {
            let (k, v) = row.expect("row");
            assert!(seen.insert(k, v).is_none(), "key {k} returned twice");
        }
        match resp.into_paging_control_flow() {
            ControlFlow::Break(()) => break,
            ControlFlow::Continue(next) => paging = next,
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(
        pages >= 10,
        "1000 rows at page size 100 should take 10+ pages, took {pages}"
    );
    assert_eq!(seen.get(&7).map(String::as_str), Some("v7"));

    // A logged batch of prepared and simple statements.
    let mut batch = Batch::new(BatchType::Logged);
    batch.append_statement(insert.clone());
    batch.append_statement(Statement::new("INSERT INTO sd.kv (k, v) VALUES (?, ?)"));
    session
        .batch(&batch, ((5000i32, "b1"), (5001i32, "b2")))
        .await
        .expect("batch");
    let res = session
        .query_unpaged("SELECT v FROM sd.kv WHERE k = 5001", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let (v,): (String,) = res.single_row().expect("one row");
    assert_eq!(v, "b2");
}

#[tokio::test]
async fn scylla_syntax_error_surfaces_and_session_keeps_working() {
    let node = NodeProc::start();
    let session = connect(&node).await;
    let err = session
        .query_unpaged("SELEKT * FROM system.local", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(db_error(&err), Some(DbError::SyntaxError)),
        "{err:?}"
    );
    let err = session
        .query_unpaged("SELECT * FROM nosuchks.nosuchtable", &[])
        .await
        .unwrap_err();
    assert!(matches!(db_error(&err), Some(DbError::Invalid)), "{err:?}");
    // Still usable.
    let res = session
        .query_unpaged(
            "SELECT release_version FROM system.local WHERE key = 'local'",
            &[],
        )
        .await
        .expect("select after errors")
        .into_rows_result()
        .expect("rows");
    let (version,): (String,) = res.single_row().expect("one row");
    assert!(version.starts_with('5'), "{version}");
}

#[tokio::test]
async fn scylla_token_of_a_key_agrees_with_select_token() {
    let node = NodeProc::start();
    let session = connect(&node).await;
    setup(&session).await;
    session.refresh_metadata().await.expect("refresh metadata");
    let state = session.get_cluster_state();
    let insert = session
        .prepare("INSERT INTO sd.kv (k, v) VALUES (?, ?)")
        .await
        .unwrap();
    for k in [0i32, 1, -1, 42, 123_456, i32::MAX, i32::MIN] {
        session.execute_unpaged(&insert, (k, "x")).await.unwrap();
        let driver = state
            .compute_token("sd", "kv", &(k,))
            .expect("compute token")
            .value();
        let res = session
            .query_unpaged("SELECT token(k) FROM sd.kv WHERE k = ?", (k,))
            .await
            .expect("select token")
            .into_rows_result()
            .unwrap();
        let (server,): (i64,) = res.single_row().expect("one row");
        assert_eq!(driver, server, "token of {k}");
    }
}
