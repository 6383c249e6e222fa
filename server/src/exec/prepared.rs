//! Prepared statements: compiling a parsed statement into a [`Plan`] once, the bind
//! metadata PREPARE returns (marker names and types, pk_indexes, result columns and the
//! v5 result_metadata_id), and binding EXECUTE values to marker positions.

use std::sync::Arc;

use bytes::Bytes;
use cql::parser::ast::Statement;
use cql::request::Values;
use cql::response::{ColumnSpec, PreparedMetadata, RowsMetadata};
use cql::wire::Value;

use super::batch::BatchPlan;
use super::modify::{self, ModifyPlan};
use super::select::{self, SelectPlan};
use super::term::{MarkerSpec, Markers, Val};
use super::virtual_select::{self, VirtualPlan};
use super::{resolve_table, ExecContext};
use crate::error::RequestError;
use crate::schema::Schema;

/// What executing a statement means, decided once.
#[derive(Debug, Clone)]
pub enum Plan {
    Select(SelectPlan),
    Virtual(VirtualPlan),
    Modify(ModifyPlan),
    Batch(BatchPlan),
    /// USE, DDL, TRUNCATE, DESCRIBE...: run from the AST each time.
    Other,
}

/// A cached prepared statement.
#[derive(Debug)]
pub struct Prepared {
    pub id: [u8; 16],
    pub keyspace: Option<String>,
    pub text: String,
    pub stmt: Statement,
    pub plan: Arc<Plan>,
    pub schema_version: uuid::Uuid,
    pub markers: Vec<MarkerSpec>,
    pub result_columns: Vec<ColumnSpec>,
    pub result_metadata_id: Bytes,
    /// The keyspace and table markers are reported against.
    pub table: (String, String),
}

impl Prepared {
    /// The RESULT Prepared body.
    pub fn to_result(&self) -> cql::response::Prepared {
        let columns = self
            .markers
            .iter()
            .map(|m| ColumnSpec {
                keyspace: self.table.0.clone(),
                table: self.table.1.clone(),
                name: m.name.clone(),
                typ: m.typ.clone(),
            })
            .collect();
        let result_metadata = if self.result_columns.is_empty() {
            RowsMetadata::without_columns(0)
        } else {
            RowsMetadata::new(self.result_columns.clone())
        };
        cql::response::Prepared {
            id: Bytes::copy_from_slice(&self.id),
            result_metadata_id: Some(self.result_metadata_id.clone()),
            metadata: PreparedMetadata {
                pk_indexes: pk_indexes(&self.markers),
                columns,
            },
            result_metadata,
        }
    }
}

/// For each partition key position, the index of the marker bound to it; empty unless
/// every key column is bound by exactly one marker (what drivers route on).
pub fn pk_indexes(markers: &[MarkerSpec]) -> Vec<u16> {
    let mut by_pos: Vec<(u16, u16)> = markers
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.pk_position.map(|p| (p, i as u16)))
        .collect();
    by_pos.sort_unstable();
    let expected = by_pos.len();
    if by_pos
        .iter()
        .enumerate()
        .any(|(i, (p, _))| *p as usize != i)
    {
        return Vec::new();
    }
    by_pos.dedup_by_key(|(p, _)| *p);
    if by_pos.len() != expected {
        return Vec::new();
    }
    by_pos.into_iter().map(|(_, i)| i).collect()
}

/// 16 bytes identifying the result columns (v5 result_metadata_id).
pub fn result_metadata_id(cols: &[ColumnSpec]) -> Bytes {
    let text: String = cols
        .iter()
        .map(|c| {
            format!(
                "{}.{}.{}:{};",
                c.keyspace,
                c.table,
                c.name,
                c.typ.cql_name()
            )
        })
        .collect();
    Bytes::copy_from_slice(&super::cache::statement_id(None, &text))
}

