//! Calls the MC surface as MC's clients do: JSON POSTs, a bearer token.

use serde_json::{Value, json};

use crate::harness::{MC_ADMIN, MC_ADMIN_PASSWORD, TestServer};
use crate::scalelite_client::{Reply, send};

/// A password zxcvbn rates at centuries (MC's own test vector).
pub const STRONG: &str = "1orangefoxquickhandlebrush1";

pub async fn call(server: &TestServer, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
    let mut request = server.client.post(server.url(&format!("/api/v1{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    send(request).await
}

/// The answer's `message`, after checking its status.
pub fn message(reply: &Reply, status: u16) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.content_type, "application/json; charset=UTF-8");
    reply.json()["message"].as_str().unwrap_or_else(|| panic!("no message: {}", reply.body)).to_owned()
}

pub async fn login(server: &TestServer, username: &str, password: &str) -> String {
    let reply = call(server, "/login", None, Some(&json!({"username": username, "password": password}))).await;
    assert_eq!(reply.status, 200, "login {username}: {}", reply.body);
    reply.json()["token"].as_str().expect("token").to_owned()
}

pub async fn admin(server: &TestServer) -> String {
    login(server, MC_ADMIN, MC_ADMIN_PASSWORD).await
}

pub async fn create_user(server: &TestServer, name: &str) {
    let body = json!({"Name": name, "Email": format!("{name}@example.com"), "Passhash": STRONG});
    let reply = call(server, "/usercreate", None, Some(&body)).await;
    assert_eq!(reply.status, 200, "create {name}: {}", reply.body);
}

/// A new user logged in.
pub async fn user(server: &TestServer, name: &str) -> String {
    create_user(server, name).await;
    login(server, name, STRONG).await
}

pub async fn create_org(server: &TestServer, token: &str, name: &str, org_type: &str) {
    let reply = call(server, "/auth/org/create", Some(token), Some(&json!({"Name": name, "Type": org_type}))).await;
    assert_eq!(message(&reply, 200), "Organization created");
}

pub async fn add_role(server: &TestServer, token: &str, org: &str, username: &str, role: &str) {
    let body = json!({"org": org, "username": username, "role": role});
    let reply = call(server, "/auth/role/adduser", Some(token), Some(&body)).await;
    assert_eq!(message(&reply, 200), "Role added to user", "{role} in {org:?}");
}

/// The claims of a JWT (unverified).
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}

/// The server's signing key (generated and kept in the database).
pub async fn signing_key(server: &TestServer) -> steward::surfaces::mc::token::SigningKey {
    use sea_orm::EntityTrait;
    let db = sea_orm::Database::connect(&server.database_url).await.expect("db");
    let row = steward::db::entities::setting::Entity::find_by_id("mc.jwt_secret".to_owned())
        .one(&db)
        .await
        .expect("query")
        .expect("generated secret");
    steward::surfaces::mc::token::SigningKey::new(row.value.as_bytes())
}

/// A regional call (`/auth/ctrl/<op>`) as mcctl sends it.
pub async fn ctrl(server: &TestServer, op: &str, token: &str, body: &Value) -> Reply {
    call(server, &format!("/auth/ctrl/{op}"), Some(token), Some(body)).await
}

/// A regional call's `{}` success.
pub fn empty_result(reply: &Reply) {
    assert_eq!((reply.status, reply.body.as_str()), (200, "{}"), "{}", reply.body);
    assert_eq!(reply.content_type, "application/json; charset=UTF-8");
}

/// A streamed answer read line by line: each line's JSON, after checking
/// the status, the header and that every line ends in a newline.
pub fn stream_lines(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    if reply.body.is_empty() {
        return Vec::new();
    }
    assert_eq!(reply.content_type, "application/json");
    assert!(reply.body.ends_with('\n'), "{:?}", reply.body);
    reply.body.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
}

/// The `data` of every line of a stream that ended well.
pub fn stream_data(reply: &Reply) -> Vec<Value> {
    stream_lines(reply)
        .into_iter()
        .map(|line| {
            assert!(line.get("result").is_none(), "{line}");
            line["data"].clone()
        })
        .collect()
}

/// A regional operation refuses a caller without a token (401), a
/// malformed body (400) and an unknown region (400) alike.
pub async fn refuses_bad_regional_calls(server: &TestServer, token: &str, op: &str, body: Value) {
    assert_eq!(call(server, &format!("/auth/ctrl/{op}"), None, Some(&body)).await.status, 401, "{op}");
    let malformed = server
        .client
        .post(server.url(&format!("/api/v1/auth/ctrl/{op}")))
        .bearer_auth(token)
        .body("{\"Region\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400, "{op}");
    let mut elsewhere = body;
    elsewhere["Region"] = serde_json::json!("mars");
    assert_eq!(message(&ctrl(server, op, token, &elsewhere).await, 400), "Region \"mars\" not found", "{op}");
}

/// `body` with the value at `path` (object keys, outermost first) replaced.
pub fn changed_at(body: &Value, path: &[&str], value: Value) -> Value {
    let mut changed = body.clone();
    let (last, parents) = path.split_last().expect("a path");
    let mut at = &mut changed;
    for part in parents {
        at = &mut at[*part];
    }
    at[*last] = value;
    changed
}
