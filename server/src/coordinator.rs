//! The coordinator: where a mutation or a read goes and how many acknowledgements it
//! needs.
//!
//! Today the ring has one node, so every token is owned by this node and the work is
//! applied to the local engine. The consistency arithmetic is already Cassandra's: the
//! required count comes from the configured replication factors, the alive count from
//! the replicas a ring of one can actually hold (the local data centre places
//! `min(rf, 1)` replicas, other data centres none). A level that needs more live
//! replicas than that fails with Unavailable (required vs alive), never with a silent
//! success. Storage calls that may wait for an fsync run under `block_in_place` so they
//! do not stall the runtime's other tasks; periodic-mode writes never wait and run
//! inline. A pacing delay (write backpressure) is waited out with an async timer after
//! the request ([`defer_backpressure`], [`Owed::pay`]), never by sleeping on a worker.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use cql::wire::Consistency;
use storage::Backpressure;

use crate::error::RequestError;
use crate::query::NodeIdentity;

/// A keyspace's replication as the coordinator needs it: the replication factor per
/// data centre (SimpleStrategy counts as one data centre: ours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replication {
    pub per_dc: Vec<(String, usize)>,
}

impl Replication {
    /// SimpleStrategy with `rf` replicas, placed in the local data centre.
    pub fn simple(local_dc: &str, rf: usize) -> Self {
        Replication {
            per_dc: vec![(local_dc.to_string(), rf)],
        }
    }

    /// LocalStrategy (system keyspaces): always exactly this node.
    pub fn local(local_dc: &str) -> Self {
        Replication::simple(local_dc, 1)
    }
}

/// Routes requests to replicas and checks consistency levels.
pub struct Coordinator {
    identity: NodeIdentity,
    engine: Arc<storage::Engine>,
}

impl Coordinator {
    pub fn new(identity: NodeIdentity, engine: Arc<storage::Engine>) -> Self {
        Coordinator { identity, engine }
    }

    /// Checks that `cl` can be met for a keyspace replicated as `repl`: Unavailable
    /// with Cassandra's required/alive numbers otherwise.
    pub fn check_consistency(
        &self,
        cl: Consistency,
        repl: &Replication,
        write: bool,
    ) -> Result<(), RequestError> {
        let (required, alive) = requirement(cl, repl, &self.identity.data_center, write)?;
        if alive < required {
            return Err(RequestError::Unavailable {
                cl,
                required: required as i32,
                alive: alive as i32,
            });
        }
        Ok(())
    }

    /// Applies mutations on the replicas (here: the local engine) at `cl`.
    ///
    /// A pacing delay (engine/backpressure.rs) is owed, not slept here: inside
    /// [`defer_backpressure`] (every CQL request) it is waited out asynchronously
    /// once the request is done, so a paced write holds neither the worker nor
    /// its connection; elsewhere it is paid on this thread. A write past the
    /// memtable budget waits here for a flush.
    pub fn mutate(
        &self,
        mutations: &[storage::Mutation],
        cl: Consistency,
        repl: &Replication,
    ) -> Result<(), RequestError> {
        self.check_consistency(cl, repl, true)?;
        let engine = &self.engine;
        let metrics = crate::metrics::global();
        let apply_all = || {
            let mut debt = Backpressure::None;
            for m in mutations {
                debt = debt.and(metrics.time_write(m.table, || engine.apply_deferred(m))?);
            }
            Ok::<Backpressure, storage::Error>(debt)
        };
        // `block_in_place` hands this worker's tasks to another thread: worth it
        // for an fsync wait, but it costs more than the whole periodic-mode apply.
        let debt = if engine.apply_may_block() {
            blocking(apply_all)?
        } else {
            apply_all()?
        };
        match debt {
            Backpressure::None => {}
            Backpressure::Pace(_) => {
                let deferred = OWED.with_borrow_mut(|scope| {
                    let Some(owed) = scope else {
                        return false;
                    };
                    let prior = owed.as_ref().map_or(Backpressure::None, |o| o.debt);
                    *owed = Some(Owed {
                        engine: Arc::clone(engine),
                        debt: prior.and(debt),
                    });
                    true
                });
                if !deferred {
                    blocking(|| engine.wait_backpressure(debt));
                }
            }
            // Past the budget the write waits here, under `block_in_place`: the
            // worker's other tasks move to another thread, but this connection
            // stops reading until a flush frees memory, so memtables overshoot the
            // budget by at most one write per connection. Deferred, the
            // connection would go on applying up to its in-flight limit (2048
            // requests) of writes past the budget.
            Backpressure::OverBudget => blocking(|| engine.wait_backpressure(debt)),
        }
        Ok(())
    }

