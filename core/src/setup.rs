//! Setting a project up: every change the CS center can make to a project's
//! configuration, as data (`ProjectEdit`). The console and the
//! `walkthrough-server` subcommands send the same edits; `apply` checks each
//! one and changes the model, and the caller writes the result through
//! `ProjectDoc::try_edit`, so every change is one document change with its
//! author and time, and reaches tablets by sync.
//!
//! Nothing that has history can be deleted: a checklist item is retired, not
//! removed (results recorded against its code stay readable), and an item
//! keeps its room kind for life (results are keyed by room and item code; a
//! different room kind is a different item).

use crate::ids::*;
use crate::model::*;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One change to a project's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ProjectEdit {
    /// The project's name and contractual handover date.
    SetInfo {
        name: I18nText,
        handover_date: NaiveDate,
    },
    /// The project's time zone (an IANA name such as `Asia/Shanghai`): every
    /// day of the project — rounds, handover, report dates, day deadlines —
    /// is a local day there. Instants already recorded do not move.
    SetTimeZone {
        time_zone: String,
    },
    /// Add or change a building.
    PutBuilding {
        building: Building,
    },
    /// Add a unit type, or change one (its floor plan and materials are kept
    /// when the given ones are empty).
    PutUnitType {
        unit_type: UnitType,
    },
    /// The unit type's floor plan: the content hash of an uploaded image or PDF.
    SetFloorPlan {
        unit_type: UnitTypeId,
        floor_plan: String,
    },
    /// Draw (or clear) room outlines on the unit type's floor plan: each
    /// listed room gets the given polygon (normalised image coordinates, at
    /// least 3 corners; an empty list clears it); rooms not listed keep
    /// theirs. Pins already placed are image coordinates and do not move.
    SetRoomOutlines {
        unit_type: UnitTypeId,
        outlines: Vec<RoomOutline>,
    },
    /// A new template starting as a copy of another (e.g. one per unit type).
    CopyTemplate {
        from: TemplateId,
        id: TemplateId,
        name: I18nText,
    },
    /// Add a checklist item at the end of a template, or change one in place.
    PutItem {
        template: TemplateId,
        item: ChecklistItem,
    },
    /// Move an item to position `to` (0-based) of its template.
    MoveItem {
        template: TemplateId,
        code: ItemCode,
        to: usize,
    },
    /// Retire an item (no longer inspected; its history stays) or bring it back.
    RetireItem {
        template: TemplateId,
        code: ItemCode,
        retired: bool,
    },
    PutCategory {
        category: Category,
    },
    PutTrade {
        trade: Trade,
    },
    PutContractor {
        contractor: Contractor,
    },
    /// Give a trade to a contractor, project-wide or for one building
    /// (replacing whoever had it there).
    AssignTrade {
        assignment: TradeAssignment,
    },
    UnassignTrade {
        trade: TradeId,
        building: Option<BuildingId>,
    },
    /// Add or change a unit type's material (by element) and its supplier.
    PutMaterial {
        unit_type: UnitTypeId,
        material: Material,
    },
    RemoveMaterial {
        unit_type: UnitTypeId,
        element: ElementId,
    },
    /// A person of the project (the account itself lives on the server).
    PutPerson {
        person: Person,
    },
    /// Add or replace a round's plan: dates, notes, who inspects what.
    PutRound {
        round: RoundPlan,
    },
}

/// One room's outline in a `ProjectEdit::SetRoomOutlines`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomOutline {
    pub room: RoomId,
    pub outline: Vec<Point>,
}

type EditResult = std::result::Result<(), String>;

fn required(what: &str, value: &str) -> EditResult {
    if value.trim().is_empty() {
        Err(format!("{what} is required"))
    } else {
        Ok(())
    }
}

/// A code that is new to the project must be a safe one (`check_code`);
/// one already in the project stays usable as it is.
fn new_code(what: &str, code: &str, exists: bool) -> EditResult {
    required(what, code)?;
    if exists {
        Ok(())
    } else {
        check_code(what, code)
    }
}

fn named(what: &str, name: &I18nText) -> EditResult {
    if name.zh.trim().is_empty() && name.en.trim().is_empty() {
        Err(format!("{what} needs a name in Chinese or English"))
    } else {
        Ok(())
    }
}

