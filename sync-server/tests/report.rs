//! The round report's model against figures computed by hand for a small
//! scenario on the demo project (round 2, as of its due date 2026-09-04):
//!
//! - d1 (B1-0101, leakage, c-guan): found in round 1, fixed in time,
//!   verified by the round-2 recheck.
//! - d2 (B1-0101, paint, c-jiacai): found in round 1, its repairs failed the
//!   round-1 and the round-2 rechecks (failed twice), third attempt overdue.
//! - d3 (B2-0101, hollow/crack, c-hengtai): found in round 2, overdue.
//! - d4 (B1-0102, leakage, c-guan): reported by an owner in round 2, not yet due.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;
use walkthrough_core::defect::{DefectStatus, Source};
use walkthrough_core::kpi::{AttemptRow, DefectRow, RecheckRow, UnitRoundRow};
use walkthrough_core::model::{HardKind, RoomKind, Severity};
use walkthrough_core::rules::UnitStatus;
use walkthrough_core::time::Time;
use walkthrough_core::*;
use walkthrough_server::report::{self, Drill, Rows, Scope};

fn t(m: u32, d: u32) -> Time {
    Utc.with_ymd_and_hms(2026, m, d, 4, 0, 0).unwrap()
}

fn id(n: u8) -> DefectId {
    DefectId::from_parts(1_780_000_000_000 + u64::from(n), [n; 10])
}

#[allow(clippy::too_many_arguments)]
fn defect(n: u8, unit: &str, category: &str, contractor: &str, round: u32, found: Time, source: Source) -> DefectRow {
    DefectRow {
        id: id(n),
        building: BuildingId::new(&unit[..2]),
        unit: UnitId::new(unit),
        room: RoomId::new("bath"),
        room_kind: RoomKind::Bathroom,
        element: ElementId::new("wall"),
        category: CategoryId::new(category),
        hard_kinds: if category == "leakage" { vec![HardKind::Leakage] } else { vec![] },
        severity: Severity::Major,
        source,
        trade: TradeId::new("painting"),
        contractor: Some(ContractorId::new(contractor)),
        engineer: Some(UserId::new(if unit.starts_with("B1") { "u-eng-sun" } else { "u-eng-zhou" })),
        found_round: RoundNo(round),
        found_at: found,
        status: DefectStatus::Assigned,
        failed_rechecks: 0,
        first_deadline: None,
        current_deadline: None,
        completed_at: None,
        closed_at: None,
        withdrawn_at: None,
        attempts: vec![],
        assigned: Some(ContractorId::new(contractor)),
        responsible: Some(ContractorId::new(contractor)),
    }
}

fn attempt(opened: Time, deadline: Time, done: Option<Time>, ended: Option<Time>) -> AttemptRow {
    AttemptRow {
        opened_at: opened,
        deadline: Some(deadline),
        done_at: done,
        ended_at: ended,
        reported_fixed_at: done,
        opened_by_recheck_in: None,
    }
}

fn recheck(n: u8, round: u32, at: Time, passed: bool, contractor: &str) -> RecheckRow {
    RecheckRow {
        defect: id(n),
        round: RoundNo(round),
        at,
        passed,
        contractor: Some(ContractorId::new(contractor)),
        source: Source::OwnInspection,
    }
}

fn unit(u: &str, round: u32, status: UnitStatus, passed: u32, failed: u32, rechecks_failed: u32) -> UnitRoundRow {
    UnitRoundRow {
        unit: UnitId::new(u),
        building: BuildingId::new(&u[..2]),
        round: RoundNo(round),
        status,
        items_total: 60,
        items_checked: passed + failed,
        items_passed: passed,
        items_failed: failed,
        rechecks_failed,
    }
}

struct Scenario {
    defects: Vec<DefectRow>,
    rechecks: Vec<RecheckRow>,
    units: Vec<UnitRoundRow>,
}

