//! Fuzz target (fixed budget, part of `cargo test`): reading unit and
//! project documents from mutated bytes of real ones, as the server does
//! with what a tablet sends (whole documents, and change bytes applied with
//! `load_incremental`). Every case must end in a document or an error, never
//! a panic; a panic fails the test and prints the case to keep.

mod common;
#[path = "../../fixtures/src/mutate.rs"]
mod mutate;
// (The mutator's generator; the core may not depend on the fixtures crate.)
#[allow(dead_code)]
#[path = "../../fixtures/src/rng.rs"]
mod rng;

use automerge::AutoCommit;
use common::*;
use mutate::{Case, Mutator};
use walkthrough_core::defect::*;
use walkthrough_core::doc::{ProjectDoc, UnitDoc};
use walkthrough_core::model::{Point, ResultKey};
use walkthrough_core::rules::Outcome;
use walkthrough_core::*;

const CASES: usize = 2_000;

/// A unit document with results, a defect with a photo, marks and events.
fn real_unit() -> UnitDoc {
    let mut doc = UnitDoc::genesis(&"P".into(), &"B1-0101".into());
    doc.set_actor(automerge::ActorId::from(b"tablet-a".as_slice()));
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.pin = Some(Point { x: 0.25, y: 0.75 });
    doc.add_defect(&d).unwrap();
    let hash = PhotoHash::new("ab".repeat(32));
    let photo = Photo { hash: hash.clone(), added_by: "insp-a".into(), added_at: at(0), marks: Default::default() };
    doc.add_photo(d.id, &photo).unwrap();
    let mark = Mark {
        id: MarkId::from_parts(1, [1; 10]),
        shape: Shape::Label { at: Point { x: 0.6, y: 0.4 }, text: "积水".into() },
    };
    doc.put_mark(d.id, &hash, &mark, &"insp-a".into(), at(0)).unwrap();
    doc.add_event(d.id, &assigned(1, "c-water", 48, 1)).unwrap();
    doc.add_event(d.id, &fixed(20, 1)).unwrap();
    let key = ResultKey { room: "bath".into(), item: "BTH-01".into() };
    doc.record_result(RoundNo(1), &key, Outcome::Fail, &"insp-a".into(), at(0), Some("see defect")).unwrap();
    doc
}

/// Read whatever loads; errors are fine, panics are not.
fn read_unit(doc: AutoCommit) {
    if let Ok(doc) = UnitDoc::from_automerge(doc) {
        let _ = doc.read();
        let _ = doc.read_round(RoundNo(1));
    }
}

fn read_project(doc: AutoCommit) {
    if let Ok(doc) = ProjectDoc::from_automerge(doc) {
        let _ = doc.read();
    }
}

#[test]
fn mutated_unit_documents_load_or_are_refused() {
    let seed = 0x756e_6974;
    let bytes = real_unit().save();
    assert!(UnitDoc::load(&bytes).unwrap().read().is_ok(), "the seed document reads");
    let mut m = Mutator::new(seed);
    for case in 0..CASES {
        let input = m.mutate(&bytes);
        let _case = Case { target: "unit document", seed, case, input: &input };
        if let Ok(doc) = AutoCommit::load(&input) {
            read_unit(doc);
        }
    }
}

#[test]
fn mutated_project_documents_load_or_are_refused() {
    let seed = 0x7072_6f6a;
    let bytes = ProjectDoc::import(&project(), &"cs".into(), at(0)).unwrap().save();
    assert!(ProjectDoc::load(&bytes).unwrap().read().is_ok(), "the seed document reads");
    let mut m = Mutator::new(seed);
    for case in 0..CASES / 2 {
        let input = m.mutate(&bytes);
        let _case = Case { target: "project document", seed, case, input: &input };
        if let Ok(doc) = AutoCommit::load(&input) {
            read_project(doc);
        }
    }
}

#[test]
fn mutated_change_bytes_apply_or_are_refused() {
    let seed = 0x6368_616e;
    let mut base = UnitDoc::genesis(&"P".into(), &"B1-0101".into());
    let base_bytes = base.save();
    let heads = base.heads();
    let mut edited = real_unit();
    let changes = edited.automerge().save_after(&heads);
    let mut check = AutoCommit::load(&base_bytes).unwrap();
    check.load_incremental(&changes).unwrap();
    assert!(UnitDoc::from_automerge(check).unwrap().read().unwrap().defects.len() == 1, "the seed changes apply");
    let mut m = Mutator::new(seed);
    for case in 0..CASES {
        let input = m.mutate(&changes);
        let _case = Case { target: "unit changes", seed, case, input: &input };
        let mut doc = AutoCommit::load(&base_bytes).unwrap();
        if doc.load_incremental(&input).is_ok() {
            read_unit(doc);
        }
    }
}
