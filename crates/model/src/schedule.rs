//! The program's schedule: group meetings, classes and appointments, kept as
//! local times in an IANA zone so that a weekly 6 pm group stays at 6 pm
//! across daylight-saving changes, wherever the device is.
//!
//! Recurrence (RFC 5545: FREQ DAILY/WEEKLY/MONTHLY, INTERVAL, BYDAY, COUNT,
//! UNTIL) is expanded by the `rrule` crate on wall-clock times; each
//! wall-clock time is then placed in the event's zone by RFC 5545's rules: a
//! time inside a spring-forward gap is read with the offset before the gap
//! (02:30 becomes 03:30), and a time in the repeated fall-back hour means its
//! first occurrence.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::kind::RecordKind;
use crate::record::{Body, Visibility, serde_name};
use crate::validation::{Problems, ValidationErrors, plausible_date, short_text};

/// What kind of session an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    TwelveStep,
    Education,
    RelapsePrevention,
    SkillsGroup,
    Individual,
    Medication,
    Other,
}

impl EventKind {
    /// A word that is safe on a lock screen: it names no fellowship, no
    /// substance and no treatment.
    pub fn discreet_noun(self) -> &'static str {
        match self {
            EventKind::TwelveStep | EventKind::RelapsePrevention | EventKind::SkillsGroup => {
                "Group"
            }
            EventKind::Education => "Class",
            EventKind::Individual | EventKind::Medication => "Appointment",
            EventKind::Other => "Event",
        }
    }
}

/// How often a recurring event repeats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    #[default]
    Weekly,
    Monthly,
}

/// A day of the week, as RFC 5545 names them.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Day {
    #[default]
    Mo,
    Tu,
    We,
    Th,
    Fr,
    Sa,
    Su,
}

impl Day {
    /// Monday to Sunday.
    pub const ALL: [Day; 7] = [
        Day::Mo,
        Day::Tu,
        Day::We,
        Day::Th,
        Day::Fr,
        Day::Sa,
        Day::Su,
    ];

    pub fn weekday(self) -> chrono::Weekday {
        use chrono::Weekday::*;
        match self {
            Day::Mo => Mon,
            Day::Tu => Tue,
            Day::We => Wed,
            Day::Th => Thu,
            Day::Fr => Fri,
            Day::Sa => Sat,
            Day::Su => Sun,
        }
    }

    pub fn from_weekday(day: chrono::Weekday) -> Day {
        use chrono::Weekday::*;
        match day {
            Mon => Day::Mo,
            Tue => Day::Tu,
            Wed => Day::We,
            Thu => Day::Th,
            Fri => Day::Fr,
            Sat => Day::Sa,
            Sun => Day::Su,
        }
    }

    /// "MO", "TU", ... as RFC 5545 writes the day.
    pub fn code(self) -> &'static str {
        match self {
            Day::Mo => "MO",
            Day::Tu => "TU",
            Day::We => "WE",
            Day::Th => "TH",
            Day::Fr => "FR",
            Day::Sa => "SA",
            Day::Su => "SU",
        }
    }

    pub fn from_code(code: &str) -> Option<Day> {
        Some(match code.to_ascii_uppercase().as_str() {
            "MO" => Day::Mo,
            "TU" => Day::Tu,
            "WE" => Day::We,
            "TH" => Day::Th,
            "FR" => Day::Fr,
            "SA" => Day::Sa,
            "SU" => Day::Su,
            _ => return None,
        })
    }
}

