//! Runs one compaction: merges the input SSTables partition by partition,
//! purges what `view::purge` allows, and writes the outputs (split at the
//! task's size for leveled compaction). Swapping the outputs in and deleting
//! the inputs is the engine's job, after the outputs are durable.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::commitlog::Position;
use crate::error::{Error, Result};

use std::ops::Bound::{Excluded, Included, Unbounded};

use bytes::Bytes;

use crate::memtable::PartitionKey;
use crate::merge::{PartitionData, Rows};
use crate::sstable::{
    copy, newest_covering, unchanged, Descriptor, RowWindow, SsTable, SstableIter, SstableWriter,
};
use crate::types::ClusteringBound;
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
    /// Of those, partitions copied as one input's encoded version
    /// (`sstable::copy`).
    pub partitions_copied: u64,
}

/// Longest single pause of a compaction for a flush; after it the compaction
/// runs for at least [`RUN_BETWEEN_PAUSES`] before pausing again, so back-to-back
/// flushes under a constant write load slow it down without starving it.
const MAX_PAUSE: Duration = Duration::from_secs(1);
const RUN_BETWEEN_PAUSES: Duration = Duration::from_millis(250);
const PAUSE_STEP: Duration = Duration::from_millis(5);

/// Paces a compaction's writes: sleeps when ahead of `bytes_per_sec`, and
/// (with [`Throttle::yield_to`]) pauses while flushes are scheduled or running.
#[derive(Debug)]
pub struct Throttle {
    bytes_per_sec: u64,
    start: Instant,
    bytes: u64,
    /// Flushes scheduled or running (the engine's counter).
    flushes: Option<Arc<AtomicUsize>>,
    /// No pause before this instant (see `RUN_BETWEEN_PAUSES`).
    run_until: Option<Instant>,
    paused: Duration,
}

impl Throttle {
    /// `0` = unthrottled.
    pub fn new(bytes_per_sec: u64) -> Throttle {
        Throttle {
            bytes_per_sec,
            start: Instant::now(),
            bytes: 0,
            flushes: None,
            run_until: None,
            paused: Duration::ZERO,
        }
    }

    /// Pauses between writes while `flushes` is non-zero. On one core a flush
    /// and a compaction share the CPU; writers wait for the flush, nobody
    /// waits for the compaction.
    pub fn yield_to(mut self, flushes: Arc<AtomicUsize>) -> Throttle {
        self.flushes = Some(flushes);
        self
    }

    /// Total time spent paused for flushes.
    pub fn paused(&self) -> Duration {
        self.paused
    }

    /// Accounts `n` bytes written, sleeping if ahead of the rate.
    pub fn account(&mut self, n: u64) {
        self.yield_to_flushes();
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

    fn yield_to_flushes(&mut self) {
        let Some(flushes) = &self.flushes else {
            return;
        };
        if flushes.load(Ordering::Relaxed) == 0
            || self.run_until.is_some_and(|t| Instant::now() < t)
        {
            return;
        }
        let began = Instant::now();
        while flushes.load(Ordering::Relaxed) > 0 && began.elapsed() < MAX_PAUSE {
            std::thread::sleep(PAUSE_STEP);
        }
        let took = began.elapsed();
        self.paused += took;
        // The pause is not throughput owed: without this the rate limit
        // would let the compaction burst to catch up right after a flush.
        self.start += took;
        self.run_until = Some(Instant::now() + RUN_BETWEEN_PAUSES);
    }
}

/// Inputs and environment of one compaction run.
pub(crate) struct Job<'a> {
    pub inputs: Vec<Arc<SsTable>>,
    /// The oldest timestamp any source outside the compaction (memtables,
    /// other SSTables) may hold for a partition (token, key): a tombstone at or
    /// above it may still shadow something there, so it is kept. Asked only
    /// for partitions with something past gc_grace.
    pub purge_bound: &'a dyn Fn(i64, &Bytes) -> i64,
    pub gc_before: i32,
    pub output_level: u32,
    pub max_output_size: Option<u64>,
    pub block_size: usize,
    pub fp_chance: f64,
    pub now_seconds: i64,
    /// Copy a partition whose merged and purged form is one input's version
    /// as that version's encoded bytes (`sstable::copy`) instead of decoding,
    /// merging and re-encoding it; the output is the same. Off only in tests
    /// that compare both ways.
    pub copy_unchanged: bool,
    /// Set when the engine shuts down: the run stops with
    /// `Error::Shutdown`, leaving no output behind.
    pub stop: &'a AtomicBool,
}

