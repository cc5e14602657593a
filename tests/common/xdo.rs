//! The app's X windows and the system's dialogs over them, driven as a
//! person's keyboard would with xdotool (there is no window manager under
//! Xvfb; the input focus is moved by hand).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs xdotool and returns what it printed.
pub fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("xdotool: {e}; `cargo xtask test` installs it"));
    assert!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The first visible X window whose title is exactly `title`.
pub fn x_window(title: &str) -> String {
    let pattern = format!("^{title}$");
    let found = xdotool(&["search", "--sync", "--onlyvisible", "--name", &pattern]);
    found.lines().next().unwrap().to_owned()
}

/// The window of the app started for `data` (other tests' apps, also
/// titled "Steady", run at the same time): its process is the steady-app
/// whose environment names this data folder.
pub fn app_x_window(data: &Path) -> String {
    let wanted = format!("STEADY_DATA_DIR={}", data.join("steady").display());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pid = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
            .find(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                comm.trim() == "steady-app"
                    && environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes())
            });
        if let Some(pid) = pid {
            let found = xdotool(&["search", "--sync", "--onlyvisible", "--pid", &pid]);
            return found.lines().next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no steady-app for {wanted}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The visible window titled exactly `title`, if there is one now.
fn visible(title: &str) -> Option<String> {
    let pattern = format!("^{title}$");
    // Exits 1, printing nothing, while there is no such window.
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", &pattern])
        .output()
        .unwrap_or_else(|e| panic!("xdotool: {e}; `cargo xtask test` installs it"));
    let found = String::from_utf8_lossy(&out.stdout);
    found.lines().next().map(str::to_owned)
}

/// Waits (20 s at most) until `done` holds of the window titled `title`.
fn until<T>(title: &str, what: &str, done: impl Fn(Option<String>) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(out) = done(visible(title)) {
            return out;
        }
        assert!(Instant::now() < deadline, "the window {title:?} {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The window titled exactly `title` (a dialog the app opened), once it is
/// on screen.
pub fn window_titled(title: &str) -> String {
    until(title, "never opened", |w| w)
}

/// Waits until no visible window is titled `title`.
pub fn gone(title: &str) {
    until(title, "stayed open", |w| w.is_none().then_some(()))
}

/// Gives `window` the keyboard and presses `key` (an X key name: "Return",
/// "Escape") as a person would.
pub fn press(window: &str, key: &str) {
    xdotool(&["windowfocus", "--sync", window]);
    xdotool(&["key", "--clearmodifiers", key]);
}

/// The visible window of process `pid`, if it has one now.
pub fn window_of(pid: u32) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--pid", &pid.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("xdotool: {e}; `cargo xtask test` installs it"));
    let found = String::from_utf8_lossy(&out.stdout);
    found.lines().next().map(str::to_owned)
}
