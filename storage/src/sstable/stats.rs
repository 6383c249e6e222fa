//! The Statistics component: what compaction, purging and nodetool need to
//! know about an SSTable without reading its data.
use std::path::Path;

use bytes::Bytes;

use super::copy::Digest;
use crate::codec::{DResult, Put, Reader};
use crate::commitlog::Position;
use crate::error::{Error, Result};
use crate::merge::PartitionData;
use crate::types::{CellValue, Row};

/// Tombstone local-deletion times are bucketed to this many seconds.
const TOMBSTONE_BUCKET: i32 = 3600;
/// At most this many histogram buckets are kept (nearest ones merged).
const MAX_BUCKETS: usize = 256;

/// Metadata of one SSTable.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Format version of the SSTable (1 or 2; a writer always writes
    /// `FORMAT_VERSION`).
    pub format_version: u32,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    pub partition_count: u64,
    pub row_count: u64,
    pub cell_count: u64,
    pub tombstone_count: u64,
    /// Data file size.
    pub data_size: u64,
    /// Uncompressed bytes of all data blocks.
    pub uncompressed_size: u64,
    pub min_clustering: Bytes,
    pub max_clustering: Bytes,
    pub first_token: i64,
    pub first_key: Bytes,
    pub last_token: i64,
    pub last_key: Bytes,
    /// Leveled-compaction level.
    pub level: u32,
    /// Every commit-log record up to here is contained (or superseded).
    pub commitlog_upper: Position,
    /// Generations this SSTable was compacted from; on start-up any of them
    /// still on disk is a leftover of an interrupted swap and is deleted.
    pub ancestors: Vec<u64>,
    /// Seconds since the epoch when written.
    pub created_at: i64,
    /// Histogram of tombstone local deletion times: (bucket start, count).
    pub tombstone_histogram: Vec<(i32, u64)>,
}

impl Stats {
    /// Fresh statistics for a writer.
    pub fn new() -> Stats {
        Stats {
            format_version: super::FORMAT_VERSION,
            min_timestamp: i64::MAX,
            max_timestamp: i64::MIN,
            ..Stats::default()
        }
    }

    fn tombstone(&mut self, local_deletion_time: i32) {
        self.tombstone_count += 1;
        let b = local_deletion_time - local_deletion_time.rem_euclid(TOMBSTONE_BUCKET);
        match self
            .tombstone_histogram
            .binary_search_by_key(&b, |(k, _)| *k)
        {
            Ok(i) => {
                if let Some(e) = self.tombstone_histogram.get_mut(i) {
                    e.1 += 1
                }
            }
            Err(i) => self.tombstone_histogram.insert(i, (b, 1)),
        }
        if self.tombstone_histogram.len() > MAX_BUCKETS {
            // Merge the first two buckets: old tombstones matter least, they
            // are droppable either way.
            let (_, c) = self.tombstone_histogram.remove(0);
            if let Some(e) = self.tombstone_histogram.first_mut() {
                e.1 += c;
            }
        }
    }

    /// Tombstones (and expiring cells) whose local time is before `gc_before`.
    pub fn droppable_tombstones(&self, gc_before: i32) -> u64 {
        self.tombstone_histogram
            .iter()
            .filter(|(b, _)| *b + TOMBSTONE_BUCKET <= gc_before)
            .map(|(_, c)| *c)
            .sum()
    }

    /// Accounts the start of a partition written in order: key, deletions
    /// and static row (`p.rows` is not looked at; `add_row` takes the rows
    /// one by one, so a partition can be written without holding it).
    pub(crate) fn add_head(&mut self, token: i64, key: &Bytes, p: &PartitionData) {
        self.add_key(token, key);
        if let Some(d) = p.partition_deletion {
            self.timestamp(d.marked_for_delete_at);
            self.tombstone(d.local_deletion_time);
        }
        for rt in &p.range_tombstones {
            self.timestamp(rt.deletion.marked_for_delete_at);
            self.tombstone(rt.deletion.local_deletion_time);
        }
        if let Some(row) = &p.static_row {
            self.add_row(row, true);
        }
    }

