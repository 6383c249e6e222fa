//! TTL, WRITETIME and USING TIMESTAMP through a real node: per-write and table-default
//! TTLs, TTL() / WRITETIME() selectors, expiry of cells and of rows (with and without a
//! row marker), Cassandra's tie rules for equal timestamps, and its TTL limits.

use std::time::Duration;

use crate::client::{connect, invalid, keyspace, run, table};
use crate::harness::NodeProc;

fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
    r.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn ttl_expiry_and_selectors() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "tl").await;
    run(&s, "CREATE TABLE tl.t (k int PRIMARY KEY, a text, b text)").await;
    run(
        &s,
        "CREATE TABLE tl.d (k int PRIMARY KEY, v text) WITH default_time_to_live = 1000",
    )
    .await;

    run(
        &s,
        "INSERT INTO tl.t (k, a, b) VALUES (1, 'x', 'y') USING TTL 2 AND TIMESTAMP 1000",
    )
    .await;
    run(
        &s,
        "INSERT INTO tl.t (k, a) VALUES (2, 'keep') USING TIMESTAMP 2000",
    )
    .await;
    // UPDATE writes no row marker: once its cells expire the row is gone.
    run(&s, "UPDATE tl.t USING TTL 2 SET b = 'z' WHERE k = 2").await;
    run(&s, "UPDATE tl.t USING TTL 2 SET a = 'gone' WHERE k = 3").await;

    let r = table(
        &s,
        "SELECT TTL(a), WRITETIME(a), WRITETIME(b) FROM tl.t WHERE k = 1",
    )
    .await;
    let ttl: i64 = r[0][0].parse().expect("ttl is a number");
    assert!((1..=2).contains(&ttl), "TTL(a) = {ttl}");
    assert_eq!(r[0][1..], ["1000", "1000"]);
    assert_eq!(
        table(&s, "SELECT TTL(a), WRITETIME(a) FROM tl.t WHERE k = 2").await,
        rows(&[&["null", "2000"]])
    );

    // A table default applies to writes without USING TTL; USING TTL 0 means none.
    run(&s, "INSERT INTO tl.d (k, v) VALUES (1, 'default')").await;
    run(
        &s,
        "INSERT INTO tl.d (k, v) VALUES (2, 'forever') USING TTL 0",
    )
    .await;
    let mut r = table(&s, "SELECT k, TTL(v) FROM tl.d WHERE k IN (1, 2)").await;
    r.sort();
    let d: i64 = r[0][1].parse().expect("default ttl");
    assert!(
        (990..=1000).contains(&d),
        "TTL with default_time_to_live 1000: {d}"
    );
    assert_eq!(r[1], ["2", "null"]);

    tokio::time::sleep(Duration::from_millis(3200)).await;
    // Row 1 had a row marker with the same TTL: all of it expired. Row 2 keeps the
    // column written without TTL; row 3 existed only through expiring cells.
    assert_eq!(
        table(&s, "SELECT k, a, b FROM tl.t").await,
        rows(&[&["2", "'keep'", "null"]])
    );
}

#[tokio::test]
async fn timestamps_ties_and_ttl_limits() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ts").await;
    run(&s, "CREATE TABLE ts.t (k int PRIMARY KEY, v text)").await;

    // A write with an older timestamp loses, whatever the order it arrives in.
    run(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (1, 'new') USING TIMESTAMP 200",
    )
    .await;
    run(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (1, 'old') USING TIMESTAMP 100",
    )
    .await;
    assert_eq!(
        table(&s, "SELECT v FROM ts.t WHERE k = 1").await,
        rows(&[&["'new'"]])
    );
    // Equal timestamps: the greater value wins (Cassandra's tie rule), in any order.
    run(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (1, 'b') USING TIMESTAMP 300",
    )
    .await;
    run(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (1, 'a') USING TIMESTAMP 300",
    )
    .await;
    assert_eq!(
        table(&s, "SELECT v FROM ts.t WHERE k = 1").await,
        rows(&[&["'b'"]])
    );
    // A deletion at an equal timestamp wins over the write.
    run(&s, "DELETE FROM ts.t USING TIMESTAMP 300 WHERE k = 1").await;
    assert!(table(&s, "SELECT v FROM ts.t WHERE k = 1").await.is_empty());
    // A later write shows through the older deletion.
    run(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (1, 'back') USING TIMESTAMP 301",
    )
    .await;
    assert_eq!(
        table(&s, "SELECT v FROM ts.t WHERE k = 1").await,
        rows(&[&["'back'"]])
    );

    let m = invalid(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (2, 'x') USING TTL 630720001",
    )
    .await;
    assert_eq!(
        m,
        "ttl is too large. requested (630720001) maximum (630720000)"
    );
    let m = invalid(&s, "INSERT INTO ts.t (k, v) VALUES (2, 'x') USING TTL -5").await;
    assert_eq!(m, "A TTL must be greater or equal to 0, but was -5");
    // The largest TTL is accepted.
    run(
        &s,
        "INSERT INTO ts.t (k, v) VALUES (3, 'x') USING TTL 630720000",
    )
    .await;
    assert_eq!(
        table(&s, "SELECT v FROM ts.t WHERE k = 3").await,
        rows(&[&["'x'"]])
    );
}

