//! The commands the UI calls. Each is a thin wrapper over one store call;
//! errors reach the UI as [`ErrorReport`]s with words a person can act on.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use steady_core::{
    AttendanceMark, ErrorReport, ListQuery, OccurrenceView, Page, Progress, ProgressSettings,
    ReminderSettings, StoreError, WeekHours,
};
use steady_model::insight::InsightReport;
use steady_model::worksheet::{Score, score};
use steady_model::{
    Answers, Attendance, CheckIn, CheckInDraft, CrisisLine, Entry, Event, EventDraft, Library,
    PlanDraft, Program, ProgramDraft, Questionnaire, RecordId, RelapsePreventionPlan, TriggerDraft,
    TriggerEntry, ValidationErrors, Worksheet, WorksheetDraft,
};
use tauri::State;

use crate::OpenedStore;
use crate::reminders::Reminders;
use crate::save_as::{Offer, file_name, save_as};

type Reply<T> = Result<T, ErrorReport>;

#[tauri::command]
pub async fn create_checkin(
    store: State<'_, OpenedStore>,
    draft: CheckInDraft,
) -> Reply<Entry<CheckIn>> {
    Ok(store.get()?.create(draft).await?)
}

#[tauri::command]
pub async fn update_checkin(
    store: State<'_, OpenedStore>,
    id: RecordId,
    draft: CheckInDraft,
) -> Reply<Entry<CheckIn>> {
    Ok(store.get()?.update(id, draft).await?)
}

#[tauri::command]
pub async fn delete_checkin(store: State<'_, OpenedStore>, id: RecordId) -> Reply<()> {
    Ok(store.get()?.delete::<CheckIn>(id).await?)
}

#[tauri::command]
pub async fn get_checkin(store: State<'_, OpenedStore>, id: RecordId) -> Reply<Entry<CheckIn>> {
    Ok(store.get()?.get(id).await?)
}

#[tauri::command]
pub async fn list_checkins(
    store: State<'_, OpenedStore>,
    query: ListQuery,
) -> Reply<Page<Entry<CheckIn>>> {
    Ok(store.get()?.list(&query).await?)
}

#[tauri::command]
pub async fn create_trigger(
    store: State<'_, OpenedStore>,
    draft: TriggerDraft,
) -> Reply<Entry<TriggerEntry>> {
    Ok(store.get()?.create(draft).await?)
}

#[tauri::command]
pub async fn update_trigger(
    store: State<'_, OpenedStore>,
    id: RecordId,
    draft: TriggerDraft,
) -> Reply<Entry<TriggerEntry>> {
    Ok(store.get()?.update(id, draft).await?)
}

#[tauri::command]
pub async fn delete_trigger(store: State<'_, OpenedStore>, id: RecordId) -> Reply<()> {
    Ok(store.get()?.delete::<TriggerEntry>(id).await?)
}

#[tauri::command]
pub async fn list_triggers(
    store: State<'_, OpenedStore>,
    query: ListQuery,
) -> Reply<Page<Entry<TriggerEntry>>> {
    Ok(store.get()?.list(&query).await?)
}

// The schedule. Every change wakes the reminder task so it plans again.

#[tauri::command]
pub async fn create_event(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    draft: EventDraft,
) -> Reply<Entry<Event>> {
    let saved = store.get()?.create(draft).await?;
    reminders.replan();
    Ok(saved)
}

#[tauri::command]
pub async fn update_event(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    id: RecordId,
    draft: EventDraft,
) -> Reply<Entry<Event>> {
    let saved = store.get()?.update(id, draft).await?;
    reminders.replan();
    Ok(saved)
}

#[tauri::command]
pub async fn delete_event(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    id: RecordId,
) -> Reply<()> {
    store.get()?.delete::<Event>(id).await?;
    reminders.replan();
    Ok(())
}

#[tauri::command]
pub async fn get_event(store: State<'_, OpenedStore>, id: RecordId) -> Reply<Entry<Event>> {
    Ok(store.get()?.get(id).await?)
}

/// Longest range the week view may ask for at once.
const MAX_RANGE_DAYS: i64 = 62;

