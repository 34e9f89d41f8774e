//! The figures a round report needs, computed from plain rows.
//!
//! The server keeps these rows in its relational read model and feeds them
//! here, so a report over 100k defects never hydrates a document. The tablet
//! builds the same rows from its own store. One function, one definition of
//! every rate.

use crate::defect::{Defect, DefectStatus, Source};
use crate::ids::*;
use crate::model::{HardKind, Project, RoomKind, Severity};
use crate::rules::UnitStatus;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One defect as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The contractor holding the repair now (or last).
    pub contractor: Option<ContractorId>,
    pub engineer: Option<UserId>,
    pub found_round: RoundNo,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub found_at: Time,
    pub status: DefectStatus,
    pub failed_rechecks: u32,
    /// The customer's deadline: the first attempt's, or, for a defect never
    /// dispatched, the category's deadline counted from when it was found
    /// (a slow dispatch must not take items out of the timeliness figure).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub first_deadline: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub current_deadline: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub completed_at: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub closed_at: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub withdrawn_at: Option<Time>,
    /// Every repair attempt, so that figures "as of" a past date are exact.
    pub attempts: Vec<AttemptRow>,
    /// The contractor it was dispatched to (holding the repair now, or
    /// last); none before dispatch, where `contractor` names the
    /// responsible party instead.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub assigned: Option<ContractorId>,
    /// The party responsible as recorded with the defect (routing).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub responsible: Option<ContractorId>,
}

/// One repair attempt as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub opened_at: Time,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub done_at: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended_at: Option<Time>,
    /// The contractor's "fixed" report on this attempt, if one stands.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reported_fixed_at: Option<Time>,
    /// The round whose failed recheck opened it (none for the first).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub opened_by_recheck_in: Option<RoundNo>,
}

/// One recheck that counted, as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecheckRow {
    pub defect: DefectId,
    pub round: RoundNo,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Time,
    pub passed: bool,
    /// The contractor whose repair was judged.
    pub contractor: Option<ContractorId>,
    pub source: Source,
}

/// A unit's progress in one round as the read model stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRoundRow {
    pub unit: UnitId,
    pub building: BuildingId,
    pub round: RoundNo,
    pub status: UnitStatus,
    pub items_total: u32,
    pub items_checked: u32,
    pub items_passed: u32,
    pub items_failed: u32,
    /// Earlier defects that failed their recheck in this round.
    pub rechecks_failed: u32,
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
        Self::from_lifecycle(project, d, &d.lifecycle())
    }

    pub fn from_lifecycle(project: &Project, d: &Defect, lc: &crate::defect::Lifecycle) -> Self {
        let unit = project.units.get(&d.unit);
        let building = unit.map(|u| u.building.clone()).unwrap_or_else(|| BuildingId::new("?"));
        let room_kind =
            project.unit_type_of(&d.unit).and_then(|ut| ut.room(&d.room)).map(|r| r.kind).unwrap_or(RoomKind::Other);
        let undispatched_deadline =
            || project.categories.get(&d.category).map(|c| crate::rules::deadline_for(c, d.found_at, project.zone()));
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
            first_deadline: lc.first_deadline().or_else(undispatched_deadline),
            current_deadline: lc.current_deadline(),
            completed_at: lc.completed_at,
            closed_at: lc.closed_at,
            withdrawn_at: lc.withdrawn_at,
            attempts: lc
                .attempts
                .iter()
                .map(|a| AttemptRow {
                    opened_at: a.opened_at,
                    deadline: a.deadline,
                    done_at: a.done_at(),
                    ended_at: a.ended_at(),
                    reported_fixed_at: a.reported_fixed_at,
                    opened_by_recheck_in: a.opened_by_recheck_in,
                })
                .collect(),
            assigned: lc.contractor.clone(),
            responsible: d.responsible.clone(),
        }
    }

    /// The contractor whose rectification list holds this defect: the one
    /// it was dispatched to, unless it waits for dispatch or was withdrawn
    /// (closed items stay on the list, as closed).
    pub fn listed_for(&self) -> Option<&ContractorId> {
        self.assigned.as_ref().filter(|_| !matches!(self.status, DefectStatus::Open | DefectStatus::Withdrawn))
    }

    /// Open at `as_of` and past the deadline then running, with no repair
    /// reported by then.
    pub fn overdue_at(&self, as_of: Time) -> bool {
        if self.closed_at.is_some_and(|t| t <= as_of) || self.withdrawn_at.is_some_and(|t| t <= as_of) {
            return false;
        }
        let active = self.attempts.iter().rev().find(|a| a.opened_at <= as_of);
        match active {
            Some(a) => {
                let ended = a.ended_at.is_some_and(|t| t <= as_of);
                let reported = a.done_at.is_some_and(|t| t <= as_of);
                !ended && !reported && a.deadline.is_some_and(|d| d < as_of)
            }
            // Never dispatched: its deadline runs from discovery.
            None => self.first_deadline.is_some_and(|d| d < as_of),
        }
    }
}

