//! helenus-nodetool: parses Cassandra's nodetool command line, calls the node's admin
//! API ([`client`]) and prints the answer the way Cassandra's nodetool does
//! ([`format`]). The JSON shapes mirror `server::admin::api` (tools never depend on
//! the server crate: they talk to nodes over the network like any client).

pub mod client;
pub mod format;

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde::Deserialize;

use client::{Client, ClientError};
use format::{columns, percent, size};

#[derive(Debug, Parser)]
#[command(
    name = "helenus-nodetool",
    version,
    about = "Manage a Helenus node (Cassandra's nodetool, over the node's admin API)",
    disable_help_flag = true
)]
pub struct Cli {
    /// Node hostname or IP address.
    #[arg(short = 'h', long = "host", default_value = "127.0.0.1")]
    pub host: String,
    /// The node's admin port (--admin-port / admin_port; Cassandra's JMX port).
    #[arg(short = 'p', long = "port", default_value_t = 7199)]
    pub port: u16,
    /// Seconds to wait for an answer (compactions can take long).
    #[arg(long, default_value_t = 3600)]
    pub timeout: u64,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cluster state: status, address, load, tokens, ownership, host id, rack.
    Status { keyspace: Option<String> },
    /// This node's identity, load, uptime and tokens.
    Info {
        /// Print every token.
        #[arg(short = 'T', long)]
        tokens: bool,
    },
    /// The token ring.
    Ring { keyspace: Option<String> },
    /// Cluster name, snitch, partitioner, schema versions.
    Describecluster,
    /// Statistics per table: `tablestats [keyspace[.table] ...]`.
    #[command(alias = "cfstats")]
    Tablestats { targets: Vec<String> },
    /// Latency, partition size and cell count percentiles of one table.
    #[command(alias = "cfhistograms")]
    Tablehistograms {
        keyspace: String,
        table: Option<String>,
    },
    /// Pending and active compactions.
    Compactionstats,
    /// Flush memtables to SSTables: `flush [keyspace [table ...]]`.
    Flush {
        keyspace: Option<String>,
        tables: Vec<String>,
    },
    /// Major compaction: `compact [keyspace [table ...]]`.
    Compact {
        keyspace: Option<String>,
        tables: Vec<String>,
    },
    /// Drop partitions this node no longer owns: `cleanup [keyspace [table ...]]`.
    Cleanup {
        keyspace: Option<String>,
        tables: Vec<String>,
    },
    /// Flush everything and stop accepting CQL clients (the node keeps running).
    Drain,
    /// Hard-link the tables' SSTables into snapshots/TAG: `snapshot [-t TAG] [keyspace ...]`.
    Snapshot {
        #[arg(short = 't', long = "tag")]
        tag: Option<String>,
        /// `keyspace.table` to snapshot one table.
        #[arg(long = "kt-list", visible_alias = "kt")]
        table: Option<String>,
        keyspaces: Vec<String>,
    },
    /// Remove snapshots: `clearsnapshot -t TAG` or `clearsnapshot --all`.
    Clearsnapshot {
        #[arg(short = 't', long = "tag")]
        tag: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Snapshots on this node with their size.
    Listsnapshots,
    /// The Cassandra release this node reports.
    Version,
    /// `setlogginglevel LEVEL` (root) or `setlogginglevel TARGET LEVEL`.
    Setlogginglevel {
        #[arg(num_args = 1..=2, required = true)]
        args: Vec<String>,
    },
    /// The log levels in force.
    #[command(alias = "getlogginglevel")]
    Getlogginglevels,
}

/// Runs the command line; returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let client = Client::new(&cli.host, cli.port, Duration::from_secs(cli.timeout));
    match run(&client, &cli.command) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("nodetool: {e}");
            1
        }
    }
}

type R = Result<String, ClientError>;

