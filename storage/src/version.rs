//! The version set: the immutable list of a table's live SSTables. Readers
//! clone the `Arc` and keep a consistent view; flush and compaction build a
//! new list and swap it in under the table's lock, so a reader never sees
//! both a compaction's inputs and its output.
use std::sync::Arc;

use crate::sstable::SsTable;

/// One table's live SSTables, newest generation last.
#[derive(Default)]
pub(crate) struct Version {
    pub sstables: Vec<Arc<SsTable>>,
}

impl Version {
    /// A new version with `added` and without the generations in `removed`.
    pub fn with_changes(&self, removed: &[u64], added: Vec<Arc<SsTable>>) -> Version {
        let mut sstables: Vec<Arc<SsTable>> = self
            .sstables
            .iter()
            .filter(|t| !removed.contains(&t.generation()))
            .cloned()
            .collect();
        sstables.extend(added);
        sstables.sort_by_key(|t| t.generation());
        Version { sstables }
    }

    /// Total bytes of the data files.
    pub fn live_data_size(&self) -> u64 {
        self.sstables.iter().map(|t| t.stats.data_size).sum()
    }
}
