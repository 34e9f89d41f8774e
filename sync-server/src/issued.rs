//! Issuing a round report: the CS center freezes the report as it stands —
//! its JSON, workbook and printed PDF are made by a background job and
//! stored as the next version, with a timestamp and who issued it — and can
//! download it later byte for byte as issued, whatever has changed since,
//! and share it by a link that opens that one report without an account
//! until it is revoked.
//!
//!   POST   /projects/{p}/reports/{round}/issue        start the job (CS center)
//!   GET    /jobs/{id}                                  its stage and progress
//!   GET    /projects/{p}/issued                        issued reports with their links
//!   GET    /projects/{p}/issued/{id}?format=pdf|xlsx|json|csv[&table=T]
//!   POST   /projects/{p}/issued/{id}/shares            a new link (the secret is shown once)
//!   DELETE /projects/{p}/issued/{id}/shares/{share}    revoke it
//!   GET    /shared-report?format=…                     with `X-Share-Token: <secret>`

use crate::auth::{hash_token, new_token, AuthUser};
use crate::error::ApiError;
use crate::jobs::JobView;
use crate::report::{self, ReportQuery, RoundReport, Scope};
use crate::report_store::{IssuedFiles, IssuedFormat, IssuedReport, ReportShare};
use crate::{blocking, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use walkthrough_core::model::Role;
use walkthrough_core::*;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue))
        .routes(routes!(job))
        .routes(routes!(list))
        .routes(routes!(download))
        .routes(routes!(share))
        .routes(routes!(revoke))
        .routes(routes!(shared))
}

