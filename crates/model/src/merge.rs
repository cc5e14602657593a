//! Merging two copies of one record, field by field: each field (a path such
//! as `craving` or `answers.moods`) keeps the value written with the larger
//! hybrid-logical-clock stamp. A field removed on one side (a cleared
//! answer) is a stamped absence and wins or loses like any value; deletion is
//! the stamped `deleted` field. This merge is commutative, associative and
//! idempotent, so replicas that have seen the same writes agree whatever the
//! order or repetition of syncs; the property tests below check that rather
//! than assume it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::hlc::Hlc;
use crate::kind::RecordKind;

/// The field that marks a record deleted (a tombstone) when it holds `true`.
pub const DELETED: &str = "deleted";

/// The field that says who may see a record. A shared record whose
/// visibility becomes `private` is withdrawn: the care team's copy keeps
/// only this field.
pub const VISIBILITY: &str = "visibility";

/// What a field's value can be held as: a parsed [`Value`] (the app, which
/// reads its records) or the JSON text itself ([`RawJson`]: the server,
/// which stores and forwards values without looking inside).
pub trait FieldValue: Clone + PartialEq + Serialize {
    /// The value's JSON text, for the tie-break between two values written
    /// with one stamp.
    fn json_text(&self) -> Cow<'_, str>;
}

impl FieldValue for Value {
    fn json_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

/// A value kept as the JSON text it arrived as. Two are equal when their
/// text is.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<RawValue>);

impl RawJson {
    /// The text of a parsed value.
    pub fn of(value: &Value) -> Self {
        // A Value always writes valid JSON, which RawValue accepts.
        Self(RawValue::from_string(value.to_string()).expect("a Value writes valid JSON"))
    }

    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl FieldValue for RawJson {
    fn json_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.get())
    }
}

/// One field's state: its value (none once removed) and the stamp of the
/// write that set it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stamped<V = Value> {
    #[serde(default = "none")]
    pub value: Option<V>,
    pub stamp: Hlc,
}

fn none<V>() -> Option<V> {
    None
}

/// A record as replicas exchange it: every stamped field.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct FieldMap<V = Value>(pub BTreeMap<String, Stamped<V>>);

/// Read as a map would be, a field named twice keeping its last value, but
/// built in one go from the fields in order of name (which is how they
/// usually arrive) rather than by one insertion after another.
impl<'de, V: Deserialize<'de>> Deserialize<'de> for FieldMap<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Fields<V> {
            type Value = FieldMap<V>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of stamped fields")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FieldMap<V>, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(field) = map.next_entry::<String, Stamped<V>>()? {
                    fields.push(field);
                }
                // Sorted stably, and of equal names the last is kept.
                Ok(FieldMap(fields.into_iter().collect()))
            }
        }

        deserializer.deserialize_map(Fields(std::marker::PhantomData))
    }
}

impl<V> Default for FieldMap<V> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<V: FieldValue> FieldMap<V> {
    /// The newest stamp of any field: when the record last changed.
    pub fn last_stamp(&self) -> Option<Hlc> {
        self.0.values().map(|f| f.stamp).max()
    }

    /// The record's JSON body as text: each field with a value, split fields
    /// (`answers.moods`) gathered back into their object. `deleted` is not
    /// part of the body.
    pub fn body_text(&self, kind: RecordKind) -> String {
        let split = kind.split_fields();
        let mut out = Json::object(64 * self.0.len());
        for name in split {
            out.key(name);
            let mut inner = Json::object(0);
            let prefix = format!("{name}.");
            // Sorted keys: a split object's fields are one run of the map.
            for (path, field) in self.0.range(prefix.clone()..) {
                let Some(key) = path.strip_prefix(&prefix) else {
                    break;
                };
                if let Some(value) = &field.value {
                    inner.key(key);
                    inner.raw(&value.json_text());
                }
            }
            out.raw(&inner.end());
        }
        for (path, field) in &self.0 {
            let Some(value) = &field.value else { continue };
            let in_split = path
                .split_once('.')
                .is_some_and(|(name, _)| split.contains(&name));
            if path != DELETED && !in_split {
                out.key(path);
                out.raw(&value.json_text());
            }
        }
        out.end()
    }

    /// The fields as JSON text, the form they are stored and sent in:
    /// what `serde_json::to_string` writes, written directly.
    pub fn to_text(&self) -> String {
        let mut out = Json::object(96 * self.0.len());
        for (path, field) in &self.0 {
            out.key(path);
            out.raw("{\"value\":");
            match &field.value {
                Some(value) => out.raw(&value.json_text()),
                None => out.raw("null"),
            }
            out.raw(",\"stamp\":\"");
            let stamp = field.stamp.encode();
            out.raw(std::str::from_utf8(&stamp).unwrap_or_default());
            out.raw("\"}");
        }
        out.end()
    }

    /// Whether the patient withdrew the record: its visibility is private.
    pub fn is_withdrawn(&self) -> bool {
        self.0
            .get(VISIBILITY)
            .and_then(|f| f.value.as_ref())
            .is_some_and(|v| v.json_text() == "\"private\"")
    }

