//! CRM access keys: the ed25519 pairs the Controller makes for a
//! cloudlet's CRM (`node.GenerateAccessKey`), as Go's PEM encoding of
//! PKCS#8 (private) and PKIX (public) writes them. The public half is
//! stored on the cloudlet; the private half is shown once to the caller.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;

/// PKCS#8 `PrivateKeyInfo` for Ed25519 up to the 32-byte seed (RFC 8410).
const PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
/// PKIX `SubjectPublicKeyInfo` for Ed25519 up to the 32-byte key.
const PKIX_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

/// Go's `pem.EncodeToMemory`: base64 in 64-character lines.
fn pem(label: &str, der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pair_from_seed(seed: [u8; 32]) -> KeyPair {
    let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    KeyPair {
        private_pem: pem("PRIVATE KEY", &[&PKCS8_PREFIX[..], &seed].concat()),
        public_pem: pem("PUBLIC KEY", &[&PKIX_PREFIX[..], &public].concat()),
    }
}

/// A fresh key pair from the operating system's generator.
pub fn generate() -> Result<KeyPair, getrandom::Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)?;
    Ok(pair_from_seed(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 test 1: the seed 9d61b19d... has public key d75a9801....
    #[test]
    fn pems_are_gos_encoding_of_rfc_8032_keys() {
        let seed: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .unwrap_or_default();
        let pair = pair_from_seed(seed);
        assert_eq!(
            pair.private_pem,
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
        );
        assert_eq!(
            pair.public_pem,
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
        );
        assert_eq!(pair.private_pem.len(), 119);
        assert_ne!(generate().map(|p| p.public_pem).unwrap_or_default(), pair.public_pem);
    }
}
