//! The OpenAPI document of the HTTP API, made from the handlers and the
//! types they take and answer (utoipa): every route is built through
//! `utoipa_axum`'s `OpenApiRouter` with `routes!`, so a route cannot exist
//! without its `#[utoipa::path]` (`crate::documented_routes`). Served at
//! `GET /api/v1/openapi.json`; the web front ends' TypeScript types
//! (`ui/shared/api-types.ts`) are generated from the same document.

use crate::error::ApiError;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::OnceLock;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use walkthrough_core::wire::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Walkthrough API",
        description = "The Walkthrough sync server: tablets' sync and photos, dispatch to contractors, \
the contractor's page, the CS center's console, dashboard and reports. Every error answers an \
`ErrorBody` whose `error` says what was wrong. A property with a default is listed as required where \
the server always sends it (requests may leave it out); an optional (nullable) one is sent as null."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and sessions"),
        (name = "sync", description = "The tablets: document sync and photos"),
        (name = "dispatch", description = "Dispatch to contractors, links, channels and notifications"),
        (name = "contractor", description = "The contractor's page (through a contractor link)"),
        (name = "reports", description = "Round reports, the dashboard, accepted risks and issued reports"),
        (name = "setup", description = "The CS center's console: projects, units, people"),
        (name = "ops", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// How callers prove who they are.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        let key = |place: fn(ApiKeyValue) -> ApiKey, name: &str, about: &str| {
            SecurityScheme::ApiKey(place(ApiKeyValue::with_description(name, about)))
        };
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token from POST /auth/login (tablets, scripts; the metrics token for /metrics)",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session_cookie",
            key(
                ApiKey::Cookie,
                crate::auth::SESSION_COOKIE,
                "The console's session cookie (sign in with `X-Walkthrough-Session: cookie`)",
            ),
        );
        c.add_security_scheme(
            "csrf",
            key(
                ApiKey::Header,
                crate::auth::CSRF_HEADER,
                "Must be `walkthrough` on every request that changes something and carries the session cookie",
            ),
        );
        c.add_security_scheme(
            "contractor_link",
            key(ApiKey::Header, crate::links::LINK_HEADER, "The secret of a contractor link"),
        );
        c.add_security_scheme(
            "share_token",
            key(ApiKey::Header, "x-share-token", "The secret of a report's share link"),
        );
    }
}

/// Every operation may answer an error: its status says which, the body
/// (`ErrorBody`, what `ApiError` answers) says what was wrong in words.
struct Errors;

impl Modify for Errors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = ResponseBuilder::new()
            .description(
                "An error: the status says which kind, `error` what was wrong (`code` for a few the clients act on)",
            )
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))).build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                op.responses.responses.entry("default".into()).or_insert_with(|| RefOr::T(error.clone()));
            }
        }
    }
}

/// The whole document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = crate::documented_routes(|api| api).into_openapi();
    // After the routes are in (the derive's modifiers run before).
    Errors.modify(&mut doc);
    doc
}

/// The document as JSON, made once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_pretty_json().expect("the OpenAPI document serialises"))
}

/// This document (OpenAPI 3.1): every route of the server with what it
/// takes and answers.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI document", content(("application/json")))),
    security(())
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document_json())
}

/// What answers a request no route matches: a JSON 404 that names the
/// method and path (`{"error":"no such route: GET /x"}`), never a handler's.
pub async fn no_such_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("{NO_SUCH_ROUTE}: {method} {}", uri.path()))
}

/// How the fallback's error begins.
pub const NO_SUCH_ROUTE: &str = "no such route";

/// `GET /`: the console.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "home",
    tag = "ops",
    responses((status = 303, description = "To the console, /ui/console/")),
    security(())
)]
pub async fn home() -> axum::response::Redirect {
    axum::response::Redirect::to("/ui/console/")
}

/// TypeScript declarations of the document's component schemas, for the
/// web front ends (`ui/shared/api-types.ts`): objects become interfaces
/// (a property not required is optional, unless it may be null: an
/// `Option` is sent as null, so it is there as `T | null`), enums unions of their values,
/// `oneOf`/`anyOf` unions, `allOf` intersections, arrays and tuples,
/// maps `Record<string, T>`, `null` in a type list `| null`, and `$ref`s
/// the referenced type's name.
pub fn typescript(doc: &serde_json::Value) -> String {
    let mut out = String::from(
        "// The HTTP API's JSON types, generated from the server's OpenAPI document\n\
         // (GET /api/v1/openapi.json, made from the handlers' Rust types).\n\
         // Do not edit: change the Rust types, then run the server's `openapi` test\n\
         // with WALKTHROUGH_UPDATE_BINDINGS=1.\n",
    );
    let empty = serde_json::Map::new();
    let schemas = doc.pointer("/components/schemas").and_then(|s| s.as_object()).unwrap_or(&empty);
    for (name, schema) in schemas {
        out.push('\n');
        doc_comment(&mut out, schema, "");
        let is_interface = schema.get("properties").is_some()
            && schema.get("additionalProperties").is_none()
            && ["oneOf", "anyOf", "allOf", "enum"].iter().all(|k| schema.get(*k).is_none())
            && !types_of(schema).contains(&"null");
        if is_interface {
            out.push_str(&format!("export interface {} {}\n", ts_name(name), object_body(schema, "")));
        } else {
            out.push_str(&format!("export type {} = {};\n", ts_name(name), ts_type(schema, "")));
        }
    }
    out
}

