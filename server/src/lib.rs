//! The Helenus node: configuration, the CQL transport, schema, statement execution,
//! the coordinator and the system tables.
//!
//! Ownership inside the crate: `config`, `node` and `transport` run the process and the
//! connections; `query` is the facade the transport calls for QUERY / PREPARE / EXECUTE /
//! BATCH; `schema`, `exec`, `system` and `coordinator` sit behind it; `error` is the one
//! place where internal failures become protocol errors.

pub mod admin;
pub mod config;
pub mod coordinator;
pub mod error;
pub mod exec;
pub mod metrics;
pub mod node;
pub mod paxos;
pub mod query;
pub mod schema;
pub mod system;
pub mod transport;
