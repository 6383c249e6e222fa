//! Schema statements: keyspaces, tables, types, indexes, views, functions, triggers,
//! DESCRIBE.

use super::*;
use crate::types::CqlType;

fn native(t: CqlType) -> RawType {
    RawType::Native(t)
}

fn constant(kind: LiteralKind, text: &str) -> OptionValue {
    OptionValue::Constant(Literal::new(kind, text))
}

#[test]
fn create_keyspace_with_replication_map() {
    let Statement::CreateKeyspace(k) = parse(
        "CREATE KEYSPACE IF NOT EXISTS Excelsior WITH replication = \
         {'class': 'NetworkTopologyStrategy', 'DC1': 3, 'dc2': '2'} AND durable_writes = false",
    ) else {
        panic!("create keyspace")
    };
    assert!(k.if_not_exists);
    assert_eq!(k.name, "excelsior");
    assert_eq!(k.options[0].0, "replication");
    assert_eq!(
        k.options[0].1.as_map().expect("map"),
        &[
            ("class".to_string(), "NetworkTopologyStrategy".to_string()),
            ("DC1".to_string(), "3".to_string()),
            ("dc2".to_string(), "2".to_string()),
        ]
    );
    assert_eq!(
        k.options[1],
        (
            "durable_writes".to_string(),
            constant(LiteralKind::Boolean, "false")
        )
    );
}

#[test]
fn alter_and_drop_keyspace() {
    let Statement::AlterKeyspace(k) = parse("ALTER KEYSPACE ks WITH durable_writes = true") else {
        panic!("alter keyspace")
    };
    assert_eq!((k.name.as_str(), k.if_exists), ("ks", false));
    assert_eq!(
        parse("DROP KEYSPACE IF EXISTS ks"),
        Statement::DropKeyspace(DropKeyspace {
            if_exists: true,
            name: "ks".into()
        })
    );
}

#[test]
fn create_table_compound_key_and_options() {
    let Statement::CreateTable(t) = parse(
        "CREATE TABLE IF NOT EXISTS ks.events (\n\
           tenant text, day date, ts timeuuid, \"Value\" frozen<map<text, list<int>>>, \
           tags set<text>, pos tuple<int, text>, emb vector<float, 3>, addr address, kind ks2.k, \
           owner text static,\n\
           PRIMARY KEY ((tenant, day), ts)\n\
         ) WITH CLUSTERING ORDER BY (ts DESC) AND comment = 'events' AND gc_grace_seconds = 0 \
           AND compaction = {'class': 'LeveledCompactionStrategy'} AND caching = {'keys': 'ALL'}",
    ) else {
        panic!("create table")
    };
    assert!(t.if_not_exists);
    assert_eq!(t.name, qn(Some("ks"), "events"));
    assert_eq!(t.partition_key, vec!["tenant", "day"]);
    assert_eq!(t.clustering_key, vec!["ts"]);
    assert_eq!(t.primary_key_count, 1);
    assert_eq!(t.clustering_order, vec![("ts".to_string(), Order::Desc)]);
    let types: Vec<_> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.typ.clone()))
        .collect();
    assert_eq!(types[0], ("tenant", native(CqlType::Text)));
    assert_eq!(types[1], ("day", native(CqlType::Date)));
    assert_eq!(
        types[3],
        (
            "Value",
            RawType::Frozen(Box::new(RawType::Map(
                Box::new(native(CqlType::Text)),
                Box::new(RawType::List(Box::new(native(CqlType::Int))))
            )))
        )
    );
    assert_eq!(types[4].1, RawType::Set(Box::new(native(CqlType::Text))));
    assert_eq!(
        types[5].1,
        RawType::Tuple(vec![native(CqlType::Int), native(CqlType::Text)])
    );
    assert_eq!(
        types[6].1,
        RawType::Vector(Box::new(native(CqlType::Float)), 3)
    );
    assert_eq!(types[7].1, RawType::UserDefined(qn(None, "address")));
    assert_eq!(types[8].1, RawType::UserDefined(qn(Some("ks2"), "k")));
    assert!(t.columns[9].is_static && !t.columns[0].is_static);
    let names: Vec<_> = t.options.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec!["comment", "gc_grace_seconds", "compaction", "caching"]
    );
    assert_eq!(t.options[1].1, constant(LiteralKind::Integer, "0"));
}

