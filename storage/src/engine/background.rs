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

/// Lowers the calling thread's OS priority by `by` nice levels (Linux: per
/// thread), to at most 19.
///
/// Compaction threads run `compaction_thread_nice` (default 10) levels below the
/// request threads: on a busy core the scheduler then gives a compaction about a
/// tenth of the time a request thread gets (weights 110 vs 1024), as Cassandra
/// runs its compactors at low thread priority. Compaction is deferrable: it only
/// falls behind while requests keep the core busy. Flush threads keep the node's
/// priority: memtable memory (and the pacing of writes, engine/flow.rs) depends
/// on flushes keeping up. Relative, not absolute: a node started under
/// `nice -n 15` runs its compactors at 19, not at 10 above its request threads.
/// Best effort: a failure (e.g. a seccomp filter) leaves the thread at the
/// node's priority, which is correct, only less polite.
fn lower_priority(by: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid, getpriority and setpriority take no pointers; on Linux
        // PRIO_PROCESS with a thread id reads or sets that thread's nice value only.
        // A new thread starts at its spawner's nice value, so `current` is the
        // node's (getpriority returns the nice value itself on Linux's libc).
        let r = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            libc::setpriority(libc::PRIO_PROCESS, tid, (current + by).min(19))
        };
        if r != 0 {
            tracing::debug!(by, error = %std::io::Error::last_os_error(), "cannot lower thread priority");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = by;
}

fn worker(engine: Weak<Engine>, rx: Arc<Mutex<Receiver<Job>>>, pending: Arc<Pending>, nice: i32) {
    if nice != 0 {
        lower_priority(nice);
    }
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
        let spawn = |name: String, rx: Arc<Mutex<Receiver<Job>>>, nice: i32| {
            let weak = Arc::downgrade(engine);
            let pending = Arc::clone(&self.pending);
            std::thread::Builder::new()
                .name(name)
                .spawn(move || worker(weak, rx, pending, nice))
                .map_err(|e| Error::io("spawn background thread", e))
        };
        let flush_rx = Arc::new(Mutex::new(flush_rx));
        for i in 0..engine.config.memtable_flush_writers.max(1) {
            threads.push(spawn(
                format!("storage-flush-{i}"),
                Arc::clone(&flush_rx),
                0,
            )?);
        }
        let compact_rx = Arc::new(Mutex::new(compact_rx));
        for i in 0..engine.config.concurrent_compactors.max(1) {
            threads.push(spawn(
                format!("storage-compact-{i}"),
                Arc::clone(&compact_rx),
                engine.config.compaction_thread_nice,
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::super::tests::tid;
    use super::*;
    use crate::config::Config;
    use crate::types::TableOptions;

    /// Nice value of the calling thread.
    fn nice_of_this_thread() -> i64 {
        // SAFETY: getpriority takes no pointers; 0 means the calling thread.
        i64::from(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })
    }

    /// Nice value of each of this process's threads named `prefix*` (field 19
    /// of /proc/self/task/TID/stat, after the parenthesised name).
    fn nice_of(prefix: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc/self/task").expect("tasks") {
            let dir = e.expect("task").path();
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if !comm.starts_with(prefix) {
                continue;
            }
            let stat = std::fs::read_to_string(dir.join("stat")).expect("stat");
            let after = stat.rsplit_once(") ").expect("comm").1;
            // After the name: state is field 3, nice field 19.
            let nice = after
                .split(' ')
                .nth(16)
                .expect("nice")
                .parse()
                .expect("number");
            out.push(nice);
        }
        out
    }

    #[test]
    fn compaction_threads_run_at_the_configured_lower_priority() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Config::for_tests(dir.path());
        c.compaction_thread_nice = 7;
        // The test may itself run niced (`nice cargo test`): priorities are
        // relative to the spawning thread's.
        let base = nice_of_this_thread();
        let want = (base + 7).min(19);
        let e = Engine::open(c, &[(tid(1), TableOptions::default())]).expect("open");
        // Threads are named by their spawner and lower their own priority
        // first thing; give them a moment to start.
        let mut nices = Vec::new();
        for _ in 0..500 {
            nices = nice_of("storage-compact");
            if nices.contains(&want) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // Tests run in parallel: other engines' compactors (at the default 10)
        // may be listed too.
        assert!(
            nices.contains(&want),
            "compaction threads at nice {nices:?}, want {want}"
        );
        assert!(nice_of("storage-flush").iter().all(|n| *n == base));
        e.shutdown().expect("shutdown");
    }
}
