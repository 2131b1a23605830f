//! A guest's app instances against a scripted host on loopback (a fake
//! partner that records every call and answers as told): the install
//! request the guest sends, a host that fails the instance, a host that
//! deploys it, a host that lost it on delete, and the guest's receiver of
//! the host's status callbacks, each answered as MC answers.

use std::sync::{Arc, Mutex, PoisonError};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Request, Response};
use serde_json::{Value, json};

use crate::mc_client::*;
use crate::on_both_databases;
use crate::scalelite_client::send;

/// What the host received (method, path, body) and how it answers
/// (method, path suffix, status, body; the first match wins, else 200 `{}`).
#[derive(Default)]
struct Script {
    received: Vec<(String, String, String)>,
    answers: Vec<(String, String, u16, String)>,
}

type Shared = Arc<Mutex<Script>>;

fn script(shared: &Shared) -> std::sync::MutexGuard<'_, Script> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn answer(shared: &Shared, method: &str, suffix: &str, status: u16, body: Value) {
    let body = if body.is_null() { String::new() } else { body.to_string() };
    script(shared).answers.insert(0, (method.to_owned(), suffix.to_owned(), status, body));
}

fn calls(shared: &Shared, method: &str, suffix: &str) -> Vec<String> {
    let received = &script(shared).received;
    received.iter().filter(|(m, p, _)| m == method && p.ends_with(suffix)).map(|(_, _, body)| body.clone()).collect()
}

async fn scripted_host(shared: Shared) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind loopback");
    let addr = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()).expect("loopback address");
    let endpoint = poem::endpoint::make(move |request: Request| {
        let shared = shared.clone();
        async move {
            let method = request.method().to_string();
            let path = request.uri().path().to_owned();
            let body = request.into_body().into_string().await.unwrap_or_default();
            let mut script = script(&shared);
            script.received.push((method.clone(), path.clone(), body));
            let found = script.answers.iter().find(|(m, suffix, _, _)| *m == method && path.ends_with(suffix.as_str()));
            let (status, body) =
                found.map(|(_, _, status, body)| (*status, body.clone())).unwrap_or((200, "{}".into()));
            Response::builder()
                .status(poem::http::StatusCode::from_u16(status).unwrap_or_default())
                .content_type("application/json")
                .body(body)
        }
    });
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(endpoint).await;
    });
    format!("http://{addr}")
}

const ROOT: &str = "/operatorplatform/federation/v1";

