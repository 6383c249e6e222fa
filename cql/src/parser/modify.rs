//! INSERT, UPDATE, DELETE and BATCH (dml.adoc), with USING and IF clauses.

use super::ast::{
    Assignment, Batch, BatchKind, BatchStatement, ColumnTarget, Condition, Conditions, Delete,
    Insert, InsertValues, Term, Update, UsingClause,
};
use super::cursor::{PResult, Parser};
use super::lexer::TokenKind as K;

impl<'a> Parser<'a> {
    /// After `INSERT`.
    pub(super) fn insert_body(&mut self) -> PResult<Insert> {
        self.expect_kw("into")?;
        let table = self.qualified_name()?;
        let values = if self.at_kw("json") {
            self.bump();
            let value = match self.try_marker()? {
                Some(m) => Term::BindMarker(m),
                None => Term::Literal(self.constant()?),
            };
            let mut default_unset = false;
            if self.eat_kw("default") {
                if self.eat_kw("unset") {
                    default_unset = true;
                } else if !self.eat_kw("null") {
                    return Err(self.err_no_viable());
                }
            }
            InsertValues::Json {
                value,
                default_unset,
            }
        } else {
            let columns = self.ident_list()?;
            self.expect_kw("values")?;
            self.expect(K::LParen)?;
            let values = self.term_list(K::RParen)?;
            if columns.len() != values.len() {
                return Err(self.err_msg("Unmatched column names/values"));
            }
            InsertValues::Values { columns, values }
        };
        let if_not_exists = self.if_not_exists()?;
        let using = self.using_clause(true)?;
        Ok(Insert {
            table,
            values,
            if_not_exists,
            using,
        })
    }

    /// `USING TTL t AND TIMESTAMP ts` if present; `allow_ttl` is false for DELETE.
    pub(super) fn using_clause(&mut self, allow_ttl: bool) -> PResult<UsingClause> {
        let mut using = UsingClause::default();
        if !self.eat_kw("using") {
            return Ok(using);
        }
        loop {
            if self.eat_kw("timestamp") {
                using.timestamp = Some(self.int_value()?);
            } else if allow_ttl && self.eat_kw("ttl") {
                using.ttl = Some(self.int_value()?);
            } else {
                return Err(self.err_expecting("K_TIMESTAMP"));
            }
            if !self.eat_kw("and") {
                return Ok(using);
            }
        }
    }

    /// After `UPDATE`.
    pub(super) fn update_body(&mut self) -> PResult<Update> {
        let table = self.qualified_name()?;
        let using = self.using_clause(true)?;
        self.expect_kw("set")?;
        let mut assignments = vec![self.assignment()?];
        while self.eat(K::Comma) {
            assignments.push(self.assignment()?);
        }
        self.expect_kw("where")?;
        let where_clause = self.where_clause()?;
        let conditions = self.conditions()?;
        Ok(Update {
            table,
            using,
            assignments,
            where_clause,
            conditions,
        })
    }

    /// `col`, `col[term]` or `col.field`.
    fn column_target(&mut self) -> PResult<ColumnTarget> {
        let column = self.ident()?;
        if self.eat(K::LBracket) {
            let key = self.term()?;
            self.expect(K::RBracket)?;
            return Ok(ColumnTarget::Element(column, key));
        }
        if self.eat(K::Dot) {
            let field = self.ident()?;
            return Ok(ColumnTarget::Field(column, field));
        }
        Ok(ColumnTarget::Column(column))
    }

