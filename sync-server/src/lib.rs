//! The Walkthrough server: sign-in, batched document sync, photo blobs, and
//! the relational read model kept from the documents for dispatch and
//! reports. Generic over its storage (`Store`).

pub mod auth;
pub mod config;
pub mod console;
pub mod contractor;
pub mod dashboard;
pub mod dispatch;
pub mod dispatch_store;
pub mod download;
pub mod error;
pub mod import;
pub mod issued;
pub mod jobs;
pub mod links;
pub mod net;
pub mod observe;
pub mod openapi;
pub mod outbox;
pub mod pdf;
pub mod report;
pub mod report_store;
pub mod risk;
pub mod seed;
pub mod setup;
pub mod sheet;
pub mod store;
pub mod sync;
pub mod thumbs;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router};
use error::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use store::Store;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use walkthrough_core::model::Project;
use walkthrough_core::wire::*;
use walkthrough_core::*;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<config::Settings>,
    /// Project models read from their documents, until those change.
    pub projects: Arc<RwLock<HashMap<ProjectId, Arc<Project>>>>,
    /// Held while an exchange loads, merges and stores documents: two
    /// tablets syncing one unit at once must not both merge into the same
    /// stored version (the second would record heads without the first's
    /// change, and a tablet could then be told it is up to date when it is
    /// not).
    pub exchange_lock: Arc<std::sync::Mutex<()>>,
    /// Background jobs (issuing reports) and their progress.
    pub jobs: Arc<jobs::Jobs>,
    /// Sign-in throttling and the password-hashing slots.
    pub accounts: Arc<auth::Accounts>,
    /// What contractor-link secrets are derived from (kept outside the database).
    pub link_key: Arc<links::LinkKey>,
    /// Request counters and sync durations for `/metrics`.
    pub metrics: Arc<observe::Metrics>,
}

impl AppState {
    /// The state with the link key of `settings.link_key_file` (made when
    /// missing), or a key for this process only when none is set.
    pub fn new(store: Arc<dyn Store>, settings: config::Settings) -> Self {
        Self::try_new(store, settings).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_new(store: Arc<dyn Store>, settings: config::Settings) -> Result<Self, String> {
        let link_key = match &settings.link_key_file {
            Some(path) => links::LinkKey::load_or_create(path)?,
            None => links::LinkKey::random()?,
        };
        Ok(Self {
            link_key: Arc::new(link_key),
            store,
            accounts: Arc::new(auth::Accounts::new(settings.auth.clone())),
            settings: Arc::new(settings),
            projects: Arc::default(),
            exchange_lock: Arc::default(),
            jobs: Arc::default(),
            metrics: Arc::default(),
        })
    }
}

/// Every route of the server with its OpenAPI operation: each is added
/// through `routes!`, which takes only handlers with a `#[utoipa::path]`,
/// so a route cannot exist undocumented. `api_layers` wraps the API's
/// routes (the server's middleware; nothing for the document alone).
pub fn documented_routes(
    api_layers: impl FnOnce(OpenApiRouter<AppState>) -> OpenApiRouter<AppState>,
) -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(observe::health))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::session))
        .routes(routes!(sync::manifest))
        .routes(routes!(sync::exchange))
        .routes(routes!(sync::devices))
        .routes(routes!(put_blob, get_blob))
        .routes(routes!(dispatch::dispatch, dispatch::plan))
        .routes(routes!(dispatch::assign))
        .routes(routes!(dispatch::rectification))
        .routes(routes!(dispatch::rectification_pdf))
        .routes(routes!(dispatch::outbox))
        .routes(routes!(dispatch::retry))
        .routes(routes!(links::create, links::list))
        .routes(routes!(links::revoke))
        .routes(routes!(links::refusals))
        .routes(routes!(links::qr))
        .routes(routes!(links::channels))
        .routes(routes!(links::set_channel, links::delete_channel))
        .routes(routes!(report::report))
        .routes(routes!(report::defects))
        .routes(routes!(dashboard::defect))
        .routes(routes!(risk::accept))
        .routes(routes!(risk::list))
        .routes(routes!(dashboard::company_overview))
        .routes(routes!(contractor::items))
        .routes(routes!(contractor::fixed))
        .routes(routes!(contractor::undo))
        .routes(routes!(contractor::upload_photo))
        .routes(routes!(contractor::photo))
        .routes(routes!(contractor::sheet))
        .merge(console::routes())
        .merge(issued::routes());
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(API, api_layers(api))
        .routes(routes!(openapi::home))
        .routes(routes!(observe::metrics))
}

pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let st = state.clone();
    let (routes, _) = documented_routes(move |api| {
        api
            // The matched route, for the access log and the request counters.
            .route_layer(axum::middleware::from_fn(observe::remember_route))
            // After every route: it guards them all.
            .layer(axum::middleware::from_fn_with_state(st, auth::engineers_read_only))
    })
    .split_for_parts();
    // The front ends' files: not API routes (and so not in the document).
    let ui = tower_http::services::ServeDir::new(&state.settings.ui_dir);
    routes
        .nest_service("/ui", ui)
        .fallback(openapi::no_such_route)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::access_log))
        .with_state(state)
}

