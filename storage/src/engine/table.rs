//! One table inside the engine: its memtables (active + being flushed), its
//! version of live SSTables, its directory, and the flush procedure.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::codec::{Put, Reader};
use crate::commitlog::Position;
use crate::error::{Error, Result};
use crate::memtable::Memtable;
use crate::sstable::{self, seal, unseal, BlockCache, Descriptor, SsTable, SstableWriter};
use crate::types::{TableId, TableOptions};
use crate::version::Version;

/// File in a table directory holding the commit-log position of the last
/// TRUNCATE: older records are not replayed, older SSTables are deleted.
const TRUNCATED: &str = "TRUNCATED";

/// The memtables of a table.
pub(crate) struct Memtables {
    pub active: Arc<Memtable>,
    /// Switched out, being written to SSTables; still visible to reads.
    pub flushing: Vec<Arc<Memtable>>,
}

pub(crate) struct Table {
    pub id: TableId,
    pub dir: PathBuf,
    pub opts: RwLock<TableOptions>,
    /// Lock order: `mem` before `version`. A flush publishes its SSTable and
    /// retires its memtable under both, so a reader holding `mem.read()`
    /// sees each write exactly once (counters must not be summed twice).
    pub mem: RwLock<Memtables>,
    pub version: RwLock<Arc<Version>>,
    /// Serializes flushes and truncation of this table.
    pub flush_lock: Mutex<()>,
    /// Generations being compacted.
    pub compacting: Mutex<HashSet<u64>>,
    pub dropped: AtomicBool,
    pub compactions_completed: AtomicU64,
    /// Records at or before this position were truncated away.
    pub truncated_at: RwLock<Position>,
    /// The engine's block cache, handed to every SSTable opened.
    pub cache: Arc<BlockCache>,
}

/// Directory of a table under the data directory.
pub(crate) fn table_dir(data_dir: &Path, id: TableId) -> PathBuf {
    data_dir.join(id.0.simple().to_string())
}

fn read_truncated(dir: &Path) -> Result<Position> {
    let path = dir.join(TRUNCATED);
    let raw = match std::fs::read(&path) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Position::default()),
        Err(e) => return Err(Error::io(format!("read {}", path.display()), e)),
    };
    let body = unseal(&path, &raw)?;
    let mut r = Reader::new(body);
    match (r.u64(), r.u64()) {
        (Ok(segment), Ok(offset)) => Ok(Position { segment, offset }),
        _ => Err(Error::corrupt(&path, 0, "short TRUNCATED file")),
    }
}

