//! Worksheets, the relapse-prevention plan and the "I'm struggling" screen
//! in the real Steady window (tauri-driver -> WebKitWebDriver -> the built
//! app, under Xvfb). Run through `cargo xtask test`.

mod common;

use std::time::{Duration, Instant};

use common::xdo::{gone, press, window_titled};
use common::*;
use fantoccini::{Client, Locator};
use serde_json::Value;
use steady_core::ListQuery;
use steady_model::{Worksheet, WorksheetStatus};

async fn saved(client: &Client) {
    text_until(client, "#sheet-save-state", |t| {
        t == "Saved on this device."
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thought_record_survives_a_killed_app_and_exports_as_fhir() {
    let data = tempfile::tempdir().unwrap();
    let downloads = downloads_in(data.path());
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    click(&client, "#nav-worksheets").await;
    click(&client, "#start-cbt-thought-record").await;
    let situation = "Payday; walked past the bar on Main Street";
    let against = "I have 41 days. I called Sam on Tuesday instead.";
    fill(&client, "#q-situation-0-situation-what-0", situation).await;
    fill(&client, "#q-evidence-against-0", against).await;
    saved(&client).await;
    check_layout(&client, 360, 640, "thought-record", &shots).await;

    // No goodbye: the process is killed as soon as the screen says saved.
    kill_app(data.path());
    let _ = client.close().await;

    let client = driver.open_app().await;
    click(&client, "#nav-worksheets").await;
    text_until(&client, "#sheets-in-progress", |t| {
        t.contains("Thought record")
    })
    .await;
    click(&client, "#sheets-in-progress button").await;
    assert_eq!(
        value_of(&client, "#q-situation-0-situation-what-0").await,
        situation
    );
    assert_eq!(value_of(&client, "#q-evidence-against-0").await, against);

    // Finish it: the required answers, then complete and export.
    fill(&client, "#q-moods-0-moods-mood-0", "anxious").await;
    fill(&client, "#q-moods-0-moods-rating-0", "80").await;
    fill(
        &client,
        "#q-thoughts-0-thoughts-thought-0",
        "I always ruin everything",
    )
    .await;
    fill(
        &client,
        "#q-balanced-0-balanced-thought-0",
        "Paydays are hard, and I have got through hard days before.",
    )
    .await;
    fill(&client, "#q-balanced-0-balanced-belief-0", "70").await;
    saved(&client).await;
    click(&client, "#sheet-complete").await;
    wait_for(&client, "#review-title").await;
    check_layout(&client, 360, 640, "thought-record-review", &shots).await;
    // "Share with my clinic" asks where, starting in Downloads with a name
    // a person knows the file by. Closing the dialog saves nothing.
    let dialog = "Save “Thought record” for your clinic";
    click(&client, "#review-export").await;
    press(&window_titled(dialog), "Escape");
    gone(dialog);
    wait_for(&client, "#review-not-saved").await;
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 0);
    click(&client, "#review-export").await;
    press(&window_titled(dialog), "Return");
    gone(dialog);
    let shown = text_until(&client, "#review-exported .path", |t| !t.is_empty()).await;
    let saved: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved, [std::path::PathBuf::from(&shown)]);
    check_layout(&client, 360, 640, "thought-record-shared", &shots).await;
    check_layout(&client, 1280, 800, "thought-record-shared", &shots).await;

    // One file for the clinic: a FHIR Bundle of the response and its
    // questionnaire.
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&saved[0]).unwrap()).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let response = &bundle["entry"][0]["resource"];
    assert_eq!(response["resourceType"], "QuestionnaireResponse");
    assert_eq!(
        bundle["entry"][0]["fullUrl"],
        format!("urn:uuid:{}", response["id"].as_str().unwrap())
    );
    assert_eq!(
        response["questionnaire"],
        "urn:steady:questionnaire:cbt-thought-record|1.0.0"
    );
    assert_eq!(response["status"], "completed");
    let authored = chrono::DateTime::parse_from_rfc3339(response["authored"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("authored {}: {e}", response["authored"]));
    assert_eq!(
        saved[0].file_name().unwrap().to_str().unwrap(),
        format!("Thought record – {}.json", authored.format("%-d %B %Y"))
    );
    let items = response["item"].as_array().unwrap();
    let links: Vec<&str> = items
        .iter()
        .map(|i| i["linkId"].as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "situation",
            "moods",
            "thoughts",
            "evidence-against",
            "balanced"
        ]
    );
    assert_eq!(items[0]["item"][0]["linkId"], "situation.what");
    assert_eq!(items[0]["item"][0]["answer"][0]["valueString"], situation);
    assert_eq!(items[1]["item"][1]["answer"][0]["valueInteger"], 80);
    assert_eq!(items[3]["answer"][0]["valueString"], against);
    let questionnaire = &bundle["entry"][1]["resource"];
    assert_eq!(questionnaire["resourceType"], "Questionnaire");
    assert_eq!(questionnaire["url"], bundle["entry"][1]["fullUrl"]);
    assert_eq!(questionnaire["version"], "1.0.0");
    client.close().await.unwrap();
    drop(driver);

    let store = app_store(&data.path().join("steady")).await;
    let sheets = store
        .list::<Worksheet>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(sheets.len(), 1, "one worksheet, not a copy per save");
    assert_eq!(sheets[0].data.status, WorksheetStatus::Complete);
    assert_eq!(
        sheets[0].data.answers.groups("situation")[0].text("situation.what"),
        Some(situation)
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i_am_struggling_opens_from_every_screen_with_the_plans_people() {
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    click(&client, "#nav-worksheets").await;
    click(&client, "#open-plan").await;
    fill(&client, "#plan-reasons-0", "my daughter").await;
    fill(&client, "#plan-coping_strategies-0", "walk the dog").await;
    fill(&client, "#plan-contact-name-0", "Sam").await;
    fill(&client, "#plan-contact-relation-0", "sponsor").await;
    fill(&client, "#plan-contact-phone-0", "555-010-0199").await;
    click(&client, "#plan-save").await;
    text_until(&client, ".saved", |t| t.contains("Plan saved")).await;

    for screen in ["today", "schedule", "triggers", "worksheets"] {
        click(&client, &format!("#nav-{screen}")).await;
        click(&client, "#struggling").await;
        let people = text_until(&client, "#struggling-contacts", |t| t.contains("Sam")).await;
        assert!(people.contains("Sam, sponsor"), "{screen}: {people}");
        let call = wait_for(&client, "#struggling-contacts a.call").await;
        assert_eq!(
            call.attr("href").await.unwrap().as_deref(),
            Some("tel:5550100199"),
            "{screen}"
        );
        let crisis = text_until(&client, "#crisis-lines", |t| t.contains("988")).await;
        assert!(crisis.contains("1-800-662-4357"), "{screen}: {crisis}");
        assert!(
            text_until(&client, "#struggling-reasons", |t| !t.is_empty())
                .await
                .contains("my daughter")
        );
        if screen == "today" {
            check_layout(&client, 360, 640, "struggling", &shots).await;
            check_layout(&client, 1280, 800, "struggling", &shots).await;
        }
        click(&client, "#struggling-close").await;
        let deadline = Instant::now() + WAIT;
        while client.find(Locator::Css("#struggling-panel")).await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "{screen}: the panel did not close"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // From inside a worksheet too, and the worksheet is still there after.
    click(&client, "#start-halt-check").await;
    fill(&client, "#q-hungry-0-hungry-plan-0", "eat something").await;
    click(&client, "#struggling").await;
    text_until(&client, "#struggling-contacts", |t| t.contains("Sam")).await;
    click(&client, "#struggling-close").await;
    assert_eq!(
        value_of(&client, "#q-hungry-0-hungry-plan-0").await,
        "eat something"
    );
    client.close().await.unwrap();
}

/// The craving scale for any substance asks in the patient's own word: the
/// questions and answers read "using fentanyl" as soon as it is typed, the
/// total is the PACS's, and the completed worksheet reads the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_craving_scale_asks_about_the_substance_the_patient_names() {
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    click(&client, "#nav-worksheets").await;
    click(&client, "#start-craving-scale").await;
    let description = text_until(&client, "#sheet-title + .hint", |t| !t.is_empty()).await;
    assert!(
        description.contains("adaptation of the Penn Alcohol Craving Scale"),
        "{description}"
    );
    text_until(&client, "form", |t| t.contains("using the substance")).await;
    fill(&client, "#q-substance-0", "fentanyl").await;
    let form = text_until(&client, "form", |t| t.contains("using fentanyl")).await;
    assert!(
        form.contains("would have used fentanyl if it were available"),
        "{form}"
    );
    assert!(
        !form.contains("the substance") && !form.contains("drink"),
        "{form}"
    );
    check_layout(&client, 360, 640, "craving-scale", &shots).await;
    for (item, code) in [
        ("frequency", "3"),
        ("intensity", "5"),
        ("duration", "2"),
        ("resistance", "4"),
        ("overall", "3"),
    ] {
        click(
            &client,
            &format!("input[name='q-{item}-0'][value='{code}']"),
        )
        .await;
    }
    saved(&client).await;
    click(&client, "#sheet-complete").await;
    let score = text_until(&client, "#review-score", |t| !t.is_empty()).await;
    assert_eq!(score, "Craving total (0-30, adapted PACS): 17");
    let review = text_until(&client, "#review-title ~ .card", |t| {
        t.contains("using fentanyl")
    })
    .await;
    assert!(review.contains("fentanyl"), "{review}");
    check_layout(&client, 360, 640, "craving-scale-review", &shots).await;
    check_layout(&client, 1280, 800, "craving-scale-review", &shots).await;
    client.close().await.unwrap();
}
