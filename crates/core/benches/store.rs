//! `cargo xtask bench`: the store's speed, each figure beside a baseline
//! measured in the same run on the same disk.
//!
//! 1. Saving a check-in through `Store::create` (validation, clock stamps,
//!    durable commit) against a bare sqlx INSERT of the same row into the
//!    same table with the same pragmas. Target: at most 1.5x.
//! 2. Loading a week view from a year (3,000) and from five years (50,000)
//!    of check-ins.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Local, TimeDelta, TimeZone};
use sqlx::sqlite::SqlitePoolOptions;
use steady_core::{ListQuery, Store, connect_options};
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

async fn save_vs_bare_insert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store")).await.expect("store");

    // The baseline: the same schema, pragmas and one-connection pool, and a
    // plain INSERT of a row the store itself produced, with fresh ids.
    let bare_path = dir.path().join("bare.db");
    let bare_store = Store::open_file(&bare_path).await.expect("bare schema");
    bare_store.close().await;
    let bare = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(connect_options(&bare_path))
        .await
        .expect("bare pool");
    let sample = store
        .create::<CheckIn>(draft(None, 0))
        .await
        .expect("sample");
    let row: (String, i64, String, String, String) =
        sqlx::query_as("SELECT kind, at_ms, visibility, body, stamps FROM records WHERE id = ?")
            .bind(sample.id.to_string())
            .fetch_one(
                &sqlx::SqlitePool::connect_with(connect_options(store.path()))
                    .await
                    .unwrap(),
            )
            .await
            .expect("sample row");

    // Warm both paths, then alternate them so disk and CPU drift hit both.
    let mut core = Vec::with_capacity(SAVE_SAMPLES);
    let mut plain = Vec::with_capacity(SAVE_SAMPLES);
    for i in 0..SAVE_SAMPLES + 20 {
        let d = draft(None, i);
        let t = Instant::now();
        store.create::<CheckIn>(d).await.expect("save");
        let core_time = t.elapsed();

        let id = uuid_v7_text(i);
        let t = Instant::now();
        sqlx::query(
            "INSERT INTO records (id, kind, at_ms, visibility, body, stamps, updated)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&row.0)
        .bind(row.1)
        .bind(&row.2)
        .bind(&row.3)
        .bind(&row.4)
        .bind("000000000000000-0000000000-0000000000000000")
        .execute(&bare)
        .await
        .expect("bare insert");
        let plain_time = t.elapsed();
        if i >= 20 {
            core.push(core_time);
            plain.push(plain_time);
        }
    }
    let (core, plain) = (median(core), median(plain));
    println!(
        "save a check-in, durable commit (WAL, synchronous=FULL), {SAVE_SAMPLES} samples each"
    );
    println!("  steady-core Store::create   median {}", ms(core));
    println!("  bare sqlx INSERT (baseline) median {}", ms(plain));
    println!(
        "  ratio                       {:.2}x (target at most 1.5x)",
        core.as_secs_f64() / plain.as_secs_f64()
    );
    store.close().await;
    bare.close().await;
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
        let store = Store::open(dir.path()).await.expect("store");
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
