//! The store as the shell holds it: opened with its key from the platform's
//! credential store (or a passphrase where there is none), the recovery
//! screen when it cannot be opened, the app lock in front of it, and erasing
//! it. Commands reach the store through [`OpenedStore::get`], which refuses
//! while the app is locked; the reminder task uses [`OpenedStore::store`],
//! so reminders keep coming while the app is locked.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use steady_core::keys::{Given, KeyError, KeyStore, Keychain, PassphraseParams};
use steady_core::vault::{self, FileState};
use steady_core::{Attempt, ErrorReport, LockSettings, OpenError, Store, StoreState};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::reminders::Reminders;
use crate::sync::Sync;

type Reply<T> = Result<T, ErrorReport>;

/// The event the window listens to: the store's state changed (locked after
/// time away, say).
pub const STATE_EVENT: &str = "store-state";

/// What a patient types to erase the device, or to start fresh.
pub const ERASE_WORD: &str = "ERASE";
pub const START_FRESH_WORDS: &str = "START FRESH";

enum Slot {
    Open { store: Arc<Store>, sync: Arc<Sync> },
    Passphrase { creating: bool, why: String },
    Recovery { problem: String },
    Unavailable(ErrorReport),
}

/// The store, or why it is not open, and the lock in front of it.
pub struct OpenedStore {
    dir: Result<PathBuf, ErrorReport>,
    slot: RwLock<Slot>,
    locked: AtomicBool,
    /// A passcode is set (the lock is on, whether or not the app is locked
    /// now): a phone keeps the app switcher's snapshot blank.
    lock_on: AtomicBool,
    away_since: Mutex<Option<Instant>>,
    /// One of Steady's own dialogs (saving a file) has the focus.
    in_dialog: AtomicBool,
}

impl OpenedStore {
    /// Opens the store in `dir` as well as it can without the patient.
    pub fn open(app: &AppHandle, dir: Result<PathBuf, ErrorReport>) -> Self {
        let slot = match &dir {
            Ok(dir) => tauri::async_runtime::block_on(attempt(app, dir, None)),
            Err(report) => Slot::Unavailable(report.clone()),
        };
        let opened = Self {
            dir,
            slot: RwLock::new(Slot::Unavailable(ErrorReport::storage("Opening."))),
            locked: AtomicBool::new(false),
            lock_on: AtomicBool::new(false),
            away_since: Mutex::new(None),
            in_dialog: AtomicBool::new(false),
        };
        tauri::async_runtime::block_on(opened.install(app, slot));
        opened
    }

