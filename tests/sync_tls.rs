//! The patient app's own sync client pairs and syncs over HTTPS with the
//! real server terminating TLS itself (rustls), its certificate signed by a
//! CA made in the test; a client that does not trust that CA refuses the
//! server. On SQLite and PostgreSQL.

/// The patient app's own sync client pairs and syncs over HTTPS, trusting
/// the clinic's CA, on both backends; without that CA it refuses the
/// server, as it must.
async fn the_app_pairs_and_syncs_over_https(db: steady_server::testing::TestDb) {
    use steady_core::{ConsentTerms, Store, SyncClient, SyncError};
    use steady_model::{CheckIn, CheckInDraft, Visibility};
    use steady_server::db::Role;
    use steady_server::testing::{pairing_code, staff, start_with};

    let dir = tempfile::tempdir().unwrap();
    let ca = steady_server::testing::TestCa::new();
    ca.issue(dir.path(), "steady.clinic.example");
    let mut settings = db.settings();
    settings.tls = Some(steady_server::config::TlsFiles {
        certificate: dir.path().join("cert.pem"),
        private_key: dir.path().join("key.pem"),
    });
    let server = start_with(settings).await;
    let base = format!("https://localhost:{}", server.addr.port());
    let counselor = staff(
        &db,
        "dana@clinic.example",
        "river stone lantern 42",
        Role::Counselor,
    )
    .await;
    let any = steady_server::db::connect(db.url()).await.unwrap();
    let patient = any.create_patient(&counselor, "Ana R.").await.unwrap();
    let phone = Store::open(
        &dir.path().join("phone"),
        &steady_core::StoreKey::from_bytes([7; 32]),
    )
    .await
    .unwrap();
    phone
        .create::<CheckIn>(CheckInDraft {
            craving: 6,
            note: "after work".into(),
            visibility: Visibility::CareTeam,
            ..CheckInDraft::default()
        })
        .await
        .unwrap();
    let consent = ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "My treatment at Riverside IOP".into(),
        expires_at: chrono::Utc::now() + chrono::TimeDelta::days(90),
    };

    // A phone that does not trust the clinic's CA will not talk to it.
    let code = pairing_code(&db, &counselor, &patient.id).await;
    let untrusting = SyncClient::new();
    let refused = untrusting.preview(&base, &code).await.unwrap_err();
    assert!(
        matches!(refused, SyncError::Unreachable { .. }),
        "{refused:?}"
    );

    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let client = SyncClient::with_http(http);
    let status = client
        .pair(&phone, &base, &code, consent, "Ana's phone")
        .await
        .unwrap();
    assert!(status.paired);
    let report = client.sync(&phone).await.unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0));
    let stored = any.pull(&patient.id, 0, 10).await.unwrap();
    assert_eq!(
        stored.len(),
        1,
        "the check-in reached the server over HTTPS"
    );

    phone.close().await;
    any.close().await;
    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn the_app_pairs_and_syncs_over_https_on_sqlite() {
    the_app_pairs_and_syncs_over_https(steady_server::testing::TestDb::sqlite().await).await;
}

#[tokio::test]
async fn the_app_pairs_and_syncs_over_https_on_postgres() {
    the_app_pairs_and_syncs_over_https(steady_server::testing::TestDb::postgres().await).await;
}
