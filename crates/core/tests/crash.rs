//! Acknowledged writes survive SIGKILL.
//!
//! The binary plays two parts. Run normally, it is the parent: it starts
//! itself again as a child that saves check-ins as fast as it can and prints
//! each id once `create` returned Ok, kills the child with SIGKILL at a random
//! moment, then checks that every printed id is in the database and that
//! SQLite's integrity check passes. That is one round; CI runs at least 200.
//!
//! The store is the encrypted one the app opens. Every note carries a marker;
//! after each kill no byte of any file in the data folder (the database, its
//! WAL and SHM) may contain it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use steady_core::Store;
use steady_core::keys::Given;
use steady_model::{CheckIn, CheckInDraft};

mod common;

const CHILD_DIR: &str = "STEADY_CRASH_CHILD_DIR";
const ROUNDS: &str = "STEADY_CRASH_ROUNDS";

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match std::env::var_os(CHILD_DIR) {
        Some(dir) => runtime.block_on(child(Path::new(&dir))),
        None => runtime.block_on(parent()),
    }
}

async fn child(dir: &Path) {
    let store = steady_core::vault::open(dir, &Given(common::key()))
        .await
        .expect("child opens the store");
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    for i in 0.. {
        let draft = CheckInDraft {
            craving: i % 11,
            note: format!("{} crash round entry {i}", common::MARKER),
            ..Default::default()
        };
        let entry = store.create::<CheckIn>(draft).await.expect("save");
        writeln!(out, "saved {}", entry.id).unwrap();
        out.flush().unwrap();
    }
}

async fn parent() {
    let rounds: usize = std::env::var(ROUNDS)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(steady_core::DB_FILE);
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut acknowledged: HashSet<String> = HashSet::new();
    let mut killed_before_ready = 0;
    let mut scanned = 0;

    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            // Only whole lines count: a line cut off by the kill was never
            // fully acknowledged.
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line.ends_with('\n') {
                    if line == "ready\n" {
                        let _ = tx.send(());
                    }
                    lines.push(line.trim_end().to_owned());
                }
                line.clear();
            }
            lines
        });

        // Mostly kill mid-stream; sometimes while the store is still opening
        // (recovering the previous round's WAL, checking migrations).
        if fastrand::u8(0..10) == 0 {
            std::thread::sleep(Duration::from_millis(fastrand::u64(0..15)));
            killed_before_ready += 1;
        } else {
            rx.recv_timeout(Duration::from_secs(30))
                .expect("child became ready");
            std::thread::sleep(Duration::from_millis(fastrand::u64(1..60)));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child must die by the signal"
        );
        let lines = reader.join().unwrap();
        acknowledged.extend(
            lines
                .iter()
                .filter_map(|l| l.strip_prefix("saved "))
                .map(str::to_owned),
        );

        check(&db, &acknowledged, round).await;
        let found = common::files_containing(dir.path(), common::MARKER.as_bytes());
        assert!(
            found.is_empty(),
            "round {round}: the marker is in {found:?}"
        );
        scanned += 1;
    }
    common::assert_not_plain_sqlite(&db).await;
    assert!(
        acknowledged.len() > rounds,
        "the children saved too little to prove anything: {} ids",
        acknowledged.len()
    );
    println!(
        "crash test: {rounds} rounds of SIGKILL ({killed_before_ready} while opening) on the encrypted store, {} acknowledged check-ins all present, integrity ok, the marker in no file after {scanned} kills, {:.1} s",
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
}

async fn check(db: &Path, acknowledged: &HashSet<String>, round: usize) {
    if !db.exists() {
        assert!(acknowledged.is_empty());
        return;
    }
    let pool = sqlx::SqlitePool::connect_with(Store::encrypted_options(db, &common::key()))
        .await
        .unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok", "round {round}");
    // A child killed during its very first open may leave a file whose
    // migrations never committed; then nothing can have been acknowledged.
    let has_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    if has_table == 0 {
        assert!(
            acknowledged.is_empty(),
            "round {round}: acknowledged writes but no table"
        );
        pool.close().await;
        return;
    }
    let stored: HashSet<String> = sqlx::query_scalar("SELECT id FROM records")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let missing: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "round {round}: {} acknowledged check-ins lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    pool.close().await;
}
