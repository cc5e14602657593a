//! One implementation of insights: the figures the app shows a patient and
//! the ones the dashboard shows their counselor, for the same records, are
//! equal. A phone keeps three months of check-ins (with coping steps and
//! outcomes, in two time zones), triggers, attendance and a program; it
//! shares them all with a real server; the counselor's insights answer and
//! the phone's own report are compared figure by figure, for 7, 30 and 90
//! days. On SQLite and PostgreSQL.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use reqwest::StatusCode;
use steady_core::{ConsentTerms, Store, SyncClient};
use steady_model::{
    Attendance, AttendanceDraft, CheckIn, CheckInDraft, Event, EventDraft, Halt, ProgramDraft,
    TriggerDraft, TriggerEntry, Visibility,
};
use steady_server::testing::TestDb;

mod common;

use common::clinic::Clinic;

const COPING: [&str; 4] = ["Called Sam", "Walk", "Urge surfing", "Shower"];
const OUTCOMES: [Option<&str>; 4] = [Some("resisted"), Some("resisted"), Some("used"), None];

/// Three months ending on `last`: a few check-ins a day, varied by a simple
/// generator so that every figure has something to count.
async fn keep_three_months(phone: &Store, last: NaiveDate) {
    let mut n: u64 = 17;
    let mut next = move |m: u64| {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (n >> 33) % m
    };
    let group = phone
        .create::<Event>(EventDraft {
            title: "Relapse-prevention group".into(),
            kind: "relapse_prevention".into(),
            start: Some((last - TimeDelta::days(91)).and_hms_opt(18, 0, 0).unwrap()),
            zone: "America/Denver".into(),
            duration_minutes: 180,
            ..EventDraft::default()
        })
        .await
        .unwrap();
    let mut checkins = Vec::new();
    let mut triggers = Vec::new();
    let mut marks = Vec::new();
    for back in 0..92 {
        let day = last - TimeDelta::days(back);
        // Denver, then New York for the last two weeks.
        let offset = if back < 14 { "-05:00" } else { "-07:00" };
        for _ in 0..next(4) {
            let hour = 6 + next(18);
            let at = DateTime::parse_from_rfc3339(&format!(
                "{day}T{hour:02}:{:02}:00{offset}",
                next(60)
            ))
            .unwrap();
            checkins.push(CheckInDraft {
                at: Some(at),
                craving: next(11) as i32,
                halt: Halt {
                    hungry: next(3) == 0,
                    angry: next(5) == 0,
                    lonely: next(3) == 0,
                    tired: next(2) == 0,
                },
                coping: (0..next(3))
                    .map(|_| COPING[next(4) as usize].to_owned())
                    .collect(),
                outcome: OUTCOMES[next(4) as usize].map(str::to_owned),
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            });
        }
        if next(3) == 0 {
            let at = DateTime::parse_from_rfc3339(&format!("{day}T18:30:00{offset}")).unwrap();
            triggers.push(TriggerDraft {
                at: Some(at),
                category: ["people", "places", "emotions", "situations"][next(4) as usize].into(),
                description: "after work".into(),
                intensity: next(11) as i32,
                visibility: Visibility::CareTeam,
                ..TriggerDraft::default()
            });
        }
        if next(2) == 0 {
            let at = DateTime::parse_from_rfc3339(&format!("{day}T18:00:00{offset}")).unwrap();
            let attended = next(4) != 0;
            marks.push(AttendanceDraft {
                event_id: group.id,
                occurrence: at.naive_local(),
                at,
                status: if attended { "attended" } else { "missed" }.into(),
                minutes: if attended { 180 } else { 0 },
                visibility: Visibility::CareTeam,
            });
        }
    }
    phone.create_all::<CheckIn>(checkins).await.unwrap();
    phone.create_all::<TriggerEntry>(triggers).await.unwrap();
    phone.create_all::<Attendance>(marks).await.unwrap();
    phone
        .save_program(ProgramDraft {
            level: "iop".into(),
            clinic: "Riverside".into(),
            start: Some(last - TimeDelta::days(100)),
            visibility: Visibility::CareTeam,
            ..ProgramDraft::default()
        })
        .await
        .unwrap();
}

async fn story(db: TestDb) {
    let clinic = Clinic::open(db).await;
    let patient = clinic.patient("Ana R.").await;
    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(dir.path(), &common::store_key()).await.unwrap();
    let client = SyncClient::new();
    let consent = ConsentTerms {
        recipient: "Riverside IOP".into(),
        kinds: ["checkin", "trigger", "attendance", "program"]
            .map(String::from)
            .to_vec(),
        purpose: "My treatment at Riverside IOP".into(),
        expires_at: Utc::now() + TimeDelta::days(180),
    };
    let code = clinic.code(&patient.id).await;
    client
        .pair(&phone, &clinic.base, &code, consent, "Ana's phone")
        .await
        .unwrap();
    let last = Utc::now().date_naive() - TimeDelta::days(1);
    keep_three_months(&phone, last).await;
    while phone.sync_status().await.unwrap().pending > 0 {
        let report = client.sync(&phone).await.unwrap();
        assert_eq!(report.refused, 0);
    }

    let dana = clinic.sign_in().await;
    for days in [7, 30, 90] {
        let (status, server) = dana
            .get(&format!(
                "/v1/patients/{}/insights?days={days}&to={last}",
                patient.id
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{server}");
        let app = serde_json::to_value(phone.insights(last, days).await.unwrap()).unwrap();
        let keys = app.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys,
            [
                "days",
                "from",
                "halt",
                "heatmap",
                "helped",
                "to",
                "top_triggers",
                "trend",
                "weeks"
            ]
        );
        for key in &keys {
            assert_eq!(app[key], server[key], "{days} days: {key} differs");
        }
        // The figures count something: a comparison of empty lists proves nothing.
        let counted: u64 = app["trend"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["checkins"].as_u64().unwrap())
            .sum();
        assert!(
            counted >= u64::from(days) / 2,
            "{days} days: {counted} check-ins"
        );
        assert!(!app["helped"].as_array().unwrap().is_empty());
        assert!(!app["top_triggers"].as_array().unwrap().is_empty() || days == 7);
    }
    phone.close().await;
    clinic.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_and_the_dashboard_show_the_same_insights_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_and_the_dashboard_show_the_same_insights_on_postgres() {
    story(TestDb::postgres().await).await;
}
