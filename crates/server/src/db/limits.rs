//! Attempt limits shared by every server instance: each guess (a password,
//! a pairing code) is counted *before* it is checked, in one conditional
//! write, so requests sent at once cannot all slip in under the limit.
//! After a few attempts the next must wait, longer each time (a slow-down,
//! not a lockout: the real user waits at most [`Rule::max_delay_ms`]).

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, Row as _};

use super::{Backend, Bind, Column, DbError, Sql};

/// How attempts under one kind of key are limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Attempts taken without any wait.
    pub free: i64,
    /// The wait after the last free attempt; it doubles with each further one.
    pub first_delay_ms: i64,
    /// The longest wait.
    pub max_delay_ms: i64,
    /// After this long without an attempt, the count starts again.
    pub window_ms: i64,
}

impl Rule {
    /// The wait after the `n`th attempt (counting from 1).
    pub fn delay_after(&self, n: i64) -> i64 {
        if n < self.free {
            return 0;
        }
        let doublings = u32::try_from(n - self.free).unwrap_or(u32::MAX).min(40);
        self.first_delay_ms
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_ms)
    }
}

/// Whether an attempt was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    Taken,
    /// Not taken: try again after this many milliseconds.
    Wait(i64),
}

#[async_trait]
pub trait Limits: Send + Sync {
    /// Counts one attempt under `key` if its wait is over; atomic against
    /// every other attempt, on this instance or another.
    async fn take_attempt(&self, key: &str, rule: &Rule, now_ms: i64) -> Result<Attempt, DbError>;
    /// Counts one request under `key` in fixed windows of `window_ms`: the
    /// count in the current window, this one included, and when the window
    /// started. One statement, so requests sent at once each get their own
    /// count.
    async fn count_in_window(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<(i64, i64), DbError>;
    /// Gives back an attempt that turned out to be no wrong guess (it was
    /// refused before checking, or it was right).
    async fn give_back_attempt(&self, key: &str) -> Result<(), DbError>;
}

const READ: &str = "SELECT attempts, last_ms, next_ms FROM attempt_limits WHERE key = $1";
const FIRST: &str =
    "INSERT INTO attempt_limits (key, attempts, last_ms, next_ms) VALUES ($1, 1, $2, $3)
     ON CONFLICT (key) DO NOTHING";
const NEXT: &str = "UPDATE attempt_limits SET attempts = $2, last_ms = $3, next_ms = $4
     WHERE key = $1 AND attempts = $5 AND last_ms = $6";
const GIVE_BACK: &str = "UPDATE attempt_limits SET attempts = attempts - 1
     WHERE key = $1 AND attempts > 0";
pub(super) const COUNT_IN_WINDOW: &str = "INSERT INTO rate_windows (key, started_ms, count) VALUES ($1, $2, 1)
     ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_windows.started_ms <= $2 - $3 THEN 1 ELSE rate_windows.count + 1 END,
         started_ms = CASE WHEN rate_windows.started_ms <= $2 - $3 THEN $2 ELSE rate_windows.started_ms END
     RETURNING count, started_ms";
const FORGET_OLD: &str = "DELETE FROM attempt_limits WHERE last_ms < $1";

/// How many times an attempt is tried again when others changed its key
/// in between; past that it is told to wait a moment.
const RACES: usize = 64;

#[async_trait]
impl<B: Backend> Limits for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
    i64: Column<B>,
    usize: ColumnIndex<B::Row>,
{
    async fn take_attempt(&self, key: &str, rule: &Rule, now_ms: i64) -> Result<Attempt, DbError> {
        for _ in 0..RACES {
            let row = sqlx::query(READ)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            let Some(row) = row else {
                // Rows nobody has used for a day are of no use to anyone.
                sqlx::query(FORGET_OLD)
                    .bind(now_ms - 24 * 3_600_000)
                    .execute(&self.pool)
                    .await?;
                let done = sqlx::query(FIRST)
                    .bind(key)
                    .bind(now_ms)
                    .bind(now_ms + rule.delay_after(1))
                    .execute(&self.pool)
                    .await?;
                if B::rows_affected(&done) == 1 {
                    return Ok(Attempt::Taken);
                }
                continue;
            };
            let (attempts, last_ms, next_ms): (i64, i64, i64) = (
                row.try_get("attempts")?,
                row.try_get("last_ms")?,
                row.try_get("next_ms")?,
            );
            let quiet = now_ms - last_ms > rule.window_ms;
            // Only a wait the last attempt set holds this one back: requests
            // arriving together read the clock in no particular order.
            let waiting = next_ms > last_ms;
            if !quiet && waiting && now_ms < next_ms {
                return Ok(Attempt::Wait(next_ms - now_ms));
            }
            let n = if quiet { 1 } else { attempts + 1 };
            let at = now_ms.max(last_ms);
            let done = sqlx::query(NEXT)
                .bind(key)
                .bind(n)
                .bind(at)
                .bind(at + rule.delay_after(n))
                .bind(attempts)
                .bind(last_ms)
                .execute(&self.pool)
                .await?;
            if B::rows_affected(&done) == 1 {
                return Ok(Attempt::Taken);
            }
        }
        Ok(Attempt::Wait(1_000))
    }

    async fn count_in_window(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<(i64, i64), DbError> {
        let row = sqlx::query(COUNT_IN_WINDOW)
            .bind(key)
            .bind(now_ms)
            .bind(window_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok((row.try_get("count")?, row.try_get("started_ms")?))
    }

    async fn give_back_attempt(&self, key: &str) -> Result<(), DbError> {
        sqlx::query(GIVE_BACK).bind(key).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_the_free_attempts_up_to_its_ceiling() {
        let rule = Rule {
            free: 5,
            first_delay_ms: 1_000,
            max_delay_ms: 60_000,
            window_ms: 900_000,
        };
        let waits: Vec<i64> = (1..=12).map(|n| rule.delay_after(n)).collect();
        assert_eq!(
            waits,
            [
                0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000
            ]
        );
        assert_eq!(rule.delay_after(i64::MAX), 60_000);
    }
}