fn scenario() -> Scenario {
    let own = Source::OwnInspection;
    let mut d1 = defect(1, "B1-0101", "leakage", "c-guan", 1, t(7, 25), own);
    d1.status = DefectStatus::Verified;
    d1.first_deadline = Some(t(7, 27));
    d1.completed_at = Some(t(7, 26));
    d1.closed_at = Some(t(8, 25));
    d1.attempts = vec![attempt(t(7, 25), t(7, 27), Some(t(7, 26)), Some(t(8, 25)))];
    let mut d2 = defect(2, "B1-0101", "paint_finish", "c-jiacai", 1, t(7, 25), own);
    d2.status = DefectStatus::FailedRecheck;
    d2.failed_rechecks = 2;
    d2.first_deadline = Some(t(8, 1));
    d2.current_deadline = Some(t(9, 1));
    d2.attempts = vec![
        attempt(t(7, 25), t(8, 1), Some(t(7, 29)), Some(t(7, 30))),
        attempt(t(7, 30), t(8, 6), Some(t(8, 5)), Some(t(8, 25))),
        attempt(t(8, 25), t(9, 1), None, None),
    ];
    let mut d3 = defect(3, "B2-0101", "hollow_crack", "c-hengtai", 2, t(8, 26), own);
    d3.first_deadline = Some(t(8, 31));
    d3.attempts = vec![attempt(t(8, 26), t(8, 31), None, None)];
    let mut d4 = defect(4, "B1-0102", "leakage", "c-guan", 2, t(8, 27), Source::OwnerReported);
    d4.first_deadline = Some(t(9, 10));
    d4.attempts = vec![attempt(t(8, 27), t(9, 10), None, None)];
    Scenario {
        defects: vec![d1, d2, d3, d4],
        rechecks: vec![
            recheck(2, 1, t(7, 30), false, "c-jiacai"),
            recheck(1, 2, t(8, 25), true, "c-guan"),
            recheck(2, 2, t(8, 25), false, "c-jiacai"),
        ],
        units: vec![
            unit("B1-0101", 1, UnitStatus::DoneWithOpenDefects, 58, 2, 1),
            unit("B1-0102", 1, UnitStatus::Done, 60, 0, 0),
            unit("B2-0101", 1, UnitStatus::NotStarted, 0, 0, 0),
            unit("B1-0101", 2, UnitStatus::DoneWithOpenDefects, 50, 1, 1),
            unit("B1-0102", 2, UnitStatus::DoneWithOpenDefects, 60, 0, 0),
            unit("B2-0101", 2, UnitStatus::InProgress, 10, 1, 0),
        ],
    }
}

fn as_of() -> Time {
    // The end of round 2's due day in the demo's zone (Asia/Shanghai).
    walkthrough_core::time::end_of_local_day(
        NaiveDate::from_ymd_opt(2026, 9, 4).unwrap(),
        walkthrough_core::time::DEFAULT_ZONE,
    )
}

fn value(r: &report::RoundReport, table: &str, key: &str, column: &str) -> serde_json::Value {
    let t = r.table(table).unwrap_or_else(|| panic!("no table {table}"));
    let c = t.columns.iter().position(|c| c.key == column).unwrap_or_else(|| panic!("{table} has no column {column}"));
    let row = t.rows.iter().find(|row| row[0] == json!(key)).unwrap_or_else(|| panic!("{table} has no row {key}"));
    row[c].clone()
}

