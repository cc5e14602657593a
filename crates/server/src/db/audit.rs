//! The append-only audit log, on either backend.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, Row, Type};

use super::{Audit, AuditEntry, AuditFilter, Backend, Bind, Column, DbError, Sql, now_ms, sql};

#[async_trait]
impl<B: Backend> Audit for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    for<'q> Option<&'q str>: Encode<'q, B> + Type<B>,
    String: Column<B>,
    i64: Column<B>,
    Option<i64>: Bind<B>,
{
    async fn audit(
        &self,
        clinic_id: &str,
        actor_id: &str,
        patient_id: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), DbError> {
        sqlx::query(sql::INSERT_AUDIT)
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
        let rows = sqlx::query(sql::AUDIT_LOG)
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
}
