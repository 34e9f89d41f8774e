//! The OpenAPI document: served at /api/v1/openapi.json, valid by an
//! independent validator (openapi-spec-validator, from PyPI), covering
//! every route the router has (each documented operation reaches a real
//! handler on a live server, and no route is added past the documenting
//! router), and the front ends' TypeScript types are generated from it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use walkthrough_server::openapi;
use walkthrough_server::store::SqliteStore;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository").to_path_buf()
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// (method, path template, operation) of every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// The path with each `{param}` filled: a number where the parameter is
/// an integer, a word otherwise.
fn filled(path: &str, op: &Value) -> String {
    let mut out = path.to_owned();
    for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
        let name = p["name"].as_str().unwrap();
        let value = if p["schema"]["type"] == "integer" { "1" } else { "x1" };
        out = out.replace(&format!("{{{name}}}"), value);
    }
    assert!(!out.contains('{'), "{path}: a path parameter is not declared in the document");
    out
}

struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

fn demo_server() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings = walkthrough_server::config::Settings { ui_dir: dir.path().join("ui"), ..Default::default() };
    let state = walkthrough_server::AppState::new(store, settings);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        rt.block_on(walkthrough_server::serve(listener, state, async {
            let _ = rx.await;
        }))
        .unwrap();
    });
    Running { url, stop: Some(tx), thread: Some(thread), _dir: dir }
}

fn client() -> reqwest::blocking::Client {
    walkthrough_client::tls::install_default_provider();
    reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Whether an answer is the router's fallback (no route matched).
fn is_fallback(status: u16, body: &str) -> bool {
    status == 404
        && serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["error"].as_str().map(|e| e.starts_with(openapi::NO_SUCH_ROUTE)))
            .unwrap_or(false)
}

#[test]
fn the_document_is_served_and_every_documented_operation_reaches_a_handler() {
    let server = demo_server();
    let http = client();
    let res = http.get(format!("{}/api/v1/openapi.json", server.url)).send().unwrap();
    assert_eq!(res.status().as_u16(), 200, "the document is served without signing in");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let served: Value = res.json().unwrap();
    let made: Value = serde_json::from_str(openapi::document_json()).unwrap();
    assert_eq!(served, made, "the served document is the one the server makes");
    assert!(served["openapi"].as_str().unwrap().starts_with("3."), "an OpenAPI 3 document");

    // A path no route has answers the fallback, so the check below can tell.
    let res = http.get(format!("{}/api/v1/no/such/thing", server.url)).send().unwrap();
    let (status, body) = (res.status().as_u16(), res.text().unwrap());
    assert!(is_fallback(status, &body), "an unknown path answers the fallback, got {status} {body}");
    let res = http.delete(format!("{}/api/v1/health", server.url)).send().unwrap();
    assert_eq!(res.status().as_u16(), 405, "a method a documented path lacks is told apart (405)");

    let ops = operations(&served);
    assert!(ops.len() >= 59, "every route is documented: only {} operations", ops.len());
    let mut ids = std::collections::BTreeSet::new();
    for (method, path, op) in &ops {
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
        assert!(
            op["responses"]["default"]["content"]["application/json"].is_object(),
            "{method} {path}: no error body"
        );
        let url = format!("{}{}", server.url, filled(path, op));
        let res = http.request(method.parse().unwrap(), &url).send().unwrap();
        let status = res.status().as_u16();
        let body = res.text().unwrap_or_default();
        assert!(!is_fallback(status, &body), "{method} {path} is documented but no route answers it: {status} {body}");
        assert_ne!(status, 405, "{method} {path} is documented but the route has no {method} handler");
    }
}

/// Every route is added through `routes!` to the `OpenApiRouter`, which
/// takes only handlers with a `#[utoipa::path]`: no source file of the
/// server adds one past it (a plain axum `.route(`, `Router::new()`,
/// `axum::routing`, a `route_service`), and the one service nested (the
/// front ends' static files under /ui) is no API route.
#[test]
fn no_route_bypasses_the_documenting_router() {
    let src = root().join("sync-server/src");
    let mut files = vec![src.clone()];
    let mut offenders = Vec::new();
    let mut nested = Vec::new();
    let mut handlers = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let plain_router = code.match_indices("Router::new(").any(|(i, _)| !code[..i].ends_with("OpenApi"));
            if code.contains(".route(")
                || code.contains(".route_service(")
                || code.contains("routing::")
                || plain_router
            {
                offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
            if let Some((_, rest)) = code.split_once("routes!(") {
                handlers += rest.split(')').next().unwrap_or("").split(',').filter(|h| !h.trim().is_empty()).count();
            }
            if code.contains(".nest_service(") {
                nested.push(line.trim().to_owned());
            }
        }
    }
    assert!(offenders.is_empty(), "routes added past the OpenApiRouter (undocumented):\n{}", offenders.join("\n"));
    assert_eq!(nested, [r#".nest_service("/ui", ui)"#], "only the front ends' files are a nested service");
    // And each handler added is one operation of the document.
    let doc: Value = serde_json::from_str(openapi::document_json()).unwrap();
    assert_eq!(operations(&doc).len(), handlers, "one documented operation for each handler in routes!(…)");
}

/// openapi-spec-validator in the project's venv (`ensure_openapi_validator`
/// in scripts/common.sh makes it; this test runs that when it is missing).
fn validator() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).expect("HOME");
    let bin = home.join(".cache/walkthrough/venv/bin/openapi-spec-validator");
    if !bin.exists() {
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg("source scripts/common.sh && ensure_openapi_validator")
            .current_dir(root())
            .status()
            .expect("bash");
        assert!(status.success(), "ensure_openapi_validator (scripts/common.sh) failed");
    }
    assert!(
        bin.exists(),
        "openapi-spec-validator is missing at {}: run `source scripts/common.sh && ensure_openapi_validator` \
         (scripts/test does)",
        bin.display()
    );
    bin
}

