//! The node process: turns a [`Config`] into a running node. It loads (or creates once)
//! the node's identity — host id and vnode tokens, persisted in the data directory —
//! builds the [`NodeIdentity`] and the storage config, opens the [`QueryProcessor`],
//! binds the CQL listener and runs the transport until shutdown, then flushes storage.
//!
//! [`Node::start`] gives tests an in-process node on a free port (native_port 0); [`run`] is what the
//! binary calls with a signal future.

mod identity;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admin::{AdminServer, AdminState};
use crate::config::{CommitlogSync, Config};
use crate::query::{NodeIdentity, QueryProcessor};
use crate::transport::{self, TransportConfig};

pub use identity::{load_or_create, LocalState};

/// Cassandra release the node reports in system.local (drivers pick their schema parser
/// from it; cqlsh warns unless it matches what it was built for).
pub const RELEASE_VERSION: &str = "5.0.0";
/// The only partitioner Helenus implements.
pub const PARTITIONER: &str = "org.apache.cassandra.dht.Murmur3Partitioner";
/// How long in-flight requests may run after shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Pending connections the kernel queues for the CQL listener.
const LISTEN_BACKLOG: u32 = 1024;

/// A running node.
pub struct Node {
    /// Where the CQL listener is bound (the real port when the config asked for 0).
    pub native_addr: SocketAddr,
    pub identity: NodeIdentity,
    /// Where the admin API (nodetool, /metrics) is bound, if it runs.
    pub admin_addr: Option<SocketAddr>,
    processor: Arc<QueryProcessor>,
    stop: Arc<watch::Sender<bool>>,
    server: JoinHandle<()>,
    admin: Option<AdminServer>,
}

impl Node {
    /// Reserves `rpc_address:native_port`, opens storage (replaying the commit log),
    /// and only then listens: as Cassandra, the native port accepts clients once the
    /// node is ready, so a client (or a test harness) that connects sees replayed data.
    pub async fn start(config: Config) -> anyhow::Result<Node> {
        let addr = SocketAddr::new(config.rpc_address, config.native_port);
        let cannot = || format!("cannot listen for CQL clients on {addr}");
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .with_context(cannot)?;
        // As TcpListener::bind: a restart may reuse the port while old connections linger.
        socket.set_reuseaddr(true).with_context(cannot)?;
        socket.bind(addr).with_context(cannot)?;
        let native_addr = socket.local_addr()?;
        let state = identity::load_or_create(
            &config.local_state_path(),
            config.num_tokens,
            &config.cluster_name,
        )?;
        let identity = NodeIdentity {
            cluster_name: config.cluster_name.clone(),
            host_id: state.host_id,
            tokens: state.tokens.clone(),
            listen_address: config.listen_address,
            broadcast_address: config.broadcast_address,
            rpc_address: config.broadcast_rpc_address,
            native_port: native_addr.port(),
            storage_port: config.storage_port,
            data_center: config.dc.clone(),
            rack: config.rack.clone(),
            release_version: RELEASE_VERSION.to_string(),
            partitioner: PARTITIONER.to_string(),
        };
        let storage = storage_config(&config);
        let id = identity.clone();
        // Opening replays the commit log: blocking work, off the async threads.
        let processor = tokio::task::spawn_blocking(move || QueryProcessor::open(id, storage))
            .await
            .context("storage open task failed")??;
        processor
            .schema()
            .set_materialized_views_enabled(config.materialized_views_enabled);
        let (stop, stop_rx) = watch::channel(false);
        let stop = Arc::new(stop);
        let tcfg = TransportConfig {
            max_frame_size: usize::try_from(config.native_transport_max_frame_size)
                .unwrap_or(usize::MAX),
            max_in_flight: config.native_transport_max_concurrent_requests,
            max_connections: usize::try_from(config.native_transport_max_concurrent_connections)
                .ok(),
            drain_timeout: DRAIN_TIMEOUT,
        };
        let listener = socket
            .listen(LISTEN_BACKLOG)
            .with_context(|| format!("cannot listen for CQL clients on {native_addr}"))?;
        let server = tokio::spawn(transport::serve(listener, processor.clone(), tcfg, stop_rx));
        let admin = start_admin(&config, &processor, &stop).await?;
        tracing::info!(
            native = %native_addr,
            data = %config.primary_data_dir().display(),
            commitlog = %config.commitlog_directory.display(),
            host_id = %state.host_id,
            "helenus {} listening for CQL clients on {native_addr}, data in {}",
            RELEASE_VERSION,
            config.primary_data_dir().display()
        );
        Ok(Node {
            native_addr,
            identity,
            admin_addr: admin.as_ref().map(|a| a.addr),
            processor,
            stop,
            server,
            admin,
        })
    }

