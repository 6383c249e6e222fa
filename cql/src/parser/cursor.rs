//! The token cursor the recursive-descent parser walks, and the construction of
//! Cassandra-shaped syntax errors (`line L:C mismatched input 'X' expecting Y (...[X]...)`).
//!
//! Lookahead is a few tokens at most; the only backtracking is over a parenthesised
//! type in a type hint, never over a whole statement.

use super::ast::{BindMarker, QualifiedName};
use super::lexer::{tokenize, Token, TokenKind};
use super::ParseError;

/// Reserved keywords: never identifiers unless quoted. Cassandra's `ReservedKeywords`
/// (the reference's Appendix A plus `is`, `materialized` and `view`, which the grammar
/// also refuses as bare identifiers). Sorted, lowercase; `is_reserved` matches the same
/// words (a test checks both agree).
pub const RESERVED_KEYWORDS: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "materialized",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "replace",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "truncate",
    "unlogged",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

/// Lowercases a short word into `buf` without allocating; `None` if it does not fit.
pub(super) fn fold_small<'b>(word: &str, buf: &'b mut [u8; 16]) -> Option<&'b str> {
    let dst = buf.get_mut(..word.len())?;
    for (d, b) in dst.iter_mut().zip(word.bytes()) {
        *d = b.to_ascii_lowercase();
    }
    std::str::from_utf8(dst).ok()
}

/// Whether `word` (any case) is a reserved keyword. Hot (every identifier goes
/// through it): fold into a stack buffer and let the compiler build the matcher.
pub fn is_reserved(word: &str) -> bool {
    let bytes = word.as_bytes();
    let mut buf = [0u8; 12];
    let Some(dst) = buf.get_mut(..bytes.len()) else {
        return false; // longer than any reserved word
    };
    for (d, b) in dst.iter_mut().zip(bytes) {
        *d = b.to_ascii_lowercase();
    }
    matches!(
        &*dst,
        b"add"
            | b"allow"
            | b"alter"
            | b"and"
            | b"apply"
            | b"asc"
            | b"authorize"
            | b"batch"
            | b"begin"
            | b"by"
            | b"columnfamily"
            | b"create"
            | b"delete"
            | b"desc"
            | b"describe"
            | b"drop"
            | b"entries"
            | b"execute"
            | b"from"
            | b"full"
            | b"grant"
            | b"if"
            | b"in"
            | b"index"
            | b"infinity"
            | b"insert"
            | b"into"
            | b"is"
            | b"keyspace"
            | b"limit"
            | b"materialized"
            | b"modify"
            | b"nan"
            | b"norecursive"
            | b"not"
            | b"null"
            | b"of"
            | b"on"
            | b"or"
            | b"order"
            | b"primary"
            | b"rename"
            | b"replace"
            | b"revoke"
            | b"schema"
            | b"select"
            | b"set"
            | b"table"
            | b"to"
            | b"token"
            | b"truncate"
            | b"unlogged"
            | b"update"
            | b"use"
            | b"using"
            | b"view"
            | b"where"
            | b"with"
    )
}

pub(super) type PResult<T> = Result<T, ParseError>;

