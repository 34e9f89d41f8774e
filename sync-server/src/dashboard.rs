//! What the CS center's dashboard reads besides the report: one defect in
//! full (place, photos with marks, floor-plan pin, history with who and
//! when) and the company overview (the company's projects side by side,
//! the cumulative report's figures of each).
//!
//!   GET /projects/{p}/defects/{id}   DefectDetail (CS center and engineers in scope)
//!   GET /company/overview            CompanyOverview (CS center)

use crate::auth::AuthUser;
use crate::contractor::{photo_views, plan_image, plan_rooms};
use crate::dispatch::project;
use crate::error::ApiError;
use crate::report::{self, require_reader, Scope};
use crate::{blocking, AppState};
use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;
use walkthrough_core::defect::{Defect, EventKind};
use walkthrough_core::doc::writers::{DeviceShown, Origin, Writers};
use walkthrough_core::doc::{DocKey, UnitDoc};
use walkthrough_core::model::{I18nText, Project, Role};
use walkthrough_core::wire::dashboard::*;
use walkthrough_core::wire::dispatch::Named;
use walkthrough_core::*;

fn ms(t: Time) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn unknown_defect(project: &ProjectId, defect: &str) -> ApiError {
    ApiError::NotFound(format!("project {project} has no defect {defect}"))
}

/// An author's name (`names::Project::author_name`), falling back to the
/// account's own name for accounts the project's people do not list.
pub(crate) fn author_name(st: &AppState, project: &Project, by: &UserId) -> walkthrough_core::names::Shown {
    project.author_name_with(by, &account_name(st))
}

/// The name of an account by its id, for `Project::author_name_with`.
pub(crate) fn account_name(st: &AppState) -> impl Fn(&str) -> Option<String> + '_ {
    move |id: &str| st.store.user_by_id(&UserId::new(id)).ok().flatten().map(|u| u.name)
}

pub(crate) fn named_contractor(project: &Project, id: &ContractorId) -> Named {
    Named { id: id.0.clone(), name: project.contractors.get(id).map(|c| c.name.clone()).unwrap_or_default() }
}

/// Where a defect is, with the names a reader needs.
pub(crate) fn place(project: &Project, d: &Defect) -> DefectPlace {
    place_of(project, &d.unit, &d.room, &d.spot)
}

/// Where a defect in `unit`'s `room` at `spot` is (from a read-model row, say).
pub(crate) fn place_of(project: &Project, unit_id: &UnitId, room: &RoomId, spot: &str) -> DefectPlace {
    let unit = project.units.get(unit_id);
    let building = unit.map(|u| u.building.clone()).unwrap_or_default();
    DefectPlace {
        unit: unit_id.clone(),
        unit_number: unit.map(|u| u.number.clone()).unwrap_or_default(),
        floor: unit.map_or(0, |u| u.floor),
        building: Named {
            name: project.buildings.get(&building).map(|b| b.name.clone()).unwrap_or_default(),
            id: building.0,
        },
        room: Named {
            id: room.0.clone(),
            name: project.unit_type_of(unit_id).and_then(|t| t.room(room)).map(|r| r.name.clone()).unwrap_or_default(),
        },
        spot: spot.to_owned(),
    }
}

/// How each writer of `writers` is shown, with the devices' names.
pub(crate) fn shown_writers(
    st: &AppState,
    writers: &Writers,
) -> Result<impl Fn(Option<&Origin>) -> Option<DeviceShown>, ApiError> {
    let actors: Vec<String> = writers
        .events
        .values()
        .chain(writers.defects.values())
        .filter_map(|o| o.device().map(str::to_owned))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = st.store.device_names(&actors)?;
    Ok(move |o: Option<&Origin>| o.and_then(|o| DeviceShown::of(o, &|a: &str| names.get(a).cloned())))
}

