//! Compaction's copy of unchanged partitions against the decode, merge,
//! purge and encode path: on random inputs (overlapping keys, deletions of
//! every kind, TTLs and tombstones on both sides of gc_before, counters,
//! static rows, partitions chunked over several blocks) both write the same
//! files, byte for byte.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;

use super::executor::{run, Job, Throttle};
use crate::merge::{PartitionData, Rows};
use crate::sstable::{BlockCache, Component, Descriptor, SsTable, SstableWriter};
use crate::types::{
    Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, LivenessInfo, RangeTombstone, Row,
};

const BLOCK: usize = 512;
const GC_BEFORE: i32 = 50;

fn deletion() -> impl Strategy<Value = DeletionTime> {
    (1i64..20, 30i32..70).prop_map(|(ts, ldt)| DeletionTime {
        marked_for_delete_at: ts,
        local_deletion_time: ldt,
    })
}

/// `(ttl, local expiry)` on either side of `GC_BEFORE`.
fn ttl() -> impl Strategy<Value = Option<(i32, i32)>> {
    proptest::option::weighted(0.2, (30i32..70).prop_map(|exp| (10, exp)))
}

fn cell_value() -> impl Strategy<Value = CellValue> {
    prop_oneof![
        6 => (proptest::collection::vec(any::<u8>(), 0..40), ttl())
            .prop_map(|(v, ttl)| CellValue::Live { value: Bytes::from(v), ttl }),
        2 => (30i32..70).prop_map(|ldt| CellValue::Tombstone { local_deletion_time: ldt }),
        1 => (-5i64..5).prop_map(|delta| CellValue::Counter { delta }),
    ]
}

/// A row; `wide` makes its values large enough to chunk a partition.
fn row(clustering: Bytes, wide: bool) -> impl Strategy<Value = Row> {
    let cells = proptest::collection::btree_map((0u32..4, 0u8..2), (1i64..20, cell_value()), 0..4);
    (
        proptest::option::weighted(0.7, (1i64..20, ttl())),
        proptest::option::weighted(0.1, deletion()),
        proptest::option::weighted(0.05, deletion()),
        cells,
    )
        .prop_map(move |(marker, del, complex, cells)| Row {
            clustering: clustering.clone(),
            liveness: marker.map(|(timestamp, ttl)| LivenessInfo { timestamp, ttl }),
            deletion: del,
            complex_deletions: complex.map(|d| (ColumnId(3), d)).into_iter().collect(),
            cells: cells
                .into_iter()
                .map(|((col, path), (timestamp, value))| Cell {
                    column: ColumnId(col),
                    // Column 3 is a collection: its cells have paths.
                    path: (col == 3).then(|| Bytes::from(vec![path])),
                    timestamp,
                    value: match value {
                        CellValue::Live { ttl, .. } if wide => CellValue::Live {
                            value: Bytes::from(vec![7; 100]),
                            ttl,
                        },
                        v => v,
                    },
                })
                .collect(),
        })
}

fn bound() -> impl Strategy<Value = ClusteringBound> {
    prop_oneof![
        Just(ClusteringBound::Bottom),
        Just(ClusteringBound::Top),
        (0u8..40).prop_map(|c| ClusteringBound::Inclusive(Bytes::from(vec![c]))),
        (0u8..40).prop_map(|c| ClusteringBound::Exclusive(Bytes::from(vec![c]))),
    ]
}

fn partition() -> impl Strategy<Value = PartitionData> {
    let wide = proptest::bool::weighted(0.1);
    (
        proptest::option::weighted(0.1, deletion()),
        proptest::option::weighted(
            0.1,
            (bound(), bound(), deletion()).prop_map(|(start, end, deletion)| RangeTombstone {
                start,
                end,
                deletion,
            }),
        ),
        proptest::option::weighted(0.2, row(Bytes::new(), false)),
        wide,
    )
        .prop_flat_map(|(pd, rt, static_row, wide)| {
            let n = if wide { 30..40 } else { 0..4 };
            let rows = proptest::collection::btree_set(0u8..120, n).prop_flat_map(move |cks| {
                cks.into_iter()
                    .map(|c| row(Bytes::from(vec![c]), wide))
                    .collect::<Vec<_>>()
            });
            (
                Just(pd),
                Just(rt),
                Just(static_row),
                rows.prop_map(|rows| {
                    let mut m = Rows::default();
                    for r in rows {
                        m.insert(r.clustering.clone(), r);
                    }
                    m
                }),
            )
        })
        .prop_map(|(pd, rt, static_row, rows)| PartitionData {
            partition_deletion: pd,
            range_tombstones: rt.into_iter().collect(),
            static_row,
            rows,
        })
}

