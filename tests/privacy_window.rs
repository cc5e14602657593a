//! Privacy on the device, in the real window (Xvfb, WebDriver, the key in a
//! GNOME Keyring on the tests' own D-Bus session):
//!
//! - a passcode locks the app at the next start; the lock screen shows crisis
//!   lines and nothing personal; wrong codes slow down, across a restart;
//!   the right code unlocks; erasing starts over with a new key;
//! - a log the key does not open (no key, another key, a damaged file) opens
//!   the recovery screen and is left byte for byte as it was; "start fresh"
//!   keeps it aside;
//! - leaving the window (another app's in front) locks the app straight
//!   away or after the minutes the patient chose, and not before;
//! - without a Secret Service, the app asks for a passphrase.
//!
//! Screenshots of the lock and recovery screens and the lock's settings at
//! 360x640 go to `<target>/e2e-screenshots/`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::xdo::{app_x_window, gone, press, window_titled, x_window, xdotool};
use common::*;
use fantoccini::{Client, Locator};
use steady_core::keys::KeyStore;
use steady_core::{Keychain, ListQuery, Store, StoreKey};
use steady_model::{CheckIn, CheckInDraft};

const PASSCODE: &str = "204816";

async fn body(client: &Client) -> String {
    wait_for(client, "body").await.text().await.unwrap()
}

async fn disabled(client: &Client, css: &str) -> bool {
    wait_for(client, css)
        .await
        .prop("disabled")
        .await
        .unwrap()
        .as_deref()
        == Some("true")
}

