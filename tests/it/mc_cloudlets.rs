//! MC cloudlets (`/auth/ctrl/*Cloudlet`) on the original's fake platforms,
//! as MC, its Controller and the fake CRM answer them.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

fn cloudlet(name: &str, platform: &str) -> Value {
    json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": name},
        "location": {"latitude": 31, "longitude": -91}, "num_dynamic_ips": 254, "platform_type": platform}})
}

fn messages(reply: &crate::scalelite_client::Reply) -> Vec<String> {
    stream_data(reply).iter().map(|d| d["message"].as_str().unwrap_or_default().to_owned()).collect()
}

async fn shown(server: &TestServer, token: &str, filter: Value) -> Vec<Value> {
    stream_data(&ctrl(server, "ShowCloudlet", token, &json!({"Region": "local", "Cloudlet": filter})).await)
}

/// The operator org `tmus` (edge-box only, as MC creates it) with a manager.
async fn operator(server: &TestServer, admin: &str) -> String {
    create_org(server, admin, "tmus", "operator").await;
    create_user(server, "olga").await;
    add_role(server, admin, "tmus", "olga", "OperatorManager").await;
    login(server, "olga", STRONG).await
}

on_both_databases!(mc_cloudlets_come_up_on_the_fake_platform_and_go, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    let created = ctrl(&server, "CreateCloudlet", &olga, &cloudlet("c1", "fakeedgebox")).await;
    assert_eq!(
        messages(&created),
        [
            "Setting physicalname to match cloudlet name",
            "Creating Cloudlet",
            "Starting CRMServer",
            "Initializing platform",
            "Done initializing fake platform",
            "Gathering Cloudlet Info",
            "Created Cloudlet successfully"
        ]
    );
    let mine = &shown(&server, &olga, json!({})).await[0];
    assert_eq!(mine["state"], "Ready");
    assert_eq!(mine["ip_support"], "Dynamic");
    assert_eq!(mine["physical_name"], "c1");
    assert_eq!(mine["flavor"], json!({"name": "DefaultPlatformFlavor"}));
    assert_eq!(mine["deployment"], "docker");
    assert_eq!(mine["dns_label"], "c1-tmus");
    assert_eq!(mine["root_lb_fqdn"], "shared.c1-tmus.local.appdnsroot.net");
    assert_eq!(mine["edgebox_only"], true);
    assert_eq!(mine["resource_quotas"], Value::Null);
    assert_eq!(mine["gpu_config"], json!({"driver": {}}));
    assert_eq!(mine["updated_at"], "");
    assert_eq!(mine["infra_flavors"][1], json!({"name": "x1.small", "vcpus": 2, "ram": 4096, "disk": 40}));

    // A developer sees the public cloudlet, reduced.
    create_org(&server, &admin, "devco", "developer").await;
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperViewer").await;
    let dave = login(&server, "dave", STRONG).await;
    let seen = &shown(&server, &dave, json!({})).await[0];
    assert!(seen.get("physical_name").is_none() && seen.get("dns_label").is_none(), "{seen}");
    assert_eq!(seen["platform_type"], "fakeedgebox");
    assert_eq!(seen["created_at"], "");
    // Another operator sees nothing; a user with no role may not look.
    create_org(&server, &admin, "att", "operator").await;
    create_user(&server, "otto").await;
    add_role(&server, &admin, "att", "otto", "OperatorManager").await;
    let otto = login(&server, "otto", STRONG).await;
    assert!(shown(&server, &otto, json!({})).await.is_empty());
    let nobody = user(&server, "nobody").await;
    assert_eq!(message(&ctrl(&server, "ShowCloudlet", &nobody, &json!({"Region": "local"})).await, 403), "Forbidden");

    // Update: the fields sent; others cannot be modified.
    let update = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"},
        "num_dynamic_ips": 10, "location": {"latitude": 40}, "env_var": {"A": "1"}}});
    assert_eq!(messages(&ctrl(&server, "UpdateCloudlet", &olga, &update).await), ["Cloudlet updated successfully"]);
    let mine = &shown(&server, &olga, json!({"key": {"name": "c1"}})).await[0];
    assert_eq!((mine["num_dynamic_ips"].as_i64(), mine["location"]["latitude"].as_f64()), (Some(10), Some(40.0)));
    assert_eq!(mine["location"]["longitude"], -91.0);
    assert_eq!(mine["env_var"], json!({"A": "1"}));
    assert!(mine["updated_at"].as_str().unwrap().starts_with("20"), "{mine}");
    let fixed =
        json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"}, "platform_type": ""}});
    assert_eq!(
        message(&ctrl(&server, "UpdateCloudlet", &olga, &fixed).await, 400),
        "Specified field(s) Platform Type cannot be modified"
    );

    // A flavor a cloudlet names cannot go.
    empty_result(
        &ctrl(
            &server,
            "CreateFlavor",
            &admin,
            &json!({"Region": "local", "Flavor": {"key": {"name": "m1"}, "ram": 1, "vcpus": 1, "disk": 1}}),
        )
        .await,
    );
    let mut with_flavor = cloudlet("c2", "fakeedgebox");
    with_flavor["Cloudlet"]["flavor"] = json!({"name": "m1"});
    with_flavor["Cloudlet"]["physical_name"] = json!("site-2");
    assert_eq!(messages(&ctrl(&server, "CreateCloudlet", &olga, &with_flavor).await).len(), 6);
    assert_eq!(
        message(
            &ctrl(&server, "DeleteFlavor", &admin, &json!({"Region": "local", "Flavor": {"key": {"name": "m1"}}}))
                .await,
            400
        ),
        "Flavor in use by Cloudlet {\"organization\":\"tmus\",\"name\":\"c2\"}"
    );

    let gone = ctrl(
        &server,
        "DeleteCloudlet",
        &olga,
        &json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "c1"}}}),
    )
    .await;
    assert_eq!(messages(&gone), ["Deleting Cloudlet", "Stopping CRMServer", "Deleted Cloudlet successfully"]);
    assert_eq!(shown(&server, &olga, json!({})).await.len(), 1);
    // The org still owns a cloudlet.
    assert_eq!(
        message(&call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "tmus"}))).await, 400),
        "Organization tmus in use or check failed: region local: in use by some Cloudlet"
    );
});

