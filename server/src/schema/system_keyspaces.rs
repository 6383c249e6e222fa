//! The built-in keyspaces (`system`, `system_schema`, `system_auth`,
//! `system_distributed`, `system_traces`, `system_virtual_schema`, `system_views`) and
//! the definitions of the system tables drivers read, column for column as in
//! Cassandra 5.0 (see ../shared/reference/system-tables.md). Built from code at every
//! start, never persisted, never user-modifiable.

use std::collections::BTreeMap;

use cql::types::CqlType;
use uuid::Uuid;

use super::model::{ColumnDef, ColumnKind, KeyspaceDef, Order, Replication, TableDef};
use super::params::TableParams;

/// How a system column is keyed.
#[derive(Clone, Copy)]
enum K {
    P(u16),
    C(u16),
    R,
}

fn text() -> CqlType {
    CqlType::Text
}
fn frozen(t: CqlType) -> CqlType {
    CqlType::Frozen(Box::new(t))
}
fn map_tt() -> CqlType {
    frozen(CqlType::Map(Box::new(text()), Box::new(text())))
}
fn list_t() -> CqlType {
    frozen(CqlType::List(Box::new(text())))
}
fn set_text() -> CqlType {
    CqlType::Set(Box::new(text()))
}

/// A stable id for a system table, derived from its name (Cassandra also derives
/// system table ids from names).
fn system_id(ks: &str, table: &str) -> Uuid {
    // FNV-1a over the name, widened to 128 bits by two seeds.
    let h = |seed: u64| {
        let mut x = seed;
        for b in ks.bytes().chain(std::iter::once(b'.')).chain(table.bytes()) {
            x ^= u64::from(b);
            x = x.wrapping_mul(0x0000_0100_0000_01b3);
        }
        x
    };
    let v = (u128::from(h(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(h(0x6c62_272e_07bb_0142));
    uuid::Builder::from_random_bytes(v.to_be_bytes()).into_uuid()
}

fn table(ks: &str, name: &str, cols: Vec<(&str, CqlType, K)>) -> TableDef {
    let columns = cols
        .into_iter()
        .enumerate()
        .map(|(i, (n, typ, k))| ColumnDef {
            name: n.to_string(),
            typ,
            kind: match k {
                K::P(p) => ColumnKind::PartitionKey(p),
                K::C(p) => ColumnKind::Clustering(p, Order::Asc),
                K::R => ColumnKind::Regular,
            },
            id: storage::ColumnId(i as u32),
        })
        .collect::<Vec<_>>();
    let next_column_id = columns.len() as u32;
    let mut t = TableDef {
        keyspace: ks.into(),
        name: name.into(),
        id: system_id(ks, name),
        columns,
        partition_key: vec![],
        clustering: vec![],
        params: TableParams::default(),
        is_counter: false,
        dropped: vec![],
        indexes: vec![],
        view: None,
        next_column_id,
    };
    t.normalize();
    t
}

fn keyspace(
    name: &str,
    replication: Replication,
    tables: Vec<TableDef>,
    is_virtual: bool,
) -> KeyspaceDef {
    KeyspaceDef {
        name: name.into(),
        replication,
        durable_writes: true,
        tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
        views: BTreeMap::new(),
        types: vec![],
        system: true,
        is_virtual,
    }
}

fn simple(rf: &str) -> Replication {
    Replication::Simple {
        replication_factor: rf.into(),
    }
}

fn system_tables() -> Vec<TableDef> {
    use CqlType::*;
    let ks = "system";
    vec![
        table(
            ks,
            "local",
            vec![
                ("key", text(), K::P(0)),
                ("bootstrapped", text(), K::R),
                ("broadcast_address", Inet, K::R),
                ("broadcast_port", Int, K::R),
                ("cluster_name", text(), K::R),
                ("cql_version", text(), K::R),
                ("data_center", text(), K::R),
                ("gossip_generation", Int, K::R),
                ("host_id", Uuid, K::R),
                ("listen_address", Inet, K::R),
                ("listen_port", Int, K::R),
                ("native_protocol_version", text(), K::R),
                ("partitioner", text(), K::R),
                ("rack", text(), K::R),
                ("release_version", text(), K::R),
                ("rpc_address", Inet, K::R),
                ("rpc_port", Int, K::R),
                ("schema_version", Uuid, K::R),
                ("tokens", set_text(), K::R),
                ("truncated_at", Map(Box::new(Uuid), Box::new(Blob)), K::R),
            ],
        ),
        table(
            ks,
            "peers_v2",
            vec![
                ("peer", Inet, K::P(0)),
                ("peer_port", Int, K::C(0)),
                ("data_center", text(), K::R),
                ("host_id", Uuid, K::R),
                ("native_address", Inet, K::R),
                ("native_port", Int, K::R),
                ("preferred_ip", Inet, K::R),
                ("preferred_port", Int, K::R),
                ("rack", text(), K::R),
                ("release_version", text(), K::R),
                ("schema_version", Uuid, K::R),
                ("tokens", set_text(), K::R),
            ],
        ),
        // Cassandra's list of built secondary indexes; `table_name` holds the
        // keyspace name (a historical quirk it keeps).
        table(
            ks,
            "IndexInfo",
            vec![
                ("table_name", text(), K::P(0)),
                ("index_name", text(), K::C(0)),
                ("value", Blob, K::R),
            ],
        ),
        table(
            ks,
            "peers",
            vec![
                ("peer", Inet, K::P(0)),
                ("data_center", text(), K::R),
                ("host_id", Uuid, K::R),
                ("preferred_ip", Inet, K::R),
                ("rack", text(), K::R),
                ("release_version", text(), K::R),
                ("rpc_address", Inet, K::R),
                ("schema_version", Uuid, K::R),
                ("tokens", set_text(), K::R),
            ],
        ),
    ]
}

/// The columns shared by `system_schema.tables` and `views` (table options).
fn option_columns() -> Vec<(&'static str, CqlType, K)> {
    use CqlType::*;
    vec![
        ("additional_write_policy", text(), K::R),
        ("allow_auto_snapshot", Boolean, K::R),
        ("bloom_filter_fp_chance", Double, K::R),
        ("caching", map_tt(), K::R),
        ("cdc", Boolean, K::R),
        ("comment", text(), K::R),
        ("compaction", map_tt(), K::R),
        ("compression", map_tt(), K::R),
        ("crc_check_chance", Double, K::R),
        ("dclocal_read_repair_chance", Double, K::R),
        ("default_time_to_live", Int, K::R),
        (
            "extensions",
            frozen(Map(Box::new(text()), Box::new(Blob))),
            K::R,
        ),
        ("gc_grace_seconds", Int, K::R),
        ("id", Uuid, K::R),
        ("incremental_backups", Boolean, K::R),
        ("max_index_interval", Int, K::R),
        ("memtable", text(), K::R),
        ("memtable_flush_period_in_ms", Int, K::R),
        ("min_index_interval", Int, K::R),
        ("read_repair", text(), K::R),
        ("read_repair_chance", Double, K::R),
        ("speculative_retry", text(), K::R),
    ]
}

fn schema_tables() -> Vec<TableDef> {
    use CqlType::*;
    let ks = "system_schema";
    let kn = || ("keyspace_name", text(), K::P(0));
    let mut tables_cols = vec![kn(), ("table_name", text(), K::C(0))];
    tables_cols.extend(option_columns());
    tables_cols.push(("flags", frozen(Set(Box::new(text()))), K::R));
    let mut views_cols = vec![kn(), ("view_name", text(), K::C(0))];
    views_cols.extend(option_columns());
    views_cols.extend([
        ("base_table_id", Uuid, K::R),
        ("base_table_name", text(), K::R),
        ("include_all_columns", Boolean, K::R),
        ("where_clause", text(), K::R),
    ]);
    vec![
        table(
            ks,
            "keyspaces",
            vec![
                kn(),
                ("durable_writes", Boolean, K::R),
                ("replication", map_tt(), K::R),
            ],
        ),
        table(ks, "tables", tables_cols),
        table(
            ks,
            "columns",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("column_name", text(), K::C(1)),
                ("clustering_order", text(), K::R),
                ("column_name_bytes", Blob, K::R),
                ("kind", text(), K::R),
                ("position", Int, K::R),
                ("type", text(), K::R),
            ],
        ),
        table(
            ks,
            "column_masks",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("column_name", text(), K::C(1)),
                (
                    "function_argument_nulls",
                    frozen(List(Box::new(Boolean))),
                    K::R,
                ),
                ("function_argument_types", list_t(), K::R),
                ("function_argument_values", list_t(), K::R),
                ("function_keyspace", text(), K::R),
                ("function_name", text(), K::R),
            ],
        ),
        table(
            ks,
            "dropped_columns",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("column_name", text(), K::C(1)),
                ("dropped_time", Timestamp, K::R),
                ("kind", text(), K::R),
                ("type", text(), K::R),
            ],
        ),
        table(
            ks,
            "triggers",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("trigger_name", text(), K::C(1)),
                ("options", map_tt(), K::R),
            ],
        ),
        table(ks, "views", views_cols),
        table(
            ks,
            "indexes",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("index_name", text(), K::C(1)),
                ("kind", text(), K::R),
                ("options", map_tt(), K::R),
            ],
        ),
        table(
            ks,
            "types",
            vec![
                kn(),
                ("type_name", text(), K::C(0)),
                ("field_names", list_t(), K::R),
                ("field_types", list_t(), K::R),
            ],
        ),
        table(
            ks,
            "functions",
            vec![
                kn(),
                ("function_name", text(), K::C(0)),
                ("argument_types", list_t(), K::C(1)),
                ("argument_names", list_t(), K::R),
                ("body", text(), K::R),
                ("called_on_null_input", Boolean, K::R),
                ("language", text(), K::R),
                ("return_type", text(), K::R),
            ],
        ),
        table(
            ks,
            "aggregates",
            vec![
                kn(),
                ("aggregate_name", text(), K::C(0)),
                ("argument_types", list_t(), K::C(1)),
                ("final_func", text(), K::R),
                ("initcond", text(), K::R),
                ("return_type", text(), K::R),
                ("state_func", text(), K::R),
                ("state_type", text(), K::R),
            ],
        ),
    ]
}

