//! Journal entries: what the patient writes for themselves — a weekly
//! review they saved, a few lines after a hard day. Private unless they
//! choose to share one.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::kind::RecordKind;
use crate::record::{Body, Visibility, entry_time};
use crate::validation::{Problems, ValidationErrors, note, short_text};

/// A journal entry as written, before validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct JournalDraft {
    /// When; empty means now.
    #[ts(optional = nullable)]
    pub at: Option<DateTime<FixedOffset>>,
    pub title: String,
    pub text: String,
    pub visibility: Visibility,
}

impl Default for JournalDraft {
    /// Private: a journal is for the patient unless they say otherwise.
    fn default() -> Self {
        Self {
            at: None,
            title: String::new(),
            text: String::new(),
            visibility: Visibility::Private,
        }
    }
}

/// A valid journal entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct JournalEntry {
    pub at: DateTime<FixedOffset>,
    pub title: String,
    pub text: String,
    pub visibility: Visibility,
}

impl Body for JournalEntry {
    const KIND: RecordKind = RecordKind::Journal;
    type Draft = JournalDraft;

    fn to_draft(&self) -> JournalDraft {
        JournalDraft {
            at: Some(self.at),
            title: self.title.clone(),
            text: self.text.clone(),
            visibility: self.visibility,
        }
    }

    fn from_draft(d: JournalDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let at = p.check("at", entry_time(d.at, now, "journal entry"));
        let title = p.check("title", short_text(&d.title, "title"));
        let text = p.check("text", note(&d.text, "journal entry"));
        if let Some(text) = &text
            && text.trim().is_empty()
        {
            p.add("text", "Write something before saving this journal entry.");
        }
        p.finish(|| JournalEntry {
            at: at.expect("checked"),
            title: title.expect("checked"),
            text: text.expect("checked"),
            visibility: d.visibility,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.at
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_entry_is_private_unless_chosen_and_needs_words() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T18:05:00-07:00").unwrap();
        let entry = JournalEntry::from_draft(
            JournalDraft {
                title: "My week, 30 Nov – 6 Dec".into(),
                text: "Four check-ins.\nCalling Sam helped.  ".into(),
                ..JournalDraft::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(entry.visibility, Visibility::Private);
        assert_eq!(entry.at, now);
        assert!(!entry.text.ends_with(' '));
        let empty = JournalEntry::from_draft(
            JournalDraft {
                text: "   ".into(),
                ..JournalDraft::default()
            },
            now,
        )
        .unwrap_err();
        assert_eq!(empty.fields()[0].field, "text");
        // What the body reads back as, by the kind's rules.
        let body = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            RecordKind::Journal.read(&body).unwrap().1,
            Visibility::Private
        );
    }
}
