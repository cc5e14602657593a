//! Encrypted backups on real stores: a round trip onto an empty store gives
//! the same records, stamps and deletions; restoring twice changes nothing;
//! an edit made after the backup survives restoring it; a wrong passphrase,
//! a truncated file and a flipped byte are refused in words with nothing
//! changed. (A restore killed part-way: `restore_crash.rs`.)

mod common;

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use steady_core::{Store, StoreError};
use steady_model::{Body, CheckIn, CheckInDraft, TriggerDraft, TriggerEntry, Visibility};

const PASSPHRASE: &str = "river stone lantern 42";

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-12-01T21:30:00-07:00").unwrap()
}

/// Every row as the database holds it: id, kind, body, stamps, deleted. A
/// body is compared as JSON without its null fields: a field without a
/// value travels (in sync and in a backup) as no value.
async fn rows(
    store: &Store,
    dir: &Path,
) -> Vec<(String, String, serde_json::Value, serde_json::Value, i64)> {
    let pool = sqlx::SqlitePool::connect_with(Store::encrypted_options(
        &dir.join(steady_core::DB_FILE),
        &common::key(),
    ))
    .await
    .unwrap();
    let raw: Vec<(String, String, String, String, i64)> =
        sqlx::query_as("SELECT id, kind, body, stamps, deleted FROM records ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let _ = store;
    raw.into_iter()
        .map(|(id, kind, body, stamps, deleted)| {
            let mut body: serde_json::Value = serde_json::from_str(&body).unwrap();
            body.as_object_mut().unwrap().retain(|_, v| !v.is_null());
            (
                id,
                kind,
                body,
                serde_json::from_str(&stamps).unwrap(),
                deleted,
            )
        })
        .collect()
}

async fn keep_a_month(store: &Store) -> Vec<steady_model::RecordId> {
    let checkins: Vec<CheckInDraft> = (0..300)
        .map(|i| CheckInDraft {
            at: Some(
                DateTime::parse_from_rfc3339(&format!(
                    "2026-11-{:02}T2{}:00:00-07:00",
                    1 + i % 30,
                    i % 4
                ))
                .unwrap(),
            ),
            craving: i % 11,
            coping: vec!["Called Sam".into()],
            outcome: Some("resisted".into()),
            note: format!("entry {i}"),
            visibility: if i % 3 == 0 {
                Visibility::Private
            } else {
                Visibility::CareTeam
            },
            ..CheckInDraft::default()
        })
        .collect();
    let ids: Vec<_> = store
        .create_all::<CheckIn>(checkins)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    store
        .create::<TriggerEntry>(TriggerDraft {
            category: "people".into(),
            description: "my brother came by".into(),
            intensity: 7,
            visibility: Visibility::Private,
            ..TriggerDraft::default()
        })
        .await
        .unwrap();
    // A deletion travels too.
    store.delete::<CheckIn>(ids[5]).await.unwrap();
    ids
}

async fn open(dir: &Path) -> Store {
    Store::open(dir, &common::key()).await.unwrap()
}

#[tokio::test]
async fn a_backup_restores_onto_an_empty_store_and_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let a = open(&a_dir).await;
    keep_a_month(&a).await;
    let file = dir.path().join("Steady backup.steadybackup");
    let made = a.backup_to(&file, PASSPHRASE, now()).await.unwrap();
    assert_eq!(made.records, 301);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..8], b"STEADYBK");
    assert!(
        !bytes.windows(9).any(|w| w == b"entry 123"),
        "a note in the clear in the backup file"
    );

    let b = open(&b_dir).await;
    let restored = b.restore_from(&file, PASSPHRASE).await.unwrap();
    assert_eq!(
        (restored.records, restored.changed, restored.unchanged),
        (301, 301, 0)
    );
    assert!(restored.skipped.is_empty(), "{:?}", restored.skipped);
    assert_eq!(rows(&b, &b_dir).await, rows(&a, &a_dir).await);
    // What the app reads, too: the live check-ins and the progress days.
    assert_eq!(
        b.insights(now().date_naive(), 30).await.unwrap(),
        a.insights(now().date_naive(), 30).await.unwrap()
    );

    let before = rows(&b, &b_dir).await;
    let again = b.restore_from(&file, PASSPHRASE).await.unwrap();
    assert_eq!((again.changed, again.unchanged), (0, 301));
    assert_eq!(rows(&b, &b_dir).await, before);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn an_edit_made_after_the_backup_survives_restoring_it() {
    let dir = tempfile::tempdir().unwrap();
    let a_dir = dir.path().join("a");
    let a = open(&a_dir).await;
    let ids = keep_a_month(&a).await;
    let file = dir.path().join("backup");
    a.backup_to(&file, PASSPHRASE, now()).await.unwrap();
    let edited = a.get::<CheckIn>(ids[7]).await.unwrap();
    let mut draft = edited.data.to_draft();
    draft.note = "written after the backup".into();
    draft.craving = 2;
    a.update::<CheckIn>(ids[7], draft).await.unwrap();
    // And a check-in new since the backup stays.
    let newer = a
        .create::<CheckIn>(CheckInDraft {
            craving: 4,
            ..CheckInDraft::default()
        })
        .await
        .unwrap();

    let report = a.restore_from(&file, PASSPHRASE).await.unwrap();
    assert_eq!(report.changed, 0, "an older backup changed newer entries");
    let kept = a.get::<CheckIn>(ids[7]).await.unwrap();
    assert_eq!(
        (kept.data.note.as_str(), kept.data.craving.value()),
        ("written after the backup", 2)
    );
    assert!(a.get::<CheckIn>(newer.id).await.is_ok());
    a.close().await;
}

