//! Defects, their photos with vector markup, and their history of events.
//!
//! A defect's state is never stored: it is folded from its events, which live
//! in a map keyed by event id in the unit document. Concurrent events from
//! different devices are therefore all kept, and every replica folds them in
//! the same order (time, then event id) to the same state.
//!
//! An event's time is not simply the device's clock, so that a tablet whose
//! clock is days wrong cannot move an event across a "fixed" / recheck
//! crossing: the tablet dates events by the server's clock (the offset it
//! measured at its last exchange), and no event is dated before an event of
//! the same defect its writer already held (`Defect::next_event_time`, a
//! hybrid logical clock). The device's own reading is kept beside it when
//! the two differ (`DefectEvent::device_at`), so both can be shown.

use crate::ids::*;
use crate::model::{I18nText, Point, Severity};
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a defect came from. Statistics keep the two apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Found by the developer's own mock inspection.
    OwnInspection,
    /// Reported by an owner.
    OwnerReported,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::OwnInspection => "own_inspection",
            Source::OwnerReported => "owner_reported",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Source::OwnInspection, Source::OwnerReported].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Defect {
    pub id: DefectId,
    pub unit: UnitId,
    pub room: RoomId,
    /// The checklist item that failed, if it was found by one.
    pub item: Option<ItemCode>,
    pub element: ElementId,
    /// Where exactly, in words ("north wall, 1.2 m above floor, left of window").
    pub spot: String,
    /// Where on the unit's floor plan, normalised.
    pub pin: Option<Point>,
    pub description: String,
    pub category: CategoryId,
    /// Required when the category is "other".
    pub other_reason: Option<String>,
    /// A deeper cause beside the surface category (e.g. a ceiling stain whose
    /// root cause is leakage).
    pub root_cause: Option<CategoryId>,
    pub root_cause_note: Option<String>,
    pub severity: Severity,
    pub source: Source,
    pub trade: TradeId,
    /// The party responsible for the defect (from routing).
    pub responsible: Option<ContractorId>,
    pub found_round: RoundNo,
    pub found_by: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub found_at: Time,
    pub photos: BTreeMap<PhotoHash, Photo>,
    /// History, ordered by (time, event id).
    pub events: Vec<DefectEvent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Photo {
    pub hash: PhotoHash,
    pub added_by: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub added_at: Time,
    /// Vector marks over the photo; never burned into the original.
    pub marks: BTreeMap<MarkId, Mark>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mark {
    pub id: MarkId,
    pub shape: Shape,
}

/// A chalk mark on a photo, in normalised image coordinates. (Externally
/// tagged: it parses without buffering, which matters when a unit with
/// hundreds of marks is read.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// A circle around the spot; the radius is a fraction of the image width.
    Circle { center: Point, radius: f64 },
    /// An arrow pointing from `from` to the spot at `to`.
    Arrow { from: Point, to: Point },
    /// A short text written beside the spot.
    Label { at: Point, text: String },
}

impl Shape {
    /// The stored form: `circle x y r`, `arrow x1 y1 x2 y2`, `label x y text`
    /// (space separated; the label's text is the rest of the line). Compact
    /// and quick to parse: a unit can carry hundreds of marks.
    pub fn encode(&self) -> String {
        match self {
            Shape::Circle { center, radius } => format!("circle {} {} {}", center.x, center.y, radius),
            Shape::Arrow { from, to } => format!("arrow {} {} {} {}", from.x, from.y, to.x, to.y),
            Shape::Label { at, text } => format!("label {} {} {}", at.x, at.y, text),
        }
    }

    pub fn decode(s: &str) -> Option<Shape> {
        let (kind, rest) = s.split_once(' ')?;
        let mut nums = rest.splitn(if kind == "label" { 3 } else { 4 }, ' ');
        let mut num = || nums.next()?.parse::<f64>().ok();
        let shape = match kind {
            "circle" => Shape::Circle { center: Point { x: num()?, y: num()? }, radius: num()? },
            "arrow" => Shape::Arrow { from: Point { x: num()?, y: num()? }, to: Point { x: num()?, y: num()? } },
            "label" => {
                let at = Point { x: num()?, y: num()? };
                Shape::Label { at, text: nums.next()?.to_owned() }
            }
            _ => return None,
        };
        Some(shape)
    }

    pub fn is_valid(&self) -> bool {
        match self {
            Shape::Circle { center, radius } => center.is_normalised() && *radius > 0.0 && *radius <= 1.0,
            Shape::Arrow { from, to } => from.is_normalised() && to.is_normalised() && from != to,
            Shape::Label { at, text } => at.is_normalised() && !text.trim().is_empty() && text.chars().count() <= 40,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefectEvent {
    pub id: EventId,
    /// When it happened, by the server's clock as the writer knew it: the
    /// time events are ordered and counted by.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub at: Time,
    /// What the writer's device clock said, when it differed from `at` by
    /// more than [`DEVICE_CLOCK_TOLERANCE_SECS`] (shown beside `at`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub device_at: Option<Time>,
    pub by: UserId,
    pub round: RoundNo,
    pub kind: EventKind,
}

/// (Externally tagged, with deadlines in epoch milliseconds, so that events
/// stored as JSON in documents parse fast.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Sent to a contractor for repair, with the attempt's deadline. A second
    /// assignment within an attempt is a reassignment: the deadline stays.
    Assigned {
        contractor: ContractorId,
        #[serde(with = "chrono::serde::ts_milliseconds")]
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        deadline: Time,
    },
    /// The contractor says it is fixed.
    ReportedFixed { note: String, photo: Option<PhotoHash> },
    /// The contractor takes back a "fixed" report made by mistake.
    FixRetracted { note: String },
    /// Rechecked on site. A failure opens a new attempt with a new deadline.
    Rechecked {
        passed: bool,
        note: String,
        photo: Option<PhotoHash>,
        #[serde(with = "chrono::serde::ts_milliseconds_option")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        new_deadline: Option<Time>,
    },
    /// Cannot be fixed before handover: the CS center accepts the risk and
    /// gives the unified answer (统一口径) and contingency plan (预案).
    AcceptedRisk { unified_answer: I18nText, contingency_plan: String },
    /// Recorded in error.
    Withdrawn { reason: String },
    /// A field of the defect was edited (kept for the audit trail; the field
    /// itself holds the current value).
    Edited { field: String, value: String },
}

impl EventKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Assigned { .. } => "assigned",
            EventKind::ReportedFixed { .. } => "reported_fixed",
            EventKind::FixRetracted { .. } => "fix_retracted",
            EventKind::Rechecked { .. } => "rechecked",
            EventKind::AcceptedRisk { .. } => "accepted_risk",
            EventKind::Withdrawn { .. } => "withdrawn",
            EventKind::Edited { .. } => "edited",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DefectStatus {
    /// Recorded, not yet sent to a contractor.
    Open,
    /// With a contractor, first attempt.
    Assigned,
    /// Failed a recheck and back with a contractor.
    FailedRecheck,
    /// The contractor reports it fixed; waiting for the recheck.
    ReportedFixed,
    /// Passed a recheck. Terminal.
    Verified,
    /// Cannot be fixed; risk accepted with a unified answer. Terminal.
    AcceptedRisk,
    /// Recorded in error. Terminal, and left out of all statistics.
    Withdrawn,
}

impl DefectStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, DefectStatus::Verified | DefectStatus::AcceptedRisk | DefectStatus::Withdrawn)
    }
    /// Still needs work or a recheck.
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }
    /// Counts as closed (完结) in completion rates.
    pub fn is_closed(self) -> bool {
        matches!(self, DefectStatus::Verified | DefectStatus::AcceptedRisk)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DefectStatus::Open => "open",
            DefectStatus::Assigned => "assigned",
            DefectStatus::FailedRecheck => "failed_recheck",
            DefectStatus::ReportedFixed => "reported_fixed",
            DefectStatus::Verified => "verified",
            DefectStatus::AcceptedRisk => "accepted_risk",
            DefectStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        use DefectStatus::*;
        [Open, Assigned, FailedRecheck, ReportedFixed, Verified, AcceptedRisk, Withdrawn]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// How one attempt at a repair went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    /// 1 for the first repair, 2 after the first failed recheck, …
    pub number: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub opened_at: Time,
    pub contractor: Option<ContractorId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Time>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reported_fixed_at: Option<Time>,
    pub outcome: Option<AttemptOutcome>,
    /// The round whose failed recheck opened this attempt (none for the first).
    pub opened_by_recheck_in: Option<RoundNo>,
}

