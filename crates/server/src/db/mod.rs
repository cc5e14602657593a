//! The server's storage behind one trait: a SQLite file by default (one
//! command starts a clinic's server) and PostgreSQL for clinics that run
//! several server instances. Each query is written once, over either
//! backend ([`backend`]); the backend is chosen once, from the database
//! URL, by [`connect`], and handlers hold a [`Db`].

mod accounts;
mod audit;
mod backend;
mod caseload;
mod postgres;
mod records;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use utoipa::ToSchema;

pub use backend::{Backend, Bind, Column, Sql};

/// A counselor or an admin of one clinic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Counselor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Counselor => "counselor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "counselor" => Some(Role::Counselor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Clinic {
    pub id: String,
    pub name: String,
}

/// A staff account as the API shows it (never with its password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// What creating an account needs; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub clinic_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

/// A browser session: the user it belongs to and its CSRF token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub last_seen_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique value (an email) is taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// A referenced row (a clinic) does not exist.
    #[error("{0} does not exist")]
    Missing(&'static str),
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a stored row could not be read: {0}")]
    Corrupt(String),
    /// The database URL names no backend this server has.
    #[error("the database URL must start with sqlite: or postgres:, not {0:?}")]
    UnknownUrl(String),
    /// The database file's folder could not be made.
    #[error("cannot create the folder {path}: {reason}")]
    Folder { path: PathBuf, reason: String },
}

/// A patient on a counselor's caseload. The server knows them by the name
/// the counselor gave; nothing else about them is needed to pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Patient {
    pub id: String,
    pub counselor_id: String,
    pub display_name: String,
    pub created_ms: i64,
}

/// A paired device as the counselor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Device {
    pub id: String,
    pub label: String,
    pub created_ms: i64,
    /// Set once the device is revoked; its token no longer works.
    pub revoked_ms: Option<i64>,
}

/// A device anywhere in the clinic, with whose it is, for the admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClinicDevice {
    #[serde(flatten)]
    pub device: Device,
    pub patient_id: String,
    pub patient_name: String,
    pub counselor_name: String,
}

/// What the patient agreed to when pairing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Consent {
    pub id: String,
    pub device_id: String,
    pub recipient: String,
    pub kinds: Vec<String>,
    pub purpose: String,
    pub expires_ms: i64,
    pub signed_ms: i64,
}

impl Consent {
    /// Whether the patient shares records of `kind`.
    pub fn shares(&self, kind: steady_model::RecordKind) -> bool {
        self.kinds.iter().any(|k| k == kind.as_str())
    }
}

/// A device being paired: its token is already hashed.
#[derive(Clone, Debug)]
pub struct NewDevice {
    pub token_hash: String,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct NewConsent {
    pub recipient: String,
    pub kinds: Vec<String>,
    pub purpose: String,
    pub expires_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paired {
    pub patient_id: String,
    pub device_id: String,
}

/// The device a request's token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: String,
    pub patient_id: String,
}

/// Caseloads, pairing, devices and consent. Each method is one transaction.
#[async_trait]
pub trait Caseload: Send + Sync {
    async fn create_patient(
        &self,
        counselor: &User,
        display_name: &str,
    ) -> Result<Patient, DbError>;
    async fn patients_of(&self, counselor_id: &str) -> Result<Vec<Patient>, DbError>;
    /// The patient if they are on this counselor's caseload; otherwise none,
    /// whether or not they exist.
    async fn patient_of(
        &self,
        counselor_id: &str,
        patient_id: &str,
    ) -> Result<Option<Patient>, DbError>;
    async fn create_pairing_code(
        &self,
        code_hash: &str,
        patient_id: &str,
        created_by: &str,
        expires_ms: i64,
    ) -> Result<(), DbError>;
    /// Uses the code (once, before it expires) to register the device with
    /// the patient's consent; none if the code is unknown, used or expired.
    async fn redeem(
        &self,
        code_hash: &str,
        device: &NewDevice,
        consent: &NewConsent,
    ) -> Result<Option<Paired>, DbError>;
    /// Who a code pairs with — the clinic's and the counselor's names —
    /// without using it; none if it is unknown, used or expired.
    async fn code_preview(&self, code_hash: &str) -> Result<Option<(String, String)>, DbError>;
    /// The device holding this token, unless it was revoked.
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError>;
    async fn devices_of(&self, patient_id: &str) -> Result<Vec<Device>, DbError>;
    /// Every device paired in the clinic, newest first; or just `only`.
    async fn clinic_devices(
        &self,
        clinic_id: &str,
        only: Option<&str>,
    ) -> Result<Vec<ClinicDevice>, DbError>;
    /// Revokes one of the patient's devices; false if it is not theirs or
    /// was already revoked.
    async fn revoke_device(&self, patient_id: &str, device_id: &str) -> Result<bool, DbError>;
    /// The newest consent that is neither revoked nor expired.
    async fn active_consent(&self, patient_id: &str) -> Result<Option<Consent>, DbError>;
    /// Records a new consent given from one of the patient's devices,
    /// replacing any active one.
    async fn give_consent(
        &self,
        patient_id: &str,
        device_id: &str,
        consent: &NewConsent,
    ) -> Result<(), DbError>;
    /// Revokes every active consent of the patient.
    async fn revoke_consent(&self, patient_id: &str) -> Result<bool, DbError>;
}

/// A record a device pushes, already checked. Its values stay the JSON
/// text they arrived as: the server stores them without looking inside,
/// and checks the merged record against its kind from text.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub id: String,
    pub kind: String,
    pub fields: steady_model::merge::FieldMap<steady_model::merge::RawJson>,
}

