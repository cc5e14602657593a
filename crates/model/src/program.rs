//! The treatment program and attendance: level of care with its weekly hour
//! target, the history of step-downs, and what the patient attended.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::kind::RecordKind;
use crate::record::{Body, Visibility, serde_name};
use crate::validation::{MAX_LIST_ITEMS, Problems, ValidationErrors, plausible_date, short_text};

/// ASAM levels of care an outpatient program moves through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LevelOfCare {
    /// Partial hospitalization: 20 or more hours a week.
    Php,
    /// Intensive outpatient: 9 or more hours a week (adolescents 6).
    Iop,
    /// Outpatient: fewer than 9 hours a week.
    Op,
    Aftercare,
}

impl LevelOfCare {
    /// ASAM's weekly hours for the level, where it sets a minimum.
    pub fn default_weekly_hours(self, adolescent: bool) -> Option<f64> {
        match (self, adolescent) {
            (LevelOfCare::Php, _) => Some(20.0),
            (LevelOfCare::Iop, false) => Some(9.0),
            (LevelOfCare::Iop, true) => Some(6.0),
            (LevelOfCare::Op | LevelOfCare::Aftercare, _) => None,
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
            format!(
                "\"{}\" is not a level of care; choose PHP, IOP, OP or aftercare.",
                s.chars().take(40).collect::<String>()
            )
        })
    }
}

/// A move from one level of care to another (IOP to OP, say).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct LevelChange {
    pub on: NaiveDate,
    pub from: LevelOfCare,
    pub to: LevelOfCare,
}

/// The patient's program.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub level: LevelOfCare,
    pub clinic: String,
    pub start: NaiveDate,
    #[ts(optional = nullable)]
    pub planned_end: Option<NaiveDate>,
    pub adolescent: bool,
    /// Hours of sessions a week the program asks for.
    pub weekly_hours_target: f64,
    /// Earlier levels and when they changed, oldest first.
    pub history: Vec<LevelChange>,
    pub visibility: Visibility,
}

/// A program as entered, before validation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct ProgramDraft {
    pub level: String,
    pub clinic: String,
    #[ts(optional = nullable)]
    pub start: Option<NaiveDate>,
    #[ts(optional = nullable)]
    pub planned_end: Option<NaiveDate>,
    pub adolescent: bool,
    /// Empty means ASAM's hours for the level.
    #[ts(optional = nullable)]
    pub weekly_hours_target: Option<f64>,
    pub history: Vec<LevelChange>,
    pub visibility: Visibility,
}

impl Program {
    /// The program after moving to `to` on `on`, keeping the history.
    pub fn change_level(&self, to: LevelOfCare, on: NaiveDate) -> ProgramDraft {
        let mut history = self.history.clone();
        history.push(LevelChange {
            on,
            from: self.level,
            to,
        });
        ProgramDraft {
            level: serde_name(&to),
            clinic: self.clinic.clone(),
            start: Some(self.start),
            planned_end: self.planned_end,
            adolescent: self.adolescent,
            weekly_hours_target: None,
            history,
            visibility: self.visibility,
        }
    }
}

impl Body for Program {
    const KIND: RecordKind = RecordKind::Program;
    type Draft = ProgramDraft;

    fn to_draft(&self) -> ProgramDraft {
        ProgramDraft {
            level: serde_name(&self.level),
            clinic: self.clinic.clone(),
            start: Some(self.start),
            planned_end: self.planned_end,
            adolescent: self.adolescent,
            weekly_hours_target: Some(self.weekly_hours_target),
            history: self.history.clone(),
            visibility: self.visibility,
        }
    }

    fn from_draft(d: ProgramDraft, _now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let level = p.check("level", LevelOfCare::parse(&d.level));
        let clinic = p.check("clinic", short_text(&d.clinic, "The clinic's name"));
        let start = p.check(
            "start",
            d.start
                .ok_or_else(|| "Enter the date the program started.".to_owned())
                .and_then(|start| plausible_date(start).map(|()| start)),
        );
        if let Some(end) = d.planned_end {
            p.check("planned_end", plausible_date(end));
        }
        if d.history.len() > MAX_LIST_ITEMS {
            p.add(
                "history",
                format!("A program keeps at most {MAX_LIST_ITEMS} changes of level."),
            );
        }
        if let (Some(start), Some(end)) = (d.start, d.planned_end)
            && end < start
        {
            p.add(
                "planned_end",
                "The planned end is before the start; check both dates.",
            );
        }
        let target = match (d.weekly_hours_target, level) {
            (Some(h), _) if !(0.0..=80.0).contains(&h) || h.is_nan() => {
                p.add("weekly_hours_target", "Weekly hours are from 0 to 80.");
                0.0
            }
            (Some(h), _) => h,
            (None, Some(level)) => level.default_weekly_hours(d.adolescent).unwrap_or(0.0),
            (None, None) => 0.0,
        };
        let mut previous = None;
        for change in &d.history {
            if p.check("history", plausible_date(change.on)).is_none() {
                break;
            }
            if previous.is_some_and(|on| change.on < on) || d.start.is_some_and(|s| change.on < s) {
                p.add(
                    "history",
                    "Level changes must be in date order, after the program's start.",
                );
                break;
            }
            previous = Some(change.on);
        }
        if let (Some(last), Some(level)) = (d.history.last(), level)
            && last.to != level
        {
            p.add(
                "history",
                "The last level change must lead to the current level.",
            );
        }
        p.finish(|| Program {
            level: level.unwrap_or(LevelOfCare::Iop),
            clinic: clinic.unwrap_or_default(),
            start: start.unwrap_or_default(),
            planned_end: d.planned_end,
            adolescent: d.adolescent,
            weekly_hours_target: target,
            history: d.history,
            visibility: d.visibility,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        Utc.from_utc_datetime(&self.start.and_time(chrono::NaiveTime::MIN))
            .fixed_offset()
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

/// Whether the patient was at a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    Attended,
    Missed,
    Excused,
}

/// Attendance at one occurrence of one event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub event_id: RecordId,
    /// The occurrence's original local start (names it even if moved).
    pub occurrence: NaiveDateTime,
    /// When the occurrence started.
    pub at: DateTime<FixedOffset>,
    pub status: AttendanceStatus,
    /// Minutes attended; 0 unless attended.
    pub minutes: u32,
    pub visibility: Visibility,
}

/// Attendance as entered, before validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AttendanceDraft {
    pub event_id: RecordId,
    pub occurrence: NaiveDateTime,
    pub at: DateTime<FixedOffset>,
    pub status: String,
    pub minutes: i32,
    pub visibility: Visibility,
}

impl Body for Attendance {
    const KIND: RecordKind = RecordKind::Attendance;
    type Draft = AttendanceDraft;

