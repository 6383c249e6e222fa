//! helenus-sstable: offline inspection of one node's SSTables, like Cassandra's
//! sstablemetadata / sstabledump / sstableverify (docs/SSTABLE_TOOL.md).
//! Subcommands: `describe` (statistics), `dump` (partitions as JSON lines), `verify`
//! (every block checksum, index and statistics cross-checks) and `index` (partition
//! index entries). It reads files through `storage::sstable::SstableReader` and never
//! writes; run it on a stopped node or on a snapshot (files are immutable, so a running
//! node is fine too, but a compaction may delete the files under it).
//!
//! Storage is schema-agnostic, so keys, clustering prefixes and values are printed as
//! hex bytes and columns by their numeric id.

mod describe;
mod dump;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use storage::sstable::{generation_of, SstableReader};

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: an SSTable is corrupt or cannot be read.
pub const EXIT_CORRUPT: i32 = 1;
/// Exit status: bad command line.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "helenus-sstable",
    version,
    about = "Inspect and verify Helenus SSTables offline"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print an SSTable's statistics (format version, partitions, timestamps, sizes).
    Describe {
        /// Any component file of the SSTable (e.g. .../hl-3-Data.db).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the partitions as JSON, one line per partition.
    Dump {
        /// Any component file of the SSTable.
        path: PathBuf,
        /// Only the partition with this key (hex bytes).
        #[arg(long)]
        key: Option<String>,
    },
    /// Check every block checksum and the index against the data. Exit 1 on damage.
    Verify {
        /// Any component file of each SSTable to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the partition index entries (token, key, block offsets).
    Index {
        /// Any component file of the SSTable.
        path: PathBuf,
    },
}

/// What went wrong, for the exit status and message.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{0}: not an SSTable component file (expected hl-<generation>-<Component>)")]
    NotAnSstable(PathBuf),
    #[error("{0}")]
    Storage(#[from] storage::Error),
    #[error("--key must be hex bytes: {0}")]
    BadKey(String),
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// Opens the SSTable one of whose component files is `path`.
pub fn open(path: &Path) -> Result<SstableReader, ToolError> {
    let generation = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(generation_of)
        .ok_or_else(|| ToolError::NotAnSstable(path.to_path_buf()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok(SstableReader::open(dir, generation)?)
}

/// Lower-case hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, ToolError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return Err(ToolError::BadKey(s.to_string()));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| ToolError::BadKey(s.to_string()))
        })
        .collect()
}

/// Runs one command, writing to `out`; returns the exit status.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<i32, ToolError> {
    match cli.command {
        Command::Describe { paths } => {
            for (i, p) in paths.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                describe::describe(&open(p)?, out)?;
            }
            Ok(EXIT_OK)
        }
        Command::Dump { path, key } => {
            let key = key.as_deref().map(unhex).transpose()?;
            dump::dump(&open(&path)?, key.as_deref(), out)?;
            Ok(EXIT_OK)
        }
        Command::Verify { paths } => {
            let mut status = EXIT_OK;
            for p in &paths {
                // Keep going: an operator wants every damaged file in one run.
                match open(p).and_then(|r| Ok((r.verify_all()?, r))) {
                    Ok((rep, r)) => writeln!(
                        out,
                        "{}: OK ({} partitions, {} data blocks, {} index blocks, {} clustering \
                         index entries)",
                        r.path(storage::sstable::Component::Data).display(),
                        rep.partitions,
                        rep.data_blocks,
                        rep.index_blocks,
                        rep.clustering_chunks
                    )?,
                    Err(e) => {
                        writeln!(out, "{}: CORRUPT: {e}", p.display())?;
                        status = EXIT_CORRUPT;
                    }
                }
            }
            Ok(status)
        }
        Command::Index { path } => {
            let r = open(&path)?;
            writeln!(
                out,
                "token\tkey\tindex_block\tdata_block\toffset_in_block\tclustering_chunks"
            )?;
            for e in r.index_entries()? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    e.token,
                    hex(&e.key),
                    e.index_block,
                    e.data_block,
                    e.offset_in_block,
                    e.clustering_chunks
                )?;
            }
            Ok(EXIT_OK)
        }
    }
}

/// Entry point of the binary: parses the command line, runs, maps errors to the exit
/// status (1 for an unreadable or corrupt SSTable, 2 for usage).
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(cli, &mut out) {
        Ok(code) => code,
        Err(e) => {
            let _ = out.flush();
            eprintln!("helenus-sstable: {e}");
            match e {
                ToolError::NotAnSstable(_) | ToolError::BadKey(_) => EXIT_USAGE,
                ToolError::Storage(_) | ToolError::Output(_) => EXIT_CORRUPT,
            }
        }
    }
}

#[cfg(test)]
mod tests;
