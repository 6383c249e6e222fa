//! Reads one SSTable through memmap2. Summary, bloom filter and statistics
//! are loaded at open; a point read checks the filter, binary-searches the
//! summary, decodes one index block and one data block. Every decode
//! failure is `Error::Corrupt` naming the file and offset, never a panic.
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use memmap2::Mmap;

use super::cache::{Block, BlockCache, Kind};
use super::{block, chunk, unseal, Component, Descriptor, Stats};
use crate::codec::{self, Reader};
use crate::error::{Error, Result};
use crate::memtable::PartitionKey;
use crate::merge::PartitionData;

struct IndexEntry {
    token: i64,
    key: Bytes,
    block: u64,
    in_block: u64,
}

/// Where the index says a partition is.
pub(super) struct Hit {
    /// The partition index block holding the entry, and its offset.
    pub index: Arc<Block>,
    pub index_offset: u64,
    pub data_block: u64,
    pub in_block: u64,
    /// Offset in `index.raw` of the entry's clustering-index refs (v2).
    pub refs_at: Option<usize>,
}

/// An open SSTable.
pub(crate) struct SsTable {
    pub desc: Descriptor,
    data: Option<Mmap>,
    index: Option<Mmap>,
    summary: Vec<(i64, Bytes, u64)>,
    filter: super::KeyFilter,
    pub stats: Stats,
    obsolete: AtomicBool,
    cache: Arc<BlockCache>,
}

fn map(path: &PathBuf) -> Result<Option<Mmap>> {
    let f =
        std::fs::File::open(path).map_err(|e| Error::io(format!("open {}", path.display()), e))?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(format!("stat {}", path.display()), e))?
        .len();
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: SSTable files are immutable once their TOC exists; nothing
    // writes to or truncates them while mapped (compaction deletes whole
    // files, which keeps existing mappings valid on Unix).
    let m =
        unsafe { Mmap::map(&f) }.map_err(|e| Error::io(format!("mmap {}", path.display()), e))?;
    Ok(Some(m))
}

fn read(path: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("read {}", path.display()), e))
}

