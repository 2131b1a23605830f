//! MC's regions (`/auth/controller/*`), as MC's ctrl.go answers them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

async fn show(server: &TestServer, token: &str, filter: Option<Value>) -> Value {
    let reply = call(server, "/auth/controller/show", Some(token), filter.as_ref()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn regions(shown: &Value) -> Vec<&str> {
    shown.as_array().unwrap().iter().map(|c| c["Region"].as_str().unwrap()).collect()
}

on_both_databases!(mc_controllers_register_show_update_and_deregister, |server| {
    let admin = admin(&server).await;
    // STEWARD_MC_REGIONS' default, registered at start.
    let at_start = show(&server, &admin, None).await;
    assert_eq!(at_start[0]["Region"], "local");
    assert_eq!(at_start[0]["Address"], "inprocess:local");
    assert_eq!(at_start[0]["DnsRegion"], "local");

    let body = json!({"Region": "US_West", "Address": "ctrl-usw:55001", "InfluxDB": "https://influx:8086",
        "DnsRegion": "ignored"});
    let created = call(&server, "/auth/controller/create", Some(&admin), Some(&body)).await;
    assert_eq!(message(&created, 200), "Controller registered");
    let shown = show(&server, &admin, Some(json!({"Region": "US_West"}))).await;
    assert_eq!(shown.as_array().unwrap().len(), 1);
    let usw = &shown[0];
    assert_eq!((usw["Address"].as_str(), usw["DnsRegion"].as_str()), (Some("ctrl-usw:55001"), Some("us-west")));
    assert_eq!(usw["InfluxDB"], "https://influx:8086");
    assert!(usw.get("NotifyAddr").is_none(), "empty fields are left out, as Go's omitempty does: {usw}");
    assert!(usw["CreatedAt"].as_str().unwrap().starts_with("20"), "{usw}");

    // Only the fields sent change.
    let update = json!({"Region": "US_West", "ThanosMetrics": "https://thanos:29090"});
    let updated = call(&server, "/auth/controller/update", Some(&admin), Some(&update)).await;
    assert_eq!(message(&updated, 200), "Controller updated");
    let usw = &show(&server, &admin, Some(json!({"Region": "US_West"}))).await[0];
    assert_eq!(
        (usw["ThanosMetrics"].as_str(), usw["InfluxDB"].as_str()),
        (Some("https://thanos:29090"), Some("https://influx:8086"))
    );
    // Admins filter on any field; an empty value matches only empty fields.
    assert_eq!(regions(&show(&server, &admin, Some(json!({"address": "ctrl-usw:55001"}))).await), ["US_West"]);
    assert_eq!(regions(&show(&server, &admin, Some(json!({"Region": ""}))).await), Vec::<&str>::new());

    // Everyone else sees the region names only, and filters by region only.
    let developer = user(&server, "dora").await;
    let seen = show(&server, &developer, Some(json!({"Address": "ctrl-usw:55001"}))).await;
    assert_eq!(regions(&seen), ["US_West", "local"]);
    assert_eq!(
        seen[0],
        json!({"Region": "US_West", "CreatedAt": "0001-01-01T00:00:00Z", "UpdatedAt": "0001-01-01T00:00:00Z"})
    );

    let deleted = call(&server, "/auth/controller/delete", Some(&admin), Some(&json!({"Region": "US_West"}))).await;
    assert_eq!(message(&deleted, 200), "Controller deregistered");
    assert_eq!(regions(&show(&server, &admin, None).await), ["local"]);
    // As MC: deregistering what is not registered succeeds.
    let again = call(&server, "/auth/controller/delete", Some(&admin), Some(&json!({"Region": "US_West"}))).await;
    assert_eq!(message(&again, 200), "Controller deregistered");
});

on_both_databases!(mc_controllers_refuse_bad_input_in_mcs_order_and_words, |server| {
    let admin = admin(&server).await;
    let create = |body: Value| {
        let (server, admin) = (&server, admin.clone());
        async move { message(&call(server, "/auth/controller/create", Some(&admin), Some(&body)).await, 400) }
    };
    assert_eq!(create(json!({"Address": "a:1"})).await, "Controller Region not specified");
    assert_eq!(create(json!({"Region": "US-West", "Address": "a:1"})).await, "Region cannot contain '-'");
    assert_eq!(create(json!({"Region": "EU"})).await, "Controller Address not specified");
    assert_eq!(
        create(json!({"Region": "EuropeWest1", "Address": "a:1"})).await,
        r#"DNS sanitized region label "europewest1" derived from the region name "EuropeWest1" must be less than 10 characters"#
    );
    assert_eq!(
        message(
            &call(&server, "/auth/controller/create", Some(&admin), Some(&json!({"Region": "EU", "Address": "a:1"})))
                .await,
            200
        ),
        "Controller registered"
    );
    assert_eq!(
        create(json!({"Region": "EU", "Address": "b:1"})).await,
        r#"Database error, pq: duplicate key value violates unique constraint "controllers_pkey""#
    );
    assert_eq!(
        create(json!({"Region": "US", "Address": "a:1"})).await,
        r#"Database error, pq: duplicate key value violates unique constraint "controllers_address_key""#
    );
    assert_eq!(
        create(json!({"Region": "_eu", "Address": "c:1"})).await,
        r#"DNS sanitized region name "eu" conflicts with an existing DNS region name, please choose a different region name"#
    );
    let update = |body: Value| {
        let (server, admin) = (&server, admin.clone());
        async move { message(&call(server, "/auth/controller/update", Some(&admin), Some(&body)).await, 400) }
    };
    assert_eq!(update(json!({"Address": "a:1"})).await, "Controller Region not specified");
    assert_eq!(update(json!({"Region": "Mars"})).await, r#"Region "Mars" not found"#);
    assert_eq!(update(json!({"Region": "EU", "Address": ""})).await, "Controller Address not specified");
    // A region whose DNS label is empty takes no part in an address change.
    let blank = json!({"Region": "!!", "Address": "blank:1"});
    assert_eq!(
        message(&call(&server, "/auth/controller/create", Some(&admin), Some(&blank)).await, 200),
        "Controller registered"
    );
    let moved =
        call(&server, "/auth/controller/update", Some(&admin), Some(&json!({"Region": "EU", "Address": "d:1"}))).await;
    assert_eq!(message(&moved, 200), "Controller updated");
    assert_eq!(
        update(json!({"Region": "EU", "Address": "blank:1"})).await,
        r#"Database error, pq: duplicate key value violates unique constraint "controllers_address_key""#
    );
    let delete = call(&server, "/auth/controller/delete", Some(&admin), Some(&json!({}))).await;
    assert_eq!(message(&delete, 400), "Controller Region not specified");
    let filter = call(&server, "/auth/controller/show", Some(&admin), Some(&json!({"Name": "EU"}))).await;
    assert_eq!(
        message(&filter, 400),
        "Failed to parse input data: JSON field Name not found in database object Controller"
    );
    let empty = send_raw(&server, &admin, "").await;
    assert_eq!(message(&empty, 400), "Request body can't be empty");
});

async fn send_raw(server: &TestServer, token: &str, body: &str) -> crate::scalelite_client::Reply {
    let request = server
        .client
        .post(server.url("/api/v1/auth/controller/create"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned());
    crate::scalelite_client::send(request).await
}

on_both_databases!(mc_controllers_need_a_login_and_controllers_manage_platform_wide, |server| {
    let admin = admin(&server).await;
    let body = json!({"Region": "EU", "Address": "a:1"});
    let anonymous = call(&server, "/auth/controller/create", None, Some(&body)).await;
    assert_eq!(message(&anonymous, 401), "No bearer token found");
    let anonymous_show = call(&server, "/auth/controller/show", None, None).await;
    assert_eq!(message(&anonymous_show, 401), "No bearer token found");
    // An operator manager and an admin viewer hold no controllers:manage.
    create_org(&server, &admin, "opco", "operator").await;
    create_user(&server, "olga").await;
    add_role(&server, &admin, "opco", "olga", "OperatorManager").await;
    create_user(&server, "avery").await;
    add_role(&server, &admin, "", "avery", "AdminViewer").await;
    for name in ["olga", "avery"] {
        let token = login(&server, name, STRONG).await;
        for path in ["/auth/controller/create", "/auth/controller/update", "/auth/controller/delete"] {
            let reply = call(&server, path, Some(&token), Some(&body)).await;
            assert_eq!(message(&reply, 403), "Forbidden", "{name} {path}");
        }
        // The body is checked before the rights, as MC does.
        let bad = call(&server, "/auth/controller/create", Some(&token), Some(&json!({}))).await;
        assert_eq!(message(&bad, 400), "Controller Region not specified");
    }
    // An AdminManager granted by the superuser may.
    create_user(&server, "max").await;
    add_role(&server, &admin, "", "max", "AdminManager").await;
    let max = login(&server, "max", STRONG).await;
    let created = call(&server, "/auth/controller/create", Some(&max), Some(&body)).await;
    assert_eq!(message(&created, 200), "Controller registered");
});

on_both_databases!(mc_controllers_racing_registrations_of_one_region_register_it_once, |server| {
    let admin = admin(&server).await;
    let attempts = (0..6).map(|i| {
        let body = json!({"Region": "EU", "Address": format!("ctrl-{i}:55001")});
        let (server, admin) = (&server, admin.clone());
        async move { call(server, "/auth/controller/create", Some(&admin), Some(&body)).await }
    });
    let replies = futures_util::future::join_all(attempts).await;
    let registered = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(registered, 1, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(
            message(reply, 400),
            r#"Database error, pq: duplicate key value violates unique constraint "controllers_pkey""#
        );
    }
    assert_eq!(regions(&show(&server, &admin, Some(json!({"Region": "EU"}))).await), ["EU"]);
});
