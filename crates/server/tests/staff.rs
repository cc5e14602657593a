//! An admin adds a counselor from the API, on SQLite and on PostgreSQL:
//! CSRF required, bad input refused naming the field with nothing stored,
//! an email used once, the new counselor signs in, and only admins, and only
//! their own clinic's, see the staff list.

mod common;

use common::{PASSWORD, TestDb, client, sign_in, staff, start};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use steady_server::db::Role;

async fn add(http: &Client, base: &str, csrf: &str, body: Value) -> (StatusCode, Value) {
    let r = http
        .post(format!("{base}/v1/staff"))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn list(http: &Client, base: &str) -> (StatusCode, Value) {
    let r = http.get(format!("{base}/v1/staff")).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    staff(&db, "ana@clinic.example", PASSWORD, Role::Admin).await;
    let ana = &client();
    let csrf = sign_in(ana, base, "ana@clinic.example").await;
    let dana = json!({"email": " Dana@Clinic.example ", "name": "Dana Counselor", "role": "counselor", "password": PASSWORD});

    // Without the CSRF token a browser request is refused.
    assert_eq!(
        add(ana, base, "", dana.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    // Bad input names the field, and nothing is stored.
    for (field, bad) in [
        ("password", json!({"password": "short"})),
        ("role", json!({"role": "owner"})),
        ("email", json!({"email": "dana"})),
        ("name", json!({"name": "  "})),
    ] {
        let mut body = dana.clone();
        body.as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        let (status, error) = add(ana, base, &csrf, body).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{error}"
        );
    }
    assert_eq!(list(ana, base).await.1.as_array().unwrap().len(), 1);

    let (status, added) = add(ana, base, &csrf, dana.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(
        (&added["email"], &added["role"]),
        (&json!("dana@clinic.example"), &json!("counselor"))
    );
    assert!(!added.to_string().contains(PASSWORD));
    let (status, error) = add(ana, base, &csrf, dana).await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (StatusCode::CONFLICT, &json!("conflict"))
    );
    let (_, everyone) = list(ana, base).await;
    // By name, then email (the test accounts share a name).
    let emails: Vec<&str> = everyone
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ana@clinic.example", "dana@clinic.example"]);

    // The new counselor signs in, and may not manage staff.
    let dana = &client();
    let dana_csrf = sign_in(dana, base, "dana@clinic.example").await;
    assert_eq!(list(dana, base).await.0, StatusCode::FORBIDDEN);
    let someone =
        json!({"email": "x@clinic.example", "name": "X", "role": "admin", "password": PASSWORD});
    assert_eq!(
        add(dana, base, &dana_csrf, someone).await.0,
        StatusCode::FORBIDDEN
    );

    // Another clinic's admin sees only their own staff.
    staff(&db, "omar@other.example", PASSWORD, Role::Admin).await;
    let omar = &client();
    sign_in(omar, base, "omar@other.example").await;
    let (_, theirs) = list(omar, base).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["email"], "omar@other.example");

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn an_admin_adds_a_counselor_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn an_admin_adds_a_counselor_on_postgres() {
    story(TestDb::postgres().await).await;
}
