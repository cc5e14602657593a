//! Calendar files (RFC 5545). Export writes the schedule with the icalendar
//! crate; import reads a clinic's calendar line by line, so that every
//! problem is reported with the line it is on, and turns it into event
//! drafts. Nothing is stored here: the caller stores all drafts or none.
//!
//! Supported on import: VEVENT with SUMMARY, DTSTART (TZID, UTC or floating;
//! a date means all day), DTEND or DURATION, RRULE (FREQ DAILY/WEEKLY/MONTHLY,
//! INTERVAL, BYDAY, COUNT, UNTIL), EXDATE, RECURRENCE-ID overrides (moved, or
//! cancelled with STATUS:CANCELLED), LOCATION, URL, VALARM triggers before
//! the start, and Steady's own X-STEADY-KIND and X-STEADY-VISIBILITY.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use icalendar::{Alarm, Calendar, Component, EventLike, Property};

use crate::ids::RecordId;
use crate::record::Visibility;
use crate::schedule::{
    Day, Event, EventDraft, EventKind, Exception, Frequency, OccurrenceChange, Recurrence,
    resolve_local,
};

/// A problem in a calendar file, at a line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcsError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for IcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for IcsError {}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, IcsError> {
    Err(IcsError {
        line,
        message: message.into(),
    })
}

/// One event read from a file, with the line its VEVENT begins on.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedEvent {
    pub line: usize,
    pub draft: EventDraft,
}

const STAMP: &str = "%Y%m%dT%H%M%S";

fn kind_text(kind: EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The schedule as an iCalendar file.
pub fn export(events: &[(RecordId, Event)]) -> String {
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new("PRODID", "-//Steady//Schedule//EN"));
    for (id, event) in events {
        let uid = format!("{id}@steady");
        let mut series = icalendar::Event::new();
        series.uid(&uid).summary(&event.title);
        describe(&mut series, event, event.start, event.duration_minutes);
        if let Some(rule) = &event.recurrence {
            series.add_property("RRULE", rrule_text(event, rule));
        }
        for exception in &event.exceptions {
            if exception.change == OccurrenceChange::Cancelled {
                series.append_property(zoned("EXDATE", &event.zone, exception.occurrence));
            }
        }
        for minutes in &event.reminder_minutes {
            series.alarm(Alarm::display(
                "Reminder",
                -TimeDelta::minutes(i64::from(*minutes)),
            ));
        }
        calendar.push(series.done());
        for exception in &event.exceptions {
            if let OccurrenceChange::Moved {
                start,
                duration_minutes,
            } = exception.change
            {
                let mut moved = icalendar::Event::new();
                moved.uid(&uid).summary(&event.title);
                moved.append_property(zoned("RECURRENCE-ID", &event.zone, exception.occurrence));
                describe(&mut moved, event, start, duration_minutes);
                calendar.push(moved.done());
            }
        }
    }
    calendar.done().to_string()
}

fn zoned(name: &str, zone: &str, local: NaiveDateTime) -> Property {
    Property::new(name, local.format(STAMP).to_string())
        .add_parameter("TZID", zone)
        .done()
}

fn describe(v: &mut icalendar::Event, event: &Event, start: NaiveDateTime, minutes: u32) {
    v.append_property(zoned("DTSTART", &event.zone, start));
    v.add_property("DURATION", format!("PT{minutes}M"));
    if !event.place.is_empty() {
        v.location(&event.place);
    }
    if !event.link.is_empty() {
        v.url(&event.link);
    }
    v.add_property("X-STEADY-KIND", kind_text(event.kind));
    v.add_property("X-STEADY-VISIBILITY", event.visibility.as_str());
}

fn rrule_text(event: &Event, rule: &Recurrence) -> String {
    let mut parts = vec![format!(
        "FREQ={}",
        match rule.frequency {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
        }
    )];
    if rule.interval > 1 {
        parts.push(format!("INTERVAL={}", rule.interval));
    }
    if !rule.by_day.is_empty() {
        let days: Vec<String> = rule
            .by_day
            .iter()
            .map(|d| format!("{d:?}").to_uppercase())
            .collect();
        parts.push(format!("BYDAY={}", days.join(",")));
    }
    if let Some(count) = rule.count {
        parts.push(format!("COUNT={count}"));
    }
    if let Some(until) = rule.until {
        // With a zoned DTSTART, RFC 5545 wants UNTIL in UTC: the last second
        // of that day in the event's zone.
        let last = resolve_local(
            event.tz(),
            until.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()),
        );
        parts.push(format!("UNTIL={}Z", last.with_timezone(&Utc).format(STAMP)));
    }
    parts.join(";")
}

