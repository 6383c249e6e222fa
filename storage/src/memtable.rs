//! The memtable: a sorted map of partitions, ordered by (token, key bytes), each
//! partition's rows ordered by clustering bytes. Size is accounted approximately (bytes
//! written, overwrites included) to decide flushes. Public for benchmarks; the engine
//! is the normal entry point.
//!
//! The map is split by token into [`SHARDS`] B-trees, each behind its own lock and
//! covering one contiguous slice of the token range, so walking the shards in order
//! walks the whole memtable in order. Why not one concurrent skiplist: an insert into a
//! skiplist of a few hundred thousand partitions chases one pointer per node visited,
//! each a cache (and, in a VM, TLB) miss; profiles of the node under writes spent
//! 35-43% of its CPU there. A B-tree node holds eleven keys side by side, so a search
//! touches a handful of nodes; a thousand shards keep each lock almost never contended
//! (writers to different partitions rarely meet, writers to one partition serialize as
//! before). Readers copy what they need under the lock and release it.
//!
//! Each shard's B-tree is keyed by the token alone and maps it to the index of the
//! token's first partition in the shard's [`arena`] (the partitions themselves sit
//! there in write order; those sharing a token, which happens only by a Murmur3
//! collision, are chained in key order). A search then compares 8-byte integers packed
//! eleven to a node (two cache lines) instead of 40-byte `(token, Bytes)` keys laid
//! out next to ~150-byte partitions (a 2 KB node, seven lines per linear scan): the
//! B-tree search was 16% of the node's CPU under writes (docs/PERFORMANCE.md,
//! "Memtable keyed by token"). Keeping the partitions out of the B-tree (they were in
//! a one-entry vector per token) makes dropping a flushed memtable walk memory in
//! the order it was allocated ("Memtable CPU per row, session 6").
//!
//! The bytes a memtable keeps (keys, clusterings, values) are copied out of the
//! request into the memtable's own [`slab`] regions, and a partition's rows start
//! inline in the partition ([`crate::merge::Rows`]): a one-row partition costs its
//! bucket slot, its cell vector and its bytes, where it cost a 1.7 KB B-tree leaf and
//! a pinned 64 KiB read buffer before (docs/PERFORMANCE.md, "Memtable layout, session
//! 5").
use std::collections::{btree_map, BTreeMap, VecDeque};
use std::mem::size_of;
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::merge::PartitionData;
use crate::types::{Mutation, Row};

mod arena;
mod slab;
use arena::Arena;
use slab::Slab;

/// Sort key of a partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PartitionKey {
    pub token: i64,
    pub key: Bytes,
}

/// log2 of the number of token shards.
const SHARD_BITS: u32 = 10;
/// Number of token shards of a memtable.
pub const SHARDS: usize = 1 << SHARD_BITS;
/// Partitions a range scan copies out per lock of a shard.
const SCAN_BATCH: usize = 64;

/// End of a chain of partitions sharing a token.
const NONE: u32 = u32::MAX;

/// One partition held.
struct Entry {
    key: PartitionKey,
    data: PartitionData,
    /// The next partition with the same token (greater key), or [`NONE`].
    next: u32,
}

/// The partitions of one slice of the token range.
struct Partitions {
    /// Token -> index in `entries` of the token's partition with the smallest key.
    tokens: BTreeMap<i64, u32>,
    entries: Arena<Entry>,
}

type Shard = Mutex<Partitions>;

impl Drop for Partitions {
    /// Frees the partitions chunk by chunk, in write order, first asking the CPU to
    /// fetch the cell vectors of the chunk's partitions, every line of them: freeing a
    /// cell vector reads every cell (to release its bytes), and waiting for each
    /// vector's lines in turn was most of what a drop cost once the partitions
    /// themselves were read in order (docs/PERFORMANCE.md, "Memtable CPU per row,
    /// session 6"; asking for all eight lines of a five-cell row instead of the first
    /// one: "Flush CPU per row, session 7").
    fn drop(&mut self) {
        for chunk in self.entries.take_chunks() {
            for e in &chunk {
                prefetch_rows(&e.data.rows);
            }
            drop(chunk);
        }
    }
}

/// Hints the CPU to bring the cache line at `p` in; no effect on what the program
/// computes.
#[inline]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and never changes memory,
    // whatever the address (dangling pointers of empty vectors included). Covered by
    // every test that drops or flushes a memtable, e.g. `drop_frees_every_row_layout`.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Cache line size assumed by the prefetches.
