//! Every MC operation × every built-in role: the expected allow or deny is
//! computed from the role table the server publishes (checked against MC's
//! 173 rows) and each operation's declared need, then checked over HTTP.

use std::collections::BTreeSet;

use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;
use crate::scalelite_client::Reply;

/// What an operation asks of its caller, as MC's handlers check it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Need {
    /// Nothing: no token.
    Public,
    /// Any valid login.
    Login,
    /// users:view in some org.
    UsersViewSomewhere,
    /// users:manage in the org the body names.
    UsersManageInOrg,
    /// users:manage everywhere (an admin): deleting someone else.
    UsersManageEverywhere,
    /// controllers:manage in the empty org (AdminManager): regions.
    ControllersManageEverywhere,
    /// cloudletpools:manage in the org the body names: pool invitations.
    PoolsManageInOrg,
    /// users:view or cloudletpools:view somewhere: pool access shows.
    UsersOrPoolsViewSomewhere,
}

/// Every operation of openapi/mc.yaml and what it needs.
const NEEDS: &[(&str, Need)] = &[
    ("login", Need::Public),
    ("createUser", Need::Public),
    ("deleteLockedUser", Need::Public),
    ("verifyEmail", Need::Public),
    ("resendVerify", Need::Public),
    ("passwordResetRequest", Need::Public),
    ("passwordReset", Need::Public),
    ("currentUser", Need::Login),
    ("showUser", Need::UsersViewSomewhere),
    ("updateUser", Need::Login),
    ("deleteUser", Need::UsersManageEverywhere),
    ("newPassword", Need::Login),
    ("userAuthorized", Need::Login),
    ("authScopes", Need::Login),
    ("createUserApiKey", Need::Login),
    ("showUserApiKey", Need::Login),
    ("deleteUserApiKey", Need::Login),
    ("showRoleNames", Need::Login),
    ("showRolePerm", Need::Login),
    ("showRoleAssignment", Need::Login),
    ("showUserRole", Need::UsersViewSomewhere),
    ("addUserRole", Need::UsersManageInOrg),
    ("removeUserRole", Need::UsersManageInOrg),
    ("createOrg", Need::Login),
    ("showOrg", Need::Login),
    ("updateOrg", Need::UsersManageInOrg),
    ("deleteOrg", Need::UsersManageInOrg),
    ("createController", Need::ControllersManageEverywhere),
    ("updateController", Need::ControllersManageEverywhere),
    ("deleteController", Need::ControllersManageEverywhere),
    ("showController", Need::Login),
    ("createCloudletPoolAccessInvitation", Need::PoolsManageInOrg),
    ("deleteCloudletPoolAccessInvitation", Need::PoolsManageInOrg),
    ("showCloudletPoolAccessInvitation", Need::UsersOrPoolsViewSomewhere),
    ("createCloudletPoolAccessResponse", Need::UsersManageInOrg),
    ("deleteCloudletPoolAccessResponse", Need::UsersManageInOrg),
    ("showCloudletPoolAccessResponse", Need::UsersOrPoolsViewSomewhere),
    ("showCloudletPoolAccessGranted", Need::UsersOrPoolsViewSomewhere),
    ("showCloudletPoolAccessPending", Need::UsersOrPoolsViewSomewhere),
];

const ROLES: [&str; 10] = [
    "AdminManager",
    "AdminContributor",
    "AdminViewer",
    "DeveloperManager",
    "DeveloperContributor",
    "DeveloperViewer",
    "OperatorManager",
    "OperatorContributor",
    "OperatorViewer",
    "BillingManager",
];

/// The operations that declare their permission in the spec
/// (`x-steward-permission`, checked by the generated routes): operationId,
/// path and declaration.
fn declared_operations() -> Vec<(String, String, Value)> {
    let spec: Value = serde_json::from_str(steward::surfaces::mc::SPEC_JSON).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let op = &item["post"];
        if let Some(permission) = op.get("x-steward-permission") {
            // The object an update must carry rides along with the declaration.
            let mut permission = permission.clone();
            if let Some(object) = op.get("x-steward-required-object") {
                permission["required-object"] = object.clone();
            }
            out.push((op["operationId"].as_str().unwrap().to_owned(), path.clone(), permission));
        }
    }
    out
}

