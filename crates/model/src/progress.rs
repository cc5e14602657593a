//! Progress that fits treatment: a check-in streak, days without use, the
//! milestone chips groups hand out, and how far into the program a patient
//! is. Each is something the patient turns on; none is ever sent anywhere.
//!
//! Days are calendar days on the patient's own clock: an entry counts on the
//! local date it was written (in the offset it carries), so a patient who
//! flies from Denver to New York keeps their streak. An entry dated after
//! "today" (written further east than the patient is now) counts as today.
//!
//! A slip is information, never a failure: days without use restart after a
//! reported use, and the longest stretch and the month's count stay beside
//! the new one.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::checkin::{CheckIn, Outcome};
use crate::program::{Attendance, AttendanceStatus, LevelOfCare, Program};
use crate::schedule::week_start;

/// The days a milestone chip is given at.
pub const MILESTONES: [u32; 7] = [1, 7, 30, 60, 90, 180, 365];

/// Days with at least one check-in, in a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Streak {
    /// Days in the current run: it ends today, or yesterday if today has no
    /// check-in yet (it is still alive until today ends). 0 once a day was
    /// missed.
    pub current: u32,
    pub longest: u32,
    pub checked_in_today: bool,
    /// The first day of the current run, if there is one.
    #[ts(optional = nullable)]
    pub since: Option<NaiveDate>,
    /// The next chip the current run reaches, if any is left.
    #[ts(optional = nullable)]
    pub next_milestone: Option<u32>,
}

/// The check-in streak on `today`, from the local dates of check-ins.
pub fn checkin_streak(days: impl IntoIterator<Item = NaiveDate>, today: NaiveDate) -> Streak {
    let days: BTreeSet<NaiveDate> = days.into_iter().map(|d| d.min(today)).collect();
    let mut longest = 0;
    let mut run = 0;
    let mut run_start = None;
    let mut previous: Option<NaiveDate> = None;
    for &d in &days {
        if previous.is_some_and(|p| p.succ_opt() == Some(d)) {
            run += 1;
        } else {
            run = 1;
            run_start = Some(d);
        }
        longest = longest.max(run);
        previous = Some(d);
    }
    let checked_in_today = days.contains(&today);
    let alive = previous.is_some_and(|last| last == today || last.succ_opt() == Some(today));
    let current = if alive { run } else { 0 };
    Streak {
        current,
        longest,
        checked_in_today,
        since: if alive { run_start } else { None },
        next_milestone: next_milestone(current),
    }
}

/// Days without use, counted from the day the patient chose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct UseFree {
    /// Days in a row without a reported use, today included unless a use
    /// was reported today.
    pub current: u32,
    /// The longest such stretch since counting began (the current one too).
    pub longest: u32,
    /// Days this calendar month, since counting began, without a use.
    pub this_month: u32,
    /// The first day of the current stretch; none when a use was reported
    /// today.
    #[ts(optional = nullable)]
    pub since: Option<NaiveDate>,
    /// The latest reported use since counting began.
    #[ts(optional = nullable)]
    pub last_use: Option<NaiveDate>,
    pub counting_from: NaiveDate,
    /// The next chip the current stretch reaches, if any is left.
    #[ts(optional = nullable)]
    pub next_milestone: Option<u32>,
}

/// The days a patient reported a use: check-ins whose outcome was "used".
pub fn use_days(checkins: &[CheckIn]) -> Vec<NaiveDate> {
    checkins
        .iter()
        .filter(|c| c.outcome == Some(Outcome::Used))
        .map(|c| c.at.date_naive())
        .collect()
}

