//! The bridge to the `[option]` type codec of `cql::types` (`CqlType::encode_option` /
//! `CqlType::decode_option`, v5 spec section 4.2.5.2): result metadata needs it, and
//! its errors become [`ProtocolError::InvalidType`] here.

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::types::CqlType;

/// Writes `typ` as an `[option]` (frozenness does not show on the wire).
pub(crate) fn encode_type(typ: &CqlType, out: &mut BytesMut) {
    typ.encode_option(out);
}

/// Reads an `[option]` type.
pub(crate) fn decode_type(buf: &mut Bytes) -> Result<CqlType, ProtocolError> {
    CqlType::decode_option(buf).map_err(|e| ProtocolError::InvalidType(e.to_string()))
}
