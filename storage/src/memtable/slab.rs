//! The memory a memtable keeps its bytes in (partition keys, clusterings, cell paths
//! and values): large anonymous mappings ("regions") filled front to back, each
//! handed out as `Bytes` slices of one shared buffer. Cassandra's memtable slab
//! allocator does the same.
//!
//! Why: the bytes of a write arrive as slices of the connection's 64 KiB read buffer.
//! Keeping those slices kept whole read buffers alive (headers, other statements,
//! everything the client sent) as long as the memtable, interleaved in the heap with
//! the memtable's structs, and freeing a flushed memtable left glibc's free lists
//! fragmented (23% of the node's CPU in malloc after each flush, anonymous memory
//! 4.7x the memtable budget: docs/PERFORMANCE.md, "Node memory under a constant write
//! load"). Copied into regions, a memtable's bytes take what they need, and when the
//! memtable and the last read copy of its data are dropped, each region is unmapped:
//! the memory goes back to the kernel whatever the allocator's state.
//!
//! Regions start at [`FIRST_REGION`] and double up to [`MAX_REGION`], so that the
//! many small tables of a node (system tables) map little while a busy table uses
//! few, large regions. Values above an eighth of a region get their own heap buffer:
//! a region never wastes more than that eighth at its end.
//!
//! A region of [`MAX_REGION`] bytes whose last user goes is not unmapped but kept in a
//! [`Pool`] (up to [`POOL_LIMIT`] bytes) for the next memtable: under sustained
//! writes one memtable is dropped while the next fills, and unmapping then mapping
//! again made the kernel fault in and zero every page of every region anew
//! (docs/PERFORMANCE.md, "Memtable CPU per row, session 6"). A region is taken from
//! the pool only when no other is free, so the pool and the live regions together
//! never exceed the most the slabs ever had mapped at once.
use std::ptr::NonNull;

use bytes::Bytes;
use memmap2::MmapMut;
use parking_lot::Mutex;

/// Most bytes of free regions kept mapped for reuse.
pub(crate) const POOL_LIMIT: usize = 128 << 20;

/// Free [`MAX_REGION`]-sized mappings (see the module docs).
pub(crate) struct Pool {
    free: Mutex<Vec<MmapMut>>,
    limit: usize,
}

/// The pool every memtable's slabs share.
static POOL: Pool = Pool::new(POOL_LIMIT);

impl Pool {
    pub const fn new(limit: usize) -> Pool {
        Pool {
            free: Mutex::new(Vec::new()),
            limit,
        }
    }

    /// A free mapping of `len` bytes, if one is kept. Its contents are whatever the
    /// last memtable left: the slab only hands out what it wrote.
    fn take(&self, len: usize) -> Option<MmapMut> {
        if len != MAX_REGION {
            return None;
        }
        self.free.lock().pop()
    }

    /// Keeps `map` for reuse, or unmaps it (outside the lock) if it is not of the
    /// pooled size or the pool is full.
    fn give(&self, map: MmapMut) {
        if map.len() == MAX_REGION {
            let mut free = self.free.lock();
            if (free.len() + 1) * MAX_REGION <= self.limit {
                free.push(map);
                return;
            }
        }
        drop(map);
    }

    /// Bytes kept.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().len() * MAX_REGION
    }
}

/// Size of a memtable's first region.
pub(crate) const FIRST_REGION: usize = 64 << 10;
/// Largest region.
pub(crate) const MAX_REGION: usize = 1 << 20;

/// A mapping, as the owner of the `Bytes` that slice it; given back to its pool when
/// the last of them goes.
struct Mapped {
    /// Always `Some` until dropped.
    map: Option<MmapMut>,
    pool: &'static Pool,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if let Some(map) = self.map.take() {
            self.pool.give(map);
        }
    }
}

/// The region being filled.
struct Region {
    /// The whole mapping; handed-out values are slices of it and keep it mapped.
    whole: Bytes,
    /// Start of the mapping, for writing the part not handed out yet.
    base: NonNull<u8>,
    /// Bytes handed out (the front of the region).
    used: usize,
}

// SAFETY: `base` points into the mapping that `whole` owns (it stays mapped while
// `whole` lives, and `Region` owns `whole`). Only the holder of `&mut Region` writes
// through it, and only past `used`, where no `Bytes` has been handed out.
unsafe impl Send for Region {}

impl Region {
    fn map(len: usize, pool: &'static Pool) -> std::io::Result<Region> {
        let mut map = match pool.take(len) {
            Some(map) => map,
            None => MmapMut::map_anon(len)?,
        };
        let base = NonNull::new(map.as_mut_ptr()).ok_or_else(|| std::io::Error::other("null"))?;
        Ok(Region {
            whole: Bytes::from_owner(Mapped {
                map: Some(map),
                pool,
            }),
            base,
            used: 0,
        })
    }

    fn room(&self) -> usize {
        self.whole.len() - self.used
    }

