//! Password hashing with argon2id, on a pool bounded by the core count:
//! hashing is CPU- and memory-heavy, and unbounded concurrent hashing
//! exhausts memory under a login storm. Callers beyond the bound wait in a
//! bounded queue, for at most a deadline; a full queue or a passed deadline
//! answers `Busy` at once (surfaces answer 503), so a storm of logins is
//! turned away quickly instead of piling up without limit.
//!
//! Parameters: 19 MiB memory, 2 passes, 1 lane (OWASP's argon2id
//! baseline). Chosen so a login stays under 100 ms p99 on a 2-core machine
//! while a stolen hash still costs an attacker 19 MiB and two passes per
//! guess. Measured by `make bench` (release, SQLite, wrk on the same 2
//! cores): MC password logins at 2 connections ~51/s with p99 66 ms; at 32
//! connections they queue on this pool (the same ~52/s, p99 ~0.7 s) and
//! the whole server's peak RSS stayed at ~415 MiB, where unbounded hashing
//! would need 19 MiB per request in flight.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(cores())));

/// Requests waiting for a slot. At ~25 ms a hash per core, 16 waiting per
/// core is ~0.4 s of work: more would only wait past the deadline.
static WAITING: AtomicUsize = AtomicUsize::new(0);
const WAITING_PER_CORE: usize = 16;
/// The longest a request waits for a slot before it is turned away.
const DEADLINE: Duration = Duration::from_secs(2);

/// How many requests wait for a hashing slot now.
pub fn queue_depth() -> usize {
    WAITING.load(Ordering::Relaxed)
}

/// How many hashes are being computed now.
pub fn running() -> usize {
    cores().saturating_sub(SLOTS.available_permits())
}

fn busy() -> HashError {
    metrics::counter!(crate::metrics::HASH_REJECTED).increment(1);
    HashError::Busy
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// Every slot is taken and the queue is full, or the wait passed its
    /// deadline: try again later.
    #[error("password hashing is busy")]
    Busy,
}

impl HashError {
    fn failed(error: impl std::fmt::Display) -> Self {
        Self::Failed(error.to_string())
    }
}

/// Counts a waiter for as long as it waits.
struct Waiting;

impl Waiting {
    fn join() -> Option<Self> {
        let limit = cores() * WAITING_PER_CORE;
        WAITING.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1)).ok().map(|_| Self)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
    let slot = match SLOTS.clone().try_acquire_owned() {
        Ok(slot) => slot,
        Err(_) => {
            let waiting = Waiting::join().ok_or_else(busy)?;
            let slot = tokio::time::timeout(DEADLINE, SLOTS.clone().acquire_owned())
                .await
                .map_err(|_| busy())?
                .map_err(HashError::failed)?;
            drop(waiting);
            slot
        }
    };
    let result = tokio::task::spawn_blocking(work).await.map_err(HashError::failed);
    drop(slot);
    result
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: String) -> Result<String, HashError> {
    bounded(move || {
        // 16 random bytes from the v4 generator (a CSPRNG).
        let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(HashError::failed)?;
        argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(HashError::failed)
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_storm_is_turned_away_not_queued_without_limit() {
        let phc = hash("correct horse".into()).await.unwrap();
        let storm = cores() * (WAITING_PER_CORE + 1) + 64;
        let checks = (0..storm).map(|_| verify("correct horse".into(), phc.clone()));
        let results = futures_util::future::join_all(checks).await;
        let busy = results.iter().filter(|r| matches!(r, Err(HashError::Busy))).count();
        let verified = results.iter().filter(|r| matches!(r, Ok(true))).count();
        assert_eq!(busy + verified, storm, "every check either ran or was turned away");
        assert!(busy >= storm - cores() * (WAITING_PER_CORE + 1), "{busy} of {storm} turned away");
        assert!(verified >= cores(), "the slots kept working");
        assert_eq!(queue_depth(), 0, "no waiter is left counted");
    }
}
