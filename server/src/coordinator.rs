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
//! do not stall the runtime's other tasks; periodic-mode writes under the memtable
//! budget never wait and run inline.

use std::sync::Arc;

use cql::wire::Consistency;

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
            for m in mutations {
                metrics.time_write(m.table, || engine.apply(m))?;
            }
            Ok::<(), storage::Error>(())
        };
        // `block_in_place` hands this worker's tasks to another thread: worth it
        // for an fsync wait, but it costs more than the whole periodic-mode apply.
        if engine.apply_may_block() {
            blocking(apply_all)?;
        } else {
            apply_all()?;
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
mod tests {
    use super::*;

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
