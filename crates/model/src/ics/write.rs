//! Writing the schedule as an iCalendar file (RFC 5545): content lines
//! folded at 75 octets and ended with CRLF, text escaped, one PRODID, a
//! VTIMEZONE for each zone used, every cancelled occurrence in EXDATE and
//! every moved one as a RECURRENCE-ID override.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::{STAMP, kind_text, zones};
use crate::ids::RecordId;
use crate::schedule::{Event, Frequency, OccurrenceChange, Recurrence, resolve_local};

/// Years of zone rules written for a series with no end, after its last
/// dated session.
const OPEN_ENDED_YEARS: i32 = 10;

/// Content lines as they are built.
#[derive(Default)]
struct Lines(String);

impl Lines {
    /// NAME[;PARAM=VALUE...]:VALUE, folded.
    fn put(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        let mut line = name.to_owned();
        for (key, v) in params {
            line.push(';');
            line.push_str(key);
            line.push('=');
            if v.contains([':', ';', ',']) {
                line.push('"');
                line.push_str(v);
                line.push('"');
            } else {
                line.push_str(v);
            }
        }
        line.push(':');
        line.push_str(value);
        fold_into(&mut self.0, &line);
    }

    fn text(&mut self, name: &str, value: &str) {
        self.put(name, &[], &escape(value));
    }
}

/// RFC 5545 3.3.11: backslash, semicolon, comma and newline escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 5545 3.1: lines longer than 75 octets are split, never inside a
/// character, each continuation starting with a space.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn day_text(t: NaiveDateTime) -> String {
    t.format("%Y%m%d").to_string()
}

/// The value of a date or date-time property of `event` at local `t`, with
/// its parameters.
fn when(event: &Event, t: NaiveDateTime) -> (Vec<(&'static str, String)>, String) {
    if event.all_day {
        (vec![("VALUE", "DATE".into())], day_text(t))
    } else {
        (
            vec![("TZID", event.zone.clone())],
            t.format(STAMP).to_string(),
        )
    }
}

fn put_when(lines: &mut Lines, name: &str, event: &Event, times: &[NaiveDateTime]) {
    if times.is_empty() {
        return;
    }
    let (params, _) = when(event, times[0]);
    let values: Vec<String> = times.iter().map(|t| when(event, *t).1).collect();
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    lines.put(name, &params, &values.join(","));
}

/// DTSTART with DURATION, or for a day-long event DTSTART and DTEND as dates.
fn put_span(lines: &mut Lines, event: &Event, start: NaiveDateTime, minutes: u32) {
    put_when(lines, "DTSTART", event, &[start]);
    if event.all_day {
        let days = i64::from(minutes.div_ceil(1440).max(1));
        lines.put(
            "DTEND",
            &[("VALUE", "DATE")],
            &day_text(start + TimeDelta::days(days)),
        );
    } else {
        lines.put("DURATION", &[], &format!("PT{minutes}M"));
    }
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
        let days: Vec<String> = if rule.frequency == Frequency::Monthly && !rule.nth.is_empty() {
            rule.by_day
                .iter()
                .flat_map(|d| rule.nth.iter().map(move |n| format!("{n}{}", d.code())))
                .collect()
        } else {
            rule.by_day.iter().map(|d| d.code().to_owned()).collect()
        };
        parts.push(format!("BYDAY={}", days.join(",")));
    }
    if let Some(count) = rule.count {
        parts.push(format!("COUNT={count}"));
    }
    if let Some(until) = rule.until {
        if event.all_day {
            // With a date DTSTART, UNTIL is a date.
            parts.push(format!("UNTIL={}", day_text(until)));
        } else {
            // With a zoned DTSTART, RFC 5545 wants UNTIL as a UTC instant.
            let last = resolve_local(event.tz(), until).with_timezone(&Utc);
            parts.push(format!("UNTIL={}Z", last.format(STAMP)));
        }
    }
    if rule.week_start != crate::schedule::Day::Mo {
        parts.push(format!("WKST={}", rule.week_start.code()));
    }
    parts.join(";")
}

