//! Roles, users, permissions and identities (security.adoc).

use super::ast::{
    AccessList, AddIdentity, AlterRole, AlterUser, CreateRole, CreateUser, DropIdentity, DropRole,
    GrantPermission, GrantRole, ListPermissions, ListRoles, Permission, Permissions, Resource,
    RevokePermission, RevokeRole, RoleOptions, Statement,
};
use super::cursor::{PResult, Parser};
use super::lexer::TokenKind as K;

const PERMISSION_WORDS: &[(&str, Permission)] = &[
    ("create", Permission::Create),
    ("alter", Permission::Alter),
    ("drop", Permission::Drop),
    ("select", Permission::Select),
    ("modify", Permission::Modify),
    ("authorize", Permission::Authorize),
    ("describe", Permission::Describe),
    ("execute", Permission::Execute),
    ("unmask", Permission::Unmask),
    ("select_masked", Permission::SelectMasked),
];

impl<'a> Parser<'a> {
    /// A role or user name: identifier (folded), quoted name or string (exact).
    pub(super) fn role_name(&mut self) -> PResult<String> {
        match self.kind() {
            K::String | K::DollarString => self.string(),
            K::QMark | K::Colon => {
                Err(self.err_msg("Bind variables cannot be used for role names"))
            }
            _ => self.ident(),
        }
    }

    fn boolean(&mut self) -> PResult<bool> {
        if self.eat_kw("true") {
            Ok(true)
        } else if self.eat_kw("false") {
            Ok(false)
        } else {
            Err(self.err_expecting("BOOLEAN"))
        }
    }

    /// `{'a', 'b'}` of strings.
    fn string_set(&mut self) -> PResult<Vec<String>> {
        self.expect(K::LBrace)?;
        let mut out = Vec::new();
        if self.eat(K::RBrace) {
            return Ok(out);
        }
        loop {
            out.push(self.string()?);
            if self.eat(K::RBrace) {
                return Ok(out);
            }
            self.expect(K::Comma)?;
        }
    }

    /// `opt AND opt ...` (after WITH in CREATE/ALTER ROLE).
    fn role_options(&mut self) -> PResult<RoleOptions> {
        let mut o = RoleOptions::default();
        loop {
            if self.eat_kw("password") {
                self.expect(K::Eq)?;
                o.password = Some(self.string()?);
            } else if self.eat_kw("hashed") {
                self.expect_kw("password")?;
                self.expect(K::Eq)?;
                o.hashed_password = Some(self.string()?);
            } else if self.eat_kw("login") {
                self.expect(K::Eq)?;
                o.login = Some(self.boolean()?);
            } else if self.eat_kw("superuser") {
                self.expect(K::Eq)?;
                o.superuser = Some(self.boolean()?);
            } else if self.eat_kw("options") {
                self.expect(K::Eq)?;
                self.expect(K::LBrace)?;
                let mut map = Vec::new();
                if !self.eat(K::RBrace) {
                    loop {
                        let k = self.constant()?.text;
                        self.expect(K::Colon)?;
                        map.push((k, self.constant()?.text));
                        if self.eat(K::RBrace) {
                            break;
                        }
                        self.expect(K::Comma)?;
                    }
                }
                o.options = Some(map);
            } else if self.eat_kw("access") {
                if self.eat_kw("to") {
                    o.access_to_datacenters = Some(self.access_list("datacenters")?);
                } else {
                    self.expect_kw("from")?;
                    o.access_from_cidrs = Some(self.access_list("cidrs")?);
                }
            } else {
                return Err(self.err_no_viable());
            }
            if !self.eat_kw("and") {
                return Ok(o);
            }
        }
    }

    fn access_list(&mut self, what: &str) -> PResult<AccessList> {
        if self.eat_kw("all") {
            self.expect_kw(what)?;
            return Ok(AccessList::All);
        }
        self.expect_kw(what)?;
        Ok(AccessList::Only(self.string_set()?))
    }

    /// `[WITH [HASHED] PASSWORD 's'] [SUPERUSER | NOSUPERUSER]` of CREATE/ALTER USER.
    fn user_options(&mut self) -> PResult<RoleOptions> {
        let mut o = RoleOptions::default();
        if self.eat_kw("with") {
            if self.eat_kw("hashed") {
                self.expect_kw("password")?;
                o.hashed_password = Some(self.string()?);
            } else {
                self.expect_kw("password")?;
                o.password = Some(self.string()?);
            }
        }
        if self.eat_kw("superuser") {
            o.superuser = Some(true);
        } else if self.eat_kw("nosuperuser") {
            o.superuser = Some(false);
        }
        Ok(o)
    }

