//! Deployments, as the original's batch processor and `doDeployment` run
//! them: each step goes to every instance at once through its beacon,
//! reports `Starting`, one line per instance as it answers, and
//! `Complete`; only the instances a step succeeded on take part in the
//! next, and those it failed on are remembered for rollbacks.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::api::ProgressUpdate;
use super::beacon_http::{BeaconHttp, DockerAnswer};

/// How an instance is reached: its beacon and the beacon's token, or why
/// it cannot be (the acting user has no level on the beacon, or no beacon
/// serves it).
#[derive(Debug, Clone)]
pub struct Target {
    pub instance: String,
    pub route: Result<(String, String), Unroutable>,
}

#[derive(Debug, Clone, Copy)]
pub enum Unroutable {
    /// The original sent such calls without the token; the beacon answered
    /// 401 with an empty body, which is what the line says.
    NoAccess,
    /// No known beacon serves the instance (any more).
    Unknown,
}

/// How a step reads an instance's answer (the original's interpreters).
#[derive(Debug, Clone, Copy)]
pub enum Interpret {
    /// 2xx OK, 3xx Warning, else Error; the message is the body's first 80
    /// bytes.
    Default,
    /// 404 is a Warning (`Container did not exist`), 2xx OK, else Error.
    Delete,
    /// The pull's JSON progress stream: an `error` in it, or a 500, fails.
    Pull,
}

struct Outcome {
    status: &'static str,
    message: String,
    code: i64,
    ok: bool,
}

fn outcome(status: &'static str, message: impl Into<String>, code: i64, ok: bool) -> Outcome {
    Outcome { status, message: message.into(), code, ok }
}

fn first_80(body: &[u8]) -> String {
    match body.len() > 80 {
        true => format!("{}...", String::from_utf8_lossy(&body[..80])),
        false => String::from_utf8_lossy(body).into_owned(),
    }
}

fn interpret(how: Interpret, answer: DockerAnswer) -> Outcome {
    let (code, body) = match answer {
        Ok(answer) => answer,
        Err(reason) => return outcome("Error", reason, 500, false),
    };
    let code_i = i64::from(code);
    match how {
        Interpret::Default => match code {
            200..=299 => outcome("OK", first_80(&body), code_i, true),
            300..=399 => outcome("Warning", first_80(&body), code_i, true),
            _ => outcome("Error", first_80(&body), code_i, false),
        },
        Interpret::Delete => match code {
            404 => outcome("Warning", "Container did not exist", code_i, true),
            200..=299 => outcome("OK", "", code_i, true),
            _ => outcome("Error", "", code_i, false),
        },
        Interpret::Pull if code == 500 => outcome("Error", "Docker internal error", 500, false),
        Interpret::Pull => {
            for value in serde_json::Deserializer::from_slice(&body).into_iter::<Value>() {
                match value {
                    Ok(Value::Object(fields)) => match fields.get("error").and_then(Value::as_str) {
                        Some(error) if !error.is_empty() => return outcome("Error", error, 500, false),
                        _ => {}
                    },
                    Ok(_) => return outcome("Error", "json: cannot unmarshal into the pull's progress", 500, false),
                    Err(error) => return outcome("Error", error.to_string(), 500, false),
                }
            }
            outcome("OK", "", code_i, true)
        }
    }
}

pub struct Processor {
    http: BeaconHttp,
    targets: Vec<Target>,
    failures: Vec<Target>,
    out: UnboundedSender<ProgressUpdate>,
}

/// The step a line reports on.
struct Call<'a> {
    method: &'a str,
    endpoint: &'a str,
    total: usize,
}

impl Call<'_> {
    fn line(&self, status: &str, message: &str, code: i64, instance: &str, item: usize) -> ProgressUpdate {
        ProgressUpdate {
            status: status.to_owned(),
            method: self.method.to_owned(),
            endpoint: self.endpoint.to_owned(),
            message: message.to_owned(),
            code,
            instance: instance.to_owned(),
            item: item as i64,
            total: self.total as i64,
        }
    }
}

