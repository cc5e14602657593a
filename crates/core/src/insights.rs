//! The patient's own view of their entries: the same insights the counselor
//! sees (steady-model's `insight::report`, the one implementation), and the
//! progress counts the patient turns on — a check-in streak, days without
//! use, milestone chips, the program's weeks and hours. Computed on the
//! device, offline; none of it is ever synced.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};
use steady_model::insight::{
    InsightRecords, InsightReport, ReviewRecords, WeeklyReview, report, weekly_review,
};
use steady_model::progress::{
    Counter, Milestone, ProgramProgress, Streak, UseFree, checkin_streak, days_without_use,
    milestones, program_progress,
};
use steady_model::{
    Attendance, Body, CheckIn, RecordKind, TriggerEntry, ValidationErrors, Worksheet,
};
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::Store;

const PROGRESS_SETTINGS: &str = "progress_settings";
const CELEBRATED: &str = "celebrated_milestones";

/// The longest insight window, in days.
pub const MAX_INSIGHT_DAYS: u32 = 366;

/// Which progress counts the patient turned on. All are off until they
/// choose: a counter nobody asked for can feel like a judgement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct ProgressSettings {
    /// Days in a row with at least one check-in.
    pub checkin_streak: bool,
    /// Days without use, counted from this day (the first day counted);
    /// none while the counter is off.
    #[ts(optional = nullable)]
    pub days_without_use_from: Option<NaiveDate>,
    /// Weeks in the program and hours attended against its level of care.
    pub program: bool,
}

/// What the progress screen shows on one day.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Progress {
    pub today: NaiveDate,
    pub settings: ProgressSettings,
    #[ts(optional = nullable)]
    pub streak: Option<Streak>,
    #[ts(optional = nullable)]
    pub days_without_use: Option<UseFree>,
    /// The chips of the current stretches, smallest first.
    pub chips: Vec<Milestone>,
    /// Chips reached since the patient last looked: each is returned here
    /// once, then only among `chips`, whatever restarts come between.
    pub new_milestones: Vec<Milestone>,
    /// None while turned off or without a program.
    #[ts(optional = nullable)]
    pub program: Option<ProgramProgress>,
}

impl Store {
    /// The insights of the `days` days (1 to 366) that end with `today`, a
    /// date on the device's clock.
    pub async fn insights(&self, today: NaiveDate, days: u32) -> Result<InsightReport, StoreError> {
        let mut reports = self.insights_for(today, &[days]).await?;
        Ok(reports.remove(0))
    }

    /// The insights of several windows ending with `today` (the screen's 7,
    /// 30 and 90 days), from one read of the widest: switching between
    /// them then costs nothing.
    pub async fn insights_for(
        &self,
        today: NaiveDate,
        periods: &[u32],
    ) -> Result<Vec<InsightReport>, StoreError> {
        if periods.is_empty() || periods.len() > 8 {
            return Err(ValidationErrors::single(
                "periods",
                "Ask for 1 to 8 periods of insights at a time.",
            )
            .into());
        }
        if let Some(days) = periods
            .iter()
            .find(|d| !(1..=MAX_INSIGHT_DAYS).contains(*d))
        {
            return Err(ValidationErrors::single(
                "days",
                format!("Insights cover 1 to {MAX_INSIGHT_DAYS} days; {days} were asked for."),
            )
            .into());
        }
        steady_model::validation::plausible_date(today)
            .map_err(|reason| ValidationErrors::single("today", reason))?;
        let widest = periods.iter().copied().max().unwrap_or(1);
        let first = today - TimeDelta::days(i64::from(widest) - 1);
        // Rows are kept by instant; a local day lies within a day either
        // side of its UTC day, whatever the offset. The model keeps only
        // the local days asked for.
        let from = (first - TimeDelta::days(2))
            .and_time(NaiveTime::MIN)
            .and_utc();
        let to = (today + TimeDelta::days(2))
            .and_time(NaiveTime::MIN)
            .and_utc();
        let checkins: Vec<CheckIn> = self.bodies_between(from, to).await?;
        let triggers: Vec<TriggerEntry> = self.bodies_between(from, to).await?;
        let attendance: Vec<Attendance> = self.bodies_between(from, to).await?;
        let target_hours = self.program().await?.map(|p| p.data.weekly_hours_target);
        let records = InsightRecords {
            checkins: &checkins,
            triggers: &triggers,
            attendance: &attendance,
            target_hours,
        };
        Ok(periods
            .iter()
            .map(|days| report(&records, today, *days))
            .collect())
    }

