//! The app's sync client against the real server on 127.0.0.1:0, on SQLite
//! and on PostgreSQL: pairing with consent, push of care-team records only,
//! the counselor's reads and writes, two devices converging field by field,
//! a worksheet reviewed while it is edited, consent withdrawn, and the
//! server out of reach.

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::json;
use steady_core::{ConsentTerms, ListQuery, Store, SyncClient, SyncError};
use steady_model::{
    AnswerValue, Assignment, Body, CheckIn, CheckInDraft, Message, Reply, ReplyDraft, Visibility,
    Worksheet, WorksheetDraft, WorksheetStatus,
};
use steady_server::testing::TestDb;

mod common;

use common::clinic::Clinic;

fn consent() -> ConsentTerms {
    ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: [
            "checkin",
            "trigger",
            "worksheet",
            "event",
            "attendance",
            "plan",
        ]
        .map(String::from)
        .to_vec(),
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

async fn checkins(store: &Store) -> Vec<(String, i32, String)> {
    let mut out: Vec<(String, i32, String)> = store
        .list::<CheckIn>(&ListQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| (e.id.to_string(), e.data.craving.into(), e.data.note))
        .collect();
    out.sort();
    out
}

async fn story(db: TestDb) {
    let clinic = Clinic::open(db).await;
    let base = clinic.base.clone();
    let any = &clinic.any;
    let patient = clinic.patient("Ana R.").await;
    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(&dir.path().join("phone"), &common::store_key())
        .await
        .unwrap();
    let laptop = Store::open(&dir.path().join("laptop"), &common::store_key())
        .await
        .unwrap();
    let client = SyncClient::new();

    // Before pairing there is nothing to sync, and it says so.
    let err = client.sync(&phone).await.unwrap_err();
    assert!(matches!(err, SyncError::NotPaired), "{err}");

    // Entries made before pairing go up on the first sync; the private one never.
    let shared = phone
        .create::<CheckIn>(checkin(6, "after work", Visibility::CareTeam))
        .await
        .unwrap();
    phone
        .create::<CheckIn>(checkin(3, "PRIVATE-NOTE", Visibility::Private))
        .await
        .unwrap();
    let code = clinic.code(&patient.id).await;
    let preview = client.preview(&base, &code).await.unwrap();
    assert_eq!(
        (preview.clinic.as_str(), preview.counselor.as_str()),
        ("Riverside IOP", "Dana Counselor")
    );
    // A code that could have been handed out but was not: the server says
    // so. The real code with one character changed, or two swapped: the app
    // says "typo" without asking the server.
    let wrong = client
        .preview(&base, steady_model::pairing::EXAMPLE_CODE)
        .await
        .unwrap_err();
    assert!(
        wrong.to_string().contains("expired or was already used"),
        "{wrong}"
    );
    let mut typo = code.clone().into_bytes();
    typo[3] = if typo[3] == b'A' { b'B' } else { b'A' };
    let mut swapped = code.clone().into_bytes();
    swapped.swap(0, 9);
    for mistyped in [typo, swapped] {
        let mistyped = String::from_utf8(mistyped).unwrap();
        if mistyped == code {
            continue;
        }
        let e = client.preview(&base, &mistyped).await.unwrap_err();
        assert!(e.to_string().contains("has a typo"), "{mistyped}: {e}");
    }
    let malformed = client.preview(&base, "12").await.unwrap_err();
    assert!(
        malformed.to_string().contains("10 letters and digits"),
        "{malformed}"
    );
    let status = client
        .pair(&phone, &base, &code, consent(), "Ana's phone")
        .await
        .unwrap();
    assert!(status.paired);
    // The server names the recipient from the code's counselor and clinic.
    assert_eq!(
        status.consent.as_ref().unwrap().recipient,
        "Dana Counselor and the care team at Riverside IOP"
    );
    assert_eq!(status.pending, 1, "only the care-team check-in waits");
    let report = client.sync(&phone).await.unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0));
    let status = phone.sync_status().await.unwrap();
    assert_eq!(status.pending, 0);
    assert!(status.log.last_success.is_some() && status.log.last_error.is_none());
    // The code was single use.
    let again = client
        .pair(&laptop, &base, &code, consent(), "Ana's laptop")
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("expired or was already used"),
        "{again}"
    );

    // The counselor sees the shared check-in and not the private one.
    let dana = clinic.sign_in().await;
    let records_path = format!("/v1/patients/{}/records?kind=checkin", patient.id);
    let (status_code, records) = dana.get(&records_path).await;
    assert_eq!(status_code, StatusCode::OK);
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["fields"]["note"], "after work");
    assert!(!records.to_string().contains("PRIVATE-NOTE"));

    // The counselor assigns a worksheet and sends a message; both arrive.
    let (s, _) = dana
        .send(
            reqwest::Method::POST,
            &format!("/v1/patients/{}/assignments", patient.id),
            json!({"template": "cbt-thought-record", "note": "About Thursday"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, bad) = dana
        .send(
            reqwest::Method::POST,
            &format!("/v1/patients/{}/assignments", patient.id),
            json!({"template": "tarot"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["field"], "template");
    let (s, _) = dana
        .send(
            reqwest::Method::POST,
            &format!("/v1/patients/{}/messages", patient.id),
            json!({"text": "How did the weekend go?"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let report = client.sync(&phone).await.unwrap();
    assert_eq!(report.pulled, 2, "{report:?}");
    let assignments = phone
        .list::<Assignment>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(assignments.len(), 1);
    assert_eq!(assignments[0].data.template, "cbt-thought-record");
    assert_eq!(assignments[0].data.from, "Dana Counselor");
    let messages = phone
        .list::<Message>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(messages[0].data.text, "How did the weekend go?");
    assert_eq!(
        phone.sync_status().await.unwrap().pending,
        0,
        "what came from the server is not sent back"
    );
    // Reading the message is the patient's one write to it.
    phone.mark_message_read(messages[0].id).await.unwrap();
    assert_eq!(phone.sync_status().await.unwrap().pending, 1);
    let report = client.sync(&phone).await.unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0));
    let held = any
        .records_of(&patient.id, steady_model::RecordKind::Message)
        .await
        .unwrap()
        .records;
    assert!(held[0].fields.0.contains_key("read_at"));

    // The patient answers. A reply is announced by no one (it is theirs),
    // travels though the consent lists no such kind, and shows on the
    // caseload as unread until the counselor's page reads it.
    assert_eq!(
        phone.announce_new_messages().await.unwrap(),
        0,
        "read already"
    );
    let stray = phone
        .create::<Reply>(ReplyDraft {
            text: "to nothing".into(),
            in_reply_to: Some(steady_model::RecordId::new()),
        })
        .await
        .unwrap_err();
    assert!(
        stray.to_string().contains("no longer in your log"),
        "{stray}"
    );
    let reply = phone
        .create::<Reply>(ReplyDraft {
            text: "  Better than I thought. Saw my sister.  ".into(),
            in_reply_to: Some(messages[0].id),
        })
        .await
        .unwrap();
    assert_eq!(phone.sync_status().await.unwrap().pending, 1);
    let report = client.sync(&phone).await.unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0));
    let (_, replies) = dana
        .get(&format!("/v1/patients/{}/records?kind=reply", patient.id))
        .await;
    assert_eq!(
        replies[0]["fields"]["text"],
        "Better than I thought. Saw my sister."
    );
    assert_eq!(
        replies[0]["fields"]["in_reply_to"],
        messages[0].id.to_string()
    );
    let unread = |caseload: serde_json::Value| caseload[0]["unread_replies"].clone();
    assert_eq!(unread(dana.get("/v1/caseload").await.1), 1);
    let (s, marked) = dana
        .send(
            reqwest::Method::POST,
            &format!("/v1/patients/{}/replies/read", patient.id),
            json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(marked["marked"], 1);
    assert_eq!(unread(dana.get("/v1/caseload").await.1), 0);
    client.sync(&phone).await.unwrap();
    let seen = phone.get::<Reply>(reply.id).await.unwrap();
    assert!(seen.data.read_at.is_some(), "the phone learns it was read");
    // A second message is announced once.
    dana.send(
        reqwest::Method::POST,
        &format!("/v1/patients/{}/messages", patient.id),
        json!({"text": "Good to hear. See you Thursday."}),
    )
    .await;
    client.sync(&phone).await.unwrap();
    assert_eq!(phone.announce_new_messages().await.unwrap(), 1);
    assert_eq!(phone.announce_new_messages().await.unwrap(), 0);

    // A second device pairs and gets everything.
    let code = clinic.code(&patient.id).await;
    client
        .pair(&laptop, &base, &code, consent(), "Ana's laptop")
        .await
        .unwrap();
    client.sync(&laptop).await.unwrap();
    assert_eq!(
        checkins(&laptop).await,
        vec![(shared.id.to_string(), 6, "after work".to_owned())]
    );
    assert_eq!(
        laptop
            .list::<Assignment>(&ListQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    // Offline edits to different fields of one check-in on both devices
    // both survive; the later edit of the same field wins.
    let mut on_phone = shared.data.to_draft();
    on_phone.craving = 8;
    phone.update::<CheckIn>(shared.id, on_phone).await.unwrap();
    let mut on_laptop = laptop
        .get::<CheckIn>(shared.id)
        .await
        .unwrap()
        .data
        .to_draft();
    on_laptop.note = "after work, then called Sam".into();
    laptop
        .update::<CheckIn>(shared.id, on_laptop)
        .await
        .unwrap();
    client.sync(&laptop).await.unwrap();
    client.sync(&phone).await.unwrap();
    client.sync(&laptop).await.unwrap();
    let expected = vec![(
        shared.id.to_string(),
        8,
        "after work, then called Sam".to_owned(),
    )];
    assert_eq!(checkins(&laptop).await, expected);
    let on_phone = checkins(&phone).await;
    assert!(on_phone.contains(&expected[0]), "{on_phone:?}");
    assert_eq!(
        on_phone.len(),
        2,
        "the private check-in stays on the phone only"
    );

    // A worksheet: the counselor reviews and comments while the patient edits.
    let sheet = phone
        .create::<Worksheet>(WorksheetDraft {
            template: "coping-card".into(),
            version: "1.0.0".into(),
            status: WorksheetStatus::Draft,
            visibility: Visibility::CareTeam,
            ..WorksheetDraft::default()
        })
        .await
        .unwrap();
    client.sync(&phone).await.unwrap();
    let sheet_path = format!("/v1/patients/{}/worksheets/{}", patient.id, sheet.id);
    let (s, _) = dana
        .send(
            reqwest::Method::PUT,
            &format!("{sheet_path}/review"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = dana
        .send(
            reqwest::Method::POST,
            &format!("{sheet_path}/comments"),
            json!({"text": "Good plan for Fridays."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut edit = sheet.data.to_draft();
    edit.status = WorksheetStatus::Complete;
    for item in ["situation", "reminders", "actions"] {
        edit.answers
            .0
            .insert(item.into(), vec![AnswerValue::Text(format!("my {item}"))]);
    }
    phone.update::<Worksheet>(sheet.id, edit).await.unwrap();
    client.sync(&phone).await.unwrap();
    let local = phone.get::<Worksheet>(sheet.id).await.unwrap().data;
    assert_eq!(local.status, WorksheetStatus::Complete);
    assert_eq!(local.review.as_ref().unwrap().by, "Dana Counselor");
    assert_eq!(
        local.comments.as_ref().unwrap()[0].text,
        "Good plan for Fridays."
    );
    // An edit after the review keeps it, here and on the server.
    let mut edit = local.to_draft();
    edit.status = WorksheetStatus::Draft;
    let kept = phone.update::<Worksheet>(sheet.id, edit).await.unwrap();
    assert!(kept.data.review.is_some());
    let report = client.sync(&phone).await.unwrap();
    assert_eq!(
        report.refused,
        0,
        "{:?}",
        phone.sync_log().await.unwrap().refused
    );
    let (_, sheets) = dana
        .get(&format!(
            "/v1/patients/{}/records?kind=worksheet",
            patient.id
        ))
        .await;
    assert_eq!(sheets[0]["fields"]["status"], "draft");
    assert_eq!(sheets[0]["fields"]["review"]["by"], "Dana Counselor");

    // The caseload shows the craving of 8 as a flag.
    let (_, caseload) = dana.get("/v1/caseload").await;
    assert_eq!(caseload[0]["patient"]["id"], patient.id.as_str());
    assert_eq!(caseload[0]["flags"], json!(["high_craving"]));

    // The patient withdraws consent from the phone: the laptop's next sync
    // stops with that in words, and the counselor's reads answer 404.
    let status = client.revoke_consent(&phone).await.unwrap();
    assert!(status.consent.is_none());
    laptop
        .create::<CheckIn>(checkin(2, "", Visibility::CareTeam))
        .await
        .unwrap();
    let err = client.sync(&laptop).await.unwrap_err();
    assert!(matches!(err, SyncError::ConsentRequired), "{err}");
    let status = laptop.sync_status().await.unwrap();
    assert!(status.log.last_error.unwrap().contains("no active consent"));
    assert!(status.consent.is_none());
    let err = client.sync(&laptop).await.unwrap_err();
    assert!(matches!(err, SyncError::NoConsent), "{err}");
    assert_eq!(dana.get(&records_path).await.0, StatusCode::NOT_FOUND);
    // Consent again from the laptop: the waiting check-in goes up.
    client.give_consent(&laptop, consent()).await.unwrap();
    let report = client.sync(&laptop).await.unwrap();
    assert_eq!(report.pushed, 1);
    let (s, records) = dana.get(&records_path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(records.as_array().unwrap().len(), 2);

    // The server out of reach: an error in words, nothing lost, and the
    // change still waiting.
    phone
        .create::<CheckIn>(checkin(5, "", Visibility::CareTeam))
        .await
        .unwrap();
    client.give_consent(&phone, consent()).await.unwrap();
    clinic.server.stop().await.unwrap();
    let err = client.sync(&phone).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("could not reach"), "{err}");
    let status = phone.sync_status().await.unwrap();
    assert_eq!(status.pending, 1);
    assert_eq!(
        status.log.last_error.as_deref(),
        Some(err.to_string().as_str())
    );

    phone.close().await;
    laptop.close().await;
    clinic.db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_and_a_counselor_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_and_a_counselor_on_postgres() {
    story(TestDb::postgres().await).await;
}
