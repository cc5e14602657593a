//! Live changes: which patient's shared records just changed, so an open
//! caseload can refresh without a reload. Only patient ids travel, never a
//! record's contents. On SQLite (one instance) they are handed round in
//! memory; instances sharing PostgreSQL hear each other's, and their own,
//! through LISTEN/NOTIFY.

use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use sqlx::PgPool;

/// The PostgreSQL channel changes are announced on.
pub const CHANNEL: &str = "steady_changes";

/// Changes waiting for a slow listener before it misses some (it then
/// hears [`Change::Missed`] and refreshes everything).
const BACKLOG: usize = 1024;

/// What a subscriber hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The patient's shared records changed.
    Patient(String),
    /// Changes came faster than this subscriber took them; some are lost.
    Missed,
}

/// The live-change hub of one server instance.
#[derive(Clone)]
pub struct Live {
    /// Where announcements go: PostgreSQL's NOTIFY, which every instance
    /// hears (this one too), or none on SQLite, where they stay in memory.
    notify: Option<PgPool>,
    tx: broadcast::Sender<String>,
    /// Set when the server stops, which ends every subscription (an open
    /// event stream would otherwise hold a graceful shutdown forever).
    closed: std::sync::Arc<watch::Sender<bool>>,
}

impl Live {
    /// The hub: in memory for one instance (SQLite), or, given the
    /// PostgreSQL database the instances share, through it, with the task
    /// that listens for every instance's announcements (stop it with the
    /// server).
    pub async fn start(
        postgres: Option<PgPool>,
    ) -> Result<(Self, Option<JoinHandle<()>>), sqlx::Error> {
        let (tx, _) = broadcast::channel(BACKLOG);
        let listening = match &postgres {
            None => None,
            Some(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(CHANNEL).await?;
                let tx = tx.clone();
                Some(tokio::spawn(async move {
                    loop {
                        match listener.recv().await {
                            Ok(n) => {
                                let _ = tx.send(n.payload().to_owned());
                            }
                            Err(e) => {
                                // recv reconnects by itself; this is a failed reconnect.
                                tracing::warn!(error = %e, "live changes: listener lost, retrying");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                    }
                }))
            }
        };
        let closed = std::sync::Arc::new(watch::Sender::new(false));
        Ok((
            Self {
                notify: postgres,
                tx,
                closed,
            },
            listening,
        ))
    }

    /// Announces that the patient's records changed. Best effort: a lost
    /// announcement costs an open page one refresh, never data.
    pub async fn changed(&self, patient_id: &str) {
        let Some(pool) = &self.notify else {
            let _ = self.tx.send(patient_id.to_owned());
            return;
        };
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(patient_id)
            .execute(pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "live changes: could not announce");
        }
    }

    /// Subscriptions open now: each open live-update stream holds one.
    pub fn open_streams(&self) -> usize {
        self.tx.receiver_count()
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription {
            changes: self.tx.subscribe(),
            closed: self.closed.subscribe(),
        }
    }

    /// Ends every subscription, now and to come.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }
}

/// One listener's changes, in order.
pub struct Subscription {
    changes: broadcast::Receiver<String>,
    closed: watch::Receiver<bool>,
}

impl Subscription {
    /// The next change; none once the server stops.
    pub async fn next(&mut self) -> Option<Change> {
        tokio::select! {
            received = self.changes.recv() => match received {
                Ok(patient_id) => Some(Change::Patient(patient_id)),
                Err(broadcast::error::RecvError::Lagged(_)) => Some(Change::Missed),
                Err(broadcast::error::RecvError::Closed) => None,
            },
            _ = self.closed.wait_for(|closed| *closed) => None,
        }
    }
}
