//! The admin interface (Cassandra's JMX, as HTTP JSON): what `helenus-nodetool` talks
//! to, plus Prometheus `/metrics`. Bound on `admin_address:admin_port` (127.0.0.1:7199
//! by default, local only like Cassandra's JMX). Served by axum on the node's runtime;
//! storage work (flush, compact, snapshot) runs on blocking threads.
//!
//! - [`api`]: the routes and their JSON bodies.
//! - [`loglevel`]: the reloadable log filter.
//!
//! Every route is documented in docs/NODETOOL.md; every metric in docs/METRICS.md.

pub mod api;
pub mod loglevel;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::query::QueryProcessor;

/// What the admin routes need from the node.
pub struct AdminState {
    pub processor: Arc<QueryProcessor>,
    /// Stops the CQL transport (drain).
    pub transport_stop: Arc<watch::Sender<bool>>,
    /// Set once `drain` ran: the node keeps serving the admin API only.
    pub drained: AtomicBool,
    /// `endpoint_snitch` from the config.
    pub snitch: String,
    /// Seconds since the epoch at start (nodetool info's "Generation No").
    pub generation: u64,
}

/// A running admin server.
pub struct AdminServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Serves the admin API on `listener` until [`AdminServer::stop`].
    pub fn start(listener: TcpListener, state: Arc<AdminState>) -> std::io::Result<AdminServer> {
        let addr = listener.local_addr()?;
        let app = api::router(state);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("admin server failed: {e}");
            }
        });
        tracing::info!(%addr, "admin API and /metrics listening on http://{addr}");
        Ok(AdminServer { addr, task })
    }

    pub fn stop(self) {
        self.task.abort();
    }
}
