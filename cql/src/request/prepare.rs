//! PREPARE (v5 spec section 4.1.5): `<query: [long string]>`, then on v5 an `[int]`
//! flags and, with flag 0x01, a `[string]` keyspace.

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::ProtocolVersion;
use crate::wire;

const WITH_KEYSPACE: i32 = 0x01;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepare {
    pub query: String,
    /// v5: prepare in this keyspace instead of the connection's.
    pub keyspace: Option<String>,
}

impl Prepare {
    pub fn decode(buf: &mut Bytes, version: ProtocolVersion) -> Result<Prepare, ProtocolError> {
        let query = wire::read_long_string(buf)?;
        let mut keyspace = None;
        // Older clients may omit the flags entirely; treat a missing field as 0.
        if version.is_v5() && !buf.is_empty() {
            let flags = wire::read_int(buf)?;
            if flags & WITH_KEYSPACE != 0 {
                keyspace = Some(wire::read_string(buf)?);
            }
        }
        Ok(Prepare { query, keyspace })
    }

    pub fn encode(&self, version: ProtocolVersion, out: &mut BytesMut) {
        wire::write_long_string(out, &self.query);
        if version.is_v5() {
            match &self.keyspace {
                Some(ks) => {
                    wire::write_int(out, WITH_KEYSPACE);
                    wire::write_string(out, ks);
                }
                None => wire::write_int(out, 0),
            }
        }
    }
}
