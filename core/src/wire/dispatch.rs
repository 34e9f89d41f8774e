//! Payloads of dispatch: the CS center's dispatch, reassignment, links and
//! lists, and the contractor's page. Times are epoch milliseconds (the
//! pages format them in the reader's language).

use crate::defect::{DefectStatus, Shape};
use crate::dispatch::ListItem;
use crate::ids::*;
use crate::model::{I18nText, Point};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchResponse {
    /// Defects sent to a contractor by this request.
    pub assigned: usize,
    /// Open defects no contractor could be found for: assign them by hand.
    pub unroutable: Vec<DefectId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignRequest {
    pub contractor: ContractorId,
    /// Why the item moves (required: recorded in the project's history).
    #[serde(default)]
    pub reason: String,
}

/// `POST /projects/{p}/dispatch`: everything waiting (no body, or no
/// `defects`), or only the listed defects (each must be waiting).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchRequest {
    #[serde(default)]
    pub defects: Option<Vec<DefectId>>,
}

/// `GET /projects/{p}/dispatch[?round=N]`: what dispatching now would send,
/// grouped by contractor, each item with its category's deadline from now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchPlanView {
    pub round: Option<RoundNo>,
    pub groups: Vec<PlanGroup>,
    /// Waiting items no contractor could be found for (deadline: none).
    pub unroutable: Vec<PlanItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanGroup {
    pub contractor: Named,
    pub items: Vec<PlanItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanItem {
    pub defect: DefectId,
    pub unit: UnitId,
    pub room: I18nText,
    pub spot: String,
    pub description: String,
    pub category: I18nText,
    pub round: RoundNo,
    /// Epoch ms; none for an unroutable item.
    pub deadline: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLinkRequest {
    pub contractor: ContractorId,
    /// Days until it expires (the server's default when absent).
    #[serde(default)]
    pub days: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLinkResponse {
    pub id: String,
    /// Shown once: the server keeps only its hash.
    pub token: String,
    /// The page with the token, relative to the server (`/ui/contractor/#k=…`).
    pub path: String,
    pub expires_at: i64,
}

/// `PUT /projects/{p}/contractor-channels/{contractor}`: the contractor's
/// group robot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelRequest {
    /// `wecom` (企业微信群机器人) or `dingtalk` (钉钉群机器人).
    pub kind: String,
    /// The robot's webhook address, as the group's robot settings show it.
    pub webhook: String,
    /// DingTalk's signing secret (`SEC…`) when the robot signs ("加签").
    #[serde(default)]
    pub secret: Option<String>,
}

/// A contractor's group robot as the CS center sees it (never the secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelView {
    pub contractor: ContractorId,
    pub kind: String,
    pub webhook: String,
    pub signed: bool,
    pub updated_by: UserId,
    pub updated_at: i64,
}

/// A CS-center list of one contractor's items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RectificationResponse {
    pub contractor: ContractorId,
    pub round: Option<RoundNo>,
    pub items: Vec<ListItem>,
}

/// Everything the contractor's page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractorPage {
    pub project: Named,
    pub contractor: Named,
    /// The project's IANA time zone: the page shows deadlines and times in it.
    pub time_zone: String,
    pub now: i64,
    /// How many items are overdue, and how many more fall due soon.
    pub due: crate::dispatch::DueSummary,
    pub items: Vec<ContractorItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Named {
    pub id: String,
    pub name: I18nText,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoView {
    pub hash: PhotoHash,
    pub marks: Vec<Shape>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRoom {
    pub name: I18nText,
    /// The room's outline (a polygon, normalised image coordinates).
    pub outline: Vec<Point>,
    /// The defect's room.
    pub here: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixView {
    pub note: String,
    pub photo: Option<PhotoHash>,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixedRequest {
    pub note: String,
    #[serde(default)]
    pub photo: Option<PhotoHash>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoUploaded {
    pub hash: PhotoHash,
}