    /// The weekly review of the week (Monday to Sunday) that contains
    /// `today`, against the week before.
    pub async fn weekly_review(&self, today: NaiveDate) -> Result<WeeklyReview, StoreError> {
        steady_model::validation::plausible_date(today)
            .map_err(|reason| ValidationErrors::single("today", reason))?;
        let first = (steady_model::schedule::week_start(today) - TimeDelta::weeks(1))
            .min(today - TimeDelta::days(27));
        let from = (first - TimeDelta::days(2))
            .and_time(NaiveTime::MIN)
            .and_utc();
        let to = (today + TimeDelta::days(9))
            .and_time(NaiveTime::MIN)
            .and_utc();
        let checkins: Vec<CheckIn> = self.bodies_between(from, to).await?;
        let triggers: Vec<TriggerEntry> = self.bodies_between(from, to).await?;
        let attendance: Vec<Attendance> = self.bodies_between(from, to).await?;
        let done: Vec<NaiveDate> = self
            .all_live::<Worksheet>()
            .await?
            .into_iter()
            .filter_map(|(_, w)| w.completed.map(|c| c.date_naive()))
            .collect();
        let reasons = self
            .plan()
            .await?
            .map(|p| p.data.reasons)
            .unwrap_or_default();
        let records = ReviewRecords {
            insight: InsightRecords {
                checkins: &checkins,
                triggers: &triggers,
                attendance: &attendance,
                target_hours: self.program().await?.map(|p| p.data.weekly_hours_target),
            },
            worksheets_done: &done,
            reasons: &reasons,
        };
        Ok(weekly_review(&records, today))
    }

    pub async fn progress_settings(&self) -> Result<ProgressSettings, StoreError> {
        match self.setting(PROGRESS_SETTINGS).await? {
            None => Ok(ProgressSettings::default()),
            Some(t) => {
                serde_json::from_str(&t).map_err(|e| StoreError::corrupt("progress settings", e))
            }
        }
    }

    /// Turns progress counts on or off; `today` is the device's date, after
    /// which days without use cannot start.
    pub async fn set_progress_settings(
        &self,
        settings: &ProgressSettings,
        today: NaiveDate,
    ) -> Result<(), StoreError> {
        if let Some(from) = settings.days_without_use_from {
            steady_model::validation::plausible_date(from)
                .map_err(|reason| ValidationErrors::single("days_without_use_from", reason))?;
            if from > today {
                return Err(ValidationErrors::single(
                    "days_without_use_from",
                    format!(
                        "Counting cannot start after today ({today}); choose today or an earlier day."
                    ),
                )
                .into());
            }
        }
        let value = serde_json::to_string(settings)
            .map_err(|e| StoreError::corrupt("progress settings", e))?;
        self.put_setting(PROGRESS_SETTINGS, &value).await
    }

    /// The progress counts the patient turned on, on `today` (the device's
    /// date). Chips reached since the last call are in `new_milestones`
    /// once: they are recorded as seen in the same transaction.
    pub async fn progress(&self, today: NaiveDate) -> Result<Progress, StoreError> {
        let settings = self.progress_settings().await?;
        let mut chips = Vec::new();
        let mut streak = None;
        let mut use_free = None;
        if settings.checkin_streak || settings.days_without_use_from.is_some() {
            let (days, uses) = self.checkin_days().await?;
            if settings.checkin_streak {
                let s = checkin_streak(days, today);
                chips.extend(milestones(Counter::CheckinStreak, s.current, s.since));
                streak = Some(s);
            }
            if let Some(from) = settings.days_without_use_from {
                let u = days_without_use(uses, from, today);
                chips.extend(milestones(Counter::DaysWithoutUse, u.current, u.since));
                use_free = Some(u);
            }
        }
        let program = match (settings.program, self.program().await?) {
            (true, Some(p)) => {
                let marks: Vec<Attendance> = self
                    .all_live::<Attendance>()
                    .await?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect();
                Some(program_progress(&p.data, &marks, today))
            }
            _ => None,
        };
        let new_milestones = self.celebrate(&chips).await?;
        Ok(Progress {
            today,
            settings,
            streak,
            days_without_use: use_free,
            chips,
            new_milestones,
            program,
        })
    }

