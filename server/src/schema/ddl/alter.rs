//! ALTER TABLE: ADD, DROP (recorded in dropped columns), RENAME (primary key columns
//! only) and WITH options.

use super::{
    change_table, AlterTableAction, Ctx, QualifiedName, SchemaChange, SchemaChangeType, StorageOp,
};
use crate::schema::error::SchemaError;
use crate::schema::model::{ColumnDef, ColumnKind, DroppedColumn, TableDef};
use crate::schema::types::{resolve_type, type_name};

pub fn alter_table(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
    action: &AlterTableAction,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let Some(ks) = ctx.schema.keyspaces.get(&ks_name) else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Keyspace '{ks_name}' doesn't exist"
        )));
    };
    let Some(current) = ks.relation(&q.name) else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Table '{ks_name}.{}' doesn't exist",
            q.name
        )));
    };
    if current.view.is_some() {
        return Err(SchemaError::invalid(
            "Cannot use ALTER TABLE on a materialized view; use ALTER MATERIALIZED VIEW instead",
        ));
    }
    let has_views = ks.views.values().any(|v| {
        v.view
            .as_ref()
            .is_some_and(|d| d.base_table_id == current.id)
    });
    let mut t = current.clone();
    let full = format!("{ks_name}.{}", q.name);
    // Regular columns added: views selecting `*` get them too (Cassandra's AddColumns).
    let mut added_regular: Vec<ColumnDef> = Vec::new();
    // Key columns renamed: the views that use them follow (Cassandra's RenameColumns).
    let mut renamed: Vec<(String, String)> = Vec::new();
    match action {
        AlterTableAction::Add {
            columns,
            if_not_exists,
        } => {
            for (name, raw, is_static) in columns {
                if t.column(name).is_some() {
                    if *if_not_exists {
                        continue;
                    }
                    return Err(SchemaError::invalid(format!(
                        "Column with name '{name}' already exists"
                    )));
                }
                let typ = resolve_type(raw, &ks_name, Some(ks))?;
                if *is_static && t.clustering.is_empty() {
                    return Err(SchemaError::invalid(
                        "Static columns are only useful (and thus allowed) if the table has at least one clustering column",
                    ));
                }
                if typ.is_counter() && !t.is_counter {
                    return Err(SchemaError::invalid(format!(
                        "Cannot add a counter column ({name}) in a non counter column family"
                    )));
                }
                if !typ.is_counter() && t.is_counter {
                    return Err(SchemaError::invalid(format!(
                        "Cannot add a non counter column ({name}) in a counter column family"
                    )));
                }
                if let Some(d) = t.dropped.iter().find(|d| &d.name == name) {
                    if t.is_counter {
                        return Err(SchemaError::invalid(format!(
                            "Cannot re-add previously dropped counter column {name}"
                        )));
                    }
                    if d.typ != typ {
                        return Err(SchemaError::invalid(format!(
                            "Cannot re-add previously dropped column '{name}' of type {}, incompatible with previous type {}",
                            type_name(&typ),
                            type_name(&d.typ)
                        )));
                    }
                    if (d.kind == ColumnKind::Static) != *is_static {
                        let kind = |s: bool| if s { "STATIC" } else { "REGULAR" };
                        return Err(SchemaError::invalid(format!(
                            "Cannot re-add previously dropped column '{name}' of kind {}, incompatible with previous kind {}",
                            kind(*is_static),
                            kind(d.kind == ColumnKind::Static)
                        )));
                    }
                }
                let kind = if *is_static {
                    ColumnKind::Static
                } else {
                    ColumnKind::Regular
                };
                let col = ColumnDef {
                    name: name.clone(),
                    typ,
                    kind,
                    id: storage::ColumnId(t.next_column_id),
                };
                if !*is_static {
                    added_regular.push(col.clone());
                }
                t.columns.push(col);
                t.next_column_id += 1;
            }
        }
        AlterTableAction::Drop {
            columns,
            if_exists,
            timestamp,
        } => {
            for name in columns {
                let Some(col) = t.column(name).cloned() else {
                    if *if_exists {
                        continue;
                    }
                    return Err(SchemaError::invalid(format!(
                        "Column {name} was not found in table '{full}'"
                    )));
                };
                if col.kind.is_primary_key() {
                    return Err(SchemaError::invalid(format!(
                        "Cannot drop PRIMARY KEY column {name}"
                    )));
                }
                let dependent: Vec<&str> = t
                    .indexes
                    .iter()
                    .filter(|i| index_column(i.target()) == name.as_str())
                    .map(|i| i.name.as_str())
                    .collect();
                if !dependent.is_empty() {
                    return Err(SchemaError::invalid(format!(
                        "Cannot drop column {name} because it has dependent secondary indexes ({})",
                        dependent.join(", ")
                    )));
                }
                if has_views {
                    return Err(SchemaError::invalid(format!(
                        "Cannot drop column {name} on base table {} with materialized views",
                        t.name
                    )));
                }
                t.columns.retain(|c| &c.name != name);
                t.dropped.retain(|d| &d.name != name);
                t.dropped.push(DroppedColumn {
                    name: name.clone(),
                    typ: col.typ,
                    dropped_time: timestamp.unwrap_or(ctx.now_micros),
                    kind: col.kind,
                });
            }
        }
        AlterTableAction::Rename { renames, if_exists } => {
            for (from, to) in renames {
                let Some(col) = t.column(from).cloned() else {
                    if *if_exists {
                        continue;
                    }
                    return Err(SchemaError::invalid(format!(
                        "Column {from} was not found in table {full}"
                    )));
                };
                if !col.kind.is_primary_key() {
                    return Err(SchemaError::invalid(format!(
                        "Cannot rename non PRIMARY KEY column {from}"
                    )));
                }
                if t.column(to).is_some() {
                    return Err(SchemaError::invalid(format!(
                        "Cannot rename column {from} to {to} in table '{full}'; another column with that name already exists"
                    )));
                }
                if t.indexes
                    .iter()
                    .any(|i| index_column(i.target()) == from.as_str())
                {
                    return Err(SchemaError::invalid(format!(
                        "Cannot rename column {from} because it has dependent secondary indexes"
                    )));
                }
                if let Some(c) = t.columns.iter_mut().find(|c| &c.name == from) {
                    c.name = to.clone();
                }
                if has_views {
                    renamed.push((from.clone(), to.clone()));
                }
            }
        }
        AlterTableAction::With(props) => {
            if props.iter().any(|p| p.name.eq_ignore_ascii_case("id")) {
                return Err(SchemaError::config("Cannot alter table id."));
            }
            t.params.apply(props, false)?;
            if t.is_counter && t.params.default_time_to_live > 0 {
                return Err(SchemaError::invalid(
                    "Cannot set default_time_to_live on a table with counters",
                ));
            }
        }
        AlterTableAction::AlterColumnType { .. } => {
            return Err(SchemaError::invalid(
                "Altering column types is no longer supported",
            ));
        }
    }
    if !added_regular.is_empty() {
        add_to_wildcard_views(ctx, &ks_name, t.id, &added_regular);
    }
    if !renamed.is_empty() {
        rename_in_views(ctx, &ks_name, t.id, &renamed)?;
    }
    t.normalize();
    commit(ctx, &ks_name, t);
    Ok(Some(change_table(
        SchemaChangeType::Updated,
        &ks_name,
        &q.name,
    )))
}

