//! What a patient's records add up to, computed one way for everyone who
//! shows it: the counselor's dashboard and the app's own insight screens
//! both call [`report`]. Days, weekdays and hours are the patient's local ones: each record
//! carries the offset it was written at, and that is the clock it is read by.
//! Windows are whole local days, both ends included.

mod helped;
mod review;
mod risk;

pub use helped::{CopingResult, what_helped};
pub use review::{ReviewRecords, WeekFigures, WeeklyReview, weekly_review};
pub use risk::{HIGH_CRAVING, RiskFlag, risk_flags};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc, Weekday};
use serde::Serialize;
use ts_rs::TS;

use crate::checkin::CheckIn;
use crate::program::{Attendance, AttendanceStatus};
use crate::schedule::week_start;
use crate::trigger::{TriggerCategory, TriggerEntry};

/// Most trigger categories a report lists.
pub const TOP_TRIGGERS: usize = 5;

/// The records a report reads: the patient's check-ins, trigger entries and
/// attendance marks, and their program's weekly hour target if one is set.
#[derive(Clone, Copy, Debug, Default)]
pub struct InsightRecords<'a> {
    pub checkins: &'a [CheckIn],
    pub triggers: &'a [TriggerEntry],
    pub attendance: &'a [Attendance],
    pub target_hours: Option<f64>,
}

/// Everything the insight screens show for one window of whole local days.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct InsightReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
    /// Each day, oldest first: check-ins, mean and highest craving.
    pub trend: Vec<DayCraving>,
    /// 168 cells, Monday 00:00 first: check-ins and mean craving.
    pub heatmap: Vec<HeatCell>,
    pub top_triggers: Vec<TriggerCount>,
    pub halt: HaltCounts,
    /// Each week (Monday start) the window touches, against the target.
    pub weeks: Vec<WeekAttendance>,
    /// Each coping strategy named, with how often the craving passed.
    pub helped: Vec<CopingResult>,
}

/// The insights of the `days` days that end with `to`.
pub fn report(records: &InsightRecords<'_>, to: NaiveDate, days: u32) -> InsightReport {
    let days = days.max(1);
    let from = to - TimeDelta::days(i64::from(days) - 1);
    let weeks = (to - week_start(from)).num_days() as u32 / 7 + 1;
    InsightReport {
        from,
        to,
        days,
        trend: craving_trend(records.checkins, to, days),
        heatmap: craving_heatmap(records.checkins, from, to),
        top_triggers: top_triggers(records.triggers, from, to, TOP_TRIGGERS),
        halt: halt_counts(records.checkins, from, to),
        weeks: weekly_hours(records.attendance, to, weeks, records.target_hours),
        helped: what_helped(records.checkins, from, to),
    }
}

/// Today on the patient's clock as their entries show it: the date at `now`
/// in the UTC offset of their latest check-in (UTC without one).
pub fn patient_today(checkins: &[CheckIn], now: DateTime<Utc>) -> NaiveDate {
    match checkins.iter().max_by_key(|c| c.at) {
        Some(latest) => now.with_timezone(latest.at.offset()).date_naive(),
        None => now.date_naive(),
    }
}

/// One day of the craving trend.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct DayCraving {
    pub date: NaiveDate,
    pub checkins: u32,
    /// Mean craving that day (0 to 10); none without a check-in.
    pub mean: Option<f64>,
    pub max: Option<u8>,
}

/// Daily mean and highest craving for the `days` days that end with
/// `last_day`, oldest first; a day without check-ins is in the list, empty.
pub fn craving_trend(checkins: &[CheckIn], last_day: NaiveDate, days: u32) -> Vec<DayCraving> {
    let first = last_day - TimeDelta::days(i64::from(days.max(1)) - 1);
    let mut trend: Vec<DayCraving> = first
        .iter_days()
        .take_while(|d| *d <= last_day)
        .map(|date| DayCraving {
            date,
            checkins: 0,
            mean: None,
            max: None,
        })
        .collect();
    let mut sums = vec![0u32; trend.len()];
    for c in checkins {
        let date = c.at.date_naive();
        if date < first || date > last_day {
            continue;
        }
        let i = (date - first).num_days() as usize;
        let craving = c.craving.value();
        sums[i] += u32::from(craving);
        let day = &mut trend[i];
        day.checkins += 1;
        day.max = day.max.max(Some(craving));
    }
    for (day, sum) in trend.iter_mut().zip(sums) {
        day.mean = mean(sum, day.checkins);
    }
    trend
}

