//! MC apps (`/auth/ctrl/*App*`, `ShowCloudletsForAppDeployment`), as MC
//! and its Controller answer them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_policies::people_and_cloudlets;
use crate::on_both_databases;

fn app(fields: Value) -> Value {
    json!({"Region": "local", "App": fields})
}

fn key() -> Value {
    json!({"organization": "devco", "name": "app1", "version": "1.0"})
}

/// A Docker app of devco on flavor x1.small.
fn docker_app() -> Value {
    app(json!({"key": key(), "image_type": "Docker", "image_path": "nginx", "access_ports": "tcp:80",
        "default_flavor": {"name": "x1.small"}}))
}

async fn flavor(server: &TestServer, admin: &str, name: &str) {
    let body = json!({"Region": "local", "Flavor": {"key": {"name": name}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(server, "CreateFlavor", admin, &body).await);
}

async fn refused(server: &TestServer, token: &str, op: &str, body: Value) -> String {
    message(&ctrl(server, op, token, &body).await, 400)
}

async fn shown_app(server: &TestServer, token: &str) -> Value {
    let apps = stream_data(&ctrl(server, "ShowApp", token, &app(json!({"key": key()}))).await);
    assert_eq!(apps.len(), 1, "{apps:?}");
    apps[0].clone()
}

on_both_databases!(mc_apps_are_configured_as_the_controller_configures_them, |server| {
    let (admin, olga, dave) = people_and_cloudlets(&server).await;
    flavor(&server, &admin, "x1.small").await;
    empty_result(&ctrl(&server, "CreateApp", &dave, &docker_app()).await);
    let shown = shown_app(&server, &dave).await;
    // The Controller's defaults: deployment from the image type, Docker Hub
    // named, a generated manifest, load-balancer access, a global id.
    assert_eq!(shown["image_path"], "docker.io/nginx");
    assert_eq!(shown["deployment"], "kubernetes");
    assert_eq!(shown["deployment_generator"], "kubernetes-basic");
    assert_eq!(shown["access_type"], "LoadBalancer");
    assert_eq!(shown["global_id"], "local-app110devco");
    assert_eq!(shown["required_outbound_connections"], Value::Null);
    assert_eq!(shown["updated_at"], "");
    assert!(shown["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let manifest = shown["deployment_manifest"].as_str().unwrap_or_default();
    assert!(manifest.starts_with("apiVersion: v1\nkind: Service\nmetadata:\n  name: app110-tcp\n"), "{manifest}");
    assert!(manifest.contains("        image: docker.io/nginx\n"), "{manifest}");
    let keys: Vec<&str> = shown.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "key",
            "image_path",
            "image_type",
            "access_ports",
            "default_flavor",
            "deployment",
            "deployment_manifest",
            "deployment_generator",
            "access_type",
            "created_at",
            "updated_at",
            "required_outbound_connections",
            "global_id"
        ]
    );

    assert_eq!(
        refused(&server, &dave, "CreateApp", docker_app()).await,
        "App key {\"organization\":\"devco\",\"name\":\"app1\",\"version\":\"1.0\"} already exists"
    );
    let variant = |changes: Value| {
        let mut body = docker_app();
        body["App"]["key"]["name"] = json!("app2");
        for (field, value) in changes.as_object().unwrap() {
            match value.is_null() {
                true => body["App"].as_object_mut().unwrap().remove(field),
                false => body["App"].as_object_mut().unwrap().insert(field.clone(), value.clone()),
            };
        }
        body
    };
    let cases = [
        (json!({"key": {"organization": "devco", "name": "", "version": "1"}}), "Invalid app name"),
        (json!({"access_ports": "tcp:22"}), "App cannot use port tcp:22 - reserved for Platform inter-node SSH"),
        (json!({"access_ports": "tcp"}), "Invalid AccessPorts format 'tcp'"),
        (json!({"image_path": "/nginx"}), "Unable to determine host from ImagePath /nginx"),
        (json!({"deployment": "vm"}), "Deployment is not valid for image type"),
        (
            json!({"deployment": "swarm", "image_type": null}),
            "Invalid deployment, must be one of [kubernetes vm helm docker]",
        ),
        (json!({"image_type": null}), "Unknown image type IMAGE_TYPE_UNKNOWN"),
        (json!({"access_type": "Direct"}), "Access Type Direct no longer supported"),
        (json!({"default_flavor": {"name": "x1.huge"}}), "Flavor key {\"name\":\"x1.huge\"} not found"),
        (json!({"default_flavor": null}), "Default flavor or ServerlessConfig must be specified"),
        (
            json!({"auto_prov_policies": ["prov9"]}),
            "Policy key {\"organization\":\"devco\",\"name\":\"prov9\"} not found",
        ),
        (json!({"alert_policies": ["a1"]}), "AlertPolicy key {\"organization\":\"devco\",\"name\":\"a1\"} not found"),
        (
            json!({"scale_with_cluster": true, "deployment_manifest": "kind: Service\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 80\n"}),
            "DaemonSet required in manifest when ScaleWithCluster set",
        ),
        (
            json!({"deployment_manifest": "https://example.com/m.yaml"}),
            "Cannot get manifest from https://example.com/m.yaml, remote manifests are not fetched",
        ),
        (
            json!({"deployment_manifest": "kind: Service\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 81\n"}),
            "Invalid deployment manifest, kind: Service\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 81\n, port tcp:80 defined in AccessPorts but missing from kubernetes manifest in a LoadBalancer service",
        ),
        (json!({"skip_hc_ports": "tcp:81"}), "SkipHcPort 81 not found in accessPorts"),
        (
            json!({"required_outbound_connections": [{"protocol": "tcp", "port_range_min": 0, "remote_cidr": "0.0.0.0/0"}]}),
            "Invalid min port: 0",
        ),
        (
            json!({"image_type": "Qcow", "image_path": "host/img.qcow2"}),
            "Md5 checksum of image is required. Please append checksum to imagepath: \"<url>#md5:checksum\"",
        ),
        (
            json!({"delete_prepare": true}),
            "Invalid field specified: DeletePrepare, this field is only for internal use",
        ),
        (json!({"del_opt": "AutoDelete"}), "Invalid field specified: DelOpt, this field is only for internal use"),
        (
            json!({"image_type": "Dockr"}),
            "Invalid JSON data: Unmarshal error: expected ImageType, but got string Dockr for field \"\", valid values are one of Unknown, Docker, Qcow, Helm, Ovf, Ova, or 0, 1, 2, 3, 4, 5",
        ),
    ];
    for (changes, expected) in cases {
        let reply = ctrl(&server, "CreateApp", &dave, &variant(changes.clone())).await;
        assert_eq!((reply.status, reply.json()["message"].as_str()), (400, Some(expected)), "{changes}");
    }
    // A VM app with its checksum; a helm app needs no manifest.
    let sum = "0123456789abcdef0123456789abcdef";
    let vm = variant(
        json!({"image_type": "Qcow", "image_path": format!("host/img.qcow2#md5:{sum}"), "access_ports": "tcp:22-21"}),
    );
    assert_eq!(refused(&server, &dave, "CreateApp", vm.clone()).await, "App ports out of range");
    let mut vm = vm;
    vm["App"]["access_ports"] = json!("tcp:8080");
    empty_result(&ctrl(&server, "CreateApp", &dave, &vm).await);
    let vm_key = json!({"organization": "devco", "name": "app2", "version": "1.0"});
    let vm_shown = &stream_data(&ctrl(&server, "ShowApp", &dave, &app(json!({"key": vm_key}))).await)[0];
    assert_eq!(
        (vm_shown["deployment"].as_str(), vm_shown["image_path"].as_str()),
        (Some("vm"), Some(&*format!("https://host/img.qcow2#md5:{sum}")))
    );
    assert!(vm_shown.get("deployment_manifest").is_none());

    // Operators with no pool granted to anyone are refused, as users with no role are.
    assert_eq!(message(&ctrl(&server, "ShowApp", &olga, &app(json!({}))).await, 403), "Forbidden");
    let nobody = user(&server, "nora").await;
    assert_eq!(message(&ctrl(&server, "ShowApp", &nobody, &app(json!({}))).await, 403), "Forbidden");
    assert_eq!(message(&ctrl(&server, "CreateApp", &olga, &docker_app()).await, 403), "Forbidden");
    assert_eq!(stream_data(&ctrl(&server, "ShowApp", &admin, &app(json!({}))).await).len(), 2);
    for op in ["CreateApp", "DeleteApp", "UpdateApp", "ShowApp"] {
        refuses_bad_regional_calls(&server, &dave, op, docker_app()).await;
    }
    // The flavor and the org cannot go while an app uses them.
    let flavor_body = json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}}});
    assert_eq!(
        refused(&server, &admin, "DeleteFlavor", flavor_body).await,
        "Flavor in use by App {\"organization\":\"devco\",\"name\":\"app1\",\"version\":\"1.0\"}"
    );
    let in_use = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "devco"}))).await;
    assert_eq!(message(&in_use, 400), "Organization devco in use or check failed: region local: in use by some App");
    for body in [docker_app(), app(json!({"key": vm_key}))] {
        empty_result(&ctrl(&server, "DeleteApp", &dave, &body).await);
    }
    assert_eq!(
        refused(&server, &dave, "DeleteApp", docker_app()).await,
        "App key {\"organization\":\"devco\",\"name\":\"app1\",\"version\":\"1.0\"} not found"
    );
});

