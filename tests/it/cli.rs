//! The `steward` command as operators run it.

use std::process::Command;

fn steward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    command.env_remove("STEWARD_CONFIG").current_dir(std::env::temp_dir());
    command
}

#[test]
fn invalid_configuration_stops_the_start_with_one_line_naming_the_key() {
    for (key, value) in [
        ("STEWARD_LISTEN", "nowhere"),
        ("STEWARD_DATABASE_URL", "mysql://x"),
        ("STEWARD_SCALELITE_MULTITENANCY", "maybe"),
    ] {
        let output = steward().arg("serve").env(key, value).output().expect("run steward");
        assert_eq!(output.status.code(), Some(2), "{key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(&format!("steward: invalid configuration: {key}: ")), "{stderr}");
    }
}

#[test]
fn openapi_prints_the_served_spec() {
    for spec in steward::surfaces::SPECS {
        let yaml = steward().args(["openapi", spec.name]).output().expect("run steward");
        assert!(yaml.status.success());
        assert_eq!(String::from_utf8_lossy(&yaml.stdout), spec.yaml);
        let json = steward().args(["openapi", spec.name, "--format", "json"]).output().expect("run steward");
        let printed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
        assert_eq!(printed, serde_json::from_str::<serde_json::Value>(spec.json).unwrap());
    }
    let unknown = steward().args(["openapi", "nothing"]).output().expect("run steward");
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn config_schema_describes_the_file() {
    let output = steward().arg("config-schema").output().expect("run steward");
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON Schema");
    for key in ["listen", "database_url", "scalelite", "storj", "argo"] {
        assert!(schema["properties"].get(key).is_some(), "{key}: {schema}");
    }
}

#[test]
fn migrate_applies_migrations_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let output = steward().arg("migrate").env("STEWARD_DATABASE_URL", &url).output().expect("run steward");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied"));
}

/// What `steward serve` prints before it is stopped.
fn banner(envs: &[(&str, &str)]) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = steward()
        .arg("serve")
        .env("STEWARD_LISTEN", "127.0.0.1:0")
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run steward");
    let mut printed = String::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines().map_while(Result::ok) {
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("mail:") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    printed
}

#[test]
fn secrets_are_shown_once_by_the_start_that_generated_them_and_configured_ones_never() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let first = banner(&[("STEWARD_DATABASE_URL", &url)]);
    let generated = first
        .lines()
        .find(|line| line.contains("scalelite: secret generated"))
        .and_then(|line| line.rsplit(": ").next())
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert_eq!(generated.len(), 64, "{first}");
    assert!(first.contains("with password") && first.contains("(shown once)"), "{first}");
    let shown_after = |label: &str| {
        first
            .lines()
            .find(|line| line.contains(label))
            .and_then(|line| line.rsplit(": ").next())
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{label}: {first}"))
            .to_owned()
    };
    let storj_token = shown_after("storj:     Authorization token generated");
    let argo_key = shown_after("argo:      super_admin x-api-key generated");
    let lighthouse_password = first
        .lines()
        .find(|line| line.contains("lighthouse: user admin@lighthouse.local (AuthLevel 10) created with password "))
        .and_then(|line| line.split("with password ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert_eq!(lighthouse_password.len(), 64, "{first}");
    assert_eq!((storj_token.len(), argo_key.len()), (64, 64), "{first}");
    let second = banner(&[("STEWARD_DATABASE_URL", &url)]);
    for shown in [&generated, &storj_token, &argo_key, &lighthouse_password] {
        assert!(!second.contains(shown.as_str()), "{second}");
    }
    assert!(second.contains("lighthouse: user admin@lighthouse.local (password as first printed)"), "{second}");
    assert!(second.contains("secret kept in the database"), "{second}");
    assert!(second.contains("storj:     Authorization token as first printed"), "{second}");
    assert!(second.contains("argo:      super_admin x-api-key as first printed"), "{second}");
    // The generated Storj token and ARGO key are kept only as hashes.
    let stored = std::fs::read(dir.path().join("b.db")).unwrap();
    let wal = std::fs::read(dir.path().join("b.db-wal")).unwrap_or_default();
    for secret in [&storj_token, &argo_key, &lighthouse_password] {
        let found = |bytes: &[u8]| bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found(&stored) && !found(&wal), "{secret} stored in the clear");
    }

    let configured = banner(&[
        ("STEWARD_DATABASE_URL", &url),
        ("STEWARD_SCALELITE_SECRET", "configured-s3cret"),
        ("STEWARD_MC_ADMIN_PASSWORD", "configured-Password-s3cret"),
        ("STEWARD_MC_JWT_SECRET", "configured-jwt-s3cret-configured-jwt-s3cret"),
        ("STEWARD_STORJ_ADMIN_TOKEN", "configured-storj-s3cret"),
        ("STEWARD_ARGO_ADMIN_KEY", "configured-argo-s3cret"),
        ("STEWARD_LIGHTHOUSE_ADMIN_PASSWORD", "configured-lighthouse-s3cret"),
        ("STEWARD_LIGHTHOUSE_TOKEN_KEY", &"5e".repeat(32)),
    ]);
    assert!(!configured.contains("s3cret"), "{configured}");
}

#[test]
fn a_short_jwt_secret_stops_the_start() {
    let output = steward().arg("serve").env("STEWARD_MC_JWT_SECRET", "short").output().expect("run steward");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "steward: invalid configuration: STEWARD_MC_JWT_SECRET: must be at least 32 bytes, got 5"
    );
}

