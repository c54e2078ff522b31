use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC, written as RFC 3339 with exactly six fractional digits
/// (`2026-03-29T11:27:07.123456Z`) so that log lines sort as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Now, to the microsecond: the precision the log keeps, so that an event
    /// equals what its own line reads back as.
    pub fn now() -> Self {
        Timestamp::at(std::time::SystemTime::now())
    }

    /// `time`, to the microsecond. The proxy takes a chunk's time as a bare
    /// `SystemTime` and has the recorder thread turn it into a date, off the
    /// forwarding path.
    pub fn at(time: std::time::SystemTime) -> Self {
        Timestamp(DateTime::<Utc>::from(time).trunc_subsecs(6))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}