const LINE: usize = 64;

/// [`prefetch`] of every cache line of the `bytes` bytes at `p`.
#[inline]
fn prefetch_lines<T>(p: *const T, bytes: usize) {
    let p = p.cast::<u8>();
    let offset = p as usize % LINE;
    let start = p.wrapping_sub(offset);
    for line in 0..lines_spanned(offset, bytes) {
        prefetch(start.wrapping_add(line * LINE));
    }
}

/// Cache lines that `bytes` bytes starting `offset` bytes into a line touch.
fn lines_spanned(offset: usize, bytes: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        (offset + bytes).div_ceil(LINE)
    }
}

/// Asks for the cells of a partition's row (every line of the cell vector) when the
/// partition is one row, the shape flushes and drops meet most.
#[inline]
fn prefetch_rows(rows: &crate::merge::Rows) {
    if let crate::merge::Rows::One(row) = rows {
        prefetch_lines(row.cells.as_ptr(), size_of_val(row.cells.as_slice()));
    }
}

/// Asks for the bytes a one-row partition's cells point to (values in the slab).
#[inline]
fn prefetch_values(rows: &crate::merge::Rows) {
    if let crate::merge::Rows::One(row) = rows {
        for c in &row.cells {
            if let crate::types::CellValue::Live { value, .. } = &c.value {
                prefetch_lines(value.as_ptr(), value.len());
            }
        }
    }
}

/// How far ahead of the partition being written (in partitions, token order) a
/// flush asks for its entry, then its cells and key, then its values: each stage
/// reads pointers the previous one brought in. Partitions sit in write order, so a
/// flush's token-order walk misses the cache on each (~17 lines per cassandra-stress
/// row: a 352-byte entry, a 480-byte cell vector, key and values); asking ahead overlaps those misses instead of waiting for each in turn
/// (docs/PERFORMANCE.md, "Flush CPU per row, session 7").
const AHEAD_ENTRY: usize = 8;
const AHEAD_CELLS: usize = 4;
const AHEAD_VALUES: usize = 2;

/// Heap bytes of a partition held here, besides its rows' own (`merge::row_size`):
/// its token's slot in the shard's B-tree (nodes about half full, hence twice the
/// slot) and its entry in the arena, less the first row, which sits inline in the
/// entry but is counted by `row_size`. Not counted: the unfilled end of each shard's
/// last chunk (under [`arena::CHUNK`] entries per shard). Checked against real memory
/// by `cargo bench --bench memtable_memory` (docs/PERFORMANCE.md, "Memtable CPU per
/// row, session 6").
const PARTITION_COST: usize =
    2 * (size_of::<i64>() + size_of::<u32>()) + size_of::<Entry>() - size_of::<Row>();

/// Number of slabs of a memtable; a write copies its bytes under the lock of one of
/// them (chosen by shard), so concurrent writers rarely wait for each other there.
const SLABS: usize = 4;

/// Where a partition key stands in its token's chain.
enum Slot {
    /// The entry holding it.
    Found(u32),
    /// Not held; it goes after this entry (`None`: first in the chain, or the token is
    /// not held at all).
    After(Option<u32>),
}

impl Partitions {
    /// The partitions with `first`'s token, from `first` on, in key order.
    fn chain(&self, first: u32) -> impl Iterator<Item = (u32, &Entry)> {
        std::iter::successors(self.entries.get(first).map(|e| (first, e)), |(_, e)| {
            self.entries.get(e.next).map(|n| (e.next, n))
        })
    }

    /// Every partition with a token in `tokens`, in (token, key) order.
    fn range(&self, tokens: (Bound<i64>, Bound<i64>)) -> impl Iterator<Item = &Entry> {
        self.tokens
            .range(tokens)
            .flat_map(|(_, &first)| self.chain(first).map(|(_, e)| e))
    }

    fn find(&self, token: i64, key: &[u8]) -> Slot {
        let Some(&first) = self.tokens.get(&token) else {
            return Slot::After(None);
        };
        let mut after = None;
        for (i, e) in self.chain(first) {
            match e.key.key.as_ref().cmp(key) {
                std::cmp::Ordering::Less => after = Some(i),
                std::cmp::Ordering::Equal => return Slot::Found(i),
                std::cmp::Ordering::Greater => break,
            }
        }
        Slot::After(after)
    }

