//! The handshake: OPTIONS -> SUPPORTED, STARTUP -> READY (no authenticator yet), and
//! REGISTER's event filter (native_protocol_v4.spec section 4.1, reference
//! system-tables.md section 7). Before STARTUP only OPTIONS and STARTUP are allowed.

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::Bytes;
use cql::error::ErrorBody;
use cql::frame::{Compression, ProtocolVersion};
use cql::request::Request;
use cql::response::{Event, Response};

use super::messages;
use super::version::PROTOCOL_VERSIONS;
use crate::query::ClientState;

/// The CQL language version we implement (Cassandra 5.0's).
pub const CQL_VERSION: &str = "3.4.7";

/// What the reader does with a request that arrived before STARTUP succeeded.
pub enum Step {
    /// Send this envelope; the connection stays in the handshake.
    Reply(Bytes),
    /// STARTUP accepted: send `reply` (READY), then switch to the negotiated
    /// compression (and v5 segments).
    Started {
        reply: Bytes,
        compression: Compression,
        state: ClientState,
    },
}

/// SUPPORTED's options.
pub fn supported() -> Response {
    Response::Supported(vec![
        ("CQL_VERSION".into(), vec![CQL_VERSION.into()]),
        ("COMPRESSION".into(), vec!["lz4".into(), "snappy".into()]),
        (
            "PROTOCOL_VERSIONS".into(),
            PROTOCOL_VERSIONS.iter().map(|s| s.to_string()).collect(),
        ),
    ])
}

/// Handles a request on a connection that has not started yet.
pub fn before_startup(v: ProtocolVersion, stream: i16, request: Request, peer: SocketAddr) -> Step {
    let plain = |r: &Response| messages::encode(v, stream, r, Compression::None);
    match request {
        Request::Options => Step::Reply(plain(&supported())),
        Request::Startup(options) => match startup(v, &options) {
            Ok(compression) => Step::Started {
                reply: plain(&Response::Ready),
                compression,
                state: ClientState {
                    keyspace: None,
                    version: v,
                    client: peer,
                    driver_name: options.get("DRIVER_NAME").map(|s| s.as_str().into()),
                    driver_version: options.get("DRIVER_VERSION").map(|s| s.as_str().into()),
                },
            },
            Err(msg) => Step::Reply(plain(&Response::Error(ErrorBody::protocol(msg)))),
        },
        other => {
            let msg = format!(
                "Unexpected message {}, expecting STARTUP or OPTIONS",
                other.opcode().name()
            );
            Step::Reply(plain(&Response::Error(ErrorBody::protocol(msg))))
        }
    }
}

/// Validates STARTUP's options; returns the negotiated compression.
pub fn startup(
    v: ProtocolVersion,
    options: &HashMap<String, String>,
) -> Result<Compression, String> {
    // Option names are case-insensitive in Cassandra.
    let get = |k: &str| {
        options
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let Some(cql_version) = get("CQL_VERSION") else {
        return Err("Missing value CQL_VERSION in STARTUP message".into());
    };
    check_cql_version(cql_version)?;
    let compression = match get("COMPRESSION") {
        None | Some("") => Compression::None,
        Some(name) => match Compression::from_name(name) {
            Some(Compression::Snappy) if v == ProtocolVersion::V5 => {
                return Err("Snappy compression is not supported in protocol V5".into())
            }
            Some(c) => c,
            None => return Err(format!("Unknown compression algorithm: {name}")),
        },
    };
    Ok(compression)
}

/// Cassandra accepts any CQL_VERSION that parses as a version of at least 3.0.0 (the
/// Rust driver sends 4.0.0).
fn check_cql_version(text: &str) -> Result<(), String> {
    let bad = || {
        format!("Invalid or unsupported CQL version {text}; expected a version of at least 3.0.0")
    };
    let mut parts = text.split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let _minor: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    if major < 3 {
        return Err(bad());
    }
    Ok(())
}

/// The event kinds a connection registered for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub topology: bool,
    pub status: bool,
    pub schema: bool,
}

impl EventFilter {
    pub fn accepts(&self, ev: &Event) -> bool {
        match ev {
            Event::TopologyChange { .. } => self.topology,
            Event::StatusChange { .. } => self.status,
            Event::SchemaChange(_) => self.schema,
        }
    }
}

/// Parses REGISTER's list; an unknown kind is a Protocol error.
pub fn event_filter(kinds: &[String]) -> Result<EventFilter, String> {
    let mut f = EventFilter::default();
    for k in kinds {
        match k.as_str() {
            "TOPOLOGY_CHANGE" => f.topology = true,
            "STATUS_CHANGE" => f.status = true,
            "SCHEMA_CHANGE" => f.schema = true,
            other => return Err(format!("Invalid value '{other}' for Event.Type")),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn startup_accepts_any_cql_version_from_3() {
        for cv in ["3.0.0", "3.4.7", "4.0.0"] {
            assert_eq!(
                startup(ProtocolVersion::V4, &opts(&[("CQL_VERSION", cv)])),
                Ok(Compression::None)
            );
        }
        assert!(startup(ProtocolVersion::V4, &opts(&[("CQL_VERSION", "2.0.0")])).is_err());
        assert!(startup(ProtocolVersion::V4, &opts(&[("CQL_VERSION", "x")])).is_err());
        let e = startup(ProtocolVersion::V4, &opts(&[])).unwrap_err();
        assert!(e.contains("CQL_VERSION"), "{e}");
    }

    #[test]
    fn startup_negotiates_compression() {
        let v4 = ProtocolVersion::V4;
        let with = |c| opts(&[("CQL_VERSION", "3.0.0"), ("COMPRESSION", c)]);
        assert_eq!(startup(v4, &with("lz4")), Ok(Compression::Lz4));
        assert_eq!(startup(v4, &with("snappy")), Ok(Compression::Snappy));
        assert_eq!(
            startup(ProtocolVersion::V5, &with("lz4")),
            Ok(Compression::Lz4)
        );
        assert!(startup(ProtocolVersion::V5, &with("snappy")).is_err());
        let e = startup(v4, &with("zstd")).unwrap_err();
        assert!(e.contains("zstd"), "{e}");
    }

    #[test]
    fn register_filters_known_kinds() {
        let f = event_filter(&["SCHEMA_CHANGE".into(), "STATUS_CHANGE".into()]).unwrap();
        assert!(f.schema && f.status && !f.topology);
        assert!(event_filter(&["NOPE".into()]).is_err());
    }
}
