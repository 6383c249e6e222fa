//! The engine: one node's tables, the shared commit log, background flush
//! and compaction threads. Owns the write path (commit log, then memtable),
//! the read path (memtables + SSTables merged) and the table lifecycle.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Condvar, Mutex, RwLock};

use crate::commitlog::{self, CommitLog, Position};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::types::{
    Mutation, Partition, ReadCommand, ScanCommand, TableId, TableMap, TableOptions,
};

mod activity;
mod background;
mod backpressure;
mod compact;
mod flow;
mod read;
mod snapshot;
mod table;

pub use activity::{ActivityStats, PartitionEstimate};
pub use backpressure::Backpressure;
pub use snapshot::{check_tag as check_snapshot_tag, SnapshotInfo};
use table::Table;

/// Per-table statistics (nodetool tablestats).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableStats {
    /// Live SSTables.
    pub sstable_count: usize,
    /// Bytes of live SSTable data files.
    pub live_data_size: u64,
    /// Accounted bytes of the table's memtables (active and flushing).
    pub memtable_size: u64,
    /// Partitions in SSTables plus memtables (a partition present in
    /// several is counted in each).
    pub partition_count_estimate: u64,
    /// SSTables per level (leveled compaction; index = level).
    pub sstables_per_level: Vec<usize>,
    /// Tombstones (including expiring cells) counted in live SSTables.
    pub tombstone_count: u64,
    /// Compactions completed since open.
    pub compactions_completed: u64,
    /// Live commit-log segments (shared by all tables).
    pub commitlog_segments: usize,
    /// Tombstones and expired cells in live SSTables already past
    /// gc_grace (estimate from the SSTables' histograms).
    pub droppable_tombstone_estimate: u64,
}

/// One node's storage engine.
pub struct Engine {
    config: Config,
    commitlog: CommitLog,
    tables: RwLock<TableMap<Arc<Table>>>,
    next_generation: AtomicU64,
    memtable_total: AtomicUsize,
    shutdown: AtomicBool,
    /// Set when shutting down, before waiting for the background threads:
    /// a running compaction gives up (its outputs deleted, inputs kept)
    /// instead of holding the shutdown up for as long as it runs.
    stop_compactions: AtomicBool,
    poisoned: AtomicBool,
    bg: background::Workers,
    weak_self: Mutex<Weak<Engine>>,
    /// Writers over the memtable limit wait here until a flush frees memory
    /// (`wait_backpressure`); `sub_memtable` wakes them.
    memtable_freed: Condvar,
    memtable_wait: Mutex<()>,
    /// Flush, pacing and hard-limit marks (engine/flow.rs).
    limits: flow::Limits,
    pacer: flow::Pacer,
    /// Origin of the pacer's clock.
    epoch: std::time::Instant,
    /// Tables with a background flush queued or running, each with the
    /// bytes its active memtable held when the flush was asked for. A table
    /// flushes one memtable at a time (its commit-log discard relies on
    /// flushes finishing in order), so it is never queued twice.
    scheduled: Mutex<HashMap<TableId, usize>>,
    /// Sum of `scheduled`'s bytes: memory already on its way out, which
    /// does not count toward the cleanup threshold.
    scheduled_bytes: AtomicUsize,
    /// Flushes queued or running (background and explicit); compactions
    /// pause while it is non-zero (`compaction_yields_to_flush`).
    flushes: Arc<AtomicUsize>,
    /// Segment of the last append, to notice segment rolls cheaply.
    last_segment: AtomicU64,
    cache: Arc<crate::sstable::BlockCache>,
    activity: activity::Activity,
}

