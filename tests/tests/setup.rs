//! Project setup through the console's API, checked from the tablets' side:
//! a template edit while a tablet works offline mid-unit loses none of its
//! results; a disabled account's tablet stops syncing at once and keeps its
//! unsynced work (and signs in again once enabled); only the CS center of
//! the project's company may set up; every change is recorded with who and
//! when.

use walkthrough_client::store::Store;
use walkthrough_client::sync::{ApiRequest, HttpTransport, Method, SyncClient, SyncError, Transport};
use walkthrough_core::doc::{DocKey, UnitDoc};
use walkthrough_core::model::{Project, RoundAssignment};
use walkthrough_core::rules::Outcome;
use walkthrough_core::setup::ProjectEdit;
use walkthrough_core::*;
use walkthrough_e2e::*;
use walkthrough_server::store::Store as _;

fn project_id() -> ProjectId {
    ProjectId::new("hj-lanting")
}

struct Tablet {
    client: SyncClient,
    store: Store,
    user: UserId,
}

fn tablet(server: &Server, user: &str, password: &str) -> Tablet {
    let mut client = SyncClient::new(&server.url);
    client.attempts = 1;
    client.login(user, password).unwrap();
    Tablet { client, store: Store::open_in_memory().unwrap(), user: UserId::new(user) }
}

impl Tablet {
    fn sync(&mut self) -> Result<walkthrough_client::sync::SyncReport, SyncError> {
        self.client.sync(&mut self.store, &project_id(), &mut |_| {})
    }
    fn project(&mut self) -> std::sync::Arc<Project> {
        self.store.project(&project_id()).unwrap()
    }
    fn record(&mut self, unit: &UnitId, key: &model::ResultKey, outcome: Outcome, at: Time) {
        let by = self.user.clone();
        self.store
            .edit_unit(&project_id(), unit, |d| d.record_result(RoundNo(1), key, outcome, &by, at, None))
            .unwrap();
    }
}

/// A JSON call to the API as `token`; (status, body).
fn call(server: &Server, token: &str, method: Method, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let transport = HttpTransport::new(&server.url);
    // Bodies go as the tablets send them: gzip-compressed JSON.
    let (gzip_json, body) = if body.is_null() {
        (false, Vec::new())
    } else {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&serde_json::to_vec(&body).unwrap()).unwrap();
        (true, gz.finish().unwrap())
    };
    let req = ApiRequest { method, path: path.into(), token: Some(token.into()), gzip_json, body };
    let (status, bytes) = transport.call(&req).unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn login(server: &Server, user: &str) -> String {
    let mut c = SyncClient::new(&server.url);
    c.login(user, "demo").unwrap();
    c.token().unwrap().to_owned()
}

/// The demo server and a synced tablet of `u-insp-li` (the directory must outlive both).
fn server_and_tablet() -> (tempfile::TempDir, Server, Tablet) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut t = tablet(&server, "u-insp-li", "demo");
    t.sync().unwrap();
    (dir, server, t)
}

/// Send project edits as the console does.
fn post_edits(server: &Server, token: &str, edits: Vec<ProjectEdit>) -> (u16, serde_json::Value) {
    let body = serde_json::to_value(wire::EditRequest { edits }).unwrap();
    call(server, token, Method::Post, "/projects/hj-lanting/edits", body)
}

