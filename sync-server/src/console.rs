//! The CS center's console API: thin handlers over `setup` and `import`.
//! Every one checks that the signed-in user is a CS-center admin with the
//! project in scope (their company's projects) before anything is read or
//! changed, and forgets the cached project model after a change; the
//! project model and round progress are also read by the project's
//! engineers (who change nothing: `auth::engineers_read_only`).
//!
//!   GET  /projects                                   projects the user may see
//!   POST /projects                                   create one (NewProjectRequest)
//!   GET  /projects/{id}                              the whole project model
//!   POST /projects/{id}/edits                        EditRequest, all or none
//!   POST /projects/{id}/units/preview?building=…     a unit list (CSV/XLSX body) checked, nothing stored
//!   POST /projects/{id}/units?building=…             the same, imported all or none
//!   PUT  /projects/{id}/unit-types/{ut}/floor-plan   PNG, JPEG or PDF body
//!   GET  /projects/{id}/people                       accounts and their state
//!   POST /projects/{id}/people                       invite (InviteRequest)
//!   POST /projects/{id}/people/{user}/reset          a new temporary password
//!   POST /projects/{id}/people/{user}/disable|enable
//!   GET  /projects/{id}/history                      who changed what, when
//!   GET  /projects/{id}/rounds/{no}/progress         per inspector: assigned, started, done

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::setup::{self, SetupError};
use crate::{blocking, import, ApiJson, AppState};
use axum::extract::{Path, Query, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use walkthrough_core::model::{Project, Role};
use walkthrough_core::wire::*;
use walkthrough_core::*;

impl From<SetupError> for ApiError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::Invalid(m) => ApiError::Unprocessable(m),
            SetupError::NotFound(m) => ApiError::NotFound(m),
            SetupError::Forbidden(m) => ApiError::Forbidden(m),
            SetupError::Other(e) => ApiError::Internal(e),
        }
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project))
        .routes(routes!(edit))
        .routes(routes!(preview_units))
        .routes(routes!(import_units))
        .routes(routes!(floor_plan))
        .routes(routes!(people, invite))
        .routes(routes!(person_action))
        .routes(routes!(history))
        .routes(routes!(round_progress))
}

/// Only CS-center admins, and only for projects in their scope.
fn require_admin(user: &AuthUser, project: &ProjectId) -> Result<(), ApiError> {
    if user.user.role != Role::CsAdmin {
        return Err(ApiError::Forbidden("only the CS center can set up projects".into()));
    }
    if !user.projects.contains(project) {
        return Err(ApiError::Forbidden(format!("project {project} is not one of your company's projects")));
    }
    Ok(())
}

/// Run a change to `project` serialised with sync exchanges (the project
/// document must not be merged into by two writers at once), then drop the
/// cached model so the next sync and read see the change.
async fn change<T: Send + 'static>(
    st: AppState,
    project: ProjectId,
    f: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    blocking(move || {
        let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&st);
        st.projects.write().unwrap_or_else(|e| e.into_inner()).remove(&project);
        out
    })
    .await
}

#[utoipa::path(get, path = "/projects", operation_id = "console_list_projects", tag = "setup", responses((status = 200, description = "OK", body = Vec<ProjectSummary>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn list_projects(State(st): State<AppState>, user: AuthUser) -> Result<Json<Vec<ProjectSummary>>, ApiError> {
    blocking(move || {
        let mut out = Vec::new();
        for id in &user.projects {
            let Ok(p) = setup::read_project(st.store.as_ref(), id) else { continue };
            out.push(ProjectSummary {
                id: p.id.clone(),
                name: p.name.clone(),
                handover_date: p.handover_date,
                time_zone: p.time_zone.clone(),
                buildings: p.buildings.len(),
                units: p.units.len(),
                rounds: p.rounds.len(),
            });
        }
        Ok(Json(out))
    })
    .await
}

#[utoipa::path(post, path = "/projects", operation_id = "console_create_project", tag = "setup", request_body = NewProjectRequest, responses((status = 200, description = "OK", body = Project)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn create_project(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<NewProjectRequest>,
) -> Result<Json<Project>, ApiError> {
    let id = req.id.clone();
    change(st, id, move |st| Ok(Json(setup::create_project(st.store.as_ref(), &req, &user.user)?))).await
}

#[utoipa::path(get, path = "/projects/{project}", operation_id = "console_get_project", tag = "setup", responses((status = 200, description = "OK", body = Project)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn get_project(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Project>, ApiError> {
    let project = ProjectId::new(project);
    // Engineers read it too: the dashboard names buildings, units and people.
    crate::report::require_reader(&user, &project)?;
    blocking(move || Ok(Json(setup::read_project(st.store.as_ref(), &project)?))).await
}

#[utoipa::path(post, path = "/projects/{project}/edits", operation_id = "console_edit", tag = "setup", request_body = EditRequest, responses((status = 200, description = "OK", body = Project)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn edit(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<EditRequest>,
) -> Result<Json<Project>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    let p = project.clone();
    change(st, project, move |st| {
        // A floor plan is uploaded for the project (PUT …/floor-plan); an edit
        // may not point a unit type at a blob of another project.
        for e in &req.edits {
            if let walkthrough_core::setup::ProjectEdit::SetFloorPlan { floor_plan, .. } = e {
                let hash = crate::parse_hash(floor_plan)?;
                if !st.store.blob_in_scope(&hash, &user.user.id, std::slice::from_ref(&p))? {
                    return Err(ApiError::Unprocessable(format!(
                        "floor plan {floor_plan} was not uploaded for project {p}: upload it with PUT /projects/{p}/unit-types/…/floor-plan"
                    )));
                }
            }
        }
        Ok(Json(setup::apply_edits(st.store.as_ref(), &p, &req.edits, &user.user.id)?))
    })
    .await
}