/// Runs the compaction; returns the finished outputs (durable, with TOC).
/// `generation` allocates output generations. Stopped by `job.stop`, it
/// deletes what it wrote and returns `Error::Shutdown`.
pub(crate) fn run(
    job: Job,
    dir: &std::path::Path,
    generation: &dyn Fn() -> u64,
    throttle: &mut Throttle,
) -> Result<(Vec<Descriptor>, CompactionOutput)> {
    let mut done = Vec::new();
    let r = run_into(job, dir, generation, throttle, &mut done);
    if r.is_err() {
        // Finished outputs of a failed or stopped run are never swapped in.
        for d in &done {
            d.delete_files();
        }
    }
    r.map(|out| (done, out))
}

fn run_into(
    job: Job,
    dir: &std::path::Path,
    generation: &dyn Fn() -> u64,
    throttle: &mut Throttle,
    done: &mut Vec<Descriptor>,
) -> Result<CompactionOutput> {
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
    let mut inputs = Vec::with_capacity(job.inputs.len());
    for t in &job.inputs {
        let mut it = t.iter_compaction()?;
        let head = it.peek()?;
        inputs.push(Input {
            table: Arc::clone(t),
            it,
            head,
        });
    }
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
    let mut scratch = Scratch::default();
    while let Some(k) = inputs.iter().filter_map(|i| i.head.as_ref()).min().cloned() {
        stopped(job.stop)?;
        if job
            .max_output_size
            .is_some_and(|max| writer.size() >= max && writer.partition_count() > 0)
        {
            let full = std::mem::replace(&mut writer, new_writer()?);
            let (d, s) = full.finish(job.now_seconds)?;
            out.bytes_written += s.data_size;
            done.push(d);
        }
        if job.copy_unchanged && copy(&k, &mut inputs, &job, &mut writer, throttle, &mut scratch)? {
            out.partitions += 1;
            out.partitions_copied += 1;
            continue;
        }
        // Every input's version of partition `k`; a chunked one (larger
        // than a block) came without rows and is read in windows.
        let mut versions = Vec::new();
        for i in &mut inputs {
            if i.head.as_ref() == Some(&k) {
                if let Some((_, p)) = i.it.next().transpose()? {
                    let chunked = i.it.last_was_chunked();
                    versions.push((p, chunked.then(|| Arc::clone(&i.table))));
                }
                i.head = i.it.peek()?;
            }
        }
        // Asked at most once per partition, and only if purging needs it.
        let bound = std::cell::OnceCell::new();
        let max_purgeable = || *bound.get_or_init(|| (job.purge_bound)(k.token, &k.key));
        let purge_at = |p| purge(p, job.gc_before, &max_purgeable);
        let written = if versions.iter().any(|(_, t)| t.is_some()) {
            stream_partition(&k, versions, &purge_at, &mut writer, throttle, job.stop)?
        } else {
            let mut merged: Option<PartitionData> = None;
            for (p, _) in versions {
                match merged.as_mut() {
                    Some(m) => m.merge(p),
                    None => merged = Some(p),
                }
            }
            match merged.and_then(purge_at) {
                Some(p) => {
                    throttle.account(writer.add(k.token, &k.key, &p)?);
                    true
                }
                None => false,
            }
        };
        out.partitions += u64::from(written);
    }
    // Always finish the last writer, even empty: an output keeps the inputs'
    // commit-log position, so purged data is not replayed after a restart.
    if writer.partition_count() > 0 || done.is_empty() {
        let (d, s) = writer.finish(job.now_seconds)?;
        out.bytes_written += s.data_size;
        done.push(d);
    }
    Ok(out)
}

