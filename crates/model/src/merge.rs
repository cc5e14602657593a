//! Merging two copies of one record, field by field: each field (a path such
//! as `craving` or `answers.moods`) keeps the value written with the larger
//! hybrid-logical-clock stamp. A field removed on one side (a cleared
//! answer) is a stamped absence and wins or loses like any value; deletion is
//! the stamped `deleted` field. This merge is commutative, associative and
//! idempotent, so replicas that have seen the same writes agree whatever the
//! order or repetition of syncs; the property tests below check that rather
//! than assume it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hlc::Hlc;
use crate::record::RecordKind;

/// The field that marks a record deleted (a tombstone) when it holds `true`.
pub const DELETED: &str = "deleted";

/// One field's state: its value (none once removed) and the stamp of the
/// write that set it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stamped {
    #[serde(default)]
    pub value: Option<Value>,
    pub stamp: Hlc,
}

/// A record as replicas exchange it: every stamped field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldMap(pub BTreeMap<String, Stamped>);

impl FieldMap {
    /// The newest stamp of any field: when the record last changed.
    pub fn last_stamp(&self) -> Option<Hlc> {
        self.0.values().map(|f| f.stamp).max()
    }

    /// The record's JSON body: each field with a value, split fields
    /// (`answers.moods`) gathered back into their object. `deleted` is not
    /// part of the body.
    pub fn body(&self, kind: RecordKind) -> serde_json::Map<String, Value> {
        let split = kind.split_fields();
        let mut body = serde_json::Map::new();
        for name in split {
            body.insert((*name).to_owned(), Value::Object(Default::default()));
        }
        for (path, field) in &self.0 {
            let Some(value) = &field.value else { continue };
            if path == DELETED {
                continue;
            }
            match path.split_once('.') {
                Some((name, key)) if split.contains(&name) => {
                    if let Some(Value::Object(inner)) = body.get_mut(name) {
                        inner.insert(key.to_owned(), value.clone());
                    }
                }
                _ => {
                    body.insert(path.clone(), value.clone());
                }
            }
        }
        body
    }

    /// Whether the record is deleted (its `deleted` field says true).
    pub fn is_deleted(&self) -> bool {
        self.0
            .get(DELETED)
            .is_some_and(|f| f.value == Some(Value::Bool(true)))
    }
}

/// The field that wins between two states of one field. Stamps are unique
/// per write (they carry the writer's node id), so equal stamps mean the
/// same write; should they ever carry different values, the larger value in
/// JSON text order wins, which keeps the merge commutative anyway.
fn winner<'a>(a: &'a Stamped, b: &'a Stamped) -> &'a Stamped {
    match a.stamp.cmp(&b.stamp) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => {
            let text = |s: &Stamped| s.value.as_ref().map(Value::to_string);
            if text(a) >= text(b) { a } else { b }
        }
    }
}

/// The merge of two copies of one record.
pub fn merge(a: &FieldMap, b: &FieldMap) -> FieldMap {
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