/// A content line after unfolding: NAME;PARAM=VALUE:VALUE, with its line number.
struct Line {
    number: usize,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Line {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

fn content_lines(text: &str) -> Result<Vec<Line>, IcsError> {
    let mut raw: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            match raw.last_mut() {
                Some((_, current)) => current.push_str(rest),
                None => {
                    return err(
                        i + 1,
                        "the file starts with a folded (indented) line; it should start with BEGIN:VCALENDAR.",
                    );
                }
            }
        } else if !line.is_empty() {
            raw.push((i + 1, line.to_owned()));
        }
    }
    raw.into_iter()
        .map(|(number, text)| parse_line(number, &text))
        .collect()
}

fn parse_line(number: usize, text: &str) -> Result<Line, IcsError> {
    let mut in_quotes = false;
    let colon = text.char_indices().find(|&(_, c)| {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        c == ':' && !in_quotes
    });
    let Some((at, _)) = colon else {
        return err(
            number,
            format!(
                "expected NAME:VALUE, found \"{}\".",
                text.chars().take(40).collect::<String>()
            ),
        );
    };
    let (head, value) = (&text[..at], &text[at + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return err(number, format!("\"{name}\" is not a property name."));
    }
    let mut params = Vec::new();
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            return err(
                number,
                format!("parameter \"{p}\" has no value (expected KEY=VALUE)."),
            );
        };
        params.push((k.to_ascii_uppercase(), v.trim_matches('"').to_owned()));
    }
    Ok(Line {
        number,
        name,
        params,
        value: value.to_owned(),
    })
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A VEVENT: its BEGIN line, its properties, and its alarms' TRIGGER lines.
struct VEvent {
    line: usize,
    props: Vec<Line>,
    triggers: Vec<Line>,
}

impl VEvent {
    fn get(&self, name: &str) -> Option<&Line> {
        self.props.iter().find(|l| l.name == name)
    }
}

