//! The Debian packages `cargo xtask package` built (lintian already passed
//! them there), installed on this machine as a clinic's IT person or a
//! patient would: the server's with `dpkg -i` — its own user, its
//! configuration readable only by that user's group, `--version` and
//! `check-config`, units `systemd-analyze verify` accepts, the installed
//! server serving the installed dashboard as its user, a backup into its
//! state folder, and `dpkg --purge` removing everything but the data; the
//! app's — its binary opens a window under Xvfb (a screenshot) and the
//! package removes cleanly.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// dpkg takes one change at a time.
static DPKG: Mutex<()> = Mutex::new(());

fn packages() -> PathBuf {
    std::env::var_os("STEADY_PACKAGES_DIR")
        .map(PathBuf::from)
        .expect("STEADY_PACKAGES_DIR is not set: run `cargo xtask test`, which builds the packages first and says where")
}

/// The package file whose name starts with `name_`.
fn deb(name: &str) -> PathBuf {
    let prefix = format!("{name}_");
    std::fs::read_dir(packages())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            file.starts_with(&prefix) && file.ends_with(".deb")
        })
        .unwrap_or_else(|| panic!("no {name}_*.deb in {}", packages().display()))
}

fn is_root() -> bool {
    String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0"
}

/// `args` as root (through sudo when the tests are not root).
fn root(args: &[&str]) -> Command {
    let mut cmd = if is_root() {
        Command::new(args[0])
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg(args[0]);
        sudo
    };
    cmd.args(&args[1..]);
    cmd
}

/// `args` as the server's own user.
fn as_server_user(args: &[&str]) -> Command {
    let mut cmd = root(&["runuser", "-u", "steady-server", "--"]);
    cmd.args(args);
    cmd
}

fn ok(mut cmd: impl std::borrow::BorrowMut<Command>) -> Output {
    let cmd = cmd.borrow_mut();
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Purges `package` (and, for the server, what a test run left) however
/// the test ends, so the next run installs on a clean machine.
struct Installed(&'static str);

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = root(&["dpkg", "--purge", self.0]).output();
        if self.0 == "steady-server" {
            let _ = root(&["rm", "-rf", "/var/lib/steady-server"]).output();
            let _ = root(&["deluser", "--system", "--quiet", "steady-server"]).output();
            let _ = root(&["delgroup", "--system", "--quiet", "steady-server"]).output();
        }
    }
}

#[test]
fn the_server_package_installs_runs_backs_up_and_purges_cleanly() {
    let _dpkg = DPKG.lock().unwrap_or_else(|p| p.into_inner());
    let installed = Installed("steady-server");
    let out = ok(root(&[
        "dpkg",
        "-i",
        deb("steady-server").to_str().unwrap(),
    ]));
    println!("{}", text(&out));

    let version = ok(Command::new("/usr/bin/steady-server").arg("--version"));
    assert_eq!(
        text(&version).trim(),
        format!("steady-server {}", env!("CARGO_PKG_VERSION"))
    );
    // Its own user, which owns the state folder; the configuration is
    // root's, readable by that user's group and nobody else.
    ok(Command::new("getent").args(["passwd", "steady-server"]));
    let stat = ok(Command::new("stat").args([
        "-c",
        "%a %U %G",
        "/etc/steady-server/server.toml",
        "/var/lib/steady-server",
        "/var/lib/steady-server/backups",
    ]));
    assert_eq!(
        String::from_utf8_lossy(&stat.stdout)
            .lines()
            .collect::<Vec<_>>(),
        [
            "640 root steady-server",
            "700 steady-server steady-server",
            "700 steady-server steady-server"
        ]
    );
    let mut check = as_server_user(&[
        "env",
        "STEADY_CONFIG=/etc/steady-server/server.toml",
        "/usr/bin/steady-server",
        "check-config",
    ]);
    check.env_remove("STEADY_LOG");
    let checked = text(&ok(check));
    assert!(checked.contains("The configuration is good."), "{checked}");
    assert!(
        checked.contains("dashboard:         /usr/share/steady-server/dashboard"),
        "{checked}"
    );

    for unit in [
        "steady-server.service",
        "steady-server-backup.service",
        "steady-server-backup.timer",
    ] {
        let path = format!("/usr/lib/systemd/system/{unit}");
        let verified = Command::new("systemd-analyze")
            .args(["verify", &path])
            .output()
            .unwrap();
        assert!(
            verified.status.success(),
            "systemd-analyze verify {unit}: {}",
            text(&verified)
        );
    }
    let unit = std::fs::read_to_string("/usr/lib/systemd/system/steady-server.service").unwrap();
    for hardening in [
        "User=steady-server",
        "ProtectSystem=strict",
        "StateDirectory=steady-server",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
    ] {
        assert!(
            unit.contains(hardening),
            "{hardening} missing from the unit"
        );
    }

    // The installed server, as its user, on its installed configuration
    // (only the port overridden), serves the installed dashboard.
    let mut server = as_server_user(&[
        "env",
        "STEADY_CONFIG=/etc/steady-server/server.toml",
        "STEADY_LISTEN=127.0.0.1:0",
        "/usr/bin/steady-server",
        "serve",
    ])
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (health, page) = runtime.block_on(async {
        let health = reqwest::get(format!("{base}/readyz")).await.unwrap();
        let page = reqwest::get(format!("{base}/")).await.unwrap();
        (health.status(), page.text().await.unwrap())
    });
    assert_eq!(health, 200);
    assert!(page.contains("<script"), "the dashboard: {page}");
    ok(root(&["kill", "-TERM", &server.id().to_string()]));
    let _ = server.wait();

    // A backup as the timer takes it, into the state folder.
    let backup = ok(as_server_user(&[
        "env",
        "STEADY_CONFIG=/etc/steady-server/server.toml",
        "/usr/bin/steady-server",
        "admin",
        "backup",
        "--into",
        "/var/lib/steady-server/backups",
        "--keep",
        "14",
    ]));
    assert!(text(&backup).contains("Backed up to /var/lib/steady-server/backups/steady-server-"));

    // Purged: the program, its units and configuration go; the patients'
    // data stays until someone removes it on purpose.
    let purged = ok(root(&["dpkg", "--purge", "steady-server"]));
    assert!(
        text(&purged).contains("/var/lib/steady-server"),
        "{}",
        text(&purged)
    );
    for gone in [
        "/usr/bin/steady-server",
        "/usr/lib/systemd/system/steady-server.service",
        "/etc/steady-server/server.toml",
        "/usr/share/steady-server/dashboard/index.html",
    ] {
        assert!(!Path::new(gone).exists(), "{gone} is still there");
    }
    assert!(Path::new("/var/lib/steady-server/steady-server.db").exists());
    let status = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "steady-server"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains("installed"),
        "{}",
        text(&status)
    );
    drop(installed);
}

