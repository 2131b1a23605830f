//! Lighthouse applications deployed through a real beacon on loopback in
//! front of a fake Docker engine that records every call.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::lighthouse::{call, login_admin, user_with_level};
use crate::lighthouse_beacon::TestBeacon;
use crate::lighthouse_beacons::connect;
use crate::on_both_databases;

/// Sends a request whose answer streams progress lines; the status and
/// every line.
pub async fn streamed(
    server: &TestServer,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Vec<Value>) {
    let reply = call(server, cookie, method, path, body).await;
    if reply.status != 200 {
        return (reply.status, vec![serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body))]);
    }
    assert!(reply.content_type.starts_with("application/json"), "{}", reply.content_type);
    assert!(reply.body.ends_with('\n'), "{:?}", reply.body);
    let lines = reply.body.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    (reply.status, lines)
}

/// The (Status, Endpoint) of each line, `Finalized` included.
fn outline(lines: &[Value]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| (l["Status"].as_str().unwrap().to_owned(), l["Endpoint"].as_str().unwrap().to_owned()))
        .collect()
}

fn step(status: &str, endpoint: &str) -> (String, String) {
    (status.to_owned(), endpoint.to_owned())
}

/// The (METHOD, path) of every recorded Docker call on one instance.
fn calls(beacon: &TestBeacon, instance: &str) -> Vec<String> {
    beacon.docker.calls_for(instance).into_iter().map(|c| format!("{} {}", c.method, c.path)).collect()
}

const FINALIZED: &str =
    r#"{"Status":"Finalized","Method":"","Endpoint":"","Message":"","Code":0,"Instance":"","Item":0,"Total":0}"#;

async fn create_web(server: &TestServer, cookie: &str, beacon: &TestBeacon, query: &str) -> (u16, Vec<Value>) {
    let body = json!({"Name": "web", "Command": {"Image": "nginx:1.27"}, "Instances": beacon.instances()}).to_string();
    streamed(server, cookie, "POST", &format!("/api/v0.2/applications/create{query}"), Some(&body)).await
}

