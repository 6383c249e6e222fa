//! The schema's error type. Each variant says which protocol error it becomes
//! (`server::error` does the mapping), and carries Cassandra's message text verbatim so
//! that drivers and cqlsh users see what they would see against Cassandra.

/// A failed DDL statement, schema load or system-table request.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// 0x2400 AlreadyExists. `table` is empty for a keyspace.
    #[error("{message}")]
    AlreadyExists {
        keyspace: String,
        table: String,
        message: String,
    },
    /// 0x2200 Invalid: the statement is wrong for the current schema.
    #[error("{0}")]
    Invalid(String),
    /// 0x2300 Config: bad replication or table options.
    #[error("{0}")]
    Config(String),
    /// 0x2100 Unauthorized: users may not alter the system keyspaces.
    #[error("{0}")]
    Unauthorized(String),
    /// 0x2000 Syntax: used by DESCRIBE for statements it cannot read.
    #[error("{0}")]
    Syntax(String),
    /// 0x0000 Server: the storage engine refused a table change.
    #[error("storage: {0}")]
    Storage(String),
    /// 0x0000 Server: the schema could not be written or read.
    #[error("schema persistence: {0}")]
    Io(#[from] std::io::Error),
    /// 0x0000 Server: the persisted schema is unreadable.
    #[error("corrupt schema file {path}: {reason}")]
    Corrupt { path: String, reason: String },
}

impl SchemaError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        SchemaError::Invalid(msg.into())
    }

    pub(crate) fn config(msg: impl Into<String>) -> Self {
        SchemaError::Config(msg.into())
    }

    pub(crate) fn keyspace_exists(ks: &str) -> Self {
        SchemaError::AlreadyExists {
            keyspace: ks.to_string(),
            table: String::new(),
            message: format!("Cannot add existing keyspace \"{ks}\""),
        }
    }

    pub(crate) fn table_exists(ks: &str, table: &str) -> Self {
        SchemaError::AlreadyExists {
            keyspace: ks.to_string(),
            table: table.to_string(),
            message: format!("Cannot add already existing table \"{table}\" to keyspace \"{ks}\""),
        }
    }
}
