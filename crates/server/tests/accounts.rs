//! Staff sign-in against the real server, on SQLite and on PostgreSQL:
//! health, the OpenAPI document, sessions, CSRF, bad input and the
//! failed-login limit.

mod common;

use common::{TestDb, client, staff, start};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use steady_server::db::Role;

const PASSWORD: &str = "river stone lantern 42";

async fn sign_in(
    http: &Client,
    base: &str,
    email: &str,
    password: &str,
    forwarded_for: &str,
) -> Response {
    http.post(format!("{base}/v1/session"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn me(http: &Client, base: &str) -> Response {
    http.get(format!("{base}/v1/me")).send().await.unwrap()
}

async fn sign_out(http: &Client, base: &str, csrf: Option<&str>) -> StatusCode {
    let mut request = http.delete(format!("{base}/v1/session"));
    if let Some(token) = csrf {
        request = request.header("x-csrf-token", token);
    }
    request.send().await.unwrap().status()
}

async fn post_session(http: &Client, base: &str, body: impl Into<reqwest::Body>) -> StatusCode {
    http.post(format!("{base}/v1/session"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let dana = staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;
    let http = &client();

    // Health and the API description: every route, and only those.
    let health: Value = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let api: Value = http
        .get(format!("{base}/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        api["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        api["openapi"]
    );
    let mut operations: Vec<String> = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.push(format!("{} {path}", method.to_uppercase()));
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            // Every operation lists the answers every route can give.
            for status in ["422", "500"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path} lacks {status}"
                );
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "DELETE /v1/device",
            "DELETE /v1/device/consent",
            "DELETE /v1/devices/{device_id}",
            "DELETE /v1/patients/{patient_id}/devices/{device_id}",
            "DELETE /v1/session",
            "GET /healthz",
            "GET /readyz",
            "GET /v1/audit",
            "GET /v1/caseload",
            "GET /v1/caseload/events",
            "GET /v1/clinic/second-factor",
            "GET /v1/device",
            "GET /v1/device/disclosures",
            "GET /v1/devices",
            "GET /v1/me",
            "GET /v1/patients",
            "GET /v1/patients/{patient_id}/devices",
            "GET /v1/patients/{patient_id}/insights",
            "GET /v1/patients/{patient_id}/records",
            "GET /v1/second-factor",
            "GET /v1/session",
            "GET /v1/staff",
            "GET /v1/sync/pull",
            "GET /v1/worksheet-templates",
            "POST /v1/group-sessions",
            "POST /v1/pair",
            "POST /v1/pair/preview",
            "POST /v1/patients",
            "POST /v1/patients/{patient_id}/assignments",
            "POST /v1/patients/{patient_id}/events",
            "POST /v1/patients/{patient_id}/messages",
            "POST /v1/patients/{patient_id}/pairing-codes",
            "POST /v1/patients/{patient_id}/replies/read",
            "POST /v1/patients/{patient_id}/worksheets/{worksheet_id}/comments",
            "POST /v1/second-factor",
            "POST /v1/second-factor/confirm",
            "POST /v1/session",
            "POST /v1/session/second-factor",
            "POST /v1/staff",
            "POST /v1/sync/push",
            "PUT /v1/clinic/second-factor",
            "PUT /v1/device/consent",
            "PUT /v1/patients/{patient_id}/worksheets/{worksheet_id}/review",
        ]
    );

    // Not signed in.
    let r = me(http, base).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );

    // Bad input: a 422 naming the field (400 for broken JSON, 413 for a
    // body over 1 MiB), and no session made.
    for (body, field) in [
        (
            json!({"email": "dana@clinic.example", "password": PASSWORD, "remember": true}),
            "remember",
        ),
        (json!({"email": "dana@clinic.example"}), "password"),
        (json!({"email": 7, "password": PASSWORD}), "email"),
    ] {
        let r = http
            .post(format!("{base}/v1/session"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], field);
    }
    assert_eq!(
        post_session(http, base, "{\"email\": ").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post_session(http, base, vec![b'x'; 2 << 20]).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let r = http
        .post(format!("{base}/v1/session"))
        .body(json!({"email": "dana@clinic.example", "password": PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "JSON without its content type"
    );
    assert_eq!(me(http, base).await.status(), StatusCode::UNAUTHORIZED);

    // Sign in: the cookie is HttpOnly and SameSite=Strict; the CSRF token
    // comes in the body. Email case and spaces do not matter.
    let r = sign_in(http, base, "Dana@Clinic.example ", PASSWORD, "203.0.113.9").await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("steady_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let signed_in: Value = r.json().await.unwrap();
    assert_eq!(signed_in["user"]["id"], dana.id.as_str());
    let csrf = signed_in["csrf_token"].as_str().unwrap().to_owned();
    let who: Value = me(http, base).await.json().await.unwrap();
    assert_eq!(
        (who["email"].as_str(), who["role"].as_str()),
        (Some("dana@clinic.example"), Some("counselor"))
    );

    // Sign out needs the CSRF token; afterwards the old cookie is dead too.
    assert_eq!(sign_out(http, base, None).await, StatusCode::FORBIDDEN);
    assert_eq!(
        sign_out(http, base, Some("forged")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(me(http, base).await.status(), StatusCode::OK);
    assert_eq!(
        sign_out(http, base, Some(&csrf)).await,
        StatusCode::NO_CONTENT
    );
    let token = cookie.split(';').next().unwrap().to_owned();
    let replay = Client::new()
        .get(format!("{base}/v1/me"))
        .header("cookie", token)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);

    // Five failures for one account, then 429 with Retry-After, even with
    // the right password and whatever X-Forwarded-For says.
    for i in 0..5 {
        let r = sign_in(
            http,
            base,
            "dana@clinic.example",
            "wrong password!!",
            &format!("203.0.113.{i}"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = sign_in(http, base, "dana@clinic.example", PASSWORD, "198.51.100.7").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "Retry-After {wait}");

    // Twenty failures from one address over many accounts, then 429 for
    // anyone from it.
    for i in 0..15 {
        let r = sign_in(
            http,
            base,
            &format!("nobody{i}@clinic.example"),
            "guess guess guess",
            &format!("192.0.2.{i}"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let r = sign_in(
        http,
        base,
        "someone.else@clinic.example",
        "guess guess guess",
        "192.0.2.200",
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn staff_sign_in_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn staff_sign_in_on_postgres() {
    story(TestDb::postgres().await).await;
}

/// A session ends at its absolute lifetime however busy it is, and the
/// CSRF token the page reads back is the one sign-in gave.
#[tokio::test]
async fn sessions_end_at_their_lifetime_even_when_busy() {
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.lifetime = std::time::Duration::from_secs(2);
    let server = common::start_with(settings).await;
    let base = format!("http://{}", server.addr);
    staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;
    let http = client();
    let signed: Value = http
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "dana@clinic.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let current: Value = http
        .get(format!("{base}/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["csrf_token"], signed["csrf_token"]);
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(1_500) {
        assert_eq!(me(&http, &base).await.status(), StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(me(&http, &base).await.status(), StatusCode::UNAUTHORIZED);
    db.drop_database().await;
}
