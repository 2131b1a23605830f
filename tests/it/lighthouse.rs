//! Lighthouse API v0.2: sessions, users and the AuthLevel rules, with the
//! seed's admin/manager/employee examples.

use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::harness::{LIGHTHOUSE_ADMIN, LIGHTHOUSE_ADMIN_PASSWORD, TestServer};
use crate::on_both_databases;
use crate::scalelite_client::{Reply, send};

pub const NOT_LOGGED_IN: &str = r#"{"Cause":"auth","Message":"not logged in"}"#;
const BAD_LOGIN: &str = r#"{"Cause":"auth","Message":"email or password incorrect"}"#;
const USER_ACCESS: &str = r#"{"Cause":"users","Message":"User does not exist or current permission too low"}"#;
const NOT_UPDATED: &str = r#"{"Cause":"users","Message":"could not update user"}"#;

/// Logs in; the reply and the `Cookie` header value that carries the session.
pub async fn login(server: &TestServer, email: &str, password: &str) -> (Reply, String) {
    let response = server
        .client
        .post(server.url("/api/v0.2/login"))
        .json(&json!({"Email": email, "Password": password}))
        .send()
        .await
        .expect("login");
    let set_cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.text().await.expect("body");
    (Reply { status, content_type, body }, cookie)
}

pub async fn login_admin(server: &TestServer) -> String {
    let (reply, cookie) = login(server, LIGHTHOUSE_ADMIN, LIGHTHOUSE_ADMIN_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    cookie
}

pub async fn call(server: &TestServer, cookie: &str, method: &str, path: &str, body: Option<&str>) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = server.client.request(method, server.url(path)).header("cookie", cookie);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    send(request).await
}

