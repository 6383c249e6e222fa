//! The CQL lexer: text → tokens with line:column positions.
//!
//! Hand-written, one pass, no regex. A token is a kind plus a byte span into the
//! source; the parser slices the text when it needs it, so lexing allocates only the
//! token vector. Words are not classified here: keywords are unreserved or reserved
//! depending on context, so the parser compares words case-insensitively
//! (definitions.adoc "Identifiers and keywords"). Booleans, `NaN` and `Infinity` are
//! words too for the same reason.
//!
//! Positions follow ANTLR, which Cassandra's messages use: lines from 1, columns from
//! 0, counted in characters.

use super::ParseError;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted word: identifier or keyword (`[a-zA-Z][a-zA-Z0-9_]*`).
    Word,
    /// `"Quoted"` identifier; `""` inside stands for `"`.
    QuotedIdent,
    /// `'string'`; `''` inside stands for `'`.
    String,
    /// `$$string$$` (no escapes).
    DollarString,
    Integer,
    Float,
    Uuid,
    /// `0x...`
    Hex,
    Duration,
    /// `?`
    QMark,
    Colon,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semicolon,
    Dot,
    /// `..`
    Range,
    Star,
    Plus,
    Minus,
    Slash,
    Percent,
    Eq,
    /// `!=`
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Eof,
}

/// A token: kind, byte span and the position of its first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub column: u32,
}

