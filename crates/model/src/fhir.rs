//! FHIR R4 export: a template as a `Questionnaire`, a completed worksheet as
//! a `QuestionnaireResponse` that points at it, so a clinic's record system
//! can file what the patient wrote; a check-in as a survey `Observation` of
//! its craving. FHIR's JSON has no empty arrays, empty objects or nulls:
//! every resource made here leaves them out ([`without_empty`]).

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::{Value, json};

use crate::checkin::CheckIn;
use crate::ids::RecordId;
use crate::questionnaire::{Item, ItemType, Questionnaire, TOTAL_LINK_ID};
use crate::worksheet::{AnswerValue, Answers, WorksheetStatus, score};

const MIN_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/maxValue";
const ORDINAL_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/ordinalValue";

/// The template's canonical URL (without the version).
pub fn canonical_url(q: &Questionnaire) -> String {
    format!("urn:steady:questionnaire:{}", q.id)
}

/// The code system of a template's answer options.
fn option_system(q: &Questionnaire, item: &Item) -> String {
    format!("{}:{}", canonical_url(q), item.link_id)
}

/// The template as a FHIR R4 Questionnaire resource.
pub fn questionnaire(q: &Questionnaire) -> Value {
    // A fill-in ("{substance}") reads as its stand-in words here.
    let q = &q.filled(&Answers::default());
    let mut items: Vec<Value> = q.item.iter().map(|i| questionnaire_item(q, i)).collect();
    if let Some(rule) = &q.score {
        items.push(json!({
            "linkId": TOTAL_LINK_ID,
            "text": rule.text,
            "type": "integer",
            "readOnly": true,
        }));
    }
    without_empty(json!({
        "resourceType": "Questionnaire",
        "id": q.id,
        "url": canonical_url(q),
        "version": q.version,
        "title": q.title,
        "status": "active",
        "description": q.description,
        "copyright": q.source,
        "item": items,
    }))
}

fn questionnaire_item(q: &Questionnaire, item: &Item) -> Value {
    let mut out = json!({
        "linkId": item.link_id,
        "text": item.text,
        "type": item.kind.as_str(),
    });
    if item.required {
        out["required"] = json!(true);
    }
    if item.repeats {
        out["repeats"] = json!(true);
    }
    let mut extensions = Vec::new();
    if let Some(n) = item.min_value {
        extensions.push(json!({ "url": MIN_VALUE, "valueInteger": n }));
    }
    if let Some(n) = item.max_value {
        extensions.push(json!({ "url": MAX_VALUE, "valueInteger": n }));
    }
    if !extensions.is_empty() {
        out["extension"] = json!(extensions);
    }
    if !item.answer_option.is_empty() {
        let system = option_system(q, item);
        out["answerOption"] = item
            .answer_option
            .iter()
            .map(|o| {
                let mut option = json!({
                    "valueCoding": { "system": system, "code": o.code, "display": o.display }
                });
                if let Some(s) = o.score {
                    option["extension"] = json!([{ "url": ORDINAL_VALUE, "valueDecimal": s }]);
                }
                option
            })
            .collect();
    }
    let mut children: Vec<Value> = Vec::new();
    if let Some(help) = &item.help {
        children.push(json!({
            "linkId": format!("{}.help", item.link_id),
            "text": help,
            "type": "display",
        }));
    }
    children.extend(item.item.iter().map(|i| questionnaire_item(q, i)));
    if !children.is_empty() {
        out["item"] = json!(children);
    }
    out
}

/// Why a worksheet cannot be exported yet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("Only a completed worksheet can be exported; mark it complete first.")]
    NotComplete,
}

/// A completed worksheet as a FHIR R4 QuestionnaireResponse.
pub fn questionnaire_response(
    q: &Questionnaire,
    id: RecordId,
    status: WorksheetStatus,
    authored: DateTime<FixedOffset>,
    answers: &Answers,
) -> Result<Value, ExportError> {
    if status == WorksheetStatus::Draft {
        return Err(ExportError::NotComplete);
    }
    Ok(response(q, id, status, authored, answers))
}

