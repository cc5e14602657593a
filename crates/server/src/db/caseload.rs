//! Patients, pairing codes, devices and consent, on either backend.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Encode, Executor, Row, Type};

use super::accounts::unique;
use super::{
    Backend, Bind, Caseload, ClinicDevice, Column, Consent, DbError, Device, DeviceAuth,
    NewConsent, NewDevice, Paired, Patient, Sql, User, new_id, now_ms, sql,
};

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
    sqlx::query(sql::INSERT_CONSENT)
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
        sqlx::query(sql::INSERT_PATIENT)
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
        let rows = sqlx::query(sql::PATIENTS_OF)
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
        let row = sqlx::query(sql::PATIENT_OF)
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
        sqlx::query(sql::INSERT_PAIRING_CODE)
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
        let patient_id: Option<String> = sqlx::query_scalar(sql::USE_PAIRING_CODE)
            .bind(code_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(patient_id) = patient_id else {
            return Ok(None);
        };
        let device_id = new_id();
        sqlx::query(sql::INSERT_DEVICE)
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
        let row = sqlx::query(sql::CODE_PREVIEW)
            .bind(code_hash)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("clinic")?, r.try_get("counselor")?)))
            .transpose()
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError> {
        let row = sqlx::query(sql::DEVICE_BY_TOKEN)
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
        let rows = sqlx::query(sql::DEVICES_OF)
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
        let rows = sqlx::query(sql::CLINIC_DEVICES)
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
        let done = sqlx::query(sql::REVOKE_DEVICE)
            .bind(patient_id)
            .bind(device_id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn active_consent(&self, patient_id: &str) -> Result<Option<Consent>, DbError> {
        let row = sqlx::query(sql::ACTIVE_CONSENT)
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
        sqlx::query(sql::REVOKE_CONSENT)
            .bind(patient_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_consent(&mut *tx, patient_id, device_id, consent, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_consent(&self, patient_id: &str) -> Result<bool, DbError> {
        let done = sqlx::query(sql::REVOKE_CONSENT)
            .bind(patient_id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(B::rows_affected(&done) > 0)
    }
}
