//! INSERT, UPDATE and DELETE: compiled once into a [`ModifyPlan`], executed per request
//! into `storage::Mutation`s (one per partition, rows of the same partition merged).
//!
//! Collections are stored cell by cell (non-frozen): set elements and map keys are the
//! cell path (byte-comparable), list cells are keyed by a time-ordered path. Overwriting
//! a collection writes a collection tombstone just before the new cells, as Cassandra.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use cql::parser::ast::{self, Assignment, ColumnTarget, InsertValues};
use cql::types::CqlType;
use storage::{Cell, CellValue, ClusteringBound, ColumnId, DeletionTime, LivenessInfo, Mutation, RangeTombstone, Row};

use super::clock::now_seconds;
use super::restrict::{self, Restrictions};
use super::term::{self, EvalCtx, Expr, Markers, Val};
use super::values;
use super::clock::Clock;
use super::TableRef;
use crate::error::RequestError;
use crate::schema::{ColumnDef, ColumnKind};

/// Cassandra's maximum TTL (20 years).
pub const MAX_TTL: i64 = 630_720_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Insert,
    Update,
    Delete,
}

/// What one assignment or deletion does to one column.
#[derive(Debug, Clone)]
pub enum Op {
    /// `col = v` (also INSERT values). For a multi-cell column: tombstone + elements.
    Set(Expr),
    /// list `col = col + v` / set or map `col = col + v`.
    Append(Expr),
    /// list `col = v + col`.
    Prepend(Expr),
    /// set / map key / list value removal `col = col - v`.
    Remove(Expr),
    /// `map[k] = v`
    PutElement(Expr, Expr),
    /// `udt.f = v`
    SetField(usize, Expr),
    /// counter `c = c + n` (or `- n` with `negate`)
    Counter { value: Expr, negate: bool },
    /// DELETE col
    DeleteColumn,
    /// DELETE map[k] / set element
    DeleteElement(Expr),
    /// DELETE udt.f
    DeleteField(usize),
}

#[derive(Debug, Clone)]
pub struct ColumnOp {
    pub column: ColumnId,
    pub name: String,
    pub typ: CqlType,
    pub is_static: bool,
    pub op: Op,
}

/// A compiled INSERT / UPDATE / DELETE.
#[derive(Debug, Clone)]
pub struct ModifyPlan {
    pub kind: Kind,
    pub table: TableRef,
    pub keys: Restrictions,
    pub ops: Vec<ColumnOp>,
    pub timestamp: Option<Expr>,
    pub ttl: Option<Expr>,
    /// Only static columns are written: the clustering may be omitted.
    pub static_only: bool,
}

fn column<'a>(t: &'a TableRef, name: &str) -> Result<&'a ColumnDef, RequestError> {
    t.def
        .column(name)
        .ok_or_else(|| RequestError::invalid(format!("Undefined column name {name}")))
}

fn reject_conditions(c: bool) -> Result<(), RequestError> {
    if c {
        return Err(RequestError::invalid(
            "Conditional updates (IF ..., lightweight transactions) are not supported by Helenus yet",
        ));
    }
    Ok(())
}

fn using(u: &ast::UsingClause, m: &mut Markers) -> Result<(Option<Expr>, Option<Expr>), RequestError> {
    let ts = u
        .timestamp
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Bigint, "[timestamp]", m, None))
        .transpose()?;
    let ttl = u
        .ttl
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Int, "[ttl]", m, None))
        .transpose()?;
    Ok((ts, ttl))
}

pub fn compile_insert(t: TableRef, s: &ast::Insert, m: &mut Markers) -> Result<ModifyPlan, RequestError> {
    reject_conditions(s.if_not_exists)?;
    if t.def.is_counter {
        return Err(RequestError::invalid(
            "INSERT statements are not allowed on counter tables, use UPDATE instead",
        ));
    }
    let (columns, vals) = match &s.values {
        InsertValues::Values { columns, values } => (columns, values),
        InsertValues::Json { .. } => {
            return Err(RequestError::invalid("INSERT JSON is not supported by Helenus yet"))
        }
    };
    let (timestamp, ttl) = using(&s.using, m)?;
    let mut rels = Vec::new();
    let mut ops = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, v) in columns.iter().zip(vals.iter()) {
        let c = column(&t, name)?;
        if !seen.insert(name.as_str()) {
            return Err(RequestError::invalid(format!("Multiple definitions found for column {name}")));
        }
        if c.kind.is_primary_key() {
            rels.push(ast::Relation::Simple {
                column: name.clone(),
                op: ast::Operator::Eq,
                value: v.clone(),
            });
        } else {
            ops.push(ColumnOp {
                column: ColumnId(c.id),
                name: c.name.clone(),
                typ: c.typ.clone(),
                is_static: c.kind == ColumnKind::Static,
                op: Op::Set(term::compile(v, &c.typ, &c.name, m, None)?),
            });
        }
    }
    // Markers in INSERT are compiled in textual order above for regular columns, but
    // the key columns go through restrictions: compile them now.
    let keys = restrict::compile(&t, &rels, m, false, false)?;
    check_keys(&t, &keys, Kind::Insert, false)?;
    Ok(ModifyPlan { kind: Kind::Insert, table: t, keys, ops, timestamp, ttl, static_only: false })
}

