//! Calendar files: export and import round-trip; a damaged file is refused
//! with its line and nothing is imported.

mod common;

use chrono::{TimeZone, Utc};
use steady_core::{Store, StoreError};
use steady_model::{Day, Event, EventDraft, Exception, Frequency, OccurrenceChange, Recurrence};

fn local(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn schedule() -> Vec<EventDraft> {
    vec![
        EventDraft {
            title: "Evening group, \"Room 2\"; bring notes".into(),
            kind: "relapse_prevention".into(),
            place: "Riverside Clinic, Room 2".into(),
            start: Some(local("2026-01-05 18:00")),
            zone: "America/Denver".into(),
            duration_minutes: 90,
            recurrence: Some(Recurrence {
                frequency: Frequency::Weekly,
                interval: 1,
                by_day: vec![Day::Mo, Day::We],
                until: Some(steady_model::end_of_day(
                    chrono::NaiveDate::from_ymd_opt(2026, 12, 16).unwrap(),
                )),
                ..Recurrence::default()
            }),
            exceptions: vec![
                Exception {
                    occurrence: local("2026-03-09 18:00"),
                    change: OccurrenceChange::Cancelled,
                },
                Exception {
                    occurrence: local("2026-11-02 18:00"),
                    change: OccurrenceChange::Moved {
                        start: local("2026-11-03 17:30"),
                        duration_minutes: 60,
                    },
                },
            ],
            reminder_minutes: vec![60, 15],
            ..Default::default()
        },
        EventDraft {
            title: "Counseling".into(),
            kind: "individual".into(),
            link: "https://video.example/room".into(),
            start: Some(local("2026-02-02 09:00")),
            zone: "Europe/Berlin".into(),
            duration_minutes: 50,
            recurrence: Some(Recurrence {
                frequency: Frequency::Monthly,
                interval: 1,
                count: Some(10),
                ..Recurrence::default()
            }),
            reminder_minutes: vec![1440],
            ..Default::default()
        },
        EventDraft {
            title: "Medication check".into(),
            kind: "medication".into(),
            start: Some(local("2026-06-15 11:00")),
            zone: "UTC".into(),
            duration_minutes: 20,
            ..Default::default()
        },
    ]
}

async fn occurrences(store: &Store) -> Vec<(String, String, String, bool)> {
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    store
        .occurrences(from, to, chrono_tz::UTC)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.title, o.start.to_rfc3339(), o.end.to_rfc3339(), o.moved))
        .collect()
}

#[tokio::test]
async fn export_then_import_into_an_empty_store_gives_the_same_occurrences() {
    let a_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path(), &common::key()).await.unwrap();
    a.create_all::<Event>(schedule()).await.unwrap();
    let file = a.export_ics().await.unwrap();
    assert!(file.starts_with("BEGIN:VCALENDAR"));
    assert!(
        file.contains("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261217T065959Z"),
        "{file}"
    );

    let b_dir = tempfile::tempdir().unwrap();
    let b = Store::open(b_dir.path(), &common::key()).await.unwrap();
    let imported = b.import_ics(&file, "UTC").await.unwrap();
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
    let imported = imported.added;
    assert_eq!(imported.len(), 3);

    let expected = occurrences(&a).await;
    assert_eq!(
        expected.len(),
        99 + 10 + 1,
        "100 Mondays and Wednesdays less one cancelled, 10 monthly, 1 single"
    );
    assert_eq!(occurrences(&b).await, expected);
    let group = imported
        .iter()
        .find(|e| e.data.title.starts_with("Evening group"))
        .unwrap();
    assert_eq!(group.data.title, "Evening group, \"Room 2\"; bring notes");
    assert_eq!(group.data.reminder_minutes, [60, 15]);
}

fn refused(result: Result<steady_core::IcsImport, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(e)) => e.for_field("file").unwrap().to_owned(),
        other => panic!("expected the file refused, got {other:?}"),
    }
}

const GOOD: &str = "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Group\r\nDTSTART;TZID=America/Denver:20260105T180000\r\nDURATION:PT90M\r\nEND:VEVENT\r\n";