#[test]
fn a_template_edit_while_a_tablet_is_offline_mid_unit_keeps_its_results() {
    let (_dir, server, mut t) = server_and_tablet();
    let unit = UnitId::new("B1-0101");
    let p = t.project();
    let lines: Vec<(model::ResultKey, ItemCode)> =
        p.checklist(&unit).iter().take(6).map(|e| (e.key(), e.item.code.clone())).collect();
    let template = p.unit_type_of(&unit).unwrap().template.clone();
    let (edited, retired, moved) = (lines[0].1.clone(), lines[1].1.clone(), lines[2].1.clone());

    // Offline, mid-unit: three lines done.
    for (i, (key, _)) in lines.iter().take(3).enumerate() {
        t.record(&unit, key, if i == 1 { Outcome::Fail } else { Outcome::Pass }, time::from_millis(1_000 + i as i64));
    }

    // Meanwhile the CS center edits the first item's standard, retires the
    // second, moves the third to the end.
    let admin = login(&server, "u-cs-wang");
    let mut item = p.templates[&template].items.iter().find(|i| i.code == edited).unwrap().clone();
    item.standard.en = "Revised: no scratch longer than 5 mm".into();
    let (status, body) = post_edits(
        &server,
        &admin,
        vec![
            ProjectEdit::PutItem { template: template.clone(), item },
            ProjectEdit::RetireItem { template: template.clone(), code: retired.clone(), retired: true },
            ProjectEdit::MoveItem { template: template.clone(), code: moved.clone(), to: 999 },
        ],
    );
    assert_eq!(status, 200, "{body}");

    // Still offline, the tablet goes on with the unit (the retired item too:
    // it still has the old checklist).
    for (i, (key, _)) in lines.iter().enumerate().skip(3) {
        t.record(&unit, key, Outcome::Pass, time::from_millis(2_000 + i as i64));
    }
    t.record(&unit, &lines[1].0, Outcome::Fail, time::from_millis(3_000));
    let before = t.store.unit(&project_id(), &unit).unwrap();
    assert_eq!(before.results.len(), 6);

    let report = t.sync().unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);

    // The tablet has the new standards and all its results, unchanged.
    let after = t.store.unit(&project_id(), &unit).unwrap();
    assert_eq!(after.results, before.results);
    let p = t.project();
    let items = &p.templates[&template].items;
    assert_eq!(items.iter().find(|i| i.code == edited).unwrap().standard.en, "Revised: no scratch longer than 5 mm");
    assert!(items.iter().find(|i| i.code == retired).unwrap().retired);
    assert_eq!(items.last().unwrap().code, moved);
    assert!(!p.checklist(&unit).iter().any(|e| e.item.code == retired), "a retired item is no longer inspected");
    assert_eq!(after.outcomes(RoundNo(1))[&lines[1].0], Outcome::Fail, "the retired item's result is kept");

    // The server has the same results.
    let stored = server.store.load_doc(&DocKey::Unit(project_id(), unit.clone())).unwrap().unwrap();
    let mut doc = automerge::AutoCommit::load(&stored.snapshot).unwrap();
    for c in &stored.chunks {
        doc.load_incremental(c).unwrap();
    }
    assert_eq!(UnitDoc::from_automerge(doc).unwrap().read().unwrap().results, before.results);
}

#[test]
fn a_disabled_accounts_tablet_stops_syncing_at_once_and_keeps_its_work() {
    let (_dir, server, mut t) = server_and_tablet();
    let unit = UnitId::new("B1-0102");
    let key = t.project().checklist(&unit)[0].key();
    t.record(&unit, &key, Outcome::Fail, time::from_millis(5_000));

    let admin = login(&server, "u-cs-wang");
    let (status, body) =
        call(&server, &admin, Method::Post, "/projects/hj-lanting/people/u-insp-li/disable", serde_json::Value::Null);
    assert_eq!(status, 200, "{body}");

    // The very next sync is refused, with the tablet's own explanation.
    let err = t.sync().unwrap_err();
    assert!(matches!(err, SyncError::AccountDisabled { unsynced: 1 }), "{err:?}");
    assert!(err.to_string().contains("1 document(s) with unsynced work are kept on this tablet"), "{err}");
    assert_eq!(t.store.dirty_docs(&project_id()).unwrap(), vec![DocKey::Unit(project_id(), unit.clone())]);
    // Signing in again is refused too.
    assert!(SyncClient::new(&server.url).login("u-insp-li", "demo").is_err());

    // Enabled again, the old sign-in stays ended: the inspector signs in
    // again, and the kept work arrives.
    let (status, _) =
        call(&server, &admin, Method::Post, "/projects/hj-lanting/people/u-insp-li/enable", serde_json::Value::Null);
    assert_eq!(status, 200);
    let err = t.sync().unwrap_err();
    assert!(
        matches!(&err, SyncError::Rejected { status: 401, message } if message.starts_with("your sign-in was ended")),
        "{err:?}"
    );
    assert_eq!(t.store.dirty_docs(&project_id()).unwrap(), vec![DocKey::Unit(project_id(), unit.clone())]);
    t.client.login("u-insp-li", "demo").unwrap();
    t.sync().unwrap();
    assert!(t.store.dirty_docs(&project_id()).unwrap().is_empty());
    let history: Vec<wire::HistoryEntry> = serde_json::from_value(
        call(&server, &admin, Method::Get, "/projects/hj-lanting/history", serde_json::Value::Null).1,
    )
    .unwrap();
    let whats: Vec<(&str, &str)> = history.iter().map(|h| (h.by.as_str(), h.what.as_str())).collect();
    assert_eq!(whats, vec![("u-cs-wang", "account u-insp-li enabled"), ("u-cs-wang", "account u-insp-li disabled")]);
    assert!(chrono::DateTime::parse_from_rfc3339(&history[0].at).is_ok());
}