fn virtual_schema_tables() -> Vec<TableDef> {
    let ks = "system_virtual_schema";
    let kn = || ("keyspace_name", text(), K::P(0));
    vec![
        table(ks, "keyspaces", vec![kn()]),
        table(
            ks,
            "tables",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("comment", text(), K::R),
            ],
        ),
        table(
            ks,
            "columns",
            vec![
                kn(),
                ("table_name", text(), K::C(0)),
                ("column_name", text(), K::C(1)),
                ("clustering_order", text(), K::R),
                ("column_name_bytes", CqlType::Blob, K::R),
                ("kind", text(), K::R),
                ("position", CqlType::Int, K::R),
                ("type", text(), K::R),
            ],
        ),
    ]
}

/// All built-in keyspaces.
pub fn all() -> Vec<KeyspaceDef> {
    vec![
        keyspace("system", Replication::Local, system_tables(), false),
        keyspace("system_schema", Replication::Local, schema_tables(), false),
        keyspace("system_auth", simple("1"), vec![], false),
        keyspace("system_distributed", simple("3"), vec![], false),
        keyspace("system_traces", simple("2"), vec![], false),
        keyspace(
            "system_virtual_schema",
            Replication::Local,
            virtual_schema_tables(),
            true,
        ),
        keyspace("system_views", Replication::Local, vec![], true),
    ]
}
