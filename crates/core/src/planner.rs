//! The reminder planner: a pure function from the schedule, the patient's
//! reminder settings, what was already delivered and "now" to the
//! notifications due next.
//!
//! Its rules, each checked by a property test:
//! - one delivery at most per occurrence and offset (and per day for the
//!   check-in prompt): what was delivered is never planned again;
//! - nothing after its event started: a reminder missed while the app was
//!   closed is due now if the event has not started, and dropped otherwise
//!   (a reminder set 0 minutes before comes at the start itself);
//! - nothing inside quiet hours: a reminder that falls in them waits for
//!   their end, so it is not lost, unless the event starts first;
//! - lock-screen-safe words by default: "Group at 18:00 (in 15 minutes)",
//!   never a title, a fellowship's name, a substance or "relapse", unless the
//!   patient opts in.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use steady_model::schedule::{Event, resolve_local};
use steady_model::{Day, RecordId};

/// Hours in which nothing is delivered, in the device's zone. `start` after
/// `end` wraps midnight (22:00-07:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// When the weekly review is ready: a weekday and a local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct WeeklyReviewTime {
    pub day: Day,
    pub time: NaiveTime,
}

impl Default for WeeklyReviewTime {
    /// Sunday 18:00: the week is over, the evening is not.
    fn default() -> Self {
        Self {
            day: Day::Su,
            time: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// The patient's choices about reminders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct ReminderSettings {
    /// A daily prompt to check in, at this local time.
    #[ts(optional = nullable)]
    pub daily_checkin: Option<NaiveTime>,
    #[ts(optional = nullable)]
    pub quiet_hours: Option<QuietHours>,
    /// Show session titles and places in notifications. Off by default,
    /// because a lock screen is seen by others.
    pub detailed_wording: bool,
    /// "Your week in Steady is ready": on by default, Sunday 18:00; none
    /// when turned off.
    #[ts(optional = nullable)]
    pub weekly_review: Option<WeeklyReviewTime>,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            daily_checkin: None,
            quiet_hours: None,
            detailed_wording: false,
            weekly_review: Some(WeeklyReviewTime::default()),
        }
    }
}

/// What a reminder is for; with the offset, it names a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReminderKey {
    Session {
        event: RecordId,
        occurrence: NaiveDateTime,
        minutes_before: u32,
    },
    DailyCheckIn {
        date: NaiveDate,
    },
    /// The weekly review of the week that ends on `date`'s Sunday.
    WeeklyReview {
        date: NaiveDate,
    },
}

impl fmt::Display for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReminderKey::Session {
                event,
                occurrence,
                minutes_before,
            } => write!(
                f,
                "session/{event}/{}/{minutes_before}",
                occurrence.format("%Y%m%dT%H%M%S")
            ),
            ReminderKey::DailyCheckIn { date } => write!(f, "checkin/{date}"),
            ReminderKey::WeeklyReview { date } => write!(f, "review/{date}"),
        }
    }
}

/// A notification to deliver at `due`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub key: ReminderKey,
    pub due: DateTime<Utc>,
    pub summary: String,
    pub body: String,
    /// The session it is about, to open when the notification is clicked.
    pub event: Option<RecordId>,
    /// When that session starts.
    pub starts: Option<DateTime<Utc>>,
}

/// Everything the planner looks at.
pub struct PlanInput<'a> {
    pub events: &'a [(RecordId, Event)],
    pub settings: &'a ReminderSettings,
    /// The device's zone: quiet hours, the daily prompt and the wording use it.
    pub device_zone: Tz,
    /// Keys (their text form) of reminders already delivered.
    pub delivered: &'a HashSet<String>,
    pub now: DateTime<Utc>,
}

/// How far ahead the planner looks; reminders come at most 7 days early.
const HORIZON: TimeDelta = TimeDelta::days(15);

