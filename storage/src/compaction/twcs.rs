//! Time-window compaction (Cassandra's TWCS): tables are grouped by the
//! window of their newest write; the current window is size-tiered, and each
//! older window is merged into a single table.
use std::collections::BTreeMap;

use super::{stcs, CompactionStrategy, CompactionTask, SstableInfo};

/// Time-window strategy.
#[derive(Debug, Clone)]
pub struct Strategy {
    /// Window length in microseconds (write timestamps are µs).
    pub window_micros: i64,
}

impl CompactionStrategy for Strategy {
    fn next_task(&self, sstables: &[SstableInfo]) -> Option<CompactionTask> {
        let width = self.window_micros.max(1);
        let mut windows: BTreeMap<i64, Vec<SstableInfo>> = BTreeMap::new();
        for t in sstables {
            windows
                .entry(t.max_timestamp.div_euclid(width))
                .or_default()
                .push(t.clone());
        }
        let mut newest_first = windows.into_iter().rev();
        let (_, current) = newest_first.next()?;
        let tiered = stcs::Strategy {
            min_threshold: 4,
            max_threshold: 32,
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_size: 50 << 20,
        };
        if let Some(task) = tiered.next_task(&current) {
            return Some(task);
        }
        for (_, tables) in newest_first {
            if tables.len() >= 2 {
                let mut inputs: Vec<u64> = tables.iter().map(|t| t.generation).collect();
                inputs.sort();
                inputs.truncate(32);
                return Some(CompactionTask {
                    inputs,
                    output_level: 0,
                    max_output_size: None,
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(generation: u64, max_ts: i64) -> SstableInfo {
        SstableInfo {
            generation,
            size: 1000,
            level: 0,
            min_timestamp: max_ts - 10,
            max_timestamp: max_ts,
            first: (0, vec![]),
            last: (0, vec![]),
        }
    }

    #[test]
    fn old_windows_collapse_current_window_tiers() {
        let s = Strategy { window_micros: 100 };
        // Window 0: two tables -> merged. Window 5 (current): two tables -> wait.
        let t = vec![info(1, 10), info(2, 20), info(3, 510), info(4, 520)];
        let task = s.next_task(&t).expect("old window merges");
        assert_eq!(task.inputs, vec![1, 2]);
        let t = vec![info(1, 10), info(3, 510), info(4, 520)];
        assert_eq!(s.next_task(&t), None);
        let t: Vec<_> = (0..4).map(|g| info(g, 500 + g as i64)).collect();
        assert_eq!(s.next_task(&t).map(|t| t.inputs.len()), Some(4));
    }
}
