//! MC alert receivers (`/auth/alertreceiver/*`): identity (name, user,
//! severity, type), the original's check order and texts, hidden secrets,
//! and who sees and deletes whose receivers.

use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::mc_client::*;
use crate::on_both_databases;

const KEY: &str = "0123456789abcdef0123456789abcdef";

async fn receiver(server: &TestServer, op: &str, token: &str, body: &Value) -> crate::scalelite_client::Reply {
    call(server, &format!("/auth/alertreceiver/{op}"), Some(token), Some(body)).await
}

async fn created(server: &TestServer, token: &str, body: Value) {
    assert_eq!(message(&receiver(server, "create", token, &body).await, 200), "Alert receiver created successfully");
}

async fn shown(server: &TestServer, token: &str, filter: Value) -> Vec<Value> {
    let reply = receiver(server, "show", token, &filter).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_array().cloned().unwrap_or_default()
}

/// A developer org `org` with a manager and a contributor, logged in.
async fn team(server: &TestServer, admin: &str, org: &str) -> (String, String) {
    create_org(server, admin, org, "developer").await;
    let manager = format!("{org}-boss");
    let worker = format!("{org}-dev");
    for (name, role) in [(&manager, "DeveloperManager"), (&worker, "DeveloperContributor")] {
        create_user(server, name).await;
        add_role(server, admin, org, name, role).await;
    }
    (login(server, &manager, STRONG).await, login(server, &worker, STRONG).await)
}

