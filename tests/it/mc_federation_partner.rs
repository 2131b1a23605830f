//! The federation partner API a guest calls on a host (`/oauth2/token`,
//! `/operatorplatform/federation/v1/...`): MC's token endpoint, the
//! federation and zone registrations, in the federation wire.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::mc_federation_hosts::{federation, host};
use crate::mc_federation_zones::{base, operator, zonebase};
use crate::on_both_databases;
use crate::scalelite_client::{Reply, send};

pub const ROOT: &str = "/operatorplatform/federation/v1";

async fn oauth(server: &TestServer, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
    let mut request = server.client.post(server.url("/oauth2/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    send(request).await
}

pub async fn partner(server: &TestServer, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
    let url = server.url(&format!("{ROOT}{path}"));
    let mut request = server.client.request(method.parse().unwrap(), url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    send(request).await
}

/// The answer's `detail`, after checking its status and wire.
pub fn detail(reply: &Reply, status: u16) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.content_type, "application/json; charset=UTF-8");
    assert!(reply.body.ends_with("}\n"), "{:?}", reply.body);
    reply.json()["detail"].as_str().unwrap_or_else(|| panic!("no detail: {}", reply.body)).to_owned()
}

/// A host `dmuus-partner1` sharing zone `dmuuscloud1`; its credentials.
pub async fn hosting(server: &TestServer) -> (String, String) {
    let admin = admin(server).await;
    let olga = operator(server, &admin, "dmuus").await;
    assert_eq!(zonebase(server, "create", &olga, &base("dmuuscloud1", "dmuus")).await.status, 200);
    let info = host(server, "create", &olga, &federation("dmuus-partner1", "dmuus")).await.json();
    let share = json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1"]});
    assert_eq!(call(server, "/auth/federation/provider/zone/share", Some(&olga), Some(&share)).await.status, 200);
    (info["ClientId"].as_str().unwrap().to_owned(), info["ClientKey"].as_str().unwrap().to_owned())
}

pub async fn partner_token(server: &TestServer, id: &str, key: &str) -> String {
    let reply = oauth(server, &[("grant_type", "client_credentials"), ("scope", "fed-mgmt")], Some((id, key))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

pub fn registration() -> Value {
    json!({"origOPFederationId": "fed-guest-1", "origOPCountryCode": "SA",
           "origOPMobileNetworkCodes": {"mcc": "456", "mncs": ["444", "555"]}, "origOPFixedNetworkCodes": ["blah"],
           "initialDate": "2026-12-04T10:00:00Z",
           "partnerStatusLink": "https://guest.example.com/operatorplatform/fedcallbacks/v1/onPartnerStatusEvent",
           "partnerCallbackCredentials": {"tokenUrl": "https://guest.example.com/oauth2/token", "clientId": "cb-id", "clientSecret": "CALLBACK-SECRET"}})
}

on_both_databases!(mc_partner_tokens_follow_go_oauth2, |server| {
    let (id, key) = hosting(&server).await;
    let reply = oauth(&server, &[("grant_type", "client_credentials"), ("scope", "fed-mgmt")], Some((&id, &key))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type, "application/json;charset=UTF-8");
    assert!(reply.body.ends_with("}\n"));
    let body = reply.json();
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["access_token", "expires_in", "scope", "token_type"]);
    assert_eq!(
        (&body["expires_in"], &body["token_type"], &body["scope"]),
        (&json!(1800), &json!("Bearer"), &json!("fed-mgmt"))
    );
    // Form credentials work too; no scope, none echoed.
    let form =
        oauth(&server, &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &key)], None)
            .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.json().get("scope").is_none());
    // The partner's token does not open MC's own API.
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(message(&call(&server, "/auth/user/current", Some(token), None).await, 401), "Invalid or expired jwt");

    let refused = |reply: Reply, error: &str| {
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(reply.json()["error"], error, "{}", reply.body);
    };
    refused(oauth(&server, &[("client_id", &id)], None).await, "unsupported_grant_type");
    refused(oauth(&server, &[("grant_type", "client_credentials")], None).await, "invalid_client");
    refused(oauth(&server, &[("grant_type", "password")], Some((&id, &key))).await, "unauthorized_client");
    refused(oauth(&server, &[("grant_type", "client_credentials")], Some((&id, "wrong"))).await, "invalid_client");
    refused(oauth(&server, &[("grant_type", "client_credentials")], Some(("nobody", &key))).await, "invalid_client");
    let error = oauth(&server, &[("grant_type", "client_credentials")], Some((&id, "wrong"))).await;
    assert_eq!(error.body, "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}\n");

    // Any user's API key may be exchanged; its token is that key's.
    let admin = admin(&server).await;
    let probe = json!({"Org": "", "Description": "probe", "permissions": [{"resource": "users", "action": "view"}]});
    let made = call(&server, "/auth/user/create/apikey", Some(&admin), Some(&probe)).await.json();
    let user_token = partner_token(&server, made["Id"].as_str().unwrap(), made["ApiKey"].as_str().unwrap()).await;
    let current = call(&server, "/auth/org/show", Some(&user_token), Some(&json!({}))).await;
    assert_eq!(current.status, 200, "{}", current.body);
    // ... which is no federation's.
    let refused = partner(&server, "GET", "/some-context/partner", &user_token, None).await;
    assert_eq!(detail(&refused, 400), "Unable to split into two by ::");
});

