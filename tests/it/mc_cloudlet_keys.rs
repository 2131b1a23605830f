//! MC cloudlet access keys, manifests, resource mappings and usage, GPU
//! licenses, the organizations on a cloudlet and the platform catalogue,
//! as MC and its Controller answer them on the fake platform.

use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

const MISSING: &str = "Cloudlet key {\"organization\":\"tmus\",\"name\":\"ghost\"} not found";

fn key(name: &str) -> Value {
    json!({"Region": "local", "CloudletKey": {"organization": "tmus", "name": name}})
}

/// The operator org `tmus` with a manager, its cloudlet `c1`, and a
/// developer (who may not manage cloudlets); answers (admin, olga, dave).
async fn cloudlet_and_people(server: &TestServer) -> (String, String, String) {
    let admin = admin(server).await;
    create_org(server, &admin, "tmus", "operator").await;
    create_user(server, "olga").await;
    add_role(server, &admin, "tmus", "olga", "OperatorManager").await;
    let olga = login(server, "olga", STRONG).await;
    let body = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"},
        "location": {"latitude": 31, "longitude": -91}, "num_dynamic_ips": 254, "platform_type": "fakeedgebox"}});
    assert_eq!(stream_data(&ctrl(server, "CreateCloudlet", &olga, &body).await).len(), 7);
    create_org(server, &admin, "devco", "developer").await;
    create_user(server, "dave").await;
    add_role(server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(server, "dave", STRONG).await;
    (admin, olga, dave)
}

async fn shown_c1(server: &TestServer, token: &str) -> Value {
    let body = json!({"Region": "local", "Cloudlet": {"key": {"name": "c1"}}});
    stream_data(&ctrl(server, "ShowCloudlet", token, &body).await).remove(0)
}

fn is_pem(text: &str, label: &str) -> bool {
    text.starts_with(&format!("-----BEGIN {label}-----\n")) && text.ends_with(&format!("\n-----END {label}-----\n"))
}

on_both_databases!(mc_cloudlet_access_keys_are_shown_once_and_only_their_public_half_kept, |server| {
    let (_admin, olga, dave) = cloudlet_and_people(&server).await;
    // A cloudlet with direct access holds a key from its creation on.
    let created = shown_c1(&server, &olga).await;
    let first = created["crm_access_public_key"].as_str().unwrap_or_default().to_owned();
    assert!(is_pem(&first, "PUBLIC KEY"), "{created}");
    assert_eq!(created["crm_access_key_upgrade_required"], true);

    let generated = ctrl(&server, "GenerateAccessKey", &olga, &key("c1")).await;
    assert_eq!(generated.status, 200, "{}", generated.body);
    let private = generated.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(is_pem(&private, "PRIVATE KEY") && private.len() == 119, "{private}");
    let after = shown_c1(&server, &olga).await;
    let second = after["crm_access_public_key"].as_str().unwrap_or_default().to_owned();
    assert!(is_pem(&second, "PUBLIC KEY") && second != first);
    assert!(after.get("crm_access_key_upgrade_required").is_none(), "{after}");
    assert!(!after.to_string().contains("PRIVATE"), "the private half is never stored");

    // The manifest needs the key revoked first; it then holds a new one.
    let registered = ctrl(&server, "GetCloudletManifest", &olga, &key("c1")).await;
    assert_eq!(
        message(&registered, 400),
        "Cloudlet has access key registered, please revoke the current access key first so a new one can be generated for the manifest"
    );
    empty_result(&ctrl(&server, "RevokeAccessKey", &olga, &key("c1")).await);
    empty_result(&ctrl(&server, "RevokeAccessKey", &olga, &key("c1")).await);
    assert!(shown_c1(&server, &olga).await.get("crm_access_public_key").is_none());
    let manifest = ctrl(&server, "GetCloudletManifest", &olga, &key("c1")).await;
    assert_eq!(manifest.status, 200, "{}", manifest.body);
    let text = manifest.json()["manifest"].as_str().unwrap_or_default().to_owned();
    assert!(text.starts_with("fake manifest\n") && is_pem(&text["fake manifest\n".len()..], "PRIVATE KEY"), "{text}");
    let held = shown_c1(&server, &olga).await;
    assert!(is_pem(held["crm_access_public_key"].as_str().unwrap_or_default(), "PUBLIC KEY"));
    assert_eq!(held["crm_access_key_upgrade_required"], true);

    for op in ["GenerateAccessKey", "RevokeAccessKey", "GetCloudletManifest"] {
        assert_eq!(message(&ctrl(&server, op, &olga, &key("ghost")).await, 400), MISSING, "{op}");
        assert_eq!(message(&ctrl(&server, op, &dave, &key("c1")).await, 403), "Forbidden", "{op}");
        refuses_bad_regional_calls(&server, &olga, op, key("c1")).await;
    }
});

