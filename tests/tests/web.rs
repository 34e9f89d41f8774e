//! Issue 12, the web's side over real HTTP: security headers on every
//! response; photos readable only within their projects; report CSVs whose
//! formula-like cells are neutralised; safe ids at creation (refused in
//! words) and downloads named safely; refused contractor links logged only
//! in their own project and bounded; share links that expire.

use serde_json::{json, Value};
use walkthrough_core::*;
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;
use walkthrough_server::dispatch_store::{DispatchStore, LINK_REFUSALS_KEPT};
use walkthrough_server::report_store::{ReportShare, ReportStore};
use walkthrough_server::store::{Store, User};

fn http() -> reqwest::blocking::Client {
    walkthrough_e2e::http_client()
}

/// An account made directly in the store (password "demo"), with `projects` assigned.
fn account(server: &Server, id: &str, role: walkthrough_core::model::Role, company: &str, projects: &[&str]) {
    let user = User {
        id: UserId::new(id),
        username: id.to_owned(),
        name: id.to_owned(),
        role,
        company: company.to_owned(),
        password_hash: walkthrough_server::auth::hash_password("demo").unwrap(),
        disabled: false,
    };
    let projects: Vec<ProjectId> = projects.iter().map(|p| ProjectId::new(*p)).collect();
    server.store.create_user(&user, &projects).unwrap();
}

fn get_blob(url: &str, token: &str, hash: &str) -> u16 {
    http().get(format!("{url}/api/v1/blobs/{hash}")).bearer_auth(token).send().unwrap().status().as_u16()
}

fn new_project(api: &Api, id: &str) -> (u16, Value) {
    api.call(
        "POST",
        "/projects",
        Some(json!({ "id": id, "name": { "zh": id, "en": id }, "handover_date": "2027-06-30" })),
    )
}

#[test]
fn every_response_carries_the_security_headers_and_api_answers_are_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let token = login(url, "u-cs-wang");
    let requests = [
        ("/ui/console/", None, false),
        ("/ui/contractor/", None, false),
        ("/ui/console/shared.html", None, false),
        ("/ui/console/main.js", None, false),
        ("/ui/nothing-here.html", None, false),
        ("/api/v1/health", None, true),
        ("/api/v1/projects", Some(&token), true),
        ("/api/v1/projects", None, true),
        ("/api/v1/projects/hj-lanting/reports/cumulative?format=csv&table=contractors", Some(&token), true),
        ("/api/v1/blobs/0000000000000000000000000000000000000000000000000000000000000000", Some(&token), true),
    ];
    for (path, auth, api) in requests {
        let mut req = http().get(format!("{url}{path}"));
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let res = req.send().unwrap();
        let h = res.headers();
        let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "img-src 'self' blob: data:",
        ] {
            assert!(
                csp.split(';').any(|d| d.trim() == directive),
                "{path} ({}): CSP {csp:?} lacks {directive}",
                res.status()
            );
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        if api {
            assert_eq!(header("cache-control"), "no-store", "{path}");
        }
    }
}

