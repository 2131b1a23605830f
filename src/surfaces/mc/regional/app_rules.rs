//! The Controller's field checks of an app that need no other object
//! (`App.Validate`, `ValidateSecurityRules`, `validateSkipHcPorts`, the
//! configs' kinds) and its reading of Go durations, with its messages.

use base64::Engine;

use super::super::api::{App, AppKey, ConfigFile, SecurityRule};
use super::super::store::text;
use super::app_ports::{self, AppPort};
use super::flavor::valid_name;

/// The config kinds an app may carry (`ValidConfigKinds`).
pub const HELM_CONFIG: &str = "helmCustomizationYaml";
pub const ENV_CONFIG: &str = "envVarsYaml";
const CONFIG_KINDS: [&str; 3] = [HELM_CONFIG, "appAccessCustomization", ENV_CONFIG];

/// `AppKey.ValidateKey`.
pub fn validate_key(key: &AppKey) -> Result<(), String> {
    if !valid_name(text(&key.name)) {
        return Err("Invalid app name".into());
    }
    if !valid_name(text(&key.version)) {
        return Err("Invalid app version".into());
    }
    if !valid_name(text(&key.organization)) {
        return Err("Invalid app organization".into());
    }
    Ok(())
}

/// `App.Validate` for the fields given (`ports_given`: `access_ports`
/// is among them).
pub fn validate(app: &App, ports_given: bool) -> Result<(), String> {
    validate_key(&app.key.clone().unwrap_or_default())?;
    if ports_given {
        app_ports::parse(text(&app.access_ports))?;
    }
    let public_key = text(&app.auth_public_key);
    if !public_key.is_empty() {
        check_public_key(public_key)?;
    }
    let delimiter = text(&app.template_delimiter);
    if !delimiter.is_empty() && delimiter.split(' ').count() != 2 {
        return Err(format!("invalid app template delimiter {delimiter}, valid format '<START-DELIM> <END-DELIM>'"));
    }
    check_config_kinds(app.configs.as_deref().unwrap_or_default())
}

/// `validateCustomizationConfigs`, for apps and their instances.
pub fn check_config_kinds(configs: &[ConfigFile]) -> Result<(), String> {
    match configs.iter().find(|config| !CONFIG_KINDS.contains(&text(&config.kind))) {
        Some(config) => Err(format!("Invalid Config Kind - {}", text(&config.kind))),
        None => Ok(()),
    }
}

/// A PEM block's type and its decoded bytes, when the text is exactly one.
fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    let text = text.trim_start();
    let rest = text.strip_prefix("-----BEGIN ")?;
    let (kind, rest) = rest.split_once("-----")?;
    let end = format!("-----END {kind}-----");
    let (body, after) = rest.split_once(&end)?;
    if !after.trim().is_empty() {
        return None;
    }
    let body: String = body.lines().filter(|line| !line.contains(':')).collect::<Vec<_>>().concat();
    let bytes = base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()?;
    Some((kind.to_owned(), bytes))
}

/// The RSA algorithm's object identifier, as DER.
const RSA_ENCRYPTION: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// `util.ValidatePublicKey`: an RSA key in PEM (PKIX or PKCS #1), or an
/// OpenSSH authorized-keys line.
fn check_public_key(key: &str) -> Result<(), String> {
    if let Some((kind, der)) = pem_block(key) {
        let sequence = der.first() == Some(&0x30);
        return match kind.as_str() {
            "PUBLIC KEY" if !sequence => Err("x509.parse pki public key".into()),
            "PUBLIC KEY" if !der.windows(RSA_ENCRYPTION.len()).any(|w| w == RSA_ENCRYPTION) => {
                Err("invalid PEM passed".into())
            }
            "RSA PUBLIC KEY" if !sequence => Err("x509.parse rsa public key".into()),
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Ok(()),
            other => Err(format!("Unsupported key tpe \"{other}\"")),
        };
    }
    if key.starts_with("---- BEGIN SSH2 PUBLIC KEY") {
        return Err("ssh2 key format not supported".into());
    }
    let authorized = key.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.windows(2).any(|pair| {
            let blob = base64::engine::general_purpose::STANDARD.decode(pair[1]).unwrap_or_default();
            blob.get(4..).is_some_and(|rest| rest.starts_with(pair[0].as_bytes()))
        })
    });
    match authorized {
        true => Ok(()),
        false => Err("failed to parse public key: ssh: no key found\n".into()),
    }
}

/// `fixupSecurityRules` then `ValidateSecurityRules`.
pub fn outbound_connections(rules: &mut [SecurityRule]) -> Result<(), String> {
    for rule in rules.iter_mut() {
        if rule.port_range_max.unwrap_or(0) == 0 {
            rule.port_range_max = rule.port_range_min;
        }
        rule.protocol = Some(text(&rule.protocol).to_uppercase()).filter(|p| !p.is_empty());
    }
    for rule in rules.iter() {
        let (min, max) = (rule.port_range_min.unwrap_or(0), rule.port_range_max.unwrap_or(0));
        match text(&rule.protocol) {
            "ICMP" if min != 0 || max != 0 => return Err("Port range must be empty for ICMP".into()),
            "ICMP" => {}
            "TCP" | "UDP" => {
                if !(1..=65535).contains(&min) {
                    return Err(format!("Invalid min port: {min}"));
                }
                if max > 65535 {
                    return Err(format!("Invalid max port: {max}"));
                }
                if min > max {
                    return Err(format!("Min port range: {min} cannot be higher than max: {max}"));
                }
            }
            _ => return Err("Protocol must be one of: (TCP,UDP,ICMP)".into()),
        }
        check_cidr(text(&rule.remote_cidr))?;
    }
    Ok(())
}