#[tauri::command]
pub async fn list_occurrences(
    store: State<'_, OpenedStore>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Reply<Vec<OccurrenceView>> {
    if to <= from || to - from > TimeDelta::days(MAX_RANGE_DAYS) {
        return Err(StoreError::from(ValidationErrors::single(
            "to",
            format!("Ask for 1 to {MAX_RANGE_DAYS} days of the schedule at a time."),
        ))
        .into());
    }
    Ok(store
        .get()?
        .occurrences(from, to, crate::zone::device_zone())
        .await?)
}

#[tauri::command]
pub async fn mark_attendance(
    store: State<'_, OpenedStore>,
    mark: AttendanceMark,
) -> Reply<Entry<Attendance>> {
    Ok(store.get()?.mark_attendance(mark).await?)
}

#[tauri::command]
pub async fn week_hours(store: State<'_, OpenedStore>, day: Option<NaiveDate>) -> Reply<WeekHours> {
    let zone = crate::zone::device_zone();
    let day = day.unwrap_or_else(|| Utc::now().with_timezone(&zone).date_naive());
    Ok(store.get()?.week_hours(day, zone).await?)
}

/// Today on the device's clock, in its time zone.
fn device_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&crate::zone::device_zone())
        .date_naive()
}

/// The patient's insights over each of `periods` (in days) ending today.
#[tauri::command]
pub async fn insights(
    store: State<'_, OpenedStore>,
    periods: Vec<u32>,
) -> Reply<Vec<InsightReport>> {
    Ok(store.get()?.insights_for(device_today(), &periods).await?)
}

/// The progress counts the patient turned on, as of today.
#[tauri::command]
pub async fn progress(store: State<'_, OpenedStore>) -> Reply<Progress> {
    Ok(store.get()?.progress(device_today()).await?)
}

/// The weekly review of this week, against the last.
#[tauri::command]
pub async fn weekly_review(
    store: State<'_, OpenedStore>,
) -> Reply<steady_model::insight::WeeklyReview> {
    Ok(store.get()?.weekly_review(device_today()).await?)
}

#[tauri::command]
pub async fn create_journal(
    store: State<'_, OpenedStore>,
    draft: steady_model::JournalDraft,
) -> Reply<Entry<steady_model::JournalEntry>> {
    Ok(store
        .get()?
        .create::<steady_model::JournalEntry>(draft)
        .await?)
}

#[tauri::command]
pub async fn list_journal(
    store: State<'_, OpenedStore>,
    query: ListQuery,
) -> Reply<Page<Entry<steady_model::JournalEntry>>> {
    Ok(store
        .get()?
        .list::<steady_model::JournalEntry>(&query)
        .await?)
}

#[tauri::command]
pub async fn set_progress_settings(
    store: State<'_, OpenedStore>,
    settings: ProgressSettings,
) -> Reply<Progress> {
    let store = store.get()?;
    store
        .set_progress_settings(&settings, device_today())
        .await?;
    Ok(store.progress(device_today()).await?)
}

#[tauri::command]
pub async fn get_program(store: State<'_, OpenedStore>) -> Reply<Option<Entry<Program>>> {
    Ok(store.get()?.program().await?)
}

#[tauri::command]
pub async fn save_program(
    store: State<'_, OpenedStore>,
    draft: ProgramDraft,
) -> Reply<Entry<Program>> {
    Ok(store.get()?.save_program(draft).await?)
}

#[tauri::command]
pub async fn get_reminder_settings(store: State<'_, OpenedStore>) -> Reply<ReminderSettings> {
    Ok(store.get()?.reminder_settings().await?)
}

#[tauri::command]
pub async fn set_reminder_settings(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    settings: ReminderSettings,
) -> Reply<()> {
    store.get()?.set_reminder_settings(&settings).await?;
    reminders.replan();
    Ok(())
}

/// The device's IANA zone, which new events default to.
#[tauri::command]
pub fn device_zone() -> String {
    crate::zone::device_zone().name().to_owned()
}

/// Largest calendar file accepted, in bytes.
const MAX_ICS_BYTES: usize = 1 << 20;

/// Saves the schedule as a calendar file where the patient chooses; returns
/// where, or nothing if they closed the dialog.
#[tauri::command]
pub async fn export_ics(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
) -> Reply<Option<String>> {
    let store = store.get()?;
    let text = store.export_ics().await?;
    let offer = Offer {
        title: "Save your Steady schedule".into(),
        name: file_name(
            &format!(
                "Steady schedule – {}",
                Utc::now()
                    .with_timezone(&crate::zone::device_zone())
                    .format("%-d %B %Y")
            ),
            "ics",
        ),
        kind: "Calendar file",
        extension: "ics",
    };
    save_as(&app, &store, offer, &text).await
}

