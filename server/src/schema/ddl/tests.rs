//! DDL semantics and error messages, on a schema manager in a temp directory.

use super::*;
use crate::schema::params::PropertyValue;
use crate::schema::{ColumnKind, SchemaManager};
use cql::types::CqlType;

fn mgr() -> (tempfile::TempDir, SchemaManager) {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = SchemaManager::open(dir.path()).expect("open");
    (dir, m)
}

fn run(
    m: &SchemaManager,
    ks: Option<&str>,
    s: DdlStatement,
) -> Result<Option<SchemaChange>, SchemaError> {
    m.apply_ddl(&s, ks, &NoStorage)
}

fn replication(class: &str, opts: &[(&str, &str)]) -> Property {
    let mut m = vec![("class".to_string(), class.to_string())];
    m.extend(opts.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Property {
        name: "replication".into(),
        value: PropertyValue::Map(m),
    }
}

fn create_ks(name: &str) -> DdlStatement {
    DdlStatement::CreateKeyspace {
        name: name.into(),
        if_not_exists: false,
        properties: vec![replication(
            "SimpleStrategy",
            &[("replication_factor", "1")],
        )],
    }
}

fn native(n: &str) -> RawType {
    RawType::Native(n.into())
}

fn col(name: &str, t: RawType) -> ColumnDecl {
    ColumnDecl {
        name: name.into(),
        typ: t,
        is_static: false,
        primary_key: false,
    }
}

fn create_table(name: &str, cols: Vec<ColumnDecl>, pk: &[&str], ck: &[&str]) -> DdlStatement {
    DdlStatement::CreateTable(CreateTable {
        table: QualifiedName::new(Some("ks"), name),
        if_not_exists: false,
        columns: cols,
        primary_keys: vec![PrimaryKeyDecl {
            partition: pk.iter().map(|s| s.to_string()).collect(),
            clustering: ck.iter().map(|s| s.to_string()).collect(),
        }],
        clustering_order: vec![],
        compact_storage: false,
        properties: vec![],
    })
}

fn setup() -> (tempfile::TempDir, SchemaManager) {
    let (d, m) = mgr();
    run(&m, None, create_ks("ks")).expect("create ks");
    run(
        &m,
        None,
        create_table(
            "t",
            vec![
                col("k", native("int")),
                col("c", native("text")),
                col("v", native("text")),
            ],
            &["k"],
            &["c"],
        ),
    )
    .expect("create t");
    (d, m)
}

fn err(r: Result<Option<SchemaChange>, SchemaError>) -> SchemaError {
    match r {
        Err(e) => e,
        Ok(c) => panic!("expected an error, got {c:?}"),
    }
}

#[test]
fn keyspace_create_duplicate_and_if_not_exists() {
    let (_d, m) = mgr();
    let c = run(&m, None, create_ks("ks")).expect("create");
    assert_eq!(c, Some(change_keyspace(SchemaChangeType::Created, "ks")));
    let e = err(run(&m, None, create_ks("ks")));
    assert!(
        matches!(&e, SchemaError::AlreadyExists { keyspace, table, .. } if keyspace == "ks" && table.is_empty())
    );
    assert_eq!(e.to_string(), "Cannot add existing keyspace \"ks\"");
    let again = DdlStatement::CreateKeyspace {
        name: "ks".into(),
        if_not_exists: true,
        properties: vec![replication(
            "SimpleStrategy",
            &[("replication_factor", "1")],
        )],
    };
    assert_eq!(run(&m, None, again).expect("no-op"), None);
}

#[test]
fn replication_is_validated() {
    let (_d, m) = mgr();
    let bad = |props| DdlStatement::CreateKeyspace {
        name: "k2".into(),
        if_not_exists: false,
        properties: props,
    };
    let e = err(run(&m, None, bad(vec![replication("SimpleStrategy", &[])])));
    assert!(matches!(e, SchemaError::Config(_)));
    assert_eq!(
        e.to_string(),
        "SimpleStrategy requires a replication_factor strategy option."
    );
    let e = err(run(&m, None, bad(vec![replication("FooStrategy", &[])])));
    assert_eq!(
        e.to_string(),
        "Unable to find replication strategy class 'org.apache.cassandra.locator.FooStrategy'"
    );
    run(
        &m,
        None,
        DdlStatement::CreateKeyspace {
            name: "k3".into(),
            if_not_exists: false,
            properties: vec![replication(
                "NetworkTopologyStrategy",
                &[("replication_factor", "2")],
            )],
        },
    )
    .expect("nts with the default dc");
    let map = m
        .snapshot()
        .keyspace("k3")
        .map(|k| k.replication.as_map())
        .unwrap_or_default();
    assert_eq!(map.get("datacenter1").map(String::as_str), Some("2"));
    assert!(!map.contains_key("replication_factor"));
    m.set_datacenters(vec!["dc1".into()]);
    run(
        &m,
        None,
        bad(vec![replication(
            "NetworkTopologyStrategy",
            &[("replication_factor", "3")],
        )]),
    )
    .expect("nts");
    let s = m.snapshot();
    let map = s
        .keyspace("k2")
        .map(|k| k.replication.as_map())
        .unwrap_or_default();
    assert_eq!(map.get("dc1").map(String::as_str), Some("3"));
    assert_eq!(
        map.get("class").map(String::as_str),
        Some("org.apache.cassandra.locator.NetworkTopologyStrategy")
    );
}

#[test]
fn system_keyspaces_are_read_only() {
    let (_d, m) = mgr();
    let e = err(run(
        &m,
        None,
        DdlStatement::DropKeyspace {
            name: "system".into(),
            if_exists: false,
        },
    ));
    assert!(matches!(e, SchemaError::Unauthorized(_)));
    let e = err(run(&m, None, create_ks("system_auth")));
    assert!(matches!(e, SchemaError::Unauthorized(_)));
}

#[test]
fn table_create_resolves_kinds_and_order() {
    let (_d, m) = setup();
    let s = m.snapshot();
    let t = s.table("ks", "t").expect("table");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["k", "c", "v"]);
    assert_eq!(
        t.column("k").map(|c| c.kind),
        Some(ColumnKind::PartitionKey(0))
    );
    assert_eq!(
        t.column("c").map(|c| c.kind),
        Some(ColumnKind::Clustering(0, Order::Asc))
    );
    assert_eq!(t.column("v").map(|c| c.typ.clone()), Some(CqlType::Text));
    assert_eq!(t.params.gc_grace_seconds, 864000);
}

