//! MC app instances (`/auth/ctrl/*AppInst`) on the fake platform, as MC,
//! its Controller and the fake CRM answer them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_policies::people_and_cloudlets;
use crate::on_both_databases;

fn inst(fields: Value) -> Value {
    json!({"Region": "local", "AppInst": fields})
}

fn key(name: &str) -> Value {
    json!({"name": name, "organization": "devco", "cloudlet_key": {"organization": "tmus", "name": "c1"}})
}

fn app_key(name: &str) -> Value {
    json!({"organization": "devco", "name": name, "version": "1.0"})
}

fn messages(reply: &crate::scalelite_client::Reply) -> Vec<String> {
    stream_data(reply).iter().map(|line| line["message"].as_str().unwrap_or_default().to_owned()).collect()
}

async fn refused(server: &TestServer, token: &str, op: &str, body: Value) -> String {
    message(&ctrl(server, op, token, &body).await, 400)
}

async fn shown(server: &TestServer, token: &str, name: &str) -> Value {
    let rows = stream_data(&ctrl(server, "ShowAppInst", token, &inst(json!({"key": key(name)}))).await);
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

/// A flavor, a Docker app `app1` (tcp:80), a VM app `vmapp` and a
/// kubernetes cluster `cluster1` on c1.
async fn apps_and_cluster(server: &TestServer, admin: &str, dave: &str) {
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(server, "CreateFlavor", admin, &flavor).await);
    let app = json!({"Region": "local", "App": {"key": app_key("app1"), "image_type": "Docker", "image_path": "nginx",
        "access_ports": "tcp:80", "default_flavor": {"name": "x1.small"}}});
    empty_result(&ctrl(server, "CreateApp", dave, &app).await);
    let sum = "0123456789abcdef0123456789abcdef";
    let vm = json!({"Region": "local", "App": {"key": app_key("vmapp"), "image_type": "Qcow",
        "image_path": format!("host/img.qcow2#md5:{sum}"), "access_ports": "tcp:8080", "default_flavor": {"name": "x1.small"}}});
    empty_result(&ctrl(server, "CreateApp", dave, &vm).await);
    let cluster = json!({"Region": "local", "ClusterInst": {"key": {"cluster_key": {"name": "cluster1", "organization": "devco"},
        "cloudlet_key": {"organization": "tmus", "name": "c1"}}, "flavor": {"name": "x1.small"}, "num_nodes": 2}});
    assert_eq!(ctrl(server, "CreateClusterInst", dave, &cluster).await.status, 200);
}

