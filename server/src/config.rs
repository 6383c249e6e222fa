//! The node's configuration: the YAML file (Cassandra's key names where the concept
//! exists, human units, unknown keys rejected by name), the command line that overrides
//! it, and the resolved [`Config`] the rest of the process reads. This module does file
//! I/O only to read the YAML file; composing the library configs happens in `node`.

mod units;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use units::{parse_duration, parse_rate, parse_size, Human, UnitError};

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// serde_yaml names the offending key (`unknown field `foo``) and its line.
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}`: {source}")]
    Unit {
        key: &'static str,
        source: UnitError,
    },
    #[error("config key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

/// When the commit log reaches the disk (Cassandra's `commitlog_sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitlogSync {
    /// fsync every `commitlog_sync_period`; writes are acknowledged before the fsync.
    Periodic,
    /// A write is acknowledged only after the fsync that covers it.
    Batch,
    /// Like batch, but fsyncs at most once per `commitlog_sync_group_window`.
    Group,
}

/// `seeds` as a plain list, or a comma-separated string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Seeds {
    List(Vec<String>),
    Csv(String),
}

impl Seeds {
    fn into_vec(self) -> Vec<String> {
        match self {
            Seeds::List(v) => v.into_iter().map(|s| s.trim().to_string()).collect(),
            Seeds::Csv(s) => s
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// Cassandra's `seed_provider: [{class_name: ..., parameters: [{seeds: "a,b"}]}]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedProvider {
    #[allow(dead_code)]
    class_name: Option<String>,
    #[serde(default)]
    parameters: Vec<SeedParameters>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedParameters {
    seeds: Seeds,
}

/// The YAML file as written; every key optional. Legacy `_in_ms`/`_in_mb` keys are
/// accepted next to the 4.1+ human-unit ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    cluster_name: Option<String>,
    listen_address: Option<IpAddr>,
    rpc_address: Option<IpAddr>,
    broadcast_address: Option<IpAddr>,
    broadcast_rpc_address: Option<IpAddr>,
    native_transport_port: Option<u16>,
    storage_port: Option<u16>,
    data_file_directories: Option<Vec<PathBuf>>,
    commitlog_directory: Option<PathBuf>,
    commitlog_sync: Option<CommitlogSync>,
    commitlog_sync_period: Option<Human>,
    commitlog_sync_period_in_ms: Option<u64>,
    commitlog_sync_group_window: Option<Human>,
    commitlog_sync_group_window_in_ms: Option<u64>,
    commitlog_segment_size: Option<Human>,
    commitlog_segment_size_in_mb: Option<u64>,
    commitlog_ignore_replay_errors: Option<bool>,
    memtable_heap_space: Option<Human>,
    memtable_heap_space_in_mb: Option<u64>,
    memtable_flush_writers: Option<usize>,
    memtable_cleanup_threshold: Option<f64>,
    concurrent_compactors: Option<usize>,
    file_cache_size: Option<Human>,
    file_cache_size_in_mb: Option<u64>,
    column_index_size: Option<Human>,
    column_index_size_in_kb: Option<u64>,
    commitlog_preallocate: Option<bool>,
    compaction_throughput: Option<Human>,
    compaction_throughput_mb_per_sec: Option<u64>,
    num_tokens: Option<u16>,
    seed_provider: Option<Vec<SeedProvider>>,
    seeds: Option<Seeds>,
    endpoint_snitch: Option<String>,
    dc: Option<String>,
    rack: Option<String>,
    native_transport_max_frame_size: Option<Human>,
    native_transport_max_frame_size_in_mb: Option<u64>,
    native_transport_max_concurrent_requests: Option<usize>,
    native_transport_max_concurrent_connections: Option<i64>,
    log_level: Option<String>,
    materialized_views_enabled: Option<bool>,
    admin_port: Option<u16>,
    admin_address: Option<IpAddr>,
}

/// The resolved node configuration (file, then command line, then defaults).
#[derive(Debug, Clone)]
pub struct Config {
    /// Default `Test Cluster` (Cassandra's).
    pub cluster_name: String,
    /// Internode address. Default 127.0.0.1.
    pub listen_address: IpAddr,
    /// Address the CQL listener binds. Default: `listen_address`.
    pub rpc_address: IpAddr,
    /// Address other nodes reach us at. Default: `listen_address`.
    pub broadcast_address: IpAddr,
    /// Address clients are told to use (system.peers rpc_address). Default: `rpc_address`,
    /// or `broadcast_address` when `rpc_address` is a wildcard.
    pub broadcast_rpc_address: IpAddr,
    /// CQL port. Default 9042. 0 picks a free port (tests).
    pub native_port: u16,
    /// Internode port. Default 7000.
    pub storage_port: u16,
    /// Base directory given with `--data-dir`. Default `./data`.
    pub data_dir: PathBuf,
    /// SSTables, schema and the node's identity file. Default `[data_dir/data]`.
    pub data_file_directories: Vec<PathBuf>,
    /// Default `data_dir/commitlog`.
    pub commitlog_directory: PathBuf,
    /// Default periodic.
    pub commitlog_sync: CommitlogSync,
    /// Default 10s (periodic mode).
    pub commitlog_sync_period: Duration,
    /// Default 15ms (group mode).
    pub commitlog_sync_group_window: Duration,
    /// Default 32MiB.
    pub commitlog_segment_size: u64,
    /// Start even when commit-log replay finds a corrupt record in the middle of the
    /// log (the record is skipped and logged). Cassandra's
    /// `-Dcassandra.commitlog.ignorereplayerrors`. Default false: refuse to start.
    pub commitlog_ignore_replay_errors: bool,
    /// Total memtable budget. Default: storage's (a quarter of RAM, at most 2GiB).
    pub memtable_heap_space: Option<u64>,
    /// Background flush threads. Default 2 (Cassandra's).
    pub memtable_flush_writers: usize,
    /// Fraction of the memtable budget not already flushing at which the biggest
    /// memtable is flushed. Default 1/(1 + memtable_flush_writers), Cassandra's.
    pub memtable_cleanup_threshold: Option<f64>,
    /// Background compaction threads. Default 1.
    pub concurrent_compactors: usize,
    /// Decompressed SSTable blocks cached for reads (Cassandra's chunk cache
    /// key). Default 256MiB; 0 disables the cache.
    pub file_cache_size: u64,
    /// Uncompressed size of an SSTable data block, which is also how often a
    /// partition's clustering index gets an entry (Cassandra's key). Default 16KiB;
    /// 64B to 1MiB.
    pub column_index_size: u64,
    /// Zero-fill commit-log segments ahead of use. Default false.
    pub commitlog_preallocate: bool,
    /// Bytes per second, 0 = unthrottled. Default 64MiB/s.
    pub compaction_throughput: u64,
    /// Vnodes of this node. Default 16.
    pub num_tokens: u16,
    /// `host[:port]` strings. Default: `[listen_address]`.
    pub seeds: Vec<String>,
    /// Default `SimpleSnitch`.
    pub endpoint_snitch: String,
    /// Default `datacenter1`.
    pub dc: String,
    /// Default `rack1`.
    pub rack: String,
    /// Largest CQL frame body accepted. Default 16MiB.
    pub native_transport_max_frame_size: u64,
    /// In-flight requests per connection before the reader stops reading. Default 2048.
    pub native_transport_max_concurrent_requests: usize,
    /// Open CQL connections allowed, -1 = unlimited (default).
    pub native_transport_max_concurrent_connections: i64,
    /// A tracing filter (`info`, `server=debug`); RUST_LOG wins. Default `info`.
    pub log_level: String,
    /// CREATE MATERIALIZED VIEW allowed. Default false, as Cassandra 5.0.
    pub materialized_views_enabled: bool,
    /// Port of the admin HTTP API and /metrics (nodetool's; Cassandra's JMX port).
    /// Default 7199; `None` (0 in the file or on the command line) = no admin API.
    pub admin_port: Option<u16>,
    /// Whether `admin_port` was set explicitly: then a port already in use is a
    /// startup error; the default port being taken only costs the admin API.
    pub admin_port_explicit: bool,
    /// Address the admin API binds. Default 127.0.0.1 (local only, like JMX).
    pub admin_address: IpAddr,
}

/// The `helenus` command line; every flag overrides the config file.
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "helenus",
    version,
    about = "A Cassandra-compatible database node"
)]
pub struct Cli {
    /// YAML config file (Cassandra key names).
    #[arg(long, short = 'f')]
    pub config: Option<PathBuf>,
    /// Base directory: data in DIR/data, commit log in DIR/commitlog. Default ./data.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Internode (and default CQL) address. Default 127.0.0.1.
    #[arg(long)]
    pub listen_address: Option<IpAddr>,
    /// CQL listener address. Default: the listen address.
    #[arg(long)]
    pub rpc_address: Option<IpAddr>,
    /// CQL port. Default 9042.
    #[arg(long)]
    pub native_port: Option<u16>,
    /// Internode port. Default 7000.
    #[arg(long)]
    pub storage_port: Option<u16>,
    /// Comma-separated seed addresses.
    #[arg(long)]
    pub seeds: Option<String>,
    /// Commit log sync mode: periodic, batch or group.
    #[arg(long, value_parser = parse_sync_arg)]
    pub commitlog_sync: Option<CommitlogSync>,
    /// Log filter, e.g. info or server=debug (RUST_LOG wins).
    #[arg(long)]
    pub log_level: Option<String>,
    /// Admin HTTP API and /metrics port (helenus-nodetool's). Default 7199, 0 = off.
    #[arg(long)]
    pub admin_port: Option<u16>,
}

