//! The change checker (`doc::check`): what a writer may change in a unit
//! document. Each refusal case is a change a hostile tablet could craft;
//! each acceptance is something an honest tablet does.

mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, ReadDoc, ROOT};
use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::doc::check::{self, Writer};
use walkthrough_core::doc::{DocKey, UnitDoc};
use walkthrough_core::model::Role;
use walkthrough_core::rules::Outcome;
use walkthrough_core::*;

const UNIT: &str = "B1-0101";

fn inspector() -> Writer {
    Writer { user: UserId::new("insp-a"), role: Role::Inspector }
}

fn fresh() -> UnitDoc {
    let mut d = UnitDoc::genesis(&ProjectId::new("p1"), &UnitId::new(UNIT));
    d.set_actor(ActorId::random());
    d
}

/// A unit holding one defect found by insp-a, as the server has it.
fn stored() -> (UnitDoc, DefectId) {
    let mut d = fresh();
    let defect = defect(UNIT, "leak", 1, at(1));
    let id = defect.id;
    d.add_defect(&defect).unwrap();
    d.add_event(id, &recheck(2, 2, false, Some(100))).unwrap();
    (d, id)
}

/// Apply `edit` to a copy of `doc` as `writer` and check what it changed.
fn check_edit(doc: &mut UnitDoc, writer: &Writer, edit: impl FnOnce(&mut UnitDoc)) -> Result<(), String> {
    let before = doc.heads();
    let mut copy = UnitDoc::from_automerge(doc.automerge().fork()).unwrap();
    copy.set_actor(ActorId::random());
    edit(&mut copy);
    copy.check_changes_since(&before, writer, at(10))
}

fn refused(r: Result<(), String>, words: &str) {
    match r {
        Ok(()) => panic!("expected a refusal mentioning {words:?}, but the change was accepted"),
        Err(why) => assert!(why.contains(words), "refusal {why:?} does not mention {words:?}"),
    }
}

#[test]
fn an_honest_inspectors_work_from_genesis_passes() {
    let mut d = fresh();
    let w = inspector();
    let key = walkthrough_core::model::ResultKey { room: "bath".into(), item: "BTH-01".into() };
    d.record_result(RoundNo(1), &key, Outcome::Fail, &w.user, at(1), Some("see defect")).unwrap();
    let mut x = defect(UNIT, "leak", 1, at(1));
    x.photos.insert(
        PhotoHash::new("a".repeat(64)),
        Photo {
            hash: PhotoHash::new("a".repeat(64)),
            added_by: w.user.clone(),
            added_at: at(1),
            marks: Default::default(),
        },
    );
    d.add_defect(&x).unwrap();
    let mark = Mark {
        id: MarkId::new_v7(),
        shape: Shape::Circle { center: walkthrough_core::model::Point { x: 0.5, y: 0.5 }, radius: 0.1 },
    };
    d.put_mark(x.id, &PhotoHash::new("a".repeat(64)), &mark, &w.user, at(1)).unwrap();
    d.delete_mark(x.id, &PhotoHash::new("a".repeat(64)), mark.id, &w.user, at(1)).unwrap();
    d.edit_defect(
        x.id,
        &walkthrough_core::doc::DefectEdit::Description("wider".into()),
        event_id(at(2)),
        &w.user,
        at(2),
        RoundNo(1),
    )
    .unwrap();
    d.edit_defect(x.id, &walkthrough_core::doc::DefectEdit::Pin(None), event_id(at(2)), &w.user, at(2), RoundNo(1))
        .unwrap();
    d.add_event(x.id, &recheck(3, 2, true, None)).unwrap();
    d.add_event(x.id, &event(at(3), "insp-a", 2, EventKind::Withdrawn { reason: "recorded in error".into() })).unwrap();
    assert_eq!(d.check_changes_since(&[], &w, at(10)), Ok(()));
}

#[test]
fn honest_edits_of_a_stored_unit_pass() {
    let (mut d, id) = stored();
    let w = inspector();
    let r = check_edit(&mut d, &w, |c| {
        c.edit_defect(
            id,
            &walkthrough_core::doc::DefectEdit::Spot("north wall".into()),
            event_id(at(3)),
            &w.user,
            at(3),
            RoundNo(2),
        )
        .unwrap();
        c.add_event(id, &recheck(4, 2, true, None)).unwrap();
    });
    assert_eq!(r, Ok(()));
}

