//! The CS center's side of dispatch: send what was found to the responsible
//! contractors, reassign, read a contractor's rectification list (JSON or a
//! printable PDF), and watch the notification outbox. The rules are the
//! core's (`walkthrough_core::dispatch`); this carries them out.

use crate::auth::AuthUser;
use crate::dispatch_store::OutboxMessage;
use crate::error::ApiError;
use crate::links::require_cs;
use crate::{blocking, sync, ApiJson, AppState};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use walkthrough_core::dispatch::{self as rules, ListScope};
use walkthrough_core::doc::{DocKey, UnitRecord};
use walkthrough_core::model::Project;
use walkthrough_core::wire::dispatch::*;
use walkthrough_core::*;

pub(crate) fn project(st: &AppState, project: &ProjectId) -> Result<Arc<Project>, ApiError> {
    sync::project_model(st, project)?
        .ok_or_else(|| ApiError::NotFound(format!("project {project} does not exist on this server")))
}

/// The stored documents of `units`, read (units without a record are skipped).
pub(crate) fn read_units(st: &AppState, project: &ProjectId, units: &[UnitId]) -> Result<Vec<UnitRecord>, ApiError> {
    let mut out = Vec::with_capacity(units.len());
    for u in units {
        let Some(stored) = st.store.load_doc(&DocKey::Unit(project.clone(), u.clone()))? else { continue };
        let doc = sync::load(stored).map_err(ApiError::Internal)?;
        let rec = walkthrough_core::doc::UnitDoc::from_automerge(doc)
            .and_then(|d| d.read())
            .map_err(|e| ApiError::Internal(e.into()))?;
        out.push(rec);
    }
    Ok(out)
}

/// A domain refusal as an answer: closed items conflict, the rest is unprocessable.
pub(crate) fn refusal(e: walkthrough_core::Error) -> ApiError {
    match e {
        walkthrough_core::Error::DefectClosed(..) | walkthrough_core::Error::Invalid(_) => {
            ApiError::Unprocessable(e.to_string())
        }
        walkthrough_core::Error::UnknownCategory(_) => ApiError::Unprocessable(e.to_string()),
        other => ApiError::Internal(other.into()),
    }
}

/// Send every open defect of the project that nobody holds yet to its
/// responsible contractor, with its category's deadline from now.
pub fn dispatch_project(st: &AppState, project_id: &ProjectId, by: &UserId) -> Result<DispatchResponse, ApiError> {
    let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
    let project = project(st, project_id)?;
    let mut units: Vec<UnitId> =
        st.store.defect_rows(project_id)?.into_iter().filter(|r| r.status.is_open()).map(|r| r.unit).collect();
    units.dedup();
    let now = chrono::Utc::now();
    let (mut assigned, mut unroutable) = (0, Vec::new());
    sync::edit_units(st, &project, &units, &format!("user:{by}"), &mut |_, doc| {
        let record = doc.read().map_err(|e| ApiError::Internal(e.into()))?;
        let plan = rules::dispatch(&project, record.defects.values(), by, now, &mut EventId::new_v7);
        for a in &plan.assignments {
            doc.add_event(a.defect, &a.event).map_err(|e| ApiError::Internal(e.into()))?;
        }
        assigned += plan.assignments.len();
        unroutable.extend(plan.unroutable);
        Ok(!plan.assignments.is_empty())
    })?;
    tracing::info!(project = %project_id, assigned, unroutable = unroutable.len(), %by, "dispatched");
    Ok(DispatchResponse { assigned, unroutable })
}

pub async fn dispatch(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
) -> Result<Json<DispatchResponse>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    blocking(move || Ok(Json(dispatch_project(&st, &project_id, &user.user.id)?))).await
}

pub async fn assign(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, defect)): Path<(String, String)>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    let defect =
        DefectId::parse(&defect).ok_or_else(|| ApiError::BadRequest(format!("{defect:?} is not a defect id")))?;
    blocking(move || {
        let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
        let project = project(&st, &project_id)?;
        let unit = st
            .store
            .defect_unit(&project_id, defect)?
            .ok_or_else(|| ApiError::NotFound(format!("project {project_id} has no defect {defect}")))?;
        let by = user.user.id.clone();
        sync::edit_units(&st, &project, &[unit], &format!("user:{by}"), &mut |_, doc| {
            let d = doc.read_defect(defect).map_err(|e| ApiError::Internal(e.into()))?;
            let ev = rules::reassign(&project, &d, &req.contractor, &by, chrono::Utc::now(), EventId::new_v7())
                .map_err(refusal)?;
            doc.add_event(defect, &ev).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(true)
        })?;
        Ok(Json(serde_json::json!({ "defect": defect, "contractor": req.contractor })))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub contractor: String,
    #[serde(default)]
    pub round: Option<u32>,
}

/// One contractor's list and the documents it came from.
pub(crate) fn contractor_list(
    st: &AppState,
    project: &Project,
    contractor: &ContractorId,
    round: Option<RoundNo>,
) -> Result<(Vec<rules::ListItem>, Vec<UnitRecord>), ApiError> {
    let units = st.store.contractor_units(&project.id, contractor)?;
    let records = read_units(st, &project.id, &units)?;
    let scope = round.map_or(ListScope::Cumulative, ListScope::Round);
    let items = rules::rectification_list(
        project,
        records.iter().flat_map(|r| r.defects.values()),
        contractor,
        scope,
        chrono::Utc::now(),
    );
    Ok((items, records))
}

fn parse_list_query(project: &Project, q: &ListQuery) -> Result<(ContractorId, Option<RoundNo>), ApiError> {
    let contractor = ContractorId::new(q.contractor.trim());
    if !project.contractors.contains_key(&contractor) {
        return Err(ApiError::Unprocessable(format!("contractor `{contractor}` is not in project {}", project.id)));
    }
    Ok((contractor, q.round.map(RoundNo)))
}

pub async fn rectification(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<RectificationResponse>, ApiError> {
    let project_id = ProjectId::new(project_id);
    crate::report::require_reader(&user, &project_id)?;
    blocking(move || {
        let project = project(&st, &project_id)?;
        let (contractor, round) = parse_list_query(&project, &q)?;
        let (items, _) = contractor_list(&st, &project, &contractor, round)?;
        Ok(Json(RectificationResponse { contractor, round, items }))
    })
    .await
}

pub async fn rectification_pdf(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let project_id = ProjectId::new(project_id);
    crate::report::require_reader(&user, &project_id)?;
    let bytes = blocking(move || {
        let project = project(&st, &project_id)?;
        let (contractor, round) = parse_list_query(&project, &q)?;
        crate::sheet::render(&st, &project, &contractor, round)
    })
    .await?;
    Ok(pdf_response(bytes))
}

pub(crate) fn pdf_response(bytes: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"rectification.pdf\""),
        ],
        bytes,
    )
}

/// Every notification of the project, newest first, with its state
/// (pending, sending, sent, failing with the last error, dead).
pub async fn outbox(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    blocking(move || Ok(Json(st.store.outbox(&project_id)?))).await
}
