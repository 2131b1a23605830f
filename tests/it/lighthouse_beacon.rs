//! A Lighthouse beacon on loopback (lighthouse-isu/beacon: beacon.go,
//! auth/auth.go, structs/vm.go) in front of a fake Docker Engine API that
//! records every call and can be told to fail any of them.
//!
//! Lighthouse addresses a VM's engine as `address:port/version`, so the VMs
//! can only be told apart by port: the fake engine listens on one loopback
//! port per VM, and all ports share one recorder and one container table.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::TryStreamExt;
use poem::http::{Method, StatusCode};
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::{Body, Endpoint, Request, Response};
use tokio::task::JoinHandle;

/// The Docker API version every fake VM reports: the last segment of its
/// instance address.
pub const DOCKER_VERSION: &str = "v1.12";

/// One call the fake engine received.
#[derive(Clone, Debug)]
pub struct DockerCall {
    /// The instance address the call came in on, e.g. "127.0.0.1:40001/v1.12".
    pub instance: String,
    pub method: String,
    /// Path and query as received, e.g. "/v1.12/containers/create?name=web_tmp".
    pub path: String,
    pub body: String,
}

struct Failure {
    method: String,
    path_prefix: String,
    instance: Option<String>,
    status: u16,
    body: String,
}

/// What every engine port shares.
#[derive(Default)]
struct Engine {
    calls: Vec<DockerCall>,
    failures: Vec<Failure>,
    delay: Duration,
    /// instance -> container name -> running
    containers: BTreeMap<String, BTreeMap<String, bool>>,
    next_id: u64,
}

/// A fake Docker engine with one loopback port per instance.
pub struct FakeDocker {
    addrs: Vec<SocketAddr>,
    engine: Arc<Mutex<Engine>>,
    tasks: Vec<JoinHandle<()>>,
}

pub struct TestBeacon {
    pub addr: SocketAddr,
    pub token: String,
    pub docker: FakeDocker,
    /// (VM name, instance address), in the order /vms lists them.
    vms: Vec<(String, String)>,
    vms_requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

/// A test that panicked while holding the lock must not hide the state
/// from the next assertion.
fn lock(engine: &Mutex<Engine>) -> MutexGuard<'_, Engine> {
    engine.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Binds a fresh loopback port (bound before serving, so the address is
/// known to the endpoint and the caller).
async fn bind() -> (SocketAddr, TcpAcceptor) {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind loopback");
    let addr = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()).expect("loopback address");
    (addr, acceptor)
}

/// Serves until the returned task is aborted.
fn spawn(acceptor: TcpAcceptor, endpoint: impl Endpoint + 'static) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(endpoint).await;
    })
}

const TEXT: &str = "text/plain; charset=utf-8";

fn respond(status: StatusCode, content_type: &str, body: impl Into<String>) -> Response {
    let body = body.into();
    // 204 and 304 carry no body (and hence no content type).
    if body.is_empty() {
        return Response::builder().status(status).finish();
    }
    Response::builder().status(status).content_type(content_type).body(body)
}

impl FakeDocker {
    /// Starts an engine serving `instances` instance addresses.
    pub async fn start(instances: usize) -> FakeDocker {
        let engine = Arc::new(Mutex::new(Engine::default()));
        let (mut addrs, mut tasks) = (Vec::new(), Vec::new());
        for _ in 0..instances {
            let (addr, acceptor) = bind().await;
            let instance = format!("{addr}/{DOCKER_VERSION}");
            tasks.push(spawn(acceptor, EnginePort { instance, engine: engine.clone() }));
            addrs.push(addr);
        }
        FakeDocker { addrs, engine, tasks }
    }