    /// The store, for a command: refused while the app is locked.
    pub fn get(&self) -> Reply<Arc<Store>> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(ErrorReport::locked());
        }
        self.store()
    }

    /// The store whether locked or not: for the reminder task, which shows
    /// only lock-screen-safe words.
    pub fn store(&self) -> Reply<Arc<Store>> {
        match &*self.slot.read().unwrap_or_else(|p| p.into_inner()) {
            Slot::Open { store, .. } => Ok(store.clone()),
            Slot::Unavailable(report) => Err(report.clone()),
            Slot::Passphrase { .. } | Slot::Recovery { .. } => Err(ErrorReport::storage(
                "Steady's log is not open yet; follow the steps on the screen.",
            )),
        }
    }

    /// The sync loop, for a command: refused while locked.
    pub fn sync(&self) -> Reply<Arc<Sync>> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(ErrorReport::locked());
        }
        match &*self.slot.read().unwrap_or_else(|p| p.into_inner()) {
            Slot::Open { sync, .. } => Ok(sync.clone()),
            _ => Err(ErrorReport::storage(
                "Sync is not available: Steady's log is not open.",
            )),
        }
    }

    fn dir(&self) -> Reply<&Path> {
        self.dir.as_deref().map_err(Clone::clone)
    }

    /// Puts `slot` in place; a newly opened store starts locked if a
    /// passcode is set.
    async fn install(&self, app: &AppHandle, slot: Slot) {
        let locked = match &slot {
            Slot::Open { store, .. } => store
                .lock_settings()
                .await
                .map(|s| s.enabled)
                // A store whose settings cannot be read stays locked.
                .unwrap_or(true),
            _ => false,
        };
        self.locked.store(locked, Ordering::SeqCst);
        *self.slot.write().unwrap_or_else(|p| p.into_inner()) = slot;
        self.lock_turned(app, locked);
        // The reminder task waits while no log is open; a newly opened one
        // has reminders to plan.
        if let Some(reminders) = app.try_state::<Reminders>() {
            reminders.replan();
        }
    }

    /// The lock was turned on or off (or a log opened with it on or off).
    fn lock_turned(&self, app: &AppHandle, on: bool) {
        self.lock_on.store(on, Ordering::SeqCst);
        crate::privacy_screen::lock_changed(app, on);
    }

    /// Whether a passcode is set.
    pub fn lock_on(&self) -> bool {
        self.lock_on.load(Ordering::SeqCst)
    }

    /// Takes the open store out (to erase it), closing it.
    async fn take_store(&self) {
        let old = std::mem::replace(
            &mut *self.slot.write().unwrap_or_else(|p| p.into_inner()),
            Slot::Unavailable(ErrorReport::storage("Steady's log is closed.")),
        );
        if let Slot::Open { store, sync } = old {
            drop(sync);
            store.close().await;
        }
    }

    /// Closes the store for good (the app is ending).
    pub async fn close(&self) {
        self.locked.store(true, Ordering::SeqCst);
        self.take_store().await;
    }

    pub async fn state(&self) -> StoreState {
        let store = match &*self.slot.read().unwrap_or_else(|p| p.into_inner()) {
            Slot::Open { store, .. } => store.clone(),
            Slot::Passphrase { creating, why } => {
                return StoreState::Passphrase {
                    creating: *creating,
                    why: why.clone(),
                };
            }
            Slot::Recovery { problem } => {
                let dir = self.dir.as_deref().unwrap_or(Path::new(""));
                return StoreState::Recovery {
                    problem: problem.clone(),
                    folder: dir.display().to_string(),
                    set_aside: vault::set_aside_files(dir)
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                };
            }
            Slot::Unavailable(report) => {
                return StoreState::Unavailable {
                    message: report_message(report),
                };
            }
        };
        let lock = store.lock_settings().await.unwrap_or(LockSettings {
            enabled: true,
            away_minutes: steady_core::applock::DEFAULT_AWAY_MINUTES,
            offer_answered: true,
        });
        StoreState::Open {
            locked: self.locked.load(Ordering::SeqCst),
            lock,
            wait_seconds: store.lock_wait().await.unwrap_or(0),
        }
    }

    /// The window lost focus: the time away starts, unless the focus went
    /// to one of Steady's own dialogs.
    pub fn went_away(&self) {
        if self.in_dialog.load(Ordering::SeqCst) {
            return;
        }
        *self.away_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// Steady's own dialog opens (`true`) or closes over the window.
    pub fn in_own_dialog(&self, open: bool) {
        self.in_dialog.store(open, Ordering::SeqCst);
    }

    /// The window has focus again: lock if it was away long enough.
    pub async fn came_back(&self, app: &AppHandle) {
        let since = self
            .away_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let (Some(since), Ok(store)) = (since, self.store()) else {
            return;
        };
        let Ok(lock) = store.lock_settings().await else {
            return;
        };
        if lock.enabled
            && steady_core::applock::away_long_enough(lock.away_minutes, since.elapsed())
        {
            self.locked.store(true, Ordering::SeqCst);
            let _ = app.emit(STATE_EVENT, self.state().await);
        }
    }
}

fn report_message(report: &ErrorReport) -> String {
    match report {
        ErrorReport::Invalid { message, .. }
        | ErrorReport::NotFound { message }
        | ErrorReport::Storage { message }
        | ErrorReport::Locked { message } => message.clone(),
    }
}

const NO_KEYRING: &str = "This computer has no password keyring (a Secret Service, such as GNOME Keyring or KWallet) that Steady can keep its key in.";

