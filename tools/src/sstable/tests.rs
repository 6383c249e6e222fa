//! helenus-sstable against real SSTables written by the storage engine.
use std::path::{Path, PathBuf};

use bytes::Bytes;
use clap::Parser;
use storage::{
    Cell, CellValue, ColumnId, Config, Engine, LivenessInfo, Mutation, Row, TableId, TableOptions,
};

use super::*;

const PARTITIONS: i64 = 500;

/// An engine directory with one flushed SSTable of `PARTITIONS` partitions (3 rows
/// each); returns its Data.db path.
fn write_sstable(dir: &Path) -> PathBuf {
    write_sstable_with(dir, 0)
}

/// A row with one live cell of column 1.
fn cell_row(clustering: Vec<u8>, timestamp: i64, value: String) -> Row {
    Row {
        clustering: Bytes::from(clustering),
        cells: vec![Cell {
            column: ColumnId(1),
            path: None,
            timestamp,
            value: CellValue::Live {
                value: Bytes::from(value),
                ttl: None,
            },
        }],
        ..Row::default()
    }
}

/// Rows of the wide partition `write_sstable_with` adds (~140 KiB: about 35
/// blocks of the tests' 4 KiB).
const WIDE_ROWS: u16 = 3000;

/// Like `write_sstable`, plus (when `wide_rows` > 0) one partition of that many
/// rows, key `wide`.
fn write_sstable_with(dir: &Path, wide_rows: u16) -> PathBuf {
    let table = TableId(uuid::Uuid::from_u128(9));
    let engine =
        Engine::open(Config::for_tests(dir), &[(table, TableOptions::default())]).expect("open");
    for p in 0..PARTITIONS {
        let rows = (0..3u8)
            .map(|c| Row {
                liveness: Some(LivenessInfo {
                    timestamp: 1000 + p,
                    ttl: None,
                }),
                ..cell_row(
                    vec![c],
                    1000 + p,
                    format!("value {p} {c} padding padding padding"),
                )
            })
            .collect();
        engine
            .apply(&Mutation {
                table,
                token: p * 7919 - 1_000_000,
                key: Bytes::from(p.to_be_bytes().to_vec()),
                rows,
                ..Mutation::default()
            })
            .expect("apply");
    }
    if wide_rows > 0 {
        let rows = (0..wide_rows)
            .map(|c| {
                cell_row(
                    c.to_be_bytes().to_vec(),
                    5,
                    format!("wide row {c} padding padding"),
                )
            })
            .collect();
        engine
            .apply(&Mutation {
                table,
                token: 1,
                key: Bytes::from_static(b"wide"),
                rows,
                ..Mutation::default()
            })
            .expect("apply");
    }
    engine.flush(table).expect("flush");
    engine.shutdown().expect("shutdown");
    let tdir = dir.join("data").join(table.0.simple().to_string());
    let mut data: Vec<PathBuf> = std::fs::read_dir(&tdir)
        .expect("table dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("-Data.db"))
        .collect();
    assert_eq!(data.len(), 1, "one SSTable: {data:?}");
    data.remove(0)
}

fn run_args(args: &[&str]) -> (Result<i32, ToolError>, String) {
    let cli = Cli::try_parse_from(std::iter::once("helenus-sstable").chain(args.iter().copied()))
        .expect("valid command line");
    let mut out = Vec::new();
    let r = run(cli, &mut out);
    (r, String::from_utf8(out).expect("utf8"))
}

#[test]
fn describe_prints_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_sstable(dir.path());
    let (r, out) = run_args(&["describe", data.to_str().expect("path")]);
    assert_eq!(r.expect("describe"), EXIT_OK);
    assert!(out.contains(&format!("Partitions: {PARTITIONS}")), "{out}");
    assert!(out.contains(&format!("Rows: {}", PARTITIONS * 3)), "{out}");
    assert!(out.contains("Minimum timestamp: 1000 "), "{out}");
    assert!(
        out.contains(&format!("Maximum timestamp: {} ", 1000 + PARTITIONS - 1)),
        "{out}"
    );
    assert!(out.contains("Format version: 3"), "{out}");
}

#[test]
fn dump_prints_one_json_line_per_partition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_sstable(dir.path());
    let (r, out) = run_args(&["dump", data.to_str().expect("path")]);
    assert_eq!(r.expect("dump"), EXIT_OK);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), PARTITIONS as usize);
    let tokens: Vec<i64> = lines
        .iter()
        .map(|l| l["token"].as_i64().expect("token"))
        .collect();
    assert!(tokens.windows(2).all(|w| w[0] < w[1]), "token order");
    let first = &lines[0];
    assert_eq!(first["key"], hex(&0i64.to_be_bytes()));
    assert_eq!(first["rows"].as_array().expect("rows").len(), 3);
    assert_eq!(
        first["rows"][1]["cells"][0]["value"],
        hex(b"value 0 1 padding padding padding")
    );
    // --key selects one partition.
    let key = hex(&42i64.to_be_bytes());
    let (r, out) = run_args(&["dump", data.to_str().expect("path"), "--key", &key]);
    assert_eq!(r.expect("dump"), EXIT_OK);
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains(&key));
}

#[test]
fn index_lists_every_partition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_sstable(dir.path());
    let (r, out) = run_args(&["index", data.to_str().expect("path")]);
    assert_eq!(r.expect("index"), EXIT_OK);
    assert_eq!(
        out.lines().count(),
        PARTITIONS as usize + 1,
        "header + entries"
    );
    let blocks: std::collections::BTreeSet<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(3).expect("data block column"))
        .collect();
    assert!(
        blocks.len() > 1,
        "several data blocks (4 KiB blocks in tests)"
    );
}

