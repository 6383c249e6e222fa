//! The node's write clock: microsecond timestamps for writes that do not bring their
//! own, strictly increasing per node.
//!
//! Cassandra's `ClientState.getTimestamp` makes the server-side timestamp monotonic so
//! that two writes from the same node in the same microsecond still order (a DELETE
//! then an INSERT of the same row must let the INSERT win). We do the same with one
//! atomic compare-and-swap loop.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A monotonic microsecond clock.
#[derive(Debug, Default)]
pub struct Clock {
    last: AtomicI64,
}

impl Clock {
    /// Microseconds since the epoch, strictly greater than any value returned before.
    pub fn next_micros(&self) -> i64 {
        let now = wall_micros();
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let next = if now > prev { now } else { prev + 1 };
            match self
                .last
                .compare_exchange_weak(prev, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => prev = actual,
            }
        }
    }
}

/// Wall-clock microseconds since the epoch (0 if the clock is before 1970).
pub fn wall_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Wall-clock seconds since the epoch, what TTL expiry is computed against.
pub fn now_seconds() -> i64 {
    wall_micros() / 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_strictly_increasing() {
        let c = Clock::default();
        let mut prev = c.next_micros();
        for _ in 0..10_000 {
            let t = c.next_micros();
            assert!(t > prev, "{t} after {prev}");
            prev = t;
        }
    }

    #[test]
    fn clock_tracks_wall_time() {
        let c = Clock::default();
        let t = c.next_micros();
        let wall = wall_micros();
        assert!((wall - t).abs() < 5_000_000);
    }
}
