//! Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014).
//!
//! Every field a replica writes is stamped with an [`Hlc`]. Stamps are close to
//! wall-clock time, so "newest wins" means what a person expects, but they never
//! run backwards when the wall clock does (a phone whose time is corrected, a
//! laptop that resumes with a stale clock): the physical part follows the rule
//! `l = max(l_old, pt)` and the counter orders events within one millisecond.
//! The node id makes every stamp unique, so the order is total.
//!
//! The text form is fixed-width, so comparing two encoded stamps as strings
//! (in SQL, say) gives the same order as comparing the stamps.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::NodeId;

/// One stamp. Ordered by physical time, then counter, then node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hlc {
    physical_ms: u64,
    counter: u32,
    node: NodeId,
}

/// Milliseconds fit 15 decimal digits until the year 33658.
const MAX_PHYSICAL_MS: u64 = 999_999_999_999_999;

impl Hlc {
    pub fn new(physical_ms: u64, counter: u32, node: NodeId) -> Self {
        Self {
            physical_ms: physical_ms.min(MAX_PHYSICAL_MS),
            counter,
            node,
        }
    }

    pub fn physical_ms(&self) -> u64 {
        self.physical_ms
    }

    pub fn counter(&self) -> u32 {
        self.counter
    }

    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The text form, `ms-counter-node`, written without the formatting
    /// machinery: every stored and synced field carries one.
    pub fn encode(&self) -> [u8; ENCODED_LEN] {
        /// Writes `n` as decimal digits filling `out`, two digits a step.
        fn decimal(out: &mut [u8], mut n: u64) {
            let mut i = out.len();
            while i >= 2 {
                let pair = (n % 100) as usize * 2;
                out[i - 2..i].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
                n /= 100;
                i -= 2;
            }
            if i == 1 {
                out[0] = b'0' + (n % 10) as u8;
            }
        }
        let mut out = [b'-'; ENCODED_LEN];
        decimal(&mut out[..15], self.physical_ms);
        decimal(&mut out[16..26], u64::from(self.counter));
        let node = self.node.as_u64();
        for (i, b) in out[27..].iter_mut().enumerate() {
            let nibble = (node >> (60 - 4 * i)) & 0xf;
            *b = b"0123456789abcdef"[nibble as usize];
        }
        out
    }
}

/// "00" to "99", for writing two decimal digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Bytes in a stamp's text form: 15 digits, '-', 10 digits, '-', 16 hex digits.
pub const ENCODED_LEN: usize = 43;

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.physical_ms, self.counter, self.node).cmp(&(
            other.physical_ms,
            other.counter,
            other.node,
        ))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = self.encode();
        // Digits, dashes and hex digits only: always ASCII.
        f.write_str(std::str::from_utf8(&encoded).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let encoded = self.encode();
        let text = std::str::from_utf8(&encoded).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireStamp::deserialize(deserializer)?
            .0
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("\"{0}\" is not a clock stamp: expected 15 digits, '-', 10 digits, '-', 16 hex digits")]
pub struct BadHlc(pub String);

impl FromStr for Hlc {
    type Err = BadHlc;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadHlc(s.chars().take(64).collect());
        let b = s.as_bytes();
        if b.len() != ENCODED_LEN || b[15] != b'-' || b[26] != b'-' {
            return Err(bad());
        }
        let decimal = |digits: &[u8]| {
            digits.iter().try_fold(0u64, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
            })
        };
        let (Some(physical_ms), Some(counter)) = (decimal(&b[..15]), decimal(&b[16..26])) else {
            return Err(bad());
        };
        Ok(Self {
            physical_ms,
            counter: u32::try_from(counter).map_err(|_| bad())?,
            node: s[27..].parse().map_err(|_| bad())?,
        })
    }
}

/// A stamp as it arrives over the wire: read on arrival, or what is wrong
/// with its text, so that one bad stamp sets aside its own record (naming
/// the field) rather than failing everything read with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireStamp(pub Result<Hlc, BadHlc>);

impl From<Hlc> for WireStamp {
    fn from(stamp: Hlc) -> Self {
        Self(Ok(stamp))
    }
}

