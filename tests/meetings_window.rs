//! 12-step meetings in the real Steady window (tauri-driver ->
//! WebKitWebDriver -> the built app, under Xvfb, with dunst on the test's
//! D-Bus session): a Meeting Guide feed file with in-person, online and
//! hybrid meetings in two zones is read, searched for in-person meetings,
//! one is added to the schedule, and its reminder comes on the notification
//! bus in words that name no fellowship; a changed feed read again updates
//! it and names the meeting that went; a malformed feed is refused naming
//! the meeting and the field. axe-core finds nothing; screenshots at
//! 360x640 and 1280x800.
//!
//! Files reach the page's file input as File objects (the GTK file chooser
//! is the platform's and is not what is tested here).

mod common;

use std::time::{Duration, Instant};

use chrono::{Datelike, TimeDelta, Timelike};
use common::notifications::{self, notify_calls};
use common::*;
use fantoccini::Client;
use serde_json::{Value, json};

const ZONE: &str = "America/Denver";

async fn give_file(client: &Client, css: &str, name: &str, text: &str) {
    client
        .execute(
            "const input = document.querySelector(arguments[0]);
             const files = new DataTransfer();
             files.items.add(new File([arguments[2]], arguments[1], { type: 'application/json' }));
             input.files = files.files;
             input.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![json!(css), json!(name), json!(text)],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_from_a_feed_is_found_added_reminded_and_updated() {
    let (daemon, _monitor, lines) = notifications::watch();
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start_with(data.path(), &[("TZ", ZONE)]);
    let client = driver.open_app().await;
    let before = notify_calls(&lines).len();

    // A meeting 17 minutes from now in Denver, so its 15-minute reminder
    // comes within the test.
    let at = chrono::Utc::now().with_timezone(&chrono_tz::America::Denver) + TimeDelta::minutes(17);
    let at = at.with_second(0).unwrap();
    let day = at.weekday().num_days_from_sunday();
    let clock = at.format("%H:%M").to_string();
    let feed = json!([
        {"name": "Evening Hope", "slug": "evening-hope", "day": day, "time": clock,
         "end_time": (at + TimeDelta::minutes(60)).format("%H:%M").to_string(),
         "location": "Alano Club", "address": "123 Main Street", "city": "Denver",
         "state": "CO", "types": ["O", "BE"], "timezone": ZONE},
        {"name": "Early Birds Online", "slug": "early-birds", "day": [1, 3, 5], "time": "07:00",
         "conference_url": "https://zoom.example/j/5551234", "formatted_address": "Denver, CO, USA",
         "approximate": "yes", "types": ["C", "W"], "timezone": ZONE},
        {"name": "Grupo Esperanza", "slug": "4412", "day": (day + 1) % 7, "time": "19:30",
         "location": "St. Mark's Hall", "formatted_address": "200 Elm St, Brooklyn, NY 11201, USA",
         "conference_url": "https://meet.example/esperanza", "types": ["O", "S"],
         "timezone": "America/New_York"}
    ]);
    click(&client, "#nav-schedule").await;
    wait_for(&client, "#feed-file").await;
    give_file(
        &client,
        "#feed-file",
        "district-123.json",
        &feed.to_string(),
    )
    .await;
    let said = text_until(&client, "#meetings-message", |t| t.starts_with("Kept")).await;
    assert_eq!(said, "Kept 3 meetings from district-123.json.");

    // In person: the hybrid one too, not the online one.
    client
        .execute(
            "const s = document.getElementById('meeting-attendance');
             s.value = 'in_person'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    click(&client, "#meeting-find").await;
    let results = text_until(&client, "#meeting-results", |t| t.contains("Evening Hope")).await;
    assert!(results.contains("Grupo Esperanza"), "{results}");
    assert!(!results.contains("Early Birds"), "{results}");
    assert!(results.contains("America/New_York"), "{results}");
    axe(&client, "the meetings found").await;
    for (width, height) in [(360, 640), (1280, 800)] {
        client.set_window_size(width, height).await.unwrap();
        show(&client, "#meetings-found").await;
        check_layout(&client, width, height, "meetings-found", &shots).await;
    }
    client.set_window_size(1280, 800).await.unwrap();
    click(&client, "li[data-slug='evening-hope'] button.add-meeting").await;
    text_until(&client, "#meetings-message", |t| {
        t.starts_with("Added “Evening Hope”")
    })
    .await;
    text_until(&client, "li[data-slug='evening-hope']", |t| {
        t.contains("On your schedule")
    })
    .await;

    // Its reminder, lock-screen safe.
    let deadline = Instant::now() + Duration::from_secs(200);
    let call = loop {
        if let Some(call) = notify_calls(&lines)
            .into_iter()
            .skip(before)
            .find(|c| c.len() >= 4 && c[3].starts_with("Group at"))
        {
            break call;
        }
        assert!(
            Instant::now() < deadline,
            "no reminder within 200 s; monitor saw {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!("notification observed on the bus: {call:?}");
    assert!(
        call[3].starts_with(&format!("Group at {clock} (in ")),
        "{call:?}"
    );
    for secret in ["Evening Hope", "Alano", "AA", "NA "] {
        assert!(
            !call[2].contains(secret) && !call[3].contains(secret),
            "{call:?}"
        );
    }

    // The service body's newer list: Evening Hope renamed, Grupo Esperanza gone.
    let mut newer = feed.clone();
    newer[0]["name"] = Value::from("Evening Hope Newcomers");
    newer.as_array_mut().unwrap().remove(2);
    give_file(
        &client,
        "#feed-file",
        "district-123.json",
        &newer.to_string(),
    )
    .await;
    let said = text_until(&client, "#meetings-message", |t| t.contains("Kept 2")).await;
    assert!(said.contains("Updated: “Evening Hope Newcomers”"), "{said}");
    let page = text_until(
        &client,
        "section[aria-labelledby='schedule-heading']",
        |t| t.contains("Evening Hope Newcomers"),
    )
    .await;
    assert!(page.contains("Map"), "the place is one tap from a map");

    // A malformed feed: refused, naming the meeting and the field.
    let mut bad = newer.clone();
    bad[1]["day"] = Value::from(9);
    give_file(&client, "#feed-file", "broken.json", &bad.to_string()).await;
    let refused = text_until(&client, "#meetings-error", |t| !t.is_empty()).await;
    assert!(
        refused.contains("Meeting 2 (\"early-birds\"), day: 9 is not a day"),
        "{refused}"
    );
    client.set_window_size(360, 640).await.unwrap();
    show(&client, "#meetings-error").await;
    check_layout(&client, 360, 640, "meetings-refused", &shots).await;
    client.close().await.unwrap();
    drop(driver);
    drop(daemon);
}