on_both_databases!(mc_partner_federation_is_created_read_and_ended, |server| {
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let created = partner(&server, "POST", "/partner", &token, Some(&registration())).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.ends_with("}\n"));
    let answer = created.json();
    let context = answer["federationContextId"].as_str().unwrap().to_owned();
    let keys: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "federationContextId",
            "offeredAvailabilityZones",
            "partnerOPCountryCode",
            "partnerOPFederationId",
            "partnerOPFixedNetworkCodes",
            "partnerOPMobileNetworkCodes",
            "platformCaps"
        ]
    );
    assert_eq!(
        answer["offeredAvailabilityZones"],
        json!([{"geographyDetails": "None", "geolocation": "31.5,-91", "zoneId": "dmuuscloud1"}])
    );
    assert_eq!(answer["partnerOPFederationId"], "085d364c07fb4fe0b09979127f7c3d68");
    assert_eq!(answer["partnerOPMobileNetworkCodes"], json!({"mcc": "123", "mncs": ["111", "222", "333"]}));
    assert_eq!(answer["platformCaps"], json!(["homeRouting", "Anchoring"]));

    // The host shows its partner, registered; the callback key is sealed.
    let admin = admin(&server).await;
    let shown = call(&server, "/auth/federation/provider/show", Some(&admin), Some(&json!({}))).await.json()[0].clone();
    assert_eq!(shown["Status"], "Registered");
    assert_eq!(shown["FederationContextId"], context.as_str());
    assert_eq!(shown["PartnerInfo"]["FederationId"], "fed-guest-1");
    assert_eq!(shown["PartnerInfo"]["MNC"], json!(["444", "555"]));
    assert_eq!(shown["PartnerInfo"]["InitialDate"], "2026-12-04T10:00:00Z");
    assert_eq!(
        (&shown["PartnerNotifyClientId"], &shown["PartnerNotifyTokenUrl"]),
        (&json!("***"), &json!("https://guest.example.com/oauth2/token"))
    );
    assert!(
        !call(&server, "/auth/federation/provider/show", Some(&admin), Some(&json!({})))
            .await
            .body
            .contains("CALLBACK-SECRET")
    );

    // Again by the same partner is fine; by another, refused.
    assert_eq!(partner(&server, "POST", "/partner", &token, Some(&registration())).await.status, 200);
    let mut other = registration();
    other["origOPFederationId"] = json!("another-guest");
    assert_eq!(
        detail(&partner(&server, "POST", "/partner", &token, Some(&other)).await, 400),
        "Federation provider already in use by another consumer"
    );
    // A registered host is not deleted from MC's side.
    let olga = login(&server, "dmuus-op", STRONG).await;
    let refused = host(&server, "delete", &olga, &json!({"Name": "dmuus-partner1"})).await;
    assert_eq!(message(&refused, 400), "Cannot delete Host when it is still registered by Guest");

    let read = partner(&server, "GET", &format!("/{context}/partner"), &token, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        read.body,
        "{\"allowedFixedNetworkIds\":[\"foo\",\"bar\",\"foobar\"],\"allowedMobileNetworkIds\":{\"mcc\":\"123\",\"mncs\":[\"111\",\"222\",\"333\"]},\
         \"edgeDiscoveryServiceEndPoint\":{\"port\":0},\"lcmServiceEndPoint\":{\"port\":0},\
         \"offeredAvailabilityZones\":[{\"geographyDetails\":\"None\",\"geolocation\":\"31.5,-91\",\"zoneId\":\"dmuuscloud1\"}]}\n"
    );
    let mismatch = partner(&server, "GET", "/not-mine/partner", &token, None).await;
    assert_eq!(detail(&mismatch, 400), "Mismatch between access token and federation context id");

    let ended = partner(&server, "DELETE", &format!("/{context}/partner"), &token, None).await;
    assert_eq!((ended.status, ended.body.as_str()), (200, ""));
    let shown = call(&server, "/auth/federation/provider/show", Some(&admin), Some(&json!({}))).await.json()[0].clone();
    assert_eq!((&shown["Status"], &shown["PartnerInfo"]["FederationId"]), (&json!("Unregistered"), &json!("")));
    // Now another partner may federate.
    assert_eq!(partner(&server, "POST", "/partner", &token, Some(&other)).await.status, 200);
});