#[test]
fn create_table_inline_key_compact_storage_and_type_names_as_columns() {
    let Statement::CreateTable(t) = parse(
        "create table t (key int PRIMARY KEY, value text, type varchar, text text, custom 'org.example.MyType') \
         WITH COMPACT STORAGE",
    ) else {
        panic!("create table")
    };
    assert_eq!(t.partition_key, vec!["key"]);
    assert!(t.columns[0].is_primary_key && t.compact_storage);
    assert_eq!(t.columns[2].typ, native(CqlType::Text));
    assert_eq!(t.columns[3].name, "text");
    assert_eq!(
        t.columns[4].typ,
        native(CqlType::Custom("org.example.MyType".into()))
    );
    // Both forms of primary key: the server refuses, the count tells it.
    let Statement::CreateTable(t) =
        parse("CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))")
    else {
        panic!("create table")
    };
    assert_eq!(t.primary_key_count, 2);
}

#[test]
fn create_table_masked_columns() {
    let Statement::CreateTable(t) = parse(
        "CREATE TABLE t (k int PRIMARY KEY, a text MASKED WITH DEFAULT, b text MASKED WITH mask_inner(1, null))",
    ) else {
        panic!("create table")
    };
    assert_eq!(t.columns[1].mask, Some(ColumnMask::Default));
    assert_eq!(
        t.columns[2].mask,
        Some(ColumnMask::Function {
            name: qn(None, "mask_inner"),
            args: vec![int("1"), Term::Null]
        })
    );
}

fn alter(s: &str) -> AlterTable {
    match parse(s) {
        Statement::AlterTable(a) => *a,
        other => panic!("not alter table: {other:?}"),
    }
}

#[test]
fn alter_table_actions() {
    let a = alter("ALTER TABLE ks.t ADD IF NOT EXISTS x int, y set<text>");
    assert_eq!(a.name, qn(Some("ks"), "t"));
    let AlterTableAction::Add {
        if_not_exists,
        columns,
    } = a.action
    else {
        panic!("add")
    };
    assert!(if_not_exists);
    assert_eq!(
        columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["x", "y"]
    );
    let a = alter("ALTER TABLE IF EXISTS t DROP (x, y) USING TIMESTAMP 17");
    assert!(a.if_exists);
    assert_eq!(
        a.action,
        AlterTableAction::Drop {
            if_exists: false,
            columns: vec!["x".into(), "y".into()],
            timestamp: Some(Literal::new(LiteralKind::Integer, "17")),
        }
    );
    assert_eq!(
        alter("ALTER TABLE t RENAME a TO b AND c TO d").action,
        AlterTableAction::Rename {
            if_exists: false,
            renames: vec![("a".into(), "b".into()), ("c".into(), "d".into())],
        }
    );
    assert_eq!(
        alter("ALTER TABLE t WITH comment = 'x'").action,
        AlterTableAction::With(vec![("comment".into(), constant(LiteralKind::String, "x"))])
    );
    assert_eq!(
        alter("ALTER TABLE t ALTER v TYPE blob").action,
        AlterTableAction::AlterColumnType {
            column: "v".into(),
            typ: native(CqlType::Blob)
        }
    );
    assert_eq!(
        alter("ALTER TABLE t ALTER v DROP MASKED").action,
        AlterTableAction::DropMask {
            if_exists: false,
            column: "v".into()
        }
    );
    assert!(matches!(
        alter("ALTER TABLE t ALTER v MASKED WITH DEFAULT").action,
        AlterTableAction::Mask { .. }
    ));
}

#[test]
fn drop_table() {
    assert_eq!(
        parse("DROP TABLE IF EXISTS ks.t"),
        Statement::DropTable(DropTable {
            if_exists: true,
            name: qn(Some("ks"), "t")
        })
    );
}

