//! Binary encoding of the data model, shared by commit-log records and
//! SSTable data blocks (format in docs/storage-format.md, "Common encodings").
//! Decoding never panics: short or malformed input gives a `DecodeError`
//! carrying the offset, which callers turn into `Error::Corrupt` with a path.

use bytes::Bytes;

use crate::merge::{PartitionData, Rows};
use crate::types::{
    Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, LivenessInfo, Mutation,
    RangeTombstone, Row, TableId,
};

/// Malformed bytes at `offset` (relative to the decoded buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub offset: usize,
    pub reason: &'static str,
}

pub(crate) type DResult<T> = Result<T, DecodeError>;

/// Appends primitives to a byte vector.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_i32(&mut self, v: i32) {
        self.put_u32(v as u32)
    }
    fn put_i64(&mut self, v: i64) {
        self.put_u64(v as u64)
    }
    fn put_var(&mut self, v: u64);
    fn put_bytes(&mut self, b: &[u8]);
}

// `#[inline]` (here and on the row encoder's helpers below): the encoders of rows,
// index entries and commit-log records call these a dozen times per row; without the
// hint, whether they inline depends on which of the crate's codegen units a build puts
// them in (a flush's `put_row_as` took 23% more
// instructions in one build of unchanged code: docs/PERFORMANCE.md, "Flush CPU per
// row, session 7").
impl Put for Vec<u8> {
    #[inline]
    fn put_u8(&mut self, v: u8) {
        self.push(v)
    }
    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes())
    }
    #[inline]
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes())
    }
    #[inline]
    fn put_var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.push(v as u8)
    }
    #[inline]
    fn put_bytes(&mut self, b: &[u8]) {
        self.put_var(b.len() as u64);
        self.extend_from_slice(b)
    }
}

/// How a row's cell timestamps are encoded (docs/storage-format.md, "row").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum RowFormat {
    /// `timestamp: i64` per cell: commit-log records, SSTable v1 and v2.
    #[default]
    Plain,
    /// SSTable v3: per cell, the zigzag `var` of its timestamp minus the
    /// previous timestamp of the row (the row marker's, else 0 for the first
    /// cell). The cells of one write share its timestamp, so each costs one
    /// byte instead of eight; random values then leave lz4 nothing to find
    /// and the block is stored raw (`sstable::block`).
    TimestampDeltas,
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Reads primitives from a slice, tracking the offset.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// How rows read through this reader encode cell timestamps.
    rows: RowFormat,
    /// The `Bytes` `buf` belongs to, when there is one: `bytes()` then
    /// returns slices sharing it (a reference count) instead of copying each
    /// key, clustering and value (one allocation per cell otherwise).
    owner: Option<&'a Bytes>,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            rows: RowFormat::Plain,
            owner: None,
        }
    }
    pub fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader {
            buf,
            pos,
            rows: RowFormat::Plain,
            owner: None,
        }
    }
    /// A reader over `buf` whose byte strings share `buf`'s memory.
    pub fn shared(buf: &'a Bytes, pos: usize) -> Self {
        Reader {
            buf,
            pos,
            rows: RowFormat::Plain,
            owner: Some(buf),
        }
    }
    /// The same reader, decoding rows written in format `rows`.
    pub fn with_rows(mut self, rows: RowFormat) -> Self {
        self.rows = rows;
        self
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Moves back to an offset obtained from `pos`.
    pub fn rewind(&mut self, pos: usize) {
        self.pos = pos;
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
    pub fn err(&self, reason: &'static str) -> DecodeError {
        DecodeError {
            offset: self.pos,
            reason,
        }
    }
    pub fn take(&mut self, n: usize) -> DResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| self.err("length overflow"))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.err("unexpected end of data"))?;
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> DResult<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub fn u8(&mut self) -> DResult<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u32(&mut self) -> DResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> DResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> DResult<i32> {
        Ok(self.u32()? as i32)
    }
    pub fn i64(&mut self) -> DResult<i64> {
        Ok(self.u64()? as i64)
    }
    pub fn var(&mut self) -> DResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("varint too long"))
    }
    /// A count of items, each at least `min_item` bytes: rejects counts the
    /// remaining input cannot hold, so a flipped bit cannot cause a huge
    /// allocation.
    pub fn count(&mut self, min_item: usize) -> DResult<usize> {
        let n = self.var()?;
        let left = (self.buf.len() - self.pos.min(self.buf.len())) as u64;
        if n.saturating_mul(min_item.max(1) as u64) > left {
            return Err(self.err("item count exceeds remaining data"));
        }
        Ok(n as usize)
    }
    /// A length-prefixed byte string, borrowed.
    pub fn bytes_ref(&mut self) -> DResult<&'a [u8]> {
        let n = self.var()?;
        let n = usize::try_from(n).map_err(|_| self.err("length overflow"))?;
        self.take(n)
    }

    pub fn bytes(&mut self) -> DResult<Bytes> {
        let n = self.var()?;
        let n = usize::try_from(n).map_err(|_| self.err("length overflow"))?;
        let s = self.take(n)?;
        Ok(match self.owner {
            // `s` was taken from `buf`, which is the owner's memory.
            Some(owner) if !s.is_empty() => owner.slice_ref(s),
            _ => Bytes::copy_from_slice(s),
        })
    }
}

