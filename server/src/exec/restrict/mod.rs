//! The WHERE clause, classified: partition key values, token range, clustering prefix
//! and slice, and the remaining filters. Shared by SELECT, UPDATE and DELETE.
//!
//! Compiling checks Cassandra's rules and gives its messages; evaluating turns the
//! compiled restrictions plus bound values into partition keys and byte-comparable
//! clustering slices for storage. This file compiles; [`eval`] evaluates.

mod eval;

pub use eval::{
    cartesian, clustering_prefixes, clustering_slices, encode_prefix, eval_values, partition_keys,
    split_list,
};

use cql::parser::ast::{InValues, Operator, Relation, Term};
use cql::types::CqlType;

use super::term::{self, Expr, Markers};
use super::TableRef;
use crate::error::RequestError;
use crate::schema::ColumnKind;

/// The values of one key column (or one tuple of clustering columns).
#[derive(Debug, Clone)]
pub enum KeyValues {
    Eq(Expr),
    In(Vec<Expr>),
    /// `IN ?`: a serialized `list<T>`.
    InMarker(Expr, CqlType),
}

/// One end of a slice: the values (one per column, a prefix) and inclusiveness.
#[derive(Debug, Clone)]
pub struct SliceEnd {
    pub values: Vec<Expr>,
    pub inclusive: bool,
}

/// A slice over the clustering columns from position `first`.
#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub start: Option<SliceEnd>,
    pub end: Option<SliceEnd>,
}

/// A `token(pk) op value` range.
#[derive(Debug, Clone, Default)]
pub struct TokenRange {
    pub start: Option<(Expr, bool)>,
    pub end: Option<(Expr, bool)>,
}

/// A restriction evaluated on rows after reading (needs ALLOW FILTERING).
#[derive(Debug, Clone)]
pub struct Filter {
    /// Index into the table's columns.
    pub column: usize,
    pub op: Operator,
    pub values: KeyValues,
    /// `m[key] = value` on a map column: the key (the value is in `values`).
    pub map_key: Option<Expr>,
}

#[derive(Debug, Clone, Default)]
pub struct Restrictions {
    /// Per partition key column (by position): its values, if restricted by = / IN.
    pub pk: Vec<Option<KeyValues>>,
    pub token: Option<TokenRange>,
    /// Equality / IN on a prefix of the clustering columns.
    pub ck_eq: Vec<KeyValues>,
    /// Multi-column `(c1, c2) IN ((..), (..))`: full tuples from position 0.
    pub ck_tuples: Option<Vec<Vec<Expr>>>,
    /// A slice on the clustering columns that follow `ck_eq`.
    pub ck_slice: Option<Slice>,
    /// Everything else.
    pub filters: Vec<Filter>,
    /// Whether evaluating the statement as written requires ALLOW FILTERING.
    pub needs_filtering: bool,
}

impl Restrictions {
    pub fn pk_complete(&self) -> bool {
        !self.pk.is_empty() && self.pk.iter().all(Option::is_some)
    }

    pub fn has_clustering(&self) -> bool {
        !self.ck_eq.is_empty() || self.ck_tuples.is_some() || self.ck_slice.is_some()
    }
}

fn col_spec<'t>(
    t: &'t TableRef,
    name: &str,
) -> Result<(usize, &'t crate::schema::ColumnDef), RequestError> {
    t.def
        .columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == name)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
}

fn compile_in(
    values: &InValues,
    typ: &CqlType,
    name: &str,
    m: &mut Markers,
    pk: Option<u16>,
) -> Result<KeyValues, RequestError> {
    match values {
        InValues::List(items) => Ok(KeyValues::In(
            items
                .iter()
                .map(|t| term::compile(t, typ, name, m, pk))
                .collect::<Result<_, _>>()?,
        )),
        InValues::Marker(mk) => {
            let lt = CqlType::List(Box::new(typ.clone()));
            let e = term::compile(
                &Term::BindMarker(mk.clone()),
                &lt,
                &format!("in({name})"),
                m,
                None,
            )?;
            Ok(KeyValues::InMarker(e, typ.clone()))
        }
    }
}