impl Serialize for WireStamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(stamp) => stamp.serialize(serializer),
            Err(BadHlc(text)) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for WireStamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = WireStamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a clock stamp, ms-counter-node")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<WireStamp, E> {
                Ok(WireStamp(s.parse()))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// The clock of one replica: hands out stamps that only ever increase.
#[derive(Clone, Debug)]
pub struct Clock {
    node: NodeId,
    physical_ms: u64,
    counter: u32,
}

impl Clock {
    /// A clock that has issued nothing yet.
    pub fn new(node: NodeId) -> Self {
        Self {
            node,
            physical_ms: 0,
            counter: 0,
        }
    }

    /// A clock that continues after `last`, the largest stamp this replica has
    /// stored, so a restart with a wall clock set back cannot reuse a stamp.
    pub fn resume(node: NodeId, last: Option<Hlc>) -> Self {
        let mut clock = Self::new(node);
        if let Some(last) = last {
            clock.physical_ms = last.physical_ms;
            clock.counter = last.counter;
        }
        clock
    }

    pub fn node(&self) -> NodeId {
        self.node
    }

    /// A stamp for a local write, given the wall clock in Unix milliseconds.
    pub fn tick(&mut self, wall_ms: u64) -> Hlc {
        let wall_ms = wall_ms.min(MAX_PHYSICAL_MS);
        if wall_ms > self.physical_ms {
            self.physical_ms = wall_ms;
            self.counter = 0;
        } else {
            self.bump_counter();
        }
        self.current()
    }

    /// Takes in a stamp received from another replica, so that every stamp
    /// this replica issues afterwards is larger than it.
    pub fn observe(&mut self, remote: Hlc, wall_ms: u64) -> Hlc {
        let wall_ms = wall_ms.min(MAX_PHYSICAL_MS);
        let old = self.physical_ms;
        let physical = old.max(remote.physical_ms).max(wall_ms);
        if physical == old && physical == remote.physical_ms {
            self.counter = self.counter.max(remote.counter);
            self.bump_counter();
        } else if physical == old {
            self.bump_counter();
        } else if physical == remote.physical_ms {
            self.physical_ms = physical;
            self.counter = remote.counter;
            self.bump_counter();
        } else {
            self.physical_ms = physical;
            self.counter = 0;
        }
        self.current()
    }

    fn bump_counter(&mut self) {
        match self.counter.checked_add(1) {
            Some(c) => self.counter = c,
            // Four billion stamps in one millisecond cannot happen by honest
            // use; moving the physical part on keeps the order strict anyway.
            None => {
                self.physical_ms += 1;
                self.counter = 0;
            }
        }
    }

