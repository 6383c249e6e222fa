//! Write flow control: when memtables are flushed and how writers are slowed
//! so that memtables (active and flushing together) stay within their budget
//! without every writer stopping at once.
//!
//! Three marks on the memtable total, as fractions of `memtable_space`:
//! - cleanup (Cassandra's `memtable_cleanup_threshold`, default
//!   1/(1 + `memtable_flush_writers`)): when the bytes not already being
//!   flushed pass it, the biggest memtable is flushed;
//! - soft (`memtable_throttle_start`, default 0.75): above it each write is
//!   paced: writes are admitted at a byte rate derived from the measured flush
//!   throughput, falling linearly from twice that rate at the soft mark to
//!   nothing at the hard limit;
//! - hard (the budget itself): writers wait for a flush to free memory.
//!
//! Pure arithmetic plus two atomics: no locks, no clock reads of its own (the
//! caller passes `now`), so the rules are tested without sleeping.
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::Config;

/// Flush throughput assumed before the first flush is measured. Low on
/// purpose: an underestimate only paces the first writes above the soft mark
/// harder than needed.
const INITIAL_FLUSH_RATE: u64 = 32 << 20;
/// No write is paced below this rate (bytes/s), so a bad flush measurement
/// cannot stall writers for long; the hard limit still bounds memory.
const MIN_RATE: f64 = (1 << 20) as f64;
/// Longest single pacing delay. Past this the schedule is reset to "now":
/// a write is delayed, never queued behind seconds of others.
pub(crate) const MAX_DELAY: Duration = Duration::from_millis(100);

/// The marks, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Flush the biggest memtable when unflushed bytes exceed this.
    pub cleanup: u64,
    /// Pace writes above this total.
    pub soft: u64,
    /// Writers wait above this total (the budget).
    pub hard: u64,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        let hard = config.memtable_space;
        let frac = |f: f64| (hard as f64 * f.clamp(0.0, 1.0)) as u64;
        Limits {
            cleanup: frac(config.cleanup_threshold()),
            soft: frac(config.memtable_throttle_start),
            hard,
        }
    }

    /// True when memtables not yet scheduled for flushing hold more than the
    /// cleanup threshold.
    pub fn needs_flush(&self, total: u64, flushing: u64) -> bool {
        total.saturating_sub(flushing) > self.cleanup
    }

    /// Admitted write rate (bytes/s) at `total`, or `None` below the soft mark.
    pub fn paced_rate(&self, total: u64, flush_rate: u64) -> Option<f64> {
        if total <= self.soft {
            return None;
        }
        let span = self.hard.saturating_sub(self.soft).max(1) as f64;
        let room = self.hard.saturating_sub(total) as f64 / span;
        Some((2.0 * flush_rate as f64 * room).max(MIN_RATE))
    }
}

/// Pacing state shared by all writers: the measured flush rate and the time
/// (ns since the engine's epoch) before which the next paced write may not go.
#[derive(Debug)]
pub(crate) struct Pacer {
    flush_rate: AtomicU64,
    next_ns: AtomicU64,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            flush_rate: AtomicU64::new(INITIAL_FLUSH_RATE),
            next_ns: AtomicU64::new(0),
        }
    }
}

impl Pacer {
    /// Measured flush throughput in bytes/s.
    pub fn flush_rate(&self) -> u64 {
        self.flush_rate.load(Ordering::Relaxed)
    }

