//! Running compactions for the engine: picking tasks with the table's
//! strategy, executing them, and swapping outputs for inputs in the version
//! set once the outputs are durable.
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::table::Table;
use super::{now_seconds, Engine};
use crate::compaction::{run_compaction, CompactionConfig, Job, SstableInfo, Throttle};
use crate::error::{Error, Result};
use crate::memtable::Memtable;
use crate::sstable::SsTable;
use crate::version::Version;

fn info(t: &SsTable) -> SstableInfo {
    let s = &t.stats;
    SstableInfo {
        generation: t.generation(),
        size: s.data_size,
        level: s.level,
        min_timestamp: s.min_timestamp,
        max_timestamp: s.max_timestamp,
        first: (s.first_token, s.first_key.to_vec()),
        last: (s.last_token, s.last_key.to_vec()),
    }
}

/// Unregisters generations from the table's compacting set on drop.
struct Registered<'a> {
    table: &'a Table,
    gens: Vec<u64>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let mut c = self.table.compacting.lock();
        for g in &self.gens {
            c.remove(g);
        }
    }
}

/// Runs background compactions of `t` until its strategy has nothing to do.
pub(super) fn background(engine: &Engine, t: &Arc<Table>) -> Result<()> {
    loop {
        if t.dropped.load(Ordering::Acquire)
            || engine.shutdown.load(Ordering::Acquire)
            || engine.stop_compactions.load(Ordering::Acquire)
        {
            return Ok(());
        }
        let strategy = t.opts.read().compaction.strategy();
        let (task, reg) = {
            let mut compacting = t.compacting.lock();
            let v = t.version.read().clone();
            let infos: Vec<SstableInfo> = v
                .sstables
                .iter()
                .filter(|s| !compacting.contains(&s.generation()))
                .map(|s| info(s))
                .collect();
            let task = strategy
                .next_task(&infos)
                .or_else(|| tombstone_task(&v, &compacting, t.opts.read().gc_grace_seconds));
            let Some(task) = task else {
                return Ok(());
            };
            compacting.extend(task.inputs.iter().copied());
            let reg = Registered {
                table: t,
                gens: task.inputs.clone(),
            };
            (task, reg)
        };
        run(
            engine,
            t,
            &reg.gens,
            task.output_level,
            task.max_output_size,
            now_seconds() as i32,
        )?;
    }
}

/// Cassandra's single-SSTable "tombstone compaction": an SSTable at least a
/// day old whose droppable tombstones exceed 20% of its cells and rows is
/// rewritten alone to purge them. The output is new, so it is not picked
/// again for a day (no loop when the purge is blocked by overlaps).
fn tombstone_task(
    v: &Version,
    compacting: &HashSet<u64>,
    gc_grace: u32,
) -> Option<crate::compaction::CompactionTask> {
    const THRESHOLD: f64 = 0.2;
    const INTERVAL: i64 = 86_400;
    let now = now_seconds();
    let gc_before = (now as i32).saturating_sub(gc_grace.min(i32::MAX as u32) as i32);
    v.sstables
        .iter()
        .filter(|s| !compacting.contains(&s.generation()))
        .filter(|s| s.stats.created_at + INTERVAL <= now)
        .find(|s| {
            let total = (s.stats.cell_count + s.stats.row_count).max(1) as f64;
            s.stats.droppable_tombstones(gc_before) as f64 / total > THRESHOLD
        })
        .map(|s| crate::compaction::CompactionTask {
            inputs: vec![s.generation()],
            output_level: s.stats.level,
            max_output_size: None,
        })
}

/// Major compaction of every SSTable not already being compacted.
pub(super) fn major(engine: &Engine, t: &Arc<Table>, now: i32) -> Result<()> {
    let reg = {
        let mut compacting = t.compacting.lock();
        let v = t.version.read().clone();
        let gens: Vec<u64> = v
            .sstables
            .iter()
            .map(|s| s.generation())
            .filter(|g| !compacting.contains(g))
            .collect();
        compacting.extend(gens.iter().copied());
        Registered { table: t, gens }
    };
    if reg.gens.is_empty() {
        return Ok(());
    }
    let (level, max) = match t.opts.read().compaction {
        CompactionConfig::Leveled {
            sstable_size_in_mb, ..
        } => (1, Some(u64::from(sstable_size_in_mb) << 20)),
        _ => (0, None),
    };
    run(engine, t, &reg.gens, level, max, now)
}