fn vevents(lines: Vec<Line>) -> Result<Vec<VEvent>, IcsError> {
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut out: Vec<VEvent> = Vec::new();
    match lines.first() {
        Some(l) if l.name == "BEGIN" && l.value.eq_ignore_ascii_case("VCALENDAR") => {}
        Some(l) => return err(l.number, "a calendar file starts with BEGIN:VCALENDAR."),
        None => return err(1, "the file is empty; choose an .ics calendar file."),
    }
    for line in lines {
        match line.name.as_str() {
            "BEGIN" => {
                let what = line.value.to_ascii_uppercase();
                if what == "VEVENT" && stack.len() == 1 {
                    out.push(VEvent {
                        line: line.number,
                        props: Vec::new(),
                        triggers: Vec::new(),
                    });
                }
                stack.push((what, line.number));
            }
            "END" => {
                let what = line.value.to_ascii_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == what => {}
                    Some((open, opened)) => {
                        return err(
                            line.number,
                            format!(
                                "END:{what} closes BEGIN:{open} from line {opened}; the file is damaged or cut off."
                            ),
                        );
                    }
                    None => {
                        return err(line.number, format!("END:{what} without a matching BEGIN."));
                    }
                }
            }
            _ => {
                let inside: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
                match inside.as_slice() {
                    ["VCALENDAR", "VEVENT"] => {
                        if let Some(e) = out.last_mut() {
                            e.props.push(line);
                        }
                    }
                    ["VCALENDAR", "VEVENT", "VALARM"] if line.name == "TRIGGER" => {
                        if let Some(e) = out.last_mut() {
                            e.triggers.push(line);
                        }
                    }
                    [] => {
                        return err(
                            line.number,
                            "a property outside BEGIN:VCALENDAR ... END:VCALENDAR.",
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some((open, opened)) = stack.pop() {
        return err(
            opened,
            format!("BEGIN:{open} is never closed; the file may be cut off."),
        );
    }
    Ok(out)
}

/// A date-time property as a local time in a zone.
fn when(line: &Line, default_zone: &str) -> Result<(NaiveDateTime, String, bool), IcsError> {
    let v = line.value.trim();
    if line
        .param("VALUE")
        .is_some_and(|t| t.eq_ignore_ascii_case("DATE"))
        || v.len() == 8
    {
        let date = NaiveDate::parse_from_str(v, "%Y%m%d").or_else(|_| {
            err(
                line.number,
                format!("\"{v}\" is not a date (expected YYYYMMDD)."),
            )
        })?;
        return Ok((
            date.and_time(NaiveTime::MIN),
            zone_of(line, default_zone)?,
            true,
        ));
    }
    let (text, utc) = match v.strip_suffix('Z') {
        Some(t) => (t, true),
        None => (v, false),
    };
    let local = NaiveDateTime::parse_from_str(text, STAMP).or_else(|_| {
        err(
            line.number,
            format!("\"{v}\" is not a date and time (expected YYYYMMDDTHHMMSS)."),
        )
    })?;
    if utc {
        return Ok((local, "UTC".into(), false));
    }
    Ok((local, zone_of(line, default_zone)?, false))
}

fn zone_of(line: &Line, default_zone: &str) -> Result<String, IcsError> {
    match line.param("TZID") {
        None => Ok(default_zone.to_owned()),
        Some(z) => z
            .trim_start_matches('/')
            .parse::<Tz>()
            .map(|tz| tz.name().to_owned())
            .or_else(|_| err(line.number, format!("\"{z}\" is not a time zone Steady knows; the file should use IANA names such as America/Denver."))),
    }
}

/// `local` in `from` zone, as local time in `to` zone.
fn convert(local: NaiveDateTime, from: &str, to: &str) -> NaiveDateTime {
    let from: Tz = from.parse().unwrap_or(Tz::UTC);
    let to: Tz = to.parse().unwrap_or(Tz::UTC);
    resolve_local(from, local).with_timezone(&to).naive_local()
}

fn instant(local: NaiveDateTime, zone: &str) -> DateTime<Utc> {
    resolve_local(zone.parse().unwrap_or(Tz::UTC), local).with_timezone(&Utc)
}

/// PT1H30M, -P1D, PT15M -> signed minutes.
fn duration_minutes(line: &Line) -> Result<i64, IcsError> {
    let v = line.value.trim();
    let bad = || {
        err(
            line.number,
            format!("\"{v}\" is not a duration (expected e.g. PT1H30M)."),
        )
    };
    let (negative, rest) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let Some(rest) = rest.strip_prefix('P') else {
        return bad();
    };
    let mut minutes = 0i64;
    let mut number = String::new();
    let mut in_time = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' => in_time = true,
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let n: i64 = match number.parse() {
                    Ok(n) => n,
                    Err(_) => return bad(),
                };
                number.clear();
                minutes += match (c, in_time) {
                    ('W', false) => n * 7 * 1440,
                    ('D', false) => n * 1440,
                    ('H', true) => n * 60,
                    ('M', true) => n,
                    ('S', true) => n / 60,
                    _ => return bad(),
                };
            }
            _ => return bad(),
        }
    }
    if !number.is_empty() {
        return bad();
    }
    Ok(if negative { -minutes } else { minutes })
}

fn rrule(line: &Line, zone: &str) -> Result<Recurrence, IcsError> {
    let mut rule = Recurrence {
        frequency: Frequency::Weekly,
        interval: 1,
        by_day: Vec::new(),
        count: None,
        until: None,
    };
    let mut freq = None;
    for part in line.value.split(';').filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return err(line.number, format!("RRULE part \"{part}\" has no value."));
        };
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => {
                freq = Some(match value.to_ascii_uppercase().as_str() {
                    "DAILY" => Frequency::Daily,
                    "WEEKLY" => Frequency::Weekly,
                    "MONTHLY" => Frequency::Monthly,
                    other => {
                        return err(
                            line.number,
                            format!(
                                "Steady repeats sessions daily, weekly or monthly; FREQ={other} cannot be imported."
                            ),
                        );
                    }
                })
            }
            "INTERVAL" => {
                rule.interval = value
                    .parse()
                    .or_else(|_| err(line.number, format!("INTERVAL={value} is not a number.")))?
            }
            "COUNT" => {
                rule.count = Some(
                    value
                        .parse()
                        .or_else(|_| err(line.number, format!("COUNT={value} is not a number.")))?,
                )
            }
            "UNTIL" => {
                let until = Line {
                    number: line.number,
                    name: "UNTIL".into(),
                    params: Vec::new(),
                    value: value.to_owned(),
                };
                let (local, from, _) = when(&until, zone)?;
                rule.until = Some(convert(local, &from, zone).date());
            }
            "BYDAY" => {
                for d in value.split(',') {
                    let day = match d.to_ascii_uppercase().as_str() {
                        "MO" => Day::Mo,
                        "TU" => Day::Tu,
                        "WE" => Day::We,
                        "TH" => Day::Th,
                        "FR" => Day::Fr,
                        "SA" => Day::Sa,
                        "SU" => Day::Su,
                        other => {
                            return err(
                                line.number,
                                format!(
                                    "BYDAY={other}: Steady imports plain weekdays (MO, TU, ...), not numbered ones like 1MO."
                                ),
                            );
                        }
                    };
                    rule.by_day.push(day);
                }
            }
            "WKST" => {}
            other => {
                return err(
                    line.number,
                    format!(
                        "the RRULE part {other} is not supported; Steady imports FREQ, INTERVAL, BYDAY, COUNT and UNTIL."
                    ),
                );
            }
        }
    }
    rule.frequency = match freq {
        Some(f) => f,
        None => return err(line.number, "an RRULE needs FREQ."),
    };
    Ok(rule)
}

