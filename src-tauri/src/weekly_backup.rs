//! The weekly backup, once the patient turns it on: a while after start and
//! then every hour, the store makes it if the last is a week old (the store
//! keeps when; see steady-core's `auto_backup_if_due`). It runs while the
//! app is locked too, as reminders do: the store stays open behind the lock.

use std::time::Duration;

use chrono::Utc;
use tauri::{AppHandle, Manager};

use crate::OpenedStore;
use crate::zone::device_zone;

pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // Not in the first moments: the window and sync come first.
        let mut wait = Duration::from_secs(90);
        loop {
            tokio::time::sleep(wait).await;
            wait = Duration::from_secs(60 * 60);
            let Some(store) = app
                .try_state::<OpenedStore>()
                .and_then(|opened| opened.store().ok())
            else {
                continue;
            };
            let now = Utc::now().with_timezone(&device_zone()).fixed_offset();
            if let Err(e) = store.auto_backup_if_due(now).await {
                // The error names the folder and the cause, never contents.
                eprintln!("steady: the weekly backup could not be made: {e}");
            }
        }
    });
}
