//! Windowed reads of one partition: the rows a read wants, in its order
//! (forward or reversed), stopping after a budget of rows. In format v2 the
//! read seeks through the partition's clustering index straight to the chunk
//! holding the slice start or the paging position, and decodes chunk after
//! chunk (backwards for a reversed read) only until the budget is met, so a
//! page of a huge partition costs a few blocks, wherever it is. A partition
//! without a clustering index (small, or any partition of a v1 SSTable) is
//! one chunk: decoded like before, skipping unwanted rows.

use bytes::Bytes;

use super::chunk::{decode_cindex, decode_refs, ChunkEntry, CindexRef};
use super::SsTable;
use crate::codec::{self, DResult, Reader};
use crate::error::{Error, Result};
use crate::merge::{PartitionData, Rows};
use crate::types::ClusteringBound;

/// Which rows of a partition a read wants, in which order, and how many.
pub(crate) struct RowWindow<'a> {
    pub reversed: bool,
    /// Every wanted row is admitted by `lower` as a start and by `upper` as
    /// an end (`Bottom` / `Top` when the read has no single slice).
    pub lower: &'a ClusteringBound,
    pub upper: &'a ClusteringBound,
    /// Paging position: only rows after it (before it when reversed).
    pub resume_after: Option<&'a [u8]>,
    /// The exact test of a row (slices and paging position).
    pub wanted: &'a dyn Fn(&[u8]) -> bool,
    /// Stop after this many wanted rows.
    pub budget: usize,
}

impl RowWindow<'_> {
    /// Forward: true from the first chunk (by its last row) that may hold a
    /// wanted row on. Monotone over sorted clusterings.
    fn reaches(&self, last: &[u8]) -> bool {
        self.lower.admits_as_start(last) && self.resume_after.is_none_or(|ra| last > ra)
    }

    /// Reversed: true up to the last chunk (by its first row) that may hold
    /// a wanted row. Monotone over sorted clusterings.
    fn reaches_back(&self, first: &[u8]) -> bool {
        self.upper.admits_as_end(first) && self.resume_after.is_none_or(|ra| first < ra)
    }

    /// True once a row in read order is past every wanted row.
    pub fn past_end(&self, c: &[u8]) -> bool {
        if self.reversed {
            !self.lower.admits_as_start(c)
        } else {
            !self.upper.admits_as_end(c)
        }
    }
}

/// What a windowed read of one source found.
pub(crate) struct Windowed {
    /// Head (deletion, range tombstones, static row) and the rows kept.
    pub data: PartitionData,
    /// True if the budget was reached (more wanted rows may follow).
    pub full: bool,
}

/// Collects the wanted rows of chunks in read order.
struct Collect<'w, 'a> {
    w: &'w RowWindow<'a>,
    rows: Rows,
    /// How the SSTable's rows encode timestamps.
    format: codec::RowFormat,
    full: bool,
    done: bool,
}

impl Collect<'_, '_> {
    fn keep(&mut self, r: &mut Reader) -> DResult<()> {
        let row = codec::get_row(r)?;
        self.rows.insert(row.clustering.clone(), row);
        if self.rows.len() >= self.w.budget {
            self.full = true;
            self.done = true;
        }
        Ok(())
    }

    /// Reads the chunk at `pos` of `raw` forwards; returns its "more" flag
    /// (v1 chunks have none).
    fn forward(&mut self, raw: &[u8], pos: usize, v2: bool) -> DResult<bool> {
        let mut r = Reader::at(raw, pos).with_rows(self.format);
        let n = r.count(5)?;
        for _ in 0..n {
            let start = r.pos();
            let c = r.bytes_ref()?;
            if self.w.past_end(c) {
                self.done = true;
                return Ok(false);
            }
            if (self.w.wanted)(c) {
                r.rewind(start);
                self.keep(&mut r)?;
                if self.done {
                    return Ok(false);
                }
            } else {
                codec::skip_row_rest(&mut r)?;
            }
        }
        more_flag(&mut r, v2)
    }

    /// Reads the chunk at `pos` of `raw` backwards: finds its wanted rows,
    /// then decodes them last first.
    fn backward(&mut self, raw: &[u8], pos: usize, v2: bool) -> DResult<bool> {
        let mut r = Reader::at(raw, pos).with_rows(self.format);
        let n = r.count(5)?;
        let mut wanted = Vec::new();
        for _ in 0..n {
            let start = r.pos();
            if (self.w.wanted)(r.bytes_ref()?) {
                wanted.push(start);
            }
            codec::skip_row_rest(&mut r)?;
        }
        let more = more_flag(&mut r, v2)?;
        for start in wanted.into_iter().rev() {
            let mut r = Reader::at(raw, start).with_rows(self.format);
            if self.w.past_end(r.bytes_ref()?) {
                self.done = true;
                break;
            }
            r.rewind(start);
            self.keep(&mut r)?;
            if self.done {
                break;
            }
        }
        Ok(more)
    }
}