on_both_databases!(mc_app_insts_are_deployed_refreshed_and_removed_by_the_fake_platform, |server| {
    let (admin, olga, dave) = people_and_cloudlets(&server).await;
    apps_and_cluster(&server, &admin, &dave).await;
    let cluster_key = json!({"name": "cluster1", "organization": "devco"});
    let created = inst(json!({"key": key("inst1"), "app_key": app_key("app1"), "cluster_key": cluster_key}));
    assert_eq!(
        messages(&ctrl(&server, "CreateAppInst", &dave, &created).await),
        ["Creating", "Creating App Inst", "Ready", "Created AppInst successfully"]
    );
    let first = shown(&server, &dave, "inst1").await;
    assert_eq!(first["uri"], "shared.c1-tmus.local.appdnsroot.net");
    assert_eq!(first["mapped_ports"], json!([{"proto": "Tcp", "internal_port": 80, "public_port": 80}]));
    assert_eq!(first["runtime_info"], json!({"container_ids": ["appOnClusterNode0", "appOnClusterNode1"]}));
    assert_eq!(
        (first["state"].as_str(), first["health_check"].as_str(), first["power_state"].as_str()),
        (Some("Ready"), Some("Ok"), Some("PowerOn"))
    );
    assert_eq!(
        (first["unique_id"].as_str(), first["dns_label"].as_str()),
        (Some("devco-inst1-c1-tmus"), Some("inst1-devco"))
    );
    assert_eq!((first["liveness"].as_str(), first["vm_flavor"].as_str()), (Some("Static"), Some("x1.small")));
    assert_eq!(first["cloudlet_loc"], json!({"latitude": 31.0, "longitude": -91.0}));
    assert_eq!((first["fed_key"].clone(), first["virtual_cluster_key"].clone()), (json!({}), json!({})));
    // A second instance on the shared load balancer moves to port 10000.
    let second = inst(json!({"key": key("inst2"), "app_key": app_key("app1"), "cluster_key": cluster_key}));
    assert_eq!(ctrl(&server, "CreateAppInst", &dave, &second).await.status, 200);
    assert_eq!(shown(&server, &dave, "inst2").await["mapped_ports"][0]["public_port"], 10000);

    assert_eq!(
        refused(&server, &dave, "CreateAppInst", created.clone()).await,
        "AppInst key {\"name\":\"inst1\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} already exists"
    );
    let cases = [
        (json!({"key": key(""), "app_key": app_key("app1")}), "Invalid app instance name"),
        (
            json!({"key": key("i3"), "app_key": app_key("nope")}),
            "App key {\"organization\":\"devco\",\"name\":\"nope\",\"version\":\"1.0\"} not found",
        ),
        (
            json!({"key": key("i3"), "app_key": app_key("app1"), "cluster_key": {"name": "cluster1"}}),
            "Must specify cluster organization if cluster name is specified",
        ),
        (
            json!({"key": key("i3"), "app_key": app_key("app1"), "cluster_key": {"name": "c9", "organization": "devco"}}),
            "ClusterInst key {\"cluster_key\":{\"name\":\"c9\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} not found",
        ),
        (
            json!({"key": key("i3"), "app_key": app_key("vmapp"), "cluster_key": cluster_key}),
            "Cluster name must be blank for App deployment type vm",
        ),
        (
            json!({"key": {"name": "i3", "organization": "devco", "cloudlet_key": {"organization": "tmus", "name": "c9"}}, "app_key": app_key("app1"), "cluster_key": cluster_key}),
            "Specified Cloudlet not found",
        ),
        (
            json!({"key": key("i3"), "app_key": app_key("app1"), "uri": "x"}),
            "Invalid field specified: Uri, this field is only for internal use",
        ),
    ];
    for (fields, expected) in cases {
        let reply = ctrl(&server, "CreateAppInst", &dave, &inst(fields.clone())).await;
        assert_eq!((reply.status, reply.json()["message"].as_str()), (400, Some(expected)), "{fields}");
    }
    assert_eq!(message(&ctrl(&server, "CreateAppInst", &olga, &created).await, 403), "Forbidden");

    // A VM app needs no cluster: its own DNS name, its ports as they are.
    let vm = inst(json!({"key": key("vm1"), "app_key": app_key("vmapp")}));
    assert_eq!(
        messages(&ctrl(&server, "CreateAppInst", &dave, &vm).await).last().map(String::as_str),
        Some("Created AppInst successfully")
    );
    let vm_shown = shown(&server, &dave, "vm1").await;
    assert_eq!(vm_shown["uri"], "vm1-devco.c1-tmus.local.appdnsroot.net");
    assert_eq!(vm_shown["cluster_key"], json!({}));

    // Refresh: skipped at the app's revision unless forced.
    let refresh = |fields: Value| inst(fields);
    assert_eq!(
        messages(&ctrl(&server, "RefreshAppInst", &dave, &refresh(json!({"key": key("inst1")}))).await),
        ["Skipped updating AppInst"]
    );
    assert_eq!(
        messages(
            &ctrl(&server, "RefreshAppInst", &dave, &refresh(json!({"key": key("inst1"), "force_update": true}))).await
        ),
        ["Updating", "fake appInst updated", "Ready", "Successfully updated AppInst"]
    );
    let many = refresh(
        json!({"key": {"organization": "devco"}, "app_key": app_key("app1"), "update_multiple": true, "force_update": true}),
    );
    let lines = messages(&ctrl(&server, "RefreshAppInst", &dave, &many).await);
    assert_eq!(lines.first().map(String::as_str), Some("Updating: 2 AppInsts"));
    assert_eq!(lines.last().map(String::as_str), Some("Completed: 2 of 2 AppInsts.  Updated: 2 Skipped: 0 Failed: 0"));
    assert_eq!(
        refused(&server, &dave, "RefreshAppInst", refresh(json!({"key": key("nope")}))).await,
        "AppInst key {\"name\":\"nope\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} not found"
    );
    // Update: the changeable fields, then a forced refresh.
    let configs = json!([{"kind": "envVarsYaml", "config": "- name: A\n  value: b\n"}]);
    assert_eq!(
        messages(&ctrl(&server, "UpdateAppInst", &dave, &inst(json!({"key": key("inst1"), "configs": configs}))).await),
        ["Updating", "fake appInst updated", "Ready", "Successfully updated AppInst"]
    );
    assert_eq!(shown(&server, &dave, "inst1").await["configs"], configs);
    let same = ctrl(&server, "UpdateAppInst", &dave, &inst(json!({"key": key("inst1"), "configs": configs}))).await;
    assert_eq!((same.status, same.body.as_str()), (200, ""));
    assert_eq!(
        refused(&server, &dave, "UpdateAppInst", inst(json!({"key": key("inst1"), "power_state": "PowerOff"}))).await,
        "Updating powerstate is only supported for VM deployment"
    );
    assert_eq!(
        refused(&server, &dave, "UpdateAppInst", inst(json!({"key": key("vm1"), "power_state": "Rebooting"}))).await,
        "Invalid power state specified"
    );
    assert_eq!(
        refused(&server, &dave, "UpdateAppInst", json!({"Region": "local"})).await,
        "Invalid object data for AppInst"
    );
    let missing = "AppInst key {\"name\":\"nope\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} not found";
    let nope = inst(json!({"key": key("nope"), "crm_override": "IgnoreCrm"}));
    assert_eq!(refused(&server, &dave, "UpdateAppInst", nope).await, missing);
    assert_eq!(refused(&server, &dave, "DeleteAppInst", inst(json!({"key": key("nope")}))).await, missing);
    assert_eq!(
        refused(&server, &dave, "UpdateAppInst", inst(json!({"key": key("inst1"), "uri": ""}))).await,
        "Specified field(s) Uri cannot be modified"
    );

    // What the instances use cannot go while they run.
    let cluster = json!({"Region": "local", "ClusterInst": {"key": {"cluster_key": cluster_key, "cloudlet_key": {"organization": "tmus", "name": "c1"}}}});
    assert_eq!(
        refused(&server, &dave, "DeleteClusterInst", cluster.clone()).await,
        "ClusterInst in use by AppInst {\"name\":\"inst1\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}}"
    );
    let app = json!({"Region": "local", "App": {"key": app_key("app1")}});
    assert_eq!(
        refused(&server, &dave, "DeleteApp", app.clone()).await,
        "Application in use by static AppInst {\"name\":\"inst1\",\"organization\":\"devco\",\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}}"
    );
    // Operators see instances only on their pools' cloudlets (c1 is in none);
    // a user with no role is refused.
    assert!(stream_data(&ctrl(&server, "ShowAppInst", &olga, &inst(json!({}))).await).is_empty());
    let nobody = user(&server, "nora").await;
    assert_eq!(message(&ctrl(&server, "ShowAppInst", &nobody, &inst(json!({}))).await, 403), "Forbidden");
    assert_eq!(stream_data(&ctrl(&server, "ShowAppInst", &admin, &inst(json!({}))).await).len(), 3);
    for op in ["CreateAppInst", "DeleteAppInst", "RefreshAppInst", "ShowAppInst"] {
        refuses_bad_regional_calls(&server, &dave, op, inst(json!({"key": key("inst1"), "app_key": app_key("app1")})))
            .await;
    }
    refuses_bad_regional_calls(
        &server,
        &dave,
        "UpdateAppInst",
        inst(json!({"key": key("inst1"), "crm_override": "IgnoreCrm"})),
    )
    .await;
    for name in ["inst1", "inst2", "vm1"] {
        assert_eq!(
            messages(&ctrl(&server, "DeleteAppInst", &dave, &inst(json!({"key": key(name)}))).await),
            [
                "Deleting",
                "First Delete Task",
                "Second Delete Task",
                "DeleteDone",
                "NotPresent",
                "Deleted AppInst successfully"
            ]
        );
    }
    empty_result(&ctrl(&server, "DeleteApp", &dave, &app).await);
});

