//! Tablets and the real server over real HTTP on 127.0.0.1:0.

mod common;
use common::TestServer;

use walkthrough_client::photos::PhotoDir;
use walkthrough_client::sync::{SyncClient, SyncError};
use walkthrough_client::Store;
use walkthrough_core::defect::*;
use walkthrough_core::doc::{DefectEdit, DocKey};
use walkthrough_core::model::*;
use walkthrough_core::rules::Outcome;
use walkthrough_core::*;
use walkthrough_server::store::Store as _;

struct Tablet {
    store: Store,
    client: SyncClient,
    _dir: tempfile::TempDir,
}

fn tablet(server: &TestServer, user: &str) -> Tablet {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("tablet.sqlite")).unwrap();
    let mut client = SyncClient::new(&server.url);
    client.attempts = 2;
    client.login(user, "demo").unwrap();
    Tablet { store, client, _dir: dir }
}

fn project_id() -> ProjectId {
    ProjectId::new("hj-lanting")
}

fn sync(t: &mut Tablet) -> walkthrough_client::sync::SyncReport {
    t.client.sync(&mut t.store, &project_id(), &mut |_| {}).unwrap()
}

fn at(h: i64) -> Time {
    time::parse("2026-07-21T09:00:00Z") + chrono::Duration::hours(h)
}

fn new_defect(p: &Project, unit: &UnitId, line: usize, by: &str, seed: u8) -> Defect {
    let entry = &p.checklist(unit)[line];
    let id = DefectId::from_parts(at(0).timestamp_millis() as u64 + u64::from(seed), [seed; 10]);
    let mut d = walkthrough_core::rules::draft_defect(p, unit, entry, id, &by.into(), at(i64::from(seed)), RoundNo(1));
    d.spot = "窗台下方".into();
    d.description = format!("{}：不符合要求", entry.item.title.zh);
    d
}

/// Two inspectors offline for three days on the same unit, then syncing in
/// either order: identical state everywhere, nothing lost or duplicated.
#[test]
fn two_tablets_offline_on_one_unit_converge_in_either_order() {
    for a_first in [true, false] {
        let server = TestServer::start();
        let mut a = tablet(&server, "u-insp-li");
        let mut b = tablet(&server, "u-insp-liu");
        sync(&mut a);
        sync(&mut b);
        let p = a.store.project(&project_id()).unwrap();
        let unit = UnitId::new("B1-0301");
        let lines: Vec<ResultKey> = p.checklist(&unit).iter().map(|e| e.key()).collect();
        // A shared defect both will edit, synced before going offline.
        let shared = new_defect(&p, &unit, 0, "u-insp-li", 1);
        a.store.edit_unit(&p.id, &unit, |d| d.add_defect(&shared)).unwrap();
        sync(&mut a);
        sync(&mut b);

        // Offline: each records results, a defect, and edits the shared one.
        for (i, line) in lines.iter().enumerate().take(20) {
            a.store
                .edit_unit(&p.id, &unit, |d| {
                    d.record_result(RoundNo(1), line, Outcome::Pass, &"u-insp-li".into(), at(24 + i as i64), None)
                })
                .unwrap();
        }
        for (i, line) in lines.iter().enumerate().skip(20).take(20) {
            b.store
                .edit_unit(&p.id, &unit, |d| {
                    d.record_result(RoundNo(1), line, Outcome::Pass, &"u-insp-liu".into(), at(30 + i as i64), None)
                })
                .unwrap();
        }
        let da = new_defect(&p, &unit, 5, "u-insp-li", 2);
        let db = new_defect(&p, &unit, 25, "u-insp-liu", 3);
        a.store.edit_unit(&p.id, &unit, |d| d.add_defect(&da)).unwrap();
        b.store.edit_unit(&p.id, &unit, |d| d.add_defect(&db)).unwrap();
        a.store
            .edit_unit(&p.id, &unit, |d| {
                d.edit_defect(
                    shared.id,
                    &DefectEdit::Description("裂缝长约30cm".into()),
                    EventId::from_parts(1, [1; 10]),
                    &"u-insp-li".into(),
                    at(50),
                    RoundNo(1),
                )
            })
            .unwrap();
        b.store
            .edit_unit(&p.id, &unit, |d| {
                d.edit_defect(
                    shared.id,
                    &DefectEdit::Severity(Severity::Critical),
                    EventId::from_parts(2, [2; 10]),
                    &"u-insp-liu".into(),
                    at(60),
                    RoundNo(1),
                )
            })
            .unwrap();

        let (first, second) = if a_first { (&mut a, &mut b) } else { (&mut b, &mut a) };
        sync(first);
        sync(second);
        sync(first);

        let ra = a.store.unit(&p.id, &unit).unwrap();
        let rb = b.store.unit(&p.id, &unit).unwrap();
        assert_eq!(ra, rb, "a_first={a_first}");
        assert_eq!(ra.defects.len(), 3);
        assert_eq!(ra.results.len(), 40);
        let s = &ra.defects[&shared.id];
        assert_eq!((s.description.as_str(), s.severity), ("裂缝长约30cm", Severity::Critical));
        // The server's read model has each defect exactly once.
        let rows = server.store.defect_rows(&p.id).unwrap();
        assert_eq!(rows.len(), 3);
        // Nothing left to send, and a repeat sync moves nothing.
        assert!(a.store.dirty_docs(&p.id).unwrap().is_empty() && b.store.dirty_docs(&p.id).unwrap().is_empty());
        let again = sync(&mut a);
        assert_eq!((again.round_trips, again.docs_sent, again.docs_received), (1, 0, 0), "{again:?}");
    }
}

