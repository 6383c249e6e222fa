//! Runs one started-connection request: QUERY / PREPARE / EXECUTE / BATCH go to the
//! [`crate::query::QueryProcessor`], whose errors become ERROR bodies through
//! `RequestError::to_error_body` (the one mapping, in `crate::error`). A panic inside
//! the processor is answered as a Server error instead of leaving the stream unanswered.

use bytes::Bytes;
use cql::error::ErrorBody;
use cql::request::Request;
use cql::response::Response;

use super::connection::Conn;
use super::handshake;

/// Handles `request` and returns the encoded response envelope for `stream`.
pub(super) async fn handle(conn: &std::sync::Arc<Conn>, stream: i16, request: Request) -> Bytes {
    let response = match request {
        Request::Options => handshake::supported(),
        Request::Startup(_) => Response::Error(ErrorBody::protocol(
            "Unexpected message STARTUP: the connection is already started",
        )),
        Request::Register(_) => {
            // The reader handles REGISTER itself; reaching here is a transport bug.
            Response::Error(ErrorBody::server("REGISTER reached the request dispatcher"))
        }
        Request::AuthResponse(_) => Response::Error(ErrorBody::protocol(
            "Unexpected message AUTH_RESPONSE: no authentication is configured on this node",
        )),
        request @ (Request::Query(_)
        | Request::Prepare(_)
        | Request::Execute(_)
        | Request::Batch(_)) => run_statement(conn.clone(), request).await,
    };
    conn.encode(stream, &response)
}

async fn run_statement(conn: std::sync::Arc<Conn>, request: Request) -> Response {
    let task = tokio::spawn(async move {
        // Each request works on a copy of the session; a USE writes the keyspace back.
        let mut st = conn.state.lock().clone();
        let before = st.keyspace.clone();
        let p = &conn.processor;
        let result = match request {
            Request::Query(q) => p.query(&mut st, q).await,
            Request::Prepare(q) => p.prepare(&mut st, q).await,
            Request::Execute(q) => p.execute(&mut st, q).await,
            Request::Batch(q) => p.batch(&mut st, q).await,
            _ => return Response::Error(ErrorBody::server("not a statement")),
        };
        if st.keyspace != before {
            conn.state.lock().keyspace = st.keyspace;
        }
        match result {
            Ok(body) => Response::Result(body),
            Err(e) => {
                tracing::debug!("request failed: {e}");
                Response::Error(e.to_error_body())
            }
        }
    });
    match task.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("request task failed: {e}");
            Response::Error(ErrorBody::server(format!(
                "internal error while executing the request: {e}"
            )))
        }
    }
}