fn template_mut<'a>(p: &'a mut Project, id: &TemplateId) -> Result<&'a mut ChecklistTemplate, String> {
    p.templates.get_mut(id).ok_or_else(|| format!("template `{id}` does not exist"))
}

fn unit_type_mut<'a>(p: &'a mut Project, id: &UnitTypeId) -> Result<&'a mut UnitType, String> {
    p.unit_types.get_mut(id).ok_or_else(|| format!("unit type `{id}` does not exist"))
}

impl ProjectEdit {
    /// Apply the edit to `p`, or say in words why it cannot be. References
    /// between entities are checked afterwards by `Project::validate`.
    pub fn apply(&self, p: &mut Project) -> EditResult {
        match self.clone() {
            ProjectEdit::SetInfo { name, handover_date } => {
                named("the project", &name)?;
                p.name = name;
                p.handover_date = handover_date;
            }
            ProjectEdit::SetTimeZone { time_zone } => {
                let zone = crate::time::parse_zone(&time_zone).map_err(|e| format!("the project's {e}"))?;
                p.time_zone = zone.name().to_owned();
            }
            ProjectEdit::PutBuilding { building } => {
                new_code("a building id", building.id.as_str(), p.buildings.contains_key(&building.id))?;
                named("a building", &building.name)?;
                let top = p.units.values().filter(|u| u.building == building.id).map(|u| u.floor).max();
                if let Some(top) = top.filter(|top| *top as u32 > building.floors) {
                    return Err(format!(
                        "building {} has units on floor {top}; it cannot have only {} floor(s)",
                        building.id, building.floors
                    ));
                }
                p.buildings.insert(building.id.clone(), building);
            }
            ProjectEdit::PutUnitType { mut unit_type } => {
                let old = p.unit_types.get(&unit_type.id);
                new_code("a unit type id", unit_type.id.as_str(), old.is_some())?;
                named("a unit type", &unit_type.name)?;
                if unit_type.rooms.is_empty() {
                    return Err(format!("unit type {} needs at least one room", unit_type.id));
                }
                for r in &unit_type.rooms {
                    let known = old.is_some_and(|o| o.room(&r.id).is_some());
                    new_code(&format!("a room id of unit type {}", unit_type.id), r.id.as_str(), known)?;
                }
                if let Some(old) = p.unit_types.get(&unit_type.id) {
                    if unit_type.floor_plan.is_none() {
                        unit_type.floor_plan = old.floor_plan.clone();
                    }
                    if unit_type.materials.is_empty() {
                        unit_type.materials = old.materials.clone();
                    }
                    // Outlines are drawn with their own edit: a room sent
                    // without one keeps what it had.
                    for r in unit_type.rooms.iter_mut().filter(|r| r.outline.is_empty() && r.plan_area.is_none()) {
                        if let Some(o) = old.room(&r.id) {
                            r.outline = o.outline.clone();
                            r.plan_area = o.plan_area;
                        }
                    }
                    // Results are keyed by room id: a room that has units
                    // inspected under it cannot silently disappear.
                    let has_units = p.units.values().any(|u| u.unit_type == unit_type.id);
                    if let Some(r) = old.rooms.iter().find(|r| has_units && unit_type.room(&r.id).is_none()) {
                        return Err(format!(
                            "room `{}` cannot be removed from unit type {}: units of this type exist",
                            r.id, unit_type.id
                        ));
                    }
                }
                p.unit_types.insert(unit_type.id.clone(), unit_type);
            }
            ProjectEdit::SetFloorPlan { unit_type, floor_plan } => {
                required("the floor plan", &floor_plan)?;
                unit_type_mut(p, &unit_type)?.floor_plan = Some(floor_plan);
            }
            ProjectEdit::SetRoomOutlines { unit_type, outlines } => {
                let ut = unit_type_mut(p, &unit_type)?;
                if outlines.is_empty() {
                    return Err("no room outlines were given".into());
                }
                let mut seen = std::collections::BTreeSet::new();
                for o in &outlines {
                    if !seen.insert(&o.room) {
                        return Err(format!("room `{}` is outlined twice", o.room));
                    }
                    let room =
                        ut.room(&o.room).ok_or_else(|| format!("unit type {unit_type} has no room `{}`", o.room))?;
                    if !o.outline.is_empty() {
                        if let Some(why) = outline_problem(&o.outline) {
                            return Err(format!("room {}: {why}", room.id));
                        }
                    }
                }
                for o in outlines {
                    let room = ut.rooms.iter_mut().find(|r| r.id == o.room).expect("checked above");
                    // The drawn outline replaces a rectangle from an import.
                    room.plan_area = None;
                    room.outline = o.outline;
                }
            }
            ProjectEdit::CopyTemplate { from, id, name } => {
                check_code("a template id", id.as_str())?;
                if p.templates.contains_key(&id) {
                    return Err(format!("template `{id}` already exists"));
                }
                let mut copy =
                    p.templates.get(&from).cloned().ok_or_else(|| format!("template `{from}` does not exist"))?;
                copy.id = id.clone();
                copy.name = name;
                p.templates.insert(id, copy);
            }
            ProjectEdit::PutItem { template, item } => {
                named("a checklist item", &item.title)?;
                let t = template_mut(p, &template)?;
                new_code("an item code", item.code.as_str(), t.items.iter().any(|i| i.code == item.code))?;
                match t.items.iter_mut().find(|i| i.code == item.code) {
                    Some(old) if old.room_kind != item.room_kind => {
                        return Err(format!(
                            "item {} belongs to {} rooms and cannot move to {} rooms: retire it and add a new item",
                            item.code,
                            old.room_kind.as_str(),
                            item.room_kind.as_str()
                        ));
                    }
                    Some(old) => *old = item,
                    None => t.items.push(item),
                }
            }
            ProjectEdit::MoveItem { template, code, to } => {
                let t = template_mut(p, &template)?;
                let from = t
                    .items
                    .iter()
                    .position(|i| i.code == code)
                    .ok_or_else(|| format!("item `{code}` is not in template {template}"))?;
                let item = t.items.remove(from);
                let to = to.min(t.items.len());
                t.items.insert(to, item);
            }
            ProjectEdit::RetireItem { template, code, retired } => {
                let t = template_mut(p, &template)?;
                let item = t
                    .items
                    .iter_mut()
                    .find(|i| i.code == code)
                    .ok_or_else(|| format!("item `{code}` is not in template {template}"))?;
                item.retired = retired;
            }
            ProjectEdit::PutCategory { category } => {
                new_code("a category id", category.id.as_str(), p.categories.contains_key(&category.id))?;
                named("a category", &category.name)?;
                if category.deadline_hours == 0 {
                    return Err(format!(
                        "category {}: the rectification deadline must be at least 1 hour",
                        category.id
                    ));
                }
                if category.is_other {
                    if let Some(o) = p.categories.values().find(|c| c.is_other && c.id != category.id) {
                        return Err(format!("category {} is already the \"other\" category", o.id));
                    }
                }
                p.categories.insert(category.id.clone(), category);
            }
            ProjectEdit::PutTrade { trade } => {
                new_code("a trade id", trade.id.as_str(), p.trades.contains_key(&trade.id))?;
                named("a trade", &trade.name)?;
                p.trades.insert(trade.id.clone(), trade);
            }
            ProjectEdit::PutContractor { contractor } => {
                new_code("a contractor id", contractor.id.as_str(), p.contractors.contains_key(&contractor.id))?;
                named("a contractor", &contractor.name)?;
                p.contractors.insert(contractor.id.clone(), contractor);
            }
            ProjectEdit::AssignTrade { assignment } => {
                p.trade_assignments.retain(|a| !(a.trade == assignment.trade && a.building == assignment.building));
                p.trade_assignments.push(assignment);
            }
            ProjectEdit::UnassignTrade { trade, building } => {
                let before = p.trade_assignments.len();
                p.trade_assignments.retain(|a| !(a.trade == trade && a.building == building));
                if p.trade_assignments.len() == before {
                    return Err(format!("trade `{trade}` is not assigned there"));
                }
            }
            ProjectEdit::PutMaterial { unit_type, material } => {
                let ut = unit_type_mut(p, &unit_type)?;
                let known = ut.materials.iter().any(|m| m.element == material.element);
                new_code("a material's element", material.element.as_str(), known)?;
                match ut.materials.iter_mut().find(|m| m.element == material.element) {
                    Some(old) => *old = material,
                    None => ut.materials.push(material),
                }
            }
            ProjectEdit::RemoveMaterial { unit_type, element } => {
                let ut = unit_type_mut(p, &unit_type)?;
                let before = ut.materials.len();
                ut.materials.retain(|m| m.element != element);
                if ut.materials.len() == before {
                    return Err(format!("unit type {unit_type} has no material for `{element}`"));
                }
            }
            ProjectEdit::PutPerson { person } => {
                new_code("a person's id", person.id.as_str(), p.people.contains_key(&person.id))?;
                required("a person's name", &person.name)?;
                p.people.insert(person.id.clone(), person);
            }
            ProjectEdit::PutRound { round } => {
                if round.no.0 == 0 {
                    return Err("rounds are numbered from 1".into());
                }
                let next = p.rounds.len() as u32 + 1;
                if !p.rounds.contains_key(&round.no) && round.no.0 != next {
                    return Err(format!("the next round to plan is round {next}"));
                }
                p.rounds.insert(round.no, round);
            }
        }
        Ok(())
    }

