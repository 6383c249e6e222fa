//! Top-level dispatch on a statement's first words, DESCRIBE, and the script loop.

use super::ast::{
    Describe, DescribeTarget, DropIndex, DropKeyspace, DropMaterializedView, DropTable,
    DropTrigger, DropType, Statement,
};
use super::cursor::{fold_small, PResult, Parser};
use super::lexer::TokenKind as K;

impl<'a> Parser<'a> {
    /// One statement (no trailing `;` consumed).
    pub(super) fn statement(&mut self) -> PResult<Statement> {
        let t = self.peek();
        if t.kind != K::Word {
            return Err(self.err_no_viable());
        }
        let mut buf = [0u8; 16];
        let word = fold_small(self.text(t), &mut buf).unwrap_or("");
        let stmt = match word {
            "select" => {
                self.bump();
                Statement::Select(Box::new(self.select_body()?))
            }
            "insert" => {
                self.bump();
                Statement::Insert(Box::new(self.insert_body()?))
            }
            "update" => {
                self.bump();
                Statement::Update(Box::new(self.update_body()?))
            }
            "delete" => {
                self.bump();
                Statement::Delete(Box::new(self.delete_body()?))
            }
            "begin" => {
                self.bump();
                Statement::Batch(Box::new(self.batch_body()?))
            }
            "use" => {
                self.bump();
                Statement::Use(self.ident()?)
            }
            "truncate" => {
                self.bump();
                if !self.eat_kw("table") {
                    self.eat_kw("columnfamily");
                }
                Statement::Truncate(self.qualified_name()?)
            }
            "create" => {
                self.bump();
                self.create()?
            }
            "alter" => {
                self.bump();
                self.alter()?
            }
            "drop" => {
                self.bump();
                self.drop()?
            }
            "grant" => {
                self.bump();
                self.grant()?
            }
            "revoke" => {
                self.bump();
                self.revoke()?
            }
            "list" => {
                self.bump();
                self.list()?
            }
            "add" if self.is_kw_at(1, "identity") => {
                self.bump();
                self.bump();
                Statement::AddIdentity(self.add_identity()?)
            }
            "describe" | "desc" => {
                self.bump();
                Statement::Describe(self.describe()?)
            }
            _ => return Err(self.err_no_viable()),
        };
        Ok(stmt)
    }

    fn create(&mut self) -> PResult<Statement> {
        let or_replace = if self.eat_kw("or") {
            self.expect_kw("replace")?;
            true
        } else {
            false
        };
        if self.eat_kw("function") {
            return Ok(Statement::CreateFunction(Box::new(
                self.create_function(or_replace)?,
            )));
        }
        if self.eat_kw("aggregate") {
            return Ok(Statement::CreateAggregate(Box::new(
                self.create_aggregate(or_replace)?,
            )));
        }
        if or_replace {
            return Err(self.err_expecting("K_FUNCTION"));
        }
        Ok(if self.eat_kw("keyspace") || self.eat_kw("schema") {
            Statement::CreateKeyspace(self.create_keyspace()?)
        } else if self.eat_kw("table") || self.eat_kw("columnfamily") {
            Statement::CreateTable(Box::new(self.create_table()?))
        } else if self.eat_kw("type") {
            Statement::CreateType(self.create_type()?)
        } else if self.eat_kw("index") {
            Statement::CreateIndex(Box::new(self.create_index(false)?))
        } else if self.eat_kw("custom") {
            self.expect_kw("index")?;
            Statement::CreateIndex(Box::new(self.create_index(true)?))
        } else if self.eat_kw("materialized") {
            self.expect_kw("view")?;
            Statement::CreateMaterializedView(Box::new(self.create_view()?))
        } else if self.eat_kw("trigger") {
            Statement::CreateTrigger(self.create_trigger()?)
        } else if self.eat_kw("role") {
            Statement::CreateRole(self.create_role()?)
        } else if self.eat_kw("user") {
            Statement::CreateUser(self.create_user()?)
        } else {
            return Err(self.err_no_viable());
        })
    }

