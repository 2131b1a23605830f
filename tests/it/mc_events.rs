//! MC events (`/auth/events/{show,find,terms}`): the audit log MC keeps of
//! its requests, made by real traffic and searched as the original does.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

async fn events(server: &TestServer, op: &str, token: &str, search: Value) -> Value {
    let reply = call(server, &format!("/auth/events/{op}"), Some(token), Some(&search)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn names(events: &Value) -> Vec<String> {
    events.as_array().into_iter().flatten().map(|event| event["name"].as_str().unwrap_or("").to_owned()).collect()
}

on_both_databases!(mc_events_record_mcs_requests_and_show_them_newest_first, |server| {
    let admin = admin(&server).await;
    create_org(&server, &admin, "acme", "developer").await;
    let dev = user(&server, "dev").await;
    add_role(&server, &admin, "acme", "dev", "DeveloperContributor").await;
    let nobody = user(&server, "nobody").await;
    // A failed change, a show (not recorded), a failed show (recorded), a
    // forbidden show (not recorded).
    let refused = call(&server, "/auth/org/create", Some(&admin), Some(&json!({"Name": "bad name!"}))).await;
    assert_eq!(refused.status, 400);
    assert_eq!(call(&server, "/auth/org/show", Some(&admin), Some(&json!({}))).await.status, 200);
    assert_eq!(call(&server, "/auth/org/show", Some(&admin), Some(&json!([1]))).await.status, 400);
    assert_eq!(call(&server, "/auth/events/show", Some(&nobody), Some(&json!({}))).await.status, 403);

    let all = events(&server, "show", &admin, json!({"limit": 50})).await;
    let seen = names(&all);
    assert_eq!(seen.first().map(String::as_str), Some("ShowOrg"), "{seen:?}");
    assert_eq!(seen.iter().filter(|name| *name == "CreateOrg").count(), 2, "{seen:?}");
    assert!(
        seen.contains(&"Login".to_owned())
            && seen.contains(&"CreateUser".to_owned())
            && seen.contains(&"AddUserRole".to_owned())
    );
    assert!(!seen.contains(&"ShowEvents".to_owned()), "a forbidden show is not recorded: {seen:?}");
    assert_eq!(seen.iter().filter(|name| *name == "ShowOrg").count(), 1, "{seen:?}");
    // Timestamps newest first.
    let stamps: Vec<&str> = all.as_array().unwrap().iter().map(|e| e["timestamp"].as_str().unwrap()).collect();
    let mut sorted = stamps.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(stamps.len(), sorted.len());

    // The record's shape: the org, the request and answer, no secrets.
    let created = events(&server, "show", &admin, json!({"match": {"names": ["CreateOrg"], "orgs": ["acme"]}})).await;
    let event = &created[0];
    assert_eq!(event["org"], json!(["acme"]));
    assert_eq!(event["type"], "audit");
    let tags = &event["mtags"];
    assert_eq!(tags["status"], "200");
    assert_eq!(tags["method"], "POST");
    assert_eq!(tags["localuri"], "/api/v1/auth/org/create");
    assert_eq!(tags["username"], "mexadmin");
    assert_eq!(tags["response"], r#"{"message":"Organization created"}"#);
    assert!(tags["reqheaders"].as_str().unwrap().contains(r#""Authorization":"****""#));
    assert!(event.get("error").is_none());
    let failed = events(&server, "show", &admin, json!({"match": {"failed": true, "names": ["CreateOrg"]}})).await;
    assert_eq!(failed[0]["mtags"]["status"], "400");
    assert_eq!(failed[0]["error"], "Name can only contain letters, digits, _ . -");
    let logins = events(&server, "show", &admin, json!({"match": {"names": ["Login"]}, "limit": 20})).await;
    assert!(!logins.to_string().contains(STRONG) && logins.to_string().contains("***"));
    let signups = events(&server, "show", &admin, json!({"match": {"names": ["CreateUser"]}})).await;
    assert!(!signups.to_string().contains(STRONG));

    // Criteria: wildcards, notmatch, tags by words, paging.
    assert_eq!(names(&events(&server, "show", &admin, json!({"match": {"names": ["*Role"]}})).await), ["AddUserRole"]);
    assert!(
        events(&server, "show", &admin, json!({"match": {"names": ["create"]}})).await.as_array().unwrap().is_empty()
    );
    let without_logins =
        events(&server, "show", &admin, json!({"notmatch": {"names": ["Login", "CreateUser"]}, "limit": 50})).await;
    assert!(!names(&without_logins).iter().any(|name| name == "Login" || name == "CreateUser"));
    let by_tag = events(&server, "show", &admin, json!({"match": {"tags": {"localuri": "org create"}}})).await;
    assert_eq!(names(&by_tag), ["CreateOrg", "CreateOrg"]);
    let error_words = events(&server, "show", &admin, json!({"match": {"error": "DIGITS letters"}})).await;
    assert_eq!(names(&error_words), ["CreateOrg"]);
    // Regional requests carry their object's key tags and region.
    let flavor = json!({"Region": "local", "Flavor": {"key": {"name": "m4.tiny"}, "ram": 512, "vcpus": 1, "disk": 1}});
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor).await);
    let tagged =
        events(&server, "show", &admin, json!({"match": {"tags": {"flavor": "m4.tiny", "region": "local"}}})).await;
    assert_eq!(names(&tagged), ["CreateFlavor"]);
    let page = events(&server, "show", &admin, json!({"from": 2, "limit": 2})).await;
    assert_eq!(names(&page), seen[1..3]);

    // A member sees acme's events from acme's creation on, never the
    // platform's, and cannot widen that by naming other orgs.
    let mine = events(&server, "show", &dev, json!({"limit": 50})).await;
    let mine_names = names(&mine);
    assert!(mine_names.contains(&"CreateOrg".to_owned()) && mine_names.contains(&"AddUserRole".to_owned()));
    assert!(mine.as_array().unwrap().iter().all(|event| event["org"] == json!(["acme"])), "{mine}");
    let widened = events(&server, "show", &dev, json!({"allowedorgs": ["other", ""], "limit": 50})).await;
    assert!(widened.as_array().unwrap().is_empty(), "{widened}");
});

on_both_databases!(mc_events_find_ranks_and_terms_count, |server| {
    let admin = admin(&server).await;
    create_org(&server, &admin, "acme", "developer").await;
    create_org(&server, &admin, "zeta", "operator").await;
    let delete = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "zeta"}))).await;
    assert_eq!(delete.status, 200, "{}", delete.body);

    // find: every event, the best match first.
    let found =
        events(&server, "find", &admin, json!({"match": {"names": ["DeleteOrg"], "orgs": ["zeta"]}, "limit": 50}))
            .await;
    let ranked = names(&found);
    assert_eq!(ranked[0], "DeleteOrg");
    assert_eq!(ranked[1], "CreateOrg");
    assert_eq!(found[1]["org"], json!(["zeta"]));
    assert!(ranked.len() >= 4, "everything in the window comes back: {ranked:?}");

    // terms: counts per field, most frequent first, then by key.
    let terms = events(&server, "terms", &admin, json!({})).await;
    let org_counts = terms["orgs"].as_array().unwrap();
    assert!(org_counts.contains(&json!({"key": "zeta", "count": 2})), "{terms}");
    assert!(org_counts.contains(&json!({"key": "acme", "count": 1})), "{terms}");
    assert_eq!(terms["types"], json!([{"key": "audit", "count": terms["types"][0]["count"]}]));
    assert!(terms.get("regions").is_none(), "no region, no field: {terms}");
    let counts: Vec<i64> = org_counts.iter().map(|bucket| bucket["count"].as_i64().unwrap()).collect();
    assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "{counts:?}");
    let keys: Vec<&str> = terms["tagkeys"].as_array().unwrap().iter().map(|b| b["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"status") && keys.contains(&"method"), "{keys:?}");
    let limited = events(&server, "terms", &admin, json!({"limit": 1})).await;
    assert_eq!(limited["orgs"].as_array().unwrap().len(), 1);
    assert_eq!(limited["tagkeys"].as_array().unwrap().len(), 2);
    // A window before anything happened: nothing, so no fields.
    let empty = events(
        &server,
        "terms",
        &admin,
        json!({"starttime": "2001-01-01T00:00:00Z", "endtime": "2001-01-02T00:00:00Z"}),
    )
    .await;
    assert_eq!(empty, json!({}));

    // A new org of a deleted one's name does not inherit its events.
    create_org(&server, &admin, "zeta", "developer").await;
    let dev = user(&server, "dev").await;
    add_role(&server, &admin, "zeta", "dev", "DeveloperViewer").await;
    let theirs = names(&events(&server, "show", &dev, json!({"limit": 50})).await);
    assert_eq!(theirs, ["AddUserRole", "CreateOrg"], "{theirs:?}");
});

