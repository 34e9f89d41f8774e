//! A hostile tablet: a test client that crafts Automerge changes directly
//! (bypassing the app and its local check) and pushes them over real HTTP.
//! Each forgery is refused whole with its reason and nothing of it is
//! stored; an honest tablet syncing in the same run is unaffected.

mod common;
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ReadDoc, ROOT};
use base64::Engine;
use common::TestServer;
use walkthrough_client::sync::SyncClient;
use walkthrough_client::Store;
use walkthrough_core::defect::*;
use walkthrough_core::doc::check::Writer;
use walkthrough_core::doc::{DocKey, UnitDoc};
use walkthrough_core::model::*;
use walkthrough_core::time::{self, Time};
use walkthrough_core::*;
use walkthrough_server::store::Store as _;

fn project_id() -> ProjectId {
    ProjectId::new("hj-lanting")
}

fn at(h: i64) -> Time {
    time::parse("2026-07-21T09:00:00Z") + chrono::Duration::hours(h)
}

struct Tablet {
    store: Store,
    client: SyncClient,
    _dir: tempfile::TempDir,
}

fn tablet(server: &TestServer, user: &str) -> Tablet {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("tablet.sqlite")).unwrap();
    let mut client = SyncClient::new(&server.url);
    client.attempts = 1;
    let login = client.login(user, "demo").unwrap();
    store.set_writer(Some(Writer { user: login.user.id, role: login.user.role })).unwrap();
    Tablet { store, client, _dir: dir }
}

fn sync(t: &mut Tablet) {
    t.client.sync(&mut t.store, &project_id(), &mut |_| {}).unwrap();
}

/// What the server holds of a unit: its heads and the project's defect count.
fn server_state(server: &TestServer, unit: &UnitId) -> (Vec<String>, usize) {
    let stored = server.store.load_doc(&DocKey::Unit(project_id(), unit.clone())).unwrap().unwrap();
    let mut doc = AutoCommit::load(&stored.snapshot).unwrap();
    for c in &stored.chunks {
        doc.load_incremental(c).unwrap();
    }
    let heads = doc.get_heads().iter().map(|h| h.to_string()).collect();
    (heads, server.store.defect_rows(&project_id()).unwrap().len())
}

