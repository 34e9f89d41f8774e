//! Round KPIs from plain rows, checked against figures computed by hand
//! (see the comments beside each row).

mod common;
use common::*;
use walkthrough_core::defect::{DefectStatus, Source};
use walkthrough_core::kpi::*;
use walkthrough_core::model::{HardKind, RoomKind, Severity};
use walkthrough_core::rules::UnitStatus;
use walkthrough_core::*;

struct R {
    n: u8,
    building: &'static str,
    unit: &'static str,
    category: &'static str,
    hard: &'static [HardKind],
    source: Source,
    contractor: Option<&'static str>,
    round: u32,
    found: i64,
    first_deadline: Option<i64>,
    current_deadline: Option<i64>,
    completed: Option<i64>,
    closed: Option<i64>,
    withdrawn: Option<i64>,
    status: DefectStatus,
}

fn id(n: u8) -> DefectId {
    DefectId::from_parts(1, [n; 10])
}

fn row(r: R) -> DefectRow {
    DefectRow {
        id: id(r.n),
        building: r.building.into(),
        unit: r.unit.into(),
        room: "kit".into(),
        room_kind: RoomKind::Kitchen,
        element: "e".into(),
        category: r.category.into(),
        hard_kinds: r.hard.to_vec(),
        severity: Severity::Major,
        source: r.source,
        trade: "t".into(),
        contractor: r.contractor.map(ContractorId::from),
        engineer: Some(if r.building == "B1" { "eng-1" } else { "eng-2" }.into()),
        found_round: RoundNo(r.round),
        found_at: at(r.found),
        status: r.status,
        failed_rechecks: 0,
        first_deadline: r.first_deadline.map(at),
        current_deadline: r.current_deadline.map(at),
        completed_at: r.completed.map(at),
        closed_at: r.closed.map(at),
        withdrawn_at: r.withdrawn.map(at),
    }
}

fn unit(unit: &str, building: &str, status: UnitStatus, checked: u32, passed: u32, failed: u32) -> UnitRoundRow {
    UnitRoundRow {
        unit: unit.into(),
        building: building.into(),
        round: RoundNo(2),
        status,
        items_total: 3,
        items_checked: checked,
        items_passed: passed,
        items_failed: failed,
    }
}

fn rc(n: u8, h: i64, passed: bool) -> RecheckRow {
    RecheckRow { defect: id(n), round: RoundNo(2), at: at(h), passed }
}

fn fixture() -> (Vec<DefectRow>, Vec<RecheckRow>, Vec<UnitRoundRow>) {
    use DefectStatus::*;
    use Source::*;
    const LEAK: &[HardKind] = &[HardKind::Leakage];
    let base = R {
        n: 0,
        building: "B1",
        unit: "U1",
        category: "leak",
        hard: LEAK,
        source: OwnInspection,
        contractor: Some("c-water"),
        round: 1,
        found: 0,
        first_deadline: Some(49),
        current_deadline: None,
        completed: None,
        closed: None,
        withdrawn: None,
        status: Open,
    };
    let rows = vec![
        // d1: leak fixed at 30 within 49, verified in round 2 → closed in time.
        row(R { n: 1, completed: Some(30), closed: Some(800), status: Verified, ..base }),
        // d2: tile fixed at 200 after its 121 deadline, verified → closed, late.
        row(R {
            n: 2,
            unit: "U2",
            category: "tile",
            hard: &[],
            contractor: Some("c-tile"),
            first_deadline: Some(121),
            completed: Some(200),
            closed: Some(810),
            status: Verified,
            ..base
        }),
        // d3: leak failed recheck in round 2, new deadline 868 → open, overdue at 1000.
        row(R { n: 3, unit: "U2", current_deadline: Some(868), status: FailedRecheck, ..base }),
        // d4: round 2, paint with a design-defect root cause, due 973 → open, overdue.
        row(R {
            n: 4,
            building: "B2",
            unit: "U3",
            category: "paint",
            hard: &[HardKind::DesignDefect],
            contractor: Some("c-paint"),
            round: 2,
            found: 805,
            first_deadline: Some(973),
            current_deadline: Some(973),
            status: Assigned,
            ..base
        }),
        // d5: round 2, owner-reported, risk accepted at 950 after its 926 deadline.
        row(R {
            n: 5,
            building: "B2",
            unit: "U3",
            category: "tile",
            hard: &[],
            source: OwnerReported,
            contractor: Some("c-tile"),
            round: 2,
            found: 806,
            first_deadline: Some(926),
            completed: Some(950),
            closed: Some(950),
            status: AcceptedRisk,
            ..base
        }),
        // d6: withdrawn → in no figure.
        row(R { n: 6, round: 2, found: 807, withdrawn: Some(811), status: Withdrawn, ..base }),
        // d7: found in round 3 → not in the round-2 report.
        row(R { n: 7, round: 3, found: 1500, ..base }),
        // d8: sales promise, never assigned → open, no deadline, not due.
        row(R {
            n: 8,
            category: "promise",
            hard: &[HardKind::SalesPromise],
            contractor: None,
            found: 5,
            first_deadline: None,
            ..base
        }),
        // d9: leak failed twice in round 2, deadline 948 → open, overdue.
        row(R { n: 9, unit: "U2", current_deadline: Some(948), status: FailedRecheck, ..base }),
    ];
    let rechecks = vec![rc(1, 800, true), rc(2, 810, true), rc(3, 820, false), rc(9, 815, false), rc(9, 900, false)];
    let units = vec![
        unit("U1", "B1", UnitStatus::Done, 3, 3, 0),
        unit("U2", "B1", UnitStatus::DoneWithOpenDefects, 3, 2, 1),
        unit("U3", "B2", UnitStatus::InProgress, 1, 1, 0),
        unit("U4", "B2", UnitStatus::NotStarted, 0, 0, 0),
    ];
    (rows, rechecks, units)
}

