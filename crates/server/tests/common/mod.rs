//! One test story, two backends: a fresh SQLite file, and a fresh database
//! on the PostgreSQL server `cargo xtask test` starts (its URL in
//! STEADY_TEST_POSTGRES_URL).

#![allow(dead_code)] // each test binary uses its own subset

use steady_server::db::{Role, User};

#[allow(unused_imports)]
pub use steady_server::testing::{TestDb, pairing_code, staff, start, start_with};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A patient of a new counselor, with one device paired with consent to
/// `kinds`; returns the device token, the patient's id and the counselor.
/// The password every test account is made with.
pub const PASSWORD: &str = "river stone lantern 42";

/// Signs a staff member in on `http` (its cookie jar keeps the session);
/// returns the CSRF token.
pub async fn sign_in(http: &reqwest::Client, base: &str, email: &str) -> String {
    let r = http
        .post(format!("{base}/v1/session"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let signed: serde_json::Value = r.json().await.unwrap();
    second_factor(http, base, email, &signed).await;
    signed["csrf_token"].as_str().unwrap().to_owned()
}

/// The TOTP secret of each account this process enrolled (by server and
/// email), and the last time step it used (a code is taken once).
static SECRETS: std::sync::Mutex<Vec<(String, String, u64)>> = std::sync::Mutex::new(Vec::new());

/// The authenticator app's view of `secret` (base32).
pub fn totp(secret: &str) -> totp_rs::TOTP {
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(secret.to_owned())
            .to_bytes()
            .unwrap(),
        Some("Steady".into()),
        "test".into(),
    )
    .unwrap()
}

/// A code of `email`'s secret for a time step after the last one used,
/// waiting for the next step when the allowed ones are spent.
pub async fn next_code(account: &str) -> String {
    loop {
        let now = chrono::Utc::now().timestamp() as u64 / 30;
        {
            let mut secrets = SECRETS.lock().unwrap();
            let entry = secrets
                .iter_mut()
                .find(|(a, _, _)| a == account)
                .expect("an account this test enrolled");
            let step = (entry.2 + 1).max(now - 1);
            if step <= now + 1 {
                entry.2 = step;
                return totp(&entry.1).generate(step * 30);
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Finishes a sign-in that the server answered with `signed`: sets up the
/// second factor when the account must (keeping its secret), or enters a
/// code when it has one.
pub async fn second_factor(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    signed: &serde_json::Value,
) {
    let csrf = signed["csrf_token"].as_str().unwrap();
    let account = format!("{base} {email}");
    match signed["stage"].as_str().unwrap() {
        "signed_in" => {}
        "enrol" => {
            let new: serde_json::Value = http
                .post(format!("{base}/v1/second-factor"))
                .header("x-csrf-token", csrf)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let secret = new["secret"].as_str().unwrap().to_owned();
            SECRETS.lock().unwrap().push((account.clone(), secret, 0));
            let code = next_code(&account).await;
            let r = http
                .post(format!("{base}/v1/second-factor/confirm"))
                .header("x-csrf-token", csrf)
                .json(&serde_json::json!({"code": code}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            assert_eq!(
                status,
                reqwest::StatusCode::OK,
                "{}",
                r.text().await.unwrap()
            );
        }
        "second_factor" => {
            let code = next_code(&account).await;
            let r = http
                .post(format!("{base}/v1/session/second-factor"))
                .header("x-csrf-token", csrf)
                .json(&serde_json::json!({"code": code}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
        }
        other => panic!("stage {other}"),
    }
}

pub async fn paired_device(
    db: &TestDb,
    base: &str,
    email: &str,
    kinds: &[&str],
) -> (String, String, User) {
    let counselor = staff(db, email, PASSWORD, Role::Counselor).await;
    let any = steady_server::db::connect(db.url()).await.unwrap();
    let patient = any.create_patient(&counselor, "Ana R.").await.unwrap();
    let code = pairing_code(db, &counselor, &patient.id).await;
    let expires = chrono::Utc::now() + chrono::TimeDelta::days(30);
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/v1/pair"))
        .json(&serde_json::json!({
            "code": code,
            "consent": {"recipient": "Riverside IOP", "kinds": kinds, "purpose": "treatment", "expires_at": expires.to_rfc3339()}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["token"].as_str().unwrap().to_owned(),
        patient.id,
        counselor,
    )
}

/// A whole, valid check-in on the wire: every field of the check-in a
/// patient would log at `at` (RFC 3339), each stamped at `ms` by `node`.
pub fn wire_checkin(
    id: &str,
    at: &str,
    craving: i32,
    note: &str,
    ms: u64,
    node: u64,
) -> serde_json::Value {
    use steady_model::{Body, CheckIn, CheckInDraft};
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let checkin = CheckIn::from_draft(
        CheckInDraft {
            at: Some(at),
            craving,
            note: note.to_owned(),
            ..CheckInDraft::default()
        },
        at,
    )
    .unwrap();
    let stamp = format!("{ms:015}-{:010}-{node:016x}", 0);
    let serde_json::Value::Object(body) = serde_json::to_value(checkin).unwrap() else {
        unreachable!()
    };
    let fields: serde_json::Map<String, serde_json::Value> = body
        .into_iter()
        .map(|(k, v)| (k, serde_json::json!({"value": v, "stamp": stamp})))
        .collect();
    serde_json::json!({"id": id, "kind": "checkin", "fields": fields})
}
