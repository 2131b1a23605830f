//! Checksum authentication and the request-level failures Scalelite
//! answers before any handler runs.

use serde_json::json;

use crate::harness::{SECOND_SECRET, SECRET};
use crate::on_both_databases;
use crate::scalelite_client::{post, send, sha1_checksum, sha256_checksum, sha512_checksum, signed};

const ACTIONS: [(&str, &str); 11] = [
    ("GET", "getServers"),
    ("GET", "getServerInfo"),
    ("POST", "addServer"),
    ("POST", "updateServer"),
    ("POST", "deleteServer"),
    ("POST", "panicServer"),
    ("GET", "getTenants"),
    ("GET", "getTenantInfo"),
    ("POST", "addTenant"),
    ("POST", "updateTenant"),
    ("POST", "deleteTenant"),
];

on_both_databases!(every_digest_and_every_secret_is_accepted, |server| {
    let body = json!({"server": {"url": "https://a/api", "secret": "s"}});
    let checksums = [
        sha1_checksum("addServer", "", SECRET),
        sha256_checksum("addServer", "", SECRET),
        sha512_checksum("addServer", "", SECRET),
        sha1_checksum("addServer", "", SECOND_SECRET),
        sha256_checksum("addServer", "", SECOND_SECRET),
    ];
    for checksum in checksums {
        let url = server.url(&format!("/scalelite/api/addServer?checksum={checksum}"));
        let reply = send(server.client.post(url).json(&body)).await;
        assert_eq!(reply.status, 201, "{checksum}: {}", reply.body);
    }
});

on_both_databases!(query_parameters_are_signed_as_sent, |server| {
    let query = "id=a%20b&x=1";
    let checksum = sha256_checksum("getServerInfo", query, SECRET);
    let url = server.url(&format!("/scalelite/api/getServerInfo?id=a%20b&checksum={checksum}&x=1"));
    let reply = send(server.client.get(url)).await;
    assert_eq!(reply.status, 404, "authenticated, then not found: {}", reply.body);
    assert_eq!(reply.json(), json!({"error": "Couldn't find server with id=a b"}));
});

on_both_databases!(wrong_or_missing_checksums_fail_every_operation, |server| {
    let wrong_secret = sha1_checksum("getServers", "", "not-the-secret");
    let wrong_action = sha1_checksum("getTenants", "", SECRET);
    let uppercase = sha1_checksum("getServers", "", SECRET).to_uppercase();
    for (method, action) in ACTIONS {
        for query in [
            "".to_owned(),
            "checksum=".to_owned(),
            format!("checksum={wrong_secret}"),
            format!("checksum={wrong_action}"),
            format!("checksum={uppercase}"),
            "checksum=abc".to_owned(),
        ] {
            let url = server.url(&format!("/scalelite/api/{action}?{query}"));
            let request = if method == "GET" {
                server.client.get(url)
            } else {
                server.client.post(url).json(&json!({"id": "x"}))
            };
            let reply = send(request).await;
            // The wrong action's checksum is right only for getTenants.
            if action == "getTenants" && query.ends_with(&wrong_action) {
                continue;
            }
            assert_eq!(reply.failure_key(), "checksumError", "{method} {action}?{query}");
            assert!(reply.body.contains("<message>You did not pass the checksum security check</message>"));
        }
    }
});

on_both_databases!(post_bodies_must_be_json, |server| {
    let url = server.url(&signed("addServer", ""));
    let form = send(
        server.client.post(&url).header("content-type", "application/x-www-form-urlencoded").body("server[url]=x"),
    )
    .await;
    assert_eq!(form.failure_key(), "unsupportedContentType");
    assert!(form.body.contains("<message>POST request Content-Type is missing or unsupported</message>"));
    let untyped = send(server.client.post(&url).body("{}")).await;
    assert_eq!(untyped.failure_key(), "unsupportedContentType");
    // Rails' JSON synonyms are JSON.
    let synonym = send(
        server
            .client
            .post(&url)
            .header("content-type", "text/x-json")
            .body(r#"{"server":{"url":"https://a/api","secret":"s"}}"#),
    )
    .await;
    assert_eq!(synonym.status, 201, "{}", synonym.body);
    // A wrong content type is reported before a wrong checksum.
    let unsigned =
        send(server.client.post(server.url("/scalelite/api/addServer")).header("content-type", "text/plain").body("x"))
            .await;
    assert_eq!(unsigned.failure_key(), "unsupportedContentType");
});

on_both_databases!(malformed_json_is_an_empty_400, |server| {
    for (action, body) in [("addServer", "{bad"), ("updateServer", "[1,"), ("deleteTenant", "{\"id\":")] {
        let url = server.url(&signed(action, ""));
        let reply = send(server.client.post(url).header("content-type", "application/json").body(body)).await;
        assert_eq!(reply.status, 400, "{action}");
        assert_eq!(reply.body, "");
        assert!(reply.content_type.starts_with("text/html"));
    }
    // Rails parses the body while looking for the checksum: 400 even unsigned.
    let unsigned = send(
        server
            .client
            .post(server.url("/scalelite/api/addServer"))
            .header("content-type", "application/json")
            .body("{bad"),
    )
    .await;
    assert_eq!(unsigned.status, 400);
});

on_both_databases!(a_checksum_may_travel_in_the_json_body, |server| {
    let checksum = sha1_checksum("addServer", "", SECRET);
    let body = json!({"checksum": checksum, "server": {"url": "https://a/api", "secret": "s"}});
    let reply = send(server.client.post(server.url("/scalelite/api/addServer")).json(&body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
});

on_both_databases!(unknown_paths_and_methods_are_unsupported_requests, |server| {
    for request in [
        server.client.get(server.url("/scalelite/api/noSuchAction")),
        server.client.post(server.url(&signed("getServers", ""))).json(&json!({})),
        server.client.get(server.url(&signed("addServer", ""))),
        server.client.delete(server.url("/scalelite/api/deleteServer")),
    ] {
        let reply = send(request).await;
        assert_eq!(reply.failure_key(), "unsupportedRequest");
        assert!(reply.body.contains("<message>This request is not supported.</message>"));
    }
});

on_both_databases!(format_suffixes_route_like_rails, |server| {
    let reply = send(server.client.get(
        server.url(&format!("/scalelite/api/getServers.json?checksum={}", sha1_checksum("getServers", "", SECRET))),
    ))
    .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json(), json!({"error": "No servers are configured"}));
    let head = server.client.head(server.url(&signed("getServers", ""))).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 404);
    let _ = post(&server, "addServer", "", &json!({"server": {"url": "u", "secret": "s"}})).await;
});
