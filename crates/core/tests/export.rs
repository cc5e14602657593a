//! "Export my data" on a real store: every record in records.json and in
//! the CSV of its kind, the FHIR Bundle validated by fhir.resources and the
//! schedule read by Python icalendar (`export_check.py`, run with the
//! Python `cargo xtask test` installs them into, `STEADY_PYTHON`).

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};
use steady_core::Store;
use steady_model::{
    Answers, Attendance, AttendanceDraft, CheckIn, CheckInDraft, Event, EventDraft, Halt,
    ProgramDraft, RecordKind, TriggerDraft, TriggerEntry, Visibility, Worksheet, WorksheetDraft,
    WorksheetStatus,
};

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

fn worksheet(template: &str, answers: Value, status: WorksheetStatus) -> WorksheetDraft {
    WorksheetDraft {
        template: template.into(),
        version: "1.0.0".into(),
        status,
        started: Some(at("2026-11-20T18:30:00-07:00")),
        completed: None,
        answers: serde_json::from_value::<Answers>(answers).unwrap(),
        visibility: Visibility::Private,
        assignment: None,
    }
}

async fn keep_some_of_everything(store: &Store) {
    let checkins: Vec<CheckInDraft> = (0..40)
        .map(|i| CheckInDraft {
            at: Some(at(&format!(
                "2026-11-{:02}T2{}:15:00-07:00",
                1 + i % 28,
                i % 4
            ))),
            craving: i % 11,
            mood: Some(i % 11 - 5),
            emotions: vec!["anxious".into(), "lonely, \"again\"".into()],
            halt: Halt {
                tired: i % 2 == 0,
                ..Halt::default()
            },
            coping: vec!["Called Sam".into()],
            outcome: Some(["resisted", "used", "unsure"][i as usize % 3].into()),
            note: format!("Line one\nline two, with a comma; entry {i}"),
            visibility: if i % 5 == 0 {
                Visibility::Private
            } else {
                Visibility::CareTeam
            },
            ..CheckInDraft::default()
        })
        .collect();
    store.create_all::<CheckIn>(checkins).await.unwrap();
    let triggers: Vec<TriggerDraft> = (0..12)
        .map(|i| TriggerDraft {
            at: Some(at(&format!("2026-11-{:02}T18:00:00-07:00", 1 + i))),
            category: "places".into(),
            description: "Drove past the bar".into(),
            intensity: 6,
            visibility: Visibility::Private,
            ..TriggerDraft::default()
        })
        .collect();
    store.create_all::<TriggerEntry>(triggers).await.unwrap();
    let group = store
        .create::<Event>(EventDraft {
            title: "Relapse-prevention group".into(),
            kind: "relapse_prevention".into(),
            start: Some(at("2026-11-02T18:00:00-07:00").naive_local()),
            zone: "America/Denver".into(),
            duration_minutes: 90,
            ..EventDraft::default()
        })
        .await
        .unwrap();
    store
        .create::<Attendance>(AttendanceDraft {
            event_id: group.id,
            occurrence: at("2026-11-02T18:00:00-07:00").naive_local(),
            at: at("2026-11-02T18:00:00-07:00"),
            status: "attended".into(),
            minutes: 90,
            visibility: Visibility::Private,
        })
        .await
        .unwrap();
    store
        .save_program(ProgramDraft {
            level: "iop".into(),
            clinic: "Riverside".into(),
            start: Some(at("2026-11-02T00:00:00-07:00").date_naive()),
            ..ProgramDraft::default()
        })
        .await
        .unwrap();
    // A finished scale and a thought record begun with a blank group.
    let pacs = json!({"frequency": ["3"], "intensity": ["4"], "duration": ["2"], "resistance": ["1"], "overall": ["3"]});
    store
        .create::<Worksheet>(worksheet("pacs", pacs, WorksheetStatus::Complete))
        .await
        .unwrap();
    let begun = json!({
        "situation": [{ "situation.what": [""] }],
        "moods": [{ "moods.mood": ["anxious"], "moods.rating": [80] }, {}],
    });
    store
        .create::<Worksheet>(worksheet(
            "cbt-thought-record",
            begun,
            WorksheetStatus::Draft,
        ))
        .await
        .unwrap();
}

