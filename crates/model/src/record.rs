//! What every record shares: who may see it, the trait each kind's body
//! implements, and the envelope the store hands back (id plus value).

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::kind::RecordKind;
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
