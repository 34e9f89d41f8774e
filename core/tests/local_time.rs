//! Every day is a local day of the project's time zone: day deadlines,
//! 及时完结率, "overdue", a report's day and days to handover, the current
//! round. Each rule is checked at the edges of a local day in Asia/Shanghai
//! (UTC+8, no daylight time) and America/New_York (which leaves daylight
//! time on 1 Nov 2026, a 25-hour day).

mod common;
use chrono::NaiveDate;
use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::kpi::{round_kpis, DefectRow, ReportInput};
use walkthrough_core::model::*;
use walkthrough_core::setup::ProjectEdit;
use walkthrough_core::time::{self, Time};
use walkthrough_core::*;

const SHANGHAI: &str = "Asia/Shanghai";
const NEW_YORK: &str = "America/New_York";

fn in_zone(zone: &str) -> Project {
    let mut p = project();
    p.time_zone = zone.into();
    p
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// An instant written as local wall time in `zone` ("2026-10-31 23:59").
fn local(zone: &str, wall: &str) -> Time {
    use chrono::TimeZone;
    let z = time::parse_zone(zone).unwrap();
    let naive = chrono::NaiveDateTime::parse_from_str(wall, "%Y-%m-%d %H:%M").unwrap();
    z.from_local_datetime(&naive).earliest().unwrap().with_timezone(&chrono::Utc)
}

/// A seven-day category whose deadline is a day.
fn seven_days() -> Category {
    Category {
        id: "paint7".into(),
        name: i18n("paint7"),
        severity: Severity::Minor,
        deadline_hours: 7 * 24,
        deadline_end_of_day: true,
        hard_kind: None,
        is_other: false,
        urgent: false,
    }
}

#[test]
fn a_day_deadline_ends_at_local_midnight_an_hour_deadline_is_an_instant() {
    // (zone, opened at local, day deadline?, deadline at local)
    let cases = [
        (SHANGHAI, "2026-10-24 14:00", true, "2026-10-31 23:59"),
        (SHANGHAI, "2026-10-24 23:30", true, "2026-10-31 23:59"),
        (SHANGHAI, "2026-10-24 14:00", false, "2026-10-31 14:00"),
        // Seven days over the end of daylight time: 168 hours end at 13:00.
        (NEW_YORK, "2026-10-29 14:00", true, "2026-11-05 23:59"),
        (NEW_YORK, "2026-10-29 14:00", false, "2026-11-05 13:00"),
    ];
    for (zone, opened, by_day, expected) in cases {
        let p = in_zone(zone);
        let cat = Category { deadline_end_of_day: by_day, ..seven_days() };
        let got = rules::deadline_for(&cat, local(zone, opened), p.zone());
        let want = if by_day {
            local(zone, expected) + chrono::Duration::seconds(59) + chrono::Duration::milliseconds(999)
        } else {
            local(zone, expected)
        };
        assert_eq!(got, want, "{zone} opened {opened}, by day {by_day}");
    }
}

/// One defect dispatched with a day deadline, repaired at `fixed` (local wall
/// time) and verified just after.
fn repaired(p: &Project, zone: &str, fixed: &str) -> Defect {
    let opened = local(zone, "2026-10-24 10:00");
    let deadline = rules::deadline_for(&seven_days(), opened, p.zone());
    let mut d = defect("B1-0101", "leak", 1, opened - chrono::Duration::hours(1));
    let fixed = local(zone, fixed);
    d.events = vec![
        event(opened, "cs", 1, EventKind::Assigned { contractor: "c-water".into(), deadline }),
        event(fixed, "c-water", 1, EventKind::ReportedFixed { note: "done".into(), photo: None }),
        event(
            fixed + chrono::Duration::minutes(5),
            "insp-a",
            2,
            EventKind::Rechecked { passed: true, note: String::new(), photo: None, new_deadline: None },
        ),
    ];
    d
}

#[test]
fn closed_on_its_local_due_day_is_timely_the_next_local_day_is_not() {
    for zone in [SHANGHAI, NEW_YORK] {
        let p = in_zone(zone);
        // The due day is 31 Oct local; 1 Nov is New York's 25-hour day.
        for (fixed, timely) in [("2026-10-31 23:59", true), ("2026-11-01 00:00", false), ("2026-10-31 00:00", true)] {
            let d = repaired(&p, zone, fixed);
            let rows = [DefectRow::from_defect(&p, &d)];
            let input = ReportInput { units_total: 6, defects: &rows, rechecks: &[], units: &[] };
            let k = round_kpis(&input, RoundNo(2), local(zone, "2026-11-20 12:00"));
            let own = &k.completion[&Source::OwnInspection].overall;
            assert_eq!((own.closed, own.closed_in_time, own.due), (1, u32::from(timely), 1), "{zone}: fixed {fixed}");
        }
    }
}

#[test]
fn overdue_flips_at_local_midnight() {
    for zone in [SHANGHAI, NEW_YORK] {
        let p = in_zone(zone);
        let opened = local(zone, "2026-10-24 10:00");
        let mut d = defect("B1-0101", "leak", 1, opened);
        let deadline = rules::deadline_for(&seven_days(), opened, p.zone());
        d.events = vec![event(opened, "cs", 1, EventKind::Assigned { contractor: "c-water".into(), deadline })];
        let row = DefectRow::from_defect(&p, &d);
        for (as_of, overdue) in [
            ("2026-10-31 23:59", false),
            ("2026-11-01 00:00", true),
            ("2026-10-31 12:00", false),
            ("2026-11-01 23:00", true),
        ] {
            assert_eq!(row.overdue_at(local(zone, as_of)), overdue, "{zone}: as of {as_of}");
        }
        // A report "as of 31 Oct" counts to the end of that local day: not overdue yet.
        assert!(!row.overdue_at(rules::report_day_end(&p, day(10, 31))), "{zone}");
        assert!(row.overdue_at(rules::report_day_end(&p, day(11, 1))), "{zone}");
    }
}

#[test]
fn a_reports_day_and_days_to_handover_follow_the_local_day() {
    // Handover 31 Oct. (zone, as of local, report day, days to handover)
    let cases = [
        (SHANGHAI, "2026-10-30 23:59", day(10, 30), 1),
        (SHANGHAI, "2026-10-31 00:00", day(10, 31), 0),
        (SHANGHAI, "2026-11-01 00:00", day(11, 1), -1),
        (NEW_YORK, "2026-10-30 23:59", day(10, 30), 1),
        (NEW_YORK, "2026-10-31 00:00", day(10, 31), 0),
        (NEW_YORK, "2026-11-01 23:59", day(11, 1), -1),
        (NEW_YORK, "2026-11-02 00:00", day(11, 2), -2),
    ];
    for (zone, as_of, report_day, days) in cases {
        let p = in_zone(zone);
        let t = local(zone, as_of);
        assert_eq!(rules::report_day(&p, t), report_day, "{zone} {as_of}");
        assert_eq!(rules::days_to_handover(&p, t), days, "{zone} {as_of}");
    }
    // The same instant is a different day in the two zones: 2026-10-31T02:00Z
    // is 10:00 on 31 Oct in Shanghai and 22:00 on 30 Oct in New York.
    let t = time::parse("2026-10-31T02:00:00Z");
    assert_eq!(rules::days_to_handover(&in_zone(SHANGHAI), t), 0);
    assert_eq!(rules::days_to_handover(&in_zone(NEW_YORK), t), 1);
    // A report "as of" a day counts to the last millisecond of it there.
    assert_eq!(rules::report_day_end(&in_zone(SHANGHAI), day(10, 31)), time::parse("2026-10-31T15:59:59.999Z"));
    assert_eq!(rules::report_day_end(&in_zone(NEW_YORK), day(11, 1)), time::parse("2026-11-02T04:59:59.999Z"));
}

#[test]
fn the_current_and_next_round_change_at_local_midnight() {
    // The test project's round 2 starts on 24 Aug (see `common::project`).
    for zone in [SHANGHAI, NEW_YORK] {
        let p = in_zone(zone);
        let r2 = &p.rounds[&RoundNo(2)];
        let eve = r2.start.pred_opt().unwrap().format("%Y-%m-%d 23:59").to_string();
        let dawn = r2.start.format("%Y-%m-%d 00:00").to_string();
        let cases = [(eve.as_str(), Some(1), Some(2)), (dawn.as_str(), Some(2), Some(3))];
        for (now, current, next) in cases {
            let t = local(zone, now);
            assert_eq!(rules::current_round(&p, t).map(|r| r.0), current, "{zone} {now}");
            let (c, n) = rules::current_and_next_round(&p, t);
            assert_eq!((c.map(|r| r.0), n.map(|r| r.0)), (current, next), "{zone} {now}");
        }
        assert_eq!(rules::round_opens_at(&p, r2), local(zone, &dawn), "{zone}");
        let close = rules::round_closes_at(&p, r2);
        assert_eq!(time::local_date(close, p.zone()), r2.due, "{zone}");
        assert_eq!(time::local_date(close + chrono::Duration::milliseconds(1), p.zone()), r2.due.succ_opt().unwrap());
    }
    // Before the first round: no current round, the first two to prepare.
    let p = in_zone(SHANGHAI);
    let first = &p.rounds[&RoundNo(1)];
    let before = rules::round_opens_at(&p, first) - chrono::Duration::milliseconds(1);
    assert_eq!(rules::current_round(&p, before), None);
    assert_eq!(rules::current_and_next_round(&p, before), (Some(RoundNo(1)), Some(RoundNo(2))));
}

#[test]
fn times_print_in_the_zone_with_its_offset() {
    let t = time::parse("2026-10-31T17:00:00Z");
    let cases = [
        (SHANGHAI, "2026-11-01 01:00 (UTC+08:00)", "2026-11-01"),
        (NEW_YORK, "2026-10-31 13:00 (UTC-04:00)", "2026-10-31"),
        ("Europe/London", "2026-10-31 17:00 (UTC)", "2026-10-31"),
        ("Asia/Kolkata", "2026-10-31 22:30 (UTC+05:30)", "2026-10-31"),
    ];
    for (zone, printed, date) in cases {
        let z = time::parse_zone(zone).unwrap();
        assert_eq!(time::format_local(t, z), printed, "{zone}");
        assert_eq!(time::format_local_date(t, z), date, "{zone}");
    }
    // After New York leaves daylight time the offset printed changes.
    assert_eq!(
        time::format_local(time::parse("2026-11-02T17:00:00Z"), time::parse_zone(NEW_YORK).unwrap()),
        "2026-11-02 12:00 (UTC-05:00)"
    );
}

#[test]
fn the_zone_is_set_by_an_edit_refused_in_words_when_unknown_and_old_projects_read_as_shanghai() {
    let mut p = project();
    ProjectEdit::SetTimeZone { time_zone: " America/New_York ".into() }.apply(&mut p).unwrap();
    assert_eq!(p.time_zone, NEW_YORK);
    assert_eq!(p.zone(), chrono_tz::America::New_York);
    let before = p.clone();
    let err = ProjectEdit::SetTimeZone { time_zone: "Beijing".into() }.apply(&mut p).unwrap_err();
    assert_eq!(err, "the project's unknown time zone \"Beijing\" (expected an IANA name such as Asia/Shanghai)");
    assert_eq!(p, before, "a refused zone changes nothing");
    assert!(ProjectEdit::SetTimeZone { time_zone: NEW_YORK.into() }.describe().contains(NEW_YORK));

    // A project document written before zones existed has no field.
    let mut json = serde_json::to_value(project()).unwrap();
    json.as_object_mut().unwrap().remove("time_zone");
    let old: Project = serde_json::from_value(json).unwrap();
    assert_eq!((old.time_zone.as_str(), old.zone()), (SHANGHAI, time::DEFAULT_ZONE));

    let mut bad = project();
    bad.time_zone = "Mars/Olympus".into();
    let msg = bad.validate().unwrap_err().to_string();
    assert!(msg.contains("unknown time zone \"Mars/Olympus\""), "{msg}");
}
