//! The counselor's side for the tests that need it: the built dashboard,
//! and headless Chromium driven by chromedriver.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use super::{WAIT, free_port};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn dashboard_dist() -> PathBuf {
    let dist = std::env::var_os("STEADY_DASHBOARD_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("dashboard/dist"));
    assert!(
        dist.join("index.html").is_file(),
        "{} is missing: run `cargo xtask test`, which builds the dashboard first",
        dist.display()
    );
    dist
}

/// chromedriver with Debian's chromium, stopped when dropped.
pub struct Chrome {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Chrome {
    pub fn start() -> Self {
        let program =
            std::env::var_os("STEADY_CHROMEDRIVER").unwrap_or_else(|| "chromedriver".into());
        let port = free_port();
        // Its own process group, so the browsers it starts go with it even
        // when a failed test never closes its session.
        let child = Command::new(&program)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting {program:?}: {e}; `cargo xtask test` installs chromium-driver")
            });
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            profile: tempfile::tempdir().unwrap(),
        }
    }

    /// A fresh browser window (its own cookies) on `base`.
    pub async fn open(&self, base: &str, name: &str) -> Client {
        let mut caps = serde_json::Map::new();
        let binary =
            std::env::var("STEADY_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--window-size=1280,1000",
                    "--lang=en-US",
                    format!("--user-data-dir={}", self.profile.path().join(name).display()),
                ],
            }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromedriver session");
        client.goto(&format!("{base}/")).await.unwrap();
        client
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}
