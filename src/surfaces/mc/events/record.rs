//! MC's audit log: the middleware that records a request as MC's
//! `auditLogger` does. Every request is recorded except successful shows
//! and forbidden shows; the record carries the operation's name, the orgs
//! its body names, the request and the response (secrets replaced by
//! `***`), headers (credentials `****`), status and duration.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use poem::http::{HeaderMap, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use serde_json::Value;

use super::super::caller::{self, Keys};
use super::super::regional::app_rules::go_duration;
use crate::db::audit::{self, RequestEvent, SharedEvent};

/// This machine's name, as MC's events carry their node's.
static HOSTNAME: LazyLock<String> = LazyLock::new(|| {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "steward".to_owned())
});

/// What the spec says about one path: the event's name (the operation, as
/// MC's handler is named) and where its body names orgs.
struct Operation {
    name: String,
    org_pointers: Vec<String>,
}

static OPERATIONS: LazyLock<HashMap<String, Operation>> = LazyLock::new(|| {
    let spec: Value = serde_json::from_str(super::super::SPEC_JSON).unwrap_or_default();
    let mut out = HashMap::new();
    for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let Some(op) = item.get("post").or_else(|| item.get("get")) else { continue };
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default();
        let strings = |value: Option<&Value>| -> Vec<String> {
            value.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
        };
        let mut org_pointers = strings(op.get("x-steward-event-orgs"));
        let permission_org = op.pointer("/x-steward-permission/org").and_then(Value::as_str);
        org_pointers.extend(permission_org.filter(|pointer| !pointer.is_empty()).map(str::to_owned));
        let name = op.get("x-steward-event-name").and_then(Value::as_str).map_or_else(|| pascal(id), str::to_owned);
        out.insert(path.clone(), Operation { name, org_pointers });
    }
    out
});

fn pascal(id: &str) -> String {
    let mut chars = id.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// MC's show-like requests, recorded only when they fail with another
/// status than 403.
fn is_show_like(path: &str) -> bool {
    const QUIET: [&str; 6] =
        ["/auth/user/current", "/auth/metrics/", "/auth/events/", "/auth/audit/", "/oauth2/token", "/ctrl/Stream"];
    let last = path.rsplit('/').next().unwrap_or_default();
    path.contains("show") || last.starts_with("Show") || QUIET.iter().any(|quiet| path.contains(quiet))
}

/// Keys whose values MC's audit log replaces (case-insensitive), plus the
/// secrets MC left in clear: the receivers' webhook and key, and a user's
/// one-time-password seed in answers.
const SECRET_KEYS: [&str; 17] = [
    "token",
    "access_token",
    "clientsecret",
    "password",
    "passhash",
    "totp",
    "apikey",
    "access_vars",
    "license_config",
    "driver_path_creds",
    "clientkey",
    "partnernotifyclientkey",
    "providerclientkey",
    "slackwebhook",
    "pagerdutyintegrationkey",
    "totpsharedkey",
    "totpqrimage",
];

fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.iter().any(|secret| secret.eq_ignore_ascii_case(key))
}