/// What bounds tombstone purging in a running compaction: the sources outside
/// it (memtables, SSTables not being compacted) as of the latest flush. Taken
/// only when a partition with something past gc_grace asks, and taken again
/// once the table's memtables or SSTables changed, so a long compaction does
/// not keep the memtables flushed meanwhile alive until it ends (it used to hold
/// the memtables of its start: hundreds of MB past the budget, all freed at once
/// on the compaction's last step). A memtable flushed since the last look is an
/// SSTable by then, so no source is missed.
struct PurgeBound<'a> {
    table: &'a Table,
    compacting: &'a HashSet<u64>,
    sources: RefCell<Option<Sources>>,
}

/// One look at a table's sources for [`PurgeBound`].
struct Sources {
    /// Memtables, the active one first.
    memtables: Vec<Arc<Memtable>>,
    version: Arc<Version>,
}

impl<'a> PurgeBound<'a> {
    fn new(table: &'a Table, compacting: &'a HashSet<u64>) -> Self {
        PurgeBound {
            table,
            compacting,
            sources: RefCell::new(None),
        }
    }

    /// The oldest timestamp any source outside the compaction may hold for
    /// the partition (`i64::MAX` if none may hold it).
    fn max_purgeable(&self, token: i64, key: &Bytes) -> i64 {
        let mut cached = self.sources.borrow_mut();
        let current = match cached.take() {
            Some(s) if self.is_current(&s) => s,
            _ => {
                let (memtables, version) = self.table.snapshot();
                Sources { memtables, version }
            }
        };
        let s = cached.insert(current);
        let mut bound = i64::MAX;
        for t in &s.version.sstables {
            if !self.compacting.contains(&t.generation()) && t.may_contain(token, key) {
                bound = bound.min(t.stats.min_timestamp);
            }
        }
        for m in &s.memtables {
            if m.contains(token, key) {
                bound = bound.min(m.min_timestamp());
            }
        }
        bound
    }

    /// True while no memtable switch or SSTable change happened since `s`.
    fn is_current(&self, s: &Sources) -> bool {
        let mem = self.table.mem.read();
        let same_active = s
            .memtables
            .first()
            .is_some_and(|m| Arc::ptr_eq(m, &mem.active));
        same_active && Arc::ptr_eq(&s.version, &self.table.version.read())
    }
}

