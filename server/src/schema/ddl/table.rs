//! CREATE TABLE and DROP TABLE.

use std::collections::HashSet;

use cql::types::CqlType;
use uuid::Uuid;

use super::{
    change_table, validate_name, CreateTable, Ctx, QualifiedName, SchemaChange, SchemaChangeType,
    StorageOp,
};
use crate::schema::error::SchemaError;
use crate::schema::model::{ColumnDef, ColumnKind, Order, TableDef};
use crate::schema::params::TableParams;
use crate::schema::types::{resolve_type, type_name};

fn shown(q: &QualifiedName) -> String {
    match &q.keyspace {
        Some(k) => format!("{k}.{}", q.name),
        None => q.name.clone(),
    }
}

/// Checks that a primary key column's type can be a key component.
pub fn check_key_type(column: &str, t: &CqlType) -> Result<(), SchemaError> {
    if t.is_counter() {
        return Err(SchemaError::invalid(format!(
            "counter type is not supported for PRIMARY KEY column '{column}'"
        )));
    }
    if matches!(t, CqlType::Duration) {
        return Err(SchemaError::invalid(format!(
            "duration type is not supported for PRIMARY KEY column '{column}'"
        )));
    }
    match t {
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(_, _) => {
            Err(SchemaError::invalid(format!(
                "Invalid non-frozen collection type {} for PRIMARY KEY column '{column}'",
                type_name(t)
            )))
        }
        CqlType::Udt(_) => Err(SchemaError::invalid(format!(
            "Invalid non-frozen user-defined type \"{}\" for PRIMARY KEY column '{column}'",
            type_name(t)
        ))),
        _ => Ok(()),
    }
}