pub(super) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Bind markers seen so far: the next marker's index.
    markers: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str) -> PResult<Self> {
        Ok(Parser {
            src,
            toks: tokenize(src)?,
            pos: 0,
            markers: 0,
        })
    }

    /// The token `n` ahead (the final EOF token past the end).
    pub(super) fn peek_n(&self, n: usize) -> Token {
        let last = self.toks.len().saturating_sub(1);
        let i = (self.pos + n).min(last);
        self.toks.get(i).copied().unwrap_or(Token {
            kind: TokenKind::Eof,
            start: 0,
            end: 0,
            line: 1,
            column: 0,
        })
    }

    pub(super) fn peek(&self) -> Token {
        self.peek_n(0)
    }

    pub(super) fn kind(&self) -> TokenKind {
        self.peek().kind
    }

    pub(super) fn kind_at(&self, n: usize) -> TokenKind {
        self.peek_n(n).kind
    }

    pub(super) fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }

    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// Goes back to a position from [`Parser::position`] (type-hint lookahead only).
    pub(super) fn reset(&mut self, pos: usize, markers: usize) {
        self.pos = pos;
        self.markers = markers;
    }

    pub(super) fn marker_count(&self) -> usize {
        self.markers
    }

    pub(super) fn text(&self, t: Token) -> &'a str {
        self.src.get(t.start as usize..t.end as usize).unwrap_or("")
    }

    /// Whether the token `n` ahead is the word `kw` (case-insensitive).
    pub(super) fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        let t = self.peek_n(n);
        t.kind == TokenKind::Word && self.text(t).eq_ignore_ascii_case(kw)
    }

    pub(super) fn at_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.at_kw(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    pub(super) fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.err_expecting(&format!("K_{}", kw.to_ascii_uppercase())))
        }
    }

    pub(super) fn eat(&mut self, kind: TokenKind) -> bool {
        let yes = self.kind() == kind;
        if yes {
            self.pos += 1;
        }
        yes
    }

    pub(super) fn expect(&mut self, kind: TokenKind) -> PResult<Token> {
        if self.kind() == kind {
            Ok(self.bump())
        } else {
            Err(self.err_expecting(token_name(kind)))
        }
    }

    /// Whether the token `n` ahead can be an identifier: a quoted name or a word that
    /// is not a reserved keyword.
    pub(super) fn is_ident_at(&self, n: usize) -> bool {
        let t = self.peek_n(n);
        match t.kind {
            TokenKind::QuotedIdent => true,
            TokenKind::Word => !is_reserved(self.text(t)),
            _ => false,
        }
    }

    /// An identifier, case-folded unless quoted.
    pub(super) fn ident(&mut self) -> PResult<String> {
        if !self.is_ident_at(0) {
            return Err(self.err_no_viable());
        }
        let t = self.bump();
        Ok(self.fold(t))
    }

    /// The folded name of a word or quoted identifier token.
    pub(super) fn fold(&self, t: Token) -> String {
        let s = self.text(t);
        if t.kind == TokenKind::QuotedIdent {
            unquote(s, '"')
        } else {
            s.to_ascii_lowercase()
        }
    }

    /// `name` or `ks.name`.
    pub(super) fn qualified_name(&mut self) -> PResult<QualifiedName> {
        let first = self.ident()?;
        if self.eat(TokenKind::Dot) {
            let name = self.ident()?;
            Ok(QualifiedName {
                keyspace: Some(first),
                name,
            })
        } else {
            Ok(QualifiedName {
                keyspace: None,
                name: first,
            })
        }
    }

    /// A new bind marker, numbered in textual order.
    pub(super) fn new_marker(&mut self, name: Option<String>) -> BindMarker {
        let index = self.markers;
        self.markers += 1;
        BindMarker { index, name }
    }

    /// `IF NOT EXISTS` if present.
    pub(super) fn if_not_exists(&mut self) -> PResult<bool> {
        if self.eat_kw("if") {
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `IF EXISTS` if present.
    pub(super) fn if_exists(&mut self) -> PResult<bool> {
        if self.eat_kw("if") {
            self.expect_kw("exists")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The unescaped content of a string constant token (`'...'` or `$$...$$`).
    pub(super) fn string_content(&self, t: Token) -> String {
        let s = self.text(t);
        match t.kind {
            TokenKind::DollarString => s.get(2..s.len().saturating_sub(2)).unwrap_or("").into(),
            _ => unquote(s, '\''),
        }
    }

    /// A string constant.
    pub(super) fn string(&mut self) -> PResult<String> {
        match self.kind() {
            TokenKind::String | TokenKind::DollarString => {
                let t = self.bump();
                Ok(self.string_content(t))
            }
            _ => Err(self.err_expecting("STRING_LITERAL")),
        }
    }

    /// Whether all tokens are consumed (an optional `;` may remain).
    pub(super) fn at_end(&self) -> bool {
        self.kind() == TokenKind::Eof
    }

    /// `mismatched input 'X' expecting WHAT (...)`.
    pub(super) fn err_expecting(&self, what: &str) -> ParseError {
        let msg = format!(
            "mismatched input '{}' expecting {what}",
            self.display_token(self.pos)
        );
        self.err_at(self.pos, msg)
    }

    /// `no viable alternative at input 'X' (...)`.
    pub(super) fn err_no_viable(&self) -> ParseError {
        let msg = format!(
            "no viable alternative at input '{}'",
            self.display_token(self.pos)
        );
        self.err_at(self.pos, msg)
    }

    /// An error at the current token with a free message (Cassandra reports some
    /// semantic checks of the grammar this way).
    pub(super) fn err_msg(&self, msg: impl Into<String>) -> ParseError {
        self.err_at(self.pos, msg.into())
    }

    fn display_token(&self, i: usize) -> &str {
        match self.toks.get(i) {
            Some(t) if t.kind != TokenKind::Eof => self.text(*t),
            _ => "<EOF>",
        }
    }

    /// Builds the error at token `i` with Cassandra's snippet: up to 10 tokens before
    /// the offending one, the offending token in brackets, `...` where text was cut.
    fn err_at(&self, i: usize, msg: String) -> ParseError {
        let i = i.min(self.toks.len().saturating_sub(1));
        let Some(&tok) = self.toks.get(i) else {
            return ParseError::new(1, 0, msg);
        };
        // At EOF Cassandra highlights the last real token.
        let shown = if tok.kind == TokenKind::Eof && i > 0 {
            i - 1
        } else {
            i
        };
        let (Some(&from), Some(&off)) = (
            self.toks.get(shown.saturating_sub(10)),
            self.toks.get(shown),
        ) else {
            return ParseError::new(tok.line, tok.column, msg);
        };
        if off.kind == TokenKind::Eof {
            return ParseError::new(tok.line, tok.column, msg);
        }
        let before = self
            .src
            .get(from.start as usize..off.start as usize)
            .unwrap_or("");
        let after = self.src.get(off.end as usize..).unwrap_or("");
        let lead = if self
            .src
            .get(..from.start as usize)
            .unwrap_or("")
            .trim()
            .is_empty()
        {
            ""
        } else {
            "..."
        };
        let tail = if after.trim().is_empty() { "" } else { "..." };
        let snippet = format!("{lead}{before}[{}]{tail}", self.text(off)).replace('\n', " ");
        ParseError::new(tok.line, tok.column, format!("{msg} ({snippet})"))
    }
}

/// ANTLR-like names of punctuation tokens for "expecting ..." messages.
pub(super) fn token_name(kind: TokenKind) -> &'static str {
    use TokenKind::*;
    match kind {
        Word | QuotedIdent => "IDENT",
        String | DollarString => "STRING_LITERAL",
        Integer => "INTEGER",
        Float => "FLOAT",
        Uuid => "UUID",
        Hex => "HEXNUMBER",
        Duration => "DURATION",
        QMark => "'?'",
        Colon => "':'",
        LParen => "'('",
        RParen => "')'",
        LBracket => "'['",
        RBracket => "']'",
        LBrace => "'{'",
        RBrace => "'}'",
        Comma => "','",
        Semicolon => "';'",
        Dot => "'.'",
        Range => "'..'",
        Star => "'*'",
        Plus => "'+'",
        Minus => "'-'",
        Slash => "'/'",
        Percent => "'%'",
        Eq => "'='",
        Neq => "'!='",
        Lt => "'<'",
        Lte => "'<='",
        Gt => "'>'",
        Gte => "'>='",
        Eof => "EOF",
    }
}

/// Strips the surrounding quotes and folds doubled quotes.
fn unquote(s: &str, q: char) -> String {
    let inner = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
    if inner.contains(q) {
        let doubled: &str = if q == '"' { "\"\"" } else { "''" };
        inner.replace(doubled, if q == '"' { "\"" } else { "'" })
    } else {
        inner.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_list_is_sorted_and_checked_case_insensitively() {
        assert!(RESERVED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        // The matcher in is_reserved and the list agree.
        assert!(RESERVED_KEYWORDS
            .iter()
            .all(|w| is_reserved(w) && is_reserved(&w.to_ascii_uppercase())));
        assert!(["ke", "selects", "fro", "a", "", "tokens", "with_"]
            .iter()
            .all(|w| !is_reserved(w)));
        assert!(is_reserved("FROM") && is_reserved("select") && is_reserved("Token"));
        assert!(
            !is_reserved("key") && !is_reserved("type") && !is_reserved("averyveryverylongname")
        );
    }

    #[test]
    fn unquote_folds_doubled_quotes() {
        assert_eq!(unquote("'it''s'", '\''), "it's");
        assert_eq!(unquote("\"a\"\"b\"", '"'), "a\"b");
    }
}
