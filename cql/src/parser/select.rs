//! SELECT, its selectors, and the WHERE clause relations shared with UPDATE, DELETE
//! and materialized views (dml.adoc "SELECT", "WHERE clause").

use super::ast::{
    ArithmeticOp, InValues, Operator, Order, Relation, Select, Selection, Selector, SelectorExpr,
    Term,
};
use super::cursor::{PResult, Parser};
use super::lexer::TokenKind as K;

impl<'a> Parser<'a> {
    /// After `SELECT`.
    pub(super) fn select_body(&mut self) -> PResult<Select> {
        let json = self.select_modifier("json");
        let distinct = self.select_modifier("distinct");
        let selection = self.selection()?;
        self.expect_kw("from")?;
        let table = self.qualified_name()?;
        let where_clause = if self.eat_kw("where") {
            self.where_clause()?
        } else {
            Vec::new()
        };
        let mut group_by = Vec::new();
        if self.at_kw("group") && self.is_kw_at(1, "by") {
            self.bump();
            self.bump();
            loop {
                group_by.push(self.selector_expr()?);
                if !self.eat(K::Comma) {
                    break;
                }
            }
        }
        let (order_by, ann_of) = self.order_by()?;
        let mut per_partition_limit = None;
        if self.at_kw("per") {
            self.bump();
            self.expect_kw("partition")?;
            self.expect_kw("limit")?;
            per_partition_limit = Some(self.int_value()?);
        }
        let limit = if self.eat_kw("limit") {
            Some(self.int_value()?)
        } else {
            None
        };
        let allow_filtering = if self.eat_kw("allow") {
            self.expect_kw("filtering")?;
            true
        } else {
            false
        };
        Ok(Select {
            table,
            distinct,
            json,
            selection,
            where_clause,
            group_by,
            order_by,
            ann_of,
            per_partition_limit,
            limit,
            allow_filtering,
        })
    }

    /// `JSON` / `DISTINCT` are unreserved: they are modifiers only when something that
    /// can continue a selection follows (`SELECT json FROM t` selects a column).
    fn select_modifier(&mut self, kw: &str) -> bool {
        if !self.at_kw(kw) {
            return false;
        }
        let next = self.peek_n(1);
        let is_column = matches!(
            next.kind,
            K::Comma
                | K::Dot
                | K::LBracket
                | K::LParen
                | K::Plus
                | K::Minus
                | K::Slash
                | K::Percent
        ) || self.is_kw_at(1, "from")
            || self.is_kw_at(1, "as");
        if !is_column {
            self.bump();
        }
        !is_column
    }

    pub(super) fn selection(&mut self) -> PResult<Selection> {
        if self.eat(K::Star) {
            return Ok(Selection::Wildcard);
        }
        let mut selectors = Vec::new();
        loop {
            let expr = self.selector_expr()?;
            let alias = if self.eat_kw("as") {
                Some(self.ident()?)
            } else {
                None
            };
            selectors.push(Selector { expr, alias });
            if !self.eat(K::Comma) {
                return Ok(Selection::Selectors(selectors));
            }
        }
    }