#[test]
fn a_photo_is_readable_only_within_the_projects_it_belongs_to() {
    use walkthrough_core::model::Role;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let cs = Api::login(url, "u-cs-wang");
    // Another company with its own project, and a second project of the demo company.
    account(&server, "u-other-admin", Role::CsAdmin, "other-co", &[]);
    let other = Api::login(url, "u-other-admin");
    assert_eq!(new_project(&other, "other-p").0, 200);
    let other = Api::login(url, "u-other-admin");
    assert_eq!(new_project(&cs, "hj-second").0, 200);
    account(&server, "u-insp-second", Role::Inspector, "", &["hj-second"]);
    let second = login(url, "u-insp-second");

    // A tablet takes a photo and uploads it before its document syncs: it
    // can read it back; nobody else can yet.
    let mut tablet = Tablet::new(url, "u-insp-li");
    let defect = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    let hash = defect.photos.keys().next().unwrap().to_string();
    let bytes = std::fs::read(demo_photo("floor_drain_blocked.jpg")).unwrap();
    let put = |token: &str, query: &str| {
        http()
            .put(format!("{url}/api/v1/blobs/{hash}{query}"))
            .bearer_auth(token)
            .body(bytes.clone())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let li = login(url, "u-insp-li");
    assert_eq!(put(&li, ""), 201);
    assert_eq!(get_blob(url, &li, &hash), 200, "the uploader reads its own photo back");
    let chen = login(url, "u-insp-chen");
    assert_eq!(get_blob(url, &chen, &hash), 404, "not yet shown by any document of chen's projects");
    // Uploading for a project outside one's scope is refused.
    assert_eq!(put(&li, "?project=other-p"), 403);

    // Once the document syncs, the project's accounts see it; the others get
    // the same 404 as for a hash nobody stored.
    tablet.sync();
    for user in ["u-insp-chen", "u-cs-wang"] {
        assert_eq!(get_blob(url, &login(url, user), &hash), 200, "{user}");
    }
    assert_eq!(get_blob(url, &other.token, &hash), 404, "another company");
    assert_eq!(get_blob(url, &second, &hash), 404, "another project of the same company");

    // A photo uploaded for a project (?project=) is readable by its accounts at once.
    let fresh = std::fs::read(demo_photo("paint_drips.jpg")).unwrap();
    let fresh_hash = walkthrough_client::photos::hash_bytes(&fresh).to_string();
    let status = http()
        .put(format!("{url}/api/v1/blobs/{fresh_hash}?project=hj-lanting"))
        .bearer_auth(&li)
        .body(fresh)
        .send()
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 201);
    assert_eq!(get_blob(url, &chen, &fresh_hash), 200);
    assert_eq!(get_blob(url, &other.token, &fresh_hash), 404);

    // Floor plans: the project's accounts, nobody else; and an edit cannot
    // point a unit type at a blob of another project.
    let plan = std::fs::read(demo_photo("door_scratch.jpg")).unwrap();
    let (status, _) = (
        http()
            .put(format!("{url}/api/v1/projects/hj-lanting/unit-types/A/floor-plan"))
            .bearer_auth(&cs.token)
            .body(plan.clone())
            .send()
            .unwrap()
            .status()
            .as_u16(),
        (),
    );
    assert_eq!(status, 200);
    let plan_hash = walkthrough_client::photos::hash_bytes(&plan).to_string();
    assert_eq!(get_blob(url, &chen, &plan_hash), 200);
    assert_eq!(get_blob(url, &other.token, &plan_hash), 404);
    let (status, v) = other.call(
        "POST",
        "/projects/other-p/edits",
        Some(json!({ "edits": [{ "op": "set_floor_plan", "unit_type": "A", "floor_plan": hash }] })),
    );
    assert_eq!(status, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("was not uploaded for project other-p"), "{v}");
    assert_eq!(get_blob(url, &other.token, &hash), 404, "still not readable");
}

#[test]
fn report_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_numbers_stay_numbers() {
    use walkthrough_server::report::{csv, csv_text, Column, Kind, Table};
    let text = |k: &str| Column { key: k.into(), zh: k.into(), en: k.into(), kind: Kind::Text };
    let table = Table {
        key: "t".into(),
        zh: "t".into(),
        en: "t".into(),
        columns: vec![text("name"), Column { key: "n".into(), zh: "n".into(), en: "n".into(), kind: Kind::Number }],
        rows: ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "a=b", ""]
            .iter()
            .enumerate()
            .map(|(i, s)| vec![json!(s), json!(-(i as i64) - 1)])
            .collect(),
    };
    let bytes = csv(&table).unwrap();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let rows: Vec<(String, String)> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[0].to_owned(), r[1].to_owned())).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        names,
        ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b", ""]
    );
    let numbers: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(numbers, ["-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9"], "negative numbers are numbers");
    assert_eq!(csv_text("-"), "'-");

    // End to end: a contractor named like a formula, in the report's CSV.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 1, 7);
    let cs = Api::login(&server.url, "u-cs-wang");
    let (_, project) = cs.call("GET", "/projects/hj-lanting", None);
    let mut contractor = project["contractors"][0].clone();
    let id = contractor["id"].as_str().unwrap().to_owned();
    contractor["name"] = json!({ "zh": "=cmd|' /C calc'!A0", "en": "@evil" });
    let (status, v) = cs.call(
        "POST",
        "/projects/hj-lanting/edits",
        Some(json!({ "edits": [{ "op": "put_contractor", "contractor": contractor }] })),
    );
    assert_eq!(status, 200, "{v}");
    let res = http()
        .get(format!("{}/api/v1/projects/hj-lanting/reports/cumulative?format=csv&table=contractors", server.url))
        .bearer_auth(&cs.token)
        .send()
        .unwrap();
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let body = res.bytes().unwrap();
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().map(|r| r.unwrap()).find(|r| &r[0] == id.as_str()).expect("the contractor's row");
    for (h, cell) in headers.iter().zip(row.iter()) {
        if cell.contains("calc") || cell.contains("evil") {
            assert!(cell.starts_with('\''), "{h}: {cell:?}");
        }
        assert!(!cell.starts_with(['=', '+', '@', '\t', '\r']), "{h}: {cell:?}");
    }
    assert!(row.iter().any(|c| c == "'=cmd|' /C calc'!A0"), "{row:?}");
}

