//! The figures a round report needs, computed from plain rows.
//!
//! The server keeps these rows in its relational read model and feeds them
//! here, so a report over 100k defects never hydrates a document. The tablet
//! builds the same rows from its own store. One function, one definition of
//! every rate.

use crate::defect::{Defect, DefectStatus, EventKind, Source};
use crate::ids::*;
use crate::model::{HardKind, Project, RoomKind, Severity};
use crate::rules::UnitStatus;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One defect as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefectRow {
    pub id: DefectId,
    pub building: BuildingId,
    pub unit: UnitId,
    pub room: RoomId,
    pub room_kind: RoomKind,
    pub element: ElementId,
    pub category: CategoryId,
    /// From the category and the root cause together.
    pub hard_kinds: Vec<HardKind>,
    pub severity: Severity,
    pub source: Source,
    pub trade: TradeId,
    pub contractor: Option<ContractorId>,
    pub engineer: Option<UserId>,
    pub found_round: RoundNo,
    pub found_at: Time,
    pub status: DefectStatus,
    pub failed_rechecks: u32,
    pub first_deadline: Option<Time>,
    pub current_deadline: Option<Time>,
    pub completed_at: Option<Time>,
    pub closed_at: Option<Time>,
    pub withdrawn_at: Option<Time>,
}

/// One recheck as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecheckRow {
    pub defect: DefectId,
    pub round: RoundNo,
    pub at: Time,
    pub passed: bool,
}

/// A unit's progress in one round as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitRoundRow {
    pub unit: UnitId,
    pub building: BuildingId,
    pub round: RoundNo,
    pub status: UnitStatus,
    pub items_total: u32,
    pub items_checked: u32,
    pub items_passed: u32,
    pub items_failed: u32,
}

/// The hard kinds a defect counts under: its category's and its root cause's.
pub fn hard_kinds(project: &Project, category: &CategoryId, root_cause: Option<&CategoryId>) -> Vec<HardKind> {
    let mut kinds: BTreeSet<HardKind> = BTreeSet::new();
    for c in std::iter::once(category).chain(root_cause) {
        if let Some(k) = project.categories.get(c).and_then(|c| c.hard_kind) {
            kinds.insert(k);
        }
    }
    kinds.into_iter().collect()
}

impl DefectRow {
    pub fn from_defect(project: &Project, d: &Defect) -> Self {
        let lc = d.lifecycle();
        let unit = project.units.get(&d.unit);
        let building = unit.map(|u| u.building.clone()).unwrap_or_else(|| BuildingId::new("?"));
        let room_kind =
            project.unit_type_of(&d.unit).and_then(|ut| ut.room(&d.room)).map(|r| r.kind).unwrap_or(RoomKind::Other);
        DefectRow {
            id: d.id,
            engineer: project.buildings.get(&building).and_then(|b| b.engineer.clone()),
            building,
            unit: d.unit.clone(),
            room: d.room.clone(),
            room_kind,
            element: d.element.clone(),
            category: d.category.clone(),
            hard_kinds: hard_kinds(project, &d.category, d.root_cause.as_ref()),
            severity: d.severity,
            source: d.source,
            trade: d.trade.clone(),
            contractor: lc.contractor.clone().or_else(|| d.responsible.clone()),
            found_round: d.found_round,
            found_at: d.found_at,
            status: lc.status,
            failed_rechecks: lc.failed_rechecks,
            first_deadline: lc.first_deadline(),
            current_deadline: lc.current_deadline(),
            completed_at: lc.completed_at,
            closed_at: lc.closed_at,
            withdrawn_at: lc.withdrawn_at,
        }
    }
}

impl RecheckRow {
    pub fn from_defect(d: &Defect) -> Vec<RecheckRow> {
        d.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Rechecked { passed, .. } => {
                    Some(RecheckRow { defect: d.id, round: e.round, at: e.at, passed })
                }
                _ => None,
            })
            .collect()
    }
}