#[inline]
fn put_deletion(out: &mut Vec<u8>, d: &DeletionTime) {
    out.put_i64(d.marked_for_delete_at);
    out.put_i32(d.local_deletion_time);
}

fn get_deletion(r: &mut Reader) -> DResult<DeletionTime> {
    Ok(DeletionTime {
        marked_for_delete_at: r.i64()?,
        local_deletion_time: r.i32()?,
    })
}

#[inline]
fn put_opt_deletion(out: &mut Vec<u8>, d: &Option<DeletionTime>) {
    match d {
        Some(d) => {
            out.put_u8(1);
            put_deletion(out, d)
        }
        None => out.put_u8(0),
    }
}

fn get_opt<T>(r: &mut Reader, f: impl FnOnce(&mut Reader) -> DResult<T>) -> DResult<Option<T>> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(f(r)?)),
        _ => Err(r.err("bad option flag")),
    }
}

#[inline]
fn put_ttl(out: &mut Vec<u8>, ttl: &Option<(i32, i32)>) {
    match ttl {
        Some((t, e)) => {
            out.put_u8(1);
            out.put_i32(*t);
            out.put_i32(*e);
        }
        None => out.put_u8(0),
    }
}

fn get_ttl(r: &mut Reader) -> DResult<Option<(i32, i32)>> {
    get_opt(r, |r| Ok((r.i32()?, r.i32()?)))
}

fn put_bound(out: &mut Vec<u8>, b: &ClusteringBound) {
    match b {
        ClusteringBound::Bottom => out.put_u8(0),
        ClusteringBound::Top => out.put_u8(1),
        ClusteringBound::Inclusive(p) => {
            out.put_u8(2);
            out.put_bytes(p)
        }
        ClusteringBound::Exclusive(p) => {
            out.put_u8(3);
            out.put_bytes(p)
        }
    }
}

fn get_bound(r: &mut Reader) -> DResult<ClusteringBound> {
    Ok(match r.u8()? {
        0 => ClusteringBound::Bottom,
        1 => ClusteringBound::Top,
        2 => ClusteringBound::Inclusive(r.bytes()?),
        3 => ClusteringBound::Exclusive(r.bytes()?),
        _ => return Err(r.err("bad clustering bound tag")),
    })
}

/// `prev`: the previous timestamp of the row, for `RowFormat::TimestampDeltas`.
#[inline]
fn put_cell(out: &mut Vec<u8>, c: &Cell, format: RowFormat, prev: &mut i64) {
    out.put_var(u64::from(c.column.0));
    match &c.path {
        Some(p) => {
            out.put_u8(1);
            out.put_bytes(p)
        }
        None => out.put_u8(0),
    }
    put_timestamp(out, c.timestamp, format, prev);
    match &c.value {
        CellValue::Live { value, ttl } => {
            out.put_u8(0);
            out.put_bytes(value);
            put_ttl(out, ttl);
        }
        CellValue::Tombstone {
            local_deletion_time,
        } => {
            out.put_u8(1);
            out.put_i32(*local_deletion_time);
        }
        CellValue::Counter { delta } => {
            out.put_u8(2);
            out.put_i64(*delta);
        }
    }
}

#[inline]
fn put_timestamp(out: &mut Vec<u8>, ts: i64, format: RowFormat, prev: &mut i64) {
    match format {
        RowFormat::Plain => out.put_i64(ts),
        RowFormat::TimestampDeltas => {
            out.put_var(zigzag(ts.wrapping_sub(*prev)));
            *prev = ts;
        }
    }
}

fn get_timestamp(r: &mut Reader, prev: &mut i64) -> DResult<i64> {
    match r.rows {
        RowFormat::Plain => r.i64(),
        RowFormat::TimestampDeltas => {
            let ts = prev.wrapping_add(unzigzag(r.var()?));
            *prev = ts;
            Ok(ts)
        }
    }
}

/// The fewest bytes a cell takes: bounds cell counts before allocating.
fn min_cell_len(format: RowFormat) -> usize {
    match format {
        RowFormat::Plain => 11,
        RowFormat::TimestampDeltas => 4,
    }
}

