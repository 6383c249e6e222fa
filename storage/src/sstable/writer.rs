//! Builds one SSTable from partitions given in (token, key) order. Data
//! blocks stream to a temp file; index, summary, bloom filter and statistics
//! are written at `finish`, then the TOC makes the SSTable exist.
use std::fs::File;
use std::io::{BufWriter, Write};

use bytes::Bytes;

use super::chunk::{ChunkEntry, CindexBuilder};
use super::copy::Digest;
use super::{block, fsync_dir, seal, write_atomic, Component, Descriptor, Stats};
use crate::codec::{self, Put, RowFormat};
use crate::error::{Error, Result};
use crate::merge::PartitionData;
use crate::types::Row;

/// Index entries per index block (one summary entry each).
pub(crate) const INDEX_BLOCK_ENTRIES: usize = 64;

/// The chunk being built: where it starts and its first and last rows.
struct Chunk {
    block: u64,
    offset: u64,
    count: u64,
    first: Option<Bytes>,
    last: Option<Bytes>,
}

impl Chunk {
    fn starting_at(block: u64, offset: u64) -> Chunk {
        Chunk {
            block,
            offset,
            count: 0,
            first: None,
            last: None,
        }
    }

    fn see(&mut self, clustering: &Bytes) {
        if self.first.is_none() {
            self.first = Some(clustering.clone());
        }
        self.last = Some(clustering.clone());
        self.count += 1;
    }
}

