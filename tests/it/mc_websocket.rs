//! MC's WebSocket twins (`GET /ws/api/v1/auth/ctrl/<Op>`) driven by a real
//! WebSocket client, as MC's web console drives them.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_policies::people_and_cloudlets;
use crate::on_both_databases;

/// Sends the token and the body; answers the text frames (each as sent)
/// and the close code that ended them.
async fn exchange(
    server: &TestServer,
    op: &str,
    first: &str,
    body: Option<&Value>,
) -> (Vec<String>, Option<CloseCode>) {
    exchange_at(server, &format!("ctrl/{op}"), first, body).await
}

/// `exchange` with the twin at `/ws/api/v1/auth/<path>`.
pub async fn exchange_at(
    server: &TestServer,
    path: &str,
    first: &str,
    body: Option<&Value>,
) -> (Vec<String>, Option<CloseCode>) {
    let url = server.url(&format!("/ws/api/v1/auth/{path}")).replacen("http://", "ws://", 1);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket.send(Message::Text(first.into())).await.unwrap();
    if let Some(body) = body {
        // A server that refuses the message may close before it is sent.
        let _ = socket.send(Message::Text(body.to_string().into())).await;
    }
    let (mut texts, mut closed) = (Vec::new(), None);
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Text(text) => texts.push(text.to_string()),
            Message::Close(frame) => {
                closed = frame.map(|f| f.code);
                break;
            }
            _ => {}
        }
    }
    (texts, closed)
}

pub fn token_message(token: &str) -> String {
    format!("{{\"token\": \"{token}\"}}")
}

on_both_databases!(mc_a_cluster_create_streams_over_a_websocket, |server| {
    let (admin, _olga, dave) = people_and_cloudlets(&server).await;
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    // A unary operation answers its result as one frame.
    let (texts, closed) = exchange(&server, "CreateFlavor", &token_message(&admin), Some(&flavor)).await;
    assert_eq!((texts, closed), (vec!["{\"code\":200,\"data\":{}}\n".to_owned()], Some(CloseCode::Normal)));

    let cluster = json!({"Region": "local", "ClusterInst": {"key": {"cluster_key": {"name": "ws1", "organization": "devco"},
        "cloudlet_key": {"organization": "tmus", "name": "c1"}}, "flavor": {"name": "x1.small"}}});
    let (texts, closed) = exchange(&server, "CreateClusterInst", &token_message(&dave), Some(&cluster)).await;
    let expected: Vec<String> = [
        "Defaulting IpAccess to IpAccessShared for deployment kubernetes",
        "Creating",
        "First Create Task",
        "Second Create Task",
        "Getting Cluster Infra Resources",
        "Ready",
        "Created ClusterInst successfully",
    ]
    .iter()
    .map(|m| format!("{}\n", json!({"code": 200, "data": {"message": m}})))
    .collect();
    assert_eq!(texts, expected);
    assert_eq!(closed, Some(CloseCode::Normal));
    // The cluster is there, as its HTTP twin shows.
    let shown = stream_data(&ctrl(&server, "ShowClusterInst", &dave, &json!({"Region": "local"})).await);
    assert_eq!(shown.len(), 1);

    // A show streams records; an error is one frame with its status.
    let (texts, _) =
        exchange(&server, "ShowClusterInst", &token_message(&dave), Some(&json!({"Region": "local"}))).await;
    let record: Value = serde_json::from_str(&texts[0]).unwrap();
    assert_eq!(
        (record["code"].as_u64(), record["data"]["key"]["cluster_key"]["name"].as_str()),
        (Some(200), Some("ws1"))
    );
    let (texts, closed) = exchange(&server, "CreateClusterInst", &token_message(&dave), Some(&cluster)).await;
    assert_eq!(texts.len(), 1);
    let refused: Value = serde_json::from_str(&texts[0]).unwrap();
    assert_eq!(refused["code"], 400);
    assert!(refused["data"]["message"].as_str().unwrap_or_default().ends_with("already exists"), "{refused}");
    assert_eq!(closed, Some(CloseCode::Normal));
    let (texts, _) =
        exchange(&server, "ShowClusterInst", &token_message(&dave), Some(&json!({"Region": "mars"}))).await;
    assert_eq!(texts, ["{\"code\":400,\"data\":{\"message\":\"Region \\\"mars\\\" not found\"}}\n"]);
    let nobody = user(&server, "nora").await;
    let (texts, _) =
        exchange(&server, "ShowClusterInst", &token_message(&nobody), Some(&json!({"Region": "local"}))).await;
    assert_eq!(texts, ["{\"code\":403,\"data\":{\"message\":\"Forbidden\"}}\n"]);

    // Authentication is the first message; failures are code 400.
    let (texts, closed) = exchange(&server, "ShowClusterInst", &token_message("nonsense"), None).await;
    assert_eq!(texts, ["{\"code\":400,\"data\":{\"message\":\"Invalid or expired jwt\"}}\n"]);
    assert_eq!(closed, Some(CloseCode::Normal));
    let (texts, _) = exchange(&server, "ShowClusterInst", "", None).await;
    assert_eq!(texts, ["{\"code\":400,\"data\":{\"message\":\"No bearer token found\"}}\n"]);
    // A body past the HTTP twin's limit ends the socket without an answer.
    let huge = json!({"Region": "local", "pad": "x".repeat(steward::server::MAX_BODY_BYTES)});
    let (texts, _) = exchange(&server, "ShowClusterInst", &token_message(&dave), Some(&huge)).await;
    assert!(texts.is_empty(), "{texts:?}");
    let (texts, _) = exchange(&server, "NoSuchOp", &token_message(&dave), Some(&json!({}))).await;
    assert_eq!(texts, ["{\"code\":404,\"data\":{\"message\":\"Not Found\"}}\n"]);
});
