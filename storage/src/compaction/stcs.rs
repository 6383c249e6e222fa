//! Size-tiered compaction (Cassandra's STCS): group SSTables of similar size
//! into buckets and merge a bucket once it holds `min_threshold` tables.
use super::{CompactionStrategy, CompactionTask, SstableInfo};

/// Size-tiered strategy; fields mirror the CQL options.
#[derive(Debug, Clone)]
pub struct Strategy {
    pub min_threshold: usize,
    pub max_threshold: usize,
    pub bucket_low: f64,
    pub bucket_high: f64,
    /// Tables smaller than this all share one bucket.
    pub min_sstable_size: u64,
}

/// Groups tables into size buckets, each sorted by size ascending.
pub(crate) fn buckets<'a>(s: &Strategy, sstables: &'a [SstableInfo]) -> Vec<Vec<&'a SstableInfo>> {
    let mut sorted: Vec<&SstableInfo> = sstables.iter().collect();
    sorted.sort_by_key(|t| (t.size, t.generation));
    let mut out: Vec<(f64, Vec<&SstableInfo>)> = Vec::new();
    for t in sorted {
        let size = t.size as f64;
        let fit = out.iter_mut().find(|(avg, _)| {
            (size >= avg * s.bucket_low && size <= avg * s.bucket_high)
                || (t.size < s.min_sstable_size && *avg < s.min_sstable_size as f64)
        });
        match fit {
            Some((avg, members)) => {
                let n = members.len() as f64;
                *avg = (*avg * n + size) / (n + 1.0);
                members.push(t);
            }
            None => out.push((size, vec![t])),
        }
    }
    out.into_iter().map(|(_, m)| m).collect()
}

impl CompactionStrategy for Strategy {
    fn next_task(&self, sstables: &[SstableInfo]) -> Option<CompactionTask> {
        // Among the buckets that are full enough, merge the one with the
        // smallest tables first: it is cheapest and reduces the count most.
        let bucket = buckets(self, sstables)
            .into_iter()
            .filter(|b| b.len() >= self.min_threshold)
            .min_by_key(|b| b.iter().map(|t| t.size).sum::<u64>() / b.len() as u64)?;
        Some(CompactionTask {
            inputs: bucket
                .iter()
                .take(self.max_threshold)
                .map(|t| t.generation)
                .collect(),
            output_level: 0,
            max_output_size: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn info(generation: u64, size: u64) -> SstableInfo {
        SstableInfo {
            generation,
            size,
            level: 0,
            min_timestamp: 0,
            max_timestamp: 0,
            first: (0, vec![]),
            last: (0, vec![]),
        }
    }

    fn strategy() -> Strategy {
        Strategy {
            min_threshold: 4,
            max_threshold: 32,
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_size: 1000,
        }
    }

    #[test]
    fn waits_for_min_threshold() {
        let s = strategy();
        let tables: Vec<_> = (0..3).map(|g| info(g, 5000)).collect();
        assert_eq!(s.next_task(&tables), None);
    }

    #[test]
    fn merges_similar_sizes_not_outliers() {
        let s = strategy();
        let mut tables: Vec<_> = (0..4).map(|g| info(g, 5000 + g * 100)).collect();
        tables.push(info(10, 1_000_000));
        let task = s.next_task(&tables).expect("a bucket of four");
        let mut inputs = task.inputs.clone();
        inputs.sort();
        assert_eq!(inputs, vec![0, 1, 2, 3]);
    }

    #[test]
    fn small_tables_share_a_bucket_and_max_threshold_caps() {
        let mut s = strategy();
        s.max_threshold = 5;
        let tables: Vec<_> = (0..8).map(|g| info(g, 10 + g * 90)).collect();
        let task = s.next_task(&tables).expect("all small tables bucketed");
        assert_eq!(task.inputs.len(), 5);
    }
}
