//! What every integration module does with the scylla driver: connect to a node, run a
//! statement, read its rows untyped, and take the error of a statement that must fail.

use std::time::Duration;

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::{DbError, ExecutionError, RequestAttemptError};
use scylla::response::query_result::QueryResult;
use scylla::value::{CqlValue, Row};

use crate::harness::NodeProc;

/// A session on `node`; the node's log is in the panic message when it cannot connect.
pub async fn connect(node: &NodeProc) -> Session {
    let builder = SessionBuilder::new().known_node(node.uri());
    match tokio::time::timeout(Duration::from_secs(60), builder.build()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => panic!("scylla connect failed: {e}; log:\n{}", node.log()),
        Err(_) => panic!("scylla connect timed out; log:\n{}", node.log()),
    }
}

/// A result set as column names and untyped rows (a statement without rows gives none).
pub struct Rs {
    pub cols: Vec<String>,
    pub rows: Vec<Vec<Option<CqlValue>>>,
}

impl TryFrom<QueryResult> for Rs {
    type Error = ExecutionError;

    fn try_from(r: QueryResult) -> Result<Rs, ExecutionError> {
        let Ok(rows) = r.into_rows_result() else {
            return Ok(Rs {
                cols: Vec::new(),
                rows: Vec::new(),
            });
        };
        let cols = rows
            .column_specs()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let rows = rows
            .rows::<Row>()
            .expect("untyped rows")
            .map(|r| r.expect("row").columns)
            .collect();
        Ok(Rs { cols, rows })
    }
}

/// Runs `cql` unpaged and returns its result set or the driver's error.
pub async fn try_query(s: &Session, cql: &str) -> Result<Rs, ExecutionError> {
    Rs::try_from(s.query_unpaged(cql, &[]).await?)
}

/// Runs `cql` unpaged; a failure fails the test with the statement in the message.
pub async fn query(s: &Session, cql: &str) -> Rs {
    try_query(s, cql)
        .await
        .unwrap_or_else(|e| panic!("{cql}: {e}"))
}

/// Runs a statement whose result does not matter (DDL, writes).
pub async fn run(s: &Session, cql: &str) {
    query(s, cql).await;
}

/// Creates keyspace `name` with SimpleStrategy and replication factor 1.
pub async fn keyspace(s: &Session, name: &str) {
    run(
        s,
        &format!(
            "CREATE KEYSPACE {name} WITH replication = \
             {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
        ),
    )
    .await;
}

/// The driver's rendering of the error of a statement that must fail.
pub async fn error(s: &Session, cql: &str) -> String {
    match s.query_unpaged(cql, &[]).await {
        Ok(_) => panic!("{cql} succeeded; expected an error"),
        Err(e) => e.to_string(),
    }
}

/// The server's error code and message of a statement that must fail with one.
pub async fn db_error(s: &Session, cql: &str) -> (DbError, String) {
    match try_query(s, cql).await {
        Err(ExecutionError::LastAttemptError(RequestAttemptError::DbError(db, m))) => (db, m),
        Err(e) => panic!("{cql}: expected a server error, got {e:?}"),
        Ok(_) => panic!("{cql}: expected an error, got a result"),
    }
}

/// The message of an Invalid (InvalidRequest) error.
pub async fn invalid(s: &Session, cql: &str) -> String {
    match db_error(s, cql).await {
        (DbError::Invalid, m) => m,
        (db, m) => panic!("{cql}: expected Invalid, got {db:?}: {m}"),
    }
}

/// A value as cqlsh would print it, from the driver's own decoding (so the assertions
/// read like the shell and do not go through any of our code).
pub fn render(v: &Option<CqlValue>) -> String {
    let Some(v) = v else {
        return "null".into();
    };
    let list = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
    match v {
        CqlValue::Ascii(s) | CqlValue::Text(s) => format!("'{}'", s.replace('\'', "''")),
        CqlValue::Boolean(b) => b.to_string(),
        CqlValue::Blob(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("0x{hex}")
        }
        CqlValue::Counter(c) => c.0.to_string(),
        CqlValue::Double(d) => d.to_string(),
        CqlValue::Float(f) => f.to_string(),
        CqlValue::Int(i) => i.to_string(),
        CqlValue::BigInt(i) => i.to_string(),
        CqlValue::SmallInt(i) => i.to_string(),
        CqlValue::TinyInt(i) => i.to_string(),
        CqlValue::Timestamp(t) => t.0.to_string(),
        CqlValue::List(items) => format!(
            "[{}]",
            list(&mut items.iter().map(|i| render(&Some(i.clone()))))
        ),
        CqlValue::Set(items) => format!(
            "{{{}}}",
            list(&mut items.iter().map(|i| render(&Some(i.clone()))))
        ),
        CqlValue::Map(pairs) => format!(
            "{{{}}}",
            list(&mut pairs.iter().map(|(k, v)| format!(
                "{}: {}",
                render(&Some(k.clone())),
                render(&Some(v.clone()))
            )))
        ),
        CqlValue::Tuple(items) => format!("({})", list(&mut items.iter().map(render))),
        CqlValue::UserDefinedType { fields, .. } => format!(
            "{{{}}}",
            list(&mut fields.iter().map(|(n, v)| format!("{n}: {}", render(v))))
        ),
        other => format!("{other:?}"),
    }
}

/// Every row of `cql`, each value rendered as cqlsh prints it.
pub async fn table(s: &Session, cql: &str) -> Vec<Vec<String>> {
    query(s, cql)
        .await
        .rows
        .iter()
        .map(|r| r.iter().map(render).collect())
        .collect()
}
