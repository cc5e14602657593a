//! 12-step meetings from Meeting Guide feeds: the JSON list of meetings
//! that AA and NA service bodies publish in code4recovery's format (name,
//! slug, day 0-6 from Sunday, time, end_time, timezone, types, location,
//! address, conference_url, notes, ...). A feed is read whole or refused,
//! naming each meeting and field that is wrong; meetings are searched and
//! filtered the way the Meeting Guide app does (day, time of day, in person
//! or online, types); a chosen meeting becomes a weekly event on the
//! patient's schedule, in the meeting's time zone, that remembers the feed
//! and slug it came from so that a newer feed can update it.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::ids::RecordId;
use crate::record::{Body, Visibility};
use crate::schedule::{Day, Event, EventDraft, Frequency, Recurrence, end_of_day, week_start};
use crate::validation::MAX_SHORT_CHARS;

/// Most meetings one feed may hold (a large area lists a few thousand).
pub const MAX_MEETINGS: usize = 20_000;
/// Most problems a refused feed lists.
const MAX_PROBLEMS: usize = 20;

/// One meeting as the feed lists it, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Meeting {
    /// The feed's key for the meeting, unique within the feed.
    pub slug: String,
    pub name: String,
    /// The days it meets, Sunday first as the feed counts (0 Sunday to 6
    /// Saturday); empty for a meeting by appointment.
    pub days: Vec<u8>,
    #[ts(optional = nullable, type = "string | null")]
    pub time: Option<NaiveTime>,
    #[ts(optional = nullable, type = "string | null")]
    pub end_time: Option<NaiveTime>,
    /// The meeting's IANA zone; the feed's default where it gives none.
    pub timezone: String,
    /// Meeting Guide's type codes ("O" open, "W" women, "S" Spanish, ...).
    pub types: Vec<String>,
    pub location: String,
    /// The street address, as the feed gives it or put together from its parts.
    pub address: String,
    /// The address is only an area (an online meeting's origin).
    pub approximate: bool,
    pub conference_url: String,
    pub conference_phone: String,
    pub notes: String,
    pub url: String,
    pub group: String,
    pub region: String,
}

/// How a meeting can be attended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceOption {
    InPerson,
    Online,
    Hybrid,
}

/// When in the day a meeting starts, as the Meeting Guide app groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TimeOfDay {
    /// 04:00 to 11:59
    Morning,
    /// 12:00 to 16:59
    Afternoon,
    /// 17:00 to 20:59
    Evening,
    /// 21:00 to 03:59
    Night,
}

impl TimeOfDay {
    pub fn of(time: NaiveTime) -> TimeOfDay {
        match time.hour() {
            4..=11 => TimeOfDay::Morning,
            12..=16 => TimeOfDay::Afternoon,
            17..=20 => TimeOfDay::Evening,
            _ => TimeOfDay::Night,
        }
    }
}

impl Meeting {
    /// In person when it has a real address and is not marked temporarily
    /// closed ("TC"); online when it has a video link or a phone line.
    pub fn attendance(&self) -> Option<AttendanceOption> {
        let online = !self.conference_url.is_empty() || !self.conference_phone.is_empty();
        let in_person =
            !self.address.is_empty() && !self.approximate && !self.types.iter().any(|t| t == "TC");
        match (in_person, online) {
            (true, true) => Some(AttendanceOption::Hybrid),
            (true, false) => Some(AttendanceOption::InPerson),
            (false, true) => Some(AttendanceOption::Online),
            (false, false) => None,
        }
    }
}

/// What the patient searches by; every part given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct MeetingFilter {
    /// 0 Sunday to 6 Saturday.
    #[ts(optional = nullable)]
    pub day: Option<u8>,
    #[ts(optional = nullable)]
    pub time_of_day: Option<TimeOfDay>,
    /// In person also finds hybrid meetings, online too.
    #[ts(optional = nullable)]
    pub attendance: Option<AttendanceOption>,
    /// Type codes the meeting must all have.
    pub types: Vec<String>,
    /// Words in the name, place, address, group, region or notes.
    pub text: String,
}