/// Serve until `shutdown` resolves, with the notification outbox running
/// beside; on shutdown the outbox finishes the delivery in hand first.
/// HTTPS when the settings name a certificate and key (`net`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    walkthrough_client::tls::install_default_provider();
    // Certificate files that cannot be used are refused before anything starts.
    net::tls_acceptor(&state.settings)?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || sync::rebuild_read_models(&st))
        .await?
        .map_err(|e| anyhow::anyhow!("deriving the read model again failed: {e:?}"))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let worker = tokio::spawn(outbox::run(state.clone(), stopped.clone()));
    let thumbs = tokio::spawn(thumbs::run(state.clone(), stopped));
    let stop_on_signal = stop.clone();
    let settings = state.settings.clone();
    let result = net::serve(listener, router(state), &settings, async move {
        shutdown.await;
        let _ = stop_on_signal.send(true);
    })
    .await;
    let _ = stop.send(true);
    let _ = worker.await;
    let _ = thumbs.await;
    result?;
    Ok(())
}

/// A JSON body, with a clear error when it is not what was expected.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge("the request is too large; send fewer documents at once".into()))
            }
            Err(e) => Err(ApiError::BadRequest(format!("the request body is not valid: {}", e.body_text()))),
        }
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(e.into()))?
}

pub(crate) fn parse_hash(hash: &str) -> Result<PhotoHash, ApiError> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(PhotoHash::new(hash))
    } else {
        Err(ApiError::BadRequest(format!("{hash:?} is not a photo hash (64 lowercase hex characters)")))
    }
}

/// `PUT /blobs/{hash}[?project=P]`: the uploader can read it back at once
/// (before the document that shows it syncs); with `project` (one in the
/// uploader's scope) the project's other accounts can too.
#[utoipa::path(put, path = "/blobs/{hash}", operation_id = "put_blob", tag = "sync", request_body(content(("image/jpeg"), ("image/png"))), responses((status = 201, description = "Stored"), (status = 200, description = "Already stored")), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn put_blob(
    State(st): State<AppState>,
    user: auth::AuthUser,
    Path(hash): Path<String>,
    axum::extract::Query(q): axum::extract::Query<BlobQuery>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let hash = parse_hash(&hash)?;
    let project = q.project.map(ProjectId::new);
    if let Some(p) = project.as_ref().filter(|p| !user.projects.contains(p)) {
        return Err(ApiError::Forbidden(format!("you are not assigned to project {p}")));
    }
    if body.len() > st.settings.max_blob_bytes {
        return Err(ApiError::TooLarge(format!("photos up to {} MB are accepted", st.settings.max_blob_bytes >> 20)));
    }
    blocking(move || {
        let actual = walkthrough_client::photos::hash_bytes(&body);
        if actual != hash {
            return Err(ApiError::BadRequest(format!(
                "the photo's content does not match its name: expected {hash}, the bytes hash to {actual}"
            )));
        }
        let (_, mime, _, _) =
            walkthrough_client::photos::validate(&body).map_err(|e| ApiError::Unsupported(e.to_string()))?;
        let created = st.store.put_blob(&hash, mime, &body)?;
        st.store.add_blob_owner(&hash, &format!("user:{}", user.user.id))?;
        if let Some(p) = project {
            st.store.add_blob_owner(&hash, &format!("project:{p}"))?;
        }
        Ok(if created { StatusCode::CREATED } else { StatusCode::OK })
    })
    .await
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlobSize {
    pub size: Option<String>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlobQuery {
    pub project: Option<String>,
}

/// Whether `user` may read the blob `hash`: see `Store::blob_in_scope`, or
/// it is the floor plan of a unit type of a project in the user's scope.
pub(crate) fn blob_readable(st: &AppState, user: &auth::AuthUser, hash: &PhotoHash) -> Result<bool, ApiError> {
    if st.store.blob_in_scope(hash, &user.user.id, &user.projects)? {
        return Ok(true);
    }
    for p in &user.projects {
        if let Some(model) = sync::project_model(st, p)? {
            if model.unit_types.values().any(|t| t.floor_plan.as_deref() == Some(hash.as_str())) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `GET /blobs/{hash}[?size=preview]`: only a photo or floor plan of a
/// project in the user's scope (or one the user uploaded); anything else
/// answers the same 404 as a hash nobody stored, so a hash known from
/// elsewhere reveals nothing. `size=preview` answers the photo's screen
/// preview (JPEG, at most 1,600 px a side) instead of the original, with the
/// same check.
#[utoipa::path(get, path = "/blobs/{hash}", operation_id = "get_blob", tag = "sync", responses((status = 200, description = "The file", content(("image/jpeg"), ("image/png")))), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn get_blob(
    State(st): State<AppState>,
    user: auth::AuthUser,
    Path(hash): Path<String>,
    axum::extract::Query(q): axum::extract::Query<BlobSize>,
) -> Result<impl IntoResponse, ApiError> {
    let hash = parse_hash(&hash)?;
    let preview = match q.size.as_deref() {
        None | Some("original") => false,
        Some("preview") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!("{other:?} is not a photo size (preview or original)")));
        }
    };
    let found = blocking(move || {
        if !blob_readable(&st, &user, &hash)? {
            return Ok(None);
        }
        if preview {
            return Ok(thumbs::preview(&st, &hash).map(|bytes| ("image/jpeg".to_owned(), bytes)));
        }
        Ok(st.store.get_blob(&hash)?)
    })
    .await?;
    let (mime, bytes) = found.ok_or_else(|| ApiError::NotFound("no photo with that hash on the server".into()))?;
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, no-store".into())], bytes))
}

/// The Content-Security-Policy of every response: scripts and styles only
/// from this server's files (no inline script, no inline handlers), photos
/// also from `blob:` URLs (the pages fetch them with the session and show
/// object URLs), no plugins, no `<base>`, never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Security headers on every response (pages, files and the API): the CSP,
/// no MIME sniffing, no Referer (share and contractor links carry secrets
/// in the URL), never framed; and API answers are never cached (they hold
/// personal data). HSTS is added where HTTPS is served.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::HeaderValue;
    let api = req.uri().path().starts_with(API);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
