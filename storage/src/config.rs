//! Engine configuration: plain data with defaults and validation. No file I/O
//! here; the server parses its YAML and fills this struct.
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};

/// When an `apply` is acknowledged relative to the commit-log fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Acknowledge at once; a background thread writes the buffer to the
    /// segment every few milliseconds and fsyncs every `period` (default 10 s).
    /// A machine crash may lose up to `period` of acknowledged writes.
    Periodic { period: Duration },
    /// Acknowledge after the fsync covering the record; concurrent callers
    /// share one fsync (group commit).
    Batch,
    /// A background thread fsyncs every `window`; `apply` waits for the fsync
    /// of its window.
    Group { window: Duration },
}

impl Default for SyncMode {
    fn default() -> Self {
        SyncMode::Periodic {
            period: Duration::from_secs(10),
        }
    }
}

/// Configuration of one node's storage engine.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding one sub-directory of SSTables per table. Default `data`.
    pub data_dir: PathBuf,
    /// Directory of the commit-log segments. Default `commitlog`.
    pub commitlog_dir: PathBuf,
    /// Commit-log sync mode. Default periodic, 10 s.
    pub commitlog_sync: SyncMode,
    /// Size at which a commit-log segment is closed and a new one started.
    /// Default 32 MiB.
    pub commitlog_segment_size: u64,
    /// When the live segments exceed this many bytes, the tables holding
    /// the oldest segment are flushed so it can be deleted. Default 8 GiB.
    pub commitlog_total_space: u64,
    /// When true, a corrupt record in the middle of the log is logged and
    /// skipped (rest of that segment dropped) instead of refusing to start.
    /// Default false.
    pub commitlog_ignore_replay_errors: bool,
    /// Zero-fill each commit-log segment before it is used (in the
    /// background), so fsyncs do not also commit the file's growth. Costs
    /// one extra write of every segment. Default false (opt-in: see
    /// docs/STATUS.md, issue 3, for the open question).
    pub commitlog_preallocate: bool,
    /// Total memtable bytes across tables, active and flushing together:
    /// writers wait above it. Default: 1/4 of RAM capped at 2 GiB (1 GiB if
    /// RAM is unknown).
    pub memtable_space: u64,
    /// Background flush threads (Cassandra's `memtable_flush_writers`). A
    /// table flushes one memtable at a time; more writers flush several
    /// tables at once. Default 2 (1 to 64).
    pub memtable_flush_writers: usize,
    /// Fraction of `memtable_space` that memtables not already flushing may
    /// hold before the biggest is flushed (Cassandra's
    /// `memtable_cleanup_threshold`). Default `None`: 1/(1 +
    /// `memtable_flush_writers`), Cassandra's default.
    pub memtable_cleanup_threshold: Option<f64>,
    /// Fraction of `memtable_space` above which each write is paced at a rate
    /// derived from the measured flush throughput (engine/flow.rs), so
    /// writers slow down smoothly before the hard limit. Default 0.75.
    pub memtable_throttle_start: f64,
    /// Compactions pause (between partitions, at most 1 s at a time) while a
    /// flush is scheduled or running, so the flush that writers wait for gets
    /// the disk and CPU first. Default true.
    pub compaction_yields_to_flush: bool,
    /// Compaction write throughput limit in bytes/s; 0 = unthrottled.
    /// Default 64 MiB/s.
    pub compaction_throughput: u64,
    /// Number of background compaction threads. Default 1 (min 1).
    pub concurrent_compactors: usize,
    /// How many nice levels (0-19) below the node's request and flush threads
    /// the compaction threads run, at most nice 19 (engine/background.rs).
    /// Default 10.
    pub compaction_thread_nice: i32,
    /// Uncompressed size of an SSTable data block. Default 16 KiB.
    pub sstable_block_size: usize,
    /// Bytes of decompressed SSTable blocks cached for point reads.
    /// Default 256 MiB; 0 disables the cache.
    pub block_cache_size: u64,
    /// Run background compactions automatically. Default true.
    pub auto_compaction: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            commitlog_dir: PathBuf::from("commitlog"),
            commitlog_sync: SyncMode::default(),
            commitlog_segment_size: 32 << 20,
            commitlog_total_space: 8 << 30,
            commitlog_ignore_replay_errors: false,
            commitlog_preallocate: false,
            memtable_space: default_memtable_space(),
            memtable_flush_writers: 2,
            memtable_cleanup_threshold: None,
            memtable_throttle_start: 0.75,
            compaction_yields_to_flush: true,
            compaction_throughput: 64 << 20,
            concurrent_compactors: 1,
            compaction_thread_nice: 10,
            sstable_block_size: 16 << 10,
            block_cache_size: 256 << 20,
            auto_compaction: true,
        }
    }
}

