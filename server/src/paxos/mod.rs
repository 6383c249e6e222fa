//! Paxos for lightweight transactions, in the shape of Cassandra's original protocol
//! ("Paxos v1": prepare/promise, read, propose/accept, commit), per partition.
//!
//! - [`PaxosReplica`]: the replica side. Each replica keeps, per partition, the highest
//!   ballot it promised, the last proposal it accepted and the most recent commit
//!   ([`LocalReplica`] persists them in the `system.paxos` storage table, so promises
//!   survive a restart). The trait is the seam for the cluster issue: a remote replica
//!   is one more implementation that sends the same three messages over the wire.
//! - [`Proposer`]: the coordinator side. It prepares with a fresh ballot, finishes any
//!   proposal left in progress by an earlier coordinator, asks the caller to read and
//!   decide, proposes the decision and commits it, retrying with backoff under
//!   contention until `cas_contention_timeout`.
//!
//! This module knows nothing about CQL: a decision is a `storage::Mutation` (or none).
//! The conditions and the `[applied]` result are `exec::lwt`'s. See docs/LWT.md.

mod ballot;
mod proposer;
mod replica;
mod store;

pub use ballot::Ballot;
pub use proposer::{CasTimeout, Proposer, CAS_CONTENTION_TIMEOUT};
pub use replica::LocalReplica;
pub use store::{table_options, TABLE_ID};

use bytes::Bytes;
use storage::{Mutation, TableId};

/// The partition a Paxos instance is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaxosKey {
    pub table: TableId,
    pub token: i64,
    /// The serialized partition key.
    pub key: Bytes,
}

/// A proposal or a commit: an update of the partition decided at `ballot`. `None` is
/// the empty update a coordinator proposes when a condition fails or for a SERIAL read
/// (it still moves the partition's Paxos state forward, as CASSANDRA-12126 requires).
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub ballot: Ballot,
    pub update: Option<Mutation>,
}

/// A replica's answer to PREPARE.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Whether the replica promised the ballot (it had not promised a higher one).
    pub promised: bool,
    /// The highest ballot the replica has promised, ours included when promised.
    pub in_progress_ballot: Ballot,
    /// The last proposal it accepted, if any.
    pub accepted: Option<Commit>,
    /// The last commit it learnt, if any.
    pub most_recent_commit: Option<Commit>,
}

/// Why a replica could not answer.
#[derive(Debug, thiserror::Error)]
pub enum PaxosError {
    #[error("storage: {0}")]
    Storage(#[from] storage::Error),
    #[error("corrupt system.paxos state: {0}")]
    Corrupt(String),
}

/// The three messages a Paxos replica answers. Blocking: the local replica does disk
/// I/O; callers run it off the async workers (`coordinator::blocking`).
pub trait PaxosReplica: Send + Sync {
    /// PREPARE: promise not to accept proposals below `ballot` if it is the highest
    /// seen, and report what was accepted and committed so far.
    fn prepare(&self, key: &PaxosKey, ballot: Ballot) -> Result<Prepared, PaxosError>;
    /// PROPOSE: accept `proposal` unless a higher ballot was promised since.
    fn propose(&self, key: &PaxosKey, proposal: &Commit) -> Result<bool, PaxosError>;
    /// COMMIT: apply the decided update and remember it as the most recent commit.
    fn commit(&self, key: &PaxosKey, commit: &Commit) -> Result<(), PaxosError>;
}

#[cfg(test)]
mod tests;
