//! The sync loop against the real server: it syncs on start, once after a
//! burst of changes, backs off with growing waits while the server is out of
//! reach (showing why, with the change still pending), and catches up when
//! it is back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use steady_core::{ConsentTerms, Store, SyncClient, SyncRunner, SyncStatus, Timing};
use steady_model::{CheckIn, CheckInDraft, Visibility};
use steady_server::testing::TestDb;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

mod common;

use common::clinic::Clinic;

/// A proxy that can be switched off: while off it drops every connection,
/// new and open, as a network gone away would.
async fn switchable_proxy(upstream: SocketAddr) -> (SocketAddr, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (up_tx, up_rx) = watch::channel(true);
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let mut up = up_rx.clone();
            tokio::spawn(async move {
                if !*up.borrow() {
                    return;
                }
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    _ = up.wait_for(|up| !*up) => {}
                }
            });
        }
    });
    (addr, up_tx)
}

async fn next_status(rx: &mut mpsc::UnboundedReceiver<SyncStatus>) -> SyncStatus {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a sync within 10 s")
        .unwrap()
}

fn entry() -> CheckInDraft {
    CheckInDraft {
        craving: 4,
        visibility: Visibility::CareTeam,
        ..CheckInDraft::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_on_start_after_changes_and_backs_off_while_offline() {
    let clinic = Clinic::open(TestDb::sqlite().await).await;
    let (proxy, switch) = switchable_proxy(clinic.server.addr).await;
    let any = &clinic.any;
    let patient = clinic.patient("Ana R.").await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), &common::store_key()).await.unwrap());
    store.create::<CheckIn>(entry()).await.unwrap();
    let client = SyncClient::new();
    let code = clinic.code(&patient.id).await;
    let consent = ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "My treatment".into(),
        expires_at: Utc::now() + TimeDelta::days(30),
    };
    client
        .pair(&store, &format!("http://{proxy}"), &code, consent, "phone")
        .await
        .unwrap();

    let (tx, mut rx) = mpsc::unbounded_channel();
    let timing = Timing {
        debounce: Duration::from_millis(150),
        period: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(200),
        backoff_cap: Duration::from_millis(1600),
    };
    let runner = SyncRunner::start(store.clone(), client, timing, move |s| {
        let _ = tx.send(s);
    });

    // On start.
    let status = next_status(&mut rx).await;
    assert_eq!(status.pending, 0);
    assert!(status.log.last_success.is_some());
    assert_eq!(
        any.records_of(&patient.id, steady_model::RecordKind::CheckIn)
            .await
            .unwrap()
            .records
            .len(),
        1
    );

    // A burst of three changes is one sync, after the debounce.
    for _ in 0..3 {
        store.create::<CheckIn>(entry()).await.unwrap();
    }
    let status = next_status(&mut rx).await;
    assert_eq!(status.pending, 0);
    assert_eq!(
        any.records_of(&patient.id, steady_model::RecordKind::CheckIn)
            .await
            .unwrap()
            .records
            .len(),
        4
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(600), rx.recv())
            .await
            .is_err(),
        "one sync for the burst, then quiet"
    );

    // Offline: failures come with growing waits; the change stays pending.
    switch.send(false).unwrap();
    store.create::<CheckIn>(entry()).await.unwrap();
    let mut attempts = Vec::new();
    for _ in 0..4 {
        let status = next_status(&mut rx).await;
        assert_eq!(status.pending, 1);
        let error = status.log.last_error.clone().unwrap();
        assert!(error.contains("could not reach"), "{error}");
        attempts.push(status.log.last_attempt.unwrap());
    }
    let gaps: Vec<i64> = attempts
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds())
        .collect();
    // Waits are drawn from the upper half of 200, 400 and 800 ms (plus the
    // time an attempt takes): each inside its window, so they grow.
    println!("waits between failed attempts: {gaps:?} ms");
    for (i, gap) in gaps.iter().enumerate() {
        let ceiling = 200 << i;
        assert!(
            (ceiling / 2 - 10..=ceiling + 250).contains(gap),
            "wait {i} was {gap} ms, outside {}..{ceiling} ms: {gaps:?}",
            ceiling / 2
        );
    }
    assert!(gaps[2] > gaps[0], "{gaps:?}");

    // Back online: the next retry catches up.
    switch.send(true).unwrap();
    let status = loop {
        let s = next_status(&mut rx).await;
        if s.log.last_error.is_none() {
            break s;
        }
    };
    assert_eq!(status.pending, 0);
    assert_eq!(
        any.records_of(&patient.id, steady_model::RecordKind::CheckIn)
            .await
            .unwrap()
            .records
            .len(),
        5
    );
    runner.stop();
    clinic.close().await;
}
