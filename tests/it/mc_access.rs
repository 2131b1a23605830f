//! MC roles, organizations and API keys.

use serde_json::{Value, json};

use crate::harness::{MC_ADMIN, TestServer};
use crate::mc_client::*;
use crate::on_both_databases;

async fn post(server: &TestServer, path: &str, token: &str, body: Value) -> crate::scalelite_client::Reply {
    call(server, path, Some(token), Some(&body)).await
}

on_both_databases!(mc_roles_are_listed_as_mc_lists_them, |server| {
    let admin = admin(&server).await;
    let olga = user(&server, "olga").await;
    let names = call(&server, "/auth/role/show", Some(&admin), None).await.json();
    assert_eq!(names.as_array().unwrap().len(), 10);
    let names = call(&server, "/auth/role/show", Some(&olga), None).await.json();
    assert_eq!(
        names,
        json!([
            "BillingManager",
            "DeveloperContributor",
            "DeveloperManager",
            "DeveloperViewer",
            "OperatorContributor",
            "OperatorManager",
            "OperatorViewer"
        ])
    );
    let perms = call(&server, "/auth/role/perms/show", Some(&admin), None).await.json();
    assert_eq!(perms.as_array().unwrap().len(), 173, "MC's table");
    let perms = call(&server, "/auth/role/perms/show", Some(&olga), None).await.json();
    assert_eq!(perms.as_array().unwrap().len(), 93, "without the admin roles");
    let viewer = post(&server, "/auth/role/perms/show", &olga, json!({"role": "OperatorViewer"})).await.json();
    assert_eq!(viewer.as_array().unwrap().len(), 6);
    let manage =
        post(&server, "/auth/role/perms/show", &admin, json!({"Role": "BillingManager", "action": "manage"})).await;
    assert_eq!(
        manage.json(),
        json!([
            {"role": "BillingManager", "resource": "billing", "action": "manage"},
            {"role": "BillingManager", "resource": "users", "action": "manage"}
        ])
    );
    assert_eq!(message(&call(&server, "/auth/role/show", None, None).await, 401), "No bearer token found");
});

