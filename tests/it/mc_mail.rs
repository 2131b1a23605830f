//! MC's mail through a real SMTP server (aiosmtpd from the project's venv)
//! on loopback: a password-reset request arrives as a mail whose token works.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use serde_json::json;

use crate::harness::{Backend, Options, TestServer};
use crate::mc_client::*;
use crate::mc_users::token_in;

struct SmtpSink {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl SmtpSink {
    /// Starts the sink, or None when the venv is not installed (`make
    /// test` installs it before the tests; a bare `cargo test` may not).
    fn start(port: u16) -> Option<Self> {
        let root = env!("CARGO_MANIFEST_DIR");
        let python = format!("{root}/.venv/bin/python");
        if !std::path::Path::new(&python).exists() {
            assert!(std::env::var_os("REQUIRE_POSTGRES").is_none(), "the project venv is missing: run make test");
            eprintln!("skipping: {python} missing (make test installs it)");
            return None;
        }
        let mut child = Command::new(python)
            .arg(format!("{root}/contract/smtp_sink.py"))
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let sink = Self { child, lines };
        assert_eq!(sink.next_line(), "ready");
        Some(sink)
    }

    fn next_line(&self) -> String {
        self.lines.recv_timeout(std::time::Duration::from_secs(20)).expect("a line from the SMTP sink")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn reset_by_mail(backend: Backend) {
    let port = free_port();
    let Some(sink) = SmtpSink::start(port) else { return };
    let options = Options { smtp_port: Some(port), ..Options::default() };
    let Some(mut server) = TestServer::start_with(backend, options).await else { return };
    create_user(&server, "mona").await;
    let requested = call(&server, "/passwordresetrequest", None, Some(&json!({"email": "mona@example.com"}))).await;
    assert_eq!((requested.status, requested.body.as_str()), (200, ""));
    let mail: serde_json::Value = serde_json::from_str(&sink.next_line()).expect("a mail as JSON");
    assert_eq!(mail["from"], "steward@localhost");
    assert_eq!(mail["to"], json!(["mona@example.com"]));
    assert_eq!(mail["subject"], "Password reset request");
    let body = mail["body"].as_str().unwrap();
    assert!(server.outbox.sent_to("mona@example.com").is_empty(), "delivered, not kept by the development sender");
    let token = token_in(body);
    let new_password = "2orangefoxquickhandlebrush2";
    let reset = call(&server, "/passwordreset", None, Some(&json!({"token": token, "password": new_password}))).await;
    assert_eq!(message(&reset, 200), "Password updated");
    login(&server, "mona", new_password).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mc_password_reset_mail_arrives_over_smtp_sqlite() {
    reset_by_mail(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mc_password_reset_mail_arrives_over_smtp_postgres() {
    reset_by_mail(Backend::Postgres).await;
}
