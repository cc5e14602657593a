//! Limits on guessing (sign-in passwords, pairing codes) and the cap on
//! password hashing. Each guess is counted in the database *before* it is
//! checked ([`crate::db::Limits`]), per account and per client address, so
//! requests sent at once cannot outrun the count, and every instance on one
//! PostgreSQL shares it. Past a few guesses the next must wait, longer each
//! time: 429 with Retry-After. The client address is the TCP peer, or — only
//! when that peer is a proxy the settings trust — the address the proxy
//! puts in `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use super::error::ApiError;
use crate::db::{Attempt, Db, Rule};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;

/// Sign-in guesses at one account: five, then a wait from one second
/// doubling to a minute — the real user is slowed, never locked out.
pub const SIGN_IN_ACCOUNT: Rule = Rule {
    free: 5,
    first_delay_ms: SECOND,
    max_delay_ms: MINUTE,
    window_ms: 15 * MINUTE,
};

/// Sign-in guesses from one client address, at any accounts.
pub const SIGN_IN_ADDRESS: Rule = Rule {
    free: 20,
    first_delay_ms: SECOND,
    max_delay_ms: 15 * MINUTE,
    window_ms: 15 * MINUTE,
};

/// Pairing codes tried from one client address.
pub const PAIRING_ADDRESS: Rule = Rule {
    free: 10,
    first_delay_ms: SECOND,
    max_delay_ms: 10 * MINUTE,
    window_ms: 10 * MINUTE,
};

/// One counter an attempt goes under: what it counts (`sign-in-account`)
/// and whose (the email, the address).
pub struct Counter<'a> {
    pub name: &'static str,
    pub of: &'a str,
    pub rule: Rule,
}

/// The attempts one request took, to give back when it was no guess.
#[must_use]
pub struct Taken {
    keys: Vec<String>,
}

/// Takes an attempt under every counter, or none: 429 with Retry-After
/// when any of them must wait (logged with the counter's name only).
pub async fn take(db: &Db, route: &str, counters: &[Counter<'_>]) -> Result<Taken, ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let mut taken = Taken { keys: Vec::new() };
    for counter in counters {
        let key = hex::encode(Sha256::digest(
            format!("{}:{}", counter.name, counter.of).as_bytes(),
        ));
        match db.take_attempt(&key, &counter.rule, now).await? {
            Attempt::Taken => taken.keys.push(key),
            Attempt::Wait(ms) => {
                taken.give_back(db).await;
                tracing::warn!(
                    route,
                    limit = counter.name,
                    wait_ms = ms,
                    status = 429,
                    "refused: limit"
                );
                return Err(ApiError::too_many((ms as u64).div_ceil(1_000)));
            }
        }
    }
    Ok(taken)
}

impl Taken {
    /// The request was no wrong guess — refused before its guess was
    /// checked, or right — so it does not count. A right guess only gives
    /// its own attempt back: the count of the wrong ones stands. The limit
    /// is on wrong guesses, so a sign-in among guesses sent at once neither
    /// uses up the limit nor adds to it (its slot may go to a wrong guess
    /// that arrives after it, one of the limit's own).
    pub async fn give_back(self, db: &Db) {
        for key in self.keys {
            if let Err(e) = db.give_back_attempt(&key).await {
                tracing::warn!(error = %e, "an attempt could not be given back");
            }
        }
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy,
/// then the last address in `X-Forwarded-For` that is not one.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in forwarded.into_iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

/// The request's client address (see [`client_address`]).
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| ApiError::unavailable("The server cannot tell who is asking."))?;
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &app.settings.trusted_proxies,
        )))
    }
}

/// How long a request waits for a turn at password hashing before the
/// server says it is busy.
const HASHING_WAIT: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce() + Send>;

/// Password hashing, capped: one turn per core, each run on one of as many
/// threads kept for it. Each argon2 run holds 19 MiB and a core for about
/// 50 ms; more at once would only grow memory, and on threads of their own
/// the allocator keeps at most one such block per hashing thread.
pub struct Hashing {
    turns: Arc<Semaphore>,
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

impl Hashing {
    pub fn new() -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cores {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hashing-{n}"))
                .spawn(move || {
                    loop {
                        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "a password hashing thread could not start");
            }
        }
        Arc::new(Self {
            turns: Arc::new(Semaphore::new(cores)),
            jobs: Mutex::new(jobs),
        })
    }

    /// Runs `work` (a password hash or check) in its turn; 503 with
    /// Retry-After when no turn comes within a moment.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let Ok(Ok(turn)) =
            tokio::time::timeout(HASHING_WAIT, self.turns.clone().acquire_owned()).await
        else {
            tracing::warn!(status = 503, "refused: password hashing is at capacity");
            return Err(ApiError::busy(1));
        };
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _turn: OwnedSemaphorePermit = turn;
            let _ = done.send(work());
        });
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .map_err(|_| ApiError::unavailable("The server cannot check passwords now."))?;
        result
            .await
            .map_err(|_| ApiError::unavailable("The server cannot check passwords now."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_beyond_its_turns_answers_busy_with_retry_after() {
        let hashing = Hashing::new();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Every turn held for longer than a request waits.
        let held: Vec<_> = (0..cores)
            .map(|_| {
                let hashing = hashing.clone();
                tokio::spawn(async move {
                    hashing
                        .run(|| std::thread::sleep(HASHING_WAIT + Duration::from_secs(1)))
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let refused = hashing.run(|| ()).await.unwrap_err();
        assert_eq!(
            refused.status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        );
        for turn in held {
            assert!(turn.await.unwrap().is_ok());
        }
        // Once turns are free again, work runs.
        assert_eq!(hashing.run(|| 7).await.unwrap(), 7);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.4".parse().unwrap(),
        );
        assert_eq!(client_address(proxy, &headers, &[]), proxy);
        assert_eq!(
            client_address(proxy, &headers, &[proxy]),
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
        // A chain of trusted proxies is walked back to the first untrusted hop.
        let inner: IpAddr = "198.51.100.4".parse().unwrap();
        assert_eq!(
            client_address(proxy, &headers, &[proxy, inner]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(proxy, &headers, &[proxy]), proxy);
    }
}
