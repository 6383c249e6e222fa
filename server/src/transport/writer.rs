//! The write half of a connection: an [`Outbox`] that request handlers encode their
//! response envelopes straight into, and one task that takes everything queued and
//! writes it in one syscall (drivers pipeline thousands of requests; coalescing
//! responses is where throughput is won). It also owns the output framing: plain
//! envelopes (v3/v4, and v5 before READY) or v5 segments, switched right after the READY
//! that ends a v5 handshake (native_protocol_v5.spec section 2.3).
//!
//! Why a shared buffer and not a channel of encoded envelopes: a channel costs, per
//! response, a buffer allocation, a queue node, the writer's copy of the envelope into
//! its output buffer, a free, and a semaphore release (a lock inside tokio's
//! semaphore). Here a response is one uncontended mutex and an append into a buffer
//! that keeps its capacity; the writer swaps buffers and returns the requests'
//! in-flight slots once per write.

use std::sync::Arc;

use bytes::BytesMut;
use parking_lot::Mutex;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, Semaphore};

use cql::frame::encode_envelope_segments;

pub use super::framing::Framing;

/// Output buffers above this capacity are not kept after a write, so one huge
/// response does not pin its memory for the connection's life.
const MAX_KEPT_CAPACITY: usize = 4 << 20;

/// What a connection has to send, shared by the reader, the request handlers, the
/// event forwarder and the writer task.
pub struct Outbox {
    state: Mutex<State>,
    /// Wakes the writer; signalled when the first bytes land in an empty outbox, and
    /// when the outbox closes.
    notify: Notify,
    /// The connection's in-flight slots (see `connection`): a request's slot is taken
    /// by the reader and given back here once its response has been written, so a
    /// client that does not read its responses stops being read too.
    permits: Arc<Semaphore>,
}

struct State {
    /// Whole envelopes queued since the writer last took them, to send in `framing`.
    envelopes: BytesMut,
    framing: Framing,
    /// Bytes already framed: envelopes queued before the last framing switch.
    framed: BytesMut,
    /// In-flight slots of the requests whose responses are queued.
    answered: usize,
    /// Close the connection once what is queued is written (fatal protocol errors).
    close: bool,
    /// Live [`OutboxSender`]s; at zero the writer writes what is left and ends.
    senders: usize,
    /// The writer is gone (a write failed): queued responses go nowhere.
    dead: bool,
}

impl State {
    fn is_empty(&self) -> bool {
        self.envelopes.is_empty() && self.framed.is_empty() && !self.close
    }
}

/// A handle that queues envelopes; the writer ends once every handle is dropped.
pub struct OutboxSender(Arc<Outbox>);

impl Clone for OutboxSender {
    fn clone(&self) -> Self {
        self.0.state.lock().senders += 1;
        OutboxSender(self.0.clone())
    }
}

impl Drop for OutboxSender {
    fn drop(&mut self) {
        let last = {
            let mut st = self.0.state.lock();
            st.senders -= 1;
            st.senders == 0
        };
        if last {
            self.0.notify.notify_one();
        }
    }
}

/// A new outbox with one sender, and the writer task's handle on it.
pub fn outbox(permits: Arc<Semaphore>) -> (OutboxSender, Arc<Outbox>) {
    let ob = Arc::new(Outbox {
        state: Mutex::new(State {
            envelopes: BytesMut::with_capacity(64 << 10),
            framing: Framing::Envelopes,
            framed: BytesMut::new(),
            answered: 0,
            close: false,
            senders: 1,
            dead: false,
        }),
        notify: Notify::new(),
        permits,
    });
    (OutboxSender(ob.clone()), ob)
}

impl OutboxSender {
    /// Appends one envelope written by `encode`. `answers` says that it answers a
    /// request holding an in-flight slot, to be given back once written. Returns
    /// false if the connection's writer is gone (the envelope is dropped and the slot
    /// given back at once).
    pub fn push_with(&self, answers: bool, encode: impl FnOnce(&mut BytesMut)) -> bool {
        let ob = &self.0;
        let was_empty = {
            let mut st = ob.state.lock();
            if st.dead {
                drop(st);
                if answers {
                    ob.permits.add_permits(1);
                }
                return false;
            }
            let was_empty = st.is_empty();
            encode(&mut st.envelopes);
            st.answered += usize::from(answers);
            was_empty
        };
        // A non-empty outbox has already woken the writer, or the writer is about to
        // take it: one wake-up per batch, not per response.
        if was_empty {
            ob.notify.notify_one();
        }
        true
    }

