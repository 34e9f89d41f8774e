//! Events are ordered by a hybrid logical clock, and withdrawal follows its
//! rule: both as pure functions (the end-to-end proof over HTTP with skewed
//! tablet clocks is in tests/tests/withdraw_clocks.rs).

mod common;

use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::doc::check::Writer;
use walkthrough_core::model::Role;
use walkthrough_core::*;

#[test]
fn a_new_event_is_never_dated_before_an_event_its_writer_holds() {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.events = vec![assigned(1, "c-water", 50, 1), fixed(10, 1)];
    // A clock three days behind, but the writer has seen the report: after it.
    let now = at(10) - chrono::Duration::days(3);
    let t = d.next_event_time(now);
    assert_eq!(t, at(10) + chrono::Duration::milliseconds(1));
    // A clock ahead of everything held is taken as it is.
    assert_eq!(d.next_event_time(at(20)), at(20));
    // The recheck written after seeing the report fails the reported repair.
    let mut r = recheck(0, 2, false, Some(100));
    r.at = t;
    d.events.push(r);
    d.sort_events();
    let lc = d.lifecycle();
    assert_eq!(lc.status, DefectStatus::FailedRecheck);
    assert!(lc.attempts[0].reported_fixed_at.is_some(), "the report stays with the failed attempt: {lc:?}");
    assert_eq!(lc.attempts.len(), 2);
}

#[test]
fn the_devices_reading_is_kept_only_when_it_is_off() {
    let t = at(5);
    assert_eq!(device_reading(t, t + chrono::Duration::seconds(DEVICE_CLOCK_TOLERANCE_SECS)), None);
    let off = t - chrono::Duration::days(3);
    assert_eq!(device_reading(t, off), Some(off));
}

#[test]
fn events_without_a_device_reading_read_as_before() {
    // Documents written before the reading existed carry no `device_at`.
    let old = r#"{"id":"0190f0a0-0000-7000-8000-000000000001","at":1700000000000,"by":"insp-a","round":1,"withdrawn":{"reason":"x"}}"#;
    let old = old.replace(r#""withdrawn":{"reason":"x"}"#, r#""kind":{"withdrawn":{"reason":"x"}}"#);
    let e: DefectEvent = serde_json::from_str(&old).unwrap();
    assert_eq!(e.device_at, None);
    let back = serde_json::to_string(&e).unwrap();
    assert!(!back.contains("device_at"), "not written when absent: {back}");
}

#[test]
fn withdrawal_is_for_the_finder_or_the_cs_center_with_a_reason_while_open() {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.events = vec![assigned(1, "c-water", 50, 1)];
    let finder = Writer { user: UserId::new("insp-a"), role: Role::Inspector };
    let other = Writer { user: UserId::new("insp-b"), role: Role::Inspector };
    let cs = Writer { user: UserId::new("cs"), role: Role::CsAdmin };
    let id = || EventId::new_v7();
    let e = rules::withdraw(&d, &finder, "  recorded twice ", RoundNo(1), at(2), id()).unwrap();
    assert_eq!(e.kind, EventKind::Withdrawn { reason: "recorded twice".into() });
    assert_eq!(e.by.as_str(), "insp-a");
    let err = rules::withdraw(&d, &other, "no", RoundNo(1), at(2), id()).unwrap_err().to_string();
    assert!(err.contains("only the inspector who recorded"), "{err}");
    assert!(rules::withdraw(&d, &cs, "duplicate of another", RoundNo(1), at(2), id()).is_ok());
    let err = rules::withdraw(&d, &finder, " ", RoundNo(1), at(2), id()).unwrap_err().to_string();
    assert!(err.contains("why"), "{err}");
    // Dated after what the writer holds, even with a clock behind.
    let e = rules::withdraw(&d, &finder, "x", RoundNo(1), at(0), id()).unwrap();
    assert!(e.at > at(1));
    // Closed: no withdrawal.
    d.events.push(e);
    let err = rules::withdraw(&d, &cs, "again", RoundNo(1), at(3), id()).unwrap_err().to_string();
    assert!(err.contains("closed"), "{err}");
}