#[test]
fn a_repeated_exchange_never_duplicates() {
    let server = TestServer::start();
    let mut a = tablet(&server, "u-insp-li");
    sync(&mut a);
    let p = a.store.project(&project_id()).unwrap();
    let unit = UnitId::new("B1-0101");
    let d = new_defect(&p, &unit, 0, "u-insp-li", 9);
    a.store.edit_unit(&p.id, &unit, |doc| doc.add_defect(&d)).unwrap();
    // Send the same exchange twice by hand, as a retry after a lost answer would.
    let key = DocKey::Unit(p.id.clone(), unit.clone());
    let changes = a.store.changes_since(&key, &[]).unwrap();
    let req = walkthrough_core::wire::ExchangeRequest {
        project: p.id.clone(),
        docs: vec![walkthrough_core::wire::DocPush { doc: key.clone(), have: vec![], changes }],
    };
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    };
    for _ in 0..2 {
        let r = http
            .post(format!("{}/api/v1/sync/exchange", server.url))
            .bearer_auth(a.client.token().unwrap())
            .json(&req)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    sync(&mut a);
    assert_eq!(server.store.defect_rows(&p.id).unwrap().len(), 1);
    assert_eq!(a.store.unit(&p.id, &unit).unwrap().defects.len(), 1);
}

