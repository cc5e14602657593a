//! When to sync: once on start, a short while after the patient's last
//! change (debounced, so a burst of edits is one sync), periodically while
//! the app runs, and — while the server cannot be reached — again after an
//! exponentially growing, jittered wait. Between those it sleeps: no polling.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::store::Store;
use crate::sync::{SyncClient, SyncError, SyncStatus, backoff};

/// The runner's timings.
#[derive(Clone, Debug)]
pub struct Timing {
    /// How long after the last change to wait before syncing.
    pub debounce: Duration,
    /// How often to sync while nothing else prompts it.
    pub period: Duration,
    /// The first wait after a failure; it doubles from there.
    pub backoff_base: Duration,
    /// The longest wait after failures.
    pub backoff_cap: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            debounce: Duration::from_secs(3),
            period: Duration::from_secs(5 * 60),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(10 * 60),
        }
    }
}

/// A running sync loop; dropping it does not stop it, [`SyncRunner::stop`] does.
pub struct SyncRunner {
    now: Arc<Notify>,
    task: JoinHandle<()>,
}

impl SyncRunner {
    /// Starts the loop on the current Tokio runtime. `report` gets the sync
    /// status after every attempt (the UI shows it).
    pub fn start(
        store: Arc<Store>,
        client: SyncClient,
        timing: Timing,
        report: impl Fn(SyncStatus) + Send + Sync + 'static,
    ) -> Self {
        let now = Arc::new(Notify::new());
        let task = tokio::spawn(run(store, client, timing, now.clone(), report));
        Self { now, task }
    }

    /// Syncs as soon as possible, whatever the backoff says (a "Sync now" tap,
    /// or a new pairing).
    pub fn sync_now(&self) {
        self.now.notify_one();
    }

    pub fn stop(&self) {
        self.task.abort();
    }
}

async fn run(
    store: Arc<Store>,
    client: SyncClient,
    timing: Timing,
    now: Arc<Notify>,
    report: impl Fn(SyncStatus),
) {
    let mut changes = store.subscribe();
    let mut failures: u32 = 0;
    // On start: right away.
    let mut next = Instant::now();
    // A change seen but not yet synced, and when it may be.
    let mut debounced: Option<Instant> = None;
    loop {
        let wake = debounced.map_or(next, |d| if failures == 0 { d.min(next) } else { next });
        tokio::select! {
            () = sleep_until(wake) => {}
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                debounced = Some(Instant::now() + timing.debounce);
                continue;
            }
            () = now.notified() => {}
        }
        debounced = None;
        let paired = matches!(store.pairing().await, Ok(Some(p)) if p.consent.is_some());
        if !paired {
            // Nothing to do until a pairing or a consent, which come with sync_now.
            next = Instant::now() + timing.period;
            if let Ok(status) = store.sync_status().await {
                report(status);
            }
            continue;
        }
        match client.sync(&store).await {
            Ok(_) => {
                failures = 0;
                next = Instant::now() + timing.period;
            }
            Err(e) if e.is_transient() => {
                let mut wait = backoff(
                    failures,
                    timing.backoff_base,
                    timing.backoff_cap,
                    fastrand::f64(),
                );
                // A server that says how long to wait is taken at its word.
                if let SyncError::Busy(seconds) = e {
                    wait = wait.max(Duration::from_secs(seconds.min(3_600)));
                }
                next = Instant::now() + wait;
                failures = failures.saturating_add(1);
            }
            Err(_) => {
                // The patient has to act (pair again, consent again); until
                // then, try at the usual pace.
                failures = 0;
                next = Instant::now() + timing.period;
            }
        }
        if let Ok(status) = store.sync_status().await {
            report(status);
        }
    }
}
