//! Payloads of the CS center's dashboard: a defect's detail (photos with
//! their marks, floor-plan pin, full history), accepting a risk and the
//! list of accepted risks, and the company overview. Times are epoch
//! milliseconds, like the dispatch payloads.

use crate::defect::{DefectStatus, EventKind, Source};
use crate::doc::writers::DeviceShown;
use crate::ids::*;
use crate::model::{I18nText, Point};
use crate::names::Shown;
use crate::risk::RiskDecision;
use crate::wire::dispatch::{Named, PhotoView, PlanRoom};
use serde::{Deserialize, Serialize};

/// `POST /projects/{p}/defects/{id}/accept-risk`: accept the risk, or edit
/// the answer and plan of a risk already accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptRiskRequest {
    /// Chinese required, English optional (an empty string).
    pub unified_answer: I18nText,
    pub contingency_plan: String,
}

/// Where a defect is, named for a reader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefectPlace {
    pub unit: UnitId,
    pub unit_number: String,
    pub floor: i32,
    pub building: Named,
    pub room: Named,
    pub spot: String,
}

/// One event of a defect's history, with its author's name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryItem {
    pub id: EventId,
    /// When, by the server's clock (the order of the history).
    pub at: i64,
    /// What the writer's device clock said, when it was off.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub device_at: Option<i64>,
    pub by: UserId,
    /// Who that is: a person, a contractor through its link, the server (`names::Project::author_name`).
    pub by_name: Shown,
    /// The contractor an assignment sends the repair to, named.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub contractor_name: Option<Shown>,
    pub round: RoundNo,
    /// The device that wrote it (from the document's actors), or the server.
    #[serde(default)]
    pub device: Option<DeviceShown>,
    /// `assigned`, `reported_fixed`, `rechecked`, `accepted_risk`, …
    #[serde(rename = "type")]
    pub kind_name: String,
    pub kind: EventKind,
    /// Kept in the history but changing nothing (after closure, duplicates).
    pub ignored: bool,
}

/// `GET /projects/{p}/defects/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefectDetail {
    pub id: DefectId,
    pub place: DefectPlace,
    pub description: String,
    pub category: Named,
    pub other_reason: Option<String>,
    pub root_cause: Option<Named>,
    pub severity: String,
    pub source: Source,
    pub trade: Named,
    /// The party responsible for the defect (from routing).
    pub responsible: Option<Named>,
    /// Who holds the repair now (or last did).
    pub contractor: Option<Named>,
    pub status: DefectStatus,
    pub found_round: RoundNo,
    pub found_by: UserId,
    pub found_by_name: Shown,
    /// The device that recorded the defect.
    #[serde(default)]
    pub found_device: Option<DeviceShown>,
    pub found_at: i64,
    pub first_deadline: Option<i64>,
    pub current_deadline: Option<i64>,
    pub overdue: bool,
    pub failed_rechecks: u32,
    pub closed_at: Option<i64>,
    pub photos: Vec<PhotoView>,
    pub pin: Option<Point>,
    pub plan: Vec<PlanRoom>,
    /// The unit type's floor-plan image (a blob), drawn under the pin.
    pub plan_image: Option<PhotoHash>,
    /// The accepted risk as it stands (latest answer), if accepted.
    pub risk: Option<RiskDecision>,
    /// Every event, in the order the status is folded from.
    pub history: Vec<HistoryItem>,
}

/// One row of `GET /projects/{p}/risks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskRow {
    pub defect: DefectId,
    pub place: DefectPlace,
    pub category: Named,
    pub description: String,
    pub contractor: Option<Named>,
    pub risk: RiskDecision,
    pub accepted_by_name: Shown,
    pub edited_by_name: Shown,
}

/// One project of `GET /company/overview`: cumulative figures to date, the
/// cumulative report's numbers (the core's `round_kpis` over the read model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyProject {
    pub id: ProjectId,
    pub name: I18nText,
    pub handover_date: chrono::NaiveDate,
    /// The project's IANA time zone (its days are local days there).
    pub time_zone: String,
    pub days_to_handover: i64,
    /// Those days in words (`rules::handover_countdown`): "31 days past handover", never "-31".
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub countdown: I18nText,
    /// The latest round started (none before the round plan exists).
    pub current_round: Option<RoundNo>,
    pub rounds: usize,
    pub units: u64,
    pub units_inspected: u64,
    pub open_defects: u64,
    pub overdue: u64,
    /// 完结率, a fraction (none without a denominator).
    pub closed_rate: Option<f64>,
    /// 及时完结率, a fraction (none without a denominator).
    pub timely_rate: Option<f64>,
    pub failed_twice_or_more: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyOverview {
    /// The company's id, and its name as its projects record it.
    pub company: String,
    pub company_name: I18nText,
    pub as_of: i64,
    pub projects: Vec<CompanyProject>,
}
