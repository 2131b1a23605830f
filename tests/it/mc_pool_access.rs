//! MC cloudlet-pool access (`/auth/cloudletpoolaccess*`): invitations,
//! responses, what they grant, and what they hold back.

use serde_json::{Value, json};

use crate::mc_client::*;
use crate::mc_policies::people_and_cloudlets;
use crate::on_both_databases;

fn access(decision: Option<&str>) -> Value {
    let mut body = json!({"Org": "devco", "Region": "local", "CloudletPool": "private", "CloudletPoolOrg": "tmus"});
    if let Some(decision) = decision {
        body["Decision"] = json!(decision);
    }
    body
}

on_both_databases!(mc_pool_invitations_grant_the_pools_cloudlets_once_accepted, |server| {
    let (admin, olga, dave) = people_and_cloudlets(&server).await;
    let post = |path: &'static str, token: String, body: Value| {
        let server = &server;
        async move { call(server, path, Some(&token), Some(&body)).await }
    };
    let cloudlets = |token: String| {
        let server = &server;
        async move {
            let reply = ctrl(server, "ShowCloudlet", &token, &json!({"Region": "local"})).await;
            stream_data(&reply)
                .iter()
                .map(|c| c["key"]["name"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // Before any invitation the pooled cloudlet c2 is hidden from devco.
    assert_eq!(cloudlets(dave.clone()).await, ["c1"]);
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessresponse/create", dave.clone(), access(Some("accept"))).await, 400),
        "No invitation for specified cloudlet pool access"
    );
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessinvitation/create", dave.clone(), access(None)).await, 403),
        "Forbidden"
    );
    let created = post("/auth/cloudletpoolaccessinvitation/create", olga.clone(), access(None)).await;
    assert_eq!((created.status, created.json()), (200, json!({"message": "Invitation created"})));
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessinvitation/create", olga.clone(), access(None)).await, 400),
        "CloudletPool invitation for org devco, region local, pool private poolorg tmus already exists"
    );
    let mut missing = access(None);
    missing["CloudletPool"] = json!("nope");
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessinvitation/create", olga.clone(), missing).await, 400),
        "Specified CloudletPool nope org tmus for region local not found"
    );
    let mut operator = access(None);
    operator["Org"] = json!("tmus");
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessinvitation/create", olga.clone(), operator).await, 400),
        "Specified organization is not a developer organization"
    );
    assert_eq!(
        message(
            &post("/auth/cloudletpoolaccessinvitation/create", olga.clone(), json!({"Region": "local"})).await,
            400
        ),
        "Organization name not specified"
    );
    let pending = post("/auth/cloudletpoolaccesspending/show", dave.clone(), json!({})).await;
    assert_eq!(pending.json(), json!([access(None)]));
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessresponse/create", dave.clone(), access(Some("maybe"))).await, 400),
        "Decision must be either accept or reject"
    );
    let accepted = post("/auth/cloudletpoolaccessresponse/create", dave.clone(), access(Some("accept"))).await;
    assert_eq!(accepted.json(), json!({"message": "Response created"}));
    assert_eq!(
        post("/auth/cloudletpoolaccessgranted/show", olga.clone(), json!({})).await.json(),
        json!([access(None)])
    );
    assert_eq!(post("/auth/cloudletpoolaccesspending/show", olga.clone(), json!({})).await.json(), json!([]));
    assert_eq!(
        post("/auth/cloudletpoolaccessresponse/show", dave.clone(), json!({})).await.json(),
        json!([access(Some("accept"))])
    );
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessgranted/show", dave.clone(), json!({"Color": "red"})).await, 400),
        "Failed to parse input data: JSON field Color not found in database object OrgCloudletPool"
    );

    // Granted: devco sees and may deploy to c2; the operator sees devco's apps.
    assert_eq!(cloudlets(dave.clone()).await, ["c1", "c2"]);
    let policy = json!({"Region": "local", "AutoProvPolicy": {"key": {"organization": "devco", "name": "p"},
        "deploy_client_count": 1, "cloudlets": [{"key": {"organization": "tmus", "name": "c2"}}]}});
    empty_result(&ctrl(&server, "CreateAutoProvPolicy", &dave, &policy).await);
    let flavor =
        json!({"Region": "local", "Flavor": {"key": {"name": "x1.small"}, "ram": 4096, "vcpus": 2, "disk": 40}});
    empty_result(&ctrl(&server, "CreateFlavor", &admin, &flavor).await);
    let app = json!({"Region": "local", "App": {"key": {"organization": "devco", "name": "a", "version": "1"},
        "image_type": "Docker", "image_path": "nginx", "default_flavor": {"name": "x1.small"}}});
    empty_result(&ctrl(&server, "CreateApp", &dave, &app).await);
    assert_eq!(stream_data(&ctrl(&server, "ShowApp", &olga, &json!({"Region": "local"})).await).len(), 1);

    // The pool and the developer org cannot go while the rows name them.
    let pool = json!({"Region": "local", "CloudletPool": {"key": {"organization": "tmus", "name": "private"}}});
    assert_eq!(
        message(&ctrl(&server, "DeleteCloudletPool", &olga, &pool).await, 400),
        "Cannot delete CloudletPool region local name private because it is referenced by devco invitation, devco response"
    );
    // Withdrawing the invitation takes the response with it.
    let deleted = post("/auth/cloudletpoolaccessinvitation/delete", olga.clone(), access(None)).await;
    assert_eq!(deleted.json(), json!({"message": "Invitation deleted"}));
    assert_eq!(post("/auth/cloudletpoolaccessresponse/show", admin.clone(), json!({})).await.json(), json!([]));
    assert_eq!(
        message(&post("/auth/cloudletpoolaccessresponse/delete", dave.clone(), access(None)).await, 400),
        "Response not found"
    );
    assert_eq!(cloudlets(dave.clone()).await, ["c1"]);
    assert_eq!(message(&ctrl(&server, "ShowApp", &olga, &json!({"Region": "local"})).await, 403), "Forbidden");
    let nobody = user(&server, "nora").await;
    assert_eq!(message(&post("/auth/cloudletpoolaccessgranted/show", nobody, json!({})).await, 403), "Forbidden");
});

on_both_databases!(mc_an_invited_developer_org_cannot_be_deleted, |server| {
    let (admin, olga, _dave) = people_and_cloudlets(&server).await;
    let created = call(&server, "/auth/cloudletpoolaccessinvitation/create", Some(&olga), Some(&access(None))).await;
    assert_eq!(created.status, 200);
    let refused = call(&server, "/auth/org/delete", Some(&admin), Some(&json!({"Name": "devco"}))).await;
    assert_eq!(
        message(&refused, 400),
        "Cannot delete organization because it is referenced by some cloudletpool invitation or response"
    );
});
