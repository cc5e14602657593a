//! The append-only audit log, on either backend.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, Row, Type};

use serde::Serialize;
use ts_rs::TS;
use utoipa::ToSchema;

use super::{Backend, Bind, Column, DbError, Sql, now_ms};

/// One audited read or write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    /// The staff account that read; empty when the patient's device acted
    /// (withdrawing a record).
    pub actor_id: String,
    /// Its name, for people reading the log.
    pub actor_name: String,
    /// Whose data was read.
    pub patient_id: String,
    /// How the counselor knows the patient.
    pub patient_name: String,
    pub action: String,
    pub detail: String,
}

/// Which audit entries to list; every filter given must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub patient_id: Option<String>,
    pub actor_id: Option<String>,
    /// The exact action, e.g. `read records`.
    pub action: Option<String>,
    /// From this instant (inclusive), in ms since the epoch.
    pub from_ms: Option<i64>,
    /// Before this instant, in ms since the epoch.
    pub to_ms: Option<i64>,
    pub limit: i64,
}

/// An audit entry about one patient, as the patient may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureRow {
    pub id: i64,
    pub at_ms: i64,
    pub who: String,
    pub role: String,
    pub action: String,
    pub detail: String,
    /// The purpose of the consent in force at `at_ms`, if one was.
    pub purpose: Option<String>,
}

/// The append-only audit log.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Appends an entry. Called before the data it describes is returned.
    async fn audit(
        &self,
        clinic_id: &str,
        actor_id: &str,
        patient_id: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), DbError>;
    /// The clinic's entries that pass the filter, newest first.
    async fn audit_log(
        &self,
        clinic_id: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, DbError>;
    /// The staff's entries about one patient (who read or wrote what),
    /// newest first: those before entry
    /// `before` when given, at most `limit`.
    async fn disclosures(
        &self,
        patient_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DisclosureRow>, DbError>;
}

const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at_ms, clinic_id, actor_id, patient_id, action, detail)
     VALUES ($1, $2, $3, $4, $5, $6)";

const AUDIT_LOG: &str = "SELECT a.id, a.at_ms, COALESCE(a.actor_id, '') AS actor_id,
       COALESCE(u.name, CASE WHEN a.device_id IS NOT NULL THEN 'The patient, from their device' ELSE '' END) AS actor_name,
       a.patient_id, COALESCE(p.display_name, '') AS patient_name, a.action, a.detail
     FROM audit_log a
     LEFT JOIN users u ON u.id = a.actor_id
     LEFT JOIN patients p ON p.id = a.patient_id
     WHERE a.clinic_id = $1
       AND (CAST($2 AS TEXT) IS NULL OR a.patient_id = $2)
       AND (CAST($3 AS TEXT) IS NULL OR a.actor_id = $3)
       AND (CAST($4 AS TEXT) IS NULL OR a.action = $4)
       AND (CAST($5 AS BIGINT) IS NULL OR a.at_ms >= $5)
       AND (CAST($6 AS BIGINT) IS NULL OR a.at_ms < $6)
     ORDER BY a.id DESC LIMIT $7";

const DISCLOSURES: &str = "SELECT a.id, a.at_ms, COALESCE(u.name, '') AS who,
       COALESCE(u.role, '') AS role, a.action, a.detail,
       (SELECT c.purpose FROM consents c
         WHERE c.patient_id = a.patient_id AND c.signed_ms <= a.at_ms
           AND (c.revoked_ms IS NULL OR c.revoked_ms > a.at_ms)
         ORDER BY c.signed_ms DESC LIMIT 1) AS purpose
     FROM audit_log a
     LEFT JOIN users u ON u.id = a.actor_id
     WHERE a.patient_id = $1 AND a.actor_id IS NOT NULL
       AND (CAST($2 AS BIGINT) IS NULL OR a.id < $2)
     ORDER BY a.id DESC LIMIT $3";

#[async_trait]
impl<B: Backend> Audit for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    for<'q> Option<&'q str>: Encode<'q, B> + Type<B>,
    String: Column<B>,
    i64: Column<B>,
    Option<i64>: Bind<B>,
    Option<String>: Column<B>,
{
    async fn audit(
        &self,
        clinic_id: &str,
        actor_id: &str,
        patient_id: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), DbError> {
        sqlx::query(INSERT_AUDIT)
            .bind(now_ms())
            .bind(clinic_id)
            .bind(actor_id)
            .bind(patient_id)
            .bind(action)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn audit_log(
        &self,
        clinic_id: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, DbError> {
        let rows = sqlx::query(AUDIT_LOG)
            .bind(clinic_id)
            .bind(filter.patient_id.as_deref())
            .bind(filter.actor_id.as_deref())
            .bind(filter.action.as_deref())
            .bind(filter.from_ms)
            .bind(filter.to_ms)
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    at_ms: row.try_get("at_ms")?,
                    actor_id: row.try_get("actor_id")?,
                    actor_name: row.try_get("actor_name")?,
                    patient_id: row.try_get("patient_id")?,
                    patient_name: row.try_get("patient_name")?,
                    action: row.try_get("action")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn disclosures(
        &self,
        patient_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DisclosureRow>, DbError> {
        let rows = sqlx::query(DISCLOSURES)
            .bind(patient_id)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DisclosureRow {
                    id: row.try_get("id")?,
                    at_ms: row.try_get("at_ms")?,
                    who: row.try_get("who")?,
                    role: row.try_get("role")?,
                    action: row.try_get("action")?,
                    detail: row.try_get("detail")?,
                    purpose: row.try_get("purpose")?,
                })
            })
            .collect()
    }
}
