//! Executing a [`ModifyPlan`]: timestamps and TTLs, cells, tombstones and the
//! mutations per partition.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use cql::types::CqlType;
use storage::{
    Cell, CellValue, ClusteringBound, DeletionTime, LivenessInfo, Mutation, RangeTombstone, Row,
};

use super::{ColumnOp, Kind, ModifyPlan, Op, MAX_TTL};
use crate::error::RequestError;
use crate::exec::clock::{now_seconds, Clock};
use crate::exec::restrict;
use crate::exec::term::{EvalCtx, Expr, Val};
use crate::exec::values;

/// The write timestamp and TTL of one execution.
pub struct WriteAttrs {
    pub timestamp: i64,
    pub ttl: Option<(i32, i32)>,
    pub now: i32,
    /// The row's current cells, for list operations by index or value.
    pub prior: Vec<Cell>,
}

impl ModifyPlan {
    /// Resolves USING TIMESTAMP / TTL (or the defaults) for this execution.
    pub fn attrs(&self, ctx: &EvalCtx<'_>, default_ts: i64) -> Result<WriteAttrs, RequestError> {
        self.attrs_at(ctx, default_ts, None)
    }

    /// [`Self::attrs`] with the v5 `now_in_seconds` of the request, when given.
    pub fn attrs_at(
        &self,
        ctx: &EvalCtx<'_>,
        default_ts: i64,
        now: Option<i32>,
    ) -> Result<WriteAttrs, RequestError> {
        let now = now.unwrap_or_else(|| now_seconds() as i32);
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
            return Err(RequestError::invalid(format!(
                "A TTL must be greater or equal to 0, but was {ttl}"
            )));
        }
        if ttl > MAX_TTL {
            return Err(RequestError::invalid(format!(
                "ttl is too large. requested ({ttl}) maximum ({MAX_TTL})"
            )));
        }
        let ttl = (ttl > 0).then(|| (ttl as i32, now.saturating_add(ttl as i32)));
        Ok(WriteAttrs {
            timestamp,
            ttl,
            now,
            prior: Vec::new(),
        })
    }

    /// Reads the target row when a list operation needs its current cells (one row
    /// only: such statements may not use IN).
    pub fn load_prior(
        &self,
        engine: &storage::Engine,
        ctx: &EvalCtx<'_>,
        attrs: &mut WriteAttrs,
    ) -> Result<(), RequestError> {
        if !self.ops.iter().any(|o| o.op.needs_read(&o.typ)) {
            return Ok(());
        }
        let t = &self.table;
        let keys = restrict::partition_keys(t, &self.keys, ctx)?;
        let prefixes = if self.keys.has_clustering() {
            restrict::clustering_prefixes(t, &self.keys, ctx)?
        } else {
            vec![Bytes::new()]
        };
        let ([(token, key)], [prefix]) = (&keys[..], &prefixes[..]) else {
            return Err(RequestError::invalid(
                "List operations by index or value on several rows (IN) are not supported by Helenus yet",
            ));
        };
        let slices = if prefix.is_empty() {
            Vec::new()
        } else {
            vec![(
                ClusteringBound::Inclusive(prefix.clone()),
                ClusteringBound::Inclusive(prefix.clone()),
            )]
        };
        let cmd = storage::ReadCommand {
            table: t.id,
            token: *token,
            key: key.clone(),
            slices,
            reversed: false,
            row_limit: Some(1),
            resume_after: None,
            now_seconds: attrs.now,
        };
        if let Some(p) = crate::coordinator::blocking(|| engine.read(&cmd))? {
            if let Some(s) = p.static_row {
                attrs.prior.extend(s.cells);
            }
            if let Some(r) = p.rows.into_iter().next() {
                attrs.prior.extend(r.cells);
            }
        }
        Ok(())
    }

    /// Builds the mutations of one execution, appending to `out` (a batch merges them
    /// later by partition).
    pub fn mutations(
        &self,
        ctx: &EvalCtx<'_>,
        attrs: &WriteAttrs,
        clock: &Clock,
        out: &mut Vec<Mutation>,
    ) -> Result<(), RequestError> {
        let synthetic;
        let json_ctx;
        let ctx = match &self.json {
            Some((expr, default_unset)) => {
                synthetic = self.json_values(expr, *default_unset, ctx)?;
                json_ctx = EvalCtx { values: &synthetic };
                &json_ctx
            }
            None => ctx,
        };
        let t = &self.table;
        let keys = restrict::partition_keys(t, &self.keys, ctx)?;
        let deletion = DeletionTime {
            marked_for_delete_at: attrs.timestamp,
            local_deletion_time: attrs.now,
        };
        // The one empty prefix of a table without clustering columns is borrowed,
        // not allocated.
        let no_clustering = Bytes::new();
        let selected;
        let prefixes: &[Bytes] = if self.keys.has_clustering() {
            selected = if self.keys.ck_slice.is_some() {
                Vec::new()
            } else {
                restrict::clustering_prefixes(t, &self.keys, ctx)?
            };
            &selected
        } else {
            std::slice::from_ref(&no_clustering)
        };
        let slices = if self.keys.ck_slice.is_some() {
            restrict::clustering_slices(t, &self.keys, ctx)?
        } else {
            Vec::new()
        };
        // Cells are built once and shared by every (partition, row) of an IN. Room
        // for one cell per operation (the common case) spares the vector's regrowth.
        let regular_ops = self.ops.iter().filter(|op| !op.is_static).count();
        let mut regular = Row {
            cells: Vec::with_capacity(regular_ops),
            ..Row::default()
        };
        let mut statics = Row::default();
        for op in &self.ops {
            let row = if op.is_static {
                &mut statics
            } else {
                &mut regular
            };
            self.apply_op(op, ctx, attrs, clock, row)?;
        }
        let nck = t.def.clustering.len();
        // One partition and one row (nearly every write): the cells move into the
        // mutation instead of being cloned once and dropped.
        let single = keys.len() == 1 && prefixes.len() <= 1;
        for (token, key) in keys {
            let mut m = Mutation {
                table: t.id,
                token,
                key,
                ..Default::default()
            };
            match self.kind {
                Kind::Delete if self.ops.is_empty() => {
                    if !slices.is_empty() {
                        for (start, end) in &slices {
                            m.range_tombstones.push(RangeTombstone {
                                start: start.clone(),
                                end: end.clone(),
                                deletion,
                            });
                        }
                    } else {
                        for p in prefixes {
                            if p.is_empty() {
                                m.partition_deletion = Some(deletion);
                            } else if self.keys.ck_eq.len() < nck && self.keys.ck_tuples.is_none() {
                                m.range_tombstones.push(RangeTombstone {
                                    start: ClusteringBound::Inclusive(p.clone()),
                                    end: ClusteringBound::Inclusive(p.clone()),
                                    deletion,
                                });
                            } else {
                                m.rows.push(Row {
                                    clustering: p.clone(),
                                    deletion: Some(deletion),
                                    ..Default::default()
                                });
                            }
                        }
                    }
                }
                _ => {
                    if !statics.cells.is_empty() || !statics.complex_deletions.is_empty() {
                        m.static_row = Some(if single {
                            std::mem::take(&mut statics)
                        } else {
                            statics.clone()
                        });
                    }
                    let write_regular = !(self.static_only && self.keys.ck_eq.is_empty());
                    if write_regular
                        && (self.kind == Kind::Insert
                            || !regular.cells.is_empty()
                            || !regular.complex_deletions.is_empty())
                    {
                        for p in prefixes {
                            let mut r = if single {
                                std::mem::take(&mut regular)
                            } else {
                                regular.clone()
                            };
                            r.clustering = p.clone();
                            if self.kind == Kind::Insert {
                                r.liveness = Some(LivenessInfo {
                                    timestamp: attrs.timestamp,
                                    ttl: attrs.ttl,
                                });
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

    /// INSERT JSON: one value per table column from the JSON object (null, or unset
    /// with DEFAULT UNSET, for a missing column).
    fn json_values(
        &self,
        expr: &Expr,
        default_unset: bool,
        ctx: &EvalCtx<'_>,
    ) -> Result<Vec<Val>, RequestError> {
        let text = match expr.eval(ctx)? {
            Val::Bytes(b) => String::from_utf8(b.to_vec()).map_err(|_| {
                RequestError::invalid("Could not decode JSON string: invalid UTF-8")
            })?,
            _ => return Err(RequestError::invalid("Got null for INSERT JSON values")),
        };
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            RequestError::invalid(format!(
                "Could not decode JSON string as a map: {e}. (String was: {text})"
            ))
        })?;
        let serde_json::Value::Object(map) = json else {
            return Err(RequestError::invalid(format!(
                "Could not decode JSON string as a map: not an object. (String was: {text})"
            )));
        };
        let cols = &self.table.def.columns;
        let mut out = vec![if default_unset { Val::Unset } else { Val::Null }; cols.len()];
        for (key, v) in &map {
            // Keys are column names; a quoted key keeps its case, others are folded.
            let name = match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                Some(q) => q.to_string(),
                None => key.to_lowercase(),
            };
            let Some(i) = cols.iter().position(|c| c.name == name) else {
                return Err(RequestError::invalid(format!(
                    "JSON values map contains unrecognized column: {key}"
                )));
            };
            let typ = &cols[i].typ;
            let value = cql::types::from_json_opt(v, typ).map_err(|e| {
                RequestError::invalid(format!("Error decoding JSON value for {name}: {e}"))
            })?;
            out[i] = match value {
                Some(v) => Val::Bytes(
                    values::try_serialize(&v, typ)
                        .map_err(|e| RequestError::invalid(e.to_string()))?,
                ),
                None => Val::Null,
            };
        }
        Ok(out)
    }

    fn apply_op(
        &self,
        op: &ColumnOp,
        ctx: &EvalCtx<'_>,
        a: &WriteAttrs,
        clock: &Clock,
        row: &mut Row,
    ) -> Result<(), RequestError> {
        let prior = &a.prior[..];
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
            value: CellValue::Tombstone {
                local_deletion_time: a.now,
            },
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
                        DeletionTime {
                            marked_for_delete_at: a.timestamp - 1,
                            local_deletion_time: a.now,
                        },
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
                Val::Bytes(b) => {
                    self.add_elements(op, &b, a, clock, row, matches!(op.op, Op::Prepend(_)))?
                }
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
                        CqlType::List(_) => {
                            let remove = split_collection(&b, &op.typ)?;
                            for (path, value) in list_cells(prior, op) {
                                if remove.iter().any(|r| r == value) {
                                    row.cells.push(tomb(Some(path.clone())));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Op::PutElement(k, v) => {
                let CqlType::Map(kt, _) = op.typ.unfrozen() else {
                    return Ok(());
                };
                let key = match k.eval(ctx)? {
                    Val::Bytes(b) => b,
                    _ => {
                        return Err(RequestError::invalid(format!(
                            "Invalid null value for map key in column {}",
                            op.name
                        )))
                    }
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
                    let delta = if *negate {
                        d.checked_neg()
                            .ok_or_else(|| RequestError::invalid("counter delta overflow"))?
                    } else {
                        d
                    };
                    row.cells.push(Cell {
                        column: op.column,
                        path: None,
                        timestamp: a.timestamp,
                        value: CellValue::Counter { delta },
                    });
                }
                Val::Null => {
                    return Err(RequestError::invalid(format!(
                        "Invalid null value for counter increment on {}",
                        op.name
                    )))
                }
                Val::Unset => {}
            },
            Op::DeleteColumn => {
                if multi {
                    row.complex_deletions.push((
                        op.column,
                        DeletionTime {
                            marked_for_delete_at: a.timestamp,
                            local_deletion_time: a.now,
                        },
                    ));
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
                    return Err(RequestError::invalid(format!(
                        "Invalid null value for element of column {}",
                        op.name
                    )));
                }
            }
            Op::SetIndex(idx, v) => {
                let path = list_index_path(prior, op, idx, ctx)?;
                match v.eval(ctx)? {
                    Val::Bytes(b) => row.cells.push(live(Some(path), b)),
                    Val::Null => row.cells.push(tomb(Some(path))),
                    Val::Unset => {}
                }
            }
            Op::DeleteIndex(idx) => {
                let path = list_index_path(prior, op, idx, ctx)?;
                row.cells.push(tomb(Some(path)));
            }
            Op::DeleteField(i) => {
                row.cells.push(tomb(Some(Bytes::copy_from_slice(
                    &(*i as u16).to_be_bytes(),
                ))));
            }
        }
        Ok(())
    }

    /// Adds the elements of a serialized collection (or UDT) value as cells.
    fn add_elements(
        &self,
        op: &ColumnOp,
        b: &Bytes,
        a: &WriteAttrs,
        clock: &Clock,
        row: &mut Row,
        prepend: bool,
    ) -> Result<(), RequestError> {
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
                    let p = if prepend {
                        paths[n - 1 - i].clone()
                    } else {
                        paths[i].clone()
                    };
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
                            value: CellValue::Tombstone {
                                local_deletion_time: a.now,
                            },
                        }),
                    }
                }
            }
            _ => row.cells.push(Cell {
                column: op.column,
                path: None,
                timestamp: a.timestamp,
                value: CellValue::Live {
                    value: b.clone(),
                    ttl: a.ttl,
                },
            }),
        }
        Ok(())
    }
}