/// The years an event's sessions fall in, for its zone's VTIMEZONE.
fn years(event: &Event) -> (i32, i32) {
    let mut first = event.start;
    let mut last = event.start;
    let mut dated = |t: NaiveDateTime| {
        first = first.min(t);
        last = last.max(t);
    };
    for t in &event.added {
        dated(*t);
    }
    for e in &event.exceptions {
        dated(e.occurrence);
        if let OccurrenceChange::Moved { start, .. } = e.change {
            dated(start);
        }
    }
    let last_year = match &event.recurrence {
        None => last.year(),
        Some(rule) => match (rule.until, rule.count) {
            (Some(until), _) => last.year().max(until.year()),
            (None, Some(_)) => {
                let far = event.start + TimeDelta::days(366 * 100);
                let occurrences = event.occurrences_between(
                    resolve_local(event.tz(), event.start).with_timezone(&Utc),
                    resolve_local(event.tz(), far).with_timezone(&Utc),
                );
                occurrences
                    .last()
                    .map(|o| o.start.naive_local().year())
                    .unwrap_or(last.year())
                    .max(last.year())
            }
            (None, None) => last.year() + OPEN_ENDED_YEARS,
        },
    };
    (first.year(), last_year)
}

/// The schedule as an iCalendar file; `stamp` is when it was written (DTSTAMP).
pub fn export(events: &[(RecordId, Event)], stamp: DateTime<Utc>) -> String {
    let mut lines = Lines::default();
    lines.put("BEGIN", &[], "VCALENDAR");
    lines.put("VERSION", &[], "2.0");
    lines.put("PRODID", &[], "-//Steady//Schedule//EN");
    lines.put("CALSCALE", &[], "GREGORIAN");
    // One VTIMEZONE per zone, spanning the years of every event in it.
    let mut spans: BTreeMap<String, (i32, i32)> = BTreeMap::new();
    for (_, event) in events.iter().filter(|(_, e)| !e.all_day) {
        let (from, to) = years(event);
        let span = spans
            .entry(event.tz().name().to_owned())
            .or_insert((from, to));
        *span = (span.0.min(from), span.1.max(to));
    }
    for (zone, (from, to)) in &spans {
        let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
        // From a year early, so that the first session's local day is
        // covered in any offset.
        for (name, value) in zones::vtimezone(tz, from - 1, *to) {
            lines.put(&name, &[], &value);
        }
    }
    let dtstamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for (id, event) in events {
        let uid = format!("{id}@steady");
        lines.put("BEGIN", &[], "VEVENT");
        lines.text("UID", &uid);
        lines.put("DTSTAMP", &[], &dtstamp);
        lines.text("SUMMARY", &event.title);
        // Other calendars count DTSTART as a session even when the rule
        // names another day; Steady does not, so the file starts the series
        // at the rule's first session, or cancels the start when the rule
        // gives none.
        let first = event.first_rule_start();
        let mut cancelled: Vec<NaiveDateTime> = Vec::new();
        if event.recurrence.is_some() && first.is_none() && !event.added.contains(&event.start) {
            cancelled.push(event.start);
        }
        put_span(
            &mut lines,
            event,
            first.unwrap_or(event.start),
            event.duration_minutes,
        );
        if let Some(rule) = &event.recurrence {
            lines.put("RRULE", &[], &rrule_text(event, rule));
        }
        put_when(&mut lines, "RDATE", event, &event.added);
        cancelled.extend(
            event
                .exceptions
                .iter()
                .filter(|e| e.change == OccurrenceChange::Cancelled)
                .map(|e| e.occurrence),
        );
        put_when(&mut lines, "EXDATE", event, &cancelled);
        describe(&mut lines, event);
        for minutes in &event.reminder_minutes {
            lines.put("BEGIN", &[], "VALARM");
            lines.put("ACTION", &[], "DISPLAY");
            lines.text("DESCRIPTION", "Reminder");
            lines.put("TRIGGER", &[], &format!("-PT{minutes}M"));
            lines.put("END", &[], "VALARM");
        }
        lines.put("END", &[], "VEVENT");
        for exception in &event.exceptions {
            if let OccurrenceChange::Moved {
                start,
                duration_minutes,
            } = exception.change
            {
                lines.put("BEGIN", &[], "VEVENT");
                lines.text("UID", &uid);
                lines.put("DTSTAMP", &[], &dtstamp);
                put_when(&mut lines, "RECURRENCE-ID", event, &[exception.occurrence]);
                lines.text("SUMMARY", &event.title);
                put_span(&mut lines, event, start, duration_minutes);
                describe(&mut lines, event);
                lines.put("END", &[], "VEVENT");
            }
        }
    }
    lines.put("END", &[], "VCALENDAR");
    lines.0
}

fn describe(lines: &mut Lines, event: &Event) {
    if !event.place.is_empty() {
        lines.text("LOCATION", &event.place);
    }
    if !event.link.is_empty() {
        lines.put("URL", &[], &event.link);
    }
    lines.put("X-STEADY-KIND", &[], &kind_text(event.kind));
    lines.put("X-STEADY-VISIBILITY", &[], event.visibility.as_str());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(60));
        fold_into(&mut out, &line);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }
}
