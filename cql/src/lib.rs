//! The CQL native protocol (v3, v4, v5) and the CQL language.
//!
//! Pure: bytes in, bytes out. This crate owns no sockets and no storage; the server
//! drives it. Layout (see ../shared/STYLE.md):
//! - [`frame`]: frame header, envelope codec, v5 segments, compression.
//! - [`wire`]: the spec's primitive notations (`[short]`, `[string]`, `[bytes]`, ...).
//! - [`request`] / [`response`]: one file per message.
//! - [`types`]: `CqlType`, `CqlValue`, their codecs and the byte-comparable key encoding.
//! - [`parser`]: lexer, AST and parser of the statement language.
//! - [`error`]: every error code of the spec and the ERROR body.

pub mod error;
pub mod frame;
pub mod parser;
pub mod request;
pub mod response;
pub mod types;
pub mod wire;
