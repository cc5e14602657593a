//! The server's storage behind one trait, with an implementation per
//! backend: a SQLite file by default (one command starts a clinic's server)
//! and PostgreSQL for clinics that run several server instances. The backend
//! is chosen once, from the database URL.

mod accounts;
pub mod postgres;
pub mod sqlite;

use std::future::Future;

use serde::Serialize;
use utoipa::ToSchema;

pub use postgres::PostgresDatabase;
pub use sqlite::SqliteDatabase;

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
}

/// Everything the server stores, whichever backend holds it.
pub trait Database: Accounts + Clone + Send + Sync + 'static {
    /// Answers when the database does.
    fn health(&self) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// Clinics, staff accounts and browser sessions. Each method is one transaction.
pub trait Accounts {
    fn create_clinic(&self, name: &str) -> impl Future<Output = Result<Clinic, DbError>> + Send;
    fn create_user(&self, user: &NewUser) -> impl Future<Output = Result<User, DbError>> + Send;
    /// The account with `email` and its password hash.
    fn user_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<(User, String)>, DbError>> + Send;
    fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
    /// The session with `token_hash` if it was used since `idle_since_ms`,
    /// marking it used at `now_ms`; an idle one is deleted.
    fn session(
        &self,
        token_hash: &str,
        idle_since_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<Option<Session>, DbError>> + Send;
    fn delete_session(&self, token_hash: &str) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// SQL shared by both backends: both accept `$1`-style numbered parameters.
pub(crate) mod sql {
    pub const INSERT_CLINIC: &str =
        "INSERT INTO clinics (id, name, created_ms) VALUES ($1, $2, $3)";
    pub const CLINIC_EXISTS: &str = "SELECT CAST(1 AS BIGINT) FROM clinics WHERE id = $1";
    pub const INSERT_USER: &str =
        "INSERT INTO users (id, clinic_id, email, name, role, password_hash, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    pub const USER_BY_EMAIL: &str =
        "SELECT id, clinic_id, email, name, role, password_hash FROM users WHERE email = $1";
    pub const INSERT_SESSION: &str =
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, last_seen_ms)
         VALUES ($1, $2, $3, $4, $4)";
    pub const SESSION: &str =
        "SELECT u.id, u.clinic_id, u.email, u.name, u.role, s.csrf_token, s.last_seen_ms
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
    pub const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_ms = $2 WHERE token_hash = $1";
    pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
}

/// The backend chosen from the database URL. Handlers use this one type;
/// each call goes to the backend's own implementation.
#[derive(Clone, Debug)]
pub enum AnyDatabase {
    Sqlite(SqliteDatabase),
    Postgres(PostgresDatabase),
}

impl AnyDatabase {
    /// `sqlite:` (a file) or `postgres:`/`postgresql:`.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(AnyDatabase::Postgres(PostgresDatabase::connect(url).await?))
        } else if url.starts_with("sqlite:") {
            Ok(AnyDatabase::Sqlite(SqliteDatabase::connect(url).await?))
        } else {
            Err(DbError::Corrupt(format!(
                "the database URL must start with sqlite: or postgres:, not {:?}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            AnyDatabase::Sqlite(_) => "sqlite",
            AnyDatabase::Postgres(_) => "postgres",
        }
    }
}

/// Forwards a call to whichever backend is in use.
macro_rules! on_backend {
    ($self:ident, $db:ident => $call:expr) => {
        match $self {
            AnyDatabase::Sqlite($db) => $call.await,
            AnyDatabase::Postgres($db) => $call.await,
        }
    };
}

impl Database for AnyDatabase {
    async fn health(&self) -> Result<(), DbError> {
        on_backend!(self, db => db.health())
    }
}

impl Accounts for AnyDatabase {
    async fn create_clinic(&self, name: &str) -> Result<Clinic, DbError> {
        on_backend!(self, db => db.create_clinic(name))
    }

    async fn create_user(&self, user: &NewUser) -> Result<User, DbError> {
        on_backend!(self, db => db.create_user(user))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, DbError> {
        on_backend!(self, db => db.user_by_email(email))
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now_ms: i64,
    ) -> Result<(), DbError> {
        on_backend!(self, db => db.create_session(token_hash, user_id, csrf_token, now_ms))
    }

    async fn session(
        &self,
        token_hash: &str,
        idle_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<Session>, DbError> {
        on_backend!(self, db => db.session(token_hash, idle_since_ms, now_ms))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        on_backend!(self, db => db.delete_session(token_hash))
    }
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
