//! The WHERE clause, classified: partition key values, token range, clustering prefix
//! and slice, and the remaining filters. Shared by SELECT, UPDATE and DELETE.
//!
//! Compiling checks Cassandra's rules and gives its messages; evaluating turns the
//! compiled restrictions plus bound values into partition keys and byte-comparable
//! clustering slices for storage.

use bytes::{Bytes, BytesMut};
use cql::parser::ast::{InValues, Operator, Relation, Term};
use cql::types::CqlType;
use storage::ClusteringBound;

use super::term::{self, EvalCtx, Expr, Markers, Val};
use super::values;
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

fn col_spec<'t>(t: &'t TableRef, name: &str) -> Result<(usize, &'t crate::schema::ColumnDef), RequestError> {
    t.def
        .columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == name)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
}

fn compile_in(values: &InValues, typ: &CqlType, name: &str, m: &mut Markers, pk: Option<u16>) -> Result<KeyValues, RequestError> {
    match values {
        InValues::List(items) => Ok(KeyValues::In(
            items
                .iter()
                .map(|t| term::compile(t, typ, name, m, pk))
                .collect::<Result<_, _>>()?,
        )),
        InValues::Marker(mk) => {
            let lt = CqlType::List(Box::new(typ.clone()));
            let e = term::compile(&Term::BindMarker(mk.clone()), &lt, &format!("in({name})"), m, None)?;
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
                if matches!(op, Operator::Neq | Operator::Like) {
                    return Err(RequestError::invalid(format!(
                        "Unsupported \"{}\" relation: {} {} ...",
                        op_str(*op),
                        column,
                        op_str(*op)
                    )));
                }
                if matches!(op, Operator::Contains | Operator::ContainsKey) {
                    if !for_select {
                        return Err(RequestError::invalid(format!(
                            "Cannot use {} on column {column} in a modification",
                            op_str(*op)
                        )));
                    }
                    let et = contains_type(&c.typ, *op, column)?;
                    let e = term::compile(value, &et, column, m, None)?;
                    r.filters.push(Filter { column: idx, op: *op, values: KeyValues::Eq(e) });
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
                            r.filters.push(Filter { column: idx, op: *op, values: KeyValues::Eq(e) });
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
                            let slot = if lower { &mut slice.start } else { &mut slice.end };
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
                            return Err(RequestError::invalid(format!(
                                "Non PRIMARY KEY columns found in where clause: {column} "
                            )
                            .trim_end()
                            .to_string()));
                        }
                        r.filters.push(Filter { column: idx, op: *op, values: KeyValues::Eq(e) });
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
                        r.filters.push(Filter { column: idx, op: Operator::Eq, values: v });
                        r.needs_filtering = true;
                    }
                }
            }
            Relation::Token { columns, op, value } => {
                if !for_select {
                    return Err(RequestError::invalid(
                        "The token function cannot be used in WHERE clauses for UPDATE and DELETE statements",
                    ));
                }
                let expected: Vec<&str> = t.def.partition_key_columns().map(|c| c.name.as_str()).collect();
                if columns.iter().map(String::as_str).ne(expected.iter().copied()) {
                    return Err(RequestError::invalid(format!(
                        "The token() function must be applied to all partition key components or none of them"
                    )));
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
            Relation::IsNotNull { .. } | Relation::MapElement { .. } => {
                return Err(RequestError::invalid(
                    "This relation is only supported with secondary indexes or materialized views, which Helenus does not support yet",
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
    }
    if some_pk && r.token.is_some() {
        return Err(RequestError::invalid(
            "Columns \"".to_string()
                + &t.def.partition_key_columns().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
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
                        return Err(RequestError::invalid(format!(
                            "Slice restrictions are not supported on the clustering columns in UPDATE statements"
                        )));
                    }
                    r.ck_slice = Some(slice);
                    prefix_done = true;
                }
                Some((_, v, slice)) => {
                    // Not part of the prefix: filtered after the read.
                    if !for_select {
                        let name = t.def.clustering_columns().nth(pos).map(|c| c.name.clone()).unwrap_or_default();
                        let prev = t.def.clustering_columns().nth(pos.saturating_sub(1)).map(|c| c.name.clone()).unwrap_or_default();
                        return Err(RequestError::invalid(format!(
                            "PRIMARY KEY column \"{name}\" cannot be restricted as preceding column \"{prev}\" is not restricted"
                        )));
                    }
                    let idx = t.def.clustering.get(pos).copied().unwrap_or(0);
                    match slice {
                        None => r.filters.push(Filter { column: idx, op: Operator::Eq, values: v }),
                        Some(s) => {
                            if let Some(se) = s.start {
                                let op = if se.inclusive { Operator::Gte } else { Operator::Gt };
                                r.filters.push(Filter { column: idx, op, values: KeyValues::Eq(first_expr(se.values)) });
                            }
                            if let Some(se) = s.end {
                                let op = if se.inclusive { Operator::Lte } else { Operator::Lt };
                                r.filters.push(Filter { column: idx, op, values: KeyValues::Eq(first_expr(se.values)) });
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

fn compile_multi(t: &TableRef, rel: &Relation, m: &mut Markers, r: &mut Restrictions, allow_slice: bool) -> Result<(), RequestError> {
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
                    let end = SliceEnd { values: exprs, inclusive: matches!(op, Operator::Gte | Operator::Lte) };
                    let s = r.ck_slice.get_or_insert_with(Slice::default);
                    if matches!(op, Operator::Gt | Operator::Gte) {
                        s.start = Some(end);
                    } else {
                        s.end = Some(end);
                    }
                }
                _ => return Err(RequestError::invalid(format!("Unsupported \"{}\" relation", op_str(*op)))),
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
    match (typ.unfrozen(), op) {
        (CqlType::List(e), Operator::Contains) | (CqlType::Set(e), Operator::Contains) => Ok((**e).clone()),
        (CqlType::Map(_, v), Operator::Contains) => Ok((**v).clone()),
        (CqlType::Map(k, _), Operator::ContainsKey) => Ok((**k).clone()),
        _ => Err(RequestError::invalid(format!(
            "Cannot use {} on non-collection column {column}",
            op_str(op)
        ))),
    }
}

pub fn op_str(op: Operator) -> &'static str {
    match op {
        Operator::Eq => "=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Neq => "!=",
        Operator::Contains => "CONTAINS",
        Operator::ContainsKey => "CONTAINS KEY",
        Operator::Like => "LIKE",
    }
}

/// Evaluates key values to serialized values; null and unset are rejected with
/// Cassandra's messages.
pub fn eval_values(v: &KeyValues, ctx: &EvalCtx<'_>, column: &str) -> Result<Vec<Bytes>, RequestError> {
    let one = |e: &Expr| -> Result<Bytes, RequestError> {
        match e.eval(ctx)? {
            Val::Bytes(b) => Ok(b),
            Val::Null => Err(RequestError::invalid(format!(
                "Invalid null value in condition for column {column}"
            ))),
            Val::Unset => Err(RequestError::invalid(format!(
                "Invalid unset value for column {column}"
            ))),
        }
    };
    match v {
        KeyValues::Eq(e) => Ok(vec![one(e)?]),
        KeyValues::In(es) => {
            let mut out = Vec::with_capacity(es.len());
            for e in es {
                out.push(one(e)?);
            }
            Ok(out)
        }
        KeyValues::InMarker(e, elem) => {
            let list = match e.eval(ctx)? {
                Val::Bytes(b) => b,
                Val::Null => {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value for IN restriction on {column}"
                    )))
                }
                Val::Unset => {
                    return Err(RequestError::invalid(format!(
                        "Invalid unset value for column {column}"
                    )))
                }
            };
            split_list(&list, elem)
        }
    }
}

/// Splits a serialized `list<elem>` into its serialized elements.
pub fn split_list(list: &Bytes, _elem: &CqlType) -> Result<Vec<Bytes>, RequestError> {
    let bad = || RequestError::invalid("Invalid list value for an IN restriction");
    let n = list.get(0..4).ok_or_else(bad)?;
    let n = i32::from_be_bytes([n[0], n[1], n[2], n[3]]);
    if n < 0 {
        return Err(bad());
    }
    let mut pos = 4usize;
    let mut out = Vec::with_capacity((n as usize).min(1024));
    for _ in 0..n {
        let l = list.get(pos..pos + 4).ok_or_else(bad)?;
        let l = i32::from_be_bytes([l[0], l[1], l[2], l[3]]);
        pos += 4;
        if l < 0 {
            return Err(bad());
        }
        let end = pos + l as usize;
        if end > list.len() {
            return Err(bad());
        }
        out.push(list.slice(pos..end));
        pos = end;
    }
    Ok(out)
}

/// Cartesian product of per-column value lists (IN on several columns).
pub fn cartesian(cols: Vec<Vec<Bytes>>) -> Vec<Vec<Bytes>> {
    let mut out: Vec<Vec<Bytes>> = vec![Vec::with_capacity(cols.len())];
    for vals in cols {
        let mut next = Vec::with_capacity(out.len() * vals.len());
        for prefix in &out {
            for v in &vals {
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

/// The partition keys the restrictions select, deduplicated, with their tokens, in
/// the order Cassandra returns them (by the key's natural order).
pub fn partition_keys(t: &TableRef, r: &Restrictions, ctx: &EvalCtx<'_>) -> Result<Vec<(i64, Bytes)>, RequestError> {
    let mut cols = Vec::with_capacity(r.pk.len());
    for (c, v) in t.def.partition_key_columns().zip(r.pk.iter()) {
        let v = v.as_ref().ok_or_else(|| {
            RequestError::invalid(format!("Some partition key parts are missing: {}", c.name))
        })?;
        let mut vals = eval_values(v, ctx, &c.name)?;
        vals.sort_by(|a, b| values::compare(&c.typ, a, b));
        vals.dedup();
        cols.push(vals);
    }
    let mut keys = Vec::new();
    for comps in cartesian(cols) {
        let key = values::partition_key(&comps);
        if key.len() > u16::MAX as usize {
            return Err(RequestError::invalid(format!(
                "Key length of {} is longer than maximum of {}",
                key.len(),
                u16::MAX
            )));
        }
        keys.push((crate::coordinator::Coordinator::token(&key), key));
    }
    Ok(keys)
}

/// Encodes a clustering prefix (serialized values, one per leading clustering column).
pub fn encode_prefix(t: &TableRef, vals: &[Bytes]) -> Result<Bytes, RequestError> {
    let mut out = BytesMut::new();
    for (v, (typ, desc)) in vals.iter().zip(t.ck_types.iter()) {
        values::encode_clustering(&mut out, typ, v, *desc).map_err(|e| RequestError::invalid(e.to_string()))?;
    }
    Ok(out.freeze())
}

/// The clustering prefixes selected by the = / IN restrictions, sorted in byte order.
pub fn clustering_prefixes(t: &TableRef, r: &Restrictions, ctx: &EvalCtx<'_>) -> Result<Vec<Bytes>, RequestError> {
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let mut out = Vec::new();
    if let Some(tuples) = &r.ck_tuples {
        for tuple in tuples {
            let mut vals = Vec::with_capacity(tuple.len());
            for (e, c) in tuple.iter().zip(ck.iter()) {
                vals.extend(eval_values(&KeyValues::Eq(e.clone()), ctx, &c.name)?);
            }
            out.push(encode_prefix(t, &vals)?);
        }
    } else {
        let mut cols = Vec::with_capacity(r.ck_eq.len());
        for (v, c) in r.ck_eq.iter().zip(ck.iter()) {
            cols.push(eval_values(v, ctx, &c.name)?);
        }
        for vals in cartesian(cols) {
            out.push(encode_prefix(t, &vals)?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Byte-order slices for storage: every prefix, narrowed by the slice if any.
pub fn clustering_slices(t: &TableRef, r: &Restrictions, ctx: &EvalCtx<'_>) -> Result<Vec<(ClusteringBound, ClusteringBound)>, RequestError> {
    let prefixes = clustering_prefixes(t, r, ctx)?;
    let Some(slice) = &r.ck_slice else {
        if !r.has_clustering() {
            return Ok(Vec::new());
        }
        return Ok(prefixes
            .into_iter()
            .map(|p| (ClusteringBound::Inclusive(p.clone()), ClusteringBound::Inclusive(p)))
            .collect());
    };
    let first = r.ck_eq.len();
    let ck: Vec<&crate::schema::ColumnDef> = t.def.clustering_columns().collect();
    let bound = |end: &SliceEnd, prefix: &Bytes| -> Result<Option<(Bytes, bool, bool)>, RequestError> {
        let mut vals = Vec::with_capacity(end.values.len());
        for (i, e) in end.values.iter().enumerate() {
            let name = ck.get(first + i).map(|c| c.name.as_str()).unwrap_or("");
            match e.eval(ctx)? {
                Val::Bytes(b) => vals.push(b),
                Val::Null => {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value in condition for column {name}"
                    )))
                }
                Val::Unset => return Ok(None),
            }
        }
        let desc = t.ck_types.get(first).map(|(_, d)| *d).unwrap_or(false);
        if vals.len() > 1 && t.ck_types.iter().skip(first).take(vals.len()).any(|(_, d)| *d != desc) {
            return Err(RequestError::invalid(
                "Multi-column slices over clustering columns of mixed ASC/DESC order are not supported by Helenus yet",
            ));
        }
        let mut b = BytesMut::from(&prefix[..]);
        for (v, (typ, d)) in vals.iter().zip(t.ck_types.iter().skip(first)) {
            values::encode_clustering(&mut b, typ, v, *d).map_err(|e| RequestError::invalid(e.to_string()))?;
        }
        Ok(Some((b.freeze(), end.inclusive, desc)))
    };
    let mut out = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        let lo = match &slice.start {
            Some(e) => bound(e, &p)?,
            None => None,
        };
        let hi = match &slice.end {
            Some(e) => bound(e, &p)?,
            None => None,
        };
        let open = |p: &Bytes, is_start: bool| {
            if p.is_empty() {
                if is_start { ClusteringBound::Bottom } else { ClusteringBound::Top }
            } else {
                ClusteringBound::Inclusive(p.clone())
            }
        };
        let mk = |b: (Bytes, bool, bool)| {
            if b.1 {
                ClusteringBound::Inclusive(b.0)
            } else {
                ClusteringBound::Exclusive(b.0)
            }
        };
        let desc = t.ck_types.get(first).map(|(_, d)| *d).unwrap_or(false);
        // On a DESC column the byte order is the reverse of the value order: the lower
        // value bound is the byte-order end.
        let (byte_start, byte_end) = if desc { (hi, lo) } else { (lo, hi) };
        let s = byte_start.map(mk).unwrap_or_else(|| open(&p, true));
        let e = byte_end.map(mk).unwrap_or_else(|| open(&p, false));
        out.push((s, e));
    }
    Ok(out)
}