/// Issuing and sharing are the CS center's acts (engineers read reports).
fn require_cs(user: &AuthUser, project: &ProjectId) -> Result<(), ApiError> {
    report::require_reader(user, project)?;
    if user.user.role != Role::CsAdmin {
        return Err(ApiError::Forbidden("only the CS center issues and shares reports".into()));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct IssueRequest {
    /// Print photos with their marks in the per-unit appendix (default yes).
    #[serde(default)]
    pub photos: Option<bool>,
    /// At most this many photos (default 1,000).
    #[serde(default)]
    pub max_photos: Option<usize>,
    /// A report date (YYYY-MM-DD) instead of the round's default.
    #[serde(default)]
    pub as_of: Option<String>,
}

fn millis(t: Time) -> i64 {
    t.timestamp_millis()
}

/// Build the report and its files and store them as the next version.
pub fn issue_now(
    st: &AppState,
    project_id: &ProjectId,
    round: &str,
    req: &IssueRequest,
    by: &UserId,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<IssuedReport, ApiError> {
    progress("reading", 0, 1);
    let (project, loaded) = report::load(st, project_id)?;
    let q = ReportQuery { as_of: req.as_of.clone(), ..Default::default() };
    let (scope, no, as_of) = report::resolve(&project, round, &q, chrono::Utc::now())?;
    progress("computing", 0, 1);
    let built = report::build(&project, &loaded.rows(), scope, no, as_of);
    progress("workbook", 0, 1);
    let xlsx = report::xlsx(&built)?;
    let json = serde_json::to_vec(&built).map_err(|e| ApiError::Internal(e.into()))?;
    let photos = req.photos.unwrap_or(true);
    let max_photos = req.max_photos.unwrap_or(report::DEFAULT_MAX_PHOTOS);
    let pdf = report::render_pdf(st, &project, &loaded, &built, photos, max_photos, progress)?;
    drop(loaded);
    progress("storing", 0, 1);
    let meta = IssuedReport {
        id: format!("rep-{}", uuid::Uuid::now_v7().simple()),
        project: project_id.clone(),
        scope: scope_key(scope).into(),
        round: no.0,
        version: 0,
        issued_at: chrono::Utc::now().timestamp_millis(),
        issued_by: by.clone(),
        as_of: millis(built.as_of),
        with_photos: photos,
        sizes: Default::default(),
    };
    let stored = st.store.insert_issued(&meta, &IssuedFiles { json, pdf, xlsx })?;
    let what = format!("issued {} report v{}", label(&stored), stored.version);
    let detail = serde_json::json!({
        "report": stored.id, "scope": stored.scope, "round": stored.round, "label": label(&stored), "version": stored.version,
    });
    crate::setup::record_act(st.store.as_ref(), project_id, by, "report_issued", &what, detail)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(stored)
}

fn scope_key(s: Scope) -> &'static str {
    match s {
        Scope::Round => "round",
        Scope::Cumulative => "cumulative",
    }
}

fn label(r: &IssuedReport) -> String {
    if r.scope == "cumulative" {
        format!("cumulative (to round {})", r.round)
    } else {
        format!("round {}", r.round)
    }
}

/// `POST /projects/{p}/reports/{round}/issue`: 202 with the job.
#[utoipa::path(post, path = "/projects/{project}/reports/{round}/issue", operation_id = "issued_issue", tag = "reports", request_body(content = Option<IssueRequest>, description = "Optional: no body takes the defaults"), responses((status = 202, description = "The job that issues the report", body = JobView)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn issue(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, round)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    // No body: the defaults.
    let req: IssueRequest = if body.iter().all(u8::is_ascii_whitespace) {
        IssueRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the request body is not valid: {e}")))?
    };
    if req.max_photos.is_some_and(|n| n > 10_000) {
        return Err(ApiError::BadRequest("max_photos is at most 10000".into()));
    }
    // A wrong round or date is refused now, not by a failed job later.
    let st2 = st.clone();
    let (p2, r2, q) =
        (project_id.clone(), round.clone(), ReportQuery { as_of: req.as_of.clone(), ..Default::default() });
    blocking(move || {
        let project = crate::dispatch::project(&st2, &p2)?;
        report::resolve(&project, &r2, &q, chrono::Utc::now()).map(|_| ())
    })
    .await?;
    let by = user.user.id.clone();
    let st2 = st.clone();
    let p2 = project_id.clone();
    let by2 = by.clone();
    let view = st.jobs.start(project_id, "issue_report", by, move |progress| {
        issue_now(&st2, &p2, &round, &req, &by2, progress).map(|r| serde_json::to_value(r).unwrap_or_default()).map_err(
            |e| match e {
                ApiError::Internal(e) => {
                    tracing::error!(error = %format!("{e:#}"), "issuing a report");
                    "the report could not be made (internal error; see the server log)".to_owned()
                }
                other => other.to_string(),
            },
        )
    });
    Ok((StatusCode::ACCEPTED, Json(view)).into_response())
}

/// `GET /jobs/{id}`: for whoever started it, or a reader of its project.
#[utoipa::path(get, path = "/jobs/{job}", operation_id = "issued_job", tag = "reports", responses((status = 200, description = "OK", body = JobView)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn job(State(st): State<AppState>, user: AuthUser, Path(id): Path<String>) -> Result<Json<JobView>, ApiError> {
    let job =
        st.jobs.get(&id).ok_or_else(|| ApiError::NotFound(format!("no job {id} (finished jobs are kept a day)")))?;
    if job.by != user.user.id {
        report::require_reader(&user, &job.project)?;
    }
    Ok(Json(job))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedView {
    #[serde(flatten)]
    pub report: IssuedReport,
    /// Who issued it, named from the project's people.
    pub issued_by_name: walkthrough_core::names::Shown,
    pub shares: Vec<ShareView>,
}

/// A share link with the name of who made it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShareView {
    #[serde(flatten)]
    pub share: ReportShare,
    pub created_by_name: walkthrough_core::names::Shown,
    pub revoked_by_name: Option<walkthrough_core::names::Shown>,
}

