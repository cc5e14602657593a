//! A person's flows in the real Steady window, under Xvfb, driven over
//! WebDriver (tauri-driver -> WebKitWebDriver -> the built app binary).
//!
//! Run through `cargo xtask test`, which builds the app, starts Xvfb and a
//! D-Bus session, and says where the binary and tauri-driver are.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use steady_core::{ListQuery, Store};
use steady_model::{CheckIn, TriggerEntry, Visibility};

const WAIT: Duration = Duration::from_secs(20);

fn app_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("STEADY_APP_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/app_window-<hash> -> target/debug/steady-app
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("steady-app")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tauri-driver, stopped with SIGTERM so that it also stops WebKitWebDriver.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(data: &Path) -> Self {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run `cargo xtask test`, which starts Xvfb and a D-Bus session for this test"
        );
        let app = app_binary();
        assert!(
            app.exists(),
            "{} is missing: run `cargo xtask test`, which builds it first",
            app.display()
        );
        let program =
            std::env::var_os("STEADY_TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
        let port = free_port();
        let child = Command::new(&program)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .env("STEADY_DATA_DIR", data.join("steady"))
            .env("XDG_DATA_HOME", data.join("xdg-data"))
            .env("XDG_CONFIG_HOME", data.join("xdg-config"))
            .env("XDG_CACHE_HOME", data.join("xdg-cache"))
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting {program:?}: {e}; `cargo xtask test` installs it")
            });
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    /// Starts the app and connects to its window.
    async fn open_app(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app_binary() }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session with the app");
        wait_for(&client, "#quick-log").await;
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_for(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
}

