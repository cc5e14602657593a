//! Crisis lines shown on the "I'm struggling" screen. They are kept on the
//! device so they show without a network; the United States lines are the
//! default, and a patient elsewhere replaces them with their own country's.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::plan::phone_number;
use crate::validation::{Problems, ValidationErrors, short_text};

/// One line to call or text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct CrisisLine {
    pub name: String,
    /// The number to call; may be empty for a text-only line.
    pub phone: String,
    /// The number to text, if the line takes texts.
    pub sms: String,
    /// One line on what the service is for.
    pub about: String,
}

/// Most lines kept.
pub const MAX_CRISIS_LINES: usize = 10;

/// The lines for the United States: the 988 Suicide & Crisis Lifeline and
/// SAMHSA's National Helpline.
pub fn us_crisis_lines() -> Vec<CrisisLine> {
    vec![
        CrisisLine {
            name: "988 Suicide & Crisis Lifeline".into(),
            phone: "988".into(),
            sms: "988".into(),
            about: "Free and confidential, 24/7: call or text if you are in distress or thinking of hurting yourself.".into(),
        },
        CrisisLine {
            name: "SAMHSA National Helpline".into(),
            phone: "1-800-662-4357".into(),
            sms: String::new(),
            about: "Free, confidential, 24/7, in English and Spanish: treatment referral and information about substance use.".into(),
        },
    ]
}

/// Checks a list of crisis lines, dropping blank rows.
pub fn check_crisis_lines(lines: &[CrisisLine]) -> Result<Vec<CrisisLine>, ValidationErrors> {
    let mut p = Problems::default();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let field = format!("lines.{i}");
        let name = p.check(&field, short_text(&line.name, "A line's name"));
        let phone = p.check(&field, phone_number(&line.phone));
        let sms = p.check(&field, phone_number(&line.sms));
        let about = p.check(&field, short_text(&line.about, "A line's description"));
        let (Some(name), Some(phone), Some(sms), Some(about)) = (name, phone, sms, about) else {
            continue;
        };
        if name.is_empty() && phone.is_empty() && sms.is_empty() && about.is_empty() {
            continue;
        }
        if name.is_empty() {
            p.add(
                &field,
                format!("Line {} has no name; add the service's name.", i + 1),
            );
        } else if phone.is_empty() && sms.is_empty() {
            p.add(
                &field,
                format!("{name} has no number; add a number to call or to text."),
            );
        } else {
            out.push(CrisisLine {
                name,
                phone,
                sms,
                about,
            });
        }
    }
    if out.len() > MAX_CRISIS_LINES {
        p.add(
            "lines",
            format!(
                "There are {} lines; keep at most {MAX_CRISIS_LINES}.",
                out.len()
            ),
        );
    }
    p.finish(|| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_us_lines_are_valid_and_blank_rows_are_dropped() {
        let mut lines = us_crisis_lines();
        lines.push(CrisisLine::default());
        let checked = check_crisis_lines(&lines).unwrap();
        assert_eq!(checked, us_crisis_lines());
        assert_eq!(checked[1].phone, "1-800-662-4357");
    }

    #[test]
    fn a_line_without_a_number_is_refused() {
        let lines = vec![CrisisLine {
            name: "Samaritans".into(),
            ..Default::default()
        }];
        let e = check_crisis_lines(&lines).unwrap_err();
        assert!(e.for_field("lines.0").unwrap().contains("has no number"));
    }
}
