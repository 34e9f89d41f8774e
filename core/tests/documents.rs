//! The unit and project documents: round trip, and what happens when
//! inspectors and contractors edit offline at the same time.

mod common;
use common::*;
use walkthrough_core::defect::*;
use walkthrough_core::doc::{DefectEdit, ProjectDoc, UnitDoc};
use walkthrough_core::model::*;
use walkthrough_core::rules::{Outcome, UnitStatus};
use walkthrough_core::*;

fn unit_doc(actor: &[u8]) -> UnitDoc {
    let mut d = UnitDoc::genesis(&"P".into(), &"B1-0101".into());
    d.set_actor(automerge::ActorId::from(actor));
    d
}

/// Two tablets that both start the unit document offline.
fn two_tablets() -> (UnitDoc, UnitDoc) {
    (unit_doc(b"tablet-a"), unit_doc(b"tablet-b"))
}

fn sync(a: &mut UnitDoc, b: &mut UnitDoc) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
    assert_eq!(a.heads(), b.heads());
}

fn photo(hash: &str, marks: Vec<Shape>) -> Photo {
    Photo {
        hash: hash.into(),
        added_by: "insp-a".into(),
        added_at: at(0),
        marks: marks
            .into_iter()
            .enumerate()
            .map(|(i, shape)| {
                let id = MarkId::from_parts(1, [i as u8; 10]);
                (id, Mark { id, shape })
            })
            .collect(),
    }
}

fn full_defect() -> Defect {
    let mut d = defect("B1-0101", "leak", 1, at(0));
    d.pin = Some(Point { x: 0.25, y: 0.75 });
    d.root_cause = Some("design".into());
    d.root_cause_note = Some("drain placed at the high side".into());
    d.photos.insert(
        "ab12".into(),
        photo(
            "ab12",
            vec![
                Shape::Circle { center: Point { x: 0.5, y: 0.5 }, radius: 0.1 },
                Shape::Arrow { from: Point { x: 0.1, y: 0.1 }, to: Point { x: 0.45, y: 0.45 } },
                Shape::Label { at: Point { x: 0.6, y: 0.4 }, text: "积水".into() },
            ],
        ),
    );
    d.events = vec![assigned(1, "c-water", 49, 1)];
    d
}

#[test]
fn genesis_is_identical_everywhere() {
    let (mut a, mut b) = two_tablets();
    assert_eq!(a.heads(), b.heads());
    let mut other_unit = UnitDoc::genesis(&"P".into(), &"B1-0201".into());
    assert_ne!(a.heads(), other_unit.heads());
}

#[test]
fn unit_round_trip() {
    let (mut a, _) = two_tablets();
    let d = full_defect();
    a.add_defect(&d).unwrap();
    let key = ResultKey { room: "bath".into(), item: "BTH-01".into() };
    a.record_result(RoundNo(1), &key, Outcome::Fail, &"insp-a".into(), at(0), Some("see defect")).unwrap();
    let bytes = a.save();
    let loaded = UnitDoc::load(&bytes).unwrap();
    let rec = loaded.read().unwrap();
    assert_eq!(rec.unit.as_str(), "B1-0101");
    assert_eq!(rec.defects[&d.id], d);
    let r = &rec.results[&(RoundNo(1), key)];
    assert_eq!((r.outcome, r.by.as_str(), r.note.as_deref()), (Outcome::Fail, "insp-a", Some("see defect")));
}

#[test]
fn loading_something_else_is_a_clear_error() {
    let mut p = ProjectDoc::genesis(&"P".into());
    let err = UnitDoc::load(&p.save()).err().unwrap().to_string();
    assert!(err.contains("not a Walkthrough unit document"), "{err}");
    assert!(UnitDoc::load(b"garbage").is_err());
}

#[test]
fn two_inspectors_adding_defects_to_one_unit_keep_both() {
    let (mut a, mut b) = two_tablets();
    let da = defect("B1-0101", "leak", 1, at(0));
    let mut db = defect("B1-0101", "tile", 1, at(1));
    db.room = "kit".into();
    a.add_defect(&da).unwrap();
    b.add_defect(&db).unwrap();
    sync(&mut a, &mut b);
    let (ra, rb) = (a.read().unwrap(), b.read().unwrap());
    assert_eq!(ra, rb);
    assert_eq!(ra.defects.len(), 2);
}

