//! SELECT over the virtual system tables (`system.local`, `system.peers(_v2)`,
//! `system_schema.*`, `system_virtual_schema.*`): the rows come from
//! `system::virtual_rows`, then the same selectors, WHERE filtering on any column (no
//! ALLOW FILTERING needed, as Cassandra does for virtual tables), LIMIT and paging
//! (by row offset) apply.

use bytes::Bytes;
use cql::parser::ast::{self, InValues, Operator, Relation};
use cql::response::ColumnSpec;
use cql::types::CqlType;

use super::paging::{PagingState, Resume};
use super::restrict::KeyValues;
use super::select::{Page, ReadOpts};
use super::selection::{self, CellView, ColumnSource, RowView, SelectionPlan};
use super::term::{self, EvalCtx, Expr, Markers, Val};
use super::values;
use crate::error::RequestError;
use crate::query::NodeIdentity;
use crate::schema::Schema;
use crate::system;

#[derive(Debug, Clone)]
pub struct VirtualPlan {
    pub keyspace: String,
    pub table: String,
    pub columns: Vec<ColumnSpec>,
    pub selection: SelectionPlan,
    filters: Vec<(usize, Operator, KeyValues, CqlType)>,
    limit: Option<Expr>,
}

struct Source<'a> {
    keyspace: &'a str,
    table: &'a str,
    cols: Vec<(String, CqlType, bool)>,
}

impl ColumnSource for Source<'_> {
    fn find(&self, name: &str) -> Option<(usize, CqlType, bool)> {
        self.cols
            .iter()
            .enumerate()
            .find(|(_, c)| c.0 == name)
            .map(|(i, c)| (i, c.1.clone(), c.2))
    }
    fn keyspace(&self) -> &str {
        self.keyspace
    }
    fn table(&self) -> &str {
        self.table
    }
    fn all(&self) -> Vec<(usize, String, CqlType)> {
        self.cols
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.0.clone(), c.1.clone()))
            .collect()
    }
    fn partition_key_types(&self) -> Vec<CqlType> {
        Vec::new()
    }
}

pub fn compile(
    schema: &Schema,
    identity: &NodeIdentity,
    ks: &str,
    s: &ast::Select,
    m: &mut Markers,
) -> Result<VirtualPlan, RequestError> {
    let vt = system::virtual_rows(ks, &s.table.name, schema, identity)
        .ok_or_else(|| RequestError::invalid(format!("unconfigured table {}", s.table.name)))?;
    let src = Source {
        keyspace: ks,
        table: &s.table.name,
        cols: vt
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.typ.clone(), c.kind.is_primary_key()))
            .collect(),
    };
    let selection = selection::compile(&src, &s.selection, m)?;
    let mut filters = Vec::new();
    for r in &s.where_clause {
        let (column, op, vals) = match r {
            Relation::Simple { column, op, value } => {
                let (i, t, _) = src.find(column).ok_or_else(|| {
                    RequestError::invalid(format!("Undefined column name {column}"))
                })?;
                (
                    i,
                    *op,
                    KeyValues::Eq(term::compile(value, &t, column, m, None)?),
                )
            }
            Relation::In { column, values } => {
                let (i, t, _) = src.find(column).ok_or_else(|| {
                    RequestError::invalid(format!("Undefined column name {column}"))
                })?;
                let kv = match values {
                    InValues::List(items) => KeyValues::In(
                        items
                            .iter()
                            .map(|v| term::compile(v, &t, column, m, None))
                            .collect::<Result<_, _>>()?,
                    ),
                    InValues::Marker(mk) => {
                        let lt = CqlType::List(Box::new(t.clone()));
                        KeyValues::InMarker(
                            term::compile(
                                &ast::Term::BindMarker(mk.clone()),
                                &lt,
                                &format!("in({column})"),
                                m,
                                None,
                            )?,
                            t.clone(),
                        )
                    }
                };
                (i, Operator::Eq, kv)
            }
            _ => {
                return Err(RequestError::invalid(
                    "Only = and IN restrictions are supported on system tables by Helenus",
                ))
            }
        };
        let typ = src
            .cols
            .get(column)
            .map(|c| c.1.clone())
            .unwrap_or(CqlType::Blob);
        filters.push((column, op, vals, typ));
    }
    let limit = s
        .limit
        .as_ref()
        .map(|e| term::compile(e, &CqlType::Int, "[limit]", m, None))
        .transpose()?;
    Ok(VirtualPlan {
        keyspace: ks.to_string(),
        table: s.table.name.clone(),
        columns: selection.columns.clone(),
        selection,
        filters,
        limit,
    })
}

