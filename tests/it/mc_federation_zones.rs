//! MC federation host zone bases (`/auth/federation/provider/zonebase/*`):
//! zones an operator builds on its cloudlets, in MC's order and words.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

pub async fn zonebase(server: &TestServer, op: &str, token: &str, body: &Value) -> crate::scalelite_client::Reply {
    call(server, &format!("/auth/federation/provider/zonebase/{op}"), Some(token), Some(body)).await
}

/// An operator org with a cloudlet at 31,-91 and a manager, logged in.
pub async fn operator(server: &TestServer, admin: &str, org: &str) -> String {
    create_org(server, admin, org, "operator").await;
    let cloudlet = json!({"Region": "local", "Cloudlet": {
        "key": {"organization": org, "name": format!("{org}-cloud-1")},
        "location": {"latitude": 31.5, "longitude": -91},
        "num_dynamic_ips": 254, "platform_type": "fakeedgebox"}});
    let made = ctrl(server, "CreateCloudlet", admin, &cloudlet).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let manager = format!("{org}-op");
    create_user(server, &manager).await;
    add_role(server, admin, org, &manager, "OperatorManager").await;
    login(server, &manager, STRONG).await
}

pub fn base(zone: &str, org: &str) -> Value {
    json!({"ZoneId": zone, "OperatorId": org, "Region": "local", "CountryCode": "US", "Cloudlets": [format!("{org}-cloud-1")]})
}

on_both_databases!(mc_zone_bases_are_created_shown_updated_and_deleted, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let made = zonebase(&server, "create", &olga, &base("dmuuscloud1", "dmuus")).await;
    assert_eq!(message(&made, 200), "Created zone successfully");
    let shown = zonebase(&server, "show", &olga, &json!({})).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(
        shown.json(),
        json!([{"ZoneId": "dmuuscloud1", "OperatorId": "dmuus", "CountryCode": "US", "GeoLocation": "31.5,-91",
                "GeographyDetails": "None", "Region": "local", "Cloudlets": ["dmuus-cloud-1"]}])
    );
    // A zone ID is unique across operators.
    let otto = operator(&server, &admin, "att").await;
    let taken = zonebase(&server, "create", &otto, &base("dmuuscloud1", "att")).await;
    assert_eq!(message(&taken, 400), "Zone \"dmuuscloud1\" already exists");
    // Others' zones are not shown; admins see all; filters match.
    let theirs = zonebase(&server, "show", &otto, &json!({})).await;
    assert_eq!(theirs.json(), json!([]));
    assert_eq!(
        zonebase(&server, "show", &admin, &json!({"OperatorId": "dmuus"})).await.json().as_array().unwrap().len(),
        1
    );
    assert_eq!(zonebase(&server, "show", &admin, &json!({"Region": "other"})).await.json(), json!([]));
    let unknown = zonebase(&server, "show", &admin, &json!({"Color": "red"})).await;
    assert_eq!(
        message(&unknown, 400),
        "Failed to parse input data: JSON field Color not found in database object ProviderZoneBase"
    );

    let update = json!({"ZoneId": "dmuuscloud1", "OperatorId": "dmuus", "GeographyDetails": "Downtown"});
    assert_eq!(message(&zonebase(&server, "update", &olga, &update).await, 200), "Updated Host Zone Base");
    let region = json!({"ZoneId": "dmuuscloud1", "OperatorId": "dmuus", "Region": "local"});
    assert_eq!(message(&zonebase(&server, "update", &olga, &region).await, 400), "Update Region not allowed");
    let shown = zonebase(&server, "show", &olga, &json!({"ZoneId": "dmuuscloud1"})).await;
    assert_eq!(shown.json()[0]["GeographyDetails"], "Downtown");

    // Another operator may not touch it.
    let foreign = json!({"ZoneId": "dmuuscloud1", "OperatorId": "dmuus"});
    assert_eq!(message(&zonebase(&server, "delete", &otto, &foreign).await, 403), "Forbidden");
    assert_eq!(
        message(&zonebase(&server, "delete", &olga, &foreign).await, 200),
        "Deleted federation zone successfully"
    );
    assert_eq!(message(&zonebase(&server, "delete", &olga, &foreign).await, 400), "Zone dmuuscloud1 does not exist");
    assert_eq!(zonebase(&server, "show", &admin, &json!({})).await.json(), json!([]));
});

