//! Compaction executor (being built).

/// Result of one compaction.
#[derive(Debug, Clone, Default)]
pub struct CompactionOutput {
    pub bytes_read: u64,
    pub bytes_written: u64,
}

/// Limits compaction write throughput.
#[derive(Debug)]
pub struct Throttle {
    pub bytes_per_sec: u64,
}

pub(crate) fn run() {}
