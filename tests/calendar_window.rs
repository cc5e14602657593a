//! A clinic's calendar file brought in through the Schedule screen of the
//! real Steady window (tauri-driver -> WebKitWebDriver -> the built app,
//! under Xvfb): the events Steady can keep are added and shown; the one it
//! cannot (a yearly event) is named with its line and why, and nothing else
//! is lost. axe-core finds nothing; screenshots at 360x640 and 1280x800.
//!
//! The file reaches the page's file input as a File object (the GTK file
//! chooser is the platform's and is not what is tested here).

mod common;

use common::*;
use steady_model::Event;

const ZONE: &str = "America/Denver";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_file_is_imported_and_what_it_could_not_keep_is_named() {
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start_with(data.path(), &[("TZ", ZONE)]);
    let client = driver.open_app().await;

    // Today (so in the week the screen shows) and every week after, at
    // 06:00 in Denver, with Windows' name for the zone, as Outlook writes
    // it; and a yearly event.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Denver)
        .date_naive();
    let day = today.format("%Y%m%d");
    let file = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Outlook-shaped//EN\r\n\
         BEGIN:VEVENT\r\nUID:weekly\r\nSUMMARY:Tuesday process group\r\n\
         DTSTART;TZID=\"Mountain Standard Time\":{day}T060000\r\n\
         DTEND;TZID=\"Mountain Standard Time\":{day}T073000\r\n\
         RRULE:FREQ=WEEKLY;COUNT=8\r\nLOCATION:Riverside Clinic\\, Room 2\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:yearly\r\nSUMMARY:Annual review\r\n\
         DTSTART;TZID=America/Denver:{day}T100000\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    click(&client, "#nav-schedule").await;
    wait_for(&client, "#ics-import").await;
    client
        .execute(
            "const input = document.getElementById('ics-import');
             const files = new DataTransfer();
             files.items.add(new File([arguments[0]], 'clinic.ics', { type: 'text/calendar' }));
             input.files = files.files;
             input.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![serde_json::json!(file)],
        )
        .await
        .unwrap();
    let said = text_until(&client, "#calendar-message", |t| t.starts_with("Added")).await;
    assert_eq!(
        said,
        "Added 1 event from clinic.ics. 1 event could not be added; see below."
    );
    let skipped = text_until(&client, "#ics-skipped", |t| !t.is_empty()).await;
    assert!(
        skipped.contains("Annual review (line 17)") && skipped.contains("FREQ=YEARLY"),
        "{skipped}"
    );
    text_until(&client, "li.occurrence", |t| {
        t.contains("Tuesday process group")
    })
    .await;
    let sessions = client
        .execute(
            "return [...document.querySelectorAll('li.occurrence')].map((li) => li.textContent);",
            vec![],
        )
        .await
        .unwrap()
        .to_string();
    assert!(!sessions.contains("Annual review"), "{sessions}");
    axe(&client, "the schedule after an import").await;
    for (width, height) in [(360, 640), (1280, 800)] {
        client.set_window_size(width, height).await.unwrap();
        show(&client, "#ics-skipped").await;
        check_layout(&client, width, height, "calendar-import", &shots).await;
    }
    client.close().await.unwrap();
    drop(driver);

    // Stored as the file says: Denver, 90 minutes, eight weeks.
    let store = app_store(&data.path().join("steady")).await;
    let events: Vec<Event> = store
        .events()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].zone, ZONE);
    assert_eq!(events[0].duration_minutes, 90);
    assert_eq!(events[0].start, today.and_hms_opt(6, 0, 0).unwrap());
    assert_eq!(events[0].recurrence.as_ref().unwrap().count, Some(8));
    store.close().await;
}
