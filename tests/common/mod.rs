//! Helpers for the tests that drive the real app window: tauri-driver,
//! WebDriver sessions, waiting for elements and text.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

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
            .env("STEADY_DATA_DIR", data.join("steady"))
            .env("XDG_DATA_HOME", data.join("xdg-data"))
            .env("XDG_CONFIG_HOME", data.join("xdg-config"))
            .env("XDG_CACHE_HOME", data.join("xdg-cache"))
            .env("NO_AT_BRIDGE", "1")
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

pub async fn wait_for(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
}

pub async fn click(client: &Client, css: &str) {
    wait_for(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

pub async fn fill(client: &Client, css: &str, text: &str) {
    let el = wait_for(client, css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
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
    panic!("{css}: text never matched; last seen {last:?}");
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
