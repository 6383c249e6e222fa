//! Engine-wide activity counters for the node's metrics and nodetool: flushes,
//! compactions, background work waiting, commit-log syncs. Plain relaxed atomics,
//! bumped once per flush / compaction / sync (never per write), so they cost
//! nothing measurable; readers take a [`ActivityStats`] copy.
use std::sync::atomic::{AtomicU64, Ordering};

/// What the engine has done since it opened (see [`crate::Engine::activity`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityStats {
    /// Memtable flushes that wrote an SSTable.
    pub flushes: u64,
    /// Memtable bytes those flushes freed (the memtable's accounted size).
    pub flushed_bytes: u64,
    /// Compactions completed (background and major).
    pub compactions: u64,
    /// SSTable bytes compactions read.
    pub compacted_bytes_read: u64,
    /// SSTable bytes compactions wrote.
    pub compacted_bytes_written: u64,
    /// Compactions running right now.
    pub active_compactions: u64,
    /// Flush jobs queued for the background flusher, not started yet.
    pub pending_flushes: u64,
    /// Compaction jobs queued for the background compactors, not started yet.
    pub pending_compactions: u64,
    /// Commit-log fsyncs.
    pub commitlog_syncs: u64,
    /// Total time spent in those fsyncs, in nanoseconds.
    pub commitlog_sync_nanos: u64,
    /// Bytes in the commit-log segments still kept.
    pub commitlog_bytes: u64,
    /// Writes whose acknowledgement was paced (memtables past the soft mark); the
    /// mutations of one CQL request count once.
    pub paced_writes: u64,
    /// Total pacing delay of those writes, in nanoseconds.
    pub paced_nanos: u64,
    /// Writes that waited at the hard memtable limit for a flush.
    pub blocked_writes: u64,
    /// Total time those writes waited, in nanoseconds.
    pub blocked_nanos: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Activity {
    pub flushes: AtomicU64,
    pub flushed_bytes: AtomicU64,
    pub compactions: AtomicU64,
    pub compacted_bytes_read: AtomicU64,
    pub compacted_bytes_written: AtomicU64,
    pub active_compactions: AtomicU64,
    pub paced_writes: AtomicU64,
    pub paced_nanos: AtomicU64,
    pub blocked_writes: AtomicU64,
    pub blocked_nanos: AtomicU64,
}

impl Activity {
    pub fn flushed(&self, bytes: usize) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flushed_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A write delayed by pacing (`blocked` false) or by the hard limit.
    pub fn throttled(&self, blocked: bool, d: std::time::Duration) {
        let (n, t) = if blocked {
            (&self.blocked_writes, &self.blocked_nanos)
        } else {
            (&self.paced_writes, &self.paced_nanos)
        };
        n.fetch_add(1, Ordering::Relaxed);
        t.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    pub fn compacted(&self, read: u64, written: u64) {
        self.compactions.fetch_add(1, Ordering::Relaxed);
        self.compacted_bytes_read.fetch_add(read, Ordering::Relaxed);
        self.compacted_bytes_written
            .fetch_add(written, Ordering::Relaxed);
    }

    /// Counts a running compaction until the guard drops (error paths included).
    pub fn compaction_running(&self) -> Running<'_> {
        self.active_compactions.fetch_add(1, Ordering::Relaxed);
        Running(&self.active_compactions)
    }

    pub fn stats(&self) -> ActivityStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ActivityStats {
            flushes: get(&self.flushes),
            flushed_bytes: get(&self.flushed_bytes),
            compactions: get(&self.compactions),
            compacted_bytes_read: get(&self.compacted_bytes_read),
            compacted_bytes_written: get(&self.compacted_bytes_written),
            active_compactions: get(&self.active_compactions),
            paced_writes: get(&self.paced_writes),
            paced_nanos: get(&self.paced_nanos),
            blocked_writes: get(&self.blocked_writes),
            blocked_nanos: get(&self.blocked_nanos),
            ..ActivityStats::default()
        }
    }
}

pub(crate) struct Running<'a>(&'a AtomicU64);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one SSTable says about its partitions (nodetool tablehistograms): the
/// statistics keep totals, not a per-partition histogram, so sizes are per-SSTable
/// means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionEstimate {
    pub partitions: u64,
    /// Mean uncompressed bytes of a partition in this SSTable.
    pub mean_bytes: u64,
    /// Mean cells of a partition in this SSTable.
    pub mean_cells: u64,
}

impl super::Engine {
    /// One [`PartitionEstimate`] per live SSTable of `table`.
    pub fn partition_estimates(
        &self,
        table: crate::types::TableId,
    ) -> crate::Result<Vec<PartitionEstimate>> {
        let (_, version) = self.table(table)?.snapshot();
        Ok(version
            .sstables
            .iter()
            .filter(|s| s.stats.partition_count > 0)
            .map(|s| PartitionEstimate {
                partitions: s.stats.partition_count,
                mean_bytes: s.stats.uncompressed_size / s.stats.partition_count,
                mean_cells: s.stats.cell_count / s.stats.partition_count,
            })
            .collect())
    }
}
