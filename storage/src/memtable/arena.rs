//! Where a memtable shard keeps its partitions: an append-only sequence of fixed-size
//! chunks, addressed by a `u32` index. The shard's token B-tree maps a token to an
//! index instead of owning the partition.
//!
//! Why: with each partition in its own heap allocation (a one-entry vector per token),
//! dropping a flushed memtable walked the B-tree in token order, which is random with
//! respect to the order the partitions (and their cell vectors) were allocated in: a
//! cache miss or several per row, ~1 µs per row, 10.7% of the node's CPU under
//! sustained writes (docs/PERFORMANCE.md, "Memtable CPU per row, session 6"). Chunks
//! hold the partitions in write order, so a drop frees them (and the cell vectors
//! allocated next to them at the same time) front to back, and an insert is one
//! allocation per [`CHUNK`] partitions instead of one each. A B-tree slot is 12 bytes
//! (token, index) instead of 32, so the search touches fewer lines too.
//!
//! The first chunk grows by doubling up to [`CHUNK`] entries (the many small tables of
//! a node keep a few partitions per shard); later chunks are allocated whole.

/// Entries per chunk once a shard holds more than one chunk's worth.
pub(crate) const CHUNK: usize = 16;

/// Append-only storage of `T`s, addressed by the index [`Arena::push`] returns.
pub(crate) struct Arena<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Arena<T> {
    pub const fn new() -> Self {
        Arena { chunks: Vec::new() }
    }

    /// Stores `v`; returns its index, or gives `v` back if the index space (`u32`) is
    /// exhausted.
    pub fn push(&mut self, v: T) -> Result<u32, T> {
        // Every chunk but the last is full.
        let held =
            self.chunks.len().saturating_sub(1) * CHUNK + self.chunks.last().map_or(0, Vec::len);
        let Ok(index) = u32::try_from(held) else {
            return Err(v);
        };
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => {
                if chunk.len() == chunk.capacity() {
                    // Doubling, but never past CHUNK: index i lives at (i / CHUNK, i % CHUNK).
                    let want = (chunk.capacity() * 2).min(CHUNK);
                    chunk.reserve_exact(want - chunk.len());
                }
                chunk.push(v);
            }
            _ => {
                // Only the first chunk starts small (see the module docs).
                let mut chunk = Vec::with_capacity(if self.chunks.is_empty() { 1 } else { CHUNK });
                chunk.push(v);
                self.chunks.push(chunk);
            }
        }
        Ok(index)
    }

    /// Takes every entry out, as chunks in index order (the arena is left empty).
    pub fn take_chunks(&mut self) -> Vec<Vec<T>> {
        std::mem::take(&mut self.chunks)
    }

    pub fn get(&self, index: u32) -> Option<&T> {
        let i = index as usize;
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn get_mut(&mut self, index: u32) -> Option<&mut T> {
        let i = index as usize;
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// Entries allocated (held or room for), for tests of the growth policy.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_address_what_was_pushed_across_chunks() {
        let mut a = Arena::new();
        let n = 5 * CHUNK + 3;
        for i in 0..n {
            assert_eq!(a.push(i.to_string()), Ok(i as u32));
        }
        for i in (0..n).rev() {
            assert_eq!(a.get(i as u32), Some(&i.to_string()));
        }
        assert_eq!(a.get(n as u32), None);
        if let Some(v) = a.get_mut(CHUNK as u32) {
            v.push('!');
        }
        assert_eq!(a.get(CHUNK as u32).map(String::as_str), Some("16!"));
    }

    #[test]
    fn small_arenas_stay_small_and_big_ones_waste_under_a_chunk() {
        let mut a = Arena::new();
        for i in 0..3u8 {
            assert!(a.push(i).is_ok());
        }
        assert_eq!(a.capacity(), 4);
        for i in 3..(10 * CHUNK + 1) {
            assert!(a.push(i as u8).is_ok());
        }
        assert_eq!(a.capacity(), 11 * CHUNK);
    }
}