on_both_databases!(mc_roles_are_granted_and_revoked_within_mcs_rules, |server| {
    let admin = admin(&server).await;
    let paul = user(&server, "paul").await;
    create_user(&server, "quinn").await;
    create_org(&server, &paul, "devs", "developer").await;
    create_org(&server, &admin, "ops", "operator").await;
    let add = |body: Value| {
        let (server, paul) = (&server, &paul);
        async move { post(server, "/auth/role/adduser", paul, body).await }
    };
    let refusal = |org: &str, username: &str, role: &str| json!({"org": org, "username": username, "role": role});
    assert_eq!(message(&add(json!({"org": "devs", "role": "DeveloperViewer"})).await, 400), "Username not specified");
    assert_eq!(message(&add(json!({"org": "devs", "username": "quinn"})).await, 400), "Role not specified");
    assert_eq!(
        message(&add(refusal("quinn", "quinn", "DeveloperViewer")).await, 400),
        "Org name cannot be same as existing user name"
    );
    assert_eq!(
        message(&add(refusal("devs", "quinn", "AdminViewer")).await, 400),
        "Admin roles cannot be associated with an org, please specify the empty org \"\""
    );
    assert_eq!(
        message(&add(refusal("", "quinn", "DeveloperViewer")).await, 400),
        "Org name must be specified for the specified role"
    );
    assert_eq!(message(&add(refusal("devs", "nobody", "DeveloperViewer")).await, 400), "Username not found");
    assert_eq!(message(&add(refusal("devs", "quinn", "Superhero")).await, 400), "Role not found");
    assert_eq!(message(&add(refusal("nowhere", "quinn", "DeveloperViewer")).await, 400), "Organization not found");
    assert_eq!(
        message(&add(refusal("devs", "quinn", "OperatorViewer")).await, 400),
        "Can only assign developer roles for developer organization"
    );
    assert_eq!(
        message(&add(refusal("ops", "quinn", "OperatorViewer")).await, 403),
        "Forbidden",
        "paul does not manage ops"
    );
    assert_eq!(
        message(&add(refusal("", "quinn", "AdminViewer")).await, 400),
        "Organization not specified or no permissions"
    );
    add_role(&server, &paul, "devs", "quinn", "DeveloperContributor").await;
    assert_eq!(
        message(&add(refusal("devs", "quinn", "DeveloperViewer")).await, 400),
        "User already has a role DeveloperContributor for org devs, please remove existing role first"
    );
    let quinn = login(&server, "quinn", STRONG).await;
    let own = call(&server, "/auth/role/assignment/show", Some(&quinn), None).await.json();
    assert_eq!(own, json!([{"org": "devs", "username": "quinn", "role": "DeveloperContributor"}]));
    let everyone = call(&server, "/auth/role/assignment/show", Some(&admin), None).await.json();
    assert_eq!(everyone.as_array().unwrap().len(), 4, "{everyone}");
    // A present key matches exactly, even empty: the admin grants.
    let admins = post(&server, "/auth/role/assignment/show", &admin, json!({"org": ""})).await.json();
    assert_eq!(admins, json!([{"org": "", "username": MC_ADMIN, "role": "AdminManager"}]));
    let visible = call(&server, "/auth/role/showuser", Some(&quinn), None).await.json();
    assert_eq!(visible.as_array().unwrap().len(), 2, "both grants in devs: {visible}");
    let olga = user(&server, "olga").await;
    assert_eq!(message(&call(&server, "/auth/role/showuser", Some(&olga), None).await, 403), "Forbidden");

    // Removing: only managers, never the last manager.
    let remove = |token: &str, body: Value| {
        let (server, token) = (&server, token.to_owned());
        async move { post(server, "/auth/role/removeuser", &token, body).await }
    };
    let absent = remove(&olga, refusal("devs", "quinn", "DeveloperViewer")).await;
    assert_eq!(message(&absent, 200), "Role removed from user", "nothing to remove");
    assert_eq!(message(&remove(&quinn, refusal("devs", "quinn", "DeveloperContributor")).await, 403), "Forbidden");
    assert_eq!(
        message(&remove(&paul, refusal("devs", "paul", "DeveloperManager")).await, 400),
        "Error: Cannot remove the last remaining manager of an org"
    );
    assert_eq!(
        message(&remove(&paul, refusal("devs", "quinn", "DeveloperContributor")).await, 200),
        "Role removed from user"
    );
    let own = call(&server, "/auth/role/assignment/show", Some(&quinn), None).await.json();
    assert_eq!(own, json!([]));
    // Admin roles need a strong, verified password.
    add_role(&server, &admin, "", "quinn", "AdminViewer").await;
    let scopes = call(&server, "/auth/user/scopes", Some(&quinn), None).await.json();
    assert!(scopes.as_array().unwrap().iter().all(|s| s["org"] == "" && s["action"] == "view"), "{scopes}");
    assert_eq!(scopes.as_array().unwrap().len(), 14);
    let admins = post(&server, "/auth/user/delete", &admin, json!({"Name": MC_ADMIN})).await;
    assert_eq!(message(&admins, 400), "Cannot delete superuser");
});

