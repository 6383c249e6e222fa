//! Role, user, permission and identity statements (security.adoc).

use super::{QualifiedName, RawType};

/// `ACCESS TO DATACENTERS {...}` / `ACCESS TO ALL DATACENTERS` (also CIDRs in 5.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessList {
    All,
    Only(Vec<String>),
}

/// The `WITH ... AND ...` options of CREATE/ALTER ROLE and USER. `None` = not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleOptions {
    pub password: Option<String>,
    /// `HASHED PASSWORD = '...'` (5.0): a bcrypt hash to store as is.
    pub hashed_password: Option<String>,
    pub superuser: Option<bool>,
    pub login: Option<bool>,
    /// `OPTIONS = {...}` (custom authenticator options), values as text.
    pub options: Option<Vec<(String, String)>>,
    pub access_to_datacenters: Option<AccessList>,
    pub access_from_cidrs: Option<AccessList>,
}

/// `CREATE ROLE [IF NOT EXISTS] name [WITH options]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRole {
    pub if_not_exists: bool,
    /// Role names: identifiers are case-folded, string constants (`'Alice'`) are exact.
    pub name: String,
    pub options: RoleOptions,
}

/// `ALTER ROLE [IF EXISTS] name WITH options`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterRole {
    pub if_exists: bool,
    pub name: String,
    pub options: RoleOptions,
}

/// `DROP ROLE|USER [IF EXISTS] name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRole {
    pub if_exists: bool,
    pub name: String,
}

/// `CREATE USER [IF NOT EXISTS] name [WITH PASSWORD 'p'] [SUPERUSER|NOSUPERUSER]`.
/// `options.login` is always `Some(true)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUser {
    pub if_not_exists: bool,
    pub name: String,
    pub options: RoleOptions,
}

/// `ALTER USER [IF EXISTS] name [WITH PASSWORD 'p'] [SUPERUSER|NOSUPERUSER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterUser {
    pub if_exists: bool,
    pub name: String,
    pub options: RoleOptions,
}

/// `GRANT role TO grantee`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRole {
    pub role: String,
    pub grantee: String,
}

/// `REVOKE role FROM revokee`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeRole {
    pub role: String,
    pub revokee: String,
}

/// A permission name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    Create,
    Alter,
    Drop,
    Select,
    Modify,
    Authorize,
    Describe,
    Execute,
    Unmask,
    SelectMasked,
}

/// `ALL [PERMISSIONS]` or one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permissions {
    All,
    One(Permission),
}

/// What a permission applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    AllKeyspaces,
    Keyspace(String),
    /// `[TABLE] [ks.]t`
    Table(QualifiedName),
    AllRoles,
    Role(String),
    /// `ALL FUNCTIONS [IN KEYSPACE ks]`
    AllFunctions {
        keyspace: Option<String>,
    },
    /// `FUNCTION [ks.]f(types)`
    Function {
        name: QualifiedName,
        arg_types: Vec<RawType>,
    },
    AllMbeans,
    /// `MBEAN 'name'` / `MBEANS 'pattern'`
    Mbean(String),
    Mbeans(String),
}

/// `GRANT permissions ON resource TO role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPermission {
    pub permissions: Permissions,
    pub resource: Resource,
    pub grantee: String,
}

/// `REVOKE permissions ON resource FROM role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokePermission {
    pub permissions: Permissions,
    pub resource: Resource,
    pub revokee: String,
}

/// `LIST ROLES [OF role] [NORECURSIVE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRoles {
    pub of: Option<String>,
    pub recursive: bool,
}

/// `LIST permissions [ON resource] [OF role] [NORECURSIVE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPermissions {
    pub permissions: Permissions,
    pub resource: Option<Resource>,
    pub of: Option<String>,
    pub recursive: bool,
}

/// `ADD IDENTITY [IF NOT EXISTS] 'identity' TO ROLE 'role'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddIdentity {
    pub if_not_exists: bool,
    pub identity: String,
    pub role: String,
}

/// `DROP IDENTITY [IF EXISTS] 'identity'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropIdentity {
    pub if_exists: bool,
    pub identity: String,
}
