//! Materialized views through a real node and the scylla driver: off by default with
//! Cassandra's message, built from existing rows, kept in sync on insert / update (a
//! changed view key moves the row) / delete / TTL, readable and pageable like a table,
//! listed in system_schema.views, and Cassandra's errors for what views refuse.

use scylla::client::session::Session;

use crate::client::{connect, error, run};
use crate::harness::NodeProc;

/// Rows as (text, int) pairs, in the order the node returns them.
async fn pairs(s: &Session, q: &str) -> Vec<(String, i32)> {
    let r = s
        .query_unpaged(q, &[])
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    r.into_rows_result()
        .expect("rows")
        .rows::<(String, i32)>()
        .expect("typed rows")
        .map(|r| r.expect("row"))
        .collect()
}

const KEYSPACE: &str =
    "CREATE KEYSPACE mv WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
const BASE: &str = "CREATE TABLE mv.users (id int PRIMARY KEY, country text, name text, age int)";
const VIEW: &str = "CREATE MATERIALIZED VIEW mv.by_country AS \
     SELECT * FROM mv.users WHERE country IS NOT NULL AND id IS NOT NULL \
     PRIMARY KEY (country, id)";

#[tokio::test]
async fn views_are_off_by_default_with_cassandras_message() {
    let node = NodeProc::start();
    let s = connect(&node).await;
    run(&s, KEYSPACE).await;
    run(&s, BASE).await;
    let e = error(&s, VIEW).await;
    assert!(
        e.contains("Materialized views are disabled. Enable in cassandra.yaml to use."),
        "{e}"
    );
}

#[tokio::test]
async fn views_are_built_maintained_and_refuse_direct_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("helenus.yaml");
    std::fs::write(&conf, "materialized_views_enabled: true\n").expect("write config");
    let conf = conf.to_string_lossy().to_string();
    let mut node = NodeProc::start_with_args(&["--commitlog-sync", "batch", "--config", &conf]);
    let s = connect(&node).await;
    run(&s, KEYSPACE).await;
    run(&s, BASE).await;
    // Rows written before the view exists are in it once it is created.
    run(
        &s,
        "INSERT INTO mv.users (id, country, name, age) VALUES (1, 'fr', 'ann', 30)",
    )
    .await;
    run(
        &s,
        "INSERT INTO mv.users (id, country, name, age) VALUES (2, 'de', 'bob', 40)",
    )
    .await;
    run(
        &s,
        "INSERT INTO mv.users (id, name) VALUES (3, 'no country')",
    )
    .await;
    run(&s, VIEW).await;
    let by = |c: &str| format!("SELECT name, id FROM mv.by_country WHERE country = '{c}'");
    assert_eq!(pairs(&s, &by("fr")).await, vec![("ann".into(), 1)]);
    assert_eq!(pairs(&s, &by("de")).await, vec![("bob".into(), 2)]);

    // Writes after: an insert, an update of a non-key column, a key change.
    run(
        &s,
        "INSERT INTO mv.users (id, country, name, age) VALUES (4, 'fr', 'cid', 20)",
    )
    .await;
    assert_eq!(
        pairs(&s, &by("fr")).await,
        vec![("ann".into(), 1), ("cid".into(), 4)]
    );
    run(&s, "UPDATE mv.users SET name = 'anne' WHERE id = 1").await;
    assert_eq!(pairs(&s, &by("fr")).await[0], ("anne".into(), 1));
    run(&s, "UPDATE mv.users SET country = 'de' WHERE id = 1").await;
    assert_eq!(pairs(&s, &by("fr")).await, vec![("cid".into(), 4)]);
    assert_eq!(
        pairs(&s, &by("de")).await,
        vec![("anne".into(), 1), ("bob".into(), 2)]
    );
    // The key flips back: the row reappears whole under the old key.
    run(&s, "UPDATE mv.users SET country = 'fr' WHERE id = 1").await;
    assert_eq!(
        pairs(&s, &by("fr")).await,
        vec![("anne".into(), 1), ("cid".into(), 4)]
    );
    // A row gains its key column: it enters the view; losing it leaves.
    run(&s, "UPDATE mv.users SET country = 'it' WHERE id = 3").await;
    assert_eq!(pairs(&s, &by("it")).await, vec![("no country".into(), 3)]);
    run(&s, "DELETE country FROM mv.users WHERE id = 3").await;
    assert!(pairs(&s, &by("it")).await.is_empty());
    // A row delete.
    run(&s, "DELETE FROM mv.users WHERE id = 2").await;
    assert_eq!(pairs(&s, &by("de")).await, vec![]);
    // TTL: the view row expires with the base row.
    run(
        &s,
        "INSERT INTO mv.users (id, country, name) VALUES (5, 'es', 'eve') USING TTL 1",
    )
    .await;
    assert_eq!(pairs(&s, &by("es")).await, vec![("eve".into(), 5)]);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(pairs(&s, &by("es")).await.is_empty());
    // A batch writes the view too.
    run(
        &s,
        "BEGIN BATCH INSERT INTO mv.users (id, country, name) VALUES (6, 'pt', 'gus'); \
             INSERT INTO mv.users (id, country, name) VALUES (7, 'pt', 'hal'); APPLY BATCH",
    )
    .await;
    assert_eq!(
        pairs(&s, &by("pt")).await,
        vec![("gus".into(), 6), ("hal".into(), 7)]
    );

    // Direct writes to the view are refused; the base cannot be dropped under it.
    let e = error(
        &s,
        "INSERT INTO mv.by_country (country, id, name) VALUES ('x', 9, 'z')",
    )
    .await;
    assert!(
        e.contains("Cannot directly modify a materialized view"),
        "{e}"
    );
    let e = error(&s, "DROP TABLE mv.users").await;
    assert!(
        e.contains("Cannot drop a table when materialized views still depend on it"),
        "{e}"
    );
    // Cassandra's creation rules.
    let e = error(&s, "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.users WHERE country IS NOT NULL PRIMARY KEY (country)").await;
    assert!(e.contains("without primary key columns id"), "{e}");
    let e = error(&s, "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.users WHERE country IS NOT NULL AND name IS NOT NULL AND id IS NOT NULL PRIMARY KEY (country, name, id)").await;
    assert!(
        e.contains("Cannot include more than one non-primary key column"),
        "{e}"
    );
    let e = error(&s, "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.users WHERE id IS NOT NULL PRIMARY KEY (country, id)").await;
    assert!(e.contains("must be restricted with 'IS NOT NULL'"), "{e}");

    // system_schema.views lists it.
    let r = s
        .query_unpaged(
            "SELECT base_table_name, include_all_columns FROM system_schema.views WHERE keyspace_name = 'mv' AND view_name = 'by_country'",
            &[],
        )
        .await
        .expect("system_schema.views");
    let rows: Vec<(String, bool)> = r
        .into_rows_result()
        .expect("rows")
        .rows::<(String, bool)>()
        .expect("typed")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(rows, vec![("users".to_string(), true)]);

    // A restart keeps the view and its maintenance.
    drop(s);
    node.stop();
    node.restart();
    let s = connect(&node).await;
    assert_eq!(
        pairs(&s, &by("fr")).await,
        vec![("anne".into(), 1), ("cid".into(), 4)]
    );
    run(&s, "UPDATE mv.users SET country = 'pt' WHERE id = 4").await;
    assert_eq!(pairs(&s, &by("fr")).await, vec![("anne".into(), 1)]);
    assert_eq!(pairs(&s, &by("pt")).await.len(), 3);

    // TRUNCATE empties the view with its base; DROP VIEW then DROP TABLE work.
    run(&s, "TRUNCATE mv.users").await;
    assert!(pairs(&s, &by("pt")).await.is_empty());
    run(&s, "DROP MATERIALIZED VIEW mv.by_country").await;
    run(&s, "DROP TABLE mv.users").await;
}

