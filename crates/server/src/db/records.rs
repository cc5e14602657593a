//! The care team's copy of shared records: push merges each incoming record
//! field by field (steady-model's `merge`) and gives every record that
//! changed the patient's next change number; pull reads by change number.
//!
//! Why a pull never skips a change: a push first takes the patient's row in
//! `patient_changes` (an UPDATE, so PostgreSQL locks the row and SQLite takes
//! its one write lock) and holds it until it commits. Change numbers for one
//! patient are therefore handed out, and become visible, in order; a reader
//! who has seen number n has seen every number below it. The SQL is the same
//! on both backends, so one macro writes the implementation for each.

/// Implements `Records` for a backend struct with a `pool` field whose rows
/// are `$row`.
macro_rules! records_for {
    ($db:ty, $row:ty) => {
        fn stored_of(row: &$row) -> Result<$crate::db::StoredRecord, $crate::db::DbError> {
            let text: String = row.get("fields");
            Ok($crate::db::StoredRecord {
                id: row.get("id"),
                kind: row.get("kind"),
                change: row.get("change_no"),
                fields: serde_json::from_str(&text)
                    .map_err(|e| $crate::db::DbError::Corrupt(format!("record fields: {e}")))?,
            })
        }

        impl $crate::db::Records for $db {
            async fn push(
                &self,
                patient_id: &str,
                records: &[$crate::db::Incoming],
            ) -> Result<Vec<$crate::db::PushOutcome>, $crate::db::DbError> {
                use steady_model::merge::{FieldMap, merge};
                let mut tx = self.pool.begin().await?;
                sqlx::query($crate::db::sql::ENSURE_COUNTER)
                    .bind(patient_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query($crate::db::sql::LOCK_PATIENT)
                    .bind(patient_id)
                    .execute(&mut *tx)
                    .await?;
                let mut outcomes = Vec::with_capacity(records.len());
                for record in records {
                    let existing = sqlx::query($crate::db::sql::RECORD)
                        .bind(patient_id)
                        .bind(&record.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let current = match &existing {
                        None => FieldMap::default(),
                        Some(row) => {
                            let kind: String = row.get("kind");
                            if kind != record.kind {
                                outcomes.push($crate::db::PushOutcome::Refused(format!(
                                    "this id belongs to a {kind} record, not a {}",
                                    record.kind
                                )));
                                continue;
                            }
                            let text: String = row.get("fields");
                            serde_json::from_str(&text).map_err(|e| {
                                $crate::db::DbError::Corrupt(format!("record fields: {e}"))
                            })?
                        }
                    };
                    let merged = merge(&current, &record.fields);
                    // The merged record must be one the app can read: every
                    // field in range, none unknown, none missing.
                    let valid = match steady_model::RecordKind::parse(&record.kind) {
                        None => Err(format!("{:?} is not a kind of record", record.kind)),
                        Some(kind) => kind
                            .read(serde_json::Value::Object(merged.body(kind)))
                            .map(|_| ()),
                    };
                    if let Err(reason) = valid {
                        outcomes.push($crate::db::PushOutcome::Refused(format!(
                            "it is not a valid {}: {reason}",
                            record.kind
                        )));
                        continue;
                    }
                    if existing.is_some() && merged == current {
                        outcomes.push($crate::db::PushOutcome::Applied);
                        continue;
                    }
                    let change: i64 = sqlx::query_scalar($crate::db::sql::NEXT_CHANGE)
                        .bind(patient_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let text = serde_json::to_string(&merged)
                        .map_err(|e| $crate::db::DbError::Corrupt(e.to_string()))?;
                    sqlx::query($crate::db::sql::UPSERT_RECORD)
                        .bind(patient_id)
                        .bind(&record.id)
                        .bind(&record.kind)
                        .bind(text)
                        .bind(change)
                        .execute(&mut *tx)
                        .await?;
                    outcomes.push($crate::db::PushOutcome::Applied);
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn pull(
                &self,
                patient_id: &str,
                after: i64,
                limit: i64,
            ) -> Result<Vec<$crate::db::StoredRecord>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::PULL)
                    .bind(patient_id)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(stored_of).collect()
            }

            async fn records_of(
                &self,
                patient_id: &str,
                kind: &str,
            ) -> Result<Vec<$crate::db::StoredRecord>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::RECORDS_OF_KIND)
                    .bind(patient_id)
                    .bind(kind)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(stored_of).collect()
            }
        }
    };
}

pub(crate) use records_for;
