//! Worksheets, the relapse-prevention plan and crisis lines on real SQLite files.

mod common;

use chrono::{DateTime, FixedOffset};
use common::stamps;
use serde_json::{Value, json};
use steady_core::{Store, StoreError};
use steady_model::{
    Answers, Body, CrisisLine, PlanDraft, Questionnaire, SupportContact, Visibility, Worksheet,
    WorksheetDraft, WorksheetStatus, us_crisis_lines,
};
use tempfile::TempDir;

async fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    (dir, store)
}

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

/// A thought record with every item of the template answered.
fn every_field() -> Answers {
    serde_json::from_value(json!({
        "situation": [{
            "situation.who": ["alone"],
            "situation.what": ["Payday; walked past the bar on the way home"],
            "situation.when": ["Friday, 6 pm"],
            "situation.where": ["Main Street"]
        }],
        "moods": [
            { "moods.mood": ["anxious"], "moods.rating": [80] },
            { "moods.mood": ["ashamed"], "moods.rating": [65] }
        ],
        "thoughts": [
            { "thoughts.thought": ["One drink won't matter"], "thoughts.hot": [false] },
            { "thoughts.thought": ["I always ruin everything anyway"], "thoughts.hot": [true] }
        ],
        "distortions": ["all-or-nothing", "overgeneralization", "labeling"],
        "evidence-for": ["I drank after the last two paydays."],
        "evidence-against": ["I have 41 days.\nI went to group on Tuesday and called Sam."],
        "balanced": [{
            "balanced.thought": ["Paydays are hard, and I have got through hard days before."],
            "balanced.belief": [70]
        }],
        "moods-rerated": [
            { "moods-rerated.mood": ["anxious"], "moods-rerated.rating": [40] },
            { "moods-rerated.mood": ["ashamed"], "moods-rerated.rating": [25] }
        ]
    }))
    .unwrap()
}

fn thought_record(answers: Answers, status: WorksheetStatus) -> WorksheetDraft {
    WorksheetDraft {
        template: "cbt-thought-record".into(),
        version: "1.0.0".into(),
        status,
        started: Some(at("2026-11-20T18:30:00-07:00")),
        completed: None,
        answers,
        visibility: Visibility::CareTeam,
        assignment: None,
    }
}

#[tokio::test]
async fn a_thought_record_round_trips_every_field_through_a_reopen() {
    let (dir, store) = open().await;
    let saved = store
        .create::<Worksheet>(thought_record(every_field(), WorksheetStatus::Complete))
        .await
        .unwrap();
    store.close().await;
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let read = store.get::<Worksheet>(saved.id).await.unwrap();
    assert_eq!(read, saved);
    assert_eq!(read.data.answers, every_field());
    assert_eq!(read.data.status, WorksheetStatus::Complete);
    assert_eq!(read.data.started, at("2026-11-20T18:30:00-07:00"));
    assert_eq!(read.data.started.offset().local_minus_utc(), -7 * 3600);
    assert!(read.data.completed.is_some());
    let template = read.data.template().unwrap();
    for item in &template.item {
        assert!(
            !read.data.answers.get(&item.link_id).is_empty(),
            "{} answered",
            item.link_id
        );
    }
}

#[tokio::test]
async fn each_answer_has_its_own_stamp_and_only_changed_answers_are_restamped() {
    let (_dir, store) = open().await;
    let saved = store
        .create::<Worksheet>(thought_record(every_field(), WorksheetStatus::Draft))
        .await
        .unwrap();
    let before = stamps(&store, saved.id).await;
    for link in [
        "moods",
        "thoughts",
        "evidence-for",
        "balanced",
        "moods-rerated",
    ] {
        assert!(
            before[&format!("answers.{link}")].is_string(),
            "{link} stamped"
        );
    }
    assert!(
        before.get("answers").is_none(),
        "answers are stamped one by one"
    );

    let mut answers = every_field();
    answers.0.insert(
        "evidence-against".into(),
        vec![steady_model::AnswerValue::Text(
            "I have 42 days now.".into(),
        )],
    );
    answers.0.remove("distortions");
    store
        .update::<Worksheet>(saved.id, thought_record(answers, WorksheetStatus::Draft))
        .await
        .unwrap();
    let after = stamps(&store, saved.id).await;
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert_eq!(
        changed,
        ["answers.distortions", "answers.evidence-against"],
        "the edited answer and the removed one, nothing else"
    );
}

