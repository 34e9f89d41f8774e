//! The contractor's side, through a link (`links::LinkUser`): their items
//! only, photos of those items only, a "fixed" report with an evidence
//! photo, its undo, and the printable sheet. An item that is not theirs and
//! an id that does not exist get the same answer.

use crate::dispatch::{listed_items, project, refusal, sheet_response};
use crate::error::ApiError;
use crate::links::LinkUser;
use crate::{blocking, sync, ApiJson, AppState};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use std::collections::HashMap;
use walkthrough_core::defect::Defect;
use walkthrough_core::dispatch::{self as rules, ListItem};
use walkthrough_core::kpi::{DefectDetail, DefectRow};
use walkthrough_core::model::Project;
use walkthrough_core::wire::dispatch::*;
use walkthrough_core::*;

const NOT_YOURS: &str = "there is no such item on your list";

fn ms(t: Time) -> i64 {
    t.timestamp_millis()
}

/// The page's view of one item, from its read-model row and words.
pub(crate) fn item_view(
    project: &Project,
    row: &DefectRow,
    detail: &DefectDetail,
    item: &ListItem,
    author: &UserId,
    now: Time,
) -> ContractorItem {
    let place = crate::dashboard::place_of(project, &row.unit, &row.room, &detail.spot);
    // The latest report is the current attempt's while that attempt has one.
    let fix = item.reported_fixed_at.and(detail.fix_report.as_ref()).map(|f| FixView {
        note: f.note.clone(),
        photo: f.photo.clone(),
        at: ms(f.at),
    });
    ContractorItem {
        defect: row.id,
        unit: place.unit,
        unit_number: place.unit_number,
        floor: place.floor,
        building: place.building,
        room: place.room.name,
        spot: place.spot,
        description: detail.description.clone(),
        category: project.categories.get(&row.category).map(|c| c.name.clone()).unwrap_or_default(),
        severity: row.severity.as_str().to_owned(),
        status: item.status,
        attempt: item.attempt,
        deadline: item.deadline.map(ms),
        overdue: item.overdue,
        found_round: row.found_round,
        rounds: item.rounds.clone(),
        photos: detail.photos.iter().map(|p| PhotoView { hash: p.hash.clone(), marks: p.marks.clone() }).collect(),
        pin: detail.pin,
        plan: plan_rooms(project, &row.unit, &row.room),
        plan_image: plan_image(project, &row.unit),
        fix,
        undo_until: rules::undo_until_report(row.status, detail.fix_report.as_ref(), author, now).map(ms),
    }
}

/// A defect's photos with their marks, as the pages draw them.
pub(crate) fn photo_views(d: &Defect) -> Vec<PhotoView> {
    d.photos
        .values()
        .map(|p| PhotoView { hash: p.hash.clone(), marks: p.marks.values().map(|m| m.shape.clone()).collect() })
        .collect()
}

