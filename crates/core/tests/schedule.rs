//! Events, attendance, hours and reminder bookkeeping on real SQLite files.

mod common;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use steady_core::{AttendanceMark, QuietHours, ReminderSettings, Store, StoreError};
use steady_model::{Day, Event, EventDraft, Frequency, ProgramDraft, Recurrence};

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn denver() -> Tz {
    "America/Denver".parse().unwrap()
}

fn group() -> EventDraft {
    EventDraft {
        title: "Relapse-prevention group".into(),
        kind: "relapse_prevention".into(),
        place: "Room 2".into(),
        start: Some(local("2026-11-02 18:00")),
        zone: "America/Denver".into(),
        duration_minutes: 90,
        recurrence: Some(Recurrence {
            frequency: Frequency::Weekly,
            interval: 1,
            by_day: vec![Day::Mo, Day::We],
            ..Recurrence::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn attendance_adds_up_to_hours_against_the_asam_target() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    store
        .save_program(ProgramDraft {
            level: "iop".into(),
            clinic: "Riverside".into(),
            start: NaiveDate::from_ymd_opt(2026, 10, 1),
            ..Default::default()
        })
        .await
        .unwrap();
    let event = store.create::<Event>(group()).await.unwrap();
    let week = store
        .occurrences(
            Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap(),
            denver(),
        )
        .await
        .unwrap();
    assert_eq!(week.len(), 2, "Monday and Wednesday");
    assert_eq!(week[0].start.format("%a %H:%M").to_string(), "Mon 18:00");

    let mark = |occurrence: &str, status: &str, minutes: Option<i32>| AttendanceMark {
        event_id: event.id,
        occurrence: local(occurrence),
        status: status.into(),
        minutes,
    };
    store
        .mark_attendance(mark("2026-11-30 18:00", "attended", None))
        .await
        .unwrap();
    store
        .mark_attendance(mark("2026-12-02 18:00", "missed", None))
        .await
        .unwrap();
    // Marking again changes the mark rather than adding one.
    store
        .mark_attendance(mark("2026-12-02 18:00", "attended", Some(60)))
        .await
        .unwrap();
    let hours = store
        .week_hours(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(), denver())
        .await
        .unwrap();
    assert_eq!(
        hours.week_start,
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    );
    assert_eq!(hours.attended_minutes, 150);
    assert_eq!(hours.scheduled_minutes, 180);
    assert_eq!(hours.target_hours, Some(9.0));

    let bad = store
        .mark_attendance(mark("2026-12-01 18:00", "attended", None))
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(e)) if e.for_field("occurrence").is_some()));
}

#[tokio::test]
async fn a_delivered_reminder_is_not_planned_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let now = denver()
        .from_local_datetime(&local("2026-11-30 16:30"))
        .unwrap()
        .with_timezone(&Utc);
    let first = {
        let store = Store::open(dir.path(), &common::key()).await.unwrap();
        // Sessions only: the weekly review is planned beside them.
        store
            .set_reminder_settings(&ReminderSettings {
                weekly_review: None,
                ..ReminderSettings::default()
            })
            .await
            .unwrap();
        store.create::<Event>(group()).await.unwrap();
        let next = store.plan_reminders(now, denver(), 5).await.unwrap();
        let dues: Vec<String> = next
            .iter()
            .map(|r| {
                r.due
                    .with_timezone(&denver())
                    .format("%a %H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(
            dues,
            [
                "Mon 17:00",
                "Mon 17:45",
                "Wed 17:00",
                "Wed 17:45",
                "Mon 17:00"
            ]
        );
        let first = next[0].clone();
        assert!(store.claim_delivery(&first, first.due).await.unwrap());
        store.close().await;
        first
    };
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let later = first.due + TimeDelta::seconds(1);
    let next = store.plan_reminders(later, denver(), 5).await.unwrap();
    assert!(next.iter().all(|r| r.key != first.key), "not planned again");
    assert!(
        !store.claim_delivery(&first, later).await.unwrap(),
        "and cannot be claimed twice"
    );
}

#[tokio::test]
async fn settings_round_trip_and_equal_quiet_hours_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    assert_eq!(
        store.reminder_settings().await.unwrap(),
        ReminderSettings::default()
    );
    let nine = chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap();
    let settings = ReminderSettings {
        daily_checkin: Some(nine),
        quiet_hours: Some(QuietHours {
            start: nine,
            end: chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        }),
        detailed_wording: true,
        weekly_review: None,
    };
    store.set_reminder_settings(&settings).await.unwrap();
    assert_eq!(store.reminder_settings().await.unwrap(), settings);
    let bad = ReminderSettings {
        quiet_hours: Some(QuietHours {
            start: nine,
            end: nine,
        }),
        ..settings.clone()
    };
    assert!(matches!(
        store.set_reminder_settings(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.reminder_settings().await.unwrap(),
        settings,
        "unchanged"
    );
}

#[tokio::test]
async fn a_refused_event_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let mut bad = group();
    bad.zone = "Denver".into();
    assert!(
        matches!(store.create::<Event>(bad).await, Err(StoreError::Invalid(e)) if e.for_field("zone").is_some())
    );
    assert!(store.events().await.unwrap().is_empty());
}