#[test]
fn user_defined_types() {
    let Statement::CreateType(t) =
        parse("CREATE TYPE ks.address (street text, zip int, phones map<text, frozen<phone>>)")
    else {
        panic!("create type")
    };
    assert_eq!(t.name, qn(Some("ks"), "address"));
    assert_eq!(t.fields.len(), 3);
    let Statement::AlterType(a) = parse("ALTER TYPE address ADD country text") else {
        panic!("alter type")
    };
    assert_eq!(
        a.action,
        AlterTypeAction::Add {
            if_not_exists: false,
            field: "country".into(),
            typ: native(CqlType::Text)
        }
    );
    let Statement::AlterType(a) =
        parse("ALTER TYPE address RENAME zip TO zipcode AND street TO st")
    else {
        panic!("alter type")
    };
    assert!(matches!(a.action, AlterTypeAction::Rename { ref renames, .. } if renames.len() == 2));
    assert_eq!(
        parse("DROP TYPE IF EXISTS address"),
        Statement::DropType(DropType {
            if_exists: true,
            name: qn(None, "address")
        })
    );
}

fn index(s: &str) -> CreateIndex {
    match parse(s) {
        Statement::CreateIndex(i) => *i,
        other => panic!("not create index: {other:?}"),
    }
}

#[test]
fn indexes() {
    let i = index("CREATE INDEX IF NOT EXISTS by_name ON ks.users (name)");
    assert_eq!(
        (i.name.as_deref(), i.if_not_exists, i.custom),
        (Some("by_name"), true, false)
    );
    assert_eq!(
        i.targets,
        vec![IndexTarget {
            column: "name".into(),
            kind: IndexTargetKind::Simple
        }]
    );
    let kinds: Vec<_> = ["KEYS(m)", "values(m)", "ENTRIES(m)", "FULL(m)"]
        .iter()
        .map(|t| index(&format!("CREATE INDEX ON t ({t})")).targets[0].kind)
        .collect();
    use IndexTargetKind as K;
    assert_eq!(kinds, vec![K::Keys, K::Values, K::Entries, K::Full]);
    let i = index(
        "CREATE CUSTOM INDEX ON t (v) USING 'org.example.Idx' WITH OPTIONS = {'mode': 'CONTAINS'}",
    );
    assert!(i.custom && i.name.is_none());
    assert_eq!(i.using.as_deref(), Some("org.example.Idx"));
    assert_eq!(i.options[0].0, "options");
    let i = index(
        "CREATE INDEX ann ON t (emb) USING 'sai' WITH OPTIONS = {'similarity_function': 'COSINE'}",
    );
    assert_eq!(i.using.as_deref(), Some("sai"));
    assert_eq!(
        parse("DROP INDEX IF EXISTS ks.by_name"),
        Statement::DropIndex(DropIndex {
            if_exists: true,
            name: qn(Some("ks"), "by_name")
        })
    );
}

#[test]
fn materialized_views() {
    let Statement::CreateMaterializedView(v) = parse(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS ks.by_c AS SELECT k, c, v FROM ks.t \
         WHERE c IS NOT NULL AND k IS NOT NULL PRIMARY KEY (c, k) WITH CLUSTERING ORDER BY (k DESC) AND comment = 'x'",
    ) else {
        panic!("create view")
    };
    assert_eq!(v.base_table, qn(Some("ks"), "t"));
    assert_eq!(
        v.where_clause[0],
        Relation::IsNotNull { column: "c".into() }
    );
    assert_eq!(
        (v.partition_key.clone(), v.clustering_key.clone()),
        (vec!["c".to_string()], vec!["k".to_string()])
    );
    assert_eq!(v.clustering_order, vec![("k".to_string(), Order::Desc)]);
    assert_eq!(v.options.len(), 1);
    let Statement::AlterMaterializedView(a) =
        parse("ALTER MATERIALIZED VIEW by_c WITH comment = 'y'")
    else {
        panic!("alter view")
    };
    assert_eq!(a.options.len(), 1);
    assert_eq!(
        parse("DROP MATERIALIZED VIEW IF EXISTS by_c"),
        Statement::DropMaterializedView(DropMaterializedView {
            if_exists: true,
            name: qn(None, "by_c")
        })
    );
}

