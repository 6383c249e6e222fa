//! Runs one compaction: merges the input SSTables partition by partition,
//! purges what `view::purge` allows, and writes the outputs (split at the
//! task's size for leveled compaction). Swapping the outputs in and deleting
//! the inputs is the engine's job, after the outputs are durable.
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::commitlog::Position;
use crate::error::Result;
use crate::memtable::Memtable;
use crate::sstable::{Descriptor, SsTable, SstableWriter};
use crate::version::Version;
use crate::view::purge;

/// What a compaction produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompactionOutput {
    /// Data bytes read from the inputs.
    pub bytes_read: u64,
    /// Data bytes written to the outputs.
    pub bytes_written: u64,
    /// Partitions written.
    pub partitions: u64,
}

/// Limits write throughput by sleeping when ahead of `bytes_per_sec`.
#[derive(Debug)]
pub struct Throttle {
    bytes_per_sec: u64,
    start: Instant,
    bytes: u64,
}

impl Throttle {
    /// `0` = unthrottled.
    pub fn new(bytes_per_sec: u64) -> Throttle {
        Throttle {
            bytes_per_sec,
            start: Instant::now(),
            bytes: 0,
        }
    }

    /// Accounts `n` bytes written, sleeping if ahead of the rate.
    pub fn account(&mut self, n: u64) {
        if self.bytes_per_sec == 0 || n == 0 {
            return;
        }
        self.bytes += n;
        let due = Duration::from_secs_f64(self.bytes as f64 / self.bytes_per_sec as f64);
        let elapsed = self.start.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
    }
}

/// Inputs and environment of one compaction run.
pub(crate) struct Job<'a> {
    pub inputs: Vec<Arc<SsTable>>,
    /// Live SSTables outside the compaction and the memtables: they bound
    /// which tombstones may be purged.
    pub others: &'a Version,
    pub memtables: &'a [Arc<Memtable>],
    pub gc_before: i32,
    pub output_level: u32,
    pub max_output_size: Option<u64>,
    pub block_size: usize,
    pub fp_chance: f64,
    pub now_seconds: i64,
}

/// Runs the compaction; returns the finished outputs (durable, with TOC).
/// `generation` allocates output generations.
pub(crate) fn run(
    job: Job,
    dir: &std::path::Path,
    generation: &dyn Fn() -> u64,
    throttle: &mut Throttle,
) -> Result<(Vec<Descriptor>, CompactionOutput)> {
    let upper = job
        .inputs
        .iter()
        .map(|t| t.stats.commitlog_upper)
        .max()
        .unwrap_or(Position::default());
    let ancestors: Vec<u64> = job.inputs.iter().map(|t| t.generation()).collect();
    let mut out = CompactionOutput {
        bytes_read: job.inputs.iter().map(|t| t.stats.data_size).sum(),
        ..CompactionOutput::default()
    };
    let mut sources: Vec<Box<dyn Iterator<Item = _>>> = Vec::new();
    for t in &job.inputs {
        sources.push(Box::new(t.iter_shared()?));
    }
    let merged = crate::engine::MergeIter::new(sources);
    let mut done = Vec::new();
    let new_writer = || -> Result<SstableWriter> {
        let mut w = SstableWriter::create(
            Descriptor::new(dir, generation()),
            job.block_size,
            job.fp_chance,
        )?;
        w.stats.level = job.output_level;
        w.stats.commitlog_upper = upper;
        w.stats.ancestors = ancestors.clone();
        Ok(w)
    };
    let mut writer = new_writer()?;
    for item in merged {
        let (k, p) = item?;
        // The oldest data any other source may hold for this partition: a
        // tombstone at or above it may still shadow something there.
        let mut max_purgeable = i64::MAX;
        for t in &job.others.sstables {
            if t.may_contain(k.token, &k.key) {
                max_purgeable = max_purgeable.min(t.stats.min_timestamp);
            }
        }
        for m in job.memtables {
            if m.contains(k.token, &k.key) {
                max_purgeable = max_purgeable.min(m.min_timestamp());
            }
        }
        let Some(p) = purge(p, job.gc_before, max_purgeable) else {
            continue;
        };
        if job
            .max_output_size
            .is_some_and(|max| writer.size() >= max && writer.partition_count() > 0)
        {
            let full = std::mem::replace(&mut writer, new_writer()?);
            let (d, s) = full.finish(job.now_seconds)?;
            out.bytes_written += s.data_size;
            done.push(d);
        }
        throttle.account(writer.add(k.token, &k.key, &p)?);
        out.partitions += 1;
    }
    // Always finish the last writer, even empty: an output keeps the inputs'
    // commit-log position, so purged data is not replayed after a restart.
    if writer.partition_count() > 0 || done.is_empty() {
        let (d, s) = writer.finish(job.now_seconds)?;
        out.bytes_written += s.data_size;
        done.push(d);
    }
    Ok((done, out))
}
