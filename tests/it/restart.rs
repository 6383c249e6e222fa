//! Durability across restarts of a real process: a clean SIGTERM shutdown flushes and
//! exits 0; after a SIGKILL every acknowledged write is replayed from the commit log
//! (batch sync mode, which the harness uses). Also the node's identity (host id and
//! tokens) survives restarts.

use scylla::client::session::Session;

use crate::client::connect;
use crate::harness::NodeProc;

async fn write_rows(session: &Session, from: i32, to: i32) {
    let insert = session
        .prepare("INSERT INTO rs.t (k, v) VALUES (?, ?)")
        .await
        .expect("prepare");
    for k in from..to {
        session
            .execute_unpaged(&insert, (k, k * 10))
            .await
            .expect("insert");
    }
}

async fn count_and_check(session: &Session, n: i32) {
    let select = session
        .prepare("SELECT v FROM rs.t WHERE k = ?")
        .await
        .expect("prepare select");
    for k in 0..n {
        let res = session
            .execute_unpaged(&select, (k,))
            .await
            .expect("select")
            .into_rows_result()
            .expect("rows");
        let (v,): (i32,) = res
            .single_row()
            .unwrap_or_else(|e| panic!("row {k} missing after restart: {e}"));
        assert_eq!(v, k * 10);
    }
}

async fn local_identity(session: &Session) -> (uuid::Uuid, Vec<String>) {
    let res = session
        .query_unpaged(
            "SELECT host_id, tokens FROM system.local WHERE key = 'local'",
            &[],
        )
        .await
        .expect("system.local")
        .into_rows_result()
        .expect("rows");
    let (host_id, tokens): (uuid::Uuid, Vec<String>) = res.single_row().expect("one row");
    let mut tokens = tokens;
    tokens.sort();
    (host_id, tokens)
}

#[tokio::test]
async fn restart_after_sigterm_keeps_data_and_identity() {
    let mut node = NodeProc::start();
    let (id_before, n) = {
        let s = connect(&node).await;
        s.query_unpaged(
            "CREATE KEYSPACE rs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            &[],
        )
        .await
        .unwrap();
        s.query_unpaged("CREATE TABLE rs.t (k int PRIMARY KEY, v int)", &[])
            .await
            .unwrap();
        write_rows(&s, 0, 300).await;
        (local_identity(&s).await, 300)
    };
    assert_eq!(
        node.stop(),
        Some(0),
        "clean shutdown exits 0; log:\n{}",
        node.log()
    );
    node.restart();
    let s = connect(&node).await;
    count_and_check(&s, n).await;
    assert_eq!(
        local_identity(&s).await,
        id_before,
        "host id and tokens must survive a restart"
    );
}

#[tokio::test]
async fn restart_after_sigkill_replays_acknowledged_writes() {
    let mut node = NodeProc::start();
    {
        let s = connect(&node).await;
        s.query_unpaged(
            "CREATE KEYSPACE rs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            &[],
        )
        .await
        .unwrap();
        s.query_unpaged("CREATE TABLE rs.t (k int PRIMARY KEY, v int)", &[])
            .await
            .unwrap();
        write_rows(&s, 0, 500).await;
    }
    node.kill();
    node.restart();
    let s = connect(&node).await;
    count_and_check(&s, 500).await;
    // And the node keeps taking writes after the replay.
    write_rows(&s, 500, 510).await;
    count_and_check(&s, 510).await;
}