#[test]
fn a_retried_create_never_duplicates() {
    let (mut a, mut b) = two_tablets();
    let d = defect("B1-0101", "leak", 1, at(0));
    a.add_defect(&d).unwrap();
    assert!(matches!(a.add_defect(&d), Err(Error::DuplicateDefect(_))));
    // The same change delivered twice (a retried sync) is applied once.
    let mut copy = UnitDoc::load(&a.save()).unwrap();
    b.merge(&mut copy).unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(b.read().unwrap().defects.len(), 1);
}

#[test]
fn editing_different_fields_of_one_defect_keeps_both() {
    let (mut a, mut b) = two_tablets();
    let d = defect("B1-0101", "leak", 1, at(0));
    a.add_defect(&d).unwrap();
    sync(&mut a, &mut b);
    a.edit_defect(
        d.id,
        &DefectEdit::Description("water pools 5 mm deep".into()),
        event_id(at(2)),
        &"insp-a".into(),
        at(2),
        RoundNo(1),
    )
    .unwrap();
    b.edit_defect(
        d.id,
        &DefectEdit::Severity(Severity::Critical),
        event_id(at(3)),
        &"insp-b".into(),
        at(3),
        RoundNo(1),
    )
    .unwrap();
    sync(&mut a, &mut b);
    let got = a.read_defect(d.id).unwrap();
    assert_eq!(got.description, "water pools 5 mm deep");
    assert_eq!(got.severity, Severity::Critical);
    assert_eq!(got.events.iter().filter(|e| matches!(e.kind, EventKind::Edited { .. })).count(), 2);
    assert_eq!(b.read_defect(d.id).unwrap(), got);
}