fn validate(bin: &Path, doc: &str, name: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, doc).unwrap();
    let out = std::process::Command::new(bin).arg(&file).output().expect("openapi-spec-validator runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_document_passes_an_independent_validator() {
    let bin = validator();
    let (ok, said) = validate(&bin, openapi::document_json(), "walkthrough-openapi.json");
    assert!(ok, "openapi-spec-validator refuses the document:\n{said}");
    // The validator refuses what is wrong, so its yes means something.
    let mut broken: Value = serde_json::from_str(openapi::document_json()).unwrap();
    let first = broken["paths"].as_object().unwrap().keys().find(|p| p.contains('{')).unwrap().clone();
    let item = broken["paths"][&first].take();
    broken["paths"][format!("{first}/{{undeclared}}")] = item;
    let (ok, said) = validate(&bin, &broken.to_string(), "walkthrough-openapi-broken.json");
    assert!(!ok, "a path parameter that is not declared is refused, but the validator said: {said}");
}

/// `ui/shared/api-types.ts` is generated from the document and committed;
/// stale, this fails (WALKTHROUGH_UPDATE_BINDINGS=1 rewrites it).
#[test]
fn the_front_ends_api_types_are_current() {
    let doc: Value = serde_json::from_str(openapi::document_json()).unwrap();
    let generated = openapi::typescript(&doc);
    for name in ["Project", "RoundReport", "ContractorPage", "ErrorBody", "LoginResponse"] {
        assert!(
            generated.contains(&format!("export interface {name} "))
                || generated.contains(&format!("export type {name} ")),
            "{name} is in the generated types"
        );
    }
    let path = root().join("ui/shared/api-types.ts");
    if std::env::var_os("WALKTHROUGH_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/shared/api-types.ts is stale: run `WALKTHROUGH_UPDATE_BINDINGS=1 cargo test --locked --workspace --test openapi` and commit it"
    );
}

/// The generator on the shapes the document has.
#[test]
fn typescript_is_made_from_each_kind_of_schema() {
    let doc = serde_json::json!({ "components": { "schemas": {
        "Obj": { "type": "object", "description": "An object.", "required": ["a", "list"], "properties": {
            "a": { "type": "string" },
            "b": { "type": ["integer", "null"] },
            "list": { "type": "array", "items": { "$ref": "#/components/schemas/Kind" } },
            "map": { "type": "object", "additionalProperties": { "type": "boolean" } },
            "pair": { "type": "array", "prefixItems": [{ "type": "string" }, { "type": "number" }] },
            "odd-name": { "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Kind" }] },
            "any": {}
        }},
        "Kind": { "type": "string", "enum": ["one", "two"] },
        "Tagged": { "oneOf": [
            { "type": "object", "required": ["op"], "properties": { "op": { "type": "string", "enum": ["add"] } } },
            { "type": "object", "required": ["op", "n"], "properties": { "op": { "type": "string", "enum": ["set"] }, "n": { "type": "integer" } } }
        ]}
    }}});
    let ts = openapi::typescript(&doc);
    assert!(ts.contains("export type Kind = \"one\" | \"two\";"), "{ts}");
    assert!(ts.contains("/**\n * An object.\n */\nexport interface Obj {\n"), "{ts}");
    for line in [
        "  a: string;",
        "  b: number | null;",
        "  list: Kind[];",
        "  map?: Record<string, boolean>;",
        "  pair?: [string, number];",
        "  \"odd-name\": null | Kind;",
        "  any?: unknown;",
    ] {
        assert!(ts.contains(line), "{line:?} in {ts}");
    }
    assert!(ts.contains("export type Tagged = {\n  op: \"add\";\n} | {\n  n: number;\n  op: \"set\";\n};"), "{ts}");
}