pub fn compile_update(t: TableRef, s: &ast::Update, m: &mut Markers) -> Result<ModifyPlan, RequestError> {
    reject_conditions(s.conditions.is_some())?;
    let (timestamp, ttl) = using(&s.using, m)?;
    let mut ops = Vec::new();
    for a in &s.assignments {
        let name = match a {
            Assignment::Set { target, .. } => target.column(),
            Assignment::Add { column, .. } | Assignment::Prepend { column, .. } | Assignment::Subtract { column, .. } => column,
        };
        let c = column(&t, name)?;
        if c.kind.is_primary_key() {
            return Err(RequestError::invalid(format!("PRIMARY KEY part {name} found in SET part")));
        }
        let counter = c.typ.is_counter();
        let elem_type = |c: &ColumnDef| -> CqlType { c.typ.clone() };
        let op = match a {
            Assignment::Set { target: ColumnTarget::Column(_), value } => {
                if counter {
                    return Err(RequestError::invalid(format!(
                        "Cannot set the value of counter column {name} (counters can only be incremented/decremented, not set)"
                    )));
                }
                Op::Set(term::compile(value, &c.typ, name, m, None)?)
            }
            Assignment::Set { target: ColumnTarget::Element(_, key), value } => match c.typ.clone() {
                CqlType::Map(kt, vt) => Op::PutElement(
                    term::compile(key, &kt, &format!("key({name})"), m, None)?,
                    term::compile(value, &vt, &format!("value({name})"), m, None)?,
                ),
                CqlType::List(_) => {
                    return Err(RequestError::invalid(
                        "Setting a list element by index is not supported by Helenus yet",
                    ))
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation ({name}[?] = ?) for non collection column {name}"
                    )))
                }
            },
            Assignment::Set { target: ColumnTarget::Field(_, f), value } => match c.typ.clone() {
                CqlType::Udt(u) => {
                    let (i, (_, ft)) = u
                        .fields
                        .iter()
                        .enumerate()
                        .find(|(_, (n, _))| n == f)
                        .ok_or_else(|| RequestError::invalid(format!("UDT column {name} does not have a field named {f}")))?;
                    Op::SetField(i, term::compile(value, ft, &format!("{name}.{f}"), m, None)?)
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation ({name}.{f} = ?) for non-UDT column {name}"
                    )))
                }
            },
            Assignment::Add { value, .. } | Assignment::Subtract { value, .. } if counter => {
                let negate = matches!(a, Assignment::Subtract { .. });
                Op::Counter { value: term::compile(value, &CqlType::Bigint, name, m, None)?, negate }
            }
            Assignment::Add { value, .. } => {
                check_collection(c, "+")?;
                Op::Append(term::compile(value, &elem_type(c), name, m, None)?)
            }
            Assignment::Prepend { value, .. } => {
                if !matches!(c.typ, CqlType::List(_)) {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation ({name} = ? + {name}) for non list column {name}"
                    )));
                }
                Op::Prepend(term::compile(value, &c.typ, name, m, None)?)
            }
            Assignment::Subtract { value, .. } => {
                check_collection(c, "-")?;
                let rt = match &c.typ {
                    // `map - {keys}` takes a set of keys.
                    CqlType::Map(k, _) => CqlType::Set(k.clone()),
                    other => other.clone(),
                };
                Op::Remove(term::compile(value, &rt, name, m, None)?)
            }
        };
        if !counter && matches!(a, Assignment::Add { .. } | Assignment::Subtract { .. }) && !c.typ.is_multi_cell() {
            return Err(RequestError::invalid(format!(
                "Invalid operation ({name} = {name} {} ?) for non counter column {name}",
                if matches!(a, Assignment::Add { .. }) { "+" } else { "-" }
            )));
        }
        ops.push(ColumnOp {
            column: ColumnId(c.id),
            name: c.name.clone(),
            typ: c.typ.clone(),
            is_static: c.kind == ColumnKind::Static,
            op,
        });
    }
    let keys = restrict::compile(&t, &s.where_clause, m, false, false)?;
    let static_only = !ops.is_empty() && ops.iter().all(|o| o.is_static);
    check_keys(&t, &keys, Kind::Update, static_only)?;
    if t.def.is_counter && ttl.is_some() {
        return Err(RequestError::invalid("Cannot provide custom TTL for counter updates"));
    }
    Ok(ModifyPlan { kind: Kind::Update, table: t, keys, ops, timestamp, ttl, static_only })
}

