//! `cargo xtask bench`: sync against the real server on loopback, on SQLite
//! and (when `STEADY_TEST_POSTGRES_URL` names one) on PostgreSQL. Each figure
//! is printed beside a baseline measured in the same run.
//!
//! 1. First sync of a heavy year: a new device pulls 20,000 records. Target
//!    under 2 s; the baseline is fetching the same pages and discarding them.
//! 2. Server ingest: 20,000 records pushed 500 at a time, against a bare
//!    batched INSERT of the same rows into the same database. Target: at
//!    least half the bare rate.
//! 3. Devices syncing once a minute (a new check-in pushed, then a pull),
//!    simulated at the protocol level at 100 and 1,000 devices and upwards
//!    until p99 passes 100 ms or a sync fails: p50, p99, errors, and the
//!    capacity (most devices that held). The baseline is a /healthz round trip.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use steady_core::{ConsentTerms, Store, SyncClient};
use steady_model::protocol::{PushResponse, PushStatus};
use steady_model::{Body, CheckIn, CheckInDraft, Visibility};
use steady_server::testing::{TestDb, pairing_code};

// The one "start a clinic" fixture the tests use too (the bench needs
// only part of it).
#[allow(dead_code)]
#[path = "../tests/common/clinic.rs"]
mod clinic;

use clinic::Clinic;

const HEAVY_YEAR: usize = 20_000;
const BATCH: usize = 500;

fn consent() -> ConsentTerms {
    ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: vec!["checkin".into()],
        purpose: "treatment".into(),
        expires_at: Utc::now() + TimeDelta::days(30),
    }
}

fn stamp(ms: u64, counter: u32, node: u64) -> String {
    format!("{ms:015}-{counter:010}-{node:016x}")
}