fn ts_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

fn doc_comment(out: &mut String, schema: &serde_json::Value, indent: &str) {
    if let Some(d) = schema.get("description").and_then(|d| d.as_str()).map(str::trim).filter(|d| !d.is_empty()) {
        let d = d.replace("*/", "* /");
        out.push_str(&format!("{indent}/**\n"));
        for line in d.lines() {
            out.push_str(&format!("{indent} *{}{}\n", if line.is_empty() { "" } else { " " }, line.trim_end()));
        }
        out.push_str(&format!("{indent} */\n"));
    }
}

/// Whether `null` is one of the schema's values.
fn nullable(schema: &serde_json::Value) -> bool {
    types_of(schema).contains(&"null")
        || ["oneOf", "anyOf"]
            .iter()
            .any(|k| schema.get(*k).and_then(|a| a.as_array()).is_some_and(|alts| alts.iter().any(nullable)))
}

/// The schema's `type`, as a list (OpenAPI 3.1 allows `["string", "null"]`).
fn types_of(schema: &serde_json::Value) -> Vec<&str> {
    match schema.get("type") {
        Some(serde_json::Value::String(t)) => vec![t.as_str()],
        Some(serde_json::Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn union(parts: Vec<String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for p in parts {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    match seen.len() {
        0 => "never".into(),
        _ => seen.join(" | "),
    }
}

/// `T` made safe to put before `[]` or inside `&`.
fn grouped(t: String) -> String {
    if t.contains(' ') && !(t.starts_with('{') && t.ends_with('}')) {
        format!("({t})")
    } else {
        t
    }
}

fn ts_type(schema: &serde_json::Value, indent: &str) -> String {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        return ts_name(r.rsplit('/').next().unwrap_or(r));
    }
    if let Some(values) = schema.get("enum").and_then(|e| e.as_array()) {
        return union(values.iter().map(|v| v.to_string()).collect());
    }
    if let Some(v) = schema.get("const") {
        return v.to_string();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(|a| a.as_array()) {
            return union(alts.iter().map(|a| ts_type(a, indent)).collect());
        }
    }
    if let Some(all) = schema.get("allOf").and_then(|a| a.as_array()) {
        let parts: Vec<String> = all.iter().map(|a| grouped(ts_type(a, indent))).collect();
        return if parts.is_empty() { "unknown".into() } else { parts.join(" & ") };
    }
    let types = types_of(schema);
    if types.is_empty() {
        return if schema.get("properties").is_some() { object_type(schema, indent) } else { "unknown".into() };
    }
    union(
        types
            .iter()
            .map(|t| match *t {
                "null" => "null".into(),
                "string" => "string".into(),
                "integer" | "number" => "number".into(),
                "boolean" => "boolean".into(),
                "array" => match schema.get("prefixItems").and_then(|p| p.as_array()) {
                    Some(items) => {
                        format!("[{}]", items.iter().map(|i| ts_type(i, indent)).collect::<Vec<_>>().join(", "))
                    }
                    None => match schema.get("items") {
                        Some(items) => format!("{}[]", grouped(ts_type(items, indent))),
                        None => "unknown[]".into(),
                    },
                },
                "object" => object_type(schema, indent),
                _ => "unknown".into(),
            })
            .collect(),
    )
}

fn object_type(schema: &serde_json::Value, indent: &str) -> String {
    let map = match schema.get("additionalProperties") {
        Some(serde_json::Value::Bool(false)) | None => None,
        Some(serde_json::Value::Bool(true)) => Some("Record<string, unknown>".to_owned()),
        Some(v) => Some(format!("Record<string, {}>", ts_type(v, indent))),
    };
    let has_props = schema.get("properties").and_then(|p| p.as_object()).is_some_and(|p| !p.is_empty());
    match (has_props, map) {
        (true, None) => object_body(schema, indent),
        (true, Some(m)) => format!("{} & {m}", object_body(schema, indent)),
        (false, Some(m)) => m,
        (false, None) => "Record<string, unknown>".into(),
    }
}

fn object_body(schema: &serde_json::Value, indent: &str) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let inner = format!("{indent}  ");
    let mut out = String::from("{\n");
    if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
        for (name, prop) in props {
            doc_comment(&mut out, prop, &inner);
            let key = if !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                && !name.starts_with(|c: char| c.is_ascii_digit())
            {
                name.clone()
            } else {
                serde_json::Value::String(name.clone()).to_string()
            };
            // A property the server may leave out is optional; an Option the
            // server sends as null is there, `T | null`.
            let optional = if required.contains(&name.as_str()) || nullable(prop) { "" } else { "?" };
            out.push_str(&format!("{inner}{key}{optional}: {};\n", ts_type(prop, &inner)));
        }
    }
    out.push_str(indent);
    out.push('}');
    out
}
