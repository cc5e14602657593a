//! The pure half of sync: a local row seen as stamped fields, what a push
//! carries of it, and the merge of one pulled record with the local copy.
//! No I/O: the store's side ([`super::store`]) reads the rows and writes
//! what comes out.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use steady_model::merge::{DELETED, FieldMap, Stamped, merge};
use steady_model::protocol::{ConsentTerms, PulledRecord, WireField};
use steady_model::{Hlc, RecordKind, Writer, may_write};

use crate::error::StoreError;
use crate::records::{MergeRow, MergedRow};

/// A pulled record's fields as the app reads them: each stamp kept even
/// when it is not one, so that it sets aside only its own record.
pub(crate) type WireFields = BTreeMap<String, WireField>;

/// A record as a pull delivers it.
pub(super) type Pulled = PulledRecord<WireFields>;

/// A pulled record's fields, if every stamp is one.
fn from_wire(fields: &WireFields) -> Result<FieldMap, String> {
    let mut out = BTreeMap::new();
    for (path, f) in fields {
        let stamp = f
            .stamp
            .0
            .clone()
            .map_err(|e| format!("field {path}: {e}"))?;
        out.insert(
            path.clone(),
            Stamped {
                value: f.value.clone(),
                stamp,
            },
        );
    }
    Ok(FieldMap(out))
}

/// A record as the local store holds it, seen as stamped fields.
pub(crate) fn local_fields(
    kind: RecordKind,
    body: &str,
    stamps: &str,
    deleted: bool,
) -> Result<FieldMap, StoreError> {
    let corrupt = |e: &dyn fmt::Display| StoreError::corrupt(kind.noun(), e);
    let body: Map<String, Value> = serde_json::from_str(body).map_err(|e| corrupt(&e))?;
    let stamps: Map<String, Value> = serde_json::from_str(stamps).map_err(|e| corrupt(&e))?;
    let split = kind.split_fields();
    let mut fields = BTreeMap::new();
    for (path, stamp) in stamps {
        let stamp = stamp
            .as_str()
            .and_then(|s| Hlc::from_str(s).ok())
            .ok_or_else(|| corrupt(&"field stamp unreadable"))?;
        let value = if path == DELETED {
            Some(Value::Bool(deleted))
        } else {
            match path.split_once('.') {
                Some((name, key)) if split.contains(&name) => {
                    body.get(name).and_then(|inner| inner.get(key)).cloned()
                }
                _ => body.get(&path).cloned(),
            }
        };
        // The wire cannot tell a null from a removed field (both travel as
        // `"value": null`), so neither does the merge: null is absence.
        let value = value.filter(|v| !v.is_null());
        fields.insert(path, Stamped { value, stamp });
    }
    Ok(FieldMap(fields))
}

/// The kinds a push carries: those consented to, the care team's messages
/// (the patient marks them read), and the patient's replies to them.
pub(super) fn sent_kinds(consent: &ConsentTerms) -> Vec<String> {
    let mut kinds = consent.kinds.clone();
    kinds.push(RecordKind::Message.as_str().to_owned());
    kinds.extend(RecordKind::TO_CARE_TEAM.map(|k| k.as_str().to_owned()));
    kinds
}

/// Only the fields the patient may write.
pub(super) fn patient_fields(kind: RecordKind, fields: FieldMap) -> FieldMap {
    FieldMap(
        fields
            .0
            .into_iter()
            .filter(|(path, _)| may_write(Writer::Patient, kind, path))
            .collect(),
    )
}

/// What a pulled record does to the local copy.
pub(crate) enum Merged {
    /// It changes the store: the row to write, stamped at `stamp` (its
    /// newest field).
    Write { row: MergedRow, stamp: Hlc },
    /// It holds nothing new; `pushed` says whether the server now has all
    /// this device has.
    Same { pushed: Option<String> },
    /// This app cannot keep it; the local copy stays as it was.
    Unreadable(String),
}

/// A received record's kind and stamped fields, or why this app cannot
/// keep it.
fn readable(record: &Pulled) -> Result<(RecordKind, FieldMap), String> {
    let Some(kind) = RecordKind::parse(&record.kind) else {
        return Err(format!(
            "{:?} is not a kind of record this version keeps",
            record.kind
        ));
    };
    match from_wire(&record.fields) {
        Ok(f) if !f.0.is_empty() => Ok((kind, f)),
        Ok(_) => Err("the record has no fields".into()),
        Err(e) => Err(e),
    }
}