impl Attempt {
    /// When the attempt ended (its recheck), if it has.
    pub fn ended_at(&self) -> Option<Time> {
        match self.outcome {
            Some(AttemptOutcome::Passed { at, .. } | AttemptOutcome::Failed { at, .. }) => Some(at),
            None => None,
        }
    }
}

/// A recheck that counted (duplicates and rechecks after closure do not).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountedRecheck {
    pub event: EventId,
    pub round: RoundNo,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Time,
    pub passed: bool,
    /// The contractor of the attempt the recheck judged.
    pub contractor: Option<ContractorId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Passed {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: Time,
        round: RoundNo,
    },
    Failed {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: Time,
        round: RoundNo,
    },
}

/// Whether an attempt met its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Reported fixed by the deadline.
    Met,
    /// Reported fixed after the deadline, or not reported and past it.
    Missed,
    /// Not reported fixed yet and the deadline has not passed.
    Pending,
    /// Not assigned, so no deadline runs.
    NoDeadline,
}

impl Attempt {
    /// When the repair counts as done: the "fixed" report, or the passing
    /// recheck when the contractor never reported.
    pub fn done_at(&self) -> Option<Time> {
        match self.outcome {
            Some(AttemptOutcome::Passed { at, .. }) => Some(self.reported_fixed_at.unwrap_or(at)),
            _ => self.reported_fixed_at,
        }
    }