/// What became of one pushed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Merged (or already there: a replayed push changes nothing).
    Applied,
    Refused(String),
}

/// A record as stored, with the change number of its last change.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub id: String,
    pub kind: String,
    pub change: i64,
    pub fields: steady_model::merge::FieldMap,
}

/// A stored record with its fields as the stored JSON text, which is
/// already the wire's form: a pull hands it on without decoding it.
#[derive(Clone, Debug)]
pub struct RawRecord {
    pub id: String,
    pub kind: String,
    pub change: i64,
    pub fields: String,
}

impl RawRecord {
    /// The record with its fields read.
    pub fn decode(self) -> Result<StoredRecord, DbError> {
        Ok(StoredRecord {
            fields: serde_json::from_str(&self.fields)
                .map_err(|e| DbError::Corrupt(format!("record fields: {e}")))?,
            id: self.id,
            kind: self.kind,
            change: self.change,
        })
    }
}

/// Shared records, merged and numbered per patient.
#[async_trait]
pub trait Records: Send + Sync {
    /// Merges each record into the patient's copy, in one transaction.
    async fn push(
        &self,
        patient_id: &str,
        records: Vec<Incoming>,
    ) -> Result<Vec<PushOutcome>, DbError>;
    /// The patient's records changed after change `after`, oldest change
    /// first, at most `limit`, with their fields as stored JSON text (the
    /// wire's form already; [`RawRecord::decode`] reads them).
    async fn pull_raw(
        &self,
        patient_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawRecord>, DbError>;
    /// The care team's current copy of a patient's records of one kind.
    async fn records_of(
        &self,
        patient_id: &str,
        kind: steady_model::RecordKind,
    ) -> Result<Vec<StoredRecord>, DbError>;
}

/// One audited read or write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    /// The staff account that read.
    pub actor_id: String,
    /// Its name, for people reading the log.
    pub actor_name: String,
    /// Whose data was read.
    pub patient_id: String,
    /// How the counselor knows the patient.
    pub patient_name: String,
    pub action: String,
    pub detail: String,
}

/// Which audit entries to list; every filter given must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub patient_id: Option<String>,
    pub actor_id: Option<String>,
    /// The exact action, e.g. `read records`.
    pub action: Option<String>,
    /// From this instant (inclusive), in ms since the epoch.
    pub from_ms: Option<i64>,
    /// Before this instant, in ms since the epoch.
    pub to_ms: Option<i64>,
    pub limit: i64,
}

/// The append-only audit log.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Appends an entry. Called before the data it describes is returned.
    async fn audit(
        &self,
        clinic_id: &str,
        actor_id: &str,
        patient_id: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), DbError>;
    /// The clinic's entries that pass the filter, newest first.
    async fn audit_log(
        &self,
        clinic_id: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, DbError>;
}

/// Everything the server stores, whichever backend holds it.
#[async_trait]
pub trait Database: Accounts + Caseload + Records + Audit + Send + Sync + 'static {
    /// Answers when the database does.
    async fn health(&self) -> Result<(), DbError>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// [`Records::pull_raw`], each record's fields read.
    async fn pull(
        &self,
        patient_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, DbError> {
        self.pull_raw(patient_id, after, limit)
            .await?
            .into_iter()
            .map(RawRecord::decode)
            .collect()
    }
}

/// The database a server uses: whichever backend its URL named.
pub type Db = Arc<dyn Database>;

/// Opens (creating and migrating) the database at `url`: `sqlite:` (a
/// file) or `postgres:`/`postgresql:`.
pub async fn connect(url: &str) -> Result<Db, DbError> {
    Ok(open(url).await?.0)
}