    /// The statement processor (admin and tests).
    pub fn processor(&self) -> &Arc<QueryProcessor> {
        &self.processor
    }

    /// Stops accepting, lets in-flight requests finish (bounded), flushes storage.
    pub async fn stop(self) -> anyhow::Result<()> {
        if let Some(a) = self.admin {
            a.stop();
        }
        let _ = self.stop.send(true);
        if let Err(e) = self.server.await {
            tracing::warn!("transport task ended abnormally: {e}");
        }
        let processor = self.processor;
        tokio::task::spawn_blocking(move || processor.shutdown())
            .await
            .context("storage shutdown task failed")?;
        tracing::info!("node stopped");
        Ok(())
    }
}

/// Runs a node until `shutdown` completes, then stops it cleanly.
pub async fn run(config: Config, shutdown: impl Future) -> anyhow::Result<()> {
    let node = Node::start(config).await?;
    shutdown.await;
    tracing::info!("shutting down");
    node.stop().await
}

/// Binds and starts the admin API when the config asks for one. A taken default port
/// only costs the admin API (several nodes on one machine); a taken explicit port is a
/// startup error, as Cassandra's JMX port is.
async fn start_admin(
    config: &Config,
    processor: &Arc<QueryProcessor>,
    stop: &Arc<watch::Sender<bool>>,
) -> anyhow::Result<Option<AdminServer>> {
    let Some(port) = config.admin_port else {
        return Ok(None);
    };
    let addr = SocketAddr::new(config.admin_address, port);
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) if !config.admin_port_explicit => {
            tracing::warn!("admin API disabled: cannot listen on {addr}: {e}");
            return Ok(None);
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot listen for the admin API on {addr}"))
        }
    };
    let generation = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let state = Arc::new(AdminState {
        processor: Arc::clone(processor),
        transport_stop: Arc::clone(stop),
        drained: std::sync::atomic::AtomicBool::new(false),
        snitch: config.endpoint_snitch.clone(),
        generation,
    });
    Ok(Some(AdminServer::start(listener, state)?))
}

/// The storage engine's config, composed from ours.
fn storage_config(config: &Config) -> storage::Config {
    let defaults = storage::Config::default();
    storage::Config {
        data_dir: config.primary_data_dir(),
        commitlog_dir: config.commitlog_directory.clone(),
        commitlog_sync: match config.commitlog_sync {
            CommitlogSync::Periodic => storage::SyncMode::Periodic {
                period: config.commitlog_sync_period,
            },
            CommitlogSync::Batch => storage::SyncMode::Batch,
            CommitlogSync::Group => storage::SyncMode::Group {
                window: config.commitlog_sync_group_window,
            },
        },
        commitlog_segment_size: config.commitlog_segment_size,
        commitlog_ignore_replay_errors: config.commitlog_ignore_replay_errors,
        memtable_space: config
            .memtable_heap_space
            .unwrap_or(defaults.memtable_space),
        memtable_flush_writers: config.memtable_flush_writers,
        memtable_cleanup_threshold: config.memtable_cleanup_threshold,
        concurrent_compactors: config.concurrent_compactors,
        compaction_throughput: config.compaction_throughput,
        block_cache_size: config.file_cache_size,
        sstable_block_size: usize::try_from(config.column_index_size).unwrap_or(16 << 10),
        commitlog_preallocate: config.commitlog_preallocate,
        ..defaults
    }
}