impl Table {
    /// Opens a table directory: deletes leftovers of interrupted writes and
    /// compactions, opens the complete SSTables.
    pub fn open(
        data_dir: &Path,
        id: TableId,
        opts: TableOptions,
        cache: Arc<BlockCache>,
    ) -> Result<Table> {
        opts.validate()?;
        let dir = table_dir(data_dir, id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        let truncated_at = read_truncated(&dir)?;
        let (complete, incomplete) = sstable::list_generations(&dir)?;
        for g in incomplete {
            tracing::info!(dir = %dir.display(), generation = g, "deleting incomplete SSTable");
            Descriptor::new(&dir, g).delete_files();
        }
        let mut tables = Vec::new();
        for g in complete {
            tables.push(SsTable::open(Descriptor::new(&dir, g), Arc::clone(&cache))?);
        }
        // Inputs of a compaction whose output is complete were meant to be
        // deleted; SSTables older than a TRUNCATE too.
        let ancestors: HashSet<u64> = tables
            .iter()
            .flat_map(|t| t.stats.ancestors.iter().copied())
            .collect();
        let mut live = Vec::new();
        for t in tables {
            let truncated =
                truncated_at > Position::default() && t.stats.commitlog_upper <= truncated_at;
            if ancestors.contains(&t.generation()) || truncated {
                tracing::info!(
                    generation = t.generation(),
                    "deleting compacted or truncated SSTable"
                );
                t.mark_obsolete();
            } else {
                live.push(Arc::new(t));
            }
        }
        Ok(Table {
            id,
            dir,
            opts: RwLock::new(opts),
            mem: RwLock::new(Memtables {
                active: Arc::new(Memtable::default()),
                flushing: Vec::new(),
            }),
            version: RwLock::new(Arc::new(Version { sstables: live })),
            flush_lock: Mutex::new(()),
            compacting: Mutex::new(HashSet::new()),
            dropped: AtomicBool::new(false),
            compactions_completed: AtomicU64::new(0),
            truncated_at: RwLock::new(truncated_at),
            cache,
        })
    }

    /// Commit-log records at or before this position are already in
    /// SSTables (or truncated) and must not be replayed.
    pub fn replay_floor(&self) -> Position {
        let v = self.version.read().clone();
        let flushed = v
            .sstables
            .iter()
            .map(|t| t.stats.commitlog_upper)
            .max()
            .unwrap_or_default();
        flushed.max(*self.truncated_at.read())
    }

    pub fn max_generation(&self) -> u64 {
        self.version
            .read()
            .sstables
            .iter()
            .map(|t| t.generation())
            .max()
            .unwrap_or(0)
    }

    /// Snapshot for reads: memtables (newest first) and SSTables, taken
    /// consistently (see the lock-order note on `mem`).
    pub fn snapshot(&self) -> (Vec<Arc<Memtable>>, Arc<Version>) {
        let mem = self.mem.read();
        let mut mts = vec![Arc::clone(&mem.active)];
        mts.extend(mem.flushing.iter().rev().cloned());
        let v = self.version.read().clone();
        (mts, v)
    }

    /// Switches the active memtable out and writes it to an SSTable. Returns
    /// the bytes freed and the commit-log position the flush covers.
    /// `current` gives the log position; it is read under the memtable write
    /// lock, so no append can slip between it and the switch.
    pub fn flush(
        &self,
        generation: impl FnOnce() -> u64,
        current: impl FnOnce() -> Position,
        block_size: usize,
        now_seconds: i64,
    ) -> Result<(usize, Position)> {
        let _g = self.flush_lock.lock();
        let (old, upto) = {
            let mut mem = self.mem.write();
            let upto = current();
            if mem.active.is_empty() {
                return Ok((0, upto));
            }
            let old = std::mem::replace(&mut mem.active, Arc::new(Memtable::default()));
            mem.flushing.push(Arc::clone(&old));
            (old, upto)
        };
        let fp = self.opts.read().bloom_filter_fp_chance;
        let desc = Descriptor::new(&self.dir, generation());
        tracing::info!(table = %self.id.0, generation = desc.generation, "flush started");
        let mut w = SstableWriter::create(desc, block_size, fp)?;
        old.for_each(|k, p| w.add(k.token, &k.key, p).map(|_| ()))?;
        w.stats.commitlog_upper = upto;
        let (desc, _) = w.finish(now_seconds)?;
        let table = Arc::new(SsTable::open(desc, Arc::clone(&self.cache))?);
        {
            let mut mem = self.mem.write();
            let mut version = self.version.write();
            *version = Arc::new(version.with_changes(&[], vec![table]));
            mem.flushing.retain(|m| !Arc::ptr_eq(m, &old));
        }
        tracing::debug!(table = %self.id.0, bytes = old.size(), "memtable flushed");
        Ok((old.size(), upto))
    }

    /// Drops all data: memtables and SSTables. `current` is read under the
    /// memtable lock; records up to it will not be replayed.
    pub fn truncate(&self, current: impl FnOnce() -> Position) -> Result<(usize, Position)> {
        let _g = self.flush_lock.lock();
        let mut mem = self.mem.write();
        let pos = current();
        let mut o = Vec::new();
        o.put_u64(pos.segment);
        o.put_u64(pos.offset);
        sstable::write_atomic(
            &self.dir.join("TRUNCATED.tmp"),
            &self.dir.join(TRUNCATED),
            &seal(o),
        )?;
        sstable::fsync_dir(&self.dir)?;
        *self.truncated_at.write() = pos;
        let freed = mem.active.size() + mem.flushing.iter().map(|m| m.size()).sum::<usize>();
        mem.active = Arc::new(Memtable::default());
        mem.flushing.clear();
        let mut version = self.version.write();
        for t in &version.sstables {
            t.mark_obsolete();
        }
        *version = Arc::new(Version::default());
        Ok((freed, pos))
    }

    /// Accounted bytes of all memtables.
    pub fn memtable_size(&self) -> usize {
        let mem = self.mem.read();
        mem.active.size() + mem.flushing.iter().map(|m| m.size()).sum::<usize>()
    }
}
