//! Desktop notifications observed in a test: a notification daemon (dunst)
//! on the test's own D-Bus session bus, and dbus-monitor recording each
//! `Notify` call the app makes. Run inside `cargo xtask test`
//! (dbus-run-session).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A process stopped when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// dbus-monitor's lines, collected as they come.
pub fn monitor_notifications() -> (Running, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new("dbus-monitor")
        .args([
            "--session",
            "interface='org.freedesktop.Notifications',member='Notify'",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-monitor (package dbus) runs inside the test's D-Bus session");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = child.stdout.take().unwrap();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (Running(child), lines)
}

pub fn notify_calls(lines: &Mutex<Vec<String>>) -> Vec<Vec<String>> {
    // Each call starts with a "method call ... member=Notify" line, followed
    // by its arguments: app name, replaces id, icon, summary, body, ...
    let lines = lines.lock().unwrap();
    let mut calls: Vec<Vec<String>> = Vec::new();
    for line in lines.iter() {
        if line.starts_with("method call") && line.contains("member=Notify") {
            calls.push(Vec::new());
        } else if let (Some(call), Some(text)) =
            (calls.last_mut(), line.trim().strip_prefix("string \""))
        {
            call.push(text.trim_end_matches('"').to_owned());
        }
    }
    calls
}

/// Starts dunst and the monitor; the `Notify` calls' lines as they come.
pub fn watch() -> (Running, Running, Arc<Mutex<Vec<String>>>) {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run `cargo xtask test`, which runs the tests in dbus-run-session"
    );
    let daemon = Running(
        Command::new("dunst")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dunst, the notification daemon `cargo xtask test` installs"),
    );
    let (monitor, lines) = monitor_notifications();
    std::thread::sleep(Duration::from_millis(500));
    (daemon, monitor, lines)
}

/// Clears what dunst shows, so that the next notification is the only one.
pub fn close_all() {
    let _ = Command::new("dunstctl").arg("close-all").status();
}

/// Clicks the notification dunst shows first, as a person would: once it is
/// on screen, and not in the instant it appears. The monitor sees the app's
/// `Notify` call before dunst has shown it, and the app listens for the click
/// only after dunst has answered that call; a click in between is lost.
pub async fn click_when_shown() {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = Command::new("dunstctl")
            .args(["count", "displayed"])
            .output()
            .expect("dunstctl, installed with dunst");
        let shown: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        if shown > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "dunst showed no notification within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let clicked = Command::new("dunstctl")
        .args(["action", "0"])
        .status()
        .expect("dunstctl, installed with dunst");
    assert!(clicked.success(), "dunstctl action 0");
}