/// The live cells (path, value) of a list column in the row read before the write.
fn list_cells<'a>(
    prior: &'a [Cell],
    op: &ColumnOp,
) -> impl Iterator<Item = (&'a Bytes, &'a Bytes)> {
    let column = op.column;
    prior
        .iter()
        .filter(move |c| c.column == column)
        .filter_map(|c| match (&c.path, &c.value) {
            (Some(p), CellValue::Live { value, .. }) => Some((p, value)),
            _ => None,
        })
}

/// The path of element `idx` of a list, with Cassandra's out-of-bound message.
fn list_index_path(
    prior: &[Cell],
    op: &ColumnOp,
    idx: &crate::exec::term::Expr,
    ctx: &EvalCtx<'_>,
) -> Result<Bytes, RequestError> {
    let i = match idx.eval(ctx)? {
        Val::Bytes(b) => be_i32(&b)?,
        _ => {
            return Err(RequestError::invalid(format!(
                "Invalid null value for list index of {}",
                op.name
            )))
        }
    };
    let cells: Vec<(&Bytes, &Bytes)> = list_cells(prior, op).collect();
    usize::try_from(i)
        .ok()
        .and_then(|i| cells.get(i))
        .map(|(p, _)| (*p).clone())
        .ok_or_else(|| {
            RequestError::invalid(format!(
                "List index {i} out of bound, list has size {}",
                cells.len()
            ))
        })
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
    values::encode_clustering(&mut out, typ, v, false)
        .map_err(|e| RequestError::invalid(e.to_string()))?;
    Ok(out.freeze())
}

