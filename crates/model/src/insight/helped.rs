//! What helped: for each coping strategy a patient wrote on their check-ins,
//! how often the craving passed without use afterwards. The counts travel
//! with the share, so that "2 of 2" is never read as a pattern the way
//! "16 of 20" can be.

use chrono::NaiveDate;
use serde::Serialize;
use ts_rs::TS;

use super::in_window;
use crate::checkin::{CheckIn, Outcome};

/// How one coping strategy went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct CopingResult {
    /// The strategy in the patient's words, as they last wrote it.
    pub strategy: String,
    /// Check-ins that named it.
    pub uses: u32,
    /// Of those, the ones whose craving passed without use ("resisted").
    pub passed: u32,
    /// Of those, the ones that ended in use.
    pub used: u32,
    /// Of those, the ones unsure or without an outcome.
    pub unknown: u32,
}

impl CopingResult {
    /// The share of uses after which the craving passed, 0 to 1.
    pub fn share(&self) -> f64 {
        if self.uses == 0 {
            0.0
        } else {
            f64::from(self.passed) / f64::from(self.uses)
        }
    }
}

/// Every strategy named between `from` and `to`, the most often helpful
/// first (then the most used, then by name). Strategies are the same when
/// they differ only in case and surrounding spaces.
pub fn what_helped(checkins: &[CheckIn], from: NaiveDate, to: NaiveDate) -> Vec<CopingResult> {
    let mut by_key: std::collections::HashMap<String, CopingResult> = Default::default();
    let mut in_order: Vec<&CheckIn> = checkins
        .iter()
        .filter(|c| in_window(c.at.date_naive(), from, to))
        .collect();
    // Oldest first, so the spelling kept is the latest.
    in_order.sort_by_key(|c| c.at);
    for c in in_order {
        let mut seen_here: Vec<String> = Vec::new();
        for strategy in &c.coping {
            let words = strategy.trim();
            let key = words.to_lowercase();
            if key.is_empty() || seen_here.contains(&key) {
                continue;
            }
            seen_here.push(key.clone());
            let result = by_key.entry(key).or_insert_with(|| CopingResult {
                strategy: String::new(),
                uses: 0,
                passed: 0,
                used: 0,
                unknown: 0,
            });
            result.strategy = words.to_owned();
            result.uses += 1;
            match c.outcome {
                Some(Outcome::Resisted) => result.passed += 1,
                Some(Outcome::Used) => result.used += 1,
                Some(Outcome::Unsure) | None => result.unknown += 1,
            }
        }
    }
    let mut out: Vec<CopingResult> = by_key.into_values().collect();
    out.sort_by(|a, b| {
        b.passed
            .cmp(&a.passed)
            .then(b.uses.cmp(&a.uses))
            .then_with(|| a.strategy.to_lowercase().cmp(&b.strategy.to_lowercase()))
    });
    out
}
