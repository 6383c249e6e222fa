//! The commit log: every mutation is appended here before it reaches a
//! memtable, so a crash loses nothing the sync mode promised to keep. One log
//! per node, shared by all tables, split into segments
//! `CommitLog-1-<id>.log` (format in docs/storage-format.md). A segment is
//! deleted once every table with records in it has flushed past them.
//! Replay (`replay`) runs at start-up before the writer opens a new segment.
use std::path::{Path, PathBuf};

mod record;
mod replay;
mod writer;

// The record codec is also how the server persists a Paxos proposal (a mutation).
pub use record::{encode_record, next_record, Next, HEADER_LEN, VERSION};
pub use replay::{replay, ReplayStats};
pub use writer::CommitLog;

/// A place in the log: (segment id, byte offset in the segment). Segment ids
/// grow forever, across restarts, so positions order all records ever
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// File name of segment `id`.
pub fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("CommitLog-{}-{:020}.log", record::VERSION, id))
}

/// Segment files in `dir`, by id ascending. Other files are ignored.
pub fn list_segments(dir: &Path) -> crate::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(crate::Error::io(format!("list {}", dir.display()), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| crate::Error::io(format!("list {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let id = name
            .strip_prefix("CommitLog-1-")
            .and_then(|s| s.strip_suffix(".log"))
            .and_then(|s| s.parse::<u64>().ok());
        if let Some(id) = id {
            out.push((id, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// A 100-byte-key mutation of table 1 at `token`, for the writer's and replay's tests.
#[cfg(test)]
fn test_mutation(token: i64) -> crate::types::Mutation {
    crate::types::Mutation {
        table: crate::types::TableId(uuid::Uuid::from_u128(1)),
        token,
        key: bytes::Bytes::from(vec![7u8; 100]),
        ..crate::types::Mutation::default()
    }
}