#[test]
fn the_closing_summary_counts_every_runner_and_fails_with_any_failure() {
    let dir = tempfile::tempdir().unwrap();
    let summary = |log: &str| {
        let path = dir.path().join("run.log");
        std::fs::write(&path, log).unwrap();
        let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/summary.sh"))
            .arg(&path)
            .output()
            .expect("run summary.sh");
        (String::from_utf8_lossy(&output.stdout).trim().to_owned(), output.status.success())
    };
    let nextest = "     Summary [ 111.358s] 5 tests run: 5 passed, 0 skipped\n";
    assert_eq!(summary(&format!("{nextest}  40 generated, 40 passed\n")), ("45 passed, 0 failed".to_owned(), true));
    assert_eq!(
        summary(&format!("{nextest}  40 generated, 37 passed, 2 failed, 1 errored\n")),
        ("42 passed, 3 failed".to_owned(), false)
    );
    assert_eq!(
        summary(&format!("{nextest}  1367 generated, 1 found 2 unique failures\n")),
        ("5 passed, 2 failed".to_owned(), false)
    );
    // A failing test's own libtest lines are not counted again.
    assert_eq!(
        summary(concat!(
            "    test result: FAILED. 0 passed; 1 failed; 0 ignored\n",
            "     Summary [   2.000s] 5 tests run: 4 passed, 1 failed, 0 skipped\n"
        )),
        ("4 passed, 1 failed".to_owned(), false)
    );
    assert_eq!(
        summary("============ 1 failed, 11 passed, 1 error in 3.10s ============\n# pass 7\n# fail 0\n"),
        ("18 passed, 2 failed".to_owned(), false)
    );
    assert_eq!(
        summary("======= 3 passed in 0.50s =======\n# pass 2\n# fail 0\n"),
        ("5 passed, 0 failed".to_owned(), true)
    );
    let missing = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/summary.sh"))
        .arg(dir.path().join("never-written.log"))
        .output()
        .expect("run summary.sh");
    assert!(!missing.status.success(), "a missing log fails the run");
}

