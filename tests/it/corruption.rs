//! Damaged files under a real node process: a torn commit-log tail (the node starts with
//! everything before the damage), a bit flip in the middle of the commit log (the node
//! refuses to start and names the file and offset, unless
//! `commitlog_ignore_replay_errors: true`), a bit-flipped SSTable data block (reads of
//! that table fail with a server error naming the file; the node keeps serving other
//! tables) and a truncated SSTable (start-up fails naming the file). Never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use scylla::client::session::Session;
use storage::commitlog::{next_record, Next, HEADER_LEN};

use crate::client::connect;
use crate::harness::NodeProc;

const ROWS: i32 = 200;

/// `$HELENUS_SSTABLE_BIN`, else helenus-sstable beside the node binary or in target/debug.
fn sstable_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        crate::harness::workspace_bin("helenus-tools", "helenus-sstable", "HELENUS_SSTABLE_BIN")
    })
    .clone()
}

/// Runs helenus-sstable: (exit code, stdout, stderr).
fn sstable_tool(args: &[&Path]) -> (Option<i32>, String, String) {
    let out = Command::new(sstable_bin())
        .args(args)
        .output()
        .expect("run helenus-sstable");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Creates keyspace `c` with tables `t` and `other`, writes `ROWS` rows to each and
/// returns the storage id of `c.t` (its directory name and commit-log table id).
async fn setup(s: &Session) -> uuid::Uuid {
    s.query_unpaged(
        "CREATE KEYSPACE c WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        &[],
    )
    .await
    .expect("create keyspace");
    for t in ["t", "other"] {
        s.query_unpaged(
            format!("CREATE TABLE c.{t} (k int PRIMARY KEY, v text)"),
            &[],
        )
        .await
        .expect("create table");
        let insert = s
            .prepare(format!("INSERT INTO c.{t} (k, v) VALUES (?, ?)"))
            .await
            .expect("prepare");
        for k in 0..ROWS {
            s.execute_unpaged(&insert, (k, format!("value-{k}")))
                .await
                .expect("insert");
        }
    }
    let res = s
        .query_unpaged(
            "SELECT id FROM system_schema.tables WHERE keyspace_name = 'c' AND table_name = 't'",
            &[],
        )
        .await
        .expect("table id")
        .into_rows_result()
        .expect("rows");
    let (id,): (uuid::Uuid,) = res.single_row().expect("one row");
    id
}

/// The keys of `c.<table>` that read back with their value.
async fn present_keys(s: &Session, table: &str) -> Vec<i32> {
    let select = s
        .prepare(format!("SELECT v FROM c.{table} WHERE k = ?"))
        .await
        .expect("prepare");
    let mut out = Vec::new();
    for k in 0..ROWS {
        let rows = s
            .execute_unpaged(&select, (k,))
            .await
            .expect("select")
            .into_rows_result()
            .expect("rows");
        if let Ok((v,)) = rows.single_row::<(String,)>() {
            assert_eq!(v, format!("value-{k}"), "wrong value for key {k}");
            out.push(k);
        }
    }
    out
}

/// The newest commit-log segment and the (start offset, table id) of each record in it.
fn last_segment_records(node: &NodeProc) -> (PathBuf, Vec<(usize, uuid::Uuid)>) {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(node.commitlog_dir())
        .expect("commitlog dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    segments.sort();
    let path = segments.pop().expect("a commit-log segment");
    let buf = std::fs::read(&path).expect("read segment");
    let mut out = Vec::new();
    let mut pos = HEADER_LEN as usize;
    while let Next::Record(m, end) = next_record(&buf, pos) {
        out.push((pos, m.table.0));
        pos = end;
    }
    (path, out)
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x20;
    std::fs::write(path, &bytes).expect("write");
}

#[tokio::test]
async fn corruption_commitlog_torn_tail_starts_with_the_prefix() {
    let mut node = NodeProc::start();
    {
        let s = connect(&node).await;
        setup(&s).await;
    }
    node.kill();
    let (path, records) = last_segment_records(&node);
    let (last_start, _) = *records.last().expect("records");
    // Cut the newest record in half, as a crash in the middle of a write would.
    // Measured from the record's end, not the file's: a preallocated segment
    // continues with zeroes after its last record.
    let buf = std::fs::read(&path).expect("read segment");
    let Next::Record(_, end) = next_record(&buf, last_start) else {
        panic!("the last record decodes");
    };
    let cut = last_start + (end - last_start) / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open")
        .set_len(cut as u64)
        .expect("truncate");
    node.restart();
    let log = node.log();
    assert!(
        log.contains("torn record") && log.contains(&*path.to_string_lossy()),
        "the torn tail is reported with its file; log:\n{log}"
    );
    let s = connect(&node).await;
    // Every record before the torn one was replayed: `c.t` is complete (its inserts
    // came before those of `c.other`), and `c.other` lost at most its last write.
    assert_eq!(present_keys(&s, "t").await, (0..ROWS).collect::<Vec<_>>());
    let other = present_keys(&s, "other").await;
    assert!(
        other == (0..ROWS).collect::<Vec<_>>() || other == (0..ROWS - 1).collect::<Vec<_>>(),
        "only the torn last write may be missing, got {} keys",
        other.len()
    );
}

#[tokio::test]
async fn corruption_commitlog_flip_in_middle_refuses_start_unless_ignored() {
    let mut node =
        NodeProc::start_with_config("cluster_name: corruption\n", &["--commitlog-sync", "batch"]);
    let table = {
        let s = connect(&node).await;
        setup(&s).await
    };
    node.kill();
    let (path, records) = last_segment_records(&node);
    let ours: Vec<usize> = records
        .iter()
        .filter(|(_, t)| *t == table)
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(ours.len(), ROWS as usize, "one record per insert into c.t");
    let victim = ours[ours.len() / 2];
    // A payload byte (past the 8-byte record header): the checksum no longer matches.
    flip_byte(&path, victim + 12);

    let (code, log) = node.restart_expect_failure();
    assert_eq!(
        code,
        Some(1),
        "start-up fails with exit code 1; log:\n{log}"
    );
    assert!(
        log.contains(&*path.to_string_lossy()) && log.contains(&format!("offset {victim}")),
        "the error names the segment and the offset {victim}; log:\n{log}"
    );
    assert!(
        log.contains("commitlog_ignore_replay_errors"),
        "the error says how to start anyway; log:\n{log}"
    );
    assert!(!log.contains("panicked"), "no panic; log:\n{log}");

    node.set_config("cluster_name: corruption\ncommitlog_ignore_replay_errors: true\n");
    node.restart();
    assert!(
        node.log().contains("corrupt commit-log record skipped"),
        "the skipped record is logged; log:\n{}",
        node.log()
    );
    let s = connect(&node).await;
    // Exactly the damaged record is lost; replay resynchronised after it.
    let t = present_keys(&s, "t").await;
    assert_eq!(t.len(), ROWS as usize - 1, "one row lost, got {t:?}");
    assert_eq!(present_keys(&s, "other").await.len(), ROWS as usize);
}

#[tokio::test]
async fn corruption_sstable_bit_flip_fails_reads_of_that_table_only() {
    let mut node = NodeProc::start();
    let table = {
        let s = connect(&node).await;
        setup(&s).await
    };
    assert_eq!(
        node.stop(),
        Some(0),
        "clean stop flushes; log:\n{}",
        node.log()
    );
    let data: Vec<PathBuf> = node
        .sstable_files("-Data.db")
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&table.simple().to_string()))
        .collect();
    assert_eq!(data.len(), 1, "one flushed SSTable for c.t: {data:?}");
    let len = std::fs::metadata(&data[0]).expect("meta").len() as usize;
    flip_byte(&data[0], len / 2);
    node.restart();
    let s = connect(&node).await;
    let err = s
        .query_unpaged("SELECT v FROM c.t WHERE k = 7", &[])
        .await
        .expect_err("a damaged block must not be served");
    let msg = err.to_string();
    assert!(
        msg.contains(&*data[0].to_string_lossy()) && msg.contains("corrupt"),
        "the error names the damaged file: {msg}"
    );
    // Other tables are still served, and so is the next request.
    assert_eq!(present_keys(&s, "other").await.len(), ROWS as usize);
    let err = s
        .query_unpaged("SELECT * FROM c.t", &[])
        .await
        .expect_err("a scan over the damaged block fails too");
    assert!(err.to_string().contains("Data.db"), "{err}");
    assert!(
        !node.log().contains("panicked"),
        "no panic; log:\n{}",
        node.log()
    );

    // helenus-sstable verify finds the damage offline, and only there.
    let (code, out, _) = sstable_tool(&[Path::new("verify"), &data[0]]);
    assert_eq!(code, Some(1), "verify exits 1 on damage: {out}");
    assert!(
        out.contains("CORRUPT") && out.contains(&*data[0].to_string_lossy()),
        "{out}"
    );
    let others: Vec<PathBuf> = node
        .sstable_files("-Data.db")
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(&table.simple().to_string()))
        .collect();
    assert!(!others.is_empty(), "c.other was flushed too");
    for p in &others {
        let (code, out, err) = sstable_tool(&[Path::new("verify"), p]);
        assert_eq!(code, Some(0), "undamaged SSTable verifies: {out}{err}");
    }
}

#[tokio::test]
async fn corruption_sstable_truncated_refuses_start_naming_the_file() {
    let mut node = NodeProc::start();
    let table = {
        let s = connect(&node).await;
        setup(&s).await
    };
    assert_eq!(
        node.stop(),
        Some(0),
        "clean stop flushes; log:\n{}",
        node.log()
    );
    let data: Vec<PathBuf> = node
        .sstable_files("-Data.db")
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&table.simple().to_string()))
        .collect();
    assert_eq!(data.len(), 1, "one flushed SSTable for c.t: {data:?}");
    let len = std::fs::metadata(&data[0]).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&data[0])
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let (code, log) = node.restart_expect_failure();
    assert_eq!(code, Some(1), "start-up fails; log:\n{log}");
    assert!(
        log.contains(&*data[0].to_string_lossy()) && log.contains("corrupt"),
        "the error names the truncated file; log:\n{log}"
    );
    assert!(!log.contains("panicked"), "no panic; log:\n{log}");
    let (code, _, err) = sstable_tool(&[Path::new("describe"), &data[0]]);
    assert_eq!(code, Some(1), "describe exits 1: {err}");
    assert!(err.contains(&*data[0].to_string_lossy()), "{err}");
}
