//! Accepted risks and the company overview over HTTP, against the real
//! server: who may accept a risk, refusals in words with nothing stored,
//! the decision reaching an inspector's tablet on its next sync, an edit
//! changing the answer everyone reads; a defect's detail; and the company
//! overview's figures equal to each project's cumulative report.

use serde_json::{json, Value};
use walkthrough_core::defect::*;
use walkthrough_core::*;
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;
use walkthrough_server::store::{Store, User};

/// A CS-center account of another company (password "demo"), with no project.
fn other_company_admin(server: &Server) -> Api {
    let user = User {
        id: "u-cs-other".into(),
        username: "u-cs-other".into(),
        name: "Other company".into(),
        role: walkthrough_core::model::Role::CsAdmin,
        company: "another-company".into(),
        password_hash: walkthrough_server::auth::hash_password("demo").unwrap(),
        disabled: false,
    };
    server.store.create_user(&user, &[]).unwrap();
    Api::login(&server.url, "u-cs-other")
}

fn answer(zh: &str, en: &str, plan: &str) -> Value {
    json!({ "unified_answer": { "zh": zh, "en": en }, "contingency_plan": plan })
}

#[test]
fn the_cs_center_accepts_a_risk_the_tablet_receives_it_and_an_edit_changes_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let beam = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    let fixed = tablet.record("B1-0102", "kitchen", None, 2);
    tablet.sync();
    let accept = format!("/projects/{PROJECT}/defects/{}/accept-risk", beam.id);
    let first = answer(
        "此处为结构梁，无法调整；已在交付资料中说明。",
        "A structural beam; it cannot be moved.",
        "交付时由工程师现场解释并提供图纸",
    );

    // Who may accept: the CS center of the project only.
    let cs = Api::login(&server.url, "u-cs-wang");
    for (who, api) in [
        ("inspector", Api::login(&server.url, "u-insp-li")),
        ("engineer", Api::login(&server.url, "u-eng-sun")),
        ("another company's CS center", other_company_admin(&server)),
    ] {
        let (status, v) = api.call("POST", &accept, Some(first.clone()));
        assert_eq!(status, 403, "{who}: {v}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{who}: {v}");
    }
    // Unknown defects.
    let unknown = format!("/projects/{PROJECT}/defects/{}/accept-risk", DefectId::new_v7());
    assert_eq!(cs.call("POST", &unknown, Some(first.clone())).0, 404);
    assert_eq!(
        cs.call("POST", &format!("/projects/{PROJECT}/defects/nonsense/accept-risk"), Some(first.clone())).0,
        404
    );
    // Refusals in words.
    for (body, words) in
        [(answer("", "English only", "plan"), "in Chinese"), (answer("口径", "", "  "), "contingency plan")]
    {
        let (status, v) = cs.call("POST", &accept, Some(body));
        assert_eq!(status, 422, "{v}");
        assert!(v["error"].as_str().unwrap().contains(words), "{v}");
    }
    // A verified defect has no risk to accept.
    let p = tablet.project();
    let passed = DefectEvent {
        id: EventId::new_v7(),
        at: chrono::Utc::now(),
        device_at: None,
        by: "u-insp-li".into(),
        round: RoundNo(2),
        kind: EventKind::Rechecked { passed: true, note: "好了".into(), photo: None, new_deadline: None },
    };
    tablet.store.edit_unit(&p.id, &fixed.unit, |doc| doc.add_event(fixed.id, &passed)).unwrap();
    tablet.sync();
    let (status, v) =
        cs.call("POST", &format!("/projects/{PROJECT}/defects/{}/accept-risk", fixed.id), Some(first.clone()));
    assert_eq!(status, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("passed its recheck"), "{v}");
    // Nothing of that was stored.
    let (_, risks) = cs.call("GET", &format!("/projects/{PROJECT}/risks"), None);
    assert_eq!(risks, json!([]));
    let (_, history) = cs.call("GET", &format!("/projects/{PROJECT}/history"), None);
    assert!(!history.to_string().contains("risk"), "{history}");
    tablet.sync();
    assert_eq!(tablet.defect(&beam.unit, beam.id).lifecycle().status, DefectStatus::Open);

    // Accepted.
    let (status, row) = cs.call("POST", &accept, Some(first.clone()));
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["risk"]["unified_answer"], first["unified_answer"]);
    let (_, risks) = cs.call("GET", &format!("/projects/{PROJECT}/risks"), None);
    let risks = risks.as_array().unwrap();
    assert_eq!(risks.len(), 1);
    assert_eq!(risks[0]["defect"], beam.id.to_string());
    assert_eq!(risks[0]["place"]["unit"], "B1-0101");
    assert_eq!(risks[0]["risk"]["contingency_plan"], "交付时由工程师现场解释并提供图纸");
    assert_eq!(risks[0]["risk"]["accepted_by"], "u-cs-wang");
    assert!(!risks[0]["category"]["name"]["zh"].as_str().unwrap().is_empty());
    let accepted_at = risks[0]["risk"]["accepted_at"].clone();
    let (_, history) = cs.call("GET", &format!("/projects/{PROJECT}/history"), None);
    assert!(history.to_string().contains(&format!("accepted the risk of defect {}", beam.id)), "{history}");

    // The tablet receives it on its next sync, authored by the CS center.
    tablet.sync();
    let d = tablet.defect(&beam.unit, beam.id);
    assert_eq!(d.lifecycle().status, DefectStatus::AcceptedRisk);
    let risk = d.current_risk().unwrap();
    assert_eq!(risk.unified_answer.zh, "此处为结构梁，无法调整；已在交付资料中说明。");
    assert_eq!(risk.accepted_by.as_str(), "u-cs-wang");
    let closed_at = d.lifecycle().closed_at;

    // An edit: another decision, the latest answer everywhere, the acceptance time kept.
    let cs2 = Api::login(&server.url, "u-cs-zhao");
    let second = answer("结构梁位置符合设计，不影响使用；可提供吊顶方案。", "", "提供免费吊顶改造");
    let (status, v) = cs2.call("POST", &accept, Some(second.clone()));
    assert_eq!(status, 200, "{v}");
    let (_, risks) = cs.call("GET", &format!("/projects/{PROJECT}/risks"), None);
    assert_eq!(risks.as_array().unwrap().len(), 1);
    assert_eq!(risks[0]["risk"]["unified_answer"], second["unified_answer"]);
    assert_eq!(risks[0]["risk"]["contingency_plan"], "提供免费吊顶改造");
    assert_eq!((&risks[0]["risk"]["accepted_at"], &risks[0]["risk"]["edits"]), (&accepted_at, &json!(1)));
    assert_eq!(risks[0]["risk"]["edited_by"], "u-cs-zhao");
    // The same answer again changes nothing and is refused.
    let (status, v) = cs2.call("POST", &accept, Some(second.clone()));
    assert_eq!((status, v["error"].as_str().unwrap().contains("unchanged")), (422, true), "{v}");
    tablet.sync();
    let d = tablet.defect(&beam.unit, beam.id);
    assert_eq!(d.current_risk().unwrap().contingency_plan, "提供免费吊顶改造");
    assert_eq!(d.lifecycle().closed_at, closed_at);

    // The defect in full: place, photo with its three marks, history with both decisions.
    let (status, detail) = cs.call("GET", &format!("/projects/{PROJECT}/defects/{}", beam.id), None);
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "accepted_risk");
    assert_eq!(detail["place"]["unit"], "B1-0101");
    assert_eq!(detail["photos"].as_array().unwrap().len(), 1);
    assert_eq!(detail["photos"][0]["marks"].as_array().unwrap().len(), 3);
    assert_eq!(detail["risk"]["contingency_plan"], "提供免费吊顶改造");
    let types: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types.iter().filter(|t| **t == "accepted_risk").count(), 2, "{types:?}");
    // The photo loads for the CS center with its token.
    let hash = detail["photos"][0]["hash"].as_str().unwrap();
    let photo = walkthrough_e2e::http_client()
        .get(format!("{}/api/v1/blobs/{hash}", server.url))
        .bearer_auth(&cs.token)
        .send()
        .unwrap();
    assert_eq!(photo.status().as_u16(), 200);

    // Reading: the CS center and engineers; never inspectors, contractors or another company.
    let engineer = Api::login(&server.url, "u-eng-sun");
    assert_eq!(engineer.call("GET", &format!("/projects/{PROJECT}/risks"), None).0, 200);
    assert_eq!(engineer.call("GET", &format!("/projects/{PROJECT}/defects/{}", beam.id), None).0, 200);
    for user in ["u-insp-li", "u-cs-other"] {
        let api = Api::login(&server.url, user);
        assert_eq!(api.call("GET", &format!("/projects/{PROJECT}/risks"), None).0, 403, "{user}");
        assert_eq!(api.call("GET", &format!("/projects/{PROJECT}/defects/{}", beam.id), None).0, 403, "{user}");
    }
    assert_eq!(cs.call("GET", &format!("/projects/{PROJECT}/defects/{}", DefectId::new_v7()), None).0, 404);
}

