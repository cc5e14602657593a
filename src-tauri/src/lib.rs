//! Steady's shell: opens the store once, hands it to the commands as managed
//! state, and runs the window. Everything of substance lives in steady-core.

#[cfg(test)]
mod command_names;
mod commands;
mod data;
mod pair_link;
mod privacy_screen;
mod reminders;
mod save_as;
mod sync;
mod wall_clock;
mod weekly_backup;
mod zone;

use reminders::Reminders;
use std::path::PathBuf;
use steady_core::ErrorReport;
use tauri::Manager;

/// Overrides the platform's app-data folder (tests, portable installs).
pub const DATA_DIR_ENV: &str = "STEADY_DATA_DIR";

pub use data::OpenedStore;

fn data_dir(app: &tauri::App) -> Result<PathBuf, ErrorReport> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    app.path().app_data_dir().map_err(|e| {
        ErrorReport::storage(format!(
            "Steady could not find this device's app-data folder ({e}). Set {DATA_DIR_ENV} to a folder Steady may write to."
        ))
    })
}

/// One Steady per data folder. Starting it again — a `steady://pair` link
/// opened from the dashboard while Steady runs — hands the link to the
/// running app (the deep-link plugin's `on_open_url`, which fills the
/// pairing form and brings the window forward) and exits: two apps on one
/// log would each plan the same reminders. On Linux the running app holds a
/// D-Bus name; with `STEADY_DATA_DIR` the name carries the folder, so apps
/// on different folders (the tests', a portable copy) run side by side.
#[cfg(desktop)]
fn single_instance<R: tauri::Runtime>(identifier: &str) -> tauri::plugin::TauriPlugin<R> {
    let plugin = tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    });
    match std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        Some(dir) => plugin.dbus_id(instance_id(identifier, &PathBuf::from(dir))),
        None => plugin,
    }
    .build()
}

/// The single-instance plugin's words when the Steady it found did not
/// take the arguments: it was on its way out (closed as this one started).
#[cfg(target_os = "linux")]
const FORWARD_FAILED: &str = "failed to forward arguments to the running instance";

