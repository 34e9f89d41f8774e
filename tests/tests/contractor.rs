//! Dispatch end to end: a tablet records defects, the CS center dispatches
//! and sends a link, the contractor opens it in headless Chromium, sees
//! only their items and marks one fixed with a photo; the tablet syncs and
//! sees the report authored by the contractor; a round-2 recheck fails it
//! and the contractor sees it again with a new deadline. And every way a
//! link can be refused.

use walkthrough_core::defect::*;
use walkthrough_core::*;
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;
use walkthrough_server::dispatch_store::{ContractorLink, DispatchStore};

fn items(v: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> =
        v["items"].as_array().unwrap().iter().map(|i| i["defect"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(ids: &[DefectId]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|d| d.to_string()).collect();
    v.sort();
    v
}

#[test]
fn a_contractor_fixes_from_a_phone_and_the_tablet_sees_it_before_the_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    // Two leaks for the waterproofer (c-guan), one kitchen fitting for the cabinet supplier (s-ouya).
    let leak = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    let leak2 = tablet.record("B1-0201", "waterproofing", Some("ceiling_water_stain.jpg"), 2);
    let kitchen = tablet.record("B1-0102", "kitchen", Some("door_scratch.jpg"), 3);
    tablet.sync();

    let cs = Api::login(&server.url, "u-cs-wang");
    let (status, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!((status, v["assigned"].as_u64()), (200, Some(3)), "{v}");
    // Dispatching again sends nothing twice.
    let (_, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!(v["assigned"], 0, "{v}");
    let (_, guan) = cs.link("c-guan");
    let (_, list) = cs.call("GET", &format!("/projects/{PROJECT}/rectification?contractor=c-guan&round=1"), None);
    assert_eq!(items(&list), sorted(&[leak.id, leak2.id]), "{list}");

    // The contractor's phone.
    let photo = demo_photo("paint_drips.jpg");
    let out = run_browser_script(
        "contractor.mjs",
        &["fix", &server.url, &guan, photo.to_str().unwrap(), &leak.id.to_string(), &leak2.id.to_string()],
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v.get("pageErrors").is_none(), "{out}");
    assert_eq!(items(&v), sorted(&[leak.id, leak2.id]), "only c-guan's items: {out}");
    assert_eq!(v["contractor"], "江苏固安防水工程有限公司", "{out}");
    assert!(v["titleEn"].as_str().unwrap().contains("Rectification list"), "{out}");
    assert!(v["titleZh"].as_str().unwrap().contains("整改清单"), "{out}");
    assert!(v["photoWidth"].as_u64().unwrap() > 0, "the marked photo loads: {out}");
    assert_eq!((v["marks"].as_u64(), v["pin"].as_u64()), (Some(3), Some(1)), "{out}");
    assert_eq!(v["buildingOptions"], serde_json::json!(["", "B1"]), "{out}");
    assert_eq!(
        (v["closed"].as_u64(), v["inB1"].as_u64(), v["inRound1"].as_u64()),
        (Some(0), Some(2), Some(2)),
        "{out}"
    );
    assert_eq!(v["reportedBefore"], 0, "{out}");
    assert_eq!(v["emptyNoteError"], "请填写整改说明。", "{out}");
    assert!(v["fixNote"].as_str().unwrap().contains("闭水试验"), "{out}");
    assert_eq!(v["undoOffered"], 1, "{out}");
    assert_eq!(v["reportedAfter"], serde_json::json!([leak.id.to_string()]), "the undone report is gone: {out}");

    // The printed sheet: zh-CN text (a real CJK font, embedded) and the photos.
    let sheet = v["sheet"].as_str().unwrap();
    let text = std::process::Command::new("pdftotext").args([sheet, "-"]).output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in ["整改通知单", "江苏固安防水工程有限公司", "澜庭", "已报整改，待复验", &leak.description]
    {
        assert!(text.contains(expected), "the sheet lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains(&kitchen.description), "another contractor's item on the sheet:\n{text}");
    let images = std::process::Command::new("pdfimages").args(["-list", sheet]).output().unwrap();
    let images = String::from_utf8_lossy(&images.stdout).lines().count().saturating_sub(2);
    assert!(images >= 2, "the sheet should carry both items' photos, found {images}");

    // The tablet syncs and sees the report, authored by the contractor, with its photo.
    tablet.sync();
    let d = tablet.defect(&leak.unit, leak.id);
    assert_eq!(d.lifecycle().status, DefectStatus::ReportedFixed);
    let report = d.events.iter().find(|e| matches!(e.kind, EventKind::ReportedFixed { .. })).unwrap();
    assert_eq!(report.by.as_str(), "contractor:c-guan");
    let EventKind::ReportedFixed { photo: Some(evidence), note } = &report.kind else { panic!("no photo: {report:?}") };
    assert!(note.contains("闭水试验"));
    tablet.client.download_photo(&tablet.photos, evidence).unwrap();
    let undone = tablet.defect(&leak2.unit, leak2.id);
    assert_eq!(undone.lifecycle().status, DefectStatus::Assigned, "the undone report is undone on the tablet too");

    // Round 2: the recheck fails; a new attempt with a new deadline.
    let p = tablet.project();
    let new_deadline = rules::deadline_for(&p.categories[&d.category], chrono::Utc::now(), p.zone());
    tablet.fail_recheck(&leak, new_deadline);

    let out = run_browser_script("contractor.mjs", &["view", &server.url, &guan]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let again =
        v["items"].as_array().unwrap().iter().find(|i| i["defect"] == leak.id.to_string()).expect("still listed");
    assert_eq!(again["status"], "failed_recheck", "{out}");
    assert_eq!(again["deadline"].as_i64(), Some(new_deadline.timestamp_millis()), "{out}");
    assert!(again["attempt"].as_str().unwrap().contains('2'), "{out}");

    // Revoked: a clear page, nothing of the list.
    let links = cs.call("GET", &format!("/projects/{PROJECT}/contractor-links"), None).1;
    let id = links.as_array().unwrap().iter().find(|l| l["contractor"] == "c-guan").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(cs.call("DELETE", &format!("/projects/{PROJECT}/contractor-links/{id}"), None).0, 200);
    let out = run_browser_script("contractor.mjs", &["refused", &server.url, &guan]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((v["refused"].as_bool(), v["items"].as_u64()), (Some(true), Some(0)), "{out}");
    let text = v["text"].as_str().unwrap();
    for secret in ["固安", "B1", &leak.description, "澜庭"] {
        assert!(!text.contains(secret), "the refused page shows {secret:?}: {text}");
    }
}

#[test]
fn contractor_links_refuse_everything_outside_their_own_items() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let leak = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    let kitchen = tablet.record("B1-0102", "kitchen", Some("door_scratch.jpg"), 2);
    let kitchen_photo = kitchen.photos.keys().next().unwrap().clone();
    let leak_photo = leak.photos.keys().next().unwrap().clone();
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).0, 200);
    let (_, guan) = cs.link("c-guan");
    let (ouya_id, ouya) = cs.link("s-ouya");
    let url = &server.url;

    // Their own item and photo: yes.
    let (status, body) = as_link(url, &guan, "GET", "/items", None);
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(items(&page), sorted(&[leak.id]));
    assert!(!body.contains(&kitchen.description) && !body.contains(kitchen_photo.as_str()));
    assert_eq!(as_link(url, &guan, "GET", &format!("/photos/{leak_photo}"), None).0, 200);

    // Another contractor's item, a guessed id, nonsense: one answer, nothing changes.
    let fixed = |id: &str| {
        as_link(url, &guan, "POST", &format!("/items/{id}/fixed"), Some(serde_json::json!({ "note": "done" })))
    };
    let not_yours = fixed(&kitchen.id.to_string());
    assert_eq!(not_yours.0, 404, "{}", not_yours.1);
    assert_eq!(fixed(&DefectId::new_v7().to_string()), not_yours, "a guessed id answers the same");
    assert_eq!(fixed("not-an-id"), not_yours);
    assert_eq!(as_link(url, &guan, "POST", &format!("/items/{}/undo", kitchen.id), None), not_yours);
    assert_eq!(as_link(url, &guan, "GET", &format!("/photos/{kitchen_photo}"), None).0, 404);
    tablet.sync();
    assert_eq!(tablet.defect(&kitchen.unit, kitchen.id).lifecycle().status, DefectStatus::Assigned);
    // A photo that is not a photo is refused in words.
    let bad = walkthrough_e2e::http_client()
        .post(format!("{url}/api/v1/contractor/photos"))
        .header("x-walkthrough-link", guan.rsplit_once("#k=").unwrap().1)
        .body("not a photo")
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 415);
    // A "fixed" report needs a note, and a photo the server has.
    let (s, b) =
        as_link(url, &guan, "POST", &format!("/items/{}/fixed", leak.id), Some(serde_json::json!({ "note": " " })));
    assert!(s == 422 && b.contains("note"), "{s} {b}");
    let missing = "0".repeat(64);
    let (s, b) = as_link(
        url,
        &guan,
        "POST",
        &format!("/items/{}/fixed", leak.id),
        Some(serde_json::json!({ "note": "ok", "photo": missing })),
    );
    assert!(s == 422 && b.contains("upload the photo"), "{s} {b}");

    // Revoked, expired, unknown, missing: the same refusal, which names nobody.
    assert_eq!(cs.call("DELETE", &format!("/projects/{PROJECT}/contractor-links/{ouya_id}"), None).0, 200);
    let expired_secret = "e".repeat(64);
    let past = chrono::Utc::now().timestamp() - 10;
    server
        .store
        .insert_link(
            &ContractorLink {
                id: "expired-link".into(),
                project: project_id(),
                contractor: "c-guan".into(),
                created_by: "u-cs-wang".into(),
                created_at: past - 86_400,
                expires_at: past,
                revoked_at: None,
                revoked_by: None,
                last_used_at: None,
            },
            &walkthrough_server::auth::hash_token(&expired_secret),
        )
        .unwrap();
    let refusals = [
        as_link(url, &ouya, "GET", "/items", None),
        as_link(url, &expired_secret, "GET", "/items", None),
        as_link(url, &"a".repeat(64), "GET", "/items", None),
        as_link(url, "", "GET", "/items", None),
        as_link(url, &ouya, "GET", &format!("/photos/{kitchen_photo}"), None),
        as_link(
            url,
            &expired_secret,
            "POST",
            &format!("/items/{}/fixed", leak.id),
            Some(serde_json::json!({ "note": "x" })),
        ),
    ];
    for (status, body) in &refusals {
        assert_eq!(*status, 401, "{body}");
        assert_eq!(body, &refusals[0].1, "every refusal reads the same");
        for secret in ["ouya", "欧雅", "guan", "固安", "B1-", "hj-lanting"] {
            assert!(!body.contains(secret), "a refusal reveals {secret:?}: {body}");
        }
    }
    let (_, logged) = cs.call("GET", &format!("/projects/{PROJECT}/link-refusals"), None);
    let reasons: Vec<&str> = logged.as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    // Unknown and missing secrets name no project: they are traced, never
    // shown in a project's log (they could be another company's).
    assert_eq!(reasons, ["revoked", "expired", "revoked", "expired"], "{logged}");

    // Accounts are no way around links, and links no way into the CS center's calls.
    let inspector = Api::login(url, "u-insp-li");
    {
        let api = &inspector;
        assert_eq!(api.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).0, 403);
        assert_eq!(api.call("GET", &format!("/projects/{PROJECT}/contractor-links"), None).0, 403);
        assert_eq!(api.call("GET", "/contractor/items", None).0, 401);
    }
    let (status, _) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/contractor-links"),
        Some(serde_json::json!({ "contractor": "nobody" })),
    );
    assert_eq!(status, 422);
}

/// A photo through a contractor link, raw: (status, body, content type).
fn link_photo(url: &str, link: &str, hash: &PhotoHash, query: &str) -> (u16, Vec<u8>, String) {
    let secret = link.rsplit_once("#k=").map_or(link, |(_, s)| s);
    let res = walkthrough_e2e::http_client()
        .get(format!("{url}/api/v1/contractor/photos/{hash}{query}"))
        .header("x-walkthrough-link", secret)
        .send()
        .unwrap();
    let status = res.status().as_u16();
    let mime = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, res.bytes().unwrap().to_vec(), mime)
}

