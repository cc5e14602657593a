//! Encrypted backups: every record on this device, with the clock stamp of
//! each field, in one file sealed with a passphrase the patient chooses —
//! made on request, restored onto a new install or an existing one.
//!
//! The file is `STEADYBK`, a format byte, the Argon2id parameters and salt
//! that turn the passphrase into a key, a nonce, and the records (JSON)
//! sealed with XChaCha20-Poly1305, the header bound in as associated data.
//! A wrong passphrase, a damaged byte or a cut-short file fail the seal's
//! check, so nothing from them is ever read.
//!
//! Restoring merges each record field by field by its stamp, as sync does:
//! restoring the same backup twice changes nothing, and an edit made here
//! after the backup is not undone by it. The whole restore is one
//! transaction: a restore stopped part-way (a crash, a kill) leaves the
//! store as it was.

use std::collections::HashMap;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steady_model::protocol::PulledRecord;
use steady_model::{Hlc, RecordKind, ValidationErrors};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::records::{self, MergeRow, MergedRow};
use crate::store::Store;
use crate::sync::merge::{Merged, WireFields, local_fields, merge_restored};

const MAGIC: &[u8; 8] = b"STEADYBK";
const FORMAT: u8 = 1;
const SALT: usize = 16;
const NONCE: usize = 24;
const HEADER: usize = MAGIC.len() + 1 + 12 + SALT + NONCE;
/// Argon2id at 64 MiB and three passes (RFC 9106's second recommended
/// setting): about a second here, per guess.
const MEMORY_KIB: u32 = 64 * 1024;
const PASSES: u32 = 3;
/// The most a backup's header may ask for, so a hostile file cannot make
/// the app allocate gigabytes.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_PASSES: u32 = 16;
/// The shortest passphrase a backup is made with.
pub const MIN_PASSPHRASE: usize = 8;

/// What `restore` reads inside the seal.
const CONTENT_FORMAT: &str = "steady-backup";
const CONTENT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Contents<F> {
    format: String,
    version: u32,
    made_at: String,
    records: Vec<PulledRecord<F>>,
}

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct BackupReport {
    pub path: String,
    pub records: u32,
    pub bytes: u64,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct RestoreReport {
    /// Records in the backup.
    pub records: u32,
    /// Added here, or changed by a newer field from the backup.
    pub changed: u32,
    /// Already here as they are in the backup (or newer).
    pub unchanged: u32,
    /// Records this version of Steady cannot keep, left out (with why).
    pub skipped: Vec<String>,
}

fn passphrase_refused(message: &str) -> StoreError {
    ValidationErrors::single("passphrase", message).into()
}

fn file_refused(message: impl Into<String>) -> StoreError {
    ValidationErrors::single("file", message).into()
}

fn key_from(
    passphrase: &str,
    salt: &[u8],
    memory: u32,
    passes: u32,
) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let params = Params::new(memory, passes, 1, Some(32))
        .map_err(|_| file_refused("This backup asks for settings Steady does not use; it was not made by Steady. Nothing was changed."))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key[..])
        .map_err(|e| StoreError::corrupt("backup", e))?;
    Ok(key)
}

/// Seals `plain` with `passphrase`: the whole backup file.
fn seal(plain: &[u8], passphrase: &str) -> Result<Vec<u8>, StoreError> {
    let mut salt = [0u8; SALT];
    let mut nonce = [0u8; NONCE];
    getrandom::fill(&mut salt).map_err(|e| StoreError::corrupt("backup", e))?;
    getrandom::fill(&mut nonce).map_err(|e| StoreError::corrupt("backup", e))?;
    let mut out = Vec::with_capacity(HEADER + plain.len() + 16);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.extend_from_slice(&MEMORY_KIB.to_le_bytes());
    out.extend_from_slice(&PASSES.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let key = key_from(passphrase, &salt, MEMORY_KIB, PASSES)?;
    let sealed = XChaCha20Poly1305::new((&*key).into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plain,
                aad: &out,
            },
        )
        .map_err(|e| StoreError::corrupt("backup", e))?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a backup file's seal: the records' JSON, or why not.
fn open(file: &[u8], passphrase: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if file.len() < HEADER + 16 || &file[..MAGIC.len()] != MAGIC {
        return Err(file_refused(
            "This is not a Steady backup, or only part of one (the file is cut short). Nothing was changed.",
        ));
    }
    if file[MAGIC.len()] != FORMAT {
        return Err(file_refused(
            "This backup was made by a newer Steady; update Steady to restore it. Nothing was changed.",
        ));
    }
    let number =
        |at: usize| u32::from_le_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]]);
    let at = MAGIC.len() + 1;
    let (memory, passes, lanes) = (number(at), number(at + 4), number(at + 8));
    if memory > MAX_MEMORY_KIB || passes > MAX_PASSES || lanes != 1 {
        return Err(file_refused(
            "This backup asks for settings Steady does not use; it was not made by Steady. Nothing was changed.",
        ));
    }
    let salt = &file[at + 12..at + 12 + SALT];
    let mut nonce = [0u8; NONCE];
    nonce.copy_from_slice(&file[at + 12 + SALT..HEADER]);
    let key = key_from(passphrase, salt, memory, passes)?;
    let plain = XChaCha20Poly1305::new((&*key).into())
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &file[HEADER..],
                aad: &file[..HEADER],
            },
        )
        .map_err(|_| {
            passphrase_refused(
                "This backup could not be opened: the passphrase is not the one it was made with, or the file is damaged. Nothing was changed.",
            )
        })?;
    Ok(Zeroizing::new(plain))
}

