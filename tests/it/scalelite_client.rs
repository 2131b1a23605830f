//! A Scalelite API client as Scalelite's own users write one: every call
//! signed with a checksum of action + query + secret.

use serde_json::Value;
use sha2::Digest;

use crate::harness::{SECRET, TestServer};

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The `messageKey` of a BigBlueButton-style XML failure (HTTP 200).
    pub fn failure_key(&self) -> String {
        assert_eq!(self.status, 200, "XML failures answer 200: {}", self.body);
        assert!(self.content_type.starts_with("application/xml"), "{}", self.content_type);
        assert!(
            self.body.starts_with("<?xml version=\"1.0\"?>\n<response>\n  <returncode>FAILED</returncode>\n"),
            "{}",
            self.body
        );
        let start = self.body.find("<messageKey>").expect("messageKey") + "<messageKey>".len();
        let end = self.body.find("</messageKey>").expect("messageKey end");
        self.body[start..end].to_owned()
    }
}

pub fn sha1_checksum(action: &str, query: &str, secret: &str) -> String {
    steward::surfaces::scalelite::auth::sign(action, query, secret)
}

pub fn sha256_checksum(action: &str, query: &str, secret: &str) -> String {
    hex_digest(sha2::Sha256::digest(format!("{action}{query}{secret}")))
}

pub fn sha512_checksum(action: &str, query: &str, secret: &str) -> String {
    hex_digest(sha2::Sha512::digest(format!("{action}{query}{secret}")))
}

fn hex_digest(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The path and query of a signed call.
pub fn signed(action: &str, query: &str) -> String {
    let checksum = sha1_checksum(action, query, SECRET);
    if query.is_empty() {
        format!("/scalelite/api/{action}?checksum={checksum}")
    } else {
        format!("/scalelite/api/{action}?{query}&checksum={checksum}")
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.text().await.expect("body");
    Reply { status, content_type, body }
}

pub async fn get(server: &TestServer, action: &str, query: &str) -> Reply {
    send(server.client.get(server.url(&signed(action, query)))).await
}

pub async fn post(server: &TestServer, action: &str, query: &str, body: &Value) -> Reply {
    send(server.client.post(server.url(&signed(action, query))).json(body)).await
}

/// Adds a server and returns its id.
pub async fn add_server(server: &TestServer, url: &str) -> String {
    let reply =
        post(server, "addServer", "", &serde_json::json!({"server": {"url": url, "secret": "bbb-secret"}})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["id"].as_str().expect("id").to_owned()
}

pub async fn add_tenant(server: &TestServer, name: &str, secrets: &str) -> String {
    let reply = post(server, "addTenant", "", &serde_json::json!({"tenant": {"name": name, "secrets": secrets}})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["tenant"]["id"].as_str().expect("id").to_owned()
}
