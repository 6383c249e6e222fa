//! Offline access to one SSTable for tools (helenus-sstable: dump, verify,
//! stats): opens the files of a generation and yields its partitions in raw
//! form (tombstones and expired cells included) as `Mutation`s.
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::{BlockCache, Descriptor, SsTable, Stats};
use crate::error::Result;
use crate::types::{Mutation, TableId};

/// A read-only handle on one SSTable.
pub struct SstableReader {
    table: Arc<SsTable>,
}

impl SstableReader {
    /// Opens generation `generation` in table directory `dir`, verifying
    /// metadata checksums and the data file size.
    pub fn open(dir: &Path, generation: u64) -> Result<SstableReader> {
        let table = SsTable::open(
            Descriptor::new(dir, generation),
            Arc::new(BlockCache::new(0)),
        )?;
        Ok(SstableReader {
            table: Arc::new(table),
        })
    }

    /// The Statistics component.
    pub fn stats(&self) -> &Stats {
        &self.table.stats
    }

    /// Every partition in (token, key) order, raw (not reconciled against
    /// other SSTables, tombstones kept). `table` is set to the nil id.
    pub fn partitions(&self) -> Result<impl Iterator<Item = Result<Mutation>>> {
        let it = self.table.iter_from(Bound::Unbounded)?;
        Ok(it.map(|item| {
            item.map(|(k, p)| Mutation {
                table: TableId::default(),
                token: k.token,
                key: k.key,
                partition_deletion: p.partition_deletion,
                range_tombstones: p.range_tombstones,
                static_row: p.static_row,
                rows: p.rows.into_values().collect(),
            })
        }))
    }

    /// Reads every block, checking checksums; returns the partition count.
    pub fn verify(&self) -> Result<u64> {
        let mut n = 0;
        for p in self.partitions()? {
            p?;
            n += 1;
        }
        Ok(n)
    }
}
