//! The developer workflow, so that a fresh Debian or Ubuntu machine needs two
//! commands: `cargo xtask run` and `cargo xtask test`. Each installs what is
//! missing (Debian packages, npm packages, tauri-driver) before it starts.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod postgres;

/// What building the app needs (Tauri 2 on Linux).
const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libxdo-dev",
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
];

/// What driving the real window in tests needs: a virtual display, the
/// WebDriver for WebKitGTK, a D-Bus session (dbus-run-session, dbus-monitor)
/// and a notification daemon (not dbus-x11: with it, GTK apps start session
/// daemons that outlive the test); xdotool and xmessage (x11-utils), to take
/// the window's focus away and give it back; PostgreSQL for the server's tests; and
/// headless Chromium with its WebDriver for the dashboard's tests; Python's
/// venv for Schemathesis; GNOME Keyring, the Secret Service the app keeps
/// its store's key in, run on the tests' own D-Bus session.
const TEST_PACKAGES: &[&str] = &[
    "gnome-keyring",
    "python3-venv",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "xdotool",
    "x11-utils",
    "dbus",
    "dunst",
    "postgresql",
    "chromium",
    "chromium-driver",
];

/// The npm packages: the patient app's UI and the counselor dashboard.
const UI: &str = "ui";
const DASHBOARD: &str = "dashboard";

