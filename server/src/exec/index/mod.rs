//! Secondary indexes (docs/INDEXES.md): which restrictions an index serves (so that
//! Cassandra would not ask for ALLOW FILTERING), LIKE, and the index structures.
//!
//! Each index has a hidden storage table ([`layout`]) written with every base write
//! ([`entries`], from [`with_entries`]), filled from existing rows in the background
//! ([`build`]) and read by queries that restrict an indexed value by equality
//! ([`lookup`]; the read loop is `select::run::indexed`). Range and LIKE
//! restrictions, and indexes still building, are answered by a scan of the base
//! table that keeps the matching rows.

mod build;
mod entries;
mod layout;
mod lookup;
mod stale;

pub use build::{
    build_scan, built, is_built, mark_built, resume_all, scan_after, start as start_builds,
    write_order,
};
pub use entries::Indexed;
pub use layout::{decode_entry, partition_prefix, strip_value, token_bytes as token_prefix};
pub use lookup::{choose, Lookup, Slice};
pub use stale::{forget as forget_stale, superseded, StaleEntry};

use std::collections::HashMap;
use std::sync::Arc;

use storage::Mutation;

use cql::parser::ast::Operator;
use cql::types::CqlType;

use super::restrict::{Filter, KeyValues, Restrictions};
use super::TableRef;
use crate::error::RequestError;
use crate::schema::{IndexDef, PerVersion, Schema};

/// What an index is built on, parsed from its `target` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Simple,
    Keys,
    Values,
    Entries,
    Full,
}

/// The (column, target kind) of an index.
fn target(i: &IndexDef) -> (String, Target) {
    let t = i.target();
    let (kind, inner) = match t.split_once('(') {
        Some((k, rest)) if t.ends_with(')') => {
            let inner = rest.strip_suffix(')').unwrap_or(rest);
            let kind = match k {
                "keys" => Target::Keys,
                "values" => Target::Values,
                "entries" => Target::Entries,
                "full" => Target::Full,
                _ => Target::Simple,
            };
            (kind, inner)
        }
        _ => (Target::Simple, t),
    };
    let name = match inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => inner.to_string(),
    };
    (name, kind)
}

fn class_name(i: &IndexDef) -> &str {
    i.options
        .get("class_name")
        .map(String::as_str)
        .unwrap_or("")
}

fn is_sai(i: &IndexDef) -> bool {
    class_name(i).ends_with("StorageAttachedIndex")
}

fn is_sasi(i: &IndexDef) -> bool {
    class_name(i).ends_with("SASIIndex")
}

/// Whether index `i` answers filter `f` on table `t`.
fn serves(t: &TableRef, i: &IndexDef, f: &Filter) -> bool {
    let Some(col) = t.def.columns.get(f.column) else {
        return false;
    };
    let (name, kind) = target(i);
    if name != col.name {
        return false;
    }
    let frozen = matches!(col.typ, CqlType::Frozen(_));
    match (f.op, kind) {
        (Operator::Eq, Target::Entries) => f.map_key.is_some(),
        (_, _) if f.map_key.is_some() => false,
        (Operator::Eq, Target::Simple) => true,
        (Operator::Eq, Target::Full) => frozen,
        (Operator::Contains, Target::Values) => true,
        (Operator::ContainsKey, Target::Keys) => true,
        // SAI and SASI answer ranges on the column they index.
        (Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte, Target::Simple) => {
            is_sai(i) || is_sasi(i)
        }
        (Operator::Like, Target::Simple) => supports_like(i),
        _ => false,
    }
}

/// SASI in PREFIX or CONTAINS mode, and SAI, answer LIKE (SAI: like its analyzed
/// text indexes; Helenus matches the raw text, case-sensitively).
fn supports_like(i: &IndexDef) -> bool {
    is_sai(i) || (is_sasi(i) && i.options.get("mode").map(String::as_str) != Some("SPARSE"))
}

