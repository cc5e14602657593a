//! Both UIs' TypeScript types are generated from the Rust types here: the
//! app's (`ui/src/lib/bindings.ts`, what its Tauri commands take and give)
//! and the counselor dashboard's (`dashboard/src/lib/bindings.ts`, what the
//! server's API answers). This test fails when either file no longer
//! matches them; run `cargo xtask bindings` to regenerate both.

use std::path::Path;

use steady_core::{
    Attempt, AttendanceMark, BackupReport, ConsentTerms, Disclosures, ErrorReport, ExportReport,
    FeedInfo, FeedReport, FhirExport, FoundMeeting, ListQuery, LockSettings, MeetingSearch,
    OccurrenceView, Page, PageCursor, PairPreview, Progress, ProgressSettings, QuietHours, Refusal,
    ReminderSettings, RestoreReport, StoreState, SyncLog, SyncStatus, WeekHours,
};
use steady_model::ics::{ImportSummary, Skipped};
use steady_model::insight::{
    CopingResult, DayCraving, HaltCounts, HeatCell, InsightReport, TriggerCount, WeekAttendance,
    WeekFigures, WeeklyReview,
};
use steady_model::meetings::{AttendanceOption, Meeting, MeetingFilter, MeetingSource, TimeOfDay};
use steady_model::progress::{Counter, Milestone, ProgramProgress, Streak, UseFree};
use steady_model::protocol::Disclosure;
use steady_model::worksheet::Score;
use steady_model::{
    AnswerOption, AnswerValue, Answers, Assignment, Attendance, AttendanceStatus, CheckIn,
    CheckInDraft, Comment, Craving, CrisisLine, Day, Entry, Event, EventDraft, EventKind,
    Exception, FieldError, Frequency, Halt, Intensity, Item, ItemType, LevelChange, LevelOfCare,
    Message, Mood, OccurrenceChange, Outcome, PlanDraft, Program, ProgramDraft, Questionnaire,
    RecordId, RecordKind, Recurrence, RelapsePreventionPlan, Reply, ReplyDraft, ScoreRule,
    SupportContact, TriggerCategory, TriggerDraft, TriggerEntry, Visibility, Worksheet,
    WorksheetDraft, WorksheetReview, WorksheetStatus,
};
use steady_server::db::Stage;
use steady_server::db::{AuditEntry, ClinicDevice, Device, Patient, Role, User};
use steady_server::http::admin::audit::AuditQuery;
use steady_server::http::auth::{CurrentSession, SignedIn};
use steady_server::http::counselor::care::{GroupSessions, RepliesRead, Written};
use steady_server::http::counselor::caseload::CaseloadEntry;
use steady_server::http::counselor::insight::Insights;
use steady_server::http::counselor::patients::PairingCode;
use steady_server::http::counselor::records::PatientRecord;
use steady_server::http::second_factor::{
    ClinicSecondFactor, NewSecondFactor, RecoveryCodes, SecondFactorCode, SecondFactorStatus,
};
use ts_rs::{Config, TS};