fn check_collection(c: &ColumnDef, op: &str) -> Result<(), RequestError> {
    if !c.typ.is_multi_cell() || matches!(c.typ, CqlType::Udt(_)) {
        return Err(RequestError::invalid(format!(
            "Invalid operation ({0} = {0} {op} ?) for non counter column {0}",
            c.name
        )));
    }
    Ok(())
}

pub fn compile_delete(t: TableRef, s: &ast::Delete, m: &mut Markers) -> Result<ModifyPlan, RequestError> {
    reject_conditions(s.conditions.is_some())?;
    let mut ops = Vec::new();
    for target in &s.targets {
        let name = target.column();
        let c = column(&t, name)?;
        if c.kind.is_primary_key() {
            return Err(RequestError::invalid(format!(
                "Invalid identifier {name} for deletion (should not be a PRIMARY KEY part)"
            )));
        }
        let op = match target {
            ColumnTarget::Column(_) => Op::DeleteColumn,
            ColumnTarget::Element(_, key) => match &c.typ {
                CqlType::Map(kt, _) => Op::DeleteElement(term::compile(key, kt, &format!("key({name})"), m, None)?),
                CqlType::Set(et) => Op::DeleteElement(term::compile(key, et, name, m, None)?),
                CqlType::List(_) => {
                    return Err(RequestError::invalid(
                        "Deleting a list element by index is not supported by Helenus yet",
                    ))
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation (DELETE {name}[?]) for non collection column {name}"
                    )))
                }
            },
            ColumnTarget::Field(_, f) => match &c.typ {
                CqlType::Udt(u) => {
                    let i = u.fields.iter().position(|(n, _)| n == f).ok_or_else(|| {
                        RequestError::invalid(format!("UDT column {name} does not have a field named {f}"))
                    })?;
                    Op::DeleteField(i)
                }
                _ => {
                    return Err(RequestError::invalid(format!(
                        "Invalid operation (DELETE {name}.{f}) for non-UDT column {name}"
                    )))
                }
            },
        };
        ops.push(ColumnOp {
            column: ColumnId(c.id),
            name: c.name.clone(),
            typ: c.typ.clone(),
            is_static: c.kind == ColumnKind::Static,
            op,
        });
    }
    let timestamp = s
        .timestamp
        .as_ref()
        .map(|t| term::compile(t, &CqlType::Bigint, "[timestamp]", m, None))
        .transpose()?;
    let keys = restrict::compile(&t, &s.where_clause, m, false, true)?;
    let static_only = !ops.is_empty() && ops.iter().all(|o| o.is_static);
    if !ops.is_empty() && keys.ck_slice.is_some() {
        return Err(RequestError::invalid("Range deletions are not supported for specific columns"));
    }
    check_keys(&t, &keys, Kind::Delete, static_only)?;
    Ok(ModifyPlan { kind: Kind::Delete, table: t, keys, ops, timestamp, ttl: None, static_only })
}

/// Cassandra's checks on key completeness for modifications.
fn check_keys(t: &TableRef, r: &Restrictions, kind: Kind, static_only: bool) -> Result<(), RequestError> {
    let missing_pk: Vec<&str> = t
        .def
        .partition_key_columns()
        .zip(r.pk.iter())
        .filter(|(_, v)| v.is_none())
        .map(|(c, _)| c.name.as_str())
        .collect();
    if !missing_pk.is_empty() {
        return Err(RequestError::invalid(format!(
            "Some partition key parts are missing: {}",
            missing_pk.join(", ")
        )));
    }
    let nck = t.def.clustering.len();
    let given = if r.ck_tuples.is_some() { nck } else { r.ck_eq.len() };
    let full = given == nck;
    match kind {
        Kind::Insert | Kind::Update => {
            if !full && !(static_only && given == 0) {
                let missing: Vec<&str> = t.def.clustering_columns().skip(given).map(|c| c.name.as_str()).collect();
                return Err(RequestError::invalid(format!(
                    "Some clustering keys are missing: {}",
                    missing.join(", ")
                )));
            }
        }
        Kind::Delete => {
            if static_only && given > 0 {
                return Err(RequestError::invalid(
                    "Invalid restrictions on clustering columns since the DELETE statement modifies only static columns",
                ));
            }
        }
    }
    Ok(())
}

/// The write timestamp and TTL of one execution.
pub struct WriteAttrs {
    pub timestamp: i64,
    pub ttl: Option<(i32, i32)>,
    pub now: i32,
}

