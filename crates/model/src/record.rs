//! What every record shares: its kind, who may see it, and the envelope the
//! store hands back (id plus value).

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::validation::ValidationErrors;

/// Who may see a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Never leaves this device.
    Private,
    /// Shared with the care team once the patient has consented.
    #[default]
    CareTeam,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::CareTeam => "care_team",
        }
    }
}

/// Calls the generic function `$f::<B>($args)` with the body type of `$kind`.
macro_rules! for_kind {
    ($kind:expr, $f:ident $(, $arg:expr)*) => {
        match $kind {
            RecordKind::CheckIn => $f::<crate::checkin::CheckIn>($($arg),*),
            RecordKind::Trigger => $f::<crate::trigger::TriggerEntry>($($arg),*),
            RecordKind::Event => $f::<crate::schedule::Event>($($arg),*),
            RecordKind::Program => $f::<crate::program::Program>($($arg),*),
            RecordKind::Attendance => $f::<crate::program::Attendance>($($arg),*),
            RecordKind::Worksheet => $f::<crate::worksheet::Worksheet>($($arg),*),
            RecordKind::Plan => $f::<crate::plan::RelapsePreventionPlan>($($arg),*),
            RecordKind::Assignment => $f::<crate::care::Assignment>($($arg),*),
            RecordKind::Message => $f::<crate::care::Message>($($arg),*),
        }
    };
}

/// The kinds of record. The text form is what the store and the wire use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    #[serde(rename = "checkin")]
    CheckIn,
    Trigger,
    Event,
    Program,
    Attendance,
    Worksheet,
    Plan,
    Assignment,
    Message,
}

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        RecordKind::CheckIn,
        RecordKind::Trigger,
        RecordKind::Event,
        RecordKind::Program,
        RecordKind::Attendance,
        RecordKind::Worksheet,
        RecordKind::Plan,
        RecordKind::Assignment,
        RecordKind::Message,
    ];

    /// The kind a text form names, if any.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::CheckIn => "checkin",
            RecordKind::Trigger => "trigger",
            RecordKind::Event => "event",
            RecordKind::Program => "program",
            RecordKind::Attendance => "attendance",
            RecordKind::Worksheet => "worksheet",
            RecordKind::Plan => "plan",
            RecordKind::Assignment => "assignment",
            RecordKind::Message => "message",
        }
    }

    /// Fields stamped key by key (see [`Body::SPLIT_FIELDS`]).
    pub fn split_fields(self) -> &'static [&'static str] {
        fn split<B: Body>() -> &'static [&'static str] {
            B::SPLIT_FIELDS
        }
        for_kind!(self, split)
    }

    /// Reads a record's JSON body as this kind, checking every rule a stored
    /// value must keep (ranges, options, unknown fields); its time and
    /// visibility, or what is wrong, naming the field.
    pub fn read(
        self,
        body: &serde_json::Value,
    ) -> Result<(DateTime<FixedOffset>, Visibility), String> {
        fn read<B: Body>(
            body: &serde_json::Value,
        ) -> Result<(DateTime<FixedOffset>, Visibility), String> {
            // The common case, fast; a failure is read again to name the field.
            if let Ok(value) = B::deserialize(body) {
                return Ok((value.at(), value.visibility()));
            }
            let value: B = serde_path_to_error::deserialize(body).map_err(named)?;
            Ok((value.at(), value.visibility()))
        }
        for_kind!(self, read, body)
    }

    /// [`RecordKind::read`] of a body given as JSON text.
    pub fn read_text(self, body: &str) -> Result<(DateTime<FixedOffset>, Visibility), String> {
        fn read<B: Body>(body: &str) -> Result<(DateTime<FixedOffset>, Visibility), String> {
            if let Ok(value) = serde_json::from_str::<B>(body) {
                return Ok((value.at(), value.visibility()));
            }
            let mut deserializer = serde_json::Deserializer::from_str(body);
            let value: B = serde_path_to_error::deserialize(&mut deserializer).map_err(named)?;
            Ok((value.at(), value.visibility()))
        }
        for_kind!(self, read, body)
    }

    /// How a person would name one record of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            RecordKind::CheckIn => "check-in",
            RecordKind::Trigger => "trigger entry",
            RecordKind::Event => "session",
            RecordKind::Program => "program",
            RecordKind::Attendance => "attendance mark",
            RecordKind::Worksheet => "worksheet",
            RecordKind::Plan => "relapse-prevention plan",
            RecordKind::Assignment => "assignment",
            RecordKind::Message => "message",
        }
    }
}

/// What is wrong with a body, naming the field. A body read from text is
/// the reader's own text, so its line and column are left out.
fn named(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    let inner = inner.split(" at line ").next().unwrap_or(&inner);
    if path == "." {
        inner.to_owned()
    } else {
        format!("field {path}: {inner}")
    }
}

/// A stored record as the app sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Entry<T> {
    pub id: RecordId,
    pub data: T,
}

/// The value of one kind of record: how it is checked and where it sits in time.
///
/// Its serialized form is a JSON object whose top-level keys are the fields
/// that get their own clock stamp.
pub trait Body: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: RecordKind;
    /// Fields whose value is an object stamped key by key (a worksheet's
    /// answers), so edits to different keys on two devices both survive a
    /// merge. Their stamps are named `field.key`.
    const SPLIT_FIELDS: &'static [&'static str] = &[];
    /// What a person entered, before validation.
    type Draft: Send;

    /// Checks a draft against the rules, given the device's current local time.
    fn from_draft(draft: Self::Draft, now: DateTime<FixedOffset>)
    -> Result<Self, ValidationErrors>;

    /// When it happened; lists and week views are ordered by this.
    fn at(&self) -> DateTime<FixedOffset>;

    fn visibility(&self) -> Visibility;

    /// Ids of other records this one points to, by field name, which must exist.
    fn links(&self) -> Vec<(&'static str, RecordKind, RecordId)> {
        Vec::new()
    }
}

/// How far ahead of the device's clock an entry's time may be, to allow for
/// a slow tap or a clock a few seconds off.
pub const FUTURE_GRACE: TimeDelta = TimeDelta::minutes(1);

/// The entry's time, defaulting to now; refuses a time more than a minute ahead.
pub(crate) fn entry_time(
    at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    noun: &str,
) -> Result<DateTime<FixedOffset>, String> {
    let at = at.unwrap_or(now);
    let ahead = at.signed_duration_since(now);
    if ahead > FUTURE_GRACE {
        return Err(format!(
            "That time is {} in the future. A {noun} can be logged for now or for the past; check the date and time.",
            describe(ahead)
        ));
    }
    Ok(at)
}

fn describe(span: TimeDelta) -> String {
    let minutes = span.num_minutes();
    if minutes < 120 {
        format!("{minutes} minutes")
    } else if minutes < 48 * 60 {
        format!("{} hours", minutes / 60)
    } else {
        format!("{} days", minutes / (24 * 60))
    }
}
