//! Accepted risks, for the CS center: accept a defect's risk with the
//! unified answer for owners (统一口径) and a contingency plan (预案), edit
//! them later (another `AcceptedRisk` event, the latest wins), and list the
//! project's accepted risks. The rule is the core's (`risk::accept_risk`);
//! the event is written into the unit's document as the CS-center user
//! (`sync::edit_units`), so tablets receive it on their next sync, and the
//! decision goes into the project's history.
//!
//!   POST /projects/{p}/defects/{id}/accept-risk   AcceptRiskRequest → RiskRow
//!   GET  /projects/{p}/risks                      [RiskRow]

use crate::auth::AuthUser;
use crate::dashboard::{author_name, named_contractor, place, unknown_defect};
use crate::dispatch::{project, read_units, refusal};
use crate::error::ApiError;
use crate::links::require_cs;
use crate::report::require_reader;
use crate::{blocking, sync, ApiJson, AppState};
use axum::extract::{Path, State};
use axum::Json;
use walkthrough_core::defect::{Defect, DefectStatus};
use walkthrough_core::model::Project;
use walkthrough_core::wire::dashboard::*;
use walkthrough_core::wire::dispatch::Named;
use walkthrough_core::*;

/// The list row of an accepted risk (`None` when the defect is not one).
pub(crate) fn risk_row(st: &AppState, project: &Project, d: &Defect) -> Option<RiskRow> {
    let risk = d.current_risk()?;
    Some(RiskRow {
        defect: d.id,
        place: place(project, d),
        category: Named {
            id: d.category.0.clone(),
            name: project.categories.get(&d.category).map(|c| c.name.clone()).unwrap_or_default(),
        },
        description: d.description.clone(),
        contractor: d.lifecycle().contractor.as_ref().map(|c| named_contractor(project, c)),
        accepted_by_name: author_name(st, project, &risk.accepted_by),
        edited_by_name: author_name(st, project, &risk.edited_by),
        risk,
    })
}

#[utoipa::path(post, path = "/projects/{project}/defects/{defect}/accept-risk", operation_id = "risk_accept", tag = "reports", request_body = AcceptRiskRequest, responses((status = 200, description = "OK", body = RiskRow)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn accept(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, defect)): Path<(String, String)>,
    ApiJson(req): ApiJson<AcceptRiskRequest>,
) -> Result<Json<RiskRow>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_cs(&user, &project_id)?;
    let defect = DefectId::parse(&defect).ok_or_else(|| unknown_defect(&project_id, &defect))?;
    blocking(move || {
        let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
        let project = project(&st, &project_id)?;
        let unit = st
            .store
            .defect_unit(&project_id, defect)?
            .ok_or_else(|| unknown_defect(&project_id, &defect.to_string()))?;
        let by = user.user.id.clone();
        let (mut row, mut edit) = (None, false);
        sync::edit_units(&st, &project, std::slice::from_ref(&unit), &format!("user:{by}"), &mut |_, doc| {
            let d = doc.read_defect(defect).map_err(|e| ApiError::Internal(e.into()))?;
            edit = d.lifecycle().status == DefectStatus::AcceptedRisk;
            let ev = walkthrough_core::risk::accept_risk(
                &d,
                &req.unified_answer,
                &req.contingency_plan,
                &by,
                chrono::Utc::now(),
                EventId::new_v7(),
            )
            .map_err(refusal)?;
            doc.add_event(defect, &ev).map_err(|e| ApiError::Internal(e.into()))?;
            let d = doc.read_defect(defect).map_err(|e| ApiError::Internal(e.into()))?;
            row = risk_row(&st, &project, &d);
            Ok(true)
        })?;
        let row =
            row.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("defect {defect} not accepted after the event")))?;
        let what = format!(
            "{} risk of defect {defect} (unit {unit}): {}",
            if edit { "edited the accepted" } else { "accepted the" },
            row.risk.unified_answer.zh
        );
        let detail = serde_json::json!({
            "defect": defect, "unit": unit, "edit": edit, "new": { "unified_answer": row.risk.unified_answer },
        });
        crate::setup::record_act(st.store.as_ref(), &project_id, &by, "risk", &what, detail)?;
        tracing::info!(project = %project_id, %defect, %by, edit, "risk accepted");
        Ok(Json(row))
    })
    .await
}

/// The project's accepted risks: the read model names the units that hold
/// any, and only those units' documents are read.
pub fn risks_of(st: &AppState, project: &Project) -> Result<Vec<RiskRow>, ApiError> {
    let units = st.store.status_units(&project.id, DefectStatus::AcceptedRisk)?;
    let records = read_units(st, &project.id, &units)?;
    let mut rows: Vec<RiskRow> =
        records.iter().flat_map(|r| r.defects.values()).filter_map(|d| risk_row(st, project, d)).collect();
    rows.sort_by(|a, b| a.risk.accepted_at.cmp(&b.risk.accepted_at).then(a.defect.cmp(&b.defect)));
    Ok(rows)
}

#[utoipa::path(get, path = "/projects/{project}/risks", operation_id = "risk_list", tag = "reports", responses((status = 200, description = "OK", body = Vec<RiskRow>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn list(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project_id): Path<String>,
) -> Result<Json<Vec<RiskRow>>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_reader(&user, &project_id)?;
    blocking(move || {
        let project = project(&st, &project_id)?;
        Ok(Json(risks_of(&st, &project)?))
    })
    .await
}
