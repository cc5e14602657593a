//! The relapse-prevention plan: the patient's living document of why
//! recovery matters, what sets them off, the early warning signs, what
//! helps, who to call, and what to do after a lapse. There is one per
//! patient; the "I'm struggling" screen reads from it.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::kind::RecordKind;
use crate::questionnaire::{Library, Questionnaire, ids};
use crate::record::{Body, Visibility};
use crate::validation::{MAX_LIST_ITEMS, Problems, ValidationErrors, short_list, short_text};
use crate::worksheet::{AnswerValue, Answers};

/// Someone the patient can reach out to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct SupportContact {
    pub name: String,
    /// Sponsor, sister, counselor ...
    pub relation: String,
    /// As the patient would dial it; may be empty.
    pub phone: String,
}

/// The plan as the app sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct PlanDraft {
    pub reasons: Vec<String>,
    pub external_triggers: Vec<String>,
    pub internal_triggers: Vec<String>,
    pub warning_signs: Vec<String>,
    pub coping_strategies: Vec<String>,
    pub contacts: Vec<SupportContact>,
    pub lapse_steps: Vec<String>,
    /// When the plan was first written; empty means now.
    #[ts(optional = nullable)]
    pub since: Option<DateTime<FixedOffset>>,
    pub visibility: Visibility,
}

/// A valid relapse-prevention plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RelapsePreventionPlan {
    pub reasons: Vec<String>,
    pub external_triggers: Vec<String>,
    pub internal_triggers: Vec<String>,
    pub warning_signs: Vec<String>,
    pub coping_strategies: Vec<String>,
    pub contacts: Vec<SupportContact>,
    pub lapse_steps: Vec<String>,
    pub since: DateTime<FixedOffset>,
    pub visibility: Visibility,
}

impl RelapsePreventionPlan {
    /// The built-in template the plan is the answers to.
    pub fn template() -> &'static Questionnaire {
        Library::builtin()
            .latest(ids::RELAPSE_PREVENTION_PLAN)
            .expect("the relapse-prevention plan template is built in")
    }

    /// The plan as answers to its template, for export.
    pub fn answers(&self) -> Answers {
        let mut answers = Answers::default();
        let mut put = |link: &str, values: Vec<AnswerValue>| {
            if !values.is_empty() {
                answers.0.insert(link.to_owned(), values);
            }
        };
        let texts = |list: &[String]| list.iter().cloned().map(AnswerValue::Text).collect();
        put("reasons", texts(&self.reasons));
        put("triggers-external", texts(&self.external_triggers));
        put("triggers-internal", texts(&self.internal_triggers));
        put("warning-signs", texts(&self.warning_signs));
        put("coping", texts(&self.coping_strategies));
        put(
            "contacts",
            self.contacts
                .iter()
                .map(|c| {
                    let mut g = Answers::default();
                    for (link, value) in [
                        ("contacts.name", &c.name),
                        ("contacts.relation", &c.relation),
                        ("contacts.phone", &c.phone),
                    ] {
                        if !value.is_empty() {
                            g.0.insert(link.to_owned(), vec![AnswerValue::Text(value.clone())]);
                        }
                    }
                    AnswerValue::Group(g)
                })
                .collect(),
        );
        put("lapse-steps", texts(&self.lapse_steps));
        answers
    }
}

/// Checks a phone number as a person would type it: digits with optional
/// spaces, dashes, dots, brackets and a leading +.
pub fn phone_number(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let allowed = text
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (c == '+' && i == 0));
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(3..=15).contains(&digits) {
        return Err(format!(
            "\"{}\" does not look like a phone number; use 3 to 15 digits, with spaces, dashes or brackets if you like, and + for an international number.",
            text.chars().take(30).collect::<String>()
        ));
    }
    Ok(text.to_owned())
}

