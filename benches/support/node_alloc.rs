//! The node's allocator and its options (server/src/main.rs), for benches whose
//! numbers depend on them (freeing a flushed memtable, SSTable buffers); shared by
//! benches through `#[path = "support/node_alloc.rs"] mod node_alloc;`.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: &u8 = &b"background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0\0"[0];