impl Store {
    /// Writes an encrypted backup of every record (deleted ones too, so a
    /// deletion travels) to `path`, replacing a file there only once the new
    /// one is whole.
    pub async fn backup_to(
        &self,
        path: &Path,
        passphrase: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<BackupReport, StoreError> {
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(passphrase_refused(&format!(
                "Choose a passphrase of at least {MIN_PASSPHRASE} characters; you will need it to restore this backup, and nobody can recover it for you."
            )));
        }
        let rows: Vec<(String, String, String, String, bool)> = sqlx::query_as(
            "SELECT id, kind, body, stamps, deleted FROM records ORDER BY at_ms, id",
        )
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, kind_text, body, stamps, deleted) in rows {
            let Some(kind) = RecordKind::parse(&kind_text) else {
                continue;
            };
            out.push(PulledRecord {
                id,
                kind: kind_text,
                fields: local_fields(kind, &body, &stamps, deleted)?,
                change: 0,
            });
        }
        let contents = Contents {
            format: CONTENT_FORMAT.into(),
            version: CONTENT_VERSION,
            made_at: now.to_rfc3339_opts(SecondsFormat::Secs, false),
            records: out,
        };
        let count = contents.records.len() as u32;
        let plain = Zeroizing::new(
            serde_json::to_vec(&contents).map_err(|e| StoreError::corrupt("backup", e))?,
        );
        let passphrase = Zeroizing::new(passphrase.to_owned());
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || -> Result<BackupReport, StoreError> {
            let sealed = seal(&plain, &passphrase)?;
            let partial = path.with_extension("partial");
            {
                use std::io::Write;
                let mut file =
                    std::fs::File::create(&partial).map_err(StoreError::file("write", &partial))?;
                file.write_all(&sealed)
                    .and_then(|()| file.sync_all())
                    .map_err(StoreError::file("write", &partial))?;
            }
            std::fs::rename(&partial, &path).map_err(StoreError::file("write", &path))?;
            Ok(BackupReport {
                path: path.display().to_string(),
                records: count,
                bytes: sealed.len() as u64,
            })
        })
        .await
        .map_err(|e| StoreError::corrupt("backup", e))?
    }

    /// Restores the backup at `path`, merging each record with what is
    /// here: all of it in one transaction, or nothing.
    pub async fn restore_from(
        &self,
        path: &Path,
        passphrase: &str,
    ) -> Result<RestoreReport, StoreError> {
        let file = tokio::fs::read(path)
            .await
            .map_err(StoreError::file("read", path))?;
        let passphrase = Zeroizing::new(passphrase.to_owned());
        let plain = tokio::task::spawn_blocking(move || open(&file, &passphrase))
            .await
            .map_err(|e| StoreError::corrupt("backup", e))??;
        let contents: Contents<WireFields> = serde_json::from_slice(&plain).map_err(|_| {
            file_refused("This backup's contents could not be read; it may come from a newer Steady. Nothing was changed.")
        })?;
        if contents.format != CONTENT_FORMAT || contents.version > CONTENT_VERSION {
            return Err(file_refused(
                "This backup was made by a newer Steady; update Steady to restore it. Nothing was changed.",
            ));
        }
        let mut tx = self.writer().begin().await?;
        let ids: Vec<&str> = contents.records.iter().map(|r| r.id.as_str()).collect();
        let mut local: HashMap<String, MergeRow> = HashMap::new();
        for chunk in ids.chunks(5_000) {
            let text =
                serde_json::to_string(chunk).map_err(|e| StoreError::corrupt("backup", e))?;
            for row in records::by_ids(&mut tx, &text).await? {
                local.insert(row.id.clone(), row);
            }
        }
        let mut writes: Vec<MergedRow> = Vec::new();
        let mut report = RestoreReport {
            records: contents.records.len() as u32,
            changed: 0,
            unchanged: 0,
            skipped: Vec::new(),
        };
        let mut newest: Option<Hlc> = None;
        for record in &contents.records {
            match merge_restored(record, local.get(&record.id))? {
                Merged::Write { row, stamp } => {
                    newest = newest.max(Some(stamp));
                    local.insert(row.id.clone(), (&row).into());
                    writes.retain(|w| w.id != row.id);
                    writes.push(row);
                }
                Merged::Same { .. } => report.unchanged += 1,
                Merged::Unreadable(reason) => report.skipped.push(format!(
                    "{} {}: {reason}",
                    RecordKind::parse(&record.kind).map_or("record", RecordKind::noun),
                    record.id
                )),
            }
        }
        report.changed = writes.len() as u32;
        records::upsert_merged(&mut tx, &writes).await?;
        tx.commit().await?;
        if let Some(stamp) = newest {
            self.observe(stamp);
        }
        if !writes.is_empty() {
            self.changed();
        }
        Ok(report)
    }
}