/// Writes partition `k` as one input's encoded version, if `sstable::copy`
/// finds that merging and purging would give that version unchanged, and
/// moves the inputs holding `k` past it. False: nothing done, decode.
fn copy(
    k: &PartitionKey,
    inputs: &mut [Input],
    job: &Job,
    writer: &mut SstableWriter,
    throttle: &mut Throttle,
    scratch: &mut Scratch,
) -> Result<bool> {
    let mut holders = inputs.iter_mut().filter(|i| i.head.as_ref() == Some(k));
    let (Some(first), second) = (holders.next(), holders.next()) else {
        return Ok(false);
    };
    let Some(rest) = first.it.rest_of_block()? else {
        return Ok(false);
    };
    let Some(second) = second else {
        // The common case, without allocating.
        let Some(d) = unchanged(rest, &k.key, job.gc_before, job.block_size) else {
            return Ok(false);
        };
        let len = d.len;
        let body = rest.get(..len).unwrap_or_default();
        throttle.account(writer.add_encoded(k.token, &k.key, body, &d)?);
        first.it.skip_copied(len);
        first.head = first.it.peek()?;
        return Ok(true);
    };
    let mut rests = std::mem::take(&mut scratch.rests);
    rests.clear();
    rests.push(first.it.rest_bytes());
    for i in [second].into_iter().chain(holders) {
        if i.it.rest_of_block()?.is_none() {
            return Ok(false);
        }
        rests.push(i.it.rest_bytes());
    }
    let chosen = newest_covering(
        &rests,
        &k.key,
        job.gc_before,
        job.block_size,
        &mut scratch.copy,
    );
    let copied = chosen.is_some();
    if let Some((from, d)) = chosen {
        let body = rests.get(from).and_then(|r| r.get(..d.len));
        throttle.account(writer.add_encoded(k.token, &k.key, body.unwrap_or_default(), &d)?);
        let holders = inputs.iter_mut().filter(|i| i.head.as_ref() == Some(k));
        for (i, len) in holders.zip(&scratch.copy.lens) {
            i.it.skip_copied(*len);
            i.head = i.it.peek()?;
        }
    }
    scratch.rests = rests;
    Ok(copied)
}

/// Buffers the copy reuses from one partition to the next.
#[derive(Default)]
struct Scratch {
    rests: Vec<Bytes>,
    copy: copy::Scratch,
}

fn stopped(stop: &AtomicBool) -> Result<()> {
    if stop.load(Ordering::Acquire) {
        return Err(Error::Shutdown);
    }
    Ok(())
}

/// One input SSTable and the key of its next partition.
struct Input {
    table: Arc<SsTable>,
    it: SstableIter,
    head: Option<PartitionKey>,
}

/// Rows each chunked input contributes to one window of a streamed
/// partition: memory holds about this many rows per input, whatever the
/// partition's size.
const WINDOW_ROWS: usize = 512;

/// The head of `p` (deletions, range tombstones, static row), without rows.
fn head_of(p: &PartitionData) -> PartitionData {
    PartitionData {
        partition_deletion: p.partition_deletion,
        range_tombstones: p.range_tombstones.clone(),
        static_row: p.static_row.clone(),
        rows: Rows::default(),
    }
}

/// Merges, purges and writes one partition that some input holds in
/// several chunks, window by window: each chunked input hands over at most
/// `WINDOW_ROWS` rows after the last row written (`SsTable::read_window`
/// seeks there through its clustering index); rows up to the nearest last
/// row among the inputs that hit that budget are complete and are written,
/// the rest is read again with the next window. Versions without chunks
/// are already in memory. Purging a row needs only the partition's head,
/// which every window carries. Returns whether anything was written.
fn stream_partition(
    k: &PartitionKey,
    versions: Vec<(PartitionData, Option<Arc<SsTable>>)>,
    purge_at: &dyn Fn(PartitionData) -> Option<PartitionData>,
    writer: &mut SstableWriter,
    throttle: &mut Throttle,
    stop: &AtomicBool,
) -> Result<bool> {
    let mut head = PartitionData::default();
    let mut in_memory = PartitionData::default();
    let mut tables = Vec::new();
    for (p, t) in versions {
        head.merge(head_of(&p));
        match t {
            Some(t) => tables.push(t),
            None => in_memory.merge(p),
        }
    }
    let written_head = purge_at(head.clone()).unwrap_or_default();
    let mut started = false;
    let mut resume: Option<Bytes> = None;
    loop {
        stopped(stop)?;
        let wanted = |c: &[u8]| resume.as_ref().is_none_or(|r| c > &r[..]);
        let w = RowWindow {
            reversed: false,
            lower: &ClusteringBound::Bottom,
            upper: &ClusteringBound::Top,
            resume_after: resume.as_deref(),
            wanted: &wanted,
            budget: WINDOW_ROWS,
        };
        let mut window = head_of(&head);
        let mut complete_to: Option<Bytes> = None;
        for t in &tables {
            let Some(x) = t.read_window(k.token, &k.key, &w)? else {
                continue;
            };
            if x.full {
                if let Some(last) = x.data.rows.keys().next_back() {
                    if complete_to.as_ref().is_none_or(|c| last < c) {
                        complete_to = Some(last.clone());
                    }
                }
            }
            window.merge(PartitionData {
                rows: x.data.rows,
                ..PartitionData::default()
            });
        }
        let after = resume.as_ref().map_or(Unbounded, |r| Excluded(r.clone()));
        let upto = complete_to
            .as_ref()
            .map_or(Unbounded, |c| Included(c.clone()));
        let rows: Rows = in_memory
            .rows
            .range((after, upto.clone()))
            .map(|(c, r)| (c.clone(), r.clone()))
            .collect();
        window.merge(PartitionData {
            rows,
            ..PartitionData::default()
        });
        if let Some(c) = &complete_to {
            // Rows after `c` are not complete yet: the next window has them.
            let _ = window.rows.split_off(&after_key(c));
        }
        let rows = purge_at(window).map(|p| p.rows).unwrap_or_default();
        for row in rows.values() {
            if !started {
                throttle.account(writer.begin(k.token, &k.key, &written_head)?);
                started = true;
            }
            throttle.account(writer.add_row(row)?);
        }
        match complete_to {
            Some(c) => resume = Some(c),
            None => break,
        }
    }
    let head_left = written_head != PartitionData::default();
    if !started && head_left {
        throttle.account(writer.begin(k.token, &k.key, &written_head)?);
        started = true;
    }
    if started {
        throttle.account(writer.end()?);
    }
    Ok(started)
}

