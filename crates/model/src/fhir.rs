//! FHIR R4 export: a template as a `Questionnaire`, a completed worksheet as
//! a `QuestionnaireResponse` that points at it, so a clinic's record system
//! can file what the patient wrote.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::{Value, json};

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
    json!({
        "resourceType": "Questionnaire",
        "id": q.id,
        "url": canonical_url(q),
        "version": q.version,
        "title": q.title,
        "status": "active",
        "description": q.description,
        "copyright": q.source,
        "item": items,
    })
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
    Ok(json!({
        "resourceType": "QuestionnaireResponse",
        "id": id.to_string(),
        "questionnaire": format!("{}|{}", canonical_url(q), q.version),
        "status": "completed",
        "authored": authored.to_rfc3339_opts(SecondsFormat::Secs, false),
        "item": items,
    }))
}

/// The response and its template in one FHIR R4 `collection` Bundle: the one
/// file a patient hands to their clinic, which files the response and can
/// show each answer under its question.
pub fn collection(questionnaire: Value, response: Value, at: DateTime<FixedOffset>) -> Value {
    let response_url = format!("urn:uuid:{}", response["id"].as_str().unwrap_or_default());
    let questionnaire_url = questionnaire["url"].clone();
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Secs, false),
        "entry": [
            { "fullUrl": response_url, "resource": response },
            { "fullUrl": questionnaire_url, "resource": questionnaire },
        ],
    })
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
                    out.push(json!({
                        "linkId": item.link_id,
                        "text": item.text,
                        "item": response_items(q, &item.item, inner),
                    }));
                }
            }
            continue;
        }
        let answer: Vec<Value> = values
            .iter()
            .filter_map(|v| answer_value(q, item, v))
            .collect();
        out.push(json!({ "linkId": item.link_id, "text": item.text, "answer": answer }));
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
}