/// Where a JSON document holds an empty array, object or string, or a null:
/// FHIR JSON allows none of them.
fn empties(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(format!("{path}: null")),
        Value::String(s) if s.trim().is_empty() => found.push(format!("{path}: \"{s}\"")),
        Value::Array(items) if items.is_empty() => found.push(format!("{path}: []")),
        Value::Object(fields) if fields.is_empty() => found.push(format!("{path}: {{}}")),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                empties(item, &format!("{path}[{i}]"), found);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                empties(item, &format!("{path}.{key}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn no_exported_fhir_document_holds_an_empty_array_object_or_string() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data"), &common::key())
        .await
        .unwrap();
    keep_some_of_everything(&store).await;
    let report = store
        .export_all(&dir.path().join("exports"), at("2026-12-01T21:30:00-07:00"))
        .await
        .unwrap();
    let bundle: Value = serde_json::from_slice(
        &std::fs::read(std::path::Path::new(&report.folder).join("fhir-bundle.json")).unwrap(),
    )
    .unwrap();
    let mut documents = vec![("fhir-bundle.json".to_owned(), bundle)];
    // Each finished worksheet's own export, as the app's "Export as FHIR"
    // writes it (a draft is in the Bundle only).
    for entry in store
        .list::<Worksheet>(&steady_core::ListQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.data.status == WorksheetStatus::Complete)
    {
        let export = steady_core::fhir_export(&entry).unwrap();
        documents.push((format!("{} response", entry.data.template), export.response));
        documents.push((
            format!("{} questionnaire", entry.data.template),
            export.questionnaire,
        ));
    }
    assert_eq!(documents.len(), 3);
    for (name, document) in &documents {
        let mut found = Vec::new();
        empties(document, "", &mut found);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

#[tokio::test]
async fn every_record_is_exported_and_outside_readers_accept_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data"), &common::key())
        .await
        .unwrap();
    keep_some_of_everything(&store).await;
    let out = dir.path().join("exports");
    let now = at("2026-12-01T21:30:00-07:00");
    let report = store.export_all(&out, now).await.unwrap();
    let folder = std::path::PathBuf::from(&report.folder);
    assert_eq!(folder, out.join("Steady export 2026-12-01 2130"));
    assert_eq!(
        report.files,
        [
            "README.txt",
            "records.json",
            "checkins.csv",
            "triggers.csv",
            "attendance.csv",
            "worksheet-answers.csv",
            "fhir-bundle.json",
            "schedule.ics"
        ]
    );
    // Nothing else in the parent: the temporary folder was renamed.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);

    // records.json: every live record of every kind, private ones too.
    let everything: Value =
        serde_json::from_slice(&std::fs::read(folder.join("records.json")).unwrap()).unwrap();
    assert_eq!(everything["format"], "steady-export");
    assert_eq!(everything["version"], 1);
    let exported: BTreeSet<(String, String)> = everything["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut stored = BTreeSet::new();
    let raw = sqlx::SqlitePool::connect_with(Store::encrypted_options(
        &dir.path().join("data").join(steady_core::DB_FILE),
        &common::key(),
    ))
    .await
    .unwrap();
    for (kind, id) in
        sqlx::query_as::<_, (String, String)>("SELECT kind, id FROM records WHERE deleted = 0")
            .fetch_all(&raw)
            .await
            .unwrap()
    {
        stored.insert((kind, id));
    }
    assert_eq!(exported, stored);
    assert_eq!(report.records as usize, stored.len());
    let of = |kind: RecordKind| stored.iter().filter(|(k, _)| k == kind.as_str()).count();
    assert_eq!((of(RecordKind::CheckIn), of(RecordKind::Trigger)), (40, 12));

    // The outside readers.
    let python = std::env::var_os("STEADY_PYTHON").expect(
        "STEADY_PYTHON is not set: run `cargo xtask test`, which installs fhir.resources and icalendar from PyPI and says where",
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/export_check.py");
    let run = Command::new(python)
        .arg(script)
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "the outside readers refused the export: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        read["fhir"],
        json!({"QuestionnaireResponse": 2, "Questionnaire": 2, "Observation": 40})
    );
    assert_eq!(read["fhir_statuses"], json!(["completed", "in-progress"]));
    assert!(
        read["observations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o[0] == "2026-11-01T20:15:00-07:00" && o[1] == 0),
        "{}",
        read["observations"]
    );
    assert_eq!(read["events"], json!(["Relapse-prevention group"]));

    // Every check-in, trigger, mark and answer is a row, read back as written.
    let rows = |name: &str| read[name].as_array().unwrap().clone();
    let checkin_ids: BTreeSet<String> = rows("checkins")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let stored_checkins: BTreeSet<String> = stored
        .iter()
        .filter(|(k, _)| k == "checkin")
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(checkin_ids, stored_checkins);
    let first = rows("checkins")
        .into_iter()
        .find(|r| r["note"] == "Line one\nline two, with a comma; entry 7")
        .expect("a note with a line break and a comma reads back whole");
    assert_eq!(first["emotions"], "anxious; lonely, \"again\"");
    assert_eq!(first["outcome"], "used");
    assert_eq!(rows("triggers").len(), 12);
    assert_eq!(rows("attendance").len(), 1);
    let answers = rows("worksheet-answers");
    assert!(
        answers
            .iter()
            .any(|r| r["item"] == "moods.1/moods.rating" && r["answer"] == "80"),
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|r| r["template"] == "pacs").count(),
        5
    );
    store.close().await;
}

#[tokio::test]
async fn an_export_into_a_folder_it_cannot_write_says_so_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data"), &common::key())
        .await
        .unwrap();
    keep_some_of_everything(&store).await;
    // A file where the folder should be.
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, "x").unwrap();
    let err = store
        .export_all(&blocked, at("2026-12-01T21:30:00-07:00"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Choose a folder you can write to"),
        "{err}"
    );
    assert_eq!(std::fs::read(&blocked).unwrap(), b"x");
    store.close().await;
}
