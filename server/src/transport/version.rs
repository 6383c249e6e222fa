//! Protocol version negotiation, as Cassandra does it: a request in a version we do not
//! speak gets a Protocol error `Invalid or unsupported protocol version (N); supported
//! versions are (3/v3, 4/v4, 5/v5)` on its stream, in a header the client can parse
//! (`cql::frame::encode_unsupported_version` writes it),
//! and the connection is closed after the write; drivers then retry one version lower
//! on a new connection (reference/clients.md, system-tables.md section 7).

/// What SUPPORTED lists under PROTOCOL_VERSIONS.
pub const PROTOCOL_VERSIONS: [&str; 3] = ["3/v3", "4/v4", "5/v5"];
