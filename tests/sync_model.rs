//! A state-machine property test of sync: two devices of one patient and
//! their counselor, against the real server on SQLite and on PostgreSQL.
//! Random steps — new check-ins, edits of either field, deletions, messages
//! from the counselor, messages marked read — interleave with syncs in any
//! order, some of which lose their request or their answer on the way
//! (a proxy cuts the connection). After a final round of syncs every replica
//! equals the model (last write wins per field, in the order the steps ran;
//! saving a value the device already shows is no write),
//! and every id is held exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use steady_core::{ConsentTerms, ListQuery, Store, SyncClient};
use steady_model::{Body, CheckIn, CheckInDraft, Message, RecordId, Visibility};
use steady_server::testing::TestDb;
use tokio::net::TcpListener;

mod common;

use common::clinic::{Clinic, Session};
use common::proxy::{Cut, relay};

#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    /// Cut the n-th connection of the sync while its request is on the way.
    Request(usize),
    /// Cut the n-th connection of the sync while its answer is on the way.
    Response(usize),
}

#[derive(Clone, Debug)]
enum Step {
    Create {
        device: usize,
        craving: i32,
    },
    EditCraving {
        device: usize,
        pick: usize,
        craving: i32,
    },
    EditNote {
        device: usize,
        pick: usize,
        note: u8,
    },
    Delete {
        device: usize,
        pick: usize,
    },
    CounselorMessage,
    Read {
        device: usize,
        pick: usize,
    },
    Sync {
        device: usize,
        fault: Fault,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0..2usize;
    let fault = prop_oneof![
        2 => Just(Fault::None),
        1 => (0..3usize).prop_map(Fault::Request),
        1 => (0..3usize).prop_map(Fault::Response),
    ];
    prop_oneof![
        3 => (device.clone(), 0..11i32).prop_map(|(device, craving)| Step::Create { device, craving }),
        2 => (device.clone(), any::<usize>(), 0..11i32)
            .prop_map(|(device, pick, craving)| Step::EditCraving { device, pick, craving }),
        2 => (device.clone(), any::<usize>(), any::<u8>())
            .prop_map(|(device, pick, note)| Step::EditNote { device, pick, note }),
        1 => (device.clone(), any::<usize>()).prop_map(|(device, pick)| Step::Delete { device, pick }),
        1 => Just(Step::CounselorMessage),
        1 => (device.clone(), any::<usize>()).prop_map(|(device, pick)| Step::Read { device, pick }),
        4 => (device, fault).prop_map(|(device, fault)| Step::Sync { device, fault }),
    ]
}

/// What every replica must hold in the end.
#[derive(Default, Debug)]
struct Model {
    checkins: BTreeMap<RecordId, (i32, String, bool)>,
    messages: BTreeMap<String, bool>,
}

/// A proxy whose next sync can be told to lose one connection.
struct Proxy {
    addr: SocketAddr,
    /// Connections to let through before the cut; usize::MAX for none.
    cut_after: Arc<AtomicUsize>,
    /// 1 cuts the request, 2 the answer.
    cut_kind: Arc<AtomicUsize>,
}

async fn proxy(upstream: SocketAddr) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cut_after = Arc::new(AtomicUsize::new(usize::MAX));
    let cut_kind = Arc::new(AtomicUsize::new(0));
    let (after, kind) = (cut_after.clone(), cut_kind.clone());
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            // Count down to the connection that is cut; it is cut once.
            let cut = match after.load(Ordering::SeqCst) {
                usize::MAX => 0,
                0 => {
                    after.store(usize::MAX, Ordering::SeqCst);
                    kind.load(Ordering::SeqCst)
                }
                n => {
                    after.store(n - 1, Ordering::SeqCst);
                    0
                }
            };
            let cut = match cut {
                1 => Cut::Request(40),
                2 => Cut::Answer(40),
                _ => Cut::None,
            };
            tokio::spawn(relay(client, upstream, cut));
        }
    });
    Proxy {
        addr,
        cut_after,
        cut_kind,
    }
}

struct World {
    clinic: Clinic,
    proxy: Proxy,
    dana: Session,
    client: SyncClient,
}

async fn world(db: TestDb) -> World {
    let clinic = Clinic::open(db).await;
    let proxy = proxy(clinic.server.addr).await;
    let dana = clinic.sign_in().await;
    let client = SyncClient::with_http(
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
    );
    World {
        clinic,
        proxy,
        dana,
        client,
    }
}