/// The meetings that match, in the order of the week and the day.
pub fn search<'a>(meetings: &'a [Meeting], filter: &MeetingFilter) -> Vec<&'a Meeting> {
    let words: Vec<String> = filter
        .text
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut found: Vec<&Meeting> = meetings
        .iter()
        .filter(|m| filter.day.is_none_or(|d| m.days.contains(&d)))
        .filter(|m| {
            filter
                .time_of_day
                .is_none_or(|t| m.time.is_some_and(|time| TimeOfDay::of(time) == t))
        })
        .filter(|m| match (filter.attendance, m.attendance()) {
            (None, _) => true,
            (Some(want), Some(have)) => {
                want == have
                    || (have == AttendanceOption::Hybrid && want != AttendanceOption::Hybrid)
            }
            (Some(_), None) => false,
        })
        .filter(|m| filter.types.iter().all(|t| m.types.contains(t)))
        .filter(|m| {
            let haystack = [
                &m.name,
                &m.location,
                &m.address,
                &m.group,
                &m.region,
                &m.notes,
            ]
            .iter()
            .map(|s| s.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
            words.iter().all(|w| haystack.contains(w))
        })
        .collect();
    let first_day = |m: &Meeting| match filter.day {
        Some(d) => d,
        None => m.days.first().copied().unwrap_or(7),
    };
    found.sort_by(|a, b| (first_day(a), a.time, &a.name).cmp(&(first_day(b), b.time, &b.name)));
    found
}

/// One thing wrong in a feed: which meeting (1-based, and its slug when it
/// has one), which field, and what to fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct FeedProblem {
    pub entry: usize,
    #[ts(optional = nullable)]
    pub slug: Option<String>,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FeedProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.slug {
            Some(slug) => write!(
                f,
                "Meeting {} (\"{slug}\"), {}: {}",
                self.entry, self.field, self.message
            ),
            None => write!(
                f,
                "Meeting {}, {}: {}",
                self.entry, self.field, self.message
            ),
        }
    }
}

/// A feed refused: every problem found (up to twenty), or one about the
/// whole file (entry 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedError(pub Vec<FeedProblem>);

impl std::fmt::Display for FeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self
            .0
            .iter()
            .map(|p| {
                if p.entry == 0 {
                    p.message.clone()
                } else {
                    p.to_string()
                }
            })
            .collect();
        write!(f, "{}", lines.join(" "))
    }
}

impl std::error::Error for FeedError {}

fn whole(message: impl Into<String>) -> FeedError {
    FeedError(vec![FeedProblem {
        entry: 0,
        slug: None,
        field: String::new(),
        message: message.into(),
    }])
}

/// Reads one entry's fields, collecting what is wrong.
struct Entry<'a> {
    number: usize,
    slug: Option<String>,
    fields: &'a serde_json::Map<String, Value>,
    problems: Vec<FeedProblem>,
}

