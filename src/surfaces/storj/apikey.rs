//! Storj API keys as serialized: base58check (version 0) of a macaroon v2
//! with a random 32-byte head as identifier and an HMAC-SHA256 tail, no
//! caveats. Only the head identifies a key, so only its hash is stored.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const HEAD_LEN: usize = 32;

pub struct NewKey {
    pub serialized: String,
    pub head_hash: String,
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

pub fn head_hash(head: &[u8]) -> String {
    hex::encode(Sha256::digest(head))
}

pub fn generate() -> NewKey {
    let head = random_bytes();
    let secret = random_bytes();
    let tail = Hmac::<Sha256>::new_from_slice(&secret).map(|mac| mac.chain_update(head).finalize().into_bytes());
    let tail: [u8; 32] = tail.map(|t| t.into()).unwrap_or(secret);
    let mut macaroon = Vec::with_capacity(71);
    macaroon.push(0x02); // version 2
    macaroon.extend_from_slice(&[0x02, HEAD_LEN as u8]); // identifier field
    macaroon.extend_from_slice(&head);
    macaroon.push(0x00); // end of the header section
    macaroon.push(0x00); // end of the (empty) caveats section
    macaroon.extend_from_slice(&[0x06, 32]); // signature field
    macaroon.extend_from_slice(&tail);
    NewKey { serialized: bs58::encode(macaroon).with_check_version(0).into_string(), head_hash: head_hash(&head) }
}

/// The head of a serialized key; the error detail is Storj's.
pub fn parse_head(serialized: &str) -> Result<Vec<u8>, String> {
    let invalid = || "api key format: invalid api key format".to_owned();
    let bytes = bs58::decode(serialized).with_check(Some(0)).into_vec().map_err(|_| invalid())?;
    // Version byte first, then the macaroon.
    let macaroon = bytes.get(1..).ok_or_else(invalid)?;
    match macaroon {
        [0x02, 0x02, len, rest @ ..] if *len as usize <= rest.len() && *len > 0 => Ok(rest[..*len as usize].to_vec()),
        _ => Err("api key format: macaroon: unsupported macaroon version".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_to_their_head() {
        let key = generate();
        assert!(key.serialized.starts_with('1'), "{}", key.serialized);
        let head = parse_head(&key.serialized).unwrap();
        assert_eq!(head.len(), 32);
        assert_eq!(head_hash(&head), key.head_hash);
        assert_ne!(generate().serialized, key.serialized);
    }

    #[test]
    fn garbage_is_an_invalid_format() {
        assert_eq!(parse_head("not-a-key"), Err("api key format: invalid api key format".into()));
        let wrong_check = format!("{}x", generate().serialized);
        assert!(parse_head(&wrong_check).is_err());
    }
}
