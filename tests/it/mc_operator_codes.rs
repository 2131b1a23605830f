//! MC operator codes (`/auth/ctrl/*OperatorCode`): operators map carrier
//! codes to their own operator orgs; shows list the orgs' codes.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

fn code(code: &str, org: &str) -> Value {
    json!({"Region": "local", "OperatorCode": {"code": code, "organization": org}})
}

async fn shown(server: &TestServer, token: &str, filter: Value) -> Vec<Value> {
    stream_data(&ctrl(server, "ShowOperatorCode", token, &json!({"Region": "local", "OperatorCode": filter})).await)
}

/// An operator org `org` with a manager `name`, logged in.
async fn operator(server: &TestServer, admin: &str, org: &str, name: &str) -> String {
    create_org(server, admin, org, "operator").await;
    create_user(server, name).await;
    add_role(server, admin, org, name, "OperatorManager").await;
    login(server, name, STRONG).await
}

on_both_databases!(mc_operator_codes_are_managed_and_seen_by_their_orgs_operators, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "tmus", "olga").await;
    let otto = operator(&server, &admin, "att", "otto").await;
    empty_result(&ctrl(&server, "CreateOperatorCode", &olga, &code("310260", "tmus")).await);
    empty_result(&ctrl(&server, "CreateOperatorCode", &otto, &code("310410", "att")).await);

    // Each operator sees its own org's codes; admins see all.
    assert_eq!(shown(&server, &olga, json!({})).await, [json!({"code": "310260", "organization": "tmus"})]);
    assert_eq!(shown(&server, &admin, json!({})).await.len(), 2);
    assert_eq!(
        shown(&server, &admin, json!({"organization": "att"})).await,
        [json!({"code": "310410", "organization": "att"})]
    );
    assert_eq!(shown(&server, &admin, json!({"code": "310260"})).await.len(), 1);
    // A developer holds cloudlets:view in its own org, where no codes are.
    create_org(&server, &admin, "devco", "developer").await;
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperViewer").await;
    let dave = login(&server, "dave", STRONG).await;
    assert!(shown(&server, &dave, json!({})).await.is_empty());
    // A user with no role anywhere may not list.
    let nobody = user(&server, "nobody").await;
    let denied = ctrl(&server, "ShowOperatorCode", &nobody, &json!({"Region": "local"})).await;
    assert_eq!(message(&denied, 403), "Forbidden");

    // Another operator can neither delete nor (naming its own org) reach
    // this org's code.
    assert_eq!(message(&ctrl(&server, "DeleteOperatorCode", &otto, &code("310260", "tmus")).await, 403), "Forbidden");
    assert_eq!(
        message(&ctrl(&server, "DeleteOperatorCode", &otto, &code("310260", "att")).await, 400),
        "OperatorCode key 310260 not found"
    );
    empty_result(&ctrl(&server, "DeleteOperatorCode", &olga, &code("310260", "tmus")).await);
    assert!(shown(&server, &olga, json!({})).await.is_empty());
});