/// `GET /projects/{p}/issued`: newest first, each with its links.
#[utoipa::path(get, path = "/projects/{project}/issued", operation_id = "issued_list", tag = "reports", responses((status = 200, description = "OK", body = Vec<IssuedView>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn list(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
) -> Result<Json<Vec<IssuedView>>, ApiError> {
    let project_id = ProjectId::new(project_id);
    report::require_reader(&user, &project_id)?;
    blocking(move || {
        let project = crate::dispatch::project(&st, &project_id)?;
        let name = |by: &UserId| crate::dashboard::author_name(&st, &project, by);
        let share = |s: ReportShare| ShareView {
            created_by_name: name(&s.created_by),
            revoked_by_name: s.revoked_by.as_ref().map(&name),
            share: s,
        };
        let out = st
            .store
            .issued_reports(&project_id)?
            .into_iter()
            .map(|r| {
                Ok(IssuedView {
                    shares: st.store.shares(&r.id)?.into_iter().map(share).collect(),
                    issued_by_name: name(&r.issued_by),
                    report: r,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Json(out))
    })
    .await
}

/// The issued report `id` of `project`, or 404 (also for another project's).
fn issued_of(st: &AppState, project: &ProjectId, id: &str) -> Result<IssuedReport, ApiError> {
    st.store
        .issued_report(id)?
        .filter(|r| &r.project == project)
        .ok_or_else(|| ApiError::NotFound(format!("project {project} has no issued report {id}")))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    /// The language of the file's name (`en`, `zh-CN`; else Accept-Language).
    #[serde(default)]
    pub lang: Option<String>,
}

/// One file of an issued report, exactly as stored when it was issued,
/// named from the project, scope, round and version in the reader's language.
fn issued_file(st: &AppState, r: &IssuedReport, q: &FileQuery, headers: &HeaderMap) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("pdf");
    let project = crate::dispatch::project(st, &r.project)?;
    let read = |f: IssuedFormat| {
        st.store.issued_file(&r.id, f)?.ok_or_else(|| ApiError::NotFound(format!("issued report {} is gone", r.id)))
    };
    let (bytes, built) = match format {
        "pdf" => (read(IssuedFormat::Pdf)?, None),
        "xlsx" => (read(IssuedFormat::Xlsx)?, None),
        "json" => (read(IssuedFormat::Json)?, None),
        "csv" => {
            let built: RoundReport =
                serde_json::from_slice(&read(IssuedFormat::Json)?).map_err(|e| ApiError::Internal(e.into()))?;
            (report::report_bytes(&built, "csv", q.table.as_deref())?, Some(built))
        }
        other => {
            return Err(ApiError::BadRequest(format!("format {other:?} is not offered: use pdf, xlsx, json or csv")))
        }
    };
    let table = match &built {
        Some(b) => Some(report::report_table(b, q.table.as_deref())?),
        None => None,
    };
    let f = crate::download::ReportFile {
        cumulative: r.scope == "cumulative",
        round: RoundNo(r.round),
        version: Some(r.version),
        as_of: report::local_day(walkthrough_core::time::from_millis(r.as_of), project.zone()),
        table: table.map(|t| (t.zh.as_str(), t.en.as_str())),
    };
    let lang = crate::download::lang_of(q.lang.as_deref(), headers);
    Ok(report::report_file(&project, &f, format, lang, bytes))
}

/// `GET /projects/{p}/issued/{id}?format=…`.
#[utoipa::path(get, path = "/projects/{project}/issued/{id}", operation_id = "issued_download", tag = "reports", responses((status = 200, description = "The issued report as frozen: JSON, or the file `format` asks for", content((RoundReport = "application/json"), ("application/pdf"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv")))), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn download(
    State(st): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Path((project_id, id)): Path<(String, String)>,
    Query(q): Query<FileQuery>,
) -> Result<Response, ApiError> {
    let project_id = ProjectId::new(project_id);
    report::require_reader(&user, &project_id)?;
    blocking(move || issued_file(&st, &issued_of(&st, &project_id, &id)?, &q, &headers)).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewShare {
    pub share: ReportShare,
    /// The secret: shown once, never stored.
    pub token: String,
    /// Where the link opens (the secret in the fragment, never sent in a URL).
    pub path: String,
}

/// `POST /projects/{p}/issued/{id}/shares`.
/// How long a share link lasts unless the CS center chooses otherwise.
pub const SHARE_DAYS: i64 = 30;

/// `POST …/shares` body (optional): how many days the link lasts (1 to 366).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewShareRequest {
    pub days: Option<i64>,
}

#[utoipa::path(post, path = "/projects/{project}/issued/{id}/shares", operation_id = "issued_share", tag = "reports", request_body(content = Option<NewShareRequest>, description = "Optional: no body takes the defaults"), responses((status = 200, description = "OK", body = NewShare)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn share(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<NewShare>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    let req: NewShareRequest = if body.iter().all(u8::is_ascii_whitespace) {
        NewShareRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the request body is not valid: {e}")))?
    };
    let days = req.days.unwrap_or(SHARE_DAYS);
    if !(1..=366).contains(&days) {
        return Err(ApiError::Unprocessable(format!("a share link can last 1 to 366 days, not {days}")));
    }
    let by = user.user.id.clone();
    blocking(move || {
        let r = issued_of(&st, &project_id, &id)?;
        let token = new_token()?;
        let now = chrono::Utc::now().timestamp_millis();
        let share = ReportShare {
            id: format!("share-{}", uuid::Uuid::now_v7().simple()),
            report: r.id.clone(),
            created_by: by.clone(),
            created_at: now,
            revoked_at: None,
            revoked_by: None,
            last_used_at: None,
            expires_at: Some(now + days * 86_400_000),
        };
        st.store.insert_share(&share, &hash_token(&token))?;
        let what = format!("shared {} report v{} by link {}", label(&r), r.version, share.id);
        let detail = serde_json::json!({
            "report": r.id, "scope": r.scope, "round": r.round, "label": label(&r), "version": r.version, "share": share.id,
        });
        crate::setup::record_act(st.store.as_ref(), &project_id, &by, "report_shared", &what, detail)
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Json(NewShare { path: format!("/ui/console/shared.html#{token}"), share, token }))
    })
    .await
}

