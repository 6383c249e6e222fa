//! SELECT over a storage table: the compiled [`SelectPlan`] and its execution with
//! limits, ORDER BY, DISTINCT, filtering and paging.
//!
//! A query restricted to whole partition keys (= / IN) reads those partitions one by
//! one (in key order); anything else scans the ring in token order. Both paths produce
//! [`RowView`]s, filter them, and either project them (plain query) or fold them
//! (aggregates). The paging state records the last partition and clustering returned.
//!
//! This file compiles; [`run`] executes; [`rows`] turns storage rows into CQL rows.

mod rows;
mod run;

pub use rows::{fill_cells, filter_matches};

use bytes::Bytes;
use cql::parser::ast;
use cql::types::CqlType;

use super::paging::Resume;
use super::restrict::{self, Restrictions};
use super::selection::{self, ColumnSource, SelectionPlan};
use super::term::{self, EvalCtx, Expr, Markers, Val};
use super::TableRef;
use crate::error::RequestError;
use crate::schema::ColumnKind;

/// Rows read from storage per scan call when filtering may drop many of them.
const SCAN_CHUNK: usize = 1000;

#[derive(Debug, Clone)]
pub struct SelectPlan {
    pub table: TableRef,
    pub restrictions: Restrictions,
    pub selection: SelectionPlan,
    pub reversed: bool,
    pub limit: Option<Expr>,
    pub per_partition_limit: Option<Expr>,
    pub distinct: bool,
    /// The statement has ORDER BY (rows of several partitions are then merged).
    pub ordered: bool,
    /// GROUP BY columns (indexes into the table's columns): a primary key prefix.
    pub group_by: Vec<usize>,
    /// SELECT JSON: each row becomes one `[json]` text column.
    pub json: bool,
    /// The columns of the result (the selection, or `[json]`).
    pub result_columns: Vec<cql::response::ColumnSpec>,
}

impl ColumnSource for TableRef {
    fn find(&self, name: &str) -> Option<(usize, CqlType, bool)> {
        self.def
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
            .map(|(i, c)| (i, c.typ.clone(), c.kind.is_primary_key()))
    }
    fn keyspace(&self) -> &str {
        &self.def.keyspace
    }
    fn table(&self) -> &str {
        &self.def.name
    }
    fn all(&self) -> Vec<(usize, String, CqlType)> {
        self.def
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.name.clone(), c.typ.clone()))
            .collect()
    }
    fn partition_key_types(&self) -> Vec<CqlType> {
        self.def
            .partition_key_columns()
            .map(|c| c.typ.clone())
            .collect()
    }
}

pub fn compile(t: TableRef, s: &ast::Select, m: &mut Markers) -> Result<SelectPlan, RequestError> {
    if s.ann_of.is_some() {
        return Err(RequestError::invalid(
            "ORDER BY ... ANN OF is not supported by Helenus yet",
        ));
    }
    let selection = selection::compile(&t, &s.selection, m)?;
    let restrictions = restrict::compile(&t, &s.where_clause, m, true, true)?;
    super::index::check_like(&t, &restrictions)?;
    if restrictions.needs_filtering
        && !s.allow_filtering
        && !super::index::served_by_index(&t, &restrictions)
    {
        return Err(RequestError::invalid(
            "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING",
        ));
    }
    let reversed = order_by(&t, &s.order_by, &restrictions)?;
    if s.distinct {
        check_distinct(&t, &s.selection)?;
    }
    let per_partition_limit = s
        .per_partition_limit
        .as_ref()
        .map(|e| term::compile(e, &CqlType::Int, "[per_partition_limit]", m, None))
        .transpose()?;
    let limit = s
        .limit
        .as_ref()
        .map(|e| term::compile(e, &CqlType::Int, "[limit]", m, None))
        .transpose()?;
    let group_by = group_by(&t, &s.group_by)?;
    let result_columns = if s.json {
        vec![cql::response::ColumnSpec {
            keyspace: t.def.keyspace.clone(),
            table: t.def.name.clone(),
            name: "[json]".into(),
            typ: CqlType::Text,
        }]
    } else {
        selection.columns.clone()
    };
    Ok(SelectPlan {
        table: t,
        restrictions,
        selection,
        reversed,
        limit,
        per_partition_limit,
        distinct: s.distinct,
        json: s.json,
        result_columns,
        group_by,
        ordered: !s.order_by.is_empty(),
    })
}

/// GROUP BY must name a prefix of the primary key, in order.
fn group_by(t: &TableRef, exprs: &[ast::SelectorExpr]) -> Result<Vec<usize>, RequestError> {
    let key: Vec<usize> = t
        .def
        .partition_key
        .iter()
        .chain(t.def.clustering.iter())
        .copied()
        .collect();
    let mut out = Vec::with_capacity(exprs.len());
    for (i, e) in exprs.iter().enumerate() {
        let ast::SelectorExpr::Column(name) = e else {
            return Err(RequestError::invalid(
                "Functions in GROUP BY are not supported by Helenus yet",
            ));
        };
        let idx = t
            .def
            .columns
            .iter()
            .position(|c| c.name == *name)
            .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))?;
        if !key.contains(&idx) {
            return Err(RequestError::invalid(format!(
                "Group by is currently only supported on the columns of the PRIMARY KEY, got {name}"
            )));
        }
        if key.get(i) != Some(&idx) {
            return Err(RequestError::invalid(
                "Group by currently only support groups of columns following their declared order in the PRIMARY KEY",
            ));
        }
        out.push(idx);
    }
    Ok(out)
}

