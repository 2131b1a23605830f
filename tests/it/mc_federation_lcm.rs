//! Application instances a partner deploys on a host
//! (`{federationContextId}/application/lcm`): MC's install checks in its
//! order, the region AppInst made on the zone's cloudlet, the instance's
//! details, the status callbacks (to a recording guest on loopback), a
//! failed deployment, removal, and the host operator's refusals.

use std::sync::{Arc, Mutex, PoisonError};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Request, Response, Route, handler, post};
use serde_json::{Value, json};

use crate::mc_client::*;
use crate::mc_federation_partner::{
    ROOT, artefact_fields, detail, file_fields, hosting, partner, partner_token, registration, upload, upload_artefact,
};
use crate::on_both_databases;
use crate::scalelite_client::send;

type Received = Arc<Mutex<Vec<(String, Value)>>>;

#[handler]
fn oauth_token() -> Response {
    Response::builder()
        .content_type("application/json")
        .body(r#"{"access_token":"cb-token","token_type":"Bearer","expires_in":1800}"#)
}

/// A guest that hands out a token and records every callback (its
/// Authorization header and body); its address.
async fn recording_guest(received: Received) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind loopback");
    let addr = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()).expect("loopback address");
    let record = poem::endpoint::make(move |request: Request| {
        let received = received.clone();
        async move {
            let auth = request.header("authorization").unwrap_or("").to_owned();
            let body: Value = request.into_body().into_json().await.unwrap_or_default();
            received.lock().unwrap_or_else(PoisonError::into_inner).push((auth, body));
            Response::builder().finish()
        }
    });
    let app = Route::new().at("/oauth2/token", post(oauth_token)).nest("/callbacks", record.boxed());
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    format!("http://{addr}")
}

