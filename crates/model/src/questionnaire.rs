//! Worksheet templates as data. A template has the shape of a FHIR
//! Questionnaire (items with a link id, a type, text, options, required,
//! repeats, nested groups, and a version), so a clinic can add its own
//! without a new release of the app, and a filled-in worksheet exports as a
//! FHIR QuestionnaireResponse. Templates are checked when they are loaded;
//! a broken one is refused with a message that names the item at fault.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::worksheet::Answers;

/// What kind of answer an item takes (FHIR's `Questionnaire.item.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Holds other items; repeating groups are filled once per instance.
    Group,
    /// Text shown to the patient; takes no answer.
    Display,
    /// A short line of text.
    String,
    /// Free text over several lines.
    Text,
    /// A whole number, optionally bounded by `minValue`/`maxValue`.
    Integer,
    /// Yes or no.
    Boolean,
    /// One of `answerOption` (several when the item repeats).
    Choice,
}

impl ItemType {
    const ALL: [(&'static str, ItemType); 7] = [
        ("group", ItemType::Group),
        ("display", ItemType::Display),
        ("string", ItemType::String),
        ("text", ItemType::Text),
        ("integer", ItemType::Integer),
        ("boolean", ItemType::Boolean),
        ("choice", ItemType::Choice),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("group", |(name, _)| name)
    }
}

/// One allowed answer of a choice item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub code: String,
    pub display: String,
    /// A line that explains the option (a cognitive distortion, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub explanation: Option<String>,
    /// Points this answer adds to the template's total, for scored scales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub score: Option<i32>,
}

/// One question, group or piece of text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Item {
    /// Unique within the template; answers are stored under it.
    pub link_id: String,
    #[serde(rename = "type")]
    pub kind: ItemType,
    pub text: String,
    /// A hint shown under the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub help: Option<String>,
    /// Must be answered before the worksheet can be marked complete.
    #[serde(default)]
    pub required: bool,
    /// May be answered more than once (several moods, several thoughts).
    #[serde(default)]
    pub repeats: bool,
    /// The items of a group.
    #[serde(default)]
    pub item: Vec<Item>,
    #[serde(default)]
    pub answer_option: Vec<AnswerOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min_value: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_value: Option<i32>,
    /// For a yes/no item inside a repeating group: at most one instance may
    /// say yes (the one "hot" thought of a thought record).
    #[serde(default)]
    pub exclusive: bool,
    /// The words that stand in for this item's answer in the texts after
    /// it: `{linkId}` in a later question, hint or option reads as the
    /// patient's answer ("fentanyl"), and as these words ("the substance")
    /// until it is given and in the exported Questionnaire. Only a required
    /// top-level short-text item may fill in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fills_in: Option<String>,
}

impl Item {
    /// The lowest and highest points this item can add to a total, if scored.
    fn score_range(&self) -> Option<(i32, i32)> {
        let scores: Vec<i32> = self.answer_option.iter().filter_map(|o| o.score).collect();
        Some((*scores.iter().min()?, *scores.iter().max()?))
    }
}

/// How a scored scale adds up: the sum of the chosen options' scores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    /// What the total is called ("PACS total (0-30)").
    pub text: String,
}

/// A worksheet template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Lower-case letters, digits and dashes; names the template everywhere.
    pub id: String,
    pub version: String,
    pub title: String,
    pub description: String,
    /// Where the form comes from, so a counselor can check it is faithful.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub score: Option<ScoreRule>,
    pub item: Vec<Item>,
}

/// The link id a scored template's total is exported under.
pub const TOTAL_LINK_ID: &str = "total";

/// A template file that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