    /// Appends an envelope already encoded (handshake replies, errors).
    pub fn push(&self, envelope: &[u8]) -> bool {
        self.push_with(false, |out| out.extend_from_slice(envelope))
    }

    /// Appends a last envelope; the writer closes the connection after writing it.
    pub fn push_and_close(&self, envelope: &[u8]) {
        let mut st = self.0.state.lock();
        st.envelopes.extend_from_slice(envelope);
        st.close = true;
        drop(st);
        self.0.notify.notify_one();
    }

    /// Everything queued so far goes out in the current framing, everything after
    /// in `framing`.
    pub fn switch_framing(&self, framing: Framing) {
        let mut st = self.0.state.lock();
        let st = &mut *st;
        frame_into(&st.envelopes, st.framing, &mut st.framed);
        st.envelopes.clear();
        st.framing = framing;
    }
}

impl Outbox {
    /// The writer is leaving: what is queued and whatever comes later is dropped, and
    /// the slots of those requests are given back at once.
    fn go_dead(&self) {
        let mut st = self.state.lock();
        st.dead = true;
        self.permits.add_permits(std::mem::take(&mut st.answered));
        st.envelopes = BytesMut::new();
        st.framed = BytesMut::new();
    }
}

/// Runs until every sender is gone (after writing what they queued), a close was
/// asked for, or a write fails; then shuts the socket's write side.
pub async fn run<W: AsyncWrite + Unpin>(mut sock: W, ob: Arc<Outbox>) {
    let mut wire = BytesMut::with_capacity(64 << 10);
    let mut taken = BytesMut::with_capacity(64 << 10);
    loop {
        let (framing, answered, close, last) = {
            let mut st = ob.state.lock();
            std::mem::swap(&mut st.framed, &mut wire);
            std::mem::swap(&mut st.envelopes, &mut taken);
            let answered = std::mem::take(&mut st.answered);
            (st.framing, answered, st.close, st.senders == 0)
        };
        match framing {
            // Usually nothing was framed before: send the taken buffer as it is and
            // hand the (empty) wire buffer back to the producers next time.
            Framing::Envelopes if wire.is_empty() => std::mem::swap(&mut wire, &mut taken),
            _ => frame_into(&taken, framing, &mut wire),
        }
        taken.clear();
        if !wire.is_empty() {
            if let Err(e) = sock.write_all(&wire).await {
                tracing::debug!("write failed, closing: {e}");
                ob.permits.add_permits(answered);
                ob.go_dead();
                break;
            }
        }
        ob.permits.add_permits(answered);
        wire.clear();
        if wire.capacity() > MAX_KEPT_CAPACITY {
            wire = BytesMut::new();
        }
        if taken.capacity() > MAX_KEPT_CAPACITY {
            taken = BytesMut::new();
        }
        if last {
            // No sender is left to queue more, and what they queued was taken
            // together with the count.
            break;
        }
        if close {
            // Requests still running answer into a closed connection.
            ob.go_dead();
            break;
        }
        ob.notify.notified().await;
    }
    let _ = sock.flush().await;
    let _ = sock.shutdown().await;
}

