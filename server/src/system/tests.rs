//! System table rows and DESCRIBE output, against schemas built through DDL.

use cql::types::{CqlType, CqlValue};

use super::*;
use crate::schema::ddl::{
    ColumnDecl, CreateIndex, CreateTable, IndexTargetKind, PrimaryKeyDecl, QualifiedName,
};
use crate::schema::params::{Property, PropertyValue};
use crate::schema::{DdlStatement, NoStorage, Order, RawType, SchemaManager};

pub(super) fn identity() -> NodeIdentity {
    NodeIdentity {
        cluster_name: "Test Cluster".into(),
        host_id: uuid::Uuid::from_u128(7),
        tokens: vec![-5, 42, -9_000_000_000],
        listen_address: "127.0.0.1".parse().expect("ip"),
        broadcast_address: "127.0.0.1".parse().expect("ip"),
        rpc_address: "127.0.0.1".parse().expect("ip"),
        native_port: 9042,
        storage_port: 7000,
        data_center: "datacenter1".into(),
        rack: "rack1".into(),
        release_version: "5.0.0".into(),
        partitioner: "org.apache.cassandra.dht.Murmur3Partitioner".into(),
    }
}

fn native(n: &str) -> RawType {
    RawType::Native(n.into())
}

fn col(name: &str, typ: RawType, is_static: bool) -> ColumnDecl {
    ColumnDecl {
        name: name.into(),
        typ,
        is_static,
        primary_key: false,
    }
}

fn setup() -> (tempfile::TempDir, SchemaManager) {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    let run = |s: DdlStatement| m.apply_ddl(&s, None, &NoStorage).expect("ddl");
    run(DdlStatement::CreateKeyspace {
        name: "ks".into(),
        if_not_exists: false,
        properties: vec![Property {
            name: "replication".into(),
            value: PropertyValue::Map(vec![
                ("class".into(), "SimpleStrategy".into()),
                ("replication_factor".into(), "1".into()),
            ]),
        }],
    });
    run(DdlStatement::CreateTable(CreateTable {
        table: QualifiedName::new(Some("ks"), "t"),
        if_not_exists: false,
        columns: vec![
            col("k", native("int"), false),
            col("c", native("text"), false),
            col("v", native("text"), false),
        ],
        primary_keys: vec![PrimaryKeyDecl {
            partition: vec!["k".into()],
            clustering: vec!["c".into()],
        }],
        clustering_order: vec![],
        compact_storage: false,
        properties: vec![],
    }));
    (dir, m)
}

fn rows(m: &SchemaManager, ks: &str, t: &str) -> VirtualTable {
    virtual_rows(ks, t, &m.snapshot(), &identity()).expect("virtual table")
}

fn cell<'a>(vt: &'a VirtualTable, row: usize, name: &str) -> Option<&'a CqlValue> {
    let i = vt.column_index(name)?;
    vt.rows.get(row)?.get(i)?.as_ref()
}

fn text(s: &str) -> CqlValue {
    CqlValue::Text(s.into())
}

#[test]
fn local_row_has_what_drivers_need() {
    let (_d, m) = setup();
    let vt = rows(&m, "system", "local");
    let names: Vec<&str> = vt.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"key"));
    assert_eq!(
        names.get(1),
        Some(&"bootstrapped"),
        "regular columns sorted by name"
    );
    assert_eq!(vt.rows.len(), 1);
    assert_eq!(cell(&vt, 0, "key"), Some(&text("local")));
    assert_eq!(cell(&vt, 0, "cql_version"), Some(&text("3.4.7")));
    assert_eq!(cell(&vt, 0, "native_protocol_version"), Some(&text("5")));
    assert_eq!(cell(&vt, 0, "rpc_port"), Some(&CqlValue::Int(9042)));
    assert_eq!(
        cell(&vt, 0, "schema_version"),
        Some(&CqlValue::Uuid(m.version()))
    );
    assert_eq!(
        cell(&vt, 0, "tokens"),
        Some(&CqlValue::Set(vec![
            text("-5"),
            text("-9000000000"),
            text("42")
        ]))
    );
    let tokens = vt
        .columns
        .iter()
        .find(|c| c.name == "tokens")
        .map(|c| c.typ.clone());
    assert_eq!(tokens, Some(CqlType::Set(Box::new(CqlType::Text))));
    let peers = rows(&m, "system", "peers_v2");
    assert!(peers.rows.is_empty());
    assert_eq!(
        peers.columns.get(1).map(|c| c.name.as_str()),
        Some("peer_port")
    );
    assert!(virtual_rows("system", "nope", &m.snapshot(), &identity()).is_none());
    assert!(!is_virtual("system_schema_x", "tables"));
}