/// The column an index target names: `c`, `keys(c)`, `"Quoted"` ...
pub fn index_column(target: &str) -> &str {
    let inner = target
        .split_once('(')
        .and_then(|(_, r)| r.strip_suffix(')'))
        .unwrap_or(target);
    inner.trim_matches('"')
}

/// The views of base `base_id` that select `*` get the base's new regular columns
/// (with ids of their own), as Cassandra's `ALTER TABLE ADD` does.
fn add_to_wildcard_views(ctx: &mut Ctx<'_>, ks: &str, base_id: uuid::Uuid, added: &[ColumnDef]) {
    let Some(k) = ctx.schema.keyspaces.get_mut(ks) else {
        return;
    };
    for view in k.views.values_mut() {
        let wildcard_of_base = view
            .view
            .as_ref()
            .is_some_and(|d| d.base_table_id == base_id && d.include_all_columns);
        if !wildcard_of_base {
            continue;
        }
        for c in added {
            if view.column(&c.name).is_some() {
                continue;
            }
            // Past every id in use (a view's first ids follow its base's positions).
            let id = view
                .columns
                .iter()
                .map(|c| c.id.0 + 1)
                .max()
                .unwrap_or(0)
                .max(view.next_column_id);
            view.columns.push(ColumnDef {
                id: storage::ColumnId(id),
                ..c.clone()
            });
            view.next_column_id = id + 1;
        }
        view.normalize();
        ctx.ops.push(StorageOp::Alter(view.clone()));
    }
}

/// Renames base key columns in the views of base `base_id` that include them, in
/// their columns and in their WHERE clause (`withRenamedPrimaryKeyColumn`).
fn rename_in_views(
    ctx: &mut Ctx<'_>,
    ks: &str,
    base_id: uuid::Uuid,
    renamed: &[(String, String)],
) -> Result<(), SchemaError> {
    let Some(k) = ctx.schema.keyspaces.get_mut(ks) else {
        return Ok(());
    };
    for view in k.views.values_mut() {
        let Some(def) = view.view.as_mut().filter(|d| d.base_table_id == base_id) else {
            continue;
        };
        def.where_clause = rename_in_where(&def.where_clause, renamed)?;
        for (from, to) in renamed {
            if let Some(c) = view.columns.iter_mut().find(|c| &c.name == from) {
                c.name = to.clone();
            }
        }
        view.normalize();
        ctx.ops.push(StorageOp::Alter(view.clone()));
    }
    Ok(())
}

/// A view's WHERE clause text with columns renamed (parsed, renamed, printed again).
fn rename_in_where(text: &str, renamed: &[(String, String)]) -> Result<String, SchemaError> {
    use cql::parser::ast::{Relation, Statement};
    if text.is_empty() {
        return Ok(String::new());
    }
    let Ok(Statement::Select(sel)) =
        cql::parser::parse_statement(&format!("SELECT * FROM t WHERE {text}"))
    else {
        return Err(SchemaError::invalid(format!(
            "Cannot parse the materialized view WHERE clause '{text}'"
        )));
    };
    let rename = |c: &mut String| {
        if let Some((_, to)) = renamed.iter().find(|(from, _)| from == c) {
            *c = to.clone();
        }
    };
    let mut rels = sel.where_clause;
    for r in &mut rels {
        match r {
            Relation::Simple { column, .. }
            | Relation::In { column, .. }
            | Relation::NotIn { column, .. }
            | Relation::IsNotNull { column }
            | Relation::MapElement { column, .. } => rename(column),
            Relation::MultiColumn { columns, .. }
            | Relation::MultiColumnIn { columns, .. }
            | Relation::Token { columns, .. } => columns.iter_mut().for_each(rename),
        }
    }
    Ok(rels
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(" AND "))
}

fn commit(ctx: &mut Ctx<'_>, ks: &str, t: TableDef) {
    ctx.ops.push(StorageOp::Alter(t.clone()));
    if let Some(k) = ctx.schema.keyspaces.get_mut(ks) {
        k.tables.insert(t.name.clone(), t);
    }
}
