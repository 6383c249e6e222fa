//! `/metrics`: the registry and the engine's gauges in the Prometheus text exposition
//! format (version 0.0.4): a HELP and a TYPE line per family, latencies as histograms
//! in seconds with power-of-two bucket bounds (16 µs to 17 s), which are exact bucket
//! boundaries of [`super::Histogram`].

use std::fmt::Write;

use super::{error_label, Metrics, Op, Snapshot};
use crate::query::QueryProcessor;

/// Bucket bounds in nanoseconds: 2^14 .. 2^34.
fn latency_bounds() -> Vec<u64> {
    (14..=34).map(|e| 1u64 << e).collect()
}

/// Escapes a label value (backslash, double quote, newline).
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &str, value: impl std::fmt::Display) {
        if labels.is_empty() {
            let _ = writeln!(self.0, "{name} {value}");
        } else {
            let _ = writeln!(self.0, "{name}{{{labels}}} {value}");
        }
    }

    /// One histogram series (nanosecond snapshot) in seconds.
    fn latency(&mut self, name: &str, labels: &str, s: &Snapshot) {
        let bounds = latency_bounds();
        let sep = if labels.is_empty() { "" } else { "," };
        for (le, n) in bounds.iter().zip(s.cumulative(&bounds)) {
            let secs = *le as f64 / 1e9;
            self.sample(
                &format!("{name}_bucket"),
                &format!("{labels}{sep}le=\"{secs}\""),
                n,
            );
        }
        self.sample(
            &format!("{name}_bucket"),
            &format!("{labels}{sep}le=\"+Inf\""),
            s.count(),
        );
        self.sample(&format!("{name}_sum"), labels, s.sum as f64 / 1e9);
        self.sample(&format!("{name}_count"), labels, s.count());
    }
}

