//! An app's `access_ports` (`tcp:80,udp:10000-10010:nginx`), read as the
//! Controller reads them (`util.ParsePorts`, then `edgeproto.ParseAppPorts`
//! refusing the platform's own ports), with its messages.

const MAX_TCP_PORTS: u32 = 1000;
const MAX_UDP_PORTS: u32 = 10000;
/// Past this many UDP ports every UDP port is served through nginx.
const MAX_ENVOY_UDP_PORTS: u32 = 1000;
const MIN_UDP_PACKET: i64 = 1500;
const MAX_UDP_PACKET: i64 = 50000;

/// Ports the platform keeps for itself (`ReservedPlatformPorts`).
const RESERVED: [(&str, u32, &str); 4] = [
    ("tcp", 22, "Platform inter-node SSH"),
    ("tcp", 20800, "Kubernetes master join server"),
    ("udp", 53, "dns udp"),
    ("tcp", 53, "dns tcp"),
];

/// One entry of `access_ports`: `end` is 0 for a single port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPort {
    pub proto: String,
    pub port: u32,
    pub end: u32,
    pub tls: bool,
    pub nginx: bool,
    pub max_packet: i64,
}

impl AppPort {
    /// Every port the entry covers.
    pub fn each(&self) -> std::ops::RangeInclusive<u32> {
        self.port..=self.end.max(self.port)
    }
}

/// Go's `strconv.ParseInt(s, 10, 32)`, as a port.
fn port_number(text: &str) -> Option<i64> {
    text.parse::<i32>().ok().map(i64::from)
}

/// `ParseAppPorts`: "" is no ports.
pub fn parse(access_ports: &str) -> Result<Vec<AppPort>, String> {
    if access_ports.is_empty() {
        return Ok(Vec::new());
    }
    let mut ports = Vec::new();
    let (mut tcp, mut udp) = (0u32, 0u32);
    for entry in access_ports.split(',') {
        let parts: Vec<&str> = entry.split(':').collect();
        if parts.len() < 2 {
            return Err(format!("invalid AccessPorts format '{entry}'"));
        }
        let mut annotations = Vec::new();
        for annotation in &parts[2..] {
            let pair: Vec<&str> = annotation.split('=').collect();
            match pair.as_slice() {
                [""] | [_, _, _, ..] => {
                    return Err(format!(
                        "invalid AccessPorts annotation {annotation} for port {}, expected format is either key or key=val",
                        parts[1]
                    ));
                }
                [key] => annotations.push((*key, "true")),
                [key, value] => annotations.push((*key, *value)),
                [] => {}
            }
        }
        let range: Vec<&str> = parts[1].split('-').collect();
        let base = port_number(range[0]).ok_or("unable to convert port range base value")?;
        let end = match range.get(1) {
            Some(end) => port_number(end).ok_or("unable to convert port range base value")?,
            None => base,
        };
        if !(1..=65535).contains(&base) || !(1..=65535).contains(&end) || end < base {
            return Err("App ports out of range".into());
        }
        let end = if end == base { 0 } else { end as u32 };
        let proto = parts[0].to_lowercase();
        if proto != "tcp" && proto != "udp" {
            return Err(format!("Unsupported protocol: {}", parts[0]));
        }
        let mut port = AppPort { proto, port: base as u32, end, tls: false, nginx: false, max_packet: 0 };
        let count = port.each().count() as u32;
        match port.proto.as_str() {
            "tcp" => tcp += count,
            _ => udp += count,
        }
        for (key, value) in annotations {
            match key {
                "tls" if port.proto == "tcp" => port.tls = true,
                "tls" => return Err(format!("Invalid protocol {}, not available for tls support", port.proto)),
                "nginx" if port.proto == "udp" => port.nginx = true,
                "nginx" => return Err(format!("Invalid annotation \"nginx\" for {} ports", port.proto)),
                "maxpktsize" if port.proto != "udp" => {
                    return Err(format!(
                        "Invalid annotation \"maxpktsize\" for {} ports, only valid for UDP protocol",
                        port.proto
                    ));
                }
                "maxpktsize" => {
                    let size: i64 = value.parse().map_err(|_| format!("unable to convert pkt size value: {value}"))?;
                    if !(MIN_UDP_PACKET..=MAX_UDP_PACKET).contains(&size) {
                        return Err(format!(
                            "Invalid maxpktsize, should be between range {MIN_UDP_PACKET} to {MAX_UDP_PACKET} (exclusive)"
                        ));
                    }
                    port.max_packet = size;
                }
                _ => return Err(format!("unrecognized annotation {key}={value} for port {}", parts[1])),
            }
        }
        ports.push(port);
    }
    if tcp > MAX_TCP_PORTS {
        return Err(format!("Not allowed to specify more than {MAX_TCP_PORTS} tcp ports"));
    }
    if udp > MAX_UDP_PORTS {
        return Err(format!("Not allowed to specify more than {MAX_UDP_PORTS} udp ports"));
    }
    if udp > MAX_ENVOY_UDP_PORTS {
        ports.iter_mut().filter(|p| p.proto == "udp").for_each(|p| p.nginx = true);
    }
    for port in &ports {
        for number in port.each() {
            if let Some((proto, _, what)) = RESERVED.iter().find(|(proto, n, _)| *proto == port.proto && *n == number) {
                return Err(format!("App cannot use port {proto}:{number} - reserved for {what}"));
            }
        }
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_ranges_and_annotations_are_read() {
        let ports = parse("tcp:80,UDP:10000-10002:nginx,tcp:443:tls,udp:9000:maxpktsize=1500").unwrap();
        assert_eq!(ports.len(), 4);
        assert_eq!((ports[1].proto.as_str(), ports[1].port, ports[1].end, ports[1].nginx), ("udp", 10000, 10002, true));
        assert!(ports[2].tls);
        assert_eq!(ports[3].max_packet, 1500);
        assert_eq!(parse("tcp:80-80").unwrap()[0].end, 0);
        assert_eq!(parse(""), Ok(Vec::new()));
    }

    #[test]
    fn bad_ports_get_the_controllers_words() {
        assert_eq!(parse("tcp"), Err("invalid AccessPorts format 'tcp'".into()));
        assert_eq!(parse("tcp:x"), Err("unable to convert port range base value".into()));
        assert_eq!(parse("tcp:0"), Err("App ports out of range".into()));
        assert_eq!(parse("tcp:90-80"), Err("App ports out of range".into()));
        assert_eq!(parse("sctp:80"), Err("Unsupported protocol: sctp".into()));
        assert_eq!(parse("udp:80:tls"), Err("Invalid protocol udp, not available for tls support".into()));
        assert_eq!(parse("tcp:80:nginx"), Err("Invalid annotation \"nginx\" for tcp ports".into()));
        assert_eq!(parse("tcp:80:x=1"), Err("unrecognized annotation x=1 for port 80".into()));
        assert_eq!(parse("tcp:1-1001"), Err("Not allowed to specify more than 1000 tcp ports".into()));
        assert_eq!(parse("tcp:20-30"), Err("App cannot use port tcp:22 - reserved for Platform inter-node SSH".into()));
        assert!(parse("udp:100-2100").unwrap()[0].nginx, "many UDP ports go through nginx");
    }
}
