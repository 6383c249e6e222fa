//! The admin routes. Reads are `GET`, operations are `POST`; bodies are JSON, errors
//! are `{"error": "..."}` with 400 (bad input), 404 (unknown keyspace or table) or 500.
//! The endpoint list is a list even on a ring of one, so nodetool's formatting is
//! already the cluster's.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{loglevel, AdminState};
use crate::metrics::{self, Histogram};
use crate::schema::model::TableDef;
use crate::schema::storage_glue::table_id;

type Shared = State<Arc<AdminState>>;

/// An admin request that failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Internal(String),
}

impl From<storage::Error> for AdminError {
    fn from(e: storage::Error) -> Self {
        match e {
            storage::Error::InvalidRequest(m) => AdminError::BadRequest(m),
            other => AdminError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match self {
            AdminError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = serde_json::json!({ "error": self.to_string() });
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, AdminError>;

pub fn router(state: Arc<AdminState>) -> Router {
    Router::new()
        .route("/metrics", get(prometheus))
        .route("/api/v1/version", get(version))
        .route("/api/v1/status", get(status))
        .route("/api/v1/info", get(info))
        .route("/api/v1/ring", get(ring))
        .route("/api/v1/describecluster", get(describe_cluster))
        .route("/api/v1/tablestats", get(table_stats))
        .route("/api/v1/tablehistograms", get(table_histograms))
        .route("/api/v1/compactionstats", get(compaction_stats))
        .route("/api/v1/snapshots", get(list_snapshots))
        .route("/api/v1/loglevel", get(get_log_level).post(set_log_level))
        .route("/api/v1/flush", post(flush))
        .route("/api/v1/compact", post(compact))
        .route("/api/v1/cleanup", post(cleanup))
        .route("/api/v1/drain", post(drain))
        .route("/api/v1/snapshot", post(snapshot))
        .route("/api/v1/clearsnapshot", post(clear_snapshot))
        .with_state(state)
}

async fn prometheus(State(s): Shared) -> Result<Response, AdminError> {
    let p = Arc::clone(&s.processor);
    // Table stats take locks and list commit-log files: off the async threads.
    let text = blocking(move || Ok(metrics::prometheus::render(metrics::global(), &p))).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AdminError> + Send + 'static,
) -> Result<T, AdminError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AdminError::Internal(format!("admin task failed: {e}")))?
}

#[derive(Debug, Serialize)]
pub struct Version {
    /// The Cassandra release the node reports (system.local).
    pub release_version: String,
    pub helenus_version: String,
}

async fn version(State(s): Shared) -> Json<Version> {
    Json(Version {
        release_version: s.processor.identity().release_version.clone(),
        helenus_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// One node of the ring.
#[derive(Debug, Serialize)]
pub struct Endpoint {
    pub address: String,
    pub datacenter: String,
    pub rack: String,
    /// `UP` or `DOWN`.
    pub status: &'static str,
    /// `NORMAL`, `LEAVING`, `JOINING` or `MOVING`.
    pub state: &'static str,
    /// Bytes of live SSTables.
    pub load_bytes: u64,
    pub tokens: Vec<String>,
    /// Fraction of the data this node replicates (0..=1) for `keyspace`, or of the
    /// token ring when no keyspace is given.
    pub owns: f64,
    pub host_id: String,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub cluster_name: String,
    pub partitioner: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Deserialize)]
pub struct KeyspaceParam {
    pub keyspace: Option<String>,
}

fn load_bytes(p: &crate::query::QueryProcessor) -> u64 {
    let engine = p.engine();
    engine
        .table_ids()
        .into_iter()
        .filter_map(|id| engine.table_stats(id).ok())
        .map(|s| s.live_data_size)
        .sum()
}

fn endpoints(s: &AdminState, keyspace: Option<&str>) -> Result<Vec<Endpoint>, AdminError> {
    let p = &s.processor;
    if let Some(ks) = keyspace {
        if p.schema().snapshot().keyspace(ks).is_none() {
            return Err(AdminError::NotFound(format!(
                "keyspace {ks} does not exist"
            )));
        }
    }
    let id = p.identity();
    // A ring of one replicates every keyspace fully and owns the whole ring.
    let owns = 1.0;
    Ok(vec![Endpoint {
        address: id.broadcast_address.to_string(),
        datacenter: id.data_center.clone(),
        rack: id.rack.clone(),
        status: "UP",
        state: "NORMAL",
        load_bytes: load_bytes(p),
        tokens: id.tokens.iter().map(|t| t.to_string()).collect(),
        owns,
        host_id: id.host_id.to_string(),
    }])
}

async fn status(State(s): Shared, Query(q): Query<KeyspaceParam>) -> ApiResult<Status> {
    let st = Arc::clone(&s);
    blocking(move || {
        let id = st.processor.identity();
        Ok(Json(Status {
            cluster_name: id.cluster_name.clone(),
            partitioner: id.partitioner.clone(),
            endpoints: endpoints(&st, q.keyspace.as_deref())?,
        }))
    })
    .await
}

async fn ring(State(s): Shared, Query(q): Query<KeyspaceParam>) -> ApiResult<Status> {
    status(State(s), Query(q)).await
}

#[derive(Debug, Serialize)]
pub struct Info {
    pub host_id: String,
    pub gossip_active: bool,
    pub native_transport_active: bool,
    pub load_bytes: u64,
    pub generation: u64,
    pub uptime_seconds: u64,
    pub memtable_bytes: u64,
    pub datacenter: String,
    pub rack: String,
    /// Server errors answered since start (Cassandra's "Exceptions").
    pub exceptions: u64,
    pub tokens: Vec<String>,
    pub drained: bool,
}

async fn info(State(s): Shared) -> ApiResult<Info> {
    let st = Arc::clone(&s);
    blocking(move || {
        let p = &st.processor;
        let id = p.identity();
        let engine = p.engine();
        let memtable_bytes = engine
            .table_ids()
            .into_iter()
            .filter_map(|t| engine.table_stats(t).ok())
            .map(|s| s.memtable_size)
            .sum();
        let exceptions = metrics::global()
            .errors()
            .into_iter()
            .filter(|(c, _)| *c == cql::error::ErrorCode::Server)
            .map(|(_, n)| n)
            .sum();
        Ok(Json(Info {
            host_id: id.host_id.to_string(),
            // No gossip yet: a ring of one (docs/STATUS.md).
            gossip_active: false,
            native_transport_active: !*st.transport_stop.borrow(),
            load_bytes: load_bytes(p),
            generation: st.generation,
            uptime_seconds: metrics::global().uptime().as_secs(),
            memtable_bytes,
            datacenter: id.data_center.clone(),
            rack: id.rack.clone(),
            exceptions,
            tokens: id.tokens.iter().map(|t| t.to_string()).collect(),
            drained: st.drained.load(Ordering::Acquire),
        }))
    })
    .await
}

#[derive(Debug, Serialize)]
pub struct DescribeCluster {
    pub name: String,
    pub snitch: String,
    pub partitioner: String,
    /// Schema version -> endpoints that have it.
    pub schema_versions: BTreeMap<String, Vec<String>>,
    /// Data centre -> (live nodes, down nodes).
    pub datacenters: BTreeMap<String, (u32, u32)>,
    pub keyspaces: Vec<String>,
}

async fn describe_cluster(State(s): Shared) -> Json<DescribeCluster> {
    let p = &s.processor;
    let id = p.identity();
    let schema = p.schema().snapshot();
    let mut versions = BTreeMap::new();
    versions.insert(
        schema.version.to_string(),
        vec![id.broadcast_address.to_string()],
    );
    let mut dcs = BTreeMap::new();
    dcs.insert(id.data_center.clone(), (1, 0));
    Json(DescribeCluster {
        name: id.cluster_name.clone(),
        snitch: s.snitch.clone(),
        partitioner: id.partitioner.clone(),
        schema_versions: versions,
        datacenters: dcs,
        keyspaces: schema.keyspaces.keys().cloned().collect(),
    })
}

/// `keyspace` and a comma-separated `tables` (both optional): the tables they name.
#[derive(Debug, Deserialize)]
pub struct TablesParam {
    pub keyspace: Option<String>,
    pub tables: Option<String>,
}

fn select_tables(s: &AdminState, q: &TablesParam) -> Result<Vec<TableDef>, AdminError> {
    let schema = s.processor.schema();
    let snap = schema.snapshot();
    if let Some(ks) = &q.keyspace {
        if snap.keyspace(ks).is_none() {
            return Err(AdminError::NotFound(format!(
                "keyspace {ks} does not exist"
            )));
        }
    }
    let wanted: Option<Vec<&str>> = q.tables.as_deref().map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    });
    let all: Vec<TableDef> = schema
        .user_tables()
        .into_iter()
        .filter(|t| q.keyspace.as_deref().is_none_or(|k| t.keyspace == k))
        .collect();
    if let Some(w) = &wanted {
        for name in w {
            if !all.iter().any(|t| t.name == *name) {
                let ks = q.keyspace.as_deref().unwrap_or("*");
                return Err(AdminError::NotFound(format!(
                    "table {ks}.{name} does not exist"
                )));
            }
        }
    }
    Ok(all
        .into_iter()
        .filter(|t| wanted.as_ref().is_none_or(|w| w.contains(&t.name.as_str())))
        .collect())
}

/// One table's statistics (nodetool tablestats).
#[derive(Debug, Serialize)]
pub struct TableStats {
    pub keyspace: String,
    pub table: String,
    pub sstable_count: usize,
    pub sstables_per_level: Vec<usize>,
    pub space_used_live: u64,
    pub memtable_data_size: u64,
    pub partitions_estimate: u64,
    pub tombstones: u64,
    pub droppable_tombstones: u64,
    pub compactions_completed: u64,
    pub local_read_count: u64,
    /// Mean local read latency in milliseconds (None before the first read).
    pub local_read_latency_ms: Option<f64>,
    pub local_write_count: u64,
    pub local_write_latency_ms: Option<f64>,
}

fn mean_ms(s: &metrics::Snapshot) -> Option<f64> {
    let n = s.count();
    (n > 0).then(|| s.sum as f64 / n as f64 / 1e6)
}

async fn table_stats(State(s): Shared, Query(q): Query<TablesParam>) -> ApiResult<Vec<TableStats>> {
    let st = Arc::clone(&s);
    blocking(move || {
        let engine = st.processor.engine();
        let mut out = Vec::new();
        for t in select_tables(&st, &q)? {
            let id = table_id(&t);
            let ts = engine.table_stats(id)?;
            let m = metrics::global().table(id);
            let (r, w) = (m.reads.snapshot(), m.writes.snapshot());
            out.push(TableStats {
                keyspace: t.keyspace.clone(),
                table: t.name.clone(),
                sstable_count: ts.sstable_count,
                sstables_per_level: ts.sstables_per_level,
                space_used_live: ts.live_data_size,
                memtable_data_size: ts.memtable_size,
                partitions_estimate: ts.partition_count_estimate,
                tombstones: ts.tombstone_count,
                droppable_tombstones: ts.droppable_tombstone_estimate,
                compactions_completed: ts.compactions_completed,
                local_read_count: r.count(),
                local_read_latency_ms: mean_ms(&r),
                local_write_count: w.count(),
                local_write_latency_ms: mean_ms(&w),
            });
        }
        Ok(Json(out))
    })
    .await
}

/// One row of nodetool tablehistograms.
#[derive(Debug, Serialize)]
pub struct HistogramRow {
    /// `50%` .. `99%`, `Min`, `Max`.
    pub percentile: String,
    pub read_latency_micros: f64,
    pub write_latency_micros: f64,
    pub partition_size_bytes: u64,
    pub cell_count: u64,
}

#[derive(Debug, Serialize)]
pub struct TableHistograms {
    pub keyspace: String,
    pub table: String,
    pub reads: u64,
    pub writes: u64,
    pub rows: Vec<HistogramRow>,
}

async fn table_histograms(
    State(s): Shared,
    Query(q): Query<TablesParam>,
) -> ApiResult<Vec<TableHistograms>> {
    let st = Arc::clone(&s);
    blocking(move || {
        if q.keyspace.is_none() || q.tables.is_none() {
            return Err(AdminError::BadRequest(
                "tablehistograms needs a keyspace and a table".into(),
            ));
        }
        let engine = st.processor.engine();
        let mut out = Vec::new();
        for t in select_tables(&st, &q)? {
            let id = table_id(&t);
            let m = metrics::global().table(id);
            let (r, w) = (m.reads.snapshot(), m.writes.snapshot());
            let (sizes, cells) = (Histogram::default(), Histogram::default());
            for e in engine.partition_estimates(id)? {
                sizes.record_n(e.mean_bytes, e.partitions);
                cells.record_n(e.mean_cells, e.partitions);
            }
            let (sizes, cells) = (sizes.snapshot(), cells.snapshot());
            let micros = |v: u64| v as f64 / 1e3;
            let mut rows = Vec::new();
            for (label, q) in [
                ("50%", 0.5),
                ("75%", 0.75),
                ("95%", 0.95),
                ("98%", 0.98),
                ("99%", 0.99),
            ] {
                rows.push(HistogramRow {
                    percentile: label.into(),
                    read_latency_micros: micros(r.quantile(q)),
                    write_latency_micros: micros(w.quantile(q)),
                    partition_size_bytes: sizes.quantile(q),
                    cell_count: cells.quantile(q),
                });
            }
            rows.push(HistogramRow {
                percentile: "Min".into(),
                read_latency_micros: micros(r.min()),
                write_latency_micros: micros(w.min()),
                partition_size_bytes: sizes.min(),
                cell_count: cells.min(),
            });
            rows.push(HistogramRow {
                percentile: "Max".into(),
                read_latency_micros: micros(r.max()),
                write_latency_micros: micros(w.max()),
                partition_size_bytes: sizes.max(),
                cell_count: cells.max(),
            });
            out.push(TableHistograms {
                keyspace: t.keyspace.clone(),
                table: t.name.clone(),
                reads: r.count(),
                writes: w.count(),
                rows,
            });
        }
        Ok(Json(out))
    })
    .await
}

#[derive(Debug, Serialize)]
pub struct CompactionStats {
    pub pending_tasks: u64,
    pub pending_flushes: u64,
    pub active_compactions: u64,
    pub completed_compactions: u64,
    pub bytes_compacted: u64,
    pub compaction_throughput_bytes_per_sec: Option<u64>,
}

async fn compaction_stats(State(s): Shared) -> Json<CompactionStats> {
    let a = s.processor.engine().activity();
    Json(CompactionStats {
        pending_tasks: a.pending_compactions,
        pending_flushes: a.pending_flushes,
        active_compactions: a.active_compactions,
        completed_compactions: a.compactions,
        bytes_compacted: a.compacted_bytes_written,
        compaction_throughput_bytes_per_sec: None,
    })
}

/// What an operation did.
#[derive(Debug, Serialize)]
pub struct Done {
    pub tables: Vec<String>,
    pub message: String,
}

fn names(ts: &[TableDef]) -> Vec<String> {
    ts.iter()
        .map(|t| format!("{}.{}", t.keyspace, t.name))
        .collect()
}

fn refuse_if_drained(s: &AdminState, what: &str) -> Result<(), AdminError> {
    if s.drained.load(Ordering::Acquire) {
        return Err(AdminError::BadRequest(format!(
            "cannot {what}: the node is drained (restart it to serve again)"
        )));
    }
    Ok(())
}

async fn flush(State(s): Shared, Query(q): Query<TablesParam>) -> ApiResult<Done> {
    let st = Arc::clone(&s);
    blocking(move || {
        let tables = select_tables(&st, &q)?;
        let engine = st.processor.engine();
        for id in tables
            .iter()
            .flat_map(crate::exec::index::with_index_tables)
        {
            engine.flush(id)?;
        }
        Ok(Json(Done {
            message: format!("flushed {} table(s)", tables.len()),
            tables: names(&tables),
        }))
    })
    .await
}

async fn compact(State(s): Shared, Query(q): Query<TablesParam>) -> ApiResult<Done> {
    let st = Arc::clone(&s);
    blocking(move || {
        refuse_if_drained(&st, "compact")?;
        let tables = select_tables(&st, &q)?;
        let engine = st.processor.engine();
        for id in tables
            .iter()
            .flat_map(crate::exec::index::with_index_tables)
        {
            // Cassandra's major compaction flushes first, so memtable data joins in.
            engine.flush(id)?;
            engine.compact(id)?;
        }
        Ok(Json(Done {
            message: format!("compacted {} table(s)", tables.len()),
            tables: names(&tables),
        }))
    })
    .await
}

async fn cleanup(State(s): Shared, Query(q): Query<TablesParam>) -> ApiResult<Done> {
    let st = Arc::clone(&s);
    blocking(move || {
        let tables = select_tables(&st, &q)?;
        // Cleanup drops partitions outside this node's ranges. A ring of one owns every
        // token, so there is nothing to drop and nothing is rewritten.
        Ok(Json(Done {
            message: format!(
                "cleanup of {} table(s): this node owns the whole ring, 0 partitions dropped, nothing rewritten",
                tables.len()
            ),
            tables: names(&tables),
        }))
    })
    .await
}

async fn drain(State(s): Shared) -> ApiResult<Done> {
    // Stop the CQL transport first (no new writes can arrive), then flush.
    let _ = s.transport_stop.send(true);
    let st = Arc::clone(&s);
    blocking(move || {
        st.processor.engine().flush_all()?;
        st.drained.store(true, Ordering::Release);
        tracing::info!("node drained: CQL transport stopped, memtables flushed");
        Ok(Json(Done {
            tables: vec![],
            message: "drained: CQL transport stopped and every memtable flushed".into(),
        }))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct SnapshotParam {
    pub tag: Option<String>,
    pub keyspace: Option<String>,
    pub tables: Option<String>,
}

async fn snapshot(State(s): Shared, Query(q): Query<SnapshotParam>) -> ApiResult<Done> {
    let st = Arc::clone(&s);
    blocking(move || {
        let tag = q.tag.clone().unwrap_or_else(|| {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            ms.to_string()
        });
        // Checked even when no table is selected: a bad name is a bad request.
        storage::check_snapshot_tag(&tag)?;
        let tables = select_tables(
            &st,
            &TablesParam {
                keyspace: q.keyspace.clone(),
                tables: q.tables.clone(),
            },
        )?;
        let engine = st.processor.engine();
        let mut files = 0;
        for t in &tables {
            files += engine.snapshot(table_id(t), &tag)?.files;
        }
        Ok(Json(Done {
            message: format!(
                "Snapshot directory: {tag} ({} table(s), {files} file(s))",
                tables.len()
            ),
            tables: names(&tables),
        }))
    })
    .await
}

#[derive(Debug, Serialize)]
pub struct SnapshotEntry {
    pub tag: String,
    pub keyspace: String,
    pub table: String,
    pub files: usize,
    pub bytes: u64,
}

async fn list_snapshots(State(s): Shared) -> ApiResult<Vec<SnapshotEntry>> {
    let st = Arc::clone(&s);
    blocking(move || {
        let by_id: BTreeMap<_, _> = st
            .processor
            .schema()
            .user_tables()
            .into_iter()
            .map(|t| (table_id(&t).0, t))
            .collect();
        let out = st
            .processor
            .engine()
            .list_snapshots()?
            .into_iter()
            .map(|s| {
                let (keyspace, table) = by_id
                    .get(&s.table.0)
                    .map(|t| (t.keyspace.clone(), t.name.clone()))
                    .unwrap_or_else(|| ("?".into(), s.table.0.to_string()));
                SnapshotEntry {
                    tag: s.tag,
                    keyspace,
                    table,
                    files: s.files,
                    bytes: s.bytes,
                }
            })
            .collect();
        Ok(Json(out))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct TagParam {
    pub tag: Option<String>,
}

async fn clear_snapshot(State(s): Shared, Query(q): Query<TagParam>) -> ApiResult<Done> {
    let st = Arc::clone(&s);
    blocking(move || {
        let n = st.processor.engine().clear_snapshot(q.tag.as_deref())?;
        Ok(Json(Done {
            tables: vec![],
            message: format!("removed {n} table snapshot(s)"),
        }))
    })
    .await
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LogLevel {
    /// The filter in force, e.g. `info` or `info,storage=debug`.
    pub filter: String,
}

#[derive(Debug, Deserialize)]
pub struct SetLogLevel {
    pub level: String,
    /// A tracing target (`storage`, `server::transport`); none = the root level.
    pub target: Option<String>,
}

async fn get_log_level() -> ApiResult<LogLevel> {
    loglevel::get()
        .map(|filter| Json(LogLevel { filter }))
        .ok_or_else(|| AdminError::Internal("logging is not reloadable in this process".into()))
}

async fn set_log_level(Query(q): Query<SetLogLevel>) -> ApiResult<LogLevel> {
    match loglevel::set(q.target.as_deref(), &q.level) {
        Ok(filter) => Ok(Json(LogLevel { filter })),
        Err(e @ loglevel::LogLevelError::UnknownLevel(_))
        | Err(e @ loglevel::LogLevelError::BadTarget(_)) => {
            Err(AdminError::BadRequest(e.to_string()))
        }
        Err(e) => Err(AdminError::Internal(e.to_string())),
    }
}