on_both_databases!(lighthouse_applications_deploy_start_stop_update_and_revert, |server| {
    let beacon = TestBeacon::start("tok", &["one", "two"]).await;
    let admin = login_admin(&server).await;
    connect(&server, &admin, &beacon, "lab").await;
    let one = beacon.instance("one");

    // Flags as Go's strconv.ParseBool reads them.
    let (status, lines) = create_web(&server, &admin, &beacon, "?start=1&forcePull=True").await;
    assert_eq!(status, 200);
    let expected = [
        ("Starting", "images/create?fromImage=nginx:1.27"),
        ("OK", "images/create?fromImage=nginx:1.27"),
        ("OK", "images/create?fromImage=nginx:1.27"),
        ("Complete", "images/create?fromImage=nginx:1.27"),
        ("Starting", "containers/create?name=web_tmp"),
        ("OK", "containers/create?name=web_tmp"),
        ("OK", "containers/create?name=web_tmp"),
        ("Complete", "containers/create?name=web_tmp"),
        ("Starting", "containers/web?force=true"),
        ("Warning", "containers/web?force=true"),
        ("Warning", "containers/web?force=true"),
        ("Complete", "containers/web?force=true"),
        ("Starting", "containers/web_tmp/rename?name=web"),
        ("OK", "containers/web_tmp/rename?name=web"),
        ("OK", "containers/web_tmp/rename?name=web"),
        ("Complete", "containers/web_tmp/rename?name=web"),
        ("Starting", "containers/web/start"),
        ("OK", "containers/web/start"),
        ("OK", "containers/web/start"),
        ("Complete", "containers/web/start"),
        ("Finalized", ""),
    ];
    assert_eq!(outline(&lines), expected.map(|(s, e)| step(s, e)).to_vec());
    assert_eq!(lines.last().unwrap().to_string(), FINALIZED);
    assert_eq!(
        lines[0],
        json!({"Status": "Starting", "Method": "POST", "Endpoint": "images/create?fromImage=nginx:1.27", "Message": "Pulling required image", "Code": 0, "Instance": "", "Item": 0, "Total": 2})
    );
    assert_eq!(lines[9]["Message"], "Container did not exist");
    assert_eq!(
        calls(&beacon, &one),
        [
            "POST /v1.12/images/create?fromImage=nginx:1.27",
            "POST /v1.12/containers/create?name=web_tmp",
            "DELETE /v1.12/containers/web?force=true",
            "POST /v1.12/containers/web_tmp/rename?name=web",
            "POST /v1.12/containers/web/start",
        ]
    );
    let create_call = &beacon.docker.calls_for(&one)[1];
    assert_eq!(serde_json::from_str::<Value>(&create_call.body).unwrap(), json!({"Image": "nginx:1.27"}));
    // A flag Go cannot read is false: nothing is pulled or started.
    let other = json!({"Name": "side", "Command": {"Image": "redis"}, "Instances": [one]}).to_string();
    beacon.docker.clear();
    streamed(&server, &admin, "POST", "/api/v0.2/applications/create?start=yes&forcePull=maybe", Some(&other)).await;
    assert_eq!(
        calls(&beacon, &one),
        [
            "POST /v1.12/containers/create?name=side_tmp",
            "DELETE /v1.12/containers/side?force=true",
            "POST /v1.12/containers/side_tmp/rename?name=side"
        ]
    );
    beacon.docker.clear();
    assert_eq!(beacon.docker.containers(&one).get("web"), Some(&true));

    let listed = call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json();
    let id = listed[0]["Id"].as_i64().unwrap();
    assert_eq!(
        listed[0],
        json!({"Id": id, "CurrentDeployment": listed[0]["CurrentDeployment"], "Name": "web", "Instances": beacon.instances()})
    );
    let me = call(&server, &admin, "GET", &format!("/api/v0.2/users/{}", crate::harness::LIGHTHOUSE_ADMIN), None).await;
    assert_eq!(me.json()["Permissions"]["Applications"], json!({"side": 2, "web": 2}));

    // Stop and start, by name and by id.
    beacon.docker.clear();
    let (_, lines) = streamed(&server, &admin, "POST", "/api/v0.2/applications/stop/web", None).await;
    assert_eq!(outline(&lines)[1..3], [step("OK", "containers/web/stop"), step("OK", "containers/web/stop")]);
    assert_eq!(beacon.docker.containers(&one).get("web"), Some(&false));
    let (_, lines) = streamed(&server, &admin, "POST", &format!("/api/v0.2/applications/start/{id}"), None).await;
    assert_eq!(lines.len(), 5);
    assert_eq!(calls(&beacon, &one), ["POST /v1.12/containers/web/stop", "POST /v1.12/containers/web/start"]);

    // A new command: a new deployment, pulled, deployed and restarted.
    beacon.docker.clear();
    let body = json!({"Command": {"Image": "nginx:1.28"}}).to_string();
    let (status, lines) =
        streamed(&server, &admin, "PUT", "/api/v0.2/applications/update/web?restart=true", Some(&body)).await;
    assert_eq!((status, lines.last().unwrap()["Status"].as_str()), (200, Some("Finalized")));
    assert_eq!(
        calls(&beacon, &one),
        [
            "POST /v1.12/images/create?fromImage=nginx:1.28",
            "POST /v1.12/containers/create?name=web_tmp",
            "DELETE /v1.12/containers/web?force=true",
            "POST /v1.12/containers/web_tmp/rename?name=web",
            "POST /v1.12/containers/web/start",
        ]
    );
    let history = call(&server, &admin, "GET", "/api/v0.2/applications/list/web", None).await.json();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!((history[0]["Version"].as_i64(), history[0]["Image"].as_str()), (Some(2), Some("nginx:1.28")));
    assert_eq!((history[1]["Version"].as_i64(), history[1]["Image"].as_str()), (Some(1), Some("nginx:1.27")));
    assert_eq!(history[0]["Creator"], crate::harness::LIGHTHOUSE_ADMIN);
    assert!(history[0]["Date"].as_str().unwrap().ends_with('Z'));
    let newest = call(&server, &admin, "GET", "/api/v0.2/applications/list/web?count=1", None).await.json();
    assert_eq!(newest.as_array().unwrap().len(), 1);
    // As Go's strconv.ParseInt reads it: not a number means all.
    let all = call(&server, &admin, "GET", "/api/v0.2/applications/list/web?count=many", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let current =
        call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json()[0]["CurrentDeployment"].clone();
    assert_eq!(current, history[0]["Id"]);

    // Revert to the one before: deployed again, not started, now current.
    beacon.docker.clear();
    let (status, _) = streamed(&server, &admin, "PUT", "/api/v0.2/applications/revert/web", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        calls(&beacon, &one),
        [
            "POST /v1.12/containers/create?name=web_tmp",
            "DELETE /v1.12/containers/web?force=true",
            "POST /v1.12/containers/web_tmp/rename?name=web",
        ]
    );
    assert_eq!(beacon.docker.calls_for(&one)[0].body, r#"{"Image":"nginx:1.27"}"#);
    let current =
        call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json()[0]["CurrentDeployment"].clone();
    assert_eq!(current, history[1]["Id"]);

    // Removing an instance deletes its container; adding one deploys the
    // current deployment there only.
    beacon.docker.clear();
    let body = json!({"Remove": [one]}).to_string();
    let (_, lines) = streamed(&server, &admin, "PUT", "/api/v0.2/applications/update/web", Some(&body)).await;
    assert_eq!(
        outline(&lines)[..3],
        [
            step("Starting", "containers/web?force=true"),
            step("OK", "containers/web?force=true"),
            step("Complete", "containers/web?force=true")
        ]
    );
    assert!(!beacon.docker.containers(&one).contains_key("web"));
    let listed = call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json();
    assert_eq!(listed[0]["Instances"], json!([beacon.instance("two")]));
    beacon.docker.clear();
    let body = json!({"Add": [one]}).to_string();
    streamed(&server, &admin, "PUT", "/api/v0.2/applications/update/web", Some(&body)).await;
    assert_eq!(calls(&beacon, &beacon.instance("two")), Vec::<String>::new());
    assert_eq!(
        calls(&beacon, &one).first().map(String::as_str),
        Some("POST /v1.12/images/create?fromImage=nginx:1.27")
    );
    assert!(beacon.docker.containers(&one).contains_key("web"));
});

on_both_databases!(lighthouse_failed_deployments_roll_back, |server| {
    let beacon = TestBeacon::start("tok", &["one", "two"]).await;
    let admin = login_admin(&server).await;
    connect(&server, &admin, &beacon, "lab").await;
    let (one, two) = (beacon.instance("one"), beacon.instance("two"));

    // Creation fails on one instance: the temporary container goes from
    // the other, and the application is removed again.
    beacon.docker.fail("POST", "containers/create", Some(&two), 500, "no space left");
    let (status, lines) = create_web(&server, &admin, &beacon, "?start=true").await;
    assert_eq!(status, 200);
    let error = lines.iter().find(|l| l["Status"] == "Error").unwrap();
    assert_eq!(
        (error["Instance"].as_str(), error["Code"].as_i64(), error["Message"].as_str()),
        (Some(two.as_str()), Some(500), Some("no space left"))
    );
    assert_eq!(
        calls(&beacon, &one),
        ["POST /v1.12/containers/create?name=web_tmp", "DELETE /v1.12/containers/web_tmp?force=true"]
    );
    assert_eq!(calls(&beacon, &two), ["POST /v1.12/containers/create?name=web_tmp"]);
    let rollback = lines.iter().find(|l| l["Message"] == "Rolling back").unwrap();
    assert_eq!(rollback["Total"], 1);
    assert_eq!(lines.last().unwrap().to_string(), FINALIZED);
    assert!(beacon.docker.containers(&one).is_empty());
    assert_eq!(call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json(), json!([]));

    // The same name may be used again once it works.
    beacon.docker.heal();
    beacon.docker.clear();
    let (_, lines) = create_web(&server, &admin, &beacon, "?start=true").await;
    assert!(lines.iter().all(|l| l["Status"] != "Error"), "{lines:?}");

    // A start failing on one instance stops it where it worked.
    streamed(&server, &admin, "POST", "/api/v0.2/applications/stop/web", None).await;
    beacon.docker.clear();
    beacon.docker.fail("POST", "containers/web/start", Some(&one), 500, "boom");
    let (_, lines) = streamed(&server, &admin, "POST", "/api/v0.2/applications/start/web", None).await;
    assert_eq!(lines.iter().filter(|l| l["Message"] == "Rolling back").count(), 2);
    assert_eq!(calls(&beacon, &two), ["POST /v1.12/containers/web/start", "POST /v1.12/containers/web/stop"]);
    assert_eq!(beacon.docker.containers(&two).get("web"), Some(&false));

    // A failed image pull deploys nothing and keeps the current deployment.
    beacon.docker.heal();
    beacon.docker.fail("POST", "images/create", Some(&one), 200, r#"{"error":"manifest unknown"}"#);
    beacon.docker.clear();
    let before =
        call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json()[0]["CurrentDeployment"].clone();
    let body = json!({"Command": {"Image": "nginx:missing"}}).to_string();
    let (_, lines) =
        streamed(&server, &admin, "PUT", "/api/v0.2/applications/update/web?restart=true", Some(&body)).await;
    let error = lines.iter().find(|l| l["Status"] == "Error").unwrap();
    assert_eq!(error["Message"], "manifest unknown");
    assert_eq!(calls(&beacon, &one), ["POST /v1.12/images/create?fromImage=nginx:missing"]);
    let after =
        call(&server, &admin, "GET", "/api/v0.2/applications/list", None).await.json()[0]["CurrentDeployment"].clone();
    assert_eq!(after, before);
    // The deployment is in the history all the same, as the original keeps it.
    let history = call(&server, &admin, "GET", "/api/v0.2/applications/list/web", None).await.json();
    assert_eq!(history[0]["Image"], "nginx:missing");

    // A rename failing on one instance: both names are cleared everywhere.
    beacon.docker.heal();
    beacon.docker.clear();
    beacon.docker.fail("POST", "containers/web_tmp/rename", Some(&two), 409, "Conflict");
    let (_, lines) = streamed(&server, &admin, "PUT", "/api/v0.2/applications/revert/web?target=-1", None).await;
    assert_eq!(lines.iter().filter(|l| l["Message"] == "Rolling back").count(), 4);
    assert_eq!(calls(&beacon, &two).last().map(String::as_str), Some("DELETE /v1.12/containers/web_tmp?force=true"));
    assert_eq!(calls(&beacon, &one).last().map(String::as_str), Some("DELETE /v1.12/containers/web?force=true"));
});

on_both_databases!(lighthouse_applications_refuse_bad_requests_and_strangers, |server| {
    let beacon = TestBeacon::start("tok", &["one"]).await;
    let admin = login_admin(&server).await;
    connect(&server, &admin, &beacon, "lab").await;
    let one = beacon.instance("one");
    let create = |body: Value, query: &'static str| {
        let (server, admin) = (&server, admin.clone());
        async move {
            streamed(server, &admin, "POST", &format!("/api/v0.2/applications/create{query}"), Some(&body.to_string()))
                .await
        }
    };
    let parameters =
        json!({"Cause": "applications", "Message": "applications: not enough or invalid parameters given"});
    for body in [
        json!({"Command": {"Image": "x"}, "Instances": [one]}),
        json!({"Name": "a", "Instances": [one]}),
        json!({"Name": "a", "Command": {}, "Instances": [one]}),
        json!({"Name": "a", "Command": {"Image": "x"}, "Instances": []}),
        json!({"Name": "a", "Command": {"Image": "x"}, "Instances": [1]}),
        json!({"Name": "a", "Command": {"Image": "x"}, "Instances": ["10.0.0.1:2375/v1.12"]}),
        json!({"Name": "x/../../images/nginx", "Command": {"Image": "x"}, "Instances": [one]}),
    ] {
        assert_eq!(create(body.clone(), "").await, (400, vec![parameters.clone()]), "{body}");
    }
    assert_eq!(
        create(json!({"Name": "a", "Command": {"Cmd": ["x"]}, "Instances": [one]}), "?forcePull=true").await.0,
        400
    );
    let (status, _) = create(json!({"Name": "web", "Command": {"Image": "x"}, "Instances": [one]}), "").await;
    assert_eq!(status, 200);
    let (status, body) = create(json!({"Name": "web", "Command": {"Image": "x"}, "Instances": [one]}), "").await;
    assert_eq!(
        (status, body[0]["Message"].as_str()),
        (409, Some("applications: an application with that name already exists"))
    );

    let missing = json!({"Cause": "applications", "Message": "applications: unknown application ID"});
    assert_eq!(
        streamed(&server, &admin, "POST", "/api/v0.2/applications/start/nope", None).await,
        (404, vec![missing.clone()])
    );
    assert_eq!(streamed(&server, &admin, "POST", "/api/v0.2/applications/stop/999", None).await, (404, vec![missing]));
    let count = call(&server, &admin, "GET", "/api/v0.2/applications/list/web?count=-1", None).await;
    assert_eq!(count.status, 400);
    let previous = streamed(&server, &admin, "PUT", "/api/v0.2/applications/revert/web", None).await;
    assert_eq!(
        (previous.0, previous.1[0]["Message"].as_str()),
        (400, Some("applications: no previous deployment to rollback to"))
    );
    let unknown = streamed(&server, &admin, "PUT", "/api/v0.2/applications/revert/web?target=9999", None).await;
    assert_eq!((unknown.0, unknown.1[0]["Message"].as_str()), (404, Some("applications: unknown deployment ID")));
    let malformed = streamed(&server, &admin, "PUT", "/api/v0.2/applications/update/web", Some("{")).await;
    assert_eq!(malformed.0, 400);
    // The application is looked up before the body is read (the original's own tests send none).
    for id in ["-1", "100", "BadName"] {
        let reply = streamed(&server, &admin, "PUT", &format!("/api/v0.2/applications/update/{id}"), None).await;
        assert_eq!(reply.0, 404, "{id}");
    }

    // Someone with no level on the application: not listed, no history,
    // no changes; their own application may not use a beacon they lack.
    let stranger = user_with_level(&server, &admin, "stranger", 0).await;
    assert_eq!(call(&server, &stranger, "GET", "/api/v0.2/applications/list", None).await.json(), json!([]));
    assert_eq!(call(&server, &stranger, "GET", "/api/v0.2/applications/list/web", None).await.json(), json!([]));
    let forbidden =
        json!({"Cause": "applications", "Message": "applications: user not permitted to modify application"});
    for (method, path) in [("POST", "start/web"), ("POST", "stop/web"), ("PUT", "revert/web"), ("PUT", "update/web")] {
        // No body: the level is checked before one is read.
        let body = None;
        let reply = streamed(&server, &stranger, method, &format!("/api/v0.2/applications/{path}"), body).await;
        assert_eq!(reply, (403, vec![forbidden.clone()]), "{path}");
    }
    let theirs = json!({"Name": "theirs", "Command": {"Image": "x"}, "Instances": [one]}).to_string();
    let denied = streamed(&server, &stranger, "POST", "/api/v0.2/applications/create", Some(&theirs)).await;
    assert_eq!(
        (denied.0, denied.1[0]["Message"].as_str()),
        (403, Some("applications: user not permitted to access instance"))
    );
    let anonymous =
        crate::scalelite_client::send(server.client.post(server.url("/api/v0.2/applications/start/web"))).await;
    assert_eq!(anonymous.status, 401);
});

// Lines leave as they happen: with every Docker answer held back, the
// first line arrives while the deployment is still waiting on the engine.
on_both_databases!(lighthouse_progress_streams_as_it_happens, |server| {
    use futures_util::StreamExt;
    let beacon = TestBeacon::start("tok", &["one"]).await;
    let admin = login_admin(&server).await;
    connect(&server, &admin, &beacon, "lab").await;
    beacon.docker.set_delay(std::time::Duration::from_millis(700));
    let body = json!({"Name": "web", "Command": {"Image": "nginx"}, "Instances": beacon.instances()}).to_string();
    let response = server
        .client
        .post(server.url("/api/v0.2/applications/create?start=true&forcePull=true"))
        .header("cookie", &admin)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut chunks = response.bytes_stream();
    let first = chunks.next().await.unwrap().unwrap();
    let first: Value = serde_json::from_slice(first.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["Status"], "Starting");
    // Five steps of 700 ms each lie ahead: the engine has seen at most the pull.
    assert!(beacon.docker.calls().len() <= 1, "{:?}", beacon.docker.calls().len());
    let mut rest = Vec::new();
    while let Some(chunk) = chunks.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    assert!(String::from_utf8(rest).unwrap().trim_end().ends_with(FINALIZED));
    assert_eq!(beacon.docker.calls().len(), 5);
});
