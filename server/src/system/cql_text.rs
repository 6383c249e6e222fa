//! CREATE statements for schema objects, formatted exactly as Cassandra 5.0's
//! DESCRIBE prints them (`KeyspaceMetadata`, `TableMetadata`, `TableParams`,
//! `UserType`, `IndexMetadata`, `ViewMetadata` `toCqlString`), so that running the
//! output recreates the objects.

use std::collections::BTreeMap;

use crate::schema::types::{quote_ident, quote_string, type_name};
use crate::schema::{
    ColumnKind, IndexDef, IndexKind, KeyspaceDef, Order, TableDef, TableParams, UdtDef,
};

/// `'k': 'v'` pairs in key order, as Java's `TreeMap` iterates them.
fn cql_map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}: {}", quote_string(k), quote_string(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// A double as Java's `Double.toString` writes it for the values tables use.
pub fn java_double(v: f64) -> String {
    if v == 0.0 {
        return "0.0".into();
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Java: d.dddE[-]n
        let s = format!("{v:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

fn qualified(ks: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(ks), quote_ident(name))
}

pub fn keyspace(ks: &KeyspaceDef) -> String {
    if ks.is_virtual {
        return format!(
            "/*\nWarning: Keyspace {} is a virtual keyspace and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL KEYSPACE {};\n*/",
            quote_ident(&ks.name),
            quote_ident(&ks.name)
        );
    }
    format!(
        "CREATE KEYSPACE {} WITH replication = {}  AND durable_writes = {};",
        quote_ident(&ks.name),
        cql_map(&ks.replication.as_map()),
        ks.durable_writes
    )
}

pub fn udt(u: &UdtDef) -> String {
    let fields: Vec<String> = u
        .fields
        .iter()
        .map(|f| format!("    {} {}", quote_ident(&f.name), type_name(&f.typ)))
        .collect();
    format!(
        "CREATE TYPE {} (\n{}\n);",
        qualified(&u.keyspace, &u.name),
        fields.join(",\n")
    )
}

fn primary_key(t: &TableDef) -> String {
    let pk: Vec<String> = t
        .partition_key_columns()
        .map(|c| quote_ident(&c.name))
        .collect();
    let mut parts = vec![if pk.len() > 1 {
        format!("({})", pk.join(", "))
    } else {
        pk.join("")
    }];
    parts.extend(t.clustering_columns().map(|c| quote_ident(&c.name)));
    format!("PRIMARY KEY ({})", parts.join(", "))
}

/// `WITH CLUSTERING ORDER BY (...)\n    AND ` (when clustered) then the options.
fn table_options(t: &TableDef, is_view: bool) -> String {
    let mut s = String::new();
    if !t.clustering.is_empty() {
        let cols: Vec<String> = t
            .clustering_columns()
            .map(|c| {
                let o = match c.kind {
                    ColumnKind::Clustering(_, Order::Desc) => "DESC",
                    _ => "ASC",
                };
                format!("{} {o}", quote_ident(&c.name))
            })
            .collect();
        s.push_str(&format!(
            "CLUSTERING ORDER BY ({})\n    AND ",
            cols.join(", ")
        ));
    }
    s.push_str(&params(&t.params, is_view));
    s
}

/// `TableParams.appendCqlTo` of Cassandra 5.0 (its order, not quite alphabetical).
pub fn params(p: &TableParams, is_view: bool) -> String {
    let mut lines = vec![
        format!(
            "additional_write_policy = {}",
            quote_string(&p.additional_write_policy)
        ),
        format!("allow_auto_snapshot = {}", p.allow_auto_snapshot),
        format!(
            "bloom_filter_fp_chance = {}",
            java_double(p.bloom_filter_fp_chance)
        ),
        format!("caching = {}", cql_map(&p.caching)),
        format!("cdc = {}", p.cdc),
        format!("comment = {}", quote_string(&p.comment)),
        format!("compaction = {}", cql_map(&p.compaction)),
        format!("compression = {}", cql_map(&p.compression)),
        format!("memtable = {}", quote_string(&p.memtable)),
        format!("crc_check_chance = {}", java_double(p.crc_check_chance)),
    ];
    if !is_view {
        lines.push(format!("default_time_to_live = {}", p.default_time_to_live));
    }
    let ext: Vec<String> = p
        .extensions
        .iter()
        .map(|(k, v)| {
            let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
            format!("{}: 0x{hex}", quote_string(k))
        })
        .collect();
    lines.extend([
        format!("extensions = {{{}}}", ext.join(", ")),
        format!("gc_grace_seconds = {}", p.gc_grace_seconds),
        format!("incremental_backups = {}", p.incremental_backups),
        format!("max_index_interval = {}", p.max_index_interval),
        format!(
            "memtable_flush_period_in_ms = {}",
            p.memtable_flush_period_in_ms
        ),
        format!("min_index_interval = {}", p.min_index_interval),
        format!("read_repair = {}", quote_string(&p.read_repair)),
        format!("speculative_retry = {}", quote_string(&p.speculative_retry)),
    ]);
    lines.join("\n    AND ")
}

pub fn table(t: &TableDef) -> String {
    table_with(t, false)
}

/// CREATE TABLE; `internals` adds `ID = <uuid>` (DESCRIBE ... WITH INTERNALS).
pub fn table_with(t: &TableDef, internals: bool) -> String {
    let single = t.partition_key.len() == 1 && t.clustering.is_empty();
    let mut cols: Vec<String> = Vec::new();
    let ordered = t
        .partition_key_columns()
        .chain(t.clustering_columns())
        .chain(t.static_and_regular());
    for c in ordered {
        let mut line = format!("    {} {}", quote_ident(&c.name), type_name(&c.typ));
        if c.kind == ColumnKind::Static {
            line.push_str(" static");
        }
        if single && matches!(c.kind, ColumnKind::PartitionKey(_)) {
            line.push_str(" PRIMARY KEY");
        }
        cols.push(line);
    }
    if !single {
        cols.push(format!("    {}", primary_key(t)));
    }
    format!(
        "CREATE TABLE {} (\n{}\n) WITH {};",
        qualified(&t.keyspace, &t.name),
        cols.join(",\n"),
        if internals {
            format!("ID = {}\n    AND {}", t.id, table_options(t, false))
        } else {
            table_options(t, false)
        }
    )
}

pub fn index(t: &TableDef, i: &IndexDef) -> String {
    let target = i.target();
    if i.kind == IndexKind::Custom {
        let mut opts = i.options.clone();
        opts.remove("target");
        let class = opts.remove("class_name").unwrap_or_default();
        let mut s = format!(
            "CREATE CUSTOM INDEX {} ON {} ({target}) USING {}",
            quote_ident(&i.name),
            qualified(&t.keyspace, &t.name),
            quote_string(&class)
        );
        if !opts.is_empty() {
            s.push_str(&format!(" WITH OPTIONS = {}", cql_map(&opts)));
        }
        s.push(';');
        s
    } else {
        format!(
            "CREATE INDEX {} ON {} ({target});",
            quote_ident(&i.name),
            qualified(&t.keyspace, &t.name)
        )
    }
}

pub fn view(v: &TableDef) -> String {
    let Some(def) = &v.view else { return table(v) };
    let select = if def.include_all_columns {
        "*".to_string()
    } else {
        v.columns
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "CREATE MATERIALIZED VIEW {} AS\n    SELECT {select}\n    FROM {}\n    WHERE {}\n    {}\n WITH {};",
        qualified(&v.keyspace, &v.name),
        qualified(&v.keyspace, &def.base_table_name),
        def.where_clause,
        primary_key(v),
        table_options(v, true)
    )
}

/// A virtual table, which CQL cannot create: shown commented out, for reference, as
/// Cassandra does.
pub fn virtual_table(t: &TableDef) -> String {
    let body = table(t);
    let head = format!("CREATE TABLE {}", qualified(&t.keyspace, &t.name));
    let columns_and_key = body
        .strip_prefix(&head)
        .and_then(|rest| rest.split_once(") WITH "))
        .map(|(cols, _)| cols.to_string())
        .unwrap_or_default();
    let mut with = String::new();
    if !t.clustering.is_empty() {
        let cols: Vec<String> = t
            .clustering_columns()
            .map(|c| {
                let o = match c.kind {
                    ColumnKind::Clustering(_, Order::Desc) => "DESC",
                    _ => "ASC",
                };
                format!("{} {o}", quote_ident(&c.name))
            })
            .collect();
        with.push_str(&format!(
            "CLUSTERING ORDER BY ({})\n    AND ",
            cols.join(", ")
        ));
    }
    with.push_str(&format!("comment = {}", quote_string(&t.params.comment)));
    format!(
        "/*\nWarning: Table {q} is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL TABLE {q}{columns_and_key}) WITH {with};\n*/",
        q = qualified(&t.keyspace, &t.name)
    )
}
