//! DESCRIBE output recreates the objects: parse CQL, run it as DDL, DESCRIBE, drop,
//! run the DESCRIBE output, DESCRIBE again and compare. Also DDL against a real
//! storage engine.

use cql::parser::{parse_statement, parse_statements, Statement};
use cql::types::CqlValue;

use super::tests::identity;
use super::{describe, VirtualTable};
use crate::schema::{translate, NoStorage, SchemaError, SchemaManager};

fn exec(m: &SchemaManager, ks: Option<&str>, cql: &str) -> Result<(), SchemaError> {
    for st in parse_statements(cql).map_err(|e| SchemaError::Syntax(e.to_string()))? {
        m.apply_ddl(&translate::to_ddl(&st)?, ks, &NoStorage)?;
    }
    Ok(())
}

fn desc(m: &SchemaManager, ks: Option<&str>, cql: &str) -> Vec<String> {
    let Ok(Statement::Describe(d)) = parse_statement(cql) else {
        panic!("not a DESCRIBE: {cql}")
    };
    let vt: VirtualTable = describe(&d, &m.snapshot(), ks, &identity()).expect("describe");
    vt.rows
        .iter()
        .filter_map(|r| match r.get(3) {
            Some(Some(CqlValue::Text(s))) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

const SCRIPT: &str = "
CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = false;
CREATE TYPE ks.\"Point\" (x double, y double);
CREATE TYPE ks.shape (name text, pts frozen<list<frozen<\"Point\">>>);
CREATE TABLE ks.\"Events\" (
    tenant text, day date, ts timeuuid, seq int,
    owner text STATIC, tags set<text>, attrs map<text, frozen<list<int>>>,
    s frozen<shape>, p frozen<tuple<int, text>>, v vector<float, 3>, \"Mixed\" bigint, \"from\" blob,
    PRIMARY KEY ((tenant, day), ts, seq)
) WITH CLUSTERING ORDER BY (ts DESC, seq ASC)
  AND comment = 'quote '' here' AND gc_grace_seconds = 3600 AND default_time_to_live = 86400
  AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'HOURS', 'compaction_window_size': 6}
  AND compression = {'class': 'LZ4Compressor', 'chunk_length_in_kb': 64}
  AND caching = {'keys': 'NONE', 'rows_per_partition': '10'}
  AND speculative_retry = '95PERCENTILE' AND bloom_filter_fp_chance = 0.1 AND read_repair = 'NONE';
CREATE TABLE ks.counters (k int PRIMARY KEY, hits counter, misses counter);
CREATE INDEX ON ks.\"Events\" (owner);
CREATE INDEX tag_idx ON ks.\"Events\" (values(tags));
CREATE INDEX attr_keys ON ks.\"Events\" (keys(attrs));
CREATE CUSTOM INDEX mixed_sai ON ks.\"Events\" (\"Mixed\") USING 'StorageAttachedIndex';
";

#[test]
fn describe_output_recreates_the_keyspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    exec(&m, None, SCRIPT).expect("script runs");
    let before = desc(&m, None, "DESCRIBE KEYSPACE ks");
    assert_eq!(
        before.len(),
        1 + 2 + 2 + 4,
        "keyspace, 2 types, 2 tables, 4 indexes: {before:#?}"
    );
    assert!(before[0].starts_with("CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': '3'}  AND durable_writes = false;"));

    exec(&m, None, "DROP KEYSPACE ks").expect("drop");
    exec(&m, None, &before.join("\n")).expect("DESCRIBE output runs");
    let after = desc(&m, None, "DESCRIBE KEYSPACE ks");
    assert_eq!(before, after);
}

#[test]
fn describe_table_round_trip_and_alter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    exec(&m, None, SCRIPT).expect("script runs");
    exec(&m, Some("ks"), "ALTER TABLE \"Events\" ADD extra list<text>; ALTER TABLE \"Events\" DROP \"from\"; ALTER TABLE \"Events\" WITH comment = 'changed'").expect("alter");
    let before = desc(&m, Some("ks"), "DESCRIBE TABLE \"Events\"");
    assert!(before[0].contains("    extra list<text>,\n"));
    assert!(!before[0].contains("\"from\""));
    assert!(before[0].contains("AND comment = 'changed'"));
    for idx in ["\"Events_owner_idx\"", "tag_idx", "attr_keys", "mixed_sai"] {
        exec(&m, Some("ks"), &format!("DROP INDEX {idx}")).expect("drop index");
    }
    exec(&m, Some("ks"), "DROP TABLE \"Events\"").expect("drop");
    exec(&m, Some("ks"), &before.join("\n")).expect("recreate");
    assert_eq!(desc(&m, Some("ks"), "DESC \"Events\""), before);
}