#[test]
fn forged_changes_are_refused_whole_and_honest_tablets_go_on() {
    let server = TestServer::start();
    let project = walkthrough_fixtures::demo_project();
    let unit: UnitId = "B1-0301".into();
    // An honest inspector records a defect and syncs.
    let mut honest = tablet(&server, "u-insp-li");
    sync(&mut honest);
    let entry = project.checklist(&unit)[0].clone();
    let id = DefectId::new_v7();
    let d = walkthrough_core::rules::draft_defect(&project, &unit, &entry, id, &"u-insp-li".into(), at(0), RoundNo(1));
    honest.store.edit_unit(&project_id(), &unit, |doc| doc.add_defect(&d)).unwrap();
    let edit = walkthrough_core::doc::DefectEdit::Description("裂缝约 30 cm".into());
    let li: UserId = "u-insp-li".into();
    honest
        .store
        .edit_unit(&project_id(), &unit, |doc| doc.edit_defect(id, &edit, EventId::new_v7(), &li, at(1), RoundNo(1)))
        .unwrap();
    sync(&mut honest);

    // The attacker: a real inspector account with its own copy of the unit.
    let mut attacker = tablet(&server, "u-insp-chen");
    sync(&mut attacker);
    let token = attacker.client.token().unwrap().to_owned();
    let key = DocKey::Unit(project_id(), unit.clone());
    let base = attacker.store.changes_since(&key, &[]).unwrap();
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    };
    let push = |doc: &mut AutoCommit, have: &[automerge::ChangeHash]| -> Option<String> {
        let changes = doc.save_after(have);
        push_raw(&http, &server.url, &token, &key, have, &changes)
    };
    let before = server_state(&server, &unit);
    let me: UserId = "u-insp-chen".into();
    let event = |by: &str, at: Time, kind: EventKind| DefectEvent {
        id: EventId::new_v7(),
        at,
        device_at: None,
        by: by.into(),
        round: RoundNo(2),
        kind,
    };
    let risk = EventKind::AcceptedRisk {
        unified_answer: I18nText::new("统一口径", "answer"),
        contingency_plan: "plan".into(),
    };
    #[allow(clippy::type_complexity)] // a table of cases
    let forged: Vec<(&str, Box<dyn Fn(&mut UnitDoc)>, &str)> = vec![
        (
            "an accepted risk signed with the CS center's name",
            Box::new(|u: &mut UnitDoc| u.add_event(id, &event("u-cs-wang", at(30), risk.clone())).unwrap()),
            "signed by u-cs-wang, but you are signed in as u-insp-chen",
        ),
        (
            "an accepted risk in the inspector's own name",
            Box::new(|u: &mut UnitDoc| u.add_event(id, &event("u-insp-chen", at(30), risk.clone())).unwrap()),
            "may not write an accepted risk",
        ),
        (
            "an assignment",
            Box::new(|u: &mut UnitDoc| {
                let kind = EventKind::Assigned { contractor: "c-guan".into(), deadline: at(99) };
                u.add_event(id, &event("u-insp-chen", at(30), kind)).unwrap()
            }),
            "may not write an assignment",
        ),
        (
            "a contractor's fixed report",
            Box::new(|u: &mut UnitDoc| {
                let kind = EventKind::ReportedFixed { note: "done".into(), photo: None };
                u.add_event(id, &event("u-insp-chen", at(30), kind)).unwrap()
            }),
            "may not write a contractor's report",
        ),
        (
            "deleting the defect",
            Box::new(|u: &mut UnitDoc| {
                let am = u.automerge();
                let m = am.get(ROOT, "defects").unwrap().unwrap().1;
                let keys: Vec<String> = am.keys(&m).collect();
                for k in keys {
                    am.delete(&m, k).unwrap();
                }
                am.commit();
            }),
            "never deleted",
        ),
        (
            "deleting an event",
            Box::new(|u: &mut UnitDoc| {
                let am = u.automerge();
                let m = am.get(ROOT, "defects").unwrap().unwrap().1;
                let k = am.keys(&m).find(|k| k.contains("/event/")).unwrap();
                am.delete(&m, k).unwrap();
                am.commit();
            }),
            "history is never deleted",
        ),
        (
            "a photo hash with markup in it",
            Box::new(|u: &mut UnitDoc| {
                let hash = PhotoHash::new("\"><img src=x onerror=alert(1)>");
                let p = Photo { hash, added_by: "u-insp-chen".into(), added_at: at(30), marks: Default::default() };
                u.add_photo(id, &p).unwrap()
            }),
            "not a photo hash",
        ),
        (
            "a far-future time",
            Box::new(|u: &mut UnitDoc| {
                let kind = EventKind::Rechecked { passed: true, note: String::new(), photo: None, new_deadline: None };
                u.add_event(id, &event("u-insp-chen", time::parse("2099-01-01T00:00:00Z"), kind)).unwrap()
            }),
            "hours ahead of the clock",
        ),
    ];
    for (what, forge, reason) in &forged {
        let mut doc = UnitDoc::load(&base).unwrap();
        doc.set_actor(ActorId::random());
        let have = doc.heads();
        forge(&mut doc);
        let refusal = push(doc.automerge(), &have).unwrap_or_else(|| panic!("{what}: accepted"));
        assert!(refusal.contains(reason), "{what}: refusal {refusal:?} does not say {reason:?}");
        assert!(refusal.starts_with("document hj-lanting/unit/B1-0301 was refused"), "{refusal}");
        assert_eq!(server_state(&server, &unit), before, "{what}: something was stored");
    }

    // A valid change sent from another user's device (actor) is refused.
    {
        let mut doc = UnitDoc::load(&base).unwrap();
        doc.set_actor(honest.store.actor().clone());
        let have = doc.heads();
        let kind = EventKind::Rechecked { passed: true, note: String::new(), photo: None, new_deadline: None };
        doc.add_event(id, &event("u-insp-chen", at(30), kind)).unwrap();
        let refusal = push(doc.automerge(), &have).expect("refused");
        assert!(refusal.contains("which writes for u-insp-li"), "{refusal}");
        assert_eq!(server_state(&server, &unit), before);
    }
    // A valid change under an actor the server writes as (here the CS
    // center's, before the server ever used it) would show in every history
    // as the server's: refused.
    {
        let mut doc = UnitDoc::load(&base).unwrap();
        doc.set_actor(ActorId::from(b"user:u-cs-wang".as_slice()));
        let have = doc.heads();
        let kind = EventKind::Rechecked { passed: true, note: String::new(), photo: None, new_deadline: None };
        doc.add_event(id, &event("u-insp-chen", at(30), kind)).unwrap();
        let refusal = push(doc.automerge(), &have).expect("refused");
        assert!(refusal.contains("an actor reserved for the server (user:u-cs-wang)"), "{refusal}");
        assert_eq!(server_state(&server, &unit), before);
    }
    // Broken bytes: a change cut short, and garbage after a good change.
    {
        let mut doc = UnitDoc::load(&base).unwrap();
        doc.set_actor(ActorId::random());
        let have = doc.heads();
        let kind = EventKind::Rechecked { passed: true, note: String::new(), photo: None, new_deadline: None };
        doc.add_event(id, &event("u-insp-chen", at(30), kind)).unwrap();
        let good = doc.automerge().save_after(&have);
        for bad in [good[..good.len() - 3].to_vec(), [good.clone(), b"junk".to_vec()].concat()] {
            let refusal = push_raw(&http, &server.url, &token, &key, &have, &bad).expect("refused");
            assert!(refusal.contains("not valid Automerge data"), "{refusal}");
            assert_eq!(server_state(&server, &unit), before);
        }
        // The same change, whole, from the attacker's own device, is fine:
        // an honest recheck by the signed-in inspector.
        assert_eq!(push_raw(&http, &server.url, &token, &key, &have, &good), None);
    }

    // The honest tablet goes on: another defect, synced and stored.
    let entry = project.checklist(&unit)[1].clone();
    let d2 = walkthrough_core::rules::draft_defect(
        &project,
        &unit,
        &entry,
        DefectId::new_v7(),
        &"u-insp-li".into(),
        at(1),
        RoundNo(1),
    );
    honest.store.edit_unit(&project_id(), &unit, |doc| doc.add_defect(&d2)).unwrap();
    sync(&mut honest);
    assert!(honest.store.dirty_docs(&project_id()).unwrap().is_empty(), "everything synced");
    let rows = server.store.defect_rows(&project_id()).unwrap();
    assert!(rows.iter().any(|r| r.id == d2.id) && rows.iter().any(|r| r.id == id));
    // The devices are recorded against their users.
    let devices = server.store.project_devices(&project_id()).unwrap();
    let li = honest.store.actor().to_hex_string();
    assert!(devices.iter().any(|d| d.actor == li && d.user.as_str() == "u-insp-li"), "{devices:?}");
    // ... and the CS center can list them; an inspector cannot.
    let mut cs = SyncClient::new(&server.url);
    cs.login("u-cs-wang", "demo").unwrap();
    let listed: serde_json::Value = http
        .get(format!("{}/api/v1/projects/hj-lanting/devices", server.url))
        .bearer_auth(cs.token().unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(listed.as_array().unwrap().iter().any(|d| d["actor"] == li && d["user"] == "u-insp-li"), "{listed}");
    let r = http.get(format!("{}/api/v1/projects/hj-lanting/devices", server.url)).bearer_auth(&token).send().unwrap();
    assert_eq!(r.status(), 403);
    let _ = me;
}

