//! What differs by kind, reached from a [`RecordKind`] chosen at run time:
//! each arm names the body type of its kind. Kept apart from the kinds
//! themselves, so that no record module depends on the others.

use chrono::{DateTime, FixedOffset};

use crate::kind::RecordKind;
use crate::record::{Body, Visibility};

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
            if let Ok(value) = serde_json::from_str::<B>(body) {
                return Ok((value.at(), value.visibility()));
            }
            let mut deserializer = serde_json::Deserializer::from_str(body);
            let value: B = serde_path_to_error::deserialize(&mut deserializer).map_err(named)?;
            Ok((value.at(), value.visibility()))
        }
        for_kind!(self, read, body)
    }
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