/// Go's `net.ParseCIDR`.
fn check_cidr(cidr: &str) -> Result<(), String> {
    let bad = || format!("invalid CIDR address: {cidr}");
    let (address, bits) = cidr.split_once('/').ok_or_else(bad)?;
    let max = match address.parse::<std::net::IpAddr>().map_err(|_| bad())? {
        std::net::IpAddr::V4(_) => 32,
        std::net::IpAddr::V6(_) => 128,
    };
    let digits = !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit());
    match bits.parse::<u32>() {
        Ok(bits) if digits && bits <= max => Ok(()),
        _ => Err(bad()),
    }
}

/// `validateSkipHcPorts`: health checks skip only TCP ports the app has.
pub fn skip_health_check_ports(skip: &str, ports: &[AppPort]) -> Result<(), String> {
    if skip.is_empty() || skip == "all" {
        return Ok(());
    }
    let skipped = app_ports::parse(skip).map_err(|e| format!("Cannot parse skipHcPorts: {e}"))?;
    for entry in &skipped {
        if entry.proto != "tcp" {
            return Err("Protocol L_PROTO_UDP unsupported for healthchecks".into());
        }
        for number in entry.each() {
            if !ports.iter().any(|p| p.proto == entry.proto && p.each().contains(&number)) {
                return Err(format!("skipHcPort {number} not found in accessPorts"));
            }
        }
    }
    Ok(())
}

const NANOS: [(&str, u64); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Go's `time.ParseDuration` (non-negative), in nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || format!("time: invalid duration \"{text}\"");
    if text == "0" {
        return Ok(0);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = NANOS.iter().find(|(name, _)| *name == &rest[..unit_len]).ok_or_else(bad)?;
        total += number * unit.1 as f64;
        rest = &rest[unit_len..];
    }
    Ok(total.round() as u64)
}

/// Go's `Duration.String`.
pub fn go_duration(nanos: u64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let fraction = |value: u64, scale: u64, unit: &str| {
        let (whole, part) = (value / scale, value % scale);
        let digits = scale.to_string().len() - 1;
        let part = format!("{part:0digits$}");
        let part = part.trim_end_matches('0');
        match part.is_empty() {
            true => format!("{whole}{unit}"),
            false => format!("{whole}.{part}{unit}"),
        }
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return fraction(nanos, 1_000, "µs");
    }
    if nanos < 1_000_000_000 {
        return fraction(nanos, 1_000_000, "ms");
    }
    let seconds = fraction(nanos % 60_000_000_000, 1_000_000_000, "s");
    let minutes = nanos / 60_000_000_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print_as_go() {
        assert_eq!(parse_duration("30m").map(go_duration), Ok("30m0s".into()));
        assert_eq!(parse_duration("1h30m").map(go_duration), Ok("1h30m0s".into()));
        assert_eq!(parse_duration("1.5s").map(go_duration), Ok("1.5s".into()));
        assert_eq!(parse_duration("250ms").map(go_duration), Ok("250ms".into()));
        assert_eq!(parse_duration("0").map(go_duration), Ok("0s".into()));
        assert_eq!(parse_duration("5x"), Err("time: invalid duration \"5x\"".into()));
        assert_eq!(parse_duration("m"), Err("time: invalid duration \"m\"".into()));
    }

    #[test]
    fn outbound_rules_are_fixed_up_then_checked() {
        let rule = |proto: &str, min: u32, max: u32, cidr: &str| SecurityRule {
            protocol: Some(proto.into()),
            port_range_min: Some(min),
            port_range_max: Some(max),
            remote_cidr: Some(cidr.into()),
        };
        let mut rules = vec![rule("tcp", 443, 0, "10.0.0.0/8")];
        assert_eq!(outbound_connections(&mut rules), Ok(()));
        assert_eq!((rules[0].protocol.as_deref(), rules[0].port_range_max), (Some("TCP"), Some(443)));
        assert_eq!(
            outbound_connections(&mut [rule("sctp", 1, 1, "")]),
            Err("Protocol must be one of: (TCP,UDP,ICMP)".into())
        );
        assert_eq!(
            outbound_connections(&mut [rule("icmp", 1, 0, "0.0.0.0/0")]),
            Err("Port range must be empty for ICMP".into())
        );
        assert_eq!(
            outbound_connections(&mut [rule("udp", 90, 80, "0.0.0.0/0")]),
            Err("Min port range: 90 cannot be higher than max: 80".into())
        );
        assert_eq!(
            outbound_connections(&mut [rule("udp", 80, 80, "10.0.0.0")]),
            Err("invalid CIDR address: 10.0.0.0".into())
        );
    }

    #[test]
    fn public_keys_are_rsa_or_authorized_keys() {
        assert_eq!(
            check_public_key("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"),
            Err("Unsupported key tpe \"CERTIFICATE\"".into())
        );
        assert_eq!(check_public_key("-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----"), Ok(()));
        assert_eq!(check_public_key("nonsense"), Err("failed to parse public key: ssh: no key found\n".into()));
        assert_eq!(check_public_key("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== user@host"), Ok(()));
    }

    #[test]
    fn skipped_health_check_ports_are_tcp_ports_the_app_has() {
        let ports = app_ports::parse("tcp:80-82,udp:90").unwrap();
        assert_eq!(skip_health_check_ports("tcp:81", &ports), Ok(()));
        assert_eq!(skip_health_check_ports("all", &ports), Ok(()));
        assert_eq!(skip_health_check_ports("tcp:83", &ports), Err("skipHcPort 83 not found in accessPorts".into()));
        assert_eq!(
            skip_health_check_ports("udp:90", &ports),
            Err("Protocol L_PROTO_UDP unsupported for healthchecks".into())
        );
    }
}