/// Splits `src` into tokens, ending with one [`TokenKind::Eof`] token.
pub fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    if src.len() > u32::MAX as usize {
        return Err(ParseError::new(1, 0, "statement too large"));
    }
    let mut lx = Lexer {
        src: src.as_bytes(),
        pos: 0,
        line: 1,
        column: 0,
    };
    // A rough guess (one token per 2 bytes, typical of statements full of `?, `)
    // avoids regrowth; tokens are 20 bytes.
    let mut out = Vec::with_capacity(src.len() / 2 + 2);
    loop {
        let tok = lx.next_token()?;
        let eof = tok.kind == TokenKind::Eof;
        out.push(tok);
        if eof {
            return Ok(out);
        }
    }
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    column: u32,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn is_word_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.src.get(at).copied()
    }

    /// Moves to `to`, keeping line and column (in characters) up to date.
    fn advance_to(&mut self, to: usize) {
        let to = to.min(self.src.len());
        for &b in self.src.get(self.pos..to).unwrap_or(&[]) {
            if b == b'\n' {
                self.line += 1;
                self.column = 0;
            } else if b & 0xC0 != 0x80 {
                // Count UTF-8 lead bytes only: one per character.
                self.column += 1;
            }
        }
        self.pos = to;
    }

    fn error_here(&self, message: String) -> ParseError {
        ParseError::new(self.line, self.column, message)
    }

    /// The character at the current position, for messages.
    fn char_here(&self) -> String {
        std::str::from_utf8(self.src.get(self.pos..).unwrap_or(&[]))
            .ok()
            .and_then(|s| s.chars().next())
            .map(|c| c.to_string())
            .unwrap_or_else(|| "<EOF>".to_string())
    }

    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.byte(self.pos), self.byte(self.pos + 1)) {
                (Some(b' ' | b'\t' | b'\r'), _) => {
                    self.pos += 1;
                    self.column += 1;
                }
                (Some(b), _) if b.is_ascii_whitespace() => self.advance_to(self.pos + 1),
                (Some(b'-'), Some(b'-')) | (Some(b'/'), Some(b'/')) => {
                    let end = memchr(b'\n', self.src, self.pos).unwrap_or(self.src.len());
                    self.advance_to(end);
                }
                (Some(b'/'), Some(b'*')) => {
                    let body = self.pos + 2;
                    match find(self.src, body, b"*/") {
                        Some(end) => self.advance_to(end + 2),
                        None => {
                            self.advance_to(self.src.len());
                            return Err(self.error_here(
                                "mismatched character '<EOF>' expecting '*'".to_string(),
                            ));
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_trivia()?;
        let (start, line, column) = (self.pos, self.line, self.column);
        let (kind, end) = self.scan()?;
        match kind {
            // Only these can hold newlines or non-ASCII characters.
            TokenKind::String
            | TokenKind::QuotedIdent
            | TokenKind::DollarString
            | TokenKind::Duration => self.advance_to(end),
            _ => {
                self.column += (end - start) as u32;
                self.pos = end;
            }
        }
        Ok(Token {
            kind,
            start: start as u32,
            end: end as u32,
            line,
            column,
        })
    }

    /// Recognises the token at `self.pos`; returns its kind and end offset.
    fn scan(&mut self) -> Result<(TokenKind, usize), ParseError> {
        use TokenKind::*;
        let p = self.pos;
        let Some(b) = self.byte(p) else {
            return Ok((Eof, p));
        };
        let next = self.byte(p + 1);
        let single = |k| Ok((k, p + 1));
        match b {
            b'(' => single(LParen),
            b')' => single(RParen),
            b'[' => single(LBracket),
            b']' => single(RBracket),
            b'{' => single(LBrace),
            b'}' => single(RBrace),
            b',' => single(Comma),
            b';' => single(Semicolon),
            b'?' => single(QMark),
            b':' => single(Colon),
            b'*' => single(Star),
            b'+' => single(Plus),
            b'-' => single(Minus),
            b'/' => single(Slash),
            b'%' => single(Percent),
            b'=' => single(Eq),
            b'.' if next == Some(b'.') => Ok((Range, p + 2)),
            b'.' => single(Dot),
            b'!' if next == Some(b'=') => Ok((Neq, p + 2)),
            b'<' if next == Some(b'=') => Ok((Lte, p + 2)),
            b'<' => single(Lt),
            b'>' if next == Some(b'=') => Ok((Gte, p + 2)),
            b'>' => single(Gt),
            b'\'' => self.quoted(b'\'', String),
            b'"' => self.quoted(b'"', QuotedIdent),
            b'$' if next == Some(b'$') => match find(self.src, p + 2, b"$$") {
                Some(end) => Ok((DollarString, end + 2)),
                None => {
                    self.advance_to(self.src.len());
                    Err(self.error_here("mismatched character '<EOF>' expecting '$'".into()))
                }
            },
            b'0' if matches!(next, Some(b'x' | b'X')) && !self.uuid_at(p) => {
                let mut end = p + 2;
                while self.byte(end).is_some_and(|b| b.is_ascii_hexdigit()) {
                    end += 1;
                }
                Ok((Hex, end))
            }
            _ if b.is_ascii_hexdigit() && self.uuid_at(p) => Ok((Uuid, p + 36)),
            _ if b.is_ascii_digit() => Ok(self.number(p)),
            b'P' | b'p' if self.iso_duration(p).is_some() => {
                Ok((Duration, self.iso_duration(p).unwrap_or(p + 1)))
            }
            _ if is_word_start(b) => {
                let mut end = p + 1;
                while self.byte(end).is_some_and(is_word_char) {
                    end += 1;
                }
                Ok((Word, end))
            }
            _ => Err(self.error_here(format!(
                "no viable alternative at character '{}'",
                self.char_here()
            ))),
        }
    }

    /// A quoted string or identifier; a doubled quote is an escaped quote.
    fn quoted(&mut self, q: u8, kind: TokenKind) -> Result<(TokenKind, usize), ParseError> {
        let mut i = self.pos + 1;
        loop {
            match memchr(q, self.src, i) {
                Some(j) if self.byte(j + 1) == Some(q) => i = j + 2,
                Some(j) => return Ok((kind, j + 1)),
                None => {
                    self.advance_to(self.src.len());
                    return Err(self.error_here(
                        "mismatched character '<EOF>' expecting set null".to_string(),
                    ));
                }
            }
        }
    }

    /// `8-4-4-4-12` hex digits not followed by a word character.
    fn uuid_at(&self, p: usize) -> bool {
        let Some(s) = self.src.get(p..p + 36) else {
            return false;
        };
        let shape_ok = s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
        shape_ok && !self.byte(p + 36).is_some_and(is_word_char)
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.byte(i).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
        }
        i
    }

    /// Integer, float or a duration in the `1h30m` form.
    fn number(&self, p: usize) -> (TokenKind, usize) {
        let int_end = self.digits(p);
        if let Some(end) = self.unit_duration(p) {
            return (TokenKind::Duration, end);
        }
        let mut end = int_end;
        let mut kind = TokenKind::Integer;
        // `1.5`, `1.`; but `1..2` is a range (slice bounds).
        if self.byte(end) == Some(b'.') && self.byte(end + 1) != Some(b'.') {
            end = self.digits(end + 1);
            kind = TokenKind::Float;
        }
        if matches!(self.byte(end), Some(b'e' | b'E')) {
            let mut e = end + 1;
            if matches!(self.byte(e), Some(b'+' | b'-')) {
                e += 1;
            }
            let digits_end = self.digits(e);
            if digits_end > e {
                end = digits_end;
                kind = TokenKind::Float;
            }
        }
        (kind, end)
    }

    /// `(digits unit)+` where unit is y, mo, w, d, h, m, s, ms, us, µs, ns (any case),
    /// ending at a non-word character.
    fn unit_duration(&self, p: usize) -> Option<usize> {
        let mut i = p;
        let mut parts = 0;
        loop {
            let d = self.digits(i);
            if d == i {
                break;
            }
            let unit_len = self.duration_unit(d)?;
            i = d + unit_len;
            parts += 1;
        }
        (parts > 0 && !self.byte(i).is_some_and(is_word_char)).then_some(i)
    }

    fn duration_unit(&self, at: usize) -> Option<usize> {
        let lower = |i: usize| self.byte(i).map(|b| b.to_ascii_lowercase());
        match (lower(at), lower(at + 1)) {
            (Some(b'm'), Some(b'o')) | (Some(b'm'), Some(b's')) => Some(2),
            (Some(b'u'), Some(b's')) | (Some(b'n'), Some(b's')) => Some(2),
            (Some(b'y' | b'w' | b'd' | b'h' | b'm' | b's'), _) => Some(1),
            // µ is two bytes in UTF-8 (U+00B5).
            (Some(0xC2), Some(0xB5)) if lower(at + 2) == Some(b's') => Some(3),
            _ => None,
        }
    }

    /// ISO 8601 durations: `P1Y2M3DT4H5M6S` (at least one part), `P2W`,
    /// `P0001-02-03T04:05:06`. Returns the end offset.
    fn iso_duration(&self, p: usize) -> Option<usize> {
        let end = self
            .iso_alternative(p + 1)
            .or_else(|| self.iso_week(p + 1))
            .or_else(|| self.iso_designators(p + 1))?;
        (!self.byte(end).is_some_and(is_word_char)).then_some(end)
    }

    fn iso_week(&self, i: usize) -> Option<usize> {
        let d = self.digits(i);
        (d > i && matches!(self.byte(d), Some(b'W' | b'w'))).then_some(d + 1)
    }

    fn iso_alternative(&self, i: usize) -> Option<usize> {
        const SHAPE: &[u8] = b"0000-00-00T00:00:00";
        let s = self.src.get(i..i + SHAPE.len())?;
        let ok = s.iter().zip(SHAPE).all(|(&b, &m)| match m {
            b'0' => b.is_ascii_digit(),
            b'T' => b == b'T' || b == b't',
            _ => b == m,
        });
        ok.then_some(i + SHAPE.len())
    }

    fn iso_designators(&self, mut i: usize) -> Option<usize> {
        // Each designator is optional but in order; returns how many were taken.
        let take = |i: &mut usize, units: &[u8]| {
            let mut n = 0;
            for &u in units {
                let d = self.digits(*i);
                if d > *i && self.byte(d).map(|b| b.to_ascii_uppercase()) == Some(u) {
                    *i = d + 1;
                    n += 1;
                }
            }
            n
        };
        let mut parts = take(&mut i, b"YMD");
        if matches!(self.byte(i), Some(b'T' | b't')) {
            let mut j = i + 1;
            let time_parts = take(&mut j, b"HMS");
            if time_parts == 0 {
                return None;
            }
            parts += time_parts;
            i = j;
        }
        (parts > 0).then_some(i)
    }
}

fn memchr(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .iter()
        .position(|&b| b == needle)
        .map(|i| i + from)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        tokenize(s).expect("lexes").iter().map(|t| t.kind).collect()
    }

    fn texts(s: &str) -> Vec<&str> {
        let toks = tokenize(s).expect("lexes");
        toks.iter()
            .map(|t| &s[t.start as usize..t.end as usize])
            .collect()
    }

    #[test]
    fn punctuation_and_operators() {
        assert_eq!(
            kinds("( ) [ ] { } , ; ? : * + - / % = != < <= > >= . .."),
            vec![
                LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Semicolon, QMark, Colon,
                Star, Plus, Minus, Slash, Percent, Eq, Neq, Lt, Lte, Gt, Gte, Dot, Range, Eof
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("42 3.14 1e10 2.5E-3 7."),
            vec![Integer, Float, Float, Float, Float, Eof]
        );
        assert_eq!(texts("1..5"), vec!["1", "..", "5", ""]);
        // `-` is its own token: the parser folds it into number constants.
        assert_eq!(kinds("-1"), vec![Minus, Integer, Eof]);
    }

    #[test]
    fn durations() {
        for d in [
            "1h30m",
            "12h",
            "3mo2w",
            "5ms",
            "10us",
            "7ns",
            "1y2mo3w4d5h6m7s8ms9us10ns",
        ] {
            assert_eq!(kinds(d), vec![Duration, Eof], "{d}");
        }
        for d in ["P1DT2H", "P2W", "P0001-02-03T04:05:06", "PT5M", "P1Y"] {
            assert_eq!(kinds(d), vec![Duration, Eof], "{d}");
        }
        assert_eq!(kinds("5µs"), vec![Duration, Eof]);
        assert!(tokenize("µs").is_err(), "µ alone is not a token");
    }

    #[test]
    fn words_are_not_durations() {
        assert_eq!(
            kinds("P pt primary PRIMARY"),
            vec![Word, Word, Word, Word, Eof]
        );
    }

    #[test]
    fn uuids_hex_and_words() {
        assert_eq!(
            kinds("50554d6e-29bb-11e5-b345-feff819cdc9f 0xCAFE 0x abc_1"),
            vec![Uuid, Hex, Hex, Word, Eof]
        );
        assert_eq!(
            kinds("deadbeef-29bb-11e5-b345-feff819cdc9f"),
            vec![Uuid, Eof]
        );
    }

    #[test]
    fn strings_and_identifiers() {
        assert_eq!(
            texts("'it''s' \"My \"\"Col\"\"\" $$a'b$$"),
            vec!["'it''s'", "\"My \"\"Col\"\"\"", "$$a'b$$", ""]
        );
    }

    #[test]
    fn comments_and_positions() {
        let s = "-- one\nSELECT /* two\n */ a // three\n  FROM t";
        let toks = tokenize(s).expect("lexes");
        let pos: Vec<_> = toks.iter().map(|t| (t.line, t.column)).collect();
        assert_eq!(pos, vec![(2, 0), (3, 4), (4, 2), (4, 7), (4, 8)]);
    }

    #[test]
    fn columns_count_characters() {
        let toks = tokenize("'héllo' x").expect("lexes");
        assert_eq!((toks[1].line, toks[1].column), (1, 8));
    }

    #[test]
    fn unterminated_string_is_an_error() {
        let e = tokenize("INSERT INTO t (a) VALUES ('abc").expect_err("unterminated");
        assert_eq!(
            e.to_string(),
            "line 1:30 mismatched character '<EOF>' expecting set null"
        );
    }

    #[test]
    fn unknown_character_is_an_error() {
        let e = tokenize("SELECT @ FROM t").expect_err("bad char");
        assert_eq!(
            e.to_string(),
            "line 1:7 no viable alternative at character '@'"
        );
    }
}