impl TemplateError {
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl Questionnaire {
    /// Reads and checks a template file's JSON text.
    pub fn from_json(text: &str) -> Result<Self, TemplateError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| TemplateError(format!("The template is not valid JSON: {e}.")))?;
        // Parse item by item first, so a wrong field names the item it is in.
        if let Some(items) = value.get("item").and_then(Value::as_array) {
            check_item_shapes(items)?;
        }
        let q: Questionnaire = serde_json::from_value(value)
            .map_err(|e| TemplateError(format!("The template is not usable: {e}.")))?;
        q.check()?;
        Ok(q)
    }

    /// Every item, depth first, each with the group it sits in (if any).
    pub fn items(&self) -> Vec<&Item> {
        fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
            for item in items {
                out.push(item);
                walk(&item.item, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.item, &mut out);
        out
    }

    /// The item with `link_id`, anywhere in the template.
    pub fn find(&self, link_id: &str) -> Option<&Item> {
        self.items().into_iter().find(|i| i.link_id == link_id)
    }

    /// The lowest and highest total a scored template allows.
    pub fn score_range(&self) -> Option<(i32, i32)> {
        self.score.as_ref()?;
        let (mut lo, mut hi) = (0, 0);
        for item in self.items() {
            if let Some((a, b)) = item.score_range() {
                lo += a;
                hi += b;
            }
        }
        Some((lo, hi))
    }

    fn check(&self) -> Result<(), TemplateError> {
        let named = |what: String| TemplateError(format!("Template \"{}\": {what}", self.id));
        let id_ok = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(TemplateError(format!(
                "The template id \"{}\" may use only lower-case letters, digits and dashes.",
                self.id
            )));
        }
        if self.version.trim().is_empty() {
            return Err(named("give it a version, such as \"1.0.0\".".into()));
        }
        if self.title.trim().is_empty() {
            return Err(named("give it a title.".into()));
        }
        if self.item.is_empty() {
            return Err(named("it has no items; add at least one question.".into()));
        }
        let mut seen = BTreeSet::new();
        for item in self.items() {
            if !seen.insert(item.link_id.as_str()) {
                return Err(named(format!(
                    "item \"{}\" appears twice; every linkId must be unique.",
                    item.link_id
                )));
            }
        }
        if self.score.is_some() {
            if seen.contains(TOTAL_LINK_ID) {
                return Err(named(format!(
                    "item \"{TOTAL_LINK_ID}\" clashes with the scored total; rename it."
                )));
            }
            if self.items().iter().all(|i| i.score_range().is_none()) {
                return Err(named(
                    "it declares a score but no answer option has one; give each option a \"score\"."
                        .into(),
                ));
            }
        }
        check_items(&self.item, false, false).map_err(named)?;
        self.check_fills().map_err(named)
    }

    /// `{linkId}` in a text names an item that fills in, asked before it.
    fn check_fills(&self) -> Result<(), String> {
        let mut asked: Vec<&str> = Vec::new();
        for item in self.items() {
            for text in item.texts() {
                let names = placeholders(text)
                    .map_err(|what| format!("item \"{}\" {what}", item.link_id))?;
                if let Some(name) = names.into_iter().find(|n| !asked.contains(n)) {
                    return Err(format!(
                        "item \"{}\" uses {{{name}}}, which is not a fill-in item asked before it; add an item \"{name}\" with \"fillsIn\" above it.",
                        item.link_id
                    ));
                }
            }
            let Some(words) = &item.fills_in else {
                continue;
            };
            let top_level = self.item.iter().any(|top| std::ptr::eq(top, item));
            if !top_level
                || item.kind != ItemType::String
                || !item.required
                || item.repeats
                || words.trim().is_empty()
            {
                return Err(format!(
                    "item \"{}\" fills in, which only a required top-level string item that does not repeat can, with the words that stand in for it.",
                    item.link_id
                ));
            }
            asked.push(&item.link_id);
        }
        Ok(())
    }

    /// The template as the patient reads it with these answers: each
    /// `{linkId}` in its texts replaced by the answer to that fill-in item,
    /// or by the item's stand-in words while it has none.
    pub fn filled(&self, answers: &Answers) -> Questionnaire {
        let words: Vec<(String, String)> = self
            .item
            .iter()
            .filter_map(|i| {
                let stand_in = i.fills_in.as_deref()?;
                let answer = answers.text(&i.link_id).map(str::trim).unwrap_or("");
                let word = if answer.is_empty() { stand_in } else { answer };
                Some((format!("{{{}}}", i.link_id), word.to_owned()))
            })
            .collect();
        let mut out = self.clone();
        if !words.is_empty() {
            for item in &mut out.item {
                fill_item(item, &words);
            }
        }
        out
    }
}

