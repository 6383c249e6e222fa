//! Terms (constants, literals, bind markers, function calls, type hints, arithmetic)
//! and types as written (definitions.adoc "Terms", types.adoc).

use super::ast::{ArithmeticOp, Literal, QualifiedName, RawType, Term};
use super::cursor::{PResult, Parser};
use super::lexer::TokenKind as K;
use crate::types::{CqlType, LiteralKind};

/// The native type named by `word`, if any (types.adoc "Native types").
pub(super) fn native_type(word: &str) -> Option<CqlType> {
    let w = |s: &str| word.eq_ignore_ascii_case(s);
    Some(match () {
        _ if w("ascii") => CqlType::Ascii,
        _ if w("bigint") => CqlType::Bigint,
        _ if w("blob") => CqlType::Blob,
        _ if w("boolean") => CqlType::Boolean,
        _ if w("counter") => CqlType::Counter,
        _ if w("date") => CqlType::Date,
        _ if w("decimal") => CqlType::Decimal,
        _ if w("double") => CqlType::Double,
        _ if w("duration") => CqlType::Duration,
        _ if w("float") => CqlType::Float,
        _ if w("inet") => CqlType::Inet,
        _ if w("int") => CqlType::Int,
        _ if w("smallint") => CqlType::Smallint,
        _ if w("text") || w("varchar") => CqlType::Text,
        _ if w("time") => CqlType::Time,
        _ if w("timestamp") => CqlType::Timestamp,
        _ if w("timeuuid") => CqlType::Timeuuid,
        _ if w("tinyint") => CqlType::Tinyint,
        _ if w("uuid") => CqlType::Uuid,
        _ if w("varint") => CqlType::Varint,
        _ => return None,
    })
}

const COLLECTION_WORDS: &[&str] = &["list", "set", "map", "frozen", "tuple", "vector"];

impl<'a> Parser<'a> {
    /// Whether the token `n` ahead starts a type that cannot be a column name in a
    /// selector: a native type word or a parameterised type (`list<`).
    pub(super) fn starts_builtin_type_at(&self, n: usize) -> bool {
        let t = self.peek_n(n);
        if t.kind != K::Word {
            return false;
        }
        let word = self.text(t);
        native_type(word).is_some()
            || (COLLECTION_WORDS
                .iter()
                .any(|c| word.eq_ignore_ascii_case(c))
                && self.kind_at(n + 1) == K::Lt)
    }

    /// A type: native, collection, tuple, frozen, vector, custom (`'class'`) or UDT.
    pub(super) fn parse_type(&mut self) -> PResult<RawType> {
        let t = self.peek();
        if matches!(t.kind, K::String) {
            let class = self.string()?;
            return Ok(RawType::Native(CqlType::Custom(class)));
        }
        if t.kind == K::Word && self.kind_at(1) == K::Lt {
            let word = self.text(t);
            let lower = |s: &str| word.eq_ignore_ascii_case(s);
            if COLLECTION_WORDS.iter().any(|c| lower(c)) {
                self.bump();
                self.bump();
                let typ = if lower("list") {
                    RawType::List(Box::new(self.parse_type()?))
                } else if lower("set") {
                    RawType::Set(Box::new(self.parse_type()?))
                } else if lower("frozen") {
                    RawType::Frozen(Box::new(self.parse_type()?))
                } else if lower("map") {
                    let k = self.parse_type()?;
                    self.expect(K::Comma)?;
                    RawType::Map(Box::new(k), Box::new(self.parse_type()?))
                } else if lower("tuple") {
                    let mut items = vec![self.parse_type()?];
                    while self.eat(K::Comma) {
                        items.push(self.parse_type()?);
                    }
                    RawType::Tuple(items)
                } else {
                    let elem = self.parse_type()?;
                    self.expect(K::Comma)?;
                    let dim = self.expect(K::Integer)?;
                    let n = self.text(dim).parse::<u32>().map_err(|_| {
                        self.err_msg(format!("invalid vector dimension {}", self.text(dim)))
                    })?;
                    RawType::Vector(Box::new(elem), n)
                };
                self.expect(K::Gt)?;
                return Ok(typ);
            }
        }
        if t.kind == K::Word {
            if let Some(native) = native_type(self.text(t)) {
                self.bump();
                return Ok(RawType::Native(native));
            }
        }
        if !self.is_ident_at(0) {
            return Err(self.err_no_viable());
        }
        Ok(RawType::UserDefined(self.qualified_name()?))
    }