/// The stream's last line.
pub fn finalized() -> ProgressUpdate {
    Call { method: "", endpoint: "", total: 0 }.line("Finalized", "", 0, "", 0)
}

impl Processor {
    pub fn new(http: BeaconHttp, targets: Vec<Target>, out: UnboundedSender<ProgressUpdate>) -> Self {
        Self { http, targets, failures: Vec::new(), out }
    }

    /// A processor over the instances this one failed on.
    pub fn failure_processor(&self) -> Self {
        Self::new(self.http.clone(), self.failures.clone(), self.out.clone())
    }

    fn emit(&self, update: ProgressUpdate) {
        // A client that went away does not stop the deployment.
        let _ = self.out.send(update);
    }

    /// One step on every instance, in parallel; whether it succeeded on all.
    pub async fn step(
        &mut self,
        action: &str,
        method: &str,
        body: Option<&Value>,
        endpoint: &str,
        how: Interpret,
    ) -> bool {
        let total = self.targets.len();
        let call = Call { method, endpoint, total };
        self.emit(call.line("Starting", action, 0, "", 0));
        // The original marshals a missing body as `null`.
        let payload = body.map_or_else(|| "null".to_owned(), Value::to_string);
        let mut pending: FuturesUnordered<_> = std::mem::take(&mut self.targets)
            .into_iter()
            .enumerate()
            .map(|(item, target)| {
                let (http, payload) = (self.http.clone(), payload.clone());
                async move {
                    let answer = match &target.route {
                        Ok((beacon, token)) => {
                            http.docker(beacon, token, &target.instance, method, endpoint, &payload).await
                        }
                        Err(Unroutable::NoAccess) => Ok((401, bytes::Bytes::new())),
                        Err(Unroutable::Unknown) => Err("no known beacon serves this instance".to_owned()),
                    };
                    (item, target, interpret(how, answer))
                }
            })
            .collect();
        let mut succeeded = Vec::new();
        let mut all_ok = true;
        while let Some((item, target, result)) = pending.next().await {
            self.emit(call.line(result.status, &result.message, result.code, &target.instance, item));
            match result.ok {
                true => succeeded.push((item, target)),
                false => {
                    all_ok = false;
                    self.failures.push(target);
                }
            }
        }
        succeeded.sort_by_key(|(item, _)| *item);
        self.targets = succeeded.into_iter().map(|(_, target)| target).collect();
        self.emit(call.line("Complete", action, 0, "", total));
        all_ok
    }

    /// Force-deletes the `name` containers (`batchDeleteContainersByName`).
    pub async fn delete_containers(&mut self, name: &str, rollback: bool) -> bool {
        let action = if rollback { "Rolling back" } else { "Deleting old containers" };
        self.step(action, "DELETE", None, &format!("containers/{name}?force=true"), Interpret::Delete).await
    }
}

/// Whether Docker would take this as a container name
/// (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`). Names go into Docker API paths, so
/// others are refused before they could reach another endpoint.
pub fn is_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A query value as sent: characters that would end or split it are
/// percent-encoded (an image reference never needs them).
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'@' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The image a deployment pulls, if its command names one.
pub fn image_of(command: &Value) -> Option<String> {
    match command.get("Image") {
        None | Some(Value::Null) => None,
        Some(Value::String(image)) if image.is_empty() => None,
        Some(Value::String(image)) => Some(image.clone()),
        Some(other) => Some(other.to_string()),
    }
}