/// An RFC 5545 recurrence rule, limited to what clinics' schedules use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    pub frequency: Frequency,
    /// Every `interval` days, weeks or months; at least 1.
    pub interval: u16,
    /// Weekly: the days it falls on (empty: the start's weekday). Monthly:
    /// the weekdays it falls on, all of them in the month or the ones `nth`
    /// names (empty: the start's day of the month).
    pub by_day: Vec<Day>,
    /// Monthly with `by_day`: which of those weekdays of the month, 1 to 5
    /// from the month's start or -1 to -5 from its end; the 1st and 3rd
    /// Thursday are `by_day` [TH] with `nth` [1, 3]. Empty: every one.
    #[serde(default)]
    pub nth: Vec<i8>,
    /// How many occurrences in all.
    #[ts(optional = nullable)]
    pub count: Option<u32>,
    /// The last local start the series may have, in the event's zone. A date
    /// alone (as the app's form gives it) means the end of that day.
    #[serde(default, deserialize_with = "until_or_date")]
    #[ts(optional = nullable, type = "string | null")]
    pub until: Option<NaiveDateTime>,
    /// The day weeks start on (RFC 5545's WKST), which decides the weeks of a
    /// series repeating every 2 or more weeks on several days.
    #[serde(default)]
    pub week_start: Day,
}

/// The end of the day a date alone names.
pub fn end_of_day(day: NaiveDate) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
}

fn until_or_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if let Ok(day) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        return Ok(Some(end_of_day(day)));
    }
    text.parse::<NaiveDateTime>().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "\"{text}\" is not a date (YYYY-MM-DD) or a local date and time"
        ))
    })
}

/// A change to one occurrence of a recurring event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum OccurrenceChange {
    Cancelled,
    Moved {
        /// The new local start, in the event's zone.
        start: NaiveDateTime,
        duration_minutes: u32,
    },
}

/// One occurrence changed, named by its original local start.
// No deny_unknown_fields: serde cannot combine it with flatten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Exception {
    pub occurrence: NaiveDateTime,
    #[serde(flatten)]
    pub change: OccurrenceChange,
}

/// The reminder offsets an event gets unless the patient chooses others.
pub const DEFAULT_REMINDER_MINUTES: [u32; 2] = [60, 15];
const MAX_REMINDER_MINUTES: u32 = 7 * 24 * 60;
/// Most moved or cancelled sessions one series keeps (a series has at most
/// 1000 sessions when counted).
pub const MAX_EXCEPTIONS: usize = 1000;
/// Most sessions added to a series outside its rule.
pub const MAX_ADDED: usize = 1000;
/// The longest a day-long event lasts.
pub const MAX_ALL_DAY_DAYS: u32 = 31;

/// A session on the schedule: once, or recurring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub title: String,
    pub kind: EventKind,
    /// A street address or room.
    pub place: String,
    /// A video link (https), for sessions held online.
    pub link: String,
    /// The local start in `zone`.
    pub start: NaiveDateTime,
    /// The IANA zone the program keeps time in, e.g. "America/Denver".
    pub zone: String,
    pub duration_minutes: u32,
    #[ts(optional = nullable)]
    pub recurrence: Option<Recurrence>,
    pub exceptions: Vec<Exception>,
    /// Sessions added outside the rule (RFC 5545's RDATE), as local starts
    /// in `zone`, each lasting `duration_minutes`.
    #[serde(default)]
    pub added: Vec<NaiveDateTime>,
    /// A day-long event: it starts at 00:00 and lasts whole days
    /// (`duration_minutes` is 1440 times the days).
    #[serde(default)]
    pub all_day: bool,
    /// The Meeting Guide feed and meeting this series was added from, so
    /// that a newer feed can update it.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub source: Option<crate::meetings::MeetingSource>,
    /// Minutes before the start to remind, largest first.
    pub reminder_minutes: Vec<u32>,
    pub visibility: Visibility,
}

/// One occurrence of an event, placed in time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The local start the recurrence rule gives; names the occurrence even
    /// when it was moved.
    pub original: NaiveDateTime,
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    pub moved: bool,
}

/// Places a wall-clock time in `zone` as RFC 5545 says: the first of two in
/// the repeated fall-back hour; inside a spring-forward gap, the offset that
/// was in force before the gap.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t,
        chrono::LocalResult::Ambiguous(first, _) => first,
        chrono::LocalResult::None => {
            // Look a day back for the offset before the gap; no zone has a
            // gap that long.
            let before: FixedOffset = zone
                .from_local_datetime(&(local - TimeDelta::hours(26)))
                .earliest()
                .map(|t| t.offset().fix())
                .unwrap_or_else(|| Utc.fix());
            let instant = local - TimeDelta::seconds(i64::from(before.local_minus_utc()));
            Utc.from_utc_datetime(&instant).with_timezone(&zone)
        }
    }
}

