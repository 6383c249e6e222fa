//! The transport over a real socket, in process (so that the engine's counters can be
//! read): requests that do not answer at once, the paced writes.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use cql::frame::{decode_frame, encode_request_frame, Compression, ProtocolVersion};
use cql::request::{Query, QueryParameters, Request, Value, Values};
use cql::response::{Response, ResultBody};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{serve, TransportConfig};
use crate::coordinator::tests::paced_config;
use crate::exec::tests::identity;
use crate::query::QueryProcessor;

const V4: ProtocolVersion = ProtocolVersion::V4;

/// A minimal v4 client: pipelined requests, responses by stream.
struct Client {
    sock: TcpStream,
    buf: BytesMut,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        let sock = TcpStream::connect(addr).await.expect("connect");
        let mut c = Client {
            sock,
            buf: BytesMut::new(),
        };
        c.send(
            0,
            &Request::Startup(HashMap::from([("CQL_VERSION".into(), "3.0.0".into())])),
        )
        .await;
        assert!(matches!(c.recv().await, (0, Response::Ready)));
        c
    }

    async fn send(&mut self, stream: i16, request: &Request) {
        let mut out = BytesMut::new();
        encode_request_frame(&mut out, V4, stream, request, false, Compression::None);
        self.sock.write_all(&out).await.expect("write");
    }

    async fn recv(&mut self) -> (i16, Response) {
        loop {
            if let Some(f) =
                decode_frame(&mut self.buf, 16 << 20, Compression::None).expect("frame")
            {
                let r = Response::decode(V4, f.header.opcode, f.body).expect("response");
                return (f.header.stream, r);
            }
            let n = self.sock.read_buf(&mut self.buf).await.expect("read");
            assert!(n > 0, "the node closed the connection");
        }
    }

    async fn query(&mut self, text: &str, values: Vec<Value>) -> Response {
        self.send(1, &query(text, values)).await;
        self.recv().await.1
    }
}

fn query(text: &str, values: Vec<Value>) -> Request {
    Request::Query(Query {
        query: text.into(),
        params: QueryParameters {
            values: Values::Positional(values),
            ..QueryParameters::default()
        },
    })
}

/// Every write is paced (`coordinator::tests::paced_config`).
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn paced_writes_are_answered_after_their_delay_and_the_connection_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let qp = QueryProcessor::open(identity(), paced_config(dir.path())).expect("open");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stop_rx) = watch::channel(false);
    let node = tokio::spawn(serve(
        listener,
        Arc::clone(&qp),
        TransportConfig::default(),
        stop_rx,
    ));

    let mut c = Client::connect(addr).await;
    for ddl in [
        "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        "CREATE TABLE ks.t (k int PRIMARY KEY, v blob)",
    ] {
        let r = c.query(ddl, vec![]).await;
        assert!(matches!(r, Response::Result(ResultBody::SchemaChange(_))), "{ddl}: {r:?}");
    }
    // 16 writes of 64 KiB in flight at once (each owes ~1 ms at the initial rate),
    // then a read on the same connection.
    let blob = Value::Bytes(Bytes::from(vec![b'v'; 64 << 10]));
    for k in 0..16i32 {
        let key = Value::Bytes(Bytes::copy_from_slice(&k.to_be_bytes()));
        let insert = query(
            "INSERT INTO ks.t (k, v) VALUES (?, ?)",
            vec![key, blob.clone()],
        );
        c.send(100 + k as i16, &insert).await;
    }
    c.send(200, &query("SELECT k FROM ks.t", vec![])).await;
    let mut answered = Vec::new();
    let mut rows = None;
    while answered.len() < 17 {
        // A bound instead of hanging if an answer never comes.
        let next = tokio::time::timeout(std::time::Duration::from_secs(60), c.recv());
        let (stream, r) = next.await.expect("an answer for every request");
        match r {
            Response::Result(ResultBody::Void) => answered.push(stream),
            Response::Result(ResultBody::Rows(r)) if stream == 200 => {
                answered.push(stream);
                rows = Some(r.rows.len());
            }
            other => panic!("stream {stream}: {other:?}"),
        }
    }
    answered.sort_unstable();
    let mut expected: Vec<i16> = (100..116).collect();
    expected.push(200);
    assert_eq!(answered, expected, "every request answered once");
    assert_eq!(
        rows,
        Some(16),
        "the writes were applied before their answers"
    );
    let paced = qp.engine().activity().paced_writes;
    assert!(paced >= 1, "the writes were paced ({paced})");

    let _ = stop.send(true);
    node.await.expect("transport");
}