async fn wrong_code(client: &Client, expect: &str) {
    fill(client, "#passcode", "000000").await;
    click(client, "#unlock").await;
    // The field empties when the attempt is answered; only then is the
    // message this attempt's (two in a row say the same words).
    let field = wait_for(client, "#passcode").await;
    let deadline = std::time::Instant::now() + WAIT;
    while field.prop("value").await.unwrap().unwrap_or_default() != "" {
        assert!(
            std::time::Instant::now() < deadline,
            "the attempt was never answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    text_until(client, "#lock-message", |t| t.contains(expect)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passcode_locks_the_app_with_crisis_lines_one_tap_away_and_erasing_starts_over() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("steady");
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;
    click(&client, "label.scale-step[data-value='7']").await;
    click(&client, "#quick-log").await;
    text_until(&client, ".saved", |t| t.contains("Logged a craving of 7")).await;

    // The lock is off until the patient turns it on: the first start
    // offers it, and its rules are in words.
    text_until(&client, "#lock-offer", |t| {
        t.contains("Keep Steady private?")
    })
    .await;
    click(&client, "#lock-offer-yes").await;
    fill(&client, "#new-passcode", "111111").await;
    fill(&client, "#new-passcode-again", "111111").await;
    click(&client, "#lock-on").await;
    text_until(&client, "#lock-error", |t| t.contains("one digit repeated")).await;
    fill(&client, "#new-passcode", PASSCODE).await;
    fill(&client, "#new-passcode-again", PASSCODE).await;
    click(&client, "#lock-on").await;
    text_until(&client, "#lock-state", |t| t.contains("App lock is on")).await;
    client.close().await.unwrap();

    // The next start is locked: crisis lines, nothing personal.
    let client = driver.open_app_at("#passcode").await;
    text_until(&client, "#crisis-help", |t| t.contains("Call 988")).await;
    let page = body(&client).await;
    assert!(page.contains("Steady is locked"), "{page}");
    assert!(page.contains("Call 1-800-662-4357"), "{page}");
    for personal in [
        "Today",
        "History",
        "craving of 7",
        "Sharing with your clinic",
    ] {
        assert!(
            !page.contains(personal),
            "{personal:?} on the lock screen: {page}"
        );
    }
    let call = wait_for(&client, "#crisis-help a.call").await;
    assert!(
        call.is_displayed().await.unwrap(),
        "the call link is one tap away"
    );
    assert_eq!(call.attr("href").await.unwrap().as_deref(), Some("tel:988"));
    check_layout(&client, 360, 640, "lock-screen", &shots).await;

    // Wrong codes: two free, then waits that double (5 s, then 10 s).
    wrong_code(&client, "not right. Try again.").await;
    wrong_code(&client, "not right. Try again.").await;
    wrong_code(&client, "Try again in 5 seconds").await;
    assert!(disabled(&client, "#unlock").await);
    tokio::time::sleep(Duration::from_secs(6)).await;
    wrong_code(&client, "Try again in 10 seconds").await;
    let slowed = Instant::now();
    client.close().await.unwrap();

    // The wait survives a restart: even the right code must wait.
    let client = driver.open_app_at("#passcode").await;
    if slowed.elapsed() < Duration::from_secs(9) {
        text_until(&client, "#lock-wait", |t| {
            t.contains("You can try again in")
        })
        .await;
        fill(&client, "#passcode", PASSCODE).await;
        assert!(
            disabled(&client, "#unlock").await,
            "locked out while waiting"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.find(Locator::Css("#lock-wait")).await.is_ok() {
        assert!(Instant::now() < deadline, "the wait did not end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    fill(&client, "#passcode", PASSCODE).await;
    click(&client, "#unlock").await;
    wait_for(&client, "#quick-log").await;
    wait_for(&client, "#lock-app").await;

    // Erase everything: only with the typed word; then a new, empty log.
    let old_key = Keychain::for_dir(&dir).unwrap().load().unwrap().unwrap();
    click(&client, "#nav-settings").await;
    click(&client, "#erase-open").await;
    fill(&client, "#erase-confirm", "erase").await;
    assert!(disabled(&client, "#erase-device").await);
    fill(&client, "#erase-confirm", "ERASE").await;
    click(&client, "#erase-device").await;
    wait_for(&client, "#quick-log").await;
    assert!(
        client.find(Locator::Css("#lock-app")).await.is_err(),
        "the lock went with the data"
    );
    client.close().await.unwrap();
    drop(driver);

    let store = app_store(&dir).await;
    let left = store.list::<CheckIn>(&ListQuery::default()).await.unwrap();
    assert!(left.items.is_empty(), "the old check-in is gone");
    assert!(!store.lock_settings().await.unwrap().enabled);
    let db = store.path().to_owned();
    store.close().await;
    let err = Store::open_file(&db, &old_key).await.err().unwrap();
    assert!(
        err.to_string().contains("file is not a database"),
        "a new key: {err}"
    );
}

/// Another program's window, as a patient switching apps would bring to the
/// front: with no window manager under Xvfb, the input focus is moved to it
/// and back with xdotool, and GTK tells the app its window lost and got the
/// focus exactly as it does on a desktop.
struct Elsewhere {
    child: std::process::Child,
    window: String,
}

impl Elsewhere {
    fn open() -> Self {
        let child = Command::new("xmessage")
            .args(["-title", "Elsewhere", "Another app"])
            .spawn()
            .unwrap_or_else(|e| panic!("xmessage: {e}; `cargo xtask test` installs x11-utils"));
        Self {
            child,
            window: x_window("Elsewhere"),
        }
    }

    /// Focus on the other app for `away`, then back on Steady's window.
    async fn visit(&self, app: &str, away: Duration) {
        xdotool(&["windowfocus", "--sync", &self.window]);
        tokio::time::sleep(away).await;
        xdotool(&["windowfocus", "--sync", app]);
    }
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_the_window_locks_the_app_after_the_chosen_time() {
    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;
    click(&client, "#lock-offer-yes").await;
    fill(&client, "#new-passcode", PASSCODE).await;
    fill(&client, "#new-passcode-again", PASSCODE).await;
    wait_for(&client, "#lock-away-new")
        .await
        .select_by_value("0")
        .await
        .unwrap();
    click(&client, "#lock-on").await;
    text_until(&client, "#lock-state", |t| t.contains("App lock is on")).await;
    let app = app_x_window(data.path());
    let elsewhere = Elsewhere::open();

    // "Straight away": a moment in another app locks Steady.
    elsewhere.visit(&app, Duration::from_millis(300)).await;
    wait_for(&client, "#passcode").await;
    let page = body(&client).await;
    assert!(page.contains("Steady is locked"), "{page}");
    assert!(!page.contains("App lock is on"), "{page}");
    fill(&client, "#passcode", PASSCODE).await;
    click(&client, "#unlock").await;
    wait_for(&client, "#quick-log").await;

    // Steady's own save dialog is not time away: closing it leaves the app
    // open even with "straight away".
    click(&client, "#nav-schedule").await;
    click(&client, "#ics-export").await;
    let dialog = "Save your Steady schedule";
    let saving = window_titled(dialog);
    tokio::time::sleep(Duration::from_millis(300)).await;
    press(&saving, "Escape");
    gone(dialog);
    text_until(&client, "#calendar-message", |t| t == "Nothing was saved.").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        client.find(Locator::Css("#passcode")).await.is_err(),
        "locked by Steady's own dialog"
    );

    // "After 1 minute away": a few seconds away leave it open...
    click(&client, "#nav-settings").await;
    client.set_window_size(360, 640).await.unwrap();
    client
        .execute(
            "document.getElementById('app-lock').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    check_layout(&client, 360, 640, "app-lock-settings", &screenshot_dir()).await;
    wait_for(&client, "#lock-away")
        .await
        .select_by_value("1")
        .await
        .unwrap();
    text_until(&client, "#lock-saved", |t| t.contains("Saved")).await;
    elsewhere.visit(&app, Duration::from_secs(3)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        client.find(Locator::Css("#passcode")).await.is_err(),
        "locked after 3 s with a minute to go"
    );
    wait_for(&client, "#lock-away").await;

    // ...and a minute locks it, for the lock screen's own reason.
    elsewhere.visit(&app, Duration::from_secs(61)).await;
    wait_for(&client, "#passcode").await;
    assert!(body(&client).await.contains("Steady is locked"));
    client.close().await.unwrap();
}

/// Every file in `dir` and its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_the_key_does_not_open_shows_the_recovery_screen_and_is_left_unchanged() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("steady");
    let shots = screenshot_dir();
    // A log locked with a key the keyring does not hold.
    let key = StoreKey::random();
    let store = Store::open(&dir, &key).await.unwrap();
    store
        .create::<CheckIn>(CheckInDraft {
            craving: 4,
            note: "kept safe".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    store.close().await;
    let keychain = Keychain::for_dir(&dir).unwrap();
    let driver = Driver::start(data.path());

    let cases: [(&str, &str); 3] = [
        ("missing key", "key that unlocks it is not in"),
        ("another key", "could not be unlocked"),
        ("damaged file", "could not be unlocked"),
    ];
    for (case, words) in cases {
        match case {
            "another key" => keychain.save(&StoreKey::random()).unwrap(),
            "damaged file" => {
                keychain.save(&key).unwrap();
                let db = dir.join(steady_core::DB_FILE);
                let mut bytes = std::fs::read(&db).unwrap();
                for b in &mut bytes[200..260] {
                    *b ^= 0xa5;
                }
                std::fs::write(&db, bytes).unwrap();
            }
            _ => {}
        }
        let before = snapshot(&dir);
        let client = driver.open_app_at("#recovery-problem").await;
        text_until(&client, "#recovery-problem", |t| t.contains(words)).await;
        let page = body(&client).await;
        assert!(
            page.contains("Nothing has been deleted or changed."),
            "{page}"
        );
        assert!(page.contains("Call 988"), "crisis lines here too: {page}");
        if case == "missing key" {
            check_layout(&client, 360, 640, "recovery-screen", &shots).await;
        }
        click(&client, "#retry-open").await;
        text_until(&client, "#recovery-message", |t| {
            t.contains("Still not opened")
        })
        .await;
        client.close().await.unwrap();
        assert_eq!(snapshot(&dir), before, "{case}: the files are unchanged");
    }

    // Start fresh: the old file is kept aside, unchanged, and a new log opens.
    let before = std::fs::read(dir.join(steady_core::DB_FILE)).unwrap();
    let client = driver.open_app_at("#recovery-problem").await;
    fill(&client, "#fresh-confirm", "START FRESH").await;
    click(&client, "#start-fresh").await;
    wait_for(&client, "#quick-log").await;
    client.close().await.unwrap();
    drop(driver);
    let aside = steady_core::vault::set_aside_files(&dir);
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), before);
}

/// A D-Bus session bus of the test's own, with no Secret Service on it.
struct BareBus {
    address: String,
    pid: String,
}

impl BareBus {
    fn start() -> Self {
        let out = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .output()
            .expect("dbus-daemon (package dbus)");
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        let address = lines.next().expect("an address").trim().to_owned();
        let pid = lines.next().expect("a pid").trim().to_owned();
        Self { address, pid }
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_the_log_is_locked_with_a_passphrase() {
    let bus = BareBus::start();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("steady");
    let driver = Driver::start_with(
        data.path(),
        &[("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())],
    );
    let client = driver.open_app_at("#passphrase").await;
    text_until(&client, "#passphrase-why", |t| {
        t.contains("no password keyring")
    })
    .await;
    fill(&client, "#passphrase", "too short").await;
    fill(&client, "#passphrase-again", "too short").await;
    click(&client, "#passphrase-submit").await;
    text_until(&client, "#passphrase-message", |t| {
        t.contains("at least 10 characters")
    })
    .await;
    fill(&client, "#passphrase", "four calm words here").await;
    fill(&client, "#passphrase-again", "four calm words hear").await;
    click(&client, "#passphrase-submit").await;
    text_until(&client, "#passphrase-message", |t| t.contains("differ")).await;
    fill(&client, "#passphrase-again", "four calm words here").await;
    click(&client, "#passphrase-submit").await;
    wait_for(&client, "#quick-log").await;
    client.close().await.unwrap();

    let client = driver.open_app_at("#passphrase").await;
    text_until(&client, "h1", |t| t == "Unlock your log").await;
    fill(&client, "#passphrase", "four calm words hear").await;
    click(&client, "#passphrase-submit").await;
    text_until(&client, "#passphrase-why", |t| {
        t.contains("does not unlock")
    })
    .await;
    fill(&client, "#passphrase", "four calm words here").await;
    click(&client, "#passphrase-submit").await;
    wait_for(&client, "#quick-log").await;
    client.close().await.unwrap();
    drop(driver);

    let params = std::fs::read_to_string(dir.join(steady_core::keys::PASSPHRASE_FILE)).unwrap();
    assert!(params.contains("\"argon2id\""), "{params}");
    assert_eq!(
        steady_core::vault::file_state(&dir.join(steady_core::DB_FILE)).unwrap(),
        steady_core::FileState::Encrypted
    );
    // The test session's keyring holds nothing for this folder.
    assert!(Keychain::for_dir(&dir).unwrap().load().unwrap().is_none());
}
