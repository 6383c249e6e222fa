//! Building an index from its table's existing rows, in the background, and the
//! built state queries consult.
//!
//! CREATE INDEX returns at once; a thread scans the base table and writes the entries
//! of every row (the same [`Indexed::entries`] as writes, on each scanned partition
//! turned into a mutation, so entries keep the cells' timestamps and TTLs). Writes
//! made meanwhile add their own entries. Until the build ends queries scan the base
//! table instead (right answers, O(table)). The end is recorded in the index table's
//! meta partition, so a restart knows the index is built; an index found unbuilt at
//! restart (a build cut short) is built again from the start (entries are
//! idempotent).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use storage::{Engine, LivenessInfo, Mutation, ReadCommand, Row, ScanBound, ScanCommand};
use uuid::Uuid;

use super::entries::Indexed;
use super::layout;
use crate::schema::{IndexDef, TableDef};

/// Base rows read per scan call of a build.
const BUILD_CHUNK: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Building,
    Built,
}

/// Writes hold it shared from before they read the schema until their mutations are
/// applied; a build takes it exclusively once before scanning (Cassandra's write
/// barrier). A write that saw the schema without the new index has then landed,
/// so the scan sees it; every later write writes the index's entries itself.
static WRITE_ORDER: parking_lot::RwLock<()> = parking_lot::RwLock::new(());

/// The shared side of [`WRITE_ORDER`], for the duration of one write (never held
/// twice by one thread: a waiting build would deadlock it).
pub fn write_order() -> parking_lot::RwLockReadGuard<'static, ()> {
    WRITE_ORDER.read()
}

/// Index table id to state, for the indexes this process has looked at.
static STATES: LazyLock<Mutex<HashMap<Uuid, State>>> = LazyLock::new(Default::default);

/// Whether index `i` of `t` is built and can answer queries. The first call for an
/// index (after CREATE INDEX or a restart) reads its meta partition and starts the
/// build if it is not finished.
pub fn is_built(engine: &Arc<Engine>, t: &TableDef, i: &IndexDef) -> bool {
    let Some(id) = i.table_id else {
        return false;
    };
    let mut states = STATES.lock();
    match states.get(&id) {
        Some(s) => return *s == State::Built,
        None if meta_says_built(engine, id) => {
            states.insert(id, State::Built);
            return true;
        }
        None => {
            states.insert(id, State::Building);
        }
    }
    drop(states);
    let name = i.name.clone();
    let (engine, t, i) = (engine.clone(), t.clone(), i.clone());
    let spawned = std::thread::Builder::new()
        .name(format!("index-build-{name}"))
        .spawn(move || {
            let r = build(&engine, &t, &i);
            let mut states = STATES.lock();
            match r {
                Ok(()) => {
                    tracing::info!(index = %i.name, "index built");
                    states.insert(id, State::Built);
                }
                Err(e) => {
                    // Dropped meanwhile, or storage failed: the next query retries.
                    tracing::warn!(index = %i.name, error = %e, "index build stopped");
                    states.remove(&id);
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(index = %name, error = %e, "cannot start the index build");
        STATES.lock().remove(&id);
    }
    false
}

/// Starts the builds of `t`'s indexes that are not built (after CREATE INDEX).
pub fn start(engine: &Arc<Engine>, t: &TableDef) {
    for i in &t.indexes {
        is_built(engine, t, i);
    }
}

/// At node start: learns which indexes are built and resumes the builds a restart
/// cut short.
pub fn resume_all(engine: &Arc<Engine>, schema: &crate::schema::Schema) {
    for t in schema.all_tables() {
        start(engine, t);
    }
}

/// `(keyspace, index)` of every built index of `schema`, for `system."IndexInfo"`.
pub fn built(schema: &crate::schema::Schema) -> Vec<(String, String)> {
    let states = STATES.lock();
    schema
        .all_tables()
        .flat_map(|t| t.indexes.iter().map(move |i| (t, i)))
        .filter(|(_, i)| {
            i.table_id
                .is_some_and(|id| states.get(&id) == Some(&State::Built))
        })
        .map(|(t, i)| (t.keyspace.clone(), i.name.clone()))
        .collect()
}

fn meta_key() -> (i64, bytes::Bytes) {
    let key = bytes::Bytes::from_static(layout::META_KEY);
    (crate::coordinator::Coordinator::token(&key), key)
}

fn meta_says_built(engine: &Engine, id: Uuid) -> bool {
    let (token, key) = meta_key();
    let now = crate::exec::clock::now_seconds() as i32;
    let cmd = ReadCommand::whole(storage::TableId(id), token, key, now);
    matches!(engine.read(&cmd), Ok(Some(p)) if !p.rows.is_empty())
}

/// Records that index table `id` holds every entry (after a build or TRUNCATE).
pub fn mark_built(engine: &Engine, id: Uuid) -> Result<(), storage::Error> {
    let (token, key) = meta_key();
    engine.apply(&Mutation {
        table: storage::TableId(id),
        token,
        key,
        rows: vec![Row {
            liveness: Some(LivenessInfo {
                timestamp: crate::exec::clock::wall_micros(),
                ttl: None,
            }),
            ..Row::default()
        }],
        ..Mutation::default()
    })
}

/// Writes the entries of every row of `t` for index `i`, then marks it built.
fn build(engine: &Engine, t: &TableDef, i: &IndexDef) -> Result<(), storage::Error> {
    let (Some(spec), Some(id)) = (Indexed::new(t, i), i.table_id) else {
        return Ok(());
    };
    drop(WRITE_ORDER.write());
    let mut start = ScanBound::Start;
    loop {
        let cmd = build_scan(
            storage::TableId(t.id),
            start.clone(),
            crate::exec::clock::now_seconds() as i32,
        );
        let parts = engine.scan(&cmd)?;
        let mut read = 0usize;
        let mut out = Vec::new();
        for p in &parts {
            read += p.rows.len().max(usize::from(p.rows.is_empty()));
            let m = Mutation {
                table: cmd.table,
                token: p.token,
                key: p.key.clone(),
                static_row: p.static_row.clone(),
                rows: p.rows.clone(),
                ..Mutation::default()
            };
            spec.entries(&m, &mut out);
        }
        for m in crate::exec::modify::merge_mutations(out) {
            engine.apply(&m)?;
        }
        let Some(last) = parts.last() else { break };
        if read < BUILD_CHUNK {
            break;
        }
        // Entries are idempotent: re-reading a partition's static row is harmless.
        start = scan_after(last);
    }
    mark_built(engine, id)
}

/// The next chunk of a whole-table scan from `start`, as builds (index, view) read
/// the rows a table already holds.
pub fn build_scan(table: storage::TableId, start: ScanBound, now_seconds: i32) -> ScanCommand {
    ScanCommand {
        table,
        start,
        end_token: None,
        row_limit: BUILD_CHUNK,
        partition_limit: None,
        per_partition_limit: None,
        slices: Vec::new(),
        now_seconds,
    }
}

/// Where a scan that returned `last` last continues: after its last row, or after
/// it when it had only a static row. Builds (index, view) restart scans with it.
pub fn scan_after(last: &storage::Partition) -> ScanBound {
    match last.rows.last() {
        Some(r) => ScanBound::AfterRow {
            token: last.token,
            key: last.key.clone(),
            clustering: r.clustering.clone(),
        },
        None => ScanBound::AfterPartition {
            token: last.token,
            key: last.key.clone(),
        },
    }
}