on_both_databases!(mc_cloudlets_refuse_bad_input_in_the_originals_order_and_words, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    let refused = |body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, "CreateCloudlet", &olga, &body).await, 400) }
    };
    let with = |changes: Value| {
        let mut body = cloudlet("c1", "fakeedgebox");
        for (name, value) in changes.as_object().unwrap() {
            body["Cloudlet"][name] = value.clone();
        }
        body
    };
    assert_eq!(refused(with(json!({"ip_support": "Static"}))).await, "Only dynamic IPs are supported currently");
    // Enums read as the original's Go reads them: any spelling, or a number.
    for spelled in [json!("IP_SUPPORT_STATIC"), json!("static"), json!(1), json!("1")] {
        let reply = refused(with(json!({"ip_support": spelled}))).await;
        assert_eq!(reply, "Only dynamic IPs are supported currently", "{spelled}");
    }
    let help = "valid values are one of Unknown, Static, Dynamic, or 0, 1, 2";
    assert_eq!(
        refused(with(json!({"ip_support": "Sometimes"}))).await,
        format!(
            "Invalid JSON data: Unmarshal error: expected IpSupport, but got string Sometimes for field \"\", {help}"
        )
    );
    assert_eq!(
        refused(with(json!({"ip_support": 7}))).await,
        format!("Invalid JSON data: Unmarshal error: expected IpSupport, but got value 7 for field \"\", {help}")
    );
    assert_eq!(
        refused(with(json!({"num_dynamic_ips": 0}))).await,
        "Must specify at least one dynamic public IP available"
    );
    assert_eq!(refused(with(json!({"location": {}}))).await, "Location is missing; 0,0 is not a valid location");
    assert_eq!(refused(with(json!({"platform_type": ""}))).await, "Cloudlet platform type not specified");
    assert_eq!(
        refused(with(json!({"platform_type": "openstack"}))).await,
        "Failed to get features for platform: unknown platform openstack"
    );
    // Operator orgs are edge-box only, as MC creates them.
    assert_eq!(
        refused(with(json!({"platform_type": "fake"}))).await,
        "Cloudlet is restricted to edgebox only platforms; fake is not an edgebox platform"
    );
    assert_eq!(
        refused(with(json!({"state": "Ready"}))).await,
        "Invalid field specified: State, this field is only for internal use"
    );
    assert_eq!(
        refused(with(json!({"errors": []}))).await,
        "Invalid field specified: Errors, this field is only for internal use"
    );
    assert_eq!(
        refused(with(json!({"physical_name": "p", "location": {"latitude": 95, "longitude": 1}}))).await,
        "Invalid latitude value"
    );
    // The ranges are the spec's constraints, worded as the Controller words them.
    assert_eq!(
        refused(with(json!({"physical_name": "p", "location": {"latitude": 45, "longitude": -180.5}}))).await,
        "Invalid longitude value"
    );
    assert_eq!(
        refused(with(json!({"physical_name": "p", "default_resource_alert_threshold": 101}))).await,
        "Invalid resource alert threshold 101 specified, valid threshold is in the range of 0 to 100"
    );
    let mut bad_org = with(json!({}));
    bad_org["Cloudlet"]["key"]["organization"] = json!("devco");
    create_org(&server, &admin, "devco", "developer").await;
    assert_eq!(
        message(&ctrl(&server, "CreateCloudlet", &admin, &bad_org).await, 400),
        "Operation for org devco only allowed for orgs of type operator"
    );
    assert_eq!(messages(&ctrl(&server, "CreateCloudlet", &olga, &with(json!({}))).await).len(), 7);
    // After "Setting physicalname..." an error ends the stream under 200.
    let again = ctrl(&server, "CreateCloudlet", &olga, &with(json!({}))).await;
    let lines = stream_lines(&again);
    assert_eq!(lines[0], json!({"data": {"message": "Setting physicalname to match cloudlet name"}}));
    assert_eq!(
        lines[1],
        json!({"result": {"message": "Cloudlet key {\"organization\":\"tmus\",\"name\":\"c1\"} already exists", "code": 400}})
    );
    // Given a physical name, the same error is a plain 400.
    assert_eq!(
        refused(with(json!({"physical_name": "site-1"}))).await,
        "Cloudlet key {\"organization\":\"tmus\",\"name\":\"c1\"} already exists"
    );
    let mut flavorless = with(json!({"physical_name": "p", "flavor": {"name": "nope"}}));
    flavorless["Cloudlet"]["key"]["name"] = json!("c9");
    assert_eq!(refused(flavorless).await, "Flavor key {\"name\":\"nope\"} not found");
    let missing = json!({"Region": "local", "Cloudlet": {"key": {"organization": "tmus", "name": "zz"}}});
    assert_eq!(
        message(&ctrl(&server, "DeleteCloudlet", &olga, &missing).await, 400),
        "Cloudlet key {\"organization\":\"tmus\",\"name\":\"zz\"} not found"
    );
    let mut update = missing.clone();
    update["Cloudlet"]["num_dynamic_ips"] = json!(3);
    assert_eq!(
        message(&ctrl(&server, "UpdateCloudlet", &olga, &update).await, 400),
        "Cloudlet key {\"organization\":\"tmus\",\"name\":\"zz\"} not found"
    );
    assert_eq!(
        message(&ctrl(&server, "UpdateCloudlet", &olga, &json!({"Region": "local"})).await, 400),
        "Invalid object data for Cloudlet"
    );
    // Developers may only look.
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(&server, "dave", STRONG).await;
    assert_eq!(message(&ctrl(&server, "CreateCloudlet", &dave, &with(json!({}))).await, 403), "Forbidden");
});