/// Opens the store in `dir`: with `passphrase` if given, else with the key
/// in the credential store.
async fn attempt(app: &AppHandle, dir: &Path, passphrase: Option<&str>) -> Slot {
    let opened = match (PassphraseParams::read(dir), passphrase) {
        (Err(e), _) => Err(OpenError::Key(e)),
        (Ok(Some(params)), Some(passphrase)) => match params.derive(passphrase) {
            Ok(key) => vault::open(dir, &Given(key)).await,
            Err(e) => Err(OpenError::Key(e)),
        },
        (Ok(Some(_)), None) => {
            return Slot::Passphrase {
                creating: false,
                why: "Your Steady log on this computer is locked with a passphrase.".into(),
            };
        }
        (Ok(None), Some(passphrase)) => match PassphraseParams::create(dir, passphrase) {
            Ok(key) => vault::open(dir, &Given(key)).await,
            Err(e) => Err(OpenError::Key(e)),
        },
        (Ok(None), None) => match Keychain::for_dir(dir) {
            Ok(keys) => vault::open(dir, &keys).await,
            Err(e) => Err(OpenError::Key(e)),
        },
    };
    match opened {
        Ok(store) => open_slot(app, store),
        Err(OpenError::Key(KeyError::Unavailable(detail))) => {
            eprintln!("steady: no credential store: {detail}");
            match vault::file_state(&dir.join(steady_core::DB_FILE)) {
                Ok(FileState::Absent | FileState::Plain) => Slot::Passphrase {
                    creating: true,
                    why: format!(
                        "{NO_KEYRING} Choose a passphrase instead: Steady makes the key that locks your log from it, and asks for it each time it starts."
                    ),
                },
                _ => Slot::Recovery {
                    problem: format!(
                        "{NO_KEYRING} Your log is here, locked with a key that was kept in a keyring; start Steady in the desktop session where you used it before."
                    ),
                },
            }
        }
        Err(OpenError::Key(KeyError::Passphrase(message))) if passphrase.is_some() => {
            Slot::Passphrase {
                creating: !dir.join(steady_core::keys::PASSPHRASE_FILE).exists(),
                why: message,
            }
        }
        Err(OpenError::Unreadable) if passphrase.is_some() => Slot::Passphrase {
            creating: false,
            why: "That passphrase does not unlock your log. Check it and try again.".into(),
        },
        Err(e @ (OpenError::KeyMissing | OpenError::Unreadable | OpenError::Key(_))) => {
            eprintln!("steady: the store could not be opened: {e}");
            Slot::Recovery {
                problem: e.to_string(),
            }
        }
        Err(OpenError::Store(e)) => {
            eprintln!("steady: the store could not be opened: {e}");
            Slot::Unavailable(e.into())
        }
    }
}

fn open_slot(app: &AppHandle, store: Store) -> Slot {
    let store = Arc::new(store);
    let sync = Arc::new(Sync::start(app, store.clone()));
    Slot::Open { store, sync }
}

async fn reopen(
    app: &AppHandle,
    opened: &OpenedStore,
    passphrase: Option<&str>,
) -> Reply<StoreState> {
    let dir = opened.dir()?.to_owned();
    let slot = attempt(app, &dir, passphrase).await;
    opened.install(app, slot).await;
    let state = opened.state().await;
    let _ = app.emit(STATE_EVENT, &state);
    Ok(state)
}

fn confirm(typed: &str, words: &str) -> Reply<()> {
    if typed.trim() == words {
        return Ok(());
    }
    Err(ErrorReport::invalid(
        "confirmation",
        format!("Type {words} in capitals to confirm."),
    ))
}

#[tauri::command]
pub async fn store_state(opened: State<'_, OpenedStore>) -> Reply<StoreState> {
    Ok(opened.state().await)
}

/// Opens the store with the patient's passphrase (making the key from it
/// on the first start).
#[tauri::command]
pub async fn enter_passphrase(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
    passphrase: String,
) -> Reply<StoreState> {
    if !matches!(
        &*opened.slot.read().unwrap_or_else(|p| p.into_inner()),
        Slot::Passphrase { .. }
    ) {
        return Ok(opened.state().await);
    }
    let dir = opened.dir()?;
    if !dir.join(steady_core::keys::PASSPHRASE_FILE).exists()
        && let Err(e) = steady_core::keys::check_passphrase(&passphrase)
    {
        steady_core::keys::forget(passphrase);
        return Err(ErrorReport::invalid("passphrase", e.to_string()));
    }
    let state = reopen(&app, &opened, Some(&passphrase)).await;
    steady_core::keys::forget(passphrase);
    state
}

/// Tries to open the store again (after unlocking the keyring, or putting
/// a backup back).
#[tauri::command]
pub async fn retry_open(app: AppHandle, opened: State<'_, OpenedStore>) -> Reply<StoreState> {
    if matches!(
        &*opened.slot.read().unwrap_or_else(|p| p.into_inner()),
        Slot::Open { .. }
    ) {
        return Ok(opened.state().await);
    }
    reopen(&app, &opened, None).await
}

