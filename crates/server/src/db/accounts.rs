//! Clinics, staff accounts and browser sessions, on either backend.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, Row};

use serde::Serialize;
use ts_rs::TS;
use utoipa::ToSchema;

use super::{Backend, Bind, Column, DbError, Sql, new_id, now_ms, role_of};

/// A counselor or an admin of one clinic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
pub struct Clinic {
    pub id: String,
    pub name: String,
}

/// A staff account as the API shows it (never with its password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
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
/// Which sessions are still open: seen since one instant (the idle limit)
/// and started since another (the absolute lifetime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    pub seen_since_ms: i64,
    pub started_since_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub last_seen_ms: i64,
    /// How far it has got in signing in.
    pub stage: super::Stage,
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
        stage: super::Stage,
        now_ms: i64,
    ) -> Result<(), DbError>;
    /// The session with `token_hash` if it was used since `idle_since_ms`,
    /// marking it used at `now_ms`; an idle one is deleted.
    async fn session(
        &self,
        token_hash: &str,
        open: SessionLimits,
        now_ms: i64,
    ) -> Result<Option<Session>, DbError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), DbError>;
    /// Whether a session is still open (seen since `idle_since_ms`), without
    /// counting this as activity: an open event stream asks this.
    async fn session_open(&self, token_hash: &str, open: SessionLimits) -> Result<bool, DbError>;
    /// The clinic's staff, by name.
    async fn users_of(&self, clinic_id: &str) -> Result<Vec<User>, DbError>;
}

const INSERT_CLINIC: &str = "INSERT INTO clinics (id, name, created_ms) VALUES ($1, $2, $3)";

const CLINIC_EXISTS: &str = "SELECT CAST(1 AS BIGINT) FROM clinics WHERE id = $1";

const INSERT_USER: &str =
    "INSERT INTO users (id, clinic_id, email, name, role, password_hash, created_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

const USERS_OF: &str =
    "SELECT id, clinic_id, email, name, role FROM users WHERE clinic_id = $1 ORDER BY name, email";

const USER_BY_EMAIL: &str =
    "SELECT id, clinic_id, email, name, role, password_hash FROM users WHERE email = $1";

const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms, last_seen_ms, stage)
     VALUES ($1, $2, $3, $4, $4, $5)";

const SESSION: &str =
    "SELECT u.id, u.clinic_id, u.email, u.name, u.role, s.csrf_token, s.last_seen_ms, s.stage
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";

const TOUCH_OPEN_SESSION: &str = "UPDATE sessions SET last_seen_ms = $2
     WHERE token_hash = $1 AND last_seen_ms >= $3 AND created_ms >= $4";

const SESSION_OPEN: &str = "SELECT CAST(1 AS BIGINT) FROM sessions
     WHERE token_hash = $1 AND last_seen_ms >= $2 AND created_ms >= $3";
const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

pub(super) fn user_of<R: Row>(row: &R) -> Result<User, DbError>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Column<R::Database>,
{
    Ok(User {
        id: row.try_get("id")?,
        clinic_id: row.try_get("clinic_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: role_of(&row.try_get::<String, _>("role")?)?,
    })
}

/// A unique value already taken becomes [`DbError::Conflict`] naming it.
pub(super) fn unique(e: sqlx::Error, what: &'static str) -> DbError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => DbError::Conflict(what),
        _ => DbError::Sqlx(e),
    }
}

#[async_trait]
impl<B: Backend> Accounts for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
    i64: Column<B>,
    usize: ColumnIndex<B::Row>,
{
    async fn create_clinic(&self, name: &str) -> Result<Clinic, DbError> {
        let clinic = Clinic {
            id: new_id(),
            name: name.to_owned(),
        };
        sqlx::query(INSERT_CLINIC)
            .bind(clinic.id.as_str())
            .bind(clinic.name.as_str())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(clinic)
    }

    async fn create_user(&self, new: &NewUser) -> Result<User, DbError> {
        // No transaction: clinics are never removed, and a read that then
        // writes fails on SQLite whenever another connection wrote in
        // between (apps push all the time).
        let clinic: Option<i64> = sqlx::query_scalar(CLINIC_EXISTS)
            .bind(new.clinic_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        if clinic.is_none() {
            return Err(DbError::Missing("clinic"));
        }
        let user = User {
            id: new_id(),
            clinic_id: new.clinic_id.clone(),
            email: new.email.clone(),
            name: new.name.clone(),
            role: new.role,
        };
        sqlx::query(INSERT_USER)
            .bind(user.id.as_str())
            .bind(user.clinic_id.as_str())
            .bind(user.email.as_str())
            .bind(user.name.as_str())
            .bind(user.role.as_str())
            .bind(new.password_hash.as_str())
            .bind(now_ms())
            .execute(&self.pool)
            .await
            .map_err(|e| unique(e, "email"))?;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, DbError> {
        let row = sqlx::query(USER_BY_EMAIL)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((user_of(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        stage: super::Stage,
        now_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(INSERT_SESSION)
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now_ms)
            .bind(stage.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        open: SessionLimits,
        now_ms: i64,
    ) -> Result<Option<Session>, DbError> {
        // Touch first, in one statement: a read that later writes would
        // fail on SQLite (WAL) whenever another connection wrote in
        // between, as a sync push does all the time.
        let touched = sqlx::query(TOUCH_OPEN_SESSION)
            .bind(token_hash)
            .bind(now_ms)
            .bind(open.seen_since_ms)
            .bind(open.started_since_ms)
            .execute(&self.pool)
            .await?;
        if B::rows_affected(&touched) == 0 {
            // Idle too long, or gone: an idle one is ended for good.
            sqlx::query(DELETE_SESSION)
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        let Some(row) = sqlx::query(SESSION)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
        else {
            // Signed out in between.
            return Ok(None);
        };
        let stage: String = row.try_get("stage")?;
        Ok(Some(Session {
            user: user_of(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            last_seen_ms: now_ms,
            stage: super::Stage::parse(&stage)
                .ok_or_else(|| DbError::Corrupt(format!("session stage {stage:?}")))?,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        sqlx::query(DELETE_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_open(&self, token_hash: &str, open: SessionLimits) -> Result<bool, DbError> {
        Ok(sqlx::query(SESSION_OPEN)
            .bind(token_hash)
            .bind(open.seen_since_ms)
            .bind(open.started_since_ms)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    async fn users_of(&self, clinic_id: &str) -> Result<Vec<User>, DbError> {
        sqlx::query(USERS_OF)
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_of)
            .collect()
    }
}