on_both_databases!(mc_cloudlet_creates_racing_for_one_key_create_it_once, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    let attempts = (0..4).map(|_| {
        let mut body = cloudlet("race", "fakeedgebox");
        body["Cloudlet"]["physical_name"] = json!("race");
        let (server, olga) = (&server, olga.clone());
        async move { ctrl(server, "CreateCloudlet", &olga, &body).await }
    });
    let replies = futures_util::future::join_all(attempts).await;
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(message(reply, 400), "Cloudlet key {\"organization\":\"tmus\",\"name\":\"race\"} already exists");
    }
});

on_both_databases!(mc_cloudlet_alliance_orgs_flavor_matches_and_platform_properties, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin).await;
    assert_eq!(messages(&ctrl(&server, "CreateCloudlet", &olga, &cloudlet("c1", "fakeedgebox")).await).len(), 7);
    create_org(&server, &admin, "att", "operator").await;
    create_org(&server, &admin, "devco", "developer").await;
    let alliance = |org: &str| json!({"Region": "local", "CloudletAllianceOrg": {"key": {"organization": "tmus", "name": "c1"}, "organization": org}});
    empty_result(&ctrl(&server, "AddCloudletAllianceOrg", &olga, &alliance("att")).await);
    let refused = |op: &'static str, body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&ctrl(server, op, &olga, &body).await, 400) }
    };
    assert_eq!(refused("AddCloudletAllianceOrg", alliance("att")).await, "Duplicate alliance org \"att\" specified");
    assert_eq!(
        refused("AddCloudletAllianceOrg", alliance("tmus")).await,
        "Cannot add cloudlet's own org \"tmus\" as alliance org"
    );
    assert_eq!(refused("AddCloudletAllianceOrg", alliance("ghost")).await, "Alliance org ghost not found");
    assert_eq!(
        refused("AddCloudletAllianceOrg", alliance("devco")).await,
        "Operation for alliance org devco only allowed for orgs of type operator"
    );
    assert_eq!(refused("AddCloudletAllianceOrg", alliance("")).await, "No alliance organization specified");
    let shown_orgs = shown(&server, &olga, json!({})).await[0]["alliance_orgs"].clone();
    assert_eq!(shown_orgs, json!(["att"]));
    empty_result(&ctrl(&server, "RemoveCloudletAllianceOrg", &olga, &alliance("att")).await);
    empty_result(&ctrl(&server, "RemoveCloudletAllianceOrg", &olga, &alliance("att")).await);
    assert!(shown(&server, &olga, json!({})).await[0].get("alliance_orgs").is_none());

    // Flavor matching against the fake platform's x1.tiny and x1.small.
    for (name, ram, vcpus, disk) in [("small", 512, 1, 10), ("medium", 2048, 2, 30), ("huge", 65536, 16, 100)] {
        let body =
            json!({"Region": "local", "Flavor": {"key": {"name": name}, "ram": ram, "vcpus": vcpus, "disk": disk}});
        empty_result(&ctrl(&server, "CreateFlavor", &admin, &body).await);
    }
    let find = |flavor: &str| json!({"Region": "local", "FlavorMatch": {"key": {"organization": "tmus", "name": "c1"}, "flavor_name": flavor}});
    let matched = ctrl(&server, "FindFlavorMatch", &olga, &find("medium")).await;
    assert_eq!(matched.body, r#"{"key":{"organization":"tmus","name":"c1"},"flavor_name":"x1.small"}"#);
    assert_eq!(
        refused("FindFlavorMatch", find("huge")).await,
        "No suitable platform flavor found for huge, please try a smaller flavor"
    );
    assert_eq!(
        refused("FindFlavorMatch", find("nope")).await,
        "Cloudlet key {\"organization\":\"tmus\",\"name\":\"c1\"} not found"
    );
    let lines = ctrl(
        &server,
        "ShowFlavorsForCloudlet",
        &olga,
        &json!({"Region": "local", "CloudletKey": {"organization": "tmus", "name": "c1"}}),
    )
    .await;
    assert_eq!(stream_data(&lines), [json!({"name": "medium"}), json!({"name": "small"})]);
    // Another operator may not look at this org's cloudlet.
    create_user(&server, "otto").await;
    add_role(&server, &admin, "att", "otto", "OperatorManager").await;
    let otto = login(&server, "otto", STRONG).await;
    let hidden = ctrl(
        &server,
        "ShowFlavorsForCloudlet",
        &otto,
        &json!({"Region": "local", "CloudletKey": {"organization": "tmus", "name": "c1"}}),
    )
    .await;
    assert_eq!(message(&hidden, 400), "No permissions for Cloudlet {\"organization\":\"tmus\",\"name\":\"c1\"}");
    assert_eq!(message(&ctrl(&server, "FindFlavorMatch", &otto, &find("medium")).await, 403), "Forbidden");

    // The fake platform's properties; other platforms are not served.
    let props = ctrl(
        &server,
        "GetCloudletProps",
        &olga,
        &json!({"Region": "local", "CloudletProps": {"platform_type": "fake", "organization": "tmus"}}),
    )
    .await;
    assert_eq!(
        props.json()["properties"]["PROP_1"],
        json!({"name": "Property 1", "description": "First Property", "secret": true, "mandatory": true})
    );
    let quotas = ctrl(
        &server,
        "GetCloudletResourceQuotaProps",
        &olga,
        &json!({"Region": "local", "CloudletResourceQuotaProps": {"platform_type": "fake", "organization": "tmus"}}),
    )
    .await;
    assert_eq!(quotas.json()["properties"].as_array().unwrap().len(), 6);
    assert_eq!(
        refused(
            "GetCloudletProps",
            json!({"Region": "local", "CloudletProps": {"platform_type": "openstack", "organization": "tmus"}})
        )
        .await,
        "Unknown platform openstack"
    );
    // Developers hold no cloudletanalytics:view.
    create_user(&server, "dave").await;
    add_role(&server, &admin, "devco", "dave", "DeveloperManager").await;
    let dave = login(&server, "dave", STRONG).await;
    let denied = ctrl(
        &server,
        "GetCloudletProps",
        &dave,
        &json!({"Region": "local", "CloudletProps": {"platform_type": "fake", "organization": "devco"}}),
    )
    .await;
    assert_eq!(message(&denied, 403), "Forbidden");
});
