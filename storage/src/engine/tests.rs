//! Engine behaviour: write/read/flush/reopen, deletions, TTL, counters,
//! scans, truncate and drop.
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::types::{Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, Row, ScanBound};

pub(crate) fn tid(n: u128) -> TableId {
    TableId(uuid::Uuid::from_u128(n))
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn cell(col: u32, ts: i64, v: &str) -> Cell {
    Cell {
        column: ColumnId(col),
        path: None,
        timestamp: ts,
        value: CellValue::Live {
            value: b(v),
            ttl: None,
        },
    }
}

fn put(e: &Engine, key: &str, ck: &str, ts: i64, v: &str) {
    e.apply(&Mutation {
        table: tid(1),
        token: key.len() as i64,
        key: b(key),
        rows: vec![Row {
            clustering: b(ck),
            cells: vec![cell(1, ts, v)],
            ..Row::default()
        }],
        ..Mutation::default()
    })
    .expect("apply");
}

fn get(e: &Engine, key: &str) -> Option<Partition> {
    e.read(&ReadCommand::whole(tid(1), key.len() as i64, b(key), 1000))
        .expect("read")
}

fn values(p: &Option<Partition>) -> Vec<(String, String)> {
    p.iter()
        .flat_map(|p| p.rows.iter())
        .map(|r| {
            let v = match &r.cells[0].value {
                CellValue::Live { value, .. } => String::from_utf8_lossy(value).into_owned(),
                other => format!("{other:?}"),
            };
            (String::from_utf8_lossy(&r.clustering).into_owned(), v)
        })
        .collect()
}

fn open(dir: &std::path::Path) -> Arc<Engine> {
    Engine::open(Config::for_tests(dir), &[(tid(1), TableOptions::default())]).expect("open")
}

#[test]
fn write_read_flush_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let e = open(dir.path());
        put(&e, "k", "a", 1, "one");
        put(&e, "k", "b", 1, "two");
        e.flush(tid(1)).expect("flush");
        put(&e, "k", "a", 2, "uno");
        put(&e, "kk", "a", 1, "other");
        assert_eq!(
            values(&get(&e, "k")),
            vec![("a".into(), "uno".into()), ("b".into(), "two".into())]
        );
        assert_eq!(e.table_stats(tid(1)).expect("stats").sstable_count, 1);
        // No shutdown: the memtable part must come back from the commit log.
    }
    let e = open(dir.path());
    assert_eq!(
        values(&get(&e, "k")),
        vec![("a".into(), "uno".into()), ("b".into(), "two".into())]
    );
    assert_eq!(values(&get(&e, "kk")), vec![("a".into(), "other".into())]);
    assert_eq!(get(&e, "missing"), None);
    e.shutdown().expect("shutdown");
    assert!(matches!(
        e.apply(&Mutation {
            table: tid(1),
            ..Mutation::default()
        }),
        Err(Error::Shutdown)
    ));
}

#[test]
fn counters_survive_flush_and_replay_without_double_counting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inc = |e: &Engine, d: i64| {
        e.apply(&Mutation {
            table: tid(1),
            token: 1,
            key: b("c"),
            rows: vec![Row {
                cells: vec![Cell {
                    column: ColumnId(2),
                    path: None,
                    timestamp: d,
                    value: CellValue::Counter { delta: d },
                }],
                ..Row::default()
            }],
            ..Mutation::default()
        })
        .expect("apply")
    };
    let total = |e: &Engine| match &e
        .read(&ReadCommand::whole(tid(1), 1, b("c"), 0))
        .expect("read")
    {
        Some(p) => match p.rows[0].cells[0].value {
            CellValue::Counter { delta } => delta,
            _ => panic!("not a counter"),
        },
        None => 0,
    };
    {
        let e = open(dir.path());
        inc(&e, 1);
        inc(&e, 2);
        e.flush(tid(1)).expect("flush");
        inc(&e, 4);
        assert_eq!(total(&e), 7);
    }
    let e = open(dir.path());
    assert_eq!(total(&e), 7);
    inc(&e, 8);
    e.compact(tid(1)).expect("compact");
    assert_eq!(total(&e), 15);
    drop(e);
    let e = open(dir.path());
    assert_eq!(total(&e), 15);
}

