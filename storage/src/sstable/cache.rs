//! A node-wide cache of decompressed SSTable blocks for point reads, so a
//! hot partition costs one hash lookup and one partition decode instead of
//! an lz4 decompression. Sharded mutexes keep contention low.
//!
//! Eviction is CLOCK (second chance), an LRU approximation: each entry has a
//! "referenced" bit, set by a hit; when a shard is over its byte budget, a
//! hand sweeps the entries in insertion order, clearing set bits and
//! evicting the first entry whose bit is clear. A hit costs one hash lookup
//! and one store (no list to relink, unlike exact LRU), and a block read
//! once by a scan or a page of a huge partition is evicted before blocks
//! that are read again.
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

const SHARDS: usize = 16;

/// Which component a cached block belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Data,
    Index,
    /// A clustering-index block (format v2), also in the Index file.
    Clustering,
}

type Key = (u64, u64, Kind);

/// One decompressed block. For index blocks `entries` holds the offset of
/// each index entry inside `raw`, so a lookup binary-searches instead of
/// parsing the block from its start; data blocks leave it empty.
#[derive(Debug, Default)]
pub(crate) struct Block {
    pub raw: Bytes,
    pub entries: Vec<u32>,
}

impl Block {
    /// Bytes charged against the cache budget.
    fn weight(&self) -> usize {
        self.raw.len() + self.entries.len() * 4 + 64
    }
}

struct Slot {
    key: Key,
    block: Arc<Block>,
    referenced: bool,
}

#[derive(Default)]
struct Shard {
    /// Key -> index in `slots`.
    map: HashMap<Key, usize>,
    slots: Vec<Slot>,
    /// The CLOCK hand: next slot to consider for eviction.
    hand: usize,
    bytes: usize,
}

impl Shard {
    fn get(&mut self, key: &Key) -> Option<Arc<Block>> {
        let i = *self.map.get(key)?;
        let slot = self.slots.get_mut(i)?;
        slot.referenced = true;
        Some(Arc::clone(&slot.block))
    }

    fn insert(&mut self, key: Key, block: Arc<Block>) {
        self.bytes += block.weight();
        if let Some(&i) = self.map.get(&key) {
            if let Some(slot) = self.slots.get_mut(i) {
                self.bytes -= slot.block.weight();
                slot.block = block;
            }
            return;
        }
        self.map.insert(key, self.slots.len());
        // A new entry starts unreferenced: it must be hit once to survive a
        // sweep (a block read only once goes first).
        self.slots.push(Slot {
            key,
            block,
            referenced: false,
        });
    }

    /// Removes the slot at `i`; the last slot takes its place.
    fn remove_at(&mut self, i: usize) {
        if i >= self.slots.len() {
            return;
        }
        let gone = self.slots.swap_remove(i);
        self.map.remove(&gone.key);
        self.bytes -= gone.block.weight();
        if let Some(moved) = self.slots.get(i) {
            self.map.insert(moved.key, i);
        }
    }

    /// Evicts by CLOCK until the shard holds at most `capacity` bytes.
    fn evict(&mut self, capacity: usize) {
        while self.bytes > capacity && !self.slots.is_empty() {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let i = self.hand;
            match self.slots.get_mut(i) {
                Some(slot) if slot.referenced => {
                    slot.referenced = false;
                    self.hand += 1;
                }
                _ => self.remove_at(i),
            }
        }
    }
}

/// Decompressed-block cache shared by all SSTables of an engine.
pub struct BlockCache {
    shards: Vec<Mutex<Shard>>,
    shard_capacity: usize,
}

impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlockCache({} bytes/shard)", self.shard_capacity)
    }
}