impl ModifyPlan {
    /// Resolves USING TIMESTAMP / TTL (or the defaults) for this execution.
    pub fn attrs(&self, ctx: &EvalCtx<'_>, default_ts: i64) -> Result<WriteAttrs, RequestError> {
        let now = now_seconds() as i32;
        let timestamp = match &self.timestamp {
            None => default_ts,
            Some(e) => match e.eval(ctx)? {
                Val::Bytes(b) => be_i64(&b)?,
                Val::Null => return Err(RequestError::invalid("Invalid null value of timestamp")),
                Val::Unset => default_ts,
            },
        };
        let default_ttl = i64::from(self.table.def.params.default_time_to_live);
        let ttl = match &self.ttl {
            None => default_ttl,
            Some(e) => match e.eval(ctx)? {
                Val::Bytes(b) => i64::from(be_i32(&b)?),
                Val::Null => return Err(RequestError::invalid("Invalid null value of TTL")),
                Val::Unset => default_ttl,
            },
        };
        if ttl < 0 {
            return Err(RequestError::invalid(format!("A TTL must be greater or equal to 0, but was {ttl}")));
        }
        if ttl > MAX_TTL {
            return Err(RequestError::invalid(format!(
                "ttl is too large. requested ({ttl}) maximum ({MAX_TTL})"
            )));
        }
        let ttl = (ttl > 0).then(|| (ttl as i32, now.saturating_add(ttl as i32)));
        Ok(WriteAttrs { timestamp, ttl, now })
    }

    /// Builds the mutations of one execution, appending to `out` (a batch merges them
    /// later by partition).
    pub fn mutations(&self, ctx: &EvalCtx<'_>, attrs: &WriteAttrs, clock: &Clock, out: &mut Vec<Mutation>) -> Result<(), RequestError> {
        let t = &self.table;
        let keys = restrict::partition_keys(t, &self.keys, ctx)?;
        let deletion = DeletionTime { marked_for_delete_at: attrs.timestamp, local_deletion_time: attrs.now };
        let prefixes = if self.keys.has_clustering() {
            if self.keys.ck_slice.is_some() {
                Vec::new()
            } else {
                restrict::clustering_prefixes(t, &self.keys, ctx)?
            }
        } else {
            vec![Bytes::new()]
        };
        let slices = if self.keys.ck_slice.is_some() {
            restrict::clustering_slices(t, &self.keys, ctx)?
        } else {
            Vec::new()
        };
        // Cells are built once and shared by every (partition, row) of an IN.
        let mut regular = Row::default();
        let mut statics = Row::default();
        for op in &self.ops {
            let row = if op.is_static { &mut statics } else { &mut regular };
            self.apply_op(op, ctx, attrs, clock, row)?;
        }
        let nck = t.def.clustering.len();
        for (token, key) in keys {
            let mut m = Mutation { table: t.id, token, key, ..Default::default() };
            match self.kind {
                Kind::Delete if self.ops.is_empty() => {
                    if !slices.is_empty() {
                        for (start, end) in &slices {
                            m.range_tombstones.push(RangeTombstone { start: start.clone(), end: end.clone(), deletion });
                        }
                    } else {
                        for p in &prefixes {
                            if p.is_empty() {
                                m.partition_deletion = Some(deletion);
                            } else if self.keys.ck_eq.len() < nck && self.keys.ck_tuples.is_none() {
                                m.range_tombstones.push(RangeTombstone {
                                    start: ClusteringBound::Inclusive(p.clone()),
                                    end: ClusteringBound::Inclusive(p.clone()),
                                    deletion,
                                });
                            } else {
                                m.rows.push(Row { clustering: p.clone(), deletion: Some(deletion), ..Default::default() });
                            }
                        }
                    }
                }
                _ => {
                    if !statics.cells.is_empty() || !statics.complex_deletions.is_empty() {
                        m.static_row = Some(statics.clone());
                    }
                    let write_regular = !(self.static_only && self.keys.ck_eq.is_empty());
                    if write_regular && (self.kind == Kind::Insert || !regular.cells.is_empty() || !regular.complex_deletions.is_empty()) {
                        for p in &prefixes {
                            let mut r = regular.clone();
                            r.clustering = p.clone();
                            if self.kind == Kind::Insert {
                                r.liveness = Some(LivenessInfo { timestamp: attrs.timestamp, ttl: attrs.ttl });
                            }
                            m.rows.push(r);
                        }
                    }
                }
            }
            out.push(m);
        }
        Ok(())
    }

