//! `system_schema.*` and `system_virtual_schema.*` rows, built from the schema in the
//! value formats drivers parse (system-tables.md sections 4-6): full class names in
//! maps, `flags` `{'compound'}`, `clustering_order` never null, `position` -1 for
//! regular and static columns, type strings in Cassandra's spelling.

use std::collections::BTreeMap;

use bytes::Bytes;
use cql::types::CqlValue;

use super::VirtualTable;
use crate::schema::types::type_name;
use crate::schema::{KeyspaceDef, Schema, TableDef, TableParams};

fn text(s: &str) -> CqlValue {
    CqlValue::Text(s.to_string())
}

fn text_map(m: &BTreeMap<String, String>) -> CqlValue {
    CqlValue::Map(m.iter().map(|(k, v)| (text(k), text(v))).collect())
}

fn text_list<'a>(items: impl IntoIterator<Item = &'a str>) -> CqlValue {
    CqlValue::List(items.into_iter().map(text).collect())
}

/// Keyspaces listed in `system_schema` (not the virtual ones).
fn listed(schema: &Schema) -> impl Iterator<Item = &KeyspaceDef> {
    schema.keyspaces.values().filter(|k| !k.is_virtual)
}

/// The option columns shared by `tables` and `views`.
fn options(p: &TableParams, id: uuid::Uuid, is_view: bool) -> Vec<(&'static str, CqlValue)> {
    let mut v = vec![
        ("additional_write_policy", text(&p.additional_write_policy)),
        (
            "bloom_filter_fp_chance",
            CqlValue::Double(p.bloom_filter_fp_chance),
        ),
        ("caching", text_map(&p.caching)),
        ("comment", text(&p.comment)),
        ("compaction", text_map(&p.compaction)),
        ("compression", text_map(&p.compression)),
        ("crc_check_chance", CqlValue::Double(p.crc_check_chance)),
        ("dclocal_read_repair_chance", CqlValue::Double(0.0)),
        (
            "default_time_to_live",
            CqlValue::Int(if is_view { 0 } else { p.default_time_to_live }),
        ),
        (
            "extensions",
            CqlValue::Map(
                p.extensions
                    .iter()
                    .map(|(k, v)| (text(k), CqlValue::Blob(Bytes::from(v.clone()))))
                    .collect(),
            ),
        ),
        ("gc_grace_seconds", CqlValue::Int(p.gc_grace_seconds)),
        ("id", CqlValue::Uuid(id)),
        (
            "incremental_backups",
            CqlValue::Boolean(p.incremental_backups),
        ),
        ("max_index_interval", CqlValue::Int(p.max_index_interval)),
        (
            "memtable_flush_period_in_ms",
            CqlValue::Int(p.memtable_flush_period_in_ms),
        ),
        ("min_index_interval", CqlValue::Int(p.min_index_interval)),
        ("read_repair", text(&p.read_repair)),
        ("read_repair_chance", CqlValue::Double(0.0)),
        ("speculative_retry", text(&p.speculative_retry)),
    ];
    // Cassandra writes these only when they differ from the default.
    if !p.allow_auto_snapshot {
        v.push(("allow_auto_snapshot", CqlValue::Boolean(false)));
    }
    if p.cdc {
        v.push(("cdc", CqlValue::Boolean(true)));
    }
    if p.memtable != "default" {
        v.push(("memtable", text(&p.memtable)));
    }
    v
}

fn column_rows(out: &mut VirtualTable, t: &TableDef) {
    for c in &t.columns {
        out.push(vec![
            ("keyspace_name", text(&t.keyspace)),
            ("table_name", text(&t.name)),
            ("column_name", text(&c.name)),
            ("clustering_order", text(c.kind.clustering_order())),
            (
                "column_name_bytes",
                CqlValue::Blob(Bytes::from(c.name.clone().into_bytes())),
            ),
            ("kind", text(c.kind.as_str())),
            ("position", CqlValue::Int(c.kind.position())),
            ("type", text(&type_name(&c.typ))),
        ]);
    }
}

