//! Sharing with the clinic in the real Steady window (tauri-driver ->
//! WebKitWebDriver -> the built app, under Xvfb) against the real server on
//! 127.0.0.1:0: the patient pairs in Settings after reading the consent, a
//! check-in logged on Today reaches the server with the header saying so;
//! the counselor's message and assignment arrive on Today below the craving
//! log, which stays on the first screen at 360x640, with a notification that
//! says only "New message from your care team"; the patient replies and the
//! counselor reads the reply on the dashboard in headless Chromium (unread
//! on the caseload until the patient's page shows it); stopping
//! sharing shows in the header. Run through `cargo xtask test`.

mod common;

use common::chrome::{Chrome, dashboard_dist};
use common::clinic::{Clinic, EMAIL, PASSWORD};
use common::notifications::{self, notify_calls};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use steady_server::testing::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_consent_and_sync_in_the_window() {
    // The server serves the dashboard: the counselor reads the reply there.
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.dashboard_dir = Some(dashboard_dist());
    let clinic = Clinic::open_with(db, settings).await;
    let base = clinic.base.clone();
    let any = &clinic.any;
    let patient = clinic.patient("Ana R.").await;
    let code = clinic.code(&patient.id).await;

    let (_daemon, _monitor, notices) = notifications::watch();
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    // Before pairing, the header says nothing is shared.
    text_until(&client, "#sync-state", |t| t == "Not shared with a clinic").await;
    click(&client, "#sync-state").await;
    fill(&client, "#pair-server", &base).await;
    fill(&client, "#pair-code", &code.to_lowercase()).await;
    click(&client, "#pair-next").await;
    let consent = text_until(&client, "#consent", |t| t.contains("Share with")).await;
    assert!(
        consent.contains("Share with Dana Counselor and the care team at Riverside IOP?"),
        "{consent}"
    );
    assert!(consent.contains("Entries you mark private never leave this device."));
    check_layout(&client, 360, 640, "consent", &shots).await;
    click(&client, "#consent-accept").await;
    text_until(&client, "#consent-summary", |t| t.contains("Check-ins")).await;
    text_until(&client, "#sync-state", |t| t.starts_with("Synced")).await;

    // A craving logged on Today goes up within the debounce and the header says so.
    click(&client, "#nav-today").await;
    click(&client, "label.scale-step[data-value='8']").await;
    click(&client, "#quick-log").await;
    let mut held = Vec::new();
    for _ in 0..100 {
        held = any
            .records_of(&patient.id, steady_model::RecordKind::CheckIn)
            .await
            .unwrap()
            .records;
        if !held.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(held.len(), 1, "the check-in reached the server");
    assert_eq!(
        held[0].fields.0["craving"].value,
        Some(Value::from(8)),
        "with its craving"
    );
    text_until(&client, "#sync-state", |t| {
        t.starts_with("Synced") && !t.contains("waiting")
    })
    .await;

    // The counselor writes; Sync now brings the message to Today.
    let dana = clinic.sign_in().await;
    let message_text = "Saw the 8 last night. Call me if it comes back?";
    let (sent, _) = dana
        .send(
            Method::POST,
            &format!("/v1/patients/{}/messages", patient.id),
            json!({"text": message_text}),
        )
        .await;
    assert_eq!(sent, StatusCode::CREATED);
    let (assigned, _) = dana
        .send(
            Method::POST,
            &format!("/v1/patients/{}/assignments", patient.id),
            json!({"template": "cbt-thought-record", "note": "Before Thursday's group."}),
        )
        .await;
    assert_eq!(assigned, StatusCode::CREATED);
    click(&client, "#nav-settings").await;
    click(&client, "#sync-now").await;
    click(&client, "#nav-today").await;
    text_until(&client, "#care-messages", |t| t.contains(message_text)).await;
    text_until(&client, "#care-assignments", |t| {
        t.contains("Thought record")
    })
    .await;

    // The phone comes first: at 360x640 the craving log and its button are
    // on the first screen, the care team's card below them.
    check_layout(&client, 360, 640, "care-team-today", &shots).await;
    axe(&client, "today (a message and an assignment waiting)").await;
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    let places = client
        .execute(
            "const r = (s) => document.querySelector(s).getBoundingClientRect();
             return [r('#quick-log').bottom, r('#care-team').top, window.innerHeight];",
            vec![],
        )
        .await
        .unwrap();
    let (log_bottom, card_top, height) = (
        places[0].as_f64().unwrap(),
        places[1].as_f64().unwrap(),
        places[2].as_f64().unwrap(),
    );
    assert!(
        log_bottom <= height,
        "'Log craving' ends at {log_bottom}px in a {height}px window"
    );
    assert!(
        card_top > log_bottom,
        "the care team's card is below the log"
    );

    // The app announced the message, and nothing of what it says.
    let deadline = std::time::Instant::now() + WAIT;
    let announced = loop {
        let calls = notify_calls(&notices);
        if let Some(call) = calls
            .iter()
            .find(|c| c.iter().any(|s| s == "New message from your care team"))
        {
            break call.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no notification of the message: {calls:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let words = announced.join(" ");
    assert!(
        !words.contains("Saw the 8") && !words.contains("Dana"),
        "the notification says what the message says: {words}"
    );

    // The patient answers from Today; the counselor reads the reply.
    click(&client, "#care-messages button:not(.link)").await;
    text_until(&client, "#answering", |t| {
        t.contains("Saw the 8 last night")
    })
    .await;
    fill(
        &client,
        "#reply-text",
        "It came back around 11. I called my sister instead.",
    )
    .await;
    check_layout(&client, 360, 640, "messages-reply", &shots).await;
    click(&client, "#send-reply").await;
    text_until(&client, "#reply-sent", |t| t.starts_with("Sent.")).await;
    let replies_path = format!("/v1/patients/{}/records?kind=reply", patient.id);
    let mut replies = Vec::new();
    for _ in 0..100 {
        replies = dana
            .get(&replies_path)
            .await
            .1
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !replies.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(replies.len(), 1, "the reply reached the server");
    assert_eq!(
        replies[0]["fields"]["text"],
        "It came back around 11. I called my sister instead."
    );
    // The counselor's dashboard, in a real browser: the reply unread on the
    // caseload, then in the conversation on the patient's page — showing it
    // is reading it.
    let chrome = Chrome::start();
    let browser = chrome.open(&base, "dana").await;
    fill(&browser, "#email", EMAIL).await;
    fill(&browser, "#password", PASSWORD).await;
    click(&browser, "form button[type=submit]").await;
    let unread = format!("tr[data-patient='{}'] a.unread", patient.id);
    text_until(&browser, &unread, |t| t == "1 unread reply").await;
    click(&browser, &unread).await;
    text_until(&browser, "#conversation", |t| {
        t.contains("Saw the 8 last night") && t.contains("I called my sister instead.")
    })
    .await;
    let mut unread_now = json!(1);
    for _ in 0..100 {
        unread_now = dana.get("/v1/caseload").await.1[0]["unread_replies"].clone();
        if unread_now == json!(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(unread_now, json!(0), "shown on the page is read");
    let _ = browser.close().await;
    click(&client, "#nav-settings").await;
    click(&client, "#sync-now").await;
    click(&client, "#nav-today").await;
    click(&client, "#open-messages").await;
    text_until(&client, "#conversation", |t| {
        t.contains("Read by your care team")
    })
    .await;
    check_layout(&client, 360, 640, "messages", &shots).await;
    axe(&client, "messages").await;
    check_layout(&client, 1280, 800, "messages", &shots).await;
    // Answered is read: the message has left Today's card.
    click(&client, "#nav-today").await;
    wait_for(&client, "#open-messages").await;
    let card = client
        .execute(
            "return document.querySelector('#care-messages') === null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(card, json!(true), "the answered message is still on Today");
    check_layout(&client, 360, 640, "today-after-reply", &shots).await;

    // Stopping sharing asks first, then the header says it is off.
    click(&client, "#nav-settings").await;
    click(&client, "#consent-revoke").await;
    click(&client, "#consent-revoke-confirm").await;
    text_until(&client, "#consent-summary", |t| {
        t.contains("Sharing is off.")
    })
    .await;
    text_until(&client, "#sync-state", |t| t == "Sharing is off").await;
    let (read, _) = dana
        .get(&format!("/v1/patients/{}/records?kind=checkin", patient.id))
        .await;
    assert_eq!(
        read,
        StatusCode::NOT_FOUND,
        "the counselor no longer reads the records"
    );

    let _ = client.close().await;
    clinic.close().await;
}

/// A `steady://pair` link, as the dashboard's QR code and link hold it and a
/// desktop launcher passes it: the app opens on Settings with the address
/// and code filled in, and pairs only after the consent; opened while the
/// app runs, it fills the running window's form (no second window). A link
/// that is not one (a plain-http address elsewhere) fills nothing and says
/// why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairing_link_opens_settings_with_the_form_filled() {
    let clinic = Clinic::open(TestDb::sqlite().await).await;
    let patient = clinic.patient("Ben K.").await;
    let code = clinic.code(&patient.id).await;
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();

    let driver = Driver::start(data.path());
    let bad = "steady://pair?server=http%3A%2F%2Fclinic.example&code=ABCDE-FGH23";
    let client = driver.open_app_with(&[bad], "#pair-server").await;
    let said = text_until(&client, "section[aria-labelledby=clinic-title]", |t| {
        t.contains("https://")
    })
    .await;
    assert!(said.contains("encrypted"), "{said}");
    let typed = wait_for(&client, "#pair-server")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(typed.as_deref(), Some(""), "a bad link fills nothing");

    // A link opened while Steady runs reaches the running window: the
    // second start hands it over and exits.
    let link = format!(
        "steady://pair?server={}&code={}",
        clinic.base.replace(':', "%3A").replace('/', "%2F"),
        code.to_lowercase()
    );
    let status = start_again(data.path(), &[&link]);
    assert!(status.success(), "the second start: {status}");
    text_until(&client, "#pair-link-note", |t| t.contains("pairing link")).await;
    let filled = wait_for(&client, "#pair-server").await.prop("value").await;
    assert_eq!(filled.unwrap().as_deref(), Some(clinic.base.as_str()));
    let _ = client.close().await;
    drop(driver);

    // Started by the link: Settings opens with the form filled.
    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start(data.path());
    let client = driver.open_app_with(&[&link], "#pair-server").await;
    text_until(&client, "#pair-link-note", |t| t.contains("pairing link")).await;
    let value = |css: &'static str| {
        let client = client.clone();
        async move {
            wait_for(&client, css)
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(value("#pair-server").await, clinic.base);
    assert_eq!(
        value("#pair-code").await,
        format!("{}-{}", &code[..5], &code[5..])
    );
    check_layout(&client, 360, 640, "pairing-link", &shots).await;
    axe(&client, "settings (filled from a link)").await;
    // Nothing is paired until the patient reads and accepts the consent.
    assert!(clinic.any.devices_of(&patient.id).await.unwrap().is_empty());
    click(&client, "#pair-next").await;
    text_until(&client, "#consent", |t| t.contains("Share with")).await;
    click(&client, "#consent-accept").await;
    text_until(&client, "#sync-state", |t| t.starts_with("Synced")).await;
    assert_eq!(clinic.any.devices_of(&patient.id).await.unwrap().len(), 1);
    let _ = client.close().await;
    clinic.close().await;
}

/// A start that finds the Steady on its folder quitting — holding its name
/// on the session bus, never answering (frozen with SIGSTOP, then killed) —
/// opens by itself once that one has gone, instead of failing to open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_while_the_last_one_quits_opens_once_it_has_gone() {
    use common::xdo::window_of;
    let data = tempfile::tempdir().unwrap();
    let signal = |sig: &str, pid: u32| {
        let done = std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap();
        assert!(done.success(), "kill {sig} {pid}");
    };
    let until = |what: &str, done: &mut dyn FnMut() -> bool| {
        let deadline = std::time::Instant::now() + WAIT;
        while !done() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let mut first = spawn_app(data.path(), &[]);
    until("the first app's window", &mut || {
        window_of(first.id()).is_some()
    });
    signal("-STOP", first.id());
    let mut second = spawn_app(data.path(), &[]);
    // The second finds the first's name taken and waits for its answer...
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(
        second.try_wait().unwrap().is_none(),
        "the second gave up at once"
    );
    // ...which never comes: the first goes.
    signal("-KILL", first.id());
    first.wait().unwrap();
    until("the second app's window", &mut || {
        if let Some(status) = second.try_wait().unwrap() {
            panic!("the second start ended ({status}) instead of opening");
        }
        window_of(second.id()).is_some()
    });
    let _ = second.kill();
    let _ = second.wait();
}
