//! Sync protocol v1 against the real server, on SQLite and on PostgreSQL:
//! push answered per record, replays change nothing, field-by-field merge,
//! paging by cursor, consent and permission refusals, bad input, and a
//! cursor that never skips a change while pushes run concurrently.

mod common;

use std::collections::BTreeSet;

use common::{TestDb, paired_device, start, wire_checkin};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn stamp(ms: u64, node: u64) -> String {
    format!("{ms:015}-{:010}-{node:016x}", 0)
}

fn checkin(id: &str, craving: i32, ms: u64) -> Value {
    wire_checkin(id, "2026-11-20T23:05:00-07:00", craving, "", ms, 1)
}

fn id(n: u32) -> String {
    format!("0190a000-0000-7000-8000-{n:012}")
}

async fn push(base: &str, token: &str, records: Vec<Value>) -> (StatusCode, Value) {
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(token)
        .json(&json!({ "records": records }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn pull(base: &str, token: &str, after: i64, limit: i64) -> (StatusCode, Value) {
    let r = Client::new()
        .get(format!("{base}/v1/sync/pull?after={after}&limit={limit}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn statuses(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn story(db: TestDb) {
    let server = start(&db).await;
    let base = &format!("http://{}", server.addr);
    let (token, _, _) =
        paired_device(&db, base, "dana@clinic.example", &["checkin", "worksheet"]).await;
    let now = chrono::Utc::now().timestamp_millis() as u64;

    // Three check-ins, applied; a replay changes nothing.
    let first = vec![
        checkin(&id(1), 7, now),
        checkin(&id(2), 3, now),
        checkin(&id(3), 9, now),
    ];
    let (status, results) = push(base, &token, first.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&results), ["applied"; 3]);
    let (_, page) = pull(base, &token, 0, 2).await;
    assert_eq!(page["records"].as_array().unwrap().len(), 2);
    assert_eq!(page["more"], true);
    let (_, rest) = pull(base, &token, page["cursor"].as_i64().unwrap(), 2).await;
    assert_eq!(rest["records"].as_array().unwrap().len(), 1);
    assert_eq!(rest["more"], false);
    let cursor = rest["cursor"].as_i64().unwrap();
    assert_eq!(statuses(&push(base, &token, first).await.1), ["applied"; 3]);
    let (_, nothing) = pull(base, &token, cursor, 100).await;
    assert_eq!(
        nothing["records"],
        json!([]),
        "a replayed push changes nothing"
    );
    assert_eq!(nothing["cursor"], cursor);

    // A whole record the server holds, sent again newer (it checks as a new
    // record would): merged onto the stored copy, not skipped, and numbered
    // next, as if the replay had not happened.
    let (status, results) = push(base, &token, vec![checkin(&id(3), 2, now + 1)]).await;
    assert_eq!(
        (status, statuses(&results)),
        (StatusCode::OK, vec!["applied".to_owned()])
    );
    let (_, merged) = pull(base, &token, cursor, 100).await;
    let records = merged["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], id(3));
    assert_eq!(records[0]["fields"]["craving"]["value"], 2);
    assert_eq!(
        records[0]["change"],
        cursor + 1,
        "a replay hands out no number"
    );
    let cursor = cursor + 1;

    // Field by field: a newer craving wins, an older note does not undo it,
    // and the untouched visibility stays.
    let newer = json!({"id": id(1), "kind": "checkin", "fields": {"craving": {"value": 4, "stamp": stamp(now + 10, 2)}}});
    let older = json!({"id": id(1), "kind": "checkin", "fields": {
        "craving": {"value": 8, "stamp": stamp(now + 5, 3)},
        "note": {"value": "payday", "stamp": stamp(now + 5, 3)},
    }});
    assert_eq!(
        statuses(&push(base, &token, vec![newer, older]).await.1),
        ["applied"; 2]
    );
    let (_, changed) = pull(base, &token, cursor, 100).await;
    let records = changed["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let fields = &records[0]["fields"];
    assert_eq!(fields["craving"]["value"], 4);
    assert_eq!(fields["note"]["value"], "payday");
    assert_eq!(fields["visibility"]["value"], "care_team");

    // Refused one by one, with reasons; the good record beside them lands.
    let private = json!({"id": id(10), "kind": "checkin", "fields": {"visibility": {"value": "private", "stamp": stamp(now, 1)}, "note": {"value": "mine", "stamp": stamp(now, 1)}}});
    let unconsented = json!({"id": id(11), "kind": "event", "fields": {"title": {"value": "NA", "stamp": stamp(now, 1)}}});
    let review = json!({"id": id(12), "kind": "worksheet", "fields": {"review": {"value": "done", "stamp": stamp(now, 1)}}});
    let future = json!({"id": id(14), "kind": "checkin", "fields": {"craving": {"value": 1, "stamp": stamp(now + 86_400_000, 1)}}});
    let bad_id = json!({"id": "42", "kind": "checkin", "fields": {"craving": {"value": 1, "stamp": stamp(now, 1)}}});
    let other_kind = json!({"id": id(2), "kind": "worksheet", "fields": {"status": {"value": "draft", "stamp": stamp(now + 20, 1)}}});
    let good = checkin(&id(15), 2, now);
    // Withdrawing a record the server never held: nothing to drop, nothing
    // kept (the pull below lists no id 16).
    let withdrawal = json!({"id": id(16), "kind": "checkin", "fields": {"visibility": {"value": "private", "stamp": stamp(now, 1)}}});
    let (_, results) = push(
        base,
        &token,
        vec![
            private,
            unconsented,
            review,
            future,
            bad_id,
            other_kind,
            good,
            withdrawal,
        ],
    )
    .await;
    let reasons: Vec<String> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["status"].as_str().unwrap(),
                r["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        reasons[0],
        "refused a private record stays on the device: withdraw it with its visibility alone"
    );
    assert_eq!(
        reasons[1],
        "refused the patient's consent does not cover event records"
    );
    assert_eq!(
        reasons[2],
        "refused only the care team writes the review field of a worksheet"
    );
    assert!(reasons[3].contains("ahead of the server"), "{}", reasons[3]);
    assert_eq!(reasons[4], "refused the id is not a UUID");
    assert_eq!(
        reasons[5],
        "refused this id belongs to a checkin record, not a worksheet"
    );
    assert_eq!(reasons[6], "applied ");
    assert_eq!(reasons[7], "applied ");
    let (_, after_refusals) = pull(base, &token, 0, 100).await;
    let ids: BTreeSet<&str> = after_refusals["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            id(1).as_str(),
            id(2).as_str(),
            id(3).as_str(),
            id(15).as_str()
        ])
    );

    // A value out of range, or a field no check-in has, is refused naming
    // the field, and nothing of that record is stored.
    let mut high = checkin(&id(16), 2, now);
    high["fields"]["craving"]["value"] = json!(42);
    let mut unknown = checkin(&id(17), 2, now);
    unknown["fields"]["cravings"] = json!({"value": 3, "stamp": stamp(now, 1)});
    let (_, results) = push(base, &token, vec![high, unknown]).await;
    let reasons: Vec<&str> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or(""))
        .collect();
    assert!(
        reasons[0].starts_with("it is not a valid checkin: field craving:"),
        "{}",
        reasons[0]
    );
    assert!(reasons[1].contains("cravings"), "{}", reasons[1]);
    let (_, still) = pull(base, &token, 0, 100).await;
    assert_eq!(still["records"].as_array().unwrap().len(), 4);

    // Bad input as a whole: 422 naming the field.
    let (status, body) = push(
        base,
        &token,
        (0..501).map(|n| checkin(&id(1000 + n), 1, now)).collect(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "records");
    let (status, body) = pull(base, &token, 0, 1001).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"records": [], "extra": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "extra");
    let r = Client::new()
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"records": [{"id": 5, "kind": "checkin", "fields": {}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["field"],
        "records[0].id"
    );
    // A stamp that is not one is malformed input, like a wrong type.
    let bad_stamp = json!({"id": id(13), "kind": "checkin", "fields": {"craving": {"value": 1, "stamp": "yesterday"}}});
    let (status, body) = push(base, &token, vec![checkin(&id(21), 3, now), bad_stamp]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "records[1].fields.craving.stamp");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"yesterday\" is not a clock stamp"),
        "{body}"
    );
    let (_, still) = pull(base, &token, 0, 100).await;
    assert_eq!(
        still["records"].as_array().unwrap().len(),
        4,
        "nothing stored"
    );

    // Consent withdrawn: push and pull both stop.
    let r = Client::new()
        .delete(format!("{base}/v1/device/consent"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, body) = push(base, &token, vec![checkin(&id(20), 5, now)]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("consent_required"))
    );
    assert_eq!(pull(base, &token, 0, 10).await.0, StatusCode::FORBIDDEN);

    server.stop().await.unwrap();
    db.drop_database().await;
}

/// Four devices' worth of pushes at once while a reader pulls with its
/// cursor: the reader ends having seen every record, none skipped.
async fn concurrent(db: TestDb) {
    let server = start(&db).await;
    let base = format!("http://{}", server.addr);
    let (token, _, _) = paired_device(&db, &base, "dana@clinic.example", &["checkin"]).await;
    let now = chrono::Utc::now().timestamp_millis() as u64;
    let mut writers = Vec::new();
    for w in 0..4u32 {
        let (base, token) = (base.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            for batch in 0..10u32 {
                let records = (0..5)
                    .map(|i| checkin(&id(w * 1000 + batch * 10 + i), 5, now))
                    .collect();
                let (status, results) = push(&base, &token, records).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(statuses(&results), ["applied"; 5]);
            }
        }));
    }
    let reader = {
        let (base, token) = (base.clone(), token.clone());
        tokio::spawn(async move {
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            for _ in 0..400 {
                let (_, page) = pull(&base, &token, cursor, 7).await;
                for r in page["records"].as_array().unwrap() {
                    seen.insert(r["id"].as_str().unwrap().to_owned());
                }
                cursor = page["cursor"].as_i64().unwrap();
                if seen.len() == 200 {
                    break;
                }
            }
            (seen, cursor)
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let (mut seen, mut cursor) = reader.await.unwrap();
    loop {
        let (_, page) = pull(&base, &token, cursor, 50).await;
        for r in page["records"].as_array().unwrap() {
            seen.insert(r["id"].as_str().unwrap().to_owned());
        }
        cursor = page["cursor"].as_i64().unwrap();
        if page["more"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 200, "every pushed record reached the reader");
    assert_eq!(cursor, 200, "one change number per record, none lost");
    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn sync_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn sync_on_postgres() {
    story(TestDb::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_never_make_a_pull_skip_on_sqlite() {
    concurrent(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_never_make_a_pull_skip_on_postgres() {
    concurrent(TestDb::postgres().await).await;
}
