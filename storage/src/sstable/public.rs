//! Offline access to one SSTable for tools (helenus-sstable: describe, dump,
//! verify, index): opens the files of a generation and yields its partitions
//! in raw form (tombstones and expired cells included) as `Mutation`s, its
//! partition index entries, and a full block-by-block verification.
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::chunk::{self, ChunkEntry};
use super::{block, BlockCache, Component, Descriptor, SsTable, Stats};
use crate::codec::{self, Reader};
use crate::error::{Error, Result};
use crate::types::{Mutation, TableId};

/// A read-only handle on one SSTable.
pub struct SstableReader {
    table: Arc<SsTable>,
}

/// One entry of the partition index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub token: i64,
    pub key: Bytes,
    /// Offset of the index block holding this entry, in the Index file.
    pub index_block: u64,
    /// Offset of the data block holding the partition, in the Data file.
    pub data_block: u64,
    /// Offset of the partition inside the uncompressed data block.
    pub offset_in_block: u64,
    /// Chunks of the partition's rows when it spans several blocks (format
    /// v2 clustering index); 0 for a partition stored as one run of rows.
    pub clustering_chunks: u64,
}

/// What `SstableReader::verify` checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VerifyReport {
    pub data_blocks: u64,
    pub index_blocks: u64,
    pub partitions: u64,
    pub index_entries: u64,
    /// Clustering-index entries checked against the chunks they describe.
    pub clustering_chunks: u64,
}