/// The next `limit` reminders, soonest first.
pub fn plan(input: &PlanInput<'_>, limit: usize) -> Vec<Reminder> {
    let now = input.now;
    let mut out = Vec::new();
    for (id, event) in input.events {
        let lead = TimeDelta::minutes(i64::from(
            event.reminder_minutes.iter().copied().max().unwrap_or(0),
        ));
        for occurrence in event.occurrences_between(now, now + HORIZON + lead) {
            let starts = occurrence.start.with_timezone(&Utc);
            if starts <= now {
                continue;
            }
            for &minutes in &event.reminder_minutes {
                let key = ReminderKey::Session {
                    event: *id,
                    occurrence: occurrence.original,
                    minutes_before: minutes,
                };
                if input.delivered.contains(&key.to_string()) {
                    continue;
                }
                let wanted = starts - TimeDelta::minutes(i64::from(minutes));
                let Some(due) = schedule_due(input, wanted, Some(starts)) else {
                    continue;
                };
                // Words are written later, only for the reminders returned.
                out.push(Reminder {
                    key,
                    due,
                    summary: String::new(),
                    body: String::new(),
                    event: Some(*id),
                    starts: Some(starts),
                });
            }
        }
    }
    if let Some(at) = input.settings.daily_checkin {
        let today = now.with_timezone(&input.device_zone).date_naive();
        for day in 0..=HORIZON.num_days() {
            let date = today + TimeDelta::days(day);
            let key = ReminderKey::DailyCheckIn { date };
            if input.delivered.contains(&key.to_string()) {
                continue;
            }
            let wanted = resolve_local(input.device_zone, date.and_time(at)).with_timezone(&Utc);
            // A prompt missed while the app was closed is still worth giving
            // the same day, not the next.
            let end_of_day = resolve_local(
                input.device_zone,
                (date + TimeDelta::days(1)).and_time(NaiveTime::MIN),
            )
            .with_timezone(&Utc);
            let last_moment = end_of_day - TimeDelta::seconds(1);
            let Some(due) = schedule_due(input, wanted, Some(last_moment)) else {
                continue;
            };
            out.push(Reminder {
                key,
                due,
                summary: "Steady".into(),
                body: "Time for your check-in. How are you doing?".into(),
                event: None,
                starts: None,
            });
        }
    }
    if let Some(review) = input.settings.weekly_review {
        let today = now.with_timezone(&input.device_zone).date_naive();
        for day in 0..=HORIZON.num_days() {
            let date = today + TimeDelta::days(day);
            if date.weekday() != review.day.weekday() {
                continue;
            }
            let key = ReminderKey::WeeklyReview { date };
            if input.delivered.contains(&key.to_string()) {
                continue;
            }
            let wanted =
                resolve_local(input.device_zone, date.and_time(review.time)).with_timezone(&Utc);
            // Quiet hours move it to their end, within the same day.
            let end_of_day = resolve_local(
                input.device_zone,
                (date + TimeDelta::days(1)).and_time(NaiveTime::MIN),
            )
            .with_timezone(&Utc);
            let Some(due) = schedule_due(input, wanted, Some(end_of_day - TimeDelta::seconds(1)))
            else {
                continue;
            };
            out.push(Reminder {
                key,
                due,
                summary: "Steady".into(),
                body: "Your week in Steady is ready".into(),
                event: None,
                starts: None,
            });
        }
    }
    out.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    out.truncate(limit);
    for reminder in &mut out {
        if let (Some(id), Some(starts)) = (reminder.event, reminder.starts)
            && let Some((_, event)) = input.events.iter().find(|(e, _)| *e == id)
        {
            (reminder.summary, reminder.body) = session_words(input, event, starts, reminder.due);
        }
    }
    out
}

/// When to deliver a reminder wanted at `wanted`: not before now, not in
/// quiet hours, and only if that is not later than `deadline`.
fn schedule_due(
    input: &PlanInput<'_>,
    wanted: DateTime<Utc>,
    deadline: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let mut due = wanted.max(input.now);
    if let Some(quiet) = input.settings.quiet_hours {
        due = leave_quiet_hours(due, quiet, input.device_zone);
    }
    match deadline {
        Some(deadline) if due > deadline => None,
        _ => Some(due),
    }
}

