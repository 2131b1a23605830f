//! MC cluster instances (`/auth/ctrl/*ClusterInst*`) on the fake platform,
//! as MC, its Controller and the fake CRM answer them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_policies::people_and_cloudlets;
use crate::on_both_databases;

fn cluster(fields: Value) -> Value {
    json!({"Region": "local", "ClusterInst": fields})
}

fn key(name: &str) -> Value {
    json!({"cluster_key": {"name": name, "organization": "devco"}, "cloudlet_key": {"organization": "tmus", "name": "c1"}})
}

fn messages(reply: &crate::scalelite_client::Reply) -> Vec<String> {
    stream_data(reply).iter().map(|line| line["message"].as_str().unwrap_or_default().to_owned()).collect()
}

async fn flavor(server: &TestServer, admin: &str) {
    let body = json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(server, "CreateFlavor", admin, &body).await);
}

async fn refused(server: &TestServer, token: &str, op: &str, body: Value) -> String {
    message(&ctrl(server, op, token, &body).await, 400)
}

on_both_databases!(mc_cluster_insts_are_made_changed_and_removed_by_the_fake_platform, |server| {
    let (admin, olga, dave) = people_and_cloudlets(&server).await;
    flavor(&server, &admin).await;
    let scale = json!({"Region": "local", "AutoScalePolicy": {"key": {"organization": "devco", "name": "scale1"},
        "min_nodes": 1, "max_nodes": 3, "target_cpu": 70}});
    empty_result(&ctrl(&server, "CreateAutoScalePolicy", &dave, &scale).await);
    let created = cluster(json!({"key": key("cluster1"), "flavor": {"name": "x1.small"}, "num_nodes": 5,
        "auto_scale_policy": "scale1"}));
    let reply = ctrl(&server, "CreateClusterInst", &dave, &created).await;
    assert_eq!(
        messages(&reply),
        [
            "Defaulting IpAccess to IpAccessShared for deployment kubernetes",
            "Creating",
            "First Create Task",
            "Second Create Task",
            "Getting Cluster Infra Resources",
            "Ready",
            "Created ClusterInst successfully"
        ]
    );
    let shown = stream_data(&ctrl(&server, "ShowClusterInst", &dave, &cluster(json!({}))).await);
    assert_eq!(shown.len(), 1);
    let c = &shown[0];
    // Node count clamped into the policy; flavors matched; names derived.
    assert_eq!(c["num_nodes"], 3);
    assert_eq!((c["num_masters"].as_u64(), c["deployment"].as_str()), (Some(1), Some("kubernetes")));
    assert_eq!(
        (c["state"].as_str(), c["liveness"].as_str(), c["ip_access"].as_str()),
        (Some("Ready"), Some("Static"), Some("Shared"))
    );
    assert_eq!((c["node_flavor"].as_str(), c["master_node_flavor"].as_str()), (Some("x1.small"), Some("x1.small")));
    assert_eq!(c["dns_label"], "cluster1-devco");
    assert_eq!(c["fqdn"], "cluster1-devco.c1-tmus.local.appdnsroot.net");
    let vms = c["resources"]["vms"].as_array().cloned().unwrap_or_default();
    assert_eq!(vms.len(), 4);
    assert_eq!(
        vms[0],
        json!({"name": "fake-master-1-c1-cluster1-devco", "type": "k8s-cluster-master", "status": "ACTIVE",
            "infraFlavor": "x1.small", "ipaddresses": null})
    );
    assert_eq!((c["updated_at"].as_str(), c["reservation_ended_at"].as_str()), (Some(""), Some("")));

    assert_eq!(
        refused(&server, &dave, "CreateClusterInst", created.clone()).await,
        "ClusterInst key {\"cluster_key\":{\"name\":\"cluster1\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} already exists"
    );
    let cases = [
        (
            json!({"key": key("reservable1"), "flavor": {"name": "x1.small"}}),
            "Invalid cluster name, format \"reservable[digits]\" is reserved for internal use",
        ),
        (json!({"key": key("bad_name"), "flavor": {"name": "x1.small"}}), "Invalid cluster name"),
        (
            json!({"key": key("c2"), "flavor": {"name": "x1.small"}, "deployment": "vm"}),
            "ClusterInst is not needed for deployment type vm, just create an AppInst directly",
        ),
        (
            json!({"key": key("c2"), "flavor": {"name": "x1.small"}, "num_masters": 2}),
            "NumMasters cannot be greater than 1",
        ),
        (
            json!({"key": key("c2"), "flavor": {"name": "x1.small"}, "reservable": true}),
            "Only edgecloudorg ClusterInsts may be reservable",
        ),
        (
            json!({"key": key("c2"), "flavor": {"name": "x1.small"}, "state": "Ready"}),
            "Invalid field specified: State, this field is only for internal use",
        ),
        (
            json!({"key": key("c2"), "flavor": {"name": "x1.small"}, "auto_scale_policy": "nope"}),
            "Policy key {\"organization\":\"devco\",\"name\":\"nope\"} not found",
        ),
        (json!({"key": key("c2")}), "No Flavor specified"),
        (json!({"key": key("c2"), "flavor": {"name": "x9"}}), "Flavor x9 not found"),
        (
            json!({"key": {"cluster_key": {"name": "c2", "organization": "devco"}, "cloudlet_key": {"organization": "tmus", "name": "c9"}}, "flavor": {"name": "x1.small"}}),
            "Cloudlet key {\"organization\":\"tmus\",\"name\":\"c9\"} not found",
        ),
    ];
    for (fields, expected) in cases {
        let reply = ctrl(&server, "CreateClusterInst", &dave, &cluster(fields.clone())).await;
        assert_eq!((reply.status, reply.json()["message"].as_str()), (400, Some(expected)), "{fields}");
    }
    // A pooled cloudlet devco was not invited to is forbidden.
    let pooled = json!({"cluster_key": {"name": "c2", "organization": "devco"}, "cloudlet_key": {"organization": "tmus", "name": "c2"}});
    assert_eq!(
        message(
            &ctrl(
                &server,
                "CreateClusterInst",
                &dave,
                &cluster(json!({"key": pooled, "flavor": {"name": "x1.small"}}))
            )
            .await,
            403
        ),
        "Forbidden"
    );
    assert_eq!(message(&ctrl(&server, "CreateClusterInst", &olga, &created).await, 403), "Forbidden");

    // A docker cluster: the original's Dedicated message, a Shared value.
    let docker = cluster(json!({"key": key("dock1"), "flavor": {"name": "x1.small"}, "deployment": "docker"}));
    let lines = messages(&ctrl(&server, "CreateClusterInst", &dave, &docker).await);
    assert_eq!(lines[0], "Defaulting IpAccess to IpAccessDedicated for deployment docker");
    let dedicated = cluster(json!({"key": key("ded1"), "flavor": {"name": "x1.small"}, "ip_access": 1}));
    assert_eq!(messages(&ctrl(&server, "CreateClusterInst", &dave, &dedicated).await)[0], "Creating");
    let shown = stream_data(&ctrl(&server, "ShowClusterInst", &dave, &cluster(json!({"key": key("ded1")}))).await);
    assert_eq!(
        (shown[0]["ip_access"].as_str(), shown[0]["allocated_ip"].as_str()),
        (Some("Dedicated"), Some("dynamic"))
    );
    let vms = shown[0]["resources"]["vms"].as_array().cloned().unwrap_or_default();
    assert_eq!(vms.last().map(|vm| vm["type"].clone()), Some(json!("dedicatedrootlb")));
    assert_eq!(
        refused(
            &server,
            &dave,
            "UpdateClusterInst",
            cluster(json!({"key": key("dock1"), "crm_override": "IgnoreCrm"}))
        )
        .await,
        "Cannot modify single node clusters"
    );

    // Updates: node counts clamped, the fake platform's lines.
    let grow = cluster(json!({"key": key("cluster1"), "auto_scale_policy": "", "num_nodes": 4}));
    let reply = ctrl(&server, "UpdateClusterInst", &dave, &grow).await;
    assert_eq!(
        messages(&reply),
        [
            "Updating",
            "Updating Cluster Inst",
            "Getting Cluster Infra Resources",
            "Ready",
            "Updated ClusterInst successfully"
        ]
    );
    let shown = stream_data(&ctrl(&server, "ShowClusterInst", &dave, &cluster(json!({"key": key("cluster1")}))).await);
    assert_eq!(
        (shown[0]["num_nodes"].as_u64(), shown[0]["resources"]["vms"].as_array().map(Vec::len)),
        (Some(4), Some(5))
    );
    assert!(shown[0]["updated_at"].as_str().is_some_and(|t| !t.is_empty()));
    let same = ctrl(&server, "UpdateClusterInst", &dave, &grow).await;
    assert_eq!((same.status, same.body.as_str()), (200, ""), "nothing changed: an empty 200");
    // MC passes the key as a field sent: a key-only update changes nothing.
    let key_only = ctrl(&server, "UpdateClusterInst", &dave, &cluster(json!({"key": key("cluster1")}))).await;
    assert_eq!((key_only.status, key_only.body.as_str()), (200, ""));
    assert_eq!(
        refused(&server, &dave, "UpdateClusterInst", cluster(json!({"key": key("cluster1"), "flavor": {"name": ""}})))
            .await,
        "Specified field(s) Flavor Name cannot be modified"
    );
    assert_eq!(
        refused(&server, &dave, "UpdateClusterInst", cluster(json!({"key": key("cluster1"), "flavor": {"name": "x"}})))
            .await,
        "Invalid field specified: Flavor.Name, this field is only for internal use"
    );
    assert_eq!(
        refused(&server, &dave, "UpdateClusterInst", json!({"Region": "local"})).await,
        "Invalid object data for ClusterInst"
    );
    assert_eq!(
        refused(&server, &dave, "UpdateClusterInst", cluster(json!({"key": key("nope"), "num_nodes": 2}))).await,
        "ClusterInst key {\"cluster_key\":{\"name\":\"nope\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} not found"
    );

    // Operators see clusters only on their pools' cloudlets; c1 is in none.
    assert!(stream_data(&ctrl(&server, "ShowClusterInst", &olga, &cluster(json!({}))).await).is_empty());
    let nobody = user(&server, "nora").await;
    assert_eq!(message(&ctrl(&server, "ShowClusterInst", &nobody, &cluster(json!({}))).await, 403), "Forbidden");
    assert_eq!(stream_data(&ctrl(&server, "ShowClusterInst", &admin, &cluster(json!({}))).await).len(), 3);

    // What the clusters use cannot go while they do.
    let cloudlet = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"}}});
    assert_eq!(
        refused(&server, &olga, "DeleteCloudlet", cloudlet).await,
        "Cloudlet in use by ClusterInst name cluster1 Organization devco"
    );
    assert_eq!(
        refused(&server, &admin, "DeleteFlavor", json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}}}))
            .await,
        "Flavor in use by ClusterInst {\"cluster_key\":{\"name\":\"cluster1\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}}"
    );
    // Linking the policy again clamps the count into it; the policy is in use.
    let relink = cluster(json!({"key": key("cluster1"), "auto_scale_policy": "scale1"}));
    let lines = messages(&ctrl(&server, "UpdateClusterInst", &dave, &relink).await);
    assert_eq!(lines.last().map(String::as_str), Some("Updated ClusterInst successfully"));
    let shown = stream_data(&ctrl(&server, "ShowClusterInst", &dave, &cluster(json!({"key": key("cluster1")}))).await);
    assert_eq!(shown[0]["num_nodes"], 3);
    assert_eq!(
        refused(&server, &dave, "DeleteAutoScalePolicy", scale.clone()).await,
        "Policy in use by ClusterInst {\"cluster_key\":{\"name\":\"cluster1\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}}"
    );
    for op in ["CreateClusterInst", "DeleteClusterInst", "UpdateClusterInst", "ShowClusterInst"] {
        refuses_bad_regional_calls(&server, &dave, op, cluster(json!({"key": key("cluster1"), "num_nodes": 2}))).await;
    }

    // Deletion streams the fake platform's lines.
    for name in ["cluster1", "dock1", "ded1"] {
        let reply = ctrl(&server, "DeleteClusterInst", &dave, &cluster(json!({"key": key(name)}))).await;
        assert_eq!(
            messages(&reply),
            [
                "Deleting",
                "First Delete Task",
                "Second Delete Task",
                "DeleteDone",
                "NotPresent",
                "Deleted ClusterInst successfully"
            ]
        );
    }
    assert_eq!(
        refused(&server, &dave, "DeleteClusterInst", cluster(json!({"key": key("cluster1")}))).await,
        "ClusterInst key {\"cluster_key\":{\"name\":\"cluster1\",\"organization\":\"devco\"},\"cloudlet_key\":{\"organization\":\"tmus\",\"name\":\"c1\"}} not found"
    );
    empty_result(&ctrl(&server, "DeleteAutoScalePolicy", &dave, &scale).await);

    // Only admins clean idle reservable clusters.
    let idle = json!({"Region": "local", "IdleReservableClusterInsts": {"idle_time": "30m"}});
    let done = ctrl(&server, "DeleteIdleReservableClusterInsts", &admin, &idle).await;
    assert_eq!((done.status, done.json()), (200, json!({"message": "Delete done"})));
    assert_eq!(message(&ctrl(&server, "DeleteIdleReservableClusterInsts", &dave, &idle).await, 403), "Forbidden");
    refuses_bad_regional_calls(&server, &admin, "DeleteIdleReservableClusterInsts", idle).await;
});
