//! A patient takes a shared entry back: a check-in made private after it
//! was synced is withdrawn through sync. The server keeps a tombstone (the
//! record's visibility, nothing of its contents), the counselor sees
//! "withdrawn by the patient" and no longer counts it in insights, and the
//! audit log names the withdrawal and the device. The entry stays whole on
//! the device; shared again, it comes back. The phone fetches who read its
//! patient's records and keeps the list. On SQLite and PostgreSQL.

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;
use steady_core::{ConsentTerms, Store, SyncClient};
use steady_model::{CheckIn, CheckInDraft, Visibility};
use steady_server::db::AuditFilter;
use steady_server::testing::TestDb;

mod common;

use common::clinic::Clinic;

const SECRET: &str = "WITHDRAWN-NOTE-a81c";

fn consent() -> ConsentTerms {
    ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "My treatment at Riverside IOP".into(),
        expires_at: Utc::now() + TimeDelta::days(180),
    }
}

fn checkin(craving: i32, note: &str, visibility: Visibility) -> CheckInDraft {
    CheckInDraft {
        craving,
        note: note.into(),
        visibility,
        ..CheckInDraft::default()
    }
}

async fn story(db: TestDb) {
    let clinic = Clinic::open(db).await;
    let patient = clinic.patient("Ana R.").await;
    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(dir.path(), &common::store_key()).await.unwrap();
    let client = SyncClient::new();
    let code = clinic.code(&patient.id).await;
    client
        .pair(&phone, &clinic.base, &code, consent(), "Ana's phone")
        .await
        .unwrap();
    let kept = phone
        .create::<CheckIn>(checkin(4, "kept shared", Visibility::CareTeam))
        .await
        .unwrap();
    let taken = phone
        .create::<CheckIn>(checkin(9, SECRET, Visibility::CareTeam))
        .await
        .unwrap();
    client.sync(&phone).await.unwrap();

    let dana = clinic.sign_in().await;
    let records = format!("/v1/patients/{}/records?kind=checkin", patient.id);
    let insights = format!("/v1/patients/{}/insights?days=7", patient.id);
    let (status, before) = dana.get(&records).await;
    assert_eq!(status, StatusCode::OK);
    assert!(before.to_string().contains(SECRET));
    let checkins_counted = |v: &serde_json::Value| -> i64 {
        v["trend"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["checkins"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(checkins_counted(&dana.get(&insights).await.1), 2);

    // Made private on the phone: one withdrawal goes up, without contents.
    phone
        .update::<CheckIn>(taken.id, checkin(9, SECRET, Visibility::Private))
        .await
        .unwrap();
    assert_eq!(phone.sync_status().await.unwrap().pending, 1);
    let report = client.sync(&phone).await.unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0));
    assert_eq!(phone.sync_status().await.unwrap().pending, 0);

    let (_, after) = dana.get(&records).await;
    let list = after.as_array().unwrap();
    assert_eq!(list.len(), 2, "{after}");
    let withdrawn = list
        .iter()
        .find(|r| r["id"] == taken.id.to_string())
        .unwrap();
    assert_eq!(withdrawn["withdrawn"], true);
    assert_eq!(withdrawn["fields"], serde_json::json!({}));
    assert!(!after.to_string().contains(SECRET), "{after}");
    assert!(after.to_string().contains("kept shared"));
    assert_eq!(
        checkins_counted(&dana.get(&insights).await.1),
        1,
        "insights leave it out"
    );

    // The server's row holds its visibility and nothing else.
    let rows = clinic.any.pull_raw(&patient.id, 0, 100).await.unwrap();
    let row = rows.iter().find(|r| r.id == taken.id.to_string()).unwrap();
    let fields: serde_json::Value = serde_json::from_str(&row.fields).unwrap();
    assert_eq!(
        fields.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["visibility"]
    );
    assert_eq!(fields["visibility"]["value"], "private");
    assert!(!rows.iter().any(|r| r.fields.contains(SECRET)));

    // The audit log has the withdrawal, by the device, naming no contents.
    let log = clinic
        .any
        .audit_log(
            &clinic.counselor.clinic_id,
            &AuditFilter {
                action: Some("withdraw record".into()),
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].patient_id, patient.id);
    assert_eq!(log[0].actor_name, "The patient, from their device");
    assert_eq!(log[0].detail, format!("kind=checkin id={}", taken.id));
    // It is not a disclosure: the patient's own list shows staff only.
    let disclosures = clinic
        .any
        .disclosures(&patient.id, None, 100)
        .await
        .unwrap();
    assert!(disclosures.iter().all(|d| d.action != "withdraw record"));

    // The patient's own record of who read what: the counselor's reads,
    // newest first, kept on the phone to read offline.
    let seen = client.refresh_disclosures(&phone).await.unwrap();
    assert!(seen.fetched_at.is_some());
    assert!(
        seen.entries.iter().any(|d| d.who == "Dana Counselor"
            && d.role == "counselor"
            && d.action == "read records"
            && d.kind.as_deref() == Some("checkin")),
        "{seen:?}"
    );
    assert!(seen.entries.iter().any(|d| d.action == "read insights"));
    assert!(seen.entries.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(phone.disclosures().await.unwrap(), seen);

    // Syncing again changes nothing; the phone keeps the whole entry.
    let again = client.sync(&phone).await.unwrap();
    assert_eq!((again.pushed, again.pulled), (0, 0), "{again:?}");
    let here = phone.get::<CheckIn>(taken.id).await.unwrap();
    assert_eq!(here.data.note, SECRET);
    assert_eq!(here.data.visibility, Visibility::Private);

    // Shared again, it comes back whole.
    phone
        .update::<CheckIn>(taken.id, checkin(9, SECRET, Visibility::CareTeam))
        .await
        .unwrap();
    client.sync(&phone).await.unwrap();
    let (_, back) = dana.get(&records).await;
    let back = back
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == taken.id.to_string())
        .unwrap()
        .clone();
    assert_eq!(back["withdrawn"], false);
    assert_eq!(back["fields"]["note"], SECRET);
    assert_eq!(kept.data.note, "kept shared");
    clinic.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_check_in_leaves_nothing_on_the_sqlite_server() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_check_in_leaves_nothing_on_the_postgres_server() {
    story(TestDb::postgres().await).await;
}
