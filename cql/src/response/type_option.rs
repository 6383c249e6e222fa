//! The bridge to the `[option]` type codec of `cql::types`.
//!
//! TEMPORARY fallback: until `CqlType::{encode_option, decode_option}` lands from the
//! types engineer, this file carries a private copy of the option codec (v5 spec
//! section 4.2.5.2). Once theirs is on main, these two functions delegate to it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::types::{CqlType, UdtType};
use crate::wire;

const MAX_DEPTH: usize = 64;

/// Writes `typ` as an `[option]`.
pub(crate) fn encode_type(typ: &CqlType, out: &mut BytesMut) {
    let native = |out: &mut BytesMut, id: u16| wire::write_short(out, id);
    match typ {
        CqlType::Custom(class) => {
            native(out, 0x0000);
            wire::write_string(out, class);
        }
        CqlType::Ascii => native(out, 0x0001),
        CqlType::Bigint => native(out, 0x0002),
        CqlType::Blob => native(out, 0x0003),
        CqlType::Boolean => native(out, 0x0004),
        CqlType::Counter => native(out, 0x0005),
        CqlType::Decimal => native(out, 0x0006),
        CqlType::Double => native(out, 0x0007),
        CqlType::Float => native(out, 0x0008),
        CqlType::Int => native(out, 0x0009),
        CqlType::Timestamp => native(out, 0x000B),
        CqlType::Uuid => native(out, 0x000C),
        CqlType::Text => native(out, 0x000D),
        CqlType::Varint => native(out, 0x000E),
        CqlType::Timeuuid => native(out, 0x000F),
        CqlType::Inet => native(out, 0x0010),
        CqlType::Date => native(out, 0x0011),
        CqlType::Time => native(out, 0x0012),
        CqlType::Smallint => native(out, 0x0013),
        CqlType::Tinyint => native(out, 0x0014),
        CqlType::Duration => native(out, 0x0015),
        CqlType::List(e) => {
            native(out, 0x0020);
            encode_type(e, out);
        }
        CqlType::Map(k, v) => {
            native(out, 0x0021);
            encode_type(k, out);
            encode_type(v, out);
        }
        CqlType::Set(e) => {
            native(out, 0x0022);
            encode_type(e, out);
        }
        CqlType::Udt(u) => {
            native(out, 0x0030);
            wire::write_string(out, &u.keyspace);
            wire::write_string(out, &u.name);
            wire::write_short(out, u.fields.len() as u16);
            for (name, t) in &u.fields {
                wire::write_string(out, name);
                encode_type(t, out);
            }
        }
        CqlType::Tuple(ts) => {
            native(out, 0x0031);
            wire::write_short(out, ts.len() as u16);
            for t in ts {
                encode_type(t, out);
            }
        }
        CqlType::Vector(e, n) => {
            native(out, 0x0000);
            // Only the fallback: the real codec writes the element's marshal class.
            wire::write_string(
                out,
                &format!("org.apache.cassandra.db.marshal.VectorType({e:?},{n})"),
            );
        }
        CqlType::Frozen(inner) => encode_type(inner, out),
    }
}

/// Reads an `[option]` type.
pub(crate) fn decode_type(buf: &mut Bytes) -> Result<CqlType, ProtocolError> {
    decode_at(buf, 0)
}

fn decode_at(buf: &mut Bytes, depth: usize) -> Result<CqlType, ProtocolError> {
    if depth > MAX_DEPTH {
        return Err(ProtocolError::InvalidType("type nested too deeply".into()));
    }
    let id = wire::read_short(buf)?;
    let next = depth + 1;
    Ok(match id {
        0x0000 => CqlType::Custom(wire::read_string(buf)?),
        0x0001 => CqlType::Ascii,
        0x0002 => CqlType::Bigint,
        0x0003 => CqlType::Blob,
        0x0004 => CqlType::Boolean,
        0x0005 => CqlType::Counter,
        0x0006 => CqlType::Decimal,
        0x0007 => CqlType::Double,
        0x0008 => CqlType::Float,
        0x0009 => CqlType::Int,
        0x000A | 0x000D => CqlType::Text,
        0x000B => CqlType::Timestamp,
        0x000C => CqlType::Uuid,
        0x000E => CqlType::Varint,
        0x000F => CqlType::Timeuuid,
        0x0010 => CqlType::Inet,
        0x0011 => CqlType::Date,
        0x0012 => CqlType::Time,
        0x0013 => CqlType::Smallint,
        0x0014 => CqlType::Tinyint,
        0x0015 => CqlType::Duration,
        0x0020 => CqlType::List(Box::new(decode_at(buf, next)?)),
        0x0021 => {
            let k = decode_at(buf, next)?;
            CqlType::Map(Box::new(k), Box::new(decode_at(buf, next)?))
        }
        0x0022 => CqlType::Set(Box::new(decode_at(buf, next)?)),
        0x0030 => {
            let keyspace = wire::read_string(buf)?;
            let name = wire::read_string(buf)?;
            let n = usize::from(wire::read_short(buf)?);
            let mut fields = Vec::with_capacity(n.min(buf.len() / 4));
            for _ in 0..n {
                let field = wire::read_string(buf)?;
                fields.push((field, decode_at(buf, next)?));
            }
            CqlType::Udt(Arc::new(UdtType {
                keyspace,
                name,
                fields,
            }))
        }
        0x0031 => {
            let n = usize::from(wire::read_short(buf)?);
            let mut types = Vec::with_capacity(n.min(buf.len() / 2));
            for _ in 0..n {
                types.push(decode_at(buf, next)?);
            }
            CqlType::Tuple(types)
        }
        other => {
            return Err(ProtocolError::InvalidType(format!(
                "unknown type option id 0x{other:04x}"
            )))
        }
    })
}
