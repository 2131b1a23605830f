//! ARGO web-api tenants admin, with the bodies ARGO's tests compare byte
//! for byte.

use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::harness::{ARGO_KEY, TestServer};
use crate::on_both_databases;
use crate::scalelite_client::{Reply, send};

const RESTRICTED: &str = "R3STRICT3D";
const UI: &str = "ADM1NU1";

const NOT_FOUND: &str = "{\n \"status\": {\n  \"message\": \"Not Found\",\n  \"code\": \"404\"\n },\n \"errors\": [\n  {\n   \"message\": \"Not Found\",\n   \"code\": \"404\",\n   \"details\": \"item with the specific ID was not found on the server\"\n  }\n ]\n}";
const USER_NOT_FOUND: &str = "{\n \"status\": {\n  \"message\": \"Not Found\",\n  \"code\": \"404\",\n  \"details\": \"item with the specific ID was not found on the server\"\n }\n}";
const UNAUTHORIZED: &str = "{\n \"status\": {\n  \"message\": \"Unauthorized\",\n  \"code\": \"401\",\n  \"details\": \"You need to provide a correct authentication token using the header 'x-api-key'\"\n }\n}";
const FORBIDDEN: &str =
    "{\n \"status\": {\n  \"message\": \"Access to the resource is Forbidden\",\n  \"code\": \"403\"\n }\n}";
const BAD_JSON: &str = "{\n \"status\": {\n  \"message\": \"Bad Request\",\n  \"code\": \"400\"\n },\n \"errors\": [\n  {\n   \"message\": \"Bad Request\",\n   \"code\": \"400\",\n   \"details\": \"Request Body contains malformed JSON, thus rendering the Request Bad\"\n  }\n ]\n}";

fn conflict(details: &str) -> String {
    format!(
        "{{\n \"status\": {{\n  \"message\": \"Conflict\",\n  \"code\": \"409\"\n }},\n \"errors\": [\n  {{\n   \"message\": \"Conflict\",\n   \"code\": \"409\",\n   \"details\": \"{details}\"\n  }}\n ]\n}}"
    )
}

async fn call_as(server: &TestServer, key: &str, method: &str, path: &str, body: Option<&str>) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request =
        server.client.request(method, server.url(path)).header("x-api-key", key).header("accept", "application/json");
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    send(request).await
}

pub async fn call(server: &TestServer, method: &str, path: &str, body: Option<&str>) -> Reply {
    call_as(server, ARGO_KEY, method, path, body).await
}

async fn add_admins(server: &TestServer) {
    use steward::db::entities::argo_admin;
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    for (key, role) in [(RESTRICTED, "super_admin_restricted"), (UI, "super_admin_ui")] {
        let row = argo_admin::ActiveModel {
            key_hash: Set(steward::surfaces::argo::auth::key_hash(key)),
            role: Set(role.into()),
        };
        argo_admin::Entity::insert(row).exec(&db).await.unwrap();
    }
    db.close().await.ok();
}

const AVENGERS: &str = r#"{"info":{"name":"AVENGERS","email":"email@something","description":"a simple tenant","image":"url to image","website":"www.avengers.com"},
  "db_conf":[{"store":"ar","server":"a.mongodb.org","port":27017,"database":"ar_db","username":"admin","password":"3NCRYPT3D"}],
  "topology":{"type":"GOCDB","feed":"gocdb.example.foo"},
  "users":[{"name":"cap","email":"cap@email.com","api_key":"C4PK3Y","roles":["admin","admin_ui"]},{"name":"thor","email":"thor@email.com","api_key":"TH0RK3Y"}]}"#;
const GUARDIANS: &str = r#"{"info":{"name":"GUARDIANS","email":"email@something2","website":"www.gotg.com"},
  "topology":{"type":"GOCDB","feed":"gocdb.example.foo"},
  "users":[{"name":"groot","email":"groot@email.com","api_key":"GR00TK3Y","roles":["admin"]}]}"#;

