//! The prepared-statement cache: id -> prepared statement, bounded by count.
//!
//! Reads (every EXECUTE) take a shared lock and bump an access tick; only PREPARE
//! takes the write lock. When the cache is full, the least recently used eighth is
//! evicted in one pass, so eviction cost is amortised over many PREPAREs.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;

/// A 16-byte statement id, from two independent 64-bit hashes of the keyspace and
/// the query text (Cassandra uses MD5; any stable 16 bytes will do for clients, which
/// treat the id as opaque).
pub fn statement_id(keyspace: Option<&str>, text: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, seed) in [0x9E37_79B9_7F4A_7C15u64, 0xC2B2_AE3D_27D4_EB4F]
        .iter()
        .enumerate()
    {
        let mut h = DefaultHasher::new();
        seed.hash(&mut h);
        keyspace.hash(&mut h);
        text.hash(&mut h);
        let v = h.finish().to_be_bytes();
        out[i * 8..i * 8 + 8].copy_from_slice(&v);
    }
    out
}

/// A statement id as the map's key: hashed as two words (still with the map's keyed
/// SipHash, as ids come from clients), where a `[u8; 16]` key hashes its length and
/// then its bytes through the hasher's byte buffer, twice the work on every EXECUTE.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key([u8; 16]);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b] = [&self.0[..8], &self.0[8..]].map(|w| {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            u64::from_le_bytes(word)
        });
        state.write_u64(a);
        state.write_u64(b);
    }
}

struct Entry<T> {
    value: Arc<T>,
    last_used: AtomicU64,
}

/// A count-bounded map from statement id to prepared statement.
pub struct PreparedCache<T> {
    capacity: usize,
    tick: AtomicU64,
    map: RwLock<HashMap<Key, Entry<T>>>,
}

impl<T> PreparedCache<T> {
    pub fn new(capacity: usize) -> Self {
        PreparedCache {
            capacity: capacity.max(8),
            tick: AtomicU64::new(0),
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The statement with this id, if cached. Ids of the wrong length are unknown.
    pub fn get(&self, id: &[u8]) -> Option<Arc<T>> {
        let key = Key(id.try_into().ok()?);
        let map = self.map.read();
        let e = map.get(&key)?;
        e.last_used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(e.value.clone())
    }

    /// Caches `value` under `id` (replacing any previous statement with that id).
    pub fn insert(&self, id: [u8; 16], value: Arc<T>) {
        let mut map = self.map.write();
        let id = Key(id);
        if map.len() >= self.capacity && !map.contains_key(&id) {
            let mut ages: Vec<(u64, Key)> = map
                .iter()
                .map(|(k, e)| (e.last_used.load(Ordering::Relaxed), *k))
                .collect();
            ages.sort_unstable();
            let evict = (self.capacity / 8).max(1);
            for (_, k) in ages.into_iter().take(evict) {
                map.remove(&k);
            }
        }
        let entry = Entry {
            value,
            last_used: AtomicU64::new(self.tick.fetch_add(1, Ordering::Relaxed)),
        };
        map.insert(id, entry);
    }

    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The id as the protocol carries it.
pub fn id_bytes(id: &[u8; 16]) -> Bytes {
    Bytes::copy_from_slice(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_id_depends_on_keyspace_and_text() {
        let a = statement_id(Some("ks"), "SELECT * FROM t");
        assert_eq!(a, statement_id(Some("ks"), "SELECT * FROM t"));
        assert_ne!(a, statement_id(Some("ks2"), "SELECT * FROM t"));
        assert_ne!(a, statement_id(None, "SELECT * FROM t"));
        assert_ne!(a, statement_id(Some("ks"), "SELECT * FROM u"));
    }

    #[test]
    fn cache_is_bounded_and_keeps_recently_used() {
        let c = PreparedCache::new(16);
        let hot = statement_id(None, "hot");
        c.insert(hot, Arc::new(0usize));
        for i in 0..100usize {
            assert!(c.get(&hot).is_some(), "hot entry evicted at {i}");
            c.insert(statement_id(None, &i.to_string()), Arc::new(i));
            assert!(c.len() <= 16);
        }
        assert_eq!(*c.get(&statement_id(None, "99")).unwrap(), 99);
        assert!(c.get(&statement_id(None, "0")).is_none());
        assert!(c.get(b"short").is_none());
    }
}