    /// The instance addresses, "127.0.0.1:<port>/v1.12", one per port.
    pub fn instances(&self) -> Vec<String> {
        self.addrs.iter().map(|addr| format!("{addr}/{DOCKER_VERSION}")).collect()
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<DockerCall> {
        lock(&self.engine).calls.clone()
    }

    /// The calls that came in on `instance`, in arrival order.
    pub fn calls_for(&self, instance: &str) -> Vec<DockerCall> {
        lock(&self.engine).calls.iter().filter(|call| call.instance == instance).cloned().collect()
    }

    /// Forgets the calls (not the containers or failures).
    pub fn clear(&self) {
        lock(&self.engine).calls.clear();
    }

    /// Makes every call whose method equals `method` and whose path after
    /// the version prefix (query included, e.g. "containers/web?force=true")
    /// starts with `path_prefix` answer `status` with `body` as is, for calls
    /// on `instance` (None: every instance). The latest matching rule wins.
    pub fn fail(&self, method: &str, path_prefix: &str, instance: Option<&str>, status: u16, body: &str) {
        lock(&self.engine).failures.push(Failure {
            method: method.to_owned(),
            path_prefix: path_prefix.to_owned(),
            instance: instance.map(str::to_owned),
            status,
            body: body.to_owned(),
        });
    }

    /// Removes all failures.
    pub fn heal(&self) {
        lock(&self.engine).failures.clear();
    }

    /// Delays each answer by this long (after the call is recorded).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.engine).delay = delay;
    }

    /// The containers `instance` holds: name -> running.
    pub fn containers(&self, instance: &str) -> BTreeMap<String, bool> {
        lock(&self.engine).containers.get(instance).cloned().unwrap_or_default()
    }

    /// Puts a container on `instance` without recording a call (an app
    /// deployed before the test began).
    pub fn add_container(&self, instance: &str, name: &str, running: bool) {
        lock(&self.engine).containers.entry(instance.to_owned()).or_default().insert(name.to_owned(), running);
    }
}

