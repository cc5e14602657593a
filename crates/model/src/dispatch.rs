//! What differs by kind, reached from a [`RecordKind`] chosen at run time:
//! each arm names the body type of its kind. Kept apart from the kinds
//! themselves, so that no record module depends on the others.

use chrono::{DateTime, FixedOffset};

use serde_json::Value;

use crate::kind::RecordKind;
use crate::merge::{DELETED, FieldMap, FieldValue};
use crate::record::{Body, Visibility};
use crate::validation::{ValidationErrors, plausible_date};

/// Calls the generic function `$f::<B>($args)` with the body type of `$kind`.
macro_rules! for_kind {
    ($kind:expr, $f:ident $(, $arg:expr)*) => {
        match $kind {
            RecordKind::CheckIn => $f::<crate::checkin::CheckIn>($($arg),*),
            RecordKind::Trigger => $f::<crate::trigger::TriggerEntry>($($arg),*),
            RecordKind::Event => $f::<crate::schedule::Event>($($arg),*),
            RecordKind::Program => $f::<crate::program::Program>($($arg),*),
            RecordKind::Attendance => $f::<crate::program::Attendance>($($arg),*),
            RecordKind::Worksheet => $f::<crate::worksheet::Worksheet>($($arg),*),
            RecordKind::Plan => $f::<crate::plan::RelapsePreventionPlan>($($arg),*),
            RecordKind::Assignment => $f::<crate::care::Assignment>($($arg),*),
            RecordKind::Message => $f::<crate::care::Message>($($arg),*),
            RecordKind::Reply => $f::<crate::care::Reply>($($arg),*),
            RecordKind::Journal => $f::<crate::journal::JournalEntry>($($arg),*),
        }
    };
}

impl RecordKind {
    /// Fields stamped key by key (see [`Body::SPLIT_FIELDS`]).
    pub fn split_fields(self) -> &'static [&'static str] {
        fn split<B: Body>() -> &'static [&'static str] {
            B::SPLIT_FIELDS
        }
        for_kind!(self, split)
    }

    /// Reads a record's JSON body as this kind, checking every rule a stored
    /// value must keep (ranges, options, unknown fields); its time and
    /// visibility, or what is wrong, naming the field.
    pub fn read(
        self,
        body: &serde_json::Value,
    ) -> Result<(DateTime<FixedOffset>, Visibility), String> {
        fn read<B: Body>(
            body: &serde_json::Value,
        ) -> Result<(DateTime<FixedOffset>, Visibility), String> {
            // The common case, fast; a failure is read again to name the field.
            if let Ok(value) = B::deserialize(body) {
                return Ok((value.at(), value.visibility()));
            }
            let value: B = serde_path_to_error::deserialize(body).map_err(named)?;
            Ok((value.at(), value.visibility()))
        }
        for_kind!(self, read, body)
    }

    /// [`RecordKind::read`] of a body given as JSON text.
    pub fn read_text(self, body: &str) -> Result<(DateTime<FixedOffset>, Visibility), String> {
        fn read<B: Body>(body: &str) -> Result<(DateTime<FixedOffset>, Visibility), String> {
            let value: B = parse(body)?;
            Ok((value.at(), value.visibility()))
        }
        for_kind!(self, read, body)
    }
}

impl RecordKind {
    /// Checks a record's stamped fields as this kind, by the rules the app
    /// applies before it saves a new entry: the body reads (types, ranges,
    /// no unknown fields), passes the kind's `from_draft` again, and is
    /// already in the form `from_draft` leaves it (trimmed, without blanks
    /// or repeats); every field name is one of the kind's, and `deleted`
    /// is true or false. What is wrong, naming the field.
    pub fn check_fields<V: FieldValue>(self, fields: &FieldMap<V>) -> Result<(), String> {
        fn check<B: Body>(body: &str) -> Result<(), String> {
            checked(&parse::<B>(body)?)
        }
        for_kind!(self, check, &fields.body_text(self))?;
        if let Some(flag) = fields.0.get(DELETED) {
            let flag = flag.value.as_ref().map(|v| v.json_text());
            if !matches!(flag.as_deref(), None | Some("true" | "false")) {
                return Err("field deleted: it is true or false".into());
            }
        }
        // A field with a value is in the body, where an unknown one fails to
        // read; only a removed one (no value) is looked up by name.
        let names = self.field_names();
        for (path, _) in fields
            .0
            .iter()
            .filter(|(path, field)| field.value.is_none() && *path != DELETED)
        {
            let name = path.split('.').next().unwrap_or(path);
            if !names.contains(&name) {
                return Err(format!("field {name}: a {} has no such field", self.noun()));
            }
        }
        Ok(())
    }

