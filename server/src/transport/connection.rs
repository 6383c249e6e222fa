//! One client connection: the read loop (the handshake state machine; each request
//! runs inline and becomes its own task only if it has to wait) and its writer task. Requests on a connection run concurrently, bounded by
//! an in-flight limit; at the limit the reader stops reading (backpressure instead of
//! unbounded queues). Protocol errors are answered on their stream; only a broken byte
//! stream (bad version, oversized frame, corrupt segment) closes the connection.

use std::future::Future;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::BytesMut;
use cql::error::ErrorBody;
use cql::frame::{Compression, FrameError, ProtocolVersion};
use cql::request::Request;
use parking_lot::Mutex;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tracing::Instrument;

use super::framing::{FrameReader, Framing, Next};
use super::writer::{self, OutboxSender};
use super::{dispatch, handshake, messages, TransportConfig};
use crate::query::{ClientState, QueryProcessor};

/// What request tasks share with the reader once STARTUP succeeded.
pub(super) struct Conn {
    pub processor: Arc<QueryProcessor>,
    pub version: ProtocolVersion,
    /// v3/v4 envelope compression (v5 compresses segments in the writer instead).
    pub compression: Compression,
    pub state: Mutex<ClientState>,
    pub out: OutboxSender,
}

impl Conn {
    /// Queues a response envelope for this connection; `answers` gives the request's
    /// in-flight slot back once it is written. False if the connection is gone.
    pub fn send(&self, stream: i16, response: &cql::response::Response, answers: bool) -> bool {
        self.out.push_with(answers, |out| {
            messages::encode_into(out, self.version, stream, response, self.compression)
        })
    }
}

/// Why the read loop ended.
enum End {
    Closed,
    Stopped,
}