/// 5.0's WRITETIME / MAXWRITETIME / TTL of what an element, slice or field selection
/// picks (WritetimeOrTTLTest's cases): a non-frozen set, map or UDT has a time per
/// element, a frozen one shares the column's; a slice gives a list; nothing selected
/// gives null; lists refuse element and slice selection.
#[tokio::test]
async fn writetime_and_ttl_of_elements_slices_and_fields() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "we").await;
    run(&s, "CREATE TYPE we.pt (x int, y int)").await;
    run(
        &s,
        "CREATE TABLE we.t (k int PRIMARY KEY, s set<int>, fs frozen<set<int>>, m map<text, int>, l list<int>, u pt, fu frozen<pt>)",
    )
    .await;
    run(
        &s,
        "INSERT INTO we.t (k, s, fs, m, l, u, fu) VALUES (1, {1}, {1, 2}, {'a': 1}, [1], {x: 1}, {x: 1}) USING TIMESTAMP 1",
    )
    .await;
    run(
        &s,
        "UPDATE we.t USING TIMESTAMP 2 AND TTL 2000 SET s = s + {2}, m['b'] = 2, u.y = 3 WHERE k = 1",
    )
    .await;
    let r = crate::client::query(
        &s,
        "SELECT writetime(s[1]), writetime(s[2]), writetime(s[3]), writetime(s[1..2]), \
         maxwritetime(s[..2]), writetime(s[3..]), writetime(fs[2]), writetime(fs[7]), \
         writetime(fs[1..]), writetime(m['b']), writetime(m['a'..'z']), writetime(u.x), \
         writetime(u.y), writetime(fu.x), writetime(fu.y) FROM we.t WHERE k = 1",
    )
    .await;
    assert_eq!(r.cols[0], "writetime(s[1])");
    assert_eq!(r.cols[3], "writetime(s[1..2])");
    assert_eq!(r.cols[9], "writetime(m['b'])");
    assert_eq!(r.cols[11], "writetime(u.x)");
    let got: Vec<String> = r.rows[0].iter().map(crate::client::render).collect();
    assert_eq!(
        got,
        [
            "1", "2", "null", "[1, 2]", "2", "null", "1", "null", "1", "2", "[1, 2]", "1", "2",
            "1", "null"
        ]
    );
    // TTL: per element; an element without TTL is null, the slice lists both.
    let r = crate::client::query(
        &s,
        "SELECT ttl(s[1]), ttl(s[2]), ttl(m['b']), ttl(u.y), ttl(fu.x) FROM we.t WHERE k = 1",
    )
    .await;
    let ttl = |v: &Option<scylla::value::CqlValue>| match v {
        Some(scylla::value::CqlValue::Int(t)) => Some(*t),
        None => None,
        other => panic!("ttl {other:?}"),
    };
    let ttls: Vec<Option<i32>> = r.rows[0].iter().map(ttl).collect();
    assert_eq!(ttls[0], None);
    assert_eq!(ttls[4], None);
    for t in &ttls[1..4] {
        assert!(t.is_some_and(|t| t > 1900 && t <= 2000), "{ttls:?}");
    }
    // Lists: Cassandra refuses element and slice selection.
    for (q, m) in [
        (
            "SELECT writetime(l[0]) FROM we.t",
            "Element selection is only allowed on sets and maps, but l is a list",
        ),
        (
            "SELECT ttl(l[0..1]) FROM we.t",
            "Slice selection is only allowed on sets and maps, but l is a list",
        ),
        (
            "SELECT l[0] FROM we.t",
            "Element selection is only allowed on sets and maps, but l is a list",
        ),
        (
            "SELECT writetime(k) FROM we.t",
            "Cannot use selection function writetime on PRIMARY KEY part k",
        ),
    ] {
        assert_eq!(invalid(&s, q).await, m, "{q}");
    }
}