/// Runs one command against the node; the text to print.
pub fn run(c: &Client, cmd: &Command) -> R {
    match cmd {
        Command::Status { keyspace } => status(c, keyspace.as_deref()),
        Command::Info { tokens } => info(c, *tokens),
        Command::Ring { keyspace } => ring(c, keyspace.as_deref()),
        Command::Describecluster => describe_cluster(c),
        Command::Tablestats { targets } => table_stats(c, targets),
        Command::Tablehistograms { keyspace, table } => {
            table_histograms(c, keyspace, table.as_deref())
        }
        Command::Compactionstats => compaction_stats(c),
        Command::Flush { keyspace, tables } => operation(c, "flush", keyspace, tables),
        Command::Compact { keyspace, tables } => operation(c, "compact", keyspace, tables),
        Command::Cleanup { keyspace, tables } => operation(c, "cleanup", keyspace, tables),
        Command::Drain => {
            let d: Done = c.post("/api/v1/drain", &[])?;
            Ok(format!("{}\n", d.message))
        }
        Command::Snapshot {
            tag,
            table,
            keyspaces,
        } => snapshot(c, tag.as_deref(), table.as_deref(), keyspaces),
        Command::Clearsnapshot { tag, all } => clear_snapshot(c, tag.as_deref(), *all),
        Command::Listsnapshots => list_snapshots(c),
        Command::Version => {
            let v: Version = c.get("/api/v1/version", &[])?;
            Ok(format!("ReleaseVersion: {}\n", v.release_version))
        }
        Command::Setlogginglevel { args } => {
            let (target, level) = match args.as_slice() {
                [level] => (None, level),
                [target, level] => (Some(target.as_str()), level),
                _ => return Err(ClientError::Node("setlogginglevel [TARGET] LEVEL".into())),
            };
            let mut q = vec![("level", level.as_str())];
            if let Some(t) = target {
                q.push(("target", t));
            }
            let _: LogLevel = c.post("/api/v1/loglevel", &q)?;
            Ok(String::new())
        }
        Command::Getlogginglevels => {
            let l: LogLevel = c.get("/api/v1/loglevel", &[])?;
            Ok(log_levels(&l.filter))
        }
    }
}

#[derive(Debug, Deserialize)]
struct Endpoint {
    address: String,
    datacenter: String,
    rack: String,
    status: String,
    state: String,
    load_bytes: u64,
    tokens: Vec<String>,
    owns: f64,
    host_id: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    endpoints: Vec<Endpoint>,
}

fn by_dc(eps: &[Endpoint]) -> BTreeMap<&str, Vec<&Endpoint>> {
    let mut m: BTreeMap<&str, Vec<&Endpoint>> = BTreeMap::new();
    for e in eps {
        m.entry(e.datacenter.as_str()).or_default().push(e);
    }
    m
}

fn status_code(e: &Endpoint) -> String {
    let s = if e.status == "UP" { 'U' } else { 'D' };
    let st = match e.state.as_str() {
        "LEAVING" => 'L',
        "JOINING" => 'J',
        "MOVING" => 'M',
        _ => 'N',
    };
    format!("{s}{st}")
}

fn ks_query(keyspace: Option<&str>) -> Vec<(&str, &str)> {
    keyspace.map(|k| vec![("keyspace", k)]).unwrap_or_default()
}

fn status(c: &Client, keyspace: Option<&str>) -> R {
    let s: Status = c.get("/api/v1/status", &ks_query(keyspace))?;
    let mut out = String::new();
    for (dc, eps) in by_dc(&s.endpoints) {
        let title = format!("Datacenter: {dc}");
        out.push_str(&format!("{title}\n{}\n", "=".repeat(title.len())));
        out.push_str("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n");
        let mut rows = vec![vec![
            "--".to_string(),
            "Address".into(),
            "Load".into(),
            "Tokens".into(),
            "Owns (effective)".into(),
            "Host ID".into(),
            "Rack".into(),
        ]];
        for e in eps {
            rows.push(vec![
                status_code(e),
                e.address.clone(),
                size(e.load_bytes),
                e.tokens.len().to_string(),
                percent(e.owns),
                e.host_id.clone(),
                e.rack.clone(),
            ]);
        }
        out.push_str(&columns(&rows));
        out.push('\n');
    }
    Ok(out)
}

