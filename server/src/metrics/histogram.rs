//! A lock-free log-linear histogram: each power of two is split into four linear
//! buckets (at most 25% relative error), one atomic count per bucket. Recording is one
//! index computation and two relaxed `fetch_add`s, so it can sit on the request path;
//! percentiles and Prometheus buckets are computed from a copy when someone asks.

use std::sync::atomic::{AtomicU64, Ordering};

/// Sub-buckets per power of two (a power of two itself).
const SUB: u64 = 4;
const SUB_BITS: u32 = SUB.trailing_zeros();
/// Buckets needed to cover every u64 value.
const BUCKETS: usize = (SUB as usize) * (64 - SUB_BITS as usize + 1);

/// Bucket of a value: values below `SUB` have their own bucket; above, the exponent
/// picks the group and the next `SUB_BITS` bits the bucket within it.
fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= SUB_BITS
    let sub = (v >> (e - SUB_BITS)) & (SUB - 1);
    ((e - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

/// Smallest value that lands in bucket `i + 1` (the exclusive upper bound of `i`).
fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i + 1;
    }
    let group = i / SUB; // >= 1
    let sub = i % SUB;
    let shift = (group - 1) as u32;
    // (SUB + sub + 1) << shift, saturating at the top of the range.
    let b = u128::from(SUB + sub + 1) << shift;
    u64::try_from(b).unwrap_or(u64::MAX)
}

/// Counts of values (nanoseconds, bytes, cells: the caller picks the unit).
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.snapshot();
        f.debug_struct("Histogram")
            .field("count", &s.count())
            .field("sum", &s.sum)
            .finish()
    }
}

impl Histogram {
    pub fn record(&self, v: u64) {
        self.record_n(v, 1);
    }

    /// Records `n` occurrences of `v`.
    pub fn record_n(&self, v: u64, n: u64) {
        if let Some(b) = self.buckets.get(index(v)) {
            b.fetch_add(n, Ordering::Relaxed);
        }
        self.sum.fetch_add(v.saturating_mul(n), Ordering::Relaxed);
    }

    /// A point-in-time copy (buckets are read one by one: a concurrent record may be
    /// counted in the buckets and not yet in the sum, which no reader can notice).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            counts: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

/// A copy of a [`Histogram`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    counts: Vec<u64>,
    pub sum: u64,
}

impl Snapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The value at quantile `q` (0..=1): the upper bound of the bucket holding it
    /// (Cassandra's EstimatedHistogram reports bucket bounds the same way). 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper_bound(i).saturating_sub(1);
            }
        }
        u64::MAX
    }

    /// Largest recorded value's bucket bound (0 when empty).
    pub fn max(&self) -> u64 {
        self.quantile(1.0)
    }

    /// Smallest recorded value's bucket bound (0 when empty).
    pub fn min(&self) -> u64 {
        match self.counts.iter().position(|c| *c > 0) {
            Some(0) | None => 0,
            Some(i) => upper_bound(i - 1),
        }
    }

    /// Cumulative counts at the bounds `les` (each `<= le`), for Prometheus buckets.
    /// Each bound should be a bucket boundary (a power of two works) to be exact.
    pub fn cumulative(&self, les: &[u64]) -> Vec<u64> {
        les.iter()
            .map(|le| {
                self.counts
                    .iter()
                    .enumerate()
                    .take_while(|(i, _)| upper_bound(*i) <= le.saturating_add(1))
                    .map(|(_, c)| c)
                    .sum()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_ordered() {
        let mut prev = 0;
        for i in 0..BUCKETS - 1 {
            let ub = upper_bound(i);
            assert!(ub > prev, "bucket {i}");
            // The bound is the first value of the next bucket.
            assert_eq!(index(ub), i + 1, "bucket {i} bound {ub}");
            assert_eq!(index(ub - 1), i, "bucket {i} last value");
            prev = ub;
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_are_within_a_quarter_of_the_truth() {
        let h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let s = h.snapshot();
        assert_eq!(s.count(), 10_000);
        assert_eq!(s.sum, (1..=10_000u64).map(|v| v * 1000).sum::<u64>());
        for (q, truth) in [(0.5, 5_000_000.0), (0.99, 9_900_000.0), (1.0, 10_000_000.0)] {
            let got = s.quantile(q) as f64;
            assert!(
                got >= truth && got <= truth * 1.25,
                "q{q}: {got} vs {truth}"
            );
        }
        assert!(s.min() <= 1000 && s.min() >= 750);
    }

    #[test]
    fn cumulative_counts_at_powers_of_two() {
        let h = Histogram::default();
        for v in [1u64, 3, 100, 1000, 5000] {
            h.record(v);
        }
        let s = h.snapshot();
        assert_eq!(
            s.cumulative(&[1, 4, 128, 1024, 4096, 8192]),
            vec![1, 2, 3, 4, 4, 5]
        );
        assert_eq!(Histogram::default().snapshot().quantile(0.5), 0);
    }
}