#[test]
fn functions_and_aggregates() {
    let Statement::CreateFunction(f) = parse(
        "CREATE OR REPLACE FUNCTION ks.plus (a int, b int) CALLED ON NULL INPUT RETURNS int \
         LANGUAGE java AS 'return a + b;'",
    ) else {
        panic!("create function")
    };
    assert!(f.or_replace && f.called_on_null_input);
    assert_eq!(f.args.len(), 2);
    assert_eq!(
        (f.language.as_str(), f.body.as_str()),
        ("java", "return a + b;")
    );
    let Statement::CreateFunction(f) = parse(
        "CREATE FUNCTION IF NOT EXISTS f (x text) RETURNS NULL ON NULL INPUT RETURNS text LANGUAGE javascript AS $$ x $$",
    ) else {
        panic!("create function")
    };
    assert!(!f.called_on_null_input && f.if_not_exists);
    assert_eq!(f.body, " x ");
    let Statement::CreateAggregate(a) = parse(
        "CREATE AGGREGATE ks.avg2 (int) SFUNC acc STYPE tuple<int, bigint> FINALFUNC fin INITCOND (0, 0)",
    ) else {
        panic!("create aggregate")
    };
    assert_eq!(a.sfunc, "acc");
    assert_eq!(a.finalfunc.as_deref(), Some("fin"));
    assert_eq!(a.initcond, Some(Term::Tuple(vec![int("0"), int("0")])));
    assert_eq!(
        parse("DROP FUNCTION ks.plus (int, int)"),
        Statement::DropFunction(DropFunction {
            if_exists: false,
            name: qn(Some("ks"), "plus"),
            arg_types: Some(vec![native(CqlType::Int), native(CqlType::Int)]),
        })
    );
    assert!(matches!(
        parse("DROP AGGREGATE IF EXISTS avg2"),
        Statement::DropAggregate(DropFunction {
            if_exists: true,
            arg_types: None,
            ..
        })
    ));
}

#[test]
fn triggers() {
    assert_eq!(
        parse("CREATE TRIGGER audit ON ks.t USING 'org.example.Audit'"),
        Statement::CreateTrigger(CreateTrigger {
            if_not_exists: false,
            name: "audit".into(),
            table: qn(Some("ks"), "t"),
            class: "org.example.Audit".into(),
        })
    );
    assert_eq!(
        parse("DROP TRIGGER IF EXISTS audit ON t"),
        Statement::DropTrigger(DropTrigger {
            if_exists: true,
            name: "audit".into(),
            table: qn(None, "t")
        })
    );
}

#[test]
fn describe_forms() {
    let d = |s: &str| match parse(s) {
        Statement::Describe(d) => d,
        other => panic!("not describe: {other:?}"),
    };
    use DescribeTarget as T;
    assert_eq!(d("DESCRIBE CLUSTER").target, T::Cluster);
    assert_eq!(d("DESC KEYSPACES").target, T::Keyspaces);
    assert_eq!(d("DESCRIBE KEYSPACE").target, T::Keyspace(None));
    let only = d("DESCRIBE ONLY KEYSPACE ks WITH INTERNALS");
    assert_eq!(only.target, T::Keyspace(Some("ks".into())));
    assert!(only.only && only.with_internals);
    assert_eq!(d("DESC TABLES").target, T::Tables);
    assert_eq!(d("DESC TABLE ks.t").target, T::Table(qn(Some("ks"), "t")));
    assert_eq!(d("DESC TYPES").target, T::Types);
    assert_eq!(d("DESC TYPE a").target, T::Type(qn(None, "a")));
    assert_eq!(d("DESC FUNCTIONS").target, T::Functions);
    assert_eq!(d("DESC AGGREGATES").target, T::Aggregates);
    assert_eq!(d("DESC INDEX i").target, T::Index(qn(None, "i")));
    assert_eq!(
        d("DESC MATERIALIZED VIEW v").target,
        T::MaterializedView(qn(None, "v"))
    );
    assert_eq!(d("DESC SCHEMA").target, T::Schema { full: false });
    assert_eq!(d("DESCRIBE FULL SCHEMA").target, T::Schema { full: true });
    assert_eq!(
        d("DESCRIBE ks.thing").target,
        T::Name(qn(Some("ks"), "thing"))
    );
}
