//! Refusals a person can act on. Validation collects every problem with an
//! entry at once, each tied to the field the screen shows it beside.

use std::fmt;

use serde::Serialize;
use ts_rs::TS;

/// One problem with one field of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct FieldError {
    /// The field's name as the draft spells it (`craving`, `description`, ...).
    pub field: String,
    /// What is wrong and how to fix it, in plain words.
    pub message: String,
}

/// Every problem found with an entry; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    pub fn fields(&self) -> &[FieldError] {
        &self.0
    }

    pub fn into_fields(self) -> Vec<FieldError> {
        self.0
    }

    /// The same problems, for the `index`-th entry of a batch: fields are
    /// named `3.craving`, messages start "Entry 4: ".
    pub fn in_batch(self, index: usize) -> Self {
        Self(
            self.0
                .into_iter()
                .map(|e| FieldError {
                    field: format!("{index}.{}", e.field),
                    message: format!("Entry {}: {}", index + 1, e.message),
                })
                .collect(),
        )
    }

    /// The message for `field`, if it has one.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&messages.join(" "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Gathers problems while an entry is checked field by field.
#[derive(Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Keeps `value` if it passed, or records its problem under `field`.
    pub(crate) fn check<T>(&mut self, field: &str, value: Result<T, String>) -> Option<T> {
        value.map_err(|message| self.add(field, message)).ok()
    }

    pub(crate) fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}

/// Longest free-text note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;
/// Longest short text (a place, a person, a list item), in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Most items in one list (substances, coping strategies, ...).
pub const MAX_LIST_ITEMS: usize = 50;

pub(crate) fn note(text: &str, what: &str) -> Result<String, String> {
    let len = text.chars().count();
    if len > MAX_NOTE_CHARS {
        return Err(format!(
            "The {what} is {len} characters long; shorten it to {} or fewer.",
            group_thousands(MAX_NOTE_CHARS)
        ));
    }
    Ok(text.trim_end().to_owned())
}

pub(crate) fn short_text(text: &str, what: &str) -> Result<String, String> {
    trimmed_short(text)
        .map(str::to_owned)
        .map_err(|len| too_long(what, len))
}

/// Trims each item, drops blanks and repeats, and bounds the list.
pub(crate) fn short_list(items: &[String], what: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        // The error's words are made only when there is one.
        let item =
            trimmed_short(item).map_err(|len| too_long(&format!("One of the {what}"), len))?;
        if !item.is_empty() && !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    if out.len() > MAX_LIST_ITEMS {
        return Err(format!(
            "There are {} {what}; list at most {MAX_LIST_ITEMS}.",
            out.len()
        ));
    }
    Ok(out)
}

/// The text trimmed, or its length when that is over [`MAX_SHORT_CHARS`].
fn trimmed_short(text: &str) -> Result<&str, usize> {
    let text = text.trim();
    let len = text.chars().count();
    if len > MAX_SHORT_CHARS {
        Err(len)
    } else {
        Ok(text)
    }
}

fn too_long(what: &str, len: usize) -> String {
    format!("{what} is {len} characters long; keep it to {MAX_SHORT_CHARS} or fewer.")
}

/// The first and last years a record's dates may fall in: Steady keeps
/// treatment records, so a date outside these is a mistake (or a clock
/// gone wrong), and date arithmetic stays far from chrono's limits.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2199;

/// Refuses a date outside [`YEARS`].
pub fn plausible_date(date: chrono::NaiveDate) -> Result<(), String> {
    use chrono::Datelike;
    if YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(format!(
            "{date} is outside the years {} to {} that Steady keeps records for; check the date.",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_trimmed_deduplicated_and_bounded() {
        let items = vec![
            " walk ".to_owned(),
            "".to_owned(),
            "walk".to_owned(),
            "call Sam".to_owned(),
        ];
        assert_eq!(
            short_list(&items, "coping strategies").unwrap(),
            vec!["walk", "call Sam"]
        );
        let many: Vec<String> = (0..51).map(|i| i.to_string()).collect();
        assert!(
            short_list(&many, "substances")
                .unwrap_err()
                .contains("at most 50")
        );
    }

    #[test]
    fn thousands_are_grouped_for_people() {
        assert_eq!(group_thousands(10_000), "10,000");
        assert_eq!(group_thousands(999), "999");
    }
}