/// One cell of the weekday-by-hour heatmap.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct HeatCell {
    #[ts(type = "string")]
    pub weekday: Weekday,
    /// The hour of the day, 0 to 23.
    pub hour: u8,
    pub checkins: u32,
    pub mean_craving: Option<f64>,
}

/// Check-ins and their mean craving by weekday and hour of day between
/// `from` and `to`: 168 cells, Monday 00:00 first.
pub fn craving_heatmap(checkins: &[CheckIn], from: NaiveDate, to: NaiveDate) -> Vec<HeatCell> {
    let mut cells: Vec<HeatCell> = (0..7u8)
        .flat_map(|day| {
            (0..24u8).map(move |hour| HeatCell {
                weekday: Weekday::try_from(day).unwrap_or(Weekday::Mon),
                hour,
                checkins: 0,
                mean_craving: None,
            })
        })
        .collect();
    let mut sums = [0u32; 7 * 24];
    for c in checkins
        .iter()
        .filter(|c| in_window(c.at.date_naive(), from, to))
    {
        let i = c.at.weekday().num_days_from_monday() as usize * 24 + c.at.hour() as usize;
        cells[i].checkins += 1;
        sums[i] += u32::from(c.craving.value());
    }
    for (cell, sum) in cells.iter_mut().zip(sums) {
        cell.mean_craving = mean(sum, cell.checkins);
    }
    cells
}

/// How often one category of trigger was logged.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct TriggerCount {
    pub category: TriggerCategory,
    pub entries: u32,
    pub mean_intensity: f64,
}

/// The trigger categories logged between `from` and `to`, most often first
/// (then the more intense, then the order of [`TriggerCategory::ALL`]), at
/// most `limit`.
pub fn top_triggers(
    triggers: &[TriggerEntry],
    from: NaiveDate,
    to: NaiveDate,
    limit: usize,
) -> Vec<TriggerCount> {
    let mut counts: Vec<(u32, u32)> = vec![(0, 0); TriggerCategory::ALL.len()];
    for t in triggers
        .iter()
        .filter(|t| in_window(t.at.date_naive(), from, to))
    {
        let i = TriggerCategory::ALL
            .iter()
            .position(|c| *c == t.category)
            .unwrap_or_default();
        counts[i].0 += 1;
        counts[i].1 += u32::from(t.intensity.value());
    }
    let mut top: Vec<TriggerCount> = TriggerCategory::ALL
        .iter()
        .zip(counts)
        .filter_map(|(category, (entries, sum))| {
            Some(TriggerCount {
                category: *category,
                entries,
                mean_intensity: mean(sum, entries)?,
            })
        })
        .collect();
    // Stable: equal counts and intensities keep the order of ALL.
    top.sort_by(|a, b| {
        b.entries
            .cmp(&a.entries)
            .then(b.mean_intensity.total_cmp(&a.mean_intensity))
    });
    top.truncate(limit);
    top
}

/// How many check-ins between two dates named each of HALT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct HaltCounts {
    pub checkins: u32,
    pub hungry: u32,
    pub angry: u32,
    pub lonely: u32,
    pub tired: u32,
}

pub fn halt_counts(checkins: &[CheckIn], from: NaiveDate, to: NaiveDate) -> HaltCounts {
    let mut counts = HaltCounts::default();
    for c in checkins
        .iter()
        .filter(|c| in_window(c.at.date_naive(), from, to))
    {
        counts.checkins += 1;
        counts.hungry += u32::from(c.halt.hungry);
        counts.angry += u32::from(c.halt.angry);
        counts.lonely += u32::from(c.halt.lonely);
        counts.tired += u32::from(c.halt.tired);
    }
    counts
}

/// One week of attendance against the program's weekly target.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WeekAttendance {
    /// The Monday the week starts on.
    pub week_start: NaiveDate,
    pub attended_minutes: u32,
    pub sessions_attended: u32,
    pub sessions_missed: u32,
    pub target_hours: Option<f64>,
    /// Whether the attended hours reached the target (none without one).
    pub target_met: Option<bool>,
}

