//! Roles, users, permissions, identities.

use super::*;

#[test]
fn create_role_with_options() {
    let Statement::CreateRole(r) = parse(
        "CREATE ROLE IF NOT EXISTS 'Alice' WITH PASSWORD = 'pw' AND LOGIN = true AND SUPERUSER = false \
         AND OPTIONS = {'custom': 1} AND ACCESS TO DATACENTERS {'DC1', 'DC2'} AND ACCESS FROM ALL CIDRS",
    ) else {
        panic!("create role")
    };
    assert!(r.if_not_exists);
    assert_eq!(r.name, "Alice", "string role names keep their case");
    let o = r.options;
    assert_eq!(o.password.as_deref(), Some("pw"));
    assert_eq!((o.login, o.superuser), (Some(true), Some(false)));
    assert_eq!(
        o.options,
        Some(vec![("custom".to_string(), "1".to_string())])
    );
    assert_eq!(
        o.access_to_datacenters,
        Some(AccessList::Only(vec!["DC1".into(), "DC2".into()]))
    );
    assert_eq!(o.access_from_cidrs, Some(AccessList::All));
    let Statement::CreateRole(r) = parse("CREATE ROLE Bob") else {
        panic!("create role")
    };
    assert_eq!(
        (r.name.as_str(), r.options),
        ("bob", RoleOptions::default())
    );
}

#[test]
fn alter_and_drop_roles_and_users() {
    let Statement::AlterRole(r) =
        parse("ALTER ROLE bob WITH HASHED PASSWORD = '$2a$10$x' AND LOGIN = false")
    else {
        panic!("alter role")
    };
    assert_eq!(r.options.hashed_password.as_deref(), Some("$2a$10$x"));
    let Statement::CreateUser(u) =
        parse("CREATE USER IF NOT EXISTS carol WITH PASSWORD 'secret' SUPERUSER")
    else {
        panic!("create user")
    };
    assert_eq!(u.options.password.as_deref(), Some("secret"));
    assert_eq!(
        (u.options.superuser, u.options.login),
        (Some(true), Some(true))
    );
    let Statement::AlterUser(u) = parse("ALTER USER carol NOSUPERUSER") else {
        panic!("alter user")
    };
    assert_eq!(u.options.superuser, Some(false));
    assert_eq!(
        parse("DROP ROLE IF EXISTS bob"),
        Statement::DropRole(DropRole {
            if_exists: true,
            name: "bob".into()
        })
    );
    assert_eq!(
        parse("DROP USER carol"),
        Statement::DropUser(DropRole {
            if_exists: false,
            name: "carol".into()
        })
    );
}

#[test]
fn grant_and_revoke_roles() {
    assert_eq!(
        parse("GRANT report_writer TO alice"),
        Statement::GrantRole(GrantRole {
            role: "report_writer".into(),
            grantee: "alice".into()
        })
    );
    assert_eq!(
        parse("REVOKE report_writer FROM alice"),
        Statement::RevokeRole(RevokeRole {
            role: "report_writer".into(),
            revokee: "alice".into()
        })
    );
}