on_both_databases!(mc_events_refuse_bad_searches, |server| {
    let admin = admin(&server).await;
    let refused = |op: &'static str, body: Value| {
        let (server, admin) = (&server, admin.clone());
        async move { message(&call(server, &format!("/auth/events/{op}"), Some(&admin), Some(&body)).await, 400) }
    };
    for op in ["show", "find", "terms"] {
        assert_eq!(
            refused(op, json!({"starttime": "2026-01-01T00:00:00Z", "startage": "1h"})).await,
            "May only specify one of start time or start age"
        );
        assert_eq!(
            refused(op, json!({"startage": "1h", "endage": "2h"})).await,
            "Start age must be before (older than) end age"
        );
        assert!(
            refused(op, json!({"startage": "5x"}))
                .await
                .contains(r#"expected duration, but got string 5x for field "startage""#)
        );
        assert!(
            refused(op, json!({"endtime": "yesterday"}))
                .await
                .starts_with(r#"Invalid JSON data: Unmarshal time "yesterday" failed"#)
        );
        assert!(
            refused(op, json!({"match": {"tags": {"cloudlet": "dmuus-*"}}}))
                .await
                .starts_with("For wildcard matching, don't use '-'")
        );
        assert!(refused(op, json!({"limit": -1})).await.contains("cannot be negative") || op == "terms");
        let empty = call(&server, &format!("/auth/events/{op}"), Some(&admin), None).await;
        assert_eq!(message(&empty, 400), "Request body can't be empty");
        let anonymous = call(&server, &format!("/auth/events/{op}"), None, Some(&json!({}))).await;
        assert_eq!(message(&anonymous, 401), "No bearer token found");
    }
    assert_eq!(
        refused("show", json!({"from": 9995, "limit": 10})).await,
        "Result window is too large, from + size must be less than or equal to: [10000]"
    );
    // Go clients send zero times and ages for "not set" (MC's client has no
    // omitempty on them): the default window.
    let go_client = json!({"starttime": "0001-01-01T00:00:00Z", "endtime": "0001-01-01T00:00:00Z", "startage": "0s", "endage": "0s",
        "match": {"names": ["Login"]}});
    assert!(!events(&server, "show", &admin, go_client).await.as_array().unwrap().is_empty());
    // Refused searches are recorded (a 400 of a show), forbidden ones not.
    let failed =
        events(&server, "show", &admin, json!({"match": {"names": ["ShowEvents"], "failed": true}, "limit": 50})).await;
    assert!(!failed.as_array().unwrap().is_empty());
});