/// Serves one connection until the client leaves, a fatal protocol error, or `stop`.
pub async fn serve(
    sock: TcpStream,
    peer: SocketAddr,
    processor: Arc<QueryProcessor>,
    cfg: TransportConfig,
    mut stop: watch::Receiver<bool>,
) {
    let _ = sock.set_nodelay(true);
    let _open = crate::metrics::global().connection_opened();
    let (mut rd, wr) = sock.into_split();
    let permits = Arc::new(Semaphore::new(cfg.max_in_flight));
    let (tx, outbox) = writer::outbox(permits.clone());
    let writer = tokio::spawn(writer::run(wr, outbox).in_current_span());
    let mut reader = FrameReader::new(cfg.max_frame_size);
    // Set by the first envelope; every later one must carry the same version.
    let mut version: Option<ProtocolVersion> = None;
    let mut conn: Option<Arc<Conn>> = None;
    let mut events: Option<tokio::task::JoinHandle<()>> = None;
    // The heap slot requests run in (see `run_or_spawn`), kept between requests.
    let mut slot = None;
    tracing::debug!("connection opened");

    let end = 'read: loop {
        loop {
            let frame = match reader.next() {
                Next::NeedMore => break,
                Next::Frame(f) => f,
                Next::Recoverable(e) => {
                    let v = version.unwrap_or(ProtocolVersion::V4);
                    let c = conn.as_ref().map_or(Compression::None, |c| c.compression);
                    send_error(
                        &tx,
                        v,
                        e.stream().unwrap_or(0),
                        ErrorBody::protocol(e.to_string()),
                        c,
                    );
                    continue;
                }
                Next::Fatal(FrameError::UnsupportedVersion {
                    version: requested,
                    stream,
                }) => {
                    tracing::debug!(requested, "unsupported protocol version");
                    let mut frame = BytesMut::new();
                    cql::frame::encode_unsupported_version(&mut frame, requested, stream);
                    tx.push_and_close(&frame);
                    break 'read End::Closed;
                }
                Next::Fatal(e) => {
                    tracing::debug!("closing connection: {e}");
                    let v = version.unwrap_or(ProtocolVersion::V4);
                    let c = conn.as_ref().map_or(Compression::None, |c| c.compression);
                    let body = ErrorBody::protocol(e.to_string());
                    let out = messages::encode(
                        v,
                        e.stream().unwrap_or(0),
                        &cql::response::Response::Error(body),
                        c,
                    );
                    tx.push_and_close(&out);
                    break 'read End::Closed;
                }
            };
            let v = *version.get_or_insert(frame.header.version);
            if frame.header.version != v {
                let msg = format!(
                    "Invalid message version. Got {} but previous messages on this connection had version {}",
                    frame.header.version, v
                );
                let out = messages::encode(
                    v,
                    frame.header.stream,
                    &messages::protocol_error(msg),
                    Compression::None,
                );
                tx.push_and_close(&out);
                break 'read End::Closed;
            }
            let stream = frame.header.stream;
            let request = match messages::decode(&frame) {
                Ok(r) => r,
                Err(msg) => {
                    // A malformed body poisons only its stream: the framing is intact.
                    let c = conn.as_ref().map_or(Compression::None, |c| c.compression);
                    send_error(&tx, v, stream, ErrorBody::protocol(msg), c);
                    continue;
                }
            };
            let Some(c) = conn.clone() else {
                // Before STARTUP: OPTIONS and STARTUP only.
                match handshake::before_startup(v, stream, request, peer) {
                    handshake::Step::Reply(out) => {
                        tx.push(&out);
                    }
                    handshake::Step::Started {
                        reply,
                        compression,
                        state,
                    } => {
                        let framing = match v {
                            ProtocolVersion::V5 => Framing::Segments {
                                lz4: compression == Compression::Lz4,
                            },
                            _ => Framing::Envelopes,
                        };
                        // READY goes out unframed; everything after it in `framing`.
                        tx.push(&reply);
                        tx.switch_framing(framing);
                        reader.set_framing(
                            framing,
                            if v == ProtocolVersion::V5 {
                                Compression::None
                            } else {
                                compression
                            },
                        );
                        conn = Some(Arc::new(Conn {
                            processor: processor.clone(),
                            version: v,
                            compression: if v == ProtocolVersion::V5 {
                                Compression::None
                            } else {
                                compression
                            },
                            state: Mutex::new(state),
                            out: tx.clone(),
                        }));
                    }
                }
                continue;
            };
            match request {
                Request::Register(reg) => match handshake::event_filter(&reg) {
                    Ok(filter) => {
                        if let Some(old) = events.take() {
                            old.abort();
                        }
                        events = Some(tokio::spawn(
                            forward_events(c.clone(), filter).in_current_span(),
                        ));
                        c.send(stream, &cql::response::Response::Ready, false);
                    }
                    Err(msg) => send_error(&tx, v, stream, ErrorBody::protocol(msg), c.compression),
                },
                request => {
                    // Backpressure: take an in-flight slot, waiting for one (and
                    // watching for shutdown) only when none is free. The slot is
                    // forgotten here and given back by the writer once the response
                    // is written (`writer::Outbox`).
                    match permits.try_acquire() {
                        Ok(p) => p.forget(),
                        Err(_) => {
                            let permit = tokio::select! {
                                p = permits.acquire() => p.ok(),
                                _ = stop.changed() => None,
                            };
                            let Some(permit) = permit else {
                                break 'read End::Stopped;
                            };
                            permit.forget();
                        }
                    }
                    // Disabled unless the log level asks for debug; disabled, creating
                    // and entering it cost a level check each.
                    let span = tracing::debug_span!(
                        "request",
                        stream,
                        opcode = frame.header.opcode.name()
                    );
                    let done =
                        dispatch::Done::new(dispatch::Reply::new(c.clone(), stream), &request);
                    match dispatch::without_statement(&request) {
                        Some(response) => done.finish(response, None),
                        None => {
                            run_or_spawn(&mut slot, dispatch::run_statement(c, request), done, span)
                        }
                    }
                }
            }
        }
        tokio::select! {
            r = rd.read_buf(&mut reader.buf) => match r {
                Ok(0) => break End::Closed,
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!("read failed: {e}");
                    break End::Closed;
                }
            },
            _ = stop.changed() => break End::Stopped,
        }
    };

    if let End::Stopped = end {
        // Let in-flight requests finish (bounded) before the writer closes the socket.
        let all = u32::try_from(cfg.max_in_flight).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(cfg.drain_timeout, permits.acquire_many(all)).await;
    }
    if let Some(e) = events {
        e.abort();
    }
    drop(conn);
    drop(tx);
    // The writer ends once every sender (request tasks included) is gone.
    if tokio::time::timeout(cfg.drain_timeout + Duration::from_secs(1), writer)
        .await
        .is_err()
    {
        tracing::debug!("writer did not finish in time");
    }
    tracing::debug!("connection closed");
}

