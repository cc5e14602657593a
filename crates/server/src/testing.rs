//! Test support, for this crate's tests and the app's sync tests: a fresh
//! database on either backend, the real server on 127.0.0.1:0, staff
//! accounts and pairing codes made as the admin commands and counselors
//! would. Not used by the server itself.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;

use tempfile::TempDir;

use crate::db::{NewUser, Role, User, connect};
use crate::secret::{ServerKey, hash_password};
use crate::{Running, Settings, launch};

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

    /// Settings for a server over this database; with PostgreSQL, a key
    /// file of its own (every server a test starts on it shares it).
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::new(self.url());
        // Every answer a test meets must be one the document lists.
        settings.strict_documentation = true;
        if let TestDb::Postgres { name, .. } = self {
            settings.key_file = Some(std::env::temp_dir().join(format!("{name}.key")));
        }
        settings
    }

    /// The key the servers over this database hash short secrets with.
    pub fn key(&self) -> ServerKey {
        let path = self.settings().key_path().unwrap();
        ServerKey::load_or_create(&path).unwrap()
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
            let _ = std::fs::remove_file(std::env::temp_dir().join(format!("{name}.key")));
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
    start_with(db.settings()).await
}

/// The real server on 127.0.0.1:0 with these settings.
pub async fn start_with(settings: Settings) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    launch(listener, settings, std::future::pending())
        .await
        .unwrap()
}

/// A clinic with one account of `role`, made as `steady-server admin` would.
pub async fn staff(db: &TestDb, email: &str, password: &str, role: Role) -> User {
    let any = connect(db.url()).await.unwrap();
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

/// A fresh pairing code for `patient_id`, valid for ten minutes.
pub async fn pairing_code(db: &TestDb, counselor: &User, patient_id: &str) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let code = steady_model::pairing::new_code(|| {
        rng.random_range(0..crate::http::counselor::patients::CODE_ALPHABET.len())
    });
    let any = connect(db.url()).await.unwrap();
    any.create_pairing_code(
        &db.key().hash(crate::secret::PAIRING_CODE, &code),
        patient_id,
        &counselor.id,
        chrono::Utc::now().timestamp_millis() + 600_000,
    )
    .await
    .unwrap();
    code
}

/// A certificate authority made for one test, and the means to sign the
/// server's certificates with it (what a clinic's own CA, or Let's
/// Encrypt, is to a real server).
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA's certificate, PEM: what a client that trusts it adds.
    pub pem: String,
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Steady test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for localhost and 127.0.0.1 named `name`, written as
    /// PEM to `dir/cert.pem` and `dir/key.pem` (replacing what was there).
    pub fn issue(&self, dir: &Path, name: &str) -> Vec<u8> {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        // Written beside and renamed, as certbot's renewal does.
        std::fs::write(dir.join("cert.pem.new"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem.new"), key.serialize_pem()).unwrap();
        std::fs::rename(dir.join("cert.pem.new"), dir.join("cert.pem")).unwrap();
        std::fs::rename(dir.join("key.pem.new"), dir.join("key.pem")).unwrap();
        cert.der().to_vec()
    }

    /// Root certificates holding only this CA.
    pub fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        let der = CertificateDer::from_pem_slice(self.pem.as_bytes()).unwrap();
        roots.add(der).unwrap();
        roots
    }
}
