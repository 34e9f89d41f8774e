//! Headless Chromium: a CS admin creates a project, imports units (a bad
//! list first: column mapping, preview, every bad row; then a good one),
//! edits a checklist item, invites an inspector and plans round 1. Then a
//! tablet signed in as that inspector receives exactly its assignment and
//! the edited standard.

use std::collections::BTreeSet;
use walkthrough_client::store::Store;
use walkthrough_client::sync::{ApiRequest, HttpTransport, Method, SyncClient, Transport};
use walkthrough_core::rules::Outcome;
use walkthrough_core::*;
use walkthrough_e2e::*;

const BAD: &str = "楼号,层位,房屋号码,户型类别\nX1,1,0101,T1\nX1,一,0102,T1\nX1,2,,T1\nX1,1,0101,T2\n";
const GOOD: &str =
    "楼号,层位,房屋号码,户型类别\nX1,1,0101,T1\nX1,1,0102,T2\nX1,2,0201,T1\nX1,2,0202,T2\nX2,1,0101,T1\nX2,1,0102,T2\n";

#[test]
fn a_cs_admin_sets_up_a_project_and_the_inspectors_tablet_gets_exactly_its_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let (bad, good) = (dir.path().join("bad.csv"), dir.path().join("good.csv"));
    std::fs::write(&bad, BAD).unwrap();
    std::fs::write(&good, GOOD).unwrap();
    let plan = walkthrough_fixtures::demo_dir().join("photos/door_scratch.jpg");
    let args = [server.url.as_str(), bad.to_str().unwrap(), good.to_str().unwrap(), plan.to_str().unwrap()];
    let out = run_browser_script("console.mjs", &args);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");

    assert_eq!(v["path"], "/ui/console/");
    assert_eq!(v["wrongPassword"], "wrong username or password");
    assert_eq!((v["navEn"].as_str(), v["navZh"].as_str()), (Some("Projects"), Some("项目")));
    let header = v["headerError"][0].as_str().unwrap();
    assert!(
        header.starts_with("Row 1: the header needs the columns building, floor, number and unit_type"),
        "{header}"
    );
    assert_eq!(
        v["rowErrors"],
        serde_json::json!([
            "Row 3: floor \"一\" is not a whole number",
            "Row 4: building and number are required",
            "Row 5: unit X1-0101 is already in the project or appears twice",
        ])
    );
    assert_eq!(v["importDisabledWithErrors"], true);
    assert_eq!(v["preview"], "6 units to add · new buildings: X1, X2 · new unit types: T1, T2");
    assert_eq!(v["previewRows"], 6);
    assert!(v["itemRow"].as_str().unwrap().contains("no scratch longer than 5 mm"), "{v:#}");
    assert_eq!(v["peopleStatus"], "Active");
    assert!(v["rounds"].as_str().unwrap().contains("2026-09-01 – 2026-09-30"), "{v:#}");
    assert!(v["rounds"].as_str().unwrap().contains("1 units without an inspector"), "{v:#}");
    let zh = &v["pagesZh"];
    for (page, heading) in [
        ("projects", "项目"),
        ("units", "房源"),
        ("unit-types", "户型"),
        ("standards", "验收标准"),
        ("categories", "问题分类"),
        ("contractors", "施工单位"),
        ("people", "人员"),
        ("rounds", "轮次计划"),
    ] {
        assert_eq!(
            (zh[page]["heading"].as_str(), zh[page]["errors"].as_u64()),
            (Some(heading), Some(0)),
            "{page}: {v:#}"
        );
    }
    let history: Vec<&str> = v["history"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    assert_eq!(history.len(), 6, "{history:?}");
    // Said in words with names: who by name, never an account id.
    for (line, what) in history.iter().zip([
        "Uploaded the floor plan of unit type ",
        "Saved the plan of round 1",
        "Invited 徐静 as inspector",
        "Saved a checklist item of template ",
        "Imported 6 unit(s) from a unit list",
        "Created the project (handover 2026-12-31)",
    ]) {
        assert!(
            line.contains("王敏") && !line.contains("u-cs-wang") && line.contains(what),
            "{line:?} should be 王敏: {what}"
        );
    }

    // The invited inspector's tablet, with the password the console showed.
    let project = ProjectId::new("hj-xiyuan");
    let mut client = SyncClient::new(&server.url);
    let me = client.login("u-insp-xu", v["password"].as_str().unwrap()).unwrap();
    assert_eq!(me.user.projects, vec![project.clone()]);
    // The password is temporary: changed before anything else.
    assert!(me.must_change_password);
    client.change_password(v["password"].as_str().unwrap(), "xu-own-password").unwrap();
    let mut store = Store::open_in_memory().unwrap();
    client.sync(&mut store, &project, &mut |_| {}).unwrap();
    let p = store.project(&project).unwrap();
    let mine: BTreeSet<String> =
        p.assigned_units(RoundNo(1), &UserId::new("u-insp-xu")).into_iter().map(|u| u.0).collect();
    let expected = ["X1-0101", "X1-0102", "X1-0201", "X1-0202", "X2-0102"];
    assert_eq!(mine, expected.map(String::from).into());
    assert_eq!(p.units.len(), 6);
    let item = p.templates[&TemplateId::new("std-2026")].items.iter().find(|i| i.code.as_str() == "ENT-01").unwrap();
    assert_eq!(item.standard.en, "Entry door: no scratch longer than 5 mm under raking light");
    assert_eq!(item.standard.zh, "入户门：强光侧照下无长于5毫米的划痕");
    // The new unit types have rooms, so the tablet has a checklist.
    assert!(!p.checklist(&UnitId::new("X1-0101")).is_empty());
    assert_eq!(p.people[&UserId::new("u-insp-xu")].org, "物业公司");
    // The floor plan is stored by its hash, which the tablet can fetch.
    let hash = walkthrough_client::photos::hash_bytes(&std::fs::read(&plan).unwrap());
    assert_eq!(p.unit_types[&UnitTypeId::new("T1")].floor_plan.as_deref(), Some(hash.as_str()));
    assert!(v["floorPlan"].as_str().is_some_and(|s| hash.as_str().starts_with(s)), "{v:#}");
    let photos = walkthrough_client::photos::PhotoDir::new(dir.path().join("tablet-photos")).unwrap();
    client.download_photo(&photos, &hash).unwrap();

    // Progress against the plan, for the dashboard: one unit inspected
    // completely, one started.
    let me_id = UserId::new("u-insp-xu");
    for (unit, lines) in [("X1-0101", usize::MAX), ("X1-0102", 1)] {
        let unit = UnitId::new(unit);
        let keys: Vec<_> = p.checklist(&unit).iter().take(lines).map(|e| e.key()).collect();
        store
            .edit_unit(&project, &unit, |d| {
                for (i, k) in keys.iter().enumerate() {
                    d.record_result(RoundNo(1), k, Outcome::Pass, &me_id, time::from_millis(1_000 + i as i64), None)?;
                }
                Ok(())
            })
            .unwrap();
    }
    client.sync(&mut store, &project, &mut |_| {}).unwrap();
    let mut admin = SyncClient::new(&server.url);
    admin.login("u-cs-wang", "demo").unwrap();
    let req = ApiRequest {
        method: Method::Get,
        path: "/projects/hj-xiyuan/rounds/1/progress".into(),
        token: admin.token().map(str::to_owned),
        gzip_json: false,
        body: Vec::new(),
    };
    let (status, body) = HttpTransport::new(&server.url).call(&req).unwrap();
    assert_eq!(status, 200);
    let progress: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(progress, serde_json::json!([{ "inspector": "u-insp-xu", "assigned": 5, "started": 2, "done": 1 }]));
}
