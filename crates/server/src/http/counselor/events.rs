//! Live: which of this counselor's patients just had records change, as
//! server-sent events. Ids only: reading what changed stays an audited
//! request.

use std::collections::HashSet;
use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;

use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::{ApiError, ErrorBody};
use crate::live::Change;

/// Live: which of this counselor's patients just had records change, as
/// server-sent events — `changed` with `{"patient_id": ...}`, or `missed`
/// when some were lost and the page should refresh everything. Ids only:
/// reading what changed stays an audited request.
#[utoipa::path(get, path = "/v1/caseload/events", tag = "care",
    responses(
        (status = 200, description = "An event stream (text/event-stream)", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody),
    ))]
pub async fn caseload_events(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let counselor = staff.session.user.id.clone();
    let mine: HashSet<String> = app
        .db
        .patients_of(&counselor)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut session_check = tokio::time::interval(SESSION_CHECK);
    session_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let watch = Watch {
        subscription: app.live.subscribe(),
        app,
        counselor,
        token_hash: staff.token_hash,
        session_check,
        mine,
        others: HashSet::new(),
    };
    let stream = futures_util::stream::unfold(watch, |mut watch| async move {
        let event = watch.next().await?;
        Some((Ok(event), watch))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// How often an open event stream checks that its session has not ended
/// (signed out, or idle on every other page).
const SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// One counselor's view of the live changes.
struct Watch {
    app: AppState,
    counselor: String,
    /// The session that opened the stream; the stream ends with it.
    token_hash: String,
    session_check: tokio::time::Interval,
    subscription: crate::live::Subscription,
    mine: HashSet<String>,
    /// Patients seen not to be on this caseload.
    others: HashSet<String>,
}

impl Watch {
    /// The next event for this counselor; none once the server stops or
    /// the session ends. Checking the session does not count as activity,
    /// so an open stream never keeps an idle session alive.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            let change = tokio::select! {
                change = self.subscription.next() => change?,
                _ = self.session_check.tick() => {
                    let now = crate::db::now_ms();
                    let open = crate::http::auth::open_sessions(&self.app, now);
                    match self.app.db.session_open(&self.token_hash, open).await {
                        Ok(true) => continue,
                        Ok(false) => return None,
                        Err(e) => {
                            tracing::warn!(error = %e, "event stream: could not check the session");
                            continue;
                        }
                    }
                }
            };
            let patient_id = match change {
                Change::Missed => return Some(SseEvent::default().event("missed").data("{}")),
                Change::Patient(id) => id,
            };
            if self.others.contains(&patient_id) {
                continue;
            }
            if !self.mine.contains(&patient_id) {
                // Perhaps added to the caseload since the page opened.
                match self.app.db.patient_of(&self.counselor, &patient_id).await {
                    Ok(Some(_)) => {
                        self.mine.insert(patient_id.clone());
                    }
                    _ => {
                        self.others.insert(patient_id);
                        continue;
                    }
                }
            }
            let data = serde_json::json!({ "patient_id": patient_id }).to_string();
            return Some(SseEvent::default().event("changed").data(data));
        }
    }
}