async fn click(client: &Client, css: &str) {
    wait_for(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn fill(client: &Client, css: &str, text: &str) {
    let el = wait_for(client, css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Polls until the element's text satisfies `ok`, returning the text.
async fn text_until(client: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if ok(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: text never matched; last seen {last:?}");
}

async fn history_texts(client: &Client, expected: usize) -> Vec<String> {
    click(client, "#nav-history").await;
    wait_for(client, "#history-heading").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let entries = client
            .find_all(Locator::Css(".checkin-entry"))
            .await
            .unwrap();
        if entries.len() == expected || Instant::now() > deadline {
            let mut texts = Vec::new();
            for e in entries {
                texts.push(e.text().await.unwrap());
            }
            assert_eq!(texts.len(), expected, "history entries: {texts:?}");
            return texts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks the page fits the window without sideways scrolling, and keeps a
/// screenshot of it for people to look at.
async fn check_layout(client: &Client, width: u32, height: u32, name: &str, shots: &Path) {
    client.set_window_size(width, height).await.unwrap();
    let deadline = Instant::now() + WAIT;
    let (inner, scroll) = loop {
        let v = client
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await
            .unwrap();
        let inner = v[0].as_u64().unwrap();
        let scroll = v[1].as_u64().unwrap();
        if inner == u64::from(width) || Instant::now() > deadline {
            break (inner, scroll);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        inner,
        u64::from(width),
        "window resized to {width}x{height}"
    );
    assert!(
        scroll <= inner,
        "{name}: content {scroll}px wide in a {inner}px window"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = client.screenshot().await.unwrap();
    std::fs::write(shots.join(format!("{name}-{width}x{height}.png")), png).unwrap();
}

fn screenshot_dir() -> PathBuf {
    let dir = app_binary()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_survive_a_restart_and_bad_input_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    // Quick check-in from the first screen: a rating, then "Log craving".
    click(&client, "label.scale-step[data-value='6']").await;
    click(&client, "#quick-log").await;
    text_until(&client, ".saved", |t| t.contains("Logged a craving of 6")).await;

    // The same by keyboard alone: focus the scale, arrow to a rating, Enter.
    let first_step = wait_for(&client, "input[name='quick-craving'][value='0']").await;
    first_step.send_keys(" ").await.unwrap();
    // WebDriver focuses the element it types into, so keep typing into
    // whatever has the focus now, as a person would.
    let keys = format!("{}{}{}", Key::Right, Key::Right, Key::Enter);
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&keys)
        .await
        .unwrap();
    text_until(&client, ".saved", |t| t.contains("Logged a craving of 2")).await;

    // The full check-in.
    click(&client, "#open-full-form").await;
    fill(&client, "#checkin-craving", "3").await;
    wait_for(&client, "#checkin-mood")
        .await
        .select_by_value("-2")
        .await
        .unwrap();
    fill(&client, "#checkin-emotions", "restless").await;
    click(&client, "#checkin-halt-tired").await;
    click(&client, "#checkin-halt-lonely").await;
    fill(&client, "#checkin-substances", "alcohol").await;
    fill(&client, "#checkin-place", "kitchen").await;
    fill(&client, "#checkin-company", "alone").await;
    fill(&client, "#checkin-coping", "urge surfing, called Sam").await;
    click(&client, "#checkin-outcome-resisted").await;
    fill(
        &client,
        "#checkin-note",
        "Full check-in from the window test",
    )
    .await;
    click(&client, "#checkin-visibility-private").await;
    click(&client, "#checkin-save").await;

    let texts = history_texts(&client, 3).await;
    assert!(texts.iter().any(|t| t.contains("Craving 6")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Craving 2")), "{texts:?}");
    let full = texts
        .iter()
        .find(|t| t.contains("Craving 3"))
        .expect("the full check-in");
    for part in [
        "Mood -2",
        "Rode it out",
        "lonely, tired",
        "alcohol",
        "urge surfing, called Sam",
        "kitchen · alone",
        "Full check-in from the window test",
        "Only on this device",
    ] {
        assert!(full.contains(part), "{part:?} missing from {full:?}");
    }

    // Craving 11: the message beside the field, nothing stored.
    click(&client, "#nav-checkin").await;
    fill(&client, "#checkin-craving", "11").await;
    click(&client, "#checkin-save").await;
    let msg = text_until(&client, "#checkin-craving-error", |t| !t.is_empty()).await;
    assert!(
        msg.contains("from 0 (none) to 10") && msg.contains("11"),
        "{msg}"
    );
    history_texts(&client, 3).await;

    // An empty trigger description: the message beside it, nothing stored.
    click(&client, "#nav-triggers").await;
    wait_for(&client, "#trigger-category")
        .await
        .select_by_value("places")
        .await
        .unwrap();
    click(&client, "#trigger-save").await;
    let msg = text_until(&client, "#trigger-description-error", |t| !t.is_empty()).await;
    assert!(msg.starts_with("Describe the trigger"), "{msg}");
    text_until(
        &client,
        "section[aria-labelledby='triggers-heading']",
        |t| t.contains("No triggers logged yet"),
    )
    .await;

    // Every screen at both sizes the layout is made for: a phone and a laptop.
    for (width, height) in [(360, 640), (1280, 800)] {
        for screen in ["today", "checkin", "history", "triggers"] {
            click(&client, &format!("#nav-{screen}")).await;
            wait_for(&client, &format!("#{screen}-heading")).await;
            check_layout(&client, width, height, screen, &shots).await;
        }
    }
    client.close().await.unwrap();

    // Restart: a new app process on the same data folder.
    let client = driver.open_app().await;
    let texts = history_texts(&client, 3).await;
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Full check-in from the window test")),
        "{texts:?}"
    );
    client.close().await.unwrap();
    drop(driver);

    // What the store holds, read directly from the app's database file.
    let store = Store::open(&data.path().join("steady")).await.unwrap();
    let checkins = store
        .list::<CheckIn>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    let mut cravings: Vec<u8> = checkins.iter().map(|e| e.data.craving.value()).collect();
    cravings.sort();
    assert_eq!(
        cravings,
        [2, 3, 6],
        "only the three valid check-ins are stored"
    );
    let full = checkins
        .iter()
        .find(|e| e.data.craving.value() == 3)
        .unwrap();
    assert_eq!(full.data.visibility, Visibility::Private);
    assert_eq!(full.data.mood.map(|m| m.value()), Some(-2));
    assert!(full.data.halt.tired && full.data.halt.lonely && !full.data.halt.hungry);
    let triggers = store
        .list::<TriggerEntry>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    assert!(triggers.is_empty(), "the refused trigger was not stored");
    store.close().await;
}
