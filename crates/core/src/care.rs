//! What the care team sent: messages and assignments arrive by sync and are
//! read here; the patient's one write to them is marking a message read.

use serde_json::Value;
use steady_model::{Entry, Message, RecordId};

use crate::error::StoreError;
use crate::records;
use crate::store::{Store, live_row, local_now};

impl Store {
    /// Marks a message read, once: the first time is kept.
    pub async fn mark_message_read(&self, id: RecordId) -> Result<Entry<Message>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let (mut body, mut stamps) = live_row::<Message>(&mut tx, id).await?;
        if body.get("read_at").is_none_or(Value::is_null) {
            let stamp = self.tick().to_string();
            body.insert("read_at".into(), Value::String(local_now().to_rfc3339()));
            stamps.insert("read_at".into(), Value::String(stamp.clone()));
            records::set_body(
                &mut tx,
                id,
                &Value::Object(body.clone()).to_string(),
                &Value::Object(stamps).to_string(),
                &stamp,
            )
            .await?;
            tx.commit().await?;
            self.changed();
        }
        let data = serde_json::from_value(Value::Object(body))
            .map_err(|e| StoreError::corrupt("message", e))?;
        Ok(Entry { id, data })
    }
}
