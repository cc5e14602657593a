//! Nothing secret reaches the logs on the app's side of sync either: with
//! every library's tracing and `log` output captured at TRACE (the HTTP
//! client and its connection layer included, and the in-process server), a
//! marker written in a check-in's note, the device token and the pairing
//! code never appear, while the requests that carried them are logged.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{TimeDelta, Utc};
use steady_core::{ConsentTerms, Store, SyncClient};
use steady_model::{CheckIn, CheckInDraft, Visibility};
use steady_server::testing::TestDb;

mod common;

use common::clinic::Clinic;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_note_token_or_code_in_trace_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let clinic = Clinic::open(TestDb::sqlite().await).await;
    let base = clinic.base.clone();
    let patient = clinic.patient("Ana R.").await;
    let code = clinic.code(&patient.id).await;
    let marker = format!("MARKER-{}", uuid::Uuid::new_v4().simple());

    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(&dir.path().join("phone"), &common::store_key())
        .await
        .unwrap();
    let client = SyncClient::new();
    let consent = ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "treatment".into(),
        expires_at: Utc::now() + TimeDelta::days(30),
    };
    client
        .pair(&phone, &base, &code, consent.clone(), "phone")
        .await
        .unwrap();
    phone
        .create::<CheckIn>(CheckInDraft {
            craving: 7,
            note: marker.clone(),
            visibility: Visibility::CareTeam,
            ..CheckInDraft::default()
        })
        .await
        .unwrap();
    client.sync(&phone).await.unwrap();
    // A second device pulls the note back down.
    let laptop = Store::open(&dir.path().join("laptop"), &common::store_key())
        .await
        .unwrap();
    let second = clinic.code(&patient.id).await;
    client
        .pair(&laptop, &base, &second, consent, "laptop")
        .await
        .unwrap();
    let report = client.sync(&laptop).await.unwrap();
    assert_eq!(report.pulled, 1);
    let token = phone.pairing().await.unwrap().unwrap().token;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("TRACE") && logs.contains("push") && logs.contains("pull"),
        "the capture should hold the traffic's trace: {} bytes",
        logs.len()
    );
    for (what, secret) in [
        ("note", marker.as_str()),
        ("token", token.as_str()),
        ("pairing code", code.as_str()),
        ("second pairing code", second.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} reached the logs");
    }
    println!("{} bytes of TRACE logs, no note, token or code", logs.len());
    phone.close().await;
    laptop.close().await;
    clinic.close().await;
}