impl Event {
    /// The event's zone. Validation guarantees it parses.
    pub fn tz(&self) -> Tz {
        self.zone.parse().unwrap_or(Tz::UTC)
    }

    /// Occurrences that overlap `[from, to)`, in start order.
    pub fn occurrences_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        let zone = self.tz();
        let duration = TimeDelta::minutes(i64::from(self.duration_minutes));
        // Wall-clock bounds wide enough for any UTC offset (+-14 h) and the
        // event's length.
        let margin = TimeDelta::hours(15) + duration;
        let naive_from = from.naive_utc() - margin;
        let naive_to = to.naive_utc() + TimeDelta::hours(15);
        let mut out: Vec<Occurrence> = self
            .local_starts(naive_from, naive_to)
            .into_iter()
            .filter(|original| !self.exceptions.iter().any(|e| e.occurrence == *original))
            .map(|original| {
                let start = resolve_local(zone, original);
                Occurrence {
                    original,
                    start,
                    end: start + duration,
                    moved: false,
                }
            })
            .collect();
        for exception in &self.exceptions {
            if let OccurrenceChange::Moved {
                start,
                duration_minutes,
            } = exception.change
            {
                let begins = resolve_local(zone, start);
                out.push(Occurrence {
                    original: exception.occurrence,
                    start: begins,
                    end: begins + TimeDelta::minutes(i64::from(duration_minutes)),
                    moved: true,
                });
            }
        }
        out.retain(|o| o.start < to && o.end > from);
        out.sort_by_key(|o| (o.start, o.original));
        out
    }

    /// The occurrence the rule gives at `original`, where it takes place now
    /// (moved or not); None if there is none or it was cancelled.
    pub fn occurrence(&self, original: NaiveDateTime) -> Option<Occurrence> {
        let zone = self.tz();
        let (start, minutes, moved) =
            match self.exceptions.iter().find(|e| e.occurrence == original) {
                Some(Exception {
                    change: OccurrenceChange::Cancelled,
                    ..
                }) => return None,
                Some(Exception {
                    change:
                        OccurrenceChange::Moved {
                            start,
                            duration_minutes,
                        },
                    ..
                }) => (*start, *duration_minutes, true),
                None => (original, self.duration_minutes, false),
            };
        if !self.has_occurrence(original) {
            return None;
        }
        let begins = resolve_local(zone, start);
        Some(Occurrence {
            original,
            start: begins,
            end: begins + TimeDelta::minutes(i64::from(minutes)),
            moved,
        })
    }

    /// Whether `original` is a start the rule gives (so an exception may name it).
    pub fn has_occurrence(&self, original: NaiveDateTime) -> bool {
        self.local_starts(
            original - TimeDelta::minutes(1),
            original + TimeDelta::minutes(1),
        )
        .contains(&original)
    }

    /// The first start the rule itself gives, which is the event's start
    /// unless the start falls on no day the rule names (a weekly Monday and
    /// Wednesday series starting on a Tuesday); None if the rule gives none.
    /// Other calendars count such a start as a session; Steady does not.
    pub fn first_rule_start(&self) -> Option<NaiveDateTime> {
        self.recurrence.as_ref()?;
        // A month with a 5th Friday or a 31st comes within a few years.
        self.rule_starts(self.start, self.start + TimeDelta::days(366 * 8))
            .first()
            .copied()
    }

    /// The rule's wall-clock starts within `[from, to]`, before exceptions.
    fn local_starts(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let mut starts = self.rule_starts(from, to);
        starts.extend(self.added.iter().filter(|t| **t >= from && **t <= to));
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// The rule's own starts within `[from, to]` (the start alone without one).
    fn rule_starts(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let Some(rule) = &self.recurrence else {
            return if self.start >= from && self.start <= to {
                vec![self.start]
            } else {
                Vec::new()
            };
        };
        if to < self.start {
            return Vec::new();
        }
        // Expanding on wall-clock time (UTC stands in for "no zone") keeps the
        // rule free of DST effects; resolve_local places each result.
        let as_utc = |t: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&t);
        let mut builder = rrule::RRule::new(match rule.frequency {
            Frequency::Daily => rrule::Frequency::Daily,
            Frequency::Weekly => rrule::Frequency::Weekly,
            Frequency::Monthly => rrule::Frequency::Monthly,
        })
        .interval(rule.interval.max(1))
        .week_start(rule.week_start.weekday());
        if !rule.by_day.is_empty() {
            let days = rule.by_day.iter().flat_map(|d| {
                let every = rule.nth.is_empty() || rule.frequency != Frequency::Monthly;
                let each: Vec<rrule::NWeekday> = if every {
                    vec![rrule::NWeekday::Every(d.weekday())]
                } else {
                    rule.nth
                        .iter()
                        .map(|n| rrule::NWeekday::Nth(i16::from(*n), d.weekday()))
                        .collect()
                };
                each
            });
            builder = builder.by_weekday(days.collect());
        }
        if let Some(count) = rule.count {
            builder = builder.count(count);
        }
        if let Some(until) = rule.until {
            builder = builder.until(as_utc(until));
        }
        let Ok(set) = builder.build(as_utc(self.start)) else {
            return Vec::new();
        };
        let after = from.max(self.start) - TimeDelta::seconds(1);
        set.after(as_utc(after))
            .before(as_utc(to + TimeDelta::seconds(1)))
            .all(u16::MAX)
            .dates
            .into_iter()
            .map(|d| d.naive_utc())
            .filter(|t| *t >= from && *t <= to)
            .collect()
    }
}