#[test]
fn every_spec_operation_declares_its_need() {
    let spec: Value = serde_json::from_str(steward::surfaces::mc::SPEC_JSON).unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            // Every regional operation declares its permission in the spec.
            if path.starts_with("/api/v1/auth/ctrl/") {
                assert!(op.get("x-steward-permission").is_some(), "{path} declares no x-steward-permission");
            }
            operations.insert(op["operationId"].as_str().unwrap().to_owned());
        }
    }
    let declared: BTreeSet<String> = NEEDS
        .iter()
        .map(|(op, _)| (*op).to_owned())
        .chain(declared_operations().into_iter().map(|(op, _, _)| op))
        .collect();
    assert_eq!(operations, declared);
}

/// Whether `role`, held in its own org (admins: platform-wide), passes an
/// operation's declared permission with that org in the body.
fn declared_allows(permission: &Value, role: &str, table: &BTreeSet<(String, String, String)>) -> bool {
    match permission.get("visibility").and_then(Value::as_str) {
        // MC's ShowApp: apps:view, or a pool granted to some developer
        // (no role here has one, so operators are refused).
        Some("apps-and-pool-grants") => return holds(table, role, "apps", "view"),
        // MC's instance shows: the resource's view, or a pool with
        // cloudlets in it (no role here has one, so operators are refused).
        Some("clusterinsts-and-pool-cloudlets") => return holds(table, role, "clusterinsts", "view"),
        Some("appinsts-and-pool-cloudlets") => return holds(table, role, "appinsts", "view"),
        // Checked by the handler after the body (MC's order): the
        // permission held in some org.
        Some("users-view-somewhere") => return holds(table, role, "users", "view"),
        Some("alert-view-somewhere") => return holds(table, role, "alert", "view"),
        Some(_) => return true,
        None => {}
    }
    let (resource, action) = (permission["resource"].as_str().unwrap(), permission["action"].as_str().unwrap());
    let held = holds(table, role, resource, action);
    match permission.get("org").and_then(Value::as_str) {
        // The empty org: only a platform-wide (admin) grant reaches it.
        Some("") => held && role.starts_with("Admin"),
        _ => held,
    }
}

/// A body for a declared operation: the region (but not in a filter over a
/// database object, which refuses keys naming no field), and the caller's
/// org where the declaration reads the org from.
fn declared_body(path: &str, permission: &Value, org: &str) -> Value {
    let database_filter = path.starts_with("/api/v1/auth/federation/") && path.ends_with("/show");
    let mut body = if database_filter { json!({}) } else { json!({"Region": "local"}) };
    if let Some(object) = permission.get("required-object").and_then(Value::as_str) {
        body[object.trim_start_matches('/')] = json!({});
    }
    if let Some(pointer) = permission.get("org").and_then(Value::as_str).filter(|p| !p.is_empty()) {
        let mut at = &mut body;
        let names: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        for (index, name) in names.iter().enumerate() {
            let last = index + 1 == names.len();
            at = &mut at[*name];
            if last {
                *at = json!(org);
            }
        }
    }
    body
}

/// The published table: role → (resource, action).
/// The original's role table, kept as test data (tests/data/mc_role_perms.tsv,
/// expanded from MC's InitRolePerms): the expectations come from MC, not
/// from what this server says. The server's own table must equal it.
async fn role_table(server: &TestServer, admin: &str) -> BTreeSet<(String, String, String)> {
    let table: BTreeSet<(String, String, String)> = include_str!("../data/mc_role_perms.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let mut fields = line.split('\t').map(str::to_owned);
            let mut next = || fields.next().expect("role, resource, action");
            (next(), next(), next())
        })
        .collect();
    assert_eq!(table.len(), 173, "MC's 173 permission rows");
    let rows = call(server, "/auth/role/perms/show", Some(admin), None).await.json();
    let served: BTreeSet<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["role"].as_str().unwrap().to_owned(),
                r["resource"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(served, table, "the server publishes MC's table");
    table
}