#[tokio::test]
async fn complete_needs_every_required_answer_and_reopen_makes_a_draft() {
    let (_dir, store) = open().await;
    let mut partial = every_field();
    partial.0.remove("moods");
    let saved = store
        .create::<Worksheet>(thought_record(partial.clone(), WorksheetStatus::Draft))
        .await
        .unwrap();
    let refused = store
        .update::<Worksheet>(saved.id, thought_record(partial, WorksheetStatus::Complete))
        .await
        .unwrap_err();
    let StoreError::Invalid(problems) = refused else {
        panic!("expected a refusal, got {refused:?}")
    };
    assert!(
        problems
            .for_field("answers.moods")
            .unwrap()
            .contains("needs an answer before the worksheet is complete")
    );
    assert_eq!(
        store.get::<Worksheet>(saved.id).await.unwrap(),
        saved,
        "a refused edit keeps what was stored"
    );

    let done = store
        .update::<Worksheet>(
            saved.id,
            thought_record(every_field(), WorksheetStatus::Complete),
        )
        .await
        .unwrap();
    let completed = done.data.completed.unwrap();
    let mut again = done.data.to_draft();
    again.answers.0.remove("distortions");
    let edited = store.update::<Worksheet>(saved.id, again).await.unwrap();
    assert_eq!(
        edited.data.completed,
        Some(completed),
        "editing keeps when it was completed"
    );
    let mut reopen = edited.data.to_draft();
    reopen.status = WorksheetStatus::Draft;
    let reopened = store.update::<Worksheet>(saved.id, reopen).await.unwrap();
    assert_eq!(reopened.data.status, WorksheetStatus::Draft);
    assert_eq!(reopened.data.completed, None);
}