/// Classifies `rels` for table `t`. `for_select` allows slices, filters and tokens;
/// modifications only take = / IN on keys (and slices on clustering for DELETE,
/// `allow_ck_slice`).
pub fn compile(
    t: &TableRef,
    rels: &[Relation],
    m: &mut Markers,
    for_select: bool,
    allow_ck_slice: bool,
) -> Result<Restrictions, RequestError> {
    let npk = t.def.partition_key.len();
    let nck = t.def.clustering.len();
    let mut r = Restrictions {
        pk: vec![None; npk],
        ..Default::default()
    };
    // Clustering restrictions by position before we check they form a prefix.
    let mut ck_single: Vec<Option<(Operator, KeyValues, Option<Slice>)>> = vec![None; nck];
    let mut ck_multi: Option<(usize, Relation)> = None;

    for rel in rels {
        match rel {
            Relation::Simple { column, op, value } => {
                let (idx, c) = col_spec(t, column)?;
                let pkpos = match c.kind {
                    ColumnKind::PartitionKey(p) => Some(p),
                    _ => None,
                };
                if *op == Operator::Like && for_select {
                    // Whether an index supports it is checked with the plan (select).
                    if !matches!(c.typ, CqlType::Text | CqlType::Ascii) {
                        return Err(RequestError::invalid(format!(
                            "LIKE restriction is only supported on text columns: {column} is {}",
                            c.typ
                        )));
                    }
                    let e = term::compile(value, &c.typ, column, m, None)?;
                    r.filters.push(Filter {
                        column: idx,
                        op: *op,
                        values: KeyValues::Eq(e),
                        map_key: None,
                    });
                    r.needs_filtering = true;
                    continue;
                }
                if *op == Operator::Neq && for_select {
                    // `col != value` (docs/FUNCTIONS.md): a filter on any column, so it
                    // needs ALLOW FILTERING; a null column never matches.
                    let e = term::compile(value, &c.typ, column, m, None)?;
                    r.filters.push(Filter {
                        column: idx,
                        op: *op,
                        values: KeyValues::Eq(e),
                        map_key: None,
                    });
                    r.needs_filtering = true;
                    continue;
                }
                if matches!(op, Operator::Neq | Operator::Like) {
                    return Err(RequestError::invalid(format!(
                        "Unsupported \"{}\" relation: {} {} ...",
                        op_str(*op),
                        column,
                        op_str(*op)
                    )));
                }
                if matches!(
                    op,
                    Operator::Contains
                        | Operator::ContainsKey
                        | Operator::NotContains
                        | Operator::NotContainsKey
                ) {
                    if !for_select {
                        return Err(RequestError::invalid(format!(
                            "Cannot use {} on column {column} in a modification",
                            op_str(*op)
                        )));
                    }
                    let et = contains_type(&c.typ, *op, column)?;
                    let e = term::compile(value, &et, column, m, None)?;
                    r.filters.push(Filter {
                        column: idx,
                        op: *op,
                        values: KeyValues::Eq(e),
                        map_key: None,
                    });
                    r.needs_filtering = true;
                    continue;
                }
                let e = term::compile(value, &c.typ, column, m, pkpos)?;
                match c.kind {
                    ColumnKind::PartitionKey(p) => {
                        if *op != Operator::Eq {
                            if !for_select {
                                return Err(RequestError::invalid(
                                    "Only EQ and IN relation are supported on the partition key (unless you use the token() function)",
                                ));
                            }
                            r.filters.push(Filter {
                                column: idx,
                                op: *op,
                                values: KeyValues::Eq(e),
                                map_key: None,
                            });
                            r.needs_filtering = true;
                            continue;
                        }
                        set_once(&mut r.pk[p as usize], KeyValues::Eq(e), column)?;
                    }
                    ColumnKind::Clustering(p, _) => {
                        let p = p as usize;
                        let entry = &mut ck_single[p];
                        if *op == Operator::Eq {
                            if entry.is_some() {
                                return Err(RequestError::invalid(format!(
                                    "{column} cannot be restricted by more than one relation if it includes an Equal"
                                )));
                            }
                            *entry = Some((*op, KeyValues::Eq(e), None));
                        } else {
                            let end = SliceEnd {
                                values: vec![e],
                                inclusive: matches!(op, Operator::Gte | Operator::Lte),
                            };
                            let mut slice = match entry.take() {
                                None => Slice::default(),
                                Some((Operator::Eq, ..)) => {
                                    return Err(RequestError::invalid(format!(
                                        "{column} cannot be restricted by more than one relation if it includes an Equal"
                                    )))
                                }
                                Some((_, _, Some(s))) => s,
                                Some(_) => {
                                    return Err(RequestError::invalid(format!(
                                        "{column} cannot be restricted by more than one relation if it includes a IN"
                                    )))
                                }
                            };
                            let lower = matches!(op, Operator::Gt | Operator::Gte);
                            let slot = if lower {
                                &mut slice.start
                            } else {
                                &mut slice.end
                            };
                            if slot.is_some() {
                                return Err(RequestError::invalid(format!(
                                    "More than one restriction was found for the {} bound on {column}",
                                    if lower { "start" } else { "end" }
                                )));
                            }
                            *slot = Some(end);
                            *entry = Some((Operator::Gt, KeyValues::In(vec![]), Some(slice)));
                        }
                    }
                    ColumnKind::Regular | ColumnKind::Static => {
                        if !for_select {
                            return Err(RequestError::invalid(
                                format!("Non PRIMARY KEY columns found in where clause: {column} ")
                                    .trim_end()
                                    .to_string(),
                            ));
                        }
                        r.filters.push(Filter {
                            column: idx,
                            op: *op,
                            values: KeyValues::Eq(e),
                            map_key: None,
                        });
                        r.needs_filtering = true;
                    }
                }
            }
            Relation::In { column, values } => {
                let (idx, c) = col_spec(t, column)?;
                match c.kind {
                    ColumnKind::PartitionKey(p) => {
                        let v = compile_in(values, &c.typ, column, m, Some(p))?;
                        set_once(&mut r.pk[p as usize], v, column)?;
                    }
                    ColumnKind::Clustering(p, _) => {
                        let v = compile_in(values, &c.typ, column, m, None)?;
                        let entry = &mut ck_single[p as usize];
                        if entry.is_some() {
                            return Err(RequestError::invalid(format!(
                                "{column} cannot be restricted by more than one relation if it includes a IN"
                            )));
                        }
                        *entry = Some((Operator::Eq, v, None));
                    }
                    _ => {
                        if !for_select {
                            return Err(RequestError::invalid(format!(
                                "Non PRIMARY KEY columns found in where clause: {column}"
                            )));
                        }
                        let v = compile_in(values, &c.typ, column, m, None)?;
                        r.filters.push(Filter {
                            column: idx,
                            op: Operator::Eq,
                            values: v,
                            map_key: None,
                        });
                        r.needs_filtering = true;
                    }
                }
            }
            Relation::NotIn { column, values } => {
                // `col NOT IN (...)`: a filter on any column (ALLOW FILTERING); the
                // row matches when the column is set and equals none of the values.
                if !for_select {
                    return Err(RequestError::invalid(format!(
                        "NOT IN is only supported in SELECT, with ALLOW FILTERING ({column})"
                    )));
                }
                let (idx, c) = col_spec(t, column)?;
                let v = compile_in(values, &c.typ, column, m, None)?;
                r.filters.push(Filter {
                    column: idx,
                    op: Operator::Neq,
                    values: v,
                    map_key: None,
                });
                r.needs_filtering = true;
            }
            Relation::Token { columns, op, value } => {
                if !for_select {
                    return Err(RequestError::invalid(
                        "The token function cannot be used in WHERE clauses for UPDATE and DELETE statements",
                    ));
                }
                let expected: Vec<&str> = t
                    .def
                    .partition_key_columns()
                    .map(|c| c.name.as_str())
                    .collect();
                if columns
                    .iter()
                    .map(String::as_str)
                    .ne(expected.iter().copied())
                {
                    return Err(RequestError::invalid(
                        "The token() function must be applied to all partition key components or none of them",
                    ));
                }
                let e = term::compile(value, &CqlType::Bigint, "partition key token", m, None)?;
                let tr = r.token.get_or_insert_with(TokenRange::default);
                match op {
                    Operator::Gt | Operator::Gte => tr.start = Some((e, *op == Operator::Gte)),
                    Operator::Lt | Operator::Lte => tr.end = Some((e, *op == Operator::Lte)),
                    Operator::Eq => {
                        tr.start = Some((e.clone(), true));
                        tr.end = Some((e, true));
                    }
                    _ => {
                        return Err(RequestError::invalid(format!(
                            "Unsupported \"{}\" relation on token",
                            op_str(*op)
                        )))
                    }
                }
            }
            Relation::MultiColumn { columns, .. } | Relation::MultiColumnIn { columns, .. } => {
                // Checked below, once the single-column restrictions are known.
                for (i, name) in columns.iter().enumerate() {
                    let (_, c) = col_spec(t, name)?;
                    match c.kind {
                        ColumnKind::Clustering(p, _) if p as usize == i + columns_first(t, columns)? => {}
                        ColumnKind::Clustering(..) => {
                            return Err(RequestError::invalid(
                                "Clustering columns must appear in the PRIMARY KEY order in multi-column relations",
                            ))
                        }
                        _ => {
                            return Err(RequestError::invalid(format!(
                                "Multi-column relations can only be applied to clustering columns but was applied to: {name}"
                            )))
                        }
                    }
                }
                if ck_multi.is_some() {
                    return Err(RequestError::invalid(
                        "Only one multi-column relation is supported by Helenus per statement",
                    ));
                }
                ck_multi = Some((columns_first(t, columns)?, rel.clone()));
            }
            Relation::MapElement {
                column,
                key,
                op,
                value,
            } if for_select => {
                let (idx, c) = col_spec(t, column)?;
                let (CqlType::Map(kt, vt), false) =
                    (c.typ.unfrozen(), matches!(c.typ, CqlType::Frozen(_)))
                else {
                    return Err(RequestError::invalid(format!(
                        "Column {column} cannot be used as a map"
                    )));
                };
                if *op != Operator::Eq {
                    return Err(RequestError::invalid(format!(
                        "Only = is supported on map entries by Helenus: {column}[...] {} ...",
                        op_str(*op)
                    )));
                }
                let k = term::compile(key, kt, column, m, None)?;
                let v = term::compile(value, vt, column, m, None)?;
                r.filters.push(Filter {
                    column: idx,
                    op: Operator::Eq,
                    values: KeyValues::Eq(v),
                    map_key: Some(k),
                });
                r.needs_filtering = true;
            }
            Relation::IsNotNull { .. } | Relation::MapElement { .. } => {
                return Err(RequestError::invalid(
                    "IS NOT NULL and map entry restrictions are only supported in SELECT (map entries) and CREATE MATERIALIZED VIEW (IS NOT NULL)",
                ));
            }
        }
    }

    // Partition key: all or nothing (else filtering).
    let some_pk = r.pk.iter().any(Option::is_some);
    if some_pk && !r.pk_complete() {
        if !for_select {
            let missing: Vec<&str> = t
                .def
                .partition_key_columns()
                .zip(r.pk.iter())
                .filter(|(_, v)| v.is_none())
                .map(|(c, _)| c.name.as_str())
                .collect();
            return Err(RequestError::invalid(format!(
                "Some partition key parts are missing: {}",
                missing.join(", ")
            )));
        }
        r.needs_filtering = true;
        // Part of a composite key cannot address partitions: the scan checks it on
        // each row, like any other filter.
        for (pos, v) in r.pk.iter_mut().enumerate() {
            if let (Some(values), Some(&column)) = (v.take(), t.def.partition_key.get(pos)) {
                r.filters.push(Filter {
                    column,
                    op: Operator::Eq,
                    values,
                    map_key: None,
                });
            }
        }
    }
    if some_pk && r.token.is_some() {
        return Err(RequestError::invalid(
            "Columns \"".to_string()
                + &t.def
                    .partition_key_columns()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
                + "\" cannot be restricted by both a normal relation and a token relation",
        ));
    }

    // Clustering: multi-column relation.
    if let Some((first, rel)) = ck_multi {
        if ck_single.iter().any(Option::is_some) {
            return Err(RequestError::invalid(
                "Mixing single column relations and multi column relations on clustering columns is not allowed",
            ));
        }
        if first != 0 {
            r.needs_filtering = true;
        }
        compile_multi(t, &rel, m, &mut r, allow_ck_slice || for_select)?;
        if r.ck_slice.is_some() || r.ck_tuples.is_some() || !r.ck_eq.is_empty() {
            // fine
        }
    } else {
        // Single-column clustering restrictions must form a prefix: = / IN ..., then
        // at most one slice.
        let mut prefix_done = false;
        for (pos, entry) in ck_single.into_iter().enumerate() {
            match entry {
                None => prefix_done = true,
                Some((_, v, None)) if !prefix_done => r.ck_eq.push(v),
                Some((_, _, Some(slice))) if !prefix_done => {
                    if !for_select && !allow_ck_slice {
                        return Err(RequestError::invalid(
                        "Slice restrictions are not supported on the clustering columns in UPDATE statements",
                    ));
                    }
                    r.ck_slice = Some(slice);
                    prefix_done = true;
                }
                Some((_, v, slice)) => {
                    // Not part of the prefix: filtered after the read.
                    if !for_select {
                        let name = t
                            .def
                            .clustering_columns()
                            .nth(pos)
                            .map(|c| c.name.clone())
                            .unwrap_or_default();
                        let prev = t
                            .def
                            .clustering_columns()
                            .nth(pos.saturating_sub(1))
                            .map(|c| c.name.clone())
                            .unwrap_or_default();
                        return Err(RequestError::invalid(format!(
                            "PRIMARY KEY column \"{name}\" cannot be restricted as preceding column \"{prev}\" is not restricted"
                        )));
                    }
                    let idx = t.def.clustering.get(pos).copied().unwrap_or(0);
                    match slice {
                        None => r.filters.push(Filter {
                            column: idx,
                            op: Operator::Eq,
                            values: v,
                            map_key: None,
                        }),
                        Some(s) => {
                            if let Some(se) = s.start {
                                let op = if se.inclusive {
                                    Operator::Gte
                                } else {
                                    Operator::Gt
                                };
                                r.filters.push(Filter {
                                    column: idx,
                                    op,
                                    values: KeyValues::Eq(first_expr(se.values)),
                                    map_key: None,
                                });
                            }
                            if let Some(se) = s.end {
                                let op = if se.inclusive {
                                    Operator::Lte
                                } else {
                                    Operator::Lt
                                };
                                r.filters.push(Filter {
                                    column: idx,
                                    op,
                                    values: KeyValues::Eq(first_expr(se.values)),
                                    map_key: None,
                                });
                            }
                        }
                    }
                    r.needs_filtering = true;
                }
            }
        }
    }
    // Clustering restrictions without a full partition key need filtering (a scan).
    if for_select && r.has_clustering() && !r.pk_complete() {
        r.needs_filtering = true;
    }
    Ok(r)
}

