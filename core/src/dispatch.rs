//! Dispatch to contractors, as decisions: which defects go to whom with
//! what deadline, reassignment, a contractor's "fixed" report and its undo,
//! rectification lists, and the notices a change of the read model calls
//! for. The server carries these out (writes the events into unit documents,
//! queues the notices); nothing here does IO or reads a clock.

use crate::defect::{Defect, DefectEvent, DefectStatus, EventKind, FixReport, Lifecycle};
use crate::ids::*;
use crate::kpi::DefectRow;
use crate::model::Project;
use crate::rules::{deadline_for, route_contractor};
use crate::time::Time;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a contractor can take back a "fixed" report made by mistake.
pub const UNDO_WINDOW_MINUTES: i64 = 15;

/// The longest note a contractor can write with a "fixed" report.
pub const MAX_NOTE_CHARS: usize = 500;

/// One assignment the server should write into a unit document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub unit: UnitId,
    pub defect: DefectId,
    pub event: DefectEvent,
}

/// What dispatching a unit calls for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchPlan {
    pub assignments: Vec<Assignment>,
    /// Open defects no contractor could be found for (no trade assignment,
    /// no installing supplier): the CS center must assign them by hand.
    pub unroutable: Vec<DefectId>,
}

/// The contractor a defect goes to: the responsible party recorded with it
/// (routed when it was found, possibly corrected by the inspector) while that
/// contractor is still in the project, otherwise routed again now.
pub fn responsible_contractor(project: &Project, d: &Defect) -> Option<ContractorId> {
    d.responsible
        .clone()
        .filter(|c| project.contractors.contains_key(c))
        .or_else(|| route_contractor(project, &d.unit, &d.element, &d.trade))
}

/// Whether a defect still waits to be sent to a contractor: open, and its
/// current attempt has nobody assigned.
pub fn awaits_dispatch(lc: &Lifecycle) -> bool {
    lc.status == DefectStatus::Open || (lc.status.is_open() && lc.contractor.is_none())
}

/// The round a defect's current work belongs to: the round of the failed
/// recheck that opened the current attempt, else the round it was found in.
pub fn working_round(d: &Defect, lc: &Lifecycle) -> RoundNo {
    lc.attempts.last().and_then(|a| a.opened_by_recheck_in).unwrap_or(d.found_round)
}

/// Assign every defect of `defects` that awaits dispatch to its responsible
/// contractor, with the deadline of its category counted from `at`.
pub fn dispatch<'a>(
    project: &Project,
    defects: impl IntoIterator<Item = &'a Defect>,
    by: &UserId,
    at: Time,
    new_event_id: &mut dyn FnMut() -> EventId,
) -> DispatchPlan {
    let mut plan = DispatchPlan::default();
    for d in defects {
        let lc = d.lifecycle();
        if !awaits_dispatch(&lc) {
            continue;
        }
        let (Some(contractor), Some(category)) =
            (responsible_contractor(project, d), project.categories.get(&d.category))
        else {
            plan.unroutable.push(d.id);
            continue;
        };
        let deadline = deadline_for(category, at, project.zone());
        plan.assignments.push(Assignment {
            unit: d.unit.clone(),
            defect: d.id,
            event: DefectEvent {
                id: new_event_id(),
                at: d.next_event_time(at),
                device_at: None,
                by: by.clone(),
                round: working_round(d, &lc),
                kind: EventKind::Assigned { contractor, deadline },
            },
        });
    }
    plan
}

