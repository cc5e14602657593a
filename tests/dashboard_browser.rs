//! The counselor dashboard in headless Chromium (Debian's chromium, driven
//! by chromedriver) against the real server, with a real steady-core client
//! as the patient's app. The story: an admin creates a counselor; the
//! counselor signs in by keyboard, adds a patient and creates a pairing
//! code (with its QR code); the client pairs with it and syncs check-ins
//! including a craving of 9 that ended in a lapse, and a trigger; the open
//! caseload shows the flag without a reload; with thirty patients the
//! counselor finds one by name, filters to the flagged, sorts by last
//! craving and reloads into the same view, and at 390 px every row is a
//! card no wider than the screen; the patient page shows the
//! charts and their text equivalents, and the timeline of what the patient
//! wrote (the lapse's note, paged, filtered by kind);
//! the counselor assigns a worksheet and sends a message, sees the patient's
//! reply unread on the caseload and in the conversation on their page, adds a recurring
//! group session, reviews and comments on a completed worksheet, reads a
//! thought record by its questions and thinking traps' names; the
//! client's next sync has them. Another counselor opening the patient's page
//! gets "no such patient". The admin reads the audit log, filtered. axe-core
//! runs on every page: no WCAG 2.2 A/AA violations, and nothing breaks the
//! page's Content-Security-Policy. An idle page warns, then signs itself out.
//!
//! On SQLite with one server, and on PostgreSQL with two server instances:
//! the browser talks to one, the app syncs through the other, and the live
//! caseload hears it through LISTEN/NOTIFY.
//!
//! Screenshots of the caseload (one patient, thirty, and thirty at 390 px),
//! the patient page and its timeline go to
//! `<target>/e2e-screenshots/dashboard-{caseload,caseload-thirty,caseload-390,patient,patient-timeline}-{sqlite,postgres}.png`.

mod common;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use common::chrome::{Chrome, dashboard_dist};
use common::{axe, click, fill, screenshot_dir, text_until, wait_for};
use fantoccini::{Client, Locator};
use serde_json::json;
use steady_core::{ConsentTerms, ListQuery, Store, SyncClient};
use steady_model::{
    AnswerValue, Assignment, CheckInDraft, Message, Visibility, Worksheet, WorksheetDraft,
    WorksheetStatus,
};
use steady_server::db::{NewUser, Role};
use steady_server::testing::{TestDb, staff, start_with};

const PASSWORD: &str = "river stone lantern 42";

/// A screenshot of the whole page, not just the window.
async fn shot(client: &Client, name: &str) {
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(1000)
        .clamp(600, 6000);
    client
        .set_window_size(1280, height as u32 + 140)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = client.screenshot().await.unwrap();
    client.set_window_size(1280, 1000).await.unwrap();
    let path = screenshot_dir().join(format!("dashboard-{name}.png"));
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
}

/// Presses keys on whatever has focus.
async fn keys(client: &Client, text: &str) {
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Tabs forward until the focused element matches `css`, as a keyboard user
/// would; fails if it is never reached.
async fn tab_to(client: &Client, css: &str) {
    for _ in 0..60 {
        let here = client
            .execute(
                "return document.activeElement && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if here == json!(true) {
            return;
        }
        keys(client, TAB).await;
    }
    panic!("{css} cannot be reached with the Tab key");
}

async fn sign_in_with_mouse(client: &Client, email: &str) {
    password_with_mouse(client, email).await;
    wait_for(client, "nav[aria-label=Main]").await;
}

async fn password_with_mouse(client: &Client, email: &str) {
    fill(client, "#email", email).await;
    fill(client, "#password", PASSWORD).await;
    click(client, "form button[type=submit]").await;
}

/// The code an authenticator app shows now for `secret` (base32).
fn totp_code(secret: &str) -> String {
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(secret.to_owned())
            .to_bytes()
            .unwrap(),
        Some("Steady".into()),
        "admin".into(),
    )
    .unwrap();
    totp.generate(chrono::Utc::now().timestamp() as u64)
}

async fn sign_out(client: &Client) {
    click(client, ".who button").await;
    wait_for(client, "#email").await;
}

/// Runs `fetch` in the page and returns the status.
async fn page_fetch_status(client: &Client, path: &str) -> u64 {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], { credentials: 'same-origin' }).then((r) => done(r.status), () => done(0));",
            vec![json!(path)],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// A caseload of thirty: Ana (flagged), Ben (sharing, a craving of 4 an
