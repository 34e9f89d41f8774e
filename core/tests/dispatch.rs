//! Dispatch rules: routing at dispatch, deadlines per attempt, reassignment
//! keeping the responsible party, "fixed" reports and their undo,
//! rectification lists and the notices a change calls for.

mod common;
use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::dispatch::*;
use walkthrough_core::kpi::DefectRow;
use walkthrough_core::*;

fn ids() -> impl FnMut() -> EventId {
    || event_id(at(0))
}

/// A defect on `unit`: `element`, `trade`, `category`, with `responsible` as recorded.
fn on(unit: &str, element: &str, trade: &str, category: &str, responsible: Option<&str>) -> Defect {
    let mut d = defect(unit, category, 1, at(0));
    d.element = element.into();
    d.trade = trade.into();
    d.responsible = responsible.map(Into::into);
    d
}

#[test]
fn dispatch_routes_each_defect_and_sets_its_category_deadline() {
    let p = project();
    // (unit, element, trade, category, recorded responsible, expected contractor, deadline hours after dispatch)
    #[allow(clippy::type_complexity)] // a table of cases
    let cases: &[(&str, &str, &str, &str, Option<&str>, Option<&str>, i64)] = &[
        // The recorded responsible party wins while it is in the project.
        ("B1-0101", "floor_drain", "waterproofing", "leak", Some("c-water"), Some("c-water"), 48),
        // Not recorded: routed now. Cabinets go to the installing supplier.
        ("B1-0101", "cabinet", "kitchen", "fitting", None, Some("s-cab"), 72),
        // Tiles: the tiler, per building.
        ("B1-0101", "floor_tiles", "tiling", "tile", None, Some("c-tile"), 120),
        ("B2-0101", "floor_tiles", "tiling", "tile", None, Some("c-tile-b2"), 120),
        // A recorded contractor that left the project: routed again.
        ("B2-0101", "floor_tiles", "tiling", "tile", Some("gone"), Some("c-tile-b2"), 120),
        // Nobody paints in this project: unroutable, listed for the CS center.
        ("B1-0101", "wall", "painting", "paint", None, None, 0),
    ];
    for &(unit, element, trade, category, recorded, expected, hours) in cases {
        let d = on(unit, element, trade, category, recorded);
        let plan = dispatch(&p, [&d], &"cs".into(), at(10), &mut ids());
        match expected {
            Some(c) => {
                assert_eq!(plan.assignments.len(), 1, "{unit} {element}");
                let EventKind::Assigned { contractor, deadline } = &plan.assignments[0].event.kind else { panic!() };
                assert_eq!(contractor.as_str(), c, "{unit} {element}");
                assert_eq!(*deadline, at(10 + hours), "{unit} {element}");
                assert!(plan.unroutable.is_empty());
            }
            None => {
                assert!(plan.assignments.is_empty(), "{unit} {element}");
                assert_eq!(plan.unroutable, vec![d.id]);
            }
        }
    }
}

#[test]
fn dispatch_skips_what_is_already_dispatched_or_closed() {
    let p = project();
    // (events already on the defect, dispatched again?)
    let cases: Vec<(Vec<DefectEvent>, bool)> = vec![
        (vec![], true),
        (vec![assigned(1, "c-water", 49, 1)], false),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1)], false),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, false, Some(57))], false),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, true, None)], false),
        (vec![event(at(2), "cs", 1, EventKind::Withdrawn { reason: "dup".into() })], false),
        // Rechecked before anyone dispatched it: still nobody's, dispatch it.
        (vec![recheck(9, 2, false, None)], true),
    ];
    for (events, expected) in cases {
        let mut d = defect("B1-0101", "leak", 1, at(0));
        d.events = events.clone();
        d.sort_events();
        let plan = dispatch(&p, [&d], &"cs".into(), at(20), &mut ids());
        assert_eq!(plan.assignments.len() == 1, expected, "{events:?}");
    }
}

#[test]
fn each_attempt_has_its_own_deadline_and_both_timeliness_figures_are_kept() {
    let p = project();
    let mut d = defect("B1-0101", "leak", 1, at(0));
    let plan = dispatch(&p, [&d], &"cs".into(), at(1), &mut ids());
    d.events.push(plan.assignments[0].event.clone());
    // Fixed late (deadline at 49 h), fails the round-2 recheck with a new deadline, fixed in time.
    d.events.push(fixed(60, 1));
    d.events.push(recheck(100, 2, false, Some(148)));
    d.events.push(fixed(120, 2));
    d.events.push(recheck(200, 3, true, None));
    let lc = d.lifecycle();
    let deadlines: Vec<_> = lc.attempts.iter().map(|a| a.deadline).collect();
    assert_eq!(deadlines, vec![Some(at(49)), Some(at(148))]);
    let timeliness: Vec<_> = lc.attempts.iter().map(|a| a.timeliness(at(300))).collect();
    assert_eq!(timeliness, vec![Timeliness::Missed, Timeliness::Met]);
    // Overall: judged against the first deadline, so not in time.
    assert!(!lc.closed_in_time());
    assert_eq!(lc.first_deadline(), Some(at(49)));
}

