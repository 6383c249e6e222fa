//! The commit-log writer. Appenders encode their record outside any lock,
//! then copy it into an in-memory buffer under a short mutex: no syscall per
//! mutation. One thread at a time (the background thread, or in batch mode
//! the first waiter) writes the buffer to the segment file and fsyncs it;
//! everyone whose record the fsync covered is woken (group commit).
//!
//! Segments are preallocated: the background thread zero-fills a spare file
//! of the segment size (`CommitLog-spare.tmp`, ignored by replay) and fsyncs
//! it, and the next segment is that file renamed. Records are then written
//! at explicit offsets inside blocks that already exist, so an fsync flushes
//! data only, not the file size and block allocation too (a batch-mode
//! fsync costs less). Replay reads the zeroes after the last record as a
//! clean end (`record::next_record`). A clean shutdown trims the unused tail.
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::record::{encode_record, segment_header, HEADER_LEN};
use super::{segment_path, Position};
use crate::config::SyncMode;
use crate::error::{Error, Result};
use crate::types::{Mutation, TableId};

/// Pending bytes past which an appender writes the buffer out itself if the
/// I/O lock is free, so the buffer stays small when the background thread
/// falls behind.
const MAX_PENDING: usize = 8 << 20;
/// Pending bytes past which an appender waits for the I/O lock to write the
/// buffer out, so memory stays bounded. Below it an appender never waits: the
/// background thread holds the I/O lock across its fsyncs (100-300 ms on the
/// test VM while a flush writes), and an appender is a request thread (the
/// node's only one when it runs on one core).
const HARD_PENDING: usize = 64 << 20;
/// Largest written-out pending buffer kept for reuse (`State::spare_buf`).
const MAX_SPARE_BUF: usize = 16 << 20;
/// Largest per-thread record-encoding buffer kept between appends.
const MAX_KEPT_ENCODE_BUF: usize = 1 << 20;

thread_local! {
    /// Where `append` encodes a record before copying it under the lock: encoding
    /// stays outside the lock without a malloc and free per mutation.
    static ENCODE_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How often the periodic-mode thread hands the buffer to the OS, so a
/// process crash (not a machine crash) loses at most this much.
const WRITE_INTERVAL: Duration = Duration::from_millis(10);

struct State {
    segment: u64,
    offset: u64,
    pending: Vec<(u64, Vec<u8>)>,
    pending_bytes: usize,
    /// A written-out pending buffer kept for the next interval: a fresh one would
    /// be regrown (and its pages faulted in) every 10 ms under a steady load.
    spare_buf: Vec<u8>,
    appended: Position,
    /// Handed to the OS (written to the file).
    written: Position,
    synced: Position,
    syncing: bool,
    poisoned: bool,
    shutdown: bool,
    /// Per live segment: tables with unflushed records and the end offset of
    /// their last record there.
    dirty: BTreeMap<u64, HashMap<TableId, u64>>,
}

/// The segment being written: id, file, bytes written to it.
struct Io {
    file: Option<(u64, File, u64)>,
}

/// Name of the preallocated file the next segment is renamed from.
const SPARE: &str = "CommitLog-spare.tmp";

/// Zeroes `size` bytes of `path` (created or truncated) and fsyncs it.
fn zero_filled(path: &Path, size: u64) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)?;
    let chunk = vec![0u8; 1 << 20];
    let mut done = 0;
    while done < size {
        let n = (size - done).min(chunk.len() as u64);
        f.write_all_at(chunk.get(..n as usize).unwrap_or_default(), done)?;
        done += n;
    }
    f.sync_all()?;
    Ok(f)
}

struct Shared {
    dir: PathBuf,
    segment_size: u64,
    mode: SyncMode,
    preallocate: bool,
    /// A zero-filled file ready to become the next segment.
    spare: Mutex<Option<File>>,
    state: Mutex<State>,
    cond: Condvar,
    io: Mutex<Io>,
    /// fsyncs done and nanoseconds spent in them (node metrics).
    syncs: AtomicU64,
    sync_nanos: AtomicU64,
    /// Appends that waited for the I/O lock past `HARD_PENDING`, and the
    /// nanoseconds they waited (the node log's flush lines).
    append_waits: AtomicU64,
    append_wait_nanos: AtomicU64,
}