on_both_databases!(mc_partner_requests_are_checked_in_mcs_order, |server| {
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let refused = |body: Value| {
        let (server, token) = (&server, token.clone());
        async move { detail(&partner(server, "POST", "/partner", &token, Some(&body)).await, 400) }
    };
    let with = |changes: Value| {
        let mut body = registration();
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    assert_eq!(refused(with(json!({"origOPFederationId": ""}))).await, "OrigOPFederationId is required");
    assert_eq!(
        refused(with(json!({"origOPFederationId": "Bad_Id"}))).await,
        "OrigOPFederationId Bad_Id does not match format ^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$"
    );
    assert_eq!(
        refused(with(json!({"origOPCountryCode": "sa"}))).await,
        "OrigOPCountryCode sa does not match format ^[A-Z]{2}$"
    );
    assert_eq!(
        refused(with(json!({"origOPMobileNetworkCodes": {"mcc": "45"}}))).await,
        "Mcc 45 does not match format ^\\d{3}$"
    );
    assert_eq!(
        refused(with(json!({"partnerCallbackCredentials": {"tokenUrl": "https://x/t", "clientId": "c"}}))).await,
        "ClientSecret is required"
    );
    assert_eq!(
        refused(with(json!({"partnerStatusLink": "http://guest.example.com/cb"}))).await,
        "Invalid scheme \"http\" in callback link http://guest.example.com/cb, must be https"
    );
    let malformed = refused(json!([1])).await;
    assert!(malformed.starts_with("Invalid JSON data"), "{malformed}");

    // Tokens: none, not ours, a deleted key's.
    let none = send(server.client.get(server.url(&format!("{ROOT}/x/partner")))).await;
    assert_eq!(detail(&none, 401), "No bearer token found");
    assert_eq!(detail(&partner(&server, "GET", "/x/partner", "not-a-jwt", None).await, 401), "Invalid or expired jwt");
    let olga = login(&server, "dmuus-op", STRONG).await;
    let unshare = json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1"]});
    assert_eq!(call(&server, "/auth/federation/provider/zone/unshare", Some(&olga), Some(&unshare)).await.status, 200);
    assert_eq!(host(&server, "delete", &olga, &json!({"Name": "dmuus-partner1"})).await.status, 200);
    assert_eq!(detail(&partner(&server, "GET", "/x/partner", &token, None).await, 401), "Invalid or expired jwt");
});

on_both_databases!(mc_partner_zones_are_registered_read_and_deregistered, |server| {
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let context =
        partner(&server, "POST", "/partner", &token, Some(&registration())).await.json()["federationContextId"]
            .as_str()
            .unwrap()
            .to_owned();
    let zones = format!("/{context}/zones");
    let subscribe =
        json!({"acceptedAvailabilityZones": ["dmuuscloud1"], "availZoneNotifLink": "https://guest.example.com/zones"});
    let registered = partner(&server, "POST", &zones, &token, Some(&subscribe)).await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let zone_data = json!({"computeResourceQuotaLimits": [{"cpuArchType": "ISA_X86_64", "memory": 40960, "numCPU": "50"}],
        "flavoursSupported": [
            {"cpuArchType": "ISA_X86_64", "flavourId": "x1.small", "memorySize": 4096, "numCPU": 2, "storageSize": 40,
             "supportedOSTypes": [{"architecture": "x86", "distribution": "OTHER", "license": "NOT_SPECIFIED", "version": "OTHER"}]},
            {"cpuArchType": "ISA_X86_64", "flavourId": "x1.tiny", "memorySize": 1024, "numCPU": 1, "storageSize": 20,
             "supportedOSTypes": [{"architecture": "x86", "distribution": "OTHER", "license": "NOT_SPECIFIED", "version": "OTHER"}]}],
        "reservedComputeResources": [{"cpuArchType": "ISA_X86_64", "diskStorage": 0, "memory": 0, "numCPU": "0"}],
        "zoneId": "dmuuscloud1"});
    assert_eq!(registered.json(), json!({"acceptedZoneResourceInfo": [zone_data.clone()]}));
    let admin = admin(&server).await;
    let shown = call(&server, "/auth/federation/provider/zone/show", Some(&admin), Some(&json!({}))).await.json();
    assert_eq!(
        (&shown[0]["Status"], &shown[0]["PartnerNotifyZoneURI"]),
        (&json!("Registered"), &json!("https://guest.example.com/zones"))
    );
    let read = partner(&server, "GET", &format!("{zones}/dmuuscloud1"), &token, None).await;
    assert_eq!(read.json(), zone_data);
    assert_eq!(
        detail(&partner(&server, "GET", &format!("{zones}/nowhere"), &token, None).await, 404),
        "Zone nowhere not found"
    );

    // Registered zones hold the federation and the share.
    let olga = login(&server, "dmuus-op", STRONG).await;
    let unshare = json!({"FedHost": "dmuus-partner1", "Zones": ["dmuuscloud1"]});
    let held = call(&server, "/auth/federation/provider/zone/unshare", Some(&olga), Some(&unshare)).await;
    assert_eq!(
        message(&held, 400),
        "Cannot unshare registered zones dmuuscloud1, please ask consumer to deregister it"
    );
    let ending = partner(&server, "DELETE", &format!("/{context}/partner"), &token, None).await;
    assert!(detail(&ending, 400).starts_with("Cannot delete partner federation as zone \"dmuuscloud1\""));
    let host_delete = host(&server, "delete", &olga, &json!({"Name": "dmuus-partner1"})).await;
    assert_eq!(
        message(&host_delete, 400),
        "Cannot delete Host when the following zones are still registered: dmuuscloud1"
    );

    // Refusals: no zones, a zone not shared.
    assert_eq!(
        detail(&partner(&server, "POST", &zones, &token, Some(&json!({}))).await, 400),
        "Must specify accepted availability zones"
    );
    let unknown =
        partner(&server, "POST", &zones, &token, Some(&json!({"acceptedAvailabilityZones": ["nowhere"]}))).await;
    assert_eq!(detail(&unknown, 404), "Zone nowhere not found");

    let gone = partner(&server, "DELETE", &format!("{zones}/dmuuscloud1"), &token, None).await;
    assert_eq!((gone.status, gone.body.as_str()), (200, ""));
    assert_eq!(partner(&server, "DELETE", &format!("{zones}/nowhere"), &token, None).await.status, 200);
    let shown = call(&server, "/auth/federation/provider/zone/show", Some(&admin), Some(&json!({}))).await.json();
    assert_eq!((&shown[0]["Status"], &shown[0]["PartnerNotifyZoneURI"]), (&json!("Unregistered"), &json!("")));
    // The partner's status link is told of an unshare; it is not there.
    let unheard = call(&server, "/auth/federation/provider/zone/unshare", Some(&olga), Some(&unshare)).await;
    assert!(message(&unheard, 400).starts_with("Failed to notify partner: "), "{}", unheard.body);
    let forced =
        call(&server, "/auth/federation/provider/zone/unshare?ignorepartner=true", Some(&olga), Some(&unshare)).await;
    assert_eq!(forced.status, 200, "{}", forced.body);
});

on_both_databases!(
    mc_partner_api_can_have_an_address_of_its_own,
    crate::harness::Options { mc_federation_listener: true, ..crate::harness::Options::default() },
    |server| {
        let apart = server.federation_addr.expect("a federation listener");
        let (id, key) = hosting(&server).await;
        // The credentials name the federation listener; tokens come from the main one.
        let admin = admin(&server).await;
        create_org(&server, &admin, "bare", "operator").await;
        let other = host(&server, "create", &admin, &federation("bare-fed", "bare")).await.json();
        assert_eq!(other["TargetAddr"], format!("http://{apart}"));
        assert_eq!(other["TokenUrl"], server.url("/oauth2/token"));
        let token = partner_token(&server, &id, &key).await;
        let url = |path: &str| format!("http://{apart}{ROOT}{path}");
        let created = send(server.client.post(url("/partner")).bearer_auth(&token).json(&registration())).await;
        assert_eq!(created.status, 200, "{}", created.body);
        // The main address no longer answers the partner API ...
        assert_eq!(partner(&server, "POST", "/partner", &token, Some(&registration())).await.status, 404);
        // ... and the federation address answers nothing else, in its wire.
        let elsewhere = send(server.client.post(format!("http://{apart}/api/v1/login"))).await;
        assert_eq!(detail(&elsewhere, 404), "Not Found");
    }
);

on_both_databases!(mc_partner_callbacks_are_checked_in_mcs_order, |server| {
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let callback = |body: Value| {
        let (server, token) = (&server, token.clone());
        async move {
            let url = server.url("/operatorplatform/fedcallbacks/v1/onPartnerStatusEvent");
            send(server.client.post(url).bearer_auth(&token).json(&body)).await
        }
    };
    let context = "6a0f0d4e-2f1b-4d8e-9c3a-5b7e1f2a3c4d";
    assert_eq!(detail(&callback(json!({})).await, 400), "FederationContextId is required");
    assert_eq!(
        detail(&callback(json!({"federationContextId": "Bad"})).await, 400),
        "FederationContextId Bad does not match format ^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$"
    );
    assert_eq!(detail(&callback(json!({"federationContextId": context})).await, 400), "ObjectType is required");
    let object = callback(json!({"federationContextId": context, "objectType": "CARS"})).await;
    assert_eq!(detail(&object, 400), "PartnerPostRequest objectType value \"CARS\" is not a valid enum value");
    let operation =
        callback(json!({"federationContextId": context, "objectType": "ZONES", "operationType": "MOVE"})).await;
    assert_eq!(detail(&operation, 400), "PartnerPostRequest operationType value \"MOVE\" is not a valid enum value");
    let zone = json!({"federationContextId": context, "objectType": "ZONES", "operationType": "ADD",
                      "addZones": [{"zoneId": "z1", "geolocation": "123,1", "geographyDetails": "None"}]});
    assert!(detail(&callback(zone).await, 400).starts_with("Geolocation 123,1 does not match format"));
    // A host's token is no guest's.
    let valid = json!({"federationContextId": context, "objectType": "ZONES", "operationType": "ADD"});
    assert_eq!(detail(&callback(valid.clone()).await, 400), "Expected owner consumer but was provider");
    let anonymous =
        send(server.client.post(server.url("/operatorplatform/fedcallbacks/v1/onPartnerStatusEvent")).json(&valid))
            .await;
    assert_eq!(detail(&anonymous, 401), "No bearer token found");

    // An app instance's status: the state's enum first, then the owner.
    let instance_event = |body: Value| {
        let (server, token) = (&server, token.clone());
        async move {
            let url = server.url("/operatorplatform/fedcallbacks/v1/onInstanceStatusEvent/fedappco-inst1-z1-op");
            send(server.client.post(url).bearer_auth(&token).json(&body)).await
        }
    };
    let event = json!({"federationContextId": context, "appId": "app-1", "appInstanceId": "inst1", "zoneId": "z1",
                       "appInstanceInfo": {"appInstanceState": "BUSY"}});
    assert_eq!(
        detail(&instance_event(event.clone()).await, 400),
        "Invalid JSON data: BUSY is not a valid InstanceState"
    );
    let mut ready = event;
    ready["appInstanceInfo"]["appInstanceState"] = json!("READY");
    assert_eq!(detail(&instance_event(ready).await, 400), "Expected owner consumer but was provider");
});

/// A multipart POST of `fields` to `{context}/{what}`.
pub async fn post_form(server: &TestServer, context: &str, what: &str, token: &str, fields: &[(&str, &str)]) -> Reply {
    let form = fields
        .iter()
        .fold(reqwest::multipart::Form::new(), |form, (name, value)| form.text(name.to_string(), value.to_string()));
    let url = server.url(&format!("{ROOT}/{context}/{what}"));
    send(server.client.post(url).bearer_auth(token).multipart(form)).await
}

/// A multipart upload of `fields` to `{context}/files`.
pub async fn upload(server: &TestServer, context: &str, token: &str, fields: &[(&str, &str)]) -> Reply {
    post_form(server, context, "files", token, fields).await
}

pub fn file_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("fileId", "file-1"),
        ("appProviderId", "fedappco"),
        ("fileName", "k8sapp"),
        ("fileVersionInfo", "1.0"),
        ("fileType", "DOCKER"),
        (
            "imgOSType",
            r#"{"architecture":"x86_64","distribution":"OTHER","license":"NOT_SPECIFIED","version":"OTHER"}"#,
        ),
        ("imgInsSetArch", "ISA_X86_64"),
        ("checksum", "sha256:abc"),
        ("repoType", "PUBLICREPO"),
        ("fileRepoLocation", r#"{"repoURL":"registry.example.com/FedAppCo"}"#),
    ]
}