/// The smallest clustering after `c` (`c` followed by a zero byte).
fn after_key(c: &Bytes) -> Bytes {
    let mut v = c.to_vec();
    v.push(0);
    Bytes::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sstable::BlockCache;

    fn wide_input(dir: &std::path::Path, generation: u64) -> Arc<SsTable> {
        let mut w =
            SstableWriter::create(Descriptor::new(dir, generation), 512, 0.01).expect("create");
        let mut p = PartitionData::default();
        for c in 0..2000u32 {
            let ck = Bytes::from(c.to_be_bytes().to_vec());
            let row = crate::sstable::test_row(ck.clone(), i64::from(c), Bytes::from(vec![7; 40]));
            p.rows.insert(ck, row);
        }
        w.add(1, &Bytes::from_static(b"wide"), &p).expect("add");
        let (desc, _) = w.finish(0).expect("finish");
        Arc::new(SsTable::open(desc, Arc::new(BlockCache::new(0))).expect("open"))
    }

    fn job<'a>(inputs: Vec<Arc<SsTable>>, stop: &'a AtomicBool) -> Job<'a> {
        Job {
            inputs,
            purge_bound: &|_, _| i64::MAX,
            gc_before: 0,
            output_level: 0,
            max_output_size: None,
            block_size: 512,
            fp_chance: 0.01,
            now_seconds: 0,
            copy_unchanged: true,
            stop,
        }
    }

    /// A compaction of chunked partitions writes the same rows it read; one told
    /// to stop returns `Error::Shutdown` and leaves only its inputs on disk.
    #[test]
    fn chunked_partitions_compact_and_a_stopped_run_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = vec![wide_input(dir.path(), 1), wide_input(dir.path(), 2)];
        let files = || std::fs::read_dir(dir.path()).expect("ls").count();
        let before = files();
        let stop = AtomicBool::new(true);
        let next = std::sync::atomic::AtomicU64::new(10);
        let generation = || next.fetch_add(1, Ordering::Relaxed);
        let r = run(
            job(inputs.clone(), &stop),
            dir.path(),
            &generation,
            &mut Throttle::new(0),
        );
        assert!(matches!(r, Err(Error::Shutdown)), "{r:?}");
        assert_eq!(files(), before, "no output files left");
        stop.store(false, Ordering::Relaxed);
        let (outs, out) = run(
            job(inputs.clone(), &stop),
            dir.path(),
            &generation,
            &mut Throttle::new(0),
        )
        .expect("compaction");
        assert_eq!((outs.len(), out.partitions), (1, 1));
        let merged = SsTable::open(
            outs.into_iter().next().expect("output"),
            Arc::new(BlockCache::new(0)),
        )
        .expect("open");
        let key = Bytes::from_static(b"wide");
        assert_eq!(
            merged.get(1, &key).expect("read"),
            inputs.first().and_then(|t| t.get(1, &key).expect("read")),
        );
    }
}