#[test]
fn parsed_errors_are_cassandras() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    exec(&m, None, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").expect("ks");
    let e = exec(
        &m,
        Some("ks"),
        "CREATE TABLE t (k int PRIMARY KEY, v int) WITH foo = 1",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "Unknown property 'foo'");
    let e = exec(&m, Some("ks"), "CREATE TABLE t (k int, v int)").unwrap_err();
    assert_eq!(
        e.to_string(),
        "No PRIMARY KEY specifed for table 't' (exactly one required)"
    );
    let e = exec(
        &m,
        Some("ks"),
        "CREATE TABLE t (k int PRIMARY KEY, v int, PRIMARY KEY (k))",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Multiple PRIMARY KEY specified for table 't' (exactly one required)"
    );
    let e = exec(
        &m,
        Some("ks"),
        "CREATE TABLE t (k int PRIMARY KEY) WITH COMPACT STORAGE",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Compact tables are not allowed in Cassandra starting with 4.0 version."
    );
    let e = exec(
        &m,
        Some("ks"),
        "CREATE FUNCTION f (a int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'",
    )
    .unwrap_err();
    assert!(e
        .to_string()
        .starts_with("User-defined functions are disabled"));
    let e = exec(&m, None, "CREATE TABLE nope.t (k int PRIMARY KEY)").unwrap_err();
    assert_eq!(e.to_string(), "Keyspace 'nope' doesn't exist");
}

#[test]
fn ddl_creates_and_drops_storage_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    let engine =
        storage::Engine::open(storage::Config::for_tests(&dir.path().join("storage")), &[])
            .expect("engine");
    let run = |cql: &str| m.execute_ddl(&parse_statement(cql).expect("parse"), Some("ks"), &engine);
    run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").expect("ks");
    let change = run("CREATE TABLE t (k int PRIMARY KEY, v text) WITH compaction = {'class': 'LeveledCompactionStrategy'}")
        .expect("table")
        .expect("a change");
    assert_eq!(change.change, cql::response::SchemaChangeType::Created);
    let id = m.snapshot().table("ks", "t").map(|t| t.id).expect("id");
    assert!(
        engine.table_stats(storage::TableId(id)).is_ok(),
        "the engine knows the table"
    );
    let e =
        run("ALTER TABLE t WITH compaction = {'class': 'UnifiedCompactionStrategy'}").unwrap_err();
    assert!(matches!(e, SchemaError::Config(_)), "{e}");
    let tables = m.storage_tables();
    assert_eq!(tables.len(), 1);
    run("DROP TABLE t").expect("drop");
    assert!(
        engine.table_stats(storage::TableId(id)).is_err(),
        "the engine forgot the table"
    );
    engine.shutdown().ok();
}

#[test]
fn materialized_views_are_stored_listed_described_and_survive_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    exec(&m, None, SCRIPT).expect("script runs");
    let mv = "CREATE MATERIALIZED VIEW ks.by_owner AS SELECT tenant, day, ts, seq, \"Mixed\", tags FROM ks.\"Events\" \
              WHERE \"Mixed\" IS NOT NULL AND tenant IS NOT NULL AND day IS NOT NULL AND ts IS NOT NULL AND seq IS NOT NULL \
              PRIMARY KEY (\"Mixed\", tenant, day, ts, seq)";
    let e = exec(&m, None, mv).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Materialized views are disabled. Enable in cassandra.yaml to use."
    );
    m.set_materialized_views_enabled(true);
    let e = exec(&m, None, "CREATE MATERIALIZED VIEW ks.bad AS SELECT tenant, day, ts, seq FROM ks.\"Events\" WHERE tenant IS NOT NULL PRIMARY KEY ((tenant, day), ts, seq)").unwrap_err();
    assert!(
        e.to_string()
            .contains("must be restricted with 'IS NOT NULL'"),
        "{e}"
    );
    let e = exec(&m, None, "CREATE MATERIALIZED VIEW ks.bad AS SELECT tenant, day, ts, seq FROM ks.\"Events\" WHERE tenant IS NOT NULL AND day IS NOT NULL AND ts IS NOT NULL PRIMARY KEY ((tenant, day), ts)").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Cannot create materialized view bad without primary key columns seq"),
        "{e}"
    );
    exec(&m, None, mv).expect("view");

    let views =
        super::virtual_rows("system_schema", "views", &m.snapshot(), &identity()).expect("views");
    assert_eq!(views.rows.len(), 1);
    let where_i = views.column_index("where_clause").expect("column");
    assert_eq!(
        views.rows[0][where_i],
        Some(CqlValue::Text("\"Mixed\" IS NOT NULL AND tenant IS NOT NULL AND day IS NOT NULL AND ts IS NOT NULL AND seq IS NOT NULL".into()))
    );
    let e = exec(&m, None, "DROP TABLE ks.\"Events\"").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Cannot drop a table when materialized views still depend on it"),
        "{e}"
    );

    let before = desc(&m, None, "DESCRIBE KEYSPACE ks");
    let view_stmt = before
        .iter()
        .find(|s| s.starts_with("CREATE MATERIALIZED VIEW"))
        .expect("view described");
    assert!(view_stmt.starts_with(
        "CREATE MATERIALIZED VIEW ks.by_owner AS\n    SELECT \"Mixed\", tenant, day, ts, seq, tags\n    FROM ks.\"Events\"\n    WHERE \"Mixed\" IS NOT NULL AND tenant IS NOT NULL AND day IS NOT NULL AND ts IS NOT NULL AND seq IS NOT NULL\n    PRIMARY KEY (\"Mixed\", tenant, day, ts, seq)\n WITH CLUSTERING ORDER BY (tenant ASC, day ASC, ts ASC, seq ASC)\n    AND additional_write_policy = '99p'"
    ), "{view_stmt}");
    assert!(!view_stmt.contains("default_time_to_live"));

    exec(
        &m,
        None,
        "ALTER MATERIALIZED VIEW ks.by_owner WITH comment = 'by mixed'",
    )
    .expect("alter view");
    let e = exec(
        &m,
        None,
        "ALTER MATERIALIZED VIEW ks.by_owner WITH default_time_to_live = 5",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Cannot set default_time_to_live for a materialized view"),
        "{e}"
    );
    let before = desc(&m, None, "DESCRIBE KEYSPACE ks");
    assert!(before
        .iter()
        .any(|s| s.contains("AND comment = 'by mixed'")));

    // Restart: same schema, same DESCRIBE, same version.
    let version = m.version();
    drop(m);
    let m = SchemaManager::open(dir.path()).expect("reopen");
    m.set_materialized_views_enabled(true);
    assert_eq!(m.version(), version);
    assert_eq!(desc(&m, None, "DESCRIBE KEYSPACE ks"), before);

    // And the DESCRIBE output recreates it all, view included.
    exec(
        &m,
        None,
        "DROP MATERIALIZED VIEW ks.by_owner; DROP KEYSPACE ks",
    )
    .expect("drop");
    exec(&m, None, &before.join("\n")).expect("recreate");
    assert_eq!(desc(&m, None, "DESCRIBE KEYSPACE ks"), before);
}

