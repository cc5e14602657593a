//! `cargo xtask bench`: the store's speed, each figure beside a baseline
//! measured in the same run on the same disk.
//!
//! 1. Saving a check-in through `Store::create` (validation, clock stamps,
//!    durable commit) on the encrypted store against a bare sqlx INSERT of
//!    the same row into a SQLCipher file with the same key and pragmas
//!    (target: at most 1.5x); the same on a plain store, and the two stores
//!    side by side for the cost of encryption.
//! 2. Opening the store with its key from the credential store.
//! 3. Loading a week view from a year (3,000) and from five years (50,000)
//!    of check-ins.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Local, TimeDelta, TimeZone};
use sqlx::sqlite::SqlitePoolOptions;
use steady_core::keys::KeyStore;
use steady_core::{Keychain, ListQuery, Store, StoreKey, connect_options, vault};
use steady_model::{CheckIn, CheckInDraft, Halt, Visibility};

const SAVE_SAMPLES: usize = 400;
const VIEW_SAMPLES: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        save_vs_bare_insert().await;
        open_store().await;
        week_views().await;
    });
}

fn draft(at: Option<DateTime<FixedOffset>>, i: usize) -> CheckInDraft {
    CheckInDraft {
        at,
        craving: (i % 11) as i32,
        mood: Some((i % 11) as i32 - 5),
        emotions: vec!["restless".into()],
        halt: Halt {
            tired: i.is_multiple_of(2),
            ..Halt::default()
        },
        substances: vec!["alcohol".into()],
        trigger_ids: vec![],
        place: "home".into(),
        company: "alone".into(),
        coping: vec!["urge surfing".into(), "called my sponsor".into()],
        outcome: Some("resisted".into()),
        note: "Rode it out after about twenty minutes; the walk helped.".into(),
        visibility: Visibility::CareTeam,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// One store and its bare baseline: the same file settings, one connection.
struct Pair {
    store: Store,
    bare: sqlx::SqlitePool,
    saves: Vec<Duration>,
    bares: Vec<Duration>,
}

impl Pair {
    /// `schema` is a store opened on the baseline's file, so the baseline
    /// has the store's own tables; `options` opens that file bare (with the
    /// key for the encrypted pair).
    async fn new(store: Store, schema: Store, options: sqlx::sqlite::SqliteConnectOptions) -> Self {
        schema.close().await;
        let bare = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("bare pool");
        Self {
            store,
            bare,
            saves: Vec::with_capacity(SAVE_SAMPLES),
            bares: Vec::with_capacity(SAVE_SAMPLES),
        }
    }

    /// Saves one check-in through the store and inserts the same row bare.
    async fn sample(&mut self, i: usize, row: &Row, keep: bool) {
        let t = Instant::now();
        self.store
            .create::<CheckIn>(draft(None, i))
            .await
            .expect("save");
        let core_time = t.elapsed();
        let t = Instant::now();
        sqlx::query(
            "INSERT INTO records (id, kind, at_ms, visibility, body, stamps, updated)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid_v7_text(i))
        .bind(&row.0)
        .bind(row.1)
        .bind(&row.2)
        .bind(&row.3)
        .bind(&row.4)
        .bind("000000000000000-0000000000-0000000000000000")
        .execute(&self.bare)
        .await
        .expect("bare insert");
        let plain_time = t.elapsed();
        if keep {
            self.saves.push(core_time);
            self.bares.push(plain_time);
        }
    }
}

type Row = (String, i64, String, String, String);

/// Saving a check-in on the encrypted store against a bare insert into a
/// SQLCipher file with the same key and pragmas, and on a plain store
/// against a bare plain insert; the two stores side by side give the cost
/// of encryption. The four run in turn, so disk and CPU drift hit all.
async fn save_vs_bare_insert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = StoreKey::random();
    let encrypted = Store::open(&dir.path().join("store"), &key)
        .await
        .expect("store");
    let sample = encrypted
        .create::<CheckIn>(draft(None, 0))
        .await
        .expect("sample");
    let row: Row =
        sqlx::query_as("SELECT kind, at_ms, visibility, body, stamps FROM records WHERE id = ?")
            .bind(sample.id.to_string())
            .fetch_one(
                &sqlx::SqlitePool::connect_with(Store::encrypted_options(encrypted.path(), &key))
                    .await
                    .unwrap(),
            )
            .await
            .expect("sample row");
    let bare_encrypted = dir.path().join("bare-encrypted.db");
    let schema = Store::open_file(&bare_encrypted, &key)
        .await
        .expect("schema");
    let options = Store::encrypted_options(&bare_encrypted, &key);
    let mut encrypted = Pair::new(encrypted, schema, options).await;
    let plain_store = Store::open_unencrypted(&dir.path().join("plain.db"))
        .await
        .expect("plain store");
    let bare_plain = dir.path().join("bare-plain.db");
    let schema = Store::open_unencrypted(&bare_plain).await.expect("schema");
    let mut plain = Pair::new(plain_store, schema, connect_options(&bare_plain)).await;

    for i in 0..SAVE_SAMPLES + 20 {
        encrypted.sample(i, &row, i >= 20).await;
        plain.sample(i, &row, i >= 20).await;
    }
    println!(
        "save a check-in, durable commit (WAL, synchronous=FULL), {SAVE_SAMPLES} samples each"
    );
    let enc_core = median(encrypted.saves.clone());
    let enc_bare = median(encrypted.bares.clone());
    let plain_core = median(plain.saves.clone());
    let plain_bare = median(plain.bares.clone());
    println!(
        "  encrypted store (SQLCipher, AES-256): Store::create median {}",
        ms(enc_core)
    );
    println!(
        "  bare sqlx INSERT into a SQLCipher file (baseline) median {}",
        ms(enc_bare)
    );
    println!(
        "  ratio                       {:.2}x (target at most 1.5x)",
        enc_core.as_secs_f64() / enc_bare.as_secs_f64()
    );
    println!(
        "  plain store (before encryption): Store::create median {}",
        ms(plain_core)
    );
    println!(
        "  bare sqlx INSERT into a plain file (baseline)   median {}",
        ms(plain_bare)
    );
    println!(
        "  ratio                       {:.2}x",
        plain_core.as_secs_f64() / plain_bare.as_secs_f64()
    );
    println!(
        "  encryption's cost: encrypted store / plain store {:.2}x, bare SQLCipher / bare SQLite {:.2}x",
        enc_core.as_secs_f64() / plain_core.as_secs_f64(),
        enc_bare.as_secs_f64() / plain_bare.as_secs_f64()
    );
    for pair in [encrypted, plain] {
        pair.store.close().await;
        pair.bare.close().await;
    }
}

/// Opening the store as the app does: the key from the platform's
/// credential store (GNOME Keyring on `cargo xtask bench`'s own D-Bus
/// session), SQLCipher's key check, the migrations checked, the clock read.
async fn open_store() {
    const OPENS: usize = 30;
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = match Keychain::for_dir(dir.path()) {
        Ok(keys) => keys,
        Err(e) => {
            println!("open the store: not measured, no credential store here ({e})");
            return;
        }
    };
    let store = vault::open(dir.path(), &keys).await.expect("first open");
    let drafts: Vec<CheckInDraft> = (0..3_000).map(|i| draft(None, i)).collect();
    store.create_all::<CheckIn>(drafts).await.expect("fill");
    store.close().await;
    let mut whole = Vec::with_capacity(OPENS);
    let mut key_only = Vec::with_capacity(OPENS);
    for _ in 0..OPENS {
        let t = Instant::now();
        let key = keys.load().expect("keyring").expect("a key");
        key_only.push(t.elapsed());
        drop(key);
        let t = Instant::now();
        let store = vault::open(dir.path(), &keys).await.expect("open");
        whole.push(t.elapsed());
        store.close().await;
    }
    keys.delete().expect("forget the key");
    println!("open the store (3,000 check-ins), {OPENS} samples");
    println!(
        "  key from the credential store, SQLCipher, migrations checked: median {}",
        ms(median(whole))
    );
    println!(
        "  of which the key from the credential store: median {}",
        ms(median(key_only))
    );
}

/// Distinct ids for the baseline rows, in the same text form as the store's.
fn uuid_v7_text(i: usize) -> String {
    format!("01900000-0000-7000-8000-{i:012x}")
}

async fn week_views() {
    println!("week view: one week's check-ins, newest first, {VIEW_SAMPLES} samples each");
    let mut medians = Vec::new();
    for (label, years, count) in [("1 year ", 1, 3_000usize), ("5 years", 5, 50_000)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), &StoreKey::random())
            .await
            .expect("store");
        let end = Local::now().fixed_offset() - TimeDelta::hours(1);
        let span = TimeDelta::days(365 * years);
        let step = span / count as i32;
        let start = end - span;
        let drafts: Vec<CheckInDraft> = (0..count)
            .map(|i| draft(Some(start + step * i as i32), i))
            .collect();
        for chunk in drafts.chunks(5_000) {
            store
                .create_all::<CheckIn>(chunk.to_vec())
                .await
                .expect("fill");
        }
        // A week in the middle of the data.
        let mid = start + span / 2;
        let from = Local
            .from_local_datetime(&mid.date_naive().and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .to_utc();
        let query = ListQuery {
            limit: ListQuery::MAX_LIMIT,
            ..ListQuery::between(from, from + TimeDelta::days(7))
        };
        let mut samples = Vec::with_capacity(VIEW_SAMPLES);
        let mut shown = 0;
        for _ in 0..VIEW_SAMPLES {
            let t = Instant::now();
            let page = store.list::<CheckIn>(&query).await.expect("week");
            samples.push(t.elapsed());
            shown = page.items.len();
        }
        let m = median(samples);
        println!(
            "  {label} ({count:>6} check-ins): median {} for {shown} check-ins",
            ms(m)
        );
        medians.push(m);
        store.close().await;
    }
    println!(
        "  5 years / 1 year             {:.2}x (the week holds more entries in the denser log)",
        medians[1].as_secs_f64() / medians[0].as_secs_f64()
    );
}
