//! Deleting stale index entries in the background, as Cassandra's legacy index does
//! when a read finds an entry whose base row no longer holds the value.
//!
//! Only an entry provably superseded is deleted: its base cell holds another value
//! written after the entry (a newer timestamp). The deletion is a row tombstone at
//! the entry's own timestamp, so a later write of the same value (a newer entry)
//! survives it. An entry whose base row is simply missing is left alone: entries are
//! written before their base mutation, so a concurrent write may not have landed
//! yet (such entries expire with their TTL, or stay as harmless dead weight).

use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use storage::{DeletionTime, Engine, Mutation, Row};

/// Deletions waiting for the cleaner; more are dropped (it is best effort, and the
/// next read finds the entries again).
const QUEUE: usize = 4096;

type Job = (Arc<Engine>, Mutation);

static CLEANER: LazyLock<Option<parking_lot::Mutex<SyncSender<Job>>>> = LazyLock::new(|| {
    let (tx, rx) = sync_channel::<Job>(QUEUE);
    let spawned = std::thread::Builder::new()
        .name("index-cleaner".into())
        .spawn(move || {
            for (engine, m) in rx {
                // A dropped index or a stopping engine: nothing to clean.
                let _ = engine.apply(&m);
            }
        });
    spawned.ok().map(|_| parking_lot::Mutex::new(tx))
});

/// One entry of index partition `(token, key)`: its clustering and timestamp.
pub struct StaleEntry<'a> {
    pub table: storage::TableId,
    pub token: i64,
    pub key: &'a Bytes,
    pub clustering: &'a Bytes,
    pub timestamp: i64,
}

/// Queues the deletion of `e`.
pub fn forget(engine: &Arc<Engine>, e: StaleEntry<'_>) {
    let m = Mutation {
        table: e.table,
        token: e.token,
        key: e.key.clone(),
        rows: vec![Row {
            clustering: e.clustering.clone(),
            deletion: Some(DeletionTime {
                marked_for_delete_at: e.timestamp,
                local_deletion_time: crate::exec::clock::now_seconds() as i32,
            }),
            ..Row::default()
        }],
        ..Mutation::default()
    };
    if let Some(tx) = CLEANER.as_ref() {
        let _ = tx.lock().try_send((engine.clone(), m));
    }
}

/// Whether base row `row` shows the entry of `value` written at `entry_ts` stale:
/// its cell of `column` holds another value, written later.
pub fn superseded(row: &Row, column: storage::ColumnId, value: &[u8], entry_ts: i64) -> bool {
    row.cells.iter().any(|c| {
        c.column == column
            && c.path.is_none()
            && c.timestamp > entry_ts
            && matches!(&c.value, storage::CellValue::Live { value: v, .. } if v[..] != *value)
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use storage::{Cell, CellValue, ColumnId, Row};

    use super::superseded;

    fn row(value: &'static [u8], ts: i64) -> Row {
        Row {
            cells: vec![Cell {
                column: ColumnId(2),
                path: None,
                timestamp: ts,
                value: CellValue::Live {
                    value: Bytes::from_static(value),
                    ttl: None,
                },
            }],
            ..Row::default()
        }
    }

    #[test]
    fn only_a_newer_other_value_proves_an_entry_stale() {
        assert!(superseded(&row(b"new", 20), ColumnId(2), b"old", 10));
        // The same value: the entry is right (or a newer one exists).
        assert!(!superseded(&row(b"old", 20), ColumnId(2), b"old", 10));
        // An older cell: the entry may belong to a write still landing.
        assert!(!superseded(&row(b"new", 5), ColumnId(2), b"old", 10));
        assert!(!superseded(&row(b"new", 20), ColumnId(3), b"old", 10));
        assert!(!superseded(&Row::default(), ColumnId(2), b"old", 10));
    }
}
