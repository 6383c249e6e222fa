//! CREATE / ALTER / DROP TYPE (user-defined types). Altering a type rewrites every
//! column and type that uses it, so resolved `CqlType`s stay current.

use std::sync::Arc;

use cql::types::{CqlType, UdtType};

use super::{
    change_type, validate_name, AlterTypeAction, Ctx, QualifiedName, SchemaChange, SchemaChangeType,
};
use crate::schema::error::SchemaError;
use crate::schema::model::{KeyspaceDef, UdtDef, UdtField};
use crate::schema::types::{native_type, references_udt, replace_udt, resolve_type, RawType};

fn field_type(raw: &RawType, ks_name: &str, ks: &KeyspaceDef) -> Result<CqlType, SchemaError> {
    let t = resolve_type(raw, ks_name, Some(ks))?;
    if t.is_counter() {
        return Err(SchemaError::invalid("A user type cannot contain counters"));
    }
    if matches!(t, CqlType::Udt(_)) {
        return Err(SchemaError::invalid(
            "A user type cannot contain non-frozen UDTs",
        ));
    }
    Ok(t)
}

pub fn create(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_not_exists: bool,
    fields: &[(String, RawType)],
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    validate_name("Type", &q.name)?;
    ctx.check_writable(&ks_name)?;
    let ks = ctx.existing_keyspace(&ks_name)?;
    if native_type(&q.name).is_some() || q.name.eq_ignore_ascii_case("duration") {
        return Err(SchemaError::invalid(format!(
            "Type name '{}' is a reserved type name",
            q.name
        )));
    }
    if ks.udt(&q.name).is_some() {
        if if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "A user type with name '{}' already exists",
            q.name
        )));
    }
    let mut out: Vec<UdtField> = Vec::with_capacity(fields.len());
    for (name, raw) in fields {
        if out.iter().any(|f| &f.name == name) {
            return Err(SchemaError::invalid(format!(
                "Duplicate field name {name} in type {}",
                q.name
            )));
        }
        out.push(UdtField {
            name: name.clone(),
            typ: field_type(raw, &ks_name, ks)?,
        });
    }
    let def = UdtDef {
        keyspace: ks_name.clone(),
        name: q.name.clone(),
        fields: out,
    };
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.types.push(def);
    }
    Ok(Some(change_type(
        SchemaChangeType::Created,
        &ks_name,
        &q.name,
    )))
}

pub fn alter(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
    action: &AlterTypeAction,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let Some((ks, mut def)) = ctx
        .schema
        .keyspaces
        .get(&ks_name)
        .and_then(|k| k.udt(&q.name).map(|d| (k, d.clone())))
    else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Type {ks_name}.{} doesn't exist",
            q.name
        )));
    };
    match action {
        AlterTypeAction::AddField {
            name,
            typ,
            if_not_exists,
        } => {
            if def.fields.iter().any(|f| &f.name == name) {
                if *if_not_exists {
                    return Ok(None);
                }
                return Err(SchemaError::invalid(format!(
                    "Cannot add new field {name} to type {ks_name}.{}: a field with name {name} already exists",
                    q.name
                )));
            }
            let t = field_type(typ, &ks_name, ks)?;
            if references_udt(&t, &q.name) {
                return Err(SchemaError::invalid(format!(
                    "Cannot add new field {name} of type {} to user type {ks_name}.{} as it would create a circular reference",
                    crate::schema::types::type_name(&t),
                    q.name
                )));
            }
            def.fields.push(UdtField {
                name: name.clone(),
                typ: t,
            });
        }
        AlterTypeAction::Rename { renames, if_exists } => {
            for (from, to) in renames {
                let Some(i) = def.fields.iter().position(|f| &f.name == from) else {
                    if *if_exists {
                        continue;
                    }
                    return Err(SchemaError::invalid(format!(
                        "Unkown field {from} in user type {ks_name}.{}",
                        q.name
                    )));
                };
                if def.fields.iter().any(|f| &f.name == to) {
                    return Err(SchemaError::invalid(format!(
                        "Duplicate field name {to} in type {ks_name}.{}",
                        q.name
                    )));
                }
                if let Some(f) = def.fields.get_mut(i) {
                    f.name = to.clone();
                }
            }
        }
    }
    let new = Arc::new(UdtType {
        keyspace: ks_name.clone(),
        name: def.name.clone(),
        fields: def
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.typ.clone()))
            .collect(),
    });
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        propagate(k, def, &new);
    }
    Ok(Some(change_type(
        SchemaChangeType::Updated,
        &ks_name,
        &q.name,
    )))
}

/// Replaces the type's definition and every use of it in the keyspace.
fn propagate(k: &mut KeyspaceDef, def: UdtDef, new: &Arc<UdtType>) {
    for t in k.types.iter_mut() {
        if t.name == def.name {
            *t = def.clone();
        } else {
            for f in t.fields.iter_mut() {
                f.typ = replace_udt(&f.typ, new);
            }
        }
    }
    for t in k.tables.values_mut().chain(k.views.values_mut()) {
        for c in t.columns.iter_mut() {
            c.typ = replace_udt(&c.typ, new);
        }
    }
}

pub fn drop(
    ctx: &mut Ctx<'_>,
    q: &QualifiedName,
    if_exists: bool,
) -> Result<Option<SchemaChange>, SchemaError> {
    let ks_name = ctx.keyspace_of(q)?;
    ctx.check_writable(&ks_name)?;
    let Some(ks) = ctx
        .schema
        .keyspaces
        .get(&ks_name)
        .filter(|k| k.udt(&q.name).is_some())
    else {
        if if_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!(
            "Type '{ks_name}.{}' doesn't exist",
            q.name
        )));
    };
    let types: Vec<&str> = ks
        .types
        .iter()
        .filter(|t| t.name != q.name && t.fields.iter().any(|f| references_udt(&f.typ, &q.name)))
        .map(|t| t.name.as_str())
        .collect();
    if !types.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Cannot drop user type '{ks_name}.{}' as it is still used by user types {}",
            q.name,
            types.join(", ")
        )));
    }
    let tables: Vec<&str> = ks
        .tables
        .values()
        .chain(ks.views.values())
        .filter(|t| t.columns.iter().any(|c| references_udt(&c.typ, &q.name)))
        .map(|t| t.name.as_str())
        .collect();
    if !tables.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Cannot drop user type '{ks_name}.{}' as it is still used by tables {}",
            q.name,
            tables.join(", ")
        )));
    }
    if let Some(k) = ctx.schema.keyspaces.get_mut(&ks_name) {
        k.types.retain(|t| t.name != q.name);
    }
    Ok(Some(change_type(
        SchemaChangeType::Dropped,
        &ks_name,
        &q.name,
    )))
}
