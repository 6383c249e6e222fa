//! The CQL native-protocol transport: the TCP listener, one reader and one writer task
//! per connection, the handshake (version negotiation, OPTIONS, STARTUP, REGISTER),
//! v3/v4 frame compression and v5 segments, and the hand-off of QUERY / PREPARE /
//! EXECUTE / BATCH to the [`QueryProcessor`]. It never interprets statements.
//!
//! - [`version`]: the answer to an unsupported protocol version.
//! - [`framing`]: envelopes or v5 segments off the socket (via `cql::frame`).
//! - [`messages`]: request decoding and response encoding (via `cql`).
//! - [`handshake`]: OPTIONS / STARTUP / REGISTER.
//! - [`connection`]: the read loop and the handshake state machine.
//! - [`writer`]: coalesced writes and the switch to segments.
//! - [`dispatch`]: requests to the processor (run inline; a paced write answered by a
//!   task of its own), errors to ERROR bodies.

mod connection;
mod dispatch;
mod framing;
pub mod handshake;
mod messages;
pub mod version;
mod writer;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::query::QueryProcessor;

/// Limits of the transport (from the node config).
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Largest envelope body accepted (`native_transport_max_frame_size`).
    pub max_frame_size: usize,
    /// Requests in flight per connection before the reader pauses.
    pub max_in_flight: usize,
    /// Open connections allowed; `None` = unlimited.
    pub max_connections: Option<usize>,
    /// How long in-flight requests may run once shutdown starts.
    pub drain_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            max_frame_size: 16 << 20,
            max_in_flight: 2048,
            max_connections: None,
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// Accepts connections until `stop` turns true, then waits for the connections to
/// drain (each bounded by `drain_timeout`).
pub async fn serve(
    listener: TcpListener,
    processor: Arc<QueryProcessor>,
    cfg: TransportConfig,
    mut stop: watch::Receiver<bool>,
) {
    let limit = cfg.max_connections.map(|n| Arc::new(Semaphore::new(n)));
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (sock, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let permit = match &limit {
                    Some(sem) => match sem.clone().try_acquire_owned() {
                        Ok(p) => Some(p),
                        Err(_) => {
                            crate::metrics::global().connection_refused();
                            tracing::warn!(%peer, "too many connections, refusing");
                            continue;
                        }
                    },
                    None => None,
                };
                let span = tracing::debug_span!("conn", %peer);
                let fut = connection::serve(sock, peer, processor.clone(), cfg.clone(), stop.clone());
                conns.spawn(async move {
                    fut.await;
                    drop(permit);
                }.instrument(span));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let deadline = cfg.drain_timeout + Duration::from_secs(2);
    if tokio::time::timeout(deadline, async {
        while conns.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
        conns.abort_all();
    }
}
