//! Nothing a patient writes, and nothing the care team sends, is in the
//! app's data folder in plain text. A marker goes into a check-in's note, a
//! trigger, a worksheet's answer, the relapse-prevention plan and a message
//! from the counselor (through the real server and sync); every byte of
//! every file in the folder (the database, its WAL and SHM) is scanned while
//! the store is open, after it closed, and after a restart that reads all
//! five back. Plain SQLite refuses the file. (After SIGKILL mid-write: the
//! crash test, `crates/core/tests/crash.rs`, scans after each of its kills.)

use std::path::{Path, PathBuf};

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::ConnectOptions;
use steady_core::keys::Given;
use steady_core::{ConsentTerms, DB_FILE, ListQuery, Store, SyncClient, vault};
use steady_model::{
    AnswerValue, CheckIn, CheckInDraft, Message, PlanDraft, TriggerDraft, TriggerEntry, Visibility,
    Worksheet, WorksheetDraft, WorksheetStatus,
};
use steady_server::testing::TestDb;

mod common;

use common::clinic::Clinic;

const MARKER: &str = "STEADY-MARKER-5e1d";

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(path);
        }
    }
    found
}

fn scanned(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

async fn all_five_read_back(store: &Store) {
    let q = ListQuery::default();
    let note = &store.list::<CheckIn>(&q).await.unwrap().items[0].data.note;
    assert!(note.contains(MARKER));
    let trigger = &store.list::<TriggerEntry>(&q).await.unwrap().items[0];
    assert!(trigger.data.description.contains(MARKER));
    let sheet = &store.list::<Worksheet>(&q).await.unwrap().items[0];
    assert!(format!("{:?}", sheet.data.answers).contains(MARKER));
    let plan = store.plan().await.unwrap().unwrap();
    assert!(plan.data.reasons[0].contains(MARKER));
    let message = &store.list::<Message>(&q).await.unwrap().items[0];
    assert!(message.data.text.contains(MARKER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_file_in_the_data_folder_holds_what_was_written() {
    let clinic = Clinic::open(TestDb::sqlite().await).await;
    let patient = clinic.patient("Ana R.").await;
    let data = tempfile::tempdir().unwrap();
    let keys = Given(common::store_key());
    let store = vault::open(data.path(), &keys).await.unwrap();
    let client = SyncClient::new();
    let code = clinic.code(&patient.id).await;
    let consent = ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "My treatment".into(),
        expires_at: Utc::now() + TimeDelta::days(30),
    };
    client
        .pair(&store, &clinic.base, &code, consent, "Ana's phone")
        .await
        .unwrap();

    store
        .create::<CheckIn>(CheckInDraft {
            craving: 8,
            note: format!("{MARKER} in a note"),
            visibility: Visibility::CareTeam,
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .create::<TriggerEntry>(TriggerDraft {
            at: None,
            category: "people".into(),
            description: format!("{MARKER} in a trigger"),
            intensity: 7,
            response: String::new(),
            checkin_id: None,
            visibility: Visibility::Private,
        })
        .await
        .unwrap();
    let mut sheet = WorksheetDraft {
        template: "coping-card".into(),
        version: "1.0.0".into(),
        status: WorksheetStatus::Draft,
        visibility: Visibility::Private,
        ..WorksheetDraft::default()
    };
    sheet.answers.0.insert(
        "situation".into(),
        vec![AnswerValue::Text(format!("{MARKER} in an answer"))],
    );
    store.create::<Worksheet>(sheet).await.unwrap();
    store
        .save_plan(PlanDraft {
            reasons: vec![format!("{MARKER} in the plan")],
            ..Default::default()
        })
        .await
        .unwrap();
    let dana = clinic.sign_in().await;
    let (status, _) = dana
        .send(
            reqwest::Method::POST,
            &format!("/v1/patients/{}/messages", patient.id),
            json!({ "text": format!("{MARKER} in a message") }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    client.sync(&store).await.unwrap();
    all_five_read_back(&store).await;

    // Open (WAL and SHM in use), closed, and after a restart.
    assert!(data.path().join("steady.db-wal").exists());
    let mut scans = Vec::new();
    let found = files_containing(data.path(), MARKER.as_bytes());
    assert!(found.is_empty(), "open: the marker is in {found:?}");
    scans.push(scanned(data.path()));
    store.close().await;
    let found = files_containing(data.path(), MARKER.as_bytes());
    assert!(found.is_empty(), "closed: the marker is in {found:?}");
    scans.push(scanned(data.path()));
    let again = vault::open(data.path(), &keys).await.unwrap();
    all_five_read_back(&again).await;
    let found = files_containing(data.path(), MARKER.as_bytes());
    assert!(found.is_empty(), "restarted: the marker is in {found:?}");
    scans.push(scanned(data.path()));
    again.close().await;
    println!(
        "marker scan: no file held the marker; files scanned open/closed/restarted: {scans:?}"
    );

    // Plain SQLite cannot read the file.
    let plain = steady_core::connect_options(&data.path().join(DB_FILE))
        .create_if_missing(false)
        .connect()
        .await;
    let err = match plain {
        Ok(mut conn) => sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut conn)
            .await
            .unwrap_err(),
        Err(e) => e,
    };
    assert!(err.to_string().contains("file is not a database"), "{err}");
    clinic.close().await;
}
