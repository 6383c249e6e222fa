//! A thin native-protocol client connection (v3, v4 or v5; optionally lz4 or snappy
//! compressed), built for throughput: requests are written straight into one reusable
//! buffer and responses are classified in place from the receive buffer, so the steady
//! state of an uncompressed v3/v4 connection allocates nothing per operation.
//! Compression and v5 segments add one pass over each batch of bytes
//! ([`Conn::flush`] wraps the envelopes written since the last flush, the receive side
//! unwraps into a second buffer), which is what a real driver pays for them too.
//! Setup requests (STARTUP, schema QUERY, PREPARE) go through `helenus_cql`'s full
//! codecs one at a time. The general-purpose drivers (scylla, cdrs-tokio) spend
//! several microseconds of CPU per request on futures, routing and result decoding;
//! a load generator that must drive 300k requests/s from one core cannot afford that.

use std::collections::HashMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use cql::error::ErrorBody;
use cql::frame::{
    decode_frame, decode_segment, encode_envelope_segments, encode_request_frame, envelope_len,
    Compression, ProtocolVersion, MAX_SEGMENT_PAYLOAD,
};
use cql::request::{Prepare, Query, QueryParameters, Request};
use cql::response::{Prepared, Response, ResultBody, RowsMetadata};
use cql::wire::{self, Consistency};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::{Result, StressError};

const HEADER_LEN: usize = 9;
/// Cassandra's default native_transport_max_frame_size.
const MAX_FRAME: usize = 16 << 20;
const OP_RESULT: u8 = 0x08;
const OP_ERROR: u8 = 0x00;

/// How one response ended.
#[derive(Debug)]
pub enum Outcome {
    /// RESULT; `rows` is the row count of a Rows result (0 for Void); the rows'
    /// cells start at byte `data` of the body.
    Ok {
        rows: u32,
        data: usize,
    },
    Failed(ErrorBody),
}

/// How requests and responses travel on a connection (`-mode protocolVersion=N
/// compression=NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    pub version: ProtocolVersion,
    /// Envelope compression on v3/v4; segment compression on v5 (lz4 only).
    pub compression: Compression,
}

impl Default for Framing {
    fn default() -> Self {
        Framing {
            version: ProtocolVersion::V4,
            compression: Compression::None,
        }
    }
}

impl Framing {
    /// True when envelopes go on the wire as they are (v3/v4 without compression).
    fn is_plain(self) -> bool {
        !self.version.is_v5() && self.compression == Compression::None
    }
}

pub struct Conn {
    pub addr: String,
    pub framing: Framing,
    /// Wrapping (segments, compression) is on: from STARTUP on v3/v4 (the READY may
    /// already be compressed), from READY on v5.
    wrapped: bool,
    stream: TcpStream,
    /// Bytes as read from the socket.
    rbuf: BytesMut,
    /// Plain envelopes unwrapped from `rbuf` (only when wrapped and not plain).
    envelopes: BytesMut,
    /// Plain envelopes to send; [`Conn::flush`] wraps them.
    pub wbuf: BytesMut,
    /// Wire bytes of a wrapped `wbuf`.
    out: BytesMut,
}

