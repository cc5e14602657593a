//! Pairing by link: `steady://pair?server=…&code=…`, the dashboard's QR
//! code and link. Tauri's deep-link plugin hands the app the link it was
//! started with (a desktop launcher passes it as the one argument; a phone
//! as the intent or URL that opened it) and each one opened while it runs.
//! A link is read by steady-core's `PairLink::parse` (hostile until checked)
//! and kept until the Settings screen takes it, which fills the pairing
//! form; nothing is paired until the patient reads the consent and agrees.

use std::sync::Mutex;

use steady_core::{ErrorReport, PairLink};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

/// The event that tells the window a link arrived: Settings takes it.
pub const PAIR_LINK_EVENT: &str = "pair-link";

/// The last link opened, until Settings takes it.
#[derive(Default)]
pub struct PendingPairLink(Mutex<Option<Result<PairLink, String>>>);

/// Listens for links and keeps the one the app was started with.
pub fn install(app: &AppHandle) {
    app.manage(PendingPairLink::default());
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        if let Some(url) = event.urls().into_iter().next() {
            opened(&handle, url.as_str());
        }
    });
    if let Ok(Some(urls)) = app.deep_link().get_current()
        && let Some(url) = urls.into_iter().next()
    {
        opened(app, url.as_str());
    }
}

fn opened(app: &AppHandle, link: &str) {
    // The words say what is wrong with the link, never what it holds.
    let read = PairLink::parse(link).map_err(|e| e.to_string());
    if let Some(pending) = app.try_state::<PendingPairLink>() {
        *pending.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(read);
    }
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.set_focus();
    }
    let _ = app.emit(PAIR_LINK_EVENT, ());
}

/// The link opened last: the address and code to fill in, or what is wrong
/// with it. `take` hands it over once (Settings); without it the link stays
/// (the window, opening on a link, asks whether to show Settings).
#[tauri::command]
pub fn pending_pair_link(
    pending: tauri::State<'_, PendingPairLink>,
    take: bool,
) -> Result<Option<PairLink>, ErrorReport> {
    let mut slot = pending.0.lock().unwrap_or_else(|p| p.into_inner());
    let read = if take { slot.take() } else { slot.clone() };
    read.transpose()
        .map_err(|message| ErrorReport::invalid("link", message))
}

/// Reads a link the camera found in a QR code (on a phone): the address
/// and code to fill in, or what is wrong with it.
#[tauri::command]
pub fn read_pair_link(link: String) -> Result<PairLink, ErrorReport> {
    PairLink::parse(&link).map_err(|e| ErrorReport::invalid("link", e.to_string()))
}

/// Whether this is a phone, where pairing can scan the dashboard's QR code
/// with the camera (the barcode-scanner plugin, mobile only).
#[tauri::command]
pub fn can_scan() -> bool {
    cfg!(mobile)
}