    /// The token of a serialized partition key (Murmur3, as Cassandra computes it).
    pub fn token(key: &[u8]) -> i64 {
        gossip::partitioner::murmur3_token(key)
    }

    pub fn engine(&self) -> &Arc<storage::Engine> {
        &self.engine
    }
}

thread_local! {
    /// `None` outside [`defer_backpressure`]; inside, the backpressure owed so far by
    /// the writes of the request being polled (set by [`Coordinator::mutate`]). A
    /// thread local is enough: the scope is set around each poll, and a poll runs on
    /// one thread (`blocking` runs its closure on the polling thread too).
    static OWED: std::cell::RefCell<Option<Option<Owed>>> =
        const { std::cell::RefCell::new(None) };
}

/// A pacing delay that a request's writes owe, with the engine that owes it.
pub struct Owed {
    engine: Arc<storage::Engine>,
    debt: Backpressure,
}

impl Owed {
    /// Waits out the delay with `tokio::time::sleep` and records it. Meanwhile the
    /// worker runs other requests, on the same connection too.
    pub async fn pay(self) {
        let Backpressure::Pace(d) = self.debt else {
            // Only pacing is deferred (`Coordinator::mutate`).
            return;
        };
        tokio::time::sleep(d).await;
        self.engine.note_backpressure(self.debt, d);
    }

    /// What two stretches of one request owe together.
    fn and(a: Option<Owed>, b: Option<Owed>) -> Option<Owed> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Owed {
                engine: b.engine,
                debt: a.debt.and(b.debt),
            }),
            (a, b) => a.or(b),
        }
    }
}

/// Runs one request (or one poll of its future) and returns its output with the
/// pacing delay its writes owe, to be paid ([`Owed::pay`]) before the request is
/// answered. A write past the memtable budget is not deferred: see
/// [`Coordinator::mutate`].
pub fn defer_backpressure<T>(request: impl FnOnce() -> T) -> (T, Option<Owed>) {
    /// Puts back the enclosing scope, also when `request` panics.
    struct Scope(Option<Option<Owed>>);
    impl Drop for Scope {
        fn drop(&mut self) {
            let outer = self.0.take();
            OWED.with_borrow_mut(|scope| *scope = outer);
        }
    }
    // Inside a request, nothing owed yet: `Some(None)`.
    let scope = Scope(OWED.with_borrow_mut(|scope| scope.replace(None)));
    let out = request();
    let owed = OWED.with_borrow_mut(|scope| scope.take().flatten());
    drop(scope);
    (out, owed)
}

/// [`defer_backpressure`] for a request that had to wait and became a task: each poll
/// runs in the scope, and what the polls owe adds up, from `owed` (what the polls
/// before the task owed).
pub async fn defer_backpressure_polled<F: Future + ?Sized>(
    mut request: Pin<Box<F>>,
    mut owed: Option<Owed>,
) -> (F::Output, Option<Owed>) {
    let out = std::future::poll_fn(|cx| {
        let (polled, more) = defer_backpressure(|| request.as_mut().poll(cx));
        owed = Owed::and(owed.take(), more);
        polled
    })
    .await;
    (out, owed)
}

