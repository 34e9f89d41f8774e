//! What operators watch: an access log line per request, `/metrics` in the
//! Prometheus text format, and the database check of `/api/v1/health`.
//!
//! The registry is small and hand-written (counters and histograms behind a
//! mutex, rendered on scrape): requests by method, matched route and status;
//! sync exchange durations; report job durations (kept by `jobs::Jobs`); and
//! the outbox backlog by status, counted from the database at each scrape.
//!
//! Routes are labelled by their pattern (`/api/v1/projects/{project}/…`),
//! never by the path people opened: paths of contractor and share links
//! carry secrets, and the label set stays bounded. Neither tokens nor query
//! strings are logged.

use crate::auth;
use crate::error::ApiError;
use crate::store::SqliteStore;
use crate::AppState;
use axum::extract::{MatchedPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// The route of the sync exchange, whose durations get a histogram of their own.
const EXCHANGE_ROUTE: &str = "/api/v1/sync/exchange";

/// Upper bounds (seconds) of the histograms' buckets.
const BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// A Prometheus histogram (cumulative buckets when rendered).
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last is +Inf.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        let i = BUCKETS.iter().position(|&b| seconds <= b).unwrap_or(BUCKETS.len());
        self.counts[i] += 1;
        self.sum += seconds;
        self.count += 1;
    }

    /// The `_bucket`, `_sum` and `_count` lines of `name` with `labels`
    /// (`key="value",…` or empty).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i];
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Histograms by one label's value (e.g. a job's kind).
#[derive(Default)]
pub struct HistogramVec(Mutex<BTreeMap<String, Histogram>>);

impl HistogramVec {
    pub fn observe(&self, label: &str, seconds: f64) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(label.to_owned()).or_default().observe(seconds);
    }

    fn render(&self, out: &mut String, name: &str, label: &str) {
        for (value, h) in self.0.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            h.render(out, name, &format!("{label}=\"{}\"", escape(value)));
        }
    }
}

/// The server's counters, kept in memory since it started.
#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → requests answered.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    exchange: Mutex<Histogram>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        if route == EXCHANGE_ROUTE {
            self.exchange.lock().unwrap_or_else(|e| e.into_inner()).observe(seconds);
        }
    }
}

/// A label value as the text format wants it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The Prometheus text of the server's metrics; `outbox` is the backlog by status.
pub fn render(st: &AppState, outbox: &[(String, u64)]) -> String {
    let mut out = String::new();
    out.push_str("# HELP walkthrough_build_info The running server's version.\n# TYPE walkthrough_build_info gauge\n");
    let _ = writeln!(out, "walkthrough_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));

    out.push_str(
        "# HELP walkthrough_http_requests_total HTTP requests answered, by method, matched route and status.\n",
    );
    out.push_str("# TYPE walkthrough_http_requests_total counter\n");
    for ((method, route, status), n) in st.metrics.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(
            out,
            "walkthrough_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
            escape(method),
            escape(route)
        );
    }

    out.push_str("# HELP walkthrough_sync_exchange_duration_seconds Time to answer a sync exchange.\n");
    out.push_str("# TYPE walkthrough_sync_exchange_duration_seconds histogram\n");
    st.metrics.exchange.lock().unwrap_or_else(|e| e.into_inner()).render(
        &mut out,
        "walkthrough_sync_exchange_duration_seconds",
        "",
    );

    out.push_str("# HELP walkthrough_job_duration_seconds Time a background job (issuing a report) ran, by kind.\n");
    out.push_str("# TYPE walkthrough_job_duration_seconds histogram\n");
    st.jobs.durations.render(&mut out, "walkthrough_job_duration_seconds", "kind");

    out.push_str("# HELP walkthrough_outbox_messages Notification messages in the outbox, by status.\n");
    out.push_str("# TYPE walkthrough_outbox_messages gauge\n");
    for (status, n) in outbox {
        let _ = writeln!(out, "walkthrough_outbox_messages{{status=\"{}\"}} {n}", escape(status));
    }
    out
}

// ---------------------------------------------------------------------------
// The access log

/// Who made a request, filled in by the sign-in check (`auth::Session`)
/// for the access log line.
#[derive(Clone, Default)]
pub struct RequestUser(Arc<OnceLock<String>>);

impl RequestUser {
    pub fn set(&self, user: &str) {
        let _ = self.0.set(user.to_owned());
    }
}

/// The matched route, carried out of the router in the response.
#[derive(Clone)]
struct Route(String);

/// Inside the router (a route layer, so the route is known): the matched
/// route pattern, handed outward with the response.
pub async fn remember_route(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let mut res = next.run(req).await;
    if let Some(route) = route {
        res.extensions_mut().insert(Route(route));
    }
    res
}