/// Compiles a statement. `Plan::Other` statements record no markers.
pub fn compile(
    ctx: &ExecContext,
    schema: &Schema,
    stmt: &Statement,
    keyspace: Option<&str>,
) -> Result<(Plan, Markers, (String, String)), RequestError> {
    let mut m = Markers::with_count(stmt.bind_marker_count());
    let plan = match stmt {
        Statement::Select(s) => {
            let ks = super::keyspace_of(&s.table, keyspace)?;
            if crate::system::is_virtual(ks, &s.table.name) {
                let p = virtual_select::compile(schema, &ctx.identity, ks, s, &mut m)?;
                let names = (ks.to_string(), s.table.name.clone());
                return Ok((Plan::Virtual(p), m, names));
            }
            Plan::Select(select::compile(
                resolve_table(ctx, schema, &s.table, keyspace)?,
                s,
                &mut m,
            )?)
        }
        Statement::Insert(s) => Plan::Modify(modify::compile_insert(
            resolve_table(ctx, schema, &s.table, keyspace)?,
            s,
            &mut m,
        )?),
        Statement::Update(s) => Plan::Modify(modify::compile_update(
            resolve_table(ctx, schema, &s.table, keyspace)?,
            s,
            &mut m,
        )?),
        Statement::Delete(s) => Plan::Modify(modify::compile_delete(
            resolve_table(ctx, schema, &s.table, keyspace)?,
            s,
            &mut m,
        )?),
        Statement::Batch(b) => {
            Plan::Batch(super::batch::compile(ctx, schema, b, keyspace, &mut m)?)
        }
        _ => Plan::Other,
    };
    let names = match &plan {
        Plan::Select(p) => (p.table.def.keyspace.clone(), p.table.def.name.clone()),
        Plan::Modify(p) => (p.table.def.keyspace.clone(), p.table.def.name.clone()),
        Plan::Batch(b) => b.first_table(),
        _ => (String::new(), String::new()),
    };
    Ok((plan, m, names))
}

/// Marker specs with a placeholder for any marker compilation did not reach.
pub fn marker_specs(m: &Markers) -> Vec<MarkerSpec> {
    m.specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.clone().unwrap_or(MarkerSpec {
                name: format!("[{i}]"),
                typ: cql::types::CqlType::Blob,
                pk_position: None,
            })
        })
        .collect()
}

/// Orders the request's values by marker index (named values matched by name). The
/// values move: positional ones keep their vector (`Value` and `Val` have one layout).
pub fn bind(values: Values, markers: &[MarkerSpec]) -> Result<Vec<Val>, RequestError> {
    let conv = |v: Value| match v {
        Value::Null => Val::Null,
        Value::Unset => Val::Unset,
        Value::Bytes(b) => Val::Bytes(b),
    };
    match values {
        Values::Positional(vs) => {
            if vs.len() != markers.len() {
                return Err(RequestError::invalid(format!(
                    "There were {} markers(?) in CQL but {} bound variables",
                    markers.len(),
                    vs.len()
                )));
            }
            Ok(vs.into_iter().map(conv).collect())
        }
        Values::Named(vs) => markers
            .iter()
            .map(|m| {
                vs.iter()
                    .find(|(n, _)| n == &m.name || n.eq_ignore_ascii_case(&m.name))
                    .map(|(_, v)| conv(v.clone()))
                    .ok_or_else(|| {
                        RequestError::invalid(format!("Invalid unset value for column {}", m.name))
                    })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cql::types::CqlType;

    fn spec(name: &str, pk: Option<u16>) -> MarkerSpec {
        MarkerSpec {
            name: name.into(),
            typ: CqlType::Int,
            pk_position: pk,
        }
    }

    #[test]
    fn pk_indexes_follow_partition_key_order() {
        let m = vec![spec("v", None), spec("b", Some(1)), spec("a", Some(0))];
        assert_eq!(pk_indexes(&m), vec![2, 1]);
    }

    #[test]
    fn pk_indexes_empty_when_a_key_part_is_not_a_marker() {
        let m = vec![spec("v", None), spec("b", Some(1))];
        assert!(pk_indexes(&m).is_empty());
    }

    #[test]
    fn named_values_bind_by_marker_name() {
        let m = vec![spec("k", Some(0)), spec("v", None)];
        let vals = Values::Named(vec![
            ("v".into(), Value::Bytes(Bytes::from_static(b"\0\0\0\x02"))),
            ("k".into(), Value::Null),
        ]);
        let b = bind(vals, &m).unwrap();
        assert_eq!(
            b,
            vec![Val::Null, Val::Bytes(Bytes::from_static(b"\0\0\0\x02"))]
        );
        let short = Values::Positional(vec![Value::Null]);
        assert_eq!(
            bind(short, &m).unwrap_err().to_string(),
            "There were 2 markers(?) in CQL but 1 bound variables"
        );
    }
}
