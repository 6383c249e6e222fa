//! Server-side DESCRIBE (Cassandra 4.0+): cqlsh sends the statement as a query and
//! prints the rows. Listings (`DESCRIBE KEYSPACES`/`TABLES`/`TYPES`) return
//! `keyspace_name, type, name`; the others add `create_statement`; `DESCRIBE CLUSTER`
//! returns `cluster, partitioner, snitch` (and `range_ownership` with a keyspace in use).

use cql::types::{CqlType, CqlValue};

use super::{cql_text, NodeIdentity, VirtualColumn, VirtualTable};
use crate::schema::ddl::QualifiedName;
use crate::schema::{ColumnKind, KeyspaceDef, Schema, SchemaError, TableDef};

/// What a DESCRIBE statement asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescribeTarget {
    Keyspaces,
    /// `DESCRIBE [ONLY] KEYSPACE [ks]`: ONLY leaves out the keyspace's objects.
    Keyspace {
        name: Option<String>,
        only: bool,
    },
    Tables,
    Table(QualifiedName),
    Types,
    Type(QualifiedName),
    Functions,
    Aggregates,
    Index(QualifiedName),
    MaterializedView(QualifiedName),
    Cluster,
    /// `DESCRIBE [FULL] SCHEMA`: FULL includes the system keyspaces.
    Schema {
        full: bool,
    },
    /// `DESCRIBE name`: a keyspace, or a table/type/index/view in the current keyspace.
    Name(QualifiedName),
}

fn col(name: &str, typ: CqlType) -> VirtualColumn {
    VirtualColumn {
        name: name.into(),
        typ,
        kind: ColumnKind::Regular,
    }
}

fn result(with_statement: bool) -> VirtualTable {
    let mut columns = vec![
        col("keyspace_name", CqlType::Text),
        col("type", CqlType::Text),
        col("name", CqlType::Text),
    ];
    if with_statement {
        columns.push(col("create_statement", CqlType::Text));
    }
    VirtualTable {
        keyspace: String::new(),
        table: String::new(),
        columns,
        rows: vec![],
    }
}

fn row(out: &mut VirtualTable, ks: &str, typ: &str, name: &str, stmt: Option<String>) {
    let mut r = vec![
        Some(CqlValue::Text(ks.into())),
        Some(CqlValue::Text(typ.into())),
        Some(CqlValue::Text(name.into())),
    ];
    if let Some(s) = stmt {
        r.push(Some(CqlValue::Text(s)));
    }
    out.rows.push(r);
}

fn keyspace_of(q: &QualifiedName, current: Option<&str>) -> Result<String, SchemaError> {
    q.keyspace
        .clone()
        .or_else(|| current.map(str::to_string))
        .ok_or_else(|| SchemaError::invalid("No keyspace specified and no current keyspace"))
}

fn find_keyspace<'a>(schema: &'a Schema, ks: &str) -> Result<&'a KeyspaceDef, SchemaError> {
    schema
        .keyspace(ks)
        .ok_or_else(|| SchemaError::invalid(format!("'{ks}' not found in keyspaces")))
}

/// A table's rows: the table, its indexes, then its views.
fn table_rows(out: &mut VirtualTable, ks: &KeyspaceDef, t: &TableDef, internals: bool) {
    let stmt = if ks.is_virtual {
        cql_text::virtual_table(t)
    } else {
        cql_text::table_with(t, internals)
    };
    row(out, &ks.name, "table", &t.name, Some(stmt));
    let mut idx: Vec<_> = t.indexes.iter().collect();
    idx.sort_by(|a, b| a.name.cmp(&b.name));
    for i in idx {
        row(out, &ks.name, "index", &i.name, Some(cql_text::index(t, i)));
    }
    for v in ks
        .views
        .values()
        .filter(|v| v.view.as_ref().is_some_and(|d| d.base_table_id == t.id))
    {
        row(
            out,
            &ks.name,
            "materialized_view",
            &v.name,
            Some(cql_text::view(v)),
        );
    }
}

fn keyspace_rows(out: &mut VirtualTable, ks: &KeyspaceDef, only: bool, internals: bool) {
    row(
        out,
        &ks.name,
        "keyspace",
        &ks.name,
        Some(cql_text::keyspace(ks)),
    );
    if only {
        return;
    }
    for u in &ks.types {
        row(out, &ks.name, "type", &u.name, Some(cql_text::udt(u)));
    }
    for t in ks.tables.values() {
        table_rows(out, ks, t, internals);
    }
}

/// Runs a DESCRIBE target against `schema`.
pub fn describe_target(
    target: &DescribeTarget,
    schema: &Schema,
    current_keyspace: Option<&str>,
    identity: &NodeIdentity,
) -> Result<VirtualTable, SchemaError> {
    describe_with(target, false, schema, current_keyspace, identity)
}

