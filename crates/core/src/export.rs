//! "Export my data": everything the patient keeps on this device, in one
//! folder they can read, keep or hand to anyone — private entries included,
//! since it is theirs. What each file holds is in the README written beside
//! them ([`README`]); `records.json` is the complete, versioned form.
//!
//! The folder is written under a temporary name and renamed once every file
//! is in it, so a folder with the export's name is always whole.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::Serialize;
use serde_json::{Value, json};
use steady_model::fhir;
use steady_model::{
    AnswerValue, Answers, Attendance, Body, CheckIn, Entry, Library, RecordId, RecordKind,
    TriggerEntry, Worksheet,
};
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::Store;

/// What `records.json` says it is, and the version of its layout.
pub const EXPORT_FORMAT: &str = "steady-export";
pub const EXPORT_VERSION: u32 = 1;

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ExportReport {
    /// The folder, whole.
    pub folder: String,
    /// Its files, by name.
    pub files: Vec<String>,
    /// How many records `records.json` holds.
    pub records: u32,
}

/// The README written into every export.
pub const README: &str = include_str!("export-readme.txt");

impl Store {
    /// Writes a new folder, "Steady export <date> <time>", inside `parent`
    /// with every live record on this device. `now` names it and stamps it.
    pub async fn export_all(
        &self,
        parent: &Path,
        now: DateTime<FixedOffset>,
    ) -> Result<ExportReport, StoreError> {
        let mut records: Vec<(RecordId, RecordKind, Value)> = Vec::new();
        for kind in RecordKind::ALL {
            for (id, body) in crate::records::all_live(self.reader(), kind).await? {
                let id: RecordId = id
                    .parse()
                    .map_err(|e| StoreError::corrupt(kind.noun(), e))?;
                let body: Value =
                    serde_json::from_str(&body).map_err(|e| StoreError::corrupt(kind.noun(), e))?;
                records.push((id, kind, body));
            }
        }
        let ics = self.export_ics().await?;
        let files = contents(&records, &ics, now)?;
        let count = records.len() as u32;
        let parent = parent.to_owned();
        let name = format!("Steady export {}", now.format("%Y-%m-%d %H%M"));
        tokio::task::spawn_blocking(move || write_folder(&parent, &name, files, count))
            .await
            .map_err(|e| StoreError::corrupt("export", e))?
    }
}

/// Every file of the export, by name, in memory.
fn contents(
    records: &[(RecordId, RecordKind, Value)],
    ics: &str,
    now: DateTime<FixedOffset>,
) -> Result<Vec<(&'static str, Vec<u8>)>, StoreError> {
    let checkins: Vec<Entry<CheckIn>> = entries(records)?;
    let triggers: Vec<Entry<TriggerEntry>> = entries(records)?;
    let attendance: Vec<Entry<Attendance>> = entries(records)?;
    let worksheets: Vec<Entry<Worksheet>> = entries(records)?;

    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, false);
    let json_records: Vec<Value> = records
        .iter()
        .map(|(id, kind, body)| json!({ "id": id.to_string(), "kind": kind.as_str(), "fields": body }))
        .collect();
    let everything = json!({
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": stamp,
        "app_version": env!("CARGO_PKG_VERSION"),
        "records": json_records,
    });
    let pretty =
        |v: &Value| serde_json::to_vec_pretty(v).map_err(|e| StoreError::corrupt("export", e));

    Ok(vec![
        ("README.txt", README.as_bytes().to_vec()),
        ("records.json", pretty(&everything)?),
        ("checkins.csv", checkins_csv(&checkins)?),
        ("triggers.csv", triggers_csv(&triggers)?),
        ("attendance.csv", attendance_csv(&attendance)?),
        ("worksheet-answers.csv", answers_csv(&worksheets)?),
        (
            "fhir-bundle.json",
            pretty(&fhir_bundle(&checkins, &worksheets, now))?,
        ),
        ("schedule.ics", ics.as_bytes().to_vec()),
    ])
}

/// The records of one kind, read as that kind.
fn entries<B: Body>(
    records: &[(RecordId, RecordKind, Value)],
) -> Result<Vec<Entry<B>>, StoreError> {
    records
        .iter()
        .filter(|(_, kind, _)| *kind == B::KIND)
        .map(|(id, _, body)| {
            Ok(Entry {
                id: *id,
                data: serde_json::from_value(body.clone())
                    .map_err(|e| StoreError::corrupt(B::KIND.noun(), e))?,
            })
        })
        .collect()
}

/// The worksheets as QuestionnaireResponses with each template they answer
/// (once), and the check-ins as survey Observations, in one Bundle.
fn fhir_bundle(
    checkins: &[Entry<CheckIn>],
    worksheets: &[Entry<Worksheet>],
    now: DateTime<FixedOffset>,
) -> Value {
    let mut resources = Vec::new();
    let mut templates: Vec<(String, String)> = Vec::new();
    for w in worksheets {
        // A worksheet from a template this version does not have stays in
        // records.json and the CSV; FHIR needs its questions.
        let Some(q) = Library::builtin().get(&w.data.template, &w.data.version) else {
            continue;
        };
        let authored = w.data.completed.unwrap_or(w.data.started);
        resources.push(fhir::response(
            q,
            w.id,
            w.data.status,
            authored,
            &w.data.answers,
        ));
        let key = (q.id.clone(), q.version.clone());
        if !templates.contains(&key) {
            templates.push(key);
            resources.push(fhir::questionnaire(q));
        }
    }
    resources.extend(
        checkins
            .iter()
            .map(|c| fhir::checkin_observation(c.id, &c.data)),
    );
    fhir::bundle(resources, now)
}