on_both_databases!(mc_alert_receivers_are_created_shown_with_secrets_hidden_and_deleted, |server| {
    let admin = admin(&server).await;
    let (_, dev) = team(&server, &admin, "acme").await;
    created(
        &server,
        &dev,
        json!({"Name": "ops", "Type": "email", "Severity": "error", "AppInstKey": {"organization": "acme"}}),
    )
    .await;
    created(
        &server,
        &dev,
        json!({"Name": "chat", "Type": "slack", "Severity": "warning", "SlackChannel": "alerts",
               "SlackWebhook": "https://hooks.example.com/T0/B0/x", "Region": "local",
               "AppKey": {"organization": "acme", "name": "app1", "version": "1.0"}}),
    )
    .await;
    created(
        &server,
        &dev,
        json!({"Name": "oncall", "Type": "pagerduty", "Severity": "info", "PagerDutyIntegrationKey": KEY,
               "ClusterKey": {"organization": "acme", "name": "c1"}}),
    )
    .await;
    // Creation order; secrets hidden; the keys always present; the email
    // defaults to the caller's and the channel gains its '#'.
    let reply = receiver(&server, "show", &dev, &json!({})).await;
    assert!(reply.body.contains(r#""SlackWebhook":"\u003chidden\u003e""#), "{}", reply.body);
    assert!(!reply.body.contains("hooks.example.com") && !reply.body.contains(KEY));
    assert_eq!(
        reply.json(),
        json!([
            {"Name": "ops", "Type": "email", "Severity": "error", "User": "acme-dev", "Email": "acme-dev@example.com",
             "AppInstKey": {"organization": "acme", "cloudlet_key": {}}, "AppKey": {}, "ClusterKey": {}},
            {"Name": "chat", "Type": "slack", "Severity": "warning", "Region": "local", "User": "acme-dev",
             "SlackChannel": "#alerts", "SlackWebhook": "<hidden>", "AppInstKey": {"cloudlet_key": {}},
             "AppKey": {"organization": "acme", "name": "app1", "version": "1.0"}, "ClusterKey": {}},
            {"Name": "oncall", "Type": "pagerduty", "Severity": "info", "User": "acme-dev",
             "PagerDutyIntegrationKey": "<hidden>", "PagerDutyApiVersion": "v2", "AppInstKey": {"cloudlet_key": {}},
             "AppKey": {}, "ClusterKey": {"name": "c1", "organization": "acme"}}
        ])
    );
    // The webhook and the key are sealed at rest.
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let rows = steward::db::entities::mc_alert_receiver::Entity::find().all(&db).await.unwrap();
    let stored: Vec<&str> =
        rows.iter().flat_map(|row| [row.slack_webhook.as_str(), row.pagerduty_key.as_str()]).collect();
    assert!(stored.iter().all(|secret| !secret.contains("hooks.example.com") && !secret.contains(KEY)), "{stored:?}");
    assert_eq!(stored.iter().filter(|secret| !secret.is_empty()).count(), 2, "{stored:?}");
    // Filters: equal fields, key fields, the channel with its '#'.
    assert_eq!(shown(&server, &dev, json!({"Type": "slack"})).await.len(), 1);
    assert_eq!(shown(&server, &dev, json!({"SlackChannel": "#alerts"})).await.len(), 1);
    assert_eq!(shown(&server, &dev, json!({"SlackChannel": "alerts"})).await.len(), 0);
    assert_eq!(shown(&server, &dev, json!({"AppKey": {"name": "app1"}})).await.len(), 1);
    // The same four again are refused, as the sidecar refused them; another
    // severity is another receiver.
    let again = json!({"Name": "ops", "Type": "email", "Severity": "error", "AppKey": {"organization": "acme"}});
    assert_eq!(
        message(&receiver(&server, "create", &dev, &again).await, 400),
        "Unable to create a receiver - bad response status 409 Conflict[Receiver Exists - delete it first]"
    );
    created(
        &server,
        &dev,
        json!({"Name": "ops", "Type": "email", "Severity": "info", "AppKey": {"organization": "acme"}}),
    )
    .await;

    // The owner deletes without naming the org; then it is gone.
    let ops = json!({"Name": "ops", "Type": "email", "Severity": "error"});
    assert_eq!(message(&receiver(&server, "delete", &dev, &ops).await, 200), "Alert receiver deleted successfully");
    assert_eq!(
        message(&receiver(&server, "delete", &dev, &ops).await, 400),
        r#"Unable to delete a receiver - bad response status 404 Not Found[No receiver "ops" of type email and severity error for user "acme-dev"]"#
    );
    assert_eq!(shown(&server, &dev, json!({})).await.len(), 3);
    // Admins see everyone's; platform receivers are theirs alone.
    created(
        &server,
        &admin,
        json!({"Name": "platform", "Type": "email", "Severity": "error", "Email": "noc@example.com"}),
    )
    .await;
    assert_eq!(shown(&server, &admin, json!({})).await.len(), 4);
    assert_eq!(shown(&server, &dev, json!({})).await.len(), 3);
});

on_both_databases!(mc_alert_receivers_refuse_bad_input_in_the_originals_order, |server| {
    let admin = admin(&server).await;
    let (_, dev) = team(&server, &admin, "acme").await;
    let refused = |body: Value| {
        let (server, dev) = (&server, dev.clone());
        async move { message(&receiver(server, "create", &dev, &body).await, 400) }
    };
    let org = json!({"organization": "acme"});
    assert_eq!(refused(json!({"Type": "email"})).await, "Receiver name has to be specified");
    assert_eq!(refused(json!({"Name": "a:b"})).await, "Receiver name is invalid");
    assert_eq!(
        refused(json!({"Name": "r", "Severity": "fatal"})).await,
        r#"Alert severity has to be one of "info", "warning", "error""#
    );
    assert_eq!(
        refused(json!({"Name": "r", "Severity": "info", "User": "x"})).await,
        "User is not specifiable, current logged in user will be used"
    );
    assert_eq!(
        refused(json!({"Name": "r", "Severity": "info", "Type": "email"})).await,
        "Either cloudlet, cluster, app, or app instance organization must be specified"
    );
    let cloudlet_only = json!({"Name": "r", "Severity": "info", "Type": "email",
        "AppInstKey": {"name": "i1", "cloudlet_key": {"organization": "acme"}}});
    assert_eq!(
        refused(cloudlet_only).await,
        "AppInst details cannot be specified without AppInst, App, or Cluster organization"
    );
    let typed = |extra: Value| {
        let mut body = json!({"Name": "r", "Severity": "info", "AppKey": org});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    assert_eq!(refused(typed(json!({"Type": "email", "Email": "nobody"}))).await, "Receiver email is invalid");
    assert_eq!(
        refused(typed(json!({"Type": "slack", "SlackChannel": "a"}))).await,
        "Both slack URL and slack channel must be specified"
    );
    assert_eq!(
        refused(typed(json!({"Type": "slack", "SlackChannel": "a", "SlackWebhook": "ftp://x"}))).await,
        "Unable to create a receiver - Invalid Slack api URL"
    );
    assert_eq!(refused(typed(json!({"Type": "pagerduty"}))).await, "PagerDuty Integration Key must be present");
    assert_eq!(
        refused(typed(json!({"Type": "pagerduty", "PagerDutyIntegrationKey": "short"}))).await,
        "PagerDuty Integration Key must contain 32 characters"
    );
    assert!(
        refused(typed(json!({"Type": "pagerduty", "PagerDutyIntegrationKey": KEY, "PagerDutyApiVersion": "v3"})))
            .await
            .contains(r#"must be "v1" or "v2""#)
    );
    assert_eq!(refused(typed(json!({"Type": "sms"}))).await, "Receiver type invalid");
    // MC's ReadConn: any body must be JSON.
    let empty = call(&server, "/auth/alertreceiver/create", Some(&dev), None).await;
    assert_eq!(message(&empty, 400), "Invalid JSON data: Syntax error at offset 0, unexpected end of JSON input");
    let kind = receiver(&server, "create", &dev, &json!({"Name": 5})).await;
    assert!(message(&kind, 400).starts_with("Invalid JSON data: Unmarshal error: expected string"));
    // A webhook is no filter.
    assert_eq!(
        message(&receiver(&server, "show", &dev, &json!({"SlackWebhook": "x"})).await, 400),
        "Slack URL is not specifiable as a filter"
    );
    // No token.
    for op in ["create", "delete", "show"] {
        let reply = call(&server, &format!("/auth/alertreceiver/{op}"), None, Some(&json!({}))).await;
        assert_eq!(message(&reply, 401), "No bearer token found");
    }
});

on_both_databases!(mc_alert_receivers_follow_mcs_authorization, |server| {
    let admin = admin(&server).await;
    let (boss, dev) = team(&server, &admin, "acme").await;
    let (_, rival) = team(&server, &admin, "rival").await;
    let acme = json!({"organization": "acme"});
    created(&server, &dev, json!({"Name": "r", "Type": "email", "Severity": "info", "AppKey": acme})).await;
    // Another org's member may not create in acme, nor see or delete there.
    let forbidden =
        receiver(&server, "create", &rival, &json!({"Name": "r", "Type": "email", "Severity": "info", "AppKey": acme}))
            .await;
    assert_eq!(message(&forbidden, 403), "Forbidden");
    let someone_elses = json!({"Name": "r", "Type": "email", "Severity": "info", "User": "acme-dev", "AppKey": acme});
    assert_eq!(message(&receiver(&server, "delete", &rival, &someone_elses).await, 403), "Forbidden");
    // A non-admin may not create a platform receiver.
    let platform = json!({"Name": "p", "Type": "email", "Severity": "info"});
    assert_eq!(
        message(&receiver(&server, "create", &dev, &platform).await, 400),
        "Either cloudlet, cluster, app, or app instance organization must be specified"
    );
    // Managers see their own by default; a member's with the org named;
    // not without it.
    assert!(shown(&server, &boss, json!({})).await.is_empty());
    assert_eq!(shown(&server, &boss, json!({"User": "acme-dev", "AppKey": acme})).await.len(), 1);
    assert_eq!(
        message(&receiver(&server, "show", &boss, &json!({"User": "acme-dev"})).await, 400),
        "Org details must be present to see receivers"
    );
    // A contributor may not look at the manager's.
    let peek = receiver(&server, "show", &dev, &json!({"User": "acme-boss", "AppKey": acme})).await;
    assert_eq!(message(&peek, 403), "Forbidden");
    // Deleting another's needs the org and users:manage there.
    let mut theirs = someone_elses.clone();
    theirs.as_object_mut().unwrap().remove("AppKey");
    assert_eq!(
        message(&receiver(&server, "delete", &boss, &theirs).await, 400),
        "Org details must be present to manage a specific receiver"
    );
    assert_eq!(
        message(&receiver(&server, "delete", &boss, &someone_elses).await, 200),
        "Alert receiver deleted successfully"
    );
    // Without alert:view anywhere (no role) showing is forbidden.
    let nobody = user(&server, "nobody").await;
    assert_eq!(message(&receiver(&server, "show", &nobody, &json!({})).await, 403), "Forbidden");
});

on_both_databases!(mc_alert_receivers_racing_creates_leave_one, |server| {
    let admin = admin(&server).await;
    let (_, dev) = team(&server, &admin, "acme").await;
    let body = json!({"Name": "race", "Type": "email", "Severity": "info", "AppKey": {"organization": "acme"}});
    let replies = futures_util::future::join_all((0..6).map(|_| receiver(&server, "create", &dev, &body))).await;
    let won = replies.iter().filter(|reply| reply.status == 200).count();
    assert_eq!(won, 1, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        assert!(message(reply, 400).contains("Receiver Exists - delete it first"));
    }
    assert_eq!(shown(&server, &dev, json!({"Name": "race"})).await.len(), 1);
});
