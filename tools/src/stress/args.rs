//! The cassandra-stress command line: `COMMAND [opt=value ...] [-OPTION [sub ...]] ...`.
//! Every unknown word is an error that names it; nothing is silently ignored except
//! `no-warmup` (there is no warm-up phase to skip).

use std::path::PathBuf;
use std::time::Duration;

use cql::frame::{Compression, ProtocolVersion};
use cql::wire::Consistency;

use super::conn::Framing;
use super::dist::{split_call, Population, SizeDist};
use super::error::{args, Result, StressError};

pub const USAGE: &str = "\
usage: helenus-stress COMMAND [n=N | duration=30s|5m|1h] [cl=ONE] [no-warmup] [OPTIONS]
commands:
  write | read | counter_write | counter_read
  mixed ratio(write=1,read=3)
  user profile=FILE.yaml ops(insert=1,q1=3)
options:
  -node HOST[:PORT][,HOST...]           default 127.0.0.1
  -port native=N                        default 9042
  -rate threads=N [throttle=N/s | fixed=N/s]   N = operations in flight (default 256)
  -mode [connectionsPerHost=N] [protocolVersion=3|4|5] [compression=none|lz4|snappy]
                                        defaults 4, 4, none (v5 takes lz4 only)
  -cl LEVEL                             ONE, QUORUM, ALL, LOCAL_ONE, ...
  -schema [replication(factor=N)] [compaction(strategy=NAME)] [keyspace=NAME]
  -pop seq=LO..HI | dist=uniform|gaussian|zipf(LO..HI[,param])
  -col size=fixed(34)|uniform(LO..HI) n=fixed(5)
  -log file=PATH.csv|PATH.json [json=PATH] [interval=1s] [no-progress]
";

/// What each operation does.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Write,
    Read,
    /// Weights of write and read.
    Mixed {
        write: u32,
        read: u32,
    },
    CounterWrite,
    CounterRead,
    /// A YAML profile and the weights of its operations (`insert` or a query name).
    User {
        profile: PathBuf,
        ops: Vec<(String, u32)>,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Write => "write",
            Command::Read => "read",
            Command::Mixed { .. } => "mixed",
            Command::CounterWrite => "counter_write",
            Command::CounterRead => "counter_read",
            Command::User { .. } => "user",
        }
    }
}

/// Rate limit: `throttle=N/s` paces requests; `fixed=N/s` also measures latency from
/// the time each request was due (cassandra-stress's coordinated-omission correction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub per_second: f64,
    pub fixed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub command: Command,
    pub n: Option<u64>,
    pub duration: Option<Duration>,
    pub consistency: Consistency,
    /// Operations in flight over all connections.
    pub threads: usize,
    pub throttle: Option<Throttle>,
    pub connections_per_host: usize,
    /// Protocol version and compression of every connection.
    pub framing: Framing,
    /// `host:port` strings.
    pub nodes: Vec<String>,
    pub keyspace: String,
    pub replication_factor: u32,
    pub compaction: Option<String>,
    pub population: Population,
    pub col_size: SizeDist,
    pub col_count: SizeDist,
    /// Per-interval CSV log (`-log file=X.csv`).
    pub csv_log: Option<PathBuf>,
    /// Summary JSON (`-log file=X.json` or `json=X`).
    pub json: Option<PathBuf>,
    pub interval: Duration,
    pub progress: bool,
}

