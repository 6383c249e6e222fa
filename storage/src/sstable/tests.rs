//! SSTable round trips and corruption: every damaged byte gives
//! `Error::Corrupt` naming the file (never a panic, never silent bad data).
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::memtable::PartitionKey;
use crate::merge::PartitionData;
use crate::types::{Cell, CellValue, ColumnId, Row};

fn partition(i: u32) -> PartitionData {
    let mut rows = BTreeMap::new();
    for r in 0..3u8 {
        let ck = Bytes::from(vec![r]);
        rows.insert(
            ck.clone(),
            Row {
                clustering: ck,
                cells: vec![Cell {
                    column: ColumnId(1),
                    path: None,
                    timestamp: i64::from(i),
                    value: CellValue::Live {
                        value: Bytes::from(format!("value-{i}-{r}")),
                        ttl: None,
                    },
                }],
                ..Row::default()
            },
        );
    }
    PartitionData {
        rows,
        ..PartitionData::default()
    }
}

fn key(i: u32) -> (i64, Bytes) {
    (i64::from(i / 2) - 50, Bytes::from(format!("key{i:04}")))
}

fn write(dir: &Path, n: u32) -> Descriptor {
    let mut w = SstableWriter::create(Descriptor::new(dir, 7), 512, 0.01).expect("create");
    for i in 0..n {
        let (t, k) = key(i);
        w.add(t, &k, &partition(i)).expect("add");
    }
    w.finish(0).expect("finish").0
}

/// Opens and reads everything; returns the first error.
fn read_all(desc: &Descriptor, n: u32) -> Result<()> {
    let t = Arc::new(SsTable::open(desc.clone(), Arc::new(BlockCache::new(0)))?);
    for i in 0..n {
        let (tk, k) = key(i);
        match t.get(tk, &k)? {
            Some(p) if p == partition(i) => {}
            Some(_) => panic!("silently wrong data for {i}"),
            None => {
                return Err(Error::corrupt(
                    desc.path(Component::Data),
                    0,
                    "partition lost",
                ))
            }
        }
    }
    let mut count = 0;
    for item in t.iter_from(Bound::Unbounded)? {
        item?;
        count += 1;
    }
    assert_eq!(count, n);
    Ok(())
}

#[test]
fn round_trip_point_reads_and_iteration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desc = write(dir.path(), 300);
    read_all(&desc, 300).expect("intact table reads");
    let r = SstableReader::open(dir.path(), 7).expect("offline open");
    assert_eq!(r.verify().expect("verify"), 300);
    assert_eq!(r.stats().partition_count, 300);
    let t = Arc::new(SsTable::open(desc.clone(), Arc::new(BlockCache::new(0))).expect("open"));
    assert_eq!(t.stats.partition_count, 300);
    assert_eq!(t.stats.row_count, 900);
    assert!(t
        .get(-50, &Bytes::from_static(b"nope"))
        .expect("get")
        .is_none());
    // Iteration from the middle starts at the right partition.
    let (tk, k) = key(151);
    let from = PartitionKey {
        token: tk,
        key: k.clone(),
    };
    let mut it = t.iter_from(Bound::Excluded(from)).expect("iter");
    let (first, _) = it.next().expect("some").expect("ok");
    assert_eq!((first.token, first.key), key(152));
    // Bloom: misses are (almost always) answered without touching the index.
    let misses = (0..1000)
        .filter(|i| t.may_contain(0, &Bytes::from(format!("absent{i}"))))
        .count();
    assert!(misses < 60, "bloom false positives: {misses}/1000");
}

#[test]
fn truncated_data_file_is_corrupt_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desc = write(dir.path(), 100);
    let path = desc.path(Component::Data);
    let len = std::fs::metadata(&path).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(len - 10))
        .expect("truncate");
    match SsTable::open(desc, Arc::new(BlockCache::new(0))) {
        Err(Error::Corrupt { path: p, .. }) => assert_eq!(p, path),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("truncated table opened"),
    }
}

#[test]
fn every_flipped_byte_is_detected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desc = write(dir.path(), 60);
    for c in [
        Component::Data,
        Component::Index,
        Component::Summary,
        Component::Filter,
        Component::Statistics,
    ] {
        let path = desc.path(c);
        let orig = std::fs::read(&path).expect("read");
        let step = (orig.len() / 97).max(1);
        for i in (0..orig.len()).step_by(step) {
            let mut bad = orig.clone();
            bad[i] ^= 0x24;
            std::fs::write(&path, &bad).expect("write");
            match read_all(&desc, 60) {
                Err(Error::Corrupt { path: p, .. }) => assert_eq!(p, path, "{c:?} byte {i}"),
                Err(e) => panic!("{c:?} byte {i}: unexpected error {e}"),
                Ok(()) => panic!("{c:?} byte {i}: flip not detected"),
            }
        }
        std::fs::write(&path, &orig).expect("restore");
    }
    read_all(&desc, 60).expect("restored table reads");
}

#[test]
fn abandoned_writer_leaves_no_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut w =
            SstableWriter::create(Descriptor::new(dir.path(), 3), 512, 0.01).expect("create");
        let (t, k) = key(1);
        w.add(t, &k, &partition(1)).expect("add");
        assert!(
            w.add(t, &k, &partition(1)).is_err(),
            "out-of-order key refused"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
}
