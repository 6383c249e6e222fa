//! User-defined types through a real node: frozen and non-frozen UDT columns, field
//! updates and deletions, field selection, UDTs nested in collections and tuples,
//! ALTER TYPE ADD / RENAME seen by old rows, and Cassandra's errors.

use crate::client::{connect, error, invalid, keyspace, run, table};
use crate::harness::NodeProc;

fn row(cells: &[&str]) -> Vec<Vec<String>> {
    vec![cells.iter().map(|c| c.to_string()).collect()]
}

#[tokio::test]
async fn udt_fields_nesting_and_alter_type() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ud").await;
    run(&s, "CREATE TYPE ud.addr (street text, zip int)").await;
    run(&s, "CREATE TYPE ud.person (name text, home frozen<addr>)").await;
    run(
        &s,
        "CREATE TABLE ud.t (k int PRIMARY KEY, a addr, fa frozen<addr>, p frozen<person>, \
         many list<frozen<addr>>, tup tuple<int, frozen<addr>>)",
    )
    .await;
    run(
        &s,
        "INSERT INTO ud.t (k, a, fa, p, many, tup) VALUES (1, {street: 'Main', zip: 1}, \
         {street: 'Frozen', zip: 2}, {name: 'Ann', home: {street: 'Elm', zip: 3}}, \
         [{street: 'L1', zip: 4}, {zip: 5}], (6, {street: 'T', zip: 7}))",
    )
    .await;
    assert_eq!(
        table(&s, "SELECT a, fa, p, many, tup FROM ud.t WHERE k = 1").await,
        row(&[
            "{street: 'Main', zip: 1}",
            "{street: 'Frozen', zip: 2}",
            "{name: 'Ann', home: {street: 'Elm', zip: 3}}",
            "[{street: 'L1', zip: 4}, {street: null, zip: 5}]",
            "(6, {street: 'T', zip: 7})"
        ])
    );

    // A non-frozen UDT updates and deletes field by field.
    run(&s, "UPDATE ud.t SET a.zip = 10 WHERE k = 1").await;
    run(&s, "DELETE a.street FROM ud.t WHERE k = 1").await;
    assert_eq!(
        table(
            &s,
            "SELECT a, a.zip, a.street, p.home FROM ud.t WHERE k = 1"
        )
        .await,
        row(&[
            "{street: null, zip: 10}",
            "10",
            "null",
            "{street: 'Elm', zip: 3}"
        ])
    );

    // ALTER TYPE: a new field reads as null in old rows, a renamed field keeps its data.
    run(&s, "ALTER TYPE ud.addr ADD city text").await;
    run(&s, "ALTER TYPE ud.addr RENAME zip TO postcode").await;
    assert_eq!(
        table(&s, "SELECT a, fa FROM ud.t WHERE k = 1").await,
        row(&[
            "{street: null, postcode: 10, city: null}",
            "{street: 'Frozen', postcode: 2, city: null}"
        ])
    );
    run(&s, "UPDATE ud.t SET a.city = 'Oslo' WHERE k = 1").await;
    assert_eq!(
        table(&s, "SELECT a.city, a.postcode FROM ud.t WHERE k = 1").await,
        row(&["'Oslo'", "10"])
    );
}

#[tokio::test]
async fn udt_errors_are_cassandras() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "ue").await;
    run(&s, "CREATE TYPE ue.addr (street text, zip int)").await;
    run(
        &s,
        "CREATE TABLE ue.t (k int PRIMARY KEY, a addr, fa frozen<addr>, v int)",
    )
    .await;

    let m = invalid(&s, "UPDATE ue.t SET a.nope = 1 WHERE k = 1").await;
    assert_eq!(m, "UDT column a does not have a field named nope");
    let m = invalid(&s, "UPDATE ue.t SET fa.zip = 1 WHERE k = 1").await;
    assert!(m.contains("for frozen UDT column fa"), "{m}");
    let m = invalid(&s, "UPDATE ue.t SET v.zip = 1 WHERE k = 1").await;
    assert!(m.contains("for non-UDT column v"), "{m}");
    let m = invalid(&s, "DELETE fa.zip FROM ue.t WHERE k = 1").await;
    assert_eq!(m, "Frozen UDT column fa does not support field deletions");
    let m = invalid(
        &s,
        "INSERT INTO ue.t (k, a) VALUES (1, {street: 'x', nope: 1})",
    )
    .await;
    assert!(m.contains("nope"), "{m}");
    // A type in use cannot be dropped; an unknown type is an error naming it.
    let m = error(&s, "DROP TYPE ue.addr").await;
    assert!(m.contains("addr"), "{m}");
    let m = invalid(&s, "CREATE TABLE ue.u (k int PRIMARY KEY, x ue.missing)").await;
    assert!(m.contains("missing"), "{m}");
}
