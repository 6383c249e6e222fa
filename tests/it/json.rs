//! JSON through a real node: SELECT JSON (one `[json]` column, Cassandra's value
//! encodings and key quoting), toJson(), INSERT JSON with DEFAULT NULL and DEFAULT UNSET,
//! and Cassandra's errors for bad JSON.

use scylla::value::CqlValue;

use crate::client::{connect, invalid, keyspace, query, run};
use crate::harness::NodeProc;

/// The single text value of each row (SELECT JSON and toJson results).
async fn texts(s: &scylla::client::session::Session, q: &str) -> Vec<String> {
    query(s, q)
        .await
        .rows
        .into_iter()
        .map(|r| match r.into_iter().next().flatten() {
            Some(CqlValue::Text(t)) => t,
            other => panic!("{q}: expected one text column, got {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn select_json_insert_json_and_errors() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    keyspace(&s, "js").await;
    run(
        &s,
        "CREATE TABLE js.t (k int PRIMARY KEY, \"Name\" text, n bigint, l list<int>, \
         m map<text, boolean>, u uuid, b blob)",
    )
    .await;
    run(
        &s,
        "INSERT INTO js.t (k, \"Name\", n, l, m, u, b) VALUES (1, 'x\"y', 9007199254740993, \
         [1, 2], {'on': true}, 4f0dd1e6-2b1b-4d8a-8a31-5d2c2b4c3f7e, 0xcafe)",
    )
    .await;

    let r = query(&s, "SELECT JSON k, \"Name\", n FROM js.t WHERE k = 1").await;
    assert_eq!(r.cols, ["[json]"]);
    // Case-sensitive names are quoted inside the key; bigints are plain numbers.
    assert_eq!(
        texts(&s, "SELECT JSON k, \"Name\", n FROM js.t WHERE k = 1").await,
        [r#"{"k": 1, "\"Name\"": "x\"y", "n": 9007199254740993}"#]
    );
    assert_eq!(
        texts(&s, "SELECT JSON l, m, u, b FROM js.t WHERE k = 1").await,
        [
            r#"{"l": [1, 2], "m": {"on": true}, "u": "4f0dd1e6-2b1b-4d8a-8a31-5d2c2b4c3f7e", "b": "0xcafe"}"#
        ]
    );
    assert_eq!(
        texts(&s, "SELECT toJson(l) FROM js.t WHERE k = 1").await,
        ["[1, 2]"]
    );

    // INSERT JSON: missing columns become null (DEFAULT NULL) or stay (DEFAULT UNSET).
    run(
        &s,
        r#"INSERT INTO js.t JSON '{"k": 2, "\"Name\"": "two", "n": 2, "l": [3]}'"#,
    )
    .await;
    run(
        &s,
        r#"INSERT INTO js.t JSON '{"k": 2, "n": 20}' DEFAULT UNSET"#,
    )
    .await;
    assert_eq!(
        texts(&s, "SELECT JSON \"Name\", n, l FROM js.t WHERE k = 2").await,
        [r#"{"\"Name\"": "two", "n": 20, "l": [3]}"#]
    );
    run(&s, r#"INSERT INTO js.t JSON '{"k": 2, "n": 21}'"#).await;
    assert_eq!(
        texts(&s, "SELECT JSON \"Name\", n, l FROM js.t WHERE k = 2").await,
        [r#"{"\"Name\"": null, "n": 21, "l": null}"#]
    );
    // Numbers may come as strings, as Cassandra accepts.
    run(&s, r#"INSERT INTO js.t JSON '{"k": "3", "n": "30"}'"#).await;
    assert_eq!(
        texts(&s, "SELECT JSON k, n FROM js.t WHERE k = 3").await,
        [r#"{"k": 3, "n": 30}"#]
    );

    let m = invalid(&s, r#"INSERT INTO js.t JSON '{"k": 4, "zzz": 1}'"#).await;
    assert_eq!(m, "JSON values map contains unrecognized column: zzz");
    let m = invalid(&s, r#"INSERT INTO js.t JSON '{"k": 4, "n": "abc"}'"#).await;
    assert!(m.starts_with("Error decoding JSON value for n"), "{m}");
    let m = invalid(&s, "INSERT INTO js.t JSON 'not json'").await;
    assert!(
        m.starts_with("Could not decode JSON string as a map"),
        "{m}"
    );
}
