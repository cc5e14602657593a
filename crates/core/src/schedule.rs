//! The schedule side of the store: events and their occurrences, attendance,
//! hours this week, reminder settings, and the record of delivered reminders
//! that keeps a restart from repeating one.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use steady_model::schedule::{resolve_local, week_start};
use steady_model::{
    Attendance, AttendanceDraft, AttendanceStatus, Body, Entry, Event, EventKind, Program,
    ProgramDraft, RecordId, ValidationErrors,
};
use ts_rs::TS;

use crate::error::StoreError;
use crate::planner::{PlanInput, Reminder, ReminderSettings, plan};
use crate::records;
use crate::store::Store;

const REMINDER_SETTINGS: &str = "reminders";

/// One occurrence of an event, as the week view shows it.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct OccurrenceView {
    pub event_id: RecordId,
    pub title: String,
    pub kind: EventKind,
    pub place: String,
    pub link: String,
    /// The original local start, which names the occurrence.
    pub occurrence: NaiveDateTime,
    /// Start and end, RFC 3339 in the device's zone.
    pub start: DateTime<chrono::FixedOffset>,
    pub end: DateTime<chrono::FixedOffset>,
    pub moved: bool,
    #[ts(optional = nullable)]
    pub attendance: Option<AttendanceStatus>,
}

/// Hours attended in a week against the program's target.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WeekHours {
    pub week_start: NaiveDate,
    pub attended_minutes: u32,
    pub scheduled_minutes: u32,
    #[ts(optional = nullable)]
    pub target_hours: Option<f64>,
}

/// How a patient marks one occurrence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AttendanceMark {
    pub event_id: RecordId,
    pub occurrence: NaiveDateTime,
    pub status: String,
    /// Empty means the whole session.
    #[ts(optional = nullable)]
    pub minutes: Option<i32>,
}

impl Store {
    /// Every live event.
    pub async fn events(&self) -> Result<Vec<(RecordId, Event)>, StoreError> {
        self.all_live::<Event>().await
    }

    /// Occurrences overlapping `[from, to)`, with their attendance, shown in `zone`.
    pub async fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        zone: Tz,
    ) -> Result<Vec<OccurrenceView>, StoreError> {
        let marks = self.attendance_marks().await?;
        Ok(occurrence_views(
            &self.events().await?,
            &marks,
            from,
            to,
            zone,
        ))
    }

    async fn attendance_marks(&self) -> Result<Vec<Attendance>, StoreError> {
        Ok(self
            .all_live::<Attendance>()
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// Marks one occurrence attended, missed or excused; marking it again
    /// changes the mark.
    pub async fn mark_attendance(
        &self,
        mark: AttendanceMark,
    ) -> Result<Entry<Attendance>, StoreError> {
        let event = self
            .get::<Event>(mark.event_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => ValidationErrors::single(
                    "event_id",
                    "That session is no longer on your schedule.",
                )
                .into(),
                other => other,
            })?;
        let found = event.data.occurrence(mark.occurrence);
        let Some(occurrence) = found else {
            return Err(ValidationErrors::single(
                "occurrence",
                "That session did not take place on this date (it may have been cancelled).",
            )
            .into());
        };
        let full =
            i32::try_from((occurrence.end - occurrence.start).num_minutes()).unwrap_or(i32::MAX);
        let draft = AttendanceDraft {
            event_id: mark.event_id,
            occurrence: mark.occurrence,
            at: occurrence.start.fixed_offset(),
            minutes: mark
                .minutes
                .unwrap_or(if mark.status == "attended" { full } else { 0 }),
            status: mark.status,
            visibility: event.data.visibility,
        };
        let existing = records::attendance_for(
            self.reader(),
            &mark.event_id.to_string(),
            &json_text(&mark.occurrence),
        )
        .await?;
        match existing.and_then(|id| RecordId::from_str(&id).ok()) {
            Some(id) => self.update::<Attendance>(id, draft).await,
            None => self.create::<Attendance>(draft).await,
        }
    }

    /// Attended and scheduled minutes in the week (Monday to Sunday in
    /// `zone`) that contains `day`, and the program's weekly target.
    pub async fn week_hours(&self, day: NaiveDate, zone: Tz) -> Result<WeekHours, StoreError> {
        let monday = week_start(day);
        let from = resolve_local(zone, monday.and_time(NaiveTime::MIN)).with_timezone(&Utc);
        let to = resolve_local(zone, (monday + TimeDelta::days(7)).and_time(NaiveTime::MIN))
            .with_timezone(&Utc);
        let marks = self.attendance_marks().await?;
        let occurrences = occurrence_views(&self.events().await?, &marks, from, to, zone);
        let scheduled = occurrences
            .iter()
            .map(|o| (o.end - o.start).num_minutes().max(0) as u32)
            .sum();
        let attended = marks
            .iter()
            .filter(|a| a.status == AttendanceStatus::Attended)
            .filter(|a| a.at.with_timezone(&Utc) >= from && a.at.with_timezone(&Utc) < to)
            .map(|a| a.minutes)
            .sum();
        let target = self.program().await?.map(|p| p.data.weekly_hours_target);
        Ok(WeekHours {
            week_start: monday,
            attended_minutes: attended,
            scheduled_minutes: scheduled,
            target_hours: target,
        })
    }

    /// The patient's program, if one is set.
    pub async fn program(&self) -> Result<Option<Entry<Program>>, StoreError> {
        Ok(self
            .all_live::<Program>()
            .await?
            .into_iter()
            .next()
            .map(|(id, data)| Entry { id, data }))
    }

    /// Sets the program (there is one).
    pub async fn save_program(&self, draft: ProgramDraft) -> Result<Entry<Program>, StoreError> {
        match self.program().await? {
            Some(existing) => self.update::<Program>(existing.id, draft).await,
            None => self.create::<Program>(draft).await,
        }
    }

    pub async fn reminder_settings(&self) -> Result<ReminderSettings, StoreError> {
        match self.setting(REMINDER_SETTINGS).await? {
            None => Ok(ReminderSettings::default()),
            Some(t) => {
                serde_json::from_str(&t).map_err(|e| StoreError::corrupt("reminder settings", e))
            }
        }
    }

    pub async fn set_reminder_settings(
        &self,
        settings: &ReminderSettings,
    ) -> Result<(), StoreError> {
        if let Some(q) = settings.quiet_hours
            && q.start == q.end
        {
            return Err(ValidationErrors::single(
                "quiet_hours",
                "Quiet hours start and end at the same time; choose an end after the start, or turn them off.",
            )
            .into());
        }
        let value = serde_json::to_string(settings)
            .map_err(|e| StoreError::corrupt("reminder settings", e))?;
        self.put_setting(REMINDER_SETTINGS, &value).await
    }

    /// The next `limit` reminders due at or after `now`, for a device in `zone`.
    pub async fn plan_reminders(
        &self,
        now: DateTime<Utc>,
        zone: Tz,
        limit: usize,
    ) -> Result<Vec<Reminder>, StoreError> {
        let events = self.events().await?;
        let settings = self.reminder_settings().await?;
        let delivered: HashSet<String> = sqlx::query_scalar("SELECT key FROM delivered_reminders")
            .fetch_all(self.reader())
            .await?
            .into_iter()
            .collect();
        let input = PlanInput {
            events: &events,
            settings: &settings,
            device_zone: zone,
            delivered: &delivered,
            now,
        };
        Ok(plan(&input, limit))
    }

    /// Records that `reminder` is being delivered. Returns false if it already
    /// was: the caller then must not show it again. Recorded before showing,
    /// so a crash in between loses one reminder rather than repeating it.
    pub async fn claim_delivery(
        &self,
        reminder: &Reminder,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO delivered_reminders (key, delivered_at_ms) VALUES (?, ?)",
        )
        .bind(reminder.key.to_string())
        .bind(now.timestamp_millis())
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn all_live<B: Body>(&self) -> Result<Vec<(RecordId, B)>, StoreError> {
        records::all_live(self.reader(), B::KIND)
            .await?
            .into_iter()
            .map(|(id, body)| {
                let id =
                    RecordId::from_str(&id).map_err(|e| StoreError::corrupt(B::KIND.noun(), e))?;
                let data = serde_json::from_str(&body)
                    .map_err(|e| StoreError::corrupt(B::KIND.noun(), e))?;
                Ok((id, data))
            })
            .collect()
    }
}