impl Entry<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FeedProblem {
            entry: self.number,
            slug: self.slug.clone(),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// An optional text field: a string (trimmed) or absent or null.
    fn text(&mut self, field: &str) -> String {
        match self.fields.get(field) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                let kind = kind_of(other);
                self.problem(field, format!("should be text, not {kind}."));
                String::new()
            }
        }
    }

    fn time(&mut self, field: &str) -> Option<NaiveTime> {
        let text = self.text(field);
        if text.is_empty() {
            return None;
        }
        match NaiveTime::parse_from_str(&text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&text, "%H:%M:%S"))
        {
            Ok(t) => Some(t),
            Err(_) => {
                self.problem(
                    field,
                    format!("\"{text}\" is not a time; the feed should give HH:MM in 24 hours, e.g. 18:30."),
                );
                None
            }
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn day_number(v: &Value) -> Option<u8> {
    match v {
        Value::Number(n) => n.as_u64().filter(|d| *d <= 6).map(|d| d as u8),
        Value::String(s) => s.trim().parse::<u8>().ok().filter(|d| *d <= 6),
        _ => None,
    }
}

/// Reads a Meeting Guide feed. Times without a `timezone` are in
/// `default_zone` (the zone the patient gives the feed).
pub fn read_feed(text: &str, default_zone: &str) -> Result<Vec<Meeting>, FeedError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        whole(format!(
            "This is not a Meeting Guide feed: its JSON breaks at line {}, column {} ({e}).",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Array(entries) = value else {
        return Err(whole(format!(
            "A Meeting Guide feed is a list of meetings ([ ... ]); this file holds {}.",
            kind_of(&value)
        )));
    };
    if entries.len() > MAX_MEETINGS {
        return Err(whole(format!(
            "This feed lists {} meetings; Steady reads feeds of up to {MAX_MEETINGS}.",
            entries.len()
        )));
    }
    let default_tz = default_zone.parse::<Tz>().map_err(|_| {
        whole(format!(
            "\"{default_zone}\" is not a time zone Steady knows."
        ))
    })?;
    let mut problems: Vec<FeedProblem> = Vec::new();
    let mut meetings: Vec<Meeting> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let number = i + 1;
        let Value::Object(fields) = entry else {
            problems.push(FeedProblem {
                entry: number,
                slug: None,
                field: String::new(),
                message: format!("should be a meeting ({{ ... }}), not {}.", kind_of(entry)),
            });
            continue;
        };
        let slug = match fields.get("slug") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let mut e = Entry {
            number,
            slug: slug.clone(),
            fields,
            problems: Vec::new(),
        };
        match &slug {
            None => e.problem("slug", "every meeting needs a slug, its key in the feed."),
            Some(s) if s.chars().count() > 255 => {
                e.problem("slug", "is longer than 255 characters.")
            }
            Some(s) => {
                if let Some(first) = seen.insert(s.clone(), number) {
                    e.problem(
                        "slug",
                        format!("is also the slug of meeting {first}; each meeting's slug must be its own."),
                    );
                }
            }
        }
        let name = e.text("name");
        if name.is_empty() {
            e.problem("name", "every meeting needs a name.");
        } else if name.chars().count() > 255 {
            e.problem("name", "is longer than 255 characters.");
        }
        let days: Vec<u8> = match fields.get("day") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => {
                let days: Vec<Option<u8>> = list.iter().map(day_number).collect();
                if days.iter().any(Option::is_none) {
                    e.problem(
                        "day",
                        "each day is a number from 0 (Sunday) to 6 (Saturday).",
                    );
                }
                let mut days: Vec<u8> = days.into_iter().flatten().collect();
                days.sort_unstable();
                days.dedup();
                days
            }
            Some(one) => match day_number(one) {
                Some(d) => vec![d],
                None => {
                    e.problem(
                        "day",
                        format!(
                            "{} is not a day; the feed gives 0 (Sunday) to 6 (Saturday).",
                            one
                        ),
                    );
                    Vec::new()
                }
            },
        };
        let time = e.time("time");
        let end_time = e.time("end_time");
        if days.is_empty() != time.is_none()
            && !e
                .problems
                .iter()
                .any(|p| p.field == "day" || p.field == "time")
        {
            if time.is_none() {
                e.problem("time", "a meeting with a day needs its time (HH:MM).");
            } else {
                e.problem(
                    "day",
                    "a meeting with a time needs its day (0 Sunday to 6 Saturday).",
                );
            }
        }
        let zone_text = e.text("timezone");
        let timezone = if zone_text.is_empty() {
            default_tz.name().to_owned()
        } else {
            match zone_text.parse::<Tz>() {
                Ok(tz) => tz.name().to_owned(),
                Err(_) => {
                    e.problem(
                        "timezone",
                        format!("\"{zone_text}\" is not a time zone of the tz database (e.g. America/New_York)."),
                    );
                    String::new()
                }
            }
        };
        let types: Vec<String> = match fields.get("types") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|t| match t {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                    _ => None,
                })
                .collect(),
            Some(other) => {
                let kind = kind_of(other);
                e.problem(
                    "types",
                    format!("should be a list of type codes, not {kind}."),
                );
                Vec::new()
            }
        };
        let conference_url = e.text("conference_url");
        let web = conference_url.starts_with("https://") || conference_url.starts_with("http://");
        if !(conference_url.is_empty() || web) {
            e.problem(
                "conference_url",
                "should be a web link starting with https://.",
            );
        }
        let formatted = e.text("formatted_address");
        let address = if formatted.is_empty() {
            let parts: Vec<String> = ["address", "city", "state", "postal_code", "country"]
                .iter()
                .map(|f| e.text(f))
                .filter(|p| !p.is_empty())
                .collect();
            parts.join(", ")
        } else {
            formatted
        };
        let approximate = e.text("approximate").eq_ignore_ascii_case("yes");
        let location = e.text("location");
        let conference_phone = e.text("conference_phone");
        let notes = e.text("notes");
        let url = e.text("url");
        let group = e.text("group");
        let region = match fields.get("regions") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" > "),
            _ => e.text("region"),
        };
        if e.problems.is_empty() {
            meetings.push(Meeting {
                slug: slug.unwrap_or_default(),
                name,
                days,
                time,
                end_time,
                timezone,
                types,
                location,
                address,
                approximate,
                conference_url,
                conference_phone,
                notes,
                url,
                group,
                region,
            });
        } else {
            problems.extend(e.problems);
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if problems.is_empty() {
        Ok(meetings)
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(FeedError(problems))
    }
}

