//! Time as the core sees it: UTC instants passed in by the caller.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// A project's time zone (IANA database). Every day boundary people see —
/// deadlines' days, "overdue", report dates, weeks — is a day in this zone.
pub use chrono_tz::Tz as Zone;

/// The zone a project has unless the CS center sets another.
pub const DEFAULT_ZONE: Zone = chrono_tz::Asia::Shanghai;

/// Read an IANA zone name ("Asia/Shanghai"); the error says what was wrong.
pub fn parse_zone(name: &str) -> Result<Zone, String> {
    name.trim()
        .parse::<Zone>()
        .map_err(|_| format!("unknown time zone {name:?} (expected an IANA name such as Asia/Shanghai)"))
}

/// The calendar day an instant falls on in `zone`.
pub fn local_date(t: Time, zone: Zone) -> NaiveDate {
    t.with_timezone(&zone).date_naive()
}

/// The first instant of day `d` in `zone` (the earliest, where a zone's
/// clocks jump over midnight).
pub fn start_of_local_day(d: NaiveDate, zone: Zone) -> Time {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    match zone.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // No local midnight that day (a gap): the day starts when the gap ends.
        chrono::LocalResult::None => (1..=24 * 4)
            .find_map(|q| zone.from_local_datetime(&(midnight + Duration::minutes(15 * q))).earliest())
            .map_or_else(|| start_of_day(d), |t| t.with_timezone(&Utc)),
    }
}

/// The last instant of day `d` in `zone`: "by 31 Oct" includes all of 31 Oct there.
pub fn end_of_local_day(d: NaiveDate, zone: Zone) -> Time {
    start_of_local_day(d + Duration::days(1), zone) - Duration::milliseconds(1)
}

/// The zone's offset from UTC at `t`, as printed beside local times:
/// `UTC+08:00`, `UTC-04:00` (daylight time) or `UTC` itself. An offset is
/// what a reader in China expects and is unambiguous where abbreviations
/// (CST is also US Central) are not.
pub fn utc_offset(t: Time, zone: Zone) -> String {
    use chrono::Offset;
    let secs = t.with_timezone(&zone).offset().fix().local_minus_utc();
    if secs == 0 {
        return "UTC".to_owned();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// An instant as people read it in `zone`: `2026-11-01 01:00 (UTC+08:00)`.
pub fn format_local(t: Time, zone: Zone) -> String {
    format!("{} ({})", t.with_timezone(&zone).format("%Y-%m-%d %H:%M"), utc_offset(t, zone))
}

/// The local day of an instant, `2026-11-01`.
pub fn format_local_date(t: Time, zone: Zone) -> String {
    local_date(t, zone).format("%Y-%m-%d").to_string()
}

/// The Monday of the (ISO) week day `d` belongs to: weeks run Monday to Sunday.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// An instant in UTC. Stored in documents as milliseconds since the epoch.
pub type Time = DateTime<Utc>;

pub fn from_millis(ms: i64) -> Time {
    Utc.timestamp_millis_opt(ms).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub fn hours(h: u32) -> Duration {
    Duration::hours(i64::from(h))
}

/// The start of a calendar day in UTC. People's days are local: use
/// [`start_of_local_day`] with the project's zone for them.
pub fn start_of_day(d: NaiveDate) -> Time {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The end of a calendar day in UTC. People's days are local: use
/// [`end_of_local_day`] with the project's zone for them.
pub fn end_of_day(d: NaiveDate) -> Time {
    start_of_day(d) + Duration::days(1) - Duration::milliseconds(1)
}

/// Parse an RFC 3339 instant (helper for fixtures and tests).
pub fn parse(s: &str) -> Time {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("bad time {s:?}: {e}")).with_timezone(&Utc)
}

#[cfg(test)]
mod zone_tests {
    use super::*;

    #[test]
    fn days_end_at_local_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        assert_eq!(end_of_local_day(d, DEFAULT_ZONE), parse("2026-10-31T15:59:59.999Z"));
        assert_eq!(local_date(parse("2026-10-31T16:00:00Z"), DEFAULT_ZONE), d.succ_opt().unwrap());
        assert_eq!(local_date(parse("2026-10-31T15:59:59Z"), DEFAULT_ZONE), d);
        let ny = parse_zone("America/New_York").unwrap();
        // 1 Nov 2026 is the day New York leaves daylight time: 25 hours long.
        let nov1 = d.succ_opt().unwrap();
        assert_eq!(start_of_local_day(nov1, ny), parse("2026-11-01T04:00:00Z"));
        assert_eq!(end_of_local_day(nov1, ny), parse("2026-11-02T04:59:59.999Z"));
        assert!(parse_zone("Mars/Olympus").unwrap_err().contains("Mars/Olympus"));
        assert_eq!(week_start(d), NaiveDate::from_ymd_opt(2026, 10, 26).unwrap());
    }
}
