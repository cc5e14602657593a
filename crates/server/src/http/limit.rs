//! Failed-login limits. Failures are counted per client address (the TCP
//! peer, never X-Forwarded-For, which a client can set to anything) and per
//! account, over a sliding window; past the limit the answer is 429 with
//! Retry-After. Kept in memory: each server instance counts its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    window: Duration,
    per_address: usize,
    per_account: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(window: Duration, per_address: usize, per_account: usize) -> Self {
        Self {
            window,
            per_address,
            per_account,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(address: IpAddr, account: &str) -> [(String, bool); 2] {
        [
            (format!("ip:{address}"), true),
            (format!("account:{}", account.to_lowercase()), false),
        ]
    }

    /// Seconds to wait if this address or account is over its limit.
    pub fn check(&self, address: IpAddr, account: &str) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, is_address) in Self::keys(address, account) {
            let limit = if is_address {
                self.per_address
            } else {
                self.per_account
            };
            if let Some(times) = failures.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < self.window);
                if times.len() >= limit
                    && let Some(oldest) = times.first()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    let secs = left.as_secs() + 1;
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn record_failure(&self, address: IpAddr, account: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in Self::keys(address, account) {
            failures.entry(key).or_default().push(now);
        }
    }
}