#[tokio::test]
async fn a_file_that_is_not_a_whole_calendar_is_refused_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let cases = [
        (
            format!("BEGIN:VCALENDAR\r\n{GOOD}BEGIN:VEVENT\r\nSUMMARY:Cut off\r\n"),
            8,
            "never closed",
        ),
        (
            format!("BEGIN:VCALENDAR\r\n{GOOD}END:VEVENT\r\nEND:VCALENDAR\r\n"),
            8,
            "closes BEGIN:VCALENDAR",
        ),
        ("not a calendar".to_owned(), 1, "NAME:VALUE"),
        (
            "BEGIN:VCARD\r\nEND:VCARD\r\n".to_owned(),
            1,
            "BEGIN:VCALENDAR",
        ),
    ];
    for (file, line, words) in cases {
        let msg = refused(store.import_ics(&file, "UTC").await);
        assert!(msg.starts_with(&format!("Line {line}: ")), "{msg}");
        assert!(msg.contains(words), "{msg}");
        assert!(store.events().await.unwrap().is_empty(), "nothing imported");
    }
}

#[tokio::test]
async fn an_event_steady_cannot_keep_is_skipped_with_its_line_and_why_and_the_rest_are_added() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let file = format!(
        "BEGIN:VCALENDAR\r\n\
         BEGIN:VEVENT\r\nSUMMARY:Bad zone\r\nDTSTART;TZID=Mars/Base:20260105T180000\r\nEND:VEVENT\r\n\
         {GOOD}\
         BEGIN:VEVENT\r\nSUMMARY:Yearly\r\nDTSTART:20260105T180000Z\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nSUMMARY:Too long\r\nDTSTART:20260105T180000Z\r\nDURATION:PT30H\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nSUMMARY:Damaged\r\nDTSTART:20260105T180000Z\r\nthis line has no colon\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:gone\r\nRECURRENCE-ID:20260105T180000Z\r\nSUMMARY:Orphan\r\nDTSTART:20260106T180000Z\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n"
    );
    let result = store.import_ics(&file, "UTC").await.unwrap();
    assert_eq!(result.added.len(), 1);
    assert_eq!(result.added[0].data.title, "Group");
    let skipped: Vec<(usize, &str, &str)> = result
        .skipped
        .iter()
        .map(|s| (s.line, s.title.as_str(), s.reason.as_str()))
        .collect();
    let expect = [
        (4, "Bad zone", "Mars/Base"),
        (15, "Yearly", "FREQ=YEARLY"),
        (17, "Too long", "24 hours"),
        (25, "Damaged", "NAME:VALUE"),
        (27, "Orphan", "not in the file"),
    ];
    assert_eq!(skipped.len(), expect.len(), "{skipped:?}");
    for ((line, title, reason), (want_line, want_title, words)) in skipped.iter().zip(expect) {
        assert_eq!((*line, *title), (want_line, want_title), "{reason}");
        assert!(reason.contains(words), "line {line}: {reason}");
    }
    assert_eq!(store.events().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_export_has_one_prodid_a_vtimezone_for_each_zone_and_folded_crlf_lines() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let mut events = schedule();
    events[0].title =
        "A title long enough that its line must be folded to fit seventy-five octets: Räume".into();
    store.create_all::<Event>(events).await.unwrap();
    let file = store.export_ics().await.unwrap();
    assert_eq!(file.matches("\r\nPRODID:").count(), 1, "{file}");
    assert!(
        !file.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    for line in file.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
    }
    let unfolded = file.replace("\r\n ", "");
    let defined: Vec<&str> = unfolded
        .split("BEGIN:VTIMEZONE\r\nTZID:")
        .skip(1)
        .map(|rest| rest.split("\r\n").next().unwrap())
        .collect();
    assert_eq!(defined, ["America/Denver", "Europe/Berlin", "UTC"]);
    for used in unfolded.split("TZID=").skip(1) {
        let zone = used.split([':', ';']).next().unwrap();
        assert!(defined.contains(&zone), "{zone} has no VTIMEZONE");
    }
    assert!(unfolded.contains(
        "SUMMARY:A title long enough that its line must be folded to fit seventy-five octets: Räume"
    ));
}

async fn occurrence_starts(store: &Store) -> Vec<String> {
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap();
    store
        .occurrences(from, to, chrono_tz::UTC)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.start.to_rfc3339())
        .collect()
}

/// The schedule of `store` exported and imported into a new store.
async fn round_trip(store: &Store) -> (tempfile::TempDir, Store) {
    let file = store.export_ics().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let other = Store::open(dir.path(), &common::key()).await.unwrap();
    let result = other.import_ics(&file, "UTC").await.unwrap();
    assert!(result.skipped.is_empty(), "{:?}\n{file}", result.skipped);
    (dir, other)
}

