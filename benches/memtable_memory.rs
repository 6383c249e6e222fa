//! Real memory of a memtable vs its accounted size, in one process: fills one
//! memtable with rows shaped like cassandra-stress's `standard1` (10-byte key, five
//! 34-byte blob columns, no clustering) whose bytes are slices of 64 KiB "read
//! buffers" as the server's frame codec hands them over (`split_to().freeze()`),
//! drops the requests, and prints the growth of RssAnon (/proc/self/status) against
//! `Memtable::size`, then RssAnon after the memtable is dropped. Also times the
//! drop (ns/row) and a second memtable filled the same way after it, whose pages
//! were just given back (the node fills one memtable after another).
//!
//!     cargo bench --bench memtable_memory            # 1,000,000 rows
//!     HELENUS_BENCH_ROWS=200000 cargo bench --bench memtable_memory
//!
//! Not a pass/fail test: numbers for docs/PERFORMANCE.md ("Memtable layout, session 5").
/// The node's allocator and options: what a dropped memtable costs depends on them.
#[path = "support/node_alloc.rs"]
mod node_alloc;

use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use storage::memtable::Memtable;
use storage::{Cell, CellValue, ColumnId, Mutation, Row, TableId};

/// RssAnon of this process, KiB.
fn rss_anon_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Hands out byte strings the way the connection's read buffer does: appended to a
/// 64 KiB buffer, split off and frozen (so each keeps the whole buffer alive).
struct Frames {
    buf: BytesMut,
}

impl Frames {
    fn take(&mut self, b: &[u8]) -> Bytes {
        if self.buf.capacity() - self.buf.len() < b.len() {
            self.buf = BytesMut::with_capacity(64 << 10);
        }
        self.buf.put_slice(b);
        self.buf.split().freeze()
    }
}

fn mutation(i: u64, frames: &mut Frames) -> Mutation {
    let key = frames.take(format!("{:010}", i).as_bytes());
    // The request's other bytes (header, statement id, value lengths) share the buffer.
    let _header = frames.take(&[0u8; 40]);
    let cells = (0..5u32)
        .map(|c| Cell {
            column: ColumnId(c + 1),
            path: None,
            timestamp: 1,
            value: CellValue::Live {
                value: frames.take(&[(i as u8) ^ (c as u8); 34]),
                ttl: None,
            },
        })
        .collect();
    Mutation {
        table: TableId(uuid::Uuid::nil()),
        token: (i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as i64,
        key,
        rows: vec![Row {
            clustering: Bytes::new(),
            cells,
            ..Row::default()
        }],
        ..Mutation::default()
    }
}

fn main() {
    let rows: u64 = std::env::var("HELENUS_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut frames = Frames {
        buf: BytesMut::with_capacity(64 << 10),
    };
    let before = rss_anon_kib();
    let (mt, took) = fill(rows, &mut frames);
    frames.buf = BytesMut::new();
    let filled = rss_anon_kib();
    let real = (filled.saturating_sub(before)) * 1024;
    let accounted = mt.size() as u64;
    println!(
        "rows {rows}: apply {:.0} ns/row (wall, incl. building requests); RssAnon +{} MiB \
         = {} B/row; accounted {} MiB = {} B/row; real/accounted {:.2}",
        took.as_nanos() as f64 / rows as f64,
        real >> 20,
        real / rows,
        accounted >> 20,
        accounted / rows,
        real as f64 / accounted.max(1) as f64
    );
    let start = Instant::now();
    drop(mt);
    let drop_took = start.elapsed();
    let dropped = rss_anon_kib();
    println!(
        "drop {:.0} ns/row; after drop: RssAnon {} MiB above the start ({} MiB start)",
        drop_took.as_nanos() as f64 / rows as f64,
        dropped.saturating_sub(before) >> 10,
        before >> 10
    );
    let (mt, took) = fill(rows, &mut frames);
    let start = Instant::now();
    drop(mt);
    let drop_took = start.elapsed();
    println!(
        "second memtable: apply {:.0} ns/row, drop {:.0} ns/row; RssAnon {} MiB above the start",
        took.as_nanos() as f64 / rows as f64,
        drop_took.as_nanos() as f64 / rows as f64,
        rss_anon_kib().saturating_sub(before) >> 10
    );
}

/// A memtable of `rows` stress rows, and the time its applies took.
fn fill(rows: u64, frames: &mut Frames) -> (Memtable, std::time::Duration) {
    let mt = Memtable::default();
    let start = Instant::now();
    // In batches, as requests come and go: each batch's requests are dropped
    // before the next, so only what the memtable keeps stays.
    for batch in 0..rows.div_ceil(1000) {
        let muts: Vec<Mutation> = (batch * 1000..((batch + 1) * 1000).min(rows))
            .map(|i| mutation(i, frames))
            .collect();
        for m in &muts {
            mt.apply(m);
        }
    }
    (mt, start.elapsed())
}