    fn add_key(&mut self, token: i64, key: &Bytes) {
        if self.partition_count == 0 {
            self.first_token = token;
            self.first_key = key.clone();
        }
        self.last_token = token;
        self.last_key = key.clone();
        self.partition_count += 1;
    }

    /// Accounts a partition copied as its encoded bytes (compaction), from
    /// the digest of the walk that chose it (`copy::Digest`): the same
    /// statistics `add_head` and `add_row` give for it decoded.
    pub(crate) fn add_digest(&mut self, token: i64, key: &Bytes, d: &Digest) {
        self.add_key(token, key);
        if let Some((first, last, before)) = d.clusterings {
            // Rows are sorted: only the first can lower the minimum and
            // only the last raise the maximum.
            self.widen_clustering(first, self.row_count + before == 0);
            self.widen_clustering(last, false);
        }
        self.row_count += d.rows;
        self.cell_count += d.cells;
        if d.min_timestamp <= d.max_timestamp {
            self.timestamp(d.min_timestamp);
            self.timestamp(d.max_timestamp);
        }
        for t in &d.local_times {
            self.tombstone(*t);
        }
    }

    /// Widens the clustering bounds with a row's clustering; `first`: the
    /// first row that bounds them (the bounds are not set yet).
    ///
    /// Empty clusterings (tables without clustering columns: every row) are
    /// settled without comparing slices: `memcmp` of zero bytes at an empty
    /// `Bytes`' dangling address costs a masked load the CPU replays slowly
    /// (38% of a compaction's CPU time in `perf`, none in callgrind).
    fn widen_clustering(&mut self, clustering: &[u8], first: bool) {
        let below = match (clustering.is_empty(), self.min_clustering.is_empty()) {
            (_, true) => false,
            (true, false) => true,
            (false, false) => clustering < &self.min_clustering[..],
        };
        if first || below {
            self.min_clustering = Bytes::copy_from_slice(clustering);
        }
        let above = !clustering.is_empty()
            && (self.max_clustering.is_empty() || clustering > &self.max_clustering[..]);
        if above {
            self.max_clustering = Bytes::copy_from_slice(clustering);
        }
    }

    fn timestamp(&mut self, t: i64) {
        self.min_timestamp = self.min_timestamp.min(t);
        self.max_timestamp = self.max_timestamp.max(t);
    }