#[test]
fn schema_tables_use_driver_formats() {
    let (_d, m) = setup();
    let ks = rows(&m, "system_schema", "keyspaces");
    let i = ks
        .rows
        .iter()
        .position(|r| r.first() == Some(&Some(text("ks"))))
        .expect("ks row");
    assert_eq!(
        cell(&ks, i, "replication"),
        Some(&CqlValue::Map(vec![
            (
                text("class"),
                text("org.apache.cassandra.locator.SimpleStrategy")
            ),
            (text("replication_factor"), text("1")),
        ]))
    );
    assert!(
        !ks.rows
            .iter()
            .any(|r| r.first() == Some(&Some(text("system_views")))),
        "virtual keyspaces are not listed"
    );

    let tables = rows(&m, "system_schema", "tables");
    let i = tables
        .rows
        .iter()
        .position(|r| r.get(1) == Some(&Some(text("t"))))
        .expect("t row");
    assert_eq!(
        cell(&tables, i, "flags"),
        Some(&CqlValue::Set(vec![text("compound")]))
    );
    assert_eq!(
        cell(&tables, i, "gc_grace_seconds"),
        Some(&CqlValue::Int(864000))
    );
    assert_eq!(cell(&tables, i, "cdc"), None, "cdc is null unless enabled");
    assert!(
        tables
            .rows
            .iter()
            .any(|r| r.get(1) == Some(&Some(text("local")))),
        "system tables are described too"
    );

    let cols = rows(&m, "system_schema", "columns");
    let find = |c: &str| {
        cols.rows
            .iter()
            .position(|r| r.first() == Some(&Some(text("ks"))) && r.get(2) == Some(&Some(text(c))))
            .expect("column row")
    };
    let (k, c, v) = (find("k"), find("c"), find("v"));
    assert_eq!(cell(&cols, k, "kind"), Some(&text("partition_key")));
    assert_eq!(cell(&cols, k, "clustering_order"), Some(&text("none")));
    assert_eq!(cell(&cols, c, "clustering_order"), Some(&text("asc")));
    assert_eq!(cell(&cols, c, "position"), Some(&CqlValue::Int(0)));
    assert_eq!(cell(&cols, v, "position"), Some(&CqlValue::Int(-1)));
    assert_eq!(cell(&cols, v, "type"), Some(&text("text")));

    let vcols = rows(&m, "system_virtual_schema", "tables");
    assert!(!vcols.rows.is_empty());
}

const SIMPLE: &str = "CREATE TABLE ks.t (
    k int,
    c text,
    v text,
    PRIMARY KEY (k, c)
) WITH CLUSTERING ORDER BY (c ASC)
    AND additional_write_policy = '99p'
    AND allow_auto_snapshot = true
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND memtable = 'default'
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND incremental_backups = true
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';";

