//! The write half of a connection: one task that drains the connection's outgoing queue
//! and writes everything that is ready in one syscall (drivers pipeline thousands of
//! requests; coalescing responses is where throughput is won). It also owns the output
//! framing: plain envelopes (v3/v4, and v5 before READY) or v5 segments, switched right
//! after the READY that ends a v5 handshake (native_protocol_v5.spec section 2.3).

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use cql::frame::{encode_segments, MAX_SEGMENT_PAYLOAD};

pub use super::framing::Framing;

/// One encoded envelope to send.
pub struct Outgoing {
    pub envelope: Bytes,
    /// Framing to use for everything after this envelope.
    pub switch_to: Option<Framing>,
    /// Close the connection once this envelope is written (fatal protocol errors).
    pub close_after: bool,
    /// The in-flight slot of the request this answers, released once written so a
    /// client that does not read its responses stops being read too.
    pub permit: Option<OwnedSemaphorePermit>,
}

impl Outgoing {
    pub fn new(envelope: impl Into<Bytes>) -> Outgoing {
        Outgoing {
            envelope: envelope.into(),
            switch_to: None,
            close_after: false,
            permit: None,
        }
    }
}

/// Stop coalescing past this many bytes so one write stays a reasonable size.
const MAX_COALESCED: usize = 1 << 20;

/// Runs until the queue closes or a write fails; then shuts the socket's write side.
pub async fn run<W: AsyncWrite + Unpin>(mut sock: W, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    let mut framing = Framing::Envelopes;
    let mut out = BytesMut::with_capacity(64 << 10);
    // Envelopes waiting to be packed into segments, flushed before each write.
    let mut pending = BytesMut::new();
    let mut permits = Vec::new();
    'outer: while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut close = false;
        while let Some(msg) = next.take() {
            match framing {
                Framing::Envelopes => out.extend_from_slice(&msg.envelope),
                Framing::Segments { lz4 } => {
                    // Whole envelopes share self-contained segments; one too big for a
                    // segment travels alone in a run of non-self-contained ones.
                    if pending.len() + msg.envelope.len() > MAX_SEGMENT_PAYLOAD {
                        flush_segments(&mut pending, &mut out, framing);
                    }
                    if msg.envelope.len() > MAX_SEGMENT_PAYLOAD {
                        encode_segments(&msg.envelope, lz4, &mut out);
                    } else {
                        pending.extend_from_slice(&msg.envelope);
                    }
                }
            }
            permits.extend(msg.permit);
            if let Some(f) = msg.switch_to {
                flush_segments(&mut pending, &mut out, framing);
                framing = f;
            }
            if msg.close_after {
                close = true;
                break;
            }
            if out.len() + pending.len() < MAX_COALESCED {
                next = rx.try_recv().ok();
            }
        }
        flush_segments(&mut pending, &mut out, framing);
        if let Err(e) = sock.write_all(&out).await {
            tracing::debug!("write failed, closing: {e}");
            break 'outer;
        }
        out.clear();
        permits.clear();
        if close {
            break;
        }
    }
    let _ = sock.flush().await;
    let _ = sock.shutdown().await;
}

fn flush_segments(pending: &mut BytesMut, out: &mut BytesMut, framing: Framing) {
    if pending.is_empty() {
        return;
    }
    if let Framing::Segments { lz4 } = framing {
        encode_segments(pending, lz4, out);
    }
    pending.clear();
}
