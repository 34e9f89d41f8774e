//! The rules of rounds, rechecks, deadlines, routing and repeats, as pure
//! functions over the model.

use crate::defect::{Defect, DefectStatus, EventKind};
use crate::ids::*;
use crate::model::{Category, ChecklistItem, Project, ResultKey};
use crate::time::{self, Time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The rectification deadline of an attempt opened at `opened_at`: the
/// category's hours later, an instant; or, for a category whose deadline is
/// a day, the end of the local day (in `zone`, the project's) on which those
/// hours run out.
pub fn deadline_for(category: &Category, opened_at: Time, zone: time::Zone) -> Time {
    let due = opened_at + time::hours(category.deadline_hours);
    if category.deadline_end_of_day {
        time::end_of_local_day(time::local_date(due, zone), zone)
    } else {
        due
    }
}

/// The day a report dated `as_of` is for: its local day in the project's zone
/// (a report "as of 31 Oct" counts to the end of 31 Oct there).
pub fn report_day(project: &Project, as_of: Time) -> chrono::NaiveDate {
    time::local_date(as_of, project.zone())
}

/// The instant a report "as of day `d`" counts to: the end of that local day.
pub fn report_day_end(project: &Project, d: chrono::NaiveDate) -> Time {
    time::end_of_local_day(d, project.zone())
}

/// When a round's plan starts: the beginning of its start day, local time.
pub fn round_opens_at(project: &Project, plan: &crate::model::RoundPlan) -> Time {
    time::start_of_local_day(plan.start, project.zone())
}

/// When a round's plan ends: the end of its due day, local time. A round's
/// figures are counted to this instant.
pub fn round_closes_at(project: &Project, plan: &crate::model::RoundPlan) -> Time {
    time::end_of_local_day(plan.due, project.zone())
}

/// Whether a category choice is acceptable: "other" needs a written reason.
pub fn check_category(project: &Project, category: &CategoryId, other_reason: Option<&str>) -> crate::Result<()> {
    let cat = project.categories.get(category).ok_or_else(|| crate::Error::UnknownCategory(category.clone()))?;
    if cat.is_other && other_reason.is_none_or(|r| r.trim().chars().count() < 4) {
        return Err(crate::Error::OtherNeedsReason(category.clone()));
    }
    Ok(())
}

/// The contractor responsible for work on `element` of a given trade in a unit:
/// the supplier of that element's material in the unit type when the
/// supplier installs it (a kitchen cabinet goes to the cabinet supplier),
/// otherwise the trade's contractor for the unit's building, then the
/// project-wide one (hollow floor tiles are the tiler's, not the tile
/// supplier's).
pub fn route_contractor(
    project: &Project,
    unit: &UnitId,
    element: &ElementId,
    trade: &TradeId,
) -> Option<ContractorId> {
    let u = project.units.get(unit)?;
    if let Some(m) = project.unit_types.get(&u.unit_type).and_then(|ut| ut.material(element)) {
        if m.supplier_installs {
            return Some(m.supplier.clone());
        }
    }
    let for_building =
        project.trade_assignments.iter().find(|a| &a.trade == trade && a.building.as_ref() == Some(&u.building));
    let project_wide = || project.trade_assignments.iter().find(|a| &a.trade == trade && a.building.is_none());
    for_building.or_else(project_wide).map(|a| a.contractor.clone())
}

/// What a defect form starts with when an inspector fails a checklist item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefectPrefill {
    pub element: ElementId,
    pub category: CategoryId,
    pub severity: crate::model::Severity,
    pub trade: TradeId,
    pub responsible: Option<ContractorId>,
}

pub fn prefill(project: &Project, unit: &UnitId, item: &ChecklistItem) -> DefectPrefill {
    let severity =
        project.categories.get(&item.default_category).map(|c| c.severity).unwrap_or(crate::model::Severity::Minor);
    DefectPrefill {
        element: item.element.clone(),
        category: item.default_category.clone(),
        severity,
        trade: item.default_trade.clone(),
        responsible: route_contractor(project, unit, &item.element, &item.default_trade),
    }
}

/// One line of a round's recheck queue for a unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecheckEntry {
    pub defect: DefectId,
    pub found_round: RoundNo,
    pub status: DefectStatus,
    /// The recheck already recorded in this round, if any: passed or not.
    pub done: Option<bool>,
}