const USAGE: &str = "usage: cargo xtask <command>

  run        install what is missing, build the UI and the app, open Steady
  test       install what is missing and run every check and test
  check      the fast lane: formatting, lints, type checks and unit tests
             (no window, browser or PostgreSQL)
  server     run the clinic's server (steady-server) on 127.0.0.1:8380, SQLite by default
  package    build the Debian packages of the server (cargo-deb) and the app
             (Tauri's bundler) into target/packages, and check them with lintian
  bench      run the benchmarks (release build)
  bindings   regenerate both UIs' bindings.ts from the Rust types";

fn main() -> ExitCode {
    let task = env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "run" => run(),
        "test" => test(),
        "check" => check(),
        "server" => server(),
        "package" => package().map(|dir| println!("\n==> the packages are in {}", dir.display())),
        "bench" => bench(),
        "bindings" => bindings(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask {task} failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace this run is for. `cargo xtask` (cargo run) says where at
/// run time: the binary it runs may have been built, and left in the shared
/// target folder, from another checkout (CI's clone uses the same cache), so
/// the path compiled into it names that checkout, not this one.
fn root() -> PathBuf {
    env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn app_binary() -> PathBuf {
    target_dir().join("debug").join("steady-app")
}

fn run() -> Result<()> {
    ensure_debian_packages(BUILD_PACKAGES)?;
    ensure_node()?;
    build_ui()?;
    step("build the app", cargo(&["build", "-p", "steady-app"]))?;
    if env::var_os("DISPLAY").is_none() && env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); run this from a desktop session"
        );
    }
    println!("==> opening Steady (data in {})", data_dir_hint());
    let status = Command::new(app_binary())
        .status()
        .context("starting the app")?;
    if !status.success() {
        bail!("the app exited with {status}");
    }
    Ok(())
}

fn data_dir_hint() -> String {
    match env::var("STEADY_DATA_DIR") {
        Ok(dir) if !dir.is_empty() => dir,
        _ => "the app-data folder, e.g. ~/.local/share/app.steady.patient".into(),
    }
}

/// What `test` checks before it builds anything slow, and the unit tests:
/// a minute or two on a warm machine, for while you work.
fn check() -> Result<()> {
    let started = Instant::now();
    ensure_debian_packages(BUILD_PACKAGES)?;
    ensure_node()?;
    static_checks()?;
    step(
        "unit tests of the model and the server",
        cargo(&["test", "-p", "steady-model", "-p", "steady-server", "--lib"]),
    )?;
    // Its keyring test needs a Secret Service, and no test may touch the
    // keyring of the desktop it runs on: the same throwaway one as the tests.
    ensure_debian_packages(&["dbus", "gnome-keyring"])?;
    let (core, keyring) = keyring_session(&["cargo", "test", "-p", "steady-core"])?;
    let result = step("the app engine's tests (real SQLite files)", core);
    let _ = std::fs::remove_dir_all(&keyring);
    result?;
    step(
        "both UIs' bindings are fresh",
        cargo(&["test", "-p", "steady", "--test", "bindings"]),
    )?;
    step("UI unit tests (vitest)", npm(UI, &["test"]))?;
    step("dashboard unit tests (vitest)", npm(DASHBOARD, &["test"]))?;
    println!(
        "\n==> the fast checks passed in {:.0} s (`cargo xtask test` runs everything)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Formatting, the UIs' type checks and clippy: what needs no build of
/// the app.
fn static_checks() -> Result<()> {
    step("cargo fmt --check", cargo(&["fmt", "--all", "--check"]))?;
    npm_install(UI)?;
    step("UI type check", npm(UI, &["run", "check"]))?;
    npm_install(DASHBOARD)?;
    step("dashboard type check", npm(DASHBOARD, &["run", "check"]))?;
    // The app embeds the built UI, so clippy of the app needs it built.
    build_ui()?;
    step(
        "cargo clippy",
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )
}

fn test() -> Result<()> {
    let started = Instant::now();
    ensure_debian_packages(&[BUILD_PACKAGES, TEST_PACKAGES, PACKAGE_PACKAGES].concat())?;
    ensure_node()?;
    let driver = ensure_tauri_driver()?;
    let schemathesis = ensure_schemathesis()?;

    static_checks()?;
    build_dashboard()?;
    // One build of every target, so the app binary the window test drives
    // is built with the same (dev-dependency-unified) features as the tests
    // and `cargo test` below compiles nothing twice.
    step(
        "build the app and every test",
        cargo(&["build", "--workspace", "--all-targets"]),
    )?;
    step("UI unit tests (vitest)", npm(UI, &["test"]))?;
    step("dashboard unit tests (vitest)", npm(DASHBOARD, &["test"]))?;
    // Release builds of both, for tests/packages.rs to install.
    let packages = package()?;

    let database = postgres::Postgres::start(is_root())?;
    let display = Xvfb::start()?;
    let (mut tests, keyring) = keyring_session(&["cargo", "test", "--workspace"])?;
    tests
        .env("DISPLAY", &display.name)
        .env("NO_AT_BRIDGE", "1")
        .env("STEADY_APP_BIN", app_binary())
        .env("STEADY_TAURI_DRIVER", &driver)
        .env("STEADY_DASHBOARD_DIST", root().join(DASHBOARD).join("dist"))
        .env("STEADY_TEST_POSTGRES_URL", &database.url)
        .env("STEADY_SCHEMATHESIS", &schemathesis)
        // The same environment's Python, with prometheus-client,
        // fhir.resources and icalendar.
        .env("STEADY_PYTHON", schemathesis.with_file_name("python"))
        .env("STEADY_PACKAGES_DIR", &packages);
    let result = step(
        "Rust tests, end-to-end in the real window (Xvfb, D-Bus session) and the dashboard in headless Chromium",
        tests,
    );
    drop(display);
    drop(database);
    let _ = std::fs::remove_dir_all(&keyring);
    result?;
    println!(
        "\n==> every check passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The clinic's server with its defaults (a SQLite file in the server's
/// data folder) and the dashboard, built first; extra arguments go to
/// `steady-server serve`.
fn server() -> Result<()> {
    ensure_node()?;
    build_dashboard()?;
    let mut cmd = cargo(&["run", "--package", "steady-server", "--", "serve"]);
    cmd.arg("--dashboard-dir")
        .arg(root().join(DASHBOARD).join("dist"));
    cmd.args(env::args().skip(2));
    let status = cmd.status().context("starting cargo")?;
    if !status.success() {
        bail!("steady-server exited with {status}");
    }
    Ok(())
}

/// What building and checking the Debian packages needs: lintian,
/// Python's imaging library for the installed app's screenshot,
/// systemd-analyze (in systemd) to verify the units, and adduser, which
/// the server's package creates its user with.
const PACKAGE_PACKAGES: &[&str] = &["lintian", "python3-pil", "systemd", "adduser"];

/// The cargo-deb release `package` installs when missing.
const CARGO_DEB: &str = "3.8.0";

/// Builds the server's package (cargo-deb, carrying the dashboard) and the
/// app's (Tauri's bundler), release builds both, into target/packages;
/// lintian must find no error in either. Returns that folder.
fn package() -> Result<PathBuf> {
    ensure_debian_packages(&[BUILD_PACKAGES, PACKAGE_PACKAGES].concat())?;
    ensure_node()?;
    let has_cargo_deb = cargo(&["deb", "--version"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_DEB));
    if !has_cargo_deb {
        step(
            &format!("install cargo-deb {CARGO_DEB} from crates.io"),
            cargo(&["install", "--locked", "cargo-deb", "--version", CARGO_DEB]),
        )?;
    }
    build_dashboard()?;
    build_ui()?;
    let out = target_dir().join("packages");
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    let mut server = cargo(&["deb", "--package", "steady-server", "--output"]);
    server.arg(&out);
    step(
        "the server's Debian package (cargo-deb, release build)",
        server,
    )?;

    // Debian wants the changelog compressed with gzip -9n (no name or time
    // inside); Tauri's bundler copies files as given (its own `changelog`
    // setting files it under the product's name, not the package's).
    let gzip = Command::new("gzip")
        .arg("-9nc")
        .arg(root().join("packaging/app/changelog"))
        .output()
        .context("running gzip")?;
    if !gzip.status.success() {
        bail!("gzip failed on packaging/app/changelog");
    }
    fs::write(root().join("packaging/app/changelog.gz"), gzip.stdout)?;
    let mut app = Command::new(root().join(UI).join("node_modules/.bin/tauri"));
    app.args(["build", "--bundles", "deb", "--ci"])
        .current_dir(root())
        .env("CARGO_TARGET_DIR", target_dir());
    step(
        "the app's Debian package (Tauri's bundler, release build)",
        app,
    )?;
    let bundle = target_dir().join("release/bundle/deb");
    for entry in fs::read_dir(&bundle).with_context(|| format!("reading {}", bundle.display()))? {
        let path = entry?.path();
        if path.extension() == Some(OsStr::new("deb")) {
            fs::copy(&path, out.join(path.file_name().expect("a file")))?;
        }
    }
    let debs: Vec<PathBuf> = fs::read_dir(&out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension() == Some(OsStr::new("deb")))
        .collect();
    if debs.len() != 2 {
        bail!("expected two packages in {}, found {debs:?}", out.display());
    }
    for deb in &debs {
        let mut lintian = Command::new("lintian");
        lintian
            .args(["--fail-on", "error", "--tag-display-limit", "0"])
            .arg(deb);
        step(
            &format!(
                "lintian {}",
                deb.file_name().unwrap_or_default().to_string_lossy()
            ),
            lintian,
        )?;
    }
    Ok(out)
}

fn bench() -> Result<()> {
    ensure_debian_packages(TEST_PACKAGES)?;
    // The store's key comes from a real credential store, as in the app.
    let (store, keyring) =
        keyring_session(&["cargo", "bench", "-p", "steady-core", "--bench", "store"])?;
    let result = step("benchmark: the store", store);
    let _ = std::fs::remove_dir_all(&keyring);
    result?;
    step(
        "benchmark: the reminder planner",
        cargo(&["bench", "-p", "steady-core", "--bench", "planner"]),
    )?;
    step(
        "benchmark: the app's insights over five years",
        cargo(&["bench", "-p", "steady-core", "--bench", "insights"]),
    )?;
    let database = postgres::Postgres::start(is_root())?;
    let mut sync = cargo(&["bench", "-p", "steady", "--bench", "sync"]);
    sync.env("STEADY_TEST_POSTGRES_URL", &database.url);
    step(
        "benchmark: sync with the real server (SQLite and PostgreSQL)",
        sync,
    )
}

fn bindings() -> Result<()> {
    let mut cmd = cargo(&["test", "-p", "steady", "--test", "bindings"]);
    cmd.env("STEADY_WRITE_BINDINGS", "1");
    step(
        "write ui/src/lib/bindings.ts and dashboard/src/lib/bindings.ts",
        cmd,
    )
}

fn build_ui() -> Result<()> {
    npm_install(UI)?;
    step("build the UI", npm(UI, &["run", "build"]))
}

fn build_dashboard() -> Result<()> {
    npm_install(DASHBOARD)?;
    step("build the dashboard", npm(DASHBOARD, &["run", "build"]))
}

fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(args).current_dir(root());
    cmd
}

/// npm in one of the npm packages (`ui` or `dashboard`).
fn npm(package: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("npm");
    cmd.args(args).current_dir(root().join(package));
    cmd
}

fn step(what: &str, mut cmd: Command) -> Result<()> {
    println!("\n==> {what}");
    let started = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what}: {status}");
    }
    println!("==> {what}: ok ({:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// Installs the packages (and their lock) when node_modules is missing or
/// older than package-lock.json.
fn npm_install(package: &str) -> Result<()> {
    let dir = root().join(package);
    let stamp = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    let fresh = match (modified(&stamp), modified(&dir.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    step(
        &format!("install the npm packages of {package}/"),
        npm(package, &["ci", "--no-audit", "--no-fund"]),
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn apt_get(args: &[&str]) -> Command {
    let mut cmd = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

fn ensure_debian_packages(packages: &[&str]) -> Result<()> {
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("==> not a Debian-based system: make sure these are installed: {packages:?}");
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    step("apt-get update", apt_get(&["update", "-qq"]))?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&missing);
    step(&format!("install {}", missing.join(" ")), apt_get(&args))
}

fn ensure_node() -> Result<()> {
    let version = |cmd: &str| {
        Command::new(cmd)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if version("node").is_none() || version("npm").is_none() {
        ensure_debian_packages(&["nodejs", "npm"])?;
    }
    let node = version("node").context("Node.js is still missing after installing it")?;
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 18 {
        bail!("the UI build needs Node.js 18 or newer; this machine has {node}");
    }
    Ok(())
}

/// tauri-driver bridges WebDriver to WebKitWebDriver for the window tests.
fn ensure_tauri_driver() -> Result<PathBuf> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let path = cargo_home.join("bin").join("tauri-driver");
    if !path.exists() {
        step(
            "install tauri-driver",
            cargo(&["install", "tauri-driver", "--version", "^2", "--locked"]),
        )?;
    }
    Ok(path)
}

/// The Schemathesis release the server's API test runs (from PyPI).
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// The Prometheus project's own Python client, whose OpenMetrics parser
/// reads the server's `/metrics` in the tests (from PyPI).
const PROMETHEUS_CLIENT: &str = "prometheus-client==0.23.1";

/// The outside readers of "Export my data" (from PyPI): fhir.resources
/// validates the FHIR Bundle (its R4B models; R4B leaves Bundle,
/// Observation, Questionnaire and QuestionnaireResponse as R4 has them) and
/// icalendar parses the schedule; with recurring-ical-events it is the
/// outside reader and writer of the calendar differential test.
const FHIR_RESOURCES: &str = "fhir.resources==8.3.0";
const ICALENDAR: &str = "icalendar==7.3.2";
const RECURRING_ICAL_EVENTS: &str = "recurring-ical-events==3.8.2";

/// Schemathesis in a virtual environment of its own under the target
/// folder, installed from PyPI when missing, with the other Python packages
/// the tests read our output with; the path of its `st` command.
fn ensure_schemathesis() -> Result<PathBuf> {
    let venv = target_dir().join("schemathesis-venv");
    let st = venv.join("bin").join("st");
    let stamp = venv.join("installed");
    let wanted = format!(
        "{SCHEMATHESIS} {PROMETHEUS_CLIENT} {FHIR_RESOURCES} {ICALENDAR} {RECURRING_ICAL_EVENTS}"
    );
    if st.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(st);
    }
    let mut create = Command::new("python3");
    create.args(["-m", "venv", "--clear"]).arg(&venv);
    step(
        "create a Python virtual environment for Schemathesis",
        create,
    )?;
    let mut install = Command::new(venv.join("bin").join("pip"));
    install.args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        SCHEMATHESIS,
        PROMETHEUS_CLIENT,
        FHIR_RESOURCES,
        ICALENDAR,
        RECURRING_ICAL_EVENTS,
    ]);
    step(&format!("install {wanted} from PyPI"), install)?;
    fs::write(&stamp, &wanted)?;
    Ok(st)
}

/// A virtual X display for the window tests, stopped when dropped.
struct Xvfb {
    name: String,
    child: Child,
}

impl Xvfb {
    fn start() -> Result<Self> {
        let n = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("no free X display number between :90 and :199")?;
        let name = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                OsStr::new(&name),
                OsStr::new("-screen"),
                OsStr::new("0"),
                OsStr::new("1280x800x24"),
                OsStr::new("-nolisten"),
                OsStr::new("tcp"),
            ])
            .spawn()
            .context("starting Xvfb")?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let deadline = Instant::now() + Duration::from_secs(15);
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!("Xvfb did not start on {name} within 15 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("==> Xvfb on {name}");
        Ok(Self { name, child })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throwaway password: the process id and the time, never reused.
fn throwaway_password() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("steady-test-{}-{nanos}", std::process::id())
}

/// `command` in a D-Bus session of its own with a Secret Service on it: a
/// GNOME Keyring with its files in a folder of this run (returned, to remove
/// afterwards), unlocked with a password made for it, gone with the session.
fn keyring_session(command: &[&str]) -> Result<(Command, PathBuf)> {
    let keyring = env::temp_dir().join(format!("steady-keyring-{}", std::process::id()));
    std::fs::create_dir_all(keyring.join("runtime"))?;
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [keyring.clone(), keyring.join("runtime")] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let mut cmd = Command::new("dbus-run-session");
    cmd.args([
        "--",
        "sh",
        "-c",
        "printf %s \"$STEADY_KEYRING_PASSWORD\" | XDG_DATA_HOME=\"$STEADY_KEYRING_DIR\" XDG_RUNTIME_DIR=\"$STEADY_KEYRING_DIR/runtime\" gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null && exec \"$@\"",
        "sh",
    ])
    .args(command)
    .current_dir(root())
    .env("STEADY_KEYRING_DIR", &keyring)
    .env("STEADY_KEYRING_PASSWORD", throwaway_password());
    Ok((cmd, keyring))
}
