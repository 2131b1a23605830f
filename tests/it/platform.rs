//! The platform around the surfaces: probes, specs, docs, request ids,
//! graceful shutdown.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Backend, TestServer};
use crate::scalelite_client::{send, signed};

#[tokio::test]
async fn probes_answer() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let health = send(server.client.get(server.url("/healthz"))).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let ready = send(server.client.get(server.url("/readyz"))).await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
}

#[tokio::test]
async fn specs_are_served_as_written() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let yaml = send(server.client.get(server.url("/openapi/scalelite.yaml"))).await;
    assert_eq!(yaml.status, 200);
    assert_eq!(yaml.body, std::fs::read_to_string("openapi/scalelite.yaml").unwrap());
    let json = send(server.client.get(server.url("/openapi/scalelite.json"))).await;
    let from_yaml: serde_json::Value = serde_yaml_ng::from_str(&yaml.body).unwrap();
    assert_eq!(json.json(), from_yaml);
    assert_eq!(send(server.client.get(server.url("/openapi/nothing.yaml"))).await.status, 404);
}

#[tokio::test]
async fn docs_list_every_surface() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let index = send(server.client.get(server.url("/docs/"))).await;
    assert_eq!(index.status, 200);
    assert!(index.body.contains("swagger-ui"), "{}", index.body);
    let initializer = send(server.client.get(server.url("/docs/swagger-initializer.js"))).await;
    for spec in steward::surfaces::SPECS {
        assert!(initializer.body.contains(&format!("/openapi/{}.json", spec.name)), "{}", initializer.body);
    }
    let redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let docs = redirect.get(server.url("/docs")).send().await.unwrap();
    assert_eq!(docs.headers()["location"], "/docs/");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    for path in ["/healthz", "/nowhere", "/scalelite/api/getServers", "/scalelite/api/unknown"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        let id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert!(id.is_some_and(|id| uuid::Uuid::parse_str(&id).is_ok()), "{path}");
    }
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let Some(mut server) = TestServer::start(Backend::Sqlite).await else { return };
    let body = br#"{"server":{"url":"https://a/api","secret":"s"}}"#;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        signed("addServer", ""),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopping = tokio::spawn(async move {
        server.stop().await;
        server
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let _server = stopping.await.unwrap();
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let body =
        format!("{{\"server\":{{\"url\":\"{}\",\"secret\":\"s\"}}}}", "x".repeat(steward::server::MAX_BODY_BYTES));
    let reply = send(
        server.client.post(server.url(&signed("addServer", ""))).header("content-type", "application/json").body(body),
    )
    .await;
    assert_eq!(reply.status, 413);
}

#[tokio::test]
async fn chunked_bodies_are_refused_past_the_limit() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let big =
        format!("{{\"server\":{{\"url\":\"{}\",\"secret\":\"s\"}}}}", "x".repeat(steward::server::MAX_BODY_BYTES));
    let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(big)];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let reply = send(
        server.client.post(server.url(&signed("addServer", ""))).header("content-type", "application/json").body(body),
    )
    .await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    let small: Vec<Result<String, std::io::Error>> = vec![Ok(r#"{"server":{"url":"u","secret":"s"}}"#.into())];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(small));
    let reply = send(
        server.client.post(server.url(&signed("addServer", ""))).header("content-type", "application/json").body(body),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn http2_cleartext_bodies_are_bounded_too() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let h2c = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let big =
        format!("{{\"server\":{{\"url\":\"{}\",\"secret\":\"s\"}}}}", "x".repeat(steward::server::MAX_BODY_BYTES));
    let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(big)];
    let request = h2c
        .post(server.url(&signed("addServer", "")))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)));
    let response = request.send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 413);
    let small: Vec<Result<String, std::io::Error>> = vec![Ok(r#"{"server":{"url":"u","secret":"s"}}"#.into())];
    let request = h2c
        .post(server.url(&signed("addServer", "")))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(small)));
    assert_eq!(request.send().await.unwrap().status(), 201);
}

crate::on_both_databases!(nul_characters_and_invalid_utf8_never_reach_a_500, |server| {
    use crate::harness::{ARGO_KEY, STORJ_TOKEN};
    let json = |method: reqwest::Method, path: &str, body: &str| {
        server.client.request(method, server.url(path)).header("content-type", "application/json").body(body.to_owned())
    };
    let storj = |request: reqwest::RequestBuilder| request.header("authorization", STORJ_TOKEN);
    let argo =
        |request: reqwest::RequestBuilder| request.header("x-api-key", ARGO_KEY).header("accept", "application/json");
    let requests = vec![
        (
            "storj create user",
            storj(json(
                reqwest::Method::POST,
                "/api/user",
                r#"{"email":"a\u0000@b.c","fullName":"N\u0000","password":"123456"}"#,
            )),
        ),
        ("storj get user", storj(server.client.get(server.url("/api/user/a%00b@c.d")))),
        (
            "argo create tenant",
            argo(json(reqwest::Method::POST, "/api/v2/admin/tenants", r#"{"info":{"name":"T\u0000"}}"#)),
        ),
        ("argo get tenant", argo(server.client.get(server.url("/api/v2/admin/tenants/a%00b")))),
        ("argo invalid utf-8", argo(server.client.get(server.url("/api/v2/admin/tenants/%FF")))),
        (
            "mc usercreate",
            json(
                reqwest::Method::POST,
                "/api/v1/usercreate",
                r#"{"Name":"nul","Email":"n\u0000@example.com","Passhash":"1orangefoxquickhandlebrush1"}"#,
            ),
        ),
        (
            "scalelite add server",
            json(
                reqwest::Method::POST,
                &signed("addServer", ""),
                r#"{"server":{"url":"https://b\u0000","secret":"s"}}"#,
            ),
        ),
    ];
    for (what, request) in requests {
        let reply = send(request).await;
        assert!(reply.status < 500, "{what}: {} {}", reply.status, reply.body);
    }
});