#[test]
fn table_errors_match_cassandra() {
    let (_d, m) = setup();
    let e = err(run(
        &m,
        None,
        create_table("t", vec![col("k", native("int"))], &["k"], &[]),
    ));
    assert_eq!(
        e.to_string(),
        "Cannot add already existing table \"t\" to keyspace \"ks\""
    );
    assert!(matches!(e, SchemaError::AlreadyExists { .. }));

    let no_ks = DdlStatement::DropTable {
        table: QualifiedName::new(None, "t"),
        if_exists: false,
    };
    let e = err(run(&m, None, no_ks));
    assert_eq!(
        e.to_string(),
        "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename"
    );

    let e = err(run(
        &m,
        None,
        create_table(
            "c1",
            vec![
                col("k", native("int")),
                col("n", native("counter")),
                col("v", native("int")),
            ],
            &["k"],
            &[],
        ),
    ));
    assert_eq!(
        e.to_string(),
        "Cannot mix counter and non counter columns in the same table"
    );

    let e = err(run(
        &m,
        None,
        create_table(
            "c2",
            vec![col("k", RawType::List(Box::new(native("int"))))],
            &["k"],
            &[],
        ),
    ));
    assert_eq!(
        e.to_string(),
        "Invalid non-frozen collection type list<int> for PRIMARY KEY column 'k'"
    );

    let mut no_pk = create_table("c3", vec![col("k", native("int"))], &["k"], &[]);
    if let DdlStatement::CreateTable(ct) = &mut no_pk {
        ct.primary_keys.clear();
    }
    let e = err(run(&m, None, no_pk));
    assert_eq!(
        e.to_string(),
        "No PRIMARY KEY specifed for table 'ks.c3' (exactly one required)"
    );

    let e = err(run(
        &m,
        None,
        create_table(
            "c4",
            vec![
                col("k", native("int")),
                col(
                    "v",
                    RawType::User {
                        keyspace: None,
                        name: "foo".into(),
                    },
                ),
            ],
            &["k"],
            &[],
        ),
    ));
    assert_eq!(e.to_string(), "Unknown type ks.foo");

    let mut st = create_table(
        "c5",
        vec![col("k", native("int")), col("s", native("int"))],
        &["k"],
        &[],
    );
    if let DdlStatement::CreateTable(ct) = &mut st {
        ct.columns[1].is_static = true;
    }
    let e = err(run(&m, None, st));
    assert_eq!(
        e.to_string(),
        "Static columns are only useful (and thus allowed) if the table has at least one clustering column"
    );
}

