//! Snapshots (nodetool snapshot / listsnapshots / clearsnapshot): hard links of a
//! table's live SSTable files in `TABLE_DIR/snapshots/TAG/`. SSTables are immutable,
//! so a link is a consistent copy that costs no space until compaction deletes the
//! original; the memtable is flushed first so the snapshot holds every acknowledged
//! write, as Cassandra's does.
use std::path::{Path, PathBuf};

use super::Engine;
use crate::error::{Error, Result};
use crate::sstable::Component;
use crate::types::TableId;

/// Folder under a table's directory that holds its snapshots.
const SNAPSHOTS: &str = "snapshots";

/// One table's snapshot on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub tag: String,
    pub table: TableId,
    pub dir: PathBuf,
    /// Files in the snapshot.
    pub files: usize,
    /// Bytes of those files ("total" in nodetool listsnapshots).
    pub bytes: u64,
}

/// A tag is one path component of plain characters: no `/`, `..` or hidden names.
pub fn check_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 255
        && !tag.starts_with('.')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "invalid snapshot name `{tag}`: use letters, digits, '-', '_' and '.'"
        )))
    }
}

fn dir_usage(dir: &Path) -> Result<(usize, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("list {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("list {}", dir.display()), e))?;
        let meta = entry
            .metadata()
            .map_err(|e| Error::io(format!("stat {}", entry.path().display()), e))?;
        if meta.is_file() {
            files += 1;
            bytes += meta.len();
        }
    }
    Ok((files, bytes))
}

impl Engine {
    /// Flushes `table` and hard-links its live SSTables into `snapshots/TAG/`.
    /// Fails with `InvalidRequest` if the tag already exists for this table.
    pub fn snapshot(&self, table: TableId, tag: &str) -> Result<SnapshotInfo> {
        check_tag(tag)?;
        self.flush(table)?;
        let t = self.table(table)?;
        let dir = t.dir.join(SNAPSHOTS).join(tag);
        if dir.exists() {
            return Err(Error::InvalidRequest(format!(
                "snapshot `{tag}` already exists"
            )));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
        // Holding the version keeps its files alive (obsolete files are deleted only
        // when the last reader lets go), so no compaction can remove one mid-link.
        let (_mts, version) = t.snapshot();
        for s in &version.sstables {
            for c in Component::ALL {
                let src = s.desc.path(c);
                let Some(name) = src.file_name() else {
                    continue;
                };
                let dst = dir.join(name);
                std::fs::hard_link(&src, &dst).map_err(|e| {
                    Error::io(format!("link {} to {}", src.display(), dst.display()), e)
                })?;
            }
        }
        crate::sstable::fsync_dir(&dir)?;
        let (files, bytes) = dir_usage(&dir)?;
        Ok(SnapshotInfo {
            tag: tag.to_string(),
            table,
            dir,
            files,
            bytes,
        })
    }

    /// Every snapshot of every open table, sorted by tag.
    pub fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let tables: Vec<_> = self
            .tables
            .read()
            .values()
            .map(|t| (t.id, t.dir.join(SNAPSHOTS)))
            .collect();
        let mut out = Vec::new();
        for (id, root) in tables {
            let entries = match std::fs::read_dir(&root) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(format!("list {}", root.display()), e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(format!("list {}", root.display()), e))?;
                let dir = entry.path();
                if !dir.is_dir() {
                    continue;
                }
                let (files, bytes) = dir_usage(&dir)?;
                out.push(SnapshotInfo {
                    tag: entry.file_name().to_string_lossy().into_owned(),
                    table: id,
                    dir,
                    files,
                    bytes,
                });
            }
        }
        out.sort_by(|a, b| a.tag.cmp(&b.tag).then(a.table.0.cmp(&b.table.0)));
        Ok(out)
    }

    /// Deletes the snapshots named `tag` (all snapshots when `None`) of every open
    /// table; returns how many table snapshots were removed.
    pub fn clear_snapshot(&self, tag: Option<&str>) -> Result<usize> {
        if let Some(t) = tag {
            check_tag(t)?;
        }
        let mut removed = 0;
        for s in self.list_snapshots()? {
            if tag.is_none_or(|t| t == s.tag) {
                std::fs::remove_dir_all(&s.dir)
                    .map_err(|e| Error::io(format!("remove {}", s.dir.display()), e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::types::{Cell, CellValue, ColumnId, LivenessInfo, Mutation, Row, TableOptions};
    use bytes::Bytes;

    fn put(e: &Engine, t: TableId, k: &'static [u8]) {
        e.apply(&Mutation {
            table: t,
            token: 7,
            key: Bytes::from_static(k),
            rows: vec![Row {
                clustering: Bytes::new(),
                liveness: Some(LivenessInfo {
                    timestamp: 1,
                    ttl: None,
                }),
                cells: vec![Cell {
                    column: ColumnId(1),
                    path: None,
                    timestamp: 1,
                    value: CellValue::Live {
                        value: Bytes::from_static(b"v"),
                        ttl: None,
                    },
                }],
                ..Row::default()
            }],
            ..Mutation::default()
        })
        .expect("apply");
    }

    #[test]
    fn snapshot_links_flushed_sstables_and_clear_removes_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = TableId(uuid::Uuid::from_u128(9));
        let e = Engine::open(
            Config::for_tests(dir.path()),
            &[(t, TableOptions::default())],
        )
        .expect("open");
        put(&e, t, b"a");
        let s = e.snapshot(t, "before-upgrade").expect("snapshot");
        // One flushed SSTable: all of its components are linked.
        assert_eq!(s.files, Component::ALL.len());
        assert!(s.bytes > 0);
        assert!(matches!(
            e.snapshot(t, "before-upgrade"),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            e.snapshot(t, "../escape"),
            Err(Error::InvalidRequest(_))
        ));
        let listed = e.list_snapshots().expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed.first().map(|s| s.tag.as_str()),
            Some("before-upgrade")
        );
        // Compaction replaces the live files; the snapshot keeps its links.
        put(&e, t, b"b");
        e.flush(t).expect("flush");
        e.compact(t).expect("compact");
        assert_eq!(dir_usage(&s.dir).expect("usage").0, Component::ALL.len());
        assert_eq!(e.clear_snapshot(Some("other")).expect("clear"), 0);
        assert_eq!(e.clear_snapshot(Some("before-upgrade")).expect("clear"), 1);
        assert!(!s.dir.exists());
        assert!(e.list_snapshots().expect("list").is_empty());
        e.shutdown().expect("shutdown");
    }
}
