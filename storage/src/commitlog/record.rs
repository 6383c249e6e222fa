//! Commit-log segment and record framing (docs/storage-format.md, "Commit
//! log"). A segment starts with a 20-byte header; each record is
//! `len: u32 LE | crc: u32 LE | payload[len]` where `crc` is CRC32
//! (crc32fast) of the 4 length bytes followed by the payload.
use crate::codec::{self, Put, Reader};
use crate::types::Mutation;

/// Segment file magic.
pub const MAGIC: &[u8; 4] = b"HLCL";
/// Commit-log format version written by this code.
pub const VERSION: u16 = 1;
/// Bytes of the segment header: magic, version, reserved, segment id, crc.
pub const HEADER_LEN: u64 = 20;
/// Bytes of a record header: length and crc.
pub const RECORD_HEADER_LEN: usize = 8;
/// Largest payload accepted on replay; larger lengths are garbage.
pub const MAX_RECORD: u32 = 256 << 20;

/// Encodes a segment header.
pub fn segment_header(id: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_LEN as usize);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&VERSION.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.put_u64(id);
    let crc = crc32fast::hash(&h);
    h.put_u32(crc);
    h
}

/// Checks a segment header; returns its segment id.
pub fn parse_header(buf: &[u8]) -> Result<u64, &'static str> {
    let h = buf
        .get(..HEADER_LEN as usize)
        .ok_or("segment shorter than its header")?;
    let (body, crc) = h.split_at(16);
    let mut r = Reader::new(crc);
    let crc = r.u32().map_err(|_| "short header")?;
    if crc32fast::hash(body) != crc {
        return Err("segment header checksum mismatch");
    }
    if body.get(..4) != Some(&MAGIC[..]) {
        return Err("bad segment magic");
    }
    let mut r = Reader::at(body, 4);
    let version = r.u32().map_err(|_| "short header")? as u16;
    if version != VERSION {
        return Err("unsupported commit-log version");
    }
    r.u64().map_err(|_| "short header")
}

/// Appends one framed record holding `m` to `out`.
pub fn encode_record(out: &mut Vec<u8>, m: &Mutation) {
    let start = out.len();
    out.extend_from_slice(&[0u8; RECORD_HEADER_LEN]);
    codec::put_mutation(out, m);
    let len = (out.len() - start - RECORD_HEADER_LEN) as u32;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&len.to_le_bytes());
    hasher.update(out.get(start + RECORD_HEADER_LEN..).unwrap_or_default());
    let crc = hasher.finalize();
    if let Some(h) = out.get_mut(start..start + RECORD_HEADER_LEN) {
        let (l, c) = h.split_at_mut(4);
        l.copy_from_slice(&len.to_le_bytes());
        c.copy_from_slice(&crc.to_le_bytes());
    }
}

/// What sits at an offset of a segment.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// A valid record: its mutation and the offset just past it.
    Record(Box<Mutation>, usize),
    /// Clean end: end of file, or zero fill.
    End,
    /// Bytes that are not a valid record (torn write or corruption).
    Bad(&'static str),
}

/// Decodes the record at `pos` of a segment's bytes.
pub fn next_record(buf: &[u8], pos: usize) -> Next {
    let rest = buf.get(pos..).unwrap_or_default();
    if rest.is_empty() || rest.iter().take(RECORD_HEADER_LEN).all(|b| *b == 0) {
        // Zeroes where a header should be: preallocated or never written.
        return if rest.iter().all(|b| *b == 0) {
            Next::End
        } else {
            Next::Bad("zero record header followed by data")
        };
    }
    let mut r = Reader::new(rest);
    let (len, crc) = match (r.u32(), r.u32()) {
        (Ok(l), Ok(c)) => (l, c),
        _ => return Next::Bad("truncated record header"),
    };
    if len > MAX_RECORD {
        return Next::Bad("record length out of range");
    }
    let payload = match r.take(len as usize) {
        Ok(p) => p,
        Err(_) => return Next::Bad("truncated record"),
    };
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&len.to_le_bytes());
    hasher.update(payload);
    if hasher.finalize() != crc {
        return Next::Bad("record checksum mismatch");
    }
    let mut pr = Reader::new(payload);
    match codec::get_mutation(&mut pr) {
        Ok(m) if pr.is_empty() => Next::Record(Box::new(m), pos + RECORD_HEADER_LEN + len as usize),
        Ok(_) => Next::Bad("trailing bytes in record"),
        Err(e) => Next::Bad(e.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TableId;
    use bytes::Bytes;
    use proptest::prelude::*;

    fn mutation(token: i64, key: Vec<u8>) -> Mutation {
        Mutation {
            table: TableId(uuid::Uuid::from_u128(7)),
            token,
            key: Bytes::from(key),
            ..Mutation::default()
        }
    }

    #[test]
    fn header_round_trip_and_rejects_damage() {
        let mut h = segment_header(42);
        assert_eq!(parse_header(&h), Ok(42));
        h[5] ^= 1;
        assert!(parse_header(&h).is_err());
        assert!(parse_header(&h[..10]).is_err());
    }

    #[test]
    fn torn_and_flipped_records_are_bad_not_panics() {
        let mut buf = Vec::new();
        encode_record(&mut buf, &mutation(1, b"k".to_vec()));
        let one = buf.len();
        encode_record(&mut buf, &mutation(2, b"kk".to_vec()));
        assert!(matches!(next_record(&buf, 0), Next::Record(_, n) if n == one));
        assert!(matches!(next_record(&buf, one), Next::Record(_, n) if n == buf.len()));
        assert_eq!(next_record(&buf, buf.len()), Next::End);
        assert!(matches!(
            next_record(&buf[..buf.len() - 1], one),
            Next::Bad(_)
        ));
        let mut flipped = buf.clone();
        flipped[one + 10] ^= 0x40;
        assert!(matches!(next_record(&flipped, one), Next::Bad(_)));
        let mut zeros = buf.clone();
        zeros.extend_from_slice(&[0u8; 100]);
        assert_eq!(next_record(&zeros, buf.len()), Next::End);
    }

    proptest! {
        #[test]
        fn record_round_trip(token in any::<i64>(), key in proptest::collection::vec(any::<u8>(), 0..64)) {
            let m = mutation(token, key);
            let mut buf = Vec::new();
            encode_record(&mut buf, &m);
            prop_assert_eq!(next_record(&buf, 0), Next::Record(Box::new(m), buf.len()));
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = next_record(&bytes, 0);
            let _ = parse_header(&bytes);
        }
    }
}
