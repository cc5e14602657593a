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
                count: None,
                until: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 16).unwrap()),
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
                by_day: vec![],
                count: Some(10),
                until: None,
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

#[tokio::test]
async fn a_file_with_an_error_names_its_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let good = "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Group\r\nDTSTART;TZID=America/Denver:20260105T180000\r\nDURATION:PT90M\r\nEND:VEVENT\r\n";
    let cases = [
        // (file, the line that should be named, words in the message)
        (
            format!(
                "BEGIN:VCALENDAR\r\n{good}BEGIN:VEVENT\r\nSUMMARY:Bad zone\r\nDTSTART;TZID=Mars/Base:20260105T180000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
            10,
            "Mars/Base",
        ),
        (
            format!(
                "BEGIN:VCALENDAR\r\n{good}BEGIN:VEVENT\r\nSUMMARY:Bad rule\r\nDTSTART:20260105T180000Z\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
            11,
            "FREQ=YEARLY",
        ),
        (
            format!("BEGIN:VCALENDAR\r\n{good}BEGIN:VEVENT\r\nSUMMARY:Cut off\r\n"),
            8,
            "never closed",
        ),
        (
            format!(
                "BEGIN:VCALENDAR\r\n{good}BEGIN:VEVENT\r\nSUMMARY:Too long\r\nDTSTART:20260105T180000Z\r\nDURATION:PT30H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
            8,
            "24 hours",
        ),
        ("not a calendar".to_owned(), 1, "NAME:VALUE"),
    ];
    for (file, line, words) in cases {
        match store.import_ics(&file, "UTC").await {
            Err(StoreError::Invalid(e)) => {
                let msg = e.for_field("file").unwrap();
                assert!(msg.starts_with(&format!("Line {line}: ")), "{msg}");
                assert!(msg.contains(words), "{msg}");
            }
            other => panic!("expected a refusal naming line {line}, got {other:?}"),
        }
        assert!(
            store.events().await.unwrap().is_empty(),
            "nothing half-imported"
        );
    }
    assert_eq!(
        store
            .import_ics(
                &format!("BEGIN:VCALENDAR\r\n{good}END:VCALENDAR\r\n"),
                "UTC"
            )
            .await
            .unwrap()
            .len(),
        1
    );
}
