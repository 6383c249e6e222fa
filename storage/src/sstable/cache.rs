//! A node-wide cache of decompressed SSTable blocks for point reads, so a
//! hot partition costs one hash lookup and one partition decode instead of
//! an lz4 decompression. Sharded mutexes keep contention low; eviction is
//! arbitrary (whatever entry the hash map yields first) once a shard is over
//! its byte budget: cheap, and good enough for a hot set that fits.
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

#[derive(Default)]
struct Shard {
    map: HashMap<Key, Arc<Block>>,
    bytes: usize,
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
        let h = key.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key.1.rotate_left(17);
        let i = (h >> 32) as usize % SHARDS;
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
        if let Some(b) = shard.lock().map.get(&key) {
            return Ok(Arc::clone(b));
        }
        let block = Arc::new(load()?);
        let mut s = shard.lock();
        if block.weight() <= self.shard_capacity {
            if let Some(old) = s.map.insert(key, Arc::clone(&block)) {
                s.bytes -= old.weight();
            }
            s.bytes += block.weight();
            while s.bytes > self.shard_capacity {
                let Some(k) = s.map.keys().next().copied() else {
                    break;
                };
                if let Some(old) = s.map.remove(&k) {
                    s.bytes -= old.weight();
                }
            }
        }
        Ok(block)
    }

    /// Drops every block of `generation` (its SSTable is gone).
    pub(crate) fn evict_generation(&self, generation: u64) {
        for shard in &self.shards {
            let mut s = shard.lock();
            let before = s.map.len();
            let mut freed = 0;
            s.map.retain(|k, v| {
                let keep = k.0 != generation;
                if !keep {
                    freed += v.weight();
                }
                keep
            });
            if s.map.len() != before {
                s.bytes -= freed;
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
}