/// [`connect`], and on PostgreSQL its pool as well, which the instances
/// sharing it announce live changes through. The one place the backend is
/// chosen.
pub async fn open(url: &str) -> Result<(Db, Option<sqlx::PgPool>), DbError> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let db = Sql::<sqlx::Postgres>::connect(url).await?;
        let pool = db.pool().clone();
        Ok((Arc::new(db), Some(pool)))
    } else if url.starts_with("sqlite:") {
        Ok((Arc::new(Sql::<sqlx::Sqlite>::connect(url).await?), None))
    } else {
        Err(DbError::UnknownUrl(
            url.split(':').next().unwrap_or_default().to_owned(),
        ))
    }
}

#[async_trait]
impl<B: Backend> Database for Sql<B>
where
    Self: Accounts + Caseload + Records + Audit,
    for<'c> &'c mut B::Connection: sqlx::Executor<'c, Database = B>,
{
    async fn health(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        <B as Backend>::NAME
    }
}

/// Clinics, staff accounts and browser sessions. Each method is one transaction.
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_clinic(&self, name: &str) -> Result<Clinic, DbError>;
    async fn create_user(&self, user: &NewUser) -> Result<User, DbError>;
    /// The account with `email` and its password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, DbError>;
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now_ms: i64,
    ) -> Result<(), DbError>;
    /// The session with `token_hash` if it was used since `idle_since_ms`,
    /// marking it used at `now_ms`; an idle one is deleted.
    async fn session(
        &self,
        token_hash: &str,
        idle_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<Session>, DbError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), DbError>;
    /// Whether a session is still open (seen since `idle_since_ms`), without
    /// counting this as activity: an open event stream asks this.
    async fn session_open(&self, token_hash: &str, idle_since_ms: i64) -> Result<bool, DbError>;
    /// The clinic's staff, by name.
    async fn users_of(&self, clinic_id: &str) -> Result<Vec<User>, DbError>;
}