/// `internals`: `WITH INTERNALS` (table ids in CREATE TABLE).
fn describe_with(
    target: &DescribeTarget,
    internals: bool,
    schema: &Schema,
    current_keyspace: Option<&str>,
    identity: &NodeIdentity,
) -> Result<VirtualTable, SchemaError> {
    match target {
        DescribeTarget::Keyspaces => {
            let mut out = result(false);
            for ks in schema.keyspaces.values() {
                row(&mut out, &ks.name, "keyspace", &ks.name, None);
            }
            Ok(out)
        }
        DescribeTarget::Tables
        | DescribeTarget::Types
        | DescribeTarget::Functions
        | DescribeTarget::Aggregates => {
            let mut out = result(false);
            let keyspaces: Vec<&KeyspaceDef> = match current_keyspace {
                Some(k) => vec![find_keyspace(schema, k)?],
                None => schema.keyspaces.values().collect(),
            };
            for ks in keyspaces {
                match target {
                    DescribeTarget::Tables => {
                        for t in ks.tables.values() {
                            row(&mut out, &ks.name, "table", &t.name, None);
                        }
                    }
                    DescribeTarget::Types => {
                        let mut names: Vec<&str> =
                            ks.types.iter().map(|u| u.name.as_str()).collect();
                        names.sort_unstable();
                        for n in names {
                            row(&mut out, &ks.name, "type", n, None);
                        }
                    }
                    // No user-defined functions or aggregates exist.
                    _ => {}
                }
            }
            Ok(out)
        }
        DescribeTarget::Keyspace { name, only } => {
            let ks = match name {
                Some(n) => n.clone(),
                None => current_keyspace.map(str::to_string).ok_or_else(|| {
                    SchemaError::invalid("No keyspace specified and no current keyspace")
                })?,
            };
            let mut out = result(true);
            keyspace_rows(&mut out, find_keyspace(schema, &ks)?, *only, internals);
            Ok(out)
        }
        DescribeTarget::Table(q) => {
            let ksn = keyspace_of(q, current_keyspace)?;
            let ks = find_keyspace(schema, &ksn)?;
            let mut out = result(true);
            match ks.tables.get(&q.name) {
                Some(t) => table_rows(&mut out, ks, t, internals),
                None => match ks.views.get(&q.name) {
                    Some(v) => row(
                        &mut out,
                        &ksn,
                        "materialized_view",
                        &v.name,
                        Some(cql_text::view(v)),
                    ),
                    None => {
                        return Err(SchemaError::invalid(format!(
                            "Table '{}' not found in keyspace '{ksn}'",
                            q.name
                        )))
                    }
                },
            }
            Ok(out)
        }
        DescribeTarget::Type(q) => {
            let ksn = keyspace_of(q, current_keyspace)?;
            let ks = find_keyspace(schema, &ksn)?;
            let u = ks.udt(&q.name).ok_or_else(|| {
                SchemaError::invalid(format!(
                    "User defined type '{}' not found in keyspace '{ksn}'",
                    q.name
                ))
            })?;
            let mut out = result(true);
            row(&mut out, &ksn, "type", &u.name, Some(cql_text::udt(u)));
            Ok(out)
        }
        DescribeTarget::Index(q) => {
            let ksn = keyspace_of(q, current_keyspace)?;
            let ks = find_keyspace(schema, &ksn)?;
            let (t, i) = ks.index(&q.name).ok_or_else(|| {
                SchemaError::invalid(format!("Index '{}' not found in keyspace '{ksn}'", q.name))
            })?;
            let mut out = result(true);
            row(
                &mut out,
                &ksn,
                "index",
                &i.name,
                Some(cql_text::index(t, i)),
            );
            Ok(out)
        }
        DescribeTarget::MaterializedView(q) => {
            let ksn = keyspace_of(q, current_keyspace)?;
            let ks = find_keyspace(schema, &ksn)?;
            let v = ks.views.get(&q.name).ok_or_else(|| {
                SchemaError::invalid(format!(
                    "Materialized view '{}' not found in keyspace '{ksn}'",
                    q.name
                ))
            })?;
            let mut out = result(true);
            row(
                &mut out,
                &ksn,
                "materialized_view",
                &v.name,
                Some(cql_text::view(v)),
            );
            Ok(out)
        }
        DescribeTarget::Schema { full } => {
            let mut out = result(true);
            for ks in schema.keyspaces.values().filter(|k| *full || !k.system) {
                keyspace_rows(&mut out, ks, false, internals);
            }
            Ok(out)
        }
        DescribeTarget::Cluster => Ok(cluster(schema, current_keyspace, identity)),
        DescribeTarget::Name(q) => {
            if q.keyspace.is_none() && schema.keyspace(&q.name).is_some() {
                return describe_with(
                    &DescribeTarget::Keyspace {
                        name: Some(q.name.clone()),
                        only: false,
                    },
                    internals,
                    schema,
                    current_keyspace,
                    identity,
                );
            }
            let ksn = keyspace_of(q, current_keyspace)?;
            let ks = find_keyspace(schema, &ksn)?;
            let t = if ks.relation(&q.name).is_some() {
                DescribeTarget::Table(q.clone())
            } else if ks.udt(&q.name).is_some() {
                DescribeTarget::Type(q.clone())
            } else if ks.index(&q.name).is_some() {
                DescribeTarget::Index(q.clone())
            } else {
                return Err(SchemaError::invalid(format!(
                    "'{}' not found in keyspace '{ksn}'",
                    q.name
                )));
            };
            let q2 = QualifiedName {
                keyspace: Some(ksn),
                name: q.name.clone(),
            };
            let t = match t {
                DescribeTarget::Table(_) => DescribeTarget::Table(q2),
                DescribeTarget::Type(_) => DescribeTarget::Type(q2),
                _ => DescribeTarget::Index(q2),
            };
            describe_with(&t, internals, schema, current_keyspace, identity)
        }
    }
}

