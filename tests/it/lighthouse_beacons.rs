//! Lighthouse beacons, instances and aliases against a real beacon on
//! loopback (`lighthouse_beacon.rs`).

use serde_json::json;

use crate::lighthouse::{NOT_LOGGED_IN, call, login_admin, user_with_level};
use crate::lighthouse_beacon::TestBeacon;
use crate::on_both_databases;
use crate::scalelite_client::send;

const TOKEN: &str = "MY_TOKEN";

pub async fn connect(server: &crate::harness::TestServer, cookie: &str, beacon: &TestBeacon, alias: &str) {
    let body = json!({"Address": beacon.address(), "Token": beacon.token, "Alias": alias}).to_string();
    let reply = call(server, cookie, "POST", "/api/v0.2/beacons/create", Some(&body)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, ""), "connecting {alias}");
}

on_both_databases!(lighthouse_beacons_connect_list_and_keep_their_tokens, |server| {
    let beacon = TestBeacon::start(TOKEN, &["boot2docker", "worker"]).await;
    let admin = login_admin(&server).await;
    connect(&server, &admin, &beacon, "MyBeacon").await;
    assert_eq!(beacon.vms_requests(), 1);

    let listed = call(&server, &admin, "GET", "/api/v0.2/beacons/list", None).await;
    assert_eq!(listed.json(), json!([{"Alias": "MyBeacon", "Address": beacon.address()}]));
    let path = format!("/api/v0.2/beacons/list/{}", beacon.address());
    let instances = call(&server, &admin, "GET", &path, None).await;
    assert_eq!(
        instances.json(),
        json!([
            {"Alias": "MyBeacon.boot2docker", "BeaconAddress": beacon.address(), "CanAccessDocker": true,
             "InstanceAddress": beacon.instance("boot2docker"), "Name": "boot2docker"},
            {"Alias": "MyBeacon.worker", "BeaconAddress": beacon.address(), "CanAccessDocker": true,
             "InstanceAddress": beacon.instance("worker"), "Name": "worker"},
        ])
    );
    let refreshed = call(&server, &admin, "GET", &format!("{path}?refresh=true"), None).await;
    assert_eq!((refreshed.status, beacon.vms_requests()), (200, 2));
    let refresh = call(&server, &admin, "PUT", &format!("/api/v0.2/beacons/refresh/{}", beacon.address()), None).await;
    assert_eq!((refresh.status, beacon.vms_requests()), (200, 3));

    // The creator owns it.
    let me = call(&server, &admin, "GET", &format!("/api/v0.2/users/{}", crate::harness::LIGHTHOUSE_ADMIN), None).await;
    assert_eq!(me.json()["Permissions"]["Beacons"], json!({beacon.address(): 2}));

    // No answer carries the token, and the database keeps it sealed.
    for reply in [&listed, &instances, &me] {
        assert!(!reply.body.contains(TOKEN), "{}", reply.body);
    }
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    use sea_orm::EntityTrait;
    let rows = steward::db::entities::lighthouse_beacon::Entity::find().all(&db).await.unwrap();
    assert!(rows.iter().all(|row| !row.token_sealed.contains(TOKEN)));

    // A new token by alias; the beacon then refuses the old one.
    let set = call(&server, &admin, "PUT", "/api/v0.2/beacons/token/MyBeacon", Some(r#""NEW_TOKEN""#)).await;
    assert_eq!((set.status, set.body.as_str()), (200, ""));
    let refused = call(&server, &admin, "PUT", &format!("/api/v0.2/beacons/refresh/{}", beacon.address()), None).await;
    assert_eq!((refused.status, refused.json()["Message"].as_str()), (502, Some("beacon answered 401")));
    // An empty beacon parameter, as the original's handler answered it.
    let empty = call(&server, &admin, "PUT", "/api/v0.2/beacons/token/", Some(r#""x""#)).await;
    assert_eq!((empty.status, empty.json()["Cause"].as_str()), (400, Some("beacons")));
    assert_eq!(call(&server, &admin, "GET", "/api/v0.2/beacons/list/", None).await.json(), json!([]));
    let bad = call(&server, &admin, "PUT", "/api/v0.2/beacons/token/MyBeacon", Some("42")).await;
    assert_eq!(
        (bad.status, bad.json()["Message"].as_str()),
        (400, Some("beacons: not enough or invalid parameters given"))
    );
});

on_both_databases!(lighthouse_beacon_creation_refuses_what_it_cannot_record, |server| {
    let beacon = TestBeacon::start(TOKEN, &["boot2docker"]).await;
    let admin = login_admin(&server).await;
    let create = |body: serde_json::Value| {
        let (server, admin) = (&server, admin.clone());
        async move { call(server, &admin, "POST", "/api/v0.2/beacons/create", Some(&body.to_string())).await }
    };
    let parameters = Some("beacons: not enough or invalid parameters given");
    let no_alias = create(json!({"Address": beacon.address(), "Token": TOKEN})).await;
    assert_eq!((no_alias.status, no_alias.json()["Message"].as_str()), (400, parameters));
    let not_a_host = create(json!({"Address": "not a host", "Token": TOKEN, "Alias": "x"})).await;
    assert_eq!((not_a_host.status, not_a_host.json()["Message"].as_str()), (400, parameters));
    // Nor an address no beacon can have (link-local: cloud metadata).
    let metadata = create(json!({"Address": "169.254.169.254:80", "Token": TOKEN, "Alias": "x"})).await;
    assert_eq!((metadata.status, metadata.json()["Message"].as_str()), (400, parameters));
    let no_address = create(json!({"Token": TOKEN, "Alias": "x"})).await;
    assert_eq!((no_address.status, no_address.json()["Message"].as_str()), (400, parameters));
    let malformed = call(&server, &admin, "POST", "/api/v0.2/beacons/create", Some("{")).await;
    assert_eq!((malformed.status, malformed.json()["Cause"].as_str()), (400, Some("beacons")));
    let wrong_token = create(json!({"Address": beacon.address(), "Token": "wrong", "Alias": "x"})).await;
    assert_eq!((wrong_token.status, wrong_token.json()["Message"].as_str()), (502, Some("beacon answered 401")));
    let unreachable = create(json!({"Address": "127.0.0.1:1", "Token": TOKEN, "Alias": "x"})).await;
    assert_eq!(unreachable.status, 502);
    // Nothing of the failed attempts was recorded.
    assert_eq!(call(&server, &admin, "GET", "/api/v0.2/beacons/list", None).await.json(), json!([]));

    connect(&server, &admin, &beacon, "MyBeacon").await;
    let duplicate = create(json!({"Address": beacon.address(), "Token": TOKEN, "Alias": "again"})).await;
    // The original wrote the address's alias first: its duplicate key is the refusal.
    assert_eq!((duplicate.status, duplicate.json()["Message"].as_str()), (400, Some("databases: key already exists")));
    // A failed create of someone else's beacon hands nothing over.
    let mallory = user_with_level(&server, &admin, "mallory", 0).await;
    let taken = call(
        &server,
        &mallory,
        "POST",
        "/api/v0.2/beacons/create",
        Some(&json!({"Address": beacon.address(), "Token": "guess", "Alias": "mine"}).to_string()),
    )
    .await;
    assert_eq!(taken.status, 400);
    assert_eq!(call(&server, &mallory, "GET", "/api/v0.2/beacons/list", None).await.json(), json!([]));
    let path = format!("/api/v0.2/beacons/list/{}", beacon.address());
    assert_eq!(call(&server, &mallory, "GET", &path, None).await.json(), json!([]));
    let token = call(&server, &mallory, "PUT", "/api/v0.2/beacons/token/MyBeacon", Some(r#""x""#)).await;
    assert_eq!(
        (token.status, token.json()["Message"].as_str()),
        (403, Some("beacons: user not permitted to access token"))
    );
    // The level is checked before the body is read, as the original's handler does.
    let malformed = call(&server, &mallory, "PUT", "/api/v0.2/beacons/token/MyBeacon", Some("[1]")).await;
    assert_eq!(malformed.status, 403);
    let refresh =
        call(&server, &mallory, "PUT", &format!("/api/v0.2/beacons/refresh/{}", beacon.address()), None).await;
    assert_eq!(refresh.status, 403);
    let unknown = call(&server, &admin, "PUT", "/api/v0.2/beacons/refresh/10.9.9.9:1", None).await;
    assert_eq!((unknown.status, unknown.json()["Message"].as_str()), (404, Some("databases: result was empty")));
    let anonymous = send(server.client.get(server.url("/api/v0.2/beacons/list"))).await;
    assert_eq!((anonymous.status, anonymous.body.as_str()), (401, NOT_LOGGED_IN));

    // Granted access, mallory lists it but still may not change its token.
    let body = json!({"Beacons": {beacon.address(): 0}}).to_string();
    assert_eq!(call(&server, &admin, "PUT", "/api/v0.2/users/mallory", Some(&body)).await.status, 200);
    assert_eq!(call(&server, &mallory, "GET", &path, None).await.json().as_array().map(Vec::len), Some(1));
    let token = call(&server, &mallory, "PUT", "/api/v0.2/beacons/token/MyBeacon", Some(r#""x""#)).await;
    assert_eq!(token.status, 403);
});

on_both_databases!(lighthouse_aliases_name_addresses, |server| {
    let beacon = TestBeacon::start(TOKEN, &["boot2docker"]).await;
    let admin = login_admin(&server).await;
    connect(&server, &admin, &beacon, "MyBeacon").await;
    let instance = beacon.instance("boot2docker");

    let set = call(&server, &admin, "PUT", &format!("/api/v0.2/aliases/{instance}"), Some(r#""boot2docker""#)).await;
    assert_eq!((set.status, set.body.as_str()), (200, ""));
    let path = format!("/api/v0.2/beacons/list/{}", beacon.address());
    assert_eq!(call(&server, &admin, "GET", &path, None).await.json()[0]["Alias"], "boot2docker");
    let empty = call(&server, &admin, "PUT", "/api/v0.2/aliases/boot2docker", Some(r#""""#)).await;
    assert_eq!((empty.status, empty.json()["Cause"].as_str()), (400, Some("aliases")));
    let not_string = call(&server, &admin, "PUT", "/api/v0.2/aliases/boot2docker", Some("7")).await;
    assert_eq!((not_string.status, not_string.json()["Cause"].as_str()), (400, Some("aliases")));
    // Any other address may be named by anyone logged in; a beacon's
    // instance only by those who may modify the beacon.
    let other = user_with_level(&server, &admin, "other", 0).await;
    assert_eq!(call(&server, &other, "PUT", "/api/v0.2/aliases/10.0.0.1:2375", Some(r#""lab""#)).await.status, 200);
    let theirs = call(&server, &other, "PUT", &format!("/api/v0.2/aliases/{instance}"), Some(r#""mine""#)).await;
    assert_eq!(theirs.status, 403);
    let anonymous = send(server.client.put(server.url("/api/v0.2/aliases/x")).body(r#""y""#)).await;
    assert_eq!(anonymous.status, 401);
});
