//! Server responses (v5 spec section 4.2): [`Response::encode_body`] for the server,
//! [`Response::decode`] for clients, tools and tests. ERROR in [`error`], RESULT in
//! [`result`], EVENT in [`event`]; READY (empty), AUTHENTICATE (`[string]`),
//! SUPPORTED (`[string multimap]`), AUTH_CHALLENGE and AUTH_SUCCESS (`[bytes]`) are
//! one-liners kept here.
//!
//! The envelope around a response (stream, flags, tracing id, warnings) is
//! `crate::frame::encode_frame`.

// Decoders of untrusted bytes: no unwrap, no panicking index.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod error;
pub mod event;
pub mod result;
mod type_option;

use bytes::{Bytes, BytesMut};

use crate::error::{ErrorBody, ProtocolError};
use crate::frame::{Opcode, ProtocolVersion};
use crate::wire;

pub use event::Event;
pub use result::{
    ColumnSpec, Prepared, PreparedMetadata, ResultBody, Rows, RowsMetadata, RowsWriter,
    SchemaChange, SchemaChangeTarget, SchemaChangeType,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Error(ErrorBody),
    Ready,
    /// The authenticator's Java class name, e.g.
    /// `org.apache.cassandra.auth.PasswordAuthenticator`.
    Authenticate(String),
    /// STARTUP options and their values, in order (`CQL_VERSION`, `COMPRESSION`,
    /// `PROTOCOL_VERSIONS`).
    Supported(Vec<(String, Vec<String>)>),
    Result(ResultBody),
    Event(Event),
    AuthChallenge(Option<Bytes>),
    AuthSuccess(Option<Bytes>),
}

impl From<ErrorBody> for Response {
    fn from(e: ErrorBody) -> Response {
        Response::Error(e)
    }
}

impl From<ResultBody> for Response {
    fn from(r: ResultBody) -> Response {
        Response::Result(r)
    }
}

impl Response {
    pub fn opcode(&self) -> Opcode {
        match self {
            Response::Error(_) => Opcode::Error,
            Response::Ready => Opcode::Ready,
            Response::Authenticate(_) => Opcode::Authenticate,
            Response::Supported(_) => Opcode::Supported,
            Response::Result(_) => Opcode::Result,
            Response::Event(_) => Opcode::Event,
            Response::AuthChallenge(_) => Opcode::AuthChallenge,
            Response::AuthSuccess(_) => Opcode::AuthSuccess,
        }
    }

    /// Appends the message body (no envelope header).
    pub fn encode_body(&self, version: ProtocolVersion, out: &mut BytesMut) {
        match self {
            Response::Error(e) => error::encode_error(e, version, out),
            Response::Ready => {}
            Response::Authenticate(class) => wire::write_string(out, class),
            Response::Supported(options) => wire::write_string_multimap(out, options),
            Response::Result(r) => r.encode(version, out),
            Response::Event(e) => e.encode_for(version, out),
            Response::AuthChallenge(token) | Response::AuthSuccess(token) => {
                wire::write_bytes(out, token.as_deref())
            }
        }
    }

    /// Decodes a response body. A request opcode is a
    /// [`ProtocolError::UnexpectedOpcode`].
    pub fn decode(
        version: ProtocolVersion,
        opcode: Opcode,
        body: Bytes,
    ) -> Result<Response, ProtocolError> {
        let mut buf = body;
        let buf = &mut buf;
        Ok(match opcode {
            Opcode::Error => Response::Error(error::decode_error(buf, version)?),
            Opcode::Ready => Response::Ready,
            Opcode::Authenticate => Response::Authenticate(wire::read_string(buf)?),
            Opcode::Supported => Response::Supported(wire::read_string_multimap(buf)?),
            Opcode::Result => Response::Result(ResultBody::decode(buf, version)?),
            Opcode::Event => Response::Event(Event::decode(buf)?),
            Opcode::AuthChallenge => Response::AuthChallenge(wire::read_bytes(buf)?),
            Opcode::AuthSuccess => Response::AuthSuccess(wire::read_bytes(buf)?),
            Opcode::Startup
            | Opcode::Options
            | Opcode::Query
            | Opcode::Prepare
            | Opcode::Execute
            | Opcode::Register
            | Opcode::Batch
            | Opcode::AuthResponse => {
                return Err(ProtocolError::UnexpectedOpcode {
                    opcode: opcode.name(),
                    direction: "a request opcode sent as a response",
                })
            }
        })
    }
}

#[cfg(test)]
mod python_vectors;
#[cfg(test)]
pub(crate) mod tests;