#[test]
fn deletions_and_ttl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(dir.path());
    for ck in ["a", "b", "c", "d"] {
        put(&e, "k", ck, 10, ck);
    }
    let del = DeletionTime {
        marked_for_delete_at: 10,
        local_deletion_time: 500,
    };
    // Range tombstone [b, c] at the same timestamp shadows b and c.
    e.apply(&Mutation {
        table: tid(1),
        token: 1,
        key: b("k"),
        range_tombstones: vec![crate::types::RangeTombstone {
            start: ClusteringBound::Inclusive(b("b")),
            end: ClusteringBound::Inclusive(b("c")),
            deletion: del,
        }],
        ..Mutation::default()
    })
    .expect("rt");
    e.flush(tid(1)).expect("flush");
    let mut ttl_cell = cell(1, 20, "short");
    ttl_cell.value = CellValue::Live {
        value: b("short"),
        ttl: Some((100, 1100)),
    };
    e.apply(&Mutation {
        table: tid(1),
        token: 1,
        key: b("k"),
        rows: vec![Row {
            clustering: b("e"),
            cells: vec![ttl_cell],
            ..Row::default()
        }],
        ..Mutation::default()
    })
    .expect("ttl");
    assert_eq!(
        values(&get(&e, "k")),
        vec![
            ("a".into(), "a".into()),
            ("d".into(), "d".into()),
            ("e".into(), "short".into())
        ]
    );
    let later = e
        .read(&ReadCommand::whole(tid(1), 1, b("k"), 1100))
        .expect("read");
    assert_eq!(
        values(&later).len(),
        2,
        "expired cell is gone at its expiry"
    );
    // Partition deletion at 15 removes everything older; the TTL cell at 20 stays.
    e.apply(&Mutation {
        table: tid(1),
        token: 1,
        key: b("k"),
        partition_deletion: Some(DeletionTime {
            marked_for_delete_at: 15,
            local_deletion_time: 600,
        }),
        ..Mutation::default()
    })
    .expect("pd");
    e.compact(tid(1)).expect("compact");
    assert_eq!(values(&get(&e, "k")), vec![("e".into(), "short".into())]);
}

#[test]
fn slices_reverse_limits_and_paging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(dir.path());
    for (i, ck) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        put(&e, "k", ck, 1, ck);
        if i == 2 {
            e.flush(tid(1)).expect("flush");
        }
    }
    let mut cmd = ReadCommand::whole(tid(1), 1, b("k"), 0);
    cmd.slices = vec![(
        ClusteringBound::Exclusive(b("a")),
        ClusteringBound::Inclusive(b("d")),
    )];
    cmd.reversed = true;
    cmd.row_limit = Some(2);
    let p = e.read(&cmd).expect("read");
    assert_eq!(
        values(&p).iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
        vec!["d", "c"]
    );
    cmd.resume_after = Some(b("c"));
    let p = e.read(&cmd).expect("read");
    assert_eq!(
        values(&p).iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
        vec!["b"]
    );
}

#[test]
fn scan_pages_in_token_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = open(dir.path());
    for key in ["a", "bb", "ccc", "dddd"] {
        put(&e, key, "x", 1, key);
        put(&e, key, "y", 1, key);
    }
    e.flush(tid(1)).expect("flush");
    put(&e, "eeeee", "x", 1, "e");
    let mut cmd = ScanCommand {
        table: tid(1),
        start: ScanBound::Start,
        end_token: None,
        row_limit: 3,
        partition_limit: None,
        per_partition_limit: None,
        slices: vec![],
        now_seconds: 0,
    };
    let page = e.scan(&cmd).expect("scan");
    assert_eq!(page.iter().map(|p| p.token).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(page[1].rows.len(), 1, "row limit cut the second partition");
    cmd.start = ScanBound::AfterRow {
        token: 2,
        key: b("bb"),
        clustering: b("x"),
    };
    cmd.row_limit = 100;
    cmd.end_token = Some(4);
    let page = e.scan(&cmd).expect("scan");
    assert_eq!(
        page.iter().map(|p| p.token).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(page[0].rows.len(), 1);
    cmd.start = ScanBound::Token {
        token: 3,
        inclusive: false,
    };
    cmd.end_token = None;
    let page = e.scan(&cmd).expect("scan");
    assert_eq!(page.iter().map(|p| p.token).collect::<Vec<_>>(), vec![4, 5]);
}

#[test]
fn truncate_and_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let e = open(dir.path());
        put(&e, "k", "a", 1, "x");
        e.flush(tid(1)).expect("flush");
        put(&e, "k", "b", 1, "y");
        e.truncate(tid(1)).expect("truncate");
        assert_eq!(get(&e, "k"), None);
        put(&e, "k", "c", 1, "z");
    }
    let e = open(dir.path());
    assert_eq!(values(&get(&e, "k")), vec![("c".into(), "z".into())]);
    e.create_table(tid(2), TableOptions::default())
        .expect("create");
    assert!(matches!(
        e.create_table(tid(2), TableOptions::default()),
        Err(Error::TableExists(_))
    ));
    e.drop_table(tid(1)).expect("drop");
    assert!(matches!(
        e.read(&ReadCommand::whole(tid(1), 1, b("k"), 0)),
        Err(Error::UnknownTable(_))
    ));
}