    /// One line for the change history ("who changed what").
    pub fn describe(&self) -> String {
        match self {
            ProjectEdit::SetInfo { handover_date, .. } => format!("project details (handover {handover_date})"),
            ProjectEdit::SetTimeZone { time_zone } => format!("time zone {}", time_zone.trim()),
            ProjectEdit::PutBuilding { building } => format!("building {}", building.id),
            ProjectEdit::PutUnitType { unit_type } => format!("unit type {}", unit_type.id),
            ProjectEdit::SetFloorPlan { unit_type, .. } => format!("floor plan of unit type {unit_type}"),
            ProjectEdit::SetRoomOutlines { unit_type, outlines } => format!(
                "room outlines of unit type {unit_type} ({})",
                outlines.iter().map(|o| o.room.as_str()).collect::<Vec<_>>().join(", ")
            ),
            ProjectEdit::CopyTemplate { from, id, .. } => format!("template {id} copied from {from}"),
            ProjectEdit::PutItem { template, item } => format!("checklist item {} of template {template}", item.code),
            ProjectEdit::MoveItem { template, code, to } => {
                format!("checklist item {code} of template {template} moved to position {}", to + 1)
            }
            ProjectEdit::RetireItem { template, code, retired: true } => {
                format!("checklist item {code} of template {template} retired")
            }
            ProjectEdit::RetireItem { template, code, retired: false } => {
                format!("checklist item {code} of template {template} brought back")
            }
            ProjectEdit::PutCategory { category } => format!("category {}", category.id),
            ProjectEdit::PutTrade { trade } => format!("trade {}", trade.id),
            ProjectEdit::PutContractor { contractor } => format!("contractor {}", contractor.id),
            ProjectEdit::AssignTrade { assignment } => format!(
                "trade {} assigned to {} for {}",
                assignment.trade,
                assignment.contractor,
                assignment.building.as_ref().map_or("the project".into(), |b| format!("building {b}"))
            ),
            ProjectEdit::UnassignTrade { trade, building } => format!(
                "trade {trade} unassigned for {}",
                building.as_ref().map_or("the project".into(), |b| format!("building {b}"))
            ),
            ProjectEdit::PutMaterial { unit_type, material } => {
                format!("material {} of unit type {unit_type}", material.element)
            }
            ProjectEdit::RemoveMaterial { unit_type, element } => {
                format!("material {element} removed from unit type {unit_type}")
            }
            ProjectEdit::PutPerson { person } => format!("person {}", person.id),
            ProjectEdit::PutRound { round } => format!("round {} plan", round.no),
        }
    }
}