/// Attendance for each of the `weeks` weeks that end with the week of
/// `last_day`, oldest first.
pub fn weekly_hours(
    attendance: &[Attendance],
    last_day: NaiveDate,
    weeks: u32,
    target_hours: Option<f64>,
) -> Vec<WeekAttendance> {
    let last = week_start(last_day);
    let first = last - TimeDelta::weeks(i64::from(weeks.max(1)) - 1);
    let mut out: Vec<WeekAttendance> = (0..weeks.max(1))
        .map(|w| WeekAttendance {
            week_start: first + TimeDelta::weeks(i64::from(w)),
            attended_minutes: 0,
            sessions_attended: 0,
            sessions_missed: 0,
            target_hours,
            target_met: None,
        })
        .collect();
    for a in attendance {
        let monday = week_start(a.at.date_naive());
        if monday < first || monday > last {
            continue;
        }
        let week = &mut out[((monday - first).num_days() / 7) as usize];
        match a.status {
            AttendanceStatus::Attended => {
                week.sessions_attended += 1;
                week.attended_minutes += a.minutes;
            }
            AttendanceStatus::Missed => week.sessions_missed += 1,
            AttendanceStatus::Excused => {}
        }
    }
    for week in &mut out {
        week.target_met = target_hours.map(|t| f64::from(week.attended_minutes) >= t * 60.0);
    }
    out
}

pub(crate) fn mean(sum: u32, count: u32) -> Option<f64> {
    (count > 0).then(|| f64::from(sum) / f64::from(count))
}