/// The tablet's own store applies the same rule: an edit the server would
/// refuse is never kept.
#[test]
fn the_tablet_refuses_what_the_server_would_before_keeping_it() {
    let server = TestServer::start();
    let mut t = tablet(&server, "u-insp-li");
    sync(&mut t);
    let project = walkthrough_fixtures::demo_project();
    let unit: UnitId = "B1-0301".into();
    let entry = project.checklist(&unit)[0].clone();
    let mut d = walkthrough_core::rules::draft_defect(
        &project,
        &unit,
        &entry,
        DefectId::new_v7(),
        &"u-cs-wang".into(),
        at(0),
        RoundNo(1),
    );
    d.found_by = "u-cs-wang".into();
    let err = t.store.edit_unit(&project_id(), &unit, |doc| doc.add_defect(&d)).unwrap_err();
    assert!(err.to_string().contains("signed by u-cs-wang"), "{err}");
    assert!(t.store.dirty_docs(&project_id()).unwrap().is_empty(), "nothing kept");
}

fn push_raw(
    http: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    key: &DocKey,
    have: &[automerge::ChangeHash],
    changes: &[u8],
) -> Option<String> {
    let body = serde_json::json!({
        "project": "hj-lanting",
        "docs": [{
            "doc": key.to_string(),
            "have": have.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
            "changes": base64::engine::general_purpose::STANDARD.encode(changes),
        }],
    });
    let r = http.post(format!("{url}/api/v1/sync/exchange")).bearer_auth(token).json(&body).send().unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text());
    let reply: walkthrough_core::wire::ExchangeResponse = r.json().unwrap();
    reply.docs[0].error.clone()
}