#[utoipa::path(post, path = "/projects/{project}/units/preview", operation_id = "console_preview_units", tag = "setup", request_body(content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), responses((status = 200, description = "OK", body = UnitPreview)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn preview_units(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
    Query(mapping): Query<ColumnMapping>,
    body: axum::body::Bytes,
) -> Result<Json<UnitPreview>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    blocking(move || Ok(Json(import::preview_units(st.store.as_ref(), &project, &body, &mapping)?))).await
}

/// A unit list (CSV or XLSX): CS center only, all or nothing.
#[utoipa::path(post, path = "/projects/{project}/units", operation_id = "console_import_units", tag = "setup", request_body(content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), responses((status = 200, description = "How many units were added (`added`)", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn import_units(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
    Query(mapping): Query<ColumnMapping>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    let p = project.clone();
    change(st, project, move |st| {
        let added = import::import_units(st.store.as_ref(), &p, &body, &mapping, &user.user.id)?;
        Ok(Json(serde_json::json!({ "added": added })))
    })
    .await
}

#[utoipa::path(put, path = "/projects/{project}/unit-types/{unit_type}/floor-plan", operation_id = "console_floor_plan", tag = "setup", request_body(content(("image/png"), ("image/jpeg"), ("application/pdf"))), responses((status = 200, description = "The stored plan's hash (`floor_plan`)", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn floor_plan(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, unit_type)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    if body.len() > st.settings.max_blob_bytes {
        return Err(ApiError::TooLarge(format!(
            "floor plans up to {} MB are accepted",
            st.settings.max_blob_bytes >> 20
        )));
    }
    let p = project.clone();
    change(st, project, move |st| {
        let ut = UnitTypeId::new(unit_type);
        let hash = setup::set_floor_plan(st.store.as_ref(), &p, &ut, &body, &user.user.id)?;
        Ok(Json(serde_json::json!({ "floor_plan": hash })))
    })
    .await
}

#[utoipa::path(get, path = "/projects/{project}/people", operation_id = "console_people", tag = "setup", responses((status = 200, description = "OK", body = Vec<PersonAccount>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn people(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<PersonAccount>>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    blocking(move || Ok(Json(setup::people(st.store.as_ref(), &project)?))).await
}

#[utoipa::path(post, path = "/projects/{project}/people", operation_id = "console_invite", tag = "setup", request_body = InviteRequest, responses((status = 200, description = "OK", body = TemporaryPassword)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn invite(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<Json<TemporaryPassword>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    let p = project.clone();
    change(st, project, move |st| {
        let role = serde_json::to_value(req.role).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        setup::console_may_change(st.store.as_ref(), req.username.trim(), &role, &user.user)?;
        Ok(Json(setup::invite(st.store.as_ref(), &p, &req, &user.user)?))
    })
    .await
}

#[utoipa::path(post, path = "/projects/{project}/people/{user}/{action}", operation_id = "console_person_action", tag = "setup", responses((status = 200, description = "`reset`: a new temporary password; `disable`/`enable`: `disabled`", body = serde_json::Value)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn person_action(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, person, action)): Path<(String, String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    let person = UserId::new(person);
    let p = project.clone();
    change(st, project, move |st| {
        let store = st.store.as_ref();
        let by = &user.user.id;
        if matches!(action.as_str(), "reset" | "disable" | "enable") {
            setup::console_may_change(store, person.as_str(), &action, &user.user)?;
        }
        match action.as_str() {
            "reset" => Ok(Json(
                serde_json::to_value(setup::reset_password(store, &p, &person, by)?).map_err(anyhow::Error::from)?,
            )),
            "disable" | "enable" => {
                setup::set_disabled(store, &p, &person, action == "disable", by)?;
                Ok(Json(serde_json::json!({ "disabled": action == "disable" })))
            }
            other => {
                Err(ApiError::NotFound(format!("{other:?} is not an action on an account (reset, disable, enable)")))
            }
        }
    })
    .await
}

/// The project's history, each entry with the names of its author and of
/// everything its particulars name, from the project's lists as they are now.
#[utoipa::path(get, path = "/projects/{project}/history", operation_id = "console_history", tag = "setup", responses((status = 200, description = "OK", body = Vec<HistoryView>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn history(
    State(st): State<AppState>,
    user: AuthUser,
    Path(project): Path<String>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    let project = ProjectId::new(project);
    require_admin(&user, &project)?;
    blocking(move || {
        let model = crate::dispatch::project(&st, &project)?;
        let entries = setup::history(st.store.as_ref(), &project)?;
        let account = crate::dashboard::account_name(&st);
        Ok(Json(entries.into_iter().map(|e| walkthrough_core::names::history_names(&model, e, &account)).collect()))
    })
    .await
}

#[utoipa::path(get, path = "/projects/{project}/rounds/{round}/progress", operation_id = "console_round_progress", tag = "setup", responses((status = 200, description = "OK", body = Vec<walkthrough_core::setup::InspectorProgress>)), security(("bearer" = []), ("session_cookie" = [], "csrf" = [])))]
async fn round_progress(
    State(st): State<AppState>,
    user: AuthUser,
    Path((project, round)): Path<(String, u32)>,
) -> Result<Json<Vec<walkthrough_core::setup::InspectorProgress>>, ApiError> {
    let project = ProjectId::new(project);
    crate::report::require_reader(&user, &project)?;
    blocking(move || {
        let model = setup::read_project(st.store.as_ref(), &project)?;
        let rows = st.store.unit_round_rows(&project)?;
        Ok(Json(walkthrough_core::setup::round_progress(&model, RoundNo(round), &rows)))
    })
    .await
}