fn redact_value(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match is_secret_key(key) {
                    true => *field = Value::String("***".into()),
                    false => redact_value(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// A body as the record keeps it: JSON with secrets replaced; anything else
/// only when it names no secret key (it cannot be redacted reliably).
pub fn redacted(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return Some(String::new());
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        redact_value(&mut value);
        return Some(value.to_string());
    }
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let names_secret = SECRET_KEYS.iter().any(|key| lower.contains(key)) || lower.contains("client_secret");
    (!names_secret).then(|| text.into_owned())
}

/// Headers as MC records them: keys sorted, one value as a string, several
/// as an array, credentials `****`.
fn headers_json(headers: &HeaderMap) -> String {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let key = canonical_header(name.as_str());
        let shown = match ["authorization", "set-cookie", "x-api-key", "cookie"].contains(&name.as_str()) {
            true => "****".to_owned(),
            false => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        out.entry(key).or_default().push(shown);
    }
    let object: serde_json::Map<String, Value> = out
        .into_iter()
        .map(|(key, mut values)| {
            let value = match values.len() {
                1 => Value::String(values.remove(0)),
                _ => Value::from(values),
            };
            (key, value)
        })
        .collect();
    Value::Object(object).to_string()
}

/// Go's canonical header form (`content-type` → `Content-Type`).
fn canonical_header(name: &str) -> String {
    name.split('-').map(pascal).collect::<Vec<_>>().join("-")
}

/// Tags of an edgeproto key, as its generated `GetTags` names them (empty
/// values included, as MC's spans carry them).
fn key_tags(kind: &str, key: &Value, out: &mut BTreeMap<String, String>) {
    let field = |name: &str| key.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut put = |tag: &str, name: &str| {
        out.insert(tag.to_owned(), field(name));
    };
    match kind {
        "app" => {
            put("apporg", "organization");
            put("app", "name");
            put("appver", "version");
        }
        "cloudlet" => {
            put("cloudletorg", "organization");
            put("cloudlet", "name");
            put("cloudletfedorg", "federated_organization");
        }
        "cluster" => {
            put("cluster", "name");
            put("clusterorg", "organization");
        }
        "appinst" => {
            put("appinst", "name");
            put("appinstorg", "organization");
            key_tags("cloudlet", key.get("cloudlet_key").unwrap_or(&Value::Null), out);
        }
        "clusterinst" => {
            key_tags("cluster", key.get("cluster_key").unwrap_or(&Value::Null), out);
            key_tags("cloudlet", key.get("cloudlet_key").unwrap_or(&Value::Null), out);
        }
        "network" => {
            put("network", "name");
            key_tags("cloudlet", key.get("cloudlet_key").unwrap_or(&Value::Null), out);
        }
        "flavor" => put("flavor", "name"),
        "policy" => {
            put("policyorg", "organization");
            put("policy", "name");
        }
        "cloudletpool" => {
            put("cloudletpoolorg", "organization");
            put("cloudletpool", "name");
        }
        "vmpool" => {
            put("vmpoolorg", "organization");
            put("vmpool", "name");
        }
        _ => {}
    }
}

/// The key tags of a regional request's object: where its body keeps the
/// key (`/<Object>/key`, or the key itself) and which kind of key it is.
fn regional_key_tags(body: &Value, out: &mut BTreeMap<String, String>) {
    const KEYS: [(&str, &str); 19] = [
        ("/App/key", "app"),
        ("/AppInst/key", "appinst"),
        ("/ClusterInst/key", "clusterinst"),
        ("/Cloudlet/key", "cloudlet"),
        ("/CloudletKey", "cloudlet"),
        ("/CloudletAllianceOrg/key", "cloudlet"),
        ("/CloudletResMap/key", "cloudlet"),
        ("/CloudletPool/key", "cloudletpool"),
        ("/CloudletPoolMember/key", "cloudletpool"),
        ("/Flavor/key", "flavor"),
        ("/Network/key", "network"),
        ("/VMPool/key", "vmpool"),
        ("/VMPoolMember/key", "vmpool"),
        ("/AutoScalePolicy/key", "policy"),
        ("/AutoProvPolicy/key", "policy"),
        ("/AutoProvPolicyCloudlet/key", "policy"),
        ("/AppAutoProvPolicy/app_key", "app"),
        ("/AppAlertPolicy/app_key", "app"),
        ("/DeploymentCloudletRequest/app/key", "app"),
    ];
    if let Some((key, kind)) = KEYS.iter().find_map(|(at, kind)| body.pointer(at).map(|key| (key, *kind))) {
        key_tags(kind, key, out);
    }
}

fn body_orgs(body: &Value, pointers: &[String]) -> Vec<String> {
    pointers.iter().filter_map(|pointer| body.pointer(pointer).and_then(Value::as_str)).map(str::to_owned).collect()
}

/// The record's longest request or response text; longer ones are cut.
const MAX_RECORDED: usize = 64 * 1024;

fn bounded(mut text: String) -> String {
    if text.len() > MAX_RECORDED {
        let mut end = MAX_RECORDED;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

fn opened(request: &Request, body: &[u8], started: time::OffsetDateTime) -> RequestEvent {
    let path = request.uri().path();
    let operation = OPERATIONS.get(path);
    let parsed: Value = serde_json::from_slice(body).unwrap_or_default();
    let mut tags = BTreeMap::new();
    let mut put = |key: &str, value: String| {
        tags.insert(key.to_owned(), value);
    };
    put("method", request.method().to_string());
    put("localuri", request.uri().path_and_query().map(|uri| uri.to_string()).unwrap_or_default());
    put("remote-ip", request.remote_addr().as_socket_addr().map(|addr| addr.ip().to_string()).unwrap_or_default());
    put("reqheaders", headers_json(request.headers()));
    put("hostname", HOSTNAME.clone());
    if let Some(text) = redacted(body) {
        put("request", bounded(text));
    }
    if let Ok(claims) = caller::authenticate(request) {
        match claims.is_api_key() {
            true => {
                put("apikeyid", claims.username.clone());
                put("username", claims.apikeyusername.clone());
            }
            false => put("username", claims.username.clone()),
        }
        put("email", claims.email.clone());
    }
    let orgs = operation.map(|op| body_orgs(&parsed, &op.org_pointers)).unwrap_or_default();
    if let Some(org) = orgs.first() {
        put("org", org.clone());
    }
    let region = parsed.get("Region").and_then(Value::as_str).filter(|region| !region.is_empty());
    if let Some(region) = region {
        put("region", region.to_owned());
    }
    if path.starts_with("/api/v1/auth/ctrl/") {
        regional_key_tags(&parsed, &mut tags);
    }
    let name = operation.map(|op| op.name.clone()).unwrap_or_else(|| path.to_owned());
    // MC's events name at least the empty org.
    let orgs = if orgs.is_empty() { vec![String::new()] } else { orgs };
    RequestEvent::audit(name, audit::micros(started), orgs, tags)
}

/// The error text of a failed answer: its `message`, as MC's error.
fn error_text(status: StatusCode, body: &[u8]) -> Option<String> {
    if status == StatusCode::OK {
        return None;
    }
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| value.get("message").and_then(Value::as_str).map(str::to_owned));
    Some(message.unwrap_or_else(|| status.canonical_reason().unwrap_or_default().to_owned()))
}

pub async fn recorded<E: Endpoint>(next: Arc<E>, mut request: Request) -> poem::Result<Response> {
    let Some(db) = request.data::<Keys>().map(|keys| keys.db.clone()) else {
        return next.call(request).await.map(IntoResponse::into_response);
    };
    let started = super::super::store::now();
    let clock = Instant::now();
    let body = request.take_body().into_bytes().await?;
    request.set_body(body.clone());
    let show_like = is_show_like(request.uri().path());
    let events_path = request.uri().path().contains("/events/");
    let event = Arc::new(Mutex::new(opened(&request, &body, started)));
    let answered = audit::within(event.clone(), next.call(request)).await.map(IntoResponse::into_response);
    // Errors travel on as errors: the edges answer them in MC's shape.
    let status = match &answered {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    if show_like && (status == StatusCode::OK || status == StatusCode::FORBIDDEN) {
        return answered;
    }
    let response = match answered {
        Ok(response) => response,
        Err(error) => {
            let text = match error.downcast_ref::<super::super::errors::McError>() {
                Some(refusal) => refusal.message.clone(),
                None => error.to_string(),
            };
            let actor = complete(&event, status, Some(text), &HeaderMap::new(), None, clock);
            finish(&db, &actor, &event).await;
            return Err(error);
        }
    };
    let (parts, body) = response.into_parts();
    let body = body.into_bytes().await.unwrap_or_default();
    // MC keeps event searches' answers unredacted (they hold redacted
    // records already).
    let response = match events_path {
        true => Some(String::from_utf8_lossy(&body).into_owned()),
        false => redacted(&body),
    };
    let actor = complete(&event, status, error_text(status, &body), &parts.headers, response, clock);
    finish(&db, &actor, &event).await;
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// Adds what the answer tells to the event; the actor it names.
fn complete(
    event: &SharedEvent,
    status: StatusCode,
    error: Option<String>,
    headers: &HeaderMap,
    response: Option<String>,
    clock: Instant,
) -> String {
    let mut event = event.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    event.error = error;
    event.tags.insert("status".into(), status.as_u16().to_string());
    event.tags.insert("respheaders".into(), headers_json(headers));
    event.tags.insert("duration".into(), go_duration(clock.elapsed().as_nanos() as u64));
    if let Some(response) = response {
        event.tags.insert("response".into(), bounded(response));
    }
    event.tags.get("username").cloned().unwrap_or_default()
}

async fn finish(db: &sea_orm::DatabaseConnection, actor: &str, event: &SharedEvent) {
    if let Err(error) = audit::finish(db, "mc", actor, event).await {
        tracing::warn!(surface = "mc", %error, "recording the request's event failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_wherever_they_nest() {
        let body =
            br#"{"Name":"r","PASSWORD":"p","Inner":{"ApiKey":"k","list":[{"token":"t"}]},"SlackWebhook":"https://x"}"#;
        let text = redacted(body).unwrap_or_default();
        assert!(
            !text.contains("\"p\"") && !text.contains("\"k\"") && !text.contains("\"t\"") && !text.contains("https")
        );
        assert_eq!(text.matches("***").count(), 4, "{text}");
        assert_eq!(redacted(b"password=hunter2"), None);
        assert_eq!(redacted(b"plain"), Some("plain".to_owned()));
    }

    #[test]
    fn shows_and_searches_are_quiet() {
        assert!(is_show_like("/api/v1/auth/org/show"));
        assert!(is_show_like("/api/v1/auth/ctrl/ShowApp"));
        assert!(is_show_like("/api/v1/auth/events/terms"));
        assert!(!is_show_like("/api/v1/auth/org/create"));
        assert!(!is_show_like("/api/v1/login"));
    }

    #[test]
    fn headers_are_canonical_and_credentials_hidden() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer abc".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        assert_eq!(headers_json(&headers), r#"{"Authorization":"****","Content-Type":"application/json"}"#);
    }

    #[test]
    fn regional_objects_tag_their_keys_as_edgeproto_does() {
        let mut tags = BTreeMap::new();
        let body = serde_json::json!({"Region": "local", "AppInst": {"key": {"name": "i1", "organization": "dev",
            "cloudlet_key": {"organization": "op", "name": "c1"}}}});
        regional_key_tags(&body, &mut tags);
        let expected = [
            ("appinst", "i1"),
            ("appinstorg", "dev"),
            ("cloudlet", "c1"),
            ("cloudletfedorg", ""),
            ("cloudletorg", "op"),
        ];
        assert_eq!(tags, expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    }

    #[test]
    fn operations_are_named_as_mcs_handlers() {
        assert_eq!(OPERATIONS.get("/api/v1/auth/org/create").map(|op| op.name.as_str()), Some("CreateOrg"));
        assert_eq!(OPERATIONS.get("/api/v1/login").map(|op| op.name.as_str()), Some("Login"));
        let zone = OPERATIONS.get("/api/v1/auth/federation/provider/zonebase/create").map(|op| op.name.as_str());
        assert_eq!(zone, Some("CreateProviderZoneBase"), "named by x-steward-event-name");
        let pool = OPERATIONS.get("/api/v1/auth/cloudletpoolaccessinvitation/create").map(|op| op.org_pointers.clone());
        assert_eq!(pool, Some(vec!["/CloudletPoolOrg".to_owned()]));
    }
}