    pub fn timeliness(&self, now: Time) -> Timeliness {
        let Some(deadline) = self.deadline else {
            return Timeliness::NoDeadline;
        };
        match self.done_at() {
            Some(done) if done <= deadline => Timeliness::Met,
            Some(_) => Timeliness::Missed,
            None if now > deadline => Timeliness::Missed,
            None => Timeliness::Pending,
        }
    }
}

/// Everything derived from a defect's events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lifecycle {
    pub status: DefectStatus,
    pub attempts: Vec<Attempt>,
    /// Rechecks that found it still failing.
    pub failed_rechecks: u32,
    /// When it became Verified or AcceptedRisk.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub closed_at: Option<Time>,
    /// When it was withdrawn.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub withdrawn_at: Option<Time>,
    /// When the work that closed it was done (the fix report of the passing
    /// attempt, or the risk decision). Timeliness is judged on this.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub completed_at: Option<Time>,
    /// The contractor currently (or last) responsible for the repair.
    pub contractor: Option<ContractorId>,
    /// Events that change nothing: anything after the defect was closed, and
    /// a second failed recheck of the same unrepaired attempt in the same
    /// round (two tablets rechecking one item). They stay in the history.
    pub ignored_events: Vec<EventId>,
    /// The rechecks that counted, in order.
    pub rechecks: Vec<CountedRecheck>,
}

impl Lifecycle {
    /// The deadline of the first attempt: the customer's deadline.
    pub fn first_deadline(&self) -> Option<Time> {
        self.attempts.first().and_then(|a| a.deadline)
    }
    /// The deadline now running, if the defect is open and assigned.
    pub fn current_deadline(&self) -> Option<Time> {
        if self.status.is_terminal() {
            return None;
        }
        self.attempts.last().and_then(|a| a.deadline)
    }
    /// Rectified and verified, with the work done by the first deadline
    /// (及时完结). An accepted risk is closed but never "in time": accepting a
    /// risk must not improve the timeliness figure.
    pub fn closed_in_time(&self) -> bool {
        match (self.status, self.completed_at, self.first_deadline()) {
            (DefectStatus::Verified, Some(done), Some(deadline)) => done <= deadline,
            _ => false,
        }
    }

    /// Failed rechecks per contractor of the failed attempt.
    pub fn failures_by_contractor(&self) -> BTreeMap<Option<ContractorId>, u32> {
        let mut out = BTreeMap::new();
        for a in &self.attempts {
            if matches!(a.outcome, Some(AttemptOutcome::Failed { .. })) {
                *out.entry(a.contractor.clone()).or_insert(0) += 1;
            }
        }
        out
    }
    /// Open with a deadline that has passed at `now`.
    pub fn is_overdue(&self, now: Time) -> bool {
        overdue(self.status, self.current_deadline(), now)
    }
}

/// Open, no repair reported, and the running deadline passed at `now`: what
/// a contractor's list marks overdue (from a lifecycle or a read-model row).
pub fn overdue(status: DefectStatus, current_deadline: Option<Time>, now: Time) -> bool {
    status.is_open() && status != DefectStatus::ReportedFixed && current_deadline.is_some_and(|d| now > d)
}

