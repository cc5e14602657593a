//! A reminder delivered for real: the app window creates a session that
//! starts in about two minutes with a one-minute reminder; a notification
//! daemon (dunst) runs on the test's own D-Bus session bus, and dbus-monitor
//! records the Notify call the app makes. The body must be discreet: no
//! fellowship name. The app is locked (a passcode, then "Lock now") before
//! the reminder is due: it still arrives, clicking it shows the lock screen
//! and nothing else, and the session opens once the app is unlocked. After
//! a restart the reminder is not shown again.
//!
//! Run through `cargo xtask test` (Xvfb, dbus-run-session).

mod common;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Timelike, Utc};
use common::notifications::{self, notify_calls};
use common::*;

const ZONE: &str = "America/Denver";
const PASSCODE: &str = "204816";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_minute_reminder_arrives_on_the_bus_in_discreet_words_and_only_once() {
    let (daemon, _monitor, lines) = notifications::watch();

    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start_with(data.path(), &[("TZ", ZONE)]);
    let client = driver.open_app().await;

    // A session two to three minutes from now, on a whole minute, in Denver.
    let zone: chrono_tz::Tz = ZONE.parse().unwrap();
    let soon = (Utc::now() + TimeDelta::minutes(3)).with_timezone(&zone);
    let start = soon.with_second(0).unwrap().with_nanosecond(0).unwrap();
    let start_text = start.format("%Y-%m-%dT%H:%M").to_string();
    let clock = start.format("%H:%M").to_string();

    click(&client, "#nav-schedule").await;
    click(&client, "#add-event").await;
    fill(&client, "#event-title", "Tuesday NA meeting").await;
    wait_for(&client, "#event-kind")
        .await
        .select_by_value("twelve_step")
        .await
        .unwrap();
    // The zone field fills itself with the device's zone.
    let zone_input = wait_for(&client, "#event-zone").await;
    let filled = Instant::now() + WAIT;
    let zone_value = loop {
        let value = zone_input.prop("value").await.unwrap().unwrap_or_default();
        if !value.is_empty() || Instant::now() > filled {
            break value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        zone_value, ZONE,
        "new sessions default to the device's zone"
    );
    set_value(&client, "#event-start", &start_text).await;
    fill(&client, "#event-duration_minutes", "60").await;
    // Reminders are choices in a folded section: the default hour and
    // quarter-hour off, one minute added as the patient's own.
    click(&client, "details.fold:has(#event-reminders) > summary").await;
    click(&client, "#event-reminders label.chip[data-minutes='60']").await;
    click(&client, "#event-reminders label.chip[data-minutes='15']").await;
    fill(&client, "#event-reminder_minutes", "1").await;
    click(&client, "#event-reminder-add").await;
    wait_for(
        &client,
        "#event-reminders label.chip[data-minutes='1'] input:checked",
    )
    .await;
    click(&client, "#event-save").await;
    text_until(
        &client,
        "section[aria-labelledby='schedule-heading']",
        |t| t.contains("Tuesday NA meeting"),
    )
    .await;

    // Lock the app: the reminder must still come.
    click(&client, "#nav-settings").await;
    fill(&client, "#new-passcode", PASSCODE).await;
    fill(&client, "#new-passcode-again", PASSCODE).await;
    click(&client, "#lock-on").await;
    text_until(&client, "#lock-state", |t| t.contains("App lock is on")).await;
    click(&client, "#lock-app").await;
    wait_for(&client, "#passcode").await;

    // Only the session's notification on screen when it comes (a weekly
    // review, on by default, may have come at start on a Sunday evening).
    notifications::close_all();
    // The reminder is due one minute before the start.
    let deadline = Instant::now() + Duration::from_secs(200);
    let call = loop {
        // The session's reminder (a weekly review may also come, on a
        // Sunday evening, by default).
        if let Some(call) = notify_calls(&lines)
            .into_iter()
            .find(|c| c.len() >= 4 && c[3].starts_with("Group at"))
        {
            break call;
        }
        assert!(
            Instant::now() < deadline,
            "no notification within 200 s; monitor saw {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // String arguments in order: app name, icon, summary, body, then the
    // actions ("default", "Open") and hint keys.
    let (app, summary, body) = (&call[0], &call[2], &call[3]);
    println!("notification observed on the bus: app {app:?}, summary {summary:?}, body {body:?}");
    assert_eq!(app, "Steady");
    assert_eq!(summary, "Steady");
    assert!(
        body.starts_with(&format!("Group at {clock} (in ")),
        "{body}"
    );
    assert!(
        !body.contains("NA") && !body.contains("meeting"),
        "no fellowship name: {body}"
    );

    // Clicking it (dunst's default action) while locked shows the lock
    // screen and nothing of the session; unlocking opens the session.
    notifications::click_when_shown().await;
    let page = text_until(&client, "body", |t| t.contains("Steady is locked")).await;
    assert!(!page.contains("Tuesday NA meeting"), "{page}");
    fill(&client, "#passcode", PASSCODE).await;
    click(&client, "#unlock").await;
    text_until(&client, "#event-form-heading", |t| t == "Edit session").await;
    let title = wait_for(&client, "#event-title")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(
        title, "Tuesday NA meeting",
        "the clicked reminder's session is open"
    );
    client.close().await.unwrap();

    // Restart the app on the same data: it starts locked, and the reminder
    // is not shown again.
    let client = driver.open_app_at("#passcode").await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    client.close().await.unwrap();
    let calls: Vec<_> = notify_calls(&lines)
        .into_iter()
        .filter(|c| c.len() >= 4 && c[3].starts_with("Group at"))
        .collect();
    assert_eq!(
        calls.len(),
        1,
        "shown once, not again after the restart: {calls:?}"
    );
    drop(driver);
    drop(daemon);
}
