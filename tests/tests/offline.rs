//! Prepared for the basement (issue 13): after one sync, a second inspector
//! who never opened the units rechecks them with the server stopped — every
//! photo (the first inspector's marked photos and the contractor's evidence
//! photo) at preview size, the floor-plan image, and the accepted risk's
//! unified answer and contingency plan. And a photo the storage budget
//! leaves out says so.

use base64::Engine as _;
use std::sync::{Arc, Mutex};
use walkthrough_client::app::view::*;
use walkthrough_client::app::App;
use walkthrough_e2e::field::{as_link, Api, PROJECT};
use walkthrough_e2e::{root, Server};

/// A tablet whose clock says `date` (noon UTC): the round plan's dates
/// decide which units are current.
fn tablet(dir: &std::path::Path, url: &str, user: &str, date: &str) -> App {
    let mut app = App::open(dir).unwrap();
    let at = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc();
    app.set_clock(move || at);
    let status = app.sign_in(url.into(), user.into(), "demo".into()).unwrap();
    assert!(status.sync.last_error.is_none(), "{:?}", status.sync);
    app
}

fn photo_bytes(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/demo/photos").join(name)).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A floor-plan image as the CS center uploads one: a PNG.
fn plan_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 300, |x, y| {
        if x % 100 < 3 || y % 100 < 3 {
            image::Rgb([30, 30, 30])
        } else {
            image::Rgb([250, 250, 245])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A defect with a marked photo on the `n`-th checklist line of `unit`.
fn record(app: &mut App, unit: &str, n: usize, photo: &str) -> (String, String) {
    let view = app.open_unit(PROJECT.into(), unit.into(), 1).unwrap();
    let lines: Vec<(String, String)> =
        view.rooms.iter().flat_map(|r| r.items.iter().map(move |i| (r.id.clone(), i.code.clone()))).collect();
    let (room, item) = lines[n * 3].clone();
    let mut form = app.draft_defect(PROJECT.into(), unit.into(), 1, room, Some(item)).unwrap();
    let hash = app.take_photo(b64(&photo_bytes(photo))).unwrap();
    form.spot = format!("spot {n}");
    form.description = format!("defect {n}");
    form.photos = vec![PhotoView {
        hash: hash.clone(),
        marks: vec![
            MarkView { id: String::new(), shape: ShapeView::Circle { x: 0.5, y: 0.5, r: 0.1 } },
            MarkView { id: String::new(), shape: ShapeView::Label { x: 0.2, y: 0.2, text: "渗水".into() } },
        ],
        available: true,
        missing: None,
    }];
    (app.save_defect(PROJECT.into(), unit.into(), 1, form).unwrap(), hash)
}

/// The first unit of the round-1 plan that `app`'s inspector walks and
/// `other` has in round 2.
fn shared_unit(app: &mut App, other_round2: &[String]) -> String {
    let grid = app.unit_grid(PROJECT.into(), 1).unwrap();
    grid.buildings
        .iter()
        .flat_map(|b| b.floors.iter().flat_map(|f| f.units.iter()))
        .find(|u| u.assigned && other_round2.contains(&u.id))
        .expect("a unit walked by both")
        .id
        .clone()
}

fn round2_units(app: &mut App) -> Vec<String> {
    let grid = app.unit_grid(PROJECT.into(), 2).unwrap();
    grid.buildings
        .iter()
        .flat_map(|b| b.floors.iter().flat_map(|f| f.units.iter()))
        .filter(|u| u.assigned)
        .map(|u| u.id.clone())
        .collect()
}

#[test]
fn a_second_inspector_rechecks_offline_with_every_photo_the_plan_and_the_risk_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let cs = Api::login(&server.url, "u-cs-wang");

    // Inspector B (陈静) walks building 1 in round 2; they sign in first and
    // never open the units of round 1.
    let dir_b = tempfile::tempdir().unwrap();
    let mut b = tablet(dir_b.path(), &server.url, "u-insp-chen", "2026-08-25");
    let b_units = round2_units(&mut b);
    assert!(!b_units.is_empty());

    // Inspector A (李伟) records three defects with marked photos in round 1.
    let dir_a = tempfile::tempdir().unwrap();
    let mut a = tablet(dir_a.path(), &server.url, "u-insp-li", "2026-07-25");
    let unit = shared_unit(&mut a, &b_units);
    let (fixed, fixed_photo) = record(&mut a, &unit, 0, "floor_drain_blocked.jpg");
    let (risk, risk_photo) = record(&mut a, &unit, 1, "ceiling_water_stain.jpg");
    let (open, open_photo) = record(&mut a, &unit, 2, "wall_crack.jpg");
    a.sync_now().unwrap();
    assert_eq!(a.status().unwrap().sync.pending_photos, 0);

    // The CS center gives the unit's type a floor-plan image.
    let ut = {
        let project = a.store().project(&walkthrough_core::ProjectId::new(PROJECT)).unwrap();
        project.unit_type_of(&walkthrough_core::UnitId::new(&unit)).unwrap().id.to_string()
    };
    let plan = plan_png();
    let res = walkthrough_e2e::http_client()
        .put(format!("{}/api/v1/projects/{PROJECT}/unit-types/{ut}/floor-plan", server.url))
        .bearer_auth(&cs.token)
        .header("content-type", "image/png")
        .body(plan.clone())
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let plan_hash: serde_json::Value = res.json().unwrap();
    let plan_hash = plan_hash["floor_plan"].as_str().unwrap().to_owned();

    // Dispatched; the contractor reports one fixed with an evidence photo.
    let (status, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!(status, 200, "{v}");
    let (_, detail) = cs.call("GET", &format!("/projects/{PROJECT}/defects/{fixed}"), None);
    let contractor = detail["contractor"]["id"].as_str().expect("dispatched to a contractor").to_owned();
    let (_, link) = cs.link(&contractor);
    let secret = link.rsplit_once("#k=").unwrap().1.to_owned();
    let evidence_bytes = photo_bytes("floor_tile_chipped.jpg");
    let up: serde_json::Value = walkthrough_e2e::http_client()
        .post(format!("{}/api/v1/contractor/photos", server.url))
        .header("x-walkthrough-link", &secret)
        .body(evidence_bytes)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let evidence = up["hash"].as_str().expect("uploaded").to_owned();
    let (s, body) = as_link(
        &server.url,
        &link,
        "POST",
        &format!("/items/{fixed}/fixed"),
        Some(serde_json::json!({ "note": "地漏已疏通，闭水试验通过", "photo": evidence })),
    );
    assert_eq!(s, 200, "{body}");

    // The CS center accepts one as a risk, with an answer in both languages.
    let (s, v) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/defects/{risk}/accept-risk"),
        Some(serde_json::json!({
            "unified_answer": { "zh": "顶板为结构构件，不影响使用；交付后一年内免费复查。", "en": "The slab is structural; it is rechecked free of charge within a year." },
            "contingency_plan": "业主提出时由工程师现场说明并出示检测报告",
        })),
    );
    assert_eq!(s, 200, "{v}");

    // B syncs once: documents, then the photos and plan for offline work.
    let progress: Arc<Mutex<Vec<SyncProgress>>> = Arc::default();
    let seen = progress.clone();
    b.on_progress(move |p| seen.lock().unwrap().push(p));
    let status = b.sync_now().unwrap();
    let offline = &status.sync.offline;
    assert!(offline.wanted >= 4, "three photos, the evidence and the plan: {offline:?}");
    assert_eq!((offline.held, offline.over_budget, offline.missing), (offline.wanted, 0, 0), "{offline:?}");
    assert!(offline.bytes > 0.0 && offline.bytes < offline.budget_bytes, "{offline:?}");
    assert_eq!(offline.budget_bytes, 2048.0 * 1024.0 * 1024.0, "the server's default budget");
    let last = progress.lock().unwrap().iter().rev().find(|p| p.phase == "offline").cloned().expect("progress");
    assert_eq!((last.done, last.total), (offline.held, offline.wanted));
    assert_eq!(last.bytes, offline.bytes);

    // Another sync fetches nothing again: the first offline progress is already complete.
    progress.lock().unwrap().clear();
    b.sync_now().unwrap();
    let first = progress.lock().unwrap().iter().find(|p| p.phase == "offline").cloned().expect("progress");
    assert_eq!((first.done, first.total), (offline.held, offline.wanted), "nothing left to fetch");
    drop(b);

    // The server stops. B restarts the app in the basement and opens round 2's recheck.
    let _store = server.stop();
    let mut b = App::open(dir_b.path()).unwrap();
    let view = b.open_unit(PROJECT.into(), unit.clone(), 2).unwrap();
    let queue: Vec<&str> = view.recheck.iter().map(|r| r.defect.as_str()).collect();
    assert!(queue.contains(&fixed.as_str()) && queue.contains(&open.as_str()), "{queue:?}");
    assert!(!queue.contains(&risk.as_str()), "an accepted risk is not rechecked: {queue:?}");

    // Before / after: the original marked photo and the contractor's report with its evidence photo.
    let item = view.recheck.iter().find(|r| r.defect == fixed).unwrap();
    let report = item.fix_report.as_ref().expect("the contractor's report");
    assert_eq!(report.note, "地漏已疏通，闭水试验通过");
    assert_eq!(report.photo.as_deref(), Some(evidence.as_str()));
    assert_eq!(report.photo_missing, None);
    assert!(report.at_ms > 0.0 && !report.by_name.is_empty());
    let d = view.defects.iter().find(|d| d.id == fixed).unwrap();
    assert_eq!(d.photos.len(), 1);
    assert_eq!(d.photos[0].hash, fixed_photo);
    assert_eq!(d.photos[0].marks.len(), 2, "the marks say where");
    for h in [&fixed_photo, &risk_photo, &open_photo, &evidence] {
        for size in ["preview", "thumb"] {
            let p = b.photo(h.clone(), size.into()).unwrap();
            let url = p.url.unwrap_or_else(|| panic!("{h} {size}: {:?}", p.missing));
            assert!(url.starts_with("data:image/jpeg;base64,"), "{h} {size}");
            let bytes = base64::engine::general_purpose::STANDARD.decode(url.split_once(',').unwrap().1).unwrap();
            let img = image::load_from_memory(&bytes).unwrap();
            let edge = img.width().max(img.height());
            assert!(edge <= walkthrough_client::photos::PREVIEW_EDGE, "{h} {size}: {edge} px");
            assert_eq!(p.shown.as_deref(), Some(size));
        }
        // The original is fetched on demand only: offline, the preview stands in and says why.
        let p = b.photo(h.clone(), "original".into()).unwrap();
        assert_eq!((p.shown.as_deref(), p.missing.as_deref()), (Some("preview"), Some("offline")), "{h}");
    }
    for d in &view.defects {
        assert!(d.photos.iter().all(|p| p.available && p.missing.is_none()), "{:?}", d.photos);
    }

    // The floor-plan image, byte for byte.
    let p = b.photo(plan_hash.clone(), "original".into()).unwrap();
    let url = p.url.expect("the floor plan is on the tablet");
    assert!(url.starts_with("data:image/png;base64,"));
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(url.split_once(',').unwrap().1).unwrap(), plan);

    // The accepted risk: the unified answer in both languages and the plan.
    let d = view.defects.iter().find(|d| d.id == risk).unwrap();
    assert_eq!(d.status, "accepted_risk");
    let r = d.risk.as_ref().expect("the answer and plan are in the view");
    assert_eq!(r.unified_answer.zh, "顶板为结构构件，不影响使用；交付后一年内免费复查。");
    assert_eq!(r.unified_answer.en, "The slab is structural; it is rechecked free of charge within a year.");
    assert_eq!(r.contingency_plan, "业主提出时由工程师现场说明并出示检测报告");
    assert_eq!(r.accepted_by_name, "王敏");
    assert!(view.defects.iter().filter(|d| d.id != risk).all(|d| d.risk.is_none()));

    // The recheck itself works offline and waits for the network.
    b.recheck(PROJECT.into(), unit.clone(), 2, fixed.clone(), true, String::new(), None).unwrap();
    let status = b.status().unwrap();
    assert_eq!(status.sync.pending_changes, 1);
    let e = b.sync_now().unwrap_err();
    assert_eq!(e.kind, "offline", "{e:?}");
}

#[test]
fn a_photo_over_the_storage_budget_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(walkthrough_server::store::SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    // The CS center allows no storage for other people's photos.
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, |s| s.tablet.photo_budget_mb = 0);

    let dir_b = tempfile::tempdir().unwrap();
    let mut b = tablet(dir_b.path(), &server.url, "u-insp-chen", "2026-08-25");
    let b_units = round2_units(&mut b);
    let dir_a = tempfile::tempdir().unwrap();
    let mut a = tablet(dir_a.path(), &server.url, "u-insp-li", "2026-07-25");
    let unit = shared_unit(&mut a, &b_units);
    let (defect, hash) = record(&mut a, &unit, 0, "wall_crack.jpg");
    a.sync_now().unwrap();

    let status = b.sync_now().unwrap();
    let offline = &status.sync.offline;
    assert_eq!((offline.budget_bytes, offline.held, offline.bytes), (0.0, 0, 0.0), "{offline:?}");
    assert!(offline.over_budget >= 1 && offline.over_budget == offline.wanted, "{offline:?}");
    let view = b.open_unit(PROJECT.into(), unit.clone(), 2).unwrap();
    let d = view.defects.iter().find(|d| d.id == defect).unwrap();
    assert!(!d.photos[0].available);
    assert_eq!(d.photos[0].missing.as_deref(), Some("over_budget"));

    // In the basement (server stopped, app restarted), the screen still says why.
    drop(server);
    drop(b);
    let mut b = App::open(dir_b.path()).unwrap();
    let view = b.open_unit(PROJECT.into(), unit.clone(), 2).unwrap();
    let d = view.defects.iter().find(|d| d.id == defect).unwrap();
    assert_eq!(d.photos[0].missing.as_deref(), Some("over_budget"));
    let p = b.photo(hash, "preview".into()).unwrap();
    assert_eq!((p.url, p.missing.as_deref()), (None, Some("over_budget")));
}

