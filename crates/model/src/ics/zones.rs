//! Time zones in calendar files. On export, a VTIMEZONE for each zone
//! written from the tz database (chrono-tz) for the years the schedule spans;
//! on import, a TZID read as an IANA name, a Windows name (CLDR's mapping,
//! `windows_zones.rs`), or a zone the file defines itself, matched to the
//! IANA zone whose offsets agree with it over the years its events span.

use chrono::{NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::windows_zones::WINDOWS_ZONES;

/// The IANA zone a TZID names: an IANA name (also inside a longer path, as
/// in "/mozilla.org/20050126_1/America/Denver"), or a Windows zone name.
pub fn named_zone(tzid: &str) -> Option<Tz> {
    let tzid = tzid.trim();
    if let Ok(tz) = tzid.trim_start_matches('/').parse::<Tz>() {
        return Some(tz);
    }
    // A path ending in an IANA name: try each tail after a '/'.
    let parts: Vec<&str> = tzid.split('/').collect();
    for start in 1..parts.len() {
        if let Ok(tz) = parts[start..].join("/").parse::<Tz>() {
            return Some(tz);
        }
    }
    windows_zone(tzid)
}

/// CLDR's IANA zone for a Windows zone name (Outlook's "Mountain Standard Time").
pub fn windows_zone(name: &str) -> Option<Tz> {
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .and_then(|(_, iana)| iana.parse().ok())
}

fn offset_at(tz: Tz, at: NaiveDateTime) -> i32 {
    tz.offset_from_utc_datetime(&at).fix().local_minus_utc()
}

/// One change of offset: the UTC instant it happens, the offsets before and
/// after, and the new offset's abbreviation and whether it is summer time.
struct Transition {
    at: NaiveDateTime,
    from: i32,
    to: i32,
    name: String,
    daylight: bool,
}

fn observance(tz: Tz, at: NaiveDateTime) -> (String, bool) {
    let offset = tz.offset_from_utc_datetime(&at);
    let name = offset
        .abbreviation()
        .map(str::to_owned)
        .unwrap_or_else(|| offset_text(offset.fix().local_minus_utc()));
    (name, !offset.dst_offset().is_zero())
}

/// The zone's offset changes from the start of `from_year` to the end of `to_year`.
fn transitions(tz: Tz, from_year: i32, to_year: i32) -> Vec<Transition> {
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1)
        .unwrap_or_default()
        .and_time(chrono::NaiveTime::MIN);
    let end = NaiveDate::from_ymd_opt(to_year + 1, 1, 1)
        .unwrap_or_default()
        .and_time(chrono::NaiveTime::MIN);
    let mut out = Vec::new();
    let mut at = start;
    let mut offset = offset_at(tz, at);
    // No zone changes its offset twice within 12 hours.
    let step = TimeDelta::hours(12);
    while at < end {
        let next = at + step;
        let next_offset = offset_at(tz, next);
        if next_offset != offset {
            // The first minute of the new offset, by bisection on whole minutes.
            let (mut lo, mut hi) = (0, step.num_minutes());
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if offset_at(tz, at + TimeDelta::minutes(mid)) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = at + TimeDelta::minutes(hi);
            let (name, daylight) = observance(tz, hi);
            out.push(Transition {
                at: hi,
                from: offset,
                to: next_offset,
                name,
                daylight,
            });
            offset = next_offset;
        }
        at = next;
    }
    out
}

