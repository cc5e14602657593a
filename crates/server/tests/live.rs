//! Live caseload changes against the real server: a check-in pushed by a
//! device reaches the counselor's open event stream without a reload —
//! on SQLite through the one instance, on PostgreSQL also when the device
//! talks to another instance sharing the database (LISTEN/NOTIFY) — and
//! another counselor's stream hears nothing of it.

mod common;

use std::time::Duration;

use common::{PASSWORD, TestDb, client, paired_device, sign_in, staff, start};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use steady_server::db::Role;

async fn events(http: &Client, base: &str) -> Response {
    let r = http
        .get(format!("{base}/v1/caseload/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    r
}

/// Reads the stream until an event names `patient_id` or `wait` passes;
/// everything read, for the failure message.
async fn heard(stream: &mut Response, patient_id: &str, wait: Duration) -> (bool, String) {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !text.contains(patient_id) {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => return (false, text),
        }
    }
    (true, text)
}

async fn push_craving(base: &str, token: &str, craving: i32) {
    let now = chrono::Utc::now();
    let id = uuid::Uuid::now_v7().to_string();
    let record = common::wire_checkin(
        &id,
        &now.fixed_offset().to_rfc3339(),
        craving,
        "",
        now.timestamp_millis() as u64,
        1,
    );
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(token)
        .json(&json!({ "records": [record] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn story(db: TestDb, two_instances: bool) {
    let a = start(&db).await;
    let b = if two_instances {
        Some(start(&db).await)
    } else {
        None
    };
    let base_a = &format!("http://{}", a.addr);
    let base_b = &match &b {
        Some(b) => format!("http://{}", b.addr),
        None => base_a.clone(),
    };
    let (token, patient, _) = paired_device(&db, base_a, "dana@clinic.example", &["checkin"]).await;
    staff(&db, "yusuf@clinic.example", PASSWORD, Role::Counselor).await;

    let dana = &client();
    sign_in(dana, base_a, "dana@clinic.example").await;
    let mut dana_stream = events(dana, base_a).await;
    let yusuf = &client();
    sign_in(yusuf, base_a, "yusuf@clinic.example").await;
    let mut yusuf_stream = events(yusuf, base_a).await;

    // The device syncs a craving of 9 with the other instance.
    push_craving(base_b, &token, 9).await;
    let (got, text) = heard(&mut dana_stream, &patient, Duration::from_secs(10)).await;
    assert!(got, "dana's stream heard: {text:?}");
    assert!(text.contains("event: changed"), "{text}");
    assert!(!text.contains("craving"), "ids only: {text}");

    // The caseload, read once the event arrives, shows the flag.
    let caseload: Value = dana
        .get(format!("{base_a}/v1/caseload"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(caseload[0]["patient"]["id"], patient.as_str());
    assert_eq!(caseload[0]["flags"], json!(["high_craving"]));

    // Another counselor hears nothing of a patient who is not theirs.
    let (got, text) = heard(&mut yusuf_stream, &patient, Duration::from_secs(1)).await;
    assert!(!got, "yusuf's stream heard: {text:?}");

    // Signed out, there is no stream.
    let r = Client::new()
        .get(format!("{base_a}/v1/caseload/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Stopping ends the open streams rather than waiting on them forever.
    let stop = async {
        if let Some(b) = b {
            b.stop().await.unwrap();
        }
        a.stop().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(10), stop)
        .await
        .expect("the servers stop with event streams open");
    drop((dana_stream, yusuf_stream));
    db.drop_database().await;
}

#[tokio::test]
async fn a_pushed_checkin_reaches_an_open_caseload_on_sqlite() {
    story(TestDb::sqlite().await, false).await;
}

#[tokio::test]
async fn a_checkin_pushed_to_another_instance_reaches_an_open_caseload_on_postgres() {
    story(TestDb::postgres().await, true).await;
}
