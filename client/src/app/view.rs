//! What the tablet's screens show, as plain data for the UI. Every type here
//! derives `TS`: `ui/app/bindings.ts` is generated from these declarations
//! (see `super::bindings`), so the UI and the app cannot disagree on a shape.
//!
//! Times cross as milliseconds since the epoch (`f64`, a JavaScript number);
//! ids as strings; bilingual texts as `Text`.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;
use walkthrough_core::defect::{Defect, EventKind, Shape};
use walkthrough_core::model::{I18nText, Point, Project};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl From<&I18nText> for Text {
    fn from(t: &I18nText) -> Self {
        Text { zh: t.zh.clone(), en: t.en.clone() }
    }
}

/// Who is signed in on this tablet, and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    pub server: String,
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub projects: Vec<ProjectSummary>,
    /// Signed in with a temporary password: nothing works until it is
    /// changed (`change_password`); the app shows only that form.
    pub must_change_password: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ProjectSummary {
    pub id: String,
    pub name: Text,
    /// ISO date.
    pub handover_date: String,
    /// The project's IANA time zone: the tablet shows times and days in it.
    pub time_zone: String,
    pub rounds: Vec<RoundSummary>,
    /// The round whose dates include today, else the latest started one.
    pub current_round: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct RoundSummary {
    pub no: u32,
    pub start: String,
    pub due: String,
    /// How many units the plan gives the signed-in inspector.
    pub my_units: u32,
}

/// Sync as the status bar shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncState {
    /// Documents changed on this tablet that the server has not confirmed.
    pub pending_changes: u32,
    /// Photos not uploaded yet.
    pub pending_photos: u32,
    pub last_sync_ms: Option<f64>,
    /// Why the last attempt failed, in words (none after a success).
    pub last_error: Option<String>,
    /// Whether the last attempt reached the server.
    pub online: bool,
    pub running: bool,
    /// What this tablet holds for working offline.
    pub offline: OfflineView,
}

/// The photos and floor plans held for offline work, against the storage
/// budget the CS center sets on the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct OfflineView {
    /// Files wanted (previews of open defects' photos, floor plans) and held.
    pub wanted: u32,
    pub held: u32,
    /// Not held because the budget is used up.
    pub over_budget: u32,
    /// Not on the server yet (a photo whose tablet has not uploaded it).
    pub missing: u32,
    pub bytes: f64,
    pub budget_bytes: f64,
    /// Downloading now.
    pub running: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub session: Option<Session>,
    pub sync: SyncState,
    pub trust: TrustView,
}

/// The certificate authorities this tablet trusts beside the system's
/// roots, for a server with a company's own certificate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TrustView {
    /// The company certificate chosen on this tablet, if any.
    pub company_ca: Option<CompanyCaView>,
    /// The CA file `WALKTHROUGH_CA_FILE` names (a managed install): while
    /// it is set, it is trusted instead of the chosen certificate.
    pub ca_file_override: Option<String>,
}

/// A company certificate (CA, PEM) kept in the tablet's store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct CompanyCaView {
    /// The name of the file it was chosen from.
    pub file_name: String,
    /// Certificates in the file (a bundle may hold several).
    pub certificates: u32,
    /// SHA-256 of the first certificate ("AB:CD:…"), to compare with what
    /// the company's IT gives out.
    pub fingerprint: String,
    pub added_ms: f64,
}

/// Sync progress, sent to the window while a sync runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncProgress {
    /// "documents", "photos" (uploads) or "offline" (photos and floor plans
    /// downloaded for offline work, after the documents).
    pub phase: String,
    pub done: u32,
    pub total: u32,
    /// Bytes moved so far (for "offline": held on this tablet).
    pub bytes: f64,
}