on_both_databases!(mc_zone_bases_refuse_bad_input_in_mcs_order, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let refused = |body: Value| {
        let (server, olga) = (&server, olga.clone());
        async move { message(&zonebase(server, "create", &olga, &body).await, 400) }
    };
    let with = |changes: Value| {
        let mut body = base("zone1", "dmuus");
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    assert_eq!(refused(with(json!({"ZoneId": ""}))).await, "Missing zone ID");
    assert_eq!(
        refused(with(json!({"ZoneId": "Zone1"}))).await,
        "Invalid zone ID, invalid RFC1123 name \"Zone1\", does not allow upper case characters"
    );
    assert_eq!(refused(with(json!({"OperatorId": ""}))).await, "Missing operator");
    assert_eq!(refused(with(json!({"Region": ""}))).await, "Missing region");
    assert_eq!(refused(with(json!({"Cloudlets": []}))).await, "Missing cloudlets");
    assert_eq!(refused(with(json!({"Cloudlets": ["a", "b"]}))).await, "Only one cloudlet supported for now");
    assert_eq!(refused(with(json!({"Region": "mars"}))).await, "Region \"mars\" not found");
    assert_eq!(
        refused(with(json!({"CountryCode": "ABCD"}))).await,
        "Invalid country code \"ABCD\". It must be a valid ISO 3166-1 Alpha-2 code for the country"
    );
    assert_eq!(refused(with(json!({"Cloudlets": ["nowhere"]}))).await, "Cloudlet nowhere not found");
    // A developer org is no operator: admins learn why, others are refused.
    create_org(&server, &admin, "devco", "developer").await;
    let dev_org = zonebase(&server, "create", &admin, &with(json!({"OperatorId": "devco"}))).await;
    assert_eq!(message(&dev_org, 400), "Operation for org devco only allowed for orgs of type operator");
    let stranger = user(&server, "stranger").await;
    assert_eq!(message(&zonebase(&server, "create", &stranger, &base("zone1", "dmuus")).await, 403), "Forbidden");
    assert_eq!(message(&zonebase(&server, "show", &stranger, &json!({})).await, 403), "Forbidden");
    // Deletes and updates name the zone and its operator.
    assert_eq!(
        message(&zonebase(&server, "delete", &olga, &json!({"OperatorId": "dmuus"})).await, 400),
        "Missing zone ID"
    );
    assert_eq!(message(&zonebase(&server, "update", &olga, &json!({"ZoneId": "z"})).await, 400), "Missing operator ID");
    let empty = call(&server, "/auth/federation/provider/zonebase/create", Some(&olga), None).await;
    assert_eq!(message(&empty, 400), "Request body can't be empty");
    for op in ["create", "delete", "update", "show"] {
        let anonymous =
            call(&server, &format!("/auth/federation/provider/zonebase/{op}"), None, Some(&json!({}))).await;
        assert_eq!(message(&anonymous, 401), "No bearer token found");
    }
});

on_both_databases!(mc_zone_bases_racing_creates_leave_one, |server| {
    let admin = admin(&server).await;
    let olga = operator(&server, &admin, "dmuus").await;
    let body = base("race", "dmuus");
    let replies = futures_util::future::join_all((0..6).map(|_| zonebase(&server, "create", &olga, &body))).await;
    assert_eq!(replies.iter().filter(|reply| reply.status == 200).count(), 1);
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        let text = message(reply, 400);
        assert!(text.contains("already exists"), "{text}");
    }
});