/// The number to put in a `tel:` link: the digits and a leading +.
pub fn dial_string(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

impl Body for RelapsePreventionPlan {
    const KIND: RecordKind = RecordKind::Plan;
    type Draft = PlanDraft;

    fn to_draft(&self) -> PlanDraft {
        PlanDraft {
            reasons: self.reasons.clone(),
            external_triggers: self.external_triggers.clone(),
            internal_triggers: self.internal_triggers.clone(),
            warning_signs: self.warning_signs.clone(),
            coping_strategies: self.coping_strategies.clone(),
            contacts: self.contacts.clone(),
            lapse_steps: self.lapse_steps.clone(),
            since: Some(self.since),
            visibility: self.visibility,
        }
    }

    fn from_draft(d: PlanDraft, now: DateTime<FixedOffset>) -> Result<Self, ValidationErrors> {
        let mut p = Problems::default();
        let mut list =
            |field: &str, items: &[String], what: &str| p.check(field, short_list(items, what));
        let reasons = list("reasons", &d.reasons, "reasons");
        let external = list(
            "external_triggers",
            &d.external_triggers,
            "external triggers",
        );
        let internal = list(
            "internal_triggers",
            &d.internal_triggers,
            "internal triggers",
        );
        let signs = list("warning_signs", &d.warning_signs, "warning signs");
        let coping = list(
            "coping_strategies",
            &d.coping_strategies,
            "coping strategies",
        );
        let lapse = list("lapse_steps", &d.lapse_steps, "steps after a lapse");
        let mut contacts = Vec::new();
        for (i, c) in d.contacts.iter().enumerate() {
            let field = format!("contacts.{i}");
            let name = p.check(&field, short_text(&c.name, "A name"));
            let relation = p.check(&field, short_text(&c.relation, "Who they are to you"));
            let phone = p.check(&field, phone_number(&c.phone));
            if let (Some(name), Some(relation), Some(phone)) = (name, relation, phone) {
                if name.is_empty() && (!relation.is_empty() || !phone.is_empty()) {
                    p.add(
                        &field,
                        format!(
                            "Person {} has no name; add one so you know who you are calling.",
                            i + 1
                        ),
                    );
                } else if !name.is_empty() {
                    contacts.push(SupportContact {
                        name,
                        relation,
                        phone,
                    });
                }
            }
        }
        if contacts.len() > MAX_LIST_ITEMS {
            p.add(
                "contacts",
                format!(
                    "There are {} people; list at most {MAX_LIST_ITEMS}.",
                    contacts.len()
                ),
            );
        }
        p.finish(|| RelapsePreventionPlan {
            reasons: reasons.expect("checked"),
            external_triggers: external.expect("checked"),
            internal_triggers: internal.expect("checked"),
            warning_signs: signs.expect("checked"),
            coping_strategies: coping.expect("checked"),
            contacts,
            lapse_steps: lapse.expect("checked"),
            since: d.since.unwrap_or(now),
            visibility: d.visibility,
        })
    }

    fn at(&self) -> DateTime<FixedOffset> {
        self.since
    }

    fn visibility(&self) -> Visibility {
        self.visibility
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worksheet::check_answers;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-20T23:05:00-07:00").unwrap()
    }

    fn full() -> PlanDraft {
        PlanDraft {
            reasons: vec!["my daughter".into(), " my health ".into(), "".into()],
            external_triggers: vec!["payday".into()],
            internal_triggers: vec!["boredom".into()],
            warning_signs: vec!["skipping meetings".into()],
            coping_strategies: vec!["walk the dog".into(), "call my sponsor".into()],
            contacts: vec![
                SupportContact {
                    name: "Sam".into(),
                    relation: "sponsor".into(),
                    phone: "+1 (555) 010-0199".into(),
                },
                SupportContact::default(),
            ],
            lapse_steps: vec!["tell my counselor".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_plan_is_tidied_and_its_answers_fit_its_template() {
        let plan = RelapsePreventionPlan::from_draft(full(), now()).unwrap();
        assert_eq!(plan.reasons, ["my daughter", "my health"]);
        assert_eq!(plan.contacts.len(), 1, "the blank row is dropped");
        assert_eq!(dial_string(&plan.contacts[0].phone), "+15550100199");
        let answers = plan.answers();
        let cleaned = check_answers(RelapsePreventionPlan::template(), &answers, true).unwrap();
        assert_eq!(cleaned, answers);
        assert_eq!(
            answers.groups("contacts")[0].text("contacts.phone"),
            Some("+1 (555) 010-0199")
        );
    }

    #[test]
    fn a_bad_phone_or_a_nameless_contact_is_refused() {
        let mut d = full();
        d.contacts[0].phone = "call me".into();
        d.contacts.push(SupportContact {
            name: "".into(),
            relation: "".into(),
            phone: "988".into(),
        });
        let e = RelapsePreventionPlan::from_draft(d, now()).unwrap_err();
        assert!(
            e.for_field("contacts.0")
                .unwrap()
                .contains("does not look like a phone number")
        );
        assert!(e.for_field("contacts.2").unwrap().contains("has no name"));
        assert_eq!(phone_number("988").unwrap(), "988");
        assert!(phone_number("1-800-662-4357").is_ok());
        assert!(phone_number("12").is_err());
        assert!(phone_number("1+2345").is_err());
    }
}