    /// The names of this kind's fields, as its body reads them.
    pub fn field_names(self) -> &'static [&'static str] {
        for_kind!(self, field_names)
    }
}

/// Checks a value against its kind's rules (see [`RecordKind::check_fields`]).
fn checked<B: Body>(value: &B) -> Result<(), String> {
    let at = value.at();
    plausible_date(at.date_naive()).map_err(|e| format!("its time: {e}"))?;
    let mut again = B::from_draft(value.to_draft(), at).map_err(|e| listed(&e))?;
    value.check_outside_draft().map_err(|e| listed(&e))?;
    again.keep_outside_draft(value);
    if again != *value {
        // Rare: find the field to name.
        let (Ok(Value::Object(mine)), Ok(Value::Object(made))) =
            (serde_json::to_value(value), serde_json::to_value(&again))
        else {
            return Err("it is not a JSON object".into());
        };
        let key = mine
            .keys()
            .chain(made.keys())
            .find(|key| mine.get(*key) != made.get(*key))
            .map_or("?", |k| k.as_str());
        return Err(format!(
            "field {key}: it is not in the form the app saves (trimmed, in order, without blanks or repeats)"
        ));
    }
    Ok(())
}

/// The names of `B`'s fields, as its derived `Deserialize` lists them to
/// the reader: every field, those left out when empty too.
fn field_names<B: Body>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor, value::Error};

    /// A reader that only takes note of the field names it is handed.
    struct Names<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Names<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(Error::custom("a record body is a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            *self.0 = fields;
            Err(Error::custom("only the names were wanted"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let mut names: &'static [&'static str] = &[];
    let _ = B::deserialize(Names(&mut names));
    names
}

/// Every problem of a refused value, each naming its field.
fn listed(errors: &ValidationErrors) -> String {
    errors
        .fields()
        .iter()
        .map(|e| format!("field {}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A body given as JSON text, read as `B`: the common case fast, a
/// failure read again to name the field.
fn parse<B: Body>(body: &str) -> Result<B, String> {
    if let Ok(value) = serde_json::from_str(body) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(named)
}

/// What is wrong with a body, naming the field. A body read from text is
/// the reader's own text, so its line and column are left out.
fn named(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    let inner = inner.split(" at line ").next().unwrap_or(&inner);
    if path == "." {
        inner.to_owned()
    } else {
        format!("field {path}: {inner}")
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use serde_json::{Value, json};

    use crate::checkin::{CheckIn, CheckInDraft};
    use crate::hlc::Hlc;
    use crate::ids::NodeId;
    use crate::kind::RecordKind;
    use crate::merge::{FieldMap, Stamped};
    use crate::record::Body;

    /// A record's fields, each stamped, as a device would push them.
    fn stamped(body: Value) -> FieldMap {
        let stamp = Hlc::new(1_764_000_000_000, 0, NodeId::from_u64(7));
        let Value::Object(body) = body else {
            panic!("a body is an object")
        };
        FieldMap(
            body.into_iter()
                .map(|(k, v)| {
                    let value = (!v.is_null()).then_some(v);
                    (k, Stamped { value, stamp })
                })
                .collect(),
        )
    }

    fn check_in() -> Value {
        let now = DateTime::parse_from_rfc3339("2026-11-20T21:30:00-07:00").unwrap();
        let draft = CheckInDraft {
            craving: 7,
            emotions: vec!["restless".into()],
            note: "Payday.".into(),
            ..Default::default()
        };
        serde_json::to_value(CheckIn::from_draft(draft, now).unwrap()).unwrap()
    }

    fn refusal(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut body = check_in();
        change(body.as_object_mut().unwrap());
        RecordKind::CheckIn
            .check_fields(&stamped(body))
            .expect_err("refused")
    }

    #[test]
    fn what_the_app_saves_passes() {
        let mut fields = stamped(check_in());
        RecordKind::CheckIn.check_fields(&fields).unwrap();
        fields.0.insert(
            "deleted".into(),
            Stamped {
                value: Some(json!(true)),
                stamp: Hlc::new(1, 0, NodeId::from_u64(1)),
            },
        );
        RecordKind::CheckIn.check_fields(&fields).unwrap();
    }

    #[test]
    fn what_the_app_would_refuse_is_refused_naming_the_field() {
        type Change = Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "at",
                Box::new(|b| {
                    b.insert("at".into(), json!("9999-01-01T00:00:00Z"));
                }),
            ),
            (
                "at",
                Box::new(|b| {
                    b.insert("at".into(), json!("0001-01-01T00:00:00Z"));
                }),
            ),
            (
                "note",
                Box::new(|b| {
                    b.insert("note".into(), json!("x".repeat(100_000)));
                }),
            ),
            (
                "emotions",
                Box::new(|b| {
                    b.insert(
                        "emotions".into(),
                        json!((0..10_000).map(|i| i.to_string()).collect::<Vec<_>>()),
                    );
                }),
            ),
            (
                "emotions",
                Box::new(|b| {
                    b.insert("emotions".into(), json!(["sad", "sad", "sad"]));
                }),
            ),
            (
                "note",
                Box::new(|b| {
                    b.insert("note".into(), json!("trailing   "));
                }),
            ),
            (
                "colour",
                Box::new(|b| {
                    b.insert("colour".into(), json!("red"));
                }),
            ),
            (
                "craving",
                Box::new(|b| {
                    b.insert("craving".into(), json!(11));
                }),
            ),
            (
                "halt",
                Box::new(|b| {
                    b.insert("halt".into(), json!({"hungry": "yes"}));
                }),
            ),
        ];
        for (field, change) in cases {
            let reason = refusal(change);
            assert!(
                reason.contains(&format!("field {field}"))
                    || (field == "at" && reason.contains("its time")),
                "{field}: {reason}"
            );
        }
    }

    #[test]
    fn deleted_is_a_flag_and_unknown_fields_are_refused_even_when_empty() {
        let mut fields = stamped(check_in());
        let stamp = Hlc::new(1, 0, NodeId::from_u64(1));
        let deep = (0..200).fold(json!(1), |v, _| json!([v]));
        fields.0.insert(
            "deleted".into(),
            Stamped {
                value: Some(deep),
                stamp,
            },
        );
        let reason = RecordKind::CheckIn.check_fields(&fields).unwrap_err();
        assert!(reason.contains("field deleted"), "{reason}");
        let mut fields = stamped(check_in());
        fields
            .0
            .insert("colour".into(), Stamped { value: None, stamp });
        let reason = RecordKind::CheckIn.check_fields(&fields).unwrap_err();
        assert!(reason.contains("field colour"), "{reason}");
    }

    #[test]
    fn every_field_of_a_kind_is_named_and_none_other() {
        // Each kind's names are those its body reads, those the app leaves
        // out when empty (a message's read_at) and those set outside the
        // draft (a worksheet's review) among them.
        for kind in RecordKind::ALL {
            let names = kind.field_names();
            assert!(names.contains(&"visibility"), "{kind:?}: {names:?}");
            assert!(!names.contains(&"deleted"), "{kind:?}: {names:?}");
        }
        assert!(RecordKind::Message.field_names().contains(&"read_at"));
        for name in ["review", "comments", "answers"] {
            assert!(RecordKind::Worksheet.field_names().contains(&name));
        }
        // Exactly the check-in's serialized fields.
        let Value::Object(body) = check_in() else {
            unreachable!()
        };
        let mut names = RecordKind::CheckIn.field_names().to_vec();
        names.sort_unstable();
        let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(names, keys);
        // A field removed (no value) is looked up by these names: a
        // message's read_at may go, a made-up field may not.
        let stamp = Hlc::new(1, 0, NodeId::from_u64(1));
        let mut fields = stamped(check_in());
        fields
            .0
            .insert("mood".into(), Stamped { value: None, stamp });
        assert_eq!(RecordKind::CheckIn.check_fields(&fields), Ok(()));
    }

    #[test]
    fn a_worksheet_answer_must_be_an_item_of_its_template() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T21:30:00-07:00").unwrap();
        let draft = crate::worksheet::WorksheetDraft {
            template: "cbt-thought-record".into(),
            version: crate::Library::builtin()
                .latest("cbt-thought-record")
                .unwrap()
                .version
                .clone(),
            ..Default::default()
        };
        let sheet = crate::worksheet::Worksheet::from_draft(draft, now).unwrap();
        let mut fields = stamped(serde_json::to_value(&sheet).unwrap());
        fields.0.remove("answers");
        RecordKind::Worksheet.check_fields(&fields).unwrap();
        fields.0.insert(
            "answers.not-an-item".into(),
            Stamped {
                value: Some(json!([{"string": "hello"}])),
                stamp: Hlc::new(1, 0, NodeId::from_u64(1)),
            },
        );
        let reason = RecordKind::Worksheet.check_fields(&fields).unwrap_err();
        assert!(
            reason.contains("not-an-item") || reason.contains("field answers"),
            "{reason}"
        );
    }
}