/// Appends `envelopes` (whole envelopes back to back) to `out` in `framing`.
fn frame_into(envelopes: &[u8], framing: Framing, out: &mut BytesMut) {
    match framing {
        Framing::Envelopes => out.extend_from_slice(envelopes),
        Framing::Segments { lz4 } => encode_envelope_segments(envelopes, lz4, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cql::frame::{decode_segment, FrameAssembler, MAX_SEGMENT_PAYLOAD};

    fn envelope(stream: u8, body_len: usize) -> Vec<u8> {
        let mut e = vec![0x85, 0, 0, stream, 0x08];
        e.extend_from_slice(&(body_len as u32).to_be_bytes());
        e.extend(std::iter::repeat_n(stream, body_len));
        e
    }

    /// Segments written by `frame_into` reassemble into the same envelopes, and small
    /// envelopes share self-contained segments.
    #[test]
    fn segments_carry_whole_envelopes() {
        for lz4 in [false, true] {
            let sizes = [
                10,
                100,
                MAX_SEGMENT_PAYLOAD - 50,
                20,
                3 * MAX_SEGMENT_PAYLOAD,
                7,
            ];
            let mut all = Vec::new();
            for (i, n) in sizes.iter().enumerate() {
                all.extend(envelope(i as u8, *n));
            }
            let mut out = BytesMut::new();
            frame_into(&all, Framing::Segments { lz4 }, &mut out);
            let mut asm = FrameAssembler::new(64 << 20);
            let mut frames = Vec::new();
            let mut segments = 0;
            while let Some(seg) = decode_segment(&mut out, lz4, MAX_SEGMENT_PAYLOAD).unwrap() {
                segments += 1;
                asm.push(seg, &mut frames).unwrap();
            }
            assert!(out.is_empty());
            let frames: Vec<_> = frames.into_iter().map(|f| f.unwrap()).collect();
            assert_eq!(frames.len(), sizes.len());
            for (i, (f, n)) in frames.iter().zip(sizes).enumerate() {
                assert_eq!(f.header.stream, i as i16);
                assert_eq!(f.body.len(), n);
            }
            // 10+100 share one segment, the near-full one shares the next with 20
            // (it still fits), the large one goes in four non-self-contained
            // segments, then 7.
            assert_eq!(segments, 1 + 1 + 4 + 1, "lz4={lz4}");
        }
    }

    #[tokio::test]
    async fn writes_in_order_and_gives_slots_back() {
        let permits = Arc::new(Semaphore::new(4));
        let (tx, ob) = outbox(permits.clone());
        let (client, server) = tokio::io::duplex(1 << 20);
        let writer = tokio::spawn(run(server, ob));
        for i in 0..4u8 {
            permits.try_acquire().unwrap().forget();
            tx.push_with(true, |out| out.extend_from_slice(&envelope(i, 3)));
        }
        drop(tx);
        writer.await.unwrap();
        let mut got = Vec::new();
        let mut client = client;
        tokio::io::AsyncReadExt::read_to_end(&mut client, &mut got)
            .await
            .unwrap();
        let want: Vec<u8> = (0..4u8).flat_map(|i| envelope(i, 3)).collect();
        assert_eq!(got, want);
        assert_eq!(permits.available_permits(), 4);
    }

    #[tokio::test]
    async fn a_dead_writer_drops_responses_and_gives_slots_back() {
        let permits = Arc::new(Semaphore::new(2));
        let (tx, ob) = outbox(permits.clone());
        let (client, server) = tokio::io::duplex(64);
        drop(client);
        let writer = tokio::spawn(run(server, ob));
        permits.try_acquire().unwrap().forget();
        tx.push_with(true, |out| out.extend_from_slice(&envelope(1, 200)));
        writer.await.unwrap();
        assert_eq!(permits.available_permits(), 2);
        permits.try_acquire().unwrap().forget();
        assert!(!tx.push_with(true, |out| out.extend_from_slice(&envelope(2, 3))));
        assert_eq!(permits.available_permits(), 2);
    }

    #[tokio::test]
    async fn after_a_close_responses_are_dropped_and_slots_given_back() {
        let permits = Arc::new(Semaphore::new(2));
        let (tx, ob) = outbox(permits.clone());
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(run(server, ob));
        tx.push_and_close(&envelope(1, 3));
        writer.await.unwrap();
        permits.try_acquire().unwrap().forget();
        assert!(!tx.push_with(true, |out| out.extend_from_slice(&envelope(2, 3))));
        assert_eq!(permits.available_permits(), 2);
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut client, &mut got)
            .await
            .unwrap();
        assert_eq!(got, envelope(1, 3));
    }
}
