//! Leveled compaction (Cassandra's LCS): L0 holds flushed tables; every level
//! L >= 1 holds non-overlapping tables of about `sstable_size` and at most
//! `sstable_size * fanout^L` bytes. Overflow moves one table (plus the tables
//! it overlaps) down a level.
use super::{CompactionStrategy, CompactionTask, SstableInfo};

/// Number of L0 tables that triggers an L0 -> L1 compaction.
const L0_TRIGGER: usize = 4;
/// Cap on L0 tables per compaction, so one task stays bounded.
const L0_MAX: usize = 32;

/// Leveled strategy.
#[derive(Debug, Clone)]
pub struct Strategy {
    /// Target size of one output table, bytes.
    pub sstable_size: u64,
    pub fanout: u64,
}

fn overlaps(a: &SstableInfo, first: &(i64, Vec<u8>), last: &(i64, Vec<u8>)) -> bool {
    !(a.last < *first || a.first > *last)
}

impl Strategy {
    fn max_bytes(&self, level: u32) -> u64 {
        let mut max = self.sstable_size;
        for _ in 0..level {
            max = max.saturating_mul(self.fanout);
        }
        max
    }

    fn task_with_overlaps(
        &self,
        picked: Vec<&SstableInfo>,
        next: &[&SstableInfo],
        output_level: u32,
    ) -> Option<CompactionTask> {
        let first = picked.iter().map(|t| t.first.clone()).min()?;
        let last = picked.iter().map(|t| t.last.clone()).max()?;
        let mut inputs: Vec<u64> = picked.iter().map(|t| t.generation).collect();
        inputs.extend(
            next.iter()
                .filter(|t| overlaps(t, &first, &last))
                .map(|t| t.generation),
        );
        Some(CompactionTask {
            inputs,
            output_level,
            max_output_size: Some(self.sstable_size),
        })
    }
}

impl CompactionStrategy for Strategy {
    fn next_task(&self, sstables: &[SstableInfo]) -> Option<CompactionTask> {
        let max_level = sstables.iter().map(|t| t.level).max().unwrap_or(0);
        let level = |l: u32| -> Vec<&SstableInfo> {
            let mut v: Vec<&SstableInfo> = sstables.iter().filter(|t| t.level == l).collect();
            v.sort_by_key(|t| t.generation);
            v
        };
        let l0 = level(0);
        if l0.len() >= L0_TRIGGER {
            let picked: Vec<&SstableInfo> = l0.into_iter().take(L0_MAX).collect();
            return self.task_with_overlaps(picked, &level(1), 1);
        }
        for l in 1..=max_level {
            let tables = level(l);
            let total: u64 = tables.iter().map(|t| t.size).sum();
            if total > self.max_bytes(l) {
                // The oldest table of the level moves down first.
                let picked = vec![*tables.first()?];
                return self.task_with_overlaps(picked, &level(l + 1), l + 1);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(generation: u64, level: u32, size: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            generation,
            size,
            level,
            min_timestamp: 0,
            max_timestamp: 0,
            first: (first, vec![]),
            last: (last, vec![]),
        }
    }

    #[test]
    fn l0_compacts_into_overlapping_l1() {
        let s = Strategy {
            sstable_size: 100,
            fanout: 10,
        };
        let mut t: Vec<_> = (0..4).map(|g| info(g, 0, 50, 0, 10)).collect();
        t.push(info(10, 1, 100, 5, 8));
        t.push(info(11, 1, 100, 20, 30));
        let task = s.next_task(&t).expect("four L0 tables trigger");
        assert_eq!(task.output_level, 1);
        assert!(task.inputs.contains(&10));
        assert!(!task.inputs.contains(&11));
        assert_eq!(task.max_output_size, Some(100));
    }

    #[test]
    fn overfull_level_moves_one_table_down() {
        let s = Strategy {
            sstable_size: 100,
            fanout: 2,
        };
        // L1 may hold 200 bytes; it holds 300.
        let t = vec![
            info(1, 1, 100, 0, 9),
            info(2, 1, 100, 10, 19),
            info(3, 1, 100, 20, 29),
            info(4, 2, 100, 0, 5),
        ];
        let task = s.next_task(&t).expect("L1 overflows");
        assert_eq!(task.output_level, 2);
        assert_eq!(task.inputs, vec![1, 4]);
        assert_eq!(s.next_task(&t[..2]), None);
    }
}