/// Parses the words after the program name.
pub fn parse(argv: &[String]) -> Result<Settings> {
    let mut it = argv.iter().peekable();
    let Some(cmd) = it.next() else {
        return args("no command given");
    };
    // Command options run up to the first `-OPTION`.
    let mut cmd_opts = Vec::new();
    while let Some(w) = it.next_if(|w| !w.starts_with('-')) {
        cmd_opts.push(w.clone());
    }
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    while let Some(opt) = it.next() {
        let mut subs = Vec::new();
        while let Some(w) = it.next_if(|w| !w.starts_with('-')) {
            subs.push(w.clone());
        }
        groups.push((opt.to_ascii_lowercase(), subs));
    }

    let mut n = None;
    let mut duration = None;
    let mut consistency = Consistency::One;
    let mut ratio = None;
    let mut profile = None;
    let mut ops = None;
    for o in &cmd_opts {
        let lower = o.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("n=") {
            n = Some(parse_count(v).ok_or_else(|| bad(format!("n={v}: not a number")))?);
        } else if let Some(v) = lower.strip_prefix("duration=") {
            duration = Some(parse_duration(v)?);
        } else if let Some(v) = lower.strip_prefix("cl=") {
            consistency = parse_cl(v)?;
        } else if lower == "no-warmup" {
        } else if lower.starts_with("ratio(") {
            ratio = Some(parse_weights(o)?);
        } else if lower.starts_with("ops(") {
            ops = Some(parse_weights(o)?);
        } else if lower.starts_with("profile=") {
            profile = Some(PathBuf::from(&o["profile=".len()..]));
        } else {
            return args(format!("unknown option '{o}' for command {cmd}"));
        }
    }
    if n.is_some() && duration.is_some() {
        return args("give either n= or duration=, not both");
    }
    if n.is_none() && duration.is_none() {
        return args("give the length of the run: n=N or duration=30s");
    }
    if n == Some(0) {
        return args("n=0: nothing to do");
    }
    let command = match cmd.to_ascii_lowercase().as_str() {
        "write" => Command::Write,
        "read" => Command::Read,
        "counter_write" => Command::CounterWrite,
        "counter_read" => Command::CounterRead,
        "mixed" => {
            let w = ratio
                .take()
                .unwrap_or_else(|| vec![("write".to_string(), 1), ("read".to_string(), 1)]);
            let mut write = 0;
            let mut read = 0;
            for (name, weight) in w {
                match name.as_str() {
                    "write" => write = weight,
                    "read" => read = weight,
                    other => {
                        return args(format!(
                            "ratio(): unknown operation '{other}' (write, read)"
                        ))
                    }
                }
            }
            if write + read == 0 {
                return args("ratio(): all weights are 0");
            }
            Command::Mixed { write, read }
        }
        "user" => {
            let profile = profile
                .take()
                .ok_or_else(|| bad("user: profile=FILE.yaml is required"))?;
            let ops = ops
                .take()
                .ok_or_else(|| bad("user: ops(insert=1,NAME=W,...) is required"))?;
            if ops.iter().all(|(_, w)| *w == 0) {
                return args("ops(): all weights are 0");
            }
            Command::User { profile, ops }
        }
        "help" | "-h" | "--help" => return args("help requested"),
        other => {
            return args(format!(
                "unknown command '{other}' (write, read, mixed, counter_write, counter_read, user)"
            ))
        }
    };
    if ratio.is_some() {
        return args("ratio() only applies to the mixed command");
    }
    if profile.is_some() || ops.is_some() {
        return args("profile= and ops() only apply to the user command");
    }

    let mut s = Settings {
        command,
        n,
        duration,
        consistency,
        threads: 256,
        throttle: None,
        connections_per_host: 4,
        framing: Framing::default(),
        nodes: vec!["127.0.0.1".into()],
        keyspace: "keyspace1".into(),
        replication_factor: 1,
        compaction: None,
        population: Population::Seq {
            lo: 1,
            hi: n.unwrap_or(1_000_000),
        },
        col_size: SizeDist::Fixed(34),
        col_count: SizeDist::Fixed(5),
        csv_log: None,
        json: None,
        interval: Duration::from_secs(1),
        progress: true,
    };
    let mut port = 9042u16;
    for (opt, subs) in &groups {
        match opt.as_str() {
            "-node" => {
                let list = subs.join(",");
                s.nodes = list
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(String::from)
                    .collect();
                if s.nodes.is_empty() {
                    return args("-node: no host given");
                }
            }
            "-port" => {
                for sub in subs {
                    let v = sub
                        .to_ascii_lowercase()
                        .strip_prefix("native=")
                        .map(String::from)
                        .ok_or_else(|| bad(format!("-port: expected native=N, got '{sub}'")))?;
                    port = v
                        .parse()
                        .map_err(|_| bad(format!("-port: bad port '{v}'")))?;
                }
            }
            "-rate" => {
                for sub in subs {
                    let (k, v) = kv(sub, "-rate")?;
                    match k.as_str() {
                        "threads" | "concurrency" => {
                            s.threads = v
                                .parse()
                                .ok()
                                .filter(|t| *t > 0)
                                .ok_or_else(|| bad(format!("-rate: bad {k}={v}")))?;
                        }
                        "throttle" | "fixed" => {
                            let per_second = v
                                .strip_suffix("/s")
                                .unwrap_or(&v)
                                .parse::<f64>()
                                .ok()
                                .filter(|r| *r > 0.0)
                                .ok_or_else(|| bad(format!("-rate: bad {k}={v}, want N/s")))?;
                            s.throttle = Some(Throttle {
                                per_second,
                                fixed: k == "fixed",
                            });
                        }
                        _ => return args(format!("-rate: unknown option '{sub}'")),
                    }
                }
            }
            "-mode" => {
                for sub in subs {
                    let lower = sub.to_ascii_lowercase();
                    // cassandra-stress's usual words; only the native protocol exists here.
                    if matches!(lower.as_str(), "native" | "cql3" | "prepared") {
                        continue;
                    }
                    let (k, v) = kv(sub, "-mode")?;
                    match k.as_str() {
                        "connectionsperhost" => {
                            s.connections_per_host = v
                                .parse()
                                .ok()
                                .filter(|c| *c > 0)
                                .ok_or_else(|| bad(format!("-mode: bad {sub}")))?;
                        }
                        "protocolversion" => {
                            s.framing.version = v
                                .parse::<u8>()
                                .ok()
                                .and_then(ProtocolVersion::from_u8)
                                .ok_or_else(|| {
                                    bad(format!("-mode: bad {sub}, want protocolVersion=3|4|5"))
                                })?;
                        }
                        "compression" => {
                            s.framing.compression = if v.eq_ignore_ascii_case("none") {
                                Compression::None
                            } else {
                                Compression::from_name(&v).ok_or_else(|| {
                                    bad(format!(
                                        "-mode: bad {sub}, want compression=none|lz4|snappy"
                                    ))
                                })?
                            };
                        }
                        _ => return args(format!("-mode: unknown option '{sub}'")),
                    }
                }
                if s.framing.version.is_v5() && s.framing.compression == Compression::Snappy {
                    // As Cassandra, which offers only lz4 segments on v5.
                    return args("-mode: protocol v5 compresses with lz4 only, not snappy");
                }
            }
            "-cl" => {
                let [level] = subs.as_slice() else {
                    return args("-cl: give one consistency level, e.g. -cl QUORUM");
                };
                s.consistency = parse_cl(level)?;
            }
            "-schema" => {
                for sub in subs {
                    let lower = sub.to_ascii_lowercase();
                    if let Some((name, inner)) = split_call(&lower) {
                        let kvs = parse_kv_list(inner)?;
                        match name {
                            "replication" => {
                                for (k, v) in kvs {
                                    match k.as_str() {
                                        "factor" => {
                                            s.replication_factor =
                                                v.parse().ok().filter(|f| *f > 0).ok_or_else(
                                                    || bad(format!("-schema: bad factor={v}")),
                                                )?
                                        }
                                        _ => {
                                            return args(format!(
                                                "-schema replication(): unknown '{k}' (factor)"
                                            ))
                                        }
                                    }
                                }
                            }
                            "compaction" => {
                                for (k, v) in kvs {
                                    match k.as_str() {
                                        "strategy" => s.compaction = Some(compaction_class(&v)?),
                                        _ => {
                                            return args(format!(
                                                "-schema compaction(): unknown '{k}' (strategy)"
                                            ))
                                        }
                                    }
                                }
                            }
                            _ => return args(format!("-schema: unknown option '{sub}'")),
                        }
                    } else if let Some(ks) = sub.strip_prefix("keyspace=") {
                        if ks.is_empty() || !ks.chars().all(|c| c.is_alphanumeric() || c == '_') {
                            return args(format!("-schema: bad keyspace name '{ks}'"));
                        }
                        s.keyspace = ks.to_string();
                    } else {
                        return args(format!("-schema: unknown option '{sub}'"));
                    }
                }
            }
            "-pop" => {
                let [spec] = subs.as_slice() else {
                    return args("-pop: give one of seq=LO..HI or dist=NAME(LO..HI)");
                };
                s.population = Population::parse(spec)?;
            }
            "-col" => {
                for sub in subs {
                    let (k, v) = kv(sub, "-col")?;
                    match k.as_str() {
                        "size" => s.col_size = SizeDist::parse(&v)?,
                        "n" => {
                            s.col_count = SizeDist::parse(&v)?;
                            if s.col_count.max() == 0 || s.col_count.max() > 64 {
                                return args("-col: n must be between 1 and 64");
                            }
                        }
                        _ => return args(format!("-col: unknown option '{sub}' (size, n)")),
                    }
                }
            }
            "-log" => {
                for sub in subs {
                    if sub.eq_ignore_ascii_case("no-progress") {
                        s.progress = false;
                        continue;
                    }
                    let (k, v) = kv(sub, "-log")?;
                    match k.as_str() {
                        "file" => {
                            let p = PathBuf::from(&sub["file=".len()..]);
                            if v.ends_with(".json") {
                                s.json = Some(p);
                            } else {
                                s.csv_log = Some(p);
                            }
                        }
                        "json" => s.json = Some(PathBuf::from(&sub["json=".len()..])),
                        "interval" => {
                            s.interval = parse_duration(&v)?;
                            if s.interval.is_zero() {
                                return args("-log: interval must be > 0");
                            }
                        }
                        _ => return args(format!("-log: unknown option '{sub}'")),
                    }
                }
            }
            other => return args(format!("unknown option '{other}'")),
        }
    }
    for node in &mut s.nodes {
        if !node.contains(':') {
            *node = format!("{node}:{port}");
        }
    }
    Ok(s)
}

