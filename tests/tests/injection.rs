//! Stored script injection, tried as an attacker would: script payloads in
//! every field a tablet or a person can set — the defect's spot,
//! description, "other" reason, root-cause note and chalk-mark label, the
//! contractor's fix note, the accepted risk's answers and plan, and the
//! names of contractors, buildings, unit types, categories, trades and
//! people in the project setup — then the contractor's page, the console's
//! pages and a shared report opened in headless Chromium
//! (`ui/e2e/injection.mjs`): no script runs, no element or handler comes
//! from the data, and the payload text is shown as text; with the CSP off
//! (escaping alone) and on (and the pages' own code breaks no CSP rule).

use serde_json::{json, Value};
use walkthrough_core::defect::*;
use walkthrough_core::model::Point;
use walkthrough_core::*;
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;

/// A payload that breaks out of text, attributes, textareas and scripts, tagged `n`.
fn payload(n: &str) -> String {
    format!("\"'><img src=x onerror=window.__pwned='{n}'></textarea><script>window.__pwned='{n}'</script>{n}")
}

/// A short one, for fields with a small limit (a chalk label: 40 characters).
fn short(n: &str) -> String {
    format!("<img src=x onerror=window.__pwned=1>{n}")
}

fn named(v: &Value, zh: &str, en: &str) -> Value {
    let mut v = v.clone();
    v["name"] = json!({ "zh": zh, "en": en });
    v
}

