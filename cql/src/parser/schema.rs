//! Schema statements: keyspaces, tables, types, indexes, materialized views and
//! triggers, and the `WITH` properties they share (ddl.adoc, indexes.adoc, mvs.adoc).

use super::ast::{
    AlterKeyspace, AlterMaterializedView, AlterTable, AlterTableAction, AlterType, AlterTypeAction,
    ColumnDef, ColumnMask, CreateIndex, CreateKeyspace, CreateMaterializedView, CreateTable,
    CreateTrigger, CreateType, IndexTarget, IndexTargetKind, OptionValue, Options, Order,
    QualifiedName,
};
use super::cursor::{PResult, Parser};
use super::lexer::TokenKind as K;

/// Options of a table or view, including the two special clauses.
#[derive(Default)]
struct TableOptions {
    clustering_order: Vec<(String, Order)>,
    compact_storage: bool,
    options: Options,
}

impl<'a> Parser<'a> {
    /// `name = value AND ...` (after WITH).
    pub(super) fn properties(&mut self) -> PResult<Options> {
        let mut out = vec![self.property()?];
        while self.eat_kw("and") {
            out.push(self.property()?);
        }
        Ok(out)
    }

    fn property(&mut self) -> PResult<(String, OptionValue)> {
        let name = self.ident()?;
        self.expect(K::Eq)?;
        Ok((name, self.option_value()?))
    }

    fn option_value(&mut self) -> PResult<OptionValue> {
        if self.eat(K::LBrace) {
            let mut entries = Vec::new();
            if self.eat(K::RBrace) {
                return Ok(OptionValue::Map(entries));
            }
            loop {
                let k = self.constant()?.text;
                self.expect(K::Colon)?;
                let v = self.constant()?.text;
                entries.push((k, v));
                if self.eat(K::RBrace) {
                    return Ok(OptionValue::Map(entries));
                }
                self.expect(K::Comma)?;
            }
        }
        if let Some(l) = self.try_constant()? {
            return Ok(OptionValue::Constant(l));
        }
        Ok(OptionValue::Identifier(self.ident()?))
    }

