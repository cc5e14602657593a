//! The append-only audit log. The SQL is the same on both backends, so one
//! macro writes the implementation.

/// Implements `Audit` for a backend struct with a `pool` field whose rows
/// are `$row`.
macro_rules! audit_for {
    ($db:ty, $row:ty) => {
        fn audit_entry_of(row: &$row) -> $crate::db::AuditEntry {
            $crate::db::AuditEntry {
                id: row.get("id"),
                at_ms: row.get("at_ms"),
                actor_id: row.get("actor_id"),
                actor_name: row.get("actor_name"),
                patient_id: row.get("patient_id"),
                patient_name: row.get("patient_name"),
                action: row.get("action"),
                detail: row.get("detail"),
            }
        }

        impl $crate::db::Audit for $db {
            async fn audit(
                &self,
                clinic_id: &str,
                actor_id: &str,
                patient_id: &str,
                action: &str,
                detail: &str,
            ) -> Result<(), $crate::db::DbError> {
                sqlx::query($crate::db::sql::INSERT_AUDIT)
                    .bind($crate::db::now_ms())
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
                filter: &$crate::db::AuditFilter,
            ) -> Result<Vec<$crate::db::AuditEntry>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::AUDIT_LOG)
                    .bind(clinic_id)
                    .bind(filter.patient_id.as_deref())
                    .bind(filter.actor_id.as_deref())
                    .bind(filter.action.as_deref())
                    .bind(filter.from_ms)
                    .bind(filter.to_ms)
                    .bind(filter.limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(audit_entry_of).collect())
            }
        }
    };
}

pub(crate) use audit_for;