fn first_photo(d: &Defect) -> PhotoHash {
    d.photos.keys().next().unwrap().clone()
}

#[test]
fn contractor_photos_are_small_copies_and_only_of_items_on_their_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let leak = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    let moved = tablet.record("B1-0201", "waterproofing", Some("ceiling_water_stain.jpg"), 2);
    let withdrawn = tablet.record("B1-0202", "waterproofing", Some("wall_crack.jpg"), 3);
    let kitchen = tablet.record("B1-0102", "kitchen", Some("door_scratch.jpg"), 4);
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).0, 200);
    let (_, guan) = cs.link("c-guan");
    let (_, ouya) = cs.link("s-ouya");
    let (_, huajian) = cs.link("c-huajian");
    let url = &server.url;
    let leak_photo = first_photo(&leak);
    let original = std::fs::read(demo_photo("floor_drain_blocked.jpg")).unwrap();
    let original_img = image::load_from_memory(&original).unwrap();

    // What the list shows: the printing copy, a fraction of the original.
    let (status, small, mime) = link_photo(url, &guan, &leak_photo, "?size=small");
    assert_eq!((status, mime.as_str()), (200, "image/jpeg"));
    let img = image::load_from_memory(&small).unwrap();
    assert_eq!(img.width().max(img.height()), walkthrough_server::thumbs::PRINT_EDGE, "the small copy's size");
    assert!(original_img.width() > walkthrough_server::thumbs::PRINT_EDGE, "the demo photo is larger than the copy");
    assert!(small.len() * 2 < original.len(), "small: {} bytes, original {}", small.len(), original.len());
    // A tap: the screen preview (here the photo's own size: it is under 1,600 px).
    let (status, preview, _) = link_photo(url, &guan, &leak_photo, "?size=preview");
    let preview = image::load_from_memory(&preview).unwrap();
    assert_eq!((status, preview.width(), preview.height()), (200, original_img.width(), original_img.height()));
    // The original on request, byte for byte (also without a size).
    assert_eq!(link_photo(url, &guan, &leak_photo, "?size=original").1, original);
    assert_eq!(link_photo(url, &guan, &leak_photo, "").1, original);
    let (status, body, _) = link_photo(url, &guan, &leak_photo, "?size=huge");
    let body = String::from_utf8_lossy(&body);
    assert!(status == 400 && body.contains("small, preview or original"), "{status} {body}");

    // Another contractor's item, a hash nobody has: the same refusal, in words, at every size.
    let refused = link_photo(url, &guan, &first_photo(&kitchen), "?size=small");
    assert_eq!(refused.0, 404);
    assert!(String::from_utf8_lossy(&refused.1).contains("no such photo on your list"), "{refused:?}");
    let nobodys = PhotoHash::new("ab".repeat(32));
    for query in ["", "?size=small", "?size=preview", "?size=original"] {
        let (s, b, _) = link_photo(url, &guan, &first_photo(&kitchen), query);
        assert_eq!((s, &b), (refused.0, &refused.1), "kitchen photo {query}");
        let (s, b, _) = link_photo(url, &guan, &nobodys, query);
        assert_eq!((s, &b), (refused.0, &refused.1), "unknown hash {query}");
    }
    assert_eq!(link_photo(url, &ouya, &first_photo(&kitchen), "?size=small").0, 200, "the kitchen supplier's own");
    assert_eq!(link_photo(url, &ouya, &leak_photo, "?size=small").0, 404);

    // Reassigned away: off c-guan's list (and its photos with it), on c-huajian's.
    let moved_photo = first_photo(&moved);
    assert_eq!(link_photo(url, &guan, &moved_photo, "?size=small").0, 200);
    assert_eq!(link_photo(url, &huajian, &moved_photo, "?size=small").0, 404);
    let (status, v) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/defects/{}/assign", moved.id),
        Some(serde_json::json!({ "contractor": "c-huajian", "reason": "漏水源在结构裂缝" })),
    );
    assert_eq!(status, 200, "{v}");
    for query in ["", "?size=small", "?size=preview"] {
        assert_eq!(link_photo(url, &guan, &moved_photo, query).0, 404, "reassigned away {query}");
    }
    assert_eq!(link_photo(url, &huajian, &moved_photo, "?size=small").0, 200);

    // Withdrawn (recorded in error): off the list, photos too.
    let withdrawn_photo = first_photo(&withdrawn);
    assert_eq!(link_photo(url, &guan, &withdrawn_photo, "?size=small").0, 200);
    let d = tablet.defect(&withdrawn.unit, withdrawn.id);
    let writer = walkthrough_core::doc::check::Writer { user: "u-insp-li".into(), role: model::Role::Inspector };
    let ev = rules::withdraw(&d, &writer, "录入错误", RoundNo(1), chrono::Utc::now(), EventId::new_v7()).unwrap();
    tablet.store.edit_unit(&project_id(), &withdrawn.unit, |doc| doc.add_event(withdrawn.id, &ev)).unwrap();
    tablet.sync();
    assert_eq!(link_photo(url, &guan, &withdrawn_photo, "?size=small").0, 404, "withdrawn");
    let (_, page) = as_link(url, &guan, "GET", "/items", None);
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    assert_eq!(items(&page), sorted(&[leak.id]), "the list from the read model: {page}");

    // The evidence photo of their own "fixed" report is theirs to see, and no one else's.
    let evidence = std::fs::read(demo_photo("paint_drips.jpg")).unwrap();
    let secret = guan.rsplit_once("#k=").unwrap().1;
    let up: serde_json::Value = walkthrough_e2e::http_client()
        .post(format!("{url}/api/v1/contractor/photos"))
        .header("x-walkthrough-link", secret)
        .body(evidence.clone())
        .send()
        .unwrap()
        .json()
        .unwrap();
    let evidence_hash = PhotoHash::new(up["hash"].as_str().unwrap());
    let note = serde_json::json!({ "note": "地漏已疏通", "photo": evidence_hash });
    assert_eq!(as_link(url, &guan, "POST", &format!("/items/{}/fixed", leak.id), Some(note)).0, 200);
    assert_eq!(link_photo(url, &guan, &evidence_hash, "").1, evidence);
    assert_eq!(link_photo(url, &guan, &evidence_hash, "?size=small").0, 200);
    assert_eq!(link_photo(url, &ouya, &evidence_hash, "?size=small").0, 404);
    let (_, page) = as_link(url, &guan, "GET", "/items", None);
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    let item = &page["items"][0];
    assert_eq!((item["status"].as_str(), item["fix"]["note"].as_str()), (Some("reported_fixed"), Some("地漏已疏通")));
    assert!(item["undo_until"].as_i64().is_some(), "their report can be undone: {item}");
}

