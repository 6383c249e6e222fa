//! The engine: one node's tables, the shared commit log, background flush
//! and compaction threads. Owns the write path (commit log, then memtable),
//! the read path (memtables + SSTables merged) and the table lifecycle.
use std::sync::Arc;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::types::{Mutation, Partition, ReadCommand, ScanCommand, TableId, TableOptions};

/// Per-table statistics (nodetool tablestats).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableStats {
    /// Live SSTables.
    pub sstable_count: usize,
    /// Bytes of live SSTable data files.
    pub live_data_size: u64,
    /// Accounted bytes of the table's memtables (active and flushing).
    pub memtable_size: u64,
    /// Partitions in SSTables plus memtables (duplicates counted twice).
    pub partition_count_estimate: u64,
    /// SSTables per level (leveled compaction; index = level).
    pub sstables_per_level: Vec<usize>,
    /// Tombstones counted in live SSTables.
    pub tombstone_count: u64,
    /// Compactions completed since open.
    pub compactions_completed: u64,
}

/// One node's storage engine.
pub struct Engine {
    _config: Config,
}

impl Engine {
    /// Opens (or creates) the engine: loads the SSTables of `tables`, replays
    /// the commit log into memtables (records of unlisted tables are
    /// skipped: they were dropped), then starts the background threads.
    pub fn open(config: Config, tables: &[(TableId, TableOptions)]) -> Result<Arc<Engine>> {
        config.validate()?;
        let _ = tables;
        Err(Error::Unsupported("Engine::open is being built".into()))
    }

    /// Registers a new, empty table.
    pub fn create_table(&self, id: TableId, opts: TableOptions) -> Result<()> {
        let _ = (id, opts);
        Err(Error::Unsupported("create_table".into()))
    }

    /// Changes a table's options (compaction, bloom fp chance, gc grace).
    pub fn alter_table(&self, id: TableId, opts: TableOptions) -> Result<()> {
        let _ = (id, opts);
        Err(Error::Unsupported("alter_table".into()))
    }

    /// Forgets a table and deletes its files.
    pub fn drop_table(&self, id: TableId) -> Result<()> {
        let _ = id;
        Err(Error::Unsupported("drop_table".into()))
    }

    /// Deletes all data of a table (it stays defined).
    pub fn truncate(&self, id: TableId) -> Result<()> {
        let _ = id;
        Err(Error::Unsupported("truncate".into()))
    }

    /// Applies a mutation: commit-log append, then memtable insert. Blocking:
    /// in batch and group sync modes it waits for the covering fsync.
    pub fn apply(&self, m: &Mutation) -> Result<()> {
        let _ = m;
        Err(Error::Unsupported("apply".into()))
    }

    /// Reads one partition's merged live view; `None` if nothing is live.
    pub fn read(&self, cmd: &ReadCommand) -> Result<Option<Partition>> {
        let _ = cmd;
        Err(Error::Unsupported("read".into()))
    }

    /// Scans partitions in (token, key) order from `cmd.start` up to
    /// `cmd.end_token`, stopping at the row / partition limits.
    pub fn scan(&self, cmd: &ScanCommand) -> Result<Vec<Partition>> {
        let _ = cmd;
        Err(Error::Unsupported("scan".into()))
    }

    /// Flushes a table's memtable to an SSTable and waits for it.
    pub fn flush(&self, table: TableId) -> Result<()> {
        let _ = table;
        Err(Error::Unsupported("flush".into()))
    }

    /// Flushes every table.
    pub fn flush_all(&self) -> Result<()> {
        Err(Error::Unsupported("flush_all".into()))
    }

    /// Major compaction: merges all of a table's SSTables; blocks until done.
    pub fn compact(&self, table: TableId) -> Result<()> {
        let _ = table;
        Err(Error::Unsupported("compact".into()))
    }

    /// Statistics of one table.
    pub fn table_stats(&self, table: TableId) -> Result<TableStats> {
        let _ = table;
        Err(Error::Unsupported("table_stats".into()))
    }

    /// Flushes all memtables and stops the background threads. Further calls
    /// return `Error::Shutdown`.
    pub fn shutdown(&self) -> Result<()> {
        Err(Error::Unsupported("shutdown".into()))
    }
}
