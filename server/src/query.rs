//! The QueryProcessor: the facade the transport calls for QUERY, PREPARE, EXECUTE and
//! BATCH.
//!
//! It owns the schema manager, the storage engine, the prepared-statement cache, the
//! write clock and the SCHEMA_CHANGE event channel. It parses and dispatches; the work
//! itself lives in `exec` (DML, SELECT, batches), `schema` (DDL), `system` (virtual
//! tables, DESCRIBE) and `coordinator` (replica placement and consistency). It never
//! touches sockets or frames.

use std::net::SocketAddr;
use std::sync::Arc;

use cql::request::{Batch, Execute, Prepare, Query};
use cql::response::{Event, ResultBody};
use tokio::sync::broadcast;

use crate::coordinator::Coordinator;
use crate::error::RequestError;
use crate::exec::{self, ExecContext, PreparedCache};
use crate::schema::SchemaManager;

/// Who this node is; defined in `system` with the tables that show it.
pub use crate::system::NodeIdentity;

/// Per-connection state the transport keeps and passes to every request.
#[derive(Debug, Clone)]
pub struct ClientState {
    /// The keyspace set by USE (or the v5 per-request keyspace is applied on top).
    pub keyspace: Option<String>,
    pub version: cql::frame::ProtocolVersion,
    pub client: SocketAddr,
    /// Shared, not owned: every request clones the state (dispatch), and a clone of
    /// an `Arc` is a counter increment where a `String` is a malloc and a copy.
    pub driver_name: Option<Arc<str>>,
    pub driver_version: Option<Arc<str>>,
}

/// Capacity of the SCHEMA_CHANGE channel; a subscriber that lags further loses events
/// (it is told so by the receiver and can refresh the whole schema).
const EVENT_CHANNEL_CAPACITY: usize = 256;

/// Maximum number of prepared statements kept; the least recently used go first.
const PREPARED_CACHE_CAPACITY: usize = 10_000;

/// The node's statement processor. Cheap to share: every method takes `&self`.
pub struct QueryProcessor {
    ctx: ExecContext,
    events: broadcast::Sender<Event>,
}

impl QueryProcessor {
    /// Opens the schema under `storage.data_dir`, then the storage engine with the
    /// schema's tables (which replays the commit log).
    pub fn open(
        identity: NodeIdentity,
        storage: storage::Config,
    ) -> anyhow::Result<Arc<QueryProcessor>> {
        let schema = SchemaManager::open(&storage.data_dir)?;
        let mut tables = schema.storage_tables();
        tables.push((crate::paxos::TABLE_ID, crate::paxos::table_options()));
        let engine = storage::Engine::open(storage, &tables)?;
        let (events, _) = broadcast::channel(EVENT_CHANNEL_CAPACITY);
        let coordinator = Coordinator::new(identity.clone(), engine.clone());
        let paxos: Arc<dyn crate::paxos::PaxosReplica> =
            Arc::new(crate::paxos::LocalReplica::new(engine.clone()));
        let ctx = ExecContext {
            identity: Arc::new(identity),
            schema,
            engine,
            coordinator,
            prepared: PreparedCache::new(PREPARED_CACHE_CAPACITY),
            clock: exec::Clock::default(),
            paxos: vec![paxos],
        };
        exec::index::resume_all(&ctx.engine, &ctx.schema.snapshot());
        Ok(Arc::new(QueryProcessor { ctx, events }))
    }

    /// QUERY: parse the text and run it.
    pub async fn query(&self, st: &mut ClientState, q: Query) -> Result<ResultBody, RequestError> {
        let out = exec::run_query(&self.ctx, st, q).await?;
        self.publish(out.event);
        Ok(out.result)
    }

    /// PREPARE: parse once, cache, describe the bind markers and the result.
    pub async fn prepare(
        &self,
        st: &mut ClientState,
        p: Prepare,
    ) -> Result<ResultBody, RequestError> {
        exec::prepare(&self.ctx, st, p)
    }

    /// EXECUTE a prepared statement.
    pub async fn execute(
        &self,
        st: &mut ClientState,
        e: Execute,
    ) -> Result<ResultBody, RequestError> {
        let out = exec::execute(&self.ctx, st, e).await?;
        self.publish(out.event);
        Ok(out.result)
    }

    /// BATCH of INSERT / UPDATE / DELETE statements.
    pub async fn batch(&self, st: &mut ClientState, b: Batch) -> Result<ResultBody, RequestError> {
        exec::batch::run(&self.ctx, st, b).await
    }

    /// SCHEMA_CHANGE events, for connections that REGISTERed for them.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Flushes and closes the storage engine. Call once, at the end.
    pub fn shutdown(&self) {
        if let Err(e) = self.ctx.engine.shutdown() {
            tracing::error!(error = %e, "storage shutdown failed");
        }
    }

    pub fn engine(&self) -> &Arc<storage::Engine> {
        &self.ctx.engine
    }

    pub fn schema(&self) -> &SchemaManager {
        &self.ctx.schema
    }

    pub fn identity(&self) -> &NodeIdentity {
        &self.ctx.identity
    }

    fn publish(&self, event: Option<Event>) {
        if let Some(ev) = event {
            // No subscriber is not an error: nobody registered for events yet.
            let _ = self.events.send(ev);
        }
    }
}
