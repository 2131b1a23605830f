//! The served spec and the server must never disagree: the operations
//! poem-openapi serves (paths, methods, operationIds, parameters, statuses)
//! equal the hand-written spec's, and each one answers over HTTP.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use steward::surfaces::SPECS;

use crate::harness::{Backend, TestServer};

#[derive(Debug, PartialEq, Eq)]
struct Operation {
    operation_id: String,
    /// (in, name, required)
    parameters: BTreeSet<(String, String, bool)>,
    statuses: BTreeSet<String>,
}

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.trim_start_matches("#/").split('/').fold(spec, |value, key| &value[key]),
        None => node,
    }
}

/// (METHOD path) → operation, for every path a surface owns.
fn operations(spec: &Value, surface: &str) -> BTreeMap<String, Operation> {
    let mut found = BTreeMap::new();
    let Some(paths) = spec["paths"].as_object() else { return found };
    let owned = |path: &str| steward::surfaces::owner(path).is_some_and(|owner| owner.name == surface);
    for (path, item) in paths.iter().filter(|(path, _)| owned(path)) {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(item["parameters"].as_array().into_iter().flatten())
                .map(|p| resolve(spec, p))
                .map(|p| {
                    let name = p["name"].as_str().unwrap_or_default().to_owned();
                    (p["in"].as_str().unwrap_or_default().to_owned(), name, p["required"].as_bool().unwrap_or(false))
                })
                .collect();
            let statuses = op["responses"].as_object().map(|r| r.keys().cloned().collect()).unwrap_or_default();
            let operation_id = op["operationId"].as_str().unwrap_or_default().to_owned();
            found.insert(format!("{} {path}", method.to_uppercase()), Operation { operation_id, parameters, statuses });
        }
    }
    found
}

async fn runtime_spec(surface: &str) -> Value {
    let db = steward::db::connect("sqlite::memory:").await.expect("db");
    let db_for_lighthouse = db.clone();
    let services = steward::server::Services::new(
        steward::surfaces::scalelite::Scalelite::new(db.clone(), true),
        steward::surfaces::storj::Storj::new(db.clone()),
        steward::surfaces::argo::Argo::new(db.clone()),
        steward::surfaces::mc::Mc::new(
            db,
            steward::surfaces::mc::token::SigningKey::new(b"drift"),
            steward::surfaces::mc::Settings {
                verify_email: false,
                bad_auth_delay: std::time::Duration::ZERO,
                superuser: "mexadmin".into(),
                secrets: steward::sealing::Sealer::new(&[0; 32]),
                public_url: "http://127.0.0.1:8080".into(),
                federation_url: "http://127.0.0.1:8080".into(),
            },
            std::sync::Arc::new(steward::surfaces::mc::mail::DevMailer::default()),
        ),
        steward::surfaces::lighthouse::Lighthouse::new(
            steward::surfaces::lighthouse::session::Sessions {
                db: db_for_lighthouse,
                lifetime: std::time::Duration::from_secs(60),
            },
            steward::sealing::Sealer::new(&[0; 32]),
        ),
    );
    let spec = services.runtime_spec(surface).unwrap_or_else(|| panic!("no runtime spec for {surface}"));
    serde_json::from_str(&spec).expect("runtime spec is JSON")
}

#[tokio::test]
async fn runtime_operations_equal_the_hand_written_spec() {
    for spec in SPECS {
        let runtime = runtime_spec(spec.name).await;
        let written: Value = serde_json::from_str(spec.json).expect("spec JSON");
        let expected = operations(&written, spec.name);
        assert!(!expected.is_empty(), "{} has operations", spec.name);
        assert_eq!(operations(&runtime, spec.name), expected, "{} drifted", spec.name);
    }
}

#[tokio::test]
async fn drift_is_detected() {
    let runtime = runtime_spec(SPECS[0].name).await;
    let mut written: Value = serde_json::from_str(SPECS[0].json).unwrap();
    let prefix = SPECS[0].name;
    let baseline = operations(&written, prefix);
    assert_eq!(operations(&runtime, prefix), baseline);

    let path = written["paths"].as_object().and_then(|p| p.keys().next().cloned()).unwrap();
    let removed = written["paths"].as_object_mut().unwrap().remove(&path).unwrap();
    assert_ne!(operations(&runtime, prefix), operations(&written, prefix), "a removed operation is drift");

    written["paths"][&path] = removed;
    let op = written["paths"][&path].as_object_mut().unwrap().values_mut().next().unwrap();
    op["responses"]["418"] = serde_json::json!({"description": "teapot"});
    assert_ne!(operations(&runtime, prefix), operations(&written, prefix), "an undocumented status is drift");
}

#[tokio::test]
async fn every_spec_operation_is_served() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else { return };
    // MC answers an unrouted /auth/ path without a token with the same 401
    // as a routed one, so MC's operations are called logged in.
    let mc_token = crate::mc_client::admin(&server).await;
    // Lighthouse answers every path without a session with the same 401.
    let lighthouse_cookie = crate::lighthouse::login_admin(&server).await;
    for spec in SPECS {
        let written: Value = serde_json::from_str(spec.json).unwrap();
        for key in operations(&written, spec.name).keys() {
            let (method, path) = key.split_once(' ').unwrap();
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let path = path.replace(['{', '}'], "");
            let authorization = match spec.name {
                "mc" => format!("Bearer {mc_token}"),
                _ => crate::harness::STORJ_TOKEN.to_owned(),
            };
            let request = server
                .client
                .request(method, server.url(&path))
                .header("authorization", authorization)
                .header("cookie", &lighthouse_cookie);
            let reply = crate::scalelite_client::send(request).await;
            let unrouted = [
                steward::surfaces::Unmatched::Scalelite.respond(false),
                steward::surfaces::storj::unmatched(None, false),
                steward::surfaces::storj::unmatched(None, true),
                steward::surfaces::Unmatched::Argo { options: false }.respond(false),
                steward::surfaces::mc::echo_unmatched(false),
                steward::surfaces::mc::echo_unmatched(true),
                steward::surfaces::lighthouse::unmatched(),
            ];
            for answer in unrouted {
                let status = answer.status().as_u16();
                let body = answer.into_body().into_string().await.unwrap();
                assert!(
                    reply.status != status || reply.body != body,
                    "{key} is not served: {} {}",
                    reply.status,
                    reply.body
                );
            }
        }
    }
}