on_both_databases!(mc_guest_app_instances_follow_their_host, |server| {
    let shared: Shared = Arc::default();
    let host = scripted_host(shared.clone()).await;
    answer(
        &shared,
        "POST",
        "/oauth2/token",
        200,
        json!({"access_token": "host-token", "token_type": "Bearer", "expires_in": 1800}),
    );
    answer(
        &shared,
        "POST",
        &format!("{ROOT}/partner"),
        200,
        json!({"federationContextId": "ctx-1", "partnerOPFederationId": "host-1", "partnerOPCountryCode": "US",
               "partnerOPMobileNetworkCodes": {"mcc": "123", "mncs": ["111"]},
               "offeredAvailabilityZones": [{"zoneId": "zone1", "geolocation": "31,-91", "geographyDetails": "None"}]}),
    );
    let resources = json!({"cpuArchType": "ISA_X86_64", "numCPU": "8", "memory": 8192, "diskStorage": 100});
    answer(
        &shared,
        "POST",
        &format!("{ROOT}/ctx-1/zones"),
        200,
        json!({"acceptedZoneResourceInfo": [{"zoneId": "zone1", "reservedComputeResources": [resources],
            "computeResourceQuotaLimits": [resources],
            "flavoursSupported": [{"flavourId": "x1.small", "numCPU": 2, "memorySize": 4096, "storageSize": 40}]}]}),
    );
    answer(&shared, "POST", &format!("{ROOT}/ctx-1/application/onboarding"), 202, Value::Null);
    answer(&shared, "POST", &format!("{ROOT}/ctx-1/application/lcm"), 202, json!(""));

    let admin = admin(&server).await;
    create_org(&server, &admin, "partner1", "operator").await;
    let guest = json!({"Name": "g-fed", "OperatorId": "partner1", "PartnerAddr": host, "PartnerTokenUrl": format!("{host}/oauth2/token"),
        "ProviderClientId": "client-1", "ProviderClientKey": "client-secret", "MyInfo": {"CountryCode": "SA", "MCC": "456", "MNC": ["444"]}});
    let created = call(&server, "/auth/federation/consumer/create", Some(&admin), Some(&guest)).await;
    assert_eq!(message(&created, 200), "Federation Guest g-fed created");
    let register = json!({"FedGuest": "g-fed", "Region": "local", "Zones": ["zone1"]});
    let registered = call(&server, "/auth/federation/consumer/zone/register", Some(&admin), Some(&register)).await;
    assert_eq!(message(&registered, 200), "Partner federator zones registered successfully");
    create_org(&server, &admin, "FedAppCo", "developer").await;
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor).await);
    let app = json!({"Region": "local", "App": {"key": {"organization": "FedAppCo", "name": "k8sapp", "version": "1.0"},
        "image_type": "Docker", "image_path": "registry.example.com/FedAppCo/k8sapp:1.0", "md5sum": "sha256:abc",
        "access_ports": "tcp:80", "default_flavor": {"name": "x1.small"}}});
    empty_result(&ctrl(&server, "CreateApp", &admin, &app).await);
    let onboard = json!({"Region": "local", "AppName": "k8sapp", "AppOrg": "FedAppCo", "AppVers": "1.0", "FederationName": "g-fed"});
    let onboarded = call(&server, "/auth/federation/consumer/app/onboard", Some(&admin), Some(&onboard)).await;
    assert!(onboarded.body.ends_with("App created successfully\",\"code\":200}}\n"), "{}", onboarded.body);

    // The host fails the instance: the guest's create is undone, at the
    // host too (it had accepted it), with the host's reason.
    let instance_path = format!("{ROOT}/ctx-1/application/lcm/app/local-k8sapp10fedappco/instance/inst1/zone/zone1");
    answer(
        &shared,
        "GET",
        &instance_path,
        200,
        json!({"appInstanceState": "FAILED", "stateDescription": "no capacity"}),
    );
    let instance = json!({"Region": "local", "AppInst": {"key": {"name": "inst1", "organization": "FedAppCo",
        "cloudlet_key": {"organization": "g-fed", "name": "zone1", "federated_organization": "partner1"}},
        "app_key": {"organization": "FedAppCo", "name": "k8sapp", "version": "1.0"}}});
    let failed = ctrl(&server, "CreateAppInst", &admin, &instance).await;
    let last: Value = serde_json::from_str(failed.body.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["result"]["message"], "Encountered failures: Create App Inst failed: no capacity",
        "{}",
        failed.body
    );
    let sent: Vec<Value> =
        calls(&shared, "POST", "/application/lcm").iter().map(|body| serde_json::from_str(body).unwrap()).collect();
    let unique_id = "fedappco-inst1-zone1-g-fed";
    assert_eq!(
        sent,
        [json!({"appId": "local-k8sapp10fedappco",
                "appInstCallbackLink": server.url(&format!("/operatorplatform/fedcallbacks/v1/onInstanceStatusEvent/{unique_id}")),
                "appInstanceId": "inst1", "appProviderId": "fedappco", "appVersion": "1.0",
                "zoneInfo": {"flavourId": "x1.small", "zoneId": "zone1"}})]
    );
    assert_eq!(calls(&shared, "DELETE", &instance_path).len(), 1, "the accepted instance is undone at the host");
    let show = json!({"Region": "local", "AppInst": {}});
    assert!(stream_data(&ctrl(&server, "ShowAppInst", &admin, &show).await).is_empty());

    // The host deploys it: the guest's instance takes its access points.
    let points =
        json!([{"accessPoints": {"fqdn": "shared.zone1.host.example", "port": 10080}, "interfaceId": "tcp-80"}]);
    answer(&shared, "GET", &instance_path, 200, json!({"accesspointInfo": points, "appInstanceState": "READY"}));
    let created = stream_data(&ctrl(&server, "CreateAppInst", &admin, &instance).await);
    assert_eq!(created.last().map(|l| l["message"].clone()), Some(json!("Created AppInst successfully")));
    let shown = stream_data(&ctrl(&server, "ShowAppInst", &admin, &show).await);
    assert_eq!((&shown[0]["state"], shown[0].get("uri")), (&json!("Ready"), None), "{shown:?}");
    assert_eq!(
        (&shown[0]["mapped_ports"][0]["fqdn_prefix"], &shown[0]["mapped_ports"][0]["public_port"]),
        (&json!("shared.zone1.host.example"), &json!(10080))
    );
    assert_eq!(shown[0]["fed_key"], json!({"federation_name": "g-fed", "app_inst_id": "inst1"}));

    // The host's status callbacks, as the guest receives them.
    let sent = &calls(&shared, "POST", &format!("{ROOT}/partner"))[0];
    let credentials = serde_json::from_str::<Value>(sent).unwrap()["partnerCallbackCredentials"].clone();
    let token_reply = send(
        server
            .client
            .post(server.url("/oauth2/token"))
            .basic_auth(credentials["clientId"].as_str().unwrap(), credentials["clientSecret"].as_str())
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    let callback_token = token_reply.json()["access_token"].as_str().unwrap().to_owned();
    let event = |body: Value| {
        let (server, token) = (&server, callback_token.clone());
        async move {
            let url = server.url(&format!("/operatorplatform/fedcallbacks/v1/onInstanceStatusEvent/{unique_id}"));
            send(server.client.post(url).bearer_auth(&token).json(&body)).await
        }
    };
    let ready = json!({"federationContextId": "ctx-1", "appId": "local-k8sapp10fedappco", "appInstanceId": "inst1",
        "zoneId": "zone1", "modificationDate": "2026-12-05T10:11:12Z",
        "appInstanceInfo": {"appInstanceState": "READY", "accesspointInfo": points}});
    let heard = event(ready.clone()).await;
    assert_eq!((heard.status, heard.body.as_str()), (200, ""));
    let with = |path: &[&str], value: Value| changed_at(&ready, path, value);
    let refused = |body: Value| {
        let event = &event;
        async move {
            let reply = event(body).await;
            assert_eq!(reply.status, 400, "{}", reply.body);
            reply.json()["detail"].as_str().unwrap_or("").to_owned()
        }
    };
    assert_eq!(
        refused(with(&["federationContextId"], json!("ctx-9"))).await,
        "Mismatch between access token and federation context id"
    );
    assert_eq!(refused(with(&["appId"], json!("app-x"))).await, "Consumer Application app-x not found");
    assert_eq!(
        refused(with(
            &["appInstanceInfo", "accesspointInfo"],
            json!([{"interfaceId": "tcp80", "accessPoints": {"port": 1, "fqdn": "a"}}])
        ))
        .await,
        "Invalid interface id tcp80, expected proto-port format"
    );
    assert_eq!(
        refused(with(
            &["appInstanceInfo", "accesspointInfo"],
            json!([{"interfaceId": "tcp-80", "accessPoints": {"port": 1}}])
        ))
        .await,
        "No valid fqdn or ip address for interfaceId tcp-80"
    );
    assert_eq!(
        refused(with(&["appInstanceInfo", "appInstanceState"], json!(""))).await,
        "Invalid JSON data:  is not a valid InstanceState"
    );

    // A host that lost the instance: the delete fails, the instance is
    // left in DeleteError; IgnoreCrmErrors removes it here all the same.
    answer(&shared, "DELETE", &instance_path, 404, json!({"detail": "Application instance inst1 not found"}));
    let refused_delete = ctrl(&server, "DeleteAppInst", &admin, &instance).await;
    let lines: Vec<Value> = refused_delete.body.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines[0]["data"]["message"], "Deleting", "{}", refused_delete.body);
    assert_eq!(
        lines[1]["result"]["message"],
        format!(
            "Encountered failures: Delete App Inst failed: DELETE {host}{instance_path} failed: Application instance inst1 not found"
        )
    );
    let shown = stream_data(&ctrl(&server, "ShowAppInst", &admin, &show).await);
    assert_eq!(shown[0]["state"], "DeleteError");
    let mut forced = instance.clone();
    forced["AppInst"]["crm_override"] = json!("IgnoreCrmErrors");
    let deleted = stream_data(&ctrl(&server, "DeleteAppInst", &admin, &forced).await);
    assert_eq!(deleted.last().map(|l| l["message"].clone()), Some(json!("Deleted AppInst successfully")));
    assert!(stream_data(&ctrl(&server, "ShowAppInst", &admin, &show).await).is_empty());
});
