//! Rules over the model: deadlines, routing, category choice, recheck queues,
//! unit status, repeat failures.

mod common;
use common::*;
use std::collections::BTreeMap;
use walkthrough_core::defect::*;
use walkthrough_core::model::*;
use walkthrough_core::rules::*;
use walkthrough_core::*;

#[test]
fn deadline_comes_from_the_category() {
    let p = project();
    for (cat, hours) in [("leak", 48), ("fitting", 72), ("tile", 120), ("paint", 168)] {
        assert_eq!(deadline_for(&p.categories[&CategoryId::from(cat)], at(0), p.zone()), at(hours), "{cat}");
    }
}

#[test]
fn routing_prefers_the_material_supplier_then_the_building_then_the_project() {
    let p = project();
    let cases = [
        ("B1-0101", "cabinet", "kitchen", Some("s-cab")),
        ("B1-0101", "sink", "kitchen", Some("c-fitout")),
        ("B1-0101", "floor_tiles", "tiling", Some("c-tile")),
        ("B2-0101", "floor_tiles", "tiling", Some("c-tile-b2")),
        ("B2-0101", "floor_drain", "waterproofing", Some("c-water")),
        ("B1-0101", "wall", "painting", None),
        ("NO-SUCH", "floor_tiles", "tiling", None),
    ];
    for (unit, element, trade, expected) in cases {
        let got = route_contractor(&p, &unit.into(), &element.into(), &trade.into());
        assert_eq!(got.as_ref().map(|c| c.as_str()), expected, "{unit} {element} {trade}");
    }
}

#[test]
fn prefill_from_a_failed_item() {
    let p = project();
    let item = p.item(&"B2-0101".into(), &"KIT-02".into()).unwrap();
    let f = prefill(&p, &"B2-0101".into(), item);
    assert_eq!(f.category.as_str(), "tile");
    assert_eq!(f.trade.as_str(), "tiling");
    assert_eq!(f.responsible.unwrap().as_str(), "c-tile-b2");
    assert_eq!(f.severity, Severity::Minor);
}

#[test]
fn other_needs_a_written_reason() {
    let p = project();
    let cases: [(&str, Option<&str>, bool); 6] = [
        ("leak", None, true),
        ("other", None, false),
        ("other", Some("   "), false),
        ("other", Some("ok"), false),
        ("other", Some("管道井门无法关闭"), true),
        ("nope", Some("whatever reason"), false),
    ];
    for (cat, reason, ok) in cases {
        assert_eq!(check_category(&p, &cat.into(), reason).is_ok(), ok, "{cat} {reason:?}");
    }
    let msg = check_category(&p, &"other".into(), None).unwrap_err().to_string();
    assert!(msg.contains("written reason"), "{msg}");
}

#[test]
fn checklist_is_rooms_times_items_and_skips_retired() {
    let mut p = project();
    let keys: Vec<String> =
        p.checklist(&"B1-0101".into()).iter().map(|e| format!("{}/{}", e.room.id, e.item.code)).collect();
    assert_eq!(keys, ["kit/KIT-01", "kit/KIT-02", "bath/BTH-01"]);
    p.templates.get_mut(&TemplateId::from("std")).unwrap().items[1].retired = true;
    assert_eq!(p.checklist(&"B1-0101".into()).len(), 2);
}

/// A defect with the given history, found in `round`.
fn with_events(round: u32, events: Vec<DefectEvent>) -> Defect {
    let mut d = defect("B1-0101", "leak", round, at(i64::from(round) * 10));
    d.events = events;
    d.sort_events();
    d
}