/// "Export my data": asks for a folder and writes a new folder of everything
/// into it; what was written, or nothing if the dialog was closed.
#[tauri::command]
pub async fn export_my_data(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
) -> Reply<Option<steady_core::ExportReport>> {
    let store = store.get()?;
    let Some(parent) =
        crate::save_as::choose_folder(&app, "Choose where to save all your Steady data").await
    else {
        return Ok(None);
    };
    let now = Utc::now()
        .with_timezone(&crate::zone::device_zone())
        .fixed_offset();
    let report = store.export_all(&parent, now).await?;
    // Erasing the device removes what Steady wrote here too: each file,
    // then the folder if nothing else was put in it.
    let folder = std::path::PathBuf::from(&report.folder);
    for file in &report.files {
        store.note_export(&folder.join(file)).await?;
    }
    store.note_export(&folder).await?;
    Ok(Some(report))
}

/// Makes an encrypted backup of everything where the patient chooses; what
/// was written, or nothing if the dialog was closed.
#[tauri::command]
pub async fn backup_now(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
    passphrase: String,
) -> Reply<Option<steady_core::BackupReport>> {
    let store = store.get()?;
    if passphrase.chars().count() < steady_core::backup::MIN_PASSPHRASE {
        // Said before the dialog, not after.
        return Err(ErrorReport::invalid(
            "passphrase",
            format!(
                "Choose a passphrase of at least {} characters; you will need it to restore this backup, and nobody can recover it for you.",
                steady_core::backup::MIN_PASSPHRASE
            ),
        ));
    }
    let now = Utc::now()
        .with_timezone(&crate::zone::device_zone())
        .fixed_offset();
    let offer = Offer {
        title: "Save an encrypted backup of Steady".into(),
        name: file_name(
            &format!("Steady backup – {}", now.format("%-d %B %Y")),
            "steadybackup",
        ),
        kind: "Steady backup",
        extension: "steadybackup",
    };
    let Some(path) = crate::save_as::choose_place(&app, offer).await else {
        return Ok(None);
    };
    Ok(Some(store.backup_to(&path, &passphrase, now).await?))
}

/// Restores a backup the patient picks, merged with what is here; what it
/// did, or nothing if the dialog was closed.
#[tauri::command]
pub async fn restore_backup(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    passphrase: String,
) -> Reply<Option<steady_core::RestoreReport>> {
    let store = store.get()?;
    let Some(path) = crate::save_as::choose_file(
        &app,
        "Restore from a Steady backup",
        "Steady backup",
        "steadybackup",
    )
    .await
    else {
        return Ok(None);
    };
    let report = store.restore_from(&path, &passphrase).await?;
    reminders.replan();
    Ok(Some(report))
}

/// The weekly backup's folder and when it last ran, if it is on.
#[tauri::command]
pub async fn get_auto_backup(
    store: State<'_, OpenedStore>,
) -> Reply<Option<steady_core::backup::AutoBackup>> {
    Ok(store.get()?.auto_backup().await?)
}

/// Turns the weekly backup on (asking for its folder) with `passphrase`, or
/// off with none; the setting as it now is.
#[tauri::command]
pub async fn set_auto_backup(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
    passphrase: Option<String>,
) -> Reply<Option<steady_core::backup::AutoBackup>> {
    let store = store.get()?;
    let Some(passphrase) = passphrase else {
        return Ok(store.set_auto_backup(None).await?);
    };
    if passphrase.chars().count() < steady_core::backup::MIN_PASSPHRASE {
        return Err(ErrorReport::invalid(
            "passphrase",
            format!(
                "Choose a passphrase of at least {} characters; you will need it to restore these backups, and nobody can recover it for you.",
                steady_core::backup::MIN_PASSPHRASE
            ),
        ));
    }
    let Some(folder) =
        crate::save_as::choose_folder(&app, "Choose where Steady keeps a weekly backup").await
    else {
        return store.auto_backup().await.map_err(Into::into);
    };
    let set = store.set_auto_backup(Some((&folder, &passphrase))).await?;
    // The first one now, not a week from now.
    let now = Utc::now()
        .with_timezone(&crate::zone::device_zone())
        .fixed_offset();
    store.auto_backup_if_due(now).await?;
    Ok(store.auto_backup().await?.or(set))
}

