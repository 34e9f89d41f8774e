//! The CS center's side of dispatch: send what was found to the responsible
//! contractors, reassign, read a contractor's rectification list (JSON or a
//! printable PDF), and watch the notification outbox. The rules are the
//! core's (`walkthrough_core::dispatch`); this carries them out.

use crate::auth::AuthUser;
use crate::dispatch_store::{OutboxMessage, RetryOutcome};
use crate::error::ApiError;
use crate::links::require_cs;
use crate::{blocking, sync, ApiJson, AppState};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use walkthrough_core::defect::{Defect, EventKind};
use walkthrough_core::dispatch::{self as rules, ListScope};
use walkthrough_core::doc::{DocKey, UnitRecord};
use walkthrough_core::kpi::{DefectDetail, DefectRow};
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

/// The stored documents of the units with open defects.
fn open_unit_records(st: &AppState, project_id: &ProjectId) -> Result<(Vec<UnitId>, Vec<UnitRecord>), ApiError> {
    let mut units: Vec<UnitId> =
        st.store.defect_rows(project_id)?.into_iter().filter(|r| r.status.is_open()).map(|r| r.unit).collect();
    units.sort();
    units.dedup();
    let records = read_units(st, project_id, &units)?;
    Ok((units, records))
}

/// What dispatching now would send (of `round` only, when given), grouped
/// by contractor: the core's plan, nothing written.
pub fn dispatch_plan(
    st: &AppState,
    project_id: &ProjectId,
    round: Option<RoundNo>,
) -> Result<DispatchPlanView, ApiError> {
    let project = project(st, project_id)?;
    let (_, records) = open_unit_records(st, project_id)?;
    let now = chrono::Utc::now();
    let defects: Vec<&Defect> = records
        .iter()
        .flat_map(|r| r.defects.values())
        .filter(|d| round.is_none_or(|n| rules::working_round(d, &d.lifecycle()) == n))
        .collect();
    let plan = rules::dispatch(&project, defects.iter().copied(), &UserId::new("preview"), now, &mut EventId::new_v7);
    let by_id: std::collections::HashMap<DefectId, &Defect> = defects.iter().map(|d| (d.id, *d)).collect();
    let item = |d: &Defect, deadline: Option<i64>, round: RoundNo| {
        let place = crate::dashboard::place(&project, d);
        PlanItem {
            defect: d.id,
            unit: d.unit.clone(),
            room: place.room.name,
            spot: place.spot,
            description: d.description.clone(),
            category: project.categories.get(&d.category).map(|c| c.name.clone()).unwrap_or_default(),
            round,
            deadline,
        }
    };
    let mut groups: std::collections::BTreeMap<ContractorId, Vec<PlanItem>> = Default::default();
    for a in &plan.assignments {
        let (Some(d), EventKind::Assigned { contractor, deadline }) = (by_id.get(&a.defect), &a.event.kind) else {
            continue;
        };
        groups.entry(contractor.clone()).or_default().push(item(d, Some(deadline.timestamp_millis()), a.event.round));
    }
    let unroutable = plan
        .unroutable
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|d| item(d, None, rules::working_round(d, &d.lifecycle())))
        .collect();
    let groups = groups
        .into_iter()
        .map(|(c, mut items)| {
            items.sort_by(|a, b| (&a.unit, a.deadline).cmp(&(&b.unit, b.deadline)));
            let name = project.contractors.get(&c).map(|x| x.name.clone()).unwrap_or_default();
            PlanGroup { contractor: Named { id: c.to_string(), name }, items }
        })
        .collect();
    Ok(DispatchPlanView { round, groups, unroutable })
}

/// Send every open defect of the project that nobody holds yet to its
/// responsible contractor, with its category's deadline from now.
pub fn dispatch_project(st: &AppState, project_id: &ProjectId, by: &UserId) -> Result<DispatchResponse, ApiError> {
    dispatch_selected(st, project_id, by, None)
}