/// The units of a project as a grid: buildings, floors top down, units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct UnitGrid {
    pub project: String,
    pub round: u32,
    pub buildings: Vec<BuildingGrid>,
    pub counts: StatusCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct BuildingGrid {
    pub id: String,
    pub name: Text,
    pub floors: Vec<FloorRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct FloorRow {
    pub floor: i32,
    pub units: Vec<UnitCell>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct UnitCell {
    pub id: String,
    pub number: String,
    /// not_started, in_progress, done, done_with_open_defects.
    pub status: String,
    pub open_defects: u32,
    /// In the signed-in inspector's assignment for this round.
    pub assigned: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct StatusCounts {
    pub not_started: u32,
    pub in_progress: u32,
    pub done: u32,
    pub done_with_open_defects: u32,
    pub open_defects: u32,
}

/// One unit in one round, as the walkthrough screen shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct UnitView {
    pub project: String,
    pub unit: String,
    pub number: String,
    pub building: Text,
    pub floor: i32,
    pub unit_type: Text,
    pub round: u32,
    pub status: String,
    /// The unit type's floor-plan image (a photo hash: read it with `photo`),
    /// drawn under the rooms' outlines and the pins; none: drawn from the
    /// outlines alone.
    pub floor_plan: Option<String>,
    pub rooms: Vec<RoomView>,
    /// Every defect of the unit, newest first.
    pub defects: Vec<DefectView>,
    /// Earlier defects this round must recheck.
    pub recheck: Vec<RecheckItem>,
    pub choices: Choices,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct RoomView {
    pub id: String,
    pub kind: String,
    pub name: Text,
    /// The room's outline on the unit's floor plan: a polygon in normalised
    /// image coordinates (empty: not outlined).
    pub outline: Vec<Pin>,
    pub items: Vec<ItemView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ItemView {
    pub code: String,
    pub title: Text,
    pub standard: Text,
    pub method: Text,
    /// pass, fail, not_applicable, or none when not recorded this round.
    pub outcome: Option<String>,
    pub by: Option<String>,
    /// Defects recorded against this item in this round.
    pub defects: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct RecheckItem {
    pub defect: String,
    pub found_round: u32,
    pub status: String,
    /// This round's recheck: passed (true) or failed again (false).
    pub done: Option<bool>,
    /// The contractor's report that the current repair is done, if any.
    pub fix_report: Option<FixReport>,
}

/// A contractor's "fixed" report: what they said, when, and the photo of
/// the fix (shown beside the original marked photo: before / after).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct FixReport {
    pub at_ms: f64,
    pub by_name: String,
    pub note: String,
    pub photo: Option<String>,
    /// Why the photo cannot be shown here, as for `PhotoView::missing`.
    pub photo_missing: Option<String>,
}

/// An accepted risk as staff must explain it at handover: the unified
/// answer (统一口径, Chinese always, English when written) and the
/// contingency plan (预案), as they stand now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct RiskView {
    pub unified_answer: Text,
    pub contingency_plan: String,
    pub accepted_by_name: String,
    pub accepted_at_ms: f64,
    /// The latest edit of the answer or plan (the acceptance when never edited).
    pub edited_at_ms: f64,
}

/// A photo for the screen: a data URL, or why it is not on this tablet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct PhotoData {
    pub url: Option<String>,
    /// The size shown: the one asked for, or the preview when the original
    /// cannot be fetched now.
    pub shown: Option<String>,
    /// downloading, over_budget, not_on_server or offline.
    pub missing: Option<String>,
}

/// The options of the defect form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Choices {
    pub categories: Vec<Choice>,
    pub trades: Vec<Choice>,
    pub contractors: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Choice {
    pub id: String,
    pub name: Text,
    /// For categories: whether a reason is required ("other").
    pub needs_reason: bool,
    /// For categories: their default severity.
    pub severity: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct DefectView {
    pub id: String,
    pub room: String,
    pub room_name: Text,
    pub item: Option<String>,
    pub item_title: Option<Text>,
    pub spot: String,
    pub description: String,
    pub category: String,
    pub category_name: Text,
    pub other_reason: Option<String>,
    pub root_cause: Option<String>,
    pub root_cause_note: Option<String>,
    pub severity: String,
    pub trade: String,
    pub trade_name: Text,
    pub responsible: Option<String>,
    pub responsible_name: Option<Text>,
    pub found_round: u32,
    pub found_by: String,
    pub found_at_ms: f64,
    pub status: String,
    pub deadline_ms: Option<f64>,
    pub pin: Option<Pin>,
    pub photos: Vec<PhotoView>,
    pub history: Vec<HistoryEntry>,
    /// The accepted risk's answer and plan (status accepted_risk only).
    pub risk: Option<RiskView>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Pin {
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct PhotoView {
    pub hash: String,
    pub marks: Vec<MarkView>,
    /// Whether the picture itself is on this tablet (else it downloads on sync).
    pub available: bool,
    /// Why not: downloading, over_budget, not_on_server or offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub missing: Option<String>,
}

/// A chalk mark on a photo, in normalised image coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct MarkView {
    pub id: String,
    pub shape: ShapeView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShapeView {
    /// `r` is a fraction of the photo's width.
    Circle {
        x: f64,
        y: f64,
        r: f64,
    },
    Arrow {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
    },
    Label {
        x: f64,
        y: f64,
        text: String,
    },
}

impl From<&Shape> for ShapeView {
    fn from(s: &Shape) -> Self {
        match s {
            Shape::Circle { center, radius } => ShapeView::Circle { x: center.x, y: center.y, r: *radius },
            Shape::Arrow { from, to } => ShapeView::Arrow { x1: from.x, y1: from.y, x2: to.x, y2: to.y },
            Shape::Label { at, text } => ShapeView::Label { x: at.x, y: at.y, text: text.clone() },
        }
    }
}

impl From<&ShapeView> for Shape {
    fn from(s: &ShapeView) -> Self {
        match s {
            ShapeView::Circle { x, y, r } => Shape::Circle { center: Point { x: *x, y: *y }, radius: *r },
            ShapeView::Arrow { x1, y1, x2, y2 } => {
                Shape::Arrow { from: Point { x: *x1, y: *y1 }, to: Point { x: *x2, y: *y2 } }
            }
            ShapeView::Label { x, y, text } => Shape::Label { at: Point { x: *x, y: *y }, text: text.clone() },
        }
    }
}

/// One line of a defect's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct HistoryEntry {
    /// When it happened by the server's clock: the order events are in.
    pub at_ms: f64,
    /// What the writer's device clock said, when it was off (shown beside).
    pub device_at_ms: Option<f64>,
    pub by: String,
    pub by_name: String,
    pub round: u32,
    /// found, assigned, reported_fixed, fix_retracted, rechecked, accepted_risk, withdrawn, edited.
    pub kind: String,
    /// For rechecks: passed or failed.
    pub passed: Option<bool>,
    /// The note, field change, contractor or unified answer, as recorded.
    pub detail: String,
    pub photo: Option<String>,
    /// The other device that wrote it ("li-tablet · 3fa2c1"); None when
    /// this tablet wrote it, the server did, or it is not known.
    pub device: Option<String>,
    /// Written by the server (the CS center's console, a contractor's link).
    pub by_server: bool,
}

/// The defect form: a new defect prefilled from its checklist item, or an
/// existing one being edited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct DefectForm {
    /// None for a new defect.
    pub id: Option<String>,
    pub room: String,
    pub item: Option<String>,
    pub spot: String,
    pub description: String,
    pub category: String,
    pub other_reason: Option<String>,
    pub severity: String,
    pub trade: String,
    pub responsible: Option<String>,
    pub root_cause: Option<String>,
    pub root_cause_note: Option<String>,
    pub pin: Option<Pin>,
    /// The photos with their marks, as they will be saved.
    pub photos: Vec<PhotoView>,
}

pub(crate) fn ms(t: walkthrough_core::time::Time) -> f64 {
    t.timestamp_millis() as f64
}

pub(crate) fn person_name(project: &Project, id: &walkthrough_core::UserId) -> String {
    if let Some(p) = project.people.get(id) {
        return p.name.clone();
    }
    // A contractor acting through its link writes as `contractor:<id>`.
    let contractor = id.as_str().strip_prefix("contractor:").map(walkthrough_core::ContractorId::new);
    match contractor.as_ref().and_then(|c| project.contractors.get(c)) {
        Some(c) => c.name.zh.clone(),
        None => id.to_string(),
    }
}

/// Why a photo cannot be shown on this tablet (None: it can).
pub(crate) type PhotoMissing<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Which device wrote each history entry: the unit document's writers,
/// this tablet's own actor, and the device names the server listed.
pub(crate) struct HistoryDevices<'a> {
    pub writers: &'a walkthrough_core::doc::writers::Writers,
    pub own: String,
    pub names: &'a HashMap<String, String>,
}

impl HistoryDevices<'_> {
    /// (the other device's label, written by the server).
    fn shown(&self, origin: Option<&walkthrough_core::doc::writers::Origin>) -> (Option<String>, bool) {
        use walkthrough_core::doc::writers::{device_label, Origin};
        match origin {
            Some(Origin::Server { .. }) => (None, true),
            Some(Origin::Device { actor }) if *actor != self.own => {
                (Some(device_label(self.names.get(actor).map(String::as_str), actor)), false)
            }
            _ => (None, false),
        }
    }
}

pub(crate) fn defect_view(
    project: &Project,
    d: &Defect,
    photo_missing: PhotoMissing,
    devices: &HistoryDevices,
) -> DefectView {
    let lc = d.lifecycle();
    let room = project
        .unit_type_of(&d.unit)
        .and_then(|t| t.rooms.iter().find(|r| r.id == d.room))
        .map(|r| Text::from(&r.name))
        .unwrap_or_else(|| Text { zh: d.room.to_string(), en: d.room.to_string() });
    let item_title = d.item.as_ref().and_then(|code| {
        project.templates.values().flat_map(|t| t.items.iter()).find(|i| &i.code == code).map(|i| Text::from(&i.title))
    });
    let text =
        |t: Option<&I18nText>, id: &str| t.map(Text::from).unwrap_or_else(|| Text { zh: id.into(), en: id.into() });
    let (device, by_server) = devices.shown(devices.writers.defect(d.id));
    let mut history = vec![HistoryEntry {
        device,
        by_server,
        at_ms: ms(d.found_at),
        device_at_ms: None,
        by: d.found_by.to_string(),
        by_name: person_name(project, &d.found_by),
        round: d.found_round.0,
        kind: "found".into(),
        passed: None,
        detail: d.description.clone(),
        photo: None,
    }];
    for e in &d.events {
        let (passed, detail, photo) = match &e.kind {
            EventKind::Assigned { contractor, .. } => {
                let name = project.contractors.get(contractor).map(|c| c.name.zh.clone());
                (None, name.unwrap_or_else(|| contractor.to_string()), None)
            }
            EventKind::ReportedFixed { note, photo } => (None, note.clone(), photo.as_ref().map(|p| p.to_string())),
            EventKind::FixRetracted { note } => (None, note.clone(), None),
            EventKind::Rechecked { passed, note, photo, .. } => {
                (Some(*passed), note.clone(), photo.as_ref().map(|p| p.to_string()))
            }
            EventKind::AcceptedRisk { unified_answer, .. } => (None, unified_answer.zh.clone(), None),
            EventKind::Withdrawn { reason } => (None, reason.clone(), None),
            EventKind::Edited { field, value } => (None, format!("{field}: {value}"), None),
        };
        let (device, by_server) = devices.shown(devices.writers.event(e.id));
        history.push(HistoryEntry {
            device,
            by_server,
            at_ms: ms(e.at),
            device_at_ms: e.device_at.map(ms),
            by: e.by.to_string(),
            by_name: person_name(project, &e.by),
            round: e.round.0,
            kind: e.kind.type_name().into(),
            passed,
            detail,
            photo,
        });
    }
    DefectView {
        id: d.id.to_string(),
        room: d.room.to_string(),
        room_name: room,
        item: d.item.as_ref().map(|i| i.to_string()),
        item_title,
        spot: d.spot.clone(),
        description: d.description.clone(),
        category: d.category.to_string(),
        category_name: text(project.categories.get(&d.category).map(|c| &c.name), d.category.as_str()),
        other_reason: d.other_reason.clone(),
        root_cause: d.root_cause.as_ref().map(|c| c.to_string()),
        root_cause_note: d.root_cause_note.clone(),
        severity: d.severity.as_str().into(),
        trade: d.trade.to_string(),
        trade_name: text(project.trades.get(&d.trade).map(|t| &t.name), d.trade.as_str()),
        responsible: d.responsible.as_ref().map(|c| c.to_string()),
        responsible_name: d.responsible.as_ref().and_then(|c| project.contractors.get(c)).map(|c| Text::from(&c.name)),
        found_round: d.found_round.0,
        found_by: d.found_by.to_string(),
        found_at_ms: ms(d.found_at),
        status: lc.status.as_str().into(),
        deadline_ms: lc.attempts.last().and_then(|a| a.deadline).map(ms),
        pin: d.pin.map(|p| Pin { x: p.x, y: p.y }),
        photos: d
            .photos
            .values()
            .map(|p| {
                let missing = photo_missing(p.hash.as_str());
                PhotoView {
                    hash: p.hash.to_string(),
                    marks: p
                        .marks
                        .values()
                        .map(|m| MarkView { id: m.id.to_string(), shape: (&m.shape).into() })
                        .collect(),
                    available: missing.is_none(),
                    missing,
                }
            })
            .collect(),
        history,
        risk: d.current_risk().map(|r| RiskView {
            unified_answer: Text::from(&r.unified_answer),
            contingency_plan: r.contingency_plan,
            accepted_by_name: person_name(project, &r.accepted_by),
            accepted_at_ms: ms(r.accepted_at),
            edited_at_ms: ms(r.edited_at),
        }),
    }
}

/// The contractor's report on the defect's current repair: the latest
/// "fixed" event at the time the fold took as the attempt's report.
pub(crate) fn fix_report(project: &Project, d: &Defect, photo_missing: PhotoMissing) -> Option<FixReport> {
    let at = d.lifecycle().attempts.last()?.reported_fixed_at?;
    d.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::ReportedFixed { note, photo } if e.at == at => Some(FixReport {
            at_ms: ms(e.at),
            by_name: person_name(project, &e.by),
            note: note.clone(),
            photo: photo.as_ref().map(|p| p.to_string()),
            photo_missing: photo.as_ref().and_then(|p| photo_missing(p.as_str())),
        }),
        _ => None,
    })
}