    fn assignment(&mut self) -> PResult<Assignment> {
        let target = self.column_target()?;
        // `c += t` / `c -= t`.
        if matches!(self.kind(), K::Plus | K::Minus) && self.kind_at(1) == K::Eq {
            let plus = self.bump().kind == K::Plus;
            self.bump();
            let column = self.plain_column(target)?;
            let value = self.term()?;
            return Ok(if plus {
                Assignment::Add { column, value }
            } else {
                Assignment::Subtract { column, value }
            });
        }
        self.expect(K::Eq)?;
        let ColumnTarget::Column(column) = target else {
            let value = self.term()?;
            return Ok(Assignment::Set { target, value });
        };
        // `c = c + t` / `c = c - t`: a bare column name cannot start a term.
        let names_column = self.is_ident_at(0)
            && matches!(self.kind_at(1), K::Plus | K::Minus)
            && !self.starts_constant_word();
        if names_column {
            let other = self.ident()?;
            let plus = self.bump().kind == K::Plus;
            if other != column {
                let sign = if plus { '+' } else { '-' };
                return Err(self.err_msg(format!(
                    "Only expressions of the form X = X {sign} <value> are supported."
                )));
            }
            let value = self.term()?;
            return Ok(if plus {
                Assignment::Add { column, value }
            } else {
                Assignment::Subtract { column, value }
            });
        }
        let first = self.term_unary()?;
        // `c = t + c`: prepend.
        let prepend = self.kind() == K::Plus
            && self.is_ident_at(1)
            && !matches!(self.kind_at(2), K::LParen | K::Dot);
        if prepend {
            let save = self.position();
            self.bump();
            if !self.starts_constant_word() {
                let other = self.ident()?;
                if other != column {
                    return Err(
                        self.err_msg("Only expressions of the form X = <value> + X are supported.")
                    );
                }
                return Ok(Assignment::Prepend {
                    column,
                    value: first,
                });
            }
            self.reset(save, self.marker_count());
        }
        // `c = 10 / 4 + 1`: the product binds first, then the sum.
        let first = self.term_product_rest(first)?;
        let value = self.term_sum_rest(first)?;
        Ok(Assignment::Set {
            target: ColumnTarget::Column(column),
            value,
        })
    }

    /// Whether the current word is a constant word (`true`, `nan`...), not a column.
    fn starts_constant_word(&self) -> bool {
        ["true", "false", "null", "nan", "infinity"]
            .iter()
            .any(|w| self.at_kw(w))
    }

    fn plain_column(&self, target: ColumnTarget) -> PResult<String> {
        match target {
            ColumnTarget::Column(c) => Ok(c),
            _ => Err(self.err_no_viable()),
        }
    }

    /// `IF EXISTS` or `IF cond AND cond ...` if present.
    pub(super) fn conditions(&mut self) -> PResult<Option<Conditions>> {
        if !self.eat_kw("if") {
            return Ok(None);
        }
        if self.eat_kw("exists") {
            return Ok(Some(Conditions::Exists));
        }
        let mut out = vec![self.condition()?];
        while self.eat_kw("and") {
            out.push(self.condition()?);
        }
        Ok(Some(Conditions::If(out)))
    }

    fn condition(&mut self) -> PResult<Condition> {
        let target = self.column_target()?;
        if self.eat_kw("in") {
            let values = self.in_values()?;
            return Ok(Condition::In { target, values });
        }
        let op = self.try_operator().ok_or_else(|| self.err_no_viable())?;
        let value = self.term()?;
        Ok(Condition::Compare { target, op, value })
    }

    /// After `DELETE`.
    pub(super) fn delete_body(&mut self) -> PResult<Delete> {
        let mut targets = Vec::new();
        if !self.at_kw("from") {
            targets.push(self.column_target()?);
            while self.eat(K::Comma) {
                targets.push(self.column_target()?);
            }
        }
        self.expect_kw("from")?;
        let table = self.qualified_name()?;
        let timestamp = self.using_clause(false)?.timestamp;
        self.expect_kw("where")?;
        let where_clause = self.where_clause()?;
        let conditions = self.conditions()?;
        Ok(Delete {
            targets,
            table,
            timestamp,
            where_clause,
            conditions,
        })
    }

    /// After `BEGIN`.
    pub(super) fn batch_body(&mut self) -> PResult<Batch> {
        let kind = if self.eat_kw("unlogged") {
            BatchKind::Unlogged
        } else if self.eat_kw("counter") {
            BatchKind::Counter
        } else {
            self.eat_kw("logged");
            BatchKind::Logged
        };
        self.expect_kw("batch")?;
        let using = self.using_clause(false)?;
        let mut statements = Vec::new();
        loop {
            if self.eat_kw("apply") {
                self.expect_kw("batch")?;
                return Ok(Batch {
                    kind,
                    using,
                    statements,
                });
            }
            let stmt = if self.eat_kw("insert") {
                BatchStatement::Insert(self.insert_body()?)
            } else if self.eat_kw("update") {
                BatchStatement::Update(self.update_body()?)
            } else if self.eat_kw("delete") {
                BatchStatement::Delete(self.delete_body()?)
            } else {
                return Err(self.err_expecting("K_APPLY"));
            };
            statements.push(stmt);
            self.eat(K::Semicolon);
        }
    }
}
