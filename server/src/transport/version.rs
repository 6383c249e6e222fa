//! Protocol version negotiation, as Cassandra does it: a request in a version we do not
//! speak gets a Protocol error `Invalid or unsupported protocol version (N); supported
//! versions are (3/v3, 4/v4, 5/v5)` on its stream, in a header the client can parse,
//! and the connection is closed after the write; drivers then retry one version lower
//! on a new connection (reference/clients.md, system-tables.md section 7).

use bytes::{BufMut, BytesMut};

/// What SUPPORTED lists under PROTOCOL_VERSIONS.
pub const PROTOCOL_VERSIONS: [&str; 3] = ["3/v3", "4/v4", "5/v5"];

const OPCODE_ERROR: u8 = 0x00;
const PROTOCOL_ERROR: i32 = 0x000A;

/// The header version of the answer: the newest version we speak that is not above the
/// request's (so v5 for 0x41/0x42 DSE and v6), and the client's own v1/v2 layout for
/// those old versions, which parse nothing else.
pub fn reply_version(requested: u8) -> u8 {
    match requested {
        1 | 2 => requested,
        r if r > 5 => 5,
        // 0 (or a supported version reaching here by mistake): v4 is the safest bet.
        _ => 4,
    }
}

/// The whole ERROR envelope for an unsupported `requested` version on `stream`.
pub fn unsupported_version_frame(requested: u8, stream: i16) -> BytesMut {
    let reply = reply_version(requested);
    let message = format!(
        "Invalid or unsupported protocol version ({requested}); supported versions are ({})",
        PROTOCOL_VERSIONS.join(", ")
    );
    let body_len = 4 + 2 + message.len();
    let mut out = BytesMut::with_capacity(9 + body_len);
    out.put_u8(reply | 0x80);
    out.put_u8(0);
    if reply < 3 {
        // v1/v2: one-byte stream id, 8-byte header.
        out.put_u8(stream.to_be_bytes()[1]);
    } else {
        out.put_i16(stream);
    }
    out.put_u8(OPCODE_ERROR);
    out.put_u32(u32::try_from(body_len).unwrap_or(u32::MAX));
    out.put_i32(PROTOCOL_ERROR);
    out.put_u16(u16::try_from(message.len()).unwrap_or(u16::MAX));
    out.put_slice(message.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dse_and_future_versions_are_answered_in_v5() {
        for v in [0x41u8, 0x42, 0x06] {
            let f = unsupported_version_frame(v, 9);
            assert_eq!(f[0], 0x85);
            assert_eq!(&f[2..5], &[0, 9, OPCODE_ERROR]);
            let len = u32::from_be_bytes([f[5], f[6], f[7], f[8]]) as usize;
            assert_eq!(len, f.len() - 9);
            assert_eq!(&f[9..13], &[0, 0, 0, 0x0A]);
            let text = std::str::from_utf8(&f[15..]).unwrap();
            assert_eq!(
                text,
                format!("Invalid or unsupported protocol version ({v}); supported versions are (3/v3, 4/v4, 5/v5)")
            );
        }
    }

    #[test]
    fn old_versions_are_answered_in_their_own_layout() {
        let f = unsupported_version_frame(2, 3);
        assert_eq!(&f[..4], &[0x82, 0, 3, OPCODE_ERROR]);
        let len = u32::from_be_bytes([f[4], f[5], f[6], f[7]]) as usize;
        assert_eq!(len, f.len() - 8);
    }
}
