//! Round KPIs, checked against figures computed by hand. The defects are
//! built from event histories, turned into read-model rows by the same code
//! the stores use, and fed to `round_kpis`.

mod common;
use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::kpi::*;
use walkthrough_core::model::HardKind;
use walkthrough_core::rules::UnitStatus;
use walkthrough_core::*;

fn reassigned(h: i64, contractor: &str, round: u32) -> DefectEvent {
    // A reassignment keeps the attempt's deadline; the one given is ignored.
    event(at(h), "cs", round, EventKind::Assigned { contractor: contractor.into(), deadline: at(h + 9999) })
}

/// The scenario, defect by defect (times in hours after t0; report as of 1000).
fn scenario() -> Vec<Defect> {
    let mk = |unit: &str, category: &str, round: u32, found: i64, events: Vec<DefectEvent>| {
        let mut d = defect(unit, category, round, at(found));
        d.events = events;
        d.sort_events();
        d
    };
    // d1: leak fixed at 30 within 49, verified in round 2: closed in time.
    let d1 =
        mk("B1-0101", "leak", 1, 0, vec![assigned(1, "c-water", 49, 1), fixed(30, 1), recheck(800, 2, true, None)]);
    // d2: tile fixed at 200 after its 121 deadline, verified: closed, late.
    let mut d2 =
        mk("B1-0201", "tile", 1, 0, vec![assigned(1, "c-tile", 121, 1), fixed(200, 1), recheck(810, 2, true, None)]);
    d2.responsible = Some("c-tile".into());
    // d3: leak failed recheck at 820 (deadline 868); a second tablet failed it
    // again at 825 with no repair in between: one failure, not two.
    let d3 = mk(
        "B1-0201",
        "leak",
        1,
        0,
        vec![assigned(1, "c-water", 49, 1), recheck(820, 2, false, Some(868)), recheck(825, 2, false, Some(873))],
    );
    // d4: round 2, paint with a design-defect root cause, due 973.
    let mut d4 = mk("B2-0101", "paint", 2, 805, vec![assigned(806, "c-tile-b2", 973, 2)]);
    d4.root_cause = Some("design".into());
    // d5: round 2, owner-reported, risk accepted at 950 (after its 926 deadline).
    let risk = EventKind::AcceptedRisk { unified_answer: i18n("按设计"), contingency_plan: "explain".into() };
    let mut d5 = mk("B2-0101", "tile", 2, 806, vec![assigned(807, "c-tile", 926, 2), event(at(950), "cs", 2, risk)]);
    d5.source = Source::OwnerReported;
    // d6: withdrawn: in no figure.
    let d6 =
        mk("B1-0101", "leak", 2, 807, vec![event(at(811), "insp-a", 2, EventKind::Withdrawn { reason: "dup".into() })]);
    // d7: found in round 3: not in a round-2 report.
    let d7 = mk("B1-0101", "leak", 3, 1500, vec![]);
    // d8: sales promise, never dispatched: its deadline runs from discovery (5 + 240).
    let mut d8 = mk("B1-0101", "promise", 1, 5, vec![]);
    d8.responsible = None;
    // d9: leak failed at 815, fixed at 850, failed again at 900 (deadline 948): twice by c-water.
    let d9 = mk(
        "B1-0201",
        "leak",
        1,
        0,
        vec![
            assigned(1, "c-water", 49, 1),
            recheck(815, 2, false, Some(863)),
            fixed(850, 2),
            recheck(900, 2, false, Some(948)),
        ],
    );
    // d10: tiles in the kitchen; c-tile's repair failed at 830, the item went to
    // c-tile-b2 at 835, whose repair failed at 870 (deadline 990): two failures,
    // one per contractor.
    let mut d10 = mk(
        "B1-0101",
        "tile",
        1,
        0,
        vec![
            assigned(1, "c-tile", 121, 1),
            recheck(830, 2, false, Some(950)),
            reassigned(835, "c-tile-b2", 2),
            fixed(840, 2),
            recheck(870, 2, false, Some(990)),
        ],
    );
    d10.room = "kit".into();
    d10.element = "floor_tiles".into();
    vec![d1, d2, d3, d4, d5, d6, d7, d8, d9, d10]
}

fn unit(
    unit: &str,
    building: &str,
    status: UnitStatus,
    checked: u32,
    passed: u32,
    failed: u32,
    rechecks_failed: u32,
) -> UnitRoundRow {
    UnitRoundRow {
        unit: unit.into(),
        building: building.into(),
        round: RoundNo(2),
        status,
        items_total: 3,
        items_checked: checked,
        items_passed: passed,
        items_failed: failed,
        rechecks_failed,
    }
}

