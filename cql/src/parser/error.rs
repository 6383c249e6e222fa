//! The syntax error of the parser, shaped like Cassandra's SyntaxException text.

/// A syntax error at a position of the statement text.
///
/// `Display` gives Cassandra's message, e.g.
/// `line 1:9 mismatched input 'FRO' expecting K_FROM (SELECT * [FRO]...)`;
/// the server sends it as the message of a Syntax (0x2000) ERROR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}:{column} {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 0-based column in characters (as ANTLR's charPositionInLine).
    pub column: u32,
    /// The message after the position, including the `(... [token]...)` snippet.
    pub message: String,
}

impl ParseError {
    pub fn new(line: u32, column: u32, message: impl Into<String>) -> Self {
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }
}
