//! A person's flows in the real Steady window, under Xvfb, driven over
//! WebDriver (tauri-driver -> WebKitWebDriver -> the built app binary).
//!
//! Run through `cargo xtask test`, which builds the app, starts Xvfb and a
//! D-Bus session, and says where the binary and tauri-driver are.

mod common;

use chrono::Datelike;
use common::xdo::{gone, press, window_titled};
use common::*;
use fantoccini::key::Key;
use steady_core::ListQuery;
use steady_model::{CheckIn, TriggerEntry, Visibility};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_survive_a_restart_and_bad_input_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let shots = screenshot_dir();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;

    // Quick check-in from the first screen: a rating, then "Log craving".
    click(&client, "label.scale-step[data-value='6']").await;
    click(&client, "#quick-log").await;
    text_until(&client, ".saved", |t| t.contains("Logged a craving of 6")).await;

    // The same by keyboard alone: focus the scale, arrow to a rating, Enter.
    let first_step = wait_for(&client, "input[name='quick-craving'][value='0']").await;
    first_step.send_keys(" ").await.unwrap();
    // WebDriver focuses the element it types into, so keep typing into
    // whatever has the focus now, as a person would.
    let keys = format!("{}{}{}", Key::Right, Key::Right, Key::Enter);
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&keys)
        .await
        .unwrap();
    text_until(&client, ".saved", |t| t.contains("Logged a craving of 2")).await;

    // The full check-in.
    click(&client, "#open-full-form").await;
    // The craving on the tap scale, words by tapping their chips, one of
    // the patient's own added.
    click(&client, "form label.scale-step[data-value='3']").await;
    wait_for(&client, "#checkin-mood")
        .await
        .select_by_value("-2")
        .await
        .unwrap();
    click(
        &client,
        "#checkin-emotions label.chip[data-word='restless']",
    )
    .await;
    click(&client, "#checkin-halt-tired").await;
    click(&client, "#checkin-halt-lonely").await;
    click(
        &client,
        "#checkin-substances label.chip[data-word='alcohol']",
    )
    .await;
    fill(&client, "#checkin-place", "kitchen").await;
    fill(&client, "#checkin-company", "alone").await;
    click(
        &client,
        "#checkin-coping label.chip[data-word='urge surfing']",
    )
    .await;
    fill(
        &client,
        "#checkin-coping-add",
        &format!("called Sam{}", Key::Enter),
    )
    .await;
    wait_for(
        &client,
        "#checkin-coping label.chip[data-word='called sam'] input:checked",
    )
    .await;
    click(&client, "#checkin-outcome-resisted").await;
    fill(
        &client,
        "#checkin-note",
        "Full check-in from the window test",
    )
    .await;
    click(&client, "#checkin-visibility-private").await;
    click(&client, "#checkin-save").await;
    // A saved check-in opens the history by itself; going there before the
    // save returns would list the log without it.
    wait_for(&client, "#history-heading").await;

    let texts = history_texts(&client, 3).await;
    assert!(texts.iter().any(|t| t.contains("Craving 6")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Craving 2")), "{texts:?}");
    let full = texts
        .iter()
        .find(|t| t.contains("Craving 3"))
        .expect("the full check-in");
    for part in [
        "Mood -2",
        "Rode it out",
        "lonely, tired",
        "alcohol",
        "urge surfing, called Sam",
        "kitchen · alone",
        "Full check-in from the window test",
        "Only on this device",
    ] {
        assert!(full.contains(part), "{part:?} missing from {full:?}");
    }

    // The words added before are offered again; a time next year gets
    // Rust's message beside the field, and nothing is stored.
    click(&client, "#nav-checkin").await;
    wait_for(
        &client,
        "#checkin-coping label.chip[data-word='called sam']",
    )
    .await;
    click(&client, "form label.scale-step[data-value='4']").await;
    let next_year = format!("{}-06-01T12:00", chrono::Utc::now().year() + 1);
    set_value(&client, "#checkin-at", &next_year).await;
    click(&client, "#checkin-save").await;
    let msg = text_until(&client, "#checkin-at-error", |t| !t.is_empty()).await;
    assert!(msg.contains("in the future"), "{msg}");
    history_texts(&client, 3).await;

    // An empty trigger description: the message beside it, nothing stored.
    click(&client, "#nav-triggers").await;
    wait_for(&client, "#trigger-category")
        .await
        .select_by_value("places")
        .await
        .unwrap();
    click(&client, "#trigger-save").await;
    let msg = text_until(&client, "#trigger-description-error", |t| !t.is_empty()).await;
    assert!(msg.starts_with("Describe the trigger"), "{msg}");
    text_until(
        &client,
        "section[aria-labelledby='triggers-heading']",
        |t| t.contains("No triggers logged yet"),
    )
    .await;

    // Every screen at both sizes the layout is made for: a phone and a laptop.
    for (width, height) in [(360, 640), (1280, 800)] {
        for screen in ["today", "checkin", "history", "triggers", "schedule"] {
            click(&client, &format!("#nav-{screen}")).await;
            wait_for(&client, &format!("#{screen}-heading")).await;
            check_layout(&client, width, height, screen, &shots).await;
        }
        // The changed forms, each at the part that changed: the check-in's
        // chips, the session form's folded sections, the pairing form.
        for (nav, open, part, name) in [
            ("checkin", None, "#checkin-emotions", "checkin-chips"),
            (
                "schedule",
                Some("#add-event"),
                "#event-duration_minutes",
                "event-form",
            ),
            ("settings", None, "#pair-server", "pairing-form"),
        ] {
            click(&client, &format!("#nav-{nav}")).await;
            if let Some(open) = open {
                click(&client, open).await;
            }
            let el = wait_for(&client, part).await;
            client
                .execute(
                    "arguments[0].scrollIntoView({ block: 'start' }); window.scrollBy(0, -60);",
                    vec![serde_json::to_value(&el).unwrap()],
                )
                .await
                .unwrap();
            check_layout(&client, width, height, name, &shots).await;
            if width == 360 {
                axe(&client, name).await;
            }
            // The session form at a phone's width is no longer a wall: its
            // later sections fold.
            if name == "event-form" && width == 360 {
                let tall = client
                    .execute(
                        "return document.querySelector('form[aria-labelledby=event-form-heading]').getBoundingClientRect().height;",
                        vec![],
                    )
                    .await
                    .unwrap()
                    .as_f64()
                    .unwrap();
                assert!(tall < 1500.0, "the session form is {tall}px tall at 360px");
                println!("session form at 360px: {tall:.0}px tall");
            }
        }
    }
    client.close().await.unwrap();

    // Restart: a new app process on the same data folder.
    let client = driver.open_app().await;
    let texts = history_texts(&client, 3).await;
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Full check-in from the window test")),
        "{texts:?}"
    );
    client.close().await.unwrap();
    drop(driver);

    // What the store holds, read directly from the app's database file.
    let store = app_store(&data.path().join("steady")).await;
    let checkins = store
        .list::<CheckIn>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    let mut cravings: Vec<u8> = checkins.iter().map(|e| e.data.craving.value()).collect();
    cravings.sort();
    assert_eq!(
        cravings,
        [2, 3, 6],
        "only the three valid check-ins are stored"
    );
    let full = checkins
        .iter()
        .find(|e| e.data.craving.value() == 3)
        .unwrap();
    assert_eq!(full.data.visibility, Visibility::Private);
    assert_eq!(full.data.mood.map(|m| m.value()), Some(-2));
    assert!(full.data.halt.tired && full.data.halt.lonely && !full.data.halt.hungry);
    let triggers = store
        .list::<TriggerEntry>(&ListQuery::default())
        .await
        .unwrap()
        .items;
    assert!(triggers.is_empty(), "the refused trigger was not stored");
    store.close().await;
}