#[test]
fn editing_the_same_field_is_deterministic_and_the_loser_stays_visible() {
    let (mut a, mut b) = two_tablets();
    let d = defect("B1-0101", "leak", 1, at(0));
    a.add_defect(&d).unwrap();
    sync(&mut a, &mut b);
    a.edit_defect(d.id, &DefectEdit::Spot("north wall".into()), event_id(at(2)), &"insp-a".into(), at(2), RoundNo(1))
        .unwrap();
    b.edit_defect(d.id, &DefectEdit::Spot("south wall".into()), event_id(at(3)), &"insp-b".into(), at(3), RoundNo(1))
        .unwrap();
    // Merge in both directions: the same winner either way.
    let mut a2 = UnitDoc::load(&a.save()).unwrap();
    let mut b2 = UnitDoc::load(&b.save()).unwrap();
    a.merge(&mut b2).unwrap();
    b.merge(&mut a2).unwrap();
    let (sa, sb) = (a.read_defect(d.id).unwrap().spot, b.read_defect(d.id).unwrap().spot);
    assert_eq!(sa, sb);
    // Both values are still there: as a visible conflict on the field…
    let mut values = a.field_values(d.id, "spot").unwrap();
    assert_eq!(values[0], sa);
    values.sort();
    assert_eq!(values, ["north wall", "south wall"]);
    // The value shown is the latest edit in the history (insp-b's, at 3),
    // whichever actor Automerge's own rule would have picked.
    assert_eq!(sa, "south wall");
    // …and both are in the defect's history, with author and time.
    let edits: Vec<(String, String)> = a
        .read_defect(d.id)
        .unwrap()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Edited { field, value } if field == "spot" => Some((e.by.0.clone(), value.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(edits, [("insp-a".into(), "north wall".into()), ("insp-b".into(), "south wall".into())]);
}

#[test]
fn recheck_and_fixed_report_crossing_keep_both_events() {
    // Round 2: the contractor reports the fix from the server side while an
    // inspector, offline in the basement, rechecks and finds it still failing.
    let (mut tablet, mut server) = two_tablets();
    let d = full_defect();
    tablet.add_defect(&d).unwrap();
    sync(&mut tablet, &mut server);
    server.add_event(d.id, &fixed(790, 1)).unwrap();
    tablet.add_event(d.id, &recheck(800, 2, false, Some(848))).unwrap();
    sync(&mut tablet, &mut server);
    let got = tablet.read_defect(d.id).unwrap();
    assert_eq!(got.events.len(), 3, "no event lost");
    let lc = got.lifecycle();
    // Defined outcome: the report predates the recheck, so the recheck failed
    // that attempt; the item is back with the contractor with a new deadline.
    assert_eq!(lc.status, DefectStatus::FailedRecheck);
    assert_eq!(lc.attempts[0].reported_fixed_at, Some(at(790)));
    assert_eq!(lc.current_deadline(), Some(at(848)));
    assert_eq!(server.read_defect(d.id).unwrap().lifecycle(), lc);
}

#[test]
fn concurrent_results_for_one_item_show_the_latest_and_keep_both() {
    let (mut a, mut b) = two_tablets();
    let key = ResultKey { room: "kit".into(), item: "KIT-01".into() };
    a.record_result(RoundNo(1), &key, Outcome::Pass, &"insp-a".into(), at(2), None).unwrap();
    b.record_result(RoundNo(1), &key, Outcome::Fail, &"insp-b".into(), at(1), Some("hollow")).unwrap();
    sync(&mut a, &mut b);
    for doc in [&a, &b] {
        let r = doc.read().unwrap().results[&(RoundNo(1), key.clone())].clone();
        assert_eq!((r.outcome, r.by.as_str()), (Outcome::Pass, "insp-a"));
        let all: Vec<(Outcome, String)> =
            doc.result_values(RoundNo(1), &key).unwrap().into_iter().map(|r| (r.outcome, r.by.0)).collect();
        assert_eq!(all, [(Outcome::Pass, "insp-a".into()), (Outcome::Fail, "insp-b".into())]);
    }
}

#[test]
fn category_and_its_reason_change_together() {
    let (mut a, mut b) = two_tablets();
    let d = defect("B1-0101", "leak", 1, at(0));
    a.add_defect(&d).unwrap();
    sync(&mut a, &mut b);
    let other = DefectEdit::Category { category: "other".into(), other_reason: Some("井道门变形".into()) };
    a.edit_defect(d.id, &other, event_id(at(2)), &"insp-a".into(), at(2), RoundNo(1)).unwrap();
    let tile = DefectEdit::Category { category: "tile".into(), other_reason: None };
    b.edit_defect(d.id, &tile, event_id(at(3)), &"insp-b".into(), at(3), RoundNo(1)).unwrap();
    sync(&mut a, &mut b);
    let got = a.read_defect(d.id).unwrap();
    // Never "tile" with the reason meant for "other".
    assert_eq!((got.category.as_str(), got.other_reason.as_deref()), ("tile", None));
    let (mut c, _) = two_tablets();
    c.add_defect(&d).unwrap();
    c.edit_defect(d.id, &other, event_id(at(4)), &"insp-a".into(), at(4), RoundNo(1)).unwrap();
    let got = c.read_defect(d.id).unwrap();
    assert_eq!((got.category.as_str(), got.other_reason.as_deref()), ("other", Some("井道门变形")));
}

#[test]
fn a_closed_defect_cannot_be_edited() {
    let (mut a, _) = two_tablets();
    let d = defect("B1-0101", "leak", 1, at(0));
    a.add_defect(&d).unwrap();
    a.add_event(d.id, &recheck(800, 2, true, None)).unwrap();
    let err = a
        .edit_defect(
            d.id,
            &DefectEdit::Severity(Severity::Minor),
            event_id(at(801)),
            &"insp-a".into(),
            at(801),
            RoundNo(2),
        )
        .unwrap_err();
    assert!(matches!(err, Error::DefectClosed(_, "verified")), "{err}");
    assert_eq!(a.read_defect(d.id).unwrap().severity, Severity::Major);
}

/// Three replicas edit offline and exchange their documents in a random
/// order, with messages repeated and some merges skipped, many times over:
/// they always end identical, with every defect and event exactly once.
#[test]
fn three_replicas_converge_whatever_the_merge_order() {
    for seed in 0..20u64 {
        let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        let mut docs: Vec<UnitDoc> = (0..3).map(|i| unit_doc(&[b't', i as u8])).collect();
        let base = defect("B1-0101", "leak", 1, at(0));
        docs[0].add_defect(&base).unwrap();
        let seed_bytes = docs[0].save();
        for d in docs.iter_mut().skip(1) {
            d.merge(&mut UnitDoc::load(&seed_bytes).unwrap()).unwrap();
        }
        let mut expected_defects = 1;
        let mut expected_events = 0;
        for step in 0..30i64 {
            let who = next(3);
            match next(4) {
                0 => {
                    docs[who].add_defect(&defect("B1-0101", "tile", 1, at(step))).unwrap();
                    expected_defects += 1;
                }
                1 => {
                    docs[who].add_event(base.id, &fixed(step, 1)).unwrap();
                    expected_events += 1;
                }
                2 => {
                    let edit = DefectEdit::Spot(format!("spot {step} by {who}"));
                    docs[who]
                        .edit_defect(base.id, &edit, event_id(at(step)), &"insp-a".into(), at(step), RoundNo(1))
                        .unwrap();
                    expected_events += 1;
                }
                _ => {
                    // Deliver one replica's state to another, sometimes twice.
                    let (from, to) = (next(3), next(3));
                    if from != to {
                        let bytes = docs[from].save();
                        for _ in 0..1 + next(2) {
                            docs[to].merge(&mut UnitDoc::load(&bytes).unwrap()).unwrap();
                        }
                    }
                }
            }
        }
        // Finally everyone hears from everyone, in a random order.
        for _ in 0..2 {
            for from in 0..3 {
                let to = (from + 1 + next(2)) % 3;
                let bytes = docs[from].save();
                docs[to].merge(&mut UnitDoc::load(&bytes).unwrap()).unwrap();
            }
            for i in 0..3 {
                for j in 0..3 {
                    if i != j {
                        let bytes = docs[j].save();
                        docs[i].merge(&mut UnitDoc::load(&bytes).unwrap()).unwrap();
                    }
                }
            }
        }
        let records: Vec<_> = docs.iter().map(|d| d.read().unwrap()).collect();
        assert_eq!(records[0], records[1], "seed {seed}");
        assert_eq!(records[1], records[2], "seed {seed}");
        assert_eq!(records[0].defects.len(), expected_defects, "seed {seed}");
        assert_eq!(records[0].defects[&base.id].events.len(), expected_events, "seed {seed}");
    }
}

#[test]
fn marks_are_vectors_added_and_removed_concurrently() {
    let (mut a, mut b) = two_tablets();
    let d = full_defect();
    a.add_defect(&d).unwrap();
    sync(&mut a, &mut b);
    let hash = PhotoHash::from("ab12");
    let first = *d.photos[&hash].marks.keys().next().unwrap();
    let new_mark = Mark {
        id: MarkId::from_parts(2, [9; 10]),
        shape: Shape::Label { at: Point { x: 0.2, y: 0.2 }, text: "空鼓".into() },
    };
    a.put_mark(d.id, &hash, &new_mark, &"insp-a".into(), at(5)).unwrap();
    b.delete_mark(d.id, &hash, first, &"insp-b".into(), at(6)).unwrap();
    sync(&mut a, &mut b);
    let marks = &a.read_defect(d.id).unwrap().photos[&hash].marks;
    assert_eq!(marks.len(), 3);
    assert!(marks.contains_key(&new_mark.id) && !marks.contains_key(&first));
    let bad = Mark {
        id: MarkId::from_parts(3, [1; 10]),
        shape: Shape::Circle { center: Point { x: 1.5, y: 0.5 }, radius: 0.1 },
    };
    let err = a.put_mark(d.id, &hash, &bad, &"insp-a".into(), at(7)).unwrap_err().to_string();
    assert!(err.contains("not a valid shape"), "{err}");
}

#[test]
fn unit_status_from_the_document() {
    let p = project();
    let mut a = unit_doc(b"tablet-a");
    let unit: UnitId = "B1-0101".into();
    let status = |d: &UnitDoc, r: u32| d.read().unwrap().status(&p, RoundNo(r));
    assert_eq!(status(&a, 1), UnitStatus::NotStarted);
    let keys: Vec<ResultKey> = p.checklist(&unit).iter().map(|e| e.key()).collect();
    a.record_result(RoundNo(1), &keys[0], Outcome::Pass, &"insp-a".into(), at(1), None).unwrap();
    assert_eq!(status(&a, 1), UnitStatus::InProgress);
    a.record_result(RoundNo(1), &keys[1], Outcome::NotApplicable, &"insp-a".into(), at(1), None).unwrap();
    a.record_result(RoundNo(1), &keys[2], Outcome::Fail, &"insp-a".into(), at(1), None).unwrap();
    let d = defect("B1-0101", "leak", 1, at(1));
    a.add_defect(&d).unwrap();
    assert_eq!(status(&a, 1), UnitStatus::DoneWithOpenDefects);
    // Round 2 must recheck the open defect before the unit is done.
    for k in &keys {
        a.record_result(RoundNo(2), k, Outcome::Pass, &"insp-a".into(), at(800), None).unwrap();
    }
    assert_eq!(status(&a, 2), UnitStatus::InProgress);
    a.add_event(d.id, &recheck(801, 2, true, None)).unwrap();
    assert_eq!(status(&a, 2), UnitStatus::Done);
}

#[test]
fn project_round_trip() {
    let p = project();
    let mut doc = ProjectDoc::import(&p, &"cs".into(), at(0)).unwrap();
    let loaded = ProjectDoc::load(&doc.save()).unwrap();
    assert_eq!(loaded.read().unwrap(), p);
    assert!(ProjectDoc::genesis(&"P".into()).heads() == ProjectDoc::genesis(&"P".into()).heads());
}

#[test]
fn project_edits_merge_field_by_field() {
    let p = project();
    let mut a = ProjectDoc::import(&p, &"cs".into(), at(0)).unwrap();
    let mut b = ProjectDoc::load(&a.save()).unwrap();
    // One admin changes a category's deadline, another renames it and adds a building.
    a.edit(&"cs".into(), at(1), |p| p.categories.get_mut(&CategoryId::from("leak")).unwrap().deadline_hours = 24)
        .unwrap();
    b.edit(&"cs".into(), at(2), |p| {
        p.categories.get_mut(&CategoryId::from("leak")).unwrap().name.en = "Water leak".into();
        p.buildings.insert("B3".into(), Building { id: "B3".into(), name: i18n("B3"), floors: 5, engineer: None });
    })
    .unwrap();
    a.merge(&mut b).unwrap();
    let merged = a.read().unwrap();
    let leak = &merged.categories[&CategoryId::from("leak")];
    assert_eq!((leak.deadline_hours, leak.name.en.as_str()), (24, "Water leak"));
    assert!(merged.buildings.contains_key(&BuildingId::from("B3")));
    // An edit that changes nothing makes no change at all.
    let heads = a.heads();
    a.edit(&"cs".into(), at(3), |_| {}).unwrap();
    assert_eq!(a.heads(), heads);
    // An invalid edit is refused and leaves the document as it was.
    let err =
        a.edit(&"cs".into(), at(4), |p| p.units.values_mut().next().unwrap().unit_type = "nope".into()).unwrap_err();
    assert!(err.to_string().contains("unit type `nope` does not exist"), "{err}");
    assert_eq!(a.heads(), heads);
}

#[test]
fn room_outlines_are_kept_moved_and_cleared_in_the_project_document() {
    use walkthrough_core::setup::{ProjectEdit, RoomOutline};
    let p = project();
    let mut doc = ProjectDoc::import(&p, &"cs".into(), at(0)).unwrap();
    let outline = |points: &[(f64, f64)]| points.iter().map(|&(x, y)| Point { x, y }).collect::<Vec<_>>();
    let set = |room: &str, points: Vec<Point>| ProjectEdit::SetRoomOutlines {
        unit_type: "T".into(),
        outlines: vec![RoomOutline { room: room.into(), outline: points }],
    };
    let tri = outline(&[(0.1, 0.1), (0.4, 0.1), (0.2, 0.5)]);
    // Read back from the saved bytes, as another replica would.
    let outline_of = |doc: &mut ProjectDoc| {
        let p = ProjectDoc::load(&doc.save()).unwrap().read().unwrap();
        let t = &p.unit_types[&UnitTypeId::from("T")];
        (t.room(&"kit".into()).unwrap().outline.clone(), t.room(&"kit".into()).unwrap().plan_area)
    };
    doc.edit(&"cs".into(), at(1), |p| set("kit", tri.clone()).apply(p).unwrap()).unwrap();
    assert_eq!(outline_of(&mut doc), (tri.clone(), None), "drawn: it replaces the rectangle");
    let moved = outline(&[(0.2, 0.1), (0.5, 0.1), (0.3, 0.5)]);
    doc.edit(&"cs".into(), at(2), |p| set("kit", moved.clone()).apply(p).unwrap()).unwrap();
    assert_eq!(outline_of(&mut doc).0, moved);
    doc.edit(&"cs".into(), at(3), |p| set("kit", vec![]).apply(p).unwrap()).unwrap();
    assert_eq!(outline_of(&mut doc), (vec![], None), "cleared");
}

#[test]
fn concurrent_additions_to_project_lists_are_all_kept() {
    let p = project();
    let mut a = ProjectDoc::import(&p, &"cs".into(), at(0)).unwrap();
    let mut b = ProjectDoc::load(&a.save()).unwrap();
    let t = |u: &str| UnitTypeId::from(u);
    a.edit(&"cs".into(), at(1), |p| {
        p.trade_assignments.push(TradeAssignment {
            trade: "painting".into(),
            building: None,
            contractor: "c-tile".into(),
        });
        p.contractors.get_mut(&ContractorId::from("c-water")).unwrap().trades.push("painting".into());
        let plan = p.rounds.get_mut(&RoundNo(1)).unwrap();
        plan.assignments.push(RoundAssignment {
            inspector: "cs".into(),
            buildings: vec![],
            units: vec!["B1-0101".into()],
        });
        p.unit_types.get_mut(&t("T")).unwrap().materials.push(Material {
            element: "sink".into(),
            name: i18n("sink"),
            spec: String::new(),
            supplier: "s-cab".into(),
            supplier_installs: true,
        });
    })
    .unwrap();
    b.edit(&"cs".into(), at(2), |p| {
        p.trade_assignments.push(TradeAssignment {
            trade: "painting".into(),
            building: Some("B2".into()),
            contractor: "c-tile-b2".into(),
        });
        p.contractors.get_mut(&ContractorId::from("c-water")).unwrap().trades.push("tiling".into());
        p.rounds.get_mut(&RoundNo(1)).unwrap().assignments[0].units.push("B2-0101".into());
        p.unit_types.get_mut(&t("T")).unwrap().materials.push(Material {
            element: "hood".into(),
            name: i18n("hood"),
            spec: String::new(),
            supplier: "s-cab".into(),
            supplier_installs: true,
        });
    })
    .unwrap();
    a.merge(&mut b).unwrap();
    let m = a.read().unwrap();
    assert_eq!(m.trade_assignments.iter().filter(|x| x.trade.as_str() == "painting").count(), 2);
    let trades: Vec<&str> = m.contractors[&ContractorId::from("c-water")].trades.iter().map(|t| t.as_str()).collect();
    assert_eq!(trades.len(), 3, "{trades:?}");
    assert!(trades.contains(&"painting") && trades.contains(&"tiling"));
    let plan = &m.rounds[&RoundNo(1)];
    assert_eq!(plan.assignments.len(), 3);
    assert_eq!(
        plan.assignments.iter().find(|x| x.inspector.as_str() == "insp-a").unwrap().units,
        ["B2-0101".into()] as [UnitId; 1]
    );
    let elements: Vec<&str> = m.unit_types[&t("T")].materials.iter().map(|x| x.element.as_str()).collect();
    assert!(elements.contains(&"sink") && elements.contains(&"hood"), "{elements:?}");
}

#[test]
fn the_first_entries_of_empty_lists_added_concurrently_are_both_kept() {
    let mut p = project();
    p.unit_types.get_mut(&UnitTypeId::from("T")).unwrap().materials.clear();
    let mut a = ProjectDoc::import(&p, &"cs".into(), at(0)).unwrap();
    let mut b = ProjectDoc::load(&a.save()).unwrap();
    let add = |element: &'static str| {
        move |p: &mut Project| {
            p.unit_types.get_mut(&UnitTypeId::from("T")).unwrap().materials.push(Material {
                element: element.into(),
                name: i18n(element),
                spec: String::new(),
                supplier: "s-cab".into(),
                supplier_installs: true,
            })
        }
    };
    a.edit(&"cs".into(), at(1), add("sink")).unwrap();
    b.edit(&"cs".into(), at(2), add("hood")).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.read().unwrap().unit_types[&UnitTypeId::from("T")].materials.len(), 2);
}