    fn get(&self, token: i64, key: &[u8]) -> Option<&PartitionData> {
        match self.find(token, key) {
            Slot::Found(i) => self.entries.get(i).map(|e| &e.data),
            Slot::After(_) => None,
        }
    }

    /// Adds a partition not held yet, after `after` in its token's chain (from
    /// [`Self::find`]). Gives it back if the shard is full (`u32::MAX` entries).
    fn insert(
        &mut self,
        after: Option<u32>,
        key: PartitionKey,
        data: PartitionData,
    ) -> Result<(), PartitionKey> {
        let Some(a) = after else {
            // First in its token's chain (nearly always a new token): one B-tree
            // descent finds the token's slot and then fills it.
            let slot = self.tokens.entry(key.token);
            let next = match &slot {
                btree_map::Entry::Occupied(o) => *o.get(),
                btree_map::Entry::Vacant(_) => NONE,
            };
            let i = self
                .entries
                .push(Entry { key, data, next })
                .map_err(|e| e.key)?;
            match slot {
                btree_map::Entry::Occupied(mut o) => {
                    o.insert(i);
                }
                btree_map::Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
            return Ok(());
        };
        let next = self.entries.get(a).map_or(NONE, |e| e.next);
        let i = self
            .entries
            .push(Entry { key, data, next })
            .map_err(|e| e.key)?;
        if let Some(prev) = self.entries.get_mut(a) {
            prev.next = i;
        }
        Ok(())
    }
}

/// True if `k` lies inside the range starting at `from`.
fn admits(from: &Bound<PartitionKey>, k: &PartitionKey) -> bool {
    match from {
        Bound::Included(b) => k >= b,
        Bound::Excluded(b) => k > b,
        Bound::Unbounded => true,
    }
}

/// The shard holding `token`: its top bits, with the sign flipped so that shard order
/// is token order.
fn shard_index(token: i64) -> usize {
    let biased = token.cast_unsigned() ^ (1 << 63);
    usize::try_from(biased >> (64 - SHARD_BITS)).unwrap_or(SHARDS - 1)
}

/// One memtable of one table.
pub struct Memtable {
    shards: Box<[Shard; SHARDS]>,
    slabs: [Mutex<Slab>; SLABS],
    partitions: AtomicUsize,
    size: AtomicUsize,
    min_timestamp: AtomicI64,
}

impl Default for Memtable {
    fn default() -> Self {
        Memtable {
            shards: Box::new(
                [const {
                    Mutex::new(Partitions {
                        tokens: BTreeMap::new(),
                        entries: Arena::new(),
                    })
                }; SHARDS],
            ),
            slabs: Default::default(),
            partitions: AtomicUsize::new(0),
            size: AtomicUsize::new(0),
            min_timestamp: AtomicI64::new(i64::MAX),
        }
    }
}

impl Memtable {
    /// Inserts a mutation; returns the bytes it added to the accounting.
    pub fn apply(&self, m: &Mutation) -> usize {
        let slab = self.slab(m.token);
        let mut copies = slab.lock();
        let update = PartitionData::from_mutation_with(m, &mut |b| copies.copy(b));
        drop(copies);
        let mut added = update.size_estimate() + m.key.len();
        if let Some((min, _)) = update.timestamp_range() {
            self.min_timestamp.fetch_min(min, Ordering::Relaxed);
        }
        let mut shard = self.shard(m.token).lock();
        match shard.find(m.token, &m.key) {
            Slot::Found(i) => {
                if let Some(e) = shard.entries.get_mut(i) {
                    e.data.merge(update);
                }
            }
            Slot::After(after) => {
                // Lock order: shard, then slab (apply takes the slab alone above).
                let key = PartitionKey {
                    token: m.token,
                    key: slab.lock().copy(&m.key),
                };
                if shard.insert(after, key, update).is_err() {
                    // 2^32 partitions in one of 1,024 shards is ~4 TB of memtable:
                    // the budget flushes long before.
                    tracing::error!("memtable shard full: partition dropped");
                } else {
                    self.partitions.fetch_add(1, Ordering::Relaxed);
                    added += PARTITION_COST;
                }
            }
        }
        drop(shard);
        self.size.fetch_add(added, Ordering::Relaxed);
        added
    }