fn cluster(schema: &Schema, current_keyspace: Option<&str>, id: &NodeIdentity) -> VirtualTable {
    let snitch = if id.data_center == "datacenter1" && id.rack == "rack1" {
        "org.apache.cassandra.locator.SimpleSnitch"
    } else {
        "org.apache.cassandra.locator.GossipingPropertyFileSnitch"
    };
    let mut columns = vec![
        col("cluster", CqlType::Text),
        col("partitioner", CqlType::Text),
        col("snitch", CqlType::Text),
    ];
    let mut r = vec![
        Some(CqlValue::Text(id.cluster_name.clone())),
        Some(CqlValue::Text(id.partitioner.clone())),
        Some(CqlValue::Text(snitch.into())),
    ];
    if current_keyspace.is_some_and(|k| schema.keyspace(k).is_some()) {
        columns.push(col(
            "range_ownership",
            CqlType::Map(
                Box::new(CqlType::Text),
                Box::new(CqlType::List(Box::new(CqlType::Text))),
            ),
        ));
        // A ring of one: every range belongs to this node.
        let endpoint = format!("{}:{}", id.broadcast_address, id.storage_port);
        let mut tokens = id.tokens.clone();
        tokens.sort_unstable();
        r.push(Some(CqlValue::Map(
            tokens
                .iter()
                .map(|t| {
                    (
                        CqlValue::Text(t.to_string()),
                        CqlValue::List(vec![CqlValue::Text(endpoint.clone())]),
                    )
                })
                .collect(),
        )));
    }
    VirtualTable {
        keyspace: String::new(),
        table: String::new(),
        columns,
        rows: vec![r],
    }
}

/// Runs a parsed DESCRIBE statement: the rows cqlsh prints.
pub fn describe(
    d: &cql::parser::ast::Describe,
    schema: &Schema,
    current_keyspace: Option<&str>,
    identity: &NodeIdentity,
) -> Result<VirtualTable, SchemaError> {
    use cql::parser::ast::DescribeTarget as A;
    let q = |n: &cql::parser::ast::QualifiedName| QualifiedName {
        keyspace: n.keyspace.clone(),
        name: n.name.clone(),
    };
    let target = match &d.target {
        A::Cluster => DescribeTarget::Cluster,
        A::Keyspaces => DescribeTarget::Keyspaces,
        A::Keyspace(k) => DescribeTarget::Keyspace {
            name: k.clone(),
            only: d.only,
        },
        A::Tables => DescribeTarget::Tables,
        A::Table(n) => DescribeTarget::Table(q(n)),
        A::Types => DescribeTarget::Types,
        A::Type(n) => DescribeTarget::Type(q(n)),
        A::Functions => DescribeTarget::Functions,
        A::Aggregates => DescribeTarget::Aggregates,
        A::Function(n) | A::Aggregate(n) => {
            let ks = keyspace_of(&q(n), current_keyspace)?;
            let what = if matches!(d.target, A::Function(_)) {
                "User defined function"
            } else {
                "User defined aggregate"
            };
            return Err(SchemaError::invalid(format!(
                "{what} '{}' not found in keyspace '{ks}'",
                n.name
            )));
        }
        A::Index(n) => DescribeTarget::Index(q(n)),
        A::MaterializedView(n) => DescribeTarget::MaterializedView(q(n)),
        A::Schema { full } => DescribeTarget::Schema { full: *full },
        A::Name(n) => DescribeTarget::Name(q(n)),
    };
    describe_with(
        &target,
        d.with_internals,
        schema,
        current_keyspace,
        identity,
    )
}