/// `t`, or the end of the quiet hours it falls in.
fn leave_quiet_hours(mut t: DateTime<Utc>, quiet: QuietHours, zone: Tz) -> DateTime<Utc> {
    // A few rounds cover the daylight-saving cases: an end that falls in a
    // spring-forward gap lands back inside quiet hours (then the next day's
    // end counts), and a fall-back repeats the hour that ends them.
    for _ in 0..4 {
        let local = t.with_timezone(&zone);
        if !quiet.contains(local.time()) {
            return t;
        }
        let date = local.date_naive();
        let end_date = if quiet.start > quiet.end && local.time() >= quiet.start {
            date + TimeDelta::days(1)
        } else {
            date
        };
        let naive_end = end_date.and_time(quiet.end);
        let end = match zone.from_local_datetime(&naive_end) {
            chrono::LocalResult::Single(e) => e.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(first, second) => {
                let first = first.with_timezone(&Utc);
                if first > t {
                    first
                } else {
                    second.with_timezone(&Utc)
                }
            }
            chrono::LocalResult::None => {
                // The end is inside a spring-forward gap: quiet hours end
                // when the clock jumps, so walk back to the jump.
                let minute = TimeDelta::minutes(1);
                let mut end = resolve_local(zone, naive_end).with_timezone(&Utc);
                for _ in 0..180 {
                    let before = end - minute;
                    if before <= t || quiet.contains(before.with_timezone(&zone).time()) {
                        break;
                    }
                    end = before;
                }
                end
            }
        };
        t = if end > t {
            end
        } else {
            t + TimeDelta::minutes(1)
        };
    }
    t
}

fn session_words(
    input: &PlanInput<'_>,
    event: &Event,
    starts: DateTime<Utc>,
    due: DateTime<Utc>,
) -> (String, String) {
    let local = starts.with_timezone(&input.device_zone);
    let lead = starts - due;
    let when = format!("at {} ({})", local.format("%H:%M"), in_words(lead));
    if input.settings.detailed_wording {
        let place = [event.place.as_str(), event.link.as_str()]
            .into_iter()
            .find(|p| !p.is_empty())
            .map(|p| format!(", {p}"))
            .unwrap_or_default();
        (
            event.title.clone(),
            format!("{} {when}{place}", event.title),
        )
    } else {
        (
            "Steady".into(),
            format!("{} {when}", event.kind.discreet_noun()),
        )
    }
}