pub(super) fn fill(table: &str, out: &mut VirtualTable, schema: &Schema) {
    for ks in listed(schema) {
        let kn = || ("keyspace_name", text(&ks.name));
        match table {
            "keyspaces" => out.push(vec![
                kn(),
                ("durable_writes", CqlValue::Boolean(ks.durable_writes)),
                ("replication", text_map(&ks.replication.as_map())),
            ]),
            "tables" => {
                for t in ks.tables.values() {
                    let mut row = vec![kn(), ("table_name", text(&t.name))];
                    row.extend(options(&t.params, t.id, false));
                    row.push((
                        "flags",
                        CqlValue::Set(t.flags().iter().map(|f| text(f)).collect()),
                    ));
                    out.push(row);
                }
            }
            "columns" => {
                // Tables and views together, ordered by name (the clustering order).
                let mut all: Vec<&TableDef> = ks.tables.values().chain(ks.views.values()).collect();
                all.sort_by(|a, b| a.name.cmp(&b.name));
                for t in all {
                    column_rows(out, t);
                }
            }
            "dropped_columns" => {
                for t in ks.tables.values() {
                    let mut dropped: Vec<_> = t.dropped.iter().collect();
                    dropped.sort_by(|a, b| a.name.cmp(&b.name));
                    for d in dropped {
                        out.push(vec![
                            kn(),
                            ("table_name", text(&t.name)),
                            ("column_name", text(&d.name)),
                            ("dropped_time", CqlValue::Timestamp(d.dropped_time / 1000)),
                            ("kind", text(d.kind.as_str())),
                            ("type", text(&type_name(&d.typ))),
                        ]);
                    }
                }
            }
            "indexes" => {
                for t in ks.tables.values() {
                    let mut idx: Vec<_> = t.indexes.iter().collect();
                    idx.sort_by(|a, b| a.name.cmp(&b.name));
                    for i in idx {
                        out.push(vec![
                            kn(),
                            ("table_name", text(&t.name)),
                            ("index_name", text(&i.name)),
                            ("kind", text(i.kind.as_str())),
                            ("options", text_map(&i.options)),
                        ]);
                    }
                }
            }
            "types" => {
                let mut types: Vec<_> = ks.types.iter().collect();
                types.sort_by(|a, b| a.name.cmp(&b.name));
                for u in types {
                    let names: Vec<String> = u.fields.iter().map(|f| f.name.clone()).collect();
                    let types: Vec<String> = u.fields.iter().map(|f| type_name(&f.typ)).collect();
                    out.push(vec![
                        kn(),
                        ("type_name", text(&u.name)),
                        ("field_names", text_list(names.iter().map(String::as_str))),
                        ("field_types", text_list(types.iter().map(String::as_str))),
                    ]);
                }
            }
            "views" => {
                for v in ks.views.values() {
                    let Some(def) = &v.view else { continue };
                    let mut row = vec![kn(), ("view_name", text(&v.name))];
                    row.extend(options(&v.params, v.id, true));
                    row.extend([
                        ("base_table_id", CqlValue::Uuid(def.base_table_id)),
                        ("base_table_name", text(&def.base_table_name)),
                        (
                            "include_all_columns",
                            CqlValue::Boolean(def.include_all_columns),
                        ),
                        ("where_clause", text(&def.where_clause)),
                    ]);
                    out.push(row);
                }
            }
            // No user-defined functions, aggregates, triggers or column masks: these
            // tables exist, empty.
            _ => {}
        }
    }
}

pub(super) fn fill_virtual(table: &str, out: &mut VirtualTable, schema: &Schema) {
    for ks in schema.keyspaces.values().filter(|k| k.is_virtual) {
        let kn = || ("keyspace_name", text(&ks.name));
        match table {
            "keyspaces" => out.push(vec![kn()]),
            "tables" => {
                for t in ks.tables.values() {
                    out.push(vec![
                        kn(),
                        ("table_name", text(&t.name)),
                        ("comment", text(&t.params.comment)),
                    ]);
                }
            }
            "columns" => {
                for t in ks.tables.values() {
                    column_rows(out, t);
                }
            }
            _ => {}
        }
    }
}
