//! Accepted risks: what is refused (in words), an edit is another event and
//! the latest answer wins, and the acceptance time stays the closing time.

mod common;
use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::model::I18nText;
use walkthrough_core::risk::*;
use walkthrough_core::*;

fn answer(zh: &str, en: &str) -> I18nText {
    I18nText::new(zh, en)
}

fn accepted(h: i64, by: &str, zh: &str, plan: &str) -> DefectEvent {
    event(at(h), by, 2, EventKind::AcceptedRisk { unified_answer: answer(zh, ""), contingency_plan: plan.into() })
}

fn withdrawn(h: i64) -> DefectEvent {
    event(at(h), "insp-a", 1, EventKind::Withdrawn { reason: "recorded twice".into() })
}

/// `history` as the defect's events; accepting (answer zh/en, plan) at 100 h
/// gives `Ok(status after)` or an error containing the words.
fn check(history: Vec<DefectEvent>, zh: &str, en: &str, plan: &str, expected: Result<DefectStatus, &str>) {
    let mut d = defect("B1-101", "leak", 1, at(0));
    d.events = history;
    d.sort_events();
    let got = accept_risk(&d, &answer(zh, en), plan, &"cs".into(), at(100), event_id(at(100)));
    match (got, expected) {
        (Ok(ev), Ok(status)) => {
            d.events.push(ev);
            d.sort_events();
            assert_eq!(d.lifecycle().status, status);
        }
        (Err(e), Err(words)) => assert!(e.to_string().contains(words), "{e} should say {words:?}"),
        (got, expected) => panic!("got {got:?}, expected {expected:?}"),
    }
}

#[test]
fn accepting_a_risk_is_refused_in_words_when_it_makes_no_sense() {
    let answer_zh = "该处为结构梁，无法调整，已在交付资料中说明";
    // Accepted from any open state.
    check(vec![], answer_zh, "", "交付时由工程师现场解释", Ok(DefectStatus::AcceptedRisk));
    check(vec![assigned(1, "c-water", 49, 1)], answer_zh, "A beam", "explain", Ok(DefectStatus::AcceptedRisk));
    check(
        vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, false, Some(57))],
        answer_zh,
        "",
        "plan",
        Ok(DefectStatus::AcceptedRisk),
    );
    check(vec![assigned(1, "c-water", 49, 1), fixed(5, 1)], answer_zh, "", "plan", Ok(DefectStatus::AcceptedRisk));
    // Refusals.
    check(vec![withdrawn(2)], answer_zh, "", "plan", Err("withdrawn"));
    check(
        vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, true, None)],
        answer_zh,
        "",
        "plan",
        Err("passed its recheck"),
    );
    check(vec![], "", "An answer in English only", "plan", Err("in Chinese"));
    check(vec![], "   ", "", "plan", Err("in Chinese"));
    check(vec![], answer_zh, "", "  ", Err("contingency plan"));
    check(vec![], &"长".repeat(MAX_RISK_TEXT_CHARS + 1), "", "plan", Err("too long"));
    // An edit that changes nothing.
    check(vec![accepted(50, "cs", answer_zh, "plan")], answer_zh, "", "plan", Err("unchanged"));
    check(vec![accepted(50, "cs", answer_zh, "plan")], answer_zh, "", "new plan", Ok(DefectStatus::AcceptedRisk));
}

#[test]
fn an_edit_is_another_event_the_latest_wins_and_the_acceptance_time_stays() {
    let mut d = defect("B1-101", "leak", 1, at(0));
    d.events.push(assigned(1, "c-water", 49, 1));
    let first =
        accept_risk(&d, &answer("第一版口径", "first"), "预案一", &"cs-wang".into(), at(50), event_id(at(50))).unwrap();
    assert_eq!(first.round, RoundNo(1));
    d.events.push(first);
    let before = d.lifecycle();
    assert_eq!(before.closed_at, Some(at(50)));

    let edit =
        accept_risk(&d, &answer(" 第二版口径 ", ""), " 预案二 ", &"cs-li".into(), at(80), event_id(at(80))).unwrap();
    d.events.push(edit);
    d.sort_events();
    let after = d.lifecycle();
    // Nothing but the answer changed: status, closing and completion times, attempts.
    assert_eq!(after, before);
    assert!(after.ignored_events.is_empty());

    let risk = d.current_risk().unwrap();
    assert_eq!(risk.unified_answer, answer("第二版口径", ""));
    assert_eq!(risk.contingency_plan, "预案二");
    assert_eq!((risk.accepted_by.as_str(), risk.accepted_at), ("cs-wang", at(50)));
    assert_eq!((risk.edited_by.as_str(), risk.edited_at, risk.edits), ("cs-li", at(80), 1));

    // Events are folded in time order whatever order they arrived in: an edit
    // stored first but made later still wins.
    let mut shuffled = d.clone();
    shuffled.events.reverse();
    shuffled.sort_events();
    assert_eq!(shuffled.current_risk(), Some(risk));
}

#[test]
fn a_risk_event_after_another_closure_is_ignored_and_gives_no_answer() {
    let mut d = defect("B1-101", "leak", 1, at(0));
    d.events =
        vec![assigned(1, "c-water", 49, 1), fixed(5, 1), recheck(9, 2, true, None), accepted(20, "cs", "口径", "预案")];
    let lc = d.lifecycle();
    assert_eq!(lc.status, DefectStatus::Verified);
    assert_eq!(lc.ignored_events, vec![d.events[3].id]);
    assert_eq!(d.current_risk(), None);
    // Not accepted at all: no answer either.
    assert_eq!(defect("B1-101", "leak", 1, at(0)).current_risk(), None);
}