pub(crate) fn in_window(date: NaiveDate, from: NaiveDate, to: NaiveDate) -> bool {
    from <= date && date <= to
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::{CheckInDraft, Halt};
    use crate::ids::RecordId;
    use crate::program::AttendanceDraft;
    use crate::record::{Body, Visibility};
    use crate::trigger::TriggerDraft;
    use chrono::{DateTime, FixedOffset};

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn checkin(when: &str, craving: i32, halt: Halt) -> CheckIn {
        let at = at(when);
        CheckIn::from_draft(
            CheckInDraft {
                at: Some(at),
                craving,
                halt,
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            },
            at,
        )
        .unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_trend_has_every_day_with_its_mean_and_max_in_local_time() {
        let none = Halt::default();
        let checkins = [
            checkin("2026-11-18T08:00:00-07:00", 2, none),
            checkin("2026-11-18T22:00:00-07:00", 7, none),
            // 23:30 in Denver is the next day in UTC; it counts on the 19th.
            checkin("2026-11-19T23:30:00-07:00", 9, none),
            // Outside the window.
            checkin("2026-11-10T12:00:00-07:00", 10, none),
        ];
        let trend = craving_trend(&checkins, date("2026-11-20"), 3);
        assert_eq!(
            trend.iter().map(|d| d.date.to_string()).collect::<Vec<_>>(),
            ["2026-11-18", "2026-11-19", "2026-11-20"]
        );
        assert_eq!(
            (trend[0].checkins, trend[0].mean, trend[0].max),
            (2, Some(4.5), Some(7))
        );
        assert_eq!(
            (trend[1].checkins, trend[1].mean, trend[1].max),
            (1, Some(9.0), Some(9))
        );
        assert_eq!(
            (trend[2].checkins, trend[2].mean, trend[2].max),
            (0, None, None)
        );
        assert_eq!(craving_trend(&checkins, date("2026-11-20"), 90).len(), 90);
    }

    #[test]
    fn the_heatmap_puts_each_checkin_at_its_local_weekday_and_hour() {
        let none = Halt::default();
        let checkins = [
            // Friday 20 November 2026, 23:00 and 23:45 local.
            checkin("2026-11-20T23:00:00-07:00", 8, none),
            checkin("2026-11-20T23:45:00-07:00", 6, none),
            checkin("2026-11-16T07:10:00-07:00", 3, none),
        ];
        let cells = craving_heatmap(&checkins, date("2026-11-16"), date("2026-11-22"));
        assert_eq!(cells.len(), 168);
        let friday_23 = &cells[4 * 24 + 23];
        assert_eq!((friday_23.weekday, friday_23.hour), (Weekday::Fri, 23));
        assert_eq!((friday_23.checkins, friday_23.mean_craving), (2, Some(7.0)));
        let monday_7 = &cells[7];
        assert_eq!((monday_7.weekday, monday_7.checkins), (Weekday::Mon, 1));
        assert_eq!(cells.iter().map(|c| c.checkins).sum::<u32>(), 3);
        let none_yet = craving_heatmap(&checkins, date("2026-11-23"), date("2026-11-29"));
        assert!(
            none_yet
                .iter()
                .all(|c| c.checkins == 0 && c.mean_craving.is_none())
        );
    }

    #[test]
    fn top_triggers_are_the_most_logged_categories_then_the_most_intense() {
        let trigger = |when: &str, category: &str, intensity: i32| {
            let at = at(when);
            TriggerEntry::from_draft(
                TriggerDraft {
                    at: Some(at),
                    category: category.into(),
                    description: "x".into(),
                    intensity,
                    visibility: Visibility::CareTeam,
                    ..TriggerDraft::default()
                },
                at,
            )
            .unwrap()
        };
        let triggers = [
            trigger("2026-11-18T18:00:00-07:00", "places", 4),
            trigger("2026-11-19T18:00:00-07:00", "people", 9),
            trigger("2026-11-19T19:00:00-07:00", "places", 6),
            trigger("2026-11-20T09:00:00-07:00", "emotions", 3),
            trigger("2026-11-20T10:00:00-07:00", "emotions", 3),
            trigger("2026-11-01T10:00:00-07:00", "things", 10),
        ];
        let top = top_triggers(&triggers, date("2026-11-14"), date("2026-11-20"), 2);
        assert_eq!(
            top,
            [
                TriggerCount {
                    category: TriggerCategory::Places,
                    entries: 2,
                    mean_intensity: 5.0
                },
                TriggerCount {
                    category: TriggerCategory::Emotions,
                    entries: 2,
                    mean_intensity: 3.0
                },
            ]
        );
        assert_eq!(
            top_triggers(&triggers, date("2026-11-14"), date("2026-11-20"), 9).len(),
            3
        );
    }

    #[test]
    fn halt_counts_each_state_once_per_checkin() {
        let checkins = [
            checkin(
                "2026-11-18T08:00:00-07:00",
                2,
                Halt {
                    hungry: true,
                    tired: true,
                    ..Halt::default()
                },
            ),
            checkin(
                "2026-11-19T08:00:00-07:00",
                5,
                Halt {
                    lonely: true,
                    tired: true,
                    ..Halt::default()
                },
            ),
            checkin(
                "2026-11-25T08:00:00-07:00",
                5,
                Halt {
                    angry: true,
                    ..Halt::default()
                },
            ),
        ];
        assert_eq!(
            halt_counts(&checkins, date("2026-11-14"), date("2026-11-20")),
            HaltCounts {
                checkins: 2,
                hungry: 1,
                angry: 0,
                lonely: 1,
                tired: 2
            }
        );
    }

    #[test]
    fn weekly_hours_add_attended_minutes_per_monday_week_against_the_target() {
        let mark = |when: &str, status: &str, minutes: i32| {
            let at = at(when);
            Attendance::from_draft(
                AttendanceDraft {
                    event_id: RecordId::new(),
                    occurrence: at.naive_local(),
                    at,
                    status: status.into(),
                    minutes,
                    visibility: Visibility::CareTeam,
                },
                at,
            )
            .unwrap()
        };
        let marks = [
            // Week of Monday 9 November.
            mark("2026-11-09T18:00:00-07:00", "attended", 180),
            mark("2026-11-11T18:00:00-07:00", "attended", 180),
            mark("2026-11-13T18:00:00-07:00", "attended", 180),
            // Week of Monday 16 November: Sunday night still counts there.
            mark("2026-11-16T18:00:00-07:00", "attended", 180),
            mark("2026-11-18T18:00:00-07:00", "missed", 0),
            mark("2026-11-22T21:00:00-07:00", "excused", 0),
        ];
        let weeks = weekly_hours(&marks, date("2026-11-20"), 3, Some(9.0));
        assert_eq!(
            weeks
                .iter()
                .map(|w| w.week_start.to_string())
                .collect::<Vec<_>>(),
            ["2026-11-02", "2026-11-09", "2026-11-16"]
        );
        assert_eq!(
            weeks
                .iter()
                .map(|w| (
                    w.attended_minutes,
                    w.sessions_attended,
                    w.sessions_missed,
                    w.target_met
                ))
                .collect::<Vec<_>>(),
            [
                (0, 0, 0, Some(false)),
                (540, 3, 0, Some(true)),
                (180, 1, 1, Some(false))
            ]
        );
        assert_eq!(
            weekly_hours(&marks, date("2026-11-20"), 1, None)[0].target_met,
            None
        );
        assert_eq!(week_start(date("2026-11-22")), date("2026-11-16"));
    }

    fn coped(when: &str, craving: i32, coping: &[&str], outcome: Option<&str>) -> CheckIn {
        let at = at(when);
        CheckIn::from_draft(
            CheckInDraft {
                at: Some(at),
                craving,
                coping: coping.iter().map(|s| (*s).to_owned()).collect(),
                outcome: outcome.map(str::to_owned),
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            },
            at,
        )
        .unwrap()
    }

    #[test]
    fn what_helped_counts_the_cravings_that_passed_beside_the_uses() {
        let mut checkins = Vec::new();
        // "Called my sponsor" ten times, eight passing, one used, one unsure.
        for day in 1..=10 {
            let outcome = match day {
                9 => "used",
                10 => "unsure",
                _ => "resisted",
            };
            let when = format!("2026-11-{day:02}T20:00:00-07:00");
            let name = if day == 10 {
                "Called my sponsor "
            } else {
                "called my sponsor"
            };
            checkins.push(coped(&when, 7, &[name, "Walk"], Some(outcome)));
        }
        // A strategy used twice, both passing, and one without an outcome.
        checkins.push(coped(
            "2026-11-12T08:00:00-07:00",
            5,
            &["Shower"],
            Some("resisted"),
        ));
        checkins.push(coped(
            "2026-11-13T08:00:00-07:00",
            5,
            &["shower", "SHOWER"],
            Some("resisted"),
        ));
        checkins.push(coped("2026-11-14T08:00:00-07:00", 5, &["Tea"], None));
        // Outside the window.
        checkins.push(coped(
            "2026-10-01T08:00:00-07:00",
            5,
            &["Shower"],
            Some("used"),
        ));
        let helped = what_helped(&checkins, date("2026-11-01"), date("2026-11-30"));
        let rows: Vec<_> = helped
            .iter()
            .map(|h| (h.strategy.as_str(), h.passed, h.uses, h.used, h.unknown))
            .collect();
        assert_eq!(
            rows,
            [
                // The latest spelling, trimmed.
                ("Called my sponsor", 8, 10, 1, 1),
                ("Walk", 8, 10, 1, 1),
                ("shower", 2, 2, 0, 0),
                ("Tea", 0, 1, 0, 1),
            ]
        );
        assert!((helped[0].share() - 0.8).abs() < 1e-9);
    }

    #[test]
    fn a_planted_friday_evening_pattern_is_the_heatmaps_strongest_cell() {
        let mut checkins = Vec::new();
        // Eight weeks: strong cravings every Friday at 18:00-19:59, mild
        // ones scattered over other days and hours.
        let first_monday = date("2026-09-07");
        for week in 0..8 {
            let monday = first_monday + TimeDelta::weeks(week);
            for (day, hour, craving) in [(0, 9, 2), (2, 13, 3), (4, 18, 8), (4, 19, 9), (6, 11, 2)]
            {
                let d = monday + TimeDelta::days(day);
                checkins.push(checkin(
                    &format!("{d}T{hour:02}:30:00-06:00"),
                    craving,
                    Halt::default(),
                ));
            }
        }
        let records = InsightRecords {
            checkins: &checkins,
            ..InsightRecords::default()
        };
        let r = report(&records, date("2026-11-01"), 90);
        let strongest = r
            .heatmap
            .iter()
            .filter(|c| c.checkins > 0)
            .max_by(|a, b| a.mean_craving.unwrap().total_cmp(&b.mean_craving.unwrap()))
            .unwrap();
        assert_eq!((strongest.weekday, strongest.hour), (Weekday::Fri, 19));
        assert_eq!((strongest.checkins, strongest.mean_craving), (8, Some(9.0)));
        assert_eq!(r.trend.len(), 90);
        assert_eq!((r.from, r.to), (date("2026-08-04"), date("2026-11-01")));
        assert_eq!(r.weeks.first().unwrap().week_start, date("2026-08-03"));
        assert_eq!(r.weeks.last().unwrap().week_start, date("2026-10-26"));
        assert_eq!(r.halt.checkins, 40);
    }

    #[test]
    fn today_is_read_on_the_clock_of_the_latest_checkin() {
        let now = at("2026-11-21T05:30:00Z").with_timezone(&Utc);
        assert_eq!(patient_today(&[], now), date("2026-11-21"));
        let denver = [checkin("2026-11-20T08:00:00-07:00", 1, Halt::default())];
        assert_eq!(patient_today(&denver, now), date("2026-11-20"));
    }
}
