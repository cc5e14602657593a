//! Exactly once through a bad network: two devices of one patient log 120
//! check-ins each and sync after every one through a TCP proxy that cuts
//! about one connection in five — half of those while the request is on its
//! way, half while the answer is — and retry until each sync goes through.
//! Afterwards the server holds all 240 check-ins once each, and each device
//! holds all 240. On SQLite and on PostgreSQL.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use steady_core::{ConsentTerms, ListQuery, Store, SyncClient};
use steady_model::{CheckIn, CheckInDraft, Visibility};
use steady_server::testing::TestDb;
use tokio::net::TcpListener;

mod common;

use common::clinic::Clinic;
use common::proxy::{Cut, relay};

const PER_DEVICE: usize = 120;

#[derive(Default)]
struct Counts {
    faulty: std::sync::atomic::AtomicBool,
    connections: AtomicUsize,
    cut_requests: AtomicUsize,
    cut_responses: AtomicUsize,
}

/// A proxy to `upstream` on 127.0.0.1:0 that, once `counts.faulty` is set,
/// cuts one connection in ten while the request is on its way and one in ten
/// while the answer is, each after a random number of bytes (fewer than any
/// request or answer of the protocol has).
async fn faulty_proxy(upstream: SocketAddr, counts: Arc<Counts>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let fate = if counts.faulty.load(Ordering::Relaxed) {
                counts.connections.fetch_add(1, Ordering::Relaxed);
                rng.u32(0..10)
            } else {
                9
            };
            let budget = rng.usize(1..100);
            let counts = counts.clone();
            tokio::spawn(async move {
                let cut = match fate {
                    0 => Cut::Request(budget),
                    1 => Cut::Answer(budget),
                    _ => Cut::None,
                };
                if relay(client, upstream, cut).await {
                    let counter = match cut {
                        Cut::Request(_) => &counts.cut_requests,
                        _ => &counts.cut_responses,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    addr
}

fn consent() -> ConsentTerms {
    ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "My treatment".into(),
        expires_at: Utc::now() + TimeDelta::days(30),
    }
}

/// Syncs until a sync goes through; every failure must be one a retry cures.
async fn sync_until_done(client: &SyncClient, store: &Store) -> usize {
    for attempt in 0..200 {
        match client.sync(store).await {
            Ok(_) => return attempt,
            Err(e) => {
                assert!(
                    e.is_transient(),
                    "a cut connection must be retried, not: {e}"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
    panic!("200 attempts in a row failed");
}

async fn device_run(client: SyncClient, store: Arc<Store>, device: usize) -> usize {
    let mut retries = 0;
    for n in 0..PER_DEVICE {
        store
            .create::<CheckIn>(CheckInDraft {
                craving: (n % 11) as i32,
                note: format!("device {device} entry {n}"),
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            })
            .await
            .unwrap();
        retries += sync_until_done(&client, &store).await;
    }
    retries
}

async fn all_checkins(store: &Store) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut query = ListQuery {
        limit: ListQuery::MAX_LIMIT,
        ..ListQuery::default()
    };
    loop {
        let page = store.list::<CheckIn>(&query).await.unwrap();
        ids.extend(page.items.iter().map(|e| e.id.to_string()));
        match page.next {
            Some(next) => query.after = Some(next),
            None => return ids,
        }
    }
}

async fn story(db: TestDb) {
    // Every cut connection is a push again: the rate limit is not under test.
    let mut settings = db.settings();
    settings.pushes_per_minute = 100_000;
    let clinic = Clinic::open_with(db, settings).await;
    let counts = Arc::new(Counts::default());
    let proxy = faulty_proxy(clinic.server.addr, counts.clone()).await;
    let base = format!("http://{proxy}");
    let patient = clinic.patient("Ana R.").await;
    let dir = tempfile::tempdir().unwrap();
    // One connection per request, so the proxy's fate falls on each request.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let client = SyncClient::with_http(http);
    let mut stores = Vec::new();
    for device in 0..2 {
        let store = Arc::new(
            Store::open(&dir.path().join(format!("d{device}")), &common::store_key())
                .await
                .unwrap(),
        );
        let code = clinic.code(&patient.id).await;
        // Pairing while the proxy behaves: an answer cut there would burn
        // the single-use code, and the patient would ask for a new one.
        client
            .pair(&store, &base, &code, consent(), "device")
            .await
            .unwrap();
        stores.push(store);
    }
    counts.faulty.store(true, Ordering::Relaxed);
    let runs = stores
        .iter()
        .enumerate()
        .map(|(device, store)| tokio::spawn(device_run(client.clone(), store.clone(), device)))
        .collect::<Vec<_>>();
    let mut retries = 0;
    for run in runs {
        retries += run.await.unwrap();
    }
    for store in &stores {
        sync_until_done(&client, store).await;
    }

    let connections = counts.connections.load(Ordering::Relaxed);
    let cut_requests = counts.cut_requests.load(Ordering::Relaxed);
    let cut_responses = counts.cut_responses.load(Ordering::Relaxed);
    println!(
        "{connections} connections: {cut_requests} cut mid-request, {cut_responses} cut mid-response; {retries} syncs retried"
    );
    assert!(connections >= 4 * PER_DEVICE, "{connections}");
    let cut_share = (cut_requests + cut_responses) as f64 / connections as f64;
    assert!(
        (0.12..0.28).contains(&cut_share),
        "cut {cut_share:.2} of connections"
    );
    assert!(cut_requests > 20 && cut_responses > 20);

    // The server holds each check-in once: one row per id, 240 rows.
    let held = clinic
        .any
        .records_of(&patient.id, steady_model::RecordKind::CheckIn)
        .await
        .unwrap()
        .records;
    let server_ids: BTreeSet<String> = held.iter().map(|r| r.id.clone()).collect();
    assert_eq!(held.len(), 2 * PER_DEVICE);
    assert_eq!(server_ids.len(), 2 * PER_DEVICE);
    // The change log has no duplicates either: every pulled change is unique.
    let pulled = clinic.any.pull(&patient.id, 0, 10_000).await.unwrap();
    assert_eq!(pulled.len(), 2 * PER_DEVICE);
    for store in &stores {
        assert_eq!(all_checkins(store).await, server_ids);
        assert_eq!(store.sync_status().await.unwrap().pending, 0);
    }
    for store in &stores {
        store.close().await;
    }
    clinic.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checkin_arrives_exactly_once_through_cut_connections_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checkin_arrives_exactly_once_through_cut_connections_on_postgres() {
    story(TestDb::postgres().await).await;
}

/// A server that says "too many" is waited for, not a failure the patient
/// must act on: the app reads Retry-After and tries again later.
#[tokio::test]
async fn a_rate_limited_push_waits_as_the_server_asks() {
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.pushes_per_minute = 1;
    let clinic = Clinic::open_with(db, settings).await;
    let patient = clinic.patient("Ana R.").await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::store_key()).await.unwrap();
    let client = SyncClient::new();
    let code = clinic.code(&patient.id).await;
    client
        .pair(&store, &clinic.base, &code, consent(), "phone")
        .await
        .unwrap();
    for n in 0..2 {
        store
            .create::<CheckIn>(CheckInDraft {
                craving: n,
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            })
            .await
            .unwrap();
        let synced = client.sync(&store).await;
        if n == 0 {
            synced.unwrap();
            continue;
        }
        let e = synced.unwrap_err();
        assert!(e.is_transient(), "{e}");
        let steady_core::SyncError::Busy(seconds) = e else {
            panic!("not read as busy: {e}")
        };
        assert!((1..=60).contains(&seconds), "{seconds}");
    }
}