#[test]
fn the_server_sends_the_preview_the_photographers_tablet_made_with_the_originals_access_check() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let dir_a = tempfile::tempdir().unwrap();
    let mut a = tablet(dir_a.path(), &server.url, "u-insp-li", "2026-07-25");
    let grid = a.unit_grid(PROJECT.into(), 1).unwrap();
    let unit = grid.buildings[0].floors[0].units.iter().find(|u| u.assigned).expect("an assigned unit").id.clone();
    let (_, hash) = record(&mut a, &unit, 0, "window_sealant_exif6.jpg");
    a.sync_now().unwrap();

    let get = |token: &str, query: &str| {
        let res = walkthrough_e2e::http_client()
            .get(format!("{}/api/v1/blobs/{hash}{query}", server.url))
            .bearer_auth(token)
            .send()
            .unwrap();
        (res.status().as_u16(), res.bytes().unwrap().to_vec())
    };
    // Another inspector of the project: the preview, byte for byte the one
    // the photographer's tablet made (one pipeline, EXIF orientation applied).
    let liu = Api::login(&server.url, "u-insp-liu");
    let (status, preview) = get(&liu.token, "?size=preview");
    assert_eq!(status, 200);
    let own = std::fs::read(dir_a.path().join("photos/preview").join(format!("{hash}.jpg"))).unwrap();
    assert_eq!(preview, own);
    let (status, original) = get(&liu.token, "?size=original");
    assert_eq!((status, original), (200, photo_bytes("window_sealant_exif6.jpg")));
    // A size that does not exist is refused in words; a hash nobody stored is not found either way.
    let (status, body) = get(&liu.token, "?size=poster");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("not a photo size"));
    let unknown = "0".repeat(64);
    let res = walkthrough_e2e::http_client()
        .get(format!("{}/api/v1/blobs/{unknown}?size=preview", server.url))
        .bearer_auth(&liu.token)
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    // Without a sign-in, nothing.
    let res =
        walkthrough_e2e::http_client().get(format!("{}/api/v1/blobs/{hash}?size=preview", server.url)).send().unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[test]