fn holds(table: &BTreeSet<(String, String, String)>, role: &str, resource: &str, action: &str) -> bool {
    table.contains(&(role.to_owned(), resource.to_owned(), action.to_owned()))
}

fn expected(need: Need, role: &str, table: &BTreeSet<(String, String, String)>) -> bool {
    match need {
        Need::Public | Need::Login => true,
        Need::UsersViewSomewhere => holds(table, role, "users", "view"),
        Need::UsersManageInOrg => holds(table, role, "users", "manage"),
        // Only a grant in the empty org reaches every org: admin roles.
        Need::UsersManageEverywhere => role.starts_with("Admin") && holds(table, role, "users", "manage"),
        Need::ControllersManageEverywhere => role.starts_with("Admin") && holds(table, role, "controllers", "manage"),
        Need::PoolsManageInOrg => holds(table, role, "cloudletpools", "manage"),
        Need::UsersOrPoolsViewSomewhere => {
            holds(table, role, "users", "view") || holds(table, role, "cloudletpools", "view")
        }
    }
}

/// Allowed means anything but 401/403; denied means MC's 403.
fn verdict(operation: &str, role: &str, reply: &Reply) -> bool {
    assert_ne!(reply.status, 401, "{operation} as {role}: {}", reply.body);
    assert!(reply.status < 500, "{operation} as {role}: {}", reply.body);
    if reply.status == 403 {
        assert_eq!(reply.json()["message"], "Forbidden", "{operation} as {role}");
    }
    reply.status != 403
}

/// A user holding `role` in an org of its own (`<role>-org`); admins hold
/// theirs platform-wide. BillingManager is granted in the database, as MC's
/// API only grants it in billing orgs.
async fn member(server: &TestServer, admin: &str, role: &str) -> (String, String) {
    let name = role.to_lowercase();
    let org = format!("{name}-org");
    let org_type = if role.starts_with("Operator") { "operator" } else { "developer" };
    create_org(server, admin, &org, org_type).await;
    create_user(server, &name).await;
    if role.starts_with("Admin") {
        add_role(server, admin, "", &name, role).await;
    } else if role == "BillingManager" {
        let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
        let grant = steward::db::entities::mc_role_grant::ActiveModel {
            org: Set(org.clone()),
            subject: Set(name.clone()),
            role: Set(role.to_owned()),
        };
        steward::db::entities::mc_role_grant::Entity::insert(grant).exec(&db).await.unwrap();
    } else {
        add_role(server, admin, &org, &name, role).await;
    }
    (login(server, &name, STRONG).await, org)
}

fn viewer_role(org: &str) -> &'static str {
    if org.starts_with("operator") { "OperatorViewer" } else { "DeveloperViewer" }
}