async fn live_checkins(store: &Store) -> Vec<(RecordId, CheckIn)> {
    let query = ListQuery {
        limit: ListQuery::MAX_LIMIT,
        ..ListQuery::default()
    };
    let mut out: Vec<(RecordId, CheckIn)> = store
        .list::<CheckIn>(&query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| (e.id, e.data))
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out
}

async fn messages(store: &Store) -> Vec<(RecordId, bool)> {
    let query = ListQuery {
        limit: ListQuery::MAX_LIMIT,
        ..ListQuery::default()
    };
    let mut out: Vec<(RecordId, bool)> = store
        .list::<Message>(&query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| (e.id, e.data.read_at.is_some()))
        .collect();
    out.sort();
    out
}

/// Runs one case: a fresh patient with two fresh devices.
async fn run_case(w: &World, steps: &[Step], case: usize) {
    let patient = w.clinic.patient(&format!("Patient {case}")).await;
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://{}", w.proxy.addr);
    let mut devices = Vec::new();
    for d in 0..2 {
        let store = Store::open(&dir.path().join(format!("d{d}")), &common::store_key())
            .await
            .unwrap();
        let code = w.clinic.code(&patient.id).await;
        let consent = ConsentTerms {
            recipient: "Riverside IOP".into(),
            kinds: vec!["checkin".into()],
            purpose: "treatment".into(),
            expires_at: Utc::now() + TimeDelta::days(30),
        };
        w.client
            .pair(&store, &base, &code, consent, "d")
            .await
            .unwrap();
        devices.push(store);
    }
    let mut model = Model::default();
    for step in steps {
        // Each write lands in a later millisecond than any before it, so the
        // order of the steps is the order of the stamps.
        tokio::time::sleep(Duration::from_millis(2)).await;
        match step {
            Step::Create { device, craving } => {
                let e = devices[*device]
                    .create::<CheckIn>(CheckInDraft {
                        craving: *craving,
                        visibility: Visibility::CareTeam,
                        ..CheckInDraft::default()
                    })
                    .await
                    .unwrap();
                model
                    .checkins
                    .insert(e.id, (*craving, String::new(), false));
            }
            Step::EditCraving {
                device,
                pick,
                craving,
            } => {
                let live = live_checkins(&devices[*device]).await;
                if live.is_empty() {
                    continue;
                }
                let (id, data) = &live[pick % live.len()];
                // Saving the value the device already shows writes nothing
                // (the store stamps only fields that change), so it is not a
                // later write that should win over another device's edit.
                if i32::from(data.craving) == *craving {
                    continue;
                }
                let mut draft = data.to_draft();
                draft.craving = *craving;
                devices[*device]
                    .update::<CheckIn>(*id, draft)
                    .await
                    .unwrap();
                model.checkins.get_mut(id).unwrap().0 = *craving;
            }
            Step::EditNote { device, pick, note } => {
                let live = live_checkins(&devices[*device]).await;
                if live.is_empty() {
                    continue;
                }
                let (id, data) = &live[pick % live.len()];
                let note = format!("note {note}");
                if data.note == note {
                    continue;
                }
                let mut draft = data.to_draft();
                draft.note = note;
                devices[*device]
                    .update::<CheckIn>(*id, draft.clone())
                    .await
                    .unwrap();
                model.checkins.get_mut(id).unwrap().1 = draft.note;
            }
            Step::Delete { device, pick } => {
                let live = live_checkins(&devices[*device]).await;
                if live.is_empty() {
                    continue;
                }
                let (id, _) = &live[pick % live.len()];
                devices[*device].delete::<CheckIn>(*id).await.unwrap();
                model.checkins.get_mut(id).unwrap().2 = true;
            }
            Step::CounselorMessage => {
                let (_, r) = w
                    .dana
                    .send(
                        reqwest::Method::POST,
                        &format!("/v1/patients/{}/messages", patient.id),
                        json!({"text": "How are you today?"}),
                    )
                    .await;
                model
                    .messages
                    .insert(r["id"].as_str().unwrap().to_owned(), false);
            }
            Step::Read { device, pick } => {
                let here = messages(&devices[*device]).await;
                if here.is_empty() {
                    continue;
                }
                let (id, _) = here[pick % here.len()];
                devices[*device].mark_message_read(id).await.unwrap();
                model.messages.insert(id.to_string(), true);
            }
            Step::Sync { device, fault } => {
                match fault {
                    Fault::None => w.proxy.cut_after.store(usize::MAX, Ordering::SeqCst),
                    Fault::Request(n) | Fault::Response(n) => {
                        let kind = if matches!(fault, Fault::Request(_)) {
                            1
                        } else {
                            2
                        };
                        w.proxy.cut_kind.store(kind, Ordering::SeqCst);
                        w.proxy.cut_after.store(*n, Ordering::SeqCst);
                    }
                }
                let result = w.client.sync(&devices[*device]).await;
                if let Err(e) = &result {
                    assert!(e.is_transient(), "{e}");
                }
                w.proxy.cut_after.store(usize::MAX, Ordering::SeqCst);
            }
        }
    }

    // A final round without faults: each device sends what it has, then
    // each takes what the other sent.
    for d in [0, 1, 0] {
        w.client.sync(&devices[d]).await.unwrap();
    }

    // The server: every id once, each field as the model says.
    let held = w
        .clinic
        .any
        .records_of(&patient.id, steady_model::RecordKind::CheckIn)
        .await
        .unwrap()
        .records;
    let ids: BTreeSet<&str> = held.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), held.len(), "an id held twice");
    assert_eq!(held.len(), model.checkins.len());
    for record in &held {
        let id: RecordId = record.id.parse().unwrap();
        let (craving, note, deleted) = &model.checkins[&id];
        let body = record.fields.body(steady_model::RecordKind::CheckIn);
        assert_eq!(record.fields.is_deleted(), *deleted, "{id}");
        assert_eq!(body["craving"], json!(craving), "{id}");
        assert_eq!(body["note"], json!(note), "{id}");
    }
    let pulled = w.clinic.any.pull(&patient.id, 0, 100_000).await.unwrap();
    let pulled_ids: BTreeSet<&str> = pulled.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(pulled_ids.len(), pulled.len(), "a change listed twice");
    // Each device: the live check-ins and the messages, as the model says.
    let expected: Vec<(RecordId, i32, String)> = model
        .checkins
        .iter()
        .filter(|(_, (_, _, deleted))| !deleted)
        .map(|(id, (c, n, _))| (*id, *c, n.clone()))
        .collect();
    let expected_messages: Vec<(String, bool)> = model
        .messages
        .iter()
        .map(|(id, read)| (id.clone(), *read))
        .collect();
    for device in &devices {
        let live: Vec<(RecordId, i32, String)> = live_checkins(device)
            .await
            .into_iter()
            .map(|(id, c)| (id, c.craving.into(), c.note))
            .collect();
        assert_eq!(live, expected);
        let here: Vec<(String, bool)> = messages(device)
            .await
            .into_iter()
            .map(|(id, read)| (id.to_string(), read))
            .collect();
        assert_eq!(here, expected_messages);
        let pending = device.sync_status().await.unwrap().pending;
        if pending != 0 {
            let pool = sqlx::SqlitePool::connect_with(steady_core::Store::encrypted_options(
                device.path(),
                &common::store_key(),
            ))
            .await
            .unwrap();
            let rows: Vec<(String, String, Option<String>, String, String)> = sqlx::query_as(
                "SELECT id, kind, pushed, updated, stamps FROM records WHERE visibility = 'care_team' AND (pushed IS NULL OR pushed <> updated)",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let log = device.sync_log().await.unwrap();
            panic!("{pending} pending: {rows:?}\nlog: {log:?}");
        }
    }
    for device in devices {
        device.close().await;
    }
}

fn property(db: fn() -> TestDb) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = db();
    let w = rt.block_on(world(db));
    let cases = std::env::var("STEADY_SYNC_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(16);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let case = AtomicUsize::new(0);
    runner
        .run(&proptest::collection::vec(step(), 1..40), |steps| {
            let n = case.fetch_add(1, Ordering::SeqCst);
            rt.block_on(run_case(&w, &steps, n));
            Ok(())
        })
        .unwrap();
    rt.block_on(async move {
        w.clinic.close().await;
    });
}

#[test]
fn replicas_converge_to_the_model_on_sqlite() {
    property(|| futures_lite_block(TestDb::sqlite()));
}

#[test]
fn replicas_converge_to_the_model_on_postgres() {
    property(|| futures_lite_block(TestDb::postgres()));
}

/// Makes a TestDb outside the test's runtime.
fn futures_lite_block(f: impl std::future::Future<Output = TestDb>) -> TestDb {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
