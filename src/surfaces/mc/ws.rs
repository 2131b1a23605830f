//! MC's WebSocket twins (`GET /ws/api/v1/auth/ctrl/<Op>`, and the
//! federation app onboard and deboard streams), which MC's web
//! console uses: after the upgrade the first message carries the token
//! (`{"token":"<jwt>"}`), the second the operation's JSON body; each answer
//! line goes out as a text frame `{"code":200,"data":...}\n`, an error as
//! `{"code":<status>,"data":{"message":...}}\n`, and a close frame (1000)
//! ends the exchange. The operation itself runs through the HTTP route,
//! request data, rate limits and metrics included, so the two twins cannot
//! disagree. See docs/mc-websocket-wire.md.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use futures_util::{SinkExt, StreamExt};
use poem::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use poem::http::{Method, StatusCode};
use poem::web::websocket::{CloseCode, Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::web::{Data, Path};
use poem::{Body, Endpoint, IntoResponse, Request, RequestParts, Response, handler};
use serde_json::{Value, json};

use super::caller::{Keys, authenticate_session};
use crate::wire::escape_markup_in_json;

/// The application the twins replay their requests through.
#[derive(Clone)]
pub struct Loopback(pub Arc<poem::endpoint::BoxEndpoint<'static, Response>>);

/// The operations whose HTTP answer is a stream of lines, by path under
/// `/api/v1/auth/` (`ctrl/CreateCloudlet`, `federation/consumer/app/onboard`).
static STREAMED: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let spec: Value = serde_json::from_str(super::SPEC_JSON).unwrap_or_default();
    spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, item)| item["post"].get("x-steward-stream").is_some())
        .filter_map(|(path, _)| path.strip_prefix("/api/v1/auth/").map(str::to_owned))
        .collect()
});

/// Whether MC has a WebSocket twin at `path`: every regional operation,
/// and the streamed ones elsewhere (federation app onboarding).
fn has_twin(path: &str) -> bool {
    match path.strip_prefix("ctrl/") {
        Some(operation) => !operation.is_empty() && !operation.contains('/'),
        None => STREAMED.contains(path),
    }
}

/// One frame as MC writes it: Go's encoder, markup escaped, a newline.
fn frame(code: u16, data: Value) -> Message {
    let text = escape_markup_in_json(json!({"code": code, "data": data}).to_string());
    Message::Text(format!("{text}\n"))
}

fn error_frame(code: u16, message: &str) -> Message {
    frame(code, json!({"message": super::errors::capitalized(message)}))
}

/// The first message: its token, or MC's words for why there is none.
fn token_of(message: &str) -> Result<String, String> {
    let trimmed = message.trim_start();
    let Some(first) = trimmed.chars().next() else { return Err("No bearer token found".into()) };
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(fields)) => Ok(fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("token"))
            .and_then(|(_, value)| value.as_str())
            .unwrap_or_default()
            .to_owned()),
        Ok(other) => {
            let kind = match other {
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Array(_) => "array",
                Value::Bool(_) => "bool",
                _ => "null",
            };
            Err(format!("json: cannot unmarshal {kind} into Go value of type orm.TokenAuth"))
        }
        Err(error) if error.is_eof() => Err("No bearer token found".into()),
        Err(_) => Err(format!("invalid character '{first}' looking for beginning of value")),
    }
}

async fn next_text(socket: &mut WebSocketStream) -> Option<String> {
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Text(text) => return Some(text),
            Message::Binary(bytes) => return Some(String::from_utf8_lossy(&bytes).into_owned()),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
    None
}

/// The frames for an HTTP answer of `operation`.
async fn frames_of(operation: &str, response: Response) -> Vec<Message> {
    let status = response.status();
    let body = response.into_body().into_string().await.unwrap_or_default();
    if status != StatusCode::OK {
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or_default().to_owned());
        return vec![error_frame(status.as_u16(), &message)];
    }
    if !STREAMED.contains(operation) {
        return vec![frame(200, serde_json::from_str(&body).unwrap_or(Value::Null))];
    }
    body.lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|line| match line.get("result") {
            Some(result) => {
                let code = result.get("code").and_then(Value::as_u64).unwrap_or(400) as u16;
                error_frame(code, result.get("message").and_then(Value::as_str).unwrap_or_default())
            }
            None => frame(200, line.get("data").cloned().unwrap_or(Value::Null)),
        })
        .collect()
}

