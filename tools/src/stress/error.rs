//! Errors of helenus-stress that stop a run (bad arguments, a bad profile, a node that
//! cannot be reached or refuses the schema). Failures of individual operations during
//! the run are not errors here: they are counted by type in [`super::stats`].

use std::path::PathBuf;

use cql::error::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// The command line does not parse; the message names the offending word.
    #[error("invalid arguments: {0}")]
    Args(String),
    #[error("cannot read profile {path}: {source}")]
    ProfileRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid profile {path}: {message}")]
    Profile { path: PathBuf, message: String },
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("connection to {addr} failed: {source}")]
    Io {
        addr: String,
        source: std::io::Error,
    },
    /// The node answered with something the protocol does not allow here.
    #[error("protocol error from {addr}: {message}")]
    Protocol { addr: String, message: String },
    /// The node answered a setup request (schema, PREPARE) with an ERROR.
    #[error("{what} failed: {body}")]
    Server { what: String, body: Box<ErrorBody> },
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = StressError> = std::result::Result<T, E>;

/// Shorthand for argument errors.
pub(crate) fn args<T>(msg: impl Into<String>) -> Result<T> {
    Err(StressError::Args(msg.into()))
}