on_both_databases!(mc_every_operation_allows_exactly_the_roles_mcs_table_allows, |server| {
    let admin = admin(&server).await;
    let table = role_table(&server, &admin).await;
    let need = |operation: &str| NEEDS.iter().find(|(op, _)| *op == operation).map(|(_, n)| *n).unwrap();
    for role in ROLES {
        let (token, org) = member(&server, &admin, role).await;
        // The whole table through MC's own check, before the org goes.
        for resource in [
            "billing",
            "controllers",
            "users",
            "apps",
            "appinsts",
            "clusters",
            "clusterinsts",
            "appanalytics",
            "clusteranalytics",
            "cloudlets",
            "cloudletpools",
            "cloudletanalytics",
            "clusterflavors",
            "flavors",
            "config",
            "alert",
            "developerpolicy",
            "restagtbl",
            "artifacts",
        ] {
            for action in ["view", "manage"] {
                let body = json!({"org": org, "resource": resource, "action": action});
                let reply = call(&server, "/auth/user/authorized", Some(&token), Some(&body)).await;
                let allowed = verdict("userAuthorized", role, &reply);
                assert_eq!(allowed, holds(&table, role, resource, action), "{role} {resource}:{action}");
            }
        }
        let victim = format!("{}-victim", role.to_lowercase());
        create_user(&server, &victim).await;
        let check = |operation: &'static str, path: &'static str, body: Value| {
            let (server, token, table) = (&server, token.clone(), &table);
            async move {
                let reply = call(server, path, Some(&token), Some(&body)).await;
                let allowed = verdict(operation, role, &reply);
                assert_eq!(allowed, expected(need(operation), role, table), "{operation} as {role}: {}", reply.body);
            }
        };
        check("showUser", "/auth/user/show", json!({"org": org})).await;
        check("showUserRole", "/auth/role/showuser", json!({"org": org})).await;
        check("currentUser", "/auth/user/current", json!({})).await;
        check("authScopes", "/auth/user/scopes", json!({})).await;
        check("showRoleNames", "/auth/role/show", json!({})).await;
        check("showRolePerm", "/auth/role/perms/show", json!({})).await;
        check("showRoleAssignment", "/auth/role/assignment/show", json!({})).await;
        check("showOrg", "/auth/org/show", json!({})).await;
        check("showController", "/auth/controller/show", json!({})).await;
        let region = format!("R{}", &role[..3]);
        check("createController", "/auth/controller/create", json!({"Region": region, "Address": format!("{role}:1")}))
            .await;
        check("updateController", "/auth/controller/update", json!({"Region": "local", "NotifyAddr": role})).await;
        check("deleteController", "/auth/controller/delete", json!({"Region": region})).await;
        let access = json!({"Org": org, "Region": "local", "CloudletPool": "p", "CloudletPoolOrg": org});
        for (operation, path) in [
            ("createCloudletPoolAccessInvitation", "/auth/cloudletpoolaccessinvitation/create"),
            ("deleteCloudletPoolAccessInvitation", "/auth/cloudletpoolaccessinvitation/delete"),
            ("showCloudletPoolAccessInvitation", "/auth/cloudletpoolaccessinvitation/show"),
            ("createCloudletPoolAccessResponse", "/auth/cloudletpoolaccessresponse/create"),
            ("deleteCloudletPoolAccessResponse", "/auth/cloudletpoolaccessresponse/delete"),
            ("showCloudletPoolAccessResponse", "/auth/cloudletpoolaccessresponse/show"),
            ("showCloudletPoolAccessGranted", "/auth/cloudletpoolaccessgranted/show"),
            ("showCloudletPoolAccessPending", "/auth/cloudletpoolaccesspending/show"),
        ] {
            check(operation, path, access.clone()).await;
        }
        check("showUserApiKey", "/auth/user/show/apikey", json!({})).await;
        check(
            "createUserApiKey",
            "/auth/user/create/apikey",
            json!({"Org": org, "permissions": [{"resource": "users", "action": "view"}]}),
        )
        .await;
        check("deleteUserApiKey", "/auth/user/delete/apikey", json!({"Id": "none"})).await;
        // Someone else's existing key: only a platform-wide users:view (an
        // admin role) reaches past MC's ownership check.
        let probe =
            json!({"Org": "", "Description": "probe", "permissions": [{"resource": "users", "action": "view"}]});
        let created = call(&server, "/auth/user/create/apikey", Some(&admin), Some(&probe)).await;
        let key = created.json()["Id"].as_str().unwrap_or_else(|| panic!("{}", created.body)).to_owned();
        let reply = call(&server, "/auth/user/delete/apikey", Some(&token), Some(&json!({"Id": key}))).await;
        let allowed = reply.status == 200;
        let everywhere = role.starts_with("Admin") && holds(&table, role, "users", "view");
        assert_eq!(allowed, everywhere, "deleting another's key as {role}: {}", reply.body);
        if !allowed {
            assert_eq!(message(&reply, 403), "Cannot delete other user's API key", "{role}");
        }
        if !allowed {
            let cleanup = call(&server, "/auth/user/delete/apikey", Some(&admin), Some(&json!({"Id": key}))).await;
            assert_eq!(cleanup.status, 200, "{}", cleanup.body);
        }
        // The regional operations, from their declarations in the spec.
        for (operation, path, permission) in declared_operations() {
            let reply = call(
                &server,
                path.trim_start_matches("/api/v1"),
                Some(&token),
                Some(&declared_body(&path, &permission, &org)),
            )
            .await;
            let allowed = verdict(&operation, role, &reply);
            assert_eq!(allowed, declared_allows(&permission, role, &table), "{operation} as {role}: {}", reply.body);
        }
        check("updateUser", "/auth/user/update", json!({"Nickname": role})).await;
        check("userAuthorized", "/auth/user/authorized", json!({"org": org, "resource": "users", "action": "view"}))
            .await;
        check(
            "createOrg",
            "/auth/org/create",
            json!({"Name": format!("{}-new", role.to_lowercase()), "Type": "developer"}),
        )
        .await;
        check("addUserRole", "/auth/role/adduser", json!({"org": org, "username": victim, "role": viewer_role(&org)}))
            .await;
        // The grant exists either way (MC answers 200 unchecked for a missing one).
        let grant = json!({"org": org, "username": victim, "role": viewer_role(&org)});
        let _ = call(&server, "/auth/role/adduser", Some(&admin), Some(&grant)).await;
        check("removeUserRole", "/auth/role/removeuser", grant).await;
        check("updateOrg", "/auth/org/update", json!({"Name": org, "Address": "1 Main St"})).await;
        check("deleteUser", "/auth/user/delete", json!({"Name": victim})).await;
        check("deleteOrg", "/auth/org/delete", json!({"Name": org})).await;
        // Last: a changed password revokes the token used so far.
        check("newPassword", "/auth/user/newpass", json!({"currentpassword": STRONG, "password": STRONG})).await;
    }
    // Public operations need no token at all.
    let reply = call(&server, "/resendverify", None, Some(&json!({"email": "x@example.com"}))).await;
    assert_eq!(reply.status, 200);
});

