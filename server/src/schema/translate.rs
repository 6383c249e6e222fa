//! From the parser's AST (`cql::parser::ast`) to the schema's DDL statements. The
//! parser keeps what the text said; this module makes the first semantic cuts (what
//! this server refuses outright, such as column masks or user-defined functions) with
//! Cassandra's messages where Cassandra has one.

use cql::parser::ast;
use cql::types::CqlType;

use super::ddl::{
    AlterTableAction, AlterTypeAction, ColumnDecl, CreateIndex, CreateTable, CreateView,
    DdlStatement, IndexTargetKind, PrimaryKeyDecl, QualifiedName,
};
use super::error::SchemaError;
use super::model::{Order, Schema};
use super::params::{Property, PropertyValue};
use super::types::{resolve_type, RawType};

/// Whether `stmt` is one [`to_ddl`] handles (schema-changing).
pub fn is_ddl(stmt: &ast::Statement) -> bool {
    use ast::Statement as S;
    matches!(
        stmt,
        S::CreateKeyspace(_)
            | S::AlterKeyspace(_)
            | S::DropKeyspace(_)
            | S::CreateTable(_)
            | S::AlterTable(_)
            | S::DropTable(_)
            | S::CreateType(_)
            | S::AlterType(_)
            | S::DropType(_)
            | S::CreateIndex(_)
            | S::DropIndex(_)
            | S::CreateMaterializedView(_)
            | S::AlterMaterializedView(_)
            | S::DropMaterializedView(_)
            | S::CreateFunction(_)
            | S::DropFunction(_)
            | S::CreateAggregate(_)
            | S::DropAggregate(_)
            | S::CreateTrigger(_)
            | S::DropTrigger(_)
    )
}

fn qn(q: &ast::QualifiedName) -> QualifiedName {
    QualifiedName {
        keyspace: q.keyspace.clone(),
        name: q.name.clone(),
    }
}

fn props(opts: &ast::Options) -> Vec<Property> {
    opts.iter()
        .map(|(name, v)| Property {
            name: name.clone(),
            value: match v {
                ast::OptionValue::Map(m) => PropertyValue::Map(m.clone()),
                other => PropertyValue::Simple(other.as_text().unwrap_or_default().to_string()),
            },
        })
        .collect()
}

/// The parser's type, with user types still unresolved.
pub fn raw_type(t: &ast::RawType) -> RawType {
    let b = |t: &ast::RawType| Box::new(raw_type(t));
    match t {
        ast::RawType::Native(CqlType::Custom(c)) => RawType::Custom(c.clone()),
        ast::RawType::Native(n) => RawType::Native(super::types::type_name(n)),
        ast::RawType::List(e) => RawType::List(b(e)),
        ast::RawType::Set(e) => RawType::Set(b(e)),
        ast::RawType::Map(k, v) => RawType::Map(b(k), b(v)),
        ast::RawType::Tuple(items) => RawType::Tuple(items.iter().map(raw_type).collect()),
        ast::RawType::Frozen(e) => RawType::Frozen(b(e)),
        ast::RawType::Vector(e, n) => RawType::Vector(b(e), *n),
        ast::RawType::UserDefined(q) => RawType::User {
            keyspace: q.keyspace.clone(),
            name: q.name.clone(),
        },
    }
}

/// Resolves a parsed type for a statement on `keyspace` (type hints, casts, ...).
pub fn resolve_ast_type(
    t: &ast::RawType,
    keyspace: &str,
    schema: &Schema,
) -> Result<CqlType, SchemaError> {
    resolve_type(&raw_type(t), keyspace, schema.keyspace(keyspace))
}

fn order(o: ast::Order) -> Order {
    match o {
        ast::Order::Asc => Order::Asc,
        ast::Order::Desc => Order::Desc,
    }
}

fn no_mask(c: &ast::ColumnDef) -> Result<(), SchemaError> {
    if c.mask.is_some() {
        return Err(SchemaError::invalid(
            "Dynamic data masking is not supported by this server",
        ));
    }
    Ok(())
}

/// Helenus never runs user code: no UDF/UDA sandbox, no trigger classes
/// (docs/FUNCTIONS.md says why).
fn udf_disabled() -> SchemaError {
    SchemaError::invalid(
        "User-defined functions are disabled: Helenus does not run user code (see docs/FUNCTIONS.md)",
    )
}

