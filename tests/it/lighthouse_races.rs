//! Lighthouse requests that race for the same name: exactly one wins, the
//! others get the original's refusal, never a 500 and never a second row.

use serde_json::json;

use crate::lighthouse::{NOT_LOGGED_IN, call, login_admin};
use crate::lighthouse_beacon::TestBeacon;
use crate::on_both_databases;

const RACERS: usize = 8;

/// The statuses of `RACERS` copies of one request sent at once, sorted.
async fn race(server: &crate::harness::TestServer, cookie: &str, path: &str, body: String) -> Vec<u16> {
    let requests = (0..RACERS).map(|_| call(server, cookie, "POST", path, Some(&body)));
    let mut statuses: Vec<u16> = futures_util::future::join_all(requests).await.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    statuses
}

fn one_winner(statuses: &[u16], loser: u16) {
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == loser), "{statuses:?}");
}

on_both_databases!(lighthouse_racing_creates_leave_one_row, |server| {
    let admin = login_admin(&server).await;
    let user = json!({"Email": "twin", "Password": "pw"}).to_string();
    one_winner(&race(&server, &admin, "/api/v0.2/users/create", user).await, 400);

    let beacon = TestBeacon::start("tok", &["one"]).await;
    let body = json!({"Address": beacon.address(), "Token": "tok", "Alias": "lab"}).to_string();
    one_winner(&race(&server, &admin, "/api/v0.2/beacons/create", body).await, 400);
    assert_eq!(
        call(&server, &admin, "GET", "/api/v0.2/beacons/list", None).await.json().as_array().map(Vec::len),
        Some(1)
    );

    let app = json!({"Name": "web", "Command": {"Image": "nginx"}, "Instances": beacon.instances()}).to_string();
    one_winner(&race(&server, &admin, "/api/v0.2/applications/create", app).await, 409);
    let apps = call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json();
    assert_eq!(apps.as_array().map(Vec::len), Some(1));
    // The winner's deployment alone ran: one container created.
    assert_eq!(beacon.docker.calls().iter().filter(|c| c.path.contains("containers/create")).count(), 1);
});

/// Every operation of the spec answers the original's 401 without a session.
#[tokio::test]
async fn every_lighthouse_operation_needs_a_session() {
    let Some(server) = crate::harness::TestServer::start(crate::harness::Backend::Sqlite).await else { return };
    let spec: serde_json::Value = serde_json::from_str(steward::surfaces::lighthouse::SPEC_JSON).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if path.ends_with("/login") || path.ends_with("/logout") {
            continue;
        }
        for method in ["get", "put", "post"].into_iter().filter(|m| item.get(*m).is_some()) {
            let concrete = path.replace(['{', '}'], "");
            let reply = call(&server, "auth=forged", &method.to_uppercase(), &concrete, Some("{}")).await;
            assert_eq!((reply.status, reply.body.as_str()), (401, NOT_LOGGED_IN), "{method} {path}");
        }
    }
}
