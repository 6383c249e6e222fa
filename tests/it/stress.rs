//! `helenus-stress` against a real node process: each command's effect is checked
//! with the scylla driver (what landed in the tables) and against the tool's own JSON
//! summary, plus bad arguments and failures that must be counted by type.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::BytesMut;
use cql::frame::decode_segment;
use scylla::value::Counter;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::client::connect;
use crate::harness::NodeProc;

/// `$HELENUS_STRESS_BIN`, else helenus-stress beside the node binary or in target/debug.
fn stress_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        crate::harness::workspace_bin("helenus-tools", "helenus-stress", "HELENUS_STRESS_BIN")
    })
    .clone()
}

/// Output of one run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The `-log json=` summary, when the run got that far.
    json: Option<Value>,
}

/// Runs `helenus-stress ARGS -port native=PORT -log json=... no-progress`.
fn stress(node: &NodeProc, args: &[&str]) -> Run {
    stress_on(node.port, args)
}

/// [`stress`] against any port.
fn stress_on(port: u16, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("summary.json");
    let json_arg = format!("json={}", json_path.display());
    let out = Command::new(stress_bin())
        .args(args)
        .args(["-port", &format!("native={port}")])
        .args(["-log", &json_arg, "no-progress"])
        .output()
        .expect("run helenus-stress");
    let json = std::fs::read_to_string(&json_path)
        .ok()
        .map(|t| serde_json::from_str(&t).expect("summary is JSON"));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
    }
}

/// Runs and insists on exit 0; the JSON summary.
fn stress_ok(node: &NodeProc, args: &[&str]) -> Value {
    let r = stress(node, args);
    assert_ok(node, args, r)
}

/// The JSON summary of a run that must have exited 0.
fn assert_ok(node: &NodeProc, args: &[&str], r: Run) -> Value {
    assert_eq!(
        r.code,
        Some(0),
        "helenus-stress {args:?} failed\nstdout:\n{}\nstderr:\n{}\nnode log:\n{}",
        r.stdout,
        r.stderr,
        node.log()
    );
    assert!(r.stdout.contains("Op rate"), "no summary: {}", r.stdout);
    r.json.expect("JSON summary written")
}

