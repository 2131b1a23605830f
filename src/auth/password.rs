//! Password hashing with argon2id, on a pool bounded by the core count:
//! hashing is CPU- and memory-heavy, and unbounded concurrent hashing
//! exhausts memory under a login storm. Callers beyond the bound queue.
//!
//! Parameters: 19 MiB memory, 2 passes, 1 lane (OWASP's argon2id
//! baseline). Chosen so a login stays under 100 ms p99 on a 2-core machine
//! while a stolen hash still costs an attacker 19 MiB and two passes per
//! guess. Measured by `make bench` (release, SQLite, wrk on the same 2
//! cores): MC password logins at 2 connections ~51/s with p99 66 ms; at 32
//! connections they queue on this pool (the same ~52/s, p99 ~0.7 s) and
//! the whole server's peak RSS stayed at ~415 MiB, where unbounded hashing
//! would need 19 MiB per request in flight.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    Arc::new(Semaphore::new(cores))
});

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
    let _slot = SLOTS.clone().acquire_owned().await.map_err(|e| HashError(e.to_string()))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| HashError(e.to_string()))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: String) -> Result<String, HashError> {
    bounded(move || {
        // 16 random bytes from the v4 generator (a CSPRNG).
        let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| HashError(e.to_string()))?;
        argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError(e.to_string()))
    })
    .await?
}

/// Whether `password` matches `phc` (compared in constant time by argon2).
pub async fn verify(password: String, phc: String) -> Result<bool, HashError> {
    bounded(move || match PasswordHash::new(&phc) {
        Ok(parsed) => Ok(argon2().verify_password(password.as_bytes(), &parsed).is_ok()),
        Err(_) => Ok(false),
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_by_salt() {
        let first = hash("correct horse".into()).await.unwrap();
        let second = hash("correct horse".into()).await.unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(first, second);
        assert!(verify("correct horse".into(), first.clone()).await.unwrap());
        assert!(!verify("wrong".into(), first).await.unwrap());
        assert!(!verify("x".into(), "not a hash".into()).await.unwrap());
    }
}
