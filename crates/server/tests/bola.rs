//! Broken object-level authorization, checked from the router's own route
//! list (the OpenAPI document it is built with), so a new route cannot slip
//! past: counselor X's session and patient A's device token, aimed at
//! patient B's ids on every route that takes an id, get nothing of B's.

mod common;

use common::{TestDb, client, paired_device, start};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const SECRET: &str = "B-SECRET-NOTE";

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let (token_a, _patient_a, x_user) =
        paired_device(&db, base, "x@clinic.example", &["checkin"]).await;
    let (token_b, patient_b, _y) = paired_device(&db, base, "y@clinic.example", &["checkin"]).await;
    let ms = chrono::Utc::now().timestamp_millis() as u64;
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token_b)
        .json(&json!({"records": [common::wire_checkin(
            "0190a000-0000-7000-8000-0000000000bb",
            "2026-11-20T23:05:00-07:00",
            3,
            SECRET,
            ms,
            5,
        )]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let device_b: Value = Client::new()
        .get(format!("{base}/v1/device"))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_b = device_b["device_id"].as_str().unwrap().to_owned();

    let x = &client();
    let r = x
        .post(format!("{base}/v1/session"))
        .json(&json!({"email": "x@clinic.example", "password": "river stone lantern 42"}))
        .send()
        .await
        .unwrap();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // An admin of X's clinic, for the routes only admins may call: B's
    // device is in another clinic, so it is not there for them either.
    let any = steady_server::db::connect(db.url()).await.unwrap();
    any.create_user(&steady_server::db::NewUser {
        clinic_id: x_user.clinic_id.clone(),
        email: "x-admin@clinic.example".into(),
        name: "X Admin".into(),
        role: steady_server::db::Role::Admin,
        password_hash: steady_server::secret::hash_password(common::PASSWORD).unwrap(),
    })
    .await
    .unwrap();
    let x_admin = &client();
    let admin_csrf = common::sign_in(x_admin, base, "x-admin@clinic.example").await;

    let api: Value = Client::new()
        .get(format!("{base}/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (template, item) in api["paths"].as_object().unwrap() {
        if !template.contains('{') {
            continue;
        }
        let mut path = template.clone();
        for (param, value) in [
            ("{patient_id}", patient_b.as_str()),
            ("{device_id}", device_b.as_str()),
            // B's own record: the id is real, only the patient is wrong.
            ("{worksheet_id}", "0190a000-0000-7000-8000-0000000000bb"),
        ] {
            path = path.replace(param, value);
        }
        assert!(
            !path.contains('{'),
            "{template} takes an id this test does not know how to aim at another patient; add it here"
        );
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let url = format!("{base}{path}?kind=checkin");
            let (x, csrf) = if operation["tags"][0] == "admin" {
                (x_admin, &admin_csrf)
            } else {
                (x, &csrf)
            };
            let as_x = x
                .request(method.clone(), &url)
                .header("x-csrf-token", csrf)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(
                as_x.status(),
                StatusCode::NOT_FOUND,
                "counselor X: {method} {template}"
            );
            let body = as_x.text().await.unwrap();
            assert!(
                !body.contains(SECRET) && !body.contains(&device_b),
                "{method} {template}: {body}"
            );
            let as_a = Client::new()
                .request(method.clone(), &url)
                .bearer_auth(&token_a)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            // A device token is not a staff session at all.
            assert_eq!(
                as_a.status(),
                StatusCode::UNAUTHORIZED,
                "device A: {method} {template}"
            );
            assert!(!as_a.text().await.unwrap().contains(SECRET));
            checked += 1;
        }
    }
    assert_eq!(
        checked, 12,
        "routes with ids: pairing codes, devices (list, revoke), records, insights, assignments, messages, replies read, events, worksheet review and comments, an admin's device revoke"
    );
    // X's caseload lists none of Y's patients.
    let caseload = x.get(format!("{base}/v1/caseload")).send().await.unwrap();
    assert_eq!(caseload.status(), StatusCode::OK);
    let caseload = caseload.text().await.unwrap();
    assert!(!caseload.contains(&patient_b) && !caseload.contains(SECRET));

    // Routes that act on the caller's own patient never reach B's records.
    let pulled = Client::new()
        .get(format!("{base}/v1/sync/pull"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!pulled.contains(SECRET));
    // Nor does a patient's record of disclosures: B's lists none of X's
    // attempts (each refused before anything was read or audited).
    let b_disclosures: Value = Client::new()
        .get(format!("{base}/v1/device/disclosures"))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b_disclosures["entries"], json!([]), "{b_disclosures}");
    let caseload = x
        .get(format!("{base}/v1/patients"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!caseload.contains(&patient_b));
    // And X's attempts changed nothing of B's.
    let still: Value = Client::new()
        .get(format!("{base}/v1/device"))
        .bearer_auth(&token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["device_id"], device_b.as_str());

    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn no_route_hands_out_another_patients_data_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn no_route_hands_out_another_patients_data_on_postgres() {
    story(TestDb::postgres().await).await;
}
