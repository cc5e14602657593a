//! Sync with the clinic: the loop from steady-core, started with the app,
//! and the commands behind the Settings screen (pair, consent, unpair) and
//! the sync state in the header. Every status change is sent to the window
//! as a `sync-status` event; counselor changes that arrive re-plan reminders,
//! and a new message from the care team is announced in a notification that
//! says nothing of what it says.

use std::sync::Arc;

use steady_core::{
    ConsentTerms, Disclosures, ErrorReport, ListQuery, PairPreview, Store, SyncClient, SyncError,
    SyncRunner, SyncStatus, Timing,
};
use steady_model::{Assignment, Entry, Message, RecordId, ReplyDraft};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::OpenedStore;
use crate::reminders::{Reminders, announce_messages};

/// The event the window listens to for the sync state.
pub const STATUS_EVENT: &str = "sync-status";

/// The running loop and the client it shares with the commands.
pub struct Sync {
    runner: SyncRunner,
    client: SyncClient,
}

impl Sync {
    /// Starts the loop; call it from a task on Tauri's runtime.
    pub fn start(app: &AppHandle, store: Arc<Store>) -> Self {
        let client = SyncClient::new();
        let handle = app.clone();
        // Called on Tauri's runtime, whose tasks the runner spawns.
        let runner = SyncRunner::start(store, client.clone(), Timing::default(), move |status| {
            let _ = handle.emit(STATUS_EVENT, &status);
            if let Some(reminders) = handle.try_state::<Reminders>() {
                reminders.replan();
            }
            let app = handle.clone();
            tauri::async_runtime::spawn(async move { announce_messages(&app).await });
        });
        Self { runner, client }
    }
}

type Reply<T> = Result<T, ErrorReport>;

fn report(e: SyncError) -> ErrorReport {
    match e {
        SyncError::Store(e) => e.into(),
        SyncError::BadCode(message) => ErrorReport::invalid("code", message),
        SyncError::BadServer(message) => ErrorReport::invalid("server", message),
        other => ErrorReport::storage(other.to_string()),
    }
}

#[tauri::command]
pub async fn sync_status(store: State<'_, OpenedStore>) -> Reply<SyncStatus> {
    Ok(store.get()?.sync_status().await?)
}

#[tauri::command]
pub fn sync_now(store: State<'_, OpenedStore>) -> Reply<()> {
    store.sync()?.runner.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn preview_pairing(
    store: State<'_, OpenedStore>,
    server: String,
    code: String,
) -> Reply<PairPreview> {
    store
        .sync()?
        .client
        .preview(&server, &code)
        .await
        .map_err(report)
}

/// Tells the window (the header) about a status the commands changed.
fn announce(app: &AppHandle, status: SyncStatus) -> SyncStatus {
    let _ = app.emit(STATUS_EVENT, &status);
    status
}

#[tauri::command]
pub async fn pair_clinic(
    app: AppHandle,
    store: State<'_, OpenedStore>,
    server: String,
    code: String,
    consent: ConsentTerms,
    device_label: String,
) -> Reply<SyncStatus> {
    let sync = store.sync()?;
    let status = sync
        .client
        .pair(&*store.get()?, &server, &code, consent, &device_label)
        .await
        .map_err(report)?;
    sync.runner.sync_now();
    Ok(announce(&app, status))
}

#[tauri::command]
pub async fn give_consent(
    app: AppHandle,
    store: State<'_, OpenedStore>,
    consent: ConsentTerms,
) -> Reply<SyncStatus> {
    let sync = store.sync()?;
    let status = sync
        .client
        .give_consent(&*store.get()?, consent)
        .await
        .map_err(report)?;
    sync.runner.sync_now();
    Ok(announce(&app, status))
}

#[tauri::command]
pub async fn revoke_consent(app: AppHandle, store: State<'_, OpenedStore>) -> Reply<SyncStatus> {
    let status = store
        .sync()?
        .client
        .revoke_consent(&*store.get()?)
        .await
        .map_err(report)?;
    Ok(announce(&app, status))
}

#[tauri::command]
pub async fn unpair_clinic(app: AppHandle, store: State<'_, OpenedStore>) -> Reply<SyncStatus> {
    let status = store
        .sync()?
        .client
        .unpair(&*store.get()?)
        .await
        .map_err(report)?;
    Ok(announce(&app, status))
}

/// Every live record of one kind the care team sent, newest first.
async fn all<B: steady_model::Body>(store: &Store) -> Reply<Vec<Entry<B>>> {
    let query = ListQuery {
        limit: ListQuery::MAX_LIMIT,
        ..ListQuery::default()
    };
    Ok(store.list(&query).await?.items)
}

#[tauri::command]
pub async fn list_messages(store: State<'_, OpenedStore>) -> Reply<Vec<Entry<Message>>> {
    all(&*store.get()?).await
}

#[tauri::command]
pub async fn mark_message_read(
    store: State<'_, OpenedStore>,
    id: RecordId,
) -> Reply<Entry<Message>> {
    Ok(store.get()?.mark_message_read(id).await?)
}

/// The patient's replies to the care team, newest first.
#[tauri::command]
pub async fn list_replies(store: State<'_, OpenedStore>) -> Reply<Vec<Entry<steady_model::Reply>>> {
    all(&*store.get()?).await
}

/// Writes a reply to the care team; it goes with the next sync.
#[tauri::command]
pub async fn send_reply(
    store: State<'_, OpenedStore>,
    draft: ReplyDraft,
) -> Reply<Entry<steady_model::Reply>> {
    Ok(store.get()?.create::<steady_model::Reply>(draft).await?)
}

#[tauri::command]
pub async fn list_assignments(store: State<'_, OpenedStore>) -> Reply<Vec<Entry<Assignment>>> {
    all(&*store.get()?).await
}

/// Who at the clinic read or wrote this patient's records, as last fetched.
#[tauri::command]
pub async fn list_disclosures(store: State<'_, OpenedStore>) -> Reply<Disclosures> {
    Ok(store.get()?.disclosures().await?)
}

/// Fetches the list again from the clinic, and keeps it.
#[tauri::command]
pub async fn refresh_disclosures(store: State<'_, OpenedStore>) -> Reply<Disclosures> {
    store
        .sync()?
        .client
        .refresh_disclosures(&*store.get()?)
        .await
        .map_err(report)
}
