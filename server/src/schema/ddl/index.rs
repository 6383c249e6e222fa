//! CREATE / DROP INDEX and CREATE / DROP MATERIALIZED VIEW. Both are stored and listed
//! in `system_schema`; maintaining their contents is the executor's job.

use std::collections::BTreeMap;

use cql::types::CqlType;
use uuid::Uuid;

use super::table::check_key_type;
use super::{
    change_table, validate_name, CreateIndex, CreateView, Ctx, IndexTargetKind, QualifiedName,
    SchemaChange, SchemaChangeType, StorageOp,
};
use crate::schema::error::SchemaError;
use crate::schema::model::{ColumnDef, ColumnKind, IndexDef, IndexKind, Order, TableDef, ViewDef};
use crate::schema::params::TableParams;
use crate::schema::types::quote_ident;

fn custom_class(c: &str) -> String {
    match c {
        "StorageAttachedIndex" | "sai" | "SAI" => {
            "org.apache.cassandra.index.sai.StorageAttachedIndex".into()
        }
        "SASIIndex" => "org.apache.cassandra.index.sasi.SASIIndex".into(),
        other => other.to_string(),
    }
}

pub fn create_index(
    ctx: &mut Ctx<'_>,
    ci: &CreateIndex,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(&ci.table)?;
    ctx.check_writable(&ks_name)?;
    let ks = ctx.existing_keyspace(&ks_name)?;
    let table = ks.relation(&ci.table.name).ok_or_else(|| {
        SchemaError::invalid(format!("Table '{ks_name}.{}' doesn't exist", ci.table.name))
    })?;
    if table.view.is_some() {
        return Err(SchemaError::invalid(
            "Secondary indexes are not supported on materialized views",
        ));
    }
    if table.is_counter {
        return Err(SchemaError::invalid(
            "Secondary indexes are not supported on counter tables",
        ));
    }
    let col = table
        .column(&ci.column)
        .ok_or_else(|| SchemaError::invalid(format!("Column '{}' doesn't exist", ci.column)))?;
    if matches!(col.kind, ColumnKind::PartitionKey(_)) && table.partition_key.len() == 1 {
        return Err(SchemaError::invalid(format!(
            "Cannot create secondary index on the only partition key column {}",
            ci.column
        )));
    }
    let is_map = matches!(col.typ.unfrozen(), CqlType::Map(..));
    let frozen = matches!(col.typ, CqlType::Frozen(_));
    let collection = matches!(
        col.typ.unfrozen(),
        CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..)
    );
    let q = quote_ident(&ci.column);
    let target = match ci.target {
        IndexTargetKind::Full if !frozen => {
            return Err(SchemaError::invalid("full() indexes can only be created on frozen collections"))
        }
        IndexTargetKind::Keys | IndexTargetKind::Entries if !is_map || frozen => {
            let what = if ci.target == IndexTargetKind::Keys { "keys" } else { "entries" };
            return Err(SchemaError::invalid(format!(
                "Cannot create index on {what} of column {} with non-map type",
                ci.column
            )));
        }
        IndexTargetKind::Values if !collection || frozen => {
            return Err(SchemaError::invalid(format!(
                "Cannot create index on values() of column {}; it is not a non-frozen collection",
                ci.column
            )))
        }
        IndexTargetKind::Simple if frozen && collection => {
            return Err(SchemaError::invalid(format!(
                "Cannot create values() index on frozen column {}. Frozen collections are immutable and must be fully indexed by using the 'full({})' modifier",
                ci.column, ci.column
            )))
        }
        IndexTargetKind::Simple if collection => format!("values({q})"),
        IndexTargetKind::Simple => q,
        IndexTargetKind::Keys => format!("keys({q})"),
        IndexTargetKind::Values => format!("values({q})"),
        IndexTargetKind::Entries => format!("entries({q})"),
        IndexTargetKind::Full => format!("full({q})"),
    };
    let name = match &ci.name {
        Some(n) => n.clone(),
        None => {
            let base = format!("{}_{}_idx", ci.table.name, ci.column)
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>();
            let mut n = base.clone();
            let mut i = 1;
            while ks.index(&n).is_some() {
                n = format!("{base}_{i}");
                i += 1;
            }
            n
        }
    };
    validate_name("Index", &name)?;
    if ks.index(&name).is_some() {
        if ci.if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Index '{name}' already exists"
        )));
    }
    if ks.relation(&name).is_some() {
        return Err(SchemaError::invalid(format!(
            "Index {name} cannot be created, because table {name} already exists"
        )));
    }
    let mut options: BTreeMap<String, String> = ci.options.iter().cloned().collect();
    let kind = match &ci.custom_class {
        Some(c) => {
            options.insert("class_name".into(), custom_class(c));
            IndexKind::Custom
        }
        None => {
            if !options.is_empty() {
                return Err(SchemaError::invalid(
                    "Cannot specify options for a non-CUSTOM index",
                ));
            }
            IndexKind::Composites
        }
    };
    if let Some(existing) = table
        .indexes
        .iter()
        .find(|i| i.options.get("target") == Some(&target) && i.kind == kind)
    {
        if ci.if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Index {name} is a duplicate of existing index {}",
            existing.name
        )));
    }
    options.insert("target".into(), target);
    let mut t = table.clone();
    // The Alter op below creates the index's hidden table (storage_glue).
    t.indexes.push(IndexDef {
        name,
        kind,
        options,
        table_id: Some(Uuid::new_v4()),
    });
    let tname = t.name.clone();
    ctx.ops.push(StorageOp::Alter(t.clone()));
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.tables.insert(tname.clone(), t);
    }
    Ok(Some(change_table(
        SchemaChangeType::Updated,
        &ks_name,
        &tname,
    )))
}