on_both_databases!(mc_app_insts_without_a_cluster_get_a_reservable_auto_cluster, |server| {
    let (admin, _olga, dave) = people_and_cloudlets(&server).await;
    apps_and_cluster(&server, &admin, &dave).await;
    let auto = inst(json!({"key": key("auto1"), "app_key": app_key("app1")}));
    let lines = messages(&ctrl(&server, "CreateAppInst", &dave, &auto).await);
    assert_eq!(
        lines,
        [
            "Creating new auto-cluster named reservable0 to deploy AppInst",
            "Defaulting IpAccess to IpAccessShared for deployment kubernetes",
            "Creating",
            "First Create Task",
            "Second Create Task",
            "Getting Cluster Infra Resources",
            "Ready",
            "Created ClusterInst successfully",
            "Creating",
            "Creating App Inst",
            "Ready",
            "Created AppInst successfully"
        ]
    );
    assert_eq!(
        shown(&server, &dave, "auto1").await["cluster_key"],
        json!({"name": "reservable0", "organization": "edgecloudorg"})
    );
    let clusters = stream_data(
        &ctrl(
            &server,
            "ShowClusterInst",
            &admin,
            &json!({"Region": "local", "ClusterInst": {"key": {"cluster_key": {"name": "reservable0"}}}}),
        )
        .await,
    );
    assert_eq!(
        (clusters[0]["reserved_by"].as_str(), clusters[0]["auto"].as_bool(), clusters[0]["liveness"].as_str()),
        (Some("devco"), Some(true), Some("Dynamic"))
    );
    // Developers do not see the platform's cluster they use.
    assert_eq!(stream_data(&ctrl(&server, "ShowClusterInst", &dave, &json!({"Region": "local"})).await).len(), 1);
    // Deleting the instance frees the cluster; the next one reserves it.
    assert_eq!(ctrl(&server, "DeleteAppInst", &dave, &inst(json!({"key": key("auto1")}))).await.status, 200);
    let again = messages(
        &ctrl(&server, "CreateAppInst", &dave, &inst(json!({"key": key("auto2"), "app_key": app_key("app1")}))).await,
    );
    assert_eq!(again[0], "Chose reservable ClusterInst reservable0 to deploy AppInst");
    assert_eq!(ctrl(&server, "DeleteAppInst", &dave, &inst(json!({"key": key("auto2")}))).await.status, 200);
    // Idle reservable clusters go when an admin cleans up.
    let idle = json!({"Region": "local", "IdleReservableClusterInsts": {"idle_time": "0s"}});
    assert_eq!(ctrl(&server, "DeleteIdleReservableClusterInsts", &admin, &idle).await.status, 200);
    let left = stream_data(&ctrl(&server, "ShowClusterInst", &admin, &json!({"Region": "local"})).await);
    assert_eq!(left.len(), 1, "only cluster1 is left: {left:?}");
});
