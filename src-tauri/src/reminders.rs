//! The reminder task: one task that sleeps until the next reminder is due,
//! delivers it, and plans again. It wakes early when the schedule or the
//! settings change (commands call [`Reminders::replan`]) and when the wall
//! clock is set or the machine resumes ([`crate::wall_clock`]).
//!
//! Each reminder is claimed in the store before it is shown, so a restart
//! never repeats one; a reminder missed while the app was closed comes once
//! on start if its session has not begun (the planner decides that).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use steady_core::{ErrorReport, Reminder};
use tauri::{AppHandle, Manager};
use tokio::sync::Notify;

use crate::OpenedStore;
use crate::wall_clock::sleep_until;
use crate::zone::device_zone;

/// The event the UI listens to when a notification is clicked: its payload
/// is the session's record id.
pub const OPEN_EVENT: &str = "open-event";

/// The event the UI listens to when the weekly review's notification is
/// clicked: it shows the review.
pub const OPEN_REVIEW_EVENT: &str = "open-review";

/// The event the UI listens to when a new message's notification is
/// clicked: it shows Today, where the messages are.
pub const OPEN_MESSAGES_EVENT: &str = "open-messages";

/// A handle on the reminder task, kept in managed state.
pub struct Reminders {
    wake: Arc<Notify>,
}

impl Reminders {
    /// Starts the task on Tauri's runtime.
    pub fn start(app: &AppHandle) -> Self {
        let wake = Arc::new(Notify::new());
        tauri::async_runtime::spawn(run(app.clone(), wake.clone()));
        Self { wake }
    }

    /// Asks the task to plan again, after a change to the schedule or settings.
    pub fn replan(&self) {
        self.wake.notify_one();
    }
}

async fn run(app: AppHandle, wake: Arc<Notify>) {
    loop {
        let next = match deliver_due(&app).await {
            Ok(next) => next,
            Err(report) => {
                // The words may name a file path, never a record's contents.
                eprintln!(
                    "steady: reminders could not be planned: {}",
                    kind_of(&report)
                );
                Some(Utc::now() + chrono::TimeDelta::minutes(1))
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = sleep_until(next) => {}
        }
    }
}

fn kind_of(report: &ErrorReport) -> &'static str {
    match report {
        ErrorReport::Invalid { .. } => "invalid data",
        ErrorReport::NotFound { .. } => "missing record",
        ErrorReport::Storage { .. } => "storage error",
        ErrorReport::Locked { .. } => "locked",
    }
}

/// Delivers everything due now; returns when the next one is due.
async fn deliver_due(app: &AppHandle) -> Result<Option<DateTime<Utc>>, ErrorReport> {
    // Until the log is open (still opening, or waiting on the passphrase
    // or recovery screen) there is nothing to plan: the task waits, and
    // opening the log wakes it (`replan`).
    let Some(store) = app
        .try_state::<OpenedStore>()
        .and_then(|opened| opened.store().ok())
    else {
        return Ok(None);
    };
    let zone = device_zone();
    loop {
        let now = Utc::now();
        let planned = store.plan_reminders(now, zone, 16).await?;
        if planned.is_empty() {
            return Ok(None);
        }
        for reminder in &planned {
            if reminder.due > now {
                return Ok(Some(reminder.due));
            }
            if store.claim_delivery(reminder, now).await? {
                show(app, reminder).await;
            }
        }
    }
}

/// What a click on a notification opens.
#[derive(Clone, Copy)]
enum Opens {
    /// The session a reminder is for.
    Session(steady_model::RecordId),
    /// Today, where the care team's messages are.
    Messages,
    /// The weekly review.
    Review,
}

async fn show(app: &AppHandle, reminder: &Reminder) {
    let opens = match reminder.key {
        steady_core::ReminderKey::WeeklyReview { .. } => Some(Opens::Review),
        _ => reminder.event.map(Opens::Session),
    };
    notify(app, &reminder.summary, &reminder.body, opens).await;
}

/// Announces messages from the care team that arrived since the last
/// announcement, in words safe on a lock screen: who sent it and what it
/// says stay inside the app (and behind its lock).
pub async fn announce_messages(app: &AppHandle) {
    let Some(store) = app
        .try_state::<OpenedStore>()
        .and_then(|opened| opened.store().ok())
    else {
        return;
    };
    // One at a time, so two syncs finishing together announce a message once.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    match store.announce_new_messages().await {
        Ok(0) => {}
        Ok(_) => {
            notify(
                app,
                MESSAGE_SUMMARY,
                "Open Steady to read it.",
                Some(Opens::Messages),
            )
            .await
        }
        Err(e) => eprintln!(
            "steady: new messages could not be announced: {}",
            kind_of(&ErrorReport::from(e))
        ),
    }
}

/// A new message's notification says this and nothing of the message.
pub const MESSAGE_SUMMARY: &str = "New message from your care team";

#[cfg(desktop)]
async fn notify(app: &AppHandle, summary: &str, body: &str, opens: Option<Opens>) {
    let mut notification = notify_rust::Notification::new();
    notification.appname("Steady").summary(summary).body(body);
    #[cfg(all(unix, not(target_os = "macos")))]
    if opens.is_some() {
        // The "default" action is what a click on the notification sends.
        notification.action("default", "Open");
    }
    match notification.show_async().await {
        Ok(handle) => {
            #[cfg(all(unix, not(target_os = "macos")))]
            if let Some(opens) = opens {
                let app = app.clone();
                // Waiting for the click blocks; it ends when the notification closes.
                tauri::async_runtime::spawn_blocking(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            open(&app, opens);
                        }
                    })
                });
            }
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            let _ = (handle, app, opens);
        }
        Err(e) => eprintln!("steady: a notification could not be shown: {e}"),
    }
}

#[cfg(mobile)]
async fn notify(app: &AppHandle, summary: &str, body: &str, _opens: Option<Opens>) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(e) = app
        .notification()
        .builder()
        .title(summary)
        .body(body)
        .show()
    {
        eprintln!("steady: a notification could not be shown: {e}");
    }
}

/// Brings the window forward and tells the UI what to show.
#[cfg(all(desktop, unix, not(target_os = "macos")))]
fn open(app: &AppHandle, opens: Opens) {
    use tauri::Emitter;
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    let _ = match opens {
        Opens::Session(id) => app.emit(OPEN_EVENT, id.to_string()),
        Opens::Messages => app.emit(OPEN_MESSAGES_EVENT, ()),
        Opens::Review => app.emit(OPEN_REVIEW_EVENT, ()),
    };
}