    fn apply_op(&self, op: &ColumnOp, ctx: &EvalCtx<'_>, a: &WriteAttrs, clock: &Clock, row: &mut Row) -> Result<(), RequestError> {
        let live = |path: Option<Bytes>, value: Bytes| Cell {
            column: op.column,
            path,
            timestamp: a.timestamp,
            value: CellValue::Live { value, ttl: a.ttl },
        };
        let tomb = |path: Option<Bytes>| Cell {
            column: op.column,
            path,
            timestamp: a.timestamp,
            value: CellValue::Tombstone { local_deletion_time: a.now },
        };
        let multi = op.typ.is_multi_cell();
        match &op.op {
            Op::Set(e) => {
                let v = e.eval(ctx)?;
                if matches!(v, Val::Unset) {
                    return Ok(());
                }
                if multi {
                    // Overwrite: delete the previous collection just before the new cells.
                    row.complex_deletions.push((
                        op.column,
                        DeletionTime { marked_for_delete_at: a.timestamp - 1, local_deletion_time: a.now },
                    ));
                    if let Val::Bytes(b) = v {
                        self.add_elements(op, &b, a, clock, row, false)?;
                    }
                } else {
                    match v {
                        Val::Bytes(b) => row.cells.push(live(None, b)),
                        _ => row.cells.push(tomb(None)),
                    }
                }
            }
            Op::Append(e) | Op::Prepend(e) => match e.eval(ctx)? {
                Val::Bytes(b) => self.add_elements(op, &b, a, clock, row, matches!(op.op, Op::Prepend(_)))?,
                Val::Unset => {}
                Val::Null => {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value for column {}",
                        op.name
                    )))
                }
            },
            Op::Remove(e) => {
                if let Val::Bytes(b) = e.eval(ctx)? {
                    match op.typ.unfrozen() {
                        CqlType::Set(et) | CqlType::Map(et, _) => {
                            let set_t = CqlType::Set(et.clone());
                            for item in split_collection(&b, &set_t)? {
                                row.cells.push(tomb(Some(path_of(et, &item)?)));
                            }
                        }
                        _ => {
                            return Err(RequestError::invalid(
                                "Removing elements from a list is not supported by Helenus yet",
                            ))
                        }
                    }
                }
            }
            Op::PutElement(k, v) => {
                let CqlType::Map(kt, _) = op.typ.unfrozen() else { return Ok(()) };
                let key = match k.eval(ctx)? {
                    Val::Bytes(b) => b,
                    _ => return Err(RequestError::invalid(format!("Invalid null value for map key in column {}", op.name))),
                };
                let path = path_of(kt, &key)?;
                match v.eval(ctx)? {
                    Val::Bytes(b) => row.cells.push(live(Some(path), b)),
                    Val::Null => row.cells.push(tomb(Some(path))),
                    Val::Unset => {}
                }
            }
            Op::SetField(i, v) => {
                let path = Bytes::copy_from_slice(&(*i as u16).to_be_bytes());
                match v.eval(ctx)? {
                    Val::Bytes(b) => row.cells.push(live(Some(path), b)),
                    Val::Null => row.cells.push(tomb(Some(path))),
                    Val::Unset => {}
                }
            }
            Op::Counter { value, negate } => match value.eval(ctx)? {
                Val::Bytes(b) => {
                    let d = be_i64(&b)?;
                    let delta = if *negate { d.checked_neg().ok_or_else(|| RequestError::invalid("counter delta overflow"))? } else { d };
                    row.cells.push(Cell { column: op.column, path: None, timestamp: a.timestamp, value: CellValue::Counter { delta } });
                }
                Val::Null => return Err(RequestError::invalid(format!("Invalid null value for counter increment on {}", op.name))),
                Val::Unset => {}
            },
            Op::DeleteColumn => {
                if multi {
                    row.complex_deletions.push((op.column, DeletionTime { marked_for_delete_at: a.timestamp, local_deletion_time: a.now }));
                } else {
                    row.cells.push(tomb(None));
                }
            }
            Op::DeleteElement(k) => {
                let et = match op.typ.unfrozen() {
                    CqlType::Map(k, _) | CqlType::Set(k) => (**k).clone(),
                    _ => return Ok(()),
                };
                if let Val::Bytes(key) = k.eval(ctx)? {
                    row.cells.push(tomb(Some(path_of(&et, &key)?)));
                } else {
                    return Err(RequestError::invalid(format!("Invalid null value for element of column {}", op.name)));
                }
            }
            Op::DeleteField(i) => {
                row.cells.push(tomb(Some(Bytes::copy_from_slice(&(*i as u16).to_be_bytes()))));
            }
        }
        Ok(())
    }

    /// Adds the elements of a serialized collection (or UDT) value as cells.
    fn add_elements(&self, op: &ColumnOp, b: &Bytes, a: &WriteAttrs, clock: &Clock, row: &mut Row, prepend: bool) -> Result<(), RequestError> {
        let live = |path: Bytes, value: Bytes| Cell {
            column: op.column,
            path: Some(path),
            timestamp: a.timestamp,
            value: CellValue::Live { value, ttl: a.ttl },
        };
        match op.typ.unfrozen() {
            CqlType::Set(et) => {
                for item in split_collection(b, &op.typ)? {
                    row.cells.push(live(path_of(et, &item)?, Bytes::new()));
                }
            }
            CqlType::Map(kt, _) => {
                let items = split_collection(b, &op.typ)?;
                for pair in items.chunks(2) {
                    if let [k, v] = pair {
                        row.cells.push(live(path_of(kt, k)?, v.clone()));
                    }
                }
            }
            CqlType::List(_) => {
                let items = split_collection(b, &op.typ)?;
                let n = items.len();
                let paths: Vec<Bytes> = (0..n).map(|_| list_path(clock, prepend)).collect();
                // Prepended items get decreasing paths; reverse so the first item is first.
                for (i, item) in items.into_iter().enumerate() {
                    let p = if prepend { paths[n - 1 - i].clone() } else { paths[i].clone() };
                    row.cells.push(live(p, item));
                }
            }
            CqlType::Udt(_) => {
                for (i, f) in split_fields(b)?.into_iter().enumerate() {
                    let path = Bytes::copy_from_slice(&(i as u16).to_be_bytes());
                    match f {
                        Some(v) => row.cells.push(live(path, v)),
                        None => row.cells.push(Cell {
                            column: op.column,
                            path: Some(path),
                            timestamp: a.timestamp,
                            value: CellValue::Tombstone { local_deletion_time: a.now },
                        }),
                    }
                }
            }
            _ => row.cells.push(Cell { column: op.column, path: None, timestamp: a.timestamp, value: CellValue::Live { value: b.clone(), ttl: a.ttl } }),
        }
        Ok(())
    }
}

