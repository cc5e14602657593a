//! The weekly review for real: a seeded week (three check-ins, a group,
//! a worksheet done, a trigger, the plan's reason) against the week before;
//! the review's time set to earlier today, so the app, started, gives the
//! review it missed at once. Its notification is observed on the test's
//! D-Bus session ("Your week in Steady is ready", nothing more), clicking
//! it opens the review in the real window with the week's figures; saved as
//! a journal entry, it is private. axe-core finds nothing on the review and
//! on Settings with "Your data"; screenshots of both at 360x640 and 1280x800.

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use common::notifications::{self, notify_calls};
use common::*;
use steady_core::{ListQuery, ReminderSettings, WeeklyReviewTime};
use steady_model::{
    Attendance, AttendanceDraft, CheckIn, CheckInDraft, Day, Event, EventDraft, JournalEntry,
    PlanDraft, ProgramDraft, TriggerDraft, TriggerEntry, Visibility, Worksheet, WorksheetDraft,
    WorksheetStatus,
};

const ZONE: &str = "America/Denver";

async fn keep_two_weeks(data: &std::path::Path, zone: Tz) {
    let store = app_store(&data.join("steady")).await;
    let now = Utc::now().with_timezone(&zone);
    let today = now.date_naive();
    let monday = steady_model::schedule::week_start(today);
    let minutes_ago = |m: i64| (now - TimeDelta::minutes(m)).fixed_offset();
    let this_week = [(6, &["Walk"][..]), (8, &["Walk"][..]), (3, &[][..])];
    let mut checkins: Vec<CheckInDraft> = this_week
        .iter()
        .enumerate()
        .map(|(i, (craving, coping))| CheckInDraft {
            at: Some(minutes_ago(3 + i as i64)),
            craving: *craving,
            coping: coping.iter().map(|s| (*s).to_owned()).collect(),
            outcome: Some("resisted".into()),
            visibility: Visibility::Private,
            ..CheckInDraft::default()
        })
        .collect();
    for (day, craving) in [(1, 4), (2, 2)] {
        let at = (monday - TimeDelta::weeks(1) + TimeDelta::days(day))
            .and_hms_opt(20, 0, 0)
            .unwrap()
            .and_local_timezone(zone)
            .unwrap()
            .fixed_offset();
        checkins.push(CheckInDraft {
            at: Some(at),
            craving,
            visibility: Visibility::Private,
            ..CheckInDraft::default()
        });
    }
    store.create_all::<CheckIn>(checkins).await.unwrap();
    store
        .create::<TriggerEntry>(TriggerDraft {
            at: Some(minutes_ago(20)),
            category: "places".into(),
            description: "Drove past the bar".into(),
            intensity: 6,
            visibility: Visibility::Private,
            ..TriggerDraft::default()
        })
        .await
        .unwrap();
    store
        .save_program(ProgramDraft {
            level: "iop".into(),
            clinic: "Riverside".into(),
            start: Some(today - TimeDelta::days(20)),
            visibility: Visibility::Private,
            ..ProgramDraft::default()
        })
        .await
        .unwrap();
    let group = store
        .create::<Event>(EventDraft {
            title: "Relapse-prevention group".into(),
            kind: "relapse_prevention".into(),
            start: Some((today - TimeDelta::days(20)).and_hms_opt(18, 0, 0).unwrap()),
            zone: ZONE.into(),
            duration_minutes: 180,
            ..EventDraft::default()
        })
        .await
        .unwrap();
    let at = minutes_ago(30);
    store
        .create::<Attendance>(AttendanceDraft {
            event_id: group.id,
            occurrence: at.naive_local(),
            at,
            status: "attended".into(),
            minutes: 180,
            visibility: Visibility::Private,
        })
        .await
        .unwrap();
    let answers = serde_json::json!({"frequency": ["3"], "intensity": ["4"], "duration": ["2"], "resistance": ["1"], "overall": ["3"]});
    store
        .create::<Worksheet>(WorksheetDraft {
            template: "pacs".into(),
            version: "1.0.0".into(),
            status: WorksheetStatus::Complete,
            started: Some(minutes_ago(40)),
            completed: None,
            answers: serde_json::from_value(answers).unwrap(),
            visibility: Visibility::Private,
            assignment: None,
        })
        .await
        .unwrap();
    store
        .save_plan(PlanDraft {
            reasons: vec!["To be there for my kids".into()],
            visibility: Visibility::Private,
            ..PlanDraft::default()
        })
        .await
        .unwrap();
    // Today, at midnight: missed while the app was closed, due at start.
    let day = Day::from_weekday(chrono::Datelike::weekday(&today));
    store
        .set_reminder_settings(&ReminderSettings {
            weekly_review: Some(WeeklyReviewTime {
                day,
                time: NaiveTime::MIN,
            }),
            ..ReminderSettings::default()
        })
        .await
        .unwrap();
    store.close().await;
    // On a Sunday evening the first start gave the default review already;
    // this test's review (the same day's) must come again.
    use steady_core::KeyStore;
    let dir = data.join("steady");
    let key = steady_core::Keychain::for_dir(&dir)
        .unwrap()
        .load()
        .unwrap()
        .unwrap();
    let pool = sqlx::SqlitePool::connect_with(steady_core::Store::encrypted_options(
        &dir.join(steady_core::DB_FILE),
        &key,
    ))
    .await
    .unwrap();
    sqlx::query("DELETE FROM delivered_reminders WHERE key LIKE 'review/%'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_review_arrives_opens_with_the_weeks_figures_and_saves_privately() {
    let (daemon, _monitor, lines) = notifications::watch();
    let zone: Tz = ZONE.parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let env = [("TZ", ZONE)];
    {
        let driver = Driver::start_with(data.path(), &env);
        let client = driver.open_app().await;
        client.close().await.unwrap();
    }
    // What the first start may have shown is not this test's.
    let before = notify_calls(&lines).len();
    notifications::close_all();
    keep_two_weeks(data.path(), zone).await;

    let driver = Driver::start_with(data.path(), &env);
    let client = driver.open_app().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let call = loop {
        if let Some(call) = notify_calls(&lines)
            .into_iter()
            .skip(before)
            .find(|c| c.len() >= 4)
        {
            break call;
        }
        assert!(
            Instant::now() < deadline,
            "no notification within 60 s; monitor saw {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!("notification observed on the bus: {call:?}");
    assert_eq!(
        (call[0].as_str(), call[2].as_str(), call[3].as_str()),
        ("Steady", "Steady", "Your week in Steady is ready")
    );

    notifications::click_when_shown().await;
    text_until(&client, "#review-table", |t| t.contains("Check-ins")).await;
    let table = client
        .execute(
            "return [...document.querySelectorAll('#review-table tbody tr')]
                .map((r) => [...r.children].map((c) => c.textContent.trim()));",
            vec![],
        )
        .await
        .unwrap();
    let cells = |label: &str| -> Vec<String> {
        let row = table
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no row {label:?} in {table}"));
        row.as_array().unwrap()[1..]
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(cells("Check-ins"), ["3", "2"], "{table}");
    assert_eq!(cells("Average craving (0–10)"), ["5.7", "3.0"], "{table}");
    assert_eq!(cells("Strongest craving"), ["8", "4"], "{table}");
    assert_eq!(cells("Groups and sessions attended"), ["1", "0"], "{table}");
    assert_eq!(cells("Worksheets done"), ["1", "0"], "{table}");
    assert_eq!(
        cells("Hours attended (target 9)"),
        ["3.0 of 9", "0.0 of 9"],
        "{table}"
    );
    let trigger = text_until(&client, "#review-trigger", |t| !t.is_empty()).await;
    assert_eq!(trigger, "Places: 1 time this week.");
    let helped = text_until(&client, "#review-helped", |t| !t.is_empty()).await;
    assert_eq!(
        helped,
        "Walk: the craving passed without use 2 of 2 times this week."
    );
    let reason = text_until(&client, "#review-reason", |t| !t.is_empty()).await;
    assert_eq!(reason, "To be there for my kids");

    axe(&client, "the weekly review").await;
    check_layout(&client, 1280, 800, "weekly-review", &shots).await;
    check_layout(&client, 360, 640, "weekly-review", &shots).await;

    click(&client, "#review-keep").await;
    text_until(&client, "#review-saved", |t| {
        t.contains("Saved to your journal")
    })
    .await;
    text_until(&client, "#journal-list", |t| t.contains("My week,")).await;

    // Where the patient takes it all away: Settings' "Your data".
    click(&client, "#nav-settings").await;
    wait_for(&client, "#export-my-data").await;
    axe(&client, "Settings with Your data").await;
    for (width, height) in [(1280, 800), (360, 640)] {
        check_layout(&client, width, height, "your-data", &shots).await;
        client
            .execute(
                "document.getElementById('your-data-title').scrollIntoView(); return true;",
                vec![],
            )
            .await
            .unwrap();
        check_layout(&client, width, height, "your-data", &shots).await;
    }
    client.close().await.unwrap();
    drop(driver);

    let store = app_store(&data.path().join("steady")).await;
    let saved = store
        .list::<JournalEntry>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].data.visibility, Visibility::Private);
    assert!(
        saved[0].data.text.contains("Check-ins: 3 (last week 2)"),
        "{}",
        saved[0].data.text
    );
    assert!(
        saved[0]
            .data
            .text
            .contains("My reason: To be there for my kids")
    );
    store.close().await;
    let calls: Vec<_> = notify_calls(&lines).into_iter().skip(before).collect();
    assert_eq!(calls.len(), 1, "the review came once: {calls:?}");
    drop(daemon);
}