/// As `dispatch_project`, or only the defects of `only` (each must be waiting).
pub fn dispatch_selected(
    st: &AppState,
    project_id: &ProjectId,
    by: &UserId,
    only: Option<&[DefectId]>,
) -> Result<DispatchResponse, ApiError> {
    let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
    let project = project(st, project_id)?;
    let (mut units, records) = open_unit_records(st, project_id)?;
    if let Some(only) = only {
        if only.is_empty() {
            return Err(ApiError::Unprocessable("choose at least one item to dispatch".into()));
        }
        let waiting: std::collections::HashMap<DefectId, &UnitId> = records
            .iter()
            .flat_map(|r| r.defects.values())
            .filter(|d| rules::awaits_dispatch(&d.lifecycle()))
            .map(|d| (d.id, &d.unit))
            .collect();
        if let Some(bad) = only.iter().find(|id| !waiting.contains_key(id)) {
            return Err(ApiError::Unprocessable(format!(
                "defect {bad} is not waiting to be dispatched in project {project_id} (unknown, already with a contractor, or closed)"
            )));
        }
        units = only.iter().map(|id| waiting[id].clone()).collect();
        units.sort();
        units.dedup();
    }
    let now = chrono::Utc::now();
    let (mut assigned, mut unroutable, mut sent) = (0, Vec::new(), Vec::new());
    sync::edit_units(st, &project, &units, &format!("user:{by}"), &mut |_, doc| {
        let record = doc.read().map_err(|e| ApiError::Internal(e.into()))?;
        let chosen = record.defects.values().filter(|d| only.is_none_or(|o| o.contains(&d.id)));
        let plan = rules::dispatch(&project, chosen, by, now, &mut EventId::new_v7);
        for a in &plan.assignments {
            doc.add_event(a.defect, &a.event).map_err(|e| ApiError::Internal(e.into()))?;
            if let EventKind::Assigned { contractor, .. } = &a.event.kind {
                sent.push(serde_json::json!({ "defect": a.defect, "unit": a.unit, "contractor": contractor }));
            }
        }
        assigned += plan.assignments.len();
        unroutable.extend(plan.unroutable);
        Ok(!plan.assignments.is_empty())
    })?;
    if assigned > 0 {
        let what = format!("dispatched {assigned} item(s)");
        let detail = serde_json::json!({ "count": assigned, "selection": only.is_some(), "items": sent });
        crate::setup::record_act(st.store.as_ref(), project_id, by, "dispatch", &what, detail)
            .map_err(|e| ApiError::Internal(e.into()))?;
    }
    tracing::info!(project = %project_id, assigned, unroutable = unroutable.len(), %by, "dispatched");
    Ok(DispatchResponse { assigned, unroutable })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    #[serde(default)]
    pub round: Option<u32>,
}

#[utoipa::path(get, path = "/projects/{project}/dispatch", operation_id = "dispatch_plan", tag = "dispatch", responses((status = 200, description = "OK", body = DispatchPlanView)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn plan(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
    Query(q): Query<RoundQuery>,
) -> Result<Json<DispatchPlanView>, ApiError> {
    let project_id = ProjectId::new(project_id);
    crate::report::require_reader(&user, &project_id)?;
    blocking(move || Ok(Json(dispatch_plan(&st, &project_id, q.round.map(RoundNo))?))).await
}

#[utoipa::path(post, path = "/projects/{project}/dispatch", operation_id = "dispatch_dispatch", tag = "dispatch", request_body(content = Option<DispatchRequest>, description = "Optional: no body takes the defaults"), responses((status = 200, description = "OK", body = DispatchResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn dispatch(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<DispatchResponse>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    // No body dispatches everything waiting, as before.
    let req: DispatchRequest = if body.iter().all(u8::is_ascii_whitespace) {
        DispatchRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the dispatch request is not valid: {e}")))?
    };
    blocking(move || Ok(Json(dispatch_selected(&st, &project_id, &user.user.id, req.defects.as_deref())?))).await
}