#[tokio::test]
async fn the_export_is_a_fhir_questionnaire_response_with_its_questionnaire() {
    let (_dir, store) = open().await;
    let draft = store
        .create::<Worksheet>(thought_record(every_field(), WorksheetStatus::Draft))
        .await
        .unwrap();
    let refused = store.export_worksheet(draft.id).await.unwrap_err();
    assert!(refused.to_string().contains("mark it complete first"));

    let mut complete = thought_record(every_field(), WorksheetStatus::Complete);
    complete.completed = Some(at("2026-11-20T19:02:00-07:00"));
    let done = store.update::<Worksheet>(draft.id, complete).await.unwrap();
    let export = store.export_worksheet(done.id).await.unwrap();
    let r = &export.response;
    assert_eq!(r["resourceType"], "QuestionnaireResponse");
    assert_eq!(
        r["questionnaire"],
        "urn:steady:questionnaire:cbt-thought-record|1.0.0"
    );
    assert_eq!(r["status"], "completed");
    assert_eq!(r["authored"], "2026-11-20T19:02:00-07:00");
    assert_eq!(r["id"], done.id.to_string());
    let items = r["item"].as_array().unwrap();
    let links: Vec<&str> = items
        .iter()
        .map(|i| i["linkId"].as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "situation",
            "moods",
            "moods",
            "thoughts",
            "thoughts",
            "distortions",
            "evidence-for",
            "evidence-against",
            "balanced",
            "moods-rerated",
            "moods-rerated"
        ]
    );
    assert_eq!(items[1]["item"][0]["linkId"], "moods.mood");
    assert_eq!(items[1]["item"][0]["answer"][0]["valueString"], "anxious");
    assert_eq!(items[1]["item"][1]["answer"][0]["valueInteger"], 80);
    assert_eq!(items[4]["item"][1]["answer"][0]["valueBoolean"], true);
    assert_eq!(items[5]["answer"].as_array().unwrap().len(), 3);
    assert_eq!(items[5]["answer"][2]["valueCoding"]["code"], "labeling");
    for item in items {
        let answered = item["answer"].as_array().is_some_and(|a| !a.is_empty())
            || item["item"].as_array().is_some_and(|a| !a.is_empty());
        assert!(answered, "{} has answers", item["linkId"]);
    }
    let q = &export.questionnaire;
    assert_eq!(q["resourceType"], "Questionnaire");
    assert_eq!(q["url"], "urn:steady:questionnaire:cbt-thought-record");
    assert_eq!(q["version"], "1.0.0");
    assert_eq!(q["item"][3]["answerOption"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn there_is_one_plan_and_it_keeps_when_it_was_first_written() {
    let (dir, store) = open().await;
    assert!(store.plan().await.unwrap().is_none());
    let first = store
        .save_plan(PlanDraft {
            reasons: vec!["my kids".into()],
            contacts: vec![SupportContact {
                name: "Sam".into(),
                relation: "sponsor".into(),
                phone: "555-0100".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut edit = first.data.to_draft();
    edit.since = None;
    edit.coping_strategies = vec!["walk the dog".into()];
    edit.lapse_steps = vec!["Call Sam the same day".into()];
    let second = store.save_plan(edit).await.unwrap();
    assert_eq!(second.id, first.id, "edited in place");
    assert_eq!(second.data.since, first.data.since);
    let refused = store
        .save_plan(PlanDraft {
            contacts: vec![SupportContact {
                name: "Jo".into(),
                relation: "".into(),
                phone: "not a number".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("does not look like a phone number")
    );
    store.close().await;
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    let plan = store.plan().await.unwrap().unwrap();
    assert_eq!(plan, second, "the refused edit changed nothing");
    assert_eq!(plan.data.contacts[0].phone, "555-0100");
}

#[tokio::test]
async fn crisis_lines_default_to_the_us_lines_and_can_be_replaced() {
    let (dir, store) = open().await;
    let lines = store.crisis_lines().await.unwrap();
    assert_eq!(lines, us_crisis_lines());
    assert_eq!(lines[0].phone, "988");
    assert_eq!(lines[1].phone, "1-800-662-4357");
    let uk = vec![CrisisLine {
        name: "Samaritans".into(),
        phone: "116 123".into(),
        sms: String::new(),
        about: "24/7, free from any phone".into(),
    }];
    store.set_crisis_lines(&uk).await.unwrap();
    let bad = vec![CrisisLine {
        name: "Nameless number".into(),
        phone: "call".into(),
        ..Default::default()
    }];
    assert!(store.set_crisis_lines(&bad).await.is_err());
    store.close().await;
    let store = Store::open(dir.path(), &common::key()).await.unwrap();
    assert_eq!(store.crisis_lines().await.unwrap(), uk);
    assert_eq!(
        store.set_crisis_lines(&[]).await.unwrap(),
        us_crisis_lines()
    );
    assert_eq!(store.crisis_lines().await.unwrap(), us_crisis_lines());
}

#[test]
fn the_built_in_template_files_load_and_a_broken_file_is_refused_naming_the_item() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/templates");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        Questionnaire::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
    }
    assert_eq!(count, steady_model::questionnaire::BUILT_IN_FILES.len());

    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("thought-record.json");
    let mut template: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("cbt-thought-record.json")).unwrap(),
    )
    .unwrap();
    template["item"][1]["item"][1]["maxValue"] = json!(-5);
    std::fs::write(&broken, template.to_string()).unwrap();
    let message = Questionnaire::from_json(&std::fs::read_to_string(&broken).unwrap())
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "Template \"cbt-thought-record\": item \"moods.rating\" has minValue 0 above maxValue -5; swap them."
    );
}
