//! MC flavors (`/auth/ctrl/*Flavor*`), as MC and its regional Controller
//! answer them: admins manage, anyone logged in lists, shows stream.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

fn flavor(name: &str) -> Value {
    json!({"Region": "local", "Flavor": {"key": {"name": name}, "ram": 4096, "vcpus": 2, "disk": 40}})
}

async fn names(server: &TestServer, token: &str, filter: Value) -> Vec<String> {
    let reply = ctrl(server, "ShowFlavor", token, &json!({"Region": "local", "Flavor": filter})).await;
    stream_data(&reply).iter().map(|f| f["key"]["name"].as_str().unwrap_or_default().to_owned()).collect()
}

on_both_databases!(mc_flavors_create_show_change_resources_and_delete, |server| {
    let admin = admin(&server).await;
    // No flavors yet: an empty 200, no lines.
    let none = ctrl(&server, "ShowFlavor", &admin, &json!({"Region": "local"})).await;
    assert_eq!((none.status, none.body.as_str()), (200, ""));

    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor("m4.small")).await);
    let mut gpu = flavor("g1.large");
    gpu["Flavor"]["opt_res_map"] = json!({"gpu": "pci:T4:1"});
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &gpu).await);

    let developer = user(&server, "dora").await;
    let shown = ctrl(&server, "ShowFlavor", &developer, &json!({"Region": "local", "Flavor": {}})).await;
    assert_eq!(
        shown.body,
        "{\"data\":{\"key\":{\"name\":\"g1.large\"},\"ram\":4096,\"vcpus\":2,\"disk\":40,\"opt_res_map\":{\"gpu\":\"pci:T4:1\"}}}\n\
         {\"data\":{\"key\":{\"name\":\"m4.small\"},\"ram\":4096,\"vcpus\":2,\"disk\":40}}\n"
    );
    // Filters match every non-zero field given; keys in any case.
    assert_eq!(names(&server, &developer, json!({"KEY": {"Name": "m4.small"}})).await, ["m4.small"]);
    assert_eq!(names(&server, &developer, json!({"opt_res_map": {"gpu": "pci:T4:1"}})).await, ["g1.large"]);
    assert_eq!(names(&server, &developer, json!({"ram": 0, "vcpus": 2})).await, ["g1.large", "m4.small"]);
    assert!(names(&server, &developer, json!({"disk": 41})).await.is_empty());

    // Optional resources: added (merged), then removed by name.
    let add = json!({"Region": "local", "Flavor": {"key": {"name": "m4.small"}, "opt_res_map": {"NAS": "nfs:1", "gpu": "gpu:2"}}});
    empty_result(&ctrl(&server, "AddFlavorRes", &admin, &add).await);
    let small = &stream_data(
        &ctrl(&server, "ShowFlavor", &admin, &json!({"Region": "local", "Flavor": {"key": {"name": "m4.small"}}}))
            .await,
    )[0];
    assert_eq!(small["opt_res_map"], json!({"NAS": "nfs:1", "gpu": "gpu:2"}));
    let remove =
        json!({"Region": "local", "Flavor": {"key": {"name": "m4.small"}, "opt_res_map": {"NAS": "", "nic": ""}}});
    empty_result(&ctrl(&server, "RemoveFlavorRes", &admin, &remove).await);
    let small = &stream_data(
        &ctrl(&server, "ShowFlavor", &admin, &json!({"Region": "local", "Flavor": {"key": {"name": "m4.small"}}}))
            .await,
    )[0];
    assert_eq!(small["opt_res_map"], json!({"gpu": "gpu:2"}));

    empty_result(
        &ctrl(&server, "DeleteFlavor", &admin, &json!({"Region": "local", "Flavor": {"key": {"name": "m4.small"}}}))
            .await,
    );
    assert_eq!(names(&server, &admin, json!({})).await, ["g1.large"]);
    // Regions hold their own flavors.
    let eu = json!({"Region": "EU", "Address": "ctrl-eu:55001"});
    assert_eq!(
        message(&call(&server, "/auth/controller/create", Some(&admin), Some(&eu)).await, 200),
        "Controller registered"
    );
    let mut in_eu = flavor("g1.large");
    in_eu["Region"] = json!("EU");
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &in_eu).await);
    let eu_show = ctrl(&server, "ShowFlavor", &admin, &json!({"Region": "EU"})).await;
    assert_eq!(stream_data(&eu_show).len(), 1);
});

