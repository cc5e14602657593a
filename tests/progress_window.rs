//! The patient's own view in the real Steady window (tauri-driver ->
//! WebKitWebDriver -> the built app, under Xvfb): a year of check-ins, a
//! slip five days ago, a program three weeks old. The patient turns on the
//! counts they want; the screen says what they show in kind words, a new
//! chip once (not again after a restart), and the insights for 7, 30 and
//! 90 days. axe-core finds nothing; screenshots at 360x640 and 1280x800.

mod common;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;
use fantoccini::Client;
use steady_model::{
    Attendance, AttendanceDraft, CheckIn, CheckInDraft, Event, EventDraft, ProgramDraft,
    TriggerDraft, TriggerEntry, Visibility,
};

const ZONE: &str = "America/Denver";

fn local(
    zone: Tz,
    day: NaiveDate,
    hour: u32,
    minute: u32,
) -> chrono::DateTime<chrono::FixedOffset> {
    zone.from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap())
        .earliest()
        .unwrap()
        .fixed_offset()
}

/// A year of a patient's entries, ending now: a check-in every morning and
/// evening (Friday evenings strong), a slip five days ago, a trigger a week,
/// a program that began 20 days ago with three sessions a week attended.
async fn keep_a_year(data: &std::path::Path, zone: Tz, today: NaiveDate) {
    let store = app_store(&data.join("steady")).await;
    let mut checkins = Vec::new();
    for back in 1..=365 {
        let day = today - TimeDelta::days(back);
        let friday = day.format("%a").to_string() == "Fri";
        for (hour, craving) in [(8, 2), (19, if friday { 9 } else { 4 })] {
            let slip = back == 5 && hour == 19;
            checkins.push(CheckInDraft {
                at: Some(local(zone, day, hour, 30)),
                craving,
                coping: if hour == 19 {
                    vec!["Called Sam".into()]
                } else {
                    vec![]
                },
                outcome: Some(if slip { "used" } else { "resisted" }.into()),
                visibility: Visibility::Private,
                ..CheckInDraft::default()
            });
        }
    }
    // And one just now.
    checkins.push(CheckInDraft {
        craving: 3,
        visibility: Visibility::Private,
        ..CheckInDraft::default()
    });
    store.create_all::<CheckIn>(checkins).await.unwrap();
    let triggers = (0..52).map(|w| TriggerDraft {
        at: Some(local(zone, today - TimeDelta::weeks(w + 1), 18, 0)),
        category: if w % 3 == 0 { "people" } else { "places" }.into(),
        description: "Drove past the bar after work".into(),
        intensity: 6,
        visibility: Visibility::Private,
        ..TriggerDraft::default()
    });
    store.create_all::<TriggerEntry>(triggers).await.unwrap();
    let start = today - TimeDelta::days(20);
    store
        .save_program(ProgramDraft {
            level: "iop".into(),
            clinic: "Riverside".into(),
            start: Some(start),
            planned_end: Some(start + TimeDelta::days(104)),
            visibility: Visibility::Private,
            ..ProgramDraft::default()
        })
        .await
        .unwrap();
    let group = store
        .create::<Event>(EventDraft {
            title: "Relapse-prevention group".into(),
            kind: "relapse_prevention".into(),
            start: Some(start.and_hms_opt(18, 0, 0).unwrap()),
            zone: ZONE.into(),
            duration_minutes: 180,
            ..EventDraft::default()
        })
        .await
        .unwrap();
    let marks = (1..=20).filter(|b| b % 2 == 0).map(|back| {
        let at = local(zone, today - TimeDelta::days(back), 18, 0);
        AttendanceDraft {
            event_id: group.id,
            occurrence: at.naive_local(),
            at,
            status: "attended".into(),
            minutes: 180,
            visibility: Visibility::Private,
        }
    });
    store.create_all::<Attendance>(marks).await.unwrap();
    store.close().await;
}

async fn open_progress(client: &Client) {
    click(client, "#nav-progress").await;
    wait_for(client, "#choose-counts").await;
}