fn units() -> Vec<UnitRoundRow> {
    vec![
        unit("U1", "B1", UnitStatus::Done, 3, 3, 0, 0),
        unit("U2", "B1", UnitStatus::DoneWithOpenDefects, 3, 2, 1, 0),
        // Every item passed, but an old defect failed its recheck: not a pass.
        unit("U5", "B1", UnitStatus::DoneWithOpenDefects, 3, 3, 0, 1),
        unit("U3", "B2", UnitStatus::InProgress, 1, 1, 0, 0),
        unit("U4", "B2", UnitStatus::NotStarted, 0, 0, 0, 0),
    ]
}

fn kpis_of(defects: &[Defect], as_of: i64) -> RoundKpis {
    let p = project();
    let rows: Vec<DefectRow> = defects.iter().map(|d| DefectRow::from_defect(&p, d)).collect();
    let rechecks: Vec<RecheckRow> = defects.iter().flat_map(RecheckRow::from_defect).collect();
    let units = units();
    round_kpis(
        &ReportInput { units_total: 5, defects: &rows, rechecks: &rechecks, units: &units },
        RoundNo(2),
        at(as_of),
    )
}

fn kpis() -> RoundKpis {
    kpis_of(&scenario(), 1000)
}

fn rate(num: u32, den: u32) -> Rate {
    Rate { num, den }
}

#[test]
fn summary_counts_own_inspection_and_keeps_owner_reports_apart() {
    let s = kpis().summary;
    assert_eq!((s.units_total, s.units_inspected, s.units_done, s.units_done_with_open_defects), (5, 4, 1, 2));
    assert_eq!(s.unit_pass_rate, rate(1, 3));
    assert_eq!(s.item_pass_rate, rate(9, 10));
    assert_eq!((s.defects_found_in_round, s.defects_to_date, s.open_defects), (1, 7, 5));
    assert_eq!((s.owner_reported_in_round, s.owner_reported_to_date, s.owner_reported_open), (1, 1, 0));
    assert_eq!(s.defects_per_100_units, Some(25.0));
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
    assert_eq!(b, [("B1", 3, 3, rate(1, 3), rate(8, 9), 0, 4), ("B2", 2, 1, rate(0, 0), rate(1, 1), 1, 1)]);
}

#[test]
fn what_happened_is_kept_apart_by_source() {
    let k = kpis();
    let own = &k.found[&Source::OwnInspection];
    assert_eq!(
        (own.total, own.by_category.get("paint").copied(), own.by_room.get("bath").copied()),
        (1, Some(1), Some(1))
    );
    let owner = &k.found[&Source::OwnerReported];
    assert_eq!((owner.total, owner.by_category.get("tile").copied()), (1, Some(1)));
}

#[test]
fn hard_three_per_source_with_root_causes() {
    let k = kpis();
    let got: Vec<_> = k.hard_three[&Source::OwnInspection]
        .iter()
        .map(|h| (h.kind.unwrap(), h.found_in_round, h.to_date, h.open))
        .collect();
    assert_eq!(
        got,
        [(HardKind::SalesPromise, 0, 1, 1), (HardKind::Leakage, 0, 3, 2), (HardKind::DesignDefect, 1, 1, 1)]
    );
    assert!(k.hard_three[&Source::OwnerReported].iter().all(|h| h.to_date == 0));
}

#[test]
fn recheck_outcomes_count_a_duplicate_once_and_failures_against_the_failing_contractor() {
    let k = kpis();
    let r = &k.rechecks[&Source::OwnInspection];
    assert_eq!((r.due, r.done, r.passed, r.failed_again, r.failed_twice_or_more), (6, 5, 2, 3, 2));
    // d9 failed twice under c-water; d10 failed once under each contractor.
    assert_eq!(r.failed_twice_or_more_by_contractor, [("c-water".to_owned(), 1)].into());
}

