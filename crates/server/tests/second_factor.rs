//! The staff's second factor against the real server, on SQLite and on
//! PostgreSQL: an admin must set one up before anything else; a code from
//! the app finishes a sign-in, once (a replayed code is refused); a wrong
//! code is refused; a recovery code works once; a trusted browser skips the
//! code; the clinic can require it of counselors; and the admin command
//! resets it, leaving a record.

mod common;

use common::{PASSWORD, TestDb, staff, start, totp};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use steady_server::db::Role;

fn step_now() -> u64 {
    chrono::Utc::now().timestamp() as u64 / 30
}

fn jar() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

async fn password(http: &Client, base: &str, email: &str) -> Value {
    let r = http
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn post(http: &Client, url: String, csrf: &str, body: Value) -> (StatusCode, Value) {
    let r = http
        .post(url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn code(http: &Client, base: &str, signed: &Value, code: &str, remember: bool) -> StatusCode {
    let csrf = signed["csrf_token"].as_str().unwrap();
    post(
        http,
        format!("{base}/v1/session/second-factor"),
        csrf,
        json!({"code": code, "remember_browser": remember}),
    )
    .await
    .0
}

async fn me(http: &Client, base: &str) -> (StatusCode, Value) {
    let r = http.get(format!("{base}/v1/me")).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    staff(&db, "ana@clinic.example", PASSWORD, Role::Admin).await;

    // An admin without a second factor must set one up first.
    let ana = jar();
    let signed = password(&ana, base, "ana@clinic.example").await;
    assert_eq!(signed["stage"], "enrol");
    let csrf = signed["csrf_token"].as_str().unwrap().to_owned();
    let (status, body) = me(&ana, base).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "second_factor_required");
    let (status, new) = post(&ana, format!("{base}/v1/second-factor"), &csrf, json!(null)).await;
    assert_eq!(status, StatusCode::OK, "{new}");
    let secret = new["secret"].as_str().unwrap().to_owned();
    assert!(
        new["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Steady:")
    );
    let t = totp(&secret);
    let (status, _) = post(
        &ana,
        format!("{base}/v1/second-factor/confirm"),
        &csrf,
        json!({"code": "000000"}),
    )
    .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || t.generate(step_now() * 30) == "000000",
        "a wrong first code is refused"
    );
    let first_step = step_now();
    let (status, codes) = post(
        &ana,
        format!("{base}/v1/second-factor/confirm"),
        &csrf,
        json!({"code": t.generate(first_step * 30)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    let recovery: Vec<String> = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(me(&ana, base).await.0, StatusCode::OK);
    let (_, status_now) = {
        let r = ana
            .get(format!("{base}/v1/second-factor"))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(
        status_now,
        json!({"enrolled": true, "required": true, "recovery_codes_left": 10})
    );

    // Next sign-in: the code is asked for; a wrong one and the one already
    // used are refused; the next step's code works.
    let again = jar();
    let signed = password(&again, base, "ana@clinic.example").await;
    assert_eq!(signed["stage"], "second_factor");
    assert_eq!(me(&again, base).await.0, StatusCode::UNAUTHORIZED);
    let wrong = format!(
        "{:06}",
        (t.generate(step_now() * 30).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    assert_eq!(
        code(&again, base, &signed, &wrong, false).await,
        StatusCode::UNAUTHORIZED
    );
    let replayed = t.generate(first_step * 30);
    assert_eq!(
        code(&again, base, &signed, &replayed, false).await,
        StatusCode::UNAUTHORIZED
    );
    let next = t.generate((first_step + 1) * 30);
    assert_eq!(
        code(&again, base, &signed, &next, true).await,
        StatusCode::OK
    );
    assert_eq!(me(&again, base).await.0, StatusCode::OK);

    // A recovery code works once.
    let third = jar();
    let signed = password(&third, base, "ana@clinic.example").await;
    assert_eq!(
        code(&third, base, &signed, &recovery[3].to_uppercase(), false).await,
        StatusCode::OK
    );
    let fourth = jar();
    let signed = password(&fourth, base, "ana@clinic.example").await;
    assert_eq!(
        code(&fourth, base, &signed, &recovery[3], false).await,
        StatusCode::UNAUTHORIZED
    );

    // The browser trusted above skips the code (its cookie is in `again`).
    let signed = password(&again, base, "ana@clinic.example").await;
    assert_eq!(signed["stage"], "signed_in");

    // The clinic requires it of counselors: Dana sets one up at her next sign-in.
    let admin_csrf = signed["csrf_token"].as_str().unwrap().to_owned();
    let r = again
        .put(format!("{base}/v1/clinic/second-factor"))
        .header("x-csrf-token", &admin_csrf)
        .json(&json!({"counselors": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = post(
        &again,
        format!("{base}/v1/staff"),
        &admin_csrf,
        json!({"email": "dana@clinic.example", "name": "Dana", "role": "counselor", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let dana = jar();
    let signed = password(&dana, base, "dana@clinic.example").await;
    assert_eq!(signed["stage"], "enrol");

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn second_factor_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn second_factor_on_postgres() {
    story(TestDb::postgres().await).await;
}

/// `steady-server admin reset-second-factor` removes it (a lost phone);
/// the next sign-in sets up a new one, and the reset is recorded.
#[tokio::test]
async fn the_admin_command_resets_a_second_factor() {
    let db = TestDb::sqlite().await;
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    staff(&db, "ana@clinic.example", PASSWORD, Role::Admin).await;
    let ana = jar();
    let signed = password(&ana, base, "ana@clinic.example").await;
    common::second_factor(&ana, base, "ana@clinic.example", &signed).await;
    assert_eq!(
        password(&jar(), base, "ana@clinic.example").await["stage"],
        "second_factor"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args([
            "--database",
            db.url(),
            "admin",
            "reset-second-factor",
            "--email",
            "ana@clinic.example",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        password(&jar(), base, "ana@clinic.example").await["stage"],
        "enrol"
    );
    let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT action, by_whom FROM account_events")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "second factor reset");
    assert!(events[0].1.starts_with("steady-server admin"));
    // The record is append-only.
    assert!(
        sqlx::query("DELETE FROM account_events")
            .execute(&pool)
            .await
            .is_err()
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args([
            "--database",
            db.url(),
            "admin",
            "reset-second-factor",
            "--email",
            "nobody@clinic.example",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account"));
}
