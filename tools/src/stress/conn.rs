//! A thin native-protocol (v4) client connection, built for throughput: requests are
//! written straight into one reusable buffer and responses are classified in place
//! from the receive buffer, so the steady state allocates nothing per operation.
//! Setup requests (STARTUP, schema QUERY, PREPARE) go through `helenus_cql`'s full
//! codecs one at a time. The general-purpose drivers (scylla, cdrs-tokio) spend
//! several microseconds of CPU per request on futures, routing and result decoding;
//! a load generator that must drive 300k requests/s from one core cannot afford that.

use std::collections::HashMap;

use bytes::{Buf, Bytes, BytesMut};
use cql::error::ErrorBody;
use cql::frame::{decode_frame, encode_request_frame, Compression, ProtocolVersion};
use cql::request::{Prepare, Query, QueryParameters, Request};
use cql::response::{Prepared, Response, ResultBody, RowsMetadata};
use cql::wire::{self, Consistency};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::{Result, StressError};

pub const VERSION: ProtocolVersion = ProtocolVersion::V4;
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

pub struct Conn {
    pub addr: String,
    stream: TcpStream,
    rbuf: BytesMut,
    pub wbuf: BytesMut,
}

impl Conn {
    /// Connects and sends STARTUP (no compression, no authentication).
    pub async fn connect(addr: &str) -> Result<Conn> {
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
            stream,
            rbuf: BytesMut::with_capacity(64 << 10),
            wbuf: BytesMut::with_capacity(64 << 10),
        };
        let opts = HashMap::from([("CQL_VERSION".to_string(), "3.0.0".to_string())]);
        match c.roundtrip(&Request::Startup(opts)).await? {
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
        encode_request_frame(&mut self.wbuf, VERSION, 0, req, false, Compression::None);
        self.flush().await?;
        loop {
            let frame = decode_frame(&mut self.rbuf, MAX_FRAME, Compression::None)
                .map_err(|e| self.protocol(e.to_string()))?;
            if let Some(f) = frame {
                if f.header.stream < 0 {
                    continue; // an event; we never REGISTER, but be tolerant
                }
                return Response::decode(VERSION, f.header.opcode, f.body)
                    .map_err(|e| self.protocol(e.to_string()));
            }
            self.fill().await?;
        }
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

    /// Sends everything in the write buffer.
    pub async fn flush(&mut self) -> Result<()> {
        if !self.wbuf.is_empty() {
            let r = self.stream.write_all(&self.wbuf).await;
            r.map_err(|e| self.io(e))?;
            self.wbuf.clear();
        }
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
        loop {
            if self.rbuf.len() < HEADER_LEN {
                return Ok(false);
            }
            let h = &self.rbuf[..HEADER_LEN];
            let (version, flags, stream, opcode) =
                (h[0], h[1], i16::from_be_bytes([h[2], h[3]]), h[4]);
            let len = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) as usize;
            if version != 0x84 {
                return Err(self.protocol(format!("response with version byte 0x{version:02x}")));
            }
            if len > MAX_FRAME {
                return Err(self.protocol(format!("response of {len} bytes")));
            }
            if self.rbuf.len() < HEADER_LEN + len {
                self.rbuf.reserve(HEADER_LEN + len - self.rbuf.len());
                return Ok(false);
            }
            if stream >= 0 {
                let body = &self.rbuf[HEADER_LEN..HEADER_LEN + len];
                let outcome = classify(flags, opcode, body).map_err(|m| self.protocol(m))?;
                on(stream, outcome, body);
                self.rbuf.advance(HEADER_LEN + len);
                return Ok(true);
            }
            self.rbuf.advance(HEADER_LEN + len);
        }
    }
}

/// Appends an EXECUTE of prepared `id` on `stream`; `values` appends the bound values
/// (each `[int length][bytes]`) and returns how many it wrote. Skip-metadata is asked
/// for: the client has the metadata from PREPARE and counting rows is all it does.
pub fn encode_execute(
    out: &mut BytesMut,
    stream: i16,
    id: &[u8],
    consistency: Consistency,
    values: impl FnOnce(&mut BytesMut) -> u16,
) {
    let start = out.len();
    out.extend_from_slice(&[0x04, 0, 0, 0, 0x0A, 0, 0, 0, 0]);
    out[start + 2..start + 4].copy_from_slice(&stream.to_be_bytes());
    wire::write_short_bytes(out, id);
    wire::write_consistency(out, consistency);
    let flags_at = out.len();
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
fn classify(flags: u8, opcode: u8, body_all: &[u8]) -> Result<Outcome, String> {
    let mut body = body_all;
    if flags & 0x01 != 0 {
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
                2 => rows_count(body).map(|(rows, rest)| Outcome::Ok {
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
            cql::response::error::decode_error(&mut b, VERSION)
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
fn rows_count(mut b: &[u8]) -> Result<(u32, usize), String> {
    if b.len() < 8 {
        return Err("truncated Rows".into());
    }
    let flags = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if flags & 0x0004 != 0 {
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
        RowsMetadata::decode(&mut full, VERSION).map_err(|e| format!("bad Rows metadata: {e}"))?;
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

    /// The hand-written EXECUTE is what the reference decoder reads.
    #[test]
    fn execute_frames_decode_with_the_cql_codec() {
        let mut out = BytesMut::new();
        encode_execute(&mut out, 7, b"abc", Consistency::Quorum, |o| {
            wire::write_bytes(o, Some(b"k1"));
            wire::write_bytes(o, Some(b"v"));
            2
        });
        encode_execute(&mut out, 8, b"abc", Consistency::One, |_| 0);
        for (stream, values) in [(7, 2), (8, 0)] {
            let f = decode_frame(&mut out, MAX_FRAME, Compression::None)
                .unwrap()
                .unwrap();
            assert_eq!(f.header.stream, stream);
            let Request::Execute(e) = Request::decode(VERSION, f.header.opcode, f.body).unwrap()
            else {
                panic!("not an EXECUTE");
            };
            assert_eq!(&e.id[..], b"abc");
            assert!(e.params.skip_metadata);
            assert_eq!(e.params.values.len(), values);
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
            let Ok(Outcome::Ok { rows: 3, data }) = classify(flags, op, &body) else {
                panic!("3 rows expected");
            };
            assert_eq!(&body[data..data + 5], &[0, 0, 0, 1, b'x'], "first cell");
        }
        let (flags, op, body) =
            response(Response::Result(ResultBody::Void), &FrameExtras::default());
        assert!(matches!(
            classify(flags, op, &body),
            Ok(Outcome::Ok { rows: 0, .. })
        ));
        let err = ErrorBody {
            code: ErrorCode::Overloaded,
            message: "busy".into(),
            extra: ErrorExtra::None,
        };
        let (flags, op, body) = response(Response::Error(err.clone()), &FrameExtras::default());
        match classify(flags, op, &body) {
            Ok(Outcome::Failed(e)) => assert_eq!(e, err),
            other => panic!("{other:?}"),
        }
        assert!(
            classify(0, 0x02, &[]).is_err(),
            "READY is not an answer to EXECUTE"
        );
        assert!(classify(0, OP_RESULT, &[0, 0]).is_err(), "truncated");
    }
}
