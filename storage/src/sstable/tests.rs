//! SSTable round trips and corruption: every damaged byte gives
//! `Error::Corrupt` naming the file (never a panic, never silent bad data).

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::memtable::PartitionKey;
use crate::merge::PartitionData;

fn partition(i: u32) -> PartitionData {
    let mut rows = crate::merge::Rows::default();
    for r in 0..3u8 {
        let ck = Bytes::from(vec![r]);
        let value = Bytes::from(format!("value-{i}-{r}"));
        rows.insert(ck.clone(), test_row(ck, i64::from(i), value));
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

/// A partition of `n` rows (clustering = big-endian u32, ~100-byte values) and a
/// range tombstone over rows 10..20.
fn wide(n: u32) -> PartitionData {
    let mut p = PartitionData::default();
    for c in 0..n {
        let ck = Bytes::from(c.to_be_bytes().to_vec());
        let value = Bytes::from(format!("{c:0100}"));
        p.rows.insert(ck.clone(), test_row(ck, 3, value));
    }
    p.range_tombstones.push(crate::types::RangeTombstone {
        start: crate::types::ClusteringBound::Inclusive(Bytes::from(10u32.to_be_bytes().to_vec())),
        end: crate::types::ClusteringBound::Exclusive(Bytes::from(20u32.to_be_bytes().to_vec())),
        deletion: crate::types::DeletionTime {
            marked_for_delete_at: 9,
            local_deletion_time: 1,
        },
    });
    p
}

fn ck(c: u32) -> Bytes {
    Bytes::from(c.to_be_bytes().to_vec())
}

/// The clustering ints of a windowed read of partition (`token`, `key`).
fn window_rows(
    t: &SsTable,
    token: i64,
    key: &Bytes,
    reversed: bool,
    resume: Option<u32>,
    slice: (
        &crate::types::ClusteringBound,
        &crate::types::ClusteringBound,
    ),
    budget: usize,
) -> (Vec<u32>, bool, usize) {
    let resume = resume.map(ck);
    let wanted = |c: &[u8]| {
        let past = resume
            .as_ref()
            .is_none_or(|r| if reversed { c < &r[..] } else { c > &r[..] });
        past && crate::types::in_slice(slice.0, slice.1, c)
    };
    let w = RowWindow {
        reversed,
        lower: slice.0,
        upper: slice.1,
        resume_after: resume.as_deref(),
        wanted: &wanted,
        budget,
    };
    let got = t
        .read_window(token, key, &w)
        .expect("read")
        .expect("present");
    let ints = got
        .data
        .rows
        .keys()
        .map(|c| u32::from_be_bytes(c.as_ref().try_into().expect("4 bytes")))
        .collect();
    (ints, got.full, got.data.range_tombstones.len())
}

/// Format v2: a partition of ~2.2 MB in 512-byte blocks is split into thousands of
/// chunks with a clustering index of several blocks; windowed reads seek to any
/// paging position or slice, forwards and backwards, return exactly the rows a
/// filter over the whole partition would, stop at the budget, and always carry the
/// partition's range tombstone (stored once, in the head). Small partitions around
/// it keep no clustering index and still read back.
#[test]
fn wide_partition_windows_seek_through_the_clustering_index() {
    use crate::types::ClusteringBound::{Bottom, Exclusive, Inclusive, Top};
    const N: u32 = 20_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = SstableWriter::create(Descriptor::new(dir.path(), 8), 512, 0.01).expect("create");
    w.add(0, &Bytes::from_static(b"before"), &partition(1))
        .expect("add");
    let key = Bytes::from_static(b"wide");
    w.add(1, &key, &wide(N)).expect("add wide");
    w.add(2, &Bytes::from_static(b"after"), &partition(2))
        .expect("add");
    let desc = w.finish(0).expect("finish").0;
    let t = Arc::new(SsTable::open(desc, Arc::new(BlockCache::new(1 << 20))).expect("open"));
    assert_eq!(t.stats.format_version, FORMAT_VERSION);
    assert_eq!(
        t.get(0, &Bytes::from_static(b"before")).expect("get"),
        Some(partition(1))
    );
    assert_eq!(
        t.get(2, &Bytes::from_static(b"after")).expect("get"),
        Some(partition(2))
    );
    assert_eq!(t.get(1, &key).expect("get"), Some(wide(N)));
    let entries = SstableReader::open(dir.path(), 8)
        .expect("open")
        .index_entries()
        .expect("index");
    let chunks: Vec<u64> = entries.iter().map(|e| e.clustering_chunks).collect();
    assert!(
        matches!(chunks.as_slice(), [0, n, 0] if *n > 1000),
        "one chunk per block for the wide partition, none for the small ones: {chunks:?}"
    );
    let all = (&Bottom, &Top);
    for at in [0, 1, 77, 4_999, 10_000, 19_998, 19_999] {
        let (rows, full, rts) = window_rows(&t, 1, &key, false, Some(at), all, 50);
        let want: Vec<u32> = (at + 1..N).take(50).collect();
        assert_eq!(rows, want, "forward after {at}");
        assert_eq!(full, want.len() == 50);
        assert_eq!(rts, 1, "the range tombstone comes with every window");
        let (rows, full, _) = window_rows(&t, 1, &key, true, Some(at), all, 50);
        let want: Vec<u32> = (0..at).rev().take(50).collect();
        let mut sorted = want.clone();
        sorted.sort_unstable();
        assert_eq!(rows, sorted, "reversed before {at}");
        assert_eq!(full, want.len() == 50);
    }
    // Slices: the read starts at the slice start (or, reversed, its end) and stops
    // past its other end without a budget.
    let (lo, hi) = (Inclusive(ck(12_345)), Exclusive(ck(12_400)));
    let (rows, full, _) = window_rows(&t, 1, &key, false, None, (&lo, &hi), usize::MAX);
    assert_eq!(rows, (12_345..12_400).collect::<Vec<_>>());
    assert!(!full);
    let (rows, _, _) = window_rows(&t, 1, &key, true, None, (&lo, &hi), 10);
    assert_eq!(rows, (12_390..12_400).collect::<Vec<_>>());
    let (rows, _, _) = window_rows(&t, 1, &key, true, None, all, usize::MAX);
    assert_eq!(rows.len(), N as usize, "a reversed read of everything");
    // Iteration (compaction, scans, tools) reassembles the partition.
    let parts: Vec<_> = t
        .iter_from(Bound::Unbounded)
        .expect("iter")
        .map(|x| x.expect("ok"))
        .collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts.get(1).map(|p| &p.1), Some(&wide(N)));
    // Starting an iteration at the partition after the wide one starts in a block
    // that begins with the wide partition's last chunk.
    let from = PartitionKey {
        token: 2,
        key: Bytes::from_static(b"after"),
    };
    let mut it = t.iter_from(Bound::Included(from)).expect("iter");
    assert_eq!(it.next().expect("some").expect("ok").1, partition(2));
    assert_eq!(
        SstableReader::open(dir.path(), 8)
            .expect("open")
            .verify_all()
            .expect("verify")
            .partitions,
        3
    );
}

/// Fixture of format version 3 (written by `write_fixture_v3`): raw and lz4
/// blocks, rows with timestamp deltas. Must keep loading in later versions.
const FIXTURE_V3: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v3/data/00000000000000000000000000000001"
);