#[utoipa::path(post, path = "/projects/{project}/defects/{defect}/assign", operation_id = "dispatch_assign", tag = "dispatch", request_body = AssignRequest, responses((status = 200, description = "Assigned", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
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
    let reason = req.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(ApiError::Unprocessable(
            "say why the item goes to another contractor (a reason is required)".into(),
        ));
    }
    blocking(move || {
        let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
        let project = project(&st, &project_id)?;
        let unit = st
            .store
            .defect_unit(&project_id, defect)?
            .ok_or_else(|| ApiError::NotFound(format!("project {project_id} has no defect {defect}")))?;
        let by = user.user.id.clone();
        let mut from = None;
        let mut responsible = None;
        sync::edit_units(&st, &project, std::slice::from_ref(&unit), &format!("user:{by}"), &mut |_, doc| {
            let d = doc.read_defect(defect).map_err(|e| ApiError::Internal(e.into()))?;
            from = d.lifecycle().contractor;
            responsible = rules::responsible_contractor(&project, &d);
            let ev = rules::reassign(&project, &d, &req.contractor, &by, chrono::Utc::now(), EventId::new_v7())
                .map_err(refusal)?;
            doc.add_event(defect, &ev).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(true)
        })?;
        let what = format!(
            "reassigned defect {defect} (unit {unit}) from {} to {}: {reason}",
            from.as_ref().map_or("nobody", |c| c.as_str()),
            req.contractor
        );
        let detail = serde_json::json!({
            "defect": defect, "unit": unit, "reason": reason, "responsible": responsible,
            "old": { "contractor": from }, "new": { "contractor": req.contractor },
        });
        crate::setup::record_act(st.store.as_ref(), &project_id, &by, "reassign", &what, detail)
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Json(serde_json::json!({ "defect": defect, "contractor": req.contractor })))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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

/// A contractor's list items, with each defect's row and detail.
pub(crate) type Listed = (Vec<rules::ListItem>, Vec<(DefectRow, DefectDetail)>);

/// One contractor's list (of `round`, or cumulative) from the read model,
/// with the rows and words of its defects: no unit document is read.
pub(crate) fn listed_items(
    st: &AppState,
    project: &Project,
    contractor: &ContractorId,
    round: Option<RoundNo>,
    now: Time,
) -> Result<Listed, ApiError> {
    let rows = st.store.listed_rows(&project.id, contractor)?;
    let scope = round.map_or(ListScope::Cumulative, ListScope::Round);
    let items = rules::rectification_list_rows(project, rows.iter().map(|r| &r.0), contractor, scope, now);
    Ok((items, rows))
}

fn parse_list_query(project: &Project, q: &ListQuery) -> Result<(ContractorId, Option<RoundNo>), ApiError> {
    let contractor = ContractorId::new(q.contractor.trim());
    if !project.contractors.contains_key(&contractor) {
        return Err(ApiError::Unprocessable(format!("contractor `{contractor}` is not in project {}", project.id)));
    }
    Ok((contractor, q.round.map(RoundNo)))
}

#[utoipa::path(get, path = "/projects/{project}/rectification", operation_id = "dispatch_rectification", tag = "dispatch", responses((status = 200, description = "OK", body = RectificationResponse)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
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
        let (items, _) = listed_items(&st, &project, &contractor, round, chrono::Utc::now())?;
        Ok(Json(RectificationResponse { contractor, round, items }))
    })
    .await
}

#[utoipa::path(get, path = "/projects/{project}/rectification.pdf", operation_id = "dispatch_rectification_pdf", tag = "dispatch", responses((status = 200, description = "The file", content(("application/pdf")))), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn rectification_pdf(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let project_id = ProjectId::new(project_id);
    crate::report::require_reader(&user, &project_id)?;
    blocking(move || {
        let project = project(&st, &project_id)?;
        let (contractor, round) = parse_list_query(&project, &q)?;
        let bytes = crate::sheet::render(&st, &project, &contractor, round)?;
        Ok(sheet_response(&project, &contractor, round, bytes))
    })
    .await
}

/// The rectification sheet as a download named from the project, the
/// contractor and the round (in Chinese, the sheet's language, with an
/// English ASCII name beside it).
pub(crate) fn sheet_response(
    project: &Project,
    contractor: &ContractorId,
    round: Option<RoundNo>,
    bytes: Vec<u8>,
) -> Response {
    let name = project.contractor_name(contractor).text();
    let stem = |lang| crate::download::sheet_stem(project, &name, round, lang);
    crate::download::file("application/pdf", stem, walkthrough_core::model::Lang::Zh, "pdf", bytes)
}

/// Every notification of the project, newest first, with its state
/// (pending, sending, sent, failing with the last error, dead).
#[utoipa::path(get, path = "/projects/{project}/outbox", operation_id = "dispatch_outbox", tag = "dispatch", responses((status = 200, description = "OK", body = Vec<OutboxMessage>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn outbox(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    blocking(move || Ok(Json(st.store.outbox(&project_id)?))).await
}

/// `POST /projects/{p}/outbox/{key}/retry`: a failing or dead message goes
/// back to pending, due now; nothing else about it changes.
#[utoipa::path(post, path = "/projects/{project}/outbox/{key}/retry", operation_id = "dispatch_retry", tag = "dispatch", responses((status = 200, description = "OK", body = OutboxMessage)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn retry(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, key)): Path<(String, String)>,
) -> Result<Json<OutboxMessage>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    blocking(move || {
        let now = chrono::Utc::now().timestamp();
        match st.store.retry_message(&project_id, &key, now)? {
            RetryOutcome::Retried(m) => {
                tracing::info!(project = %project_id, %key, by = %user.user.id, "outbox message retried");
                Ok(Json(*m))
            }
            RetryOutcome::NotFound => Err(ApiError::NotFound(format!("project {project_id} has no message {key}"))),
            RetryOutcome::NotRetryable(state) => Err(ApiError::Unprocessable(format!(
                "message {key} is {state}: only a failing or dead message can be retried"
            ))),
        }
    })
    .await
}