fn ring(c: &Client, keyspace: Option<&str>) -> R {
    let s: Status = c.get("/api/v1/ring", &ks_query(keyspace))?;
    let mut out = String::new();
    for (dc, eps) in by_dc(&s.endpoints) {
        out.push_str(&format!("\nDatacenter: {dc}\n==========\n"));
        let mut entries: Vec<(i64, &Endpoint)> = eps
            .iter()
            .flat_map(|e| {
                e.tokens
                    .iter()
                    .filter_map(move |t| Some((t.parse().ok()?, *e)))
            })
            .collect();
        entries.sort_by_key(|(t, _)| *t);
        let mut rows = vec![vec![
            "Address".to_string(),
            "Rack".into(),
            "Status".into(),
            "State".into(),
            "Load".into(),
            "Owns".into(),
            "Token".into(),
        ]];
        if let Some((last, _)) = entries.last() {
            let blank = || String::new();
            rows.push(vec![
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                last.to_string(),
            ]);
        }
        for (t, e) in &entries {
            rows.push(vec![
                e.address.clone(),
                e.rack.clone(),
                if e.status == "UP" { "Up" } else { "Down" }.into(),
                capitalize(&e.state),
                size(e.load_bytes),
                format!("{:.2}%", e.owns * 100.0),
                t.to_string(),
            ]);
        }
        out.push_str(&columns(&rows));
        out.push('\n');
    }
    Ok(out)
}

fn capitalize(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut cs = lower.chars();
    match cs.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
        None => String::new(),
    }
}

#[derive(Debug, Deserialize)]
struct Info {
    host_id: String,
    gossip_active: bool,
    native_transport_active: bool,
    load_bytes: u64,
    generation: u64,
    uptime_seconds: u64,
    memtable_bytes: u64,
    datacenter: String,
    rack: String,
    exceptions: u64,
    tokens: Vec<String>,
    drained: bool,
}