    fn to_draft(&self) -> AttendanceDraft {
        AttendanceDraft {
            event_id: self.event_id,
            occurrence: self.occurrence,
            at: self.at,
            status: serde_name(&self.status),
            minutes: self.minutes.try_into().unwrap_or(i32::MAX),
            visibility: self.visibility,
        }
    }

    fn from_draft(
        d: AttendanceDraft,
        _now: DateTime<FixedOffset>,
    ) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let status = p.check(
            "status",
            serde_json::from_value::<AttendanceStatus>(serde_json::Value::String(d.status.clone()))
                .map_err(|_| "Mark the session attended, missed or excused.".to_owned()),
        );
        p.check("at", plausible_date(d.at.date_naive()));
        p.check("occurrence", plausible_date(d.occurrence.date()));
        let minutes = p.check(
            "minutes",
            match (status, d.minutes) {
                (Some(AttendanceStatus::Attended), 1..=1440) => Ok(d.minutes as u32),
                (Some(AttendanceStatus::Attended), n) => Err(format!(
                    "Minutes attended are from 1 to 1440; {n} is outside that."
                )),
                _ => Ok(0),
            },
        );
        p.finish(|| Attendance {
            event_id: d.event_id,
            occurrence: d.occurrence,
            at: d.at,
            status: status.unwrap_or(AttendanceStatus::Missed),
            minutes: minutes.unwrap_or(0),
            visibility: d.visibility,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.at
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }

    fn links(&self) -> Vec<(&'static str, RecordKind, RecordId)> {
        vec![("event_id", RecordKind::Event, self.event_id)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-27T10:00:00-07:00").unwrap()
    }

    fn draft(level: &str, adolescent: bool) -> ProgramDraft {
        ProgramDraft {
            level: level.into(),
            clinic: "Riverside Recovery".into(),
            start: NaiveDate::from_ymd_opt(2026, 10, 1),
            adolescent,
            ..Default::default()
        }
    }

    #[test]
    fn weekly_targets_default_to_asam_hours() {
        let hours = |level, adolescent| {
            Program::from_draft(draft(level, adolescent), now())
                .unwrap()
                .weekly_hours_target
        };
        assert_eq!(hours("iop", false), 9.0);
        assert_eq!(hours("iop", true), 6.0);
        assert_eq!(hours("php", false), 20.0);
        assert_eq!(hours("op", false), 0.0);
    }

    #[test]
    fn a_step_down_keeps_the_history() {
        let iop = Program::from_draft(draft("iop", false), now()).unwrap();
        let op = Program::from_draft(
            iop.change_level(
                LevelOfCare::Op,
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            ),
            now(),
        )
        .unwrap();
        assert_eq!(op.level, LevelOfCare::Op);
        assert_eq!(
            op.history,
            [LevelChange {
                on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                from: LevelOfCare::Iop,
                to: LevelOfCare::Op
            }]
        );
        let mut bad = op.to_owned();
        bad.history[0].on = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let d = ProgramDraft {
            history: bad.history,
            ..op.change_level(
                LevelOfCare::Op,
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            )
        };
        assert!(
            Program::from_draft(d, now())
                .unwrap_err()
                .for_field("history")
                .is_some()
        );
    }

    #[test]
    fn unknown_levels_and_attendance_without_minutes_are_refused() {
        assert!(
            Program::from_draft(draft("detox", false), now())
                .unwrap_err()
                .for_field("level")
                .unwrap()
                .contains("PHP, IOP, OP")
        );
        let d = AttendanceDraft {
            event_id: RecordId::new(),
            occurrence: NaiveDate::from_ymd_opt(2026, 11, 2)
                .unwrap()
                .and_hms_opt(18, 0, 0)
                .unwrap(),
            at: now(),
            status: "attended".into(),
            minutes: 0,
            visibility: Visibility::CareTeam,
        };
        assert!(
            Attendance::from_draft(d.clone(), now())
                .unwrap_err()
                .for_field("minutes")
                .is_some()
        );
        let missed = Attendance::from_draft(
            AttendanceDraft {
                status: "missed".into(),
                ..d
            },
            now(),
        )
        .unwrap();
        assert_eq!(missed.minutes, 0);
    }
}
