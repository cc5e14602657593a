//! The app lock: an optional passcode of at least six digits, kept as an
//! argon2id hash inside the encrypted store, and a slow-down after wrong
//! codes that is written to the store before a code is checked, so quitting
//! the app does not reset it.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::Serialize;
use steady_model::ValidationErrors;
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::{Store, wall_ms};

const PASSCODE: &str = "lock.passcode";
const FAILURES: &str = "lock.failures";
const WAIT_UNTIL: &str = "lock.wait_until_ms";
const AWAY_MINUTES: &str = "lock.away_minutes";
const OFFER_ANSWERED: &str = "lock.offer_answered";

/// A passcode has at least this many digits.
pub const MIN_DIGITS: usize = 6;
/// And at most this many, so hashing it stays cheap to refuse.
pub const MAX_DIGITS: usize = 32;
/// Wrong codes allowed before the first wait.
pub const FREE_TRIES: u32 = 2;
/// The first wait; each wrong code after it doubles the wait.
pub const FIRST_WAIT_SECONDS: u64 = 5;
/// The longest wait.
pub const MAX_WAIT_SECONDS: u64 = 15 * 60;
/// The times away after which the app locks, in minutes; 0 locks it as
/// soon as it leaves the screen.
pub const AWAY_CHOICES: [u32; 4] = [0, 1, 5, 15];
pub const DEFAULT_AWAY_MINUTES: u32 = 5;

/// Whether time `away` from the app is long enough to lock it.
pub fn away_long_enough(away_minutes: u32, away: std::time::Duration) -> bool {
    away >= std::time::Duration::from_secs(u64::from(away_minutes) * 60)
}

/// argon2id with 19 MiB, 2 passes, one lane (OWASP's minimum for argon2id).
/// The hash lives inside the encrypted store, so it is only ever checked
/// through the app, behind the slow-down.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The lock's settings as the UI shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct LockSettings {
    /// A passcode is set: the app locks on start and after time away.
    pub enabled: bool,
    /// Minutes away after which the app locks: 0 (as soon as it leaves
    /// the screen), 1, 5 or 15.
    pub away_minutes: u32,
    /// The lock was offered (at first start) and the patient answered it:
    /// set a passcode, or "not now". Settings offers it from then on.
    pub offer_answered: bool,
}

/// What a passcode attempt came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Attempt {
    Unlocked,
    /// The code was wrong; `wait_seconds` is how long until the next try.
    Wrong {
        #[ts(type = "number")]
        wait_seconds: u64,
    },
    /// A try came before the wait was over; the code was not checked.
    Wait {
        #[ts(type = "number")]
        wait_seconds: u64,
    },
}

/// How long to wait after `failures` wrong codes in a row.
pub fn wait_after(failures: u32) -> u64 {
    if failures <= FREE_TRIES {
        return 0;
    }
    let doublings = (failures - FREE_TRIES - 1).min(20);
    (FIRST_WAIT_SECONDS << doublings).min(MAX_WAIT_SECONDS)
}

fn check_code(code: &str) -> Result<(), ValidationErrors> {
    let digits = code.chars().count();
    if !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(ValidationErrors::single(
            "passcode",
            "Use digits only, 0 to 9.",
        ));
    }
    if digits < MIN_DIGITS {
        return Err(ValidationErrors::single(
            "passcode",
            format!("Use at least {MIN_DIGITS} digits."),
        ));
    }
    if digits > MAX_DIGITS {
        return Err(ValidationErrors::single(
            "passcode",
            format!("Use at most {MAX_DIGITS} digits."),
        ));
    }
    if code.chars().all(|c| code.starts_with(c)) {
        return Err(ValidationErrors::single(
            "passcode",
            "Avoid one digit repeated; choose digits someone could not guess.",
        ));
    }
    Ok(())
}

