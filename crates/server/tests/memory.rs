//! Password hashing beyond its cap answers 503 instead of growing the
//! server's memory: sixty sign-ins at once, measured in a process of their
//! own (the other tests' servers would blur the figure).

mod common;

use std::collections::BTreeMap;

use common::{PASSWORD, TestDb, staff, start_with};
use futures_util::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::json;
use steady_server::db::Role;

fn tally(statuses: &[StatusCode]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for s in statuses {
        *counts.entry(s.as_u16()).or_default() += 1;
    }
    counts
}

fn resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

/// The most the server (in this process) may grow while sixty sign-ins
/// arrive at once: the hashing cap allows one argon2 run (19 MiB) per core.
const MEMORY_BOUND_MIB: u64 = 64;

/// Sixty sign-ins at once, each from its own address (behind a trusted
/// proxy) at its own account, so no guessing limit stops them: only the
/// hashing cap does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_sign_ins_at_once_keep_memory_bounded() {
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let server = start_with(settings).await;
    let base = format!("http://{}", server.addr);
    staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;
    let http = Client::new();
    // Warm up: the dummy hash and the pools exist before measuring.
    let _ = http
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "warm@clinic.example", "password": "warming up only"}))
        .send()
        .await
        .unwrap();
    let before = resident_mib();
    let requests = (0..60).map(|i| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}/v1/session"))
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .json(&json!({"email": format!("user{i}@clinic.example"), "password": "a wrong password"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = join_all(requests).await;
    let after = resident_mib();
    let counts = tally(&statuses);
    eprintln!("60 sign-ins at once: {counts:?}; resident {before} MiB before, {after} MiB after");
    assert_eq!(
        counts.get(&401).unwrap_or(&0) + counts.get(&503).unwrap_or(&0),
        60,
        "{counts:?}"
    );
    assert!(
        after.saturating_sub(before) < MEMORY_BOUND_MIB,
        "resident memory grew from {before} to {after} MiB"
    );
    db.drop_database().await;
}