fn detail(
    st: &AppState,
    project: &Project,
    d: &Defect,
    device: &dyn Fn(Option<&Origin>) -> Option<DeviceShown>,
    writers: &Writers,
    now: Time,
) -> DefectDetail {
    let lc = d.lifecycle();
    let category = |id: &CategoryId| Named {
        id: id.0.clone(),
        name: project.categories.get(id).map(|c| c.name.clone()).unwrap_or_default(),
    };
    DefectDetail {
        id: d.id,
        place: place(project, d),
        description: d.description.clone(),
        category: category(&d.category),
        other_reason: d.other_reason.clone(),
        root_cause: d.root_cause.as_ref().map(category),
        severity: d.severity.as_str().to_owned(),
        source: d.source,
        trade: Named {
            id: d.trade.0.clone(),
            name: project.trades.get(&d.trade).map(|t| t.name.clone()).unwrap_or_default(),
        },
        responsible: d.responsible.as_ref().map(|c| named_contractor(project, c)),
        contractor: lc.contractor.as_ref().map(|c| named_contractor(project, c)),
        status: lc.status,
        found_round: d.found_round,
        found_by: d.found_by.clone(),
        found_by_name: author_name(st, project, &d.found_by),
        found_device: device(writers.defect(d.id)),
        found_at: ms(d.found_at),
        first_deadline: lc.first_deadline().map(ms),
        current_deadline: lc.current_deadline().map(ms),
        overdue: lc.is_overdue(now),
        failed_rechecks: lc.failed_rechecks,
        closed_at: lc.closed_at.map(ms),
        photos: photo_views(d),
        pin: d.pin,
        plan: plan_rooms(project, &d.unit, &d.room),
        plan_image: plan_image(project, &d.unit),
        risk: d.current_risk(),
        history: d
            .events
            .iter()
            .map(|e| HistoryItem {
                id: e.id,
                at: ms(e.at),
                device_at: e.device_at.map(ms),
                by: e.by.clone(),
                by_name: author_name(st, project, &e.by),
                contractor_name: match &e.kind {
                    EventKind::Assigned { contractor, .. } => Some(project.contractor_name(contractor)),
                    _ => None,
                },
                round: e.round,
                device: device(writers.event(e.id)),
                kind_name: e.kind.type_name().to_owned(),
                kind: e.kind.clone(),
                ignored: lc.ignored_events.contains(&e.id),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/projects/{project}/defects/{defect}", operation_id = "dashboard_defect", tag = "reports", responses((status = 200, description = "OK", body = DefectDetail)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn defect(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project_id, defect)): Path<(String, String)>,
) -> Result<Json<DefectDetail>, ApiError> {
    let project_id = ProjectId::new(project_id);
    require_reader(&user, &project_id)?;
    let id = DefectId::parse(&defect).ok_or_else(|| unknown_defect(&project_id, &defect))?;
    blocking(move || {
        let project = project(&st, &project_id)?;
        let unit = st.store.defect_unit(&project_id, id)?.ok_or_else(|| unknown_defect(&project_id, &defect))?;
        let stored = st
            .store
            .load_doc(&DocKey::Unit(project_id.clone(), unit))?
            .ok_or_else(|| unknown_defect(&project_id, &defect))?;
        let doc = UnitDoc::from_automerge(crate::sync::load(stored).map_err(ApiError::Internal)?)
            .map_err(|e| ApiError::Internal(e.into()))?;
        let d = doc.read_defect(id).map_err(|_| unknown_defect(&project_id, &defect))?;
        // Which device wrote each event, from the document's own actors.
        let writers = doc.writers().map_err(|e| ApiError::Internal(e.into()))?;
        let device = shown_writers(&st, &writers)?;
        Ok(Json(detail(&st, &project, &d, &device, &writers, chrono::Utc::now())))
    })
    .await
}

/// A project's cumulative figures as of `now`: the cumulative report's
/// summary (the core's `round_kpis` over the read model; no document read).
fn project_figures(st: &AppState, id: &ProjectId, now: Time) -> Result<CompanyProject, ApiError> {
    let (project, loaded) = report::load(st, id)?;
    let rows = loaded.rows();
    let current = report::current_round(&project, now).ok();
    // Without a round plan nothing was inspected: the figures are those of an empty round 1.
    let built = report::build(&project, &rows, Scope::Cumulative, current.unwrap_or(RoundNo(1)), now);
    let summary = built.table("summary");
    let value = |metric: &str| -> Value {
        summary
            .and_then(|t| t.rows.iter().find(|r| r.first().and_then(Value::as_str) == Some(metric)))
            .and_then(|r| r.get(3).cloned())
            .unwrap_or(Value::Null)
    };
    let count = |metric: &str| value(metric).as_u64().unwrap_or(0);
    Ok(CompanyProject {
        id: project.id.clone(),
        name: project.name.clone(),
        handover_date: project.handover_date,
        time_zone: project.time_zone.clone(),
        days_to_handover: built.days_to_handover,
        countdown: built.countdown.clone(),
        current_round: current,
        rounds: project.rounds.len(),
        units: count("units_total"),
        units_inspected: count("units_inspected"),
        open_defects: count("open_defects"),
        overdue: count("overdue"),
        closed_rate: value("closed_rate").as_f64(),
        timely_rate: value("timely_rate").as_f64(),
        failed_twice_or_more: count("failed_twice_or_more"),
    })
}

#[utoipa::path(get, path = "/company/overview", operation_id = "dashboard_company_overview", tag = "reports", responses((status = 200, description = "OK", body = CompanyOverview)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
pub async fn company_overview(State(st): State<AppState>, user: AuthUser) -> Result<Json<CompanyOverview>, ApiError> {
    if user.user.role != Role::CsAdmin {
        return Err(ApiError::Forbidden("the company overview is for the CS center".into()));
    }
    blocking(move || {
        let now = chrono::Utc::now();
        let projects = user.projects.iter().map(|p| project_figures(&st, p, now)).collect::<Result<Vec<_>, _>>()?;
        let company = user.user.company.clone();
        let company_name = match user.projects.first() {
            Some(p) => project(&st, p)?.company.name.clone(),
            None => I18nText::new(company.clone(), company.clone()),
        };
        Ok(Json(CompanyOverview { company, company_name, as_of: ms(now), projects }))
    })
    .await
}