/// The whole exposition for this node.
pub fn render(m: &Metrics, p: &QueryProcessor) -> String {
    let mut o = Out(String::with_capacity(16 * 1024));

    o.family(
        "helenus_requests_total",
        "counter",
        "CQL requests answered, by operation.",
    );
    let per_op: Vec<(Op, Snapshot)> = Op::ALL.iter().map(|op| (*op, m.requests(*op))).collect();
    for (op, s) in &per_op {
        o.sample(
            "helenus_requests_total",
            &format!("op=\"{}\"", op.label()),
            s.count(),
        );
    }
    o.family(
        "helenus_request_latency_seconds",
        "histogram",
        "Time from a request's dispatch to its response, by operation.",
    );
    for (op, s) in &per_op {
        o.latency(
            "helenus_request_latency_seconds",
            &format!("op=\"{}\"", op.label()),
            s,
        );
    }
    o.family(
        "helenus_errors_total",
        "counter",
        "ERROR responses sent, by protocol error code.",
    );
    for (code, n) in m.errors() {
        o.sample(
            "helenus_errors_total",
            &format!("code=\"{}\"", error_label(code)),
            n,
        );
    }
    let (open, opened, refused) = m.connections();
    o.family(
        "helenus_connections",
        "gauge",
        "Open CQL client connections.",
    );
    o.sample("helenus_connections", "", open);
    o.family(
        "helenus_connections_opened_total",
        "counter",
        "CQL client connections accepted since start.",
    );
    o.sample("helenus_connections_opened_total", "", opened);
    o.family(
        "helenus_dropped_messages_total",
        "counter",
        "Messages dropped: responses whose connection was gone, connections refused at the limit.",
    );
    o.sample(
        "helenus_dropped_messages_total",
        "kind=\"response\"",
        m.dropped_responses(),
    );
    o.sample(
        "helenus_dropped_messages_total",
        "kind=\"connection\"",
        refused,
    );

    let engine = p.engine();
    let tables: Vec<_> = p
        .schema()
        .user_tables()
        .into_iter()
        .map(|t| {
            let id = crate::schema::storage_glue::table_id(&t);
            let labels = format!(
                "keyspace=\"{}\",table=\"{}\"",
                esc(&t.keyspace),
                esc(&t.name)
            );
            (id, labels)
        })
        .collect();
    let stats: Vec<_> = tables
        .iter()
        .filter_map(|(id, l)| engine.table_stats(*id).ok().map(|s| (*id, l, s)))
        .collect();

    o.family(
        "helenus_table_read_latency_seconds",
        "histogram",
        "Local read latency of a table (storage engine), per table.",
    );
    for (id, l, _) in &stats {
        let s = m.table_if_any(*id).map(|t| t.reads.snapshot());
        o.latency(
            "helenus_table_read_latency_seconds",
            l,
            &s.unwrap_or_else(|| super::Histogram::default().snapshot()),
        );
    }
    o.family(
        "helenus_table_write_latency_seconds",
        "histogram",
        "Local write latency of a table (commit log + memtable), per table.",
    );
    for (id, l, _) in &stats {
        let s = m.table_if_any(*id).map(|t| t.writes.snapshot());
        o.latency(
            "helenus_table_write_latency_seconds",
            l,
            &s.unwrap_or_else(|| super::Histogram::default().snapshot()),
        );
    }
    o.family(
        "helenus_table_memtable_bytes",
        "gauge",
        "Accounted bytes of a table's memtables (active and flushing).",
    );
    for (_, l, s) in &stats {
        o.sample("helenus_table_memtable_bytes", l, s.memtable_size);
    }
    o.family(
        "helenus_memtable_bytes",
        "gauge",
        "Accounted bytes of all memtables.",
    );
    o.sample(
        "helenus_memtable_bytes",
        "",
        stats.iter().map(|(_, _, s)| s.memtable_size).sum::<u64>(),
    );
    o.family(
        "helenus_table_sstables",
        "gauge",
        "Live SSTables of a table.",
    );
    for (_, l, s) in &stats {
        o.sample("helenus_table_sstables", l, s.sstable_count);
    }
    o.family(
        "helenus_table_live_data_bytes",
        "gauge",
        "Bytes of a table's live SSTable data files.",
    );
    for (_, l, s) in &stats {
        o.sample("helenus_table_live_data_bytes", l, s.live_data_size);
    }

    let a = engine.activity();
    let counters: [(&str, &str, u64); 5] = [
        (
            "helenus_flushes_total",
            "Memtable flushes that wrote an SSTable.",
            a.flushes,
        ),
        (
            "helenus_flushed_bytes_total",
            "Memtable bytes written out by flushes.",
            a.flushed_bytes,
        ),
        (
            "helenus_compactions_total",
            "Compactions completed.",
            a.compactions,
        ),
        (
            "helenus_compaction_read_bytes_total",
            "SSTable bytes read by compactions.",
            a.compacted_bytes_read,
        ),
        (
            "helenus_compaction_written_bytes_total",
            "SSTable bytes written by compactions.",
            a.compacted_bytes_written,
        ),
    ];
    for (name, help, v) in counters {
        o.family(name, "counter", help);
        o.sample(name, "", v);
    }
    o.family(
        "helenus_compactions_active",
        "gauge",
        "Compactions running now.",
    );
    o.sample("helenus_compactions_active", "", a.active_compactions);
    o.family(
        "helenus_pending_tasks",
        "gauge",
        "Background jobs queued and not started, by kind.",
    );
    o.sample("helenus_pending_tasks", "kind=\"flush\"", a.pending_flushes);
    o.sample(
        "helenus_pending_tasks",
        "kind=\"compaction\"",
        a.pending_compactions,
    );
    o.family(
        "helenus_commitlog_bytes",
        "gauge",
        "Bytes of commit-log segment files on disk.",
    );
    o.sample("helenus_commitlog_bytes", "", a.commitlog_bytes);
    o.family(
        "helenus_commitlog_syncs_total",
        "counter",
        "Commit-log fsyncs.",
    );
    o.sample("helenus_commitlog_syncs_total", "", a.commitlog_syncs);
    o.family(
        "helenus_commitlog_sync_seconds_total",
        "counter",
        "Time spent in commit-log fsyncs (divide by the syncs for the mean latency).",
    );
    o.sample(
        "helenus_commitlog_sync_seconds_total",
        "",
        a.commitlog_sync_nanos as f64 / 1e9,
    );
    o.family(
        "helenus_uptime_seconds",
        "gauge",
        "Seconds since the node started.",
    );
    o.sample("helenus_uptime_seconds", "", m.uptime().as_secs());
    o.0
}
