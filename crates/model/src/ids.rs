//! Identifiers. Record ids are UUIDv7, minted on the device that creates the
//! record, so two offline devices never collide and ids sort by creation time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// The id of one record (a check-in, a trigger entry, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct RecordId(Uuid);

impl RecordId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "\"{0}\" is not a record id: expected a UUIDv7 such as 0192f5c4-6b1e-7cc3-9d2a-5b8e1f0a3c44"
)]
pub struct BadRecordId(String);

impl FromStr for RecordId {
    type Err = BadRecordId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Uuid::parse_str(s) {
            Ok(uuid) if uuid.get_version_num() == 7 => Ok(Self(uuid)),
            _ => Err(BadRecordId(s.chars().take(64).collect())),
        }
    }
}

impl TryFrom<String> for RecordId {
    type Error = BadRecordId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RecordId> for String {
    fn from(id: RecordId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

/// The replica (device or server) that wrote a stamp. Breaks ties between
/// stamps with the same physical time and counter, so no two are ever equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u64);

impl NodeId {
    pub const fn from_u64(n: u64) -> Self {
        Self(n)
    }

    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// A random node id, for a replica's first start.
    pub fn random() -> Self {
        // The low 64 bits of a v4 UUID are random; enough to keep the
        // devices of one patient and their clinic apart.
        Self(Uuid::new_v4().as_u64_pair().1)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("\"{0}\" is not a node id: expected 16 hexadecimal digits")]
pub struct BadNodeId(String);

impl FromStr for NodeId {
    type Err = BadNodeId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadNodeId(s.chars().take(32).collect());
        if s.len() != 16 {
            return Err(bad());
        }
        s.bytes()
            .try_fold(0u64, |n, b| {
                let digit = (b as char).to_digit(16)?;
                Some(n << 4 | u64::from(digit))
            })
            .map(Self)
            .ok_or_else(bad)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_round_trip_and_refuse_other_uuid_versions() {
        let id = RecordId::new();
        assert_eq!(id.to_string().parse::<RecordId>(), Ok(id));
        let v4 = Uuid::new_v4().to_string();
        assert!(v4.parse::<RecordId>().is_err());
        assert!("not-an-id".parse::<RecordId>().is_err());
    }

    #[test]
    fn node_ids_are_sixteen_hex_digits() {
        let node = NodeId::from_u64(0xabc);
        assert_eq!(node.to_string(), "0000000000000abc");
        assert_eq!("0000000000000abc".parse(), Ok(node));
        assert!("abc".parse::<NodeId>().is_err());
    }
}