impl RecheckRow {
    pub fn from_defect(d: &Defect) -> Vec<RecheckRow> {
        Self::from_lifecycle(d, &d.lifecycle())
    }

    pub fn from_lifecycle(d: &Defect, lc: &crate::defect::Lifecycle) -> Vec<RecheckRow> {
        lc.rechecks
            .iter()
            .map(|r| RecheckRow {
                defect: d.id,
                round: r.round,
                at: r.at,
                passed: r.passed,
                contractor: r.contractor.clone(),
                source: d.source,
            })
            .collect()
    }
}

/// A ratio kept as its two counts, so that tables can show "12 / 40" and the
/// rate, and so that rates add up across groups correctly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completion {
    /// Recorded by the date and not withdrawn.
    pub total: u32,
    /// Verified or accepted as a risk by the date.
    pub closed: u32,
    /// 完结率: closed / total.
    pub closed_rate: Rate,
    /// Defects whose first deadline has passed, or that are closed.
    pub due: u32,
    /// Verified, with the repair done by the first deadline.
    pub closed_in_time: u32,
    /// 及时完结率: closed in time / due.
    pub timely_rate: Rate,
    pub open: u32,
    /// Open and past the deadline running at the date, no repair reported.
    pub overdue: u32,
    /// Defects whose repairs by this group's contractor failed recheck twice
    /// or more (as of the round).
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
        }
        if row.overdue_at(as_of) {
            self.overdue += 1;
        }
        if row.first_deadline.is_some_and(|d| d <= as_of) || closed {
            self.due += 1;
        }
        let verified_in_time = closed
            && row.status == DefectStatus::Verified
            && matches!((row.completed_at, row.first_deadline), (Some(c), Some(d)) if c <= d);
        if verified_in_time {
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub units_total: u32,
    /// Units with anything recorded in the round.
    pub units_inspected: u32,
    pub units_done: u32,
    pub units_done_with_open_defects: u32,
    /// Units inspected in full with no failed item and no failed recheck.
    pub unit_pass_rate: Rate,
    /// Passed lines over checked lines (not applicable excluded).
    pub item_pass_rate: Rate,
    /// Found by the developer's own inspection in the round.
    pub defects_found_in_round: u32,
    pub defects_to_date: u32,
    /// Own-inspection defects found in the round per 100 inspected units.
    pub defects_per_100_units: Option<f64>,
    pub open_defects: u32,
    /// Owner-reported defects, counted apart.
    pub owner_reported_in_round: u32,
    pub owner_reported_to_date: u32,
    pub owner_reported_open: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildingKpi {
    pub building: BuildingId,
    pub units: u32,
    pub units_inspected: u32,
    pub unit_pass_rate: Rate,
    pub item_pass_rate: Rate,
    /// Own-inspection defects.
    pub defects_found_in_round: u32,
    pub open_defects: u32,
}

/// Counts of the defects found in the round, by each dimension.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breakdowns {
    pub total: u32,
    pub by_building: BTreeMap<String, u32>,
    pub by_room_kind: BTreeMap<String, u32>,
    pub by_room: BTreeMap<String, u32>,
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
        *self.by_room.entry(r.room.0.clone()).or_default() += 1;
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HardCount {
    pub kind: Option<HardKind>,
    pub found_in_round: u32,
    pub to_date: u32,
    pub open: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecheckKpi {
    /// Defects from earlier rounds the round had to recheck.
    pub due: u32,
    /// Of those, rechecked in the round.
    pub done: u32,
    pub passed: u32,
    pub failed_again: u32,
    /// Defects that have now failed recheck twice or more.
    pub failed_twice_or_more: u32,
    /// Per contractor: defects whose repairs by that contractor failed
    /// recheck twice or more (a failure counts against the contractor whose
    /// repair failed, even if the item moved on).
    pub failed_twice_or_more_by_contractor: BTreeMap<String, u32>,
}

/// Completion tables for one source of defects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompletionTables {
    pub overall: Completion,
    pub by_contractor: BTreeMap<String, Completion>,
    pub by_engineer: BTreeMap<String, Completion>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundKpis {
    pub round: RoundNo,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub as_of: Time,
    pub summary: Summary,
    pub by_building: Vec<BuildingKpi>,
    /// Everything below is kept apart by source: easy self-found items must
    /// not dilute owner-reported ones.
    pub found: BTreeMap<Source, Breakdowns>,
    /// The same breakdowns of every defect found up to and including the
    /// round (what a cumulative report shows).
    #[serde(default)]
    pub found_to_date: BTreeMap<Source, Breakdowns>,
    pub hard_three: BTreeMap<Source, Vec<HardCount>>,
    pub rechecks: BTreeMap<Source, RecheckKpi>,
    /// Cumulative to the round.
    pub completion: BTreeMap<Source, CompletionTables>,
    /// Spots with two or more defects, or a defect failed twice or more.
    pub repeat_spots: Vec<crate::rules::RepeatSpot>,
}

impl RoundKpis {
    /// The own-inspection figures (the default view of a round report).
    pub fn own_rechecks(&self) -> RecheckKpi {
        self.rechecks.get(&Source::OwnInspection).cloned().unwrap_or_default()
    }
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
        |r: &&DefectRow| r.found_round <= round && r.found_at <= as_of && r.withdrawn_at.is_none_or(|t| t > as_of);
    let to_date: Vec<&DefectRow> = input.defects.iter().filter(live).collect();
    let is_open = |r: &DefectRow| r.closed_at.is_none_or(|t| t > as_of);
    let own = |r: &&&DefectRow| r.source == Source::OwnInspection;

    // Counted rechecks up to and including this round.
    // Failed rechecks per defect, and per (defect, contractor of the repair).
    let mut failures: HashMap<DefectId, u32> = HashMap::new();
    let mut failures_of: HashMap<(DefectId, Option<&ContractorId>), u32> = HashMap::new();
    let mut verified_before: BTreeSet<DefectId> = BTreeSet::new();
    let mut rechecked_now: BTreeMap<DefectId, bool> = BTreeMap::new();
    for rc in input.rechecks.iter().filter(|rc| rc.round <= round && rc.at <= as_of) {
        if !rc.passed {
            *failures.entry(rc.defect).or_default() += 1;
            *failures_of.entry((rc.defect, rc.contractor.as_ref())).or_default() += 1;
        }
        if rc.round < round && rc.passed {
            verified_before.insert(rc.defect);
        }
        if rc.round == round {
            // The last counted recheck of the round decides.
            rechecked_now.insert(rc.defect, rc.passed);
        }
    }
    let total_failures = |id: &DefectId| failures.get(id).copied().unwrap_or(0);
    let failures_by =
        |id: &DefectId, c: &Option<ContractorId>| failures_of.get(&(*id, c.as_ref())).copied().unwrap_or(0);
    // Per contractor: defects whose repairs by that contractor failed twice or more.
    let mut repeat_by_contractor: BTreeMap<(Source, String), u32> = BTreeMap::new();
    let source_of: HashMap<DefectId, Source> = to_date.iter().map(|r| (r.id, r.source)).collect();
    for ((defect, contractor), n) in &failures_of {
        if let (true, Some(source)) = (*n >= 2, source_of.get(defect)) {
            *repeat_by_contractor.entry((*source, contractor_key(&contractor.cloned()))).or_default() += 1;
        }
    }

    // Units.
    let mut summary = Summary { units_total: input.units_total, ..Default::default() };
    let mut buildings: BTreeMap<BuildingId, BuildingKpi> = BTreeMap::new();
    for u in input.units.iter().filter(|u| u.round == round) {
        let b = buildings
            .entry(u.building.clone())
            .or_insert_with(|| BuildingKpi { building: u.building.clone(), ..Default::default() });
        b.units += 1;
        if u.status != UnitStatus::NotStarted {
            summary.units_inspected += 1;
            b.units_inspected += 1;
        }
        match u.status {
            UnitStatus::Done => summary.units_done += 1,
            UnitStatus::DoneWithOpenDefects => summary.units_done_with_open_defects += 1,
            _ => {}
        }
        if matches!(u.status, UnitStatus::Done | UnitStatus::DoneWithOpenDefects) {
            let passed = u32::from(u.items_failed == 0 && u.rechecks_failed == 0);
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
    for r in to_date.iter().filter(own) {
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
    for r in &to_date {
        let in_round = r.found_round == round;
        let open = is_open(r);
        match r.source {
            Source::OwnInspection => {
                summary.defects_to_date += 1;
                summary.defects_found_in_round += u32::from(in_round);
                summary.open_defects += u32::from(open);
            }
            Source::OwnerReported => {
                summary.owner_reported_to_date += 1;
                summary.owner_reported_in_round += u32::from(in_round);
                summary.owner_reported_open += u32::from(open);
            }
        }
    }
    summary.defects_per_100_units = (summary.units_inspected > 0)
        .then(|| f64::from(summary.defects_found_in_round) * 100.0 / f64::from(summary.units_inspected));

    let mut found: BTreeMap<Source, Breakdowns> = BTreeMap::new();
    let mut found_to_date: BTreeMap<Source, Breakdowns> = BTreeMap::new();
    let mut hard_three: BTreeMap<Source, Vec<HardCount>> = BTreeMap::new();
    let mut rechecks: BTreeMap<Source, RecheckKpi> = BTreeMap::new();
    let mut completion: BTreeMap<Source, CompletionTables> = BTreeMap::new();
    for source in [Source::OwnInspection, Source::OwnerReported] {
        let rows: Vec<&DefectRow> = to_date.iter().copied().filter(|r| r.source == source).collect();
        if rows.is_empty() {
            continue;
        }
        // What happened.
        let b = found.entry(source).or_default();
        for r in rows.iter().filter(|r| r.found_round == round) {
            b.add(r);
        }
        let all = found_to_date.entry(source).or_default();
        for r in &rows {
            all.add(r);
        }
        hard_three.insert(
            source,
            HardKind::ALL
                .iter()
                .map(|k| {
                    let with_kind = || rows.iter().filter(|r| r.hard_kinds.contains(k));
                    HardCount {
                        kind: Some(*k),
                        found_in_round: with_kind().filter(|r| r.found_round == round).count() as u32,
                        to_date: with_kind().count() as u32,
                        open: with_kind().filter(|r| is_open(r)).count() as u32,
                    }
                })
                .collect(),
        );
        // Why: rechecks.
        let rk = rechecks.entry(source).or_default();
        for r in rows.iter().filter(|r| r.found_round < round) {
            let risk_accepted = r.status == DefectStatus::AcceptedRisk && r.closed_at.is_some_and(|t| t <= as_of);
            if verified_before.contains(&r.id) || risk_accepted {
                continue;
            }
            rk.due += 1;
            if let Some(passed) = rechecked_now.get(&r.id) {
                rk.done += 1;
                if *passed {
                    rk.passed += 1
                } else {
                    rk.failed_again += 1
                }
            }
        }
        for r in &rows {
            if total_failures(&r.id) >= 2 {
                rk.failed_twice_or_more += 1;
            }
        }
        for ((_, c), n) in repeat_by_contractor.range((source, String::new())..).take_while(|((s, _), _)| *s == source)
        {
            rk.failed_twice_or_more_by_contractor.insert(c.clone(), *n);
        }
        // What next: completion.
        let t = completion.entry(source).or_default();
        for r in &rows {
            t.overall.add(r, as_of, total_failures(&r.id));
            t.by_contractor.entry(contractor_key(&r.contractor)).or_default().add(
                r,
                as_of,
                failures_by(&r.id, &r.contractor),
            );
            let eng = r.engineer.as_ref().map_or_else(|| "(none)".to_owned(), |e| e.0.clone());
            t.by_engineer.entry(eng).or_default().add(r, as_of, total_failures(&r.id));
        }
    }

    // Repeats: the same spot failing again means the root cause was missed.
    let repeat_spots = crate::rules::group_repeat_spots(
        to_date.iter().map(|r| ((&r.unit, &r.room, &r.element), total_failures(&r.id))),
    );

    RoundKpis {
        round,
        as_of,
        summary,
        by_building: buildings.into_values().collect(),
        found,
        found_to_date,
        hard_three,
        rechecks,
        completion,
        repeat_spots,
    }
}

/// Every read-model row of one unit, derived from its document. A store
/// replaces a unit's rows with these in the same transaction as the document
/// change, so lists and reports never hydrate documents.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRows {
    pub defects: Vec<DefectRow>,
    pub rechecks: Vec<RecheckRow>,
    pub rounds: Vec<UnitRoundRow>,
    /// What a printed report shows of each defect beyond its figures.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub details: Vec<DefectDetail>,
}

/// The words and photos of one defect, as the read model keeps them for
/// report appendices and lists (which must not hydrate documents).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DefectReadDetail))]
pub struct DefectDetail {
    pub id: DefectId,
    pub spot: String,
    pub description: String,
    /// Photos in the order they were added, with their marks.
    pub photos: Vec<PhotoDetail>,
    /// The accepted risk's current unified answer and plan, if accepted.
    pub risk: Option<crate::risk::RiskDecision>,
    /// Where on the unit type's floor plan (normalised image coordinates).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub pin: Option<crate::model::Point>,
    /// The latest "fixed" report (the contractor's page shows it and
    /// offers its undo).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub fix_report: Option<crate::defect::FixReport>,
    /// The photos contractors sent with their "fixed" reports.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub evidence: Vec<PhotoHash>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoDetail {
    pub hash: PhotoHash,
    pub marks: Vec<crate::defect::Shape>,
}

impl DefectDetail {
    /// `status`: the defect's current status (from its lifecycle, which the
    /// caller has at hand).
    pub fn from_defect(d: &crate::defect::Defect, status: DefectStatus) -> Self {
        let mut photos: Vec<&crate::defect::Photo> = d.photos.values().collect();
        photos.sort_by(|a, b| a.added_at.cmp(&b.added_at).then(a.hash.cmp(&b.hash)));
        Self {
            id: d.id,
            spot: d.spot.clone(),
            description: d.description.clone(),
            photos: photos
                .into_iter()
                .map(|p| PhotoDetail {
                    hash: p.hash.clone(),
                    marks: p.marks.values().map(|m| m.shape.clone()).collect(),
                })
                .collect(),
            // (Reading the risk folds the lifecycle again: only for risks.)
            risk: (status == DefectStatus::AcceptedRisk).then(|| d.current_risk()).flatten(),
            pin: d.pin,
            fix_report: d.last_fix_report(),
            evidence: d.evidence_photos(),
        }
    }
}

pub fn unit_rows(project: &Project, record: &crate::doc::UnitRecord) -> UnitRows {
    use crate::rules::Outcome;
    let building = project.units.get(&record.unit).map(|u| u.building.clone()).unwrap_or_default();
    let checklist: Vec<crate::model::ResultKey> = project.checklist(&record.unit).iter().map(|e| e.key()).collect();
    let mut rows = UnitRows::default();
    for d in record.defects.values() {
        let lc = d.lifecycle();
        rows.defects.push(DefectRow::from_lifecycle(project, d, &lc));
        rows.rechecks.extend(RecheckRow::from_lifecycle(d, &lc));
        rows.details.push(DefectDetail::from_defect(d, lc.status));
    }
    for round in project.rounds.keys() {
        let outcomes = record.outcomes(*round);
        let count = |o: Outcome| checklist.iter().filter(|k| outcomes.get(*k) == Some(&o)).count() as u32;
        rows.rounds.push(UnitRoundRow {
            unit: record.unit.clone(),
            building: building.clone(),
            round: *round,
            status: record.status(project, *round),
            items_total: checklist.len() as u32,
            items_checked: checklist.iter().filter(|k| outcomes.get(*k).is_some_and(|o| o.is_checked())).count() as u32,
            items_passed: count(Outcome::Pass),
            items_failed: count(Outcome::Fail),
            rechecks_failed: rows.rechecks.iter().filter(|r| r.round == *round && !r.passed).count() as u32,
        });
    }
    rows
}

/// One week of the open-defects trend (own inspection): a local week,
/// Monday to Sunday in the project's zone, and the figures at its end (or
/// at the report date, for the week it falls in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekPoint {
    /// The Monday the week starts on.
    pub week_start: chrono::NaiveDate,
    /// The instant the figures are counted to.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub as_of: Time,
    /// Recorded in the week.
    pub found: u32,
    /// Closed (verified or accepted as a risk) in the week.
    pub closed: u32,
    /// Open at the week's end.
    pub open: u32,
    /// Open and past their running deadline at the week's end, no repair reported.
    pub overdue: u32,
}

/// At most this many weeks are listed (the latest ones).
pub const MAX_WEEKS: usize = 104;

/// The own-inspection defects of a report (found by `round`) week by week,
/// from the week of `first_day` to the week `as_of` falls in, each week a
/// local week in `zone`; figures at each week's end, the last at `as_of`.
pub fn weekly_trend(
    defects: &[DefectRow],
    round: RoundNo,
    first_day: chrono::NaiveDate,
    as_of: Time,
    zone: crate::time::Zone,
) -> Vec<WeekPoint> {
    use crate::time::{end_of_local_day, local_date, start_of_local_day, week_start};
    let last = week_start(local_date(as_of, zone));
    let mut week = week_start(first_day);
    if week > last {
        return Vec::new();
    }
    let weeks = ((last - week).num_days() / 7 + 1) as usize;
    if weeks > MAX_WEEKS {
        week += chrono::Duration::weeks((weeks - MAX_WEEKS) as i64);
    }
    let rows: Vec<&DefectRow> =
        defects.iter().filter(|r| r.source == Source::OwnInspection && r.found_round <= round).collect();
    let mut out = Vec::new();
    while week <= last {
        let begin = start_of_local_day(week, zone);
        let end = end_of_local_day(week + chrono::Duration::days(6), zone).min(as_of);
        let live = |r: &&&DefectRow| r.found_at <= end && r.withdrawn_at.is_none_or(|t| t > end);
        let in_week = |t: Option<Time>| t.is_some_and(|t| t >= begin && t <= end);
        let mut p = WeekPoint { week_start: week, as_of: end, found: 0, closed: 0, open: 0, overdue: 0 };
        for r in rows.iter().filter(live) {
            p.found += u32::from(r.found_at >= begin);
            p.closed += u32::from(in_week(r.closed_at));
            p.open += u32::from(r.closed_at.is_none_or(|t| t > end));
            p.overdue += u32::from(r.overdue_at(end));
        }
        out.push(p);
        week += chrono::Duration::weeks(1);
    }
    out
}