/// xorshift bytes: what lz4 cannot shrink.
pub(super) fn random_bytes(n: usize, seed: u64) -> Bytes {
    // Spread the seed's bits first: xorshift from a small seed starts with
    // mostly zero bytes.
    let mut x = (seed ^ 0x5DEE_CE66_D1CE_4E5B).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// The v3 fixture's partitions: (token, key, data). "wide" (compressible
/// text over many chunks) is stored in lz4 blocks, "random" (stress-like
/// rows of five random blobs, a row marker, and cells whose timestamps
/// differ from it both ways, a tombstone and a TTL) in raw ones.
fn fixture_v3_partitions() -> Vec<(i64, Bytes, PartitionData)> {
    use crate::types::{Cell, CellValue, ColumnId, LivenessInfo, Row};
    let mut wide = PartitionData::default();
    for c in 0..2000u32 {
        let value = Bytes::from(format!("{c:060}"));
        wide.rows.insert(ck(c), test_row(ck(c), 5, value));
    }
    let mut random = PartitionData::default();
    for c in 0..300u32 {
        let ts = 1_700_000_000_000_000 + i64::from(c);
        let cells = (0..5u32)
            .map(|col| Cell {
                column: ColumnId(col),
                path: None,
                timestamp: match col {
                    3 => ts - 1_000_000,
                    4 => ts + 7,
                    _ => ts,
                },
                value: match (col, c % 10) {
                    (4, 0) => CellValue::Tombstone {
                        local_deletion_time: 1_700_000_000,
                    },
                    (4, 1) => CellValue::Live {
                        value: random_bytes(34, u64::from(c) << 8 | u64::from(col)),
                        ttl: Some((3600, 1_700_003_600)),
                    },
                    _ => CellValue::Live {
                        value: random_bytes(34, u64::from(c) << 8 | u64::from(col)),
                        ttl: None,
                    },
                },
            })
            .collect();
        let row = Row {
            clustering: ck(c),
            liveness: (c % 7 != 0).then_some(LivenessInfo {
                timestamp: ts,
                ttl: None,
            }),
            cells,
            ..Row::default()
        };
        random.rows.insert(ck(c), row);
    }
    vec![
        (1, Bytes::from_static(b"small"), partition(1)),
        (2, Bytes::from_static(b"wide"), wide),
        (3, Bytes::from_static(b"random"), random),
    ]
}

#[test]
#[ignore = "regenerates tests/fixtures/v3; run only when the format version changes"]
fn write_fixture_v3() {
    let dir = Path::new(FIXTURE_V3);
    let _ = std::fs::remove_dir_all(dir);
    let mut w = SstableWriter::create(Descriptor::new(dir, 1), 1024, 0.01).expect("create");
    for (t, k, p) in fixture_v3_partitions() {
        w.add(t, &k, &p).expect("add");
    }
    w.finish(1_700_000_000).expect("finish");
}

/// Kind of each data block of a v3 SSTable: true = stored raw.
fn data_block_kinds(desc: &Descriptor) -> Vec<bool> {
    let data = std::fs::read(desc.path(Component::Data)).expect("read");
    let mut kinds = Vec::new();
    let mut at = 0usize;
    while let Some(h) = data.get(at..at + block::HEADER_LEN) {
        let h: [u8; block::HEADER_LEN] = h.try_into().expect("header");
        kinds.push(block::is_raw(&h));
        let stored = u32::from_le_bytes(h[..4].try_into().expect("4 bytes"));
        at += block::HEADER_LEN + stored as usize;
    }
    kinds
}

/// The v3 fixture holds both block kinds and reads back exactly: point
/// reads, windowed reads both ways, iteration, and the offline verify.
#[test]
fn format_v3_fixture_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(FIXTURE_V3).expect("fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    let desc = Descriptor::new(dir.path(), 1);
    let kinds = data_block_kinds(&desc);
    assert!(
        kinds.contains(&true) && kinds.contains(&false),
        "raw and lz4 blocks: {kinds:?}"
    );
    let t = Arc::new(SsTable::open(desc, Arc::new(BlockCache::new(1 << 20))).expect("open"));
    assert_eq!(t.stats.format_version, 3);
    let want = fixture_v3_partitions();
    for (tk, k, p) in &want {
        assert_eq!(t.get(*tk, k).expect("get").as_ref(), Some(p), "{k:?}");
    }
    let all = (
        &crate::types::ClusteringBound::Bottom,
        &crate::types::ClusteringBound::Top,
    );
    for (token, key, n) in [(2, &b"wide"[..], 2000), (3, b"random", 300)] {
        let key = Bytes::copy_from_slice(key);
        let (rows, _, _) = window_rows(&t, token, &key, false, Some(99), all, 50);
        assert_eq!(rows, (100..150).collect::<Vec<_>>());
        let (rows, _, _) = window_rows(&t, token, &key, true, None, all, usize::MAX);
        assert_eq!(rows, (0..n).collect::<Vec<_>>(), "reversed");
    }
    let parts: Vec<_> = t
        .iter_from(Bound::Unbounded)
        .expect("iter")
        .map(|x| x.expect("ok"))
        .map(|(k, p)| (k.token, k.key, p))
        .collect();
    assert_eq!(parts, want);
    let report = SstableReader::open(dir.path(), 1)
        .expect("open")
        .verify_all()
        .expect("verify");
    assert_eq!(report.partitions, 3);
}

/// A freshly written SSTable of incompressible rows stores its data blocks
/// raw, and one of compressible rows in lz4; both read back.
#[test]
fn incompressible_data_is_written_raw_and_compressible_data_lz4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let parts = fixture_v3_partitions();
    for (generation, (t, k, p)) in (10..).zip(parts.iter().skip(1)) {
        let mut w = SstableWriter::create(Descriptor::new(dir.path(), generation), 1024, 0.01)
            .expect("create");
        w.add(*t, k, p).expect("add");
        let desc = w.finish(0).expect("finish").0;
        let kinds = data_block_kinds(&desc);
        let raw = &k[..] == b"random";
        assert!(kinds.iter().all(|&r| r == raw), "{k:?}: {kinds:?}");
        let table = SsTable::open(desc, Arc::new(BlockCache::new(0))).expect("open");
        assert_eq!(table.get(*t, k).expect("get").as_ref(), Some(p));
    }
}
