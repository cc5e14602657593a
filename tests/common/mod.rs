//! Helpers for the tests that need both programs: the one "start a
//! clinic" fixture ([`clinic`]), a relay that cuts connections
//! ([`proxy`]), and for the tests that drive the real app window,
//! tauri-driver, WebDriver sessions, waiting for elements and text.

#![allow(dead_code)] // each test binary uses its own subset

pub mod chrome;
pub mod clinic;
pub mod notifications;
pub mod proxy;
pub mod xdo;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The app's store in `dir`, opened with the key the app keeps in the
/// test session's keyring (GNOME Keyring on the tests' D-Bus session).
pub async fn app_store(dir: &Path) -> steady_core::Store {
    use steady_core::KeyStore;
    let key = steady_core::Keychain::for_dir(dir)
        .expect("a Secret Service on the test's D-Bus session: run `cargo xtask test`")
        .load()
        .expect("the keyring answers")
        .expect("the app kept its key in the keyring");
    steady_core::Store::open(dir, &key).await.unwrap()
}

/// The key the tests' own stores are made with, so a test can open one
/// again.
pub fn store_key() -> steady_core::StoreKey {
    steady_core::StoreKey::from_bytes([7; 32])
}

pub const WAIT: Duration = Duration::from_secs(20);

pub fn app_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("STEADY_APP_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/app_window-<hash> -> target/debug/steady-app
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("steady-app")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tauri-driver, stopped with SIGTERM so that it also stops WebKitWebDriver.
pub struct Driver {
    child: Child,
    port: u16,
}

/// What the app started for `data` is given: its data folder, and XDG
/// folders of its own (Downloads, caches) inside the test's.
pub fn app_env(data: &Path) -> [(&'static str, PathBuf); 5] {
    [
        ("STEADY_DATA_DIR", data.join("steady")),
        ("XDG_DATA_HOME", data.join("xdg-data")),
        ("XDG_CONFIG_HOME", data.join("xdg-config")),
        ("XDG_CACHE_HOME", data.join("xdg-cache")),
        ("NO_AT_BRIDGE", "1".into()),
    ]
}

/// Starts the app for `data` as a desktop launcher does, without WebDriver.
pub fn spawn_app(data: &Path, args: &[&str]) -> Child {
    Command::new(app_binary())
        .args(args)
        .envs(app_env(data))
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting the app: {e}"))
}

/// Starts the app for `data` again, as a desktop launcher does when a
/// `steady://` link is opened while Steady runs, and waits for it to end:
/// it hands the link to the running app and exits. Its exit status.
pub fn start_again(data: &Path, args: &[&str]) -> std::process::ExitStatus {
    let mut second = spawn_app(data, args);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = second.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("a second start of the app kept running beside the first");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Driver {
    pub fn start(data: &Path) -> Self {
        Self::start_with(data, &[])
    }

    /// Starts tauri-driver with extra environment for the app (TZ, say).
    pub fn start_with(data: &Path, env: &[(&str, &str)]) -> Self {
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
            .envs(app_env(data))
            .envs(env.iter().copied())
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
    pub async fn open_app(&self) -> Client {
        self.open_app_at("#quick-log").await
    }

    /// Starts the app and waits for `css` (the lock screen's passcode, say).
    pub async fn open_app_at(&self, css: &str) -> Client {
        self.open_app_with(&[], css).await
    }

    /// Starts the app with command-line arguments (a `steady://` link, as a
    /// desktop launcher passes it) and waits for `css`.
    pub async fn open_app_with(&self, args: &[&str], css: &str) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app_binary(), "args": args }),
        );
        // An app that never opens its window (it stopped at start) leaves
        // the session waiting: fail the test instead of hanging the run.
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let address = format!("http://127.0.0.1:{}", self.port);
        let client = tokio::time::timeout(Duration::from_secs(90), builder.connect(&address))
            .await
            .expect("the app's window did not open within 90 s (did it stop at start?)")
            .expect("a WebDriver session with the app");
        wait_for(&client, css).await;
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

pub async fn wait_for(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
}

/// Clicks an element as a person would: brought to the middle of the
/// window first, so nothing pinned to an edge (the floating "I'm
/// struggling" button at a phone's bottom corner) takes the click instead.
pub async fn click(client: &Client, css: &str) {
    let el = wait_for(client, css).await;
    client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center', inline: 'center' });",
            vec![serde_json::to_value(&el).unwrap()],
        )
        .await
        .unwrap_or_else(|e| panic!("scrolling to {css}: {e}"));
    el.click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

pub async fn fill(client: &Client, css: &str, text: &str) {
    let el = wait_for(client, css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Sets a field WebDriver cannot type into (a date and time picker) as the
/// picker would: the value, then the input event the page listens for.
pub async fn set_value(client: &Client, css: &str, value: &str) {
    let el = wait_for(client, css).await;
    client
        .execute(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::to_value(&el).unwrap(), value.into()],
        )
        .await
        .unwrap();
}

/// Polls until the element's text satisfies `ok`, returning the text.
pub async fn text_until(client: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
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
    // Show what the page said instead, and keep a picture of it.
    let page = match client.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(e) => e.to_string(),
    };
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(screenshot_dir().join("last-failure.png"), png);
    }
    panic!("{css}: text never matched; last seen {last:?}; the page said:\n{page}");
}

pub async fn history_texts(client: &Client, expected: usize) -> Vec<String> {
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

/// Kills the app using `data` with SIGKILL, as a crash or the system would:
/// no shutdown code runs. Returns once the process is gone.
pub fn kill_app(data: &Path) {
    let marker = format!("STEADY_DATA_DIR={}", data.join("steady").display());
    let mut killed = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() != "steady-app" {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ
            .split(|b| *b == 0)
            .any(|var| var == marker.as_bytes())
        {
            let status = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
            assert!(status.success(), "kill -KILL {pid}");
            killed.push(pid);
        }
    }
    assert_eq!(killed.len(), 1, "exactly one app ran on {}", data.display());
    let deadline = Instant::now() + WAIT;
    while Path::new(&format!("/proc/{}", killed[0])).exists() {
        // A killed child stays as a zombie until its parent reaps it.
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", killed[0])).unwrap_or_default();
        if stat.contains(") Z ") {
            break;
        }
        assert!(Instant::now() < deadline, "the app did not die");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The element's current `value` property (what a person sees in a box).
pub async fn value_of(client: &Client, css: &str) -> String {
    wait_for(client, css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Checks the page fits the window without sideways scrolling, and keeps a
/// screenshot of it for people to look at.
pub async fn check_layout(client: &Client, width: u32, height: u32, name: &str, shots: &Path) {
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
    // Let the page lay out and paint at the new size before the picture.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let png = client.screenshot().await.unwrap();
    std::fs::write(shots.join(format!("{name}-{width}x{height}.png")), png).unwrap();
}

/// Scrolls `css` to the middle of the window, as a person would before
/// reading it (and before a screenshot of it).
pub async fn show(client: &Client, css: &str) {
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

/// Points the app's Downloads folder (XDG user dirs, read from the
/// `xdg-config` folder the test's app is given) into `data`; returns it.
pub fn downloads_in(data: &Path) -> std::path::PathBuf {
    let downloads = data.join("downloads");
    let config = data.join("xdg-config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )
    .unwrap();
    downloads
}

pub fn screenshot_dir() -> PathBuf {
    let dir = app_binary()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs axe-core on the page as it is — the dashboard's or the app's
/// window — (every <details> opened, so folded parts are checked too) and fails on any WCAG 2.0/2.1/2.2 A or
/// AA violation.
pub async fn axe(client: &Client, page: &str) {
    let source = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("dashboard/node_modules/axe-core/axe.min.js"),
    )
    .expect("axe-core is installed with the dashboard's npm packages (`cargo xtask test`)");
    client
        .execute(
            &format!("{source}\n;window.axe = axe; return true;"),
            vec![],
        )
        .await
        .unwrap();
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             document.querySelectorAll('details').forEach((d) => (d.open = true));
             window.axe
               .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
               .then((r) => done({ violations: r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })), passes: r.passes.length }))
               .catch((e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .unwrap();
    assert!(result["error"].is_null(), "axe on {page}: {result}");
    let violations = result["violations"].as_array().unwrap();
    assert!(
        violations.is_empty(),
        "axe on {page}: {}",
        serde_json::to_string_pretty(violations).unwrap()
    );
    // Nothing the page did broke its Content-Security-Policy.
    let csp = client
        .execute("return window.steadyCspViolations || [];", vec![])
        .await
        .unwrap();
    assert_eq!(csp, json!([]), "CSP violations on {page}");
    let passes = result["passes"].as_u64().unwrap();
    assert!(
        passes > 5,
        "axe checked too little on {page}: {passes} rules"
    );
    println!("axe on {page}: 0 violations, {passes} rules passed");
    client
        .execute(
            "document.querySelectorAll('details').forEach((d) => (d.open = false));",
            vec![],
        )
        .await
        .unwrap();
}