    /// A constant, with an optional leading `-` on numbers (the lexer never puts `-`
    /// into a number: `c = c - 1` must see a minus).
    pub(super) fn try_constant(&mut self) -> PResult<Option<Literal>> {
        let t = self.peek();
        let kind = match t.kind {
            K::String | K::DollarString => {
                self.bump();
                return Ok(Some(Literal::new(
                    LiteralKind::String,
                    self.string_content(t),
                )));
            }
            K::Integer => LiteralKind::Integer,
            K::Float => LiteralKind::Float,
            K::Uuid => LiteralKind::Uuid,
            K::Hex => LiteralKind::Hex,
            K::Duration => LiteralKind::Duration,
            K::Minus => return self.negative_constant(),
            K::Word => {
                let w = self.text(t);
                if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") {
                    self.bump();
                    return Ok(Some(Literal::new(
                        LiteralKind::Boolean,
                        w.to_ascii_lowercase(),
                    )));
                }
                if w.eq_ignore_ascii_case("nan") {
                    self.bump();
                    return Ok(Some(Literal::new(LiteralKind::Float, "NaN")));
                }
                if w.eq_ignore_ascii_case("infinity") {
                    self.bump();
                    return Ok(Some(Literal::new(LiteralKind::Float, "Infinity")));
                }
                return Ok(None);
            }
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(Literal::new(kind, self.text(t))))
    }

    fn negative_constant(&mut self) -> PResult<Option<Literal>> {
        let t = self.peek_n(1);
        let kind = match t.kind {
            K::Integer => LiteralKind::Integer,
            K::Float => LiteralKind::Float,
            K::Duration => LiteralKind::Duration,
            K::Word if self.text(t).eq_ignore_ascii_case("nan") => {
                self.bump();
                self.bump();
                return Ok(Some(Literal::new(LiteralKind::Float, "-NaN")));
            }
            K::Word if self.text(t).eq_ignore_ascii_case("infinity") => {
                self.bump();
                self.bump();
                return Ok(Some(Literal::new(LiteralKind::Float, "-Infinity")));
            }
            _ => return Ok(None),
        };
        self.bump();
        self.bump();
        let mut text = String::with_capacity(self.text(t).len() + 1);
        text.push('-');
        text.push_str(self.text(t));
        Ok(Some(Literal::new(kind, text)))
    }

    /// A constant or fail with "no viable alternative".
    pub(super) fn constant(&mut self) -> PResult<Literal> {
        match self.try_constant()? {
            Some(l) => Ok(l),
            None => Err(self.err_no_viable()),
        }
    }

    /// `?` or `:name` if present.
    pub(super) fn try_marker(&mut self) -> PResult<Option<super::ast::BindMarker>> {
        match self.kind() {
            K::QMark => {
                self.bump();
                Ok(Some(self.new_marker(None)))
            }
            K::Colon => {
                self.bump();
                let name = self.ident()?;
                Ok(Some(self.new_marker(Some(name))))
            }
            _ => Ok(None),
        }
    }

    /// An integer constant or a bind marker (`LIMIT`, `USING TTL`...).
    pub(super) fn int_value(&mut self) -> PResult<Term> {
        if let Some(m) = self.try_marker()? {
            return Ok(Term::BindMarker(m));
        }
        let negative = self.kind() == K::Minus && self.kind_at(1) == K::Integer;
        if self.kind() == K::Integer || negative {
            if let Some(l) = self.try_constant()? {
                return Ok(Term::Literal(l));
            }
        }
        Err(self.err_expecting("INTEGER"))
    }

    /// A full term, with arithmetic (`*` `/` `%` bind tighter than `+` `-`).
    pub(super) fn term(&mut self) -> PResult<Term> {
        let left = self.term_product()?;
        self.term_sum_rest(left)
    }

    /// Continues `left (+|- product)*`.
    pub(super) fn term_sum_rest(&mut self, mut left: Term) -> PResult<Term> {
        loop {
            let op = match self.kind() {
                K::Plus => ArithmeticOp::Add,
                K::Minus => ArithmeticOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.term_product()?;
            left = Term::Arithmetic {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn term_product(&mut self) -> PResult<Term> {
        let left = self.term_unary()?;
        self.term_product_rest(left)
    }

    /// Continues `left (*|/|% unary)*`.
    pub(super) fn term_product_rest(&mut self, mut left: Term) -> PResult<Term> {
        loop {
            let op = match self.kind() {
                K::Star => ArithmeticOp::Mul,
                K::Slash => ArithmeticOp::Div,
                K::Percent => ArithmeticOp::Rem,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.term_unary()?;
            left = Term::Arithmetic {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    /// A term without binary operators: constant, `-term`, NULL, marker, collection,
    /// tuple, UDT literal, function call or type hint.
    pub(super) fn term_unary(&mut self) -> PResult<Term> {
        if let Some(l) = self.try_constant()? {
            return Ok(Term::Literal(l));
        }
        if let Some(m) = self.try_marker()? {
            return Ok(Term::BindMarker(m));
        }
        match self.kind() {
            K::Minus => {
                self.bump();
                Ok(Term::Negation(Box::new(self.term_unary()?)))
            }
            K::LBracket => {
                self.bump();
                let items = self.term_list(K::RBracket)?;
                Ok(Term::List(items))
            }
            K::LBrace => self.brace_literal(),
            K::LParen => self.paren_term(),
            K::Word if self.at_kw("null") => {
                self.bump();
                Ok(Term::Null)
            }
            K::Word | K::QuotedIdent => self.function_call_term(),
            _ => Err(self.err_no_viable()),
        }
    }

    /// Terms separated by commas up to `close` (consumed); may be empty.
    pub(super) fn term_list(&mut self, close: K) -> PResult<Vec<Term>> {
        // Lists are short (VALUES, IN, collection literals): one allocation usually.
        if self.eat(close) {
            return Ok(Vec::new());
        }
        let mut items = Vec::with_capacity(8);
        loop {
            items.push(self.term()?);
            if self.eat(close) {
                return Ok(items);
            }
            self.expect(K::Comma)?;
        }
    }

    /// `{}`, `{a, b}`, `{k: v}`, `{field: v}`.
    fn brace_literal(&mut self) -> PResult<Term> {
        self.expect(K::LBrace)?;
        if self.eat(K::RBrace) {
            return Ok(Term::Map(Vec::new()));
        }
        // A UDT literal's keys are identifiers, which no term can be on its own.
        let udt_key = self.is_ident_at(0)
            && self.kind_at(1) == K::Colon
            && !self.at_kw("true")
            && !self.at_kw("false");
        if udt_key {
            let mut fields = Vec::new();
            loop {
                let name = self.ident()?;
                self.expect(K::Colon)?;
                fields.push((name, self.term()?));
                if self.eat(K::RBrace) {
                    return Ok(Term::Udt(fields));
                }
                self.expect(K::Comma)?;
            }
        }
        let first = self.term()?;
        if self.eat(K::Colon) {
            let mut entries = vec![(first, self.term()?)];
            while self.eat(K::Comma) {
                let k = self.term()?;
                self.expect(K::Colon)?;
                entries.push((k, self.term()?));
            }
            self.expect(K::RBrace)?;
            return Ok(Term::Map(entries));
        }
        let mut items = vec![first];
        while self.eat(K::Comma) {
            items.push(self.term()?);
        }
        self.expect(K::RBrace)?;
        Ok(Term::Set(items))
    }

    /// `(type) term`, `(a, b)` tuple, or `(term)`.
    fn paren_term(&mut self) -> PResult<Term> {
        if let Some(typ) = self.try_type_hint()? {
            let term = self.term_unary()?;
            return Ok(Term::TypeHint {
                typ,
                term: Box::new(term),
            });
        }
        self.expect(K::LParen)?;
        let items = self.term_list(K::RParen)?;
        match <[Term; 1]>::try_from(items) {
            Ok([single]) => Ok(single),
            Err(items) => Ok(Term::Tuple(items)),
        }
    }

    /// At `(`: if a type and `)` follow, then a term start, consumes them and returns
    /// the type; otherwise leaves the cursor where it was.
    pub(super) fn try_type_hint(&mut self) -> PResult<Option<RawType>> {
        if self.kind() != K::LParen {
            return Ok(None);
        }
        let builtin = self.starts_builtin_type_at(1) || self.kind_at(1) == K::String;
        let udt = self.is_ident_at(1)
            && (self.kind_at(2) == K::RParen
                || (self.kind_at(2) == K::Dot
                    && self.is_ident_at(3)
                    && self.kind_at(4) == K::RParen));
        if !builtin && !udt {
            return Ok(None);
        }
        let (pos, markers) = (self.position(), self.marker_count());
        self.bump();
        let typ = match self.parse_type() {
            Ok(t) if self.eat(K::RParen) && self.starts_term() => t,
            _ => {
                self.reset(pos, markers);
                return Ok(None);
            }
        };
        Ok(Some(typ))
    }

    /// Whether the current token can start a term (for type-hint lookahead).
    fn starts_term(&self) -> bool {
        match self.kind() {
            K::String
            | K::DollarString
            | K::Integer
            | K::Float
            | K::Uuid
            | K::Hex
            | K::Duration => true,
            K::QMark | K::Colon | K::LBracket | K::LBrace | K::LParen | K::Minus => true,
            K::Word => {
                self.at_kw("null")
                    || self.at_kw("true")
                    || self.at_kw("false")
                    || self.at_kw("nan")
                    || self.at_kw("infinity")
                    || self.kind_at(1) == K::LParen
                    || self.kind_at(1) == K::Dot
            }
            K::QuotedIdent => self.kind_at(1) == K::LParen || self.kind_at(1) == K::Dot,
            _ => false,
        }
    }

    /// `f(args)` or `ks.f(args)` in a term. Function names may be reserved words
    /// Cassandra allows there (`token`).
    fn function_call_term(&mut self) -> PResult<Term> {
        let call = self.kind_at(1) == K::LParen
            || (self.kind_at(1) == K::Dot && self.kind_at(3) == K::LParen);
        if !call {
            // A bare name is not a term (columns cannot appear on the right side).
            return Err(self.err_no_viable());
        }
        let name = self.function_name()?;
        if self.kind() != K::LParen {
            return Err(self.err_expecting("'('"));
        }
        self.bump();
        let args = self.term_list(K::RParen)?;
        Ok(Term::FunctionCall { name, args })
    }

    /// A function name: `f` or `ks.f`, where `token` is also allowed.
    pub(super) fn function_name(&mut self) -> PResult<QualifiedName> {
        let first = if self.at_kw("token") {
            self.bump();
            "token".to_string()
        } else {
            self.ident()?
        };
        if self.kind() == K::Dot && self.kind_at(2) == K::LParen {
            self.bump();
            let name = self.ident()?;
            return Ok(QualifiedName {
                keyspace: Some(first),
                name,
            });
        }
        Ok(QualifiedName {
            keyspace: None,
            name: first,
        })
    }
}
