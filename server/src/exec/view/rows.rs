//! From a base row to its view row, and the view mutations of a base change.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use storage::{Cell, CellValue, DeletionTime, LivenessInfo, Mutation, Partition, Row, TableId};

use super::filter::ViewFilter;
use crate::coordinator::Coordinator;
use crate::error::RequestError;
use crate::exec::values;
use crate::schema::{ColumnKind, Order, TableDef};

/// One view row: where it lives and what it holds.
struct ViewRow {
    token: i64,
    key: Bytes,
    clustering: Bytes,
    liveness: Option<LivenessInfo>,
    cells: Vec<Cell>,
}

fn corrupt(e: cql::types::TypeError) -> RequestError {
    RequestError::Server(format!("corrupt base row while maintaining a view: {e}"))
}

/// The view mutations that take the view from `old` to `new` (the same base
/// partition before and after a write), appended to `out`.
pub fn view_mutations(
    base: &TableDef,
    view: &TableDef,
    old: Option<&Partition>,
    new: Option<&Partition>,
    ts: i64,
    now: i32,
    out: &mut Vec<Mutation>,
) -> Result<(), RequestError> {
    let filter = ViewFilter::of_view(base, view)?;
    let old = view_rows(base, view, &filter, old, ts)?;
    let mut new = view_rows(base, view, &filter, new, ts)?;
    let table = TableId(view.id);
    let deletion = DeletionTime {
        marked_for_delete_at: ts,
        local_deletion_time: now,
    };
    for (base_ck, o) in old {
        let moved = match new.get(&base_ck) {
            Some(n) => n.key != o.key || n.clustering != o.clustering,
            None => true,
        };
        if moved {
            out.push(Mutation {
                table,
                token: o.token,
                key: o.key,
                rows: vec![Row {
                    clustering: o.clustering,
                    deletion: Some(deletion),
                    ..Row::default()
                }],
                ..Mutation::default()
            });
        }
    }
    for (_, n) in std::mem::take(&mut new) {
        out.push(Mutation {
            table,
            token: n.token,
            key: n.key,
            rows: vec![Row {
                clustering: n.clustering,
                liveness: n.liveness,
                deletion: Some(deletion),
                complex_deletions: Vec::new(),
                cells: n.cells,
            }],
            ..Mutation::default()
        });
    }
    Ok(())
}

/// The view rows of one base partition, by base clustering.
fn view_rows(
    base: &TableDef,
    view: &TableDef,
    filter: &ViewFilter,
    p: Option<&Partition>,
    ts: i64,
) -> Result<BTreeMap<Bytes, ViewRow>, RequestError> {
    let mut out = BTreeMap::new();
    let Some(p) = p else {
        return Ok(out);
    };
    let pk = values::split_partition_key(&p.key, base.partition_key.len()).map_err(corrupt)?;
    for r in &p.rows {
        if let Some(vr) = view_row(base, view, filter, &pk, r, ts)? {
            out.insert(r.clustering.clone(), vr);
        }
    }
    Ok(out)
}

fn is_live(v: &CellValue) -> bool {
    matches!(v, CellValue::Live { .. } | CellValue::Counter { .. })
}

/// The view row of base row `r` (in the partition whose key components are `pk`), or
/// None when the row is dead or a view key column is null.
fn view_row(
    base: &TableDef,
    view: &TableDef,
    filter: &ViewFilter,
    pk: &[Bytes],
    r: &Row,
    ts: i64,
) -> Result<Option<ViewRow>, RequestError> {
    if r.liveness.is_none() && !r.cells.iter().any(|c| is_live(&c.value)) {
        return Ok(None);
    }
    let ck_types: Vec<(cql::types::CqlType, bool)> = base
        .clustering_columns()
        .map(|c| {
            (
                c.typ.clone(),
                matches!(c.kind, ColumnKind::Clustering(_, Order::Desc)),
            )
        })
        .collect();
    let ck = values::decode_clustering(&r.clustering, &ck_types).map_err(corrupt)?;
    // The expiry of the regular base column in the view key, if it expires.
    let mut key_ttl: Option<(i32, i32)> = None;
    let mut value_of = |name: &str| -> Option<Bytes> {
        let c = base.column(name)?;
        match c.kind {
            ColumnKind::PartitionKey(i) => pk.get(i as usize).cloned(),
            ColumnKind::Clustering(i, _) => ck.get(i as usize).cloned(),
            ColumnKind::Regular | ColumnKind::Static => {
                r.cells.iter().rev().find_map(|cell| match &cell.value {
                    CellValue::Live { value, ttl }
                        if cell.column == c.id && cell.path.is_none() =>
                    {
                        if ttl.is_some() {
                            key_ttl = *ttl;
                        }
                        Some(value.clone())
                    }
                    _ => None,
                })
            }
        }
    };
    if !filter.matches(&mut value_of) {
        return Ok(None);
    }
    let mut pk_vals = Vec::with_capacity(view.partition_key.len());
    for c in view.partition_key_columns() {
        match value_of(&c.name) {
            Some(v) => pk_vals.push(v),
            None => return Ok(None),
        }
    }
    let mut clustering = BytesMut::new();
    for c in view.clustering_columns() {
        let Some(v) = value_of(&c.name) else {
            return Ok(None);
        };
        let desc = matches!(c.kind, ColumnKind::Clustering(_, Order::Desc));
        values::encode_clustering(&mut clustering, &c.typ, &v, desc).map_err(corrupt)?;
    }
    let cap = |ttl: Option<(i32, i32)>| match (ttl, key_ttl) {
        (Some(t), Some(k)) if k.1 < t.1 => Some(k),
        (None, Some(k)) => Some(k),
        (t, _) => t,
    };
    let mut cells = Vec::new();
    for vc in view.columns.iter().filter(|c| !c.kind.is_primary_key()) {
        let Some(bc) = base.column(&vc.name) else {
            continue;
        };
        for cell in r.cells.iter().filter(|c| c.column == bc.id) {
            let CellValue::Live { value, ttl } = &cell.value else {
                continue;
            };
            cells.push(Cell {
                column: vc.id,
                path: cell.path.clone(),
                timestamp: ts + 1,
                value: CellValue::Live {
                    value: value.clone(),
                    ttl: cap(*ttl),
                },
            });
        }
    }
    cells.sort_by(|a, b| (a.column, &a.path).cmp(&(b.column, &b.path)));
    let key = values::partition_key(&pk_vals);
    Ok(Some(ViewRow {
        token: Coordinator::token(&key),
        key,
        clustering: clustering.freeze(),
        liveness: Some(LivenessInfo {
            timestamp: ts + 1,
            ttl: cap(row_expiry(r)),
        }),
        cells,
    }))
}

/// How long the base row lives: None if it lives until deleted, else the latest
/// expiry among its liveness and live cells (the row is alive while any of them is).
fn row_expiry(r: &Row) -> Option<(i32, i32)> {
    let mut latest: Option<(i32, i32)> = None;
    let mut consider = |ttl: Option<(i32, i32)>| -> bool {
        match ttl {
            None => false,
            Some(t) => {
                if latest.is_none_or(|l| t.1 > l.1) {
                    latest = Some(t);
                }
                true
            }
        }
    };
    if let Some(l) = &r.liveness {
        if !consider(l.ttl) {
            return None;
        }
    }
    for c in &r.cells {
        if let CellValue::Live { ttl, .. } = &c.value {
            if !consider(*ttl) {
                return None;
            }
        }
    }
    latest
}