#[test]
fn reassignment_keeps_the_responsible_party_and_the_running_deadline() {
    let p = project();
    // (events before, reassign to, at hour, Ok(expected deadline hour) or Err(fragment))
    #[allow(clippy::type_complexity)] // a table of cases
    let cases: Vec<(Vec<DefectEvent>, &str, i64, Result<i64, &str>)> = vec![
        // Running attempt: the deadline does not move.
        (vec![assigned(1, "c-water", 49, 1)], "c-tile", 30, Ok(49)),
        // Back after a failed recheck: the new attempt's deadline stays.
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, false, Some(57))], "c-tile", 20, Ok(57)),
        // Never dispatched: the category's deadline from now.
        (vec![], "c-tile", 30, Ok(78)),
        (vec![assigned(1, "c-water", 49, 1)], "c-water", 30, Err("already with")),
        (vec![assigned(1, "c-water", 49, 1)], "nobody", 30, Err("not in this project")),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1)], "c-tile", 30, Err("waits for its recheck")),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, true, None)], "c-tile", 30, Err("closed")),
    ];
    for (events, to, hour, expected) in cases {
        let mut d = defect("B1-0101", "leak", 1, at(0));
        d.events = events.clone();
        let got = reassign(&p, &d, &to.into(), &"cs".into(), at(hour), event_id(at(hour)));
        match (got, expected) {
            (Ok(ev), Ok(deadline)) => {
                assert_eq!(
                    ev.kind,
                    EventKind::Assigned { contractor: to.into(), deadline: at(deadline) },
                    "{events:?}"
                );
                d.events.push(ev);
                let lc = d.lifecycle();
                assert_eq!(lc.contractor.as_ref().map(|c| c.as_str()), Some(to));
                assert_eq!(d.responsible.as_ref().map(|c| c.as_str()), Some("c-water"), "responsible stays");
                assert_eq!(lc.current_deadline(), Some(at(deadline)));
            }
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{e} should say {fragment:?}"),
            (got, expected) => panic!("{events:?} → {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_failure_after_reassignment_counts_against_the_contractor_who_repaired() {
    let p = project();
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.events.push(assigned(1, "c-water", 49, 1));
    d.events.push(reassign(&p, &d, &"c-tile".into(), &"cs".into(), at(2), event_id(at(2))).unwrap());
    d.events.push(event(at(5), "contractor:c-tile", 1, EventKind::ReportedFixed { note: "ok".into(), photo: None }));
    d.events.push(recheck(9, 2, false, Some(57)));
    let lc = d.lifecycle();
    assert_eq!(lc.failures_by_contractor().get(&Some("c-tile".into())), Some(&1));
    assert_eq!(lc.contractor.unwrap().as_str(), "c-tile");
}

#[test]
fn fixed_reports_only_by_the_holder_while_a_repair_is_due() {
    // (events before, reporting contractor, note, Ok or Err(fragment))
    let long = "长".repeat(MAX_NOTE_CHARS + 1);
    #[allow(clippy::type_complexity)] // a table of cases
    let cases: Vec<(Vec<DefectEvent>, &str, &str, Result<(), &str>)> = vec![
        (vec![assigned(1, "c-water", 49, 1)], "c-water", "resealed the drain", Ok(())),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, false, Some(57))], "c-water", "again", Ok(())),
        (vec![assigned(1, "c-water", 49, 1)], "c-tile", "not mine", Err("not on your list")),
        (vec![], "c-water", "not dispatched", Err("not on your list")),
        (vec![assigned(1, "c-water", 49, 1)], "c-water", "   ", Err("short note")),
        (vec![assigned(1, "c-water", 49, 1)], "c-water", &long, Err("too long")),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1)], "c-water", "twice", Err("already reported")),
        (vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, true, None)], "c-water", "late", Err("closed")),
    ];
    for (events, who, note, expected) in cases {
        let mut d = defect("B1-0101", "leak", 1, at(0));
        d.events = events.clone();
        let by = UserId::new(format!("contractor:{who}"));
        let got = report_fixed(&d, &who.into(), note, None, &by, at(30), event_id(at(30)));
        match (got, expected) {
            (Ok(ev), Ok(())) => {
                d.events.push(ev);
                assert_eq!(d.lifecycle().status, DefectStatus::ReportedFixed);
            }
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{e} should say {fragment:?}"),
            (got, expected) => panic!("{events:?} {who} → {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn undo_within_the_window_by_the_reporter_only() {
    let by: UserId = "contractor:c-water".into();
    let report = |d: &mut Defect| {
        d.events.push(assigned(1, "c-water", 49, 1));
        let ev = report_fixed(d, &"c-water".into(), "done", None, &by, at(10), event_id(at(10))).unwrap();
        d.events.push(ev);
    };
    let minutes = |m: i64| at(10) + chrono::Duration::minutes(m);
    // (minutes after the report, who undoes, rechecked in between, allowed)
    let cases = [
        (1, "contractor:c-water", false, true),
        (UNDO_WINDOW_MINUTES, "contractor:c-water", false, true),
        (UNDO_WINDOW_MINUTES + 1, "contractor:c-water", false, false),
        (1, "contractor:c-tile", false, false),
        (5, "contractor:c-water", true, false),
    ];
    for (after, who, rechecked, allowed) in cases {
        let mut d = defect("B1-0101", "leak", 1, at(0));
        report(&mut d);
        if rechecked {
            d.events.push(event(
                minutes(2),
                "insp-a",
                2,
                EventKind::Rechecked { passed: false, note: String::new(), photo: None, new_deadline: Some(at(60)) },
            ));
        }
        let got = undo_fix(&d, &who.into(), minutes(after), event_id(minutes(after)));
        assert_eq!(got.is_ok(), allowed, "{after} min by {who}, rechecked {rechecked}: {got:?}");
        if let Ok(ev) = got {
            d.events.push(ev);
            let lc = d.lifecycle();
            assert_eq!(lc.status, DefectStatus::Assigned, "back on the list");
            assert_eq!(lc.attempts.last().unwrap().reported_fixed_at, None);
        }
    }
}

/// Defects for the list tests: (unit, events, found round).
fn listed(p: &model::Project) -> Vec<Defect> {
    let mk = |unit: &str, round: u32, events: Vec<DefectEvent>| {
        let mut d = defect(unit, "leak", round, at(0));
        d.events = events;
        d.sort_events();
        d
    };
    let _ = p;
    vec![
        // 0: round 1, on time, pending
        mk("B1-0101", 1, vec![assigned(1, "c-water", 500, 1)]),
        // 1: round 1, overdue
        mk("B2-0101", 1, vec![assigned(1, "c-water", 49, 1)]),
        // 2: round 1, failed the round-2 recheck: back with a new deadline
        mk("B1-0201", 1, vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(90, 2, false, Some(300))]),
        // 3: round 2, reported fixed
        mk("B1-0101", 2, vec![assigned(80, "c-water", 128, 2), fixed(90, 2)]),
        // 4: someone else's
        mk("B1-0301", 1, vec![assigned(1, "c-tile", 49, 1)]),
        // 5: not dispatched
        mk("B1-0301", 1, vec![]),
        // 6: verified
        mk("B2-0201", 1, vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(90, 2, true, None)]),
        // 7: reassigned away from c-water
        mk("B2-0301", 1, vec![assigned(1, "c-water", 49, 1), assigned(2, "c-tile", 49, 1)]),
    ]
}