impl Conn {
    /// Connects and sends STARTUP (compression as `framing` says; no authentication).
    pub async fn connect(addr: &str, framing: Framing) -> Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| StressError::Connect {
                addr: addr.to_string(),
                source,
            })?;
        // Many small requests: never wait for Nagle.
        stream
            .set_nodelay(true)
            .map_err(|source| StressError::Connect {
                addr: addr.to_string(),
                source,
            })?;
        let mut c = Conn {
            addr: addr.to_string(),
            framing,
            wrapped: false,
            stream,
            rbuf: BytesMut::with_capacity(64 << 10),
            envelopes: BytesMut::new(),
            wbuf: BytesMut::with_capacity(64 << 10),
            out: BytesMut::new(),
        };
        let mut opts = HashMap::from([("CQL_VERSION".to_string(), "3.0.0".to_string())]);
        if let Some(name) = framing.compression.name() {
            opts.insert("COMPRESSION".to_string(), name.to_string());
        }
        let startup = Request::Startup(opts);
        encode_request_frame(
            &mut c.wbuf,
            framing.version,
            0,
            &startup,
            false,
            Compression::None,
        );
        c.flush().await?;
        // v3/v4: everything after STARTUP may be compressed, READY included (spec v4
        // section 5). v5: segments start after READY (spec v5 section 2.3).
        c.wrapped = !framing.version.is_v5();
        let ready = c.response().await?;
        c.wrapped = true;
        match ready {
            Response::Ready => Ok(c),
            Response::Authenticate(class) => Err(c.protocol(format!(
                "the node requires authentication ({class}); helenus-stress does not support it yet"
            ))),
            Response::Error(body) => Err(StressError::Server {
                what: format!("STARTUP on {addr}"),
                body: Box::new(body),
            }),
            other => Err(c.protocol(format!("unexpected answer to STARTUP: {other:?}"))),
        }
    }

    fn protocol(&self, message: String) -> StressError {
        StressError::Protocol {
            addr: self.addr.clone(),
            message,
        }
    }

    fn io(&self, source: std::io::Error) -> StressError {
        StressError::Io {
            addr: self.addr.clone(),
            source,
        }
    }

    /// One request on stream 0 and its response (nothing else may be in flight).
    async fn roundtrip(&mut self, req: &Request) -> Result<Response> {
        let version = self.framing.version;
        encode_request_frame(&mut self.wbuf, version, 0, req, false, Compression::None);
        self.flush().await?;
        self.response().await
    }

    /// The next response on a non-negative stream, fully decoded.
    async fn response(&mut self) -> Result<Response> {
        let version = self.framing.version;
        loop {
            let frame = decode_frame(self.envelopes()?, MAX_FRAME, Compression::None)
                .map_err(|e| self.protocol(e.to_string()))?;
            if let Some(f) = frame {
                if f.header.stream < 0 {
                    continue; // an event; we never REGISTER, but be tolerant
                }
                return Response::decode(version, f.header.opcode, f.body)
                    .map_err(|e| self.protocol(e.to_string()));
            }
            self.fill().await?;
        }
    }

    /// True while bytes go to and come from the socket as plain envelopes: before the
    /// handshake switches wrapping on, or for good on an uncompressed v3/v4 connection.
    fn passes_through(&self) -> bool {
        !self.wrapped || self.framing.is_plain()
    }

    /// The buffer of plain envelopes received so far: the socket's bytes themselves on
    /// a plain connection, else what could be unwrapped from them.
    fn envelopes(&mut self) -> Result<&mut BytesMut> {
        if self.passes_through() {
            return Ok(&mut self.rbuf);
        }
        let unwrapped = if self.framing.version.is_v5() {
            unwrap_segments(
                &mut self.rbuf,
                self.framing.compression,
                &mut self.envelopes,
            )
        } else {
            decompress_envelopes(
                &mut self.rbuf,
                self.framing.compression,
                &mut self.envelopes,
            )
        };
        unwrapped.map_err(|m| self.protocol(m))?;
        Ok(&mut self.envelopes)
    }

    /// A simple QUERY (schema statements).
    pub async fn query(&mut self, cql: &str, consistency: Consistency) -> Result<ResultBody> {
        let req = Request::Query(Query {
            query: cql.to_string(),
            params: QueryParameters {
                consistency,
                ..QueryParameters::default()
            },
        });
        match self.roundtrip(&req).await? {
            Response::Result(r) => Ok(r),
            Response::Error(body) => Err(StressError::Server {
                what: format!("'{}'", cql.trim()),
                body: Box::new(body),
            }),
            other => Err(self.protocol(format!("unexpected answer to QUERY: {other:?}"))),
        }
    }

    pub async fn prepare(&mut self, cql: &str) -> Result<Prepared> {
        let req = Request::Prepare(Prepare {
            query: cql.to_string(),
            keyspace: None,
        });
        match self.roundtrip(&req).await? {
            Response::Result(ResultBody::Prepared(p)) => Ok(p),
            Response::Error(body) => Err(StressError::Server {
                what: format!("PREPARE '{}'", cql.trim()),
                body: Box::new(body),
            }),
            other => Err(self.protocol(format!("unexpected answer to PREPARE: {other:?}"))),
        }
    }

    /// Sends everything in the write buffer, wrapped as the framing says.
    pub async fn flush(&mut self) -> Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let wire = if self.passes_through() {
            &self.wbuf
        } else {
            self.out.clear();
            if self.framing.version.is_v5() {
                let lz4 = self.framing.compression == Compression::Lz4;
                encode_envelope_segments(&self.wbuf, lz4, &mut self.out);
            } else {
                compress_envelopes(&self.wbuf, self.framing.compression, &mut self.out);
            }
            &self.out
        };
        let r = self.stream.write_all(wire).await;
        r.map_err(|e| self.io(e))?;
        self.wbuf.clear();
        Ok(())
    }

    /// Reads what the socket has; a closed connection is an error.
    pub async fn fill(&mut self) -> Result<()> {
        if self.rbuf.capacity() - self.rbuf.len() < 16 << 10 {
            self.rbuf.reserve(64 << 10);
        }
        let n = self.stream.read_buf(&mut self.rbuf).await;
        match n {
            Ok(0) => Err(self.io(std::io::ErrorKind::UnexpectedEof.into())),
            Ok(_) => Ok(()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Hands the next complete response in the receive buffer, classified in place,
    /// to `on` with its body (rows' cells are at `Outcome::Ok::data`): `Ok(false)` when
    /// more bytes are needed. Events (negative streams) are skipped.
    pub fn next_response(&mut self, on: impl FnOnce(i16, Outcome, &[u8])) -> Result<bool> {
        let version = self.framing.version;
        let expected = 0x80 | version.as_u8();
        let buf = self.envelopes()?;
        let outcome = loop {
            if buf.len() < HEADER_LEN {
                return Ok(false);
            }
            let h = &buf[..HEADER_LEN];
            let (version_byte, flags, stream, opcode) =
                (h[0], h[1], i16::from_be_bytes([h[2], h[3]]), h[4]);
            let len = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) as usize;
            if version_byte != expected {
                break Err(format!("response with version byte 0x{version_byte:02x}"));
            }
            if len > MAX_FRAME {
                break Err(format!("response of {len} bytes"));
            }
            if buf.len() < HEADER_LEN + len {
                buf.reserve(HEADER_LEN + len - buf.len());
                return Ok(false);
            }
            if stream >= 0 {
                let body = &buf[HEADER_LEN..HEADER_LEN + len];
                match classify(version, flags, opcode, body) {
                    Ok(outcome) => on(stream, outcome, body),
                    Err(m) => break Err(m),
                }
                buf.advance(HEADER_LEN + len);
                break Ok(());
            }
            buf.advance(HEADER_LEN + len);
        };
        outcome.map(|()| true).map_err(|m| self.protocol(m))
    }
}

/// v3/v4: each envelope of `plain` with its body compressed and the flag set.
fn compress_envelopes(plain: &[u8], compression: Compression, out: &mut BytesMut) {
    let mut rest = plain;
    while let Some(len) = envelope_len(rest).filter(|l| *l <= rest.len()) {
        let (header, body) = rest[..len].split_at(HEADER_LEN);
        let start = out.len();
        out.extend_from_slice(header);
        out[start + 1] |= 0x01;
        compression.compress(body, out);
        let body_len = (out.len() - start - HEADER_LEN) as u32;
        out[start + 5..start + 9].copy_from_slice(&body_len.to_be_bytes());
        rest = &rest[len..];
    }
    // Only whole envelopes are ever written; anything else goes out as it is.
    out.extend_from_slice(rest);
}

/// v5: moves the payloads of the complete segments of `wire` to `envelopes`. The
/// payloads in order are the envelope stream itself: a self-contained segment holds
/// whole envelopes, a run of non-self-contained ones the parts of one.
fn unwrap_segments(
    wire: &mut BytesMut,
    compression: Compression,
    envelopes: &mut BytesMut,
) -> Result<(), String> {
    let lz4 = compression == Compression::Lz4;
    while let Some(segment) =
        decode_segment(wire, lz4, MAX_SEGMENT_PAYLOAD).map_err(|e| e.to_string())?
    {
        envelopes.extend_from_slice(&segment.payload);
    }
    Ok(())
}

/// v3/v4 with compression: moves the complete envelopes of `wire` to `envelopes`,
/// decompressing the bodies of those that carry the compression flag.
fn decompress_envelopes(
    wire: &mut BytesMut,
    compression: Compression,
    envelopes: &mut BytesMut,
) -> Result<(), String> {
    while let Some(len) = envelope_len(wire) {
        if len > HEADER_LEN + MAX_FRAME {
            return Err(format!("response of {} bytes", len - HEADER_LEN));
        }
        if wire.len() < len {
            wire.reserve(len - wire.len());
            break;
        }
        let frame = wire.split_to(len);
        if frame[1] & 0x01 == 0 {
            envelopes.extend_from_slice(&frame);
            continue;
        }
        let body = compression
            .decompress(&frame[HEADER_LEN..], MAX_FRAME)
            .map_err(|e| format!("undecompressable response: {e}"))?;
        let start = envelopes.len();
        envelopes.extend_from_slice(&frame[..HEADER_LEN]);
        envelopes[start + 1] &= !0x01;
        envelopes[start + 5..start + 9].copy_from_slice(&(body.len() as u32).to_be_bytes());
        envelopes.extend_from_slice(&body);
    }
    Ok(())
}

/// A prepared statement as EXECUTE names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedId {
    pub id: Bytes,
    /// v5 only: the id of the result metadata, sent back with every EXECUTE.
    pub result_metadata_id: Option<Bytes>,
}

