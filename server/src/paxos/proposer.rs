//! The coordinator side of Paxos: Cassandra's `StorageProxy.cas` / `readWithPaxos`.
//!
//! One round: PREPARE a fresh ballot on every replica and wait for a quorum of
//! promises; if a replica reports an accepted proposal newer than the most recent
//! commit, finish it first (re-propose it under our ballot, commit) and start over;
//! then let the caller read and decide, PROPOSE the decision and, once a quorum
//! accepted it, COMMIT it. A rejected promise or proposal means another coordinator
//! holds a higher ballot: sleep a random moment and retry, until the contention
//! timeout, which becomes Cassandra's WriteTimeout with writeType CAS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use super::{Ballot, Commit, PaxosError, PaxosKey, PaxosReplica, Prepared};
use crate::exec::Clock;

/// Cassandra's `cas_contention_timeout` default.
pub const CAS_CONTENTION_TIMEOUT: Duration = Duration::from_millis(1000);

/// Longest random sleep between contended rounds (Cassandra sleeps up to 100 ms; we
/// start lower because a single node answers in microseconds).
const MAX_BACKOFF: Duration = Duration::from_millis(20);

/// The round could not be won in time.
#[derive(Debug, thiserror::Error)]
pub enum CasTimeout {
    /// No decision was accepted by a quorum: the update was not applied.
    #[error("CAS operation timed out: contention on the partition")]
    Contention { received: usize, block_for: usize },
    #[error(transparent)]
    Replica(#[from] PaxosError),
}

/// Drives Paxos rounds against a set of replicas.
pub struct Proposer<'a> {
    pub replicas: &'a [Arc<dyn PaxosReplica>],
    pub clock: &'a Clock,
    /// This coordinator's ballot discriminator.
    pub node: u64,
    pub timeout: Duration,
}

impl Proposer<'_> {
    fn quorum(&self) -> usize {
        self.replicas.len() / 2 + 1
    }

    /// Runs a compare-and-set on `key`: `decide` is called with the winning ballot
    /// (after every earlier proposal is committed), reads the partition and returns the
    /// update to commit (None: propose nothing) plus its answer, which `cas` returns
    /// once the decision is accepted.
    pub fn cas<T, E>(
        &self,
        key: &PaxosKey,
        mut decide: impl FnMut(Ballot) -> Result<(Option<storage::Mutation>, T), E>,
    ) -> Result<Result<T, E>, CasTimeout> {
        let start = Instant::now();
        let mut highest_seen = Ballot::ZERO;
        let mut attempt = 0u32;
        loop {
            if attempt > 0 {
                if start.elapsed() >= self.timeout {
                    return Err(CasTimeout::Contention {
                        received: 0,
                        block_for: self.quorum(),
                    });
                }
                self.backoff(attempt);
            }
            attempt += 1;
            let Some(ballot) = self.begin(key, &mut highest_seen)? else {
                continue;
            };
            let (update, answer) = match decide(ballot) {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let proposal = Commit { ballot, update };
            if !self.propose(key, &proposal)? {
                continue;
            }
            if proposal.update.is_some() {
                self.commit(key, &proposal)?;
            }
            return Ok(Ok(answer));
        }
    }

    /// A SERIAL read: makes sure every proposal accepted so far is committed (and that
    /// none still in flight can be accepted later), so the read that follows sees the
    /// latest decided value.
    pub fn serial_read(&self, key: &PaxosKey) -> Result<(), CasTimeout> {
        match self.cas(key, |_| Ok::<_, std::convert::Infallible>((None, ()))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(never)) => match never {},
            Err(e) => Err(e),
        }
    }

    /// PREPARE, then finish what an earlier round left in progress. Some(ballot) when
    /// we hold a quorum of promises and the partition's history is fully committed.
    fn begin(
        &self,
        key: &PaxosKey,
        highest_seen: &mut Ballot,
    ) -> Result<Option<Ballot>, CasTimeout> {
        // Strictly above any ballot we saw rejected, and unique to this coordinator.
        let micros = self.clock.next_micros().max(highest_seen.micros + 1);
        let ballot = Ballot {
            micros,
            node: self.node,
        };
        let mut promises: Vec<(usize, Prepared)> = Vec::with_capacity(self.replicas.len());
        for (i, r) in self.replicas.iter().enumerate() {
            let p = r.prepare(key, ballot)?;
            *highest_seen = (*highest_seen).max(p.in_progress_ballot);
            if p.promised {
                promises.push((i, p));
            }
        }
        if promises.len() < self.quorum() {
            return Ok(None);
        }
        let most_recent = promises
            .iter()
            .filter_map(|(_, p)| p.most_recent_commit.as_ref())
            .max_by_key(|c| c.ballot)
            .cloned();
        let mrc_ballot = most_recent.as_ref().map_or(Ballot::ZERO, |c| c.ballot);
        // An accepted, non-empty proposal newer than the last commit may have been
        // decided by a coordinator that died before committing: finish it.
        let in_progress = promises
            .iter()
            .filter_map(|(_, p)| p.accepted.as_ref())
            .filter(|c| c.ballot > mrc_ballot && c.update.is_some())
            .max_by_key(|c| c.ballot)
            .cloned();
        if let Some(old) = in_progress {
            // Same update, same cell timestamps (fixed when it was decided), as
            // Cassandra re-proposes it: only the ballot is ours.
            let refreshed = Commit {
                ballot,
                update: old.update,
            };
            if self.propose(key, &refreshed)? {
                self.commit(key, &refreshed)?;
            }
            return Ok(None);
        }
        // Replicas that missed the latest commit learn it now.
        if let Some(c) = &most_recent {
            for (i, p) in &promises {
                let behind = p
                    .most_recent_commit
                    .as_ref()
                    .is_none_or(|m| m.ballot < c.ballot);
                if behind {
                    self.replicas[*i].commit(key, c)?;
                }
            }
        }
        Ok(Some(ballot))
    }

    fn propose(&self, key: &PaxosKey, p: &Commit) -> Result<bool, CasTimeout> {
        let mut accepted = 0;
        for r in self.replicas {
            if r.propose(key, p)? {
                accepted += 1;
            }
        }
        Ok(accepted >= self.quorum())
    }

    fn commit(&self, key: &PaxosKey, c: &Commit) -> Result<(), CasTimeout> {
        for r in self.replicas {
            r.commit(key, c)?;
        }
        Ok(())
    }

    fn backoff(&self, attempt: u32) {
        let cap = MAX_BACKOFF.as_micros() as u64;
        let upper = (100u64 << attempt.min(10)).min(cap);
        let us = rand::thread_rng().gen_range(0..=upper);
        std::thread::sleep(Duration::from_micros(us));
    }
}