fn first_expr(mut v: Vec<Expr>) -> Expr {
    if v.is_empty() {
        Expr::Const(None)
    } else {
        v.swap_remove(0)
    }
}

fn columns_first(t: &TableRef, columns: &[String]) -> Result<usize, RequestError> {
    let first = columns
        .first()
        .ok_or_else(|| RequestError::invalid("Empty multi-column relation"))?;
    match col_spec(t, first)?.1.kind {
        ColumnKind::Clustering(p, _) => Ok(p as usize),
        _ => Err(RequestError::invalid(format!(
            "Multi-column relations can only be applied to clustering columns but was applied to: {first}"
        ))),
    }
}

fn compile_multi(
    t: &TableRef,
    rel: &Relation,
    m: &mut Markers,
    r: &mut Restrictions,
    allow_slice: bool,
) -> Result<(), RequestError> {
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let tuple_exprs = |term: &Term, n: usize, m: &mut Markers| -> Result<Vec<Expr>, RequestError> {
        match term {
            Term::Tuple(items) => {
                if items.len() != n {
                    return Err(RequestError::invalid(format!(
                        "Expected {n} elements in value tuple, but got {}: {:?}",
                        items.len(),
                        items
                    )));
                }
                items
                    .iter()
                    .zip(ck.iter())
                    .map(|(it, c)| term::compile(it, &c.typ, &c.name, m, None))
                    .collect()
            }
            Term::BindMarker(_) => Err(RequestError::invalid(
                "A bind marker for a whole tuple in a multi-column relation is not supported by Helenus yet; bind each element",
            )),
            _ => Err(RequestError::invalid("Expected a tuple of values for a multi-column relation")),
        }
    };
    match rel {
        Relation::MultiColumn { columns, op, value } => {
            let exprs = tuple_exprs(value, columns.len(), m)?;
            match op {
                Operator::Eq => {
                    r.ck_eq = exprs.into_iter().map(KeyValues::Eq).collect();
                }
                Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
                    if !allow_slice {
                        return Err(RequestError::invalid("Slice restrictions are not supported on the clustering columns in UPDATE statements"));
                    }
                    let end = SliceEnd {
                        values: exprs,
                        inclusive: matches!(op, Operator::Gte | Operator::Lte),
                    };
                    let s = r.ck_slice.get_or_insert_with(Slice::default);
                    if matches!(op, Operator::Gt | Operator::Gte) {
                        s.start = Some(end);
                    } else {
                        s.end = Some(end);
                    }
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Unsupported \"{}\" relation",
                        op_str(*op)
                    )))
                }
            }
        }
        Relation::MultiColumnIn { columns, values } => match values {
            InValues::List(items) => {
                let mut tuples = Vec::with_capacity(items.len());
                for it in items {
                    let ex = tuple_exprs(it, columns.len(), m)?;
                    tuples.push(ex);
                }
                r.ck_tuples = Some(tuples);
            }
            InValues::Marker(_) => {
                return Err(RequestError::invalid(
                    "IN ? on a multi-column relation is not supported by Helenus yet",
                ))
            }
        },
        _ => {}
    }
    Ok(())
}