fn run(
    engine: &Engine,
    t: &Table,
    gens: &[u64],
    output_level: u32,
    max_output_size: Option<u64>,
    now: i32,
) -> Result<()> {
    let version = t.version.read().clone();
    let wanted: HashSet<u64> = gens.iter().copied().collect();
    let inputs: Vec<Arc<SsTable>> = version
        .sstables
        .iter()
        .filter(|s| wanted.contains(&s.generation()))
        .cloned()
        .collect();
    if inputs.is_empty() {
        return Ok(());
    }
    // Operators (and the crash tests, which SIGKILL a node mid-compaction)
    // see when a compaction begins, not only when it is done.
    tracing::info!(table = %t.id.0, inputs = inputs.len(), "compaction started");
    drop(version);
    let bound = PurgeBound::new(t, &wanted);
    let purge_bound = |token: i64, key: &Bytes| bound.max_purgeable(token, key);
    let opts = t.opts.read().clone();
    let job = Job {
        inputs: inputs.clone(),
        purge_bound: &purge_bound,
        gc_before: now.saturating_sub(opts.gc_grace_seconds.min(i32::MAX as u32) as i32),
        output_level,
        max_output_size,
        block_size: engine.config.sstable_block_size,
        fp_chance: opts.bloom_filter_fp_chance,
        now_seconds: i64::from(now),
        copy_unchanged: true,
        stop: &engine.stop_compactions,
    };
    let rate =
        engine.config.compaction_throughput / engine.config.concurrent_compactors.max(1) as u64;
    let mut throttle = Throttle::new(rate);
    if engine.config.compaction_yields_to_flush {
        throttle = throttle.yield_to(Arc::clone(&engine.flushes));
    }
    let _running = engine.activity.compaction_running();
    let (descs, out) =
        match run_compaction(job, &t.dir, &|| engine.next_generation(), &mut throttle) {
            Err(Error::Shutdown) => {
                tracing::info!(table = %t.id.0, "compaction stopped by shutdown");
                return Ok(());
            }
            r => r?,
        };
    let mut outputs = Vec::new();
    for d in descs {
        outputs.push(Arc::new(SsTable::open(d, Arc::clone(&t.cache))?));
    }
    {
        let mut v = t.version.write();
        let present = gens
            .iter()
            .all(|g| v.sstables.iter().any(|s| s.generation() == *g));
        if !present || t.dropped.load(Ordering::Acquire) {
            // Truncated or dropped meanwhile: the outputs hold stale data.
            for o in &outputs {
                o.mark_obsolete();
            }
            return Ok(());
        }
        *v = Arc::new(v.with_changes(gens, outputs));
    }
    for i in &inputs {
        i.mark_obsolete();
    }
    t.compactions_completed.fetch_add(1, Ordering::Relaxed);
    engine.activity.compacted(out.bytes_read, out.bytes_written);
    tracing::info!(
        table = %t.id.0,
        inputs = gens.len(),
        bytes_read = out.bytes_read,
        bytes_written = out.bytes_written,
        partitions = out.partitions,
        partitions_copied = out.partitions_copied,
        paused_for_flushes_ms = throttle.paused().as_millis() as u64,
        "compaction done"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::tests::{b, put, tid};
    use crate::merge::PartitionData;
    use crate::sstable::{BlockCache, Descriptor, SstableWriter};
    use crate::types::DeletionTime;
    use bytes::Bytes;

    #[test]
    fn old_sstable_full_of_droppable_tombstones_is_picked_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w =
            SstableWriter::create(Descriptor::new(dir.path(), 1), 4096, 0.01).expect("create");
        for i in 0..10u8 {
            let p = PartitionData {
                partition_deletion: Some(DeletionTime {
                    marked_for_delete_at: 1,
                    local_deletion_time: 1000,
                }),
                ..PartitionData::default()
            };
            w.add(0, &Bytes::from(vec![i]), &p).expect("add");
        }
        // created_at = 0: written long ago.
        let (desc, _) = w.finish(0).expect("finish");
        let t = Arc::new(SsTable::open(desc, Arc::new(BlockCache::new(0))).expect("open"));
        let v = Version { sstables: vec![t] };
        let task = tombstone_task(&v, &HashSet::new(), 10).expect("tombstone compaction");
        assert_eq!(task.inputs, vec![1]);
        // Not while it is already being compacted, nor within gc_grace.
        assert!(tombstone_task(&v, &HashSet::from([1]), 10).is_none());
        assert!(tombstone_task(&v, &HashSet::new(), u32::MAX).is_none());
    }

    #[test]
    fn purge_bound_follows_flushes_without_holding_flushed_memtables() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = Engine::open(
            Config::for_tests(dir.path()),
            &[(tid(1), Default::default())],
        )
        .expect("open");
        let t = e.table(tid(1)).expect("table");
        put(&e, "k", "a", 7, "v");
        let compacting = HashSet::new();
        let bound = PurgeBound::new(&t, &compacting);
        let token = "k".len() as i64;
        // Only the memtable holds the key: its oldest timestamp bounds purging.
        assert_eq!(bound.max_purgeable(token, &b("k")), 7);
        assert_eq!(bound.max_purgeable(token + 1, &b("other")), i64::MAX);
        let flushed = Arc::downgrade(&t.mem.read().active);
        e.flush(tid(1)).expect("flush");
        // Now an SSTable holds it; the bound looks again and lets go of the
        // memtable it had, so the flushed memtable is freed now, not when a
        // compaction ends.
        assert_eq!(bound.max_purgeable(token, &b("k")), 7);
        assert!(
            flushed.upgrade().is_none(),
            "the flushed memtable is still alive"
        );
        // SSTables being compacted do not bound their own purge.
        let gens: HashSet<u64> = t
            .version
            .read()
            .sstables
            .iter()
            .map(|s| s.generation())
            .collect();
        assert_eq!(
            PurgeBound::new(&t, &gens).max_purgeable(token, &b("k")),
            i64::MAX
        );
    }
}
