//! `GET /metrics` after a morning's traffic — a device paired, pushing and
//! pulling, a counselor reading, wrong pairing codes until the limit — read
//! by the Prometheus project's own parser (Python's prometheus-client,
//! OpenMetrics), with no patient id, note, email or token anywhere in it,
//! and refused to an address the configuration does not allow, also when a
//! trusted proxy names one.

mod common;

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use steady_server::http::limit::PAIRING_ADDRESS;
use steady_server::testing::{TestDb, start_with};

/// The families and samples Python's OpenMetrics parser reads from `text`,
/// or its complaint.
fn parse(text: &str) -> Value {
    let python = std::env::var_os("STEADY_PYTHON").expect(
        "STEADY_PYTHON is not set: run `cargo xtask test`, which installs prometheus-client from PyPI and says where",
    );
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
families = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    families[f.name] = {"type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
print(json.dumps(families))
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus-client refused the metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The value of the sample `name` whose labels include `labels`.
fn sample(families: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    families[family]["samples"]
        .as_array()
        .unwrap_or_else(|| panic!("no family {family}"))
        .iter()
        .filter(|s| s[0] == name)
        .find(|s| labels.iter().all(|(k, v)| s[1][k] == *v))
        .and_then(|s| s[2].as_f64())
        .unwrap_or_else(|| panic!("no {name} with {labels:?} in {}", families[family]))
}

async fn story(db: TestDb) {
    let mut settings = db.settings();
    settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    settings.metrics_allow = vec![
        "127.0.0.1/32".parse().unwrap(),
        "10.1.2.0/24".parse().unwrap(),
    ];
    let server = start_with(settings).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    let (token, patient_id, counselor) =
        common::paired_device(&db, &base, "dana@clinic.example", &["checkin"]).await;
    let note = "NOTE-metrics-must-not-show";
    let now = chrono::Utc::now().timestamp_millis() as u64;
    let records = (0..3)
        .map(|n| {
            common::wire_checkin(
                &format!("0190a000-0000-7000-8000-{n:012}"),
                "2026-11-20T23:05:00-07:00",
                5,
                note,
                now,
                1,
            )
        })
        .collect::<Vec<_>>();
    let pushed = http
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({ "records": records }))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::OK);
    for _ in 0..2 {
        let pulled = http
            .get(format!("{base}/v1/sync/pull?after=0"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(pulled.status(), StatusCode::OK);
    }
    let forged = http
        .get(format!("{base}/v1/sync/pull?after=0"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let browser = common::client();
    common::sign_in(&browser, &base, "dana@clinic.example").await;
    let records = browser
        .get(format!(
            "{base}/v1/patients/{patient_id}/records?kind=checkin"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(records.status(), StatusCode::OK);
    for _ in 0..=PAIRING_ADDRESS.free {
        http.post(format!("{base}/v1/pair/preview"))
            .json(&json!({"code": "ABCDE-FGH2K"}))
            .send()
            .await
            .unwrap();
    }

    let answer = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
    );
    let text = answer.text().await.unwrap();
    for secret in [
        patient_id.as_str(),
        counselor.id.as_str(),
        note,
        token.as_str(),
        "dana@clinic.example",
        "ABCDE-FGH2K",
        "not-a-token",
    ] {
        assert!(!text.contains(secret), "{secret} in the metrics:\n{text}");
    }
    let families = parse(&text);
    let get = |route: &str, status: &str| {
        sample(
            &families,
            "steady_http_requests",
            "steady_http_requests_total",
            &[("method", "GET"), ("route", route), ("status", status)],
        )
    };
    assert_eq!(get("/v1/sync/pull", "200"), 2.0);
    assert_eq!(get("/v1/sync/pull", "401"), 1.0);
    assert_eq!(get("/v1/patients/{patient_id}/records", "200"), 1.0);
    assert_eq!(
        sample(
            &families,
            "steady_sync_pushes",
            "steady_sync_pushes_total",
            &[("status", "200")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &families,
            "steady_sync_pulls",
            "steady_sync_pulls_total",
            &[("status", "401")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &families,
            "steady_limits_hit",
            "steady_limits_hit_total",
            &[("route", "/v1/pair/preview"), ("code", "too_many_requests")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &families,
            "steady_http_refusals",
            "steady_http_refusals_total",
            &[("route", "/v1/sync/pull"), ("code", "unauthorized")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &families,
            "steady_http_request_duration_seconds",
            "steady_http_request_duration_seconds_count",
            &[("route", "/v1/sync/pull")]
        ),
        3.0
    );
    assert!(
        sample(
            &families,
            "steady_database_connections",
            "steady_database_connections",
            &[("state", "max")]
        ) >= 1.0
    );
    assert_eq!(
        families["steady_live_streams_open"]["type"], "gauge",
        "{families}"
    );

    // A trusted proxy naming an allowed client passes; naming any other
    // address, the metrics are refused.
    let proxied = |client: &'static str| {
        http.get(format!("{base}/metrics"))
            .header("x-forwarded-for", client)
            .send()
    };
    assert_eq!(proxied("10.1.2.3").await.unwrap().status(), StatusCode::OK);
    let refused = proxied("203.0.113.9").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metrics.allow"),
        "{body}"
    );
    server.stop().await.unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn metrics_count_without_patient_data_on_sqlite() {
    story(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn metrics_count_without_patient_data_on_postgres() {
    story(TestDb::postgres().await).await;
}

/// With the default configuration only this machine may read them.
#[tokio::test]
async fn metrics_are_refused_to_addresses_not_allowed() {
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.metrics_allow = vec!["192.0.2.0/24".parse().unwrap()];
    let server = start_with(settings).await;
    let r = reqwest::get(format!("http://{}/metrics", server.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Without a trusted proxy configured, the header names nobody.
    let r = reqwest::Client::new()
        .get(format!("http://{}/metrics", server.addr))
        .header("x-forwarded-for", "192.0.2.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.stop().await.unwrap();
    db.drop_database().await;
}