impl BlockCache {
    /// A cache holding about `capacity` bytes (0 disables caching).
    pub fn new(capacity: u64) -> BlockCache {
        BlockCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_capacity: usize::try_from(capacity / SHARDS as u64).unwrap_or(usize::MAX),
        }
    }

    fn shard(&self, key: &Key) -> &Mutex<Shard> {
        // Fibonacci hashing: the top bits of the product depend on every
        // bit of generation and offset (the blocks of one file spread over
        // all shards, whatever their offsets).
        let h = (key.0 ^ key.1.rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let i = (h >> 59) as usize % SHARDS;
        // `i < SHARDS` and there are exactly SHARDS shards.
        #[allow(clippy::indexing_slicing)]
        &self.shards[i]
    }

    /// The cached block, or `load()`'s result (then cached).
    pub(crate) fn get_or_load<E>(
        &self,
        generation: u64,
        offset: u64,
        kind: Kind,
        load: impl FnOnce() -> Result<Block, E>,
    ) -> Result<Arc<Block>, E> {
        let key = (generation, offset, kind);
        if self.shard_capacity == 0 {
            return load().map(Arc::new);
        }
        let shard = self.shard(&key);
        if let Some(b) = shard.lock().get(&key) {
            return Ok(b);
        }
        let block = Arc::new(load()?);
        if block.weight() <= self.shard_capacity {
            let mut s = shard.lock();
            s.insert(key, Arc::clone(&block));
            s.evict(self.shard_capacity);
        }
        Ok(block)
    }

    /// Drops every block of `generation` (its SSTable is gone).
    pub(crate) fn evict_generation(&self, generation: u64) {
        for shard in &self.shards {
            let mut s = shard.lock();
            let mut i = 0;
            while i < s.slots.len() {
                if s.slots.get(i).is_some_and(|x| x.key.0 == generation) {
                    // The last slot moves to `i`: look at `i` again.
                    s.remove_at(i);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Bytes currently cached.
    pub fn size(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: usize) -> Block {
        Block {
            raw: Bytes::from(vec![7; n]),
            entries: Vec::new(),
        }
    }

    #[test]
    fn caches_and_stays_within_budget() {
        let c = BlockCache::new(16 * 1000);
        let mut loads = 0;
        for _ in 0..3 {
            let b = c
                .get_or_load::<()>(1, 0, Kind::Data, || {
                    loads += 1;
                    Ok(block(100))
                })
                .expect("load");
            assert_eq!(b.raw.len(), 100);
        }
        assert_eq!(loads, 1);
        for off in 0..1000 {
            c.get_or_load::<()>(2, off, Kind::Data, || Ok(block(100)))
                .expect("load");
        }
        assert!(c.size() <= 16 * 1000);
        c.evict_generation(2);
        c.evict_generation(1);
        assert_eq!(c.size(), 0);
    }

    /// CLOCK keeps the blocks that are read again: with a one-shard-sized
    /// hot set re-read between loads of many cold blocks (a scan), every hot
    /// block stays cached, where evicting an arbitrary entry loses them.
    #[test]
    fn hot_blocks_survive_a_scan_of_cold_ones() {
        // 16 shards of 2000 bytes: 12 blocks of 100 (+64) bytes per shard.
        let c = BlockCache::new(16 * 2000);
        let hot: Vec<u64> = (0..32).collect();
        let load = |c: &BlockCache, gen: u64, off: u64| {
            let mut loaded = false;
            c.get_or_load::<()>(gen, off, Kind::Data, || {
                loaded = true;
                Ok(block(100))
            })
            .expect("load");
            loaded
        };
        for &off in &hot {
            load(&c, 1, off);
            load(&c, 1, off);
        }
        for cold in 0..5000 {
            load(&c, 2, cold);
            if cold % 50 == 0 {
                for &off in &hot {
                    load(&c, 1, off);
                }
            }
        }
        let reloaded = hot.iter().filter(|&&off| load(&c, 1, off)).count();
        assert_eq!(reloaded, 0, "hot blocks were evicted by a scan");
        assert!(c.size() <= 16 * 2000);
    }
}