impl VirtualPlan {
    pub fn execute(
        &self,
        schema: &Schema,
        identity: &NodeIdentity,
        ctx: &EvalCtx<'_>,
        opts: &ReadOpts<'_>,
    ) -> Result<Page, RequestError> {
        let vt = system::virtual_rows(&self.keyspace, &self.table, schema, identity)
            .ok_or_else(|| RequestError::invalid(format!("unconfigured table {}", self.table)))?;
        let types: Vec<CqlType> = vt.columns.iter().map(|c| c.typ.clone()).collect();
        let mut wanted = Vec::with_capacity(self.filters.len());
        for (col, op, kv, _) in &self.filters {
            let name = vt.columns.get(*col).map(|c| c.name.as_str()).unwrap_or("");
            wanted.push((*col, *op, super::restrict::eval_values(kv, ctx, name)?));
        }
        let limit = match &self.limit {
            Some(e) => match e.eval(ctx)? {
                Val::Bytes(b) if b.len() == 4 => {
                    let v = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                    if v <= 0 {
                        return Err(RequestError::invalid("LIMIT must be strictly positive"));
                    }
                    v as usize
                }
                _ => usize::MAX,
            },
            None => usize::MAX,
        };
        let (start, remaining) = match opts.paging_state {
            Some(raw) if !self.selection.aggregate => {
                let s = PagingState::decode(raw, opts.query_hash)?;
                (s.partition_index as usize, s.remaining as usize)
            }
            _ => (0, limit),
        };
        let page = if self.selection.aggregate {
            usize::MAX
        } else {
            opts.page_size.unwrap_or(usize::MAX)
        };
        let mut states = self
            .selection
            .aggregate
            .then(|| self.selection.new_states());
        let mut out = Vec::new();
        let mut matched = 0usize;
        let mut next_offset = None;
        let mut emitted = 0usize;
        for (idx, row) in vt.rows.iter().enumerate() {
            let view = RowView {
                cells: row
                    .iter()
                    .zip(types.iter())
                    .map(|(v, t)| CellView {
                        value: v.as_ref().map(|v| values::serialize(v, t)),
                        writetime: None,
                        ttl: None,
                        elements: Vec::new(),
                    })
                    .collect(),
                token: 0,
            };
            if !wanted
                .iter()
                .all(|(col, op, vals)| matches(&view, *col, *op, vals, types.get(*col)))
            {
                continue;
            }
            matched += 1;
            if matched <= start {
                continue;
            }
            if emitted >= remaining {
                break;
            }
            if let Some(st) = &mut states {
                self.selection.accumulate(st, &view, emitted == 0)?;
                emitted += 1;
                continue;
            }
            if out.len() >= page {
                next_offset = Some(matched - 1);
                break;
            }
            let mut r = Vec::with_capacity(self.selection.sels.len());
            for s in &self.selection.sels {
                r.push(s.eval(&view)?);
            }
            out.push(r);
            emitted += 1;
            let _ = idx;
        }
        if let Some(st) = states {
            return Ok(Page {
                rows: vec![self.selection.finish(st)?],
                paging_state: None,
            });
        }
        let paging_state = next_offset.map(|off| {
            PagingState {
                query_hash: opts.query_hash,
                remaining: (remaining - emitted) as u32,
                partition_remaining: 0,
                partition_index: off as u32,
                token: 0,
                key: Bytes::new(),
                resume: Resume::PartitionDone,
            }
            .encode()
        });
        Ok(Page {
            rows: out,
            paging_state,
        })
    }
}

fn matches(
    view: &RowView,
    col: usize,
    op: Operator,
    vals: &[Bytes],
    typ: Option<&CqlType>,
) -> bool {
    let (Some(v), Some(t)) = (view.cells.get(col).and_then(|c| c.value.as_ref()), typ) else {
        return false;
    };
    vals.iter().any(|w| {
        let o = values::compare(t, v, w);
        match op {
            Operator::Eq => o.is_eq(),
            Operator::Lt => o.is_lt(),
            Operator::Lte => o.is_le(),
            Operator::Gt => o.is_gt(),
            Operator::Gte => o.is_ge(),
            _ => false,
        }
    })
}