/// The records' JSON inside a backup, for tests that check what it holds.
#[doc(hidden)]
pub fn open_for_tests(file: &[u8], passphrase: &str) -> Result<Value, StoreError> {
    let plain = open(file, passphrase)?;
    serde_json::from_slice(&plain).map_err(|e| StoreError::corrupt("backup", e))
}

const AUTO_BACKUP: &str = "auto_backup";
/// Automatic backups kept in the chosen folder; older ones Steady made are
/// removed.
pub const AUTO_BACKUPS_KEPT: usize = 4;
const AUTO_PREFIX: &str = "Steady weekly backup ";
const AUTO_EXTENSION: &str = "steadybackup";

/// The weekly backup's settings as kept: the passphrase too, inside the
/// encrypted store, so the backup can be made without asking.
#[derive(Serialize, Deserialize)]
struct AutoBackupKept {
    folder: String,
    passphrase: String,
    last_ms: Option<i64>,
}

/// The weekly backup as the UI shows it (never the passphrase).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct AutoBackup {
    pub folder: String,
    /// When the last one was made, if one was.
    #[ts(optional = nullable)]
    pub last: Option<DateTime<chrono::Utc>>,
}

impl Store {
    /// Turns the weekly backup on into `folder` with `passphrase`, or off
    /// with `None`. The folder must exist and take a file.
    pub async fn set_auto_backup(
        &self,
        choice: Option<(&Path, &str)>,
    ) -> Result<Option<AutoBackup>, StoreError> {
        let Some((folder, passphrase)) = choice else {
            sqlx::query("DELETE FROM settings WHERE name = ?")
                .bind(AUTO_BACKUP)
                .execute(self.writer())
                .await?;
            return Ok(None);
        };
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(passphrase_refused(&format!(
                "Choose a passphrase of at least {MIN_PASSPHRASE} characters; you will need it to restore these backups, and nobody can recover it for you."
            )));
        }
        let probe = folder.join(".steady-write-check");
        std::fs::write(&probe, b"")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(StoreError::file("write in", folder))?;
        let kept = AutoBackupKept {
            folder: folder.display().to_string(),
            passphrase: passphrase.to_owned(),
            last_ms: None,
        };
        self.keep_auto_backup(&kept).await?;
        Ok(Some(AutoBackup {
            folder: kept.folder,
            last: None,
        }))
    }

    async fn keep_auto_backup(&self, kept: &AutoBackupKept) -> Result<(), StoreError> {
        let text = Zeroizing::new(
            serde_json::to_string(kept).map_err(|e| StoreError::corrupt("backup settings", e))?,
        );
        self.put_setting(AUTO_BACKUP, &text).await
    }

    async fn auto_backup_kept(&self) -> Result<Option<AutoBackupKept>, StoreError> {
        match self.setting(AUTO_BACKUP).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::corrupt("backup settings", e)),
        }
    }

    /// The weekly backup, if it is on.
    pub async fn auto_backup(&self) -> Result<Option<AutoBackup>, StoreError> {
        Ok(self.auto_backup_kept().await?.map(|k| AutoBackup {
            folder: k.folder,
            last: k.last_ms.and_then(chrono::DateTime::from_timestamp_millis),
        }))
    }

    /// Makes the weekly backup if it is on and the last one is a week old
    /// (or there is none): "Steady weekly backup <date>.steadybackup" in the
    /// folder, keeping the newest [`AUTO_BACKUPS_KEPT`] of them.
    pub async fn auto_backup_if_due(
        &self,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<BackupReport>, StoreError> {
        let Some(mut kept) = self.auto_backup_kept().await? else {
            return Ok(None);
        };
        let now_ms = now.timestamp_millis();
        if kept
            .last_ms
            .is_some_and(|last| now_ms - last < chrono::TimeDelta::days(7).num_milliseconds())
        {
            return Ok(None);
        }
        let folder = std::path::PathBuf::from(&kept.folder);
        let name = format!("{AUTO_PREFIX}{}.{AUTO_EXTENSION}", now.format("%Y-%m-%d"));
        let report = self
            .backup_to(&folder.join(name), &kept.passphrase, now)
            .await?;
        kept.last_ms = Some(now_ms);
        self.keep_auto_backup(&kept).await?;
        // The newest few stay; the names sort by date.
        let mut made: Vec<std::path::PathBuf> = std::fs::read_dir(&folder)
            .map_err(StoreError::file("read", &folder))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(AUTO_PREFIX) && n.ends_with(&format!(".{AUTO_EXTENSION}"))
                })
            })
            .collect();
        made.sort();
        let surplus = made.len().saturating_sub(AUTO_BACKUPS_KEPT);
        for old in &made[..surplus] {
            let _ = std::fs::remove_file(old);
        }
        Ok(Some(report))
    }
}