/// The app's types: what its commands take and give.
fn ui_decls(cfg: &Config) -> Vec<String> {
    vec![
        RecordId::decl(cfg),
        Visibility::decl(cfg),
        RecordKind::decl(cfg),
        Entry::<()>::decl(cfg),
        Craving::decl(cfg),
        Mood::decl(cfg),
        Halt::decl(cfg),
        Outcome::decl(cfg),
        CheckInDraft::decl(cfg),
        CheckIn::decl(cfg),
        TriggerCategory::decl(cfg),
        Intensity::decl(cfg),
        TriggerDraft::decl(cfg),
        TriggerEntry::decl(cfg),
        EventKind::decl(cfg),
        Frequency::decl(cfg),
        Day::decl(cfg),
        Recurrence::decl(cfg),
        OccurrenceChange::decl(cfg),
        Exception::decl(cfg),
        EventDraft::decl(cfg),
        Skipped::decl(cfg),
        ImportSummary::decl(cfg),
        MeetingSource::decl(cfg),
        AttendanceOption::decl(cfg),
        TimeOfDay::decl(cfg),
        Meeting::decl(cfg),
        MeetingFilter::decl(cfg),
        FoundMeeting::decl(cfg),
        MeetingSearch::decl(cfg),
        FeedInfo::decl(cfg),
        FeedReport::decl(cfg),
        Event::decl(cfg),
        QuietHours::decl(cfg),
        LevelOfCare::decl(cfg),
        LevelChange::decl(cfg),
        ProgramDraft::decl(cfg),
        Program::decl(cfg),
        AttendanceStatus::decl(cfg),
        Attendance::decl(cfg),
        AttendanceMark::decl(cfg),
        OccurrenceView::decl(cfg),
        WeekHours::decl(cfg),
        ReminderSettings::decl(cfg),
        FieldError::decl(cfg),
        ErrorReport::decl(cfg),
        ListQuery::decl(cfg),
        PageCursor::decl(cfg),
        Page::<()>::decl(cfg),
        ItemType::decl(cfg),
        AnswerOption::decl(cfg),
        Item::decl(cfg),
        ScoreRule::decl(cfg),
        Questionnaire::decl(cfg),
        AnswerValue::decl(cfg),
        Answers::decl(cfg),
        WorksheetStatus::decl(cfg),
        WorksheetDraft::decl(cfg),
        Worksheet::decl(cfg),
        Score::decl(cfg),
        FhirExport::decl(cfg),
        SupportContact::decl(cfg),
        PlanDraft::decl(cfg),
        RelapsePreventionPlan::decl(cfg),
        CrisisLine::decl(cfg),
        WorksheetReview::decl(cfg),
        Comment::decl(cfg),
        Assignment::decl(cfg),
        Message::decl(cfg),
        Reply::decl(cfg),
        ReplyDraft::decl(cfg),
        ConsentTerms::decl(cfg),
        PairPreview::decl(cfg),
        steady_core::PairLink::decl(cfg),
        Refusal::decl(cfg),
        SyncLog::decl(cfg),
        SyncStatus::decl(cfg),
        LockSettings::decl(cfg),
        Attempt::decl(cfg),
        StoreState::decl(cfg),
        Disclosure::decl(cfg),
        Disclosures::decl(cfg),
        DayCraving::decl(cfg),
        HeatCell::decl(cfg),
        TriggerCount::decl(cfg),
        HaltCounts::decl(cfg),
        WeekAttendance::decl(cfg),
        CopingResult::decl(cfg),
        InsightReport::decl(cfg),
        Streak::decl(cfg),
        UseFree::decl(cfg),
        Counter::decl(cfg),
        Milestone::decl(cfg),
        ProgramProgress::decl(cfg),
        ProgressSettings::decl(cfg),
        Progress::decl(cfg),
        ExportReport::decl(cfg),
        BackupReport::decl(cfg),
        RestoreReport::decl(cfg),
        steady_core::backup::AutoBackup::decl(cfg),
        WeekFigures::decl(cfg),
        WeeklyReview::decl(cfg),
        steady_core::WeeklyReviewTime::decl(cfg),
        steady_model::JournalDraft::decl(cfg),
        steady_model::JournalEntry::decl(cfg),
    ]
}

/// The dashboard's types: what the server's API answers.
fn dashboard_decls(cfg: &Config) -> Vec<String> {
    vec![
        RecordKind::decl(cfg),
        Role::decl(cfg),
        User::decl(cfg),
        Stage::decl(cfg),
        SignedIn::decl(cfg),
        CurrentSession::decl(cfg),
        SecondFactorCode::decl(cfg),
        NewSecondFactor::decl(cfg),
        RecoveryCodes::decl(cfg),
        SecondFactorStatus::decl(cfg),
        ClinicSecondFactor::decl(cfg),
        Patient::decl(cfg),
        steady_model::RiskFlag::decl(cfg),
        CaseloadEntry::decl(cfg),
        PairingCode::decl(cfg),
        Device::decl(cfg),
        ClinicDevice::decl(cfg),
        TriggerCategory::decl(cfg),
        DayCraving::decl(cfg),
        HeatCell::decl(cfg),
        TriggerCount::decl(cfg),
        HaltCounts::decl(cfg),
        WeekAttendance::decl(cfg),
        CopingResult::decl(cfg),
        Insights::decl(cfg),
        PatientRecord::decl(cfg),
        ItemType::decl(cfg),
        AnswerOption::decl(cfg),
        Item::decl(cfg),
        ScoreRule::decl(cfg),
        Questionnaire::decl(cfg),
        AuditEntry::decl(cfg),
        AuditQuery::decl(cfg),
        Written::decl(cfg),
        GroupSessions::decl(cfg),
        RepliesRead::decl(cfg),
    ]
}

fn generate(decls: Vec<String>) -> String {
    let mut out = String::from(
        "// Generated from the Rust types by tests/bindings.rs.\n\
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

/// Writes `file` when STEADY_WRITE_BINDINGS is set; otherwise fails if it
/// differs from what the Rust types generate.
fn check(file: &str, fresh: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    if std::env::var_os("STEADY_WRITE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "{file} is stale: run `cargo xtask bindings` and commit the result"
    );
}

#[test]
fn ui_bindings_match_the_rust_types() {
    check(
        "ui/src/lib/bindings.ts",
        generate(ui_decls(&Config::default())),
    );
}

#[test]
fn dashboard_bindings_match_the_rust_types() {
    check(
        "dashboard/src/lib/bindings.ts",
        generate(dashboard_decls(&Config::default())),
    );
}