fn in_words(lead: TimeDelta) -> String {
    let minutes = (lead.num_seconds() + 59) / 60;
    match minutes {
        ..=0 => "now".into(),
        1 => "in 1 minute".into(),
        2..=89 => format!("in {minutes} minutes"),
        90..=2879 => format!("in {} hours", (minutes + 30) / 60),
        _ => format!("in {} days", (minutes + 720) / 1440),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone, Timelike};
    use proptest::prelude::*;
    use steady_model::Body;
    use steady_model::schedule::{Day, EventDraft, Frequency, Recurrence};

    const ZONES: [&str; 6] = [
        "America/Denver",
        "America/New_York",
        "Europe/Berlin",
        "UTC",
        "Asia/Kolkata",
        "Pacific/Auckland",
    ];

    fn make_event(
        title: &str,
        kind: &str,
        start: NaiveDateTime,
        zone: &str,
        recurrence: Option<Recurrence>,
        minutes: Vec<i32>,
    ) -> Event {
        let draft = EventDraft {
            title: title.into(),
            kind: kind.into(),
            start: Some(start),
            zone: zone.into(),
            duration_minutes: 90,
            recurrence,
            reminder_minutes: minutes,
            ..Default::default()
        };
        let now: DateTime<FixedOffset> = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .unwrap()
            .fixed_offset();
        Event::from_draft(draft, now).unwrap()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn weekly(days: &[Day]) -> Option<Recurrence> {
        Some(Recurrence {
            frequency: Frequency::Weekly,
            interval: 1,
            by_day: days.to_vec(),
            ..Recurrence::default()
        })
    }

    fn denver() -> Tz {
        "America/Denver".parse().unwrap()
    }

    #[test]
    fn reminders_come_an_hour_and_fifteen_minutes_before_in_discreet_words() {
        let events = vec![(
            RecordId::new(),
            make_event(
                "Alcoholics Anonymous home group",
                "twelve_step",
                local("2026-11-30 18:00"),
                "America/Denver",
                None,
                vec![],
            ),
        )];
        let delivered = HashSet::new();
        let settings = ReminderSettings {
            // Sessions only: the weekly review has its own test.
            weekly_review: None,
            ..ReminderSettings::default()
        };
        let now = resolve_local(denver(), local("2026-11-30 12:00")).with_timezone(&Utc);
        let input = PlanInput {
            events: &events,
            settings: &settings,
            device_zone: denver(),
            delivered: &delivered,
            now,
        };
        let planned = plan(&input, 10);
        let dues: Vec<String> = planned
            .iter()
            .map(|r| r.due.with_timezone(&denver()).format("%H:%M").to_string())
            .collect();
        assert_eq!(dues, ["17:00", "17:45"]);
        assert_eq!(planned[1].summary, "Steady");
        assert_eq!(planned[1].body, "Group at 18:00 (in 15 minutes)");
        for r in &planned {
            for word in ["Alcoholics", "Anonymous", "relapse", "Relapse", "alcohol"] {
                assert!(!r.body.contains(word) && !r.summary.contains(word), "{r:?}");
            }
        }

        let detailed = ReminderSettings {
            detailed_wording: true,
            ..Default::default()
        };
        let input = PlanInput {
            settings: &detailed,
            ..input
        };
        assert!(
            plan(&input, 1)[0]
                .body
                .starts_with("Alcoholics Anonymous home group at 18:00")
        );
    }

    #[test]
    fn a_reminder_missed_while_closed_comes_now_if_the_session_has_not_started() {
        let events = vec![(
            RecordId::new(),
            make_event(
                "Group",
                "relapse_prevention",
                local("2026-11-30 18:00"),
                "America/Denver",
                None,
                vec![],
            ),
        )];
        let delivered = HashSet::new();
        let settings = ReminderSettings {
            // Sessions only: the weekly review has its own test.
            weekly_review: None,
            ..ReminderSettings::default()
        };
        // 17:50: the 60-minute reminder was missed, the 15-minute one too.
        let now = resolve_local(denver(), local("2026-11-30 17:50")).with_timezone(&Utc);
        let input = PlanInput {
            events: &events,
            settings: &settings,
            device_zone: denver(),
            delivered: &delivered,
            now,
        };
        let planned = plan(&input, 10);
        assert_eq!(planned.len(), 2);
        assert!(planned.iter().all(|r| r.due == now));
        assert_eq!(planned[0].body, "Group at 18:00 (in 10 minutes)");
        // After the start, nothing.
        let late = PlanInput {
            now: now + TimeDelta::minutes(11),
            ..input
        };
        assert!(plan(&late, 10).is_empty());
    }

    #[test]
    fn quiet_hours_hold_a_reminder_until_they_end() {
        let events = vec![(
            RecordId::new(),
            make_event(
                "Morning group",
                "education",
                local("2026-11-30 07:30"),
                "America/Denver",
                None,
                vec![60],
            ),
        )];
        let delivered = HashSet::new();
        let settings = ReminderSettings {
            quiet_hours: Some(QuietHours {
                start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
            }),
            weekly_review: None,
            ..Default::default()
        };
        let now = resolve_local(denver(), local("2026-11-29 21:00")).with_timezone(&Utc);
        let input = PlanInput {
            events: &events,
            settings: &settings,
            device_zone: denver(),
            delivered: &delivered,
            now,
        };
        let planned = plan(&input, 10);
        assert_eq!(planned.len(), 1);
        assert_eq!(
            planned[0].due.with_timezone(&denver()).time(),
            NaiveTime::from_hms_opt(7, 0, 0).unwrap()
        );
        assert_eq!(planned[0].body, "Class at 07:30 (in 30 minutes)");
    }

    #[test]
    fn the_daily_check_in_prompt_comes_once_a_day() {
        let delivered: HashSet<String> = [ReminderKey::DailyCheckIn {
            date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        }
        .to_string()]
        .into();
        let settings = ReminderSettings {
            daily_checkin: Some(NaiveTime::from_hms_opt(20, 0, 0).unwrap()),
            ..Default::default()
        };
        let now = resolve_local(denver(), local("2026-11-30 21:00")).with_timezone(&Utc);
        let input = PlanInput {
            events: &[],
            settings: &settings,
            device_zone: denver(),
            delivered: &delivered,
            now,
        };
        let planned = plan(&input, 2);
        assert_eq!(
            planned[0].key,
            ReminderKey::DailyCheckIn {
                date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
            }
        );
        assert_eq!(planned[0].due.with_timezone(&denver()).hour(), 20);
    }

    #[test]
    fn the_weekly_review_comes_on_its_day_once_and_out_of_quiet_hours() {
        // Sunday 18:00 by default; quiet hours from 17:00 to 19:00 hold it.
        let settings = ReminderSettings {
            quiet_hours: Some(QuietHours {
                start: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
            }),
            ..Default::default()
        };
        assert_eq!(settings.weekly_review, Some(WeeklyReviewTime::default()));
        let now = resolve_local(denver(), local("2026-12-02 09:00")).with_timezone(&Utc);
        let nothing = HashSet::new();
        let input = PlanInput {
            events: &[],
            settings: &settings,
            device_zone: denver(),
            delivered: &nothing,
            now,
        };
        let planned = plan(&input, 3);
        let sunday = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(planned[0].key, ReminderKey::WeeklyReview { date: sunday });
        assert_eq!(
            planned[0].due.with_timezone(&denver()).naive_local(),
            local("2026-12-06 19:00")
        );
        assert_eq!(
            (planned[0].summary.as_str(), planned[0].body.as_str()),
            ("Steady", "Your week in Steady is ready")
        );
        assert_eq!(
            planned[1].key,
            ReminderKey::WeeklyReview {
                date: sunday + TimeDelta::weeks(1)
            }
        );
        // Delivered once, it is not planned again; turned off, none is.
        let delivered: HashSet<String> = [planned[0].key.to_string()].into();
        let input = PlanInput {
            delivered: &delivered,
            ..input
        };
        assert_eq!(
            plan(&input, 1)[0].key,
            ReminderKey::WeeklyReview {
                date: sunday + TimeDelta::weeks(1)
            }
        );
        let off = ReminderSettings {
            weekly_review: None,
            ..settings.clone()
        };
        assert!(
            plan(
                &PlanInput {
                    settings: &off,
                    ..input
                },
                3
            )
            .is_empty()
        );
        // A review missed while the app was closed still comes that day.
        let late = resolve_local(denver(), local("2026-12-06 21:30")).with_timezone(&Utc);
        let input = PlanInput {
            now: late,
            delivered: &nothing,
            ..input
        };
        assert_eq!(plan(&input, 1)[0].due, late);
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        (
            0i64..(250 * 96),
            0usize..ZONES.len(),
            prop::sample::subsequence(Day::ALL.to_vec(), 0..4),
            any::<bool>(),
            prop::sample::subsequence(vec![0i32, 5, 15, 60, 120, 1440], 1..4),
        )
            .prop_map(|(quarter, zone, days, daily, minutes)| {
                let start = local("2026-03-01 00:00") + TimeDelta::minutes(15 * quarter);
                let recurrence = if daily {
                    Some(Recurrence {
                        frequency: Frequency::Daily,
                        interval: 1,
                        by_day: vec![],
                        ..Recurrence::default()
                    })
                } else {
                    weekly(&days)
                };
                make_event(
                    "Tuesday NA meeting",
                    "twelve_step",
                    start,
                    ZONES[zone],
                    recurrence,
                    minutes,
                )
            })
    }

    fn arb_settings() -> impl Strategy<Value = ReminderSettings> {
        (
            prop::option::of((0u32..24, 0u32..24)),
            prop::option::of(0u32..24),
            prop::option::of((0usize..7, 0u32..24)),
        )
            .prop_map(|(quiet, daily, review)| ReminderSettings {
                quiet_hours: quiet.filter(|(s, e)| s != e).map(|(s, e)| QuietHours {
                    start: NaiveTime::from_hms_opt(s, 0, 0).unwrap(),
                    end: NaiveTime::from_hms_opt(e, 30, 0).unwrap(),
                }),
                daily_checkin: daily.map(|h| NaiveTime::from_hms_opt(h, 15, 0).unwrap()),
                detailed_wording: false,
                weekly_review: review.map(|(d, h)| WeeklyReviewTime {
                    day: [
                        Day::Mo,
                        Day::Tu,
                        Day::We,
                        Day::Th,
                        Day::Fr,
                        Day::Sa,
                        Day::Su,
                    ][d],
                    time: NaiveTime::from_hms_opt(h, 45, 0).unwrap(),
                }),
            })
    }

    fn arb_case()
    -> impl Strategy<Value = (Vec<(RecordId, Event)>, ReminderSettings, Tz, DateTime<Utc>)> {
        (
            prop::collection::vec(arb_event(), 1..4),
            arb_settings(),
            0usize..ZONES.len(),
            0i64..(260 * 24 * 60),
        )
            .prop_map(|(events, settings, zone, minute)| {
                let events = events.into_iter().map(|e| (RecordId::new(), e)).collect();
                let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
                    + TimeDelta::minutes(minute)
                    + TimeDelta::seconds(17);
                (events, settings, ZONES[zone].parse().unwrap(), now)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn planned_reminders_obey_the_laws((events, settings, zone, now) in arb_case()) {
            let delivered = HashSet::new();
            let input = PlanInput { events: &events, settings: &settings, device_zone: zone, delivered: &delivered, now };
            let planned = plan(&input, usize::MAX);
            let mut keys = HashSet::new();
            for r in &planned {
                prop_assert!(keys.insert(r.key.to_string()), "one delivery per occurrence and offset");
                prop_assert!(r.due >= now, "never in the past");
                if let Some(starts) = r.starts {
                    prop_assert!(r.due <= starts, "never after the session started");
                }
                if let Some(quiet) = settings.quiet_hours {
                    prop_assert!(!quiet.contains(r.due.with_timezone(&zone).time()), "nothing in quiet hours");
                }
                prop_assert!(!r.body.contains("NA meeting") && !r.summary.contains("NA"), "discreet by default");
            }
            // Nothing lost: each reminder comes at the first moment that is
            // not before it was wanted, not past, and not in quiet hours.
            for (id, event) in &events {
                for o in event.occurrences_between(now, now + TimeDelta::days(8)) {
                    let starts = o.start.with_timezone(&Utc);
                    if starts <= now { continue; }
                    for &m in &event.reminder_minutes {
                        let wanted = (starts - TimeDelta::minutes(i64::from(m))).max(now);
                        let key = ReminderKey::Session { event: *id, occurrence: o.original, minutes_before: m };
                        let quiet_at = |t: DateTime<Utc>| settings.quiet_hours.is_some_and(|q| q.contains(t.with_timezone(&zone).time()));
                        match planned.iter().find(|r| r.key == key) {
                            Some(r) => prop_assert!(r.due == wanted || quiet_at(r.due - TimeDelta::seconds(1)), "held back only by quiet hours"),
                            None => prop_assert!(quiet_at(wanted) && quiet_at(starts), "dropped only when quiet hours last until the start"),
                        }
                    }
                }
            }
        }

        #[test]
        fn delivering_and_replanning_never_repeats_a_reminder((events, settings, zone, now) in arb_case()) {
            let mut delivered = HashSet::new();
            let mut now = now;
            for _ in 0..40 {
                let input = PlanInput { events: &events, settings: &settings, device_zone: zone, delivered: &delivered, now };
                let Some(next) = plan(&input, 1).pop() else { break };
                prop_assert!(next.due >= now);
                // Deliver it at its time, as the scheduler does, and remember it.
                now = next.due;
                prop_assert!(delivered.insert(next.key.to_string()), "delivered twice: {}", next.key);
            }
        }
    }
}
