//! Time as the core sees it: UTC instants passed in by the caller.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// An instant in UTC. Stored in documents as milliseconds since the epoch.
pub type Time = DateTime<Utc>;

pub fn from_millis(ms: i64) -> Time {
    Utc.timestamp_millis_opt(ms).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub fn hours(h: u32) -> Duration {
    Duration::hours(i64::from(h))
}

/// The start of a calendar day in UTC (plans and handover dates are days).
pub fn start_of_day(d: NaiveDate) -> Time {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The end of a calendar day: a deadline "by 31 Oct" includes all of 31 Oct.
pub fn end_of_day(d: NaiveDate) -> Time {
    start_of_day(d) + Duration::days(1) - Duration::milliseconds(1)
}

/// Parse an RFC 3339 instant (helper for fixtures and tests).
pub fn parse(s: &str) -> Time {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("bad time {s:?}: {e}")).with_timezone(&Utc)
}