/// This start found a Steady that was quitting and could not hand it its
/// link: starts again (the same process, `exec`) once that one has gone —
/// a moment later, at most ten times — instead of failing to open at all.
#[cfg(target_os = "linux")]
fn start_again_soon() {
    use std::os::unix::process::CommandExt;
    const TRIES: &str = "STEADY_START_TRIES";
    let tries: u32 = std::env::var(TRIES)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    if tries >= 10 {
        return;
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let failed = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(TRIES, (tries + 1).to_string())
        .exec();
    eprintln!("steady: could not start again: {failed}");
}

/// The D-Bus name's base for the app on `dir`: a name element may hold only
/// letters, digits, `_` and `-`, so the folder is hashed into one.
#[cfg(desktop)]
fn instance_id(identifier: &str, dir: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    // Absolute without resolving links: the same before the folder exists
    // (the first start) and after.
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let mut hasher = std::hash::DefaultHasher::new();
    dir.hash(&mut hasher);
    format!("{identifier}.folder{:016x}", hasher.finish())
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let context = tauri::generate_context!();
    let builder = tauri::Builder::default();
    // First, so that a second start stops before anything else runs.
    #[cfg(desktop)]
    let builder = builder.plugin(single_instance(&context.config().identifier));
    let builder = builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_deep_link::init())
        // Saving a file the patient takes away: the system's save dialog,
        // and writing where it points (a phone's is a content address).
        // The window is granted neither plugin's commands.
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_fs::init());
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_notification::init())
        // The camera reads the dashboard's QR code when pairing
        // (capabilities/mobile.json lets the window scan, on phones only).
        .plugin(tauri_plugin_barcode_scanner::init());
    let result = builder
        .setup(|app| {
            // The reminder task starts first and waits for the store: it
            // keeps firing while the app is locked.
            let reminders = Reminders::start(app.handle());
            app.manage(reminders);
            let opened = OpenedStore::open(app.handle(), data_dir(app));
            app.manage(opened);
            app.state::<Reminders>().replan();
            weekly_backup::start(app.handle());
            pair_link::install(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            let opened = window.state::<OpenedStore>();
            match event {
                tauri::WindowEvent::Focused(false) => opened.went_away(),
                tauri::WindowEvent::Focused(true) => {
                    let app = window.app_handle().clone();
                    tauri::async_runtime::spawn(async move {
                        app.state::<OpenedStore>().came_back(&app).await;
                    });
                }
                // A phone's app leaves the front (another app, the switcher,
                // the screen going off) and comes back.
                #[cfg(mobile)]
                tauri::WindowEvent::Suspended => {
                    opened.went_away();
                    if opened.lock_on() {
                        privacy_screen::leaving(window.app_handle(), true);
                    }
                }
                #[cfg(mobile)]
                tauri::WindowEvent::Resumed => {
                    // The cover comes off once the app has locked (if it
                    // was away long enough).
                    let app = window.app_handle().clone();
                    tauri::async_runtime::spawn(async move {
                        app.state::<OpenedStore>().came_back(&app).await;
                        privacy_screen::leaving(&app, false);
                    });
                }
                _ => {}
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::create_checkin,
            commands::update_checkin,
            commands::delete_checkin,
            commands::get_checkin,
            commands::list_checkins,
            commands::create_trigger,
            commands::update_trigger,
            commands::delete_trigger,
            commands::list_triggers,
            commands::create_event,
            commands::update_event,
            commands::delete_event,
            commands::get_event,
            commands::list_occurrences,
            commands::mark_attendance,
            commands::week_hours,
            commands::insights,
            commands::progress,
            commands::set_progress_settings,
            commands::weekly_review,
            commands::create_journal,
            commands::list_journal,
            commands::get_program,
            commands::save_program,
            commands::get_reminder_settings,
            commands::set_reminder_settings,
            commands::device_zone,
            commands::export_ics,
            commands::export_my_data,
            commands::backup_now,
            commands::restore_backup,
            commands::get_auto_backup,
            commands::set_auto_backup,
            commands::import_ics,
            commands::read_meeting_feed,
            commands::fetch_meeting_feed,
            commands::meeting_feeds,
            commands::remove_meeting_feed,
            commands::find_meetings,
            commands::add_meeting,
            commands::list_templates,
            commands::get_template,
            commands::create_worksheet,
            commands::update_worksheet,
            commands::get_worksheet,
            commands::delete_worksheet,
            commands::list_worksheets,
            commands::worksheet_score,
            commands::export_worksheet,
            commands::get_plan,
            commands::save_plan,
            commands::get_crisis_lines,
            commands::set_crisis_lines,
            commands::dial,
            sync::sync_status,
            sync::sync_now,
            sync::preview_pairing,
            sync::pair_clinic,
            sync::give_consent,
            sync::revoke_consent,
            sync::unpair_clinic,
            sync::list_messages,
            sync::mark_message_read,
            sync::list_replies,
            sync::send_reply,
            pair_link::pending_pair_link,
            pair_link::read_pair_link,
            pair_link::can_scan,
            sync::list_assignments,
            sync::list_disclosures,
            sync::refresh_disclosures,
            data::store_state,
            data::enter_passphrase,
            data::retry_open,
            data::start_fresh,
            data::erase_device,
            data::unlock_app,
            data::lock_now,
            data::set_passcode,
            data::set_lock_away,
            data::remove_passcode,
            data::answer_lock_offer,
            data::lock_screen_lines,
        ])
        .build(context);
    let app = match result {
        Ok(app) => app,
        Err(e) => {
            #[cfg(target_os = "linux")]
            if e.to_string().contains(FORWARD_FAILED) {
                start_again_soon();
            }
            eprintln!("steady: the app stopped with an error: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        // The store's connections are closed (the WAL checkpointed) before
        // the process ends, so none is still closing on its own thread when
        // OpenSSL's exit-time clean-up runs (SQLCipher's crypto).
        if let tauri::RunEvent::Exit = event {
            tauri::async_runtime::block_on(handle.state::<OpenedStore>().close());
        }
    });
}

#[cfg(test)]
mod tests {
    /// The D-Bus name for a data folder: one per folder however it is
    /// written, and a valid name (letters, digits, `_`, `-` between dots).
    #[test]
    fn each_data_folder_has_its_own_instance_name() {
        let here = std::env::current_dir().unwrap();
        let a = super::instance_id("app.steady.patient", std::path::Path::new("data/a"));
        assert_eq!(
            a,
            super::instance_id("app.steady.patient", &here.join("data/a"))
        );
        assert_ne!(
            a,
            super::instance_id("app.steady.patient", std::path::Path::new("data/b"))
        );
        assert!(a.starts_with("app.steady.patient.folder"), "{a}");
        let valid = a.split('.').all(|part| {
            part.chars().next().is_some_and(|c| !c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        assert!(valid && a.len() < 255, "{a}");
    }

    /// Listening for events, so a clicked reminder can open its session.
    const LISTEN: [&str; 2] = ["core:event:allow-listen", "core:event:allow-unlisten"];

    /// The window is granted exactly the app's own commands, every one of
    /// them, plus listening for events: no other core or plugin permission.
    #[test]
    fn the_capability_grants_exactly_our_commands() {
        let text = include_str!("../capabilities/default.json");
        let cap: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut granted: Vec<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        let mut expected: Vec<String> = crate::command_names::NAMES
            .iter()
            .map(|n| format!("allow-{}", n.replace('_', "-")))
            .chain(LISTEN.iter().map(|p| p.to_string()))
            .collect();
        granted.sort();
        expected.sort();
        assert_eq!(granted, expected);
    }
}