#[test]
fn recheck_queue_holds_every_open_defect_from_earlier_rounds() {
    let open_r1 = with_events(1, vec![assigned(1, "c-water", 49, 1)]);
    let fixed_r1 = with_events(1, vec![assigned(1, "c-water", 49, 1), fixed(30, 1)]);
    let verified_r1_in_r2 = with_events(1, vec![assigned(1, "c-water", 49, 1), recheck(800, 2, true, None)]);
    let failed_r1_in_r2 = with_events(1, vec![assigned(1, "c-water", 49, 1), recheck(800, 2, false, Some(848))]);
    let open_r2 = with_events(2, vec![assigned(801, "c-water", 849, 2)]);
    let withdrawn = with_events(1, vec![event(at(2), "cs", 1, EventKind::Withdrawn { reason: "dup".into() })]);
    let all = [&open_r1, &fixed_r1, &verified_r1_in_r2, &failed_r1_in_r2, &open_r2, &withdrawn];

    let q2 = recheck_queue(all.iter().copied(), RoundNo(2));
    let got: BTreeMap<DefectId, Option<bool>> = q2.iter().map(|e| (e.defect, e.done)).collect();
    let expected: BTreeMap<DefectId, Option<bool>> = [
        (open_r1.id, None),
        (fixed_r1.id, None),
        (verified_r1_in_r2.id, Some(true)),
        (failed_r1_in_r2.id, Some(false)),
    ]
    .into();
    assert_eq!(got, expected);

    // Round 3: everything still open from rounds 1 and 2; the one verified
    // in round 2 is gone, the one that failed in round 2 is back.
    let q3: Vec<DefectId> = recheck_queue(all.iter().copied(), RoundNo(3)).iter().map(|e| e.defect).collect();
    let mut expected3 = vec![open_r1.id, fixed_r1.id, failed_r1_in_r2.id, open_r2.id];
    expected3.sort_by_key(|id| (if *id == open_r2.id { 2 } else { 1 }, *id));
    assert_eq!(q3, expected3);
    assert!(recheck_queue(all.iter().copied(), RoundNo(1)).is_empty());
}

#[test]
fn unit_status_cases() {
    let keys: Vec<ResultKey> = ["a", "b"].iter().map(|i| ResultKey { room: "kit".into(), item: (*i).into() }).collect();
    let outcomes = |v: &[(&str, Outcome)]| -> BTreeMap<ResultKey, Outcome> {
        v.iter().map(|(i, o)| (ResultKey { room: "kit".into(), item: (*i).into() }, *o)).collect()
    };
    let entry = |done: Option<bool>| RecheckEntry {
        defect: defect_id(at(0)),
        found_round: RoundNo(1),
        status: DefectStatus::Assigned,
        done,
    };
    use Outcome::*;
    let cases = [
        (outcomes(&[]), vec![], 0, UnitStatus::NotStarted),
        (outcomes(&[("a", NotChecked)]), vec![], 0, UnitStatus::NotStarted),
        (outcomes(&[("a", Pass)]), vec![], 0, UnitStatus::InProgress),
        (outcomes(&[("a", Pass), ("b", NotApplicable)]), vec![], 0, UnitStatus::Done),
        (outcomes(&[("a", Pass), ("b", Fail)]), vec![], 1, UnitStatus::DoneWithOpenDefects),
        (outcomes(&[("a", Pass), ("b", Pass)]), vec![entry(None)], 1, UnitStatus::InProgress),
        (outcomes(&[]), vec![entry(Some(true))], 0, UnitStatus::InProgress),
        (outcomes(&[("a", Pass), ("b", Pass)]), vec![entry(Some(false))], 1, UnitStatus::DoneWithOpenDefects),
        (outcomes(&[("a", Pass), ("b", Pass)]), vec![entry(Some(true))], 0, UnitStatus::Done),
    ];
    for (i, (o, q, open, expected)) in cases.into_iter().enumerate() {
        assert_eq!(unit_status(&keys, &o, &q, open), expected, "case {i}");
    }
}

#[test]
fn repeat_failures_per_contractor_count_items_failed_twice_or_more() {
    let twice = with_events(
        1,
        vec![assigned(1, "c-water", 49, 1), recheck(800, 2, false, Some(848)), recheck(1600, 3, false, Some(1648))],
    );
    let once = with_events(1, vec![assigned(1, "c-water", 49, 1), recheck(800, 2, false, Some(848))]);
    let mut tile_twice = with_events(
        1,
        vec![assigned(1, "c-tile", 121, 1), recheck(800, 2, false, Some(920)), recheck(1600, 3, false, Some(1720))],
    );
    tile_twice.responsible = Some("c-tile".into());
    let all = [&twice, &once, &tile_twice];
    let got = repeat_failures_by_contractor(all.iter().copied(), 2);
    let expected: BTreeMap<Option<ContractorId>, u32> =
        [(Some("c-water".into()), 1), (Some("c-tile".into()), 1)].into();
    assert_eq!(got, expected);
    assert_eq!(repeat_failures_by_contractor(all.iter().copied(), 1).values().sum::<u32>(), 3);
}

#[test]
fn repeat_spots_find_the_drain_that_keeps_failing() {
    let a = with_events(1, vec![]);
    let b = with_events(2, vec![]);
    let mut elsewhere = with_events(1, vec![]);
    elsewhere.element = "wall".into();
    let spots = repeat_spots([&a, &b, &elsewhere]);
    assert_eq!(spots.len(), 1);
    assert_eq!((spots[0].element.as_str(), spots[0].defects), ("floor_drain", 2));
}