/// A valid check-in on the wire, every field stamped.
fn wire_checkin(i: usize, ms: u64, node: u64) -> Value {
    let at = Utc::now().fixed_offset() - TimeDelta::minutes(i as i64);
    let checkin = CheckIn::from_draft(
        CheckInDraft {
            at: Some(at),
            craving: (i % 11) as i32,
            note: "Rode it out after about twenty minutes; the walk helped.".into(),
            coping: vec!["urge surfing".into(), "called my sponsor".into()],
            visibility: Visibility::CareTeam,
            ..CheckInDraft::default()
        },
        at,
    )
    .unwrap();
    let Value::Object(body) = serde_json::to_value(checkin).unwrap() else {
        unreachable!()
    };
    let s = stamp(ms, i as u32, node);
    let fields: serde_json::Map<String, Value> = body
        .into_iter()
        .map(|(k, v)| (k, json!({"value": v, "stamp": s})))
        .collect();
    json!({"id": uuid::Uuid::now_v7().to_string(), "kind": "checkin", "fields": fields})
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A paired device token for a new patient, straight over the protocol.
async fn device(c: &Clinic, http: &reqwest::Client) -> (String, String) {
    let patient = c.any.create_patient(&c.counselor, "P").await.unwrap();
    let code = pairing_code(&c.db, &c.counselor, &patient.id).await;
    let r: Value = http
        .post(format!("{}/v1/pair", c.base))
        .json(&json!({"code": code, "consent": consent()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (r["token"].as_str().unwrap().to_owned(), patient.id)
}

/// Sends one push whose body is already encoded, as a device would have it
/// ready, and reads the answer as the app does (the protocol's type); the
/// server's work is what the ingest figure measures.
async fn push(http: &reqwest::Client, base: &str, token: &str, body: Vec<u8>) {
    let r = http
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let answer: PushResponse = r.json().await.unwrap();
    assert!(
        answer
            .results
            .iter()
            .all(|r| r.status == PushStatus::Applied),
        "{answer:?}"
    );
}

/// Rounds of the ingest comparison. Each round times the ingest and its
/// bare baseline back to back, so the figure is the round with the median
/// ratio: a slow or fast moment of the machine affects both sides of it,
/// and with five rounds two such moments cannot move the median.
const ROUNDS: usize = 5;

/// The (ingest, bare) pair whose ratio is the median of the rounds'.
fn median_round(mut rounds: Vec<(Duration, Duration)>) -> (Duration, Duration) {
    rounds.sort_by(|a, b| {
        let ratio =
            |(ingest, bare): &(Duration, Duration)| bare.as_secs_f64() / ingest.as_secs_f64();
        ratio(a).total_cmp(&ratio(b))
    });
    rounds[rounds.len() / 2]
}

/// "ingest time (rate) against the bare time (rate): ratio of the rates".
fn against_bare(ingest: Duration, bare: Duration) -> String {
    let rate = |d: Duration| HEAVY_YEAR as f64 / d.as_secs_f64();
    format!(
        "{} ({:.0}/s) against a bare batched INSERT {} ({:.0}/s): ingest rate = {:.2}x bare",
        ms(ingest),
        rate(ingest),
        ms(bare),
        rate(bare),
        bare.as_secs_f64() / ingest.as_secs_f64()
    )
}

/// 1 and 2: ingest against a bare insert, then a new device's first sync.
async fn ingest_and_first_sync(c: &Clinic, backend: &str) {
    let http = reqwest::Client::new();
    let mut rounds = Vec::new();
    let mut first = None;
    for round in 1..=ROUNDS {
        let (token, patient_id) = device(c, &http).await;
        let now = Utc::now().timestamp_millis() as u64 - 60_000;
        let records: Vec<Value> = (0..HEAVY_YEAR).map(|i| wire_checkin(i, now, 7)).collect();
        // Both sides start from their input ready: the pushes' bodies as a
        // device would send them, and the bare rows as stored text (the
        // same fields, already merged), with ids of their own.
        let bodies: Vec<Vec<u8>> = records
            .chunks(BATCH)
            .map(|batch| serde_json::to_vec(&json!({ "records": batch })).unwrap())
            .collect();
        let rows: Vec<(String, String)> = records
            .iter()
            .map(|r| (uuid::Uuid::now_v7().to_string(), r["fields"].to_string()))
            .collect();
        drop(records);

        let started = Instant::now();
        for body in bodies {
            push(&http, &c.base, &token, body).await;
        }
        let ingest = started.elapsed();
        let bare_patient = c.any.create_patient(&c.counselor, "bare").await.unwrap();
        let bare = bare_insert(c.db.url(), &bare_patient.id, &rows).await;
        println!(
            "[{backend}] round {round}: ingest of {HEAVY_YEAR} records by push ({BATCH} a request) {}",
            against_bare(ingest, bare)
        );
        rounds.push((ingest, bare));
        first.get_or_insert((token, patient_id));
    }
    let (ingest, bare) = median_round(rounds);
    println!(
        "[{backend}] ingest, the round with the median ratio of {ROUNDS}: {} (target >= 0.5x)",
        against_bare(ingest, bare)
    );
    let (token, patient_id) = first.expect("at least one round");

    // Baseline for the first sync: the same pages fetched and discarded.
    let started = Instant::now();
    let mut after = 0i64;
    let mut fetched = 0;
    loop {
        let page: Value = http
            .get(format!("{}/v1/sync/pull?after={after}&limit=500", c.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        fetched += page["records"].as_array().unwrap().len();
        after = page["cursor"].as_i64().unwrap();
        if page["more"] != json!(true) {
            break;
        }
    }
    let fetch_only = started.elapsed();
    assert_eq!(fetched, HEAVY_YEAR);

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &steady_core::StoreKey::random())
        .await
        .unwrap();
    let client = SyncClient::new();
    let code = pairing_code(&c.db, &c.counselor, &patient_id).await;
    client
        .pair(&store, &c.base, &code, consent(), "bench")
        .await
        .unwrap();
    let started = Instant::now();
    let report = client.sync(&store).await.unwrap();
    let first_sync = started.elapsed();
    assert_eq!(report.pulled as usize, HEAVY_YEAR);
    println!(
        "[{backend}] first sync of {HEAVY_YEAR} records into a new device: {} (target < 2 s, aim 0.5 s); fetching the same pages only: {}; ratio {:.2}x",
        ms(first_sync),
        ms(fetch_only),
        first_sync.as_secs_f64() / fetch_only.as_secs_f64()
    );
    store.close().await;
}

async fn bare_insert(url: &str, patient_id: &str, rows: &[(String, String)]) -> Duration {
    let mut change = 0i64;
    let numbered = url.starts_with("postgres");
    macro_rules! insert_all {
        ($pool:expr) => {{
            let started = Instant::now();
            for chunk in rows.chunks(BATCH) {
                let mut tx = $pool.begin().await.unwrap();
                let sql = steady_server::db::write_sql(
                    chunk.len(),
                    numbered,
                    steady_server::db::Conflict::Fail,
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, fields) in chunk {
                    change += 1;
                    q = q
                        .bind(patient_id)
                        .bind(id)
                        .bind("checkin")
                        .bind(fields)
                        .bind(change);
                }
                q.execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
            }
            started.elapsed()
        }};
    }
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let took = insert_all!(pool);
        pool.close().await;
        took
    } else {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(
            options
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full),
        )
        .await
        .unwrap();
        let took = insert_all!(pool);
        pool.close().await;
        took
    }
}

/// 3: `n` devices, each syncing once a minute at its own second, for
/// `window` of that minute; answers p50, p99 and errors.
async fn devices(
    c: &Clinic,
    tokens: &[String],
    window: Duration,
) -> (Duration, Duration, usize, usize) {
    let n = tokens.len();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(n)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // Devices that would sync within the window, each at its offset in the minute.
    let due: Vec<(Duration, &String)> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (Duration::from_secs_f64(60.0 * i as f64 / n as f64), t))
        .filter(|(at, _)| *at < window)
        .collect();
    let errors = Arc::new(AtomicUsize::new(0));
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for (i, (at, token)) in due.into_iter().enumerate() {
        let (http, base, token, errors) =
            (http.clone(), c.base.clone(), token.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(started + at).await;
            let now = Utc::now().timestamp_millis() as u64;
            let record = wire_checkin(i, now, 9);
            let t = Instant::now();
            let pushed = http
                .post(format!("{base}/v1/sync/push"))
                .bearer_auth(&token)
                .json(&json!({ "records": [record] }))
                .send()
                .await;
            let ok = match pushed {
                Ok(r) if r.status().is_success() => {
                    let pulled = http
                        .get(format!("{base}/v1/sync/pull?after=0&limit=500"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    match pulled {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    }
                }
                _ => false,
            };
            if !ok {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            t.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    let syncs = latencies.len();
    (
        pct(latencies.clone(), 0.5),
        pct(latencies, 0.99),
        errors.load(Ordering::Relaxed),
        syncs,
    )
}

async fn healthz(c: &Clinic) -> Duration {
    let http = reqwest::Client::new();
    let mut samples = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        http.get(format!("{}/healthz", c.base))
            .send()
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    pct(samples, 0.5)
}

async fn device_load(c: &Clinic, backend: &str) {
    let base = healthz(c).await;
    println!("[{backend}] baseline: GET /healthz p50 {}", ms(base));
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    let window = Duration::from_secs(15);
    let mut capacity = 0;
    for n in [100usize, 1_000, 2_000, 5_000, 10_000] {
        while tokens.len() < n {
            tokens.push(device(c, &http).await.0);
        }
        let (p50, p99, errors, syncs) = devices(c, &tokens[..n], window).await;
        println!(
            "[{backend}] {n} devices syncing once a minute ({syncs} syncs in the first {} s): p50 {} ({:.1}x healthz), p99 {} (target < 100 ms), errors {errors}",
            window.as_secs(),
            ms(p50),
            p50.as_secs_f64() / base.as_secs_f64(),
            ms(p99),
        );
        if p99 < Duration::from_millis(100) && errors == 0 {
            capacity = n;
        } else {
            break;
        }
    }
    println!(
        "[{backend}] capacity: {capacity} devices held p99 < 100 ms with no errors (largest level tried: 10,000)"
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut backends = vec![("sqlite", TestDb::sqlite().await)];
        if std::env::var_os("STEADY_TEST_POSTGRES_URL").is_some_and(|u| !u.is_empty()) {
            backends.push(("postgres", TestDb::postgres().await));
        }
        for (name, db) in backends {
            let c = Clinic::open(db).await;
            ingest_and_first_sync(&c, name).await;
            // STEADY_BENCH_DEVICES=0 skips the device levels (for profiling).
            if std::env::var("STEADY_BENCH_DEVICES").as_deref() != Ok("0") {
                device_load(&c, name).await;
            }
            c.close().await;
        }
    });
}