pub fn drop_index(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let found = ctx
        .schema
        .keyspaces
        .get(&ks_name)
        .and_then(|k| k.index(&q.name))
        .map(|(t, _)| t.clone());
    let Some(mut t) = found else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Index '{ks_name}.{}' doesn't exist",
            q.name
        )));
    };
    let hidden = t
        .indexes
        .iter()
        .find(|i| i.name == q.name)
        .and_then(|i| i.storage_table(&t));
    t.indexes.retain(|i| i.name != q.name);
    let tname = t.name.clone();
    ctx.ops.push(StorageOp::Alter(t.clone()));
    if let Some(h) = hidden {
        ctx.ops.push(StorageOp::Drop(h));
    }
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.tables.insert(tname.clone(), t);
    }
    Ok(Some(change_table(
        SchemaChangeType::Updated,
        &ks_name,
        &tname,
    )))
}

pub fn create_view(
    ctx: &mut Ctx<'_>,
    cv: &CreateView,
) -> Result<Option<SchemaChange>, SchemaError> {
    if !ctx.materialized_views_enabled {
        return Err(SchemaError::invalid(
            "Materialized views are disabled. Enable in cassandra.yaml to use.",
        ));
    }
    let ks_name = ctx.keyspace_of(&cv.name)?;
    let base_ks = ctx.keyspace_of(&cv.base)?;
    if base_ks != ks_name {
        return Err(SchemaError::invalid(
            "Cannot create a materialized view on a table in a different keyspace",
        ));
    }
    validate_name("Materialized view", &cv.name.name)?;
    ctx.check_writable(&ks_name)?;
    let ks = ctx.existing_keyspace(&ks_name)?;
    let base = ks.relation(&cv.base.name).ok_or_else(|| {
        SchemaError::invalid(format!("Table '{ks_name}.{}' doesn't exist", cv.base.name))
    })?;
    if base.view.is_some() {
        return Err(SchemaError::invalid(
            "Materialized views cannot be created against other materialized views",
        ));
    }
    if base.is_counter {
        return Err(SchemaError::invalid(
            "Materialized views are not supported on counter tables",
        ));
    }
    if ks.relation(&cv.name.name).is_some() {
        if cv.if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::table_exists(&ks_name, &cv.name.name));
    }
    let key: Vec<&String> = cv.partition.iter().chain(&cv.clustering).collect();
    for c in key.iter().copied().chain(&cv.columns) {
        let col = base.column(c).ok_or_else(|| {
            SchemaError::invalid(format!(
                "Unknown column name detected in CREATE MATERIALIZED VIEW statement: {c}"
            ))
        })?;
        if col.kind == ColumnKind::Static {
            return Err(SchemaError::invalid(format!(
                "Cannot include static column '{c}' in materialized view {}",
                cv.name.name
            )));
        }
    }
    if cv.columns.is_empty() {
        if let Some(s) = base.columns.iter().find(|c| c.kind == ColumnKind::Static) {
            return Err(SchemaError::invalid(format!(
                "Cannot include static column '{}' in materialized view {}",
                s.name, cv.name.name
            )));
        }
    }
    let missing: Vec<&str> = base
        .partition_key_columns()
        .chain(base.clustering_columns())
        .filter(|c| !key.contains(&&c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Cannot create materialized view {} without primary key columns {} from base {}",
            cv.name.name,
            missing.join(", "),
            base.name
        )));
    }
    let non_pk: Vec<&str> = key
        .iter()
        .filter(|c| base.column(c).is_some_and(|d| !d.kind.is_primary_key()))
        .map(|c| c.as_str())
        .collect();
    if non_pk.len() > 1 {
        return Err(SchemaError::invalid(format!(
            "Cannot include more than one non-primary key column in materialized view primary key (got {})",
            non_pk.join(", ")
        )));
    }
    if cv.token_relation {
        return Err(SchemaError::invalid(
            "Cannot use token relation when defining a materialized view",
        ));
    }
    let unrestricted: Vec<&str> = key
        .iter()
        .filter(|c| !cv.not_null_columns.contains(c) && !cv.restricted_columns.contains(c))
        .map(|c| c.as_str())
        .collect();
    if !unrestricted.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Primary key columns {} must be restricted with 'IS NOT NULL' or otherwise",
            unrestricted.join(", ")
        )));
    }
    // CASSANDRA-13798: a filter on a regular column would let a base row leave the
    // view without its view row being deleted.
    let mut illegal: Vec<&str> = Vec::new();
    for c in &cv.restricted_columns {
        if base.column(c).is_some_and(|d| !d.kind.is_primary_key())
            && !illegal.contains(&c.as_str())
        {
            illegal.push(c);
        }
    }
    if !illegal.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Non-primary key columns can only be restricted with 'IS NOT NULL' (got: {} restricted illegally)",
            illegal.join(",")
        )));
    }
    let mut columns = Vec::new();
    for (id, c) in base.columns.iter().enumerate() {
        let kind = if let Some(p) = cv.partition.iter().position(|k| k == &c.name) {
            ColumnKind::PartitionKey(p as u16)
        } else if let Some(p) = cv.clustering.iter().position(|k| k == &c.name) {
            let o = cv
                .clustering_order
                .iter()
                .find(|(n, _)| n == &c.name)
                .map(|(_, o)| *o);
            ColumnKind::Clustering(p as u16, o.unwrap_or(Order::Asc))
        } else if cv.columns.is_empty() || cv.columns.contains(&c.name) {
            ColumnKind::Regular
        } else {
            continue;
        };
        if kind.is_primary_key() {
            check_key_type(&c.name, &c.typ)?;
        }
        columns.push(ColumnDef {
            name: c.name.clone(),
            typ: c.typ.clone(),
            kind,
            id: storage::ColumnId(id as u32),
        });
    }
    let mut params = TableParams::default();
    params.apply(&cv.properties, true)?;
    let next_column_id = columns.len() as u32;
    let mut view = TableDef {
        keyspace: ks_name.clone(),
        name: cv.name.name.clone(),
        id: Uuid::new_v4(),
        columns,
        partition_key: vec![],
        clustering: vec![],
        params,
        is_counter: false,
        dropped: vec![],
        indexes: vec![],
        view: Some(ViewDef {
            base_table_id: base.id,
            base_table_name: base.name.clone(),
            where_clause: cv.where_clause.clone(),
            include_all_columns: cv.columns.is_empty(),
        }),
        next_column_id,
    };
    view.normalize();
    ctx.ops.push(StorageOp::Create(view.clone()));
    let name = view.name.clone();
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.views.insert(name.clone(), view);
    }
    Ok(Some(change_table(
        SchemaChangeType::Created,
        &ks_name,
        &name,
    )))
}

pub fn drop_view(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let removed = ctx
        .schema
        .keyspaces
        .get_mut(&ks_name)
        .and_then(|k| k.views.remove(&q.name));
    let Some(view) = removed else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Materialized view '{ks_name}.{}' doesn't exist",
            q.name
        )));
    };
    ctx.ops.push(StorageOp::Drop(view));
    Ok(Some(change_table(
        SchemaChangeType::Dropped,
        &ks_name,
        &q.name,
    )))
}

pub fn alter_view(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
    properties: &[crate::schema::params::Property],
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let found = ctx
        .schema
        .keyspaces
        .get(&ks_name)
        .and_then(|k| k.views.get(&q.name))
        .cloned();
    let Some(mut view) = found else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Materialized view '{ks_name}.{}' doesn't exist",
            q.name
        )));
    };
    view.params.apply(properties, true)?;
    ctx.ops.push(StorageOp::Alter(view.clone()));
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.views.insert(q.name.clone(), view);
    }
    Ok(Some(change_table(
        SchemaChangeType::Updated,
        &ks_name,
        &q.name,
    )))
}