/// Adds the events of a calendar file to the schedule; those Steady cannot
/// keep are skipped and named with their line.
#[tauri::command]
pub async fn import_ics(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    text: String,
) -> Reply<steady_model::ics::ImportSummary> {
    if text.len() > MAX_ICS_BYTES {
        return Err(StoreError::from(ValidationErrors::single(
            "file",
            "That calendar file is larger than 1 MB; export a shorter range from the clinic's calendar.",
        ))
        .into());
    }
    let zone = crate::zone::device_zone();
    let imported = store.get()?.import_ics(&text, zone.name()).await?;
    reminders.replan();
    Ok(steady_model::ics::ImportSummary {
        added: u32::try_from(imported.added.len()).unwrap_or(u32::MAX),
        skipped: imported.skipped,
    })
}

// 12-step meetings from Meeting Guide feeds.

/// Reads a Meeting Guide feed from a file the patient chose and keeps it;
/// series added from an older copy are brought up to date.
#[tauri::command]
pub async fn read_meeting_feed(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    name: String,
    text: String,
) -> Reply<steady_core::FeedReport> {
    if text.len() > steady_core::meetings::MAX_FEED_BYTES {
        return Err(StoreError::from(ValidationErrors::single(
            "feed",
            "That meeting list is larger than 16 MB; ask the service body for its feed of one area.",
        ))
        .into());
    }
    let zone = crate::zone::device_zone();
    let report = store
        .get()?
        .read_meeting_feed(&name, &text, zone.name(), device_today())
        .await?;
    reminders.replan();
    Ok(report)
}

/// Fetches a Meeting Guide feed from its address and keeps it, as
/// [`read_meeting_feed`] does with a file.
#[tauri::command]
pub async fn fetch_meeting_feed(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    url: String,
) -> Reply<steady_core::FeedReport> {
    let text = steady_core::meetings::fetch_feed(&url).await?;
    let zone = crate::zone::device_zone();
    let report = store
        .get()?
        .read_meeting_feed(url.trim(), &text, zone.name(), device_today())
        .await?;
    reminders.replan();
    Ok(report)
}

#[tauri::command]
pub async fn meeting_feeds(store: State<'_, OpenedStore>) -> Reply<Vec<steady_core::FeedInfo>> {
    Ok(store.get()?.meeting_feeds().await?)
}

#[tauri::command]
pub async fn remove_meeting_feed(store: State<'_, OpenedStore>, name: String) -> Reply<()> {
    Ok(store.get()?.remove_meeting_feed(&name).await?)
}

#[tauri::command]
pub async fn find_meetings(
    store: State<'_, OpenedStore>,
    filter: steady_model::meetings::MeetingFilter,
) -> Reply<steady_core::MeetingSearch> {
    Ok(store.get()?.find_meetings(&filter).await?)
}

/// Adds a kept meeting to the schedule on the days chosen; how many series.
#[tauri::command]
pub async fn add_meeting(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    feed: String,
    slug: String,
    days: Vec<u8>,
) -> Reply<usize> {
    let added = store
        .get()?
        .add_meeting(&feed, &slug, &days, device_today())
        .await?;
    reminders.replan();
    Ok(added.len())
}

// Worksheets, the relapse-prevention plan and the "I'm struggling" screen.

/// The worksheets a patient can start, newest version of each.
#[tauri::command]
pub fn list_templates() -> Vec<Questionnaire> {
    Library::builtin().current().into_iter().cloned().collect()
}

/// One template by id and version (an older worksheet may use an older one).
#[tauri::command]
pub fn get_template(id: String, version: String) -> Reply<Questionnaire> {
    Library::builtin()
        .get(&id, &version)
        .cloned()
        .ok_or_else(|| ErrorReport::NotFound {
            message: format!(
                "Steady does not have version {version} of the worksheet \"{id}\"; update the app to open it."
            ),
        })
}

#[tauri::command]
pub async fn create_worksheet(
    store: State<'_, OpenedStore>,
    draft: WorksheetDraft,
) -> Reply<Entry<Worksheet>> {
    Ok(store.get()?.create(draft).await?)
}

