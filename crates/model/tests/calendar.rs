//! Calendar files checked against an implementation nobody here wrote:
//! random series (zones with half-hour and midnight DST changes; COUNT and
//! UNTIL; cancelled, moved and added sessions; weekly on several days with
//! either week start; monthly by day and by weekday) are compared,
//! occurrence by occurrence over two years, between (a) Steady's expansion,
//! (b) Python icalendar with recurring-ical-events reading Steady's exported
//! file, and (c) Steady's import of the same series written by Python
//! icalendar. Run by `cargo xtask test`, which installs both from PyPI and
//! sets STEADY_PYTHON. The seed is printed; STEADY_CALENDAR_SEED reruns one,
//! STEADY_CALENDAR_SERIES sets how many (300 by default).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use steady_model::record::Body;
use steady_model::schedule::resolve_local;
use steady_model::{
    Day, Event, EventDraft, Exception, Frequency, OccurrenceChange, RecordId, Recurrence, ics,
};

/// Zones with the changes that break calendars: US and EU rules, a
/// half-hour DST shift (Lord Howe), changes at midnight (Havana, Santiago,
/// Asuncion), a 45-minute offset (Chatham), a half-hour offset with DST
/// (St John's), and none at all (Kolkata).
const ZONES: [&str; 10] = [
    "America/Denver",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "America/Asuncion",
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kolkata",
];
const DAYS: [Day; 7] = [
    Day::Mo,
    Day::Tu,
    Day::We,
    Day::Th,
    Day::Fr,
    Day::Sa,
    Day::Su,
];

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap(),
    )
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
}

/// A random series, valid by Steady's rules.
fn random_event(rng: &mut fastrand::Rng) -> Event {
    let zone = ZONES[rng.usize(..ZONES.len())];
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(rng.i64(0..365));
    // Hours that fall in gaps and folds somewhere, and ordinary ones.
    let hour = [0, 0, 1, 2, 2, 3, 9, 12, 18, 23][rng.usize(..10)];
    let minute = [0, 15, 30, 45][rng.usize(..4)];
    let start = day.and_hms_opt(hour, minute, 0).unwrap();
    let frequency = [
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Weekly,
        Frequency::Monthly,
    ][rng.usize(..4)];
    let mut rule = Recurrence {
        frequency,
        interval: [1, 1, 2, 3][rng.usize(..4)],
        week_start: if rng.bool() {
            Day::Mo
        } else {
            DAYS[rng.usize(..7)]
        },
        ..Recurrence::default()
    };
    match frequency {
        Frequency::Weekly if rng.bool() => {
            let mut days: Vec<Day> = (0..rng.usize(1..4)).map(|_| DAYS[rng.usize(..7)]).collect();
            days.sort();
            days.dedup();
            rule.by_day = days;
        }
        Frequency::Monthly if rng.bool() => {
            // By weekday: the 2nd Tuesday, the 1st and 3rd Thursday, the last Friday.
            rule.by_day = vec![DAYS[rng.usize(..7)]];
            rule.nth = match rng.usize(..3) {
                0 => vec![rng.i8(1..5)],
                1 => vec![1, 3],
                _ => vec![-1],
            };
        }
        _ => {}
    }
    match rng.usize(..3) {
        0 => rule.count = Some(rng.u32(1..60)),
        1 => {
            let last = day + Duration::days(rng.i64(0..700));
            let at = [(12, 0, 0), (18, 0, 0), (23, 59, 59)][rng.usize(..3)];
            rule.until = Some(last.and_hms_opt(at.0, at.1, at.2).unwrap());
        }
        _ => {}
    }
    let mut draft = EventDraft {
        title: "Group".into(),
        kind: "twelve_step".into(),
        start: Some(start),
        zone: zone.into(),
        duration_minutes: [30, 60, 90, 180][rng.usize(..4)],
        recurrence: Some(rule),
        ..EventDraft::default()
    };
    if rng.usize(..4) == 0 {
        draft.added = vec![start + Duration::days(rng.i64(1..400)) + Duration::minutes(30)];
    }
    let bare = Event::from_draft(draft.clone(), now()).expect("a valid random series");
    let (from, to) = window();
    let all = bare.occurrences_between(from, to);
    // Cancel and move a few of its own sessions.
    let mut exceptions: Vec<Exception> = Vec::new();
    for _ in 0..rng.usize(0..4) {
        if all.is_empty() {
            break;
        }
        let o = &all[rng.usize(..all.len())];
        if exceptions.iter().any(|e| e.occurrence == o.original) {
            continue;
        }
        let change = if rng.bool() {
            OccurrenceChange::Cancelled
        } else {
            OccurrenceChange::Moved {
                start: o.original + Duration::minutes([-90, 60, 1440][rng.usize(..3)]),
                duration_minutes: 45,
            }
        };
        exceptions.push(Exception {
            occurrence: o.original,
            change,
        });
    }
    draft.exceptions = exceptions;
    Event::from_draft(draft, now()).expect("a valid random series with its changes")
}

