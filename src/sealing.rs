//! Secrets Steward must present again, so cannot keep as a hash (beacon
//! tokens, a federation partner's client key), sealed with AES-256-GCM
//! under a configured key (or one generated and kept in the settings
//! table), stored as base64 of nonce || ciphertext || tag.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

#[derive(Clone)]
pub struct Sealer {
    key: std::sync::Arc<LessSafeKey>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "a sealed secret could not be opened (was its key, STEWARD_LIGHTHOUSE_TOKEN_KEY or STEWARD_MC_SECRETS_KEY, changed?)"
)]
pub struct Unsealable;

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        let unbound = UnboundKey::new(&AES_256_GCM, key).unwrap_or_else(|_| unreachable!("AES-256 takes 32 bytes"));
        Self { key: std::sync::Arc::new(LessSafeKey::new(unbound)) }
    }

    pub fn seal(&self, token: &str) -> Result<String, Unsealable> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| Unsealable)?;
        let mut data = token.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| Unsealable)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<String, Unsealable> {
        let bytes = STANDARD.decode(sealed).map_err(|_| Unsealable)?;
        if bytes.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unsealable)?;
        let mut data = data.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::empty(), &mut data).map_err(|_| Unsealable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_never_appear_sealed() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal("MY_TOKEN").unwrap();
        assert!(!sealed.contains("MY_TOKEN"));
        assert_ne!(sealed, sealer.seal("MY_TOKEN").unwrap(), "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed).unwrap(), "MY_TOKEN");
        assert!(Sealer::new(&[8; 32]).open(&sealed).is_err(), "another key opens nothing");
    }
}
