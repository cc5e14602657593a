//! Saving a file the patient takes out of Steady (a worksheet for their
//! clinic, the schedule for another calendar): the system's save dialog
//! offers a name a person recognises, in Downloads, and the patient chooses
//! where it goes. Nothing is written unless they choose a place.

use std::io::Write;

use steady_core::{ErrorReport, Store};
use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, FilePath};
use tauri_plugin_fs::{FsExt, OpenOptions};

use crate::OpenedStore;

/// A file offered for saving.
pub struct Offer {
    /// The dialog's title: what is being saved, and for whom.
    pub title: String,
    /// The name the dialog starts with.
    pub name: String,
    /// The kind of file, as the dialog's filter names it, and its extension.
    pub kind: &'static str,
    pub extension: &'static str,
}

/// A name safe on every system the app runs on: no path separators or the
/// characters Windows refuses, and no leading dot.
pub fn file_name(words: &str, extension: &str) -> String {
    let cleaned: String = words
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    format!("{cleaned}.{extension}")
}

/// Asks where to save `text`, writes it there and notes it (erasing the
/// device removes it too). `None` when the patient closed the dialog.
pub async fn save_as(
    app: &AppHandle,
    store: &Store,
    offer: Offer,
    text: &str,
) -> Result<Option<String>, ErrorReport> {
    let Some(place) = ask(app, offer).await else {
        return Ok(None);
    };
    let shown = place.to_string();
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    app.fs()
        .open(place.clone(), options)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .map_err(|e| ErrorReport::storage(format!("Steady could not write {shown}: {e}.")))?;
    // A phone's place is a content address the app cannot delete later.
    if let Ok(path) = place.into_path() {
        store.note_export(&path).await?;
    }
    Ok(Some(shown))
}

/// The system's save dialog over Steady's window. While it is open the
/// patient is still in Steady: its losing the focus is not time away.
async fn ask(app: &AppHandle, offer: Offer) -> Option<FilePath> {
    let dialog = over_window(app, app.dialog().file().set_title(offer.title))
        .set_file_name(offer.name)
        .add_filter(offer.kind, &[offer.extension]);
    let _open = OwnDialog::open(app.state::<OpenedStore>().inner());
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |place| {
        let _ = tx.send(place);
    });
    rx.await.ok().flatten()
}

/// Asks where to save a file Steady writes itself (a backup): the path, or
/// `None` when the dialog was closed.
pub async fn choose_place(app: &AppHandle, offer: Offer) -> Option<std::path::PathBuf> {
    ask(app, offer).await?.into_path().ok()
}

/// Asks which file to open (a backup to restore), starting in Downloads.
pub async fn choose_file(
    app: &AppHandle,
    title: &str,
    kind: &str,
    extension: &str,
) -> Option<std::path::PathBuf> {
    let dialog =
        over_window(app, app.dialog().file().set_title(title)).add_filter(kind, &[extension]);
    let _open = OwnDialog::open(app.state::<OpenedStore>().inner());
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.pick_file(move |place| {
        let _ = tx.send(place);
    });
    rx.await.ok().flatten()?.into_path().ok()
}

/// Asks for a folder to write into (an export of everything), starting in
/// Downloads. `None` when the patient closed the dialog.
pub async fn choose_folder(app: &AppHandle, title: &str) -> Option<std::path::PathBuf> {
    let dialog = over_window(app, app.dialog().file().set_title(title));
    let _open = OwnDialog::open(app.state::<OpenedStore>().inner());
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.pick_folder(move |place| {
        let _ = tx.send(place);
    });
    rx.await.ok().flatten()?.into_path().ok()
}

/// A file dialog over Steady's window, starting in Downloads (desktop).
fn over_window(
    app: &AppHandle,
    dialog: tauri_plugin_dialog::FileDialogBuilder<tauri::Wry>,
) -> tauri_plugin_dialog::FileDialogBuilder<tauri::Wry> {
    #[cfg(desktop)]
    {
        let mut dialog = dialog;
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        if let Ok(dir) = downloads(app) {
            dialog = dialog.set_directory(dir);
        }
        dialog
    }
    #[cfg(not(desktop))]
    {
        let _ = app;
        dialog
    }
}

/// Steady's own dialog is over the window while this lives: however the
/// wait for it ends, leaving Steady counts as time away again after.
struct OwnDialog<'a>(&'a OpenedStore);

impl<'a> OwnDialog<'a> {
    fn open(opened: &'a OpenedStore) -> Self {
        opened.in_own_dialog(true);
        Self(opened)
    }
}

impl Drop for OwnDialog<'_> {
    fn drop(&mut self) {
        self.0.in_own_dialog(false);
    }
}

/// Where the dialog starts: Downloads, or Documents without one.
#[cfg(desktop)]
fn downloads(app: &AppHandle) -> tauri::Result<std::path::PathBuf> {
    // Without an XDG user-dirs file Linux reports no Downloads folder; fall
    // back to ~/Downloads, which is where a person would look.
    let path = app.path();
    let dir = path
        .download_dir()
        .or_else(|_| path.document_dir())
        .or_else(|_| path.home_dir().map(|home| home.join("Downloads")))?;
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn names_are_safe_on_every_system() {
        assert_eq!(
            file_name("Thought record – 1 December 2026", "json"),
            "Thought record – 1 December 2026.json"
        );
        assert_eq!(
            file_name("Craving: 9/10? \"yes\" <now>|", "json"),
            "Craving- 9-10- -yes- -now--.json"
        );
        assert_eq!(file_name("..\\..\\etc", "ics"), "-..-etc.ics");
        assert_eq!(file_name(" .hidden\n", "ics"), "hidden.ics");
    }
}