/// How an operation reads its body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyReader {
    None,
    /// echo's binder: JSON or a form, 415 otherwise.
    Echo,
    /// MC's ReadConn: any Content-Type.
    ReadConn,
}

/// Every operation of the spec, with its path and how it reads its body.
fn spec_operations() -> Vec<(String, String, BodyReader)> {
    let spec: Value = serde_json::from_str(steward::surfaces::mc::SPEC_JSON).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let op = &item["post"];
        let extractor = op.get("x-steward-json-extractor").and_then(Value::as_str).unwrap_or_default();
        let reader = match (op.get("requestBody").is_some(), extractor.ends_with("RegionalJson")) {
            (false, _) => BodyReader::None,
            (true, false) => BodyReader::Echo,
            (true, true) => BodyReader::ReadConn,
        };
        out.push((op["operationId"].as_str().unwrap().to_owned(), path.clone(), reader));
    }
    out
}

on_both_databases!(mc_every_operation_refuses_a_missing_token_and_a_malformed_body, |server| {
    let admin = admin(&server).await;
    for (operation, path, reader) in spec_operations() {
        let need = NEEDS.iter().find(|(op, _)| *op == operation).map(|(_, n)| *n).unwrap_or(Need::Login);
        if need != Need::Public {
            let reply = crate::scalelite_client::send(server.client.post(server.url(&path))).await;
            assert_eq!(message(&reply, 401), "No bearer token found", "{operation}");
        }
        if reader != BodyReader::None {
            let malformed = server
                .client
                .post(server.url(&path))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body("{bad");
            let reply = crate::scalelite_client::send(malformed).await;
            assert_eq!(
                message(&reply, 400),
                "Invalid JSON data: Syntax error at offset 2, invalid character 'b' looking for beginning of object key string",
                "{operation}"
            );
            let text = server
                .client
                .post(server.url(&path))
                .bearer_auth(&admin)
                .header("content-type", "text/plain")
                .body("{}");
            let reply = crate::scalelite_client::send(text).await;
            // Regional calls (and others MC reads with ReadConn) read the
            // body whatever its type.
            match reader == BodyReader::ReadConn {
                true => assert_ne!(reply.status, 415, "{operation}: {}", reply.body),
                false => assert_eq!(message(&reply, 415), "Unsupported Media Type", "{operation}"),
            }
        }
    }
});
