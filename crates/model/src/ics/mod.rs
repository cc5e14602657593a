//! Calendar files (RFC 5545). Export writes the schedule with a VTIMEZONE
//! for each zone it uses; import reads a clinic's calendar line by line, so
//! that every problem is reported with the line it is on, and turns it into
//! event drafts. Nothing is stored here: the caller stores the drafts.
//!
//! Kept on import: VEVENT with SUMMARY, DTSTART (TZID, UTC or floating; a
//! date means all day, and a DTEND date days later a day-long event of that
//! many days), DTEND or DURATION, RRULE (FREQ DAILY/WEEKLY/MONTHLY,
//! INTERVAL, BYDAY with numbered weekdays in a monthly rule, BYSETPOS for
//! one weekday, COUNT, UNTIL, WKST), RDATE and EXDATE lists,
//! RECURRENCE-ID overrides (moved, or cancelled with STATUS:CANCELLED),
//! LOCATION, URL, VALARM triggers before the start, and Steady's own
//! X-STEADY-KIND and X-STEADY-VISIBILITY. TZIDs may be IANA names, Windows
//! names (CLDR's mapping) or zones the file defines in a VTIMEZONE that
//! agree with an IANA zone. Anything else in an event skips that event,
//! with its line and the reason.

mod read;
mod windows_zones;
mod write;
pub mod zones;

use std::fmt;

use serde::Serialize;
use ts_rs::TS;

use crate::schedule::{EventDraft, EventKind};

pub use read::import;
pub use write::export;

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

/// An event of the file that was not imported: the line of the problem,
/// the event's title, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Skipped {
    pub line: usize,
    pub title: String,
    pub reason: String,
}

/// What an import did, as the patient is told: how many events were added
/// and which were skipped, each with its line and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ImportSummary {
    pub added: u32,
    pub skipped: Vec<Skipped>,
}

/// What a file gave: the events Steady can keep, and those it skipped.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub events: Vec<ImportedEvent>,
    pub skipped: Vec<Skipped>,
}

const STAMP: &str = "%Y%m%dT%H%M%S";

fn kind_text(kind: EventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