fn parse_sync_arg(s: &str) -> Result<CommitlogSync, String> {
    match s {
        "periodic" => Ok(CommitlogSync::Periodic),
        "batch" => Ok(CommitlogSync::Batch),
        "group" => Ok(CommitlogSync::Group),
        _ => Err(format!(
            "unknown commit log sync mode `{s}` (periodic, batch or group)"
        )),
    }
}

impl FileConfig {
    /// Reads and parses a YAML file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        FileConfig::parse(&text, path)
    }

    /// Parses YAML text; `path` is only used in error messages. An empty file is valid.
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
        if text.trim().is_empty() {
            return Ok(FileConfig::default());
        }
        serde_yaml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

fn unit<T>(key: &'static str, r: Result<T, UnitError>) -> Result<T, ConfigError> {
    r.map_err(|source| ConfigError::Unit { key, source })
}

impl Config {
    /// Loads the file named on the command line (if any) and applies the flags.
    pub fn from_cli(cli: &Cli) -> Result<Config, ConfigError> {
        let file = match &cli.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        Config::resolve(file, cli)
    }

    /// Merges file and command line over the defaults and validates the result.
    pub fn resolve(f: FileConfig, cli: &Cli) -> Result<Config, ConfigError> {
        const MIB: u64 = 1 << 20;
        let ms = Duration::from_millis(1);
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let listen_address = cli.listen_address.or(f.listen_address).unwrap_or(localhost);
        let rpc_address = cli.rpc_address.or(f.rpc_address).unwrap_or(listen_address);
        let broadcast_address = f.broadcast_address.unwrap_or(listen_address);
        let broadcast_rpc_address =
            f.broadcast_rpc_address
                .unwrap_or(if rpc_address.is_unspecified() {
                    broadcast_address
                } else {
                    rpc_address
                });
        let data_dir = cli
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("data"));
        let data_file_directories = match (&cli.data_dir, f.data_file_directories) {
            // An explicit --data-dir wins over the file's directories.
            (Some(d), _) => vec![d.join("data")],
            (None, Some(dirs)) if !dirs.is_empty() => dirs,
            (None, _) => vec![data_dir.join("data")],
        };
        let commitlog_directory = match (&cli.data_dir, f.commitlog_directory) {
            (Some(d), _) => d.join("commitlog"),
            (None, Some(c)) => c,
            (None, None) => data_dir.join("commitlog"),
        };
        let commitlog_sync_period = match (f.commitlog_sync_period, f.commitlog_sync_period_in_ms) {
            (Some(h), _) => unit("commitlog_sync_period", parse_duration(&h, ms))?,
            (None, Some(n)) => Duration::from_millis(n),
            (None, None) => Duration::from_secs(10),
        };
        let commitlog_sync_group_window = match (
            f.commitlog_sync_group_window,
            f.commitlog_sync_group_window_in_ms,
        ) {
            (Some(h), _) => unit("commitlog_sync_group_window", parse_duration(&h, ms))?,
            (None, Some(n)) => Duration::from_millis(n),
            (None, None) => Duration::from_millis(15),
        };
        let commitlog_segment_size =
            match (f.commitlog_segment_size, f.commitlog_segment_size_in_mb) {
                (Some(h), _) => unit("commitlog_segment_size", parse_size(&h, MIB))?,
                (None, Some(n)) => n.saturating_mul(MIB),
                (None, None) => 32 * MIB,
            };
        let memtable_heap_space = match (f.memtable_heap_space, f.memtable_heap_space_in_mb) {
            (Some(h), _) => Some(unit("memtable_heap_space", parse_size(&h, MIB))?),
            (None, Some(n)) => Some(n.saturating_mul(MIB)),
            (None, None) => None,
        };
        let file_cache_size = match (f.file_cache_size, f.file_cache_size_in_mb) {
            (Some(h), _) => unit("file_cache_size", parse_size(&h, MIB))?,
            (None, Some(n)) => n.saturating_mul(MIB),
            (None, None) => 256 * MIB,
        };
        let column_index_size = match (f.column_index_size, f.column_index_size_in_kb) {
            (Some(h), _) => unit("column_index_size", parse_size(&h, 1 << 10))?,
            (None, Some(n)) => n.saturating_mul(1 << 10),
            (None, None) => 16 << 10,
        };
        let compaction_throughput =
            match (f.compaction_throughput, f.compaction_throughput_mb_per_sec) {
                (Some(h), _) => unit("compaction_throughput", parse_rate(&h, MIB))?,
                (None, Some(n)) => n.saturating_mul(MIB),
                (None, None) => 64 * MIB,
            };
        let native_transport_max_frame_size = match (
            f.native_transport_max_frame_size,
            f.native_transport_max_frame_size_in_mb,
        ) {
            (Some(h), _) => unit("native_transport_max_frame_size", parse_size(&h, MIB))?,
            (None, Some(n)) => n.saturating_mul(MIB),
            (None, None) => 16 * MIB,
        };
        let mut seeds = match (&cli.seeds, f.seeds) {
            (Some(s), _) => Seeds::Csv(s.clone()).into_vec(),
            (None, Some(s)) => s.into_vec(),
            (None, None) => f
                .seed_provider
                .into_iter()
                .flatten()
                .flat_map(|p| p.parameters)
                .flat_map(|p| p.seeds.into_vec())
                .collect(),
        };
        if seeds.is_empty() {
            seeds.push(listen_address.to_string());
        }
        let config = Config {
            cluster_name: f.cluster_name.unwrap_or_else(|| "Test Cluster".to_string()),
            listen_address,
            rpc_address,
            broadcast_address,
            broadcast_rpc_address,
            native_port: cli.native_port.or(f.native_transport_port).unwrap_or(9042),
            storage_port: cli.storage_port.or(f.storage_port).unwrap_or(7000),
            data_dir,
            data_file_directories,
            commitlog_directory,
            commitlog_sync: cli
                .commitlog_sync
                .or(f.commitlog_sync)
                .unwrap_or(CommitlogSync::Periodic),
            commitlog_sync_period,
            commitlog_sync_group_window,
            commitlog_segment_size,
            commitlog_ignore_replay_errors: f.commitlog_ignore_replay_errors.unwrap_or(false),
            memtable_heap_space,
            memtable_flush_writers: f.memtable_flush_writers.unwrap_or(2),
            memtable_cleanup_threshold: f.memtable_cleanup_threshold,
            concurrent_compactors: f.concurrent_compactors.unwrap_or(1),
            file_cache_size,
            column_index_size,
            commitlog_preallocate: f.commitlog_preallocate.unwrap_or(false),
            compaction_throughput,
            num_tokens: f.num_tokens.unwrap_or(16),
            seeds,
            endpoint_snitch: f
                .endpoint_snitch
                .unwrap_or_else(|| "SimpleSnitch".to_string()),
            dc: f.dc.unwrap_or_else(|| "datacenter1".to_string()),
            rack: f.rack.unwrap_or_else(|| "rack1".to_string()),
            native_transport_max_frame_size,
            native_transport_max_concurrent_requests: f
                .native_transport_max_concurrent_requests
                .unwrap_or(2048),
            native_transport_max_concurrent_connections: f
                .native_transport_max_concurrent_connections
                .unwrap_or(-1),
            log_level: cli
                .log_level
                .clone()
                .or(f.log_level)
                .unwrap_or_else(|| "info".to_string()),
            materialized_views_enabled: f.materialized_views_enabled.unwrap_or(false),
            admin_port: match cli.admin_port.or(f.admin_port) {
                Some(0) => None,
                Some(p) => Some(p),
                None => Some(7199),
            },
            admin_port_explicit: cli.admin_port.or(f.admin_port).is_some(),
            admin_address: f.admin_address.unwrap_or(localhost),
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_string(),
            })
        };
        if self.num_tokens == 0 || self.num_tokens > 1536 {
            return invalid("num_tokens", "must be between 1 and 1536");
        }
        if self.cluster_name.is_empty() {
            return invalid("cluster_name", "must not be empty");
        }
        if !(64..=1 << 20).contains(&self.column_index_size) {
            return invalid("column_index_size", "must be between 64B and 1MiB");
        }
        if self.native_transport_max_frame_size < 256
            || self.native_transport_max_frame_size > (1 << 30)
        {
            return invalid(
                "native_transport_max_frame_size",
                "must be between 256B and 1GiB",
            );
        }
        if self.native_transport_max_concurrent_requests == 0 {
            return invalid(
                "native_transport_max_concurrent_requests",
                "must be at least 1",
            );
        }
        if self.commitlog_segment_size < (1 << 20) {
            return invalid("commitlog_segment_size", "must be at least 1MiB");
        }
        if self.commitlog_sync == CommitlogSync::Periodic && self.commitlog_sync_period.is_zero() {
            return invalid("commitlog_sync_period", "must be positive in periodic mode");
        }
        Ok(())
    }

    /// A node on 127.0.0.1 with a free CQL port (0), batch commit log, 4 tokens, in `dir`.
    pub fn for_tests(dir: &Path) -> Config {
        let cli = Cli {
            data_dir: Some(dir.to_path_buf()),
            native_port: Some(0),
            storage_port: Some(0),
            commitlog_sync: Some(CommitlogSync::Batch),
            ..Cli::default()
        };
        let mut c = Config::resolve(FileConfig::default(), &cli).expect("test defaults are valid");
        c.num_tokens = 4;
        // In-process test nodes run side by side: no fixed admin port.
        c.admin_port = None;
        c
    }

    /// Where the node's identity (host id, tokens) is persisted.
    pub fn local_state_path(&self) -> PathBuf {
        self.primary_data_dir().join("system").join("local.json")
    }

    /// The first data directory: schema and node identity live here.
    pub fn primary_data_dir(&self) -> PathBuf {
        self.data_file_directories
            .first()
            .cloned()
            .unwrap_or_else(|| self.data_dir.join("data"))
    }
}

#[cfg(test)]
mod tests;
