//! Limits on failed attempts (logins, pairing codes). Failures are counted
//! per client address (the TCP peer, never X-Forwarded-For, which a client
//! can set to anything) and, for logins, per account, over a sliding window;
//! past the limit the answer is 429 with Retry-After. Kept in memory: each
//! server instance counts its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    window: Duration,
    per_address: usize,
    /// None when attempts name no account (pairing codes).
    per_account: Option<usize>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl FailureLimiter {
    pub fn new(window: Duration, per_address: usize, per_account: Option<usize>) -> Self {
        Self {
            window,
            per_address,
            per_account,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The counters an attempt touches, each with its limit.
    fn keys(&self, address: IpAddr, account: Option<&str>) -> Vec<(String, usize)> {
        let mut keys = vec![(format!("ip:{address}"), self.per_address)];
        if let (Some(account), Some(limit)) = (account, self.per_account) {
            keys.push((format!("account:{}", account.to_lowercase()), limit));
        }
        keys
    }

    /// Seconds to wait if this address or account is over its limit.
    pub fn check(&self, address: IpAddr, account: Option<&str>) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, limit) in self.keys(address, account) {
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

    pub fn record_failure(&self, address: IpAddr, account: Option<&str>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in self.keys(address, account) {
            failures.entry(key).or_default().push(now);
        }
    }
}