on_both_databases!(mc_partner_files_are_uploaded_read_and_removed, |server| {
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let context =
        partner(&server, "POST", "/partner", &token, Some(&registration())).await.json()["federationContextId"]
            .as_str()
            .unwrap()
            .to_owned();
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut fields: Vec<(&str, &str)> =
            file_fields().into_iter().filter(|(name, _)| !changes.iter().any(|(changed, _)| changed == name)).collect();
        fields.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
        fields
    };
    let refused = |fields: Vec<(&'static str, &'static str)>| {
        let (server, token, context) = (&server, token.clone(), context.clone());
        async move { detail(&upload(server, &context, &token, &fields).await, 400) }
    };
    assert_eq!(refused(with(&[("fileType", "")])).await, "FileType is required");
    assert_eq!(
        refused(with(&[("fileType", "HELM")])).await,
        "Image type \"HELM\" not supported, must be one of QCOW2, DOCKER, OVA"
    );
    let mut inline =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::text("x").file_name("a.img"));
    for (name, value) in file_fields() {
        inline = inline.text(name, value);
    }
    let url = server.url(&format!("{ROOT}/{context}/files"));
    assert_eq!(
        detail(&send(server.client.post(&url).bearer_auth(&token).multipart(inline)).await, 400),
        "Inline file upload not supported yet, use repolocation instead"
    );
    assert_eq!(
        refused(with(&[("fileRepoLocation", "")])).await,
        "FileRepoLocation must be specified, inline upload not supported"
    );
    assert_eq!(
        refused(with(&[("fileRepoLocation", "{x")])).await,
        "Failed to json unmarshal fileRepoLocation: invalid character 'x' looking for beginning of object key string"
    );
    assert_eq!(
        refused(with(&[("imgOSType", "")])).await,
        "Failed to json unmarshal imgOSType: unexpected end of JSON input"
    );
    assert_eq!(refused(with(&[("fileId", "")])).await, "FileId is required");
    assert_eq!(
        refused(with(&[("appProviderId", "FedAppCo")])).await,
        "AppProviderId FedAppCo does not match format ^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$"
    );
    assert_eq!(
        refused(with(&[("fileName", "k8s app")])).await,
        "FileName k8s app does not match format ^[A-Za-z0-9_][A-Za-z0-9_\\.-]{0,127}$"
    );
    assert_eq!(refused(with(&[("fileVersionInfo", "")])).await, "FileVersionInfo is required");
    assert_eq!(
        refused(with(&[(
            "imgOSType",
            r#"{"architecture":"arm","distribution":"OTHER","license":"NOT_SPECIFIED","version":"OTHER"}"#
        )]))
        .await,
        "OSType architecture value \"arm\" is not a valid enum value"
    );
    assert_eq!(refused(with(&[("fileRepoLocation", "{}")])).await, "RepoLocation's repo URL must be specified");
    assert_eq!(
        refused(with(&[("fileRepoLocation", r#"{"repoURL":"r.example.com","userName":"u"}"#)])).await,
        "Repolocation username specified but no password"
    );
    assert_eq!(
        refused(with(&[("repoType", "UPLOAD")])).await,
        "Copying images into this platform's registry is not supported, use a PUBLICREPO repository without credentials"
    );
    let mismatch = upload(&server, "not-mine", &token, &file_fields()).await;
    assert_eq!(detail(&mismatch, 400), "Mismatch between access token and federation context id");

    let uploaded = upload(&server, &context, &token, &file_fields()).await;
    assert_eq!((uploaded.status, uploaded.body.as_str()), (200, ""));
    assert_eq!(refused(file_fields()).await, "FileID file-1 already exists");
    let viewed = partner(&server, "GET", &format!("/{context}/files/file-1"), &token, None).await;
    assert_eq!(viewed.status, 200, "{}", viewed.body);
    assert_eq!(
        viewed.body,
        "{\"appProviderId\":\"fedappco\",\"checksum\":\"sha256:abc\",\"fileId\":\"file-1\",\"fileName\":\"k8sapp\",\"fileType\":\"DOCKER\",\"fileVersionInfo\":\"1.0\",\"imgInsSetArch\":\"ISA_X86_64\",\"imgOSType\":{\"architecture\":\"x86_64\",\"distribution\":\"OTHER\",\"license\":\"NOT_SPECIFIED\",\"version\":\"OTHER\"}}\n"
    );
    let admin = admin(&server).await;
    let shown = call(&server, "/auth/federation/provider/image/show", Some(&admin), Some(&json!({}))).await.json();
    assert_eq!(shown[0]["Path"], "registry.example.com/FedAppCo/k8sapp:1.0");
    let missing = partner(&server, "GET", &format!("/{context}/files/nope"), &token, None).await;
    assert_eq!(detail(&missing, 404), "Specified file ID not found");
    let removed = partner(&server, "DELETE", &format!("/{context}/files/file-1"), &token, None).await;
    assert_eq!((removed.status, removed.body.as_str()), (200, ""));
    let again = partner(&server, "DELETE", &format!("/{context}/files/file-1"), &token, None).await;
    assert_eq!(detail(&again, 404), "Specified file ID file-1 not found");
});

pub async fn upload_artefact(server: &TestServer, context: &str, token: &str, fields: &[(&str, &str)]) -> Reply {
    post_form(server, context, "artefact", token, fields).await
}

const SPEC: &str = r#"[{"componentName":"k8sapp","images":["file-1"],"numOfInstances":1,"restartPolicy":"RESTART_POLICY_ALWAYS","commandLineParams":{"command":["serve"]},"exposedInterfaces":[{"interfaceId":"tcp-80","commProtocol":"TCP","commPort":80,"visibilityType":"VISIBILITY_EXTERNAL"}],"computeResourceProfile":{"cpuArchType":"ISA_X86_64","numCPU":"0.5","memory":1024}}]"#;

pub fn artefact_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("artefactId", "k8sapp-1"),
        ("appProviderId", "fedappco"),
        ("artefactName", "k8sapp"),
        ("artefactVersionInfo", "1.0"),
        ("artefactVirtType", "CONTAINER_TYPE"),
        ("artefactDescriptorType", "COMPONENTSPEC"),
        ("componentSpec", SPEC),
    ]
}