/// Appends an EXECUTE of `prepared` on `stream`; `values` appends the bound values
/// (each `[int length][bytes]`) and returns how many it wrote. Skip-metadata is asked
/// for: the client has the metadata from PREPARE and counting rows is all it does.
pub fn encode_execute(
    out: &mut BytesMut,
    version: ProtocolVersion,
    stream: i16,
    prepared: &PreparedId,
    consistency: Consistency,
    values: impl FnOnce(&mut BytesMut) -> u16,
) {
    let start = out.len();
    out.extend_from_slice(&[version.as_u8(), 0, 0, 0, 0x0A, 0, 0, 0, 0]);
    out[start + 2..start + 4].copy_from_slice(&stream.to_be_bytes());
    wire::write_short_bytes(out, &prepared.id);
    if version.is_v5() {
        let metadata_id = prepared.result_metadata_id.as_deref().unwrap_or_default();
        wire::write_short_bytes(out, metadata_id);
    }
    wire::write_consistency(out, consistency);
    // The flags are a [byte] before v5, an [int] from v5 on; SKIP_METADATA (0x02) and
    // VALUES (0x01) sit in the last byte either way.
    let flags_len = if version.is_v5() { 4 } else { 1 };
    let flags_at = out.len() + flags_len - 1;
    out.put_bytes(0, flags_len - 1);
    out.extend_from_slice(&[0x02, 0, 0]); // flags, [short] value count
    let n = values(out);
    if n > 0 {
        out[flags_at] |= 0x01;
        out[flags_at + 1..flags_at + 3].copy_from_slice(&n.to_be_bytes());
    } else {
        // No VALUES flag: drop the count.
        out.copy_within(flags_at + 3.., flags_at + 1);
        out.truncate(out.len() - 2);
    }
    let len = (out.len() - start - HEADER_LEN) as u32;
    out[start + 5..start + 9].copy_from_slice(&len.to_be_bytes());
}