/// Days without use on `today`, counting from `counting_from` (the first
/// day the patient counts), given the days a use was reported.
pub fn days_without_use(
    uses: impl IntoIterator<Item = NaiveDate>,
    counting_from: NaiveDate,
    today: NaiveDate,
) -> UseFree {
    let uses: BTreeSet<NaiveDate> = uses
        .into_iter()
        .map(|d| d.min(today))
        .filter(|d| *d >= counting_from)
        .collect();
    let days = |from: NaiveDate, to: NaiveDate| (to - from).num_days().max(0) as u32;
    let mut start = counting_from;
    let mut longest = 0;
    for &u in &uses {
        longest = longest.max(days(start, u));
        start = u + TimeDelta::days(1);
    }
    let current = days(start, today + TimeDelta::days(1));
    let month_start = today.with_day(1).unwrap_or(today).max(counting_from);
    let this_month = days(month_start, today + TimeDelta::days(1))
        - uses.range(month_start..=today).count() as u32;
    UseFree {
        current,
        longest: longest.max(current),
        this_month,
        since: (current > 0).then_some(start),
        last_use: uses.last().copied(),
        counting_from,
        next_milestone: next_milestone(current),
    }
}

/// Which count a milestone belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    CheckinStreak,
    DaysWithoutUse,
}

/// A chip earned: `days` reached in the stretch that began on `since`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Milestone {
    pub counter: Counter,
    pub days: u32,
    pub since: NaiveDate,
    /// The day it was reached.
    pub reached_on: NaiveDate,
}

/// The chips of the current stretch of `counter`, smallest first: every
/// milestone `current` days have reached in the stretch that began `since`.
pub fn milestones(counter: Counter, current: u32, since: Option<NaiveDate>) -> Vec<Milestone> {
    let Some(since) = since else {
        return Vec::new();
    };
    MILESTONES
        .iter()
        .filter(|m| **m <= current)
        .map(|&days| Milestone {
            counter,
            days,
            since,
            reached_on: since + TimeDelta::days(i64::from(days) - 1),
        })
        .collect()
}

/// The next milestone after `current` days, if any is left.
pub fn next_milestone(current: u32) -> Option<u32> {
    MILESTONES.iter().copied().find(|m| *m > current)
}

/// How far into the program the patient is.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ProgramProgress {
    pub level: LevelOfCare,
    pub start: NaiveDate,
    /// The week of the program today is in, from 1; 0 before it starts.
    pub week: u32,
    /// The weeks planned, when the program has an end date.
    #[ts(optional = nullable)]
    pub planned_weeks: Option<u32>,
    /// Minutes attended this week (Monday to Sunday).
    pub this_week_minutes: u32,
    /// The program's weekly hours.
    pub target_hours: f64,
    /// The hours a week the level of care stands for (ASAM), where it sets
    /// a minimum.
    #[ts(optional = nullable)]
    pub level_hours: Option<f64>,
    /// Minutes and sessions attended since the program began.
    pub total_minutes: u32,
    pub sessions_attended: u32,
}

