//! EXECUTE (v5 spec section 4.1.6): `<id: [short bytes]>`, on v5
//! `<result_metadata_id: [short bytes]>`, then `<query_parameters>` as in QUERY.

use bytes::{Bytes, BytesMut};

use super::QueryParameters;
use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execute {
    pub id: Bytes,
    /// v5: the result metadata id the client holds, to detect changed metadata.
    pub result_metadata_id: Option<Bytes>,
    pub params: QueryParameters,
}

impl Execute {
    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<Execute, ProtocolError> {
        let id = wire::read_short_bytes(buf)?;
        let result_metadata_id = if version.is_v5() {
            Some(wire::read_short_bytes(buf)?)
        } else {
            None
        };
        let params = QueryParameters::decode(buf, version)?;
        Ok(Execute {
            id,
            result_metadata_id,
            params,
        })
    }

    /// On v5 a missing `result_metadata_id` is written as empty.
    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        wire::write_short_bytes(out, &self.id);
        if version.is_v5() {
            wire::write_short_bytes(out, self.result_metadata_id.as_deref().unwrap_or_default());
        }
        self.params.encode(version, out);
    }
}