on_both_databases!(mc_flavors_refuse_bad_input_in_the_originals_order_and_words, |server| {
    let admin = admin(&server).await;
    let refused = |op: &'static str, body: Value| {
        let (server, admin) = (&server, admin.clone());
        async move { message(&ctrl(server, op, &admin, &body).await, 400) }
    };
    let with = |changes: Value| {
        let mut body = flavor("m4.small");
        for (name, value) in changes.as_object().unwrap() {
            body["Flavor"][name] = value.clone();
        }
        body
    };
    assert_eq!(refused("CreateFlavor", json!({"Flavor": {}})).await, "No region specified");
    assert_eq!(refused("CreateFlavor", json!({"Region": "mars", "Flavor": {}})).await, "Region \"mars\" not found");
    assert_eq!(refused("CreateFlavor", with(json!({"key": {"name": "-bad"}}))).await, "Invalid flavor name");
    assert_eq!(refused("CreateFlavor", json!({"Region": "local"})).await, "Invalid flavor name");
    assert_eq!(refused("CreateFlavor", with(json!({"ram": 0}))).await, "Ram cannot be 0");
    assert_eq!(refused("CreateFlavor", with(json!({"vcpus": 0}))).await, "Vcpus cannot be 0");
    assert_eq!(refused("CreateFlavor", with(json!({"disk": 0}))).await, "Disk cannot be 0");
    assert_eq!(
        refused("CreateFlavor", with(json!({"opt_res_map": {"nas": "nfs:1"}}))).await,
        "Only GPU resources currently supported, use optresmap=gpu=$resource:[$specifier:]$count found nas"
    );
    assert_eq!(
        refused("CreateFlavor", with(json!({"opt_res_map": {"gpu": "gpu"}}))).await,
        "Missing manditory resource count, ex: optresmap=gpu=gpu:1"
    );
    assert_eq!(
        refused("CreateFlavor", with(json!({"delete_prepare": true}))).await,
        "Invalid field specified: DeletePrepare, this field is only for internal use"
    );
    assert_eq!(
        refused("CreateFlavor", with(json!({"ram": "lots"}))).await,
        "Invalid JSON data: Unmarshal error: expected uint64, but got string for field \"ram\""
    );
    assert_eq!(
        refused("CreateFlavor", with(json!({"ram": -1}))).await,
        "Invalid JSON data: Unmarshal error: expected uint64, but got number for field \"ram\""
    );
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor("m4.small")).await);
    assert_eq!(refused("CreateFlavor", flavor("m4.small")).await, "Flavor key {\"name\":\"m4.small\"} already exists");

    let missing = json!({"Region": "local", "Flavor": {"key": {"name": "nope"}}});
    assert_eq!(refused("DeleteFlavor", missing.clone()).await, "Flavor key {\"name\":\"nope\"} not found");
    assert_eq!(refused("DeleteFlavor", json!({"Region": "local"})).await, "Flavor key {} not found");
    assert_eq!(refused("AddFlavorRes", missing.clone()).await, "Flavor key {\"name\":\"nope\"} not found");
    assert_eq!(refused("RemoveFlavorRes", missing).await, "Flavor key {\"name\":\"nope\"} not found");
    assert_eq!(
        refused(
            "AddFlavorRes",
            json!({"Region": "local", "Flavor": {"key": {"name": "m4.small"}, "opt_res_map": {"disk": "1"}}})
        )
        .await,
        "Invalid resource name disk found, must be one of [gpu nas nic] "
    );
    assert_eq!(refused("UpdateFlavor", flavor("m4.small")).await, "Update Flavor not supported");
    assert_eq!(refused("UpdateFlavor", json!({"Region": "local"})).await, "Invalid object data for Flavor");
    // Before the rights, as MC computes an update's fields first.
    let nobody = user(&server, "nobody").await;
    assert_eq!(
        message(&ctrl(&server, "UpdateFlavor", &nobody, &json!({"Region": "local"})).await, 400),
        "Invalid object data for Flavor"
    );

    // MC reads regional bodies whatever their Content-Type; an empty one
    // is a syntax error, not "Request body can't be empty".
    let raw = |body: &'static str, content_type: &'static str| {
        let request = server
            .client
            .post(server.url("/api/v1/auth/ctrl/CreateFlavor"))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body);
        crate::scalelite_client::send(request)
    };
    assert_eq!(
        message(&raw("", "application/json").await, 400),
        "Invalid JSON data: Syntax error at offset 0, unexpected end of JSON input"
    );
    assert_eq!(
        message(&raw("{\"Region\":", "text/plain").await, 400),
        "Invalid JSON data: Syntax error at offset 10, unexpected end of JSON input"
    );
    let plain =
        raw(r#"{"region":"local","flavor":{"key":{"name":"t1"},"ram":1,"vcpus":1,"disk":1}}"#, "text/plain").await;
    empty_result(&plain);
});

