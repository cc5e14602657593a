//! Patients, pairing codes, devices and consent: the SQL is the same on both
//! backends, so one macro writes the [`Caseload`](super::Caseload)
//! implementation for each.

/// Implements `Caseload` for a backend struct with a `pool` field whose rows
/// are `$row`. Expects `unique` from `accounts_for!` in the same module.
macro_rules! caseload_for {
    ($db:ty, $row:ty) => {
        fn patient_of_row(row: &$row) -> $crate::db::Patient {
            $crate::db::Patient {
                id: row.get("id"),
                counselor_id: row.get("counselor_id"),
                display_name: row.get("display_name"),
                created_ms: row.get("created_ms"),
            }
        }

        fn device_of(row: &$row) -> $crate::db::Device {
            $crate::db::Device {
                id: row.get("id"),
                label: row.get("label"),
                created_ms: row.get("created_ms"),
                revoked_ms: row.get("revoked_ms"),
            }
        }

        fn consent_of_row(row: &$row) -> Result<$crate::db::Consent, $crate::db::DbError> {
            let kinds: String = row.get("kinds");
            Ok($crate::db::Consent {
                id: row.get("id"),
                device_id: row.get("device_id"),
                recipient: row.get("recipient"),
                kinds: serde_json::from_str(&kinds)
                    .map_err(|e| $crate::db::DbError::Corrupt(format!("consent kinds: {e}")))?,
                purpose: row.get("purpose"),
                expires_ms: row.get("expires_ms"),
                signed_ms: row.get("signed_ms"),
            })
        }

        /// Records a consent given from `device_id`, signed at `now`.
        async fn insert_consent<'c, E>(
            conn: E,
            patient_id: &str,
            device_id: &str,
            consent: &$crate::db::NewConsent,
            now: i64,
        ) -> Result<(), $crate::db::DbError>
        where
            E: sqlx::Executor<'c, Database = <$row as sqlx::Row>::Database>,
        {
            let kinds = serde_json::to_string(&consent.kinds)
                .map_err(|e| $crate::db::DbError::Corrupt(e.to_string()))?;
            sqlx::query($crate::db::sql::INSERT_CONSENT)
                .bind($crate::db::new_id())
                .bind(patient_id)
                .bind(device_id)
                .bind(&consent.recipient)
                .bind(kinds)
                .bind(&consent.purpose)
                .bind(consent.expires_ms)
                .bind(now)
                .execute(conn)
                .await?;
            Ok(())
        }

        impl $crate::db::Caseload for $db {
            async fn create_patient(
                &self,
                counselor: &$crate::db::User,
                display_name: &str,
            ) -> Result<$crate::db::Patient, $crate::db::DbError> {
                let patient = $crate::db::Patient {
                    id: $crate::db::new_id(),
                    counselor_id: counselor.id.clone(),
                    display_name: display_name.to_owned(),
                    created_ms: $crate::db::now_ms(),
                };
                sqlx::query($crate::db::sql::INSERT_PATIENT)
                    .bind(&patient.id)
                    .bind(&counselor.clinic_id)
                    .bind(&patient.counselor_id)
                    .bind(&patient.display_name)
                    .bind(patient.created_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(patient)
            }

            async fn patients_of(
                &self,
                counselor_id: &str,
            ) -> Result<Vec<$crate::db::Patient>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::PATIENTS_OF)
                    .bind(counselor_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(patient_of_row).collect())
            }

            async fn patient_of(
                &self,
                counselor_id: &str,
                patient_id: &str,
            ) -> Result<Option<$crate::db::Patient>, $crate::db::DbError> {
                let row = sqlx::query($crate::db::sql::PATIENT_OF)
                    .bind(counselor_id)
                    .bind(patient_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(patient_of_row))
            }

            async fn create_pairing_code(
                &self,
                code_hash: &str,
                patient_id: &str,
                created_by: &str,
                expires_ms: i64,
            ) -> Result<(), $crate::db::DbError> {
                sqlx::query($crate::db::sql::INSERT_PAIRING_CODE)
                    .bind(code_hash)
                    .bind(patient_id)
                    .bind(created_by)
                    .bind($crate::db::now_ms())
                    .bind(expires_ms)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| unique(e, "pairing code"))?;
                Ok(())
            }

            async fn redeem(
                &self,
                code_hash: &str,
                device: &$crate::db::NewDevice,
                consent: &$crate::db::NewConsent,
            ) -> Result<Option<$crate::db::Paired>, $crate::db::DbError> {
                let now = $crate::db::now_ms();
                let mut tx = self.pool.begin().await?;
                // Marking the code used is the step that decides: of two
                // redemptions at once, only one finds it unused.
                let patient_id: Option<String> =
                    sqlx::query_scalar($crate::db::sql::USE_PAIRING_CODE)
                        .bind(code_hash)
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(patient_id) = patient_id else {
                    return Ok(None);
                };
                let device_id = $crate::db::new_id();
                sqlx::query($crate::db::sql::INSERT_DEVICE)
                    .bind(&device_id)
                    .bind(&patient_id)
                    .bind(&device.token_hash)
                    .bind(&device.label)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                insert_consent(&mut *tx, &patient_id, &device_id, consent, now).await?;
                tx.commit().await?;
                Ok(Some($crate::db::Paired {
                    patient_id,
                    device_id,
                }))
            }

            async fn code_preview(
                &self,
                code_hash: &str,
            ) -> Result<Option<(String, String)>, $crate::db::DbError> {
                let row = sqlx::query($crate::db::sql::CODE_PREVIEW)
                    .bind(code_hash)
                    .bind($crate::db::now_ms())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| (r.get("clinic"), r.get("counselor"))))
            }

            async fn device_by_token(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::db::DeviceAuth>, $crate::db::DbError> {
                let row = sqlx::query($crate::db::sql::DEVICE_BY_TOKEN)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| $crate::db::DeviceAuth {
                    device_id: r.get("id"),
                    patient_id: r.get("patient_id"),
                }))
            }

            async fn devices_of(
                &self,
                patient_id: &str,
            ) -> Result<Vec<$crate::db::Device>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::DEVICES_OF)
                    .bind(patient_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(device_of).collect())
            }

            async fn clinic_devices(
                &self,
                clinic_id: &str,
                only: Option<&str>,
            ) -> Result<Vec<$crate::db::ClinicDevice>, $crate::db::DbError> {
                let rows = sqlx::query($crate::db::sql::CLINIC_DEVICES)
                    .bind(clinic_id)
                    .bind(only)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::db::ClinicDevice {
                        device: device_of(r),
                        patient_id: r.get("patient_id"),
                        patient_name: r.get("patient_name"),
                        counselor_name: r.get("counselor_name"),
                    })
                    .collect())
            }

            async fn revoke_device(
                &self,
                patient_id: &str,
                device_id: &str,
            ) -> Result<bool, $crate::db::DbError> {
                let done = sqlx::query($crate::db::sql::REVOKE_DEVICE)
                    .bind(patient_id)
                    .bind(device_id)
                    .bind($crate::db::now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn active_consent(
                &self,
                patient_id: &str,
            ) -> Result<Option<$crate::db::Consent>, $crate::db::DbError> {
                let row = sqlx::query($crate::db::sql::ACTIVE_CONSENT)
                    .bind(patient_id)
                    .bind($crate::db::now_ms())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(consent_of_row).transpose()
            }

            async fn give_consent(
                &self,
                patient_id: &str,
                device_id: &str,
                consent: &$crate::db::NewConsent,
            ) -> Result<(), $crate::db::DbError> {
                let now = $crate::db::now_ms();
                let mut tx = self.pool.begin().await?;
                sqlx::query($crate::db::sql::REVOKE_CONSENT)
                    .bind(patient_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                insert_consent(&mut *tx, patient_id, device_id, consent, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_consent(&self, patient_id: &str) -> Result<bool, $crate::db::DbError> {
                let done = sqlx::query($crate::db::sql::REVOKE_CONSENT)
                    .bind(patient_id)
                    .bind($crate::db::now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use caseload_for;
