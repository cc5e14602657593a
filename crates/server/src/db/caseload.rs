//! Patients, pairing codes, devices and consent, on either backend.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, Row, Type};

use serde::Serialize;
use ts_rs::TS;
use utoipa::ToSchema;

use super::accounts::unique;
use super::{Backend, Bind, Column, DbError, Sql, User, new_id, now_ms};

/// A patient on a counselor's caseload. The server knows them by the name
/// the counselor gave; nothing else about them is needed to pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
pub struct Patient {
    pub id: String,
    pub counselor_id: String,
    pub display_name: String,
    #[ts(type = "number")]
    pub created_ms: i64,
}

/// A paired device as the counselor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
pub struct Device {
    pub id: String,
    pub label: String,
    #[ts(type = "number")]
    pub created_ms: i64,
    /// Set once the device is revoked; its token no longer works.
    #[ts(type = "number | null")]
    pub revoked_ms: Option<i64>,
}

/// A device anywhere in the clinic, with whose it is, for the admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
pub struct ClinicDevice {
    #[serde(flatten)]
    pub device: Device,
    pub patient_id: String,
    pub patient_name: String,
    pub counselor_name: String,
}

/// What the patient agreed to when pairing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, TS)]
pub struct Consent {
    pub id: String,
    pub device_id: String,
    pub recipient: String,
    pub kinds: Vec<String>,
    pub purpose: String,
    #[ts(type = "number")]
    pub expires_ms: i64,
    #[ts(type = "number")]
    pub signed_ms: i64,
}

impl Consent {
    /// Whether the patient shares records of `kind`.
    pub fn shares(&self, kind: steady_model::RecordKind) -> bool {
        self.kinds.iter().any(|k| k == kind.as_str())
    }

    /// Whether the counselor may read records of `kind` under it: the kinds
    /// it lists, the care team's own, and the patient's replies to them.
    pub fn covers(&self, kind: steady_model::RecordKind) -> bool {
        kind.covered_by(&self.kinds)
    }
}