on_both_databases!(mc_partner_artefacts_and_applications_are_created_read_and_removed, |server| {
    let (id, key) = hosting(&server).await;
    let token = partner_token(&server, &id, &key).await;
    let context =
        partner(&server, "POST", "/partner", &token, Some(&registration())).await.json()["federationContextId"]
            .as_str()
            .unwrap()
            .to_owned();
    let admin = admin(&server).await;
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor).await);
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut fields: Vec<(&str, &str)> = artefact_fields()
            .into_iter()
            .filter(|(name, _)| !changes.iter().any(|(changed, _)| changed == name))
            .collect();
        fields.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
        fields
    };
    let refused = |fields: Vec<(&'static str, &'static str)>| {
        let (server, token, context) = (&server, token.clone(), context.clone());
        async move { detail(&upload_artefact(server, &context, &token, &fields).await, 400) }
    };
    assert_eq!(
        refused(with(&[("artefactRepoLocation", "{}")])).await,
        "Artefact repo location not supported, only component spec is supported"
    );
    assert_eq!(refused(with(&[("artefactId", "")])).await, "ArtefactId is required");
    assert_eq!(
        refused(with(&[("artefactVirtType", "BOX")])).await,
        "UploadArtefactRequest artefactVirtType value \"BOX\" is not a valid enum value"
    );
    assert_eq!(
        refused(with(&[("artefactDescriptorType", "HELM")])).await,
        "ArtefactDescriptorType does not support HELM, only supports COMPONENTSPEC"
    );
    assert_eq!(refused(with(&[("componentSpec", "")])).await, "ComponentSpec not specified");
    assert_eq!(refused(with(&[("componentSpec", "[]")])).await, "Component specs cannot be empty array");
    assert_eq!(
        refused(with(&[("componentSpec", r#"[{"componentName":"Bad"}]"#)])).await,
        "ComponentName Bad does not match format ^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$"
    );
    assert_eq!(
        refused(artefact_fields()).await,
        "Image ID file-1 in component spec not found, please ensure it has been created"
    );
    assert_eq!(upload(&server, &context, &token, &file_fields()).await.status, 200);
    let millicores = SPEC.replace("\"0.5\"", "\"500m\"");
    let millicores: &'static str = Box::leak(millicores.into_boxed_str());
    assert_eq!(
        refused(with(&[("componentSpec", millicores)])).await,
        "Failed to parse ComponentSpec ComputeResourceProfile NumCPU 500m, Parsing whole number 500m failed, strconv.ParseUint: parsing \"500m\": invalid syntax"
    );
    assert_eq!(
        refused(with(&[("artefactVirtType", "VM_TYPE")])).await,
        "VirtType is VM_TYPE but image file-1 type is DOCKER, which is inconsistent"
    );
    let created = upload_artefact(&server, &context, &token, &artefact_fields()).await;
    assert_eq!((created.status, created.body.as_str()), (200, ""));
    assert_eq!(refused(artefact_fields()).await, "Artefact with ID k8sapp-1 already exists");
    let viewed = partner(&server, "GET", &format!("/{context}/artefact/k8sapp-1"), &token, None).await;
    assert_eq!(viewed.status, 200, "{}", viewed.body);
    assert_eq!(
        viewed.json(),
        json!({"appProviderId": "fedappco", "artefactDescriptorType": "COMPONENTSPEC", "artefactId": "k8sapp-1",
               "artefactName": "k8sapp", "artefactVersionInfo": "1.0", "artefactVirtType": "CONTAINER_TYPE",
               "componentSpec": [{"commandLineParams": {"command": ["serve"]}, "componentName": "k8sapp-1",
                   "computeResourceProfile": {"cpuArchType": "ISA_X86_64", "memory": 1024, "numCPU": "0.5"},
                   "exposedInterfaces": [{"commPort": 80, "commProtocol": "TCP", "interfaceId": "tcp-80", "visibilityType": "VISIBILITY_EXTERNAL"}],
                   "images": ["file-1"], "numOfInstances": 1, "restartPolicy": "RESTART_POLICY_ALWAYS"}]})
    );
    assert_eq!(
        detail(&partner(&server, "GET", &format!("/{context}/artefact/nope"), &token, None).await, 404),
        "Artefact nope not found"
    );

    // An application of the artefact: 202, no body.
    let onboarding = json!({"appId": "app-1", "appProviderId": "fedappco",
        "appMetaData": {"appName": "k8sapp", "version": "1.0", "accessToken": "nonenonenonenonenonenonenonenone11"},
        "appQoSProfile": {"latencyConstraints": "NONE"}, "appComponentSpecs": [{"artefactId": "k8sapp-1"}]});
    let onboard = |body: Value| {
        let (server, token, context) = (&server, token.clone(), context.clone());
        async move { partner(server, "POST", &format!("/{context}/application/onboarding"), &token, Some(&body)).await }
    };
    let mut bad = onboarding.clone();
    bad["appQoSProfile"]["latencyConstraints"] = json!("FAST");
    assert_eq!(
        detail(&onboard(bad).await, 400),
        "AppQoSProfile latencyConstraints value \"FAST\" is not a valid enum value"
    );
    let mut bad = onboarding.clone();
    bad["appComponentSpecs"] = json!([]);
    assert_eq!(detail(&onboard(bad).await, 400), "Missing app component details");
    let mut bad = onboarding.clone();
    bad["appComponentSpecs"] = json!([{"artefactId": "other"}]);
    assert_eq!(detail(&onboard(bad).await, 400), "Artefact other not found");
    let mut bad = onboarding.clone();
    bad["appDeploymentZones"] = json!(["dmuuscloud1"]);
    assert_eq!(detail(&onboard(bad).await, 400), "Deployment zone dmuuscloud1 is not registered");
    let accepted = onboard(onboarding.clone()).await;
    assert_eq!((accepted.status, accepted.body.as_str()), (202, ""));
    assert_eq!(detail(&onboard(onboarding).await, 400), "Application with ID app-1 already exists");
    let viewed = partner(&server, "GET", &format!("/{context}/application/onboarding/app/app-1"), &token, None).await;
    assert_eq!(
        viewed.body,
        "{\"appComponentSpecs\":[{\"artefactId\":\"k8sapp-1\"}],\"appDeploymentZones\":null,\"appId\":\"app-1\",\"appMetaData\":{\"accessToken\":\"\",\"appName\":\"k8sapp\",\"version\":\"1.0\"},\"appProviderId\":\"fedappco\",\"appQoSProfile\":{\"latencyConstraints\":\"NONE\"}}\n"
    );
    let used = partner(&server, "DELETE", &format!("/{context}/artefact/k8sapp-1"), &token, None).await;
    assert_eq!(detail(&used, 400), "Cannot delete Artefact k8sapp-1 which is referenced by App app-1");
    let removed =
        partner(&server, "DELETE", &format!("/{context}/application/onboarding/app/app-1"), &token, None).await;
    assert_eq!((removed.status, removed.body.as_str()), (200, ""));
    let removed = partner(&server, "DELETE", &format!("/{context}/artefact/k8sapp-1"), &token, None).await;
    assert_eq!((removed.status, removed.body.as_str()), (200, ""));
    let apps = stream_data(&ctrl(&server, "ShowApp", &admin, &json!({"Region": "local"})).await);
    assert!(apps.is_empty(), "{apps:?}");
});