/// `DELETE /projects/{p}/issued/{id}/shares/{share}`.
#[utoipa::path(delete, path = "/projects/{project}/issued/{id}/shares/{share}", operation_id = "issued_revoke", tag = "reports", responses((status = 204, description = "Revoked")), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn revoke(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, id, share)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    let by = user.user.id.clone();
    blocking(move || {
        let r = issued_of(&st, &project_id, &id)?;
        if !st.store.shares(&r.id)?.iter().any(|s| s.id == share) {
            return Err(ApiError::NotFound(format!("report {id} has no link {share}")));
        }
        if st.store.revoke_share(&share, &by, chrono::Utc::now().timestamp_millis())? {
            let what = format!("revoked link {share} to {} report v{}", label(&r), r.version);
            let detail =
                serde_json::json!({
                    "report": r.id, "scope": r.scope, "round": r.round, "label": label(&r), "version": r.version, "share": share,
                });
            crate::setup::record_act(st.store.as_ref(), &project_id, &by, "share_revoked", &what, detail)
                .map_err(|e| ApiError::Internal(e.into()))?;
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// What a share link's page shows: which report, and its figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SharedView {
    pub issued: IssuedReport,
    pub report: serde_json::Value,
}

/// `GET /shared-report?format=…` with the link's secret in `X-Share-Token`.
/// An unknown or revoked link gets the same refusal, naming nothing.
#[utoipa::path(get, path = "/shared-report", operation_id = "issued_shared", tag = "reports", responses((status = 200, description = "The shared report: its figures as JSON, or the file `format` asks for", content((SharedView = "application/json"), ("application/pdf"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv")))), security(("share_token" = [])))]
async fn shared(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FileQuery>,
) -> Result<Response, ApiError> {
    let token =
        headers.get("x-share-token").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default().to_owned();
    blocking(move || {
        let refused =
            || ApiError::Unauthorized("this report link is not valid (it may have expired or been revoked)".into());
        if token.is_empty() {
            return Err(refused());
        }
        let now = chrono::Utc::now().timestamp_millis();
        let share = st.store.use_share(&hash_token(&token), now)?;
        // Revoked and expired links: the same refusal.
        let share =
            share.filter(|s| s.revoked_at.is_none() && s.expires_at.is_none_or(|e| e > now)).ok_or_else(refused)?;
        let issued = st.store.issued_report(&share.report)?.ok_or_else(refused)?;
        if q.format.is_none() {
            let json = st.store.issued_file(&issued.id, IssuedFormat::Json)?.ok_or_else(refused)?;
            let report = serde_json::from_slice(&json).map_err(|e| ApiError::Internal(e.into()))?;
            return Ok(Json(SharedView { issued, report }).into_response());
        }
        issued_file(&st, &issued, &q, &headers)
    })
    .await
}