/// "I'm struggling" is one tap away from every scroll position: at the end
/// of the longest screen (a new session's form, at 360x640) the button
/// floats in the corner, uncovered, and opens the patient's plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn im_struggling_is_one_tap_away_at_the_bottom_of_the_longest_screen() {
    let data = tempfile::tempdir().unwrap();
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;
    client.set_window_size(360, 640).await.unwrap();
    click(&client, "#nav-schedule").await;
    click(&client, "#add-event").await;
    wait_for(&client, "#struggling").await;
    assert!(
        client
            .find(fantoccini::Locator::Css("#struggling-floating"))
            .await
            .is_err(),
        "nothing floats while the header's button is on screen"
    );
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(height > 2000, "the longest screen is {height}px tall");
    client
        .execute(
            "window.scrollTo(0, document.documentElement.scrollHeight);",
            vec![],
        )
        .await
        .unwrap();
    let floating = wait_for(&client, "#struggling-floating").await;
    let placed = client
        .execute(
            "const b = document.getElementById('struggling-floating');
             const r = b.getBoundingClientRect();
             const top = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
             return {
               inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
               uncovered: top === b || b.contains(top),
               atEnd: Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight,
             };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        placed,
        serde_json::json!({"inside": true, "uncovered": true, "atEnd": true}),
        "the floating button at the end of the page"
    );
    check_layout(&client, 360, 640, "struggling-floating", &screenshot_dir()).await;
    floating.click().await.unwrap();
    wait_for(&client, "#struggling-panel").await;
    text_until(&client, "#struggling-title", |t| {
        t.contains("You reached out")
    })
    .await;
}

/// The schedule goes to another calendar through the system's save dialog:
/// it starts in Downloads with a name a person knows the file by, and the
/// file holds the patient's sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_is_saved_where_the_patient_chooses() {
    let data = tempfile::tempdir().unwrap();
    let downloads = downloads_in(data.path());
    let driver = Driver::start(data.path());
    let client = driver.open_app().await;
    click(&client, "#nav-schedule").await;
    click(&client, "#add-event").await;
    fill(&client, "#event-title", "Relapse prevention group").await;
    let start = (chrono::Local::now() + chrono::TimeDelta::days(2))
        .format("%Y-%m-%dT18:00")
        .to_string();
    set_value(&client, "#event-start", &start).await;
    click(&client, "#event-save").await;
    text_until(
        &client,
        "section[aria-labelledby='schedule-heading']",
        |t| t.contains("Relapse prevention group"),
    )
    .await;

    // On a phone's width, where the note of where it went must not hide
    // under the floating button.
    client.set_window_size(360, 640).await.unwrap();
    let dialog = "Save your Steady schedule";
    let day = || chrono::Local::now().format("%-d %B %Y").to_string();
    let before = day();
    click(&client, "#ics-export").await;
    press(&window_titled(dialog), "Return");
    gone(dialog);
    let said = text_until(&client, "#calendar-message", |t| {
        t.starts_with("Schedule saved as")
    })
    .await;
    let shots = screenshot_dir();
    check_layout(&client, 360, 640, "schedule-saved", &shots).await;
    check_layout(&client, 1280, 800, "schedule-saved", &shots).await;
    let saved: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(said.contains(&saved[0].display().to_string()), "{said}");
    let name = saved[0].file_name().unwrap().to_str().unwrap().to_owned();
    let named = |day: &str| name == format!("Steady schedule – {day}.ics");
    assert!(named(&before) || named(&day()), "{name}");
    let text = std::fs::read_to_string(&saved[0]).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(
        text.contains("SUMMARY:Relapse prevention group\r\n"),
        "{text}"
    );
}