/// +0100, -0700, +0545; with seconds when a zone has them.
pub fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    if s.is_multiple_of(60) {
        format!("{sign}{:02}{:02}", s / 3600, s / 60 % 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// A VTIMEZONE for `tz` covering the years `from_year..=to_year`: the
/// offset in force at the start, then one observance per change, its onset
/// written in the local time before the change as RFC 5545 asks.
pub fn vtimezone(tz: Tz, from_year: i32, to_year: i32) -> Vec<(String, String)> {
    const STAMP: &str = "%Y%m%dT%H%M%S";
    let mut lines = vec![
        ("BEGIN".to_owned(), "VTIMEZONE".to_owned()),
        ("TZID".to_owned(), tz.name().to_owned()),
    ];
    let mut push = |kind: &str, onset: NaiveDateTime, from: i32, to: i32, name: &str| {
        lines.push(("BEGIN".into(), kind.into()));
        lines.push(("DTSTART".into(), onset.format(STAMP).to_string()));
        lines.push(("TZOFFSETFROM".into(), offset_text(from)));
        lines.push(("TZOFFSETTO".into(), offset_text(to)));
        lines.push(("TZNAME".into(), name.into()));
        lines.push(("END".into(), kind.into()));
    };
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1)
        .unwrap_or_default()
        .and_time(chrono::NaiveTime::MIN);
    let first = offset_at(tz, start);
    let (name, daylight) = observance(tz, start);
    let kind = |daylight: bool| if daylight { "DAYLIGHT" } else { "STANDARD" };
    push(
        kind(daylight),
        start + TimeDelta::seconds(i64::from(first)),
        first,
        first,
        &name,
    );
    for t in transitions(tz, from_year, to_year) {
        push(
            kind(t.daylight),
            t.at + TimeDelta::seconds(i64::from(t.from)),
            t.from,
            t.to,
            &t.name,
        );
    }
    lines.push(("END".into(), "VTIMEZONE".into()));
    lines
}

/// A zone a file defines in a VTIMEZONE: its observances' onsets (local
/// wall times, read in the offset before) and offsets.
#[derive(Clone, Debug, Default)]
pub struct Definition {
    pub tzid: String,
    pub observances: Vec<Observance>,
}

#[derive(Clone, Debug, Default)]
pub struct Observance {
    pub start: NaiveDateTime,
    pub from: i32,
    pub to: i32,
    /// The RRULE's value, if any.
    pub rule: Option<String>,
    pub dates: Vec<NaiveDateTime>,
}

/// "+0100" -> 3600.
pub fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[0..2].parse().ok()?;
    let m: i32 = digits[2..4].parse().ok()?;
    let s: i32 = if digits.len() == 6 {
        digits[4..6].parse().ok()?
    } else {
        0
    };
    Some(sign * (h * 3600 + m * 60 + s))
}

impl Observance {
    /// The rule, expanded on wall time with UTC standing in for "no zone",
    /// and its own UNTIL as a wall time read with the offset before the
    /// change (applied to the onsets afterwards); None when it cannot be read.
    fn rule_set(&self, rule: &str) -> Option<(rrule::RRuleSet, Option<NaiveDateTime>)> {
        let mut parts = Vec::new();
        let mut rule_until = None;
        for part in rule.split(';') {
            match part.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("UNTIL") => {
                    let v = v.trim_end_matches('Z');
                    rule_until = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                        .ok()
                        .or_else(|| {
                            NaiveDate::parse_from_str(v, "%Y%m%d")
                                .ok()
                                .map(crate::schedule::end_of_day)
                        })
                        .map(|t| t + TimeDelta::seconds(i64::from(self.from)));
                }
                _ => parts.push(part),
            }
        }
        let text = format!(
            "DTSTART:{}Z\nRRULE:{}",
            self.start.format("%Y%m%dT%H%M%S"),
            parts.join(";")
        );
        text.parse::<rrule::RRuleSet>()
            .ok()
            .map(|set| (set, rule_until))
    }

    /// The onsets (as wall times) up to `until`.
    fn onsets(&self, until: NaiveDateTime) -> Vec<NaiveDateTime> {
        let mut out = vec![self.start];
        out.extend(self.dates.iter().copied());
        if let Some((set, rule_until)) = self.rule.as_deref().and_then(|r| self.rule_set(r)) {
            let to = rrule::Tz::UTC.from_utc_datetime(&until);
            let dates = set.before(to).all(2000).dates;
            out.extend(
                dates
                    .into_iter()
                    .map(|d| d.naive_utc())
                    .filter(|d| rule_until.is_none_or(|u| *d <= u)),
            );
        }
        out.retain(|d| *d <= until);
        out
    }
}

impl Definition {
    /// Whether every observance's rule can be read.
    pub fn readable(&self) -> bool {
        !self.observances.is_empty()
            && self
                .observances
                .iter()
                .all(|o| o.rule.as_deref().is_none_or(|r| o.rule_set(r).is_some()))
    }

    /// The UTC instants the offset changes until `until`, with the offset after.
    fn changes(&self, until: NaiveDateTime) -> Vec<(NaiveDateTime, i32, i32)> {
        let mut out: Vec<(NaiveDateTime, i32, i32)> = self
            .observances
            .iter()
            .flat_map(|o| {
                o.onsets(until + TimeDelta::days(1))
                    .into_iter()
                    .map(move |wall| (wall - TimeDelta::seconds(i64::from(o.from)), o.from, o.to))
            })
            .collect();
        out.sort_by_key(|c| c.0);
        out
    }
}