#[test]
fn the_round_report_matches_hand_computed_figures() {
    let project = walkthrough_fixtures::demo_project();
    let s = scenario();
    let rows = Rows { defects: &s.defects, rechecks: &s.rechecks, units: &s.units, risks: &[] };
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    assert_eq!(report::round_as_of(&project, RoundNo(2), now).unwrap(), as_of());
    let r = report::build(&project, &rows, Scope::Round, RoundNo(2), as_of());

    assert_eq!(r.days_to_handover, 57, "2026-09-04 to 2026-10-31");
    let summary = |k: &str| value(&r, "summary", k, "value");
    let previous = |k: &str| value(&r, "summary", k, "previous");
    assert_eq!(summary("units_total"), json!(69));
    assert_eq!(summary("units_inspected"), json!(3));
    assert_eq!(summary("units_done"), json!(2));
    assert_eq!(summary("unit_pass_rate"), json!(0.5), "B1-0102 passed, B1-0101 failed; B2-0101 not done");
    assert_eq!(summary("item_pass_rate"), json!(120.0 / 122.0));
    assert_eq!(summary("defects_found"), json!(1), "own inspection only: d3");
    assert_eq!(summary("defects_per_100_units"), json!(33.3));
    assert_eq!(summary("defects_to_date"), json!(3));
    assert_eq!(summary("open_defects"), json!(2));
    assert_eq!(summary("overdue"), json!(2), "d2's third attempt and d3");
    assert_eq!(summary("closed_rate"), json!(1.0 / 3.0));
    assert_eq!(summary("timely_rate"), json!(1.0 / 3.0), "d1 of d1, d2, d3 (all due)");
    assert_eq!(summary("failed_twice_or_more"), json!(1));
    assert_eq!(summary("owner_reported_in_round"), json!(1));
    assert_eq!(summary("owner_reported_open"), json!(1));
    assert_eq!(summary("days_to_handover"), json!(57));
    // Round 1 as of 2026-07-31: d1 and d2 found, B1-0102 passed of two done.
    assert_eq!(previous("defects_found"), json!(2));
    assert_eq!(previous("unit_pass_rate"), json!(0.5));
    assert_eq!(previous("units_inspected"), json!(2));

    // Contractors: 完结率, 及时完结率, overdue, failed twice.
    let c = |who: &str, col: &str| value(&r, "contractors", who, col);
    for (who, total, closed, closed_rate, due, in_time, timely, open, overdue, twice, found) in [
        ("c-guan", 1, 1, json!(1.0), 1, 1, json!(1.0), 0, 0, 0, 0),
        ("c-jiacai", 1, 0, json!(0.0), 1, 0, json!(0.0), 1, 1, 1, 0),
        ("c-hengtai", 1, 0, json!(0.0), 1, 0, json!(0.0), 1, 1, 0, 1),
    ] {
        assert_eq!(
            [
                c(who, "total"),
                c(who, "closed"),
                c(who, "closed_rate"),
                c(who, "due"),
                c(who, "closed_in_time"),
                c(who, "timely_rate"),
                c(who, "open"),
                c(who, "overdue"),
                c(who, "failed_twice_or_more"),
                c(who, "found_in_round"),
            ],
            [
                json!(total),
                json!(closed),
                closed_rate,
                json!(due),
                json!(in_time),
                timely,
                json!(open),
                json!(overdue),
                json!(twice),
                json!(found)
            ],
            "{who}"
        );
    }
    assert_eq!(c("c-jiacai", "name_zh"), json!("苏州嘉彩涂装工程有限公司"));
    assert_eq!(
        r.table("contractors").unwrap().rows.len(),
        3,
        "the owner-reported d4 is not in the own-inspection table"
    );
    // Engineers: B1's (d1, d2) and B2's (d3).
    assert_eq!(value(&r, "engineers", "u-eng-sun", "total"), json!(2));
    assert_eq!(value(&r, "engineers", "u-eng-sun", "closed_rate"), json!(0.5));
    assert_eq!(value(&r, "engineers", "u-eng-zhou", "overdue"), json!(1));

    // Rechecks: d1 and d2 due in round 2, both done, one passed, one failed again.
    let own = |col: &str| value(&r, "rechecks", "own_inspection", col);
    assert_eq!(
        [own("due"), own("done"), own("passed"), own("failed_again"), own("failed_twice_or_more")],
        [json!(2), json!(2), json!(1), json!(1), json!(1)]
    );
    // The hard three: leakage apart for each source.
    assert_eq!(value(&r, "hard_three", "leakage", "to_date"), json!(1));
    assert_eq!(value(&r, "hard_three", "leakage", "open"), json!(0));
    assert_eq!(value(&r, "hard_three", "leakage", "owner_open"), json!(1));
    assert_eq!(value(&r, "hard_three", "design_defect", "to_date"), json!(0));
    // What happened in the round, by category: own d3, owner d4.
    assert_eq!(value(&r, "categories", "hollow_crack", "own"), json!(1));
    assert_eq!(value(&r, "categories", "leakage", "owner"), json!(1));
    assert_eq!(value(&r, "categories", "leakage", "own"), json!(0));
    // Buildings.
    assert_eq!(value(&r, "buildings", "B1", "open_defects"), json!(1));
    assert_eq!(value(&r, "buildings", "B2", "defects_found"), json!(1));
    // Units with open defects, overdue first.
    let risk = &r.table("units_at_risk").unwrap().rows;
    assert_eq!(risk.len(), 2);
    assert_eq!((&risk[0][0], &risk[0][3], &risk[0][4]), (&json!("B1-0101"), &json!(1), &json!(1)));

    // Drill-down: c-jiacai's "failed twice" is d2.
    let twice = report::drill(&project, &rows, RoundNo(2), as_of(), Some("c-jiacai"), Drill::FailedTwice);
    assert_eq!(twice.iter().map(|d| (d.id, d.failed_rechecks)).collect::<Vec<_>>(), vec![(id(2), 2)]);
    assert!(report::drill(&project, &rows, RoundNo(2), as_of(), Some("c-guan"), Drill::FailedTwice).is_empty());
    let overdue = report::drill(&project, &rows, RoundNo(2), as_of(), None, Drill::Overdue);
    assert_eq!(overdue.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id(2), id(3)]);
    // Round 1 as of its due date: d2 had failed once.
    let r1 = report::drill(
        &project,
        &rows,
        RoundNo(1),
        report::round_as_of(&project, RoundNo(1), now).unwrap(),
        Some("c-jiacai"),
        Drill::All,
    );
    assert_eq!(r1.iter().map(|d| d.failed_rechecks).collect::<Vec<_>>(), vec![1]);

    // Cumulative as of now: round 3 has started, d2 and d3 are still open.
    let cum = report::build(&project, &rows, Scope::Cumulative, report::current_round(&project, now).unwrap(), now);
    assert_eq!(cum.round, RoundNo(3));
    assert!(cum.previous.is_none());
    assert_eq!(value(&cum, "summary", "open_defects", "value"), json!(2));
    assert_eq!(value(&cum, "summary", "days_to_handover", "value"), json!(-22));
}

