//! What every record shares: who may see it, the trait each kind's body
//! implements, and the envelope the store hands back (id plus value).

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::kind::RecordKind;
use crate::validation::{ValidationErrors, plausible_date};

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
pub trait Body: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static {
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

    /// The draft that makes this value again: for editing, and for checking
    /// a value received from elsewhere (another device, a server's copy)
    /// against the rules a new entry meets ([`crate::RecordKind::check_text`]).
    fn to_draft(&self) -> Self::Draft;

    /// Fields, by serialized name, that no draft carries: set later, or by
    /// the care team. [`Body::check_outside_draft`] checks them instead.
    const OUTSIDE_DRAFT: &'static [&'static str] = &[];

    /// Checks the fields named in [`Body::OUTSIDE_DRAFT`].
    fn check_outside_draft(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }

    /// Copies the fields named in [`Body::OUTSIDE_DRAFT`] from `other`, so
    /// that a value made again from its draft compares equal to it.
    fn keep_outside_draft(&mut self, _other: &Self) {}

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

/// The entry's time, defaulting to now; refuses a time more than a minute
/// ahead, or one outside the years any record may carry.
pub(crate) fn entry_time(
    at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    noun: &str,
) -> Result<DateTime<FixedOffset>, String> {
    let at = at.unwrap_or(now);
    plausible_date(at.date_naive())?;
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

/// The name serde gives a unit variant (`"iop"`, `"attended"`): what a
/// draft holds where the value holds the enum.
pub(crate) fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}
