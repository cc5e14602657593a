//! Clinics, staff accounts and browser sessions, on either backend.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, Row};

use super::{Accounts, Backend, Bind, Clinic, Column, DbError, NewUser, Session, Sql, User, sql};
use super::{new_id, now_ms, role_of};

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
        sqlx::query(sql::INSERT_CLINIC)
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
        let clinic: Option<i64> = sqlx::query_scalar(sql::CLINIC_EXISTS)
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
        sqlx::query(sql::INSERT_USER)
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
        let row = sqlx::query(sql::USER_BY_EMAIL)
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
        now_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(sql::INSERT_SESSION)
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        idle_since_ms: i64,
        now_ms: i64,
    ) -> Result<Option<Session>, DbError> {
        // Touch first, in one statement: a read that later writes would
        // fail on SQLite (WAL) whenever another connection wrote in
        // between, as a sync push does all the time.
        let touched = sqlx::query(sql::TOUCH_OPEN_SESSION)
            .bind(token_hash)
            .bind(now_ms)
            .bind(idle_since_ms)
            .execute(&self.pool)
            .await?;
        if B::rows_affected(&touched) == 0 {
            // Idle too long, or gone: an idle one is ended for good.
            sqlx::query(sql::DELETE_SESSION)
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        let Some(row) = sqlx::query(sql::SESSION)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
        else {
            // Signed out in between.
            return Ok(None);
        };
        Ok(Some(Session {
            user: user_of(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            last_seen_ms: now_ms,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        sqlx::query(sql::DELETE_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_open(&self, token_hash: &str, idle_since_ms: i64) -> Result<bool, DbError> {
        Ok(sqlx::query(sql::SESSION_OPEN)
            .bind(token_hash)
            .bind(idle_since_ms)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    async fn users_of(&self, clinic_id: &str) -> Result<Vec<User>, DbError> {
        sqlx::query(sql::USERS_OF)
            .bind(clinic_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_of)
            .collect()
    }
}
