//! Apps a guest's developers onboard to a federation host (one server
//! federating with itself): the streamed onboard and deboard, the guest's
//! and the host's shows, the host's unsafe deletes, the App made for the
//! artefact in the host's region.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_federation_images::federated;
use crate::on_both_databases;
use crate::scalelite_client::Reply;

async fn guest_app(server: &TestServer, op: &str, token: &str, body: &Value) -> Reply {
    call(server, &format!("/auth/federation/consumer/app/{op}"), Some(token), Some(body)).await
}

async fn hosted(server: &TestServer, what: &str, op: &str, token: &str, body: &Value) -> Reply {
    call(server, &format!("/auth/federation/provider/{what}/{op}"), Some(token), Some(body)).await
}

/// The streamed steps' messages, each with MC's code 200.
fn steps(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
        .body
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|line| match (&line["data"]["message"], &line["data"]["code"]) {
            (Value::String(message), code) if code == &json!(200) => message.clone(),
            _ => format!("result: {}", line["result"]["message"].as_str().unwrap_or("")),
        })
        .collect()
}

const ONBOARDED: [&str; 4] = ["Creating images", "Creating artefact", "Creating app", "App created successfully"];

/// FedAppCo's App `k8sapp` 1.0 in `local`, and the onboard request for it.
async fn developer_app(server: &TestServer, admin: &str, dev: &str) -> Value {
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(server, "CreateFlavor", admin, &flavor).await);
    let app = json!({"Region": "local", "App": {"key": {"organization": "FedAppCo", "name": "k8sapp", "version": "1.0"},
        "image_type": "Docker", "image_path": "registry.example.com/FedAppCo/k8sapp:1.0", "md5sum": "sha256:abc",
        "access_ports": "tcp:80", "default_flavor": {"name": "x1.small"}}});
    empty_result(&ctrl(server, "CreateApp", dev, &app).await);
    json!({"Region": "local", "AppName": "k8sapp", "AppOrg": "FedAppCo", "AppVers": "1.0", "FederationName": "g-fed"})
}