/// Reads a calendar file into event drafts, or says which line is wrong.
/// Times without a zone are read in `default_zone`.
pub fn import(text: &str, default_zone: &str) -> Result<Vec<ImportedEvent>, IcsError> {
    let events = vevents(content_lines(text)?)?;
    let mut masters: Vec<ImportedEvent> = Vec::new();
    let mut by_uid: HashMap<String, usize> = HashMap::new();
    let mut overrides: Vec<&VEvent> = Vec::new();
    for e in &events {
        if e.get("RECURRENCE-ID").is_some() {
            overrides.push(e);
            continue;
        }
        let draft = event_draft(e, default_zone)?;
        if let Some(uid) = e.get("UID") {
            by_uid.insert(uid.value.clone(), masters.len());
        }
        masters.push(ImportedEvent {
            line: e.line,
            draft,
        });
    }
    for o in overrides {
        let rid = o.get("RECURRENCE-ID").expect("filtered above");
        let Some(&index) = o.get("UID").and_then(|u| by_uid.get(&u.value)) else {
            return err(
                o.line,
                "this changed session refers (by UID) to a series that is not in the file.",
            );
        };
        let master = &mut masters[index].draft;
        let (original, from, _) = when(rid, &master.zone)?;
        let occurrence = convert(original, &from, &master.zone);
        let cancelled = o
            .get("STATUS")
            .is_some_and(|s| s.value.eq_ignore_ascii_case("CANCELLED"));
        let change = if cancelled {
            OccurrenceChange::Cancelled
        } else {
            let moved = event_draft(o, &master.zone)?;
            let start = moved.start.unwrap_or(occurrence);
            OccurrenceChange::Moved {
                start: convert(start, &moved.zone, &master.zone),
                duration_minutes: moved.duration_minutes.max(1) as u32,
            }
        };
        master.exceptions.retain(|x| x.occurrence != occurrence);
        master.exceptions.push(Exception { occurrence, change });
    }
    Ok(masters)
}

fn event_draft(e: &VEvent, default_zone: &str) -> Result<EventDraft, IcsError> {
    let Some(start_line) = e.get("DTSTART") else {
        return err(
            e.line,
            "this event has no DTSTART, so Steady cannot tell when it is.",
        );
    };
    let (start, zone, all_day) = when(start_line, default_zone)?;
    let minutes = if let Some(end) = e.get("DTEND") {
        let (end_local, end_zone, _) = when(end, &zone)?;
        (instant(end_local, &end_zone) - instant(start, &zone)).num_minutes()
    } else if let Some(d) = e.get("DURATION") {
        duration_minutes(d)?
    } else if all_day {
        1440
    } else {
        60
    };
    let text = |name: &str| e.get(name).map(|l| unescape(&l.value)).unwrap_or_default();
    let recurrence = e.get("RRULE").map(|l| rrule(l, &zone)).transpose()?;
    let mut exceptions = Vec::new();
    for ex in e.props.iter().filter(|l| l.name == "EXDATE") {
        for value in ex.value.split(',') {
            let one = Line {
                number: ex.number,
                name: "EXDATE".into(),
                params: ex.params.clone(),
                value: value.to_owned(),
            };
            let (local, from, _) = when(&one, &zone)?;
            exceptions.push(Exception {
                occurrence: convert(local, &from, &zone),
                change: OccurrenceChange::Cancelled,
            });
        }
    }
    let mut reminders = Vec::new();
    for t in &e.triggers {
        if t.param("RELATED")
            .is_some_and(|r| r.eq_ignore_ascii_case("END"))
        {
            continue;
        }
        let m = duration_minutes(t)?;
        if m <= 0 {
            reminders.push((-m).min(i64::from(i32::MAX)) as i32);
        }
    }
    let visibility = match e.get("X-STEADY-VISIBILITY").map(|l| l.value.as_str()) {
        Some("private") => Visibility::Private,
        _ => Visibility::CareTeam,
    };
    let title = text("SUMMARY");
    Ok(EventDraft {
        title: if title.trim().is_empty() {
            "Session".into()
        } else {
            title
        },
        kind: e
            .get("X-STEADY-KIND")
            .map(|l| l.value.clone())
            .unwrap_or_else(|| kind_text(EventKind::Other)),
        place: text("LOCATION"),
        link: text("URL"),
        start: Some(start),
        zone,
        duration_minutes: minutes.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        recurrence,
        exceptions,
        reminder_minutes: reminders,
        visibility,
    })
}
