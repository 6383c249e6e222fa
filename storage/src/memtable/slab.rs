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
use std::ptr::NonNull;

use bytes::Bytes;
use memmap2::MmapMut;

/// Size of a memtable's first region.
pub(crate) const FIRST_REGION: usize = 64 << 10;
/// Largest region.
pub(crate) const MAX_REGION: usize = 1 << 20;

/// A mapping, as the owner of the `Bytes` that slice it.
struct Mapped(MmapMut);

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
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
    fn map(len: usize) -> std::io::Result<Region> {
        let mut map = MmapMut::map_anon(len)?;
        let base = NonNull::new(map.as_mut_ptr()).ok_or_else(|| std::io::Error::other("null"))?;
        Ok(Region {
            whole: Bytes::from_owner(Mapped(map)),
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
#[derive(Default)]
pub(crate) struct Slab {
    region: Option<Region>,
    /// Size of the next region to map.
    next: usize,
    /// Bytes of all regions mapped so far.
    mapped: usize,
}

impl Slab {
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
        match Region::map(len) {
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
}