/// An event as entered, before validation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct EventDraft {
    pub title: String,
    pub kind: String,
    pub place: String,
    pub link: String,
    #[ts(optional = nullable)]
    pub start: Option<NaiveDateTime>,
    pub zone: String,
    pub duration_minutes: i32,
    #[ts(optional = nullable)]
    pub recurrence: Option<Recurrence>,
    pub exceptions: Vec<Exception>,
    pub added: Vec<NaiveDateTime>,
    pub all_day: bool,
    #[ts(optional = nullable)]
    pub source: Option<crate::meetings::MeetingSource>,
    /// Empty means the defaults, 60 and 15 minutes.
    pub reminder_minutes: Vec<i32>,
    pub visibility: Visibility,
}

fn parse_kind(s: &str) -> Result<EventKind, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        format!(
            "\"{}\" is not a kind of session; choose 12-step meeting, education class, relapse-prevention group, skills group, individual counseling, medication appointment or other.",
            s.chars().take(40).collect::<String>()
        )
    })
}

impl Body for Event {
    const KIND: RecordKind = RecordKind::Event;
    type Draft = EventDraft;

    fn to_draft(&self) -> EventDraft {
        EventDraft {
            title: self.title.clone(),
            kind: serde_name(&self.kind),
            place: self.place.clone(),
            link: self.link.clone(),
            start: Some(self.start),
            zone: self.zone.clone(),
            duration_minutes: self.duration_minutes.try_into().unwrap_or(i32::MAX),
            recurrence: self.recurrence.clone(),
            exceptions: self.exceptions.clone(),
            added: self.added.clone(),
            all_day: self.all_day,
            source: self.source.clone(),
            reminder_minutes: self
                .reminder_minutes
                .iter()
                .map(|&m| m.try_into().unwrap_or(i32::MAX))
                .collect(),
            visibility: self.visibility,
        }
    }