/// An input SSTable: partitions by key number (token = number / 3, so some
/// tokens collide and order by key).
fn input() -> impl Strategy<Value = BTreeMap<u8, PartitionData>> {
    proptest::collection::btree_map(0u8..16, partition(), 1..10)
}

fn key(n: u8) -> (i64, Bytes) {
    (i64::from(n / 3) - 2, Bytes::from(format!("key{n:02}")))
}

fn write_input(dir: &Path, generation: u64, parts: &BTreeMap<u8, PartitionData>) -> Arc<SsTable> {
    let mut w =
        SstableWriter::create(Descriptor::new(dir, generation), BLOCK, 0.01).expect("create");
    for (n, p) in parts {
        let (t, k) = key(*n);
        w.add(t, &k, p).expect("add");
    }
    let (desc, _) = w.finish(0).expect("finish");
    Arc::new(SsTable::open(desc, Arc::new(BlockCache::new(0))).expect("open"))
}

/// Compacts `inputs` into `out`; returns the outputs and how many
/// partitions were copied.
fn compact(
    inputs: &[Arc<SsTable>],
    out: &Path,
    copy: bool,
    purge_bound: i64,
    max_output_size: Option<u64>,
) -> (Vec<Descriptor>, u64) {
    let stop = AtomicBool::new(false);
    let next = AtomicU64::new(100);
    let generation = || next.fetch_add(1, Ordering::Relaxed);
    let job = Job {
        inputs: inputs.to_vec(),
        purge_bound: &|_, _| purge_bound,
        gc_before: GC_BEFORE,
        output_level: 0,
        max_output_size,
        block_size: BLOCK,
        fp_chance: 0.01,
        now_seconds: 60,
        copy_unchanged: copy,
        stop: &stop,
    };
    let (descs, o) = run(job, out, &generation, &mut Throttle::new(0)).expect("compaction");
    (descs, o.partitions_copied)
}

