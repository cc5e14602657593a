//! A counselor's reads of a patient's records against the real server, on
//! SQLite and on PostgreSQL: consent decides what they see, every read is in
//! the append-only audit log, and only admins read that log.

mod common;

use common::{PASSWORD, TestDb, client, paired_device, sign_in, start};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use steady_server::db::{NewUser, Role};
use steady_server::secret::hash_password;

fn record(id: &str, kind: &str, at: &str, craving: i32, ms: u64) -> Value {
    assert_eq!(kind, "checkin");
    common::wire_checkin(id, at, craving, "", ms, 1)
}

async fn get(http: &Client, url: String) -> (StatusCode, Value) {
    let r = http.get(url).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let (token, patient, counselor) =
        paired_device(&db, base, "dana@clinic.example", &["checkin"]).await;
    let any = steady_server::db::connect(db.url()).await.unwrap();
    any.create_user(&NewUser {
        clinic_id: counselor.clinic_id.clone(),
        email: "admin@clinic.example".into(),
        name: "Admin".into(),
        role: Role::Admin,
        password_hash: hash_password(PASSWORD).unwrap(),
    })
    .await
    .unwrap();
    let now = chrono::Utc::now().timestamp_millis() as u64;
    let pushed = [
        record(
            "0190a000-0000-7000-8000-000000000001",
            "checkin",
            "2026-11-20T23:05:00-07:00",
            9,
            now,
        ),
        record(
            "0190a000-0000-7000-8000-000000000002",
            "checkin",
            "2026-11-24T08:00:00-07:00",
            2,
            now,
        ),
    ];
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"records": pushed}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let dana = &client();
    sign_in(dana, base, "dana@clinic.example").await;
    let (status, all) = get(
        dana,
        format!("{base}/v1/patients/{patient}/records?kind=checkin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, week) = get(dana, format!("{base}/v1/patients/{patient}/records?kind=checkin&from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z")).await;
    assert_eq!(week.as_array().unwrap().len(), 1);
    assert_eq!(week[0]["fields"]["craving"], 2);
    let (status, body) = get(
        dana,
        format!("{base}/v1/patients/{patient}/records?kind=diary"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    // A kind outside the consent looks like nothing at all.
    assert_eq!(
        get(
            dana,
            format!("{base}/v1/patients/{patient}/records?kind=worksheet")
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // The admin sees both reads, newest first; a counselor may not look.
    assert_eq!(
        get(dana, format!("{base}/v1/audit")).await.0,
        StatusCode::FORBIDDEN
    );
    let admin = &client();
    sign_in(admin, base, "admin@clinic.example").await;
    let (status, log) = get(admin, format!("{base}/v1/audit?patient_id={patient}")).await;
    assert_eq!(status, StatusCode::OK);
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    assert!(
        entries
            .iter()
            .all(|e| e["actor_id"] == counselor.id.as_str() && e["action"] == "read records")
    );
    assert_eq!(entries[0]["detail"], "kind=checkin");
    assert!(entries[0]["id"].as_i64() > entries[1]["id"].as_i64());
    let (_, none) = get(admin, format!("{base}/v1/audit?actor_id=someone-else")).await;
    assert_eq!(none, json!([]));
    assert_eq!(
        get(admin, format!("{base}/v1/audit?limit=0")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The log refuses to be changed or emptied, whoever asks.
    let raw: Result<_, sqlx::Error> = match any.backend() {
        "sqlite" => {
            let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
            let update = sqlx::query("UPDATE audit_log SET detail = 'nothing'")
                .execute(&pool)
                .await;
            let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
            Ok((update.is_err(), delete.is_err()))
        }
        _ => {
            let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
            let update = sqlx::query("UPDATE audit_log SET detail = 'nothing'")
                .execute(&pool)
                .await;
            let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
            Ok((update.is_err(), delete.is_err()))
        }
    };
    assert_eq!(raw.unwrap(), (true, true), "UPDATE and DELETE are refused");
    assert_eq!(
        get(admin, format!("{base}/v1/audit"))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Insights over the same check-ins, by the patient's local days: one
    // more audited read.
    let (status, insights) = get(
        dana,
        format!("{base}/v1/patients/{patient}/insights?days=30&to=2026-11-24"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{insights}");
    assert_eq!(insights["from"], "2026-10-26");
    assert_eq!(insights["shared_kinds"], json!(["checkin"]));
    let trend = insights["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 30);
    let day = |date: &str| trend.iter().find(|d| d["date"] == date).unwrap().clone();
    // 23:05 on the 20th in Denver is the 21st in UTC; it counts on the 20th.
    assert_eq!(
        (
            day("2026-11-20")["max"].as_u64(),
            day("2026-11-20")["mean"].as_f64()
        ),
        (Some(9), Some(9.0))
    );
    assert_eq!(day("2026-11-21")["checkins"], 0);
    assert_eq!(day("2026-11-24")["max"], 2);
    let friday_23 = &insights["heatmap"][4 * 24 + 23];
    assert_eq!(
        (
            &friday_23["weekday"],
            &friday_23["hour"],
            &friday_23["checkins"]
        ),
        (&json!("Fri"), &json!(23), &json!(1))
    );
    assert_eq!(insights["halt"]["checkins"], 2);
    assert_eq!(
        insights["top_triggers"],
        json!([]),
        "triggers are not shared"
    );
    assert_eq!(insights["weeks"].as_array().unwrap().len(), 5);
    assert_eq!(
        get(
            dana,
            format!("{base}/v1/patients/{patient}/insights?days=0")
        )
        .await
        .1["error"]["field"],
        "days"
    );
    let (_, log) = get(admin, format!("{base}/v1/audit")).await;
    assert_eq!(log.as_array().unwrap().len(), 3);
    assert_eq!(
        (&log[0]["action"], &log[0]["detail"]),
        (&json!("read insights"), &json!("days=30"))
    );

    // Consent withdrawn: the records answer 404 and nothing more is logged.
    let r = Client::new()
        .delete(format!("{base}/v1/device/consent"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, body) = get(
        dana,
        format!("{base}/v1/patients/{patient}/records?kind=checkin"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.to_string().contains("craving"), "{body}");
    assert_eq!(
        get(dana, format!("{base}/v1/patients/{patient}/insights"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(admin, format!("{base}/v1/audit"))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        3
    );

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn counselor_reads_are_consented_and_audited_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn counselor_reads_are_consented_and_audited_on_postgres() {
    story(TestDb::postgres().await).await;
}
