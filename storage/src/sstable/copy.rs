//! Compaction's copy of unchanged partitions: a partition whose merged and
//! purged form is one input's version as it is goes to the output as that
//! version's encoded bytes, without decoding its rows into cells and
//! encoding them again. Format v3 makes that possible (docs/storage-format.md,
//! "Data.db"): what follows a partition's key (head, `var n`, rows,
//! continuation flag) holds no offset and no timestamp base outside the row,
//! so the same bytes are valid anywhere in any v3 file.
//!
//! Two cases are copied:
//! - one input holds the partition and purging would leave it as it is
//!   (`unchanged`);
//! - several inputs hold it, and one version is newer than everything in
//!   the others (its oldest timestamp above their newest) and has a cell for
//!   each of their cells, a row marker for each of their markers: merging
//!   gives that version (a row overwritten with the same columns;
//!   `newest_covering`).
//!
//! Anything else is decoded as before: a deletion of any kind (it may shadow
//! data, and merging keeps it), a tombstone or expiry before `gc_before`, an
//! empty row or partition (purging drops them), counters in several inputs
//! (merging adds them up), a partition continued in the next block
//! (chunked), or malformed bytes (the decoder reports them).
//!
//! `digest` reads the bytes once, without allocating, and gathers what the
//! writer needs for the statistics (`Stats::add_digest`): the output's
//! Statistics are those of the decode-merge-encode path, as are its other
//! files (`compaction::copy_tests`).

/// A cursor over encoded bytes: `None` for anything short or malformed
/// (cheaper than `codec::Reader`, which reports where and why; the decoder
/// does that when the copy gives up).
struct Cursor<'a> {
    /// What is left to read.
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    #[inline]
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(b)
    }

    #[inline]
    fn var(&mut self) -> Option<u64> {
        let b = self.u8()?;
        if b < 0x80 {
            return Some(u64::from(b));
        }
        let mut v = u64::from(b & 0x7f);
        for shift in (7..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    #[inline]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (s, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(s)
    }

    #[inline]
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.var()?).ok()?;
        self.take(n)
    }

    #[inline]
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    #[inline]
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// An option flag: anything but 0 or 1 is malformed.
    #[inline]
    fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// The local expiry time of an encoded `ttl` option.
    #[inline]
    fn expiry(&mut self) -> Option<Option<i32>> {
        if !self.flag()? {
            return Some(None);
        }
        self.i32()?;
        Some(Some(self.i32()?))
    }
}

/// True if a partition with this key and encoded body is certainly shorter
/// than a block (token, key length and key included): the writer then keeps
/// it in one chunk, as the copy does.
pub(crate) fn fits(key: &[u8], body: &[u8], block_size: usize) -> bool {
    8 + 10 + key.len() + body.len() < block_size
}

/// A version's rows, markers and cells without their values, in file order.
#[derive(PartialEq, Eq)]
enum Part<'a> {
    Row {
        is_static: bool,
        clustering: &'a [u8],
    },
    Marker,
    Cell {
        column: u64,
        path: Option<&'a [u8]>,
    },
}

impl Part<'_> {
    /// Order of rows in a partition: the static row, then by clustering.
    fn row_key(&self) -> Option<(bool, &[u8])> {
        match self {
            Part::Row {
                is_static,
                clustering,
            } => Some((!is_static, clustering)),
            _ => None,
        }
    }
}

/// What the statistics need of a partition copied (`Stats::add_digest`),
/// gathered by the walk that decides the copy, so the writer does not walk
/// it again.
#[derive(Debug, Default)]
pub(crate) struct Digest<'a> {
    /// Length of the partition's bytes after the key.
    pub len: usize,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    /// Rows, the static row included.
    pub rows: u64,
    pub cells: u64,
    /// Local times of the tombstones and expiries, in file order.
    pub local_times: Vec<i32>,
    /// The first and last clustering among the rows that bound the table's
    /// clusterings (not the static row; `Stats::add_row`), and how many rows
    /// of the partition come before the first.
    pub clusterings: Option<(&'a [u8], &'a [u8], u64)>,
    counters: bool,
}

/// One walk of a version: what it has read and found so far.
struct Walk<'a, 'p, P> {
    c: Cursor<'a>,
    d: Digest<'a>,
    has_static: bool,
    /// Collects the version's shape, when it is compared to others.
    parts: &'p mut P,
}

