//! Running compactions for the engine: picking tasks with the table's
//! strategy, executing them, and swapping outputs for inputs in the version
//! set once the outputs are durable.
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::table::Table;
use super::{now_seconds, Engine};
use crate::compaction::{run_compaction, CompactionConfig, Job, SstableInfo, Throttle};
use crate::error::Result;
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
        if t.dropped.load(Ordering::Acquire) || engine.shutdown.load(Ordering::Acquire) {
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
            let Some(task) = strategy.next_task(&infos) else {
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

fn run(
    engine: &Engine,
    t: &Table,
    gens: &[u64],
    output_level: u32,
    max_output_size: Option<u64>,
    now: i32,
) -> Result<()> {
    let (mts, version) = t.snapshot();
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
    let others = Version {
        sstables: version
            .sstables
            .iter()
            .filter(|s| !wanted.contains(&s.generation()))
            .cloned()
            .collect(),
    };
    let opts = t.opts.read().clone();
    let job = Job {
        inputs: inputs.clone(),
        others: &others,
        memtables: &mts,
        gc_before: now.saturating_sub(opts.gc_grace_seconds.min(i32::MAX as u32) as i32),
        output_level,
        max_output_size,
        block_size: engine.config.sstable_block_size,
        fp_chance: opts.bloom_filter_fp_chance,
        now_seconds: i64::from(now),
    };
    let rate =
        engine.config.compaction_throughput / engine.config.concurrent_compactors.max(1) as u64;
    let mut throttle = Throttle::new(rate);
    let (descs, out) = run_compaction(job, &t.dir, &|| engine.next_generation(), &mut throttle)?;
    let mut outputs = Vec::new();
    for d in descs {
        outputs.push(Arc::new(SsTable::open(d)?));
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
    tracing::info!(
        table = %t.id.0,
        inputs = gens.len(),
        bytes_read = out.bytes_read,
        bytes_written = out.bytes_written,
        "compaction done"
    );
    Ok(())
}
