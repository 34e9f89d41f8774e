//! The tablet store: documents with their read model in one transaction,
//! reopened from disk, compacted, merged from the server without duplicates.

use walkthrough_client::Store;
use walkthrough_core::defect::*;
use walkthrough_core::doc::{DocKey, ProjectDoc};
use walkthrough_core::model::*;
use walkthrough_core::rules::{Outcome, UnitStatus};
use walkthrough_core::*;

fn t(h: i64) -> Time {
    time::parse("2026-07-20T08:00:00Z") + chrono::Duration::hours(h)
}

fn demo() -> Project {
    walkthrough_fixtures::demo_project()
}

/// A store holding the demo project, as after a first sync.
fn store_with_project(path: &std::path::Path) -> (Store, Project) {
    let p = demo();
    let mut store = Store::open(path).unwrap();
    let mut doc = ProjectDoc::import(&p, &"cs".into(), t(0)).unwrap();
    let heads = doc.heads();
    store.apply_remote(&DocKey::Project(p.id.clone()), &doc.save(), &heads).unwrap();
    (store, p)
}

fn new_defect(p: &Project, unit: &UnitId, n: u8) -> Defect {
    let entry = &p.checklist(unit)[n as usize];
    let id = DefectId::from_parts(t(1).timestamp_millis() as u64, [n; 10]);
    let mut d = walkthrough_core::rules::draft_defect(p, unit, entry, id, &"u-insp-li".into(), t(1), RoundNo(1));
    d.spot = "门口左侧".into();
    d.pin = Some(Point { x: 0.3, y: 0.4 });
    d.description = format!("{} 不合格", entry.item.title.zh);
    d
}

#[test]
fn an_edit_is_stored_with_its_read_model_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tablet.sqlite");
    let (mut store, p) = store_with_project(&path);
    let unit = p.units.keys().next().unwrap().clone();
    let d = new_defect(&p, &unit, 0);
    let key = p.checklist(&unit)[0].key();
    store
        .edit_unit(&p.id, &unit, |doc| {
            doc.record_result(RoundNo(1), &key, Outcome::Fail, &"u-insp-li".into(), t(1), None)?;
            doc.add_defect(&d)
        })
        .unwrap();
    assert_eq!(store.defect_rows(&p.id, &unit).unwrap().len(), 1);
    assert_eq!(store.unit_statuses(&p.id, RoundNo(1)).unwrap()[&unit], UnitStatus::InProgress);
    let actor = store.actor().clone();
    drop(store);

    let mut again = Store::open(&path).unwrap();
    assert_eq!(again.actor(), &actor, "the device keeps its identity");
    let rec = again.unit(&p.id, &unit).unwrap();
    assert_eq!(rec.defects[&d.id], d);
    assert_eq!(again.defect_rows(&p.id, &unit).unwrap()[0].id, d.id);
    assert!(again.dirty_docs(&p.id).unwrap().contains(&DocKey::Unit(p.id.clone(), unit.clone())));
}

#[test]
fn a_failed_edit_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, p) = store_with_project(&dir.path().join("t.sqlite"));
    let unit = p.units.keys().next().unwrap().clone();
    let d = new_defect(&p, &unit, 0);
    store.edit_unit(&p.id, &unit, |doc| doc.add_defect(&d)).unwrap();
    let key = DocKey::Unit(p.id.clone(), unit.clone());
    let heads = store.heads(&key).unwrap();
    let err = store
        .edit_unit(&p.id, &unit, |doc| {
            doc.add_defect(&new_defect(&p, &unit, 1))?;
            doc.add_defect(&d) // a duplicate: the whole edit fails
        })
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(store.heads(&key).unwrap(), heads);
    store.clear_cache();
    assert_eq!(store.unit(&p.id, &unit).unwrap().defects.len(), 1);
    assert_eq!(store.defect_rows(&p.id, &unit).unwrap().len(), 1);
}