/// A worksheet in any state as a QuestionnaireResponse: a draft is
/// `in-progress`, a finished one `completed` (the patient's whole record,
/// where drafts belong too).
pub fn response(
    q: &Questionnaire,
    id: RecordId,
    status: WorksheetStatus,
    authored: DateTime<FixedOffset>,
    answers: &Answers,
) -> Value {
    // The questions as the patient read them, in their own word.
    let q = &q.filled(answers);
    let mut items = response_items(q, &q.item, answers);
    if let Some(s) = score(q, answers) {
        items.push(json!({
            "linkId": TOTAL_LINK_ID,
            "text": q.score.as_ref().map(|r| r.text.as_str()),
            "answer": [{ "valueInteger": s.total }],
        }));
    }
    without_empty(json!({
        "resourceType": "QuestionnaireResponse",
        "id": id.to_string(),
        "questionnaire": format!("{}|{}", canonical_url(q), q.version),
        "status": match status {
            WorksheetStatus::Draft => "in-progress",
            WorksheetStatus::Complete | WorksheetStatus::Reviewed => "completed",
        },
        "authored": authored.to_rfc3339_opts(SecondsFormat::Secs, false),
        "item": items,
    }))
}

/// The code system of Steady's own observation codes: there is no LOINC
/// code for a 0-10 craving rating.
pub const OBSERVATION_SYSTEM: &str = "urn:steady:observation";

/// A check-in as a survey Observation: its craving, 0 to 10, at the time and
/// in the offset the patient logged it.
pub fn checkin_observation(id: RecordId, c: &CheckIn) -> Value {
    without_empty(json!({
        "resourceType": "Observation",
        "id": id.to_string(),
        "status": "final",
        "category": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "survey",
                "display": "Survey",
            }],
        }],
        "code": {
            "coding": [{
                "system": OBSERVATION_SYSTEM,
                "code": "craving",
                "display": "Craving, 0 (none) to 10 (the strongest imaginable)",
            }],
            "text": "Craving (0 to 10)",
        },
        "effectiveDateTime": c.at.to_rfc3339_opts(SecondsFormat::Secs, false),
        "valueInteger": c.craving.value(),
        "note": if c.note.is_empty() { json!([]) } else { json!([{ "text": c.note }]) },
    }))
}

/// Resources in one `collection` Bundle, each under its full URL: a
/// record's id as a `urn:uuid:`, a Questionnaire's canonical URL.
pub fn bundle(resources: Vec<Value>, at: DateTime<FixedOffset>) -> Value {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|resource| {
            let full_url = match resource["resourceType"].as_str() {
                Some("Questionnaire") => resource["url"].clone(),
                _ => json!(format!(
                    "urn:uuid:{}",
                    resource["id"].as_str().unwrap_or_default()
                )),
            };
            json!({ "fullUrl": full_url, "resource": resource })
        })
        .collect();
    without_empty(json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Secs, false),
        "entry": entry,
    }))
}

/// `value` without nulls, empty arrays and empty objects, at any depth
/// (FHIR JSON allows none of them).
pub fn without_empty(value: Value) -> Value {
    fn prune(value: Value) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::Array(items) => {
                let items: Vec<Value> = items.into_iter().filter_map(prune).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Value::Object(fields) => {
                let fields: serde_json::Map<String, Value> = fields
                    .into_iter()
                    .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                    .collect();
                (!fields.is_empty()).then_some(Value::Object(fields))
            }
            Value::String(s) if s.is_empty() => None,
            other => Some(other),
        }
    }
    prune(value).unwrap_or(Value::Null)
}

/// The response and its template in one FHIR R4 `collection` Bundle: the one
/// file a patient hands to their clinic, which files the response and can
/// show each answer under its question.
pub fn collection(questionnaire: Value, response: Value, at: DateTime<FixedOffset>) -> Value {
    bundle(vec![response, questionnaire], at)
}

