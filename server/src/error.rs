//! The one place where internal failures become protocol errors.
//!
//! Every request path of the node (`query`, `exec`, `coordinator`, `schema`) returns a
//! [`RequestError`]; the transport turns it into an ERROR body with
//! [`RequestError::to_error_body`]. The mapping is a single exhaustive match so that a
//! new variant anywhere stops the build until somebody decides its error code.

use bytes::Bytes;
use cql::error::{ErrorBody, WriteType};
use cql::wire::Consistency;

use crate::schema::SchemaError;

/// Why a request failed, in the vocabulary of the native protocol's error codes.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The statement text does not parse (0x2000), with the parser's message.
    #[error("{0}")]
    Parse(#[from] cql::parser::ParseError),
    /// A syntax error found after parsing (0x2000), e.g. a bad selector shape.
    #[error("{0}")]
    Syntax(String),
    /// The statement is well-formed but invalid (0x2200).
    #[error("{0}")]
    Invalid(String),
    /// A DDL or execution failure from the schema layer.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// EXECUTE or BATCH named a prepared id this node does not know (0x2500).
    #[error("Prepared query with ID {} not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", hex(.0))]
    Unprepared(Bytes),
    /// Not enough live replicas for the consistency level (0x1000).
    #[error("Cannot achieve consistency level {cl:?}")]
    Unavailable {
        cl: Consistency,
        required: i32,
        alive: i32,
    },
    /// Replicas did not acknowledge a write in time (0x1100).
    #[error("Operation timed out - received only {received} responses.")]
    WriteTimeout {
        cl: Consistency,
        received: i32,
        block_for: i32,
        write_type: WriteType,
    },
    /// Replicas did not answer a read in time (0x1200).
    #[error("Operation timed out - received only {received} responses.")]
    ReadTimeout {
        cl: Consistency,
        received: i32,
        block_for: i32,
        data_present: bool,
    },
    /// A native function failed on its input (0x1400), e.g. an integer division by
    /// zero: Cassandra's `OperationExecutionException`.
    #[error("{message}")]
    FunctionFailure {
        keyspace: String,
        function: String,
        arg_types: Vec<String>,
        message: String,
    },
    /// TRUNCATE failed (0x1003).
    #[error("{0}")]
    Truncate(String),
    /// The storage engine failed (0x0000); the message says what it was doing.
    #[error("storage: {0}")]
    Storage(#[from] storage::Error),
    /// A malformed request the protocol layer let through (0x000A), e.g. a paging
    /// state that is not ours.
    #[error("{0}")]
    Protocol(String),
    /// Anything else that is our fault (0x0000).
    #[error("{0}")]
    Server(String),
}

impl RequestError {
    /// A shorthand for the most common error, InvalidRequest.
    pub fn invalid(msg: impl Into<String>) -> Self {
        RequestError::Invalid(msg.into())
    }

    /// The ERROR body the client receives for this failure.
    pub fn to_error_body(&self) -> ErrorBody {
        match self {
            RequestError::Parse(e) => ErrorBody::syntax(e.to_string()),
            RequestError::Syntax(msg) => ErrorBody::syntax(msg.clone()),
            RequestError::Invalid(msg) => ErrorBody::invalid(msg.clone()),
            RequestError::Schema(e) => schema_error_body(e),
            RequestError::Unprepared(id) => ErrorBody::unprepared(id.clone(), self.to_string()),
            RequestError::Unavailable {
                cl,
                required,
                alive,
            } => ErrorBody::unavailable(*cl, *required, *alive),
            RequestError::WriteTimeout {
                cl,
                received,
                block_for,
                write_type,
            } => ErrorBody::write_timeout(*cl, *received, *block_for, *write_type),
            RequestError::ReadTimeout {
                cl,
                received,
                block_for,
                data_present,
            } => ErrorBody::read_timeout(*cl, *received, *block_for, *data_present),
            RequestError::FunctionFailure {
                keyspace,
                function,
                arg_types,
                message,
            } => ErrorBody {
                code: cql::error::ErrorCode::FunctionFailure,
                message: message.clone(),
                extra: cql::error::ErrorExtra::FunctionFailure {
                    keyspace: keyspace.clone(),
                    function: function.clone(),
                    arg_types: arg_types.clone(),
                },
            },
            RequestError::Truncate(msg) => ErrorBody::truncate(msg.clone()),
            RequestError::Storage(e) => ErrorBody::server(format!("storage: {e}")),
            RequestError::Protocol(msg) => ErrorBody::protocol(msg.clone()),
            RequestError::Server(msg) => ErrorBody::server(msg.clone()),
        }
    }
}

fn schema_error_body(e: &SchemaError) -> ErrorBody {
    match e {
        SchemaError::AlreadyExists {
            keyspace,
            table,
            message,
        } => ErrorBody::already_exists(keyspace.clone(), table.clone(), message.clone()),
        SchemaError::Invalid(msg) => ErrorBody::invalid(msg.clone()),
        SchemaError::Config(msg) => ErrorBody::config(msg.clone()),
        SchemaError::Unauthorized(msg) => ErrorBody::unauthorized(msg.clone()),
        SchemaError::Syntax(msg) => ErrorBody::syntax(msg.clone()),
        SchemaError::Storage(_) | SchemaError::Io(_) | SchemaError::Corrupt { .. } => {
            ErrorBody::server(e.to_string())
        }
    }
}

fn hex(b: &Bytes) -> String {
    let mut s = String::with_capacity(2 + b.len() * 2);
    s.push_str("0x");
    for byte in b.iter() {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

/// Result alias for request paths.
pub type Result<T, E = RequestError> = std::result::Result<T, E>;