#[test]
fn photos_upload_once_and_the_server_checks_them() {
    let server = TestServer::start();
    let a = tablet(&server, "u-insp-li");
    let dir = tempfile::tempdir().unwrap();
    let photos = PhotoDir::new(dir.path()).unwrap();
    let bytes = std::fs::read(walkthrough_fixtures::demo_dir().join("photos/wall_crack.jpg")).unwrap();
    let got = photos.ingest(&bytes).unwrap();
    a.store.record_photo(&got).unwrap();
    let r = a.client.upload_photos(&a.store, &photos, &mut |_| {}).unwrap();
    assert_eq!(r.photos_uploaded, 1);
    assert!(a.store.pending_photos().unwrap().is_empty());
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    };
    let token = a.client.token().unwrap().to_owned();
    let put = |hash: &str, body: Vec<u8>| {
        http.put(format!("{}/api/v1/blobs/{hash}", server.url)).bearer_auth(&token).body(body).send().unwrap()
    };
    // Again: already there.
    assert_eq!(put(got.hash.as_str(), bytes.clone()).status(), 200);
    let back = http.get(format!("{}/api/v1/blobs/{}", server.url, got.hash)).bearer_auth(&token).send().unwrap();
    assert_eq!(back.bytes().unwrap().to_vec(), bytes);
    // The wrong bytes for a hash, and bytes that are no image.
    let wrong = put(got.hash.as_str(), bytes[..bytes.len() / 2].to_vec());
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().unwrap().contains("does not match"));
    let text = b"not a photo at all".to_vec();
    let not_image = put(walkthrough_client::photos::hash_bytes(&text).as_str(), text);
    assert_eq!(not_image.status(), 415);
    assert!(not_image.text().unwrap().contains("not an image"));
    // Another tablet gets the photo by hash.
    let other = tempfile::tempdir().unwrap();
    let other_photos = PhotoDir::new(other.path()).unwrap();
    a.client.download_photo(&other_photos, &got.hash).unwrap();
    assert!(other_photos.has(&got.hash));
}

#[test]
fn bad_requests_get_clear_4xx_and_store_nothing() {
    let server = TestServer::start();
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    };
    let url = |p: &str| format!("{}/api/v1{p}", server.url);
    let error_of = |r: reqwest::blocking::Response| -> (u16, String) {
        let status = r.status().as_u16();
        let body: walkthrough_core::wire::ErrorBody = r.json().unwrap();
        (status, body.error)
    };

    // Sign-in.
    let mut c = SyncClient::new(&server.url);
    c.attempts = 1;
    match c.login("u-insp-li", "wrong") {
        Err(SyncError::Rejected { status: 401, message }) => assert_eq!(message, "wrong username or password"),
        other => panic!("{other:?}"),
    }
    let manifest = serde_json::json!({ "project": "hj-lanting", "cursor": 0 });
    assert_eq!(error_of(http.post(url("/sync/manifest")).json(&manifest).send().unwrap()).0, 401);
    let (s, m) = error_of(http.post(url("/sync/manifest")).bearer_auth("f00d").json(&manifest).send().unwrap());
    assert_eq!((s, m.as_str()), (401, "your sign-in is not valid; sign in again"));

    let mut insp = tablet(&server, "u-insp-li");
    let token = insp.client.token().unwrap().to_owned();
    let post = |path: &str, body: &serde_json::Value| {
        error_of(http.post(url(path)).bearer_auth(&token).json(body).send().unwrap())
    };

    // Out of scope: another project, a unit that does not exist, the project's setup.
    let (s, m) = post("/sync/manifest", &serde_json::json!({ "project": "other", "cursor": 0 }));
    assert_eq!((s, m.as_str()), (403, "you are not assigned to project other"));
    let unit_doc = walkthrough_core::doc::UnitDoc::genesis(&project_id(), &"B9-9999".into()).save();
    let push = |doc: &str, changes: &[u8]| {
        use base64::Engine;
        serde_json::json!({ "project": "hj-lanting", "docs": [{ "doc": doc, "have": [], "changes": base64::engine::general_purpose::STANDARD.encode(changes) }] })
    };
    // A document refused for what it is: refused alone, with the reason.
    let refused = |body: &serde_json::Value| -> String {
        let r = http.post(url("/sync/exchange")).bearer_auth(&token).json(body).send().unwrap();
        assert_eq!(r.status(), 200);
        let reply: walkthrough_core::wire::ExchangeResponse = r.json().unwrap();
        reply.docs[0].error.clone().expect("refused")
    };
    assert_eq!(refused(&push("hj-lanting/unit/B9-9999", &unit_doc)), "unit B9-9999 is not in project hj-lanting");
    sync(&mut insp);
    let key = DocKey::Project(project_id());
    let project_changes = insp.store.changes_since(&key, &[]).unwrap();
    let (s, m) = post("/sync/exchange", &push("hj-lanting/project", &project_changes));
    assert_eq!((s, m.as_str()), (403, "only the CS center can change a project's setup"));
    // A unit document whose content is another unit's.
    let wrong = walkthrough_core::doc::UnitDoc::genesis(&project_id(), &"B1-0101".into()).save();
    let m = refused(&push("hj-lanting/unit/B1-0201", &wrong));
    assert!(m.contains("its content is for unit B1-0101"), "{m}");
    // Garbage where Automerge data belongs.
    let m = refused(&push("hj-lanting/unit/B1-0201", b"not automerge"));
    assert!(m.contains("not valid Automerge data"), "{m}");
    assert!(server.store.load_doc(&DocKey::Unit(project_id(), "B1-0201".into())).unwrap().is_none(), "nothing stored");
    assert!(server.store.load_doc(&DocKey::Unit(project_id(), "B9-9999".into())).unwrap().is_none(), "nothing stored");

    // Malformed, truncated, oversized bodies.
    let raw = |body: Vec<u8>, gzip: bool| {
        let mut r = http.post(url("/sync/exchange")).bearer_auth(&token).header("content-type", "application/json");
        if gzip {
            r = r.header("content-encoding", "gzip");
        }
        error_of(r.body(body).send().unwrap())
    };
    let (s, m) = raw(b"{\"project\": \"hj-lanting\", \"docs\": [".to_vec(), false);
    assert_eq!(s, 400);
    assert!(m.starts_with("the request body is not valid"), "{m}");
    assert_eq!(raw(vec![0x1f, 0x8b, 8, 0, 0, 0], true).0, 400);
    let (s, _) = raw(vec![b' '; 5 * 1024 * 1024], false);
    assert_eq!(s, 413);

    // Contractors have no accounts (they use links): no sign-in, so no sync.
    let mut con = SyncClient::new(&server.url);
    con.attempts = 1;
    assert!(con.login("u-con-qian", "demo").is_err());

    // And the server still serves.
    assert_eq!(http.get(url("/health")).send().unwrap().status(), 200);
    assert_eq!(sync(&mut insp).round_trips, 1);
}