    /// The chips of `chips` not seen before, now recorded as seen.
    async fn celebrate(&self, chips: &[Milestone]) -> Result<Vec<Milestone>, StoreError> {
        let key = |m: &Milestone| (m.counter, m.days, m.since);
        let mut tx = self.writer().begin().await?;
        let seen: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(CELEBRATED)
            .fetch_optional(&mut *tx)
            .await?;
        let mut seen: Vec<Milestone> = match seen {
            None => Vec::new(),
            Some(t) => {
                serde_json::from_str(&t).map_err(|e| StoreError::corrupt("milestones", e))?
            }
        };
        let known: HashSet<_> = seen.iter().map(key).collect();
        let new: Vec<Milestone> = chips
            .iter()
            .filter(|m| !known.contains(&key(m)))
            .copied()
            .collect();
        if !new.is_empty() {
            seen.extend(new.iter().copied());
            let text =
                serde_json::to_string(&seen).map_err(|e| StoreError::corrupt("milestones", e))?;
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES (?, ?)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(CELEBRATED)
            .bind(text)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The local days with a check-in, and those with a reported use:
    /// one row a day, kept by the database as check-ins change
    /// (migration 0005), not every check-in's body.
    async fn checkin_days(&self) -> Result<(Vec<NaiveDate>, Vec<NaiveDate>), StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT day, uses FROM checkin_days")
            .fetch_all(self.reader())
            .await?;
        let mut days = Vec::with_capacity(rows.len());
        let mut uses = Vec::new();
        for (day, used) in rows {
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|e| StoreError::corrupt(RecordKind::CheckIn.noun(), e))?;
            days.push(day);
            if used > 0 {
                uses.push(day);
            }
        }
        Ok((days, uses))
    }

    /// Live records of one kind whose instant is in `[from, to)`.
    async fn bodies_between<B: Body>(
        &self,
        from: DateTime<chrono::Utc>,
        to: DateTime<chrono::Utc>,
    ) -> Result<Vec<B>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM records
             WHERE kind = ? AND deleted = 0 AND at_ms >= ? AND at_ms < ?",
        )
        .bind(B::KIND.as_str())
        .bind(from.timestamp_millis())
        .bind(to.timestamp_millis())
        .fetch_all(self.reader())
        .await?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| StoreError::corrupt(B::KIND.noun(), e)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreKey;
    use steady_model::{CheckInDraft, RecordId, Visibility};

    /// The days table, as the triggers keep it.
    async fn kept(store: &Store) -> Vec<(String, i64, i64)> {
        sqlx::query_as("SELECT day, checkins, uses FROM checkin_days ORDER BY day")
            .fetch_all(store.reader())
            .await
            .unwrap()
    }

    /// The same, counted afresh from every live check-in's body (the query
    /// migration 0005 fills the table with).
    async fn counted(store: &Store) -> Vec<(String, i64, i64)> {
        sqlx::query_as(
            "SELECT substr(json_extract(body, '$.at'), 1, 10), count(*),
                    sum(json_extract(body, '$.outcome') IS 'used')
             FROM records WHERE kind = 'checkin' AND deleted = 0 GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(store.reader())
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_days_table_matches_the_checkins_after_any_edits_and_deletions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreKey::from_bytes([3; 32]))
            .await
            .unwrap();
        let mut n: u64 = 99;
        let mut next = move |m: u64| {
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (n >> 33) % m
        };
        let draft = |next: &mut dyn FnMut(u64) -> u64| {
            let offset = ["-07:00", "-05:00", "+05:30", "Z"][next(4) as usize];
            let at = format!("2026-11-{:02}T{:02}:30:00{offset}", 1 + next(6), next(24));
            CheckInDraft {
                at: Some(DateTime::parse_from_rfc3339(&at).unwrap()),
                craving: next(11) as i32,
                outcome: [None, Some("used"), Some("resisted")][next(3) as usize].map(String::from),
                visibility: Visibility::Private,
                ..CheckInDraft::default()
            }
        };
        let mut live: Vec<RecordId> = Vec::new();
        for _ in 0..300 {
            match next(10) {
                0..=4 => live.push(store.create::<CheckIn>(draft(&mut next)).await.unwrap().id),
                5..=7 if !live.is_empty() => {
                    let id = live[next(live.len() as u64) as usize];
                    store.update::<CheckIn>(id, draft(&mut next)).await.unwrap();
                }
                _ if !live.is_empty() => {
                    let id = live.swap_remove(next(live.len() as u64) as usize);
                    store.delete::<CheckIn>(id).await.unwrap();
                }
                _ => {}
            }
        }
        let table = kept(&store).await;
        assert!(table.len() > 3, "{table:?}");
        assert_eq!(table, counted(&store).await);
        assert!(table.iter().all(|(_, c, u)| *c > 0 && u <= c));
    }
}