/// Whether every restriction that would need filtering is answered by an index, so
/// that the query needs no ALLOW FILTERING (Cassandra's rule: one indexed restriction
/// plus one filtered one still asks for it). Besides the filters, that covers the
/// key restrictions a scan has to check: `=` on some components of a composite
/// partition key, and `=` on clustering columns without the partition key.
pub fn served_by_index(t: &TableRef, r: &Restrictions) -> bool {
    let indexed = |col: Option<&usize>| {
        let Some(name) = col.and_then(|c| t.def.columns.get(*c)).map(|c| &c.name) else {
            return false;
        };
        t.def
            .indexes
            .iter()
            .any(|i| target(i) == (name.clone(), Target::Simple))
    };
    let mut anything = !r.filters.is_empty();
    if !r.pk_complete() {
        for (pos, v) in r.pk.iter().enumerate() {
            if let Some(v) = v {
                if !matches!(v, KeyValues::Eq(_)) || !indexed(t.def.partition_key.get(pos)) {
                    return false;
                }
                anything = true;
            }
        }
        if r.ck_slice.is_some() || r.ck_tuples.is_some() {
            return false;
        }
        for (pos, v) in r.ck_eq.iter().enumerate() {
            if !matches!(v, KeyValues::Eq(_)) || !indexed(t.def.clustering.get(pos)) {
                return false;
            }
            anything = true;
        }
    }
    anything
        && r.filters
            .iter()
            .all(|f| t.def.indexes.iter().any(|i| serves(t, i, f)))
}

/// LIKE needs an index that supports it, even with ALLOW FILTERING (Cassandra's
/// messages).
pub fn check_like(t: &TableRef, r: &Restrictions) -> Result<(), RequestError> {
    for f in r.filters.iter().filter(|f| f.op == Operator::Like) {
        let name = t
            .def
            .columns
            .get(f.column)
            .map(|c| c.name.as_str())
            .unwrap_or("");
        let on_column: Vec<&IndexDef> = t
            .def
            .indexes
            .iter()
            .filter(|i| target(i).0 == name)
            .collect();
        if on_column.is_empty() {
            return Err(RequestError::invalid(format!(
                "LIKE restriction is only supported on properly indexed columns. {name} LIKE '<term>' is not valid."
            )));
        }
        if !on_column.iter().any(|i| supports_like(i)) {
            return Err(RequestError::invalid(format!(
                "Index on column {name} does not support LIKE restrictions."
            )));
        }
    }
    Ok(())
}

/// `value LIKE pattern`: `%` at the start and/or end of the pattern is the only
/// wildcard (as SASI: prefix `abc%`, suffix `%abc`, contains `%abc%`, exact `abc`).
pub fn like_matches(value: &[u8], pattern: &[u8]) -> bool {
    let (starts, rest) = match pattern.strip_prefix(b"%") {
        Some(r) => (true, r),
        None => (false, pattern),
    };
    let (ends, needle) = match rest.strip_suffix(b"%") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    match (starts, ends) {
        (true, true) => needle.is_empty() || value.windows(needle.len()).any(|w| w == needle),
        (false, true) => value.starts_with(needle),
        (true, false) => value.ends_with(needle),
        (false, false) => value == needle,
    }
}

/// A LIKE pattern must have something besides wildcards (Cassandra rejects `%`).
pub fn check_like_pattern(pattern: &[u8]) -> Result<(), RequestError> {
    if pattern.iter().all(|b| *b == b'%') {
        return Err(RequestError::invalid(
            "LIKE value can't be empty or only contain wildcards",
        ));
    }
    Ok(())
}

/// The indexes of each table (by storage id) of one schema version.
type IndexMap = HashMap<storage::TableId, Vec<Indexed>>;

/// The last schema version's [`IndexMap`]: writes look their table up in it rather
/// than walking the schema.
static BY_TABLE: PerVersion<IndexMap> = PerVersion::new();

