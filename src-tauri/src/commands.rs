//! The commands the UI calls. Each is a thin wrapper over one store call;
//! errors reach the UI as [`ErrorReport`]s with words a person can act on.

use steady_core::{ErrorReport, ListQuery, Page};
use steady_model::{CheckIn, CheckInDraft, Entry, RecordId, TriggerDraft, TriggerEntry};
use tauri::State;

use crate::OpenedStore;

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
