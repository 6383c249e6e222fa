//! Secondary indexes at query time: which restrictions an index serves (so that
//! Cassandra would not ask for ALLOW FILTERING), which need an index that does not
//! exist (LIKE), and the LIKE pattern itself.
//!
//! Helenus keeps no separate index structure yet: an indexed query is answered by a
//! token-order scan of the base table that keeps the matching rows (the same rows and
//! the same paging as an index read, at O(table) cost). Index contents therefore can
//! never be stale: writes, deletes, TTL expiry, compaction and restarts need no index
//! maintenance, and CREATE INDEX is usable at once (no build phase).

use cql::parser::ast::Operator;
use cql::types::CqlType;

use super::restrict::{Filter, KeyValues, Restrictions};
use super::TableRef;
use crate::error::RequestError;
use crate::schema::IndexDef;

/// What an index is built on, parsed from its `target` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Simple,
    Keys,
    Values,
    Entries,
    Full,
}

/// The (column, target kind) of an index.
fn target(i: &IndexDef) -> (String, Target) {
    let t = i.target();
    let (kind, inner) = match t.split_once('(') {
        Some((k, rest)) if t.ends_with(')') => {
            let inner = rest.strip_suffix(')').unwrap_or(rest);
            let kind = match k {
                "keys" => Target::Keys,
                "values" => Target::Values,
                "entries" => Target::Entries,
                "full" => Target::Full,
                _ => Target::Simple,
            };
            (kind, inner)
        }
        _ => (Target::Simple, t),
    };
    let name = match inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => inner.to_string(),
    };
    (name, kind)
}

fn class_name(i: &IndexDef) -> &str {
    i.options
        .get("class_name")
        .map(String::as_str)
        .unwrap_or("")
}

fn is_sai(i: &IndexDef) -> bool {
    class_name(i).ends_with("StorageAttachedIndex")
}

fn is_sasi(i: &IndexDef) -> bool {
    class_name(i).ends_with("SASIIndex")
}

/// Whether index `i` answers filter `f` on table `t`.
fn serves(t: &TableRef, i: &IndexDef, f: &Filter) -> bool {
    let Some(col) = t.def.columns.get(f.column) else {
        return false;
    };
    let (name, kind) = target(i);
    if name != col.name {
        return false;
    }
    let frozen = matches!(col.typ, CqlType::Frozen(_));
    match (f.op, kind) {
        (Operator::Eq, Target::Entries) => f.map_key.is_some(),
        (_, _) if f.map_key.is_some() => false,
        (Operator::Eq, Target::Simple) => true,
        (Operator::Eq, Target::Full) => frozen,
        (Operator::Contains, Target::Values) => true,
        (Operator::ContainsKey, Target::Keys) => true,
        // SAI and SASI answer ranges on the column they index.
        (Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte, Target::Simple) => {
            is_sai(i) || is_sasi(i)
        }
        (Operator::Like, Target::Simple) => supports_like(i),
        _ => false,
    }
}

/// SASI in PREFIX or CONTAINS mode, and SAI, answer LIKE (SAI: like its analyzed
/// text indexes; Helenus matches the raw text, case-sensitively).
fn supports_like(i: &IndexDef) -> bool {
    is_sai(i) || (is_sasi(i) && i.options.get("mode").map(String::as_str) != Some("SPARSE"))
}

/// Whether every restriction that would need filtering is answered by an index, so
/// that the query needs no ALLOW FILTERING (Cassandra's rule: one indexed restriction
/// plus one filtered one still asks for it). Besides the filters, that covers the
/// key restrictions a scan has to check: `=` on some components of a composite
/// partition key, and `=` on clustering columns without the partition key.
pub fn served_by_index(t: &TableRef, r: &Restrictions) -> bool {
    let indexed = |col: Option<&usize>| {
        let Some(name) = col.and_then(|c| t.def.columns.get(*c)).map(|c| &c.name) else {
            return false;
        };
        t.def
            .indexes
            .iter()
            .any(|i| target(i) == (name.clone(), Target::Simple))
    };
    let mut anything = !r.filters.is_empty();
    if !r.pk_complete() {
        for (pos, v) in r.pk.iter().enumerate() {
            if let Some(v) = v {
                if !matches!(v, KeyValues::Eq(_)) || !indexed(t.def.partition_key.get(pos)) {
                    return false;
                }
                anything = true;
            }
        }
        if r.ck_slice.is_some() || r.ck_tuples.is_some() {
            return false;
        }
        for (pos, v) in r.ck_eq.iter().enumerate() {
            if !matches!(v, KeyValues::Eq(_)) || !indexed(t.def.clustering.get(pos)) {
                return false;
            }
            anything = true;
        }
    }
    anything
        && r.filters
            .iter()
            .all(|f| t.def.indexes.iter().any(|i| serves(t, i, f)))
}

/// LIKE needs an index that supports it, even with ALLOW FILTERING (Cassandra's
/// messages).
pub fn check_like(t: &TableRef, r: &Restrictions) -> Result<(), RequestError> {
    for f in r.filters.iter().filter(|f| f.op == Operator::Like) {
        let name = t
            .def
            .columns
            .get(f.column)
            .map(|c| c.name.as_str())
            .unwrap_or("");
        let on_column: Vec<&IndexDef> = t
            .def
            .indexes
            .iter()
            .filter(|i| target(i).0 == name)
            .collect();
        if on_column.is_empty() {
            return Err(RequestError::invalid(format!(
                "LIKE restriction is only supported on properly indexed columns. {name} LIKE '<term>' is not valid."
            )));
        }
        if !on_column.iter().any(|i| supports_like(i)) {
            return Err(RequestError::invalid(format!(
                "Index on column {name} does not support LIKE restrictions."
            )));
        }
    }
    Ok(())
}

/// `value LIKE pattern`: `%` at the start and/or end of the pattern is the only
/// wildcard (as SASI: prefix `abc%`, suffix `%abc`, contains `%abc%`, exact `abc`).
pub fn like_matches(value: &[u8], pattern: &[u8]) -> bool {
    let (starts, rest) = match pattern.strip_prefix(b"%") {
        Some(r) => (true, r),
        None => (false, pattern),
    };
    let (ends, needle) = match rest.strip_suffix(b"%") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    match (starts, ends) {
        (true, true) => needle.is_empty() || value.windows(needle.len()).any(|w| w == needle),
        (false, true) => value.starts_with(needle),
        (true, false) => value.ends_with(needle),
        (false, false) => value == needle,
    }
}

/// A LIKE pattern must have something besides wildcards (Cassandra rejects `%`).
pub fn check_like_pattern(pattern: &[u8]) -> Result<(), RequestError> {
    if pattern.iter().all(|b| *b == b'%') {
        return Err(RequestError::invalid(
            "LIKE value can't be empty or only contain wildcards",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::like_matches;

    #[test]
    fn like_patterns_follow_sasi() {
        assert!(like_matches(b"helenus", b"hel%"));
        assert!(!like_matches(b"helenus", b"len%"));
        assert!(like_matches(b"helenus", b"%len%"));
        assert!(like_matches(b"helenus", b"%nus"));
        assert!(!like_matches(b"helenus", b"%nu"));
        assert!(like_matches(b"helenus", b"helenus"));
        assert!(!like_matches(b"helenus", b"helen"));
    }
}
