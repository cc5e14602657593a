//! A paired device sending what no app would — fields of any JSON, nested,
//! huge, of the wrong type, with NUL characters, extreme numbers and dates —
//! and records damaged in the database itself: the counselor's caseload,
//! the patient's records and insights still answer, and every record the
//! server holds passes the app's own rules. On SQLite and on PostgreSQL.

mod common;

use common::{TestDb, client, paired_device, sign_in, start, wire_checkin};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};
use steady_model::RecordKind;
use steady_model::merge::FieldMap;

fn id(n: u32) -> String {
    format!("0190a000-0000-7000-8000-{n:012}")
}

/// Any JSON, favouring what breaks readers: deep nesting, long text, NUL,
/// numbers at the edges, dates out of range.
fn hostile_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        "[a-z ]{0,12}".prop_map(Value::String),
        Just(json!("with a NUL \u{0} inside")),
        Just(json!("x".repeat(100_000))),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("0001-01-01T00:00:00Z")),
        Just(json!("+262143-01-01T00:00:00Z")),
        Just(json!(
            (0..10_000).map(|i| i.to_string()).collect::<Vec<_>>()
        )),
    ];
    leaf.prop_recursive(40, 200, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A field change the app's rules accept, so that every run (whatever its
/// seed) also sends records that must be applied, not only refused.
fn valid_change() -> impl Strategy<Value = (&'static str, Value)> {
    prop_oneof![
        (0i32..=10).prop_map(|n| ("craving", json!(n))),
        "[a-z ]{0,12}".prop_map(|s| ("note", json!(s))),
        "[a-z ]{0,12}".prop_map(|s| ("place", json!(s))),
        prop::collection::vec("[a-z]{1,8}", 0..3).prop_map(|v| ("emotions", json!(v))),
    ]
}

/// A valid check-in with some fields replaced or added.
fn hostile_record() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(vec![
        "at",
        "craving",
        "mood",
        "emotions",
        "halt",
        "note",
        "outcome",
        "visibility",
        "deleted",
        "trigger_ids",
        "colour",
        "answers.not-an-item",
    ]);
    let change = prop_oneof![3 => (field, hostile_json()), 1 => valid_change()];
    (0u32..6, prop::collection::vec(change, 1..3)).prop_map(|(n, changes)| {
        let now = chrono::Utc::now().timestamp_millis() as u64;
        let mut record = wire_checkin(&id(n), "2026-11-20T23:05:00-07:00", 6, "", now, 1);
        for (field, value) in changes {
            record["fields"][field] =
                json!({"value": value, "stamp": format!("{:015}-{:010}-{:016x}", now, 1, 2)});
        }
        record
    })
}

