//! Moving a plain database into an encrypted one survives SIGKILL at any
//! moment: afterwards the folder holds either the complete plain database or
//! the complete encrypted one, never neither and never half, and the next
//! start finishes the move with every record present exactly once.
//!
//! The binary plays three parts. Run normally, it is the parent. It first
//! starts itself as a writer that fills a plain database (made by the
//! current schema, as the version before encryption left it) and is killed,
//! so the database's last writes are still in its WAL. Each round copies
//! those files into a new folder and starts itself as a mover that opens the
//! store as the app does, killing it at a random moment of the move (once or
//! twice in a row); then it checks the folder and finishes the move itself.
//! CI runs at least 100 rounds.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use steady_core::keys::Given;
use steady_core::vault::{self, FileState};
use steady_core::{DB_FILE, ListQuery, Store};
use steady_model::{CheckIn, CheckInDraft};

const ROLE: &str = "STEADY_MIGRATE_ROLE";
const DIR: &str = "STEADY_MIGRATE_DIR";
const ROUNDS: &str = "STEADY_MIGRATE_ROUNDS";
const RECORDS: usize = 2_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = std::env::var_os(DIR);
    match (std::env::var(ROLE).as_deref(), dir) {
        (Ok("writer"), Some(dir)) => runtime.block_on(writer(Path::new(&dir))),
        (Ok("mover"), Some(dir)) => runtime.block_on(mover(Path::new(&dir))),
        _ => runtime.block_on(parent()),
    }
}

/// Fills a plain store, says so, and waits to be killed.
async fn writer(dir: &Path) {
    let store = Store::open_unencrypted(&dir.join(DB_FILE))
        .await
        .expect("plain store");
    for batch in 0..RECORDS / 500 {
        let drafts = (0..500).map(|i| CheckInDraft {
            craving: (i % 11) as i32,
            note: format!("{} record {}", common::MARKER, batch * 500 + i),
            ..Default::default()
        });
        store.create_all::<CheckIn>(drafts).await.expect("save");
    }
    println!("written");
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(600));
}

/// Opens the store as the app does (moving the plain file over).
async fn mover(dir: &Path) {
    println!("start");
    std::io::stdout().flush().unwrap();
    let store = vault::open(dir, &Given(common::key()))
        .await
        .expect("the move");
    store.close().await;
    println!("done");
}

fn spawn(role: &str, dir: &Path) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_line(rx: &std::sync::mpsc::Receiver<String>, want: &str) {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("waiting for {want:?}: {e}"));
        if line == want {
            return;
        }
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

async fn notes(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    let mut query = ListQuery {
        limit: ListQuery::MAX_LIMIT,
        ..Default::default()
    };
    loop {
        let page = store.list::<CheckIn>(&query).await.unwrap();
        out.extend(page.items.into_iter().map(|e| e.data.note));
        match page.next {
            Some(next) => query.after = Some(next),
            None => return out,
        }
    }
}

fn expected() -> BTreeSet<String> {
    (0..RECORDS)
        .map(|i| format!("{} record {i}", common::MARKER))
        .collect()
}

/// After a kill: the database is there, whole, plain or encrypted.
async fn check_between(dir: &Path, round: usize) -> FileState {
    let db = dir.join(DB_FILE);
    let state = vault::file_state(&db).unwrap();
    let store = match state {
        FileState::Absent => panic!("round {round}: neither database is there"),
        // Read-only and through a copy, so the check changes nothing.
        FileState::Plain => {
            let copy = tempfile::tempdir().unwrap();
            copy_files(dir, copy.path());
            let store = Store::open_unencrypted(&copy.path().join(DB_FILE))
                .await
                .unwrap_or_else(|e| panic!("round {round}: the plain file: {e}"));
            let got = notes(&store).await;
            store.close().await;
            got
        }
        FileState::Encrypted => {
            let store = Store::open_file(&db, &common::key())
                .await
                .unwrap_or_else(|e| panic!("round {round}: the encrypted file: {e}"));
            let got = notes(&store).await;
            store.close().await;
            got
        }
    };
    assert_eq!(store.len(), RECORDS, "round {round} ({state:?}): a half");
    assert_eq!(
        store.into_iter().collect::<BTreeSet<_>>(),
        expected(),
        "round {round} ({state:?})"
    );
    state
}

async fn parent() {
    let rounds: usize = std::env::var(ROUNDS)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let template = work.path().join("template");
    std::fs::create_dir(&template).unwrap();
    let (writer, rx) = spawn("writer", &template);
    wait_line(&rx, "written");
    kill(writer);
    assert!(
        std::fs::metadata(template.join("steady.db-wal"))
            .map(|m| m.len() > 0)
            .unwrap_or(false),
        "the plain database's last writes should still be in its WAL"
    );

    // How long one whole move takes, to spread the kills over it.
    let calibrate = work.path().join("calibrate");
    copy_files(&template, &calibrate);
    let (mover, rx) = spawn("mover", &calibrate);
    wait_line(&rx, "start");
    let began = Instant::now();
    wait_line(&rx, "done");
    let whole = began.elapsed();
    mover.wait_with_output().unwrap();
    check_between(&calibrate, 0).await;

    let (mut plain_after, mut encrypted_after) = (0, 0);
    for round in 1..=rounds {
        let dir = work.path().join(format!("round{round}"));
        copy_files(&template, &dir);
        let kills = if fastrand::bool() { 1 } else { 2 };
        for _ in 0..kills {
            let (mover, rx) = spawn("mover", &dir);
            wait_line(&rx, "start");
            let at = whole.mul_f64(fastrand::f64() * 1.3);
            std::thread::sleep(at);
            kill(mover);
            match check_between(&dir, round).await {
                FileState::Plain => plain_after += 1,
                _ => encrypted_after += 1,
            }
        }
        // The next start finishes the move.
        let store = vault::open(&dir, &Given(common::key())).await.unwrap();
        let got = notes(&store).await;
        store.close().await;
        assert_eq!(got.len(), RECORDS, "round {round}: exactly once");
        assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected());
        let found = common::files_containing(&dir, common::MARKER.as_bytes());
        assert!(
            found.is_empty(),
            "round {round}: plain text left in {found:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert!(
        plain_after > 0 && encrypted_after > 0,
        "the kills should land both before and after the swap: {plain_after} plain, {encrypted_after} encrypted"
    );
    println!(
        "migration crash test: {rounds} rounds ({} kills: {plain_after} left the plain database, {encrypted_after} the encrypted one), a move of {RECORDS} records takes {:.0} ms; every round ended with all {RECORDS} records exactly once and no plain text, {:.1} s",
        plain_after + encrypted_after,
        whole.as_secs_f64() * 1000.0,
        started.elapsed().as_secs_f64()
    );
}