#[test]
fn rectification_lists_per_round_and_cumulative_overdue_first() {
    let p = project();
    let defects = listed(&p);
    let now = at(100);
    // (scope, expected defects by index, in order)
    let cases: [(ListScope, &[usize]); 4] = [
        (ListScope::Cumulative, &[1, 3, 2, 0, 6]),
        (ListScope::Round(RoundNo(1)), &[1, 2, 0, 6]),
        (ListScope::Round(RoundNo(2)), &[3, 2]),
        (ListScope::Round(RoundNo(3)), &[]),
    ];
    for (scope, expected) in cases {
        let list = rectification_list(&p, &defects, &"c-water".into(), scope, now);
        let got: Vec<usize> = list.iter().map(|i| defects.iter().position(|d| d.id == i.defect).unwrap()).collect();
        assert_eq!(got, expected, "{scope:?}");
    }
    let list = rectification_list(&p, &defects, &"c-water".into(), ListScope::Cumulative, now);
    assert!(list[0].overdue && !list[1].overdue);
    let back = list.iter().find(|i| i.defect == defects[2].id).unwrap();
    assert_eq!((back.attempt, back.deadline, back.status), (2, Some(at(300)), DefectStatus::FailedRecheck));
    let grouped = group_by_unit(&list);
    let shape: Vec<(String, Vec<String>)> =
        grouped.iter().map(|(b, units)| (b.to_string(), units.keys().map(|u| u.to_string()).collect())).collect();
    assert_eq!(
        shape,
        vec![
            ("B1".to_owned(), vec!["B1-0101".to_owned(), "B1-0201".to_owned()]),
            ("B2".to_owned(), vec!["B2-0101".to_owned(), "B2-0201".to_owned()])
        ]
    );
    // The item reassigned away is on the other contractor's list, with its responsible party.
    let other = rectification_list(&p, &defects, &"c-tile".into(), ListScope::Cumulative, now);
    let moved = other.iter().find(|i| i.defect == defects[7].id).unwrap();
    assert_eq!(moved.responsible.as_ref().unwrap().as_str(), "c-water");
    assert_eq!(moved.assigned.as_ref().unwrap().as_str(), "c-tile");
}

