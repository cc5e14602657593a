//! The patient's record of disclosures (`GET /v1/device/disclosures`), on
//! SQLite and on PostgreSQL: after a counselor reads a patient's records and
//! insights, the patient's device lists those reads, newest first, with the
//! counselor's name and role, the kind read and the consent's purpose;
//! another patient's device sees none of them; pages go back with `before`.

mod common;

use common::{TestDb, client, paired_device, sign_in, start};
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn disclosures(base: &str, token: &str, query: &str) -> (StatusCode, Value) {
    let r = Client::new()
        .get(format!("{base}/v1/device/disclosures{query}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let (token_a, patient_a, _x) = paired_device(&db, base, "x@clinic.example", &["checkin"]).await;
    let (token_b, _patient_b, _y) =
        paired_device(&db, base, "y@clinic.example", &["checkin"]).await;

    // Nothing read yet.
    let (status, page) = disclosures(base, &token_a, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["entries"], serde_json::json!([]));
    assert_eq!(page["more"], false);

    // Counselor X reads A's check-ins, then A's insights.
    let x = &client();
    sign_in(x, base, "x@clinic.example").await;
    for path in ["records?kind=checkin", "insights"] {
        let r = x
            .get(format!("{base}/v1/patients/{patient_a}/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }

    let (status, page) = disclosures(base, &token_a, "").await;
    assert_eq!(status, StatusCode::OK);
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{page}");
    let (insights, records) = (&entries[0], &entries[1]);
    assert_eq!(insights["action"], "read insights");
    assert_eq!(records["action"], "read records");
    assert_eq!(records["kind"], "checkin");
    assert!(insights.get("kind").is_none(), "{insights}");
    for entry in entries {
        assert_eq!(entry["who"], "Dana Counselor", "{entry}");
        assert_eq!(entry["role"], "counselor");
        assert_eq!(entry["purpose"], "treatment");
        assert!(entry["at"].as_str().unwrap().ends_with('Z'));
    }
    assert!(insights["id"].as_i64() > records["id"].as_i64());

    // A page of one, then the one before it.
    let (_, first) = disclosures(base, &token_a, "?limit=1").await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 1);
    assert_eq!(first["more"], true);
    assert_eq!(first["entries"][0], *insights);
    let before = first["entries"][0]["id"].as_i64().unwrap();
    let (_, second) = disclosures(base, &token_a, &format!("?limit=1&before={before}")).await;
    assert_eq!(second["entries"][0], *records);
    assert_eq!(second["more"], false);

    // B's device sees none of A's, and no one has read B's.
    let (status, other) = disclosures(base, &token_b, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(other["entries"], serde_json::json!([]));

    // Bad paging is a 422 naming the field; no token, a 401.
    let (status, body) = disclosures(base, &token_a, "?limit=0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "limit");
    let r = Client::new()
        .get(format!("{base}/v1/device/disclosures"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn a_patient_sees_who_read_their_records_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn a_patient_sees_who_read_their_records_on_postgres() {
    story(TestDb::postgres().await).await;
}