/// The node's commit log (one for all tables).
pub struct CommitLog {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl CommitLog {
    /// Starts a fresh segment `first_segment` in `dir` and the sync thread,
    /// without preallocating segments.
    pub fn open(
        dir: &Path,
        segment_size: u64,
        mode: SyncMode,
        first_segment: u64,
    ) -> Result<CommitLog> {
        Self::open_with(dir, segment_size, mode, first_segment, false)
    }

    /// `open`, preallocating segments when `preallocate` (see the module
    /// docs). The first segment's file is zero-filled here, before the log
    /// takes writes.
    pub fn open_with(
        dir: &Path,
        segment_size: u64,
        mode: SyncMode,
        first_segment: u64,
        preallocate: bool,
    ) -> Result<CommitLog> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        // A spare left by a crash is never a segment: start from scratch.
        let spare_path = dir.join(SPARE);
        match std::fs::remove_file(&spare_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("delete {}", spare_path.display()), e)),
        }
        let start = Position {
            segment: first_segment,
            offset: HEADER_LEN,
        };
        let mut dirty = BTreeMap::new();
        dirty.insert(first_segment, HashMap::new());
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            segment_size,
            mode,
            preallocate,
            spare: Mutex::new(None),
            state: Mutex::new(State {
                segment: first_segment,
                offset: HEADER_LEN,
                pending: vec![(first_segment, segment_header(first_segment))],
                pending_bytes: HEADER_LEN as usize,
                spare_buf: Vec::new(),
                appended: start,
                written: start,
                synced: start,
                syncing: false,
                poisoned: false,
                shutdown: false,
                dirty,
            }),
            syncs: AtomicU64::new(0),
            sync_nanos: AtomicU64::new(0),
            append_waits: AtomicU64::new(0),
            append_wait_nanos: AtomicU64::new(0),
            cond: Condvar::new(),
            io: Mutex::new(Io { file: None }),
        });
        shared.prepare_spare()?;
        let bg = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("commitlog-sync".into())
            .spawn(move || bg.background())
            .map_err(|e| Error::io("spawn commitlog thread", e))?;
        Ok(CommitLog {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Appends a record; returns the position just past it. Durability
    /// depends on the sync mode: call `wait_durable` before acknowledging.
    pub fn append(&self, m: &Mutation) -> Result<Position> {
        ENCODE_BUF.with_borrow_mut(|rec| {
            rec.clear();
            encode_record(rec, m);
            let pos = self.append_encoded(m, rec);
            // Do not keep a huge record's buffer around per thread.
            if rec.capacity() > MAX_KEPT_ENCODE_BUF {
                *rec = Vec::new();
            }
            pos
        })
    }

    /// Appends an encoded record of `m`.
    fn append_encoded(&self, m: &Mutation, rec: &[u8]) -> Result<Position> {
        if rec.len() > super::record::MAX_RECORD as usize {
            return Err(Error::InvalidRequest(format!(
                "mutation of {} bytes exceeds the {} byte commit-log record limit",
                rec.len(),
                super::record::MAX_RECORD
            )));
        }
        let s = &self.shared;
        let (pos, pending) = {
            let mut st = s.state.lock();
            if st.poisoned {
                return Err(Error::Poisoned);
            }
            if st.shutdown {
                return Err(Error::Shutdown);
            }
            if st.offset + rec.len() as u64 > s.segment_size && st.offset > HEADER_LEN {
                let next = st.segment + 1;
                st.segment = next;
                st.offset = HEADER_LEN;
                let mut buf = std::mem::take(&mut st.spare_buf);
                buf.extend_from_slice(&segment_header(next));
                st.pending.push((next, buf));
                st.pending_bytes += HEADER_LEN as usize;
                st.dirty.insert(next, HashMap::new());
            }
            let seg = st.segment;
            match st.pending.last_mut() {
                Some((s, buf)) if *s == seg => buf.extend_from_slice(rec),
                _ => {
                    let mut buf = std::mem::take(&mut st.spare_buf);
                    buf.extend_from_slice(rec);
                    st.pending.push((seg, buf));
                }
            }
            st.offset += rec.len() as u64;
            st.pending_bytes += rec.len();
            let pos = Position {
                segment: seg,
                offset: st.offset,
            };
            st.appended = pos;
            st.dirty.entry(seg).or_default().insert(m.table, pos.offset);
            (pos, st.pending_bytes)
        };
        if pending > MAX_PENDING && matches!(s.mode, SyncMode::Periodic { .. }) {
            if let Some(mut io) = s.io.try_lock() {
                s.write_out_locked(&mut io, false)?;
            } else if pending > HARD_PENDING {
                let began = Instant::now();
                s.write_out(false)?;
                let nanos = u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX);
                s.append_waits.fetch_add(1, Ordering::Relaxed);
                s.append_wait_nanos.fetch_add(nanos, Ordering::Relaxed);
            }
        }
        Ok(pos)
    }

    /// Blocks until `pos` is as durable as the sync mode promises: no wait in
    /// periodic mode; fsynced in batch and group modes.
    pub fn wait_durable(&self, pos: Position) -> Result<()> {
        let s = &self.shared;
        match s.mode {
            SyncMode::Periodic { .. } => Ok(()),
            SyncMode::Batch => s.wait_synced(pos, true),
            SyncMode::Group { .. } => s.wait_synced(pos, false),
        }
    }

    /// Writes and fsyncs everything appended so far.
    pub fn sync(&self) -> Result<()> {
        self.shared.write_out(true)
    }

    /// Position just past the last appended record.
    pub fn current_position(&self) -> Position {
        self.shared.state.lock().appended
    }

    /// Records that `table` has flushed everything up to `upto`, and deletes
    /// segments no table needs any more.
    pub fn discard_completed(&self, table: TableId, upto: Position) {
        self.shared.discard(Some(table), upto);
    }

    /// Forgets a dropped or truncated table's records.
    pub fn forget_table(&self, table: TableId) {
        let upto = self.current_position();
        self.shared.discard(Some(table), upto);
    }

    /// Tables with unflushed records in the oldest live segment.
    pub fn oldest_segment_tables(&self) -> Vec<TableId> {
        let st = self.shared.state.lock();
        st.dirty
            .values()
            .next()
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default()
    }

    /// (fsyncs, nanoseconds spent in them) since open.
    pub fn sync_stats(&self) -> (u64, u64) {
        (
            self.shared.syncs.load(Ordering::Relaxed),
            self.shared.sync_nanos.load(Ordering::Relaxed),
        )
    }

    /// (appends that waited for the I/O lock, nanoseconds they waited) since
    /// open: nonzero only when the pending buffer passed `HARD_PENDING`.
    pub fn append_wait_stats(&self) -> (u64, u64) {
        (
            self.shared.append_waits.load(Ordering::Relaxed),
            self.shared.append_wait_nanos.load(Ordering::Relaxed),
        )
    }

    /// Bytes of the segment files on disk (the kept ones and the one being written).
    pub fn disk_bytes(&self) -> u64 {
        super::list_segments(&self.shared.dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|(_, p)| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Number of segment files currently kept.
    pub fn live_segments(&self) -> usize {
        self.shared.state.lock().dirty.len()
    }

    /// Writes and fsyncs the buffer, stops the sync thread, and gives back
    /// preallocated space: the spare is deleted and the current segment cut
    /// to its records (replay would read the zeroes as a clean end anyway;
    /// this just frees the disk).
    pub fn shutdown(&self) -> Result<()> {
        self.shared.state.lock().shutdown = true;
        self.shared.cond.notify_all();
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
        self.shared.write_out(true)?;
        self.shared.trim()
    }

    /// True once a write or fsync has failed.
    pub fn is_poisoned(&self) -> bool {
        self.shared.state.lock().poisoned
    }
}

impl Drop for CommitLog {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl Shared {
    fn background(&self) {
        let (write_every, sync_every) = match self.mode {
            SyncMode::Periodic { period } => (WRITE_INTERVAL.min(period), period),
            SyncMode::Group { window } => (window, window),
            // Batch mode: writers sync themselves; the thread only bounds
            // how long a buffer can sit unwritten.
            SyncMode::Batch => (WRITE_INTERVAL, Duration::from_secs(3600)),
        };
        let mut last_sync = Instant::now();
        loop {
            {
                let mut st = self.state.lock();
                if st.shutdown {
                    return;
                }
                self.cond.wait_for(&mut st, write_every);
                if st.shutdown {
                    return;
                }
            }
            let sync = last_sync.elapsed() >= sync_every;
            if sync {
                last_sync = Instant::now();
            }
            if let Err(e) = self.write_out(sync) {
                tracing::error!(error = %e, "commit log write failed; engine poisoned");
                return;
            }
            if let Err(e) = self.prepare_spare() {
                // Not fatal: segments are then created on demand, unallocated.
                tracing::warn!(error = %e, "cannot preallocate a commit-log segment");
            }
        }
    }

    /// Zero-fills the spare segment file if preallocation is on and there is
    /// no spare. Runs on the sync thread (and once in `open`), outside the
    /// I/O lock: appends and fsyncs go on meanwhile.
    fn prepare_spare(&self) -> Result<()> {
        if !self.preallocate || self.spare.lock().is_some() {
            return Ok(());
        }
        let path = self.dir.join(SPARE);
        let f = zero_filled(&path, self.segment_size)
            .map_err(|e| Error::io(format!("preallocate {}", path.display()), e))?;
        *self.spare.lock() = Some(f);
        Ok(())
    }

    /// Opens segment `seg` for writing: the spare renamed if there is one,
    /// else a new empty file.
    fn open_segment(&self, seg: u64) -> Result<File> {
        let path = segment_path(&self.dir, seg);
        if let Some(f) = self.spare.lock().take() {
            std::fs::rename(self.dir.join(SPARE), &path)
                .map_err(|e| Error::io(format!("rename spare to {}", path.display()), e))?;
            return Ok(f);
        }
        OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("create {}", path.display()), e))
    }

    /// Cuts the current segment to its written bytes and deletes the spare.
    fn trim(&self) -> Result<()> {
        if let Some(f) = self.spare.lock().take() {
            drop(f);
            let path = self.dir.join(SPARE);
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(format!("delete {}", path.display()), e))?;
        }
        let io = self.io.lock();
        if let Some((seg, f, written)) = io.file.as_ref() {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len > *written {
                f.set_len(*written)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| {
                        Error::io(
                            format!("trim {}", segment_path(&self.dir, *seg).display()),
                            e,
                        )
                    })?;
            }
        }
        Ok(())
    }

    fn wait_synced(&self, pos: Position, lead: bool) -> Result<()> {
        let mut st = self.state.lock();
        loop {
            if st.poisoned {
                return Err(Error::Poisoned);
            }
            if st.synced >= pos {
                return Ok(());
            }
            if lead && !st.syncing {
                // Become the leader of the next group commit.
                st.syncing = true;
                drop(st);
                let r = self.write_out(true);
                st = self.state.lock();
                st.syncing = false;
                self.cond.notify_all();
                r?;
            } else {
                self.cond.wait(&mut st);
            }
        }
    }

    /// Moves pending bytes to the segment files, fsyncing when `sync`.
    fn write_out(&self, sync: bool) -> Result<()> {
        self.write_out_locked(&mut self.io.lock(), sync)
    }

    /// `write_out` with the I/O lock already held.
    fn write_out_locked(&self, io: &mut Io, sync: bool) -> Result<()> {
        let (chunks, target) = {
            let mut st = self.state.lock();
            if st.poisoned {
                return Err(Error::Poisoned);
            }
            st.pending_bytes = 0;
            (std::mem::take(&mut st.pending), st.appended)
        };
        let result = self.write_chunks(io, &chunks, sync);
        let mut st = self.state.lock();
        if let Some((_, mut buf)) = chunks.into_iter().max_by_key(|(_, b)| b.capacity()) {
            if buf.capacity() <= MAX_SPARE_BUF && buf.capacity() > st.spare_buf.capacity() {
                buf.clear();
                st.spare_buf = buf;
            }
        }
        match result {
            Ok(()) => {
                if target > st.written {
                    st.written = target;
                }
                if sync && target > st.synced {
                    st.synced = target;
                }
                self.cond.notify_all();
                Ok(())
            }
            Err(e) => {
                st.poisoned = true;
                self.cond.notify_all();
                Err(e)
            }
        }
    }

    fn write_chunks(&self, io: &mut Io, chunks: &[(u64, Vec<u8>)], sync: bool) -> Result<()> {
        for &(seg, ref data) in chunks {
            let same = matches!(&io.file, Some((s, _, _)) if *s == seg);
            if !same {
                if let Some((old, f, _)) = io.file.take() {
                    // A finished segment is always made durable before the
                    // next one starts, so only the last can have a torn tail.
                    f.sync_data().map_err(|e| {
                        Error::io(
                            format!("fsync {}", segment_path(&self.dir, old).display()),
                            e,
                        )
                    })?;
                }
                let f = self.open_segment(seg)?;
                crate::sstable::fsync_dir(&self.dir)?;
                io.file = Some((seg, f, 0));
            }
            if let Some((s, f, written)) = io.file.as_mut() {
                // Positional writes: a preallocated file is already full
                // length, so appending would write past the zeroes.
                f.write_all_at(data, *written).map_err(|e| {
                    Error::io(
                        format!("write {}", segment_path(&self.dir, *s).display()),
                        e,
                    )
                })?;
                *written += data.len() as u64;
            }
        }
        if sync {
            if let Some((s, f, _)) = io.file.as_ref() {
                let started = std::time::Instant::now();
                f.sync_data().map_err(|e| {
                    Error::io(
                        format!("fsync {}", segment_path(&self.dir, *s).display()),
                        e,
                    )
                })?;
                let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                self.syncs.fetch_add(1, Ordering::Relaxed);
                self.sync_nanos.fetch_add(nanos, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn discard(&self, table: Option<TableId>, upto: Position) {
        let mut doomed = Vec::new();
        {
            let mut st = self.state.lock();
            // Only segments fully handed to the OS may go: a pending chunk
            // of a deleted segment would re-create its file.
            let current = st.written.segment;
            for (seg, tables) in st.dirty.iter_mut() {
                if let Some(t) = table {
                    let clean = match tables.get(&t) {
                        Some(off) => {
                            *seg < upto.segment || (*seg == upto.segment && *off <= upto.offset)
                        }
                        None => false,
                    };
                    if clean {
                        tables.remove(&t);
                    }
                }
                if tables.is_empty() && *seg < current && *seg < upto.segment {
                    doomed.push(*seg);
                }
            }
            for seg in &doomed {
                st.dirty.remove(seg);
            }
        }
        for seg in doomed {
            let path = segment_path(&self.dir, seg);
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::debug!(path = %path.display(), "commit-log segment deleted"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot delete segment")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitlog::test_mutation as m;
    use crate::commitlog::{list_segments, replay};

    fn copy_dir(from: &Path, to: &Path) {
        for e in std::fs::read_dir(from).expect("list") {
            let e = e.expect("entry");
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }

    fn tokens(dir: &Path) -> (Vec<i64>, bool) {
        let mut seen = Vec::new();
        let stats = replay(dir, false, |_, m| {
            seen.push(m.token);
            Ok(())
        })
        .expect("replay");
        (seen, stats.torn_tail)
    }

    #[test]
    fn preallocated_segments_replay_cleanly_and_are_trimmed_at_shutdown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let size = 64 << 10;
        let log = CommitLog::open_with(dir.path(), size, SyncMode::Batch, 1, true).expect("open");
        // ~120 bytes a record: about 540 fill a segment; 1500 span three.
        let append = |tokens: std::ops::Range<i64>| {
            for t in tokens {
                let pos = log.append(&m(t)).expect("append");
                log.wait_durable(pos).expect("durable");
            }
        };
        append(0..1500);
        // The sync thread zero-fills the next spare in the background; on a loaded
        // machine a roll can come before it is ready and open an empty segment
        // instead (by design: a writer never waits for zero-filling). Wait for the
        // spare, then write past the next roll, so the open segment is a spare.
        let ready = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while log.shared.spare.lock().is_none() {
            assert!(std::time::Instant::now() < ready, "no spare after 60 s");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let rolled_from = list_segments(dir.path()).expect("list").len();
        let mut next = 1500;
        while list_segments(dir.path()).expect("list").len() == rolled_from {
            append(next..next + 10);
            next += 10;
        }
        let segs = list_segments(dir.path()).expect("list");
        assert!(segs.len() >= 3, "segments: {segs:?}");
        let (_, last) = segs.last().expect("a segment");
        assert_eq!(
            std::fs::metadata(last).expect("stat").len(),
            size,
            "the open segment is preallocated to the segment size"
        );

        // A crash now leaves zero-filled tails (and maybe a spare): replay
        // sees every record and no damage.
        let crashed = tempfile::tempdir().expect("tempdir");
        copy_dir(dir.path(), crashed.path());
        let (seen, torn) = tokens(crashed.path());
        assert_eq!(seen, (0..next).collect::<Vec<_>>());
        assert!(!torn, "zero fill is a clean end, not a torn record");

        log.shutdown().expect("shutdown");
        assert!(!dir.path().join(SPARE).exists(), "spare deleted");
        let segs = list_segments(dir.path()).expect("list");
        let (_, last) = segs.last().expect("a segment");
        assert!(
            std::fs::metadata(last).expect("stat").len() < size,
            "tail trimmed"
        );
        let (seen, torn) = tokens(dir.path());
        assert_eq!(seen, (0..next).collect::<Vec<_>>());
        assert!(!torn);
    }

    #[test]
    fn periodic_appends_do_not_wait_for_a_held_io_lock_below_the_hard_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let period = Duration::from_secs(3600);
        let log = Arc::new(
            CommitLog::open_with(dir.path(), 1 << 30, SyncMode::Periodic { period }, 1, false)
                .expect("open"),
        );
        // Another thread holds the I/O lock, as the sync thread does across a
        // slow fsync, until the appends below are done (or a minute passes).
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let _io = log.shared.io.lock();
                held_tx.send(()).expect("send");
                done_rx.recv_timeout(Duration::from_secs(60)).is_ok()
            })
        };
        held_rx.recv().expect("lock held");
        // Past MAX_PENDING (8 MiB), under HARD_PENDING (64 MiB).
        let mut pos = Position::default();
        while log.shared.state.lock().pending_bytes < 12 << 20 {
            pos = log.append(&m(7)).expect("append");
        }
        done_tx.send(()).expect("send");
        assert!(
            holder.join().expect("holder"),
            "appends waited for the I/O lock"
        );
        assert_eq!(log.append_wait_stats().0, 0);
        log.sync().expect("sync");
        assert!(log.shared.state.lock().synced >= pos);
        drop(log);
        let (seen, torn) = tokens(dir.path());
        assert!(seen.len() > 50_000 && seen.iter().all(|t| *t == 7));
        assert!(!torn);
    }

    #[test]
    fn leftover_spare_is_not_a_segment() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SPARE), vec![0u8; 4096]).expect("write");
        let log =
            CommitLog::open_with(dir.path(), 64 << 10, SyncMode::Batch, 5, false).expect("open");
        assert!(!dir.path().join(SPARE).exists());
        let pos = log.append(&m(1)).expect("append");
        log.wait_durable(pos).expect("durable");
        log.shutdown().expect("shutdown");
        assert_eq!(tokens(dir.path()).0, vec![1]);
    }
}
