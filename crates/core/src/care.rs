//! What the care team sent: messages and assignments arrive by sync and are
//! read here; the patient's one write to them is marking a message read
//! (their answers are replies, records of their own). Which unread messages
//! this device has announced is kept, so each is announced once.

use std::collections::BTreeSet;

use serde_json::Value;
use steady_model::{Entry, Message, RecordId};

use crate::error::StoreError;
use crate::records;
use crate::store::{ListQuery, Store, live_row, local_now};

/// The unread messages already announced on this device.
const ANNOUNCED: &str = "messages_announced";

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

    /// How many unread messages arrived since the last call, marking them
    /// announced: a new message is announced once, on this device, however
    /// often this is asked. Only unread ones are remembered, so the list
    /// stays as short as the inbox.
    pub async fn announce_new_messages(&self) -> Result<u32, StoreError> {
        let query = ListQuery {
            limit: ListQuery::MAX_LIMIT,
            ..ListQuery::default()
        };
        let unread: BTreeSet<String> = self
            .list::<Message>(&query)
            .await?
            .items
            .into_iter()
            .filter(|m| m.data.read_at.is_none())
            .map(|m| m.id.to_string())
            .collect();
        let announced: BTreeSet<String> = match self.setting(ANNOUNCED).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::corrupt("announced messages", e))?,
            None => BTreeSet::new(),
        };
        let new = unread.difference(&announced).count();
        if unread != announced {
            let text = serde_json::to_string(&unread)
                .map_err(|e| StoreError::corrupt("announced messages", e))?;
            self.put_setting(ANNOUNCED, &text).await?;
        }
        Ok(u32::try_from(new).unwrap_or(u32::MAX))
    }
}
