//! A restore killed part-way leaves the store as it was or fully restored.
//!
//! The binary plays two parts. Run normally, it is the parent: it keeps
//! 5,000 check-ins in one store and backs them up, then, round after round,
//! starts itself again as a child that restores that backup into a store
//! holding a few entries of its own, and kills the child with SIGKILL at a
//! random moment of the restore (the first round runs to the end, to time
//! it). After each kill the store holds either its own entries alone or
//! those and every restored one — never part — and SQLite's integrity check
//! passes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use steady_core::Store;
use steady_model::{CheckIn, CheckInDraft};

mod common;

const CHILD: &str = "STEADY_RESTORE_CHILD";
const ROUNDS: usize = 8;
const KEPT: usize = 5_000;
const OWN: usize = 3;
const PASSPHRASE: &str = "river stone lantern 42";

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match std::env::var_os(CHILD) {
        Some(args) => {
            let args = args.to_string_lossy().into_owned();
            let (dir, file) = args.split_once('\n').expect("dir and file");
            runtime.block_on(child(Path::new(dir), Path::new(file)));
        }
        None => runtime.block_on(parent()),
    }
}

async fn child(dir: &Path, file: &Path) {
    let store = Store::open(dir, &common::key())
        .await
        .expect("child opens the store");
    println!("ready");
    store.restore_from(file, PASSPHRASE).await.expect("restore");
    println!("restored");
    store.close().await;
}

async fn count(dir: &Path) -> (usize, String) {
    let pool = sqlx::SqlitePool::connect_with(Store::encrypted_options(
        &dir.join(steady_core::DB_FILE),
        &common::key(),
    ))
    .await
    .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM records")
        .fetch_one(&pool)
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (n as usize, check)
}

async fn parent() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let file = dir.path().join("backup");
    {
        let store = Store::open(&source, &common::key()).await.unwrap();
        let drafts: Vec<CheckInDraft> = (0..KEPT)
            .map(|i| CheckInDraft {
                craving: (i % 11) as i32,
                note: format!("kept entry {i}"),
                ..CheckInDraft::default()
            })
            .collect();
        for part in drafts.chunks(5_000) {
            store.create_all::<CheckIn>(part.to_vec()).await.unwrap();
        }
        let now = chrono::Local::now().fixed_offset();
        store.backup_to(&file, PASSPHRASE, now).await.unwrap();
        store.close().await;
    }
    let exe = std::env::current_exe().unwrap();
    let mut restore_time = None;
    let (mut before, mut after, mut finished) = (0, 0, 0);
    for round in 0..ROUNDS {
        let target = dir.path().join(format!("round-{round}"));
        {
            let store = Store::open(&target, &common::key()).await.unwrap();
            for i in 0..OWN {
                store
                    .create::<CheckIn>(CheckInDraft {
                        craving: 1,
                        note: format!("own entry {i}"),
                        ..CheckInDraft::default()
                    })
                    .await
                    .unwrap();
            }
            store.close().await;
        }
        let mut child = Command::new(&exe)
            .env(CHILD, format!("{}\n{}", target.display(), file.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        let ready = Instant::now();
        match restore_time {
            None => {
                assert_eq!(lines.next().unwrap().unwrap(), "restored");
                assert!(child.wait().unwrap().success());
                restore_time = Some(ready.elapsed());
            }
            Some(full) => {
                let at = full.mul_f64(fastrand::f64());
                std::thread::sleep(at);
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let (n, check) = count(&target).await;
        assert_eq!(check, "ok", "round {round}: integrity check");
        match n {
            n if n == OWN => before += 1,
            n if n == OWN + KEPT => {
                if round == 0 {
                    finished += 1;
                } else {
                    after += 1;
                }
            }
            n => panic!(
                "round {round}: {n} records, part of a restore ({OWN} or {} expected)",
                OWN + KEPT
            ),
        }
    }
    println!(
        "restore killed at random: {ROUNDS} rounds ({finished} to the end in {:?}), {before} left as before, {after} fully restored, none in part; {:.1} s",
        restore_time.unwrap_or(Duration::ZERO),
        started.elapsed().as_secs_f64()
    );
    assert!(
        before > 0,
        "no kill landed before the restore committed; the test proved nothing"
    );
}