/// SQL shared by both backends: both accept `$1`-style numbered parameters.
pub(crate) mod sql {
    pub const INSERT_CLINIC: &str =
        "INSERT INTO clinics (id, name, created_ms) VALUES ($1, $2, $3)";
    pub const CLINIC_EXISTS: &str = "SELECT CAST(1 AS BIGINT) FROM clinics WHERE id = $1";
    pub const INSERT_USER: &str =
        "INSERT INTO users (id, clinic_id, email, name, role, password_hash, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const USERS_OF: &str = "SELECT id, clinic_id, email, name, role FROM users WHERE clinic_id = $1 ORDER BY name, email";
    pub const USER_BY_EMAIL: &str =
        "SELECT id, clinic_id, email, name, role, password_hash FROM users WHERE email = $1";
    pub const INSERT_SESSION: &str =
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, last_seen_ms)
         VALUES ($1, $2, $3, $4, $4)";
    pub const SESSION: &str =
        "SELECT u.id, u.clinic_id, u.email, u.name, u.role, s.csrf_token, s.last_seen_ms
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
    pub const TOUCH_OPEN_SESSION: &str =
        "UPDATE sessions SET last_seen_ms = $2 WHERE token_hash = $1 AND last_seen_ms >= $3";
    pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
    pub const SESSION_OPEN: &str =
        "SELECT CAST(1 AS BIGINT) FROM sessions WHERE token_hash = $1 AND last_seen_ms >= $2";
    pub const INSERT_PATIENT: &str =
        "INSERT INTO patients (id, clinic_id, counselor_id, display_name, created_ms)
         VALUES ($1, $2, $3, $4, $5)";
    pub const PATIENTS_OF: &str = "SELECT id, counselor_id, display_name, created_ms FROM patients
         WHERE counselor_id = $1 ORDER BY display_name, id";
    pub const PATIENT_OF: &str = "SELECT id, counselor_id, display_name, created_ms FROM patients
         WHERE counselor_id = $1 AND id = $2";
    pub const INSERT_PAIRING_CODE: &str =
        "INSERT INTO pairing_codes (code_hash, patient_id, created_by, created_ms, expires_ms)
         VALUES ($1, $2, $3, $4, $5)";
    pub const USE_PAIRING_CODE: &str = "UPDATE pairing_codes SET used_ms = $2
         WHERE code_hash = $1 AND used_ms IS NULL AND expires_ms > $2
         RETURNING patient_id";
    pub const CODE_PREVIEW: &str = "SELECT c.name AS clinic, u.name AS counselor
         FROM pairing_codes p JOIN patients pt ON pt.id = p.patient_id
         JOIN clinics c ON c.id = pt.clinic_id JOIN users u ON u.id = p.created_by
         WHERE p.code_hash = $1 AND p.used_ms IS NULL AND p.expires_ms > $2";
    pub const INSERT_DEVICE: &str =
        "INSERT INTO devices (id, patient_id, token_hash, label, created_ms)
         VALUES ($1, $2, $3, $4, $5)";
    pub const INSERT_CONSENT: &str = "INSERT INTO consents (id, patient_id, device_id, recipient, kinds, purpose, expires_ms, signed_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const DEVICE_BY_TOKEN: &str =
        "SELECT id, patient_id FROM devices WHERE token_hash = $1 AND revoked_ms IS NULL";
    pub const DEVICES_OF: &str = "SELECT id, label, created_ms, revoked_ms FROM devices
         WHERE patient_id = $1 ORDER BY created_ms, id";
    pub const CLINIC_DEVICES: &str = "SELECT d.id, d.label, d.created_ms, d.revoked_ms,
           p.id AS patient_id, p.display_name AS patient_name, u.name AS counselor_name
         FROM devices d JOIN patients p ON p.id = d.patient_id JOIN users u ON u.id = p.counselor_id
         WHERE p.clinic_id = $1 AND (CAST($2 AS TEXT) IS NULL OR d.id = $2)
         ORDER BY d.created_ms DESC, d.id";
    pub const REVOKE_DEVICE: &str = "UPDATE devices SET revoked_ms = $3
         WHERE patient_id = $1 AND id = $2 AND revoked_ms IS NULL";
    pub const ACTIVE_CONSENT: &str =
        "SELECT id, device_id, recipient, kinds, purpose, expires_ms, signed_ms FROM consents
         WHERE patient_id = $1 AND revoked_ms IS NULL AND expires_ms > $2
         ORDER BY signed_ms DESC, id DESC LIMIT 1";
    pub const REVOKE_CONSENT: &str = "UPDATE consents SET revoked_ms = $2
         WHERE patient_id = $1 AND revoked_ms IS NULL";
    pub const ENSURE_COUNTER: &str =
        "INSERT INTO patient_changes (patient_id, last_change) VALUES ($1, 0)
         ON CONFLICT (patient_id) DO NOTHING";
    pub const LOCK_PATIENT: &str =
        "UPDATE patient_changes SET last_change = last_change WHERE patient_id = $1";
    pub const ADVANCE_CHANGES: &str = "UPDATE patient_changes SET last_change = last_change + $2
         WHERE patient_id = $1 RETURNING last_change";
    pub const PULL: &str = "SELECT id, kind, fields, change_no FROM records
         WHERE patient_id = $1 AND change_no > $2 ORDER BY change_no LIMIT $3";
    pub const INSERT_AUDIT: &str =
        "INSERT INTO audit_log (at_ms, clinic_id, actor_id, patient_id, action, detail)
         VALUES ($1, $2, $3, $4, $5, $6)";
    pub const AUDIT_LOG: &str =
        "SELECT a.id, a.at_ms, a.actor_id, COALESCE(u.name, '') AS actor_name,
           a.patient_id, COALESCE(p.display_name, '') AS patient_name, a.action, a.detail
         FROM audit_log a
         LEFT JOIN users u ON u.id = a.actor_id
         LEFT JOIN patients p ON p.id = a.patient_id
         WHERE a.clinic_id = $1
           AND (CAST($2 AS TEXT) IS NULL OR a.patient_id = $2)
           AND (CAST($3 AS TEXT) IS NULL OR a.actor_id = $3)
           AND (CAST($4 AS TEXT) IS NULL OR a.action = $4)
           AND (CAST($5 AS BIGINT) IS NULL OR a.at_ms >= $5)
           AND (CAST($6 AS BIGINT) IS NULL OR a.at_ms < $6)
         ORDER BY a.id DESC LIMIT $7";
    pub const RECORDS_OF_KIND: &str = "SELECT id, kind, fields, change_no FROM records
         WHERE patient_id = $1 AND kind = $2 ORDER BY change_no";
}

/// Most rows in one INSERT statement (5 parameters each).
pub(crate) const WRITE_ROWS: usize = 500;

/// `INSERT` of `rows` records, parameters (patient_id, id, kind, fields,
/// change_no) per row, `ON CONFLICT DO UPDATE` when `upsert`: numbered
/// (`$1`) for PostgreSQL, positional (`?`) for SQLite, where looking up
/// thousands of numbered parameters by name costs more than the insert.
/// Public so the ingest benchmark's bare baseline runs the same INSERT.
pub fn write_sql(rows: usize, numbered: bool, upsert: bool) -> String {
    let mut sql =
        String::from("INSERT INTO records (patient_id, id, kind, fields, change_no) VALUES ");
    for row in 0..rows {
        let b = row * 5;
        if row > 0 {
            sql.push(',');
        }
        if numbered {
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        } else {
            sql.push_str("(?, ?, ?, ?, ?)");
        }
    }
    if upsert {
        sql.push_str(
            " ON CONFLICT (patient_id, id) DO UPDATE SET fields = excluded.fields, change_no = excluded.change_no",
        );
    }
    sql
}

pub(crate) fn role_of(text: &str) -> Result<Role, DbError> {
    Role::parse(text).ok_or_else(|| DbError::Corrupt(format!("unknown role {text:?}")))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
