//! A recurring group session added for several patients at once, on SQLite
//! and on PostgreSQL: everything is checked before anything is written, so
//! a stranger's patient or a bad session refuses the lot, naming the field.

mod common;

use common::{PASSWORD, TestDb, client, paired_device, pairing_code, sign_in, staff, start};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use steady_server::db::{AuditFilter, Role};

async fn add(http: &Client, base: &str, csrf: &str, body: Value) -> (StatusCode, Value) {
    let r = http
        .post(format!("{base}/v1/group-sessions"))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn events_of(http: &Client, base: &str, patient: &str) -> Vec<Value> {
    let r = http
        .get(format!("{base}/v1/patients/{patient}/records?kind=event"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Vec<Value>>().await.unwrap()
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let kinds = ["checkin", "event"];
    let (_, ana, dana) = paired_device(&db, base, "dana@clinic.example", &kinds).await;
    // A second patient of Dana's, paired and sharing.
    let any = steady_server::db::connect(db.url()).await.unwrap();
    let ben = any.create_patient(&dana, "Ben K.").await.unwrap().id;
    let code = pairing_code(&db, &dana, &ben).await;
    let expires = chrono::Utc::now() + chrono::TimeDelta::days(30);
    let r = Client::new()
        .post(format!("{base}/v1/pair"))
        .json(&json!({"code": code, "consent": {"recipient": "Riverside IOP", "kinds": kinds, "purpose": "treatment", "expires_at": expires.to_rfc3339()}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Another counselor's patient.
    let yusuf = staff(&db, "yusuf@clinic.example", PASSWORD, Role::Counselor).await;
    let stranger = any.create_patient(&yusuf, "C.").await.unwrap().id;

    let http = &client();
    let csrf = sign_in(http, base, "dana@clinic.example").await;
    let relapse_prevention = json!({
        "title": "Relapse prevention group",
        "kind": "relapse_prevention",
        "place": "Room 2",
        "start": "2026-12-01T18:00:00",
        "zone": "America/Denver",
        "duration_minutes": 180,
        "recurrence": {"frequency": "weekly", "interval": 1, "by_day": ["TU", "TH"], "count": 24},
        "reminder_minutes": [60]
    });

    // Refused as a whole, naming the field; nothing written.
    for (patients, event, field) in [
        (
            json!([ana, stranger]),
            relapse_prevention.clone(),
            "patient_ids[1]",
        ),
        (
            json!([ana, ana]),
            relapse_prevention.clone(),
            "patient_ids[1]",
        ),
        (json!([]), relapse_prevention.clone(), "patient_ids"),
        (
            json!([ana, ben]),
            json!({"title": "", "kind": "relapse_prevention", "start": "2026-12-01T18:00:00", "zone": "America/Denver", "duration_minutes": 180}),
            "event.title",
        ),
    ] {
        let (status, error) = add(
            http,
            base,
            &csrf,
            json!({"patient_ids": patients, "event": event}),
        )
        .await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{error}"
        );
    }
    assert!(events_of(http, base, &ana).await.is_empty());
    assert!(events_of(http, base, &ben).await.is_empty());

    let (status, added) = add(
        http,
        base,
        &csrf,
        json!({"patient_ids": [ana, ben], "event": relapse_prevention}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["sessions"].as_array().unwrap().len(), 2);
    for patient in [&ana, &ben] {
        let events = events_of(http, base, patient).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["fields"]["title"], "Relapse prevention group");
        assert_eq!(events[0]["fields"]["recurrence"]["count"], 24);
        assert_eq!(events[0]["fields"]["visibility"], "care_team");
    }
    // Each write is in the audit log, per patient.
    let log = any
        .audit_log(
            &dana.clinic_id,
            &AuditFilter {
                actor_id: Some(dana.id.clone()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    let writes = log.iter().filter(|e| e.action == "write event").count();
    assert_eq!(writes, 2);

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn a_group_session_is_added_for_many_patients_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn a_group_session_is_added_for_many_patients_on_postgres() {
    story(TestDb::postgres().await).await;
}
