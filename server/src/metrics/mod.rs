//! The node's metrics registry: request counts and latencies per operation, errors by
//! protocol code, client connections, dropped responses, and read/write latencies per
//! table. Everything recorded on the request path is a relaxed atomic (see
//! [`histogram`]); the per-table map is read-locked once per storage call. Gauges that
//! the engine already tracks (memtable bytes, SSTables, flushes, compactions, commit
//! log) are read from it when `/metrics` is rendered ([`prometheus`]).
//!
//! One registry per process ([`global`]), like Cassandra's metrics registry: the
//! transport and the coordinator record into it without threading a handle through
//! every call. In-process test nodes therefore share it.

pub mod histogram;
pub mod prometheus;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use cql::error::ErrorCode;
use cql::frame::Opcode;
use parking_lot::RwLock;

pub use histogram::{Histogram, Snapshot};

/// Request kinds with their own count and latency (`op` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Query,
    Prepare,
    Execute,
    Batch,
    /// OPTIONS and the other handshake-free requests answered by the dispatcher.
    Other,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Query, Op::Prepare, Op::Execute, Op::Batch, Op::Other];

    pub fn of(opcode: Opcode) -> Op {
        match opcode {
            Opcode::Query => Op::Query,
            Opcode::Prepare => Op::Prepare,
            Opcode::Execute => Op::Execute,
            Opcode::Batch => Op::Batch,
            _ => Op::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Op::Query => "query",
            Op::Prepare => "prepare",
            Op::Execute => "execute",
            Op::Batch => "batch",
            Op::Other => "other",
        }
    }
}

/// Local read and write latencies of one table (nanoseconds), as Cassandra's table
/// metrics: the time spent in the storage engine, not the whole request.
#[derive(Debug, Default)]
pub struct TableMetrics {
    pub reads: Histogram,
    pub writes: Histogram,
}

/// The registry.
#[derive(Debug)]
pub struct Metrics {
    /// Latency in nanoseconds per [`Op`]; its count is the request count.
    requests: [Histogram; Op::ALL.len()],
    /// Error responses per code, indexed like [`ErrorCode::ALL`].
    errors: [AtomicU64; ErrorCode::ALL.len()],
    connections: AtomicI64,
    connections_total: AtomicU64,
    connections_refused: AtomicU64,
    dropped_responses: AtomicU64,
    tables: RwLock<storage::TableMap<Arc<TableMetrics>>>,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Default::default(),
            errors: Default::default(),
            connections: AtomicI64::new(0),
            connections_total: AtomicU64::new(0),
            connections_refused: AtomicU64::new(0),
            dropped_responses: AtomicU64::new(0),
            tables: RwLock::new(storage::TableMap::default()),
            started: Instant::now(),
        }
    }
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::default);

/// The process's registry.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

