//! Craving check-ins: the entry a patient makes, often in seconds, when an
//! urge comes or at the times their plan sets.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::kind::RecordKind;
use crate::record::{Body, Visibility, entry_time};
use crate::validation::{Problems, ValidationErrors, note, short_list, short_text};

/// Craving strength, 0 (none) to 10 (the strongest imaginable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "i32", into = "i32")]
#[ts(type = "number")]
pub struct Craving(u8);

impl Craving {
    pub const MAX: u8 = 10;

    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<i32> for Craving {
    type Error = String;

    fn try_from(n: i32) -> Result<Self, String> {
        if (0..=i32::from(Self::MAX)).contains(&n) {
            Ok(Self(n as u8))
        } else {
            Err(format!(
                "Craving must be a whole number from 0 (none) to 10 (the strongest you can imagine); {n} is outside that range."
            ))
        }
    }
}

impl From<Craving> for i32 {
    fn from(c: Craving) -> Self {
        i32::from(c.0)
    }
}

/// Mood, -5 (very low) to 5 (very good).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "i32", into = "i32")]
#[ts(type = "number")]
pub struct Mood(i8);

impl Mood {
    pub fn value(self) -> i8 {
        self.0
    }
}

impl TryFrom<i32> for Mood {
    type Error = String;

    fn try_from(n: i32) -> Result<Self, String> {
        if (-5..=5).contains(&n) {
            Ok(Self(n as i8))
        } else {
            Err(format!(
                "Mood must be from -5 (very low) to 5 (very good); {n} is outside that range."
            ))
        }
    }
}

impl From<Mood> for i32 {
    fn from(m: Mood) -> Self {
        i32::from(m.0)
    }
}

/// HALT: the four states that make a craving harder to ride out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Halt {
    pub hungry: bool,
    pub angry: bool,
    pub lonely: bool,
    pub tired: bool,
}

/// What happened with the urge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Resisted,
    Used,
    Unsure,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Resisted, Outcome::Used, Outcome::Unsure];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resisted => "resisted",
            Outcome::Used => "used",
            Outcome::Unsure => "unsure",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                format!("\"{s}\" is not an outcome Steady knows; choose resisted, used or unsure.")
            })
    }
}

/// A check-in as entered, before validation. Numbers are wide and choices are
/// text, so an out-of-range or unknown value reaches validation and earns a
/// message instead of failing to parse.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct CheckInDraft {
    /// When; empty means now, in the device's current UTC offset.
    #[ts(optional = nullable)]
    pub at: Option<DateTime<FixedOffset>>,
    pub craving: i32,
    #[ts(optional = nullable)]
    pub mood: Option<i32>,
    pub emotions: Vec<String>,
    pub halt: Halt,
    pub substances: Vec<String>,
    pub trigger_ids: Vec<RecordId>,
    /// Where the patient was.
    pub place: String,
    /// Who they were with.
    pub company: String,
    pub coping: Vec<String>,
    #[ts(optional = nullable)]
    pub outcome: Option<String>,
    pub note: String,
    pub visibility: Visibility,
}

/// A valid check-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The instant, with the UTC offset the patient logged it in.
    pub at: DateTime<FixedOffset>,
    pub craving: Craving,
    pub mood: Option<Mood>,
    /// Named emotions, in the patient's words.
    pub emotions: Vec<String>,
    pub halt: Halt,
    pub substances: Vec<String>,
    pub trigger_ids: Vec<RecordId>,
    pub place: String,
    pub company: String,
    pub coping: Vec<String>,
    pub outcome: Option<Outcome>,
    pub note: String,
    pub visibility: Visibility,
}

impl Body for CheckIn {
    const KIND: RecordKind = RecordKind::CheckIn;
    type Draft = CheckInDraft;

    fn to_draft(&self) -> CheckInDraft {
        CheckInDraft {
            at: Some(self.at),
            craving: self.craving.into(),
            mood: self.mood.map(i32::from),
            emotions: self.emotions.clone(),
            halt: self.halt,
            substances: self.substances.clone(),
            trigger_ids: self.trigger_ids.clone(),
            place: self.place.clone(),
            company: self.company.clone(),
            coping: self.coping.clone(),
            outcome: self.outcome.map(|o| o.as_str().to_owned()),
            note: self.note.clone(),
            visibility: self.visibility,
        }
    }

