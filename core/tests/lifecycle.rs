//! The defect lifecycle folded from events: status, attempts, deadlines,
//! timeliness. One `check` per case: events in, a one-line summary out.

mod common;
use common::*;
use walkthrough_core::defect::*;

/// Summarise a lifecycle as `status attempts=N fails=N closed=H done=H timely=bool`
/// with times as hours after t0.
fn summary(lc: &Lifecycle) -> String {
    let h = |t: Option<walkthrough_core::Time>| t.map_or("-".to_owned(), |t| ((t - t0()).num_hours()).to_string());
    format!(
        "{} attempts={} fails={} closed={} done={} timely={} deadline={}",
        lc.status.as_str(),
        lc.attempts.len(),
        lc.failed_rechecks,
        h(lc.closed_at),
        h(lc.completed_at),
        lc.closed_in_time(),
        h(lc.current_deadline()),
    )
}

fn check(events: Vec<DefectEvent>, expected: &str) {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.events = events;
    // Arrival order must not matter: fold the events reversed too.
    d.events.reverse();
    d.sort_events();
    assert_eq!(summary(&d.lifecycle()), expected);
}

#[test]
fn just_recorded_is_open_without_deadline() {
    check(vec![], "open attempts=0 fails=0 closed=- done=- timely=false deadline=-");
}

#[test]
fn assigned_runs_its_deadline() {
    check(vec![assigned(1, "c-water", 49, 1)], "assigned attempts=1 fails=0 closed=- done=- timely=false deadline=49");
}

#[test]
fn fixed_in_time_then_passed_is_timely() {
    check(
        vec![assigned(1, "c-water", 49, 1), fixed(30, 1), recheck(800, 2, true, None)],
        "verified attempts=1 fails=0 closed=800 done=30 timely=true deadline=-",
    );
}

#[test]
fn fixed_late_then_passed_is_closed_but_not_timely() {
    check(
        vec![assigned(1, "c-water", 49, 1), fixed(60, 1), recheck(800, 2, true, None)],
        "verified attempts=1 fails=0 closed=800 done=60 timely=false deadline=-",
    );
}

#[test]
fn failed_recheck_opens_a_second_attempt_with_the_new_deadline() {
    check(
        vec![assigned(1, "c-water", 49, 1), fixed(30, 1), recheck(800, 2, false, Some(848))],
        "failed_recheck attempts=2 fails=1 closed=- done=- timely=false deadline=848",
    );
}

#[test]
fn failed_twice_then_fixed_counts_two_failures_and_is_not_timely() {
    check(
        vec![
            assigned(1, "c-water", 49, 1),
            fixed(30, 1),
            recheck(800, 2, false, Some(848)),
            fixed(820, 2),
            recheck(1600, 3, false, Some(1648)),
            fixed(1610, 3),
            recheck(1700, 3, true, None),
        ],
        "verified attempts=3 fails=2 closed=1700 done=1610 timely=false deadline=-",
    );
}

#[test]
fn retracted_report_is_no_report() {
    check(
        vec![
            assigned(1, "c-water", 49, 1),
            fixed(30, 1),
            event(at(31), "c-water", 1, EventKind::FixRetracted { note: "wrong unit".into() }),
        ],
        "assigned attempts=1 fails=0 closed=- done=- timely=false deadline=49",
    );
}

#[test]
fn reassignment_keeps_the_deadline() {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.events = vec![assigned(1, "c-water", 49, 1), assigned(5, "c-tile", 200, 1)];
    d.sort_events();
    let lc = d.lifecycle();
    assert_eq!(lc.attempts.len(), 1);
    assert_eq!(lc.attempts[0].deadline, Some(at(49)));
    assert_eq!(lc.contractor.as_ref().map(|c| c.as_str()), Some("c-tile"));
}

#[test]
fn accepted_risk_is_closed_and_later_events_are_kept_but_ignored() {
    let risk = event(
        at(100),
        "cs",
        1,
        EventKind::AcceptedRisk {
            unified_answer: walkthrough_core::model::I18nText::new("层高符合设计", "Height is per design"),
            contingency_plan: "explain at handover".into(),
        },
    );
    let late = fixed(120, 1);
    let late_id = late.id;
    let mut d = defect("B1-0101", "promise", 1, at(0));
    d.events = vec![assigned(1, "c-water", 241, 1), risk, late];
    d.sort_events();
    let lc = d.lifecycle();
    assert_eq!(lc.status, DefectStatus::AcceptedRisk);
    assert_eq!(lc.ignored_events, vec![late_id]);
    assert!(lc.status.is_closed());
    // Accepting a risk is not a repair: never "closed in time".
    assert!(!lc.closed_in_time());
}

#[test]
fn withdrawn_is_terminal_and_not_closed() {
    check(
        vec![
            assigned(1, "c-water", 49, 1),
            event(at(2), "insp-a", 1, EventKind::Withdrawn { reason: "wrong unit".into() }),
        ],
        "withdrawn attempts=1 fails=0 closed=- done=- timely=false deadline=-",
    );
}

/// A contractor's "fixed" report and an inspector's failed recheck cross each
/// other offline. The outcome depends only on their times, never on which
/// arrived first, and neither event is lost.
#[test]
fn fixed_report_before_a_crossing_failed_recheck_stays_with_the_failed_attempt() {
    check(
        vec![assigned(1, "c-water", 49, 1), fixed(790, 1), recheck(800, 2, false, Some(848))],
        "failed_recheck attempts=2 fails=1 closed=- done=- timely=false deadline=848",
    );
}