/// The defects round `round` must recheck: every defect found in an earlier
/// round that is still open, plus those this round already rechecked (so the
/// queue shows progress). Withdrawn and accepted-risk defects are out.
pub fn recheck_queue<'a>(defects: impl IntoIterator<Item = &'a Defect>, round: RoundNo) -> Vec<RecheckEntry> {
    let mut out = Vec::new();
    for d in defects {
        if d.found_round >= round {
            continue;
        }
        let lc = d.lifecycle();
        let done = d.recheck_in(round).map(|e| match e.kind {
            EventKind::Rechecked { passed, .. } => passed,
            _ => unreachable!("recheck_in returns rechecks"),
        });
        let still_due = match lc.status {
            DefectStatus::Withdrawn | DefectStatus::AcceptedRisk => false,
            DefectStatus::Verified => done.is_some(),
            _ => true,
        };
        if still_due {
            out.push(RecheckEntry { defect: d.id, found_round: d.found_round, status: lc.status, done });
        }
    }
    out.sort_by(|a, b| a.found_round.cmp(&b.found_round).then(a.defect.cmp(&b.defect)));
    out
}

/// The result of one checklist line in one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
    NotChecked,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not_applicable",
            Outcome::NotChecked => "not_checked",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Outcome::Pass, Outcome::Fail, Outcome::NotApplicable, Outcome::NotChecked]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
    pub fn is_checked(self) -> bool {
        self != Outcome::NotChecked
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    NotStarted,
    InProgress,
    Done,
    DoneWithOpenDefects,
}

impl UnitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::NotStarted => "not_started",
            UnitStatus::InProgress => "in_progress",
            UnitStatus::Done => "done",
            UnitStatus::DoneWithOpenDefects => "done_with_open_defects",
        }
    }
}

/// How far a unit is in a round.
///
/// Not started: nothing recorded in the round. Done: every checklist line has
/// an outcome and every recheck in the queue is recorded; "with open defects"
/// when any defect of the unit is still open after that.
pub fn unit_status(
    checklist: &[ResultKey],
    outcomes: &BTreeMap<ResultKey, Outcome>,
    queue: &[RecheckEntry],
    open_defects: usize,
) -> UnitStatus {
    let checked = checklist.iter().filter(|k| outcomes.get(*k).is_some_and(|o| o.is_checked())).count();
    let rechecked = queue.iter().filter(|e| e.done.is_some()).count();
    if checked == 0 && rechecked == 0 {
        return UnitStatus::NotStarted;
    }
    if checked < checklist.len() || rechecked < queue.len() {
        return UnitStatus::InProgress;
    }
    if open_defects > 0 {
        UnitStatus::DoneWithOpenDefects
    } else {
        UnitStatus::Done
    }
}

/// Per contractor, the defects whose repairs *by that contractor* failed
/// recheck `min_failures` times or more (the figure sent to the project
/// department for rewards and penalties). A failure counts against the
/// contractor of the attempt that failed, not whoever holds the item now.
pub fn repeat_failures_by_contractor<'a>(
    defects: impl IntoIterator<Item = &'a Defect>,
    min_failures: u32,
) -> BTreeMap<Option<ContractorId>, u32> {
    let mut out = BTreeMap::new();
    for d in defects {
        let lc = d.lifecycle();
        if lc.status == DefectStatus::Withdrawn {
            continue;
        }
        for (contractor, failures) in lc.failures_by_contractor() {
            if failures >= min_failures {
                *out.entry(contractor.or_else(|| d.responsible.clone())).or_insert(0) += 1;
            }
        }
    }
    out
}

/// Everything wrong with a defect before it is recorded, in words: unknown
/// unit, room, category, root cause, trade or contractor, "other" without a
/// reason, a pin or mark outside the picture.
pub fn check_defect(project: &Project, d: &Defect) -> crate::Result<()> {
    let invalid = |s: String| Err(crate::Error::Invalid(s));
    let Some(ut) = project.unit_type_of(&d.unit) else {
        return invalid(format!("unit {} is not in this project", d.unit));
    };
    if ut.room(&d.room).is_none() {
        return invalid(format!("room `{}` is not in unit type {}", d.room, ut.id));
    }
    check_category(project, &d.category, d.other_reason.as_deref())?;
    if let Some(rc) = &d.root_cause {
        if !project.categories.contains_key(rc) {
            return Err(crate::Error::UnknownCategory(rc.clone()));
        }
    }
    if !project.trades.contains_key(&d.trade) {
        return invalid(format!("trade `{}` is not in this project", d.trade));
    }
    if let Some(c) = &d.responsible {
        if !project.contractors.contains_key(c) {
            return invalid(format!("contractor `{c}` is not in this project"));
        }
    }
    if d.description.trim().is_empty() {
        return invalid("a defect needs a description".into());
    }
    if d.pin.is_some_and(|p| !p.is_normalised()) {
        return invalid("the floor-plan pin must lie within the plan".into());
    }
    if let Some(m) = d.photos.values().flat_map(|p| p.marks.values()).find(|m| !m.shape.is_valid()) {
        return invalid(format!("mark {} must lie within the photo (a label needs 1–40 characters)", m.id));
    }
    Ok(())
}