impl Item {
    /// The texts a patient reads: the question, its hint, its options.
    fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str())
            .chain(self.help.as_deref())
            .chain(
                self.answer_option.iter().flat_map(|o| {
                    std::iter::once(o.display.as_str()).chain(o.explanation.as_deref())
                }),
            )
    }
}

fn fill_item(item: &mut Item, words: &[(String, String)]) {
    let fill = |text: &mut String| {
        for (token, word) in words {
            if text.contains(token.as_str()) {
                *text = text.replace(token.as_str(), word);
            }
        }
    };
    fill(&mut item.text);
    if let Some(help) = &mut item.help {
        fill(help);
    }
    for option in &mut item.answer_option {
        fill(&mut option.display);
        if let Some(explanation) = &mut option.explanation {
            fill(explanation);
        }
    }
    for child in &mut item.item {
        fill_item(child, words);
    }
}

/// The names in a text's `{…}` placeholders, or what is wrong with them.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("has a \"}\" without a \"{\" before it.".into());
        }
        let after = &rest[open + 1..];
        let close = after
            .find(['{', '}'])
            .filter(|&c| after[c..].starts_with('}'))
            .ok_or("has a \"{\" without a \"}\" after it.")?;
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(out)
}

fn check_item_shapes(items: &[Value]) -> Result<(), TemplateError> {
    for (i, raw) in items.iter().enumerate() {
        let name = raw
            .get("linkId")
            .and_then(Value::as_str)
            .map_or_else(|| format!("number {}", i + 1), |id| format!("\"{id}\""));
        if let Some(kind) = raw.get("type").and_then(Value::as_str)
            && !ItemType::ALL.iter().any(|(n, _)| *n == kind)
        {
            let known: Vec<&str> = ItemType::ALL.iter().map(|(n, _)| *n).collect();
            return Err(TemplateError(format!(
                "Item {name}: \"{kind}\" is not an item type; use one of {}.",
                known.join(", ")
            )));
        }
        if let Err(e) = serde_json::from_value::<Item>(raw.clone()) {
            // A nested item reports itself; only blame this one if its
            // children are fine.
            if let Some(children) = raw.get("item").and_then(Value::as_array) {
                check_item_shapes(children)?;
            }
            return Err(TemplateError(format!("Item {name}: {e}.")));
        }
    }
    Ok(())
}

fn check_items(items: &[Item], in_group: bool, in_repeating_group: bool) -> Result<(), String> {
    for item in items {
        let fail = |what: &str| Err(format!("item \"{}\" {what}", item.link_id));
        if item.link_id.trim().is_empty() {
            return Err("an item has an empty linkId; give every item one.".into());
        }
        if item.text.trim().is_empty() {
            return fail("has no text; say what it asks.");
        }
        let is_group = item.kind == ItemType::Group;
        if is_group && item.item.is_empty() {
            return fail("is a group with no items; add items or change its type.");
        }
        if !is_group && !item.item.is_empty() {
            return fail("has items but is not a group; make it a group.");
        }
        match (item.kind, item.answer_option.is_empty()) {
            (ItemType::Choice, true) => {
                return fail("is a choice with no answerOption; list the options.");
            }
            (ItemType::Choice, false) => {
                let mut codes = BTreeSet::new();
                for o in &item.answer_option {
                    if o.code.trim().is_empty() || o.display.trim().is_empty() {
                        return fail("has an option without a code or display text.");
                    }
                    if !codes.insert(&o.code) {
                        return fail(&format!("lists option \"{}\" twice.", o.code));
                    }
                }
                let scored = item
                    .answer_option
                    .iter()
                    .filter(|o| o.score.is_some())
                    .count();
                if scored != 0 && scored != item.answer_option.len() {
                    return fail("scores some options but not all; score every option or none.");
                }
                if scored != 0 && in_group {
                    return fail("is scored inside a group; scored items must be top-level.");
                }
            }
            (_, false) => return fail("has answerOption but is not a choice."),
            (_, true) => {}
        }
        let bounded = item.min_value.is_some() || item.max_value.is_some();
        if bounded && item.kind != ItemType::Integer {
            return fail("has minValue/maxValue but is not an integer.");
        }
        if let (Some(lo), Some(hi)) = (item.min_value, item.max_value)
            && lo > hi
        {
            return fail(&format!(
                "has minValue {lo} above maxValue {hi}; swap them."
            ));
        }
        if item.kind == ItemType::Display && (item.required || item.repeats) {
            return fail("is display text, which cannot be required or repeat.");
        }
        if item.exclusive && (item.kind != ItemType::Boolean || !in_repeating_group) {
            return fail("is exclusive, which only a yes/no item in a repeating group can be.");
        }
        check_items(&item.item, true, is_group && item.repeats)?;
    }
    Ok(())
}