#[test]
fn fixed_report_after_a_crossing_failed_recheck_belongs_to_the_new_attempt() {
    check(
        vec![assigned(1, "c-water", 49, 1), recheck(800, 2, false, Some(848)), fixed(810, 2)],
        "reported_fixed attempts=2 fails=1 closed=- done=- timely=false deadline=848",
    );
}

#[test]
fn fixed_report_after_a_crossing_passed_recheck_is_kept_and_ignored() {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    let late = fixed(810, 2);
    let late_id = late.id;
    d.events = vec![assigned(1, "c-water", 49, 1), recheck(800, 2, true, None), late];
    d.sort_events();
    let lc = d.lifecycle();
    assert_eq!(lc.status, DefectStatus::Verified);
    assert_eq!(lc.ignored_events, vec![late_id]);
    assert_eq!(d.events.len(), 3);
}

#[test]
fn recheck_of_a_never_assigned_defect_still_counts() {
    check(
        vec![recheck(800, 2, false, Some(848))],
        "failed_recheck attempts=2 fails=1 closed=- done=- timely=false deadline=848",
    );
}

#[test]
fn lifecycle_at_a_date_ignores_later_events() {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.events = vec![assigned(1, "c-water", 49, 1), fixed(30, 1), recheck(800, 2, true, None)];
    d.sort_events();
    assert_eq!(d.lifecycle_at(at(500)).status, DefectStatus::ReportedFixed);
    assert_eq!(d.lifecycle_at(at(900)).status, DefectStatus::Verified);
}

#[test]
fn attempt_timeliness() {
    let a = |deadline: Option<i64>, reported: Option<i64>| Attempt {
        number: 1,
        opened_at: at(0),
        contractor: None,
        deadline: deadline.map(at),
        reported_fixed_at: reported.map(at),
        outcome: None,
        opened_by_recheck_in: None,
    };
    let cases = [
        (a(Some(48), Some(40)), 100, Timeliness::Met),
        (a(Some(48), Some(48)), 100, Timeliness::Met),
        (a(Some(48), Some(49)), 100, Timeliness::Missed),
        (a(Some(48), None), 100, Timeliness::Missed),
        (a(Some(48), None), 10, Timeliness::Pending),
        (a(None, None), 10, Timeliness::NoDeadline),
    ];
    for (attempt, now, expected) in cases {
        assert_eq!(attempt.timeliness(at(now)), expected, "{attempt:?} at {now}");
    }
}

#[test]
fn overdue_excludes_reported_fixed_and_closed() {
    let mk = |events: Vec<DefectEvent>| {
        let mut d = defect("B1-0101", "leak", 1, at(0));
        d.events = events;
        d.sort_events();
        d.lifecycle()
    };
    assert!(mk(vec![assigned(1, "c-water", 49, 1)]).is_overdue(at(50)));
    assert!(!mk(vec![assigned(1, "c-water", 49, 1)]).is_overdue(at(48)));
    assert!(!mk(vec![assigned(1, "c-water", 49, 1), fixed(60, 1)]).is_overdue(at(100)));
    assert!(!mk(vec![assigned(1, "c-water", 49, 1), recheck(60, 2, true, None)]).is_overdue(at(100)));
}

#[test]
fn a_second_failed_recheck_of_the_same_unrepaired_attempt_in_a_round_is_one_failure() {
    check(
        vec![assigned(1, "c-water", 49, 1), recheck(800, 2, false, Some(848)), recheck(805, 2, false, Some(853))],
        "failed_recheck attempts=2 fails=1 closed=- done=- timely=false deadline=848",
    );
}

#[test]
fn a_failed_repair_within_the_same_round_is_a_second_failure() {
    check(
        vec![
            assigned(1, "c-water", 49, 1),
            recheck(800, 2, false, Some(848)),
            fixed(820, 2),
            recheck(830, 2, false, Some(878)),
        ],
        "failed_recheck attempts=3 fails=2 closed=- done=- timely=false deadline=878",
    );
}

#[test]
fn doing_nothing_for_a_whole_round_is_another_failure() {
    check(
        vec![assigned(1, "c-water", 49, 1), recheck(800, 2, false, Some(848)), recheck(1600, 3, false, Some(1648))],
        "failed_recheck attempts=3 fails=2 closed=- done=- timely=false deadline=1648",
    );
}

#[test]
fn failures_count_against_the_contractor_whose_repair_failed() {
    let mut d = defect("B1-0101", "tile", 1, at(0));
    d.events = vec![
        assigned(1, "c-tile", 121, 1),
        recheck(800, 2, false, Some(920)),
        event(at(805), "cs", 2, EventKind::Assigned { contractor: "c-tile-b2".into(), deadline: at(9999) }),
        fixed(810, 2),
        recheck(830, 2, false, Some(950)),
    ];
    d.sort_events();
    let lc = d.lifecycle();
    let by: Vec<(String, u32)> = lc.failures_by_contractor().into_iter().map(|(c, n)| (c.unwrap().0, n)).collect();
    assert_eq!(by, [("c-tile".to_owned(), 1), ("c-tile-b2".to_owned(), 1)]);
    // The reassignment kept attempt 2's deadline from the recheck.
    assert_eq!(lc.attempts[1].deadline, Some(at(920)));
    assert_eq!(
        lc.rechecks.iter().map(|r| r.contractor.clone().unwrap().0).collect::<Vec<_>>(),
        ["c-tile", "c-tile-b2"]
    );
}
