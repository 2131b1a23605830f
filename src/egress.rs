//! Where Steward's outgoing calls may go. The addresses it calls come from
//! users (an MC federation guest's `PartnerAddr` and token URL, a host's
//! partner's callback links, a Lighthouse beacon's address), so it never
//! calls an address no such peer can have: link-local (where clouds serve
//! instance metadata and its credentials), unspecified, multicast or
//! broadcast, or another cloud's metadata address. Names are checked as
//! they resolve, so a name cannot point around the rule; redirects are
//! checked at each hop; the clients use no environment proxy (a proxy
//! would resolve names itself).

use std::net::{IpAddr, SocketAddr};

/// Cloud metadata endpoints outside the link-local ranges: Alibaba's
/// (carrier-grade NAT space) and AWS's IPv6 one (unique-local).
const METADATA: [IpAddr; 2] = [
    IpAddr::V4(std::net::Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V6(std::net::Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
];

/// Whether no peer can be at `ip`.
pub fn forbidden(ip: IpAddr) -> bool {
    if METADATA.contains(&ip) {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let link_local = (segments[0] & 0xffc0) == 0xfe80;
            // IPv4 inside IPv6: mapped, compatible (::/96) and NAT64 (64:ff9b::/96).
            let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            let embedded = match (v6.to_ipv4_mapped(), nat64) {
                (Some(v4), _) => Some(v4),
                (None, true) => Some(std::net::Ipv4Addr::new(
                    (segments[6] >> 8) as u8,
                    segments[6] as u8,
                    (segments[7] >> 8) as u8,
                    segments[7] as u8,
                )),
                (None, false) => v6.to_ipv4().filter(|_| segments[..6] == [0; 6] && !v6.is_loopback()),
            };
            link_local
                || v6.is_unspecified()
                || v6.is_multicast()
                || embedded.is_some_and(|v4| forbidden(IpAddr::V4(v4)))
        }
    }
}

/// Redirects as Go's client follows them (at most 10), but never to an
/// address literal no peer can have (a name is checked as it resolves).
pub fn redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            attempt.error("stopped after 10 redirects")
        } else if let Some(refused) = refused_url(attempt.url().as_str()) {
            attempt.error(refused)
        } else {
            attempt.follow()
        }
    })
}

fn refusal(target: &str) -> String {
    format!("{target} is a link-local, unspecified, multicast or broadcast address, which Steward does not call")
}

/// Why a URL whose host is an address literal may not be called (names
/// are checked by `Resolver` as they resolve).
pub fn refused_url(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    forbidden(ip).then(|| refusal(host))
}

/// The system's resolver, without the addresses no peer can have.
pub struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|addr| !forbidden(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(refusal(&host).into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    #[test]
    fn metadata_and_other_non_partner_addresses_are_forbidden() {
        for bad in [
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "fe80::1",
            "::",
            "::ffff:169.254.169.254",
            "::169.254.169.254",
            "64:ff9b::169.254.169.254",
            "100.100.100.200",
            "fd00:ec2::254",
        ] {
            assert!(forbidden(bad.parse::<IpAddr>().unwrap()), "{bad}");
        }
        for good in ["127.0.0.1", "10.1.2.3", "192.0.2.10", "::1", "2001:db8::1", "100.100.100.1", "64:ff9b::192.0.2.1"]
        {
            assert!(!forbidden(good.parse::<IpAddr>().unwrap()), "{good}");
        }
    }

    #[test]
    fn address_literals_in_urls_are_checked() {
        assert_eq!(refused_url("http://169.254.169.254/latest/meta-data"), Some(refusal("169.254.169.254")));
        assert!(refused_url("http://[fe80::1]:8080/x").is_some());
        assert_eq!(refused_url("https://partner.example.com/oauth2/token"), None);
        assert_eq!(refused_url("http://127.0.0.1:9808/x"), None);
    }

    #[tokio::test]
    async fn names_resolving_only_to_forbidden_addresses_are_refused() {
        let name: reqwest::dns::Name = "169.254.169.254".parse().unwrap();
        let refused = Resolver.resolve(name).await.err().map(|e| e.to_string());
        assert_eq!(refused, Some(refusal("169.254.169.254")));
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        assert!(Resolver.resolve(name).await.is_ok());
    }
}
