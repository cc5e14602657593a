//! The trigger log: people, places, feelings and situations that set off
//! cravings, recorded so patterns can be seen and planned for.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::kind::RecordKind;
use crate::record::{Body, Visibility, entry_time};
use crate::validation::{Problems, ValidationErrors, note};

/// The categories relapse-prevention work sorts triggers into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TriggerCategory {
    People,
    Places,
    Things,
    Emotions,
    Situations,
    PhysicalState,
    TimeDate,
}

impl TriggerCategory {
    pub const ALL: [TriggerCategory; 7] = [
        TriggerCategory::People,
        TriggerCategory::Places,
        TriggerCategory::Things,
        TriggerCategory::Emotions,
        TriggerCategory::Situations,
        TriggerCategory::PhysicalState,
        TriggerCategory::TimeDate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriggerCategory::People => "people",
            TriggerCategory::Places => "places",
            TriggerCategory::Things => "things",
            TriggerCategory::Emotions => "emotions",
            TriggerCategory::Situations => "situations",
            TriggerCategory::PhysicalState => "physical_state",
            TriggerCategory::TimeDate => "time_date",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("Choose a category: people, places, things, emotions, situations, physical state or time/date.".into());
        }
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            format!(
                "\"{}\" is not a trigger category; choose people, places, things, emotions, situations, physical state or time/date.",
                s.chars().take(40).collect::<String>()
            )
        })
    }
}

/// How strongly the trigger was felt, 0 to 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "i32", into = "i32")]
#[ts(type = "number")]
pub struct Intensity(u8);

impl Intensity {
    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<i32> for Intensity {
    type Error = String;

    fn try_from(n: i32) -> Result<Self, String> {
        if (0..=10).contains(&n) {
            Ok(Self(n as u8))
        } else {
            Err(format!(
                "Intensity must be a whole number from 0 (barely noticed) to 10 (overwhelming); {n} is outside that range."
            ))
        }
    }
}

impl From<Intensity> for i32 {
    fn from(i: Intensity) -> Self {
        i32::from(i.0)
    }
}

/// A trigger entry as entered, before validation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct TriggerDraft {
    #[ts(optional = nullable)]
    pub at: Option<DateTime<FixedOffset>>,
    pub category: String,
    pub description: String,
    pub intensity: i32,
    /// What the patient did about it.
    pub response: String,
    #[ts(optional = nullable)]
    pub checkin_id: Option<RecordId>,
    pub visibility: Visibility,
}

/// A valid trigger entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TriggerEntry {
    pub at: DateTime<FixedOffset>,
    pub category: TriggerCategory,
    pub description: String,
    pub intensity: Intensity,
    pub response: String,
    /// The check-in this trigger was logged with, if any.
    pub checkin_id: Option<RecordId>,
    pub visibility: Visibility,
}

impl Body for TriggerEntry {
    const KIND: RecordKind = RecordKind::Trigger;
    type Draft = TriggerDraft;

    fn to_draft(&self) -> TriggerDraft {
        TriggerDraft {
            at: Some(self.at),
            category: self.category.as_str().to_owned(),
            description: self.description.clone(),
            intensity: self.intensity.into(),
            response: self.response.clone(),
            checkin_id: self.checkin_id,
            visibility: self.visibility,
        }
    }

    fn from_draft(d: TriggerDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let at = p.check("at", entry_time(d.at, now, "trigger entry"));
        let category = p.check("category", TriggerCategory::parse(&d.category));
        let description = p.check(
            "description",
            note(&d.description, "description").and_then(|text| {
                let text = text.trim().to_owned();
                if text.is_empty() {
                    Err("Describe the trigger in a few words, for example \"payday\" or \"driving past the bar\".".to_owned())
                } else {
                    Ok(text)
                }
            }),
        );
        let intensity = p.check("intensity", Intensity::try_from(d.intensity));
        let response = p.check("response", note(&d.response, "response"));
        p.finish(|| TriggerEntry {
            at: at.expect("checked"),
            category: category.expect("checked"),
            description: description.expect("checked"),
            intensity: intensity.expect("checked"),
            response: response.expect("checked"),
            checkin_id: d.checkin_id,
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
        self.checkin_id
            .map(|id| ("checkin_id", RecordKind::CheckIn, id))
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-08T09:30:00+01:00").unwrap()
    }

    fn draft() -> TriggerDraft {
        TriggerDraft {
            category: "places".into(),
            description: "drove past the bar".into(),
            intensity: 6,
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_trigger_is_accepted() {
        let t = TriggerEntry::from_draft(draft(), now()).unwrap();
        assert_eq!(t.category, TriggerCategory::Places);
        assert_eq!(TriggerEntry::from_draft(t.to_draft(), now()).unwrap(), t);
    }

    #[test]
    fn an_empty_or_blank_description_is_refused() {
        for blank in ["", "   \n"] {
            let mut d = draft();
            d.description = blank.into();
            let err = TriggerEntry::from_draft(d, now()).unwrap_err();
            assert!(
                err.for_field("description")
                    .unwrap()
                    .starts_with("Describe the trigger")
            );
        }
    }

    #[test]
    fn an_unknown_category_is_refused_with_the_choices() {
        let mut d = draft();
        d.category = "weather".into();
        let err = TriggerEntry::from_draft(d, now()).unwrap_err();
        let msg = err.for_field("category").unwrap();
        assert!(
            msg.contains("\"weather\" is not a trigger category"),
            "{msg}"
        );
        assert!(msg.contains("time/date"));
    }

    #[test]
    fn every_category_round_trips_through_its_text() {
        for c in TriggerCategory::ALL {
            assert_eq!(TriggerCategory::parse(c.as_str()), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn intensity_outside_zero_to_ten_is_refused() {
        let mut d = draft();
        d.intensity = 11;
        assert!(
            TriggerEntry::from_draft(d, now())
                .unwrap_err()
                .for_field("intensity")
                .is_some()
        );
    }
}
