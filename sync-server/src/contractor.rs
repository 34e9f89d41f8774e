//! The contractor's side, through a link (`links::LinkUser`): their items
//! only, photos of those items only, a "fixed" report with an evidence
//! photo, its undo, and the printable sheet. An item that is not theirs and
//! an id that does not exist get the same answer.

use crate::dispatch::{contractor_list, pdf_response, project, refusal};
use crate::error::ApiError;
use crate::links::LinkUser;
use crate::{blocking, sync, ApiJson, AppState};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use walkthrough_core::defect::{Defect, EventKind};
use walkthrough_core::dispatch::{self as rules, ListItem};
use walkthrough_core::model::Project;
use walkthrough_core::wire::dispatch::*;
use walkthrough_core::*;

const NOT_YOURS: &str = "there is no such item on your list";

fn ms(t: Time) -> i64 {
    t.timestamp_millis()
}

/// The page's view of one item.
pub(crate) fn item_view(project: &Project, d: &Defect, item: &ListItem, author: &UserId, now: Time) -> ContractorItem {
    let place = crate::dashboard::place(project, d);
    let lc = d.lifecycle();
    let fix = d.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::ReportedFixed { note, photo } if item.reported_fixed_at.is_some() => {
            Some(FixView { note: note.clone(), photo: photo.clone(), at: ms(e.at) })
        }
        _ => None,
    });
    ContractorItem {
        defect: d.id,
        unit: place.unit,
        unit_number: place.unit_number,
        floor: place.floor,
        building: place.building,
        room: place.room.name,
        spot: place.spot,
        description: d.description.clone(),
        category: project.categories.get(&d.category).map(|c| c.name.clone()).unwrap_or_default(),
        severity: d.severity.as_str().to_owned(),
        status: item.status,
        attempt: item.attempt,
        deadline: item.deadline.map(ms),
        overdue: item.overdue,
        found_round: d.found_round,
        rounds: item.rounds.clone(),
        photos: photo_views(d),
        pin: d.pin,
        plan: plan_rooms(project, d),
        plan_image: plan_image(project, &d.unit),
        fix,
        undo_until: rules::undo_until(d, &lc, author, now).map(ms),
    }
}

/// A defect's photos with their marks, as the pages draw them.
pub(crate) fn photo_views(d: &Defect) -> Vec<PhotoView> {
    d.photos
        .values()
        .map(|p| PhotoView { hash: p.hash.clone(), marks: p.marks.values().map(|m| m.shape.clone()).collect() })
        .collect()
}

/// The rooms of the defect's unit type on its floor plan, its own room marked.
pub(crate) fn plan_rooms(project: &Project, d: &Defect) -> Vec<PlanRoom> {
    project
        .unit_type_of(&d.unit)
        .map(|t| {
            t.rooms
                .iter()
                .map(|r| PlanRoom { name: r.name.clone(), outline: r.outline(), here: r.id == d.room })
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

/// The contractor's items with the defects they come from.
fn page(st: &AppState, link: &LinkUser) -> Result<(ContractorPage, Vec<Defect>), ApiError> {
    let project = project(st, &link.link.project)?;
    let (items, records) = contractor_list(st, &project, &link.link.contractor, None)?;
    let now = chrono::Utc::now();
    let mut views = Vec::with_capacity(items.len());
    let mut defects = Vec::with_capacity(items.len());
    for item in &items {
        let Some(d) = records.iter().find_map(|r| r.defects.get(&item.defect)) else { continue };
        views.push(item_view(&project, d, item, &link.author(), now));
        defects.push(d.clone());
    }
    let contractor = project.contractors.get(&link.link.contractor).map(|c| c.name.clone()).unwrap_or_default();
    Ok((
        ContractorPage {
            project: Named { id: project.id.0.clone(), name: project.name.clone() },
            contractor: Named { id: link.link.contractor.0.clone(), name: contractor },
            time_zone: project.time_zone.clone(),
            now: ms(now),
            items: views,
        },
        defects,
    ))
}

pub async fn items(State(st): State<AppState>, link: LinkUser) -> Result<Json<ContractorPage>, ApiError> {
    blocking(move || Ok(Json(page(&st, &link)?.0))).await
}

/// A photo of one of the contractor's items, an evidence photo of theirs,
/// or the floor plan of one of their items' units.
pub async fn photo(
    State(st): State<AppState>,
    link: LinkUser,
    Path(hash): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let hash = crate::parse_hash(&hash)?;
    let (mime, bytes) = blocking(move || {
        let (items, defects) = page(&st, &link)?;
        // The floor plans of their items' units are theirs to see too.
        let plan = items.items.iter().any(|i| i.plan_image.as_ref() == Some(&hash));
        let theirs = plan
            || defects.iter().any(|d| {
                d.photos.contains_key(&hash)
                    || d.events.iter().any(|e| match &e.kind {
                        EventKind::ReportedFixed { photo: Some(p), .. } => p == &hash,
                        _ => false,
                    })
            });
        if !theirs {
            return Err(ApiError::NotFound("there is no such photo on your list".into()));
        }
        st.store.get_blob(&hash)?.ok_or_else(|| ApiError::NotFound("this photo has not reached the server yet".into()))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=3600".into())], bytes))
}

/// An evidence photo, checked like a tablet's (a real JPEG or PNG within
/// the size limit); answers its hash for the "fixed" report.
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

#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    pub round: Option<u32>,
}

pub async fn sheet(
    State(st): State<AppState>,
    link: LinkUser,
    Query(q): Query<SheetQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = blocking(move || {
        let project = project(&st, &link.link.project)?;
        crate::sheet::render(&st, &project, &link.link.contractor, q.round.map(RoundNo))
    })
    .await?;
    Ok(pdf_response(bytes))
}
