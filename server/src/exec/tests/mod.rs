//! End-to-end tests of statement execution: a QueryProcessor on a temporary directory,
//! statements in, results out (no sockets). Helpers here; tests by area in
//! [`dml`], [`select`] and [`system`].

mod dml;
mod select;
mod system;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use cql::frame::ProtocolVersion;
use cql::request::{Query, QueryParameters};
use cql::response::ResultBody;
use cql::wire::Value;

use crate::error::RequestError;
use crate::query::{ClientState, NodeIdentity, QueryProcessor};

pub(crate) fn identity() -> NodeIdentity {
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
        release_version: "5.0.0".into(),
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

fn text(b: &Option<Bytes>) -> String {
    String::from_utf8(b.as_ref().expect("a value").to_vec()).expect("utf8")
}
