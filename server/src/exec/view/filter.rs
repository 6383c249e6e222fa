//! A view's WHERE restrictions other than `IS NOT NULL` (`WHERE c = 1 AND k IS NOT
//! NULL ...`): which base rows have a view row at all.
//!
//! Cassandra allows them on base primary key columns only (a filter on a regular
//! column is refused, CASSANDRA-13798), so whether a base row passes never changes
//! while the row lives: maintenance only has to leave the rows that fail out of the
//! view, on build and on every write. The clause is kept as CQL text in the schema
//! (`system_schema.views.where_clause`) and parsed again here, as Cassandra does.
//!
//! Supported: `=`, `<`, `<=`, `>`, `>=`, `!=`, `IN`, `NOT IN` on one key column and
//! `(c1, c2) op (...)` / `IN` on clustering columns (compared element by element in
//! each type's natural order). Other relations are refused when the view is created.

use bytes::Bytes;
use cql::parser::ast::{CreateMaterializedView, InValues, Operator, Relation, Statement, Term};
use cql::types::CqlType;
use std::cmp::Ordering;

use crate::error::RequestError;
use crate::exec::term::{self, EvalCtx, Markers};
use crate::exec::{values, ExecContext, TableRef};
use crate::schema::TableDef;

/// One restriction on base primary key values.
#[derive(Debug)]
enum Pred {
    /// `c op v`; `IN` is `=` against several values (any), `NOT IN` `!=` (all).
    Single {
        column: String,
        typ: CqlType,
        op: Operator,
        values: Vec<Bytes>,
    },
    /// `(c1, c2) op (v1, v2)` or `IN ((..), (..))` (op `=`, any tuple).
    Tuple {
        columns: Vec<(String, CqlType)>,
        op: Operator,
        tuples: Vec<Vec<Bytes>>,
    },
}

/// The compiled restrictions of a view (empty: every base row with a full view key).
#[derive(Debug, Default)]
pub struct ViewFilter {
    preds: Vec<Pred>,
}

fn unsupported(r: &Relation) -> RequestError {
    RequestError::invalid(format!(
        "Restriction '{r}' is not supported in a materialized view WHERE clause by Helenus"
    ))
}

fn constant(t: &Term, typ: &CqlType, name: &str) -> Result<Bytes, RequestError> {
    let mut m = Markers::with_count(0);
    let e = term::compile(t, typ, name, &mut m, None)?;
    e.eval(&EvalCtx { values: &[] })?
        .bytes()
        .cloned()
        .ok_or_else(|| RequestError::invalid(format!("Invalid null value for column {name}")))
}

fn in_list(values: &InValues) -> Result<&[Term], RequestError> {
    match values {
        InValues::List(items) => Ok(items),
        InValues::Marker(_) => Err(RequestError::invalid(
            "Bind variables are not allowed in CREATE MATERIALIZED VIEW statements",
        )),
    }
}

impl ViewFilter {
    /// Compiles the relations of a view's WHERE clause against its base table.
    pub fn compile(base: &TableDef, rels: &[Relation]) -> Result<ViewFilter, RequestError> {
        let col = |name: &str| -> Result<CqlType, RequestError> {
            base.column(name)
                .filter(|c| c.kind.is_primary_key())
                .map(|c| c.typ.clone())
                .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
        };
        let mut preds = Vec::new();
        for r in rels {
            preds.push(match r {
                Relation::IsNotNull { .. } => continue,
                Relation::Simple { column, op, value } => {
                    if !matches!(
                        op,
                        Operator::Eq
                            | Operator::Lt
                            | Operator::Lte
                            | Operator::Gt
                            | Operator::Gte
                            | Operator::Neq
                    ) {
                        return Err(unsupported(r));
                    }
                    let typ = col(column)?;
                    Pred::Single {
                        values: vec![constant(value, &typ, column)?],
                        column: column.clone(),
                        typ,
                        op: *op,
                    }
                }
                Relation::In { column, values } | Relation::NotIn { column, values } => {
                    let typ = col(column)?;
                    let values = in_list(values)?
                        .iter()
                        .map(|t| constant(t, &typ, column))
                        .collect::<Result<_, _>>()?;
                    let op = if matches!(r, Relation::In { .. }) {
                        Operator::Eq
                    } else {
                        Operator::Neq
                    };
                    Pred::Single {
                        column: column.clone(),
                        typ,
                        op,
                        values,
                    }
                }
                Relation::MultiColumn { columns, op, value } => {
                    let columns = typed(columns, &col)?;
                    let Term::Tuple(items) = value else {
                        return Err(unsupported(r));
                    };
                    Pred::Tuple {
                        tuples: vec![tuple(&columns, items)?],
                        columns,
                        op: *op,
                    }
                }
                Relation::MultiColumnIn { columns, values } => {
                    let columns = typed(columns, &col)?;
                    let tuples = in_list(values)?
                        .iter()
                        .map(|t| match t {
                            Term::Tuple(items) => tuple(&columns, items),
                            _ => Err(unsupported(r)),
                        })
                        .collect::<Result<_, _>>()?;
                    Pred::Tuple {
                        columns,
                        op: Operator::Eq,
                        tuples,
                    }
                }
                Relation::MapElement { .. } | Relation::Token { .. } => return Err(unsupported(r)),
            });
        }
        Ok(ViewFilter { preds })
    }

