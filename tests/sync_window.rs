//! Sharing with the clinic in the real Steady window (tauri-driver ->
//! WebKitWebDriver -> the built app, under Xvfb) against the real server on
//! 127.0.0.1:0: the patient pairs in Settings after reading the consent, a
//! check-in logged on Today reaches the server with the header saying so,
//! the counselor's message arrives on Today, and stopping sharing shows in
//! the header. Run through `cargo xtask test`.

mod common;

use common::clinic::Clinic;
use common::*;
use serde_json::{Value, json};
use steady_server::testing::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_consent_and_sync_in_the_window() {
    let clinic = Clinic::open(TestDb::sqlite().await).await;
    let base = clinic.base.clone();
    let any = &clinic.any;
    let patient = clinic.patient("Ana R.").await;
    let code = clinic.code(&patient.id).await;

    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    // Before pairing, the header says nothing is shared.
    text_until(&client, "#sync-state", |t| t == "Not shared with a clinic").await;
    click(&client, "#sync-state").await;
    fill(&client, "#pair-server", &base).await;
    fill(&client, "#pair-code", &code.to_lowercase()).await;
    click(&client, "#pair-next").await;
    let consent = text_until(&client, "#consent", |t| t.contains("Share with")).await;
    assert!(
        consent.contains("Share with Dana Counselor and the care team at Riverside IOP?"),
        "{consent}"
    );
    assert!(consent.contains("Entries you mark private never leave this device."));
    check_layout(&client, 360, 640, "consent", &shots).await;
    click(&client, "#consent-accept").await;
    text_until(&client, "#consent-summary", |t| t.contains("Check-ins")).await;
    text_until(&client, "#sync-state", |t| t.starts_with("Synced")).await;

    // A craving logged on Today goes up within the debounce and the header says so.
    click(&client, "#nav-today").await;
    click(&client, "label.scale-step[data-value='8']").await;
    click(&client, "#quick-log").await;
    let mut held = Vec::new();
    for _ in 0..100 {
        held = any
            .records_of(&patient.id, steady_model::RecordKind::CheckIn)
            .await
            .unwrap()
            .records;
        if !held.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(held.len(), 1, "the check-in reached the server");
    assert_eq!(
        held[0].fields.0["craving"].value,
        Some(Value::from(8)),
        "with its craving"
    );
    text_until(&client, "#sync-state", |t| {
        t.starts_with("Synced") && !t.contains("waiting")
    })
    .await;

    // The counselor writes; Sync now brings the message to Today.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let signed: Value = http
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "dana@clinic.example", "password": "river stone lantern 42"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent = http
        .post(format!("{base}/v1/patients/{}/messages", patient.id))
        .header("x-csrf-token", signed["csrf_token"].as_str().unwrap())
        .json(&json!({"text": "Saw the 8 last night. Call me if it comes back?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    click(&client, "#nav-settings").await;
    click(&client, "#sync-now").await;
    click(&client, "#nav-today").await;
    text_until(&client, "#care-messages", |t| {
        t.contains("Saw the 8 last night. Call me if it comes back?")
    })
    .await;
    check_layout(&client, 360, 640, "care-team-today", &shots).await;

    // Stopping sharing asks first, then the header says it is off.
    click(&client, "#nav-settings").await;
    click(&client, "#consent-revoke").await;
    click(&client, "#consent-revoke-confirm").await;
    text_until(&client, "#consent-summary", |t| {
        t.contains("Sharing is off.")
    })
    .await;
    text_until(&client, "#sync-state", |t| t == "Sharing is off").await;
    let read = http
        .get(format!(
            "{base}/v1/patients/{}/records?kind=checkin",
            patient.id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        404,
        "the counselor no longer reads the records"
    );

    let _ = client.close().await;
    clinic.close().await;
}