fn get_cell(r: &mut Reader, prev: &mut i64) -> DResult<Cell> {
    let column = u32::try_from(r.var()?).map_err(|_| r.err("column id overflow"))?;
    let path = get_opt(r, |r| r.bytes())?;
    let timestamp = get_timestamp(r, prev)?;
    let value = match r.u8()? {
        0 => CellValue::Live {
            value: r.bytes()?,
            ttl: get_ttl(r)?,
        },
        1 => CellValue::Tombstone {
            local_deletion_time: r.i32()?,
        },
        2 => CellValue::Counter { delta: r.i64()? },
        _ => return Err(r.err("bad cell kind")),
    };
    Ok(Cell {
        column: ColumnId(column),
        path,
        timestamp,
        value,
    })
}

pub(crate) fn put_row(out: &mut Vec<u8>, row: &Row) {
    put_row_as(out, row, RowFormat::Plain)
}

/// Encodes a row with cell timestamps in `format`.
pub(crate) fn put_row_as(out: &mut Vec<u8>, row: &Row, format: RowFormat) {
    out.put_bytes(&row.clustering);
    match &row.liveness {
        Some(l) => {
            out.put_u8(1);
            out.put_i64(l.timestamp);
            put_ttl(out, &l.ttl);
        }
        None => out.put_u8(0),
    }
    put_opt_deletion(out, &row.deletion);
    out.put_var(row.complex_deletions.len() as u64);
    for (c, d) in &row.complex_deletions {
        out.put_var(u64::from(c.0));
        put_deletion(out, d);
    }
    out.put_var(row.cells.len() as u64);
    let mut prev = row.liveness.map_or(0, |l| l.timestamp);
    for c in &row.cells {
        put_cell(out, c, format, &mut prev);
    }
}

pub(crate) fn get_row(r: &mut Reader) -> DResult<Row> {
    let clustering = r.bytes()?;
    let liveness = get_opt(r, |r| {
        Ok(LivenessInfo {
            timestamp: r.i64()?,
            ttl: get_ttl(r)?,
        })
    })?;
    let deletion = get_opt(r, get_deletion)?;
    let n = r.count(13)?;
    let mut complex_deletions = Vec::with_capacity(n);
    for _ in 0..n {
        let c = u32::try_from(r.var()?).map_err(|_| r.err("column id overflow"))?;
        complex_deletions.push((ColumnId(c), get_deletion(r)?));
    }
    let n = r.count(min_cell_len(r.rows))?;
    let mut cells = Vec::with_capacity(n);
    let mut prev = liveness.map_or(0, |l| l.timestamp);
    for _ in 0..n {
        cells.push(get_cell(r, &mut prev)?);
    }
    Ok(Row {
        clustering,
        liveness,
        deletion,
        complex_deletions,
        cells,
    })
}

/// Encodes the body shared by mutations and SSTable partitions.
fn put_body<'a>(
    out: &mut Vec<u8>,
    partition_deletion: &Option<DeletionTime>,
    rts: &[RangeTombstone],
    static_row: &Option<Row>,
    rows: impl ExactSizeIterator<Item = &'a Row>,
) {
    put_head(out, partition_deletion, rts, static_row);
    out.put_var(rows.len() as u64);
    for row in rows {
        put_row(out, row);
    }
}

/// Encodes the part of a body before its rows: partition deletion, range
/// tombstones, static row. SSTable format v2 writes it once per partition and
/// the rows after it in chunks (docs/storage-format.md, "Data.db").
pub(crate) fn put_head(
    out: &mut Vec<u8>,
    partition_deletion: &Option<DeletionTime>,
    rts: &[RangeTombstone],
    static_row: &Option<Row>,
) {
    put_head_as(out, partition_deletion, rts, static_row, RowFormat::Plain)
}

/// `put_head` with the static row's cell timestamps in `format`.
pub(crate) fn put_head_as(
    out: &mut Vec<u8>,
    partition_deletion: &Option<DeletionTime>,
    rts: &[RangeTombstone],
    static_row: &Option<Row>,
    format: RowFormat,
) {
    put_opt_deletion(out, partition_deletion);
    out.put_var(rts.len() as u64);
    for rt in rts {
        put_bound(out, &rt.start);
        put_bound(out, &rt.end);
        put_deletion(out, &rt.deletion);
    }
    match static_row {
        Some(row) => {
            out.put_u8(1);
            put_row_as(out, row, format)
        }
        None => out.put_u8(0),
    }
}

type Body = (
    Option<DeletionTime>,
    Vec<RangeTombstone>,
    Option<Row>,
    Vec<Row>,
);

/// Which rows a decode keeps (by clustering); `None` keeps all.
pub(crate) type RowFilter<'f> = Option<&'f dyn Fn(&[u8]) -> bool>;