/// Two tablets syncing the same unit at the same moment, again and again:
/// afterwards each has the other's changes.
#[test]
fn concurrent_syncs_of_one_unit_converge() {
    let server = TestServer::start();
    let mut a = tablet(&server, "u-insp-li");
    let mut b = tablet(&server, "u-insp-liu");
    sync(&mut a);
    sync(&mut b);
    let p = a.store.project(&project_id()).unwrap();
    let unit = UnitId::new("B1-0101");
    for round in 0..6u8 {
        let da = new_defect(&p, &unit, round as usize, "u-insp-li", 10 + round);
        let db = new_defect(&p, &unit, round as usize + 10, "u-insp-liu", 100 + round);
        a.store.edit_unit(&p.id, &unit, |d| d.add_defect(&da)).unwrap();
        b.store.edit_unit(&p.id, &unit, |d| d.add_defect(&db)).unwrap();
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                barrier.wait();
                sync(&mut a);
            });
            s.spawn(|| {
                barrier.wait();
                sync(&mut b);
            });
        });
        // One more sync each, one after the other: now both must have all.
        sync(&mut a);
        sync(&mut b);
        assert_eq!(a.store.unit(&p.id, &unit).unwrap(), b.store.unit(&p.id, &unit).unwrap(), "round {round}");
        assert_eq!(a.store.unit(&p.id, &unit).unwrap().defects.len(), 2 * (round as usize + 1));
    }
}

