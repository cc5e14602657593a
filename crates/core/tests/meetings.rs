//! 12-step meetings from a Meeting Guide feed (`meetings/feed.json`, in the
//! spec's format: in person, online and hybrid meetings in two time zones,
//! one by appointment), on a real store: read and kept, searched, added to
//! the schedule, a malformed feed refused naming the meeting and the field,
//! a newer feed moving, changing and naming what went; and the feed
//! fetched over HTTP from a server on 127.0.0.1.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::Value;
use steady_core::{Store, StoreError};
use steady_model::Visibility;
use steady_model::meetings::{AttendanceOption, MeetingFilter, TimeOfDay};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FEED_NAME: &str = "https://district123.example/meetings.json";

fn feed() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/meetings/feed.json"
    ))
    .unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn names(store: &Store, filter: MeetingFilter) -> Vec<String> {
    store
        .find_meetings(&filter)
        .await
        .unwrap()
        .found
        .into_iter()
        .map(|f| f.meeting.name)
        .collect()
}

#[tokio::test]
async fn a_feed_is_kept_searched_and_its_meetings_added_to_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let report = store
        .read_meeting_feed(FEED_NAME, &feed(), "America/Denver", day("2026-12-02"))
        .await
        .unwrap();
    assert_eq!(report.meetings, 5);
    assert!(report.moved.is_empty() && report.changed.is_empty() && report.gone.is_empty());
    let feeds = store.meeting_feeds().await.unwrap();
    assert_eq!((feeds.len(), feeds[0].meetings), (1, 5));

    let all = store
        .find_meetings(&MeetingFilter::default())
        .await
        .unwrap();
    assert_eq!(all.total, 5);
    let ways: Vec<Option<AttendanceOption>> = all.found.iter().map(|f| f.attendance).collect();
    assert_eq!(
        ways,
        [
            Some(AttendanceOption::InPerson),
            Some(AttendanceOption::Online),
            Some(AttendanceOption::Hybrid),
            Some(AttendanceOption::InPerson),
            None
        ],
        "in week order, by appointment last"
    );
    assert_eq!(
        names(
            &store,
            MeetingFilter {
                attendance: Some(AttendanceOption::Online),
                ..Default::default()
            }
        )
        .await,
        ["Early Birds Online", "Grupo Esperanza"]
    );
    assert_eq!(
        names(
            &store,
            MeetingFilter {
                day: Some(2),
                ..Default::default()
            }
        )
        .await,
        ["Grupo Esperanza"]
    );
    assert_eq!(
        names(
            &store,
            MeetingFilter {
                types: vec!["S".into()],
                ..Default::default()
            }
        )
        .await,
        ["Grupo Esperanza"]
    );
    assert_eq!(
        names(
            &store,
            MeetingFilter {
                time_of_day: Some(TimeOfDay::Evening),
                ..Default::default()
            }
        )
        .await,
        ["Sunday Serenity", "Grupo Esperanza"]
    );
    assert_eq!(
        names(
            &store,
            MeetingFilter {
                text: "brooklyn".into(),
                ..Default::default()
            }
        )
        .await,
        ["Grupo Esperanza"]
    );

    // Added on Wednesday 2 December: Sunday Serenity from Sunday the 6th at
    // 18:00 in Denver; Early Birds on Mondays and Wednesdays.
    let added = store
        .add_meeting(FEED_NAME, "sunday-serenity-14", &[0], day("2026-12-02"))
        .await
        .unwrap();
    let e = &added[0].data;
    assert_eq!(e.start.to_string(), "2026-12-06 18:00:00");
    assert_eq!(
        (e.zone.as_str(), e.duration_minutes),
        ("America/Denver", 90)
    );
    assert_eq!(
        e.place,
        "Alano Club, 123 Main Street, Denver, CO, 80202, US"
    );
    assert_eq!(e.visibility, Visibility::Private);
    assert_eq!(e.reminder_minutes, [60, 15]);
    let two = store
        .add_meeting(FEED_NAME, "early-birds", &[1, 3], day("2026-12-02"))
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].data.link, "https://zoom.example/j/5551234");
    let grupo = store
        .add_meeting(FEED_NAME, "4412", &[2], day("2026-12-02"))
        .await
        .unwrap();
    assert_eq!(grupo[0].data.zone, "America/New_York");
    let on = store
        .find_meetings(&MeetingFilter {
            text: "early".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(on.found[0].on_schedule, [1, 3]);

    // Days it does not meet, and a meeting by appointment, are refused.
    for (slug, days, words) in [
        ("early-birds", vec![2u8], "does not meet on Tuesday"),
        ("appointment", vec![0u8], "by appointment"),
        (
            "no-such-meeting",
            vec![0u8],
            "not in the kept meeting lists",
        ),
    ] {
        match store
            .add_meeting(FEED_NAME, slug, &days, day("2026-12-02"))
            .await
        {
            Err(StoreError::Invalid(e)) => assert!(e.to_string().contains(words), "{e}"),
            other => panic!("{slug}: expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(store.events().await.unwrap().len(), 4);

    // Two weeks on the service body changes its list: Sunday Serenity at
    // 19:00, Grupo Esperanza renamed, Early Birds gone.
    let mut newer: Value = serde_json::from_str(&feed()).unwrap();
    let list = newer.as_array_mut().unwrap();
    list[0]["time"] = "19:00".into();
    list[0]["end_time"] = "20:30".into();
    list[2]["name"] = "Grupo Esperanza (hybrid)".into();
    list.remove(1);
    let report = store
        .read_meeting_feed(
            FEED_NAME,
            &newer.to_string(),
            "America/Denver",
            day("2026-12-16"),
        )
        .await
        .unwrap();
    assert_eq!(report.meetings, 4);
    assert_eq!(report.moved, ["Sunday Serenity"]);
    assert_eq!(report.changed, ["Grupo Esperanza (hybrid)"]);
    assert_eq!(report.gone, ["Early Birds Online", "Early Birds Online"]);
    // The gone series stay; the moved one is two series now.
    assert_eq!(store.events().await.unwrap().len(), 5);
    let sundays: Vec<String> = store
        .occurrences(
            Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 28, 12, 0, 0).unwrap(),
            chrono_tz::America::Denver,
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.title == "Sunday Serenity")
        .map(|o| o.start.naive_local().to_string())
        .collect();
    assert_eq!(
        sundays,
        [
            "2026-12-06 18:00:00",
            "2026-12-13 18:00:00",
            "2026-12-20 19:00:00",
            "2026-12-27 19:00:00"
        ]
    );
    // Reading the same list again changes nothing.
    let again = store
        .read_meeting_feed(
            FEED_NAME,
            &newer.to_string(),
            "America/Denver",
            day("2026-12-16"),
        )
        .await
        .unwrap();
    assert!(again.moved.is_empty() && again.changed.is_empty());
    assert_eq!(store.events().await.unwrap().len(), 5);
    assert_eq!(
        store.meeting_feeds().await.unwrap().len(),
        1,
        "replaced, not added"
    );
}

#[tokio::test]
async fn a_malformed_feed_is_refused_naming_the_meeting_and_the_field_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    store
        .read_meeting_feed(FEED_NAME, &feed(), "America/Denver", day("2026-12-02"))
        .await
        .unwrap();
    let mut bad: Value = serde_json::from_str(&feed()).unwrap();
    bad[1]["day"] = 9.into();
    bad[3]["timezone"] = "Eastern".into();
    match store
        .read_meeting_feed(
            FEED_NAME,
            &bad.to_string(),
            "America/Denver",
            day("2026-12-02"),
        )
        .await
    {
        Err(StoreError::Invalid(e)) => {
            let words = e.for_field("feed").unwrap();
            assert!(
                words.contains("Meeting 2 (\"early-birds\"), day: 9 is not a day"),
                "{words}"
            );
            assert!(
                words.contains("Meeting 4 (\"noon-step\"), timezone: \"Eastern\""),
                "{words}"
            );
        }
        other => panic!("expected the feed refused, got {other:?}"),
    }
    // The kept copy is the good one.
    let feeds = store.meeting_feeds().await.unwrap();
    assert_eq!(feeds[0].meetings, 5);
    assert_eq!(
        store
            .find_meetings(&MeetingFilter::default())
            .await
            .unwrap()
            .total,
        5
    );
}

/// Serves `body` once per connection on 127.0.0.1 with `status`.
async fn serve(status: &'static str, body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/meetings.json")
}

#[tokio::test]
async fn a_feed_is_fetched_from_its_address_and_only_over_https_from_elsewhere() {
    let url = serve("200 OK", feed()).await;
    let text = steady_core::meetings::fetch_feed(&url).await.unwrap();
    assert_eq!(text, feed());
    let missing = serve("404 Not Found", String::new()).await;
    let e = steady_core::meetings::fetch_feed(&missing)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
    let e = steady_core::meetings::fetch_feed("http://district123.example/meetings.json")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("https://"), "{e}");
    let e = steady_core::meetings::fetch_feed("not an address")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("web address"), "{e}");
}
