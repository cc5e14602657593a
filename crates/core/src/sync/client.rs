//! The client: sync protocol v1 over HTTP on behalf of one store.

use std::time::Duration;

use chrono::Utc;
use steady_model::protocol::{
    ConsentTerms, DisclosuresQuery, DisclosuresResponse, ErrorBody, ErrorCode, MAX_PAGE, MAX_PUSH,
    PairPreview, PairRequest, PairResponse, PreviewRequest, PullQuery, PullResponse, PushRequest,
    PushResponse, PushStatus,
};

use super::merge::{WireFields, sent_kinds};
use super::{
    Disclosures, Pairing, Refusal, SyncError, SyncLog, SyncReport, SyncStatus, server_url,
};
use crate::store::Store;

/// Disclosures fetched per page, and the most pages fetched.
const DISCLOSURE_PAGE: i64 = 200;
pub const DISCLOSURE_PAGES: usize = 5;

/// Talks to the clinic's server on behalf of one store.
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
}

impl Default for SyncClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncClient {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("steady-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client's settings are valid");
        Self { http }
    }

    /// A client that sends through `http` (its own proxy or pool settings).
    pub fn with_http(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// Whom `code` pairs with, without using it, so the consent can name them.
    pub async fn preview(&self, server: &str, code: &str) -> Result<PairPreview, SyncError> {
        let server = server_url(server)?;
        checked_code(code)?;
        let response = self
            .send(
                self.http
                    .post(format!("{server}/v1/pair/preview"))
                    .json(&PreviewRequest {
                        code: code.to_owned(),
                    }),
                &server,
            )
            .await?;
        decode(response).await
    }

    /// Redeems the counselor's pairing code with the patient's consent and
    /// keeps the device token. Records already in the store are sent on the
    /// next sync.
    pub async fn pair(
        &self,
        store: &Store,
        server: &str,
        code: &str,
        consent: ConsentTerms,
        device_label: &str,
    ) -> Result<SyncStatus, SyncError> {
        let server = server_url(server)?;
        checked_code(code)?;
        let response = self
            .send(
                self.http
                    .post(format!("{server}/v1/pair"))
                    .json(&PairRequest {
                        code: code.to_owned(),
                        device_label: device_label.to_owned(),
                        consent: consent.clone(),
                    }),
                &server,
            )
            .await?;
        let paired: PairResponse = decode(response).await?;
        let pairing = Pairing {
            server,
            token: paired.token,
            patient_id: paired.patient_id,
            device_id: paired.device_id,
            paired_at: Utc::now(),
            // What the server recorded (it names the recipient itself).
            consent: Some(paired.consent.unwrap_or(consent)),
        };
        store.begin_pairing(&pairing).await?;
        Ok(store.sync_status().await?)
    }

    /// Withdraws consent at the server, then stops syncing here.
    pub async fn revoke_consent(&self, store: &Store) -> Result<SyncStatus, SyncError> {
        let mut pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        self.send(
            self.http
                .delete(format!("{}/v1/device/consent", pairing.server))
                .bearer_auth(&pairing.token),
            &pairing.server,
        )
        .await?;
        pairing.consent = None;
        store.set_pairing(Some(&pairing)).await?;
        Ok(store.sync_status().await?)
    }

    /// Gives consent again from a paired device.
    pub async fn give_consent(
        &self,
        store: &Store,
        consent: ConsentTerms,
    ) -> Result<SyncStatus, SyncError> {
        let mut pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        let response = self
            .send(
                self.http
                    .put(format!("{}/v1/device/consent", pairing.server))
                    .bearer_auth(&pairing.token)
                    .json(&consent),
                &pairing.server,
            )
            .await?;
        // The answer holds the consent as recorded; keep the recipient the
        // server named.
        #[derive(serde::Deserialize)]
        struct Recorded {
            consent: Option<RecordedConsent>,
        }
        #[derive(serde::Deserialize)]
        struct RecordedConsent {
            recipient: String,
        }
        let recorded: Option<Recorded> = response.json().await.ok();
        let recipient = recorded
            .and_then(|r| r.consent)
            .map(|c| c.recipient)
            .unwrap_or_else(|| consent.recipient.clone());
        pairing.consent = Some(ConsentTerms {
            recipient,
            ..consent
        });
        store.set_pairing(Some(&pairing)).await?;
        Ok(store.sync_status().await?)
    }

    /// Fetches who at the clinic read or wrote this patient's records (the
    /// newest [`DISCLOSURE_PAGES`] pages), keeps the list on the device for
    /// reading offline, and answers it.
    pub async fn refresh_disclosures(&self, store: &Store) -> Result<Disclosures, SyncError> {
        let pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        let mut entries = Vec::new();
        let mut before: Option<i64> = None;
        let mut more = false;
        for _ in 0..DISCLOSURE_PAGES {
            let query = DisclosuresQuery {
                before,
                limit: Some(DISCLOSURE_PAGE),
            };
            let response = self
                .send(
                    self.http
                        .get(format!("{}/v1/device/disclosures", pairing.server))
                        .query(&query)
                        .bearer_auth(&pairing.token),
                    &pairing.server,
                )
                .await?;
            let page: DisclosuresResponse = decode(response).await?;
            before = page.entries.last().map(|d| d.id);
            entries.extend(page.entries);
            more = page.more;
            if !more {
                break;
            }
        }
        let list = Disclosures {
            entries,
            more,
            fetched_at: Some(chrono::Utc::now()),
        };
        store.keep_disclosures(&list).await?;
        Ok(list)
    }

    /// Unpairs: tells the server (when it can be reached) and forgets the
    /// pairing here. Records stay on the device.
    pub async fn unpair(&self, store: &Store) -> Result<SyncStatus, SyncError> {
        if let Some(pairing) = store.pairing().await? {
            let sent = self
                .send(
                    self.http
                        .delete(format!("{}/v1/device", pairing.server))
                        .bearer_auth(&pairing.token),
                    &pairing.server,
                )
                .await;
            match sent {
                Ok(_) | Err(SyncError::Unpaired) => {}
                Err(e) => return Err(e),
            }
        }
        store.set_pairing(None).await?;
        Ok(store.sync_status().await?)
    }

    /// Pushes every pending change, then pulls every page; records how it
    /// went in the store's sync log either way.
    pub async fn sync(&self, store: &Store) -> Result<SyncReport, SyncError> {
        let mut log = store.sync_log().await?;
        log.last_attempt = Some(Utc::now());
        let result = self.sync_inner(store, &mut log).await;
        match &result {
            Ok(_) => {
                log.last_success = log.last_attempt;
                log.last_error = None;
            }
            Err(e) => log.last_error = Some(e.to_string()),
        }
        if let Err(SyncError::ConsentRequired) = &result
            && let Some(mut pairing) = store.pairing().await?
        {
            pairing.consent = None;
            store.set_pairing(Some(&pairing)).await?;
        }
        store.put_sync_log(&log).await?;
        result
    }

    async fn sync_inner(&self, store: &Store, log: &mut SyncLog) -> Result<SyncReport, SyncError> {
        let pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        let consent = pairing.consent.as_ref().ok_or(SyncError::NoConsent)?;
        let mut report = SyncReport::default();
        let mut refused = Vec::new();
        loop {
            let batch = store.outgoing(&sent_kinds(consent), MAX_PUSH).await?;
            if batch.is_empty() {
                break;
            }
            let (records, updated): (Vec<_>, Vec<_>) =
                batch.into_iter().map(|o| (o.record, o.updated)).unzip();
            let push = PushRequest { records };
            let response = self
                .send(
                    self.http
                        .post(format!("{}/v1/sync/push", pairing.server))
                        .bearer_auth(&pairing.token)
                        .json(&push),
                    &pairing.server,
                )
                .await?;
            let answer: PushResponse = decode(response).await?;
            if answer.results.len() != push.records.len() {
                return Err(SyncError::Protocol(format!(
                    "{} answers to {} records",
                    answer.results.len(),
                    push.records.len()
                )));
            }
            let mut acked = Vec::with_capacity(push.records.len());
            for ((sent, updated), result) in push.records.iter().zip(&updated).zip(&answer.results)
            {
                if result.id != sent.id {
                    return Err(SyncError::Protocol("answers out of order".into()));
                }
                if result.status == PushStatus::Applied {
                    report.pushed += 1;
                } else {
                    // A refusal is final for this version of the record: it is
                    // reported, and sent again only once it is edited.
                    report.refused += 1;
                    refused.push(Refusal {
                        id: result.id.clone(),
                        kind: sent.kind.clone(),
                        reason: result.reason.clone().unwrap_or_default(),
                    });
                }
                acked.push((sent.id.as_str(), updated.as_str()));
            }
            store.mark_pushed(&acked).await?;
        }
        log.refused = refused;
        // Each page is stored with its cursor; the next page is fetched while
        // this one is stored (its cursor is known from the answer already).
        let mut cursor = store.sync_cursor().await?;
        let mut page = self.pull_page(&pairing, cursor).await?;
        loop {
            if page.cursor < cursor {
                return Err(SyncError::Protocol("the cursor went backwards".into()));
            }
            if !page.more {
                report.pulled += store.apply_page(&page.records, page.cursor).await?;
                break;
            }
            let (stored, next) = tokio::join!(
                store.apply_page(&page.records, page.cursor),
                self.pull_page(&pairing, page.cursor)
            );
            report.pulled += stored?;
            cursor = page.cursor;
            page = next?;
        }
        Ok(report)
    }

    async fn pull_page(
        &self,
        pairing: &Pairing,
        after: i64,
    ) -> Result<PullResponse<WireFields>, SyncError> {
        let response = self
            .send(
                self.http
                    .get(format!("{}/v1/sync/pull", pairing.server))
                    .bearer_auth(&pairing.token)
                    .query(&PullQuery {
                        after,
                        limit: Some(MAX_PAGE),
                    }),
                &pairing.server,
            )
            .await?;
        decode(response).await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        server: &str,
    ) -> Result<reqwest::Response, SyncError> {
        let host = reqwest::Url::parse(server)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                SyncError::Timeout
            } else {
                SyncError::Unreachable { host: host.clone() }
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body: Option<ErrorBody> = response.json().await.ok();
        let (code, message) =
            body.map_or_else(Default::default, |b| (b.error.code, b.error.message));
        Err(match status.as_u16() {
            401 => SyncError::Unpaired,
            403 if code == ErrorCode::ConsentRequired => SyncError::ConsentRequired,
            429 | 503 => SyncError::Busy(retry_after.unwrap_or(30)),
            400..=499 if !message.is_empty() => SyncError::Refused(message),
            s @ 400..=499 => SyncError::Refused(format!("HTTP {s}")),
            s => SyncError::Server(s),
        })
    }
}

async fn decode<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, SyncError> {
    let bytes = response.bytes().await.map_err(|e| {
        if e.is_timeout() {
            SyncError::Timeout
        } else {
            SyncError::Protocol("the answer was cut off".into())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// A code mistyped or of the wrong shape is answered here, without a guess
/// spent at the server.
fn checked_code(code: &str) -> Result<(), SyncError> {
    steady_model::pairing::read_code(code)
        .map(|_| ())
        .map_err(|problem| SyncError::BadCode(problem.words()))
}