fn num(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

/// The per-operation entry `name` of a summary.
fn op<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["operations"]
        .as_array()
        .and_then(|ops| ops.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no operation {name} in {v}"))
}

/// cassandra-stress's key for `i`: upper-case hex, zero-padded to 10 bytes.
fn key(i: u64) -> Vec<u8> {
    format!("{i:010X}").into_bytes()
}

#[tokio::test]
async fn write_n_lands_exactly_those_partitions() {
    let node = NodeProc::start();
    let v = stress_ok(&node, &["write", "n=2000", "-rate", "threads=32"]);
    assert_eq!(num(&v, "ops"), 2000);
    assert_eq!(num(&v, "errors"), 0);
    assert_eq!(num(&v, "partitions"), 2000);

    let s = connect(&node).await;
    let rows = s
        .query_unpaged("SELECT key, \"C0\", \"C4\" FROM keyspace1.standard1", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let mut keys = BTreeSet::new();
    for row in rows.rows::<(Vec<u8>, Vec<u8>, Vec<u8>)>().expect("typed") {
        let (k, c0, c4) = row.expect("row");
        assert_eq!((c0.len(), c4.len()), (34, 34), "default column size");
        keys.insert(k);
    }
    let expected: BTreeSet<Vec<u8>> = (1..=2000).map(key).collect();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn duration_run_reports_steadiness_per_interval() {
    let node = NodeProc::start();
    let r = stress(
        &node,
        &[
            "write",
            "duration=2s",
            "-log",
            "interval=100ms",
            "-rate",
            "threads=8",
        ],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    // What a long run is judged by: the spread of per-interval throughput and the
    // worst latency of any interval (a stall), in the text and the JSON summary.
    assert!(r.stdout.contains("Interval op rate"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Worst interval max latency"),
        "{}",
        r.stdout
    );
    let v = r.json.expect("summary");
    let iv = &v["intervals"];
    // About twenty 100 ms intervals; the first and last are left out of the figures.
    assert!(num(iv, "count") >= 1, "{iv}");
    let rate = |f: &str| iv[f].as_f64().unwrap_or_else(|| panic!("no {f} in {iv}"));
    assert!(rate("min_op_rate") <= rate("median_op_rate"));
    assert!(rate("median_op_rate") <= rate("max_op_rate"));
    assert!(rate("worst_max_latency_ms") > 0.0, "{iv}");
}

#[tokio::test]
async fn read_after_write_finds_every_row() {
    let node = NodeProc::start();
    let cols = ["-col", "size=fixed(20)", "n=fixed(3)"];
    stress_ok(&node, &[&["write", "n=500"][..], &cols].concat());
    // Every value read back is compared with what write stored for that key.
    let v = stress_ok(
        &node,
        &[&["read", "n=500", "-pop", "seq=1..500"][..], &cols].concat(),
    );
    assert_eq!(num(&v, "ops"), 500);
    assert_eq!(num(&v, "rows"), 500);
    assert_eq!(num(op(&v, "read"), "not_found"), 0);
    // Reading with other column sizes than were written: every row is a mismatch.
    let r = stress(&node, &["read", "n=50", "-pop", "seq=1..50"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    let v = r.json.expect("summary");
    assert_eq!(v["errors_by_type"]["value mismatch"], 50, "{v}");
    // Keys never written are read as "no row", not as errors and not as rows.
    let v = stress_ok(&node, &["read", "n=100", "-pop", "seq=1001..1100"]);
    assert_eq!(num(&v, "rows"), 0);
    assert_eq!(num(op(&v, "read"), "not_found"), 100);
}

#[tokio::test]
async fn mixed_follows_the_ratio() {
    let node = NodeProc::start();
    let v = stress_ok(
        &node,
        &[
            "mixed",
            "ratio(write=1,read=3)",
            "n=2000",
            "-pop",
            "dist=uniform(1..200)",
        ],
    );
    let (w, r) = (num(op(&v, "write"), "ops"), num(op(&v, "read"), "ops"));
    assert_eq!(w + r, 2000);
    assert_eq!(num(&v, "errors"), 0);
    // 1:3 over 2000 draws: reads are 1500 +- a few standard deviations (~19).
    assert!((1350..=1650).contains(&r), "writes {w}, reads {r}");
}

#[tokio::test]
async fn counter_write_then_counter_read() {
    let node = NodeProc::start();
    let v = stress_ok(&node, &["counter_write", "n=600", "-pop", "seq=1..100"]);
    assert_eq!(num(&v, "ops"), 600);
    let s = connect(&node).await;
    let rows = s
        .query_unpaged("SELECT \"C0\", \"C4\" FROM keyspace1.counter1", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let (mut n, mut c0, mut c4) = (0, 0i64, 0i64);
    for row in rows.rows::<(Counter, Counter)>().expect("typed") {
        let (a, b) = row.expect("row");
        n += 1;
        c0 += a.0;
        c4 += b.0;
    }
    assert_eq!((n, c0, c4), (100, 600, 600), "100 keys, 6 increments each");
    let v = stress_ok(&node, &["counter_read", "n=100", "-pop", "seq=1..100"]);
    assert_eq!(num(&v, "rows"), 100);
    assert_eq!(num(&v, "errors"), 0);
}

#[tokio::test]
async fn user_profile_inserts_and_queries() {
    let node = NodeProc::start();
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/profiles/example.yaml");
    let profile_arg = format!("profile={}", profile.display());
    let v = stress_ok(
        &node,
        &[
            "user",
            &profile_arg,
            "ops(insert=1)",
            "n=300",
            "-pop",
            "seq=1..300",
        ],
    );
    assert_eq!(num(&v, "ops"), 300);
    let v = stress_ok(
        &node,
        &[
            "user",
            &profile_arg,
            "ops(by_id=1,one_row=1)",
            "n=300",
            "-pop",
            "seq=1..300",
        ],
    );
    assert_eq!(num(&v, "rows"), 300, "every query finds its row: {v}");
    assert_eq!(
        num(op(&v, "by_id"), "not_found") + num(op(&v, "one_row"), "not_found"),
        0
    );

    let s = connect(&node).await;
    let rows = s
        .query_unpaged("SELECT id, kind, payload FROM stress_example.events", &[])
        .await
        .expect("select")
        .into_rows_result()
        .expect("rows");
    let mut ids = BTreeSet::new();
    for row in rows.rows::<(i64, String, Vec<u8>)>().expect("typed") {
        let (id, kind, payload) = row.expect("row");
        assert!(
            (4..=12).contains(&kind.len()),
            "columnspec size of kind: {kind:?}"
        );
        assert_eq!(payload.len(), 100);
        ids.insert(id);
    }
    assert_eq!(ids, (1..=300).collect::<BTreeSet<i64>>());
}

#[tokio::test]
async fn bad_arguments_fail_clearly() {
    let node = NodeProc::start();
    for (args, needle) in [
        (&["write"][..], "n=N or duration"),
        (&["write", "n=10", "-rate", "threads=0"][..], "threads=0"),
        (&["frobnicate", "n=10"][..], "unknown command 'frobnicate'"),
        (&["write", "n=10", "-pop", "seq=9..1"][..], "empty range"),
        (
            &["user", "profile=/nonexistent.yaml", "ops(insert=1)", "n=1"][..],
            "/nonexistent.yaml",
        ),
        // Reads do not create the schema: a clear error, not a run of empty reads.
        (&["read", "n=10"][..], "run write"),
    ] {
        let r = stress(&node, args);
        assert_eq!(r.code, Some(2), "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: stderr {}", r.stderr);
        assert!(r.json.is_none());
    }
}

#[tokio::test]
async fn failures_are_counted_by_type() {
    let node = NodeProc::start();
    // Consistency TWO cannot be met by one node: every write is Unavailable.
    let r = stress(&node, &["write", "n=200", "cl=TWO"]);
    assert_eq!(
        r.code,
        Some(1),
        "errors make a non-zero exit\n{}{}",
        r.stdout,
        r.stderr
    );
    let v = r.json.expect("summary even when operations fail");
    assert_eq!(num(&v, "errors"), 200);
    assert_eq!(num(&v, "ops"), 0);
    assert_eq!(v["errors_by_type"]["Unavailable (0x1000)"], 200, "{v}");
    assert!(
        r.stdout.contains("Total errors              : 200"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Unavailable"), "{}", r.stdout);
}

/// A TCP proxy in front of `port` that keeps, per connection, the first bytes each
/// client sent: enough to see the STARTUP and what follows it.
async fn recording_proxy(port: u16) -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let proxy_port = listener.local_addr().expect("addr").port();
    let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let record = sent.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let slot = {
                let mut all = record.lock().expect("lock");
                all.push(Vec::new());
                all.len() - 1
            };
            let record = record.clone();
            tokio::spawn(async move {
                let server = TcpStream::connect(("127.0.0.1", port)).await.expect("node");
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let mut buf = vec![0u8; 64 << 10];
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    let mut all = record.lock().expect("lock");
                    let kept = &mut all[slot];
                    let room = (64usize << 10).saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            });
        }
    });
    (proxy_port, sent)
}

/// The bytes after the first envelope (the STARTUP) of `sent`, and that envelope.
fn after_startup(sent: &[u8]) -> (&[u8], &[u8]) {
    let len = 9 + u32::from_be_bytes(sent[5..9].try_into().expect("4 bytes")) as usize;
    (&sent[..len], &sent[len..])
}

/// `-mode protocolVersion=N compression=X` really puts that on the wire (seen through
/// a proxy), and the node stores and serves what the tool writes and verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_v5_and_compression_modes_reach_the_wire() {
    let node = NodeProc::start();
    let cols = ["-col", "size=fixed(40)", "n=fixed(2)"];
    for (i, (version, compression)) in [("5", "lz4"), ("5", "none"), ("4", "lz4"), ("4", "snappy")]
        .into_iter()
        .enumerate()
    {
        let (port, sent) = recording_proxy(node.port).await;
        let mode = [
            "-mode".to_string(),
            format!("protocolVersion={version}"),
            format!("compression={compression}"),
            "connectionsPerHost=2".to_string(),
        ];
        let first = i as u64 * 1000 + 1;
        let pop = format!("seq={first}..{}", first + 299);
        for cmd in ["write", "read"] {
            let mut args = vec![cmd, "n=300", "-pop", &pop];
            args.extend(cols);
            args.extend(mode.iter().map(String::as_str));
            let r = tokio::task::spawn_blocking({
                let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                move || stress_on(port, &args.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await
            .expect("stress");
            let v = assert_ok(&node, &args, r);
            assert_eq!(num(&v, "ops"), 300, "{cmd} v{version} {compression}");
            assert_eq!(num(&v, "errors"), 0);
            if cmd == "read" {
                // Every row read back matched what write stored for its key.
                assert_eq!(num(&v, "rows"), 300, "v{version} {compression}");
            }
        }
        let sent = sent.lock().expect("lock").clone();
        assert!(
            sent.len() >= 3,
            "schema connection + 2 per host: {}",
            sent.len()
        );
        let mut with_requests = 0;
        for conn in &sent {
            let (startup, rest) = after_startup(conn);
            assert_eq!(
                startup[0],
                version.parse::<u8>().unwrap(),
                "STARTUP version"
            );
            assert_eq!(startup[4], 0x01, "STARTUP opcode");
            let asks_compression = startup.windows(11).any(|w| w == b"COMPRESSION");
            assert_eq!(asks_compression, compression != "none", "STARTUP options");
            // A read run's schema connection only says STARTUP (no schema to create).
            if rest.is_empty() {
                continue;
            }
            with_requests += 1;
            if version == "5" {
                // Segments, not bare envelopes: the first one decodes with its CRCs
                // and carries a v5 request envelope.
                let mut wire = BytesMut::from(rest);
                let segment = decode_segment(&mut wire, compression == "lz4", 1 << 17)
                    .expect("a valid segment")
                    .expect("a whole segment");
                assert_eq!(segment.payload[0], 0x05, "a v5 envelope inside");
            } else {
                assert_eq!(rest[0], 0x04, "a v4 envelope");
                assert_eq!(rest[1] & 0x01, 0x01, "its body compressed");
            }
        }
        assert!(
            with_requests >= 4,
            "2 connections x (write + read): {with_requests}"
        );
    }
    // What landed: 4 x 300 partitions.
    let s = connect(&node).await;
    let (n,) = s
        .query_unpaged("SELECT count(*) FROM keyspace1.standard1", &[])
        .await
        .expect("count")
        .into_rows_result()
        .expect("rows")
        .single_row::<(i64,)>()
        .expect("one row");
    assert_eq!(n, 1200);
}