/// `doDeployment`: pull (optionally), create `<name>_tmp`, delete the old
/// `<name>`, rename, start (optionally); each failure rolls back what it
/// can. Whether the deployment landed on every instance it reached.
pub async fn deploy(processor: &mut Processor, name: &str, command: &Value, start: bool, pull: bool) -> bool {
    if pull {
        let image = image_of(command).unwrap_or_default();
        let target = format!("images/create?fromImage={}", query_value(&image));
        if !processor.step("Pulling required image", "POST", None, &target, Interpret::Pull).await {
            return false;
        }
    }
    let temporary = format!("{name}_tmp");
    let create = format!("containers/create?name={temporary}");
    if !processor.step("Creating new container", "POST", Some(command), &create, Interpret::Default).await {
        processor.delete_containers(&temporary, true).await;
        return false;
    }
    if !processor.delete_containers(name, false).await {
        return false;
    }
    let rename = format!("containers/{temporary}/rename?name={name}");
    if !processor.step("Setting up new container", "POST", None, &rename, Interpret::Default).await {
        // Some instances hold the new name, others the temporary one.
        processor.delete_containers(name, true).await;
        processor.failure_processor().delete_containers(&temporary, true).await;
        return false;
    }
    if start {
        let target = format!("containers/{name}/start");
        if !processor.step("Starting application", "POST", None, &target, Interpret::Default).await {
            return false;
        }
    }
    true
}

/// Starts or stops the `name` containers, undoing it where it worked if it
/// failed anywhere (`setApplicationStateTo`).
pub async fn set_state(processor: &mut Processor, name: &str, running: bool) {
    let (verb, undo, action) = match running {
        true => ("start", "stop", "Starting application"),
        false => ("stop", "start", "Stopping application"),
    };
    let target = format!("containers/{name}/{verb}");
    if !processor.step(action, "POST", None, &target, Interpret::Default).await {
        let rollback = format!("containers/{name}/{undo}");
        processor.step("Rolling back", "POST", None, &rollback, Interpret::Default).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_the_original_reads_them() {
        let ok = |code, body: &str| Ok((code, bytes::Bytes::from(body.to_owned())));
        let long = "x".repeat(90);
        let read = interpret(Interpret::Default, ok(201, &long));
        assert_eq!((read.status, read.message.len(), read.ok), ("OK", 83, true));
        assert_eq!(interpret(Interpret::Default, ok(304, "")).status, "Warning");
        assert!(!interpret(Interpret::Default, ok(409, "Conflict")).ok);
        let missing = interpret(Interpret::Delete, ok(404, "no such id"));
        assert_eq!(
            (missing.status, missing.message.as_str(), missing.ok),
            ("Warning", "Container did not exist", true)
        );
        let pulled = interpret(Interpret::Pull, ok(200, "{\"status\":\"a\"}\n{\"status\":\"b\"}\n"));
        assert!(pulled.ok);
        let failed = interpret(Interpret::Pull, ok(200, "{\"status\":\"a\"}{\"error\":\"not found\"}"));
        assert_eq!((failed.status, failed.message.as_str(), failed.code), ("Error", "not found", 500));
        assert!(!interpret(Interpret::Pull, ok(500, "")).ok);
        assert_eq!(interpret(Interpret::Default, Err("connection refused".into())).code, 500);
    }

    #[test]
    fn names_and_images_cannot_leave_their_place_in_a_docker_call() {
        assert!(is_container_name("web") && is_container_name("web_1.v-2"));
        for name in ["", "w", "_web", "a/../images", "a?b", "a b", "ü"] {
            assert!(!is_container_name(name), "{name}");
        }
        assert_eq!(
            query_value("registry.example.com:5000/team/app:1.2@sha256"),
            "registry.example.com:5000/team/app:1.2@sha256"
        );
        assert_eq!(query_value("x&tag=evil#y"), "x%26tag%3Devil%23y");
    }

    #[test]
    fn images_come_from_the_command() {
        assert_eq!(image_of(&serde_json::json!({"Image": "nginx"})).as_deref(), Some("nginx"));
        assert_eq!(image_of(&serde_json::json!({"Image": ""})), None);
        assert_eq!(image_of(&serde_json::json!({"Cmd": ["x"]})), None);
    }
}