    /// After `CREATE ROLE`.
    pub(super) fn create_role(&mut self) -> PResult<CreateRole> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.role_name()?;
        let options = if self.eat_kw("with") {
            self.role_options()?
        } else {
            RoleOptions::default()
        };
        Ok(CreateRole {
            if_not_exists,
            name,
            options,
        })
    }

    /// After `ALTER ROLE`.
    pub(super) fn alter_role(&mut self) -> PResult<AlterRole> {
        let if_exists = self.if_exists()?;
        let name = self.role_name()?;
        self.expect_kw("with")?;
        let options = self.role_options()?;
        Ok(AlterRole {
            if_exists,
            name,
            options,
        })
    }

    /// After `CREATE USER`.
    pub(super) fn create_user(&mut self) -> PResult<CreateUser> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.role_name()?;
        let mut options = self.user_options()?;
        options.login = Some(true);
        Ok(CreateUser {
            if_not_exists,
            name,
            options,
        })
    }

    /// After `ALTER USER`.
    pub(super) fn alter_user(&mut self) -> PResult<AlterUser> {
        let if_exists = self.if_exists()?;
        let name = self.role_name()?;
        let options = self.user_options()?;
        Ok(AlterUser {
            if_exists,
            name,
            options,
        })
    }

    /// After `DROP ROLE` / `DROP USER`.
    pub(super) fn drop_role(&mut self) -> PResult<DropRole> {
        let if_exists = self.if_exists()?;
        Ok(DropRole {
            if_exists,
            name: self.role_name()?,
        })
    }

    /// Whether a permission list starts here (vs a role name in GRANT role TO ...).
    fn at_permissions(&self) -> bool {
        let word_is_perm = self.at_kw("all") || PERMISSION_WORDS.iter().any(|(w, _)| self.at_kw(w));
        word_is_perm
            && (self.is_kw_at(1, "on")
                || self.is_kw_at(1, "permission")
                || self.is_kw_at(1, "permissions")
                || self.is_kw_at(1, "of")
                || self.kind_at(1) == K::Eof
                || self.kind_at(1) == K::Semicolon
                || self.is_kw_at(1, "norecursive"))
    }

    fn permissions(&mut self) -> PResult<Permissions> {
        if self.eat_kw("all") {
            let _ = self.eat_kw("permissions") || self.eat_kw("permission");
            return Ok(Permissions::All);
        }
        for (w, p) in PERMISSION_WORDS {
            if self.eat_kw(w) {
                // Cassandra's grammar says PERMISSION; the docs also write PERMISSIONS.
                let _ = self.eat_kw("permission") || self.eat_kw("permissions");
                return Ok(Permissions::One(*p));
            }
        }
        Err(self.err_no_viable())
    }

    fn resource(&mut self) -> PResult<Resource> {
        if self.eat_kw("all") {
            if self.eat_kw("keyspaces") {
                return Ok(Resource::AllKeyspaces);
            }
            if self.eat_kw("roles") {
                return Ok(Resource::AllRoles);
            }
            if self.eat_kw("mbeans") {
                return Ok(Resource::AllMbeans);
            }
            self.expect_kw("functions")?;
            let keyspace = if self.eat_kw("in") {
                self.expect_kw("keyspace")?;
                Some(self.ident()?)
            } else {
                None
            };
            return Ok(Resource::AllFunctions { keyspace });
        }
        if self.eat_kw("keyspace") {
            return Ok(Resource::Keyspace(self.ident()?));
        }
        if self.eat_kw("role") {
            return Ok(Resource::Role(self.role_name()?));
        }
        if self.eat_kw("mbean") {
            return Ok(Resource::Mbean(self.string()?));
        }
        if self.eat_kw("mbeans") {
            return Ok(Resource::Mbeans(self.string()?));
        }
        if self.at_kw("function") && self.kind_at(1) != K::Dot && self.kind_at(1) != K::Eof {
            self.bump();
            let name = self.function_name()?;
            let arg_types = self.type_list()?;
            return Ok(Resource::Function { name, arg_types });
        }
        self.eat_kw("table");
        Ok(Resource::Table(self.qualified_name()?))
    }

    /// After `GRANT`.
    pub(super) fn grant(&mut self) -> PResult<Statement> {
        if self.at_permissions() {
            let permissions = self.permissions()?;
            self.expect_kw("on")?;
            let resource = self.resource()?;
            self.expect_kw("to")?;
            let grantee = self.role_name()?;
            return Ok(Statement::GrantPermission(GrantPermission {
                permissions,
                resource,
                grantee,
            }));
        }
        let role = self.role_name()?;
        self.expect_kw("to")?;
        Ok(Statement::GrantRole(GrantRole {
            role,
            grantee: self.role_name()?,
        }))
    }

    /// After `REVOKE`.
    pub(super) fn revoke(&mut self) -> PResult<Statement> {
        if self.at_permissions() {
            let permissions = self.permissions()?;
            self.expect_kw("on")?;
            let resource = self.resource()?;
            self.expect_kw("from")?;
            let revokee = self.role_name()?;
            return Ok(Statement::RevokePermission(RevokePermission {
                permissions,
                resource,
                revokee,
            }));
        }
        let role = self.role_name()?;
        self.expect_kw("from")?;
        Ok(Statement::RevokeRole(RevokeRole {
            role,
            revokee: self.role_name()?,
        }))
    }

    /// After `LIST`.
    pub(super) fn list(&mut self) -> PResult<Statement> {
        if self.eat_kw("roles") {
            let of = if self.eat_kw("of") {
                Some(self.role_name()?)
            } else {
                None
            };
            let recursive = !self.eat_kw("norecursive");
            return Ok(Statement::ListRoles(ListRoles { of, recursive }));
        }
        if self.eat_kw("users") {
            return Ok(Statement::ListUsers);
        }
        let permissions = self.permissions()?;
        let resource = if self.eat_kw("on") {
            Some(self.resource()?)
        } else {
            None
        };
        let of = if self.eat_kw("of") {
            Some(self.role_name()?)
        } else {
            None
        };
        let recursive = !self.eat_kw("norecursive");
        Ok(Statement::ListPermissions(ListPermissions {
            permissions,
            resource,
            of,
            recursive,
        }))
    }

    /// After `ADD IDENTITY`.
    pub(super) fn add_identity(&mut self) -> PResult<AddIdentity> {
        let if_not_exists = self.if_not_exists()?;
        let identity = self.string()?;
        self.expect_kw("to")?;
        self.expect_kw("role")?;
        Ok(AddIdentity {
            if_not_exists,
            identity,
            role: self.role_name()?,
        })
    }

    /// After `DROP IDENTITY`.
    pub(super) fn drop_identity(&mut self) -> PResult<DropIdentity> {
        let if_exists = self.if_exists()?;
        Ok(DropIdentity {
            if_exists,
            identity: self.string()?,
        })
    }
}