/// Apply edits in order; the first that cannot be applied stops them all
/// (its position and reason are returned), so a batch is all or nothing.
pub fn apply_all(p: &mut Project, edits: &[ProjectEdit]) -> std::result::Result<(), String> {
    for (i, e) in edits.iter().enumerate() {
        e.apply(p)
            .map_err(|m| if edits.len() > 1 { format!("change {} ({}): {m}", i + 1, e.describe()) } else { m })?;
    }
    Ok(())
}

/// A new project's model: its identity and handover date, the standards
/// (templates, categories, trades) copied from `library`, and nothing else
/// yet (buildings and units come from the unit list, people by invitation).
pub fn new_project(
    id: ProjectId,
    name: I18nText,
    group: OrgNode,
    company: OrgNode,
    handover_date: NaiveDate,
    time_zone: &str,
    library: Option<&Project>,
) -> std::result::Result<Project, String> {
    check_code("a project id", id.as_str())?;
    named("the project", &name)?;
    let zone = crate::time::parse_zone(time_zone).map_err(|e| format!("the project's {e}"))?;
    let mut p = Project {
        id,
        name,
        group,
        company,
        handover_date,
        time_zone: zone.name().to_owned(),
        buildings: Default::default(),
        unit_types: Default::default(),
        units: Default::default(),
        templates: Default::default(),
        categories: Default::default(),
        trades: Default::default(),
        contractors: Default::default(),
        trade_assignments: Vec::new(),
        people: Default::default(),
        rounds: Default::default(),
    };
    if let Some(lib) = library {
        p.templates = lib.templates.clone();
        // Retired items carry history in their old project, none here.
        for t in p.templates.values_mut() {
            t.items.retain(|i| !i.retired);
        }
        p.categories = lib.categories.clone();
        p.trades = lib.trades.clone();
    }
    Ok(p)
}