#[test]
fn reading_one_round_sees_only_its_results_and_every_defect() {
    let (mut a, _) = two_tablets();
    for round in [1, 2, 3, 10, 30] {
        let key = ResultKey { room: "kit".into(), item: "KIT-01".into() };
        a.record_result(RoundNo(round), &key, Outcome::Pass, &"insp-a".into(), at(round.into()), None).unwrap();
    }
    a.add_defect(&defect("B1-0101", "leak", 1, at(0))).unwrap();
    let r3 = a.read_round(RoundNo(3)).unwrap();
    assert_eq!(r3.results.keys().map(|(r, _)| r.0).collect::<Vec<_>>(), [3]);
    assert_eq!(r3.defects.len(), 1);
    assert_eq!(a.read_round(RoundNo(1)).unwrap().results.len(), 1);
    assert_eq!(a.read().unwrap().results.len(), 5);
}

#[test]
fn the_latest_edit_wins_even_against_automerges_own_choice() {
    // Automerge alone would show tablet-b's value (the greater actor); the
    // history says tablet-a edited last, and that is what everyone sees.
    let (mut a, mut b) = two_tablets();
    let d = defect("B1-0101", "leak", 1, at(0));
    a.add_defect(&d).unwrap();
    sync(&mut a, &mut b);
    b.edit_defect(d.id, &DefectEdit::Spot("south wall".into()), event_id(at(2)), &"insp-b".into(), at(2), RoundNo(1))
        .unwrap();
    a.edit_defect(d.id, &DefectEdit::Spot("north wall".into()), event_id(at(5)), &"insp-a".into(), at(5), RoundNo(1))
        .unwrap();
    sync(&mut a, &mut b);
    assert_eq!(b.field_values(d.id, "spot").unwrap()[0], "south wall", "Automerge's own winner");
    assert_eq!(a.read_defect(d.id).unwrap().spot, "north wall");
    assert_eq!(b.read().unwrap().defects[&d.id].spot, "north wall");
}