#[test]
fn downloads_are_named_safely_whatever_the_name() {
    use walkthrough_server::download::{ascii_name, disposition, safe_name};
    assert_eq!(
        disposition("hj-lanting-round-1.pdf", "hj-lanting-round-1.pdf"),
        "attachment; filename=\"hj-lanting-round-1.pdf\"; filename*=UTF-8''hj-lanting-round-1.pdf"
    );
    let name = safe_name("a\"b\r\n\u{7}/澜庭.csv");
    assert_eq!(
        disposition(&name, &ascii_name(&name)),
        "attachment; filename=\"a_b____.csv\"; filename*=UTF-8''a_b____%E6%BE%9C%E5%BA%AD.csv"
    );
    // Always a valid header value.
    for name in ["\"", "\n", "x\u{0}y", "文件.pdf"] {
        let safe = safe_name(name);
        assert!(reqwest::header::HeaderValue::from_str(&disposition(&safe, &ascii_name(&safe))).is_ok(), "{name:?}");
    }
}

#[test]
fn ids_with_unsafe_characters_are_refused_at_creation_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let cs = Api::login(&server.url, "u-cs-wang");
    for (id, says) in [
        ("bad\"id", "a project id \"bad\"id\" cannot contain '\"'"),
        ("a/b", "cannot contain '/'"),
        ("with space", "cannot contain a space"),
        ("ctl\u{1}", "cannot contain a control character"),
        ("<script>", "must start with a letter"),
    ] {
        let (status, v) = new_project(&cs, id);
        assert_eq!(status, 422, "{id:?}: {v}");
        assert!(v["error"].as_str().unwrap().contains(says), "{id:?}: {v}");
    }
    let (_, projects) = cs.call("GET", "/projects", None);
    assert_eq!(projects.as_array().unwrap().len(), 1, "nothing was created: {projects}");
    assert_eq!(new_project(&cs, "hj-new.2").0, 200);

    let (_, project) = cs.call("GET", "/projects/hj-lanting", None);
    let with_id = |v: &Value, id: &str| {
        let mut v = v.clone();
        v["id"] = json!(id);
        v
    };
    let edits = [
        json!({ "op": "put_building", "building": with_id(&project["buildings"][0], "B 9") }),
        json!({ "op": "put_trade", "trade": with_id(&project["trades"][0], "t'x") }),
        json!({ "op": "put_person", "person": with_id(&project["people"][0], "u\"x") }),
        json!({ "op": "put_contractor", "contractor": with_id(&project["contractors"][0], "c<x>") }),
    ];
    for edit in edits {
        let (status, v) = cs.call("POST", "/projects/hj-lanting/edits", Some(json!({ "edits": [edit] })));
        assert_eq!(status, 422, "{v}");
        assert!(v["error"].as_str().unwrap().contains("use only letters A–Z and a–z, digits"), "{v}");
    }
    let (status, v) = cs.call(
        "POST",
        "/projects/hj-lanting/people",
        Some(json!({ "username": "li\"x", "name": "X", "role": "inspector" })),
    );
    assert!(status == 422 || status == 400, "{status} {v}");
    assert!(v["error"].as_str().unwrap().contains("a username \"li\"x\" cannot contain '\"'"), "{v}");

    // A unit list with an unsafe unit id is refused row by row, nothing added.
    let csv = "building,floor,number,unit_type,unit\nB1,1,0199,A,B1-0199\nB1,1,0198,A,\"B1/0198\"\n";
    let res = http()
        .post(format!("{}/api/v1/projects/hj-lanting/units/preview", server.url))
        .bearer_auth(&cs.token)
        .body(csv)
        .send()
        .unwrap();
    let v: Value = res.json().unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert!(errors[0]["reason"].as_str().unwrap().contains("cannot contain '/'"), "{v}");
}

