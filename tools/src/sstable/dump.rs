//! `dump`: partitions as JSON lines, raw (tombstones, TTLs and timestamps as stored),
//! in the spirit of sstabledump. Schema-agnostic: bytes are hex, columns numeric ids.
use std::io::Write;

use serde_json::{json, Value};
use storage::sstable::SstableReader;
use storage::{Cell, CellValue, ClusteringBound, DeletionTime, LivenessInfo, Mutation, Row};

use super::{hex, ToolError};

fn deletion(d: &DeletionTime) -> Value {
    json!({"marked_deleted": d.marked_for_delete_at, "local_delete_time": d.local_deletion_time})
}

fn ttl(t: &Option<(i32, i32)>) -> Value {
    match t {
        Some((ttl, expires)) => json!({"ttl": ttl, "expires_at": expires}),
        None => Value::Null,
    }
}

fn bound(b: &ClusteringBound) -> Value {
    match b {
        ClusteringBound::Bottom => json!("bottom"),
        ClusteringBound::Top => json!("top"),
        ClusteringBound::Inclusive(p) => json!({"inclusive": hex(p)}),
        ClusteringBound::Exclusive(p) => json!({"exclusive": hex(p)}),
    }
}

fn cell(c: &Cell) -> Value {
    let mut v = json!({"column": c.column.0, "tstamp": c.timestamp});
    if let Some(p) = &c.path {
        v["path"] = json!(hex(p));
    }
    match &c.value {
        CellValue::Live { value, ttl: t } => {
            v["value"] = json!(hex(value));
            if t.is_some() {
                v["ttl"] = ttl(t);
            }
        }
        CellValue::Tombstone {
            local_deletion_time,
        } => v["deletion_time"] = json!(local_deletion_time),
        CellValue::Counter { delta } => v["counter"] = json!(delta),
    }
    v
}

fn liveness(l: &LivenessInfo) -> Value {
    let mut v = json!({"tstamp": l.timestamp});
    if l.ttl.is_some() {
        v["ttl"] = ttl(&l.ttl);
    }
    v
}

fn row(r: &Row) -> Value {
    let mut v = json!({
        "clustering": hex(&r.clustering),
        "cells": r.cells.iter().map(cell).collect::<Vec<_>>(),
    });
    if let Some(l) = &r.liveness {
        v["liveness_info"] = liveness(l);
    }
    if let Some(d) = &r.deletion {
        v["deletion_info"] = deletion(d);
    }
    if !r.complex_deletions.is_empty() {
        v["complex_deletions"] = r
            .complex_deletions
            .iter()
            .map(|(c, d)| json!({"column": c.0, "deletion_info": deletion(d)}))
            .collect();
    }
    v
}

/// One partition as a JSON value.
pub fn partition(m: &Mutation) -> Value {
    let mut v = json!({
        "token": m.token,
        "key": hex(&m.key),
        "rows": m.rows.iter().map(row).collect::<Vec<_>>(),
    });
    if let Some(d) = &m.partition_deletion {
        v["deletion_info"] = deletion(d);
    }
    if !m.range_tombstones.is_empty() {
        v["range_tombstones"] = m
            .range_tombstones
            .iter()
            .map(|t| json!({"start": bound(&t.start), "end": bound(&t.end), "deletion_info": deletion(&t.deletion)}))
            .collect();
    }
    if let Some(s) = &m.static_row {
        v["static_row"] = row(s);
    }
    v
}

pub fn dump(r: &SstableReader, key: Option<&[u8]>, out: &mut dyn Write) -> Result<(), ToolError> {
    for p in r.partitions()? {
        let p = p?;
        if key.is_some_and(|k| k != &p.key[..]) {
            continue;
        }
        writeln!(out, "{}", partition(&p))?;
    }
    Ok(())
}