/// The DDL statement for a parsed schema statement.
pub fn to_ddl(stmt: &ast::Statement) -> Result<DdlStatement, SchemaError> {
    use ast::Statement as S;
    Ok(match stmt {
        S::CreateKeyspace(c) => DdlStatement::CreateKeyspace {
            name: c.name.clone(),
            if_not_exists: c.if_not_exists,
            properties: props(&c.options),
        },
        S::AlterKeyspace(a) => DdlStatement::AlterKeyspace {
            name: a.name.clone(),
            if_exists: a.if_exists,
            properties: props(&a.options),
        },
        S::DropKeyspace(d) => DdlStatement::DropKeyspace {
            name: d.name.clone(),
            if_exists: d.if_exists,
        },
        S::CreateTable(c) => {
            let mut columns = Vec::with_capacity(c.columns.len());
            for col in &c.columns {
                no_mask(col)?;
                columns.push(ColumnDecl {
                    name: col.name.clone(),
                    typ: raw_type(&col.typ),
                    is_static: col.is_static,
                    primary_key: false,
                });
            }
            let decl = PrimaryKeyDecl {
                partition: c.partition_key.clone(),
                clustering: c.clustering_key.clone(),
            };
            DdlStatement::CreateTable(CreateTable {
                table: qn(&c.name),
                if_not_exists: c.if_not_exists,
                columns,
                primary_keys: vec![decl; c.primary_key_count],
                clustering_order: c
                    .clustering_order
                    .iter()
                    .map(|(n, o)| (n.clone(), order(*o)))
                    .collect(),
                compact_storage: c.compact_storage,
                properties: props(&c.options),
            })
        }
        S::AlterTable(a) => {
            let action = match &a.action {
                ast::AlterTableAction::Add {
                    if_not_exists,
                    columns,
                } => {
                    let mut cols = Vec::new();
                    for c in columns {
                        no_mask(c)?;
                        cols.push((c.name.clone(), raw_type(&c.typ), c.is_static));
                    }
                    AlterTableAction::Add {
                        columns: cols,
                        if_not_exists: *if_not_exists,
                    }
                }
                ast::AlterTableAction::Drop {
                    if_exists,
                    columns,
                    timestamp,
                } => {
                    let timestamp = match timestamp {
                        None => None,
                        Some(l) => Some(l.text.parse::<i64>().map_err(|_| {
                            SchemaError::invalid(format!("Invalid timestamp {}", l.text))
                        })?),
                    };
                    AlterTableAction::Drop {
                        columns: columns.clone(),
                        if_exists: *if_exists,
                        timestamp,
                    }
                }
                ast::AlterTableAction::Rename { if_exists, renames } => AlterTableAction::Rename {
                    renames: renames.clone(),
                    if_exists: *if_exists,
                },
                ast::AlterTableAction::With(o) => AlterTableAction::With(props(o)),
                ast::AlterTableAction::AlterColumnType { column, .. } => {
                    AlterTableAction::AlterColumnType {
                        column: column.clone(),
                    }
                }
                ast::AlterTableAction::Mask { .. } | ast::AlterTableAction::DropMask { .. } => {
                    return Err(SchemaError::invalid(
                        "Dynamic data masking is not supported by this server",
                    ))
                }
            };
            DdlStatement::AlterTable {
                table: qn(&a.name),
                if_exists: a.if_exists,
                action,
            }
        }
        S::DropTable(d) => DdlStatement::DropTable {
            table: qn(&d.name),
            if_exists: d.if_exists,
        },
        S::CreateType(c) => DdlStatement::CreateType {
            name: qn(&c.name),
            if_not_exists: c.if_not_exists,
            fields: c
                .fields
                .iter()
                .map(|(n, t)| (n.clone(), raw_type(t)))
                .collect(),
        },
        S::AlterType(a) => {
            let action = match &a.action {
                ast::AlterTypeAction::Add {
                    if_not_exists,
                    field,
                    typ,
                } => AlterTypeAction::AddField {
                    name: field.clone(),
                    typ: raw_type(typ),
                    if_not_exists: *if_not_exists,
                },
                ast::AlterTypeAction::Rename { if_exists, renames } => AlterTypeAction::Rename {
                    renames: renames.clone(),
                    if_exists: *if_exists,
                },
                ast::AlterTypeAction::AlterFieldType { .. } => {
                    return Err(SchemaError::invalid(
                        "Altering field types is no longer supported",
                    ))
                }
            };
            DdlStatement::AlterType {
                name: qn(&a.name),
                if_exists: a.if_exists,
                action,
            }
        }
        S::DropType(d) => DdlStatement::DropType {
            name: qn(&d.name),
            if_exists: d.if_exists,
        },
        S::CreateIndex(c) => create_index(c)?,
        S::DropIndex(d) => DdlStatement::DropIndex {
            name: qn(&d.name),
            if_exists: d.if_exists,
        },
        S::CreateMaterializedView(v) => {
            if ast::where_has_markers(&v.where_clause) {
                return Err(SchemaError::invalid(
                    "Bind variables are not allowed in CREATE MATERIALIZED VIEW statements",
                ));
            }
            create_view(v)?
        }
        S::AlterMaterializedView(a) => DdlStatement::AlterView {
            name: qn(&a.name),
            if_exists: a.if_exists,
            properties: props(&a.options),
        },
        S::DropMaterializedView(d) => DdlStatement::DropView {
            name: qn(&d.name),
            if_exists: d.if_exists,
        },
        S::CreateFunction(_) | S::DropFunction(_) | S::CreateAggregate(_) | S::DropAggregate(_) => {
            return Err(udf_disabled())
        }
        S::CreateTrigger(_) | S::DropTrigger(_) => return Err(SchemaError::invalid(
            "Triggers are not supported: Helenus does not run user code (see docs/FUNCTIONS.md)",
        )),
        _ => return Err(SchemaError::invalid("Not a schema statement")),
    })
}