/// Runs a storage call that may block (fsync wait, disk read) without stalling the
/// async runtime: on a multi-threaded runtime the worker hands its other tasks off.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// (required, alive) replicas for `cl` on a ring of one node in `local_dc`.
fn requirement(
    cl: Consistency,
    repl: &Replication,
    local_dc: &str,
    write: bool,
) -> Result<(usize, usize), RequestError> {
    // Replicas a ring of one actually holds: at most one, in our data centre.
    let placed = |dc: &str, rf: usize| if dc == local_dc { rf.min(1) } else { 0 };
    let total: usize = repl.per_dc.iter().map(|(dc, rf)| placed(dc, *rf)).sum();
    let local: usize = repl
        .per_dc
        .iter()
        .filter(|(dc, _)| dc == local_dc)
        .map(|(dc, rf)| placed(dc, *rf))
        .sum();
    // Cassandra's block-for counts come from the configured replication factors, not
    // from the replicas that exist: RF 3 on one node cannot reach QUORUM (2 of 3).
    let rf_total: usize = repl.per_dc.iter().map(|(_, rf)| *rf).sum();
    let rf_local: usize = repl
        .per_dc
        .iter()
        .filter(|(dc, _)| dc == local_dc)
        .map(|(_, rf)| *rf)
        .sum();
    let quorum = |n: usize| n / 2 + 1;
    let alive_total = total;
    Ok(match cl {
        // ANY is satisfied by a hint; with one node the node itself is the hint.
        Consistency::Any => (1, 1),
        Consistency::One | Consistency::LocalOne => (
            1,
            if cl == Consistency::One {
                alive_total
            } else {
                local
            },
        ),
        Consistency::Two => (2, alive_total),
        Consistency::Three => (3, alive_total),
        Consistency::Quorum => (quorum(rf_total), alive_total),
        Consistency::All => (rf_total.max(1), alive_total),
        Consistency::LocalQuorum => (quorum(rf_local), local),
        Consistency::EachQuorum => {
            if !write {
                return Err(RequestError::invalid(
                    "EACH_QUORUM ConsistencyLevel is only supported for writes",
                ));
            }
            // Each data centre must reach its own quorum: report the first that cannot.
            for (dc, rf) in &repl.per_dc {
                let have = placed(dc, *rf);
                let need = quorum(*rf);
                if *rf > 0 && have < need {
                    return Ok((need, have));
                }
            }
            (0, 0)
        }
        Consistency::Serial | Consistency::LocalSerial => {
            if write {
                return Err(RequestError::invalid(
                    "You must use conditional updates for serializable writes",
                ));
            }
            return Err(RequestError::invalid(
                "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time (lightweight transactions are not supported by Helenus yet)",
            ));
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::task::Poll;

    use crate::exec::tests::identity;

    /// An engine config that paces every write: the soft mark is a few bytes, the
    /// budget (64 MiB) far away, so nothing flushes or blocks.
    pub(crate) fn paced_config(dir: &std::path::Path) -> storage::Config {
        let mut c = storage::Config::for_tests(dir);
        c.memtable_space = 64 << 20;
        c.memtable_throttle_start = 1e-6;
        // Periodic: no fsync per write, so 16 writes take far less than their
        // pacing slots (64 KiB at the initial ~64 MiB/s: ~1 ms each).
        c.commitlog_sync = storage::SyncMode::Periodic {
            period: std::time::Duration::from_secs(10),
        };
        c
    }

    /// A coordinator on a [`paced_config`] engine.
    fn paced() -> (tempfile::TempDir, Coordinator, storage::TableId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = paced_config(dir.path());
        let table = storage::TableId(uuid::Uuid::from_u128(7));
        let engine =
            storage::Engine::open(c, &[(table, storage::TableOptions::default())]).expect("open");
        (dir, Coordinator::new(identity(), engine), table)
    }

    fn write(table: storage::TableId, i: i64) -> storage::Mutation {
        sized_write(table, i, 64 << 10)
    }

    fn sized_write(table: storage::TableId, i: i64, bytes: usize) -> storage::Mutation {
        storage::Mutation {
            table,
            token: i,
            key: bytes::Bytes::from(format!("k{i}")),
            static_row: Some(storage::Row {
                cells: vec![storage::Cell {
                    column: storage::ColumnId(1),
                    path: None,
                    timestamp: 1,
                    value: storage::CellValue::Live {
                        value: bytes::Bytes::from(vec![b'v'; bytes]),
                        ttl: None,
                    },
                }],
                ..storage::Row::default()
            }),
            ..storage::Mutation::default()
        }
    }

    fn read(c: &Coordinator, m: &storage::Mutation) -> bool {
        let cmd = storage::ReadCommand::whole(m.table, m.token, m.key.clone(), 0);
        c.engine().read(&cmd).expect("read").is_some()
    }

    // Timers are paused: the paced write's sleep ends only when the runtime has
    // nothing else to do, so "still pending" below is a fact, not a race.
    #[tokio::test(start_paused = true)]
    async fn paced_write_waits_for_its_ack_without_holding_up_other_requests() {
        let (_dir, c, table) = paced();
        let repl = Replication::simple("datacenter1", 1);
        // Consecutive pacing slots: the last of these writes owes ~15 ms.
        let writes: Vec<_> = (0..16).map(|i| write(table, i)).collect();
        let (done, owed) = defer_backpressure(|| c.mutate(&writes, Consistency::One, &repl));
        done.expect("write");
        let mut first = std::pin::pin!(owed.expect("the writes owe a pacing delay").pay());
        let polled = std::future::poll_fn(|cx| Poll::Ready(first.as_mut().poll(cx))).await;
        assert!(
            polled.is_pending(),
            "the paced write is not acknowledged yet"
        );
        assert_eq!(c.engine().activity().paced_writes, 0);
        // Meanwhile the write is applied and another request runs to the end.
        let (seen, owed) = defer_backpressure(|| read(&c, &writes[15]));
        assert!(seen, "the paced write is already readable");
        assert!(owed.is_none(), "a read owes nothing");
        first.await;
        let a = c.engine().activity();
        assert_eq!(a.paced_writes, 1, "one request paid one debt");
        assert!(a.paced_nanos > 0);
    }

    #[tokio::test]
    async fn a_write_past_the_budget_is_acknowledged_only_once_a_flush_made_room() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = storage::Config::for_tests(dir.path());
        cfg.memtable_space = 1 << 20;
        let table = storage::TableId(uuid::Uuid::from_u128(7));
        let engine =
            storage::Engine::open(cfg, &[(table, storage::TableOptions::default())]).expect("open");
        let c = Coordinator::new(identity(), engine);
        let repl = Replication::simple("datacenter1", 1);
        // One 1.5 MiB write: past the 1 MiB budget on its own.
        let writes = vec![sized_write(table, 1, 3 << 19)];
        let (done, owed) = defer_backpressure(|| c.mutate(&writes, Consistency::One, &repl));
        done.expect("write");
        assert!(owed.is_none(), "only pacing is deferred");
        assert!(!c.engine().over_budget(), "a flush made room first");
        assert_eq!(c.engine().activity().blocked_writes, 1);
        assert!(writes.iter().all(|w| read(&c, w)));
    }

    #[tokio::test]
    async fn outside_a_request_the_caller_pays_its_own_debt() {
        let (_dir, c, table) = paced();
        let repl = Replication::simple("datacenter1", 1);
        let writes: Vec<_> = (0..16).map(|i| write(table, i)).collect();
        c.mutate(&writes, Consistency::One, &repl).expect("write");
        // Paid before `mutate` returned (index and view builds rely on it).
        assert_eq!(c.engine().activity().paced_writes, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_waits_owes_what_all_its_polls_owe() {
        let (_dir, c, table) = paced();
        let repl = Replication::simple("datacenter1", 1);
        let first: Vec<_> = (0..8).map(|i| write(table, i)).collect();
        let second: Vec<_> = (8..16).map(|i| write(table, i)).collect();
        let request = Box::pin(async {
            c.mutate(&first, Consistency::One, &repl)?;
            tokio::task::yield_now().await;
            c.mutate(&second, Consistency::One, &repl)
        });
        let (done, owed) = defer_backpressure_polled(request, None).await;
        done.expect("write");
        assert_eq!(c.engine().activity().paced_writes, 0, "nothing paid yet");
        owed.expect("the writes owe a pacing delay").pay().await;
        assert_eq!(
            c.engine().activity().paced_writes,
            1,
            "one request, one debt"
        );
    }

    #[tokio::test]
    async fn a_request_that_panics_leaves_no_scope_behind() {
        let (_dir, c, table) = paced();
        let repl = Replication::simple("datacenter1", 1);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            defer_backpressure(|| {
                let _ = c.mutate(&[write(table, 1)], Consistency::One, &repl);
                panic!("request failed");
            })
        }));
        assert!(panicked.is_err());
        // Outside any request again: this write pays on the spot.
        let writes: Vec<_> = (2..18).map(|i| write(table, i)).collect();
        c.mutate(&writes, Consistency::One, &repl).expect("write");
        assert_eq!(c.engine().activity().paced_writes, 1);
    }

    fn req(cl: Consistency, repl: &Replication) -> Result<(usize, usize), RequestError> {
        requirement(cl, repl, "dc1", true)
    }

    #[test]
    fn rf1_levels_up_to_all_succeed_two_and_three_do_not() {
        let r = Replication::simple("dc1", 1);
        for cl in [
            Consistency::Any,
            Consistency::One,
            Consistency::LocalOne,
            Consistency::Quorum,
            Consistency::LocalQuorum,
            Consistency::All,
            Consistency::EachQuorum,
        ] {
            let (need, alive) = req(cl, &r).unwrap();
            assert!(alive >= need, "{cl}: need {need} alive {alive}");
        }
        assert_eq!(req(Consistency::Two, &r).unwrap(), (2, 1));
        assert_eq!(req(Consistency::Three, &r).unwrap(), (3, 1));
    }

    #[test]
    fn rf3_on_one_node_reaches_one_but_not_quorum_as_cassandra() {
        let r = Replication::simple("dc1", 3);
        let (need, alive) = req(Consistency::One, &r).unwrap();
        assert!(alive >= need);
        assert_eq!(req(Consistency::Quorum, &r).unwrap(), (2, 1));
        assert_eq!(req(Consistency::LocalQuorum, &r).unwrap(), (2, 1));
        assert_eq!(req(Consistency::All, &r).unwrap(), (3, 1));
        assert_eq!(req(Consistency::Two, &r).unwrap(), (2, 1));
    }

    #[test]
    fn each_quorum_needs_every_data_centre() {
        let r = Replication {
            per_dc: vec![("dc1".into(), 3), ("dc2".into(), 3)],
        };
        assert_eq!(req(Consistency::EachQuorum, &r).unwrap(), (2, 1));
        assert_eq!(req(Consistency::LocalQuorum, &r).unwrap(), (2, 1));
        let r1 = Replication {
            per_dc: vec![("dc1".into(), 1), ("dc2".into(), 0)],
        };
        let (need, alive) = req(Consistency::EachQuorum, &r1).unwrap();
        assert!(alive >= need, "an RF 0 data centre asks nothing");
    }

    #[test]
    fn local_levels_fail_when_our_dc_holds_no_replica() {
        let r = Replication {
            per_dc: vec![("dc2".into(), 3)],
        };
        assert_eq!(req(Consistency::LocalOne, &r).unwrap(), (1, 0));
        assert_eq!(req(Consistency::One, &r).unwrap(), (1, 0));
    }
}