    /// A selector with arithmetic.
    pub(super) fn selector_expr(&mut self) -> PResult<SelectorExpr> {
        let mut left = self.selector_product()?;
        loop {
            let op = match self.kind() {
                K::Plus => ArithmeticOp::Add,
                K::Minus => ArithmeticOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.selector_product()?;
            left = SelectorExpr::Arithmetic {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn selector_product(&mut self) -> PResult<SelectorExpr> {
        let mut left = self.selector_postfix()?;
        loop {
            let op = match self.kind() {
                K::Star => ArithmeticOp::Mul,
                K::Slash => ArithmeticOp::Div,
                K::Percent => ArithmeticOp::Rem,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.selector_postfix()?;
            left = SelectorExpr::Arithmetic {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    /// A primary selector followed by `.field`, `[key]` or `[from..to]`.
    fn selector_postfix(&mut self) -> PResult<SelectorExpr> {
        let mut expr = self.selector_primary()?;
        loop {
            if self.kind() == K::Dot {
                self.bump();
                let field = self.ident()?;
                expr = SelectorExpr::Field {
                    expr: Box::new(expr),
                    field,
                };
            } else if self.eat(K::LBracket) {
                let from = if self.kind() == K::Range {
                    None
                } else {
                    Some(self.term()?)
                };
                if self.eat(K::Range) {
                    let to = if self.kind() == K::RBracket {
                        None
                    } else {
                        Some(self.term()?)
                    };
                    self.expect(K::RBracket)?;
                    expr = SelectorExpr::Slice {
                        expr: Box::new(expr),
                        from,
                        to,
                    };
                } else {
                    self.expect(K::RBracket)?;
                    let key = from.ok_or_else(|| self.err_no_viable())?;
                    expr = SelectorExpr::Element {
                        expr: Box::new(expr),
                        key,
                    };
                }
            } else {
                return Ok(expr);
            }
        }
    }

    fn selector_primary(&mut self) -> PResult<SelectorExpr> {
        let t = self.peek();
        if t.kind == K::Minus && !matches!(self.kind_at(1), K::Integer | K::Float | K::Duration) {
            self.bump();
            return Ok(SelectorExpr::Negation(Box::new(self.selector_postfix()?)));
        }
        if t.kind == K::LParen {
            if let Some(typ) = self.try_type_hint()? {
                let expr = self.selector_postfix()?;
                return Ok(SelectorExpr::TypeHint {
                    typ,
                    expr: Box::new(expr),
                });
            }
            self.bump();
            let inner = self.selector_expr()?;
            if self.kind() == K::Comma {
                let mut items = vec![inner];
                while self.eat(K::Comma) {
                    items.push(self.selector_expr()?);
                }
                self.expect(K::RParen)?;
                return Ok(SelectorExpr::Tuple(items));
            }
            self.expect(K::RParen)?;
            return Ok(inner);
        }
        let word_call =
            (t.kind == K::Word || t.kind == K::QuotedIdent) && self.kind_at(1) == K::LParen;
        if word_call && t.kind == K::Word {
            let w = self.text(t);
            let is = |s: &str| w.eq_ignore_ascii_case(s);
            if is("count") && self.kind_at(2) == K::Star && self.kind_at(3) == K::RParen {
                self.bump();
                self.bump();
                self.bump();
                self.bump();
                return Ok(SelectorExpr::CountAll);
            }
            if is("count") && self.text(self.peek_n(2)) == "1" && self.kind_at(3) == K::RParen {
                for _ in 0..4 {
                    self.bump();
                }
                return Ok(SelectorExpr::CountAll);
            }
            if is("writetime") || is("maxwritetime") || is("ttl") {
                let wrap = if is("writetime") {
                    SelectorExpr::WriteTime
                } else if is("ttl") {
                    SelectorExpr::Ttl
                } else {
                    SelectorExpr::MaxWriteTime
                };
                self.bump();
                self.bump();
                let inner = self.selector_postfix()?;
                self.expect(K::RParen)?;
                return Ok(wrap(Box::new(inner)));
            }
            if is("cast") {
                self.bump();
                self.bump();
                let expr = self.selector_expr()?;
                self.expect_kw("as")?;
                let typ = self.parse_type()?;
                self.expect(K::RParen)?;
                return Ok(SelectorExpr::Cast {
                    expr: Box::new(expr),
                    typ,
                });
            }
        }
        let qualified_call = self.is_ident_at(0)
            && self.kind_at(1) == K::Dot
            && self.is_ident_at(2)
            && self.kind_at(3) == K::LParen;
        if word_call || qualified_call || self.at_kw("token") {
            let name = self.function_name()?;
            self.expect(K::LParen)?;
            let mut args = Vec::new();
            if !self.eat(K::RParen) {
                loop {
                    args.push(self.selector_expr()?);
                    if self.eat(K::RParen) {
                        break;
                    }
                    self.expect(K::Comma)?;
                }
            }
            return Ok(SelectorExpr::FunctionCall { name, args });
        }
        let literal_word = self.at_kw("null")
            || self.at_kw("true")
            || self.at_kw("false")
            || self.at_kw("nan")
            || self.at_kw("infinity");
        if self.is_ident_at(0) && !literal_word {
            return Ok(SelectorExpr::Column(self.ident()?));
        }
        if self.kind() == K::LBracket {
            // A list of constants is a term; otherwise a list of selectors.
            let (pos, markers) = (self.position(), self.marker_count());
            if let Ok(t) = self.term_unary() {
                return Ok(SelectorExpr::Term(t));
            }
            self.reset(pos, markers);
            self.bump();
            let mut items = vec![self.selector_expr()?];
            while self.eat(K::Comma) {
                items.push(self.selector_expr()?);
            }
            self.expect(K::RBracket)?;
            return Ok(SelectorExpr::List(items));
        }
        Ok(SelectorExpr::Term(self.term_unary()?))
    }

    /// `rel AND rel ...` (after WHERE).
    pub(super) fn where_clause(&mut self) -> PResult<Vec<Relation>> {
        let mut out = vec![self.relation()?];
        while self.eat_kw("and") {
            out.push(self.relation()?);
        }
        Ok(out)
    }

    /// A comparison operator, if one is next (`CONTAINS KEY` included).
    pub(super) fn try_operator(&mut self) -> Option<Operator> {
        let op = match self.kind() {
            K::Eq => Operator::Eq,
            K::Lt => Operator::Lt,
            K::Lte => Operator::Lte,
            K::Gt => Operator::Gt,
            K::Gte => Operator::Gte,
            K::Neq => Operator::Neq,
            K::Word if self.at_kw("like") => Operator::Like,
            K::Word if self.at_kw("contains") => {
                self.bump();
                return Some(if self.eat_kw("key") {
                    Operator::ContainsKey
                } else {
                    Operator::Contains
                });
            }
            _ => return None,
        };
        self.bump();
        Some(op)
    }

    fn operator(&mut self) -> PResult<Operator> {
        self.try_operator().ok_or_else(|| self.err_no_viable())
    }

    /// `IN ?` or `IN (t, ...)` (after IN).
    pub(super) fn in_values(&mut self) -> PResult<InValues> {
        if let Some(m) = self.try_marker()? {
            return Ok(InValues::Marker(m));
        }
        self.expect(K::LParen)?;
        Ok(InValues::List(self.term_list(K::RParen)?))
    }

    fn relation(&mut self) -> PResult<Relation> {
        if self.at_kw("token") && self.kind_at(1) == K::LParen {
            self.bump();
            let columns = self.ident_list()?;
            let op = self.operator()?;
            let value = self.term()?;
            return Ok(Relation::Token { columns, op, value });
        }
        if self.kind() == K::LParen {
            let columns = self.ident_list()?;
            if self.eat_kw("in") {
                let values = self.in_values()?;
                return Ok(Relation::MultiColumnIn { columns, values });
            }
            let op = self.operator()?;
            let value = match self.try_marker()? {
                Some(m) => Term::BindMarker(m),
                None => {
                    self.expect(K::LParen)?;
                    Term::Tuple(self.term_list(K::RParen)?)
                }
            };
            return Ok(Relation::MultiColumn { columns, op, value });
        }
        let column = self.ident()?;
        if self.eat(K::LBracket) {
            let key = self.term()?;
            self.expect(K::RBracket)?;
            let op = self.operator()?;
            let value = self.term()?;
            return Ok(Relation::MapElement {
                column,
                key,
                op,
                value,
            });
        }
        if self.eat_kw("in") {
            let values = self.in_values()?;
            return Ok(Relation::In { column, values });
        }
        if self.at_kw("not") && self.is_kw_at(1, "in") {
            self.bump();
            self.bump();
            let values = self.in_values()?;
            return Ok(Relation::NotIn { column, values });
        }
        if self.at_kw("not") && self.is_kw_at(1, "contains") {
            self.bump();
            self.bump();
            let op = if self.eat_kw("key") {
                Operator::NotContainsKey
            } else {
                Operator::NotContains
            };
            let value = self.term()?;
            return Ok(Relation::Simple { column, op, value });
        }
        if self.eat_kw("is") {
            self.expect_kw("not")?;
            self.expect_kw("null")?;
            return Ok(Relation::IsNotNull { column });
        }
        let op = self.operator()?;
        let value = self.term()?;
        Ok(Relation::Simple { column, op, value })
    }

    /// `(a, b, ...)`: a parenthesised list of identifiers.
    pub(super) fn ident_list(&mut self) -> PResult<Vec<String>> {
        self.expect(K::LParen)?;
        let mut out = Vec::with_capacity(8);
        out.push(self.ident()?);
        while self.eat(K::Comma) {
            out.push(self.ident()?);
        }
        self.expect(K::RParen)?;
        Ok(out)
    }

    /// `ORDER BY c [ASC|DESC], ...` or `ORDER BY v ANN OF term`.
    fn order_by(&mut self) -> PResult<OrderBy> {
        let mut order = Vec::new();
        if !self.eat_kw("order") {
            return Ok((order, None));
        }
        self.expect_kw("by")?;
        loop {
            let column = self.ident()?;
            if self.at_kw("ann") && self.is_kw_at(1, "of") {
                self.bump();
                self.bump();
                let target = self.term()?;
                return Ok((order, Some((column, target))));
            }
            let dir = if self.eat_kw("desc") {
                Order::Desc
            } else {
                self.eat_kw("asc");
                Order::Asc
            };
            order.push((column, dir));
            if !self.eat(K::Comma) {
                return Ok((order, None));
            }
        }
    }
}

/// What ORDER BY gives: column orders, and the `ANN OF` vector ordering if any.
type OrderBy = (Vec<(String, Order)>, Option<(String, Term)>);