pub fn program_progress(
    program: &Program,
    attendance: &[Attendance],
    today: NaiveDate,
) -> ProgramProgress {
    let weeks_between =
        |from: NaiveDate, to: NaiveDate| (to - from).num_days().div_euclid(7) as u32;
    let monday = week_start(today);
    let mut this_week_minutes = 0;
    let mut total_minutes = 0;
    let mut sessions_attended = 0;
    for a in attendance
        .iter()
        .filter(|a| a.status == AttendanceStatus::Attended)
    {
        let day = a.at.date_naive();
        if day < program.start || day > today {
            continue;
        }
        total_minutes += a.minutes;
        sessions_attended += 1;
        if day >= monday {
            this_week_minutes += a.minutes;
        }
    }
    ProgramProgress {
        level: program.level,
        start: program.start,
        week: if today < program.start {
            0
        } else {
            weeks_between(program.start, today) + 1
        },
        planned_weeks: program
            .planned_end
            .map(|end| weeks_between(program.start, end) + 1),
        this_week_minutes,
        target_hours: program.weekly_hours_target,
        level_hours: program.level.default_weekly_hours(program.adolescent),
        total_minutes,
        sessions_attended,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::CheckInDraft;
    use crate::record::{Body, Visibility};
    use chrono::DateTime;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn checkin(when: &str, outcome: Option<&str>) -> CheckIn {
        let at = DateTime::parse_from_rfc3339(when).unwrap();
        CheckIn::from_draft(
            CheckInDraft {
                at: Some(at),
                craving: 5,
                outcome: outcome.map(str::to_owned),
                visibility: Visibility::Private,
                ..CheckInDraft::default()
            },
            at,
        )
        .unwrap()
    }

    fn local_days(checkins: &[CheckIn]) -> Vec<NaiveDate> {
        checkins.iter().map(|c| c.at.date_naive()).collect()
    }

    #[test]
    fn a_streak_counts_days_in_a_row_and_a_missed_day_ends_it() {
        let days = [
            "2026-11-01",
            "2026-11-02",
            "2026-11-02",
            "2026-11-03",
            "2026-11-05",
            "2026-11-06",
        ]
        .map(date);
        // Today has none yet: the run that ended yesterday is still alive.
        let s = checkin_streak(days, date("2026-11-07"));
        assert_eq!((s.current, s.longest, s.checked_in_today), (2, 3, false));
        assert_eq!(s.since, Some(date("2026-11-05")));
        let s = checkin_streak(days, date("2026-11-06"));
        assert_eq!((s.current, s.checked_in_today), (2, true));
        // A day missed: it ends, gently, and the longest stays.
        let s = checkin_streak(days, date("2026-11-08"));
        assert_eq!((s.current, s.longest, s.since), (0, 3, None));
        assert_eq!(checkin_streak([], date("2026-11-08")).longest, 0);
    }

    #[test]
    fn a_streak_survives_daylight_saving_changes_and_a_flight_east_or_west() {
        // Denver across the spring change (8 March 2026), then New York.
        let checkins = [
            checkin("2026-03-07T22:30:00-07:00", None),
            checkin("2026-03-08T21:00:00-06:00", None),
            checkin("2026-03-09T07:00:00-06:00", None),
            // Flew east: the next check-in is on New York's clock.
            checkin("2026-03-10T23:30:00-04:00", None),
            checkin("2026-03-11T00:15:00-04:00", None),
        ];
        let s = checkin_streak(local_days(&checkins), date("2026-03-11"));
        assert_eq!((s.current, s.longest), (5, 5));
        // Back west: 00:15 in New York is 22:15 the day before in Denver;
        // it counts as today there, not as a day ahead.
        let s = checkin_streak(local_days(&checkins), date("2026-03-10"));
        assert_eq!((s.current, s.checked_in_today), (4, true));
        // Autumn: 1 November 2026 has 25 hours in Denver; still one day.
        let autumn = [
            checkin("2026-10-31T23:00:00-06:00", None),
            checkin("2026-11-01T01:30:00-06:00", None),
            checkin("2026-11-01T01:30:00-07:00", None),
            checkin("2026-11-02T08:00:00-07:00", None),
        ];
        assert_eq!(
            checkin_streak(local_days(&autumn), date("2026-11-02")).current,
            3
        );
    }

    #[test]
    fn days_without_use_restart_after_a_lapse_and_keep_the_longest_and_the_month() {
        let from = date("2026-09-01");
        // Nothing reported: every day from the first counts, today included.
        let clean = days_without_use([], from, date("2026-10-11"));
        assert_eq!((clean.current, clean.longest), (41, 41));
        assert_eq!((clean.since, clean.last_use), (Some(from), None));
        assert_eq!(clean.this_month, 11);

        // A use on 12 October: a new stretch begins on the 13th.
        let checkins = [
            checkin("2026-10-12T21:00:00-06:00", Some("used")),
            checkin("2026-10-20T21:00:00-06:00", Some("resisted")),
        ];
        let uses = use_days(&checkins);
        let after = days_without_use(uses.clone(), from, date("2026-11-23"));
        assert_eq!(after.current, 42);
        assert_eq!(after.since, Some(date("2026-10-13")));
        assert_eq!(after.longest, 42);
        assert_eq!(after.this_month, 23);
        let on_the_day = days_without_use(uses.clone(), from, date("2026-10-12"));
        assert_eq!((on_the_day.current, on_the_day.since), (0, None));
        assert_eq!((on_the_day.longest, on_the_day.this_month), (41, 11));
        let next_day = days_without_use(uses, from, date("2026-10-13"));
        assert_eq!((next_day.current, next_day.longest), (1, 41));

        // The lapse edited away (the outcome was wrong): the stretch is whole.
        let edited = [checkin("2026-10-12T21:00:00-06:00", Some("resisted"))];
        let whole = days_without_use(use_days(&edited), from, date("2026-11-23"));
        assert_eq!((whole.current, whole.last_use), (84, None));

        // Uses before counting began do not count; a start in the future
        // has no days yet.
        let early = days_without_use([date("2026-08-01")], from, date("2026-09-02"));
        assert_eq!(early.current, 2);
        let future = days_without_use([], date("2026-12-01"), date("2026-11-23"));
        assert_eq!((future.current, future.this_month), (0, 0));
    }

    #[test]
    fn milestones_are_the_chips_of_the_current_stretch() {
        let since = date("2026-09-01");
        let chips = milestones(Counter::DaysWithoutUse, 61, Some(since));
        assert_eq!(
            chips.iter().map(|m| m.days).collect::<Vec<_>>(),
            [1, 7, 30, 60]
        );
        assert_eq!(chips[0].reached_on, since);
        assert_eq!(chips[3].reached_on, date("2026-10-30"));
        assert_eq!(next_milestone(61), Some(90));
        assert_eq!(next_milestone(365), None);
        assert!(milestones(Counter::CheckinStreak, 0, None).is_empty());
    }

    #[test]
    fn program_progress_counts_weeks_and_attended_hours_against_the_level() {
        use crate::ids::RecordId;
        use crate::program::{AttendanceDraft, ProgramDraft};
        let at = |when: &str| DateTime::parse_from_rfc3339(when).unwrap();
        let program = Program::from_draft(
            ProgramDraft {
                level: "iop".into(),
                clinic: "Riverside".into(),
                start: Some(date("2026-11-02")),
                planned_end: Some(date("2027-01-24")),
                ..ProgramDraft::default()
            },
            at("2026-11-02T09:00:00-07:00"),
        )
        .unwrap();
        let mark = |when: &str, status: &str, minutes: i32| {
            let at = at(when);
            Attendance::from_draft(
                AttendanceDraft {
                    event_id: RecordId::new(),
                    occurrence: at.naive_local(),
                    at,
                    status: status.into(),
                    minutes,
                    visibility: Visibility::Private,
                },
                at,
            )
            .unwrap()
        };
        let marks = [
            mark("2026-10-30T18:00:00-06:00", "attended", 180),
            mark("2026-11-03T18:00:00-07:00", "attended", 180),
            mark("2026-11-16T18:00:00-07:00", "attended", 180),
            mark("2026-11-18T18:00:00-07:00", "attended", 150),
            mark("2026-11-19T18:00:00-07:00", "missed", 0),
        ];
        let p = program_progress(&program, &marks, date("2026-11-19"));
        assert_eq!((p.week, p.planned_weeks), (3, Some(12)));
        assert_eq!(
            (p.this_week_minutes, p.total_minutes, p.sessions_attended),
            (330, 510, 3)
        );
        assert_eq!((p.target_hours, p.level_hours), (9.0, Some(9.0)));
        assert_eq!(
            program_progress(&program, &marks, date("2026-11-01")).week,
            0
        );
    }
}
