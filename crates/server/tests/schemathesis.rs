//! Schemathesis (from PyPI, installed by `cargo xtask test`) generates
//! requests from the server's own OpenAPI document and checks every answer:
//! no server error, and status, content type and body as documented. It runs
//! as a paired device, a counselor and an admin (signed in with the second
//! factor), on SQLite and PostgreSQL,
//! each bounded in time. The server runs with strict documentation, so an
//! answer its document does not list comes back as a 500 and fails here.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{PASSWORD, TestDb, paired_device, staff, start};
use reqwest::Client;
use serde_json::{Value, json};
use steady_server::db::Role;

/// Seconds each role's run may take.
fn seconds_per_run() -> u32 {
    std::env::var("STEADY_SCHEMATHESIS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40)
}

fn schemathesis() -> PathBuf {
    std::env::var_os("STEADY_SCHEMATHESIS").map(PathBuf::from).expect(
        "STEADY_SCHEMATHESIS is not set: run `cargo xtask test`, which installs Schemathesis from PyPI and says where",
    )
}

/// Signs in; the session cookie and the CSRF token.
async fn session(base: &str, email: &str) -> (String, String) {
    let r = Client::new()
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body: Value = r.json().await.unwrap();
    // A client that sends this session's cookie, to finish a second factor.
    let http = Client::builder()
        .default_headers(
            [(
                reqwest::header::COOKIE,
                reqwest::header::HeaderValue::from_str(&cookie).unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    common::second_factor(&http, base, email, &body).await;
    (cookie, body["csrf_token"].as_str().unwrap().to_owned())
}

/// One run as one caller; its summary lines. Fails on any failure.
fn run(base: &str, role: &str, headers: &[String], exclude: &[&str], config: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config).unwrap();
    let mut st = Command::new(schemathesis());
    st.current_dir(dir.path())
        .arg("--config-file")
        .arg(&config_file)
        .arg("--no-color")
        .args(["run", &format!("{base}/v1/openapi.json")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--workers",
            "2",
            "--max-time",
            &seconds_per_run().to_string(),
            "--generation-database",
            "none",
            "--seed",
            "20261201",
        ]);
    for header in headers {
        st.args(["-H", header]);
    }
    for path in exclude {
        st.args(["--exclude-path", path]);
    }
    let out = st.output().expect("schemathesis runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let summary: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        out.status.success(),
        "schemathesis as {role} found failures:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figures = summary.join("\n");
    eprintln!("schemathesis as {role}:\n{figures}");
    let generated = text
        .lines()
        .skip_while(|l| l.trim() != "Test cases:")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(generated.contains("passed"), "no test cases ran: {text}");
    figures
}

async fn against(db: TestDb) {
    let server = start(&db).await;
    let base = format!("http://{}", server.addr);
    let (token, patient, counselor) = paired_device(
        &db,
        &base,
        "dana@clinic.example",
        &[
            "checkin",
            "trigger",
            "worksheet",
            "plan",
            "attendance",
            "program",
            "event",
        ],
    )
    .await;
    staff(&db, "ana@clinic.example", PASSWORD, Role::Admin).await;
    let ids = format!(
        "[parameters]\n\"patient_id\" = \"{patient}\"\n\"device_id\" = \"0190a000-0000-7000-8000-000000000001\"\n\"worksheet_id\" = \"0190a000-0000-7000-8000-000000000002\"\n"
    );
    // Both sign in before any run: the runs' guesses at /v1/session use up
    // this address's sign-in allowance.
    let counselor_session = session(&base, &counselor.email).await;
    let admin_session = session(&base, "ana@clinic.example").await;
    // The device first: the counselor's run may revoke it.
    run(
        &base,
        "a paired device",
        &[format!("Authorization: Bearer {token}")],
        &["/v1/device"],
        &ids,
    );
    let (cookie, csrf) = counselor_session;
    run(
        &base,
        "a counselor",
        &[format!("Cookie: {cookie}"), format!("X-CSRF-Token: {csrf}")],
        &["/v1/session", "/v1/caseload/events"],
        &ids,
    );
    let (cookie, csrf) = admin_session;
    run(
        &base,
        "an admin",
        &[format!("Cookie: {cookie}"), format!("X-CSRF-Token: {csrf}")],
        &["/v1/session", "/v1/caseload/events"],
        &ids,
    );
    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_documented_answers_on_sqlite() {
    against(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_documented_answers_on_postgres() {
    against(TestDb::postgres().await).await;
}