fn response_items(q: &Questionnaire, items: &[Item], answers: &Answers) -> Vec<Value> {
    let mut out = Vec::new();
    for item in items {
        let values = answers.get(&item.link_id);
        if values.is_empty() {
            continue;
        }
        if item.kind == ItemType::Group {
            // A repeating group answers as one item per filled-in instance.
            for value in values {
                if let AnswerValue::Group(inner) = value {
                    let inner = response_items(q, &item.item, inner);
                    // A group with nothing filled in is not written at all.
                    if !inner.is_empty() {
                        out.push(json!({
                            "linkId": item.link_id,
                            "text": item.text,
                            "item": inner,
                        }));
                    }
                }
            }
            continue;
        }
        let answer: Vec<Value> = values
            .iter()
            .filter_map(|v| answer_value(q, item, v))
            .collect();
        if !answer.is_empty() {
            out.push(json!({ "linkId": item.link_id, "text": item.text, "answer": answer }));
        }
    }
    out
}

fn answer_value(q: &Questionnaire, item: &Item, value: &AnswerValue) -> Option<Value> {
    Some(match (item.kind, value) {
        (ItemType::Choice, AnswerValue::Text(code)) => {
            let option = item.answer_option.iter().find(|o| &o.code == code)?;
            json!({ "valueCoding": {
                "system": option_system(q, item),
                "code": option.code,
                "display": option.display,
            }})
        }
        // A blank answer is no answer: nothing is written for it.
        (_, AnswerValue::Text(t)) if t.trim().is_empty() => return None,
        (_, AnswerValue::Text(t)) => json!({ "valueString": t }),
        (_, AnswerValue::Integer(n)) => json!({ "valueInteger": n }),
        (_, AnswerValue::Boolean(b)) => json!({ "valueBoolean": b }),
        (_, AnswerValue::Group(_)) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::{Library, ids};
    use crate::record::Body;

    #[test]
    fn a_scored_response_exports_its_answers_and_total() {
        let q = Library::builtin().latest(ids::PACS).unwrap();
        let answers: Answers = serde_json::from_value(json!({
            "frequency": ["6"], "intensity": ["6"], "duration": ["6"], "resistance": ["6"], "overall": ["6"]
        }))
        .unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-20T23:05:00-07:00").unwrap();
        let id = RecordId::new();
        let r = questionnaire_response(q, id, WorksheetStatus::Complete, at, &answers).unwrap();
        assert_eq!(r["resourceType"], "QuestionnaireResponse");
        assert_eq!(r["questionnaire"], "urn:steady:questionnaire:pacs|1.0.0");
        assert_eq!(r["status"], "completed");
        assert_eq!(r["authored"], "2026-11-20T23:05:00-07:00");
        assert_eq!(r["item"][1]["linkId"], "intensity");
        assert_eq!(r["item"][1]["answer"][0]["valueCoding"]["code"], "6");
        assert_eq!(r["item"][5]["linkId"], "total");
        assert_eq!(r["item"][5]["answer"][0]["valueInteger"], 30);
        let qr = questionnaire(q);
        assert_eq!(qr["resourceType"], "Questionnaire");
        assert_eq!(qr["url"], "urn:steady:questionnaire:pacs");
        assert_eq!(
            qr["item"][0]["answerOption"][6]["extension"][0]["valueDecimal"],
            6
        );
        assert_eq!(qr["item"][5]["readOnly"], true);
        assert_eq!(
            questionnaire_response(q, id, WorksheetStatus::Draft, at, &answers),
            Err(ExportError::NotComplete)
        );

        let bundle = collection(qr, r.clone(), at);
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "collection");
        assert_eq!(bundle["timestamp"], "2026-11-20T23:05:00-07:00");
        assert_eq!(bundle["entry"][0]["fullUrl"], format!("urn:uuid:{id}"));
        assert_eq!(bundle["entry"][0]["resource"], r);
        assert_eq!(
            bundle["entry"][1]["fullUrl"],
            "urn:steady:questionnaire:pacs"
        );
        assert_eq!(
            bundle["entry"][1]["resource"]["resourceType"],
            "Questionnaire"
        );
    }

    #[test]
    fn an_adapted_scale_exports_the_questions_as_the_patient_read_them() {
        let q = Library::builtin().latest(ids::CRAVING_SCALE).unwrap();
        let answers: Answers = serde_json::from_value(json!({
            "substance": ["meth"], "frequency": ["1"], "intensity": ["6"], "duration": ["0"],
            "resistance": ["2"], "overall": ["1"]
        }))
        .unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-20T23:05:00-07:00").unwrap();
        let r = questionnaire_response(q, RecordId::new(), WorksheetStatus::Complete, at, &answers)
            .unwrap();
        assert_eq!(r["item"][0]["answer"][0]["valueString"], "meth");
        assert_eq!(
            r["item"][2]["text"],
            "At its most severe point, how strong was your craving for meth during the past week?"
        );
        assert_eq!(
            r["item"][2]["answer"][0]["valueCoding"]["display"],
            "Strong urge and would have used meth if it were available"
        );
        assert_eq!(r["item"][6]["answer"][0]["valueInteger"], 10);
        // The Questionnaire is the template's, read with the stand-in words.
        let qr = questionnaire(q);
        assert_eq!(
            qr["item"][2]["text"],
            "At its most severe point, how strong was your craving for the substance during the past week?"
        );
        assert!(qr["description"].as_str().unwrap().contains("adaptation"));
        assert!(!qr.to_string().contains("{substance}"), "{qr}");
    }

    #[test]
    fn nothing_empty_is_written_a_group_without_answers_included() {
        let q = Library::builtin().latest(ids::THOUGHT_RECORD).unwrap();
        // A thought record begun: the situation's group started but left
        // blank, one mood without its rating, a blank balanced thought.
        let answers: Answers = serde_json::from_value(json!({
            "situation": [{ "situation.what": [""] }],
            "moods": [{ "moods.mood": ["anxious"] }],
            "balanced": [{}],
            "evidence-for": [""],
        }))
        .unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-20T23:05:00-07:00").unwrap();
        let r = response(q, RecordId::new(), WorksheetStatus::Draft, at, &answers);
        assert_eq!(r["status"], "in-progress");
        fn no_empties(v: &Value, path: &str) {
            match v {
                Value::Null => panic!("null at {path}"),
                Value::String(s) => assert!(!s.is_empty(), "empty text at {path}"),
                Value::Array(items) => {
                    assert!(!items.is_empty(), "empty array at {path}");
                    for (i, item) in items.iter().enumerate() {
                        no_empties(item, &format!("{path}[{i}]"));
                    }
                }
                Value::Object(fields) => {
                    assert!(!fields.is_empty(), "empty object at {path}");
                    for (k, item) in fields {
                        no_empties(item, &format!("{path}.{k}"));
                    }
                }
                _ => {}
            }
        }
        no_empties(&r, "response");
        let linked: Vec<&str> = r["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["linkId"].as_str().unwrap())
            .collect();
        assert_eq!(linked, ["moods"]);
        // Nothing answered at all: no item list.
        let blank = response(
            q,
            RecordId::new(),
            WorksheetStatus::Draft,
            at,
            &Answers::default(),
        );
        assert!(blank.get("item").is_none(), "{blank}");
        for template in Library::builtin().all() {
            no_empties(&questionnaire(template), &template.id);
        }
    }

    #[test]
    fn a_checkin_is_a_survey_observation_of_its_craving() {
        let at = DateTime::parse_from_rfc3339("2026-11-20T23:05:00-07:00").unwrap();
        let c = CheckIn::from_draft(
            crate::CheckInDraft {
                at: Some(at),
                craving: 7,
                ..crate::CheckInDraft::default()
            },
            at,
        )
        .unwrap();
        let id = RecordId::new();
        let o = checkin_observation(id, &c);
        assert_eq!(o["resourceType"], "Observation");
        assert_eq!(o["category"][0]["coding"][0]["code"], "survey");
        assert_eq!(o["effectiveDateTime"], "2026-11-20T23:05:00-07:00");
        assert_eq!(o["valueInteger"], 7);
        assert!(o.get("note").is_none(), "no empty note: {o}");
        let b = bundle(vec![o], at);
        assert_eq!(b["entry"][0]["fullUrl"], format!("urn:uuid:{id}"));
    }
}