#[test]
fn validate_reports_every_broken_reference() {
    let mut p = project();
    p.units.get_mut(&UnitId::from("B1-0101")).unwrap().unit_type = "X".into();
    p.rounds.get_mut(&RoundNo(2)).unwrap().due = chrono::NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
    p.trade_assignments.push(TradeAssignment { trade: "tiling".into(), building: None, contractor: "ghost".into() });
    let msg = p.validate().unwrap_err().to_string();
    for needle in [
        "unit B1-0101: unit type `X` does not exist",
        "round 2: due date 2026-08-01 is before its start",
        "unknown contractor `ghost`",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in:\n{msg}");
    }
}

#[test]
fn plan_warnings_flag_too_few_rounds_and_uncovered_units() {
    let mut p = project();
    assert!(p.plan_warnings().is_empty(), "{:?}", p.plan_warnings());
    p.rounds.remove(&RoundNo(3));
    p.rounds.get_mut(&RoundNo(1)).unwrap().assignments.pop();
    let w = p.plan_warnings();
    assert_eq!(w, ["only 2 round(s) planned; at least 3 are required", "round 1: 3 unit(s) have no inspector"]);
}

#[test]
fn assigned_units_follow_the_round_plan() {
    let p = project();
    let a: Vec<String> = p.assigned_units(RoundNo(1), &"insp-a".into()).into_iter().map(|u| u.0).collect();
    assert_eq!(a, ["B1-0101", "B1-0201", "B1-0301"]);
    assert!(overlapping_assignments(&p, RoundNo(1)).is_empty());
}

#[test]
fn validate_rejects_ids_that_would_break_document_keys_and_wrong_roles() {
    let mut p = project();
    p.unit_types.get_mut(&UnitTypeId::from("T")).unwrap().rooms[0].id = "kit/1".into();
    p.buildings.get_mut(&BuildingId::from("B1")).unwrap().engineer = Some("insp-a".into());
    p.unit_types.get_mut(&UnitTypeId::from("T")).unwrap().rooms[1].plan_area =
        Some(Rect { x: 0.5, y: 0.0, w: 0.6, h: 1.0 });
    let msg = p.validate().unwrap_err().to_string();
    for needle in [
        "room id \"kit/1\" must be non-empty, without '/'",
        "engineer `insp-a` is not a person with the engineer role",
        "room bath is outlined outside the floor plan",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in:\n{msg}");
    }
}

#[test]
fn check_defect_refuses_what_the_cs_center_would_refuse() {
    let p = project();
    let ok = defect("B1-0101", "leak", 1, at(0));
    assert!(check_defect(&p, &ok).is_ok());
    #[allow(clippy::type_complexity)] // a table of cases
    let cases: Vec<(&str, Box<dyn Fn(&mut walkthrough_core::defect::Defect)>)> = vec![
        ("is not in this project", Box::new(|d| d.unit = "X-1".into())),
        ("room `garage` is not in unit type T", Box::new(|d| d.room = "garage".into())),
        ("a written reason is required", Box::new(|d| d.category = "other".into())),
        ("not in this project's category list", Box::new(|d| d.root_cause = Some("nope".into()))),
        ("trade `masonry` is not in this project", Box::new(|d| d.trade = "masonry".into())),
        ("needs a description", Box::new(|d| d.description = "  ".into())),
        ("pin must lie within the plan", Box::new(|d| d.pin = Some(Point { x: 1.2, y: 0.5 }))),
    ];
    for (needle, change) in cases {
        let mut d = ok.clone();
        change(&mut d);
        let msg = check_defect(&p, &d).unwrap_err().to_string();
        assert!(msg.contains(needle), "expected {needle:?}, got {msg:?}");
    }
    let mut other = ok.clone();
    other.category = "other".into();
    other.other_reason = Some("管道井门无法关闭".into());
    assert!(check_defect(&p, &other).is_ok());
}

#[test]
fn validate_refuses_duplicate_assignments() {
    let mut p = project();
    p.trade_assignments.push(TradeAssignment {
        trade: "tiling".into(),
        building: Some("B2".into()),
        contractor: "c-tile".into(),
    });
    let plan = p.rounds.get_mut(&RoundNo(1)).unwrap();
    plan.assignments.push(RoundAssignment { inspector: "insp-a".into(), buildings: vec![], units: vec![] });
    let msg = p.validate().unwrap_err().to_string();
    assert!(msg.contains("trade `tiling` is assigned twice for building B2"), "{msg}");
    assert!(msg.contains("inspector `insp-a` has more than one assignment"), "{msg}");
}