/// Opens Progress and finds the counts there, with no chip said to be new.
async fn no_new_chips(client: &Client, when: &str) {
    open_progress(client).await;
    text_until(client, "#streak", |t| t.contains("366 days")).await;
    assert!(
        client
            .find(fantoccini::Locator::Css("#new-chips"))
            .await
            .is_err(),
        "chips celebrated again {when}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_patient_sees_their_progress_and_what_their_entries_show() {
    let zone: Tz = ZONE.parse().unwrap();
    let today = Utc::now().with_timezone(&zone).date_naive();
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let env = [("TZ", ZONE)];
    {
        // The first start makes the store and keeps its key.
        let driver = Driver::start_with(data.path(), &env);
        let client = driver.open_app().await;
        client.close().await.unwrap();
    }
    keep_a_year(data.path(), zone, today).await;

    let driver = Driver::start_with(data.path(), &env);
    let client = driver.open_app().await;
    open_progress(&client).await;
    text_until(&client, ".progress .hint", |t| {
        t.contains("none of it is shared")
    })
    .await;
    click(&client, "#choose-counts").await;
    for label in [
        "Days in a row with a check-in",
        "Weeks and hours in my program",
    ] {
        let css = format!("//label[normalize-space()='{label}']/input");
        client
            .find(fantoccini::Locator::XPath(&css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    click(&client, "#count-use").await;
    let from = today - TimeDelta::days(60);
    set_value(&client, "#count-from", &from.to_string()).await;
    click(&client, "form button[type=submit]").await;

    let streak = text_until(&client, "#streak", |t| t.contains("in a row")).await;
    assert!(
        streak.contains("366 days in a row with a check-in"),
        "{streak}"
    );
    assert!(streak.contains("1 year"), "the year's chip: {streak}");
    let free = text_until(&client, "#days-without-use", |t| !t.is_empty()).await;
    assert!(free.contains("5 days without use"), "{free}");
    assert!(
        free.contains("A slip is information. Your longest stretch is still 55 days"),
        "{free}"
    );
    assert!(!free.to_lowercase().contains("fail"), "{free}");
    let program = text_until(&client, "#program-progress", |t| !t.is_empty()).await;
    assert!(
        program.contains("Week 3 of 15 in Intensive outpatient (IOP)"),
        "{program}"
    );
    let chips = text_until(&client, "#new-chips", |t| !t.is_empty()).await;
    assert!(
        chips.contains("New chip: 1 year of check-ins in a row."),
        "{chips}"
    );
    assert!(chips.contains("New chip: 24 hours without use."), "{chips}");
    assert!(
        !chips.contains("7 days"),
        "only the largest new chip is said: {chips}"
    );

    // Insights: 90 days, the Friday evening pattern, what helped.
    click(&client, "button[aria-pressed]:nth-child(3)").await;
    // The 30-day figures were shown first: wait for the 90 days'.
    text_until(&client, "#what-helped", |t| {
        t.contains("What helped most: Called Sam, the craving passed without use 88 of 89 times")
    })
    .await;
    let heat = text_until(&client, "#my-heatmap-desc", |t| !t.is_empty()).await;
    assert!(
        heat.contains("Highest mean craving: Friday 19:00 (9.0)"),
        "{heat}"
    );

    axe(&client, "the progress screen").await;
    client
        .execute("window.scrollTo(0, 0); return true;", vec![])
        .await
        .unwrap();
    check_layout(&client, 1280, 800, "progress", &shots).await;
    // At a phone's size: the top of the screen, then each part of the
    // insights scrolled into view.
    check_layout(&client, 360, 640, "progress", &shots).await;
    for (name, script) in [
        ("progress-top", "window.scrollTo(0, 0)"),
        (
            "insights",
            "document.getElementById('insights-heading').scrollIntoView()",
        ),
        (
            "insights-heatmap",
            "document.getElementById('my-heatmap-title').closest('.card').scrollIntoView()",
        ),
        (
            "insights-helped",
            "document.getElementById('what-helped').scrollIntoView()",
        ),
    ] {
        client
            .execute(&format!("{script}; return true;"), vec![])
            .await
            .unwrap();
        check_layout(&client, 360, 640, name, &shots).await;
    }

    // The chips were new once: not on the next look, nor after a restart.
    click(&client, "#nav-today").await;
    no_new_chips(&client, "on the next look").await;
    client.close().await.unwrap();
    drop(driver);
    let driver = Driver::start_with(data.path(), &env);
    let client = driver.open_app().await;
    no_new_chips(&client, "after a restart").await;
    client.close().await.unwrap();
}
