//! Format v2 pieces of a partition (docs/storage-format.md, "Data.db" and
//! "Index.db"): a partition's rows are stored in chunks of about one block
//! each (`var n | n rows | more: u8`), and a partition with more than one
//! chunk has a clustering index: per chunk its first and last clustering and
//! where it starts, grouped in clustering-index blocks of
//! `CINDEX_BLOCK_ENTRIES` in the Index file, found through a short list in
//! the partition's index entry (first clustering + offset per block). Like
//! Cassandra's column index (`column_index_size`), it lets a read seek to the
//! block holding a slice start or a paging position.

use bytes::Bytes;

use crate::codec::{self, DResult, Put, Reader};
use crate::merge::Rows;

/// Chunk entries per clustering-index block: one block covers about
/// 128 data blocks (2 MiB of a partition at the default block size), so the
/// list in the partition's index entry stays short (~250 entries for 500 MiB).
pub(crate) const CINDEX_BLOCK_ENTRIES: usize = 128;

/// Where one chunk of a partition's rows lives and which rows it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkEntry {
    pub first: Bytes,
    pub last: Bytes,
    /// Offset of the data block holding the chunk, in the Data file.
    pub block: u64,
    /// Offset of the chunk inside the block's raw bytes.
    pub offset: u64,
}

impl ChunkEntry {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put_bytes(&self.first);
        out.put_bytes(&self.last);
        out.put_var(self.block);
        out.put_var(self.offset);
    }

    fn decode(r: &mut Reader) -> DResult<ChunkEntry> {
        Ok(ChunkEntry {
            first: r.bytes()?,
            last: r.bytes()?,
            block: r.var()?,
            offset: r.var()?,
        })
    }
}

/// Decodes every row of the chunk at `r` into `rows`; returns its "more"
/// flag (the partition continues at the start of the next block).
pub(crate) fn get_rows(r: &mut Reader, rows: &mut Rows) -> DResult<bool> {
    let n = r.count(5)?;
    for _ in 0..n {
        let row = codec::get_row(r)?;
        rows.insert(row.clustering.clone(), row);
    }
    more_flag(r)
}

/// Skips the rows of the chunk at `r` without allocating; returns its
/// "more" flag.
pub(crate) fn skip_rows(r: &mut Reader) -> DResult<bool> {
    let n = r.count(5)?;
    for _ in 0..n {
        r.bytes_ref()?;
        codec::skip_row_rest(r)?;
    }
    more_flag(r)
}

/// The flag that ends a v2 chunk.
pub(crate) fn more_flag(r: &mut Reader) -> DResult<bool> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(r.err("bad chunk continuation flag")),
    }
}

/// Decodes a clustering-index block's raw bytes: `var n`, n entries.
pub(crate) fn decode_cindex(r: &mut Reader) -> DResult<Vec<ChunkEntry>> {
    let n = r.count(4)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(ChunkEntry::decode(r)?);
    }
    Ok(v)
}

/// One entry of the list in a partition's index entry: the first clustering
/// of a clustering-index block and the block's offset in the Index file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CindexRef {
    pub first: Bytes,
    pub offset: u64,
}

/// Decodes the list that ends a v2 partition index entry: `var m`, m refs.
pub(crate) fn decode_refs(r: &mut Reader) -> DResult<Vec<CindexRef>> {
    let n = r.count(2)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(CindexRef {
            first: r.bytes()?,
            offset: r.var()?,
        });
    }
    Ok(v)
}

/// Skips the list `decode_refs` reads, without allocating.
pub(crate) fn skip_refs(r: &mut Reader) -> DResult<()> {
    let n = r.count(2)?;
    for _ in 0..n {
        r.bytes_ref()?;
        r.var()?;
    }
    Ok(())
}

/// Builds the clustering index of the partition being written: chunk
/// entries go to a clustering-index block as they complete, and full blocks
/// to the Index file, so memory holds one block of entries plus the short
/// list of refs, whatever the partition's size.
#[derive(Default)]
pub(crate) struct CindexBuilder {
    pending: Vec<u8>,
    pending_first: Option<Bytes>,
    pending_count: usize,
    refs: Vec<u8>,
    ref_count: u64,
    /// Chunks of this partition so far.
    pub chunks: u64,
}

impl CindexBuilder {
    /// Records a completed chunk; writes a full clustering-index block to
    /// `index_file`.
    pub fn add(&mut self, e: &ChunkEntry, index_file: &mut Vec<u8>) {
        if self.pending_first.is_none() {
            self.pending_first = Some(e.first.clone());
        }
        e.encode(&mut self.pending);
        self.pending_count += 1;
        self.chunks += 1;
        if self.pending_count >= CINDEX_BLOCK_ENTRIES {
            self.flush(index_file);
        }
    }

    fn flush(&mut self, index_file: &mut Vec<u8>) {
        let Some(first) = self.pending_first.take() else {
            return;
        };
        self.refs.put_bytes(&first);
        self.refs.put_var(index_file.len() as u64);
        self.ref_count += 1;
        let mut raw = Vec::with_capacity(self.pending.len() + 4);
        raw.put_var(self.pending_count as u64);
        raw.extend_from_slice(&self.pending);
        super::block::encode(index_file, &raw);
        self.pending.clear();
        self.pending_count = 0;
    }

    /// Ends the partition: appends its list of refs (`var m`, m refs) to
    /// `entry`. A partition of one chunk needs no clustering index (m = 0).
    pub fn finish(&mut self, entry: &mut Vec<u8>, index_file: &mut Vec<u8>) {
        if self.chunks > 1 {
            self.flush(index_file);
            entry.put_var(self.ref_count);
            entry.extend_from_slice(&self.refs);
        } else {
            entry.put_var(0);
        }
        *self = CindexBuilder::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clustering_index_blocks_round_trip_through_refs() {
        let mut b = CindexBuilder::default();
        let mut index_file = vec![9u8; 3];
        let entries: Vec<ChunkEntry> = (0..300u32)
            .map(|i| ChunkEntry {
                first: Bytes::from((i * 2).to_be_bytes().to_vec()),
                last: Bytes::from((i * 2 + 1).to_be_bytes().to_vec()),
                block: u64::from(i) * 100,
                offset: u64::from(i % 3),
            })
            .collect();
        for e in &entries {
            b.add(e, &mut index_file);
        }
        let mut entry = Vec::new();
        b.finish(&mut entry, &mut index_file);
        let refs = decode_refs(&mut Reader::new(&entry)).expect("refs");
        assert_eq!(refs.len(), 3, "300 chunks in blocks of 128");
        let mut back = Vec::new();
        for r in &refs {
            let (raw, _) = super::super::block::decode(
                &index_file,
                r.offset,
                super::super::block::Framing::Kinded,
            )
            .expect("block");
            let got = decode_cindex(&mut Reader::new(&raw)).expect("entries");
            assert_eq!(got.first().map(|e| &e.first), Some(&r.first));
            back.extend(got);
        }
        assert_eq!(back, entries);
        // One chunk: no clustering index at all.
        let one = entries.first().expect("entries");
        b.add(one, &mut index_file);
        let mut entry = Vec::new();
        b.finish(&mut entry, &mut index_file);
        assert_eq!(entry, vec![0]);
    }
}