on_both_databases!(mc_flavors_are_managed_by_admins_and_listed_by_anyone_logged_in, |server| {
    let admin = admin(&server).await;
    create_org(&server, &admin, "opco", "operator").await;
    create_org(&server, &admin, "devco", "developer").await;
    let cases =
        [("olga", "opco", "OperatorManager"), ("dave", "devco", "DeveloperManager"), ("avery", "", "AdminViewer")];
    for (name, org, role) in cases {
        create_user(&server, name).await;
        add_role(&server, &admin, org, name, role).await;
        let token = login(&server, name, STRONG).await;
        for op in ["CreateFlavor", "DeleteFlavor", "UpdateFlavor", "AddFlavorRes", "RemoveFlavorRes"] {
            assert_eq!(message(&ctrl(&server, op, &token, &flavor("x1")).await, 403), "Forbidden", "{name} {op}");
        }
        // Internal-only fields are refused before the rights are checked.
        let mut internal = flavor("x1");
        internal["Flavor"]["delete_prepare"] = json!(true);
        assert_eq!(
            message(&ctrl(&server, "CreateFlavor", &token, &internal).await, 400),
            "Invalid field specified: DeletePrepare, this field is only for internal use"
        );
        // The rights are checked before the region.
        assert_eq!(message(&ctrl(&server, "CreateFlavor", &token, &json!({})).await, 403), "Forbidden");
        assert_eq!(stream_data(&ctrl(&server, "ShowFlavor", &token, &json!({"Region": "local"})).await).len(), 0);
    }
    create_user(&server, "max").await;
    add_role(&server, &admin, "", "max", "AdminManager").await;
    let max = login(&server, "max", STRONG).await;
    empty_result(&ctrl(&server, "CreateFlavor", &max, &flavor("x1")).await);
    // No token: MC's 401, for a show too.
    for op in ["CreateFlavor", "ShowFlavor"] {
        let reply = call(&server, &format!("/auth/ctrl/{op}"), None, Some(&flavor("x1"))).await;
        assert_eq!(message(&reply, 401), "No bearer token found");
    }
});

on_both_databases!(mc_flavors_racing_creates_of_one_name_create_it_once, |server| {
    let admin = admin(&server).await;
    let attempts = (0..6).map(|i| {
        let mut body = flavor("race");
        body["Flavor"]["ram"] = json!(1024 * (i + 1));
        let (server, admin) = (&server, admin.clone());
        async move { ctrl(server, "CreateFlavor", &admin, &body).await }
    });
    let replies = futures_util::future::join_all(attempts).await;
    assert_eq!(
        replies.iter().filter(|r| r.status == 200).count(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(message(reply, 400), "Flavor key {\"name\":\"race\"} already exists");
    }
    // Racing resource additions all land (each is one transaction on the row).
    let adds = ["gpu", "nas", "nic"].map(|name| {
        let body = json!({"Region": "local", "Flavor": {"key": {"name": "race"}, "opt_res_map": {name: "x:1"}}});
        let (server, admin) = (&server, admin.clone());
        async move { ctrl(server, "AddFlavorRes", &admin, &body).await }
    });
    for reply in futures_util::future::join_all(adds).await {
        empty_result(&reply);
    }
    let shown = stream_data(&ctrl(&server, "ShowFlavor", &admin, &json!({"Region": "local"})).await);
    assert_eq!(shown[0]["opt_res_map"], json!({"gpu": "x:1", "nas": "x:1", "nic": "x:1"}));
});