    fn alter(&mut self) -> PResult<Statement> {
        Ok(if self.eat_kw("keyspace") || self.eat_kw("schema") {
            Statement::AlterKeyspace(self.alter_keyspace()?)
        } else if self.eat_kw("table") || self.eat_kw("columnfamily") {
            Statement::AlterTable(Box::new(self.alter_table()?))
        } else if self.eat_kw("type") {
            Statement::AlterType(self.alter_type()?)
        } else if self.eat_kw("materialized") {
            self.expect_kw("view")?;
            Statement::AlterMaterializedView(self.alter_view()?)
        } else if self.eat_kw("role") {
            Statement::AlterRole(self.alter_role()?)
        } else if self.eat_kw("user") {
            Statement::AlterUser(self.alter_user()?)
        } else {
            return Err(self.err_no_viable());
        })
    }

    fn drop(&mut self) -> PResult<Statement> {
        Ok(if self.eat_kw("keyspace") || self.eat_kw("schema") {
            let if_exists = self.if_exists()?;
            Statement::DropKeyspace(DropKeyspace {
                if_exists,
                name: self.ident()?,
            })
        } else if self.eat_kw("table") || self.eat_kw("columnfamily") {
            let if_exists = self.if_exists()?;
            Statement::DropTable(DropTable {
                if_exists,
                name: self.qualified_name()?,
            })
        } else if self.eat_kw("type") {
            let if_exists = self.if_exists()?;
            Statement::DropType(DropType {
                if_exists,
                name: self.qualified_name()?,
            })
        } else if self.eat_kw("index") {
            let if_exists = self.if_exists()?;
            Statement::DropIndex(DropIndex {
                if_exists,
                name: self.qualified_name()?,
            })
        } else if self.eat_kw("materialized") {
            self.expect_kw("view")?;
            let if_exists = self.if_exists()?;
            Statement::DropMaterializedView(DropMaterializedView {
                if_exists,
                name: self.qualified_name()?,
            })
        } else if self.eat_kw("function") {
            Statement::DropFunction(self.drop_function()?)
        } else if self.eat_kw("aggregate") {
            Statement::DropAggregate(self.drop_function()?)
        } else if self.eat_kw("trigger") {
            let (if_exists, name, table) = self.trigger_ref()?;
            Statement::DropTrigger(DropTrigger {
                if_exists,
                name,
                table,
            })
        } else if self.eat_kw("role") {
            Statement::DropRole(self.drop_role()?)
        } else if self.eat_kw("user") {
            Statement::DropUser(self.drop_role()?)
        } else if self.eat_kw("identity") {
            Statement::DropIdentity(self.drop_identity()?)
        } else {
            return Err(self.err_no_viable());
        })
    }

    /// After `DESCRIBE` / `DESC`.
    fn describe(&mut self) -> PResult<Describe> {
        let only = self.eat_kw("only");
        let target = if self.eat_kw("cluster") {
            DescribeTarget::Cluster
        } else if self.eat_kw("keyspaces") {
            DescribeTarget::Keyspaces
        } else if self.eat_kw("keyspace") {
            let name = if self.is_ident_at(0) {
                Some(self.ident()?)
            } else {
                None
            };
            DescribeTarget::Keyspace(name)
        } else if self.eat_kw("tables") || self.eat_kw("columnfamilies") {
            DescribeTarget::Tables
        } else if self.eat_kw("table") || self.eat_kw("columnfamily") {
            DescribeTarget::Table(self.qualified_name()?)
        } else if self.eat_kw("types") {
            DescribeTarget::Types
        } else if self.eat_kw("type") {
            DescribeTarget::Type(self.qualified_name()?)
        } else if self.eat_kw("functions") {
            DescribeTarget::Functions
        } else if self.eat_kw("function") {
            DescribeTarget::Function(self.qualified_name()?)
        } else if self.eat_kw("aggregates") {
            DescribeTarget::Aggregates
        } else if self.eat_kw("aggregate") {
            DescribeTarget::Aggregate(self.qualified_name()?)
        } else if self.eat_kw("index") {
            DescribeTarget::Index(self.qualified_name()?)
        } else if self.at_kw("materialized") && self.is_kw_at(1, "view") {
            self.bump();
            self.bump();
            DescribeTarget::MaterializedView(self.qualified_name()?)
        } else if self.eat_kw("schema") {
            DescribeTarget::Schema { full: false }
        } else if self.at_kw("full") && self.is_kw_at(1, "schema") {
            self.bump();
            self.bump();
            DescribeTarget::Schema { full: true }
        } else {
            DescribeTarget::Name(self.qualified_name()?)
        };
        let with_internals = if self.eat_kw("with") {
            self.expect_kw("internals")?;
            true
        } else {
            false
        };
        Ok(Describe {
            target,
            only,
            with_internals,
        })
    }
}
