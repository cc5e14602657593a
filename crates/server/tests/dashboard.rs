//! What the dashboard needs from the server, short of a browser: its files
//! under a strict Content-Security-Policy and no caching of anything but
//! hashed assets; the page's own session (CSRF token, idle time); sessions
//! that end when idle, taking open event streams with them; and the admins'
//! devices page and audit filters. On SQLite and on PostgreSQL where the
//! database matters.

mod common;

use std::time::Duration;

use common::{PASSWORD, TestDb, client, paired_device, sign_in, staff, start};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use steady_server::db::{NewUser, Role};
use steady_server::testing::start_with;

#[tokio::test]
async fn pages_come_with_a_strict_policy_and_are_never_cached() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>Steady</title><script type=module src=/assets/app-1a2b.js></script>",
    )
    .unwrap();
    std::fs::write(dir.path().join("assets/app-1a2b.js"), "export {};").unwrap();
    let mut settings = db.settings();
    settings.dashboard_dir = Some(dir.path().to_owned());
    let server = start_with(settings).await;
    let base = format!("http://{}", server.addr);

    let page = Client::new().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let h = page.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("/assets/app-1a2b.js"));

    let asset = Client::new()
        .get(format!("{base}/assets/app-1a2b.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    // The API's answers carry the same headers, and are never cached.
    let health = Client::new()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.headers()["cache-control"], "no-store");
    assert!(health.headers().contains_key("content-security-policy"));
    // Nothing outside the folder.
    let escape = Client::new()
        .get(format!("{base}/assets/..%2f..%2fCargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(escape.status(), StatusCode::NOT_FOUND);
    server.stop().await.unwrap();

    // Without a built dashboard, `/` says how to build it.
    let server = start(&db).await;
    let page = Client::new()
        .get(format!("http://{}/", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("cargo xtask server"));
    server.stop().await.unwrap();
}

async fn session(http: &Client, base: &str) -> (StatusCode, Value) {
    let r = http.get(format!("{base}/v1/session")).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_idle_session_ends_and_takes_its_event_stream_with_it() {
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.idle = Duration::from_secs(3);
    let server = start_with(settings).await;
    let base = &format!("http://{}", server.addr);
    staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;

    let dana = &client();
    assert_eq!(session(dana, base).await.0, StatusCode::UNAUTHORIZED);
    let csrf = sign_in(dana, base, "dana@clinic.example").await;
    // A reloaded page gets its token and the idle time from here.
    let (status, current) = session(dana, base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["csrf_token"], csrf.as_str());
    assert_eq!(current["idle_seconds"], 3);
    assert_eq!(current["user"]["email"], "dana@clinic.example");

    // An open event stream is not activity: it ends with the idle session.
    let started = std::time::Instant::now();
    let mut stream = dana
        .get(format!("{base}/v1/caseload/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its idle session");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "ended after {:?}, before the session was idle",
        started.elapsed()
    );
    assert_eq!(session(dana, base).await.0, StatusCode::UNAUTHORIZED);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn signing_out_ends_the_event_stream() {
    let db = TestDb::sqlite().await;
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;
    let dana = &client();
    let csrf = sign_in(dana, base, "dana@clinic.example").await;
    let mut stream = dana
        .get(format!("{base}/v1/caseload/events"))
        .send()
        .await
        .unwrap();
    let r = dana
        .delete(format!("{base}/v1/session"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived the sign-out");
    server.stop().await.unwrap();
}

async fn admins_see_devices_and_filter_the_audit_log(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let (token, patient_id, dana) =
        paired_device(&db, base, "dana@clinic.example", &["checkin"]).await;
    let any = steady_server::db::connect(db.url()).await.unwrap();
    any.create_user(&NewUser {
        clinic_id: dana.clinic_id.clone(),
        email: "ana@clinic.example".into(),
        name: "Ana Admin".into(),
        role: Role::Admin,
        password_hash: steady_server::secret::hash_password(PASSWORD).unwrap(),
    })
    .await
    .unwrap();
    // Another clinic's device, which Ana must not see.
    paired_device(&db, base, "omar@other.example", &["checkin"]).await;

    // Dana reads Ana R.'s records, which is audited.
    let dana_http = &client();
    let dana_csrf = sign_in(dana_http, base, "dana@clinic.example").await;
    let r = dana_http
        .get(format!(
            "{base}/v1/patients/{patient_id}/records?kind=checkin"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // A counselor may not use the admins' pages.
    let r = dana_http
        .get(format!("{base}/v1/devices"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let ana = &client();
    let csrf = sign_in(ana, base, "ana@clinic.example").await;
    let devices: Value = ana
        .get(format!("{base}/v1/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["patient_name"], "Ana R.");
    assert_eq!(devices[0]["counselor_name"], "Dana Counselor");
    assert!(devices[0]["revoked_ms"].is_null());
    let device_id = devices[0]["id"].as_str().unwrap().to_owned();

    // Revoking needs the CSRF token; then the device's token stops working.
    let revoke = |csrf: &str| {
        ana.delete(format!("{base}/v1/devices/{device_id}"))
            .header("x-csrf-token", csrf)
            .send()
    };
    assert_eq!(revoke("").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        revoke(&csrf).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(revoke(&csrf).await.unwrap().status(), StatusCode::NOT_FOUND);
    let r = Client::new()
        .get(format!("{base}/v1/device"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The audit log, filtered: by action, with names to read it by.
    let audit = |query: &'static str| async move {
        let r = ana
            .get(format!("{base}/v1/audit?{query}"))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json::<Value>().await.unwrap())
    };
    let (_, reads) = audit("action=read%20records").await;
    let reads = reads.as_array().unwrap();
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(reads[0]["actor_name"], "Dana Counselor");
    assert_eq!(reads[0]["patient_name"], "Ana R.");
    let (_, revoked) = audit("action=revoke%20device").await;
    assert_eq!(revoked[0]["actor_name"], "Ana Admin");
    assert_eq!(revoked[0]["detail"], device_id.as_str());
    // A time range: everything so far is after 2000 and before 2100.
    let (_, all) = audit("from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, none) = audit("to=2000-01-01T00:00:00Z").await;
    assert_eq!(none.as_array().unwrap().len(), 0);
    let (status, error) = audit("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z").await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to"))
    );
    let (status, error) = audit("from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    // Sign-out from the dashboard ends the session for every later request.
    let r = dana_http
        .delete(format!("{base}/v1/session"))
        .header("x-csrf-token", &dana_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(session(dana_http, base).await.0, StatusCode::UNAUTHORIZED);
    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn admins_see_devices_and_filter_the_audit_log_on_sqlite() {
    admins_see_devices_and_filter_the_audit_log(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn admins_see_devices_and_filter_the_audit_log_on_postgres() {
    admins_see_devices_and_filter_the_audit_log(TestDb::postgres().await).await;
}

/// The patient page lists what the care team sent (whatever kinds the
/// patient shares) and names worksheet questions from the templates.
#[tokio::test]
async fn counselors_read_what_they_sent_and_the_worksheet_templates() {
    let db = TestDb::sqlite().await;
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let (_token, patient_id, _dana) =
        paired_device(&db, base, "dana@clinic.example", &["checkin"]).await;
    let dana = &client();
    assert_eq!(
        dana.get(format!("{base}/v1/worksheet-templates"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let csrf = sign_in(dana, base, "dana@clinic.example").await;
    let templates: Value = dana
        .get(format!("{base}/v1/worksheet-templates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let coping = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "coping-card")
        .expect("the coping card is listed");
    assert_eq!(coping["item"][0]["linkId"], "situation");

    let post = |path: String, body: Value| {
        dana.post(format!("{base}{path}"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let r = post(
        format!("/v1/patients/{patient_id}/messages"),
        serde_json::json!({"text": "How was group?"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post(
        format!("/v1/patients/{patient_id}/assignments"),
        serde_json::json!({"template": "coping-card", "due": "2026-12-04"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let list = |kind: &'static str| {
        let patient_id = patient_id.clone();
        async move {
            let r = dana
                .get(format!(
                    "{base}/v1/patients/{patient_id}/records?kind={kind}"
                ))
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let (status, messages) = list("message").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(messages[0]["fields"]["text"], "How was group?");
    let (_, assignments) = list("assignment").await;
    assert_eq!(assignments[0]["fields"]["due"], "2026-12-04");
    // A kind the patient does not share stays closed; an unknown one is named.
    assert_eq!(list("worksheet").await.0, StatusCode::NOT_FOUND);
    let (status, error) = list("tarot").await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    server.stop().await.unwrap();
}

/// A dashboard page fires several requests at once while apps push: on
/// SQLite every one of them must still find its session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_hold_while_apps_push() {
    let db = TestDb::sqlite().await;
    let server = start(&db).await;
    let base = format!("http://{}", server.addr);
    let (token, _patient, _dana) =
        paired_device(&db, &base, "dana@clinic.example", &["checkin"]).await;
    let dana = client();
    sign_in(&dana, &base, "dana@clinic.example").await;
    let ms = chrono::Utc::now().timestamp_millis() as u64;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30u64 {
        let (url, token) = (base.clone(), token.clone());
        tasks.spawn(async move {
            let id = format!("0190a000-0000-7000-8000-{i:012}");
            let record = common::wire_checkin(&id, "2026-11-20T23:05:00-07:00", 3, "", ms, i + 1);
            Client::new()
                .post(format!("{url}/v1/sync/push"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "records": [record] }))
                .send()
                .await
                .unwrap()
                .status()
        });
        let (url, dana) = (base.clone(), dana.clone());
        tasks.spawn(async move {
            dana.get(format!("{url}/v1/session"))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    server.stop().await.unwrap();
}
