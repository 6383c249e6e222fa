//! Integration tests: real `helenus` processes on 127.0.0.1 with a free port and a
//! temporary data directory, driven by real clients (the scylla and cdrs-tokio drivers)
//! and by raw sockets for the protocol corner cases. One binary, one module per area.

mod aggregates;
mod cdrs_driver;
mod cli;
mod client;
mod collections;
mod compaction;
mod corruption;
mod counters;
mod crash;
mod filtering;
mod functions;
mod harness;
mod indexes;
mod json;
mod lwt;
mod metrics;
mod nodetool;
mod power_loss;
mod powercut_fs;
mod protocol;
mod raw;
mod restart;
mod scylla_driver;
mod stress;
mod ttl;
mod types;
mod udt;
mod views;
mod wide_partition;
