//! `user profile=FILE.yaml ops(insert=1,q1=3)`: a cassandra-stress style YAML profile.
//!
//! Supported keys: `keyspace`, `keyspace_definition`, `table`, `table_definition`,
//! `extra_definitions`, `columnspec` (per-column `size: fixed(N)|uniform(LO..HI)`) and
//! `queries` (`NAME: {cql: ..., fields: samerow}`). `insert` is the built-in operation
//! writing one row with every column. Deliberately simpler than cassandra-stress:
//! one row per partition (clustering columns are derived from the key like every other
//! column), so `insert:` batching options and `columnspec` `population`/`cluster` are
//! accepted and ignored; the key comes from `-pop`.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::BytesMut;
use cql::parser::{parse_statement, Statement};
use cql::types::CqlType;
use serde::Deserialize;

use super::dist::{mix, SizeDist};
use super::error::{Result, StressError};
use super::workload::{Binder, BoundColumn, OpDef, OpKind, Workload};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    keyspace: String,
    keyspace_definition: Option<String>,
    table: String,
    table_definition: Option<String>,
    #[serde(default)]
    extra_definitions: Vec<String>,
    #[serde(default)]
    columnspec: Vec<ColumnSpecYaml>,
    /// cassandra-stress's partition/batch options: accepted, not used (see module doc).
    #[serde(default)]
    #[allow(dead_code)]
    insert: Option<serde_yaml::Value>,
    #[serde(default)]
    queries: BTreeMap<String, QueryYaml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnSpecYaml {
    name: String,
    size: Option<String>,
    #[allow(dead_code)]
    population: Option<String>,
    #[allow(dead_code)]
    cluster: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryYaml {
    cql: String,
    #[allow(dead_code)]
    fields: Option<String>,
}

/// Default size of text and blob values without a columnspec entry.
const DEFAULT_SIZE: SizeDist = SizeDist::Fixed(10);

/// Reads the profile and builds the workload for `ops`.
pub fn load(path: &Path, ops: &[(String, u32)]) -> Result<Workload> {
    let text = std::fs::read_to_string(path).map_err(|source| StressError::ProfileRead {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: String| StressError::Profile {
        path: path.to_path_buf(),
        message,
    };
    let p: Profile = serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let ks = p.keyspace.clone();

    // Columns of the table, from its definition: the insert needs them all, and key
    // columns get the key itself.
    let Some(table_def) = &p.table_definition else {
        return Err(bad("table_definition is required".into()));
    };
    let Statement::CreateTable(ct) = parse_statement(table_def.trim().trim_end_matches(';'))
        .map_err(|e| bad(format!("table_definition: {e}")))?
    else {
        return Err(bad("table_definition is not a CREATE TABLE".into()));
    };
    if ct.name.name != p.table {
        return Err(bad(format!(
            "table_definition creates '{}' but table is '{}'",
            ct.name.name, p.table
        )));
    }
    let mut column_sizes = Vec::new();
    for c in &p.columnspec {
        if !ct.columns.iter().any(|d| d.name == c.name) {
            return Err(bad(format!("columnspec names unknown column '{}'", c.name)));
        }
        if let Some(size) = &c.size {
            let d = SizeDist::parse(size).map_err(|e| bad(format!("column {}: {e}", c.name)))?;
            column_sizes.push((c.name.clone(), d));
        }
    }
    let key_columns: Vec<String> = ct
        .partition_key
        .iter()
        .chain(&ct.clustering_key)
        .cloned()
        .collect();

    let mut schema = Vec::new();
    if let Some(k) = &p.keyspace_definition {
        schema.push(k.trim().trim_end_matches(';').to_string());
    }
    schema.push(format!("USE {ks}"));
    schema.push(table_def.trim().trim_end_matches(';').to_string());
    for e in &p.extra_definitions {
        schema.push(e.trim().trim_end_matches(';').to_string());
    }

    let mut defs = Vec::new();
    for (name, weight) in ops {
        let cql = if name == "insert" {
            let cols: Vec<String> = ct.columns.iter().map(|c| quote(&c.name)).collect();
            format!(
                "INSERT INTO {} ({}) VALUES ({})",
                p.table,
                cols.join(", "),
                vec!["?"; cols.len()].join(", ")
            )
        } else {
            let q = p.queries.get(name).ok_or_else(|| {
                let known: Vec<&str> = p.queries.keys().map(String::as_str).collect();
                bad(format!(
                    "ops(): no query '{name}' in the profile (insert, {})",
                    known.join(", ")
                ))
            })?;
            q.cql.trim().trim_end_matches(';').to_string()
        };
        let kind = if cql.trim_start().to_ascii_lowercase().starts_with("select") {
            OpKind::Read
        } else {
            OpKind::Write
        };
        defs.push(OpDef {
            name: name.clone(),
            cql,
            kind,
            weight: *weight,
            // Filled in from the PREPARE answer (bound variable names and types).
            binder: Binder::Typed(Vec::new()),
            verify: None,
        });
    }
    Ok(Workload {
        keyspace: ks,
        schema,
        ops: defs.into_iter().filter(|o| o.weight > 0).collect(),
        column_sizes,
        key_columns,
    })
}

/// Builds a typed binder from the prepared statement's bound variables.
pub fn bind_columns(w: &Workload, vars: &[(String, CqlType)]) -> Result<Binder> {
    let mut cols = Vec::new();
    for (name, typ) in vars {
        check_supported(name, typ)?;
        let is_key = w.key_columns.iter().any(|k| k == name);
        let size = w
            .column_sizes
            .iter()
            .find(|(n, _)| n == name)
            .map_or(DEFAULT_SIZE, |(_, s)| *s);
        cols.push(BoundColumn {
            name: name.clone(),
            typ: typ.clone(),
            is_key,
            size,
        });
    }
    Ok(Binder::Typed(cols))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn check_supported(name: &str, typ: &CqlType) -> Result<()> {
    use CqlType::*;
    match typ {
        Ascii | Bigint | Blob | Boolean | Decimal | Double | Float | Int | Timestamp | Uuid
        | Text | Varint | Timeuuid | Inet | Date | Time | Smallint | Tinyint => Ok(()),
        other => Err(StressError::Args(format!(
            "column '{name}' of type {other:?}: helenus-stress profiles generate scalar \
             values only (no counters, collections, tuples, UDTs, durations or vectors)"
        ))),
    }
}

/// Appends one `[bytes]` value for column `c` of the operation on `key`.
pub fn write_typed(out: &mut BytesMut, c: &BoundColumn, key: u64, _position: u64) {
    use CqlType::*;
    let seed = if c.is_key {
        key
    } else {
        mix(key ^ name_hash(&c.name))
    };
    let fixed = |out: &mut BytesMut, b: &[u8]| {
        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
        out.extend_from_slice(b);
    };
    match &c.typ {
        Blob | Text | Ascii => {
            let len = if c.is_key {
                c.size.for_seed(0).max(1) as usize
            } else {
                c.size.for_seed(seed) as usize
            };
            out.extend_from_slice(&(len as i32).to_be_bytes());
            if c.is_key {
                // The key in hex, right-aligned, as the predefined tables do.
                let start = out.len();
                out.resize(start + len, b'0');
                let mut k = key;
                let mut i = len;
                while k != 0 && i > 0 {
                    i -= 1;
                    let d = (k & 15) as u8;
                    out[start + i] = if d < 10 { b'0' + d } else { b'A' + d - 10 };
                    k >>= 4;
                }
            } else {
                const ALNUM: &[u8] =
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
                let mut x = seed;
                for _ in 0..len {
                    x = mix(x.wrapping_add(1));
                    out.extend_from_slice(&[ALNUM[(x % ALNUM.len() as u64) as usize]]);
                }
            }
        }
        Int => fixed(out, &(seed as i32).to_be_bytes()),
        Bigint => fixed(out, &(seed as i64).to_be_bytes()),
        Smallint => fixed(out, &(seed as i16).to_be_bytes()),
        Tinyint => fixed(out, &(seed as i8).to_be_bytes()),
        Boolean => fixed(out, &[(seed & 1) as u8]),
        Double => fixed(out, &((seed % 1_000_000) as f64 / 100.0).to_be_bytes()),
        Float => fixed(out, &((seed % 1_000_000) as f32 / 100.0).to_be_bytes()),
        // Milliseconds within ~4 months after 2026-01-01.
        Timestamp => fixed(
            out,
            &(1_767_225_600_000i64 + (seed % 10_000_000_000) as i64).to_be_bytes(),
        ),
        Date => fixed(
            out,
            &((1u32 << 31) + 20_000 + (seed % 1000) as u32).to_be_bytes(),
        ),
        Time => fixed(out, &((seed % 86_400_000_000_000) as i64).to_be_bytes()),
        Uuid | Timeuuid => {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&mix(seed).to_be_bytes());
            b[8..].copy_from_slice(&mix(seed ^ 0x5555).to_be_bytes());
            let version = if matches!(c.typ, Uuid) { 0x40 } else { 0x10 };
            b[6] = (b[6] & 0x0F) | version;
            b[8] = (b[8] & 0x3F) | 0x80;
            fixed(out, &b);
        }
        Inet => fixed(
            out,
            &[10, (seed >> 16) as u8, (seed >> 8) as u8, seed as u8],
        ),
        Varint => fixed(out, &minimal_be((seed >> 1) as i64)),
        Decimal => {
            let v = minimal_be((seed % 1_000_000_000) as i64);
            out.extend_from_slice(&((4 + v.len()) as i32).to_be_bytes());
            out.extend_from_slice(&2i32.to_be_bytes());
            out.extend_from_slice(&v);
        }
        // Refused by check_supported before the run.
        _ => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

/// Two's complement big-endian without redundant leading bytes (varint encoding).
fn minimal_be(v: i64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let mut i = 0;
    while i < 7 && ((b[i] == 0 && b[i + 1] & 0x80 == 0) || (b[i] == 0xFF && b[i + 1] & 0x80 != 0)) {
        i += 1;
    }
    b[i..].to_vec()
}

/// FNV-1a: a stable per-column salt so two columns of one row differ.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_profile_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/example.yaml");
        let w = load(&path, &[("insert".into(), 1), ("by_id".into(), 3)]).unwrap();
        assert_eq!(w.ops.len(), 2);
        assert!(w.ops[0].cql.starts_with("INSERT INTO events"));
        assert_eq!(w.ops[1].kind, OpKind::Read);
        let e = load(&path, &[("nope".into(), 1)]).unwrap_err().to_string();
        assert!(e.contains("no query 'nope'"), "{e}");
    }

    #[test]
    fn varints_are_minimal() {
        assert_eq!(minimal_be(0), vec![0]);
        assert_eq!(minimal_be(127), vec![127]);
        assert_eq!(minimal_be(128), vec![0, 128]);
        assert_eq!(minimal_be(-1), vec![0xFF]);
    }
}