    /// Folds one flush (`bytes` of memtable freed in `took`) into the rate:
    /// an even average with the previous figure, so one slow flush (the
    /// machine was busy) moves it only halfway.
    pub fn record_flush(&self, bytes: usize, took: Duration) {
        if bytes == 0 || took.is_zero() {
            return;
        }
        let rate = (bytes as f64 / took.as_secs_f64()) as u64;
        let _ = self
            .flush_rate
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some((old / 2 + rate / 2).max(1))
            });
    }

    /// How long a write that added `added` bytes, bringing memtables to
    /// `total`, should wait at `now_ns`. Zero below the soft mark. Each paced
    /// write takes the next slot of `added / rate` seconds, so concurrent
    /// writers together go at the rate instead of each waiting a fixed time.
    pub fn delay(&self, limits: &Limits, added: usize, total: u64, now_ns: u64) -> Duration {
        let Some(rate) = limits.paced_rate(total, self.flush_rate()) else {
            return Duration::ZERO;
        };
        let cost = (added as f64 / rate * 1e9) as u64;
        let cap = MAX_DELAY.as_nanos() as u64;
        let mut start = now_ns;
        let _ = self
            .next_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |next| {
                start = next.max(now_ns);
                // Never schedule further ahead than the longest delay.
                Some((start + cost).min(now_ns + cap))
            });
        Duration::from_nanos(start.saturating_sub(now_ns).min(cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            cleanup: 300,
            soft: 750,
            hard: 1000,
        }
    }

    #[test]
    fn default_marks_follow_cassandra() {
        let c = Config {
            memtable_space: 3 << 20,
            ..Config::default()
        };
        let l = Limits::new(&c);
        // Two flush writers: the cleanup threshold is 1/3 of the budget.
        assert_eq!(l.cleanup, 1 << 20);
        assert_eq!(l.hard, 3 << 20);
        assert!(l.cleanup < l.soft && l.soft < l.hard);
    }

    #[test]
    fn flush_needed_only_for_unflushed_bytes_over_cleanup() {
        let l = limits();
        assert!(!l.needs_flush(300, 0));
        assert!(l.needs_flush(301, 0));
        // Bytes already being flushed do not trigger another flush.
        assert!(!l.needs_flush(900, 700));
        assert!(l.needs_flush(900, 500));
    }

    #[test]
    fn rate_falls_from_twice_the_flush_rate_to_the_floor() {
        let l = limits();
        let f = 100 << 20;
        assert_eq!(l.paced_rate(750, f), None);
        let near_soft = l.paced_rate(751, f).expect("paced");
        assert!(near_soft > 1.9 * f as f64);
        let mid = l.paced_rate(875, f).expect("paced");
        assert!((mid - f as f64).abs() < 1.0);
        assert_eq!(l.paced_rate(1000, f), Some(MIN_RATE));
        assert_eq!(l.paced_rate(5000, f), Some(MIN_RATE));
    }

    #[test]
    fn concurrent_writes_take_consecutive_slots() {
        let l = Limits {
            cleanup: 0,
            soft: 0,
            hard: 1 << 40,
        };
        let p = Pacer::default();
        // Far from the hard limit: about twice the initial flush rate.
        let rate = l.paced_rate(1, p.flush_rate()).expect("paced");
        let bytes = 64 << 10;
        let slot = Duration::from_secs_f64(bytes as f64 / rate);
        let now = 1_000_000_000;
        assert_eq!(p.delay(&l, bytes, 1, now), Duration::ZERO);
        let second = p.delay(&l, bytes, 1, now);
        let third = p.delay(&l, bytes, 1, now);
        assert!(second.abs_diff(slot) < Duration::from_micros(1));
        assert!(third.abs_diff(2 * slot) < Duration::from_micros(1));
        // Below the soft mark nothing waits, whatever the schedule.
        assert_eq!(p.delay(&limits(), bytes, 10, now), Duration::ZERO);
    }

    #[test]
    fn delays_are_capped() {
        let l = limits();
        let p = Pacer::default();
        // At the hard limit the floor rate makes 1 MiB cost a second.
        for _ in 0..10 {
            assert!(p.delay(&l, 1 << 20, 1000, 0) <= MAX_DELAY);
        }
    }

    #[test]
    fn flush_measurements_average() {
        let p = Pacer::default();
        p.record_flush(64 << 20, Duration::from_secs(1));
        assert_eq!(p.flush_rate(), (32 << 20) / 2 + (64 << 20) / 2);
        p.record_flush(0, Duration::from_secs(1));
        p.record_flush(1, Duration::ZERO);
        assert_eq!(p.flush_rate(), 48 << 20);
    }
}