#[test]
fn alter_table_add_drop_rename() {
    let (_d, m) = setup();
    let t = QualifiedName::new(Some("ks"), "t");
    let alter = |a| DdlStatement::AlterTable {
        table: t.clone(),
        if_exists: false,
        action: a,
    };
    run(
        &m,
        None,
        alter(AlterTableAction::Add {
            columns: vec![("w".into(), native("int"), false)],
            if_not_exists: false,
        }),
    )
    .expect("add");
    let e = err(run(
        &m,
        None,
        alter(AlterTableAction::Add {
            columns: vec![("v".into(), native("int"), false)],
            if_not_exists: false,
        }),
    ));
    assert_eq!(e.to_string(), "Column with name 'v' already exists");
    let e = err(run(
        &m,
        None,
        alter(AlterTableAction::Drop {
            columns: vec!["k".into()],
            if_exists: false,
            timestamp: None,
        }),
    ));
    assert_eq!(e.to_string(), "Cannot drop PRIMARY KEY column k");
    let c = run(
        &m,
        None,
        alter(AlterTableAction::Drop {
            columns: vec!["v".into()],
            if_exists: false,
            timestamp: Some(42_000),
        }),
    )
    .expect("drop");
    assert_eq!(c, Some(change_table(SchemaChangeType::Updated, "ks", "t")));
    let e = err(run(
        &m,
        None,
        alter(AlterTableAction::Rename {
            renames: vec![("w".into(), "x".into())],
            if_exists: false,
        }),
    ));
    assert_eq!(e.to_string(), "Cannot rename non PRIMARY KEY column w");
    run(
        &m,
        None,
        alter(AlterTableAction::Rename {
            renames: vec![("c".into(), "cc".into())],
            if_exists: false,
        }),
    )
    .expect("rename");
    let s = m.snapshot();
    let tb = s.table("ks", "t").expect("t");
    let names: Vec<&str> = tb.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["k", "cc", "w"]);
    assert_eq!(tb.dropped.len(), 1);
    assert_eq!(tb.dropped[0].name, "v");
    assert_eq!(tb.dropped[0].dropped_time, 42_000);
    // Column ids are never reused.
    assert_eq!(tb.column("w").map(|c| c.id), Some(storage::ColumnId(3)));
    // Re-adding v with another type is refused.
    let e = err(run(
        &m,
        None,
        alter(AlterTableAction::Add {
            columns: vec![("v".into(), native("int"), false)],
            if_not_exists: false,
        }),
    ));
    assert_eq!(e.to_string(), "Cannot re-add previously dropped column 'v' of type int, incompatible with previous type text");
}

#[test]
fn udt_lifecycle() {
    let (_d, m) = setup();
    let ty = QualifiedName::new(Some("ks"), "addr");
    run(
        &m,
        None,
        DdlStatement::CreateType {
            name: ty.clone(),
            if_not_exists: false,
            fields: vec![("street".into(), native("text"))],
        },
    )
    .expect("create type");
    let frozen_addr = RawType::Frozen(Box::new(RawType::User {
        keyspace: None,
        name: "addr".into(),
    }));
    run(
        &m,
        None,
        create_table(
            "u",
            vec![col("k", native("int")), col("a", frozen_addr)],
            &["k"],
            &[],
        ),
    )
    .expect("table with udt");
    run(
        &m,
        None,
        DdlStatement::AlterType {
            name: ty.clone(),
            if_exists: false,
            action: AlterTypeAction::AddField {
                name: "zip".into(),
                typ: native("int"),
                if_not_exists: false,
            },
        },
    )
    .expect("alter type");
    let s = m.snapshot();
    let a = s
        .table("ks", "u")
        .and_then(|t| t.column("a"))
        .map(|c| c.typ.clone());
    match a {
        Some(CqlType::Frozen(inner)) => match *inner {
            CqlType::Udt(u) => assert_eq!(u.fields.len(), 2, "the column sees the new field"),
            other => panic!("not a udt: {other:?}"),
        },
        other => panic!("not frozen: {other:?}"),
    }
    let e = err(run(
        &m,
        None,
        DdlStatement::DropType {
            name: ty.clone(),
            if_exists: false,
        },
    ));
    assert_eq!(
        e.to_string(),
        "Cannot drop user type 'ks.addr' as it is still used by tables u"
    );
}