/// A pin placed or moved on the floor plan must lie within the defect's
/// room when that room is outlined (`UnitType::check_pin`). A pin kept as
/// it was is not checked again: outlines may have been redrawn since, and
/// pins are image coordinates that stay where they were put.
pub fn check_pin_placed(project: &Project, old: Option<&Defect>, new: &Defect) -> crate::Result<()> {
    let Some(pin) = new.pin else { return Ok(()) };
    if old.is_some_and(|o| o.pin == new.pin && o.room == new.room) {
        return Ok(());
    }
    match project.unit_type_of(&new.unit) {
        Some(ut) => ut.check_pin(&new.room, pin).map_err(crate::Error::Invalid),
        None => Ok(()),
    }
}

/// A spot (unit, room, element) that has had more than one defect: the same
/// thing failing again means the root cause was missed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatSpot {
    pub unit: UnitId,
    pub room: RoomId,
    pub element: ElementId,
    /// Defects recorded at this spot.
    pub defects: u32,
    /// Failed rechecks summed over them.
    pub failed_rechecks: u32,
}

/// Spots where defects repeat: two or more defects, or one defect that failed
/// recheck twice or more.
pub fn repeat_spots<'a>(defects: impl IntoIterator<Item = &'a Defect>) -> Vec<RepeatSpot> {
    let counted: Vec<(&Defect, u32)> = defects
        .into_iter()
        .filter_map(|d| {
            let lc = d.lifecycle();
            (lc.status != DefectStatus::Withdrawn).then_some((d, lc.failed_rechecks))
        })
        .collect();
    group_repeat_spots(counted.iter().map(|(d, f)| ((&d.unit, &d.room, &d.element), *f)))
}