#[test]
fn csv_is_one_table_with_real_numbers() {
    let project = walkthrough_fixtures::demo_project();
    let s = scenario();
    let rows = Rows { defects: &s.defects, rechecks: &s.rechecks, units: &s.units, risks: &[] };
    let r = report::build(&project, &rows, Scope::Round, RoundNo(2), as_of());
    let csv = String::from_utf8(report::csv(r.table("contractors").unwrap()).unwrap()).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("contractor,name_zh,name_en,found_in_round,total,closed,closed_rate"));
    let guan = csv.lines().find(|l| l.starts_with("c-guan,")).unwrap();
    assert!(guan.contains(",1,1,1.0,1,1,1.0,0,0,0"), "{guan}");
}

#[test]
fn the_cumulative_report_breaks_down_every_defect_found_to_date() {
    let project = walkthrough_fixtures::demo_project();
    let s = scenario();
    let rows = Rows { defects: &s.defects, rechecks: &s.rechecks, units: &s.units, risks: &[] };
    let round = report::build(&project, &rows, Scope::Round, RoundNo(2), as_of());
    let cumulative = report::build(&project, &rows, Scope::Cumulative, RoundNo(2), as_of());
    let categories = |r: &report::RoundReport, key: &str, column: &str| {
        let t = r.table("categories").unwrap();
        let c = t.columns.iter().position(|c| c.key == column).unwrap();
        t.rows.iter().find(|row| row[0] == json!(key)).map_or(json!(0), |row| row[c].clone())
    };
    // The round: only d3 (own) and d4 (owner) were found in round 2.
    assert_eq!(categories(&round, "hollow_crack", "own"), json!(1));
    assert_eq!(categories(&round, "leakage", "own"), json!(0), "d1 was found in round 1");
    assert_eq!(categories(&round, "leakage", "owner"), json!(1));
    assert!(round.table("categories").unwrap().zh.starts_with("本轮"));
    // To date: d1 (leakage), d2 (paint), d3 (hollow) of own inspection.
    assert_eq!(categories(&cumulative, "leakage", "own"), json!(1));
    assert_eq!(categories(&cumulative, "paint_finish", "own"), json!(1));
    assert_eq!(categories(&cumulative, "hollow_crack", "own"), json!(1));
    assert_eq!(categories(&cumulative, "leakage", "owner"), json!(1));
    let own_total: i64 = cumulative.table("categories").unwrap().rows.iter().map(|row| row[3].as_i64().unwrap()).sum();
    assert_eq!(json!(own_total), value(&cumulative, "summary", "defects_to_date", "value"));
    let t = cumulative.table("categories").unwrap();
    assert!(t.zh.starts_with("累计") && t.en.contains("to date"), "{} / {}", t.zh, t.en);
}