/// Where the upgraded request came from, for the replayed one.
#[derive(Clone)]
struct Origin {
    local: poem::web::LocalAddr,
    remote: poem::web::RemoteAddr,
    scheme: poem::http::uri::Scheme,
}

/// Replays `body` as the HTTP twin's request, from the same client.
async fn replay(loopback: &Loopback, original: &Origin, path: &str, token: &str, body: String) -> Response {
    let request = poem::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/auth/{path}"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(CONTENT_TYPE, "application/json")
        // As a client would send it: echo's binder reads a body only when
        // its length is given.
        .header(CONTENT_LENGTH, body.len())
        .body(())
        .unwrap_or_default();
    let (parts, ()) = request.into_parts();
    let parts = RequestParts::from((parts, original.local.clone(), original.remote.clone(), original.scheme.clone()));
    match loopback.0.call(Request::from_parts(parts, Body::from_string(body))).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Whether the token names a session that stands.
async fn signed_in(keys: &Keys, token: &str) -> bool {
    let mut probe = Request::builder().header(AUTHORIZATION, format!("Bearer {token}")).finish();
    probe.extensions_mut().insert(keys.clone());
    authenticate_session(&probe).await.is_ok()
}

#[handler]
pub async fn twin(
    socket: WebSocket,
    request: &Request,
    Path(path): Path<String>,
    Data(loopback): Data<&Loopback>,
    Data(keys): Data<&Keys>,
) -> impl IntoResponse {
    let (loopback, keys) = (loopback.clone(), keys.clone());
    let original = Origin {
        local: request.local_addr().clone(),
        remote: request.remote_addr().clone(),
        scheme: request.scheme().clone(),
    };
    // A message is at most what the HTTP twin accepts as a body.
    let limit = crate::server::MAX_BODY_BYTES;
    let config = WebSocketConfig::default().max_message_size(Some(limit)).max_frame_size(Some(limit));
    socket.config(config).on_upgrade(move |mut socket| async move {
        let Some(first) = next_text(&mut socket).await else { return };
        let frames = match token_of(&first) {
            Err(message) => vec![error_frame(400, &message)],
            Ok(token) if !signed_in(&keys, &token).await => vec![error_frame(400, "Invalid or expired jwt")],
            Ok(token) => {
                let Some(body) = next_text(&mut socket).await else { return };
                match has_twin(&path) {
                    false => vec![error_frame(404, "Not Found")],
                    true => frames_of(&path, replay(&loopback, &original, &path, &token, body).await).await,
                }
            }
        };
        for frame in frames {
            if socket.send(frame).await.is_err() {
                return;
            }
        }
        let _ = socket.send(Message::Close(Some((CloseCode::Normal, String::new())))).await;
        let _ = socket.close().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_messages_are_read_as_mc_reads_them() {
        assert_eq!(token_of("{\"token\": \"abc\"}"), Ok("abc".into()));
        assert_eq!(token_of("{\"TOKEN\":\"abc\",\"x\":1}"), Ok("abc".into()));
        assert_eq!(token_of("  "), Err("No bearer token found".into()));
        assert_eq!(token_of("{\"token\""), Err("No bearer token found".into()));
        assert_eq!(token_of("abc"), Err("invalid character 'a' looking for beginning of value".into()));
        assert_eq!(token_of("\"x\""), Err("json: cannot unmarshal string into Go value of type orm.TokenAuth".into()));
    }

    #[test]
    fn streamed_operations_come_from_the_spec() {
        assert!(STREAMED.contains("ctrl/CreateClusterInst"));
        assert!(STREAMED.contains("ctrl/ShowApp"));
        assert!(!STREAMED.contains("ctrl/CreateApp"));
        assert!(has_twin("ctrl/CreateApp") && has_twin("federation/consumer/app/onboard"));
        assert!(!has_twin("federation/consumer/create") && !has_twin("ctrl/") && !has_twin("ctrl/a/b"));
    }
}
