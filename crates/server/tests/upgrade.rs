//! Upgrades: a database made by the previous version's schema (every
//! migration but the last), holding a clinic, a counselor, a paired device,
//! a patient's check-in and an audit entry, is migrated when this version
//! starts on it, with all of it intact and usable; and a database a newer
//! version has migrated is refused, untouched. On SQLite and PostgreSQL.

mod common;

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::Value;
use steady_server::secret::{hash_password, token_hash};
use steady_server::testing::{TestDb, start_with};

const PASSWORD: &str = common::PASSWORD;
const TOKEN: &str = "a-device-token-from-before-the-upgrade";

fn migrations(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

/// A folder with every migration of `backend` but the newest: the
/// previous version's schema.
fn previous_schema(backend: &str) -> (tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(migrations(backend))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let newest = files.pop().unwrap();
    for file in &files {
        std::fs::copy(file, dir.path().join(file.file_name().unwrap())).unwrap();
    }
    let version: i64 = newest.file_name().unwrap().to_str().unwrap()[..4]
        .parse()
        .unwrap();
    (dir, version)
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What the previous version stored, written as its server wrote it.
fn rows(fields: &str) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    let expires = now + 90 * 86_400_000;
    let hash = quote(&hash_password(PASSWORD).unwrap());
    let token = quote(&token_hash(TOKEN));
    let fields_q = quote(fields);
    let bytes = fields.len();
    format!(
        "INSERT INTO clinics (id, name, created_ms) VALUES ('c1', 'Riverside IOP', {now});
         INSERT INTO users (id, clinic_id, email, name, role, password_hash, created_ms)
             VALUES ('u1', 'c1', 'dana@clinic.example', 'Dana Counselor', 'counselor', {hash}, {now});
         INSERT INTO patients (id, clinic_id, counselor_id, display_name, created_ms)
             VALUES ('p1', 'c1', 'u1', 'Ana R.', {now});
         INSERT INTO devices (id, patient_id, token_hash, label, created_ms)
             VALUES ('d1', 'p1', {token}, 'Ana''s phone', {now});
         INSERT INTO consents (id, patient_id, device_id, recipient, kinds, purpose, expires_ms, signed_ms)
             VALUES ('k1', 'p1', 'd1', 'Dana Counselor and the care team at Riverside IOP', '[\"checkin\"]', 'treatment', {expires}, {now});
         INSERT INTO patient_changes (patient_id, last_change, records, bytes) VALUES ('p1', 1, 1, {bytes});
         INSERT INTO records (patient_id, id, kind, fields, change_no)
             VALUES ('p1', '0190a000-0000-7000-8000-000000000001', 'checkin', {fields_q}, 1);
         INSERT INTO audit_log (at_ms, clinic_id, actor_id, patient_id, action, detail)
             VALUES ({now}, 'c1', 'u1', 'p1', 'read_records', 'checkin');"
    )
}

async fn previous_database(db: &TestDb) -> i64 {
    let backend = if db.url().starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let (dir, newest) = previous_schema(backend);
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    let record = common::wire_checkin(
        "0190a000-0000-7000-8000-000000000001",
        "2026-11-20T23:05:00-07:00",
        7,
        "before the upgrade",
        1_700_000_000_000,
        1,
    );
    let fields = record["fields"].to_string();
    if backend == "sqlite" {
        let options = db
            .url()
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        migrator.run(&pool).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(rows(&fields)))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        migrator.run(&pool).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(rows(&fields)))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    newest
}

async fn upgrade(db: TestDb) {
    let newest = previous_database(&db).await;
    let server = start_with(db.settings()).await;
    let base = format!("http://{}", server.addr);

    let ready: Value = reqwest::get(format!("{base}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["schema"], newest, "{ready}");

    // The device paired before the upgrade still syncs its record.
    let pulled = reqwest::Client::new()
        .get(format!("{base}/v1/sync/pull?after=0"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(pulled.status(), StatusCode::OK);
    let pulled: Value = pulled.json().await.unwrap();
    let records = pulled["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{pulled}");
    assert_eq!(records[0]["fields"]["craving"]["value"], 7);
    assert_eq!(records[0]["fields"]["note"]["value"], "before the upgrade");

    // The counselor signs in with the old password and reads the check-in;
    // the audit entry from before the upgrade is still in the log.
    let http = common::client();
    common::sign_in(&http, &base, "dana@clinic.example").await;
    let listed: Value = http
        .get(format!("{base}/v1/patients/p1/records?kind=checkin"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["fields"]["note"], "before the upgrade");
    server.stop().await.unwrap();
    let any = steady_server::db::connect(db.url()).await.unwrap();
    let log = any
        .audit_log(
            "c1",
            &steady_server::db::AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        log.iter().filter(|e| e.patient_id == "p1").count() >= 2,
        "the entry from before and the read just now: {log:?}"
    );
    any.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_database_of_the_previous_schema_is_upgraded_intact_on_sqlite() {
    upgrade(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn a_database_of_the_previous_schema_is_upgraded_intact_on_postgres() {
    upgrade(TestDb::postgres().await).await;
}

async fn newer(db: TestDb) {
    // Made by this version, then "upgraded" by a later one.
    let any = steady_server::db::connect(db.url()).await.unwrap();
    any.create_clinic("Riverside IOP").await.unwrap();
    any.close().await;
    let add_newer = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9001, 'from a later version', TRUE, '\\x00', 1)";
    if db.url().starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(add_newer.replace("'\\x00'", "x'00'")))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(
            add_newer.replace("'\\x00'", "'\\x00'::bytea"),
        ))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = steady_server::launch(listener, db.settings(), std::future::pending())
        .await
        .err()
        .expect("a database from a newer version is refused");
    let message = format!("{refused:#}");
    assert!(
        message.contains("upgraded by a newer steady-server") && message.contains("migration 9001"),
        "{message}"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_on_sqlite() {
    newer(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_on_postgres() {
    newer(TestDb::postgres().await).await;
}
