//! Runs one started-connection request: QUERY / PREPARE / EXECUTE / BATCH go to the
//! [`crate::query::QueryProcessor`], whose errors become ERROR bodies through
//! `RequestError::to_error_body` (the one mapping, in `crate::error`). A panic inside
//! the processor is answered as a Server error instead of leaving the stream unanswered
//! (see [`Reply`]).

use std::sync::Arc;

use cql::error::ErrorBody;
use cql::request::Request;
use cql::response::Response;
use tracing::Instrument;

use super::connection::Conn;
use super::handshake;
use crate::coordinator::Owed;

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

/// How a request ends once its future has its response: the answer, sent now or, when
/// the request's writes owe a pacing delay (coordinator.rs), by a task that waits it
/// out first while the connection goes on reading.
pub(super) struct Done {
    reply: Reply,
    op: crate::metrics::Op,
    started: std::time::Instant,
}

impl Done {
    pub fn new(reply: Reply, request: &Request) -> Done {
        Done {
            reply,
            op: crate::metrics::Op::of(request.opcode()),
            started: std::time::Instant::now(),
        }
    }

    /// Answers now, or from a task of its own after the owed delay.
    pub fn finish(self, response: Response, owed: Option<Owed>) {
        match owed {
            None => self.answer(&response),
            Some(owed) => {
                tokio::spawn(self.answer_after(Some(owed), response).in_current_span());
            }
        }
    }

    /// Waits out the owed delay, if any, then answers.
    pub async fn answer_after(self, owed: Option<Owed>, response: Response) {
        if let Some(owed) = owed {
            owed.pay().await;
        }
        self.answer(&response);
    }

    fn answer(self, response: &Response) {
        let error = match response {
            Response::Error(e) => Some(e.code),
            _ => None,
        };
        crate::metrics::global().request(self.op, self.started, error);
        self.reply.send(response);
    }
}

/// The answer to a request that runs no statement (OPTIONS, or a message out of
/// place), or `None` for QUERY / PREPARE / EXECUTE / BATCH: those go to
/// [`run_statement`].
pub(super) fn without_statement(request: &Request) -> Option<Response> {
    Some(match request {
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
        _ => return None,
    })
}

/// Runs a statement request: its response. The connection polls this future in place
/// and inside `coordinator::defer_backpressure`, which collects the pacing delay its
/// writes owe; [`Done`] answers.
pub(super) async fn run_statement(conn: Arc<Conn>, request: Request) -> Response {
    // Each request works on a copy of the session; a USE (the one statement that
    // changes it, answered SetKeyspace) writes the keyspace back.
    let mut st = conn.state.lock().clone();
    let p = &conn.processor;
    let result = match request {
        // QUERY (parse and compile) and BATCH hold far more across their awaits than
        // EXECUTE; boxed, they add a pointer to every request's future, not their
        // size, and the connection moves that future at least once per request.
        Request::Query(q) => Box::pin(p.query(&mut st, q)).await,
        Request::Prepare(q) => p.prepare(&mut st, q).await,
        Request::Execute(q) => p.execute(&mut st, q).await,
        Request::Batch(q) => Box::pin(p.batch(&mut st, q)).await,
        other => {
            let msg = format!("{} is not a statement", other.opcode().name());
            return Response::Error(ErrorBody::server(msg));
        }
    };
    if let Ok(cql::response::ResultBody::SetKeyspace(_)) = &result {
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
