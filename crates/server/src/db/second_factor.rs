//! Staff's second factor, on either backend: TOTP secrets and the last
//! time step each accepted (so a code is taken once), recovery codes as
//! keyed hashes (each taken once), browsers that may skip the code until
//! they expire, how far a session has got in signing in, and the clinic's
//! rule for counselors. Every "taken once" is one conditional write.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, Row as _};

use super::{Backend, Bind, Column, DbError, Sql, now_ms};

/// How far a browser session has got in signing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Signed in: every staff route is open.
    SignedIn,
    /// The password was right; the code from the authenticator app is awaited.
    SecondFactor,
    /// The password was right, and the account must set up a second factor
    /// before anything else.
    Enrol,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SignedIn => "signed_in",
            Stage::SecondFactor => "second_factor",
            Stage::Enrol => "enrol",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Stage::SignedIn, Stage::SecondFactor, Stage::Enrol]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// An account's TOTP secret (base32), and whether its first code confirmed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    pub secret: String,
    pub confirmed: bool,
}

#[async_trait]
pub trait SecondFactor: Send + Sync {
    async fn enrolment(&self, user_id: &str) -> Result<Option<Enrolment>, DbError>;
    /// Starts (or starts again) an enrolment with a new secret; a confirmed
    /// one is left alone (it is reset only by an admin).
    async fn begin_enrolment(&self, user_id: &str, secret: &str) -> Result<bool, DbError>;
    /// Confirms the enrolment at time step `step` and replaces the
    /// recovery codes with `recovery_hashes`.
    async fn confirm_enrolment(
        &self,
        user_id: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<bool, DbError>;
    /// Takes time step `step` for the account if no later or equal step was
    /// taken before: false for a replayed code.
    async fn take_step(&self, user_id: &str, step: i64) -> Result<bool, DbError>;
    /// Uses a recovery code: false if it is unknown or was used.
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool, DbError>;
    /// Recovery codes not yet used.
    async fn recovery_codes_left(&self, user_id: &str) -> Result<i64, DbError>;
    /// Removes the account's second factor and recovery codes, forgets its
    /// browsers, and records who did it.
    async fn reset_second_factor(&self, user_id: &str, by_whom: &str) -> Result<(), DbError>;
    async fn set_stage(&self, token_hash: &str, stage: Stage) -> Result<(), DbError>;
    async fn remember_browser(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_ms: i64,
    ) -> Result<(), DbError>;
    async fn browser_remembered(&self, token_hash: &str, user_id: &str) -> Result<bool, DbError>;
    /// Whether the clinic's counselors need a second factor too.
    async fn counselors_need_second_factor(&self, clinic_id: &str) -> Result<bool, DbError>;
    async fn set_counselors_need_second_factor(
        &self,
        clinic_id: &str,
        needed: bool,
    ) -> Result<(), DbError>;
}

const ENROLMENT: &str = "SELECT secret, confirmed_ms FROM second_factors WHERE user_id = $1";
const BEGIN: &str = "INSERT INTO second_factors (user_id, secret, confirmed_ms, last_step)
     VALUES ($1, $2, NULL, 0)
     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret
     WHERE second_factors.confirmed_ms IS NULL";
const CONFIRM: &str = "UPDATE second_factors SET confirmed_ms = $2, last_step = $3
     WHERE user_id = $1 AND confirmed_ms IS NULL";
const TAKE_STEP: &str = "UPDATE second_factors SET last_step = $2
     WHERE user_id = $1 AND confirmed_ms IS NOT NULL AND last_step < $2";
const DROP_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
const ADD_CODE: &str = "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";
const USE_CODE: &str = "UPDATE recovery_codes SET used_ms = $3
     WHERE user_id = $1 AND code_hash = $2 AND used_ms IS NULL";
const CODES_LEFT: &str =
    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_ms IS NULL";
const DROP_FACTOR: &str = "DELETE FROM second_factors WHERE user_id = $1";
const FORGET_BROWSERS: &str = "DELETE FROM remembered_browsers WHERE user_id = $1";
const RECORD_RESET: &str = "INSERT INTO account_events (at_ms, clinic_id, user_id, action, by_whom)
     SELECT $2, clinic_id, id, 'second factor reset', $3 FROM users WHERE id = $1";
const SET_STAGE: &str = "UPDATE sessions SET stage = $2 WHERE token_hash = $1";
const REMEMBER: &str =
    "INSERT INTO remembered_browsers (token_hash, user_id, expires_ms) VALUES ($1, $2, $3)";
const REMEMBERED: &str = "SELECT CAST(1 AS BIGINT) FROM remembered_browsers
     WHERE token_hash = $1 AND user_id = $2 AND expires_ms > $3";
const FORGET_EXPIRED: &str = "DELETE FROM remembered_browsers WHERE expires_ms <= $1";
const CLINIC_RULE: &str = "SELECT counselors_second_factor FROM clinics WHERE id = $1";
const SET_CLINIC_RULE: &str = "UPDATE clinics SET counselors_second_factor = $2 WHERE id = $1";

#[async_trait]
impl<B: Backend> SecondFactor for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
    i64: Column<B>,
    Option<i64>: Column<B>,
    usize: ColumnIndex<B::Row>,
{
    async fn enrolment(&self, user_id: &str) -> Result<Option<Enrolment>, DbError> {
        let row = sqlx::query(ENROLMENT)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let confirmed: Option<i64> = r.try_get("confirmed_ms")?;
            Ok(Enrolment {
                secret: r.try_get("secret")?,
                confirmed: confirmed.is_some(),
            })
        })
        .transpose()
    }

    async fn begin_enrolment(&self, user_id: &str, secret: &str) -> Result<bool, DbError> {
        let done = sqlx::query(BEGIN)
            .bind(user_id)
            .bind(secret)
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn confirm_enrolment(
        &self,
        user_id: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(CONFIRM)
            .bind(user_id)
            .bind(now_ms())
            .bind(step)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&done) != 1 {
            return Ok(false);
        }
        sqlx::query(DROP_CODES)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query(ADD_CODE)
                .bind(user_id)
                .bind(hash.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn take_step(&self, user_id: &str, step: i64) -> Result<bool, DbError> {
        let done = sqlx::query(TAKE_STEP)
            .bind(user_id)
            .bind(step)
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn use_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool, DbError> {
        let done = sqlx::query(USE_CODE)
            .bind(user_id)
            .bind(code_hash)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(CODES_LEFT)
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn reset_second_factor(&self, user_id: &str, by_whom: &str) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        for sql in [DROP_FACTOR, DROP_CODES, FORGET_BROWSERS] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        sqlx::query(RECORD_RESET)
            .bind(user_id)
            .bind(now_ms())
            .bind(by_whom)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_stage(&self, token_hash: &str, stage: Stage) -> Result<(), DbError> {
        sqlx::query(SET_STAGE)
            .bind(token_hash)
            .bind(stage.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn remember_browser(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(FORGET_EXPIRED)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        sqlx::query(REMEMBER)
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn browser_remembered(&self, token_hash: &str, user_id: &str) -> Result<bool, DbError> {
        Ok(sqlx::query(REMEMBERED)
            .bind(token_hash)
            .bind(user_id)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    async fn counselors_need_second_factor(&self, clinic_id: &str) -> Result<bool, DbError> {
        let needed: Option<i64> = sqlx::query_scalar(CLINIC_RULE)
            .bind(clinic_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(needed.unwrap_or(0) != 0)
    }

    async fn set_counselors_need_second_factor(
        &self,
        clinic_id: &str,
        needed: bool,
    ) -> Result<(), DbError> {
        sqlx::query(SET_CLINIC_RULE)
            .bind(clinic_id)
            .bind(i64::from(needed))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
