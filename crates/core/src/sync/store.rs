//! The store's side of sync: the pairing, cursor and log kept in
//! `settings`, the records waiting to be pushed, and a pulled page written
//! with its cursor in one transaction.

use std::collections::HashMap;

use steady_model::merge::FieldMap;
use steady_model::protocol::{ConsentTerms, WireRecord};
use steady_model::{Hlc, RecordKind};

use super::merge::{Merged, Pulled, local_fields, merge_pulled, patient_fields, sent_kinds};
use super::{Disclosures, Pairing, SyncLog, SyncStatus};
use crate::error::StoreError;
use crate::records;
use crate::store::{Store, wall_ms};

const PAIRING: &str = "sync.pairing";
const CURSOR: &str = "sync.cursor";
const LOG: &str = "sync.log";
const DISCLOSURES: &str = "sync.disclosures";

/// A record waiting to be pushed, and the stamp of the change it carries.
pub(super) struct Outgoing {
    pub(super) record: WireRecord<FieldMap>,
    pub(super) updated: String,
}

impl Store {
    /// Who at the clinic read or wrote this patient's records, as last
    /// fetched (empty before the first time).
    pub async fn disclosures(&self) -> Result<Disclosures, StoreError> {
        match self.setting(DISCLOSURES).await? {
            None => Ok(Disclosures::default()),
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| StoreError::corrupt("disclosures", e))
            }
        }
    }

    pub(super) async fn keep_disclosures(&self, list: &Disclosures) -> Result<(), StoreError> {
        let text =
            serde_json::to_string(list).map_err(|e| StoreError::corrupt("disclosures", e))?;
        self.put_setting(DISCLOSURES, &text).await
    }

    /// This device's pairing, if it has one.
    pub async fn pairing(&self) -> Result<Option<Pairing>, StoreError> {
        self.setting(PAIRING)
            .await?
            .map(|text| serde_json::from_str(&text).map_err(|e| StoreError::corrupt("pairing", e)))
            .transpose()
    }

    pub(super) async fn set_pairing(&self, pairing: Option<&Pairing>) -> Result<(), StoreError> {
        match pairing {
            Some(p) => {
                let text =
                    serde_json::to_string(p).map_err(|e| StoreError::corrupt("pairing", e))?;
                self.put_setting(PAIRING, &text).await
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE name IN (?, ?)")
                    .bind(PAIRING)
                    .bind(CURSOR)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }
        }
    }

    /// Starts afresh with a new pairing: cursor 0 and every record unsent.
    pub(super) async fn begin_pairing(&self, pairing: &Pairing) -> Result<(), StoreError> {
        let text = serde_json::to_string(pairing).map_err(|e| StoreError::corrupt("pairing", e))?;
        let mut tx = self.writer().begin().await?;
        records::forget_pushed(&mut tx).await?;
        sqlx::query("DELETE FROM settings WHERE name IN (?, ?)")
            .bind(CURSOR)
            .bind(LOG)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(PAIRING)
            .bind(text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The server's change number this device has stored everything up to.
    pub async fn sync_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(CURSOR)
            .await?
            .and_then(|t| t.parse().ok())
            .unwrap_or(0))
    }

    pub async fn sync_log(&self) -> Result<SyncLog, StoreError> {
        Ok(self
            .setting(LOG)
            .await?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    pub(super) async fn put_sync_log(&self, log: &SyncLog) -> Result<(), StoreError> {
        let text = serde_json::to_string(log).map_err(|e| StoreError::corrupt("sync log", e))?;
        self.put_setting(LOG, &text).await
    }

    /// Care-team records of the consented kinds with changes the server has
    /// not acknowledged.
    pub async fn pending_changes(&self) -> Result<u32, StoreError> {
        let consent = self.pairing().await?.and_then(|p| p.consent);
        self.pending_for(consent.as_ref()).await
    }

    async fn pending_for(&self, consent: Option<&ConsentTerms>) -> Result<u32, StoreError> {
        let kinds = consent.map(sent_kinds).unwrap_or_default();
        let kinds = serde_json::to_string(&kinds).map_err(|e| StoreError::corrupt("pairing", e))?;
        Ok(records::count_pending(self.reader(), &kinds).await? as u32)
    }

    pub async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let pairing = self.pairing().await?;
        let quarantined: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_quarantine")
            .fetch_one(self.reader())
            .await?;
        let consent = pairing.as_ref().and_then(|p| p.consent.clone());
        Ok(SyncStatus {
            paired: pairing.is_some(),
            server: pairing.map(|p| p.server),
            pending: self.pending_for(consent.as_ref()).await?,
            consent,
            quarantined: quarantined as u32,
            log: self.sync_log().await?,
        })
    }

    /// Up to `limit` records to push, oldest change first.
    pub(super) async fn outgoing(
        &self,
        kinds: &[String],
        limit: usize,
    ) -> Result<Vec<Outgoing>, StoreError> {
        let kinds = serde_json::to_string(kinds).map_err(|e| StoreError::corrupt("pairing", e))?;
        let rows = records::pending(self.reader(), &kinds, limit as i64).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let kind = RecordKind::parse(&row.kind)
                .ok_or_else(|| StoreError::corrupt("record", "unknown kind"))?;
            let fields = local_fields(kind, &row.body, &row.stamps, row.deleted)?;
            // A withdrawal tells the server the record is private now, and
            // nothing of what it says.
            let fields = if row.withdrawn {
                fields.withdrawn()
            } else {
                patient_fields(kind, fields)
            };
            out.push(Outgoing {
                record: WireRecord {
                    id: row.id,
                    kind: row.kind,
                    fields,
                },
                updated: row.updated,
            });
        }
        Ok(out)
    }

    /// Marks records as acknowledged at the `updated` stamp that was sent; a
    /// record edited since stays pending.
    pub(super) async fn mark_pushed(&self, acked: &[(&str, &str)]) -> Result<(), StoreError> {
        let mut tx = self.writer().begin().await?;
        for (id, updated) in acked {
            records::set_pushed(&mut tx, id, Some(updated)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Merges a pulled page into the store and stores `cursor`, in one
    /// transaction: one read of the local copies, a merge per record, and
    /// multi-row writes. Answers how many records changed here.
    pub(super) async fn apply_page(&self, page: &[Pulled], cursor: i64) -> Result<u32, StoreError> {
        let mut tx = self.writer().begin().await?;
        let ids = serde_json::to_string(&page.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
            .map_err(|e| StoreError::corrupt("pulled record", e))?;
        let mut local: HashMap<String, records::MergeRow> = records::by_ids(&mut tx, &ids)
            .await?
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
        let mut writes: Vec<records::MergedRow> = Vec::new();
        let mut acks: Vec<(String, Option<String>)> = Vec::new();
        let mut newest: Option<Hlc> = None;
        for record in page {
            match merge_pulled(record, local.get(&record.id))? {
                Merged::Write { row, stamp } => {
                    newest = newest.max(Some(stamp));
                    // A second copy of the id in this page merges onto this one.
                    local.insert(row.id.clone(), (&row).into());
                    writes.retain(|w| w.id != row.id);
                    writes.push(row);
                }
                Merged::Same { pushed } => acks.push((record.id.clone(), pushed)),
                Merged::Unreadable(reason) => {
                    sqlx::query(
                        "INSERT INTO sync_quarantine (id, kind, fields, reason, received_ms)
                         VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,
                           fields = excluded.fields, reason = excluded.reason,
                           received_ms = excluded.received_ms",
                    )
                    .bind(&record.id)
                    .bind(&record.kind)
                    .bind(
                        serde_json::to_string(&record.fields)
                            .map_err(|e| StoreError::corrupt("pulled record", e))?,
                    )
                    .bind(reason)
                    .bind(wall_ms() as i64)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        for (id, pushed) in &acks {
            records::set_pushed(&mut tx, id, pushed.as_deref()).await?;
        }
        records::upsert_merged(&mut tx, &writes).await?;
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(CURSOR)
        .bind(cursor.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(stamp) = newest {
            self.observe(stamp);
        }
        Ok(writes.len() as u32)
    }
}
