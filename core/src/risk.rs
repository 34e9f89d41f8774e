//! Accepted risks (风险接受): the CS center decides that a defect cannot be
//! fixed before handover and gives one unified answer (统一口径) for owners
//! and a contingency plan (预案), so every member of staff says the same
//! thing at handover. As a decision: `accept_risk` returns the event to
//! append, or refuses in words. Editing the answer or plan of an accepted
//! risk appends another `AcceptedRisk` event; the latest one holds the
//! current answer (`Defect::current_risk`), and the first one the time the
//! risk was accepted (the defect's `closed_at`).

use crate::defect::{Defect, DefectEvent, DefectStatus, EventKind};
use crate::dispatch::working_round;
use crate::ids::*;
use crate::model::I18nText;
use crate::time::Time;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The longest unified answer (per language) and contingency plan.
pub const MAX_RISK_TEXT_CHARS: usize = 2000;

/// A defect's accepted risk as it stands: the latest answer and plan, who
/// accepted it and when, and the latest edit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskDecision {
    pub unified_answer: I18nText,
    pub contingency_plan: String,
    pub accepted_by: UserId,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub accepted_at: Time,
    /// The latest edit (the acceptance itself when never edited).
    pub edited_by: UserId,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub edited_at: Time,
    /// How many times the answer or plan was edited after the acceptance.
    pub edits: u32,
}

impl Defect {
    /// The accepted risk of this defect, if its status is AcceptedRisk: the
    /// answer and plan of the latest `AcceptedRisk` event (in the canonical
    /// event order), accepted at the first. Everyone (the dashboard, the
    /// report, the tablet) reads the current answer through this.
    pub fn current_risk(&self) -> Option<RiskDecision> {
        if self.lifecycle().status != DefectStatus::AcceptedRisk {
            return None;
        }
        let mut out: Option<RiskDecision> = None;
        for e in &self.events {
            let EventKind::AcceptedRisk { unified_answer, contingency_plan } = &e.kind else { continue };
            match &mut out {
                None => {
                    out = Some(RiskDecision {
                        unified_answer: unified_answer.clone(),
                        contingency_plan: contingency_plan.clone(),
                        accepted_by: e.by.clone(),
                        accepted_at: e.at,
                        edited_by: e.by.clone(),
                        edited_at: e.at,
                        edits: 0,
                    })
                }
                Some(r) => {
                    r.unified_answer = unified_answer.clone();
                    r.contingency_plan = contingency_plan.clone();
                    r.edited_by = e.by.clone();
                    r.edited_at = e.at;
                    r.edits += 1;
                }
            }
        }
        out
    }
}

fn checked(text: &str, what: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > MAX_RISK_TEXT_CHARS {
        return Err(Error::Invalid(format!("the {what} is too long: {MAX_RISK_TEXT_CHARS} characters at most")));
    }
    Ok(text.to_owned())
}

/// The CS center accepts the risk of `d` with a unified answer for owners
/// (Chinese required, English optional) and a contingency plan, or edits the
/// answer and plan of a risk already accepted. Refused for a withdrawn or
/// verified defect, an empty answer or plan, and an edit that changes
/// nothing.
pub fn accept_risk(
    d: &Defect,
    unified_answer: &I18nText,
    contingency_plan: &str,
    by: &UserId,
    at: Time,
    id: EventId,
) -> Result<DefectEvent> {
    let lc = d.lifecycle();
    match lc.status {
        DefectStatus::Withdrawn => {
            return Err(Error::Invalid(
                "this defect was withdrawn (recorded in error); there is no risk to accept".into(),
            ))
        }
        DefectStatus::Verified => {
            return Err(Error::Invalid(
                "this defect was repaired and passed its recheck; there is no risk to accept".into(),
            ))
        }
        _ => {}
    }
    let answer =
        I18nText::new(checked(&unified_answer.zh, "unified answer")?, checked(&unified_answer.en, "English answer")?);
    if answer.zh.is_empty() {
        return Err(Error::Invalid("write the unified answer for owners in Chinese (统一口径)".into()));
    }
    let plan = checked(contingency_plan, "contingency plan")?;
    if plan.is_empty() {
        return Err(Error::Invalid("write the contingency plan (预案)".into()));
    }
    if let Some(current) = d.current_risk() {
        if current.unified_answer == answer && current.contingency_plan == plan {
            return Err(Error::Invalid("the answer and the plan are unchanged; there is nothing to save".into()));
        }
    }
    Ok(DefectEvent {
        id,
        at: d.next_event_time(at),
        device_at: None,
        by: by.clone(),
        round: working_round(d, &lc),
        kind: EventKind::AcceptedRisk { unified_answer: answer, contingency_plan: plan },
    })
}