/// Where a walk puts the parts it meets: nowhere (`()`, the walk of a
/// partition one input holds, which then compiles without them) or a vector.
trait Parts<'a> {
    fn push(&mut self, p: Part<'a>);
}

impl<'a> Parts<'a> for () {
    #[inline]
    fn push(&mut self, _: Part<'a>) {}
}

impl<'a> Parts<'a> for Vec<Part<'a>> {
    #[inline]
    fn push(&mut self, p: Part<'a>) {
        Vec::push(self, p)
    }
}

impl<'a, P: Parts<'a>> Walk<'a, '_, P> {
    #[inline]
    fn part(&mut self, p: Part<'a>) {
        self.parts.push(p);
    }

    #[inline]
    fn stamp(&mut self, timestamp: i64, local_time: Option<i32>) {
        self.d.min_timestamp = self.d.min_timestamp.min(timestamp);
        self.d.max_timestamp = self.d.max_timestamp.max(timestamp);
        if let Some(t) = local_time {
            self.d.local_times.push(t);
        }
    }

    /// One row with timestamp deltas (`codec::put_row_as`); `None` for a
    /// row deletion, a collection deletion or an empty row.
    fn row(&mut self, is_static: bool) -> Option<()> {
        // A local cursor stays in registers (through `self` every read
        // stored it back to memory: twice the instructions).
        let mut c = Cursor { rest: self.c.rest };
        let clustering = c.bytes()?;
        self.has_static |= is_static;
        if !clustering.is_empty() || !self.has_static {
            self.d.clusterings = Some(match self.d.clusterings {
                Some((first, _, before)) => (first, clustering, before),
                None => (clustering, clustering, self.d.rows),
            });
        }
        self.d.rows += 1;
        self.part(Part::Row {
            is_static,
            clustering,
        });
        let mut prev = 0i64;
        let marker = c.flag()?;
        if marker {
            prev = c.i64()?;
            let expiry = c.expiry()?;
            self.stamp(prev, expiry);
            self.part(Part::Marker);
        }
        if c.flag()? || c.var()? != 0 {
            return None;
        }
        let n = c.var()?;
        if n == 0 && !marker {
            return None;
        }
        for _ in 0..n {
            let column = c.var()?;
            let path = if c.flag()? { Some(c.bytes()?) } else { None };
            prev = prev.wrapping_add(crate::codec::unzigzag(c.var()?));
            let local_time = match c.u8()? {
                0 => {
                    c.bytes()?;
                    c.expiry()?
                }
                1 => Some(c.i32()?),
                2 => {
                    c.i64()?;
                    self.d.counters = true;
                    None
                }
                _ => return None,
            };
            self.d.cells += 1;
            self.stamp(prev, local_time);
            self.part(Part::Cell { column, path });
        }
        self.c = c;
        Some(())
    }
}

/// Walks the encoded partition at the start of `rest` (its bytes after the
/// key, format v3: head, one chunk of rows) without allocating, digesting
/// it; `parts` collects its shape. `None` if something stops a copy (see
/// the module doc; counters are left to the caller).
fn digest<'a>(rest: &'a [u8], parts: &mut impl Parts<'a>) -> Option<Digest<'a>> {
    let mut w = Walk {
        c: Cursor { rest },
        d: Digest {
            min_timestamp: i64::MAX,
            max_timestamp: i64::MIN,
            ..Digest::default()
        },
        has_static: false,
        parts,
    };
    // Partition deletion, range tombstones.
    if w.c.flag()? || w.c.var()? != 0 {
        return None;
    }
    let has_static = w.c.flag()?;
    if has_static {
        w.row(true)?;
    }
    let n = w.c.var()?;
    if n == 0 && !has_static {
        return None;
    }
    for _ in 0..n {
        w.row(false)?;
    }
    // The chunk's continuation flag: 0, the partition ends here.
    if w.c.u8()? != 0 {
        return None;
    }
    w.d.len = rest.len() - w.c.rest.len();
    Some(w.d)
}

impl Digest<'_> {
    /// A tombstone or expiry before `gc_before` (purging may drop it).
    fn past(&self, gc_before: i32) -> bool {
        self.local_times.iter().any(|t| *t < gc_before)
    }
}

