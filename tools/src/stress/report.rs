//! The end-of-run summary in cassandra-stress's layout (so scripts that grep
//! `Op rate`, `Latency 99th percentile` or `Total errors` keep working), its JSON
//! form, and the per-interval progress line and CSV log.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::stats::{steadiness, Stats, Window};

fn ms(us: f64) -> f64 {
    us / 1000.0
}

fn latency_json(h: &Histogram<u64>) -> Value {
    json!({
        "mean": ms(h.mean()),
        "median": ms(h.value_at_quantile(0.5) as f64),
        "p95": ms(h.value_at_quantile(0.95) as f64),
        "p99": ms(h.value_at_quantile(0.99) as f64),
        "p999": ms(h.value_at_quantile(0.999) as f64),
        "max": ms(h.max() as f64),
    })
}

/// The final summary as text.
pub fn summary_text(command: &str, stats: &Stats, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let t = &stats.total;
    let h = &t.latency;
    let per_op = |f: &dyn Fn(&super::stats::OpStats) -> String| -> String {
        if stats.per_op.len() < 2 {
            return String::new();
        }
        let parts: Vec<String> = stats
            .per_op
            .iter()
            .map(|o| format!("{}: {}", o.name.to_uppercase(), f(o)))
            .collect();
        format!(" [{}]", parts.join(", "))
    };
    let q = |h: &Histogram<u64>, p: f64| ms(h.value_at_quantile(p) as f64);
    let mut s = String::new();
    s.push_str(&format!("Results ({command}):\n"));
    s.push_str(&format!(
        "Op rate                   : {:.0} op/s{}\n",
        t.ops as f64 / secs,
        per_op(&|o| format!("{:.0} op/s", o.ops as f64 / secs))
    ));
    s.push_str(&format!(
        "Partition rate            : {:.0} pk/s\n",
        t.partitions as f64 / secs
    ));
    s.push_str(&format!(
        "Row rate                  : {:.0} row/s\n",
        t.rows as f64 / secs
    ));
    s.push_str(&format!(
        "Latency mean              : {:.3} ms{}\n",
        ms(h.mean()),
        per_op(&|o| format!("{:.3} ms", ms(o.latency.mean())))
    ));
    for (label, p) in [
        ("Latency median            ", 0.5),
        ("Latency 95th percentile   ", 0.95),
        ("Latency 99th percentile   ", 0.99),
        ("Latency 99.9th percentile ", 0.999),
    ] {
        s.push_str(&format!(
            "{label}: {:.3} ms{}\n",
            q(h, p),
            per_op(&|o| format!("{:.3} ms", q(&o.latency, p)))
        ));
    }
    s.push_str(&format!(
        "Latency max               : {:.3} ms\n",
        ms(h.max() as f64)
    ));
    s.push_str(&format!(
        "Total operations          : {}\n",
        t.ops + t.errors
    ));
    s.push_str(&format!(
        "Total partitions          : {}{}\n",
        t.partitions,
        per_op(&|o| o.ops.to_string())
    ));
    s.push_str(&format!("Total rows                : {}\n", t.rows));
    let not_found: u64 = stats.per_op.iter().map(|o| o.not_found).sum();
    if not_found > 0 {
        s.push_str(&format!(
            "Reads that found no row   : {not_found} (counted as successful reads of 0 rows)\n"
        ));
    }
    s.push_str(&format!(
        "Total errors              : {}{}\n",
        t.errors,
        per_op(&|o| o.errors.to_string())
    ));
    for (kind, n) in &stats.errors {
        let sample = stats.samples.get(kind).map(String::as_str).unwrap_or("");
        s.push_str(&format!("  {kind:<24}: {n}  e.g. \"{sample}\"\n"));
    }
    if let Some(st) = steadiness(&stats.intervals) {
        s.push_str(&format!(
            "Interval op rate          : min {:.0}, median {:.0}, max {:.0} op/s ({} intervals, first and last left out)\n",
            st.min_rate, st.median_rate, st.max_rate, st.intervals
        ));
        s.push_str(&format!(
            "Worst interval max latency: {:.3} ms (interval ending at {:.1} s, {:.0} op/s)\n",
            ms(st.worst.max_latency_us as f64),
            st.worst.end_s,
            st.worst.op_rate
        ));
    }
    let total = elapsed.as_secs();
    s.push_str(&format!(
        "Total operation time      : {:02}:{:02}:{:02}\n",
        total / 3600,
        total / 60 % 60,
        total % 60
    ));
    s
}

/// The final summary as JSON (`-log file=X.json` / `json=X`).
pub fn summary_json(command: &str, stats: &Stats, elapsed: Duration) -> Value {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let t = &stats.total;
    json!({
        "command": command,
        "elapsed_seconds": elapsed.as_secs_f64(),
        "ops": t.ops,
        "op_rate": t.ops as f64 / secs,
        "partitions": t.partitions,
        "partition_rate": t.partitions as f64 / secs,
        "rows": t.rows,
        "row_rate": t.rows as f64 / secs,
        "latency_ms": latency_json(&t.latency),
        "errors": t.errors,
        "errors_by_type": stats.errors,
        "error_samples": stats.samples,
        "intervals": steadiness(&stats.intervals).map(|st| json!({
            "count": st.intervals,
            "min_op_rate": st.min_rate,
            "median_op_rate": st.median_rate,
            "max_op_rate": st.max_rate,
            "worst_max_latency_ms": ms(st.worst.max_latency_us as f64),
            "worst_end_s": st.worst.end_s,
        })),
        "operations": stats.per_op.iter().map(|o| json!({
            "name": o.name,
            "ops": o.ops,
            "rows": o.rows,
            "not_found": o.not_found,
            "errors": o.errors,
            "latency_ms": latency_json(&o.latency),
        })).collect::<Vec<_>>(),
    })
}

/// The live progress line.
pub fn progress_line(w: &Window, dt: Duration, total_ops: u64, total_errors: u64) -> String {
    let h = &w.latency;
    format!(
        "{:>9.0} op/s  mean {:.2} ms  p50 {:.2}  p99 {:.2}  p999 {:.2} ms  errors {} ({} total)  ops {}",
        w.ops as f64 / dt.as_secs_f64().max(1e-9),
        ms(h.mean()),
        ms(h.value_at_quantile(0.5) as f64),
        ms(h.value_at_quantile(0.99) as f64),
        ms(h.value_at_quantile(0.999) as f64),
        w.errors,
        total_errors,
        total_ops,
    )
}

pub const CSV_HEADER: &str =
    "elapsed_s,op_rate,ops,errors,mean_ms,p50_ms,p95_ms,p99_ms,p999_ms,max_ms,total_ops\n";

/// One CSV row per interval.
pub fn csv_line(elapsed: Duration, w: &Window, dt: Duration, total_ops: u64) -> String {
    let h = &w.latency;
    let q = |p: f64| ms(h.value_at_quantile(p) as f64);
    format!(
        "{:.3},{:.1},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{}\n",
        elapsed.as_secs_f64(),
        w.ops as f64 / dt.as_secs_f64().max(1e-9),
        w.ops,
        w.errors,
        ms(h.mean()),
        q(0.5),
        q(0.95),
        q(0.99),
        q(0.999),
        ms(h.max() as f64),
        total_ops
    )
}
