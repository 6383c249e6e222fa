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
#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

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
pub use engine::{Engine, TableStats};
pub use error::{Error, Result};
pub use types::{
    Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, LivenessInfo, Mutation, Partition,
    RangeTombstone, ReadCommand, Row, ScanBound, ScanCommand, TableId, TableOptions,
};
