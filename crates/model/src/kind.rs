//! The kinds of record and the groups the protocol treats alike: which
//! kinds a patient may share, and which only the care team writes. Code
//! outside the model and the wire speaks in [`RecordKind`], never in the
//! text forms.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    Reply,
    Journal,
}

impl RecordKind {
    pub const ALL: [RecordKind; 11] = [
        RecordKind::CheckIn,
        RecordKind::Trigger,
        RecordKind::Event,
        RecordKind::Program,
        RecordKind::Attendance,
        RecordKind::Worksheet,
        RecordKind::Plan,
        RecordKind::Assignment,
        RecordKind::Message,
        RecordKind::Reply,
        RecordKind::Journal,
    ];

    /// The kinds a patient may share with their care team: what a consent
    /// lists (in the order the app asks about them), and what a counselor
    /// reads once it is given.
    pub const SHAREABLE: [RecordKind; 8] = [
        RecordKind::CheckIn,
        RecordKind::Trigger,
        RecordKind::Worksheet,
        RecordKind::Plan,
        RecordKind::Event,
        RecordKind::Attendance,
        RecordKind::Program,
        RecordKind::Journal,
    ];

    /// The kinds only the care team creates. A patient's device receives
    /// them whatever it shares, and marks messages read.
    pub const CARE_TEAM: [RecordKind; 2] = [RecordKind::Message, RecordKind::Assignment];

    /// The kinds a patient writes to the care team (replies): they travel
    /// whenever a consent is in force, whatever kinds it lists, and the
    /// care team marks them read.
    pub const TO_CARE_TEAM: [RecordKind; 1] = [RecordKind::Reply];

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
            RecordKind::Reply => "reply",
            RecordKind::Journal => "journal",
        }
    }

    /// Whether a patient may share this kind (see [`RecordKind::SHAREABLE`]).
    pub fn is_shareable(self) -> bool {
        Self::SHAREABLE.contains(&self)
    }

    /// Whether only the care team creates this kind (see [`RecordKind::CARE_TEAM`]).
    pub fn is_care_team(self) -> bool {
        Self::CARE_TEAM.contains(&self)
    }

    /// Whether the patient writes this kind to the care team (see
    /// [`RecordKind::TO_CARE_TEAM`]).
    pub fn is_to_care_team(self) -> bool {
        Self::TO_CARE_TEAM.contains(&self)
    }

    /// Whether a consent that lists `consented` covers this kind: a kind it
    /// lists, the care team's own, or a reply to them.
    pub fn covered_by(self, consented: &[String]) -> bool {
        !self.is_shareable() || consented.iter().any(|k| k == self.as_str())
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
            RecordKind::Reply => "reply",
            RecordKind::Journal => "journal entry",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_shared_by_the_patient_written_by_the_care_team_or_written_to_them() {
        for kind in RecordKind::ALL {
            let groups = [
                kind.is_shareable(),
                kind.is_care_team(),
                kind.is_to_care_team(),
            ];
            assert_eq!(groups.iter().filter(|g| **g).count(), 1, "{kind:?}");
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
    }

    #[test]
    fn a_consent_covers_what_it_lists_and_the_conversation_with_the_care_team() {
        let consented = ["checkin".to_owned()];
        assert!(RecordKind::CheckIn.covered_by(&consented));
        assert!(!RecordKind::Trigger.covered_by(&consented));
        assert!(RecordKind::Message.covered_by(&consented));
        assert!(RecordKind::Reply.covered_by(&consented));
        assert!(RecordKind::Reply.covered_by(&[]));
    }
}