fn set_once(slot: &mut Option<KeyValues>, v: KeyValues, column: &str) -> Result<(), RequestError> {
    if slot.is_some() {
        return Err(RequestError::invalid(format!(
            "{column} cannot be restricted by more than one relation if it includes an Equal"
        )));
    }
    *slot = Some(v);
    Ok(())
}

fn contains_type(typ: &CqlType, op: Operator, column: &str) -> Result<CqlType, RequestError> {
    let key = matches!(op, Operator::ContainsKey | Operator::NotContainsKey);
    match (typ.unfrozen(), key) {
        (CqlType::List(e) | CqlType::Set(e), false) => Ok((**e).clone()),
        (CqlType::Map(_, v), false) => Ok((**v).clone()),
        (CqlType::Map(k, _), true) => Ok((**k).clone()),
        // Cassandra's checks: a key operator needs a map, the others a collection.
        (_, true) => Err(RequestError::invalid(format!(
            "Cannot use {} on non-map column {column}",
            op_str(op)
        ))),
        _ => Err(RequestError::invalid(format!(
            "Cannot use {} on non-collection column {column}",
            op_str(op)
        ))),
    }
}

/// The operator as CQL writes it (`CONTAINS KEY`, `!=`...).
pub fn op_str(op: Operator) -> String {
    op.to_string()
}