fn received_now(received: &Received) -> Vec<(String, Value)> {
    received.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// The callbacks once one of `state` arrived (they follow the 202).
async fn callbacks_until(received: &Received, state: &str) -> Vec<(String, Value)> {
    for _ in 0..100 {
        let now = received_now(received);
        if now.iter().any(|(_, body)| body["appInstanceInfo"]["appInstanceState"] == state) {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {state} callback: {:?}", received_now(received));
}

on_both_databases!(mc_partner_app_instances_are_installed_read_reported_and_removed, |server| {
    let received: Received = Arc::default();
    let guest = recording_guest(received.clone()).await;
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let mut joining = registration();
    joining["partnerCallbackCredentials"] =
        json!({"tokenUrl": format!("{guest}/oauth2/token"), "clientId": "cb-id", "clientSecret": "CALLBACK-SECRET"});
    let context = partner(&server, "POST", "/partner", &token, Some(&joining)).await.json()["federationContextId"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = admin(&server).await;
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor).await);
    assert_eq!(upload(&server, &context, &token, &file_fields()).await.status, 200);
    assert_eq!(upload_artefact(&server, &context, &token, &artefact_fields()).await.status, 200);
    let onboarding = json!({"appId": "app-1", "appProviderId": "fedappco",
        "appMetaData": {"appName": "k8sapp", "version": "1.0", "accessToken": "nonenonenonenonenonenonenonenone11"},
        "appQoSProfile": {"latencyConstraints": "NONE"}, "appComponentSpecs": [{"artefactId": "k8sapp-1"}]});
    let onboarded =
        partner(&server, "POST", &format!("/{context}/application/onboarding"), &token, Some(&onboarding)).await;
    assert_eq!(onboarded.status, 202);

    let install = json!({"appInstanceId": "inst-1", "appId": "app-1", "appVersion": "1.0", "appProviderId": "fedappco",
        "zoneInfo": {"zoneId": "dmuuscloud1", "flavourId": "x1.small"},
        "appInstCallbackLink": format!("{guest}/callbacks/fedappco-inst-1")});
    let lcm = format!("/{context}/application/lcm");
    let installed = |body: Value| {
        let (server, token, lcm) = (&server, token.clone(), lcm.clone());
        async move { partner(server, "POST", &lcm, &token, Some(&body)).await }
    };
    let with = |path: &[&str], value: Value| changed_at(&install, path, value);
    let refused = |body: Value| {
        let installed = &installed;
        async move { detail(&installed(body).await, 400) }
    };
    assert_eq!(refused(with(&["appInstanceId"], json!(""))).await, "AppInstanceId is required");
    assert_eq!(
        refused(with(&["appId"], json!("App_1"))).await,
        "AppId App_1 does not match format ^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$"
    );
    assert_eq!(refused(with(&["appVersion"], json!(""))).await, "AppVersion is required");
    assert_eq!(refused(with(&["zoneInfo", "flavourId"], json!(""))).await, "FlavourId is required");
    assert_eq!(
        refused(with(&["appInstCallbackLink"], json!("http://guest.example.com/cb"))).await,
        "Invalid scheme \"http\" in callback link http://guest.example.com/cb, must be https"
    );
    assert_eq!(
        refused(with(&["zoneInfo", "resPool"], json!(""))).await,
        "ResPool  does not match format ^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$"
    );
    assert_eq!(refused(with(&["zoneInfo", "zoneId"], json!("nozone"))).await, "Zone not found");
    // A zone base of the host's operator that was never shared.
    let olga = login(&server, "dmuus-op", STRONG).await;
    let unshared = crate::mc_federation_zones::base("dmuuscloud3", "dmuus");
    assert_eq!(crate::mc_federation_zones::zonebase(&server, "create", &olga, &unshared).await.status, 200);
    let unknown_zone = installed(with(&["zoneInfo", "zoneId"], json!("dmuuscloud3"))).await;
    assert_eq!(detail(&unknown_zone, 404), "Zone dmuuscloud3 not found");
    assert_eq!(refused(install.clone()).await, "Specified zone is not registered");
    let subscribe =
        json!({"acceptedAvailabilityZones": ["dmuuscloud1"], "availZoneNotifLink": "https://guest.example.com/zones"});
    assert_eq!(partner(&server, "POST", &format!("/{context}/zones"), &token, Some(&subscribe)).await.status, 200);
    let unknown = installed(with(&["appId"], json!("app-9"))).await;
    assert_eq!(detail(&unknown, 404), "Application app-9 not found");
    assert_eq!(detail(&installed(json!({"x": 1})).await, 400), "AppInstanceId is required");
    // Bodies bound as MC's binder binds them, after the federation is found.
    let raw = |content_type: &'static str, body: &'static str| {
        let (server, token, lcm) = (&server, token.clone(), lcm.clone());
        async move {
            let url = server.url(&format!("{ROOT}{lcm}"));
            send(server.client.post(url).bearer_auth(&token).header("content-type", content_type).body(body)).await
        }
    };
    assert_eq!(detail(&raw("application/json", "").await, 400), "Request body can't be empty");
    assert_eq!(detail(&raw("text/plain", "{}").await, 415), "Unsupported Media Type");
    assert_eq!(
        detail(&raw("application/json", "{\"appId\":").await, 400),
        "Invalid JSON data: Syntax error at offset 9, unexpected end of JSON input"
    );
    let elsewhere = partner(&server, "POST", "/other-context/application/lcm", &token, None).await;
    assert_eq!(detail(&elsewhere, 400), "Mismatch between access token and federation context id");
    let anonymous =
        crate::scalelite_client::send(server.client.post(server.url(&format!("{ROOT}{lcm}"))).json(&install));
    assert_eq!(detail(&anonymous.await, 401), "No bearer token found");
    // Nothing refused was kept.
    let provided = call(&server, "/auth/federation/provider/appinst/show", Some(&olga), Some(&json!({}))).await;
    assert_eq!(provided.json(), json!([]));

    // Installed: 202 with `""`; the region AppInst on the zone's cloudlet.
    let accepted = installed(install.clone()).await;
    assert_eq!((accepted.status, accepted.body.as_str()), (202, "\"\"\n"));
    assert_eq!(refused(install.clone()).await, "AppInst with ID inst-1 already exists");
    let show = json!({"Region": "local", "AppInst": {"key": {"name": "inst-1"}}});
    let regional = stream_data(&ctrl(&server, "ShowAppInst", &admin, &show).await);
    assert_eq!(regional.len(), 1, "{regional:?}");
    let region_inst = &regional[0];
    assert_eq!(
        region_inst["key"],
        json!({"name": "inst-1", "organization": "dmuus-partner1", "cloudlet_key": {"organization": "dmuus", "name": "dmuus-cloud-1"}})
    );
    assert_eq!(region_inst["app_key"], json!({"organization": "dmuus-partner1", "name": "k8sapp-1", "version": "1.0"}));
    assert_eq!(region_inst["fed_key"], json!({"federation_name": "dmuus-partner1", "app_inst_id": "inst-1"}));
    assert_eq!((&region_inst["cloudlet_flavor"], &region_inst["state"]), (&json!("x1.small"), &json!("Ready")));
    let fqdn = format!(
        "{}{}",
        region_inst["uri"].as_str().unwrap(),
        region_inst["mapped_ports"][0]["fqdn_prefix"].as_str().unwrap_or("")
    );
    let points = json!([{"accessPoints": {"fqdn": fqdn, "port": region_inst["mapped_ports"][0]["public_port"]}, "interfaceId": "tcp-80"}]);
    let instance_path = format!("/{context}/application/lcm/app/app-1/instance/inst-1/zone/dmuuscloud1");
    let details = partner(&server, "GET", &instance_path, &token, None).await;
    assert_eq!(details.status, 200, "{}", details.body);
    assert_eq!(details.json(), json!({"accesspointInfo": points, "appInstanceState": "READY"}));
    assert_eq!(details.content_type, "application/json; charset=UTF-8");
    assert!(details.body.ends_with("}\n"), "{:?}", details.body);
    assert!(details.body.starts_with("{\"accesspointInfo\":[{\"accessPoints\":{\"fqdn\""), "{}", details.body);
    let missing_path = format!("/{context}/application/lcm/app/app-1/instance/nope/zone/z");
    let missing = partner(&server, "GET", &missing_path, &token, None).await;
    assert_eq!(detail(&missing, 404), "Application instance nope not found");
    let provided = call(&server, "/auth/federation/provider/appinst/show", Some(&olga), Some(&json!({}))).await.json();
    assert_eq!(
        provided,
        json!([{"FederationName": "dmuus-partner1", "AppInstID": "inst-1", "AppID": "app-1", "Region": "local",
                "AppName": "k8sapp-1", "AppVers": "1.0", "Cloudlet": "dmuus-cloud-1", "CloudletOrg": "dmuus",
                "CloudletFedOrg": "", "AppInstCallbackLink": install["appInstCallbackLink"], "Error": ""}])
    );

    // The guest heard PENDING per step, then READY with the access points,
    // with the token its callback credentials got.
    let heard = callbacks_until(&received, "READY").await;
    let (last_auth, last) = heard.last().unwrap();
    assert_eq!(last_auth, "Bearer cb-token");
    assert_eq!(last["appInstanceInfo"], json!({"accesspointInfo": points, "appInstanceState": "READY"}));
    assert_eq!(
        (&last["appId"], &last["appInstanceId"], &last["federationContextId"], &last["zoneId"]),
        (&json!("app-1"), &json!("inst-1"), &json!(context), &json!("dmuuscloud1"))
    );
    assert!(last["modificationDate"].as_str().unwrap().starts_with("20"), "{last}");
    let pending: Vec<&Value> = heard[..heard.len() - 1].iter().map(|(_, body)| &body["appInstanceInfo"]).collect();
    assert!(!pending.is_empty());
    assert!(
        pending.iter().all(|info| info["appInstanceState"] == "PENDING" && info["message"].is_string()),
        "{pending:?}"
    );

    // The host's operator removes it only the unsafe way; the application
    // stays while it runs.
    let delete = json!({"Region": "local", "AppInst": {"key": region_inst["key"].clone()}});
    let refused_delete = ctrl(&server, "DeleteAppInst", &admin, &delete).await;
    assert_eq!(
        message(&refused_delete, 400),
        "Cannot delete AppInst created via federation, use unsafe federation appInst delete instead"
    );
    let app_path = format!("/{context}/application/onboarding/app/app-1");
    let app_delete = partner(&server, "DELETE", &app_path, &token, None).await;
    assert_eq!(detail(&app_delete, 400), "Cannot delete app as it in use by app instances inst-1");

    // Racing installs of one ID: one is accepted.
    let racing = with(&["appInstanceId"], json!("inst-4"));
    let replies = futures_util::future::join_all((0..4).map(|_| installed(racing.clone()))).await;
    assert_eq!(replies.iter().filter(|reply| reply.status == 202).count(), 1);
    for reply in replies.iter().filter(|reply| reply.status != 202) {
        assert_eq!(detail(reply, 400), "AppInst with ID inst-4 already exists");
    }

    // No link, no callbacks.
    let mut quiet = with(&["appInstanceId"], json!("inst-3"));
    quiet["appInstCallbackLink"] = json!("");
    assert_eq!(installed(quiet).await.status, 202);
    let provided =
        call(&server, "/auth/federation/provider/appinst/show", Some(&olga), Some(&json!({"AppInstID": "inst-3"})))
            .await;
    assert_eq!(provided.json()[0]["AppInstCallbackLink"], "NOT_SUPPORTED");

    // A deployment the region refuses: FAILED, with the reason, both ways.
    let taken = json!({"Region": "local", "AppInst": {"key": {"name": "inst-2", "organization": "dmuus-partner1",
        "cloudlet_key": {"organization": "dmuus", "name": "dmuus-cloud-1"}},
        "app_key": {"organization": "dmuus-partner1", "name": "k8sapp-1", "version": "1.0"}}});
    let lines = stream_data(&ctrl(&server, "CreateAppInst", &admin, &taken).await);
    assert_eq!(lines.last().map(|l| l["message"].clone()), Some(json!("Created AppInst successfully")));
    let mut second = with(&["appInstanceId"], json!("inst-2"));
    second["appInstCallbackLink"] = json!(format!("{guest}/callbacks/fedappco-inst-2"));
    assert_eq!(installed(second).await.status, 202);
    let failed_path = format!("/{context}/application/lcm/app/app-1/instance/inst-2/zone/dmuuscloud1");
    let failed = partner(&server, "GET", &failed_path, &token, None).await.json();
    let reason = failed["stateDescription"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("already exists"), "{failed}");
    assert_eq!(failed["appInstanceState"], "READY", "the region's own instance answers under its key: {failed}");
    let heard = callbacks_until(&received, "FAILED").await;
    let (_, failure) = heard.iter().find(|(_, body)| body["appInstanceInfo"]["appInstanceState"] == "FAILED").unwrap();
    assert_eq!((&failure["appInstanceId"], &failure["appInstanceInfo"]["message"]), (&json!("inst-2"), &json!(reason)));
    let filter = json!({"AppInstID": "inst-2"});
    let provided = call(&server, "/auth/federation/provider/appinst/show", Some(&olga), Some(&filter)).await;
    assert_eq!(provided.json()[0]["Error"], json!(reason));
    assert!(received_now(&received).iter().all(|(_, body)| body["appInstanceId"] != "inst-3"));

    // Removed: 200 and no body; its region AppInst goes with it.
    // The host's operator removes one the unsafe way: its region AppInst
    // goes, and the auto-cluster it held is free again.
    let fourth = json!({"Region": "local", "AppInst": {"key": {"name": "inst-4"}}});
    let held = stream_data(&ctrl(&server, "ShowAppInst", &admin, &fourth).await)[0]["cluster_key"].clone();
    let cluster = |clusters: &[Value]| clusters.iter().find(|c| c["key"]["cluster_key"] == held).cloned();
    let before = cluster(&stream_data(&ctrl(&server, "ShowClusterInst", &admin, &json!({"Region": "local"})).await));
    assert_eq!(before.map(|c| c["reserved_by"].clone()), Some(json!("dmuus-partner1")));
    let unsafe_delete = json!({"AppInstID": "inst-4", "FederationName": "dmuus-partner1"});
    let path = "/auth/federation/provider/appinst/unsafedelete";
    let removed = call(&server, path, Some(&olga), Some(&unsafe_delete)).await;
    assert_eq!((removed.status, removed.body.as_str()), (200, ""));
    assert!(stream_data(&ctrl(&server, "ShowAppInst", &admin, &fourth).await).is_empty());
    let after = cluster(&stream_data(&ctrl(&server, "ShowClusterInst", &admin, &json!({"Region": "local"})).await));
    assert_eq!(after.map(|c| c.get("reserved_by").cloned()), Some(None), "the reservation ended");
    let gone_path = format!("/{context}/application/lcm/app/app-1/instance/inst-4/zone/z");
    let gone = partner(&server, "GET", &gone_path, &token, None).await;
    assert_eq!(detail(&gone, 404), "Application instance inst-4 not found");
    for id in ["inst-1", "inst-2", "inst-3"] {
        let path = format!("/{context}/application/lcm/app/app-1/instance/{id}/zone/dmuuscloud1");
        let removed = partner(&server, "DELETE", &path, &token, None).await;
        assert_eq!((removed.status, removed.body.as_str(), removed.content_type.as_str()), (200, "", ""), "{id}");
        assert_eq!(
            detail(&partner(&server, "DELETE", &path, &token, None).await, 404),
            format!("Application instance {id} not found")
        );
    }
    assert!(stream_data(&ctrl(&server, "ShowAppInst", &admin, &json!({"Region": "local"})).await).is_empty());
    let removed =
        partner(&server, "DELETE", &format!("/{context}/application/onboarding/app/app-1"), &token, None).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
});
