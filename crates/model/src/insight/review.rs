//! The weekly review: the patient's week (Monday to Sunday, on their own
//! clock) against the week before — check-ins, average and strongest
//! craving, sessions and hours against the target, worksheets done — with
//! the top trigger, what helped most and one of their own reasons from
//! their relapse-prevention plan.

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::Serialize;
use ts_rs::TS;

use super::{
    CopingResult, InsightRecords, TriggerCount, in_window, mean, top_triggers, weekly_hours,
    what_helped,
};
use crate::schedule::week_start;

/// One week's figures.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WeekFigures {
    /// The Monday it starts on.
    pub week_start: NaiveDate,
    pub checkins: u32,
    #[ts(optional = nullable)]
    pub mean_craving: Option<f64>,
    #[ts(optional = nullable)]
    pub max_craving: Option<u8>,
    pub sessions_attended: u32,
    pub attended_minutes: u32,
    pub worksheets_done: u32,
}

/// What the weekly review screen shows.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WeeklyReview {
    pub this_week: WeekFigures,
    pub last_week: WeekFigures,
    /// The program's weekly hours, if one is set.
    #[ts(optional = nullable)]
    pub target_hours: Option<f64>,
    /// The trigger kind logged most this week.
    #[ts(optional = nullable)]
    pub top_trigger: Option<TriggerCount>,
    /// The coping step after which cravings passed most often: this week's,
    /// or the last four weeks' when this week names none.
    #[ts(optional = nullable)]
    pub helped_most: Option<CopingResult>,
    /// The days `helped_most` was counted over: 7 or 28.
    pub helped_days: u32,
    /// One of the patient's own reasons, a different one each week.
    #[ts(optional = nullable)]
    pub reason: Option<String>,
}

/// What a review reads beyond the insights' records: the local days the
/// patient completed worksheets on, and their plan's reasons.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReviewRecords<'a> {
    pub insight: InsightRecords<'a>,
    pub worksheets_done: &'a [NaiveDate],
    pub reasons: &'a [String],
}

fn figures(records: &ReviewRecords<'_>, monday: NaiveDate) -> WeekFigures {
    let sunday = monday + TimeDelta::days(6);
    let (mut checkins, mut sum, mut max) = (0u32, 0u32, None);
    for c in records
        .insight
        .checkins
        .iter()
        .filter(|c| in_window(c.at.date_naive(), monday, sunday))
    {
        checkins += 1;
        sum += u32::from(c.craving.value());
        max = max.max(Some(c.craving.value()));
    }
    let week = weekly_hours(
        records.insight.attendance,
        monday,
        1,
        records.insight.target_hours,
    )
    .pop();
    WeekFigures {
        week_start: monday,
        checkins,
        mean_craving: mean(sum, checkins),
        max_craving: max,
        sessions_attended: week.as_ref().map_or(0, |w| w.sessions_attended),
        attended_minutes: week.as_ref().map_or(0, |w| w.attended_minutes),
        worksheets_done: records
            .worksheets_done
            .iter()
            .filter(|d| in_window(**d, monday, sunday))
            .count() as u32,
    }
}