    /// The slab that copies the bytes of writes to `token`.
    #[allow(clippy::indexing_slicing)] // the remainder is < SLABS
    fn slab(&self, token: i64) -> &Mutex<Slab> {
        &self.slabs[shard_index(token) % SLABS]
    }

    /// The shard that holds `token`.
    #[allow(clippy::indexing_slicing)] // shard_index keeps SHARD_BITS bits: < SHARDS
    fn shard(&self, token: i64) -> &Shard {
        &self.shards[shard_index(token)]
    }

    /// A copy of the partition, if this memtable holds it.
    #[cfg(test)]
    pub(crate) fn get(&self, token: i64, key: &Bytes) -> Option<PartitionData> {
        self.with_partition(token, key, PartitionData::clone)
    }

    /// Runs `f` on the partition in place (under its shard's lock, no copy), if this
    /// memtable holds it.
    pub(crate) fn with_partition<T>(
        &self,
        token: i64,
        key: &Bytes,
        f: impl FnOnce(&PartitionData) -> T,
    ) -> Option<T> {
        let shard = self.shard(token).lock();
        shard.get(token, key).map(f)
    }

    /// True if this memtable holds the partition.
    pub fn contains(&self, token: i64, key: &Bytes) -> bool {
        self.with_partition(token, key, |_| ()).is_some()
    }

    /// Copies of the partitions from `from` on, in order. The iterator is lazy and
    /// copies a few partitions per lock: partitions written meanwhile may or may not
    /// appear.
    pub(crate) fn range(
        &self,
        from: Bound<PartitionKey>,
    ) -> impl Iterator<Item = (PartitionKey, PartitionData)> + '_ {
        let shard = match &from {
            Bound::Included(k) | Bound::Excluded(k) => shard_index(k.token),
            Bound::Unbounded => 0,
        };
        Range {
            shards: self.shards.get(shard..).unwrap_or_default(),
            from,
            buf: VecDeque::new(),
        }
    }

    /// Calls `f` on every partition in order, under its shard's lock, without copying
    /// it: how a flush reads a memtable that no longer takes writes. Stops at the first
    /// error. Asks the CPU for the partitions a few ahead of `f`'s (see
    /// [`AHEAD_ENTRY`]): this walk was most of a flush's time, waiting for memory.
    pub(crate) fn for_each<E>(
        &self,
        mut f: impl FnMut(&PartitionKey, &PartitionData) -> Result<(), E>,
    ) -> Result<(), E> {
        // The first partition of each token, in token order (partitions sharing a
        // token follow their first through its chain); reused across shards.
        let mut firsts = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock();
            firsts.clear();
            firsts.extend(shard.tokens.values().copied());
            let ahead = |n: usize| firsts.get(n).and_then(|&i| shard.entries.get(i));
            for (n, &first) in firsts.iter().enumerate() {
                if let Some(e) = ahead(n + AHEAD_ENTRY) {
                    prefetch_lines(e, size_of::<Entry>());
                }
                if let Some(e) = ahead(n + AHEAD_CELLS) {
                    prefetch_rows(&e.data.rows);
                    prefetch_lines(e.key.key.as_ptr(), e.key.key.len());
                }
                if let Some(e) = ahead(n + AHEAD_VALUES) {
                    prefetch_values(&e.data.rows);
                }
                for (_, e) in shard.chain(first) {
                    f(&e.key, &e.data)?;
                }
            }
        }
        Ok(())
    }

    /// Accounted bytes.
    pub fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// Bytes of the regions this memtable mapped for its keys and values (each
    /// region is touched, and so resident, only as far as it is filled).
    pub fn slab_mapped(&self) -> usize {
        self.slabs.iter().map(|s| s.lock().mapped()).sum()
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.partitions.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Oldest write timestamp held (`i64::MAX` when empty); bounds purging.
    pub fn min_timestamp(&self) -> i64 {
        self.min_timestamp.load(Ordering::Relaxed)
    }
}

/// [`Memtable::range`]: walks the shards in order, copying up to [`SCAN_BATCH`]
/// partitions per lock and resuming after the last one copied.
struct Range<'a> {
    /// The shards still to read, the current one first.
    shards: &'a [Shard],
    /// Where the next copy starts. Every key of a later shard is above any key of an
    /// earlier one, so the same bound serves when moving on to the next shard.
    from: Bound<PartitionKey>,
    buf: VecDeque<(PartitionKey, PartitionData)>,
}

