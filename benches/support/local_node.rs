//! A `QueryProcessor` on a temporary directory, as benches drive the node's request
//! path in-process; shared by benches through
//! `#[path = "support/local_node.rs"] mod local_node;`.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cql::frame::ProtocolVersion;
use server::query::{ClientState, NodeIdentity, QueryProcessor};

/// A single node on 127.0.0.1 with one token.
pub fn identity() -> NodeIdentity {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    NodeIdentity {
        cluster_name: "Bench Cluster".into(),
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

/// A processor on a temporary directory (periodic commit log, as a node runs by
/// default), a v4 client session, and a current-thread runtime to drive them.
pub struct Node {
    pub _dir: tempfile::TempDir,
    pub qp: Arc<QueryProcessor>,
    pub st: ClientState,
    pub rt: tokio::runtime::Runtime,
}

impl Node {
    #[allow(
        dead_code,
        reason = "each bench including this file uses one of the two"
    )]
    pub fn open() -> Node {
        Node::open_with(|_| {})
    }

    /// [`Node::open`] with the storage config adjusted by `tune` first.
    pub fn open_with(tune: impl FnOnce(&mut storage::Config)) -> Node {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = storage::Config::for_tests(dir.path());
        cfg.commitlog_sync = storage::SyncMode::Periodic {
            period: Duration::from_secs(10),
        };
        tune(&mut cfg);
        let qp = QueryProcessor::open(identity(), cfg).expect("open");
        let st = ClientState {
            keyspace: None,
            version: ProtocolVersion::V4,
            client: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5555),
            driver_name: None,
            driver_version: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        Node {
            _dir: dir,
            qp,
            st,
            rt,
        }
    }
}