    /// Accounts one row (or the static row) of the current partition;
    /// `has_static`: the partition has a static row (then an empty
    /// clustering is the static row's and not a clustering bound).
    pub(crate) fn add_row(&mut self, row: &Row, has_static: bool) {
        // The static row's empty clustering is no clustering bound.
        if !row.clustering.is_empty() || !has_static {
            self.widen_clustering(&row.clustering, self.row_count == 0);
        }
        self.row_count += 1;
        if let Some(l) = row.liveness {
            self.timestamp(l.timestamp);
        }
        if let Some(d) = row.deletion {
            self.timestamp(d.marked_for_delete_at);
            self.tombstone(d.local_deletion_time);
        }
        for (_, d) in &row.complex_deletions {
            self.timestamp(d.marked_for_delete_at);
            self.tombstone(d.local_deletion_time);
        }
        if let Some((_, exp)) = row.liveness.and_then(|l| l.ttl) {
            self.tombstone(exp);
        }
        for c in &row.cells {
            self.timestamp(c.timestamp);
            self.cell_count += 1;
            match &c.value {
                CellValue::Tombstone {
                    local_deletion_time,
                } => self.tombstone(*local_deletion_time),
                CellValue::Live {
                    ttl: Some((_, exp)),
                    ..
                } => self.tombstone(*exp),
                _ => {}
            }
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut o = Vec::with_capacity(256);
        o.put_u32(super::FORMAT_VERSION);
        o.put_i64(self.min_timestamp);
        o.put_i64(self.max_timestamp);
        for v in [
            self.partition_count,
            self.row_count,
            self.cell_count,
            self.tombstone_count,
            self.data_size,
            self.uncompressed_size,
        ] {
            o.put_u64(v);
        }
        o.put_bytes(&self.min_clustering);
        o.put_bytes(&self.max_clustering);
        o.put_i64(self.first_token);
        o.put_bytes(&self.first_key);
        o.put_i64(self.last_token);
        o.put_bytes(&self.last_key);
        o.put_u32(self.level);
        o.put_u64(self.commitlog_upper.segment);
        o.put_u64(self.commitlog_upper.offset);
        o.put_var(self.ancestors.len() as u64);
        for a in &self.ancestors {
            o.put_u64(*a);
        }
        o.put_i64(self.created_at);
        o.put_var(self.tombstone_histogram.len() as u64);
        for (b, c) in &self.tombstone_histogram {
            o.put_i32(*b);
            o.put_u64(*c);
        }
        super::seal(o)
    }

    pub(crate) fn decode(path: &Path, bytes: &[u8]) -> Result<Stats> {
        let body = super::unseal(path, bytes)?;
        let mut r = Reader::new(body);
        let parse = |r: &mut Reader| -> DResult<Stats> {
            let version = r.u32()?;
            if !(1..=super::FORMAT_VERSION).contains(&version) {
                return Err(r.err("unsupported SSTable format version"));
            }
            let mut s = Stats {
                format_version: version,
                min_timestamp: r.i64()?,
                max_timestamp: r.i64()?,
                partition_count: r.u64()?,
                row_count: r.u64()?,
                cell_count: r.u64()?,
                tombstone_count: r.u64()?,
                data_size: r.u64()?,
                uncompressed_size: r.u64()?,
                min_clustering: r.bytes()?,
                max_clustering: r.bytes()?,
                first_token: r.i64()?,
                first_key: r.bytes()?,
                last_token: r.i64()?,
                last_key: r.bytes()?,
                level: r.u32()?,
                commitlog_upper: Position {
                    segment: r.u64()?,
                    offset: r.u64()?,
                },
                ..Stats::default()
            };
            let n = r.count(8)?;
            for _ in 0..n {
                s.ancestors.push(r.u64()?);
            }
            s.created_at = r.i64()?;
            let n = r.count(12)?;
            for _ in 0..n {
                s.tombstone_histogram.push((r.i32()?, r.u64()?));
            }
            Ok(s)
        };
        parse(&mut r).map_err(|e| Error::corrupt(path, e.offset as u64, e.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(clustering: &'static [u8]) -> Row {
        Row {
            clustering: Bytes::from_static(clustering),
            ..Row::default()
        }
    }

    #[test]
    fn clustering_bounds_count_empty_clusterings_except_the_static_rows() {
        let mut s = Stats::new();
        s.add_row(&row(b""), false);
        assert_eq!(
            (&s.min_clustering[..], &s.max_clustering[..]),
            (&b""[..], &b""[..])
        );
        s.add_row(&row(b"m"), false);
        s.add_row(&row(b"c"), false);
        s.add_row(&row(b"x"), false);
        assert_eq!(
            (&s.min_clustering[..], &s.max_clustering[..]),
            (&b""[..], &b"x"[..])
        );

        // A partition with a static row (accounted first, as the writer does): the
        // bounds still cover every clustered row. (The minimum stays empty there, a
        // looser bound than "d", since the static row already counts as a row.)
        let mut s = Stats::new();
        s.add_row(&row(b""), true);
        s.add_row(&row(b"k"), true);
        s.add_row(&row(b"d"), true);
        assert!(s.min_clustering[..] <= b"d"[..]);
        assert_eq!(&s.max_clustering[..], &b"k"[..]);
        assert_eq!(s.row_count, 3);
    }
}