/// The IANA zone whose offsets are the definition's at every instant from
/// `from` to `to`, or None. Among several (Denver and Boise agree today),
/// one the TZID names, then CLDR's choice for a Windows zone, then the
/// first by name.
pub fn match_definition(def: &Definition, from: NaiveDate, to: NaiveDate) -> Option<Tz> {
    let start = from.and_time(chrono::NaiveTime::MIN);
    let end = to.and_time(chrono::NaiveTime::MIN);
    let changes = def.changes(end);
    let offset_at = |t: NaiveDateTime| -> Option<i32> {
        match changes.iter().rev().find(|c| c.0 <= t) {
            Some(c) => Some(c.2),
            None => changes.first().map(|c| c.1),
        }
    };
    // The instants to compare: the span's start, either side of each of
    // the definition's changes in the span, and twice a day throughout
    // (which finds a change the definition lacks).
    let mut probes = vec![start];
    for c in changes.iter().filter(|c| c.0 > start && c.0 < end) {
        probes.push(c.0 - TimeDelta::minutes(1));
        probes.push(c.0);
    }
    let quick: Vec<(NaiveDateTime, i32)> = probes
        .iter()
        .filter_map(|t| Some((*t, offset_at(*t)?)))
        .collect();
    let mut daily = Vec::new();
    let mut t = start;
    while t < end {
        if let Some(o) = offset_at(t) {
            daily.push((t, o));
        }
        t += TimeDelta::hours(12);
    }
    let agrees = |tz: Tz, points: &[(NaiveDateTime, i32)]| {
        points
            .iter()
            .all(|(t, o)| tz.offset_from_utc_datetime(t).fix().local_minus_utc() == *o)
    };
    let mut found: Vec<Tz> = chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .filter(|tz| agrees(*tz, &quick) && agrees(*tz, &daily))
        .collect();
    let tzid = def.tzid.to_ascii_lowercase();
    found.sort_by_key(|tz| {
        let named = tzid.contains(&tz.name().to_ascii_lowercase());
        let windows = WINDOWS_ZONES.iter().any(|(_, iana)| *iana == tz.name());
        let canonical = !tz.name().starts_with("Etc/") && tz.name().contains('/');
        (!named, !windows, !canonical, tz.name())
    });
    found.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_windows_zone_in_the_table_is_a_zone_chrono_tz_knows() {
        for (windows, iana) in WINDOWS_ZONES {
            assert!(iana.parse::<Tz>().is_ok(), "{windows} -> {iana}");
        }
        assert_eq!(
            named_zone("Mountain Standard Time"),
            Some(chrono_tz::America::Denver)
        );
        assert_eq!(
            named_zone("/mozilla.org/20050126_1/America/New_York"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(named_zone("Mars Standard Time"), None);
    }

    #[test]
    fn denver_changes_twice_a_year_at_two_in_the_morning() {
        let t = transitions(chrono_tz::America::Denver, 2026, 2026);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].at.to_string(), "2026-03-08 09:00:00");
        assert_eq!(
            (t[0].from, t[0].to, t[0].daylight),
            (-7 * 3600, -6 * 3600, true)
        );
        assert_eq!(t[0].name, "MDT");
        assert_eq!(t[1].at.to_string(), "2026-11-01 08:00:00");
    }

    #[test]
    fn a_zone_defined_by_rules_is_matched_to_the_iana_zone_that_agrees() {
        let def = Definition {
            tzid: "(UTC-07:00) Mountain Time (US & Canada)".into(),
            observances: vec![
                Observance {
                    start: "1601-01-01T02:00:00".parse().unwrap(),
                    from: -6 * 3600,
                    to: -7 * 3600,
                    rule: Some("FREQ=YEARLY;BYDAY=1SU;BYMONTH=11".into()),
                    dates: vec![],
                },
                Observance {
                    start: "1601-01-01T02:00:00".parse().unwrap(),
                    from: -7 * 3600,
                    to: -6 * 3600,
                    rule: Some("FREQ=YEARLY;BYDAY=2SU;BYMONTH=3".into()),
                    dates: vec![],
                },
            ],
        };
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2028, 1, 1).unwrap();
        assert_eq!(
            match_definition(&def, from, to),
            Some(chrono_tz::America::Denver)
        );
        // Summer time from the last Sunday of March: no US zone agrees.
        let mut europe = def.clone();
        europe.observances[1].rule = Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3".into());
        assert_eq!(match_definition(&europe, from, to), None);
    }
}