fn bad(msg: impl Into<String>) -> StressError {
    StressError::Args(msg.into())
}

/// `k=v` with a lower-case key; the value keeps its case.
fn kv(sub: &str, opt: &str) -> Result<(String, String)> {
    let (k, v) = sub
        .split_once('=')
        .ok_or_else(|| bad(format!("{opt}: expected key=value, got '{sub}'")))?;
    Ok((k.trim().to_ascii_lowercase(), v.trim().to_string()))
}

fn parse_kv_list(inner: &str) -> Result<Vec<(String, String)>> {
    inner
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| kv(p, "option list"))
        .collect()
}

/// `ratio(write=1,read=3)` / `ops(insert=1,q1=3)`.
fn parse_weights(s: &str) -> Result<Vec<(String, u32)>> {
    let (_, inner) = split_call(s).ok_or_else(|| bad(format!("cannot parse '{s}'")))?;
    let mut out = Vec::new();
    for (k, v) in parse_kv_list(inner)? {
        let w = v
            .parse()
            .map_err(|_| bad(format!("bad weight '{v}' for '{k}' in '{s}'")))?;
        out.push((k, w));
    }
    if out.is_empty() {
        return args(format!("no operations in '{s}'"));
    }
    Ok(out)
}

/// `1000000`, `1M`, `500k`.
fn parse_count(v: &str) -> Option<u64> {
    let (num, mult) = match v.as_bytes().last()? {
        b'k' => (&v[..v.len() - 1], 1_000),
        b'm' => (&v[..v.len() - 1], 1_000_000),
        b'b' => (&v[..v.len() - 1], 1_000_000_000),
        _ => (v, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

/// `30s`, `5m`, `1h`, `500ms`; a bare number is seconds.
fn parse_duration(v: &str) -> Result<Duration> {
    let v = v.trim().to_ascii_lowercase();
    let err = || bad(format!("bad duration '{v}' (e.g. 30s, 5m, 1h, 500ms)"));
    let (num, unit) = match v.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => v.split_at(i),
        None => (v.as_str(), "s"),
    };
    let x: f64 = num.parse().map_err(|_| err())?;
    let secs = match unit {
        "ms" => x / 1000.0,
        "s" => x,
        "m" => x * 60.0,
        "h" => x * 3600.0,
        _ => return Err(err()),
    };
    Ok(Duration::from_secs_f64(secs))
}

fn parse_cl(v: &str) -> Result<Consistency> {
    Consistency::from_name(&v.to_ascii_uppercase())
        .ok_or_else(|| bad(format!("unknown consistency level '{v}'")))
}

/// cassandra-stress accepts the short names; the table option wants the class.
fn compaction_class(v: &str) -> Result<String> {
    Ok(match v.to_ascii_lowercase().as_str() {
        "stcs" | "sizetieredcompactionstrategy" => "SizeTieredCompactionStrategy",
        "lcs" | "leveledcompactionstrategy" => "LeveledCompactionStrategy",
        "twcs" | "timewindowcompactionstrategy" => "TimeWindowCompactionStrategy",
        _ => {
            return args(format!(
                "-schema: unknown compaction strategy '{v}' (stcs, lcs, twcs)"
            ))
        }
    }
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Settings> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn cassandra_stress_lines_parse() {
        let s = p(
            "write n=1M cl=QUORUM -node a,b:9000 -port native=9043 -rate threads=64 \
                   throttle=1000/s -schema replication(factor=3) compaction(strategy=LCS) \
                   -pop dist=uniform(1..100) -col size=FIXED(10) n=FIXED(2) -log file=x.csv",
        )
        .unwrap();
        assert_eq!(s.command, Command::Write);
        assert_eq!(s.n, Some(1_000_000));
        assert_eq!(s.consistency, Consistency::Quorum);
        assert_eq!(s.nodes, vec!["a:9043".to_string(), "b:9000".to_string()]);
        assert_eq!(s.threads, 64);
        assert_eq!(s.throttle.unwrap().per_second, 1000.0);
        assert_eq!(s.replication_factor, 3);
        assert_eq!(s.compaction.as_deref(), Some("LeveledCompactionStrategy"));
        assert_eq!(s.col_size, SizeDist::Fixed(10));
        assert_eq!(s.csv_log, Some(PathBuf::from("x.csv")));
        let m = p("mixed ratio(write=1,read=3) duration=10s").unwrap();
        assert_eq!(m.command, Command::Mixed { write: 1, read: 3 });
        assert_eq!(m.duration, Some(Duration::from_secs(10)));
        let u = p("user profile=a.yaml ops(insert=1,q1=3) n=10").unwrap();
        assert!(matches!(u.command, Command::User { ref ops, .. } if ops.len() == 2));
        assert_eq!(m.framing, Framing::default(), "v4, uncompressed by default");
        let v5 = p("write n=1 -mode native cql3 protocolVersion=5 compression=LZ4").unwrap();
        assert_eq!(v5.framing.version, ProtocolVersion::V5);
        assert_eq!(v5.framing.compression, Compression::Lz4);
        let v3 = p("write n=1 -mode protocolVersion=3 compression=snappy").unwrap();
        assert_eq!(v3.framing.version, ProtocolVersion::V3);
        assert_eq!(v3.framing.compression, Compression::Snappy);
    }

    #[test]
    fn bad_lines_name_the_problem() {
        for (line, needle) in [
            ("frobnicate n=1", "unknown command"),
            ("write", "n=N or duration"),
            ("write n=abc", "n=abc"),
            ("write n=10 -rate threads=0", "threads=0"),
            ("write n=10 -bogus", "-bogus"),
            ("write n=10 -cl SOMETIMES", "SOMETIMES"),
            ("write n=10 -mode protocolVersion=6", "protocolVersion=6"),
            ("write n=10 -mode compression=zstd", "compression=zstd"),
            (
                "write n=10 -mode protocolVersion=5 compression=snappy",
                "lz4 only",
            ),
            ("mixed ratio(write=1,delete=2) n=1", "delete"),
            ("user n=1 ops(insert=1)", "profile="),
            ("write n=1 duration=1s", "not both"),
        ] {
            let e = p(line).unwrap_err().to_string();
            assert!(e.contains(needle), "{line}: {e}");
        }
    }
}