#[tokio::test]
async fn every_cancelled_session_stays_cancelled_including_one_in_a_dst_gap() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let cancel = |s: &str| Exception {
        occurrence: local(s),
        change: OccurrenceChange::Cancelled,
    };
    store
        .create_all::<Event>(vec![EventDraft {
            title: "Early group".into(),
            kind: "skills_group".into(),
            // 02:30 on 8 March 2026 does not exist in New York.
            start: Some(local("2026-03-05 02:30")),
            zone: "America/New_York".into(),
            duration_minutes: 60,
            recurrence: Some(Recurrence {
                frequency: Frequency::Daily,
                interval: 1,
                count: Some(10),
                ..Recurrence::default()
            }),
            exceptions: vec![
                cancel("2026-03-06 02:30"),
                cancel("2026-03-08 02:30"),
                cancel("2026-03-10 02:30"),
            ],
            ..Default::default()
        }])
        .await
        .unwrap();
    let file = store.export_ics().await.unwrap().replace("\r\n ", "");
    assert!(
        file.contains(
            "EXDATE;TZID=America/New_York:20260306T023000,20260308T023000,20260310T023000"
        ),
        "{file}"
    );
    let (_dir, other) = round_trip(&store).await;
    let starts = occurrence_starts(&other).await;
    assert_eq!(starts.len(), 7, "{starts:?}");
    assert_eq!(starts, occurrence_starts(&store).await);
    let event = &other.events().await.unwrap()[0].1;
    assert_eq!(event.exceptions.len(), 3);
}

async fn import_one(text: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let result = store.import_ics(text, "UTC").await.unwrap();
    assert!(result.skipped.is_empty(), "{:?}", result.skipped);
    (dir, store)
}

fn calendar(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n")
}

#[tokio::test]
async fn wkst_decides_which_weeks_a_biweekly_series_falls_in() {
    // Sunday 4 January 2026; every other week on Sunday and Monday.
    let series = |wkst: &str| {
        calendar(&format!(
            "BEGIN:VEVENT\r\nUID:w\r\nSUMMARY:Group\r\nDTSTART;TZID=America/Denver:20260104T180000\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=6;BYDAY=SU,MO;WKST={wkst}\r\nEND:VEVENT\r\n"
        ))
    };
    let days = |starts: Vec<String>| -> Vec<String> {
        starts
            .iter()
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s)
                    .unwrap()
                    .with_timezone(&chrono_tz::America::Denver)
                    .format("%a %d %b")
                    .to_string()
            })
            .collect()
    };
    let (_a, sunday) = import_one(&series("SU")).await;
    assert_eq!(
        days(occurrence_starts(&sunday).await),
        [
            "Sun 04 Jan",
            "Mon 05 Jan",
            "Sun 18 Jan",
            "Mon 19 Jan",
            "Sun 01 Feb",
            "Mon 02 Feb"
        ]
    );
    let (_b, monday) = import_one(&series("MO")).await;
    assert_eq!(
        days(occurrence_starts(&monday).await),
        [
            "Sun 04 Jan",
            "Mon 12 Jan",
            "Sun 18 Jan",
            "Mon 26 Jan",
            "Sun 01 Feb",
            "Mon 09 Feb"
        ]
    );
    // And WKST survives Steady's own export.
    let (_c, again) = round_trip(&sunday).await;
    assert_eq!(
        occurrence_starts(&again).await,
        occurrence_starts(&sunday).await
    );
}

#[tokio::test]
async fn rdate_adds_sessions_and_an_until_with_a_time_ends_at_that_instant() {
    // Weekly on Monday at 18:00 Denver; UNTIL is 17:00 Denver on Monday 19
    // January, so the 19th is not a session. RDATE adds Thursday the 8th.
    let (_a, store) = import_one(&calendar(
        "BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Group\r\nDTSTART;TZID=America/Denver:20260105T180000\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;UNTIL=20260120T000000Z\r\nRDATE;TZID=America/Denver:20260108T180000\r\nEND:VEVENT\r\n",
    ))
    .await;
    let starts = occurrence_starts(&store).await;
    assert_eq!(
        starts,
        [
            "2026-01-06T01:00:00+00:00",
            "2026-01-09T01:00:00+00:00",
            "2026-01-13T01:00:00+00:00"
        ]
    );
    let (_b, again) = round_trip(&store).await;
    assert_eq!(occurrence_starts(&again).await, starts);
}

