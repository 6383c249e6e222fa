//! Lists the bind markers of a statement (for PREPARE). Only data statements can hold
//! markers: the grammar of schema and role statements accepts constants only.

use super::*;

pub(super) fn collect(stmt: &Statement) -> Vec<&BindMarker> {
    let mut out = Vec::new();
    match stmt {
        Statement::Select(s) => select(s, &mut out),
        Statement::Insert(s) => insert(s, &mut out),
        Statement::Update(s) => update(s, &mut out),
        Statement::Delete(s) => delete(s, &mut out),
        Statement::Batch(b) => {
            using(&b.using, &mut out);
            for s in &b.statements {
                match s {
                    BatchStatement::Insert(s) => insert(s, &mut out),
                    BatchStatement::Update(s) => update(s, &mut out),
                    BatchStatement::Delete(s) => delete(s, &mut out),
                }
            }
        }
        _ => {}
    }
    // Walk order follows the struct layout, not always the text (USING comes before SET
    // in UPDATE but after VALUES in INSERT); the index is the textual position.
    out.sort_by_key(|m| m.index);
    out
}

/// Whether a WHERE clause holds bind markers. A view definition may not (Cassandra
/// refuses it when preparing the statement), so its markers are not counted by
/// [`collect`] and the refusal is the schema's.
pub fn where_has_markers(rels: &[Relation]) -> bool {
    let mut out = Vec::new();
    relations(rels, &mut out);
    !out.is_empty()
}

fn term<'a>(t: &'a Term, out: &mut Vec<&'a BindMarker>) {
    match t {
        Term::BindMarker(m) => out.push(m),
        Term::Literal(_) | Term::Null => {}
        Term::List(v) | Term::Set(v) | Term::Tuple(v) => v.iter().for_each(|t| term(t, out)),
        Term::Map(v) => v.iter().for_each(|(k, t)| {
            term(k, out);
            term(t, out)
        }),
        Term::Udt(v) => v.iter().for_each(|(_, t)| term(t, out)),
        Term::FunctionCall { args, .. } => args.iter().for_each(|t| term(t, out)),
        Term::TypeHint { term: t, .. } | Term::Negation(t) => term(t, out),
        Term::Arithmetic { left, right, .. } => {
            term(left, out);
            term(right, out)
        }
    }
}

fn opt<'a>(t: &'a Option<Term>, out: &mut Vec<&'a BindMarker>) {
    if let Some(t) = t {
        term(t, out)
    }
}

fn using<'a>(u: &'a UsingClause, out: &mut Vec<&'a BindMarker>) {
    opt(&u.timestamp, out);
    opt(&u.ttl, out);
}

fn in_values<'a>(v: &'a InValues, out: &mut Vec<&'a BindMarker>) {
    match v {
        InValues::List(v) => v.iter().for_each(|t| term(t, out)),
        InValues::Marker(m) => out.push(m),
    }
}

fn selector<'a>(s: &'a SelectorExpr, out: &mut Vec<&'a BindMarker>) {
    match s {
        SelectorExpr::Column(_) | SelectorExpr::CountAll => {}
        SelectorExpr::Tuple(items) | SelectorExpr::List(items) => {
            items.iter().for_each(|e| selector(e, out))
        }
        SelectorExpr::WriteTime(e)
        | SelectorExpr::MaxWriteTime(e)
        | SelectorExpr::Ttl(e)
        | SelectorExpr::Cast { expr: e, .. }
        | SelectorExpr::Field { expr: e, .. }
        | SelectorExpr::Negation(e)
        | SelectorExpr::TypeHint { expr: e, .. } => selector(e, out),
        SelectorExpr::FunctionCall { args, .. } => args.iter().for_each(|a| selector(a, out)),
        SelectorExpr::Term(t) => term(t, out),
        SelectorExpr::Element { expr, key } => {
            selector(expr, out);
            term(key, out)
        }
        SelectorExpr::Slice { expr, from, to } => {
            selector(expr, out);
            opt(from, out);
            opt(to, out)
        }
        SelectorExpr::Arithmetic { left, right, .. } => {
            selector(left, out);
            selector(right, out)
        }
    }
}

fn relations<'a>(rs: &'a [Relation], out: &mut Vec<&'a BindMarker>) {
    for r in rs {
        match r {
            Relation::Simple { value, .. }
            | Relation::MultiColumn { value, .. }
            | Relation::Token { value, .. } => term(value, out),
            Relation::In { values, .. }
            | Relation::NotIn { values, .. }
            | Relation::MultiColumnIn { values, .. } => in_values(values, out),
            Relation::IsNotNull { .. } => {}
            Relation::MapElement { key, value, .. } => {
                term(key, out);
                term(value, out)
            }
        }
    }
}

fn target<'a>(t: &'a ColumnTarget, out: &mut Vec<&'a BindMarker>) {
    if let ColumnTarget::Element(_, k) = t {
        term(k, out)
    }
}

fn conditions<'a>(c: &'a Option<Conditions>, out: &mut Vec<&'a BindMarker>) {
    if let Some(Conditions::If(cs)) = c {
        for c in cs {
            match c {
                Condition::Compare {
                    target: t, value, ..
                } => {
                    target(t, out);
                    term(value, out)
                }
                Condition::In { target: t, values } => {
                    target(t, out);
                    in_values(values, out)
                }
            }
        }
    }
}

fn select<'a>(s: &'a Select, out: &mut Vec<&'a BindMarker>) {
    if let Selection::Selectors(sel) = &s.selection {
        sel.iter().for_each(|s| selector(&s.expr, out));
    }
    relations(&s.where_clause, out);
    s.group_by.iter().for_each(|g| selector(g, out));
    if let Some((_, t)) = &s.ann_of {
        term(t, out)
    }
    opt(&s.per_partition_limit, out);
    opt(&s.limit, out);
}

fn insert<'a>(s: &'a Insert, out: &mut Vec<&'a BindMarker>) {
    match &s.values {
        InsertValues::Values { values, .. } => values.iter().for_each(|t| term(t, out)),
        InsertValues::Json { value, .. } => term(value, out),
    }
    using(&s.using, out);
}

fn update<'a>(s: &'a Update, out: &mut Vec<&'a BindMarker>) {
    using(&s.using, out);
    for a in &s.assignments {
        match a {
            Assignment::Set { target: t, value } => {
                target(t, out);
                term(value, out)
            }
            Assignment::Add { value, .. }
            | Assignment::Prepend { value, .. }
            | Assignment::Subtract { value, .. } => term(value, out),
        }
    }
    relations(&s.where_clause, out);
    conditions(&s.conditions, out);
}

fn delete<'a>(s: &'a Delete, out: &mut Vec<&'a BindMarker>) {
    s.targets.iter().for_each(|t| target(t, out));
    opt(&s.timestamp, out);
    relations(&s.where_clause, out);
    conditions(&s.conditions, out);
}