pub(crate) fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Engine {
    /// Opens (or creates) the engine: loads the SSTables of `tables`, replays
    /// the commit log into memtables (records of unlisted tables are
    /// skipped: they were dropped), flushes what was replayed, deletes the
    /// replayed segments, then starts the background threads.
    pub fn open(config: Config, tables: &[(TableId, TableOptions)]) -> Result<Arc<Engine>> {
        config.validate()?;
        for d in [&config.data_dir, &config.commitlog_dir] {
            std::fs::create_dir_all(d)
                .map_err(|e| Error::io(format!("create {}", d.display()), e))?;
        }
        let cache = Arc::new(crate::sstable::BlockCache::new(config.block_cache_size));
        let mut map = TableMap::default();
        for (id, opts) in tables {
            map.insert(
                *id,
                Arc::new(Table::open(
                    &config.data_dir,
                    *id,
                    opts.clone(),
                    Arc::clone(&cache),
                )?),
            );
        }
        let max_gen = map.values().map(|t| t.max_generation()).max().unwrap_or(0);
        let floors: HashMap<TableId, Position> =
            map.iter().map(|(id, t)| (*id, t.replay_floor())).collect();
        let mut skipped = 0u64;
        let stats = commitlog::replay(
            &config.commitlog_dir,
            config.commitlog_ignore_replay_errors,
            |pos, m| {
                match (map.get(&m.table), floors.get(&m.table)) {
                    (Some(t), Some(floor)) if pos > *floor => {
                        t.mem.read().active.apply(&m);
                    }
                    _ => skipped += 1,
                }
                Ok(())
            },
        )?;
        tracing::info!(
            records = stats.records,
            skipped,
            segments = stats.segments.len(),
            "commit log replayed"
        );
        let newest = floors.values().map(|p| p.segment).max().unwrap_or(0);
        let first_segment = stats.max_segment.max(newest) + 1;
        let log = CommitLog::open_with(
            &config.commitlog_dir,
            config.commitlog_segment_size,
            config.commitlog_sync,
            first_segment,
            config.commitlog_preallocate,
        )?;
        let limits = flow::Limits::new(&config);
        let engine = Arc::new(Engine {
            bg: background::Workers::default(),
            config,
            commitlog: log,
            tables: RwLock::new(map),
            next_generation: AtomicU64::new(max_gen + 1),
            memtable_total: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            stop_compactions: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            weak_self: Mutex::new(Weak::new()),
            memtable_freed: Condvar::new(),
            memtable_wait: Mutex::new(()),
            limits,
            pacer: flow::Pacer::default(),
            epoch: std::time::Instant::now(),
            scheduled: Mutex::new(HashMap::new()),
            scheduled_bytes: AtomicUsize::new(0),
            flushes: Arc::new(AtomicUsize::new(0)),
            last_segment: AtomicU64::new(first_segment),
            cache,
            activity: activity::Activity::default(),
        });
        *engine.weak_self.lock() = Arc::downgrade(&engine);
        // Replayed data goes to SSTables at once, so the old segments can go.
        let ids: Vec<TableId> = engine.tables.read().keys().copied().collect();
        for id in ids {
            engine.flush(id)?;
        }
        for path in &stats.segments {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(path = %path.display(), error = %e, "cannot delete replayed segment");
            }
        }
        engine.bg.start(&engine)?;
        if engine.config.auto_compaction {
            for id in engine.tables.read().keys() {
                engine.bg.submit(background::Job::Compact(*id));
            }
        }
        Ok(engine)
    }

    fn table(&self, id: TableId) -> Result<Arc<Table>> {
        self.tables
            .read()
            .get(&id)
            .cloned()
            .ok_or(Error::UnknownTable(id.0))
    }

    fn check_open(&self) -> Result<()> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        if self.poisoned.load(Ordering::Acquire) || self.commitlog.is_poisoned() {
            return Err(Error::Poisoned);
        }
        Ok(())
    }

    fn poison<T>(&self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if matches!(e, Error::Io { .. }) {
                tracing::error!(error = %e, "storage write failed; engine poisoned");
                self.poisoned.store(true, Ordering::Release);
            }
        }
        r
    }

    pub(crate) fn next_generation(&self) -> u64 {
        self.next_generation.fetch_add(1, Ordering::SeqCst)
    }

    /// Registers a new, empty table (creates its directory).
    pub fn create_table(&self, id: TableId, opts: TableOptions) -> Result<()> {
        self.check_open()?;
        let mut tables = self.tables.write();
        if tables.contains_key(&id) {
            return Err(Error::TableExists(id.0));
        }
        let t = Table::open(&self.config.data_dir, id, opts, Arc::clone(&self.cache))?;
        let max = t.max_generation();
        self.next_generation.fetch_max(max + 1, Ordering::SeqCst);
        tables.insert(id, Arc::new(t));
        Ok(())
    }

    /// Changes a table's options (compaction, bloom fp chance, gc grace);
    /// new SSTables use them, a compaction check runs with the new strategy.
    pub fn alter_table(&self, id: TableId, opts: TableOptions) -> Result<()> {
        opts.validate()?;
        let t = self.table(id)?;
        *t.opts.write() = opts;
        if self.config.auto_compaction {
            self.bg.submit(background::Job::Compact(id));
        }
        Ok(())
    }

    /// Forgets a table and deletes its directory.
    pub fn drop_table(&self, id: TableId) -> Result<()> {
        let t = self
            .tables
            .write()
            .remove(&id)
            .ok_or(Error::UnknownTable(id.0))?;
        t.dropped.store(true, Ordering::Release);
        let _g = t.flush_lock.lock();
        let freed = t.memtable_size();
        self.sub_memtable(freed);
        for s in &t.version.read().sstables {
            s.mark_obsolete();
        }
        self.commitlog.forget_table(id);
        match std::fs::remove_dir_all(&t.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("delete {}", t.dir.display()), e)),
        }
    }

    /// Deletes all data of a table; it stays defined. Durable on return.
    pub fn truncate(&self, id: TableId) -> Result<()> {
        self.check_open()?;
        let t = self.table(id)?;
        // The commit log must hold everything appended so far on disk
        // before the TRUNCATED marker names a position in it.
        self.poison(self.commitlog.sync())?;
        let (freed, pos) = self.poison(t.truncate(|| self.commitlog.current_position()))?;
        self.sub_memtable(freed);
        self.commitlog.discard_completed(id, pos);
        Ok(())
    }

    fn sub_memtable(&self, n: usize) {
        let _ = self
            .memtable_total
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
        // Taking the lock orders this wake-up after any waiter's check of the total.
        drop(self.memtable_wait.lock());
        self.memtable_freed.notify_all();
    }

    /// Applies a mutation: commit-log append, then memtable insert, then any
    /// backpressure (pacing, or a wait for a flush past the budget) on the
    /// calling thread. Blocking: in batch and group sync modes it also returns
    /// only after the covering fsync (a concurrent reader may see the write
    /// slightly before that).
    pub fn apply(&self, m: &Mutation) -> Result<()> {
        let debt = self.apply_deferred(m)?;
        self.wait_backpressure(debt);
        Ok(())
    }

    /// [`Engine::apply`] without the backpressure wait: the write is applied
    /// (and, in batch and group modes, durable) on return, and the caller owes
    /// the returned [`Backpressure`] before acknowledging it. For callers that
    /// must not sleep on their thread (async workers); they report the wait
    /// with [`Engine::note_backpressure`].
    pub fn apply_deferred(&self, m: &Mutation) -> Result<Backpressure> {
        self.check_open()?;
        let t = self.table(m.table)?;
        let (pos, added) = {
            // Holding the read lock keeps a flush from switching memtables
            // between our append and our insert.
            let mem = t.mem.read();
            let pos = self.commitlog.append(m)?;
            (pos, mem.active.apply(m))
        };
        if self.last_segment.swap(pos.segment, Ordering::Relaxed) != pos.segment {
            self.check_commitlog_space();
        }
        let total = self.memtable_total.fetch_add(added, Ordering::Relaxed) + added;
        // Look for a flush to start each time the total crosses a step (1/64
        // of the budget), not on every write: picking the biggest memtable
        // takes locks.
        let step = (self.limits.hard / 64).max(1);
        if (total as u64) / step != (total.saturating_sub(added) as u64) / step {
            self.maybe_flush();
        }
        let debt = self.backpressure(added, total as u64);
        self.commitlog.wait_durable(pos)?;
        Ok(debt)
    }

    /// True when [`Engine::apply_deferred`] may block the calling thread for
    /// long: the sync mode waits for an fsync (batch, group). In periodic mode
    /// an apply is a memory copy and a memtable insert, cheap enough to run on
    /// an async worker (backpressure is the caller's to wait out).
    pub fn apply_may_block(&self) -> bool {
        !matches!(
            self.config.commitlog_sync,
            crate::config::SyncMode::Periodic { .. }
        )
    }

    /// Flushes the biggest memtable when memtables not already flushing
    /// hold more than the cleanup threshold (Cassandra's
    /// `memtable_cleanup_threshold`). If the biggest one's table is already
    /// flushing, nothing starts: its flush re-checks when it finishes, and
    /// flushing a smaller table instead would only make tiny SSTables.
    fn maybe_flush(&self) {
        let total = self.memtable_total.load(Ordering::Relaxed) as u64;
        let flushing = self.scheduled_bytes.load(Ordering::Relaxed) as u64;
        if !self.limits.needs_flush(total, flushing) {
            return;
        }
        let biggest = self
            .tables
            .read()
            .values()
            .max_by_key(|t| t.mem.read().active.size())
            .cloned();
        if let Some(t) = biggest {
            self.request_flush(&t);
        }
    }

    /// Queues a background flush of `t` unless one is queued or running.
    fn request_flush(&self, t: &Table) {
        let mut scheduled = self.scheduled.lock();
        if scheduled.contains_key(&t.id) {
            return;
        }
        let size = t.mem.read().active.size();
        if size == 0 {
            return;
        }
        scheduled.insert(t.id, size);
        self.scheduled_bytes.fetch_add(size, Ordering::Relaxed);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        drop(scheduled);
        self.bg.submit(background::Job::Flush(t.id));
    }

    /// A queued flush (`request_flush`), run by a flush thread: flushes,
    /// releases the table's reservation, then looks for the next flush.
    pub(crate) fn background_flush(&self, id: TableId) -> Result<()> {
        let r = self.flush(id);
        if let Some(size) = self.scheduled.lock().remove(&id) {
            let _ = self
                .scheduled_bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                    Some(v.saturating_sub(size))
                });
            self.flushes.fetch_sub(1, Ordering::Relaxed);
        }
        if r.is_ok() {
            self.maybe_flush();
        }
        r
    }

    /// After a segment roll: if the log is over its space budget, flush the
    /// tables that pin the oldest segment.
    fn check_commitlog_space(&self) {
        let live = self.commitlog.live_segments() as u64;
        if live.saturating_mul(self.config.commitlog_segment_size)
            <= self.config.commitlog_total_space
        {
            return;
        }
        for id in self.commitlog.oldest_segment_tables() {
            if let Ok(t) = self.table(id) {
                self.request_flush(&t);
            }
        }
    }

    /// Flushes, with what writers waited so far, for the node log: the
    /// timeline of a long run (benches/longrun.sh) against its stalls.
    fn log_flush(&self, id: TableId, freed: usize, took: std::time::Duration) {
        let a = self.activity.stats();
        let (log_waits, log_wait_nanos) = self.commitlog.append_wait_stats();
        tracing::info!(
            table = %id.0,
            freed,
            took_ms = took.as_millis() as u64,
            flush_rate = self.pacer.flush_rate(),
            memtables = self.memtable_total.load(Ordering::Relaxed),
            paced_writes = a.paced_writes,
            paced_ms = a.paced_nanos / 1_000_000,
            blocked_writes = a.blocked_writes,
            blocked_ms = a.blocked_nanos / 1_000_000,
            commitlog_append_waits = log_waits,
            commitlog_append_wait_ms = log_wait_nanos / 1_000_000,
            "flush done"
        );
    }

    /// Reads one partition's merged live view; `None` if nothing is live.
    pub fn read(&self, cmd: &ReadCommand) -> Result<Option<Partition>> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        read::read(&*self.table(cmd.table)?, cmd)
    }

    /// Scans partitions in (token, key) order from `cmd.start` up to
    /// `cmd.end_token`, stopping at the row / partition limits. To page,
    /// start the next scan `AfterPartition` of the last partition returned
    /// (or `AfterRow` if the row limit cut a partition short).
    pub fn scan(&self, cmd: &ScanCommand) -> Result<Vec<Partition>> {
        if self.shutdown.load(Ordering::Acquire) {
            return Err(Error::Shutdown);
        }
        read::scan(&*self.table(cmd.table)?, cmd)
    }

    /// Flushes a table's memtable to an SSTable and waits for it.
    pub fn flush(&self, table: TableId) -> Result<()> {
        self.check_open()?;
        let t = self.table(table)?;
        let began = std::time::Instant::now();
        self.flushes.fetch_add(1, Ordering::Relaxed);
        let r = t.flush(
            || self.next_generation(),
            || self.commitlog.current_position(),
            self.config.sstable_block_size,
            now_seconds(),
        );
        self.flushes.fetch_sub(1, Ordering::Relaxed);
        let (freed, upto) = self.poison(r)?;
        self.sub_memtable(freed);
        if freed > 0 {
            self.activity.flushed(freed);
        }
        // Small flushes (system tables, nodetool flush of a quiet table) are
        // dominated by fixed costs and would make the pacer think flushing
        // is slow.
        if freed as u64 >= self.limits.cleanup / 4 {
            self.pacer.record_flush(freed, began.elapsed());
        }
        if freed > 0 {
            self.log_flush(table, freed, began.elapsed());
        }
        self.commitlog.discard_completed(table, upto);
        if freed > 0 && self.config.auto_compaction {
            self.bg.submit(background::Job::Compact(table));
        }
        Ok(())
    }

    /// Flushes every table.
    pub fn flush_all(&self) -> Result<()> {
        let ids: Vec<TableId> = self.tables.read().keys().copied().collect();
        for id in ids {
            match self.flush(id) {
                Ok(()) | Err(Error::UnknownTable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Major compaction: merges all of a table's SSTables that are not being
    /// compacted in the background; blocks until done.
    pub fn compact(&self, table: TableId) -> Result<()> {
        self.compact_at(table, now_seconds() as i32)
    }

    /// Major compaction as if the clock read `now_seconds` (decides which
    /// tombstones and expired cells are past gc_grace). For tests and tools.
    pub fn compact_at(&self, table: TableId, now_seconds: i32) -> Result<()> {
        self.check_open()?;
        let t = self.table(table)?;
        compact::major(self, &t, now_seconds)
    }

    /// Statistics of one table.
    pub fn table_stats(&self, table: TableId) -> Result<TableStats> {
        let t = self.table(table)?;
        let (mts, version) = t.snapshot();
        let mut per_level = Vec::new();
        for s in &version.sstables {
            let l = s.stats.level as usize;
            if per_level.len() <= l {
                per_level.resize(l + 1, 0);
            }
            if let Some(c) = per_level.get_mut(l) {
                *c += 1;
            }
        }
        Ok(TableStats {
            sstable_count: version.sstables.len(),
            live_data_size: version.live_data_size(),
            memtable_size: mts.iter().map(|m| m.size() as u64).sum(),
            partition_count_estimate: version
                .sstables
                .iter()
                .map(|s| s.stats.partition_count)
                .sum::<u64>()
                + mts.iter().map(|m| m.len() as u64).sum::<u64>(),
            sstables_per_level: per_level,
            tombstone_count: version
                .sstables
                .iter()
                .map(|s| s.stats.tombstone_count)
                .sum(),
            compactions_completed: t.compactions_completed.load(Ordering::Relaxed),
            commitlog_segments: self.commitlog.live_segments(),
            droppable_tombstone_estimate: {
                let grace = t.opts.read().gc_grace_seconds.min(i32::MAX as u32) as i32;
                let gc_before = (now_seconds() as i32).saturating_sub(grace);
                version
                    .sstables
                    .iter()
                    .map(|s| s.stats.droppable_tombstones(gc_before))
                    .sum()
            },
        })
    }

    /// Flush, compaction, background-queue and commit-log counters since open.
    pub fn activity(&self) -> ActivityStats {
        let (syncs, sync_nanos) = self.commitlog.sync_stats();
        let (pending_flushes, pending_compactions) = self.bg.pending();
        ActivityStats {
            pending_flushes,
            pending_compactions,
            commitlog_syncs: syncs,
            commitlog_sync_nanos: sync_nanos,
            commitlog_bytes: self.commitlog.disk_bytes(),
            ..self.activity.stats()
        }
    }

    /// Ids of the open tables.
    pub fn table_ids(&self) -> Vec<TableId> {
        self.tables.read().keys().copied().collect()
    }

    /// Flushes all memtables, syncs the commit log and stops the background
    /// threads. Further calls return `Error::Shutdown`. A restart after a
    /// clean shutdown replays nothing.
    pub fn shutdown(&self) -> Result<()> {
        if self.shutdown.load(Ordering::Acquire) {
            return Ok(());
        }
        self.stop_compactions.store(true, Ordering::Release);
        self.bg.stop();
        let flushed = if self.poisoned.load(Ordering::Acquire) {
            Ok(())
        } else {
            self.flush_all()
        };
        self.shutdown.store(true, Ordering::Release);
        let synced = self.commitlog.shutdown();
        flushed.and(synced)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop_compactions.store(true, Ordering::Release);
        self.bg.stop();
        let _ = self.commitlog.shutdown();
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod model_tests;

#[cfg(test)]
mod flow_tests;