/// True if every row, marker and cell of `old` has a counterpart in `new`
/// (both in file order: rows sorted, cells sorted by column and path).
fn covers(new: &[Part], old: &[Part]) -> bool {
    let mut at = 0;
    for part in old {
        match part.row_key() {
            Some(key) => {
                // Skip to the same row of `new`.
                while new
                    .get(at)
                    .is_some_and(|p| p.row_key().is_none_or(|k| k < key))
                {
                    at += 1;
                }
                if new.get(at).and_then(Part::row_key) != Some(key) {
                    return false;
                }
                at += 1;
            }
            None => {
                // Skip to the same marker or cell in this row of `new`.
                while new
                    .get(at)
                    .is_some_and(|p| p.row_key().is_none() && p != part)
                {
                    at += 1;
                }
                if new.get(at) != Some(part) {
                    return false;
                }
                at += 1;
            }
        }
    }
    true
}

/// The partition at the start of `rest` (its bytes after `key` to the end
/// of its block, format v3), digested, if a compaction that holds no other
/// version of it can copy it: purging leaves it as it is.
pub(crate) fn unchanged<'a>(
    rest: &'a [u8],
    key: &[u8],
    gc_before: i32,
    block_size: usize,
) -> Option<Digest<'a>> {
    let d = digest(rest, &mut ())?;
    (!d.past(gc_before) && fits(key, rest.get(..d.len)?, block_size)).then_some(d)
}

/// Buffers `newest_covering` keeps from one partition to the next (a
/// compaction's merged partitions would otherwise allocate several each).
#[derive(Default)]
pub(crate) struct Scratch {
    shapes: Vec<Vec<Part<'static>>>,
    /// Each version's (oldest, newest) timestamp.
    stamps: Vec<(i64, i64)>,
    /// Each version's length, after `newest_covering` gave `Some`.
    pub lens: Vec<usize>,
}

/// `v`, emptied, as a vector of parts of another lifetime: collecting an
/// emptied vector into one of the same layout keeps its allocation.
fn recycle<'b>(mut v: Vec<Part<'_>>) -> Vec<Part<'b>> {
    v.clear();
    v.into_iter().map(|_| Part::Marker).collect()
}

/// Which of several versions of a partition a compaction can copy, given
/// each version's bytes after the key to the end of its block (`rests`,
/// every input in format v3): `Some((i, digest))` to write
/// `rests[i][..digest.len]`, each input `j` holding `scratch.lens[j]`
/// bytes of the partition; `None` to decode.
pub(crate) fn newest_covering<'a>(
    rests: &'a [bytes::Bytes],
    key: &[u8],
    gc_before: i32,
    block_size: usize,
    scratch: &mut Scratch,
) -> Option<(usize, Digest<'a>)> {
    let mut shapes: Vec<Vec<Part<'a>>> = std::mem::take(&mut scratch.shapes)
        .into_iter()
        .map(recycle)
        .collect();
    shapes.resize_with(shapes.len().max(rests.len()), || Vec::with_capacity(16));
    scratch.stamps.clear();
    scratch.lens.clear();
    let mut choose = || {
        let mut newest: Option<(usize, Digest)> = None;
        for (i, (r, parts)) in rests.iter().zip(shapes.iter_mut()).enumerate() {
            let d = digest(r, parts)?;
            if d.counters {
                // Merging adds counters up whatever their timestamps.
                return None;
            }
            scratch.stamps.push((d.min_timestamp, d.max_timestamp));
            scratch.lens.push(d.len);
            if newest
                .as_ref()
                .is_none_or(|(_, n)| d.min_timestamp > n.min_timestamp)
            {
                newest = Some((i, d));
            }
        }
        let (at, new) = newest?;
        let new_shape = shapes.get(at)?;
        let dominates = scratch
            .stamps
            .iter()
            .zip(&shapes)
            .enumerate()
            .all(|(i, (s, shape))| {
                i == at || (s.1 < new.min_timestamp && covers(new_shape, shape))
            });
        let fits = fits(key, rests.get(at)?.get(..new.len)?, block_size);
        (dominates && fits && !new.past(gc_before)).then_some((at, new))
    };
    let chosen = choose();
    scratch.shapes = shapes.into_iter().map(recycle).collect();
    chosen
}