#[test]
fn a_forged_author_is_refused() {
    let (mut d, id) = stored();
    let r =
        check_edit(&mut d, &inspector(), |c| c.add_event(id, &recheck(3, 2, true, None).tap_by("cs-wang")).unwrap());
    refused(r, "signed by cs-wang, but you are signed in as insp-a");
    let r = check_edit(&mut d, &inspector(), |c| {
        let mut x = defect(UNIT, "leak", 1, at(3));
        x.found_by = "insp-b".into();
        c.add_defect(&x).unwrap()
    });
    refused(r, "signed by insp-b");
    let key = walkthrough_core::model::ResultKey { room: "bath".into(), item: "BTH-01".into() };
    let r = check_edit(&mut d, &inspector(), |c| {
        c.record_result(RoundNo(1), &key, Outcome::Pass, &UserId::new("insp-b"), at(3), None).unwrap()
    });
    refused(r, "signed by insp-b");
}

trait By {
    fn tap_by(self, by: &str) -> Self;
}
impl By for DefectEvent {
    fn tap_by(mut self, by: &str) -> Self {
        self.by = by.into();
        self
    }
}

#[test]
fn an_inspector_cannot_accept_a_risk_assign_or_report_a_fix() {
    let (mut d, id) = stored();
    let risk = EventKind::AcceptedRisk { unified_answer: i18n("答复"), contingency_plan: "plan".into() };
    refused(
        check_edit(&mut d, &inspector(), |c| c.add_event(id, &event(at(3), "insp-a", 2, risk)).unwrap()),
        "accepted risk",
    );
    let assign = assigned(3, "c-water", 50, 2).tap_by("insp-a");
    refused(check_edit(&mut d, &inspector(), |c| c.add_event(id, &assign).unwrap()), "assignment");
    let fix = fixed(3, 2).tap_by("insp-a");
    refused(check_edit(&mut d, &inspector(), |c| c.add_event(id, &fix).unwrap()), "contractor's report");
    // The CS center may dispatch from its own device, in its own name only.
    let cs = Writer { user: UserId::new("cs"), role: Role::CsAdmin };
    let assign = assigned(3, "c-water", 50, 2);
    assert_eq!(check_edit(&mut d, &cs, |c| c.add_event(id, &assign).unwrap()), Ok(()));
    let forged = assigned(3, "c-water", 50, 2).tap_by("cs-other");
    refused(check_edit(&mut d, &cs, |c| c.add_event(id, &forged).unwrap()), "signed by cs-other");
    let eng = Writer { user: UserId::new("eng"), role: Role::Engineer };
    refused(
        check_edit(&mut d, &eng, |c| c.add_event(id, &recheck(3, 2, true, None).tap_by("eng")).unwrap()),
        "engineer",
    );
}

fn defects_obj(c: &mut UnitDoc) -> automerge::ObjId {
    c.automerge().get(ROOT, "defects").unwrap().unwrap().1
}

#[test]
fn deleting_a_defect_or_an_event_is_refused() {
    let (mut d, id) = stored();
    let r = check_edit(&mut d, &inspector(), |c| {
        let m = defects_obj(c);
        let keys: Vec<String> = c.automerge().keys(&m).collect();
        for k in keys {
            c.automerge().delete(&m, k).unwrap();
        }
        c.automerge().commit();
    });
    refused(r, "never");
    let r = check_edit(&mut d, &inspector(), |c| {
        let m = defects_obj(c);
        let key = c.automerge().keys(&m).find(|k| k.contains("/event/")).unwrap();
        c.automerge().delete(&m, key).unwrap();
        c.automerge().commit();
    });
    refused(r, "a defect's history is never deleted");
    let r = check_edit(&mut d, &inspector(), |c| {
        let m = defects_obj(c);
        let key = c.automerge().keys(&m).find(|k| k.contains("/event/")).unwrap();
        c.automerge().put(&m, key, "{}").unwrap();
        c.automerge().commit();
    });
    refused(r, "events cannot be changed");
    let _ = id;
}

