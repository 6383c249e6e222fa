//! Compaction: strategies choose which SSTables to merge (pure functions of a
//! metadata snapshot, testable without I/O); the executor merges them,
//! purging droppable tombstones, and the engine swaps the result in.
//!
//! Strategies: size-tiered (default), leveled, time-window, as in Cassandra.
use crate::error::{Error, Result};

#[cfg(test)]
mod copy_tests;
mod executor;
mod lcs;
mod stcs;
mod twcs;

pub(crate) use executor::{run as run_compaction, Job};
pub use executor::{CompactionOutput, Throttle};
pub use lcs::Strategy as Leveled;
pub use stcs::Strategy as SizeTiered;
pub use twcs::Strategy as TimeWindow;

/// Time unit of a time-window compaction window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeWindowUnit {
    Minutes,
    Hours,
    Days,
}

impl TimeWindowUnit {
    /// Length of one unit in microseconds (write timestamps are µs).
    pub fn micros(self) -> i64 {
        match self {
            TimeWindowUnit::Minutes => 60_000_000,
            TimeWindowUnit::Hours => 3_600_000_000,
            TimeWindowUnit::Days => 86_400_000_000,
        }
    }
}

/// A table's compaction strategy and its options (CQL `compaction = {...}`).
#[derive(Debug, Clone, PartialEq)]
pub enum CompactionConfig {
    /// SizeTieredCompactionStrategy. Defaults: 4, 32, 0.5, 1.5, 50 MiB.
    SizeTiered {
        min_threshold: u32,
        max_threshold: u32,
        bucket_low: f64,
        bucket_high: f64,
        min_sstable_size: u64,
    },
    /// LeveledCompactionStrategy. Defaults: 160 MiB, fanout 10.
    Leveled {
        sstable_size_in_mb: u32,
        fanout_size: u32,
    },
    /// TimeWindowCompactionStrategy. Defaults: 1 day. Inside the newest
    /// window SSTables are size-tiered (thresholds 4 / 32).
    TimeWindow {
        window_unit: TimeWindowUnit,
        window_size: u32,
    },
}

impl Default for CompactionConfig {
    fn default() -> Self {
        CompactionConfig::size_tiered()
    }
}

impl CompactionConfig {
    /// Size-tiered with Cassandra's defaults.
    pub fn size_tiered() -> Self {
        CompactionConfig::SizeTiered {
            min_threshold: 4,
            max_threshold: 32,
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_size: 50 << 20,
        }
    }

    /// Leveled with Cassandra's defaults.
    pub fn leveled() -> Self {
        CompactionConfig::Leveled {
            sstable_size_in_mb: 160,
            fanout_size: 10,
        }
    }

    /// Time-window with Cassandra's defaults (1 day).
    pub fn time_window() -> Self {
        CompactionConfig::TimeWindow {
            window_unit: TimeWindowUnit::Days,
            window_size: 1,
        }
    }

    /// Checks option ranges; the error names the option.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidConfig(m.to_string()));
        match *self {
            CompactionConfig::SizeTiered {
                min_threshold,
                max_threshold,
                bucket_low,
                bucket_high,
                ..
            } => {
                if min_threshold < 2 {
                    return bad("min_threshold must be at least 2");
                }
                if max_threshold < min_threshold {
                    return bad("max_threshold must be >= min_threshold");
                }
                if !(bucket_low > 0.0 && bucket_low < 1.0 && bucket_high > 1.0) {
                    return bad("bucket_low must be in (0, 1) and bucket_high > 1");
                }
                Ok(())
            }
            CompactionConfig::Leveled {
                sstable_size_in_mb,
                fanout_size,
            } => {
                if sstable_size_in_mb == 0 {
                    return bad("sstable_size_in_mb must be > 0");
                }
                if fanout_size < 2 {
                    return bad("fanout_size must be at least 2");
                }
                Ok(())
            }
            CompactionConfig::TimeWindow { window_size, .. } => {
                if window_size == 0 {
                    return bad("compaction_window_size must be > 0");
                }
                Ok(())
            }
        }
    }

    /// The strategy object for these options.
    pub fn strategy(&self) -> Box<dyn CompactionStrategy> {
        match *self {
            CompactionConfig::SizeTiered {
                min_threshold,
                max_threshold,
                bucket_low,
                bucket_high,
                min_sstable_size,
            } => Box::new(SizeTiered {
                min_threshold: min_threshold as usize,
                max_threshold: max_threshold as usize,
                bucket_low,
                bucket_high,
                min_sstable_size,
            }),
            CompactionConfig::Leveled {
                sstable_size_in_mb,
                fanout_size,
            } => Box::new(Leveled {
                sstable_size: u64::from(sstable_size_in_mb) << 20,
                fanout: u64::from(fanout_size),
            }),
            CompactionConfig::TimeWindow {
                window_unit,
                window_size,
            } => Box::new(TimeWindow {
                window_micros: window_unit.micros() * i64::from(window_size),
            }),
        }
    }
}

/// What a strategy sees of one live SSTable.
#[derive(Debug, Clone, PartialEq)]
pub struct SstableInfo {
    pub generation: u64,
    /// Data file size in bytes.
    pub size: u64,
    /// Leveled-compaction level (0 for flushed tables and other strategies).
    pub level: u32,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    /// First and last partition as (token, key).
    pub first: (i64, Vec<u8>),
    pub last: (i64, Vec<u8>),
}

/// What to compact.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionTask {
    /// Generations of the input SSTables.
    pub inputs: Vec<u64>,
    /// Level of the outputs (leveled compaction; 0 otherwise).
    pub output_level: u32,
    /// Split outputs at this data size (leveled compaction); `None` = one output.
    pub max_output_size: Option<u64>,
}

/// Chooses the next compaction from a snapshot of the live SSTables that are
/// not already being compacted. Pure: no I/O, no clock.
pub trait CompactionStrategy: Send + Sync {
    /// The next task, or `None` when nothing needs compacting.
    fn next_task(&self, sstables: &[SstableInfo]) -> Option<CompactionTask>;
}
