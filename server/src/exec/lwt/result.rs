//! The result of a conditional statement or batch, as Cassandra builds it
//! (`ModificationStatement.buildCasResultSet`): one `[applied]` boolean column; when
//! not applied, also the current values of the rows the conditions were about:
//! every column for IF EXISTS / IF NOT EXISTS, else the columns named in the
//! conditions (in IF order), preceded by the primary key columns in a batch.

use cql::response::{ColumnSpec, ResultBody};
use cql::types::{CqlType, CqlValue};

use super::conditions::Conditions;
use crate::exec::dispatch::rows;
use crate::exec::selection::RowView;
use crate::exec::values;
use crate::exec::TableRef;

fn applied_column(t: &TableRef) -> ColumnSpec {
    ColumnSpec {
        keyspace: t.def.keyspace.clone(),
        table: t.def.name.clone(),
        name: "[applied]".into(),
        typ: CqlType::Boolean,
    }
}

fn flag(b: bool) -> Option<bytes::Bytes> {
    Some(values::serialize(&CqlValue::Boolean(b), &CqlType::Boolean))
}

/// `[applied] = true`.
pub fn applied(t: &TableRef) -> ResultBody {
    rows(&[applied_column(t)], vec![vec![flag(true)]], None, false)
}

/// The table columns shown next to `[applied] = false` (indexes into the columns).
pub fn shown_columns<'a>(
    t: &TableRef,
    conds: impl IntoIterator<Item = &'a Conditions>,
    batch: bool,
) -> Vec<usize> {
    let conds: Vec<&Conditions> = conds.into_iter().collect();
    if conds
        .iter()
        .any(|c| matches!(c, Conditions::NotExists | Conditions::Exists))
    {
        return (0..t.def.columns.len()).collect();
    }
    let mut out: Vec<usize> = Vec::new();
    if batch {
        out.extend(t.def.partition_key.iter().chain(t.def.clustering.iter()));
    }
    for c in conds {
        if let Conditions::Columns(checks) = c {
            for check in checks {
                if !out.contains(&check.column) {
                    out.push(check.column);
                }
            }
        }
    }
    out
}

/// `[applied] = false` with the current values of `current` (one result row per
/// existing row; none exist: the `[applied]` column alone).
pub fn not_applied(t: &TableRef, shown: &[usize], current: &[RowView]) -> ResultBody {
    if current.is_empty() {
        return rows(&[applied_column(t)], vec![vec![flag(false)]], None, false);
    }
    let mut cols = vec![applied_column(t)];
    cols.extend(shown.iter().map(|&i| {
        let def = &t.def.columns[i];
        ColumnSpec {
            keyspace: t.def.keyspace.clone(),
            table: t.def.name.clone(),
            name: def.name.clone(),
            typ: def.typ.clone(),
        }
    }));
    let out = current
        .iter()
        .map(|r| {
            let mut row = vec![flag(false)];
            row.extend(shown.iter().map(|&i| r.cells[i].value.clone()));
            row
        })
        .collect();
    rows(&cols, out, None, false)
}