/// hour ago, three hours of group this week, no flags) and twenty-eight
/// patients not paired yet. The counselor finds Ben by name, filters to
/// flagged patients, sorts by last craving, and reloads into the same
/// view; at 390 px the page is no wider than the screen.
async fn triage(browser: &Client, db: &TestDb, any: &steady_server::db::Db, backend: &str) {
    let (dana, _) = any
        .user_by_email("dana@clinic.example")
        .await
        .unwrap()
        .unwrap();
    for name in [
        "Alex M.",
        "Bea T.",
        "Carmen V.",
        "Dev P.",
        "Eli S.",
        "Fran K.",
        "Gus W.",
        "Hana O.",
        "Ivan L.",
        "Jo N.",
        "Kai D.",
        "Lena F.",
        "Marco B.",
        "Nia C.",
        "Omar H.",
        "Pia R.",
        "Quinn A.",
        "Rosa E.",
        "Sam G.",
        "Tess J.",
        "Uma Q.",
        "Vic Y.",
        "Wren Z.",
        "Xavi U.",
        "Yara I.",
        "Zoe X.",
        "José P.",
        "Mia L.",
    ] {
        any.create_patient(&dana, name).await.unwrap();
    }
    let ben = any.create_patient(&dana, "Ben K.").await.unwrap();
    let code = steady_server::testing::pairing_code(db, &dana, &ben.id).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ben"), &common::store_key())
        .await
        .unwrap();
    let client = SyncClient::new();
    let sync_base = browser.current_url().await.unwrap();
    let sync_base = sync_base.origin().ascii_serialization();
    client
        .pair(
            &store,
            &sync_base,
            &code,
            ConsentTerms {
                recipient: "Riverside IOP".into(),
                kinds: ["checkin", "event", "attendance", "program"]
                    .map(String::from)
                    .to_vec(),
                purpose: "treatment".into(),
                expires_at: Utc::now() + TimeDelta::days(90),
            },
            "Ben's phone",
        )
        .await
        .unwrap();
    let now = Utc::now().fixed_offset();
    store
        .create::<steady_model::Program>(steady_model::ProgramDraft {
            level: "iop".into(),
            clinic: "Riverside IOP".into(),
            start: Some(now.date_naive() - TimeDelta::days(20)),
            visibility: Visibility::CareTeam,
            ..Default::default()
        })
        .await
        .unwrap();
    let start = now - TimeDelta::hours(3);
    let group = store
        .create::<steady_model::Event>(steady_model::EventDraft {
            title: "Relapse-prevention group".into(),
            kind: "relapse_prevention".into(),
            start: Some(start.naive_local()),
            zone: "UTC".into(),
            duration_minutes: 180,
            visibility: Visibility::CareTeam,
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .create::<steady_model::Attendance>(steady_model::AttendanceDraft {
            event_id: group.id,
            occurrence: start.naive_local(),
            at: now,
            status: "attended".into(),
            minutes: 180,
            visibility: Visibility::CareTeam,
        })
        .await
        .unwrap();
    store
        .create::<steady_model::CheckIn>(CheckInDraft {
            at: Some(now - TimeDelta::hours(1)),
            craving: 4,
            visibility: Visibility::CareTeam,
            ..CheckInDraft::default()
        })
        .await
        .unwrap();
    client.sync(&store).await.unwrap();

    browser.refresh().await.unwrap();
    text_until(browser, "#caseload-count", |t| t == "30 patients").await;
    let ben_row = format!("tr[data-patient='{}']", ben.id);
    let row = text_until(browser, &ben_row, |t| t.contains("4 of 10")).await;
    assert!(
        row.contains("No flags") && row.contains("3 of 9 hours") && row.contains("Sharing"),
        "{row}"
    );

    // Search by name, any case, the other rows gone.
    fill(browser, "#caseload-search", "ben").await;
    text_until(browser, "#caseload-count", |t| {
        t.starts_with("Showing 1 of 30 patients")
    })
    .await;
    let rows = row_names(browser).await;
    assert_eq!(rows, ["Ben K."]);
    axe(browser, "caseload (search)").await;
    click(browser, "#caseload-count button").await;
    text_until(browser, "#caseload-count", |t| t == "30 patients").await;

    // Flagged patients only.
    browser
        .find(Locator::Css("#caseload-show"))
        .await
        .unwrap()
        .select_by_value("flagged")
        .await
        .unwrap();
    text_until(browser, "#caseload-count", |t| {
        t.starts_with("Showing 1 of 30")
    })
    .await;
    assert_eq!(row_names(browser).await, ["Ana R."]);
    axe(browser, "caseload (flagged only)").await;

    // Everyone by name, then by last craving: Ana's 9, Ben's 4, then
    // those not sharing.
    browser
        .find(Locator::Css("#caseload-show"))
        .await
        .unwrap()
        .select_by_value("all")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#caseload-sort"))
        .await
        .unwrap()
        .select_by_value("name")
        .await
        .unwrap();
    text_until(browser, "#caseload caption", |t| t.contains("name, a to z")).await;
    assert_eq!(
        row_names(browser).await[..3],
        ["Alex M.", "Ana R.", "Bea T."]
    );
    browser
        .find(Locator::Css("#caseload-sort"))
        .await
        .unwrap()
        .select_by_value("craving")
        .await
        .unwrap();
    text_until(browser, "#caseload caption", |t| {
        t.contains("highest last craving")
    })
    .await;
    let order = row_names(browser).await;
    assert_eq!(order[..2], ["Ana R.", "Ben K."], "{order:?}");
    assert_eq!(order.len(), 30);
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.fragment(), Some("/?sort=craving"), "{url}");
    browser.refresh().await.unwrap();
    text_until(browser, "#caseload caption", |t| {
        t.contains("highest last craving")
    })
    .await;
    assert_eq!(row_names(browser).await[..2], ["Ana R.", "Ben K."]);
    let sort = browser
        .find(Locator::Css("#caseload-sort"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(sort.as_deref(), Some("craving"));
    axe(browser, "caseload (thirty, by last craving)").await;
    shot(browser, &format!("caseload-thirty-{backend}")).await;

    // A phone's width: every row a card, nothing wider than the screen.
    browser.set_window_size(390, 844).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let wide = browser
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (wide[0].as_u64().unwrap(), wide[1].as_u64().unwrap());
    assert!(
        scroll <= inner,
        "the caseload is {scroll} px wide in a {inner} px window"
    );
    axe(browser, "caseload (390 px)").await;
    let tall = browser
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap();
    let tall = tall.as_u64().unwrap().clamp(844, 3000) as u32;
    browser.set_window_size(390, tall.min(1600)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = browser.screenshot().await.unwrap();
    let path = common::screenshot_dir().join(format!("dashboard-caseload-390-{backend}.png"));
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
    browser.set_window_size(1280, 1000).await.unwrap();
    browser
        .find(Locator::Css("#caseload-sort"))
        .await
        .unwrap()
        .select_by_value("risk")
        .await
        .unwrap();
    text_until(browser, "#caseload caption", |t| t.contains("most urgent")).await;
}

/// The patients' names in the caseload's rows, top to bottom.
async fn row_names(browser: &Client) -> Vec<String> {
    let names = browser
        .execute(
            "return [...document.querySelectorAll('#caseload tbody th a')].map((a) => a.textContent.trim());",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(names).unwrap()
}

async fn story(db: TestDb, two_instances: bool) {
    let backend = if two_instances { "postgres" } else { "sqlite" };
    let dist = dashboard_dist();
    let settings = || {
        let mut s = db.settings();
        s.dashboard_dir = Some(dist.clone());
        s
    };
    let a = start_with(settings()).await;
    let b = if two_instances {
        Some(start_with(settings()).await)
    } else {
        None
    };
    let base = format!("http://{}", a.addr);
    // The app syncs through the other instance when there are two.
    let sync_base = format!("http://{}", b.as_ref().map_or(a.addr, |b| b.addr));
    let admin = staff(&db, "admin@clinic.example", PASSWORD, Role::Admin).await;
    let any = steady_server::db::connect(db.url()).await.unwrap();
    let chrome = Chrome::start();

    // The admin creates a counselor.
    let browser = chrome.open(&base, "admin").await;
    wait_for(&browser, "#email").await;
    axe(&browser, "sign-in").await;
    // An admin sets up a second factor before anything else: the QR code
    // (or the key typed into the app), the app's first code, and the ten
    // recovery codes, shown once.
    password_with_mouse(&browser, "admin@clinic.example").await;
    text_until(&browser, "#page-title", |t| t == "Set up a second factor").await;
    axe(&browser, "second factor set-up").await;
    click(&browser, "#begin").await;
    let secret = text_until(&browser, "#secret", |t| t.len() >= 32).await;
    wait_for(&browser, "svg.qr").await;
    axe(&browser, "second factor QR code").await;
    shot(&browser, &format!("second-factor-{backend}")).await;
    let first_code = totp_code(&secret);
    fill(&browser, "#code", &first_code).await;
    click(&browser, "form button[type=submit]").await;
    let recovery = text_until(&browser, "ul.recovery", |t| t.lines().count() == 10).await;
    let recovery: Vec<String> = recovery.lines().map(|l| l.trim().to_owned()).collect();
    axe(&browser, "recovery codes").await;
    click(&browser, "#saved").await;
    wait_for(&browser, "nav[aria-label=Main]").await;
    text_until(&browser, "#page-title", |t| t == "Staff").await;
    fill(&browser, "#s-name", "Dana Counselor").await;
    fill(&browser, "#s-email", "dana@clinic.example").await;
    fill(&browser, "#s-password", "short").await;
    // The browser's own check stops a short password; the server's is
    // tried by clearing minlength, so its message shows beside the form.
    browser
        .execute(
            "document.getElementById('s-password').removeAttribute('minlength');",
            vec![],
        )
        .await
        .unwrap();
    click(&browser, "form button[type=submit]").await;
    text_until(&browser, "form .error", |t| t.contains("12")).await;
    fill(&browser, "#s-password", PASSWORD).await;
    click(&browser, "form button[type=submit]").await;
    text_until(&browser, "form .ok", |t| t.contains("Added Dana Counselor")).await;
    text_until(&browser, "table", |t| t.contains("dana@clinic.example")).await;
    axe(&browser, "staff").await;
    click(&browser, "a[href='#/admin/devices']").await;
    text_until(&browser, "main", |t| {
        t.contains("No device has been paired yet")
    })
    .await;
    axe(&browser, "devices (none)").await;
    sign_out(&browser).await;
    text_until(&browser, "main", |t| t.contains("You are signed out")).await;
    browser.close().await.unwrap();

    // The counselor signs in with the keyboard alone.
    let browser = chrome.open(&base, "dana").await;
    wait_for(&browser, "#email").await;
    tab_to(&browser, "#email").await;
    keys(&browser, "dana@clinic.example").await;
    keys(&browser, TAB).await;
    keys(&browser, PASSWORD).await;
    keys(&browser, ENTER).await;
    text_until(&browser, "#page-title", |t| t == "Caseload").await;
    text_until(&browser, "main", |t| t.contains("No patients yet")).await;
    axe(&browser, "caseload (empty)").await;

    // Adds a patient and opens their page, by keyboard too.
    tab_to(&browser, "#patient-name").await;
    keys(&browser, "Ana R.").await;
    keys(&browser, ENTER).await;
    wait_for(&browser, "#caseload").await;
    text_until(&browser, "#added", |t| t.contains("Added Ana R.")).await;
    tab_to(&browser, "#added a").await;
    keys(&browser, ENTER).await;
    text_until(&browser, "#page-title", |t| t == "Ana R.").await;
    text_until(&browser, "main", |t| t.contains("not sharing with you")).await;
    tab_to(&browser, "#pairing-title ~ button").await;
    keys(&browser, ENTER).await;
    let code = text_until(&browser, "#pairing-code", |t| t.len() == 11).await;
    let qr = wait_for(&browser, "svg.qr").await;
    assert!(
        qr.attr("aria-label")
            .await
            .unwrap()
            .unwrap_or_default()
            .contains(&code)
    );
    // The page's pairing link is one the app reads: this server, this code.
    let link = wait_for(&browser, "#pairing-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let read = steady_core::PairLink::parse(&link).unwrap();
    assert_eq!(
        (read.server.as_str(), read.code.as_str()),
        (base.as_str(), code.as_str())
    );
    axe(&browser, "patient (pairing)").await;
    let patient_url = browser.current_url().await.unwrap();
    let patient_id = patient_url
        .fragment()
        .unwrap()
        .trim_start_matches("/patients/")
        .to_owned();

    // The app pairs with the code and shares.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("app"), &common::store_key())
        .await
        .unwrap();
    let client = SyncClient::new();
    client
        .pair(
            &store,
            &sync_base,
            &code.to_lowercase(),
            ConsentTerms {
                recipient: "Riverside IOP".into(),
                kinds: [
                    "checkin",
                    "trigger",
                    "worksheet",
                    "plan",
                    "event",
                    "attendance",
                ]
                .map(String::from)
                .to_vec(),
                purpose: "treatment".into(),
                expires_at: Utc::now() + TimeDelta::days(90),
            },
            "Ana's phone",
        )
        .await
        .unwrap();
    // Three weeks of evening check-ins in Denver, then two today.
    let denver = chrono::FixedOffset::west_opt(7 * 3600).unwrap();
    for days_ago in 1..=21i64 {
        let at = (Utc::now() - TimeDelta::days(days_ago)).with_timezone(&denver);
        let at = at
            .date_naive()
            .and_hms_opt(18 + (days_ago % 5) as u32, 15, 0)
            .unwrap();
        store
            .create::<steady_model::CheckIn>(CheckInDraft {
                at: Some(at.and_local_timezone(denver).unwrap()),
                craving: ((days_ago * 3) % 8) as i32,
                halt: steady_model::Halt {
                    tired: days_ago % 3 == 0,
                    lonely: days_ago % 4 == 0,
                    ..Default::default()
                },
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            })
            .await
            .unwrap();
    }
    for craving in [3, 5] {
        store
            .create::<steady_model::CheckIn>(CheckInDraft {
                craving,
                visibility: Visibility::CareTeam,
                ..CheckInDraft::default()
            })
            .await
            .unwrap();
    }
    client.sync(&store).await.unwrap();

    // The caseload is open; a craving of 9 arrives without a reload.
    click(&browser, "a[href='#/']").await;
    let row = format!("tr[data-patient='{patient_id}']");
    text_until(&browser, &row, |t| t.contains("No flags")).await;
    text_until(&browser, "#live-state", |t| t.starts_with("Live")).await;
    browser
        .execute("window.__sameDocument = 'yes';", vec![])
        .await
        .unwrap();
    store
        .create::<steady_model::CheckIn>(CheckInDraft {
            craving: 9,
            note: "after the argument".into(),
            outcome: Some("used".into()),
            place: "home".into(),
            visibility: Visibility::CareTeam,
            ..CheckInDraft::default()
        })
        .await
        .unwrap();
    store
        .create::<steady_model::TriggerEntry>(steady_model::TriggerDraft {
            category: "people".into(),
            description: "my brother came by drunk".into(),
            intensity: 7,
            visibility: Visibility::CareTeam,
            ..Default::default()
        })
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    let flagged = text_until(&browser, &row, |t| t.contains("Craving")).await;
    wait_for(&browser, &format!("{row} [data-flag=high_craving]")).await;
    let same = browser
        .execute("return window.__sameDocument || 'reloaded';", vec![])
        .await
        .unwrap();
    assert_eq!(same, json!("yes"), "the page was reloaded");
    println!("caseload row, live: {flagged:?}");
    axe(&browser, "caseload (flagged)").await;
    shot(&browser, &format!("caseload-{backend}")).await;

    triage(&browser, &db, &any, backend).await;

    // The patient page: charts with text equivalents, 30 and 90 days.
    click(&browser, &format!("{row} a")).await;
    text_until(&browser, "#page-title", |t| t == "Ana R.").await;
    let desc = text_until(&browser, "#trend-desc", |t| t.contains("check-ins")).await;
    assert!(
        desc.contains("24 check-ins") && desc.contains("highest craving 9"),
        "{desc}"
    );
    let heat = text_until(&browser, "#heatmap-desc", |t| t.contains("Most check-ins")).await;
    println!("trend: {desc}\nheatmap: {heat}");
    click(&browser, "button[aria-pressed=false]").await;
    text_until(&browser, "button[aria-pressed=true]", |t| t.contains("90")).await;
    text_until(&browser, "#trend-desc", |t| t.contains("of 90 days")).await;

    // What the patient wrote: the lapse with its note, on their own clock,
    // beside the trigger; 25 entries in the last 30 days, 20 a page.
    let count = text_until(&browser, "#timeline-count", |t| t.contains("entries")).await;
    assert!(
        count.starts_with("25 entries, 1 with a lapse reported; showing 1–20"),
        "{count}"
    );
    let lapse = text_until(&browser, "#timeline li.lapse", |t| {
        t.contains("after the argument")
    })
    .await;
    for words in [
        "lapse reported",
        "Craving",
        "9 of 10",
        "Where",
        "home",
        "Outcome",
        "Used",
    ] {
        assert!(lapse.contains(words), "{words:?} in {lapse:?}");
    }
    let trigger = text_until(&browser, "#timeline li[data-kind=trigger]", |t| {
        t.contains("Trigger: People")
    })
    .await;
    assert!(
        trigger.contains("my brother came by drunk") && trigger.contains("7 of 10"),
        "{trigger}"
    );
    shot(&browser, &format!("patient-timeline-{backend}")).await;
    click(&browser, "#timeline-older").await;
    text_until(&browser, "#timeline-count", |t| t.contains("showing 21–25")).await;
    wait_for(&browser, "#timeline li[data-kind=checkin]").await;
    browser
        .find(Locator::Css("#timeline-kind"))
        .await
        .unwrap()
        .select_by_value("trigger")
        .await
        .unwrap();
    click(&browser, "form.filters button[type=submit]").await;
    text_until(&browser, "#timeline-count", |t| t.starts_with("1 entry;")).await;
    axe(&browser, "patient").await;

    // Assign a worksheet with a due date, and send a check-up message.
    let due = (Utc::now() + TimeDelta::days(7)).date_naive();
    browser
        .find(Locator::Css("#assign-template"))
        .await
        .unwrap()
        .select_by_value("coping-card")
        .await
        .unwrap();
    // A date input takes the date as the browser's locale types it.
    browser
        .execute(
            "const el = document.getElementById('assign-due'); el.value = arguments[0]; el.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(due.to_string())],
        )
        .await
        .unwrap();
    fill(&browser, "#assign-note", "Try it before Friday's group.").await;
    click(&browser, "#assign-title ~ form button[type=submit]").await;
    text_until(&browser, "#assign-title ~ form .ok", |t| {
        t.contains("Assigned")
    })
    .await;
    fill(&browser, "#message-text", "How did the weekend go?").await;
    click(&browser, "#messages-title ~ form button[type=submit]").await;
    text_until(&browser, "#messages-title ~ form .ok", |t| {
        t.contains("Message sent")
    })
    .await;
    text_until(&browser, "section:has(#messages-title)", |t| {
        t.contains("How did the weekend go?") && t.contains("not read yet")
    })
    .await;

    // The app's next sync has both.
    client.sync(&store).await.unwrap();
    let query = ListQuery {
        limit: ListQuery::MAX_LIMIT,
        ..ListQuery::default()
    };
    let assignments = store.list::<Assignment>(&query).await.unwrap().items;
    assert_eq!(assignments.len(), 1);
    let assignment = &assignments[0];
    assert_eq!(assignment.data.template, "coping-card");
    assert_eq!(assignment.data.due, Some(due));
    assert_eq!(assignment.data.from, "Dana Counselor");
    let messages = store.list::<Message>(&query).await.unwrap().items;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].data.text, "How did the weekend go?");

    // The patient replies while the counselor is on the caseload (an open
    // patient's page would show the reply at once, and so read it). The
    // caseload shows it unread; the patient's page shows the conversation
    // in order, and showing it is reading it.
    click(&browser, "a[href='#/']").await;
    text_until(&browser, "#live-state", |t| t.starts_with("Live")).await;
    store
        .create::<steady_model::Reply>(steady_model::ReplyDraft {
            text: "Hard on Saturday. Went to a meeting Sunday.".into(),
            in_reply_to: Some(messages[0].id),
        })
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    let unread = format!("tr[data-patient='{patient_id}'] a.unread");
    text_until(&browser, &unread, |t| t == "1 unread reply").await;
    axe(&browser, "caseload (unread reply)").await;
    click(&browser, &unread).await;
    let conversation = text_until(&browser, "#conversation", |t| {
        t.contains("Went to a meeting Sunday")
    })
    .await;
    let (asked, answered) = (
        conversation.find("How did the weekend go?").unwrap(),
        conversation.find("Hard on Saturday").unwrap(),
    );
    assert!(asked < answered, "oldest first: {conversation}");
    axe(&browser, "patient (conversation)").await;
    // With the page open, the next reply appears as the device syncs.
    store
        .create::<steady_model::Reply>(steady_model::ReplyDraft {
            text: "Called Sam tonight instead.".into(),
            in_reply_to: Some(messages[0].id),
        })
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    text_until(&browser, "#conversation", |t| {
        t.contains("Called Sam tonight instead.")
    })
    .await;
    text_until(&browser, "#patient-updated", |t| {
        t.starts_with("Updated") && t.contains("Ana R.")
    })
    .await;
    click(&browser, "a[href='#/']").await;
    text_until(&browser, &format!("tr[data-patient='{patient_id}']"), |t| {
        t.contains("Ana R.") && !t.contains("unread")
    })
    .await;
    click(&browser, &format!("tr[data-patient='{patient_id}'] th a")).await;
    text_until(&browser, "#page-title", |t| t == "Ana R.").await;

    // The patient completes the assigned worksheet; the counselor reads it,
    // comments and marks it reviewed; the app gets both.
    let mut answers = steady_model::Answers::default();
    for (item, text) in [
        ("situation", "Friday evenings alone"),
        ("reminders", "The urge passes"),
        ("actions", "Call Sam"),
    ] {
        answers
            .0
            .insert(item.into(), vec![AnswerValue::Text(text.into())]);
    }
    let sheet = store
        .create::<Worksheet>(WorksheetDraft {
            template: "coping-card".into(),
            version: "1.0.0".into(),
            status: WorksheetStatus::Complete,
            answers,
            visibility: Visibility::CareTeam,
            assignment: Some(assignment.id),
            ..WorksheetDraft::default()
        })
        .await
        .unwrap();
    store
        .save_plan(steady_model::PlanDraft {
            reasons: vec!["Being there for my kids".into()],
            coping_strategies: vec!["Urge surfing for 20 minutes".into()],
            contacts: vec![steady_model::SupportContact {
                name: "Sam".into(),
                relation: "sponsor".into(),
                phone: "555-0142".into(),
            }],
            visibility: Visibility::CareTeam,
            ..steady_model::PlanDraft::default()
        })
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    browser.refresh().await.unwrap();
    text_until(&browser, "section:has(#plan-title)", |t| {
        t.contains("Being there for my kids") && t.contains("Sam (sponsor): 555-0142")
    })
    .await;
    text_until(&browser, "#worksheets-title ~ article", |t| {
        t.contains("Coping card") || t.contains("Completed")
    })
    .await;
    text_until(&browser, "#assign-title ~ ul", |t| t.contains("completed")).await;
    click(&browser, "#worksheets-title ~ article summary").await;
    text_until(&browser, "#worksheets-title ~ article dl", |t| {
        t.contains("Friday evenings alone") && t.contains("Call Sam")
    })
    .await;
    let comment_box = format!("#comment-{}", sheet.id);
    fill(&browser, &comment_box, "Good plan for Fridays.").await;
    click(
        &browser,
        "#worksheets-title ~ article form button[type=submit]",
    )
    .await;
    text_until(&browser, "#worksheets-title ~ article", |t| {
        t.contains("Good plan for Fridays.")
    })
    .await;
    click(&browser, "#worksheets-title ~ article > button").await;
    text_until(&browser, "#worksheets-title ~ article", |t| {
        t.contains("Reviewed by Dana Counselor")
    })
    .await;
    axe(&browser, "patient (worksheet reviewed)").await;
    client.sync(&store).await.unwrap();
    let reviewed = store.get::<Worksheet>(sheet.id).await.unwrap();
    assert_eq!(
        reviewed.data.review.as_ref().map(|r| r.by.as_str()),
        Some("Dana Counselor")
    );
    assert_eq!(
        reviewed.data.comments.as_ref().map(|c| c[0].text.as_str()),
        Some("Good plan for Fridays.")
    );

    // A thought record reads with the template's questions and the
    // thinking traps' names: never its keys or codes.
    let group = |pairs: Vec<(&str, AnswerValue)>| {
        AnswerValue::Group(steady_model::Answers(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), vec![v]))
                .collect(),
        ))
    };
    let text = |t: &str| AnswerValue::Text(t.into());
    let mut thought = steady_model::Answers::default();
    for (item, values) in [
        (
            "situation",
            vec![group(vec![
                ("situation.who", text("my brother")),
                ("situation.what", text("he came by drunk")),
            ])],
        ),
        (
            "moods",
            vec![
                group(vec![
                    ("moods.mood", text("angry")),
                    ("moods.rating", AnswerValue::Integer(80)),
                ]),
                group(vec![
                    ("moods.mood", text("ashamed")),
                    ("moods.rating", AnswerValue::Integer(60)),
                ]),
            ],
        ),
        (
            "thoughts",
            vec![group(vec![
                ("thoughts.thought", text("I will never get better")),
                ("thoughts.hot", AnswerValue::Boolean(true)),
            ])],
        ),
        (
            "distortions",
            vec![text("all-or-nothing"), text("overgeneralization")],
        ),
        (
            "balanced",
            vec![group(vec![
                (
                    "balanced.thought",
                    text("one bad night is not the whole story"),
                ),
                ("balanced.belief", AnswerValue::Integer(70)),
            ])],
        ),
    ] {
        thought.0.insert(item.into(), values);
    }
    let record = store
        .create::<Worksheet>(WorksheetDraft {
            template: "cbt-thought-record".into(),
            version: "1.0.0".into(),
            answers: thought,
            visibility: Visibility::CareTeam,
            ..WorksheetDraft::default()
        })
        .await
        .unwrap();
    // The craving scale adapted to the substance the patient names.
    let mut craving = steady_model::Answers::default();
    for (item, value) in [
        ("substance", "meth"),
        ("frequency", "2"),
        ("intensity", "6"),
        ("duration", "1"),
        ("resistance", "3"),
        ("overall", "2"),
    ] {
        craving
            .0
            .insert(item.into(), vec![AnswerValue::Text(value.into())]);
    }
    let scale = store
        .create::<Worksheet>(WorksheetDraft {
            template: "craving-scale".into(),
            version: "1.0.0".into(),
            status: WorksheetStatus::Complete,
            answers: craving,
            visibility: Visibility::CareTeam,
            ..WorksheetDraft::default()
        })
        .await
        .unwrap();
    client.sync(&store).await.unwrap();
    browser.refresh().await.unwrap();
    let scale_article = format!("article[aria-labelledby='ws-{}']", scale.id);
    click(&browser, &format!("{scale_article} summary")).await;
    let read = text_until(&browser, &format!("{scale_article} dl.answers"), |t| {
        t.contains("using meth")
    })
    .await;
    for words in [
        "Which substance are these questions about?",
        "how strong was your craving for meth during the past week?",
        "Strong urge and would have used meth if it were available",
    ] {
        assert!(read.contains(words), "{words:?} in {read:?}");
    }
    assert!(!read.contains('{') && !read.contains("drink"), "{read}");
    let article = format!("article[aria-labelledby='ws-{}']", record.id);
    click(&browser, &format!("{article} summary")).await;
    let read = text_until(&browser, &format!("{article} dl.answers"), |t| {
        t.contains("he came by drunk")
    })
    .await;
    for words in [
        "1. Situation",
        "Who",
        "my brother",
        "How strong (0-100%)",
        "80",
        "ashamed",
        "This is the hot thought",
        "Yes",
        "Thinking traps in the hot thought",
        "All-or-nothing thinking; Overgeneralization",
        "How much you believe it (0-100%)",
        "70",
    ] {
        assert!(read.contains(words), "{words:?} in {read:?}");
    }
    for key in ["situation.", "moods.", "balanced.", "all-or-nothing"] {
        assert!(!read.contains(key), "{key:?} shown: {read:?}");
    }
    assert_eq!(
        browser
            .find_all(Locator::Css(&format!(
                "{article} dl.group[data-group=moods]"
            )))
            .await
            .unwrap()
            .len(),
        2,
        "one block per mood"
    );
    axe(&browser, "patient (thought record)").await;
    browser
        .execute(
            &format!("document.querySelector(\"{article} details\").open = true;"),
            vec![],
        )
        .await
        .unwrap();
    shot(&browser, &format!("patient-{backend}")).await;

    // A recurring group session for the patient.
    click(&browser, "a[href='#/groups']").await;
    text_until(&browser, "#page-title", |t| t == "Group sessions").await;
    fill(&browser, "#g-title", "Relapse prevention").await;
    browser
        .execute(
            "const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); };
             set('g-date', arguments[0]); set('g-zone', 'America/Denver');",
            vec![json!((Utc::now() + TimeDelta::days(3)).date_naive().to_string())],
        )
        .await
        .unwrap();
    click(&browser, "input[value=TU]").await;
    click(&browser, "input[value=TH]").await;
    click(&browser, &format!("input[value='{patient_id}']")).await;
    axe(&browser, "group sessions").await;
    click(&browser, "form .actions button").await;
    text_until(&browser, "form .ok", |t| t.contains("to 1 patients")).await;
    client.sync(&store).await.unwrap();
    let events = store
        .list::<steady_model::Event>(&query)
        .await
        .unwrap()
        .items;
    let group = events
        .iter()
        .find(|e| e.data.title == "Relapse prevention")
        .expect("the group session reached the app");
    assert_eq!(
        group.data.recurrence.as_ref().and_then(|r| r.count),
        Some(12)
    );
    sign_out(&browser).await;
    browser.close().await.unwrap();

    // Another counselor of the clinic opening Ana's page finds nothing.
    any.create_user(&NewUser {
        clinic_id: admin.clinic_id.clone(),
        email: "yusuf@clinic.example".into(),
        name: "Yusuf Counselor".into(),
        role: Role::Counselor,
        password_hash: steady_server::secret::hash_password(PASSWORD).unwrap(),
    })
    .await
    .unwrap();
    let browser = chrome.open(&base, "yusuf").await;
    sign_in_with_mouse(&browser, "yusuf@clinic.example").await;
    browser
        .goto(&format!("{base}/#/patients/{patient_id}"))
        .await
        .unwrap();
    text_until(&browser, "#page-title", |t| {
        t == "No such patient on your caseload"
    })
    .await;
    let status = page_fetch_status(&browser, &format!("/v1/patients/{patient_id}/insights")).await;
    assert_eq!(status, 404);
    axe(&browser, "patient (not yours)").await;
    sign_out(&browser).await;
    browser.close().await.unwrap();

    // The admin sees the device and every page view in the audit log.
    // Signing in again asks for the code: the one already used is refused
    // (a code is taken once), a recovery code works.
    let browser = chrome.open(&base, "admin-again").await;
    wait_for(&browser, "#email").await;
    password_with_mouse(&browser, "admin@clinic.example").await;
    text_until(&browser, "#page-title", |t| t == "Enter your code").await;
    axe(&browser, "second factor code").await;
    fill(&browser, "#code", &first_code).await;
    click(&browser, "form button[type=submit]").await;
    text_until(&browser, "#code-error", |t| t.contains("used already")).await;
    fill(&browser, "#code", &recovery[0]).await;
    click(&browser, "form button[type=submit]").await;
    wait_for(&browser, "nav[aria-label=Main]").await;
    click(&browser, "a[href='#/admin/devices']").await;
    text_until(&browser, "main table", |t| {
        t.contains("Ana R.") && t.contains("Ana's phone") && t.contains("Active")
    })
    .await;
    axe(&browser, "devices").await;
    click(&browser, "a[href='#/admin/audit']").await;
    wait_for(&browser, "#audit").await;
    browser
        .find(Locator::Css("#a-action"))
        .await
        .unwrap()
        .select_by_value("read insights")
        .await
        .unwrap();
    click(&browser, "form .actions button").await;
    let rows = text_until(&browser, "#audit tbody", |t| {
        !t.is_empty() && !t.contains("read records")
    })
    .await;
    assert!(
        rows.contains("Dana Counselor") && rows.contains("Ana R."),
        "{rows}"
    );
    let views = rows.matches("read insights").count();
    // The patient page was opened, switched to 90 days and reloaded.
    assert!(views >= 3, "{views} insight reads audited: {rows}");
    axe(&browser, "audit log").await;
    sign_out(&browser).await;
    browser.close().await.unwrap();

    store.close().await;
    a.stop().await.unwrap();
    if let Some(b) = b {
        b.stop().await.unwrap();
    }
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counselor_works_the_dashboard_on_sqlite() {
    story(TestDb::sqlite().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counselor_works_the_dashboard_on_two_servers_sharing_postgres() {
    story(TestDb::postgres().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_page_warns_then_signs_itself_out() {
    let db = TestDb::sqlite().await;
    let mut settings = db.settings();
    settings.dashboard_dir = Some(dashboard_dist());
    // Long enough to run axe on the warning and press its button before
    // the page signs out (the warning comes a third of the time ahead).
    settings.idle = Duration::from_secs(15);
    let server = start_with(settings).await;
    let base = format!("http://{}", server.addr);
    staff(&db, "dana@clinic.example", PASSWORD, Role::Counselor).await;
    let chrome = Chrome::start();
    let browser = chrome.open(&base, "idle").await;
    sign_in_with_mouse(&browser, "dana@clinic.example").await;
    // A warning with a way to stay comes first, and is accessible.
    let warning = text_until(&browser, ".idle-warning", |t| t.contains("signed out in")).await;
    println!("idle warning: {warning:?}");
    axe(&browser, "idle warning").await;
    click(&browser, ".idle-warning button").await;
    let started = Instant::now();
    text_until(&browser, "main", |t| t.contains("signed out after")).await;
    // Staying started the idle time again.
    assert!(started.elapsed() >= Duration::from_secs(12));
    assert_eq!(page_fetch_status(&browser, "/v1/session").await, 401);
    browser.close().await.unwrap();
    server.stop().await.unwrap();
}
