//! Engineers (the project department) read their projects — the project,
//! reports, rectification lists, issued reports, accepted risks — and are
//! refused every write: each write route of the router (from its OpenAPI
//! document, which has every route; not picked by hand) answers 403, and
//! nothing is stored.

mod common;

use common::*;
use reqwest::blocking::Client;
use reqwest::Method;

const PROJECT: &str = "hj-lanting";

/// Every `(method, path)` the router serves with a method that writes,
/// read from the server's OpenAPI document.
fn write_routes() -> Vec<(Method, String)> {
    // Every route is in the OpenAPI document (tests/openapi.rs proves it).
    let doc: serde_json::Value = serde_json::from_str(walkthrough_server::openapi::document_json()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(route) = path.strip_prefix(walkthrough_core::wire::API) else { continue };
        for (method, name) in
            [(Method::POST, "post"), (Method::PUT, "put"), (Method::DELETE, "delete"), (Method::PATCH, "patch")]
        {
            if item.get(name).is_some() {
                routes.push((method, route.to_owned()));
            }
        }
    }
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    routes
}

/// A path of `route` with its parameters filled in.
fn concrete(route: &str) -> String {
    route
        .split('/')
        .map(|part| match part {
            "{project}" => PROJECT.to_owned(),
            "{round}" => "1".to_owned(),
            "{unit_type}" => "A".to_owned(),
            "{user}" => "u-insp-li".to_owned(),
            "{action}" => "disable".to_owned(),
            "{hash}" => "ab".repeat(32),
            p if p.starts_with('{') => "x1".to_owned(),
            p => p.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Everything the server has stored, table by table (sign-in tokens aside:
/// signing in is not a change to the project).
fn stored(db: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'tokens' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t| !t.starts_with("sqlite_"));
    tables
        .into_iter()
        .map(|t| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (t, rows)
        })
        .collect()
}

#[test]
fn an_engineer_reads_the_projects_pages_and_is_refused_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path());
    walkthrough_client::tls::install_default_provider();
    let http = Client::new();
    let url = &server.url;
    let engineer = login(&http, url, "u-eng-sun");

    // What the console shows an engineer, read.
    for path in [
        "/projects".to_owned(),
        format!("/projects/{PROJECT}"),
        format!("/projects/{PROJECT}/reports/1"),
        format!("/projects/{PROJECT}/reports/cumulative"),
        format!("/projects/{PROJECT}/rounds/1/progress"),
        format!("/projects/{PROJECT}/rectification?contractor=c-huajian"),
        format!("/projects/{PROJECT}/rectification.pdf?contractor=c-huajian&round=1"),
        format!("/projects/{PROJECT}/issued"),
        format!("/projects/{PROJECT}/risks"),
    ] {
        let res = http.get(format!("{url}{path}")).bearer_auth(&engineer).send().unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}: {}", res.text().unwrap());
    }

    let routes = write_routes();
    let listed: Vec<String> = routes.iter().map(|(m, r)| format!("{m} {r}")).collect();
    for expected in [
        "POST /projects",
        "POST /projects/{project}/edits",
        "POST /projects/{project}/units",
        "POST /projects/{project}/dispatch",
        "POST /projects/{project}/reports/{round}/issue",
        "DELETE /projects/{project}/contractor-links/{id}",
        "PUT /blobs/{hash}",
        "POST /sync/exchange",
    ] {
        assert!(listed.iter().any(|l| l == expected), "{expected} is found in the source: {listed:#?}");
    }
    assert!(routes.len() >= 20, "every write route: {listed:#?}");

    let db = dir.path().join("server.sqlite");
    let before = stored(&db);
    let mut refused = Vec::new();
    for (method, route) in &routes {
        // The engineer's own account: signing in and out, their password.
        if route.starts_with("/auth/") {
            continue;
        }
        let path = concrete(route);
        let res = http
            .request(method.clone(), format!("{url}{path}"))
            .bearer_auth(&engineer)
            .header("content-type", "application/json")
            .body(r#"{"id": "x1", "edits": [], "username": "u-x", "name": "X", "role": "cs_admin", "days": 30}"#)
            .send()
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().unwrap();
        assert_eq!(status, 403, "{method} {path} must be refused to an engineer: {body}");
        assert!(body.contains("engineer accounts are read-only"), "{method} {path}: {body}");
        refused.push(format!("{method} {route}"));
    }
    assert_eq!(stored(&db), before, "nothing was stored by {refused:#?}");

    // The same session still reads, and signs out.
    let res = http.get(format!("{url}/projects/{PROJECT}")).bearer_auth(&engineer).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = http.post(format!("{url}/auth/logout")).bearer_auth(&engineer).send().unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // And the CS center still writes through the same router.
    let cs = login(&http, url, "u-cs-wang");
    let res = http
        .post(format!("{url}/projects/{PROJECT}/units"))
        .bearer_auth(&cs)
        .body("楼栋,楼层,房号,户型\nB9,1,0101,A\n")
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().unwrap());
}
