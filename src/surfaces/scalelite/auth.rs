//! Scalelite's checksum authentication: a hex digest of the action name,
//! the query string as sent minus `checksum`, and a shared secret.

use std::sync::Arc;

use poem::http::Method;
use poem::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use poem::{Body, FromRequest, Request, RequestBody};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::errors::ScaleliteError;

/// The shared secrets checksums are made with (Scalelite's
/// LOADBALANCER_SECRET list). Kept in the clear because a checksum can only
/// be verified by recomputing it.
#[derive(Clone)]
pub struct Secrets(pub Arc<Vec<String>>);

/// A caller who passed the checksum check; `secret_index` says which of the
/// configured secrets signed the request (for the audit trail).
#[derive(Debug, Clone)]
pub struct ChecksumCaller {
    pub secret_index: usize,
}

impl ChecksumCaller {
    pub fn actor(&self) -> String {
        format!("secret#{}", self.secret_index + 1)
    }
}

/// Rails' JSON media types.
pub fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    ["application/json", "text/x-json", "application/jsonrequest"].iter().any(|json| media.eq_ignore_ascii_case(json))
}

fn has_body(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > 0)
}

impl<'a> FromRequest<'a> for ChecksumCaller {
    /// Checks in Scalelite's order: a POST body must be JSON, a JSON body
    /// must parse (Rails parses it while looking for the checksum), then the
    /// checksum must match one of the secrets.
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if req.method() == Method::POST && has_body(req) && !is_json_media_type(content_type) {
            return Err(ScaleliteError::unsupported_content_type().into());
        }
        let body_checksum = if is_json_media_type(content_type) && has_body(req) {
            let bytes = body.take()?.into_bytes().await?;
            let parsed: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|_| ScaleliteError::MalformedJson)?;
            *body = RequestBody::new(Body::from(bytes));
            parsed.get("checksum").and_then(|c| c.as_str()).map(str::to_owned)
        } else {
            None
        };

        let secrets =
            req.data::<Secrets>().ok_or_else(|| ScaleliteError::Internal("checksum secrets not configured".into()))?;
        let action = req.uri().path().rsplit('/').next().unwrap_or("");
        let query = req.uri().query().unwrap_or("");
        let checksum = query_checksum(query).or(body_checksum).unwrap_or_default();
        verify(action, query, &checksum, &secrets.0)
            .map(|secret_index| ChecksumCaller { secret_index })
            .ok_or_else(|| ScaleliteError::checksum().into())
    }
}

/// The `checksum` query value as Rack reads it (percent-decoded; the last
/// occurrence wins).
fn query_checksum(query: &str) -> Option<String> {
    query
        .rsplit('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(name, _)| *name == "checksum")
        .map(|(_, value)| percent_decode(value))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes the checksum from the raw query as Scalelite does: every
/// `&checksum=C`, `checksum=C&` or `checksum=C`, scanning left to right.
fn strip_checksum(query: &str, checksum: &str) -> String {
    let patterns = [format!("&checksum={checksum}"), format!("checksum={checksum}&"), format!("checksum={checksum}")];
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    'scan: while let Some(c) = rest.chars().next() {
        for pattern in &patterns {
            if let Some(after) = rest.strip_prefix(pattern.as_str()) {
                rest = after;
                continue 'scan;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Which secret (by index) makes `checksum` right for this request, if any.
pub fn verify(action: &str, query: &str, checksum: &str, secrets: &[String]) -> Option<usize> {
    if checksum.trim().is_empty() {
        return None;
    }
    let digest: fn(&[u8]) -> String = match checksum.len() {
        40 => |data| hex::encode(Sha1::digest(data)),
        64 => |data| hex::encode(Sha256::digest(data)),
        128 => |data| hex::encode(Sha512::digest(data)),
        _ => return None,
    };
    let signed = format!("{action}{}", strip_checksum(query, checksum));
    // Every secret is tried, so the time taken does not say which matched.
    let mut matched = None;
    for (index, secret) in secrets.iter().enumerate() {
        let expected = digest(format!("{signed}{secret}").as_bytes());
        if bool::from(expected.as_bytes().ct_eq(checksum.as_bytes())) && matched.is_none() {
            matched = Some(index);
        }
    }
    matched
}

/// The checksum a client computes, for tests, docs and the bench.
pub fn sign(action: &str, query: &str, secret: &str) -> String {
    hex::encode(Sha1::digest(format!("{action}{query}{secret}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<String> {
        vec!["first".into(), "second".into()]
    }

    #[test]
    fn accepts_each_digest_and_any_secret() {
        let data = "getServersfirst";
        let sha1 = hex::encode(Sha1::digest(data));
        let sha256 = hex::encode(Sha256::digest(data));
        let sha512 = hex::encode(Sha512::digest(data));
        for checksum in [sha1, sha256, sha512] {
            assert_eq!(verify("getServers", &format!("checksum={checksum}"), &checksum, &secrets()), Some(0));
        }
        let second = hex::encode(Sha256::digest("getServerssecond"));
        assert_eq!(verify("getServers", "", &second, &secrets()), Some(1));
    }

    #[test]
    fn hashes_the_raw_query_without_the_checksum() {
        let checksum = hex::encode(Sha1::digest("getServerInfox=a%20b&id=7first"));
        let query = format!("x=a%20b&checksum={checksum}&id=7");
        assert_eq!(verify("getServerInfo", &query, &checksum, &secrets()), Some(0));
    }

    #[test]
    fn refuses_wrong_blank_uppercase_or_odd_length_checksums() {
        let good = hex::encode(Sha1::digest("getServersfirst"));
        assert_eq!(verify("getServers", "", &good.to_uppercase(), &secrets()), None);
        assert_eq!(verify("getServers", "", "", &secrets()), None);
        assert_eq!(verify("getServers", "", &good[..39], &secrets()), None);
        assert_eq!(verify("getTenants", "", &good, &secrets()), None);
        assert_eq!(verify("getServers", "", &good, &[]), None);
    }

    #[test]
    fn strips_every_checksum_form() {
        assert_eq!(strip_checksum("checksum=c", "c"), "");
        assert_eq!(strip_checksum("checksum=c&a=1", "c"), "a=1");
        assert_eq!(strip_checksum("a=1&checksum=c&b=2", "c"), "a=1&b=2");
        assert_eq!(strip_checksum("a=1&checksum=c", "c"), "a=1");
    }

    #[test]
    fn reads_the_last_checksum_decoded() {
        assert_eq!(query_checksum("a=1&checksum=x&checksum=y%41"), Some("yA".into()));
        assert_eq!(query_checksum("a=1"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b%C3%A9"), "a bé");
    }

    #[test]
    fn json_media_types_follow_rails() {
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("text/x-json"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
        assert!(!is_json_media_type(""));
    }
}
