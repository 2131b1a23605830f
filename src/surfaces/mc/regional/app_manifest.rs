//! An app's deployment manifest: the `kubernetes-basic` generator the
//! Controller runs for kubernetes apps without one (`pkg/deploygen/kube.go`,
//! text for text), and its checks of a manifest given
//! (`IsValidDeploymentManifest`, `manifestContainsDaemonSet`).

use serde::Deserialize;

use super::super::controllers::dns_label as dns_sanitize;
use super::app_ports::AppPort;

pub const KUBERNETES_BASIC: &str = "kubernetes-basic";

/// What the generator reads of an app.
pub struct AppSpec<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub image_path: &'a str,
    pub command: &'a str,
    pub args: &'a [String],
    pub ports: &'a [AppPort],
    pub scale_with_cluster: bool,
}

/// `util.K8SSanitize`.
fn k8s_sanitize(name: &str) -> String {
    name.chars()
        .filter(|c| !" &,!".contains(*c))
        .map(|c| if c == '_' { '-' } else { c })
        .collect::<String>()
        .to_lowercase()
}

/// `util.K8SServiceSanitize`: a DNS label starting with a letter.
fn k8s_service_sanitize(name: &str) -> String {
    let label = dns_sanitize(name);
    match label.chars().next() {
        Some(first) if !first.is_alphabetic() => format!("a{label}"),
        _ => label,
    }
}