/// The review of the week that contains `today`.
pub fn weekly_review(records: &ReviewRecords<'_>, today: NaiveDate) -> WeeklyReview {
    let monday = week_start(today);
    let sunday = monday + TimeDelta::days(6);
    let this_week = figures(records, monday);
    let last_week = figures(records, monday - TimeDelta::weeks(1));
    let top_trigger = top_triggers(records.insight.triggers, monday, sunday, 1).pop();
    let mut helped_days = 7;
    let mut helped = what_helped(records.insight.checkins, monday, sunday);
    if helped.is_empty() {
        helped_days = 28;
        helped = what_helped(records.insight.checkins, today - TimeDelta::days(27), today);
    }
    let reasons: Vec<&String> = records
        .reasons
        .iter()
        .filter(|r| !r.trim().is_empty())
        .collect();
    let reason = (!reasons.is_empty())
        .then(|| reasons[monday.iso_week().week() as usize % reasons.len()].clone());
    WeeklyReview {
        this_week,
        last_week,
        target_hours: records.insight.target_hours,
        top_trigger,
        helped_most: helped.into_iter().find(|h| h.passed > 0),
        helped_days,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::{CheckIn, CheckInDraft};
    use crate::ids::RecordId;
    use crate::program::{Attendance, AttendanceDraft};
    use crate::record::{Body, Visibility};
    use crate::trigger::{TriggerCategory, TriggerDraft, TriggerEntry};
    use chrono::DateTime;

    fn at(text: &str) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn checkin(when: &str, craving: i32, coping: &[&str]) -> CheckIn {
        CheckIn::from_draft(
            CheckInDraft {
                at: Some(at(when)),
                craving,
                coping: coping.iter().map(|s| (*s).to_owned()).collect(),
                outcome: Some("resisted".into()),
                visibility: Visibility::Private,
                ..CheckInDraft::default()
            },
            at(when),
        )
        .unwrap()
    }

    #[test]
    fn the_week_is_set_against_the_one_before() {
        let checkins = [
            // Last week (Monday 23 November).
            checkin("2026-11-24T20:00:00-07:00", 4, &[]),
            checkin("2026-11-29T23:30:00-07:00", 2, &["Call Sam"]),
            // This week: Monday 30 November to Sunday 6 December.
            checkin("2026-11-30T08:00:00-07:00", 6, &["Walk"]),
            checkin("2026-12-03T19:00:00-07:00", 8, &["Walk"]),
            checkin("2026-12-06T09:00:00-07:00", 3, &[]),
        ];
        let trigger = |when: &str, category: &str| {
            TriggerEntry::from_draft(
                TriggerDraft {
                    at: Some(at(when)),
                    category: category.into(),
                    description: "x".into(),
                    intensity: 5,
                    visibility: Visibility::Private,
                    ..TriggerDraft::default()
                },
                at(when),
            )
            .unwrap()
        };
        let triggers = [
            trigger("2026-12-01T18:00:00-07:00", "places"),
            trigger("2026-12-02T18:00:00-07:00", "people"),
            trigger("2026-12-04T18:00:00-07:00", "places"),
            trigger("2026-11-25T18:00:00-07:00", "emotions"),
        ];
        let mark = |when: &str| {
            Attendance::from_draft(
                AttendanceDraft {
                    event_id: RecordId::new(),
                    occurrence: at(when).naive_local(),
                    at: at(when),
                    status: "attended".into(),
                    minutes: 180,
                    visibility: Visibility::Private,
                },
                at(when),
            )
            .unwrap()
        };
        let marks = [
            mark("2026-11-23T18:00:00-07:00"),
            mark("2026-11-25T18:00:00-07:00"),
            mark("2026-11-27T18:00:00-07:00"),
            mark("2026-11-30T18:00:00-07:00"),
            mark("2026-12-02T18:00:00-07:00"),
        ];
        let done = [
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        ];
        let reasons = [
            "My kids".to_owned(),
            "  ".to_owned(),
            "My health".to_owned(),
        ];
        let records = ReviewRecords {
            insight: InsightRecords {
                checkins: &checkins,
                triggers: &triggers,
                attendance: &marks,
                target_hours: Some(9.0),
            },
            worksheets_done: &done,
            reasons: &reasons,
        };
        let sunday = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let r = weekly_review(&records, sunday);
        let w = &r.this_week;
        assert_eq!(w.week_start, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!((w.checkins, w.max_craving), (3, Some(8)));
        assert!((w.mean_craving.unwrap() - 17.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            (w.sessions_attended, w.attended_minutes, w.worksheets_done),
            (2, 360, 1)
        );
        let l = &r.last_week;
        assert_eq!(
            (l.checkins, l.mean_craving, l.max_craving),
            (2, Some(3.0), Some(4))
        );
        assert_eq!((l.sessions_attended, l.worksheets_done), (3, 2));
        assert_eq!(
            r.top_trigger.as_ref().unwrap().category,
            TriggerCategory::Places
        );
        let helped = r.helped_most.as_ref().unwrap();
        assert_eq!(
            (
                helped.strategy.as_str(),
                helped.passed,
                helped.uses,
                r.helped_days
            ),
            ("Walk", 2, 2, 7)
        );
        // Week 49: the blank reason is not one.
        assert_eq!(r.reason.as_deref(), Some("My health"));
        // The Monday after, a new week: nothing yet, what helped from four weeks.
        let next = weekly_review(&records, sunday + TimeDelta::days(1));
        assert_eq!((next.this_week.checkins, next.last_week.checkins), (0, 3));
        assert_eq!(
            (
                next.helped_days,
                next.helped_most.unwrap().strategy.as_str()
            ),
            (28, "Walk")
        );
        assert_eq!(next.reason.as_deref(), Some("My kids"));
    }
}