/// A device being paired: its token is already hashed.
#[derive(Clone, Debug)]
pub struct NewDevice {
    pub token_hash: String,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct NewConsent {
    pub recipient: String,
    pub kinds: Vec<String>,
    pub purpose: String,
    pub expires_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paired {
    pub patient_id: String,
    pub device_id: String,
}

/// The device a request's token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: String,
    pub patient_id: String,
}

/// Caseloads, pairing, devices and consent. Each method is one transaction.
#[async_trait]
pub trait Caseload: Send + Sync {
    async fn create_patient(
        &self,
        counselor: &User,
        display_name: &str,
    ) -> Result<Patient, DbError>;
    async fn patients_of(&self, counselor_id: &str) -> Result<Vec<Patient>, DbError>;
    /// The patient if they are on this counselor's caseload; otherwise none,
    /// whether or not they exist.
    async fn patient_of(
        &self,
        counselor_id: &str,
        patient_id: &str,
    ) -> Result<Option<Patient>, DbError>;
    async fn create_pairing_code(
        &self,
        code_hash: &str,
        patient_id: &str,
        created_by: &str,
        expires_ms: i64,
    ) -> Result<(), DbError>;
    /// Uses the code (once, before it expires) to register the device with
    /// the patient's consent; none if the code is unknown, used or expired.
    async fn redeem(
        &self,
        code_hash: &str,
        device: &NewDevice,
        consent: &NewConsent,
    ) -> Result<Option<Paired>, DbError>;
    /// Who a code pairs with — the clinic's and the counselor's names —
    /// without using it; none if it is unknown, used or expired.
    async fn code_preview(&self, code_hash: &str) -> Result<Option<(String, String)>, DbError>;
    /// The patient's care team by name — their clinic's and their
    /// counselor's — for the consent's recipient.
    async fn care_team_of(&self, patient_id: &str) -> Result<Option<(String, String)>, DbError>;
    /// The device holding this token, unless it was revoked.
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError>;
    async fn devices_of(&self, patient_id: &str) -> Result<Vec<Device>, DbError>;
    /// Every device paired in the clinic, newest first; or just `only`.
    async fn clinic_devices(
        &self,
        clinic_id: &str,
        only: Option<&str>,
    ) -> Result<Vec<ClinicDevice>, DbError>;
    /// Revokes one of the patient's devices; false if it is not theirs or
    /// was already revoked.
    async fn revoke_device(&self, patient_id: &str, device_id: &str) -> Result<bool, DbError>;
    /// The newest consent that is neither revoked nor expired.
    async fn active_consent(&self, patient_id: &str) -> Result<Option<Consent>, DbError>;
    /// Records a new consent given from one of the patient's devices,
    /// replacing any active one.
    async fn give_consent(
        &self,
        patient_id: &str,
        device_id: &str,
        consent: &NewConsent,
    ) -> Result<(), DbError>;
    /// Revokes every active consent of the patient.
    async fn revoke_consent(&self, patient_id: &str) -> Result<bool, DbError>;
}

const INSERT_PATIENT: &str =
    "INSERT INTO patients (id, clinic_id, counselor_id, display_name, created_ms)
     VALUES ($1, $2, $3, $4, $5)";

const PATIENTS_OF: &str = "SELECT id, counselor_id, display_name, created_ms FROM patients
     WHERE counselor_id = $1 ORDER BY display_name, id";

const PATIENT_OF: &str = "SELECT id, counselor_id, display_name, created_ms FROM patients
     WHERE counselor_id = $1 AND id = $2";

const INSERT_PAIRING_CODE: &str =
    "INSERT INTO pairing_codes (code_hash, patient_id, created_by, created_ms, expires_ms)
     VALUES ($1, $2, $3, $4, $5)";

const USE_PAIRING_CODE: &str = "UPDATE pairing_codes SET used_ms = $2
     WHERE code_hash = $1 AND used_ms IS NULL AND expires_ms > $2
     RETURNING patient_id";

const CODE_PREVIEW: &str = "SELECT c.name AS clinic, u.name AS counselor
     FROM pairing_codes p JOIN patients pt ON pt.id = p.patient_id
     JOIN clinics c ON c.id = pt.clinic_id JOIN users u ON u.id = p.created_by
     WHERE p.code_hash = $1 AND p.used_ms IS NULL AND p.expires_ms > $2";

const CARE_TEAM_OF: &str = "SELECT c.name AS clinic, u.name AS counselor
     FROM patients pt JOIN clinics c ON c.id = pt.clinic_id JOIN users u ON u.id = pt.counselor_id
     WHERE pt.id = $1";

const INSERT_DEVICE: &str = "INSERT INTO devices (id, patient_id, token_hash, label, created_ms)
     VALUES ($1, $2, $3, $4, $5)";

const INSERT_CONSENT: &str = "INSERT INTO consents (id, patient_id, device_id, recipient, kinds, purpose, expires_ms, signed_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const DEVICE_BY_TOKEN: &str =
    "SELECT id, patient_id FROM devices WHERE token_hash = $1 AND revoked_ms IS NULL";

const DEVICES_OF: &str = "SELECT id, label, created_ms, revoked_ms FROM devices
     WHERE patient_id = $1 ORDER BY created_ms, id";

const CLINIC_DEVICES: &str = "SELECT d.id, d.label, d.created_ms, d.revoked_ms,
       p.id AS patient_id, p.display_name AS patient_name, u.name AS counselor_name
     FROM devices d JOIN patients p ON p.id = d.patient_id JOIN users u ON u.id = p.counselor_id
     WHERE p.clinic_id = $1 AND (CAST($2 AS TEXT) IS NULL OR d.id = $2)
     ORDER BY d.created_ms DESC, d.id";

const REVOKE_DEVICE: &str = "UPDATE devices SET revoked_ms = $3
     WHERE patient_id = $1 AND id = $2 AND revoked_ms IS NULL";

const ACTIVE_CONSENT: &str =
    "SELECT id, device_id, recipient, kinds, purpose, expires_ms, signed_ms FROM consents
     WHERE patient_id = $1 AND revoked_ms IS NULL AND expires_ms > $2
     ORDER BY signed_ms DESC, id DESC LIMIT 1";

const REVOKE_CONSENT: &str = "UPDATE consents SET revoked_ms = $2
     WHERE patient_id = $1 AND revoked_ms IS NULL";

fn patient_of_row<R: Row>(row: &R) -> Result<Patient, DbError>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Column<R::Database>,
    i64: Column<R::Database>,
{
    Ok(Patient {
        id: row.try_get("id")?,
        counselor_id: row.try_get("counselor_id")?,
        display_name: row.try_get("display_name")?,
        created_ms: row.try_get("created_ms")?,
    })
}

fn device_of<R: Row>(row: &R) -> Result<Device, DbError>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Column<R::Database>,
    i64: Column<R::Database>,
    Option<i64>: Column<R::Database>,
{
    Ok(Device {
        id: row.try_get("id")?,
        label: row.try_get("label")?,
        created_ms: row.try_get("created_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
    })
}

fn consent_of_row<R: Row>(row: &R) -> Result<Consent, DbError>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Column<R::Database>,
    i64: Column<R::Database>,
{
    let kinds: String = row.try_get("kinds")?;
    Ok(Consent {
        id: row.try_get("id")?,
        device_id: row.try_get("device_id")?,
        recipient: row.try_get("recipient")?,
        kinds: serde_json::from_str(&kinds)
            .map_err(|e| DbError::Corrupt(format!("consent kinds: {e}")))?,
        purpose: row.try_get("purpose")?,
        expires_ms: row.try_get("expires_ms")?,
        signed_ms: row.try_get("signed_ms")?,
    })
}

/// Records a consent given from `device_id`, signed at `now`.
async fn insert_consent<'c, B, E>(
    conn: E,
    patient_id: &str,
    device_id: &str,
    consent: &NewConsent,
    now: i64,
) -> Result<(), DbError>
where
    B: Backend,
    E: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B>,
    String: Column<B>,
    i64: Column<B>,
{
    let kinds =
        serde_json::to_string(&consent.kinds).map_err(|e| DbError::Corrupt(e.to_string()))?;
    sqlx::query(INSERT_CONSENT)
        .bind(new_id())
        .bind(patient_id)
        .bind(device_id)
        .bind(consent.recipient.as_str())
        .bind(kinds)
        .bind(consent.purpose.as_str())
        .bind(consent.expires_ms)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl<B: Backend> Caseload for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
    i64: Column<B>,
    for<'q> Option<&'q str>: Encode<'q, B> + Type<B>,
    Option<i64>: Column<B>,
    usize: ColumnIndex<B::Row>,
{
    async fn create_patient(
        &self,
        counselor: &User,
        display_name: &str,
    ) -> Result<Patient, DbError> {
        let patient = Patient {
            id: new_id(),
            counselor_id: counselor.id.clone(),
            display_name: display_name.to_owned(),
            created_ms: now_ms(),
        };
        sqlx::query(INSERT_PATIENT)
            .bind(patient.id.as_str())
            .bind(counselor.clinic_id.as_str())
            .bind(patient.counselor_id.as_str())
            .bind(patient.display_name.as_str())
            .bind(patient.created_ms)
            .execute(&self.pool)
            .await?;
        Ok(patient)
    }

    async fn patients_of(&self, counselor_id: &str) -> Result<Vec<Patient>, DbError> {
        let rows = sqlx::query(PATIENTS_OF)
            .bind(counselor_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(patient_of_row).collect()
    }

    async fn patient_of(
        &self,
        counselor_id: &str,
        patient_id: &str,
    ) -> Result<Option<Patient>, DbError> {
        let row = sqlx::query(PATIENT_OF)
            .bind(counselor_id)
            .bind(patient_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(patient_of_row).transpose()
    }

    async fn create_pairing_code(
        &self,
        code_hash: &str,
        patient_id: &str,
        created_by: &str,
        expires_ms: i64,
    ) -> Result<(), DbError> {
        sqlx::query(INSERT_PAIRING_CODE)
            .bind(code_hash)
            .bind(patient_id)
            .bind(created_by)
            .bind(now_ms())
            .bind(expires_ms)
            .execute(&self.pool)
            .await
            .map_err(|e| unique(e, "pairing code"))?;
        Ok(())
    }

    async fn redeem(
        &self,
        code_hash: &str,
        device: &NewDevice,
        consent: &NewConsent,
    ) -> Result<Option<Paired>, DbError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Marking the code used is the step that decides: of two
        // redemptions at once, only one finds it unused.
        let patient_id: Option<String> = sqlx::query_scalar(USE_PAIRING_CODE)
            .bind(code_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(patient_id) = patient_id else {
            return Ok(None);
        };
        let device_id = new_id();
        sqlx::query(INSERT_DEVICE)
            .bind(device_id.as_str())
            .bind(patient_id.as_str())
            .bind(device.token_hash.as_str())
            .bind(device.label.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_consent(&mut *tx, &patient_id, &device_id, consent, now).await?;
        tx.commit().await?;
        Ok(Some(Paired {
            patient_id,
            device_id,
        }))
    }

    async fn code_preview(&self, code_hash: &str) -> Result<Option<(String, String)>, DbError> {
        let row = sqlx::query(CODE_PREVIEW)
            .bind(code_hash)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("clinic")?, r.try_get("counselor")?)))
            .transpose()
    }

    async fn care_team_of(&self, patient_id: &str) -> Result<Option<(String, String)>, DbError> {
        let row = sqlx::query(CARE_TEAM_OF)
            .bind(patient_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("clinic")?, r.try_get("counselor")?)))
            .transpose()
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError> {
        let row = sqlx::query(DEVICE_BY_TOKEN)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(DeviceAuth {
                device_id: r.try_get("id")?,
                patient_id: r.try_get("patient_id")?,
            })
        })
        .transpose()
    }

    async fn devices_of(&self, patient_id: &str) -> Result<Vec<Device>, DbError> {
        let rows = sqlx::query(DEVICES_OF)
            .bind(patient_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(device_of).collect()
    }

    async fn clinic_devices(
        &self,
        clinic_id: &str,
        only: Option<&str>,
    ) -> Result<Vec<ClinicDevice>, DbError> {
        let rows = sqlx::query(CLINIC_DEVICES)
            .bind(clinic_id)
            .bind(only)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ClinicDevice {
                    device: device_of(r)?,
                    patient_id: r.try_get("patient_id")?,
                    patient_name: r.try_get("patient_name")?,
                    counselor_name: r.try_get("counselor_name")?,
                })
            })
            .collect()
    }

    async fn revoke_device(&self, patient_id: &str, device_id: &str) -> Result<bool, DbError> {
        let done = sqlx::query(REVOKE_DEVICE)
            .bind(patient_id)
            .bind(device_id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn active_consent(&self, patient_id: &str) -> Result<Option<Consent>, DbError> {
        let row = sqlx::query(ACTIVE_CONSENT)
            .bind(patient_id)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(consent_of_row).transpose()
    }

    async fn give_consent(
        &self,
        patient_id: &str,
        device_id: &str,
        consent: &NewConsent,
    ) -> Result<(), DbError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(REVOKE_CONSENT)
            .bind(patient_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_consent(&mut *tx, patient_id, device_id, consent, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_consent(&self, patient_id: &str) -> Result<bool, DbError> {
        let done = sqlx::query(REVOKE_CONSENT)
            .bind(patient_id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) > 0)
    }
}
