//! Scalelite tenant operations.

use serde_json::json;

use crate::harness::Options;
use crate::on_both_databases;
use crate::scalelite_client::{add_tenant, get, post};

on_both_databases!(get_tenants_lists_or_says_none_exist, |server| {
    let none = get(&server, "getTenants", "").await;
    assert_eq!(none.status, 200);
    assert_eq!(none.json(), json!({"message": "No tenants exist"}));
    let ids = [
        add_tenant(&server, "a", "s1").await,
        add_tenant(&server, "b", "s2:s3").await,
        add_tenant(&server, "c", "s4").await,
    ];
    let reply = get(&server, "getTenants", "").await;
    assert_eq!(reply.status, 200);
    let tenants = reply.json();
    assert_eq!(tenants.as_array().map(Vec::len), Some(3));
    assert_eq!(tenants[1], json!({"id": ids[1], "name": "b", "secrets": "s2:s3"}));
});

on_both_databases!(get_tenant_info_returns_the_record_or_404, |server| {
    let id = add_tenant(&server, "school", "one:two").await;
    let reply = get(&server, "getTenantInfo", &format!("id={id}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"new_record": false, "destroyed": false, "name": "school", "secrets": "one:two", "id": id})
    );
    let missing = get(&server, "getTenantInfo", "id=nonexistent-id").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({"error": "Couldn't find Tenant with id=nonexistent-id"}));
});

on_both_databases!(add_tenant_returns_the_tenant_and_accepts_duplicate_names, |server| {
    let reply = post(&server, "addTenant", "", &json!({"tenant": {"name": "school", "secrets": "s1:s2"}})).await;
    assert_eq!(reply.status, 201);
    let tenant = &reply.json()["tenant"];
    assert_eq!((tenant["name"].clone(), tenant["secrets"].clone()), (json!("school"), json!("s1:s2")));
    assert_eq!((tenant["new_record"].clone(), tenant["destroyed"].clone()), (json!(false), json!(false)));
    assert!(tenant["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()));
    let duplicate = post(&server, "addTenant", "", &json!({"name": "school", "secrets": "x"})).await;
    assert_eq!(duplicate.status, 201, "Scalelite does not require unique names");
});

on_both_databases!(add_tenant_requires_name_and_secrets, |server| {
    for body in [
        json!({"tenant": {"name": "a"}}),
        json!({"tenant": {"secrets": "s"}}),
        json!({"tenant": {"name": "", "secrets": "s"}}),
    ] {
        let reply = post(&server, "addTenant", "", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json(), json!({"message": "Error: both name and secrets are required to create a Tenant"}));
    }
    let missing = post(&server, "addTenant", "", &json!({})).await;
    assert_eq!(missing.failure_key(), "internalError");
    assert!(missing.body.contains("param is missing or the value is empty: tenant"));
    assert_eq!(get(&server, "getTenants", "").await.json(), json!({"message": "No tenants exist"}));
});

on_both_databases!(update_tenant_changes_name_and_secrets, |server| {
    let id = add_tenant(&server, "old", "s1").await;
    let renamed = post(&server, "updateTenant", "", &json!({"id": id, "tenant": {"name": "new"}})).await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        renamed.json(),
        json!({"tenant": {"new_record": false, "destroyed": false, "name": "new", "secrets": "s1", "id": id}})
    );
    let resecret =
        post(&server, "updateTenant", &format!("id={id}"), &json!({"tenant": {"secrets": "s2:s3", "name": ""}})).await;
    assert_eq!(resecret.json()["tenant"]["secrets"], "s2:s3");
    assert_eq!(resecret.json()["tenant"]["name"], "new", "empty values are ignored");
    let unknown = post(&server, "updateTenant", "", &json!({"id": "nonexistent-id", "tenant": {"name": "x"}})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json(), json!({"error": "Couldn't find Tenant with id=nonexistent-id"}));
    let missing = post(&server, "updateTenant", "", &json!({"id": id, "tenant": {}})).await;
    assert_eq!(missing.failure_key(), "internalError");
});

on_both_databases!(delete_tenant_destroys_or_404s, |server| {
    let id = add_tenant(&server, "gone", "s").await;
    let reply = post(&server, "deleteTenant", "", &json!({"id": id})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"success": format!("Tenant id={id} was destroyed")}));
    let again = post(&server, "deleteTenant", &format!("id={id}"), &json!({})).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.json(), json!({"error": format!("Couldn't find Tenant with id={id}")}));
});

on_both_databases!(
    tenant_operations_need_multitenancy,
    Options { multitenancy: false, ..Options::default() },
    |server| {
        let calls = [
            get(&server, "getTenants", "").await,
            get(&server, "getTenantInfo", "id=x").await,
            post(&server, "addTenant", "", &json!({"tenant": {"name": "a", "secrets": "b"}})).await,
            post(&server, "updateTenant", "", &json!({"id": "x", "tenant": {"name": "a"}})).await,
            post(&server, "deleteTenant", "", &json!({"id": "x"})).await,
        ];
        for reply in calls {
            assert_eq!(reply.status, 412, "{}", reply.body);
            assert_eq!(reply.json(), json!({"message": "Multitenancy is disabled"}));
        }
        // The checksum is checked first.
        let unsigned =
            crate::scalelite_client::send(server.client.get(server.url("/scalelite/api/getTenants?checksum=0"))).await;
        assert_eq!(unsigned.failure_key(), "checksumError");
    }
);
