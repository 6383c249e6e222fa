//! Reconciliation rules.
use super::*;
use crate::types::{ColumnId, TableId};

fn live(ts: i64, v: &'static [u8]) -> Cell {
    Cell {
        column: ColumnId(1),
        path: None,
        timestamp: ts,
        value: CellValue::Live {
            value: Bytes::from_static(v),
            ttl: None,
        },
    }
}

fn tomb(ts: i64) -> Cell {
    Cell {
        column: ColumnId(1),
        path: None,
        timestamp: ts,
        value: CellValue::Tombstone {
            local_deletion_time: 100,
        },
    }
}

fn counter(ts: i64, delta: i64) -> Cell {
    Cell {
        column: ColumnId(1),
        path: None,
        timestamp: ts,
        value: CellValue::Counter { delta },
    }
}

#[test]
fn higher_timestamp_wins() {
    assert_eq!(reconcile(live(2, b"a"), live(1, b"z")), live(2, b"a"));
    assert_eq!(reconcile(live(1, b"z"), tomb(2)), tomb(2));
}

#[test]
fn tie_tombstone_then_greater_value() {
    assert_eq!(reconcile(live(5, b"z"), tomb(5)), tomb(5));
    assert_eq!(reconcile(tomb(5), live(5, b"z")), tomb(5));
    assert_eq!(reconcile(live(5, b"a"), live(5, b"b")), live(5, b"b"));
    assert_eq!(reconcile(live(5, b"\xff"), live(5, b"b")), live(5, b"\xff"));
}

#[test]
fn counters_sum_and_tombstone_is_final() {
    assert_eq!(reconcile(counter(1, 5), counter(9, -2)), counter(9, 3));
    assert_eq!(reconcile(counter(100, 5), tomb(1)), tomb(1));
}

#[test]
fn reconcile_is_commutative_for_distinct_cells() {
    let cells = [
        live(1, b"a"),
        live(1, b"b"),
        tomb(1),
        live(2, b"a"),
        tomb(3),
    ];
    for a in &cells {
        for b in &cells {
            assert_eq!(
                reconcile(a.clone(), b.clone()),
                reconcile(b.clone(), a.clone())
            );
        }
    }
}

#[test]
fn partition_merge_unions_rows_and_keeps_max_deletion() {
    let mk = |ck: &'static [u8], c: Cell, pd: Option<i64>| {
        PartitionData::from_mutation(&Mutation {
            table: TableId::default(),
            token: 0,
            key: Bytes::new(),
            partition_deletion: pd.map(|t| DeletionTime {
                marked_for_delete_at: t,
                local_deletion_time: 0,
            }),
            rows: vec![Row {
                clustering: Bytes::from_static(ck),
                cells: vec![c],
                ..Row::default()
            }],
            ..Mutation::default()
        })
    };
    let mut a = mk(b"1", live(1, b"x"), Some(3));
    a.merge(mk(b"2", live(1, b"y"), Some(7)));
    a.merge(mk(b"1", live(2, b"w"), None));
    assert_eq!(a.rows.len(), 2);
    assert_eq!(
        a.partition_deletion.map(|d| d.marked_for_delete_at),
        Some(7)
    );
    assert_eq!(
        a.rows.get(&b"1"[..]).expect("row 1").cells,
        vec![live(2, b"w")]
    );
}

#[test]
fn normalize_sorts_and_folds_duplicates() {
    let mut c2 = live(1, b"x");
    c2.column = ColumnId(0);
    let row = normalize_row(Row {
        cells: vec![live(1, b"a"), c2.clone(), live(3, b"b")],
        ..Row::default()
    });
    assert_eq!(row.cells, vec![c2, live(3, b"b")]);
}