/// 1/4 of physical memory, capped at 2 GiB; 1 GiB when RAM cannot be read.
fn default_memtable_space() -> u64 {
    // Reading /proc/meminfo is the only way without a new dependency; any
    // failure falls back to a fixed size.
    let ram = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    match ram {
        Some(bytes) => (bytes / 4).clamp(64 << 20, 2 << 30),
        None => 1 << 30,
    }
}

impl Config {
    /// The cleanup threshold in effect (see `memtable_cleanup_threshold`).
    pub fn cleanup_threshold(&self) -> f64 {
        self.memtable_cleanup_threshold
            .unwrap_or(1.0 / (1.0 + self.memtable_flush_writers.max(1) as f64))
    }

    /// A small configuration rooted at `dir` for tests: batch sync (every
    /// acknowledged write durable), 1 MiB segments, 4 MiB memtable space,
    /// unthrottled compaction, automatic compaction off (tests call
    /// `compact` explicitly).
    pub fn for_tests(dir: &Path) -> Config {
        Config {
            data_dir: dir.join("data"),
            commitlog_dir: dir.join("commitlog"),
            commitlog_sync: SyncMode::Batch,
            commitlog_segment_size: 1 << 20,
            commitlog_total_space: 64 << 20,
            commitlog_ignore_replay_errors: false,
            commitlog_preallocate: false,
            memtable_space: 4 << 20,
            memtable_flush_writers: 2,
            memtable_cleanup_threshold: None,
            memtable_throttle_start: 0.75,
            compaction_yields_to_flush: true,
            compaction_throughput: 0,
            concurrent_compactors: 1,
            compaction_thread_nice: 10,
            sstable_block_size: 4 << 10,
            block_cache_size: 8 << 20,
            auto_compaction: false,
        }
    }

    /// Checks ranges; returns `Error::InvalidConfig` naming the bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidConfig(m.to_string()));
        if self.commitlog_segment_size < 64 << 10 || self.commitlog_segment_size > 1 << 31 {
            return bad("commitlog_segment_size must be between 64 KiB and 2 GiB");
        }
        if self.commitlog_total_space < self.commitlog_segment_size.saturating_mul(2) {
            return bad("commitlog_total_space must be at least two segments");
        }
        if self.memtable_space < 1 << 20 {
            return bad("memtable_space must be at least 1 MiB");
        }
        if !(1..=64).contains(&self.memtable_flush_writers) {
            return bad("memtable_flush_writers must be between 1 and 64");
        }
        let fraction = |f: f64| f > 0.0 && f <= 1.0;
        if !fraction(self.cleanup_threshold()) {
            return bad("memtable_cleanup_threshold must be in (0, 1]");
        }
        if !fraction(self.memtable_throttle_start) {
            return bad("memtable_throttle_start must be in (0, 1]");
        }
        if self.concurrent_compactors == 0 {
            return bad("concurrent_compactors must be at least 1");
        }
        if !(0..=19).contains(&self.compaction_thread_nice) {
            return bad("compaction_thread_nice must be between 0 and 19");
        }
        // Blocks under 512 B only make sense in tests that split partitions
        // into many blocks; 64 B still holds a row or two.
        if self.sstable_block_size < 64 || self.sstable_block_size > 1 << 20 {
            return bad("sstable_block_size must be between 64 B and 1 MiB");
        }
        match self.commitlog_sync {
            SyncMode::Periodic { period } if period.is_zero() => {
                bad("commitlog_sync periodic period must be > 0")
            }
            SyncMode::Group { window } if window.is_zero() => {
                bad("commitlog_sync group window must be > 0")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        Config::default()
            .validate()
            .expect("default config is valid");
        let dir = Path::new("/tmp/x");
        Config::for_tests(dir)
            .validate()
            .expect("test config is valid");
    }

    #[test]
    fn bad_values_are_named() {
        let c = Config {
            concurrent_compactors: 0,
            ..Config::default()
        };
        let e = c.validate().expect_err("zero compactors rejected");
        assert!(e.to_string().contains("concurrent_compactors"));
    }
}
