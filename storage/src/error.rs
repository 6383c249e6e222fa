//! The crate's error type. Corruption carries the file and offset so an
//! operator can find the damaged file; a poisoned engine refuses writes after a
//! failed fsync because the kernel may have dropped the dirty pages.
use std::path::PathBuf;

/// Every failure storage reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O call failed; `context` says which file or operation.
    #[error("I/O error ({context}): {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A file's bytes do not decode or do not match their checksum.
    #[error("corrupt file {path} at offset {offset}: {reason}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    /// An earlier fsync or write failed; the engine refuses writes until restart.
    #[error("storage engine is poisoned after a failed write/fsync; restart the node")]
    Poisoned,
    /// The table is not known to the engine (never created, or dropped).
    #[error("unknown table {0}")]
    UnknownTable(uuid::Uuid),
    /// The table already exists.
    #[error("table {0} already exists")]
    TableExists(uuid::Uuid),
    /// A configuration or table option is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The request itself is invalid (for example a bad scan bound).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The engine has been shut down.
    #[error("storage engine is shut down")]
    Shutdown,
    /// A feature this engine does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an `io::Error` with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A corruption error for `path` at `offset`.
    pub(crate) fn corrupt(
        path: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Self {
        Error::Corrupt {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}
