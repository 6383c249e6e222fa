//! The replica side of Paxos on this node: Cassandra's `PaxosState`.
//!
//! Each message reads the partition's state, decides and writes the new state while
//! holding the partition's lock (a fixed set of striped locks, so memory stays bounded
//! however many partitions see LWTs). The state itself lives in `system.paxos`
//! ([`super::store`]).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use parking_lot::Mutex;
use storage::Engine;

use super::{store, Ballot, Commit, PaxosError, PaxosKey, PaxosReplica, Prepared};

/// Number of lock stripes; partitions that share one only wait for each other.
const STRIPES: usize = 256;

/// This node as a Paxos replica.
pub struct LocalReplica {
    engine: Arc<Engine>,
    locks: Vec<Mutex<()>>,
}

impl LocalReplica {
    pub fn new(engine: Arc<Engine>) -> Self {
        LocalReplica {
            engine,
            locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    fn lock(&self, key: &PaxosKey) -> parking_lot::MutexGuard<'_, ()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let i = (h.finish() as usize) % STRIPES;
        // `i < STRIPES == locks.len()`.
        self.locks[i].lock()
    }

    fn now() -> i32 {
        crate::exec::clock::now_seconds() as i32
    }
}

impl PaxosReplica for LocalReplica {
    fn prepare(&self, key: &PaxosKey, ballot: Ballot) -> Result<Prepared, PaxosError> {
        let _g = self.lock(key);
        let state = store::load(&self.engine, key, Self::now())?;
        let promised = ballot > state.promised;
        if promised {
            store::save_promise(&self.engine, key, ballot)?;
        }
        Ok(Prepared {
            promised,
            in_progress_ballot: if promised { ballot } else { state.promised },
            accepted: state.accepted,
            most_recent_commit: state.most_recent_commit,
        })
    }

    fn propose(&self, key: &PaxosKey, proposal: &Commit) -> Result<bool, PaxosError> {
        let _g = self.lock(key);
        let state = store::load(&self.engine, key, Self::now())?;
        if proposal.ballot < state.promised {
            return Ok(false);
        }
        store::save_proposal(&self.engine, key, proposal)?;
        Ok(true)
    }

    fn commit(&self, key: &PaxosKey, commit: &Commit) -> Result<(), PaxosError> {
        // The update first: once the commit is recorded, a later coordinator no longer
        // re-proposes it, so it must already be in the table.
        if let Some(m) = &commit.update {
            self.engine.apply(m)?;
        }
        let _g = self.lock(key);
        let state = store::load(&self.engine, key, Self::now())?;
        let newer = state
            .most_recent_commit
            .as_ref()
            .is_none_or(|c| c.ballot < commit.ballot);
        if newer {
            store::save_commit(&self.engine, key, commit)?;
        }
        Ok(())
    }
}