/// A list cell path: 8 bytes ordered by time. Appends use the node's monotonic clock;
/// prepends use its negation so that each prepend sorts before everything earlier.
fn list_path(clock: &Clock, prepend: bool) -> Bytes {
    let t = clock.next_micros();
    let v = if prepend { -t } else { t };
    // Flip the sign bit: two's complement order becomes unsigned byte order.
    let u = (v as u64) ^ (1u64 << 63);
    Bytes::copy_from_slice(&u.to_be_bytes())
}

/// The cell path of a set element or map key: its byte-comparable encoding.
pub fn path_of(typ: &CqlType, v: &[u8]) -> Result<Bytes, RequestError> {
    let mut out = BytesMut::new();
    values::encode_clustering(&mut out, typ, v, false).map_err(|e| RequestError::invalid(e.to_string()))?;
    Ok(out.freeze())
}

/// The serialized elements of a list or set (`[int n] ([int len][bytes])*`), or the
/// alternating keys and values of a map.
pub fn split_collection(b: &Bytes, typ: &CqlType) -> Result<Vec<Bytes>, RequestError> {
    let bad = || RequestError::invalid(format!("Invalid collection value for type {}", typ.cql_name()));
    let n = b.get(0..4).ok_or_else(bad)?;
    let n = i32::from_be_bytes([n[0], n[1], n[2], n[3]]);
    if n < 0 {
        return Err(bad());
    }
    let per = if matches!(typ.unfrozen(), CqlType::Map(..)) { 2 } else { 1 };
    let total = n as usize * per;
    let mut out = Vec::with_capacity(total.min(4096));
    let mut pos = 4usize;
    for _ in 0..total {
        let l = b.get(pos..pos + 4).ok_or_else(bad)?;
        let l = i32::from_be_bytes([l[0], l[1], l[2], l[3]]);
        pos += 4;
        if l < 0 {
            return Err(RequestError::invalid("null is not supported inside collections"));
        }
        let end = pos + l as usize;
        out.push(b.get(pos..end).map(|_| b.slice(pos..end)).ok_or_else(bad)?);
        pos = end;
    }
    Ok(out)
}

/// The fields of a serialized tuple or UDT (`([int len][bytes])*`, -1 = null).
pub fn split_fields(b: &Bytes) -> Result<Vec<Option<Bytes>>, RequestError> {
    let bad = || RequestError::invalid("Invalid user type value");
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < b.len() {
        let l = b.get(pos..pos + 4).ok_or_else(bad)?;
        let l = i32::from_be_bytes([l[0], l[1], l[2], l[3]]);
        pos += 4;
        if l < 0 {
            out.push(None);
            continue;
        }
        let end = pos + l as usize;
        out.push(Some(b.get(pos..end).map(|_| b.slice(pos..end)).ok_or_else(bad)?));
        pos = end;
    }
    Ok(out)
}