/// "Start fresh": the unreadable file is moved aside (never deleted) and a
/// new, empty log is made.
#[tauri::command]
pub async fn start_fresh(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
    confirmation: String,
) -> Reply<StoreState> {
    confirm(&confirmation, START_FRESH_WORDS)?;
    if !matches!(
        &*opened.slot.read().unwrap_or_else(|p| p.into_inner()),
        Slot::Recovery { .. }
    ) {
        return Err(ErrorReport::storage(
            "Starting fresh is only for a log that cannot be opened.",
        ));
    }
    let dir = opened.dir()?.to_owned();
    vault::set_aside(&dir).map_err(|e| {
        ErrorReport::storage(format!(
            "Steady could not move the old file aside ({e}); nothing was changed."
        ))
    })?;
    reopen(&app, &opened, None).await
}

/// Erases everything Steady keeps on this device: the log, its key, the
/// files it exported. Allowed while locked: it is how a forgotten passcode
/// is reset.
#[tauri::command]
pub async fn erase_device(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
    confirmation: String,
) -> Reply<StoreState> {
    confirm(&confirmation, ERASE_WORD)?;
    let dir = opened.dir()?.to_owned();
    if let Ok(store) = opened.store() {
        // Files first; an export's folder (noted after its files) goes
        // only if nothing but Steady's files was in it.
        for path in store.exported_files().await.unwrap_or_default() {
            let path = std::path::Path::new(&path);
            let _ = if path.is_dir() {
                std::fs::remove_dir(path)
            } else {
                std::fs::remove_file(path)
            };
        }
    }
    opened.take_store().await;
    let keys: Box<dyn KeyStore> = match PassphraseParams::read(&dir) {
        Ok(Some(_)) => Box::new(Given(steady_core::StoreKey::random())),
        _ => match Keychain::for_dir(&dir) {
            Ok(keychain) => Box::new(keychain),
            Err(_) => Box::new(Given(steady_core::StoreKey::random())),
        },
    };
    vault::erase(&dir, keys.as_ref())
        .map_err(|e| ErrorReport::storage(format!("Steady could not erase everything: {e}")))?;
    reopen(&app, &opened, None).await
}

/// Tries the passcode; unlocks on the right one.
#[tauri::command]
pub async fn unlock_app(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
    passcode: String,
) -> Reply<Attempt> {
    let attempt = opened.store()?.try_passcode(&passcode).await?;
    if attempt == Attempt::Unlocked {
        opened.locked.store(false, Ordering::SeqCst);
        let _ = app.emit(STATE_EVENT, opened.state().await);
    }
    Ok(attempt)
}

#[tauri::command]
pub async fn lock_now(app: AppHandle, opened: State<'_, OpenedStore>) -> Reply<StoreState> {
    if opened.store()?.lock_settings().await?.enabled {
        opened.locked.store(true, Ordering::SeqCst);
    }
    let state = opened.state().await;
    let _ = app.emit(STATE_EVENT, &state);
    Ok(state)
}

#[tauri::command]
pub async fn set_passcode(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
    passcode: String,
    away_minutes: u32,
) -> Reply<LockSettings> {
    let settings = opened.get()?.set_passcode(&passcode, away_minutes).await?;
    opened.lock_turned(&app, settings.enabled);
    Ok(settings)
}

#[tauri::command]
pub async fn set_lock_away(
    opened: State<'_, OpenedStore>,
    away_minutes: u32,
) -> Reply<LockSettings> {
    Ok(opened.get()?.set_away_minutes(away_minutes).await?)
}

/// "Not now" to the first start's offer of an app lock.
#[tauri::command]
pub async fn answer_lock_offer(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
) -> Reply<LockSettings> {
    let settings = opened.get()?.answer_lock_offer().await?;
    let _ = app.emit(STATE_EVENT, opened.state().await);
    Ok(settings)
}

#[tauri::command]
pub async fn remove_passcode(
    app: AppHandle,
    opened: State<'_, OpenedStore>,
) -> Reply<LockSettings> {
    let settings = opened.get()?.remove_passcode().await?;
    opened.lock_turned(&app, settings.enabled);
    Ok(settings)
}

/// The crisis lines, for the lock screen: the lines the patient chose for
/// a crisis (the United States lines until then), nothing else.
#[tauri::command]
pub async fn lock_screen_lines(
    opened: State<'_, OpenedStore>,
) -> Reply<Vec<steady_model::CrisisLine>> {
    match opened.store() {
        Ok(store) => Ok(store.crisis_lines().await?),
        Err(_) => Ok(steady_model::us_crisis_lines()),
    }
}