    fn from_draft(d: CheckInDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let at = p.check("at", entry_time(d.at, now, "check-in"));
        let craving = p.check("craving", Craving::try_from(d.craving));
        let mood = p.check("mood", d.mood.map(Mood::try_from).transpose());
        let emotions = p.check("emotions", short_list(&d.emotions, "emotions"));
        let substances = p.check("substances", short_list(&d.substances, "substances"));
        let place = p.check("place", short_text(&d.place, "Where you were"));
        let company = p.check("company", short_text(&d.company, "Who you were with"));
        let coping = p.check("coping", short_list(&d.coping, "coping strategies"));
        let outcome = p.check(
            "outcome",
            d.outcome
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(Outcome::parse)
                .transpose(),
        );
        let note_text = p.check("note", note(&d.note, "note"));
        let mut trigger_ids = d.trigger_ids;
        trigger_ids.dedup();
        if trigger_ids.len() > crate::validation::MAX_LIST_ITEMS {
            p.add("trigger_ids", "Link at most 50 triggers to one check-in.");
        }
        p.finish(|| CheckIn {
            at: at.expect("checked"),
            craving: craving.expect("checked"),
            mood: mood.expect("checked"),
            emotions: emotions.expect("checked"),
            halt: d.halt,
            substances: substances.expect("checked"),
            trigger_ids,
            place: place.expect("checked"),
            company: company.expect("checked"),
            coping: coping.expect("checked"),
            outcome: outcome.expect("checked"),
            note: note_text.expect("checked"),
            visibility: d.visibility,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.at
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }

    fn links(&self) -> Vec<(&'static str, RecordKind, RecordId)> {
        self.trigger_ids
            .iter()
            .map(|id| ("trigger_ids", RecordKind::Trigger, *id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-27T23:05:00-07:00").unwrap()
    }

    fn draft(craving: i32) -> CheckInDraft {
        CheckInDraft {
            craving,
            ..Default::default()
        }
    }

    #[test]
    fn a_quick_check_in_takes_the_current_time_and_offset() {
        let c = CheckIn::from_draft(draft(6), now()).unwrap();
        assert_eq!(c.at, now());
        assert_eq!(c.at.offset().local_minus_utc(), -7 * 3600);
        assert_eq!(c.craving.value(), 6);
    }

    #[test]
    fn craving_outside_zero_to_ten_is_refused_with_the_range() {
        for bad in [11, -1, 100] {
            let err = CheckIn::from_draft(draft(bad), now()).unwrap_err();
            let msg = err.for_field("craving").unwrap();
            assert!(msg.contains("0 (none) to 10"), "{msg}");
        }
        assert!(CheckIn::from_draft(draft(0), now()).is_ok());
        assert!(CheckIn::from_draft(draft(10), now()).is_ok());
    }

    #[test]
    fn a_time_more_than_a_minute_ahead_is_refused() {
        let mut d = draft(3);
        d.at = Some(now() + TimeDelta::minutes(5));
        let err = CheckIn::from_draft(d.clone(), now()).unwrap_err();
        assert!(
            err.for_field("at")
                .unwrap()
                .contains("5 minutes in the future")
        );
        d.at = Some(now() + TimeDelta::seconds(50));
        assert!(CheckIn::from_draft(d, now()).is_ok());
    }

    #[test]
    fn a_note_over_ten_thousand_characters_is_refused() {
        let mut d = draft(3);
        d.note = "é".repeat(10_001);
        let err = CheckIn::from_draft(d.clone(), now()).unwrap_err();
        assert!(err.for_field("note").unwrap().contains("10,000 or fewer"));
        d.note = "é".repeat(10_000);
        assert!(CheckIn::from_draft(d, now()).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut d = draft(12);
        d.mood = Some(9);
        d.outcome = Some("maybe".into());
        let err = CheckIn::from_draft(d, now()).unwrap_err();
        let fields: Vec<&str> = err.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["craving", "mood", "outcome"]);
        assert!(
            err.for_field("outcome")
                .unwrap()
                .contains("resisted, used or unsure")
        );
    }

    #[test]
    fn stored_values_out_of_range_do_not_deserialize() {
        let c = CheckIn::from_draft(draft(4), now()).unwrap();
        let mut json = serde_json::to_value(&c).unwrap();
        json["craving"] = 11.into();
        assert!(serde_json::from_value::<CheckIn>(json).is_err());
    }

    #[test]
    fn to_draft_reproduces_the_check_in() {
        let mut d = draft(7);
        d.mood = Some(-2);
        d.halt.tired = true;
        d.substances = vec!["alcohol".into()];
        d.outcome = Some("resisted".into());
        d.note = "walked it off".into();
        let c = CheckIn::from_draft(d, now()).unwrap();
        assert_eq!(CheckIn::from_draft(c.to_draft(), now()).unwrap(), c);
    }
}