    /// The filter of a stored view (its `where_clause` text).
    pub fn of_view(base: &TableDef, view: &TableDef) -> Result<ViewFilter, RequestError> {
        let text = view.view.as_ref().map_or("", |d| d.where_clause.as_str());
        if text.is_empty() {
            return Ok(ViewFilter::default());
        }
        let stmt = cql::parser::parse_statement(&format!("SELECT * FROM t WHERE {text}"))
            .map_err(|e| RequestError::Server(format!("view where clause '{text}': {e}")))?;
        match stmt {
            Statement::Select(s) => ViewFilter::compile(base, &s.where_clause),
            _ => Ok(ViewFilter::default()),
        }
    }

    /// Whether the base row whose key columns `value_of` gives passes.
    pub fn matches(&self, value_of: &mut dyn FnMut(&str) -> Option<Bytes>) -> bool {
        self.preds.iter().all(|p| match p {
            Pred::Single {
                column,
                typ,
                op,
                values,
            } => {
                let Some(v) = value_of(column) else {
                    return false;
                };
                let cmp = |w: &Bytes| values::compare(typ, &v, w);
                match op {
                    Operator::Eq => values.iter().any(|w| cmp(w).is_eq()),
                    Operator::Neq => values.iter().all(|w| cmp(w).is_ne()),
                    _ => values.iter().all(|w| holds(*op, cmp(w))),
                }
            }
            Pred::Tuple {
                columns,
                op,
                tuples,
            } => {
                let Some(row) = columns
                    .iter()
                    .map(|(c, _)| value_of(c))
                    .collect::<Option<Vec<Bytes>>>()
                else {
                    return false;
                };
                let cmp = |t: &Vec<Bytes>| {
                    columns
                        .iter()
                        .zip(row.iter().zip(t))
                        .map(|((_, typ), (a, b))| values::compare(typ, a, b))
                        .find(|o| o.is_ne())
                        .unwrap_or(Ordering::Equal)
                };
                match op {
                    Operator::Eq => tuples.iter().any(|t| cmp(t).is_eq()),
                    _ => tuples.iter().all(|t| holds(*op, cmp(t))),
                }
            }
        })
    }
}

fn holds(op: Operator, o: Ordering) -> bool {
    match op {
        Operator::Lt => o.is_lt(),
        Operator::Lte => o.is_le(),
        Operator::Gt => o.is_gt(),
        Operator::Gte => o.is_ge(),
        Operator::Neq => o.is_ne(),
        _ => o.is_eq(),
    }
}

fn typed(
    columns: &[String],
    col: &dyn Fn(&str) -> Result<CqlType, RequestError>,
) -> Result<Vec<(String, CqlType)>, RequestError> {
    columns.iter().map(|c| Ok((c.clone(), col(c)?))).collect()
}

fn tuple(columns: &[(String, CqlType)], items: &[Term]) -> Result<Vec<Bytes>, RequestError> {
    if items.len() != columns.len() {
        return Err(RequestError::invalid(format!(
            "Expected {} elements in value tuple, but got {}",
            columns.len(),
            items.len()
        )));
    }
    columns
        .iter()
        .zip(items)
        .map(|((c, t), it)| constant(it, t, c))
        .collect()
}

/// Checks a CREATE MATERIALIZED VIEW's WHERE clause against its base table before the
/// view is created, with Cassandra's messages for what a SELECT would refuse
/// (`c cannot be restricted by more than one relation...`) and the restrictions above.
/// Nothing to check when views are disabled, the base table is missing or the clause
/// holds bind markers: the schema change refuses those first.
pub fn check_create(
    ctx: &ExecContext,
    current: Option<&str>,
    v: &CreateMaterializedView,
) -> Result<(), RequestError> {
    if !ctx.schema.materialized_views_enabled()
        || cql::parser::ast::where_has_markers(&v.where_clause)
    {
        return Ok(());
    }
    let schema = ctx.schema.snapshot();
    let Ok(base) = crate::exec::resolve_table(ctx, &schema, &v.base_table, current) else {
        return Ok(());
    };
    if base.def.view.is_some()
        || v.where_clause
            .iter()
            .any(|r| matches!(r, Relation::Token { .. }) || relation_column_is_regular(&base, r))
    {
        // The schema change gives Cassandra's message for these.
        return Ok(());
    }
    let rels: Vec<Relation> = v
        .where_clause
        .iter()
        .filter(|r| !matches!(r, Relation::IsNotNull { .. }))
        .cloned()
        .collect();
    let mut m = Markers::with_count(0);
    crate::exec::restrict::compile(&base, &rels, &mut m, true, true)?;
    ViewFilter::compile(&base.def, &rels).map(|_| ())
}

fn relation_column_is_regular(t: &TableRef, r: &Relation) -> bool {
    let regular = |c: &str| t.def.column(c).is_some_and(|d| !d.kind.is_primary_key());
    match r {
        Relation::Simple { column, .. }
        | Relation::In { column, .. }
        | Relation::NotIn { column, .. }
        | Relation::MapElement { column, .. } => regular(column),
        Relation::MultiColumn { columns, .. } | Relation::MultiColumnIn { columns, .. } => {
            columns.iter().any(|c| regular(c))
        }
        _ => false,
    }
}