fn create_index(c: &ast::CreateIndex) -> Result<DdlStatement, SchemaError> {
    let [target] = c.targets.as_slice() else {
        return Err(SchemaError::invalid(
            "Only CUSTOM indexes support multiple columns",
        ));
    };
    if c.custom && c.using.is_none() {
        return Err(SchemaError::invalid(
            "CUSTOM index requires specifying the index class",
        ));
    }
    let mut options = Vec::new();
    for (name, v) in &c.options {
        match (name.as_str(), v) {
            ("options", ast::OptionValue::Map(m)) => options.extend(m.iter().cloned()),
            _ => return Err(SchemaError::Syntax(format!("Unknown property '{name}'"))),
        }
    }
    let kind = match target.kind {
        ast::IndexTargetKind::Simple => IndexTargetKind::Simple,
        ast::IndexTargetKind::Keys => IndexTargetKind::Keys,
        ast::IndexTargetKind::Values => IndexTargetKind::Values,
        ast::IndexTargetKind::Entries => IndexTargetKind::Entries,
        ast::IndexTargetKind::Full => IndexTargetKind::Full,
    };
    Ok(DdlStatement::CreateIndex(CreateIndex {
        name: c.name.clone(),
        table: qn(&c.table),
        if_not_exists: c.if_not_exists,
        column: target.column.clone(),
        target: kind,
        custom_class: c.using.clone(),
        options,
    }))
}

fn create_view(v: &ast::CreateMaterializedView) -> Result<DdlStatement, SchemaError> {
    let columns = match &v.selection {
        ast::Selection::Wildcard => vec![],
        ast::Selection::Selectors(sel) => sel
            .iter()
            .map(|s| match (&s.expr, &s.alias) {
                (ast::SelectorExpr::Column(c), None) => Ok(c.clone()),
                _ => Err(SchemaError::invalid(
                    "Can only select columns by name when defining a materialized view",
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    let mut not_null = Vec::new();
    let mut restricted = Vec::new();
    let mut token_relation = false;
    for r in &v.where_clause {
        match r {
            ast::Relation::IsNotNull { column } => not_null.push(column.clone()),
            ast::Relation::Simple { column, .. }
            | ast::Relation::In { column, .. }
            | ast::Relation::NotIn { column, .. }
            | ast::Relation::MapElement { column, .. } => restricted.push(column.clone()),
            ast::Relation::MultiColumn { columns, .. }
            | ast::Relation::MultiColumnIn { columns, .. } => {
                restricted.extend(columns.iter().cloned())
            }
            ast::Relation::Token { .. } => token_relation = true,
        }
    }
    // Cassandra's `toCQLString` of the WHERE clause, which the server parses again to
    // apply the restrictions (exec::view::filter).
    let text: Vec<String> = v.where_clause.iter().map(|r| r.to_string()).collect();
    Ok(DdlStatement::CreateView(CreateView {
        name: qn(&v.name),
        if_not_exists: v.if_not_exists,
        base: qn(&v.base_table),
        columns,
        where_clause: text.join(" AND "),
        not_null_columns: not_null,
        restricted_columns: restricted,
        token_relation,
        partition: v.partition_key.clone(),
        clustering: v.clustering_key.clone(),
        clustering_order: v
            .clustering_order
            .iter()
            .map(|(n, o)| (n.clone(), order(*o)))
            .collect(),
        properties: props(&v.options),
    }))
}