    fn from_draft(d: EventDraft, _now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let title = p.check(
            "title",
            short_text(&d.title, "The title").and_then(|t| {
                if t.is_empty() {
                    Err("Give the session a title, for example \"Tuesday evening group\".".into())
                } else {
                    Ok(t)
                }
            }),
        );
        let kind = p.check("kind", parse_kind(&d.kind));
        let place = p.check("place", short_text(&d.place, "The place"));
        let link = p.check(
            "link",
            short_text(&d.link, "The link").and_then(|l| {
                if l.is_empty() || l.starts_with("https://") || l.starts_with("http://") {
                    Ok(l)
                } else {
                    Err("A video link starts with https://; paste the whole link from the invitation.".into())
                }
            }),
        );
        let start = p.check(
            "start",
            d.start
                .ok_or_else(|| "Choose the date and time the session starts.".to_owned())
                .and_then(|start| plausible_date(start.date()).map(|()| start)),
        );
        let zone = p.check(
            "zone",
            d.zone.parse::<Tz>().map(|z| z.name().to_owned()).map_err(|_| {
                format!(
                    "\"{}\" is not a time zone Steady knows; use an IANA name such as America/Denver or Europe/Berlin.",
                    d.zone.chars().take(60).collect::<String>()
                )
            }),
        );
        let duration = p.check(
            "duration_minutes",
            match d.duration_minutes {
                n if d.all_day => {
                    let days = MAX_ALL_DAY_DAYS as i32;
                    if n >= 1440 && n % 1440 == 0 && n <= days * 1440 {
                        Ok(n as u32)
                    } else {
                        Err(format!(
                            "A day-long event lasts 1 to {days} whole days (1440 minutes a day); {n} minutes is not that."
                        ))
                    }
                }
                1..=1440 => Ok(d.duration_minutes as u32),
                n => Err(format!(
                    "A session lasts from 1 minute to 24 hours (1440 minutes); {n} is outside that."
                )),
            },
        );
        if d.all_day && d.start.is_some_and(|s| s.time() != NaiveTime::MIN) {
            p.add(
                "start",
                "A day-long event starts at 00:00 of its first day.",
            );
        }
        if let Some(source) = &d.source
            && (source.day > 6
                || source.slug.trim().is_empty()
                || source.slug.chars().count() > 255
                || source.feed.chars().count() > 2000)
        {
            p.add(
                "source",
                "A meeting from a feed is named by its feed, its slug (up to 255 characters) and its day (0 Sunday to 6 Saturday).",
            );
        }
        if d.added.len() > MAX_ADDED {
            p.add(
                "added",
                format!("A series has at most {MAX_ADDED} sessions added outside its rule."),
            );
        } else {
            for t in &d.added {
                p.check("added", plausible_date(t.date()));
            }
        }
        if let Some(rule) = &d.recurrence {
            if rule.interval == 0 || rule.interval > 99 {
                p.add("recurrence", "Repeat every 1 to 99 days, weeks or months.");
            }
            if !rule.by_day.is_empty() && rule.frequency == Frequency::Daily {
                p.add(
                    "recurrence",
                    "Days of the week can be chosen for a weekly or monthly session, not a daily one.",
                );
            }
            if !rule.nth.is_empty()
                && (rule.frequency != Frequency::Monthly || rule.by_day.is_empty())
            {
                p.add(
                    "recurrence",
                    "\"The 1st, 2nd ... or last\" weekday is for a monthly session with its weekday chosen.",
                );
            }
            if rule.nth.len() > 5 || rule.nth.iter().any(|n| *n == 0 || !(-5..=5).contains(n)) {
                p.add(
                    "recurrence",
                    "Choose which weekdays of the month as 1 to 5 (from the start) or -1 to -5 (from the end).",
                );
            }
            if let Some(until) = rule.until {
                p.check("recurrence", plausible_date(until.date()));
            }
            if rule.count.is_some() && rule.until.is_some() {
                p.add(
                    "recurrence",
                    "End the series either after a number of sessions or on a date, not both.",
                );
            }
            if rule.count == Some(0) || rule.count.is_some_and(|c| c > 1000) {
                p.add("recurrence", "A series has 1 to 1000 sessions.");
            }
            if let (Some(until), Some(start)) = (rule.until, d.start)
                && until < start
            {
                p.add(
                    "recurrence",
                    "The series cannot end before its first session.",
                );
            }
        }
        let mut reminders: Vec<u32> = Vec::new();
        for m in &d.reminder_minutes {
            match u32::try_from(*m) {
                Ok(m) if m <= MAX_REMINDER_MINUTES => {
                    if !reminders.contains(&m) {
                        reminders.push(m);
                    }
                }
                _ => p.add(
                    "reminder_minutes",
                    "A reminder comes 0 minutes to 7 days before the session.",
                ),
            }
        }
        if reminders.len() > 5 {
            p.add(
                "reminder_minutes",
                "Choose at most 5 reminders for one session.",
            );
        }
        if d.reminder_minutes.is_empty() {
            reminders = DEFAULT_REMINDER_MINUTES.to_vec();
        }
        reminders.sort_unstable_by(|a, b| b.cmp(a));
        // Placeholders stand in for fields that failed; the result is only
        // returned when nothing did.
        let built = Event {
            title: title.unwrap_or_default(),
            kind: kind.unwrap_or(EventKind::Other),
            place: place.unwrap_or_default(),
            link: link.unwrap_or_default(),
            start: start.unwrap_or_default(),
            zone: zone.clone().unwrap_or_default(),
            duration_minutes: duration.unwrap_or(1),
            recurrence: d.recurrence.clone(),
            exceptions: d.exceptions.clone(),
            added: {
                let mut added = d.added.clone();
                added.sort_unstable();
                added.dedup();
                added
            },
            all_day: d.all_day,
            source: d.source.clone(),
            reminder_minutes: reminders,
            visibility: d.visibility,
        };
        if built.exceptions.len() > MAX_EXCEPTIONS {
            p.add(
                "exceptions",
                format!("A series keeps at most {MAX_EXCEPTIONS} moved or cancelled sessions."),
            );
        } else if zone.is_some() && start.is_some() {
            for e in &built.exceptions {
                if (built.recurrence.is_none() && built.added.is_empty())
                    || !built.has_occurrence(e.occurrence)
                {
                    p.add("exceptions", format!(
                        "{} is not a session of this series, so it cannot be moved or cancelled.",
                        e.occurrence.format("%Y-%m-%d %H:%M")
                    ));
                }
                if let OccurrenceChange::Moved { start, .. } = e.change {
                    p.check("exceptions", plausible_date(start.date()));
                }
                if let OccurrenceChange::Moved {
                    duration_minutes, ..
                } = e.change
                    && !(1..=1440).contains(&duration_minutes)
                {
                    p.add(
                        "exceptions",
                        "A moved session lasts from 1 minute to 24 hours.",
                    );
                }
            }
        }
        p.finish(|| built)
    }

