//! Nothing secret reaches the server's logs: with tracing at its most
//! verbose, a marker written in a check-in's note, the device token, the
//! session cookie, the password and the pairing code never appear on the
//! server's output, while the requests that carried them are logged.

mod common;

use std::process::{Command, Stdio};

use reqwest::Client;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password 7";

fn admin(database: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args(["--database", database, "admin"])
        .args(args)
        .env("STEADY_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn no_record_contents_tokens_or_passwords_in_trace_logs() {
    story("text").await;
}

/// `log.format = "json"`: every line one JSON object a collector can read,
/// with the same fields and the same silence about secrets.
#[tokio::test]
async fn json_logs_are_one_object_a_line_and_as_silent() {
    story("json").await;
}

/// A JSON log line as `key=value ` pairs, so the checks below read both
/// formats alike.
fn flatten(line: &str) -> String {
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    let object = value.as_object().expect("each line is an object");
    assert!(
        object.contains_key("timestamp") && object.contains_key("level"),
        "{line}"
    );
    object
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s} "),
            other => format!("{k}={other} "),
        })
        .collect()
}

async fn story(format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("clinic.db").display());
    let clinic = admin(&database, &["create-clinic", "--name", "Riverside IOP"]);
    admin(
        &database,
        &[
            "add-user",
            "--clinic",
            &clinic,
            "--email",
            "dana@clinic.example",
            "--name",
            "Dana",
        ],
    );

    let log_path = dir.path().join("server.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args(["--database", &database, "serve", "--listen", "127.0.0.1:0"])
        .env("STEADY_LOG", "trace")
        .env("STEADY_LOG_FORMAT", format)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();

    // The counselor signs in, adds a patient and makes a code.
    let dana = Client::builder().cookie_store(true).build().unwrap();
    let r = dana
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "dana@clinic.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let patient: Value = dana
        .post(format!("{base}/v1/patients"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"display_name": "Ana"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = patient["id"].as_str().unwrap();
    let code: Value = dana
        .post(format!("{base}/v1/patients/{pid}/pairing-codes"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = code["code"].as_str().unwrap().to_owned();

    // The app pairs, pushes a check-in with the marker, pulls it back.
    let expires = chrono::Utc::now() + chrono::TimeDelta::days(30);
    let paired: Value = Client::new()
        .post(format!("{base}/v1/pair"))
        .json(&json!({"code": code, "consent": {"recipient": "Riverside IOP", "kinds": ["checkin"], "purpose": "treatment", "expires_at": expires.to_rfc3339()}}))
        .send().await.unwrap().json().await.unwrap();
    let token = paired["token"].as_str().unwrap().to_owned();
    let marker = format!("MARKER-{}", uuid_like());
    let now = chrono::Utc::now().timestamp_millis();
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"records": [common::wire_checkin(
            "0190a000-0000-7000-8000-00000000abcd",
            "2026-11-20T23:05:00-07:00",
            3,
            &marker,
            now as u64,
            9,
        )]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pulled = Client::new()
        .get(format!("{base}/v1/sync/pull"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        pulled.contains(&marker),
        "the marker went through the server"
    );
    let read = dana
        .get(format!("{base}/v1/patients/{pid}/records?kind=checkin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(read.contains(&marker));

    // Refusals: another clinic's patient id (BOLA), a change without the
    // CSRF token, a wrong password, a wrong device token.
    let other = "0190a000-0000-7000-8000-00000000beef";
    let r = dana
        .get(format!("{base}/v1/patients/{other}/records?kind=checkin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = dana
        .post(format!("{base}/v1/patients"))
        .json(&json!({"display_name": "Forged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = Client::new()
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "dana@clinic.example", "password": "wrong wrong wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = Client::new()
        .get(format!("{base}/v1/sync/pull"))
        .bearer_auth("not-a-device-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());
    let mut logs = std::fs::read_to_string(&log_path).unwrap();
    if format == "json" {
        logs = logs.lines().map(flatten).collect::<Vec<_>>().join("\n");
    }
    assert!(
        logs.contains("push") && logs.contains("records read") && logs.contains("device paired"),
        "the requests were logged"
    );
    assert!(
        logs.lines().count() > 20,
        "trace level is on: {} lines",
        logs.lines().count()
    );
    let dana_id = patient["counselor_id"].as_str().unwrap();
    let refused: Vec<&str> = logs.lines().filter(|l| l.contains("refused")).collect();
    for (route, actor, status) in [
        (
            "/v1/patients/{patient_id}/records",
            format!("user:{dana_id}"),
            404,
        ),
        ("/v1/patients", format!("user:{dana_id}"), 403),
        ("/v1/session", "anonymous".to_owned(), 401),
        ("/v1/sync/pull", "anonymous".to_owned(), 401),
    ] {
        assert!(
            refused
                .iter()
                .any(|l| l.contains(&format!("route={route} "))
                    && l.contains(&format!("actor={actor}"))
                    && l.contains(&format!("status={status}"))),
            "no refusal logged for {route} ({status}): {refused:#?}"
        );
    }
    assert!(
        !refused
            .iter()
            .any(|l| l.contains(other) || l.contains("Forged")),
        "a refusal's line holds what was sent"
    );
    for (what, secret) in [
        ("the note's marker", marker.as_str()),
        ("the device token", token.as_str()),
        ("the session cookie", cookie.as_str()),
        ("the CSRF token", csrf.as_str()),
        ("the password", PASSWORD),
        ("the pairing code", code.as_str()),
        ("the pairing code without its dash", &code.replace('-', "")),
        ("the wrong password", "wrong wrong wrong"),
    ] {
        assert!(
            !logs.contains(secret),
            "{what} appears in the server's logs"
        );
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}")
}