/// A document the server refuses (here: a unit that is not in the project)
/// is reported and kept on the tablet; everything else still syncs.
#[test]
fn one_refused_document_does_not_block_the_rest() {
    let server = TestServer::start();
    let mut a = tablet(&server, "u-insp-li");
    sync(&mut a);
    let p = a.store.project(&project_id()).unwrap();
    let good = UnitId::new("B1-0101");
    let d = new_defect(&p, &good, 0, "u-insp-li", 1);
    a.store.edit_unit(&p.id, &good, |doc| doc.add_defect(&d)).unwrap();
    let ghost = UnitId::new("B7-0101");
    let mut g = new_defect(&p, &good, 1, "u-insp-li", 2);
    g.unit = ghost.clone();
    a.store.edit_unit(&p.id, &ghost, |doc| doc.add_defect(&g)).unwrap();
    let report = sync(&mut a);
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].1, "unit B7-0101 is not in project hj-lanting");
    assert_eq!(server.store.defect_rows(&p.id).unwrap().len(), 1, "the good unit synced");
    assert_eq!(
        a.store.dirty_docs(&p.id).unwrap(),
        [DocKey::Unit(p.id.clone(), ghost.clone())],
        "the refused one is kept"
    );
    // And the next sync is not blocked either.
    let again = sync(&mut a);
    assert_eq!(again.rejected.len(), 1);
}

/// The CS center sees every project of its company without being assigned;
/// a CS account of another company does not.
#[test]
fn cs_center_scope_is_its_company() {
    use walkthrough_server::store::User;
    let server = TestServer::start();
    let hash = walkthrough_server::auth::hash_password("secret").unwrap();
    for (id, company) in [("cs-same", "huajing-suzhou"), ("cs-other", "other-co")] {
        let user = User {
            id: id.into(),
            username: id.into(),
            name: id.into(),
            role: walkthrough_core::model::Role::CsAdmin,
            company: company.into(),
            password_hash: hash.clone(),
            disabled: false,
        };
        server.store.create_user(&user, &[]).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cs.sqlite")).unwrap();
    let mut same = SyncClient::new(&server.url);
    let login = same.login("cs-same", "secret").unwrap();
    assert_eq!(login.user.projects, [project_id()]);
    same.sync(&mut store, &project_id(), &mut |_| {}).unwrap();
    assert_eq!(store.project(&project_id()).unwrap().units.len(), 69);

    let mut other = SyncClient::new(&server.url);
    other.attempts = 1;
    assert!(other.login("cs-other", "secret").unwrap().user.projects.is_empty());
    match other.sync(&mut store, &project_id(), &mut |_| {}) {
        Err(SyncError::Rejected { status: 403, message }) => {
            assert_eq!(message, "you are not assigned to project hj-lanting")
        }
        r => panic!("{r:?}"),
    }
}

/// The CS center imports a unit list over HTTP; inspectors may not; tablets
/// receive the new units by sync.
#[test]
fn unit_lists_are_imported_by_the_cs_center_and_reach_tablets() {
    let server = TestServer::start();
    let mut insp = tablet(&server, "u-insp-li");
    sync(&mut insp);
    let cs = tablet(&server, "u-cs-wang");
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    };
    let url = format!("{}/api/v1/projects/hj-lanting/units", server.url);
    let csv = "building,floor,number,unit_type\nB1,12,1201,A\nB1,12,1202,B\n";
    let r = http.post(&url).bearer_auth(insp.client.token().unwrap()).body(csv).send().unwrap();
    assert_eq!(r.status(), 403);
    let bad = http
        .post(&url)
        .bearer_auth(cs.client.token().unwrap())
        .body("building,floor,number,unit_type\nB1,0,0001,A\n")
        .send()
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().unwrap().contains("row 2: floor 0 must be 1 or more"));
    let r = http.post(&url).bearer_auth(cs.client.token().unwrap()).body(csv).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["added"], 2);
    sync(&mut insp);
    let p = insp.store.project(&project_id()).unwrap();
    assert_eq!(p.units.len(), 71);
    assert!(p.units.contains_key(&UnitId::new("B1-1202")));
    // And the new unit can be inspected and synced at once.
    let d = new_defect(&p, &UnitId::new("B1-1202"), 0, "u-insp-li", 42);
    insp.store.edit_unit(&p.id, &UnitId::new("B1-1202"), |doc| doc.add_defect(&d)).unwrap();
    assert!(sync(&mut insp).rejected.is_empty());
}