#[test]
fn marks_survive_their_stored_form() {
    let shapes = [
        Shape::Circle { center: Point { x: 0.5, y: 0.25 }, radius: 0.125 },
        Shape::Arrow { from: Point { x: 0.0, y: 1.0 }, to: Point { x: 0.3333333333333333, y: 0.1 } },
        Shape::Label { at: Point { x: 0.9, y: 0.05 }, text: "空鼓 2 处 / hollow x2".into() },
    ];
    for s in shapes {
        assert_eq!(Shape::decode(&s.encode()), Some(s.clone()), "{}", s.encode());
    }
    assert_eq!(Shape::decode("circle 0.5"), None);
    assert_eq!(Shape::decode("square 1 2 3"), None);
}

#[test]
fn each_event_names_the_device_that_wrote_it_from_the_document_itself() {
    use walkthrough_core::doc::writers::{origin_of, Origin};
    // Tablet A records a defect (with an initial event); tablet B, offline,
    // rechecks it while the server (acting for the CS center) sends it out.
    let (mut a, mut b) = two_tablets();
    let d = full_defect();
    a.add_defect(&d).unwrap();
    sync(&mut a, &mut b);
    let mut server = UnitDoc::load(&a.save()).unwrap();
    server.set_actor(automerge::ActorId::from(b"user:u-cs-wang".as_slice()));
    let sent = assigned(60, "c-water", 100, 1);
    server.add_event(d.id, &sent).unwrap();
    let checked = recheck(800, 2, false, Some(848));
    b.add_event(d.id, &checked).unwrap();
    sync(&mut a, &mut b);
    a.merge(&mut server).unwrap();

    let hex = |actor: &[u8]| automerge::ActorId::from(actor).to_hex_string();
    let tablet_a = Origin::Device { actor: hex(b"tablet-a") };
    let tablet_b = Origin::Device { actor: hex(b"tablet-b") };
    // Read from a replica that merged everything, and from its saved bytes
    // (data synced before anyone asked, say): the same writers.
    let reloaded = UnitDoc::load(&a.save()).unwrap();
    for doc in [&a, &reloaded] {
        let w = doc.writers().unwrap();
        assert_eq!(w.defect(d.id), Some(&tablet_a));
        assert_eq!(w.event(d.events[0].id), Some(&tablet_a), "the initial event came with the defect");
        assert_eq!(w.event(checked.id), Some(&tablet_b));
        assert_eq!(w.event(sent.id), Some(&Origin::Server { party: "user:u-cs-wang".into() }));
        assert_eq!(w.events.len(), 3);
    }
    assert_eq!(origin_of(&automerge::ActorId::from(walkthrough_core::doc::GENESIS_ACTOR)), Origin::Genesis);
}
