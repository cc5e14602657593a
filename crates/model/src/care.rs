//! What the care team writes into a patient's records — assignments,
//! check-up messages, the review of a worksheet — the patient's replies to
//! them, and the one rule, shared by the app and the server, of who may
//! write which field.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::RecordId;
use crate::kind::RecordKind;
use crate::questionnaire::Library;
use crate::record::{Body, Visibility};
use crate::validation::{Problems, ValidationErrors, plausible_date, short_text};

/// Longest check-up message or comment, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Who is writing a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// The patient, from one of their paired devices.
    Patient,
    /// A counselor on the patient's care team.
    CareTeam,
}

/// A worksheet's fields that only the care team writes.
pub const WORKSHEET_CARE_TEAM_FIELDS: &[&str] = &["review", "comments"];

/// Whether `writer` may write the field at `path` (`answers.moods` is the
/// field `answers`) of a `kind` record. Patients write their own kinds and
/// replies, and mark messages read; the care team writes assignments,
/// messages, the program, sessions, attendance marks and a worksheet's
/// review and comments, and marks replies read. Deleting is writing the
/// `deleted` field, under the same rule.
pub fn may_write(writer: Writer, kind: RecordKind, path: &str) -> bool {
    let field = path.split('.').next().unwrap_or(path);
    match (writer, kind) {
        (Writer::Patient, RecordKind::Assignment) => false,
        (Writer::Patient, RecordKind::Message) => field == "read_at",
        (Writer::Patient, RecordKind::Reply) => field != "read_at",
        (Writer::Patient, RecordKind::Worksheet) => !WORKSHEET_CARE_TEAM_FIELDS.contains(&field),
        (Writer::Patient, _) => true,
        (Writer::CareTeam, RecordKind::Message) => field != "read_at",
        (Writer::CareTeam, RecordKind::Reply) => field == "read_at",
        (
            Writer::CareTeam,
            RecordKind::Assignment
            | RecordKind::Program
            | RecordKind::Event
            | RecordKind::Attendance,
        ) => true,
        (Writer::CareTeam, RecordKind::Worksheet) => WORKSHEET_CARE_TEAM_FIELDS.contains(&field),
        (Writer::CareTeam, _) => false,
    }
}

/// A worksheet the counselor asks the patient to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The built-in template's id (`cbt-thought-record`, ...).
    pub template: String,
    #[ts(optional = nullable)]
    pub due: Option<NaiveDate>,
    /// What the counselor wants the patient to know about it.
    pub note: String,
    /// The counselor's name as the patient knows them.
    pub from: String,
    pub assigned: DateTime<FixedOffset>,
    pub visibility: Visibility,
}

/// An assignment as the counselor entered it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct AssignmentDraft {
    pub template: String,
    #[ts(optional = nullable)]
    pub due: Option<NaiveDate>,
    pub note: String,
    pub from: String,
}

impl Body for Assignment {
    const KIND: RecordKind = RecordKind::Assignment;
    type Draft = AssignmentDraft;

    fn to_draft(&self) -> AssignmentDraft {
        AssignmentDraft {
            template: self.template.clone(),
            due: self.due,
            note: self.note.clone(),
            from: self.from.clone(),
        }
    }