async fn hostile_pushes(db: TestDb) {
    let mut settings = db.settings();
    // Hundreds of pushes in a few seconds: the rate limit is not under test.
    settings.pushes_per_minute = 100_000;
    let server = common::start_with(settings).await;
    let base = format!("http://{}", server.addr);
    let (token, patient, counselor) = paired_device(
        &db,
        &base,
        "dana@clinic.example",
        &["checkin", "trigger", "attendance", "program"],
    )
    .await;
    let http = reqwest::Client::new();
    // A valid record first, so later pushes merge onto a stored one.
    let now = chrono::Utc::now().timestamp_millis() as u64;
    let first = wire_checkin(&id(0), "2026-11-20T23:05:00-07:00", 4, "ok", now, 1);
    let r = http
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({ "records": [first] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let cases = std::env::var("STEADY_HOSTILE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strategy = prop::collection::vec(hostile_record(), 1..4);
    let (mut applied, mut refused, mut unusable) = (0, 0, 0);
    for _ in 0..cases {
        let records = strategy.new_tree(&mut runner).unwrap().current();
        let r = http
            .post(format!("{base}/v1/sync/push"))
            .bearer_auth(&token)
            .json(&json!({ "records": records }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        match status {
            StatusCode::OK => {
                for result in body["results"].as_array().unwrap() {
                    match result["status"].as_str() {
                        Some("applied") => applied += 1,
                        _ => {
                            refused += 1;
                            let reason = result["reason"].as_str().unwrap_or("");
                            assert!(!reason.is_empty(), "a refusal says why: {result}");
                        }
                    }
                }
            }
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE => unusable += 1,
            other => panic!("push answered {other}: {body}"),
        }
    }
    eprintln!(
        "hostile pushes: {cases} requests, {applied} records applied, {refused} refused, {unusable} requests refused whole"
    );
    assert!(
        refused > 0 && applied > 0,
        "the generator reaches both answers"
    );

    // Every record the server holds passes the app's rules, or is a
    // withdrawal's tombstone: its visibility, private, and nothing else.
    let pulled: Value = http
        .get(format!("{base}/v1/sync/pull?after=0&limit=1000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for record in pulled["records"].as_array().unwrap() {
        let fields: FieldMap = serde_json::from_value(record["fields"].clone()).unwrap();
        let kind = RecordKind::parse(record["kind"].as_str().unwrap()).unwrap();
        if fields.is_withdrawn() {
            assert_eq!(fields, fields.withdrawn(), "a tombstone keeps nothing else");
            continue;
        }
        kind.check_fields(&fields)
            .unwrap_or_else(|e| panic!("stored record breaks the rules: {e}"));
    }

    // And the counselor's pages answer.
    let dana = client();
    sign_in(&dana, &base, &counselor.email).await;
    for path in [
        "/v1/caseload".to_owned(),
        format!("/v1/patients/{patient}/records?kind=checkin"),
        format!("/v1/patients/{patient}/insights?days=366"),
    ] {
        let r = dana.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    db.drop_database().await;
}

#[tokio::test]
async fn hostile_pushes_never_break_a_page_on_sqlite() {
    hostile_pushes(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn hostile_pushes_never_break_a_page_on_postgres() {
    hostile_pushes(TestDb::postgres().await).await;
}

/// Records damaged in the database (or written under other rules) are
/// skipped and reported as unreadable, never a 500.
async fn damaged_records(db: TestDb) {
    let server = start(&db).await;
    let base = format!("http://{}", server.addr);
    let (token, patient, counselor) =
        paired_device(&db, &base, "dana@clinic.example", &["checkin"]).await;
    let now = chrono::Utc::now().timestamp_millis() as u64;
    let good = wire_checkin(&id(1), "2026-11-20T23:05:00-07:00", 8, "", now, 1);
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({ "records": [good] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let damaged = [
        (id(2), format!("{{\"deleted\":{{\"value\":{deep},\"stamp\":\"000000000000001-0000000000-0000000000000001\"}}}}")),
        (id(3), "not json".to_owned()),
        (id(4), "{\"craving\":{\"value\":\"high\",\"stamp\":\"000000000000001-0000000000-0000000000000001\"}}".to_owned()),
    ];
    let sql = "INSERT INTO records (patient_id, id, kind, fields, change_no) VALUES ($1, $2, 'checkin', $3, $4)";
    match &db {
        TestDb::Sqlite { .. } => {
            let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
            for (n, (id, text)) in damaged.iter().enumerate() {
                sqlx::query(sql)
                    .bind(&patient)
                    .bind(id)
                    .bind(text)
                    .bind(100 + n as i64)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        }
        TestDb::Postgres { .. } => {
            let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
            for (n, (id, text)) in damaged.iter().enumerate() {
                sqlx::query(sql)
                    .bind(&patient)
                    .bind(id)
                    .bind(text)
                    .bind(100 + n as i64)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        }
    }
    let dana = client();
    sign_in(&dana, &base, &counselor.email).await;
    let get = |path: String| {
        let dana = dana.clone();
        let base = base.clone();
        async move {
            let r = dana.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.json::<Value>().await.unwrap()
        }
    };
    let caseload = get("/v1/caseload".into()).await;
    assert_eq!(caseload[0]["unreadable"], 3, "{caseload}");
    assert!(caseload[0]["flags"].as_array().is_some());
    let records = get(format!("/v1/patients/{patient}/records?kind=checkin")).await;
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(
        records.iter().filter(|r| r["unreadable"] == true).count(),
        3
    );
    assert_eq!(
        records.iter().find(|r| r["unreadable"] == false).unwrap()["fields"]["craving"],
        8
    );
    let insights = get(format!(
        "/v1/patients/{patient}/insights?days=30&to=2026-11-25"
    ))
    .await;
    assert_eq!(insights["unreadable"], 3);
    assert_eq!(insights["halt"]["checkins"], 1, "{}", insights["halt"]);
    // The device's pull leaves out what it could not read back, and passes it.
    let r = reqwest::Client::new()
        .get(format!("{base}/v1/sync/pull?after=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.unwrap();
    let ids: Vec<&str> = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id(1), id(4)], "{page}");
    assert_eq!(page["cursor"], 102);
    db.drop_database().await;
}

#[tokio::test]
async fn damaged_records_are_skipped_and_reported_on_sqlite() {
    damaged_records(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn damaged_records_are_skipped_and_reported_on_postgres() {
    damaged_records(TestDb::postgres().await).await;
}

/// What PostgreSQL cannot hold (NUL) and dates past any calendar's use get
/// the same 422, naming the field, on both backends; nothing is stored.
async fn same_answer_on_both_backends(db: TestDb) {
    let server = start(&db).await;
    let base = format!("http://{}", server.addr);
    let (_, patient, counselor) =
        paired_device(&db, &base, "dana@clinic.example", &["checkin"]).await;
    let nul = "Ana\u{0}R.";
    let anyone = reqwest::Client::new();
    let r = anyone
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": format!("dana{nul}@clinic.example"), "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "email");
    let r = anyone
        .post(format!("{base}/v1/pair"))
        .json(&json!({"code": "ABCDE-FGH2K", "consent": {"recipient": "x", "kinds": ["checkin"], "purpose": format!("treat{nul}ment"), "expires_at": "2027-01-01T00:00:00Z"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        "consent.purpose"
    );

    let dana = client();
    let csrf = sign_in(&dana, &base, &counselor.email).await;
    let r = dana
        .post(format!("{base}/v1/patients"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"display_name": nul}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        "display_name"
    );
    for path in [
        "/v1/patients/a%00b/records?kind=checkin".to_owned(),
        format!("/v1/patients/{patient}/records?kind=check%00in"),
        format!("/v1/patients/{patient}/insights?to=9999-12-31"),
        format!("/v1/patients/{patient}/insights?to=+262142-12-31"),
        format!("/v1/patients/{patient}/insights?to=-262143-01-01&days=366"),
    ] {
        let r = dana.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    let r = dana
        .get(format!("{base}/v1/patients"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        1
    );
    db.drop_database().await;
}

#[tokio::test]
async fn nul_and_far_dates_answer_422_on_sqlite() {
    same_answer_on_both_backends(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn nul_and_far_dates_answer_422_on_postgres() {
    same_answer_on_both_backends(TestDb::postgres().await).await;
}