/// Outside everything: one info line per request (method, route, status,
/// milliseconds, user when signed in) and the request counters.
pub async fn access_log(
    State(st): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path();
    // Routes outside the API routers (their files, `/metrics`, `/`).
    let fallback = if path == "/" || path == "/metrics" {
        path.to_owned()
    } else if path.starts_with("/ui/") || path == "/ui" {
        "/ui/{*file}".to_owned()
    } else {
        "(unmatched)".to_owned()
    };
    let user = RequestUser::default();
    req.extensions_mut().insert(user.clone());
    let res = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let route = res.extensions().get::<Route>().map(|r| r.0.clone()).unwrap_or(fallback);
    let status = res.status().as_u16();
    st.metrics.record(&method, &route, status, seconds);
    tracing::info!(
        target: "walkthrough::access",
        method = %method,
        route = %route,
        status,
        ms = (seconds * 1e4).round() / 10.0,
        user = %user.0.get().map(String::as_str).unwrap_or("-"),
        "request"
    );
    res
}

// ---------------------------------------------------------------------------
// /metrics and health

/// Whether the client may read `/metrics`: from this machine (loopback) or
/// a trusted proxy itself (`http.trusted_proxies`; a client it forwards
/// is judged by its own address), or with `Authorization: Bearer
/// <metrics_token>` when that is set.
fn metrics_allowed(st: &AppState, client: std::net::IpAddr, headers: &HeaderMap) -> bool {
    if client.is_loopback() || st.settings.http.trusted_proxies.contains(&client) {
        return true;
    }
    let Some(token) = st.settings.metrics_token.as_deref().filter(|t| !t.is_empty()) else {
        return false;
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    given.is_some_and(|g| {
        use sha2::Digest;
        // Compared as digests: the time taken says nothing of the token.
        sha2::Sha256::digest(g.trim().as_bytes()) == sha2::Sha256::digest(token.as_bytes())
    })
}

/// `GET /metrics`: the Prometheus text format (version 0.0.4).
#[utoipa::path(get, path = "/metrics", operation_id = "observe_metrics", tag = "ops", responses((status = 200, description = "Prometheus text format", content(("text/plain; version=0.0.4")))), security((), ("bearer" = [])))]
pub async fn metrics(State(st): State<AppState>, client: auth::ClientAddr, headers: HeaderMap) -> Response {
    if !metrics_allowed(&st, client.0, &headers) {
        return (
            StatusCode::FORBIDDEN,
            "metrics are answered only to this machine, a trusted proxy, or with the configured metrics token \
             (Authorization: Bearer …)\n",
        )
            .into_response();
    }
    let store = st.store.clone();
    let outbox = match crate::blocking(move || Ok(store.outbox_backlog()?)).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("metrics: the outbox could not be counted: {e:?}");
            return (StatusCode::SERVICE_UNAVAILABLE, "the database cannot be read; see the server's log\n")
                .into_response();
        }
    };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render(&st, &outbox)).into_response()
}

/// `GET /api/v1/health`: 200 when the database answers a trivial query,
/// else 503 saying so (the details go to the log, not to the caller).
#[utoipa::path(get, path = "/health", operation_id = "observe_health", tag = "ops", responses((status = 200, description = "The server and its database answer", body = serde_json::Value), (status = 503, description = "The database does not answer", body = serde_json::Value)), security(()))]
pub async fn health(State(st): State<AppState>) -> Result<Response, ApiError> {
    let store = st.store.clone();
    let checked =
        tokio::task::spawn_blocking(move || store.check_database()).await.map_err(|e| ApiError::Internal(e.into()))?;
    Ok(match checked {
        Ok(()) => axum::Json(serde_json::json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(e) => {
            tracing::error!("health: the database cannot be read: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({
                    "status": "unavailable",
                    "database": "error",
                    "error": "the database cannot be read; see the server's log",
                })),
            )
                .into_response()
        }
    })
}

/// The storage side of health and metrics.
pub trait OpsStore {
    /// A trivial query on a fresh read-only connection to the database
    /// file: fails when the file is gone, unreadable or not a database.
    fn check_database(&self) -> Result<(), String>;
    /// Outbox messages by status (every status, zero when none).
    fn outbox_backlog(&self) -> crate::store::StoreResult<Vec<(String, u64)>>;
}

/// The outbox's statuses (`dispatch_store`).
const OUTBOX_STATUSES: [&str; 5] = ["pending", "sending", "failing", "sent", "dead"];

impl OpsStore for SqliteStore {
    fn check_database(&self) -> Result<(), String> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(2)).map_err(|e| e.to_string())?;
        conn.query_row("SELECT count(*) FROM migrations", [], |r| r.get::<_, i64>(0)).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn outbox_backlog(&self) -> crate::store::StoreResult<Vec<(String, u64)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare("SELECT status, count(*) FROM outbox GROUP BY status")?;
        let mut counts: BTreeMap<String, u64> = OUTBOX_STATUSES.iter().map(|s| (s.to_string(), 0)).collect();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (status, n) = row?;
            counts.insert(status, n.max(0) as u64);
        }
        Ok(counts.into_iter().collect())
    }
}