on_both_databases!(mc_cloudlet_manifests_racing_register_one_key, |server| {
    let (_admin, olga, _dave) = cloudlet_and_people(&server).await;
    empty_result(&ctrl(&server, "RevokeAccessKey", &olga, &key("c1")).await);
    let body = key("c1");
    let racers = (0..4).map(|_| ctrl(&server, "GetCloudletManifest", &olga, &body));
    let replies = futures_util::future::join_all(racers).await;
    let won = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert!(replies.iter().filter(|r| r.status != 200).all(|r| r.body.contains("has access key registered")));
});

on_both_databases!(mc_cloudlet_resource_mappings_usage_and_gpu_licenses, |server| {
    let (_admin, olga, dave) = cloudlet_and_people(&server).await;
    let mapping = |name: &str, map: Value| json!({"Region": "local", "CloudletResMap": {"key": {"organization": "tmus", "name": name}, "mapping": map}});
    empty_result(&ctrl(&server, "AddCloudletResMapping", &olga, &mapping("c1", json!({}))).await);
    let refused = |op: &'static str, body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, op, &olga, &body).await, 400) }
    };
    assert_eq!(
        refused("AddCloudletResMapping", mapping("c1", json!({"disk": "t"}))).await,
        "Invalid resource name disk found, must be one of [gpu nas nic] "
    );
    assert_eq!(
        refused("AddCloudletResMapping", mapping("c1", json!({"GPU": "gpumap"}))).await,
        "ResTagTable key {\"name\":\"gpumap\",\"organization\":\"tmus\"} not found"
    );
    assert_eq!(refused("AddCloudletResMapping", mapping("ghost", json!({"gpu": "t"}))).await, MISSING);
    empty_result(&ctrl(&server, "RemoveCloudletResMapping", &olga, &mapping("c1", json!({"gpu": "t"}))).await);
    assert_eq!(refused("RemoveCloudletResMapping", mapping("ghost", json!({}))).await, MISSING);
    for op in ["AddCloudletResMapping", "RemoveCloudletResMapping"] {
        assert_eq!(message(&ctrl(&server, op, &dave, &mapping("c1", json!({}))).await, 403), "Forbidden");
        refuses_bad_regional_calls(&server, &olga, op, mapping("c1", json!({}))).await;
    }

    // Usage: the fake CRM's platform VM and root LB, both x1.small.
    let usage = |name: &str, infra: bool| json!({"Region": "local", "CloudletResourceUsage": {"key": {"organization": "tmus", "name": name}, "infra_usage": infra}});
    let counted = ctrl(&server, "GetCloudletResourceUsage", &olga, &usage("c1", false)).await;
    assert_eq!(
        counted.body,
        concat!(
            r#"{"key":{"organization":"tmus","name":"c1"},"info":["#,
            r#"{"name":"Disk","value":80,"alert_threshold":80},"#,
            r#"{"name":"External IPs","value":2,"infra_max_value":30,"alert_threshold":80},"#,
            r#"{"name":"GPUs","alert_threshold":80},"#,
            r#"{"name":"Instances","value":2,"alert_threshold":80},"#,
            r#"{"name":"RAM","value":8192,"infra_max_value":40960,"units":"MB","alert_threshold":80},"#,
            r#"{"name":"vCPUs","value":4,"infra_max_value":50,"alert_threshold":80}]}"#
        )
    );
    let reported = ctrl(&server, "GetCloudletResourceUsage", &olga, &usage("c1", true)).await.json();
    assert_eq!(reported["infra_usage"], true);
    assert_eq!(
        reported["info"][1],
        json!({"name": "External IPs", "value": 1, "infra_max_value": 30, "alert_threshold": 80})
    );
    assert_eq!(refused("GetCloudletResourceUsage", usage("ghost", false)).await, "Specified Cloudlet not found");
    // Developers may view cloudlets, but only in their own org.
    assert_eq!(message(&ctrl(&server, "GetCloudletResourceUsage", &dave, &usage("c1", false)).await, 403), "Forbidden");
    refuses_bad_regional_calls(&server, &olga, "GetCloudletResourceUsage", usage("c1", false)).await;

    // GPU drivers: none exists, so no cloudlet can name one.
    assert_eq!(
        refused("GetCloudletGPUDriverLicenseConfig", key("c1")).await,
        "Cloudlet is not associated with any GPU driver"
    );
    assert_eq!(refused("GetCloudletGPUDriverLicenseConfig", key("ghost")).await, MISSING);
    assert_eq!(message(&ctrl(&server, "GetCloudletGPUDriverLicenseConfig", &dave, &key("c1")).await, 403), "Forbidden");
    refuses_bad_regional_calls(&server, &olga, "GetCloudletGPUDriverLicenseConfig", key("c1")).await;
    let driver = |org: &str| {
        json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"},
            "gpu_config": {"driver": {"name": "nvidia", "organization": org}}}})
    };
    let update = |body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, "UpdateCloudlet", &olga, &body).await, 400) }
    };
    assert_eq!(update(driver("")).await, "GPU driver name:\"nvidia\"  not found");
    assert_eq!(update(driver("tmus")).await, "GPU driver name:\"nvidia\" organization:\"tmus\"  not found");
    assert_eq!(update(driver("att")).await, "Can only use tmus or '' org gpu drivers");
    let create = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c2"},
        "location": {"latitude": 31, "longitude": -91}, "num_dynamic_ips": 254, "platform_type": "fakeedgebox",
        "physical_name": "c2", "gpu_config": {"driver": {"name": "nvidia"}}}});
    assert_eq!(
        message(&ctrl(&server, "CreateCloudlet", &olga, &create).await, 400),
        "GPUDriver key {\"name\":\"nvidia\"} not found"
    );
});