/// Offsets of the blocks of `file`, checking each one's checksum and length.
fn walk_blocks(path: &Path, file: &[u8], framing: block::Framing) -> Result<Vec<(u64, Bytes)>> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    while offset < file.len() as u64 {
        let (raw, next) =
            block::decode(file, offset, framing).map_err(|r| Error::corrupt(path, offset, r))?;
        out.push((offset, raw));
        offset = next;
    }
    Ok(out)
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

    /// Path of one of this SSTable's component files.
    pub fn path(&self, c: Component) -> PathBuf {
        self.table.desc.path(c)
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

    /// Every partition index entry, in file order.
    pub fn index_entries(&self) -> Result<Vec<IndexEntry>> {
        Ok(self
            .index_entries_with_chunks()?
            .into_iter()
            .map(|(e, _)| e)
            .collect())
    }

    /// Index entries with their clustering-index entries (empty for a
    /// partition of one chunk). The partition index blocks are the ones the
    /// summary names: v2 puts clustering-index blocks between them.
    fn index_entries_with_chunks(&self) -> Result<Vec<(IndexEntry, Vec<ChunkEntry>)>> {
        let path = self.path(Component::Index);
        let (_, index) = self.table.raw_files();
        let v2 = self.table.v2();
        let mut out = Vec::new();
        for offset in self.table.index_block_offsets() {
            let (raw, _) = block::decode(index, offset, self.table.framing())
                .map_err(|r| Error::corrupt(&path, offset, r))?;
            let mut r = Reader::new(&raw);
            let mut parse = |r: &mut Reader| -> codec::DResult<()> {
                let n = r.count(11)?;
                for _ in 0..n {
                    let e = IndexEntry {
                        token: r.i64()?,
                        key: r.bytes()?,
                        index_block: offset,
                        data_block: r.var()?,
                        offset_in_block: r.var()?,
                        clustering_chunks: 0,
                    };
                    let refs = if v2 {
                        chunk::decode_refs(r)?
                    } else {
                        Vec::new()
                    };
                    out.push((e, refs));
                }
                Ok(())
            };
            parse(&mut r)
                .map_err(|e| Error::corrupt(&path, offset, format!("index block: {}", e.reason)))?;
        }
        let mut with_chunks = Vec::with_capacity(out.len());
        for (mut e, refs) in out {
            let mut chunks = Vec::new();
            for r in &refs {
                let raw = self.table.cached_cindex_block(r.offset)?;
                let got = chunk::decode_cindex(&mut Reader::new(&raw.raw)).map_err(|err| {
                    Error::corrupt(&path, r.offset, format!("clustering index: {}", err.reason))
                })?;
                if got.first().map(|c| &c.first) != Some(&r.first) {
                    return Err(Error::corrupt(
                        &path,
                        r.offset,
                        "clustering index block does not start where its reference says",
                    ));
                }
                chunks.extend(got);
            }
            e.clustering_chunks = chunks.len() as u64;
            with_chunks.push((e, chunks));
        }
        Ok(with_chunks)
    }

    /// Checks that each chunk a clustering index names starts at its offset
    /// with the first and last clustering the index gives.
    fn verify_chunks(&self, chunks: &[ChunkEntry]) -> Result<()> {
        let path = self.path(Component::Data);
        let (data, _) = self.table.raw_files();
        for c in chunks {
            let (raw, _) = block::decode(data, c.block, self.table.framing())
                .map_err(|r| Error::corrupt(&path, c.block, r))?;
            let mut r = Reader::at(&raw, usize::try_from(c.offset).unwrap_or(usize::MAX))
                .with_rows(self.table.row_format());
            let mut rows = crate::merge::Rows::default();
            chunk::get_rows(&mut r, &mut rows)
                .map_err(|e| Error::corrupt(&path, c.block, format!("chunk: {}", e.reason)))?;
            let (first, last) = (rows.keys().next(), rows.keys().next_back());
            if first != Some(&c.first) || last != Some(&c.last) {
                return Err(Error::corrupt(
                    &path,
                    c.block,
                    "chunk rows differ from the clustering index",
                ));
            }
        }
        Ok(())
    }

    /// Reads every partition (checking the checksum of each data block on
    /// the way); returns the partition count. `verify_all` checks more.
    pub fn verify(&self) -> Result<u64> {
        let mut n = 0;
        for p in self.partitions()? {
            p?;
            n += 1;
        }
        Ok(n)
    }

    /// Checks every data and index block checksum, decodes every partition,
    /// and cross-checks the index and the statistics against the data. The
    /// first problem is an error naming the file and offset.
    pub fn verify_all(&self) -> Result<VerifyReport> {
        let data_path = self.path(Component::Data);
        let (data, index) = self.table.raw_files();
        let data_blocks = walk_blocks(&data_path, data, self.table.framing())?.len() as u64;
        let index_path = self.path(Component::Index);
        let index_blocks = walk_blocks(&index_path, index, self.table.framing())?.len() as u64;
        let with_chunks = self.index_entries_with_chunks()?;
        let mut clustering_chunks = 0;
        for (_, chunks) in &with_chunks {
            self.verify_chunks(chunks)?;
            clustering_chunks += chunks.len() as u64;
        }
        let entries: Vec<IndexEntry> = with_chunks.into_iter().map(|(e, _)| e).collect();
        let mut partitions = 0u64;
        let mut entry = entries.iter();
        for p in self.partitions()? {
            let p = p?;
            partitions += 1;
            match entry.next() {
                Some(e) if e.token == p.token && e.key == p.key => {}
                Some(e) => {
                    return Err(Error::corrupt(
                        &index_path,
                        e.index_block,
                        format!(
                            "index entry {} names another partition than the data file holds",
                            partitions - 1
                        ),
                    ))
                }
                None => {
                    return Err(Error::corrupt(
                        &index_path,
                        index.len() as u64,
                        "index has fewer entries than the data file has partitions",
                    ))
                }
            }
        }
        if partitions != entries.len() as u64 || partitions != self.stats().partition_count {
            return Err(Error::corrupt(
                self.path(Component::Statistics),
                0,
                format!(
                    "{partitions} partitions in the data file, {} index entries, statistics say {}",
                    entries.len(),
                    self.stats().partition_count
                ),
            ));
        }
        Ok(VerifyReport {
            data_blocks,
            index_blocks,
            partitions,
            index_entries: entries.len() as u64,
            clustering_chunks,
        })
    }
}