/// A schema file written by format 1 still loads, with its version, tables, views,
/// types, indexes, dropped columns and altered system keyspace.
#[test]
fn format_1_fixture_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema_dir = dir.path().join("schema");
    std::fs::create_dir_all(&schema_dir).expect("mkdir");
    std::fs::write(
        schema_dir.join("schema.json"),
        include_str!("../schema/fixtures/schema-format-1.json"),
    )
    .expect("write fixture");
    let m = SchemaManager::open(dir.path()).expect("fixture loads");
    m.set_materialized_views_enabled(true);
    assert_eq!(
        m.version().to_string(),
        "2b469d30-8da5-401b-8020-ab562d3ef3fd"
    );
    let s = m.snapshot();
    let ks = s.keyspace("ks").expect("ks");
    assert_eq!(ks.tables.len(), 2);
    assert_eq!(ks.views.len(), 1);
    assert_eq!(ks.types.len(), 2);
    assert_eq!(ks.tables.get("Events").map(|t| t.indexes.len()), Some(4));
    let counters = ks.tables.get("counters").expect("counters");
    assert_eq!(
        counters.dropped.first().map(|d| d.dropped_time),
        Some(1_700_000_000_000_000)
    );
    assert_eq!(
        s.keyspace("system_auth").map(|k| k.replication.clone()),
        Some(crate::schema::Replication::Simple {
            replication_factor: "2".into()
        })
    );
    let described = desc(&m, None, "DESCRIBE KEYSPACE ks");
    assert_eq!(described.len(), 1 + 2 + 2 + 4 + 1);
    // What it describes runs, and describes the same.
    exec(
        &m,
        None,
        "DROP MATERIALIZED VIEW ks.by_owner; DROP KEYSPACE ks",
    )
    .expect("drop");
    exec(&m, None, &described.join("\n")).expect("recreate");
    assert_eq!(desc(&m, None, "DESCRIBE KEYSPACE ks"), described);
}

#[test]
fn with_internals_keeps_the_table_id_across_recreation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    exec(&m, None, SCRIPT).expect("script runs");
    let id = m
        .snapshot()
        .table("ks", "counters")
        .map(|t| t.id)
        .expect("id");
    let with = desc(&m, None, "DESCRIBE TABLE ks.counters WITH INTERNALS");
    assert!(
        with[0].contains(&format!(
            ") WITH ID = {id}\n    AND additional_write_policy"
        )),
        "{}",
        with[0]
    );
    let e = exec(
        &m,
        None,
        "ALTER TABLE ks.counters WITH id = 5a1c395e-b41f-11e5-9f22-ba0be0483c18",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "Cannot alter table id.");
    let e = exec(&m, None, &with[0].replace("ks.counters", "ks.counters2")).unwrap_err();
    assert!(e.to_string().contains("is already used"), "{e}");
    exec(&m, None, "DROP TABLE ks.counters").expect("drop");
    exec(&m, None, &with[0]).expect("recreate with id");
    assert_eq!(m.snapshot().table("ks", "counters").map(|t| t.id), Some(id));
    assert_eq!(
        desc(&m, None, "DESCRIBE TABLE ks.counters WITH INTERNALS"),
        with
    );
}
