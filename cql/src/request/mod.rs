//! Client requests (v5 spec section 4.1): [`Request::decode`] from an envelope body,
//! [`Request::encode`] for clients, tools and round-trip tests. One file per message
//! with a body of its own; STARTUP (`[string map]`), OPTIONS (empty), REGISTER
//! (`[string list]`) and AUTH_RESPONSE (`[bytes]`) are one-liners kept here.
//!
//! Decoding slices the body (`Bytes`), it never copies values. Trailing bytes after a
//! message are ignored, as the spec asks of receivers.

// Decoders of untrusted bytes: no unwrap, no panicking index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod batch;
pub mod execute;
pub mod prepare;
pub mod query;

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::{Opcode, ProtocolVersion};
use crate::wire;

pub use crate::wire::Value;
pub use batch::{Batch, BatchQuery, BatchStatement, BatchType};
pub use execute::Execute;
pub use prepare::Prepare;
pub use query::{Query, QueryParameters, Values};

/// A decoded client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Options such as `CQL_VERSION`, `COMPRESSION`, `DRIVER_NAME`.
    Startup(HashMap<String, String>),
    Options,
    Query(Query),
    Prepare(Prepare),
    Execute(Execute),
    Batch(Batch),
    /// Event types: `TOPOLOGY_CHANGE`, `STATUS_CHANGE`, `SCHEMA_CHANGE`.
    Register(Vec<String>),
    /// The SASL token.
    AuthResponse(Option<Bytes>),
}

impl Request {
    pub fn opcode(&self) -> Opcode {
        match self {
            Request::Startup(_) => Opcode::Startup,
            Request::Options => Opcode::Options,
            Request::Query(_) => Opcode::Query,
            Request::Prepare(_) => Opcode::Prepare,
            Request::Execute(_) => Opcode::Execute,
            Request::Batch(_) => Opcode::Batch,
            Request::Register(_) => Opcode::Register,
            Request::AuthResponse(_) => Opcode::AuthResponse,
        }
    }

    /// Decodes a request body (the envelope body after any custom payload). A response
    /// opcode is a [`ProtocolError::UnexpectedOpcode`].
    pub fn decode(
        version: ProtocolVersion,
        opcode: Opcode,
        body: Bytes,
    ) -> Result<Request, ProtocolError> {
        let mut buf = body;
        let buf = &mut buf;
        Ok(match opcode {
            Opcode::Startup => Request::Startup(wire::read_string_map(buf)?),
            Opcode::Options => Request::Options,
            Opcode::Query => Request::Query(Query::decode(buf, version)?),
            Opcode::Prepare => Request::Prepare(Prepare::decode(buf, version)?),
            Opcode::Execute => Request::Execute(Execute::decode(buf, version)?),
            Opcode::Batch => Request::Batch(Batch::decode(buf, version)?),
            Opcode::Register => Request::Register(wire::read_string_list(buf)?),
            Opcode::AuthResponse => Request::AuthResponse(wire::read_bytes(buf)?),
            Opcode::Error
            | Opcode::Ready
            | Opcode::Authenticate
            | Opcode::Supported
            | Opcode::Result
            | Opcode::Event
            | Opcode::AuthChallenge
            | Opcode::AuthSuccess => {
                return Err(ProtocolError::UnexpectedOpcode {
                    opcode: opcode.name(),
                    direction: "a response opcode sent as a request",
                })
            }
        })
    }

    /// Appends the request body.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        match self {
            Request::Startup(options) => wire::write_string_map(out, options),
            Request::Options => {}
            Request::Query(q) => q.encode(version, out),
            Request::Prepare(p) => p.encode(version, out),
            Request::Execute(e) => e.encode(version, out),
            Request::Batch(b) => b.encode(version, out),
            Request::Register(events) => wire::write_string_list(out, events),
            Request::AuthResponse(token) => wire::write_bytes(out, token.as_deref()),
        }
    }
}

#[cfg(test)]
mod python_vectors;
#[cfg(test)]
pub(crate) mod tests;