fn a_photo_not_on_the_server_yet_says_so_and_arrives_at_a_later_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(walkthrough_server::store::SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    // Photos this large are refused for now: A's documents sync, its photos do not.
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, |s| s.max_blob_bytes = 1000);
    let url = server.url.clone();

    let dir_b = tempfile::tempdir().unwrap();
    let mut b = tablet(dir_b.path(), &url, "u-insp-chen", "2026-08-25");
    let b_units = round2_units(&mut b);
    let dir_a = tempfile::tempdir().unwrap();
    let mut a = tablet(dir_a.path(), &url, "u-insp-li", "2026-07-25");
    let unit = shared_unit(&mut a, &b_units);
    let (_, first) = record(&mut a, &unit, 0, "wall_crack.jpg");
    let (defect, second) = record(&mut a, &unit, 1, "paint_drips.jpg");
    assert!(a.sync_now().is_err(), "the photos are refused");
    assert_eq!(a.status().unwrap().sync.pending_photos, 2);

    let status = b.sync_now().unwrap();
    assert_eq!((status.sync.offline.missing, status.sync.offline.held), (2, 0), "{:?}", status.sync.offline);
    let view = b.open_unit(PROJECT.into(), unit.clone(), 2).unwrap();
    let d = view.defects.iter().find(|d| d.id == defect).unwrap();
    assert_eq!(d.photos[0].missing.as_deref(), Some("not_on_server"));

    // The server takes photos again; A's next sync uploads them, B's fetches them.
    let store = server.stop();
    let addr = url.trim_start_matches("http://").to_owned();
    let _server = Server::start(dir.path(), &addr, store);
    a.sync_now().unwrap();
    let status = b.sync_now().unwrap();
    assert_eq!((status.sync.offline.missing, status.sync.offline.held), (0, 2), "{:?}", status.sync.offline);
    for h in [first, second] {
        assert!(b.photo(h, "preview".into()).unwrap().url.is_some());
    }
}
