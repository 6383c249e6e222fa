//! Runs one started-connection request: QUERY / PREPARE / EXECUTE / BATCH go to the
//! [`crate::query::QueryProcessor`], whose errors become ERROR bodies through
//! `RequestError::to_error_body` (the one mapping, in `crate::error`). A panic inside
//! the processor is answered as a Server error instead of leaving the stream unanswered
//! (see [`Reply`]).

use std::sync::Arc;

use cql::error::ErrorBody;
use cql::request::Request;
use cql::response::Response;

use super::connection::Conn;
use super::handshake;

/// Answers exactly once for a request, whose in-flight slot it holds: normally through
/// [`Reply::send`]; if the request task panics, the drop during unwinding answers a
/// Server error instead, so the client's stream is never left hanging and the slot is
/// given back.
pub(super) struct Reply {
    conn: Arc<Conn>,
    stream: i16,
    answered: bool,
}

impl Reply {
    pub fn new(conn: Arc<Conn>, stream: i16) -> Reply {
        Reply {
            conn,
            stream,
            answered: false,
        }
    }

    fn send(mut self, response: &Response) {
        self.answered = true;
        if !self.conn.send(self.stream, response, true) {
            crate::metrics::global().dropped_response();
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if !self.answered {
            tracing::error!(
                stream = self.stream,
                "request task ended without a response (panic)"
            );
            let e = ErrorBody::server("internal error while executing the request");
            self.conn.send(self.stream, &Response::Error(e), true);
        }
    }
}

/// Runs `request` and answers it through `reply`.
pub(super) async fn handle(reply: Reply, request: Request) {
    let started = std::time::Instant::now();
    let op = crate::metrics::Op::of(request.opcode());
    let conn = reply.conn.clone();
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
        // A paced write's delay is waited out here, after the statement and
        // before the answer (coordinator.rs): the request becomes its own task
        // and the connection goes on reading.
        request => crate::coordinator::defer_backpressure(run_statement(&conn, request)).await,
    };
    let error = match &response {
        Response::Error(e) => Some(e.code),
        _ => None,
    };
    crate::metrics::global().request(op, started, error);
    reply.send(&response);
}

async fn run_statement(conn: &Conn, request: Request) -> Response {
    // Each request works on a copy of the session; a USE writes the keyspace back.
    let mut st = conn.state.lock().clone();
    let before = st.keyspace.clone();
    let p = &conn.processor;
    let result = match request {
        Request::Query(q) => p.query(&mut st, q).await,
        Request::Prepare(q) => p.prepare(&mut st, q).await,
        Request::Execute(q) => p.execute(&mut st, q).await,
        Request::Batch(q) => p.batch(&mut st, q).await,
        other => {
            let msg = format!("{} is not a statement", other.opcode().name());
            return Response::Error(ErrorBody::server(msg));
        }
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
}