fn indexes_by_table(schema: &Schema) -> Arc<IndexMap> {
    BY_TABLE.get(schema, |schema| {
        let mut m = IndexMap::new();
        for t in schema.all_tables() {
            let specs: Vec<Indexed> = t
                .indexes
                .iter()
                .filter_map(|i| Indexed::new(t, i))
                .collect();
            if !specs.is_empty() {
                m.insert(storage::TableId(t.id), specs);
            }
        }
        m
    })
}

/// `muts` preceded by the index entries they imply, or `None` when no mutated table
/// has an index. Entries go first: a crash between the two leaves an entry without
/// its row (skipped at read time), never a row its index does not find.
pub fn with_entries(schema: &Schema, muts: &[Mutation]) -> Option<Vec<Mutation>> {
    let by_table = indexes_by_table(schema);
    if by_table.is_empty() {
        return None;
    }
    let mut entries = Vec::new();
    for m in muts {
        for spec in by_table.get(&m.table).into_iter().flatten() {
            spec.entries(m, &mut entries);
        }
    }
    if entries.is_empty() {
        return None;
    }
    let mut all = super::modify::merge_mutations(entries);
    all.extend_from_slice(muts);
    Some(all)
}

/// Writes the index entries of `muts` alone, ahead of a write that goes another way
/// (a lightweight transaction's Paxos commit). An entry whose write is then not
/// committed is stale, and skipped at read time.
pub fn write_entries(ctx: &super::ExecContext, muts: &[Mutation]) -> Result<(), RequestError> {
    let _order = write_order();
    let schema = ctx.schema.snapshot();
    let Some(all) = with_entries(&schema, muts) else {
        return Ok(());
    };
    let entries = all.len().saturating_sub(muts.len());
    for m in all.iter().take(entries) {
        ctx.engine.apply(m)?;
    }
    Ok(())
}

/// After CREATE INDEX: starts building the table's new index in the background.
pub fn after_create(
    ctx: &super::ExecContext,
    table: &cql::parser::ast::QualifiedName,
    current: Option<&str>,
) {
    let schema = ctx.schema.snapshot();
    let Ok(ks) = super::keyspace_of(table, current) else {
        return;
    };
    if let Some(t) = schema.table(ks, &table.name) {
        start_builds(&ctx.engine, t);
    }
}

/// After TRUNCATE emptied a table and its index tables: the empty indexes are
/// complete, which their meta partition (truncated too) must say again.
pub fn after_truncate(engine: &storage::Engine, schema: &Schema, table: storage::TableId) {
    for id in tables_of(schema, table) {
        if let Err(e) = mark_built(engine, id.0) {
            tracing::warn!(error = %e, "cannot record a truncated index as built");
        }
    }
}

/// The storage ids of table `t` and of its indexes' hidden tables (what nodetool
/// flush and compact act on, as Cassandra flushes index tables with their base).
pub fn with_index_tables(t: &crate::schema::TableDef) -> Vec<storage::TableId> {
    std::iter::once(storage::TableId(t.id))
        .chain(
            t.indexes
                .iter()
                .filter_map(|i| i.table_id.map(storage::TableId)),
        )
        .collect()
}

/// The hidden tables of `table`'s indexes (TRUNCATE empties them with it).
pub fn tables_of(schema: &Schema, table: storage::TableId) -> Vec<storage::TableId> {
    indexes_by_table(schema)
        .get(&table)
        .map(|v| v.iter().map(|i| i.table).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::like_matches;

    #[test]
    fn like_patterns_follow_sasi() {
        assert!(like_matches(b"helenus", b"hel%"));
        assert!(!like_matches(b"helenus", b"len%"));
        assert!(like_matches(b"helenus", b"%len%"));
        assert!(like_matches(b"helenus", b"%nus"));
        assert!(!like_matches(b"helenus", b"%nu"));
        assert!(like_matches(b"helenus", b"helenus"));
        assert!(!like_matches(b"helenus", b"helen"));
    }
}
