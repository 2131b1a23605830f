//! Steward as a host's client (MC's `federationmgmt.Client`): a token by
//! client credentials at the host's token URL, then JSON calls to its
//! east-west API, a failure read as the host's ProblemDetails.

use serde_json::Value;

use super::super::errors::McError;
use crate::egress;

/// How long one call to a host may take (MC allowed an hour).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub struct PartnerClient {
    http: reqwest::Client,
    addr: String,
    token: String,
}

/// The client for partners: bounded, reaching only addresses a partner
/// may have (`crate::egress`), directly (no environment proxy).
fn http() -> Result<reqwest::Client, McError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(egress::Resolver))
        .redirect(egress::redirects())
        .build()
        .map_err(|e| McError::internal("HTTP client", e))
}

impl PartnerClient {
    /// A token from `token_url` for the client `id` (HTTP Basic, scope
    /// `fed-mgmt`, as golang.org/x/oauth2's clientcredentials asks).
    pub async fn connect(addr: &str, token_url: &str, id: &str, secret: &str) -> Result<Self, McError> {
        let http = http()?;
        let failed = |why: String| McError::bad_request(format!("failed to get federation token for {addr}: {why}"));
        if let Some(refused) = egress::refused_url(token_url) {
            return Err(failed(format!("Post {token_url:?}: {refused}")));
        }
        let reply = http
            .post(token_url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", "fed-mgmt")])
            .send()
            .await
            .map_err(|e| failed(format!("Post {token_url:?}: {}", described(&e))))?;
        let status = reply.status();
        let body: Value = reply.json().await.unwrap_or_default();
        if !status.is_success() {
            let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
            return Err(failed(format!("oauth2: {:?} {:?}", text("error"), text("error_description"))));
        }
        let token = body.get("access_token").and_then(Value::as_str).unwrap_or("").to_owned();
        if token.is_empty() {
            return Err(failed("oauth2: server response missing access_token".to_owned()));
        }
        // An address without a scheme is an https one (MC's client).
        let addr = match addr.contains("://") {
            true => addr.trim_end_matches('/').to_owned(),
            false => format!("https://{}", addr.trim_end_matches('/')),
        };
        Ok(Self { http, addr, token })
    }

    /// `method path` on the host; its JSON answer (`Null` when empty).
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, McError> {
        let url = format!("{}{path}", self.addr);
        let mut request = self.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request, &method, &url).await
    }

    /// A multipart `POST path` of text `fields` (MC's `MultiPartFormData`).
    pub async fn post_form(&self, path: &str, fields: Vec<(&'static str, String)>) -> Result<Value, McError> {
        let url = format!("{}{path}", self.addr);
        let form =
            fields.into_iter().fold(reqwest::multipart::Form::new(), |form, (name, value)| form.text(name, value));
        answer(self.request(reqwest::Method::POST, &url).multipart(form), &reqwest::Method::POST, &url).await
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(&self.token)
            .header("x-api-key", &self.token)
            .header("accept", "application/json")
    }
}

/// The host's answer to `request`: its JSON (`Null` when empty), or its
/// refusal as MC words it (`<METHOD> <url> failed: <problem>`).
async fn answer(request: reqwest::RequestBuilder, method: &reqwest::Method, url: &str) -> Result<Value, McError> {
    let failed = |why: String| McError::bad_request(format!("{method} {url} failed: {why}"));
    if let Some(refused) = egress::refused_url(url) {
        return Err(failed(refused));
    }
    let reply = request.send().await.map_err(|e| failed(described(&e)))?;
    let status = reply.status().as_u16();
    let text = reply.text().await.map_err(|e| failed(described(&e)))?;
    if !matches!(status, 200..=202) {
        return Err(failed(problem(&text)));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A transport failure with its causes (reqwest's own text names only
/// the URL; the cause says what went wrong, as Go's error does).
fn described(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// A ProblemDetails body as MC reports it (title, detail and cause joined),
/// else the body itself.
fn problem(text: &str) -> String {
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(text) else { return text.to_owned() };
    let parts: Vec<&str> = ["title", "detail", "cause"]
        .iter()
        .filter_map(|key| body.get(*key).and_then(Value::as_str))
        .filter(|part| !part.is_empty())
        .collect();
    match parts.is_empty() {
        true => text.to_owned(),
        false => parts.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_read_as_mc_reads_them() {
        assert_eq!(problem(r#"{"detail":"Zone x not found"}"#), "Zone x not found");
        assert_eq!(problem(r#"{"title":"Bad","detail":"no"}"#), "Bad, no");
        assert_eq!(problem("plain"), "plain");
    }
}