fn info(c: &Client, all_tokens: bool) -> R {
    let i: Info = c.get("/api/v1/info", &[])?;
    let line = |k: &str, v: String| format!("{k:<23}: {v}\n");
    let mut out = String::new();
    out += &line("ID", i.host_id);
    out += &line("Gossip active", i.gossip_active.to_string());
    out += &line(
        "Native Transport active",
        i.native_transport_active.to_string(),
    );
    out += &line("Load", size(i.load_bytes));
    out += &line("Generation No", i.generation.to_string());
    out += &line("Uptime (seconds)", i.uptime_seconds.to_string());
    out += &line("Memtable data size", size(i.memtable_bytes));
    out += &line("Data Center", i.datacenter);
    out += &line("Rack", i.rack);
    out += &line("Exceptions", i.exceptions.to_string());
    out += &line("Drained", i.drained.to_string());
    if all_tokens {
        for t in &i.tokens {
            out += &line("Token", t.clone());
        }
    } else {
        out += &line(
            "Token",
            format!(
                "(invoke with -T/--tokens to see all {} tokens)",
                i.tokens.len()
            ),
        );
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct DescribeCluster {
    name: String,
    snitch: String,
    partitioner: String,
    schema_versions: BTreeMap<String, Vec<String>>,
    datacenters: BTreeMap<String, (u32, u32)>,
    keyspaces: Vec<String>,
}

fn describe_cluster(c: &Client) -> R {
    let d: DescribeCluster = c.get("/api/v1/describecluster", &[])?;
    let live: u32 = d.datacenters.values().map(|(l, _)| l).sum();
    let down: u32 = d.datacenters.values().map(|(_, d)| d).sum();
    let mut out = String::from("Cluster Information:\n");
    out += &format!("\tName: {}\n", d.name);
    // Cassandra prints the snitch's class name; configs usually give the short one.
    let snitch = if d.snitch.contains('.') {
        d.snitch.clone()
    } else {
        format!("org.apache.cassandra.locator.{}", d.snitch)
    };
    out += &format!("\tSnitch: {snitch}\n");
    out += "\tDynamicEndPointSnitch: disabled\n";
    out += &format!("\tPartitioner: {}\n", d.partitioner);
    out += "\tSchema versions:\n";
    for (v, eps) in &d.schema_versions {
        out += &format!("\t\t{v}: [{}]\n", eps.join(", "));
    }
    out += "\nStats for all nodes:\n";
    out += &format!(
        "\tLive: {live}\n\tJoining: 0\n\tMoving: 0\n\tLeaving: 0\n\tUnreachable: {down}\n"
    );
    out += "\nData Centers: \n";
    for (dc, (l, dn)) in &d.datacenters {
        out += &format!("\t{dc} #Nodes: {} #Down: {dn}\n", l + dn);
    }
    out += "\nKeyspaces:\n";
    for k in &d.keyspaces {
        out += &format!("\t{k}\n");
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct TableStats {
    keyspace: String,
    table: String,
    sstable_count: usize,
    sstables_per_level: Vec<usize>,
    space_used_live: u64,
    memtable_data_size: u64,
    partitions_estimate: u64,
    tombstones: u64,
    droppable_tombstones: u64,
    compactions_completed: u64,
    local_read_count: u64,
    local_read_latency_ms: Option<f64>,
    local_write_count: u64,
    local_write_latency_ms: Option<f64>,
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "NaN ms".to_string(), |v| format!("{v:.3} ms"))
}

fn table_stats(c: &Client, targets: &[String]) -> R {
    let mut stats: Vec<TableStats> = Vec::new();
    if targets.is_empty() {
        stats = c.get("/api/v1/tablestats", &[])?;
    }
    for t in targets {
        let (ks, table) = match t.split_once('.') {
            Some((k, t)) => (k, Some(t)),
            None => (t.as_str(), None),
        };
        let mut q = vec![("keyspace", ks)];
        if let Some(t) = table {
            q.push(("tables", t));
        }
        stats.extend(c.get::<Vec<TableStats>>("/api/v1/tablestats", &q)?);
    }
    let mut by_ks: BTreeMap<&str, Vec<&TableStats>> = BTreeMap::new();
    for s in &stats {
        by_ks.entry(s.keyspace.as_str()).or_default().push(s);
    }
    let mut out = format!(
        "Total number of tables: {}\n----------------\n",
        stats.len()
    );
    for (ks, tables) in by_ks {
        let reads: u64 = tables.iter().map(|t| t.local_read_count).sum();
        let writes: u64 = tables.iter().map(|t| t.local_write_count).sum();
        let weighted = |f: fn(&TableStats) -> (u64, Option<f64>)| {
            let (n, sum) = tables.iter().fold((0u64, 0.0), |(n, s), t| {
                let (c, m) = f(t);
                (n + c, s + m.unwrap_or(0.0) * c as f64)
            });
            (n > 0).then(|| sum / n as f64)
        };
        out += &format!("Keyspace : {ks}\n");
        out += &format!("\tRead Count: {reads}\n");
        out += &format!(
            "\tRead Latency: {}\n",
            ms(weighted(|t| (t.local_read_count, t.local_read_latency_ms)))
        );
        out += &format!("\tWrite Count: {writes}\n");
        out += &format!(
            "\tWrite Latency: {}\n",
            ms(weighted(|t| (
                t.local_write_count,
                t.local_write_latency_ms
            )))
        );
        for t in tables {
            out += &format!("\t\tTable: {}\n", t.table);
            out += &format!("\t\tSSTable count: {}\n", t.sstable_count);
            if t.sstables_per_level.len() > 1 {
                let levels: Vec<String> =
                    t.sstables_per_level.iter().map(|n| n.to_string()).collect();
                out += &format!("\t\tSSTables in each level: [{}]\n", levels.join(", "));
            }
            out += &format!("\t\tSpace used (live): {}\n", t.space_used_live);
            out += &format!("\t\tSpace used (total): {}\n", t.space_used_live);
            out += &format!("\t\tMemtable data size: {}\n", t.memtable_data_size);
            out += &format!("\t\tLocal read count: {}\n", t.local_read_count);
            out += &format!("\t\tLocal read latency: {}\n", ms(t.local_read_latency_ms));
            out += &format!("\t\tLocal write count: {}\n", t.local_write_count);
            out += &format!(
                "\t\tLocal write latency: {}\n",
                ms(t.local_write_latency_ms)
            );
            out += &format!(
                "\t\tNumber of partitions (estimate): {}\n",
                t.partitions_estimate
            );
            out += &format!("\t\tTombstones in SSTables: {}\n", t.tombstones);
            out += &format!(
                "\t\tDroppable tombstones (estimate): {}\n",
                t.droppable_tombstones
            );
            out += &format!("\t\tCompactions completed: {}\n", t.compactions_completed);
            out += "\n";
        }
        out += "----------------\n";
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct HistogramRow {
    percentile: String,
    read_latency_micros: f64,
    write_latency_micros: f64,
    partition_size_bytes: u64,
    cell_count: u64,
}

#[derive(Debug, Deserialize)]
struct TableHistograms {
    keyspace: String,
    table: String,
    rows: Vec<HistogramRow>,
}

fn table_histograms(c: &Client, keyspace: &str, table: Option<&str>) -> R {
    // Cassandra accepts both `ks table` and `ks.table`.
    let (ks, t) = match (table, keyspace.split_once('.')) {
        (Some(t), _) => (keyspace, t),
        (None, Some((k, t))) => (k, t),
        (None, None) => {
            return Err(ClientError::Node(
                "tablehistograms requires keyspace and table name arguments".into(),
            ))
        }
    };
    let hs: Vec<TableHistograms> = c.get(
        "/api/v1/tablehistograms",
        &[("keyspace", ks), ("tables", t)],
    )?;
    let mut out = String::new();
    for h in hs {
        out += &format!("{}/{} histograms\n", h.keyspace, h.table);
        let mut rows = vec![
            vec![
                "Percentile".to_string(),
                "Read Latency".into(),
                "Write Latency".into(),
                "Partition Size".into(),
                "Cell Count".into(),
            ],
            vec![
                String::new(),
                "(micros)".into(),
                "(micros)".into(),
                "(bytes)".into(),
                String::new(),
            ],
        ];
        for r in &h.rows {
            rows.push(vec![
                r.percentile.clone(),
                format!("{:.2}", r.read_latency_micros),
                format!("{:.2}", r.write_latency_micros),
                r.partition_size_bytes.to_string(),
                r.cell_count.to_string(),
            ]);
        }
        out += &columns(&rows);
        out.push('\n');
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct CompactionStats {
    pending_tasks: u64,
    pending_flushes: u64,
    active_compactions: u64,
    completed_compactions: u64,
    bytes_compacted: u64,
}

fn compaction_stats(c: &Client) -> R {
    let s: CompactionStats = c.get("/api/v1/compactionstats", &[])?;
    Ok(format!(
        "pending tasks: {}\npending flushes: {}\nactive compactions: {}\ncompleted compactions: {}\nbytes compacted: {}\n",
        s.pending_tasks,
        s.pending_flushes,
        s.active_compactions,
        s.completed_compactions,
        size(s.bytes_compacted)
    ))
}

#[derive(Debug, Deserialize)]
struct Done {
    message: String,
}

fn operation(c: &Client, what: &str, keyspace: &Option<String>, tables: &[String]) -> R {
    let joined = tables.join(",");
    let mut q = Vec::new();
    if let Some(k) = keyspace {
        q.push(("keyspace", k.as_str()));
    }
    if !tables.is_empty() {
        q.push(("tables", joined.as_str()));
    }
    let d: Done = c.post(&format!("/api/v1/{what}"), &q)?;
    // Cassandra's nodetool prints nothing on success except for cleanup's report.
    Ok(if what == "cleanup" {
        format!("{}\n", d.message)
    } else {
        String::new()
    })
}

fn snapshot(c: &Client, tag: Option<&str>, table: Option<&str>, keyspaces: &[String]) -> R {
    let tag = tag.map(str::to_string).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
            .to_string()
    });
    let mut out = String::new();
    let targets: Vec<(Option<&str>, Option<&str>)> = match (table, keyspaces.is_empty()) {
        (Some(kt), _) => match kt.split_once('.') {
            Some((k, t)) => vec![(Some(k), Some(t))],
            None => {
                return Err(ClientError::Node(format!(
                    "--kt-list takes keyspace.table, not `{kt}`"
                )))
            }
        },
        (None, true) => vec![(None, None)],
        (None, false) => keyspaces.iter().map(|k| (Some(k.as_str()), None)).collect(),
    };
    let what = match (table, keyspaces.is_empty()) {
        (Some(kt), _) => kt.to_string(),
        (None, true) => "all keyspaces".to_string(),
        (None, false) => keyspaces.join(", "),
    };
    out += &format!(
        "Requested creating snapshot(s) for [{what}] with snapshot name [{tag}] and options {{skipFlush=false}}\n"
    );
    for (k, t) in targets {
        let mut q = vec![("tag", tag.as_str())];
        if let Some(k) = k {
            q.push(("keyspace", k));
        }
        if let Some(t) = t {
            q.push(("tables", t));
        }
        let _: Done = c.post("/api/v1/snapshot", &q)?;
    }
    out += &format!("Snapshot directory: {tag}\n");
    Ok(out)
}

fn clear_snapshot(c: &Client, tag: Option<&str>, all: bool) -> R {
    let d: Done = match (tag, all) {
        (Some(_), true) => {
            return Err(ClientError::Node(
                "specify a snapshot name or --all, not both".into(),
            ))
        }
        (None, false) => {
            return Err(ClientError::Node(
                "specify a snapshot name (-t) or --all to clear every snapshot".into(),
            ))
        }
        (Some(t), false) => c.post("/api/v1/clearsnapshot", &[("tag", t)])?,
        (None, true) => c.post("/api/v1/clearsnapshot", &[])?,
    };
    let what = tag.map_or("all snapshots".to_string(), |t| format!("snapshot [{t}]"));
    Ok(format!("Requested clearing {what}: {}\n", d.message))
}

#[derive(Debug, Deserialize)]
struct SnapshotEntry {
    tag: String,
    keyspace: String,
    table: String,
    files: usize,
    bytes: u64,
}

fn list_snapshots(c: &Client) -> R {
    let snaps: Vec<SnapshotEntry> = c.get("/api/v1/snapshots", &[])?;
    if snaps.is_empty() {
        return Ok("Snapshot Details: \nThere are no snapshots\n".into());
    }
    let mut rows = vec![vec![
        "Snapshot name".to_string(),
        "Keyspace name".into(),
        "Column family name".into(),
        "Files".into(),
        "Size on disk".into(),
    ]];
    for s in &snaps {
        rows.push(vec![
            s.tag.clone(),
            s.keyspace.clone(),
            s.table.clone(),
            s.files.to_string(),
            size(s.bytes),
        ]);
    }
    let total: u64 = snaps.iter().map(|s| s.bytes).sum();
    Ok(format!(
        "Snapshot Details: \n{}\nTotal size on disk: {}\n",
        columns(&rows),
        size(total)
    ))
}

#[derive(Debug, Deserialize)]
struct Version {
    release_version: String,
}

#[derive(Debug, Deserialize)]
struct LogLevel {
    filter: String,
}

/// `info,storage=debug` as Cassandra's getlogginglevels table.
fn log_levels(filter: &str) -> String {
    let mut rows = vec![vec!["Logger Name".to_string(), "Log Level".to_string()]];
    for d in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        match d.split_once('=') {
            Some((target, level)) => rows.push(vec![target.to_string(), level.to_uppercase()]),
            None => rows.push(vec!["ROOT".to_string(), d.to_uppercase()]),
        }
    }
    format!("\n{}", columns(&rows))
}
