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
/// are `$row`; `$existing` selects a patient's records by a JSON array of
/// ids ($1 patient, $2 the array), the one query whose SQL differs;
/// `$numbered` says whether the backend's bulk insert numbers its parameters.
macro_rules! records_for {
    ($db:ty, $row:ty, $existing:expr, $numbered:expr) => {
        fn raw_of(row: &$row) -> $crate::db::RawRecord {
            $crate::db::RawRecord {
                id: row.get("id"),
                kind: row.get("kind"),
                change: row.get("change_no"),
                fields: row.get("fields"),
            }
        }

        impl $crate::db::Records for $db {
            async fn push(
                &self,
                patient_id: &str,
                records: &[$crate::db::Incoming],
            ) -> Result<Vec<$crate::db::PushOutcome>, $crate::db::DbError> {
                use std::collections::HashMap;
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
                // Every stored record the push touches, in one query.
                let ids = serde_json::to_string(
                    &records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
                )
                .map_err(|e| $crate::db::DbError::Corrupt(e.to_string()))?;
                let mut stored: HashMap<String, (String, FieldMap)> = HashMap::new();
                for row in sqlx::query($existing)
                    .bind(patient_id)
                    .bind(ids)
                    .fetch_all(&mut *tx)
                    .await?
                {
                    let text: String = row.get("fields");
                    let fields: FieldMap = serde_json::from_str(&text)
                        .map_err(|e| $crate::db::DbError::Corrupt(format!("record fields: {e}")))?;
                    stored.insert(row.get("id"), (row.get("kind"), fields));
                }
                let mut outcomes = Vec::with_capacity(records.len());
                // The records that changed, in push order, with their new fields.
                let mut changed: Vec<(&str, &str, String)> = Vec::new();
                for record in records {
                    let current = match stored.get(&record.id) {
                        None => FieldMap::default(),
                        Some((kind, _)) if *kind != record.kind => {
                            outcomes.push($crate::db::PushOutcome::Refused(format!(
                                "this id belongs to a {kind} record, not a {}",
                                record.kind
                            )));
                            continue;
                        }
                        Some((_, fields)) => fields.clone(),
                    };
                    let merged = merge(&current, &record.fields);
                    if stored.contains_key(&record.id) && merged == current {
                        outcomes.push($crate::db::PushOutcome::Applied);
                        continue;
                    }
                    // The merged record must be one the app can read: every
                    // field in range, none unknown, none missing.
                    let valid = match steady_model::RecordKind::parse(&record.kind) {
                        None => Err(format!("{:?} is not a kind of record", record.kind)),
                        Some(kind) => kind
                            .read(&serde_json::Value::Object(merged.body(kind)))
                            .map(|_| ()),
                    };
                    if let Err(reason) = valid {
                        outcomes.push($crate::db::PushOutcome::Refused(format!(
                            "it is not a valid {}: {reason}",
                            record.kind
                        )));
                        continue;
                    }
                    let text = serde_json::to_string(&merged)
                        .map_err(|e| $crate::db::DbError::Corrupt(e.to_string()))?;
                    // A later record with the same id in this push merges onto this one.
                    stored.insert(record.id.clone(), (record.kind.clone(), merged));
                    changed.retain(|(id, _, _)| *id != record.id.as_str());
                    changed.push((&record.id, &record.kind, text));
                    outcomes.push($crate::db::PushOutcome::Applied);
                }
                if !changed.is_empty() {
                    // Numbers for every change at once: last - n + 1 ..= last.
                    let last: i64 = sqlx::query_scalar($crate::db::sql::ADVANCE_CHANGES)
                        .bind(patient_id)
                        .bind(changed.len() as i64)
                        .fetch_one(&mut *tx)
                        .await?;
                    let first = last - changed.len() as i64 + 1;
                    for (chunk_no, chunk) in changed.chunks($crate::db::UPSERT_ROWS).enumerate() {
                        let mut query = sqlx::query(sqlx::AssertSqlSafe($crate::db::upsert_sql(
                            chunk.len(),
                            $numbered,
                        )));
                        for (i, (id, kind, text)) in chunk.iter().enumerate() {
                            query = query
                                .bind(patient_id)
                                .bind(*id)
                                .bind(*kind)
                                .bind(text.as_str())
                                .bind(first + (chunk_no * $crate::db::UPSERT_ROWS + i) as i64);
                        }
                        query.execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn pull_raw(
                &self,
                patient_id: &str,
                after: i64,
                limit: i64,
            ) -> Result<Vec<$crate::db::RawRecord>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::PULL)
                    .bind(patient_id)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(raw_of).collect())
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
                rows.iter().map(|row| raw_of(row).decode()).collect()
            }
        }
    };
}

pub(crate) use records_for;