/// Reads a response body without copying it (the error path does copy).
fn classify(
    version: ProtocolVersion,
    flags: u8,
    opcode: u8,
    body_all: &[u8],
) -> Result<Outcome, String> {
    let mut body = body_all;
    if flags & 0x01 != 0 {
        // Compressed bodies were decompressed (and the flag cleared) on the way in.
        return Err("compressed response, but no compression was negotiated".into());
    }
    let short = |b: &mut &[u8]| -> Result<usize, String> {
        if b.len() < 2 {
            return Err("truncated response".into());
        }
        Ok(b.get_u16() as usize)
    };
    let skip = |b: &mut &[u8], n: usize| -> Result<(), String> {
        if b.len() < n {
            return Err("truncated response".into());
        }
        b.advance(n);
        Ok(())
    };
    if flags & 0x02 != 0 {
        skip(&mut body, 16)?; // tracing id
    }
    if flags & 0x08 != 0 {
        for _ in 0..short(&mut body)? {
            let l = short(&mut body)?;
            skip(&mut body, l)?;
        }
    }
    if flags & 0x04 != 0 {
        for _ in 0..short(&mut body)? {
            let l = short(&mut body)?;
            skip(&mut body, l)?;
            if body.len() < 4 {
                return Err("truncated custom payload".into());
            }
            let l = body.get_i32();
            skip(&mut body, l.max(0) as usize)?;
        }
    }
    match opcode {
        OP_RESULT => {
            if body.len() < 4 {
                return Err("truncated RESULT".into());
            }
            match body.get_i32() {
                2 => rows_count(version, body).map(|(rows, rest)| Outcome::Ok {
                    rows,
                    data: body_all.len() - rest,
                }),
                _ => Ok(Outcome::Ok {
                    rows: 0,
                    data: body_all.len(),
                }),
            }
        }
        OP_ERROR => {
            let mut b = Bytes::copy_from_slice(body);
            cql::response::error::decode_error(&mut b, version)
                .map(Outcome::Failed)
                .map_err(|e| format!("undecodable ERROR: {e}"))
        }
        other => Err(format!(
            "unexpected opcode 0x{other:02x} in answer to EXECUTE"
        )),
    }
}