fn be_i64(b: &[u8]) -> Result<i64, RequestError> {
    let a: [u8; 8] = b.try_into().map_err(|_| RequestError::invalid(format!("Expected 8 or 0 byte long ({})", b.len())))?;
    Ok(i64::from_be_bytes(a))
}

fn be_i32(b: &[u8]) -> Result<i32, RequestError> {
    let a: [u8; 4] = b.try_into().map_err(|_| RequestError::invalid(format!("Expected 4 or 0 byte int ({})", b.len())))?;
    Ok(i32::from_be_bytes(a))
}

/// Merges mutations of the same table and partition (a batch touching one partition
/// several times is applied as one atomic mutation).
pub fn merge_mutations(ms: Vec<Mutation>) -> Vec<Mutation> {
    if ms.len() < 2 {
        return ms;
    }
    let mut by_key: BTreeMap<(storage::TableId, i64, Bytes), Mutation> = BTreeMap::new();
    for m in ms {
        let k = (m.table, m.token, m.key.clone());
        match by_key.get_mut(&k) {
            None => {
                by_key.insert(k, m);
            }
            Some(acc) => {
                acc.partition_deletion = match (acc.partition_deletion, m.partition_deletion) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                acc.range_tombstones.extend(m.range_tombstones);
                if let Some(s) = m.static_row {
                    match &mut acc.static_row {
                        Some(existing) => merge_row(existing, s),
                        None => acc.static_row = Some(s),
                    }
                }
                for r in m.rows {
                    match acc.rows.iter_mut().find(|x| x.clustering == r.clustering) {
                        Some(existing) => merge_row(existing, r),
                        None => acc.rows.push(r),
                    }
                }
            }
        }
    }
    by_key.into_values().collect()
}

