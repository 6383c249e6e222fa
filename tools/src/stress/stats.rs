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

    /// Hands back the interval so far and starts a new one.
    pub fn take_interval(&mut self) -> Window {
        std::mem::replace(&mut self.interval, Window::new())
    }
}