    fn at(&self) -> DateTime<FixedOffset> {
        resolve_local(self.tz(), self.start).fixed_offset()
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

/// Monday 00:00 of the week containing `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).and_utc()
    }

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
    }

    fn draft(start: &str, zone: &str, recurrence: Option<Recurrence>) -> EventDraft {
        EventDraft {
            title: "Evening group".into(),
            kind: "twelve_step".into(),
            place: "Room 2".into(),
            start: Some(local(start)),
            zone: zone.into(),
            duration_minutes: 90,
            recurrence,
            ..Default::default()
        }
    }

    fn weekly(days: &[Day]) -> Option<Recurrence> {
        Some(Recurrence {
            frequency: Frequency::Weekly,
            interval: 1,
            by_day: days.to_vec(),
            ..Recurrence::default()
        })
    }

    fn event(d: EventDraft) -> Event {
        Event::from_draft(d, now()).unwrap()
    }

    #[test]
    fn a_denver_group_stays_at_six_pm_across_both_dst_changes() {
        let group = event(draft(
            "2026-01-05 18:00",
            "America/Denver",
            weekly(&[Day::Mo, Day::We]),
        ));
        let zone = group.tz();
        let all = group.occurrences_between(utc("2026-01-01 00:00"), utc("2027-01-01 00:00"));
        assert_eq!(all.len(), 104, "two a week for 52 weeks");
        for o in &all {
            assert_eq!(o.start.with_timezone(&zone).hour(), 18, "{o:?}");
            assert_eq!(o.start.minute(), 0);
        }
        let utc_hour = |day: &str| {
            all.iter()
                .find(|o| o.original.date().to_string() == day)
                .map(|o| o.start.with_timezone(&Utc).hour())
                .unwrap()
        };
        // MST (UTC-7) before 2026-03-08, MDT (UTC-6) until 2026-11-01.
        assert_eq!(
            utc_hour("2026-03-04"),
            1,
            "Wed before spring-forward: 01:00 UTC next day"
        );
        assert_eq!(utc_hour("2026-03-09"), 0, "Mon after: 00:00 UTC");
        assert_eq!(utc_hour("2026-10-28"), 0);
        assert_eq!(utc_hour("2026-11-02"), 1, "Mon after fall-back");
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_uses_the_offset_before_the_gap() {
        let e = event(draft("2026-03-01 02:30", "America/Denver", weekly(&[])));
        let gap_day = e
            .occurrences_between(utc("2026-03-08 00:00"), utc("2026-03-09 00:00"))
            .pop()
            .unwrap();
        assert_eq!(gap_day.original, local("2026-03-08 02:30"));
        // 02:30 MST = 09:30 UTC = 03:30 MDT.
        assert_eq!(gap_day.start.with_timezone(&Utc), utc("2026-03-08 09:30"));
        assert_eq!(gap_day.start.hour(), 3);
        assert_eq!(gap_day.start.minute(), 30);
    }

    #[test]
    fn a_time_in_the_repeated_fall_back_hour_means_the_first_one() {
        let e = event(draft("2026-10-25 01:30", "America/Denver", weekly(&[])));
        let fall_back = e
            .occurrences_between(utc("2026-11-01 00:00"), utc("2026-11-02 00:00"))
            .pop()
            .unwrap();
        // The first 01:30 is still MDT (UTC-6): 07:30 UTC.
        assert_eq!(fall_back.start.with_timezone(&Utc), utc("2026-11-01 07:30"));
        assert_eq!(fall_back.start.offset().fix().local_minus_utc(), -6 * 3600);
    }

    #[test]
    fn the_same_group_seen_from_another_zone_shows_that_zones_time() {
        let group = event(draft(
            "2026-01-05 18:00",
            "America/Denver",
            weekly(&[Day::Mo]),
        ));
        let ny: Tz = "America/New_York".parse().unwrap();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let jan = &group.occurrences_between(utc("2026-01-05 00:00"), utc("2026-01-06 12:00"))[0];
        assert_eq!(jan.start.with_timezone(&ny).hour(), 20);
        assert_eq!(
            jan.start.with_timezone(&berlin).hour(),
            2,
            "Tuesday 02:00 in Berlin"
        );
        // 2026-03-09: Denver and New York have both sprung forward; Berlin not yet (2026-03-29).
        let mar = &group.occurrences_between(utc("2026-03-09 00:00"), utc("2026-03-10 12:00"))[0];
        assert_eq!(mar.start.with_timezone(&ny).hour(), 20);
        assert_eq!(mar.start.with_timezone(&berlin).hour(), 1);
    }

    #[test]
    fn interval_count_until_and_monthly_rules() {
        let mut d = draft("2026-01-05 18:00", "America/Denver", weekly(&[Day::Mo]));
        d.recurrence.as_mut().unwrap().interval = 2;
        d.recurrence.as_mut().unwrap().count = Some(3);
        let e = event(d);
        let starts: Vec<String> = e
            .occurrences_between(utc("2026-01-01 00:00"), utc("2027-01-01 00:00"))
            .iter()
            .map(|o| o.original.date().to_string())
            .collect();
        assert_eq!(starts, ["2026-01-05", "2026-01-19", "2026-02-02"]);

        let mut d = draft("2026-01-05 09:00", "Europe/Berlin", None);
        d.recurrence = Some(Recurrence {
            frequency: Frequency::Daily,
            interval: 1,
            until: Some(end_of_day(NaiveDate::from_ymd_opt(2026, 1, 9).unwrap())),
            ..Recurrence::default()
        });
        assert_eq!(
            event(d)
                .occurrences_between(utc("2026-01-01 00:00"), utc("2027-01-01 00:00"))
                .len(),
            5
        );

        let mut d = draft("2026-01-31 10:00", "UTC", None);
        d.recurrence = Some(Recurrence {
            frequency: Frequency::Monthly,
            interval: 1,
            count: Some(4),
            ..Recurrence::default()
        });
        let months: Vec<String> = event(d)
            .occurrences_between(utc("2026-01-01 00:00"), utc("2027-01-01 00:00"))
            .iter()
            .map(|o| o.original.date().to_string())
            .collect();
        // RFC 5545: months without a 31st are skipped.
        assert_eq!(
            months,
            ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31"]
        );
    }

    #[test]
    fn a_single_occurrence_can_be_cancelled_or_moved() {
        let mut d = draft("2026-01-05 18:00", "America/Denver", weekly(&[Day::Mo]));
        d.exceptions = vec![
            Exception {
                occurrence: local("2026-01-12 18:00"),
                change: OccurrenceChange::Cancelled,
            },
            Exception {
                occurrence: local("2026-01-19 18:00"),
                change: OccurrenceChange::Moved {
                    start: local("2026-01-20 17:00"),
                    duration_minutes: 60,
                },
            },
        ];
        let e = event(d);
        assert!(
            e.occurrence(local("2026-01-12 18:00")).is_none(),
            "cancelled"
        );
        let moved = e.occurrence(local("2026-01-19 18:00")).unwrap();
        assert_eq!(
            (moved.start.naive_local(), moved.moved),
            (local("2026-01-20 17:00"), true)
        );
        assert!(
            e.occurrence(local("2026-01-13 18:00")).is_none(),
            "not in the rule"
        );
        let stored: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(stored, e, "exceptions survive the store's JSON");
        let got: Vec<(NaiveDateTime, bool)> = e
            .occurrences_between(utc("2026-01-01 00:00"), utc("2026-01-28 00:00"))
            .iter()
            .map(|o| (o.start.naive_local(), o.moved))
            .collect();
        assert_eq!(
            got,
            [
                (local("2026-01-05 18:00"), false),
                (local("2026-01-20 17:00"), true),
                (local("2026-01-26 18:00"), false),
            ]
        );
    }

    #[test]
    fn bad_events_are_refused_with_what_to_fix() {
        let mut d = draft("2026-01-05 18:00", "Mars/Olympus", weekly(&[Day::Mo]));
        d.title = " ".into();
        d.duration_minutes = 0;
        d.link = "zoom.example/123".into();
        d.kind = "party".into();
        let err = Event::from_draft(d, now()).unwrap_err();
        for field in ["title", "zone", "duration_minutes", "link", "kind"] {
            assert!(err.for_field(field).is_some(), "{field}: {err}");
        }
        let mut d = draft("2026-01-05 18:00", "America/Denver", weekly(&[Day::Mo]));
        d.exceptions = vec![Exception {
            occurrence: local("2026-01-06 18:00"),
            change: OccurrenceChange::Cancelled,
        }];
        let err = Event::from_draft(d, now()).unwrap_err();
        assert!(
            err.for_field("exceptions")
                .unwrap()
                .contains("not a session of this series")
        );
    }

    #[test]
    fn reminders_default_to_an_hour_and_fifteen_minutes() {
        let e = event(draft("2026-01-05 18:00", "America/Denver", None));
        assert_eq!(e.reminder_minutes, [60, 15]);
        let mut d = draft("2026-01-05 18:00", "America/Denver", None);
        d.reminder_minutes = vec![5, 30, 30];
        assert_eq!(event(d).reminder_minutes, [30, 5]);
    }
}
