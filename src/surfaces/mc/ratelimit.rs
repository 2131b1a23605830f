//! MC's API rate limits (`ratelimitmc.go` at the seed's commit): token
//! buckets as Go's `x/time/rate` keeps them, per API (`/api/v1/usercreate`
//! has its own, every other route shares "Global"): all requests, per
//! client address for callers without a token, per user for callers with
//! one. A refusal is 429 with MC's message. Limits hold per instance; see
//! docs/ARCHITECTURE.md for what sharing them across replicas would take.
//!
//! The client address is the connection's: MC's echo reads
//! X-Forwarded-For first, which lets any client pick its own bucket.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Tokens per second and bucket size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

const fn rate(per_second: f64, burst: f64) -> Rate {
    Rate { per_second, burst }
}

/// One API's flows (MC's defaults); `None`: that flow is not limited.
#[derive(Clone, Copy)]
struct Flows {
    all: Option<Rate>,
    per_ip: Option<Rate>,
    per_user: Option<Rate>,
}

const GLOBAL: &str = "Global";
const USER_CREATE: &str = "/api/v1/usercreate";

fn flows(api: &str) -> Flows {
    match api {
        USER_CREATE => Flows { all: Some(rate(100.0, 5.0)), per_ip: Some(rate(2.0, 2.0)), per_user: None },
        _ => Flows {
            all: Some(rate(10000.0, 500.0)),
            per_ip: Some(rate(1000.0, 100.0)),
            per_user: Some(rate(1000.0, 100.0)),
        },
    }
}

/// MC tracks at most this many addresses and users per API.
const MAX_TRACKED: usize = 10_000;

struct Bucket {
    rate: Rate,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Self {
        Self { rate, tokens: rate.burst, at: now }
    }

    /// `rate.Limiter.Allow`: refill by the time passed, take one token.
    fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn refusal(&self) -> String {
        format!("Exceeded rate of {:.6} requests per second", self.rate.per_second)
    }
}

#[derive(Default)]
struct ApiBuckets {
    all: Option<Bucket>,
    ips: HashMap<String, Bucket>,
    users: HashMap<String, Bucket>,
}

fn keyed<'a>(map: &'a mut HashMap<String, Bucket>, key: &str, rate: Rate, now: Instant) -> &'a mut Bucket {
    if !map.contains_key(key) && map.len() >= MAX_TRACKED {
        // As MC: past the cap, forget arbitrary callers to make room.
        let excess: Vec<String> = map.keys().take(map.len() + 1 - MAX_TRACKED).cloned().collect();
        for key in excess {
            map.remove(&key);
        }
    }
    map.entry(key.to_owned()).or_insert_with(|| Bucket::new(rate, now))
}

/// Who is calling: a user (valid token) or else a client address.
pub enum Caller<'a> {
    User(&'a str),
    Address(&'a str),
}

#[derive(Default)]
pub struct Limiter {
    apis: Mutex<HashMap<&'static str, ApiBuckets>>,
}

impl Limiter {
    /// None if the request may go on; MC's 429 message otherwise. `route`
    /// is the matched route's path (MC's `c.Path()`).
    pub fn check(&self, route: &str, caller: Caller<'_>) -> Option<String> {
        let api = if route == USER_CREATE { USER_CREATE } else { GLOBAL };
        let flows = flows(api);
        let now = Instant::now();
        let mut apis = self.apis.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let buckets = apis.entry(api).or_default();
        // MC's order: per address, per user, then all requests; each stops
        // at its first refusal.
        let refused = match caller {
            Caller::Address(ip) => flows.per_ip.and_then(|rate| {
                let bucket = keyed(&mut buckets.ips, ip, rate, now);
                (!bucket.allow(now)).then(|| format!("Client exceeded api rate limit per ip. {}", bucket.refusal()))
            }),
            Caller::User(user) => flows.per_user.and_then(|rate| {
                let bucket = keyed(&mut buckets.users, user, rate, now);
                (!bucket.allow(now))
                    .then(|| format!("user \"{user}\" exceeded api rate limit per user. {}", bucket.refusal()))
            }),
        };
        let refused = refused.or_else(|| {
            flows.all.and_then(|rate| {
                let bucket = buckets.all.get_or_insert_with(|| Bucket::new(rate, now));
                (!bucket.allow(now)).then(|| bucket.refusal())
            })
        });
        refused.map(|error| format!("{route} is rejected, please retry later. Error is: {error}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_creation_allows_a_burst_of_two_per_address() {
        let limiter = Limiter::default();
        let create = |ip| limiter.check(USER_CREATE, Caller::Address(ip));
        assert_eq!(create("10.0.0.1"), None);
        assert_eq!(create("10.0.0.1"), None);
        assert_eq!(
            create("10.0.0.1").as_deref(),
            Some(
                "/api/v1/usercreate is rejected, please retry later. Error is: Client exceeded api rate limit per ip. Exceeded rate of 2.000000 requests per second."
            )
        );
        assert_eq!(create("10.0.0.2"), None, "another address has its own bucket");
    }

    #[test]
    fn all_requests_are_bounded_across_addresses() {
        let limiter = Limiter::default();
        let refusals: Vec<_> =
            (0..7).filter_map(|n| limiter.check(USER_CREATE, Caller::Address(&format!("10.0.1.{n}")))).collect();
        assert_eq!(
            refusals,
            vec![
                "/api/v1/usercreate is rejected, please retry later. Error is: Exceeded rate of 100.000000 requests per second."
                    .to_owned();
                2
            ]
        );
    }

    #[test]
    fn users_have_their_own_global_bucket() {
        let limiter = Limiter::default();
        let route = "/api/v1/auth/user/current";
        assert!((0..100).all(|_| limiter.check(route, Caller::User("alice")).is_none()));
        assert_eq!(
            limiter.check(route, Caller::User("alice")).as_deref(),
            Some(
                "/api/v1/auth/user/current is rejected, please retry later. Error is: user \"alice\" exceeded api rate limit per user. Exceeded rate of 1000.000000 requests per second."
            )
        );
        assert_eq!(limiter.check(route, Caller::User("bob")), None);
    }

    #[test]
    fn buckets_refill_with_time() {
        let start = Instant::now();
        let mut bucket = Bucket::new(rate(2.0, 2.0), start);
        assert!(bucket.allow(start) && bucket.allow(start) && !bucket.allow(start));
        assert!(bucket.allow(start + std::time::Duration::from_millis(500)));
    }
}
