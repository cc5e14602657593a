//! The store on real SQLite files in temporary folders.

mod common;

use chrono::{DateTime, Duration, FixedOffset, Local, TimeZone, Utc};
use common::stamps;
use sqlx::Row;
use steady_core::{ListQuery, Store, StoreError};
use steady_model::{
    Body, CheckIn, CheckInDraft, Halt, RecordId, TriggerDraft, TriggerEntry, Visibility,
};
use tempfile::TempDir;

async fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    (dir, store)
}

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

fn full_draft(trigger: RecordId) -> CheckInDraft {
    CheckInDraft {
        at: Some(at("2026-11-20T23:10:00-07:00")),
        craving: 8,
        mood: Some(-3),
        emotions: vec!["anxious".into(), "bored".into()],
        halt: Halt {
            hungry: true,
            angry: false,
            lonely: true,
            tired: true,
        },
        substances: vec!["alcohol".into()],
        trigger_ids: vec![trigger],
        place: "home".into(),
        company: "alone".into(),
        coping: vec!["urge surfing".into(), "called my sponsor".into()],
        outcome: Some("resisted".into()),
        note: "Payday. Rode it out — took 20 minutes.".into(),
        visibility: Visibility::Private,
    }
}

fn trigger_draft() -> TriggerDraft {
    TriggerDraft {
        at: Some(at("2026-11-20T22:55:00-07:00")),
        category: "situations".into(),
        description: "payday".into(),
        intensity: 7,
        response: "went for a walk".into(),
        checkin_id: None,
        visibility: Visibility::CareTeam,
    }
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    let pool =
        sqlx::SqlitePool::connect_with(Store::encrypted_options(store.path(), &common::key()))
            .await
            .unwrap();
    let n = sqlx::query(sql).fetch_one(&pool).await.unwrap().get(0);
    pool.close().await;
    n
}

#[tokio::test]
async fn every_field_of_a_check_in_and_a_trigger_round_trips_through_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (checkin, trigger) = {
        let store = Store::open(dir.path(), &common::key()).await.unwrap();
        let trigger = store.create::<TriggerEntry>(trigger_draft()).await.unwrap();
        let checkin = store
            .create::<CheckIn>(full_draft(trigger.id))
            .await
            .unwrap();
        store.close().await;
        (checkin, trigger)
    };
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let got = store.get::<CheckIn>(checkin.id).await.unwrap();
    assert_eq!(got, checkin);
    let draft = full_draft(trigger.id);
    assert_eq!(got.data.to_draft(), draft, "every field as entered");
    assert_eq!(
        got.data.at.offset().local_minus_utc(),
        -7 * 3600,
        "offset kept"
    );
    let got = store.get::<TriggerEntry>(trigger.id).await.unwrap();
    assert_eq!(got, trigger);
    assert_eq!(got.data.to_draft(), trigger_draft());
}

#[tokio::test]
async fn an_edit_changes_the_record_and_stamps_only_the_changed_fields() {
    let (_dir, store) = open().await;
    let trigger = store.create::<TriggerEntry>(trigger_draft()).await.unwrap();
    let created = store
        .create::<CheckIn>(full_draft(trigger.id))
        .await
        .unwrap();
    let stamps_before = stamps(&store, created.id).await;

    let mut draft = created.data.to_draft();
    draft.craving = 4;
    draft.note = "Better after the walk.".into();
    let edited = store.update::<CheckIn>(created.id, draft).await.unwrap();
    assert_eq!(edited.data.craving.value(), 4);
    assert_eq!(store.get::<CheckIn>(created.id).await.unwrap(), edited);

    let stamps_after = stamps(&store, created.id).await;
    for (field, stamp) in &stamps_after {
        let before = &stamps_before[field];
        if field == "craving" || field == "note" {
            assert!(stamp.as_str() > before.as_str(), "{field} restamped");
        } else {
            assert_eq!(stamp, before, "{field} untouched");
        }
    }
}