/// The CS center gives a defect to another contractor. The defect's
/// responsible party (`Defect::responsible`) stays as recorded: the repair
/// moves, the record of whose work it was does not. Within a running attempt
/// the deadline stays (a reassignment must not buy time); a defect not yet
/// dispatched gets its category's deadline from now.
pub fn reassign(
    project: &Project,
    d: &Defect,
    to: &ContractorId,
    by: &UserId,
    at: Time,
    id: EventId,
) -> Result<DefectEvent> {
    if !project.contractors.contains_key(to) {
        return Err(Error::Invalid(format!("contractor `{to}` is not in this project")));
    }
    let lc = d.lifecycle();
    if lc.status.is_terminal() {
        return Err(Error::DefectClosed(d.id, lc.status.as_str()));
    }
    if lc.status == DefectStatus::ReportedFixed {
        return Err(Error::Invalid(
            "this item is reported fixed and waits for its recheck; reassign it if the recheck fails".into(),
        ));
    }
    if lc.contractor.as_ref() == Some(to) {
        return Err(Error::Invalid(format!("this item is already with `{to}`")));
    }
    let running = lc.attempts.last().filter(|a| a.outcome.is_none()).and_then(|a| a.deadline);
    let deadline = match running {
        Some(d) => d,
        None => {
            let category =
                project.categories.get(&d.category).ok_or_else(|| Error::UnknownCategory(d.category.clone()))?;
            deadline_for(category, at, project.zone())
        }
    };
    Ok(DefectEvent {
        id,
        at: d.next_event_time(at),
        device_at: None,
        by: by.clone(),
        round: working_round(d, &lc),
        kind: EventKind::Assigned { contractor: to.clone(), deadline },
    })
}

/// A contractor reports an item fixed, with a note and, where possible, a
/// photo of the repair (already stored). Only the contractor holding the
/// item, only while a repair is due.
pub fn report_fixed(
    d: &Defect,
    contractor: &ContractorId,
    note: &str,
    photo: Option<PhotoHash>,
    by: &UserId,
    at: Time,
    id: EventId,
) -> Result<DefectEvent> {
    let lc = d.lifecycle();
    if lc.contractor.as_ref() != Some(contractor) || lc.status == DefectStatus::Open {
        return Err(Error::Invalid("this item is not on your list".into()));
    }
    match lc.status {
        DefectStatus::Assigned | DefectStatus::FailedRecheck => {}
        DefectStatus::ReportedFixed => {
            return Err(Error::Invalid("this item is already reported fixed and waits for its recheck".into()))
        }
        s => return Err(Error::DefectClosed(d.id, s.as_str())),
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::Invalid("write a short note saying what was done".into()));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::Invalid(format!("the note is too long: {MAX_NOTE_CHARS} characters at most")));
    }
    Ok(DefectEvent {
        id,
        at: d.next_event_time(at),
        device_at: None,
        by: by.clone(),
        round: working_round(d, &lc),
        kind: EventKind::ReportedFixed { note: note.to_owned(), photo },
    })
}

/// The "fixed" report a contractor may still take back at `now`: theirs,
/// the latest, not yet rechecked, and made less than the undo window ago.
/// Returns when the window closes.
pub fn undo_until(d: &Defect, lc: &Lifecycle, by: &UserId, now: Time) -> Option<Time> {
    undo_until_report(lc.status, d.last_fix_report().as_ref(), by, now)
}

/// The same from a defect's status and latest "fixed" report (as the read
/// model keeps them).
pub fn undo_until_report(status: DefectStatus, report: Option<&FixReport>, by: &UserId, now: Time) -> Option<Time> {
    if status != DefectStatus::ReportedFixed {
        return None;
    }
    let report = report?;
    let until = report.at + chrono::Duration::minutes(UNDO_WINDOW_MINUTES);
    (&report.by == by && now >= report.at && now <= until).then_some(until)
}

/// A contractor takes back their "fixed" report within the undo window.
pub fn undo_fix(d: &Defect, by: &UserId, at: Time, id: EventId) -> Result<DefectEvent> {
    let lc = d.lifecycle();
    if undo_until(d, &lc, by, at).is_none() {
        return Err(Error::Invalid(format!(
            "only your own \"fixed\" report can be undone, within {UNDO_WINDOW_MINUTES} minutes and before its recheck"
        )));
    }
    Ok(DefectEvent {
        id,
        at: d.next_event_time(at),
        device_at: None,
        by: by.clone(),
        round: working_round(d, &lc),
        kind: EventKind::FixRetracted { note: "undone by the contractor".into() },
    })
}