on_both_databases!(mc_orgs_are_created_shown_updated_and_deleted_by_their_managers, |server| {
    let admin = admin(&server).await;
    let rita = user(&server, "rita").await;
    let sam = user(&server, "sam").await;
    let create = |body: Value| {
        let (server, rita) = (&server, &rita);
        async move { message(&post(server, "/auth/org/create", rita, body).await, 400) }
    };
    assert_eq!(create(json!({"Type": "developer"})).await, "Name not specified");
    assert_eq!(
        create(json!({"Name": "x y", "Type": "developer"})).await,
        "Name can only contain letters, digits, _ . -"
    );
    assert_eq!(
        create(json!({"Name": "acme", "Type": "Developer"})).await,
        "Organization type must be developer, or operator"
    );
    assert_eq!(
        create(json!({"Name": "edgebox", "Type": "operator"})).await,
        "Not authorized to create reserved org edgebox"
    );
    assert_eq!(
        create(json!({"Name": "Sam", "Type": "developer"})).await,
        "Org name cannot be same as existing user name"
    );
    create_org(&server, &rita, "acme", "developer").await;
    assert_eq!(
        create(json!({"Name": "ACME", "Type": "operator"})).await,
        "Organization with name ACME (case-insensitive) already exists"
    );
    create_org(&server, &admin, "tower", "operator").await;

    let mine = call(&server, "/auth/org/show", Some(&rita), None).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["Name"], "acme");
    assert_eq!(mine[0]["Type"], "developer");
    assert!(mine[0].get("Address").is_none(), "omitted when empty: {mine}");
    let all = call(&server, "/auth/org/show", Some(&admin), None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[1]["EdgeboxOnly"], true, "operator orgs start edgebox-only");
    let filtered = post(&server, "/auth/org/show", &admin, json!({"Type": "operator"})).await.json();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let unknown = post(&server, "/auth/org/show", &admin, json!({"Kind": "operator"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Kind not found in database object Organization"
    );
    assert_eq!(call(&server, "/auth/org/show", Some(&sam), None).await.json(), json!([]));

    let update = |token: &str, body: Value| {
        let (server, token) = (&server, token.to_owned());
        async move { post(server, "/auth/org/update", &token, body).await }
    };
    assert_eq!(message(&update(&rita, json!({"Address": "x"})).await, 400), "Organization name not specified");
    assert_eq!(message(&update(&rita, json!({"Name": "nope"})).await, 400), "Organization not found");
    assert_eq!(message(&update(&sam, json!({"Name": "acme", "Address": "x"})).await, 403), "Forbidden");
    assert_eq!(
        message(&update(&rita, json!({"Name": "acme", "Type": "operator"})).await, 400),
        "Cannot change Organization type"
    );
    assert_eq!(
        message(&update(&admin, json!({"Name": "tower", "EdgeboxOnly": false})).await, 400),
        "Cannot update edgeboxonly field for Organization"
    );
    let updated = update(&rita, json!({"Name": "acme", "Address": "1 Main St", "Phone": "555"})).await;
    assert_eq!((updated.status, updated.body.as_str()), (200, ""));
    let shown = call(&server, "/auth/org/show", Some(&rita), None).await.json();
    assert_eq!((shown[0]["Address"].as_str(), shown[0]["Phone"].as_str()), (Some("1 Main St"), Some("555")));

    let delete = |token: &str, name: &str| {
        let (server, token, name) = (&server, token.to_owned(), name.to_owned());
        async move { post(server, "/auth/org/delete", &token, json!({"Name": name})).await }
    };
    assert_eq!(
        message(&post(&server, "/auth/org/delete", &rita, json!({})).await, 400),
        "Organization name not specified"
    );
    assert_eq!(message(&delete(&sam, "acme").await, 403), "Forbidden");
    assert_eq!(message(&delete(&admin, "nope").await, 400), "Org nope not found");
    assert_eq!(message(&delete(&admin, "ACME").await, 400), "Lookup ACME but found acme");
    assert_eq!(message(&delete(&rita, "acme").await, 200), "Organization deleted");
    assert_eq!(
        call(&server, "/auth/role/assignment/show", Some(&rita), None).await.json(),
        json!([]),
        "grants went with it"
    );
});

on_both_databases!(mc_api_keys_never_exceed_their_creators_rights, |server| {
    let admin = admin(&server).await;
    let tess = user(&server, "tess").await;
    let uma = user(&server, "uma").await;
    create_org(&server, &tess, "acme", "developer").await;
    let create = |token: &str, body: Value| {
        let (server, token) = (&server, token.to_owned());
        async move { post(server, "/auth/user/create/apikey", &token, body).await }
    };
    let perm = |resource: &str, action: &str| json!([{"resource": resource, "action": action}]);
    assert_eq!(message(&create(&tess, json!({"Org": "acme"})).await, 400), "No permissions specified");
    assert_eq!(message(&create(&tess, json!({"permissions": perm("apps", "view")})).await, 400), "Org not specified");
    assert_eq!(
        message(&create(&tess, json!({"Org": "nope", "permissions": perm("apps", "view")})).await, 400),
        "Invalid org specified"
    );
    assert_eq!(
        message(&create(&tess, json!({"Org": "acme", "permissions": perm("apps", "delete")})).await, 400),
        "Invalid action delete, valid actions are view, manage"
    );
    let beyond =
        message(&create(&tess, json!({"Org": "acme", "permissions": perm("controllers", "manage")})).await, 400);
    assert!(
        beyond.starts_with(
            "Invalid permission specified: [controllers:manage], valid permissions (resource:action) are ["
        ),
        "{beyond}"
    );
    assert!(beyond.contains("apps:manage"), "{beyond}");
    let foreign = message(&create(&uma, json!({"Org": "acme", "permissions": perm("apps", "view")})).await, 400);
    assert!(foreign.starts_with("Invalid permission specified: [apps:view]"), "uma holds nothing in acme: {foreign}");

    let created =
        create(&tess, json!({"Org": "acme", "Description": "deploys", "permissions": perm("apps", "manage")})).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let key = created.json();
    assert_eq!(key["Description"], "deploys");
    assert_eq!(key["CreatedAt"], "0001-01-01T00:00:00Z", "MC echoes the request");
    let id = key["Id"].as_str().unwrap().to_owned();

    let shown = call(&server, "/auth/user/show/apikey", Some(&tess), None).await.json();
    assert_eq!(shown.as_array().unwrap().len(), 1);
    assert_eq!(shown[0]["ApiKey"], "", "the secret is shown once");
    assert_eq!(shown[0]["permissions"].as_array().unwrap().len(), 2, "manage brings view: {shown}");
    assert_eq!(call(&server, "/auth/user/show/apikey", Some(&uma), None).await.json(), json!([]));
    let all = call(&server, "/auth/user/show/apikey", Some(&admin), None).await.json();
    assert_eq!(all[0]["Username"], "tess");
    assert_eq!(key["permissions"], json!([{"role": "", "resource": "apps", "action": "manage"}]));
    // AdminManagers see keys' own roles beside the built-in ones.
    let key_role = format!("{id}-role");
    let names = call(&server, "/auth/role/show", Some(&admin), None).await.json();
    assert!(names.as_array().unwrap().contains(&json!(key_role)), "{names}");
    let perms = post(&server, "/auth/role/perms/show", &admin, json!({"role": key_role})).await.json();
    assert_eq!(perms.as_array().unwrap().len(), 2, "{perms}");
    let hidden = post(&server, "/auth/role/perms/show", &tess, json!({"role": key_role})).await.json();
    assert_eq!(hidden, json!([]));
    let missing = post(&server, "/auth/user/show/apikey", &tess, json!({"Id": "no-such-key"})).await;
    assert_eq!(message(&missing, 400), "API key ID not found");

    let delete = |token: &str, body: Value| {
        let (server, token) = (&server, token.to_owned());
        async move { post(server, "/auth/user/delete/apikey", &token, body).await }
    };
    assert_eq!(message(&delete(&tess, json!({})).await, 400), "Missing API key ID");
    assert_eq!(message(&delete(&tess, json!({"Id": "nope"})).await, 400), "API key ID not found");
    assert_eq!(message(&delete(&uma, json!({"Id": id})).await, 403), "Cannot delete other user's API key");
    assert_eq!(message(&delete(&tess, json!({"Id": id})).await, 200), "Deleted API Key successfully");
    assert_eq!(call(&server, "/auth/user/show/apikey", Some(&tess), None).await.json(), json!([]));

    for n in 0..10 {
        let reply = create(&tess, json!({"Org": "acme", "permissions": perm("apps", "view")})).await;
        assert_eq!(reply.status, 200, "key {n}");
    }
    assert_eq!(
        message(&create(&tess, json!({"Org": "acme", "permissions": perm("apps", "view")})).await, 400),
        "User cannot create more than 10 API keys, please delete existing keys to create new one"
    );
});