    fn current(&self) -> Hlc {
        Hlc::new(self.physical_ms, self.counter, self.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: NodeId = NodeId::from_u64(1);
    const B: NodeId = NodeId::from_u64(2);

    #[test]
    fn text_form_round_trips_and_sorts_like_the_stamps() {
        let early = Hlc::new(1_700_000_000_000, 5, A);
        let late = Hlc::new(1_700_000_000_001, 0, A);
        assert_eq!(
            early.to_string(),
            "001700000000000-0000000005-0000000000000001"
        );
        assert_eq!(early.to_string().parse(), Ok(early));
        assert!(early < late);
        assert!(early.to_string() < late.to_string());
        assert!("1-2-3".parse::<Hlc>().is_err());
        for bad in [
            "+01700000000000-0000000005-0000000000000001",
            "001700000000000-4294967296-0000000000000001",
            "001700000000000-0000000005-+000000000000001",
            "001700000000000_0000000005-0000000000000001",
            "001700000000000-0000000005-000000000000000g",
        ] {
            assert!(bad.parse::<Hlc>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&early).unwrap();
        assert_eq!(json, "\"001700000000000-0000000005-0000000000000001\"");
        assert_eq!(serde_json::from_str::<Hlc>(&json).unwrap(), early);
        assert!(serde_json::from_str::<Hlc>("17").is_err());
        // On the wire a bad stamp is kept as what is wrong, not a failed read.
        let wire: WireStamp = serde_json::from_str("\"yesterday\"").unwrap();
        assert_eq!(wire.0, Err(BadHlc("yesterday".into())));
        assert_eq!(serde_json::to_string(&wire).unwrap(), "\"yesterday\"");
        let wire: WireStamp = serde_json::from_str(&json).unwrap();
        assert_eq!(wire, WireStamp::from(early));
    }

    #[test]
    fn a_clock_set_back_still_moves_forward() {
        let mut clock = Clock::new(A);
        let first = clock.tick(10_000);
        let after_jump_back = clock.tick(5_000);
        assert!(after_jump_back > first);
        assert_eq!(after_jump_back.physical_ms(), 10_000);
        assert_eq!(after_jump_back.counter(), 1);
    }

    #[test]
    fn resume_continues_after_the_last_stored_stamp() {
        let last = Hlc::new(50_000, 7, A);
        let mut clock = Clock::resume(A, Some(last));
        assert!(clock.tick(1_000) > last);
    }

    fn walls() -> impl Strategy<Value = Vec<u64>> {
        // Wall readings that wander both ways, including big jumps back.
        prop::collection::vec(0u64..2_000_000_000_000, 1..200)
    }

    proptest! {
        #[test]
        fn any_stamp_reads_back_from_its_text(
            ms in 0..=MAX_PHYSICAL_MS, counter in any::<u32>(), node in any::<u64>()
        ) {
            let stamp = Hlc::new(ms, counter, NodeId::from_u64(node));
            let text = stamp.to_string();
            prop_assert_eq!(
                &text,
                &format!("{ms:015}-{counter:010}-{node:016x}")
            );
            prop_assert_eq!(text.parse::<Hlc>(), Ok(stamp));
        }

        #[test]
        fn ticks_strictly_increase_whatever_the_wall_clock_does(walls in walls()) {
            let mut clock = Clock::new(A);
            let mut last: Option<Hlc> = None;
            for wall in walls {
                let stamp = clock.tick(wall);
                prop_assert!(stamp.physical_ms() >= wall.min(MAX_PHYSICAL_MS));
                if let Some(prev) = last {
                    prop_assert!(stamp > prev);
                    prop_assert!(stamp.to_string() > prev.to_string());
                }
                last = Some(stamp);
            }
        }

        #[test]
        fn after_observing_a_remote_stamp_every_local_stamp_is_larger(
            walls in walls(),
            remote_ms in 0u64..3_000_000_000_000,
            remote_counter in 0u32..1000,
            at in 0usize..200,
        ) {
            let mut clock = Clock::new(A);
            let remote = Hlc::new(remote_ms, remote_counter, B);
            let mut last: Option<Hlc> = None;
            for (i, wall) in walls.iter().enumerate() {
                let stamp = if i == at.min(walls.len() - 1) {
                    let s = clock.observe(remote, *wall);
                    prop_assert!(s > remote);
                    s
                } else {
                    clock.tick(*wall)
                };
                if let Some(prev) = last {
                    prop_assert!(stamp > prev);
                }
                if i >= at.min(walls.len() - 1) {
                    prop_assert!(stamp > remote);
                }
                last = Some(stamp);
            }
        }

        #[test]
        fn two_replicas_exchanging_stamps_never_issue_equal_ones(
            steps in prop::collection::vec((any::<bool>(), 0u64..1_000_000, any::<bool>()), 1..200)
        ) {
            // Merge-ready ordering: stamps from different nodes are totally
            // ordered and causally later writes get larger stamps.
            let mut a = Clock::new(A);
            let mut b = Clock::new(B);
            let mut seen = std::collections::BTreeSet::new();
            let mut last_sent: Option<Hlc> = None;
            for (on_a, wall, deliver) in steps {
                let (me, other_last) = if on_a { (&mut a, last_sent) } else { (&mut b, last_sent) };
                let stamp = match (deliver, other_last) {
                    (true, Some(remote)) if remote.node() != me.node() => {
                        let s = me.observe(remote, wall);
                        prop_assert!(s > remote);
                        s
                    }
                    _ => me.tick(wall),
                };
                prop_assert!(seen.insert(stamp), "stamp issued twice");
                last_sent = Some(stamp);
            }
        }
    }
}