#[test]
fn script_payloads_in_every_field_are_shown_as_text_and_never_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let cs = Api::login(url, "u-cs-wang");

    // The setup's names, as a CS center (or a hostile import) could set them.
    let (_, p) = cs.call("GET", &format!("/projects/{PROJECT}"), None);
    let find = |list: &str, id: &str| p[list].as_array().unwrap().iter().find(|x| x["id"] == id).unwrap().clone();
    let mut guan = named(&find("contractors", "c-guan"), &payload("CON_ZH"), &payload("CON_EN"));
    guan["contact"] = json!({ "name": payload("CONTACT"), "phone": "javascript:window.__pwned=1", "email": "x@y.z" });
    let mut li = find("people", "u-insp-li");
    li["name"] = json!(payload("PERSON"));
    let unit_type = p["unit_types"].as_array().unwrap().iter().find(|u| u["id"] == "A").unwrap().clone();
    let other = p["categories"].as_array().unwrap().iter().find(|c| c["is_other"] == true).unwrap().clone();
    let edits = json!({ "edits": [
        { "op": "put_contractor", "contractor": guan },
        { "op": "put_person", "person": li },
        { "op": "put_building", "building": named(&find("buildings", "B1"), &payload("BLD"), &payload("BLD")) },
        { "op": "put_unit_type", "unit_type": named(&unit_type, &payload("UT"), &payload("UT")) },
        { "op": "put_category", "category": named(&other, &payload("CAT"), &payload("CAT")) },
        { "op": "put_trade", "trade": named(&find("trades", "waterproofing"), &payload("TRADE"), &payload("TRADE")) },
    ] });
    let (status, v) = cs.call("POST", &format!("/projects/{PROJECT}/edits"), Some(edits));
    assert_eq!(status, 200, "{v}");

    // A tablet records two defects with payloads in every text it holds.
    let mut tablet = Tablet::new(url, "u-insp-li");
    let project = tablet.project();
    let mut record = |unit: &str, n: u8| {
        let unit = UnitId::new(unit);
        let checklist = project.checklist(&unit);
        let entry = checklist.iter().find(|e| e.item.default_trade.as_str() == "waterproofing").unwrap();
        let now = chrono::Utc::now();
        let id = DefectId::from_parts(now.timestamp_millis() as u64, [n; 10]);
        let mut d = rules::draft_defect(&project, &unit, entry, id, &tablet.user, now, RoundNo(1));
        d.spot = payload(&format!("SPOT{n}"));
        d.description = payload(&format!("DESC{n}"));
        d.category = CategoryId::new(other["id"].as_str().unwrap());
        d.other_reason = Some(payload(&format!("REASON{n}")));
        d.root_cause_note = Some(payload(&format!("CAUSE{n}")));
        d.pin = Some(Point { x: 0.3, y: 0.6 });
        let bytes = std::fs::read(demo_photo("floor_drain_blocked.jpg")).unwrap();
        let ingested = tablet.photos.ingest(&bytes).unwrap();
        tablet.store.record_photo(&ingested).unwrap();
        let mid = MarkId::from_parts(now.timestamp_millis() as u64, [n, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
        let label = Shape::Label { at: Point { x: 0.2, y: 0.3 }, text: short(&format!("LBL{n}")) };
        let marks = [(mid, Mark { id: mid, shape: label })].into_iter().collect();
        d.photos.insert(
            ingested.hash.clone(),
            Photo { hash: ingested.hash.clone(), added_by: tablet.user.clone(), added_at: now, marks },
        );
        tablet.store.edit_unit(&project.id, &unit, |doc| doc.add_defect(&d)).unwrap();
        d
    };
    let fixed = record("B1-0101", 1);
    let risky = record("B1-0201", 2);
    tablet.sync();

    // Dispatched; the contractor reports one fixed with a payload note; the
    // CS center accepts the other as a risk with payload answers.
    let (status, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!(status, 200, "{v}");
    let (_, link) = cs.link("c-guan");
    let photo = std::fs::read(demo_photo("paint_drips.jpg")).unwrap();
    let secret = link.rsplit_once("#k=").unwrap().1.to_owned();
    let uploaded: Value = {
        walkthrough_client::tls::install_default_provider();
        walkthrough_e2e::http_client()
    }
    .post(format!("{url}/api/v1/contractor/photos"))
    .header("x-walkthrough-link", &secret)
    .body(photo)
    .send()
    .unwrap()
    .json()
    .unwrap();
    let (status, body) = as_link(
        url,
        &link,
        "POST",
        &format!("/items/{}/fixed", fixed.id),
        Some(json!({ "note": payload("FIX"), "photo": uploaded["hash"] })),
    );
    assert_eq!(status, 200, "{body}");
    let (status, v) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/defects/{}/accept-risk", risky.id),
        Some(json!({ "unified_answer": { "zh": payload("ANS_ZH"), "en": payload("ANS_EN") }, "contingency_plan": payload("PLAN") })),
    );
    assert_eq!(status, 200, "{v}");

    // An issued report and its share link.
    let (status, job) =
        cs.call("POST", &format!("/projects/{PROJECT}/reports/cumulative/issue"), Some(json!({ "photos": false })));
    assert_eq!(status, 202, "{job}");
    let mut issued = Value::Null;
    for _ in 0..600 {
        let (_, j) = cs.call("GET", &format!("/jobs/{}", job["id"].as_str().unwrap()), None);
        if j["state"] == "done" {
            issued = j["result"].clone();
            break;
        }
        assert_ne!(j["state"], "failed", "{j}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let report = issued["id"].as_str().expect("issued");
    let (status, share) = cs.call("POST", &format!("/projects/{PROJECT}/issued/{report}/shares"), None);
    assert_eq!(status, 200, "{share}");
    let share_url = format!("{url}{}", share["path"].as_str().unwrap());

    let all: Vec<String> = [
        "CON_EN", "CON_ZH", "ANS_ZH", "CONTACT", "PERSON", "BLD", "UT", "CAT", "TRADE", "SPOT1", "DESC1", "REASON1",
        "SPOT2", "DESC2", "REASON2", "FIX", "ANS_EN", "PLAN",
    ]
    .iter()
    .map(|n| payload(n))
    .chain(["LBL1", "LBL2"].iter().map(|n| short(n)))
    .collect();
    let out =
        run_browser_script("injection.mjs", &[url, PROJECT, &link, &share_url, &serde_json::to_string(&all).unwrap()]);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "{out}");
    assert_eq!(v["pageErrors"], json!([]), "{out}");
    assert_eq!(v["cspErrors"], json!([]), "the pages' own code breaks no CSP rule: {out}");
    let pages = v["pages"].as_object().unwrap();
    assert_eq!(pages.len(), 2 * 16, "every page was inspected in both sessions: {:?}", pages.keys());
    for (name, seen) in pages {
        assert_eq!(seen["pwned"], Value::Null, "{name}: a script ran: {seen}");
        assert_eq!(seen["injected"], json!([]), "{name}: markup from data: {seen}");
    }
    // Each payload a page shows is there as text, exactly as typed.
    let shown = |page: &str| -> Vec<String> {
        pages[page]["shown"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
    };
    let expect = |page: &str, names: &[&str]| {
        let got = shown(page);
        for n in names {
            // "A|B": either (the page shows the name in its reader's language).
            let any = n.split('|').any(|n| got.contains(&if n.starts_with("LBL") { short(n) } else { payload(n) }));
            assert!(any, "{page} does not show {n} as text: {got:?}");
        }
    };
    for suffix in ["", "-csp"] {
        let at = |p: &str| format!("{p}{suffix}");
        expect(&at("contractor"), &["CON_EN|CON_ZH", "SPOT1", "DESC1", "FIX", "LBL1", "BLD"]);
        expect(
            &at("defect"),
            &["DESC2", "SPOT2", "REASON2", "ANS_EN|ANS_ZH", "PLAN", "CON_EN|CON_ZH", "PERSON", "LBL2", "BLD"],
        );
        expect(&at("risks"), &["DESC2", "ANS_EN|ANS_ZH", "PLAN"]);
        expect(&at("risk-edit"), &["ANS_EN|ANS_ZH", "PLAN"]);
        expect(&at("dashboard"), &["PERSON", "BLD"]);
        expect(&at("contractors"), &["CON_EN|CON_ZH", "CONTACT"]);
        expect(&at("people"), &[]);
        expect(&at("unit-types"), &["UT"]);
        expect(&at("categories"), &["CAT", "TRADE"]);
        expect(&at("shared"), &["BLD"]);
    }
}