/// The occurrences of `events` overlapping `[from, to)`, with their marks, in `zone`.
fn occurrence_views(
    events: &[(RecordId, Event)],
    marks: &[Attendance],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: Tz,
) -> Vec<OccurrenceView> {
    let mut out = Vec::new();
    for (id, event) in events {
        for o in event.occurrences_between(from, to) {
            let attendance = marks
                .iter()
                .find(|a| a.event_id == *id && a.occurrence == o.original)
                .map(|a| a.status);
            out.push(OccurrenceView {
                event_id: *id,
                title: event.title.clone(),
                kind: event.kind,
                place: event.place.clone(),
                link: event.link.clone(),
                occurrence: o.original,
                start: o.start.with_timezone(&zone).fixed_offset(),
                end: o.end.with_timezone(&zone).fixed_offset(),
                moved: o.moved,
                attendance,
            });
        }
    }
    out.sort_by_key(|o| (o.start, o.event_id));
    out
}

/// A value's JSON text form without quotes, as json_extract returns it.
fn json_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// What a calendar file added to the schedule, and the events it skipped
/// with their line and why.
#[derive(Debug)]
pub struct IcsImport {
    pub added: Vec<Entry<Event>>,
    pub skipped: Vec<steady_model::ics::Skipped>,
}

impl Store {
    /// The whole schedule as an iCalendar file.
    pub async fn export_ics(&self) -> Result<String, StoreError> {
        Ok(steady_model::ics::export(
            &self.events().await?,
            chrono::Utc::now(),
        ))
    }

    /// Adds the events of an iCalendar file to the schedule, in one
    /// transaction. A file that cannot be read as a calendar is refused with
    /// the line it is on; an event Steady cannot keep is skipped and named,
    /// and the rest are added.
    pub async fn import_ics(
        &self,
        text: &str,
        default_zone: &str,
    ) -> Result<IcsImport, StoreError> {
        let now = chrono::Local::now().fixed_offset();
        let read = steady_model::ics::import(text, default_zone, now)
            .map_err(|e| ValidationErrors::single("file", e.to_string()))?;
        let added = self
            .create_all::<Event>(read.events.into_iter().map(|e| e.draft))
            .await?;
        Ok(IcsImport {
            added,
            skipped: read.skipped,
        })
    }
}
