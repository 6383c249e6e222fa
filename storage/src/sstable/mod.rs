//! SSTables: immutable sorted files of partitions, one set of files per
//! generation in the table's directory (format in docs/storage-format.md,
//! "SSTable"). `writer` builds them (every file written to a temp name,
//! fsynced, renamed; the TOC last, so an SSTable exists iff its TOC does);
//! `reader` serves point reads (bloom filter, summary, one index block, one
//! data block) and ordered iteration through memmap2.
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

#[cfg(test)]
use bytes::Bytes;

use crate::error::{Error, Result};

mod block;
mod cache;
mod chunk;
pub(crate) mod copy;
mod filter;
mod public;
mod reader;
mod stats;
mod window;
mod writer;

pub use cache::BlockCache;
pub(crate) use copy::{newest_covering, unchanged};
pub use filter::KeyFilter;
pub use public::{IndexEntry, SstableReader, VerifyReport};
pub(crate) use reader::{SsTable, SstableIter};
pub use stats::Stats;
pub(crate) use window::{RowWindow, Windowed};
pub(crate) use writer::SstableWriter;

/// SSTable format version written by this code. Version 1 (a partition is
/// one run of rows inside one block) and version 2 (chunks and a clustering
/// index, every block lz4) are still read; version 3 stores a block raw when
/// lz4 does not shrink it enough (`block`).
pub const FORMAT_VERSION: u32 = 3;

/// The component files of one SSTable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Data,
    Index,
    Summary,
    Filter,
    Statistics,
    Toc,
}

impl Component {
    pub const ALL: [Component; 6] = [
        Component::Data,
        Component::Index,
        Component::Summary,
        Component::Filter,
        Component::Statistics,
        Component::Toc,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Component::Data => "Data.db",
            Component::Index => "Index.db",
            Component::Summary => "Summary.db",
            Component::Filter => "Filter.db",
            Component::Statistics => "Statistics.db",
            Component::Toc => "TOC.txt",
        }
    }
}

/// Where one SSTable's files live: table directory + generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub dir: PathBuf,
    pub generation: u64,
}

impl Descriptor {
    pub fn new(dir: &Path, generation: u64) -> Descriptor {
        Descriptor {
            dir: dir.to_path_buf(),
            generation,
        }
    }

    /// Final path of a component: `hl-<generation>-<Component>`.
    pub fn path(&self, c: Component) -> PathBuf {
        self.dir
            .join(format!("hl-{}-{}", self.generation, c.suffix()))
    }

    /// Temporary path a component is written to before its rename.
    pub fn tmp_path(&self, c: Component) -> PathBuf {
        self.dir
            .join(format!("hl-{}-{}.tmp", self.generation, c.suffix()))
    }

    /// Deletes all files (final and temporary) of this SSTable. The TOC goes
    /// first, made durable, so a crash part-way leaves an incomplete SSTable
    /// (no TOC: deleted at the next start) and never a TOC whose Data or
    /// Index file is already gone (the node would refuse to start).
    pub fn delete_files(&self) {
        let remove = |p: PathBuf| match std::fs::remove_file(&p) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "cannot delete");
                false
            }
        };
        if remove(self.path(Component::Toc)) {
            if let Err(e) = fsync_dir(&self.dir) {
                tracing::warn!(error = %e, "cannot fsync after deleting a TOC");
            }
        }
        for c in Component::ALL {
            for p in [self.path(c), self.tmp_path(c)] {
                remove(p);
            }
        }
    }
}

/// Parses the generation out of an SSTable file name.
pub fn generation_of(file_name: &str) -> Option<u64> {
    file_name
        .strip_prefix("hl-")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Generations in `dir`: (complete ones with a TOC, incomplete leftovers).
pub fn list_generations(dir: &Path) -> Result<(Vec<u64>, Vec<u64>)> {
    let mut complete = std::collections::BTreeSet::new();
    let mut all = std::collections::BTreeSet::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
        Err(e) => return Err(Error::io(format!("list {}", dir.display()), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("list {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(g) = generation_of(name) {
            all.insert(g);
            if name.ends_with("-TOC.txt") {
                complete.insert(g);
            }
        }
    }
    let incomplete = all.difference(&complete).copied().collect();
    Ok((complete.into_iter().collect(), incomplete))
}

/// fsyncs a directory so renames and creations in it are durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("fsync dir {}", dir.display()), e))
}

/// Writes `bytes` to `tmp`, fsyncs it and renames it to `dst` (the caller
/// fsyncs the directory once for all renames).
pub(crate) fn write_atomic(tmp: &Path, dst: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(tmp).map_err(|e| Error::io(format!("create {}", tmp.display()), e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(format!("write {}", tmp.display()), e))?;
    std::fs::rename(tmp, dst).map_err(|e| Error::io(format!("rename {}", dst.display()), e))
}

/// Appends an xxh3-64 checksum to a small metadata file's bytes.
pub(crate) fn seal(mut bytes: Vec<u8>) -> Vec<u8> {
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

/// Checks and strips the checksum `seal` appended.
pub(crate) fn unseal<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a [u8]> {
    let n = bytes
        .len()
        .checked_sub(8)
        .ok_or_else(|| Error::corrupt(path, 0, "file shorter than its checksum"))?;
    let (body, sum) = bytes.split_at(n);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if xxhash_rust::xxh3::xxh3_64(body) != u64::from_le_bytes(s) {
        return Err(Error::corrupt(path, 0, "checksum mismatch"));
    }
    Ok(body)
}

/// A test row: clustering `ck`, one live cell of column 1.
#[cfg(test)]
pub(crate) fn test_row(ck: Bytes, timestamp: i64, value: Bytes) -> crate::types::Row {
    use crate::types::{Cell, CellValue, ColumnId, Row};
    Row {
        clustering: ck,
        cells: vec![Cell {
            column: ColumnId(1),
            path: None,
            timestamp,
            value: CellValue::Live { value, ttl: None },
        }],
        ..Row::default()
    }
}

#[cfg(test)]
mod tests;
