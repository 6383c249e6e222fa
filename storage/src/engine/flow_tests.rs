//! Flow control under sustained writes, on a real engine with its background
//! flush threads: memtables stay within the budget while writers keep going,
//! every write lands, and compactions pause while flushes are queued. No
//! timing assertions: memory accounting and data only.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::tests::tid;
use super::*;
use crate::types::{Cell, CellValue, ColumnId, Row};

const WRITERS: usize = 4;
const PER_WRITER: usize = 2500;
const VALUE: usize = 1000;

fn mutation(w: usize, i: usize) -> Mutation {
    let key = format!("w{w}-k{i}");
    Mutation {
        table: tid(1),
        token: (w * PER_WRITER + i) as i64,
        key: Bytes::from(key),
        rows: vec![Row {
            clustering: Bytes::from_static(b"c"),
            cells: vec![Cell {
                column: ColumnId(1),
                path: None,
                timestamp: 1,
                value: CellValue::Live {
                    value: Bytes::from(vec![b'v'; VALUE]),
                    ttl: None,
                },
            }],
            ..Row::default()
        }],
        ..Mutation::default()
    }
}

#[test]
fn backpressure_keeps_memtables_within_budget_and_every_write_lands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Config::for_tests(dir.path());
    // 1 MiB budget against ~10 MiB of accounted writes: about ten flushes.
    c.memtable_space = 1 << 20;
    c.commitlog_sync = crate::config::SyncMode::Periodic {
        period: std::time::Duration::from_secs(10),
    };
    let e = Engine::open(c, &[(tid(1), TableOptions::default())]).expect("open");
    let hard = e.limits.hard as usize;

    // Largest accounted size of one write, measured on a scratch memtable,
    // bounds how far concurrent writers can overshoot before they wait.
    let scratch = crate::memtable::Memtable::default();
    let one = scratch.apply(&mutation(0, 0));
    let slack = WRITERS * 2 * one;

    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (e, done, peak) = (Arc::clone(&e), Arc::clone(&done), Arc::clone(&peak));
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                peak.fetch_max(e.memtable_total.load(Ordering::Relaxed), Ordering::Relaxed);
                std::thread::yield_now();
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (e, peak) = (Arc::clone(&e), Arc::clone(&peak));
            std::thread::spawn(move || {
                for i in 0..PER_WRITER {
                    e.apply(&mutation(w, i)).expect("apply");
                    peak.fetch_max(e.memtable_total.load(Ordering::Relaxed), Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    done.store(true, Ordering::Release);
    sampler.join().expect("sampler");

    let peak = peak.load(Ordering::Relaxed);
    assert!(
        peak <= hard + slack,
        "memtables peaked at {peak} B, budget {hard} B (+{slack} B of in-flight writes)"
    );
    // The counter agrees with the memtables themselves.
    let stats = e.table_stats(tid(1)).expect("stats");
    assert_eq!(
        stats.memtable_size,
        e.memtable_total.load(Ordering::Relaxed) as u64
    );
    assert!(stats.memtable_size as usize <= hard + slack);
    let flushed = e.activity().flushed_bytes;
    assert!(
        flushed as usize > 5 * hard,
        "writes went on through several flushes: {flushed} B flushed"
    );
    // Every acknowledged write is readable.
    for w in 0..WRITERS {
        for i in 0..PER_WRITER {
            let m = mutation(w, i);
            let p = e
                .read(&ReadCommand::whole(tid(1), m.token, m.key.clone(), 10))
                .expect("read");
            assert!(p.is_some_and(|p| p.rows.len() == 1), "w{w}-k{i} lost");
        }
    }
}

#[test]
fn flushes_start_at_the_cleanup_threshold_not_the_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Config::for_tests(dir.path());
    c.memtable_space = 4 << 20;
    c.commitlog_sync = crate::config::SyncMode::Periodic {
        period: std::time::Duration::from_secs(10),
    };
    let e = Engine::open(c, &[(tid(1), TableOptions::default())]).expect("open");
    // Two flush writers by default: the threshold is a third of the budget.
    assert_eq!(e.limits.cleanup, (4 << 20) / 3);
    let mut i = 0;
    while (e.memtable_total.load(Ordering::Relaxed) as u64) <= e.limits.cleanup / 2 {
        e.apply(&mutation(0, i)).expect("apply");
        i += 1;
    }
    assert_eq!(e.scheduled.lock().len(), 0, "no flush below the threshold");
    let step = e.limits.hard / 64;
    while (e.memtable_total.load(Ordering::Relaxed) as u64) <= e.limits.cleanup + step {
        e.apply(&mutation(0, i)).expect("apply");
        i += 1;
    }
    // Well under the budget (the old trigger) and under the soft mark.
    assert!((e.memtable_total.load(Ordering::Relaxed) as u64) < e.limits.soft);
    assert!(
        !e.scheduled.lock().is_empty() || e.activity().flushed_bytes > 0,
        "a flush was asked for past the cleanup threshold"
    );
    let mut waited = 0;
    while e.activity().flushed_bytes == 0 || !e.scheduled.lock().is_empty() {
        assert!(waited < 3000, "the flush never finished");
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    assert!(e.scheduled.lock().is_empty());
    assert_eq!(e.flushes.load(Ordering::Relaxed), 0);
}