/// The row count of a Rows body (after the kind) and how many bytes follow it. Fast
/// when the node honoured skip-metadata; otherwise the metadata is decoded properly.
fn rows_count(version: ProtocolVersion, mut b: &[u8]) -> Result<(u32, usize), String> {
    if b.len() < 8 {
        return Err("truncated Rows".into());
    }
    let flags = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    // Metadata_changed (v5) means a new metadata id and full metadata follow.
    if flags & 0x0004 != 0 && flags & 0x0008 == 0 {
        b.advance(8);
        if flags & 0x0002 != 0 {
            if b.len() < 4 {
                return Err("truncated paging state".into());
            }
            let l = b.get_i32();
            if l > 0 {
                if b.len() < l as usize {
                    return Err("truncated paging state".into());
                }
                b.advance(l as usize);
            }
        }
    } else {
        let mut full = Bytes::copy_from_slice(b);
        RowsMetadata::decode(&mut full, version).map_err(|e| format!("bad Rows metadata: {e}"))?;
        b = &b[b.len() - full.len()..];
    }
    if b.len() < 4 {
        return Err("truncated Rows".into());
    }
    let n = b.get_i32().max(0) as u32;
    Ok((n, b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cql::error::{ErrorCode, ErrorExtra};
    use cql::frame::{encode_frame, FrameExtras};
    use cql::request::Values;
    use cql::response::{ColumnSpec, Rows};
    use cql::types::CqlType;
    use cql::wire::Value;

    const VERSION: ProtocolVersion = ProtocolVersion::V4;

    fn prepared() -> PreparedId {
        PreparedId {
            id: Bytes::from_static(b"abc"),
            result_metadata_id: Some(Bytes::from_static(b"md")),
        }
    }

    /// The hand-written EXECUTE is what the reference decoder reads, in every version.
    #[test]
    fn execute_frames_decode_with_the_cql_codec() {
        for version in [
            ProtocolVersion::V3,
            ProtocolVersion::V4,
            ProtocolVersion::V5,
        ] {
            let mut out = BytesMut::new();
            encode_execute(
                &mut out,
                version,
                7,
                &prepared(),
                Consistency::Quorum,
                |o| {
                    wire::write_bytes(o, Some(b"k1"));
                    wire::write_bytes(o, Some(b"v"));
                    2
                },
            );
            encode_execute(&mut out, version, 8, &prepared(), Consistency::One, |_| 0);
            for (stream, values) in [(7, 2), (8, 0)] {
                let f = decode_frame(&mut out, MAX_FRAME, Compression::None)
                    .unwrap()
                    .unwrap();
                assert_eq!(f.header.stream, stream);
                let Request::Execute(e) =
                    Request::decode(version, f.header.opcode, f.body).unwrap()
                else {
                    panic!("not an EXECUTE");
                };
                assert_eq!(&e.id[..], b"abc");
                if version.is_v5() {
                    assert_eq!(e.result_metadata_id.as_deref(), Some(&b"md"[..]));
                }
                assert!(e.params.skip_metadata, "{version}");
                assert_eq!(e.params.values.len(), values, "{version}");
                if values == 2 {
                    assert_eq!(e.params.consistency, Consistency::Quorum);
                    let Values::Positional(v) = e.params.values else {
                        panic!("positional")
                    };
                    assert_eq!(v[0], Value::Bytes(Bytes::from_static(b"k1")));
                }
            }
            assert!(out.is_empty());
        }
    }

    /// Many EXECUTEs, wrapped as each framing sends them and unwrapped as the
    /// receive side does, come back byte for byte: segments (plain and lz4, with an
    /// envelope larger than one segment) and compressed v4 envelopes.
    #[test]
    fn wrapping_round_trips() {
        let big = vec![7u8; MAX_SEGMENT_PAYLOAD + 1000];
        for (version, compression) in [
            (ProtocolVersion::V5, Compression::None),
            (ProtocolVersion::V5, Compression::Lz4),
            (ProtocolVersion::V4, Compression::Lz4),
            (ProtocolVersion::V4, Compression::Snappy),
        ] {
            let mut plain = BytesMut::new();
            for stream in 0..3000 {
                encode_execute(
                    &mut plain,
                    version,
                    stream,
                    &prepared(),
                    Consistency::One,
                    |o| {
                        let value = if stream == 1500 { &big[..] } else { b"value" };
                        wire::write_bytes(o, Some(value));
                        1
                    },
                );
            }
            let mut wire = BytesMut::new();
            if version.is_v5() {
                encode_envelope_segments(&plain, compression == Compression::Lz4, &mut wire);
            } else {
                compress_envelopes(&plain, compression, &mut wire);
                assert_eq!(wire[1] & 0x01, 0x01, "compression flag set");
            }
            assert_ne!(wire, plain);
            let mut back = BytesMut::new();
            if version.is_v5() {
                unwrap_segments(&mut wire, compression, &mut back).unwrap();
            } else {
                decompress_envelopes(&mut wire, compression, &mut back).unwrap();
            }
            assert!(wire.is_empty(), "every byte consumed");
            assert_eq!(back, plain, "{version} {compression:?}");
        }
    }

    /// (flags, opcode, body) of a response encoded by the reference encoder.
    fn response(r: Response, extras: &FrameExtras) -> (u8, u8, Bytes) {
        let mut raw = BytesMut::new();
        encode_frame(&mut raw, VERSION, 1, &r, extras, Compression::None);
        let len = u32::from_be_bytes([raw[5], raw[6], raw[7], raw[8]]) as usize;
        assert_eq!(raw.len(), HEADER_LEN + len);
        (raw[1], raw[4], raw.freeze().slice(HEADER_LEN..))
    }

    #[test]
    fn responses_are_classified_in_place() {
        let spec = ColumnSpec {
            keyspace: "ks".into(),
            table: "t".into(),
            name: "k".into(),
            typ: CqlType::Blob,
        };
        let rows = |no_metadata: bool| {
            let mut metadata = RowsMetadata::new(vec![spec.clone()]);
            if no_metadata {
                metadata.no_metadata = true;
                metadata.columns.clear();
            }
            Response::Result(ResultBody::Rows(Rows {
                metadata,
                rows: vec![vec![Some(Bytes::from_static(b"x"))]; 3],
            }))
        };
        let warn = FrameExtras {
            warnings: vec!["careful".into()],
            ..FrameExtras::default()
        };
        for (r, extras) in [
            (rows(true), FrameExtras::default()),
            (rows(false), FrameExtras::default()),
            (rows(false), warn),
        ] {
            let (flags, op, body) = response(r, &extras);
            let Ok(Outcome::Ok { rows: 3, data }) = classify(VERSION, flags, op, &body) else {
                panic!("3 rows expected");
            };
            assert_eq!(&body[data..data + 5], &[0, 0, 0, 1, b'x'], "first cell");
        }
        let (flags, op, body) =
            response(Response::Result(ResultBody::Void), &FrameExtras::default());
        assert!(matches!(
            classify(VERSION, flags, op, &body),
            Ok(Outcome::Ok { rows: 0, .. })
        ));
        let err = ErrorBody {
            code: ErrorCode::Overloaded,
            message: "busy".into(),
            extra: ErrorExtra::None,
        };
        let (flags, op, body) = response(Response::Error(err.clone()), &FrameExtras::default());
        match classify(VERSION, flags, op, &body) {
            Ok(Outcome::Failed(e)) => assert_eq!(e, err),
            other => panic!("{other:?}"),
        }
        assert!(
            classify(VERSION, 0, 0x02, &[]).is_err(),
            "READY is not an answer to EXECUTE"
        );
        assert!(
            classify(VERSION, 0, OP_RESULT, &[0, 0]).is_err(),
            "truncated"
        );
    }
}
