//! Payloads of dispatch: the CS center's dispatch, reassignment, links and
//! lists, and the contractor's page. Times are epoch milliseconds (the
//! pages format them in the reader's language).

use crate::defect::{DefectStatus, Shape};
use crate::dispatch::ListItem;
use crate::ids::*;
use crate::model::{I18nText, Point};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchResponse {
    /// Defects sent to a contractor by this request.
    pub assigned: usize,
    /// Open defects no contractor could be found for: assign them by hand.
    pub unroutable: Vec<DefectId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignRequest {
    pub contractor: ContractorId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewLinkRequest {
    pub contractor: ContractorId,
    /// Days until it expires (the server's default when absent).
    #[serde(default)]
    pub days: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewLinkResponse {
    pub id: String,
    /// Shown once: the server keeps only its hash.
    pub token: String,
    /// The page with the token, relative to the server (`/ui/contractor/#k=…`).
    pub path: String,
    pub expires_at: i64,
}

/// A CS-center list of one contractor's items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RectificationResponse {
    pub contractor: ContractorId,
    pub round: Option<RoundNo>,
    pub items: Vec<ListItem>,
}

/// Everything the contractor's page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractorPage {
    pub project: Named,
    pub contractor: Named,
    pub now: i64,
    pub items: Vec<ContractorItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: I18nText,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractorItem {
    pub defect: DefectId,
    pub unit: UnitId,
    pub unit_number: String,
    pub floor: i32,
    pub building: Named,
    pub room: I18nText,
    pub spot: String,
    pub description: String,
    pub category: I18nText,
    pub severity: String,
    pub status: DefectStatus,
    pub attempt: u32,
    pub deadline: Option<i64>,
    pub overdue: bool,
    pub found_round: RoundNo,
    /// The rounds that put it on the list.
    pub rounds: Vec<RoundNo>,
    pub photos: Vec<PhotoView>,
    pub pin: Option<Point>,
    /// The unit type's rooms on its floor plan, to place the pin.
    pub plan: Vec<PlanRoom>,
    /// The unit type's floor-plan image (a blob), drawn under the pin.
    pub plan_image: Option<PhotoHash>,
    /// The current "fixed" report, if any.
    pub fix: Option<FixView>,
    /// Until when the report can be undone.
    pub undo_until: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoView {
    pub hash: PhotoHash,
    pub marks: Vec<Shape>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRoom {
    pub name: I18nText,
    /// The room's outline (a polygon, normalised image coordinates).
    pub outline: Vec<Point>,
    /// The defect's room.
    pub here: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixView {
    pub note: String,
    pub photo: Option<PhotoHash>,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedRequest {
    pub note: String,
    #[serde(default)]
    pub photo: Option<PhotoHash>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoUploaded {
    pub hash: PhotoHash,
}