fn nanos_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Counts an open client connection until dropped.
pub struct ConnectionGuard(&'static Metrics);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// A request of kind `op` that started at `started` was answered, with an error
    /// of `error` if it failed.
    pub fn request(&self, op: Op, started: Instant, error: Option<ErrorCode>) {
        if let Some(h) = self.requests.get(op as usize) {
            h.record(nanos_since(started));
        }
        if let Some(code) = error {
            self.error(code);
        }
    }

    /// An ERROR response of `code` was sent.
    pub fn error(&self, code: ErrorCode) {
        if let Some(i) = ErrorCode::ALL.iter().position(|c| *c == code) {
            if let Some(c) = self.errors.get(i) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn connection_opened(&'static self) -> ConnectionGuard {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.connections_total.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(self)
    }

    /// A connection refused at the `native_transport_max_concurrent_connections` limit.
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A response that could not be delivered (its connection was already gone).
    pub fn dropped_response(&self) {
        self.dropped_responses.fetch_add(1, Ordering::Relaxed);
    }

    /// The table's metrics, created on first use.
    pub fn table(&self, id: storage::TableId) -> Arc<TableMetrics> {
        if let Some(t) = self.tables.read().get(&id) {
            return Arc::clone(t);
        }
        Arc::clone(self.tables.write().entry(id).or_default())
    }

    /// The table's metrics if anything was recorded for it.
    pub fn table_if_any(&self, id: storage::TableId) -> Option<Arc<TableMetrics>> {
        self.tables.read().get(&id).cloned()
    }

    /// Runs a storage write of `table` and records its latency.
    pub fn time_write<T>(&self, table: storage::TableId, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        let nanos = nanos_since(t);
        self.record_table(table, |m| m.writes.record(nanos));
        out
    }

    /// Runs a storage read of `table` and records its latency.
    pub fn time_read<T>(&self, table: storage::TableId, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        let nanos = nanos_since(t);
        self.record_table(table, |m| m.reads.record(nanos));
        out
    }

    /// Records into the table's metrics under the map's read lock: once the table
    /// has metrics (every call after its first) this costs no reference count.
    fn record_table(&self, id: storage::TableId, record: impl FnOnce(&TableMetrics)) {
        if let Some(t) = self.tables.read().get(&id) {
            record(t);
            return;
        }
        record(&self.table(id));
    }

    /// Requests of `op` answered so far, with their latencies.
    pub fn requests(&self, op: Op) -> Snapshot {
        self.requests
            .get(op as usize)
            .map(Histogram::snapshot)
            .unwrap_or_else(|| Histogram::default().snapshot())
    }

    /// Error responses per code.
    pub fn errors(&self) -> Vec<(ErrorCode, u64)> {
        ErrorCode::ALL
            .iter()
            .zip(&self.errors)
            .map(|(c, n)| (*c, n.load(Ordering::Relaxed)))
            .collect()
    }

    /// (open now, opened since start, refused at the limit).
    pub fn connections(&self) -> (i64, u64, u64) {
        (
            self.connections.load(Ordering::Relaxed),
            self.connections_total.load(Ordering::Relaxed),
            self.connections_refused.load(Ordering::Relaxed),
        )
    }

    pub fn dropped_responses(&self) -> u64 {
        self.dropped_responses.load(Ordering::Relaxed)
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }
}

/// The Prometheus label value of an error code: the spec's name in snake case.
pub fn error_label(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Server => "server_error",
        ErrorCode::Protocol => "protocol_error",
        ErrorCode::BadCredentials => "bad_credentials",
        ErrorCode::Unavailable => "unavailable",
        ErrorCode::Overloaded => "overloaded",
        ErrorCode::IsBootstrapping => "is_bootstrapping",
        ErrorCode::Truncate => "truncate_error",
        ErrorCode::WriteTimeout => "write_timeout",
        ErrorCode::ReadTimeout => "read_timeout",
        ErrorCode::ReadFailure => "read_failure",
        ErrorCode::FunctionFailure => "function_failure",
        ErrorCode::WriteFailure => "write_failure",
        ErrorCode::CdcWriteFailure => "cdc_write_failure",
        ErrorCode::CasWriteUnknown => "cas_write_unknown",
        ErrorCode::Syntax => "syntax_error",
        ErrorCode::Unauthorized => "unauthorized",
        ErrorCode::Invalid => "invalid",
        ErrorCode::Config => "config_error",
        ErrorCode::AlreadyExists => "already_exists",
        ErrorCode::Unprepared => "unprepared",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_calls_are_recorded_per_table() {
        let m = Metrics::default();
        let a = storage::TableId(uuid::Uuid::from_u128(
            0x1111_0000_0000_11f0_8000_0000_0000_0001,
        ));
        let b = storage::TableId(uuid::Uuid::from_u128(
            0x1111_0000_0000_11f0_8000_0000_0000_0002,
        ));
        for _ in 0..3 {
            m.time_write(a, || ());
        }
        m.time_read(a, || ());
        m.time_write(b, || ());
        let ta = m.table_if_any(a).expect("metrics of a");
        let tb = m.table_if_any(b).expect("metrics of b");
        assert_eq!(ta.writes.snapshot().count(), 3);
        assert_eq!(ta.reads.snapshot().count(), 1);
        assert_eq!(tb.writes.snapshot().count(), 1);
        assert_eq!(tb.reads.snapshot().count(), 0);
    }
}
