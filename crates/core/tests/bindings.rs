//! The UI's TypeScript types are generated from these Rust types. This test
//! fails when `ui/src/lib/bindings.ts` no longer matches them; run
//! `cargo xtask bindings` to regenerate it.

use std::path::Path;

use steady_core::{
    AttendanceMark, ConsentTerms, ErrorReport, FhirExport, ListQuery, OccurrenceView, Page,
    PageCursor, PairPreview, QuietHours, Refusal, ReminderSettings, SyncLog, SyncStatus, WeekHours,
};
use steady_model::worksheet::Score;
use steady_model::{
    AnswerOption, AnswerValue, Answers, Assignment, Attendance, AttendanceStatus, CheckIn,
    CheckInDraft, Comment, Craving, CrisisLine, Day, Entry, Event, EventDraft, EventKind,
    Exception, FieldError, Frequency, Halt, Intensity, Item, ItemType, LevelChange, LevelOfCare,
    Message, Mood, OccurrenceChange, Outcome, PlanDraft, Program, ProgramDraft, Questionnaire,
    RecordId, RecordKind, Recurrence, RelapsePreventionPlan, ScoreRule, SupportContact,
    TriggerCategory, TriggerDraft, TriggerEntry, Visibility, Worksheet, WorksheetDraft,
    WorksheetReview, WorksheetStatus,
};
use ts_rs::{Config, TS};

fn generate() -> String {
    let cfg = Config::default();
    let decls = [
        RecordId::decl(&cfg),
        Visibility::decl(&cfg),
        RecordKind::decl(&cfg),
        Entry::<()>::decl(&cfg),
        Craving::decl(&cfg),
        Mood::decl(&cfg),
        Halt::decl(&cfg),
        Outcome::decl(&cfg),
        CheckInDraft::decl(&cfg),
        CheckIn::decl(&cfg),
        TriggerCategory::decl(&cfg),
        Intensity::decl(&cfg),
        TriggerDraft::decl(&cfg),
        TriggerEntry::decl(&cfg),
        EventKind::decl(&cfg),
        Frequency::decl(&cfg),
        Day::decl(&cfg),
        Recurrence::decl(&cfg),
        OccurrenceChange::decl(&cfg),
        Exception::decl(&cfg),
        EventDraft::decl(&cfg),
        Event::decl(&cfg),
        QuietHours::decl(&cfg),
        LevelOfCare::decl(&cfg),
        LevelChange::decl(&cfg),
        ProgramDraft::decl(&cfg),
        Program::decl(&cfg),
        AttendanceStatus::decl(&cfg),
        Attendance::decl(&cfg),
        AttendanceMark::decl(&cfg),
        OccurrenceView::decl(&cfg),
        WeekHours::decl(&cfg),
        ReminderSettings::decl(&cfg),
        FieldError::decl(&cfg),
        ErrorReport::decl(&cfg),
        ListQuery::decl(&cfg),
        PageCursor::decl(&cfg),
        Page::<()>::decl(&cfg),
        ItemType::decl(&cfg),
        AnswerOption::decl(&cfg),
        Item::decl(&cfg),
        ScoreRule::decl(&cfg),
        Questionnaire::decl(&cfg),
        AnswerValue::decl(&cfg),
        Answers::decl(&cfg),
        WorksheetStatus::decl(&cfg),
        WorksheetDraft::decl(&cfg),
        Worksheet::decl(&cfg),
        Score::decl(&cfg),
        FhirExport::decl(&cfg),
        SupportContact::decl(&cfg),
        PlanDraft::decl(&cfg),
        RelapsePreventionPlan::decl(&cfg),
        CrisisLine::decl(&cfg),
        WorksheetReview::decl(&cfg),
        Comment::decl(&cfg),
        Assignment::decl(&cfg),
        Message::decl(&cfg),
        ConsentTerms::decl(&cfg),
        PairPreview::decl(&cfg),
        Refusal::decl(&cfg),
        SyncLog::decl(&cfg),
        SyncStatus::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by crates/core/tests/bindings.rs.\n\
         // Do not edit: run `cargo xtask bindings` after changing those types.\n",
    );
    for decl in decls {
        out.push_str("\nexport ");
        out.push_str(&decl);
        out.push('\n');
    }
    // The groups of kinds, so that no screen lists them by hand.
    for (name, group, doc) in [
        (
            "SHAREABLE_KINDS",
            &RecordKind::SHAREABLE[..],
            "The kinds a patient may share, in the order the consent asks about them.",
        ),
        (
            "CARE_TEAM_KINDS",
            &RecordKind::CARE_TEAM[..],
            "The kinds only the care team writes.",
        ),
    ] {
        let kinds: Vec<String> = group
            .iter()
            .map(|k| format!("\"{}\"", k.as_str()))
            .collect();
        out.push_str(&format!(
            "\n/** {doc} */\nexport const {name}: readonly RecordKind[] = [{}];\n",
            kinds.join(", ")
        ));
    }
    out
}

#[test]
fn ui_bindings_match_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
    let fresh = generate();
    if std::env::var_os("STEADY_WRITE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "ui/src/lib/bindings.ts is stale: run `cargo xtask bindings` and commit the result"
    );
}