#[tauri::command]
pub async fn update_worksheet(
    store: State<'_, OpenedStore>,
    id: RecordId,
    draft: WorksheetDraft,
) -> Reply<Entry<Worksheet>> {
    Ok(store.get()?.update(id, draft).await?)
}

#[tauri::command]
pub async fn get_worksheet(store: State<'_, OpenedStore>, id: RecordId) -> Reply<Entry<Worksheet>> {
    Ok(store.get()?.get(id).await?)
}

#[tauri::command]
pub async fn delete_worksheet(store: State<'_, OpenedStore>, id: RecordId) -> Reply<()> {
    Ok(store.get()?.delete::<Worksheet>(id).await?)
}

#[tauri::command]
pub async fn list_worksheets(
    store: State<'_, OpenedStore>,
    query: ListQuery,
) -> Reply<Page<Entry<Worksheet>>> {
    Ok(store.get()?.list(&query).await?)
}

/// The running total of a scored scale (the PACS), or null for other templates.
#[tauri::command]
pub fn worksheet_score(template: String, version: String, answers: Answers) -> Option<Score> {
    score(Library::builtin().get(&template, &version)?, &answers)
}

/// Saves a completed worksheet for the patient's clinic where they choose:
/// one FHIR R4 file (a Bundle of the QuestionnaireResponse and its
/// Questionnaire) named after the worksheet and its day. Returns where, or
/// nothing if they closed the dialog.
#[tauri::command]
pub async fn export_worksheet(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
    id: RecordId,
) -> Reply<Option<String>> {
    let store = store.get()?;
    let entry = store.get::<Worksheet>(id).await?;
    let export = steady_core::fhir_export(&entry)?;
    let worksheet = &entry.data;
    let authored = worksheet.completed.unwrap_or(worksheet.started);
    let title = Library::builtin()
        .get(&worksheet.template, &worksheet.version)
        .map_or(worksheet.template.as_str(), |t| t.title.as_str());
    let bundle = steady_model::fhir::collection(export.questionnaire, export.response, authored);
    let text = serde_json::to_string_pretty(&bundle)
        .map_err(|e| ErrorReport::storage(format!("Steady could not write the export ({e}).")))?;
    let offer = Offer {
        title: format!("Save “{title}” for your clinic"),
        name: file_name(
            &format!("{title} – {}", authored.format("%-d %B %Y")),
            "json",
        ),
        kind: "Health record for your clinic (FHIR)",
        extension: "json",
    };
    save_as(&app, &store, offer, &text).await
}

#[tauri::command]
pub async fn get_plan(
    store: State<'_, OpenedStore>,
) -> Reply<Option<Entry<RelapsePreventionPlan>>> {
    Ok(store.get()?.plan().await?)
}

#[tauri::command]
pub async fn save_plan(
    store: State<'_, OpenedStore>,
    draft: PlanDraft,
) -> Reply<Entry<RelapsePreventionPlan>> {
    Ok(store.get()?.save_plan(draft).await?)
}

#[tauri::command]
pub async fn get_crisis_lines(store: State<'_, OpenedStore>) -> Reply<Vec<CrisisLine>> {
    Ok(store.get()?.crisis_lines().await?)
}

#[tauri::command]
pub async fn set_crisis_lines(
    store: State<'_, OpenedStore>,
    lines: Vec<CrisisLine>,
) -> Reply<Vec<CrisisLine>> {
    Ok(store.get()?.set_crisis_lines(&lines).await?)
}

/// Opens the phone app on `number`. Only phone numbers are accepted, so the
/// UI cannot be used to open anything else.
#[tauri::command]
pub fn dial(app: tauri::AppHandle, number: String) -> Reply<()> {
    use tauri_plugin_opener::OpenerExt;
    let checked = steady_model::plan::phone_number(&number)
        .map_err(|message| ErrorReport::invalid("number", message))?;
    let dialable = steady_model::plan::dial_string(&checked);
    if dialable.is_empty() {
        return Err(ErrorReport::storage("There is no number to call."));
    }
    app.opener()
        .open_url(format!("tel:{dialable}"), None::<&str>)
        .map_err(|_| {
            ErrorReport::storage(format!(
                "This device has no app for phone calls; dial {checked} from your phone."
            ))
        })
}