#[test]
fn grant_and_revoke_permissions_on_every_resource() {
    let g = |s: &str| match parse(s) {
        Statement::GrantPermission(g) => g,
        other => panic!("not grant: {other:?}"),
    };
    let p = g("GRANT SELECT ON ALL KEYSPACES TO data_reader");
    assert_eq!(
        (p.permissions, p.resource, p.grantee.as_str()),
        (
            Permissions::One(Permission::Select),
            Resource::AllKeyspaces,
            "data_reader"
        )
    );
    assert_eq!(
        g("GRANT MODIFY ON KEYSPACE ks TO w").resource,
        Resource::Keyspace("ks".into())
    );
    assert_eq!(
        g("GRANT ALTER ON TABLE ks.t TO w").resource,
        Resource::Table(qn(Some("ks"), "t"))
    );
    assert_eq!(
        g("GRANT ALTER ON t TO w").resource,
        Resource::Table(qn(None, "t"))
    );
    assert_eq!(
        g("GRANT AUTHORIZE ON ALL ROLES TO w").resource,
        Resource::AllRoles
    );
    assert_eq!(
        g("GRANT DROP ON ROLE bob TO w").resource,
        Resource::Role("bob".into())
    );
    assert_eq!(
        g("GRANT EXECUTE ON ALL FUNCTIONS IN KEYSPACE ks TO w").resource,
        Resource::AllFunctions {
            keyspace: Some("ks".into())
        }
    );
    assert_eq!(
        g("GRANT EXECUTE ON FUNCTION ks.f(int, text) TO w").resource,
        Resource::Function {
            name: qn(Some("ks"), "f"),
            arg_types: vec![
                RawType::Native(crate::types::CqlType::Int),
                RawType::Native(crate::types::CqlType::Text)
            ],
        }
    );
    assert_eq!(
        g("GRANT DESCRIBE ON ALL MBEANS TO w").resource,
        Resource::AllMbeans
    );
    assert_eq!(
        g("GRANT SELECT ON MBEAN 'org.x:type=Y' TO w").resource,
        Resource::Mbean("org.x:type=Y".into())
    );
    assert_eq!(
        g("GRANT ALL PERMISSIONS ON KEYSPACE ks TO w").permissions,
        Permissions::All
    );
    assert_eq!(
        g("GRANT UNMASK ON TABLE t TO w").permissions,
        Permissions::One(Permission::Unmask)
    );
    assert_eq!(
        g("GRANT SELECT_MASKED ON TABLE t TO w").permissions,
        Permissions::One(Permission::SelectMasked)
    );
    let Statement::RevokePermission(r) = parse("REVOKE CREATE PERMISSION ON KEYSPACE ks FROM w")
    else {
        panic!("revoke")
    };
    assert_eq!(
        (r.permissions, r.revokee.as_str()),
        (Permissions::One(Permission::Create), "w")
    );
}

#[test]
fn list_statements() {
    assert_eq!(
        parse("LIST ROLES"),
        Statement::ListRoles(ListRoles {
            of: None,
            recursive: true
        })
    );
    assert_eq!(
        parse("LIST ROLES OF alice NORECURSIVE"),
        Statement::ListRoles(ListRoles {
            of: Some("alice".into()),
            recursive: false
        })
    );
    assert_eq!(parse("LIST USERS"), Statement::ListUsers);
    assert_eq!(
        parse("LIST ALL PERMISSIONS ON ks.t OF bob NORECURSIVE"),
        Statement::ListPermissions(ListPermissions {
            permissions: Permissions::All,
            resource: Some(Resource::Table(qn(Some("ks"), "t"))),
            of: Some("bob".into()),
            recursive: false,
        })
    );
    assert_eq!(
        parse("LIST ALL"),
        Statement::ListPermissions(ListPermissions {
            permissions: Permissions::All,
            resource: None,
            of: None,
            recursive: true
        })
    );
}

#[test]
fn identities() {
    assert_eq!(
        parse("ADD IDENTITY IF NOT EXISTS 'spiffe://x/y' TO ROLE 'svc'"),
        Statement::AddIdentity(AddIdentity {
            if_not_exists: true,
            identity: "spiffe://x/y".into(),
            role: "svc".into()
        })
    );
    assert_eq!(
        parse("DROP IDENTITY 'spiffe://x/y'"),
        Statement::DropIdentity(DropIdentity {
            if_exists: false,
            identity: "spiffe://x/y".into()
        })
    );
}

#[test]
fn role_names_cannot_be_markers() {
    let e = parse_statement("CREATE ROLE ?").expect_err("marker");
    assert!(
        e.message
            .contains("Bind variables cannot be used for role names"),
        "{e}"
    );
}