fn assert_same_files(a: &[Descriptor], b: &[Descriptor]) {
    assert_eq!(a.len(), b.len(), "output count");
    for (x, y) in a.iter().zip(b) {
        for c in Component::ALL {
            let read = |d: &Descriptor| std::fs::read(d.path(c)).expect("read component");
            assert!(
                read(x) == read(y),
                "{c:?} of generation {} differs",
                x.generation
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn copying_unchanged_partitions_writes_the_same_files(
        inputs in proptest::collection::vec(input(), 1..4),
        purge_bound in prop_oneof![Just(i64::MAX), 0i64..20],
        split in proptest::option::weighted(0.2, 200u64..2000),
    ) {
        same_both_ways(&inputs, purge_bound, split);
    }
}

/// `p` written again `by` microseconds later, changed by `how`: 0 as it
/// was, 1 without its first row's first cell, 2 without its first row's
/// marker, 3 with a cell more in its first row.
fn overwrite(p: &PartitionData, by: i64, how: u8) -> PartitionData {
    let mut p = p.clone();
    let bump = |d: &mut DeletionTime| d.marked_for_delete_at += by;
    p.partition_deletion.as_mut().map(bump);
    p.range_tombstones
        .iter_mut()
        .for_each(|rt| bump(&mut rt.deletion));
    let bump_row = |row: &mut Row| {
        row.liveness.iter_mut().for_each(|l| l.timestamp += by);
        row.deletion.as_mut().map(bump);
        row.complex_deletions.iter_mut().for_each(|(_, d)| bump(d));
        row.cells.iter_mut().for_each(|c| c.timestamp += by);
    };
    p.static_row.as_mut().map(bump_row);
    let rows = std::mem::take(&mut p.rows);
    for (i, mut row) in rows.into_values().enumerate() {
        bump_row(&mut row);
        match how {
            1 if i == 0 && !row.cells.is_empty() => {
                row.cells.remove(0);
            }
            2 if i == 0 => row.liveness = None,
            3 if i == 0 && row.cells.iter().all(|c| c.column.0 != 9) => row.cells.push(Cell {
                column: ColumnId(9),
                path: None,
                timestamp: by,
                value: CellValue::Live {
                    value: Bytes::from_static(b"new"),
                    ttl: None,
                },
            }),
            _ => {}
        }
        p.rows.insert(row.clustering.clone(), row);
    }
    p
}

/// Inputs where later ones overwrite some partitions of the first with
/// newer timestamps (the second case of `sstable::copy`).
fn overwritten_inputs() -> impl Strategy<Value = Vec<BTreeMap<u8, PartitionData>>> {
    (
        input(),
        proptest::collection::vec(
            proptest::collection::btree_map(0u8..16, 0u8..5, 0..10),
            1..3,
        ),
    )
        .prop_map(|(base, later)| {
            let mut all = vec![base.clone()];
            for (round, picks) in later.iter().enumerate() {
                let by = 100 * (round as i64 + 1);
                all.push(
                    picks
                        .iter()
                        .filter_map(|(n, how)| Some((*n, overwrite(base.get(n)?, by, *how))))
                        .collect(),
                );
            }
            all.retain(|m| !m.is_empty());
            all
        })
}

/// Writes the inputs, compacts them with and without copying, and checks
/// both give the same files; returns how many partitions were copied.
fn same_both_ways(
    inputs: &[BTreeMap<u8, PartitionData>],
    purge_bound: i64,
    split: Option<u64>,
) -> u64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let tables: Vec<_> = inputs
        .iter()
        .enumerate()
        .map(|(i, parts)| write_input(dir.path(), i as u64 + 1, parts))
        .collect();
    let (with, without) = (dir.path().join("copy"), dir.path().join("decode"));
    let (copied, n) = compact(&tables, &with, true, purge_bound, split);
    let (decoded, none) = compact(&tables, &without, false, purge_bound, split);
    assert_eq!(none, 0);
    assert_same_files(&copied, &decoded);
    n
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn copying_overwritten_partitions_writes_the_same_files(
        inputs in overwritten_inputs(),
        purge_bound in prop_oneof![Just(i64::MAX), 0i64..20],
    ) {
        same_both_ways(&inputs, purge_bound, None);
    }
}

/// A stress row: a marker and five 34-byte cells written at `ts`.
fn stress_partition(n: u8, ts: i64) -> PartitionData {
    let mut rows = Rows::default();
    let cells = (0..5)
        .map(|c| Cell {
            column: ColumnId(c),
            path: None,
            timestamp: ts,
            value: CellValue::Live {
                value: Bytes::from(vec![n; 34]),
                ttl: None,
            },
        })
        .collect();
    let row = Row {
        liveness: Some(LivenessInfo {
            timestamp: ts,
            ttl: None,
        }),
        cells,
        ..Row::default()
    };
    rows.insert(Bytes::new(), row);
    PartitionData {
        rows,
        ..PartitionData::default()
    }
}

/// cassandra-stress rounds overlapping by half: every partition is copied
/// (the newer round's version of an overwritten one), and reads back as the
/// newest write.
#[test]
fn overwritten_and_unshared_partitions_are_copied() {
    let a: BTreeMap<u8, PartitionData> = (0..12).map(|n| (n, stress_partition(n, 1))).collect();
    let b: BTreeMap<u8, PartitionData> = (6..18).map(|n| (n, stress_partition(n + 1, 2))).collect();
    assert_eq!(same_both_ways(&[a.clone(), b.clone()], i64::MAX, None), 18);
    let dir = tempfile::tempdir().expect("tempdir");
    let tables = vec![
        write_input(dir.path(), 1, &a),
        write_input(dir.path(), 2, &b),
    ];
    let (outs, _) = compact(&tables, &dir.path().join("out"), true, i64::MAX, None);
    let merged = SsTable::open(
        outs.into_iter().next().expect("output"),
        Arc::new(BlockCache::new(0)),
    )
    .expect("open");
    for (n, p) in a.iter().filter(|(n, _)| **n < 6).chain(&b) {
        let (t, k) = key(*n);
        assert_eq!(merged.get(t, &k).expect("read").as_ref(), Some(p));
    }
}

/// cassandra-stress rows in two inputs with disjoint keys: every partition
/// is copied, and reads back as written.
#[test]
fn partitions_one_input_holds_are_copied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let part = |range: std::ops::Range<u8>| range.map(|n| (n, stress_partition(n, 1))).collect();
    let (a, b): (BTreeMap<_, _>, BTreeMap<_, _>) = (part(0..8), part(8..16));
    let tables = vec![
        write_input(dir.path(), 1, &a),
        write_input(dir.path(), 2, &b),
    ];
    let (outs, copied) = compact(&tables, &dir.path().join("out"), true, i64::MAX, None);
    assert_eq!(copied, 16);
    let (decoded, _) = compact(&tables, &dir.path().join("decode"), false, i64::MAX, None);
    assert_same_files(&outs, &decoded);
    let merged = SsTable::open(
        outs.into_iter().next().expect("output"),
        Arc::new(BlockCache::new(0)),
    )
    .expect("open");
    for (n, p) in a.iter().chain(&b) {
        let (t, k) = key(*n);
        assert_eq!(merged.get(t, &k).expect("read").as_ref(), Some(p));
    }
}
