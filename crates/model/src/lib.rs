//! Steady's shared vocabulary: the records a patient keeps, the rules that
//! decide whether an entry may be stored, and the hybrid logical clock that
//! stamps every field so replicas can be merged later.
//!
//! Nothing here touches a disk, a clock or a network: callers pass "now" in,
//! which keeps every rule testable as a pure function.

pub mod care;
pub mod checkin;
pub mod crisis;
mod dispatch;
pub mod fhir;
pub mod hlc;
pub mod ics;
pub mod ids;
pub mod insight;
pub mod journal;
pub mod kind;
pub mod meetings;
pub mod merge;
pub mod pairing;
pub mod plan;
pub mod program;
pub mod progress;
pub mod protocol;
pub mod questionnaire;
pub mod record;
pub mod schedule;
pub mod trigger;
pub mod validation;
pub mod worksheet;

pub use care::{
    Assignment, AssignmentDraft, Comment, Message, MessageDraft, Reply, ReplyDraft,
    WorksheetReview, Writer, may_write,
};
pub use checkin::{CheckIn, CheckInDraft, Craving, Halt, Mood, Outcome};
pub use crisis::{CrisisLine, check_crisis_lines, us_crisis_lines};
pub use hlc::{Clock, Hlc};
pub use ids::{NodeId, RecordId};
pub use insight::{RiskFlag, risk_flags};
pub use journal::{JournalDraft, JournalEntry};
pub use kind::RecordKind;
pub use plan::{PlanDraft, RelapsePreventionPlan, SupportContact};
pub use program::{
    Attendance, AttendanceDraft, AttendanceStatus, LevelChange, LevelOfCare, Program, ProgramDraft,
};
pub use questionnaire::{AnswerOption, Item, ItemType, Library, Questionnaire, ScoreRule};
pub use record::{Body, Entry, Visibility};
pub use schedule::{
    Day, Event, EventDraft, EventKind, Exception, Frequency, Occurrence, OccurrenceChange,
    Recurrence, end_of_day,
};
pub use trigger::{Intensity, TriggerCategory, TriggerDraft, TriggerEntry};
pub use validation::{FieldError, ValidationErrors};
pub use worksheet::{AnswerValue, Answers, Score, Worksheet, WorksheetDraft, WorksheetStatus};
