//! Background threads: `memtable_flush_writers` flushers and
//! `concurrent_compactors` compactors,
//! fed by channels. Threads hold a `Weak<Engine>`, so dropping the engine is
//! never blocked by its own workers.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::Engine;
use crate::error::{Error, Result};
use crate::types::TableId;

/// Work for the background threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Job {
    Flush(TableId),
    Compact(TableId),
}

struct Inner {
    flush_tx: Sender<Job>,
    compact_tx: Sender<Job>,
    threads: Vec<JoinHandle<()>>,
}

/// Jobs submitted and not started yet: [flush, compaction] (nodetool's pending tasks).
#[derive(Default)]
struct Pending([AtomicU64; 2]);

impl Pending {
    fn slot(&self, job: Job) -> &AtomicU64 {
        let [flush, compact] = &self.0;
        match job {
            Job::Flush(_) => flush,
            Job::Compact(_) => compact,
        }
    }
}

#[derive(Default)]
pub(crate) struct Workers {
    inner: Mutex<Option<Inner>>,
    pending: Arc<Pending>,
}

fn worker(engine: Weak<Engine>, rx: Arc<Mutex<Receiver<Job>>>, pending: Arc<Pending>) {
    loop {
        let job = match rx.lock().recv() {
            Ok(j) => j,
            Err(_) => return, // senders dropped: shutting down
        };
        pending.slot(job).fetch_sub(1, Ordering::Relaxed);
        let Some(engine) = engine.upgrade() else {
            return;
        };
        let result = match job {
            Job::Flush(id) => engine.background_flush(id),
            Job::Compact(id) => match engine.table(id) {
                Ok(t) => super::compact::background(&engine, &t),
                Err(_) => Ok(()),
            },
        };
        match result {
            Ok(()) | Err(Error::UnknownTable(_)) | Err(Error::Shutdown) => {}
            Err(e) => tracing::error!(?job, error = %e, "background job failed"),
        }
    }
}

impl Workers {
    pub fn start(&self, engine: &Arc<Engine>) -> Result<()> {
        let (flush_tx, flush_rx) = channel();
        let (compact_tx, compact_rx) = channel();
        let mut threads = Vec::new();
        let spawn = |name: String, rx: Arc<Mutex<Receiver<Job>>>| {
            let weak = Arc::downgrade(engine);
            let pending = Arc::clone(&self.pending);
            std::thread::Builder::new()
                .name(name)
                .spawn(move || worker(weak, rx, pending))
                .map_err(|e| Error::io("spawn background thread", e))
        };
        let flush_rx = Arc::new(Mutex::new(flush_rx));
        for i in 0..engine.config.memtable_flush_writers.max(1) {
            threads.push(spawn(format!("storage-flush-{i}"), Arc::clone(&flush_rx))?);
        }
        let compact_rx = Arc::new(Mutex::new(compact_rx));
        for i in 0..engine.config.concurrent_compactors.max(1) {
            threads.push(spawn(
                format!("storage-compact-{i}"),
                Arc::clone(&compact_rx),
            )?);
        }
        *self.inner.lock() = Some(Inner {
            flush_tx,
            compact_tx,
            threads,
        });
        Ok(())
    }

    pub fn submit(&self, job: Job) {
        if let Some(inner) = self.inner.lock().as_ref() {
            let tx = match job {
                Job::Flush(_) => &inner.flush_tx,
                Job::Compact(_) => &inner.compact_tx,
            };
            // Counted before the send so the worker's decrement never comes first.
            let slot = self.pending.slot(job);
            slot.fetch_add(1, Ordering::Relaxed);
            if tx.send(job).is_err() {
                slot.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Queued jobs not started yet: (flushes, compactions).
    pub fn pending(&self) -> (u64, u64) {
        let [f, c] = &self.pending.0;
        (f.load(Ordering::Relaxed), c.load(Ordering::Relaxed))
    }

    /// Stops accepting jobs and waits for running ones (not for the calling
    /// thread itself, which may be a worker dropping the last engine handle).
    pub fn stop(&self) {
        let Some(inner) = self.inner.lock().take() else {
            return;
        };
        drop(inner.flush_tx);
        drop(inner.compact_tx);
        let me = std::thread::current().id();
        for t in inner.threads {
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}