#[test]
fn a_field_changed_without_its_edit_event_or_an_immutable_field_is_refused() {
    let (mut d, id) = stored();
    let r = check_edit(&mut d, &inspector(), |c| {
        let m = defects_obj(c);
        c.automerge().put(&m, format!("{id}/description"), "nothing to see").unwrap();
        c.automerge().commit();
    });
    refused(r, "without recording the edit");
    let r = check_edit(&mut d, &inspector(), |c| {
        let m = defects_obj(c);
        c.automerge().put(&m, format!("{id}/found_by"), "insp-b").unwrap();
        c.automerge().commit();
    });
    refused(r, "cannot be changed");
}

#[test]
fn malformed_values_are_refused() {
    let (mut d, id) = stored();
    let w = inspector();
    let bad = PhotoHash::new("<img src=x onerror=alert(1)>");
    let r = check_edit(&mut d, &w, |c| {
        c.add_photo(
            id,
            &Photo { hash: bad.clone(), added_by: w.user.clone(), added_at: at(3), marks: Default::default() },
        )
        .unwrap()
    });
    refused(r, "not a photo hash");
    let r = check_edit(&mut d, &w, |c| {
        let m = defects_obj(c);
        c.automerge().put(&m, format!("{id}/mystery"), "x").unwrap();
        c.automerge().commit();
    });
    refused(r, "no field");
    let r = check_edit(&mut d, &w, |c| {
        let m = defects_obj(c);
        c.automerge().put_object(&m, "nested", automerge::ObjType::Map).unwrap();
        c.automerge().commit();
    });
    refused(r, "");
    let r = check_edit(&mut d, &w, |c| {
        c.automerge().put(ROOT, "id", "B9-9999").unwrap();
        c.automerge().commit();
    });
    refused(r, "outside the unit's results and defects");
    let long = "x".repeat(check::MAX_TEXT_CHARS + 1);
    let r = check_edit(&mut d, &w, |c| {
        c.edit_defect(
            id,
            &walkthrough_core::doc::DefectEdit::Description(long.clone()),
            event_id(at(3)),
            &w.user,
            at(3),
            RoundNo(2),
        )
        .unwrap()
    });
    refused(r, "longer than");
}

#[test]
fn a_time_far_in_the_future_is_refused() {
    let (mut d, id) = stored();
    let r = check_edit(&mut d, &inspector(), |c| c.add_event(id, &recheck(10 + 25, 2, true, None)).unwrap());
    refused(r, "hours ahead of the clock");
    // Within a day of the clock is drift, not forgery.
    let r = check_edit(&mut d, &inspector(), |c| c.add_event(id, &recheck(10 + 23, 2, true, None)).unwrap());
    assert_eq!(r, Ok(()));
}

#[test]
fn a_fake_genesis_is_refused() {
    // A change written as the genesis device (which only ever writes the
    // deterministic first change) is a forgery.
    let (mut d, id) = stored();
    let r = check_edit(&mut d, &inspector(), |c| {
        c.set_actor(ActorId::from(walkthrough_core::doc::GENESIS_ACTOR));
        c.add_event(id, &recheck(3, 2, true, None)).unwrap();
    });
    refused(r, "genesis");
    let _ = DocKey::parse("p1/unit/B1-0101");
}

#[test]
fn only_the_finder_or_the_cs_center_may_withdraw_a_defect() {
    let (mut d, id) = stored();
    let withdraw = |by: &str| event(at(3), by, 2, EventKind::Withdrawn { reason: "recorded twice".into() });
    assert_eq!(check_edit(&mut d, &inspector(), |c| c.add_event(id, &withdraw("insp-a")).unwrap()), Ok(()));
    let other = Writer { user: UserId::new("insp-b"), role: Role::Inspector };
    refused(
        check_edit(&mut d, &other, |c| c.add_event(id, &withdraw("insp-b")).unwrap()),
        "only the inspector who recorded the defect or the CS center may withdraw it",
    );
    let cs = Writer { user: UserId::new("cs"), role: Role::CsAdmin };
    assert_eq!(check_edit(&mut d, &cs, |c| c.add_event(id, &withdraw("cs")).unwrap()), Ok(()));
    let blank = event(at(3), "insp-a", 2, EventKind::Withdrawn { reason: " ".into() });
    refused(check_edit(&mut d, &inspector(), |c| c.add_event(id, &blank).unwrap()), "needs a reason");
}