/// The templates that ship with Steady, as (file name, text).
pub const BUILT_IN_FILES: [(&str, &str); 8] = [
    (
        "cbt-thought-record.json",
        include_str!("../templates/cbt-thought-record.json"),
    ),
    (
        "relapse-prevention-plan.json",
        include_str!("../templates/relapse-prevention-plan.json"),
    ),
    (
        "decisional-balance.json",
        include_str!("../templates/decisional-balance.json"),
    ),
    (
        "urge-surfing-log.json",
        include_str!("../templates/urge-surfing-log.json"),
    ),
    (
        "coping-card.json",
        include_str!("../templates/coping-card.json"),
    ),
    (
        "halt-check.json",
        include_str!("../templates/halt-check.json"),
    ),
    ("pacs.json", include_str!("../templates/pacs.json")),
    (
        "craving-scale.json",
        include_str!("../templates/craving-scale.json"),
    ),
];

/// Template ids the app relies on by name.
pub mod ids {
    pub const THOUGHT_RECORD: &str = "cbt-thought-record";
    pub const RELAPSE_PREVENTION_PLAN: &str = "relapse-prevention-plan";
    pub const URGE_SURFING_LOG: &str = "urge-surfing-log";
    pub const PACS: &str = "pacs";
    /// The PACS adapted to the substance the patient names.
    pub const CRAVING_SCALE: &str = "craving-scale";
}

/// The templates a worksheet may be filled from, by id and version.
#[derive(Debug, Default)]
pub struct Library {
    templates: BTreeMap<(String, String), Questionnaire>,
    order: Vec<(String, String)>,
}

