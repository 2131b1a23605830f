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
    // Scalelite calls are signed in the browser (the browser test runs it).
    assert!(initializer.body.contains("requestInterceptor: signScalelite"), "{}", initializer.body);
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

/// The value of one sample line of `/metrics`, by its exact name and labels.
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_by_surface_operation_and_status() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    let scrape = || async { send(server.client.get(server.url("/metrics"))).await };
    // With no server configured, Scalelite's getServers answers 404.
    let ok = r#"steward_http_requests_total{surface="scalelite",operation="getServers",status="404"}"#;
    let unrouted = r#"steward_http_requests_total{surface="scalelite",operation="none",status="200"}"#;
    let latency = r#"steward_http_request_duration_seconds_count{surface="scalelite",operation="getServers"}"#;
    let before = scrape().await;
    assert_eq!(before.status, 200);
    // Other tests in this process share the recorder: compare increases.
    for _ in 0..3 {
        assert_eq!(send(server.client.get(server.url(&signed("getServers", "")))).await.status, 404);
    }
    send(server.client.get(server.url("/scalelite/api/nothingHere"))).await;
    let after = scrape().await;
    assert!(sample(&after.body, ok) - sample(&before.body, ok) >= 3.0, "{}", after.body);
    assert!(sample(&after.body, latency) - sample(&before.body, latency) >= 3.0, "{}", after.body);
    assert!(sample(&after.body, unrouted) - sample(&before.body, unrouted) >= 1.0, "{}", after.body);
    for series in [
        "steward_password_hash_waiting",
        "steward_password_hash_running",
        "steward_password_hash_rejected_total",
        r#"steward_db_pool_connections{state="in_use"}"#,
    ] {
        assert!(after.body.lines().any(|line| line.starts_with(series)), "{series}: {}", after.body);
    }
    assert!(after.body.contains(&format!(r#"steward_build_info{{version="{}"}} 1"#, env!("CARGO_PKG_VERSION"))));
}
