//! Builds one SSTable from partitions given in (token, key) order. Data
//! blocks stream to a temp file; index, summary, bloom filter and statistics
//! are written at `finish`, then the TOC makes the SSTable exist.
use std::fs::File;
use std::io::{BufWriter, Write};

use bytes::Bytes;

use super::{block, fsync_dir, seal, write_atomic, Component, Descriptor, Stats};
use crate::codec::{self, Put};
use crate::error::{Error, Result};
use crate::merge::PartitionData;

/// Index entries per index block (one summary entry each).
pub(crate) const INDEX_BLOCK_ENTRIES: usize = 64;

/// Writes one SSTable.
pub(crate) struct SstableWriter {
    desc: Descriptor,
    data: Option<BufWriter<File>>,
    data_offset: u64,
    block: Vec<u8>,
    block_size: usize,
    index_block: Vec<u8>,
    index_first: Option<(i64, Bytes)>,
    index_entries: usize,
    index_file: Vec<u8>,
    summary: Vec<u8>,
    summary_count: u64,
    /// Every partition key, back to back (`key_ends` marks where each ends),
    /// for the bloom filter built at `finish`: one growing buffer instead of
    /// a `Bytes` per key, and no reference into a compaction input's blocks.
    keys: Vec<u8>,
    key_ends: Vec<usize>,
    /// Reused lz4 output buffer.
    scratch: Vec<u8>,
    fp_chance: f64,
    last: Option<(i64, Bytes)>,
    /// Statistics; the caller sets level, commitlog_upper and ancestors.
    pub stats: Stats,
    finished: bool,
}

impl SstableWriter {
    pub fn create(desc: Descriptor, block_size: usize, fp_chance: f64) -> Result<SstableWriter> {
        std::fs::create_dir_all(&desc.dir)
            .map_err(|e| Error::io(format!("create {}", desc.dir.display()), e))?;
        let tmp = desc.tmp_path(Component::Data);
        let f =
            File::create(&tmp).map_err(|e| Error::io(format!("create {}", tmp.display()), e))?;
        Ok(SstableWriter {
            desc,
            // Large writes: fewer syscalls per flushed megabyte.
            data: Some(BufWriter::with_capacity(1 << 20, f)),
            data_offset: 0,
            block: Vec::with_capacity(block_size + 1024),
            block_size,
            index_block: Vec::new(),
            index_first: None,
            index_entries: 0,
            index_file: Vec::new(),
            summary: Vec::new(),
            summary_count: 0,
            keys: Vec::new(),
            key_ends: Vec::new(),
            scratch: Vec::new(),
            fp_chance,
            last: None,
            stats: Stats::new(),
            finished: false,
        })
    }

    /// Bytes written to the data file so far (plus the open block).
    pub fn size(&self) -> u64 {
        self.data_offset + self.block.len() as u64
    }

    pub fn partition_count(&self) -> u64 {
        self.stats.partition_count
    }

    /// Appends a partition; keys must strictly increase. Returns the data
    /// bytes written to disk by this call (for throttling).
    pub fn add(&mut self, token: i64, key: &Bytes, p: &PartitionData) -> Result<u64> {
        if let Some((lt, lk)) = &self.last {
            if (token, key) <= (*lt, lk) {
                return Err(Error::InvalidRequest(format!(
                    "SSTable writer: partition ({token}) out of order"
                )));
            }
        }
        self.last = Some((token, key.clone()));
        if self.index_first.is_none() {
            self.index_first = Some((token, key.clone()));
        }
        self.index_block.put_i64(token);
        self.index_block.put_bytes(key);
        self.index_block.put_var(self.data_offset);
        self.index_block.put_var(self.block.len() as u64);
        self.index_entries += 1;
        codec::put_partition(&mut self.block, token, key, p);
        self.stats.add_partition(token, key, p);
        self.keys.extend_from_slice(key);
        self.key_ends.push(self.keys.len());
        if self.index_entries >= INDEX_BLOCK_ENTRIES {
            self.flush_index_block();
        }
        if self.block.len() >= self.block_size {
            return self.flush_block();
        }
        Ok(0)
    }

    fn flush_index_block(&mut self) {
        if self.index_entries == 0 {
            return;
        }
        let mut raw = Vec::with_capacity(self.index_block.len() + 4);
        raw.put_var(self.index_entries as u64);
        raw.extend_from_slice(&self.index_block);
        if let Some((t, k)) = self.index_first.take() {
            self.summary.put_i64(t);
            self.summary.put_bytes(&k);
            self.summary.put_u64(self.index_file.len() as u64);
            self.summary_count += 1;
        }
        block::encode(&mut self.index_file, &raw);
        self.index_block.clear();
        self.index_entries = 0;
    }

    fn flush_block(&mut self) -> Result<u64> {
        if self.block.is_empty() {
            return Ok(0);
        }
        let (header, compressed) = block::encode_parts(&mut self.scratch, &self.block);
        let written = (header.len() + compressed.len()) as u64;
        if let Some(d) = self.data.as_mut() {
            d.write_all(&header)
                .and_then(|_| d.write_all(compressed))
                .map_err(|e| {
                    let path = self.desc.tmp_path(Component::Data);
                    Error::io(format!("write {}", path.display()), e)
                })?;
        }
        self.stats.uncompressed_size += self.block.len() as u64;
        self.block.clear();
        self.data_offset += written;
        Ok(written)
    }

    /// Writes the remaining components and the TOC; the SSTable is durable
    /// and complete when this returns.
    pub fn finish(mut self, created_at: i64) -> Result<(Descriptor, Stats)> {
        self.flush_block()?;
        self.flush_index_block();
        let data_tmp = self.desc.tmp_path(Component::Data);
        if let Some(d) = self.data.take() {
            let f = d
                .into_inner()
                .map_err(|e| Error::io(format!("write {}", data_tmp.display()), e.into_error()))?;
            f.sync_all()
                .map_err(|e| Error::io(format!("fsync {}", data_tmp.display()), e))?;
        }
        std::fs::rename(&data_tmp, self.desc.path(Component::Data))
            .map_err(|e| Error::io(format!("rename {}", data_tmp.display()), e))?;
        self.stats.data_size = self.data_offset;
        self.stats.created_at = created_at;
        let d = self.desc.clone();
        let put = |c: Component, bytes: &[u8]| write_atomic(&d.tmp_path(c), &d.path(c), bytes);
        put(Component::Index, &self.index_file)?;
        let mut summary = Vec::with_capacity(self.summary.len() + 8);
        summary.put_var(self.summary_count);
        summary.extend_from_slice(&self.summary);
        put(Component::Summary, &seal(summary))?;
        put(Component::Filter, &seal(self.filter_bytes()))?;
        put(Component::Statistics, &self.stats.encode())?;
        let toc: String = Component::ALL
            .iter()
            .map(|c| format!("{}\n", c.suffix()))
            .collect();
        put(Component::Toc, toc.as_bytes())?;
        fsync_dir(&d.dir)?;
        self.finished = true;
        Ok((self.desc.clone(), self.stats.clone()))
    }

    fn filter_bytes(&self) -> Vec<u8> {
        let mut start = 0;
        let keys = self.key_ends.iter().map(|&end| {
            let k = self.keys.get(start..end).unwrap_or_default();
            start = end;
            k
        });
        super::KeyFilter::build(keys, self.fp_chance).encode()
    }
}

impl Drop for SstableWriter {
    fn drop(&mut self) {
        if !self.finished {
            // An abandoned writer leaves no half SSTable behind.
            self.desc.delete_files();
        }
    }
}
