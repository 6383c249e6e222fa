//! What a write owes once it is in the commit log and its memtable: nothing, a
//! pacing delay (memtables past the soft mark), or a wait for a flush (past the
//! budget). The rules are in engine/flow.rs; this module hands them to callers.
//!
//! [`Engine::apply`] pays the debt itself, on the calling thread. A caller that
//! serves many requests on few threads (the node's async workers) must not sleep
//! there: one paced write would hold up every request queued behind it on that
//! worker. It calls [`Engine::apply_deferred`] instead, waits the way its runtime
//! waits, and reports the wait with [`Engine::note_backpressure`].
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Engine;

/// How long a write waits at the hard limit before it is accepted anyway (the
/// write is already in the commit log and its memtable: only the acknowledgement
/// waits, nothing is refused).
pub const MAX_BLOCKED: Duration = Duration::from_secs(10);

/// What a write applied by [`Engine::apply_deferred`] owes before it is
/// acknowledged. Ordered: a later variant is the stronger debt, so the debt of
/// several writes is their maximum (pacing slots are consecutive, so the last
/// write's delay already covers the earlier ones').
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Backpressure {
    /// Acknowledge now.
    #[default]
    None,
    /// Memtables are past the soft mark: acknowledge after this delay (at most
    /// 100 ms).
    Pace(Duration),
    /// Memtables are past their budget: acknowledge once
    /// [`Engine::over_budget`] is false, or after [`MAX_BLOCKED`].
    OverBudget,
}

impl Backpressure {
    /// The stronger of two debts.
    pub fn and(self, other: Backpressure) -> Backpressure {
        self.max(other)
    }
}

impl Engine {
    /// The debt of a write that brought memtables to `total` by adding `added`
    /// bytes. Takes its pacing slot (engine/flow.rs) whether or not the caller
    /// waits it out, so concurrent writers share the paced rate.
    pub(super) fn backpressure(&self, added: usize, total: u64) -> Backpressure {
        if total <= self.limits.soft {
            return Backpressure::None;
        }
        if total <= self.limits.hard {
            let now = self.epoch.elapsed().as_nanos() as u64;
            let d = self.pacer.delay(&self.limits, added, total, now);
            return if d.is_zero() {
                Backpressure::None
            } else {
                Backpressure::Pace(d)
            };
        }
        // Past the budget: make sure a flush is on its way before anyone waits.
        self.maybe_flush();
        Backpressure::OverBudget
    }

    /// True while memtables (flushing ones included) hold more than their
    /// budget and the engine is open: a write owing [`Backpressure::OverBudget`]
    /// waits for this to turn false.
    pub fn over_budget(&self) -> bool {
        (self.memtable_total.load(Ordering::Relaxed) as u64) > self.limits.hard
            && !self.shutdown.load(Ordering::Acquire)
    }

    /// Counts a write whose acknowledgement waited `waited` for `debt` (the
    /// `paced_*` and `blocked_*` counters of [`Engine::activity`]).
    pub fn note_backpressure(&self, debt: Backpressure, waited: Duration) {
        match debt {
            Backpressure::None => {}
            Backpressure::Pace(_) => self.activity.throttled(false, waited),
            Backpressure::OverBudget => self.activity.throttled(true, waited),
        }
    }

    /// Pays `debt` on the calling thread: sleeps out a pacing delay, or waits on
    /// the condvar until a flush brings memtables back under the budget (up to
    /// [`MAX_BLOCKED`], then the write is accepted with a warning).
    pub fn wait_backpressure(&self, debt: Backpressure) {
        match debt {
            Backpressure::None => {}
            Backpressure::Pace(d) => {
                std::thread::sleep(d);
                self.note_backpressure(debt, d);
            }
            Backpressure::OverBudget => {
                let began = Instant::now();
                self.wait_under_budget(began + MAX_BLOCKED);
                self.note_backpressure(debt, began.elapsed());
            }
        }
    }

    /// Waits for a flush to free memory instead of polling: in the 10-minute run
    /// (docs/PERFORMANCE.md) dozens of throttled writer threads polling every
    /// millisecond took CPU from the very flush they were waiting for. The
    /// timeout re-checks shutdown.
    fn wait_under_budget(&self, give_up: Instant) {
        let mut g = self.memtable_wait.lock();
        while self.over_budget() {
            if Instant::now() >= give_up {
                tracing::warn!("memtables over their budget for 10 s; accepting the write anyway");
                return;
            }
            self.memtable_freed
                .wait_for(&mut g, Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stronger_debt_wins() {
        let p = |ms| Backpressure::Pace(Duration::from_millis(ms));
        assert_eq!(Backpressure::None.and(p(5)), p(5));
        assert_eq!(p(5).and(p(3)), p(5));
        assert_eq!(
            p(100).and(Backpressure::OverBudget),
            Backpressure::OverBudget
        );
        assert_eq!(
            Backpressure::OverBudget.and(Backpressure::None),
            Backpressure::OverBudget
        );
    }
}
