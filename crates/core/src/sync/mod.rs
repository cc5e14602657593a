//! Sync with the clinic's server, protocol v1 (docs/ARCHITECTURE.md, "Sync protocol v1").
//!
//! Push sends the care-team records that changed since the server last
//! acknowledged them — only the fields the patient may write, never a
//! `private` record — and marks each one the server applied. Pull takes the
//! records changed after the stored cursor a page at a time, merges each
//! field by field into the local copy, and advances the cursor in the same
//! transaction that stores the page, so a crash mid-pull repeats a page
//! (harmless: the merge is idempotent) and never skips one.
//!
//! Nothing here logs; errors carry no record contents or tokens.
//!
//! The wire types are `steady_model::protocol`'s, shared with the server.
//! Here: the client that speaks HTTP ([`client`]), the store's sync SQL
//! ([`store`]), the pure merge of a pulled page ([`merge`]), and when to
//! sync ([`runner`]).

mod client;
mod link;
pub(crate) mod merge;
pub mod runner;
mod store;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use steady_model::protocol::{ConsentTerms, PairPreview};
use ts_rs::TS;

pub use client::SyncClient;
pub use link::{PairLink, SCHEME};

use crate::error::StoreError;

/// This device's pairing with a clinic. The token is a secret: it is never
/// shown, logged or printed (Debug leaves it out).
#[derive(Clone, Serialize, Deserialize)]
pub struct Pairing {
    /// The server's base URL, `https://clinic.example` (no trailing slash).
    pub server: String,
    pub token: String,
    pub patient_id: String,
    pub device_id: String,
    pub paired_at: DateTime<Utc>,
    /// The consent in force; none once the patient withdrew it.
    pub consent: Option<ConsentTerms>,
}

impl fmt::Debug for Pairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pairing")
            .field("server", &self.server)
            .field("patient_id", &self.patient_id)
            .field("device_id", &self.device_id)
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}

/// How the last attempts went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SyncLog {
    #[ts(optional = nullable)]
    pub last_success: Option<DateTime<Utc>>,
    #[ts(optional = nullable)]
    pub last_attempt: Option<DateTime<Utc>>,
    /// What went wrong last time, in words; none after a success.
    #[ts(optional = nullable)]
    pub last_error: Option<String>,
    /// Records the server refused last time, with its reasons.
    pub refused: Vec<Refusal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Refusal {
    pub id: String,
    pub kind: String,
    pub reason: String,
}
/// Everything the app shows about sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct SyncStatus {
    pub paired: bool,
    #[ts(optional = nullable)]
    pub server: Option<String>,
    #[ts(optional = nullable)]
    pub consent: Option<ConsentTerms>,
    /// Care-team changes the server has not acknowledged yet.
    pub pending: u32,
    /// Pulled records this version cannot read, kept aside.
    pub quarantined: u32,
    pub log: SyncLog,
}

/// Who at the clinic read or wrote this patient's records, as last fetched
/// from the clinic's audit log, newest first; kept on the device, so it
/// reads offline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Disclosures {
    pub entries: Vec<steady_model::protocol::Disclosure>,
    /// Older entries were not fetched.
    pub more: bool,
    /// When the list was fetched; none before the first time.
    #[ts(optional = nullable)]
    pub fetched_at: Option<DateTime<Utc>>,
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct SyncReport {
    pub pushed: u32,
    pub refused: u32,
    pub pulled: u32,
}

/// Why a sync did not complete, in words the patient can act on.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "This device is not paired with a clinic. Pair it in Settings to share with your care team."
    )]
    NotPaired,
    #[error(
        "Sharing with your clinic is off, so nothing is sent. Turn it back on in Settings to sync."
    )]
    NoConsent,
    #[error("{0}")]
    BadServer(String),
    /// A pairing code that could not have been handed out (a typo, or not
    /// a code's shape); found before asking the server.
    #[error("{0}")]
    BadCode(&'static str),
    #[error(
        "Steady could not reach your clinic's server at {host}. You may be offline; it will try again."
    )]
    Unreachable { host: String },
    #[error("Your clinic's server did not answer in time. Steady will try again.")]
    Timeout,
    #[error(
        "This device is no longer paired with your clinic. Ask your counselor for a new code and pair again."
    )]
    Unpaired,
    #[error(
        "Your clinic has no active consent from you, so nothing is shared. Give consent again in Settings to sync."
    )]
    ConsentRequired,
    #[error("Your clinic's server refused the request: {0}")]
    Refused(String),
    #[error("Your clinic's server had a problem (HTTP {0}). Steady will try again.")]
    Server(u16),
    /// The server is busy, or this device synced too often: try later.
    #[error("Your clinic's server asked Steady to wait {0} seconds; it will try again then.")]
    Busy(u64),
    #[error(
        "Your clinic's server answered in a way this version of Steady does not understand ({0}). Steady will try again; updating the app may help."
    )]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether trying again later may succeed without the patient doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Unreachable { .. }
                | SyncError::Timeout
                | SyncError::Server(_)
                | SyncError::Busy(_)
                | SyncError::Protocol(_)
                | SyncError::Store(_)
        )
    }
}

/// Checks a server address as typed: https, or http to this machine only
/// (for a server started with `cargo xtask server`). Answers the base URL
/// without a trailing slash.
pub fn server_url(text: &str) -> Result<String, SyncError> {
    let text = text.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(text).map_err(|_| {
        SyncError::BadServer(format!(
            "\"{}\" is not a web address; type the address your clinic gave you, like https://steady.clinic.example.",
            text.chars().take(80).collect::<String>()
        ))
    })?;
    let local = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(SyncError::BadServer(
                "The address must start with https:// so your records travel encrypted.".into(),
            ));
        }
        _ => {
            return Err(SyncError::BadServer(
                "The address must start with https://.".into(),
            ));
        }
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(SyncError::BadServer(
            "Type only the server's address, like https://steady.clinic.example.".into(),
        ));
    }
    Ok(text.to_owned())
}

/// When to try again after `failures` failed attempts in a row: doubling
/// from `base` up to `cap`, each wait drawn uniformly from its upper half
/// (jitter), so many devices coming back online do not arrive together.
pub fn backoff(failures: u32, base: Duration, cap: Duration, unit_random: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.min(20));
    let ceiling = exp.min(cap);
    ceiling.mul_f64(0.5 + 0.5 * unit_random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(300);
        assert_eq!(backoff(0, base, cap, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(0, base, cap, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_secs(16));
        assert_eq!(backoff(30, base, cap, 1.0), cap);
        assert_eq!(backoff(30, base, cap, 0.0), Duration::from_secs(150));
    }

    #[test]
    fn a_server_address_must_be_https_unless_it_is_this_machine() {
        assert_eq!(
            server_url(" https://steady.clinic.example/ ").unwrap(),
            "https://steady.clinic.example"
        );
        assert_eq!(
            server_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(
            server_url("http://steady.clinic.example")
                .unwrap_err()
                .to_string()
                .contains("https://")
        );
        assert!(
            server_url("clinic")
                .unwrap_err()
                .to_string()
                .contains("not a web address")
        );
        assert!(server_url("ftp://x.example").is_err());
    }

    #[test]
    fn the_token_never_prints() {
        let p = Pairing {
            server: "https://c.example".into(),
            token: "SECRET-TOKEN".into(),
            patient_id: "p".into(),
            device_id: "d".into(),
            paired_at: Utc::now(),
            consent: None,
        };
        assert!(!format!("{p:?}").contains("SECRET"));
    }
}