#[tokio::test]
async fn delete_leaves_a_stamped_tombstone_and_hides_the_record() {
    let (_dir, store) = open().await;
    let keep = store
        .create::<CheckIn>(CheckInDraft {
            craving: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let gone = store
        .create::<CheckIn>(CheckInDraft {
            craving: 9,
            ..Default::default()
        })
        .await
        .unwrap();
    store.delete::<CheckIn>(gone.id).await.unwrap();
    store.delete::<CheckIn>(gone.id).await.unwrap(); // twice is fine

    assert!(matches!(
        store.get::<CheckIn>(gone.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let page = store.list::<CheckIn>(&ListQuery::default()).await.unwrap();
    assert_eq!(page.items, vec![keep]);
    assert_eq!(
        count(&store, "SELECT count(*) FROM records").await,
        2,
        "row kept"
    );
    assert!(stamps(&store, gone.id).await["deleted"].is_string());

    let edit = store
        .update::<CheckIn>(gone.id, CheckInDraft::default())
        .await;
    assert!(
        matches!(edit, Err(StoreError::NotFound { .. })),
        "no edits to the deleted"
    );
    let never = store.delete::<CheckIn>(RecordId::new()).await;
    assert!(matches!(never, Err(StoreError::NotFound { .. })));
}

#[tokio::test]
async fn lists_page_newest_first_within_a_range_without_gaps_or_repeats() {
    let (_dir, store) = open().await;
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let mut ids = Vec::new();
    for i in 0..23 {
        // Pairs share an instant, so the id must break the tie.
        let when = (base + Duration::hours(i / 2))
            .with_timezone(&Local)
            .fixed_offset();
        let e = store
            .create::<CheckIn>(CheckInDraft {
                at: Some(when),
                craving: (i % 11) as i32,
                ..Default::default()
            })
            .await
            .unwrap();
        ids.push((when, e.id));
    }
    ids.sort_by(|a, b| b.cmp(a));

    let mut seen = Vec::new();
    let mut query = ListQuery {
        limit: 5,
        ..Default::default()
    };
    loop {
        let page = store.list::<CheckIn>(&query).await.unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|e| (e.data.at, e.id)));
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    let range = ListQuery::between(base + Duration::hours(2), base + Duration::hours(4));
    let page = store.list::<CheckIn>(&range).await.unwrap();
    assert_eq!(
        page.items.len(),
        4,
        "hours 2 and 3, two entries each; hour 4 excluded"
    );
    assert!(page.next.is_none());

    let too_big = ListQuery {
        limit: 501,
        ..Default::default()
    };
    assert!(matches!(
        store.list::<CheckIn>(&too_big).await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn each_refused_input_stores_nothing_and_keeps_what_was_there() {
    let (_dir, store) = open().await;
    let kept = store
        .create::<CheckIn>(CheckInDraft {
            craving: 5,
            note: "keep me".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let refusals: Vec<(&str, CheckInDraft)> = vec![
        (
            "craving",
            CheckInDraft {
                craving: 11,
                ..Default::default()
            },
        ),
        (
            "craving",
            CheckInDraft {
                craving: -1,
                ..Default::default()
            },
        ),
        (
            "mood",
            CheckInDraft {
                mood: Some(6),
                ..Default::default()
            },
        ),
        (
            "at",
            CheckInDraft {
                at: Some(Local::now().fixed_offset() + Duration::minutes(10)),
                ..Default::default()
            },
        ),
        (
            "note",
            CheckInDraft {
                note: "x".repeat(10_001),
                ..Default::default()
            },
        ),
        (
            "outcome",
            CheckInDraft {
                outcome: Some("relapsed".into()),
                ..Default::default()
            },
        ),
        (
            "trigger_ids",
            CheckInDraft {
                trigger_ids: vec![RecordId::new()],
                ..Default::default()
            },
        ),
    ];
    for (field, draft) in refusals {
        match store.create::<CheckIn>(draft.clone()).await {
            Err(StoreError::Invalid(e)) => assert!(e.for_field(field).is_some(), "{field}: {e}"),
            other => panic!("{field}: expected a refusal, got {other:?}"),
        }
        match store.update::<CheckIn>(kept.id, draft).await {
            Err(StoreError::Invalid(e)) => assert!(e.for_field(field).is_some(), "{field}: {e}"),
            other => panic!("{field}: expected a refused edit, got {other:?}"),
        }
    }

    let trigger_refusals: Vec<(&str, TriggerDraft)> = vec![
        (
            "description",
            TriggerDraft {
                description: "  ".into(),
                ..trigger_draft()
            },
        ),
        (
            "category",
            TriggerDraft {
                category: "weather".into(),
                ..trigger_draft()
            },
        ),
        (
            "intensity",
            TriggerDraft {
                intensity: 11,
                ..trigger_draft()
            },
        ),
        (
            "checkin_id",
            TriggerDraft {
                checkin_id: Some(RecordId::new()),
                ..trigger_draft()
            },
        ),
    ];
    for (field, draft) in trigger_refusals {
        match store.create::<TriggerEntry>(draft).await {
            Err(StoreError::Invalid(e)) => assert!(e.for_field(field).is_some(), "{field}: {e}"),
            other => panic!("{field}: expected a refusal, got {other:?}"),
        }
    }

    assert_eq!(count(&store, "SELECT count(*) FROM records").await, 1);
    assert_eq!(store.get::<CheckIn>(kept.id).await.unwrap(), kept);
}

#[tokio::test]
async fn the_database_uses_wal_and_full_sync() {
    let (_dir, store) = open().await;
    let pool =
        sqlx::SqlitePool::connect_with(Store::encrypted_options(store.path(), &common::key()))
            .await
            .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sync, 2, "FULL");
}

#[tokio::test]
async fn stamps_keep_increasing_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let store = Store::open(dir.path(), &common::key()).await.unwrap();
        let e = store
            .create::<CheckIn>(CheckInDraft::default())
            .await
            .unwrap();
        let s = stamps(&store, e.id).await["craving"]
            .as_str()
            .unwrap()
            .to_owned();
        store.close().await;
        s
    };
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let e = store
        .create::<CheckIn>(CheckInDraft::default())
        .await
        .unwrap();
    let second = stamps(&store, e.id).await["craving"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(second > first);
    assert_eq!(first[27..], second[27..], "same device, same node id");
}

#[tokio::test]
async fn an_unwritable_data_folder_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let err = Store::open(&file.join("inside"), &common::key())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("STEADY_DATA_DIR"), "{err}");
}

#[tokio::test]
async fn a_batch_is_stored_whole_or_not_at_all() {
    let (_dir, store) = open().await;
    let good = |c| CheckInDraft {
        craving: c,
        ..Default::default()
    };
    let err = store
        .create_all::<CheckIn>(vec![good(1), good(2), good(12), good(3)])
        .await
        .unwrap_err();
    match err {
        StoreError::Invalid(e) => {
            let msg = e.for_field("2.craving").expect("the third entry's craving");
            assert!(msg.starts_with("Entry 3: Craving"), "{msg}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(count(&store, "SELECT count(*) FROM records").await, 0);

    let stored = store
        .create_all::<CheckIn>((0..=10).map(good))
        .await
        .unwrap();
    assert_eq!(stored.len(), 11);
    let page = store.list::<CheckIn>(&ListQuery::default()).await.unwrap();
    assert_eq!(page.items.len(), 11);
}

/// A plain database made by the first schema (before the schedule tables and
/// before encryption) opens, is encrypted and upgraded, and keeps its
/// check-ins.
#[tokio::test]
async fn a_database_from_the_first_schema_is_upgraded_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let first_only = dir.path().join("migrations");
    std::fs::create_dir(&first_only).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/0001_records.sql"),
        first_only.join("0001_records.sql"),
    )
    .unwrap();
    let db = dir.path().join(steady_core::DB_FILE);
    {
        let pool = sqlx::SqlitePool::connect_with(steady_core::connect_options(&db))
            .await
            .unwrap();
        sqlx::migrate::Migrator::new(first_only.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        // A check-in exactly as the first release wrote it.
        sqlx::query(
            "INSERT INTO records (id, kind, at_ms, visibility, body, stamps, updated) VALUES
             ('0192f5c4-6b1e-7cc3-9d2a-5b8e1f0a3c44', 'checkin', 1764200000000, 'care_team',
              '{\"at\":\"2025-11-26T16:33:20-07:00\",\"craving\":7,\"mood\":null,\"emotions\":[],\"halt\":{\"hungry\":false,\"angry\":false,\"lonely\":true,\"tired\":false},\"substances\":[],\"trigger_ids\":[],\"place\":\"\",\"company\":\"\",\"coping\":[],\"outcome\":null,\"note\":\"from release one\",\"visibility\":\"care_team\"}',
              '{}', '001764200000000-0000000000-00000000000000aa')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    // The plain file is moved into an encrypted one, then upgraded.
    let store = steady_core::vault::open(dir.path(), &steady_core::keys::Given(common::key()))
        .await
        .unwrap();
    let id: RecordId = "0192f5c4-6b1e-7cc3-9d2a-5b8e1f0a3c44".parse().unwrap();
    let old = store.get::<CheckIn>(id).await.unwrap();
    assert_eq!(old.data.note, "from release one");
    assert_eq!(old.data.craving.value(), 7);
    assert!(
        store.events().await.unwrap().is_empty(),
        "the new tables exist"
    );
}
