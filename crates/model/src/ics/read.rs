//! Reading a calendar file line by line, so that every problem is reported
//! with the line it is on. A damaged file (not a calendar, BEGIN and END
//! that do not pair) is refused whole; an event Steady cannot represent is
//! skipped with its line and the reason, and the rest of the file is read.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;

use super::zones::{self, Definition, Observance};
use super::{IcsError, Import, ImportedEvent, STAMP, Skipped, err, kind_text};
use crate::record::{Body, Visibility};
use crate::schedule::{
    Day, Event, EventDraft, EventKind, Exception, Frequency, OccurrenceChange, Recurrence,
    end_of_day, resolve_local,
};

/// Years after the last date a zone is seen on for which a zone the file
/// defines must agree with the IANA zone it is matched to.
const MATCH_YEARS_AFTER: i32 = 2;

/// A content line after unfolding: NAME;PARAM=VALUE:VALUE, with its line number.
#[derive(Clone, Debug)]
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

/// Unfolded lines (CRLF or LF; a byte-order mark at the start ignored),
/// each parsed or the problem with it.
fn content_lines(text: &str) -> Vec<Result<Line, IcsError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut raw: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix([' ', '\t'])
            && let Some((_, current)) = raw.last_mut()
        {
            current.push_str(rest);
        } else if !line.trim().is_empty() {
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

/// A component (VEVENT, VALARM, VTIMEZONE, ...) with its BEGIN line, its
/// properties, its children, and the first line inside it that could not
/// be read.
#[derive(Debug, Default)]
struct Block {
    name: String,
    line: usize,
    props: Vec<Line>,
    children: Vec<Block>,
    damaged: Option<IcsError>,
}

impl Block {
    fn get(&self, name: &str) -> Option<&Line> {
        self.props.iter().find(|l| l.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.props.iter().filter(move |l| l.name == name)
    }

    /// The first damaged line in it or any of its children.
    fn damage(&self) -> Option<&IcsError> {
        self.damaged
            .as_ref()
            .or_else(|| self.children.iter().find_map(Block::damage))
    }
}

/// The file's calendars, or the reason it is not one.
fn blocks(lines: Vec<Result<Line, IcsError>>) -> Result<Vec<Block>, IcsError> {
    match lines.first() {
        Some(Ok(l)) if l.name == "BEGIN" && l.value.trim().eq_ignore_ascii_case("VCALENDAR") => {}
        Some(Ok(l)) => return err(l.number, "a calendar file starts with BEGIN:VCALENDAR."),
        Some(Err(e)) => return Err(e.clone()),
        None => return err(1, "the file is empty; choose an .ics calendar file."),
    }
    let mut stack: Vec<Block> = Vec::new();
    let mut calendars: Vec<Block> = Vec::new();
    for line in lines {
        let line = match line {
            Ok(line) => line,
            Err(e) => match stack.last_mut() {
                Some(open) => {
                    open.damaged.get_or_insert(e);
                    continue;
                }
                None => return Err(e),
            },
        };
        match line.name.as_str() {
            "BEGIN" => stack.push(Block {
                name: line.value.trim().to_ascii_uppercase(),
                line: line.number,
                ..Block::default()
            }),
            "END" => {
                let what = line.value.trim().to_ascii_uppercase();
                match stack.pop() {
                    Some(block) if block.name == what => match stack.last_mut() {
                        Some(parent) => parent.children.push(block),
                        None => calendars.push(block),
                    },
                    Some(block) => {
                        return err(
                            line.number,
                            format!(
                                "END:{what} closes BEGIN:{} from line {}; the file is damaged or cut off.",
                                block.name, block.line
                            ),
                        );
                    }
                    None => {
                        return err(line.number, format!("END:{what} without a matching BEGIN."));
                    }
                }
            }
            _ => match stack.last_mut() {
                Some(open) => open.props.push(line),
                None => {
                    return err(
                        line.number,
                        "a property outside BEGIN:VCALENDAR ... END:VCALENDAR.",
                    );
                }
            },
        }
    }
    if let Some(open) = stack.pop() {
        return err(
            open.line,
            format!(
                "BEGIN:{} is never closed; the file may be cut off.",
                open.name
            ),
        );
    }
    Ok(calendars)
}

/// A date or date-time value as the file gives it.
#[derive(Clone, Debug, PartialEq)]
enum When {
    Date(NaiveDate),
    /// A local time in a zone (the TZID's, or the default for a floating time).
    Local(NaiveDateTime, String),
    Utc(NaiveDateTime),
}

impl When {
    /// The local time this is in `zone` (a date is its midnight). A time
    /// already in `zone` is kept as written, even inside a DST gap, so that
    /// it names the same occurrence the rule gives.
    fn local_in(&self, zone: &str) -> NaiveDateTime {
        let to: Tz = zone.parse().unwrap_or(Tz::UTC);
        match self {
            When::Date(d) => d.and_time(NaiveTime::MIN),
            When::Local(t, z) if z == zone => *t,
            When::Local(t, z) => {
                let from: Tz = z.parse().unwrap_or(Tz::UTC);
                resolve_local(from, *t).with_timezone(&to).naive_local()
            }
            When::Utc(t) => t.and_utc().with_timezone(&to).naive_local(),
        }
    }

    fn instant(&self, zone: &str) -> DateTime<chrono::Utc> {
        let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
        resolve_local(tz, self.local_in(zone)).with_timezone(&chrono::Utc)
    }
}

/// How the file's TZIDs read: an IANA zone name, or why not.
struct Zones {
    by_tzid: HashMap<String, Result<String, String>>,
}

impl Zones {
    fn resolve(&self, line: &Line, tzid: &str) -> Result<String, IcsError> {
        match self.by_tzid.get(tzid) {
            Some(Ok(zone)) => Ok(zone.clone()),
            Some(Err(why)) => err(line.number, why.clone()),
            None => match zones::named_zone(tzid) {
                Some(tz) => Ok(tz.name().to_owned()),
                None => err(line.number, unknown_zone(tzid)),
            },
        }
    }
}

fn unknown_zone(tzid: &str) -> String {
    format!(
        "the time zone \"{tzid}\" is not an IANA zone (such as America/Denver), not a Windows zone, and not defined in the file; export the calendar again with its time zones."
    )
}

/// One value of a date or date-time property.
fn when(line: &Line, value: &str, zones: &Zones, default_zone: &str) -> Result<When, IcsError> {
    let v = value.trim();
    if line
        .param("VALUE")
        .is_some_and(|t| t.eq_ignore_ascii_case("DATE"))
        || v.len() == 8
    {
        return NaiveDate::parse_from_str(v, "%Y%m%d")
            .map(When::Date)
            .or_else(|_| {
                err(
                    line.number,
                    format!("\"{v}\" is not a date (expected YYYYMMDD)."),
                )
            });
    }
    let (text, utc) = match v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
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
        return Ok(When::Utc(local));
    }
    match line.param("TZID") {
        Some(tzid) => Ok(When::Local(local, zones.resolve(line, tzid)?)),
        None => Ok(When::Local(local, default_zone.to_owned())),
    }
}

/// Each comma-separated value of a property.
fn whens(line: &Line, zones: &Zones, default_zone: &str) -> Result<Vec<When>, IcsError> {
    if line
        .param("VALUE")
        .is_some_and(|t| t.eq_ignore_ascii_case("PERIOD"))
        || line.value.contains('/')
    {
        return err(
            line.number,
            format!(
                "{} with a period (a start and an end) is not something Steady keeps; a session added to a series lasts as long as the series' sessions.",
                line.name
            ),
        );
    }
    line.value
        .split(',')
        .filter(|v| !v.trim().is_empty())
        .map(|v| when(line, v, zones, default_zone))
        .collect()
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

/// The rule's parts Steady keeps, or the line and the part it cannot.
fn rrule(
    line: &Line,
    start: NaiveDateTime,
    zone: &str,
    zones: &Zones,
    all_day: bool,
) -> Result<Recurrence, IcsError> {
    let mut rule = Recurrence {
        interval: 1,
        ..Recurrence::default()
    };
    let mut freq = None;
    let mut days: Vec<(Option<i8>, Day)> = Vec::new();
    let mut set_pos: Vec<i8> = Vec::new();
    let number = |key: &str, value: &str| -> Result<i64, IcsError> {
        value
            .trim()
            .parse()
            .or_else(|_| err(line.number, format!("{key}={value} is not a number.")))
    };
    for part in line.value.split(';').filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return err(line.number, format!("RRULE part \"{part}\" has no value."));
        };
        let key = key.trim().to_ascii_uppercase();
        match key.as_str() {
            "FREQ" => {
                freq = Some(match value.trim().to_ascii_uppercase().as_str() {
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
                rule.interval = u16::try_from(number(&key, value)?)
                    .or_else(|_| err(line.number, format!("INTERVAL={value} is out of range.")))?
            }
            "COUNT" => {
                rule.count = Some(
                    u32::try_from(number(&key, value)?)
                        .or_else(|_| err(line.number, format!("COUNT={value} is out of range.")))?,
                )
            }
            "UNTIL" => {
                let until = when(line, value, zones, zone)?;
                rule.until = Some(match until {
                    // A date alone: that whole day.
                    When::Date(d) => end_of_day(d),
                    other if all_day => end_of_day(other.local_in(zone).date()),
                    other => other.local_in(zone),
                });
            }
            "BYDAY" => {
                for d in value.split(',') {
                    let d = d.trim();
                    let split = d.len().saturating_sub(2);
                    let (n, code) = d.split_at(split);
                    let Some(day) = Day::from_code(code) else {
                        return err(line.number, format!("BYDAY={d} is not a weekday."));
                    };
                    let n = if n.is_empty() {
                        None
                    } else {
                        match n.trim_start_matches('+').parse::<i8>() {
                            Ok(n) if n != 0 => Some(n),
                            _ => return err(line.number, format!("BYDAY={d} is not a weekday.")),
                        }
                    };
                    days.push((n, day));
                }
            }
            "BYSETPOS" => {
                for p in value.split(',') {
                    set_pos.push(
                        i8::try_from(number(&key, p)?).or_else(|_| {
                            err(line.number, format!("BYSETPOS={p} is out of range."))
                        })?,
                    );
                }
            }
            "BYMONTHDAY" => {
                // Kept only when it says what the start already does.
                let day = number(&key, value)?;
                if day != i64::from(start.day()) {
                    return err(
                        line.number,
                        format!(
                            "BYMONTHDAY={value}: Steady repeats monthly on the first session's day of the month ({}), not on another.",
                            start.day()
                        ),
                    );
                }
            }
            "WKST" => {
                rule.week_start = Day::from_code(value.trim()).map_or_else(
                    || err(line.number, format!("WKST={value} is not a weekday.")),
                    Ok,
                )?;
            }
            other => {
                return err(
                    line.number,
                    format!(
                        "the RRULE part {other} is not something Steady can repeat by; it keeps FREQ, INTERVAL, BYDAY, COUNT, UNTIL and WKST."
                    ),
                );
            }
        }
    }
    rule.frequency = match freq {
        Some(f) => f,
        None => return err(line.number, "an RRULE needs FREQ."),
    };
    // BYDAY: plain weekdays, or numbered ones (2TU, -1FR) in a monthly rule
    // that name the same positions for every weekday chosen.
    let numbered: Vec<i8> = days.iter().filter_map(|(n, _)| *n).collect();
    let mut plain: Vec<Day> = Vec::new();
    for (_, d) in &days {
        if !plain.contains(d) {
            plain.push(*d);
        }
    }
    if !numbered.is_empty() {
        if numbered.len() != days.len() || rule.frequency != Frequency::Monthly {
            return err(
                line.number,
                "BYDAY mixes numbered weekdays (like 2TU) with plain ones, or numbers them outside a monthly rule; Steady cannot keep that.",
            );
        }
        let mut nth: Vec<i8> = Vec::new();
        for n in &numbered {
            if !nth.contains(n) {
                nth.push(*n);
            }
        }
        let product = nth.len() * plain.len() == days.len()
            && plain
                .iter()
                .all(|d| nth.iter().all(|n| days.contains(&(Some(*n), *d))));
        if !product {
            return err(
                line.number,
                "BYDAY gives different positions for different weekdays (like 1MO,3TH); Steady keeps one list of positions for all the weekdays chosen.",
            );
        }
        rule.nth = nth;
    } else if !set_pos.is_empty() {
        if rule.frequency != Frequency::Monthly || plain.len() != 1 {
            return err(
                line.number,
                "BYSETPOS is kept only for a monthly rule on one weekday (the 2nd Tuesday).",
            );
        }
        rule.nth = set_pos.clone();
    }
    if !set_pos.is_empty() && !numbered.is_empty() {
        return err(
            line.number,
            "BYSETPOS with numbered weekdays is not something Steady can repeat by.",
        );
    }
    rule.by_day = plain;
    Ok(rule)
}

/// What one VEVENT says, before its overrides are applied; where each
/// cancelled occurrence came from.
struct Read {
    draft: EventDraft,
    exdate_lines: Vec<(NaiveDateTime, usize)>,
}

fn read_event(
    e: &Block,
    zones: &Zones,
    default_zone: &str,
    zone_of_series: Option<&str>,
) -> Result<Read, IcsError> {
    if let Some(damage) = e.damage() {
        return Err(damage.clone());
    }
    let Some(start_line) = e.get("DTSTART") else {
        return err(
            e.line,
            "this event has no DTSTART, so Steady cannot tell when it is.",
        );
    };
    let default = zone_of_series.unwrap_or(default_zone);
    let start = when(start_line, &start_line.value, zones, default)?;
    let zone = match &start {
        When::Local(_, z) => z.clone(),
        When::Utc(_) => zone_of_series.unwrap_or("UTC").to_owned(),
        When::Date(_) => default.to_owned(),
    };
    let all_day = matches!(start, When::Date(_));
    let start_local = start.local_in(&zone);
    let minutes = if let Some(end) = e.get("DTEND") {
        let end = when(end, &end.value, zones, &zone)?;
        match (&start, &end) {
            (When::Date(a), When::Date(b)) => (*b - *a).num_days() * 1440,
            (When::Date(_), _) | (_, When::Date(_)) => {
                return err(
                    e.get("DTEND").map_or(e.line, |l| l.number),
                    "DTEND is a date where DTSTART is a time, or the other way round; both should be one kind.",
                );
            }
            _ => (end.instant(&zone) - start.instant(&zone)).num_minutes(),
        }
    } else if let Some(d) = e.get("DURATION") {
        duration_minutes(d)?
    } else if all_day {
        1440
    } else {
        // RFC 5545: a time with no end or duration takes no time; Steady
        // sessions last at least a minute.
        1
    };
    let text = |name: &str| e.get(name).map(|l| unescape(&l.value)).unwrap_or_default();
    let recurrence = e
        .get("RRULE")
        .map(|l| rrule(l, start_local, &zone, zones, all_day))
        .transpose()?;
    if e.all("RRULE").count() > 1 {
        return err(
            e.all("RRULE").nth(1).map_or(e.line, |l| l.number),
            "this event has more than one RRULE; Steady keeps one rule per series.",
        );
    }
    if let Some(x) = e.get("EXRULE") {
        return err(
            x.number,
            "EXRULE (sessions removed by a rule) is not something Steady keeps; list the cancelled sessions with EXDATE.",
        );
    }
    let mut exdate_lines = Vec::new();
    for ex in e.all("EXDATE") {
        for w in whens(ex, zones, &zone)? {
            exdate_lines.push((w.local_in(&zone), ex.number));
        }
    }
    let mut added = Vec::new();
    for r in e.all("RDATE") {
        for w in whens(r, zones, &zone)? {
            added.push(w.local_in(&zone));
        }
    }
    let mut reminders = Vec::new();
    for alarm in e.children.iter().filter(|c| c.name == "VALARM") {
        if alarm
            .get("ACTION")
            .is_some_and(|a| a.value.trim().eq_ignore_ascii_case("NONE"))
        {
            // Apple Calendar's placeholder for "no alert".
            continue;
        }
        let Some(t) = alarm.get("TRIGGER") else {
            continue;
        };
        if t.param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"))
        {
            return err(
                t.number,
                "a reminder at a fixed date and time; Steady reminds a number of minutes before each session.",
            );
        }
        let mut m = duration_minutes(t)?;
        if t.param("RELATED")
            .is_some_and(|r| r.eq_ignore_ascii_case("END"))
        {
            m += minutes;
        }
        if m > 0 {
            return err(
                t.number,
                "a reminder after the session has started; Steady reminds before a session or at its start.",
            );
        }
        reminders.push((-m).min(i64::from(i32::MAX)) as i32);
    }
    let visibility = match e.get("X-STEADY-VISIBILITY").map(|l| l.value.trim()) {
        Some("private") => Visibility::Private,
        _ => Visibility::CareTeam,
    };
    let title = text("SUMMARY");
    let draft = EventDraft {
        title: if title.trim().is_empty() {
            "Session".into()
        } else {
            title
        },
        kind: e
            .get("X-STEADY-KIND")
            .map(|l| l.value.trim().to_owned())
            .unwrap_or_else(|| kind_text(EventKind::Other)),
        place: text("LOCATION"),
        link: text("URL"),
        start: Some(start_local),
        zone,
        duration_minutes: minutes.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        recurrence,
        exceptions: Vec::new(),
        added,
        all_day,
        source: None,
        reminder_minutes: reminders,
        visibility,
    };
    Ok(Read {
        draft,
        exdate_lines,
    })
}

/// An event Steady's own checks refuse, skipped at its BEGIN line with
/// what they said.
fn refused(e: &Block, problems: &crate::validation::ValidationErrors) -> Skipped {
    let words: Vec<&str> = problems
        .fields()
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    Skipped {
        line: e.line,
        title: title_of(e),
        reason: words.join(" "),
    }
}

fn title_of(e: &Block) -> String {
    e.get("SUMMARY")
        .map(|l| unescape(&l.value))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Untitled event".into())
}

/// The zones a file defines, and for each TZID the dates it is used on.
fn read_zones(calendars: &[Block]) -> Zones {
    let mut defined: BTreeMap<String, (usize, Result<Definition, String>)> = BTreeMap::new();
    let mut used: BTreeMap<String, (NaiveDate, NaiveDate)> = BTreeMap::new();
    for block in calendars.iter().flat_map(|c| &c.children) {
        if block.name == "VTIMEZONE" {
            if let Some(tzid) = block.get("TZID") {
                defined.insert(
                    tzid.value.trim().to_owned(),
                    (block.line, definition(block)),
                );
            }
            continue;
        }
        let mut visit = |b: &Block| {
            for l in &b.props {
                if let Some(tzid) = l.param("TZID") {
                    for v in l.value.split(',') {
                        if let Ok(d) = NaiveDate::parse_from_str(v.get(..8).unwrap_or(""), "%Y%m%d")
                        {
                            let span = used.entry(tzid.to_owned()).or_insert((d, d));
                            *span = (span.0.min(d), span.1.max(d));
                        }
                    }
                }
            }
        };
        visit(block);
    }
    let mut by_tzid = HashMap::new();
    for (tzid, (from, to)) in used {
        if zones::named_zone(&tzid).is_some() {
            continue;
        }
        let resolved = match defined.get(&tzid) {
            None => Err(unknown_zone(&tzid)),
            Some((line, Err(why))) => Err(format!(
                "the time zone \"{tzid}\" defined on line {line} cannot be read: {why}"
            )),
            Some((line, Ok(def))) => {
                let last = to.with_year(to.year() + MATCH_YEARS_AFTER).unwrap_or(to);
                zones::match_definition(def, from, last)
                    .map(|tz| tz.name().to_owned())
                    .ok_or_else(|| {
                        format!(
                            "the time zone \"{tzid}\" defined on line {line} does not keep the offsets of any IANA zone from {from} to {last}, so Steady cannot place its times across daylight-saving changes."
                        )
                    })
            }
        };
        by_tzid.insert(tzid, resolved);
    }
    Zones { by_tzid }
}

fn definition(block: &Block) -> Result<Definition, String> {
    let mut def = Definition {
        tzid: block
            .get("TZID")
            .map(|l| l.value.clone())
            .unwrap_or_default(),
        observances: Vec::new(),
    };
    for o in block
        .children
        .iter()
        .filter(|c| c.name == "STANDARD" || c.name == "DAYLIGHT")
    {
        let offset = |name: &str| -> Result<i32, String> {
            let line = o
                .get(name)
                .ok_or_else(|| format!("{} on line {} has no {name}.", o.name, o.line))?;
            zones::parse_offset(&line.value).ok_or_else(|| {
                format!(
                    "line {}: \"{}\" is not an offset such as -0700.",
                    line.number, line.value
                )
            })
        };
        let start = o
            .get("DTSTART")
            .and_then(|l| NaiveDateTime::parse_from_str(l.value.trim(), STAMP).ok())
            .ok_or_else(|| format!("{} on line {} has no DTSTART it can read.", o.name, o.line))?;
        let mut dates = Vec::new();
        for r in o.all("RDATE") {
            for v in r.value.split(',') {
                dates.push(
                    NaiveDateTime::parse_from_str(v.trim().trim_end_matches('Z'), STAMP).map_err(
                        |_| format!("line {}: \"{v}\" is not a date and time.", r.number),
                    )?,
                );
            }
        }
        def.observances.push(Observance {
            start,
            from: offset("TZOFFSETFROM")?,
            to: offset("TZOFFSETTO")?,
            rule: o.get("RRULE").map(|l| l.value.trim().to_owned()),
            dates,
        });
    }
    if !def.readable() {
        return Err("its STANDARD and DAYLIGHT parts and their rules could not be read.".into());
    }
    Ok(def)
}

/// Reads a calendar file into event drafts that pass Steady's checks, and
/// the events skipped with their line and why; or says why the file as a
/// whole cannot be read. Times without a zone are read in `default_zone`.
pub fn import(
    text: &str,
    default_zone: &str,
    now: DateTime<FixedOffset>,
) -> Result<Import, IcsError> {
    let calendars = blocks(content_lines(text))?;
    if let Some(c) = calendars.iter().find(|c| c.name != "VCALENDAR") {
        return err(c.line, format!("BEGIN:{} outside a calendar.", c.name));
    }
    let zones = read_zones(&calendars);
    let events: Vec<&Block> = calendars
        .iter()
        .flat_map(|c| &c.children)
        .filter(|b| b.name == "VEVENT")
        .collect();
    let mut skipped: Vec<Skipped> = Vec::new();
    let skip = |e: &Block, error: IcsError| Skipped {
        line: error.line,
        title: title_of(e),
        reason: error.message,
    };
    // Series (and single events) first, then the sessions that change them.
    struct Series<'a> {
        block: &'a Block,
        read: Read,
        changes: Vec<(Exception, usize)>,
    }
    let mut series: Vec<Series> = Vec::new();
    let mut skipped_uids: HashMap<String, usize> = HashMap::new();
    let mut by_uid: HashMap<String, usize> = HashMap::new();
    for e in events.iter().filter(|e| e.get("RECURRENCE-ID").is_none()) {
        let uid = e.get("UID").map(|u| u.value.trim().to_owned());
        if e.get("STATUS")
            .is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED"))
        {
            let line = e.get("STATUS").map_or(e.line, |l| l.number);
            skipped.push(skip(
                e,
                IcsError {
                    line,
                    message: "the calendar marks this event as cancelled.".into(),
                },
            ));
            if let Some(uid) = uid {
                skipped_uids.insert(uid, e.line);
            }
            continue;
        }
        match read_event(e, &zones, default_zone, None) {
            Ok(read) => {
                if let Some(uid) = uid {
                    by_uid.insert(uid, series.len());
                }
                series.push(Series {
                    block: e,
                    read,
                    changes: Vec::new(),
                });
            }
            Err(error) => {
                if let Some(uid) = uid {
                    skipped_uids.insert(uid, e.line);
                }
                skipped.push(skip(e, error));
            }
        }
    }
    for o in events.iter().filter(|e| e.get("RECURRENCE-ID").is_some()) {
        let rid = o.get("RECURRENCE-ID").expect("filtered above");
        let uid = o
            .get("UID")
            .map(|u| u.value.trim().to_owned())
            .unwrap_or_default();
        let Some(&index) = by_uid.get(&uid) else {
            let message = match skipped_uids.get(&uid) {
                Some(line) => format!(
                    "a change to one session of the series on line {line}, which was skipped."
                ),
                None => {
                    "a change to one session of a series (by UID) that is not in the file.".into()
                }
            };
            skipped.push(skip(
                o,
                IcsError {
                    line: o.line,
                    message,
                },
            ));
            continue;
        };
        if rid
            .param("RANGE")
            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"))
        {
            skipped.push(skip(o, IcsError {
                line: rid.number,
                message: "a change to this and every later session (RANGE=THISANDFUTURE); Steady changes one session at a time.".into(),
            }));
            continue;
        }
        let master = &series[index].read.draft;
        let zone = master.zone.clone();
        let occurrence = match when(rid, &rid.value, &zones, &zone) {
            Ok(w) => w.local_in(&zone),
            Err(error) => {
                skipped.push(skip(o, error));
                continue;
            }
        };
        let cancelled = o
            .get("STATUS")
            .is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED"));
        let change = if cancelled {
            OccurrenceChange::Cancelled
        } else {
            match read_event(o, &zones, &zone, Some(&zone)) {
                Ok(moved) => OccurrenceChange::Moved {
                    start: moved
                        .draft
                        .start
                        .map(|s| When::Local(s, moved.draft.zone.clone()).local_in(&zone))
                        .unwrap_or(occurrence),
                    duration_minutes: moved.draft.duration_minutes.max(1) as u32,
                },
                Err(error) => {
                    skipped.push(skip(o, error));
                    continue;
                }
            }
        };
        series[index]
            .changes
            .push((Exception { occurrence, change }, o.line));
    }
    // Each series with its cancelled and moved sessions, checked as Steady
    // checks an event; a change that names no session of its series is
    // skipped on its own, with its line.
    let mut out = Vec::new();
    for s in series {
        let mut draft = s.read.draft.clone();
        let bare = Event::from_draft(draft.clone(), now);
        let event = match bare {
            Ok(event) => event,
            Err(problems) => {
                skipped.push(refused(s.block, &problems));
                continue;
            }
        };
        // A start the rule does not give is a session in other calendars
        // (RFC 5545 leaves it open; Google, Outlook and python-dateutil's
        // readers show it): Steady keeps it as an added session.
        let (event, draft) = if event.recurrence.is_some()
            && event.first_rule_start() != Some(event.start)
            && !event.added.contains(&event.start)
        {
            draft.added.push(event.start);
            match Event::from_draft(draft.clone(), now) {
                Ok(event) => (event, draft),
                Err(problems) => {
                    skipped.push(refused(s.block, &problems));
                    continue;
                }
            }
        } else {
            (event, draft)
        };
        let mut draft = draft;
        let mut exceptions: Vec<Exception> = Vec::new();
        // A cancellation that names no session changes nothing in any
        // calendar; it is left out.
        for (occurrence, _) in &s.read.exdate_lines {
            if event.has_occurrence(*occurrence)
                && !exceptions.iter().any(|x| x.occurrence == *occurrence)
            {
                exceptions.push(Exception {
                    occurrence: *occurrence,
                    change: OccurrenceChange::Cancelled,
                });
            }
        }
        for (change, line) in s.changes {
            if !event.has_occurrence(change.occurrence) {
                skipped.push(Skipped {
                    line,
                    title: title_of(s.block),
                    reason: format!(
                        "RECURRENCE-ID names {}, which is not a session of the series on line {}.",
                        change.occurrence.format("%Y-%m-%d %H:%M"),
                        s.block.line
                    ),
                });
                continue;
            }
            exceptions.retain(|x| x.occurrence != change.occurrence);
            exceptions.push(change);
        }
        draft.exceptions = exceptions;
        match Event::from_draft(draft.clone(), now) {
            Ok(_) => out.push(ImportedEvent {
                line: s.block.line,
                draft,
            }),
            Err(problems) => {
                skipped.push(refused(s.block, &problems));
            }
        }
    }
    skipped.sort_by_key(|s| s.line);
    Ok(Import {
        events: out,
        skipped,
    })
}