fn kpis() -> RoundKpis {
    let (rows, rechecks, units) = fixture();
    round_kpis(
        &ReportInput { units_total: 4, defects: &rows, rechecks: &rechecks, units: &units },
        RoundNo(2),
        at(1000),
    )
}

fn rate(num: u32, den: u32) -> Rate {
    Rate { num, den }
}

#[test]
fn summary() {
    let s = kpis().summary;
    assert_eq!((s.units_total, s.units_inspected, s.units_done, s.units_done_with_open_defects), (4, 3, 1, 1));
    assert_eq!(s.unit_pass_rate, rate(1, 2));
    assert_eq!(s.item_pass_rate, rate(6, 7));
    assert_eq!((s.defects_found_in_round, s.defects_to_date, s.open_defects), (2, 7, 4));
    assert_eq!(format!("{:.2}", s.defects_per_100_units.unwrap()), "66.67");
}

#[test]
fn by_building() {
    let k = kpis();
    let b: Vec<_> = k
        .by_building
        .iter()
        .map(|b| {
            (
                b.building.as_str(),
                b.units,
                b.units_inspected,
                b.unit_pass_rate,
                b.item_pass_rate,
                b.defects_found_in_round,
                b.open_defects,
            )
        })
        .collect();
    assert_eq!(b, [("B1", 2, 2, rate(1, 2), rate(5, 6), 0, 3), ("B2", 2, 1, rate(0, 0), rate(1, 1), 2, 1)]);
}

#[test]
fn sources_are_kept_apart() {
    let k = kpis();
    let own = &k.found[&Source::OwnInspection];
    let owner = &k.found[&Source::OwnerReported];
    assert_eq!((own.total, own.by_category.get("paint").copied()), (1, Some(1)));
    assert_eq!((owner.total, owner.by_category.get("tile").copied()), (1, Some(1)));
    let oc = &k.completion[&Source::OwnerReported].overall;
    assert_eq!((oc.total, oc.closed, oc.due, oc.closed_in_time), (1, 1, 1, 0));
}

#[test]
fn hard_three() {
    let got: Vec<_> =
        kpis().hard_three.iter().map(|h| (h.kind.unwrap(), h.found_in_round, h.to_date, h.open)).collect();
    assert_eq!(
        got,
        [(HardKind::SalesPromise, 0, 1, 1), (HardKind::Leakage, 0, 3, 2), (HardKind::DesignDefect, 1, 1, 1)]
    );
}

