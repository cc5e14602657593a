//! A clinic for the sync tests: the real server on 127.0.0.1:0 over a test
//! database, one counselor, and the counselor's signed-in browser session.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use steady_server::Running;
use steady_server::db::{Patient, Role, User};
use steady_server::testing::{TestDb, pairing_code, staff};

pub const EMAIL: &str = "dana@clinic.example";
pub const PASSWORD: &str = "river stone lantern 42";

pub struct Clinic {
    pub db: TestDb,
    pub server: Running,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub counselor: User,
    pub any: steady_server::db::Db,
}

impl Clinic {
    pub async fn open(db: TestDb) -> Self {
        let settings = db.settings();
        Self::open_with(db, settings).await
    }

    /// [`Clinic::open`] with the server's settings changed.
    pub async fn open_with(db: TestDb, settings: steady_server::Settings) -> Self {
        let server = steady_server::testing::start_with(settings).await;
        let base = format!("http://{}", server.addr);
        let counselor = staff(&db, EMAIL, PASSWORD, Role::Counselor).await;
        let any = steady_server::db::connect(db.url()).await.unwrap();
        Self {
            db,
            server,
            base,
            counselor,
            any,
        }
    }

    pub async fn patient(&self, name: &str) -> Patient {
        self.any
            .create_patient(&self.counselor, name)
            .await
            .unwrap()
    }

    pub async fn code(&self, patient_id: &str) -> String {
        pairing_code(&self.db, &self.counselor, patient_id).await
    }

    pub async fn sign_in(&self) -> Session {
        Session::sign_in(&self.base).await
    }

    /// Stops the server and drops the database.
    pub async fn close(self) {
        self.server.stop().await.unwrap();
        self.db.drop_database().await;
    }
}

/// The counselor signed in: a cookie session and its CSRF token.
pub struct Session {
    pub http: reqwest::Client,
    pub csrf: String,
    pub base: String,
}

impl Session {
    pub async fn sign_in(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r: Value = http
            .post(format!("{base}/v1/session"))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            http,
            csrf: r["csrf_token"].as_str().unwrap().to_owned(),
            base: base.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }
}
