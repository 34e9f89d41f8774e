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
    for api in [&inspector] {
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