impl Library {
    /// The built-in templates, loaded and checked once.
    pub fn builtin() -> &'static Library {
        static LIBRARY: OnceLock<Library> = OnceLock::new();
        LIBRARY.get_or_init(|| {
            let mut library = Library::default();
            for (file, text) in BUILT_IN_FILES {
                // Every built-in file is checked by this crate's tests, so a
                // failure here is a broken build, not a patient's input.
                let q = Questionnaire::from_json(text)
                    .unwrap_or_else(|e| panic!("built-in template {file}: {e}"));
                library.add(q);
            }
            library
        })
    }

    pub fn add(&mut self, q: Questionnaire) {
        let key = (q.id.clone(), q.version.clone());
        if !self.templates.contains_key(&key) {
            self.order.push(key.clone());
        }
        self.templates.insert(key, q);
    }

    pub fn get(&self, id: &str, version: &str) -> Option<&Questionnaire> {
        self.templates.get(&(id.to_owned(), version.to_owned()))
    }

    /// The newest version of template `id` (the one added last).
    pub fn latest(&self, id: &str) -> Option<&Questionnaire> {
        self.order
            .iter()
            .rev()
            .find(|(i, _)| i == id)
            .and_then(|k| self.templates.get(k))
    }

    /// Every template, each version, in the order they were added.
    pub fn all(&self) -> impl Iterator<Item = &Questionnaire> {
        self.order.iter().filter_map(|k| self.templates.get(k))
    }

    /// One entry per template id, in the order they were added, newest version.
    pub fn current(&self) -> Vec<&Questionnaire> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (id, _) in &self.order {
            if seen.insert(id.as_str())
                && let Some(q) = self.latest(id)
            {
                out.push(q);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worksheet::AnswerValue;

    #[test]
    fn every_built_in_template_loads_and_is_checked() {
        for (file, text) in BUILT_IN_FILES {
            let q = Questionnaire::from_json(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(format!("{}.json", q.id), file, "file named after its id");
            assert!(!q.source.is_empty(), "{file} cites its source");
        }
        let ids: Vec<&str> = Library::builtin()
            .current()
            .iter()
            .map(|q| q.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "cbt-thought-record",
                "relapse-prevention-plan",
                "decisional-balance",
                "urge-surfing-log",
                "coping-card",
                "halt-check",
                "pacs",
                "craving-scale"
            ]
        );
    }

    #[test]
    fn the_thought_record_has_its_seven_columns_and_burns_ten() {
        let q = Library::builtin().latest(ids::THOUGHT_RECORD).unwrap();
        let columns: Vec<&str> = q
            .item
            .iter()
            .filter(|i| i.text.starts_with(|c: char| c.is_ascii_digit()))
            .map(|i| i.link_id.as_str())
            .collect();
        assert_eq!(
            columns,
            [
                "situation",
                "moods",
                "thoughts",
                "evidence-for",
                "evidence-against",
                "balanced",
                "moods-rerated"
            ]
        );
        let distortions = q.find("distortions").unwrap();
        assert_eq!(distortions.answer_option.len(), 10);
        assert!(
            distortions
                .answer_option
                .iter()
                .all(|o| o.explanation.as_deref().is_some_and(|e| !e.is_empty()))
        );
        assert!(q.find("thoughts.hot").unwrap().exclusive);
        let rating = q.find("moods.rating").unwrap();
        assert_eq!((rating.min_value, rating.max_value), (Some(0), Some(100)));
        let belief = q.find("balanced.belief").unwrap();
        assert_eq!((belief.min_value, belief.max_value), (Some(0), Some(100)));
    }

    #[test]
    fn the_craving_scale_reads_in_the_patients_own_word() {
        let q = Library::builtin().latest(ids::CRAVING_SCALE).unwrap();
        let pacs = Library::builtin().latest(ids::PACS).unwrap();
        assert!(
            q.description
                .contains("adaptation of the Penn Alcohol Craving Scale")
        );
        assert_eq!(q.item[0].link_id, "substance");
        assert_eq!(q.item.len(), 6);
        assert_eq!(q.score_range(), pacs.score_range());
        // The PACS's items, options and scores, in its order.
        for (adapted, published) in q.item[1..].iter().zip(&pacs.item) {
            assert_eq!(adapted.link_id, published.link_id);
            let scores = |i: &Item| -> Vec<Option<i32>> {
                i.answer_option.iter().map(|o| o.score).collect()
            };
            assert_eq!(scores(adapted), scores(published));
        }

        let mut answers = Answers::default();
        let unnamed = q.filled(&answers);
        assert_eq!(
            unnamed.item[1].text,
            "During the past week how often have you thought about using the substance or about how good using it would make you feel?"
        );
        answers.0.insert(
            "substance".into(),
            vec![AnswerValue::Text(" fentanyl ".into())],
        );
        let named = q.filled(&answers);
        assert_eq!(
            named.item[1].text,
            "During the past week how often have you thought about using fentanyl or about how good using it would make you feel?"
        );
        assert_eq!(
            named.item[2].answer_option[6].display,
            "Strong urge and would have used fentanyl if it were available"
        );
        let every_text: Vec<String> = named
            .items()
            .iter()
            .flat_map(|i| i.texts().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        assert!(
            every_text.iter().all(|t| !t.contains('{')),
            "{every_text:?}"
        );
        assert!(
            every_text.iter().all(|t| !t.contains("drink")),
            "{every_text:?}"
        );
        // Templates without fill-ins read as they are.
        assert_eq!(&pacs.filled(&answers), pacs);
    }

    #[test]
    fn pacs_has_five_items_scored_zero_to_six() {
        let q = Library::builtin().latest(ids::PACS).unwrap();
        assert_eq!(q.item.len(), 5);
        for item in &q.item {
            let scores: Vec<i32> = item.answer_option.iter().filter_map(|o| o.score).collect();
            assert_eq!(scores, (0..=6).collect::<Vec<_>>(), "{}", item.link_id);
        }
        assert_eq!(q.score_range(), Some((0, 30)));
    }

    fn refused(text: &str) -> String {
        Questionnaire::from_json(text).unwrap_err().to_string()
    }

    fn template(items: &str) -> String {
        format!(
            r#"{{"id":"t","version":"1","title":"T","description":"","source":"s","item":[{items}]}}"#
        )
    }

    #[test]
    fn a_broken_template_is_refused_naming_the_item() {
        let cases = [
            (
                template(r#"{"linkId":"mood","type":"integr","text":"Mood"}"#),
                "Item \"mood\": \"integr\" is not an item type",
            ),
            (
                template(r#"{"linkId":"mood","type":"integer","text":"Mood","required":"yes"}"#),
                "Item \"mood\": invalid type",
            ),
            (
                template(
                    r#"{"linkId":"g","type":"group","text":"G","item":[{"linkId":"g.x","type":"string","text":"X","colour":"red"}]}"#,
                ),
                "Item \"g.x\": unknown field `colour`",
            ),
            (
                template(r#"{"linkId":"pick","type":"choice","text":"Pick"}"#),
                "item \"pick\" is a choice with no answerOption",
            ),
            (
                template(
                    r#"{"linkId":"a","type":"string","text":"A"},{"linkId":"a","type":"text","text":"B"}"#,
                ),
                "item \"a\" appears twice",
            ),
            (
                template(
                    r#"{"linkId":"r","type":"integer","text":"R","minValue":10,"maxValue":0}"#,
                ),
                "item \"r\" has minValue 10 above maxValue 0",
            ),
            (
                template(r#"{"linkId":"g","type":"group","text":"G"}"#),
                "item \"g\" is a group with no items",
            ),
            (
                template(r#"{"linkId":"hot","type":"boolean","text":"Hot","exclusive":true}"#),
                "item \"hot\" is exclusive",
            ),
            (
                template(r#"{"linkId":"blank","type":"string","text":" "}"#),
                "item \"blank\" has no text",
            ),
            (
                template(r#"{"linkId":"q","type":"string","text":"Using {drug}?"}"#),
                "item \"q\" uses {drug}, which is not a fill-in item asked before it",
            ),
            (
                template(
                    r#"{"linkId":"q","type":"string","text":"Using {drug}?"},{"linkId":"drug","type":"string","text":"Which?","required":true,"fillsIn":"it"}"#,
                ),
                "item \"q\" uses {drug}, which is not a fill-in item",
            ),
            (
                template(r#"{"linkId":"q","type":"string","text":"Using {drug?"}"#),
                "item \"q\" has a \"{\" without a \"}\" after it",
            ),
            (
                template(r#"{"linkId":"q","type":"string","text":"Using drug}?"}"#),
                "item \"q\" has a \"}\" without a \"{\" before it",
            ),
            (
                template(r#"{"linkId":"drug","type":"string","text":"Which?","fillsIn":"it"}"#),
                "item \"drug\" fills in, which only a required top-level string item",
            ),
            (
                template(
                    r#"{"linkId":"g","type":"group","text":"G","item":[{"linkId":"drug","type":"string","text":"Which?","required":true,"fillsIn":"it"}]}"#,
                ),
                "item \"drug\" fills in, which only a required top-level string item",
            ),
            (
                template(
                    r#"{"linkId":"drug","type":"string","text":"Which?","required":true,"fillsIn":" "}"#,
                ),
                "item \"drug\" fills in",
            ),
        ];
        for (text, expected) in cases {
            let message = refused(&text);
            assert!(
                message.contains(expected),
                "{message:?} should contain {expected:?}"
            );
        }
        assert!(refused("{ not json").contains("not valid JSON"));
        assert!(refused(&template("")).contains("has no items"));
    }
}
