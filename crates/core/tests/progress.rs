//! The patient's own view on a real SQLite file: insights from the store's
//! rows, progress counts that survive a restart without repeating a chip,
//! a lapse reported and edited away.

mod common;

use chrono::{DateTime, NaiveDate, TimeDelta};
use steady_core::{ProgressSettings, Store, StoreError};
use steady_model::progress::Counter;
use steady_model::{CheckIn, CheckInDraft, TriggerDraft, TriggerEntry, Visibility};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn checkin(when: &str, craving: i32, coping: &[&str], outcome: Option<&str>) -> CheckInDraft {
    CheckInDraft {
        at: Some(DateTime::parse_from_rfc3339(when).unwrap()),
        craving,
        coping: coping.iter().map(|s| (*s).to_owned()).collect(),
        outcome: outcome.map(str::to_owned),
        visibility: Visibility::Private,
        ..CheckInDraft::default()
    }
}

#[tokio::test]
async fn insights_read_the_local_days_asked_for_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    // 23:30 in Denver on the 30th is the 1st in UTC: it belongs to the 30th.
    for (when, craving, outcome) in [
        ("2026-11-30T23:30:00-07:00", 9, Some("resisted")),
        ("2026-11-24T20:00:00-07:00", 6, Some("used")),
        ("2026-11-24T08:00:00-07:00", 2, None),
        // A day before the 7-day window, and just after it in UTC terms.
        ("2026-11-23T23:59:00-07:00", 10, Some("resisted")),
    ] {
        store
            .create::<CheckIn>(checkin(when, craving, &["Call Sam"], outcome))
            .await
            .unwrap();
    }
    store
        .create::<TriggerEntry>(TriggerDraft {
            at: Some(DateTime::parse_from_rfc3339("2026-11-27T18:00:00-07:00").unwrap()),
            category: "places".into(),
            description: "Drove past the bar".into(),
            intensity: 7,
            visibility: Visibility::Private,
            ..TriggerDraft::default()
        })
        .await
        .unwrap();
    let week = store.insights(date("2026-11-30"), 7).await.unwrap();
    assert_eq!(
        (week.from, week.to),
        (date("2026-11-24"), date("2026-11-30"))
    );
    let counted: u32 = week.trend.iter().map(|d| d.checkins).sum();
    assert_eq!(counted, 3);
    assert_eq!(week.trend.last().unwrap().max, Some(9));
    assert_eq!(week.trend[0].mean, Some(4.0));
    assert_eq!(week.top_triggers.len(), 1);
    let helped = &week.helped[0];
    assert_eq!(
        (
            helped.strategy.as_str(),
            helped.passed,
            helped.uses,
            helped.used
        ),
        ("Call Sam", 1, 3, 1)
    );
    let month = store.insights(date("2026-11-30"), 30).await.unwrap();
    assert_eq!(month.trend.iter().map(|d| d.checkins).sum::<u32>(), 4);

    for days in [0, 367] {
        match store.insights(date("2026-11-30"), days).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e.fields()[0].field, "days"),
            other => panic!("{days} days: {other:?}"),
        }
    }
}

#[tokio::test]
async fn progress_counts_are_off_until_chosen_and_chips_are_new_once_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let today = date("2026-11-30");
    // Nine days of check-ins in a row, the last few in New York after a
    // week in Denver; a use reported on the 25th.
    let first = date("2026-11-22");
    for i in 0..9 {
        let day = first + TimeDelta::days(i);
        let offset = if i < 5 { "-07:00" } else { "-05:00" };
        let outcome = (day == date("2026-11-25")).then_some("used");
        store
            .create::<CheckIn>(checkin(&format!("{day}T21:00:00{offset}"), 4, &[], outcome))
            .await
            .unwrap();
    }
    let off = store.progress(today).await.unwrap();
    assert_eq!(off.settings, ProgressSettings::default());
    assert!(off.streak.is_none() && off.days_without_use.is_none() && off.program.is_none());
    assert!(off.chips.is_empty() && off.new_milestones.is_empty());

    let settings = ProgressSettings {
        checkin_streak: true,
        days_without_use_from: Some(date("2026-11-01")),
        program: true,
    };
    store.set_progress_settings(&settings, today).await.unwrap();
    let p = store.progress(today).await.unwrap();
    let streak = p.streak.as_ref().unwrap();
    assert_eq!((streak.current, streak.checked_in_today), (9, true));
    let free = p.days_without_use.as_ref().unwrap();
    assert_eq!((free.current, free.longest, free.this_month), (5, 24, 29));
    assert_eq!(free.last_use, Some(date("2026-11-25")));
    let chips = |list: &[steady_model::progress::Milestone], counter| -> Vec<u32> {
        list.iter()
            .filter(|m| m.counter == counter)
            .map(|m| m.days)
            .collect()
    };
    assert_eq!(chips(&p.new_milestones, Counter::CheckinStreak), [1, 7]);
    assert_eq!(chips(&p.new_milestones, Counter::DaysWithoutUse), [1]);
    // No program is set: nothing to show for it.
    assert!(p.program.is_none());

    // Looked at again, and after a restart: the same chips, none new.
    assert!(
        store
            .progress(today)
            .await
            .unwrap()
            .new_milestones
            .is_empty()
    );
    store.close().await;
    drop(store);
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let again = store.progress(today).await.unwrap();
    assert!(again.new_milestones.is_empty());
    assert_eq!(again.chips, p.chips);

    // The lapse edited away (it was a craving that passed): the stretch is
    // whole again: a stretch from the 1st, whose chips (1, 7 and 30 days)
    // were never seen, so they are new — once.
    let lapse = store
        .list::<CheckIn>(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|e| e.data.outcome.is_some())
        .unwrap();
    let mut draft = steady_model::Body::to_draft(&lapse.data);
    draft.outcome = Some("resisted".into());
    store.update::<CheckIn>(lapse.id, draft).await.unwrap();
    let whole = store.progress(today).await.unwrap();
    let free = whole.days_without_use.as_ref().unwrap();
    assert_eq!((free.current, free.last_use), (30, None));
    assert_eq!(
        chips(&whole.new_milestones, Counter::DaysWithoutUse),
        [1, 7, 30]
    );
    assert!(
        store
            .progress(today)
            .await
            .unwrap()
            .new_milestones
            .is_empty()
    );

    // A start after today is refused, and the settings stay as they were.
    let later = ProgressSettings {
        days_without_use_from: Some(date("2026-12-01")),
        ..settings.clone()
    };
    match store.set_progress_settings(&later, today).await {
        Err(StoreError::Invalid(e)) => {
            assert_eq!(e.fields()[0].field, "days_without_use_from");
            assert!(
                e.fields()[0].message.contains("today"),
                "{}",
                e.fields()[0].message
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.progress_settings().await.unwrap(), settings);
}
