//! One test story, two backends: a fresh SQLite file, and a fresh database
//! on the PostgreSQL server `cargo xtask test` starts (its URL in
//! STEADY_TEST_POSTGRES_URL).

#![allow(dead_code)] // each test binary uses its own subset

use steady_server::db::{Accounts, AnyDatabase, Caseload, NewUser, Role, User};
use steady_server::secret::hash_password;
use steady_server::{Running, Settings, launch};
use tempfile::TempDir;

/// A database for one test; dropping it removes it.
pub enum TestDb {
    Sqlite {
        url: String,
        _dir: TempDir,
    },
    Postgres {
        url: String,
        admin: String,
        name: String,
    },
}

impl TestDb {
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("server.db").display());
        TestDb::Sqlite { url, _dir: dir }
    }

    pub async fn postgres() -> Self {
        let admin = std::env::var("STEADY_TEST_POSTGRES_URL").expect(
            "STEADY_TEST_POSTGRES_URL is not set: run `cargo xtask test`, which starts PostgreSQL for these tests",
        );
        let name = format!("steady_test_{}", uuid_suffix());
        let pool = sqlx::PgPool::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let (base, _) = admin.rsplit_once('/').expect("a URL ending in /database");
        let url = format!("{base}/{name}");
        TestDb::Postgres { url, admin, name }
    }

    pub async fn drop_database(self) {
        if let TestDb::Postgres { admin, name, .. } = self {
            let pool = sqlx::PgPool::connect(&admin).await.unwrap();
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

fn uuid_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// The real server on 127.0.0.1:0 over `db`.
pub async fn start(db: &TestDb) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    launch(listener, Settings::new(db.url()), std::future::pending())
        .await
        .unwrap()
}

/// A clinic with one account of `role`, made as `steady-server admin` would.
pub async fn staff(db: &TestDb, email: &str, password: &str, role: Role) -> User {
    let any = AnyDatabase::connect(db.url()).await.unwrap();
    let clinic = any.create_clinic("Riverside IOP").await.unwrap();
    any.create_user(&NewUser {
        clinic_id: clinic.id,
        email: email.to_owned(),
        name: "Dana Counselor".to_owned(),
        role,
        password_hash: hash_password(password).unwrap(),
    })
    .await
    .unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A patient of a new counselor, with one device paired with consent to
/// `kinds`; returns the device token, the patient's id and the counselor.
pub async fn paired_device(
    db: &TestDb,
    base: &str,
    email: &str,
    kinds: &[&str],
) -> (String, String, User) {
    let counselor = staff(db, email, "river stone lantern 42", Role::Counselor).await;
    let any = AnyDatabase::connect(db.url()).await.unwrap();
    let patient = any.create_patient(&counselor, "Ana R.").await.unwrap();
    let code: String = {
        use rand::Rng;
        let alphabet = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        (0..10)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
            .collect()
    };
    any.create_pairing_code(
        &steady_server::secret::token_hash(&code),
        &patient.id,
        &counselor.id,
        chrono::Utc::now().timestamp_millis() + 600_000,
    )
    .await
    .unwrap();
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
