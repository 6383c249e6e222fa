//! Membership and placement: the Murmur3 partitioner, the token ring and (later) gossip,
//! the failure detector, replication strategies and internode messaging.
//!
//! This crate knows nothing of disks or CQL: it maps key bytes to tokens and tokens to
//! nodes. See ../shared/ARCHITECTURE.md, "Cluster".

pub mod partitioner;
pub mod ring;

pub use partitioner::{murmur3_token, Token};
pub use ring::{random_tokens, NodeId, TokenRing};