/// How far one inspector is with their part of a round's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorProgress {
    pub inspector: UserId,
    pub assigned: usize,
    pub started: usize,
    /// Inspected completely (open defects or not).
    pub done: usize,
}

/// Progress against a round's plan: per inspector, their assigned units
/// and how many of them the read model shows started and done. `rows` are
/// the project's unit-round rows (any rounds; others are ignored).
pub fn round_progress(project: &Project, round: RoundNo, rows: &[crate::kpi::UnitRoundRow]) -> Vec<InspectorProgress> {
    use crate::rules::UnitStatus;
    let status: std::collections::BTreeMap<&UnitId, UnitStatus> =
        rows.iter().filter(|r| r.round == round).map(|r| (&r.unit, r.status)).collect();
    let Some(plan) = project.rounds.get(&round) else { return Vec::new() };
    plan.assignments
        .iter()
        .map(|a| {
            let units = project.assigned_units(round, &a.inspector);
            let of = |ok: &dyn Fn(UnitStatus) -> bool| {
                units.iter().filter(|u| status.get(u).is_some_and(|s| ok(*s))).count()
            };
            InspectorProgress {
                inspector: a.inspector.clone(),
                assigned: units.len(),
                started: of(&|s| s != UnitStatus::NotStarted),
                done: of(&|s| matches!(s, UnitStatus::Done | UnitStatus::DoneWithOpenDefects)),
            }
        })
        .collect()
}

/// Every code of a whole project (one imported from a file) checked with
/// `check_code`; the first unsafe one is refused in words.
pub fn check_project_codes(p: &Project) -> std::result::Result<(), String> {
    check_code("the project id", p.id.as_str())?;
    for b in p.buildings.keys() {
        check_code("a building id", b.as_str())?;
    }
    for (id, t) in &p.unit_types {
        check_code("a unit type id", id.as_str())?;
        for r in &t.rooms {
            check_code(&format!("a room id of unit type {id}"), r.id.as_str())?;
        }
        for m in &t.materials {
            check_code("a material's element", m.element.as_str())?;
        }
    }
    for u in p.units.keys() {
        check_code("a unit id", u.as_str())?;
    }
    for (id, t) in &p.templates {
        check_code("a template id", id.as_str())?;
        for i in &t.items {
            check_code(&format!("an item code of template {id}"), i.code.as_str())?;
        }
    }
    for c in p.categories.keys() {
        check_code("a category id", c.as_str())?;
    }
    for t in p.trades.keys() {
        check_code("a trade id", t.as_str())?;
    }
    for c in p.contractors.keys() {
        check_code("a contractor id", c.as_str())?;
    }
    for person in p.people.keys() {
        check_code("a person's id", person.as_str())?;
    }
    Ok(())
}
