//! CREATE/DROP FUNCTION and AGGREGATE (functions.adoc). They are parsed in full; the
//! server decides what it runs (it refuses Java UDFs).

use super::ast::{CreateAggregate, CreateFunction, DropFunction, RawType};
use super::cursor::{PResult, Parser};
use super::lexer::TokenKind as K;

impl<'a> Parser<'a> {
    /// After `CREATE [OR REPLACE] FUNCTION`.
    pub(super) fn create_function(&mut self, or_replace: bool) -> PResult<CreateFunction> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        self.expect(K::LParen)?;
        let mut args = Vec::new();
        if !self.eat(K::RParen) {
            loop {
                let arg = self.ident()?;
                args.push((arg, self.parse_type()?));
                if self.eat(K::RParen) {
                    break;
                }
                self.expect(K::Comma)?;
            }
        }
        let called_on_null_input = if self.eat_kw("called") {
            true
        } else if self.eat_kw("returns") {
            self.expect_kw("null")?;
            false
        } else {
            return Err(self.err_expecting("K_CALLED"));
        };
        self.expect_kw("on")?;
        self.expect_kw("null")?;
        self.expect_kw("input")?;
        self.expect_kw("returns")?;
        let return_type = self.parse_type()?;
        // Cassandra 5 accepts DETERMINISTIC / MONOTONIC [ON arg] in some builds; skip.
        self.expect_kw("language")?;
        let language = self.ident()?;
        self.expect_kw("as")?;
        let body = self.string()?;
        Ok(CreateFunction {
            or_replace,
            if_not_exists,
            name,
            args,
            called_on_null_input,
            return_type,
            language,
            body,
        })
    }

    /// `[IF EXISTS] name [(types)]` (after DROP FUNCTION / DROP AGGREGATE).
    pub(super) fn drop_function(&mut self) -> PResult<DropFunction> {
        let if_exists = self.if_exists()?;
        let name = self.qualified_name()?;
        let arg_types = if self.kind() == K::LParen {
            Some(self.type_list()?)
        } else {
            None
        };
        Ok(DropFunction {
            if_exists,
            name,
            arg_types,
        })
    }

    /// `(type, ...)`, possibly empty.
    pub(super) fn type_list(&mut self) -> PResult<Vec<RawType>> {
        self.expect(K::LParen)?;
        let mut out = Vec::new();
        if self.eat(K::RParen) {
            return Ok(out);
        }
        loop {
            out.push(self.parse_type()?);
            if self.eat(K::RParen) {
                return Ok(out);
            }
            self.expect(K::Comma)?;
        }
    }

    /// After `CREATE [OR REPLACE] AGGREGATE`.
    pub(super) fn create_aggregate(&mut self, or_replace: bool) -> PResult<CreateAggregate> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        let arg_types = self.type_list()?;
        self.expect_kw("sfunc")?;
        let sfunc = self.ident()?;
        self.expect_kw("stype")?;
        let stype = self.parse_type()?;
        let finalfunc = if self.eat_kw("finalfunc") {
            Some(self.ident()?)
        } else {
            None
        };
        let initcond = if self.eat_kw("initcond") {
            Some(self.term()?)
        } else {
            None
        };
        Ok(CreateAggregate {
            or_replace,
            if_not_exists,
            name,
            arg_types,
            sfunc,
            stype,
            finalfunc,
            initcond,
        })
    }
}