/// Creates a user with `level` (as the bootstrap admin) and logs them in.
pub async fn user_with_level(server: &TestServer, admin: &str, email: &str, level: i64) -> String {
    let body = json!({"Email": email, "Password": format!("{email}-password")}).to_string();
    let created = call(server, admin, "POST", "/api/v0.2/users/create", Some(&body)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    if level != 0 {
        let body = json!({"AuthLevel": level}).to_string();
        let updated = call(server, admin, "PUT", &format!("/api/v0.2/users/{email}"), Some(&body)).await;
        assert_eq!(updated.status, 200, "{}", updated.body);
    }
    let (reply, cookie) = login(server, email, &format!("{email}-password")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    cookie
}

/// Grants beacon levels straight in the database (the seed's addresses are
/// no beacons a test can run).
pub async fn grant(server: &TestServer, email: &str, levels: &[(&str, i64)]) {
    use steward::db::entities::lighthouse_grant;
    let db = sea_orm::Database::connect(&server.database_url).await.expect("db");
    for (target, level) in levels {
        let row = lighthouse_grant::ActiveModel {
            email: Set(email.to_owned()),
            kind: Set("Beacons".to_owned()),
            target: Set((*target).to_owned()),
            level: Set(*level),
            ..Default::default()
        };
        lighthouse_grant::Entity::insert(row).exec(&db).await.expect("grant");
    }
    db.close().await.ok();
}

on_both_databases!(lighthouse_sessions_start_end_and_guard_every_path, |server| {
    let (bad, cookie) = login(&server, LIGHTHOUSE_ADMIN, "wrong").await;
    assert_eq!((bad.status, bad.body.as_str(), cookie.as_str()), (401, BAD_LOGIN, ""));
    let (unknown, _) = login(&server, "nobody@example.com", "x").await;
    assert_eq!((unknown.status, unknown.body.as_str()), (401, BAD_LOGIN));
    let malformed = send(server.client.post(server.url("/api/v0.2/login")).body("{not json")).await;
    assert_eq!((malformed.status, malformed.body.as_str()), (401, BAD_LOGIN));

    for path in ["/api/v0.2/users/list", "/api/v0.2/beacons/list", "/api/v0.2/applications/list", "/api/v0.2/nothing"] {
        let reply = send(server.client.get(server.url(path))).await;
        assert_eq!((reply.status, reply.body.as_str()), (401, NOT_LOGGED_IN), "{path}");
    }

    let response = server
        .client
        .post(server.url("/api/v0.2/login"))
        .json(&json!({"Email": LIGHTHOUSE_ADMIN, "Password": LIGHTHOUSE_ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("auth=") && set_cookie.contains("HttpOnly") && set_cookie.contains("Path=/"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let listed = call(&server, &cookie, "GET", "/api/v0.2/users/list", None).await;
    assert_eq!((listed.status, listed.json()), (200, json!([LIGHTHOUSE_ADMIN])));
    let unrouted = call(&server, &cookie, "GET", "/api/v0.2/nothing", None).await;
    assert_eq!(unrouted.status, 404);

    // A replica over the same database knows the session.
    let replica = server.replica().await;
    assert_eq!(call(&replica, &cookie, "GET", "/api/v0.2/users/list", None).await.status, 200);

    // Logout ends it everywhere; the stale cookie is refused.
    let out = call(&server, &cookie, "GET", "/api/v0.2/logout", None).await;
    assert_eq!(out.status, 200);
    let stale = call(&replica, &cookie, "GET", "/api/v0.2/users/list", None).await;
    assert_eq!((stale.status, stale.body.as_str()), (401, NOT_LOGGED_IN));
    assert_eq!(send(server.client.get(server.url("/api/v0.2/logout"))).await.status, 200);

    // A failed login ends the session the request carried, as the original's.
    let cookie = login_admin(&server).await;
    let failed = send(
        server
            .client
            .post(server.url("/api/v0.2/login"))
            .header("cookie", &cookie)
            .json(&json!({"Email": LIGHTHOUSE_ADMIN, "Password": "wrong"})),
    )
    .await;
    assert_eq!(failed.status, 401);
    assert_eq!(call(&server, &cookie, "GET", "/api/v0.2/users/list", None).await.status, 401);
    // ... but an unknown email leaves it alone, as the original's did.
    let cookie = login_admin(&server).await;
    let unknown = send(
        server
            .client
            .post(server.url("/api/v0.2/login"))
            .header("cookie", &cookie)
            .json(&json!({"Email": "nobody", "Password": "wrong"})),
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(call(&server, &cookie, "GET", "/api/v0.2/users/list", None).await.status, 200);
    // An unrouted path with a dead session is the middleware's 401.
    let forged = call(&server, "auth=forged", "GET", "/api/v0.2/nothing", None).await;
    assert_eq!((forged.status, forged.body.as_str()), (401, NOT_LOGGED_IN));

    // Only the session's digest is stored.
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let value = login_admin(&server).await.trim_start_matches("auth=").to_owned();
    let rows = steward::db::entities::lighthouse_session::Entity::find().all(&db).await.unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|row| row.token_hash != value));
});

// The seed's example: admin, manager and employee with AuthLevels 2, 1
// and 0, requests made by the manager.
on_both_databases!(lighthouse_the_seeds_manager_example, |server| {
    let root = login_admin(&server).await;
    user_with_level(&server, &root, "admin", 2).await;
    let manager = user_with_level(&server, &root, "manager", 1).await;
    let employee = user_with_level(&server, &root, "employee", 0).await;
    grant(&server, "manager", &[("127.0.0.1:5002", 2), ("192.168.1.100", 1)]).await;
    grant(&server, "employee", &[("192.168.1.100", 0)]).await;

    let list = call(&server, &manager, "GET", "/api/v0.2/users/list", None).await;
    assert_eq!((list.status, list.json()), (200, json!(["manager", "employee"])));

    let got = call(&server, &manager, "GET", "/api/v0.2/users/employee", None).await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body,
        r#"{"Email":"employee","AuthLevel":0,"Permissions":{"Applications":{},"Beacons":{"192.168.1.100":0}}}"#
    );
    let hidden = call(&server, &manager, "GET", "/api/v0.2/users/admin", None).await;
    assert_eq!((hidden.status, hidden.body.as_str()), (404, USER_ACCESS));
    let missing = call(&server, &manager, "GET", "/api/v0.2/users/nobody", None).await;
    assert_eq!((missing.status, missing.body.as_str()), (404, USER_ACCESS));

    let update = r#"{"AuthLevel":1,"Password":"updated password","Beacons":{"127.0.0.1:5002":2,"192.168.1.100":-1}}"#;
    let updated = call(&server, &manager, "PUT", "/api/v0.2/users/employee", Some(update)).await;
    assert_eq!((updated.status, updated.body.as_str()), (200, ""));
    let got = call(&server, &root, "GET", "/api/v0.2/users/employee", None).await.json();
    assert_eq!(
        got,
        json!({"Email": "employee", "AuthLevel": 1, "Permissions": {"Applications": {}, "Beacons": {"127.0.0.1:5002": 2}}})
    );
    // Now the manager's equal: no longer seen.
    let now_hidden = call(&server, &manager, "GET", "/api/v0.2/users/employee", None).await;
    assert_eq!(now_hidden.status, 404);
    assert_eq!(login(&server, "employee", "updated password").await.0.status, 200);
    assert_eq!(login(&server, "employee", "employee-password").await.0.status, 401);

    let intern = call(
        &server,
        &manager,
        "POST",
        "/api/v0.2/users/create",
        Some(r#"{"Email":"intern","Password":"lol what is real life"}"#),
    )
    .await;
    assert_eq!((intern.status, intern.body.as_str()), (200, ""));
    assert_eq!(login(&server, "intern", "lol what is real life").await.0.status, 200);
    let again =
        call(&server, &manager, "POST", "/api/v0.2/users/create", Some(r#"{"Email":"intern","Password":"x"}"#)).await;
    assert_eq!((again.status, again.json()["Message"].as_str()), (400, Some("databases: key already exists")));
    let (_, intern_cookie) = login(&server, "intern", "lol what is real life").await;
    let low =
        call(&server, &intern_cookie, "POST", "/api/v0.2/users/create", Some(r#"{"Email":"x","Password":"x"}"#)).await;
    assert_eq!((low.status, low.body.as_str()), (403, USER_ACCESS));
    let empty = call(&server, &manager, "POST", "/api/v0.2/users/create", Some(r#"{"Email":"","Password":"x"}"#)).await;
    assert_eq!(empty.status, 400);
    let malformed = call(&server, &manager, "POST", "/api/v0.2/users/create", Some("[1")).await;
    assert_eq!((malformed.status, malformed.json()["Cause"].as_str()), (400, Some("users")));
    drop(employee);
});

on_both_databases!(lighthouse_nobody_grants_more_than_they_hold, |server| {
    let root = login_admin(&server).await;
    let manager = user_with_level(&server, &root, "manager", 3).await;
    user_with_level(&server, &root, "clerk", 1).await;
    grant(&server, "manager", &[("b1", 1), ("b2", 2)]).await;
    grant(&server, "clerk", &[("b2", 2)]).await;
    let put = |body: &'static str| call(&server, &manager, "PUT", "/api/v0.2/users/clerk", Some(body));
    let cases = [
        (r#"{"AuthLevel":4}"#, 403, NOT_UPDATED),
        (r#"{"AuthLevel":-1}"#, 400, NOT_UPDATED),
        (r#"{"AuthLevel":"high"}"#, 400, NOT_UPDATED),
        ("{", 400, NOT_UPDATED),
        (r#"{"Beacons":{"b1":2}}"#, 403, NOT_UPDATED),
        (r#"{"Beacons":{"unknown":0}}"#, 403, NOT_UPDATED),
        (r#"{"Beacons":{"b1":1,"unknown":0}}"#, 403, NOT_UPDATED),
    ];
    for (body, status, answer) in cases {
        let reply = put(body).await;
        assert_eq!((reply.status, reply.body.as_str()), (status, answer), "{body}");
    }
    // All or nothing: the refused request above granted nothing.
    let clerk = call(&server, &root, "GET", "/api/v0.2/users/clerk", None).await.json();
    assert_eq!(clerk["Permissions"]["Beacons"], json!({"b2": 2}));
    assert_eq!(clerk["AuthLevel"], 1);
    // An owner is changed only by an owner: the manager owns b2, so may.
    let demote = put(r#"{"Beacons":{"b2":0}}"#).await;
    assert_eq!(demote.status, 200);
    grant(&server, "clerk", &[("b1", 2)]).await;
    let guarded = put(r#"{"Beacons":{"b1":-1}}"#).await;
    assert_eq!((guarded.status, guarded.body.as_str()), (403, NOT_UPDATED), "the manager only modifies b1");
    // Equal or higher levels are not found, for reads and writes.
    let up = call(&server, &manager, "PUT", &format!("/api/v0.2/users/{LIGHTHOUSE_ADMIN}"), Some("{}")).await;
    assert_eq!((up.status, up.body.as_str()), (404, USER_ACCESS));
    // As the original, the user is looked up before the body is read.
    let unknown = call(&server, &manager, "PUT", "/api/v0.2/users/nobody", Some("{")).await;
    assert_eq!((unknown.status, unknown.body.as_str()), (404, USER_ACCESS));
    let junior = user_with_level(&server, &root, "junior", 0).await;
    let low = call(&server, &junior, "POST", "/api/v0.2/users/create", None).await;
    assert_eq!((low.status, low.body.as_str()), (403, USER_ACCESS));
    let no_session = send(server.client.put(server.url("/api/v0.2/users/clerk")).body("{}")).await;
    assert_eq!((no_session.status, no_session.body.as_str()), (401, NOT_LOGGED_IN));
});

// Random users, levels and requests: no answer ever lets a user see or
// change someone at or above their level (other than themself), nor set
// an AuthLevel or beacon level above their own. The oracle is written
// from the seed's rules, independently of Steward's `rules.rs`.
on_both_databases!(lighthouse_auth_levels_hold_for_random_requests, |server| {
    let root = login_admin(&server).await;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(std::process::id());
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let beacons = ["b0", "b1", "b2"];
    let mut users = Vec::new();
    for i in 0..5 {
        let email = format!("u{i}");
        let level = next(4) as i64;
        let cookie = user_with_level(&server, &root, &email, level).await;
        let mut grants: Vec<(&str, i64)> = Vec::new();
        for beacon in beacons {
            if next(2) == 0 {
                grants.push((beacon, next(3) as i64));
            }
        }
        grant(&server, &email, &grants).await;
        users.push((email, cookie));
    }
    let read = |email: String| {
        let (server, root) = (&server, root.clone());
        async move { call(server, &root, "GET", &format!("/api/v0.2/users/{email}"), None).await.json() }
    };
    for _ in 0..40 {
        let (caller, cookie) = users[next(5) as usize].clone();
        let (target, _) = users[next(5) as usize].clone();
        let before_caller = read(caller.clone()).await;
        let before_target = read(target.clone()).await;
        let caller_level = before_caller["AuthLevel"].as_i64().unwrap();
        let target_level = before_target["AuthLevel"].as_i64().unwrap();
        let sees = caller == target || caller_level > target_level;

        let got = call(&server, &cookie, "GET", &format!("/api/v0.2/users/{target}"), None).await;
        assert_eq!(got.status == 200, sees, "{caller} ({caller_level}) reading {target} ({target_level})");

        let mut change = serde_json::Map::new();
        if next(2) == 0 {
            change.insert("AuthLevel".into(), json!(next(6) as i64 - 1));
        }
        let mut levels = serde_json::Map::new();
        for beacon in beacons {
            if next(3) == 0 {
                levels.insert(beacon.into(), json!(next(4) as i64 - 1));
            }
        }
        change.insert("Beacons".into(), Value::Object(levels.clone()));
        let body = Value::Object(change.clone()).to_string();
        let reply = call(&server, &cookie, "PUT", &format!("/api/v0.2/users/{target}"), Some(&body)).await;
        let after = read(target.clone()).await;
        if reply.status != 200 {
            assert_eq!(after, before_target, "a refused request changed nothing: {caller} -> {target} {body}");
            continue;
        }
        assert!(sees, "{caller} ({caller_level}) changed {target} ({target_level}) with {body}");
        let new_level = after["AuthLevel"].as_i64().unwrap();
        assert!(new_level == target_level || new_level <= caller_level, "{caller} set {target} to {new_level}");
        for (beacon, level) in &levels {
            let held = before_caller["Permissions"]["Beacons"][beacon].as_i64().unwrap_or(-1);
            let level = level.as_i64().unwrap();
            assert!(held >= 1 && level <= held, "{caller} (holding {held}) set {beacon} to {level} on {target}");
            let was = before_target["Permissions"]["Beacons"][beacon].as_i64().unwrap_or(-1);
            assert!(was < 2 || held == 2, "{caller} (holding {held}) changed owner {target} on {beacon}");
        }
    }
});
