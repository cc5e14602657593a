//! A filled-in worksheet: the answers to one template, by link id, with its
//! status. Drafts are saved as the patient types, so a draft may be half
//! done; marking it complete asks for every required answer.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::care::{Comment, WorksheetReview};
use crate::ids::RecordId;
use crate::kind::RecordKind;
use crate::questionnaire::{Item, ItemType, Library, Questionnaire};
use crate::record::{Body, Visibility, entry_time};
use crate::validation::{
    MAX_LIST_ITEMS, MAX_NOTE_CHARS, MAX_SHORT_CHARS, Problems, ValidationErrors,
};

/// One answer: a value, or for a group one filled-in instance of its items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum AnswerValue {
    Boolean(bool),
    Integer(i32),
    Text(String),
    Group(Answers),
}

/// Answers by link id; each item may hold several (when it repeats).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, Vec<AnswerValue>>);

impl Answers {
    pub fn get(&self, link_id: &str) -> &[AnswerValue] {
        self.0.get(link_id).map_or(&[], Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first answer to `link_id` as text.
    pub fn text(&self, link_id: &str) -> Option<&str> {
        match self.get(link_id).first()? {
            AnswerValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Every answer to `link_id` that is text.
    pub fn texts(&self, link_id: &str) -> Vec<&str> {
        self.get(link_id)
            .iter()
            .filter_map(|v| match v {
                AnswerValue::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn integer(&self, link_id: &str) -> Option<i32> {
        match self.get(link_id).first()? {
            AnswerValue::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The filled-in instances of group `link_id`.
    pub fn groups(&self, link_id: &str) -> Vec<&Answers> {
        self.get(link_id)
            .iter()
            .filter_map(|v| match v {
                AnswerValue::Group(g) => Some(g),
                _ => None,
            })
            .collect()
    }
}

/// Where a worksheet stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorksheetStatus {
    /// Being filled in; saved as the patient types.
    #[default]
    Draft,
    /// Finished by the patient; every required answer is there.
    Complete,
    /// Read by the counselor (set on their side).
    Reviewed,
}

/// A worksheet as the app sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct WorksheetDraft {
    pub template: String,
    pub version: String,
    pub status: WorksheetStatus,
    /// When it was started; empty means now.
    #[ts(optional = nullable)]
    pub started: Option<DateTime<FixedOffset>>,
    /// When it was first completed; kept across edits, empty means now.
    #[ts(optional = nullable)]
    pub completed: Option<DateTime<FixedOffset>>,
    pub answers: Answers,
    pub visibility: Visibility,
    /// The counselor's assignment this answers, if any.
    #[ts(optional = nullable)]
    pub assignment: Option<RecordId>,
}

/// A valid worksheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Worksheet {
    pub template: String,
    pub version: String,
    pub status: WorksheetStatus,
    pub started: DateTime<FixedOffset>,
    pub completed: Option<DateTime<FixedOffset>>,
    pub answers: Answers,
    pub visibility: Visibility,
    pub assignment: Option<RecordId>,
    /// The counselor's review, once they have marked it reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub review: Option<WorksheetReview>,
    /// The counselor's comments, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub comments: Option<Vec<Comment>>,
}

impl Worksheet {
    /// The template this worksheet answers, among the built-in ones.
    pub fn template(&self) -> Option<&'static Questionnaire> {
        Library::builtin().get(&self.template, &self.version)
    }
}

impl Body for Worksheet {
    const KIND: RecordKind = RecordKind::Worksheet;
    const SPLIT_FIELDS: &'static [&'static str] = &["answers"];
    type Draft = WorksheetDraft;

    const OUTSIDE_DRAFT: &'static [&'static str] = &["review", "comments"];

    fn keep_outside_draft(&mut self, other: &Self) {
        self.review = other.review.clone();
        self.comments = other.comments.clone();
    }

    fn check_outside_draft(&self) -> Result<(), ValidationErrors> {
        crate::care::check_review(self.review.as_ref(), self.comments.as_deref())
    }

    fn to_draft(&self) -> WorksheetDraft {
        WorksheetDraft {
            template: self.template.clone(),
            version: self.version.clone(),
            status: self.status,
            started: Some(self.started),
            completed: self.completed,
            answers: self.answers.clone(),
            visibility: self.visibility,
            assignment: self.assignment,
        }
    }

    fn from_draft(d: WorksheetDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let Some(template) = Library::builtin().get(&d.template, &d.version) else {
            return Err(ValidationErrors::single(
                "template",
                format!(
                    "Steady does not have version {} of the worksheet \"{}\"; update the app, or start the worksheet again from the list.",
                    d.version, d.template
                ),
            ));
        };
        let mut p = Problems::default();
        if d.status == WorksheetStatus::Reviewed {
            p.add(
                "status",
                "Only your counselor can mark a worksheet reviewed; save it as a draft or complete.",
            );
        }
        let started = p.check("started", entry_time(d.started, now, "worksheet"));
        let answers = clean_answers(
            template,
            &d.answers,
            d.status == WorksheetStatus::Complete,
            &mut p,
        );
        let completed = match d.status {
            WorksheetStatus::Draft => None,
            _ => Some(d.completed.unwrap_or(now)),
        };
        p.finish(|| Worksheet {
            template: d.template,
            version: d.version,
            status: d.status,
            started: started.expect("checked"),
            completed,
            answers,
            visibility: d.visibility,
            assignment: d.assignment,
            review: None,
            comments: None,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.started
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

/// Checks answers against `template` and returns them tidied: text trimmed,
/// blanks and empty groups dropped. With `complete`, every required item
/// must be answered. Problems are filed under `answers.<top-level link id>`,
/// which the fill screen shows beside that item.
pub fn check_answers(
    template: &Questionnaire,
    answers: &Answers,
    complete: bool,
) -> Result<Answers, ValidationErrors> {
    let mut p = Problems::default();
    let cleaned = clean_answers(template, answers, complete, &mut p);
    p.finish(|| cleaned)
}

pub(crate) fn clean_answers(
    template: &Questionnaire,
    answers: &Answers,
    complete: bool,
    p: &mut Problems,
) -> Answers {
    clean_level(&template.item, answers, complete, p, None)
}

fn clean_level(
    items: &[Item],
    answers: &Answers,
    complete: bool,
    p: &mut Problems,
    top: Option<&str>,
) -> Answers {
    let mut out = BTreeMap::new();
    for link in answers.0.keys() {
        if !items.iter().any(|i| &i.link_id == link) {
            let field = format!("answers.{}", top.unwrap_or(link));
            p.add(
                &field,
                format!(
                    "\"{}\" is not a question on this worksheet; reload it and try again.",
                    link.chars().take(60).collect::<String>()
                ),
            );
        }
    }
    for item in items {
        let field = format!("answers.{}", top.unwrap_or(&item.link_id));
        let top_id = top.unwrap_or(&item.link_id);
        let mut kept = Vec::new();
        for value in answers.get(&item.link_id) {
            if let Some(v) = clean_value(item, value, complete, p, &field, top_id) {
                kept.push(v);
            }
        }
        let name = question_name(item);
        if kept.len() > 1 && !item.repeats {
            p.add(
                &field,
                format!("{name} takes one answer; {} were given.", kept.len()),
            );
        }
        if kept.len() > MAX_LIST_ITEMS {
            p.add(
                &field,
                format!(
                    "{name} has {} answers; give at most {MAX_LIST_ITEMS}.",
                    kept.len()
                ),
            );
        }
        for child in item.item.iter().filter(|c| c.exclusive) {
            let marked = kept
                .iter()
                .filter(|v| match v {
                    AnswerValue::Group(g) => {
                        g.get(&child.link_id).first() == Some(&AnswerValue::Boolean(true))
                    }
                    _ => false,
                })
                .count();
            if marked > 1 {
                p.add(
                    &field,
                    format!(
                        "Mark only one {}; {marked} are marked.",
                        question_name(child)
                    ),
                );
            }
        }
        if complete && item.required && kept.is_empty() {
            p.add(
                &field,
                format!("{name} needs an answer before the worksheet is complete."),
            );
        }
        if !kept.is_empty() {
            out.insert(item.link_id.clone(), kept);
        }
    }
    Answers(out)
}

fn clean_value(
    item: &Item,
    value: &AnswerValue,
    complete: bool,
    p: &mut Problems,
    field: &str,
    top: &str,
) -> Option<AnswerValue> {
    let name = question_name(item);
    match (item.kind, value) {
        (ItemType::Display, _) => {
            p.add(
                field,
                format!("{name} is text to read and takes no answer."),
            );
            None
        }
        (ItemType::Group, AnswerValue::Group(inner)) => {
            let cleaned = clean_level(&item.item, inner, complete, p, Some(top));
            (!cleaned.is_empty()).then_some(AnswerValue::Group(cleaned))
        }
        (ItemType::String | ItemType::Text, AnswerValue::Text(text)) => {
            let limit = if item.kind == ItemType::String {
                MAX_SHORT_CHARS
            } else {
                MAX_NOTE_CHARS
            };
            let text = if item.kind == ItemType::String {
                text.trim()
            } else {
                text.trim_end()
            };
            let len = text.chars().count();
            if len > limit {
                p.add(
                    field,
                    format!("{name} is {len} characters long; shorten it to {limit} or fewer."),
                );
                return None;
            }
            (!text.trim().is_empty()).then(|| AnswerValue::Text(text.to_owned()))
        }
        (ItemType::Integer, AnswerValue::Integer(n)) => {
            let lo = item.min_value.unwrap_or(i32::MIN);
            let hi = item.max_value.unwrap_or(i32::MAX);
            if (lo..=hi).contains(n) {
                Some(AnswerValue::Integer(*n))
            } else {
                p.add(
                    field,
                    format!("{name} must be a whole number from {lo} to {hi}; {n} is outside that range."),
                );
                None
            }
        }
        (ItemType::Boolean, AnswerValue::Boolean(b)) => Some(AnswerValue::Boolean(*b)),
        (ItemType::Choice, AnswerValue::Text(code)) => {
            if item.answer_option.iter().any(|o| &o.code == code) {
                Some(AnswerValue::Text(code.clone()))
            } else {
                let options: Vec<&str> = item
                    .answer_option
                    .iter()
                    .map(|o| o.display.as_str())
                    .collect();
                p.add(
                    field,
                    format!(
                        "{name}: choose one of the listed answers ({}).",
                        options.join("; ")
                    ),
                );
                None
            }
        }
        _ => {
            let wanted = match item.kind {
                ItemType::Group => "a set of answers",
                ItemType::String | ItemType::Text => "text",
                ItemType::Integer => "a whole number",
                ItemType::Boolean => "yes or no",
                ItemType::Choice => "one of the listed answers",
                ItemType::Display => "nothing",
            };
            p.add(field, format!("{name} takes {wanted}."));
            None
        }
    }
}

/// How a message names an item: its text, shortened.
fn question_name(item: &Item) -> String {
    let text: String = item.text.chars().take(60).collect();
    format!("\"{}\"", text.trim_end_matches(['?', ':', '.']))
}

/// The total of a scored scale, and whether every scored item is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Score {
    pub total: i32,
    pub min: i32,
    pub max: i32,
    /// False while some scored item is unanswered; the total is then partial.
    pub complete: bool,
}

/// Adds up the scores of the chosen options, for a template with a score rule.
pub fn score(template: &Questionnaire, answers: &Answers) -> Option<Score> {
    let (min, max) = template.score_range()?;
    let mut total = 0;
    let mut complete = true;
    for item in template.items() {
        if item.answer_option.iter().all(|o| o.score.is_none()) {
            continue;
        }
        let chosen: Vec<i32> = answers
            .texts(&item.link_id)
            .into_iter()
            .filter_map(|code| item.answer_option.iter().find(|o| o.code == code))
            .filter_map(|o| o.score)
            .collect();
        if chosen.is_empty() {
            complete = false;
        }
        total += chosen.iter().sum::<i32>();
    }
    Some(Score {
        total,
        min,
        max,
        complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::ids;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-20T23:05:00-07:00").unwrap()
    }

    fn text(s: &str) -> AnswerValue {
        AnswerValue::Text(s.into())
    }

    fn group(pairs: &[(&str, AnswerValue)]) -> AnswerValue {
        AnswerValue::Group(Answers(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), vec![v.clone()]))
                .collect(),
        ))
    }

    fn answers(pairs: Vec<(&str, Vec<AnswerValue>)>) -> Answers {
        Answers(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn pacs(choices: [&str; 5]) -> Answers {
        let links = [
            "frequency",
            "intensity",
            "duration",
            "resistance",
            "overall",
        ];
        answers(
            links
                .iter()
                .zip(choices)
                .map(|(l, c)| (*l, vec![text(c)]))
                .collect(),
        )
    }

    fn draft(template: &str, answers: Answers, status: WorksheetStatus) -> WorksheetDraft {
        WorksheetDraft {
            template: template.into(),
            version: "1.0.0".into(),
            status,
            answers,
            ..Default::default()
        }
    }

    #[test]
    fn pacs_scores_from_zero_to_thirty() {
        let q = Library::builtin().latest(ids::PACS).unwrap();
        let lowest = score(q, &pacs(["0"; 5])).unwrap();
        assert_eq!(
            (lowest.total, lowest.min, lowest.max, lowest.complete),
            (0, 0, 30, true)
        );
        let highest = score(q, &pacs(["6"; 5])).unwrap();
        assert_eq!((highest.total, highest.complete), (30, true));
        let mixed = score(q, &pacs(["1", "2", "3", "4", "5"])).unwrap();
        assert_eq!(mixed.total, 15);
        let mut partial = pacs(["6"; 5]);
        partial.0.remove("overall");
        let partial = score(q, &partial).unwrap();
        assert_eq!((partial.total, partial.complete), (24, false));
        assert!(
            score(
                Library::builtin().latest(ids::THOUGHT_RECORD).unwrap(),
                &partial_empty()
            )
            .is_none()
        );
    }

    fn partial_empty() -> Answers {
        Answers::default()
    }

    #[test]
    fn pacs_refuses_an_answer_outside_its_anchors_and_completes_only_when_all_five_are_there() {
        let e = Worksheet::from_draft(
            draft(
                "pacs",
                pacs(["0", "7", "0", "0", "0"]),
                WorksheetStatus::Draft,
            ),
            now(),
        )
        .unwrap_err();
        assert!(
            e.for_field("answers.intensity")
                .unwrap()
                .contains("choose one of the listed answers")
        );
        let mut four = pacs(["3"; 5]);
        four.0.remove("resistance");
        let draft_ok =
            Worksheet::from_draft(draft("pacs", four.clone(), WorksheetStatus::Draft), now());
        assert!(draft_ok.is_ok(), "a draft may be partial");
        let e = Worksheet::from_draft(draft("pacs", four, WorksheetStatus::Complete), now())
            .unwrap_err();
        assert!(
            e.for_field("answers.resistance")
                .unwrap()
                .contains("needs an answer")
        );
    }

    #[test]
    fn a_thought_record_is_checked_against_its_template() {
        let bad = answers(vec![
            (
                "moods",
                vec![group(&[
                    ("moods.mood", text("ashamed")),
                    ("moods.rating", AnswerValue::Integer(120)),
                ])],
            ),
            (
                "thoughts",
                vec![
                    group(&[
                        ("thoughts.thought", text("I always ruin it")),
                        ("thoughts.hot", AnswerValue::Boolean(true)),
                    ]),
                    group(&[
                        ("thoughts.thought", text("They know")),
                        ("thoughts.hot", AnswerValue::Boolean(true)),
                    ]),
                ],
            ),
            ("evidence-for", vec![AnswerValue::Integer(3)]),
            ("horoscope", vec![text("Leo")]),
            (
                "balanced",
                vec![group(&[
                    ("balanced.thought", text("a")),
                    ("balanced.thought", text("b")),
                ])],
            ),
        ]);
        let e = Worksheet::from_draft(
            draft(ids::THOUGHT_RECORD, bad, WorksheetStatus::Draft),
            now(),
        )
        .unwrap_err();
        assert!(
            e.for_field("answers.moods")
                .unwrap()
                .contains("from 0 to 100; 120 is outside")
        );
        assert!(
            e.for_field("answers.thoughts")
                .unwrap()
                .contains("Mark only one \"This is the hot thought\"; 2 are marked")
        );
        assert!(
            e.for_field("answers.evidence-for")
                .unwrap()
                .contains("takes text")
        );
        assert!(
            e.for_field("answers.horoscope")
                .unwrap()
                .contains("not a question on this worksheet")
        );
        let e = Worksheet::from_draft(
            draft("no-such", Answers::default(), WorksheetStatus::Draft),
            now(),
        )
        .unwrap_err();
        assert!(
            e.for_field("template")
                .unwrap()
                .contains("does not have version 1.0.0")
        );
        let e = Worksheet::from_draft(
            draft("pacs", Answers::default(), WorksheetStatus::Reviewed),
            now(),
        )
        .unwrap_err();
        assert!(
            e.for_field("status")
                .unwrap()
                .contains("Only your counselor")
        );
    }

    #[test]
    fn blanks_are_dropped_and_completion_time_is_kept() {
        let a = answers(vec![
            ("evidence-for", vec![text("   ")]),
            ("situation", vec![group(&[("situation.who", text("  "))])]),
            (
                "evidence-against",
                vec![text("I went to group on Tuesday.  ")],
            ),
        ]);
        let w = Worksheet::from_draft(draft(ids::THOUGHT_RECORD, a, WorksheetStatus::Draft), now())
            .unwrap();
        assert_eq!(
            w.answers,
            answers(vec![(
                "evidence-against",
                vec![text("I went to group on Tuesday.")]
            )])
        );
        assert_eq!(w.completed, None);
        let earlier = DateTime::parse_from_rfc3339("2026-11-19T10:00:00-07:00").unwrap();
        let mut d = draft("pacs", pacs(["2"; 5]), WorksheetStatus::Complete);
        d.completed = Some(earlier);
        let w = Worksheet::from_draft(d, now()).unwrap();
        assert_eq!(w.completed, Some(earlier));
        let w = Worksheet::from_draft(
            draft("pacs", pacs(["2"; 5]), WorksheetStatus::Complete),
            now(),
        )
        .unwrap();
        assert_eq!(w.completed, Some(now()));
    }

    #[test]
    fn answers_have_the_json_shape_the_ui_sends() {
        let json = serde_json::json!({
            "moods": [{"moods.mood": ["sad"], "moods.rating": [80]}],
            "thoughts": [{"thoughts.thought": ["x"], "thoughts.hot": [true]}],
        });
        let a: Answers = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(a.groups("moods")[0].integer("moods.rating"), Some(80));
        assert_eq!(serde_json::to_value(&a).unwrap(), json);
    }
}