#[test]
fn the_app_package_installs_opens_its_window_and_removes_cleanly() {
    let _dpkg = DPKG.lock().unwrap_or_else(|p| p.into_inner());
    let installed = Installed("steady");
    ok(root(&["dpkg", "-i", deb("Steady").to_str().unwrap()]));
    let files = text(&ok(Command::new("dpkg").args(["-L", "steady"])));
    let binary = files
        .lines()
        .find(|l| l.starts_with("/usr/bin/"))
        .unwrap_or_else(|| panic!("no program in /usr/bin: {files}"))
        .to_owned();
    let desktop = files
        .lines()
        .find(|l| l.starts_with("/usr/share/applications/") && l.ends_with(".desktop"))
        .unwrap_or_else(|| panic!("no desktop entry: {files}"));
    let entry = std::fs::read_to_string(desktop).unwrap();
    assert!(entry.contains("Name=Steady"), "{entry}");
    assert!(
        entry.contains("x-scheme-handler/steady"),
        "pairing links: {entry}"
    );

    let data = tempfile::tempdir().unwrap();
    let mut app = Command::new(&binary)
        .envs(common::app_env(data.path()))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let window = loop {
        if let Some(w) = common::xdo::window_of(app.id()) {
            break w;
        }
        assert!(
            app.try_wait().unwrap().is_none(),
            "the installed app exited before opening its window"
        );
        assert!(Instant::now() < deadline, "no window from {binary}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let title = common::xdo::xdotool(&["getwindowname", &window]);
    assert_eq!(title, "Steady");
    // Painted, not a blank window: a screenshot with the app's colours.
    let shot = common::screenshot_dir().join("package-app-window.png");
    let display = std::env::var("DISPLAY").unwrap();
    let mut colours = 0;
    for _ in 0..50 {
        let out = ok(Command::new("/usr/bin/python3").args([
            "-c",
            "import sys\nfrom PIL import ImageGrab\nimage = ImageGrab.grab(xdisplay=sys.argv[1])\nimage.save(sys.argv[2])\nprint(len(image.getcolors(1 << 24) or []))",
            &display,
            shot.to_str().unwrap(),
        ]));
        colours = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        if colours > 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        colours > 20,
        "the window stayed blank ({colours} colours): {}",
        shot.display()
    );
    let _ = app.kill();
    let _ = app.wait();

    ok(root(&["dpkg", "--purge", "steady"]));
    assert!(!Path::new(&binary).exists(), "{binary} is still there");
    assert!(!Path::new(desktop).exists(), "{desktop} is still there");
    drop(installed);
}