fn summary(report: &Value, metric: &str) -> Value {
    let table = report["tables"].as_array().unwrap().iter().find(|t| t["key"] == "summary").unwrap();
    table["rows"].as_array().unwrap().iter().find(|r| r[0] == metric).unwrap_or_else(|| panic!("{metric}"))[3].clone()
}

#[test]
fn the_company_overview_holds_each_projects_cumulative_figures() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 3, 7);
    let cs = Api::login(&server.url, "u-cs-wang");
    // A second project of the company, made as the console makes one.
    let (status, v) = cs.call(
        "POST",
        "/projects",
        Some(json!({ "id": "hj-second", "name": { "zh": "华景·二期", "en": "Huajing phase 2" }, "handover_date": "2027-06-30" })),
    );
    assert_eq!(status, 200, "{v}");

    let (status, overview) = cs.call("GET", "/company/overview", None);
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["company"], "huajing-suzhou");
    assert_eq!(overview["company_name"]["zh"], "华景地产苏州公司");
    let projects = overview["projects"].as_array().unwrap();
    let ids: Vec<&str> = projects.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["hj-lanting", "hj-second"]);

    let demo = &projects[0];
    let (_, report) = cs.call("GET", &format!("/projects/{PROJECT}/reports/cumulative"), None);
    for (field, metric) in [
        ("units", "units_total"),
        ("units_inspected", "units_inspected"),
        ("open_defects", "open_defects"),
        ("overdue", "overdue"),
        ("closed_rate", "closed_rate"),
        ("timely_rate", "timely_rate"),
        ("failed_twice_or_more", "failed_twice_or_more"),
    ] {
        assert_eq!(demo[field], summary(&report, metric), "{field}");
    }
    assert_eq!(demo["days_to_handover"], report["days_to_handover"]);
    assert_eq!(demo["current_round"], report["round"]);
    assert_eq!(demo["handover_date"], "2026-10-31");
    assert!(demo["open_defects"].as_u64().unwrap() > 0 && demo["units_inspected"].as_u64().unwrap() > 0, "{demo}");

    let second = &projects[1];
    assert_eq!(second["name"]["zh"], "华景·二期");
    assert_eq!(
        (&second["current_round"], &second["units"], &second["open_defects"]),
        (&Value::Null, &json!(0), &json!(0))
    );

    // Only the CS center, and only its own company's projects.
    for user in ["u-insp-li", "u-eng-sun"] {
        assert_eq!(Api::login(&server.url, user).call("GET", "/company/overview", None).0, 403, "{user}");
    }
    let (status, other) = other_company_admin(&server).call("GET", "/company/overview", None);
    assert_eq!((status, other["projects"].clone()), (200, json!([])), "{other}");
}