#[test]
fn metrics_move_to_their_own_address_when_asked() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("metrics.db").display());
    let free_port = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (main, metrics) = (free_port(), free_port());
    let mut child = steward()
        .arg("serve")
        .env("STEWARD_DATABASE_URL", &url)
        .env("STEWARD_LISTEN", format!("127.0.0.1:{main}"))
        .env("STEWARD_METRICS_LISTEN", format!("127.0.0.1:{metrics}"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run steward");
    // Drained to the end by a thread of its own: a pipe closed under the
    // banner would stop the server mid-print (a broken pipe).
    let stdout = child.stdout.take().expect("stdout");
    let (lines, printed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let banner: Vec<String> = printed.iter().take_while(|line| !line.contains("scalelite:")).collect();
    let get = |port: u16| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let (on_main, on_own) = (get(main), get(metrics));
    let _ = child.kill();
    let _ = child.wait();
    assert!(banner.iter().any(|line| line.contains(&format!("metrics:   http://127.0.0.1:{metrics}/metrics"))));
    assert!(on_main.starts_with("HTTP/1.1 404"), "{on_main}");
    assert!(on_own.starts_with("HTTP/1.1 200") && on_own.contains("steward_build_info"), "{on_own}");
}

crate::on_both_databases!(audit_prints_every_surfaces_trail_newest_first, |server| {
    use crate::mc_client::{admin, create_org};
    let token = admin(&server).await;
    create_org(&server, &token, "audited", "developer").await;
    let lines = |args: &[&str]| {
        let output = steward()
            .arg("audit")
            .args(args)
            .env("STEWARD_DATABASE_URL", &server.database_url)
            .output()
            .expect("run steward");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
            .collect::<Vec<_>>()
    };
    let newest = lines(&["--surface", "mc", "--since", "1h", "--limit", "1"]);
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["name"], "CreateOrg");
    assert_eq!(newest[0]["orgs"], serde_json::json!(["audited"]));
    assert_eq!(newest[0]["actor"], "mexadmin");
    assert_eq!(newest[0]["tags"]["status"], "200");
    assert!(lines(&["--surface", "storj"]).is_empty());
    let bad = steward().args(["audit", "--since", "soon"]).env("STEWARD_DATABASE_URL", &server.database_url).output();
    assert_eq!(bad.expect("run steward").status.code(), Some(1));
});

crate::on_both_databases!(serve_prunes_audit_rows_past_their_retention, |server| {
    use crate::mc_client::{admin, create_org};
    use sea_orm::{ConnectionTrait, EntityTrait};
    use steward::db::entities::{audit_event, audit_event_org};
    let token = admin(&server).await;
    create_org(&server, &token, "ancient", "developer").await;
    // Everything so far is made 100 days old.
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let days_100 = time::Duration::days(100);
    let rows = audit_event::Entity::find().all(&db).await.unwrap();
    for row in &rows {
        let mut old: audit_event::ActiveModel = row.clone().into();
        old.at = sea_orm::ActiveValue::Set(row.at - days_100);
        old.at_us = sea_orm::ActiveValue::Set(row.at_us.map(|at| at - days_100.whole_microseconds() as i64));
        sea_orm::ActiveModelTrait::update(old, &db).await.unwrap();
    }
    let micros = days_100.whole_microseconds() as i64;
    db.execute_unprepared(&format!("UPDATE audit_event_orgs SET at_us = at_us - {micros}")).await.unwrap();
    create_org(&server, &token, "recent", "developer").await;

    // A replica started with a 90-day retention prunes at once.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap();
    let mut replica = steward()
        .arg("serve")
        .env("STEWARD_LISTEN", addr.to_string())
        .env("STEWARD_DATABASE_URL", &server.database_url)
        .env("STEWARD_AUDIT_RETENTION_DAYS", "90")
        .env("STEWARD_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("steward serve");
    // Old events and the old org rows (pruned after the events).
    let old_left = || async {
        let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(90);
        let all = audit_event::Entity::find().all(&db).await.unwrap();
        let orgs = audit_event_org::Entity::find().all(&db).await.unwrap();
        all.iter().filter(|row| row.at < cutoff).count() + orgs.iter().filter(|row| row.org == "ancient").count()
    };
    for _ in 0..200 {
        if old_left().await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = replica.kill();
    let _ = replica.wait();
    assert_eq!(old_left().await, 0, "rows past retention remain");
    let left = audit_event::Entity::find().all(&db).await.unwrap();
    assert!(left.iter().any(|row| row.name.as_deref() == Some("CreateOrg")), "the recent event stays");
    let orgs = audit_event_org::Entity::find().all(&db).await.unwrap();
    assert!(orgs.iter().all(|row| row.org != "ancient"), "{orgs:?}");
    assert!(orgs.iter().any(|row| row.org == "recent"), "{orgs:?}");
});

crate::on_both_databases!(audit_pruning_goes_batch_by_batch, |server| {
    use crate::mc_client::{admin, create_org};
    use sea_orm::{ConnectionTrait, EntityTrait};
    use steward::db::entities::{audit_event, audit_event_org};
    let token = admin(&server).await;
    for org in ["old1", "old2", "old3"] {
        create_org(&server, &token, org, "developer").await;
    }
    let db = sea_orm::Database::connect(&server.database_url).await.unwrap();
    let micros = time::Duration::days(100).whole_microseconds() as i64;
    let statements = [
        format!("UPDATE audit_events SET at_us = at_us - {micros}"),
        format!("UPDATE audit_event_orgs SET at_us = at_us - {micros}"),
    ];
    for statement in statements {
        db.execute_unprepared(&statement).await.unwrap();
    }
    let all = audit_event::Entity::find().all(&db).await.unwrap();
    for row in &all {
        let mut old: audit_event::ActiveModel = row.clone().into();
        old.at = sea_orm::ActiveValue::Set(row.at - time::Duration::days(100));
        sea_orm::ActiveModelTrait::update(old, &db).await.unwrap();
    }
    let before = time::OffsetDateTime::now_utc() - time::Duration::days(90);
    let deleted = steward::db::audit::prune_in_batches(&db, before, 2).await.unwrap();
    assert_eq!(deleted as usize, all.len());
    assert!(audit_event::Entity::find().all(&db).await.unwrap().is_empty());
    assert!(audit_event_org::Entity::find().all(&db).await.unwrap().is_empty());
});
