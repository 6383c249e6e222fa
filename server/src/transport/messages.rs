//! Message bodies in and out: request decoding and response encoding, delegating to
//! `cql::request` / `cql::response` / `cql::frame`. The only place in the transport that
//! turns bytes into messages and back.

use bytes::{Bytes, BytesMut};
use cql::error::ErrorBody;
use cql::frame::{encode_frame, Compression, Frame, FrameExtras, ProtocolVersion};
use cql::request::Request;
use cql::response::Response;

/// Decodes a request envelope's body; the error text becomes a Protocol error on the
/// envelope's stream.
pub fn decode(frame: &Frame) -> Result<Request, String> {
    if !frame.header.opcode.is_request() {
        return Err(format!(
            "Unexpected message {}: not a request",
            frame.header.opcode.name()
        ));
    }
    Request::decode(
        frame.header.version,
        frame.header.opcode,
        frame.body.clone(),
    )
    .map_err(|e| e.to_string())
}

/// Encodes one response envelope (v3/v4 compressed when negotiated; v5 envelopes are
/// compressed by the segment layer in the writer).
pub fn encode(
    version: ProtocolVersion,
    stream: i16,
    response: &Response,
    compression: Compression,
) -> Bytes {
    let mut out = BytesMut::with_capacity(256);
    encode_into(&mut out, version, stream, response, compression);
    out.freeze()
}

/// [`encode`], appended to `out` (a connection's outbox).
pub fn encode_into(
    out: &mut BytesMut,
    version: ProtocolVersion,
    stream: i16,
    response: &Response,
    compression: Compression,
) {
    let compression = if version == ProtocolVersion::V5 {
        Compression::None
    } else {
        compression
    };
    encode_frame(
        out,
        version,
        stream,
        response,
        &FrameExtras::default(),
        compression,
    );
}

/// A Protocol error response.
pub fn protocol_error(message: String) -> Response {
    Response::Error(ErrorBody::protocol(message))
}
