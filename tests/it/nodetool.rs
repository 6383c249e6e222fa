//! `helenus-nodetool` against a real node process over its admin port: every command,
//! checked against what the node says over CQL (host id, tokens, schema version) and
//! against the files on disk (snapshots), plus the errors an operator meets.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::client::{connect, run};
use crate::harness::{free_port, NodeProc};

/// `$HELENUS_NODETOOL_BIN`, else helenus-nodetool beside the node binary or in target/debug.
fn nodetool_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        crate::harness::workspace_bin("helenus-tools", "helenus-nodetool", "HELENUS_NODETOOL_BIN")
    })
    .clone()
}

/// Runs nodetool against `port`: (exit code, stdout, stderr).
pub fn nodetool_at(port: u16, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(nodetool_bin())
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("run helenus-nodetool");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs nodetool against the node and insists on success; its stdout.
fn ok(node: &NodeProc, args: &[&str]) -> String {
    let (code, out, err) = nodetool_at(node.admin_port, args);
    assert_eq!(
        code,
        Some(0),
        "nodetool {args:?} failed: {err}\nstdout: {out}\nnode log:\n{}",
        node.log()
    );
    out
}

/// The value of `Key: value` in nodetool's output.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then_some(v.trim())
        })
        .unwrap_or_else(|| panic!("no `{key}` in:\n{out}"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn nodetool_reports_and_operates_a_live_node() {
    let mut node = NodeProc::start();
    let s = connect(&node).await;
    let (host_id, tokens, schema_version, release) = s
        .query_unpaged(
            "SELECT host_id, tokens, schema_version, release_version FROM system.local",
            &[],
        )
        .await
        .expect("system.local")
        .into_rows_result()
        .expect("rows")
        .single_row::<(uuid::Uuid, Vec<String>, uuid::Uuid, String)>()
        .expect("one row");

    // status: one Up/Normal node with system.local's host id.
    let out = ok(&node, &["status"]);
    assert!(
        out.starts_with("Datacenter: datacenter1\n======================="),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("UN "))
        .unwrap_or_else(|| panic!("no UN line:\n{out}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[1], "127.0.0.1", "{out}");
    assert!(cols.contains(&tokens.len().to_string().as_str()), "{out}");
    assert!(cols.contains(&"100.0%"), "{out}");
    assert!(cols.contains(&host_id.to_string().as_str()), "{out}");
    assert_eq!(cols.last(), Some(&"rack1"), "{out}");

    assert_eq!(
        ok(&node, &["version"]),
        format!("ReleaseVersion: {release}\n")
    );
    let out = ok(&node, &["info"]);
    assert_eq!(field(&out, "ID"), host_id.to_string());
    assert_eq!(field(&out, "Native Transport active"), "true");
    assert_eq!(field(&out, "Data Center"), "datacenter1");
    // ring: one line per token, every token of system.local.
    let out = ok(&node, &["ring"]);
    for t in &tokens {
        assert!(
            out.lines()
                .any(|l| l.contains("Up") && l.ends_with(t.as_str())),
            "token {t} missing:\n{out}"
        );
    }
    let out = ok(&node, &["describecluster"]);
    assert_eq!(field(&out, "Name"), "Test Cluster");
    assert!(
        out.contains(&format!("{schema_version}: [127.0.0.1]")),
        "{out}"
    );

    // tablestats counts the writes; flush adds SSTables; compact merges them.
    run(
        &s,
        "CREATE KEYSPACE nt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
    )
    .await;
    run(&s, "CREATE TABLE nt.kv (k int PRIMARY KEY, v text)").await;
    for k in 0..40 {
        run(
            &s,
            &format!("INSERT INTO nt.kv (k, v) VALUES ({k}, 'v{k}')"),
        )
        .await;
    }
    let out = ok(&node, &["tablestats", "nt.kv"]);
    assert_eq!(field(&out, "Local write count"), "40", "{out}");
    assert_eq!(field(&out, "SSTable count"), "0", "{out}");
    ok(&node, &["flush", "nt", "kv"]);
    let out = ok(&node, &["tablestats", "nt"]);
    assert_eq!(field(&out, "SSTable count"), "1", "{out}");
    assert_eq!(
        field(&out, "Number of partitions (estimate)"),
        "40",
        "{out}"
    );
    for k in 40..50 {
        run(
            &s,
            &format!("INSERT INTO nt.kv (k, v) VALUES ({k}, 'v{k}')"),
        )
        .await;
    }
    ok(&node, &["flush"]);
    let out = ok(&node, &["tablestats", "nt.kv"]);
    assert_eq!(field(&out, "SSTable count"), "2", "{out}");
    ok(&node, &["compact", "nt", "kv"]);
    let out = ok(&node, &["tablestats", "nt.kv"]);
    assert_eq!(field(&out, "SSTable count"), "1", "{out}");
    assert_eq!(
        field(&out, "Number of partitions (estimate)"),
        "50",
        "{out}"
    );
    let out = ok(&node, &["compactionstats"]);
    assert_eq!(field(&out, "pending tasks"), "0", "{out}");
    assert_ne!(field(&out, "completed compactions"), "0", "{out}");

    // Reads are counted and both latencies have percentiles.
    for k in 0..5 {
        run(&s, &format!("SELECT v FROM nt.kv WHERE k = {k}")).await;
    }
    let out = ok(&node, &["tablestats", "nt.kv"]);
    assert_eq!(field(&out, "Local read count"), "5", "{out}");
    let out = ok(&node, &["tablehistograms", "nt", "kv"]);
    assert!(out.starts_with("nt/kv histograms\n"), "{out}");
    let p50: Vec<&str> = out
        .lines()
        .find(|l| l.starts_with("50%"))
        .unwrap_or_else(|| panic!("{out}"))
        .split_whitespace()
        .collect();
    let num = |i: usize| p50[i].parse::<f64>().unwrap_or_else(|_| panic!("{out}"));
    assert!(num(1) > 0.0 && num(2) > 0.0, "read/write latency:\n{out}");
    assert!(
        num(3) > 0.0 && num(4) >= 1.0,
        "partition size/cells:\n{out}"
    );

    // snapshot: hard links on disk, listed, then cleared.
    let out = ok(&node, &["snapshot", "-t", "before", "nt"]);
    assert!(out.contains("Snapshot directory: before"), "{out}");
    let snap_files: Vec<PathBuf> = files_under(node.data_dir())
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "before"))
        .collect();
    assert!(
        snap_files
            .iter()
            .any(|p| p.to_string_lossy().ends_with("Data.db")),
        "{snap_files:?}"
    );
    let out = ok(&node, &["listsnapshots"]);
    let row = out
        .lines()
        .find(|l| l.starts_with("before "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains(" nt ") && row.contains(" kv "), "{out}");
    let (code, _, err) = nodetool_at(node.admin_port, &["snapshot", "-t", "before", "nt"]);
    assert_eq!(
        code,
        Some(1),
        "a second snapshot of the same name must fail"
    );
    assert!(err.contains("already exists"), "{err}");
    ok(&node, &["clearsnapshot", "-t", "before"]);
    assert!(ok(&node, &["listsnapshots"]).contains("There are no snapshots"));
    assert!(
        snap_files.iter().all(|p| !p.exists()),
        "snapshot files left"
    );

    let out = ok(&node, &["cleanup", "nt"]);
    assert!(out.contains("0 partitions dropped"), "{out}");

    // Log level at run time: DEBUG lines appear only after the change.
    let out = ok(&node, &["getlogginglevels"]);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().eq(["ROOT", "INFO"])),
        "{out}"
    );
    assert!(!node.log().contains("DEBUG"), "debug before the change");
    ok(&node, &["setlogginglevel", "debug"]);
    let out = ok(&node, &["getlogginglevels"]);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().eq(["ROOT", "DEBUG"])),
        "{out}"
    );
    run(&s, "SELECT v FROM nt.kv WHERE k = 1").await;
    let _second = connect(&node).await;
    assert!(
        node.log().contains("DEBUG"),
        "no debug line after setlogginglevel debug"
    );
    let (code, _, err) = nodetool_at(node.admin_port, &["setlogginglevel", "loud"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown log level"), "{err}");
    ok(&node, &["setlogginglevel", "info"]);

    // drain: data flushed, CQL closed, the admin API still answers.
    run(&s, "INSERT INTO nt.kv (k, v) VALUES (100, 'late')").await;
    ok(&node, &["drain"]);
    let out = ok(&node, &["tablestats", "nt.kv"]);
    assert_eq!(
        field(&out, "Memtable data size"),
        "0",
        "drain flushes:\n{out}"
    );
    let late = s.query_unpaged("INSERT INTO nt.kv (k, v) VALUES (101, 'after')", &[]);
    let refused = tokio::time::timeout(std::time::Duration::from_secs(20), late).await;
    // An error or no answer at all: the write must not be acknowledged.
    assert!(
        !matches!(refused, Ok(Ok(_))),
        "a write after drain was accepted"
    );
    assert!(
        std::net::TcpStream::connect(node.addr()).is_err(),
        "the CQL port still accepts connections after drain"
    );
    let out = ok(&node, &["info"]);
    assert_eq!(field(&out, "Native Transport active"), "false");
    assert!(ok(&node, &["status"]).contains("UN "));
    drop(s);
    assert_eq!(node.stop(), Some(0), "log:\n{}", node.log());
}

#[test]
fn nodetool_bad_command_and_unreachable_node_fail_clearly() {
    let port = free_port();
    let (code, _, err) = nodetool_at(port, &["frobnicate"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("frobnicate"), "{err}");
    let (code, out, err) = nodetool_at(port, &["status"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        err.contains(&format!("Failed to connect to '127.0.0.1:{port}'")),
        "{err}"
    );
}

#[test]
fn nodetool_unknown_keyspace_is_an_error() {
    let node = NodeProc::start();
    let (code, _, err) = nodetool_at(node.admin_port, &["tablestats", "nosuch"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("keyspace nosuch does not exist"), "{err}");
    let (code, _, err) = nodetool_at(node.admin_port, &["flush", "nosuch"]);
    assert_eq!(code, Some(1), "{err}");
    let (code, _, err) = nodetool_at(node.admin_port, &["snapshot", "-t", "../x"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("invalid snapshot name"), "{err}");
}