/// A ratio kept as its two counts, so that tables can show "12 / 40" and the
/// rate, and so that rates add up across groups correctly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub num: u32,
    pub den: u32,
}

impl Rate {
    pub fn value(&self) -> Option<f64> {
        (self.den > 0).then(|| f64::from(self.num) / f64::from(self.den))
    }
    /// As a percentage with one decimal, or "—" with no denominator.
    pub fn percent(&self) -> String {
        self.value().map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
    }
}

/// 完结率 and 及时完结率 for a group of defects at a date.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// Recorded by the date and not withdrawn.
    pub total: u32,
    pub closed: u32,
    /// 完结率: closed / total.
    pub closed_rate: Rate,
    /// Defects whose first deadline has passed, or that are closed.
    pub due: u32,
    /// Closed, with the work done by the first deadline.
    pub closed_in_time: u32,
    /// 及时完结率: closed in time / due.
    pub timely_rate: Rate,
    pub open: u32,
    /// Open past their current deadline (not counting those reported fixed).
    pub overdue: u32,
    /// Failed recheck twice or more (as of the round).
    pub failed_twice_or_more: u32,
}

impl Completion {
    fn add(&mut self, row: &DefectRow, as_of: Time, failures: u32) {
        self.total += 1;
        let closed = row.closed_at.is_some_and(|t| t <= as_of);
        if closed {
            self.closed += 1;
        } else {
            self.open += 1;
            if row.status != DefectStatus::ReportedFixed && row.current_deadline.is_some_and(|d| d < as_of) {
                self.overdue += 1;
            }
        }
        let due = row.first_deadline.is_some_and(|d| d <= as_of);
        if due || closed {
            self.due += 1;
        }
        if closed && matches!((row.completed_at, row.first_deadline), (Some(c), Some(d)) if c <= d) {
            self.closed_in_time += 1;
        }
        if failures >= 2 {
            self.failed_twice_or_more += 1;
        }
        self.closed_rate = Rate { num: self.closed, den: self.total };
        self.timely_rate = Rate { num: self.closed_in_time, den: self.due };
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub units_total: u32,
    /// Units with anything recorded in the round.
    pub units_inspected: u32,
    pub units_done: u32,
    pub units_done_with_open_defects: u32,
    /// Units inspected in full with no failed item in the round.
    pub unit_pass_rate: Rate,
    /// Passed lines over checked lines (not applicable excluded).
    pub item_pass_rate: Rate,
    pub defects_found_in_round: u32,
    pub defects_to_date: u32,
    /// Defects found in the round per 100 inspected units.
    pub defects_per_100_units: Option<f64>,
    pub open_defects: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildingKpi {
    pub building: BuildingId,
    pub units: u32,
    pub units_inspected: u32,
    pub unit_pass_rate: Rate,
    pub item_pass_rate: Rate,
    pub defects_found_in_round: u32,
    pub open_defects: u32,
}

/// Counts of the defects found in the round, by each dimension.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdowns {
    pub total: u32,
    pub by_building: BTreeMap<String, u32>,
    pub by_room_kind: BTreeMap<String, u32>,
    pub by_category: BTreeMap<String, u32>,
    pub by_trade: BTreeMap<String, u32>,
    pub by_contractor: BTreeMap<String, u32>,
    pub by_severity: BTreeMap<String, u32>,
}

impl Breakdowns {
    fn add(&mut self, r: &DefectRow) {
        self.total += 1;
        *self.by_building.entry(r.building.0.clone()).or_default() += 1;
        *self.by_room_kind.entry(r.room_kind.as_str().to_owned()).or_default() += 1;
        *self.by_category.entry(r.category.0.clone()).or_default() += 1;
        *self.by_trade.entry(r.trade.0.clone()).or_default() += 1;
        *self.by_contractor.entry(contractor_key(&r.contractor)).or_default() += 1;
        *self.by_severity.entry(r.severity.as_str().to_owned()).or_default() += 1;
    }
}

/// The key used for "no contractor yet" in tables.
pub const UNASSIGNED: &str = "(unassigned)";

fn contractor_key(c: &Option<ContractorId>) -> String {
    c.as_ref().map_or_else(|| UNASSIGNED.to_owned(), |c| c.0.clone())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HardCount {
    pub kind: Option<HardKind>,
    pub found_in_round: u32,
    pub to_date: u32,
    pub open: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecheckKpi {
    /// Defects from earlier rounds the round had to recheck.
    pub due: u32,
    /// Of those, rechecked in the round.
    pub done: u32,
    pub passed: u32,
    pub failed_again: u32,
    /// Defects that have now failed recheck twice or more.
    pub failed_twice_or_more: u32,
    pub failed_twice_or_more_by_contractor: BTreeMap<String, u32>,
}

/// Completion tables for one source of defects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionTables {
    pub overall: Completion,
    pub by_contractor: BTreeMap<String, Completion>,
    pub by_engineer: BTreeMap<String, Completion>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundKpis {
    pub round: RoundNo,
    pub as_of: Time,
    pub summary: Summary,
    pub by_building: Vec<BuildingKpi>,
    /// Found in the round, kept apart by source.
    pub found: BTreeMap<Source, Breakdowns>,
    /// The three hard kinds (own inspection and owner-reported together:
    /// they are counted apart from everything else precisely because any of
    /// them matters whoever found it).
    pub hard_three: Vec<HardCount>,
    pub rechecks: RecheckKpi,
    /// Cumulative to the round, kept apart by source.
    pub completion: BTreeMap<Source, CompletionTables>,
}

pub struct ReportInput<'a> {
    pub units_total: u32,
    pub defects: &'a [DefectRow],
    pub rechecks: &'a [RecheckRow],
    pub units: &'a [UnitRoundRow],
}

/// The KPIs of round `round` as of `as_of` (usually the round's due date or
/// now), cumulative over all defects found up to and including the round.
pub fn round_kpis(input: &ReportInput<'_>, round: RoundNo, as_of: Time) -> RoundKpis {
    let live =
        |r: &&DefectRow| r.found_round <= round && r.found_at <= as_of && !r.withdrawn_at.is_some_and(|t| t <= as_of);
    let to_date: Vec<&DefectRow> = input.defects.iter().filter(live).collect();
    let in_round: Vec<&DefectRow> = to_date.iter().copied().filter(|r| r.found_round == round).collect();
    let is_open = |r: &DefectRow| !r.closed_at.is_some_and(|t| t <= as_of);

    // Failed rechecks per defect up to and including this round.
    let mut failures: BTreeMap<DefectId, u32> = BTreeMap::new();
    let mut verified_before: BTreeSet<DefectId> = BTreeSet::new();
    let mut rechecked_now: BTreeMap<DefectId, bool> = BTreeMap::new();
    for rc in input.rechecks.iter().filter(|rc| rc.round <= round && rc.at <= as_of) {
        if !rc.passed {
            *failures.entry(rc.defect).or_default() += 1;
        }
        if rc.round < round && rc.passed {
            verified_before.insert(rc.defect);
        }
        if rc.round == round {
            // The last recheck of the round decides.
            rechecked_now.insert(rc.defect, rc.passed);
        }
    }
    let fails = |id: &DefectId| failures.get(id).copied().unwrap_or(0);

    // Units.
    let unit_rows: Vec<&UnitRoundRow> = input.units.iter().filter(|u| u.round == round).collect();
    let mut summary = Summary { units_total: input.units_total, ..Default::default() };
    let mut buildings: BTreeMap<BuildingId, BuildingKpi> = BTreeMap::new();
    for u in &unit_rows {
        let b = buildings
            .entry(u.building.clone())
            .or_insert_with(|| BuildingKpi { building: u.building.clone(), ..Default::default() });
        b.units += 1;
        let inspected = u.status != UnitStatus::NotStarted;
        let complete = matches!(u.status, UnitStatus::Done | UnitStatus::DoneWithOpenDefects);
        if inspected {
            summary.units_inspected += 1;
            b.units_inspected += 1;
        }
        match u.status {
            UnitStatus::Done => summary.units_done += 1,
            UnitStatus::DoneWithOpenDefects => summary.units_done_with_open_defects += 1,
            _ => {}
        }
        if complete {
            let passed = u32::from(u.items_failed == 0);
            summary.unit_pass_rate.den += 1;
            summary.unit_pass_rate.num += passed;
            b.unit_pass_rate.den += 1;
            b.unit_pass_rate.num += passed;
        }
        let applicable = u.items_passed + u.items_failed;
        summary.item_pass_rate.den += applicable;
        summary.item_pass_rate.num += u.items_passed;
        b.item_pass_rate.den += applicable;
        b.item_pass_rate.num += u.items_passed;
    }
    for r in &to_date {
        let b = buildings
            .entry(r.building.clone())
            .or_insert_with(|| BuildingKpi { building: r.building.clone(), ..Default::default() });
        if r.found_round == round {
            b.defects_found_in_round += 1;
        }
        if is_open(r) {
            b.open_defects += 1;
        }
    }
    summary.defects_found_in_round = in_round.len() as u32;
    summary.defects_to_date = to_date.len() as u32;
    summary.open_defects = to_date.iter().filter(|r| is_open(r)).count() as u32;
    summary.defects_per_100_units = (summary.units_inspected > 0)
        .then(|| f64::from(summary.defects_found_in_round) * 100.0 / f64::from(summary.units_inspected));

    // What happened, by source.
    let mut found: BTreeMap<Source, Breakdowns> = BTreeMap::new();
    for r in &in_round {
        found.entry(r.source).or_default().add(r);
    }

    // The hard three, then everything flagged by none of them.
    let hard_three = HardKind::ALL
        .iter()
        .map(|k| {
            let has = |r: &&&DefectRow| r.hard_kinds.contains(k);
            HardCount {
                kind: Some(*k),
                found_in_round: in_round.iter().filter(has).count() as u32,
                to_date: to_date.iter().filter(|r| r.hard_kinds.contains(k)).count() as u32,
                open: to_date.iter().filter(|r| r.hard_kinds.contains(k) && is_open(r)).count() as u32,
            }
        })
        .collect();

    // Why: rechecks.
    let mut rechecks = RecheckKpi::default();
    for r in to_date.iter().filter(|r| r.found_round < round) {
        let gone = matches!(r.status, DefectStatus::AcceptedRisk) && r.closed_at.is_some_and(|t| t <= as_of);
        if verified_before.contains(&r.id) || gone {
            continue;
        }
        rechecks.due += 1;
        if let Some(passed) = rechecked_now.get(&r.id) {
            rechecks.done += 1;
            if *passed {
                rechecks.passed += 1
            } else {
                rechecks.failed_again += 1
            }
        }
    }
    for r in &to_date {
        if fails(&r.id) >= 2 {
            rechecks.failed_twice_or_more += 1;
            *rechecks.failed_twice_or_more_by_contractor.entry(contractor_key(&r.contractor)).or_default() += 1;
        }
    }

    // What next: completion, by source.
    let mut completion: BTreeMap<Source, CompletionTables> = BTreeMap::new();
    for r in &to_date {
        let t = completion.entry(r.source).or_default();
        let f = fails(&r.id);
        t.overall.add(r, as_of, f);
        t.by_contractor.entry(contractor_key(&r.contractor)).or_default().add(r, as_of, f);
        let eng = r.engineer.as_ref().map_or_else(|| "(none)".to_owned(), |e| e.0.clone());
        t.by_engineer.entry(eng).or_default().add(r, as_of, f);
    }

    RoundKpis {
        round,
        as_of,
        summary,
        by_building: buildings.into_values().collect(),
        found,
        hard_three,
        rechecks,
        completion,
    }
}