on_both_databases!(mc_organizations_on_a_cloudlet_and_the_platform_catalogue, |server| {
    let (_admin, olga, dave) = cloudlet_and_people(&server).await;
    let none = ctrl(&server, "GetOrganizationsOnCloudlet", &olga, &key("c1")).await;
    assert_eq!((none.status, none.body.as_str()), (200, ""));
    // Instances as the workloads store them (served by the next part).
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let instance = |kind: &str, key: Value, org: &str| steward::db::entities::mc_regional_object::ActiveModel {
        region: Set("local".into()),
        kind: Set(kind.into()),
        object_key: Set(key.to_string()),
        org: Set(org.into()),
        document: Set(json!({"key": key}).to_string()),
        created_at: Set(time::OffsetDateTime::now_utc()),
        updated_at: Set(time::OffsetDateTime::now_utc()),
    };
    let on_c1 = json!({"organization": "tmus", "name": "c1"});
    let rows = [
        instance("AppInst", json!({"name": "a", "organization": "devco", "cloudlet_key": on_c1}), "devco"),
        instance(
            "ClusterInst",
            json!({"cluster_key": {"name": "k", "organization": "alpha"}, "cloudlet_key": on_c1}),
            "alpha",
        ),
        instance(
            "AppInst",
            json!({"name": "b", "organization": "elsewhere", "cloudlet_key": {"organization": "tmus", "name": "c9"}}),
            "elsewhere",
        ),
    ];
    steward::db::entities::mc_regional_object::Entity::insert_many(rows).exec(&db).await.unwrap();
    let orgs = ctrl(&server, "GetOrganizationsOnCloudlet", &olga, &key("c1")).await;
    assert_eq!(stream_data(&orgs), [json!({"name": "alpha"}), json!({"name": "devco"})]);
    let all = ctrl(
        &server,
        "GetOrganizationsOnCloudlet",
        &olga,
        &json!({"Region": "local", "CloudletKey": {"organization": "tmus"}}),
    )
    .await;
    assert_eq!(stream_data(&all).len(), 3);
    assert_eq!(message(&ctrl(&server, "GetOrganizationsOnCloudlet", &dave, &key("c1")).await, 403), "Forbidden");
    refuses_bad_regional_calls(&server, &olga, "GetOrganizationsOnCloudlet", key("c1")).await;

    // Any login sees the catalogue, fake platforms left out.
    let catalogue =
        ctrl(&server, "ShowPlatformsFeatures", &dave, &json!({"Region": "local", "PlatformFeatures": {}})).await;
    let platforms = stream_data(&catalogue);
    let types: Vec<&str> = platforms.iter().map(|p| p["platform_type"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        types,
        [
            "awsec2",
            "awseks",
            "azure",
            "dind",
            "edgebox",
            "federation",
            "gcp",
            "k8sbaremetal",
            "k8soperator",
            "kind",
            "kindinfra",
            "openstack",
            "vcd",
            "vmpool",
            "vsphere"
        ]
    );
    assert_eq!(
        catalogue.body.lines().nth(3),
        Some(r#"{"data":{"platform_type":"dind","cloudlet_services_local":true}}"#)
    );
    assert_eq!(platforms[2]["access_vars"]["AZURE_USER"], json!({"name": "Azure user name", "mandatory": true}));
    refuses_bad_regional_calls(
        &server,
        &dave,
        "ShowPlatformsFeatures",
        json!({"Region": "local", "PlatformFeatures": {}}),
    )
    .await;
    // The seed's path is not a route of the original.
    let seed_path = ctrl(&server, "ShowCloudletPlatformFeatures", &dave, &json!({"Region": "local"})).await;
    assert_eq!(seed_path.status, 404);
});