/// A contractor's "fixed" report: what they wrote, their photo, who and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixReport {
    pub note: String,
    pub photo: Option<PhotoHash>,
    pub by: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Time,
}

/// A device clock this close to the server's is not worth mentioning.
pub const DEVICE_CLOCK_TOLERANCE_SECS: i64 = 60;

/// The device's reading to keep beside an event dated `at`, if it differs.
pub fn device_reading(at: Time, device_now: Time) -> Option<Time> {
    ((device_now - at).num_seconds().abs() > DEVICE_CLOCK_TOLERANCE_SECS).then_some(device_now)
}

impl Defect {
    /// The latest "fixed" report in the history (retracted or not: the
    /// caller knows from the lifecycle whether the current attempt has one).
    pub fn last_fix_report(&self) -> Option<FixReport> {
        self.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::ReportedFixed { note, photo } => {
                Some(FixReport { note: note.clone(), photo: photo.clone(), by: e.by.clone(), at: e.at })
            }
            _ => None,
        })
    }

    /// Every photo contractors sent with their "fixed" reports.
    pub fn evidence_photos(&self) -> Vec<PhotoHash> {
        let mut out = Vec::new();
        for e in &self.events {
            if let EventKind::ReportedFixed { photo: Some(p), .. } = &e.kind {
                if !out.contains(p) {
                    out.push(p.clone());
                }
            }
        }
        out
    }

    /// The time for a new event on this defect written at `now` (the
    /// writer's best knowledge of the server's clock): `now`, but always
    /// after every event of the defect the writer holds, so that an event
    /// written after seeing another is ordered after it whatever the clocks
    /// say (a hybrid logical clock, with millisecond ticks).
    pub fn next_event_time(&self, now: Time) -> Time {
        match self.events.iter().map(|e| e.at).max() {
            Some(last) if last >= now => last + chrono::Duration::milliseconds(1),
            _ => now,
        }
    }

    /// Sort events into their canonical order. Replicas that hold the same
    /// events therefore fold them identically.
    pub fn sort_events(&mut self) {
        self.events.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
    }

    /// The lifecycle from every event.
    pub fn lifecycle(&self) -> Lifecycle {
        fold_events(self.events.iter())
    }

    /// The lifecycle as it stood at `as_of` (events after it are ignored).
    pub fn lifecycle_at(&self, as_of: Time) -> Lifecycle {
        fold_events(self.events.iter().filter(|e| e.at <= as_of))
    }

    /// The events a recheck in `round` recorded, if any.
    pub fn recheck_in(&self, round: RoundNo) -> Option<&DefectEvent> {
        self.events.iter().rfind(|e| e.round == round && matches!(e.kind, EventKind::Rechecked { .. }))
    }
}