#[test]
fn completion_and_timely_completion() {
    let k = kpis();
    let own = &k.completion[&Source::OwnInspection];
    let o = &own.overall;
    assert_eq!(
        (o.total, o.closed, o.due, o.closed_in_time, o.open, o.overdue, o.failed_twice_or_more),
        (7, 2, 7, 1, 5, 5, 2)
    );
    assert_eq!((o.closed_rate, o.timely_rate), (rate(2, 7), rate(1, 7)));
    let c = |k: &str| {
        let c = &own.by_contractor[k];
        (c.total, c.closed, c.due, c.closed_in_time, c.open, c.overdue, c.failed_twice_or_more)
    };
    assert_eq!(c("c-water"), (3, 1, 3, 1, 2, 2, 1));
    assert_eq!(c("c-tile"), (1, 1, 1, 0, 0, 0, 0));
    assert_eq!(c("c-tile-b2"), (2, 0, 2, 0, 2, 2, 0));
    assert_eq!(c(UNASSIGNED), (1, 0, 1, 0, 1, 1, 0));
    assert_eq!((own.by_engineer["eng-1"].total, own.by_engineer["eng-2"].total), (6, 1));
    // An accepted risk is closed, but never closed in time.
    let owner = &k.completion[&Source::OwnerReported].overall;
    assert_eq!((owner.total, owner.closed, owner.due, owner.closed_in_time), (1, 1, 1, 0));
}

/// Closing a pile of late items just before the report raises 完结率 but not
/// 及时完结率: the reason the latter is the one that matters.
#[test]
fn closing_late_items_in_bulk_does_not_raise_timely_completion() {
    let mut defects = scenario();
    for d in defects.iter_mut().filter(|d| d.category.as_str() == "leak" && d.found_round == RoundNo(1)) {
        d.events.push(fixed(990, 2));
        d.events.push(recheck(995, 2, true, None));
        d.sort_events();
    }
    let o = kpis_of(&defects, 1000).completion[&Source::OwnInspection].overall.clone();
    assert_eq!((o.closed_rate, o.timely_rate), (rate(4, 7), rate(1, 7)));
}

/// Accepting late items as risks must not raise the timeliness figure either.
#[test]
fn accepting_risks_does_not_raise_timely_completion() {
    let mut defects = scenario();
    for d in defects.iter_mut().filter(|d| d.status_is_open_for_test()) {
        d.events.push(event(
            at(996),
            "cs",
            2,
            EventKind::AcceptedRisk { unified_answer: i18n("x"), contingency_plan: String::new() },
        ));
        d.sort_events();
    }
    let o = kpis_of(&defects, 1000).completion[&Source::OwnInspection].overall.clone();
    assert_eq!(o.closed, 7);
    assert_eq!(o.timely_rate, rate(1, 7));
}

trait OpenForTest {
    fn status_is_open_for_test(&self) -> bool;
}

impl OpenForTest for Defect {
    fn status_is_open_for_test(&self) -> bool {
        self.found_round <= RoundNo(2) && self.lifecycle().status.is_open() && self.source == Source::OwnInspection
    }
}

#[test]
fn figures_as_of_an_earlier_date_are_what_they_were_then() {
    let k = kpis_of(&scenario(), 805);
    // d4 (found at 805) counts, d5 (806) not yet; d2, closed at 810, was open.
    assert_eq!(k.summary.defects_found_in_round, 1);
    assert_eq!(k.summary.owner_reported_to_date, 0);
    let o = &k.completion[&Source::OwnInspection].overall;
    assert_eq!((o.closed, o.open), (1, 6));
    // Overdue then: d3, d9, d10 (first attempts past due, not yet rechecked)
    // and d8 (never dispatched, due at 245); not d2 (reported at 200) nor d4.
    assert_eq!(o.overdue, 4);
    assert_eq!(k.rechecks[&Source::OwnInspection].done, 1);
}

#[test]
fn repeat_spots() {
    let got: Vec<_> = kpis()
        .repeat_spots
        .iter()
        .map(|s| (s.unit.0.clone(), s.room.0.clone(), s.defects, s.failed_rechecks))
        .collect();
    assert_eq!(
        got,
        [
            ("B1-0201".to_owned(), "bath".to_owned(), 3, 3),
            ("B1-0101".to_owned(), "kit".to_owned(), 1, 2),
            ("B1-0101".to_owned(), "bath".to_owned(), 2, 0),
            ("B2-0101".to_owned(), "bath".to_owned(), 2, 0),
        ]
    );
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
    assert_eq!(r.room_kind, walkthrough_core::model::RoomKind::Bathroom);
    assert_eq!(r.hard_kinds, [HardKind::Leakage]);
    assert_eq!((r.status, r.failed_rechecks), (DefectStatus::FailedRecheck, 2));
    assert_eq!((r.first_deadline, r.current_deadline), (Some(at(169)), Some(at(1648))));
    assert_eq!(r.attempts.len(), 3);
    assert_eq!(RecheckRow::from_defect(&d).len(), 2);
    assert_eq!(rate(1, 3).percent(), "33.3%");
    assert_eq!(rate(0, 0).percent(), "—");
}

