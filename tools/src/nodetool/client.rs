//! The admin API client: blocking HTTP/1.1 JSON calls to one node (ureq).

use std::time::Duration;

use serde::de::DeserializeOwned;

/// Why a call failed; the binary prints it and exits 1.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Cassandra's nodetool says "Failed to connect to 'host:port'".
    #[error("Failed to connect to '{addr}' - {reason}. Is the node running with its admin API on that port (--admin-port)?")]
    Connect { addr: String, reason: String },
    /// The node refused the request (bad keyspace, bad tag...).
    #[error("{0}")]
    Node(String),
    #[error("unexpected answer from {addr}: {reason}")]
    Protocol { addr: String, reason: String },
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    addr: String,
}

impl Client {
    pub fn new(host: &str, port: u16, timeout: Duration) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(timeout)
            .build();
        // IPv6 literals need brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        Client {
            agent,
            base: format!("http://{host}:{port}"),
            addr: format!("{host}:{port}"),
        }
    }

    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.call("GET", path, query)
    }

    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.call("POST", path, query)
    }

    /// The raw text of `path` (e.g. /metrics).
    pub fn text(&self, path: &str) -> Result<String, ClientError> {
        let resp = self.send("GET", path, &[])?;
        resp.into_string().map_err(|e| self.protocol(e.to_string()))
    }

    fn protocol(&self, reason: String) -> ClientError {
        ClientError::Protocol {
            addr: self.addr.clone(),
            reason,
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<ureq::Response, ClientError> {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (k, v) in query {
            req = req.query(k, v);
        }
        match req.call() {
            Ok(r) => Ok(r),
            Err(ureq::Error::Status(code, resp)) => {
                let body: serde_json::Value = resp.into_json().unwrap_or_default();
                let msg = body
                    .get("error")
                    .and_then(|e| e.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("HTTP {code}"));
                Err(ClientError::Node(msg))
            }
            Err(ureq::Error::Transport(t)) => Err(ClientError::Connect {
                addr: self.addr.clone(),
                reason: t.to_string(),
            }),
        }
    }

    fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        let resp = self.send(method, path, query)?;
        resp.into_json().map_err(|e| self.protocol(e.to_string()))
    }
}