impl Iterator for Range<'_> {
    type Item = (PartitionKey, PartitionData);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(next) = self.buf.pop_front() {
                return Some(next);
            }
            let (shard, rest) = self.shards.split_first()?;
            let map = shard.lock();
            // The bound's token bucket may hold keys below the bound: filter them.
            let tokens = match &self.from {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(k.token),
                Bound::Unbounded => Bound::Unbounded,
            };
            self.buf.extend(
                map.range((tokens, Bound::Unbounded))
                    .filter(|e| admits(&self.from, &e.key))
                    .take(SCAN_BATCH)
                    .map(|e| (e.key.clone(), e.data.clone())),
            );
            drop(map);
            if self.buf.len() < SCAN_BATCH {
                self.shards = rest;
            }
            if let Some((last, _)) = self.buf.back() {
                self.from = Bound::Excluded(last.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Cell, CellValue, ColumnId, Row, TableId};

    fn m(token: i64, key: &'static [u8], ck: &'static [u8], ts: i64, v: &'static [u8]) -> Mutation {
        Mutation {
            table: TableId::default(),
            token,
            key: Bytes::from_static(key),
            rows: vec![Row {
                clustering: Bytes::from_static(ck),
                cells: vec![Cell {
                    column: ColumnId(1),
                    path: None,
                    timestamp: ts,
                    value: CellValue::Live {
                        value: Bytes::from_static(v),
                        ttl: None,
                    },
                }],
                ..Row::default()
            }],
            ..Mutation::default()
        }
    }

    #[test]
    fn orders_by_token_then_key_and_merges() {
        let mt = Memtable::default();
        mt.apply(&m(5, b"b", b"1", 10, b"x"));
        mt.apply(&m(5, b"a", b"1", 10, b"x"));
        mt.apply(&m(-3, b"z", b"1", 10, b"x"));
        mt.apply(&m(5, b"a", b"1", 20, b"y"));
        mt.apply(&m(5, b"a", b"0", 5, b"w"));
        let keys: Vec<_> = mt
            .range(Bound::Unbounded)
            .map(|(k, _)| (k.token, k.key))
            .collect();
        assert_eq!(
            keys,
            vec![
                (-3, Bytes::from_static(b"z")),
                (5, Bytes::from_static(b"a")),
                (5, Bytes::from_static(b"b"))
            ]
        );
        let p = mt.get(5, &Bytes::from_static(b"a")).expect("present");
        assert_eq!(p.rows.len(), 2);
        let row = p.rows.get(&Bytes::from_static(b"1")).expect("row 1");
        assert_eq!(row.cells[0].timestamp, 20);
        assert_eq!(mt.min_timestamp(), 5);
        assert!(mt.size() > 0);
        assert_eq!(mt.len(), 3);
    }

    #[test]
    fn keys_sharing_a_token_stay_apart_and_ordered_in_scans() {
        let mt = Memtable::default();
        for key in [&b"c"[..], b"a", b"b"] {
            mt.apply(&m(9, key, b"1", 1, key));
        }
        mt.apply(&m(8, b"z", b"1", 1, b"v"));
        mt.apply(&m(10, b"a", b"1", 1, b"v"));
        assert_eq!(mt.len(), 5);
        let b = mt.get(9, &Bytes::from_static(b"b")).expect("b");
        let cell = &b.rows.get(&Bytes::from_static(b"1")).expect("row").cells[0];
        assert!(matches!(&cell.value, CellValue::Live { value, .. } if value == &b"b"[..]));
        assert!(!mt.contains(9, &Bytes::from_static(b"d")));
        let from = |bound: fn(PartitionKey) -> Bound<PartitionKey>| {
            mt.range(bound(PartitionKey {
                token: 9,
                key: Bytes::from_static(b"b"),
            }))
            .map(|(k, _)| (k.token, k.key))
            .collect::<Vec<_>>()
        };
        let key = |t: i64, k: &'static [u8]| (t, Bytes::from_static(k));
        assert_eq!(from(Bound::Excluded), vec![key(9, b"c"), key(10, b"a")]);
        assert_eq!(
            from(Bound::Included),
            vec![key(9, b"b"), key(9, b"c"), key(10, b"a")]
        );
    }

    #[test]
    fn drop_frees_every_row_layout() {
        // One row, a vector of rows, a B-tree of rows, keys sharing a token, more
        // partitions than a chunk holds in one shard; then the drop walks them all.
        let keys: [&'static [u8]; 3] = [b"a", b"b", b"c"];
        let mt = Memtable::default();
        for i in 0..100u8 {
            let ck: &'static [u8] = Box::leak(Box::new([i]));
            mt.apply(&m(1 << 20, b"wide", ck, 1, b"v"));
            mt.apply(&m(i64::from(i) << 2, b"k", b"", 1, b"v"));
            if i < 5 {
                mt.apply(&m(2 << 20, b"few", ck, 1, b"v"));
            }
            mt.apply(&m(3 << 20, keys[usize::from(i % 3)], ck, 1, b"v"));
        }
        assert_eq!(mt.len(), 100 + 1 + 1 + 3);
        let wide = mt.get(1 << 20, &Bytes::from_static(b"wide")).expect("wide");
        assert!(matches!(wide.rows, crate::merge::Rows::Large(_)));
        let few = mt.get(2 << 20, &Bytes::from_static(b"few")).expect("few");
        assert!(matches!(few.rows, crate::merge::Rows::Small(_)));
        let mut walked = Vec::new();
        mt.for_each(|k, _| {
            walked.push((k.token, k.key.clone()));
            Ok::<(), ()>(())
        })
        .expect("walk");
        let shared: Vec<_> = walked.iter().filter(|(t, _)| *t == 3 << 20).collect();
        assert_eq!(shared.len(), 3);
        assert!(shared.windows(2).all(|w| w[0].1 < w[1].1));
        drop(mt);
        // What a read copied out lives on without the memtable.
        assert_eq!(wide.rows.len(), 100);
        assert_eq!(few.rows.len(), 5);
    }

    #[test]
    fn prefetches_cover_every_line_of_a_span() {
        assert_eq!(lines_spanned(0, 0), 0);
        assert_eq!(lines_spanned(63, 0), 0);
        assert_eq!(lines_spanned(0, 1), 1);
        assert_eq!(lines_spanned(63, 1), 1);
        assert_eq!(lines_spanned(63, 2), 2);
        assert_eq!(lines_spanned(0, 64), 1);
        assert_eq!(lines_spanned(1, 64), 2);
        // A five-cell row's vector: 480 bytes, 64-aligned by the allocator or not.
        assert_eq!(lines_spanned(0, 480), 8);
        assert_eq!(lines_spanned(32, 480), 8);
        assert_eq!(lines_spanned(33, 480), 9);
    }

    #[test]
    fn shards_keep_token_order_across_the_whole_range() {
        let mt = Memtable::default();
        let mut tokens = vec![
            i64::MAX,
            0,
            -1,
            i64::MIN,
            1 << 40,
            -(1 << 50),
            7,
            i64::MIN + 1,
        ];
        // More partitions in one shard than a scan copies per lock.
        tokens.extend((0..150).map(|i| (1 << 20) + i));
        for &t in &tokens {
            mt.apply(&m(t, b"k", b"1", 1, b"v"));
        }
        let mut sorted = tokens.clone();
        sorted.sort_unstable();
        let all: Vec<i64> = mt.range(Bound::Unbounded).map(|(k, _)| k.token).collect();
        assert_eq!(all, sorted);
        let mut walked = Vec::new();
        mt.for_each(|k, _| {
            walked.push(k.token);
            Ok::<(), ()>(())
        })
        .expect("walk");
        assert_eq!(walked, sorted);
        // A start inside one shard yields the rest of it and every later shard.
        let from = PartitionKey {
            token: -1,
            key: Bytes::from_static(b"k"),
        };
        let after: Vec<i64> = mt
            .range(Bound::Excluded(from))
            .map(|(k, _)| k.token)
            .collect();
        let want: Vec<i64> = sorted.iter().copied().filter(|&t| t > -1).collect();
        assert_eq!(after, want);
        assert!(mt.contains(i64::MIN, &Bytes::from_static(b"k")));
        assert!(!mt.contains(5, &Bytes::from_static(b"k")));
        assert_eq!(mt.len(), tokens.len());
    }
}