/// The weekly trend: local weeks (Monday to Sunday in the project's zone),
/// found and closed in each week, open and overdue at its end.
#[test]
fn the_weekly_trend_counts_local_weeks_found_closed_open_and_overdue() {
    let p = project();
    let mk = |found: &str, category: &str, round: u32, events: Vec<DefectEvent>| {
        let mut d = defect("B1-0101", category, round, time::parse(found));
        d.events = events;
        d.sort_events();
        d
    };
    // Week 1 in Shanghai: Mon 20 Jul 00:00 (19 Jul 16:00Z) to Sun 26 Jul 23:59:59 (26 Jul 15:59:59Z).
    // a: found Monday, fixed, verified on Friday 24 Jul: found and closed in week 1.
    let a = mk(
        "2026-07-20T08:00:00Z",
        "leak",
        1,
        vec![assigned(1, "c-water", 49, 1), fixed(30, 1), recheck(100, 1, true, None)],
    );
    // b: Sunday 23:30 in Shanghai (15:30Z): week 1; a leak never dispatched, due 48 h later.
    let b = mk("2026-07-26T15:30:00Z", "leak", 1, vec![]);
    // c: Monday 00:30 in Shanghai but still Sunday in UTC: week 2 here, week 1 in London.
    let c = mk("2026-07-26T16:30:00Z", "paint", 1, vec![]);
    // d: found in week 1, withdrawn in week 2: open at the end of week 1 only.
    let withdrawn = EventKind::Withdrawn { reason: "recorded twice".into() };
    let d = mk(
        "2026-07-21T02:00:00Z",
        "paint",
        1,
        vec![event(time::parse("2026-07-28T02:00:00Z"), "insp-a", 1, withdrawn)],
    );
    // e: owner-reported: never in the own-inspection trend.
    let mut e = mk("2026-07-22T02:00:00Z", "leak", 1, vec![]);
    e.source = Source::OwnerReported;
    // f: found in round 2 (week 3): not in a round-1 trend.
    let f = mk("2026-08-04T02:00:00Z", "paint", 2, vec![]);
    let rows: Vec<DefectRow> = [a, b, c, d, e, f].iter().map(|d| DefectRow::from_defect(&p, d)).collect();
    let first = chrono::NaiveDate::from_ymd_opt(2026, 7, 20).unwrap();
    let as_of = time::parse("2026-08-05T04:00:00Z");
    let check = |round: u32, zone: time::Zone, expected: &[(&str, u32, u32, u32, u32)]| {
        let weeks = weekly_trend(&rows, RoundNo(round), first, as_of, zone);
        let got: Vec<(String, u32, u32, u32, u32)> =
            weeks.iter().map(|w| (w.week_start.to_string(), w.found, w.closed, w.open, w.overdue)).collect();
        let want: Vec<(String, u32, u32, u32, u32)> =
            expected.iter().map(|(w, a, b, c, d)| (w.to_string(), *a, *b, *c, *d)).collect();
        assert_eq!(got, want, "round {round} in {zone}");
        assert_eq!(weeks.last().map(|w| w.as_of), Some(as_of), "the last week is counted to the report date");
    };
    // (week, found, closed, open at its end, overdue at its end)
    check(1, time::DEFAULT_ZONE, &[("2026-07-20", 3, 1, 2, 0), ("2026-07-27", 1, 0, 2, 1), ("2026-08-03", 0, 0, 2, 2)]);
    check(2, time::DEFAULT_ZONE, &[("2026-07-20", 3, 1, 2, 0), ("2026-07-27", 1, 0, 2, 1), ("2026-08-03", 1, 0, 3, 2)]);
    // In London c falls on Sunday: found in week 1.
    let london = time::parse_zone("Europe/London").unwrap();
    // And c's deadline (2 Aug 16:30Z) has passed by the end of Sunday 2 Aug there.
    check(1, london, &[("2026-07-20", 4, 1, 3, 0), ("2026-07-27", 0, 0, 2, 2), ("2026-08-03", 0, 0, 2, 2)]);
    // Nothing before the first day's week, nothing after the report date.
    assert!(weekly_trend(
        &rows,
        RoundNo(1),
        chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        as_of,
        time::DEFAULT_ZONE
    )
    .is_empty());
}
