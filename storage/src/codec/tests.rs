//! Round-trip and robustness tests of the data-model codec.
use super::*;
use crate::types::{ClusteringBound, ColumnId};
use proptest::prelude::*;

fn bytes_s() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..6).prop_map(Bytes::from)
}

fn deletion_s() -> impl Strategy<Value = DeletionTime> {
    (any::<i64>(), any::<i32>()).prop_map(|(m, l)| DeletionTime {
        marked_for_delete_at: m,
        local_deletion_time: l,
    })
}

fn ttl_s() -> impl Strategy<Value = Option<(i32, i32)>> {
    proptest::option::of((any::<i32>(), any::<i32>()))
}

fn cell_s() -> impl Strategy<Value = Cell> {
    let value = prop_oneof![
        (bytes_s(), ttl_s()).prop_map(|(value, ttl)| CellValue::Live { value, ttl }),
        any::<i32>().prop_map(|l| CellValue::Tombstone {
            local_deletion_time: l
        }),
        any::<i64>().prop_map(|delta| CellValue::Counter { delta }),
    ];
    (
        any::<u32>(),
        proptest::option::of(bytes_s()),
        any::<i64>(),
        value,
    )
        .prop_map(|(c, path, timestamp, value)| Cell {
            column: ColumnId(c),
            path,
            timestamp,
            value,
        })
}

pub(crate) fn row_s() -> impl Strategy<Value = Row> {
    (
        bytes_s(),
        proptest::option::of(
            (any::<i64>(), ttl_s()).prop_map(|(timestamp, ttl)| LivenessInfo { timestamp, ttl }),
        ),
        proptest::option::of(deletion_s()),
        proptest::collection::vec((any::<u32>().prop_map(ColumnId), deletion_s()), 0..2),
        proptest::collection::vec(cell_s(), 0..4),
    )
        .prop_map(
            |(clustering, liveness, deletion, complex_deletions, cells)| Row {
                clustering,
                liveness,
                deletion,
                complex_deletions,
                cells,
            },
        )
}

fn bound_s() -> impl Strategy<Value = ClusteringBound> {
    prop_oneof![
        Just(ClusteringBound::Bottom),
        Just(ClusteringBound::Top),
        bytes_s().prop_map(ClusteringBound::Inclusive),
        bytes_s().prop_map(ClusteringBound::Exclusive),
    ]
}

fn mutation_s() -> impl Strategy<Value = Mutation> {
    (
        any::<u128>(),
        any::<i64>(),
        bytes_s(),
        proptest::option::of(deletion_s()),
        proptest::collection::vec(
            (bound_s(), bound_s(), deletion_s()).prop_map(|(start, end, deletion)| {
                RangeTombstone {
                    start,
                    end,
                    deletion,
                }
            }),
            0..2,
        ),
        proptest::option::of(row_s()),
        proptest::collection::vec(row_s(), 0..3),
    )
        .prop_map(
            |(t, token, key, partition_deletion, range_tombstones, static_row, rows)| Mutation {
                table: TableId(uuid::Uuid::from_u128(t)),
                token,
                key,
                partition_deletion,
                range_tombstones,
                static_row,
                rows,
            },
        )
}

proptest! {
    #[test]
    fn mutation_round_trip(m in mutation_s()) {
        let mut buf = Vec::new();
        put_mutation(&mut buf, &m);
        let mut r = Reader::new(&buf);
        prop_assert_eq!(get_mutation(&mut r).expect("decodes"), m);
        prop_assert!(r.is_empty());
    }

    #[test]
    fn truncated_mutation_is_an_error(m in mutation_s(), cut in any::<prop::sample::Index>()) {
        let mut buf = Vec::new();
        put_mutation(&mut buf, &m);
        let n = cut.index(buf.len());
        prop_assert!(get_mutation(&mut Reader::new(&buf[..n])).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = get_mutation(&mut Reader::new(&bytes));
        let _ = get_partition(&mut Reader::new(&bytes));
    }
}

#[test]
fn varint_edges() {
    for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
        let mut b = Vec::new();
        b.put_var(v);
        assert_eq!(Reader::new(&b).var(), Ok(v));
    }
    assert!(Reader::new(&[0xff; 11]).var().is_err());
}

#[test]
fn huge_count_is_rejected_before_allocating() {
    let mut b = Vec::new();
    b.put_var(u64::MAX / 2);
    assert!(Reader::new(&b).count(1).is_err());
}

proptest! {
    #[test]
    fn filtered_decode_equals_decode_then_filter(m in mutation_s(), pivot in any::<u8>()) {
        let p = PartitionData::from_mutation(&m);
        let mut buf = Vec::new();
        put_partition(&mut buf, m.token, &m.key, &p);
        let keep = |c: &[u8]| c.first().is_some_and(|b| *b >= pivot);
        let (_, _, got) = get_partition_filtered(&mut Reader::new(&buf), Some(&keep)).expect("decodes");
        let mut want = p.clone();
        want.rows.retain(|c, _| keep(c));
        prop_assert_eq!(got, want);
    }
}

/// Cell timestamps spread over the whole i64 range, and rows whose cells
/// share the row marker's timestamp (what one write produces).
fn delta_row_s() -> impl Strategy<Value = Row> {
    (row_s(), any::<bool>(), any::<i64>()).prop_map(|(mut row, shared, ts)| {
        if shared {
            row.liveness = Some(crate::types::LivenessInfo {
                timestamp: ts,
                ttl: None,
            });
            for c in &mut row.cells {
                c.timestamp = ts;
            }
        }
        row
    })
}

proptest! {
    /// SSTable v3 rows (timestamp deltas) decode to what was encoded, are
    /// skipped exactly, and cost a byte per cell timestamp when the cells
    /// share the row marker's.
    #[test]
    fn timestamp_delta_rows_round_trip(row in delta_row_s(), extra in any::<u8>()) {
        let mut out = Vec::new();
        put_row_as(&mut out, &row, RowFormat::TimestampDeltas);
        out.push(extra);
        let mut r = Reader::new(&out).with_rows(RowFormat::TimestampDeltas);
        prop_assert_eq!(&get_row(&mut r).expect("decodes"), &row);
        prop_assert_eq!(r.pos(), out.len() - 1);
        let mut r = Reader::new(&out).with_rows(RowFormat::TimestampDeltas);
        r.bytes_ref().expect("clustering");
        skip_row_rest(&mut r).expect("skips");
        prop_assert_eq!(r.pos(), out.len() - 1);
        let mut plain = Vec::new();
        put_row(&mut plain, &row);
        let shared = row.liveness.is_some_and(|l| row.cells.iter().all(|c| c.timestamp == l.timestamp));
        if shared {
            prop_assert_eq!(plain.len() - (out.len() - 1), 7 * row.cells.len());
        }
        // Arbitrary truncation is an error, never a panic.
        for cut in 0..out.len() - 1 {
            let mut r = Reader::new(&out[..cut]).with_rows(RowFormat::TimestampDeltas);
            prop_assert!(get_row(&mut r).is_err());
        }
    }
}