/// The serialized elements of a list or set (`[int n] ([int len][bytes])*`), or the
/// alternating keys and values of a map.
pub fn split_collection(b: &Bytes, typ: &CqlType) -> Result<Vec<Bytes>, RequestError> {
    let bad = || {
        RequestError::invalid(format!(
            "Invalid collection value for type {}",
            typ.cql_name()
        ))
    };
    let n = b.get(0..4).ok_or_else(bad)?;
    let n = i32::from_be_bytes([n[0], n[1], n[2], n[3]]);
    if n < 0 {
        return Err(bad());
    }
    let per = if matches!(typ.unfrozen(), CqlType::Map(..)) {
        2
    } else {
        1
    };
    let total = n as usize * per;
    let mut out = Vec::with_capacity(total.min(4096));
    let mut pos = 4usize;
    for _ in 0..total {
        let l = b.get(pos..pos + 4).ok_or_else(bad)?;
        let l = i32::from_be_bytes([l[0], l[1], l[2], l[3]]);
        pos += 4;
        if l < 0 {
            return Err(RequestError::invalid(
                "null is not supported inside collections",
            ));
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
        out.push(Some(
            b.get(pos..end).map(|_| b.slice(pos..end)).ok_or_else(bad)?,
        ));
        pos = end;
    }
    Ok(out)
}

fn be_i64(b: &[u8]) -> Result<i64, RequestError> {
    let a: [u8; 8] = b
        .try_into()
        .map_err(|_| RequestError::invalid(format!("Expected 8 or 0 byte long ({})", b.len())))?;
    Ok(i64::from_be_bytes(a))
}

fn be_i32(b: &[u8]) -> Result<i32, RequestError> {
    let a: [u8; 4] = b
        .try_into()
        .map_err(|_| RequestError::invalid(format!("Expected 4 or 0 byte int ({})", b.len())))?;
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