impl Drop for FakeDocker {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// One engine port: knows which instance its calls come in on.
struct EnginePort {
    instance: String,
    engine: Arc<Mutex<Engine>>,
}

impl Endpoint for EnginePort {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let body = req.take_body().into_bytes().await.unwrap_or_default();
        let call = DockerCall {
            instance: self.instance.clone(),
            method: req.method().as_str().to_owned(),
            path: req.uri().path_and_query().map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned()),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let (response, delay) = {
            let mut engine = lock(&self.engine);
            engine.calls.push(call.clone());
            (engine.answer(&call, req.uri().path(), req.uri().query().unwrap_or("")), engine.delay)
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(response)
    }
}

/// The path without its leading "/vX.Y" segment (the engine accepts both).
fn unversioned(path: &str) -> &str {
    let path = path.trim_start_matches('/');
    match path.split_once('/') {
        Some((first, rest))
            if first
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.')) =>
        {
            rest
        }
        _ => path,
    }
}

fn missing(name: &str) -> Response {
    respond(StatusCode::NOT_FOUND, TEXT, format!("no such id: {name}"))
}

fn taken(name: &str) -> Response {
    respond(StatusCode::CONFLICT, TEXT, format!("Conflict. The name \"{name}\" is already in use"))
}

impl Engine {
    fn answer(&mut self, call: &DockerCall, path: &str, query: &str) -> Response {
        let route = unversioned(path);
        let target = if query.is_empty() { route.to_owned() } else { format!("{route}?{query}") };
        // Configured failures first, so a failing call changes nothing.
        let failure = self.failures.iter().rev().find(|f| {
            f.method.eq_ignore_ascii_case(&call.method)
                && target.starts_with(&f.path_prefix)
                && f.instance.as_ref().is_none_or(|i| *i == call.instance)
        });
        if let Some(f) = failure {
            let status = StatusCode::from_u16(f.status).expect("failure status");
            let json = serde_json::from_str::<serde_json::Value>(&f.body).is_ok();
            return respond(status, if json { "application/json" } else { TEXT }, f.body.clone());
        }

        let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let param = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let containers = self.containers.entry(call.instance.clone()).or_default();
        let segments: Vec<&str> = route.split('/').collect();
        match (call.method.as_str(), segments.as_slice()) {
            ("GET", ["_ping"]) => respond(StatusCode::OK, TEXT, "OK"),
            ("GET", ["version"]) => respond(StatusCode::OK, "application/json", r#"{"ApiVersion":"1.12"}"#),
            ("POST", ["images", "create"]) => {
                let image = param("fromImage").unwrap_or_default();
                let progress =
                    format!("{{\"status\":\"Pulling from {image}\"}}\n{{\"status\":\"Download complete\"}}\n");
                respond(StatusCode::OK, "application/json", progress)
            }
            ("POST", ["containers", "create"]) => {
                self.next_id += 1;
                let id = format!("{:064x}", self.next_id);
                let name = param("name").unwrap_or_else(|| format!("container_{}", self.next_id));
                if containers.contains_key(&name) {
                    return taken(name.as_str());
                }
                containers.insert(name, false);
                respond(StatusCode::CREATED, "application/json", format!(r#"{{"Id":"{id}","Warnings":null}}"#))
            }
            ("DELETE", ["containers", name]) => match containers.remove(*name) {
                Some(_) => respond(StatusCode::NO_CONTENT, TEXT, ""),
                None => missing(name),
            },
            ("POST", ["containers", name, "rename"]) => {
                let Some(new_name) = param("name").filter(|n| !n.is_empty()) else {
                    return respond(StatusCode::BAD_REQUEST, TEXT, "name is required");
                };
                if !containers.contains_key(*name) {
                    return missing(name);
                }
                if containers.contains_key(&new_name) {
                    return taken(new_name.as_str());
                }
                let running = containers.remove(*name).unwrap_or(false);
                containers.insert(new_name, running);
                respond(StatusCode::NO_CONTENT, TEXT, "")
            }
            ("POST", ["containers", name, action @ ("start" | "stop")]) => {
                let Some(running) = containers.get_mut(*name) else {
                    return missing(name);
                };
                let wanted = *action == "start";
                if *running == wanted {
                    return respond(StatusCode::NOT_MODIFIED, TEXT, "");
                }
                *running = wanted;
                respond(StatusCode::NO_CONTENT, TEXT, "")
            }
            _ => respond(StatusCode::NOT_FOUND, TEXT, "404 page not found\n"),
        }
    }
}

impl TestBeacon {
    /// Starts a fake Docker engine and a beacon in front of it, the beacon's
    /// /vms listing `vm_names` VMs, each on its own engine port.
    pub async fn start(token: &str, vm_names: &[&str]) -> TestBeacon {
        let docker = FakeDocker::start(vm_names.len()).await;
        let vms: Vec<(String, String)> =
            vm_names.iter().map(|name| (*name).to_owned()).zip(docker.instances()).collect();
        // structs.VM's JSON: Port is a string; omitempty never applies here.
        let listing: Vec<serde_json::Value> = vm_names
            .iter()
            .zip(&docker.addrs)
            .map(|(name, addr)| {
                serde_json::json!({
                    "name": name,
                    "address": addr.ip().to_string(),
                    "port": addr.port().to_string(),
                    "version": DOCKER_VERSION,
                    "canAccessDocker": true,
                })
            })
            .collect();
        let vms_requests = Arc::new(AtomicUsize::new(0));
        let (addr, acceptor) = bind().await;
        let beacon = Beacon {
            token: token.to_owned(),
            listing: serde_json::to_string(&listing).expect("VM listing"),
            vms_requests: vms_requests.clone(),
            // No proxy from the environment may sit between beacon and engine.
            client: reqwest::Client::builder().no_proxy().build().expect("client"),
        };
        let task = spawn(acceptor, beacon);
        TestBeacon { addr, token: token.to_owned(), docker, vms, vms_requests, task }
    }

    /// What Lighthouse stores as the beacon's Address.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The instance address Lighthouse derives for a VM: "address:port/version".
    pub fn instance(&self, vm_name: &str) -> String {
        let found = self.vms.iter().find(|(name, _)| name == vm_name);
        found.map(|(_, instance)| instance.clone()).unwrap_or_else(|| panic!("no VM named {vm_name}"))
    }

    /// Every VM's instance address, in the order /vms lists them.
    pub fn instances(&self) -> Vec<String> {
        self.vms.iter().map(|(_, instance)| instance.clone()).collect()
    }

    /// How many authorised GET /vms the beacon served.
    pub fn vms_requests(&self) -> usize {
        self.vms_requests.load(Ordering::SeqCst)
    }
}

impl Drop for TestBeacon {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Beacon {
    token: String,
    listing: String,
    vms_requests: Arc<AtomicUsize>,
    client: reqwest::Client,
}

impl Endpoint for Beacon {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        // auth.Middleware runs before routing: the first Token header must
        // equal the token, else 401 with an empty body.
        if req.headers().get("token").map(|v| v.as_bytes()) != Some(self.token.as_bytes()) {
            return Ok(Response::builder().status(StatusCode::UNAUTHORIZED).finish());
        }
        let path_and_query = req.uri().path_and_query().map(|pq| pq.as_str().to_owned()).unwrap_or_default();
        if let Some(rest) = path_and_query.strip_prefix("/d/") {
            return Ok(self.forward(format!("http://{rest}"), req).await);
        }
        // Go sniffs JSON as text/plain, having set no content type itself.
        Ok(match (req.method(), req.uri().path()) {
            (&Method::GET, "/vms") => {
                self.vms_requests.fetch_add(1, Ordering::SeqCst);
                respond(StatusCode::OK, TEXT, self.listing.clone())
            }
            (&Method::GET, "/which") => respond(StatusCode::OK, TEXT, "\"local\""),
            _ => respond(StatusCode::NOT_FOUND, TEXT, "404 page not found\n"),
        })
    }
}

impl Beacon {
    /// The /d/ handler: same method, body and Content-Type to the target;
    /// the answer's status and body (not its headers) streamed back. Where
    /// the original panics on a failed request (dropping the connection),
    /// this answers 500 with the error.
    async fn forward(&self, target: String, mut req: Request) -> Response {
        let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).expect("method");
        let mut outgoing = self.client.request(method, target);
        if let Some(content_type) = req.content_type() {
            outgoing = outgoing.header("Content-Type", content_type.to_owned());
        }
        let failed = |error: String| respond(StatusCode::INTERNAL_SERVER_ERROR, TEXT, error);
        let body = match req.take_body().into_bytes().await {
            Ok(body) => body,
            Err(error) => return failed(error.to_string()),
        };
        match outgoing.body(body).send().await {
            Err(error) => failed(error.to_string()),
            Ok(reply) => {
                let status = StatusCode::from_u16(reply.status().as_u16()).expect("status");
                if matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED) {
                    return Response::builder().status(status).finish();
                }
                let stream = reply.bytes_stream().map_err(std::io::Error::other);
                Response::builder().status(status).body(Body::from_bytes_stream(stream))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "beacon-token";

    /// A Docker call the way Lighthouse's MakeDockerRequest sends it.
    async fn via_beacon(
        beacon: &TestBeacon,
        method: &str,
        instance: &str,
        endpoint: &str,
        body: &str,
    ) -> (u16, String) {
        let url = format!("http://{}/d/{instance}/{endpoint}", beacon.address());
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let request =
            client.request(method, url).header("Token", &beacon.token).header("Content-Type", "application/json");
        let reply = request.body(body.to_owned()).send().await.unwrap();
        (reply.status().as_u16(), reply.text().await.unwrap())
    }

    #[tokio::test]
    async fn refuses_a_missing_or_wrong_token() {
        let beacon = TestBeacon::start(TOKEN, &["a"]).await;
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let vms = format!("http://{}/vms", beacon.addr);
        let reply = client.get(&vms).send().await.unwrap();
        assert_eq!((reply.status().as_u16(), reply.text().await.unwrap()), (401, String::new()));
        let reply = client.get(&vms).header("Token", "wrong").send().await.unwrap();
        assert_eq!(reply.status().as_u16(), 401);
        let ping = format!("http://{}/d/{}/_ping", beacon.addr, beacon.instance("a"));
        assert_eq!(client.get(ping).header("Token", "wrong").send().await.unwrap().status().as_u16(), 401);
        assert_eq!(beacon.vms_requests(), 0);
        assert!(beacon.docker.calls().is_empty());
    }

    #[tokio::test]
    async fn lists_one_vm_per_engine_port() {
        let beacon = TestBeacon::start(TOKEN, &["a", "b"]).await;
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let reply = client.get(format!("http://{}/vms", beacon.address())).header("Token", TOKEN).send().await.unwrap();
        assert_eq!(reply.status().as_u16(), 200);
        let vms: Vec<serde_json::Value> = serde_json::from_str(&reply.text().await.unwrap()).unwrap();
        let derived: Vec<String> = vms
            .iter()
            .map(|vm| {
                format!(
                    "{}:{}/{}",
                    vm["address"].as_str().unwrap(),
                    vm["port"].as_str().unwrap(),
                    vm["version"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(derived, beacon.instances());
        assert_eq!(vms[1]["name"], "b");
        assert_eq!(vms[1]["canAccessDocker"].as_bool(), Some(true));
        assert_ne!(beacon.instance("a"), beacon.instance("b"));
        assert_eq!(beacon.vms_requests(), 1);
        assert_eq!(via_beacon(&beacon, "GET", &beacon.instance("b"), "_ping", "").await, (200, "OK".to_owned()));
    }

    #[tokio::test]
    async fn proxied_deployment_is_recorded_in_order_and_changes_containers() {
        let beacon = TestBeacon::start(TOKEN, &["a", "b"]).await;
        let (a, b) = (beacon.instance("a"), beacon.instance("b"));
        let steps = [
            ("POST", "images/create?fromImage=nginx", "null", 200),
            ("POST", "containers/create?name=web_tmp", r#"{"Image":"nginx"}"#, 201),
            ("DELETE", "containers/web?force=true", "null", 404),
            ("POST", "containers/web_tmp/rename?name=web", "null", 204),
            ("POST", "containers/web/start", "null", 204),
            ("POST", "containers/web/start", "null", 304),
        ];
        for (method, endpoint, body, status) in steps {
            assert_eq!(via_beacon(&beacon, method, &a, endpoint, body).await.0, status, "{method} {endpoint}");
        }
        let calls = beacon.docker.calls_for(&a);
        let seen: Vec<(String, String)> = calls.iter().map(|c| (c.method.clone(), c.path.clone())).collect();
        let expected: Vec<(String, String)> =
            steps.iter().map(|(m, e, _, _)| ((*m).to_owned(), format!("/{DOCKER_VERSION}/{e}"))).collect();
        assert_eq!(seen, expected);
        assert_eq!(calls[1].body, r#"{"Image":"nginx"}"#);
        assert!(calls.iter().all(|c| c.instance == a));
        assert_eq!(beacon.docker.containers(&a), BTreeMap::from([("web".to_owned(), true)]));
        assert!(beacon.docker.calls_for(&b).is_empty() && beacon.docker.containers(&b).is_empty());
        beacon.docker.clear();
        assert!(beacon.docker.calls().is_empty());
    }

    #[tokio::test]
    async fn configured_failure_answers_its_status_and_leaves_state_unchanged() {
        let beacon = TestBeacon::start(TOKEN, &["a", "b"]).await;
        let (a, b) = (beacon.instance("a"), beacon.instance("b"));
        let docker = &beacon.docker;
        docker.fail("POST", "containers/create", Some(a.as_str()), 500, "boom");
        assert_eq!(via_beacon(&beacon, "POST", &a, "containers/create?name=web", "{}").await, (500, "boom".to_owned()));
        assert!(docker.containers(&a).is_empty());
        assert_eq!(docker.calls().len(), 1, "a failed call is still recorded");
        assert_eq!(via_beacon(&beacon, "POST", &b, "containers/create?name=web", "{}").await.0, 201);

        let pull_error = r#"{"error":"image not found"}"#;
        docker.fail("POST", "images/create", None, 200, pull_error);
        assert_eq!(
            via_beacon(&beacon, "POST", &b, "images/create?fromImage=x", "").await,
            (200, pull_error.to_owned())
        );
        docker.heal();
        assert_eq!(via_beacon(&beacon, "POST", &a, "containers/create?name=web", "{}").await.0, 201);
        assert_eq!(via_beacon(&beacon, "POST", &a, "containers/create?name=web", "{}").await.0, 409);

        // A container from before the test; each answer waits out the delay.
        docker.add_container(&b, "db", true);
        docker.set_delay(Duration::from_millis(200));
        let started = std::time::Instant::now();
        assert_eq!(via_beacon(&beacon, "POST", &b, "containers/db/stop", "").await.0, 204);
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(docker.containers(&b).get("db"), Some(&false));
    }
}