impl Store {
    pub async fn lock_settings(&self) -> Result<LockSettings, StoreError> {
        Ok(LockSettings {
            enabled: self.setting(PASSCODE).await?.is_some(),
            away_minutes: self
                .setting(AWAY_MINUTES)
                .await?
                .and_then(|t| t.parse().ok())
                .filter(|m| AWAY_CHOICES.contains(m))
                .unwrap_or(DEFAULT_AWAY_MINUTES),
            offer_answered: self.setting(OFFER_ANSWERED).await?.is_some(),
        })
    }

    /// The patient answered the first start's offer of a lock.
    pub async fn answer_lock_offer(&self) -> Result<LockSettings, StoreError> {
        self.put_setting(OFFER_ANSWERED, "1").await?;
        self.lock_settings().await
    }

    /// Sets (or replaces) the passcode and the time away.
    pub async fn set_passcode(
        &self,
        code: &str,
        away_minutes: u32,
    ) -> Result<LockSettings, StoreError> {
        check_code(code)?;
        check_away(away_minutes)?;
        let code = code.to_owned();
        let hash = tokio::task::spawn_blocking(move || {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).expect("the operating system's random generator");
            let salt = SaltString::encode_b64(&bytes)?;
            hasher()
                .hash_password(code.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| StoreError::corrupt("passcode", e))?
        .map_err(|e| StoreError::corrupt("passcode", e))?;
        let mut tx = self.writer().begin().await?;
        for (name, value) in [
            (PASSCODE, hash),
            (AWAY_MINUTES, away_minutes.to_string()),
            (FAILURES, "0".into()),
            (WAIT_UNTIL, "0".into()),
            (OFFER_ANSWERED, "1".into()),
        ] {
            put(&mut tx, name, &value).await?;
        }
        tx.commit().await?;
        self.lock_settings().await
    }

    pub async fn set_away_minutes(&self, away_minutes: u32) -> Result<LockSettings, StoreError> {
        check_away(away_minutes)?;
        self.put_setting(AWAY_MINUTES, &away_minutes.to_string())
            .await?;
        self.lock_settings().await
    }

    /// Turns the lock off. The caller has unlocked first.
    pub async fn remove_passcode(&self) -> Result<LockSettings, StoreError> {
        sqlx::query("DELETE FROM settings WHERE name IN (?, ?, ?)")
            .bind(PASSCODE)
            .bind(FAILURES)
            .bind(WAIT_UNTIL)
            .execute(self.writer())
            .await?;
        self.lock_settings().await
    }

    /// Seconds until the next code may be tried.
    pub async fn lock_wait(&self) -> Result<u64, StoreError> {
        let until: u64 = self
            .setting(WAIT_UNTIL)
            .await?
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        Ok(until.saturating_sub(wall_ms()).div_ceil(1000))
    }

    /// Tries a passcode. A wrong one is counted, and the next wait written,
    /// before the answer comes back.
    pub async fn try_passcode(&self, code: &str) -> Result<Attempt, StoreError> {
        let Some(hash) = self.setting(PASSCODE).await? else {
            return Ok(Attempt::Unlocked);
        };
        let wait = self.lock_wait().await?;
        if wait > 0 {
            return Ok(Attempt::Wait { wait_seconds: wait });
        }
        // Count the try first: a crash or quit while the code is checked
        // still counts it.
        let failures: u32 = self
            .setting(FAILURES)
            .await?
            .and_then(|t| t.parse::<u32>().ok())
            .unwrap_or(0)
            .saturating_add(1);
        let wait_seconds = wait_after(failures);
        let mut tx = self.writer().begin().await?;
        put(&mut tx, FAILURES, &failures.to_string()).await?;
        put(
            &mut tx,
            WAIT_UNTIL,
            &(wall_ms() + wait_seconds * 1000).to_string(),
        )
        .await?;
        tx.commit().await?;

        let code = code.to_owned();
        let right = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .is_ok_and(|parsed| hasher().verify_password(code.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| StoreError::corrupt("passcode", e))?;
        if !right {
            return Ok(Attempt::Wrong { wait_seconds });
        }
        let mut tx = self.writer().begin().await?;
        put(&mut tx, FAILURES, "0").await?;
        put(&mut tx, WAIT_UNTIL, "0").await?;
        tx.commit().await?;
        Ok(Attempt::Unlocked)
    }
}

fn check_away(minutes: u32) -> Result<(), ValidationErrors> {
    if AWAY_CHOICES.contains(&minutes) {
        return Ok(());
    }
    Err(ValidationErrors::single(
        "away_minutes",
        "Choose when Steady locks after you leave it: straight away, or after 1, 5 or 15 minutes.",
    ))
}

async fn put(conn: &mut sqlx::SqliteConnection, name: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_two_free_tries_and_double_to_fifteen_minutes() {
        let waits: Vec<u64> = (0..=12).map(wait_after).collect();
        assert_eq!(waits, [0, 0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(wait_after(u32::MAX), MAX_WAIT_SECONDS);
    }

    #[test]
    fn the_app_locks_once_the_time_away_reaches_the_choice() {
        use std::time::Duration;
        assert!(away_long_enough(0, Duration::ZERO), "straight away");
        assert!(!away_long_enough(1, Duration::from_millis(59_999)));
        assert!(away_long_enough(1, Duration::from_secs(60)));
        assert!(!away_long_enough(5, Duration::from_secs(299)));
        assert!(away_long_enough(15, Duration::from_secs(15 * 60)));
        assert!(away_long_enough(15, Duration::from_secs(86_400)));
        assert!(check_away(0).is_ok() && check_away(15).is_ok());
        assert!(check_away(2).is_err() && check_away(60).is_err());
    }

    #[test]
    fn passcodes_are_six_or_more_digits_and_not_one_repeated() {
        assert!(check_code("204816").is_ok());
        for bad in ["12345", "12345a", "111111", " 204816", ""] {
            assert!(check_code(bad).is_err(), "{bad:?}");
        }
        assert!(check_code(&"12".repeat(17)).is_err());
    }

    #[tokio::test]
    async fn wrong_codes_slow_down_across_a_restart_and_the_right_one_unlocks() {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::keys::StoreKey::random();
        let store = Store::open(dir.path(), &key).await.unwrap();
        let first = store.lock_settings().await.unwrap();
        assert!(!first.enabled && !first.offer_answered, "off, and offered");
        store.set_passcode("204816", 1).await.unwrap();
        let settings = store.lock_settings().await.unwrap();
        assert_eq!((settings.enabled, settings.away_minutes), (true, 1));
        assert!(settings.offer_answered);
        let text: String = sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(PASSCODE)
            .fetch_one(store.reader())
            .await
            .unwrap();
        assert!(
            text.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{text}"
        );
        assert!(!text.contains("204816"));

        assert_eq!(
            store.try_passcode("000001").await.unwrap(),
            Attempt::Wrong { wait_seconds: 0 }
        );
        assert_eq!(
            store.try_passcode("000002").await.unwrap(),
            Attempt::Wrong { wait_seconds: 0 }
        );
        assert_eq!(
            store.try_passcode("000003").await.unwrap(),
            Attempt::Wrong { wait_seconds: 5 }
        );
        store.close().await;
        // Restarted: the wait is still there, and even the right code waits.
        let store = Store::open(dir.path(), &key).await.unwrap();
        assert!(matches!(
            store.try_passcode("204816").await.unwrap(),
            Attempt::Wait {
                wait_seconds: 1..=5
            }
        ));
        tokio::time::sleep(std::time::Duration::from_millis(
            store.lock_wait().await.unwrap() * 1000 + 50,
        ))
        .await;
        assert_eq!(
            store.try_passcode("204816").await.unwrap(),
            Attempt::Unlocked
        );
        assert_eq!(store.lock_wait().await.unwrap(), 0);
        assert_eq!(
            store.try_passcode("000004").await.unwrap(),
            Attempt::Wrong { wait_seconds: 0 },
            "a right code starts the count again"
        );
    }
}
