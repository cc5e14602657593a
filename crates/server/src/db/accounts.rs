//! Staff accounts and browser sessions. The SQL is the same on both
//! backends (both accept `$1`-style parameters), so one macro writes the
//! [`Accounts`](super::Accounts) implementation for each; what differs
//! between backends (sync, change numbers) is written per backend.

/// Implements `Accounts` for a backend struct with a `pool` field whose rows
/// are `$row`.
macro_rules! accounts_for {
    ($db:ty, $row:ty) => {
        use sqlx::Row as _;

        fn user_of(row: &$row) -> Result<$crate::db::User, $crate::db::DbError> {
            Ok($crate::db::User {
                id: row.get("id"),
                clinic_id: row.get("clinic_id"),
                email: row.get("email"),
                name: row.get("name"),
                role: $crate::db::role_of(row.get("role"))?,
            })
        }

        fn unique(e: sqlx::Error, what: &'static str) -> $crate::db::DbError {
            match e.as_database_error() {
                Some(d) if d.is_unique_violation() => $crate::db::DbError::Conflict(what),
                _ => $crate::db::DbError::Sqlx(e),
            }
        }

        impl $crate::db::Accounts for $db {
            async fn create_clinic(
                &self,
                name: &str,
            ) -> Result<$crate::db::Clinic, $crate::db::DbError> {
                let clinic = $crate::db::Clinic {
                    id: $crate::db::new_id(),
                    name: name.to_owned(),
                };
                sqlx::query($crate::db::sql::INSERT_CLINIC)
                    .bind(&clinic.id)
                    .bind(&clinic.name)
                    .bind($crate::db::now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(clinic)
            }

            async fn create_user(
                &self,
                new: &$crate::db::NewUser,
            ) -> Result<$crate::db::User, $crate::db::DbError> {
                // No transaction: clinics are never removed, and a read
                // that then writes fails on SQLite whenever another
                // connection wrote in between (apps push all the time).
                let clinic: Option<i64> = sqlx::query_scalar($crate::db::sql::CLINIC_EXISTS)
                    .bind(&new.clinic_id)
                    .fetch_optional(&self.pool)
                    .await?;
                if clinic.is_none() {
                    return Err($crate::db::DbError::Missing("clinic"));
                }
                let user = $crate::db::User {
                    id: $crate::db::new_id(),
                    clinic_id: new.clinic_id.clone(),
                    email: new.email.clone(),
                    name: new.name.clone(),
                    role: new.role,
                };
                sqlx::query($crate::db::sql::INSERT_USER)
                    .bind(&user.id)
                    .bind(&user.clinic_id)
                    .bind(&user.email)
                    .bind(&user.name)
                    .bind(user.role.as_str())
                    .bind(&new.password_hash)
                    .bind($crate::db::now_ms())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| unique(e, "email"))?;
                Ok(user)
            }

            async fn user_by_email(
                &self,
                email: &str,
            ) -> Result<Option<($crate::db::User, String)>, $crate::db::DbError> {
                let row = sqlx::query($crate::db::sql::USER_BY_EMAIL)
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((user_of(&r)?, r.get("password_hash"))))
                    .transpose()
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user_id: &str,
                csrf_token: &str,
                now_ms: i64,
            ) -> Result<(), $crate::db::DbError> {
                sqlx::query($crate::db::sql::INSERT_SESSION)
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
            ) -> Result<Option<$crate::db::Session>, $crate::db::DbError> {
                // Touch first, in one statement: a read that later writes
                // would fail on SQLite (WAL) whenever another connection
                // wrote in between, as a sync push does all the time.
                let touched = sqlx::query($crate::db::sql::TOUCH_OPEN_SESSION)
                    .bind(token_hash)
                    .bind(now_ms)
                    .bind(idle_since_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                if touched == 0 {
                    // Idle too long, or gone: an idle one is ended for good.
                    sqlx::query($crate::db::sql::DELETE_SESSION)
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await?;
                    return Ok(None);
                }
                let Some(row) = sqlx::query($crate::db::sql::SESSION)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    // Signed out in between.
                    return Ok(None);
                };
                Ok(Some($crate::db::Session {
                    user: user_of(&row)?,
                    csrf_token: row.get("csrf_token"),
                    last_seen_ms: now_ms,
                }))
            }

            async fn session_open(
                &self,
                token_hash: &str,
                idle_since_ms: i64,
            ) -> Result<bool, $crate::db::DbError> {
                Ok(sqlx::query($crate::db::sql::SESSION_OPEN)
                    .bind(token_hash)
                    .bind(idle_since_ms)
                    .fetch_optional(&self.pool)
                    .await?
                    .is_some())
            }

            async fn users_of(
                &self,
                clinic_id: &str,
            ) -> Result<Vec<$crate::db::User>, $crate::db::DbError> {
                sqlx::query($crate::db::sql::USERS_OF)
                    .bind(clinic_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(user_of)
                    .collect()
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), $crate::db::DbError> {
                sqlx::query($crate::db::sql::DELETE_SESSION)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use accounts_for;