#[test]
fn only_the_cs_center_of_the_projects_company_sets_it_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let inspector = login(&server, "u-insp-li");
    let rename = vec![ProjectEdit::SetInfo {
        name: model::I18nText::new("改名", "Renamed"),
        handover_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    }];
    let (status, body) = post_edits(&server, &inspector, rename.clone());
    assert_eq!((status, body["error"].as_str().unwrap()), (403, "only the CS center can set up projects"));
    let (status, _) = call(&server, &inspector, Method::Get, "/projects/hj-lanting/people", serde_json::Value::Null);
    assert_eq!(status, 403);

    // A CS admin of another company.
    let other = walkthrough_server::store::User {
        id: UserId::new("u-cs-other"),
        username: "u-cs-other".into(),
        name: "Other".into(),
        role: model::Role::CsAdmin,
        company: "another-co".into(),
        password_hash: walkthrough_server::auth::hash_password("demo").unwrap(),
        disabled: false,
    };
    walkthrough_server::store::Store::create_user(server.store.as_ref(), &other, &[]).unwrap();
    let token = login(&server, "u-cs-other");
    let (status, body) = post_edits(&server, &token, rename.clone());
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "project hj-lanting is not one of your company's projects");

    // A refused batch changes nothing and says which change and why.
    let admin = login(&server, "u-cs-wang");
    let (status, body) = post_edits(
        &server,
        &admin,
        vec![
            ProjectEdit::SetInfo {
                name: model::I18nText::new("改名", "Renamed"),
                handover_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            },
            ProjectEdit::RetireItem {
                template: TemplateId::new("std-2026"),
                code: ItemCode::new("NOPE-1"),
                retired: true,
            },
        ],
    );
    assert_eq!(status, 422);
    assert_eq!(
        body["error"],
        "change 2 (checklist item NOPE-1 of template std-2026 retired): item `NOPE-1` is not in template std-2026"
    );
    // An inconsistent result is refused with the project's own checks.
    let (status, body) = post_edits(
        &server,
        &admin,
        vec![ProjectEdit::PutRound {
            round: model::RoundPlan {
                no: RoundNo(1),
                start: chrono::NaiveDate::from_ymd_opt(2026, 7, 20).unwrap(),
                due: chrono::NaiveDate::from_ymd_opt(2026, 7, 31).unwrap(),
                assignments: vec![RoundAssignment {
                    inspector: UserId::new("u-nobody"),
                    buildings: vec![],
                    units: vec![],
                }],
                notes: String::new(),
            },
        }],
    );
    assert_eq!(status, 422);
    assert!(body["error"].as_str().unwrap().contains("round 1: inspector `u-nobody` is not a known person"), "{body}");
    let (_, p) = call(&server, &admin, Method::Get, "/projects/hj-lanting", serde_json::Value::Null);
    assert_eq!(p["name"]["en"], "Lanting Residences");
    let (_, history) = call(&server, &admin, Method::Get, "/projects/hj-lanting/history", serde_json::Value::Null);
    assert_eq!(history, serde_json::json!([]));
}

#[test]
fn categories_set_in_the_console_are_what_the_tablet_checks_against() {
    let (_dir, server, mut t) = server_and_tablet();
    let admin = login(&server, "u-cs-wang");
    let mut other = t.project().categories[&CategoryId::new("other")].clone();
    other.is_other = false;
    let mut misc = other.clone();
    misc.id = CategoryId::new("misc");
    misc.name = model::I18nText::new("杂项", "Miscellaneous");
    misc.is_other = true;
    misc.deadline_hours = 96;
    // Two "other" categories at once are refused; moving the flag in one batch is fine.
    let (status, body) = post_edits(&server, &admin, vec![ProjectEdit::PutCategory { category: misc.clone() }]);
    assert_eq!((status, body["error"].as_str().unwrap()), (422, "category other is already the \"other\" category"));
    let (status, body) = post_edits(
        &server,
        &admin,
        vec![ProjectEdit::PutCategory { category: other }, ProjectEdit::PutCategory { category: misc }],
    );
    assert_eq!(status, 200, "{body}");
    t.sync().unwrap();

    let p = t.project();
    let unit = UnitId::new("B1-0101");
    let entry = &p.checklist(&unit)[0];
    let mut d =
        rules::draft_defect(&p, &unit, entry, DefectId::new_v7(), &t.user, time::from_millis(9_000), RoundNo(1));
    d.description = "Scratch on the door leaf".into();
    d.category = CategoryId::new("misc");
    d.other_reason = None;
    let err = rules::check_defect(&p, &d).unwrap_err().to_string();
    assert!(err.contains("`misc` is \"other\": a written reason is required"), "{err}");
    d.category = CategoryId::new("other");
    rules::check_defect(&p, &d).unwrap();
    assert_eq!(
        rules::deadline_for(&p.categories[&CategoryId::new("misc")], time::from_millis(0), p.zone()),
        time::from_millis(96 * 3_600_000)
    );
}