/// Group (spot, failed rechecks) per defect into repeat spots, most repeated
/// first. Shared by `repeat_spots` and the round KPIs.
pub fn group_repeat_spots<'a>(
    defects: impl Iterator<Item = ((&'a UnitId, &'a RoomId, &'a ElementId), u32)>,
) -> Vec<RepeatSpot> {
    let mut spots: HashMap<(&UnitId, &RoomId, &ElementId), (u32, u32)> = HashMap::new();
    for (spot, failures) in defects {
        let e = spots.entry(spot).or_default();
        e.0 += 1;
        e.1 += failures;
    }
    let mut out: Vec<RepeatSpot> = spots
        .into_iter()
        .filter(|(_, (n, f))| *n >= 2 || *f >= 2)
        .map(|((unit, room, element), (defects, failed_rechecks))| RepeatSpot {
            unit: unit.clone(),
            room: room.clone(),
            element: element.clone(),
            defects,
            failed_rechecks,
        })
        .collect();
    out.sort_by(|a, b| (b.defects + b.failed_rechecks).cmp(&(a.defects + a.failed_rechecks)).then(a.cmp(b)));
    out
}

/// The units of a project with open defects at `now`, ordered by most open
/// first: the units at risk at handover.
pub fn units_with_open_defects<'a>(defects: impl IntoIterator<Item = &'a Defect>) -> Vec<(UnitId, u32)> {
    let mut m: BTreeMap<UnitId, u32> = BTreeMap::new();
    for d in defects {
        if d.lifecycle().status.is_open() {
            *m.entry(d.unit.clone()).or_insert(0) += 1;
        }
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// The round under way at `now`: the latest whose start day (local time)
/// has begun; none before the first.
pub fn current_round(project: &Project, now: Time) -> Option<RoundNo> {
    project.rounds.values().filter(|r| round_opens_at(project, r) <= now).map(|r| r.no).max()
}

/// The round a tablet works in at `now` and the one after it, by local
/// days: the current round (the first before any has started) and its
/// successor.
pub fn current_and_next_round(project: &Project, now: Time) -> (Option<RoundNo>, Option<RoundNo>) {
    let current = current_round(project, now).or_else(|| project.rounds.keys().next().copied());
    let next = current.and_then(|c| project.rounds.keys().copied().find(|r| *r > c));
    (current, next)
}

/// Whole local days from the day of `as_of` to the handover date (0 on the
/// day itself, negative once past).
pub fn days_to_handover(project: &Project, as_of: Time) -> i64 {
    (project.handover_date - report_day(project, as_of)).num_days()
}

/// The days to handover as people read them, never as a negative count:
/// "12 days to handover" (距交付 12 天), "handover today" (今天交付),
/// "31 days past handover" (交付已逾期 31 天).
pub fn handover_countdown(days: i64) -> crate::model::I18nText {
    let n = days.unsigned_abs();
    let day = if n == 1 { "day" } else { "days" };
    match days {
        0 => crate::model::I18nText::new("今天交付", "handover today"),
        1.. => crate::model::I18nText::new(format!("距交付 {n} 天"), format!("{n} {day} to handover")),
        _ => crate::model::I18nText::new(format!("交付已逾期 {n} 天"), format!("{n} {day} past handover")),
    }
}

/// Units covered by more than one inspector in a round (a planning slip).
pub fn overlapping_assignments(project: &Project, round: RoundNo) -> BTreeSet<UnitId> {
    let Some(plan) = project.rounds.get(&round) else {
        return BTreeSet::new();
    };
    let mut seen = BTreeSet::new();
    let mut dup = BTreeSet::new();
    let inspectors: BTreeSet<&UserId> = plan.assignments.iter().map(|a| &a.inspector).collect();
    for i in inspectors {
        for u in project.assigned_units(round, i) {
            if !seen.insert(u.clone()) {
                dup.insert(u);
            }
        }
    }
    dup
}

/// A new defect for a failed checklist line, as the defect form opens:
/// room, item, element, category, severity, trade and contractor prefilled
/// from the item and the routing; spot and description left to the
/// inspector.
pub fn draft_defect(
    project: &Project,
    unit: &UnitId,
    entry: &crate::model::ChecklistEntry<'_>,
    id: DefectId,
    by: &UserId,
    at: Time,
    round: RoundNo,
) -> Defect {
    let pre = prefill(project, unit, entry.item);
    Defect {
        id,
        unit: unit.clone(),
        room: entry.room.id.clone(),
        item: Some(entry.item.code.clone()),
        element: pre.element,
        spot: String::new(),
        pin: None,
        description: String::new(),
        category: pre.category,
        other_reason: None,
        root_cause: None,
        root_cause_note: None,
        severity: pre.severity,
        source: crate::defect::Source::OwnInspection,
        trade: pre.trade,
        responsible: pre.responsible,
        found_round: round,
        found_by: by.clone(),
        found_at: at,
        photos: Default::default(),
        events: Vec::new(),
    }
}

/// Withdraw a defect recorded in error (a duplicate, not a defect, the wrong
/// unit), with the reason. It leaves every list and count but stays in the
/// history. An inspector withdraws only what they recorded; the CS center
/// any defect. A closed defect (verified, risk accepted, already withdrawn)
/// cannot be withdrawn. Dated by `Defect::next_event_time`.
pub fn withdraw(
    d: &Defect,
    writer: &crate::doc::check::Writer,
    reason: &str,
    round: RoundNo,
    at: Time,
    id: EventId,
) -> crate::Result<crate::defect::DefectEvent> {
    use crate::doc::check::{may_withdraw, MAX_TEXT_CHARS};
    use crate::Error;
    if !may_withdraw(writer, &d.found_by) {
        return Err(Error::Invalid(format!(
            "only the inspector who recorded this defect ({}) or the CS center may withdraw it",
            d.found_by
        )));
    }
    let lc = d.lifecycle();
    if lc.status.is_terminal() {
        return Err(Error::DefectClosed(d.id, lc.status.as_str()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("say why the defect is withdrawn (e.g. recorded twice, not a defect)".into()));
    }
    if reason.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::Invalid(format!("the reason is too long: {MAX_TEXT_CHARS} characters at most")));
    }
    Ok(crate::defect::DefectEvent {
        id,
        at: d.next_event_time(at),
        device_at: None,
        by: writer.user.clone(),
        round,
        kind: EventKind::Withdrawn { reason: reason.to_owned() },
    })
}

#[cfg(test)]
mod handover_tests {
    use super::handover_countdown;

    #[test]
    fn the_countdown_reads_forwards_and_past_the_handover() {
        for (days, zh, en) in [
            (12, "距交付 12 天", "12 days to handover"),
            (1, "距交付 1 天", "1 day to handover"),
            (0, "今天交付", "handover today"),
            (-1, "交付已逾期 1 天", "1 day past handover"),
            (-31, "交付已逾期 31 天", "31 days past handover"),
        ] {
            let t = handover_countdown(days);
            assert_eq!((t.zh.as_str(), t.en.as_str()), (zh, en), "{days}");
        }
    }
}