    /// The record as the care team keeps it once withdrawn: its visibility
    /// field and nothing else.
    pub fn withdrawn(&self) -> Self {
        FieldMap(
            self.0
                .iter()
                .filter(|(path, _)| *path == VISIBILITY)
                .map(|(path, field)| (path.clone(), field.clone()))
                .collect(),
        )
    }

    /// Whether the record is deleted (its `deleted` field says true).
    pub fn is_deleted(&self) -> bool {
        self.0
            .get(DELETED)
            .and_then(|f| f.value.as_ref())
            .is_some_and(|v| v.json_text() == "true")
    }
}

impl FieldMap<Value> {
    /// The record's JSON body (see [`FieldMap::body_text`]).
    pub fn body(&self, kind: RecordKind) -> serde_json::Map<String, Value> {
        self.clone().into_body(kind)
    }

    /// [`FieldMap::body`], moving the values rather than copying them.
    pub fn into_body(self, kind: RecordKind) -> serde_json::Map<String, Value> {
        let split = kind.split_fields();
        let mut body = serde_json::Map::new();
        for name in split {
            body.insert((*name).to_owned(), Value::Object(Default::default()));
        }
        for (path, field) in self.0 {
            let Some(value) = field.value else { continue };
            if path == DELETED {
                continue;
            }
            match path.split_once('.') {
                Some((name, key)) if split.contains(&name) => {
                    if let Some(Value::Object(inner)) = body.get_mut(name) {
                        inner.insert(key.to_owned(), value);
                    }
                }
                _ => {
                    body.insert(path, value);
                }
            }
        }
        body
    }
}

/// A JSON object written piece by piece: keys escaped as serde_json
/// escapes them, values given as JSON text.
struct Json {
    out: String,
    empty: bool,
}

impl Json {
    fn object(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity + 2);
        out.push('{');
        Self { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.out.push('"');
            self.out.push_str(key);
            self.out.push('"');
        } else {
            self.out.push_str(&Value::from(key).to_string());
        }
        self.out.push(':');
    }

    fn raw(&mut self, json: &str) {
        self.out.push_str(json);
    }

    fn end(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// The field that wins between two states of one field. Stamps are unique
/// per write (they carry the writer's node id), so equal stamps mean the
/// same write; should they ever carry different values, the larger value in
/// JSON text order wins, which keeps the merge commutative anyway.
fn winner<'a, V: FieldValue>(a: &'a Stamped<V>, b: &'a Stamped<V>) -> &'a Stamped<V> {
    match a.stamp.cmp(&b.stamp) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => {
            let text = |s: &'a Stamped<V>| s.value.as_ref().map(V::json_text);
            if text(a) >= text(b) { a } else { b }
        }
    }
}