/// Which part of a contractor's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListScope {
    /// The items a round gave the contractor: found in it, or sent back by
    /// a failed recheck in it.
    Round(RoundNo),
    /// Everything ever dispatched to the contractor and still theirs.
    Cumulative,
}

/// One line of a contractor's rectification list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListItem {
    pub defect: DefectId,
    pub unit: UnitId,
    pub building: BuildingId,
    pub status: DefectStatus,
    /// 1 for the first repair, 2 after the first failed recheck, …
    pub attempt: u32,
    /// The deadline of the current attempt (none once closed).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Time>,
    pub overdue: bool,
    /// The rounds that put the item on the list.
    pub rounds: Vec<RoundNo>,
    /// The party responsible as recorded (routing), beside the one repairing.
    pub responsible: Option<ContractorId>,
    pub assigned: Option<ContractorId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reported_fixed_at: Option<Time>,
}

/// A contractor's rectification list: the items they hold (dispatched,
/// not withdrawn), overdue first, then by deadline, then by place.
pub fn rectification_list<'a>(
    project: &Project,
    defects: impl IntoIterator<Item = &'a Defect>,
    contractor: &ContractorId,
    scope: ListScope,
    now: Time,
) -> Vec<ListItem> {
    let rows: Vec<DefectRow> = defects.into_iter().map(|d| DefectRow::from_defect(project, d)).collect();
    rectification_list_rows(project, &rows, contractor, scope, now)
}

/// The same list from read-model rows (what the server keeps per defect),
/// so a list never reads a unit document.
pub fn rectification_list_rows<'a>(
    project: &Project,
    rows: impl IntoIterator<Item = &'a DefectRow>,
    contractor: &ContractorId,
    scope: ListScope,
    now: Time,
) -> Vec<ListItem> {
    let mut out = Vec::new();
    for r in rows {
        if r.listed_for() != Some(contractor) {
            continue;
        }
        let mut rounds = vec![r.found_round];
        rounds.extend(r.attempts.iter().filter_map(|a| a.opened_by_recheck_in));
        rounds.dedup();
        if let ListScope::Round(n) = scope {
            if !rounds.contains(&n) {
                continue;
            }
        }
        let current = r.attempts.last();
        out.push(ListItem {
            defect: r.id,
            unit: r.unit.clone(),
            building: project.units.get(&r.unit).map(|u| u.building.clone()).unwrap_or_default(),
            status: r.status,
            attempt: r.attempts.len() as u32,
            deadline: r.current_deadline,
            overdue: crate::defect::overdue(r.status, r.current_deadline, now),
            rounds,
            responsible: r.responsible.clone(),
            assigned: r.assigned.clone(),
            reported_fixed_at: current.and_then(|a| a.reported_fixed_at),
        });
    }
    out.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| match (a.deadline, b.deadline) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| (&a.building, &a.unit, a.defect).cmp(&(&b.building, &b.unit, b.defect)))
    });
    out
}

/// How many items of a list are overdue now, and how many more fall due
/// within `days` (open, no repair reported, deadline not passed yet): the
/// summary at the top of the contractor's page.
pub fn due_summary(items: &[ListItem], now: Time, days: i64) -> DueSummary {
    let soon = now + chrono::Duration::days(days);
    let mut s = DueSummary { overdue: 0, due_soon: 0, days };
    for i in items {
        if i.overdue {
            s.overdue += 1;
        } else if crate::defect::overdue(i.status, i.deadline, soon) {
            s.due_soon += 1;
        }
    }
    s
}

/// Overdue items and items due within `days`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueSummary {
    pub overdue: u32,
    pub due_soon: u32,
    pub days: i64,
}

/// The days ahead a contractor's page counts as "due soon".
pub const DUE_SOON_DAYS: i64 = 3;