on_both_databases!(mc_app_updates_and_policy_links, |server| {
    let (admin, _olga, dave) = people_and_cloudlets(&server).await;
    flavor(&server, &admin, "x1.small").await;
    empty_result(&ctrl(&server, "CreateApp", &dave, &docker_app()).await);
    // MC passes the key as a field sent: a key-only update is a new revision.
    empty_result(&ctrl(&server, "UpdateApp", &dave, &app(json!({"key": key()}))).await);
    assert!(shown_app(&server, &dave).await["revision"].as_str().is_some());
    assert_eq!(refused(&server, &dave, "UpdateApp", json!({"Region": "local"})).await, "Invalid object data for App");
    // A port change writes the generated manifest again and a new revision.
    empty_result(
        &ctrl(&server, "UpdateApp", &dave, &app(json!({"key": key(), "access_ports": "tcp:80,tcp:443"}))).await,
    );
    let shown = shown_app(&server, &dave).await;
    assert!(shown["deployment_manifest"].as_str().unwrap_or_default().contains("port: 443"));
    assert_eq!(shown["revision"].as_str().map(str::len), Some(17), "{shown}");
    assert!(shown["updated_at"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        refused(&server, &dave, "UpdateApp", app(json!({"key": key(), "access_ports": "udp:53"}))).await,
        "App cannot use port udp:53 - reserved for dns udp"
    );
    let missing = app(json!({"key": {"organization": "devco", "name": "nope", "version": "1"}, "command": "x"}));
    assert_eq!(
        refused(&server, &dave, "UpdateApp", missing).await,
        "App key {\"organization\":\"devco\",\"name\":\"nope\",\"version\":\"1\"} not found"
    );

    // Policy links: the policy must exist in the app's org.
    let link =
        |policy: &str| json!({"Region": "local", "AppAutoProvPolicy": {"app_key": key(), "auto_prov_policy": policy}});
    assert_eq!(
        refused(&server, &dave, "AddAppAutoProvPolicy", link("prov1")).await,
        "Policy key {\"organization\":\"devco\",\"name\":\"prov1\"} not found"
    );
    let policy = json!({"Region": "local", "AutoProvPolicy": {"key": {"organization": "devco", "name": "prov1"},
        "deploy_client_count": 2}});
    empty_result(&ctrl(&server, "CreateAutoProvPolicy", &dave, &policy).await);
    empty_result(&ctrl(&server, "AddAppAutoProvPolicy", &dave, &link("prov1")).await);
    assert_eq!(
        refused(&server, &dave, "AddAppAutoProvPolicy", link("prov1")).await,
        "AutoProvPolicy prov1 already on App"
    );
    assert_eq!(shown_app(&server, &dave).await["auto_prov_policies"], json!(["prov1"]));
    assert_eq!(
        refused(&server, &dave, "DeleteAutoProvPolicy", policy.clone()).await,
        "Policy in use by App {\"organization\":\"devco\",\"name\":\"app1\",\"version\":\"1.0\"}"
    );
    empty_result(&ctrl(&server, "RemoveAppAutoProvPolicy", &dave, &link("prov1")).await);
    empty_result(&ctrl(&server, "RemoveAppAutoProvPolicy", &dave, &link("prov1")).await);
    assert!(shown_app(&server, &dave).await.get("auto_prov_policies").is_none());
    empty_result(&ctrl(&server, "DeleteAutoProvPolicy", &dave, &policy).await);

    // Alert policies have no operations, so none can be linked.
    let alert = |name: &str| json!({"Region": "local", "AppAlertPolicy": {"app_key": key(), "alert_policy": name}});
    assert_eq!(
        refused(&server, &dave, "AddAppAlertPolicy", alert("a1")).await,
        "AlertPolicy key {\"organization\":\"devco\",\"name\":\"a1\"} not found"
    );
    assert_eq!(refused(&server, &dave, "RemoveAppAlertPolicy", alert("a1")).await, "AlertPolicy key {} not found");
    for (op, body) in [
        ("AddAppAutoProvPolicy", link("prov1")),
        ("RemoveAppAutoProvPolicy", link("prov1")),
        ("AddAppAlertPolicy", alert("a1")),
        ("RemoveAppAlertPolicy", alert("a1")),
    ] {
        refuses_bad_regional_calls(&server, &dave, op, body).await;
    }
});

on_both_databases!(mc_cloudlets_for_app_deployment_fit_the_flavor, |server| {
    let (admin, _olga, dave) = people_and_cloudlets(&server).await;
    flavor(&server, &admin, "x1.small").await;
    let query = |app: Value| json!({"Region": "local", "DeploymentCloudletRequest": app});
    let fitting = query(json!({"app": {"key": key(), "default_flavor": {"name": "x1.small"}}}));
    // c1 is public; c2 is in a pool devco was not invited to.
    let keys = stream_data(&ctrl(&server, "ShowCloudletsForAppDeployment", &dave, &fitting).await);
    assert_eq!(keys, [json!({"organization": "tmus", "name": "c1"})]);
    let all = stream_data(&ctrl(&server, "ShowCloudletsForAppDeployment", &admin, &fitting).await);
    assert_eq!(all.len(), 2);
    let unknown = query(json!({"app": {"default_flavor": {"name": "x9"}}}));
    assert!(stream_data(&ctrl(&server, "ShowCloudletsForAppDeployment", &dave, &unknown).await).is_empty());
    let dry = query(
        json!({"app": {"default_flavor": {"name": "x1.small"}, "deployment": "kubernetes"}, "dry_run_deploy": true}),
    );
    assert_eq!(stream_data(&ctrl(&server, "ShowCloudletsForAppDeployment", &dave, &dry).await).len(), 2);
    assert_eq!(
        refused(&server, &dave, "ShowCloudletsForAppDeployment", query(json!({}))).await,
        "No flavor specified for App"
    );
    let no_deployment = query(json!({"app": {"default_flavor": {"name": "x1.small"}}, "dry_run_deploy": true}));
    assert_eq!(
        refused(&server, &dave, "ShowCloudletsForAppDeployment", no_deployment).await,
        "No deployment found on candidate App"
    );
    refuses_bad_regional_calls(&server, &dave, "ShowCloudletsForAppDeployment", fitting).await;
});