#[tokio::test]
async fn a_byte_order_mark_a_windows_zone_and_a_multi_day_all_day_event_are_read() {
    let (_a, store) = import_one(&format!(
        "\u{feff}{}",
        calendar(
            "BEGIN:VEVENT\r\nUID:w\r\nSUMMARY:Counseling\r\nDTSTART;TZID=\"Mountain Standard Time\":20260706T090000\r\nDTEND;TZID=\"Mountain Standard Time\":20260706T095000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:Retreat\r\nDTSTART;VALUE=DATE:20260320\r\nDTEND;VALUE=DATE:20260323\r\nEND:VEVENT\r\n"
        )
    ))
    .await;
    let events = store.events().await.unwrap();
    let counseling = &events
        .iter()
        .find(|(_, e)| e.title == "Counseling")
        .unwrap()
        .1;
    assert_eq!(counseling.zone, "America/Denver");
    assert_eq!(counseling.duration_minutes, 50);
    let retreat = &events.iter().find(|(_, e)| e.title == "Retreat").unwrap().1;
    assert!(retreat.all_day);
    assert_eq!(retreat.duration_minutes, 3 * 1440);
    // A day-long event stays day-long in the export.
    let file = store.export_ics().await.unwrap();
    assert!(
        file.contains("DTSTART;VALUE=DATE:20260320\r\nDTEND;VALUE=DATE:20260323\r\n"),
        "{file}"
    );
}

/// Python icalendar with recurring-ical-events' occurrences of `file`,
/// by the series' SUMMARY.
fn outside_occurrences(file: &str) -> std::collections::BTreeMap<String, Vec<(String, String)>> {
    use std::io::Write;
    let python = std::env::var_os("STEADY_PYTHON").expect(
        "STEADY_PYTHON is not set: run `cargo xtask test`, which installs icalendar and recurring-ical-events from PyPI",
    );
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/calendar_check.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let request = serde_json::json!({
        "from": "2026-01-01T00:00:00+00:00",
        "to": "2028-01-01T00:00:00+00:00",
        "read": [file],
        "write": [],
    });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let titles = &reply["titles"][0];
    reply["read"][0]
        .as_object()
        .unwrap()
        .iter()
        .map(|(uid, list)| {
            let norm = |v: &serde_json::Value| {
                chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
                    .unwrap()
                    .with_timezone(&Utc)
                    .to_rfc3339()
            };
            let times = list
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (norm(&p[0]), norm(&p[1])))
                .collect();
            (titles[uid].as_str().unwrap().to_owned(), times)
        })
        .collect()
}

#[tokio::test]
async fn files_shaped_like_google_outlook_and_apple_calendars_read_as_python_icalendar_reads_them()
{
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/calendars");
    for (name, added, skipped) in [
        ("google.ics", 3, vec![]),
        ("outlook.ics", 2, vec![]),
        ("apple.ics", 1, vec![("Yearly check-up", "FREQ=YEARLY")]),
    ] {
        let file = std::fs::read_to_string(here.join(name)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &common::key()).await.unwrap();
        let result = store.import_ics(&file, "UTC").await.unwrap();
        assert_eq!(result.added.len(), added, "{name}: {:?}", result.skipped);
        let got: Vec<(&str, bool)> = result
            .skipped
            .iter()
            .map(|s| {
                (
                    s.title.as_str(),
                    skipped.iter().any(|(_, w)| s.reason.contains(w)),
                )
            })
            .collect();
        let want: Vec<(&str, bool)> = skipped.iter().map(|(t, _)| (*t, true)).collect();
        assert_eq!(got, want, "{name}: {:?}", result.skipped);
        // Occurrence by occurrence, as the outside reader expands the same
        // file (Python icalendar refuses a byte-order mark, so it reads the
        // file without one).
        let outside = outside_occurrences(file.trim_start_matches('\u{feff}'));
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap();
        for entry in &result.added {
            let ours: Vec<(String, String)> = entry
                .data
                .occurrences_between(from, to)
                .into_iter()
                .map(|o| {
                    (
                        o.start.with_timezone(&Utc).to_rfc3339(),
                        o.end.with_timezone(&Utc).to_rfc3339(),
                    )
                })
                .collect();
            let theirs = outside.get(&entry.data.title).cloned().unwrap_or_default();
            assert!(!ours.is_empty(), "{name}: {}", entry.data.title);
            assert_eq!(ours, theirs, "{name}: {}", entry.data.title);
        }
    }
}