#[test]
fn refused_links_are_logged_only_in_their_own_project_and_bounded() {
    use walkthrough_core::model::Role;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let cs = Api::login(url, "u-cs-wang");
    account(&server, "u-other-admin", Role::CsAdmin, "other-co", &[]);
    let other = Api::login(url, "u-other-admin");
    assert_eq!(new_project(&other, "other-p").0, 200);
    let other = Api::login(url, "u-other-admin");

    let (id, path) = cs.link("c-guan");
    assert_eq!(cs.call("DELETE", &format!("/projects/{PROJECT}/contractor-links/{id}"), None).0, 200);
    assert_eq!(as_link(url, &path, "GET", "/items", None).0, 401);
    assert_eq!(as_link(url, &"f".repeat(64), "GET", "/items", None).0, 401);
    assert_eq!(as_link(url, "", "GET", "/items", None).0, 401);
    let (_, mine) = cs.call("GET", &format!("/projects/{PROJECT}/link-refusals"), None);
    let reasons: Vec<&str> = mine.as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["revoked"], "{mine}");
    let (_, theirs) = other.call("GET", "/projects/other-p/link-refusals", None);
    assert_eq!(theirs, json!([]), "an unknown secret is nobody's: {theirs}");
    assert_eq!(other.call("GET", &format!("/projects/{PROJECT}/link-refusals"), None).0, 403);
    {
        let who = "u-insp-li";
        assert_eq!(Api::login(url, who).call("GET", &format!("/projects/{PROJECT}/link-refusals"), None).0, 403);
    }

    // Bounded: a flood of refusals keeps only the latest ones.
    let link = server.store.links(&project_id()).unwrap().into_iter().find(|l| l.id == id).unwrap();
    for i in 0..(LINK_REFUSALS_KEPT + 50) {
        server.store.log_link_refusal(Some(&link), "revoked", &format!("GET /flood/{i}"), 1).unwrap();
    }
    let (_, mine) = cs.call("GET", &format!("/projects/{PROJECT}/link-refusals"), None);
    let list = mine.as_array().unwrap();
    assert_eq!(list.len() as i64, LINK_REFUSALS_KEPT);
    assert_eq!(list.last().unwrap()["request"], format!("GET /flood/{}", LINK_REFUSALS_KEPT + 49));
}

#[test]
fn share_links_expire_and_an_expired_link_is_refused_like_a_revoked_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 1, 3);
    let url = &server.url;
    let cs = Api::login(url, "u-cs-wang");
    let (status, job) =
        cs.call("POST", &format!("/projects/{PROJECT}/reports/1/issue"), Some(json!({ "photos": false })));
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
    let report = issued["id"].as_str().expect("issued").to_owned();
    let shares = format!("/projects/{PROJECT}/issued/{report}/shares");

    // Chosen at creation: 1 to 366 days, 30 by default.
    let now = chrono::Utc::now().timestamp_millis();
    let (status, made) = cs.call("POST", &shares, None);
    assert_eq!(status, 200, "{made}");
    let expires = made["share"]["expires_at"].as_i64().unwrap();
    assert!((expires - now - 30 * 86_400_000).abs() < 60_000, "{made}");
    let (_, week) = cs.call("POST", &shares, Some(json!({ "days": 7 })));
    assert!((week["share"]["expires_at"].as_i64().unwrap() - now - 7 * 86_400_000).abs() < 60_000, "{week}");
    for days in [0, 367, -1] {
        let (status, v) = cs.call("POST", &shares, Some(json!({ "days": days })));
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"], format!("a share link can last 1 to 366 days, not {days}"));
    }
    let open = |token: &str| {
        let r = http().get(format!("{url}/api/v1/shared-report")).header("x-share-token", token).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    assert_eq!(open(made["token"].as_str().unwrap()).0, 200);

    // One that expired a minute ago: the same refusal as a revoked one.
    let secret = "expired-share-secret-0123456789";
    server
        .store
        .insert_share(
            &ReportShare {
                id: "share-expired".into(),
                report: report.clone(),
                created_by: "u-cs-wang".into(),
                created_at: now - 86_400_000,
                revoked_at: None,
                revoked_by: None,
                last_used_at: None,
                expires_at: Some(now - 60_000),
            },
            &walkthrough_server::auth::hash_token(secret),
        )
        .unwrap();
    let expired = open(secret);
    let (status, _) = cs.call("DELETE", &format!("{shares}/{}", week["share"]["id"].as_str().unwrap()), None);
    assert_eq!(status, 204, "the link is revoked");
    let revoked = open(week["token"].as_str().unwrap());
    assert_eq!(expired.0, 401, "{expired:?}");
    assert_eq!(expired, revoked, "expired and revoked links read the same");
    assert!(expired.1.contains("expired or been revoked"), "{expired:?}");
}
