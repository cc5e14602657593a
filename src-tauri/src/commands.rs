//! The commands the UI calls. Each is a thin wrapper over one store call;
//! errors reach the UI as [`ErrorReport`]s with words a person can act on.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use steady_core::{
    AttendanceMark, ErrorReport, ListQuery, OccurrenceView, Page, ReminderSettings, StoreError,
    WeekHours,
};
use steady_model::worksheet::{Score, score};
use steady_model::{
    Answers, Attendance, CheckIn, CheckInDraft, CrisisLine, Entry, Event, EventDraft, Library,
    PlanDraft, Program, ProgramDraft, Questionnaire, RecordId, RelapsePreventionPlan, TriggerDraft,
    TriggerEntry, ValidationErrors, Worksheet, WorksheetDraft,
};
use tauri::State;

use crate::OpenedStore;
use crate::reminders::Reminders;

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

/// Writes the schedule to an .ics file in the Downloads folder; returns its path.
#[tauri::command]
pub async fn export_ics(app: tauri::AppHandle, store: State<'_, OpenedStore>) -> Reply<String> {
    let store = store.get()?;
    let text = store.export_ics().await?;
    let name = format!("steady-schedule-{}.ics", Utc::now().format("%Y-%m-%d"));
    write_download(&store, &downloads(&app)?, &name, &text).await
}

/// The folder exports are written to: Downloads, or Documents without one.
fn downloads(app: &tauri::AppHandle) -> Reply<std::path::PathBuf> {
    use tauri::Manager;
    // Without an XDG user-dirs file Linux reports no Downloads folder; fall
    // back to ~/Downloads, which is where a person would look.
    app.path()
        .download_dir()
        .or_else(|_| app.path().document_dir())
        .or_else(|_| app.path().home_dir().map(|home| home.join("Downloads")))
        .map_err(|e| {
            ErrorReport::storage(format!(
                "Steady could not find a Downloads folder to save to ({e})."
            ))
        })
}

/// Writes an export and notes it, so erasing the device removes it too.
async fn write_download(
    store: &steady_core::Store,
    dir: &std::path::Path,
    name: &str,
    text: &str,
) -> Reply<String> {
    let path = dir.join(name);
    store.note_export(&path).await?;
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&path, text))
        .map_err(|e| {
            ErrorReport::storage(format!("Steady could not write {}: {e}.", path.display()))
        })?;
    Ok(path.display().to_string())
}

/// Adds the events of a calendar file to the schedule, all or none.
#[tauri::command]
pub async fn import_ics(
    store: State<'_, OpenedStore>,
    reminders: State<'_, Reminders>,
    text: String,
) -> Reply<usize> {
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
    Ok(imported.len())
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

/// Writes a completed worksheet as FHIR R4 JSON (the QuestionnaireResponse
/// and its Questionnaire) to the Downloads folder; returns both paths.
#[tauri::command]
pub async fn export_worksheet(
    app: tauri::AppHandle,
    store: State<'_, OpenedStore>,
    id: RecordId,
) -> Reply<Vec<String>> {
    let store = store.get()?;
    let entry = store.get::<Worksheet>(id).await?;
    let export = steady_core::fhir_export(&entry)?;
    let worksheet = entry.data;
    let day = worksheet
        .completed
        .unwrap_or(worksheet.started)
        .format("%Y-%m-%d");
    let short: String = id.to_string().chars().rev().take(6).collect();
    let files = [
        (
            format!(
                "{}-{day}-{short}.questionnaire-response.json",
                worksheet.template
            ),
            export.response,
        ),
        (
            format!(
                "{}-{}.questionnaire.json",
                worksheet.template, worksheet.version
            ),
            export.questionnaire,
        ),
    ];
    let dir = downloads(&app)?;
    let mut paths = Vec::new();
    for (name, value) in files {
        let text = serde_json::to_string_pretty(&value).map_err(|e| {
            ErrorReport::storage(format!("Steady could not write the export ({e})."))
        })?;
        paths.push(write_download(&store, &dir, &name, &text).await?);
    }
    Ok(paths)
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
