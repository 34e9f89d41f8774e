//! The tablet app's commands (what every button of ui/app does), against
//! the real server over HTTP: an inspector's whole offline walkthrough, a
//! second inspector, round-2 rechecks, a restart, and the errors in words.

mod common;
use base64::Engine as _;
use common::{first_assigned, TestServer};
use walkthrough_client::app::view::*;
use walkthrough_client::app::App;

const PROJECT: &str = "hj-lanting";

fn photo_b64(name: &str) -> String {
    let bytes = std::fs::read(walkthrough_fixtures::demo_dir().join("photos").join(name)).unwrap();
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn signed_in(dir: &std::path::Path, url: &str, user: &str) -> App {
    let mut app = App::open(dir).unwrap();
    let status = app.sign_in(url.into(), user.into(), "demo".into()).unwrap();
    let session = status.session.expect("signed in");
    assert_eq!(session.user_id, user);
    assert!(session.projects.iter().any(|p| p.id == PROJECT), "the project arrives with the first sync");
    app
}

#[test]
fn an_inspectors_walkthrough_offline_then_synced_rechecked_and_kept_across_a_restart() {
    let mut server = TestServer::start();
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();

    // Errors in words, nothing stored.
    let mut fresh = App::open(dir_a.path()).unwrap();
    let e = fresh.sign_in(server.url.clone(), "u-insp-li".into(), "wrong".into()).unwrap_err();
    assert_eq!((e.kind.as_str(), e.message.as_str()), ("auth", "wrong account or password"));
    let e = fresh.sign_in("ftp://example".into(), "u-insp-li".into(), "demo".into()).unwrap_err();
    assert_eq!(e.kind, "invalid", "{e:?}");
    assert!(fresh.status().unwrap().session.is_none());
    drop(fresh);

    let mut a = signed_in(dir_a.path(), &server.url, "u-insp-li");
    let (unit, failed1, failed2, passed) = first_assigned(&mut a);

    // One tap: pass.
    let view =
        a.set_result(PROJECT.into(), unit.clone(), 1, passed.0.clone(), passed.1.clone(), Some("pass".into())).unwrap();
    let item = view.rooms.iter().flat_map(|r| &r.items).find(|i| i.code == passed.1).unwrap();
    assert_eq!(item.outcome.as_deref(), Some("pass"));

    // Fail opens a prefilled form; a defect without a description is refused and nothing is stored.
    let mut form = a.draft_defect(PROJECT.into(), unit.clone(), 1, failed1.0.clone(), Some(failed1.1.clone())).unwrap();
    assert!(!form.category.is_empty() && !form.trade.is_empty(), "prefilled from the item: {form:?}");
    let e = a.save_defect(PROJECT.into(), unit.clone(), 1, form.clone()).unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert!(e.message.contains("description"), "{e:?}");
    assert!(a.open_unit(PROJECT.into(), unit.clone(), 1).unwrap().defects.is_empty());

    // A photo that is not a photo is refused in words.
    let e = a.take_photo(base64::engine::general_purpose::STANDARD.encode(b"hello")).unwrap_err();
    assert_eq!(e.kind, "photo", "{e:?}");

    // With a marked photo and a floor-plan pin.
    let hash = a.take_photo(photo_b64("wall_crack.jpg")).unwrap();
    form.spot = "north wall, 1.2 m".into();
    form.description = "hairline crack".into();
    // The pin inside the room's outline (a pin outside it is refused).
    let outline = a
        .open_unit(PROJECT.into(), unit.clone(), 1)
        .unwrap()
        .rooms
        .into_iter()
        .find(|r| r.id == failed1.0)
        .unwrap()
        .outline;
    let mut outside = form.clone();
    outside.description = "hairline crack".into();
    outside.pin = Some(Pin { x: 0.01, y: 0.99 });
    let e = a.save_defect(PROJECT.into(), unit.clone(), 1, outside).unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert!(e.message.starts_with("the pin must lie within the outline of "), "{e:?}");
    let n = outline.len() as f64;
    let pin = Pin { x: outline.iter().map(|p| p.x).sum::<f64>() / n, y: outline.iter().map(|p| p.y).sum::<f64>() / n };
    form.pin = Some(pin);
    form.photos = vec![PhotoView {
        hash: hash.clone(),
        marks: vec![
            MarkView { id: String::new(), shape: ShapeView::Circle { x: 0.5, y: 0.5, r: 0.1 } },
            MarkView { id: String::new(), shape: ShapeView::Label { x: 0.2, y: 0.2, text: "裂缝".into() } },
        ],
        available: true,
        missing: None,
    }];
    let d1 = a.save_defect(PROJECT.into(), unit.clone(), 1, form).unwrap();
    let view = a.open_unit(PROJECT.into(), unit.clone(), 1).unwrap();
    let item = view.rooms.iter().flat_map(|r| &r.items).find(|i| i.code == failed1.1).unwrap();
    assert_eq!(item.outcome.as_deref(), Some("fail"), "saving the defect fails the line");
    assert_eq!(item.defects, vec![d1.clone()]);
    let d = view.defects.iter().find(|d| d.id == d1).unwrap();
    assert_eq!(d.pin, Some(pin));
    assert_eq!(d.photos.len(), 1);
    assert_eq!(d.photos[0].marks.len(), 2);
    assert_eq!(view.status, "in_progress");

    // Marks are editable later: drop the label, move the circle.
    let mut edit = DefectForm {
        id: Some(d1.clone()),
        room: d.room.clone(),
        item: d.item.clone(),
        spot: d.spot.clone(),
        description: d.description.clone(),
        category: d.category.clone(),
        other_reason: d.other_reason.clone(),
        severity: d.severity.clone(),
        trade: d.trade.clone(),
        responsible: d.responsible.clone(),
        root_cause: None,
        root_cause_note: None,
        pin: d.pin,
        photos: d.photos.clone(),
    };
    let circle = edit.photos[0].marks.iter().position(|m| matches!(m.shape, ShapeView::Circle { .. })).unwrap();
    edit.photos[0].marks = vec![MarkView {
        id: edit.photos[0].marks[circle].id.clone(),
        shape: ShapeView::Circle { x: 0.6, y: 0.5, r: 0.1 },
    }];
    a.save_defect(PROJECT.into(), unit.clone(), 1, edit).unwrap();
    let view = a.open_unit(PROJECT.into(), unit.clone(), 1).unwrap();
    let d = view.defects.iter().find(|d| d.id == d1).unwrap();
    assert_eq!(d.photos[0].marks.len(), 1);
    assert_eq!(d.photos[0].marks[0].shape, ShapeView::Circle { x: 0.6, y: 0.5, r: 0.1 });

    a.sync_now().unwrap();
    assert_eq!(a.status().unwrap().sync.pending_changes, 0);
    assert_eq!(a.status().unwrap().sync.pending_photos, 0);

    // Offline: the work is kept and the error says so.
    server.stop();
    let mut form = a.draft_defect(PROJECT.into(), unit.clone(), 1, failed2.0.clone(), Some(failed2.1.clone())).unwrap();
    form.spot = "door frame".into();
    form.description = "paint drips".into();
    let d2 = a.save_defect(PROJECT.into(), unit.clone(), 1, form).unwrap();
    let e = a.sync_now().unwrap_err();
    assert_eq!(e.kind, "offline", "{e:?}");
    let status = a.status().unwrap();
    assert_eq!(status.sync.pending_changes, 1);
    assert!(!status.sync.online);
    assert!(status.sync.last_error.is_some());

    // Back online.
    server.restart();
    a.sync_now().unwrap();
    let status = a.status().unwrap();
    assert_eq!((status.sync.pending_changes, status.sync.online, status.sync.last_error), (0, true, None));

    // Another inspector of the same building sees both defects, marks and pin; the photo downloads.
    let mut b = signed_in(dir_b.path(), &server.url, "u-insp-liu");
    let view = b.open_unit(PROJECT.into(), unit.clone(), 1).unwrap();
    assert_eq!(view.defects.len(), 2);
    let seen = view.defects.iter().find(|d| d.id == d1).unwrap();
    assert_eq!(seen.photos[0].marks.len(), 1);
    assert_eq!(seen.pin, Some(pin));
    let thumb = b.photo(hash.clone(), "thumb".into()).unwrap().url.expect("downloaded with the sync");
    assert!(thumb.starts_with("data:image/jpeg;base64,"));

    // Round 2: both are in the recheck queue; one passes, one fails again (a note is required).
    let view = b.open_unit(PROJECT.into(), unit.clone(), 2).unwrap();
    let queue: Vec<&str> = view.recheck.iter().map(|r| r.defect.as_str()).collect();
    assert_eq!(queue.len(), 2, "{queue:?}");
    assert!(queue.contains(&d1.as_str()) && queue.contains(&d2.as_str()));
    let e = b.recheck(PROJECT.into(), unit.clone(), 2, d2.clone(), false, " ".into(), None).unwrap_err();
    assert_eq!(e.kind, "invalid");
    b.recheck(PROJECT.into(), unit.clone(), 2, d1.clone(), true, String::new(), None).unwrap();
    let again = b.take_photo(photo_b64("paint_drips.jpg")).unwrap();
    let view = b
        .recheck(PROJECT.into(), unit.clone(), 2, d2.clone(), false, "still dripping".into(), Some(again.clone()))
        .unwrap();
    let status_of = |v: &UnitView, id: &str| v.defects.iter().find(|d| d.id == id).unwrap().status.clone();
    assert_eq!(status_of(&view, &d1), "verified");
    assert_eq!(status_of(&view, &d2), "failed_recheck");
    let d = view.defects.iter().find(|d| d.id == d2).unwrap();
    assert!(d.deadline_ms.is_some(), "a failed recheck opens a new attempt with a deadline");
    assert!(d.photos.iter().any(|p| p.hash == again));
    let kinds: Vec<&str> = d.history.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(kinds, ["found", "rechecked"]);
    assert_eq!(d.history[1].by_name, "刘洋");
    assert_eq!(d.history[1].passed, Some(false));
    assert_eq!(view.recheck.iter().filter(|r| r.done.is_some()).count(), 2);
    b.sync_now().unwrap();

    // Restart the first tablet: signed in, everything still there, and the rechecks arrive.
    drop(a);
    let mut a = App::open(dir_a.path()).unwrap();
    assert_eq!(a.status().unwrap().session.unwrap().user_id, "u-insp-li");
    a.sync_now().unwrap();
    let view = a.open_unit(PROJECT.into(), unit.clone(), 2).unwrap();
    assert_eq!(status_of(&view, &d1), "verified");
    assert_eq!(status_of(&view, &d2), "failed_recheck");
    let grid = a.unit_grid(PROJECT.into(), 2).unwrap();
    let cell = grid
        .buildings
        .iter()
        .flat_map(|b| b.floors.iter().flat_map(|f| f.units.iter()))
        .find(|u| u.id == unit)
        .unwrap();
    assert_eq!(cell.open_defects, 1);
}

#[test]
fn every_command_is_reachable_by_name_with_json_arguments() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path(), &server.url, "u-insp-chen");
    let status = app.call("status", serde_json::json!({})).unwrap();
    assert_eq!(status["session"]["user_id"], "u-insp-chen");
    let grid = app.call("unit_grid", serde_json::json!({ "project": PROJECT, "round": 1 })).unwrap();
    assert!(grid["buildings"].as_array().unwrap().len() >= 2);
    let e = app.call("unit_grid", serde_json::json!({ "project": PROJECT })).unwrap_err();
    assert!(e.message.contains("round"), "{e:?}");
    let e = app.call("format_disk", serde_json::json!({})).unwrap_err();
    assert_eq!(e.kind, "invalid");
}