    fn from_draft(
        d: AssignmentDraft,
        now: DateTime<FixedOffset>,
    ) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        if Library::builtin().latest(&d.template).is_none() {
            p.add(
                "template",
                format!(
                    "\"{}\" is not a worksheet Steady has; choose one of {}.",
                    d.template.chars().take(60).collect::<String>(),
                    Library::builtin()
                        .current()
                        .iter()
                        .map(|q| q.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Some(due) = d.due {
            p.check("due", plausible_date(due));
        }
        if let Some(due) = d.due
            && due < now.date_naive()
        {
            p.add(
                "due",
                format!("The due date {due} has passed; choose today or a later day."),
            );
        }
        let note = p.check("note", message_text(&d.note, "note", true));
        let from = p.check("from", sender(&d.from));
        p.finish(|| Assignment {
            template: d.template,
            due: d.due,
            note: note.expect("checked"),
            from: from.expect("checked"),
            assigned: now,
            visibility: Visibility::CareTeam,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.assigned
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

/// A check-up message from the care team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub text: String,
    pub from: String,
    pub sent: DateTime<FixedOffset>,
    /// When the patient first opened it; the one field the patient writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub read_at: Option<DateTime<FixedOffset>>,
    pub visibility: Visibility,
}

/// A message as the counselor wrote it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct MessageDraft {
    pub text: String,
    pub from: String,
}

impl Body for Message {
    const KIND: RecordKind = RecordKind::Message;
    type Draft = MessageDraft;

    fn to_draft(&self) -> MessageDraft {
        MessageDraft {
            text: self.text.clone(),
            from: self.from.clone(),
        }
    }

    const OUTSIDE_DRAFT: &'static [&'static str] = &["read_at"];

    fn keep_outside_draft(&mut self, other: &Self) {
        self.read_at = other.read_at;
    }

    fn check_outside_draft(&self) -> Result<(), ValidationErrors> {
        if let Some(read) = self.read_at {
            // Not compared with `sent`: that is the server's clock, this
            // the device's, and either may be a little off.
            plausible_date(read.date_naive())
                .map_err(|e| ValidationErrors::single("read_at", e))?;
        }
        Ok(())
    }

    fn from_draft(d: MessageDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let text = p.check("text", message_text(&d.text, "message", false));
        let from = p.check("from", sender(&d.from));
        p.finish(|| Message {
            text: text.expect("checked"),
            from: from.expect("checked"),
            sent: now,
            read_at: None,
            visibility: Visibility::CareTeam,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.sent
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

/// The patient's answer to their care team: written on the device, sent
/// whenever a consent is in force (whatever kinds it lists — the patient
/// wrote it to them), never private.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub text: String,
    /// The care team's message it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub in_reply_to: Option<RecordId>,
    pub sent: DateTime<FixedOffset>,
    /// When the care team first read it; the one field they write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub read_at: Option<DateTime<FixedOffset>>,
    pub visibility: Visibility,
}

/// A reply as the patient wrote it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct ReplyDraft {
    pub text: String,
    #[ts(optional = nullable)]
    pub in_reply_to: Option<RecordId>,
}

impl Body for Reply {
    const KIND: RecordKind = RecordKind::Reply;
    type Draft = ReplyDraft;

    fn to_draft(&self) -> ReplyDraft {
        ReplyDraft {
            text: self.text.clone(),
            in_reply_to: self.in_reply_to,
        }
    }

    const OUTSIDE_DRAFT: &'static [&'static str] = &["read_at"];

    fn keep_outside_draft(&mut self, other: &Self) {
        self.read_at = other.read_at;
    }

    fn check_outside_draft(&self) -> Result<(), ValidationErrors> {
        let mut p = Problems::default();
        if let Some(read) = self.read_at {
            p.check("read_at", plausible_date(read.date_naive()));
        }
        p.check("sent", plausible_date(self.sent.date_naive()));
        if self.visibility != Visibility::CareTeam {
            p.add(
                "visibility",
                "A reply goes to the care team; it is never private.",
            );
        }
        p.finish(|| ())
    }

    fn from_draft(d: ReplyDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let text = p.check("text", message_text(&d.text, "reply", false));
        p.finish(|| Reply {
            text: text.expect("checked"),
            in_reply_to: d.in_reply_to,
            sent: now,
            read_at: None,
            visibility: Visibility::CareTeam,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.sent
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }

    fn links(&self) -> Vec<(&'static str, RecordKind, RecordId)> {
        self.in_reply_to
            .map(|id| ("in_reply_to", RecordKind::Message, id))
            .into_iter()
            .collect()
    }
}

/// The counselor's mark that a worksheet was read and discussed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct WorksheetReview {
    pub by: String,
    pub at: DateTime<FixedOffset>,
}

/// A counselor's comment on a worksheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    pub by: String,
    pub at: DateTime<FixedOffset>,
    pub text: String,
}

/// Checks a comment's text; the trimmed text.
pub fn comment_text(text: &str) -> Result<String, ValidationErrors> {
    message_text(text, "comment", false).map_err(|m| ValidationErrors::single("text", m))
}

/// Most comments one worksheet keeps.
pub const MAX_COMMENTS: usize = 200;

/// Checks what the care team wrote on a worksheet: its review and comments,
/// by the rules the counselor's side applies when writing them.
pub(crate) fn check_review(
    review: Option<&WorksheetReview>,
    comments: Option<&[Comment]>,
) -> Result<(), ValidationErrors> {
    let mut p = Problems::default();
    if let Some(review) = review {
        p.check("review", sender(&review.by).map(|_| ()));
        p.check("review", plausible_date(review.at.date_naive()));
    }
    let comments = comments.unwrap_or_default();
    if comments.len() > MAX_COMMENTS {
        p.add(
            "comments",
            format!("A worksheet keeps at most {MAX_COMMENTS} comments."),
        );
    }
    for comment in comments.iter().take(MAX_COMMENTS) {
        let text = message_text(&comment.text, "comment", false).and_then(|t| {
            if t == comment.text {
                Ok(())
            } else {
                Err("A comment is stored trimmed.".to_owned())
            }
        });
        if p.check("comments", text).is_none()
            || p.check("comments", sender(&comment.by)).is_none()
            || p.check("comments", plausible_date(comment.at.date_naive()))
                .is_none()
        {
            break;
        }
    }
    p.finish(|| ())
}

fn message_text(text: &str, what: &str, blank_ok: bool) -> Result<String, String> {
    let text = text.trim();
    let len = text.chars().count();
    if text.is_empty() && !blank_ok {
        return Err(format!("Write the {what} before sending it."));
    }
    if len > MAX_MESSAGE_CHARS {
        return Err(format!(
            "The {what} is {len} characters long; keep it to {MAX_MESSAGE_CHARS} or fewer."
        ));
    }
    Ok(text.to_owned())
}

fn sender(from: &str) -> Result<String, String> {
    let from = short_text(from, "The sender's name")?;
    if from.is_empty() {
        return Err("Say who it is from: the counselor's name as the patient knows it.".into());
    }
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-20T09:00:00-07:00").unwrap()
    }

    #[test]
    fn patients_write_their_own_kinds_and_nothing_of_the_care_teams() {
        use RecordKind::*;
        use Writer::*;
        for kind in [CheckIn, Trigger, Event, Attendance, Program, Plan] {
            assert!(may_write(Patient, kind, "note"), "{kind:?}");
        }
        assert!(may_write(Patient, Worksheet, "answers.moods"));
        assert!(!may_write(Patient, Worksheet, "review"));
        assert!(!may_write(Patient, Worksheet, "comments"));
        assert!(!may_write(Patient, Assignment, "due"));
        assert!(!may_write(Patient, Assignment, "deleted"));
        assert!(!may_write(Patient, Message, "text"));
        assert!(may_write(Patient, Message, "read_at"));
        for kind in [CheckIn, Trigger, Plan] {
            assert!(!may_write(CareTeam, kind, "note"), "{kind:?}");
        }
        assert!(!may_write(CareTeam, Worksheet, "answers.moods"));
        assert!(may_write(CareTeam, Worksheet, "review"));
        assert!(may_write(CareTeam, Assignment, "deleted"));
        assert!(may_write(CareTeam, Attendance, "status"));
        assert!(!may_write(CareTeam, Message, "read_at"));
        // A reply is the patient's, but for the care team's read mark.
        assert!(may_write(Patient, Reply, "text"));
        assert!(!may_write(Patient, Reply, "read_at"));
        assert!(!may_write(CareTeam, Reply, "text"));
        assert!(!may_write(CareTeam, Reply, "deleted"));
        assert!(may_write(CareTeam, Reply, "read_at"));
    }

    #[test]
    fn a_reply_has_words_goes_to_the_care_team_and_points_at_its_message() {
        let message = RecordId::new();
        let r = Reply::from_draft(
            ReplyDraft {
                text: "  It went better than I thought.  ".into(),
                in_reply_to: Some(message),
            },
            now(),
        )
        .unwrap();
        assert_eq!(r.text, "It went better than I thought.");
        assert_eq!(r.visibility, Visibility::CareTeam);
        assert_eq!(r.links(), [("in_reply_to", RecordKind::Message, message)]);
        let e = Reply::from_draft(ReplyDraft::default(), now()).unwrap_err();
        assert_eq!(
            e.for_field("text"),
            Some("Write the reply before sending it.")
        );
        let private = Reply {
            visibility: Visibility::Private,
            ..r
        };
        assert!(
            private
                .check_outside_draft()
                .unwrap_err()
                .for_field("visibility")
                .is_some()
        );
    }

    #[test]
    fn an_assignment_names_a_worksheet_steady_has_and_a_due_date_ahead() {
        let a = Assignment::from_draft(
            AssignmentDraft {
                template: "cbt-thought-record".into(),
                due: NaiveDate::from_ymd_opt(2026, 11, 27),
                note: "  After Thursday's group  ".into(),
                from: "Dana".into(),
            },
            now(),
        )
        .unwrap();
        assert_eq!(a.note, "After Thursday's group");
        assert_eq!(a.at(), now());
        let e = Assignment::from_draft(
            AssignmentDraft {
                template: "tarot".into(),
                due: NaiveDate::from_ymd_opt(2026, 11, 1),
                note: String::new(),
                from: " ".into(),
            },
            now(),
        )
        .unwrap_err();
        assert!(
            e.for_field("template")
                .unwrap()
                .contains("cbt-thought-record")
        );
        assert!(e.for_field("due").unwrap().contains("has passed"));
        assert!(e.for_field("from").is_some());
    }

    #[test]
    fn a_message_has_text_within_the_limit() {
        let e = Message::from_draft(
            MessageDraft {
                text: "   ".into(),
                from: "Dana".into(),
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(
            e.for_field("text"),
            Some("Write the message before sending it.")
        );
        let e = Message::from_draft(
            MessageDraft {
                text: "x".repeat(MAX_MESSAGE_CHARS + 1),
                from: "Dana".into(),
            },
            now(),
        )
        .unwrap_err();
        assert!(e.for_field("text").unwrap().contains("2001 characters"));
        let m = Message::from_draft(
            MessageDraft {
                text: "How did the weekend go?".into(),
                from: "Dana".into(),
            },
            now(),
        )
        .unwrap();
        let json = serde_json::to_value(&m).unwrap();
        assert!(
            json.get("read_at").is_none(),
            "unread carries no read_at field"
        );
    }
}