impl SsTable {
    /// Opens a complete SSTable, verifying its metadata checksums and that
    /// the data file has the recorded size.
    pub fn open(desc: Descriptor, cache: Arc<BlockCache>) -> Result<SsTable> {
        let stats_path = desc.path(Component::Statistics);
        let stats = Stats::decode(&stats_path, &read(&stats_path)?)?;
        let data_path = desc.path(Component::Data);
        let data = map(&data_path)?;
        let len = data.as_ref().map_or(0, |m| m.len() as u64);
        if len != stats.data_size {
            return Err(Error::corrupt(
                &data_path,
                len.min(stats.data_size),
                format!(
                    "data file is {len} bytes, statistics say {}",
                    stats.data_size
                ),
            ));
        }
        let index = map(&desc.path(Component::Index))?;
        let summary_path = desc.path(Component::Summary);
        let raw = read(&summary_path)?;
        let body = unseal(&summary_path, &raw)?;
        let mut r = Reader::new(body);
        let parse = |r: &mut Reader| -> codec::DResult<Vec<(i64, Bytes, u64)>> {
            let n = r.count(17)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((r.i64()?, r.bytes()?, r.u64()?));
            }
            Ok(v)
        };
        let summary =
            parse(&mut r).map_err(|e| Error::corrupt(&summary_path, e.offset as u64, e.reason))?;
        let filter_path = desc.path(Component::Filter);
        let raw = read(&filter_path)?;
        let body = unseal(&filter_path, &raw)?;
        let filter =
            super::KeyFilter::decode(body).map_err(|e| Error::corrupt(&filter_path, 1, e))?;
        Ok(SsTable {
            desc,
            data,
            index,
            summary,
            filter,
            stats,
            obsolete: AtomicBool::new(false),
            cache,
        })
    }

    fn data(&self) -> &[u8] {
        self.data.as_deref().unwrap_or_default()
    }

    /// The mapped data and index files, for the offline checks in `public`
    /// (helenus-sstable verify/index).
    pub(super) fn raw_files(&self) -> (&[u8], &[u8]) {
        (self.data(), self.index.as_deref().unwrap_or_default())
    }

    /// Marks the files for deletion when the last reader lets go.
    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::SeqCst);
    }

    pub fn generation(&self) -> u64 {
        self.desc.generation
    }

    /// False when the partition is certainly absent (key range, bloom).
    pub fn may_contain(&self, token: i64, key: &Bytes) -> bool {
        let s = &self.stats;
        if (token, key) < (s.first_token, &s.first_key)
            || (token, key) > (s.last_token, &s.last_key)
        {
            return false;
        }
        self.stats.partition_count > 0 && self.filter.may_contain(key)
    }

    fn index_block(&self, offset: u64) -> Result<Vec<IndexEntry>> {
        let v2 = self.v2();
        let path = self.desc.path(Component::Index);
        let file = self.index.as_deref().unwrap_or_default();
        let (raw, _) = block::decode(file, offset, self.framing())
            .map_err(|r| Error::corrupt(&path, offset, r))?;
        let mut r = Reader::new(&raw);
        let parse = |r: &mut Reader| -> codec::DResult<Vec<IndexEntry>> {
            let n = r.count(11)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let token = r.i64()?;
                let key = r.bytes()?;
                let block = r.var()?;
                let in_block = r.var()?;
                if v2 {
                    chunk::skip_refs(r)?;
                }
                v.push(IndexEntry {
                    token,
                    key,
                    block,
                    in_block,
                });
            }
            Ok(v)
        };
        parse(&mut r)
            .map_err(|e| Error::corrupt(&path, offset, format!("index block: {}", e.reason)))
    }

    /// Index of the summary entry whose index block may hold `(token, key)`.
    fn summary_slot(&self, token: i64, key: &Bytes) -> Option<usize> {
        let n = self
            .summary
            .partition_point(|(t, k, _)| (*t, k) <= (token, key));
        n.checked_sub(1)
    }

    /// Decodes the data block at `offset`.
    fn data_block(&self, offset: u64) -> Result<(Bytes, u64)> {
        block::decode(self.data(), offset, self.framing())
            .map_err(|r| Error::corrupt(self.desc.path(Component::Data), offset, r))
    }

    /// `data_block`, except that a raw block is not copied: its `Bytes`
    /// view the mapped file and keep this SSTable open (compaction, which
    /// drops what it read as it goes).
    fn shared_data_block(self: &Arc<Self>, offset: u64) -> Result<(Bytes, u64)> {
        let data = self.data();
        let view = |stored: &[u8]| {
            let start = stored.as_ptr() as usize - data.as_ptr() as usize;
            Bytes::from_owner(Mapped {
                table: Arc::clone(self),
                range: start..start + stored.len(),
            })
        };
        block::decode_with(data, offset, self.framing(), view)
            .map_err(|r| Error::corrupt(self.desc.path(Component::Data), offset, r))
    }

    /// Decodes the index block at `offset` and records where each entry
    /// starts, validating every entry once (a corrupt block fails here).
    fn load_index_block(&self, offset: u64) -> Result<Block> {
        let v2 = self.v2();
        let path = || self.desc.path(Component::Index);
        let file = self.index.as_deref().unwrap_or_default();
        let (raw, _) = block::decode(file, offset, self.framing())
            .map_err(|r| Error::corrupt(path(), offset, r))?;
        let mut r = Reader::new(&raw);
        let scan = |r: &mut Reader| -> codec::DResult<Vec<u32>> {
            let n = r.count(11)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                entries.push(u32::try_from(r.pos()).map_err(|_| r.err("index block too large"))?);
                r.i64()?;
                r.bytes_ref()?;
                r.var()?;
                r.var()?;
                if v2 {
                    chunk::skip_refs(r)?;
                }
            }
            Ok(entries)
        };
        let entries = scan(&mut r)
            .map_err(|e| Error::corrupt(path(), offset, format!("index block: {}", e.reason)))?;
        Ok(Block { raw, entries })
    }

    /// Finds `(token, key)` in the index block at `offset` without
    /// allocating. Binary search over the entry offsets found when the block
    /// was loaded.
    fn find_in_index(&self, offset: u64, token: i64, key: &[u8]) -> Result<Option<Hit>> {
        let path = || self.desc.path(Component::Index);
        let block = self
            .cache
            .get_or_load(self.desc.generation, offset, Kind::Index, || {
                self.load_index_block(offset)
            })?;
        let corrupt = |e: codec::DecodeError| {
            Error::corrupt(path(), offset, format!("index block: {}", e.reason))
        };
        let (mut lo, mut hi) = (0, block.entries.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = block.entries.get(mid).map_or(usize::MAX, |p| *p as usize);
            let mut r = Reader::at(&block.raw, at);
            let t = r.i64().map_err(corrupt)?;
            let k = r.bytes_ref().map_err(corrupt)?;
            match (t, k).cmp(&(token, key)) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let data_block = r.var().map_err(corrupt)?;
                    let in_block = r.var().map_err(corrupt)?;
                    let refs_at = self.v2().then_some(r.pos());
                    return Ok(Some(Hit {
                        index: Arc::clone(&block),
                        index_offset: offset,
                        data_block,
                        in_block,
                        refs_at,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// How this SSTable's blocks are framed (format v3 adds raw blocks).
    pub(super) fn framing(&self) -> block::Framing {
        block::Framing::of_version(self.stats.format_version)
    }

    /// How this SSTable's rows encode cell timestamps (deltas since v3).
    pub(super) fn row_format(&self) -> codec::RowFormat {
        if self.stats.format_version >= 3 {
            codec::RowFormat::TimestampDeltas
        } else {
            codec::RowFormat::Plain
        }
    }

    pub(super) fn v2(&self) -> bool {
        self.stats.format_version >= 2
    }

    /// Where the index says the partition is, if this SSTable may hold it.
    pub(super) fn locate(&self, token: i64, key: &Bytes) -> Result<Option<Hit>> {
        if !self.may_contain(token, key) {
            return Ok(None);
        }
        let Some(slot) = self.summary_slot(token, key) else {
            return Ok(None);
        };
        let Some((_, _, ioff)) = self.summary.get(slot) else {
            return Ok(None);
        };
        self.find_in_index(*ioff, token, key)
    }

    /// The data block at `offset`, through the block cache.
    pub(super) fn cached_data_block(&self, offset: u64) -> Result<Arc<Block>> {
        self.cache
            .get_or_load(self.desc.generation, offset, Kind::Data, || {
                self.data_block(offset).map(|(raw, _)| Block {
                    raw,
                    entries: Vec::new(),
                })
            })
    }

    /// The clustering-index block at `offset` of the Index file, through
    /// the block cache.
    pub(super) fn cached_cindex_block(&self, offset: u64) -> Result<Arc<Block>> {
        let path = self.desc.path(Component::Index);
        let file = self.index.as_deref().unwrap_or_default();
        self.cache
            .get_or_load(self.desc.generation, offset, Kind::Clustering, || {
                block::decode(file, offset, self.framing())
                    .map(|(raw, _)| Block {
                        raw,
                        entries: Vec::new(),
                    })
                    .map_err(|r| Error::corrupt(&path, offset, r))
            })
    }

    /// Offsets of the partition index blocks (one per summary entry), in
    /// order; format v2 interleaves clustering-index blocks with them.
    pub(super) fn index_block_offsets(&self) -> Vec<u64> {
        self.summary.iter().map(|(_, _, o)| *o).collect()
    }

    /// The whole partition, if this SSTable holds it.
    #[cfg(test)]
    pub fn get(&self, token: i64, key: &Bytes) -> Result<Option<PartitionData>> {
        let all = |_: &[u8]| true;
        let w = super::RowWindow {
            reversed: false,
            lower: &crate::types::ClusteringBound::Bottom,
            upper: &crate::types::ClusteringBound::Top,
            resume_after: None,
            wanted: &all,
            budget: usize::MAX,
        };
        Ok(self.read_window(token, key, &w)?.map(|x| x.data))
    }

    /// Partitions from `from` on, in order; their byte strings are copies
    /// (see `iter_compaction`).
    pub fn iter_from(self: &Arc<Self>, from: Bound<PartitionKey>) -> Result<SstableIter> {
        self.iter(from, false)
    }

    /// Every partition in order, for compaction: keys and values share the
    /// decoded block instead of being copied cell by cell (compaction writes
    /// them out and drops them at once; a caller that keeps partitions, like
    /// a read whose rows may be written back into a memtable, must use
    /// `iter_from`, or one value would pin a whole block). A partition of
    /// several chunks (v2, larger than a block) is yielded without its rows
    /// and `last_was_chunked` says so: compaction reads its rows in windows
    /// (`read_window`), so its memory does not grow with the partition.
    pub fn iter_compaction(self: &Arc<Self>) -> Result<SstableIter> {
        let mut it = self.iter(Bound::Unbounded, true)?;
        it.skip_chunked = true;
        Ok(it)
    }

    fn iter(self: &Arc<Self>, from: Bound<PartitionKey>, share: bool) -> Result<SstableIter> {
        let (mut start, mut start_pos) = (0, 0);
        if let Bound::Included(k) | Bound::Excluded(k) = &from {
            if let Some(slot) = self.summary_slot(k.token, &k.key) {
                if let Some((_, _, ioff)) = self.summary.get(slot) {
                    let entries = self.index_block(*ioff)?;
                    // Start at a partition's first byte: in v2 a block may
                    // begin with the last chunk of an earlier partition.
                    (start, start_pos) = entries
                        .iter()
                        .take_while(|e| (e.token, &e.key) <= (k.token, &k.key))
                        .last()
                        .or(entries.first())
                        .map_or((0, 0), |e| (e.block, e.in_block as usize));
                }
            }
        }
        Ok(SstableIter {
            table: Arc::clone(self),
            next_block: start,
            raw: Bytes::new(),
            pos: 0,
            start_pos,
            from,
            done: false,
            share,
            skip_chunked: false,
            last_chunked: false,
            body_at: 0,
        })
    }
}

impl Drop for SsTable {
    fn drop(&mut self) {
        self.cache.evict_generation(self.desc.generation);
        if self.obsolete.load(Ordering::SeqCst) {
            self.desc.delete_files();
        }
    }
}

/// Part of an SSTable's mapped data file, as the owner of a `Bytes`.
struct Mapped {
    table: Arc<SsTable>,
    range: std::ops::Range<usize>,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        self.table
            .data()
            .get(self.range.clone())
            .unwrap_or_default()
    }
}

/// Ordered iteration over an SSTable's partitions.
pub(crate) struct SstableIter {
    table: Arc<SsTable>,
    next_block: u64,
    raw: Bytes,
    pos: usize,
    /// Where to start in the first block loaded.
    start_pos: usize,
    from: Bound<PartitionKey>,
    done: bool,
    share: bool,
    /// Yield chunked partitions without their rows (`iter_compaction`).
    skip_chunked: bool,
    last_chunked: bool,
    /// Where the bytes `rest_of_block` returned start in `raw`.
    body_at: usize,
}

impl SstableIter {
    fn reader(&self) -> Reader<'_> {
        let r = if self.share {
            Reader::shared(&self.raw, self.pos)
        } else {
            Reader::at(&self.raw, self.pos)
        };
        r.with_rows(self.table.row_format())
    }

    fn corrupt(&self, e: codec::DecodeError) -> Error {
        Error::corrupt(
            self.table.desc.path(Component::Data),
            self.next_block,
            format!("partition: {}", e.reason),
        )
    }

    fn load_next(&mut self) -> Result<()> {
        let (raw, next) = if self.share {
            self.table.shared_data_block(self.next_block)?
        } else {
            self.table.data_block(self.next_block)?
        };
        self.raw = raw;
        self.pos = 0;
        self.next_block = next;
        Ok(())
    }

    /// A v2 partition: head, then its chunks, following "more" flags into
    /// the next blocks.
    fn partition_v2(&mut self) -> Result<(i64, Bytes, PartitionData)> {
        let (token, key, head, pos) = {
            let mut r = self.reader();
            let mut parse =
                || -> codec::DResult<_> { Ok((r.i64()?, r.bytes()?, codec::get_head(&mut r)?)) };
            let (t, k, h) = parse().map_err(|e| self.corrupt(e))?;
            (t, k, h, r.pos())
        };
        self.pos = pos;
        let (partition_deletion, range_tombstones, static_row) = head;
        let mut p = PartitionData {
            partition_deletion,
            range_tombstones,
            static_row,
            rows: crate::merge::Rows::default(),
        };
        loop {
            let (more, pos) = {
                let mut r = self.reader();
                let more = chunk::get_rows(&mut r, &mut p.rows).map_err(|e| self.corrupt(e))?;
                (more, r.pos())
            };
            self.pos = pos;
            if !more {
                return Ok((token, key, p));
            }
            if self.skip_chunked {
                p.rows.clear();
                self.skip_chunks()?;
                self.last_chunked = true;
                return Ok((token, key, p));
            }
            if self.next_block >= self.table.data().len() as u64 {
                return Err(self.corrupt(codec::DecodeError {
                    offset: pos,
                    reason: "partition continues past the last block",
                }));
            }
            self.load_next()?;
        }
    }

    /// Skips the chunks after the first of a partition, up to its last.
    fn skip_chunks(&mut self) -> Result<()> {
        loop {
            if self.next_block >= self.table.data().len() as u64 {
                return Err(self.corrupt(codec::DecodeError {
                    offset: self.pos,
                    reason: "partition continues past the last block",
                }));
            }
            self.load_next()?;
            let (more, pos) = {
                let mut r = self.reader();
                let more = chunk::skip_rows(&mut r).map_err(|e| self.corrupt(e))?;
                (more, r.pos())
            };
            self.pos = pos;
            if !more {
                return Ok(());
            }
        }
    }

    /// True if the last partition yielded was chunked and came without
    /// rows (only with `iter_compaction`).
    pub fn last_was_chunked(&self) -> bool {
        self.last_chunked
    }

    /// Moves to the start of the next partition, loading the next block if
    /// the current one is done; false at the end of the file.
    fn at_partition(&mut self) -> Result<bool> {
        while self.pos >= self.raw.len() {
            if self.next_block >= self.table.data().len() as u64 {
                return Ok(false);
            }
            self.load_next()?;
            self.pos = std::mem::take(&mut self.start_pos);
        }
        Ok(true)
    }

    /// The key of the next partition, without decoding the partition
    /// (compaction, which iterates from the first partition).
    pub fn peek(&mut self) -> Result<Option<PartitionKey>> {
        if self.done || !self.at_partition()? {
            return Ok(None);
        }
        let mut r = self.reader();
        let mut parse = || -> codec::DResult<_> {
            Ok(PartitionKey {
                token: r.i64()?,
                key: r.bytes()?,
            })
        };
        parse().map(Some).map_err(|e| self.corrupt(e))
    }

    /// The next partition's bytes after its key, to the end of its block,
    /// for compaction's copy (`sstable::copy`); `None` unless this SSTable
    /// has the current format. `skip_copied` then moves past the partition.
    pub fn rest_of_block(&mut self) -> Result<Option<&[u8]>> {
        if self.done
            || self.table.stats.format_version != super::FORMAT_VERSION
            || !self.at_partition()?
        {
            return Ok(None);
        }
        let mut r = self.reader();
        let (Ok(_), Ok(_)) = (r.i64(), r.bytes_ref()) else {
            return Ok(None);
        };
        self.body_at = r.pos();
        Ok(self.raw.get(self.body_at..))
    }

    /// What the last `rest_of_block` returned, as a view of the block.
    pub fn rest_bytes(&self) -> Bytes {
        self.raw.slice(self.body_at..)
    }

    /// Moves past the next partition, whose bytes after the key are `len`
    /// long (compaction copied them, or another input's version).
    pub fn skip_copied(&mut self, len: usize) {
        self.pos = self.body_at + len;
        self.last_chunked = false;
    }

    fn next_inner(&mut self) -> Result<Option<(PartitionKey, PartitionData)>> {
        self.last_chunked = false;
        loop {
            if !self.at_partition()? {
                return Ok(None);
            }
            let (token, key, p) = if self.table.v2() {
                self.partition_v2()?
            } else {
                let mut r = self.reader();
                let p = codec::get_partition(&mut r).map_err(|e| self.corrupt(e))?;
                self.pos = r.pos();
                p
            };
            let k = PartitionKey { token, key };
            let wanted = match &self.from {
                Bound::Unbounded => true,
                Bound::Included(f) => k >= *f,
                Bound::Excluded(f) => k > *f,
            };
            if wanted {
                return Ok(Some((k, p)));
            }
        }
    }
}

impl Iterator for SstableIter {
    type Item = Result<(PartitionKey, PartitionData)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_inner() {
            Ok(Some(x)) => Some(Ok(x)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