/// Polls a request once right here and spawns it as its own task only if it has to
/// wait (an fsync in batch mode, a lock, a schema change). Most requests (periodic-mode
/// writes, reads of data in memory) complete in that first poll, which saves a task
/// spawn, a scheduler round trip and a wake-up each: a large part of a small request's
/// cost. Re-polling a pending future from a task with another waker is part of the
/// `Future` contract, so the spawned task picks up exactly where the poll left off.
///
/// The future is polled inside a heap slot that the connection keeps from one request
/// to the next (`slot`): a fresh box per request cost a malloc and a free. Each poll
/// runs inside `coordinator::defer_backpressure`, which hands back the pacing delay
/// the request's writes owe, and inside the request's span (when enabled): no wrapper
/// future around the request, which would move it again. A request that has to wait
/// takes the box with it into its task, and the next request allocates a new one.
fn run_or_spawn<F>(
    slot: &mut Option<Box<MaybeUninit<F>>>,
    request: F,
    done: dispatch::Done,
    span: tracing::Span,
) where
    F: Future<Output = cql::response::Response> + Send + 'static,
{
    let mut boxed = slot.take().unwrap_or_else(Box::new_uninit);
    let fut: *mut F = boxed.write(request);
    let mut cx = Context::from_waker(Waker::noop());
    // SAFETY: `fut` points into the box's heap allocation, which stays where it is
    // until the future is dropped in place below or the box is handed on, unmoved, as
    // `Pin<Box<F>>`; nothing else touches the future meanwhile.
    let entered = span.enter();
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
        crate::coordinator::defer_backpressure(|| unsafe {
            Pin::new_unchecked(&mut *fut).poll(&mut cx)
        })
    }));
    match polled {
        Ok((Poll::Ready(response), owed)) => {
            // SAFETY: the future was written above and is dropped exactly once, here;
            // the box then holds uninitialized memory again and can be reused.
            unsafe { std::ptr::drop_in_place(fut) };
            *slot = Some(boxed);
            done.finish(response, owed);
        }
        Ok((Poll::Pending, owed)) => {
            // SAFETY: the box holds the future written above (still initialized).
            let boxed = unsafe { boxed.assume_init() };
            let request = crate::coordinator::defer_backpressure_polled(Box::into_pin(boxed), owed);
            drop(entered);
            tokio::spawn(
                async move {
                    let (response, owed) = request.await;
                    done.answer_after(owed, response).await;
                }
                .instrument(span),
            );
        }
        // A panic must cost only its request, as in a spawned task: dropping the
        // future, then `done` (its `Reply`), answers Server error on the stream.
        // SAFETY: as for `Pending`; the box (and the future) is dropped right here.
        Err(_) => drop(unsafe { boxed.assume_init() }),
    }
}

fn send_error(tx: &OutboxSender, v: ProtocolVersion, stream: i16, e: ErrorBody, c: Compression) {
    crate::metrics::global().error(e.code);
    let out = messages::encode(v, stream, &cql::response::Response::Error(e), c);
    tx.push(&out);
}

/// Pushes the registered event kinds to the client as EVENT frames on stream -1.
async fn forward_events(conn: Arc<Conn>, filter: handshake::EventFilter) {
    let mut rx = conn.processor.subscribe();
    loop {
        match rx.recv().await {
            Ok(ev) => {
                if filter.accepts(&ev) && !conn.send(-1, &cql::response::Response::Event(ev), false)
                {
                    return;
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "client too slow for schema events");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