#[test]
fn many_edits_are_compacted_into_a_snapshot_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite");
    let (mut store, p) = store_with_project(&path);
    let unit = p.units.keys().next().unwrap().clone();
    let key = DocKey::Unit(p.id.clone(), unit.clone());
    let lines: Vec<ResultKey> = p.checklist(&unit).iter().map(|e| e.key()).collect();
    for (i, line) in lines.iter().enumerate() {
        store
            .edit_unit(&p.id, &unit, |doc| {
                doc.record_result(RoundNo(1), line, Outcome::Pass, &"u".into(), t(i as i64), None)
            })
            .unwrap();
    }
    assert!(lines.len() > 64);
    assert!(store.chunk_count(&key).unwrap() < 64, "compacted");
    drop(store);
    let mut again = Store::open(&path).unwrap();
    assert_eq!(again.unit(&p.id, &unit).unwrap().results.len(), lines.len());
    assert_eq!(again.unit_statuses(&p.id, RoundNo(1)).unwrap()[&unit], UnitStatus::Done);
}

#[test]
fn remote_changes_merge_once_and_dirty_tracks_what_the_server_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, p) = store_with_project(&dir.path().join("a.sqlite"));
    let (mut b, _) = store_with_project(&dir.path().join("b.sqlite"));
    let unit = p.units.keys().next().unwrap().clone();
    let key = DocKey::Unit(p.id.clone(), unit.clone());
    a.edit_unit(&p.id, &unit, |doc| doc.add_defect(&new_defect(&p, &unit, 0))).unwrap();
    b.edit_unit(&p.id, &unit, |doc| doc.add_defect(&new_defect(&p, &unit, 1))).unwrap();
    // b plays the server: it receives a's changes twice (a retried request).
    let from_a = a.changes_since(&key, &[]).unwrap();
    let a_heads = a.heads(&key).unwrap();
    b.apply_remote(&key, &from_a, &a_heads).unwrap();
    b.apply_remote(&key, &from_a, &a_heads).unwrap();
    assert_eq!(b.unit(&p.id, &unit).unwrap().defects.len(), 2);
    assert_eq!(b.defect_rows(&p.id, &unit).unwrap().len(), 2);
    // b still holds a change a lacks: still dirty.
    assert!(b.sync_info(&key).unwrap().unwrap().dirty);
    let b_heads = b.heads(&key).unwrap();
    let back = b.changes_since(&key, &a_heads).unwrap();
    a.apply_remote(&key, &back, &b_heads).unwrap();
    a.mark_synced(&key, &b_heads).unwrap();
    assert!(!a.sync_info(&key).unwrap().unwrap().dirty);
    assert_eq!(a.unit(&p.id, &unit).unwrap(), b.unit(&p.id, &unit).unwrap());
}

#[test]
fn a_unit_of_a_project_not_on_the_tablet_is_a_clear_error() {
    let mut store = Store::open_in_memory().unwrap();
    let err = store.edit_unit(&"nope".into(), &"U1".into(), |_| Ok(())).unwrap_err();
    assert_eq!(err.to_string(), "project nope is not on this tablet; sync it first");
}

#[test]
fn a_measured_clock_offset_is_used_while_it_can_be_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let store = walkthrough_client::Store::open(&dir.path().join("t.sqlite")).unwrap();
    let t0 = walkthrough_core::time::from_millis(1_790_000_000_000);
    let h = chrono::Duration::hours;
    assert_eq!(store.server_time(t0), t0, "before any sync: the device's clock");
    // Three days behind the server, measured at t0.
    store.set_clock_offset(3 * 86_400_000, t0).unwrap();
    assert_eq!(store.server_time(t0 + h(5)), t0 + h(5) + chrono::Duration::days(3));
    // The device clock went back, or a week passed without a sync: it was
    // probably set since; its own reading is used until the next sync.
    assert_eq!(store.server_time(t0 - h(1)), t0 - h(1));
    let later = t0 + chrono::Duration::days(walkthrough_client::store::CLOCK_OFFSET_TRUSTED_DAYS) + h(1);
    assert_eq!(store.server_time(later), later);
}