#[test]
fn index_create_and_drop() {
    let (_d, m) = setup();
    let ci = CreateIndex {
        name: None,
        table: QualifiedName::new(Some("ks"), "t"),
        if_not_exists: false,
        column: "v".into(),
        target: IndexTargetKind::Simple,
        custom_class: None,
        options: vec![],
    };
    let c = run(&m, None, DdlStatement::CreateIndex(ci.clone())).expect("index");
    assert_eq!(c, Some(change_table(SchemaChangeType::Updated, "ks", "t")));
    let s = m.snapshot();
    let (_, i) = s
        .keyspace("ks")
        .and_then(|k| k.index("t_v_idx"))
        .expect("index stored");
    assert_eq!(i.target(), "v");
    let e = err(run(
        &m,
        None,
        DdlStatement::CreateIndex(CreateIndex {
            name: Some("t_v_idx".into()),
            ..ci
        }),
    ));
    assert_eq!(e.to_string(), "Index 't_v_idx' already exists");
    run(
        &m,
        None,
        DdlStatement::DropIndex {
            name: QualifiedName::new(Some("ks"), "t_v_idx"),
            if_exists: false,
        },
    )
    .expect("drop");
    assert!(m
        .snapshot()
        .keyspace("ks")
        .and_then(|k| k.index("t_v_idx"))
        .is_none());
}

#[test]
fn schema_survives_reopen_with_same_version() {
    let (d, m) = setup();
    let v = m.version();
    let id = m.snapshot().table("ks", "t").map(|t| t.id);
    drop(m);
    let m2 = SchemaManager::open(d.path()).expect("reopen");
    assert_eq!(m2.version(), v);
    assert_eq!(m2.snapshot().table("ks", "t").map(|t| t.id), id);
    assert!(m2.snapshot().keyspace("system_schema").is_some());
}

#[test]
fn drop_keyspace_drops_its_tables() {
    let (_d, m) = setup();
    let before = m.version();
    run(
        &m,
        None,
        DdlStatement::DropKeyspace {
            name: "ks".into(),
            if_exists: false,
        },
    )
    .expect("drop");
    assert_ne!(m.version(), before);
    assert!(m.snapshot().keyspace("ks").is_none());
    let e = err(run(
        &m,
        None,
        DdlStatement::DropKeyspace {
            name: "ks".into(),
            if_exists: false,
        },
    ));
    assert_eq!(e.to_string(), "Keyspace 'ks' doesn't exist");
    assert_eq!(
        run(
            &m,
            None,
            DdlStatement::DropKeyspace {
                name: "ks".into(),
                if_exists: true
            }
        )
        .expect("if exists"),
        None
    );
}

#[test]
fn replicated_system_keyspaces_may_be_altered_and_keep_it() {
    let (d, m) = mgr();
    let alter = DdlStatement::AlterKeyspace {
        name: "system_auth".into(),
        if_exists: false,
        properties: vec![replication(
            "SimpleStrategy",
            &[("replication_factor", "3")],
        )],
    };
    run(&m, None, alter).expect("alter system_auth");
    let e = err(run(
        &m,
        None,
        DdlStatement::AlterKeyspace {
            name: "system".into(),
            if_exists: false,
            properties: vec![replication(
                "SimpleStrategy",
                &[("replication_factor", "3")],
            )],
        },
    ));
    assert_eq!(e.to_string(), "system keyspace is not user-modifiable.");
    drop(m);
    let m = SchemaManager::open(d.path()).expect("reopen");
    let s = m.snapshot();
    let ks = s.keyspace("system_auth").expect("system_auth");
    assert!(ks.system);
    assert_eq!(
        ks.replication,
        crate::schema::Replication::Simple {
            replication_factor: "3".into()
        }
    );
}
