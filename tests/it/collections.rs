//! Collections through a real node and the scylla driver: list/set/map literals and every
//! update operation (append, prepend, remove, set by index, put, remove by key), element
//! deletion, element and slice selection, frozen and nested collections, the empty
//! collection reading as null, and Cassandra's errors for what collections refuse.

use crate::client::{connect, invalid, keyspace, run, table};
use crate::harness::NodeProc;

fn row(cells: &[&str]) -> Vec<Vec<String>> {
    vec![cells.iter().map(|c| c.to_string()).collect()]
}

#[tokio::test]
async fn collection_updates_and_selections() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "co").await;
    run(
        &s,
        "CREATE TABLE co.t (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, \
         fl frozen<list<int>>, nested map<text, frozen<list<int>>>)",
    )
    .await;
    run(
        &s,
        "INSERT INTO co.t (k, l, s, m, fl, nested) VALUES (1, [1, 2, 3], {'b', 'a'}, \
         {'x': 1, 'y': 2}, [3, 2, 1], {'n': [1, 2]})",
    )
    .await;
    // Sets and maps come back in their element order whatever the literal's order.
    assert_eq!(
        table(&s, "SELECT l, s, m, fl, nested FROM co.t WHERE k = 1").await,
        row(&[
            "[1, 2, 3]",
            "{'a', 'b'}",
            "{'x': 1, 'y': 2}",
            "[3, 2, 1]",
            "{'n': [1, 2]}"
        ])
    );

    for q in [
        "UPDATE co.t SET l = l + [4] WHERE k = 1",
        "UPDATE co.t SET l = [0] + l WHERE k = 1",
        "UPDATE co.t SET l = l - [2] WHERE k = 1",
        "UPDATE co.t SET l[1] = 10 WHERE k = 1",
        "DELETE l[0] FROM co.t WHERE k = 1",
        "UPDATE co.t SET s = s + {'c'} WHERE k = 1",
        "UPDATE co.t SET s = s - {'a'} WHERE k = 1",
        "UPDATE co.t SET m['z'] = 3 WHERE k = 1",
        "UPDATE co.t SET m = m + {'w': 0} WHERE k = 1",
        "UPDATE co.t SET m = m - {'x'} WHERE k = 1",
        "DELETE m['y'] FROM co.t WHERE k = 1",
    ] {
        run(&s, q).await;
    }
    // [1,2,3] +[4] -> [0,1,2,3,4] -[2] -> [0,1,3,4], l[1]=10 -> [0,10,3,4], del l[0].
    assert_eq!(
        table(&s, "SELECT l, s, m FROM co.t WHERE k = 1").await,
        row(&["[10, 3, 4]", "{'b', 'c'}", "{'w': 0, 'z': 3}"])
    );

    // Element and slice selection on sets and maps.
    assert_eq!(
        table(
            &s,
            "SELECT m['z'], m['nope'], s['b'], s['a'], m['a'..'w'] FROM co.t WHERE k = 1"
        )
        .await,
        row(&["3", "null", "'b'", "null", "{'w': 0}"])
    );

    // Removing every element leaves no cells: the column reads as null, not as [].
    run(&s, "UPDATE co.t SET s = s - {'b', 'c'} WHERE k = 1").await;
    run(&s, "UPDATE co.t SET l = [] WHERE k = 1").await;
    assert_eq!(
        table(&s, "SELECT l, s FROM co.t WHERE k = 1").await,
        row(&["null", "null"])
    );

    // Overwriting a non-frozen collection replaces it (no merge with the old elements).
    run(&s, "UPDATE co.t SET m = {'only': 1} WHERE k = 1").await;
    assert_eq!(
        table(&s, "SELECT m FROM co.t WHERE k = 1").await,
        row(&["{'only': 1}"])
    );
}

#[tokio::test]
async fn collection_errors_are_cassandras() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ce").await;
    run(
        &s,
        "CREATE TABLE ce.t (k int PRIMARY KEY, l list<int>, s set<int>, fl frozen<list<int>>, v int)",
    )
    .await;
    run(&s, "INSERT INTO ce.t (k, l, fl) VALUES (1, [1, 2, 3], [1])").await;

    let m = invalid(&s, "UPDATE ce.t SET l[5] = 1 WHERE k = 1").await;
    assert_eq!(m, "List index 5 out of bound, list has size 3");
    let m = invalid(&s, "UPDATE ce.t SET fl = fl + [2] WHERE k = 1").await;
    assert!(m.contains("for frozen collection column fl"), "{m}");
    let m = invalid(&s, "UPDATE ce.t SET fl[0] = 2 WHERE k = 1").await;
    assert!(m.contains("for frozen collection column fl"), "{m}");
    let m = invalid(&s, "DELETE fl[0] FROM ce.t WHERE k = 1").await;
    assert_eq!(
        m,
        "Invalid deletion operation for frozen collection column fl"
    );
    let m = invalid(&s, "DELETE v[0] FROM ce.t WHERE k = 1").await;
    assert_eq!(m, "Invalid deletion operation for non collection column v");
    let m = invalid(&s, "UPDATE ce.t SET s[0] = 1 WHERE k = 1").await;
    assert!(m.contains("for set column s"), "{m}");

    // The node still serves after the refusals, and nothing was changed by them.
    assert_eq!(
        table(&s, "SELECT l, fl, v FROM ce.t WHERE k = 1").await,
        row(&["[1, 2, 3]", "[1]", "null"])
    );
}

/// Element and slice selection with bind markers (`m[?]`, `s[?..?]`, also inside
/// `writetime(...)`): bound per execution; a null key is refused with Cassandra's
/// message, an unset slice bound is an open one.
#[tokio::test]
async fn element_and_slice_selection_with_bind_markers() {
    use scylla::value::MaybeUnset;
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "cm").await;
    run(
        &s,
        "CREATE TABLE cm.t (k int PRIMARY KEY, m map<text, int>, st set<int>)",
    )
    .await;
    run(
        &s,
        "INSERT INTO cm.t (k, m, st) VALUES (1, {'a': 1, 'b': 2, 'c': 3}, {10, 20, 30}) USING TIMESTAMP 7",
    )
    .await;
    let p = s
        .prepare("SELECT m[?], st[?], m[?..?], writetime(m[?]) FROM cm.t WHERE k = ?")
        .await
        .expect("prepare");
    let specs = p.get_current_result_set_col_specs();
    let cols: Vec<&str> = specs.get().iter().map(|c| c.name()).collect();
    assert_eq!(cols, ["m[?]", "st[?]", "m[?..?]", "writetime(m[?])"]);
    let r = s
        .execute_unpaged(
            &p,
            (
                "b",
                20i32,
                MaybeUnset::Set("b"),
                MaybeUnset::<&str>::Unset,
                "c",
                1i32,
            ),
        )
        .await
        .expect("execute")
        .into_rows_result()
        .expect("rows");
    let row: scylla::value::Row = r.first_row().expect("row");
    let got: Vec<String> = row.columns.iter().map(crate::client::render).collect();
    assert_eq!(got, ["2", "20", "{'b': 2, 'c': 3}", "7"]);
    let err = s
        .execute_unpaged(&p, (None::<&str>, 20i32, "a", "b", "c", 1i32))
        .await
        .expect_err("null key")
        .to_string();
    assert!(
        err.contains("Invalid null value for element selection on m"),
        "{err}"
    );
}
