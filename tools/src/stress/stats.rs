//! What a run measured: latency histograms (HDR, microseconds), operation, partition
//! and row counts, and failures counted by error type with one sample message each.
//! One `Stats` is shared by the connection tasks of the single-threaded runtime, so
//! recording is a plain `&mut` update (no atomics, no locks on the hot path).

use std::collections::BTreeMap;

use cql::error::ErrorBody;
use hdrhistogram::Histogram;

use super::workload::OpKind;

/// Highest latency the histograms track exactly (60 s); above it values saturate.
const MAX_US: u64 = 60_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds")
}

/// Counters for one interval or the whole run.
#[derive(Debug, Clone)]
pub struct Window {
    pub latency: Histogram<u64>,
    pub ops: u64,
    pub partitions: u64,
    pub rows: u64,
    pub errors: u64,
}

impl Window {
    fn new() -> Window {
        Window {
            latency: histogram(),
            ops: 0,
            partitions: 0,
            rows: 0,
            errors: 0,
        }
    }
}

/// Per operation name (`write`, `read`, a profile query).
#[derive(Debug, Clone)]
pub struct OpStats {
    pub name: String,
    pub ops: u64,
    pub errors: u64,
    pub rows: u64,
    /// Reads that found no row.
    pub not_found: u64,
    pub latency: Histogram<u64>,
}

#[derive(Debug, Clone)]
pub struct Stats {
    pub total: Window,
    pub interval: Window,
    pub per_op: Vec<OpStats>,
    /// Error type (e.g. `Unavailable (0x1000)`, `connection lost`) -> count.
    pub errors: BTreeMap<String, u64>,
    /// Error type -> the first message seen.
    pub samples: BTreeMap<String, String>,
    /// Every finished progress interval, in order: what a long run is judged by
    /// (throughput that sags as compactions pile up, a stall in one interval).
    pub intervals: Vec<IntervalSummary>,
}

/// Throughput and worst latency of one progress interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalSummary {
    /// Seconds from the start of the run to the end of the interval.
    pub end_s: f64,
    pub op_rate: f64,
    pub max_latency_us: u64,
}

/// What the intervals of a run say about its steadiness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steadiness {
    /// Intervals judged: all but the first and the last (warm-up, partial).
    pub intervals: usize,
    pub min_rate: f64,
    pub median_rate: f64,
    pub max_rate: f64,
    /// The interval with the highest maximum latency (a stall shows up here).
    pub worst: IntervalSummary,
}

/// Min/median/max interval rate and the worst interval, leaving out the first and
/// the last interval (connection set-up, a partial last second). None with fewer
/// than three intervals.
pub fn steadiness(intervals: &[IntervalSummary]) -> Option<Steadiness> {
    let inner = intervals.get(1..intervals.len().checked_sub(1)?)?;
    let worst = *inner.iter().max_by_key(|i| i.max_latency_us)?;
    let mut rates: Vec<f64> = inner.iter().map(|i| i.op_rate).collect();
    rates.sort_by(f64::total_cmp);
    Some(Steadiness {
        intervals: rates.len(),
        min_rate: *rates.first()?,
        median_rate: *rates.get(rates.len() / 2)?,
        max_rate: *rates.last()?,
        worst,
    })
}

impl Stats {
    pub fn new(op_names: &[String]) -> Stats {
        Stats {
            total: Window::new(),
            interval: Window::new(),
            per_op: op_names
                .iter()
                .map(|n| OpStats {
                    name: n.clone(),
                    ops: 0,
                    errors: 0,
                    rows: 0,
                    not_found: 0,
                    latency: histogram(),
                })
                .collect(),
            errors: BTreeMap::new(),
            samples: BTreeMap::new(),
            intervals: Vec::new(),
        }
    }

    /// A successful operation; `rows` returned by a read (writes write one row).
    pub fn ok(&mut self, op: usize, kind: OpKind, latency_us: u64, rows: u32) {
        let rows = match kind {
            OpKind::Write => 1,
            OpKind::Read => u64::from(rows),
        };
        let us = latency_us.clamp(1, MAX_US);
        for w in [&mut self.total, &mut self.interval] {
            w.ops += 1;
            w.partitions += 1;
            w.rows += rows;
            w.latency.saturating_record(us);
        }
        let o = &mut self.per_op[op];
        o.ops += 1;
        o.rows += rows;
        if kind == OpKind::Read && rows == 0 {
            o.not_found += 1;
        }
        o.latency.saturating_record(us);
    }

    /// A failed operation, answered with an ERROR.
    pub fn failed(&mut self, op: usize, body: &ErrorBody) {
        let kind = format!("{:?} (0x{:04X})", body.code, body.code.as_i32());
        self.error(Some(op), kind, &body.message);
    }

    /// A failure of any kind; `op` is None when it cannot be attributed.
    pub fn error(&mut self, op: Option<usize>, kind: String, message: &str) {
        self.total.errors += 1;
        self.interval.errors += 1;
        if let Some(op) = op {
            self.per_op[op].errors += 1;
        }
        if !self.samples.contains_key(&kind) {
            self.samples.insert(kind.clone(), message.to_string());
        }
        *self.errors.entry(kind).or_insert(0) += 1;
    }

    /// Hands back the interval so far (`dt` long, ending `end_s` into the run), notes
    /// its rate and worst latency, and starts a new one.
    pub fn take_interval(&mut self, end_s: f64, dt: f64) -> Window {
        let w = std::mem::replace(&mut self.interval, Window::new());
        self.intervals.push(IntervalSummary {
            end_s,
            op_rate: w.ops as f64 / dt.max(1e-9),
            max_latency_us: w.latency.max(),
        });
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(end_s: f64, op_rate: f64, max_latency_us: u64) -> IntervalSummary {
        IntervalSummary {
            end_s,
            op_rate,
            max_latency_us,
        }
    }

    #[test]
    fn steadiness_leaves_out_the_first_and_last_interval() {
        let all = [
            iv(1.0, 10.0, 900_000),
            iv(2.0, 300.0, 2_000),
            iv(3.0, 100.0, 150_000),
            iv(4.0, 200.0, 1_000),
            iv(4.5, 5.0, 800_000),
        ];
        let s = steadiness(&all).expect("three inner intervals");
        assert_eq!(s.intervals, 3);
        assert_eq!(
            (s.min_rate, s.median_rate, s.max_rate),
            (100.0, 200.0, 300.0)
        );
        assert_eq!(s.worst, iv(3.0, 100.0, 150_000));
        assert_eq!(steadiness(&all[..2]), None);
    }

    #[test]
    fn take_interval_records_rate_and_worst_latency() {
        let mut st = Stats::new(&["write".to_string()]);
        st.ok(0, OpKind::Write, 500, 1);
        st.ok(0, OpKind::Write, 70_000, 1);
        let w = st.take_interval(2.0, 0.5);
        assert_eq!(w.ops, 2);
        assert_eq!(st.intervals.len(), 1);
        assert_eq!(st.intervals[0].op_rate, 4.0);
        assert!(st.intervals[0].max_latency_us >= 70_000);
        assert_eq!(st.take_interval(3.0, 1.0).ops, 0);
    }
}
