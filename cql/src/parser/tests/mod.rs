//! Parser tests, one file per statement family, plus the reference examples and a
//! no-panic property test.

mod ddl;
mod dml;
mod errors;
mod examples;
mod roles;

use super::*;
use crate::types::LiteralKind;

/// Parses or panics with the error text (tests only).
pub(super) fn parse(s: &str) -> Statement {
    match parse_statement(s) {
        Ok(st) => st,
        Err(e) => panic!("{s}\n  -> {e}"),
    }
}

pub(super) fn lit(kind: LiteralKind, text: &str) -> Term {
    Term::Literal(Literal::new(kind, text))
}

pub(super) fn int(text: &str) -> Term {
    lit(LiteralKind::Integer, text)
}

pub(super) fn string(text: &str) -> Term {
    lit(LiteralKind::String, text)
}

pub(super) fn marker(index: usize) -> Term {
    Term::BindMarker(BindMarker { index, name: None })
}

pub(super) fn qn(ks: Option<&str>, name: &str) -> QualifiedName {
    QualifiedName {
        keyspace: ks.map(str::to_string),
        name: name.to_string(),
    }
}