/// Merges one pulled record with the local copy (if any).
pub(super) fn merge_pulled(record: &Pulled, row: Option<&MergeRow>) -> Result<Merged, StoreError> {
    let (kind, incoming) = match readable(record) {
        Ok(read) => read,
        Err(reason) => return Ok(Merged::Unreadable(reason)),
    };
    let (local, pushed) = match row {
        // A record the patient withdrew keeps nothing on the server; where
        // this device never had it, there is nothing to keep here either.
        None if incoming.is_withdrawn() => return Ok(Merged::Same { pushed: None }),
        None => (FieldMap::default(), None),
        Some(row) if row.kind != record.kind => {
            return Ok(Merged::Unreadable(
                "its id belongs to a record of another kind here".into(),
            ));
        }
        Some(row) => (
            local_fields(kind, &row.body, &row.stamps, row.deleted)?,
            row.pushed.clone(),
        ),
    };
    // A record this device has never seen is the server's copy as it is;
    // otherwise, whether the server holds all this device has decides what
    // is left to push.
    let (merged, server_has_all) = if row.is_none() {
        (incoming, true)
    } else {
        let merged = merge(&local, &incoming);
        let all = merge(&incoming, &merged) == incoming;
        (merged, all)
    };
    let Some(updated) = merged.last_stamp() else {
        return Ok(Merged::Same { pushed });
    };
    let pushed = if server_has_all {
        Some(updated.to_string())
    } else {
        pushed
    };
    if row.is_some() && merged == local {
        return Ok(Merged::Same { pushed });
    }
    Ok(written(&record.id, kind, &merged, updated, pushed))
}

/// Merges one record from a backup with the local copy (if any). As for a
/// pulled record, field by field by the larger stamp, so a newer edit here
/// stays and a restore repeated changes nothing; unlike one, nothing is
/// assumed to be on the server: a record new here waits to be pushed, and
/// a changed one keeps what was last pushed of it.
pub(crate) fn merge_restored(
    record: &PulledRecord<WireFields>,
    row: Option<&MergeRow>,
) -> Result<Merged, StoreError> {
    let (kind, incoming) = match readable(record) {
        Ok(read) => read,
        Err(reason) => return Ok(Merged::Unreadable(reason)),
    };
    let (merged, pushed) = match row {
        None => (incoming, None),
        Some(row) if row.kind != record.kind => {
            return Ok(Merged::Unreadable(
                "its id belongs to a record of another kind here".into(),
            ));
        }
        Some(row) => {
            let local = local_fields(kind, &row.body, &row.stamps, row.deleted)?;
            let merged = merge(&local, &incoming);
            if merged == local {
                return Ok(Merged::Same {
                    pushed: row.pushed.clone(),
                });
            }
            (merged, row.pushed.clone())
        }
    };
    let Some(updated) = merged.last_stamp() else {
        return Ok(Merged::Unreadable("the record has no fields".into()));
    };
    Ok(written(&record.id, kind, &merged, updated, pushed))
}

/// The row a merge writes, if the app's own rules allow what came out.
fn written(
    id: &str,
    kind: RecordKind,
    merged: &FieldMap,
    updated: Hlc,
    pushed: Option<String>,
) -> Merged {
    // The app's own rules, as for an entry made here.
    if let Err(reason) = kind.check_fields(merged) {
        return Merged::Unreadable(reason);
    }
    let body = Value::Object(merged.body(kind));
    let (at, visibility) = match kind.read(&body) {
        Ok(read) => read,
        Err(reason) => return Merged::Unreadable(reason),
    };
    let stamps: Map<String, Value> = merged
        .0
        .iter()
        .map(|(path, f)| (path.clone(), Value::String(f.stamp.to_string())))
        .collect();
    Merged::Write {
        row: MergedRow {
            id: id.to_owned(),
            kind,
            at_ms: at.timestamp_millis(),
            deleted: merged.is_deleted(),
            visibility,
            body: body.to_string(),
            stamps: Value::Object(stamps).to_string(),
            updated: updated.to_string(),
            pushed,
        },
        stamp: updated,
    }
}