/// The partition being written.
struct OpenPartition {
    /// Its index entry so far (the clustering index is added at the end).
    entry: Vec<u8>,
    /// Encoded bytes of the partition so far.
    bytes: usize,
    has_static: bool,
    chunk: Chunk,
}

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
    /// Encoding choice for data blocks and for partition index blocks.
    data_encoding: block::Adaptive,
    index_encoding: block::Adaptive,
    /// Encoded rows of the chunk being built (reused).
    chunk_rows: Vec<u8>,
    /// Clustering index of the partition being written.
    cindex: CindexBuilder,
    open: Option<OpenPartition>,
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
            data_encoding: block::Adaptive::default(),
            index_encoding: block::Adaptive::default(),
            chunk_rows: Vec::new(),
            cindex: CindexBuilder::default(),
            open: None,
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
        let mut written = self.begin(token, key, p)?;
        for row in p.rows.values() {
            written += self.add_row(row)?;
        }
        Ok(written + self.end()?)
    }

    /// Starts a partition (keys must strictly increase) with the head of
    /// `p`: partition deletion, range tombstones, static row (`p.rows` is
    /// ignored). Rows follow with `add_row`, in clustering order, then
    /// `end`. Memory holds about a block, whatever the partition's size.
    ///
    /// Format v2: the head goes into the current block, then the rows in
    /// chunks. Once the partition has filled a block's worth of bytes, a
    /// chunk is closed whenever the current block is full and the next chunk
    /// starts a new block, with a clustering-index entry per chunk; a
    /// partition smaller than a block stays one chunk (no clustering index),
    /// sharing its block with others.
    pub fn begin(&mut self, token: i64, key: &Bytes, p: &PartitionData) -> Result<u64> {
        let head_start = self.block.len();
        let mut entry = Vec::with_capacity(key.len() + 16);
        self.start(token, key, &mut entry)?;
        codec::put_head_as(
            &mut self.block,
            &p.partition_deletion,
            &p.range_tombstones,
            &p.static_row,
            RowFormat::TimestampDeltas,
        );
        self.stats.add_head(token, key, p);
        self.open = Some(OpenPartition {
            entry,
            bytes: self.block.len() - head_start,
            has_static: p.static_row.is_some(),
            chunk: Chunk::starting_at(self.data_offset, self.block.len() as u64),
        });
        Ok(0)
    }

    /// Appends a partition given as its encoded bytes after the key and the
    /// digest of the walk that found them copyable (`copy::unchanged`,
    /// `copy::newest_covering`: shorter than a block, so `add` would not
    /// chunk them either): the bytes `add` writes for that partition
    /// decoded, with the same index entry and statistics, for a fraction of
    /// the work (compaction's copy of unchanged partitions).
    pub fn add_encoded(&mut self, token: i64, key: &Bytes, body: &[u8], d: &Digest) -> Result<u64> {
        if body.len() != d.len || !super::copy::fits(key, body, self.block_size) {
            return Err(Error::InvalidRequest(
                "SSTable writer: encoded partition does not match its digest or a block".into(),
            ));
        }
        let mut index_block = std::mem::take(&mut self.index_block);
        let started = self.start(token, key, &mut index_block);
        self.index_block = index_block;
        started?;
        self.block.extend_from_slice(body);
        // No clustering index: one chunk.
        self.index_block.put_var(0);
        self.stats.add_digest(token, key, d);
        self.entry_done()
    }

    /// Checks that `(token, key)` follows the last partition, writes them to
    /// the block and their index entry (up to the clustering index) to
    /// `entry`.
    fn start(&mut self, token: i64, key: &Bytes, entry: &mut Vec<u8>) -> Result<()> {
        if let Some((lt, lk)) = &self.last {
            if (token, key) <= (*lt, lk) {
                return Err(Error::InvalidRequest(format!(
                    "SSTable writer: partition ({token}) out of order"
                )));
            }
        }
        if self.open.is_some() {
            return Err(Error::InvalidRequest(
                "SSTable writer: partition started before the previous one ended".into(),
            ));
        }
        self.last = Some((token, key.clone()));
        if self.index_first.is_none() {
            self.index_first = Some((token, key.clone()));
        }
        entry.put_i64(token);
        entry.put_bytes(key);
        entry.put_var(self.data_offset);
        entry.put_var(self.block.len() as u64);
        self.block.put_i64(token);
        self.block.put_bytes(key);
        self.keys.extend_from_slice(key);
        self.key_ends.push(self.keys.len());
        Ok(())
    }

    /// Appends a row of the partition `begin` started; clusterings must
    /// increase.
    pub fn add_row(&mut self, row: &Row) -> Result<u64> {
        let Some(mut open) = self.open.take() else {
            return Err(Error::InvalidRequest(
                "SSTable writer: row outside a partition".into(),
            ));
        };
        let mut written = 0;
        let full = open.bytes >= self.block_size
            && self.block.len() + self.chunk_rows.len() >= self.block_size;
        if full && open.chunk.count > 0 {
            self.close_chunk(&open.chunk, true);
            written = self.flush_block()?;
            open.chunk = Chunk::starting_at(self.data_offset, 0);
        }
        let before = self.chunk_rows.len();
        codec::put_row_as(&mut self.chunk_rows, row, RowFormat::TimestampDeltas);
        open.bytes += self.chunk_rows.len() - before;
        open.chunk.see(&row.clustering);
        self.stats.add_row(row, open.has_static);
        self.open = Some(open);
        Ok(written)
    }

    /// Ends the partition `begin` started.
    pub fn end(&mut self) -> Result<u64> {
        let Some(mut open) = self.open.take() else {
            return Ok(0);
        };
        self.close_chunk(&open.chunk, false);
        self.cindex.finish(&mut open.entry, &mut self.index_file);
        self.index_block.extend_from_slice(&open.entry);
        self.entry_done()
    }

    /// Counts the index entry just appended to the index block; flushes the
    /// index block and the data block when full.
    fn entry_done(&mut self) -> Result<u64> {
        self.index_entries += 1;
        if self.index_entries >= INDEX_BLOCK_ENTRIES {
            self.flush_index_block();
        }
        if self.block.len() >= self.block_size {
            return self.flush_block();
        }
        Ok(0)
    }

    /// Appends the chunk's rows to the block (`var n | rows | more`) and
    /// records it in the clustering index.
    fn close_chunk(&mut self, chunk: &Chunk, more: bool) {
        self.block.put_var(chunk.count);
        self.block.extend_from_slice(&self.chunk_rows);
        self.block.put_u8(u8::from(more));
        self.chunk_rows.clear();
        if let (Some(first), Some(last)) = (&chunk.first, &chunk.last) {
            let e = ChunkEntry {
                first: first.clone(),
                last: last.clone(),
                block: chunk.block,
                offset: chunk.offset,
            };
            self.cindex.add(&e, &mut self.index_file);
        }
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
        let (header, stored) = self.index_encoding.encode(&mut self.scratch, &raw);
        self.index_file.extend_from_slice(&header);
        self.index_file.extend_from_slice(stored);
        self.index_block.clear();
        self.index_entries = 0;
    }

    fn flush_block(&mut self) -> Result<u64> {
        if self.block.is_empty() {
            return Ok(0);
        }
        let (header, stored) = self.data_encoding.encode(&mut self.scratch, &self.block);
        let written = (header.len() + stored.len()) as u64;
        if let Some(d) = self.data.as_mut() {
            d.write_all(&header)
                .and_then(|_| d.write_all(stored))
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
        self.end()?;
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
