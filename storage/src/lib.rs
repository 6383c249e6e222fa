//! helenus-storage: one node's log-structured store.
//!
//! Owns the commit log, the memtables, the bloom-filtered SSTables and
//! compaction for every table of one node. It is schema-agnostic: the server
//! hands it a token, serialized partition-key bytes and byte-comparable
//! clustering prefixes; storage compares bytes and never decodes CQL values.
//!
//! Entry point: [`Engine`]. Write with [`Engine::apply`], read one partition
//! with [`Engine::read`], page over token ranges with [`Engine::scan`].
//! The on-disk formats are documented in `docs/storage-format.md`.
//!
//! ```no_run
//! use bytes::Bytes;
//! use storage::*;
//!
//! # fn main() -> Result<()> {
//! let table = TableId(uuid::Uuid::from_u128(1));
//! let engine = Engine::open(Config::for_tests("/tmp/helenus".as_ref()), &[(table, TableOptions::default())])?;
//! engine.apply(&Mutation {
//!     table,
//!     token: 42,
//!     key: Bytes::from_static(b"pk"),
//!     rows: vec![Row {
//!         clustering: Bytes::from_static(b"ck"),
//!         liveness: Some(LivenessInfo { timestamp: 1, ttl: None }),
//!         cells: vec![Cell {
//!             column: ColumnId(1),
//!             path: None,
//!             timestamp: 1,
//!             value: CellValue::Live { value: Bytes::from_static(b"v"), ttl: None },
//!         }],
//!         ..Row::default()
//!     }],
//!     ..Mutation::default()
//! })?;
//! let now = 1_700_000_000;
//! let p = engine.read(&ReadCommand::whole(table, 42, Bytes::from_static(b"pk"), now))?;
//! assert_eq!(p.map(|p| p.rows.len()), Some(1));
//! engine.shutdown()?;
//! # Ok(())
//! # }
//! ```
//!
//! Threads: `apply`, `read` and `scan` block (file I/O, fsync waits); call
//! them from `spawn_blocking` / `block_in_place` in async code. The engine
//! runs its own threads: one commit-log writer, one flusher and
//! `concurrent_compactors` compactors.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod codec;
pub mod commitlog;
pub mod compaction;
mod config;
mod engine;
mod error;
pub mod memtable;
mod merge;
pub mod sstable;
mod types;
mod version;
mod view;

pub use compaction::{CompactionConfig, TimeWindowUnit};
pub use config::{Config, SyncMode};
pub use engine::{
    check_snapshot_tag, ActivityStats, Backpressure, Engine, PartitionEstimate, SnapshotInfo,
    TableStats,
};
pub use error::{Error, Result};
pub use types::{
    Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, LivenessInfo, Mutation, Partition,
    RangeTombstone, ReadCommand, Row, ScanBound, ScanCommand, TableId, TableIdHasher, TableMap,
    TableOptions,
};