/// Go's `strconv.Quote` for the ASCII text commands hold.
fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.Unquote` for a double-quoted word (other forms are kept).
fn go_unquote(word: &str) -> Option<String> {
    let inner = word.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => out.push(match chars.next()? {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' => '\\',
                '"' => '"',
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    Some(out)
}

/// The command split on spaces outside double quotes, each word quoted.
fn command_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let (mut word, mut quoted) = (String::new(), false);
    for c in command.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && c == ' ' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .into_iter()
        .map(|word| {
            let word = word.trim();
            let word = go_unquote(word).unwrap_or_else(|| word.to_owned());
            go_quote(word.trim())
        })
        .collect()
}

/// The host part of an image path (`util.ImagePathParse`'s `Host`).
fn image_host(image_path: &str) -> String {
    let path = image_path.split_once("://").map_or(image_path, |(_, rest)| rest);
    path.split('/').next().unwrap_or_default().to_owned()
}

fn load_balancer(app_id: &str, proto: &str, ports: &[&AppPort]) -> Option<String> {
    if ports.is_empty() {
        return None;
    }
    let run = k8s_sanitize(app_id);
    let mut out = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {}\n  labels:\n    run: {run}\nspec:\n  type: LoadBalancer\n  ports:",
        k8s_service_sanitize(&format!("{app_id}-{proto}"))
    );
    for port in ports {
        for number in port.each() {
            let tls = if port.tls { "tls" } else { "" };
            let nginx = if port.nginx { "nginx" } else { "" };
            out.push_str(&format!(
                "\n  - name: {proto}{number}{tls}{nginx}\n    protocol: {}\n    port: {number}\n    targetPort: {number}",
                proto.to_uppercase()
            ));
        }
    }
    out.push_str(&format!("\n  selector:\n    run: {run}\n"));
    Some(out)
}

/// The `kubernetes-basic` manifest: a LoadBalancer service per protocol,
/// then a Deployment (a DaemonSet when the app scales with its cluster).
pub fn kubernetes_basic(app: &AppSpec) -> String {
    let app_id = format!("{}{}", app.name, app.version);
    let run = k8s_sanitize(&app_id);
    let mut files = Vec::new();
    for proto in ["tcp", "udp"] {
        let ports: Vec<&AppPort> = app.ports.iter().filter(|p| p.proto == proto).collect();
        files.extend(load_balancer(&app_id, proto, &ports));
    }
    let name = dns_sanitize(&format!("{app_id}-deployment"));
    let host = image_host(app.image_path);
    let secret = match host.split_once(':') {
        Some((host, port)) => format!("{host}-{}", port.split(':').next().unwrap_or_default()),
        None => host,
    };
    let mut out = match app.scale_with_cluster {
        true => format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\nspec:"),
        false => format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 1"),
    };
    out.push_str(&format!(
        "\n  selector:\n    matchLabels:\n      run: {run}\n  template:\n    metadata:\n      labels:\n        run: {run}\n        mexDeployGen: {KUBERNETES_BASIC}\n    spec:\n      volumes:\n      imagePullSecrets:\n      - name: {secret}\n      containers:\n      - name: {}\n        image: {}\n        imagePullPolicy: Always\n        ports:",
        dns_sanitize(&app_id),
        app.image_path
    ));
    for port in app.ports {
        for number in port.each() {
            out.push_str(&format!(
                "\n        - containerPort: {number}\n          protocol: {}",
                port.proto.to_uppercase()
            ));
        }
    }
    let command = command_words(app.command);
    if !command.is_empty() {
        out.push_str("\n        command:");
        command.iter().for_each(|word| out.push_str(&format!("\n        - {word}")));
    }
    if !app.args.is_empty() {
        out.push_str("\n        args:");
        app.args.iter().for_each(|arg| out.push_str(&format!("\n        - {}", go_quote(arg.trim()))));
    }
    out.push('\n');
    files.push(out);
    files.join("---\n")
}

#[derive(Deserialize)]
struct KubeObject {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    spec: Option<KubeSpec>,
}

#[derive(Deserialize)]
struct KubeSpec {
    #[serde(default, rename = "type")]
    service_type: Option<String>,
    #[serde(default)]
    ports: Vec<KubeServicePort>,
}

#[derive(Deserialize)]
struct KubeServicePort {
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    port: Option<u32>,
}

fn kube_objects(manifest: &str) -> Result<Vec<KubeObject>, String> {
    let mut objects = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(manifest) {
        let value = serde_yaml_ng::Value::deserialize(document)
            .map_err(|e| format!("parse kubernetes deployment yaml failed, {e}"))?;
        if value.is_null() {
            continue;
        }
        let object: KubeObject =
            serde_yaml_ng::from_value(value).map_err(|e| format!("parse kubernetes deployment yaml failed, {e}"))?;
        if object.kind.is_empty() {
            return Err("parse kubernetes deployment yaml failed, Object 'Kind' is missing".into());
        }
        objects.push(object);
    }
    Ok(objects)
}

/// `manifestContainsDaemonSet`.
pub fn has_daemon_set(manifest: &str) -> bool {
    kube_objects(manifest).is_ok_and(|objects| objects.iter().any(|o| o.kind == "DaemonSet"))
}

/// `IsValidDeploymentManifest`: a VM manifest is a cloud-init script; a
/// kubernetes one serves every access port from a LoadBalancer service.
pub fn check(deployment: &str, command: &str, manifest: &str, ports: &[AppPort]) -> Result<(), String> {
    match deployment {
        "vm" if !command.is_empty() => {
            Err("both deploymentmanifest and command cannot be used together for VM based deployment".into())
        }
        "vm" if manifest.starts_with("#cloud-config") => Ok(()),
        "vm" => Err("only cloud-init script support, must start with '#cloud-config'".into()),
        "kubernetes" => {
            let mut served = std::collections::BTreeSet::new();
            for object in kube_objects(manifest)? {
                let Some(spec) = object.spec.filter(|_| object.kind == "Service") else { continue };
                if spec.service_type.as_deref() != Some("LoadBalancer") {
                    continue;
                }
                for port in spec.ports {
                    let proto = port.protocol.unwrap_or_else(|| "TCP".into()).to_lowercase();
                    served.insert((proto, port.port.unwrap_or(0)));
                }
            }
            let missing: Vec<String> = ports
                .iter()
                .flat_map(|p| p.each().map(move |n| (p.proto.clone(), n)))
                .filter(|port| !served.contains(port))
                .map(|(proto, n)| format!("{proto}:{n}"))
                .collect();
            match missing.is_empty() {
                true => Ok(()),
                false => Err(format!(
                    "port {} defined in AccessPorts but missing from kubernetes manifest in a LoadBalancer service",
                    missing.join(",")
                )),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::app_ports;
    use super::*;

    #[test]
    fn generated_manifest_is_the_originals() {
        let ports = app_ports::parse("tcp:80,udp:10000:nginx").unwrap();
        let args = vec!["-v".to_owned()];
        let spec = AppSpec {
            name: "app1",
            version: "1.0",
            image_path: "docker.io/library/nginx:latest",
            command: "nginx \"-g daemon off;\"",
            args: &args,
            ports: &ports,
            scale_with_cluster: false,
        };
        let expected = "apiVersion: v1\nkind: Service\nmetadata:\n  name: app110-tcp\n  labels:\n    run: app11.0\nspec:\n  type: LoadBalancer\n  ports:\n  - name: tcp80\n    protocol: TCP\n    port: 80\n    targetPort: 80\n  selector:\n    run: app11.0\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app110-udp\n  labels:\n    run: app11.0\nspec:\n  type: LoadBalancer\n  ports:\n  - name: udp10000nginx\n    protocol: UDP\n    port: 10000\n    targetPort: 10000\n  selector:\n    run: app11.0\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app110-deployment\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      run: app11.0\n  template:\n    metadata:\n      labels:\n        run: app11.0\n        mexDeployGen: kubernetes-basic\n    spec:\n      volumes:\n      imagePullSecrets:\n      - name: docker.io\n      containers:\n      - name: app110\n        image: docker.io/library/nginx:latest\n        imagePullPolicy: Always\n        ports:\n        - containerPort: 80\n          protocol: TCP\n        - containerPort: 10000\n          protocol: UDP\n        command:\n        - \"nginx\"\n        - \"-g daemon off;\"\n        args:\n        - \"-v\"\n";
        assert_eq!(kubernetes_basic(&spec), expected);
        assert!(!has_daemon_set(expected));
        assert_eq!(check("kubernetes", "", expected, &ports), Ok(()));
    }

    #[test]
    fn given_manifests_are_checked() {
        let ports = app_ports::parse("tcp:80,tcp:81").unwrap();
        let manifest = "kind: Service\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 80\n---\nkind: DaemonSet\n";
        assert_eq!(
            check("kubernetes", "", manifest, &ports),
            Err("port tcp:81 defined in AccessPorts but missing from kubernetes manifest in a LoadBalancer service"
                .into())
        );
        assert!(has_daemon_set(manifest));
        assert!(check("kubernetes", "", "a: [", &[]).is_err_and(|e| e.starts_with("parse kubernetes")));
        assert_eq!(check("vm", "", "#cloud-config\n", &[]), Ok(()));
        assert_eq!(
            check("vm", "", "x", &[]),
            Err("only cloud-init script support, must start with '#cloud-config'".into())
        );
        assert_eq!(k8s_service_sanitize("1app-tcp"), "a1app-tcp");
        assert_eq!(image_host("https://registry.example.com:5000/org/img"), "registry.example.com:5000");
    }
}