/// Where an event on the schedule came from: a feed and a meeting in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct MeetingSource {
    /// The feed's name as the patient knows it (its address or file name).
    pub feed: String,
    pub slug: String,
    /// The meeting's day this event is (0 Sunday to 6 Saturday).
    pub day: u8,
}

/// The feed's 0-6 (from Sunday) as a weekday.
pub fn feed_day(day: u8) -> Day {
    // Day::ALL starts on Monday.
    Day::ALL[(usize::from(day % 7) + 6) % 7]
}

/// Text cut to what an event keeps, with an ellipsis when it was longer.
fn fit(text: &str) -> String {
    if text.chars().count() <= MAX_SHORT_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(MAX_SHORT_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// The first date on or after `from` that falls on the feed's `day`.
pub fn next_on(from: NaiveDate, day: u8) -> NaiveDate {
    let want = feed_day(day).weekday().num_days_from_monday();
    let have = from.weekday().num_days_from_monday();
    from + TimeDelta::days(i64::from((7 + want - have) % 7))
}

/// The meeting on `day` as a weekly event from the first such day on or
/// after `from`, in the meeting's zone; private until the patient shares
/// it. None for a meeting by appointment or a day it does not meet.
/// The event remembers `feed` and the meeting's slug as its source.
pub fn meeting_event(
    meeting: &Meeting,
    day: u8,
    from: NaiveDate,
    feed: &str,
) -> Option<EventDraft> {
    let time = meeting.time?;
    if !meeting.days.contains(&day) {
        return None;
    }
    let start: NaiveDateTime = next_on(from, day).and_time(time);
    let minutes = match meeting.end_time {
        Some(end) => {
            let m = (end - time).num_minutes();
            if m <= 0 { m + 1440 } else { m }
        }
        // The spec's default: an hour.
        None => 60,
    };
    let place: Vec<&str> = [meeting.location.as_str(), meeting.address.as_str()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    Some(EventDraft {
        title: fit(&meeting.name),
        kind: "twelve_step".into(),
        place: fit(&place.join(", ")),
        link: if meeting.conference_url.chars().count() <= MAX_SHORT_CHARS {
            meeting.conference_url.clone()
        } else {
            String::new()
        },
        start: Some(start),
        zone: meeting.timezone.clone(),
        duration_minutes: minutes as i32,
        recurrence: Some(Recurrence {
            frequency: Frequency::Weekly,
            interval: 1,
            by_day: vec![feed_day(day)],
            ..Recurrence::default()
        }),
        visibility: Visibility::Private,
        source: Some(MeetingSource {
            feed: feed.to_owned(),
            slug: meeting.slug.clone(),
            day,
        }),
        ..EventDraft::default()
    })
}

/// What a newer feed changes on the schedule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedUpdate {
    /// Series whose meeting moved to another time or zone: each ends before
    /// this week and goes on from this week at the new time.
    pub moved: Vec<MovedSeries>,
    /// Series whose name, place, link or length changed, with the new draft.
    pub changed: Vec<(RecordId, EventDraft)>,
    /// Series whose meeting is no longer in the feed on that day; kept,
    /// named here so the patient can decide.
    pub gone: Vec<(RecordId, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MovedSeries {
    pub id: RecordId,
    /// The series as it was, ended the day before this week.
    pub ended: EventDraft,
    /// The series from this week on.
    pub next: EventDraft,
}

/// How the schedule's series from `feed` follow a newer list of its
/// meetings, in the week of `today`.
pub fn update_from_feed(
    events: &[(RecordId, Event)],
    feed: &str,
    meetings: &[Meeting],
    today: NaiveDate,
) -> FeedUpdate {
    let monday = week_start(today);
    let mut update = FeedUpdate::default();
    for (id, event) in events {
        let Some(source) = event.source.as_ref().filter(|s| s.feed == feed) else {
            continue;
        };
        // A series that ended before this week (the old times of a meeting
        // that moved) is history, left as it is.
        if event
            .recurrence
            .as_ref()
            .and_then(|r| r.until)
            .is_some_and(|until| until < monday.and_time(NaiveTime::MIN))
        {
            continue;
        }
        let Some(fresh) = meetings
            .iter()
            .find(|m| m.slug == source.slug)
            .and_then(|m| meeting_event(m, source.day, monday, feed))
        else {
            update.gone.push((*id, event.title.clone()));
            continue;
        };
        let old = event.to_draft();
        let new_start = fresh.start.unwrap_or(event.start);
        let same_time = new_start.time() == event.start.time() && fresh.zone == event.zone;
        let details = |mut draft: EventDraft| {
            draft.title = fresh.title.clone();
            draft.place = fresh.place.clone();
            draft.link = fresh.link.clone();
            draft.duration_minutes = fresh.duration_minutes;
            draft
        };
        if same_time || event.start.date() >= monday {
            let mut draft = details(old.clone());
            if !same_time {
                // A series begun this week moves whole.
                draft.start = Some(new_start);
                draft.zone = fresh.zone.clone();
                draft.exceptions.clear();
            }
            if draft != old {
                update.changed.push((*id, draft));
            }
            continue;
        }
        // The old times end with last week; sessions changed after that
        // were at times the meeting no longer keeps.
        let mut ended = old.clone();
        let last = end_of_day(monday - TimeDelta::days(1));
        if let Some(rule) = ended.recurrence.as_mut() {
            rule.count = None;
            rule.until = Some(rule.until.map_or(last, |u| u.min(last)));
        }
        ended.exceptions.retain(|x| x.occurrence <= last);
        ended.added.retain(|t| *t <= last);
        let mut next = details(old);
        next.start = Some(new_start);
        next.zone = fresh.zone.clone();
        next.exceptions.clear();
        next.added.clear();
        if let Some(rule) = next.recurrence.as_mut() {
            *rule = fresh.recurrence.clone().unwrap_or_default();
        }
        update.moved.push(MovedSeries {
            id: *id,
            ended,
            next,
        });
    }
    update
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const FEED: &str = r#"[
      {"name": "Sunday Serenity", "slug": "sunday-serenity-14", "day": 0, "time": "18:00",
       "end_time": "19:30", "location": "Alano Club", "types": ["O", "T"],
       "address": "123 Main Street", "city": "Anytown", "state": "CA", "postal_code": "98765",
       "country": "US", "timezone": "America/Los_Angeles"},
      {"name": "Morning Online", "slug": 77, "day": [1, 3, 5], "time": "07:00",
       "conference_url": "https://zoom.us/j/123", "formatted_address": "Denver, CO, USA",
       "approximate": "yes", "types": ["C", "W"], "timezone": "America/Denver"},
      {"name": "Hybrid Noon", "slug": "noon", "day": 2, "time": "12:00",
       "formatted_address": "1 Elm St, Denver, CO", "conference_url": "https://meet.example/noon",
       "types": ["O", "S"]},
      {"name": "By appointment", "slug": "appt"}
    ]"#;

    #[test]
    fn a_feed_reads_with_its_zones_addresses_and_ways_to_attend() {
        let m = read_feed(FEED, "America/Denver").unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].address, "123 Main Street, Anytown, CA, 98765, US");
        assert_eq!(m[0].timezone, "America/Los_Angeles");
        assert_eq!(m[1].slug, "77");
        assert_eq!(m[1].days, [1, 3, 5]);
        assert_eq!(m[2].timezone, "America/Denver", "the feed's default");
        assert_eq!(
            m.iter().map(Meeting::attendance).collect::<Vec<_>>(),
            [
                Some(AttendanceOption::InPerson),
                Some(AttendanceOption::Online),
                Some(AttendanceOption::Hybrid),
                None
            ]
        );
    }

    #[test]
    fn search_by_day_time_attendance_types_and_words() {
        let m = read_feed(FEED, "America/Denver").unwrap();
        let names = |f: MeetingFilter| -> Vec<String> {
            search(&m, &f).iter().map(|m| m.name.clone()).collect()
        };
        assert_eq!(
            names(MeetingFilter {
                attendance: Some(AttendanceOption::Online),
                ..Default::default()
            }),
            ["Morning Online", "Hybrid Noon"]
        );
        assert_eq!(
            names(MeetingFilter {
                attendance: Some(AttendanceOption::InPerson),
                ..Default::default()
            }),
            ["Sunday Serenity", "Hybrid Noon"]
        );
        assert_eq!(
            names(MeetingFilter {
                day: Some(3),
                ..Default::default()
            }),
            ["Morning Online"]
        );
        assert_eq!(
            names(MeetingFilter {
                time_of_day: Some(TimeOfDay::Evening),
                ..Default::default()
            }),
            ["Sunday Serenity"]
        );
        assert_eq!(
            names(MeetingFilter {
                types: vec!["O".into(), "S".into()],
                ..Default::default()
            }),
            ["Hybrid Noon"]
        );
        assert_eq!(
            names(MeetingFilter {
                text: "alano anytown".into(),
                ..Default::default()
            }),
            ["Sunday Serenity"]
        );
    }

    #[test]
    fn a_malformed_feed_is_refused_naming_the_meeting_and_the_field() {
        let bad = r#"[
          {"name": "Fine", "slug": "fine", "day": 1, "time": "19:00"},
          {"name": "Bad day", "slug": "bad-day", "day": 7, "time": "19:00"},
          {"name": "", "slug": "no-name"},
          {"name": "Bad zone", "slug": "zone", "day": 1, "time": "7pm", "timezone": "Mars/Base"},
          {"name": "Twice", "slug": "fine"},
          "not a meeting"
        ]"#;
        let e = read_feed(bad, "UTC").unwrap_err();
        let got: Vec<(usize, String)> = e.0.iter().map(|p| (p.entry, p.field.clone())).collect();
        assert_eq!(
            got,
            [
                (2, "day".to_owned()),
                (3, "name".to_owned()),
                (4, "time".to_owned()),
                (4, "timezone".to_owned()),
                (5, "slug".to_owned()),
                (6, String::new()),
            ]
        );
        let words = e.to_string();
        assert!(
            words.contains("Meeting 2 (\"bad-day\"), day: 7 is not a day"),
            "{words}"
        );
        assert!(words.contains("also the slug of meeting 1"), "{words}");
        assert!(
            read_feed("{\"meetings\": []}", "UTC")
                .unwrap_err()
                .to_string()
                .contains("list of meetings")
        );
        assert!(
            read_feed("[{", "UTC")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
    }

    #[test]
    fn a_meeting_becomes_a_weekly_private_event_in_its_zone() {
        let m = read_feed(FEED, "America/Denver").unwrap();
        // Wednesday 2 December 2026: the next Sunday is the 6th.
        let wednesday = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let e = meeting_event(&m[0], 0, wednesday, "").unwrap();
        assert_eq!(e.start.unwrap().to_string(), "2026-12-06 18:00:00");
        assert_eq!(e.zone, "America/Los_Angeles");
        assert_eq!(e.duration_minutes, 90);
        assert_eq!(
            e.place,
            "Alano Club, 123 Main Street, Anytown, CA, 98765, US"
        );
        assert_eq!(e.visibility, Visibility::Private);
        assert_eq!(e.recurrence.unwrap().by_day, [Day::Su]);
        assert!(
            meeting_event(&m[0], 1, wednesday, "").is_none(),
            "not a Monday meeting"
        );
        assert!(
            meeting_event(&m[3], 0, wednesday, "").is_none(),
            "by appointment"
        );
        // The same weekday as `from` is that day.
        assert_eq!(next_on(wednesday, 3), wednesday);
    }

    fn event(d: EventDraft) -> Event {
        Event::from_draft(
            d,
            chrono::DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_newer_feed_moves_a_changed_time_from_that_week_on_and_names_what_went() {
        let v1 = read_feed(FEED, "America/Denver").unwrap();
        let added = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let feed = "https://example.org/meetings.json";
        let sunday = RecordId::new();
        let online = RecordId::new();
        let noon = RecordId::new();
        let events = vec![
            (
                sunday,
                event(meeting_event(&v1[0], 0, added, feed).unwrap()),
            ),
            (
                online,
                event(meeting_event(&v1[1], 3, added, feed).unwrap()),
            ),
            (noon, event(meeting_event(&v1[2], 2, added, feed).unwrap())),
        ];
        // Two weeks on: Sunday Serenity meets at 19:00, Hybrid Noon has a
        // new name, Morning Online is gone.
        let mut v2 = v1.clone();
        v2[0].time = NaiveTime::from_hms_opt(19, 0, 0);
        v2[0].end_time = NaiveTime::from_hms_opt(20, 30, 0);
        v2[2].name = "Hybrid Noon (Spanish)".into();
        v2.remove(1);
        let today = NaiveDate::from_ymd_opt(2026, 12, 16).unwrap();
        let update = update_from_feed(&events, feed, &v2, today);
        assert_eq!(update.gone, [(online, "Morning Online".to_owned())]);
        assert_eq!(update.changed.len(), 1);
        assert_eq!(update.changed[0].0, noon);
        assert_eq!(update.changed[0].1.title, "Hybrid Noon (Spanish)");
        assert_eq!(update.moved.len(), 1);
        let moved = &update.moved[0];
        assert_eq!(moved.id, sunday);
        let ended = event(moved.ended.clone());
        let next = event(moved.next.clone());
        let from = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let to = chrono::Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let starts: Vec<String> = ended
            .occurrences_between(from, to)
            .into_iter()
            .chain(next.occurrences_between(from, to))
            .map(|o| o.start.naive_local().to_string())
            .collect();
        assert_eq!(
            starts,
            [
                "2026-12-06 18:00:00",
                "2026-12-13 18:00:00",
                "2026-12-20 19:00:00",
                "2026-12-27 19:00:00"
            ]
        );
        assert_eq!(next.source, ended.source);
        // The same feed read again that week changes nothing more: the
        // ended series is history, the new one already keeps the new time.
        let mut after: Vec<(RecordId, Event)> = events
            .iter()
            .filter(|(id, _)| *id != sunday)
            .cloned()
            .collect();
        after.push((sunday, ended.clone()));
        after.push((RecordId::new(), next.clone()));
        for (id, d) in &update.changed {
            let i = after.iter().position(|(x, _)| x == id).unwrap();
            after[i].1 = event(d.clone());
        }
        let again = update_from_feed(&after, feed, &v2, today);
        assert!(
            again.moved.is_empty() && again.changed.is_empty(),
            "{again:?}"
        );
        // A feed the series did not come from changes nothing.
        assert_eq!(
            update_from_feed(&events, "another feed", &v2, today),
            FeedUpdate::default()
        );
    }
}