#[test]
fn verify_passes_then_names_the_file_and_offset_of_a_flipped_bit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_sstable(dir.path());
    let (r, out) = run_args(&["verify", data.to_str().expect("path")]);
    assert_eq!(r.expect("verify"), EXIT_OK, "{out}");
    assert!(
        out.contains(&format!("OK ({PARTITIONS} partitions")),
        "{out}"
    );

    let mut bytes = std::fs::read(&data).expect("read");
    let at = bytes.len() * 2 / 3;
    bytes[at] ^= 0x08;
    std::fs::write(&data, &bytes).expect("write");
    let (r, out) = run_args(&["verify", data.to_str().expect("path")]);
    assert_eq!(r.expect("verify runs"), EXIT_CORRUPT, "{out}");
    assert!(
        out.contains("CORRUPT")
            && out.contains(&*data.to_string_lossy())
            && out.contains("at offset"),
        "{out}"
    );
}

#[test]
fn truncated_data_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_sstable(dir.path());
    let len = std::fs::metadata(&data).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&data)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let (r, _) = run_args(&["describe", data.to_str().expect("path")]);
    let e = r.expect_err("truncated file");
    assert!(matches!(e, ToolError::Storage(_)), "{e}");
    assert!(e.to_string().contains(&*data.to_string_lossy()), "{e}");
    let (r, out) = run_args(&["verify", data.to_str().expect("path")]);
    assert_eq!(r.expect("verify runs"), EXIT_CORRUPT);
    assert!(out.contains("CORRUPT"), "{out}");
}

#[test]
fn a_path_that_is_not_an_sstable_is_a_usage_error() {
    let (r, _) = run_args(&["describe", "/tmp/not-an-sstable.txt"]);
    assert!(matches!(r, Err(ToolError::NotAnSstable(_))));
}

/// Format v2: a partition larger than a block is split into chunks with a
/// clustering index; `index` shows how many, `verify` checks every chunk against
/// its index entry, `dump` still prints the whole partition, and damage to a
/// clustering-index block is reported.
#[test]
fn wide_partition_chunks_are_listed_verified_and_dumped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = write_sstable_with(dir.path(), WIDE_ROWS);
    let path = data.to_str().expect("path");
    let (r, out) = run_args(&["index", path]);
    assert_eq!(r.expect("index"), EXIT_OK);
    let wide = out
        .lines()
        .find(|l| l.split('\t').nth(1) == Some(hex(b"wide").as_str()))
        .expect("wide partition listed");
    let chunks: u64 = wide
        .split('\t')
        .nth(5)
        .and_then(|c| c.parse().ok())
        .expect("clustering_chunks column");
    assert!(chunks > 20, "~140 KiB in 4 KiB blocks: {wide}");
    let small_chunks: Vec<&str> = out
        .lines()
        .skip(1)
        .filter(|l| l != &wide)
        .map(|l| l.split('\t').nth(5).expect("column"))
        .collect();
    assert!(
        small_chunks.iter().all(|c| *c == "0"),
        "small partitions have no clustering index"
    );
    let (r, out) = run_args(&["verify", path]);
    assert_eq!(r.expect("verify"), EXIT_OK, "{out}");
    assert!(
        out.contains(&format!("{chunks} clustering index entries")),
        "{out}"
    );
    let (r, out) = run_args(&["dump", path, "--key", &hex(b"wide")]);
    assert_eq!(r.expect("dump"), EXIT_OK);
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    let rows = line["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), usize::from(WIDE_ROWS));
    assert_eq!(
        rows[2999]["cells"][0]["value"],
        hex(b"wide row 2999 padding padding")
    );
    // The wide partition's clustering-index blocks sit in Index.db: flipping a
    // byte of the file is reported by verify, naming the Index file.
    let index = data.with_file_name(
        data.file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .replace("Data.db", "Index.db"),
    );
    let mut bytes = std::fs::read(&index).expect("read");
    for b in bytes.iter_mut().skip(20).step_by(97) {
        *b ^= 0x04;
    }
    std::fs::write(&index, &bytes).expect("write");
    let (r, out) = run_args(&["verify", path]);
    assert_eq!(r.expect("verify runs"), EXIT_CORRUPT, "{out}");
    assert!(out.contains("CORRUPT") && out.contains("Index.db"), "{out}");
}

/// The storage crate's fixtures of every format version (v1, v2: lz4
/// blocks; v3: raw and lz4 blocks, timestamp deltas) still describe, dump
/// and verify.
#[test]
fn fixtures_of_every_format_version_describe_dump_and_verify() {
    for (version, partitions) in [(1, 1), (2, 2), (3, 3)] {
        let data = PathBuf::from(format!(
            "{}/../storage/tests/fixtures/v{version}/data/00000000000000000000000000000001/hl-1-Data.db",
            env!("CARGO_MANIFEST_DIR")
        ));
        let path = data.to_str().expect("path");
        let (r, out) = run_args(&["describe", path]);
        assert_eq!(r.expect("describe"), EXIT_OK, "v{version}");
        assert!(out.contains(&format!("Format version: {version}")), "{out}");
        let (r, out) = run_args(&["dump", path]);
        assert_eq!(r.expect("dump"), EXIT_OK, "v{version}");
        assert_eq!(out.lines().count(), partitions, "v{version}: {out}");
        let (r, out) = run_args(&["verify", path]);
        assert_eq!(r.expect("verify"), EXIT_OK, "v{version}: {out}");
    }
}