/// Skips a row's fields after its clustering without allocating.
pub(crate) fn skip_row_rest(r: &mut Reader) -> DResult<()> {
    let liveness = get_opt(r, |r| {
        let ts = r.i64()?;
        get_ttl(r).map(|_| ts)
    })?;
    let mut prev = liveness.unwrap_or(0);
    get_opt(r, get_deletion)?;
    let n = r.count(13)?;
    for _ in 0..n {
        r.var()?;
        get_deletion(r)?;
    }
    let n = r.count(min_cell_len(r.rows))?;
    for _ in 0..n {
        r.var()?;
        get_opt(r, |r| r.bytes_ref().map(|_| ()))?;
        get_timestamp(r, &mut prev)?;
        match r.u8()? {
            0 => {
                r.bytes_ref()?;
                get_ttl(r)?;
            }
            1 => {
                r.i32()?;
            }
            2 => {
                r.i64()?;
            }
            _ => return Err(r.err("bad cell kind")),
        }
    }
    Ok(())
}

fn get_body(r: &mut Reader) -> DResult<Body> {
    get_body_filtered(r, None)
}

/// Partition deletion, range tombstones and static row: a body without rows.
pub(crate) type Head = (Option<DeletionTime>, Vec<RangeTombstone>, Option<Row>);

/// Decodes what `put_head` wrote.
pub(crate) fn get_head(r: &mut Reader) -> DResult<Head> {
    let pd = get_opt(r, get_deletion)?;
    let n = r.count(14)?;
    let mut rts = Vec::with_capacity(n);
    for _ in 0..n {
        rts.push(RangeTombstone {
            start: get_bound(r)?,
            end: get_bound(r)?,
            deletion: get_deletion(r)?,
        });
    }
    let static_row = get_opt(r, get_row)?;
    Ok((pd, rts, static_row))
}

fn get_body_filtered(r: &mut Reader, keep: RowFilter) -> DResult<Body> {
    let (pd, rts, static_row) = get_head(r)?;
    let n = r.count(5)?;
    // With a filter most rows of a wide partition may be skipped: do not
    // reserve room for all of them (a page of a huge partition stays small).
    let mut rows = Vec::with_capacity(if keep.is_some() { n.min(64) } else { n });
    for _ in 0..n {
        if let Some(keep) = keep {
            let start = r.pos();
            if !keep(r.bytes_ref()?) {
                skip_row_rest(r)?;
                continue;
            }
            r.rewind(start);
        }
        rows.push(get_row(r)?);
    }
    Ok((pd, rts, static_row, rows))
}

/// Encodes a mutation (commit-log record payload).
pub(crate) fn put_mutation(out: &mut Vec<u8>, m: &Mutation) {
    out.extend_from_slice(m.table.0.as_bytes());
    out.put_i64(m.token);
    out.put_bytes(&m.key);
    put_body(
        out,
        &m.partition_deletion,
        &m.range_tombstones,
        &m.static_row,
        m.rows.iter(),
    );
}

/// Decodes a mutation encoded by `put_mutation`.
pub(crate) fn get_mutation(r: &mut Reader) -> DResult<Mutation> {
    let mut id = [0u8; 16];
    id.copy_from_slice(r.take(16)?);
    let token = r.i64()?;
    let key = r.bytes()?;
    let (partition_deletion, range_tombstones, static_row, rows) = get_body(r)?;
    Ok(Mutation {
        table: TableId(uuid::Uuid::from_bytes(id)),
        token,
        key,
        partition_deletion,
        range_tombstones,
        static_row,
        rows,
    })
}

/// Encodes one format v1 SSTable partition: token, key, body (the writer now
/// writes v2, `sstable/writer.rs`; kept for the codec's round-trip tests).
#[cfg(test)]
pub(crate) fn put_partition(out: &mut Vec<u8>, token: i64, key: &[u8], p: &PartitionData) {
    out.put_i64(token);
    out.put_bytes(key);
    put_body(
        out,
        &p.partition_deletion,
        &p.range_tombstones,
        &p.static_row,
        p.rows.values(),
    );
}

/// Decodes a format v1 SSTable partition: token, key, body.
pub(crate) fn get_partition(r: &mut Reader) -> DResult<(i64, Bytes, PartitionData)> {
    get_partition_filtered(r, None)
}

/// Decodes a partition keeping only the rows `keep` accepts (the others are
/// skipped without allocating).
pub(crate) fn get_partition_filtered(
    r: &mut Reader,
    keep: RowFilter,
) -> DResult<(i64, Bytes, PartitionData)> {
    let token = r.i64()?;
    let key = r.bytes()?;
    let (partition_deletion, range_tombstones, static_row, rows) = get_body_filtered(r, keep)?;
    let mut map = Rows::default();
    for row in rows {
        map.insert(row.clustering.clone(), row);
    }
    Ok((
        token,
        key,
        PartitionData {
            partition_deletion,
            range_tombstones,
            static_row,
            rows: map,
        },
    ))
}

#[cfg(test)]
pub(crate) mod tests;