fn more_flag(r: &mut Reader, v2: bool) -> DResult<bool> {
    if v2 {
        super::chunk::more_flag(r)
    } else {
        Ok(false)
    }
}

impl SsTable {
    /// The partition's head and the rows `w` wants, if this SSTable holds
    /// the partition.
    pub(crate) fn read_window(
        &self,
        token: i64,
        key: &Bytes,
        w: &RowWindow,
    ) -> Result<Option<Windowed>> {
        let Some(hit) = self.locate(token, key)? else {
            return Ok(None);
        };
        let v2 = self.stats.format_version >= 2;
        let block = self.cached_data_block(hit.data_block)?;
        let path = || self.desc.path(super::Component::Data);
        let corrupt = |e: codec::DecodeError| {
            Error::corrupt(path(), hit.data_block, format!("partition: {}", e.reason))
        };
        let mut r = Reader::at(
            &block.raw,
            usize::try_from(hit.in_block).unwrap_or(usize::MAX),
        )
        .with_rows(self.row_format());
        let (t, k) = (r.i64().map_err(corrupt)?, r.bytes_ref().map_err(corrupt)?);
        if t != token || k != &key[..] {
            return Err(Error::corrupt(
                path(),
                hit.data_block,
                "index points at another partition",
            ));
        }
        let (partition_deletion, range_tombstones, static_row) =
            codec::get_head(&mut r).map_err(corrupt)?;
        let refs = match hit.refs_at {
            Some(at) if v2 => {
                let mut ir = Reader::at(&hit.index.raw, at);
                decode_refs(&mut ir).map_err(|e| {
                    Error::corrupt(
                        self.desc.path(super::Component::Index),
                        hit.index_offset,
                        format!("clustering index refs: {}", e.reason),
                    )
                })?
            }
            _ => Vec::new(),
        };
        let mut col = Collect {
            w,
            rows: Rows::default(),
            format: self.row_format(),
            full: false,
            done: w.budget == 0,
        };
        if col.done {
        } else if refs.is_empty() {
            let pos = r.pos();
            let more = if w.reversed {
                col.backward(&block.raw, pos, v2)
            } else {
                col.forward(&block.raw, pos, v2)
            }
            .map_err(corrupt)?;
            if more {
                // The writer gives every partition of several chunks a
                // clustering index: its rows would be silently cut short.
                return Err(Error::corrupt(
                    path(),
                    hit.data_block,
                    "partition continues past its block but has no clustering index",
                ));
            }
        } else if w.reversed {
            self.walk_backward(&refs, &mut col)?;
        } else {
            self.walk_forward(&refs, &mut col)?;
        }
        Ok(Some(Windowed {
            full: col.full,
            data: PartitionData {
                partition_deletion,
                range_tombstones,
                static_row,
                rows: col.rows,
            },
        }))
    }

    fn cindex(&self, r: &CindexRef) -> Result<Vec<ChunkEntry>> {
        let block = self.cached_cindex_block(r.offset)?;
        decode_cindex(&mut Reader::new(&block.raw)).map_err(|e| {
            Error::corrupt(
                self.desc.path(super::Component::Index),
                r.offset,
                format!("clustering index block: {}", e.reason),
            )
        })
    }

    fn read_chunk(&self, e: &ChunkEntry, col: &mut Collect, backward: bool) -> Result<()> {
        let block = self.cached_data_block(e.block)?;
        let pos = usize::try_from(e.offset).unwrap_or(usize::MAX);
        let res = if backward {
            col.backward(&block.raw, pos, true)
        } else {
            col.forward(&block.raw, pos, true)
        };
        res.map(|_| ()).map_err(|err| {
            Error::corrupt(
                self.desc.path(super::Component::Data),
                e.block,
                format!("chunk: {}", err.reason),
            )
        })
    }

    fn walk_forward(&self, refs: &[CindexRef], col: &mut Collect) -> Result<()> {
        // The chunk to start at is in the last clustering-index block whose
        // first chunk starts before the target, or first in the next one.
        let j = refs.partition_point(|r| !col.w.reaches(&r.first));
        let mut first_block = true;
        for r in refs.iter().skip(j.saturating_sub(1)) {
            let entries = self.cindex(r)?;
            let from = if first_block {
                entries.partition_point(|e| !col.w.reaches(&e.last))
            } else {
                0
            };
            first_block = false;
            for e in entries.iter().skip(from) {
                self.read_chunk(e, col, false)?;
                if col.done {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn walk_backward(&self, refs: &[CindexRef], col: &mut Collect) -> Result<()> {
        let j = refs.partition_point(|r| col.w.reaches_back(&r.first));
        let mut first_block = true;
        for r in refs.iter().take(j).rev() {
            let entries = self.cindex(r)?;
            let to = if first_block {
                entries.partition_point(|e| col.w.reaches_back(&e.first))
            } else {
                entries.len()
            };
            first_block = false;
            for e in entries.iter().take(to).rev() {
                self.read_chunk(e, col, true)?;
                if col.done {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}