/// The rooms of `unit`'s unit type on its floor plan, `room` marked.
pub(crate) fn plan_rooms(project: &Project, unit: &UnitId, room: &RoomId) -> Vec<PlanRoom> {
    project
        .unit_type_of(unit)
        .map(|t| {
            t.rooms
                .iter()
                .map(|r| PlanRoom { name: r.name.clone(), outline: r.outline(), here: &r.id == room })
                .filter(|r| !r.outline.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The floor-plan image of `unit`'s unit type, when one was uploaded (a
/// fixture's plan named by a path is not an image the pages can load).
pub(crate) fn plan_image(project: &Project, unit: &UnitId) -> Option<PhotoHash> {
    let plan = project.unit_type_of(unit)?.floor_plan.as_deref()?;
    crate::parse_hash(plan).ok()
}

/// The contractor's page: their cumulative list from the read model (no
/// unit document is read), with the overdue summary.
fn page(st: &AppState, link: &LinkUser) -> Result<ContractorPage, ApiError> {
    let project = project(st, &link.link.project)?;
    let now = chrono::Utc::now();
    let (items, rows) = listed_items(st, &project, &link.link.contractor, None, now)?;
    let by_id: HashMap<DefectId, &(DefectRow, DefectDetail)> = rows.iter().map(|r| (r.0.id, r)).collect();
    let author = link.author();
    let views = items
        .iter()
        .filter_map(|i| by_id.get(&i.defect).map(|(row, detail)| item_view(&project, row, detail, i, &author, now)))
        .collect();
    let contractor = project.contractors.get(&link.link.contractor).map(|c| c.name.clone()).unwrap_or_default();
    Ok(ContractorPage {
        project: Named { id: project.id.0.clone(), name: project.name.clone() },
        contractor: Named { id: link.link.contractor.0.clone(), name: contractor },
        time_zone: project.time_zone.clone(),
        now: ms(now),
        due: rules::due_summary(&items, now, rules::DUE_SOON_DAYS),
        items: views,
    })
}

#[utoipa::path(get, path = "/contractor/items", operation_id = "contractor_items", tag = "contractor", responses((status = 200, description = "OK", body = ContractorPage)), security(("contractor_link" = [])))]
pub async fn items(State(st): State<AppState>, link: LinkUser) -> Result<Json<ContractorPage>, ApiError> {
    blocking(move || Ok(Json(page(&st, &link)?))).await
}

/// Which copy of a photo: `small` (the printing copy, what the list
/// shows), `preview` (screen-sized, what a tap opens) or `original`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoSize {
    Small,
    Preview,
    Original,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    pub size: Option<String>,
}

impl PhotoSize {
    fn parse(size: Option<&str>) -> Result<Self, ApiError> {
        match size {
            None | Some("original") => Ok(Self::Original),
            Some("small") => Ok(Self::Small),
            Some("preview") => Ok(Self::Preview),
            Some(other) => Err(ApiError::BadRequest(format!(
                "there is no photo size {other:?}: ask for small, preview or original"
            ))),
        }
    }
}

/// Whether `hash` is the floor-plan image of a unit holding one of the
/// contractor's items (the plans of their items' units are theirs to see).
fn listed_plan(st: &AppState, link: &LinkUser, hash: &PhotoHash) -> Result<bool, ApiError> {
    let project = project(st, &link.link.project)?;
    if !project.unit_types.values().any(|t| t.floor_plan.as_deref() == Some(hash.as_str())) {
        return Ok(false);
    }
    let units = st.store.listed_units(&project.id, &link.link.contractor)?;
    Ok(units.iter().any(|u| plan_image(&project, u).as_ref() == Some(hash)))
}

/// A photo of one of the contractor's items (its photos and the "fixed"
/// reports' photos), or the floor plan of one of their items' units; the
/// small copy, the preview or the original (`?size=`). Checked from the
/// read model: one indexed lookup, never the list rebuilt.
#[utoipa::path(get, path = "/contractor/photos/{hash}", operation_id = "contractor_photo", tag = "contractor", responses((status = 200, description = "The file", content(("image/jpeg"), ("image/png")))), security(("contractor_link" = [])))]
pub async fn photo(
    State(st): State<AppState>,
    link: LinkUser,
    Path(hash): Path<String>,
    Query(q): Query<PhotoQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let hash = crate::parse_hash(&hash)?;
    let size = PhotoSize::parse(q.size.as_deref())?;
    let (mime, bytes) = blocking(move || {
        let theirs =
            st.store.listed_photo(&link.link.project, &link.link.contractor, &hash)? || listed_plan(&st, &link, &hash)?;
        if !theirs {
            return Err(ApiError::NotFound("there is no such photo on your list".into()));
        }
        let copy = match size {
            PhotoSize::Small => crate::thumbs::get_or_make(&st, &hash).filter(|b| !b.is_empty()),
            PhotoSize::Preview => crate::thumbs::preview(&st, &hash),
            PhotoSize::Original => None,
        };
        // A photo that cannot be made smaller (or a plan that is no photo) is sent as it is.
        match copy {
            Some(bytes) => Ok(("image/jpeg".to_owned(), bytes)),
            None => st
                .store
                .get_blob(&hash)?
                .ok_or_else(|| ApiError::NotFound("this photo has not reached the server yet".into())),
        }
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=3600".into()),
            (header::VARY, crate::links::LINK_HEADER.into()),
        ],
        bytes,
    ))
}

/// An evidence photo, checked like a tablet's (a real JPEG or PNG within
/// the size limit); answers its hash for the "fixed" report.
#[utoipa::path(post, path = "/contractor/photos", operation_id = "contractor_upload_photo", tag = "contractor", request_body(content(("image/jpeg"), ("image/png"))), responses((status = 200, description = "OK", body = PhotoUploaded)), security(("contractor_link" = [])))]
pub async fn upload_photo(
    State(st): State<AppState>,
    link: LinkUser,
    body: axum::body::Bytes,
) -> Result<Json<PhotoUploaded>, ApiError> {
    if body.len() > st.settings.max_blob_bytes {
        return Err(ApiError::TooLarge(format!("photos up to {} MB are accepted", st.settings.max_blob_bytes >> 20)));
    }
    blocking(move || {
        let (_, mime, _, _) =
            walkthrough_client::photos::validate(&body).map_err(|e| ApiError::Unsupported(e.to_string()))?;
        let hash = walkthrough_client::photos::hash_bytes(&body);
        st.store.put_blob(&hash, mime, &body)?;
        // The CS center of the link's project sees the fix photo.
        st.store.add_blob_owner(&hash, &format!("project:{}", link.link.project))?;
        Ok(Json(PhotoUploaded { hash }))
    })
    .await
}

/// Apply a contractor's event to one of their items, as a change authored
/// by the contractor in the unit's document.
fn contractor_edit(
    st: &AppState,
    link: &LinkUser,
    defect: &str,
    make: impl Fn(&Defect) -> walkthrough_core::Result<walkthrough_core::defect::DefectEvent>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let defect = DefectId::parse(defect).ok_or_else(|| ApiError::NotFound(NOT_YOURS.into()))?;
    let _serialised = st.exchange_lock.lock().unwrap_or_else(|e| e.into_inner());
    let project = project(st, &link.link.project)?;
    let unit = st.store.defect_unit(&project.id, defect)?.ok_or_else(|| ApiError::NotFound(NOT_YOURS.into()))?;
    let mut status = None;
    sync::edit_units(st, &project, &[unit], &link.author().0, &mut |_, doc| {
        let d = doc.read_defect(defect).map_err(|_| ApiError::NotFound(NOT_YOURS.into()))?;
        // Held by someone else (or never dispatched): the same answer as an unknown id.
        if d.lifecycle().contractor.as_ref() != Some(&link.link.contractor) {
            return Err(ApiError::NotFound(NOT_YOURS.into()));
        }
        let ev = make(&d).map_err(refusal)?;
        doc.add_event(defect, &ev).map_err(|e| ApiError::Internal(e.into()))?;
        status = Some(doc.read_defect(defect).map_err(|e| ApiError::Internal(e.into()))?.lifecycle().status);
        Ok(true)
    })?;
    Ok(Json(serde_json::json!({ "defect": defect, "status": status })))
}

#[utoipa::path(post, path = "/contractor/items/{defect}/fixed", operation_id = "contractor_fixed", tag = "contractor", request_body = FixedRequest, responses((status = 200, description = "Reported fixed", body = serde_json::Value)), security(("contractor_link" = [])))]
pub async fn fixed(
    State(st): State<AppState>,
    link: LinkUser,
    Path(defect): Path<String>,
    ApiJson(req): ApiJson<FixedRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    blocking(move || {
        if let Some(photo) = &req.photo {
            if st.store.get_blob(photo)?.is_none() {
                return Err(ApiError::Unprocessable("upload the photo first: the server does not have it".into()));
            }
        }
        let author = link.author();
        contractor_edit(&st, &link, &defect, |d| {
            rules::report_fixed(
                d,
                &link.link.contractor,
                &req.note,
                req.photo.clone(),
                &author,
                chrono::Utc::now(),
                EventId::new_v7(),
            )
        })
    })
    .await
}

#[utoipa::path(post, path = "/contractor/items/{defect}/undo", operation_id = "contractor_undo", tag = "contractor", responses((status = 200, description = "The report is withdrawn", body = serde_json::Value)), security(("contractor_link" = [])))]
pub async fn undo(
    State(st): State<AppState>,
    link: LinkUser,
    Path(defect): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    blocking(move || {
        let author = link.author();
        contractor_edit(&st, &link, &defect, |d| rules::undo_fix(d, &author, chrono::Utc::now(), EventId::new_v7()))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    #[serde(default)]
    pub round: Option<u32>,
}

#[utoipa::path(get, path = "/contractor/sheet.pdf", operation_id = "contractor_sheet", tag = "contractor", responses((status = 200, description = "The file", content(("application/pdf")))), security(("contractor_link" = [])))]
pub async fn sheet(
    State(st): State<AppState>,
    link: LinkUser,
    Query(q): Query<SheetQuery>,
) -> Result<axum::response::Response, ApiError> {
    blocking(move || {
        let project = project(&st, &link.link.project)?;
        let round = q.round.map(RoundNo);
        let bytes = crate::sheet::render(&st, &project, &link.link.contractor, round)?;
        Ok(sheet_response(&project, &link.link.contractor, round, bytes))
    })
    .await
}