pub fn create(ctx: &mut Ctx<'_>, ct: &CreateTable) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(&ct.table)?;
    let name = ct.table.name.clone();
    let full = shown(&ct.table);
    validate_name("Table", &name)?;
    ctx.check_writable(&ks_name)?;
    let ks = ctx.existing_keyspace(&ks_name)?;
    if ct.compact_storage {
        return Err(SchemaError::invalid(
            "Compact tables are not allowed in Cassandra starting with 4.0 version.",
        ));
    }
    if ks.relation(&name).is_some() {
        if ct.if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::table_exists(&ks_name, &name));
    }

    // Exactly one PRIMARY KEY declaration, inline or as a clause.
    let inline: Vec<&str> = ct
        .columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.as_str())
        .collect();
    if inline.len() + ct.primary_keys.len() > 1 {
        return Err(SchemaError::invalid(format!(
            "Multiple PRIMARY KEY specified for table '{full}' (exactly one required)"
        )));
    }
    let (partition, clustering): (Vec<String>, Vec<String>) =
        match (inline.first(), ct.primary_keys.first()) {
            (Some(k), None) => (vec![k.to_string()], vec![]),
            (None, Some(pk)) => (pk.partition.clone(), pk.clustering.clone()),
            _ => {
                return Err(SchemaError::invalid(format!(
                    "No PRIMARY KEY specifed for table '{full}' (exactly one required)"
                )))
            }
        };
    if partition.is_empty() {
        return Err(SchemaError::invalid(format!(
            "No PRIMARY KEY specifed for table '{full}' (exactly one required)"
        )));
    }

    let mut seen = HashSet::new();
    for c in &ct.columns {
        if !seen.insert(c.name.as_str()) {
            return Err(SchemaError::invalid(format!(
                "Duplicate column '{}' declaration for table '{full}'",
                c.name
            )));
        }
    }
    let mut in_key = HashSet::new();
    for k in partition.iter().chain(&clustering) {
        if !seen.contains(k.as_str()) {
            return Err(SchemaError::invalid(format!(
                "Unknown column '{k}' referenced in PRIMARY KEY for table '{full}'"
            )));
        }
        if !in_key.insert(k.as_str()) {
            return Err(SchemaError::invalid(format!(
                "Duplicate column '{k}' in PRIMARY KEY clause for table '{full}'"
            )));
        }
    }

    // CLUSTERING ORDER BY names clustering columns, in key order.
    for (i, (c, _)) in ct.clustering_order.iter().enumerate() {
        if !clustering.contains(c) {
            return Err(SchemaError::invalid(format!(
                "Only clustering key columns can be defined in CLUSTERING ORDER directive: {c} is not a clustering column"
            )));
        }
        if clustering.get(i) != Some(c) {
            return Err(SchemaError::invalid(
                "Clustering key columns must exactly match columns in CLUSTERING ORDER BY directive",
            ));
        }
    }

    let mut columns = Vec::with_capacity(ct.columns.len());
    let mut has_counter = false;
    let mut has_non_counter = false;
    for (id, c) in ct.columns.iter().enumerate() {
        let typ = resolve_type(&c.typ, &ks_name, Some(ks))?;
        let kind = if let Some(p) = partition.iter().position(|k| k == &c.name) {
            ColumnKind::PartitionKey(p as u16)
        } else if let Some(p) = clustering.iter().position(|k| k == &c.name) {
            let order = ct
                .clustering_order
                .iter()
                .find(|(n, _)| n == &c.name)
                .map(|(_, o)| *o)
                .unwrap_or(Order::Asc);
            ColumnKind::Clustering(p as u16, order)
        } else if c.is_static {
            ColumnKind::Static
        } else {
            ColumnKind::Regular
        };
        if kind.is_primary_key() {
            if c.is_static {
                return Err(SchemaError::invalid(format!(
                    "Static column '{}' cannot be part of the PRIMARY KEY",
                    c.name
                )));
            }
            check_key_type(&c.name, &typ)?;
        } else if typ.is_counter() {
            has_counter = true;
        } else {
            has_non_counter = true;
        }
        if kind == ColumnKind::Static && clustering.is_empty() {
            return Err(SchemaError::invalid(
                "Static columns are only useful (and thus allowed) if the table has at least one clustering column",
            ));
        }
        columns.push(ColumnDef {
            name: c.name.clone(),
            typ,
            kind,
            id: storage::ColumnId(id as u32),
        });
    }
    if has_counter && has_non_counter {
        return Err(SchemaError::invalid(
            "Cannot mix counter and non counter columns in the same table",
        ));
    }

    // `WITH ID = <uuid>` recreates a table under its old id (DESCRIBE ... WITH
    // INTERNALS prints it), so existing data files belong to it again.
    let mut id = None;
    let mut props = Vec::with_capacity(ct.properties.len());
    for p in &ct.properties {
        if p.name.eq_ignore_ascii_case("id") {
            let text = match &p.value {
                crate::schema::params::PropertyValue::Simple(v) => v.as_str(),
                crate::schema::params::PropertyValue::Map(_) => "",
            };
            let parsed = Uuid::parse_str(text.trim())
                .map_err(|_| SchemaError::config(format!("Invalid table id {text}")))?;
            if ctx.schema.all_tables().any(|t| t.id == parsed) {
                return Err(SchemaError::config(format!(
                    "Table id {parsed} is already used"
                )));
            }
            id = Some(parsed);
        } else {
            props.push(p.clone());
        }
    }
    let mut params = TableParams::default();
    params.apply(&props, false)?;
    if has_counter && params.default_time_to_live > 0 {
        return Err(SchemaError::invalid(
            "Cannot set default_time_to_live on a table with counters",
        ));
    }

    let next_column_id = columns.len() as u32;
    let mut table = TableDef {
        keyspace: ks_name.clone(),
        name: name.clone(),
        id: id.unwrap_or_else(Uuid::new_v4),
        columns,
        partition_key: vec![],
        clustering: vec![],
        params,
        is_counter: has_counter,
        dropped: vec![],
        indexes: vec![],
        view: None,
        next_column_id,
    };
    table.normalize();
    ctx.ops.push(StorageOp::Create(table.clone()));
    if let Some(ks) = ctx.schema.keyspaces.get_mut(&ks_name) {
        ks.tables.insert(name.clone(), table);
    }
    Ok(Some(change_table(
        SchemaChangeType::Created,
        &ks_name,
        &name,
    )))
}

pub fn drop(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let ks = ctx.schema.keyspaces.get(&ks_name);
    let Some(table) = ks.and_then(|k| k.relation(&q.name)) else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Table '{ks_name}.{}' doesn't exist",
            q.name
        )));
    };
    if table.view.is_some() {
        return Err(SchemaError::invalid(
            "Cannot use DROP TABLE on a materialized view. Please use DROP MATERIALIZED VIEW instead.",
        ));
    }
    let dependents: Vec<String> = ks
        .map(|k| {
            k.views
                .values()
                .filter(|v| v.view.as_ref().is_some_and(|d| d.base_table_id == table.id))
                .map(|v| v.name.clone())
                .collect()
        })
        .unwrap_or_default();
    if !dependents.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Cannot drop a table when materialized views still depend on it ({ks_name}.{{{}}})",
            dependents.join(", ")
        )));
    }
    let table = table.clone();
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.tables.remove(&q.name);
    }
    ctx.ops.push(StorageOp::Drop(table));
    Ok(Some(change_table(
        SchemaChangeType::Dropped,
        &ks_name,
        &q.name,
    )))
}
