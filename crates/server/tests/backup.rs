//! `steady-server admin backup` while devices push, and `admin restore`
//! into a fresh database: every push acknowledged before the backup began
//! is in the restored copy, with every account, and the restored server
//! takes the same devices' tokens and the counselor's password. A restore
//! refuses a database that is not empty and a backup of the other backend.
//! On SQLite (VACUUM INTO) and PostgreSQL (pg_dump / pg_restore).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use steady_server::testing::{TestDb, start_with};

fn admin(database: &str, key: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args(["--database", database, "--key-file"])
        .arg(key)
        .arg("admin")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn story(db: TestDb, fresh: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = db.settings();
    settings.pushes_per_minute = 100_000;
    let key = settings.key_path().unwrap();
    let server = start_with(settings).await;
    let base = format!("http://{}", server.addr);

    // Three patients' phones, each pushing batches until told to stop;
    // each batch's ids are noted once the server has acknowledged it.
    let mut devices = Vec::new();
    for n in 0..3 {
        let email = format!("counselor{n}@clinic.example");
        devices.push(common::paired_device(&db, &base, &email, &["checkin"]).await);
    }
    let acknowledged = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut pushers = Vec::new();
    for (d, (token, _, _)) in devices.iter().enumerate() {
        let (token, base, acknowledged, stopped) = (
            token.clone(),
            base.clone(),
            acknowledged.clone(),
            stopped.clone(),
        );
        pushers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut batch = 0u64;
            while !*stopped.borrow() {
                let now = chrono::Utc::now().timestamp_millis() as u64;
                let ids: Vec<String> = (0..10)
                    .map(|i| format!("0190a000-0000-7000-8{d:03}-{:012}", batch * 10 + i))
                    .collect();
                let records: Vec<Value> = ids
                    .iter()
                    .map(|id| {
                        common::wire_checkin(id, "2026-11-20T23:05:00-07:00", 4, "pushed", now, 1)
                    })
                    .collect();
                let r = http
                    .post(format!("{base}/v1/sync/push"))
                    .bearer_auth(&token)
                    .json(&json!({ "records": records }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                acknowledged.lock().unwrap().extend(ids);
                batch += 1;
            }
            batch
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let backup = dir.path().join("steady.backup");
    let before: BTreeSet<String> = acknowledged.lock().unwrap().clone();
    let (ok, said) = {
        let (url, key, backup) = (db.url().to_owned(), key.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            admin(&url, &key, &["backup", "--to", backup.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    let after = acknowledged.lock().unwrap().len();
    stop.send(true).unwrap();
    let mut batches = 0;
    for p in pushers {
        batches += p.await.unwrap();
    }
    assert!(ok, "{said}");
    assert!(said.contains("Backed up to"), "{said}");
    assert!(
        after > before.len(),
        "pushes went on during the backup ({} before, {after} after, {batches} batches)",
        before.len()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is private");
    }
    // A backup never overwrites a file.
    let (ok, said) = admin(
        db.url(),
        &key,
        &["backup", "--to", backup.to_str().unwrap()],
    );
    assert!(!ok && said.contains("already exists"), "{said}");
    server.stop().await.unwrap();

    // Restored into a fresh database, with the server key kept apart.
    let (ok, said) = admin(
        fresh.url(),
        &key,
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(ok, "{said}");
    assert!(
        said.contains("3 clinics, 3 staff accounts, 3 patients, 3 paired devices"),
        "{said}"
    );
    // Not twice: the database is no longer empty.
    let (ok, said) = admin(
        fresh.url(),
        &key,
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(!ok, "{said}");
    assert!(said.contains("empty"), "{said}");

    let mut settings = fresh.settings();
    settings.key_file = Some(key.clone());
    let restored = start_with(settings).await;
    let base = format!("http://{}", restored.addr);
    let http = reqwest::Client::new();
    let mut present = BTreeSet::new();
    for (token, _, _) in &devices {
        let mut after = 0i64;
        loop {
            let page: Value = http
                .get(format!("{base}/v1/sync/pull?after={after}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for r in page["records"].as_array().unwrap() {
                present.insert(r["id"].as_str().unwrap().to_owned());
            }
            after = page["cursor"].as_i64().unwrap();
            if !page["more"].as_bool().unwrap() {
                break;
            }
        }
    }
    let missing: Vec<_> = before.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged before the backup are missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    // The counselors sign in to the restored server as before.
    let browser = common::client();
    common::sign_in(&browser, &base, "counselor0@clinic.example").await;
    let patients = browser
        .get(format!("{base}/v1/patients"))
        .send()
        .await
        .unwrap();
    assert_eq!(patients.status(), StatusCode::OK);
    restored.stop().await.unwrap();
    db.drop_database().await;
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_backup_taken_while_devices_push_restores_on_sqlite() {
    story(TestDb::sqlite().await, TestDb::sqlite().await).await;
}

#[tokio::test]
async fn a_backup_taken_while_devices_push_restores_on_postgres() {
    story(TestDb::postgres().await, TestDb::postgres().await).await;
}

/// A backup goes back only into its own backend.
#[tokio::test]
async fn a_backup_restores_only_into_its_own_backend() {
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("server.key");
    steady_server::db::connect(sqlite.url())
        .await
        .unwrap()
        .close()
        .await;
    let backup = dir.path().join("sqlite.backup");
    let (ok, said) = admin(
        sqlite.url(),
        &key,
        &["backup", "--to", backup.to_str().unwrap()],
    );
    assert!(ok, "{said}");
    let (ok, said) = admin(
        postgres.url(),
        &key,
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(said.contains("is a SQLite backup"), "{said}");
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "not a backup").unwrap();
    let target = format!("sqlite://{}", dir.path().join("new.db").display());
    let (ok, said) = admin(
        &target,
        &key,
        &["restore", "--from", junk.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(
        said.contains("is not a backup steady-server made"),
        "{said}"
    );
    assert!(!dir.path().join("new.db").exists(), "nothing made");
    sqlite.drop_database().await;
    postgres.drop_database().await;
}