fn csv_bytes(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, StoreError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let broken = |e: csv::Error| StoreError::corrupt("export", e);
    out.write_record(header).map_err(broken)?;
    for row in rows {
        out.write_record(&row).map_err(broken)?;
    }
    out.into_inner()
        .map_err(|e| StoreError::corrupt("export", e))
}

fn text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(Value::Null) => String::new(),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn list(items: &[String]) -> String {
    items.join("; ")
}

fn checkins_csv(checkins: &[Entry<CheckIn>]) -> Result<Vec<u8>, StoreError> {
    csv_bytes(
        &[
            "id",
            "at",
            "craving",
            "mood",
            "emotions",
            "hungry",
            "angry",
            "lonely",
            "tired",
            "substances",
            "place",
            "company",
            "coping",
            "outcome",
            "note",
            "trigger_ids",
            "visibility",
        ],
        checkins.iter().map(|e| {
            let c = &e.data;
            vec![
                e.id.to_string(),
                text(&c.at),
                c.craving.value().to_string(),
                c.mood.map(|m| m.value().to_string()).unwrap_or_default(),
                list(&c.emotions),
                c.halt.hungry.to_string(),
                c.halt.angry.to_string(),
                c.halt.lonely.to_string(),
                c.halt.tired.to_string(),
                list(&c.substances),
                c.place.clone(),
                c.company.clone(),
                list(&c.coping),
                c.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                c.note.clone(),
                c.trigger_ids
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                text(&c.visibility),
            ]
        }),
    )
}

fn triggers_csv(triggers: &[Entry<TriggerEntry>]) -> Result<Vec<u8>, StoreError> {
    csv_bytes(
        &[
            "id",
            "at",
            "category",
            "description",
            "intensity",
            "response",
            "checkin_id",
            "visibility",
        ],
        triggers.iter().map(|e| {
            let t = &e.data;
            vec![
                e.id.to_string(),
                text(&t.at),
                t.category.as_str().to_owned(),
                t.description.clone(),
                t.intensity.value().to_string(),
                t.response.clone(),
                t.checkin_id.map(|i| i.to_string()).unwrap_or_default(),
                text(&t.visibility),
            ]
        }),
    )
}

fn attendance_csv(marks: &[Entry<Attendance>]) -> Result<Vec<u8>, StoreError> {
    csv_bytes(
        &[
            "id",
            "event_id",
            "occurrence",
            "at",
            "status",
            "minutes",
            "visibility",
        ],
        marks.iter().map(|e| {
            let a = &e.data;
            vec![
                e.id.to_string(),
                a.event_id.to_string(),
                a.occurrence.format("%Y-%m-%dT%H:%M:%S").to_string(),
                text(&a.at),
                text(&a.status),
                a.minutes.to_string(),
                text(&a.visibility),
            ]
        }),
    )
}

/// One row an answer: a repeated item or group answers in several rows,
/// numbered; an answer inside a group names its path ("moods.1/moods.mood").
fn answers_csv(worksheets: &[Entry<Worksheet>]) -> Result<Vec<u8>, StoreError> {
    fn flatten(answers: &Answers, prefix: &str, out: &mut Vec<(String, usize, String)>) {
        for (link_id, values) in &answers.0 {
            for (i, value) in values.iter().enumerate() {
                match value {
                    AnswerValue::Group(inner) => {
                        flatten(inner, &format!("{prefix}{link_id}.{}/", i + 1), out);
                    }
                    AnswerValue::Text(t) => {
                        out.push((format!("{prefix}{link_id}"), i + 1, t.clone()))
                    }
                    AnswerValue::Integer(n) => {
                        out.push((format!("{prefix}{link_id}"), i + 1, n.to_string()))
                    }
                    AnswerValue::Boolean(b) => {
                        out.push((format!("{prefix}{link_id}"), i + 1, b.to_string()))
                    }
                }
            }
        }
    }
    let mut rows = Vec::new();
    for e in worksheets {
        let w = &e.data;
        let mut answers = Vec::new();
        flatten(&w.answers, "", &mut answers);
        for (item, n, answer) in answers {
            rows.push(vec![
                e.id.to_string(),
                w.template.clone(),
                w.version.clone(),
                text(&w.status),
                text(&w.started),
                w.completed.map(|c| text(&c)).unwrap_or_default(),
                item,
                n.to_string(),
                answer,
                text(&w.visibility),
            ]);
        }
    }
    csv_bytes(
        &[
            "worksheet_id",
            "template",
            "version",
            "status",
            "started",
            "completed",
            "item",
            "answer_number",
            "answer",
            "visibility",
        ],
        rows,
    )
}

fn write_folder(
    parent: &Path,
    name: &str,
    files: Vec<(&'static str, Vec<u8>)>,
    records: u32,
) -> Result<ExportReport, StoreError> {
    std::fs::create_dir_all(parent).map_err(StoreError::file("create the folder", parent))?;
    let partial = parent.join(format!(".{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir(&partial).map_err(StoreError::file("create the folder", &partial))?;
    let mut names = Vec::new();
    for (file, bytes) in files {
        let path = partial.join(file);
        std::fs::write(&path, bytes).map_err(StoreError::file("write", &path))?;
        names.push(file.to_owned());
    }
    // A second export in the same minute gets a number, never a merge.
    let mut folder: PathBuf = parent.join(name);
    let mut n = 2;
    while folder.exists() {
        folder = parent.join(format!("{name} ({n})"));
        n += 1;
    }
    std::fs::rename(&partial, &folder).map_err(StoreError::file("name the folder", &folder))?;
    Ok(ExportReport {
        folder: folder.display().to_string(),
        files: names,
        records,
    })
}