/// `system_schema.views.where_clause` of view `mv.<view>`.
async fn where_clause(s: &Session, view: &str) -> String {
    let q = format!(
        "SELECT where_clause FROM system_schema.views WHERE keyspace_name = 'mv' AND view_name = '{view}'"
    );
    let r = s.query_unpaged(q, &[]).await.expect("system_schema.views");
    let (w,): (String,) = r
        .into_rows_result()
        .expect("rows")
        .first_row()
        .expect("row");
    w
}

/// A node with materialized views enabled (and its config directory, kept alive).
fn views_node() -> (NodeProc, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("helenus.yaml");
    std::fs::write(&conf, "materialized_views_enabled: true\n").expect("write config");
    let conf = conf.to_string_lossy().to_string();
    (NodeProc::start_with_args(&["--config", &conf]), dir)
}

/// WHERE restrictions on base primary key columns (Cassandra allows nothing else but
/// IS NOT NULL): only the base rows that pass have view rows, on build and on writes;
/// the clause is in system_schema.views as Cassandra writes it. ALTER TABLE ADD
/// reaches the views that select `*`; DROP of a base column is refused.
#[tokio::test]
async fn views_where_restrictions_and_alter_table() {
    let (node, _dir) = views_node();
    let s = connect(&node).await;
    run(&s, KEYSPACE).await;
    run(
        &s,
        "CREATE TABLE mv.ev (k int, c int, v text, PRIMARY KEY (k, c))",
    )
    .await;
    for (k, c, v) in [(1, 1, "a"), (1, 2, "b"), (2, 1, "c"), (2, 3, "d")] {
        run(
            &s,
            &format!("INSERT INTO mv.ev (k, c, v) VALUES ({k}, {c}, '{v}')"),
        )
        .await;
    }
    run(
        &s,
        "CREATE MATERIALIZED VIEW mv.ones AS SELECT * FROM mv.ev \
         WHERE c = 1 AND k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (c, k)",
    )
    .await;
    run(
        &s,
        "CREATE MATERIALIZED VIEW mv.late AS SELECT k, c, v FROM mv.ev \
         WHERE k IS NOT NULL AND c > 1 AND c IS NOT NULL PRIMARY KEY (k, c)",
    )
    .await;
    let ones = "SELECT v, k FROM mv.ones WHERE c = 1";
    assert_eq!(
        pairs(&s, ones).await,
        vec![("a".into(), 1), ("c".into(), 2)]
    );
    let late = |k: i32| format!("SELECT v, c FROM mv.late WHERE k = {k}");
    assert_eq!(pairs(&s, &late(1)).await, vec![("b".into(), 2)]);
    assert_eq!(pairs(&s, &late(2)).await, vec![("d".into(), 3)]);
    // Writes: rows that pass enter, the others never do; deletes leave.
    run(&s, "INSERT INTO mv.ev (k, c, v) VALUES (3, 1, 'e')").await;
    run(&s, "INSERT INTO mv.ev (k, c, v) VALUES (3, 0, 'f')").await;
    run(&s, "UPDATE mv.ev SET v = 'bb' WHERE k = 1 AND c = 2").await;
    run(&s, "DELETE FROM mv.ev WHERE k = 1 AND c = 1").await;
    assert_eq!(
        pairs(&s, ones).await,
        vec![("c".into(), 2), ("e".into(), 3)]
    );
    assert_eq!(pairs(&s, &late(1)).await, vec![("bb".into(), 2)]);
    assert!(pairs(&s, &late(3)).await.is_empty());
    assert_eq!(
        where_clause(&s, "ones").await,
        "c = 1 AND k IS NOT NULL AND c IS NOT NULL"
    );

    // Cassandra's refusals.
    for (q, want) in [
        (
            "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.ev WHERE v = 'a' AND k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (c, k)",
            "Non-primary key columns can only be restricted with 'IS NOT NULL' (got: v restricted illegally)",
        ),
        (
            "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.ev WHERE token(k) > 0 AND k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (c, k)",
            "Cannot use token relation when defining a materialized view",
        ),
        (
            "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.ev WHERE c = 1 AND c = 2 AND k IS NOT NULL PRIMARY KEY (c, k)",
            "c cannot be restricted by more than one relation if it includes an Equal",
        ),
        (
            "CREATE MATERIALIZED VIEW mv.bad AS SELECT * FROM mv.ev WHERE c = 1 AND k IS NOT NULL AND v IS NOT NULL PRIMARY KEY (v, c, k)",
            "",
        ),
    ] {
        if want.is_empty() {
            // A regular column in the key needs IS NOT NULL, which it has: allowed.
            run(&s, q).await;
            continue;
        }
        let e = error(&s, q).await;
        assert!(e.contains(want), "{q}: {e}");
    }
    let e = error(
        &s,
        "CREATE MATERIALIZED VIEW mv.bad2 AS SELECT * FROM mv.ev WHERE c = ? AND k IS NOT NULL PRIMARY KEY (c, k)",
    )
    .await;
    assert!(
        e.contains("Bind variables are not allowed in CREATE MATERIALIZED VIEW statements"),
        "{e}"
    );

    // ALTER TABLE ADD: `SELECT *` views get the column, others do not.
    run(&s, "ALTER TABLE mv.ev ADD w int").await;
    run(&s, "INSERT INTO mv.ev (k, c, v, w) VALUES (4, 1, 'g', 40)").await;
    let r = s
        .query_unpaged("SELECT w FROM mv.ones WHERE c = 1 AND k = 4", &[])
        .await
        .expect("select w")
        .into_rows_result()
        .expect("rows");
    let (w,): (i32,) = r.first_row().expect("row");
    assert_eq!(w, 40);
    let e = error(&s, "SELECT w FROM mv.late WHERE k = 4").await;
    assert!(e.contains("Undefined column name w"), "{e}");
    let e = error(&s, "ALTER TABLE mv.ev DROP w").await;
    assert!(
        e.contains("Cannot drop column w on base table ev with materialized views"),
        "{e}"
    );
    // RENAME of a base key column renames it in the views, WHERE clause included.
    run(&s, "ALTER TABLE mv.ev RENAME c TO cc").await;
    run(&s, "INSERT INTO mv.ev (k, cc, v) VALUES (5, 1, 'h')").await;
    run(&s, "INSERT INTO mv.ev (k, cc, v) VALUES (5, 2, 'i')").await;
    assert_eq!(
        pairs(&s, "SELECT v, k FROM mv.ones WHERE cc = 1 AND k = 5").await,
        vec![("h".into(), 5)]
    );
    assert_eq!(
        pairs(&s, &late(5).replace(", c ", ", cc ")).await,
        vec![("i".into(), 2)]
    );
    assert_eq!(
        where_clause(&s, "ones").await,
        "cc = 1 AND k IS NOT NULL AND cc IS NOT NULL"
    );
}
