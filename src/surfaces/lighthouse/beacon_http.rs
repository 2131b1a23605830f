//! Steward as the beacons' client: `GET /vms` with the `Token` header, and
//! Docker Remote API calls through the beacon's `/d/<instance>/<call>`
//! proxy, as the original's `refreshVMListOf` and `MakeDockerRequest`.

use std::time::Duration;

/// A VM as the beacon lists it (`structs.VM`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Vm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, rename = "canAccessDocker")]
    pub can_access_docker: bool,
}

impl Vm {
    /// The instance address Lighthouse records: `<address>:<port>/<version>`.
    pub fn instance_address(&self) -> String {
        format!("{}:{}/{}", self.address, self.port, self.version)
    }
}

/// Whether `address` can be a beacon's address: an HTTP host (and port,
/// and path) Steward can call.
pub fn is_address(address: &str) -> bool {
    !address.is_empty()
        && !address.starts_with('/')
        && reqwest::Url::parse(&format!("http://{address}/vms"))
            .is_ok_and(|url| url.host().is_some() && crate::egress::refused_url(url.as_str()).is_none())
}

#[derive(Clone)]
pub struct BeaconHttp {
    client: reqwest::Client,
}

/// The answer to one Docker call: its status and body, or why there was
/// none.
pub type DockerAnswer = Result<(u16, bytes::Bytes), String>;

impl BeaconHttp {
    pub fn new() -> Self {
        // Beacons are addressed directly, as the original did (no
        // environment proxy). No bound on a whole call (an image pull may
        // take long), but a host silent for five minutes is given up.
        // Never a link-local (cloud metadata) or other non-host address,
        // at any redirect's hop either (see `crate::egress`).
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(300))
            .dns_resolver(std::sync::Arc::new(crate::egress::Resolver))
            .redirect(crate::egress::redirects())
            .build()
            .unwrap_or_default();
        Self { client }
    }

    /// The beacon's VMs. The error names the failure without echoing what
    /// answered (an address may be anything a user typed).
    pub async fn vms(&self, address: &str, token: &str) -> Result<Vec<Vm>, String> {
        let url = reqwest::Url::parse(&format!("http://{address}/vms"))
            .ok()
            .filter(|_| is_address(address))
            .ok_or_else(|| format!("beacon address {address:?} is not a host"))?;
        let response = self
            .client
            .get(url)
            .header("Token", token)
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| format!("beacon unreachable: {}", without_url(&e)))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!("beacon answered {}", status.as_u16()));
        }
        let body = response.bytes().await.map_err(|e| format!("beacon unreachable: {}", without_url(&e)))?;
        // A beacon with no VMs (or whose provider failed) lists `null`.
        serde_json::from_slice::<Option<Vec<Vm>>>(&body)
            .map(Option::unwrap_or_default)
            .map_err(|_| "beacon answered something other than a VM list".to_owned())
    }

    /// One Docker call to `instance` through its beacon.
    pub async fn docker(
        &self,
        beacon: &str,
        token: &str,
        instance: &str,
        method: &str,
        endpoint: &str,
        body: &str,
    ) -> DockerAnswer {
        let url = format!("http://{beacon}/d/{instance}/{endpoint}");
        if let Some(refused) = crate::egress::refused_url(&url) {
            return Err(refused);
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(method, url)
            .header("Token", token)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| without_url(&e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| without_url(&e))?;
        Ok((status, body))
    }
}

impl Default for BeaconHttp {
    fn default() -> Self {
        Self::new()
    }
}

fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection refused"
    } else {
        "request failed"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn beacon_addresses_are_hosts() {
        for good in ["127.0.0.1:5002", "example.com/mybeacon", "beacon.internal"] {
            assert!(super::is_address(good), "{good}");
        }
        for bad in ["", "bad address", "x:notaport", "a\u{0}b", "169.254.169.254", "[fe80::1]:80"] {
            assert!(!super::is_address(bad), "{bad:?}");
        }
    }
}