/// Fold events (already in canonical order) into a lifecycle.
///
/// The rules, which also define what happens when a contractor's "fixed"
/// report and an inspector's recheck cross each other offline:
/// - Events are applied in (time, id) order, whatever order they arrived in.
/// - Once Verified, AcceptedRisk or Withdrawn, later events change nothing but
///   are kept and listed in `ignored_events`; a later `AcceptedRisk` event of
///   an accepted risk is an edit of its answer (not ignored, `closed_at`
///   stays the first acceptance).
/// - A failed recheck of an attempt that was itself opened by a failed
///   recheck in the same round, with no repair reported since, is the same
///   finding twice (two tablets, or a retry): kept, ignored, not counted.
/// - A failed recheck closes the current attempt as failed and opens the
///   next one (same contractor, the deadline carried by the recheck event).
///   A "fixed" report timed before that recheck stays with the failed
///   attempt; one timed after it belongs to the new attempt.
/// - A recheck or report on a defect never assigned starts attempt 1 without
///   a deadline.
pub fn fold_events<'a>(events: impl Iterator<Item = &'a DefectEvent>) -> Lifecycle {
    let mut lc = Lifecycle {
        status: DefectStatus::Open,
        attempts: Vec::new(),
        failed_rechecks: 0,
        closed_at: None,
        withdrawn_at: None,
        completed_at: None,
        contractor: None,
        ignored_events: Vec::new(),
        rechecks: Vec::new(),
    };
    let mut terminal = false;
    for ev in events {
        if terminal {
            // An edit of an accepted risk's answer or plan is another
            // `AcceptedRisk` event (see `risk.rs`): it changes neither the
            // status nor when the risk was accepted, and it is not ignored.
            let risk_edit =
                lc.status == DefectStatus::AcceptedRisk && matches!(ev.kind, EventKind::AcceptedRisk { .. });
            if !risk_edit && !matches!(ev.kind, EventKind::Edited { .. }) {
                lc.ignored_events.push(ev.id);
            }
            continue;
        }
        match &ev.kind {
            EventKind::Assigned { contractor, deadline } => {
                lc.contractor = Some(contractor.clone());
                match lc.attempts.last_mut() {
                    Some(a) if a.outcome.is_none() => {
                        a.contractor = Some(contractor.clone());
                        a.deadline.get_or_insert(*deadline);
                    }
                    _ => lc.attempts.push(Attempt {
                        number: lc.attempts.len() as u32 + 1,
                        opened_at: ev.at,
                        contractor: Some(contractor.clone()),
                        deadline: Some(*deadline),
                        reported_fixed_at: None,
                        outcome: None,
                        opened_by_recheck_in: None,
                    }),
                }
            }
            EventKind::ReportedFixed { .. } => {
                let a = current_attempt(&mut lc, ev.at);
                a.reported_fixed_at.get_or_insert(ev.at);
            }
            EventKind::FixRetracted { .. } => {
                if let Some(a) = lc.attempts.last_mut() {
                    if a.outcome.is_none() {
                        a.reported_fixed_at = None;
                    }
                }
            }
            EventKind::Rechecked { passed, new_deadline, .. } => {
                let duplicate = !*passed
                    && lc.attempts.last().is_some_and(|a| {
                        a.outcome.is_none() && a.reported_fixed_at.is_none() && a.opened_by_recheck_in == Some(ev.round)
                    });
                if duplicate {
                    // Nothing was repaired since the last failure this round:
                    // the same finding twice, not a second failed repair.
                    lc.ignored_events.push(ev.id);
                    continue;
                }
                let contractor = current_attempt(&mut lc, ev.at).contractor.clone();
                lc.rechecks.push(CountedRecheck {
                    event: ev.id,
                    round: ev.round,
                    at: ev.at,
                    passed: *passed,
                    contractor: contractor.clone(),
                });
                if *passed {
                    let a = lc.attempts.last_mut().expect("current attempt");
                    a.outcome = Some(AttemptOutcome::Passed { at: ev.at, round: ev.round });
                    lc.completed_at = a.done_at();
                    lc.closed_at = Some(ev.at);
                    lc.status = DefectStatus::Verified;
                    terminal = true;
                } else {
                    lc.attempts.last_mut().expect("current attempt").outcome =
                        Some(AttemptOutcome::Failed { at: ev.at, round: ev.round });
                    lc.failed_rechecks += 1;
                    lc.attempts.push(Attempt {
                        number: lc.attempts.len() as u32 + 1,
                        opened_at: ev.at,
                        contractor,
                        deadline: *new_deadline,
                        reported_fixed_at: None,
                        outcome: None,
                        opened_by_recheck_in: Some(ev.round),
                    });
                }
            }
            EventKind::AcceptedRisk { .. } => {
                lc.status = DefectStatus::AcceptedRisk;
                lc.closed_at = Some(ev.at);
                lc.completed_at = Some(ev.at);
                terminal = true;
            }
            EventKind::Withdrawn { .. } => {
                lc.status = DefectStatus::Withdrawn;
                lc.withdrawn_at = Some(ev.at);
                terminal = true;
            }
            EventKind::Edited { .. } => {}
        }
    }
    if !terminal {
        lc.status = match lc.attempts.last() {
            None => DefectStatus::Open,
            Some(a) if a.reported_fixed_at.is_some() => DefectStatus::ReportedFixed,
            Some(_) if lc.failed_rechecks > 0 => DefectStatus::FailedRecheck,
            Some(a) if a.contractor.is_some() => DefectStatus::Assigned,
            Some(_) => DefectStatus::Open,
        };
    }
    lc
}

fn current_attempt(lc: &mut Lifecycle, at: Time) -> &mut Attempt {
    if lc.attempts.last().is_none_or(|a| a.outcome.is_some()) {
        let contractor = lc.contractor.clone();
        lc.attempts.push(Attempt {
            number: lc.attempts.len() as u32 + 1,
            opened_at: at,
            contractor,
            deadline: None,
            reported_fixed_at: None,
            outcome: None,
            opened_by_recheck_in: None,
        });
    }
    lc.attempts.last_mut().expect("just ensured")
}
