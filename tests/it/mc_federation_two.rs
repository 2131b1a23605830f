//! Two Steward processes federate over loopback, as the original's
//! end-to-end federation test does with two MCs: the host lends a zone of
//! its cloudlets, the guest registers with the host's credentials, makes
//! the zone a `federation` cloudlet of its own, and everything is torn
//! down in order. Once with both on SQLite, once with both on PostgreSQL.

use serde_json::{Value, json};

use crate::harness::{Backend, MC_ADMIN, MC_ADMIN_PASSWORD, Process};
use crate::scalelite_client::{Reply, send};

async fn post(mc: &Process, path: &str, token: &str, body: &Value) -> Reply {
    send(mc.client.post(mc.url(&format!("/api/v1{path}"))).bearer_auth(token).json(body)).await
}

async fn admin(mc: &Process) -> String {
    let login = json!({"username": MC_ADMIN, "password": MC_ADMIN_PASSWORD});
    let reply = send(mc.client.post(mc.url("/api/v1/login")).json(&login)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["token"].as_str().unwrap().to_owned()
}

/// The call's `message`, which must be `expected` under 200.
async fn done(mc: &Process, path: &str, token: &str, body: Value, expected: &str) {
    let reply = post(mc, path, token, &body).await;
    assert_eq!(
        (reply.status, reply.json()["message"].as_str().unwrap_or("")),
        (200, expected),
        "{path}: {}",
        reply.body
    );
}

async fn walk(backend: Backend) {
    let Some(host) = Process::spawn(backend).await else { return };
    let Some(guest) = Process::spawn(backend).await else { return };
    let (h, g) = (admin(&host).await, admin(&guest).await);

    // The host: an operator, its cloudlet, a zone base, a federation, a share.
    done(&host, "/auth/org/create", &h, json!({"Name": "dmuus", "Type": "operator"}), "Organization created").await;
    let cloudlet = json!({"Region": "local", "Cloudlet": {"key": {"organization": "dmuus", "name": "dmuus-cloud-1"},
        "location": {"latitude": 31, "longitude": -91}, "num_dynamic_ips": 254, "platform_type": "fakeedgebox"}});
    let made = post(&host, "/auth/ctrl/CreateCloudlet", &h, &cloudlet).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let base = json!({"ZoneId": "dmuuscloud1", "OperatorId": "dmuus", "Region": "local", "CountryCode": "US", "Cloudlets": ["dmuus-cloud-1"]});
    done(&host, "/auth/federation/provider/zonebase/create", &h, base, "Created zone successfully").await;
    let federation = json!({"Name": "dmuus-partner1", "OperatorId": "dmuus", "Regions": ["local"],
        "MyInfo": {"CountryCode": "SA", "MCC": "123", "MNC": ["111", "222", "333"], "FixedNetworkIds": ["foo", "bar", "foobar"]}});
    let created = post(&host, "/auth/federation/provider/create", &h, &federation).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let credentials = created.json();
    let share = json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1"]});
    done(
        &host,
        "/auth/federation/provider/zone/share",
        &h,
        share.clone(),
        "Zones shared as part of federation \"dmuus-partner1\" successfully",
    )
    .await;

    // The guest federates with the host's credentials, at once registered.
    done(&guest, "/auth/org/create", &g, json!({"Name": "partner1", "Type": "operator"}), "Organization created").await;
    let joining = json!({"Name": "dmuus-partner1", "OperatorId": "partner1",
        "PartnerAddr": credentials["TargetAddr"], "PartnerTokenUrl": credentials["TokenUrl"],
        "ProviderClientId": credentials["ClientId"], "ProviderClientKey": credentials["ClientKey"],
        "MyInfo": {"CountryCode": "SA", "MCC": "456", "MNC": ["444", "555", "666"], "FixedNetworkIds": ["blah", "bloh", "bluh"]}});
    done(&guest, "/auth/federation/consumer/create", &g, joining, "Federation Guest dmuus-partner1 created").await;
    let shown = post(&guest, "/auth/federation/consumer/show", &g, &json!({})).await.json()[0].clone();
    assert_eq!((&shown["Status"], &shown["Public"]), (&json!("Registered"), &json!(true)), "{shown}");
    assert_eq!(shown["PartnerInfo"]["MNC"], json!(["111", "222", "333"]));
    assert_eq!(shown["ProviderClientKey"], "");
    let zones = post(&guest, "/auth/federation/consumer/zone/show", &g, &json!({})).await.json();
    assert_eq!(
        zones,
        json!([{"ZoneId": "dmuuscloud1", "ConsumerName": "dmuus-partner1", "OperatorId": "partner1", "Region": "",
                "GeoLocation": "31,-91", "GeographyDetails": "None", "Status": "Unregistered"}])
    );
    let hosted = post(&host, "/auth/federation/provider/show", &h, &json!({})).await.json()[0].clone();
    assert_eq!((&hosted["Status"], &hosted["PartnerInfo"]["MCC"]), (&json!("Registered"), &json!("456")));

    // The guest registers the zone: a federation cloudlet in its region.
    let register = json!({"FedGuest": "dmuus-partner1", "Region": "local", "Zones": ["dmuuscloud1"]});
    done(
        &guest,
        "/auth/federation/consumer/zone/register",
        &g,
        register.clone(),
        "Partner federator zones registered successfully",
    )
    .await;
    let zones = post(&guest, "/auth/federation/consumer/zone/show", &g, &json!({})).await.json();
    assert_eq!((&zones[0]["Status"], &zones[0]["Region"]), (&json!("Registered"), &json!("local")));
    let again = post(&guest, "/auth/federation/consumer/zone/register", &g, &register).await;
    assert_eq!((again.status, again.json()["message"].clone()), (400, json!("All zones already registered")));
    let cloudlets = send(
        guest
            .client
            .post(guest.url("/api/v1/auth/ctrl/ShowCloudlet"))
            .bearer_auth(&g)
            .json(&json!({"Region": "local"})),
    )
    .await;
    assert_eq!(cloudlets.status, 200, "{}", cloudlets.body);
    let federated: Vec<Value> = cloudlets
        .body
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|line| line["data"].clone())
        .filter(|cloudlet| cloudlet["platform_type"] == "federation")
        .collect();
    assert_eq!(federated.len(), 1, "{}", cloudlets.body);
    assert_eq!(
        federated[0]["key"],
        json!({"organization": "dmuus-partner1", "name": "dmuuscloud1", "federated_organization": "partner1"})
    );
    assert_eq!(federated[0]["federation_config"]["federation_name"], "dmuus-partner1");
    let host_zones = post(&host, "/auth/federation/provider/zone/show", &h, &json!({})).await.json();
    assert_eq!(host_zones[0]["Status"], "Registered");
    // The host shares another zone: its guest hears of it at once; and
    // of its unsharing.
    let second =
        json!({"ZoneId": "dmuuscloud2", "OperatorId": "dmuus", "Region": "local", "Cloudlets": ["dmuus-cloud-1"]});
    done(&host, "/auth/federation/provider/zonebase/create", &h, second, "Created zone successfully").await;
    let more = json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud2"]});
    done(
        &host,
        "/auth/federation/provider/zone/share",
        &h,
        more.clone(),
        "Zones shared as part of federation \"dmuus-partner1\" successfully",
    )
    .await;
    let zones = post(&guest, "/auth/federation/consumer/zone/show", &g, &json!({"ZoneId": "dmuuscloud2"})).await.json();
    assert_eq!((&zones[0]["Status"], &zones[0]["GeoLocation"]), (&json!("Unregistered"), &json!("31,-91")), "{zones}");
    done(
        &host,
        "/auth/federation/provider/zone/unshare",
        &h,
        more,
        "Zones unshared from federation \"dmuus-partner1\" successfully",
    )
    .await;
    let zones = post(&guest, "/auth/federation/consumer/zone/show", &g, &json!({"ZoneId": "dmuuscloud2"})).await.json();
    assert_eq!(zones, json!([]));
    done(
        &host,
        "/auth/federation/provider/zonebase/delete",
        &h,
        json!({"ZoneId": "dmuuscloud2", "OperatorId": "dmuus"}),
        "Deleted federation zone successfully",
    )
    .await;

    // The host will not unshare a zone its guest uses.
    let refused = post(&host, "/auth/federation/provider/zone/unshare", &h, &share).await;
    assert_eq!(refused.status, 400, "{}", refused.body);

    // The guest's developer sends an image and onboards an app; the host sees them.
    done(&guest, "/auth/org/create", &g, json!({"Name": "FedAppCo", "Type": "developer"}), "Organization created")
        .await;
    let image = json!({"Organization": "FedAppCo", "FederationName": "dmuus-partner1",
        "SourcePath": "https://vm.example.com/FedAppCo/vm.img", "Type": "QCOW2", "Checksum": "2039483048230944325345245243524352345245"});
    let sent = post(&guest, "/auth/federation/consumer/image/create", &g, &image).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let image_id =
        sent.json()["message"].as_str().unwrap().trim_start_matches("Image ").trim_end_matches(" created").to_owned();
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    assert_eq!(post(&guest, "/auth/ctrl/CreateFlavor", &g, &flavor).await.status, 200);
    // The host's region sizes the App it makes for the artefact by its flavors.
    assert_eq!(post(&host, "/auth/ctrl/CreateFlavor", &h, &flavor).await.status, 200);
    let app = json!({"Region": "local", "App": {"key": {"organization": "FedAppCo", "name": "k8sapp", "version": "1.0"},
        "image_type": "Docker", "image_path": "registry.example.com/FedAppCo/k8sapp:1.0", "md5sum": "sha256:abc",
        "access_ports": "tcp:80", "default_flavor": {"name": "x1.small"}}});
    assert_eq!(post(&guest, "/auth/ctrl/CreateApp", &g, &app).await.status, 200);
    // The federated cloudlet takes only apps onboarded to its federation.
    let instance = json!({"Region": "local", "AppInst": {"key": {"name": "inst1", "organization": "FedAppCo",
        "cloudlet_key": {"organization": "dmuus-partner1", "name": "dmuuscloud1", "federated_organization": "partner1"}},
        "app_key": {"organization": "FedAppCo", "name": "k8sapp", "version": "1.0"}}});
    let refused = post(&guest, "/auth/ctrl/CreateAppInst", &g, &instance).await;
    assert_eq!(
        (refused.status, refused.json()["message"].clone()),
        (
            400,
            json!(
                "App must be onboarded to federation \"dmuus-partner1\" before it can be deployed to federated cloudlet \"dmuuscloud1\""
            )
        )
    );
    let onboard = json!({"Region": "local", "AppName": "k8sapp", "AppOrg": "FedAppCo", "AppVers": "1.0", "FederationName": "dmuus-partner1"});
    let onboarded = post(&guest, "/auth/federation/consumer/app/onboard", &g, &onboard).await;
    assert!(
        onboarded.body.ends_with("{\"data\":{\"message\":\"App created successfully\",\"code\":200}}\n"),
        "{}",
        onboarded.body
    );
    let host_images = post(&host, "/auth/federation/provider/image/show", &h, &json!({})).await.json();
    assert_eq!(host_images.as_array().unwrap().len(), 2, "{host_images}");
    assert!(
        host_images
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["FileID"] == image_id.as_str() && i["Path"] == "https://vm.example.com/FedAppCo/vm.img")
    );
    let host_apps = post(&host, "/auth/federation/provider/app/show", &h, &json!({})).await.json();
    assert_eq!(
        (&host_apps[0]["AppID"], &host_apps[0]["AppName"]),
        (&json!("local-k8sapp10fedappco"), &json!("k8sapp"))
    );
    let artefacts = post(&host, "/auth/federation/provider/artefact/show", &h, &json!({})).await.json();
    assert_eq!(artefacts[0]["ArtefactID"], "local-k8sapp10fedappco");

    // A host that refuses the instance: the guest's create is undone, the
    // host's words at its end, as MC's Controller reports its platform's.
    let context = post(&guest, "/auth/federation/consumer/show", &g, &json!({})).await.json()[0]["FederationContextId"]
        .as_str()
        .unwrap()
        .to_owned();
    let gone = json!({"AppID": "local-k8sapp10fedappco", "FederationName": "dmuus-partner1"});
    assert_eq!(post(&host, "/auth/federation/provider/app/unsafedelete", &h, &gone).await.status, 200);
    let refused = post(&guest, "/auth/ctrl/CreateAppInst", &g, &instance).await;
    let lines: Vec<Value> = refused.body.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let (last, before) = lines.split_last().unwrap();
    assert_eq!(before.last().unwrap()["data"]["message"], "Deleting AppInst due to failure", "{}", refused.body);
    assert_eq!(
        last["result"]["message"],
        format!(
            "Encountered failures: Create App Inst failed: POST {}/operatorplatform/federation/v1/{context}/application/lcm failed: Application local-k8sapp10fedappco not found",
            credentials["TargetAddr"].as_str().unwrap()
        ),
        "{}",
        refused.body
    );
    let show_inst = json!({"Region": "local", "AppInst": {}});
    assert_eq!(post(&guest, "/auth/ctrl/ShowAppInst", &g, &show_inst).await.body, "");
    assert_eq!(post(&host, "/auth/federation/provider/appinst/show", &h, &json!({})).await.json(), json!([]));
    // Onboarded again (the host lost the app): deboard, onboard.
    let deboard = json!({"ID": "local-k8sapp10fedappco", "FederationName": "dmuus-partner1"});
    let deboarded = post(&guest, "/auth/federation/consumer/app/deboard", &g, &deboard).await;
    assert!(deboarded.body.ends_with("Deleted App successfully\",\"code\":200}}\n"), "{}", deboarded.body);
    let onboarded = post(&guest, "/auth/federation/consumer/app/onboard", &g, &onboard).await;
    assert!(onboarded.body.ends_with("App created successfully\",\"code\":200}}\n"), "{}", onboarded.body);

    // The guest deploys the app on the federated cloudlet: the host runs
    // it on the zone's cloudlet, and the guest's instance takes the host's
    // access points.
    let created = post(&guest, "/auth/ctrl/CreateAppInst", &g, &instance).await;
    let steps: Vec<Value> = created.body.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let messages: Vec<&str> = steps.iter().map(|line| line["data"]["message"].as_str().unwrap_or("")).collect();
    // (after the auto-cluster's, which a federated cloudlet makes too)
    assert_eq!(
        messages[messages.len().saturating_sub(5)..],
        [
            "Creating",
            "Sending app instance create request to federation partner",
            "Waiting for federation partner callbacks for FedAppInstId inst1",
            "Ready",
            "Created AppInst successfully"
        ],
        "{}",
        created.body
    );
    let provided = post(&host, "/auth/federation/provider/appinst/show", &h, &json!({})).await.json();
    let unique_id = "fedappco-inst1-dmuuscloud1-dmuus-partner1";
    assert_eq!(
        provided,
        json!([{"FederationName": "dmuus-partner1", "AppInstID": "inst1", "AppID": "local-k8sapp10fedappco",
                "Region": "local", "AppName": "local-k8sapp10fedappco", "AppVers": "1.0", "Cloudlet": "dmuus-cloud-1",
                "CloudletOrg": "dmuus", "CloudletFedOrg": "",
                "AppInstCallbackLink": format!("{}/operatorplatform/fedcallbacks/v1/onInstanceStatusEvent/{unique_id}", guest.url("")),
                "Error": ""}])
    );
    let hosted_insts = post(&host, "/auth/ctrl/ShowAppInst", &h, &show_inst).await;
    let hosted_inst: Value = serde_json::from_str(hosted_insts.body.lines().next().unwrap()).unwrap();
    let hosted_inst = &hosted_inst["data"];
    assert_eq!(
        (&hosted_inst["key"]["name"], &hosted_inst["key"]["organization"], &hosted_inst["state"]),
        (&json!("inst1"), &json!("dmuus-partner1"), &json!("Ready")),
        "{hosted_inst}"
    );
    assert_eq!(hosted_inst["fed_key"], json!({"federation_name": "dmuus-partner1", "app_inst_id": "inst1"}));
    let guest_insts = post(&guest, "/auth/ctrl/ShowAppInst", &g, &show_inst).await;
    let guest_inst: Value = serde_json::from_str(guest_insts.body.lines().next().unwrap()).unwrap();
    let guest_inst = &guest_inst["data"];
    assert_eq!((&guest_inst["state"], &guest_inst["unique_id"]), (&json!("Ready"), &json!(unique_id)), "{guest_inst}");
    assert_eq!(guest_inst["fed_key"], json!({"federation_name": "dmuus-partner1", "app_inst_id": "inst1"}));
    assert_eq!(guest_inst.get("uri"), None, "{guest_inst}");
    let fqdn = format!(
        "{}{}",
        hosted_inst["uri"].as_str().unwrap(),
        hosted_inst["mapped_ports"][0]["fqdn_prefix"].as_str().unwrap_or("")
    );
    assert_eq!(
        (&guest_inst["mapped_ports"][0]["fqdn_prefix"], &guest_inst["mapped_ports"][0]["public_port"]),
        (&json!(fqdn), &hosted_inst["mapped_ports"][0]["public_port"]),
        "{guest_inst}"
    );
    // The host's operator cannot remove it behind the guest's back; the
    // guest cannot deboard the app while it runs.
    let host_delete = json!({"Region": "local", "AppInst": {"key": hosted_inst["key"].clone()}});
    let refused = post(&host, "/auth/ctrl/DeleteAppInst", &h, &host_delete).await;
    assert_eq!(
        (refused.status, refused.json()["message"].clone()),
        (400, json!("Cannot delete AppInst created via federation, use unsafe federation appInst delete instead"))
    );
    let in_use = post(&guest, "/auth/federation/consumer/app/deboard", &g, &deboard).await;
    assert_eq!(in_use.status, 400, "{}", in_use.body);
    assert!(
        in_use.json()["message"].as_str().unwrap().starts_with("App still in use by 1 AppInsts"),
        "{}",
        in_use.body
    );
    let deleted = post(&guest, "/auth/ctrl/DeleteAppInst", &g, &instance).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(!deleted.body.contains("\"result\""), "{}", deleted.body);
    assert_eq!(post(&host, "/auth/federation/provider/appinst/show", &h, &json!({})).await.json(), json!([]));
    assert_eq!(post(&host, "/auth/ctrl/ShowAppInst", &h, &show_inst).await.body, "");
    assert_eq!(post(&guest, "/auth/ctrl/ShowAppInst", &g, &show_inst).await.body, "");
    // The idle auto-cluster the guest made on the federated cloudlet goes
    // (MC's idle reservable-cluster cleanup), so the zone can go later.
    let cluster = json!({"Region": "local", "ClusterInst": {"key": {"cluster_key": {"name": "reservable0", "organization": "edgecloudorg"},
        "cloudlet_key": {"organization": "dmuus-partner1", "name": "dmuuscloud1", "federated_organization": "partner1"}}}});
    let removed = post(&guest, "/auth/ctrl/DeleteClusterInst", &g, &cluster).await;
    assert!(removed.body.ends_with("Deleted ClusterInst successfully\"}}\n"), "{}", removed.body);
    // Deboarded, images deleted: the host has nothing of the guest's left.
    let deboarded = post(
        &guest,
        "/auth/federation/consumer/app/deboard",
        &g,
        &json!({"ID": "local-k8sapp10fedappco", "FederationName": "dmuus-partner1"}),
    )
    .await;
    assert!(deboarded.body.ends_with("Deleted App successfully\",\"code\":200}}\n"), "{}", deboarded.body);
    for shown in post(&guest, "/auth/federation/consumer/image/show", &g, &json!({})).await.json().as_array().unwrap() {
        let id = shown["ID"].as_str().unwrap();
        done(&guest, "/auth/federation/consumer/image/delete", &g, json!({"ID": id}), &format!("Image {id} deleted"))
            .await;
    }
    for what in ["image", "artefact", "app", "appinst"] {
        let left = post(&host, &format!("/auth/federation/provider/{what}/show"), &h, &json!({})).await.json();
        assert_eq!(left, json!([]), "{what}");
    }

    // Torn down in order: zone, guest, share, host, base.
    let deregister = json!({"FedGuest": "dmuus-partner1", "Zones": ["dmuuscloud1"]});
    done(
        &guest,
        "/auth/federation/consumer/zone/deregister",
        &g,
        deregister,
        "Partner federator zones deregistered successfully",
    )
    .await;
    let cloudlets = send(
        guest
            .client
            .post(guest.url("/api/v1/auth/ctrl/ShowCloudlet"))
            .bearer_auth(&g)
            .json(&json!({"Region": "local"})),
    )
    .await;
    assert!(!cloudlets.body.contains("\"federation\""), "{}", cloudlets.body);
    let host_zones = post(&host, "/auth/federation/provider/zone/show", &h, &json!({})).await.json();
    assert_eq!(host_zones[0]["Status"], "Unregistered");
    done(
        &guest,
        "/auth/federation/consumer/delete",
        &g,
        json!({"Name": "dmuus-partner1"}),
        "Federation Guest dmuus-partner1 deleted",
    )
    .await;
    assert_eq!(post(&guest, "/auth/federation/consumer/show", &g, &json!({})).await.json(), json!([]));
    let hosted = post(&host, "/auth/federation/provider/show", &h, &json!({})).await.json()[0].clone();
    assert_eq!(hosted["Status"], "Unregistered");
    done(
        &host,
        "/auth/federation/provider/zone/unshare",
        &h,
        share,
        "Zones unshared from federation \"dmuus-partner1\" successfully",
    )
    .await;
    done(
        &host,
        "/auth/federation/provider/delete",
        &h,
        json!({"Name": "dmuus-partner1"}),
        "Federation Host dmuus-partner1 deleted",
    )
    .await;
    done(
        &host,
        "/auth/federation/provider/zonebase/delete",
        &h,
        json!({"ZoneId": "dmuuscloud1", "OperatorId": "dmuus"}),
        "Deleted federation zone successfully",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mc_two_instances_federate_on_sqlite() {
    walk(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mc_two_instances_federate_on_postgres() {
    walk(Backend::Postgres).await;
}