    /// After `CREATE KEYSPACE` / `CREATE SCHEMA`.
    pub(super) fn create_keyspace(&mut self) -> PResult<CreateKeyspace> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.ident()?;
        self.expect_kw("with")?;
        let options = self.properties()?;
        Ok(CreateKeyspace {
            if_not_exists,
            name,
            options,
        })
    }

    /// After `ALTER KEYSPACE`.
    pub(super) fn alter_keyspace(&mut self) -> PResult<AlterKeyspace> {
        let if_exists = self.if_exists()?;
        let name = self.ident()?;
        self.expect_kw("with")?;
        let options = self.properties()?;
        Ok(AlterKeyspace {
            if_exists,
            name,
            options,
        })
    }

    /// After `CREATE TABLE`.
    pub(super) fn create_table(&mut self) -> PResult<CreateTable> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        self.expect(K::LParen)?;
        let mut columns = Vec::new();
        let mut partition_key = Vec::new();
        let mut clustering_key = Vec::new();
        let mut primary_key_count = 0;
        loop {
            if self.at_kw("primary") {
                self.bump();
                self.expect_kw("key")?;
                let (p, c) = self.primary_key()?;
                partition_key = p;
                clustering_key = c;
                primary_key_count += 1;
            } else {
                let def = self.column_def(true)?;
                if def.is_primary_key {
                    primary_key_count += 1;
                    partition_key = vec![def.name.clone()];
                }
                columns.push(def);
            }
            if self.eat(K::RParen) {
                break;
            }
            self.expect(K::Comma)?;
            // Cassandra tolerates a trailing comma before `)`.
            if self.eat(K::RParen) {
                break;
            }
        }
        let opts = self.table_options()?;
        Ok(CreateTable {
            if_not_exists,
            name,
            columns,
            partition_key,
            clustering_key,
            primary_key_count,
            clustering_order: opts.clustering_order,
            compact_storage: opts.compact_storage,
            options: opts.options,
        })
    }

    /// `((a, b), c, d)` or `(a, c)` (after PRIMARY KEY).
    fn primary_key(&mut self) -> PResult<(Vec<String>, Vec<String>)> {
        self.expect(K::LParen)?;
        let partition = if self.kind() == K::LParen {
            self.ident_list()?
        } else {
            vec![self.ident()?]
        };
        let mut clustering = Vec::new();
        while self.eat(K::Comma) {
            clustering.push(self.ident()?);
        }
        self.expect(K::RParen)?;
        Ok((partition, clustering))
    }

    /// `name type [STATIC] [MASKED WITH ...] [PRIMARY KEY]`.
    fn column_def(&mut self, allow_primary: bool) -> PResult<ColumnDef> {
        let name = self.ident()?;
        let typ = self.parse_type()?;
        let is_static = self.eat_kw("static");
        let mask = self.column_mask()?;
        let mut is_primary_key = false;
        if allow_primary && self.at_kw("primary") {
            self.bump();
            self.expect_kw("key")?;
            is_primary_key = true;
        }
        Ok(ColumnDef {
            name,
            typ,
            is_static,
            is_primary_key,
            mask,
        })
    }

    fn column_mask(&mut self) -> PResult<Option<ColumnMask>> {
        if !self.eat_kw("masked") {
            return Ok(None);
        }
        self.expect_kw("with")?;
        if self.eat_kw("default") {
            return Ok(Some(ColumnMask::Default));
        }
        let name = self.function_name()?;
        self.expect(K::LParen)?;
        let args = self.term_list(K::RParen)?;
        Ok(Some(ColumnMask::Function { name, args }))
    }

    /// `[WITH CLUSTERING ORDER BY (...) AND COMPACT STORAGE AND prop = v ...]`.
    fn table_options(&mut self) -> PResult<TableOptions> {
        let mut out = TableOptions::default();
        if !self.eat_kw("with") {
            return Ok(out);
        }
        loop {
            if self.at_kw("clustering") && self.is_kw_at(1, "order") {
                self.bump();
                self.bump();
                self.expect_kw("by")?;
                self.expect(K::LParen)?;
                loop {
                    let c = self.ident()?;
                    let o = if self.eat_kw("desc") {
                        Order::Desc
                    } else {
                        self.expect_kw("asc")?;
                        Order::Asc
                    };
                    out.clustering_order.push((c, o));
                    if !self.eat(K::Comma) {
                        break;
                    }
                }
                self.expect(K::RParen)?;
            } else if self.at_kw("compact") && self.is_kw_at(1, "storage") {
                self.bump();
                self.bump();
                out.compact_storage = true;
            } else {
                out.options.push(self.property()?);
            }
            if !self.eat_kw("and") {
                return Ok(out);
            }
        }
    }

    /// After `ALTER TABLE`.
    pub(super) fn alter_table(&mut self) -> PResult<AlterTable> {
        let if_exists = self.if_exists()?;
        let name = self.qualified_name()?;
        let action = if self.eat_kw("add") {
            let if_not_exists = self.if_not_exists()?;
            let mut columns = Vec::new();
            if self.eat(K::LParen) {
                loop {
                    columns.push(self.column_def(false)?);
                    if self.eat(K::RParen) {
                        break;
                    }
                    self.expect(K::Comma)?;
                }
            } else {
                columns.push(self.column_def(false)?);
                while self.eat(K::Comma) {
                    columns.push(self.column_def(false)?);
                }
            }
            AlterTableAction::Add {
                if_not_exists,
                columns,
            }
        } else if self.eat_kw("drop") {
            let if_exists = self.if_exists()?;
            let columns = if self.kind() == K::LParen {
                self.ident_list()?
            } else {
                let mut v = vec![self.ident()?];
                while self.eat(K::Comma) {
                    v.push(self.ident()?);
                }
                v
            };
            let timestamp = if self.eat_kw("using") {
                self.expect_kw("timestamp")?;
                Some(self.constant()?)
            } else {
                None
            };
            AlterTableAction::Drop {
                if_exists,
                columns,
                timestamp,
            }
        } else if self.eat_kw("rename") {
            let if_exists = self.if_exists()?;
            AlterTableAction::Rename {
                if_exists,
                renames: self.renames()?,
            }
        } else if self.eat_kw("with") {
            AlterTableAction::With(self.properties()?)
        } else if self.eat_kw("alter") {
            let if_exists = self.if_exists()?;
            let column = self.ident()?;
            if self.eat_kw("type") {
                AlterTableAction::AlterColumnType {
                    column,
                    typ: self.parse_type()?,
                }
            } else if self.eat_kw("drop") {
                self.expect_kw("masked")?;
                AlterTableAction::DropMask { if_exists, column }
            } else {
                match self.column_mask()? {
                    Some(mask) => AlterTableAction::Mask {
                        if_exists,
                        column,
                        mask,
                    },
                    None => return Err(self.err_no_viable()),
                }
            }
        } else {
            return Err(self.err_no_viable());
        };
        Ok(AlterTable {
            if_exists,
            name,
            action,
        })
    }

    /// `a TO b AND c TO d`.
    fn renames(&mut self) -> PResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        loop {
            let from = self.ident()?;
            self.expect_kw("to")?;
            out.push((from, self.ident()?));
            if !self.eat_kw("and") {
                return Ok(out);
            }
        }
    }

    /// After `CREATE TYPE`.
    pub(super) fn create_type(&mut self) -> PResult<CreateType> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        self.expect(K::LParen)?;
        let mut fields = Vec::new();
        loop {
            let f = self.ident()?;
            fields.push((f, self.parse_type()?));
            if self.eat(K::RParen) {
                break;
            }
            self.expect(K::Comma)?;
            // Cassandra's grammar tolerates a trailing comma.
            if self.eat(K::RParen) {
                break;
            }
        }
        Ok(CreateType {
            if_not_exists,
            name,
            fields,
        })
    }

    /// After `ALTER TYPE`.
    pub(super) fn alter_type(&mut self) -> PResult<AlterType> {
        let if_exists = self.if_exists()?;
        let name = self.qualified_name()?;
        let action = if self.eat_kw("add") {
            let if_not_exists = self.if_not_exists()?;
            let field = self.ident()?;
            AlterTypeAction::Add {
                if_not_exists,
                field,
                typ: self.parse_type()?,
            }
        } else if self.eat_kw("rename") {
            let if_exists = self.if_exists()?;
            AlterTypeAction::Rename {
                if_exists,
                renames: self.renames()?,
            }
        } else if self.eat_kw("alter") {
            let field = self.ident()?;
            self.expect_kw("type")?;
            AlterTypeAction::AlterFieldType {
                field,
                typ: self.parse_type()?,
            }
        } else {
            return Err(self.err_no_viable());
        };
        Ok(AlterType {
            if_exists,
            name,
            action,
        })
    }

    /// After `CREATE [CUSTOM] INDEX`.
    pub(super) fn create_index(&mut self, custom: bool) -> PResult<CreateIndex> {
        let if_not_exists = self.if_not_exists()?;
        let name = if self.at_kw("on") {
            None
        } else {
            Some(self.ident()?)
        };
        self.expect_kw("on")?;
        let table = self.qualified_name()?;
        self.expect(K::LParen)?;
        let mut targets = Vec::new();
        if !self.eat(K::RParen) {
            loop {
                targets.push(self.index_target()?);
                if self.eat(K::RParen) {
                    break;
                }
                self.expect(K::Comma)?;
            }
        }
        let using = if self.eat_kw("using") {
            Some(self.string()?)
        } else {
            None
        };
        let options = if self.eat_kw("with") {
            self.properties()?
        } else {
            Vec::new()
        };
        Ok(CreateIndex {
            custom,
            if_not_exists,
            name,
            table,
            targets,
            using,
            options,
        })
    }

    fn index_target(&mut self) -> PResult<IndexTarget> {
        if self.kind_at(1) == K::LParen {
            let kind = if self.at_kw("keys") {
                IndexTargetKind::Keys
            } else if self.at_kw("values") {
                IndexTargetKind::Values
            } else if self.at_kw("entries") {
                IndexTargetKind::Entries
            } else if self.at_kw("full") {
                IndexTargetKind::Full
            } else {
                return Err(self.err_no_viable());
            };
            self.bump();
            self.bump();
            let column = self.ident()?;
            self.expect(K::RParen)?;
            return Ok(IndexTarget { column, kind });
        }
        Ok(IndexTarget {
            column: self.ident()?,
            kind: IndexTargetKind::Simple,
        })
    }

    /// After `CREATE MATERIALIZED VIEW`.
    pub(super) fn create_view(&mut self) -> PResult<CreateMaterializedView> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        self.expect_kw("as")?;
        self.expect_kw("select")?;
        let selection = self.selection()?;
        self.expect_kw("from")?;
        let base_table = self.qualified_name()?;
        let where_clause = if self.eat_kw("where") {
            self.where_clause()?
        } else {
            Vec::new()
        };
        self.expect_kw("primary")?;
        self.expect_kw("key")?;
        let (partition_key, clustering_key) = self.primary_key()?;
        let opts = self.table_options()?;
        if opts.compact_storage {
            return Err(self.err_msg("COMPACT STORAGE is not supported on materialized views"));
        }
        Ok(CreateMaterializedView {
            if_not_exists,
            name,
            selection,
            base_table,
            where_clause,
            partition_key,
            clustering_key,
            clustering_order: opts.clustering_order,
            options: opts.options,
        })
    }

    /// After `ALTER MATERIALIZED VIEW`.
    pub(super) fn alter_view(&mut self) -> PResult<AlterMaterializedView> {
        let if_exists = self.if_exists()?;
        let name = self.qualified_name()?;
        self.expect_kw("with")?;
        let options = self.properties()?;
        Ok(AlterMaterializedView {
            if_exists,
            name,
            options,
        })
    }

    /// After `CREATE TRIGGER`.
    pub(super) fn create_trigger(&mut self) -> PResult<CreateTrigger> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.ident()?;
        self.expect_kw("on")?;
        let table = self.qualified_name()?;
        self.expect_kw("using")?;
        let class = self.string()?;
        Ok(CreateTrigger {
            if_not_exists,
            name,
            table,
            class,
        })
    }

    /// `[IF EXISTS] name ON table` (after DROP TRIGGER).
    pub(super) fn trigger_ref(&mut self) -> PResult<(bool, String, QualifiedName)> {
        let if_exists = self.if_exists()?;
        let name = self.ident()?;
        self.expect_kw("on")?;
        Ok((if_exists, name, self.qualified_name()?))
    }
}
