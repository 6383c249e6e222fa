//! The CQL language front end: text in, [`Statement`] out.
//!
//! - [`lexer`]: tokens with line:column positions (no allocation per token).
//! - [`ast`]: the statement tree the server executes.
//! - the recursive-descent parser, one file per statement family (`select`, `modify`,
//!   `schema`, `function`, `roles`, `statement` for dispatch and DESCRIBE), over a token
//!   cursor (`cursor`) that also builds Cassandra-shaped syntax errors.
//!
//! Usage: `parse_statement(text)` for QUERY/PREPARE (one statement, optional `;`),
//! then `Statement::bind_markers()` for the prepared metadata; `parse_statements` for
//! scripts. A [`ParseError`] displays as Cassandra's SyntaxException message; send it
//! with error code 0x2000 (Syntax). A few checks Cassandra does in its grammar are
//! reported the same way (`Unmatched column names/values`, `Only expressions of the
//! form X = X + <value> are supported.`).
//!
//! This module owns syntax only: names are folded, constants are kept as text with their
//! [`crate::types::LiteralKind`]; everything that needs the schema belongs to the
//! server. Grammar: the CQL reference (cql_singlefile.adoc) for Cassandra 4.x/5.0.

pub mod ast;
mod cursor;
mod error;
mod function;
pub mod lexer;
mod modify;
mod roles;
mod schema;
mod select;
mod statement;
mod term;
#[cfg(test)]
mod tests;

pub use ast::*;
pub use cursor::{is_reserved as is_reserved_keyword, RESERVED_KEYWORDS};
pub use error::ParseError;

use cursor::Parser;
use lexer::TokenKind;

/// Fuzz target body (STYLE.md: plain functions, so a seed corpus also runs under
/// `cargo test`): any bytes must give `Ok` or `Err`, never a panic.
pub fn fuzz_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_statements(text);
    }
}

/// Parses exactly one statement, with an optional trailing `;`.
pub fn parse_statement(text: &str) -> Result<Statement, ParseError> {
    let mut p = Parser::new(text)?;
    let stmt = p.statement()?;
    p.eat(TokenKind::Semicolon);
    if !p.at_end() {
        return Err(p.err_expecting("EOF"));
    }
    Ok(stmt)
}

/// Parses a script: statements separated by `;` (empty statements are skipped).
/// Bind markers are numbered per statement.
pub fn parse_statements(text: &str) -> Result<Vec<Statement>, ParseError> {
    let mut p = Parser::new(text)?;
    let mut out = Vec::new();
    loop {
        while p.eat(TokenKind::Semicolon) {}
        if p.at_end() {
            return Ok(out);
        }
        p.reset(p.position(), 0);
        out.push(p.statement()?);
        if !p.eat(TokenKind::Semicolon) && !p.at_end() {
            return Err(p.err_expecting("';'"));
        }
    }
}
