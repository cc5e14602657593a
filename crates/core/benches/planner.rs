//! `cargo xtask bench`: planning the next 50 reminders for 30 recurring
//! events spread over a year, beside a baseline measured in the same run:
//! only expanding those events' occurrences over the planner's horizon.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use steady_core::{PlanInput, QuietHours, ReminderSettings, plan};
use steady_model::{Body, Day, Event, EventDraft, Frequency, RecordId, Recurrence};

const SAMPLES: usize = 200;
const KINDS: [&str; 4] = [
    "twelve_step",
    "education",
    "relapse_prevention",
    "individual",
];
const ZONES: [&str; 3] = ["America/Denver", "America/New_York", "Europe/Berlin"];
const DAYS: [Day; 5] = [Day::Mo, Day::Tu, Day::We, Day::Th, Day::Fr];

fn events() -> Vec<(RecordId, Event)> {
    let made: DateTime<FixedOffset> = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .unwrap()
        .fixed_offset();
    (0..30)
        .map(|i| {
            let start = NaiveDate::from_ymd_opt(2026, 1, 5 + (i % 5) as u32)
                .unwrap()
                .and_time(
                    NaiveTime::from_hms_opt(8 + (i % 12) as u32, (i % 4) as u32 * 15, 0).unwrap(),
                );
            let draft = EventDraft {
                title: format!("Session {i}"),
                kind: KINDS[i % KINDS.len()].into(),
                start: Some(start),
                zone: ZONES[i % ZONES.len()].into(),
                duration_minutes: 60 + (i % 3) as i32 * 30,
                recurrence: Some(Recurrence {
                    frequency: if i % 7 == 0 {
                        Frequency::Daily
                    } else {
                        Frequency::Weekly
                    },
                    interval: 1,
                    by_day: if i % 7 == 0 {
                        vec![]
                    } else {
                        vec![DAYS[i % 5], DAYS[(i + 2) % 5]]
                    },
                    until: NaiveDate::from_ymd_opt(2026, 12, 31).map(steady_model::end_of_day),
                    ..Recurrence::default()
                }),
                reminder_minutes: vec![60, 15],
                ..Default::default()
            };
            (RecordId::new(), Event::from_draft(draft, made).unwrap())
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let events = events();
    let settings = ReminderSettings {
        daily_checkin: NaiveTime::from_hms_opt(20, 0, 0),
        quiet_hours: Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        }),
        detailed_wording: false,
        weekly_review: Some(Default::default()),
    };
    let delivered = HashSet::new();
    let zone: chrono_tz::Tz = "America/Denver".parse().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 6, 15, 15, 0, 0).unwrap();
    let input = PlanInput {
        events: &events,
        settings: &settings,
        device_zone: zone,
        delivered: &delivered,
        now,
    };

    let mut planning = Vec::with_capacity(SAMPLES);
    let mut expanding = Vec::with_capacity(SAMPLES);
    let mut planned = 0;
    for _ in 0..SAMPLES {
        let t = Instant::now();
        planned = black_box(plan(&input, 50)).len();
        planning.push(t.elapsed());

        let t = Instant::now();
        let n: usize = events
            .iter()
            .map(|(_, e)| {
                black_box(
                    e.occurrences_between(now, now + TimeDelta::days(15) + TimeDelta::hours(1)),
                )
                .len()
            })
            .sum();
        black_box(n);
        expanding.push(t.elapsed());
    }
    let (p, e) = (median(planning), median(expanding));
    println!("plan the next 50 reminders, 30 recurring events over a year, {SAMPLES} samples");
    println!(
        "  plan()                              median {:.3} ms ({planned} reminders)",
        p.as_secs_f64() * 1e3
    );
    println!(
        "  baseline: expand the occurrences    median {:.3} ms",
        e.as_secs_f64() * 1e3
    );
    println!(
        "  ratio                               {:.2}x",
        p.as_secs_f64() / e.as_secs_f64()
    );
}