#[test]
fn recheck_outcomes() {
    let r = kpis().rechecks;
    assert_eq!((r.due, r.done, r.passed, r.failed_again, r.failed_twice_or_more), (5, 4, 2, 2, 1));
    assert_eq!(r.failed_twice_or_more_by_contractor.get("c-water"), Some(&1));
}

#[test]
fn completion_and_timely_completion_differ() {
    let k = kpis();
    let own = &k.completion[&Source::OwnInspection];
    let o = &own.overall;
    assert_eq!(
        (o.total, o.closed, o.due, o.closed_in_time, o.open, o.overdue, o.failed_twice_or_more),
        (6, 2, 5, 1, 4, 3, 1)
    );
    assert_eq!(o.closed_rate, rate(2, 6));
    assert_eq!(o.timely_rate, rate(1, 5));
    let c = |k: &str| {
        let c = &own.by_contractor[k];
        (c.total, c.closed, c.due, c.closed_in_time, c.open, c.overdue, c.failed_twice_or_more)
    };
    assert_eq!(c("c-water"), (3, 1, 3, 1, 2, 2, 1));
    assert_eq!(c("c-tile"), (1, 1, 1, 0, 0, 0, 0));
    assert_eq!(c("c-paint"), (1, 0, 1, 0, 1, 1, 0));
    assert_eq!(c(UNASSIGNED), (1, 0, 0, 0, 1, 0, 0));
    assert_eq!(own.by_engineer["eng-1"].total, 5);
    assert_eq!(own.by_engineer["eng-2"].total, 1);
}

/// Closing a pile of late items just before the report raises 完结率 but not
/// 及时完结率: the reason the latter is the one that matters.
#[test]
fn closing_late_items_in_bulk_does_not_raise_timely_completion() {
    let (mut rows, rechecks, units) = fixture();
    for r in rows.iter_mut().filter(|r| matches!(r.id, x if x == id(3) || x == id(9))) {
        r.completed_at = Some(at(990));
        r.closed_at = Some(at(995));
        r.status = DefectStatus::Verified;
    }
    let k = round_kpis(
        &ReportInput { units_total: 4, defects: &rows, rechecks: &rechecks, units: &units },
        RoundNo(2),
        at(1000),
    );
    let o = &k.completion[&Source::OwnInspection].overall;
    assert_eq!(o.closed_rate, rate(4, 6));
    assert_eq!(o.timely_rate, rate(1, 5));
}

#[test]
fn as_of_an_earlier_date_sees_less() {
    let (rows, rechecks, units) = fixture();
    let k = round_kpis(
        &ReportInput { units_total: 4, defects: &rows, rechecks: &rechecks, units: &units },
        RoundNo(2),
        at(805),
    );
    // d4 (found at 805) counts, d5 (806) does not yet; d2 closed at 810 is still open.
    assert_eq!(k.summary.defects_found_in_round, 1);
    let o = &k.completion[&Source::OwnInspection].overall;
    assert_eq!((o.closed, o.open), (1, 5));
    assert_eq!(k.rechecks.done, 1);
}

#[test]
fn rows_from_a_defect_carry_the_fold_and_the_root_cause() {
    let p = project();
    let mut d = defect("B2-0101", "paint", 1, at(0));
    d.root_cause = Some("leak".into());
    d.events = vec![
        assigned(1, "c-water", 169, 1),
        fixed(30, 1),
        recheck(800, 2, false, Some(848)),
        recheck(1600, 3, false, Some(1648)),
    ];
    d.sort_events();
    let r = DefectRow::from_defect(&p, &d);
    assert_eq!(r.building.as_str(), "B2");
    assert_eq!(r.engineer.unwrap().as_str(), "eng-2");
    assert_eq!(r.room_kind, RoomKind::Bathroom);
    assert_eq!(r.hard_kinds, [HardKind::Leakage]);
    assert_eq!((r.status, r.failed_rechecks), (DefectStatus::FailedRecheck, 2));
    assert_eq!((r.first_deadline, r.current_deadline), (Some(at(169)), Some(at(1648))));
    assert_eq!(RecheckRow::from_defect(&d).len(), 2);
    assert_eq!(rate(1, 3).percent(), "33.3%");
    assert_eq!(rate(0, 0).percent(), "—");
}