type Times = BTreeMap<String, Vec<(String, String)>>;

fn steady_times(events: &[(String, Event)]) -> Times {
    let (from, to) = window();
    events
        .iter()
        .map(|(uid, e)| {
            let mut times: Vec<(String, String)> = e
                .occurrences_between(from, to)
                .into_iter()
                .map(|o| {
                    (
                        o.start.with_timezone(&Utc).to_rfc3339(),
                        o.end.with_timezone(&Utc).to_rfc3339(),
                    )
                })
                .collect();
            times.sort();
            (uid.clone(), times)
        })
        .filter(|(_, t)| !t.is_empty())
        .collect()
}

fn python_times(value: &Value) -> Times {
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(uid, list)| {
            let mut times: Vec<(String, String)> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| {
                    let t = |i: usize| {
                        DateTime::parse_from_rfc3339(pair[i].as_str().unwrap())
                            .unwrap()
                            .with_timezone(&Utc)
                            .to_rfc3339()
                    };
                    (t(0), t(1))
                })
                .collect();
            times.sort();
            (uid.clone(), times)
        })
        .collect()
}

fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The series as Python icalendar is asked to write it.
fn spec(uid: &str, e: &Event) -> Value {
    let rule = e.recurrence.as_ref().unwrap();
    let byday: Vec<String> = if rule.nth.is_empty() {
        rule.by_day.iter().map(|d| d.code().to_owned()).collect()
    } else {
        rule.by_day
            .iter()
            .flat_map(|d| rule.nth.iter().map(move |n| format!("{n}{}", d.code())))
            .collect()
    };
    let tz: Tz = e.zone.parse().unwrap();
    json!({
        "uid": uid,
        "zone": e.zone,
        // As a calendar writes it: from the rule's first session.
        "start": local_text(e.first_rule_start().unwrap_or(e.start)),
        "minutes": e.duration_minutes,
        "freq": format!("{:?}", rule.frequency).to_lowercase(),
        "interval": rule.interval,
        "byday": byday,
        "wkst": rule.week_start.code(),
        "count": rule.count,
        "until": rule.until.map(|u| resolve_local(tz, u).with_timezone(&Utc).to_rfc3339()),
        // A rule that gives no session starts at the event's start, cancelled.
        "exdates": e.first_rule_start().is_none().then_some(e.start).into_iter()
            .chain(e.exceptions.iter()
                .filter(|x| x.change == OccurrenceChange::Cancelled)
                .map(|x| x.occurrence))
            .map(local_text).collect::<Vec<_>>(),
        "rdates": e.added.iter().map(|t| local_text(*t)).collect::<Vec<_>>(),
        "moved": e.exceptions.iter().filter_map(|x| match x.change {
            OccurrenceChange::Moved { start, duration_minutes } =>
                Some(json!([local_text(x.occurrence), local_text(start), duration_minutes])),
            OccurrenceChange::Cancelled => None,
        }).collect::<Vec<_>>(),
    })
}

