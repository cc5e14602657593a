//! Pairing against the real server, on SQLite and on PostgreSQL: a counselor
//! adds a patient and makes a code; the app redeems it once with the
//! patient's consent and gets a token; the token works until the device or
//! the consent is revoked; another counselor's session finds nothing.

mod common;

use common::{PASSWORD, TestDb, client, sign_in, staff, start};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use steady_server::db::Role;
use steady_server::secret::token_hash;

fn consent() -> Value {
    let expires = chrono::Utc::now() + chrono::TimeDelta::days(90);
    json!({
        "recipient": "Riverside IOP care team",
        "kinds": ["checkin", "trigger", "worksheet"],
        "purpose": "Treatment in the intensive outpatient program",
        "expires_at": expires.to_rfc3339(),
    })
}

async fn pair(base: &str, code: &str) -> reqwest::Response {
    Client::new()
        .post(format!("{base}/v1/pair"))
        .json(&json!({"code": code, "device_label": "Ana's phone", "consent": consent()}))
        .send()
        .await
        .unwrap()
}

async fn device_get(base: &str, token: &str) -> reqwest::Response {
    Client::new()
        .get(format!("{base}/v1/device"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let dana = staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;
    staff(&db, "yuri@clinic.example", PASSWORD, Role::Counselor).await;
    let x = &client();
    let csrf = sign_in(x, base, "dana@clinic.example").await;

    // A patient on Dana's caseload, and a code for them.
    let r = x
        .post(format!("{base}/v1/patients"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"display_name": "Ana R."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let patient: Value = r.json().await.unwrap();
    let pid = patient["id"].as_str().unwrap().to_owned();
    assert_eq!(patient["counselor_id"], dana.id.as_str());
    let r = x
        .post(format!("{base}/v1/patients"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"display_name": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = x
        .post(format!("{base}/v1/patients/{pid}/pairing-codes"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    let code = made["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 11, "{code}");
    assert!(
        code.chars()
            .all(|c| c == '-' || "ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(c)),
        "{code}"
    );
    // Stored as a keyed hash (HMAC with the server's key), never as a plain
    // hash that could be reversed offline from a copy of the database.
    {
        use sha2::Digest;
        let plain = code.replace('-', "");
        let any = steady_server::db::connect(db.url()).await.unwrap();
        let unkeyed = hex::encode(sha2::Sha256::digest(plain.as_bytes()));
        assert!(any.code_preview(&unkeyed).await.unwrap().is_none());
        let keyed = db.key().hash(steady_server::secret::PAIRING_CODE, &plain);
        assert!(any.code_preview(&keyed).await.unwrap().is_some());
    }
    let expires =
        chrono::DateTime::parse_from_rfc3339(made["expires_at"].as_str().unwrap()).unwrap();
    let minutes = (expires.timestamp() - chrono::Utc::now().timestamp()) as f64 / 60.0;
    assert!((9.0..=10.0).contains(&minutes), "{minutes}");

    // Bad consent terms are refused and the code is not spent.
    let mut bad = json!({"code": code, "consent": consent()});
    bad["consent"]["kinds"] = json!(["diary"]);
    let r = Client::new()
        .post(format!("{base}/v1/pair"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        "consent.kinds"
    );

    // Redeemed once, typed loosely; a second use is refused.
    let r = pair(base, &code.to_lowercase().replace('-', " ")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let paired: Value = r.json().await.unwrap();
    assert_eq!(paired["patient_id"], pid.as_str());
    let token = paired["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(pair(base, &code).await.status(), StatusCode::GONE);

    // The token works and shows the consent the patient gave.
    let status: Value = device_get(base, &token).await.json().await.unwrap();
    assert_eq!(status["patient_id"], pid.as_str());
    assert_eq!(
        status["consent"]["kinds"],
        json!(["checkin", "trigger", "worksheet"])
    );
    // The recipient is named by the server, from the code's counselor and
    // clinic, whatever the device sent ("Riverside IOP care team").
    assert_eq!(
        status["consent"]["recipient"],
        "Dana Counselor and the care team at Riverside IOP"
    );
    assert_eq!(
        device_get(base, "0".repeat(64).as_str()).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Only the token's hash is stored.
    let any = steady_server::db::connect(db.url()).await.unwrap();
    assert!(
        any.device_by_token(&token_hash(&token))
            .await
            .unwrap()
            .is_some()
    );
    assert!(any.device_by_token(&token).await.unwrap().is_none());

    // An expired code is refused (a code that could have been handed out:
    // its check character is right).
    any.create_pairing_code(
        &db.key()
            .hash(steady_server::secret::PAIRING_CODE, "EXPRD2345H"),
        &pid,
        &dana.id,
        chrono::Utc::now().timestamp_millis() - 1000,
    )
    .await
    .unwrap();
    let expired = pair(base, "EXPRD-2345H").await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(
        expired.text().await.unwrap().contains("expired"),
        "an expired code is called expired"
    );
    // The same code mistyped is a typo, in words that say so.
    let typo = pair(base, "EXPRD-2345J").await;
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let typo: Value = typo.json().await.unwrap();
    assert_eq!(typo["error"]["field"], "code");
    assert!(
        typo["error"]["message"].as_str().unwrap().contains("typo"),
        "{typo}"
    );

    // Another counselor finds nothing of Dana's patient: 404 on every route.
    let y = &client();
    let y_csrf = sign_in(y, base, "yuri@clinic.example").await;
    let list: Value = y
        .get(format!("{base}/v1/patients"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let device_id = status["device_id"].as_str().unwrap().to_owned();
    for (method, path) in [
        ("POST", format!("/v1/patients/{pid}/pairing-codes")),
        ("GET", format!("/v1/patients/{pid}/devices")),
        ("DELETE", format!("/v1/patients/{pid}/devices/{device_id}")),
    ] {
        let r = y
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .header("x-csrf-token", &y_csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("Ana") && !body.contains(&device_id),
            "{body}"
        );
    }
    assert_eq!(
        device_get(base, &token).await.status(),
        StatusCode::OK,
        "Yuri revoked nothing"
    );

    // The patient withdraws consent: the device still answers, with no consent.
    let r = Client::new()
        .delete(format!("{base}/v1/device/consent"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let status: Value = device_get(base, &token).await.json().await.unwrap();
    assert_eq!(status["consent"], Value::Null);

    // Dana revokes the device: its token gets 401 from then on.
    let devices: Value = x
        .get(format!("{base}/v1/patients/{pid}/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(devices[0]["label"], "Ana's phone");
    let r = x
        .delete(format!("{base}/v1/patients/{pid}/devices/{device_id}"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        device_get(base, &token).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A device can also unpair itself.
    let code2: Value = x
        .post(format!("{base}/v1/patients/{pid}/pairing-codes"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second: Value = pair(base, code2["code"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let token2 = second["token"].as_str().unwrap();
    let r = Client::new()
        .delete(format!("{base}/v1/device"))
        .bearer_auth(token2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        device_get(base, token2).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Wrong codes from one address: ten, then 429 with Retry-After.
    for i in 0..10 {
        assert_eq!(
            pair(base, &format!("WRONG{i:0>5}")).await.status().as_u16() / 100,
            4,
            "wrong code {i}"
        );
    }
    let r = pair(base, "ABCDE-FGHJK").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn pairing_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn pairing_on_postgres() {
    story(TestDb::postgres().await).await;
}