    /// Copies `b` (which must fit) to the free part and hands it out.
    fn copy(&mut self, b: &[u8]) -> Bytes {
        let end = self.used + b.len();
        debug_assert!(end <= self.whole.len());
        // SAFETY: `used + b.len()` is within the mapping (callers check `room`), the
        // bytes past `used` are not part of any handed-out slice, and `b` cannot
        // overlap them (nothing outside this region can point there).
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), self.base.as_ptr().add(self.used), b.len());
        }
        let out = self.whole.slice(self.used..end);
        self.used = end;
        out
    }
}

/// Hands out copies of byte strings, packed into regions (see the module docs).
pub(crate) struct Slab {
    region: Option<Region>,
    /// Size of the next region to map.
    next: usize,
    /// Bytes of all regions mapped so far.
    mapped: usize,
    pool: &'static Pool,
}

impl Default for Slab {
    fn default() -> Self {
        Slab::with_pool(&POOL)
    }
}

impl Slab {
    /// A slab whose full-size regions come from and go back to `pool`.
    pub fn with_pool(pool: &'static Pool) -> Slab {
        Slab {
            region: None,
            next: 0,
            mapped: 0,
            pool,
        }
    }

    /// A copy of `b` in memory this slab owns.
    pub fn copy(&mut self, b: &[u8]) -> Bytes {
        if b.is_empty() {
            return Bytes::new();
        }
        if b.len() > MAX_REGION / 8 {
            return Bytes::copy_from_slice(b);
        }
        if let Some(r) = self.region.as_mut().filter(|r| r.room() >= b.len()) {
            return r.copy(b);
        }
        let len = self.next.clamp(FIRST_REGION, MAX_REGION).max(b.len());
        match Region::map(len, self.pool) {
            Ok(mut r) => {
                self.next = len.saturating_mul(2);
                self.mapped += len;
                let out = r.copy(b);
                self.region = Some(r);
                out
            }
            // Out of address space or mappings: the heap is the only place left, and
            // a write should not fail for that.
            Err(e) => {
                tracing::warn!("memtable slab: cannot map a region: {e}");
                Bytes::copy_from_slice(b)
            }
        }
    }

    /// Bytes of all regions mapped so far.
    pub fn mapped(&self) -> usize {
        self.mapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_stay_intact_across_regions_and_outlive_the_slab() {
        let mut slab = Slab::default();
        let mut kept = Vec::new();
        // Enough to fill several regions, in sizes that leave ragged region ends.
        for i in 0..20_000u32 {
            let v: Vec<u8> = (0..(i % 300)).map(|j| (i ^ j) as u8).collect();
            kept.push((slab.copy(&v), v));
        }
        assert!(slab.mapped() >= FIRST_REGION + 2 * FIRST_REGION);
        let big = vec![7u8; MAX_REGION];
        let b = slab.copy(&big);
        drop(slab);
        assert_eq!(b, big);
        for (got, want) in &kept {
            assert_eq!(got, want);
        }
        assert_eq!(Slab::default().copy(b""), Bytes::new());
    }

    /// Fills a slab of its own pool with `n` distinct values and checks them.
    fn fill(pool: &'static Pool, n: u32, salt: u8) -> (Slab, Vec<(Bytes, Vec<u8>)>) {
        let mut slab = Slab::with_pool(pool);
        let kept: Vec<_> = (0..n)
            .map(|i| {
                let v: Vec<u8> = (0..200u32).map(|j| (i ^ j) as u8 ^ salt).collect();
                (slab.copy(&v), v)
            })
            .collect();
        for (got, want) in &kept {
            assert_eq!(got, want);
        }
        (slab, kept)
    }

    #[test]
    fn full_size_regions_go_back_to_the_pool_once_unused_and_are_reused() {
        let pool: &'static Pool = Box::leak(Box::new(Pool::new(2 * MAX_REGION)));
        // 64 KiB + 128 KiB + ... + 1 MiB regions, then several of 1 MiB.
        let (slab, kept) = fill(pool, 30_000, 0);
        assert!(slab.mapped() > 4 * MAX_REGION);
        drop(slab);
        // The values still hold every region: nothing goes back yet.
        assert_eq!(pool.kept(), 0);
        let one = kept[kept.len() - 1].0.clone();
        drop(kept);
        // Only full-size regions are kept, and no more than the limit; the region a
        // surviving value is in stays out.
        assert_eq!(pool.kept(), 2 * MAX_REGION);
        drop(one);
        assert_eq!(pool.kept(), 2 * MAX_REGION);
        // A new slab reaches full-size regions after its small ones and takes the
        // kept ones (stale contents overwritten by what it hands out).
        let (slab, kept) = fill(pool, 30_000, 0x5a);
        assert_eq!(pool.kept(), 0);
        drop((slab, kept));
        assert_eq!(pool.kept(), 2 * MAX_REGION);
    }
}