fn python(request: &Value) -> Value {
    let python = std::env::var_os("STEADY_PYTHON").expect(
        "STEADY_PYTHON is not set: run `cargo xtask test`, which installs icalendar and recurring-ical-events from PyPI and says where",
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/calendar_check.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the Python of `cargo xtask test`");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "calendar_check.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The first difference between two sets of occurrences, in words.
fn differences(
    what: &str,
    expected: &Times,
    got: &Times,
    events: &[(String, Event)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (uid, event) in events {
        let a = expected.get(uid).cloned().unwrap_or_default();
        let b = got.get(uid).cloned().unwrap_or_default();
        if a != b {
            let first = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            out.push(format!(
                "{what}: {uid} ({} occurrences vs {}; first difference at #{first}: {:?} vs {:?})\n  series: {}",
                a.len(),
                b.len(),
                a.get(first),
                b.get(first),
                serde_json::to_string(&spec(uid, event)).unwrap()
            ));
        }
    }
    out
}

#[test]
fn steady_python_icalendar_and_steadys_import_agree_on_every_occurrence() {
    let seed: u64 = std::env::var("STEADY_CALENDAR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let count: usize = std::env::var("STEADY_CALENDAR_SERIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    println!(
        "calendar differential: seed {seed} (rerun with STEADY_CALENDAR_SEED={seed}), {count} series"
    );
    let began = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed);
    let events: Vec<(String, Event)> = (0..count)
        .map(|i| (format!("series-{i}"), random_event(&mut rng)))
        .collect();
    // (a) Steady's own expansion.
    let expected = steady_times(&events);
    // Steady's export; UIDs are the record ids with "@steady".
    let ids: Vec<(RecordId, Event)> = events
        .iter()
        .map(|(_, e)| (RecordId::new(), e.clone()))
        .collect();
    let file = ics::export(&ids, Utc::now());
    let (from, to) = window();
    let reply = python(&json!({
        "from": from.to_rfc3339(),
        "to": to.to_rfc3339(),
        "read": [file],
        "write": events.iter().map(|(uid, e)| spec(uid, e)).collect::<Vec<_>>(),
    }));
    // (b) Python reading Steady's file.
    let by_record: Times = python_times(&reply["read"][0]);
    let outside_read: Times = ids
        .iter()
        .zip(&events)
        .filter_map(|((id, _), (uid, _))| {
            by_record
                .get(&format!("{id}@steady"))
                .map(|t| (uid.clone(), t.clone()))
        })
        .collect();
    // (c) Steady importing Python's file.
    let written = reply["written"].as_str().unwrap();
    let imported = ics::import(written, "UTC", now()).expect("Python icalendar's file reads");
    assert!(
        imported.skipped.is_empty(),
        "Steady skipped events of Python's file: {:?}",
        imported.skipped
    );
    let mut by_title: Vec<(String, Event)> = imported
        .events
        .into_iter()
        .map(|i| {
            (
                i.draft.title.clone(),
                Event::from_draft(i.draft, now()).unwrap(),
            )
        })
        .collect();
    by_title.sort_by(|a, b| a.0.cmp(&b.0));
    let imported_times = steady_times(&by_title);

    let occurrences: usize = expected.values().map(Vec::len).sum();
    let mut mismatches = differences(
        "Python reading Steady's file",
        &expected,
        &outside_read,
        &events,
    );
    mismatches.extend(differences(
        "Steady importing Python's file",
        &expected,
        &imported_times,
        &events,
    ));
    println!(
        "calendar differential: {count} series, {occurrences} occurrences compared three ways, {} mismatched series, {:.1} s",
        mismatches.len(),
        began.elapsed().as_secs_f64()
    );
    assert!(
        mismatches.is_empty(),
        "seed {seed}: {} series differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