async fn create(server: &TestServer, body: &str) -> String {
    let reply = call(server, "POST", "/api/v2/admin/tenants", Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["data"]["id"].as_str().unwrap().to_owned()
}

on_both_databases!(argo_create_answers_the_link_and_stores_the_tenant, |server| {
    let reply = call(&server, "POST", "/api/v2/admin/tenants", Some(AVENGERS)).await;
    assert_eq!(reply.status, 201);
    let id = reply.json()["data"]["id"].as_str().unwrap().to_owned();
    let host = server.addr.to_string();
    assert_eq!(
        reply.body,
        format!(
            "{{\n \"status\": {{\n  \"message\": \"Tenant was successfully created\",\n  \"code\": \"201\"\n }},\n \"data\": {{\n  \"id\": \"{id}\",\n  \"links\": {{\n   \"self\": \"https://{host}/api/v2/admin/tenants/{id}\"\n  }}\n }}\n}}"
        )
    );
    let tenant = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}"), None).await.json()["data"][0].clone();
    assert_eq!(tenant["info"]["name"], "AVENGERS");
    assert_eq!(tenant["db_conf"][0]["port"], 27017);
    assert_eq!(tenant["users"][0]["api_key"], "C4PK3Y");
    assert!(tenant["users"][0]["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()));
    assert_eq!(tenant["users"][1]["roles"], Value::Null, "empty roles are omitted");
    assert_eq!(tenant["info"]["created"], tenant["info"]["updated"]);
    let generated =
        call(&server, "POST", "/api/v2/admin/tenants", Some(r#"{"info":{"name":"X"},"users":[{"name":"u"}]}"#)).await;
    let id = generated.json()["data"]["id"].as_str().unwrap().to_owned();
    let key = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}"), None).await.json()["data"][0]["users"][0]["api_key"].clone();
    assert!(key.as_str().is_some_and(|k| k.len() == 64 && k.chars().all(|c| c.is_ascii_hexdigit())), "{key}");
    let topology =
        call(&server, "GET", &format!("/api/v2/admin/tenants/{id}"), None).await.json()["data"][0]["topology"].clone();
    assert_eq!(topology, json!({"type": "", "feed": ""}));
});

on_both_databases!(argo_create_refuses_taken_names_keys_and_bad_json, |server| {
    create(&server, AVENGERS).await;
    let name = call(&server, "POST", "/api/v2/admin/tenants", Some(r#"{"info":{"name":"AVENGERS"}}"#)).await;
    assert_eq!((name.status, name.body), (409, conflict("Tenant with same name already exists")));
    let key = call(
        &server,
        "POST",
        "/api/v2/admin/tenants",
        Some(r#"{"info":{"name":"OTHER"},"users":[{"name":"x","api_key":"C4PK3Y"}]}"#),
    )
    .await;
    assert_eq!((key.status, key.body), (409, conflict("More than one users found using the key: C4PK3Y")));
    let twice = call(
        &server,
        "POST",
        "/api/v2/admin/tenants",
        Some(r#"{"info":{"name":"OTHER"},"users":[{"api_key":"X4V13R"},{"api_key":"X4V13R"}]}"#),
    )
    .await;
    assert_eq!((twice.status, twice.body), (409, conflict("More than one users found using the key: X4V13R")));
    let bad = call(&server, "POST", "/api/v2/admin/tenants", Some("{bad json:{}")).await;
    assert_eq!((bad.status, bad.body.as_str()), (400, BAD_JSON));
    let wrong_type = call(&server, "POST", "/api/v2/admin/tenants", Some(r#"{"info":{"name":5}}"#)).await;
    assert_eq!((wrong_type.status, wrong_type.body.as_str()), (400, BAD_JSON));
    assert_eq!(
        call(&server, "GET", "/api/v2/admin/tenants", None).await.json()["data"].as_array().map(Vec::len),
        Some(1)
    );
});

on_both_databases!(argo_concurrent_creates_of_one_name_give_one_conflict, |server| {
    let body = r#"{"info":{"name":"RACE"}}"#;
    let (first, second) = tokio::join!(
        call(&server, "POST", "/api/v2/admin/tenants", Some(body)),
        call(&server, "POST", "/api/v2/admin/tenants", Some(body))
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", first.body, second.body);
    assert_eq!(
        call(&server, "GET", "/api/v2/admin/tenants", None).await.json()["data"].as_array().map(Vec::len),
        Some(1)
    );
});

on_both_databases!(argo_roles_see_what_argo_shows_them, |server| {
    add_admins(&server).await;
    let avengers = create(&server, AVENGERS).await;
    let guardians = create(&server, GUARDIANS).await;
    let full = call(&server, "GET", "/api/v2/admin/tenants", None).await.json();
    assert_eq!(full["data"].as_array().map(Vec::len), Some(2));
    assert!(full["data"][0].get("db_conf").is_some());
    let restricted = call_as(&server, RESTRICTED, "GET", "/api/v2/admin/tenants", None).await.json();
    let keys: Vec<_> = restricted["data"][1].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["id", "info", "topology"]);
    let ui = call_as(&server, UI, "GET", "/api/v2/admin/tenants", None).await.json();
    assert_eq!(ui["data"].as_array().map(Vec::len), Some(1), "only tenants with admin_ui users");
    assert_eq!(ui["data"][0]["users"].as_array().map(Vec::len), Some(1));
    assert_eq!(ui["data"][0]["users"][0]["name"], "cap");
    assert!(ui["data"][0].get("db_conf").is_none());
    assert_eq!(call_as(&server, UI, "GET", &format!("/api/v2/admin/tenants/{avengers}"), None).await.status, 200);
    assert_eq!(call_as(&server, UI, "GET", &format!("/api/v2/admin/tenants/{guardians}"), None).await.body, NOT_FOUND);
    for (key, method, path, body) in [
        (RESTRICTED, "GET", format!("/api/v2/admin/tenants/{avengers}"), None),
        (RESTRICTED, "POST", "/api/v2/admin/tenants".to_owned(), Some("{}")),
        (UI, "DELETE", format!("/api/v2/admin/tenants/{avengers}"), None),
        (UI, "PUT", format!("/api/v2/admin/tenants/{avengers}/status"), Some("{}")),
        (RESTRICTED, "POST", format!("/api/v2/admin/tenants/{avengers}/users"), Some("{}")),
    ] {
        let reply = call_as(&server, key, method, &path, body).await;
        assert_eq!((reply.status, reply.body.as_str()), (403, FORBIDDEN), "{key} {method} {path}");
    }
    assert_eq!(
        call_as(&server, RESTRICTED, "GET", &format!("/api/v2/admin/tenants/{avengers}/status"), None).await.status,
        200
    );
});

on_both_databases!(argo_keys_and_accept_are_checked_in_argos_order, |server| {
    let paths = [
        ("GET", "/api/v2/admin/tenants"),
        ("POST", "/api/v2/admin/tenants"),
        ("GET", "/api/v2/admin/tenants/x"),
        ("PUT", "/api/v2/admin/tenants/x"),
        ("DELETE", "/api/v2/admin/tenants/x"),
        ("GET", "/api/v2/admin/tenants/x/status"),
        ("PUT", "/api/v2/admin/tenants/x/status"),
        ("GET", "/api/v2/admin/tenants/x/users"),
        ("POST", "/api/v2/admin/tenants/x/users"),
        ("GET", "/api/v2/admin/tenants/x/users/u"),
        ("PUT", "/api/v2/admin/tenants/x/users/u"),
        ("DELETE", "/api/v2/admin/tenants/x/users/u"),
        ("POST", "/api/v2/admin/tenants/x/users/u/renew_api_key"),
        ("GET", "/api/v2/admin/users:byID/u"),
    ];
    for (method, path) in paths {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let missing =
            send(server.client.request(method.clone(), server.url(path)).header("accept", "text/html").body("{bad"))
                .await;
        assert_eq!((missing.status, missing.body.as_str()), (401, UNAUTHORIZED), "{method} {path}");
        let wrong = send(
            server
                .client
                .request(method.clone(), server.url(path))
                .header("x-api-key", "nope")
                .header("accept", "application/json"),
        )
        .await;
        assert_eq!(wrong.status, 401);
        let xml =
            send(server.client.request(method.clone(), server.url(path)).header("accept", "application/xml")).await;
        assert!(xml.body.starts_with("<root>\n <status>\n  <message>Unauthorized</message>"), "{}", xml.body);
        for accept in [None, Some("*/*"), Some("application/json; charset=utf-8"), Some("text/html")] {
            let mut request = server.client.request(method.clone(), server.url(path)).header("x-api-key", ARGO_KEY);
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            let reply = send(request).await;
            assert_eq!(reply.status, 406, "{method} {path} {accept:?}");
            assert!(reply.body.contains("\"message\": \"Not Acceptable Content Type\""));
        }
    }
    for path in [
        "/api/v2/admin/tenants",
        "/api/v2/admin/tenants/x",
        "/api/v2/admin/tenants/x/users",
        "/api/v2/admin/tenants/x/users/u",
        "/api/v2/admin/tenants/x/users/u/renew_api_key",
    ] {
        let preflight = server.client.request(reqwest::Method::OPTIONS, server.url(path)).send().await.unwrap();
        assert_eq!(preflight.status().as_u16(), 200, "{path}");
        assert_eq!(preflight.headers()["allow"], "GET,POST,PUT,DELETE,OPTIONS");
        assert_eq!(preflight.text().await.unwrap(), "");
    }
    let no_preflight = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/api/v2/admin/tenants/x/status"))
        .send()
        .await
        .unwrap();
    // gorilla/mux 1.8.1 answers a wrong method on ARGO's paths with its 404.
    assert_eq!(no_preflight.status().as_u16(), 404);
    assert_eq!(no_preflight.text().await.unwrap(), "404 page not found\n");
    let patch = call(&server, "PATCH", "/api/v2/admin/tenants", None).await;
    assert_eq!((patch.status, patch.body.as_str()), (404, "404 page not found\n"));
    for path in ["/api/v2/admin/nothing", "/api/v2/admin/usersX/1", "/api/v2/admin/users:byIDs/1"] {
        let unrouted = call(&server, "GET", path, None).await;
        assert_eq!((unrouted.status, unrouted.body.as_str()), (404, "404 page not found\n"), "{path}");
    }
});

on_both_databases!(argo_update_replaces_the_tenant, |server| {
    let id = create(&server, AVENGERS).await;
    create(&server, GUARDIANS).await;
    let before = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}"), None).await.json()["data"][0].clone();
    let replacement = r#"{"info":{"name":"AVENGERS2","email":"new@mail"},"users":[{"name":"captain","api_key":"C4PK3Y"},{"name":"new","api_key":"N3WK3Y"}]}"#;
    let reply = call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}"), Some(replacement)).await;
    assert_eq!(
        reply.body,
        "{\n \"status\": {\n  \"message\": \"Tenant successfully updated\",\n  \"code\": \"200\"\n }\n}"
    );
    let after = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}"), None).await.json()["data"][0].clone();
    assert_eq!(after["info"]["name"], "AVENGERS2");
    assert_eq!(after["info"]["website"], "", "a replace, not a merge");
    assert_eq!(after["info"]["created"], before["info"]["created"]);
    assert!(after.get("db_conf").is_none());
    assert_eq!(after["users"][0]["id"], before["users"][0]["id"], "same key keeps the user's id");
    assert_ne!(after["users"][1]["id"], before["users"][1]["id"]);
    assert_eq!(after["topology"], json!({"type": "", "feed": ""}));
    let taken =
        call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}"), Some(r#"{"info":{"name":"GUARDIANS"}}"#)).await;
    assert_eq!(taken.body, conflict("Tenant with same name already exists"));
    let key = call(
        &server,
        "PUT",
        &format!("/api/v2/admin/tenants/{id}"),
        Some(r#"{"info":{"name":"AVENGERS2"},"users":[{"api_key":"GR00TK3Y"}]}"#),
    )
    .await;
    assert_eq!(key.body, conflict("More than one users found using the key: GR00TK3Y"));
    assert_eq!(call(&server, "PUT", "/api/v2/admin/tenants/nope", Some("{}")).await.body, NOT_FOUND);
    assert_eq!(call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}"), Some("{bad")).await.body, BAD_JSON);
});

on_both_databases!(argo_delete_removes_the_tenant_and_its_users, |server| {
    let id = create(&server, AVENGERS).await;
    let user = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/users"), None).await.json()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = call(&server, "DELETE", &format!("/api/v2/admin/tenants/{id}"), None).await;
    assert_eq!(
        reply.body,
        "{\n \"status\": {\n  \"message\": \"Tenant Successfully Deleted\",\n  \"code\": \"200\"\n }\n}"
    );
    assert_eq!(call(&server, "DELETE", &format!("/api/v2/admin/tenants/{id}"), None).await.body, NOT_FOUND);
    assert_eq!(call(&server, "GET", &format!("/api/v2/admin/users:byID/{user}"), None).await.body, NOT_FOUND);
    // The key is free again.
    create(&server, AVENGERS).await;
});

on_both_databases!(argo_status_is_stored_and_totalled, |server| {
    let id = create(&server, AVENGERS).await;
    let never = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/status"), None).await.json();
    assert_eq!(never["data"][0]["status"]["total_status"], false);
    assert_eq!(never["data"][0]["status"]["hdfs"], json!({"metric_data": false}));
    let healthy = r#"{"ams":{"metric_data":{"ingestion":true,"publishing":true,"status_streaming":true,"messages_arrived":100},
        "sync_data":{"ingestion":true,"publishing":true,"status_streaming":true,"messages_arrived":200}},
        "hdfs":{"metric_data":true,"sync_data":{"Critical":{"aggregation_profile":true,"blank_recomputation":true,"configuration_profile":true,"downtimes":true,"group_endpoints":true,"group_groups":true,"metric_profile":true,"operations_profile":true,"weights":true}}},
        "engine_config":true,"last_check":"2018-08-10T12:32:44Z"}"#;
    let reply = call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}/status"), Some(healthy)).await;
    assert_eq!(reply.json()["status"]["message"], "Tenant successfully updated");
    let status =
        call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/status"), None).await.json()["data"][0]["status"]
            .clone();
    assert_eq!(status["total_status"], true);
    assert_eq!(status["ams"]["sync_data"]["messages_arrived"], 200);
    assert_eq!(status["last_check"], "2018-08-10T12:32:44Z");
    let unhealthy = healthy.replace("\"weights\":true", "\"weights\":false");
    call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}/status"), Some(&unhealthy)).await;
    let status =
        call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/status"), None).await.json()["data"][0]["status"]
            .clone();
    assert_eq!(status["total_status"], false);
    assert_eq!(call(&server, "GET", "/api/v2/admin/tenants/nope/status", None).await.body, NOT_FOUND);
    assert_eq!(call(&server, "PUT", "/api/v2/admin/tenants/nope/status", Some("{}")).await.body, NOT_FOUND);
    assert_eq!(call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}/status"), Some("[")).await.body, BAD_JSON);
});

on_both_databases!(argo_tenant_users_are_managed, |server| {
    let id = create(&server, GUARDIANS).await;
    let users = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/users"), None).await;
    assert_eq!(users.json()["data"].as_array().map(Vec::len), Some(1));
    let created = call(
        &server,
        "POST",
        &format!("/api/v2/admin/tenants/{id}/users"),
        Some(r#"{"name":"starlord","email":"sl@email.com","api_key":"IGNORED","roles":["admin"]}"#),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["status"]["message"], "User was successfully created");
    let user_id = created.json()["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.json()["data"]["links"]["self"],
        format!("https://{}/api/v2/admin/tenants/{id}/users/{user_id}", server.addr)
    );
    let user = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/users/{user_id}"), None).await.json()["data"]
        [0]
    .clone();
    assert_eq!(user["name"], "starlord");
    assert_ne!(user["api_key"], "IGNORED");
    let updated = call(
        &server,
        "PUT",
        &format!("/api/v2/admin/tenants/{id}/users/{user_id}"),
        Some(r#"{"email":"new@email.com","name":""}"#),
    )
    .await;
    assert_eq!(updated.json()["status"]["message"], "User succesfully updated");
    let user = call(&server, "GET", &format!("/api/v2/admin/tenants/{id}/users/{user_id}"), None).await.json()["data"]
        [0]
    .clone();
    assert_eq!((user["email"].clone(), user["name"].clone()), (json!("new@email.com"), json!("starlord")));
    let renewed =
        call(&server, "POST", &format!("/api/v2/admin/tenants/{id}/users/{user_id}/renew_api_key"), None).await.json();
    assert_eq!(renewed["status"]["message"], "User api key succesfully renewed");
    let key = renewed["data"]["api_key"].as_str().unwrap().to_owned();
    let by_id = call(&server, "GET", &format!("/api/v2/admin/users:byID/{user_id}"), None).await.json();
    assert_eq!(by_id["status"]["message"], "User was successfully retrieved");
    assert_eq!(by_id["data"][0]["api_key"], key.as_str());
    let flat = call(&server, "GET", &format!("/api/v2/admin/users:byID/{user_id}?export=flat"), None).await.json();
    assert_eq!(flat["api_key"], key.as_str());
    let conflict_key =
        call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}/users/{user_id}"), Some(r#"{"api_key":"GR00TK3Y"}"#))
            .await;
    assert_eq!(conflict_key.body, conflict("More than one users found using the key: GR00TK3Y"));
    let deleted = call(&server, "DELETE", &format!("/api/v2/admin/tenants/{id}/users/{user_id}"), None).await;
    assert_eq!(deleted.json()["status"]["message"], "User succesfully deleted");
    for (method, path) in [
        ("GET", format!("/api/v2/admin/tenants/{id}/users/{user_id}")),
        ("DELETE", format!("/api/v2/admin/tenants/{id}/users/{user_id}")),
        ("POST", format!("/api/v2/admin/tenants/{id}/users/{user_id}/renew_api_key")),
    ] {
        assert_eq!(call(&server, method, &path, None).await.body, USER_NOT_FOUND, "{method} {path}");
    }
    assert_eq!(
        call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}/users/{user_id}"), Some("{}")).await.body,
        USER_NOT_FOUND
    );
    for (method, path) in [
        ("GET", "/api/v2/admin/tenants/nope/users"),
        ("GET", "/api/v2/admin/tenants/nope/users/u"),
        ("GET", "/api/v2/admin/users:byID/nope"),
    ] {
        assert_eq!(call(&server, method, path, None).await.body, NOT_FOUND, "{path}");
    }
    assert_eq!(call(&server, "POST", "/api/v2/admin/tenants/nope/users", Some("{}")).await.body, NOT_FOUND);
    assert_eq!(call(&server, "POST", &format!("/api/v2/admin/tenants/{id}/users"), Some("{x")).await.body, BAD_JSON);
});

on_both_databases!(argo_cached_lists_never_go_stale_even_across_replicas, |server| {
    let mut replica = server.replica().await;
    let names = |reply: Reply| -> Vec<String> {
        reply.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["info"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(names(call(&replica, "GET", "/api/v2/admin/tenants", None).await).is_empty());
    let id = create(&server, AVENGERS).await;
    let first = call(&replica, "GET", "/api/v2/admin/tenants", None).await;
    let again = call(&replica, "GET", "/api/v2/admin/tenants", None).await;
    assert_eq!(first.body, again.body, "a cached list is byte-identical");
    assert_eq!(names(first), vec!["AVENGERS"]);
    call(&server, "PUT", &format!("/api/v2/admin/tenants/{id}"), Some(r#"{"info":{"name":"RENAMED"}}"#)).await;
    assert_eq!(names(call(&replica, "GET", "/api/v2/admin/tenants", None).await), vec!["RENAMED"]);
    call(&server, "DELETE", &format!("/api/v2/admin/tenants/{id}"), None).await;
    assert!(names(call(&replica, "GET", "/api/v2/admin/tenants", None).await).is_empty());
    replica.stop().await;
});

on_both_databases!(argo_handler_errors_are_xml_when_xml_is_accepted, |server| {
    let xml = |method: &str, path: &str, body: Option<&str>| {
        let server = &server;
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = server
            .client
            .request(method, server.url(path))
            .header("x-api-key", ARGO_KEY)
            .header("accept", "application/xml");
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        async move { send(request).await }
    };
    let missing = xml("GET", "/api/v2/admin/tenants/no-such-tenant", None).await;
    assert_eq!((missing.status, missing.content_type.as_str()), (404, "application/xml; charset=utf-8"));
    assert_eq!(
        missing.body,
        "<root>\n <status>\n  <message>Not Found</message>\n  <code>404</code>\n </status>\n <errors>\n  <error>\n   <message>Not Found</message>\n   <code>404</code>\n   <details>item with the specific ID was not found on the server</details>\n  </error>\n </errors>\n</root>"
    );
    let malformed = xml("POST", "/api/v2/admin/tenants", Some("{bad")).await;
    assert_eq!((malformed.status, malformed.content_type.as_str()), (400, "application/xml; charset=utf-8"));
    assert!(malformed.body.ends_with("<details>Request Body contains malformed JSON, thus rendering the Request Bad</details>\n  </error>\n </errors>\n</root>"), "{}", malformed.body);
    let created = xml("POST", "/api/v2/admin/tenants", Some(r#"{"info":{"name":"XMLT"}}"#)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let taken = xml("POST", "/api/v2/admin/tenants", Some(r#"{"info":{"name":"XMLT"}}"#)).await;
    assert_eq!((taken.status, taken.content_type.as_str()), (409, "application/xml; charset=utf-8"));
    assert!(taken.body.contains("<details>Tenant with same name already exists</details>"), "{}", taken.body);
    // JSON stays JSON.
    let json = call(&server, "GET", "/api/v2/admin/tenants/no-such-tenant", None).await;
    assert_eq!(json.body, NOT_FOUND);
});

on_both_databases!(
    argo_without_a_configured_key_generates_a_super_admin_key_that_a_replica_keeps,
    crate::harness::Options { argo_key: None, ..crate::harness::Options::default() },
    |server| {
        let key = server.generated.1.clone().expect("a generated key");
        let created = call_as(&server, &key, "POST", "/api/v2/admin/tenants", Some(r#"{"info":{"name":"GEN"}}"#)).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let refused = call(&server, "GET", "/api/v2/admin/tenants", None).await;
        assert_eq!(refused.status, 401, "the default test key was not configured: {}", refused.body);
        let replica = server.replica().await;
        assert_eq!(replica.generated.1, None, "shown only by the start that generated it");
        assert_eq!(call_as(&replica, &key, "GET", "/api/v2/admin/tenants", None).await.status, 200);
    }
);