on_both_databases!(mc_operator_codes_refuse_bad_input_in_the_originals_order_and_words, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "tmus", "olga").await;
    let refused = |op: &'static str, token: String, body: Value| {
        let server = &server;
        async move { message(&ctrl(server, op, &token, &body).await, 400) }
    };
    assert_eq!(refused("CreateOperatorCode", olga.clone(), code("", "tmus")).await, "No code specified");
    // An empty org is the empty org: only admins pass, then the Controller refuses.
    assert_eq!(message(&ctrl(&server, "CreateOperatorCode", &olga, &code("1", "")).await, 403), "Forbidden");
    assert_eq!(refused("CreateOperatorCode", admin.clone(), code("1", "")).await, "No organization specified");
    let mut no_region = code("1", "tmus");
    no_region["Region"] = json!("");
    assert_eq!(refused("CreateOperatorCode", olga.clone(), no_region).await, "No region specified");
    // The org must exist and be an operator org (admins learn which).
    assert_eq!(refused("CreateOperatorCode", admin.clone(), code("1", "ghost")).await, "Org ghost not found");
    assert_eq!(
        refused("CreateOperatorCode", admin.clone(), code("1", "TMUS")).await,
        "Org TMUS lookup failed: lookup TMUS but found tmus"
    );
    create_org(&server, &admin, "devco", "developer").await;
    assert_eq!(
        refused("CreateOperatorCode", admin.clone(), code("1", "devco")).await,
        "Operation for org devco only allowed for orgs of type operator"
    );
    empty_result(&ctrl(&server, "CreateOperatorCode", &olga, &code("310260", "tmus")).await);
    assert_eq!(refused("CreateOperatorCode", olga.clone(), code("310260", "tmus")).await, "Key 310260 already exists");
    assert_eq!(
        refused("DeleteOperatorCode", olga.clone(), code("999", "tmus")).await,
        "OperatorCode key 999 not found"
    );
    assert_eq!(
        refused("CreateOperatorCode", olga.clone(), json!({"Region": "local", "OperatorCode": {"code": 5}})).await,
        "Invalid JSON data: Unmarshal error: expected string, but got number for field \"code\""
    );
    // No token: 401.
    let reply = call(&server, "/auth/ctrl/CreateOperatorCode", None, Some(&code("1", "tmus"))).await;
    assert_eq!(message(&reply, 401), "No bearer token found");
});

on_both_databases!(mc_operator_codes_racing_creates_of_one_code_create_it_once, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "tmus", "olga").await;
    let attempts = (0..5).map(|_| {
        let (server, olga) = (&server, olga.clone());
        async move { ctrl(server, "CreateOperatorCode", &olga, &code("310260", "tmus")).await }
    });
    let replies = futures_util::future::join_all(attempts).await;
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(message(reply, 400), "Key 310260 already exists");
    }
});

on_both_databases!(mc_an_org_owning_regional_objects_cannot_be_deleted, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "tmus", "olga").await;
    empty_result(&ctrl(&server, "CreateOperatorCode", &olga, &code("310260", "tmus")).await);
    let eu = json!({"Region": "EU", "Address": "ctrl-eu:55001"});
    assert_eq!(
        message(&call(&server, "/auth/controller/create", Some(&admin), Some(&eu)).await, 200),
        "Controller registered"
    );
    let mut in_eu = code("310261", "tmus");
    in_eu["Region"] = json!("EU");
    empty_result(&ctrl(&server, "CreateOperatorCode", &olga, &in_eu).await);
    let org = json!({"Name": "tmus"});
    assert_eq!(
        message(&call(&server, "/auth/org/delete", Some(&admin), Some(&org)).await, 400),
        "Organization tmus in use or check failed: region EU: in use by some OperatorCode; region local: in use by some OperatorCode"
    );
    for (region, number) in [("local", "310260"), ("EU", "310261")] {
        let mut body = code(number, "tmus");
        body["Region"] = json!(region);
        empty_result(&ctrl(&server, "DeleteOperatorCode", &olga, &body).await);
    }
    assert_eq!(
        message(&call(&server, "/auth/org/delete", Some(&admin), Some(&org)).await, 200),
        "Organization deleted"
    );
});

on_both_databases!(mc_an_org_delete_racing_a_regional_create_leaves_no_orphan, |server| {
    let admin = admin(&server).await;
    for round in 0..4 {
        let org = format!("op{round}");
        create_org(&server, &admin, &org, "operator").await;
        let body = code(&format!("c{round}"), &org);
        let doomed = json!({"Name": org});
        let (create, delete) = futures_util::join!(
            ctrl(&server, "CreateOperatorCode", &admin, &body),
            call(&server, "/auth/org/delete", Some(&admin), Some(&doomed))
        );
        let codes = shown(&server, &admin, json!({"organization": org})).await;
        match (create.status, delete.status) {
            // The code landed first: the org stays.
            (200, 400) => assert_eq!(codes.len(), 1),
            // The org went first: the create found no org.
            (400, 200) => {
                assert!(codes.is_empty());
                assert_eq!(message(&create, 400), format!("Org {org} not found"));
            }
            other => panic!("round {round}: {other:?}: {} / {}", create.body, delete.body),
        }
    }
});