fn statements(vt: &VirtualTable) -> Vec<String> {
    vt.rows
        .iter()
        .filter_map(|r| match r.get(3) {
            Some(Some(CqlValue::Text(s))) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn describe_simple_table_exactly() {
    let (_d, m) = setup();
    let t = DescribeTarget::Table(QualifiedName::new(Some("ks"), "t"));
    let out = describe_target(&t, &m.snapshot(), None, &identity()).expect("describe");
    assert_eq!(statements(&out), [SIMPLE]);
    let bare = describe_target(
        &DescribeTarget::Name(QualifiedName::new(None, "t")),
        &m.snapshot(),
        Some("ks"),
        &identity(),
    )
    .expect("describe t");
    assert_eq!(statements(&bare), [SIMPLE]);
}

#[test]
fn describe_keyspace_and_listing() {
    let (_d, m) = setup();
    let out = describe_target(
        &DescribeTarget::Keyspace {
            name: Some("ks".into()),
            only: false,
        },
        &m.snapshot(),
        None,
        &identity(),
    )
    .expect("describe ks");
    let st = statements(&out);
    assert_eq!(
        st.first().map(String::as_str),
        Some("CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;")
    );
    assert_eq!(st.get(1).map(String::as_str), Some(SIMPLE));
    let list = describe_target(&DescribeTarget::Keyspaces, &m.snapshot(), None, &identity())
        .expect("list");
    assert_eq!(list.columns.len(), 3);
    assert!(list
        .rows
        .iter()
        .any(|r| r.get(2) == Some(&Some(text("ks")))));
    let e = describe_target(
        &DescribeTarget::Table(QualifiedName::new(Some("ks"), "nope")),
        &m.snapshot(),
        None,
        &identity(),
    );
    assert!(e.is_err());
}

#[test]
fn describe_compound_desc_static_collections_and_options() {
    let (_d, m) = setup();
    let run = |s: DdlStatement| m.apply_ddl(&s, Some("ks"), &NoStorage).expect("ddl");
    run(DdlStatement::CreateType {
        name: QualifiedName::new(None, "Addr"),
        if_not_exists: false,
        fields: vec![
            ("street".into(), native("text")),
            ("zip".into(), native("int")),
        ],
    });
    let frozen = |t: RawType| RawType::Frozen(Box::new(t));
    run(DdlStatement::CreateTable(CreateTable {
        table: QualifiedName::new(None, "events"),
        if_not_exists: false,
        columns: vec![
            col("p1", native("text"), false),
            col("p2", native("int"), false),
            col("ts", native("timestamp"), false),
            col("seq", native("int"), false),
            col("owner", native("text"), true),
            col("tags", RawType::Set(Box::new(native("text"))), false),
            col(
                "attrs",
                RawType::Map(Box::new(native("text")), Box::new(native("int"))),
                false,
            ),
            col(
                "addr",
                frozen(RawType::User {
                    keyspace: None,
                    name: "Addr".into(),
                }),
                false,
            ),
            col(
                "pair",
                RawType::Tuple(vec![native("int"), native("text")]),
                false,
            ),
            col("select", native("text"), false),
        ],
        primary_keys: vec![PrimaryKeyDecl {
            partition: vec!["p1".into(), "p2".into()],
            clustering: vec!["ts".into(), "seq".into()],
        }],
        clustering_order: vec![("ts".into(), Order::Desc), ("seq".into(), Order::Asc)],
        compact_storage: false,
        properties: vec![
            Property {
                name: "comment".into(),
                value: PropertyValue::Simple("it's here".into()),
            },
            Property {
                name: "gc_grace_seconds".into(),
                value: PropertyValue::Simple("3600".into()),
            },
            Property {
                name: "compaction".into(),
                value: PropertyValue::Map(vec![(
                    "class".into(),
                    "LeveledCompactionStrategy".into(),
                )]),
            },
        ],
    }));
    run(DdlStatement::CreateIndex(CreateIndex {
        name: Some("tags_idx".into()),
        table: QualifiedName::new(None, "events"),
        if_not_exists: false,
        column: "tags".into(),
        target: IndexTargetKind::Simple,
        custom_class: None,
        options: vec![],
    }));
    let out = describe_target(
        &DescribeTarget::Table(QualifiedName::new(None, "events")),
        &m.snapshot(),
        Some("ks"),
        &identity(),
    )
    .expect("describe");
    let st = statements(&out);
    let head = "CREATE TABLE ks.events (
    p1 text,
    p2 int,
    ts timestamp,
    seq int,
    owner text static,
    addr frozen<\"Addr\">,
    attrs map<text, int>,
    pair frozen<tuple<int, text>>,
    \"select\" text,
    tags set<text>,
    PRIMARY KEY ((p1, p2), ts, seq)
) WITH CLUSTERING ORDER BY (ts DESC, seq ASC)
    AND additional_write_policy = '99p'";
    assert!(st[0].starts_with(head), "got:\n{}", st[0]);
    assert!(st[0].contains("\n    AND comment = 'it''s here'\n"));
    assert!(st[0].contains(
        "\n    AND compaction = {'class': 'org.apache.cassandra.db.compaction.LeveledCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}\n"
    ));
    assert!(st[0].contains("\n    AND gc_grace_seconds = 3600\n"));
    assert_eq!(
        st.get(1).map(String::as_str),
        Some("CREATE INDEX tags_idx ON ks.events (values(tags));")
    );
    let ty = describe_target(
        &DescribeTarget::Type(QualifiedName::new(None, "Addr")),
        &m.snapshot(),
        Some("ks"),
        &identity(),
    )
    .expect("type");
    assert_eq!(
        statements(&ty),
        ["CREATE TYPE ks.\"Addr\" (\n    street text,\n    zip int\n);"]
    );
}

#[test]
fn describe_single_key_table_inlines_primary_key() {
    let (_d, m) = setup();
    m.apply_ddl(
        &DdlStatement::CreateTable(CreateTable {
            table: QualifiedName::new(Some("ks"), "kv"),
            if_not_exists: false,
            columns: vec![
                ColumnDecl {
                    name: "k".into(),
                    typ: native("text"),
                    is_static: false,
                    primary_key: true,
                },
                col("v", native("blob"), false),
            ],
            primary_keys: vec![],
            clustering_order: vec![],
            compact_storage: false,
            properties: vec![],
        }),
        None,
        &NoStorage,
    )
    .expect("create");
    let out = describe_target(
        &DescribeTarget::Table(QualifiedName::new(Some("ks"), "kv")),
        &m.snapshot(),
        None,
        &identity(),
    )
    .expect("describe");
    let st = statements(&out);
    assert!(st[0].starts_with("CREATE TABLE ks.kv (\n    k text PRIMARY KEY,\n    v blob\n) WITH additional_write_policy = '99p'\n"));
}

#[test]
fn describe_virtual_table_is_commented_out() {
    let (_d, m) = setup();
    let out = describe_target(
        &DescribeTarget::Table(QualifiedName::new(Some("system_virtual_schema"), "tables")),
        &m.snapshot(),
        None,
        &identity(),
    )
    .expect("describe");
    assert_eq!(
        statements(&out),
        ["/*\nWarning: Table system_virtual_schema.tables is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL TABLE system_virtual_schema.tables (\n    keyspace_name text,\n    table_name text,\n    comment text,\n    PRIMARY KEY (keyspace_name, table_name)\n) WITH CLUSTERING ORDER BY (table_name ASC)\n    AND comment = '';\n*/"]
    );
}