fn merge_row(into: &mut Row, r: Row) {
    into.liveness = match (into.liveness, r.liveness) {
        (Some(a), Some(b)) => Some(if b.timestamp >= a.timestamp { b } else { a }),
        (a, b) => a.or(b),
    };
    into.deletion = match (into.deletion, r.deletion) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    into.complex_deletions.extend(r.complex_deletions);
    into.cells.extend(r.cells);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testutil::{int, kcv, parse};
    use crate::schema::Order;
    use cql::parser::ast::Statement;

    fn plan(t: TableRef, text: &str) -> Result<(ModifyPlan, Markers), RequestError> {
        let (st, mut m) = parse(text);
        let p = match &st {
            Statement::Insert(s) => compile_insert(t, s, &mut m)?,
            Statement::Update(s) => compile_update(t, s, &mut m)?,
            Statement::Delete(s) => compile_delete(t, s, &mut m)?,
            other => panic!("not a modification: {other:?}"),
        };
        Ok((p, m))
    }

    fn run(p: &ModifyPlan, vals: &[Val]) -> Vec<Mutation> {
        let ctx = EvalCtx { values: vals };
        let attrs = p.attrs(&ctx, 42).unwrap();
        let mut out = Vec::new();
        p.mutations(&ctx, &attrs, &Clock::default(), &mut out).unwrap();
        out
    }

    #[test]
    fn insert_encodes_key_token_and_clustering() {
        let (p, m) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (?, ?, 5)").unwrap();
        assert_eq!(m.specs.iter().flatten().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["k", "c"]);
        let ms = run(&p, &[int(1), int(2)]);
        assert_eq!(ms.len(), 1);
        let mu = &ms[0];
        assert_eq!(&mu.key[..], &1i32.to_be_bytes());
        assert_eq!(mu.token, gossip::partitioner::murmur3_token(&1i32.to_be_bytes()));
        assert_eq!(mu.rows.len(), 1);
        let row = &mu.rows[0];
        let mut ck = Vec::new();
        cql::types::encode_key_component(&CqlType::Int, &2i32.to_be_bytes(), false, &mut ck).unwrap();
        assert_eq!(&row.clustering[..], &ck[..]);
        assert_eq!(row.liveness.map(|l| l.timestamp), Some(42));
        assert_eq!(row.cells.len(), 1);
        assert!(matches!(&row.cells[0].value, CellValue::Live { value, .. } if value[..] == 5i32.to_be_bytes()));
    }

    #[test]
    fn desc_clustering_inverts_the_encoding() {
        let (asc, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c) VALUES (1, 2)").unwrap();
        let (desc, _) = plan(kcv(Order::Desc), "INSERT INTO t (k, c) VALUES (1, 2)").unwrap();
        let a = run(&asc, &[]).remove(0).rows.remove(0).clustering;
        let d = run(&desc, &[]).remove(0).rows.remove(0).clustering;
        assert_eq!(a.iter().map(|b| !b).collect::<Vec<u8>>(), d.to_vec());
    }

    #[test]
    fn in_on_partition_key_writes_one_mutation_per_key() {
        let (p, _) = plan(kcv(Order::Asc), "UPDATE t SET v = 1 WHERE k IN (3, 1, 3) AND c = 0").unwrap();
        let ms = run(&p, &[]);
        let keys: Vec<Vec<u8>> = ms.iter().map(|m| m.key.to_vec()).collect();
        assert_eq!(keys, vec![1i32.to_be_bytes().to_vec(), 3i32.to_be_bytes().to_vec()]);
        assert!(ms.iter().all(|m| m.rows.len() == 1 && m.rows[0].liveness.is_none()));
    }

    #[test]
    fn static_update_needs_no_clustering_and_writes_the_static_row() {
        let (p, _) = plan(kcv(Order::Asc), "UPDATE t SET s = 3 WHERE k = 1").unwrap();
        let m = run(&p, &[]).remove(0);
        assert!(m.rows.is_empty());
        assert_eq!(m.static_row.map(|r| r.cells.len()), Some(1));
    }

    #[test]
    fn delete_kinds_map_to_storage_deletions() {
        let t = kcv(Order::Asc);
        let (p, _) = plan(t.clone(), "DELETE FROM t WHERE k = 1").unwrap();
        assert!(run(&p, &[]).remove(0).partition_deletion.is_some());
        let (p, _) = plan(t.clone(), "DELETE FROM t WHERE k = 1 AND c = 2").unwrap();
        assert!(run(&p, &[]).remove(0).rows[0].deletion.is_some());
        let (p, _) = plan(t.clone(), "DELETE FROM t WHERE k = 1 AND c > 2").unwrap();
        let rt = &run(&p, &[]).remove(0).range_tombstones;
        assert_eq!(rt.len(), 1);
        assert!(matches!(rt[0].start, ClusteringBound::Exclusive(_)));
        assert!(matches!(rt[0].end, ClusteringBound::Top));
        let (p, _) = plan(t, "DELETE v FROM t WHERE k = 1 AND c = 2").unwrap();
        let m = run(&p, &[]).remove(0);
        assert!(matches!(m.rows[0].cells[0].value, CellValue::Tombstone { .. }));
    }

    #[test]
    fn cassandra_messages_for_bad_modifications() {
        let t = kcv(Order::Asc);
        let err = |text: &str| plan(t.clone(), text).map(|_| ()).unwrap_err().to_string();
        assert_eq!(err("INSERT INTO t (c, v) VALUES (1, 1)"), "Some partition key parts are missing: k");
        assert_eq!(err("UPDATE t SET v = 1 WHERE k = 1"), "Some clustering keys are missing: c");
        assert_eq!(err("UPDATE t SET k = 1 WHERE k = 1 AND c = 1"), "PRIMARY KEY part k found in SET part");
        assert_eq!(err("UPDATE t SET v = 1 WHERE k = 1 AND c = 1 AND v = 2"), "Non PRIMARY KEY columns found in where clause: v");
        assert_eq!(err("INSERT INTO t (k, c, nope) VALUES (1, 1, 1)"), "Undefined column name nope");
        assert_eq!(err("INSERT INTO t (k, c) VALUES ('a', 1)"), "Invalid STRING constant (a) for \"k\" of type int");
        assert_eq!(err("UPDATE t SET v = v + 1 WHERE k = 1 AND c = 1"), "Invalid operation (v = v + ?) for non counter column v");
    }

    #[test]
    fn null_key_and_bad_ttl_are_rejected_per_execution() {
        let (p, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c) VALUES (?, 1) USING TTL ?").unwrap();
        let ctx_vals = [Val::Null, int(10)];
        let ctx = EvalCtx { values: &ctx_vals };
        let attrs = p.attrs(&ctx, 1).unwrap();
        let e = p.mutations(&ctx, &attrs, &Clock::default(), &mut Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "Invalid null value in condition for column k");
        let vals = [int(1), int(-1)];
        let e = p.attrs(&EvalCtx { values: &vals }, 1).map(|_| ()).unwrap_err();
        assert_eq!(e.to_string(), "A TTL must be greater or equal to 0, but was -1");
    }

    #[test]
    fn batch_merge_combines_rows_of_one_partition() {
        let (a, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (1, 1, 1)").unwrap();
        let (b, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (1, 2, 2)").unwrap();
        let (c, _) = plan(kcv(Order::Asc), "INSERT INTO t (k, c, v) VALUES (2, 1, 1)").unwrap();
        let mut all = run(&a, &[]);
        all.extend(run(&b, &[]));
        all.extend(run(&c, &[]));
        let merged = merge_mutations(all);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged.iter().map(|m| m.rows.len()).sum::<usize>(), 3);
    }
}
