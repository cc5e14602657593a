//! Worksheets, the relapse-prevention plan and the crisis lines: what the
//! patient practises between sessions and what the "I'm struggling" screen
//! shows. Worksheets themselves are ordinary records ([`Store::create`] and
//! friends); this module adds the single plan, the settings, and export.

use serde::Serialize;
use serde_json::Value;
use steady_model::fhir::{self, ExportError};
use steady_model::{
    CrisisLine, Entry, Library, PlanDraft, RecordId, RelapsePreventionPlan, ValidationErrors,
    Worksheet, check_crisis_lines, us_crisis_lines,
};
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::Store;

const CRISIS_LINES: &str = "crisis_lines";
const EXPORTS: &str = "exports.written";

/// A completed worksheet in FHIR R4 form: the response and its template.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct FhirExport {
    #[ts(type = "unknown")]
    pub questionnaire: Value,
    #[ts(type = "unknown")]
    pub response: Value,
}

impl Store {
    /// The patient's relapse-prevention plan, if they have written one.
    pub async fn plan(&self) -> Result<Option<Entry<RelapsePreventionPlan>>, StoreError> {
        // One plan per patient; should two devices each start one before they
        // sync, the oldest is the plan and the other stays in the log.
        Ok(self
            .all_live::<RelapsePreventionPlan>()
            .await?
            .into_iter()
            .next()
            .map(|(id, data)| Entry { id, data }))
    }

    /// Writes the plan (there is one), keeping when it was first written.
    pub async fn save_plan(
        &self,
        mut draft: PlanDraft,
    ) -> Result<Entry<RelapsePreventionPlan>, StoreError> {
        match self.plan().await? {
            Some(existing) => {
                draft.since = Some(existing.data.since);
                self.update::<RelapsePreventionPlan>(existing.id, draft)
                    .await
            }
            None => self.create::<RelapsePreventionPlan>(draft).await,
        }
    }

    /// The crisis lines to show; the United States lines until the patient
    /// sets their own.
    pub async fn crisis_lines(&self) -> Result<Vec<CrisisLine>, StoreError> {
        match self.setting(CRISIS_LINES).await? {
            None => Ok(us_crisis_lines()),
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| StoreError::corrupt("crisis lines", e))
            }
        }
    }

    /// Replaces the crisis lines; an empty list brings back the defaults.
    pub async fn set_crisis_lines(
        &self,
        lines: &[CrisisLine],
    ) -> Result<Vec<CrisisLine>, StoreError> {
        let checked = check_crisis_lines(lines)?;
        if checked.is_empty() {
            sqlx::query("DELETE FROM settings WHERE name = ?")
                .bind(CRISIS_LINES)
                .execute(self.writer())
                .await?;
            return Ok(us_crisis_lines());
        }
        let text =
            serde_json::to_string(&checked).map_err(|e| StoreError::corrupt("crisis lines", e))?;
        self.put_setting(CRISIS_LINES, &text).await?;
        Ok(checked)
    }

    /// A completed worksheet as a FHIR QuestionnaireResponse, with its template.
    pub async fn export_worksheet(&self, id: RecordId) -> Result<FhirExport, StoreError> {
        fhir_export(&self.get::<Worksheet>(id).await?)
    }

    /// Notes a file Steady exported, so erasing the device removes it too.
    pub async fn note_export(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let mut paths = self.exported_files().await?;
        let path = path.display().to_string();
        if !paths.contains(&path) {
            paths.push(path);
        }
        let text = serde_json::to_string(&paths).map_err(|e| StoreError::corrupt("exports", e))?;
        self.put_setting(EXPORTS, &text).await
    }

    /// The files Steady exported on this device.
    pub async fn exported_files(&self) -> Result<Vec<String>, StoreError> {
        match self.setting(EXPORTS).await? {
            None => Ok(Vec::new()),
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| StoreError::corrupt("exports", e))
            }
        }
    }

    pub(crate) async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    pub(crate) async fn put_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}

/// A completed worksheet, already read, as FHIR R4: its response and template.
pub fn fhir_export(entry: &Entry<Worksheet>) -> Result<FhirExport, StoreError> {
    let w = &entry.data;
    let template = Library::builtin()
        .get(&w.template, &w.version)
        .ok_or_else(|| {
            StoreError::from(ValidationErrors::single(
                "template",
                format!(
                    "This worksheet was filled from version {} of \"{}\", which this app does not have; update Steady to export it.",
                    w.version, w.template
                ),
            ))
        })?;
    let authored = w.completed.unwrap_or(w.started);
    let response = fhir::questionnaire_response(template, entry.id, w.status, authored, &w.answers)
        .map_err(|e: ExportError| ValidationErrors::single("status", e.to_string()))?;
    Ok(FhirExport {
        questionnaire: fhir::questionnaire(template),
        response,
    })
}