/// A distinct photo-like JPEG (640×480) per `n`, so each card shows its own photo.
fn numbered_photo(dir: &std::path::Path, n: u8) -> std::path::PathBuf {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x / 3) as u8 ^ n.wrapping_mul(37), (y / 2) as u8, n.wrapping_mul(91) ^ ((x + y) / 5) as u8])
    });
    let path = dir.join(format!("photo-{n}.jpg"));
    img.save(&path).unwrap();
    path
}

#[test]
fn the_contractor_page_sums_up_what_is_due_shows_years_and_loads_photos_lazily() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let units = ["B1-0101", "B1-0102", "B1-0103", "B1-0201", "B1-0202", "B1-0203", "B1-0301", "B1-0302"];
    let mut recorded = Vec::new();
    for (n, unit) in units.iter().chain(&["B1-0303", "B1-0401", "B1-0402", "B1-0403", "B1-0501", "B1-0502"]).enumerate()
    {
        let photo = numbered_photo(dir.path(), n as u8);
        recorded.push(tablet.record(unit, "waterproofing", Some(photo.to_str().unwrap()), n as u8 + 1));
    }
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).0, 200);
    // One item failed its recheck with a deadline already past: overdue.
    let late = &recorded[3];
    let recheck = DefectEvent {
        id: EventId::new_v7(),
        at: chrono::Utc::now(),
        device_at: None,
        by: "u-insp-li".into(),
        round: RoundNo(2),
        kind: EventKind::Rechecked {
            passed: false,
            note: "仍渗水".into(),
            photo: None,
            new_deadline: Some(chrono::Utc::now() - chrono::Duration::hours(2)),
        },
    };
    tablet.store.edit_unit(&project_id(), &late.unit, |doc| doc.add_event(late.id, &recheck)).unwrap();
    tablet.sync();
    let (_, guan) = cs.link("c-guan");

    // The summary as the server counts it: one overdue, the rest (leaks: 48 h) due within three days.
    let (_, body) = as_link(&server.url, &guan, "GET", "/items", None);
    let api: serde_json::Value = serde_json::from_str(&body).unwrap();
    let total = recorded.len() as u64;
    assert_eq!(api["items"].as_array().unwrap().len() as u64, total);
    assert_eq!(api["due"], serde_json::json!({ "overdue": 1, "due_soon": total - 1, "days": 3 }), "{}", api["due"]);
    assert_eq!(api["items"][0]["defect"], late.id.to_string(), "overdue first");

    let out = run_browser_script("contractor.mjs", &["lazy", &server.url, &guan]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v.get("pageErrors").is_none(), "{out}");
    // The summary at the top, in both languages.
    for lang in ["zh", "en"] {
        assert_eq!((v[lang]["overdue"].as_u64(), v[lang]["dueSoon"].as_u64()), (Some(1), Some(total - 1)), "{out}");
    }
    assert!(v["zh"]["text"].as_str().unwrap().contains("已超期"), "{out}");
    assert!(v["en"]["text"].as_str().unwrap().contains("overdue"), "{out}");
    // Every deadline with its year.
    for lang in ["zh", "en"] {
        for d in v[lang]["deadlines"].as_array().unwrap() {
            let ms = d["deadline"].as_i64().expect("every item has a deadline");
            let year = chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y").to_string();
            assert!(d["text"].as_str().unwrap().contains(&year), "{lang}: no year {year} in {d}");
        }
    }
    // Lazy: every list photo is marked lazy and asks for the small copy; those
    // far below the first screen are fetched only once scrolled to.
    assert_eq!(v["photos"].as_u64(), Some(total), "{out}");
    assert_eq!(v["lazy"], v["photos"], "{out}");
    assert_eq!(v["listSizes"], serde_json::json!(["small"]), "{out}");
    assert_eq!(v["requestSizes"], serde_json::json!(["small"]), "{out}");
    assert!(v["far"].as_u64().unwrap() >= 4, "the test needs photos below the first screen: {out}");
    assert_eq!(v["farRequestedAtFirst"], 0, "{out}");
    assert!(v["requestedAtFirst"].as_u64().unwrap() < total, "{out}");
    assert_eq!(v["requestedAfterScroll"].as_u64(), Some(total), "each photo once scrolled to: {out}");
    assert_eq!(v["photoRequests"].as_u64(), Some(total), "no photo fetched twice: {out}");
    // In parallel: the first screen's photos were asked for side by side.
    assert!(v["maxInFlight"].as_u64().unwrap() >= 2, "{out}");
    assert!(v["maxInFlight"].as_u64().unwrap() <= 6, "{out}");
    // A tap: the preview, larger than the list's copy; the original on request.
    let small = v["smallWidth"].as_u64().unwrap();
    assert_eq!(small, u64::from(walkthrough_server::thumbs::PRINT_EDGE), "{out}");
    assert_eq!((v["viewer"]["size"].as_str(), v["viewer"]["width"].as_u64()), (Some("preview"), Some(640)), "{out}");
    assert!(!v["viewer"]["alt"].as_str().unwrap().is_empty(), "{out}");
    assert_eq!(v["original"]["width"].as_u64(), Some(640), "{out}");
    assert_eq!(v["requestSizesAfterTap"], serde_json::json!(["small", "preview", "original"]), "{out}");
    assert_eq!(v["viewerAfterEscape"], 0, "{out}");
}