/// The merge of two copies of one record.
pub fn merge<V: FieldValue>(a: &FieldMap<V>, b: &FieldMap<V>) -> FieldMap<V> {
    let mut out = a.0.clone();
    for (path, theirs) in &b.0 {
        let keep = match out.get(path) {
            Some(ours) => winner(ours, theirs).clone(),
            None => theirs.clone(),
        };
        out.insert(path.clone(), keep);
    }
    FieldMap(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NodeId;
    use proptest::prelude::*;
    use serde_json::json;

    fn stamped() -> impl Strategy<Value = Stamped> {
        (
            prop::option::of(prop_oneof![
                any::<i8>().prop_map(|n| Value::from(i64::from(n))),
                "[a-c]{0,2}".prop_map(Value::from),
                any::<bool>().prop_map(Value::from),
            ]),
            0u64..6,
            0u32..3,
            0u64..3,
        )
            .prop_map(|(value, ms, counter, node)| Stamped {
                value,
                stamp: Hlc::new(ms, counter, NodeId::from_u64(node)),
            })
    }

    /// Copies of one record as different replicas may hold it: a few fields,
    /// where the same stamp always carries the same value (one write).
    fn copies(n: usize) -> impl Strategy<Value = Vec<FieldMap>> {
        prop::collection::vec(
            prop::collection::btree_map(
                prop::sample::select(vec!["craving", "note", "deleted", "answers.moods"]),
                stamped(),
                0..4,
            ),
            n,
        )
        .prop_map(|maps| {
            // One value per (field, stamp): the first one generated.
            let mut writes: BTreeMap<(String, Hlc), Option<Value>> = BTreeMap::new();
            maps.into_iter()
                .map(|m| {
                    FieldMap(
                        m.into_iter()
                            .map(|(path, s)| {
                                let value = writes
                                    .entry((path.to_owned(), s.stamp))
                                    .or_insert(s.value)
                                    .clone();
                                (
                                    path.to_owned(),
                                    Stamped {
                                        value,
                                        stamp: s.stamp,
                                    },
                                )
                            })
                            .collect(),
                    )
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn merge_is_commutative(c in copies(2)) {
            prop_assert_eq!(merge(&c[0], &c[1]), merge(&c[1], &c[0]));
        }

        #[test]
        fn merge_is_associative(c in copies(3)) {
            prop_assert_eq!(
                merge(&merge(&c[0], &c[1]), &c[2]),
                merge(&c[0], &merge(&c[1], &c[2]))
            );
        }

        #[test]
        fn merge_is_idempotent(c in copies(2)) {
            let once = merge(&c[0], &c[1]);
            prop_assert_eq!(merge(&once, &c[1]), once.clone());
            prop_assert_eq!(merge(&c[0], &c[0]), c[0].clone());
        }

        #[test]
        fn text_values_merge_like_parsed_ones(c in copies(2)) {
            let raw = |m: &FieldMap| FieldMap::<RawJson>(
                m.0.iter()
                    .map(|(path, f)| (path.clone(), Stamped {
                        value: f.value.as_ref().map(RawJson::of),
                        stamp: f.stamp,
                    }))
                    .collect(),
            );
            let parsed = merge(&c[0], &c[1]);
            let text = merge(&raw(&c[0]), &raw(&c[1]));
            prop_assert_eq!(text.to_text(), serde_json::to_string(&parsed).unwrap());
            prop_assert_eq!(parsed.to_text(), serde_json::to_string(&parsed).unwrap());
            prop_assert_eq!(&text, &raw(&parsed));
            prop_assert_eq!(text.is_deleted(), parsed.is_deleted());
            for kind in [RecordKind::CheckIn, RecordKind::Worksheet] {
                let body: Value = serde_json::from_str(&text.body_text(kind)).unwrap();
                prop_assert_eq!(body, Value::Object(parsed.body(kind)));
            }
        }

        #[test]
        fn every_field_keeps_its_newest_write(c in copies(4)) {
            let all = c.iter().fold(FieldMap::default(), |acc, m| merge(&acc, m));
            for m in &c {
                for (path, field) in &m.0 {
                    prop_assert!(all.0[path].stamp >= field.stamp, "{path}");
                }
            }
            // Any order of the same copies gives the same result.
            let reversed = c.iter().rev().fold(FieldMap::default(), |acc, m| merge(&acc, m));
            prop_assert_eq!(all, reversed);
        }
    }

    proptest! {
        /// Read from JSON text whose fields come in any order, some named
        /// twice, a record is what serde's own map gives for the same text.
        #[test]
        fn read_as_serde_reads_a_map(
            fields in prop::collection::vec(
                (prop::sample::select(vec!["at", "craving", "note", "answers.b", "answers.a"]), stamped()),
                0..12,
            ),
        ) {
            let mut text = String::from("{");
            for (i, (name, field)) in fields.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&format!("{}:{}", json!(name), serde_json::to_string(field).unwrap()));
            }
            text.push('}');
            let ours: FieldMap = serde_json::from_str(&text).unwrap();
            let serdes: BTreeMap<String, Stamped> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(ours.0, serdes);
        }
    }

    #[test]
    fn text_is_what_serde_writes_even_for_keys_that_need_escaping() {
        let stamp = Hlc::new(1_700_000_000_000, 3, NodeId::from_u64(0xabc));
        let fields: FieldMap = FieldMap(
            ["we\"ird\n", "café", "back\\slash", "answers.ok"]
                .into_iter()
                .map(|k| {
                    let value = Some(json!({"k": [1, "two\u{1}"]}));
                    (k.to_owned(), Stamped { value, stamp })
                })
                .collect(),
        );
        assert_eq!(fields.to_text(), serde_json::to_string(&fields).unwrap());
        let body: Value = serde_json::from_str(&fields.body_text(RecordKind::Worksheet)).unwrap();
        assert_eq!(body, Value::Object(fields.body(RecordKind::Worksheet)));
    }

    #[test]
    fn a_later_removal_beats_an_earlier_value_and_deletion_is_a_field() {
        let n = NodeId::from_u64(1);
        let phone = FieldMap(BTreeMap::from([
            (
                "answers.moods".to_owned(),
                Stamped {
                    value: Some(Value::from("[sad 80]")),
                    stamp: Hlc::new(10, 0, n),
                },
            ),
            (
                "note".to_owned(),
                Stamped {
                    value: Some(Value::from("payday")),
                    stamp: Hlc::new(10, 0, n),
                },
            ),
        ]));
        let laptop = FieldMap(BTreeMap::from([
            (
                "answers.moods".to_owned(),
                Stamped {
                    value: None,
                    stamp: Hlc::new(12, 0, NodeId::from_u64(2)),
                },
            ),
            (
                "deleted".to_owned(),
                Stamped {
                    value: Some(Value::Bool(true)),
                    stamp: Hlc::new(13, 0, NodeId::from_u64(2)),
                },
            ),
        ]));
        let merged = merge(&phone, &laptop);
        assert_eq!(merged.0["answers.moods"].value, None);
        assert_eq!(merged.0["note"].value, Some(Value::from("payday")));
        assert!(merged.is_deleted());
        assert_eq!(
            merged.last_stamp(),
            Some(Hlc::new(13, 0, NodeId::from_u64(2)))
        );
    }
}