#[tokio::test]
async fn a_wrong_passphrase_or_a_damaged_file_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let a = open(&a_dir).await;
    keep_a_month(&a).await;
    let file = dir.path().join("backup");
    a.backup_to(&file, PASSPHRASE, now()).await.unwrap();
    let b = open(&b_dir).await;
    b.create::<CheckIn>(CheckInDraft {
        craving: 3,
        ..CheckInDraft::default()
    })
    .await
    .unwrap();
    let before = rows(&b, &b_dir).await;
    let bytes = std::fs::read(&file).unwrap();

    let refused =
        |result: Result<steady_core::RestoreReport, StoreError>, field: &str, words: &str| {
            match result {
                Err(StoreError::Invalid(e)) => {
                    assert_eq!(e.fields()[0].field, field);
                    assert!(
                        e.fields()[0].message.contains(words),
                        "{}",
                        e.fields()[0].message
                    );
                    assert!(e.fields()[0].message.contains("Nothing was changed."));
                }
                other => panic!("{other:?}"),
            }
        };
    refused(
        b.restore_from(&file, "river stone lantern 43").await,
        "passphrase",
        "the passphrase is not the one it was made with",
    );
    let cut = dir.path().join("cut");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    refused(
        b.restore_from(&cut, PASSPHRASE).await,
        "passphrase",
        "the file is damaged",
    );
    std::fs::write(&cut, &bytes[..40]).unwrap();
    refused(b.restore_from(&cut, PASSPHRASE).await, "file", "cut short");
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 1;
    std::fs::write(&cut, &flipped).unwrap();
    refused(
        b.restore_from(&cut, PASSPHRASE).await,
        "passphrase",
        "damaged",
    );
    // A header that asks for 4 GiB of memory is not even tried.
    let mut greedy = bytes.clone();
    greedy[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&cut, &greedy).unwrap();
    refused(
        b.restore_from(&cut, PASSPHRASE).await,
        "file",
        "not made by Steady",
    );
    assert_eq!(rows(&b, &b_dir).await, before);

    // A short passphrase is refused before anything is written.
    let none = dir.path().join("none");
    match a.backup_to(&none, "short", now()).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.fields()[0].field, "passphrase"),
        other => panic!("{other:?}"),
    }
    assert!(!none.exists());
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn the_weekly_backup_comes_once_a_week_keeps_four_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let a_dir = dir.path().join("a");
    let a = open(&a_dir).await;
    keep_a_month(&a).await;
    assert!(
        a.auto_backup_if_due(now()).await.unwrap().is_none(),
        "off until chosen"
    );
    let folder = dir.path().join("backups");
    std::fs::create_dir(&folder).unwrap();
    match a.set_auto_backup(Some((&folder, "short"))).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.fields()[0].field, "passphrase"),
        other => panic!("{other:?}"),
    }
    let missing = dir.path().join("no such folder");
    assert!(
        a.set_auto_backup(Some((&missing, PASSPHRASE)))
            .await
            .is_err()
    );
    a.set_auto_backup(Some((&folder, PASSPHRASE)))
        .await
        .unwrap();

    let mut when = now();
    let first = a.auto_backup_if_due(when).await.unwrap().unwrap();
    assert!(
        first
            .path
            .ends_with("Steady weekly backup 2026-12-01.steadybackup"),
        "{}",
        first.path
    );
    // Not again within the week, whatever restarts come between.
    a.close().await;
    let a = open(&a_dir).await;
    assert!(
        a.auto_backup_if_due(when + chrono::TimeDelta::days(6))
            .await
            .unwrap()
            .is_none()
    );
    for _ in 0..5 {
        when += chrono::TimeDelta::days(7);
        assert!(a.auto_backup_if_due(when).await.unwrap().is_some());
    }
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Steady weekly backup 2026-12-15.steadybackup",
            "Steady weekly backup 2026-12-22.steadybackup",
            "Steady weekly backup 2026-12-29.steadybackup",
            "Steady weekly backup 2027-01-05.steadybackup",
        ]
    );
    let shown = a.auto_backup().await.unwrap().unwrap();
    assert_eq!(shown.last.unwrap(), when.with_timezone(&chrono::Utc));
    assert!(!format!("{shown:?}").contains(PASSPHRASE));
    let b_dir = dir.path().join("b");
    let b = open(&b_dir).await;
    let report = b
        .restore_from(&folder.join(&names[3]), PASSPHRASE)
        .await
        .unwrap();
    assert_eq!(report.changed, 301);
    a.set_auto_backup(None).await.unwrap();
    assert!(a.auto_backup().await.unwrap().is_none());
    a.close().await;
    b.close().await;
}