fn check_distinct(t: &TableRef, sel: &ast::Selection) -> Result<(), RequestError> {
    let ast::Selection::Selectors(list) = sel else {
        return Err(RequestError::invalid(
            "SELECT DISTINCT queries must only request partition key columns and/or static columns (not clustering or regular columns)",
        ));
    };
    let mut pk_seen = 0;
    for s in list {
        if let ast::SelectorExpr::Column(name) = &s.expr {
            if let Some(c) = t.def.column(name) {
                match c.kind {
                    ColumnKind::PartitionKey(_) => pk_seen += 1,
                    ColumnKind::Static => {}
                    _ => {
                        return Err(RequestError::invalid(format!(
                            "SELECT DISTINCT queries must only request partition key columns and/or static columns (not {name})"
                        )))
                    }
                }
            }
        }
    }
    if pk_seen < t.def.partition_key.len()
        && !list.iter().any(|s| {
            matches!(
                s.expr,
                ast::SelectorExpr::CountAll | ast::SelectorExpr::FunctionCall { .. }
            )
        })
    {
        let missing: Vec<&str> = t
            .def
            .partition_key_columns()
            .filter(|c| {
                !list
                    .iter()
                    .any(|s| matches!(&s.expr, ast::SelectorExpr::Column(n) if *n == c.name))
            })
            .map(|c| c.name.as_str())
            .collect();
        return Err(RequestError::invalid(format!(
            "SELECT DISTINCT queries must request all the partition key columns (missing {})",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Validates ORDER BY (Cassandra's rules) and says whether the read is reversed.
fn order_by(
    t: &TableRef,
    order: &[(String, ast::Order)],
    r: &Restrictions,
) -> Result<bool, RequestError> {
    if order.is_empty() {
        return Ok(false);
    }
    if !r.pk_complete() {
        return Err(RequestError::invalid(
            "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.",
        ));
    }
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let mut reversed: Option<bool> = None;
    for (i, (name, dir)) in order.iter().enumerate() {
        let c = t
            .def
            .column(name)
            .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))?;
        let ColumnKind::Clustering(pos, table_order) = c.kind else {
            return Err(RequestError::invalid(format!(
                "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {name}"
            )));
        };
        if pos as usize != i || ck.get(i).map(|c| c.name.as_str()) != Some(name.as_str()) {
            return Err(RequestError::invalid(
                "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY",
            ));
        }
        let natural = matches!(
            (table_order, dir),
            (crate::schema::Order::Asc, ast::Order::Asc)
                | (crate::schema::Order::Desc, ast::Order::Desc)
        );
        match reversed {
            None => reversed = Some(!natural),
            Some(rv) if rv == natural => {
                return Err(RequestError::invalid("Unsupported order by relation"));
            }
            _ => {}
        }
    }
    Ok(reversed.unwrap_or(false))
}

/// Per-execution options of a read.
pub struct ReadOpts<'a> {
    pub page_size: Option<usize>,
    pub paging_state: Option<&'a [u8]>,
    pub query_hash: u64,
    pub now: i32,
}

/// Rows of one page and the state to fetch the next.
pub struct Page {
    pub rows: Vec<Vec<Option<Bytes>>>,
    pub paging_state: Option<Bytes>,
}

fn eval_limit(e: &Option<Expr>, ctx: &EvalCtx<'_>, what: &str) -> Result<u32, RequestError> {
    let Some(e) = e else { return Ok(u32::MAX) };
    match e.eval(ctx)? {
        Val::Bytes(b) => {
            let a: [u8; 4] = b[..].try_into().map_err(|_| {
                RequestError::invalid(format!("Expected 4 or 0 byte int ({})", b.len()))
            })?;
            let v = i32::from_be_bytes(a);
            if v <= 0 {
                return Err(RequestError::invalid(format!(
                    "{what} must be strictly positive"
                )));
            }
            Ok(v as u32)
        }
        Val::Null => Err(RequestError::invalid(format!(
            "Invalid null value of {}",
            what.to_lowercase()
        ))),
        Val::Unset => Ok(u32::MAX),
    }
}

/// The position of the last row returned, to build the paging state.
struct Cursor {
    index: u32,
    token: i64,
    key: Bytes,
    resume: Resume,
    /// Rows returned from this partition so far (PER PARTITION LIMIT across pages).
    in_partition: u32,
}

/// Turns result rows into one JSON object per row (SELECT JSON), written as Cassandra
/// writes it: keys in selection order, `", "` and `": "` separators, exact numbers.
pub fn to_json_rows(
    columns: &[cql::response::ColumnSpec],
    rows: Vec<Vec<Option<Bytes>>>,
) -> Result<Vec<Vec<Option<Bytes>>>, RequestError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut text = String::from("{");
        for (i, (spec, v)) in columns.iter().zip(row).enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let key = cql::types::quote_identifier(&spec.name);
            text.push_str(&serde_json::Value::String(key).to_string());
            text.push_str(": ");
            match v {
                None => text.push_str("null"),
                Some(b) => {
                    let cv = super::values::deserialize(&b, &spec.typ).map_err(|e| {
                        RequestError::Server(format!("stored value does not decode: {e}"))
                    })?;
                    text.push_str(&cql::types::to_json_string(&cv, &spec.typ));
                }
            }
        }
        text.push('}');
        out.push(vec![Some(Bytes::from(text))]);
    }
    Ok(out)
}