/// A list grouped by building, then unit (each in id order), for the
/// printed sheet.
pub fn group_by_unit(items: &[ListItem]) -> BTreeMap<&BuildingId, BTreeMap<&UnitId, Vec<&ListItem>>> {
    let mut out: BTreeMap<&BuildingId, BTreeMap<&UnitId, Vec<&ListItem>>> = BTreeMap::new();
    for i in items {
        out.entry(&i.building).or_default().entry(&i.unit).or_default().push(i);
    }
    out
}

/// Why a contractor is told about an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Newly dispatched or reassigned to them.
    NewItem,
    /// Their repair failed a recheck: it is back, with a new deadline.
    BackAfterRecheck,
    /// Withdrawn (recorded in error) while with them: off their list, no
    /// repair needed.
    Withdrawn,
}

/// Something a contractor must hear about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub contractor: ContractorId,
    pub defect: DefectId,
    pub unit: UnitId,
    pub building: BuildingId,
    pub category: CategoryId,
    /// Sent at once rather than in the digest (the category says so).
    pub urgent: bool,
    pub kind: NoticeKind,
    pub attempt: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Time>,
}

impl Notice {
    /// Names this notice: the same item, attempt and contractor is one
    /// notice however often the change that caused it is replayed.
    pub fn key(&self) -> String {
        match self.kind {
            NoticeKind::Withdrawn => format!("{}/{}/{}/withdrawn", self.defect, self.attempt, self.contractor),
            _ => format!("{}/{}/{}", self.defect, self.attempt, self.contractor),
        }
    }
}

/// The notices a change of a unit's read-model rows calls for: a defect that
/// is now with a contractor for a repair (assigned or back after a failed
/// recheck) and was not with them for this attempt before; and one that was
/// with a contractor and is now withdrawn (it left their list).
pub fn notices(project: &Project, before: &[DefectRow], after: &[DefectRow]) -> Vec<Notice> {
    let due = |r: &DefectRow| matches!(r.status, DefectStatus::Assigned | DefectStatus::FailedRecheck);
    // Held for this attempt already: a "fixed" report taken back is still theirs.
    let held = |r: &DefectRow| due(r) || r.status == DefectStatus::ReportedFixed;
    let notice = |row: &DefectRow, contractor: &ContractorId, kind: NoticeKind, attempt: usize| Notice {
        contractor: contractor.clone(),
        defect: row.id,
        unit: row.unit.clone(),
        building: row.building.clone(),
        category: row.category.clone(),
        urgent: kind != NoticeKind::Withdrawn && project.categories.get(&row.category).is_some_and(|c| c.urgent),
        deadline: if kind == NoticeKind::Withdrawn { None } else { row.current_deadline },
        kind,
        attempt: attempt as u32,
    };
    let mut out = Vec::new();
    for row in after.iter().filter(|r| due(r)) {
        let Some(contractor) = &row.contractor else { continue };
        let old = before.iter().find(|b| b.id == row.id);
        let unchanged = old.is_some_and(|o| {
            held(o) && o.contractor.as_ref() == Some(contractor) && o.attempts.len() == row.attempts.len()
        });
        if unchanged {
            continue;
        }
        let kind =
            if row.status == DefectStatus::FailedRecheck { NoticeKind::BackAfterRecheck } else { NoticeKind::NewItem };
        out.push(notice(row, contractor, kind, row.attempts.len()));
    }
    for row in after.iter().filter(|r| r.status == DefectStatus::Withdrawn) {
        let Some(old) = before.iter().find(|b| b.id == row.id && held(b)) else { continue };
        let Some(contractor) = &old.contractor else { continue };
        out.push(notice(row, contractor, NoticeKind::Withdrawn, old.attempts.len()));
    }
    out
}

/// How long to wait before delivery attempt `failures + 1` after `failures`
/// failed ones: doubling from `base_secs`, at most an hour.
pub fn retry_delay_secs(failures: u32, base_secs: u64) -> u64 {
    base_secs.saturating_mul(1u64 << failures.min(20)).min(3600)
}
