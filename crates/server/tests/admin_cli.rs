//! `steady-server admin ...` sets up a clinic from the command line, and the
//! account it makes can sign in to the server `steady-server serve` runs.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn add_user(
    database: &str,
    clinic: &str,
    email: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    admin(
        database,
        &[
            "add-user", "--clinic", clinic, "--email", email, "--name", "Ana", "--role", role,
        ],
        Some(password),
    )
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn admin(database: &str, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_steady-server"));
    cmd.args(["--database", database, "admin"]).args(args);
    if let Some(p) = password {
        cmd.env("STEADY_PASSWORD", p);
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn an_admin_made_on_the_command_line_signs_in_to_the_served_api() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("clinic.db").display());

    let created = admin(
        &database,
        &["create-clinic", "--name", "Riverside IOP"],
        None,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let clinic = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert_eq!(clinic.len(), 36, "a UUID: {clinic}");

    let short = add_user(&database, &clinic, "ana@clinic.example", "admin", "short");
    assert!(!short.status.success());
    assert!(stderr(&short).contains("at least 12 characters"));
    let unknown = add_user(
        &database,
        "nope",
        "ana@clinic.example",
        "admin",
        "a long enough password",
    );
    assert!(stderr(&unknown).contains("clinic does not exist"));
    let made = add_user(
        &database,
        &clinic,
        "Ana@Clinic.example",
        "admin",
        "a long enough password",
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let again = add_user(
        &database,
        &clinic,
        "ana@clinic.example",
        "counselor",
        "a long enough password",
    );
    assert!(stderr(&again).contains("email is already taken"));
    let role = add_user(
        &database,
        &clinic,
        "bo@clinic.example",
        "boss",
        "a long enough password",
    );
    assert!(stderr(&role).contains("--role must be counselor or admin"));

    let mut server = Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args(["--database", &database, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "ana@clinic.example", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // An admin sets up a second factor before anything else.
    let signed: Value = r.json().await.unwrap();
    assert_eq!(signed["stage"], "enrol");
    let early = http.get(format!("{base}/v1/me")).send().await.unwrap();
    assert_eq!(early.status(), 401);
    common::second_factor(&http, &base, "ana@clinic.example", &signed).await;
    let me: Value = http
        .get(format!("{base}/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["clinic_id"], clinic.as_str());

    // SIGTERM: the server finishes and says so.
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "steady-server stopped");
}
