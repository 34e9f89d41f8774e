//! Fuzz target (fixed budget, part of `cargo test`): the request bodies the
//! server decodes (JSON with base64 Automerge bytes), from mutated real
//! requests. Each must decode or be refused, and what decodes must encode
//! again; a panic fails the test and prints the case to keep.

mod common;
#[path = "../../fixtures/src/mutate.rs"]
mod mutate;
// (The mutator's generator; the core may not depend on the fixtures crate.)
#[allow(dead_code)]
#[path = "../../fixtures/src/rng.rs"]
mod rng;

use common::*;
use mutate::{Case, Mutator};
use serde::de::DeserializeOwned;
use serde::Serialize;
use walkthrough_core::doc::{DocKey, UnitDoc};
use walkthrough_core::setup::ProjectEdit;
use walkthrough_core::wire::dashboard::AcceptRiskRequest;
use walkthrough_core::wire::dispatch::{AssignRequest, FixedRequest, NewLinkRequest};
use walkthrough_core::wire::*;
use walkthrough_core::*;

const CASES: usize = 3_000;

fn exchange() -> ExchangeRequest {
    let mut doc = UnitDoc::genesis(&"P".into(), &"B1-0101".into());
    doc.add_defect(&defect("B1-0101", "leak", 1, at(0))).unwrap();
    let heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
    ExchangeRequest {
        project: "P".into(),
        docs: vec![
            DocPush { doc: DocKey::Unit("P".into(), "B1-0101".into()), have: heads, changes: doc.save() },
            DocPush { doc: DocKey::Project("P".into()), have: vec![], changes: vec![] },
        ],
    }
}

/// Decode mutations of `seed` as `T`; whatever decodes is encoded again.
fn fuzz<T: Serialize + DeserializeOwned>(target: &str, seed: u64, value: &T) {
    let bytes = serde_json::to_vec(value).unwrap();
    assert!(serde_json::from_slice::<T>(&bytes).is_ok(), "{target}: the seed decodes");
    let mut m = Mutator::new(seed);
    for case in 0..CASES {
        let input = m.mutate(&bytes);
        let _case = Case { target, seed, case, input: &input };
        if let Ok(v) = serde_json::from_slice::<T>(&input) {
            serde_json::to_vec(&v).unwrap();
        }
    }
}

#[test]
fn sync_requests_decode_or_are_refused() {
    fuzz("exchange request", 1, &exchange());
    fuzz(
        "manifest request",
        2,
        &ManifestRequest {
            project: "P".into(),
            cursor: 42,
            device: Some(DeviceHello { actor: "00ff".into(), name: Some("li-tablet".into()) }),
        },
    );
    fuzz("login request", 3, &LoginRequest { username: "u-insp-li".into(), password: "demo".into() });
}

#[test]
fn console_and_dispatch_requests_decode_or_are_refused() {
    let p = project();
    let building = p.buildings.values().next().unwrap().clone();
    let unit_type = p.unit_types.values().next().unwrap().clone();
    let edits = EditRequest {
        edits: vec![
            ProjectEdit::SetInfo { name: p.name.clone(), handover_date: p.handover_date },
            ProjectEdit::PutBuilding { building },
            ProjectEdit::PutUnitType { unit_type },
        ],
    };
    fuzz("edit request", 4, &edits);
    fuzz(
        "new project request",
        5,
        &NewProjectRequest {
            id: "P2".into(),
            name: p.name.clone(),
            handover_date: p.handover_date,
            time_zone: None,
            library: None,
        },
    );
    fuzz(
        "invite request",
        6,
        &InviteRequest {
            username: "u-new".into(), name: "新人".into(), role: model::Role::Inspector, org: "x".into()
        },
    );
    fuzz("assign request", 7, &AssignRequest { contractor: "c-water".into(), reason: "crew left".into() });
    fuzz("link request", 8, &NewLinkRequest { contractor: "c-water".into(), days: Some(7) });
    fuzz("fixed request", 9, &FixedRequest { note: "done".into(), photo: Some(PhotoHash::new("ab".repeat(32))) });
    fuzz(
        "accept-risk request",
        10,
        &AcceptRiskRequest {
            unified_answer: model::I18nText::new("说明", "answer"), contingency_plan: "plan".into()
        },
    );
}