on_both_databases!(mc_guest_apps_are_onboarded_shown_and_deboarded, |server| {
    let admin = admin(&server).await;
    let dev = federated(&server, &admin).await;
    let body = developer_app(&server, &admin, &dev).await;
    let with = |changes: Value| {
        let mut changed = body.clone();
        for (key, value) in changes.as_object().unwrap() {
            changed[key] = value.clone();
        }
        changed
    };
    let refused = |body: Value| {
        let (server, dev) = (&server, dev.clone());
        async move { message(&guest_app(server, "onboard", &dev, &body).await, 400) }
    };
    assert_eq!(refused(with(json!({"Region": ""}))).await, "Missing region");
    assert_eq!(refused(with(json!({"AppName": ""}))).await, "Missing App name");
    assert_eq!(refused(with(json!({"AppOrg": ""}))).await, "Missing App organization");
    assert_eq!(refused(with(json!({"AppVers": ""}))).await, "Missing App version");
    assert_eq!(refused(with(json!({"FederationName": ""}))).await, "Missing federation name");
    assert_eq!(refused(with(json!({"ID": "x"}))).await, "ID cannot be specified");
    let stranger = user(&server, "stranger").await;
    assert_eq!(message(&guest_app(&server, "onboard", &stranger, &body).await, 403), "Forbidden");
    assert_eq!(refused(with(json!({"FederationName": "nope"}))).await, "FederationConsumer \"nope\" not found");
    assert_eq!(refused(with(json!({"AppVers": "2.0"}))).await, "App not found");

    // Onboarded: image, artefact and app at the host, streamed.
    let onboarded = guest_app(&server, "onboard", &dev, &body).await;
    assert_eq!(onboarded.content_type, "application/json");
    assert_eq!(steps(&onboarded), ONBOARDED);
    let apps = guest_app(&server, "show", &dev, &json!({})).await.json();
    let id = apps[0]["ID"].as_str().unwrap().to_owned();
    assert_eq!(id, "local-k8sapp10fedappco");
    let images = call(&server, "/auth/federation/consumer/image/show", Some(&dev), Some(&json!({}))).await.json();
    let image = images[0]["ID"].as_str().unwrap().to_owned();
    assert_eq!((&images[0]["Checksum"], &images[0]["Status"]), (&json!("sha256:abc"), &json!("Ready")));
    assert_eq!(
        apps,
        json!([{"ID": id, "FederationName": "g-fed", "Region": "local", "AppName": "k8sapp", "AppOrg": "FedAppCo",
                "AppVers": "1.0", "ImageIds": [image], "Status": ""}])
    );
    assert_eq!(
        message(&guest_app(&server, "onboard", &dev, &body).await, 400),
        format!("ConsumerApp {id} already exists")
    );
    assert_eq!(message(&guest_app(&server, "show", &stranger, &json!({})).await, 403), "Forbidden");

    // An operator sees the onboarded apps of developers granted its pools
    // (before, only its host's developer org h-fed's: none).
    let olga = login(&server, "dmuus-op", STRONG).await;
    assert_eq!(guest_app(&server, "show", &olga, &json!({})).await.json(), json!([]));
    let pool = json!({"Region": "local", "CloudletPool": {"key": {"organization": "dmuus", "name": "fedpool"},
                      "cloudlets": [{"organization": "dmuus", "name": "dmuus-cloud-1"}]}});
    empty_result(&ctrl(&server, "CreateCloudletPool", &olga, &pool).await);
    let access = json!({"Org": "FedAppCo", "Region": "local", "CloudletPool": "fedpool", "CloudletPoolOrg": "dmuus"});
    let invited = call(&server, "/auth/cloudletpoolaccessinvitation/create", Some(&olga), Some(&access)).await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    let accept = json!({"Org": "FedAppCo", "Region": "local", "CloudletPool": "fedpool", "CloudletPoolOrg": "dmuus",
                        "Decision": "accept"});
    let accepted = call(&server, "/auth/cloudletpoolaccessresponse/create", Some(&dev), Some(&accept)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(guest_app(&server, "show", &olga, &json!({})).await.json(), apps);

    let artefacts = hosted(&server, "artefact", "show", &olga, &json!({})).await.json();
    assert_eq!(
        artefacts,
        json!([{"FederationName": "h-fed", "ArtefactID": id, "AppName": id, "AppVers": "1.0", "AppProviderId": "fedappco",
                "ArtefactName": "k8sapp", "ArtefactVersion": "1.0", "VirtType": "CONTAINER_TYPE", "DescType": "COMPONENTSPEC",
                "FileIds": [image]}])
    );
    let host_apps = hosted(&server, "app", "show", &olga, &json!({"FederationName": "h-fed"})).await.json();
    assert_eq!(
        host_apps,
        json!([{"FederationName": "h-fed", "AppID": id, "AppName": "k8sapp", "AppVers": "1.0", "AppProviderId": "fedappco",
                "ArtefactIds": [id], "DeploymentZones": [],
                "AppStatusCallbackLink": host_apps[0]["AppStatusCallbackLink"]}])
    );
    assert!(host_apps[0]["AppStatusCallbackLink"].as_str().unwrap().ends_with("/onApplicationOnboardStatusEvent"));
    assert_eq!(hosted(&server, "artefact", "show", &stranger, &json!({})).await.json(), json!([]));
    // The host's App for the artefact, in its region, sized as the flavor.
    let region_apps = stream_data(
        &ctrl(&server, "ShowApp", &admin, &json!({"Region": "local", "App": {"key": {"organization": "h-fed"}}})).await,
    );
    assert_eq!(region_apps.len(), 1, "{region_apps:?}");
    assert_eq!(region_apps[0]["key"], json!({"organization": "h-fed", "name": id, "version": "1.0"}));
    assert_eq!(
        (&region_apps[0]["image_path"], &region_apps[0]["deployment"], &region_apps[0]["access_ports"]),
        (&json!("registry.example.com/FedAppCo/k8sapp:1.0"), &json!("docker"), &json!("tcp:80"))
    );
    assert_eq!(region_apps[0]["serverless_config"], json!({"vcpus": 2.0, "ram": 4096}));

    // Only the artefact's removal deletes its App.
    let region_delete =
        json!({"Region": "local", "App": {"key": {"organization": "h-fed", "name": id, "version": "1.0"}}});
    assert_eq!(
        message(&ctrl(&server, "DeleteApp", &admin, &region_delete).await, 400),
        "Cannot delete App created via federation, use unsafe federation app delete instead"
    );
    // The artefact is the onboarded app's: the host's operator cannot take it.
    assert_eq!(
        message(
            &hosted(&server, "artefact", "unsafedelete", &olga, &json!({"FederationName": "h-fed", "ArtefactID": id}))
                .await,
            400
        ),
        format!("Cannot delete Artefact {id} which is referenced by App {id}")
    );
    // Nor can an image in use go, on either side.
    assert_eq!(
        message(
            &hosted(&server, "image", "unsafedelete", &olga, &json!({"FederationName": "h-fed", "FileID": image}))
                .await,
            400
        ),
        format!("Cannot delete fileId {image} in use by artefact {id}")
    );
    assert_eq!(
        message(
            &call(&server, "/auth/federation/consumer/image/delete", Some(&dev), Some(&json!({"ID": image}))).await,
            400
        ),
        format!("Image in use by App {id}")
    );

    // Deboarded: app and artefact go at the host; the image stays.
    assert_eq!(
        message(&guest_app(&server, "deboard", &dev, &json!({"FederationName": "g-fed"})).await, 400),
        "Either appname, apporg, and appvers must be specified, or ID must be specified"
    );
    assert_eq!(
        message(&guest_app(&server, "deboard", &dev, &json!({"ID": id})).await, 400),
        "Federation name must be specified"
    );
    assert_eq!(
        message(&guest_app(&server, "deboard", &dev, &json!({"ID": "nope", "FederationName": "g-fed"})).await, 400),
        "ConsumerApp not found"
    );
    let target = json!({"ID": id, "FederationName": "g-fed"});
    assert_eq!(message(&guest_app(&server, "deboard", &stranger, &target).await, 403), "Forbidden");
    assert_eq!(
        steps(&guest_app(&server, "deboard", &dev, &target).await),
        ["Deleting App", "Deleting Artefact", "Deleted App successfully"]
    );
    assert_eq!(guest_app(&server, "show", &dev, &json!({})).await.json(), json!([]));
    assert_eq!(hosted(&server, "app", "show", &olga, &json!({})).await.json(), json!([]));
    assert_eq!(hosted(&server, "artefact", "show", &olga, &json!({})).await.json(), json!([]));
    let region_apps = stream_data(
        &ctrl(&server, "ShowApp", &admin, &json!({"Region": "local", "App": {"key": {"organization": "h-fed"}}})).await,
    );
    assert!(region_apps.is_empty(), "{region_apps:?}");
    assert_eq!(hosted(&server, "image", "show", &olga, &json!({})).await.json().as_array().unwrap().len(), 1);

    // Onboarded again over MC's WebSocket twin (the image reused), then
    // removed by the host's operator.
    let (frames, closed) = crate::mc_websocket::exchange_at(
        &server,
        "federation/consumer/app/onboard",
        &crate::mc_websocket::token_message(&dev),
        Some(&body),
    )
    .await;
    let expected: Vec<String> = ONBOARDED
        .iter()
        .map(|step| format!("{{\"code\":200,\"data\":{{\"message\":\"{step}\",\"code\":200}}}}\n"))
        .collect();
    assert_eq!(
        (frames, closed),
        (expected, Some(tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal))
    );
    let images = call(&server, "/auth/federation/consumer/image/show", Some(&dev), Some(&json!({}))).await.json();
    assert_eq!(images.as_array().unwrap().len(), 1);
    let app_target = json!({"FederationName": "h-fed", "AppID": id});
    assert_eq!(message(&hosted(&server, "app", "unsafedelete", &dev, &app_target).await, 403), "Forbidden");
    let gone = hosted(&server, "app", "unsafedelete", &olga, &app_target).await;
    assert_eq!((gone.status, gone.body.as_str()), (200, ""));
    assert_eq!(
        message(&hosted(&server, "app", "unsafedelete", &olga, &app_target).await, 404),
        format!("Application {id} not found")
    );
    let gone =
        hosted(&server, "artefact", "unsafedelete", &olga, &json!({"FederationName": "h-fed", "ArtefactID": id})).await;
    assert_eq!((gone.status, gone.body.as_str()), (200, ""));
    // The guest's deboard finds the host without them: no error.
    assert_eq!(
        steps(&guest_app(&server, "deboard", &dev, &target).await),
        ["Deleting App", "Deleting Artefact", "Deleted App successfully"]
    );
});

on_both_databases!(mc_host_app_instances_are_shown_and_refused_in_mcs_words, |server| {
    let admin = admin(&server).await;
    federated(&server, &admin).await;
    let olga = login(&server, "dmuus-op", STRONG).await;
    assert_eq!(hosted(&server, "appinst", "show", &olga, &json!({})).await.json(), json!([]));
    let unknown = hosted(&server, "appinst", "show", &olga, &json!({"Color": "red"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Color not found in database object ProviderAppInst"
    );
    assert_eq!(
        message(&hosted(&server, "appinst", "unsafedelete", &olga, &json!({"FederationName": "h-fed"})).await, 400),
        "AppInstID must be specified"
    );
    assert_eq!(
        message(&hosted(&server, "appinst", "unsafedelete", &olga, &json!({"AppInstID": "i1"})).await, 400),
        "Federation name must be specified"
    );
    let target = json!({"FederationName": "h-fed", "AppInstID": "i1"});
    let stranger = user(&server, "stranger").await;
    assert_eq!(message(&hosted(&server, "appinst", "unsafedelete", &stranger, &target).await, 403), "Forbidden");
    assert_eq!(
        message(&hosted(&server, "appinst", "unsafedelete", &olga, &target).await, 404),
        "Application instance i1 not found"
    );
    assert_eq!(
        message(
            &hosted(
                &server,
                "artefact",
                "unsafedelete",
                &olga,
                &json!({"FederationName": "h-fed", "ArtefactID": "a1"})
            )
            .await,
            404
        ),
        "Artefact a1 not found"
    );
    assert_eq!(
        message(&hosted(&server, "artefact", "unsafedelete", &olga, &json!({"ArtefactID": "a1"})).await, 400),
        "Federation name must be specified"
    );
    assert_eq!(
        message(&hosted(&server, "app", "unsafedelete", &olga, &json!({"FederationName": "h-fed"})).await, 400),
        "AppID must be specified"
    );
});

// Every operation on what guests push: no token 401, a malformed body
// MC's 400, and the rights each needs.
on_both_databases!(mc_federation_app_operations_refuse_anonymous_and_malformed_calls, |server| {
    let admin = admin(&server).await;
    federated(&server, &admin).await;
    let stranger = user(&server, "stranger").await;
    let paths = [
        "provider/image/show",
        "provider/image/unsafedelete",
        "provider/artefact/show",
        "provider/artefact/unsafedelete",
        "provider/app/show",
        "provider/app/unsafedelete",
        "provider/appinst/show",
        "provider/appinst/unsafedelete",
        "consumer/image/create",
        "consumer/image/delete",
        "consumer/image/show",
        "consumer/app/onboard",
        "consumer/app/deboard",
        "consumer/app/show",
    ];
    for path in paths {
        let url = server.url(&format!("/api/v1/auth/federation/{path}"));
        let anonymous = crate::scalelite_client::send(server.client.post(&url).json(&json!({}))).await;
        assert_eq!(anonymous.status, 401, "{path}: {}", anonymous.body);
        let malformed = crate::scalelite_client::send(
            server.client.post(&url).bearer_auth(&admin).header("content-type", "application/json").body("{\"x\":"),
        )
        .await;
        assert_eq!(malformed.status, 400, "{path}: {}", malformed.body);
        assert!(
            malformed.json()["message"].as_str().unwrap_or("").starts_with("Invalid JSON data"),
            "{path}: {}",
            malformed.body
        );
    }
    // Shows of what partners pushed are empty to a caller without rights;
    // the rest are refused.
    for what in ["artefact", "app", "appinst"] {
        assert_eq!(hosted(&server, what, "show", &stranger, &json!({})).await.json(), json!([]), "{what}");
    }
    let target = json!({"FederationName": "h-fed", "ArtefactID": "a1", "AppID": "a1"});
    for what in ["artefact", "app"] {
        assert_eq!(
            message(&hosted(&server, what, "unsafedelete", &stranger, &target).await, 403),
            "Forbidden",
            "{what}"
        );
    }
});