#[test]
fn notices_follow_what_changed_for_each_contractor() {
    let p = project();
    let rows = |events: Vec<DefectEvent>, category: &str| {
        let mut d = defect("B1-0101", category, 1, at(0));
        d.id = DefectId::from_parts(1, [0; 10]);
        d.events = events;
        d.sort_events();
        vec![DefectRow::from_defect(&p, &d)]
    };
    let a = || assigned(1, "c-water", 49, 1);
    // (before, after, category, expected (contractor, kind, urgent, attempt))
    type Case = (Vec<DefectEvent>, Vec<DefectEvent>, &'static str, Vec<(&'static str, NoticeKind, bool, u32)>);
    let cases: Vec<Case> = vec![
        (vec![], vec![a()], "leak", vec![("c-water", NoticeKind::NewItem, true, 1)]),
        (vec![], vec![a()], "tile", vec![("c-water", NoticeKind::NewItem, false, 1)]),
        // Nothing new for the contractor: no notice (a replayed sync, an edit).
        (vec![a()], vec![a()], "leak", vec![]),
        (vec![a()], vec![a(), fixed(5, 1)], "leak", vec![]),
        (vec![a(), fixed(5, 1)], vec![a(), fixed(5, 1), recheck(9, 2, true, None)], "leak", vec![]),
        // Back after a failed recheck.
        (
            vec![a(), fixed(5, 1)],
            vec![a(), fixed(5, 1), recheck(9, 2, false, Some(57))],
            "leak",
            vec![("c-water", NoticeKind::BackAfterRecheck, true, 2)],
        ),
        // Reassigned: the new holder hears of it.
        (vec![a()], vec![a(), assigned(2, "c-tile", 49, 1)], "tile", vec![("c-tile", NoticeKind::NewItem, false, 1)]),
        // Undone "fixed" report: still theirs, nothing to say.
        (
            vec![a(), fixed(5, 1)],
            vec![a(), fixed(5, 1), event(at(6), "c", 1, EventKind::FixRetracted { note: String::new() })],
            "leak",
            vec![],
        ),
        // Withdrawn while with them: they hear it left their list (in the digest).
        (
            vec![a()],
            vec![a(), event(at(3), "insp-a", 1, EventKind::Withdrawn { reason: "twice".into() })],
            "leak",
            vec![("c-water", NoticeKind::Withdrawn, false, 1)],
        ),
        // Withdrawn before dispatch: nobody to tell.
        (vec![], vec![event(at(3), "insp-a", 1, EventKind::Withdrawn { reason: "twice".into() })], "leak", vec![]),
    ];
    for (before, after, category, expected) in cases {
        let got = notices(&p, &rows(before.clone(), category), &rows(after.clone(), category));
        let got: Vec<_> = got.iter().map(|n| (n.contractor.as_str(), n.kind, n.urgent, n.attempt)).collect();
        assert_eq!(got, expected, "{before:?} → {after:?}");
    }
}

#[test]
fn retries_back_off_and_stop_growing() {
    let cases = [(0, 5, 5), (1, 5, 10), (3, 5, 40), (12, 5, 3600), (40, 5, 3600), (2, 60, 240)];
    for (failures, base, expected) in cases {
        assert_eq!(retry_delay_secs(failures, base), expected, "{failures} failures, base {base}");
    }
}
